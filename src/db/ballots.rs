//! Ballots: one row per (contest, voter hash), written in batches (group
//! commit: `app::batcher` gathers concurrent writes; one transaction, one
//! multi-row statement for the casts, one for the withdrawals).
//!
//! Every write checks, in the same statement, that the contest is in its voting
//! phase by the database's clock, and holds a `FOR KEY SHARE` lock on the
//! contest row until it commits. Closing a contest takes `FOR UPDATE` on that row
//! (an admin's phase move, or the first final count after a scheduled close), so
//! it waits for every ballot write in flight, and a write that was waiting
//! re-checks the phase and is refused. After a close, the ballots cannot change.

use chrono::{DateTime, Utc};
use diesel::pg::Pg;
use diesel::prelude::*;
use diesel::sql_types::{Array, Bool, Bytea, Int4, Text, Timestamptz, Uuid as SqlUuid};
use smallvec::SmallVec;

use super::enums::StatusColumn;
use crate::domain::{BallotCandidate, ContestId, Ranking, SuggestionStatus};

/// The contest is in its voting phase at the database clock's current time.
/// Shared by every ballot write.
const VOTING_NOW: &str = "c.phase <> 'closed' \
    AND (c.phase = 'voting' OR c.voting_open_at <= clock_timestamp()) \
    AND (c.voting_close_at IS NULL OR c.voting_close_at > clock_timestamp())";

/// One voter's casts in a batch, collapsed: the last ranking and receipt are
/// written; `casts` counts the casts (the revision advances by that many, as
/// it would have by one per sequential cast).
#[derive(Debug, Clone, Copy)]
pub struct BatchCast<'a> {
    pub contest_id: ContestId,
    pub voter_hash: &'a [u8; 32],
    pub ranking: &'a Ranking,
    pub receipt: &'a str,
    pub casts: i32,
}

/// What the batch wrote for one voter's casts.
#[derive(Debug, Clone, Copy)]
pub struct CastWritten {
    /// Whether the voter had a counted ballot before this batch (it was
    /// replaced) rather than none or a withdrawn one.
    pub replaced: bool,
    pub updated_at: DateTime<Utc>,
}

/// One voter's withdrawal in a batch.
#[derive(Debug, Clone, Copy)]
pub struct BatchWithdrawal<'a> {
    pub contest_id: ContestId,
    pub voter_hash: &'a [u8; 32],
}

/// What became of a withdrawal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Withdrawn {
    /// The ballot is now a tombstone.
    Done,
    /// The voter had no counted ballot; nothing changed.
    NoBallot,
    /// The contest is not (or no longer) voting; nothing changed.
    NotVoting,
}

/// The cast statement of a batch as a query type of its own, so that diesel
/// prepares it once per connection and reuses it (a `sql_query` is parsed and
/// planned on every call): the hottest statement of the service. Its text
/// does not depend on the batch size: the batch travels as parallel arrays,
/// one element per voter, sorted by (contest, voter hash), and rankings as
/// array literals (`{3,1,2}`, cast to `int4[]` by the server: `unnest` of a
/// 2-D array would need rankings of one length).
#[derive(Debug, Clone, Copy)]
struct CastBatchStatement<'a> {
    contest_ids: &'a [uuid::Uuid],
    voter_hashes: &'a [&'a [u8]],
    rankings: &'a [String],
    receipts: &'a [&'a str],
    casts: &'a [i32],
}

