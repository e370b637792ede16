//! Who is calling: the extractors for admins (API keys). Checking a key is the
//! use case `app::api_keys::authenticate`; this only reads the header.

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{web, FromRequest, HttpMessage, HttpRequest};
use futures_util::future::LocalBoxFuture;

use super::AppState;
use crate::domain::looks_like_api_key;
use crate::error::AppError;

pub use crate::app::Admin;

/// The bearer token of the request, if it has an `Authorization: Bearer` header.
/// A header with another scheme is a 401 rather than being ignored.
pub fn bearer_token(req: &HttpRequest) -> Result<Option<String>, AppError> {
    let Some(value) = req.headers().get(header::AUTHORIZATION) else {
        return Ok(None);
    };
    let value = value
        .to_str()
        .map_err(|_| AppError::Unauthorized("the Authorization header is not ASCII".into()))?;
    match value.split_once(' ') {
        Some((scheme, token))
            if scheme.eq_ignore_ascii_case("bearer") && !token.trim().is_empty() =>
        {
            Ok(Some(token.trim().to_owned()))
        }
        _ => Err(AppError::Unauthorized(
            "use `Authorization: Bearer <token>`".into(),
        )),
    }
}

async fn admin_from_token(state: web::Data<AppState>, token: String) -> Result<Admin, AppError> {
    crate::app::api_keys::authenticate(&state.app, token).await
}

fn state_of(req: &HttpRequest) -> Result<web::Data<AppState>, AppError> {
    req.app_data::<web::Data<AppState>>()
        .cloned()
        .ok_or_else(|| AppError::Unexpected(anyhow::anyhow!("application state missing")))
}

impl FromRequest for Admin {
    type Error = AppError;
    type Future = LocalBoxFuture<'static, Result<Self, AppError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let token = bearer_token(req);
        let state = state_of(req);
        let req = req.clone();
        Box::pin(async move {
            let token = token?.ok_or_else(|| {
                AppError::Unauthorized(
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
    type Error = AppError;
    type Future = LocalBoxFuture<'static, Result<Self, AppError>>;

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
