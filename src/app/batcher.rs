//! Group commit for ballot writes: concurrent casts, replacements and
//! withdrawals of this instance are gathered into batches, each written in one
//! transaction with one multi-row statement (`db::ballots::write_batch`), so a
//! burst of voters pays one commit per batch instead of one per ballot.
//!
//! - **Adaptive window, no timer.** A writer thread (one by default, see
//!   [`BatchOptions`]) holds a pooled connection while busy and loops: take
//!   everything queued (up to [`BatchOptions::max_size`]), write it, answer,
//!   repeat. An idle writer takes a lone request at once (no added latency);
//!   while every writer has a batch in flight, requests queue and the next
//!   free writer takes them together. No hop to tokio's blocking pool per
//!   request (nor an async database client): the request's task queues its
//!   write and waits on a one-shot channel; only the writer blocks on the
//!   database, once per batch.
//! - **Answered after the commit.** Each request gets its own outcome only once
//!   its batch committed, so nothing acknowledged is lost if the process is
//!   killed; a batch that fails answers each of its requests with a 503 and
//!   nothing of it is written (one transaction); other batches are untouched.
//! - **Sequential semantics per voter.** A voter's writes are applied in
//!   arrival order. Casts by one voter in one batch are collapsed (the last one
//!   is written; the first is answered 201 or 200 by what was stored before, the
//!   later ones 200, each with its own receipt), because one statement cannot
//!   touch a row twice. A withdrawal is never batched with other writes of the
//!   same voter, and a voter is in at most one batch in flight: such writes wait
//!   for the next batch.
//! - **Same guarantees as one write.** Each statement checks the phase by the
//!   database clock and holds `FOR KEY SHARE` on the contest rows until the
//!   commit, so a close waits for every batch in flight (see `db::ballots`).
//! - **Drain.** [`Batcher::drain`] (graceful shutdown) stops new requests,
//!   writes and answers everything queued, and waits for the writers.

use std::collections::{HashMap, HashSet, VecDeque};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use tokio::sync::oneshot;

use crate::db::{self, PgConn, PgPool};
use crate::domain::{ContestId, Ranking};
use crate::error::{AppError, AppResult};

/// One ballot write.
#[derive(Debug)]
pub enum Write {
    /// Cast or replace the voter's ballot, with this new receipt.
    Cast { ranking: Ranking, receipt: String },
    /// Withdraw the voter's ballot.
    Withdraw,
}

/// What became of one write, once its batch committed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Stored: `created` when the voter had no counted ballot before.
    Cast {
        created: bool,
        receipt: String,
        updated_at: DateTime<Utc>,
    },
    /// The ballot is withdrawn.
    Withdrawn,
    /// A withdrawal found no counted ballot; nothing changed.
    NoBallot,
    /// The contest is not (or no longer) voting by the database clock; nothing
    /// changed.
    NotVoting,
}

/// Someone who watches the batches (the `/metrics` histograms).
pub trait BatchObserver: Send + Sync {
    /// A batch of `size` writes was taken from the queue.
    fn batch(&self, size: usize);
    /// A write waited `wait` in the queue before its batch was taken.
    fn queued(&self, wait: Duration);
}

/// No one watches.
impl BatchObserver for () {
    fn batch(&self, _: usize) {}
    fn queued(&self, _: Duration) {}
}

/// How many writers and how large a batch.
#[derive(Debug, Clone, Copy)]
pub struct BatchOptions {
    /// Writer threads, each with one connection of the pool while it works.
    pub writers: usize,
    /// Most writes in one batch.
    pub max_size: usize,
}

impl Default for BatchOptions {
    /// One writer and batches of up to 256 writes. Measured with
    /// `benches/load.sh` (five alternating runs each, 30,000 ballots): one
    /// writer gave 8,300/s at 32 voters and 12,200/s at 256 (p99 42 ms), two
    /// gave 8,000/s and 11,600/s (p99 47 ms), three no better: bigger
    /// batches cost the database less per ballot than overlapping them saves.
    fn default() -> Self {
        BatchOptions {
            writers: 1,
            max_size: 256,
        }
    }
}

type Key = (ContestId, [u8; 32]);

/// A queued write and where its answer goes.
struct Pending {
    contest: ContestId,
    voter: [u8; 32],
    write: Write,
    queued: Instant,
    reply: oneshot::Sender<AppResult<Outcome>>,
}

impl Pending {
    fn key(&self) -> Key {
        (self.contest, self.voter)
    }
}

#[derive(Default)]
struct Queue {
    pending: VecDeque<Pending>,
    /// Voters with a write in a batch being written now.
    in_flight: HashSet<Key>,
    closed: bool,
}

struct Shared {
    queue: Mutex<Queue>,
    /// Signalled when writes are queued, when a batch finishes (its voters'
    /// later writes may go now) and on close.
    wake: Condvar,
    pool: PgPool,
    options: BatchOptions,
    observer: Arc<dyn BatchObserver>,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, Queue> {
        // A writer that panicked holds no lock (it panics outside it), but be
        // safe: the queue stays consistent under every step that can unwind.
        self.queue.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// The instance's ballot writer (shared by every request of the instance).
pub struct Batcher {
    shared: Arc<Shared>,
    writers: Mutex<Vec<JoinHandle<()>>>,
}

impl std::fmt::Debug for Batcher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Batcher")
            .field("options", &self.shared.options)
            .finish()
    }
}

