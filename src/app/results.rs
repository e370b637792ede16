//! Results: the engine's report on a contest's ballots, as the caller may see
//! it, cached in PostgreSQL so every instance shares it. Every resource that
//! shows results (`GET …/results`, its stream, the embed page, the SVG chart)
//! goes through [`result_for`], so all agree.
//!
//! **Live results advance in batches** (docs/SECURITY.md S4). A live result is
//! counted only from a *published* ballot state of its contest (table
//! `live_results`: the largest ballot version counted and a per-contest
//! sequence number `seq`), and a new state is published only when at least
//! the contest's `live_results_min_batch` (N, default 5) ballot rows were
//! written (cast, replaced or withdrawn — each stamps a fresh version) since
//! the last one. Until then every reader gets the previously published result:
//! live results lag by up to N − 1 ballots, for as long as no further ballots
//! come. Before N ballots are in, the published state is the one without
//! ballots. Publishing counts *every* method from one snapshot, so no two
//! methods (whose pairwise matrices agree) can be compared across a single
//! ballot either. So no one can learn a single voter's ballot by diffing two
//! live results around their cast — by any method or view — unless they
//! themselves cast or know the other N − 1 ballots of that batch: the
//! trade-off between privacy and immediacy is the organiser's to set, and
//! `1` gives today's immediate results. Final results (contest closed) are
//! exact and immediate.
//!
//! **One recount at a time** (docs/SECURITY.md S13): concurrent requests that
//! need a count share one per instance ([`Recounts`]: a publication per
//! contest, a final result per contest and method); and nothing is counted
//! while the ballots have not changed since the last publication, however old
//! it is — except before voting (no ballots can exist, but candidates change
//! with moderation), where a publication older than [`LIVE_MAX_AGE_SECS`] is
//! counted again.
//!
//! **From memory** (issue 12): each instance keeps the results it served in a
//! [`ResultMemo`] (per contest, method and phase, with the ballot version it
//! counted), shared by the results route, its stream, the embed page and the
//! SVG chart. An entry is used until the change feed (`app::feed`) hears of a
//! ballot or a change of its contest, and a live one for at most
//! [`LIVE_MAX_AGE_SECS`]; a final one for ever. Concurrent readers of a
//! missing entry share one read. Admins bypass it and read the primary.
//!
//! Cache (table `result_cache`, one row per contest and method):
//! - a live row was counted from publication `seq` of its contest (ballot
//!   version `version`); rows are only ever replaced by a later publication;
//! - final (contest closed): computed once, after locking the contest row so
//!   every ballot write in flight has finished and none can follow (see
//!   `db::ballots`), stored with `final = true` and `seq` one past the last
//!   publication, and never replaced.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Utc};
use serde::Serialize;
use sha2::{Digest, Sha256};
use tokio::sync::OnceCell;
use uuid::Uuid;

use super::ballot_set::BallotSet;
use super::contests::{is_visible, load_visible};
use super::feed::{self, Memo};
use super::visibility::check_visible;
use super::{Admin, App};
use crate::db::results::Publication;
use crate::db::{self, Conn};
use crate::domain::{Contest, ContestId, Phase};
use crate::error::{AppError, AppResult};
use crate::tally::{self, CandidateRef, Method, Options, Report, TallyError};

/// A result as stored in the shared cache: its JSON `body` is what
/// `GET …/results` serves, `etag` its validator, `seq` the contest's
/// publication it shows (the results stream's event id).
pub use crate::db::results::CachedResult;

/// How long clients may cache a live result, in seconds; and before voting
/// opens, how old a published state may be before it is counted again.
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

/// A method's outcome in a count: its result, or why the method cannot count
/// this contest (a 422 on `method`).
type Outcome = Result<CachedResult, String>;

/// What one count produced, shared by every request that waited for it; empty
/// when there was nothing to count after all (another request or instance
/// published first, or the contest is not closed by the database's clock).
type Flight = Arc<Vec<(Method, Outcome)>>;

