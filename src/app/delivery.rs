//! The webhook delivery worker: one background task per instance that posts the
//! outbox's deliveries (`db::outbox`) to their endpoints, and announces
//! `results.updated` for contests whose ballots changed.
//!
//! - **Once across instances**: a delivery is claimed with `FOR UPDATE SKIP
//!   LOCKED` and leased for longer than an attempt can take, so no two workers
//!   attempt it at once; one that dies mid-attempt leaves it to be retried when
//!   the lease lapses (at least once; receivers dedupe by `webhook-id`).
//! - **In order per contest**: a delivery waits while an earlier one of the same
//!   endpoint and contest is pending (including while it backs off).
//! - **Retries**: a failed attempt (no connection, a timeout, any status but
//!   2xx, a redirect) is retried after `retry_base × 2^(attempt − 1)`, at most an
//!   hour apart, until `retry_for` (24 h) after the event; then the delivery is
//!   `failed`. An endpoint with no success during a whole retry window is
//!   disabled (its pending deliveries fail) and the audit log says so
//!   (`webhook.disable`, actor `system`).
//! - **Safety** (docs/SECURITY.md): the URL is checked again before every
//!   attempt (`webhooks::check_url`), names are resolved by [`CheckedResolver`],
//!   which hands the connection only addresses that pass `webhooks::is_public`;
//!   no redirects, no proxy from the environment, a 10 s timeout for the whole
//!   attempt, and at most the first KiB of the answer is read and kept.
//! - **`results.updated`** costs the ballot write path nothing: the worker
//!   compares each open contest's ballot version (of organisations subscribed to
//!   it) with the last one announced, at most once per contest per
//!   `webhooks::RESULTS_DEBOUNCE_SECS`, across instances.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::Utc;
use serde_json::json;
use tokio::sync::watch;
use tokio::task::{JoinHandle, JoinSet};

use super::webhooks::{self, TargetPolicy};
use super::App;
use crate::config::Secret;
use crate::db::{self, outbox::Claimed, outbox::Outcome, Conn};
use crate::domain::{ContestId, OrgId};
use crate::error::{AppError, AppResult};

/// The most of an answer's body that is read and kept.
pub const MAX_RESPONSE_BYTES: usize = 1024;
/// Deliveries one worker attempts at once.
const BATCH: i64 = 16;
/// The longest wait between two attempts of one delivery.
const MAX_BACKOFF: Duration = Duration::from_secs(3600);
/// Events (with their deliveries) are kept this many days, then deleted.
const KEEP_DAYS: i32 = 30;

/// How deliveries are made and retried.
#[derive(Debug, Clone, Copy)]
pub struct DeliveryOptions {
    /// `CHRISTEN_WEBHOOK_ALLOW_PRIVATE`: plain `http` and non-public addresses.
    pub allow_private: bool,
    /// `CHRISTEN_WEBHOOK_RETRY_BASE_MS`: the first retry's delay; each next one
    /// doubles (at most an hour).
    pub retry_base: Duration,
    /// `CHRISTEN_WEBHOOK_RETRY_FOR_SECS`: how long after an event its delivery
    /// is retried, and how long an endpoint may fail before it is disabled.
    pub retry_for: Duration,
    /// One attempt's time limit (connection, request and answer).
    pub timeout: Duration,
}

impl Default for DeliveryOptions {
    fn default() -> Self {
        DeliveryOptions {
            allow_private: false,
            retry_base: Duration::from_secs(5),
            retry_for: Duration::from_secs(24 * 3600),
            timeout: Duration::from_secs(10),
        }
    }
}

impl DeliveryOptions {
    /// The registration half of the target rules.
    pub fn policy(&self) -> TargetPolicy {
        TargetPolicy {
            allow_private: self.allow_private,
        }
    }

    /// How often the worker looks for due deliveries.
    fn poll_interval(&self) -> Duration {
        self.retry_base
            .clamp(Duration::from_millis(50), Duration::from_secs(1))
    }

