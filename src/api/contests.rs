//! `/v1/contests`: create, list, read, edit and move contests through their phases.

use actix_web::{web, HttpResponse};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use chrono::{DateTime, Utc};
use diesel::{Connection, PgConnection};
use serde::{Deserialize, Serialize};
use serde_json::json;
use uuid::Uuid;

use super::auth::{Admin, MaybeAdmin};
use super::extract::{double_option, non_null, parse_id, JsonBody};
use super::AppState;
use crate::db::{self, contests::ContestChanges, contests::NewContestRow};
use crate::domain::{
    check_seats, Contest, ContestId, ContestTitle, Description, Electorate, Moderation, Phase,
    ResultsVisibility, Schedule, Slug, Validator, VotingMethod, MAX_RANKINGS,
    MAX_SUGGESTIONS_PER_PARTICIPANT,
};
use crate::error::{ApiError, ApiResult};

/// Default of `max_suggestions_per_participant` when a create body leaves it out.
pub const DEFAULT_MAX_SUGGESTIONS: i32 = 3;

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
    pub method: VotingMethod,
    pub seats: i32,
    pub electorate: Electorate,
    pub moderation: Moderation,
    pub results_visibility: ResultsVisibility,
    pub max_suggestions_per_participant: i32,
    pub max_rankings: Option<i32>,
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
            phase: c.phase_at(now),
            schedule: c.schedule,
            created_at: c.created_at,
            updated_at: c.updated_at,
        }
    }
}

fn int_in(v: &mut Validator, field: &str, value: i64, min: i64, max: i64) -> Option<i32> {
    let r = if (min..=max).contains(&value) {
        Ok(value as i32)
    } else {
        Err(format!("must be between {min} and {max}"))
    };
    v.check(field, r)
}

fn check_schedule(v: &mut Validator, schedule: &Schedule) {
    if let Err((field, message)) = schedule.check_order() {
        v.push(&format!("schedule.{field}"), message);
    }
}

impl CreateContest {
    /// Validates every field at once into a row to insert.
    fn into_row(self, org_id: Uuid) -> ApiResult<NewContestRow> {
        let mut v = Validator::new();
        let title = v.check("title", ContestTitle::parse(&self.title));
        let description = v.check("description", Description::parse(&self.description));
        let slug = match &self.slug {
            Some(s) => v
                .check("slug", Slug::parse(s))
                .map(|s| Some(s.as_str().to_owned())),
            None => Some(None),
        };
        let method = v.check("method", VotingMethod::parse(&self.method));
        let seats = int_in(&mut v, "seats", self.seats, 1, 100);
        if let (Some(m), Some(s)) = (method, seats) {
            if let Err(message) = check_seats(m, s) {
                v.push("seats", message);
            }
        }
        let electorate = v.check("electorate", Electorate::parse(&self.electorate));
        let moderation = v.check("moderation", Moderation::parse(&self.moderation));
        let visibility = v.check(
            "results_visibility",
            ResultsVisibility::parse(&self.results_visibility),
        );
        let max_sugg = int_in(
            &mut v,
            "max_suggestions_per_participant",
            self.max_suggestions_per_participant,
            1,
            MAX_SUGGESTIONS_PER_PARTICIPANT.into(),
        );
        let max_rankings = match self.max_rankings {
            Some(n) => int_in(&mut v, "max_rankings", n, 1, MAX_RANKINGS.into()).map(Some),
            None => Some(None),
        };
        let schedule = self
            .schedule
            .map(|s| Schedule {
                suggestions_open_at: s.suggestions_open_at,
                voting_open_at: s.voting_open_at,
                voting_close_at: s.voting_close_at,
            })
            .unwrap_or_default();
        check_schedule(&mut v, &schedule);
        v.finish().map_err(ApiError::validation)?;
        // Every Option below is Some: `finish` returned Ok, so every check passed.
        let missing = || ApiError::Unexpected(anyhow::anyhow!("validated field missing"));
        Ok(NewContestRow {
            id: Uuid::new_v4(),
            org_id,
            slug: slug.ok_or_else(missing)?,
            title: title.ok_or_else(missing)?.into_inner(),
            description: description.ok_or_else(missing)?.into_inner(),
            method: method.ok_or_else(missing)?.as_str().to_owned(),
            seats: seats.ok_or_else(missing)?,
            electorate: electorate.ok_or_else(missing)?.as_str().to_owned(),
            moderation: moderation.ok_or_else(missing)?.as_str().to_owned(),
            results_visibility: visibility.ok_or_else(missing)?.as_str().to_owned(),
            max_suggestions_per_participant: max_sugg.ok_or_else(missing)?,
            max_rankings: max_rankings.ok_or_else(missing)?,
            phase: Phase::Draft.as_str().to_owned(),
            suggestions_open_at: schedule.suggestions_open_at,
            voting_open_at: schedule.voting_open_at,
            voting_close_at: schedule.voting_close_at,
        })
    }
}

