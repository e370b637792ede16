//! The private PostgreSQL cluster (`christen::pgcluster`) and the test database helper
//! (`tests/support/pg.rs`), against the PostgreSQL server binaries installed here.

#[path = "support/pg.rs"]
mod pg;

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use christen::pgcluster::{Cluster, ClusterError, ClusterOptions, PgBinaries};
use diesel::connection::SimpleConnection;
use diesel::pg::PgConnection;
use diesel::prelude::*;
use diesel::sql_types::BigInt;

/// A directory removed at the end of the test.
struct TempDir(PathBuf);

impl TempDir {
    fn new(tag: &str) -> Self {
        static N: AtomicUsize = AtomicUsize::new(0);
        let dir = std::env::temp_dir().join(format!(
            "christen-pgcluster-{tag}-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("create a temporary directory");
        TempDir(dir)
    }

    fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn bins() -> PgBinaries {
    PgBinaries::locate().unwrap_or_else(|e| panic!("{e}"))
}

fn fast() -> ClusterOptions {
    ClusterOptions {
        durable: false,
        ..ClusterOptions::default()
    }
}

fn count(conn: &mut PgConnection, sql: &str) -> i64 {
    diesel::select(diesel::dsl::sql::<BigInt>(&format!("({sql})")))
        .get_result(conn)
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
}

fn wait_until_dead(pid: u32) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while Instant::now() < deadline {
        let alive = std::fs::read_to_string(format!("/proc/{pid}/stat"))
            .map(|s| {
                s.rsplit_once(')')
                    .and_then(|(_, r)| r.split_whitespace().next())
                    .is_some_and(|st| st != "Z" && st != "X")
            })
            .unwrap_or(false);
        if !alive {
            return;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("process {pid} did not die");
}

#[test]
fn locates_the_installed_server_binaries() {
    let bins = bins();
    for prog in [bins.initdb(), bins.pg_ctl(), bins.postgres()] {
        assert!(prog.is_file(), "{} is missing", prog.display());
    }
    let version = bins.major_version().expect("postgres --version");
    assert!(
        version.chars().next().is_some_and(|c| c.is_ascii_digit()),
        "{version}"
    );
    // An explicit directory works the same way.
    assert_eq!(PgBinaries::in_dir(bins.bindir()).as_ref(), Ok(&bins));
}

#[test]
fn not_found_names_the_three_ways_out() {
    let empty = TempDir::new("nobins");
    let err = PgBinaries::locate_in(Some(empty.path().as_os_str()), Path::new("/nonexistent"))
        .expect_err("an empty PATH has no PostgreSQL");
    let msg = err.to_string();
    assert!(msg.contains("apt-get install postgresql"), "{msg}");
    assert!(msg.contains("DATABASE_URL"), "{msg}");
    assert!(msg.contains("docker compose up"), "{msg}");
    assert!(msg.contains(&empty.path().display().to_string()), "{msg}");
    assert!(!msg.contains('\n'), "one paragraph: {msg}");

    let err = PgBinaries::locate_in(None, Path::new("/nonexistent")).expect_err("no PATH");
    assert!(err.to_string().contains("docker compose up"));
    assert!(PgBinaries::locate_in(Some(OsStr::new("")), Path::new("/nonexistent")).is_err());
    assert!(PgBinaries::in_dir("/nonexistent").is_err());
}

#[test]
fn creates_a_cluster_then_reuses_it() {
    let bins = bins();
    let dir = TempDir::new("reuse");
    let data = dir.path().join("postgres");

    let mut cluster = Cluster::start(&bins, &data).unwrap_or_else(|e| panic!("{e}"));
    assert!(cluster.is_running());
    assert!(data.join("PG_VERSION").is_file());
    let url = cluster.url("postgres");
    assert_eq!(
        url,
        format!("postgres://postgres@127.0.0.1:{}/postgres", cluster.port())
    );
    let mut conn = PgConnection::establish(&url).unwrap_or_else(|e| panic!("{e}"));
    conn.batch_execute(
        "CREATE TABLE names (name text PRIMARY KEY); INSERT INTO names VALUES ('The Daily Quill');",
    )
    .expect("create a table");
    let encoding: i64 = count(
        &mut conn,
        "SELECT count(*) FROM pg_database WHERE datname = 'postgres' AND pg_encoding_to_char(encoding) = 'UTF8'",
    );
    assert_eq!(encoding, 1);
    drop(conn);

    cluster.stop().unwrap_or_else(|e| panic!("{e}"));
    assert!(!cluster.is_running());
    assert!(!data.join("postmaster.pid").exists());
    assert!(
        PgConnection::establish(&url).is_err(),
        "stopped means stopped"
    );
    cluster.stop().expect("stopping twice is fine");
    drop(cluster);

    let cluster = Cluster::start(&bins, &data).unwrap_or_else(|e| panic!("{e}"));
    let mut conn =
        PgConnection::establish(&cluster.url("postgres")).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(count(&mut conn, "SELECT count(*) FROM names"), 1);
    drop(conn);
    let pid = cluster
        .postmaster_pid()
        .expect("a running server has a pid");
    drop(cluster); // Drop stops it too.
    wait_until_dead(pid);
    assert!(!data.join("postmaster.pid").exists());
}

#[test]
fn recovers_from_a_killed_server_and_a_reused_pid() {
    let bins = bins();
    let dir = TempDir::new("stale");
    let data = dir.path().join("postgres");

    // A crash: the postmaster is killed and leaves its postmaster.pid behind. Durable,
    // so that the committed table must survive it.
    let cluster = Cluster::start(&bins, &data).unwrap_or_else(|e| panic!("{e}"));
    let mut conn =
        PgConnection::establish(&cluster.url("postgres")).unwrap_or_else(|e| panic!("{e}"));
    conn.batch_execute("CREATE TABLE kept (n int); INSERT INTO kept VALUES (1);")
        .expect("create a table");
    drop(conn);
    let pid = cluster.postmaster_pid().expect("pid");
    let status = std::process::Command::new("kill")
        .args(["-KILL", &pid.to_string()])
        .status()
        .expect("run kill");
    assert!(status.success());
    wait_until_dead(pid);
    let started = Instant::now();
    drop(cluster); // nothing left to stop, and no waiting for it
    assert!(started.elapsed() < Duration::from_secs(10));
    assert!(
        data.join("postmaster.pid").exists(),
        "a crash leaves the pid file"
    );

    let mut cluster = Cluster::start_with(&bins, &data, &fast()).unwrap_or_else(|e| panic!("{e}"));
    let mut conn =
        PgConnection::establish(&cluster.url("postgres")).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(count(&mut conn, "SELECT count(*) FROM kept"), 1);
    drop(conn);
    cluster.stop().unwrap_or_else(|e| panic!("{e}"));

    // A pid file naming a live process that is not this directory's postgres (the pid
    // was reused, e.g. after a container restart): PostgreSQL alone would refuse.
    std::fs::write(
        data.join("postmaster.pid"),
        format!("{}\n{}\n", std::process::id(), data.display()),
    )
    .expect("write a stale pid file");
    let cluster = Cluster::start_with(&bins, &data, &fast()).unwrap_or_else(|e| panic!("{e}"));
    assert!(PgConnection::establish(&cluster.url("postgres")).is_ok());
}

#[test]
fn a_second_server_on_the_same_directory_is_refused() {
    let bins = bins();
    let dir = TempDir::new("twice");
    let data = dir.path().join("postgres");
    let first = Cluster::start_with(&bins, &data, &fast()).unwrap_or_else(|e| panic!("{e}"));
    match Cluster::start_with(&bins, &data, &fast()) {
        Err(ClusterError::AlreadyRunning { pid, .. }) => {
            assert_eq!(Some(pid), first.postmaster_pid());
        }
        Err(e) => panic!("expected AlreadyRunning, got {e}"),
        Ok(_) => panic!("two servers on one data directory"),
    }
    assert!(PgConnection::establish(&first.url("postgres")).is_ok());
}

#[test]
fn a_watchdog_stops_the_server_when_its_process_exits() {
    let bins = bins();
    let dir = TempDir::new("watchdog");

    // The owner goes away without stopping the server (a static, a kill): the
    // watchdog stops the server and removes the directory.
    let root = dir.path().join("throwaway");
    let mut cluster =
        Cluster::start_with(&bins, &root.join("data"), &fast()).unwrap_or_else(|e| panic!("{e}"));
    let mut owner = std::process::Command::new("sleep")
        .arg("600")
        .spawn()
        .expect("spawn sleep");
    cluster
        .stop_when_pid_exits(owner.id(), Some(&root))
        .unwrap_or_else(|e| panic!("{e}"));
    let pm = cluster.postmaster_pid().expect("pid");
    owner.kill().expect("kill the owner");
    owner.wait().expect("reap the owner");
    wait_until_dead(pm);
    let deadline = Instant::now() + Duration::from_secs(20);
    while root.exists() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(100));
    }
    assert!(!root.exists(), "the watchdog removes the directory");
    cluster.stop().expect("nothing left to stop");

    // A watchdog leaves alone a server started later on the same directory.
    let data = dir.path().join("kept");
    let mut first = Cluster::start_with(&bins, &data, &fast()).unwrap_or_else(|e| panic!("{e}"));
    let mut owner = std::process::Command::new("sleep")
        .arg("600")
        .spawn()
        .expect("spawn sleep");
    first
        .stop_when_pid_exits(owner.id(), None)
        .unwrap_or_else(|e| panic!("{e}"));
    first.stop().unwrap_or_else(|e| panic!("{e}"));
    let second = Cluster::start_with(&bins, &data, &fast()).unwrap_or_else(|e| panic!("{e}"));
    owner.kill().expect("kill the owner");
    owner.wait().expect("reap the owner");
    std::thread::sleep(Duration::from_secs(3));
    assert!(PgConnection::establish(&second.url("postgres")).is_ok());
    assert!(data.exists());
}

fn running_as_root() -> bool {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("Uid:"))
                .and_then(|r| r.split_whitespace().nth(1).map(|u| u == "0"))
        })
        .unwrap_or(false)
}

