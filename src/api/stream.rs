//! `GET /v1/contests/{id}/results/stream`: Server-Sent Events with the contest's
//! public result, a new event whenever it changes.
//!
//! It follows the database, not this process: every [`POLL`] it reads the
//! contest's ballot version (`max(ballots.version)`, one index probe) and phase
//! (`app::results::watch`); when either changed it asks
//! `app::results::result_for` — the same function and
//! visibility rules as `GET …/results` — and sends the result if its ETag
//! changed. So a ballot cast through any instance reaches every stream within
//! [`POLL`] plus the results' stated lag. A comment line every [`HEARTBEAT`]
//! keeps proxies from closing an idle stream (and finds dead clients). Event
//! ids are the contest's own publication numbers (`CachedResult::seq`, not the
//! global ballot version, which would tell how busy other contests are): a
//! reconnecting `EventSource` sends `Last-Event-ID` and gets no repeat of what
//! it has. Live results advance in batches (docs/SECURITY.md S4). The stream ends after the final result,
//! or with an `error` event if results stop being public.
//!
//! Each instance serves at most `max_streams` streams at once (AppConfig,
//! counted by `app::streams::StreamLimiter`); past that, 503 with
//! `Retry-After`, and the widget falls back to polling. One client address
//! holds at most `max_streams_per_address` of them (429 with `Retry-After`).
//!
//! docs/SECURITY.md S8: the slot's [`Permit`] lives in the response body, so it
//! is freed when the body is dropped. The server drops it as soon as the peer
//! closes the connection (the read half closing ends the connection:
//! `startup.rs` turns HTTP/1 half-closed connections off), not when a
//! heartbeat write finally fails.

use std::collections::VecDeque;
use std::convert::Infallible;
use std::time::Duration;

use actix_web::http::header;
use actix_web::web::Bytes;
use actix_web::{web, HttpRequest, HttpResponse};
use chrono::Utc;
use futures_util::stream;
use tokio::time::Instant;

use super::extract::parse_id;
use super::voters::client_bucket;
use super::AppState;
use crate::app::contests::load_visible;
use crate::app::results::{self, CachedResult};
use crate::app::streams::{Permit, Refused};
pub use crate::app::streams::{
    StreamLimiter, DEFAULT_MAX_STREAMS, DEFAULT_MAX_STREAMS_PER_ADDRESS,
};
use crate::domain::{Contest, ContestId, Phase};
use crate::error::{AppError, AppResult};

/// How often a stream looks at the database.
pub const POLL: Duration = Duration::from_secs(1);
/// How often an idle stream sends a comment line.
pub const HEARTBEAT: Duration = Duration::from_secs(15);
/// The reconnection delay suggested to clients, in milliseconds.
const RETRY_MS: u32 = 5000;
/// `Retry-After` of a client over its per-address cap, in seconds.
const ADDRESS_RETRY_SECS: u64 = 5;

/// A slot for one more stream of this client, or why there is none: 503 when
/// the instance is full, 429 when this address holds its share
/// (docs/SECURITY.md S8).
fn admit(
    limiter: &std::sync::Arc<StreamLimiter>,
    req: &HttpRequest,
    trust_forwarded_for: bool,
) -> AppResult<Permit> {
    let address = client_bucket(req, trust_forwarded_for);
    limiter.acquire(&address).map_err(|refused| match refused {
        Refused::Instance => AppError::Unavailable(
            "this instance serves as many live result streams as it can; retry later or poll GET …/results".into(),
        ),
        Refused::Address => AppError::TooManyRequests {
            code: "too_many_streams",
            detail: "this client address holds as many live result streams as it may; close one, or poll GET …/results".into(),
            retry_after_secs: Some(ADDRESS_RETRY_SECS),
        },
    })
}

/// An SSE event; `data` may span lines (each gets its own `data:` line).
fn event(name: &str, id: Option<i64>, data: &str) -> Bytes {
    let mut out = String::with_capacity(data.len() + 48);
    if let Some(id) = id {
        out.push_str(&format!("id: {id}\n"));
    }
    out.push_str(&format!("event: {name}\n"));
    for line in data.split('\n') {
        out.push_str("data: ");
        out.push_str(line.trim_end_matches('\r'));
        out.push('\n');
    }
    out.push('\n');
    Bytes::from(out)
}

