-- The change feed (app::feed): each instance polls what changed since its last
-- look, one statement a few times a second, however many viewers it serves.
--
-- Ballots: every write stamps a fresh `version` from one global sequence, so
-- "the ballot rows written since version V" is one range scan of this index
-- (index-only: it carries the contest).
CREATE INDEX ballots_version_idx ON ballots (version) INCLUDE (contest_id);

-- Everything else a viewer sees change: the contest row (phase moves, edits,
-- deletion) and its candidates (moderation, new suggestions). Triggers write
-- one row per change; no ballot write touches these tables.
CREATE TABLE contest_changes (
    seq         bigserial PRIMARY KEY,
    contest_id  uuid NOT NULL,
    changed_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX contest_changes_changed_at_idx ON contest_changes (changed_at);

CREATE FUNCTION contest_changes_note_contest() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        INSERT INTO contest_changes (contest_id) VALUES (OLD.id);
    ELSE
        INSERT INTO contest_changes (contest_id) VALUES (NEW.id);
    END IF;
    RETURN NULL;
END $$;

CREATE FUNCTION contest_changes_note_suggestion() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        INSERT INTO contest_changes (contest_id) VALUES (OLD.contest_id);
    ELSE
        INSERT INTO contest_changes (contest_id) VALUES (NEW.contest_id);
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER contest_changes_contests AFTER INSERT OR UPDATE OR DELETE ON contests
    FOR EACH ROW EXECUTE FUNCTION contest_changes_note_contest();
-- Not on `support_count` (a trigger keeps it; supports do not change results).
CREATE TRIGGER contest_changes_suggestions
    AFTER INSERT OR DELETE OR UPDATE OF name, status, merged_into, candidate_no ON suggestions
    FOR EACH ROW EXECUTE FUNCTION contest_changes_note_suggestion();