fn outcome(method_outcome: Outcome) -> AppResult<CachedResult> {
    method_outcome.map_err(|m| AppError::invalid("method", m))
}

/// Which concurrent requests share a count.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum FlightKey {
    /// A live publication counts every method at once.
    Live(ContestId),
    Final(ContestId, Method),
}

/// This instance's counts in flight, so concurrent requests for the same
/// contest share one (docs/SECURITY.md S13), and how many counts it ran.
#[derive(Default)]
pub struct Recounts {
    flights: Mutex<HashMap<FlightKey, Arc<OnceCell<Flight>>>>,
    counted: AtomicU64,
}

impl Recounts {
    /// Ballot counts this instance ran (each reads a contest's ballots once):
    /// `christen_result_counts_total` on `/metrics`.
    pub fn counted(&self) -> u64 {
        self.counted.load(Ordering::Relaxed)
    }

    fn note_count(&self) {
        self.counted.fetch_add(1, Ordering::Relaxed);
    }

    /// Runs `count` unless a request for the same key runs one already; then
    /// waits for that one's outcome instead. A count that fails is not shared:
    /// the next waiter runs its own.
    async fn single<F, Fut>(&self, key: FlightKey, count: F) -> AppResult<Flight>
    where
        F: FnOnce() -> Fut,
        Fut: std::future::Future<Output = AppResult<Flight>>,
    {
        let cell = {
            let mut flights = self.flights.lock().unwrap_or_else(|e| e.into_inner());
            flights.entry(key).or_default().clone()
        };
        let result = cell.get_or_try_init(count).await.cloned();
        let mut flights = self.flights.lock().unwrap_or_else(|e| e.into_inner());
        if flights.get(&key).is_some_and(|c| Arc::ptr_eq(c, &cell)) {
            flights.remove(&key);
        }
        result
    }
}

fn tally_error(e: TallyError) -> Result<String, AppError> {
    match e {
        TallyError::TooManyCandidates { .. } => Ok(e.to_string()),
        other => Err(AppError::Unexpected(anyhow::anyhow!(
            "counting failed: {other}"
        ))),
    }
}

/// A contest's ballots read on one snapshot, ready to count by any method.
struct Loaded {
    /// The largest ballot version read (0: none).
    version: i64,
    set: BallotSet,
    digest: String,
}

/// Reads the version, the candidates and every counted ballot (one pass:
/// grouped for the count, and the canonical export's digest), or only the
/// candidates (`with_ballots` false: the state without ballots); call inside a
/// repeatable-read transaction so they agree.
fn load(conn: &mut Conn, id: ContestId, with_ballots: bool) -> AppResult<Loaded> {
    let started = std::time::Instant::now();
    let (version, set) = if with_ballots {
        (db::ballots::version(conn, id)?, BallotSet::load(conn, id)?)
    } else {
        let candidates = db::ballots::candidates(conn, id)?;
        (0, BallotSet::without_ballots(candidates))
    };
    let digest = set.digest()?;
    tracing::debug!(
        contest = %id,
        ballots = set.len(),
        load_ms = started.elapsed().as_secs_f64() * 1e3,
        "read ballots to count"
    );
    Ok(Loaded {
        version,
        set,
        digest,
    })
}

/// Counts `loaded` by `method` and renders the stored row (`seq` is set by the
/// caller once the publication is recorded).
fn render(
    contest: &Contest,
    loaded: &Loaded,
    method: Method,
    phase: Phase,
    final_: bool,
) -> AppResult<Outcome> {
    let id = contest.id;
    let election = loaded.set.election();
    let options = Options {
        seats: contest.seats.max(1) as u32,
        seed: seed_of(id),
        ..Options::default()
    };
    let mut report = match tally::count(&election, method, &options) {
        Ok(r) => r,
        Err(e) => return Ok(Err(tally_error(e)?)),
    };
    report.ballot_digest = Some(loaded.digest.clone());
    let ids: Vec<Uuid> = loaded.set.candidates.iter().map(|c| c.id).collect();
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
    Ok(Ok(CachedResult {
        contest_id: id.0,
        method,
        version: loaded.version,
        final_,
        body,
        etag,
        computed_at,
        seq: 0,
    }))
}