    /// The delay after failed attempt number `attempt` (1 for the first).
    fn backoff(&self, attempt: i32) -> Duration {
        let doublings = attempt.saturating_sub(1).clamp(0, 20) as u32;
        self.retry_base
            .saturating_mul(1u32 << doublings)
            .min(MAX_BACKOFF)
    }

    /// How long a claim holds a delivery: longer than any attempt takes.
    fn lease(&self) -> Duration {
        self.timeout + Duration::from_secs(50)
    }
}

/// Resolves names for the delivery client and keeps only the addresses a
/// webhook may connect to (docs/SECURITY.md: checked after DNS resolution).
pub struct CheckedResolver {
    pub allow_private: bool,
}

impl reqwest::dns::Resolve for CheckedResolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let allow_private = self.allow_private;
        let host = name.as_str().to_owned();
        Box::pin(async move {
            let found: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0))
                .await?
                .filter(|a| allow_private || webhooks::is_public(a.ip()))
                .collect();
            if found.is_empty() {
                return Err(format!(
                    "{host} resolves to no public address (private, loopback and link-local ones are refused)"
                )
                .into());
            }
            Ok(Box::new(found.into_iter()) as reqwest::dns::Addrs)
        })
    }
}

/// The HTTP client of deliveries.
pub fn client(options: &DeliveryOptions) -> anyhow::Result<reqwest::Client> {
    Ok(reqwest::Client::builder()
        .timeout(options.timeout)
        .connect_timeout(options.timeout)
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy()
        .https_only(!options.allow_private)
        .dns_resolver(Arc::new(CheckedResolver {
            allow_private: options.allow_private,
        }))
        .user_agent(concat!("Christen-Webhooks/", env!("CARGO_PKG_VERSION")))
        .build()?)
}

/// A running worker; [`Worker::stop`] ends it after the attempts in flight.
pub struct Worker {
    stop: watch::Sender<bool>,
    task: JoinHandle<()>,
}

impl Worker {
    /// Starts the worker on the current tokio runtime.
    pub fn start(app: App, options: DeliveryOptions) -> anyhow::Result<Worker> {
        let client = client(&options)?;
        let (stop, stopped) = watch::channel(false);
        let task = tokio::spawn(run(app, options, client, stopped));
        Ok(Worker { stop, task })
    }

    /// Stops taking new deliveries, lets the attempts in flight finish (at most
    /// one attempt's timeout) and returns.
    pub async fn stop(self) {
        let _ = self.stop.send(true);
        if let Err(e) = self.task.await {
            tracing::warn!(error = %e, "the webhook worker ended badly");
        }
    }
}

async fn run(
    app: App,
    options: DeliveryOptions,
    client: reqwest::Client,
    mut stopped: watch::Receiver<bool>,
) {
    let poll = options.poll_interval();
    let mut results_scanned = Instant::now();
    let mut pruned: Option<Instant> = None;
    loop {
        if *stopped.borrow() {
            break;
        }
        let busy = match deliver_due(&app, &options, &client).await {
            Ok(n) => n as i64 >= BATCH,
            Err(e) => {
                tracing::warn!(error = %e, "webhook deliveries could not be claimed");
                false
            }
        };
        if results_scanned.elapsed() >= Duration::from_secs(1) {
            results_scanned = Instant::now();
            if let Err(e) = announce_results(&app).await {
                tracing::warn!(error = %e, "results.updated could not be announced");
            }
        }
        if pruned.is_none_or(|t| t.elapsed() >= Duration::from_secs(3600)) {
            pruned = Some(Instant::now());
            if let Err(e) = app.db(|conn| Ok(db::outbox::prune(conn, KEEP_DAYS)?)).await {
                tracing::warn!(error = %e, "old webhook events could not be deleted");
            }
        }
        if !busy {
            tokio::select! {
                _ = tokio::time::sleep(poll) => {}
                _ = stopped.changed() => {}
            }
        }
    }
}

