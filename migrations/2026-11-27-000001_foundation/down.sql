DROP TRIGGER audit_log_no_update ON audit_log;
DROP FUNCTION audit_log_append_only();
DROP TABLE audit_log;
DROP TABLE contests;
DROP TABLE api_keys;
DROP TABLE organisations;
