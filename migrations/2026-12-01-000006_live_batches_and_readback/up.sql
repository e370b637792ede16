-- docs/SECURITY.md S4: live results advance in batches of at least
-- `live_results_min_batch` ballot writes, so no two published live results
-- differ by a single ballot. docs/SECURITY.md S3: `ballot_readback` says
-- whether a voter's credential reads back the ranking (`full`) or only the
-- receipt and time (`receipt_only`). Both are fixed once voting opens.
ALTER TABLE contests
    ADD COLUMN live_results_min_batch integer NOT NULL DEFAULT 5
        CONSTRAINT contests_live_results_min_batch_check
        CHECK (live_results_min_batch BETWEEN 1 AND 1000),
    ADD COLUMN ballot_readback text NOT NULL DEFAULT 'full'
        CONSTRAINT contests_ballot_readback_check
        CHECK (ballot_readback IN ('full', 'receipt_only'));

-- The live ballot state last published per contest: `version` is the largest
-- ballot version it counted (0: the state without ballots), `seq` numbers the
-- contest's publications (the results stream's event ids). A new state is
-- published only when at least `live_results_min_batch` ballot rows carry a
-- version above `version` (or none does: then the ballots are the same). Every
-- method's live row in `result_cache` is counted from a published state.
CREATE TABLE live_results (
    contest_id    uuid PRIMARY KEY REFERENCES contests (id) ON DELETE CASCADE,
    seq           bigint NOT NULL CHECK (seq >= 1),
    version       bigint NOT NULL CHECK (version >= 0),
    phase         text NOT NULL CHECK (phase IN ('draft', 'suggesting', 'voting', 'closed')),
    published_at  timestamptz NOT NULL
);

-- The publication (`live_results.seq`) a cached row belongs to; a final row
-- has the next number after the last live one.
ALTER TABLE result_cache ADD COLUMN seq bigint NOT NULL DEFAULT 0 CHECK (seq >= 0);
-- Live rows counted before this rule may show any ballot state: count again.
DELETE FROM result_cache WHERE NOT final;
