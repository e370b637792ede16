//! Server time per participation page (`cargo bench --bench pages`; not a
//! test: `harness = false`). Starts the real service on a free port against a
//! fresh database on `$DATABASE_URL`'s server (default
//! `postgres://postgres@127.0.0.1:5432/postgres`), builds one contest per
//! phase, then asks each page state `n=` times (default 400, after 50 warm-up
//! requests) over one keep-alive connection and prints percentiles of the
//! server's own time (its `Server-Timing: page;dur=`, from the handler's
//! start to the response: loading, the use cases, rendering) and of the round
//! trip on loopback, in milliseconds. Goal: p50 under 5 ms per page.

use std::sync::mpsc;
use std::time::{Duration, Instant};

use christen::config::Secret;
use christen::db::PoolOptions;
use christen::startup::{AppConfig, Application};
use diesel::{Connection, PgConnection, RunQueryDsl};
use reqwest::blocking::Client;
use serde_json::{json, Value};

struct Bench {
    url: String,
    key: String,
    client: Client,
}

impl Bench {
    fn admin(&self, method: reqwest::Method, path: &str, body: Value) -> Value {
        let res = self
            .client
            .request(method, format!("{}{path}", self.url))
            .bearer_auth(&self.key)
            .json(&body)
            .send()
            .expect("request");
        assert!(res.status().is_success(), "{path}: {}", res.status());
        res.json().unwrap_or(Value::Null)
    }

    fn contest(&self, extra: Value) -> String {
        let mut body =
            json!({ "title": "Name the reading room", "method": "irv", "moderation": "post" });
        for (k, v) in extra.as_object().unwrap() {
            body[k] = v.clone();
        }
        let c = self.admin(reqwest::Method::POST, "/v1/contests", body);
        c["id"].as_str().unwrap().to_owned()
    }

    fn phase(&self, id: &str, to: &str) {
        self.admin(
            reqwest::Method::POST,
            &format!("/v1/contests/{id}/phase"),
            json!({ "to": to }),
        );
    }

    fn voter(&self, id: &str) -> String {
        let res = self
            .client
            .post(format!("{}/v1/contests/{id}/voters", self.url))
            .send()
            .unwrap();
        let body: Value = res.json().unwrap();
        body["token"].as_str().unwrap().to_owned()
    }

    fn suggest(&self, id: &str, name: &str) {
        let token = self.voter(id);
        let res = self
            .client
            .post(format!("{}/v1/contests/{id}/suggestions", self.url))
            .bearer_auth(token)
            .json(&json!({ "name": name }))
            .send()
            .unwrap();
        assert!(res.status().is_success(), "{}", res.status());
    }

    fn ballot(&self, id: &str, token: &str, ranking: &[String]) {
        let res = self
            .client
            .put(format!("{}/v1/contests/{id}/ballot", self.url))
            .bearer_auth(token)
            .json(&json!({ "ranking": ranking }))
            .send()
            .unwrap();
        assert!(res.status().is_success(), "{}", res.status());
    }

    /// `n` timed GETs of `path` with `cookie`: (server ms, round-trip ms).
    fn time(&self, path: &str, cookie: &str, n: usize) -> (Vec<f64>, Vec<f64>) {
        let mut server = Vec::with_capacity(n);
        let mut round = Vec::with_capacity(n);
        for i in 0..n + 50 {
            let start = Instant::now();
            let res = self
                .client
                .get(format!("{}{path}", self.url))
                .header("Cookie", cookie)
                .send()
                .unwrap();
            let timing = res
                .headers()
                .get("server-timing")
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.split("dur=").nth(1))
                .and_then(|v| v.parse::<f64>().ok());
            assert!(res.status().is_success(), "{path}: {}", res.status());
            let _ = res.bytes().unwrap();
            if i >= 50 {
                round.push(start.elapsed().as_secs_f64() * 1000.0);
                server.push(timing.unwrap_or(f64::NAN));
            }
        }
        (server, round)
    }
}

fn pct(v: &mut [f64], p: f64) -> f64 {
    v.sort_by(f64::total_cmp);
    v[((v.len() - 1) as f64 * p).round() as usize]
}