impl diesel::query_builder::QueryFragment<Pg> for CastBatchStatement<'_> {
    fn walk_ast<'b>(
        &'b self,
        mut out: diesel::query_builder::AstPass<'_, 'b, Pg>,
    ) -> QueryResult<()> {
        out.push_sql(
            "INSERT INTO ballots (contest_id, voter_hash, ranking, receipt, revision) \
             SELECT c.id, v.voter_hash, v.ranking::int4[], v.receipt, v.casts FROM unnest(",
        );
        out.push_bind_param::<Array<SqlUuid>, _>(&self.contest_ids)?;
        out.push_sql("::uuid[], ");
        out.push_bind_param::<Array<Bytea>, _>(&self.voter_hashes)?;
        out.push_sql("::bytea[], ");
        out.push_bind_param::<Array<Text>, _>(&self.rankings)?;
        out.push_sql("::text[], ");
        out.push_bind_param::<Array<Text>, _>(&self.receipts)?;
        out.push_sql("::text[], ");
        out.push_bind_param::<Array<Int4>, _>(&self.casts)?;
        out.push_sql(
            "::int4[]) AS v(contest_id, voter_hash, ranking, receipt, casts) \
             JOIN contests c ON c.id = v.contest_id WHERE ",
        );
        out.push_sql(VOTING_NOW);
        // Rows are locked and written in key order, so two batches (of this
        // instance or another) never wait for each other in a circle.
        out.push_sql(
            " ORDER BY v.contest_id, v.voter_hash
              FOR KEY SHARE OF c
             ON CONFLICT (contest_id, voter_hash) DO UPDATE
                SET ranking = EXCLUDED.ranking,
                    receipt = EXCLUDED.receipt,
                    revision = CASE WHEN ballots.ranking IS NULL THEN EXCLUDED.revision
                                    ELSE ballots.revision + EXCLUDED.revision END,
                    version = nextval('ballot_version_seq'),
                    updated_at = now()
             RETURNING contest_id, voter_hash, revision, updated_at",
        );
        Ok(())
    }
}

/// One SQL text whatever the values: cached by type.
impl diesel::query_builder::QueryId for CastBatchStatement<'_> {
    type QueryId = CastBatchStatement<'static>;
    const HAS_STATIC_QUERY_ID: bool = true;
}

impl diesel::query_builder::Query for CastBatchStatement<'_> {
    type SqlType = (SqlUuid, Bytea, Int4, Timestamptz);
}

impl RunQueryDsl<PgConnection> for CastBatchStatement<'_> {}

/// A ranking as a PostgreSQL array literal: `{3,1,2}`.
fn array_literal(numbers: &[i32]) -> String {
    let mut s = String::with_capacity(2 + numbers.len() * 3);
    s.push('{');
    for (i, n) in numbers.iter().enumerate() {
        if i > 0 {
            s.push(',');
        }
        s.push_str(&n.to_string());
    }
    s.push('}');
    s
}

/// The order every batch writes in: by contest, then voter hash (PostgreSQL
/// compares `uuid` and `bytea` bytewise, as these do).
fn key_order(items: &[(ContestId, &[u8; 32])]) -> Vec<usize> {
    let mut order: Vec<usize> = (0..items.len()).collect();
    order.sort_by(|&a, &b| {
        let (ca, va) = items[a];
        let (cb, vb) = items[b];
        (ca.0.as_bytes(), va).cmp(&(cb.0.as_bytes(), vb))
    });
    order
}