/// Claims due deliveries and attempts them at once; returns how many.
async fn deliver_due(
    app: &App,
    options: &DeliveryOptions,
    client: &reqwest::Client,
) -> AppResult<usize> {
    let lease = options.lease().as_secs_f64();
    let claimed = app
        .db(move |conn| Ok(db::outbox::claim(conn, BATCH, lease)?))
        .await?;
    let n = claimed.len();
    let mut attempts = JoinSet::new();
    for delivery in claimed {
        let (app, client, options) = (app.clone(), client.clone(), *options);
        attempts.spawn(async move {
            let result = attempt(&client, &app.secret, &delivery, options.policy()).await;
            let delivery_id = delivery.id;
            let recorded = app
                .db(move |conn| record(conn, &delivery, &result, &options))
                .await;
            if let Err(e) = recorded {
                tracing::warn!(delivery = %delivery_id, error = %e, "a webhook attempt could not be recorded");
            }
        });
    }
    while attempts.join_next().await.is_some() {}
    Ok(n)
}

/// What one attempt got: a 2xx status and the start of its body, or why not.
type Attempted = Result<(u16, String), Failure>;

struct Failure {
    status: Option<u16>,
    error: String,
    body: Option<String>,
}

impl Failure {
    fn before_answer(error: String) -> Failure {
        Failure {
            status: None,
            error,
            body: None,
        }
    }
}

/// Posts one delivery, signed as a Standard Webhook.
async fn attempt(
    client: &reqwest::Client,
    secret: &Secret,
    delivery: &Claimed,
    policy: TargetPolicy,
) -> Attempted {
    let url = webhooks::check_url(&delivery.url, policy)
        .map_err(|m| Failure::before_answer(format!("the URL is refused: {m}")))?;
    let key = webhooks::signing_key(secret, delivery.endpoint_id, &delivery.secret_salt);
    let msg_id = delivery.event_id.to_string();
    let timestamp = Utc::now().timestamp();
    let response = client
        .post(url)
        .header("content-type", "application/json")
        .header("webhook-id", &msg_id)
        .header("webhook-timestamp", timestamp.to_string())
        .header(
            "webhook-signature",
            webhooks::signature(&key, &msg_id, timestamp, &delivery.body),
        )
        .body(delivery.body.clone())
        .send()
        .await
        .map_err(|e| Failure::before_answer(describe(e)))?;
    let status = response.status();
    let body = read_prefix(response, MAX_RESPONSE_BYTES).await;
    if status.is_success() {
        Ok((status.as_u16(), body))
    } else {
        Err(Failure {
            status: Some(status.as_u16()),
            error: format!("the endpoint answered {status}"),
            body: Some(body),
        })
    }
}

/// An error with its causes, e.g. "error sending request: … resolves to no public address".
fn describe(e: reqwest::Error) -> String {
    let e = e.without_url();
    let mut text = if e.is_timeout() {
        "timed out".to_owned()
    } else {
        e.to_string()
    };
    let mut source = std::error::Error::source(&e);
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text.chars().take(500).collect()
}

/// At most the first `max` bytes of the body (as text); the rest is not read.
async fn read_prefix(mut response: reqwest::Response, max: usize) -> String {
    let mut bytes = Vec::new();
    while bytes.len() < max {
        match response.chunk().await {
            Ok(Some(chunk)) => bytes.extend_from_slice(&chunk),
            _ => break,
        }
    }
    bytes.truncate(max);
    let mut text = String::from_utf8_lossy(&bytes).into_owned();
    while text.len() > max {
        text.pop();
    }
    text
}

