//! Contests.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use uuid::Uuid;

use super::schema::contests;
use crate::domain::{
    Contest, ContestId, Electorate, Moderation, OrgId, Phase, ResultsVisibility, Schedule,
    VotingMethod,
};

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = contests)]
pub struct ContestRow {
    pub id: Uuid,
    pub org_id: Uuid,
    pub slug: Option<String>,
    pub title: String,
    pub description: String,
    pub method: String,
    pub seats: i32,
    pub electorate: String,
    pub moderation: String,
    pub results_visibility: String,
    pub max_suggestions_per_participant: i32,
    pub max_rankings: Option<i32>,
    pub phase: String,
    pub suggestions_open_at: Option<DateTime<Utc>>,
    pub voting_open_at: Option<DateTime<Utc>>,
    pub voting_close_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = contests)]
pub struct NewContestRow {
    pub id: Uuid,
    pub org_id: Uuid,
    pub slug: Option<String>,
    pub title: String,
    pub description: String,
    pub method: String,
    pub seats: i32,
    pub electorate: String,
    pub moderation: String,
    pub results_visibility: String,
    pub max_suggestions_per_participant: i32,
    pub max_rankings: Option<i32>,
    pub phase: String,
    pub suggestions_open_at: Option<DateTime<Utc>>,
    pub voting_open_at: Option<DateTime<Utc>>,
    pub voting_close_at: Option<DateTime<Utc>>,
}

/// A partial update: `None` leaves a column alone; `Some(None)` clears a nullable one.
#[derive(Debug, Clone, Default, AsChangeset)]
#[diesel(table_name = contests)]
pub struct ContestChanges {
    pub slug: Option<Option<String>>,
    pub title: Option<String>,
    pub description: Option<String>,
    pub method: Option<String>,
    pub seats: Option<i32>,
    pub electorate: Option<String>,
    pub moderation: Option<String>,
    pub results_visibility: Option<String>,
    pub max_suggestions_per_participant: Option<i32>,
    pub max_rankings: Option<Option<i32>>,
    pub phase: Option<String>,
    pub suggestions_open_at: Option<Option<DateTime<Utc>>>,
    pub voting_open_at: Option<Option<DateTime<Utc>>>,
    pub voting_close_at: Option<Option<DateTime<Utc>>>,
    pub updated_at: Option<DateTime<Utc>>,
}

impl TryFrom<ContestRow> for Contest {
    type Error = diesel::result::Error;

    /// The schema's CHECK constraints make a failure here impossible short of a
    /// corrupt row, which is reported as a deserialisation error.
    fn try_from(row: ContestRow) -> Result<Self, Self::Error> {
        let bad = |e: String| diesel::result::Error::DeserializationError(e.into());
        Ok(Contest {
            id: ContestId(row.id),
            org_id: OrgId(row.org_id),
            slug: row.slug,
            title: row.title,
            description: row.description,
            method: VotingMethod::parse(&row.method).map_err(bad)?,
            seats: row.seats,
            electorate: Electorate::parse(&row.electorate).map_err(bad)?,
            moderation: Moderation::parse(&row.moderation).map_err(bad)?,
            results_visibility: ResultsVisibility::parse(&row.results_visibility).map_err(bad)?,
            max_suggestions_per_participant: row.max_suggestions_per_participant,
            max_rankings: row.max_rankings,
            stored_phase: Phase::parse(&row.phase).map_err(bad)?,
            schedule: Schedule {
                suggestions_open_at: row.suggestions_open_at,
                voting_open_at: row.voting_open_at,
                voting_close_at: row.voting_close_at,
            },
            created_at: row.created_at,
            updated_at: row.updated_at,
        })
    }
}

fn parse_rows(rows: Vec<ContestRow>) -> QueryResult<Vec<Contest>> {
    rows.into_iter().map(Contest::try_from).collect()
}

pub fn insert(conn: &mut PgConnection, new: &NewContestRow) -> QueryResult<Contest> {
    diesel::insert_into(contests::table)
        .values(new)
        .returning(ContestRow::as_returning())
        .get_result(conn)
        .and_then(Contest::try_from)
}

/// Any contest by id (public reads decide visibility from its phase).
pub fn find(conn: &mut PgConnection, id: ContestId) -> QueryResult<Option<Contest>> {
    contests::table
        .find(id.0)
        .select(ContestRow::as_select())
        .first(conn)
        .optional()?
        .map(Contest::try_from)
        .transpose()
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
        .optional()?
        .map(Contest::try_from)
        .transpose()
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
    parse_rows(rows)
}

pub fn update(
    conn: &mut PgConnection,
    id: ContestId,
    changes: &ContestChanges,
) -> QueryResult<Contest> {
    diesel::update(contests::table.find(id.0))
        .set(changes)
        .returning(ContestRow::as_returning())
        .get_result(conn)
        .and_then(Contest::try_from)
}
