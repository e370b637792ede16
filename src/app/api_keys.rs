//! Organisations' API keys: authenticate a request's key, mint, list, revoke.
//! Only a key's hash is stored; the secret is returned once, by [`create`].

use chrono::{DateTime, Utc};
use serde_json::json;
use uuid::Uuid;

use super::{Admin, App};
use crate::db::{self, api_keys::ApiKeyRow};
use crate::domain::{
    hash_api_key, looks_like_api_key, ApiKeyId, DisplayName, NewApiKeySecret, OrgId,
};
use crate::error::{AppError, AppResult};

/// The admin a bearer token names: a live key of some organisation. Checked
/// against the database on every request, so a revoke applies at once on every
/// instance.
pub async fn authenticate(app: &App, token: String) -> AppResult<Admin> {
    if !looks_like_api_key(&token) {
        return Err(AppError::Unauthorized(
            "this needs an organisation's API key (it starts with `chr_`)".into(),
        ));
    }
    let hash = hash_api_key(&token);
    let row = app
        .db(move |conn| Ok(db::api_keys::find_live_by_hash(conn, &hash)?))
        .await?;
    match row {
        Some(row) => Ok(Admin {
            org_id: OrgId(row.org_id),
            key_id: ApiKeyId(row.id),
        }),
        None => Err(AppError::Unauthorized(
            "the API key is unknown or has been revoked".into(),
        )),
    }
}

/// An API key as admins see it: never the secret, nor its hash.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ApiKey {
    pub id: Uuid,
    pub name: String,
    /// The first characters of the key, to tell keys apart.
    pub prefix: String,
    pub created_at: DateTime<Utc>,
    pub revoked_at: Option<DateTime<Utc>>,
}

impl From<ApiKeyRow> for ApiKey {
    fn from(row: ApiKeyRow) -> Self {
        ApiKey {
            id: row.id,
            name: row.name,
            prefix: row.key_prefix,
            created_at: row.created_at,
            revoked_at: row.revoked_at,
        }
    }
}

/// A key just minted, with the secret, which is never shown again.
pub struct MintedKey {
    pub key: ApiKey,
    pub secret: String,
}

/// Mints a key for the admin's organisation (audited).
pub async fn create(app: &App, admin: Admin, name: DisplayName) -> AppResult<MintedKey> {
    let key = NewApiKeySecret::generate();
    let (hash, prefix) = (key.hash, key.prefix.clone());
    let row = app
        .db(move |conn| {
            db::transaction(conn, |conn| {
                let row = db::api_keys::insert(
                    conn,
                    Uuid::new_v4(),
                    admin.org(),
                    name.as_str(),
                    &hash,
                    &prefix,
                )?;
                db::audit::record(
                    conn,
                    admin.org(),
                    None,
                    &admin.actor(),
                    "api_key.create",
                    json!({ "key_id": row.id, "name": row.name }),
                )?;
                Ok(row)
            })
        })
        .await?;
    Ok(MintedKey {
        key: row.into(),
        secret: key.secret,
    })
}

/// The organisation's keys, newest first, revoked ones included.
pub async fn list(app: &App, admin: Admin) -> AppResult<Vec<ApiKey>> {
    let rows = app
        .db(move |conn| Ok(db::api_keys::list_for_org(conn, admin.org())?))
        .await?;
    Ok(rows.into_iter().map(ApiKey::from).collect())
}

/// Revokes one of the organisation's keys (audited). The last live key cannot
/// be revoked, so an organisation never locks itself out.
pub async fn revoke(app: &App, admin: Admin, key_id: ApiKeyId) -> AppResult<ApiKey> {
    app.db(move |conn| {
        db::transaction(conn, |conn| {
            let keys = db::api_keys::list_for_org_for_update(conn, admin.org())?;
            let target = keys
                .iter()
                .find(|k| k.id == key_id.0)
                .ok_or_else(|| AppError::not_found("API key"))?;
            let live = keys.iter().filter(|k| k.revoked_at.is_none()).count();
            if target.revoked_at.is_none() && live == 1 {
                return Err(AppError::conflict(
                    "last_api_key",
                    "this is the organisation's last live API key; mint another before revoking it",
                ));
            }
            let row = db::api_keys::revoke(conn, admin.org(), key_id.0)?
                .ok_or_else(|| AppError::not_found("API key"))?;
            db::audit::record(
                conn,
                admin.org(),
                None,
                &admin.actor(),
                "api_key.revoke",
                json!({ "key_id": row.id }),
            )?;
            Ok(ApiKey::from(row))
        })
    })
    .await
}
