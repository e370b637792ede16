//! The use cases: what Christen does, whoever asks. The JSON API, the
//! participation pages, the CLI and background workers call these functions;
//! each takes typed inputs (domain values, an [`Admin`] or a voter) and returns
//! domain values or an [`AppError`]. Nothing here knows HTTP; nothing here writes
//! SQL (that is `db`). See docs/ARCHITECTURE.md.
//!
//! Database work is synchronous diesel, so [`App::db`] runs it on tokio's
//! blocking pool, never on an async worker; waiting for a pooled connection
//! happens there too. Ballot writes go to [`batcher::Batcher`]'s own writer
//! threads instead.

pub mod api_keys;
pub mod audit;
pub mod ballot_set;
pub mod ballots;
pub mod batcher;
pub mod contests;
pub mod delivery;
pub mod embed;
pub mod feed;
pub mod orgs;
pub mod origins;
pub mod results;
pub mod streams;
pub mod suggestions;
pub mod visibility;
pub mod voter;
pub mod voters;
pub mod webhooks;

use std::sync::Arc;

use uuid::Uuid;

use crate::config::Secret;
use crate::db::{self, Conn, PgPool};

/// What the pool holds now (see [`App::pool_stats`]).
pub use crate::db::PoolStats;
use crate::domain::{ApiKeyId, OrgId};
use crate::error::{AppError, AppResult};

/// What the use cases share: the pools, the server secret and this instance's
/// short-lived voter snapshots. Holds no per-contest state that must agree
/// across instances, so any number of instances can serve one database.
#[derive(Clone)]
pub struct App {
    pub pool: PgPool,
    /// A read replica for result reads, when configured; else the primary.
    pub read_pool: PgPool,
    pub secret: Secret,
    /// The open electorate's token rate limit (`POST …/voters`).
    pub open_voter_limit: voters::OpenVoterLimit,
    /// Recent contest snapshots for voter requests (see
    /// [`voter::CONTEXT_MAX_AGE`]): a cache, never a source of truth.
    pub voter_contexts: Arc<voter::ContextCache>,
    /// Result counts in flight on this instance, shared by concurrent
    /// requests (docs/SECURITY.md S13), and how many ran.
    pub recounts: Arc<results::Recounts>,
    /// Ballot writes of this instance, gathered into batches (group commit).
    pub ballot_writer: Arc<batcher::Batcher>,
    /// What changed in the database, learnt once per instance; invalidates
    /// the in-memory caches and wakes the results streams.
    pub feed: Arc<feed::Feed>,
    /// Results computed on this instance, per contest, method and phase.
    pub results: Arc<results::ResultMemo>,
}

impl App {
    /// Runs `f` with a pooled connection of the primary on the blocking pool.
    pub async fn db<T, F>(&self, f: F) -> AppResult<T>
    where
        F: FnOnce(&mut Conn) -> AppResult<T> + Send + 'static,
        T: Send + 'static,
    {
        run_blocking(self.pool.clone(), f).await
    }

    /// As [`App::db`], on the read pool.
    pub async fn db_read<T, F>(&self, f: F) -> AppResult<T>
    where
        F: FnOnce(&mut Conn) -> AppResult<T> + Send + 'static,
        T: Send + 'static,
    {
        run_blocking(self.read_pool.clone(), f).await
    }

    /// Whether the database answers a query; a 503 when it does not.
    pub async fn ready(&self) -> AppResult<()> {
        self.db(|conn| {
            db::ping(conn).map_err(|e| {
                tracing::warn!(error = %e, "readiness query failed");
                AppError::Unavailable("the database does not answer".into())
            })
        })
        .await
    }

    /// Ballot counts this instance ran for results, for metrics.
    pub fn result_counts(&self) -> u64 {
        self.recounts.counted()
    }

    /// The primary pool's connections now, for metrics.
    pub fn pool_stats(&self) -> PoolStats {
        db::pool_stats(&self.pool)
    }
}

async fn run_blocking<T, F>(pool: PgPool, f: F) -> AppResult<T>
where
    F: FnOnce(&mut Conn) -> AppResult<T> + Send + 'static,
    T: Send + 'static,
{
    tokio::task::spawn_blocking(move || {
        let mut conn = pool.get()?;
        f(&mut conn)
    })
    .await
    .map_err(|e| AppError::Unexpected(anyhow::anyhow!("blocking task failed: {e}")))?
}

/// An organisation's admin, authenticated by one of its API keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Admin {
    pub org_id: OrgId,
    pub key_id: ApiKeyId,
}

impl Admin {
    /// How the audit log names this admin.
    pub fn actor(&self) -> String {
        crate::db::audit::actor_for_key(self.key_id.0)
    }

    /// The organisation's id as stored.
    pub fn org(&self) -> Uuid {
        self.org_id.0
    }
}