/// `POST /v1/contests` → 201 with the contest, in phase `draft`.
pub async fn create(
    state: web::Data<AppState>,
    admin: Admin,
    JsonBody(body): JsonBody<CreateContest>,
) -> ApiResult<HttpResponse> {
    let row = body.into_row(admin.org_id.0)?;
    let contest = state
        .db(move |conn| {
            conn.transaction(|conn| {
                let contest = db::contests::insert(conn, &row)?;
                db::audit::record(
                    conn,
                    admin.org_id.0,
                    Some(contest.id.0),
                    &admin.actor(),
                    "contest.create",
                    json!({ "title": contest.title }),
                )?;
                Ok(contest)
            })
        })
        .await?;
    Ok(HttpResponse::Created()
        .insert_header(("Location", format!("/v1/contests/{}", contest.id)))
        .json(ContestView::new(&contest, Utc::now())))
}

fn encode_cursor(c: &Contest) -> String {
    URL_SAFE_NO_PAD.encode(format!("{}|{}", c.created_at.to_rfc3339(), c.id))
}

fn decode_cursor(raw: &str) -> ApiResult<(DateTime<Utc>, Uuid)> {
    let bad = || ApiError::bad_request("invalid_cursor", "`cursor` is not one this API returned");
    let text = URL_SAFE_NO_PAD
        .decode(raw)
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
        .ok_or_else(bad)?;
    let (time, id) = text.split_once('|').ok_or_else(bad)?;
    let time = DateTime::parse_from_rfc3339(time).map_err(|_| bad())?;
    let id = Uuid::parse_str(id).map_err(|_| bad())?;
    Ok((time.with_timezone(&Utc), id))
}

/// `GET /v1/contests?limit=&cursor=` → `{items, next_cursor}`: the organisation's
/// contests, newest first; `limit` 1–100 (default 20).
pub async fn list(
    state: web::Data<AppState>,
    admin: Admin,
    query: web::Query<ListQuery>,
) -> ApiResult<HttpResponse> {
    let limit = query.limit.unwrap_or(20);
    if !(1..=100).contains(&limit) {
        return Err(ApiError::bad_request(
            "invalid_limit",
            "`limit` must be between 1 and 100",
        ));
    }
    let after = query.cursor.as_deref().map(decode_cursor).transpose()?;
    let mut page = state
        .db(move |conn| {
            Ok(db::contests::list_for_org(
                conn,
                admin.org_id,
                after,
                limit + 1,
            )?)
        })
        .await?;
    let next_cursor = if page.len() as i64 > limit {
        page.truncate(limit as usize);
        page.last().map(encode_cursor)
    } else {
        None
    };
    let now = Utc::now();
    let items: Vec<ContestView> = page.iter().map(|c| ContestView::new(c, now)).collect();
    Ok(HttpResponse::Ok().json(json!({ "items": items, "next_cursor": next_cursor })))
}

/// Loads a contest as `caller` may see it: an admin sees only its own
/// organisation's contests (another's is a 404); the public sees any contest that
/// has left `draft`.
pub async fn load_visible(
    state: &AppState,
    caller: MaybeAdmin,
    id: ContestId,
) -> ApiResult<Contest> {
    let contest = state
        .db(move |conn| Ok(db::contests::find(conn, id)?))
        .await?
        .ok_or_else(|| ApiError::not_found("contest"))?;
    let visible = match caller.0 {
        Some(admin) => admin.org_id == contest.org_id,
        None => contest.phase_at(Utc::now()) != Phase::Draft,
    };
    if visible {
        Ok(contest)
    } else {
        Err(ApiError::not_found("contest"))
    }
}

/// `GET /v1/contests/{id}`.
pub async fn get(
    state: web::Data<AppState>,
    caller: MaybeAdmin,
    path: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let id: ContestId = parse_id(&path, "contest")?;
    let contest = load_visible(&state, caller, id).await?;
    Ok(HttpResponse::Ok().json(ContestView::new(&contest, Utc::now())))
}

