//! The load generator behind `benches/load.sh` (not a test; `harness = false`).
//!
//! `cast`: creates a voting contest, mints N voter tokens first (with the server
//! secret, as `POST …/voters` would), then casts N ballots with C concurrent
//! voters (tasks of one async client on one thread), one per token, or with
//! `replace=P`, P percent of them replacing an earlier voter's ballot, and
//! prints ballots/s and latency percentiles.
//! `big`: loads a contest with B ballots straight into PostgreSQL (skewed random
//! rankings) and times a results request cold, then cached.
//!
//! Arguments are `key=value` pairs (see `load.sh`); anything else (such as the
//! `--bench` cargo adds) is ignored.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use christen::config::Secret;
use christen::domain::Electorate;
use diesel::prelude::*;
use diesel::sql_types::{Integer, Text, Uuid as SqlUuid};
use reqwest::blocking::Client;
use serde_json::{json, Value};

struct Env {
    url: String,
    key: String,
    secret: String,
    db: String,
    client: Client,
}

impl Env {
    fn admin(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Value {
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

    /// A contest in `voting` with `n` approved candidates; returns its id.
    fn voting_contest(&self, n: i32, visibility: &str) -> String {
        let c = self.admin(
            reqwest::Method::POST,
            "/v1/contests",
            Some(
                json!({ "title": "Load test", "method": "irv", "results_visibility": visibility }),
            ),
        );
        let id = c["id"].as_str().unwrap().to_owned();
        let phase = format!("/v1/contests/{id}/phase");
        self.admin(
            reqwest::Method::POST,
            &phase,
            Some(json!({ "to": "suggesting" })),
        );
        let mut conn = PgConnection::establish(&self.db).expect("database");
        diesel::sql_query(
            "INSERT INTO suggestions (id, contest_id, candidate_no, name, dedupe_key, status)
             SELECT gen_random_uuid(), $1, i, 'Name ' || i, 'name' || i, 'approved'
               FROM generate_series(1, $2) AS i",
        )
        .bind::<SqlUuid, _>(id.parse::<uuid::Uuid>().unwrap())
        .bind::<Integer, _>(n)
        .execute(&mut conn)
        .expect("candidates");
        self.admin(
            reqwest::Method::POST,
            &phase,
            Some(json!({ "to": "voting" })),
        );
        id
    }

    fn candidates(&self, contest: &str) -> Vec<String> {
        #[derive(QueryableByName)]
        struct Row {
            #[diesel(sql_type = Text)]
            id: String,
        }
        let mut conn = PgConnection::establish(&self.db).expect("database");
        diesel::sql_query(
            "SELECT id::text AS id FROM suggestions WHERE contest_id = $1 ORDER BY candidate_no",
        )
        .bind::<SqlUuid, _>(contest.parse::<uuid::Uuid>().unwrap())
        .load::<Row>(&mut conn)
        .expect("candidates")
        .into_iter()
        .map(|r| r.id)
        .collect()
    }
}

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i].as_secs_f64() * 1000.0
}

/// Casts `n` ballots with `c` concurrent voters; `replace` percent of them
/// re-use the token of an earlier cast (a replacement) instead of a new voter.
fn cast(env: &Env, n: usize, c: usize, replace: u64) {
    let contest = env.voting_contest(8, "live");
    let candidates = env.candidates(&contest);
    let now = chrono::Utc::now();
    let secret = Secret::new(env.secret.clone());
    let tokens: Vec<String> = (0..n)
        .map(|_| {
            christen::api::voter::issue_token(
                &secret,
                contest.parse().unwrap(),
                Electorate::Open,
                uuid::Uuid::new_v4(),
                now,
                now + chrono::Duration::days(1),
            )
            .expect("token")
            .token
        })
        .collect();
    let tokens = Arc::new(tokens);
    let candidates = Arc::new(candidates);
    let next = Arc::new(AtomicUsize::new(0));
    let url = format!("{}/v1/contests/{contest}/ballot", env.url);
    // One async client on a one-thread runtime driving C voters: the
    // generator shares the machine with the service and PostgreSQL, so it
    // should cost as little CPU as it can (32 blocking clients each ran a
    // runtime thread of their own).
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .pool_max_idle_per_host(c)
        .build()
        .unwrap();
    let started = Instant::now();
    let results = runtime.block_on(async {
        let voters: Vec<_> = (0..c)
            .map(|t| {
                let (tokens, candidates, next, url, client) = (
                    tokens.clone(),
                    candidates.clone(),
                    next.clone(),
                    url.clone(),
                    client.clone(),
                );
                tokio::task::spawn(async move {
                    let mut latencies = Vec::new();
                    let mut errors: HashMap<u16, usize> = HashMap::new();
                    let mut k = t as u64;
                    loop {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        if i >= tokens.len() {
                            break;
                        }
                        k = k
                            .wrapping_mul(6364136223846793005)
                            .wrapping_add(1442695040888963407);
                        // A replacement: an earlier voter (one of the first
                        // `i`, all cast or casting) votes again.
                        let voter = if i > 0 && (k >> 24) % 100 < replace {
                            (k >> 12) as usize % i
                        } else {
                            i
                        };
                        let m = candidates.len();
                        let len = 1 + (k >> 33) as usize % 4;
                        let ranking: Vec<&String> = (0..len)
                            .map(|j| &candidates[((k >> 40) as usize + j) % m])
                            .collect();
                        let t0 = Instant::now();
                        let res = client
                            .put(&url)
                            .bearer_auth(&tokens[voter])
                            .json(&json!({ "ranking": ranking }))
                            .send()
                            .await;
                        let status = match res {
                            Ok(r) => {
                                let status = r.status();
                                // Read the body so the connection is reused.
                                let _ = r.bytes().await;
                                status.is_success().then_some(()).ok_or(status.as_u16())
                            }
                            Err(_) => Err(0),
                        };
                        latencies.push(t0.elapsed());
                        if let Err(code) = status {
                            *errors.entry(code).or_default() += 1;
                        }
                    }
                    (latencies, errors)
                })
            })
            .collect();
        let mut all = Vec::new();
        for v in voters {
            all.push(v.await.expect("voter task"));
        }
        all
    });
    let mut latencies = Vec::new();
    let mut errors: HashMap<u16, usize> = HashMap::new();
    for (l, e) in results {
        latencies.extend(l);
        for (k, v) in e {
            *errors.entry(k).or_default() += v;
        }
    }
    let elapsed = started.elapsed().as_secs_f64();
    latencies.sort();
    println!(
        "service: {n} ballots, {c} concurrent voters: {:.0} ballots/s; latency ms p50 {:.1} p90 {:.1} p99 {:.1} max {:.1}; errors {:?}",
        n as f64 / elapsed,
        percentile(&latencies, 0.5),
        percentile(&latencies, 0.9),
        percentile(&latencies, 0.99),
        percentile(&latencies, 1.0),
        errors
    );
    println!("contest={contest}");
}

