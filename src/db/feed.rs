//! What the change feed (`app::feed`) reads: the ballot rows written and the
//! contest changes noted (table `contest_changes`, filled by triggers) since a
//! position, in one statement; and where the primary's WAL and a replica's
//! replay stand. See migration `2026-12-01-100001_change_feed`.

use diesel::prelude::*;
use diesel::sql_types::{BigInt, Bool, Nullable, Text, Uuid as SqlUuid};

/// One thing the feed read: a ballot row written (`version` > 0) or a contest
/// change noted (`seq` > 0).
#[derive(Debug, Clone, QueryableByName)]
pub struct Change {
    #[diesel(sql_type = SqlUuid)]
    pub contest_id: uuid::Uuid,
    #[diesel(sql_type = BigInt)]
    pub version: i64,
    #[diesel(sql_type = BigInt)]
    pub seq: i64,
    /// The primary's WAL position when it was read: the change is at or
    /// before it.
    #[diesel(sql_type = Text)]
    pub lsn: String,
}

/// Where the feed starts: the largest ballot version and change number now
/// (two backward index probes).
pub fn position(conn: &mut PgConnection) -> QueryResult<(i64, i64)> {
    #[derive(QueryableByName)]
    struct Row {
        #[diesel(sql_type = BigInt)]
        version: i64,
        #[diesel(sql_type = BigInt)]
        seq: i64,
    }
    let r: Row = diesel::sql_query(
        "SELECT coalesce((SELECT max(version) FROM ballots), 0) AS version,
                coalesce((SELECT max(seq) FROM contest_changes), 0) AS seq",
    )
    .get_result(conn)?;
    Ok((r.version, r.seq))
}

/// The ballot rows written after ballot version `version` and the changes
/// noted after `seq`, at most `limit` of each; one statement (one
/// transaction), two index range scans.
pub fn since(
    conn: &mut PgConnection,
    version: i64,
    seq: i64,
    limit: i64,
) -> QueryResult<Vec<Change>> {
    diesel::sql_query(
        "SELECT c.contest_id, c.version, c.seq, pg_current_wal_insert_lsn()::text AS lsn FROM (
           (SELECT contest_id, version, 0::int8 AS seq FROM ballots
             WHERE version > $1 ORDER BY version LIMIT $3)
           UNION ALL
           (SELECT contest_id, 0::int8 AS version, seq FROM contest_changes
             WHERE seq > $2 ORDER BY seq LIMIT $3)) AS c",
    )
    .bind::<BigInt, _>(version)
    .bind::<BigInt, _>(seq)
    .bind::<BigInt, _>(limit)
    .load(conn)
}

/// Forgets changes noted more than `secs` seconds ago.
pub fn prune(conn: &mut PgConnection, secs: i64) -> QueryResult<usize> {
    diesel::sql_query(
        "DELETE FROM contest_changes WHERE changed_at < now() - make_interval(secs => $1)",
    )
    .bind::<diesel::sql_types::Double, _>(secs as f64)
    .execute(conn)
}

/// The primary's current WAL insert position (`pg_current_wal_insert_lsn`:
/// past every committed record, even one committed asynchronously and not yet
/// written), as text.
pub fn current_lsn(conn: &mut PgConnection) -> QueryResult<String> {
    #[derive(QueryableByName)]
    struct Row {
        #[diesel(sql_type = Text)]
        lsn: String,
    }
    let r: Row =
        diesel::sql_query("SELECT pg_current_wal_insert_lsn()::text AS lsn").get_result(conn)?;
    Ok(r.lsn)
}

/// Whether this server has replayed the WAL up to `lsn`: always on a server
/// that is not a replica (`pg_last_wal_replay_lsn` is NULL there).
pub fn replayed(conn: &mut PgConnection, lsn: &str) -> QueryResult<bool> {
    #[derive(QueryableByName)]
    struct Row {
        #[diesel(sql_type = Nullable<Bool>)]
        done: Option<bool>,
    }
    let r: Row = diesel::sql_query(
        "SELECT CASE WHEN pg_is_in_recovery()
                     THEN pg_last_wal_replay_lsn() >= $1::pg_lsn
                     ELSE true END AS done",
    )
    .bind::<Text, _>(lsn)
    .get_result(conn)?;
    Ok(r.done.unwrap_or(false))
}
