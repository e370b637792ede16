//! `/v1/api-keys`: mint, list and revoke the organisation's admin keys.

use actix_web::{web, HttpResponse};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::json;
use uuid::Uuid;

use super::auth::Admin;
use super::extract::{parse_id, JsonBody};
use super::AppState;
use crate::app::api_keys::{self, MintedKey};
use crate::db::api_keys::ApiKeyRow;
use crate::domain::{ApiKeyId, DisplayName};
use crate::error::{AppError, AppResult};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateApiKey {
    pub name: String,
}

/// A key as listed: never the secret.
#[derive(Debug, Serialize)]
pub struct ApiKeyView {
    pub id: Uuid,
    pub name: String,
    /// The first characters of the key, to tell keys apart.
    pub prefix: String,
    pub created_at: DateTime<Utc>,
    pub revoked_at: Option<DateTime<Utc>>,
}

impl From<ApiKeyRow> for ApiKeyView {
    fn from(row: ApiKeyRow) -> Self {
        ApiKeyView {
            id: row.id,
            name: row.name,
            prefix: row.key_prefix,
            created_at: row.created_at,
            revoked_at: row.revoked_at,
        }
    }
}

/// `POST /v1/api-keys` → 201 `{id, name, prefix, api_key, created_at}`; the
/// secret `api_key` appears in this response only.
pub async fn create(
    state: web::Data<AppState>,
    admin: Admin,
    JsonBody(body): JsonBody<CreateApiKey>,
) -> AppResult<HttpResponse> {
    let name = DisplayName::parse(&body.name).map_err(|m| AppError::invalid("name", m))?;
    let MintedKey { row, secret } = api_keys::create(&state.app, admin, name).await?;
    Ok(HttpResponse::Created().json(json!({
        "id": row.id,
        "name": row.name,
        "prefix": row.key_prefix,
        "api_key": secret,
        "created_at": row.created_at,
    })))
}

/// `GET /v1/api-keys` → `{items: [key]}`, newest first, revoked ones included.
pub async fn list(state: web::Data<AppState>, admin: Admin) -> AppResult<HttpResponse> {
    let rows = api_keys::list(&state.app, admin).await?;
    let items: Vec<ApiKeyView> = rows.into_iter().map(ApiKeyView::from).collect();
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
    let row = api_keys::revoke(&state.app, admin, key_id).await?;
    Ok(HttpResponse::Ok().json(ApiKeyView::from(row)))
}
