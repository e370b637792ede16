//! Results: the engine's report on a contest's ballots, as the caller may see
//! it, cached in PostgreSQL so every instance shares it. Every resource that
//! shows results (`GET …/results`, its stream, the embed page, the SVG chart)
//! goes through [`result_for`], so all agree.
//!
//! Cache (table `result_cache`, one row per contest and method):
//! - a row holds the result for the contest's ballot version `version` (the
//!   largest `ballots.version` of the contest, stamped from a sequence on every
//!   cast, replacement and withdrawal), so any instance tells with one index
//!   probe whether it is current;
//! - live (contest not closed): served while its version is still the contest's
//!   and it is younger than [`LIVE_MAX_AGE_SECS`]; otherwise recomputed on a
//!   repeatable-read snapshot (so version, counts and digest agree) and stored.
//!   The age bound covers a write that took its version before a newer one but
//!   committed after the result was computed: a result never misses a ballot
//!   committed more than [`LIVE_MAX_AGE_SECS`] seconds before it was served;
//! - final (contest closed): computed once, after locking the contest row so
//!   every ballot write in flight has finished and none can follow (see
//!   `db::ballots`), stored with `final = true`, and never replaced.

use chrono::{DateTime, Utc};
use serde::Serialize;
use sha2::{Digest, Sha256};
use uuid::Uuid;

use super::ballot_set::BallotSet;
use super::visibility::check_visible;
use super::App;
use crate::db::{self, Conn};
use crate::domain::{Contest, ContestId, Phase};
use crate::error::{AppError, AppResult};
use crate::tally::{self, CandidateRef, Method, Options, Report, TallyError};

/// A result as stored in the shared cache: its JSON `body` is what
/// `GET …/results` serves, `etag` its validator.
pub use crate::db::results::CachedResult;

/// How old a live result may be when served, at most, in seconds.
pub const LIVE_MAX_AGE_SECS: i64 = 3;

/// The response: the engine's report with candidates as `{id, name}`, plus when
/// and in which phase it was computed and whether it is final.
#[derive(Debug, Serialize)]
struct ResultBody {
    contest_id: Uuid,
    #[serde(flatten)]
    report: Report<CandidateRef<Uuid>>,
    computed_at: DateTime<Utc>,
    phase: Phase,
    #[serde(rename = "final")]
    final_: bool,
}

/// The tie-break seed of a contest: the first 8 bytes of its id, big-endian.
pub fn seed_of(id: ContestId) -> u64 {
    let b = id.0.as_bytes();
    u64::from_be_bytes([b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7]])
}

fn tally_error(e: TallyError) -> AppError {
    match e {
        TallyError::TooManyCandidates { .. } => AppError::invalid("method", e.to_string()),
        other => AppError::Unexpected(anyhow::anyhow!("counting failed: {other}")),
    }
}

/// Counts the contest's ballots now. Reads the version, the candidates and every
/// counted ballot (one pass: grouped for the count, and the canonical export's
/// digest); call inside a repeatable-read transaction so they agree.
fn compute(
    conn: &mut Conn,
    contest: &Contest,
    method: Method,
    phase: Phase,
    final_: bool,
) -> AppResult<CachedResult> {
    let id = contest.id;
    let version = db::ballots::version(conn, id)?;
    // One pass over the ballots: grouped, sorted by receipt, digested.
    let started = std::time::Instant::now();
    let set = BallotSet::load(conn, id)?;
    let loaded = started.elapsed();
    let digest = set.digest()?;
    let digested = started.elapsed();
    let election = set.election();
    let options = Options {
        seats: contest.seats.max(1) as u32,
        seed: seed_of(id),
        ..Options::default()
    };
    let mut report = tally::count(&election, method, &options).map_err(tally_error)?;
    report.ballot_digest = Some(digest);
    tracing::debug!(
        contest = %id,
        method = method.name(),
        ballots = set.len(),
        distinct_rankings = election.ballots.len(),
        load_ms = loaded.as_secs_f64() * 1e3,
        digest_ms = (digested - loaded).as_secs_f64() * 1e3,
        count_ms = (started.elapsed() - digested).as_secs_f64() * 1e3,
        "counted a result"
    );
    let ids: Vec<Uuid> = set.candidates.iter().map(|c| c.id).collect();
    let report = report.with_refs(&election.candidates, |i| ids[i as usize]);
    let computed_at = Utc::now();
    let body = serde_json::to_string(&ResultBody {
        contest_id: id.0,
        report,
        computed_at,
        phase,
        final_,
    })
    .map_err(|e| AppError::Unexpected(e.into()))?;
    let etag = format!(
        "\"{}\"",
        &hex::encode(Sha256::digest(body.as_bytes()))[..32]
    );
    Ok(CachedResult {
        contest_id: id.0,
        method,
        version,
        final_,
        body,
        etag,
        computed_at,
    })
}

