//! Operations: liveness, readiness, metrics and the API description.

use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use serde_json::json;

use super::AppState;
use crate::error::AppResult;

/// The OpenAPI document, compiled in so the served copy always matches the build.
pub const OPENAPI_YAML: &str = include_str!("../../openapi.yaml");

/// `GET /healthz`: the process is up and answering. Never touches the database.
pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(json!({ "status": "ok" }))
}

/// `GET /readyz`: 200 when the database answers a query, 503 otherwise.
pub async fn readyz(state: web::Data<AppState>) -> AppResult<HttpResponse> {
    state.ready().await?;
    Ok(HttpResponse::Ok().json(json!({ "status": "ready" })))
}

/// `GET /metrics`: Prometheus text format, for the operator only
/// (docs/SECURITY.md S7): the bearer of `CHRISTEN_METRICS_TOKEN` when it is
/// set, else loopback peers (the connection's address, not `X-Forwarded-For`).
pub async fn metrics(state: web::Data<AppState>, req: HttpRequest) -> AppResult<HttpResponse> {
    let authorization = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok());
    state
        .metrics
        .authorize(req.peer_addr().map(|a| a.ip()), authorization)?;
    let body = state
        .metrics
        .render(state.pool_stats(), state.result_counts())?;
    Ok(HttpResponse::Ok()
        .content_type("application/openmetrics-text; version=1.0.0; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(body))
}

/// `GET /openapi.yaml`.
pub async fn openapi() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("application/yaml")
        .body(OPENAPI_YAML)
}
