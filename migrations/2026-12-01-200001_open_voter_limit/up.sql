-- Open-electorate voter tokens one client address may get per window, per
-- contest: a school or a library shares one public address, so a class voting
-- together needs more than the service's default. NULL: the service's default
-- (CHRISTEN_OPEN_VOTER_LIMIT); 0: no limit.
ALTER TABLE contests
    ADD COLUMN open_voter_limit integer
        CONSTRAINT contests_open_voter_limit_check
        CHECK (open_voter_limit BETWEEN 0 AND 100000);
