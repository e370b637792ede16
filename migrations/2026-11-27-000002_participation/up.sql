-- Participation: voters (three electorates), suggestions with support, merges and
-- moderation, and the per-address counters of the open electorate's rate limit.
-- Every table carries contest_id or org_id (see DESIGN.md, sharding by org_id).
-- Voter identities appear only as HMAC-SHA256(server secret, contest id ‖ voter id).

CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE EXTENSION IF NOT EXISTS fuzzystrmatch;

-- One row per participant who has done something in a contest (so far: suggested).
-- The row is the per-participant lock and counter behind
-- `max_suggestions_per_participant`.
CREATE TABLE voters (
    contest_id        uuid NOT NULL REFERENCES contests (id) ON DELETE CASCADE,
    voter_hash        bytea NOT NULL CHECK (octet_length(voter_hash) = 32),
    suggestions_made  integer NOT NULL DEFAULT 0 CHECK (suggestions_made BETWEEN 0 AND 100),
    created_at        timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (contest_id, voter_hash)
);

-- Codes of a closed electorate: only a SHA-256 of each code is stored. A code
-- always yields the same voter (`voter_id`, the token's `sub`).
CREATE TABLE voter_codes (
    contest_id   uuid NOT NULL REFERENCES contests (id) ON DELETE CASCADE,
    code_hash    bytea NOT NULL CHECK (octet_length(code_hash) = 32),
    voter_id     uuid NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    redeemed_at  timestamptz,
    PRIMARY KEY (contest_id, code_hash),
    CONSTRAINT voter_codes_voter_key UNIQUE (contest_id, voter_id)
);

-- The key an organisation's own app signs voter JWTs with (jwt electorate). An
-- HS256 secret must be kept to verify with it; it is never sent back.
CREATE TABLE voter_jwt_keys (
    org_id          uuid PRIMARY KEY REFERENCES organisations (id) ON DELETE CASCADE,
    alg             text NOT NULL CHECK (alg IN ('HS256', 'RS256', 'EdDSA')),
    secret          bytea CHECK (octet_length(secret) BETWEEN 32 AND 1024),
    public_key_pem  text CHECK (char_length(public_key_pem) BETWEEN 1 AND 16384),
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT voter_jwt_keys_material CHECK (
        (alg = 'HS256' AND secret IS NOT NULL AND public_key_pem IS NULL)
        OR (alg <> 'HS256' AND secret IS NULL AND public_key_pem IS NOT NULL))
);

-- Fixed-window counters of the open electorate's token rate limit, per contest
-- and client address (bucket). Upserted atomically, so the limit holds across
-- instances; rows of past windows are deleted as new ones are counted.
CREATE TABLE voter_rate_limits (
    contest_id    uuid NOT NULL REFERENCES contests (id) ON DELETE CASCADE,
    bucket_key    text NOT NULL CHECK (char_length(bucket_key) BETWEEN 1 AND 100),
    window_start  timestamptz NOT NULL,
    count         integer NOT NULL CHECK (count >= 1),
    PRIMARY KEY (contest_id, bucket_key, window_start)
);

-- Suggested names. `candidate_no` is the small per-contest number ballots store;
-- `dedupe_key` decides duplicates. A merged suggestion keeps its row (its name is
-- an alias of the target, and its key still finds the target) and always points
-- at a suggestion that is not merged itself, so merges cannot form cycles.
CREATE TABLE suggestions (
    id             uuid PRIMARY KEY,
    contest_id     uuid NOT NULL REFERENCES contests (id) ON DELETE CASCADE,
    candidate_no   integer NOT NULL CHECK (candidate_no >= 1),
    name           text NOT NULL CHECK (char_length(name) BETWEEN 1 AND 80),
    dedupe_key     text NOT NULL CHECK (char_length(dedupe_key) BETWEEN 1 AND 400),
    note           text CHECK (char_length(note) BETWEEN 1 AND 500),
    status         text NOT NULL CHECK (status IN ('pending', 'approved', 'rejected', 'merged')),
    merged_into    uuid,
    support_count  integer NOT NULL DEFAULT 0 CHECK (support_count >= 0),
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT suggestions_contest_id_key UNIQUE (contest_id, id),
    CONSTRAINT suggestions_dedupe_key UNIQUE (contest_id, dedupe_key),
    CONSTRAINT suggestions_candidate_no_key UNIQUE (contest_id, candidate_no),
    CONSTRAINT suggestions_merged_into_fkey FOREIGN KEY (contest_id, merged_into)
        REFERENCES suggestions (contest_id, id),
    CONSTRAINT suggestions_merge_status CHECK ((status = 'merged') = (merged_into IS NOT NULL)),
    CONSTRAINT suggestions_not_merged_into_self CHECK (merged_into <> id)
);
CREATE INDEX suggestions_order_idx
    ON suggestions (contest_id, support_count DESC, created_at, id);
CREATE INDEX suggestions_merged_into_idx ON suggestions (merged_into) WHERE merged_into IS NOT NULL;
CREATE INDEX suggestions_name_trgm_idx ON suggestions USING gin (lower(name) gin_trgm_ops);

-- One support per participant per suggestion: the submitter's (`submitted`) and
-- everyone who later suggested the same name (`seconded`). `support_count` on the
-- suggestion is kept equal to the number of rows here by a trigger.
CREATE TABLE suggestion_supports (
    contest_id     uuid NOT NULL,
    suggestion_id  uuid NOT NULL,
    voter_hash     bytea NOT NULL CHECK (octet_length(voter_hash) = 32),
    kind           text NOT NULL CHECK (kind IN ('submitted', 'seconded')),
    created_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (suggestion_id, voter_hash),
    CONSTRAINT suggestion_supports_suggestion_fkey FOREIGN KEY (contest_id, suggestion_id)
        REFERENCES suggestions (contest_id, id) ON DELETE CASCADE
);
CREATE INDEX suggestion_supports_voter_idx ON suggestion_supports (contest_id, voter_hash);

CREATE FUNCTION suggestion_supports_count() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('DELETE', 'UPDATE') THEN
        UPDATE suggestions SET support_count = support_count - 1 WHERE id = OLD.suggestion_id;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        UPDATE suggestions SET support_count = support_count + 1 WHERE id = NEW.suggestion_id;
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER suggestion_supports_count AFTER INSERT OR DELETE OR UPDATE OF suggestion_id
    ON suggestion_supports FOR EACH ROW EXECUTE FUNCTION suggestion_supports_count();
