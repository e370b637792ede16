//! `/v1/allowed-origins`: the web origins an organisation allows to call the JSON
//! API from a browser (CORS) and to frame its embed pages (CSP `frame-ancestors`); the rules are
//! `app::origins`.

use actix_web::{web, HttpResponse};
use serde::Deserialize;
use serde_json::json;

use super::auth::Admin;
use super::extract::JsonBody;
use super::AppState;
use crate::app::origins;
use crate::error::AppResult;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PutOrigins {
    pub origins: Vec<String>,
}

fn view(origins: &[String]) -> serde_json::Value {
    json!({ "origins": origins })
}

/// `GET /v1/allowed-origins` → `{origins: [string]}`.
pub async fn list(state: web::Data<AppState>, admin: Admin) -> AppResult<HttpResponse> {
    let origins = origins::list(&state.app, admin).await?;
    Ok(HttpResponse::Ok().json(view(&origins)))
}

/// `PUT /v1/allowed-origins {origins}` → the normalised, sorted, deduplicated
/// list. Replaces the whole list; `[]` allows no other site.
pub async fn replace(
    state: web::Data<AppState>,
    admin: Admin,
    JsonBody(body): JsonBody<PutOrigins>,
) -> AppResult<HttpResponse> {
    let origins = origins::replace(&state.app, admin, body.origins).await?;
    Ok(HttpResponse::Ok().json(view(&origins)))
}
