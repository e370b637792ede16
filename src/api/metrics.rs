//! Prometheus metrics: request counts and latency by route and status, pool
//! usage, and the ballot batches' sizes and queue waits. Routes are labelled by their pattern (`/v1/contests/{contest_id}`), never
//! by the raw path, so label cardinality stays bounded.

use std::sync::Mutex;
use std::time::{Duration, Instant};

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
use crate::app::batcher::BatchObserver;
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
    batches: BatchHistograms,
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
        let batches = BatchHistograms::register(&mut registry);
        Metrics {
            registry: Mutex::new(registry),
            requests,
            latency,
            pool_connections,
            pool_idle,
            pool_max,
            batches,
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

    /// The text exposition, with pool gauges read now.
    pub fn render(&self, pool: PoolStats) -> Result<String, AppError> {
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

/// The ballot batcher's histograms (group commit, `app::batcher`).
struct BatchHistograms {
    size: Histogram,
    queue_wait: Histogram,
}

impl BatchHistograms {
    fn register(registry: &mut Registry) -> Self {
        let size = Histogram::new([1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0, 128.0, 256.0]);
        let queue_wait = Histogram::new([
            0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25,
        ]);
        registry.register(
            "ballot_batch_size",
            "Ballot writes (casts, replacements, withdrawals) per batch, each batch one transaction",
            size.clone(),
        );
        registry.register(
            "ballot_queue_wait_seconds",
            "Time a ballot write waited for its batch to be taken",
            queue_wait.clone(),
        );
        BatchHistograms { size, queue_wait }
    }
}

impl BatchObserver for Metrics {
    fn batch(&self, size: usize) {
        self.batches.size.observe(size as f64);
    }

    fn queued(&self, wait: Duration) {
        self.batches.queue_wait.observe(wait.as_secs_f64());
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
