//! What every database command resolves first: which PostgreSQL to use (the
//! configured one, or the embedded cluster), and the server secret.

use std::path::Path;

use anyhow::Context;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use rand::RngCore;

use crate::config::{DatabaseSettings, Secret, MIN_SECRET_LEN};
use crate::db;
use crate::pgcluster::{Cluster, PgBinaries};

/// The database a command talks to. In the embedded mode it holds the cluster,
/// which stops when this is dropped (or when [`Database::shutdown`] is called).
pub struct Database {
    pub url: Secret,
    cluster: Option<Cluster>,
}

impl Database {
    /// Whether this process started (and so owns) the embedded cluster.
    pub fn is_embedded(&self) -> bool {
        self.cluster.is_some()
    }

    /// Stops the embedded cluster, if this process owns one.
    pub fn shutdown(mut self) {
        if let Some(mut cluster) = self.cluster.take() {
            if let Err(e) = cluster.stop() {
                tracing::warn!(error = %e, "stopping the embedded PostgreSQL failed");
            }
        }
    }
}

/// Name of the database Christen uses inside the embedded cluster.
const EMBEDDED_DB: &str = "christen";

/// Resolves the database: `DATABASE_URL` (created if missing), or the embedded
/// cluster under `<data dir>/postgres`. Applies pending migrations either way.
pub fn open_database(settings: &DatabaseSettings) -> anyhow::Result<Database> {
    let (url, cluster) = match &settings.database_url {
        Some(url) => (url.clone(), None),
        None => {
            let dir = settings.data_dir.join("postgres");
            if let Some(port) = running_cluster_port(&dir) {
                // Another christen process (say `serve`, while this is `org
                // create`) owns the cluster: use it, leave stopping it to the owner.
                let url = format!("postgres://postgres@127.0.0.1:{port}/{EMBEDDED_DB}");
                tracing::info!(
                    port,
                    "using the embedded PostgreSQL another process started"
                );
                return finish_open(Secret::new(url), None);
            }
            let binaries = PgBinaries::locate()?;
            let mut cluster = Cluster::start(&binaries, &dir)
                .with_context(|| format!("starting PostgreSQL in {}", dir.display()))?;
            // Even if this process is killed outright (SIGKILL, OOM), a watchdog
            // stops the cluster, so the next start does not find it still running.
            cluster
                .stop_when_process_exits(None)
                .context("starting the PostgreSQL watchdog")?;
            tracing::info!(data_dir = %dir.display(), "embedded PostgreSQL is running");
            (Secret::new(cluster.url(EMBEDDED_DB)), Some(cluster))
        }
    };
    finish_open(url, cluster)
}

fn finish_open(url: Secret, cluster: Option<Cluster>) -> anyhow::Result<Database> {
    db::create_database_if_missing(url.expose())?;
    let applied = db::migrate_url(url.expose())?;
    if !applied.is_empty() {
        tracing::info!(migrations = ?applied, "applied migrations");
    }
    Ok(Database { url, cluster })
}

/// The port of a cluster that a live process runs in `dir`, read from its
/// `postmaster.pid` (line 1 the pid, line 4 the port, line 8 the status).
fn running_cluster_port(dir: &Path) -> Option<u16> {
    let text = std::fs::read_to_string(dir.join("postmaster.pid")).ok()?;
    let lines: Vec<&str> = text.lines().collect();
    let pid: u32 = lines.first()?.trim().parse().ok()?;
    let port: u16 = lines.get(3)?.trim().parse().ok()?;
    let ready = lines.get(7).is_some_and(|s| s.trim() == "ready");
    let alive = Path::new(&format!("/proc/{pid}")).exists();
    (alive && ready).then_some(port)
}

/// The server secret: `CHRISTEN_SECRET` when given; in the embedded mode, one
/// generated on first run and kept in `<data dir>/secret`. With `DATABASE_URL`
/// it must be given, so every instance behind a load balancer shares it.
pub fn server_secret(
    given: Option<&Secret>,
    embedded: bool,
    data_dir: &Path,
) -> anyhow::Result<Secret> {
    if let Some(secret) = given {
        anyhow::ensure!(
            secret.expose().len() >= MIN_SECRET_LEN,
            "CHRISTEN_SECRET must be at least {MIN_SECRET_LEN} characters long"
        );
        return Ok(secret.clone());
    }
    anyhow::ensure!(
        embedded,
        "CHRISTEN_SECRET is not set. With DATABASE_URL every instance must share one secret: \
         set CHRISTEN_SECRET to a random string of at least {MIN_SECRET_LEN} characters \
         (for example the output of `openssl rand -base64 48`)."
    );
    let path = data_dir.join("secret");
    match std::fs::read_to_string(&path) {
        Ok(text) if text.trim().len() >= MIN_SECRET_LEN => return Ok(Secret::new(text.trim())),
        Ok(_) => anyhow::bail!(
            "{} is too short to be a secret; delete it to get a new one",
            path.display()
        ),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(e).with_context(|| format!("reading {}", path.display())),
    }
    let mut bytes = [0u8; 48];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    let secret = URL_SAFE_NO_PAD.encode(bytes);
    std::fs::create_dir_all(data_dir)
        .with_context(|| format!("creating {}", data_dir.display()))?;
    write_private(&path, &secret).with_context(|| format!("writing {}", path.display()))?;
    tracing::info!(path = %path.display(), "generated a server secret");
    Ok(Secret::new(secret))
}

/// Writes a file only its owner can read.
fn write_private(path: &Path, contents: &str) -> std::io::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    options.open(path)?.write_all(contents.as_bytes())
}
