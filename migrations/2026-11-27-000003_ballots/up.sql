-- Ranked ballots and the shared cache of results.
--
-- One row per (contest, voter): the primary key is what guarantees one ballot per
-- voter, whatever the number of concurrent requests or service instances. The
-- voter appears only as a keyed hash (HMAC of contest and voter id), never as an id.
--
-- `version` is stamped from one sequence on every write (cast, replace, withdraw),
-- so `max(version)` of a contest's rows changes on every write without any
-- per-contest counter row that every voter would have to update (a hot row
-- serialises voters). A withdrawal keeps the row as a tombstone (`ranking` and
-- `receipt` NULL) with a fresh version; tombstones are never counted or exported.

-- Whether an array of candidate numbers is a strict ranking: one dimension, at
-- least one entry, no NULL, every number positive, no number twice.
CREATE FUNCTION ballot_ranking_is_strict(r int4[]) RETURNS boolean
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    RETURN array_ndims(r) = 1
       AND cardinality(r) >= 1
       AND array_position(r, NULL) IS NULL
       AND (SELECT count(DISTINCT x) = count(*) AND min(x) >= 1 FROM unnest(r) AS x);

CREATE SEQUENCE ballot_version_seq AS bigint;

CREATE TABLE ballots (
    contest_id  uuid NOT NULL REFERENCES contests (id) ON DELETE CASCADE,
    voter_hash  bytea NOT NULL CHECK (octet_length(voter_hash) = 32),
    -- Candidate numbers (suggestions.candidate_no), first preference first;
    -- NULL only in a withdrawal's tombstone.
    ranking     int4[] CHECK (ballot_ranking_is_strict(ranking)),
    -- Random, shown to the voter and printed in the anonymised export, which is
    -- ordered by it (bytewise: COLLATE "C").
    receipt     text COLLATE "C" CHECK (receipt ~ '^[0-9a-f]{32}$'),
    -- 1 for a new ballot, +1 for every replacement; back to 1 after a withdrawal.
    revision    int4 NOT NULL DEFAULT 1 CHECK (revision >= 1),
    version     bigint NOT NULL DEFAULT nextval('ballot_version_seq'),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (contest_id, voter_hash),
    CONSTRAINT ballots_receipt_key UNIQUE (contest_id, receipt),
    CONSTRAINT ballots_tombstone_check CHECK ((ranking IS NULL) = (receipt IS NULL))
);
ALTER SEQUENCE ballot_version_seq OWNED BY ballots.version;
-- max(version) per contest is one backward index probe.
CREATE INDEX ballots_contest_version_idx ON ballots (contest_id, version);

-- Counted results, shared by every instance. One row per (contest, method): it
-- holds the result for ballot version `version` (the contest's max(version)
-- when it was computed). A reader serves it only while that is still the
-- contest's max(version) (and, for live results, while it is younger than the
-- stated lag); otherwise it recomputes and replaces it. A `final` row was
-- computed after the contest closed, with every ballot write finished, and is
-- never replaced.
CREATE TABLE result_cache (
    contest_id   uuid NOT NULL REFERENCES contests (id) ON DELETE CASCADE,
    method       text NOT NULL CHECK (method IN
                     ('plurality', 'irv', 'stv', 'schulze', 'ranked_pairs', 'borda', 'copeland')),
    version      bigint NOT NULL,
    final        boolean NOT NULL,
    -- The response body exactly as served (text, so the bytes and the ETag are
    -- the same on every instance).
    body         text NOT NULL,
    etag         text NOT NULL,
    computed_at  timestamptz NOT NULL,
    PRIMARY KEY (contest_id, method)
);