#[test]
fn starts_under_a_parent_directory_only_its_owner_may_enter() {
    use std::os::unix::fs::PermissionsExt;
    let bins = bins();
    let dir = TempDir::new("private");
    let private = dir.path().join("private");
    std::fs::create_dir_all(&private).expect("mkdir");
    std::fs::set_permissions(&private, std::fs::Permissions::from_mode(0o700)).expect("chmod");

    let cluster = Cluster::start_with(&bins, &private.join("postgres"), &fast())
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(PgConnection::establish(&cluster.url("postgres")).is_ok());
    let mode = std::fs::metadata(&private)
        .expect("stat")
        .permissions()
        .mode();
    if running_as_root() {
        // PostgreSQL runs as another user, who needs to pass through (not list) it.
        assert_eq!(mode & 0o777, 0o701);
    } else {
        assert_eq!(mode & 0o777, 0o700, "left alone when PostgreSQL runs as us");
    }
}

#[test]
fn refuses_directories_that_are_not_its_own() {
    let bins = bins();
    let dir = TempDir::new("foreign");

    let junk = dir.path().join("junk");
    std::fs::create_dir_all(&junk).expect("mkdir");
    std::fs::write(junk.join("notes.txt"), "not a cluster").expect("write");
    match Cluster::start_with(&bins, &junk, &fast()) {
        Err(e @ ClusterError::NotADataDirectory { .. }) => {
            assert!(e.to_string().contains("not a PostgreSQL data directory"))
        }
        other => panic!("expected NotADataDirectory, got {other:?}"),
    }

    let old = dir.path().join("old");
    std::fs::create_dir_all(&old).expect("mkdir");
    std::fs::write(old.join("PG_VERSION"), "9.6\n").expect("write");
    match Cluster::start_with(&bins, &old, &fast()) {
        Err(e @ ClusterError::VersionMismatch { .. }) => {
            assert!(e.to_string().contains("PostgreSQL 9.6"), "{e}")
        }
        other => panic!("expected VersionMismatch, got {other:?}"),
    }
}