/// Runs `f` on the primary (`primary`) or on the read pool.
async fn read<T, F>(app: &App, primary: bool, f: F) -> AppResult<T>
where
    F: FnOnce(&mut Conn) -> AppResult<T> + Send + 'static,
    T: Send + 'static,
{
    if primary {
        app.db(f).await
    } else {
        app.db_read(f).await
    }
}

/// What a live reader decides from: the contest's last publication, this
/// method's row, and the ballot writes since that publication (counted no
/// further than the batch size).
struct Look {
    publication: Option<Publication>,
    row: Option<CachedResult>,
    writes: i64,
}

/// Reads a [`Look`] (on the read pool unless `primary`): three index probes,
/// no ballot scan.
async fn look(
    app: &App,
    primary: bool,
    id: ContestId,
    method: Option<Method>,
    batch: i64,
) -> AppResult<Look> {
    read(app, primary, move |conn| {
        let publication = db::results::publication(conn, id)?;
        let row = match method {
            Some(m) => db::results::find(conn, id, m)?,
            None => None,
        };
        let since = publication.map_or(0, |p| p.version);
        let writes = db::results::writes_since(conn, id, since, batch)?;
        Ok(Look {
            publication,
            row,
            writes,
        })
    })
    .await
}

impl Look {
    /// Whether to publish a new live state now (docs/SECURITY.md S4): `None`
    /// to serve the published one; `Some(true)` to count the ballots, when at
    /// least `batch` were written since the last publication, or none was but
    /// the phase changed (or, before voting, the candidates may have);
    /// `Some(false)` for the state without ballots, while fewer than `batch`
    /// ballots were ever written.
    fn due(&self, batch: i64, phase: Phase, now: DateTime<Utc>) -> Option<bool> {
        let stale = |p: &Publication| {
            p.phase != phase
                || (phase != Phase::Voting
                    && (now - p.published_at).num_milliseconds() >= LIVE_MAX_AGE_SECS * 1000)
        };
        match self.publication {
            _ if self.writes >= batch => Some(true),
            None => Some(self.writes == 0),
            Some(p) if self.writes == 0 => stale(&p).then_some(true),
            Some(p) => (p.version == 0 && stale(&p)).then_some(false),
        }
    }
}

/// The live result: the published one, or a new publication when one is due.
async fn live(
    app: &App,
    contest: Contest,
    method: Method,
    phase: Phase,
    primary: bool,
) -> AppResult<CachedResult> {
    let id = contest.id;
    let batch = i64::from(contest.live_results_min_batch.max(1));
    let mut seen = look(app, primary, id, Some(method), batch).await?;
    if seen.due(batch, phase, Utc::now()).is_some() {
        let flight = app
            .recounts
            .single(FlightKey::Live(id), || {
                publish(app, contest.clone(), phase, primary)
            })
            .await?;
        if let Some((_, o)) = flight.iter().find(|(m, _)| *m == method) {
            return outcome(o.clone());
        }
        // Published by another request or instance meanwhile.
        seen = look(app, primary, id, Some(method), batch).await?;
    }
    match seen.row {
        Some(row) => Ok(row),
        None => unpublished_method(app, contest, method, phase, primary).await,
    }
}

