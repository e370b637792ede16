//! Contests and their phases: create, list, read as the caller may see it, edit
//! what the phase still allows, and move forward through the phases.

use chrono::{DateTime, Utc};
use serde_json::json;
use uuid::Uuid;

use super::{Admin, App};
use crate::db::{self, Conn};
use crate::domain::{Contest, ContestId, ContestPatch, OrgId, Phase, Settings, SettingsInput};
use crate::error::{AppError, AppResult};

/// Creates a contest of the admin's organisation, in `draft` (audited).
pub async fn create(app: &App, admin: Admin, settings: Settings) -> AppResult<Contest> {
    app.db(move |conn| {
        db::transaction(conn, |conn| {
            let id = ContestId(Uuid::new_v4());
            let contest = db::contests::insert(conn, id, admin.org_id, &settings)?;
            db::audit::record(
                conn,
                admin.org(),
                Some(id.0),
                &admin.actor(),
                "contest.create",
                json!({ "title": contest.title }),
            )?;
            Ok(contest)
        })
    })
    .await
}

/// A page of the organisation's contests, newest first, strictly after the
/// `(created_at, id)` of `after`; `more` says whether another page follows.
pub struct ContestPage {
    pub items: Vec<Contest>,
    pub more: bool,
}

pub async fn list(
    app: &App,
    admin: Admin,
    after: Option<(DateTime<Utc>, Uuid)>,
    limit: i64,
) -> AppResult<ContestPage> {
    let mut items = app
        .db(move |conn| {
            Ok(db::contests::list_for_org(
                conn,
                admin.org_id,
                after,
                limit + 1,
            )?)
        })
        .await?;
    let more = items.len() as i64 > limit;
    items.truncate(limit as usize);
    Ok(ContestPage { items, more })
}

/// Whether `caller` may see `contest`: an admin only its own organisation's;
/// the public any contest that has left `draft`.
pub fn is_visible(contest: &Contest, caller: Option<Admin>, now: DateTime<Utc>) -> bool {
    match caller {
        Some(admin) => admin.org_id == contest.org_id,
        None => contest.phase_at(now) != Phase::Draft,
    }
}

/// Loads a contest as `caller` may see it; one they may not see is a 404, as
/// one that does not exist.
pub async fn load_visible(app: &App, caller: Option<Admin>, id: ContestId) -> AppResult<Contest> {
    let contest = app
        .db(move |conn| Ok(db::contests::find(conn, id)?))
        .await?
        .ok_or_else(|| AppError::not_found("contest"))?;
    if is_visible(&contest, caller, Utc::now()) {
        Ok(contest)
    } else {
        Err(AppError::not_found("contest"))
    }
}

/// Locks the organisation's contest for the rest of the transaction and works
/// out its current phase, so the checks that follow see the phase the schedule
/// has reached. Another organisation's contest is a 404.
pub fn lock_current(
    conn: &mut Conn,
    org: OrgId,
    id: ContestId,
    now: DateTime<Utc>,
) -> AppResult<(Contest, Phase)> {
    let contest =
        db::contests::lock_for_org(conn, org, id)?.ok_or_else(|| AppError::not_found("contest"))?;
    let phase = contest.phase_at(now);
    Ok((contest, phase))
}

/// Edits what the phase still allows (audited). A field the phase has locked is
/// a 409 naming every such field; an invalid result is a 422.
pub async fn patch(
    app: &App,
    admin: Admin,
    id: ContestId,
    input: SettingsInput,
) -> AppResult<Contest> {
    let now = Utc::now();
    app.db(move |conn| {
        db::transaction(conn, |conn| {
            let (contest, phase) = lock_current(conn, admin.org_id, id, now)?;
            let locked = input.locked_fields(phase);
            if !locked.is_empty() {
                return Err(AppError::conflict(
                    "locked_by_phase",
                    format!(
                        "the contest is `{phase}`, so these can no longer change: {}",
                        locked.join(", ")
                    ),
                ));
            }
            let fields = input.field_names();
            let settings = ContestPatch::settings(input, &Settings::of(&contest), phase)
                .map_err(AppError::validation)?;
            let updated = db::contests::update_settings(conn, id, &settings, phase, now)?;
            db::audit::record(
                conn,
                admin.org(),
                Some(id.0),
                &admin.actor(),
                "contest.update",
                json!({ "fields": fields }),
            )?;
            Ok(updated)
        })
    })
    .await
}

/// Moves the contest one step forward from its current phase (schedule
/// included), audited; anything else is a 409 that says why.
pub async fn move_phase(app: &App, admin: Admin, id: ContestId, to: Phase) -> AppResult<Contest> {
    let now = Utc::now();
    app.db(move |conn| {
        db::transaction(conn, |conn| {
            let (_, from) = lock_current(conn, admin.org_id, id, now)?;
            from.check_move(to)
                .map_err(|m| AppError::conflict("invalid_phase_transition", m))?;
            let updated = db::contests::set_phase(conn, id, to, now)?;
            super::webhooks::emit_phase_changed(conn, admin.org_id, id, from, to)?;
            db::audit::record(
                conn,
                admin.org(),
                Some(id.0),
                &admin.actor(),
                "contest.phase",
                json!({ "from": from, "to": to }),
            )?;
            Ok(updated)
        })
    })
    .await
}
