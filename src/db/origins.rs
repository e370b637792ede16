//! Allowed origins: the web sites an organisation lets call the JSON API from a
//! browser (CORS) and frame its embed pages (CSP `frame-ancestors`).

use diesel::prelude::*;
use uuid::Uuid;

use super::schema::{allowed_origins, contests};
use crate::domain::{ContestId, OrgId};

/// The organisation's origins, sorted.
pub fn list(conn: &mut PgConnection, org: OrgId) -> QueryResult<Vec<String>> {
    allowed_origins::table
        .filter(allowed_origins::org_id.eq(org.0))
        .order(allowed_origins::origin.asc())
        .select(allowed_origins::origin)
        .load(conn)
}

/// Replaces the organisation's list with `origins` (already normalised and
/// deduplicated). Call inside a transaction.
pub fn replace(conn: &mut PgConnection, org: OrgId, origins: &[String]) -> QueryResult<()> {
    diesel::delete(allowed_origins::table.filter(allowed_origins::org_id.eq(org.0)))
        .execute(conn)?;
    let rows: Vec<_> = origins
        .iter()
        .map(|o| {
            (
                allowed_origins::org_id.eq(org.0),
                allowed_origins::origin.eq(o),
            )
        })
        .collect();
    diesel::insert_into(allowed_origins::table)
        .values(rows)
        .execute(conn)?;
    Ok(())
}

/// Whether the organisation allows `origin`.
pub fn org_allows(conn: &mut PgConnection, org: Uuid, origin: &str) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(
        allowed_origins::table
            .filter(allowed_origins::org_id.eq(org))
            .filter(allowed_origins::origin.eq(origin)),
    ))
    .get_result(conn)
}

/// Whether the organisation owning the contest allows `origin` (false for an
/// unknown contest).
pub fn contest_allows(conn: &mut PgConnection, contest: Uuid, origin: &str) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(
        allowed_origins::table
            .inner_join(contests::table.on(contests::org_id.eq(allowed_origins::org_id)))
            .filter(contests::id.eq(contest))
            .filter(allowed_origins::origin.eq(origin)),
    ))
    .get_result(conn)
}

/// Whether any organisation allows `origin` (for preflights that carry no
/// credentials and name no contest).
pub fn any_allows(conn: &mut PgConnection, origin: &str) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(
        allowed_origins::table.filter(allowed_origins::origin.eq(origin)),
    ))
    .get_result(conn)
}

/// The origins allowed by the organisation owning the contest.
pub fn for_contest(conn: &mut PgConnection, contest: ContestId) -> QueryResult<Vec<String>> {
    allowed_origins::table
        .inner_join(contests::table.on(contests::org_id.eq(allowed_origins::org_id)))
        .filter(contests::id.eq(contest.0))
        .order(allowed_origins::origin.asc())
        .select(allowed_origins::origin)
        .load(conn)
}