impl Batcher {
    /// Starts the writer threads on `pool`.
    pub fn start(
        pool: PgPool,
        options: BatchOptions,
        observer: Arc<dyn BatchObserver>,
    ) -> Arc<Batcher> {
        let options = BatchOptions {
            writers: options.writers.max(1),
            max_size: options.max_size.max(1),
        };
        let shared = Arc::new(Shared {
            queue: Mutex::new(Queue::default()),
            wake: Condvar::new(),
            pool,
            options,
            observer,
        });
        let writers = (0..options.writers)
            .map(|n| {
                let shared = shared.clone();
                std::thread::Builder::new()
                    .name(format!("ballot-writer-{n}"))
                    .spawn(move || writer_loop(&shared))
                    .expect("starting a ballot writer thread")
            })
            .collect();
        Arc::new(Batcher {
            shared,
            writers: Mutex::new(writers),
        })
    }

    /// Queues one write and waits until its batch committed (or failed).
    pub async fn submit(
        &self,
        contest: ContestId,
        voter: [u8; 32],
        write: Write,
    ) -> AppResult<Outcome> {
        let (reply, answer) = oneshot::channel();
        {
            let mut queue = self.shared.lock();
            if queue.closed {
                return Err(AppError::Unavailable(
                    "the service is shutting down; retry shortly".into(),
                ));
            }
            queue.pending.push_back(Pending {
                contest,
                voter,
                write,
                queued: Instant::now(),
                reply,
            });
        }
        self.shared.wake.notify_one();
        answer.await.unwrap_or_else(|_| {
            Err(AppError::Unavailable(
                "the ballot could not be stored; retry it".into(),
            ))
        })
    }

    /// Stops taking writes, writes and answers every queued one, and waits for
    /// the writer threads to finish (graceful shutdown). Blocks.
    pub fn drain(&self) {
        self.close();
        let writers = std::mem::take(&mut *self.writers.lock().unwrap_or_else(|e| e.into_inner()));
        for writer in writers {
            let _ = writer.join();
        }
    }

    fn close(&self) {
        self.shared.lock().closed = true;
        self.shared.wake.notify_all();
    }
}

impl Drop for Batcher {
    /// The writers finish what is queued and stop.
    fn drop(&mut self) {
        self.close();
    }
}

/// A writer: takes a batch, writes it, answers; until closed and empty.
fn writer_loop(shared: &Shared) {
    let mut conn: Option<PgConn> = None;
    loop {
        let batch = loop {
            let mut queue = shared.lock();
            let batch = take(&mut queue, shared.options.max_size);
            if !batch.is_empty() {
                break batch;
            }
            if queue.closed && queue.pending.is_empty() {
                return;
            }
            if conn.is_some() {
                // Idle: the connection goes back to the pool (which tests it
                // when it is taken again), so a connection that breaks while
                // idle never fails a batch.
                drop(queue);
                conn = None;
                continue;
            }
            drop(shared.wake.wait(queue).unwrap_or_else(|e| e.into_inner()));
        };
        let taken = Instant::now();
        shared.observer.batch(batch.len());
        for p in &batch {
            shared
                .observer
                .queued(taken.saturating_duration_since(p.queued));
        }
        let keys: Vec<Key> = batch.iter().map(Pending::key).collect();
        // A panic answers the batch's requests (their senders are dropped:
        // a 503) and leaves the writer running.
        if catch_unwind(AssertUnwindSafe(|| write(shared, &mut conn, batch))).is_err() {
            tracing::error!("a ballot batch panicked; its requests were answered 503");
            conn = None;
        }
        {
            let mut queue = shared.lock();
            for key in &keys {
                queue.in_flight.remove(key);
            }
        }
        shared.wake.notify_all();
    }
}

/// What a voter already has in the batch being taken.
#[derive(Clone, Copy, PartialEq, Eq)]
enum InBatch {
    Casts,
    Withdrawal,
    /// A write of this voter waits for a later batch; so do the ones after it.
    Held,
}

/// Takes the next batch from the queue, in arrival order: up to `max` writes,
/// skipping (and keeping in order for later) the writes of voters who are in a
/// batch in flight, a voter's writes after their withdrawal, and a withdrawal
/// after their casts.
fn take(queue: &mut Queue, max: usize) -> Vec<Pending> {
    let mut batch = Vec::new();
    let mut voters: HashMap<Key, InBatch> = HashMap::new();
    let mut held = Vec::new();
    while batch.len() < max {
        let Some(p) = queue.pending.pop_front() else {
            break;
        };
        let key = p.key();
        let wanted = match p.write {
            Write::Cast { .. } => InBatch::Casts,
            Write::Withdraw => InBatch::Withdrawal,
        };
        let fits = match voters.get(&key) {
            None => !queue.in_flight.contains(&key),
            Some(&had) => had == InBatch::Casts && wanted == InBatch::Casts,
        };
        if fits {
            voters.insert(key, wanted);
            batch.push(p);
        } else {
            voters.insert(key, InBatch::Held);
            held.push(p);
        }
    }
    for p in held.into_iter().rev() {
        queue.pending.push_front(p);
    }
    queue.in_flight.extend(batch.iter().map(Pending::key));
    batch
}

