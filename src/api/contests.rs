//! `/v1/contests`: create, list, read, edit and move contests through their phases.

use actix_web::{web, HttpResponse};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::json;
use uuid::Uuid;

use super::auth::{Admin, MaybeAdmin};
use super::extract::{double_option, non_null, parse_id, JsonBody};
use super::http::{decode_cursor, encode_cursor, page_limit};
use super::AppState;
use crate::app::contests;
use crate::domain::{
    BallotReadback, Contest, ContestId, Electorate, Moderation, Phase, ResultsVisibility, Schedule,
    ScheduleInput, Settings, SettingsInput, DEFAULT_LIVE_RESULTS_MIN_BATCH,
    DEFAULT_MAX_SUGGESTIONS,
};
use crate::error::{AppError, AppResult};
use crate::tally::Method;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScheduleBody {
    #[serde(default)]
    pub suggestions_open_at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub voting_open_at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub voting_close_at: Option<DateTime<Utc>>,
}

/// `POST /v1/contests` body. Only `title` and `method` are required; the other
/// defaults are documented in openapi.yaml.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateContest {
    pub title: String,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub slug: Option<String>,
    pub method: String,
    #[serde(default = "one")]
    pub seats: i64,
    #[serde(default = "default_electorate")]
    pub electorate: String,
    #[serde(default = "default_moderation")]
    pub moderation: String,
    #[serde(default = "default_visibility")]
    pub results_visibility: String,
    #[serde(default = "default_max_suggestions")]
    pub max_suggestions_per_participant: i64,
    #[serde(default)]
    pub max_rankings: Option<i64>,
    #[serde(default = "default_min_batch")]
    pub live_results_min_batch: i64,
    #[serde(default = "default_readback")]
    pub ballot_readback: String,
    #[serde(default)]
    pub open_voter_limit: Option<i64>,
    #[serde(default)]
    pub schedule: Option<ScheduleBody>,
}

fn one() -> i64 {
    1
}
fn default_electorate() -> String {
    "open".into()
}
fn default_moderation() -> String {
    "pre".into()
}
fn default_visibility() -> String {
    "after_close".into()
}
fn default_max_suggestions() -> i64 {
    DEFAULT_MAX_SUGGESTIONS.into()
}
fn default_min_batch() -> i64 {
    DEFAULT_LIVE_RESULTS_MIN_BATCH.into()
}
fn default_readback() -> String {
    BallotReadback::Full.as_str().into()
}

impl From<CreateContest> for SettingsInput {
    fn from(b: CreateContest) -> Self {
        SettingsInput {
            title: Some(b.title),
            description: Some(b.description),
            slug: Some(b.slug),
            method: Some(b.method),
            seats: Some(b.seats),
            electorate: Some(b.electorate),
            moderation: Some(b.moderation),
            results_visibility: Some(b.results_visibility),
            max_suggestions_per_participant: Some(b.max_suggestions_per_participant),
            max_rankings: Some(b.max_rankings),
            live_results_min_batch: Some(b.live_results_min_batch),
            ballot_readback: Some(b.ballot_readback),
            open_voter_limit: Some(b.open_voter_limit),
            schedule: b.schedule.map(|s| ScheduleInput {
                suggestions_open_at: Some(s.suggestions_open_at),
                voting_open_at: Some(s.voting_open_at),
                voting_close_at: Some(s.voting_close_at),
            }),
        }
    }
}

impl From<PatchContest> for SettingsInput {
    fn from(b: PatchContest) -> Self {
        SettingsInput {
            title: b.title,
            description: b.description,
            slug: b.slug,
            method: b.method,
            seats: b.seats,
            electorate: b.electorate,
            moderation: b.moderation,
            results_visibility: b.results_visibility,
            max_suggestions_per_participant: b.max_suggestions_per_participant,
            max_rankings: b.max_rankings,
            live_results_min_batch: b.live_results_min_batch,
            ballot_readback: b.ballot_readback,
            open_voter_limit: b.open_voter_limit,
            schedule: b.schedule.map(|s| ScheduleInput {
                suggestions_open_at: s.suggestions_open_at,
                voting_open_at: s.voting_open_at,
                voting_close_at: s.voting_close_at,
            }),
        }
    }
}

