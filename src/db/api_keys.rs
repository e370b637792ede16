//! API keys: stored as a hash, revoked by stamping `revoked_at`.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use uuid::Uuid;

use super::schema::api_keys;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = api_keys)]
pub struct ApiKeyRow {
    pub id: Uuid,
    pub org_id: Uuid,
    pub name: String,
    pub key_prefix: String,
    pub created_at: DateTime<Utc>,
    pub revoked_at: Option<DateTime<Utc>>,
}

pub fn insert(
    conn: &mut PgConnection,
    id: Uuid,
    org_id: Uuid,
    name: &str,
    hash: &[u8; 32],
    prefix: &str,
) -> QueryResult<ApiKeyRow> {
    diesel::insert_into(api_keys::table)
        .values((
            api_keys::id.eq(id),
            api_keys::org_id.eq(org_id),
            api_keys::name.eq(name),
            api_keys::key_hash.eq(hash.as_slice()),
            api_keys::key_prefix.eq(prefix),
        ))
        .returning(ApiKeyRow::as_returning())
        .get_result(conn)
}

/// The live (not revoked) key with this hash. One index probe: this runs on
/// every admin request, so a revocation takes effect at once on every instance.
pub fn find_live_by_hash(
    conn: &mut PgConnection,
    hash: &[u8; 32],
) -> QueryResult<Option<ApiKeyRow>> {
    api_keys::table
        .filter(api_keys::key_hash.eq(hash.as_slice()))
        .filter(api_keys::revoked_at.is_null())
        .select(ApiKeyRow::as_select())
        .first(conn)
        .optional()
}

/// The organisation's keys, newest first, revoked ones included.
pub fn list_for_org(conn: &mut PgConnection, org_id: Uuid) -> QueryResult<Vec<ApiKeyRow>> {
    api_keys::table
        .filter(api_keys::org_id.eq(org_id))
        .order((api_keys::created_at.desc(), api_keys::id.desc()))
        .select(ApiKeyRow::as_select())
        .load(conn)
}

/// The organisation's keys, locked until the end of the transaction, so two
/// concurrent revocations cannot both pass the "not the last key" check.
pub fn list_for_org_for_update(
    conn: &mut PgConnection,
    org_id: Uuid,
) -> QueryResult<Vec<ApiKeyRow>> {
    api_keys::table
        .filter(api_keys::org_id.eq(org_id))
        .order((api_keys::created_at.desc(), api_keys::id.desc()))
        .for_update()
        .select(ApiKeyRow::as_select())
        .load(conn)
}

/// Revokes one of the organisation's keys. `None` when the organisation has no
/// such key; a key revoked before keeps its first revocation time.
pub fn revoke(conn: &mut PgConnection, org_id: Uuid, id: Uuid) -> QueryResult<Option<ApiKeyRow>> {
    let revoked = diesel::update(
        api_keys::table
            .filter(api_keys::id.eq(id))
            .filter(api_keys::org_id.eq(org_id))
            .filter(api_keys::revoked_at.is_null()),
    )
    .set(api_keys::revoked_at.eq(diesel::dsl::now))
    .returning(ApiKeyRow::as_returning())
    .get_result(conn)
    .optional()?;
    match revoked {
        Some(row) => Ok(Some(row)),
        None => api_keys::table
            .filter(api_keys::id.eq(id))
            .filter(api_keys::org_id.eq(org_id))
            .select(ApiKeyRow::as_select())
            .first(conn)
            .optional(),
    }
}
