//! Prometheus metrics: request counts and latency by route and status, pool
//! usage, and the ballot batches' sizes and queue waits, for the operator only.
//!
//! docs/SECURITY.md S7: every label comes from a closed set, so no request can
//! add series: the method is one of the known methods or `other`
//! ([`method_label`]), the route one of the route table's patterns
//! (`/v1/contests/{contest_id}`) or `unmatched`, never a raw path
//! ([`route_label`]), the status a number. `GET /metrics` shows platform-wide
//! counts, so it answers only the operator ([`authorize`]): with
//! `CHRISTEN_METRICS_TOKEN` set, requests bearing that token; without it, only
//! loopback peers.

use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::Method;
use actix_web::middleware::Next;
use actix_web::web;
use prometheus_client::encoding::text::encode;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;
use sha2::{Digest, Sha256};

use super::{AppState, ROUTES};
use crate::app::batcher::BatchObserver;
use crate::app::PoolStats;
use crate::error::{AppError, AppResult};

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
    /// SHA-256 of `CHRISTEN_METRICS_TOKEN`, when set.
    token: Option<[u8; 32]>,
    result_counts: Counter,
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
        let batches = BatchHistograms::register(&mut registry);
        Metrics {
            registry: Mutex::new(registry),
            requests,
            latency,
            pool_connections,
            pool_idle,
            pool_max,
            token: None,
            result_counts,
            batches,
        }
    }

    /// Requires `Authorization: Bearer <token>` on `GET /metrics` (an empty
    /// token is no token).
    pub fn with_token(mut self, token: Option<&str>) -> Self {
        self.token = token
            .filter(|t| !t.is_empty())
            .map(|t| Sha256::digest(t.as_bytes()).into());
        self
    }

    /// Whether this request may read the metrics (see [`authorize`]).
    pub fn authorize(&self, peer: Option<IpAddr>, authorization: Option<&str>) -> AppResult<()> {
        authorize(peer, self.token.as_ref(), authorization)
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

/// The `method` label: one of the methods the service knows, else `other`
/// (docs/SECURITY.md S7: a request cannot add a series by inventing a method).
pub fn method_label(method: &Method) -> &'static str {
    match *method {
        Method::GET => "GET",
        Method::HEAD => "HEAD",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::PATCH => "PATCH",
        Method::DELETE => "DELETE",
        Method::OPTIONS => "OPTIONS",
        _ => "other",
    }
}

/// The label of requests no route matched.
pub const UNMATCHED: &str = "unmatched";

/// The `route` label: the matched pattern when it is one of the route table's
/// or the participation pages', else [`UNMATCHED`] — never the raw path
/// (docs/SECURITY.md S7).
pub fn route_label(pattern: Option<&str>) -> &'static str {
    pattern
        .and_then(|p| {
            let known = ROUTES.iter().map(|(_, path)| *path);
            known.chain(super::pages::PATHS).find(|path| *path == p)
        })
        .unwrap_or(UNMATCHED)
}

