//! The connection pool and the embedded migrations.

use std::time::Duration;

use diesel::pg::PgConnection;
use diesel::r2d2::{ConnectionManager, Pool, PooledConnection};
use diesel::Connection;
use diesel_migrations::{embed_migrations, EmbeddedMigrations, MigrationHarness};

/// Every migration in `migrations/`, compiled into the binary.
pub const MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations");

pub type PgPool = Pool<ConnectionManager<PgConnection>>;
pub type PgConn = PooledConnection<ConnectionManager<PgConnection>>;
/// The connection the use cases pass to the query functions.
pub type Conn = PgConnection;

/// Runs `f` in one transaction: committed when it returns `Ok`, rolled back on
/// any error (the use case's own or the database's).
pub fn transaction<T, E, F>(conn: &mut Conn, f: F) -> Result<T, E>
where
    F: FnOnce(&mut Conn) -> Result<T, E>,
    E: From<diesel::result::Error>,
{
    conn.transaction(f)
}

/// Runs `f` in one read-only repeatable-read transaction: every read sees the
/// same snapshot (a count's ballot version, candidates and ballots agree).
pub fn read_snapshot<T, E, F>(conn: &mut Conn, f: F) -> Result<T, E>
where
    F: FnOnce(&mut Conn) -> Result<T, E>,
    E: From<diesel::result::Error>,
{
    conn.build_transaction()
        .repeatable_read()
        .read_only()
        .run(f)
}

/// One trivial query: whether the database answers.
pub fn ping(conn: &mut Conn) -> diesel::QueryResult<()> {
    use diesel::RunQueryDsl;
    diesel::sql_query("SELECT 1").execute(conn).map(|_| ())
}

/// What the pool holds now, for metrics.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PoolStats {
    pub connections: u32,
    pub idle_connections: u32,
    pub max_size: u32,
}

/// The pool's [`PoolStats`] now.
pub fn pool_stats(pool: &PgPool) -> PoolStats {
    let state = pool.state();
    PoolStats {
        connections: state.connections,
        idle_connections: state.idle_connections,
        max_size: pool.max_size(),
    }
}

/// How the pool is sized and how long a request may wait for a connection.
#[derive(Debug, Clone, Copy)]
pub struct PoolOptions {
    pub max_size: u32,
    pub connection_timeout: Duration,
}

impl Default for PoolOptions {
    fn default() -> Self {
        PoolOptions {
            max_size: 16,
            connection_timeout: Duration::from_secs(5),
        }
    }
}

/// Builds a pool without connecting: the service starts even while the database
/// is down, answers 503 meanwhile, and recovers by itself.
pub fn build_pool(url: &str, options: PoolOptions) -> PgPool {
    Pool::builder()
        .max_size(options.max_size)
        .min_idle(Some(0))
        .connection_timeout(options.connection_timeout)
        .test_on_check_out(true)
        .build_unchecked(ConnectionManager::new(url))
}

/// Applies every pending migration; returns the versions applied.
pub fn run_migrations(conn: &mut PgConnection) -> anyhow::Result<Vec<String>> {
    let applied: Vec<String> = conn
        .run_pending_migrations(MIGRATIONS)
        .map_err(|e| anyhow::anyhow!("applying migrations failed: {e}"))?
        .iter()
        .map(|v| v.to_string())
        .collect();
    // Data the SQL migrations cannot compute: keys made by rules in Rust.
    let (rekeyed, kept) = super::suggestions::rekey(conn)
        .map_err(|e| anyhow::anyhow!("recomputing suggestion keys failed: {e}"))?;
    if rekeyed + kept > 0 {
        tracing::info!(
            rekeyed,
            kept,
            "suggestion dedupe keys recomputed for the current rules"
        );
    }
    Ok(applied)
}

/// One connection to `url`, outside the pool (for the CLI and tests).
pub fn connect(url: &str) -> anyhow::Result<Conn> {
    PgConnection::establish(url)
        .map_err(|e| anyhow::anyhow!("connecting to the database failed: {e}"))
}

/// Connects once to `url` and applies pending migrations.
pub fn migrate_url(url: &str) -> anyhow::Result<Vec<String>> {
    let mut conn = PgConnection::establish(url)
        .map_err(|e| anyhow::anyhow!("connecting to the database failed: {e}"))?;
    run_migrations(&mut conn)
}

/// Creates the database named in `url` when it does not exist yet, by connecting
/// to the server's `postgres` database. Does nothing when it exists.
pub fn create_database_if_missing(url: &str) -> anyhow::Result<()> {
    if PgConnection::establish(url).is_ok() {
        return Ok(());
    }
    let (admin_url, name) =
        admin_url_for(url).ok_or_else(|| anyhow::anyhow!("DATABASE_URL has no database name"))?;
    let mut conn = PgConnection::establish(&admin_url)
        .map_err(|e| anyhow::anyhow!("connecting to the database server failed: {e}"))?;
    let quoted = format!("\"{}\"", name.replace('"', "\"\""));
    use diesel::RunQueryDsl;
    match diesel::sql_query(format!("CREATE DATABASE {quoted}")).execute(&mut conn) {
        Ok(_) => Ok(()),
        // Another instance created it meanwhile.
        Err(diesel::result::Error::DatabaseError(_, info))
            if info.message().contains("already exists") =>
        {
            Ok(())
        }
        Err(e) => Err(anyhow::anyhow!("creating database {name} failed: {e}")),
    }
}

/// For `postgres://user@host:port/name?params`, the URL of the same server's
/// `postgres` database (same params) and the database name.
fn admin_url_for(url: &str) -> Option<(String, String)> {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, format!("?{q}")),
        None => (url, String::new()),
    };
    let scheme_end = base.find("://")? + 3;
    let slash = base[scheme_end..].find('/')? + scheme_end;
    let name = &base[slash + 1..];
    if name.is_empty() {
        return None;
    }
    Some((
        format!("{}/postgres{query}", &base[..slash]),
        name.to_owned(),
    ))
}

#[cfg(test)]
mod tests {
    use super::admin_url_for;

    #[test]
    fn the_admin_url_keeps_server_and_parameters() {
        assert_eq!(
            admin_url_for("postgres://u@h:5432/christen?sslmode=require"),
            Some((
                "postgres://u@h:5432/postgres?sslmode=require".into(),
                "christen".into()
            ))
        );
        assert_eq!(admin_url_for("postgres://u@h:5432/"), None);
        assert_eq!(admin_url_for("postgres://u@h:5432"), None);
    }
}