struct Follow {
    state: web::Data<AppState>,
    id: ContestId,
    version: i64,
    phase: Phase,
    etag: String,
    pending: VecDeque<Bytes>,
    next_poll: Instant,
    next_heartbeat: Instant,
    done: bool,
    _permit: Permit,
}

impl Follow {
    fn push_result(&mut self, r: &CachedResult) {
        self.etag = r.etag.clone();
        self.pending
            .push_back(event("result", Some(r.seq), &r.body));
        if r.final_ {
            self.done = true;
        }
    }

    /// One look at the database; queues what changed.
    async fn poll(&mut self) {
        let id = self.id;
        let read = results::watch(&self.state, id).await;
        let (version, contest) = match read {
            Ok((v, Some(c))) => (v, c),
            Ok((_, None)) => return self.end("not_found", "the contest no longer exists"),
            // A database hiccup: keep the stream, try again next time.
            Err(e) => return tracing::warn!(error = %e, "results stream: cannot poll"),
        };
        let phase = contest.phase_at(Utc::now());
        if version == self.version && phase == self.phase {
            return;
        }
        self.phase = phase;
        self.version = version;
        match results::result_for(&self.state, contest.clone(), contest.method, false).await {
            Ok(r) if r.etag != self.etag => self.push_result(&r),
            Ok(r) => self.done = r.final_,
            Err(e @ AppError::Forbidden { .. }) | Err(e @ AppError::NotFound(_)) => {
                self.end(e.code(), &e.to_string())
            }
            Err(e) => tracing::warn!(error = %e, "results stream: cannot count"),
        }
    }

    fn end(&mut self, code: &str, detail: &str) {
        let data = serde_json::json!({ "code": code, "detail": detail }).to_string();
        self.pending.push_back(event("error", None, &data));
        self.done = true;
    }
}

/// `GET /v1/contests/{id}/results/stream`.
pub async fn get(
    state: web::Data<AppState>,
    limiter: web::Data<StreamLimiter>,
    path: web::Path<String>,
    req: HttpRequest,
) -> AppResult<HttpResponse> {
    let id: ContestId = parse_id(&path, "contest")?;
    let contest: Contest = load_visible(&state, None, id).await?;
    let permit = admit(
        &limiter.into_inner(),
        &req,
        state.open_voter_limit.trust_forwarded_for,
    )?;
    let phase = contest.phase_at(Utc::now());
    // Refused here exactly as GET …/results refuses (403 saying when).
    let first = results::result_for(&state, contest.clone(), contest.method, false).await?;
    let last_seen: Option<i64> = req
        .headers()
        .get("last-event-id")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse().ok());
    let now = Instant::now();
    let mut follow = Follow {
        state,
        id,
        version: first.version,
        phase,
        etag: String::new(),
        pending: VecDeque::new(),
        next_poll: now + POLL,
        next_heartbeat: now + HEARTBEAT,
        done: false,
        _permit: permit,
    };
    follow
        .pending
        .push_back(Bytes::from(format!("retry: {RETRY_MS}\n\n")));
    if last_seen == Some(first.seq) && !first.final_ {
        follow.etag = first.etag.clone();
    } else {
        follow.push_result(&first);
    }
    let body = stream::unfold(follow, |mut f| async move {
        loop {
            if let Some(bytes) = f.pending.pop_front() {
                return Some((Ok::<_, Infallible>(bytes), f));
            }
            if f.done {
                return None;
            }
            let wake = f.next_poll.min(f.next_heartbeat);
            tokio::time::sleep_until(wake).await;
            let now = Instant::now();
            if now >= f.next_heartbeat {
                f.pending.push_back(Bytes::from_static(b": heartbeat\n\n"));
                f.next_heartbeat = now + HEARTBEAT;
            }
            if now >= f.next_poll {
                f.poll().await;
                f.next_poll = Instant::now() + POLL;
            }
        }
    });
    Ok(HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, "text/event-stream"))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header(("X-Accel-Buffering", "no"))
        .streaming(body))
}
