//! `/v1/contests/{id}/suggestions`: suggest names, find similar ones, list and
//! moderate them (approve, reject, merge).

use std::collections::BTreeMap;

use actix_web::{web, HttpResponse};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use chrono::{DateTime, Utc};
use diesel::Connection;
use serde::{Deserialize, Serialize};
use serde_json::json;
use uuid::Uuid;

use super::auth::{Admin, MaybeAdmin};
use super::contests::load_visible;
use super::extract::{parse_id, JsonBody};
use super::voter::Voter;
use super::AppState;
use crate::app::contests::lock_current;
use crate::db::{self, suggestions::SuggestionRow};
use crate::domain::{
    ContestId, Moderation, Phase, SuggestionId, SuggestionName, SuggestionNote, Validator,
};
use crate::error::{AppError, AppResult};

/// The lowest score `similar` and the admin list's `likely_duplicates` report.
pub const MIN_SIMILARITY: f64 = 0.4;

/// A suggestion as the API shows it.
#[derive(Debug, Clone, Serialize)]
pub struct SuggestionView {
    pub id: Uuid,
    /// The suggestion's small per-contest number (ballot exports use it).
    pub candidate_no: i32,
    pub name: String,
    pub note: Option<String>,
    pub status: String,
    /// Participants who suggested this name (the first one included), merged
    /// suggestions' supporters included.
    pub support_count: i32,
    /// Names of the suggestions merged into this one.
    pub aliases: Vec<String>,
    pub created_at: DateTime<Utc>,
    /// For a merged suggestion: the one it was merged into.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub merged_into: Option<Uuid>,
    /// Admin list only: other open suggestions with similar names.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub likely_duplicates: Option<Vec<LikelyDuplicate>>,
}

#[derive(Debug, Clone, Serialize)]
pub struct LikelyDuplicate {
    pub id: Uuid,
    pub name: String,
    pub score: f64,
}