/// Writes `casts` (at most one per voter) with one statement. Returns, per
/// cast in input order, what was written, or `None` when its contest is not
/// (or no longer) voting by the database clock (nothing was written for it).
fn cast_batch(
    conn: &mut PgConnection,
    casts: &[BatchCast<'_>],
) -> QueryResult<Vec<Option<CastWritten>>> {
    let keys: Vec<(ContestId, &[u8; 32])> =
        casts.iter().map(|c| (c.contest_id, c.voter_hash)).collect();
    let order = key_order(&keys);
    let (mut contest_ids, mut voter_hashes, mut rankings, mut receipts, mut counts) = (
        Vec::with_capacity(casts.len()),
        Vec::with_capacity(casts.len()),
        Vec::with_capacity(casts.len()),
        Vec::with_capacity(casts.len()),
        Vec::with_capacity(casts.len()),
    );
    for &i in &order {
        let c = &casts[i];
        contest_ids.push(c.contest_id.0);
        voter_hashes.push(c.voter_hash.as_slice());
        rankings.push(array_literal(c.ranking.numbers()));
        receipts.push(c.receipt);
        counts.push(c.casts);
    }
    let rows: Vec<(uuid::Uuid, Vec<u8>, i32, DateTime<Utc>)> = CastBatchStatement {
        contest_ids: &contest_ids,
        voter_hashes: &voter_hashes,
        rankings: &rankings,
        receipts: &receipts,
        casts: &counts,
    }
    .load(conn)?;
    let mut out = vec![None; casts.len()];
    for (contest_id, voter_hash, revision, updated_at) in rows {
        let at = order.binary_search_by(|&i| {
            (
                casts[i].contest_id.0.as_bytes(),
                casts[i].voter_hash.as_slice(),
            )
                .cmp(&(contest_id.as_bytes(), voter_hash.as_slice()))
        });
        let Ok(at) = at else {
            return Err(diesel::result::Error::DeserializationError(
                "a batch wrote a ballot it was not given".into(),
            ));
        };
        let i = order[at];
        out[i] = Some(CastWritten {
            // A ballot counted before the batch had revision ≥ 1 and advanced
            // by `casts`; a new or withdrawn one starts at `casts`.
            replaced: revision > casts[i].casts,
            updated_at,
        });
    }
    Ok(out)
}

/// Withdraws the ballots of `withdrawals` (at most one per voter) with one
/// statement: each row stays as a tombstone (no ranking, no receipt) with a
/// fresh version. Returns per withdrawal, in input order, what became of it.
fn withdraw_batch(
    conn: &mut PgConnection,
    withdrawals: &[BatchWithdrawal<'_>],
) -> QueryResult<Vec<Withdrawn>> {
    #[derive(QueryableByName)]
    struct Outcome {
        #[diesel(sql_type = SqlUuid)]
        contest_id: uuid::Uuid,
        #[diesel(sql_type = Bytea)]
        voter_hash: Vec<u8>,
        #[diesel(sql_type = Bool)]
        voting: bool,
        #[diesel(sql_type = Bool)]
        withdrawn: bool,
    }
    let keys: Vec<(ContestId, &[u8; 32])> = withdrawals
        .iter()
        .map(|w| (w.contest_id, w.voter_hash))
        .collect();
    let order = key_order(&keys);
    let contest_ids: Vec<uuid::Uuid> = order.iter().map(|&i| keys[i].0 .0).collect();
    let voter_hashes: Vec<&[u8]> = order.iter().map(|&i| keys[i].1.as_slice()).collect();
    let query = format!(
        "WITH v AS (
             SELECT * FROM unnest($1::uuid[], $2::bytea[]) WITH ORDINALITY AS v(contest_id, voter_hash, i)
         ), open AS (
             SELECT c.id FROM contests c
              WHERE c.id IN (SELECT contest_id FROM v) AND {VOTING_NOW}
              ORDER BY c.id
                FOR KEY SHARE OF c
         ), gone AS (
             UPDATE ballots b
                SET ranking = NULL, receipt = NULL,
                    version = nextval('ballot_version_seq'), updated_at = now()
               FROM v
              WHERE b.contest_id = v.contest_id AND b.voter_hash = v.voter_hash
                AND b.contest_id IN (SELECT id FROM open) AND b.ranking IS NOT NULL
             RETURNING b.contest_id, b.voter_hash
         )
         SELECT v.contest_id, v.voter_hash,
                v.contest_id IN (SELECT id FROM open) AS voting,
                EXISTS (SELECT 1 FROM gone g
                         WHERE g.contest_id = v.contest_id AND g.voter_hash = v.voter_hash) AS withdrawn
           FROM v ORDER BY v.i"
    );
    let rows: Vec<Outcome> = diesel::sql_query(query)
        .bind::<Array<SqlUuid>, _>(&contest_ids)
        .bind::<Array<Bytea>, _>(&voter_hashes)
        .load(conn)?;
    if rows.len() != withdrawals.len() {
        return Err(diesel::result::Error::DeserializationError(
            "a withdrawal batch answered for a different number of voters".into(),
        ));
    }
    let mut out = vec![Withdrawn::NotVoting; withdrawals.len()];
    for (&i, row) in order.iter().zip(rows) {
        debug_assert!(row.contest_id == keys[i].0 .0 && row.voter_hash == keys[i].1);
        out[i] = match (row.voting, row.withdrawn) {
            (false, _) => Withdrawn::NotVoting,
            (true, true) => Withdrawn::Done,
            (true, false) => Withdrawn::NoBallot,
        };
    }
    Ok(out)
}

/// Writes one batch of ballot writes atomically: the casts with one
/// statement, the withdrawals with another, in one transaction when there are
/// both (a single statement is atomic by itself, and sparing `BEGIN` and
/// `COMMIT` spares two round trips). A voter appears at most once among
/// `casts` and `withdrawals` together (the batcher collapses a voter's casts
/// and keeps a withdrawal apart from that voter's other writes). Every write
/// checks the phase by the database clock and holds `FOR KEY SHARE` on its
/// contest row until the commit, as a single write does. Nothing is written
/// when this returns an error.
pub fn write_batch(
    conn: &mut PgConnection,
    casts: &[BatchCast<'_>],
    withdrawals: &[BatchWithdrawal<'_>],
) -> QueryResult<(Vec<Option<CastWritten>>, Vec<Withdrawn>)> {
    match (casts.is_empty(), withdrawals.is_empty()) {
        (true, true) => Ok((Vec::new(), Vec::new())),
        (false, true) => Ok((cast_batch(conn, casts)?, Vec::new())),
        (true, false) => Ok((Vec::new(), withdraw_batch(conn, withdrawals)?)),
        (false, false) => conn
            .transaction(|conn| Ok((cast_batch(conn, casts)?, withdraw_batch(conn, withdrawals)?))),
    }
}

/// A voter's current ballot.
#[derive(Debug, Clone)]
pub struct OwnBallot {
    pub ranking: Ranking,
    pub receipt: String,
    pub updated_at: DateTime<Utc>,
}

/// The voter's ballot, if they have one (a withdrawn one is none).
pub fn find_own(
    conn: &mut PgConnection,
    contest_id: ContestId,
    voter_hash: &[u8; 32],
) -> QueryResult<Option<OwnBallot>> {
    use super::schema::ballots::dsl as b;
    type Row = (Option<Vec<i32>>, Option<String>, DateTime<Utc>);
    let row: Option<Row> = b::ballots
        .filter(b::contest_id.eq(contest_id.0))
        .filter(b::voter_hash.eq(voter_hash.as_slice()))
        .select((b::ranking, b::receipt, b::updated_at))
        .first(conn)
        .optional()?;
    Ok(row.and_then(|(ranking, receipt, updated_at)| {
        Some(OwnBallot {
            ranking: Ranking::from_stored(ranking?),
            receipt: receipt?,
            updated_at,
        })
    }))
}

/// The contest's current candidates as ballots name them, in candidate-number
/// order (see `suggestions::candidates`).
pub fn candidates(
    conn: &mut PgConnection,
    contest_id: ContestId,
) -> QueryResult<Vec<BallotCandidate>> {
    Ok(super::suggestions::candidates(conn, contest_id)?
        .into_iter()
        .map(|c| BallotCandidate {
            id: c.id.0,
            number: c.candidate_no,
            name: c.name,
        })
        .collect())
}

/// Where a suggestion a ballot named stands, to say why it is not a candidate.
#[derive(Debug, Clone, Queryable)]
pub struct EntryState {
    pub id: uuid::Uuid,
    #[diesel(deserialize_as = StatusColumn)]
    pub status: SuggestionStatus,
    pub merged_into: Option<uuid::Uuid>,
}

/// The states of those of `ids` that are suggestions of the contest.
pub fn entry_states(
    conn: &mut PgConnection,
    contest_id: ContestId,
    ids: &[uuid::Uuid],
) -> QueryResult<Vec<EntryState>> {
    use super::schema::suggestions::dsl as s;
    s::suggestions
        .filter(s::contest_id.eq(contest_id.0))
        .filter(s::id.eq_any(ids))
        .select((s::id, s::status, s::merged_into))
        .load(conn)
}

/// The contest's ballot version: the largest version of its rows (tombstones
/// included), 0 before the first ballot. Changes on every write.
pub fn version(conn: &mut PgConnection, contest_id: ContestId) -> QueryResult<i64> {
    use super::schema::ballots::dsl as b;
    let max: Option<i64> = b::ballots
        .filter(b::contest_id.eq(contest_id.0))
        .select(diesel::dsl::max(b::version))
        .first(conn)?;
    Ok(max.unwrap_or(0))
}

/// A receipt (32 lowercase hex digits, as the table checks) read straight from
/// its text column as a 128-bit number, without allocating a string: its
/// numeric order is the text's bytewise order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, diesel::deserialize::FromSqlRow)]
pub struct ReceiptBits(pub u128);

impl diesel::deserialize::FromSql<Text, diesel::pg::Pg> for ReceiptBits {
    fn from_sql(value: diesel::pg::PgValue<'_>) -> diesel::deserialize::Result<Self> {
        receipt_bits(value.as_bytes())
            .map(ReceiptBits)
            .ok_or_else(|| "a receipt is 32 lowercase hex digits".into())
    }
}

/// The value of each lowercase hex digit; 0xFF for every other byte.
const HEX_VALUE: [u8; 256] = {
    let mut table = [0xFFu8; 256];
    let mut i = 0;
    while i < 10 {
        table[b'0' as usize + i] = i as u8;
        i += 1;
    }
    let mut i = 0;
    while i < 6 {
        table[b'a' as usize + i] = 10 + i as u8;
        i += 1;
    }
    table
};

/// 32 lowercase hex digits as a number, or `None`. A table lookup per digit
/// with one check at the end: a cold count decodes a million of these.
fn receipt_bits(bytes: &[u8]) -> Option<u128> {
    let digits: &[u8; 32] = bytes.try_into().ok()?;
    let mut n: u128 = 0;
    let mut bad: u8 = 0;
    for &b in digits {
        let v = HEX_VALUE[b as usize];
        bad |= v & 0xF0;
        n = (n << 4) | u128::from(v & 0x0F);
    }
    (bad == 0).then_some(n)
}

/// A stored ranking (candidate numbers) read from PostgreSQL's binary array
/// format without a heap allocation for rankings of up to 8 entries, the
/// usual length: a cold count reads a million of them.
#[derive(Debug, Clone, PartialEq, Eq, Hash, diesel::deserialize::FromSqlRow)]
pub struct RankingKey(pub SmallVec<[i32; 8]>);

impl diesel::deserialize::FromSql<Array<Int4>, diesel::pg::Pg> for RankingKey {
    /// The binary format: dimensions, a has-nulls flag, the element type, per
    /// dimension its length and lower bound, then per element its byte length
    /// and big-endian value.
    fn from_sql(value: diesel::pg::PgValue<'_>) -> diesel::deserialize::Result<Self> {
        Ok(RankingKey(int4_array_from_binary(value.as_bytes())?))
    }
}

/// A one-dimensional `int4[]` without NULLs from PostgreSQL's binary format.
fn int4_array_from_binary(bytes: &[u8]) -> Result<SmallVec<[i32; 8]>, String> {
    let word = |at: usize| -> Result<i32, String> {
        bytes
            .get(at..at + 4)
            .map(|b| i32::from_be_bytes([b[0], b[1], b[2], b[3]]))
            .ok_or_else(|| "a ranking array ends early".to_owned())
    };
    let dims = word(0)?;
    let mut out = SmallVec::new();
    if dims == 0 {
        return Ok(out);
    }
    if dims != 1 {
        return Err(format!("a ranking has one dimension, not {dims}"));
    }
    let len = usize::try_from(word(12)?).map_err(|_| "a negative array length".to_owned())?;
    let mut at = 20;
    for _ in 0..len {
        if word(at)? != 4 {
            return Err("a ranking holds 4-byte integers and no NULL".to_owned());
        }
        out.push(word(at + 4)?);
        at += 8;
    }
    Ok(out)
}

/// Every counted ballot of the contest as `(receipt, ranking)`, streamed to `f`
/// row by row as PostgreSQL sends them (so the caller works while the server is
/// still scanning), in no particular order (callers sort by receipt: sorting 1,000,000 receipts
/// in Rust takes milliseconds, while PostgreSQL's sort or an index scan in
/// receipt order takes seconds).
pub fn for_each_counted(
    conn: &mut PgConnection,
    contest_id: ContestId,
    mut f: impl FnMut(ReceiptBits, RankingKey),
) -> QueryResult<()> {
    use super::schema::ballots::dsl as b;
    let rows = b::ballots
        .filter(b::contest_id.eq(contest_id.0))
        .filter(b::ranking.is_not_null())
        .select((b::receipt.assume_not_null(), b::ranking.assume_not_null()))
        .load_iter::<(ReceiptBits, RankingKey), diesel::pg::PgRowByRowLoadingMode>(conn)?;
    for row in rows {
        let (receipt, ranking) = row?;
        f(receipt, ranking);
    }
    Ok(())
}

/// Number of counted ballots (tombstones excluded).
pub fn count(conn: &mut PgConnection, contest_id: ContestId) -> QueryResult<i64> {
    use super::schema::ballots::dsl as b;
    b::ballots
        .filter(b::contest_id.eq(contest_id.0))
        .filter(b::ranking.is_not_null())
        .count()
        .get_result(conn)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ranking(bytes: &[u8]) -> Result<SmallVec<[i32; 8]>, String> {
        int4_array_from_binary(bytes)
    }

    /// What `array_send` gives for an `int4[]` of `values`.
    fn binary(values: &[i32]) -> Vec<u8> {
        let mut b = Vec::new();
        for w in [1i32, 0, 23, values.len() as i32, 1] {
            b.extend_from_slice(&w.to_be_bytes());
        }
        for v in values {
            b.extend_from_slice(&4i32.to_be_bytes());
            b.extend_from_slice(&v.to_be_bytes());
        }
        b
    }

    #[test]
    fn receipts_decode_from_lowercase_hex_only() {
        let hex = "0123456789abcdef00000000000000ff";
        assert_eq!(
            receipt_bits(hex.as_bytes()),
            Some(u128::from_str_radix(hex, 16).unwrap())
        );
        assert_eq!(receipt_bits(&[b'f'; 32]), Some(u128::MAX));
        assert_eq!(
            receipt_bits("0123456789ABCDEF00000000000000ff".as_bytes()),
            None
        );
        assert_eq!(receipt_bits(&[b'g'; 32]), None);
        assert_eq!(receipt_bits(&[b'0'; 31]), None);
        assert_eq!(receipt_bits(&[b'0'; 33]), None);
    }

    #[test]
    fn rankings_are_read_from_the_binary_array_format() {
        let long: Vec<i32> = (1..=20).collect();
        assert_eq!(ranking(&binary(&[3, 1, 2])).unwrap().as_slice(), &[3, 1, 2]);
        assert_eq!(ranking(&binary(&long)).unwrap().as_slice(), long.as_slice());
        assert!(ranking(&[0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 23])
            .unwrap()
            .is_empty());
        let truncated = binary(&[3, 1, 2]);
        assert!(ranking(&truncated[..truncated.len() - 2]).is_err());
        let mut null = binary(&[3]);
        null[20..24].copy_from_slice(&(-1i32).to_be_bytes());
        assert!(ranking(&null).is_err());
    }
}
