//! `/v1/webhooks`: register, list and delete the organisation's signed webhook
//! endpoints, read their deliveries and send a test event. What is sent and
//! how is `app::webhooks` and `app::delivery`.

use actix_web::{web, HttpResponse};
use serde::Deserialize;
use serde_json::json;
use uuid::Uuid;

use super::auth::Admin;
use super::extract::{parse_id, JsonBody};
use super::http::page_limit;
use super::AppState;
use crate::app::webhooks::{self, NewWebhook, TargetPolicy};
use crate::error::{AppError, AppResult};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateWebhook {
    pub url: String,
    pub events: Vec<String>,
    #[serde(default)]
    pub description: Option<String>,
}

/// `POST /v1/webhooks {url, events, description?}` → 201 with the webhook and
/// its signing `secret` (`whsec_…`, shown in this response only). A URL that is
/// not `https`, or names a private, loopback or link-local address, is a 422
/// unless `CHRISTEN_WEBHOOK_ALLOW_PRIVATE=true` (docs/SECURITY.md).
pub async fn create(
    state: web::Data<AppState>,
    policy: web::Data<TargetPolicy>,
    admin: Admin,
    JsonBody(body): JsonBody<CreateWebhook>,
) -> AppResult<HttpResponse> {
    let new = NewWebhook::parse(
        &body.url,
        &body.events,
        body.description.as_deref(),
        **policy,
    )?;
    let created = webhooks::create(&state.app, admin, new).await?;
    let mut view =
        serde_json::to_value(&created.webhook).map_err(|e| AppError::Unexpected(e.into()))?;
    view["secret"] = json!(created.secret);
    Ok(HttpResponse::Created().json(view))
}

/// `GET /v1/webhooks` → `{items: [webhook]}`, oldest first, never the secrets.
pub async fn list(state: web::Data<AppState>, admin: Admin) -> AppResult<HttpResponse> {
    let items = webhooks::list(&state.app, admin).await?;
    Ok(HttpResponse::Ok().json(json!({ "items": items })))
}

/// `DELETE /v1/webhooks/{id}` → 200 with the deleted webhook; its pending
/// deliveries are dropped. Another organisation's is a 404 (docs/SECURITY.md S1).
pub async fn delete(
    state: web::Data<AppState>,
    admin: Admin,
    path: web::Path<String>,
) -> AppResult<HttpResponse> {
    let id: Uuid = parse_id(&path, "webhook")?;
    let deleted = webhooks::delete(&state.app, admin, id).await?;
    Ok(HttpResponse::Ok().json(deleted))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeliveriesQuery {
    #[serde(default)]
    pub limit: Option<i64>,
    #[serde(default)]
    pub cursor: Option<String>,
}

/// `GET /v1/webhooks/{id}/deliveries?limit=&cursor=` → `{items, next_cursor}`:
/// newest first, each with its status, attempts, last response code and next
/// attempt; `limit` 1–200 (default 50).
pub async fn deliveries(
    state: web::Data<AppState>,
    admin: Admin,
    path: web::Path<String>,
    query: web::Query<DeliveriesQuery>,
) -> AppResult<HttpResponse> {
    let id: Uuid = parse_id(&path, "webhook")?;
    let limit = page_limit(query.limit, 50, 200)?;
    let before = match &query.cursor {
        Some(c) => Some(c.parse::<i64>().ok().filter(|n| *n > 0).ok_or_else(|| {
            AppError::bad_request("invalid_cursor", "`cursor` is not one this API returned")
        })?),
        None => None,
    };
    let page = webhooks::deliveries(&state.app, admin, id, before, limit).await?;
    Ok(HttpResponse::Ok().json(json!({
        "items": page.items,
        "next_cursor": page.next.map(|n| n.to_string()),
    })))
}

/// `POST /v1/webhooks/{id}/test` → 202 `{event_id, delivery_id}`: a
/// `webhook.test` event queued for this endpoint only.
pub async fn test(
    state: web::Data<AppState>,
    admin: Admin,
    path: web::Path<String>,
) -> AppResult<HttpResponse> {
    let id: Uuid = parse_id(&path, "webhook")?;
    let queued = webhooks::send_test(&state.app, admin, id).await?;
    Ok(HttpResponse::Accepted().json(queued))
}