/// Publishes the contest's live state if one is still due (checked again: a
/// request that waited may find it done): every method counted from one
/// snapshot, recorded only if no other publication came first.
async fn publish(app: &App, contest: Contest, phase: Phase, primary: bool) -> AppResult<Flight> {
    let id = contest.id;
    let batch = i64::from(contest.live_results_min_batch.max(1));
    let now = Utc::now();
    let seen = look(app, primary, id, None, batch).await?;
    let Some(with_ballots) = seen.due(batch, phase, now) else {
        return Ok(Flight::default());
    };
    let recounts = app.recounts.clone();
    let (version, outcomes) = read(app, primary, move |conn| {
        let loaded = db::read_snapshot(conn, |conn| load(conn, id, with_ballots))?;
        recounts.note_count();
        let outcomes = Method::ALL
            .into_iter()
            .map(|m| Ok((m, render(&contest, &loaded, m, phase, false)?)))
            .collect::<AppResult<Vec<_>>>()?;
        Ok((loaded.version, outcomes))
    })
    .await?;
    let after = seen.publication.map(|p| p.seq);
    app.db(move |conn| {
        db::transaction(conn, |conn| {
            let Some(seq) = db::results::publish(conn, id, after, version, phase, now)? else {
                return Ok(Flight::default());
            };
            let mut stored = Vec::with_capacity(outcomes.len());
            for (m, o) in outcomes {
                let o = match o {
                    Ok(mut row) => {
                        row.seq = seq;
                        Ok(db::results::store(conn, &row)?)
                    }
                    Err(why) => Err(why),
                };
                stored.push((m, o));
            }
            Ok(Arc::new(stored))
        })
    })
    .await
}

/// A method without a live row although its contest has a publication:
/// counting it failed when the state was published (too many candidates for a
/// pairwise method). Says why from the candidates alone — never from ballots
/// that are not published.
async fn unpublished_method(
    app: &App,
    contest: Contest,
    method: Method,
    phase: Phase,
    primary: bool,
) -> AppResult<CachedResult> {
    let id = contest.id;
    let o = read(app, primary, move |conn| {
        let loaded = db::read_snapshot(conn, |conn| load(conn, id, false))?;
        render(&contest, &loaded, method, phase, false)
    })
    .await?;
    outcome(o)?;
    Err(AppError::Unavailable(
        "this method's live result is being published; retry in a moment".into(),
    ))
}

/// The final result of a closed contest: stored once, then always the same.
async fn closed(
    app: &App,
    contest: Contest,
    method: Method,
    primary: bool,
) -> AppResult<CachedResult> {
    let id = contest.id;
    let cached = app
        .db_read(move |conn| Ok(db::results::find(conn, id, method)?))
        .await?;
    if let Some(c) = cached.filter(|c| c.final_) {
        return Ok(c);
    }
    let flight = app
        .recounts
        .single(FlightKey::Final(id, method), || {
            count_final(app, contest.clone(), method)
        })
        .await?;
    match flight.first() {
        Some((_, o)) => outcome(o.clone()),
        // By the database's clock the contest has not closed quite yet (clocks
        // of instances differ): still live, and published in batches.
        None => live(app, contest, method, Phase::Voting, primary).await,
    }
}

/// Counts and stores the final result on the primary (a replica may not have
/// every ballot yet), unless another request stored it first; empty if the
/// contest is not closed by the database's clock.
async fn count_final(app: &App, contest: Contest, method: Method) -> AppResult<Flight> {
    let id = contest.id;
    let recounts = app.recounts.clone();
    app.db(move |conn| {
        if let Some(c) = db::results::find(conn, id, method)?.filter(|c| c.final_) {
            return Ok(Arc::new(vec![(method, Ok(c))]));
        }
        // The first to store a scheduled close announces the final result.
        let (org, announce) = (contest.org_id, contest.stored_phase != Phase::Closed);
        let closed = db::transaction(conn, |conn| {
            let closed = db::results::lock_and_close_if_due(conn, id)?;
            if closed && announce {
                super::webhooks::emit_results_final(conn, org, id)?;
            }
            AppResult::Ok(closed)
        })?;
        if !closed {
            return Ok(Flight::default());
        }
        let (seq, loaded) = db::read_snapshot(conn, |conn| {
            Ok::<_, AppError>((db::results::final_seq(conn, id)?, load(conn, id, true)?))
        })?;
        recounts.note_count();
        let o = match render(&contest, &loaded, method, Phase::Closed, true)? {
            Ok(mut row) => {
                row.seq = seq;
                Ok(db::results::store(conn, &row)?)
            }
            Err(why) => Err(why),
        };
        Ok(Arc::new(vec![(method, o)]))
    })
    .await
}

