//! Suggestions, their support, merges, similar names, and the contest's current
//! candidates.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{Array, Double, Integer, Text, Uuid as SqlUuid};
use uuid::Uuid;

use super::contests::ContestRow;
use super::enums::{ModerationColumn, StatusColumn};
use super::schema::{contests, suggestion_supports, suggestions};
use crate::domain::{
    dedupe_key, Contest, ContestId, Moderation, SuggestionId, SuggestionStatus, DEDUPE_KEY_VERSION,
};

/// The kinds of support: the participant who first suggested the name, and those
/// who suggested it again.
pub const SUBMITTED: &str = "submitted";
pub const SECONDED: &str = "seconded";

#[derive(Debug, Clone, Queryable, QueryableByName, Selectable)]
#[diesel(table_name = suggestions)]
pub struct SuggestionRow {
    pub id: Uuid,
    pub contest_id: Uuid,
    pub candidate_no: i32,
    pub name: String,
    pub dedupe_key: String,
    pub note: Option<String>,
    #[diesel(deserialize_as = StatusColumn)]
    pub status: SuggestionStatus,
    pub merged_into: Option<Uuid>,
    pub support_count: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = suggestions)]
pub struct NewSuggestionRow {
    pub id: Uuid,
    pub contest_id: Uuid,
    pub candidate_no: i32,
    pub name: String,
    pub dedupe_key: String,
    pub note: Option<String>,
    #[diesel(serialize_as = StatusColumn)]
    pub status: SuggestionStatus,
    /// The rules `dedupe_key` was computed by ([`DEDUPE_KEY_VERSION`]).
    pub key_version: i16,
}

/// One candidate on the ballot: the suggestion, its per-contest number and name.
#[derive(Debug, Clone, PartialEq, Eq, Queryable)]
pub struct Candidate {
    pub id: SuggestionId,
    pub candidate_no: i32,
    pub name: String,
}

/// The statuses the public sees under `moderation`: approved ones, and with
/// `post` also those not reviewed yet.
pub fn visible_statuses(moderation: Moderation) -> &'static [SuggestionStatus] {
    match moderation {
        Moderation::Pre => &[SuggestionStatus::Approved],
        Moderation::Post => &[SuggestionStatus::Pending, SuggestionStatus::Approved],
    }
}

/// The stored names of `statuses`, for filters.
fn names(statuses: &[SuggestionStatus]) -> Vec<&'static str> {
    statuses.iter().map(|s| s.as_str()).collect()
}

/// The contest's current candidates, sorted by `candidate_no`: its approved
/// suggestions, and with `moderation: post` every suggestion neither rejected nor
/// merged. (Read it inside the transaction that stores a ballot, so the ballot
/// and the candidate list agree.)
pub fn candidates(conn: &mut PgConnection, contest_id: ContestId) -> QueryResult<Vec<Candidate>> {
    suggestions::table
        .inner_join(contests::table)
        .filter(suggestions::contest_id.eq(contest_id.0))
        .filter(
            suggestions::status
                .eq(StatusColumn(SuggestionStatus::Approved))
                .or(contests::moderation
                    .eq(ModerationColumn(Moderation::Post))
                    .and(suggestions::status.eq(StatusColumn(SuggestionStatus::Pending)))),
        )
        .order(suggestions::candidate_no.asc())
        .select((
            suggestions::id,
            suggestions::candidate_no,
            suggestions::name,
        ))
        .load::<(Uuid, i32, String)>(conn)
        .map(|rows| {
            rows.into_iter()
                .map(|(id, candidate_no, name)| Candidate {
                    id: SuggestionId(id),
                    candidate_no,
                    name,
                })
                .collect()
        })
}

/// Any contest by id, locked for the rest of the transaction: suggestions of one
/// contest are added one after the other, and a phase move waits for them.
pub fn lock_contest(conn: &mut PgConnection, id: ContestId) -> QueryResult<Option<Contest>> {
    contests::table
        .filter(contests::id.eq(id.0))
        .for_update()
        .select(ContestRow::as_select())
        .first(conn)
        .optional()
        .map(|row| row.map(Contest::from))
}

