//! `GET /v1/contests/{id}/results[?method=]`: the engine's report on the
//! contest's ballots, as `app::results` computes, caches and shows it, with
//! HTTP caching on top (ETag, `Cache-Control` by visibility and finality).
//! A public request for a cached result (and its conditional `If-None-Match`,
//! answered 304) reads nothing from the database: the contest and the result
//! come from this instance's memory. `X-Ballot-Version` says which ballots the
//! result counted, whichever server (primary or replica) it was read from.

use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use chrono::Utc;
use serde::Deserialize;

use super::auth::MaybeAdmin;
use super::extract::parse_id;
use super::http::if_none_match;
use super::AppState;
use crate::app::results::{result_for, visible_contest, LIVE_MAX_AGE_SECS};
use crate::app::visibility::is_public;
use crate::domain::{parse_method, ContestId};
use crate::error::{AppError, AppResult};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ResultsQuery {
    #[serde(default)]
    pub method: Option<String>,
}

/// `GET /v1/contests/{id}/results[?method=]`.
pub async fn get(
    state: web::Data<AppState>,
    caller: MaybeAdmin,
    path: web::Path<String>,
    query: web::Query<ResultsQuery>,
    req: HttpRequest,
) -> AppResult<HttpResponse> {
    let id: ContestId = parse_id(&path, "contest")?;
    // From this instance's memory when cached (an admin's: the primary).
    let contest = visible_contest(&state, caller.0, id).await?;
    let method = match query.method.as_deref() {
        None => contest.method,
        Some(raw) => parse_method(raw)
            .map_err(|m| AppError::bad_request("invalid_method", format!("`method`: {m}")))?,
    };
    let phase = contest.phase_at(Utc::now());
    let is_admin = caller.0.is_some();
    let public = is_public(&contest, phase);
    let result = result_for(&state, contest, method, is_admin).await?;
    let cache_control = match (public, result.final_) {
        (true, true) => "public, max-age=300".to_owned(),
        (true, false) => format!("public, max-age={LIVE_MAX_AGE_SECS}"),
        (false, _) => "private, no-cache".to_owned(),
    };
    let matches = if_none_match(&req, &result.etag);
    let mut response = if matches {
        HttpResponse::NotModified()
    } else {
        HttpResponse::Ok()
    };
    response
        .insert_header((header::ETAG, result.etag.clone()))
        .insert_header((header::CACHE_CONTROL, cache_control))
        .insert_header((header::VARY, "Authorization"))
        // Which ballots it counted: the largest ballot version (0: none).
        .insert_header(("X-Ballot-Version", result.version.to_string()));
    if matches {
        return Ok(response.finish());
    }
    Ok(response
        .insert_header((header::CONTENT_TYPE, "application/json"))
        .body(result.body))
}
