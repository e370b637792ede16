//! `GET /v1/contests/{id}/results/stream`: Server-Sent Events with the contest's
//! public result, a new event whenever it changes.
//!
//! It follows this instance's change feed (`app::feed`), not the database: a
//! stream subscribes to the feed's broadcast channel and, when an event names
//! its contest (a ballot written through any instance, a phase move, an edit,
//! moderation), asks `app::results::result_for` — the same function, cache
//! and visibility rules as `GET …/results` — and sends the result if its ETag
//! changed. Every [`TICK`] it checks, without the database, whether the
//! contest's schedule moved its phase; every [`HEARTBEAT`] it sends a comment
//! line (keeping proxies from closing an idle stream, and finding dead
//! clients) and looks once more, in case the feed missed something. An idle
//! stream therefore costs the database nothing, and however many streams
//! follow one contest, an instance reads its result once per change (the
//! results are in memory, shared). A ballot cast through any instance reaches
//! every stream within one feed poll plus the results' stated lag. Event ids
//! are the contest's own publication numbers (`CachedResult::seq`, not the
//! global ballot version, which would tell how busy other contests are): a
//! reconnecting `EventSource` sends `Last-Event-ID` and gets no repeat of what
//! it has. Live results advance in batches (docs/SECURITY.md S4). The stream
//! ends after the final result, or with an `error` event if results stop
//! being public.
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
use tokio::sync::broadcast;
use tokio::time::Instant;

use super::extract::parse_id;
use super::voters::client_bucket;
use super::AppState;
use crate::app::feed::Event;
use crate::app::results::{self, CachedResult};
use crate::app::streams::{Permit, Refused};
pub use crate::app::streams::{
    StreamLimiter, DEFAULT_MAX_STREAMS, DEFAULT_MAX_STREAMS_PER_ADDRESS,
};
use crate::domain::{Contest, ContestId, Phase};
use crate::error::{AppError, AppResult};

/// How often a stream checks (in memory) whether its contest's schedule moved
/// the phase.
pub const TICK: Duration = Duration::from_secs(1);
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
    contest: Contest,
    phase: Phase,
    etag: String,
    pending: VecDeque<Bytes>,
    events: broadcast::Receiver<Event>,
    dirty: bool,
    next_tick: Instant,
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

    /// Reads the contest and its result again (from this instance's caches);
    /// queues what changed.
    async fn refresh(&mut self) {
        let contest = match results::visible_contest(&self.state, None, self.id).await {
            Ok(c) => c,
            Err(AppError::NotFound(_)) => {
                return self.end("not_found", "the contest no longer exists")
            }
            // A database hiccup: keep the stream, try again next time.
            Err(e) => return tracing::warn!(error = %e, "results stream: cannot read the contest"),
        };
        self.phase = contest.phase_at(Utc::now());
        self.contest = contest.clone();
        match results::result_for(&self.state, contest.clone(), contest.method, false).await {
            Ok(r) if r.etag != self.etag => self.push_result(&r),
            Ok(r) => self.done = r.final_,
            Err(e @ AppError::Forbidden { .. }) | Err(e @ AppError::NotFound(_)) => {
                self.end(e.code(), &e.to_string())
            }
            Err(e) => tracing::warn!(error = %e, "results stream: cannot count"),
        }
    }

    /// Waits for the next thing to do: an event of the feed, a tick or a
    /// heartbeat.
    async fn wait(&mut self) {
        let wake = self.next_tick.min(self.next_heartbeat);
        tokio::select! {
            received = self.events.recv() => match received {
                Ok(e) => self.dirty |= e.contest() == self.id,
                // Missed events: one of them may have been ours.
                Err(broadcast::error::RecvError::Lagged(_)) => self.dirty = true,
                Err(broadcast::error::RecvError::Closed) => {
                    self.end("unavailable", "this instance is shutting down")
                }
            },
            _ = tokio::time::sleep_until(wake) => {
                let now = Instant::now();
                if now >= self.next_heartbeat {
                    self.pending.push_back(Bytes::from_static(b": heartbeat\n\n"));
                    self.next_heartbeat = now + HEARTBEAT;
                    self.dirty = true;
                }
                if now >= self.next_tick {
                    self.next_tick = now + TICK;
                    self.dirty |= self.contest.phase_at(Utc::now()) != self.phase;
                }
            }
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
    let contest: Contest = results::visible_contest(&state, None, id).await?;
    let permit = admit(
        &limiter.into_inner(),
        &req,
        state.open_voter_limit.trust_forwarded_for,
    )?;
    let phase = contest.phase_at(Utc::now());
    // Subscribed before the first read, so no change after it is missed.
    let events = state.feed.subscribe();
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
        contest,
        phase,
        etag: String::new(),
        pending: VecDeque::new(),
        events,
        dirty: false,
        next_tick: now + TICK,
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
            if f.dirty {
                f.dirty = false;
                f.refresh().await;
            } else {
                f.wait().await;
            }
        }
    });
    Ok(HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, "text/event-stream"))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header(("X-Accel-Buffering", "no"))
        .streaming(body))
}
