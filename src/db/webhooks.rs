//! An organisation's webhook endpoints and what their deliveries did. The
//! outbox and the delivery queue are `db::outbox`.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use uuid::Uuid;

use super::schema::{webhook_deliveries, webhook_endpoints, webhook_events};

/// An endpoint as stored. `secret_salt` is not the signing secret: the service
/// derives that from the salt and the server secret.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = webhook_endpoints)]
pub struct EndpointRow {
    pub id: Uuid,
    pub org_id: Uuid,
    pub url: String,
    pub events: Vec<String>,
    pub description: String,
    pub secret_salt: Vec<u8>,
    pub enabled: bool,
    pub failing_since: Option<DateTime<Utc>>,
    pub disabled_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Insertable)]
#[diesel(table_name = webhook_endpoints)]
pub struct NewEndpoint<'a> {
    pub id: Uuid,
    pub org_id: Uuid,
    pub url: &'a str,
    pub events: &'a [String],
    pub description: &'a str,
    pub secret_salt: &'a [u8],
}

pub fn insert(conn: &mut PgConnection, new: &NewEndpoint<'_>) -> QueryResult<EndpointRow> {
    diesel::insert_into(webhook_endpoints::table)
        .values(new)
        .returning(EndpointRow::as_returning())
        .get_result(conn)
}

/// The organisation's endpoints, oldest first.
pub fn list_for_org(conn: &mut PgConnection, org_id: Uuid) -> QueryResult<Vec<EndpointRow>> {
    webhook_endpoints::table
        .filter(webhook_endpoints::org_id.eq(org_id))
        .order((
            webhook_endpoints::created_at.asc(),
            webhook_endpoints::id.asc(),
        ))
        .select(EndpointRow::as_select())
        .load(conn)
}

/// The organisation's endpoint `id`; another organisation's is `None`.
pub fn find_for_org(
    conn: &mut PgConnection,
    org_id: Uuid,
    id: Uuid,
) -> QueryResult<Option<EndpointRow>> {
    webhook_endpoints::table
        .filter(webhook_endpoints::id.eq(id))
        .filter(webhook_endpoints::org_id.eq(org_id))
        .select(EndpointRow::as_select())
        .first(conn)
        .optional()
}

/// Deletes the organisation's endpoint `id` with its deliveries; `None` when it
/// has no such endpoint.
pub fn delete_for_org(
    conn: &mut PgConnection,
    org_id: Uuid,
    id: Uuid,
) -> QueryResult<Option<EndpointRow>> {
    diesel::delete(
        webhook_endpoints::table
            .filter(webhook_endpoints::id.eq(id))
            .filter(webhook_endpoints::org_id.eq(org_id)),
    )
    .returning(EndpointRow::as_returning())
    .get_result(conn)
    .optional()
}

/// One delivery as admins see it.
#[derive(Debug, Clone, Queryable)]
pub struct DeliveryRow {
    pub id: Uuid,
    pub seq: i64,
    pub event_id: Uuid,
    pub event_type: String,
    pub contest_id: Option<Uuid>,
    pub status: String,
    pub attempts: i32,
    pub next_attempt_at: DateTime<Utc>,
    pub last_attempt_at: Option<DateTime<Utc>>,
    pub last_status_code: Option<i32>,
    pub last_error: Option<String>,
    pub last_response: Option<String>,
    pub delivered_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

/// An endpoint's deliveries, newest first, those before `before` (a `seq`)
/// when given, at most `limit`.
pub fn deliveries(
    conn: &mut PgConnection,
    endpoint_id: Uuid,
    before: Option<i64>,
    limit: i64,
) -> QueryResult<Vec<DeliveryRow>> {
    let mut query = webhook_deliveries::table
        .inner_join(webhook_events::table)
        .filter(webhook_deliveries::endpoint_id.eq(endpoint_id))
        .into_boxed();
    if let Some(before) = before {
        query = query.filter(webhook_deliveries::seq.lt(before));
    }
    query
        .order(webhook_deliveries::seq.desc())
        .limit(limit)
        .select((
            webhook_deliveries::id,
            webhook_deliveries::seq,
            webhook_deliveries::event_id,
            webhook_events::type_,
            webhook_deliveries::contest_id,
            webhook_deliveries::status,
            webhook_deliveries::attempts,
            webhook_deliveries::next_attempt_at,
            webhook_deliveries::last_attempt_at,
            webhook_deliveries::last_status_code,
            webhook_deliveries::last_error,
            webhook_deliveries::last_response,
            webhook_deliveries::delivered_at,
            webhook_deliveries::created_at,
        ))
        .load(conn)
}

/// Locks the organisation's row for the rest of the transaction (registrations
/// of one organisation one after another, so its endpoint limit holds).
pub fn lock_org(conn: &mut PgConnection, org_id: Uuid) -> QueryResult<()> {
    use super::schema::organisations;
    organisations::table
        .filter(organisations::id.eq(org_id))
        .select(organisations::id)
        .for_update()
        .first::<Uuid>(conn)
        .optional()
        .map(|_| ())
}
