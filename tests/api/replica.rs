//! Reads through a lagging streaming replica (`DATABASE_READ_URL`, issue 12):
//! two instances on a throwaway primary and a replica of it made with
//! `pg_basebackup -R`, replaying `recovery_min_apply_delay` behind. What is
//! about a closed contest (its export, its final result) is complete on both
//! instances right after the close; a ballot through one reaches a stream on
//! the other.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use actix_web::dev::ServerHandle;
use christen::config::Secret;
use christen::pgcluster::{Cluster, ClusterOptions, PgBinaries};
use christen::startup::Application;
use diesel::prelude::*;
use diesel::sql_types::{Text, Uuid as SqlUuid};
use reqwest::blocking::Client;
use serde_json::{json, Value};

use crate::helpers::{test_config, TEST_SECRET};

/// How far the replica replays behind the primary.
const LAG: &str = "1s";

/// A primary and its streaming replica, stopped and removed on drop.
struct Replicated {
    root: PathBuf,
    primary: Option<Cluster>,
    replica: Option<Cluster>,
}

impl Drop for Replicated {
    fn drop(&mut self) {
        drop(self.replica.take());
        drop(self.primary.take());
        let _ = std::fs::remove_dir_all(&self.root);
    }
}

fn options() -> ClusterOptions {
    ClusterOptions {
        durable: false,
        ..ClusterOptions::default()
    }
}

/// Runs `pg_basebackup` (as `postgres` when we are root: the server refuses
/// to run as root, and the copy must be its user's).
fn basebackup(bins: &PgBinaries, port: u16, dir: &Path) {
    let program = bins.bindir().join("pg_basebackup");
    let port = port.to_string();
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
    let root = Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| o.stdout.starts_with(b"0\n"));
    let status = if root {
        Command::new("runuser")
            .args(["-u", "postgres", "--"])
            .arg(&program)
            .args(args)
            .status()
    } else {
        Command::new(&program).args(args).status()
    }
    .expect("running pg_basebackup");
    assert!(status.success(), "pg_basebackup failed");
}

/// A throwaway primary with a migrated database `christen`, and a replica of
/// it lagging [`LAG`] behind.
fn replicated() -> Replicated {
    let bins = PgBinaries::locate().expect("PostgreSQL server binaries");
    let root = std::env::temp_dir().join(format!(
        "christen-replica-test-{}-{}",
        std::process::id(),
        uuid::Uuid::new_v4().simple()
    ));
    std::fs::create_dir_all(&root).unwrap();
    std::fs::set_permissions(&root, std::os::unix::fs::PermissionsExt::from_mode(0o777)).unwrap();
    let mut r = Replicated {
        root: root.clone(),
        primary: None,
        replica: None,
    };
    let primary = Cluster::start_with(&bins, &root.join("primary"), &options()).expect("primary");
    let mut conn = PgConnection::establish(&primary.url("postgres")).unwrap();
    diesel::sql_query("CREATE DATABASE christen")
        .execute(&mut conn)
        .unwrap();
    christen::db::migrate_url(&primary.url("christen")).expect("migrating");
    let dir = root.join("replica");
    basebackup(&bins, primary.port(), &dir);
    let conf = dir.join("postgresql.conf");
    let mut text = std::fs::read_to_string(&conf).unwrap();
    text.push_str(&format!("\nrecovery_min_apply_delay = '{LAG}'\n"));
    std::fs::write(&conf, text).unwrap();
    r.primary = Some(primary);
    r.replica = Some(Cluster::start_with(&bins, &dir, &options()).expect("replica"));
    r
}

struct Instance {
    address: String,
    handle: ServerHandle,
}

impl Drop for Instance {
    fn drop(&mut self) {
        let handle = self.handle.clone();
        actix_web::rt::System::new().block_on(handle.stop(false));
    }
}

/// An instance on the primary that reads from the replica.
fn instance(primary: &str, replica: &str) -> Instance {
    let mut config = test_config(primary, 4);
    config.database_read_url = Some(Secret::new(replica));
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        actix_web::rt::System::new().block_on(async move {
            let app = Application::build(config).expect("building the application");
            let _ = tx.send((app.port(), app.handle()));
            let _ = app.run_until_stopped().await;
        })
    });
    let (port, handle) = rx.recv().expect("server thread ended");
    Instance {
        address: format!("http://127.0.0.1:{port}"),
        handle,
    }
}

fn token(contest: &str) -> String {
    let now = chrono::Utc::now();
    christen::api::voter::issue_token(
        &Secret::new(TEST_SECRET),
        contest.parse().unwrap(),
        christen::domain::Electorate::Open,
        uuid::Uuid::new_v4(),
        now,
        now + chrono::Duration::days(1),
    )
    .unwrap()
    .token
}

