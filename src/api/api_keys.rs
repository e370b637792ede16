//! `/v1/api-keys`: mint, list and revoke the organisation's admin keys.

use actix_web::{web, HttpResponse};
use serde::Deserialize;
use serde_json::json;

use super::auth::Admin;
use super::extract::{parse_id, JsonBody};
use super::AppState;
use crate::app::api_keys::{self, MintedKey};
use crate::domain::{ApiKeyId, DisplayName};
use crate::error::{AppError, AppResult};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateApiKey {
    pub name: String,
}

/// `POST /v1/api-keys` → 201 `{id, name, prefix, api_key, created_at}`; the
/// secret `api_key` appears in this response only.
pub async fn create(
    state: web::Data<AppState>,
    admin: Admin,
    JsonBody(body): JsonBody<CreateApiKey>,
) -> AppResult<HttpResponse> {
    let name = DisplayName::parse(&body.name).map_err(|m| AppError::invalid("name", m))?;
    let MintedKey { key, secret } = api_keys::create(&state.app, admin, name).await?;
    Ok(HttpResponse::Created().json(json!({
        "id": key.id,
        "name": key.name,
        "prefix": key.prefix,
        "api_key": secret,
        "created_at": key.created_at,
    })))
}

/// `GET /v1/api-keys` → `{items: [key]}`, newest first, revoked ones included.
pub async fn list(state: web::Data<AppState>, admin: Admin) -> AppResult<HttpResponse> {
    let items = api_keys::list(&state.app, admin).await?;
    Ok(HttpResponse::Ok().json(json!({ "items": items })))
}

/// `DELETE /v1/api-keys/{id}` → 200 with the revoked key. Revoking takes effect
/// at once on every instance; the organisation's last live key cannot be revoked.
pub async fn revoke(
    state: web::Data<AppState>,
    admin: Admin,
    path: web::Path<String>,
) -> AppResult<HttpResponse> {
    let key_id: ApiKeyId = parse_id(&path, "API key")?;
    let key = api_keys::revoke(&state.app, admin, key_id).await?;
    Ok(HttpResponse::Ok().json(key))
}
