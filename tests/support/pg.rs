//! PostgreSQL for integration tests: a server, and a fresh migrated database per test.
//!
//! Include it in a test binary with
//! `#[path = "support/pg.rs"] mod pg;` (from a file directly in `tests/`).
//!
//! Which server ([`server_url`], decided once per test process):
//! 1. `TEST_DATABASE_URL`, when set and not empty (a `postgres://` URL of a role that
//!    may create databases; PostgreSQL 13 or newer for `DROP DATABASE … WITH (FORCE)`);
//! 2. else `postgres://postgres@127.0.0.1:5432/postgres`, if it accepts a connection
//!    (skipped when `CHRISTEN_TEST_NO_LOCAL_PG=1`, which is how the next path is tested);
//! 3. else a throwaway cluster from the installed server binaries
//!    (`christen::pgcluster`, fsync off) in a temporary directory. A detached watchdog
//!    stops it and removes the directory once the test process has exited.
//!
//! Databases ([`fresh_database`]): the first call in a process creates a template
//! database and migrates it with the caller's `migrate` closure (called exactly once per
//! process); every call then creates `CREATE DATABASE … TEMPLATE …`, which is a file
//! copy, not a migration run. A [`TestDatabase`] drops its database on `Drop`.
//!
//! Names are `christen_test_<process start, unix seconds>_<pid>_<n>` (the template ends
//! in `_tpl`). Clean-up of what a process leaves behind (its template, and databases of
//! a test that aborted rather than panicked):
//! - at exit, a detached watchdog drops the process's databases with `psql` when `psql`
//!   is installed (the throwaway cluster is removed whole instead);
//! - the first `fresh_database` of every process drops `christen_test_*` databases
//!   older than a day, and, on a server on this machine, those whose process is gone.

#![allow(dead_code)]

use std::net::{Ipv4Addr, TcpStream};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::OnceLock;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use christen::pgcluster::{Cluster, ClusterOptions, PgBinaries};
use diesel::connection::SimpleConnection;
use diesel::pg::PgConnection;
use diesel::prelude::*;
use diesel::sql_types::Text;

/// The local server probed when `TEST_DATABASE_URL` is not set.
const LOCAL_URL: &str = "postgres://postgres@127.0.0.1:5432/postgres";
/// Set to `1` to skip the local server and use a throwaway cluster.
const NO_LOCAL_VAR: &str = "CHRISTEN_TEST_NO_LOCAL_PG";
const PREFIX: &str = "christen_test_";

/// Where the test server came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ServerKind {
    /// `TEST_DATABASE_URL`.
    Given,
    /// The server on 127.0.0.1:5432.
    Local,
    /// A throwaway cluster of this process.
    Throwaway,
}

struct Server {
    url: String,
    kind: ServerKind,
}

fn server() -> &'static Server {
    static SERVER: OnceLock<Server> = OnceLock::new();
    SERVER.get_or_init(find_server)
}

/// The admin URL (database `postgres`, or whatever `TEST_DATABASE_URL` names) of the
/// PostgreSQL server for this test process.
pub fn server_url() -> String {
    server().url.clone()
}

/// Which of the three ways [`server_url`] found its server.
pub fn server_kind() -> ServerKind {
    server().kind
}

fn find_server() -> Server {
    if let Ok(url) = std::env::var("TEST_DATABASE_URL") {
        if !url.trim().is_empty() {
            return Server {
                url,
                kind: ServerKind::Given,
            };
        }
    }
    let skip_local = std::env::var(NO_LOCAL_VAR).is_ok_and(|v| !v.is_empty() && v != "0");
    if !skip_local && local_server_answers() {
        return Server {
            url: LOCAL_URL.to_string(),
            kind: ServerKind::Local,
        };
    }
    Server {
        url: throwaway_cluster().url("postgres"),
        kind: ServerKind::Throwaway,
    }
}

fn local_server_answers() -> bool {
    let reachable = TcpStream::connect_timeout(
        &(Ipv4Addr::LOCALHOST, 5432).into(),
        Duration::from_millis(500),
    )
    .is_ok();
    reachable && PgConnection::establish(&format!("{LOCAL_URL}?connect_timeout=5")).is_ok()
}

