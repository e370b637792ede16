//! `/v1/api-keys`: mint, list and revoke the organisation's admin keys.

use actix_web::{web, HttpResponse};
use chrono::{DateTime, Utc};
use diesel::Connection;
use serde::{Deserialize, Serialize};
use serde_json::json;
use uuid::Uuid;

use super::auth::Admin;
use super::extract::{parse_id, JsonBody};
use super::AppState;
use crate::db::{self, api_keys::ApiKeyRow};
use crate::domain::{ApiKeyId, DisplayName, NewApiKeySecret};
use crate::error::{ApiError, ApiResult};

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
) -> ApiResult<HttpResponse> {
    let name = DisplayName::parse(&body.name).map_err(|m| ApiError::invalid("name", m))?;
    let key = NewApiKeySecret::generate();
    let (hash, prefix) = (key.hash, key.prefix.clone());
    let row = state
        .db(move |conn| {
            conn.transaction(|conn| {
                let row = db::api_keys::insert(
                    conn,
                    Uuid::new_v4(),
                    admin.org_id.0,
                    name.as_str(),
                    &hash,
                    &prefix,
                )?;
                db::audit::record(
                    conn,
                    admin.org_id.0,
                    None,
                    &admin.actor(),
                    "api_key.create",
                    json!({ "key_id": row.id, "name": row.name }),
                )?;
                Ok(row)
            })
        })
        .await?;
    Ok(HttpResponse::Created().json(json!({
        "id": row.id,
        "name": row.name,
        "prefix": row.key_prefix,
        "api_key": key.secret,
        "created_at": row.created_at,
    })))
}

/// `GET /v1/api-keys` → `{items: [key]}`, newest first, revoked ones included.
pub async fn list(state: web::Data<AppState>, admin: Admin) -> ApiResult<HttpResponse> {
    let rows = state
        .db(move |conn| Ok(db::api_keys::list_for_org(conn, admin.org_id.0)?))
        .await?;
    let items: Vec<ApiKeyView> = rows.into_iter().map(ApiKeyView::from).collect();
    Ok(HttpResponse::Ok().json(json!({ "items": items })))
}

/// `DELETE /v1/api-keys/{id}` → 200 with the revoked key. Revoking takes effect
/// at once on every instance (keys are checked against the database on every
/// request). The organisation's last live key cannot be revoked: mint another
/// first, so an organisation never locks itself out.
pub async fn revoke(
    state: web::Data<AppState>,
    admin: Admin,
    path: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let key_id: ApiKeyId = parse_id(&path, "API key")?;
    let row = state
        .db(move |conn| {
            conn.transaction(|conn| {
                let keys = db::api_keys::list_for_org_for_update(conn, admin.org_id.0)?;
                let target = keys
                    .iter()
                    .find(|k| k.id == key_id.0)
                    .ok_or_else(|| ApiError::not_found("API key"))?;
                let live = keys.iter().filter(|k| k.revoked_at.is_none()).count();
                if target.revoked_at.is_none() && live == 1 {
                    return Err(ApiError::conflict(
                        "last_api_key",
                        "this is the organisation's last live API key; mint another before revoking it",
                    ));
                }
                let row = db::api_keys::revoke(conn, admin.org_id.0, key_id.0)?
                    .ok_or_else(|| ApiError::not_found("API key"))?;
                db::audit::record(
                    conn,
                    admin.org_id.0,
                    None,
                    &admin.actor(),
                    "api_key.revoke",
                    json!({ "key_id": row.id }),
                )?;
                Ok(row)
            })
        })
        .await?;
    Ok(HttpResponse::Ok().json(ApiKeyView::from(row)))
}
