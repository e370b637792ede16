//! HTTP handlers, one module per resource, and the route table.

pub mod api_keys;
pub mod audit;
pub mod auth;
pub mod ballots;
pub mod contests;
pub mod cors;
pub mod embed;
pub mod export;
pub mod extract;
pub mod http;
pub mod i18n;
pub mod metrics;
pub mod oembed;
pub mod ops;
pub mod origins;
pub mod pages;
pub mod problem;
pub mod results;
pub mod stream;
pub mod suggestions;
pub mod svg;
pub mod voter;
pub mod voters;
pub mod webhooks;
pub mod widget;

use std::sync::Arc;

use actix_web::{web, HttpRequest, HttpResponse};

use crate::app::App;
use crate::error::{AppError, AppResult};

/// What every handler can reach: the use cases' [`App`] (through `Deref`) and
/// what only HTTP needs. Holds no per-contest state that must agree across
/// instances, so any number of instances can serve one database.
#[derive(Clone)]
pub struct AppState {
    pub app: App,
    pub metrics: Arc<metrics::Metrics>,
}

impl std::ops::Deref for AppState {
    type Target = App;

    fn deref(&self) -> &App {
        &self.app
    }
}

/// The prefix of every per-contest API route. Registered as one scope, so that
/// matching a request (which the router, the tracing span, the metrics and the
/// CORS layer each do) runs the `{contest_id}` pattern once, then compares plain
/// strings, instead of trying each per-contest pattern in turn.
const CONTEST_SCOPE: &str = "/v1/contests/{contest_id}";

/// Declares the route table once: it both registers the handlers and lists
/// `(method, path)` pairs, which a test compares with `openapi.yaml`.
macro_rules! routes {
    ($($path:literal => { $($method:ident: $handler:path),+ $(,)? }),* $(,)?) => {
        /// Every route: `(method, path)` as written in `openapi.yaml`.
        pub const ROUTES: &[(&str, &str)] = &[$($((stringify!($method), $path)),+),*];

        /// Registers every route (per-contest ones under [`CONTEST_SCOPE`]; each
        /// group in the order listed); other methods on a known path get a 405.
        pub fn configure(cfg: &mut web::ServiceConfig) {
            let mut contest_scope = web::scope(CONTEST_SCOPE);
            let mut others: Vec<actix_web::Resource> = Vec::new();
            $(
                let path: &str = $path;
                let scoped = path.strip_prefix(CONTEST_SCOPE);
                let resource = web::resource(scoped.unwrap_or(path))
                    $(.route(web::$method().to($handler)))+
                    .default_service(web::to(method_not_allowed));
                if scoped.is_some() {
                    contest_scope = contest_scope.service(resource);
                } else {
                    others.push(resource);
                }
            )*
            // First: the busiest routes are per-contest, and no other route
            // starts with the scope's prefix.
            cfg.service(contest_scope);
            for resource in others {
                cfg.service(resource);
            }
        }
    };
}

routes! {
    "/healthz" => { get: ops::healthz },
    "/readyz" => { get: ops::readyz },
    "/metrics" => { get: ops::metrics },
    "/openapi.yaml" => { get: ops::openapi },
    "/v1/api-keys" => { get: api_keys::list, post: api_keys::create },
    "/v1/api-keys/{key_id}" => { delete: api_keys::revoke },
    "/v1/contests" => { get: contests::list, post: contests::create },
    "/v1/contests/{contest_id}" => { get: contests::get, patch: contests::patch },
    "/v1/contests/{contest_id}/phase" => { post: contests::move_phase },
    "/v1/contests/{contest_id}/ballot" => { get: ballots::get, put: ballots::put, delete: ballots::delete },
    "/v1/contests/{contest_id}/results" => { get: results::get },
    "/v1/contests/{contest_id}/ballots" => { get: export::get },
    "/v1/contests/{contest_id}/voters" => { post: voters::create },
    "/v1/contests/{contest_id}/codes" => { post: voters::create_codes },
    "/v1/voter-jwt-key" => { get: voters::get_jwt_key, put: voters::put_jwt_key, delete: voters::delete_jwt_key },
    "/v1/contests/{contest_id}/suggestions" => { get: suggestions::list, post: suggestions::create },
    "/v1/contests/{contest_id}/suggestions/similar" => { get: suggestions::similar },
    "/v1/contests/{contest_id}/suggestions/{suggestion_id}" => { patch: suggestions::patch },
    "/v1/contests/{contest_id}/audit" => { get: audit::contest_log },
    "/v1/audit" => { get: audit::org_log },
    "/v1/allowed-origins" => { get: origins::list, put: origins::replace },
    "/widget.js" => { get: widget::get },
    "/oembed" => { get: oembed::get },
    "/embed/contests/{contest_id}" => { get: embed::page },
    "/v1/contests/{contest_id}/results.svg" => { get: svg::get },
    "/v1/contests/{contest_id}/results/stream" => { get: stream::get },
    "/v1/webhooks" => { get: webhooks::list, post: webhooks::create },
    "/v1/webhooks/{webhook_id}" => { delete: webhooks::delete },
    "/v1/webhooks/{webhook_id}/deliveries" => { get: webhooks::deliveries },
    "/v1/webhooks/{webhook_id}/test" => { post: webhooks::test },
}

async fn method_not_allowed(req: HttpRequest) -> AppResult<HttpResponse> {
    Err(AppError::MethodNotAllowed(format!(
        "{} is not allowed on {}",
        req.method(),
        req.path()
    )))
}

/// The answer for paths no route matches.
pub async fn no_route(req: HttpRequest) -> AppResult<HttpResponse> {
    Err(AppError::NotFound(format!(
        "no resource at {}; see /openapi.yaml for the routes",
        req.path()
    )))
}
