//! The event-feed bench (not a test; `harness = false`): the four figures of
//! issue 12, printed, in one run on one machine.
//!
//! ```text
//! cargo build --release --bin christen && cargo build --bench feed
//! target/debug/deps/feed-<hash> bin=target/release/christen
//! ```
//!
//! (`cargo bench --bench feed -- bin=…` works too, building the bench itself
//! in release.) README "Event feed, caching and replicas" shows the figures.
//!
//! It starts a throwaway PostgreSQL primary (`christen::pgcluster`) and a
//! streaming replica of it (`pg_basebackup -R`, `recovery_min_apply_delay`
//! `lag_ms`, default 500), then the service binary `bin` twice: instance A on
//! the primary alone, instance B with the replica as `DATABASE_READ_URL`.
//! Then it prints:
//! 1. cached `GET …/results` against `GET /healthz` with `wrk` (32
//!    connections, `secs` seconds each, default 8), and their ratio;
//! 2. the database's committed transactions per second (`pg_stat_database`
//!    `xact_commit` deltas) with no stream, then with 200 idle
//!    `…/results/stream` clients;
//! 3. the delay from a ballot's `PUT` answering to its event on 1,000 open
//!    streams (p50, p99; the contest publishes every ballot), the ballots cast
//!    through the streams' instance, then through another one;
//! 4. through instance B: `trials` (default 5) contests closed right after
//!    their last ballot, each exported at once — complete when the export's
//!    `X-Ballot-Digest` equals the final result's `ballot_digest` and every
//!    ballot is in it.
//!
//! Needs `wrk`, `pg_basebackup` and the PostgreSQL server binaries; run as
//! root, the clusters run as the `postgres` user.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use christen::config::Secret;
use christen::domain::Electorate;
use christen::pgcluster::{Cluster, ClusterOptions, PgBinaries};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Integer, Text, Uuid as SqlUuid};
use reqwest::blocking::Client;
use serde_json::{json, Value};

const SECRET: &str = "feed-bench-secret-0123456789abcdef0123456789abcdef";

