//! Building and running the HTTP server.

use std::net::TcpListener;
use std::sync::Arc;
use std::time::Duration;

use actix_web::dev::{Server, ServerHandle};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::middleware::{from_fn, DefaultHeaders};
use actix_web::{web, App, HttpMessage, HttpServer};
use tracing_actix_web::{RequestId, TracingLogger};

use crate::api::extract::{BodyLimit, BodyTimeout};
use crate::api::http::PublicUrl;
use crate::api::{self, AppState};
use crate::app::batcher::{BatchOptions, Batcher};
use crate::app::delivery::Worker;
use crate::config::Secret;
use crate::db::{build_pool, PoolOptions};
use crate::error::AppError;

/// Everything the server needs, resolved (database URL known, secret loaded).
#[derive(Debug, Clone)]
pub struct AppConfig {
    pub database_url: Secret,
    pub database_read_url: Option<Secret>,
    pub bind: String,
    pub secret: Secret,
    pub pool: PoolOptions,
    pub max_body_bytes: usize,
    /// Live result streams this instance serves at once (`…/results/stream`).
    pub max_streams: usize,
    /// Public base URL, metrics access, per-address stream cap, body deadline.
    pub http: HttpOptions,
    /// The open electorate's token rate limit (its `trust_forwarded_for` also
    /// decides whether forwarded headers name the client and the public URL).
    pub open_voter_limit: crate::app::voters::OpenVoterLimit,
    /// How long in-flight requests get to finish on shutdown.
    pub shutdown_timeout: Duration,
    /// Webhook targets and deliveries (`CHRISTEN_WEBHOOK_*`).
    pub webhooks: crate::app::delivery::DeliveryOptions,
}

/// HTTP-edge settings (docs/SECURITY.md S6, S7, S8, S12).
#[derive(Debug, Clone)]
pub struct HttpOptions {
    /// `CHRISTEN_PUBLIC_URL`; `None`: `http://` and the bound address.
    pub public_url: Option<String>,
    /// `CHRISTEN_METRICS_TOKEN`; `None` (or empty): metrics for loopback only.
    pub metrics_token: Option<Secret>,
    /// `CHRISTEN_MAX_STREAMS_PER_ADDRESS`.
    pub max_streams_per_address: usize,
    /// `CHRISTEN_BODY_TIMEOUT_SECS`.
    pub body_timeout: Duration,
}

impl Default for HttpOptions {
    fn default() -> Self {
        HttpOptions {
            public_url: None,
            metrics_token: None,
            max_streams_per_address: crate::app::streams::DEFAULT_MAX_STREAMS_PER_ADDRESS,
            body_timeout: crate::api::extract::DEFAULT_BODY_TIMEOUT,
        }
    }
}

/// A bound, not yet running server. Bind to port 0 to get a free port (tests).
pub struct Application {
    port: u16,
    public_url: String,
    server: Server,
    /// The webhook delivery worker, stopped after the server.
    webhooks: Worker,
    /// Drained once the server stopped (see [`Application::run_until_stopped`]).
    ballot_writer: Arc<Batcher>,
}