/// Who may read `GET /metrics` (docs/SECURITY.md S7). With a token configured
/// (`token`: its SHA-256), exactly the requests bearing it, wherever they come
/// from; anything else is a 401. Without one, only loopback peers; any other
/// peer is a 403. `peer` is the connection's address, never `X-Forwarded-For`:
/// behind a proxy every request would otherwise look local.
pub fn authorize(
    peer: Option<IpAddr>,
    token: Option<&[u8; 32]>,
    authorization: Option<&str>,
) -> AppResult<()> {
    if let Some(expected) = token {
        let offered = authorization
            .and_then(|h| {
                let (scheme, rest) = h.trim().split_once(' ')?;
                scheme.eq_ignore_ascii_case("bearer").then(|| rest.trim())
            })
            .filter(|t| !t.is_empty());
        let Some(offered) = offered else {
            return Err(AppError::Unauthorized(
                "the metrics require `Authorization: Bearer <CHRISTEN_METRICS_TOKEN>`".into(),
            ));
        };
        // Both sides hashed to 32 bytes, compared without an early exit, so the
        // time taken says nothing about the token.
        let offered: [u8; 32] = Sha256::digest(offered.as_bytes()).into();
        let diff = offered
            .iter()
            .zip(expected)
            .fold(0u8, |acc, (a, b)| acc | (a ^ b));
        return if diff == 0 {
            Ok(())
        } else {
            Err(AppError::Unauthorized("wrong metrics token".into()))
        };
    }
    let loopback = match peer {
        Some(IpAddr::V4(v4)) => v4.is_loopback(),
        Some(IpAddr::V6(v6)) => {
            v6.is_loopback() || v6.to_ipv4_mapped().is_some_and(|v4| v4.is_loopback())
        }
        None => false,
    };
    if loopback {
        Ok(())
    } else {
        Err(AppError::forbidden(
            "metrics_forbidden",
            "the metrics answer only loopback clients unless CHRISTEN_METRICS_TOKEN is set",
        ))
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
    let method = method_label(req.method());
    let metrics = req
        .app_data::<web::Data<AppState>>()
        .map(|s| s.metrics.clone());
    let response = next.call(req).await?;
    if let Some(metrics) = metrics {
        let status = response.status().as_u16();
        // Routing has happened by now, so the matched pattern is known.
        let pattern = response.request().match_pattern();
        let route = route_label(pattern.as_deref());
        metrics.observe(method, route, status, started.elapsed().as_secs_f64());
    }
    Ok(response)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::{Ipv4Addr, Ipv6Addr};

    fn digest(t: &str) -> [u8; 32] {
        Sha256::digest(t.as_bytes()).into()
    }

    #[test]
    fn without_a_token_only_loopback_peers_read_the_metrics() {
        let ok = |ip: IpAddr| authorize(Some(ip), None, None).is_ok();
        assert!(ok(Ipv4Addr::LOCALHOST.into()));
        assert!(ok(Ipv4Addr::new(127, 8, 9, 10).into()));
        assert!(ok(Ipv6Addr::LOCALHOST.into()));
        assert!(ok(Ipv4Addr::LOCALHOST.to_ipv6_mapped().into()));
        for ip in [
            IpAddr::from(Ipv4Addr::new(203, 0, 113, 9)),
            Ipv4Addr::new(10, 0, 0, 1).into(),
            Ipv4Addr::new(172, 17, 0, 1).into(),
            Ipv4Addr::UNSPECIFIED.into(),
            "2001:db8::1".parse().unwrap(),
            Ipv4Addr::new(192, 168, 1, 2).to_ipv6_mapped().into(),
        ] {
            let e = authorize(Some(ip), None, Some("Bearer anything")).unwrap_err();
            assert_eq!((e.status(), e.code()), (403, "metrics_forbidden"), "{ip}");
        }
        assert_eq!(authorize(None, None, None).unwrap_err().status(), 403);
    }

    #[test]
    fn with_a_token_exactly_its_bearers_read_the_metrics_from_anywhere() {
        let token = digest("s3cret-token");
        let far = Some(IpAddr::from(Ipv4Addr::new(203, 0, 113, 9)));
        let local = Some(IpAddr::from(Ipv4Addr::LOCALHOST));
        assert!(authorize(far, Some(&token), Some("Bearer s3cret-token")).is_ok());
        assert!(authorize(far, Some(&token), Some("bearer  s3cret-token ")).is_ok());
        for header in [
            None,
            Some("Bearer"),
            Some("Bearer "),
            Some("Basic s3cret-token"),
            Some("Bearer s3cret-tokeN"),
            Some("Bearer s3cret-token2"),
        ] {
            // A loopback peer needs the token too once one is set.
            for peer in [far, local] {
                let e = authorize(peer, Some(&token), header).unwrap_err();
                assert_eq!(e.status(), 401, "{header:?}");
            }
        }
    }

    #[test]
    fn an_empty_token_is_no_token() {
        let m = Metrics::new().with_token(Some(""));
        assert!(m.token.is_none());
    }

    #[test]
    fn labels_come_from_closed_sets() {
        assert_eq!(method_label(&Method::GET), "GET");
        assert_eq!(method_label(&Method::OPTIONS), "OPTIONS");
        assert_eq!(method_label(&Method::TRACE), "other");
        assert_eq!(
            method_label(&Method::from_bytes(b"M12345").unwrap()),
            "other"
        );
        assert_eq!(route_label(Some("/healthz")), "/healthz");
        assert_eq!(
            route_label(Some("/v1/contests/{contest_id}/ballot")),
            "/v1/contests/{contest_id}/ballot"
        );
        assert_eq!(route_label(Some("/v1/contests/abc")), UNMATCHED);
        assert_eq!(route_label(None), UNMATCHED);
    }
}
