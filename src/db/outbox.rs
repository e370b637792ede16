//! The webhook outbox and its delivery queue.
//!
//! - An event is written in the transaction of the change it announces, with
//!   one delivery row per enabled endpoint of the organisation that subscribed
//!   to its type (none, and no event, when no endpoint wants it).
//! - Workers on any instance claim due deliveries with `FOR UPDATE SKIP LOCKED`
//!   and lease them (`next_attempt_at` moves past the attempt's end), so one
//!   delivery is attempted by one worker at a time; a worker that dies leaves
//!   its lease to lapse and the delivery is retried (at least once).
//! - In order per contest: a delivery is not claimed while an earlier one
//!   (`seq`) of the same endpoint and contest is pending. Events of one contest
//!   are written under that contest's row lock, so their `seq` order is their
//!   commit order.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{
    BigInt, Bool, Bytea, Double, Integer, Nullable, Text, Timestamptz, Uuid as SqlUuid,
};
use uuid::Uuid;

/// An event to write to the outbox.
pub struct NewEvent<'a> {
    pub id: Uuid,
    pub org_id: Uuid,
    pub contest_id: Option<Uuid>,
    pub event_type: &'a str,
    /// The JSON body delivered, byte for byte, on every attempt.
    pub body: &'a str,
}

/// Writes `event` with a delivery for each enabled endpoint of its organisation
/// subscribed to its type; returns how many deliveries. Writes nothing when no
/// endpoint wants it, or when it is a contest's second `results.final`.
pub fn enqueue(conn: &mut PgConnection, event: &NewEvent<'_>) -> QueryResult<usize> {
    diesel::sql_query(
        "WITH event AS (
             INSERT INTO webhook_events (id, org_id, contest_id, type, body)
             SELECT $1, $2, $3, $4, $5
              WHERE EXISTS (SELECT 1 FROM webhook_endpoints w
                             WHERE w.org_id = $2 AND w.enabled AND $4 = ANY (w.events))
             ON CONFLICT DO NOTHING
             RETURNING id, org_id, contest_id, type)
         INSERT INTO webhook_deliveries (id, event_id, endpoint_id, org_id, contest_id)
         SELECT gen_random_uuid(), e.id, w.id, e.org_id, e.contest_id
           FROM event e
           JOIN webhook_endpoints w
             ON w.org_id = e.org_id AND w.enabled AND e.type = ANY (w.events)
          ORDER BY w.created_at, w.id",
    )
    .bind::<SqlUuid, _>(event.id)
    .bind::<SqlUuid, _>(event.org_id)
    .bind::<Nullable<SqlUuid>, _>(event.contest_id)
    .bind::<Text, _>(event.event_type)
    .bind::<Text, _>(event.body)
    .execute(conn)
}

/// Writes `event` with one delivery, to `endpoint_id` only (a test event).
pub fn enqueue_for(
    conn: &mut PgConnection,
    event: &NewEvent<'_>,
    endpoint_id: Uuid,
) -> QueryResult<Uuid> {
    #[derive(QueryableByName)]
    struct Id {
        #[diesel(sql_type = SqlUuid)]
        id: Uuid,
    }
    diesel::sql_query(
        "WITH event AS (
             INSERT INTO webhook_events (id, org_id, contest_id, type, body)
             VALUES ($1, $2, $3, $4, $5)
             RETURNING id, org_id, contest_id)
         INSERT INTO webhook_deliveries (id, event_id, endpoint_id, org_id, contest_id)
         SELECT gen_random_uuid(), e.id, $6, e.org_id, e.contest_id FROM event e
         RETURNING id",
    )
    .bind::<SqlUuid, _>(event.id)
    .bind::<SqlUuid, _>(event.org_id)
    .bind::<Nullable<SqlUuid>, _>(event.contest_id)
    .bind::<Text, _>(event.event_type)
    .bind::<Text, _>(event.body)
    .bind::<SqlUuid, _>(endpoint_id)
    .get_result::<Id>(conn)
    .map(|r| r.id)
}

/// A delivery claimed for one attempt.
#[derive(Debug, Clone, QueryableByName)]
pub struct Claimed {
    #[diesel(sql_type = SqlUuid)]
    pub id: Uuid,
    #[diesel(sql_type = SqlUuid)]
    pub event_id: Uuid,
    #[diesel(sql_type = SqlUuid)]
    pub endpoint_id: Uuid,
    #[diesel(sql_type = SqlUuid)]
    pub org_id: Uuid,
    /// This attempt's number (1 for the first).
    #[diesel(sql_type = Integer)]
    pub attempts: i32,
    #[diesel(sql_type = Timestamptz)]
    pub created_at: DateTime<Utc>,
    #[diesel(sql_type = Text)]
    pub body: String,
    #[diesel(sql_type = Text)]
    pub url: String,
    #[diesel(sql_type = Bytea)]
    pub secret_salt: Vec<u8>,
}

