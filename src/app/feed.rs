//! The change feed: how one instance learns what changed in PostgreSQL,
//! whoever changed it and through whichever instance, without a query per
//! viewer.
//!
//! One thread per instance ([`Feed::start`]) holds one connection of its own
//! to the primary and every [`DEFAULT_POLL`] runs one statement
//! (`db::feed::since`): the ballot rows written since the last look (an index
//! range scan over the global ballot `version`) and the contest changes noted
//! since (table `contest_changes`, filled by triggers on contests and
//! suggestions: phase moves, edits, moderation, deletion). The ballot write
//! path gains nothing but one index entry: no `NOTIFY`, no extra statement, no
//! lock, so group commit stays as it is. A sequence value is taken before its
//! transaction commits, so a write may become visible after a larger version
//! was seen; each look therefore re-reads the last [`WINDOW`] of versions and
//! change numbers and reports only those it had not seen.
//!
//! What it learns it turns into [`Event`]s: each bumps the contest's *stamp*
//! (what the in-memory caches compare) and goes out on a broadcast channel
//! that every results stream of the instance subscribes to. Writes made
//! through this instance also call [`Feed::touch`] at once (the HTTP layer
//! does, after any successful write under `/v1/contests/{id}`), so this
//! instance never serves what an admin just changed through it.
//!
//! The caches ([`Memo`]) never trust the feed alone: a live entry is used for
//! at most [`MAX_AGE`], so a feed that cannot reach the database (it logs
//! and retries) leaves results as fresh as they were documented before.

use std::collections::{BTreeSet, HashMap, VecDeque};
use std::hash::Hash;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, Weak};
use std::time::{Duration, Instant};

use tokio::sync::{broadcast, OnceCell};

use super::App;
use crate::db::{self, Conn};
use crate::domain::{Contest, ContestId};
use crate::error::{AppError, AppResult};

/// How often the feed looks at the database, unless configured
/// (`CHRISTEN_FEED_POLL_MS`).
pub const DEFAULT_POLL: Duration = Duration::from_millis(250);
/// How far back each look re-reads, for writes that commit late.
pub const WINDOW: Duration = Duration::from_secs(2);
/// The longest a cached live value (a contest, a live result) is served
/// without being read again, whatever the feed says.
pub const MAX_AGE: Duration = Duration::from_secs(3);
/// How long a request waits for the read replica to replay past the primary.
pub const REPLICA_WAIT: Duration = Duration::from_secs(10);
/// Rows one look reads at most, of each kind.
const LIMIT: i64 = 50_000;
/// Events a slow subscriber may fall behind before it is told it lagged.
const CAPACITY: usize = 4096;
/// How long noted contest changes are kept, in seconds (pruned every minute).
const KEEP_SECS: i64 = 600;
/// Entries one cache holds before expired ones are swept.
const MAX_SLOTS: usize = 20_000;

/// Something changed about a contest.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Event {
    /// Ballots were written; the largest version seen.
    Ballots { contest: ContestId, version: i64 },
    /// The contest or its candidates changed (or it was deleted).
    Changed { contest: ContestId },
}

impl Event {
    pub fn contest(&self) -> ContestId {
        match *self {
            Event::Ballots { contest, .. } | Event::Changed { contest } => contest,
        }
    }
}

/// One instance's feed: the stamps, the channel, the contest cache.
pub struct Feed {
    events: broadcast::Sender<Event>,
    seen: Mutex<HashMap<ContestId, Seen>>,
    contests: Memo<ContestId, Option<Contest>>,
    /// Whether reads may go to a replica (`DATABASE_READ_URL`).
    replica: bool,
    looks: AtomicU64,
    running: AtomicBool,
}

impl Feed {
    pub fn new(replica: bool) -> Feed {
        Feed {
            events: broadcast::channel(CAPACITY).0,
            seen: Mutex::default(),
            contests: Memo::default(),
            replica,
            looks: AtomicU64::new(0),
            running: AtomicBool::new(false),
        }
    }

    /// Every event from now on.
    pub fn subscribe(&self) -> broadcast::Receiver<Event> {
        self.events.subscribe()
    }

