//! `GET /v1/contests/{id}/results[?method=]`: the engine's report on the
//! contest's ballots, cached in PostgreSQL so every instance shares it.
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

use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use chrono::{DateTime, Utc};
use diesel::{Connection, PgConnection};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use super::auth::MaybeAdmin;
use super::contests::load_visible;
use super::export::BallotSet;
use super::extract::parse_id;
use super::AppState;
use crate::db::{self, results::CachedResult};
use crate::domain::{parse_method, Contest, ContestId, Phase, ResultsVisibility};
use crate::error::{AppError, AppResult};
use crate::tally::{self, CandidateRef, Method, Options, Report, TallyError};

/// How old a live result may be when served, at most, in seconds.
pub const LIVE_MAX_AGE_SECS: i64 = 3;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ResultsQuery {
    #[serde(default)]
    pub method: Option<String>,
}

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

/// The 403 for results (or ballots, `what`) the caller may not see yet, saying
/// when they become visible.
pub fn visibility_error(contest: &Contest, what: &str) -> AppError {
    let detail = match contest.results_visibility {
        ResultsVisibility::Hidden => format!(
            "the organiser keeps this contest's results hidden; its {what} are visible to its admins only"
        ),
        _ => match contest.schedule.voting_close_at {
            Some(at) => format!(
                "this contest's {what} become public when voting closes, scheduled for {}",
                at.to_rfc3339()
            ),
            None => format!(
                "this contest's {what} become public when the organiser closes voting"
            ),
        },
    };
    AppError::forbidden("results_not_visible", detail)
}

/// Who may see results: admins always; the public per `results_visibility`.
fn check_visible(contest: &Contest, is_admin: bool, phase: Phase) -> AppResult<()> {
    let public = match contest.results_visibility {
        ResultsVisibility::Live => true,
        ResultsVisibility::AfterClose => phase == Phase::Closed,
        ResultsVisibility::Hidden => false,
    };
    if is_admin || public {
        Ok(())
    } else {
        Err(visibility_error(contest, "results"))
    }
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
    conn: &mut PgConnection,
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
        method: method.name().to_owned(),
        version,
        final_,
        body,
        etag,
        computed_at,
    })
}

fn snapshot<T>(
    conn: &mut PgConnection,
    f: impl FnOnce(&mut PgConnection) -> AppResult<T>,
) -> AppResult<T> {
    conn.build_transaction()
        .repeatable_read()
        .read_only()
        .run(f)
}

/// The live result: the cached one if current, else a fresh count.
async fn live(
    state: &AppState,
    contest: Contest,
    method: Method,
    phase: Phase,
) -> AppResult<CachedResult> {
    let id = contest.id;
    let (cached, version) = state
        .db_read(move |conn| {
            Ok((
                db::results::find(conn, id, method.name())?,
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
    let computed = state
        .db_read(move |conn| snapshot(conn, |conn| compute(conn, &contest, method, phase, false)))
        .await?;
    let stored = state
        .db(move |conn| Ok(db::results::store(conn, &computed)?))
        .await?;
    Ok(stored)
}

/// The final result of a closed contest: stored once, then always the same.
async fn closed(state: &AppState, contest: Contest, method: Method) -> AppResult<CachedResult> {
    let id = contest.id;
    let cached = state
        .db_read(move |conn| Ok(db::results::find(conn, id, method.name())?))
        .await?;
    if let Some(c) = cached.filter(|c| c.final_) {
        return Ok(c);
    }
    // On the primary: a replica may not have every ballot yet.
    let result = state
        .db(move |conn| {
            let closed = conn.transaction(|conn| db::results::lock_and_close_if_due(conn, id))?;
            // By the database's clock the contest may not have closed quite yet
            // (clocks of instances differ): then this is still a live result.
            let phase = if closed { Phase::Closed } else { Phase::Voting };
            let computed = snapshot(conn, |conn| compute(conn, &contest, method, phase, closed))?;
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
    state: &AppState,
    contest: Contest,
    method: Method,
    caller_is_admin: bool,
) -> AppResult<CachedResult> {
    let phase = contest.phase_at(Utc::now());
    check_visible(&contest, caller_is_admin, phase)?;
    if phase == Phase::Closed {
        closed(state, contest, method).await
    } else {
        live(state, contest, method, phase).await
    }
}

/// `GET /v1/contests/{id}/results[?method=]`.
pub async fn get(
    state: web::Data<AppState>,
    caller: MaybeAdmin,
    path: web::Path<String>,
    query: web::Query<ResultsQuery>,
    req: HttpRequest,
) -> AppResult<HttpResponse> {
    let id: ContestId = parse_id(&path, "contest")?;
    let contest = load_visible(&state, caller, id).await?;
    let method = match query.method.as_deref() {
        None => contest.method,
        Some(raw) => parse_method(raw)
            .map_err(|m| AppError::bad_request("invalid_method", format!("`method`: {m}")))?,
    };
    let phase = contest.phase_at(Utc::now());
    let is_admin = caller.0.is_some();
    let public = check_visible(&contest, false, phase).is_ok();
    let result = result_for(&state, contest, method, is_admin).await?;
    let cache_control = match (public, result.final_) {
        (true, true) => "public, max-age=300".to_owned(),
        (true, false) => format!("public, max-age={LIVE_MAX_AGE_SECS}"),
        (false, _) => "private, no-cache".to_owned(),
    };
    let matches = req
        .headers()
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.split(',')
                .map(|t| t.trim().trim_start_matches("W/"))
                .any(|t| t == "*" || t == result.etag)
        });
    let mut response = if matches {
        HttpResponse::NotModified()
    } else {
        HttpResponse::Ok()
    };
    response
        .insert_header((header::ETAG, result.etag.clone()))
        .insert_header((header::CACHE_CONTROL, cache_control))
        .insert_header((header::VARY, "Authorization"));
    if matches {
        return Ok(response.finish());
    }
    Ok(response
        .insert_header((header::CONTENT_TYPE, "application/json"))
        .body(result.body))
}
