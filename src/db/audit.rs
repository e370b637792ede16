//! The append-only audit log of admin actions.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use uuid::Uuid;

use super::schema::audit_log;

#[derive(Debug, Clone, Queryable, Selectable, serde::Serialize)]
#[diesel(table_name = audit_log)]
pub struct AuditRow {
    pub id: i64,
    #[serde(skip)]
    pub org_id: Uuid,
    pub contest_id: Option<Uuid>,
    pub actor: String,
    pub action: String,
    pub details: serde_json::Value,
    pub at: DateTime<Utc>,
}

/// Who did something: an API key (`key:<id>`) or the command line (`cli`).
pub fn actor_for_key(key_id: Uuid) -> String {
    format!("key:{key_id}")
}

/// Appends one entry. Call it inside the transaction of the action it records.
pub fn record(
    conn: &mut PgConnection,
    org_id: Uuid,
    contest_id: Option<Uuid>,
    actor: &str,
    action: &str,
    details: serde_json::Value,
) -> QueryResult<()> {
    diesel::insert_into(audit_log::table)
        .values((
            audit_log::org_id.eq(org_id),
            audit_log::contest_id.eq(contest_id),
            audit_log::actor.eq(actor),
            audit_log::action.eq(action),
            audit_log::details.eq(details),
        ))
        .execute(conn)
        .map(|_| ())
}

/// A contest's entries in the order they happened, after entry `after` (for paging).
pub fn list_for_contest(
    conn: &mut PgConnection,
    contest_id: Uuid,
    after: i64,
    limit: i64,
) -> QueryResult<Vec<AuditRow>> {
    audit_log::table
        .filter(audit_log::contest_id.eq(contest_id))
        .filter(audit_log::id.gt(after))
        .order(audit_log::id.asc())
        .limit(limit)
        .select(AuditRow::as_select())
        .load(conn)
}

/// The organisation's entries (contests' and the organisation's own) in the order
/// they happened, after entry `after` (for paging).
pub fn list_for_org(
    conn: &mut PgConnection,
    org_id: Uuid,
    after: i64,
    limit: i64,
) -> QueryResult<Vec<AuditRow>> {
    audit_log::table
        .filter(audit_log::org_id.eq(org_id))
        .filter(audit_log::id.gt(after))
        .order(audit_log::id.asc())
        .limit(limit)
        .select(AuditRow::as_select())
        .load(conn)
}
