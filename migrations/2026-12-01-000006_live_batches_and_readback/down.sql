ALTER TABLE result_cache DROP COLUMN seq;
DROP TABLE live_results;
ALTER TABLE contests
    DROP COLUMN ballot_readback,
    DROP COLUMN live_results_min_batch;