    /// The contest's stamp: changes whenever the feed hears of a change.
    pub fn stamp(&self, id: ContestId) -> u64 {
        lock(&self.seen).get(&id).map_or(0, |s| s.stamp)
    }

    /// Looks at the database this feed made, for metrics and tests.
    pub fn looks(&self) -> u64 {
        self.looks.load(Ordering::Relaxed)
    }

    /// Whether reads may go to a replica.
    pub fn has_replica(&self) -> bool {
        self.replica
    }

    fn note(&self, event: Event, lsn: Option<&str>) {
        {
            let mut seen = lock(&self.seen);
            let s = seen.entry(event.contest()).or_default();
            s.stamp += 1;
            match lsn {
                Some(l) => s.lsn = Some(l.to_owned()),
                None => s.touched = Some(Instant::now()),
            }
        }
        // No subscriber is fine.
        let _ = self.events.send(event);
    }

    /// A write through this instance changed the contest: caches here forget
    /// it now, its streams look again, and its reads go to the primary for a
    /// while.
    pub fn touch(&self, id: ContestId) {
        self.note(Event::Changed { contest: id }, None);
    }

    /// Starts the feed's thread, polling the primary at `url` every `poll`.
    /// The thread ends once the feed is dropped.
    pub fn start(self: &Arc<Self>, url: String, poll: Duration) {
        if self.running.swap(true, Ordering::SeqCst) {
            return;
        }
        let feed = Arc::downgrade(self);
        let spawned = std::thread::Builder::new()
            .name("christen-feed".into())
            .spawn(move || run(feed, &url, poll));
        if let Err(e) = spawned {
            tracing::error!(error = %e, "cannot start the change feed; caches expire by age only");
        }
    }
}

/// What the feed knows of one contest.
#[derive(Debug, Default)]
struct Seen {
    stamp: u64,
    /// The primary's WAL position when its last change was seen.
    lsn: Option<String>,
    /// When a write through this instance last changed it.
    touched: Option<Instant>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// Where the feed stands: what it has seen in the last [`WINDOW`].
struct Cursor {
    /// `(when, largest version, largest change number)` seen at each look of
    /// the window; the first is where the next look starts.
    marks: VecDeque<(Instant, i64, i64)>,
    versions: BTreeSet<i64>,
    seqs: BTreeSet<i64>,
}

impl Cursor {
    fn new((version, seq): (i64, i64)) -> Cursor {
        Cursor {
            marks: VecDeque::from([(Instant::now(), version, seq)]),
            versions: BTreeSet::new(),
            seqs: BTreeSet::new(),
        }
    }

    fn low(&self) -> (i64, i64) {
        let (_, v, s) = self.marks[0];
        (v, s)
    }

    /// Takes one look's rows; returns the events they make, once each.
    fn take(&mut self, rows: &[db::feed::Change]) -> Vec<Event> {
        self.take_rows(rows.iter().map(|r| (r.contest_id, r.version, r.seq)))
    }