fn throwaway_cluster() -> &'static Cluster {
    static CLUSTER: OnceLock<Cluster> = OnceLock::new();
    CLUSTER.get_or_init(|| {
        let bins = PgBinaries::locate().unwrap_or_else(|e| {
            panic!("tests need PostgreSQL: TEST_DATABASE_URL is not set, nothing usable answers on 127.0.0.1:5432, and {e}")
        });
        let root = std::env::temp_dir().join(format!(
            "christen-test-pg-{}-{}",
            std::process::id(),
            process_start_secs()
        ));
        let opts = ClusterOptions {
            durable: false,
            max_connections: 300,
            ..ClusterOptions::default()
        };
        let mut cluster = Cluster::start_with(&bins, &root.join("data"), &opts)
            .unwrap_or_else(|e| panic!("could not start a throwaway PostgreSQL for the tests: {e}"));
        cluster
            .stop_when_process_exits(Some(&root))
            .unwrap_or_else(|e| panic!("could not arrange for the test PostgreSQL to stop: {e}"));
        cluster
    })
}

/// A database of its own for one test, dropped (with `FORCE`) when this is dropped.
#[derive(Debug)]
pub struct TestDatabase {
    /// URL of the database, for diesel/libpq.
    pub url: String,
    /// Its name.
    pub name: String,
    admin_url: String,
}

impl TestDatabase {
    /// A new connection to the database.
    pub fn connect(&self) -> PgConnection {
        PgConnection::establish(&self.url)
            .unwrap_or_else(|e| panic!("could not connect to test database {}: {e}", self.name))
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        match PgConnection::establish(&self.admin_url) {
            Ok(mut conn) => {
                if let Err(e) = drop_database(&mut conn, &self.name) {
                    eprintln!("could not drop test database {}: {e}", self.name);
                }
            }
            Err(e) => eprintln!("could not drop test database {}: {e}", self.name),
        }
    }
}

struct Template {
    name: String,
}

/// A fresh database made from this process's template, which `migrate` (given the
/// template's URL) migrates on the first call; later calls ignore their `migrate`.
pub fn fresh_database(migrate: impl FnOnce(&str)) -> TestDatabase {
    static TEMPLATE: OnceLock<Template> = OnceLock::new();
    static COUNTER: AtomicU64 = AtomicU64::new(0);

    let admin_url = server_url();
    let template = TEMPLATE.get_or_init(|| create_template(&admin_url, migrate));
    let name = format!(
        "{}{}",
        process_prefix(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    );
    let mut conn = admin_connection(&admin_url);
    let sql = format!(
        "CREATE DATABASE {} TEMPLATE {}",
        quote_ident(&name),
        quote_ident(&template.name)
    );
    // The template refuses connections, so nobody else should hold it; retry anyway on
    // "being accessed by other users", which a stray connection would cause.
    let mut attempt = 0;
    loop {
        match conn.batch_execute(&sql) {
            Ok(()) => break,
            Err(e) if attempt < 50 && e.to_string().contains("accessed by other users") => {
                attempt += 1;
                std::thread::sleep(Duration::from_millis(100));
            }
            Err(e) => panic!("could not create test database {name}: {e}"),
        }
    }
    TestDatabase {
        url: with_database(&admin_url, &name),
        name,
        admin_url,
    }
}

fn create_template(admin_url: &str, migrate: impl FnOnce(&str)) -> Template {
    let mut conn = admin_connection(admin_url);
    sweep_stale(&mut conn);
    if server_kind() != ServerKind::Throwaway {
        drop_at_exit(admin_url);
    }
    let name = format!("{}tpl", process_prefix());
    conn.batch_execute(&format!("CREATE DATABASE {}", quote_ident(&name)))
        .unwrap_or_else(|e| panic!("could not create template database {name}: {e}"));

    // Drop the half-made template if `migrate` panics.
    struct Guard<'a> {
        admin_url: &'a str,
        name: &'a str,
        armed: bool,
    }
    impl Drop for Guard<'_> {
        fn drop(&mut self) {
            if self.armed {
                if let Ok(mut conn) = PgConnection::establish(self.admin_url) {
                    let _ = drop_database(&mut conn, self.name);
                }
            }
        }
    }
    let mut guard = Guard {
        admin_url,
        name: &name,
        armed: true,
    };
    migrate(&with_database(admin_url, &name));
    guard.armed = false;
    drop(guard);

    // No connection may stay on a template while databases are copied from it.
    conn.batch_execute(&format!(
        "ALTER DATABASE {ident} WITH ALLOW_CONNECTIONS false; \
         SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
         WHERE datname = {lit} AND pid <> pg_backend_pid();",
        ident = quote_ident(&name),
        lit = quote_literal(&name)
    ))
    .unwrap_or_else(|e| panic!("could not seal template database {name}: {e}"));
    Template { name }
}

#[derive(QueryableByName)]
struct DbName {
    #[diesel(sql_type = Text)]
    datname: String,
}

