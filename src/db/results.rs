//! The shared result cache: one row per (contest, method) holding the result for
//! one ballot version, and the live ballot state last published per contest
//! (`live_results`). See migrations `2026-11-27-000003_ballots` and
//! `2026-12-01-000006_live_batches_and_readback`, and `app::results` for the
//! rules.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::Bool;

use super::enums::{MethodColumn, PhaseColumn};
use super::schema::{live_results, result_cache};
use crate::domain::{ContestId, Phase};
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
    /// The contest's publication this row belongs to (`live_results.seq`; a
    /// final row: one past the last live one).
    pub seq: i64,
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

/// Stores a computed result unless a final one is there already, or one of a
/// later publication (`seq`) was stored meanwhile by another request or
/// instance. Returns the row that is stored afterwards.
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
        #[diesel(sql_type = Int8)]
        seq: i64,
    }
    let stored: Option<Stored> = diesel::sql_query(
        "INSERT INTO result_cache AS r
                (contest_id, method, version, final, body, etag, computed_at, seq)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
         ON CONFLICT (contest_id, method) DO UPDATE
            SET version = EXCLUDED.version, final = EXCLUDED.final, body = EXCLUDED.body,
                etag = EXCLUDED.etag, computed_at = EXCLUDED.computed_at, seq = EXCLUDED.seq
          WHERE NOT r.final AND (EXCLUDED.final OR r.seq < EXCLUDED.seq)
         RETURNING contest_id, method, version, final AS is_final, body, etag, computed_at, seq",
    )
    .bind::<SqlUuid, _>(row.contest_id)
    .bind::<Text, _>(MethodColumn(row.method))
    .bind::<Int8, _>(row.version)
    .bind::<Bool, _>(row.final_)
    .bind::<Text, _>(&row.body)
    .bind::<Text, _>(&row.etag)
    .bind::<Timestamptz, _>(row.computed_at)
    .bind::<Int8, _>(row.seq)
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
            seq: s.seq,
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

/// The live ballot state last published for a contest (docs/SECURITY.md S4):
/// every live row of `result_cache` was counted from one of these.
#[derive(Debug, Clone, Copy, Queryable, Selectable)]
#[diesel(table_name = live_results)]
pub struct Publication {
    /// Numbers the contest's publications, from 1.
    pub seq: i64,
    /// The largest ballot version counted (0: no ballot was).
    pub version: i64,
    /// The phase it was counted in.
    #[diesel(deserialize_as = PhaseColumn)]
    pub phase: Phase,
    pub published_at: DateTime<Utc>,
}

pub fn publication(
    conn: &mut PgConnection,
    contest_id: ContestId,
) -> QueryResult<Option<Publication>> {
    live_results::table
        .find(contest_id.0)
        .select(Publication::as_select())
        .first(conn)
        .optional()
}

/// How many of the contest's ballot rows were written (cast, replaced or
/// withdrawn: each stamps a fresh version) after ballot version `version`,
/// counting no further than `limit` (an index range scan of at most `limit`
/// entries).
pub fn writes_since(
    conn: &mut PgConnection,
    contest_id: ContestId,
    version: i64,
    limit: i64,
) -> QueryResult<i64> {
    use super::schema::ballots;
    let versions: Vec<i64> = ballots::table
        .filter(ballots::contest_id.eq(contest_id.0))
        .filter(ballots::version.gt(version))
        .select(ballots::version)
        .limit(limit)
        .load(conn)?;
    Ok(versions.len() as i64)
}

/// Records a new publication if `after` is still the contest's last one
/// (`None`: there is none yet) — so of two concurrent counts only one is
/// published. Returns the new `seq`, or `None` when another won.
pub fn publish(
    conn: &mut PgConnection,
    contest_id: ContestId,
    after: Option<i64>,
    version: i64,
    phase: Phase,
    at: DateTime<Utc>,
) -> QueryResult<Option<i64>> {
    let seq: Option<i64> = match after {
        None => diesel::insert_into(live_results::table)
            .values((
                live_results::contest_id.eq(contest_id.0),
                live_results::seq.eq(1i64),
                live_results::version.eq(version),
                live_results::phase.eq(PhaseColumn(phase)),
                live_results::published_at.eq(at),
            ))
            .on_conflict_do_nothing()
            .returning(live_results::seq)
            .get_result(conn)
            .optional()?,
        Some(seq) => diesel::update(
            live_results::table
                .filter(live_results::contest_id.eq(contest_id.0))
                .filter(live_results::seq.eq(seq)),
        )
        .set((
            live_results::seq.eq(seq + 1),
            live_results::version.eq(version),
            live_results::phase.eq(PhaseColumn(phase)),
            live_results::published_at.eq(at),
        ))
        .returning(live_results::seq)
        .get_result(conn)
        .optional()?,
    };
    Ok(seq)
}

/// The `seq` a final result of the contest takes: one past its last live
/// publication.
pub fn final_seq(conn: &mut PgConnection, contest_id: ContestId) -> QueryResult<i64> {
    Ok(publication(conn, contest_id)?.map_or(0, |p| p.seq) + 1)
}