fn big(env: &Env, ballots: i64) {
    let contest = env.voting_contest(10, "live");
    let mut conn = PgConnection::establish(&env.db).expect("database");
    let t0 = Instant::now();
    // Skewed rankings: a weighted random order of the 10 candidates (candidate
    // c has weight 1/c, Plackett-Luce by exponential races), 1 to 6 long.
    diesel::sql_query(
        "INSERT INTO ballots (contest_id, voter_hash, ranking, receipt)
         SELECT $1, sha256(('load-' || i)::bytea),
                (SELECT array_agg(c) FROM (
                    SELECT c FROM generate_series(1, 10) AS c
                     ORDER BY -ln(1.0 - random()) * c + i * 0
                     LIMIT 1 + floor(random() * random() * 6)::int) AS o),
                md5(i::text || random()::text)
           FROM generate_series(1, $2) AS i",
    )
    .bind::<SqlUuid, _>(contest.parse::<uuid::Uuid>().unwrap())
    .bind::<diesel::sql_types::BigInt, _>(ballots)
    .execute(&mut conn)
    .expect("loading ballots");
    diesel::sql_query("ANALYZE ballots")
        .execute(&mut conn)
        .unwrap();
    println!(
        "loaded {ballots} ballots with SQL in {:.1} s",
        t0.elapsed().as_secs_f64()
    );
    let path = format!("/v1/contests/{contest}/results");
    let time = |label: &str| {
        let t = Instant::now();
        let r = env.admin(reqwest::Method::GET, &path, None);
        let ms = t.elapsed().as_secs_f64() * 1000.0;
        println!(
            "results {label}: {ms:.1} ms (ballots_counted {}, winners {:?})",
            r["ballots_counted"],
            r["winners"]
                .as_array()
                .map(|w| w.iter().map(|c| c["name"].clone()).collect::<Vec<_>>())
        );
        ms
    };
    time("cold");
    let mut cached: Vec<f64> = (0..20).map(|_| 0.0).collect();
    for slot in cached.iter_mut() {
        let t = Instant::now();
        env.admin(reqwest::Method::GET, &path, None);
        *slot = t.elapsed().as_secs_f64() * 1000.0;
    }
    cached.sort_by(|a, b| a.partial_cmp(b).unwrap());
    println!(
        "results cached: p50 {:.1} ms, max {:.1} ms (20 requests)",
        cached[10], cached[19]
    );
    let (rows, distinct): (i64, i64) = {
        #[derive(QueryableByName)]
        struct R {
            #[diesel(sql_type = diesel::sql_types::BigInt)]
            rows: i64,
            #[diesel(sql_type = diesel::sql_types::BigInt)]
            distinct: i64,
        }
        let r: R = diesel::sql_query(
            "SELECT count(*) AS rows, count(DISTINCT ranking) AS distinct FROM ballots WHERE contest_id = $1",
        )
        .bind::<SqlUuid, _>(contest.parse::<uuid::Uuid>().unwrap())
        .get_result(&mut conn)
        .unwrap();
        (r.rows, r.distinct)
    };
    println!("({rows} ballots, {distinct} distinct rankings)");
    // Close it: the final result is computed once, then frozen.
    env.admin(
        reqwest::Method::POST,
        &format!("/v1/contests/{contest}/phase"),
        Some(json!({ "to": "closed" })),
    );
    time("final, cold");
    time("final, cached");
}

fn main() {
    let args: HashMap<String, String> = std::env::args()
        .skip(1)
        .filter_map(|a| a.split_once('=').map(|(k, v)| (k.to_owned(), v.to_owned())))
        .collect();
    let get = |k: &str| {
        args.get(k)
            .cloned()
            .unwrap_or_else(|| panic!("missing {k}=…"))
    };
    let env = Env {
        url: get("url"),
        key: get("key"),
        secret: get("secret"),
        db: get("db"),
        client: Client::builder()
            .timeout(Duration::from_secs(120))
            .build()
            .unwrap(),
    };
    match get("mode").as_str() {
        "cast" => cast(
            &env,
            get("n").parse().unwrap(),
            get("c").parse().unwrap(),
            args.get("replace").map_or(0, |r| r.parse().unwrap()),
        ),
        "big" => big(&env, get("ballots").parse().unwrap()),
        other => panic!("unknown mode {other}"),
    }
}