static MIGRATIONS_RUN: AtomicUsize = AtomicUsize::new(0);

fn migrate(url: &str) {
    MIGRATIONS_RUN.fetch_add(1, Ordering::SeqCst);
    let mut conn = PgConnection::establish(url).unwrap_or_else(|e| panic!("{e}"));
    conn.batch_execute("CREATE TABLE contests (id int PRIMARY KEY, title text NOT NULL);")
        .expect("migrate the template");
}

fn database_exists(name: &str) -> bool {
    let mut admin = PgConnection::establish(&pg::server_url()).unwrap_or_else(|e| panic!("{e}"));
    count(
        &mut admin,
        &format!("SELECT count(*) FROM pg_database WHERE datname = '{name}'"),
    ) == 1
}

#[test]
fn fresh_databases_are_migrated_isolated_and_dropped() {
    if std::env::var_os("TEST_DATABASE_URL").is_none()
        && std::env::var("CHRISTEN_TEST_NO_LOCAL_PG").is_ok_and(|v| v == "1")
    {
        assert_eq!(pg::server_kind(), pg::ServerKind::Throwaway);
    }
    let a = pg::fresh_database(migrate);
    let b = pg::fresh_database(migrate);
    assert_eq!(
        MIGRATIONS_RUN.load(Ordering::SeqCst),
        1,
        "one migration per process"
    );
    assert_ne!(a.name, b.name);
    assert_ne!(a.url, b.url);

    let mut ca = a.connect();
    let mut cb = b.connect();
    ca.batch_execute("INSERT INTO contests VALUES (1, 'Name our blog')")
        .expect("insert");
    assert_eq!(count(&mut ca, "SELECT count(*) FROM contests"), 1);
    assert_eq!(count(&mut cb, "SELECT count(*) FROM contests"), 0);

    // Drop forces out open connections.
    let (name_a, name_b) = (a.name.clone(), b.name.clone());
    assert!(database_exists(&name_a) && database_exists(&name_b));
    drop(a);
    assert!(!database_exists(&name_a));
    drop(b);
    assert!(!database_exists(&name_b));
    drop((ca, cb));

    // Many at once, from parallel threads.
    let handles: Vec<_> = (0..6)
        .map(|i| {
            std::thread::spawn(move || {
                let db = pg::fresh_database(migrate);
                let mut conn = db.connect();
                conn.batch_execute(&format!("INSERT INTO contests VALUES ({i}, 't')"))
                    .expect("insert");
                assert_eq!(count(&mut conn, "SELECT count(*) FROM contests"), 1);
                db.name.clone()
            })
        })
        .collect();
    for h in handles {
        let name = h.join().expect("thread");
        assert!(!database_exists(&name));
    }
    assert_eq!(MIGRATIONS_RUN.load(Ordering::SeqCst), 1);
}

