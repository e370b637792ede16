//! `GET /v1/contests/{id}/audit` and `GET /v1/audit`: the append-only log of admin
//! actions, oldest first, paged.

use actix_web::{web, HttpResponse};
use serde::Deserialize;
use serde_json::json;

use super::auth::Admin;
use super::extract::parse_id;
use super::AppState;
use crate::app::audit::{self, AuditPage};
use crate::domain::ContestId;
use crate::error::{AppError, AppResult};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuditQuery {
    #[serde(default)]
    pub limit: Option<i64>,
    #[serde(default)]
    pub cursor: Option<String>,
}

impl AuditQuery {
    /// `(after, limit)`: the cursor is the id of the last entry of the previous page.
    fn page(&self) -> AppResult<(i64, i64)> {
        let limit = self.limit.unwrap_or(100);
        if !(1..=500).contains(&limit) {
            return Err(AppError::bad_request(
                "invalid_limit",
                "`limit` must be between 1 and 500",
            ));
        }
        let after = match &self.cursor {
            Some(c) => c.parse::<i64>().ok().filter(|n| *n >= 0).ok_or_else(|| {
                AppError::bad_request("invalid_cursor", "`cursor` is not one this API returned")
            })?,
            None => 0,
        };
        Ok((after, limit))
    }
}

fn page_response(page: AuditPage) -> HttpResponse {
    let next_cursor = page.next_cursor.map(|id| id.to_string());
    HttpResponse::Ok().json(json!({ "items": page.items, "next_cursor": next_cursor }))
}

/// `GET /v1/contests/{id}/audit?limit=&cursor=` (admin) → `{items, next_cursor}`:
/// the contest's entries (creation, edits, phase moves, moderation, merges, code
/// generation), oldest first; `limit` 1–500 (default 100).
pub async fn contest_log(
    state: web::Data<AppState>,
    admin: Admin,
    path: web::Path<String>,
    query: web::Query<AuditQuery>,
) -> AppResult<HttpResponse> {
    let id: ContestId = parse_id(&path, "contest")?;
    let (after, limit) = query.page()?;
    let page = audit::for_contest(&state.app, admin, id, after, limit).await?;
    Ok(page_response(page))
}

/// `GET /v1/audit?limit=&cursor=` (admin) → `{items, next_cursor}`: every entry of
/// the organisation, those about no contest (API keys, the voter-JWT key)
/// included, oldest first.
pub async fn org_log(
    state: web::Data<AppState>,
    admin: Admin,
    query: web::Query<AuditQuery>,
) -> AppResult<HttpResponse> {
    let (after, limit) = query.page()?;
    let page = audit::for_org(&state.app, admin, after, limit).await?;
    Ok(page_response(page))
}