fn main() {
    let n: usize = std::env::args()
        .find_map(|a| a.strip_prefix("n=").and_then(|v| v.parse().ok()))
        .unwrap_or(400);
    let admin_url = std::env::var("DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into());
    let name = format!("christen_bench_pages_{}", std::process::id());
    let mut admin = PgConnection::establish(&admin_url).expect("connecting to PostgreSQL");
    diesel::sql_query(format!("CREATE DATABASE {name}"))
        .execute(&mut admin)
        .unwrap();
    let base = admin_url
        .rsplit_once('/')
        .map_or(admin_url.as_str(), |(b, _)| b);
    let db_url = format!("{base}/{name}");
    christen::db::migrate_url(&db_url).expect("migrating");
    let mut conn = PgConnection::establish(&db_url).unwrap();
    let org = christen::app::orgs::create_org(&mut conn, "Bench Library").unwrap();

    let config = AppConfig {
        database_url: Secret::new(db_url.clone()),
        database_read_url: None,
        bind: "127.0.0.1:0".into(),
        secret: Secret::new("bench-secret-bench-secret-bench-secret-0123456789"),
        pool: PoolOptions {
            max_size: 8,
            connection_timeout: Duration::from_secs(5),
        },
        max_body_bytes: 64 * 1024,
        max_streams: christen::api::stream::DEFAULT_MAX_STREAMS,
        http: Default::default(),
        open_voter_limit: christen::app::voters::OpenVoterLimit {
            max_per_window: 0,
            ..Default::default()
        },
        shutdown_timeout: Duration::from_secs(5),
        webhooks: Default::default(),
    };
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        actix_web::rt::System::new().block_on(async move {
            let app = Application::build(config).expect("building the server");
            let _ = tx.send((app.port(), app.handle()));
            let _ = app.run_until_stopped().await;
        })
    });
    let (port, handle) = rx.recv().unwrap();
    let b = Bench {
        url: format!("http://127.0.0.1:{port}"),
        key: org.api_key,
        client: Client::builder()
            .timeout(Duration::from_secs(30))
            .build()
            .unwrap(),
    };

    // Suggesting: 50 names. Voting: 20 candidates, a voter with a ballot.
    // Closed: 200 ballots counted.
    let suggesting = b.contest(json!({}));
    b.phase(&suggesting, "suggesting");
    for i in 0..50 {
        b.suggest(&suggesting, &format!("Reading room {i}"));
    }
    let voting = b.contest(json!({ "results_visibility": "live", "live_results_min_batch": 1 }));
    b.phase(&voting, "suggesting");
    for i in 0..20 {
        b.suggest(&voting, &format!("Candidate {i}"));
    }
    b.phase(&voting, "voting");
    let list = |id: &str| -> Vec<String> {
        let v: Value = b
            .client
            .get(format!("{}/v1/contests/{id}/suggestions?limit=100", b.url))
            .send()
            .unwrap()
            .json()
            .unwrap();
        v["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["id"].as_str().unwrap().to_owned())
            .collect()
    };
    let ids = list(&voting);
    let token = b.voter(&voting);
    b.ballot(&voting, &token, &ids[..5]);
    let closed = b.contest(json!({}));
    b.phase(&closed, "suggesting");
    for i in 0..10 {
        b.suggest(&closed, &format!("Name {i}"));
    }
    b.phase(&closed, "voting");
    let cids = list(&closed);
    for i in 0..200 {
        let t = b.voter(&closed);
        let mut r = cids.clone();
        r.rotate_left(i % cids.len());
        b.ballot(&closed, &t, &r[..3]);
    }
    b.phase(&closed, "closed");

    let browser = "christen_b=0123456789abcdef0123456789abcdef";
    let with_voter = format!("{browser}; christen_v={token}");
    let cases = [
        (
            "suggesting, 50 names",
            format!("/c/{suggesting}?lang=en"),
            browser.to_owned(),
        ),
        (
            "voting, no voter yet",
            format!("/c/{voting}?lang=fr"),
            browser.to_owned(),
        ),
        (
            "voting, voter with a ballot",
            format!("/c/{voting}?lang=de&m=cast"),
            with_voter,
        ),
        (
            "closed, results",
            format!("/c/{closed}?lang=es"),
            browser.to_owned(),
        ),
        (
            "embed page, live results",
            format!("/embed/contests/{voting}"),
            String::new(),
        ),
    ];
    println!("participation pages, {n} requests each, milliseconds");
    println!(
        "{:<30} {:>10} {:>10} {:>10} {:>12}",
        "page", "server p50", "server p90", "server p99", "round p50"
    );
    for (label, path, cookie) in cases {
        let (mut server, mut round) = b.time(&path, &cookie, n);
        if server.iter().all(|x| x.is_nan()) {
            println!(
                "{label:<30} {:>10} {:>10} {:>10} {:>12.3}",
                "-",
                "-",
                "-",
                pct(&mut round, 0.5)
            );
        } else {
            println!(
                "{label:<30} {:>10.3} {:>10.3} {:>10.3} {:>12.3}",
                pct(&mut server, 0.5),
                pct(&mut server, 0.9),
                pct(&mut server, 0.99),
                pct(&mut round, 0.5)
            );
        }
    }

    actix_web::rt::System::new().block_on(handle.stop(true));
    drop(conn);
    let _ = diesel::sql_query(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        .execute(&mut admin);
}