/// Locks the admin's contest and materialises its current phase, so the checks
/// that follow see the phase the schedule has reached.
pub fn lock_current(
    conn: &mut PgConnection,
    admin: &Admin,
    id: ContestId,
    now: DateTime<Utc>,
) -> ApiResult<(Contest, Phase)> {
    let contest = db::contests::lock_for_org(conn, admin.org_id, id)?
        .ok_or_else(|| ApiError::not_found("contest"))?;
    let phase = contest.phase_at(now);
    Ok((contest, phase))
}

impl PatchContest {
    /// The names of the fields this patch sets, for the audit log.
    fn field_names(&self) -> Vec<&'static str> {
        [
            ("title", self.title.is_some()),
            ("description", self.description.is_some()),
            ("slug", self.slug.is_some()),
            ("method", self.method.is_some()),
            ("seats", self.seats.is_some()),
            ("electorate", self.electorate.is_some()),
            ("moderation", self.moderation.is_some()),
            ("results_visibility", self.results_visibility.is_some()),
            (
                "max_suggestions_per_participant",
                self.max_suggestions_per_participant.is_some(),
            ),
            ("max_rankings", self.max_rankings.is_some()),
            ("schedule", self.schedule.is_some()),
        ]
        .into_iter()
        .filter(|(_, set)| *set)
        .map(|(name, _)| name)
        .collect()
    }

    /// Validates the patch against the contest and its current phase.
    fn into_changes(self, c: &Contest, phase: Phase) -> ApiResult<ContestChanges> {
        let mut v = Validator::new();
        let mut locked: Vec<&str> = Vec::new();
        let voting_opened = phase >= Phase::Voting;
        let closed = phase == Phase::Closed;
        let mut lock_if = |cond: bool, field: &'static str, present: bool| {
            if cond && present {
                locked.push(field);
            }
        };
        lock_if(voting_opened, "method", self.method.is_some());
        lock_if(voting_opened, "seats", self.seats.is_some());
        lock_if(voting_opened, "electorate", self.electorate.is_some());
        lock_if(voting_opened, "moderation", self.moderation.is_some());
        lock_if(voting_opened, "max_rankings", self.max_rankings.is_some());
        lock_if(
            voting_opened,
            "max_suggestions_per_participant",
            self.max_suggestions_per_participant.is_some(),
        );
        lock_if(closed, "slug", self.slug.is_some());
        lock_if(closed, "schedule", self.schedule.is_some());

        let mut changes = ContestChanges::default();
        if let Some(t) = &self.title {
            changes.title = v
                .check("title", ContestTitle::parse(t))
                .map(|t| t.into_inner());
        }
        if let Some(d) = &self.description {
            changes.description = v
                .check("description", Description::parse(d))
                .map(|d| d.into_inner());
        }
        if let Some(slug) = &self.slug {
            changes.slug = match slug {
                Some(s) => v
                    .check("slug", Slug::parse(s))
                    .map(|s| Some(s.as_str().to_owned())),
                None => Some(None),
            };
        }
        let method = match &self.method {
            Some(m) => v.check("method", VotingMethod::parse(m)),
            None => Some(c.method),
        };
        let seats = match self.seats {
            Some(s) => int_in(&mut v, "seats", s, 1, 100),
            None => Some(c.seats),
        };
        if self.method.is_some() || self.seats.is_some() {
            if let (Some(m), Some(s)) = (method, seats) {
                if let Err(message) = check_seats(m, s) {
                    v.push("seats", message);
                }
            }
        }
        if self.method.is_some() {
            changes.method = method.map(|m| m.as_str().to_owned());
        }
        if self.seats.is_some() {
            changes.seats = seats;
        }
        if let Some(e) = &self.electorate {
            changes.electorate = v
                .check("electorate", Electorate::parse(e))
                .map(|e| e.as_str().to_owned());
        }
        if let Some(m) = &self.moderation {
            changes.moderation = v
                .check("moderation", Moderation::parse(m))
                .map(|m| m.as_str().to_owned());
        }
        if let Some(r) = &self.results_visibility {
            changes.results_visibility = v
                .check("results_visibility", ResultsVisibility::parse(r))
                .map(|r| r.as_str().to_owned());
        }
        if let Some(n) = self.max_suggestions_per_participant {
            changes.max_suggestions_per_participant = int_in(
                &mut v,
                "max_suggestions_per_participant",
                n,
                1,
                MAX_SUGGESTIONS_PER_PARTICIPANT.into(),
            );
        }
        if let Some(n) = self.max_rankings {
            changes.max_rankings = match n {
                Some(n) => int_in(&mut v, "max_rankings", n, 1, MAX_RANKINGS.into()).map(Some),
                None => Some(None),
            };
        }
        if let Some(s) = self.schedule {
            let mut merged = c.schedule;
            let edits = [
                (
                    Phase::Suggesting,
                    "suggestions_open_at",
                    s.suggestions_open_at,
                ),
                (Phase::Voting, "voting_open_at", s.voting_open_at),
                (Phase::Closed, "voting_close_at", s.voting_close_at),
            ];
            for (opens, field, edit) in edits {
                let Some(new) = edit else { continue };
                if phase >= opens {
                    v.push(
                        &format!("schedule.{field}"),
                        format!("the contest is already `{phase}`; the time that opened `{opens}` can no longer change"),
                    );
                    continue;
                }
                match opens {
                    Phase::Suggesting => merged.suggestions_open_at = new,
                    Phase::Voting => merged.voting_open_at = new,
                    _ => merged.voting_close_at = new,
                }
            }
            check_schedule(&mut v, &merged);
            changes.suggestions_open_at = Some(merged.suggestions_open_at);
            changes.voting_open_at = Some(merged.voting_open_at);
            changes.voting_close_at = Some(merged.voting_close_at);
        }
        if !locked.is_empty() {
            return Err(ApiError::conflict(
                "locked_by_phase",
                format!(
                    "the contest is `{phase}`, so these can no longer change: {}",
                    locked.join(", ")
                ),
            ));
        }
        v.finish().map_err(ApiError::validation)?;
        Ok(changes)
    }
}

