//! Every migration runs up, down and up again to the same schema.

use diesel::prelude::*;
use diesel::sql_types::Text;
use diesel_migrations::MigrationHarness;

use crate::helpers::fresh_db;

#[derive(QueryableByName, PartialEq, Eq, Debug)]
struct Line {
    #[diesel(sql_type = Text)]
    line: String,
}

/// A textual description of the public schema: columns, constraints, indexes,
/// triggers and functions.
fn schema(conn: &mut PgConnection) -> Vec<String> {
    let query = r#"
        SELECT 'column ' || table_name || '.' || column_name || ' ' || data_type || ' ' || is_nullable
               || ' ' || coalesce(column_default, '') AS line
          FROM information_schema.columns WHERE table_schema = 'public'
        UNION ALL
        SELECT 'constraint ' || conrelid::regclass::text || ' ' || conname || ' ' || pg_get_constraintdef(oid)
          FROM pg_constraint WHERE connamespace = 'public'::regnamespace
        UNION ALL
        SELECT 'index ' || indexname || ' ' || indexdef FROM pg_indexes WHERE schemaname = 'public'
        UNION ALL
        SELECT 'trigger ' || tgname || ' ' || pg_get_triggerdef(oid) FROM pg_trigger WHERE NOT tgisinternal
        UNION ALL
        SELECT 'function ' || proname FROM pg_proc WHERE pronamespace = 'public'::regnamespace
        ORDER BY 1"#;
    diesel::sql_query(query)
        .load::<Line>(conn)
        .unwrap()
        .into_iter()
        .map(|l| l.line)
        .filter(|l| !l.contains("__diesel_schema_migrations"))
        .collect()
}

#[test]
fn migrations_run_up_down_and_up_again_to_the_same_schema() {
    let db = fresh_db();
    let mut conn = db.connect();
    let migrated = schema(&mut conn);
    assert!(migrated.iter().any(|l| l.starts_with("column contests.")));

    conn.revert_all_migrations(christen::db::MIGRATIONS)
        .unwrap();
    assert_eq!(
        schema(&mut conn),
        Vec::<String>::new(),
        "down.sql leaves nothing behind"
    );

    christen::db::run_migrations(&mut conn).unwrap();
    assert_eq!(schema(&mut conn), migrated);
}

#[derive(QueryableByName, Debug)]
struct KeyRow {
    #[diesel(sql_type = Text)]
    name: String,
    #[diesel(sql_type = Text)]
    dedupe_key: String,
    #[diesel(sql_type = diesel::sql_types::SmallInt)]
    key_version: i16,
}

#[test]
fn keys_made_by_older_rules_are_recomputed_after_migrating_without_merging_two_names() {
    let app = crate::helpers::spawn_app();
    let contest = app.suggesting_contest(serde_json::json!({ "moderation": "post" }));
    // Rows as version 1 of the rules left them (the helper stores lower(name)).
    app.insert_suggestion(&contest, "The Shelf Life", "approved");
    app.insert_suggestion(&contest, "Sh\u{0435}lf Life", "approved");
    let mut conn = app.db.connect();
    christen::db::run_migrations(&mut conn).unwrap();
    let rows: Vec<KeyRow> = diesel::sql_query(
        "SELECT name, dedupe_key, key_version FROM suggestions ORDER BY candidate_no",
    )
    .load(&mut conn)
    .unwrap();
    assert!(rows
        .iter()
        .all(|r| r.key_version == christen::domain::DEDUPE_KEY_VERSION));
    assert_eq!(
        rows[0].dedupe_key,
        christen::domain::dedupe_key("Shelf Life")
    );
    // The look-alike would now share that key: it keeps its own, so two names
    // suggested apart stay two (an admin may merge them).
    assert_eq!(
        rows[1].dedupe_key, "sh\u{0435}lf life",
        "{:?}",
        rows[1].name
    );
    // New suggestions are checked by the new rules.
    let voter = app.voter_token(&contest);
    let res = app.suggest(&contest, &voter, "SHELF-LIFE");
    assert_eq!(res.status(), 409);
}