/// A running `christen serve`, killed on drop.
struct Server {
    child: Child,
    url: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn serve(bin: &Path, db: &str, read: Option<&str>) -> Server {
    let port = free_port();
    let mut cmd = Command::new(bin);
    cmd.arg("serve")
        .env("DATABASE_URL", db)
        .env("CHRISTEN_SECRET", SECRET)
        .env("CHRISTEN_BIND", format!("127.0.0.1:{port}"))
        .env("CHRISTEN_MAX_STREAMS", "5000")
        .env("CHRISTEN_MAX_STREAMS_PER_ADDRESS", "5000")
        .env("CHRISTEN_DB_POOL_SIZE", "16")
        .env("RUST_LOG", "warn")
        .env_remove("DATABASE_READ_URL")
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    if let Some(r) = read {
        cmd.env("DATABASE_READ_URL", r);
    }
    let server = Server {
        child: cmd.spawn().expect("start christen"),
        url: format!("http://127.0.0.1:{port}"),
    };
    let client = Client::new();
    for _ in 0..200 {
        if client
            .get(format!("{}/readyz", server.url))
            .send()
            .is_ok_and(|r| r.status().is_success())
        {
            return server;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    panic!("christen did not become ready");
}

struct Env {
    url: String,
    key: String,
    db: String,
    client: Client,
}

impl Env {
    fn call(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Value {
        let mut req = self
            .client
            .request(method, format!("{}{path}", self.url))
            .bearer_auth(&self.key);
        if let Some(b) = body {
            req = req.json(&b);
        }
        let res = req.send().expect("request");
        let status = res.status();
        let text = res.text().unwrap_or_default();
        assert!(status.is_success(), "{path}: {status} {text}");
        serde_json::from_str(&text).unwrap_or(Value::Null)
    }

    /// A live contest in `voting` with 5 candidates and `batch` as its live
    /// batch size; returns its id and candidate ids.
    fn contest(&self, batch: i32) -> (String, Vec<String>) {
        let c = self.call(
            reqwest::Method::POST,
            "/v1/contests",
            Some(json!({ "title": "Feed bench", "method": "irv", "results_visibility": "live" })),
        );
        let id = c["id"].as_str().unwrap().to_owned();
        let phase = format!("/v1/contests/{id}/phase");
        self.call(
            reqwest::Method::POST,
            &phase,
            Some(json!({ "to": "suggesting" })),
        );
        let mut conn = PgConnection::establish(&self.db).expect("database");
        let uuid: uuid::Uuid = id.parse().unwrap();
        diesel::sql_query(
            "INSERT INTO suggestions (id, contest_id, candidate_no, name, dedupe_key, status)
             SELECT gen_random_uuid(), $1, i, 'Name ' || i, 'name' || i, 'approved'
               FROM generate_series(1, 5) AS i",
        )
        .bind::<SqlUuid, _>(uuid)
        .execute(&mut conn)
        .expect("candidates");
        diesel::sql_query("UPDATE contests SET live_results_min_batch = $2 WHERE id = $1")
            .bind::<SqlUuid, _>(uuid)
            .bind::<Integer, _>(batch)
            .execute(&mut conn)
            .expect("batch size");
        self.call(
            reqwest::Method::POST,
            &phase,
            Some(json!({ "to": "voting" })),
        );
        #[derive(QueryableByName)]
        struct Row {
            #[diesel(sql_type = Text)]
            id: String,
        }
        let candidates = diesel::sql_query(
            "SELECT id::text AS id FROM suggestions WHERE contest_id = $1 ORDER BY candidate_no",
        )
        .bind::<SqlUuid, _>(uuid)
        .load::<Row>(&mut conn)
        .expect("candidates")
        .into_iter()
        .map(|r| r.id)
        .collect();
        (id, candidates)
    }

    /// Casts one ballot through the service as a new voter.
    fn cast(&self, contest: &str, candidates: &[String], k: usize) {
        let now = chrono::Utc::now();
        let token = christen::api::voter::issue_token(
            &Secret::new(SECRET.to_owned()),
            contest.parse().unwrap(),
            Electorate::Open,
            uuid::Uuid::new_v4(),
            now,
            now + chrono::Duration::days(1),
        )
        .expect("token")
        .token;
        let ranking: Vec<&String> = (0..3)
            .map(|j| &candidates[(k + j) % candidates.len()])
            .collect();
        let res = self
            .client
            .put(format!("{}/v1/contests/{contest}/ballot", self.url))
            .bearer_auth(token)
            .json(&json!({ "ranking": ranking }))
            .send()
            .expect("cast");
        assert!(res.status().is_success(), "cast: {}", res.status());
    }
}

fn xact_commit(db: &str) -> i64 {
    #[derive(QueryableByName)]
    struct Row {
        #[diesel(sql_type = BigInt)]
        n: i64,
    }
    let mut conn = PgConnection::establish(db).expect("database");
    diesel::sql_query(
        "SELECT xact_commit AS n FROM pg_stat_database WHERE datname = current_database()",
    )
    .get_result::<Row>(&mut conn)
    .expect("pg_stat_database")
    .n
}

/// Committed transactions per second of the database over `secs` (the probe's
/// own two connections' transactions are not subtracted: ~1 per probe).
fn xact_rate(db: &str, secs: u64) -> f64 {
    let a = xact_commit(db);
    std::thread::sleep(Duration::from_secs(secs));
    // Statistics are flushed by backends at most once a second.
    let b = xact_commit(db);
    (b - a) as f64 / secs as f64
}

fn wrk(url: &str, secs: u64) -> f64 {
    let out = Command::new("wrk")
        .args(["-t1", "-c32", &format!("-d{secs}s"), url])
        .output()
        .expect("wrk (apt-get install -y wrk)");
    let text = String::from_utf8_lossy(&out.stdout);
    text.lines()
        .find_map(|l| l.strip_prefix("Requests/sec:"))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or_else(|| panic!("wrk said: {text}"))
}

/// Opens `n` streams of `contest` on a runtime of their own; every `result`
/// event after each stream's first is recorded with its arrival time.
struct Streams {
    arrivals: Arc<Mutex<Vec<Instant>>>,
    open: Arc<std::sync::atomic::AtomicUsize>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Streams {
    fn open(base: &str, contest: &str, n: usize) -> Streams {
        let arrivals = Arc::new(Mutex::new(Vec::new()));
        let open = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let url = format!("{base}/v1/contests/{contest}/results/stream");
        let (a, o) = (arrivals.clone(), open.clone());
        let thread = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(async move {
                let client = reqwest::Client::builder()
                    .pool_max_idle_per_host(0)
                    .build()
                    .unwrap();
                for _ in 0..n {
                    let (client, url, a, o) = (client.clone(), url.clone(), a.clone(), o.clone());
                    tokio::spawn(async move {
                        let Ok(mut res) = client.get(&url).send().await else {
                            return;
                        };
                        if !res.status().is_success() {
                            return;
                        }
                        o.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                        let mut seen = 0;
                        while let Ok(Some(chunk)) = res.chunk().await {
                            let text = String::from_utf8_lossy(&chunk);
                            for _ in text.matches("event: result").take(1) {
                                seen += 1;
                                if seen > 1 {
                                    a.lock().unwrap().push(Instant::now());
                                }
                            }
                        }
                    });
                    tokio::task::yield_now().await;
                }
                let _ = stopped.await;
            });
        });
        let s = Streams {
            arrivals,
            open,
            stop: Some(stop),
            thread: Some(thread),
        };
        let deadline = Instant::now() + Duration::from_secs(60);
        while s.open.load(std::sync::atomic::Ordering::SeqCst) < n && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(50));
        }
        s
    }

    fn close(mut self) -> Vec<Instant> {
        let _ = self.stop.take().unwrap().send(());
        let _ = self.thread.take().unwrap().join();
        std::mem::take(&mut *self.arrivals.lock().unwrap())
    }
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

/// Starts a replica of `primary` under `root/replica` with `pg_basebackup -R`,
/// replaying `lag_ms` behind.
fn replica(bins: &PgBinaries, primary: &Cluster, root: &Path, lag_ms: u64) -> Cluster {
    let dir = root.join("replica");
    let basebackup = bins.bindir().join("pg_basebackup");
    let port = primary.port().to_string();
    let args = [
        "-D",
        dir.to_str().unwrap(),
        "-R",
        "-X",
        "stream",
        "-c",
        "fast",
        "-h",
        "127.0.0.1",
        "-p",
        &port,
        "-U",
        "postgres",
    ];
    let root_user = Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| o.stdout.starts_with(b"0\n"));
    let status = if root_user {
        Command::new("runuser")
            .args(["-u", "postgres", "--"])
            .arg(&basebackup)
            .args(args)
            .status()
    } else {
        Command::new(&basebackup).args(args).status()
    }
    .expect("pg_basebackup");
    assert!(status.success(), "pg_basebackup failed");
    let conf = dir.join("postgresql.conf");
    let mut text = std::fs::read_to_string(&conf).unwrap();
    text.push_str(&format!("\nrecovery_min_apply_delay = '{lag_ms}ms'\n"));
    std::fs::write(&conf, text).unwrap();
    Cluster::start_with(bins, &dir, &options()).expect("start replica")
}

fn options() -> ClusterOptions {
    ClusterOptions {
        durable: false,
        max_connections: 300,
        ..ClusterOptions::default()
    }
}

fn main() {
    let args: HashMap<String, String> = std::env::args()
        .skip(1)
        .filter_map(|a| a.split_once('=').map(|(k, v)| (k.to_owned(), v.to_owned())))
        .collect();
    let arg = |k: &str, d: &str| args.get(k).cloned().unwrap_or_else(|| d.to_owned());
    let bin = PathBuf::from(arg("bin", "target/debug/christen"));
    let secs: u64 = arg("secs", "8").parse().unwrap();
    let lag_ms: u64 = arg("lag_ms", "500").parse().unwrap();
    let trials: usize = arg("trials", "5").parse().unwrap();
    let streams_n: usize = arg("streams", "1000").parse().unwrap();

    let bins = PgBinaries::locate().expect("PostgreSQL binaries");
    let root = std::env::temp_dir().join(format!("christen-feed-bench-{}", std::process::id()));
    std::fs::create_dir_all(&root).unwrap();
    std::fs::set_permissions(&root, std::os::unix::fs::PermissionsExt::from_mode(0o777)).unwrap();
    let primary = Cluster::start_with(&bins, &root.join("primary"), &options()).expect("primary");
    let mut conn = PgConnection::establish(&primary.url("postgres")).unwrap();
    diesel::sql_query("CREATE DATABASE christen")
        .execute(&mut conn)
        .unwrap();
    let db = primary.url("christen");
    let out = Command::new(&bin)
        .arg("migrate")
        .env("DATABASE_URL", &db)
        .output()
        .unwrap();
    assert!(out.status.success(), "migrate: {out:?}");
    let replica = replica(&bins, &primary, &root, lag_ms);
    let out = Command::new(&bin)
        .args(["org", "create", "--name", "Feed bench", "--json"])
        .env("DATABASE_URL", &db)
        .output()
        .unwrap();
    let org: Value = serde_json::from_slice(&out.stdout).expect("org create --json");
    let key = org["api_key"].as_str().unwrap().to_owned();
    println!(
        "== christen {} ; load average {}",
        bin.display(),
        std::fs::read_to_string("/proc/loadavg")
            .unwrap_or_default()
            .trim()
    );

    let a = serve(&bin, &db, None);
    let env = Env {
        url: a.url.clone(),
        key: key.clone(),
        db: db.clone(),
        client: Client::builder()
            .timeout(Duration::from_secs(60))
            .build()
            .unwrap(),
    };

    // 1. cached results against /healthz.
    let (contest, candidates) = env.contest(5);
    for k in 0..50 {
        env.cast(&contest, &candidates, k);
    }
    let results = format!("{}/v1/contests/{contest}/results", a.url);
    env.client.get(&results).send().unwrap();
    let health = wrk(&format!("{}/healthz", a.url), secs);
    let cached = wrk(&results, secs);
    println!(
        "1. wrk -c32 {secs}s: GET …/results {cached:.0}/s, GET /healthz {health:.0}/s: {:.2}x",
        cached / health
    );

    // 2. database transactions per second, without and with 200 idle streams.
    // An idle backend reports its statistics up to 10 s late: let the pool's
    // connections report wrk's requests first.
    std::thread::sleep(Duration::from_secs(12));
    let idle = xact_rate(&db, 10);
    let s = Streams::open(&a.url, &contest, 200);
    std::thread::sleep(Duration::from_secs(3));
    let with = xact_rate(&db, 10);
    drop(s.close());
    println!(
        "2. database commits/s: {idle:.1} with no stream, {with:.1} with 200 idle streams: {:.1}/s caused by the streams",
        with - idle
    );

    // 3. ballot → event on many streams, each ballot cast through the
    // instance serving the streams, then through another instance.
    let other = serve(&bin, &db, None);
    for (label, via) in [
        ("the same instance", &a.url),
        ("another instance", &other.url),
    ] {
        let (contest, candidates) = env.contest(1);
        env.cast(&contest, &candidates, 0);
        env.client
            .get(format!("{}/v1/contests/{contest}/results", a.url))
            .send()
            .unwrap();
        let s = Streams::open(&a.url, &contest, streams_n);
        let opened = s.open.load(std::sync::atomic::Ordering::SeqCst);
        std::thread::sleep(Duration::from_secs(3));
        s.arrivals.lock().unwrap().clear();
        let through = Env {
            url: via.clone(),
            key: key.clone(),
            db: db.clone(),
            client: env.client.clone(),
        };
        let mut casts = Vec::new();
        for k in 1..=10 {
            through.cast(&contest, &candidates, k);
            casts.push(Instant::now());
            std::thread::sleep(Duration::from_millis(2500));
        }
        let arrivals = s.close();
        let mut delays: Vec<f64> = arrivals
            .iter()
            .filter_map(|t| {
                casts
                    .iter()
                    .rev()
                    .find(|c| *c <= t)
                    .map(|c| t.duration_since(*c).as_secs_f64() * 1e3)
            })
            .collect();
        delays.sort_by(|x, y| x.partial_cmp(y).unwrap());
        println!(
            "3. ballot through {label} → event on {opened} streams: {} events for 10 ballots, p50 {:.0} ms, p99 {:.0} ms",
            delays.len(),
            percentile(&delays, 0.5),
            percentile(&delays, 0.99)
        );
    }
    drop(other);
    drop(a);

    // 4. export right after close through an instance reading from a lagging replica.
    let b = serve(&bin, &db, Some(&replica.url("christen")));
    let env = Env {
        url: b.url.clone(),
        ..env
    };
    let mut complete = 0;
    for _ in 0..trials {
        let (contest, candidates) = env.contest(5);
        for k in 0..20 {
            env.cast(&contest, &candidates, k);
        }
        env.call(
            reqwest::Method::POST,
            &format!("/v1/contests/{contest}/phase"),
            Some(json!({ "to": "closed" })),
        );
        let export = env
            .client
            .get(format!("{}/v1/contests/{contest}/ballots", b.url))
            .send()
            .unwrap();
        let status = export.status();
        let digest = export
            .headers()
            .get("x-ballot-digest")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_owned();
        let lines = export.text().unwrap_or_default().lines().count();
        let result: Value = env
            .client
            .get(format!("{}/v1/contests/{contest}/results", b.url))
            .send()
            .unwrap()
            .json()
            .unwrap_or(Value::Null);
        let ok = status.is_success()
            && result["final"] == json!(true)
            && result["ballot_digest"].as_str() == Some(digest.as_str());
        println!(
            "   trial: export {status}, {lines} lines, final {}, digests equal {ok}",
            result["final"]
        );
        complete += usize::from(ok);
    }
    println!(
        "4. export right after close, replica {lag_ms} ms behind as DATABASE_READ_URL: {complete}/{trials} complete and equal to the final ballot_digest"
    );
    drop(b);
    drop(replica);
    drop(primary);
    let _ = std::fs::remove_dir_all(&root);
}
