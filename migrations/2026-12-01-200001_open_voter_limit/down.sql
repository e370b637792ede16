ALTER TABLE contests DROP COLUMN open_voter_limit;