pub fn find(
    conn: &mut PgConnection,
    contest_id: ContestId,
    id: SuggestionId,
) -> QueryResult<Option<SuggestionRow>> {
    suggestions::table
        .filter(suggestions::contest_id.eq(contest_id.0))
        .filter(suggestions::id.eq(id.0))
        .select(SuggestionRow::as_select())
        .first(conn)
        .optional()
}

pub fn find_by_key(
    conn: &mut PgConnection,
    contest_id: ContestId,
    dedupe_key: &str,
) -> QueryResult<Option<SuggestionRow>> {
    suggestions::table
        .filter(suggestions::contest_id.eq(contest_id.0))
        .filter(suggestions::dedupe_key.eq(dedupe_key))
        .select(SuggestionRow::as_select())
        .first(conn)
        .optional()
}

/// The next free candidate number (call with the contest locked).
pub fn next_candidate_no(conn: &mut PgConnection, contest_id: ContestId) -> QueryResult<i32> {
    let max: Option<i32> = suggestions::table
        .filter(suggestions::contest_id.eq(contest_id.0))
        .select(diesel::dsl::max(suggestions::candidate_no))
        .first(conn)?;
    Ok(max.unwrap_or(0) + 1)
}

pub fn insert(conn: &mut PgConnection, new: NewSuggestionRow) -> QueryResult<SuggestionRow> {
    diesel::insert_into(suggestions::table)
        .values(new)
        .returning(SuggestionRow::as_returning())
        .get_result(conn)
}

/// Records a participant's support; `false` when they already supported it.
pub fn add_support(
    conn: &mut PgConnection,
    contest_id: ContestId,
    id: SuggestionId,
    voter_hash: &[u8; 32],
    kind: &str,
) -> QueryResult<bool> {
    diesel::insert_into(suggestion_supports::table)
        .values((
            suggestion_supports::contest_id.eq(contest_id.0),
            suggestion_supports::suggestion_id.eq(id.0),
            suggestion_supports::voter_hash.eq(voter_hash.as_slice()),
            suggestion_supports::kind.eq(kind),
        ))
        .on_conflict_do_nothing()
        .execute(conn)
        .map(|n| n > 0)
}

/// The names merged into each of `ids`: `(target id, alias name)`, oldest first.
pub fn aliases(conn: &mut PgConnection, ids: &[Uuid]) -> QueryResult<Vec<(Uuid, String)>> {
    suggestions::table
        .filter(suggestions::merged_into.eq_any(ids))
        .order((suggestions::created_at.asc(), suggestions::id.asc()))
        .select((
            suggestions::merged_into.assume_not_null(),
            suggestions::name,
        ))
        .load(conn)
}

/// Where a page of the list starts: strictly after this `(support_count,
/// created_at, id)` in the list order.
pub type ListCursor = (i32, DateTime<Utc>, Uuid);

/// One page of a contest's suggestions with one of `statuses`, by support
/// (most first), then time (oldest first), then id.
pub fn list(
    conn: &mut PgConnection,
    contest_id: ContestId,
    statuses: &[SuggestionStatus],
    after: Option<ListCursor>,
    limit: i64,
) -> QueryResult<Vec<SuggestionRow>> {
    let mut query = suggestions::table
        .filter(suggestions::contest_id.eq(contest_id.0))
        .filter(suggestions::status.eq_any(names(statuses)))
        .into_boxed();
    if let Some((support, created_at, id)) = after {
        query = query.filter(
            suggestions::support_count
                .lt(support)
                .or(suggestions::support_count.eq(support).and(
                    suggestions::created_at
                        .gt(created_at)
                        .or(suggestions::created_at
                            .eq(created_at)
                            .and(suggestions::id.gt(id))),
                )),
        );
    }
    query
        .order((
            suggestions::support_count.desc(),
            suggestions::created_at.asc(),
            suggestions::id.asc(),
        ))
        .limit(limit)
        .select(SuggestionRow::as_select())
        .load(conn)
}