/// One voter's casts in a batch: indexes into the batch, in arrival order.
struct Group {
    key: Key,
    members: Vec<usize>,
}

/// Writes one batch and answers each of its requests.
fn write(shared: &Shared, conn: &mut Option<PgConn>, batch: Vec<Pending>) {
    let mut groups: Vec<Group> = Vec::new();
    let mut group_of: HashMap<Key, usize> = HashMap::new();
    let mut withdrawals: Vec<usize> = Vec::new();
    for (i, p) in batch.iter().enumerate() {
        match p.write {
            Write::Cast { .. } => {
                let g = *group_of.entry(p.key()).or_insert_with(|| {
                    groups.push(Group {
                        key: p.key(),
                        members: Vec::new(),
                    });
                    groups.len() - 1
                });
                groups[g].members.push(i);
            }
            Write::Withdraw => withdrawals.push(i),
        }
    }
    // A batch's casts and its withdrawals each lock rows in key order, but not
    // in one order together, so two instances writing the same voters at the
    // same instant can deadlock; PostgreSQL then rolls one transaction back,
    // and writing it again is all it takes.
    let mut result = run(shared, conn, &batch, &groups, &withdrawals);
    for _ in 0..2 {
        match &result {
            Err(e) if e.contains("deadlock detected") => {
                tracing::info!(
                    writes = batch.len(),
                    "a ballot batch met a deadlock; writing it again"
                );
                result = run(shared, conn, &batch, &groups, &withdrawals);
            }
            _ => break,
        }
    }
    let mut answers: Vec<Option<AppResult<Outcome>>> = (0..batch.len()).map(|_| None).collect();
    match result {
        Ok((cast, withdrawn)) => {
            for (group, written) in groups.iter().zip(cast) {
                for (n, &i) in group.members.iter().enumerate() {
                    let Write::Cast { receipt, .. } = &batch[i].write else {
                        continue;
                    };
                    answers[i] = Some(Ok(match written {
                        // As sequential writes: the first is new unless a
                        // ballot was stored before; the later ones replace it.
                        Some(w) => Outcome::Cast {
                            created: n == 0 && !w.replaced,
                            receipt: receipt.clone(),
                            updated_at: w.updated_at,
                        },
                        None => Outcome::NotVoting,
                    }));
                }
            }
            for (&i, w) in withdrawals.iter().zip(withdrawn) {
                answers[i] = Some(Ok(match w {
                    db::ballots::Withdrawn::Done => Outcome::Withdrawn,
                    db::ballots::Withdrawn::NoBallot => Outcome::NoBallot,
                    db::ballots::Withdrawn::NotVoting => Outcome::NotVoting,
                }));
            }
        }
        Err(e) => {
            tracing::warn!(error = %e, writes = batch.len(), "a ballot batch failed; answering 503");
            *conn = None;
        }
    }
    for (p, answer) in batch.into_iter().zip(answers) {
        let answer = answer.unwrap_or_else(|| {
            Err(AppError::Unavailable(
                "the ballot could not be stored; retry it".into(),
            ))
        });
        // The requester may have gone (client disconnected): nothing to do.
        let _ = p.reply.send(answer);
    }
}

type Written = (
    Vec<Option<db::ballots::CastWritten>>,
    Vec<db::ballots::Withdrawn>,
);

/// The batch's transaction on the writer's connection (taken from the pool
/// when it has none, dropped after an error so a broken one is replaced).
fn run(
    shared: &Shared,
    conn: &mut Option<PgConn>,
    batch: &[Pending],
    groups: &[Group],
    withdrawals: &[usize],
) -> Result<Written, String> {
    // One entry per group, in group order (the answers are matched by it).
    let mut casts: Vec<db::ballots::BatchCast<'_>> = Vec::with_capacity(groups.len());
    for g in groups {
        let last = &batch[*g.members.last().expect("a group has a member")];
        let Write::Cast { ranking, receipt } = &last.write else {
            return Err("a cast group holds a withdrawal".into());
        };
        casts.push(db::ballots::BatchCast {
            contest_id: g.key.0,
            voter_hash: &last.voter,
            ranking,
            receipt,
            casts: i32::try_from(g.members.len()).unwrap_or(i32::MAX),
        });
    }
    let withdrawals: Vec<db::ballots::BatchWithdrawal<'_>> = withdrawals
        .iter()
        .map(|&i| db::ballots::BatchWithdrawal {
            contest_id: batch[i].contest,
            voter_hash: &batch[i].voter,
        })
        .collect();
    if conn.is_none() {
        *conn = Some(shared.pool.get().map_err(|e| e.to_string())?);
    }
    let c = conn.as_mut().expect("a connection was just taken");
    db::ballots::write_batch(c, &casts, &withdrawals).map_err(|e| e.to_string())
}
