//! A private PostgreSQL cluster started from the installed server binaries.
//!
//! This is the embedded default of docs/ARCHITECTURE.md ("Running it"): with no `DATABASE_URL`,
//! Christen finds the server binaries ([`PgBinaries::locate`]), creates a cluster in its
//! data directory on the first run and reuses it afterwards ([`Cluster::start`]), and
//! stops it on shutdown ([`Cluster::stop`], or `Drop`).
//!
//! ```no_run
//! use christen::pgcluster::{Cluster, PgBinaries};
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let bins = PgBinaries::locate()?; // Display of the error names the three ways out
//! let mut cluster = Cluster::start(&bins, std::path::Path::new("data/postgres"))?;
//! let url = cluster.url("postgres"); // postgres://postgres@127.0.0.1:PORT/postgres
//! # let _ = url;
//! cluster.stop()?;
//! # Ok(()) }
//! ```
//!
//! How it runs:
//! - `initdb` with superuser `postgres`, encoding UTF8 (locale `C.UTF-8` where the
//!   system has it, else `C`), and `trust` authentication for local connections only:
//!   the server listens on 127.0.0.1 alone and has no Unix socket.
//! - Every start picks a free loopback port (or [`ClusterOptions::port`]) and writes
//!   it, with the other per-start settings, to `christen.conf` in the data directory,
//!   which `postgresql.conf` includes. The server log is `server.log` there too.
//! - A `postmaster.pid` left by a crash is removed when its process is gone (or is no
//!   longer a postgres of this directory); a server still running on the directory is
//!   reported as [`ClusterError::AlreadyRunning`].
//! - As root (PostgreSQL refuses to run as root), the server programs run as the
//!   `postgres` system user, or `nobody` where there is none, through `runuser` (or
//!   `setpriv`); the data directory is given to that user and any parent directory
//!   it could not traverse gets the `o+x` (search, not read) bit.

mod binaries;
mod cluster;
mod runas;

pub use binaries::{NotFound, PgBinaries};
pub use cluster::{running_server, Cluster, ClusterOptions, RunningServer};

use std::path::PathBuf;
use std::time::Duration;

/// Why a cluster could not be created, started or stopped. Each message says what to do.
#[derive(Debug, thiserror::Error)]
pub enum ClusterError {
    /// A file-system operation failed.
    #[error("could not {action} {}: {source}", path.display())]
    Io {
        action: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// A program could not be started at all.
    #[error("could not run {}: {source}", program.display())]
    Spawn {
        program: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// Our own uid could not be read.
    #[error("could not tell which user this process runs as (neither /proc/self/status nor `id -u` answered)")]
    UnknownUid,
    /// Running as root, and there is no user to run PostgreSQL as.
    #[error(
        "PostgreSQL refuses to run as root, and this machine has neither a `postgres` nor a \
         `nobody` user to run it as; create one (for example `useradd --system postgres`), run \
         Christen as a normal user, or set DATABASE_URL"
    )]
    NoUnprivilegedUser,
    /// Running as root without `runuser` or `setpriv`.
    #[error(
        "PostgreSQL refuses to run as root, and neither `runuser` nor `setpriv` (util-linux) is \
         installed to run it as `{user}`; install util-linux, run Christen as a normal user, or \
         set DATABASE_URL"
    )]
    NoUserSwitcher { user: String },
    /// The data directory holds files but no cluster.
    #[error(
        "{} is not empty and is not a PostgreSQL data directory (it has no PG_VERSION); \
         empty it, or point the data directory elsewhere",
        path.display()
    )]
    NotADataDirectory { path: PathBuf },
    /// The data directory was made by another major version.
    #[error(
        "the cluster in {} was created by PostgreSQL {data_version}, but the binaries in {} are \
         PostgreSQL {binaries_version}; install PostgreSQL {data_version} (or put its bin \
         directory first on PATH), upgrade the cluster with pg_upgrade, or move the directory \
         away to start afresh",
        data_dir.display(),
        bindir.display()
    )]
    VersionMismatch {
        data_dir: PathBuf,
        data_version: String,
        binaries_version: String,
        bindir: PathBuf,
    },
    /// `initdb` failed.
    #[error("initdb could not create a cluster in {} (running as {user}):\n{output}", data_dir.display())]
    InitdbFailed {
        data_dir: PathBuf,
        user: String,
        output: String,
    },
    /// A server is already running on this data directory.
    #[error(
        "a PostgreSQL server (pid {pid}) is already running on {} — probably left over from an \
         earlier run that was killed; stop it with `pg_ctl stop -D {} -m fast` (as the user that \
         owns the directory), or wait for it to exit, and start again",
        data_dir.display(),
        data_dir.display()
    )]
    AlreadyRunning { pid: u32, data_dir: PathBuf },
    /// `pg_ctl start` failed or the server did not come up.
    #[error(
        "PostgreSQL did not start on {} (port {port}): {reason}; last lines of {}:\n{log_tail}",
        data_dir.display(),
        log_path.display()
    )]
    StartFailed {
        data_dir: PathBuf,
        port: u16,
        reason: String,
        log_path: PathBuf,
        log_tail: String,
    },
    /// The server did not accept connections in time.
    #[error(
        "PostgreSQL on port {port} did not accept connections within {timeout:?}; last lines of \
         {}:\n{log_tail}",
        log_path.display()
    )]
    NotReady {
        port: u16,
        timeout: Duration,
        log_path: PathBuf,
        log_tail: String,
    },
    /// `pg_ctl stop` failed.
    #[error("could not stop PostgreSQL on {}: {output}", data_dir.display())]
    StopFailed { data_dir: PathBuf, output: String },
    /// No free loopback port could be had.
    #[error("could not find a free port on 127.0.0.1 for PostgreSQL: {0}")]
    NoFreePort(#[source] std::io::Error),
}