/// A suggestion close to a name, with a score in 0..=1.
#[derive(Debug, Clone, QueryableByName)]
pub struct SimilarRow {
    #[diesel(embed)]
    pub suggestion: SuggestionRow,
    #[diesel(sql_type = Double)]
    pub score: f64,
}

/// The score of two names: the larger of pg_trgm's trigram similarity of the
/// lower-cased names and one minus the edit distance of the dedupe keys over the
/// longer key's length (so "Libary Blog" and "Library Blogg" both score high
/// against "Library Blog").
const SCORE_SQL: &str = "GREATEST(
        similarity(lower(s.name), lower($2)),
        1.0 - levenshtein(left(s.dedupe_key, 255), left($3, 255))::float8
              / GREATEST(char_length(left(s.dedupe_key, 255)), char_length(left($3, 255)), 1))";

/// The suggestions with one of `statuses` closest to `name` (whose dedupe key is
/// `key`), best first, scoring at least `min_score`.
pub fn similar(
    conn: &mut PgConnection,
    contest_id: ContestId,
    name: &str,
    key: &str,
    statuses: &[SuggestionStatus],
    min_score: f64,
    limit: i64,
) -> QueryResult<Vec<SimilarRow>> {
    let statuses = names(statuses);
    diesel::sql_query(format!(
        "SELECT * FROM (
             SELECT s.*, {SCORE_SQL}::float8 AS score
               FROM suggestions s
              WHERE s.contest_id = $1 AND s.status = ANY($4)
         ) scored
         WHERE score >= $5
         ORDER BY score DESC, support_count DESC, created_at, id
         LIMIT $6"
    ))
    .bind::<SqlUuid, _>(contest_id.0)
    .bind::<Text, _>(name)
    .bind::<Text, _>(key)
    .bind::<Array<Text>, _>(statuses)
    .bind::<Double, _>(min_score)
    .bind::<diesel::sql_types::BigInt, _>(limit)
    .load(conn)
}

/// A likely duplicate pair among a contest's open suggestions.
#[derive(Debug, Clone, QueryableByName)]
pub struct DuplicatePair {
    #[diesel(sql_type = SqlUuid)]
    pub id: Uuid,
    #[diesel(sql_type = SqlUuid)]
    pub other_id: Uuid,
    #[diesel(sql_type = Text)]
    pub other_name: String,
    #[diesel(sql_type = Integer)]
    pub other_candidate_no: i32,
    #[diesel(sql_type = Double)]
    pub score: f64,
}

/// For each of `ids`, the other pending or approved suggestions of the contest
/// that score at least `min_score` against it (see [`similar`]), best first.
pub fn likely_duplicates(
    conn: &mut PgConnection,
    contest_id: ContestId,
    ids: &[Uuid],
    min_score: f64,
) -> QueryResult<Vec<DuplicatePair>> {
    diesel::sql_query(
        "SELECT * FROM (
             SELECT p.id, s.id AS other_id, s.name AS other_name,
                    s.candidate_no AS other_candidate_no,
                    GREATEST(
                        similarity(lower(s.name), lower(p.name)),
                        1.0 - levenshtein(left(s.dedupe_key, 255), left(p.dedupe_key, 255))::float8
                              / GREATEST(char_length(left(s.dedupe_key, 255)),
                                         char_length(left(p.dedupe_key, 255)), 1))::float8 AS score
               FROM suggestions p
               JOIN suggestions s ON s.contest_id = p.contest_id AND s.id <> p.id
              WHERE p.contest_id = $1 AND p.id = ANY($2)
                AND s.status IN ('pending', 'approved')
         ) pairs
         WHERE score >= $3
         ORDER BY id, score DESC, other_candidate_no",
    )
    .bind::<SqlUuid, _>(contest_id.0)
    .bind::<Array<SqlUuid>, _>(ids)
    .bind::<Double, _>(min_score)
    .load(conn)
}

/// Sets a suggestion's status (not `merged`: see [`merge`]).
pub fn set_status(
    conn: &mut PgConnection,
    id: SuggestionId,
    status: SuggestionStatus,
) -> QueryResult<SuggestionRow> {
    diesel::update(suggestions::table.find(id.0))
        .set((
            suggestions::status.eq(StatusColumn(status)),
            suggestions::updated_at.eq(diesel::dsl::now),
        ))
        .returning(SuggestionRow::as_returning())
        .get_result(conn)
}