/// Drops `christen_test_*` databases older than a day and, on a server of this machine,
/// those whose test process is gone.
fn sweep_stale(conn: &mut PgConnection) {
    let names: Vec<DbName> = match diesel::sql_query(
        "SELECT datname::text AS datname FROM pg_database WHERE datname LIKE 'christen\\_test\\_%'",
    )
    .load(conn)
    {
        Ok(n) => n,
        Err(e) => {
            eprintln!("could not list old test databases: {e}");
            return;
        }
    };
    let local = server_kind() != ServerKind::Given || is_local_url(&server_url());
    let now = unix_secs();
    let me = std::process::id();
    for DbName { datname } in names {
        let mut parts = datname.strip_prefix(PREFIX).unwrap_or("").split('_');
        let (Some(secs), Some(pid)) = (
            parts.next().and_then(|s| s.parse::<u64>().ok()),
            parts.next().and_then(|s| s.parse::<u32>().ok()),
        ) else {
            continue;
        };
        let old = now.saturating_sub(secs) > 24 * 60 * 60;
        let orphan =
            local && pid != me && !PathBuf::from(format!("/proc/{pid}")).exists() && proc_exists();
        if old || orphan {
            if let Err(e) = drop_database(conn, &datname) {
                eprintln!("could not drop stale test database {datname}: {e}");
            }
        }
    }
}

fn proc_exists() -> bool {
    PathBuf::from("/proc/self").exists()
}

fn is_local_url(url: &str) -> bool {
    let host = url
        .split_once("://")
        .map(|(_, rest)| rest)
        .unwrap_or("")
        .split(['/', '?'])
        .next()
        .unwrap_or("")
        .rsplit('@')
        .next()
        .unwrap_or("");
    let host = host.rsplit_once(':').map_or(host, |(h, port)| {
        if port.chars().all(|c| c.is_ascii_digit()) {
            h
        } else {
            host
        }
    });
    matches!(host, "" | "localhost" | "127.0.0.1" | "[::1]")
}

/// A detached `sh` that, once this process has exited, drops the databases it made
/// (the template and any a test left behind) with `psql`, when `psql` is installed.
fn drop_at_exit(admin_url: &str) {
    let psql = find_psql();
    let Some(psql) = psql else {
        return;
    };
    let pattern = format!("{}%", process_prefix().replace('_', "\\_"));
    let sql = format!(
        "SELECT format('DROP DATABASE IF EXISTS %I WITH (FORCE)', datname) \
         FROM pg_database WHERE datname LIKE '{pattern}' \\gexec"
    );
    let script = r#"
parent=$1; psql=$2; url=$3; sql=$4
while kill -0 "$parent" 2>/dev/null; do sleep 1; done
printf '%s\n' "$sql" | "$psql" -X -q -d "$url" >/dev/null 2>&1
"#;
    let spawned = {
        use std::os::unix::process::CommandExt;
        Command::new("sh")
            .arg("-c")
            .arg(script)
            .arg("christen-test-db-cleanup")
            .arg(std::process::id().to_string())
            .arg(&psql)
            .arg(admin_url)
            .arg(sql)
            .current_dir("/")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .process_group(0)
            .spawn()
    };
    if let Err(e) = spawned {
        eprintln!("could not arrange to drop the test databases at exit: {e}");
    }
}

fn find_psql() -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .map(|d| d.join("psql"))
        .find(|p| p.is_file())
        .or_else(|| PgBinaries::locate().ok().and_then(|b| b.psql()))
}

fn admin_connection(admin_url: &str) -> PgConnection {
    PgConnection::establish(admin_url)
        .unwrap_or_else(|e| panic!("could not connect to the test server {admin_url}: {e}"))
}

fn drop_database(conn: &mut PgConnection, name: &str) -> QueryResult<()> {
    conn.batch_execute(&format!(
        "DROP DATABASE IF EXISTS {} WITH (FORCE)",
        quote_ident(name)
    ))
}

/// `christen_test_<process start>_<pid>_`.
fn process_prefix() -> String {
    format!("{PREFIX}{}_{}_", process_start_secs(), std::process::id())
}

fn process_start_secs() -> u64 {
    static START: OnceLock<u64> = OnceLock::new();
    *START.get_or_init(unix_secs)
}

fn unix_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// The admin URL with its database replaced by `dbname` (query parameters kept).
pub fn with_database(url: &str, dbname: &str) -> String {
    let (scheme, rest) = url.split_once("://").unwrap_or(("postgres", url));
    let authority_end = rest.find(['/', '?']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(authority_end);
    let query = tail.find('?').map_or("", |i| &tail[i..]);
    format!("{scheme}://{authority}/{dbname}{query}")
}

fn quote_ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

fn quote_literal(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}