#[test]
fn database_urls_keep_their_parameters() {
    assert_eq!(
        pg::with_database("postgres://u:p@db:5433/postgres?sslmode=disable", "x"),
        "postgres://u:p@db:5433/x?sslmode=disable"
    );
    assert_eq!(
        pg::with_database("postgresql://localhost", "y"),
        "postgresql://localhost/y"
    );
}

/// Runs the built `christen` with `args` in the embedded mode (no database or
/// secret from the environment) and `envs`, with every output piped. A run that
/// has not ended after `limit` is killed and fails the test.
fn christen(args: &[&OsStr], envs: &[(&str, &str)], limit: Duration) -> std::process::Output {
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_christen"));
    for var in [
        "DATABASE_URL",
        "DATABASE_READ_URL",
        "CHRISTEN_SECRET",
        "CHRISTEN_DATA_DIR",
        "CHRISTEN_BIND",
        "NO_COLOR",
    ] {
        cmd.env_remove(var);
    }
    let mut child = cmd
        .args(args)
        .envs(envs.iter().copied())
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("start christen");
    let deadline = Instant::now() + limit;
    while child.try_wait().expect("wait for christen").is_none() {
        if Instant::now() >= deadline {
            let _ = child.kill();
            let out = child.wait_with_output().expect("collect christen's output");
            panic!(
                "christen {args:?} still running after {limit:?}; stderr:\n{}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    child.wait_with_output().expect("collect christen's output")
}

#[test]
fn a_second_serve_on_a_cluster_another_process_runs_says_so() {
    let bins = bins();
    let dir = TempDir::new("second-serve");
    let data = dir.path().join("postgres");
    // The first instance: its cluster, and its watchdog naming it as the owner.
    let mut first = Cluster::start_with(&bins, &data, &fast()).unwrap_or_else(|e| panic!("{e}"));
    first
        .stop_when_process_exits(None)
        .unwrap_or_else(|e| panic!("{e}"));
    let pid = first.postmaster_pid().expect("the postmaster's pid");

    let out = christen(
        &[
            OsStr::new("--data-dir"),
            dir.path().as_os_str(),
            OsStr::new("--bind"),
            OsStr::new("127.0.0.1:0"),
            OsStr::new("serve"),
        ],
        &[],
        Duration::from_secs(60),
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{err}");
    assert!(err.contains(&data.display().to_string()), "{err}");
    assert!(err.contains(&format!("pid {pid}")), "{err}");
    assert!(
        err.contains(&format!("process {}", std::process::id())),
        "{err}"
    );
    for way_out in [
        "Stop that instance",
        "--data-dir",
        "DATABASE_URL=postgres://",
    ] {
        assert!(err.contains(way_out), "{way_out} missing from: {err}");
    }
    assert!(!err.contains("CHRISTEN_SECRET is not set"), "{err}");
    assert!(
        !err.contains('\u{1b}'),
        "colour codes in piped output: {err:?}"
    );
    // The first instance's cluster is untouched.
    assert!(first.is_running());
    assert!(PgConnection::establish(&first.url("postgres")).is_ok());
    assert_eq!(first.postmaster_pid(), Some(pid));
}

#[test]
fn logs_piped_to_a_file_carry_no_colour_codes() {
    let bins = bins();
    let dir = TempDir::new("plain-logs");
    let cluster = Cluster::start_with(&bins, &dir.path().join("postgres"), &fast())
        .unwrap_or_else(|e| panic!("{e}"));
    let url = cluster.url("christen_plain_logs");
    let out = christen(
        &[OsStr::new("migrate")],
        &[("DATABASE_URL", &url), ("RUST_LOG", "info")],
        Duration::from_secs(120),
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    assert!(
        err.contains("INFO") && err.contains("applied migrations"),
        "{err}"
    );
    assert!(
        !err.contains('\u{1b}'),
        "colour codes in piped logs: {err:?}"
    );
}
