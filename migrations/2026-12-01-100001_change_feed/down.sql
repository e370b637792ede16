DROP TRIGGER contest_changes_suggestions ON suggestions;
DROP TRIGGER contest_changes_contests ON contests;
DROP FUNCTION contest_changes_note_suggestion();
DROP FUNCTION contest_changes_note_contest();
DROP TABLE contest_changes;
DROP INDEX ballots_version_idx;