impl Application {
    /// Binds the listener and builds the server. Does not touch the database:
    /// migrations are the caller's step, and a database that is down only makes
    /// requests answer 503 until it is back.
    pub fn build(config: AppConfig) -> anyhow::Result<Application> {
        let listener = TcpListener::bind(&config.bind)
            .map_err(|e| anyhow::anyhow!("cannot listen on {}: {e}", config.bind))?;
        let bound = listener.local_addr()?;
        let port = bound.port();
        let trust_forwarded = config.open_voter_limit.trust_forwarded_for;
        let public_url = match &config.http.public_url {
            Some(raw) if !raw.trim().is_empty() => {
                PublicUrl::parse(raw.trim(), trust_forwarded).map_err(anyhow::Error::msg)?
            }
            _ => PublicUrl::from_bound(bound, trust_forwarded),
        };
        let pool = build_pool(config.database_url.expose(), config.pool);
        let read_pool = match &config.database_read_url {
            Some(url) => build_pool(url.expose(), config.pool),
            None => pool.clone(),
        };
        let metrics = Arc::new(
            api::metrics::Metrics::new()
                .with_token(config.http.metrics_token.as_ref().map(Secret::expose)),
        );
        let ballot_writer = Batcher::start(pool.clone(), BatchOptions::default(), metrics.clone());
        let state = web::Data::new(AppState {
            app: crate::app::App {
                pool,
                read_pool,
                secret: config.secret.clone(),
                open_voter_limit: config.open_voter_limit,
                voter_contexts: Default::default(),
                recounts: Default::default(),
                ballot_writer: ballot_writer.clone(),
            },
            metrics,
        });
        // Needs the runtime: `build` is called inside the actix system.
        let webhooks = Worker::start(state.app.clone(), config.webhooks)?;
        let target_policy = web::Data::new(config.webhooks.policy());
        let limit = config.max_body_bytes;
        let body_timeout = BodyTimeout(config.http.body_timeout);
        let streams = web::Data::new(crate::app::streams::StreamLimiter::new(
            config.max_streams,
            config.http.max_streams_per_address,
        ));
        let public_base = public_url.configured();
        let server = HttpServer::new(move || {
            App::new()
                .app_data(state.clone())
                .app_data(streams.clone())
                .app_data(target_policy.clone())
                .app_data(BodyLimit(limit))
                .app_data(body_timeout)
                .app_data(public_url.clone())
                .app_data(web::PayloadConfig::new(limit))
                .app_data(web::QueryConfig::default().error_handler(|e, _| {
                    AppError::bad_request("invalid_query", format!("bad query string: {e}")).into()
                }))
                .app_data(web::PathConfig::default().error_handler(|e, _| {
                    AppError::bad_request("invalid_path", format!("bad path: {e}")).into()
                }))
                .configure(api::configure)
                .configure(api::pages::configure)
                .default_service(web::to(api::no_route))
                .wrap(from_fn(api::cors::cors))
                .wrap(from_fn(api::metrics::track))
                .wrap(from_fn(request_log))
                .wrap(TracingLogger::default())
                .wrap(
                    DefaultHeaders::new()
                        .add(("X-Content-Type-Options", "nosniff"))
                        .add(("Referrer-Policy", "no-referrer")),
                )
        })
        // docs/SECURITY.md S8: a client closing its side ends the connection at
        // once, dropping a live stream's body (and its slot) with it, instead of
        // waiting for a write to fail.
        .h1_allow_half_closed(false)
        .listen(listener)?
        .disable_signals()
        .shutdown_timeout(config.shutdown_timeout.as_secs())
        .run();
        Ok(Application {
            port,
            public_url: public_base,
            server,
            webhooks,
            ballot_writer,
        })
    }

    /// The port the server listens on.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The base of the absolute URLs this server writes (docs/SECURITY.md S6).
    pub fn public_url(&self) -> &str {
        &self.public_url
    }

    /// A handle to stop the server (gracefully: in-flight requests finish).
    pub fn handle(&self) -> ServerHandle {
        self.server.handle()
    }

    /// Serves until stopped through a [`ServerHandle`], then drains the ballot
    /// batcher (every write still queued is written and answered; a graceful
    /// stop has let the requests in flight finish first) and stops the webhook
    /// worker (its attempts in flight finish first).
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let served = self.server.await;
        // Blocks until the writers finish; the server has stopped, so nothing
        // else waits for this thread.
        self.ballot_writer.drain();
        self.webhooks.stop().await;
        served
    }
}

/// Middleware: logs one line per request (inside the request's span, so the line
/// carries its `request_id`) and returns that id as `X-Request-Id`, so a user can
/// quote it in a bug report.
async fn request_log(
    req: actix_web::dev::ServiceRequest,
    next: actix_web::middleware::Next<impl actix_web::body::MessageBody>,
) -> Result<actix_web::dev::ServiceResponse<impl actix_web::body::MessageBody>, actix_web::Error> {
    let started = std::time::Instant::now();
    let id = req.extensions().get::<RequestId>().copied();
    let method = req.method().clone();
    let path = req.path().to_owned();
    let mut response = next.call(req).await?;
    let status = response.status().as_u16();
    let elapsed_ms = started.elapsed().as_secs_f64() * 1000.0;
    if status >= 500 {
        tracing::warn!(%method, %path, status, elapsed_ms, "request failed");
    } else {
        tracing::info!(%method, %path, status, elapsed_ms, "request");
    }
    if let Some(id) = id {
        if let Ok(value) = HeaderValue::from_str(&id.to_string()) {
            response
                .headers_mut()
                .insert(HeaderName::from_static("x-request-id"), value);
        }
    }
    Ok(response)
}

/// Stops the server gracefully on SIGINT or SIGTERM.
pub async fn stop_on_signal(handle: ServerHandle) {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(s) => s,
                Err(e) => {
                    tracing::warn!(error = %e, "cannot listen for SIGTERM");
                    let _ = ctrl_c.await;
                    handle.stop(true).await;
                    return;
                }
            };
        tokio::select! {
            _ = ctrl_c => tracing::info!("SIGINT received: finishing requests in flight"),
            _ = term.recv() => tracing::info!("SIGTERM received: finishing requests in flight"),
        }
    }
    #[cfg(not(unix))]
    {
        let _ = ctrl_c.await;
    }
    handle.stop(true).await;
}