/// Merges `source` into `target` (both of one contest; `target` not merged
/// itself): the source's supporters support the target (once each; a submitter
/// stays a submitter), suggestions merged into the source now point at the target,
/// and the source becomes `merged`. Returns the target as it is now.
pub fn merge(
    conn: &mut PgConnection,
    source: SuggestionId,
    target: SuggestionId,
) -> QueryResult<SuggestionRow> {
    let (src, dst) = (source.0, target.0);
    diesel::sql_query(
        "UPDATE suggestion_supports t SET kind = 'submitted'
           FROM suggestion_supports s
          WHERE t.suggestion_id = $2 AND s.suggestion_id = $1
            AND s.voter_hash = t.voter_hash AND s.kind = 'submitted'",
    )
    .bind::<SqlUuid, _>(src)
    .bind::<SqlUuid, _>(dst)
    .execute(conn)?;
    diesel::sql_query(
        "DELETE FROM suggestion_supports s
          WHERE s.suggestion_id = $1
            AND EXISTS (SELECT 1 FROM suggestion_supports t
                         WHERE t.suggestion_id = $2 AND t.voter_hash = s.voter_hash)",
    )
    .bind::<SqlUuid, _>(src)
    .bind::<SqlUuid, _>(dst)
    .execute(conn)?;
    diesel::update(suggestion_supports::table.filter(suggestion_supports::suggestion_id.eq(src)))
        .set(suggestion_supports::suggestion_id.eq(dst))
        .execute(conn)?;
    diesel::update(suggestions::table.filter(suggestions::merged_into.eq(src)))
        .set((
            suggestions::merged_into.eq(dst),
            suggestions::updated_at.eq(diesel::dsl::now),
        ))
        .execute(conn)?;
    diesel::update(suggestions::table.find(src))
        .set((
            suggestions::status.eq(StatusColumn(SuggestionStatus::Merged)),
            suggestions::merged_into.eq(dst),
            suggestions::updated_at.eq(diesel::dsl::now),
        ))
        .execute(conn)?;
    suggestions::table
        .find(dst)
        .select(SuggestionRow::as_select())
        .first(conn)
}

/// Recomputes the dedupe keys that older rules computed (`key_version` below
/// [`DEDUPE_KEY_VERSION`]), after a migration. A key that would now equal
/// another suggestion's of the same contest is left as it was (the two were
/// distinct names when suggested; an admin can merge them) and counted in the
/// result `(rekeyed, kept)`.
pub fn rekey(conn: &mut PgConnection) -> QueryResult<(usize, usize)> {
    let stale: Vec<(Uuid, String)> = suggestions::table
        .filter(suggestions::key_version.lt(DEDUPE_KEY_VERSION))
        .order((
            suggestions::contest_id,
            suggestions::created_at,
            suggestions::id,
        ))
        .select((suggestions::id, suggestions::name))
        .load(conn)?;
    let (mut rekeyed, mut kept) = (0, 0);
    for (id, name) in stale {
        let key = dedupe_key(&name);
        let updated = diesel::sql_query(
            "UPDATE suggestions s SET dedupe_key = $2, key_version = $3
              WHERE s.id = $1 AND $2 <> ''
                AND NOT EXISTS (SELECT 1 FROM suggestions o
                                 WHERE o.contest_id = s.contest_id
                                   AND o.dedupe_key = $2 AND o.id <> s.id)",
        )
        .bind::<SqlUuid, _>(id)
        .bind::<Text, _>(&key)
        .bind::<diesel::sql_types::SmallInt, _>(DEDUPE_KEY_VERSION)
        .execute(conn)?;
        if updated == 0 {
            diesel::update(suggestions::table.find(id))
                .set(suggestions::key_version.eq(DEDUPE_KEY_VERSION))
                .execute(conn)?;
            kept += 1;
        } else {
            rekeyed += 1;
        }
    }
    Ok((rekeyed, kept))
}
