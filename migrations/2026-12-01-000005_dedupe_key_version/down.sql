ALTER TABLE suggestions DROP COLUMN key_version;
