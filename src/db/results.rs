//! The shared result cache: one row per (contest, method) holding the result for
//! one ballot version. See migration `2026-11-27-000003_ballots` and
//! `app::results` for the rules.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::Bool;

use super::enums::MethodColumn;
use super::schema::result_cache;
use crate::domain::ContestId;
use crate::tally::Method;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = result_cache)]
pub struct CachedResult {
    pub contest_id: uuid::Uuid,
    #[diesel(deserialize_as = MethodColumn)]
    pub method: Method,
    pub version: i64,
    pub final_: bool,
    pub body: String,
    pub etag: String,
    pub computed_at: DateTime<Utc>,
}

pub fn find(
    conn: &mut PgConnection,
    contest_id: ContestId,
    method: Method,
) -> QueryResult<Option<CachedResult>> {
    result_cache::table
        .find((contest_id.0, MethodColumn(method)))
        .select(CachedResult::as_select())
        .first(conn)
        .optional()
}

/// Stores a computed result unless a final one is there already, or a newer one
/// (a later version, or the same version computed later) was stored meanwhile by
/// another request or instance. Returns the row that is stored afterwards.
pub fn store(conn: &mut PgConnection, row: &CachedResult) -> QueryResult<CachedResult> {
    use diesel::sql_types::{Int8, Text, Timestamptz, Uuid as SqlUuid};
    #[derive(QueryableByName)]
    struct Stored {
        #[diesel(sql_type = SqlUuid)]
        contest_id: uuid::Uuid,
        #[diesel(sql_type = Text, deserialize_as = MethodColumn)]
        method: Method,
        #[diesel(sql_type = Int8)]
        version: i64,
        #[diesel(sql_type = Bool)]
        is_final: bool,
        #[diesel(sql_type = Text)]
        body: String,
        #[diesel(sql_type = Text)]
        etag: String,
        #[diesel(sql_type = Timestamptz)]
        computed_at: DateTime<Utc>,
    }
    let stored: Option<Stored> = diesel::sql_query(
        "INSERT INTO result_cache AS r (contest_id, method, version, final, body, etag, computed_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7)
         ON CONFLICT (contest_id, method) DO UPDATE
            SET version = EXCLUDED.version, final = EXCLUDED.final, body = EXCLUDED.body,
                etag = EXCLUDED.etag, computed_at = EXCLUDED.computed_at
          WHERE NOT r.final
            AND (EXCLUDED.final OR r.version < EXCLUDED.version
                 OR (r.version = EXCLUDED.version AND r.computed_at < EXCLUDED.computed_at))
         RETURNING contest_id, method, version, final AS is_final, body, etag, computed_at",
    )
    .bind::<SqlUuid, _>(row.contest_id)
    .bind::<Text, _>(MethodColumn(row.method))
    .bind::<Int8, _>(row.version)
    .bind::<Bool, _>(row.final_)
    .bind::<Text, _>(&row.body)
    .bind::<Text, _>(&row.etag)
    .bind::<Timestamptz, _>(row.computed_at)
    .get_result(conn)
    .optional()?;
    match stored {
        Some(s) => Ok(CachedResult {
            contest_id: s.contest_id,
            method: s.method,
            version: s.version,
            final_: s.is_final,
            body: s.body,
            etag: s.etag,
            computed_at: s.computed_at,
        }),
        None => find(conn, ContestId(row.contest_id), row.method)?
            .ok_or(diesel::result::Error::NotFound),
    }
}

/// Locks the contest row against ballot writes (`FOR UPDATE` conflicts with the
/// `FOR KEY SHARE` every ballot write holds), waiting for those in flight, and
/// says whether the contest is closed by the database's clock. When it is closed
/// by its schedule only, stores the phase `closed`, so that ballot writes that
/// were waiting for the lock re-check the phase and are refused. Call inside a
/// transaction; once it commits with `true`, the contest's ballots are final.
pub fn lock_and_close_if_due(conn: &mut PgConnection, contest_id: ContestId) -> QueryResult<bool> {
    #[derive(QueryableByName)]
    struct Closed {
        #[diesel(sql_type = Bool)]
        closed: bool,
    }
    let row: Option<Closed> = diesel::sql_query(
        "SELECT (phase = 'closed' OR voting_close_at <= clock_timestamp()) AS closed
           FROM contests WHERE id = $1 FOR UPDATE",
    )
    .bind::<diesel::sql_types::Uuid, _>(contest_id.0)
    .get_result(conn)
    .optional()?;
    let closed = row.is_some_and(|r| r.closed);
    if closed {
        diesel::sql_query(
            "UPDATE contests SET phase = 'closed' WHERE id = $1 AND phase <> 'closed'",
        )
        .bind::<diesel::sql_types::Uuid, _>(contest_id.0)
        .execute(conn)?;
    }
    Ok(closed)
}
