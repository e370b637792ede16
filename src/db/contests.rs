//! Contests.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use uuid::Uuid;

use super::enums::{
    ElectorateColumn, MethodColumn, ModerationColumn, PhaseColumn, ReadbackColumn, VisibilityColumn,
};
use super::schema::contests;
use crate::domain::{
    Contest, ContestId, Electorate, Moderation, OrgId, Phase, ResultsVisibility, Schedule, Settings,
};
use crate::tally::Method;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = contests)]
pub struct ContestRow {
    pub id: Uuid,
    pub org_id: Uuid,
    pub slug: Option<String>,
    pub title: String,
    pub description: String,
    #[diesel(deserialize_as = MethodColumn)]
    pub method: Method,
    pub seats: i32,
    #[diesel(deserialize_as = ElectorateColumn)]
    pub electorate: Electorate,
    #[diesel(deserialize_as = ModerationColumn)]
    pub moderation: Moderation,
    #[diesel(deserialize_as = VisibilityColumn)]
    pub results_visibility: ResultsVisibility,
    pub max_suggestions_per_participant: i32,
    pub max_rankings: Option<i32>,
    pub live_results_min_batch: i32,
    #[diesel(deserialize_as = ReadbackColumn)]
    pub ballot_readback: crate::domain::BallotReadback,
    #[diesel(deserialize_as = PhaseColumn)]
    pub phase: Phase,
    pub suggestions_open_at: Option<DateTime<Utc>>,
    pub voting_open_at: Option<DateTime<Utc>>,
    pub voting_close_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub open_voter_limit: Option<i32>,
}

/// Every settings column of a contest, as one create or patch writes them.
#[derive(Debug, Clone, Insertable, AsChangeset)]
#[diesel(table_name = contests, treat_none_as_null = true)]
struct SettingsRow {
    slug: Option<String>,
    title: String,
    description: String,
    method: MethodColumn,
    seats: i32,
    electorate: ElectorateColumn,
    moderation: ModerationColumn,
    results_visibility: VisibilityColumn,
    max_suggestions_per_participant: i32,
    max_rankings: Option<i32>,
    live_results_min_batch: i32,
    ballot_readback: ReadbackColumn,
    open_voter_limit: Option<i32>,
    suggestions_open_at: Option<DateTime<Utc>>,
    voting_open_at: Option<DateTime<Utc>>,
    voting_close_at: Option<DateTime<Utc>>,
}

impl From<&Settings> for SettingsRow {
    fn from(s: &Settings) -> Self {
        SettingsRow {
            slug: s.slug.clone(),
            title: s.title.clone(),
            description: s.description.clone(),
            method: MethodColumn(s.method),
            seats: s.seats,
            electorate: ElectorateColumn(s.electorate),
            moderation: ModerationColumn(s.moderation),
            results_visibility: VisibilityColumn(s.results_visibility),
            max_suggestions_per_participant: s.max_suggestions_per_participant,
            max_rankings: s.max_rankings,
            live_results_min_batch: s.live_results_min_batch,
            ballot_readback: ReadbackColumn(s.ballot_readback),
            open_voter_limit: s.open_voter_limit,
            suggestions_open_at: s.schedule.suggestions_open_at,
            voting_open_at: s.schedule.voting_open_at,
            voting_close_at: s.schedule.voting_close_at,
        }
    }
}

impl From<ContestRow> for Contest {
    fn from(row: ContestRow) -> Self {
        Contest {
            id: ContestId(row.id),
            org_id: OrgId(row.org_id),
            slug: row.slug,
            title: row.title,
            description: row.description,
            method: row.method,
            seats: row.seats,
            electorate: row.electorate,
            moderation: row.moderation,
            results_visibility: row.results_visibility,
            max_suggestions_per_participant: row.max_suggestions_per_participant,
            max_rankings: row.max_rankings,
            live_results_min_batch: row.live_results_min_batch,
            ballot_readback: row.ballot_readback,
            open_voter_limit: row.open_voter_limit,
            stored_phase: row.phase,
            schedule: Schedule {
                suggestions_open_at: row.suggestions_open_at,
                voting_open_at: row.voting_open_at,
                voting_close_at: row.voting_close_at,
            },
            created_at: row.created_at,
            updated_at: row.updated_at,
        }
    }
}

/// Inserts a new contest, in `draft`.
pub fn insert(
    conn: &mut PgConnection,
    id: ContestId,
    org_id: OrgId,
    settings: &Settings,
) -> QueryResult<Contest> {
    diesel::insert_into(contests::table)
        .values((
            contests::id.eq(id.0),
            contests::org_id.eq(org_id.0),
            contests::phase.eq(PhaseColumn(Phase::Draft)),
            SettingsRow::from(settings),
        ))
        .returning(ContestRow::as_returning())
        .get_result(conn)
        .map(Contest::from)
}

/// Any contest by id (public reads decide visibility from its phase).
pub fn find(conn: &mut PgConnection, id: ContestId) -> QueryResult<Option<Contest>> {
    contests::table
        .find(id.0)
        .select(ContestRow::as_select())
        .first(conn)
        .optional()
        .map(|row| row.map(Contest::from))
}

/// The organisation's contest, locked for the rest of the transaction so that
/// concurrent phase moves and edits apply one after the other.
pub fn lock_for_org(
    conn: &mut PgConnection,
    org_id: OrgId,
    id: ContestId,
) -> QueryResult<Option<Contest>> {
    contests::table
        .filter(contests::id.eq(id.0))
        .filter(contests::org_id.eq(org_id.0))
        .for_update()
        .select(ContestRow::as_select())
        .first(conn)
        .optional()
        .map(|row| row.map(Contest::from))
}

/// One page of the organisation's contests, newest first, strictly after the
/// `(created_at, id)` cursor when one is given.
pub fn list_for_org(
    conn: &mut PgConnection,
    org_id: OrgId,
    after: Option<(DateTime<Utc>, Uuid)>,
    limit: i64,
) -> QueryResult<Vec<Contest>> {
    let mut query = contests::table
        .filter(contests::org_id.eq(org_id.0))
        .into_boxed();
    if let Some((created_at, id)) = after {
        query = query.filter(
            contests::created_at
                .lt(created_at)
                .or(contests::created_at.eq(created_at).and(contests::id.lt(id))),
        );
    }
    let rows = query
        .order((contests::created_at.desc(), contests::id.desc()))
        .limit(limit)
        .select(ContestRow::as_select())
        .load(conn)?;
    Ok(rows.into_iter().map(Contest::from).collect())
}

/// Writes every setting and the phase (materialised at `now`) of a locked contest.
pub fn update_settings(
    conn: &mut PgConnection,
    id: ContestId,
    settings: &Settings,
    phase: Phase,
    now: DateTime<Utc>,
) -> QueryResult<Contest> {
    diesel::update(contests::table.find(id.0))
        .set((
            SettingsRow::from(settings),
            contests::phase.eq(PhaseColumn(phase)),
            contests::updated_at.eq(now),
        ))
        .returning(ContestRow::as_returning())
        .get_result(conn)
        .map(Contest::from)
}

/// Moves a locked contest to `phase`.
pub fn set_phase(
    conn: &mut PgConnection,
    id: ContestId,
    phase: Phase,
    now: DateTime<Utc>,
) -> QueryResult<Contest> {
    diesel::update(contests::table.find(id.0))
        .set((
            contests::phase.eq(PhaseColumn(phase)),
            contests::updated_at.eq(now),
        ))
        .returning(ContestRow::as_returning())
        .get_result(conn)
        .map(Contest::from)
}
