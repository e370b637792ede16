//! CORS for every route, in one middleware.
//!
//! - **Public reads** (`GET`/`HEAD` of a contest, its public suggestions, results,
//!   the SVG chart, the live stream, anonymised ballots, the widget script, oEmbed
//!   and the API description) answer any origin with `Access-Control-Allow-Origin: *`
//!   when the request carries no `Authorization` header — always, Origin or not, so
//!   shared caches may store one copy.
//! - **Everything else** (admin calls, voter calls, public reads sent with
//!   credentials) is allowed only for the organisation's allowed origins
//!   (`/v1/allowed-origins`): the response echoes the origin, with `Vary: Origin`.
//!   Which organisation: the admin of the request (its API key), else the one
//!   owning the contest named in the path.
//! - **Preflights** (`OPTIONS` with `Access-Control-Request-Method`) are answered
//!   here for every route (the handlers never see them): 204 with the allowed
//!   methods and headers, or 403 problem+json for an origin that is not allowed.
//!   A preflight carries no credentials, so for routes that name no contest it
//!   asks whether *any* organisation allows the origin; the real response is
//!   still checked against the caller's own organisation.

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderMap, HeaderValue};
use actix_web::http::Method;
use actix_web::middleware::Next;
use actix_web::{web, HttpMessage, HttpResponse, ResponseError};
use uuid::Uuid;

use super::auth::Admin;
use super::AppState;
use crate::app::origins::{self, OriginScope};
use crate::domain::normalise_origin;
use crate::error::AppError;

/// Route patterns whose `GET`/`HEAD` any web site may read without credentials.
pub const PUBLIC_READS: &[&str] = &[
    "/v1/contests/{contest_id}",
    "/v1/contests/{contest_id}/suggestions",
    "/v1/contests/{contest_id}/suggestions/similar",
    "/v1/contests/{contest_id}/results",
    "/v1/contests/{contest_id}/results.svg",
    "/v1/contests/{contest_id}/results/stream",
    "/v1/contests/{contest_id}/ballots",
    "/widget.js",
    "/oembed",
    "/openapi.yaml",
];

const ALLOW_METHODS: &str = "GET, HEAD, POST, PUT, PATCH, DELETE";
const ALLOW_HEADERS: &str = "Authorization, Content-Type, If-None-Match, Last-Event-ID";
const EXPOSE_HEADERS: &str = "ETag, Location, Retry-After, X-Request-Id";
/// How long a browser may reuse a preflight answer, in seconds.
const MAX_AGE: &str = "600";

/// Which organisation's list decides a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Scope {
    /// The organisation owning this contest.
    Contest(Uuid),
    /// No contest in the path.
    Unscoped,
}

fn scope_of(path: &str) -> Scope {
    let rest = path
        .strip_prefix("/v1/contests/")
        .or_else(|| path.strip_prefix("/embed/contests/"));
    let id = rest.map(|r| r.split(['/', '.']).next().unwrap_or(""));
    match id.and_then(|id| Uuid::parse_str(id).ok()) {
        Some(id) => Scope::Contest(id),
        None => Scope::Unscoped,
    }
}

fn is_public_read(pattern: Option<&str>, method: &Method) -> bool {
    (method == Method::GET || method == Method::HEAD)
        && pattern.is_some_and(|p| PUBLIC_READS.contains(&p))
}

fn origin_of(headers: &HeaderMap) -> Option<String> {
    headers
        .get(header::ORIGIN)
        .and_then(|v| v.to_str().ok())
        .and_then(|o| normalise_origin(o).ok())
}

/// Looks the origin up in the lists of the organisations the request concerns.
async fn allowed(
    state: &AppState,
    origin: String,
    admin: Option<Admin>,
    scope: Scope,
) -> Result<bool, AppError> {
    let scope = match (admin, scope) {
        (Some(admin), _) => OriginScope::Org(admin.org()),
        (None, Scope::Contest(id)) => OriginScope::Contest(id),
        // A preflight (it carries no credentials yet), or an answer without an
        // admin on a route naming no contest (a 401, a health check).
        (None, Scope::Unscoped) => OriginScope::Any,
    };
    origins::allows(&state.app, origin, scope).await
}

fn set(headers: &mut HeaderMap, name: header::HeaderName, value: &str) {
    if let Ok(v) = HeaderValue::from_str(value) {
        headers.insert(name, v);
    }
}

fn add_vary_origin(headers: &mut HeaderMap) {
    let has = headers.get_all(header::VARY).any(|v| {
        v.to_str()
            .is_ok_and(|v| v.to_ascii_lowercase().contains("origin"))
    });
    if !has {
        headers.append(header::VARY, HeaderValue::from_static("Origin"));
    }
}