/// The result of `contest` by `method` as `caller_is_admin` may see it: the 403
/// when they may not, else the published or final result (its `body` is the
/// JSON served by `GET …/results`). For every resource that shows results
/// (the results route, its stream, the embed page, the SVG chart), so all
/// agree and all advance in the same batches (docs/SECURITY.md S4).
pub async fn result_for(
    app: &App,
    contest: Contest,
    method: Method,
    caller_is_admin: bool,
) -> AppResult<CachedResult> {
    let phase = contest.phase_at(Utc::now());
    check_visible(&contest, caller_is_admin, phase)?;
    if caller_is_admin {
        // What an admin just changed is never served stale: the primary.
        return compute(app, contest, method, phase, true).await;
    }
    let key = (contest.id, method, phase);
    let stamp = app.feed.stamp(contest.id);
    app.results
        .0
        .get(
            key,
            stamp,
            |r| r.final_,
            || async move {
                // A lagging replica is not read for what the feed announced.
                let primary = !feed::replica_has(app, contest.id).await?;
                compute(app, contest, method, phase, primary).await
            },
        )
        .await
}

async fn compute(
    app: &App,
    contest: Contest,
    method: Method,
    phase: Phase,
    primary: bool,
) -> AppResult<CachedResult> {
    if phase == Phase::Closed {
        closed(app, contest, method, primary).await
    } else {
        live(app, contest, method, phase, primary).await
    }
}

/// This instance's results in memory (see the module's documentation).
#[derive(Default)]
pub struct ResultMemo(Memo<(ContestId, Method, Phase), CachedResult>);

/// The contest as `caller` may see it, for reading its results: an admin's
/// from the primary; the public's from this instance's cache (kept fresh by
/// the change feed), so a cached result costs no query. One the caller may
/// not see is a 404.
pub async fn visible_contest(
    app: &App,
    caller: Option<Admin>,
    id: ContestId,
) -> AppResult<Contest> {
    if caller.is_some() {
        return load_visible(app, caller, id).await;
    }
    match feed::contest(app, id).await? {
        Some(c) if is_visible(&c, None, Utc::now()) => Ok(c),
        _ => Err(AppError::not_found("contest")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn look(publication: Option<(i64, Phase, i64)>, writes: i64) -> Look {
        let now = Utc::now();
        Look {
            publication: publication.map(|(version, phase, age_secs)| Publication {
                seq: 1,
                version,
                phase,
                published_at: now - chrono::Duration::seconds(age_secs),
            }),
            row: None,
            writes,
        }
    }

    #[test]
    fn a_live_state_is_published_per_batch_and_never_for_fewer_ballots() {
        let now = Utc::now();
        let voting = Phase::Voting;
        // Nothing published: the ballots once a batch is in, else none of them.
        assert_eq!(look(None, 5).due(5, voting, now), Some(true));
        assert_eq!(look(None, 0).due(5, voting, now), Some(true));
        assert_eq!(look(None, 4).due(5, voting, now), Some(false));
        // Published: fewer writes than a batch keep it, however old it is.
        assert_eq!(look(Some((9, voting, 999)), 4).due(5, voting, now), None);
        assert_eq!(look(Some((9, voting, 999)), 0).due(5, voting, now), None);
        assert_eq!(
            look(Some((9, voting, 0)), 5).due(5, voting, now),
            Some(true)
        );
        // The phase moved on with the same ballots: count them again.
        let before = Phase::Suggesting;
        assert_eq!(
            look(Some((0, before, 0)), 0).due(5, voting, now),
            Some(true)
        );
        // ... but with a few new ones, only the state without ballots.
        assert_eq!(
            look(Some((0, before, 0)), 2).due(5, voting, now),
            Some(false)
        );
        assert_eq!(look(Some((9, before, 0)), 2).due(5, voting, now), None);
        // Before voting, candidates change: counted again after 3 s.
        assert_eq!(look(Some((0, before, 1)), 0).due(5, before, now), None);
        assert_eq!(
            look(Some((0, before, 4)), 0).due(5, before, now),
            Some(true)
        );
    }
}