/// Writes what an attempt got; disables the endpoint when it has failed for a
/// whole retry window (audited).
fn record(
    conn: &mut Conn,
    delivery: &Claimed,
    result: &Attempted,
    options: &DeliveryOptions,
) -> AppResult<()> {
    db::transaction(conn, |conn| {
        let failure = match result {
            Ok((status, body)) => {
                let outcome = Outcome {
                    status_code: Some(i32::from(*status)),
                    error: None,
                    response: Some(body),
                };
                return Ok(db::outbox::record_success(conn, delivery, &outcome)?);
            }
            Err(failure) => failure,
        };
        let now = Utc::now();
        let window = chrono::Duration::from_std(options.retry_for)
            .map_err(|e| AppError::Unexpected(e.into()))?;
        let backoff = chrono::Duration::from_std(options.backoff(delivery.attempts))
            .map_err(|e| AppError::Unexpected(e.into()))?;
        let next = now + backoff;
        let retry_at = (next <= delivery.created_at + window).then_some(next);
        let outcome = Outcome {
            status_code: failure.status.map(i32::from),
            error: Some(&failure.error),
            response: failure.body.as_deref(),
        };
        let since = db::outbox::record_failure(conn, delivery, &outcome, retry_at)?;
        let failing_all_window = since.is_some_and(|s| s <= now - window);
        let gave_up_unheard = retry_at.is_none()
            && !db::outbox::delivered_since(conn, delivery.endpoint_id, delivery.created_at)?;
        if failing_all_window || gave_up_unheard {
            disable(conn, delivery, since)?;
        }
        Ok(())
    })
}

fn disable(
    conn: &mut Conn,
    delivery: &Claimed,
    since: Option<chrono::DateTime<Utc>>,
) -> AppResult<()> {
    if let Some(url) = db::outbox::disable(conn, delivery.endpoint_id)? {
        tracing::warn!(webhook = %delivery.endpoint_id, %url, "webhook disabled: it failed for the whole retry window");
        db::audit::record(
            conn,
            delivery.org_id,
            None,
            "system",
            "webhook.disable",
            json!({
                "webhook_id": delivery.endpoint_id,
                "url": url,
                "failing_since": since,
                "reason": "every delivery attempt failed for the whole retry window",
            }),
        )?;
    }
    Ok(())
}

/// Queues `results.updated` for contests whose ballots changed (debounced per
/// contest across instances); returns how many were announced.
async fn announce_results(app: &App) -> AppResult<usize> {
    app.db(|conn| {
        let debounce = webhooks::RESULTS_DEBOUNCE_SECS;
        let changes = db::outbox::results_changes(conn, debounce, 100)?;
        let mut announced = 0;
        for change in changes {
            let done = db::transaction(conn, |conn| -> AppResult<bool> {
                // Waits for a phase move or moderation of the contest in flight,
                // so this event is queued after theirs.
                if !db::outbox::share_contest(conn, change.contest_id)?
                    || !db::outbox::mark_results_announced(conn, &change, debounce)?
                {
                    return Ok(false);
                }
                webhooks::emit(
                    conn,
                    OrgId(change.org_id),
                    ContestId(change.contest_id),
                    webhooks::RESULTS_UPDATED,
                    json!({}),
                )?;
                Ok(true)
            })?;
            announced += usize::from(done);
        }
        Ok(announced)
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::dns::Resolve;

    #[tokio::test]
    async fn names_that_resolve_to_loopback_are_refused_after_resolution() {
        let refused = CheckedResolver {
            allow_private: false,
        };
        let err = match refused.resolve("localhost".parse().unwrap()).await {
            Ok(addrs) => panic!("resolved to {:?}", addrs.collect::<Vec<_>>()),
            Err(e) => e.to_string(),
        };
        assert!(err.contains("no public address"), "{err}");
        let allowed = CheckedResolver {
            allow_private: true,
        };
        let addrs: Vec<SocketAddr> = allowed
            .resolve("localhost".parse().unwrap())
            .await
            .expect("localhost resolves")
            .collect();
        assert!(addrs.iter().all(|a| a.ip().is_loopback()), "{addrs:?}");
    }

    #[test]
    fn backoff_doubles_up_to_an_hour() {
        let o = DeliveryOptions {
            retry_base: Duration::from_secs(5),
            ..DeliveryOptions::default()
        };
        assert_eq!(o.backoff(1), Duration::from_secs(5));
        assert_eq!(o.backoff(2), Duration::from_secs(10));
        assert_eq!(o.backoff(4), Duration::from_secs(40));
        assert_eq!(o.backoff(40), MAX_BACKOFF);
    }
}