/// The middleware (wrap it with `actix_web::middleware::from_fn`).
pub async fn cors(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, actix_web::Error> {
    let state = req.app_data::<web::Data<AppState>>().cloned();
    let pattern = req.match_pattern();
    let scope = scope_of(req.path());
    let origin = origin_of(req.headers());
    let requested_method = req
        .headers()
        .get(header::ACCESS_CONTROL_REQUEST_METHOD)
        .and_then(|v| v.to_str().ok())
        .and_then(|m| Method::from_bytes(m.as_bytes()).ok());

    if req.method() == Method::OPTIONS && pattern.is_some() {
        if let (Some(requested), Some(_)) = (requested_method, req.headers().get(header::ORIGIN)) {
            let wants_auth = req
                .headers()
                .get(header::ACCESS_CONTROL_REQUEST_HEADERS)
                .and_then(|v| v.to_str().ok())
                .is_some_and(|h| h.to_ascii_lowercase().contains("authorization"));
            let response = preflight(
                state.as_ref().map(|s| s.get_ref()),
                pattern.as_deref(),
                &requested,
                wants_auth,
                origin,
                scope,
            )
            .await;
            return Ok(req.into_response(response).map_into_right_body());
        }
    }

    let has_auth = req.headers().contains_key(header::AUTHORIZATION);
    let public = is_public_read(pattern.as_deref(), req.method()) && !has_auth;
    let mut res = next.call(req).await?;
    if public {
        let h = res.headers_mut();
        set(h, header::ACCESS_CONTROL_ALLOW_ORIGIN, "*");
        set(h, header::ACCESS_CONTROL_EXPOSE_HEADERS, EXPOSE_HEADERS);
        return Ok(res.map_into_left_body());
    }
    add_vary_origin(res.headers_mut());
    if let (Some(origin), Some(state)) = (origin, state) {
        let admin = res.request().extensions().get::<Admin>().copied();
        match allowed(&state, origin.clone(), admin, scope).await {
            Ok(true) => {
                let h = res.headers_mut();
                set(h, header::ACCESS_CONTROL_ALLOW_ORIGIN, &origin);
                set(h, header::ACCESS_CONTROL_EXPOSE_HEADERS, EXPOSE_HEADERS);
            }
            Ok(false) => {}
            Err(e) => tracing::warn!(error = %e, "cannot check the request's origin"),
        }
    }
    Ok(res.map_into_left_body())
}

async fn preflight(
    state: Option<&AppState>,
    pattern: Option<&str>,
    requested: &Method,
    wants_auth: bool,
    origin: Option<String>,
    scope: Scope,
) -> HttpResponse {
    let ok = |allow_origin: &str| {
        let mut res = HttpResponse::NoContent().finish();
        let h = res.headers_mut();
        set(h, header::ACCESS_CONTROL_ALLOW_ORIGIN, allow_origin);
        set(h, header::ACCESS_CONTROL_ALLOW_METHODS, ALLOW_METHODS);
        set(h, header::ACCESS_CONTROL_ALLOW_HEADERS, ALLOW_HEADERS);
        set(h, header::ACCESS_CONTROL_MAX_AGE, MAX_AGE);
        add_vary_origin(h);
        res
    };
    if is_public_read(pattern, requested) && !wants_auth {
        return ok("*");
    }
    let refused = || {
        let mut res = AppError::forbidden(
            "origin_not_allowed",
            "this origin is not one the organisation allows; an admin adds it with PUT /v1/allowed-origins",
        )
        .error_response();
        add_vary_origin(res.headers_mut());
        res
    };
    let (Some(origin), Some(state)) = (origin, state) else {
        return refused();
    };
    match allowed(state, origin.clone(), None, scope).await {
        Ok(true) => ok(&origin),
        Ok(false) => refused(),
        Err(e) => e.error_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_contest_in_the_path_is_the_scope() {
        let id = Uuid::new_v4();
        assert_eq!(scope_of(&format!("/v1/contests/{id}")), Scope::Contest(id));
        assert_eq!(
            scope_of(&format!("/v1/contests/{id}/results.svg")),
            Scope::Contest(id)
        );
        assert_eq!(
            scope_of(&format!("/embed/contests/{id}")),
            Scope::Contest(id)
        );
        assert_eq!(scope_of("/v1/contests"), Scope::Unscoped);
        assert_eq!(scope_of("/v1/contests/not-a-uuid"), Scope::Unscoped);
        assert_eq!(scope_of("/v1/api-keys"), Scope::Unscoped);
    }

    #[test]
    fn only_reads_of_public_routes_are_public() {
        assert!(is_public_read(
            Some("/v1/contests/{contest_id}"),
            &Method::GET
        ));
        assert!(!is_public_read(
            Some("/v1/contests/{contest_id}"),
            &Method::PATCH
        ));
        assert!(!is_public_read(Some("/v1/contests"), &Method::GET));
        assert!(!is_public_read(None, &Method::GET));
    }
}
