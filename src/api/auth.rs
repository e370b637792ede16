//! Who is calling: extractors for admins (API keys) and, later, voters.

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{web, FromRequest, HttpMessage, HttpRequest};
use futures_util::future::LocalBoxFuture;

use super::AppState;
use crate::db;
use crate::domain::{hash_api_key, looks_like_api_key, ApiKeyId, OrgId};
use crate::error::ApiError;

/// An admin of one organisation, authenticated by a live API key.
#[derive(Debug, Clone, Copy)]
pub struct Admin {
    pub org_id: OrgId,
    pub key_id: ApiKeyId,
}

impl Admin {
    /// The audit log's name for this caller.
    pub fn actor(&self) -> String {
        db::audit::actor_for_key(self.key_id.0)
    }
}

/// The bearer token of the request, if it has an `Authorization: Bearer` header.
/// A header with another scheme is a 401 rather than being ignored.
pub fn bearer_token(req: &HttpRequest) -> Result<Option<String>, ApiError> {
    let Some(value) = req.headers().get(header::AUTHORIZATION) else {
        return Ok(None);
    };
    let value = value
        .to_str()
        .map_err(|_| ApiError::Unauthorized("the Authorization header is not ASCII".into()))?;
    match value.split_once(' ') {
        Some((scheme, token))
            if scheme.eq_ignore_ascii_case("bearer") && !token.trim().is_empty() =>
        {
            Ok(Some(token.trim().to_owned()))
        }
        _ => Err(ApiError::Unauthorized(
            "use `Authorization: Bearer <token>`".into(),
        )),
    }
}

async fn admin_from_token(state: web::Data<AppState>, token: String) -> Result<Admin, ApiError> {
    if !looks_like_api_key(&token) {
        return Err(ApiError::Unauthorized(
            "this needs an organisation's API key (it starts with `chr_`)".into(),
        ));
    }
    let hash = hash_api_key(&token);
    let row = state
        .db(move |conn| Ok(db::api_keys::find_live_by_hash(conn, &hash)?))
        .await?;
    match row {
        Some(row) => Ok(Admin {
            org_id: OrgId(row.org_id),
            key_id: ApiKeyId(row.id),
        }),
        None => Err(ApiError::Unauthorized(
            "the API key is unknown or has been revoked".into(),
        )),
    }
}

fn state_of(req: &HttpRequest) -> Result<web::Data<AppState>, ApiError> {
    req.app_data::<web::Data<AppState>>()
        .cloned()
        .ok_or_else(|| ApiError::Unexpected(anyhow::anyhow!("application state missing")))
}

impl FromRequest for Admin {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let token = bearer_token(req);
        let state = state_of(req);
        let req = req.clone();
        Box::pin(async move {
            let token = token?.ok_or_else(|| {
                ApiError::Unauthorized(
                    "this needs an API key: send `Authorization: Bearer <api key>`".into(),
                )
            })?;
            let admin = admin_from_token(state?, token).await?;
            // Middleware that runs after the handler (CORS) reads the caller here.
            req.extensions_mut().insert(admin);
            Ok(admin)
        })
    }
}

/// An admin when the request carries an API key; `None` for anonymous requests
/// and for voter tokens. A bad API key is still a 401, never a silent downgrade.
#[derive(Debug, Clone, Copy)]
pub struct MaybeAdmin(pub Option<Admin>);

impl FromRequest for MaybeAdmin {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let token = bearer_token(req);
        let state = state_of(req);
        let req = req.clone();
        Box::pin(async move {
            match token? {
                Some(token) if looks_like_api_key(&token) => {
                    let admin = admin_from_token(state?, token).await?;
                    req.extensions_mut().insert(admin);
                    Ok(MaybeAdmin(Some(admin)))
                }
                _ => Ok(MaybeAdmin(None)),
            }
        })
    }
}
