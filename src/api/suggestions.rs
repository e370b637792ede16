//! `/v1/contests/{id}/suggestions`: suggest names, find similar ones, list and
//! moderate them (approve, reject, merge). The rules are `app::suggestions`.

use actix_web::{web, HttpResponse};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_json::json;
use uuid::Uuid;

use super::auth::{Admin, MaybeAdmin};
use super::extract::{parse_id, JsonBody};
use super::http::page_limit;
use super::voter::Voter;
use super::AppState;
use crate::app::suggestions::{self, ListCursor, Moderate, Suggested};
use crate::domain::{
    ContestId, SuggestionId, SuggestionName, SuggestionNote, SuggestionStatus, Validator,
};
use crate::error::{AppError, AppResult};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateSuggestion {
    pub name: String,
    #[serde(default)]
    pub note: Option<String>,
}

/// `POST /v1/contests/{id}/suggestions {name, note?}` (participant) → 201 with
/// the new suggestion; a name whose dedupe key another suggestion has is a 409
/// `duplicate_suggestion` with that suggestion (`suggestion`) in the body when
/// it is public (only that the name is taken when it is not), and counts as the
/// participant's support for it.
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
    let outcome =
        suggestions::suggest(&state.app, contest_id, voter.voter_hash.0, name, note).await?;
    match outcome {
        Suggested::New(view) => Ok(HttpResponse::Created()
            .insert_header((
                "Location",
                format!("/v1/contests/{contest_id}/suggestions/{}", view.id),
            ))
            .json(view)),
        Suggested::Duplicate {
            existing,
            support_recorded,
        } => {
            let support = if support_recorded {
                "your suggestion counts as support for it"
            } else {
                "you already support it"
            };
            Err(match existing {
                Some(existing) => AppError::Conflict {
                    code: "duplicate_suggestion",
                    detail: format!("`{}` has already been suggested; {support}", existing.name),
                    extra: Some(json!({
                        "suggestion": existing,
                        "support_recorded": support_recorded,
                    })),
                },
                // Not public: the name is taken, and that is all a participant learns.
                None => AppError::Conflict {
                    code: "duplicate_suggestion",
                    detail: format!("this name has already been suggested; {support}"),
                    extra: Some(json!({ "support_recorded": support_recorded })),
                },
            })
        }
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

fn encode_cursor((support, created_at, id): ListCursor) -> String {
    URL_SAFE_NO_PAD.encode(format!("{support}|{}|{id}", created_at.to_rfc3339()))
}

fn decode_cursor(raw: &str) -> AppResult<ListCursor> {
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

fn status_filter(raw: Option<&str>) -> AppResult<Option<SuggestionStatus>> {
    raw.map(|s| {
        SuggestionStatus::parse(s).map_err(|_| {
            let names: Vec<&str> = SuggestionStatus::ALL.iter().map(|s| s.as_str()).collect();
            AppError::bad_request(
                "invalid_status",
                format!("`status` must be one of: {}; got `{s}`", names.join(", ")),
            )
        })
    })
    .transpose()
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
    let limit = page_limit(query.limit, 50, 100)?;
    let filter = status_filter(query.status.as_deref())?;
    let after = query.cursor.as_deref().map(decode_cursor).transpose()?;
    let page = suggestions::list(&state.app, caller.0, id, filter, after, limit).await?;
    let next_cursor = page.next.map(encode_cursor);
    Ok(HttpResponse::Ok().json(json!({ "items": page.items, "next_cursor": next_cursor })))
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
    let limit = page_limit(query.limit, 5, 20)?;
    let name = SuggestionName::parse(&query.name).map_err(|m| AppError::invalid("name", m))?;
    let found = suggestions::similar(&state.app, caller.0, id, name, limit).await?;
    let items: Vec<serde_json::Value> = found
        .into_iter()
        .map(|(s, score)| {
            let mut value = serde_json::to_value(s).unwrap_or_default();
            if let Some(map) = value.as_object_mut() {
                map.insert("score".into(), json!(score));
            }
            value
        })
        .collect();
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
                "approved" => Ok(Moderate::Status(SuggestionStatus::Approved)),
                "rejected" => Ok(Moderate::Status(SuggestionStatus::Rejected)),
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
/// into another suggestion, only while the contest is `suggesting` (409
/// `locked_by_phase` after). A merged suggestion cannot change again. Returns the
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
    let updated = suggestions::moderate(&state.app, admin, contest_id, sid, action).await?;
    Ok(HttpResponse::Ok().json(updated))
}
