//! Voters: participant rows, closed-electorate codes, organisations' voter-JWT
//! keys, and the open electorate's rate-limit counters.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::upsert::excluded;
use uuid::Uuid;

use super::schema::{voter_codes, voter_jwt_keys, voter_rate_limits, voters};
use crate::domain::{ContestId, OrgId};

/// Counts one more request of `bucket_key` in the window starting at
/// `window_start`, atomically (one upsert, so the limit holds across instances),
/// and returns the count including this request. Deletes the bucket's rows of
/// earlier windows on the way.
pub fn count_rate(
    conn: &mut PgConnection,
    contest_id: ContestId,
    bucket_key: &str,
    window_start: DateTime<Utc>,
) -> QueryResult<i32> {
    diesel::delete(
        voter_rate_limits::table
            .filter(voter_rate_limits::contest_id.eq(contest_id.0))
            .filter(voter_rate_limits::bucket_key.eq(bucket_key))
            .filter(voter_rate_limits::window_start.lt(window_start)),
    )
    .execute(conn)?;
    diesel::insert_into(voter_rate_limits::table)
        .values((
            voter_rate_limits::contest_id.eq(contest_id.0),
            voter_rate_limits::bucket_key.eq(bucket_key),
            voter_rate_limits::window_start.eq(window_start),
            voter_rate_limits::count.eq(1),
        ))
        .on_conflict((
            voter_rate_limits::contest_id,
            voter_rate_limits::bucket_key,
            voter_rate_limits::window_start,
        ))
        .do_update()
        .set(voter_rate_limits::count.eq(voter_rate_limits::count + 1))
        .returning(voter_rate_limits::count)
        .get_result(conn)
}

/// Deletes up to `max` counters of `contest_id` from windows before
/// `window_start` (those of addresses that never came back), skipping rows other
/// requests hold, so concurrent sweeps never wait for or deadlock with each
/// other. Returns how many went.
pub fn sweep_rate_counters(
    conn: &mut PgConnection,
    contest_id: ContestId,
    window_start: DateTime<Utc>,
    max: i64,
) -> QueryResult<usize> {
    use diesel::sql_types::{BigInt, Timestamptz, Uuid as SqlUuid};
    diesel::sql_query(
        "DELETE FROM voter_rate_limits WHERE ctid IN (
             SELECT ctid FROM voter_rate_limits
              WHERE contest_id = $1 AND window_start < $2
              LIMIT $3 FOR UPDATE SKIP LOCKED)",
    )
    .bind::<SqlUuid, _>(contest_id.0)
    .bind::<Timestamptz, _>(window_start)
    .bind::<BigInt, _>(max)
    .execute(conn)
}

/// Stores the hashes of freshly generated codes, each with the voter id it yields.
pub fn insert_codes(
    conn: &mut PgConnection,
    contest_id: ContestId,
    codes: &[([u8; 32], Uuid)],
) -> QueryResult<usize> {
    let mut inserted = 0;
    // 3 parameters a row; PostgreSQL allows 65,535 parameters per statement.
    for chunk in codes.chunks(5_000) {
        let rows: Vec<_> = chunk
            .iter()
            .map(|(hash, voter_id)| {
                (
                    voter_codes::contest_id.eq(contest_id.0),
                    voter_codes::code_hash.eq(hash.to_vec()),
                    voter_codes::voter_id.eq(*voter_id),
                )
            })
            .collect();
        inserted += diesel::insert_into(voter_codes::table)
            .values(rows)
            .execute(conn)?;
    }
    Ok(inserted)
}