    fn take_rows(&mut self, rows: impl Iterator<Item = (uuid::Uuid, i64, i64)>) -> Vec<Event> {
        let mut ballots: HashMap<ContestId, i64> = HashMap::new();
        let mut changed: Vec<ContestId> = Vec::new();
        for (id, version, seq) in rows {
            let contest = ContestId(id);
            if version > 0 && self.versions.insert(version) {
                let v = ballots.entry(contest).or_insert(0);
                *v = (*v).max(version);
            }
            if seq > 0 && self.seqs.insert(seq) && !changed.contains(&contest) {
                changed.push(contest);
            }
        }
        let (low_v, low_s) = self.low();
        let top_v = self.versions.last().copied().unwrap_or(low_v).max(low_v);
        let top_s = self.seqs.last().copied().unwrap_or(low_s).max(low_s);
        let now = Instant::now();
        self.marks.push_back((now, top_v, top_s));
        while self.marks.len() > 1 && now.duration_since(self.marks[1].0) >= WINDOW {
            self.marks.pop_front();
        }
        let (low_v, low_s) = self.low();
        self.versions = self.versions.split_off(&(low_v + 1));
        self.seqs = self.seqs.split_off(&(low_s + 1));
        let mut events: Vec<Event> = changed
            .into_iter()
            .map(|contest| Event::Changed { contest })
            .collect();
        events.extend(
            ballots
                .into_iter()
                .map(|(contest, version)| Event::Ballots { contest, version }),
        );
        events
    }
}

/// The feed thread: connect, look, sleep; reconnect after an error.
fn run(feed: Weak<Feed>, url: &str, poll: Duration) {
    let mut conn: Option<Conn> = None;
    let mut cursor: Option<Cursor> = None;
    let mut pruned = Instant::now();
    loop {
        std::thread::sleep(poll);
        let Some(feed) = feed.upgrade() else { return };
        if conn.is_none() {
            conn = db::connect(url)
                .map_err(|e| tracing::warn!(error = %e, "change feed: cannot connect"))
                .ok();
        }
        let Some(c) = conn.as_mut() else { continue };
        let looked = look(c, &mut cursor, &mut pruned);
        feed.looks.fetch_add(1, Ordering::Relaxed);
        match looked {
            Ok((events, lsn)) => events
                .into_iter()
                .for_each(|e| feed.note(e, lsn.as_deref())),
            Err(e) => {
                tracing::warn!(error = %e, "change feed: cannot look; reconnecting");
                conn = None;
            }
        }
    }
}

fn look(
    conn: &mut Conn,
    cursor: &mut Option<Cursor>,
    pruned: &mut Instant,
) -> AppResult<(Vec<Event>, Option<String>)> {
    let Some(cur) = cursor.as_mut() else {
        *cursor = Some(Cursor::new(db::feed::position(conn)?));
        return Ok((Vec::new(), None));
    };
    if pruned.elapsed() >= Duration::from_secs(60) {
        *pruned = Instant::now();
        db::feed::prune(conn, KEEP_SECS)?;
    }
    let (v, s) = cur.low();
    let rows = db::feed::since(conn, v, s, LIMIT)?;
    let lsn = rows.first().map(|r| r.lsn.clone());
    Ok((cur.take(&rows), lsn))
}

/// Values computed once per key and shared until the feed says their key
/// changed (its stamp moved) or they are [`MAX_AGE`] old — unless they last
/// (a final result). Concurrent readers of a missing value share one
/// computation; one that fails is not kept.
pub struct Memo<K, V> {
    slots: Mutex<HashMap<K, Slot<V>>>,
}

struct Slot<V> {
    cell: Arc<OnceCell<V>>,
    stamp: u64,
    made: Instant,
}

impl<K, V> Default for Memo<K, V> {
    fn default() -> Self {
        Memo {
            slots: Mutex::default(),
        }
    }
}

impl<K: Eq + Hash + Copy, V: Clone> Memo<K, V> {
    /// The value of `key`: the cached one if still good at `stamp`, else
    /// `fill`'s (shared with every concurrent reader).
    pub async fn get<L, F, Fut>(&self, key: K, stamp: u64, lasting: L, fill: F) -> AppResult<V>
    where
        L: Fn(&V) -> bool,
        F: FnOnce() -> Fut,
        Fut: std::future::Future<Output = AppResult<V>>,
    {
        let cell = {
            let mut slots = lock(&self.slots);
            let good = slots.get(&key).is_some_and(|s| {
                s.cell.get().is_some_and(&lasting)
                    || (s.stamp == stamp && s.made.elapsed() < MAX_AGE)
            });
            if !good {
                if slots.len() >= MAX_SLOTS {
                    // Lasting values too: they are read again when asked for.
                    slots.retain(|_, s| s.made.elapsed() < MAX_AGE);
                }
                let slot = Slot {
                    cell: Arc::default(),
                    stamp,
                    made: Instant::now(),
                };
                slots.insert(key, slot);
            }
            slots[&key].cell.clone()
        };
        cell.get_or_try_init(fill).await.cloned()
    }
}

/// The contest as stored, from this instance's cache (read from the primary
/// on a miss; `None`: it does not exist).
pub async fn contest(app: &App, id: ContestId) -> AppResult<Option<Contest>> {
    let stamp = app.feed.stamp(id);
    app.feed
        .contests
        .get(
            id,
            stamp,
            |_| false,
            || app.db(move |conn| Ok(db::contests::find(conn, id)?)),
        )
        .await
}

/// Whether the contest's results may be read on the read pool now: there is
/// no replica, or it has replayed the contest's last change the feed saw and
/// no write through this instance changed it within [`MAX_AGE`]. Otherwise
/// they are read on the primary, so no one is served a state older than one
/// this instance already announced.
pub async fn replica_has(app: &App, id: ContestId) -> AppResult<bool> {
    if !app.feed.has_replica() {
        return Ok(true);
    }
    let lsn = {
        let seen = lock(&app.feed.seen);
        match seen.get(&id) {
            Some(s) if s.touched.is_some_and(|t| t.elapsed() < MAX_AGE) => return Ok(false),
            Some(s) => s.lsn.clone(),
            None => None,
        }
    };
    let Some(lsn) = lsn else { return Ok(true) };
    app.db_read(move |conn| Ok(db::feed::replayed(conn, &lsn)?))
        .await
}

/// Waits until the read replica (if any) has replayed everything the primary
/// had written when this was called, so what is read next on the read pool is
/// at least as new as any change committed before; a 503 if it stays behind
/// for [`REPLICA_WAIT`].
pub async fn settle_replica(app: &App) -> AppResult<()> {
    if !app.feed.has_replica() {
        return Ok(());
    }
    let lsn = app.db(|conn| Ok(db::feed::current_lsn(conn)?)).await?;
    let deadline = Instant::now() + REPLICA_WAIT;
    loop {
        let at = lsn.clone();
        if app
            .db_read(move |conn| Ok(db::feed::replayed(conn, &at)?))
            .await?
        {
            return Ok(());
        }
        if Instant::now() >= deadline {
            return Err(AppError::Unavailable(
                "the read replica is too far behind the primary; retry in a moment".into(),
            ));
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use uuid::Uuid;

    fn row(c: u128, version: i64, seq: i64) -> db::feed::Change {
        db::feed::Change {
            contest_id: Uuid::from_u128(c),
            version,
            seq,
            lsn: "0/0".into(),
        }
    }

    #[test]
    fn each_write_is_reported_once_even_when_it_commits_late() {
        let mut cur = Cursor::new((10, 0));
        let a = ContestId(Uuid::from_u128(1));
        let b = ContestId(Uuid::from_u128(2));
        let events = cur.take(&[row(1, 12, 0), row(1, 13, 0)]);
        assert_eq!(
            events,
            [Event::Ballots {
                contest: a,
                version: 13
            }]
        );
        // Within the window the same rows come again, with 11 committed late.
        let events = cur.take(&[row(2, 11, 0), row(1, 12, 0), row(1, 13, 0), row(2, 0, 1)]);
        assert_eq!(
            events,
            [
                Event::Changed { contest: b },
                Event::Ballots {
                    contest: b,
                    version: 11
                }
            ]
        );
        assert!(cur.take(&[row(2, 11, 0), row(2, 0, 1)]).is_empty());
        assert_eq!(cur.low(), (10, 0), "the window still starts where it did");
    }

    #[tokio::test]
    async fn a_memo_shares_one_fill_and_refills_when_the_stamp_moves() {
        let memo: Memo<u8, u32> = Memo::default();
        let fills = AtomicU64::new(0);
        let fill = || async {
            fills.fetch_add(1, Ordering::SeqCst);
            Ok(7)
        };
        assert_eq!(memo.get(1, 0, |_| false, fill).await.unwrap(), 7);
        assert_eq!(memo.get(1, 0, |_| false, fill).await.unwrap(), 7);
        assert_eq!(fills.load(Ordering::SeqCst), 1);
        memo.get(1, 1, |_| false, fill).await.unwrap();
        assert_eq!(fills.load(Ordering::SeqCst), 2);
        // A lasting value survives a moved stamp.
        memo.get(1, 2, |v| *v == 7, fill).await.unwrap();
        assert_eq!(fills.load(Ordering::SeqCst), 2);
    }
}