fn round3(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

impl SuggestionView {
    fn new(row: SuggestionRow, aliases: Vec<String>) -> Self {
        SuggestionView {
            id: row.id,
            candidate_no: row.candidate_no,
            name: row.name,
            note: row.note,
            status: row.status,
            support_count: row.support_count,
            aliases,
            created_at: row.created_at,
            merged_into: row.merged_into,
            likely_duplicates: None,
        }
    }
}

/// Views of `rows` with their aliases (one query).
fn views(
    conn: &mut diesel::PgConnection,
    rows: Vec<SuggestionRow>,
) -> AppResult<Vec<SuggestionView>> {
    let ids: Vec<Uuid> = rows.iter().map(|r| r.id).collect();
    let mut aliases: BTreeMap<Uuid, Vec<String>> = BTreeMap::new();
    for (target, name) in db::suggestions::aliases(conn, &ids)? {
        aliases.entry(target).or_default().push(name);
    }
    Ok(rows
        .into_iter()
        .map(|r| {
            let a = aliases.remove(&r.id).unwrap_or_default();
            SuggestionView::new(r, a)
        })
        .collect())
}

fn view(conn: &mut diesel::PgConnection, row: SuggestionRow) -> AppResult<SuggestionView> {
    views(conn, vec![row])?
        .pop()
        .ok_or_else(|| AppError::Unexpected(anyhow::anyhow!("view of one row missing")))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateSuggestion {
    pub name: String,
    #[serde(default)]
    pub note: Option<String>,
}

enum Created {
    New(SuggestionView),
    Duplicate {
        existing: SuggestionView,
        support_recorded: bool,
    },
}

fn wrong_phase(phase: Phase, what: &str) -> AppError {
    AppError::conflict(
        "wrong_phase",
        format!("{what} only while the contest is `suggesting`; it is `{phase}`"),
    )
}

/// `POST /v1/contests/{id}/suggestions {name, note?}` (participant) → 201 with
/// the new suggestion; a name whose dedupe key another suggestion has is a 409
/// `duplicate_suggestion` with that suggestion (`suggestion`) in the body, and
/// counts as the participant's support for it.
pub async fn create(
    state: web::Data<AppState>,
    voter: Voter,
    JsonBody(body): JsonBody<CreateSuggestion>,
) -> AppResult<HttpResponse> {
    let mut v = Validator::new();
    let name = v.check("name", SuggestionName::parse(&body.name));
    let note = match &body.note {
        Some(n) => v.check("note", SuggestionNote::parse(n)),
        None => Some(None),
    };
    v.finish().map_err(AppError::validation)?;
    let (Some(name), Some(note)) = (name, note) else {
        return Err(AppError::Unexpected(anyhow::anyhow!(
            "validated field missing"
        )));
    };
    let contest_id = voter.contest_id();
    let voter_hash = voter.voter_hash;
    let now = Utc::now();
    let outcome = state
        .db(move |conn| {
            conn.transaction(|conn| {
                let contest = db::suggestions::lock_contest(conn, contest_id)?
                    .ok_or_else(|| AppError::not_found("contest"))?;
                let phase = contest.phase_at(now);
                if phase != Phase::Suggesting {
                    return Err(wrong_phase(phase, "names can be suggested"));
                }
                if let Some(found) = db::suggestions::find_by_key(conn, contest_id, name.dedupe_key())? {
                    // A merged suggestion's key finds the suggestion it lives on in.
                    let existing = match found.merged_into {
                        Some(target) => db::suggestions::find(conn, contest_id, SuggestionId(target))?
                            .ok_or_else(|| AppError::Unexpected(anyhow::anyhow!("merge target missing")))?,
                        None => found,
                    };
                    let recorded = db::suggestions::add_support(
                        conn,
                        contest_id,
                        SuggestionId(existing.id),
                        voter_hash.as_bytes(),
                        db::suggestions::SECONDED,
                    )?;
                    let existing = db::suggestions::find(conn, contest_id, SuggestionId(existing.id))?
                        .ok_or_else(|| AppError::Unexpected(anyhow::anyhow!("suggestion vanished")))?;
                    let visible = db::suggestions::visible_statuses(contest.moderation)
                        .contains(&existing.status.as_str());
                    let mut existing = view(conn, existing)?;
                    if !visible {
                        // Not public (pending or rejected): the participant learns
                        // that the name exists and its status, not its note.
                        existing.note = None;
                    }
                    return Ok(Created::Duplicate {
                        existing,
                        support_recorded: recorded,
                    });
                }
                let made = db::voters::count_suggestion(conn, contest_id, voter_hash.as_bytes())?;
                if made > contest.max_suggestions_per_participant {
                    return Err(AppError::conflict(
                        "suggestion_limit_reached",
                        format!(
                            "each participant may suggest at most {} names in this contest; suggesting a name someone else already suggested still counts as support",
                            contest.max_suggestions_per_participant
                        ),
                    ));
                }
                let status = match contest.moderation {
                    Moderation::Pre => db::suggestions::PENDING,
                    Moderation::Post => db::suggestions::APPROVED,
                };
                let (display, key) = name.into_parts();
                let candidate_no = db::suggestions::next_candidate_no(conn, contest_id)?;
                let row = db::suggestions::insert(
                    conn,
                    &db::suggestions::NewSuggestionRow {
                        id: Uuid::new_v4(),
                        contest_id: contest_id.0,
                        candidate_no,
                        name: display,
                        dedupe_key: key,
                        note: note.map(SuggestionNote::into_inner),
                        status: status.to_owned(),
                    },
                )?;
                db::suggestions::add_support(
                    conn,
                    contest_id,
                    SuggestionId(row.id),
                    voter_hash.as_bytes(),
                    db::suggestions::SUBMITTED,
                )?;
                let row = db::suggestions::find(conn, contest_id, SuggestionId(row.id))?
                    .ok_or_else(|| AppError::Unexpected(anyhow::anyhow!("suggestion vanished")))?;
                Ok(Created::New(view(conn, row)?))
            })
        })
        .await?;
    match outcome {
        Created::New(view) => Ok(HttpResponse::Created()
            .insert_header((
                "Location",
                format!("/v1/contests/{contest_id}/suggestions/{}", view.id),
            ))
            .json(view)),
        Created::Duplicate {
            existing,
            support_recorded,
        } => Err(AppError::Conflict {
            code: "duplicate_suggestion",
            detail: format!(
                "`{}` has already been suggested; {}",
                existing.name,
                if support_recorded {
                    "your suggestion counts as support for it"
                } else {
                    "you already support it"
                }
            ),
            extra: Some(json!({
                "suggestion": existing,
                "support_recorded": support_recorded,
            })),
        }),
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    #[serde(default)]
    pub status: Option<String>,
    #[serde(default)]
    pub limit: Option<i64>,
    #[serde(default)]
    pub cursor: Option<String>,
}

const ALL_STATUSES: [&str; 4] = [
    db::suggestions::PENDING,
    db::suggestions::APPROVED,
    db::suggestions::REJECTED,
    db::suggestions::MERGED,
];

fn encode_cursor(r: &SuggestionRow) -> String {
    URL_SAFE_NO_PAD.encode(format!(
        "{}|{}|{}",
        r.support_count,
        r.created_at.to_rfc3339(),
        r.id
    ))
}

fn decode_cursor(raw: &str) -> AppResult<db::suggestions::ListCursor> {
    let bad = || AppError::bad_request("invalid_cursor", "`cursor` is not one this API returned");
    let text = URL_SAFE_NO_PAD
        .decode(raw)
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
        .ok_or_else(bad)?;
    let mut parts = text.splitn(3, '|');
    let support = parts.next().and_then(|s| s.parse().ok()).ok_or_else(bad)?;
    let time = parts
        .next()
        .and_then(|s| DateTime::parse_from_rfc3339(s).ok())
        .ok_or_else(bad)?;
    let id = parts
        .next()
        .and_then(|s| Uuid::parse_str(s).ok())
        .ok_or_else(bad)?;
    Ok((support, time.with_timezone(&Utc), id))
}

/// `GET /v1/contests/{id}/suggestions?status=&limit=&cursor=` → `{items,
/// next_cursor}`, by support (most first) then time (oldest first). The public
/// sees the visible suggestions (approved; with `moderation: post` also those not
/// reviewed yet); an admin of the organisation sees all, each approved or pending
/// one with its `likely_duplicates`. `status` filters; `limit` 1–100 (default 50).
pub async fn list(
    state: web::Data<AppState>,
    caller: MaybeAdmin,
    path: web::Path<String>,
    query: web::Query<ListQuery>,
) -> AppResult<HttpResponse> {
    let id: ContestId = parse_id(&path, "contest")?;
    let limit = query.limit.unwrap_or(50);
    if !(1..=100).contains(&limit) {
        return Err(AppError::bad_request(
            "invalid_limit",
            "`limit` must be between 1 and 100",
        ));
    }
    let filter = match query.status.as_deref() {
        Some(s) if ALL_STATUSES.contains(&s) => Some(s.to_owned()),
        Some(other) => {
            return Err(AppError::bad_request(
                "invalid_status",
                format!(
                    "`status` must be one of: {}; got `{other}`",
                    ALL_STATUSES.join(", ")
                ),
            ))
        }
        None => None,
    };
    let after = query.cursor.as_deref().map(decode_cursor).transpose()?;
    let is_admin = caller.0.is_some();
    let contest = load_visible(&state, caller, id).await?;
    let allowed: &[&str] = if is_admin {
        &ALL_STATUSES
    } else {
        db::suggestions::visible_statuses(contest.moderation)
    };
    let statuses: Vec<&'static str> = allowed
        .iter()
        .copied()
        .filter(|s| filter.as_deref().is_none_or(|f| f == *s))
        .collect();
    let (items, next_cursor) = state
        .db(move |conn| {
            let mut page = db::suggestions::list(conn, id, &statuses, after, limit + 1)?;
            let next = if page.len() as i64 > limit {
                page.truncate(limit as usize);
                page.last().map(encode_cursor)
            } else {
                None
            };
            let open: Vec<Uuid> = page
                .iter()
                .filter(|r| {
                    r.status == db::suggestions::PENDING || r.status == db::suggestions::APPROVED
                })
                .map(|r| r.id)
                .collect();
            let mut items = views(conn, page)?;
            if is_admin {
                let mut dups: BTreeMap<Uuid, Vec<LikelyDuplicate>> = BTreeMap::new();
                for p in db::suggestions::likely_duplicates(conn, id, &open, MIN_SIMILARITY)? {
                    dups.entry(p.id).or_default().push(LikelyDuplicate {
                        id: p.other_id,
                        name: p.other_name,
                        score: round3(p.score),
                    });
                }
                for item in &mut items {
                    if open.contains(&item.id) {
                        item.likely_duplicates = Some(dups.remove(&item.id).unwrap_or_default());
                    }
                }
            }
            Ok((items, next))
        })
        .await?;
    Ok(HttpResponse::Ok().json(json!({ "items": items, "next_cursor": next_cursor })))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SimilarQuery {
    pub name: String,
    #[serde(default)]
    pub limit: Option<i64>,
}

/// `GET /v1/contests/{id}/suggestions/similar?name=&limit=` → `{items}`: the
/// suggestions the caller may see (public: visible ones; admin: pending and
/// approved) whose names are close to `name`, best first, each with `score`
/// (0–1; 1 = the same dedupe key). `limit` 1–20 (default 5); scores below 0.4
/// are left out.
pub async fn similar(
    state: web::Data<AppState>,
    caller: MaybeAdmin,
    path: web::Path<String>,
    query: web::Query<SimilarQuery>,
) -> AppResult<HttpResponse> {
    let id: ContestId = parse_id(&path, "contest")?;
    let limit = query.limit.unwrap_or(5);
    if !(1..=20).contains(&limit) {
        return Err(AppError::bad_request(
            "invalid_limit",
            "`limit` must be between 1 and 20",
        ));
    }
    let name = SuggestionName::parse(&query.name).map_err(|m| AppError::invalid("name", m))?;
    let is_admin = caller.0.is_some();
    let contest = load_visible(&state, caller, id).await?;
    let statuses: &'static [&'static str] = if is_admin {
        &[db::suggestions::PENDING, db::suggestions::APPROVED]
    } else {
        db::suggestions::visible_statuses(contest.moderation)
    };
    let items = state
        .db(move |conn| {
            let rows = db::suggestions::similar(
                conn,
                id,
                name.as_str(),
                name.dedupe_key(),
                statuses,
                MIN_SIMILARITY,
                limit,
            )?;
            let scores: Vec<f64> = rows.iter().map(|r| r.score).collect();
            let views = views(conn, rows.into_iter().map(|r| r.suggestion).collect())?;
            Ok(views
                .into_iter()
                .zip(scores)
                .map(|(v, score)| {
                    let mut value = serde_json::to_value(v).unwrap_or_default();
                    if let Some(map) = value.as_object_mut() {
                        map.insert("score".into(), json!(round3(score)));
                    }
                    value
                })
                .collect::<Vec<_>>())
        })
        .await?;
    Ok(HttpResponse::Ok().json(json!({ "items": items })))
}

/// `PATCH …/suggestions/{sid}` body: exactly one of `status` (`approved` or
/// `rejected`) and `merged_into` (another suggestion's id).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PatchSuggestion {
    #[serde(default)]
    pub status: Option<String>,
    #[serde(default)]
    pub merged_into: Option<Uuid>,
}

enum Moderate {
    Status(&'static str),
    Merge(SuggestionId),
}

impl PatchSuggestion {
    fn action(self) -> AppResult<Moderate> {
        match (self.status, self.merged_into) {
            (Some(_), Some(_)) => Err(AppError::invalid(
                "body",
                "send either `status` or `merged_into`, not both",
            )),
            (None, None) => Err(AppError::invalid(
                "body",
                "send `status` (approved or rejected) or `merged_into` (a suggestion id)",
            )),
            (Some(s), None) => match s.as_str() {
                "approved" => Ok(Moderate::Status(db::suggestions::APPROVED)),
                "rejected" => Ok(Moderate::Status(db::suggestions::REJECTED)),
                other => Err(AppError::invalid(
                    "status",
                    format!(
                        "`{other}` is not one of: approved, rejected (use `merged_into` to merge)"
                    ),
                )),
            },
            (None, Some(target)) => Ok(Moderate::Merge(SuggestionId(target))),
        }
    }
}

/// `PATCH /v1/contests/{id}/suggestions/{sid}` (admin): approve, reject, or merge
/// into another suggestion. Only while the contest is `suggesting`: once voting
/// opened the candidate list is fixed, so no ballot changes meaning (409
/// `locked_by_phase`). A merged suggestion cannot change again. Returns the
/// suggestion as it is now.
pub async fn patch(
    state: web::Data<AppState>,
    admin: Admin,
    path: web::Path<(String, String)>,
    JsonBody(body): JsonBody<PatchSuggestion>,
) -> AppResult<HttpResponse> {
    let (raw_contest, raw_suggestion) = path.into_inner();
    let contest_id: ContestId = parse_id(&raw_contest, "contest")?;
    let sid: SuggestionId = parse_id(&raw_suggestion, "suggestion")?;
    let action = body.action()?;
    let now = Utc::now();
    let updated = state
        .db(move |conn| {
            conn.transaction(|conn| {
                let (_, phase) = lock_current(conn, admin.org_id, contest_id, now)?;
                let source = db::suggestions::find(conn, contest_id, sid)?
                    .ok_or_else(|| AppError::not_found("suggestion"))?;
                if phase != Phase::Suggesting {
                    return Err(AppError::conflict(
                        "locked_by_phase",
                        format!("suggestions can be moderated and merged only while the contest is `suggesting`; it is `{phase}`, so the candidates are fixed"),
                    ));
                }
                if let Some(target) = source.merged_into {
                    return Err(AppError::conflict(
                        "already_merged",
                        format!("this suggestion was merged into {target}; a merge is final"),
                    ));
                }
                let actor = admin.actor();
                match action {
                    Moderate::Status(status) => {
                        if source.status == status {
                            return view(conn, source);
                        }
                        let row = db::suggestions::set_status(conn, sid, status)?;
                        db::audit::record(
                            conn,
                            admin.org_id.0,
                            Some(contest_id.0),
                            &actor,
                            "suggestion.moderate",
                            json!({
                                "suggestion_id": sid,
                                "name": row.name,
                                "from": source.status,
                                "to": status,
                            }),
                        )?;
                        view(conn, row)
                    }
                    Moderate::Merge(target_id) => {
                        if target_id == sid {
                            return Err(AppError::conflict(
                                "invalid_merge",
                                "a suggestion cannot be merged into itself",
                            ));
                        }
                        let target = db::suggestions::find(conn, contest_id, target_id)?
                            .ok_or_else(|| {
                                AppError::invalid(
                                    "merged_into",
                                    "no suggestion with this id in this contest",
                                )
                            })?;
                        if let Some(next) = target.merged_into {
                            return Err(if next == sid.0 {
                                AppError::conflict(
                                    "merge_cycle",
                                    "the target was merged into this suggestion; merging back would make a cycle",
                                )
                            } else {
                                AppError::conflict(
                                    "invalid_merge",
                                    format!("the target was itself merged into {next}; merge into that one"),
                                )
                            });
                        }
                        if target.status == db::suggestions::REJECTED {
                            return Err(AppError::conflict(
                                "invalid_merge",
                                "the target is rejected; approve it first or merge into another suggestion",
                            ));
                        }
                        let merged_target = db::suggestions::merge(conn, sid, target_id)?;
                        db::audit::record(
                            conn,
                            admin.org_id.0,
                            Some(contest_id.0),
                            &actor,
                            "suggestion.merge",
                            json!({
                                "suggestion_id": sid,
                                "name": source.name,
                                "merged_into": target_id,
                                "target_name": merged_target.name,
                            }),
                        )?;
                        let row = db::suggestions::find(conn, contest_id, sid)?
                            .ok_or_else(|| AppError::Unexpected(anyhow::anyhow!("suggestion vanished")))?;
                        view(conn, row)
                    }
                }
            })
        })
        .await?;
    Ok(HttpResponse::Ok().json(updated))
}
