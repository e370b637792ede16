//! Settings: from the environment, overridable by command-line flags (clap reads
//! both). Secrets are wrapped so they never print.

use std::path::PathBuf;

/// A secret string: `Debug` and `Display` never show it.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }

    /// The secret itself; call only where it is used, never to log it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(***)")
    }
}

impl std::str::FromStr for Secret {
    type Err = std::convert::Infallible;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(Secret(s.to_owned()))
    }
}

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line, for log collectors.
    Json,
}

/// Where the database is and how to reach it; shared by every command that
/// touches the database.
#[derive(Debug, Clone, clap::Args)]
pub struct DatabaseSettings {
    /// PostgreSQL URL. Unset: start a private cluster under `<data dir>/postgres`.
    #[arg(long, env = "DATABASE_URL", hide_env_values = true, global = true)]
    pub database_url: Option<Secret>,

    /// Optional read replica for result reads.
    #[arg(long, env = "DATABASE_READ_URL", hide_env_values = true, global = true)]
    pub database_read_url: Option<Secret>,

    /// Data directory of the embedded mode (cluster and generated secret).
    #[arg(
        long,
        env = "CHRISTEN_DATA_DIR",
        default_value = "./data",
        global = true
    )]
    pub data_dir: PathBuf,

    /// Maximum connections in the pool.
    #[arg(
        long,
        env = "CHRISTEN_DB_POOL_SIZE",
        default_value_t = 16,
        global = true
    )]
    pub db_pool_size: u32,

    /// How long a request waits for a database connection before a 503, in ms.
    #[arg(
        long,
        env = "CHRISTEN_DB_TIMEOUT_MS",
        default_value_t = 5000,
        global = true
    )]
    pub db_timeout_ms: u64,
}

/// Settings of `christen serve`.
#[derive(Debug, Clone, clap::Args)]
pub struct ServeSettings {
    /// Address and port to listen on.
    #[arg(
        long,
        env = "CHRISTEN_BIND",
        default_value = "127.0.0.1:8080",
        global = true
    )]
    pub bind: String,

    /// Server secret for voter-identity HMACs and voter tokens (at least 32
    /// characters). Required with DATABASE_URL, so every instance shares it;
    /// generated once and kept in the data directory in the embedded mode.
    #[arg(long, env = "CHRISTEN_SECRET", hide_env_values = true, global = true)]
    pub secret: Option<Secret>,

    /// Largest accepted request body, in bytes.
    #[arg(long, env = "CHRISTEN_MAX_BODY_BYTES", default_value_t = 64 * 1024, global = true)]
    pub max_body_bytes: usize,

    /// Live result streams (`…/results/stream`) one instance serves at once;
    /// beyond it, 503 with `Retry-After`.
    #[arg(long, env = "CHRISTEN_MAX_STREAMS", default_value_t = crate::app::streams::DEFAULT_MAX_STREAMS, global = true)]
    pub max_streams: usize,

    /// Live result streams one client address may hold open at once on one
    /// instance; beyond it, 429 with `Retry-After` (docs/SECURITY.md S8).
    #[arg(long, env = "CHRISTEN_MAX_STREAMS_PER_ADDRESS", default_value_t = crate::app::streams::DEFAULT_MAX_STREAMS_PER_ADDRESS, global = true)]
    pub max_streams_per_address: usize,

    /// How long a request body may take to arrive, in seconds; slower bodies
    /// are answered 408 (docs/SECURITY.md S12).
    #[arg(
        long,
        env = "CHRISTEN_BODY_TIMEOUT_SECS",
        default_value_t = 10,
        global = true
    )]
    pub body_timeout_secs: u64,

    /// How often the change feed looks for changes in the database, in
    /// milliseconds (one statement per look, however many viewers).
    #[arg(
        long,
        env = "CHRISTEN_FEED_POLL_MS",
        default_value_t = 250,
        global = true
    )]
    pub feed_poll_ms: u64,

    /// This service's public base URL, `http(s)://host[:port][/prefix]`, from
    /// which every absolute URL (embed page, oEmbed) is built. Unset: `http://`
    /// and the bound address (`localhost` for 0.0.0.0). Request headers never
    /// change it unless CHRISTEN_TRUST_X_FORWARDED_FOR is set
    /// (docs/SECURITY.md S6).
    #[arg(long, env = "CHRISTEN_PUBLIC_URL", global = true)]
    pub public_url: Option<String>,

    /// Bearer token that `GET /metrics` requires. Unset (or empty): the
    /// metrics answer only loopback clients (docs/SECURITY.md S7).
    #[arg(
        long,
        env = "CHRISTEN_METRICS_TOKEN",
        hide_env_values = true,
        global = true
    )]
    pub metrics_token: Option<Secret>,

    /// Open electorate: voter tokens per contest and client address per window
    /// (0 turns the limit off).
    #[arg(
        long,
        env = "CHRISTEN_OPEN_VOTER_LIMIT",
        default_value_t = 100,
        global = true
    )]
    pub open_voter_limit: u32,

    /// Open electorate: the rate limit's window, in seconds.
    #[arg(
        long,
        env = "CHRISTEN_OPEN_VOTER_WINDOW_SECS",
        default_value_t = 600,
        global = true
    )]
    pub open_voter_window_secs: u64,

    /// Count the client address of the rate limit and of the per-address
    /// stream cap from the last `X-Forwarded-For` entry instead of the peer
    /// address, and build absolute URLs from a valid `X-Forwarded-Proto`
    /// (`http`/`https`) and `X-Forwarded-Host` (`host[:port]`). Set only
    /// behind a proxy (load balancer) that appends the client's address to
    /// `X-Forwarded-For` and sets those headers itself.
    #[arg(
        long,
        env = "CHRISTEN_TRUST_X_FORWARDED_FOR",
        default_value_t = false,
        global = true
    )]
    pub trust_x_forwarded_for: bool,

    /// Webhooks: allow plain `http` targets and private, loopback and
    /// link-local addresses (tests, private networks). Off: `https` to public
    /// addresses only, checked at registration and after DNS resolution.
    #[arg(
        long,
        env = "CHRISTEN_WEBHOOK_ALLOW_PRIVATE",
        default_value_t = false,
        global = true
    )]
    pub webhook_allow_private: bool,

    /// Webhooks: the delay before the first retry of a failed delivery, in
    /// milliseconds; each next retry waits twice as long (at most an hour).
    #[arg(
        long,
        env = "CHRISTEN_WEBHOOK_RETRY_BASE_MS",
        default_value_t = 5000,
        global = true
    )]
    pub webhook_retry_base_ms: u64,

    /// Webhooks: how long a delivery is retried after its event, in seconds;
    /// an endpoint that fails for this long is disabled.
    #[arg(
        long,
        env = "CHRISTEN_WEBHOOK_RETRY_FOR_SECS",
        default_value_t = 86400,
        global = true
    )]
    pub webhook_retry_for_secs: u64,
}

/// Settings of logging, for every command.
#[derive(Debug, Clone, clap::Args)]
pub struct LogSettings {
    /// Log line format.
    #[arg(
        long,
        env = "CHRISTEN_LOG_FORMAT",
        value_enum,
        default_value = "text",
        global = true
    )]
    pub log_format: LogFormat,
}

/// The shortest secret accepted.
pub const MIN_SECRET_LEN: usize = 32;