fn read_until(res: &mut reqwest::blocking::Response, seen: &mut String, needle: &str) {
    let deadline = Instant::now() + Duration::from_secs(20);
    let mut buf = [0u8; 8192];
    while !seen.contains(needle) {
        assert!(Instant::now() < deadline, "no `{needle}` in: {seen}");
        let n = res.read(&mut buf).expect("reading the stream");
        assert!(n > 0, "stream ended before `{needle}`: {seen}");
        seen.push_str(&String::from_utf8_lossy(&buf[..n]));
    }
}

#[test]
fn with_a_lagging_replica_both_instances_are_complete_after_close() {
    let r = replicated();
    let primary = r.primary.as_ref().unwrap().url("christen");
    let replica = r.replica.as_ref().unwrap().url("christen");
    let mut conn = PgConnection::establish(&primary).unwrap();
    let org = christen::app::orgs::create_org(&mut conn, "City Library").unwrap();
    let a = instance(&primary, &replica);
    let b = instance(&primary, &replica);
    let client = Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap();
    let admin = |method: reqwest::Method, path: &str, body: Value| {
        let res = client
            .request(method, format!("{}{path}", a.address))
            .bearer_auth(&org.api_key)
            .json(&body)
            .send()
            .unwrap();
        assert!(res.status().is_success(), "{path}: {}", res.status());
        res.json::<Value>().unwrap()
    };
    let contest = admin(
        reqwest::Method::POST,
        "/v1/contests",
        json!({ "title": "Name the blog", "method": "irv",
                "results_visibility": "live", "live_results_min_batch": 1 }),
    )["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let phase = format!("/v1/contests/{contest}/phase");
    admin(reqwest::Method::POST, &phase, json!({ "to": "suggesting" }));
    let mut ids = Vec::new();
    for (i, name) in ["Quill", "Ink", "Nib"].iter().enumerate() {
        let id = uuid::Uuid::new_v4();
        diesel::sql_query(
            "INSERT INTO suggestions (id, contest_id, candidate_no, name, dedupe_key, status)
             VALUES ($1, $2, $3, $4, lower($4), 'approved')",
        )
        .bind::<SqlUuid, _>(id)
        .bind::<SqlUuid, _>(contest.parse::<uuid::Uuid>().unwrap())
        .bind::<diesel::sql_types::Integer, _>(i as i32 + 1)
        .bind::<Text, _>(*name)
        .execute(&mut conn)
        .unwrap();
        ids.push(id.to_string());
    }
    admin(reqwest::Method::POST, &phase, json!({ "to": "voting" }));
    let cast = |through: &Instance, k: usize| {
        let ranking: Vec<&String> = (0..2).map(|j| &ids[(k + j) % ids.len()]).collect();
        let res = client
            .put(format!("{}/v1/contests/{contest}/ballot", through.address))
            .bearer_auth(token(&contest))
            .json(&json!({ "ranking": ranking }))
            .send()
            .unwrap();
        assert_eq!(res.status(), 201, "{:?}", res.text());
    };

    // A ballot through A reaches a stream through B (whose reads the replica
    // would serve a second late: B reads the primary until it caught up).
    let streams = Client::builder().timeout(None).build().unwrap();
    let mut stream = streams
        .get(format!(
            "{}/v1/contests/{contest}/results/stream",
            b.address
        ))
        .send()
        .unwrap();
    assert_eq!(stream.status(), 200);
    let mut seen = String::new();
    read_until(&mut stream, &mut seen, "\"ballots_counted\":0");
    cast(&a, 0);
    read_until(&mut stream, &mut seen, "\"ballots_counted\":1");

    // More ballots through both, then the close, then at once the export and
    // the results through each instance.
    for k in 1..10 {
        cast(if k % 2 == 0 { &a } else { &b }, k);
    }
    admin(reqwest::Method::POST, &phase, json!({ "to": "closed" }));
    for inst in [&a, &b] {
        let export = client
            .get(format!("{}/v1/contests/{contest}/ballots", inst.address))
            .send()
            .unwrap();
        assert_eq!(export.status(), 200);
        let digest = export.headers()["x-ballot-digest"]
            .to_str()
            .unwrap()
            .to_owned();
        // The phase change reaches B's cache within a feed poll; until then
        // B may still serve the live result (never one missing ballots).
        let deadline = Instant::now() + Duration::from_secs(5);
        let result = loop {
            let res = client
                .get(format!("{}/v1/contests/{contest}/results", inst.address))
                .send()
                .unwrap();
            let result: Value = res.json().unwrap();
            if result["final"] == true {
                break result;
            }
            assert!(Instant::now() < deadline, "not final: {result}");
            std::thread::sleep(Duration::from_millis(50));
        };
        assert_eq!(result["ballots_counted"], 10, "{result}");
        assert_eq!(result["ballot_digest"], json!(digest), "{result}");
    }
    read_until(&mut stream, &mut seen, "\"final\":true");
}