/// `PATCH /v1/contests/{id}` body: every field optional; `null` clears the
/// nullable ones (`slug`, `max_rankings`, schedule times).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PatchContest {
    #[serde(default, deserialize_with = "non_null")]
    pub title: Option<String>,
    #[serde(default, deserialize_with = "non_null")]
    pub description: Option<String>,
    #[serde(default, deserialize_with = "double_option")]
    pub slug: Option<Option<String>>,
    #[serde(default, deserialize_with = "non_null")]
    pub method: Option<String>,
    #[serde(default, deserialize_with = "non_null")]
    pub seats: Option<i64>,
    #[serde(default, deserialize_with = "non_null")]
    pub electorate: Option<String>,
    #[serde(default, deserialize_with = "non_null")]
    pub moderation: Option<String>,
    #[serde(default, deserialize_with = "non_null")]
    pub results_visibility: Option<String>,
    #[serde(default, deserialize_with = "non_null")]
    pub max_suggestions_per_participant: Option<i64>,
    #[serde(default, deserialize_with = "double_option")]
    pub max_rankings: Option<Option<i64>>,
    #[serde(default, deserialize_with = "non_null")]
    pub live_results_min_batch: Option<i64>,
    #[serde(default, deserialize_with = "non_null")]
    pub ballot_readback: Option<String>,
    #[serde(default, deserialize_with = "double_option")]
    pub open_voter_limit: Option<Option<i64>>,
    #[serde(default, deserialize_with = "non_null")]
    pub schedule: Option<PatchSchedule>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PatchSchedule {
    #[serde(default, deserialize_with = "double_option")]
    pub suggestions_open_at: Option<Option<DateTime<Utc>>>,
    #[serde(default, deserialize_with = "double_option")]
    pub voting_open_at: Option<Option<DateTime<Utc>>>,
    #[serde(default, deserialize_with = "double_option")]
    pub voting_close_at: Option<Option<DateTime<Utc>>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MovePhase {
    pub to: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    #[serde(default)]
    pub limit: Option<i64>,
    #[serde(default)]
    pub cursor: Option<String>,
}

/// A contest as the API shows it, with its phase at the time of the request.
#[derive(Debug, Serialize)]
pub struct ContestView {
    pub id: Uuid,
    pub org_id: Uuid,
    pub slug: Option<String>,
    pub title: String,
    pub description: String,
    pub method: Method,
    pub seats: i32,
    pub electorate: Electorate,
    pub moderation: Moderation,
    pub results_visibility: ResultsVisibility,
    pub max_suggestions_per_participant: i32,
    pub max_rankings: Option<i32>,
    /// docs/SECURITY.md S4: live results advance in steps of at least this
    /// many ballot writes.
    pub live_results_min_batch: i32,
    /// docs/SECURITY.md S3: what `GET …/ballot` reads back.
    pub ballot_readback: BallotReadback,
    /// Open-electorate voter tokens per client address and window (`null`:
    /// the service's default; 0: no limit).
    pub open_voter_limit: Option<i32>,
    pub phase: Phase,
    pub schedule: Schedule,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl ContestView {
    pub fn new(c: &Contest, now: DateTime<Utc>) -> Self {
        ContestView {
            id: c.id.0,
            org_id: c.org_id.0,
            slug: c.slug.clone(),
            title: c.title.clone(),
            description: c.description.clone(),
            method: c.method,
            seats: c.seats,
            electorate: c.electorate,
            moderation: c.moderation,
            results_visibility: c.results_visibility,
            max_suggestions_per_participant: c.max_suggestions_per_participant,
            max_rankings: c.max_rankings,
            live_results_min_batch: c.live_results_min_batch,
            ballot_readback: c.ballot_readback,
            open_voter_limit: c.open_voter_limit,
            phase: c.phase_at(now),
            schedule: c.schedule,
            created_at: c.created_at,
            updated_at: c.updated_at,
        }
    }
}

/// `POST /v1/contests` → 201 with the contest, in phase `draft`.
pub async fn create(
    state: web::Data<AppState>,
    admin: Admin,
    JsonBody(body): JsonBody<CreateContest>,
) -> AppResult<HttpResponse> {
    let settings = Settings::new_contest(body.into()).map_err(AppError::validation)?;
    let contest = contests::create(&state.app, admin, settings).await?;
    Ok(HttpResponse::Created()
        .insert_header(("Location", format!("/v1/contests/{}", contest.id)))
        .json(ContestView::new(&contest, Utc::now())))
}

/// `GET /v1/contests?limit=&cursor=` → `{items, next_cursor}`: the organisation's
/// contests, newest first; `limit` 1–100 (default 20).
pub async fn list(
    state: web::Data<AppState>,
    admin: Admin,
    query: web::Query<ListQuery>,
) -> AppResult<HttpResponse> {
    let limit = page_limit(query.limit, 20, 100)?;
    let after = query.cursor.as_deref().map(decode_cursor).transpose()?;
    let page = contests::list(&state.app, admin, after, limit).await?;
    let next_cursor = page
        .items
        .last()
        .filter(|_| page.more)
        .map(|c| encode_cursor(c.created_at, c.id.0));
    let now = Utc::now();
    let items: Vec<ContestView> = page
        .items
        .iter()
        .map(|c| ContestView::new(c, now))
        .collect();
    Ok(HttpResponse::Ok().json(json!({ "items": items, "next_cursor": next_cursor })))
}

/// Loads a contest as `caller` may see it (see [`contests::load_visible`]).
pub async fn load_visible(
    state: &AppState,
    caller: MaybeAdmin,
    id: ContestId,
) -> AppResult<Contest> {
    contests::load_visible(&state.app, caller.0, id).await
}

/// `GET /v1/contests/{id}`.
pub async fn get(
    state: web::Data<AppState>,
    caller: MaybeAdmin,
    path: web::Path<String>,
) -> AppResult<HttpResponse> {
    let id: ContestId = parse_id(&path, "contest")?;
    let contest = load_visible(&state, caller, id).await?;
    Ok(HttpResponse::Ok().json(ContestView::new(&contest, Utc::now())))
}

/// `PATCH /v1/contests/{id}`: edits what the phase still allows. Once voting
/// opened, `method`, `seats`, `electorate`, `moderation`, `max_rankings`,
/// `max_suggestions_per_participant`, `live_results_min_batch` and
/// `ballot_readback` are locked; once closed, only `title`,
/// `description` and `results_visibility` may change; a schedule time whose
/// phase has been reached cannot change.
pub async fn patch(
    state: web::Data<AppState>,
    admin: Admin,
    path: web::Path<String>,
    JsonBody(body): JsonBody<PatchContest>,
) -> AppResult<HttpResponse> {
    let id: ContestId = parse_id(&path, "contest")?;
    let contest = contests::patch(&state.app, admin, id, body.into()).await?;
    Ok(HttpResponse::Ok().json(ContestView::new(&contest, Utc::now())))
}

/// `POST /v1/contests/{id}/phase {to}`: one step forward from the current phase
/// (schedule included); anything else is a 409 that says why.
pub async fn move_phase(
    state: web::Data<AppState>,
    admin: Admin,
    path: web::Path<String>,
    JsonBody(body): JsonBody<MovePhase>,
) -> AppResult<HttpResponse> {
    let id: ContestId = parse_id(&path, "contest")?;
    let to = Phase::parse(&body.to).map_err(|m| AppError::invalid("to", m))?;
    let contest = contests::move_phase(&state.app, admin, id, to).await?;
    Ok(HttpResponse::Ok().json(ContestView::new(&contest, Utc::now())))
}