/// Claims up to `limit` due deliveries of enabled endpoints, each the earliest
/// pending one of its endpoint and contest, and leases them for `lease_secs`
/// (their attempt counted). Rows another worker holds are skipped.
pub fn claim(conn: &mut PgConnection, limit: i64, lease_secs: f64) -> QueryResult<Vec<Claimed>> {
    diesel::sql_query(
        "WITH claimed AS (
             UPDATE webhook_deliveries d
                SET attempts = d.attempts + 1,
                    last_attempt_at = now(),
                    next_attempt_at = now() + make_interval(secs => $2)
              WHERE d.id IN (
                    SELECT c.id FROM webhook_deliveries c
                     WHERE c.status = 'pending' AND c.next_attempt_at <= now()
                       AND EXISTS (SELECT 1 FROM webhook_endpoints w
                                    WHERE w.id = c.endpoint_id AND w.enabled)
                       AND NOT EXISTS (SELECT 1 FROM webhook_deliveries p
                                        WHERE p.endpoint_id = c.endpoint_id
                                          AND p.contest_id = c.contest_id
                                          AND p.status = 'pending' AND p.seq < c.seq)
                     ORDER BY c.next_attempt_at, c.seq
                     LIMIT $1
                       FOR UPDATE SKIP LOCKED)
             RETURNING d.id, d.event_id, d.endpoint_id, d.org_id, d.attempts, d.created_at)
         SELECT c.id, c.event_id, c.endpoint_id, c.org_id, c.attempts, c.created_at,
                e.body, w.url, w.secret_salt
           FROM claimed c
           JOIN webhook_events e ON e.id = c.event_id
           JOIN webhook_endpoints w ON w.id = c.endpoint_id",
    )
    .bind::<BigInt, _>(limit)
    .bind::<Double, _>(lease_secs)
    .load(conn)
}

/// What one attempt got back.
pub struct Outcome<'a> {
    pub status_code: Option<i32>,
    pub error: Option<&'a str>,
    /// At most the first KiB of the answer.
    pub response: Option<&'a str>,
}

/// Records a successful attempt (attempt `attempt` of delivery `id`, if no
/// other worker took it over since) and that its endpoint works.
pub fn record_success(
    conn: &mut PgConnection,
    claimed: &Claimed,
    outcome: &Outcome<'_>,
) -> QueryResult<()> {
    diesel::sql_query(
        "UPDATE webhook_deliveries
            SET status = 'delivered', delivered_at = now(), last_status_code = $3,
                last_error = NULL, last_response = $4
          WHERE id = $1 AND attempts = $2 AND status = 'pending'",
    )
    .bind::<SqlUuid, _>(claimed.id)
    .bind::<Integer, _>(claimed.attempts)
    .bind::<Nullable<Integer>, _>(outcome.status_code)
    .bind::<Nullable<Text>, _>(outcome.response)
    .execute(conn)?;
    diesel::sql_query("UPDATE webhook_endpoints SET failing_since = NULL WHERE id = $1")
        .bind::<SqlUuid, _>(claimed.endpoint_id)
        .execute(conn)?;
    Ok(())
}

/// Records a failed attempt: retried at `retry_at`, or failed for good when
/// `None`. Returns since when the endpoint has been failing.
pub fn record_failure(
    conn: &mut PgConnection,
    claimed: &Claimed,
    outcome: &Outcome<'_>,
    retry_at: Option<DateTime<Utc>>,
) -> QueryResult<Option<DateTime<Utc>>> {
    #[derive(QueryableByName)]
    struct Since {
        #[diesel(sql_type = Nullable<Timestamptz>)]
        failing_since: Option<DateTime<Utc>>,
    }
    diesel::sql_query(
        "UPDATE webhook_deliveries
            SET status = CASE WHEN $3::timestamptz IS NULL THEN 'failed' ELSE 'pending' END,
                next_attempt_at = coalesce($3, next_attempt_at),
                last_status_code = $4, last_error = left($5, 500), last_response = $6
          WHERE id = $1 AND attempts = $2 AND status = 'pending'",
    )
    .bind::<SqlUuid, _>(claimed.id)
    .bind::<Integer, _>(claimed.attempts)
    .bind::<Nullable<Timestamptz>, _>(retry_at)
    .bind::<Nullable<Integer>, _>(outcome.status_code)
    .bind::<Nullable<Text>, _>(outcome.error)
    .bind::<Nullable<Text>, _>(outcome.response)
    .execute(conn)?;
    let since: Option<Since> = diesel::sql_query(
        "UPDATE webhook_endpoints SET failing_since = coalesce(failing_since, now())
          WHERE id = $1 RETURNING failing_since",
    )
    .bind::<SqlUuid, _>(claimed.endpoint_id)
    .get_result(conn)
    .optional()?;
    Ok(since.and_then(|s| s.failing_since))
}

/// Whether endpoint `id` has had a delivery succeed since `since`.
pub fn delivered_since(
    conn: &mut PgConnection,
    endpoint_id: Uuid,
    since: DateTime<Utc>,
) -> QueryResult<bool> {
    #[derive(QueryableByName)]
    struct Any {
        #[diesel(sql_type = Bool)]
        any: bool,
    }
    diesel::sql_query(
        "SELECT EXISTS (SELECT 1 FROM webhook_deliveries
                         WHERE endpoint_id = $1 AND delivered_at >= $2) AS any",
    )
    .bind::<SqlUuid, _>(endpoint_id)
    .bind::<Timestamptz, _>(since)
    .get_result::<Any>(conn)
    .map(|a| a.any)
}

