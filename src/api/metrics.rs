//! Prometheus metrics: request counts and latency by route and status, and pool
//! usage. Routes are labelled by their pattern (`/v1/contests/{contest_id}`), never
//! by the raw path, so label cardinality stays bounded.

use std::sync::Mutex;
use std::time::Instant;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::web;
use prometheus_client::encoding::text::encode;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;

use super::AppState;
use crate::app::PoolStats;
use crate::error::AppError;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    method: String,
    route: String,
    status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RouteLabels {
    method: String,
    route: String,
}

/// The service's metrics and their registry.
pub struct Metrics {
    registry: Mutex<Registry>,
    requests: Family<RequestLabels, Counter>,
    latency: Family<RouteLabels, Histogram>,
    pool_connections: Gauge,
    pool_idle: Gauge,
    pool_max: Gauge,
    result_counts: Counter,
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    pub fn new() -> Self {
        let mut registry = Registry::with_prefix("christen");
        let requests = Family::<RequestLabels, Counter>::default();
        let latency = Family::<RouteLabels, Histogram>::new_with_constructor(|| {
            Histogram::new([
                0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
            ])
        });
        let pool_connections = Gauge::default();
        let pool_idle = Gauge::default();
        let pool_max = Gauge::default();
        let result_counts = Counter::default();
        registry.register(
            "http_requests",
            "HTTP requests answered, by method, route pattern and status",
            requests.clone(),
        );
        registry.register(
            "http_request_duration_seconds",
            "HTTP request latency, by method and route pattern",
            latency.clone(),
        );
        registry.register(
            "db_pool_connections",
            "Open database connections in the pool",
            pool_connections.clone(),
        );
        registry.register(
            "db_pool_idle_connections",
            "Idle database connections in the pool",
            pool_idle.clone(),
        );
        registry.register(
            "db_pool_max_connections",
            "Largest number of connections the pool opens",
            pool_max.clone(),
        );
        registry.register(
            "result_counts",
            "Ballot counts run for results (docs/SECURITY.md S13: one per published live state or final result)",
            result_counts.clone(),
        );
        Metrics {
            registry: Mutex::new(registry),
            requests,
            latency,
            pool_connections,
            pool_idle,
            pool_max,
            result_counts,
        }
    }

    fn observe(&self, method: &str, route: &str, status: u16, seconds: f64) {
        self.requests
            .get_or_create(&RequestLabels {
                method: method.to_owned(),
                route: route.to_owned(),
                status,
            })
            .inc();
        self.latency
            .get_or_create(&RouteLabels {
                method: method.to_owned(),
                route: route.to_owned(),
            })
            .observe(seconds);
    }

    /// The text exposition, with pool gauges and the result count read now.
    pub fn render(&self, pool: PoolStats, result_counts: u64) -> Result<String, AppError> {
        let seen = self.result_counts.get();
        self.result_counts
            .inc_by(result_counts.saturating_sub(seen));
        self.pool_connections.set(pool.connections.into());
        self.pool_idle.set(pool.idle_connections.into());
        self.pool_max.set(pool.max_size.into());
        let registry = self
            .registry
            .lock()
            .map_err(|_| AppError::Unexpected(anyhow::anyhow!("metrics registry poisoned")))?;
        let mut out = String::new();
        encode(&mut out, &registry)
            .map_err(|e| AppError::Unexpected(anyhow::anyhow!("encoding metrics: {e}")))?;
        Ok(out)
    }
}

/// Middleware: counts and times every request.
pub async fn track(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let started = Instant::now();
    let method = req.method().as_str().to_owned();
    let metrics = req
        .app_data::<web::Data<AppState>>()
        .map(|s| s.metrics.clone());
    let response = next.call(req).await?;
    if let Some(metrics) = metrics {
        let status = response.status().as_u16();
        // Routing has happened by now, so the matched pattern is known.
        let route = response
            .request()
            .match_pattern()
            .unwrap_or_else(|| "unmatched".to_owned());
        metrics.observe(&method, &route, status, started.elapsed().as_secs_f64());
    }
    Ok(response)
}