/// `PATCH /v1/contests/{id}`: edits what the phase still allows. Once voting
/// opened, `method`, `seats`, `electorate`, `moderation`, `max_rankings` and
/// `max_suggestions_per_participant` are locked; once closed, only `title`,
/// `description` and `results_visibility` may change; a schedule time whose
/// phase has been reached cannot change.
pub async fn patch(
    state: web::Data<AppState>,
    admin: Admin,
    path: web::Path<String>,
    JsonBody(body): JsonBody<PatchContest>,
) -> ApiResult<HttpResponse> {
    let id: ContestId = parse_id(&path, "contest")?;
    let now = Utc::now();
    let contest = state
        .db(move |conn| {
            conn.transaction(|conn| {
                let (contest, phase) = lock_current(conn, &admin, id, now)?;
                let fields = body.field_names();
                let mut changes = body.into_changes(&contest, phase)?;
                changes.phase = Some(phase.as_str().to_owned());
                changes.updated_at = Some(now);
                let updated = db::contests::update(conn, id, &changes)?;
                db::audit::record(
                    conn,
                    admin.org_id.0,
                    Some(id.0),
                    &admin.actor(),
                    "contest.update",
                    json!({ "fields": fields }),
                )?;
                Ok(updated)
            })
        })
        .await?;
    Ok(HttpResponse::Ok().json(ContestView::new(&contest, now)))
}

/// `POST /v1/contests/{id}/phase {to}`: one step forward from the current phase
/// (schedule included); anything else is a 409 that says why.
pub async fn move_phase(
    state: web::Data<AppState>,
    admin: Admin,
    path: web::Path<String>,
    JsonBody(body): JsonBody<MovePhase>,
) -> ApiResult<HttpResponse> {
    let id: ContestId = parse_id(&path, "contest")?;
    let to = Phase::parse(&body.to).map_err(|m| ApiError::invalid("to", m))?;
    let now = Utc::now();
    let contest = state
        .db(move |conn| {
            conn.transaction(|conn| {
                let (_, from) = lock_current(conn, &admin, id, now)?;
                from.check_move(to)
                    .map_err(|m| ApiError::conflict("invalid_phase_transition", m))?;
                let changes = ContestChanges {
                    phase: Some(to.as_str().to_owned()),
                    updated_at: Some(now),
                    ..Default::default()
                };
                let updated = db::contests::update(conn, id, &changes)?;
                db::audit::record(
                    conn,
                    admin.org_id.0,
                    Some(id.0),
                    &admin.actor(),
                    "contest.phase",
                    json!({ "from": from, "to": to }),
                )?;
                Ok(updated)
            })
        })
        .await?;
    Ok(HttpResponse::Ok().json(ContestView::new(&contest, now)))
}