/// Disables an enabled endpoint and fails its pending deliveries; returns its
/// URL when it was enabled until now.
pub fn disable(conn: &mut PgConnection, endpoint_id: Uuid) -> QueryResult<Option<String>> {
    #[derive(QueryableByName)]
    struct Url {
        #[diesel(sql_type = Text)]
        url: String,
    }
    let url: Option<Url> = diesel::sql_query(
        "UPDATE webhook_endpoints SET enabled = false, disabled_at = now()
          WHERE id = $1 AND enabled RETURNING url",
    )
    .bind::<SqlUuid, _>(endpoint_id)
    .get_result(conn)
    .optional()?;
    if url.is_some() {
        diesel::sql_query(
            "UPDATE webhook_deliveries
                SET status = 'failed', last_error = 'the endpoint was disabled'
              WHERE endpoint_id = $1 AND status = 'pending'",
        )
        .bind::<SqlUuid, _>(endpoint_id)
        .execute(conn)?;
    }
    Ok(url.map(|u| u.url))
}

/// A contest whose ballots changed since `results.updated` last announced it.
#[derive(Debug, Clone, QueryableByName)]
pub struct ResultsChange {
    #[diesel(sql_type = SqlUuid)]
    pub contest_id: Uuid,
    #[diesel(sql_type = SqlUuid)]
    pub org_id: Uuid,
    #[diesel(sql_type = BigInt)]
    pub version: i64,
}

/// Open contests of organisations with an endpoint subscribed to
/// `results.updated` whose ballot version moved past the last announced one,
/// announced at least `debounce_secs` ago (or never). One index probe per
/// such contest; nothing on the ballot write path.
pub fn results_changes(
    conn: &mut PgConnection,
    debounce_secs: f64,
    limit: i64,
) -> QueryResult<Vec<ResultsChange>> {
    diesel::sql_query(
        "SELECT c.id AS contest_id, c.org_id, v.version
           FROM contests c
           CROSS JOIN LATERAL (SELECT max(b.version) AS version
                                 FROM ballots b WHERE b.contest_id = c.id) v
           LEFT JOIN webhook_result_marks m ON m.contest_id = c.id
          WHERE c.org_id IN (SELECT w.org_id FROM webhook_endpoints w
                              WHERE w.enabled AND 'results.updated' = ANY (w.events))
            AND c.phase <> 'closed'
            AND (c.voting_close_at IS NULL OR c.voting_close_at > now())
            AND v.version IS NOT NULL
            AND (m.contest_id IS NULL
                 OR (m.version < v.version
                     AND m.notified_at <= now() - make_interval(secs => $1)))
          LIMIT $2",
    )
    .bind::<Double, _>(debounce_secs)
    .bind::<BigInt, _>(limit)
    .load(conn)
}

/// Takes `FOR KEY SHARE` on a contest row: waits for a phase move or
/// moderation in flight (so this transaction's event follows theirs) without
/// blocking ballot writes.
pub fn share_contest(conn: &mut PgConnection, contest_id: Uuid) -> QueryResult<bool> {
    diesel::sql_query("SELECT 1 FROM contests WHERE id = $1 FOR KEY SHARE")
        .bind::<SqlUuid, _>(contest_id)
        .execute(conn)
        .map(|n| n > 0)
}

/// Marks `change` announced, unless another instance announced it (or a newer
/// version) less than `debounce_secs` ago; true when this call marked it.
pub fn mark_results_announced(
    conn: &mut PgConnection,
    change: &ResultsChange,
    debounce_secs: f64,
) -> QueryResult<bool> {
    diesel::sql_query(
        "INSERT INTO webhook_result_marks (contest_id, org_id, version, notified_at)
         VALUES ($1, $2, $3, now())
         ON CONFLICT (contest_id) DO UPDATE
            SET version = EXCLUDED.version, notified_at = EXCLUDED.notified_at
          WHERE webhook_result_marks.version < EXCLUDED.version
            AND webhook_result_marks.notified_at <= now() - make_interval(secs => $4)",
    )
    .bind::<SqlUuid, _>(change.contest_id)
    .bind::<SqlUuid, _>(change.org_id)
    .bind::<BigInt, _>(change.version)
    .bind::<Double, _>(debounce_secs)
    .execute(conn)
    .map(|n| n > 0)
}

/// Deletes events older than `days` days with no pending delivery (their
/// deliveries with them).
pub fn prune(conn: &mut PgConnection, days: i32) -> QueryResult<usize> {
    diesel::sql_query(
        "DELETE FROM webhook_events e
          WHERE e.created_at < now() - make_interval(days => $1)
            AND NOT EXISTS (SELECT 1 FROM webhook_deliveries d
                             WHERE d.event_id = e.id AND d.status = 'pending')",
    )
    .bind::<Integer, _>(days)
    .execute(conn)
}