/// The live result: the cached one if current, else a fresh count.
async fn live(
    app: &App,
    contest: Contest,
    method: Method,
    phase: Phase,
) -> AppResult<CachedResult> {
    let id = contest.id;
    let (cached, version) = app
        .db_read(move |conn| {
            Ok((
                db::results::find(conn, id, method)?,
                db::ballots::version(conn, id)?,
            ))
        })
        .await?;
    if let Some(c) = cached {
        let fresh = (Utc::now() - c.computed_at).num_milliseconds() < LIVE_MAX_AGE_SECS * 1000;
        if c.final_ || (c.version == version && fresh) {
            return Ok(c);
        }
    }
    let computed = app
        .db_read(move |conn| {
            db::read_snapshot(conn, |conn| compute(conn, &contest, method, phase, false))
        })
        .await?;
    let stored = app
        .db(move |conn| Ok(db::results::store(conn, &computed)?))
        .await?;
    Ok(stored)
}

/// The final result of a closed contest: stored once, then always the same.
async fn closed(app: &App, contest: Contest, method: Method) -> AppResult<CachedResult> {
    let id = contest.id;
    let cached = app
        .db_read(move |conn| Ok(db::results::find(conn, id, method)?))
        .await?;
    if let Some(c) = cached.filter(|c| c.final_) {
        return Ok(c);
    }
    // On the primary: a replica may not have every ballot yet.
    // The first to store the scheduled close announces the final result.
    let (org, announce) = (contest.org_id, contest.stored_phase != Phase::Closed);
    let result = app
        .db(move |conn| {
            let closed = db::transaction(conn, |conn| {
                let closed = db::results::lock_and_close_if_due(conn, id)?;
                if closed && announce {
                    super::webhooks::emit_results_final(conn, org, id)?;
                }
                AppResult::Ok(closed)
            })?;
            // By the database's clock the contest may not have closed quite yet
            // (clocks of instances differ): then this is still a live result.
            let phase = if closed { Phase::Closed } else { Phase::Voting };
            let computed =
                db::read_snapshot(conn, |conn| compute(conn, &contest, method, phase, closed))?;
            Ok(db::results::store(conn, &computed)?)
        })
        .await?;
    Ok(result)
}

/// The result of `contest` by `method` as `caller_is_admin` may see it: the 403
/// when they may not, else the cached or freshly counted result (its `body` is
/// the JSON served by `GET …/results`). For every resource that shows results
/// (the results route, the embed page, the SVG chart), so all agree.
pub async fn result_for(
    app: &App,
    contest: Contest,
    method: Method,
    caller_is_admin: bool,
) -> AppResult<CachedResult> {
    let phase = contest.phase_at(Utc::now());
    check_visible(&contest, caller_is_admin, phase)?;
    if phase == Phase::Closed {
        closed(app, contest, method).await
    } else {
        live(app, contest, method, phase).await
    }
}

/// What a results stream watches: the contest's ballot version and the contest
/// itself (`None` once it no longer exists), read on the read pool.
pub async fn watch(app: &App, id: ContestId) -> AppResult<(i64, Option<Contest>)> {
    app.db_read(move |conn| {
        Ok((
            db::ballots::version(conn, id)?,
            db::contests::find(conn, id)?,
        ))
    })
    .await
}
