DROP TABLE result_cache;
DROP TABLE ballots;
DROP FUNCTION ballot_ranking_is_strict(int4[]);
