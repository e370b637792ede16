DROP TABLE allowed_origins;
