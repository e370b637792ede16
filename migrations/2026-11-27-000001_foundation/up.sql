-- Organisations, their API keys, contests and the admin audit log.
-- Every table carries org_id or contest_id, so a PostgreSQL sharded by org_id
-- (Citus) can hold it unchanged.

CREATE TABLE organisations (
    id          uuid PRIMARY KEY,
    name        text NOT NULL CHECK (char_length(name) BETWEEN 1 AND 200),
    created_at  timestamptz NOT NULL DEFAULT now()
);

-- Only a SHA-256 of each key is stored: keys are 256 random bits, so a fast hash
-- is enough and lookups stay one index probe per request.
CREATE TABLE api_keys (
    id          uuid PRIMARY KEY,
    org_id      uuid NOT NULL REFERENCES organisations (id) ON DELETE CASCADE,
    name        text NOT NULL CHECK (char_length(name) BETWEEN 1 AND 200),
    key_hash    bytea NOT NULL UNIQUE CHECK (octet_length(key_hash) = 32),
    key_prefix  text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    revoked_at  timestamptz
);
CREATE INDEX api_keys_org_idx ON api_keys (org_id, created_at DESC);

CREATE TABLE contests (
    id                              uuid PRIMARY KEY,
    org_id                          uuid NOT NULL REFERENCES organisations (id) ON DELETE CASCADE,
    slug                            text CHECK (slug ~ '^[a-z0-9-]{1,64}$'),
    title                           text NOT NULL CHECK (char_length(title) BETWEEN 1 AND 200),
    description                     text NOT NULL DEFAULT '' CHECK (char_length(description) <= 5000),
    method                          text NOT NULL CHECK (method IN
                                        ('plurality', 'irv', 'stv', 'schulze', 'ranked_pairs', 'borda', 'copeland')),
    seats                           integer NOT NULL CHECK (seats BETWEEN 1 AND 100),
    electorate                      text NOT NULL CHECK (electorate IN ('open', 'codes', 'jwt')),
    moderation                      text NOT NULL CHECK (moderation IN ('pre', 'post')),
    results_visibility              text NOT NULL CHECK (results_visibility IN ('live', 'after_close', 'hidden')),
    max_suggestions_per_participant integer NOT NULL CHECK (max_suggestions_per_participant BETWEEN 1 AND 100),
    max_rankings                    integer CHECK (max_rankings BETWEEN 1 AND 1000),
    phase                           text NOT NULL CHECK (phase IN ('draft', 'suggesting', 'voting', 'closed')),
    suggestions_open_at             timestamptz,
    voting_open_at                  timestamptz,
    voting_close_at                 timestamptz,
    created_at                      timestamptz NOT NULL DEFAULT now(),
    updated_at                      timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT contests_org_slug_key UNIQUE (org_id, slug),
    CONSTRAINT contests_seats_need_stv CHECK (seats = 1 OR method = 'stv'),
    CONSTRAINT contests_schedule_order CHECK (
        (suggestions_open_at IS NULL OR voting_open_at IS NULL OR suggestions_open_at < voting_open_at)
        AND (voting_open_at IS NULL OR voting_close_at IS NULL OR voting_open_at < voting_close_at)
        AND (suggestions_open_at IS NULL OR voting_close_at IS NULL OR suggestions_open_at < voting_close_at))
);
CREATE INDEX contests_org_created_idx ON contests (org_id, created_at DESC, id DESC);

-- Append-only: the application only inserts, and a trigger refuses updates. Rows
-- go only with their organisation or contest.
CREATE TABLE audit_log (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    org_id      uuid NOT NULL REFERENCES organisations (id) ON DELETE CASCADE,
    contest_id  uuid REFERENCES contests (id) ON DELETE CASCADE,
    actor       text NOT NULL,
    action      text NOT NULL,
    details     jsonb NOT NULL DEFAULT '{}'::jsonb,
    at          timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX audit_log_contest_idx ON audit_log (contest_id, id);
CREATE INDEX audit_log_org_idx ON audit_log (org_id, id);

CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_log is append-only' USING ERRCODE = 'insufficient_privilege';
END $$;
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();