/// Exchanges a code: the voter id it yields, marking the first redemption.
pub fn redeem_code(
    conn: &mut PgConnection,
    contest_id: ContestId,
    code_hash: &[u8; 32],
) -> QueryResult<Option<Uuid>> {
    let found: Option<(Uuid, Option<DateTime<Utc>>)> = voter_codes::table
        .filter(voter_codes::contest_id.eq(contest_id.0))
        .filter(voter_codes::code_hash.eq(code_hash.as_slice()))
        .select((voter_codes::voter_id, voter_codes::redeemed_at))
        .first(conn)
        .optional()?;
    let Some((voter_id, redeemed_at)) = found else {
        return Ok(None);
    };
    if redeemed_at.is_none() {
        diesel::update(
            voter_codes::table
                .filter(voter_codes::contest_id.eq(contest_id.0))
                .filter(voter_codes::code_hash.eq(code_hash.as_slice()))
                .filter(voter_codes::redeemed_at.is_null()),
        )
        .set(voter_codes::redeemed_at.eq(diesel::dsl::now))
        .execute(conn)?;
    }
    Ok(Some(voter_id))
}

/// How many codes a contest has, and how many were exchanged at least once.
pub fn code_counts(conn: &mut PgConnection, contest_id: ContestId) -> QueryResult<(i64, i64)> {
    let total = voter_codes::table
        .filter(voter_codes::contest_id.eq(contest_id.0))
        .count()
        .get_result(conn)?;
    let redeemed = voter_codes::table
        .filter(voter_codes::contest_id.eq(contest_id.0))
        .filter(voter_codes::redeemed_at.is_not_null())
        .count()
        .get_result(conn)?;
    Ok((total, redeemed))
}

/// Counts one more suggestion by the participant, creating the participant's row
/// on first use, and returns the count including this one. The row stays locked
/// until the transaction ends, so one participant's submissions apply one after
/// the other.
pub fn count_suggestion(
    conn: &mut PgConnection,
    contest_id: ContestId,
    voter_hash: &[u8; 32],
) -> QueryResult<i32> {
    diesel::insert_into(voters::table)
        .values((
            voters::contest_id.eq(contest_id.0),
            voters::voter_hash.eq(voter_hash.as_slice()),
            voters::suggestions_made.eq(1),
        ))
        .on_conflict((voters::contest_id, voters::voter_hash))
        .do_update()
        .set(voters::suggestions_made.eq(voters::suggestions_made + 1))
        .returning(voters::suggestions_made)
        .get_result(conn)
}

/// An organisation's registered voter-JWT verification key.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = voter_jwt_keys)]
pub struct VoterJwtKeyRow {
    pub org_id: Uuid,
    pub alg: String,
    pub secret: Option<Vec<u8>>,
    pub public_key_pem: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

pub fn find_jwt_key(conn: &mut PgConnection, org_id: OrgId) -> QueryResult<Option<VoterJwtKeyRow>> {
    voter_jwt_keys::table
        .find(org_id.0)
        .select(VoterJwtKeyRow::as_select())
        .first(conn)
        .optional()
}

/// Registers or replaces the organisation's key.
pub fn put_jwt_key(
    conn: &mut PgConnection,
    org_id: OrgId,
    alg: &str,
    secret: Option<&[u8]>,
    public_key_pem: Option<&str>,
) -> QueryResult<VoterJwtKeyRow> {
    diesel::insert_into(voter_jwt_keys::table)
        .values((
            voter_jwt_keys::org_id.eq(org_id.0),
            voter_jwt_keys::alg.eq(alg),
            voter_jwt_keys::secret.eq(secret),
            voter_jwt_keys::public_key_pem.eq(public_key_pem),
        ))
        .on_conflict(voter_jwt_keys::org_id)
        .do_update()
        .set((
            voter_jwt_keys::alg.eq(excluded(voter_jwt_keys::alg)),
            voter_jwt_keys::secret.eq(excluded(voter_jwt_keys::secret)),
            voter_jwt_keys::public_key_pem.eq(excluded(voter_jwt_keys::public_key_pem)),
            voter_jwt_keys::updated_at.eq(diesel::dsl::now),
        ))
        .returning(VoterJwtKeyRow::as_returning())
        .get_result(conn)
}

/// Removes the organisation's key; whether there was one.
pub fn delete_jwt_key(conn: &mut PgConnection, org_id: OrgId) -> QueryResult<bool> {
    diesel::delete(voter_jwt_keys::table.find(org_id.0))
        .execute(conn)
        .map(|n| n > 0)
}
