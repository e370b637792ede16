-- Which rules computed each suggestion's dedupe key (domain::DEDUPE_KEY_VERSION).
-- Version 2 folds look-alike characters (UTS #39 skeletons) and drops invisible
-- ones; keys of version 1 are recomputed by the service right after migrating
-- (db::suggestions::rekey), since the rules live in Rust, not in SQL.
ALTER TABLE suggestions
    ADD COLUMN key_version smallint NOT NULL DEFAULT 1 CHECK (key_version >= 1);
