//! `spawn_app()` and the test's view of the service.

#![allow(dead_code)]

use std::sync::mpsc;
use std::time::Duration;

use actix_web::dev::ServerHandle;
use christen::config::Secret;
use christen::db::PoolOptions;
use christen::startup::{AppConfig, Application};
use diesel::{Connection, PgConnection};
use reqwest::blocking::{Client, RequestBuilder, Response};
use serde_json::{json, Value};

use crate::pg::{fresh_database, TestDatabase};

/// A running service with its own database and one organisation.
pub struct TestApp {
    pub address: String,
    pub port: u16,
    pub db: TestDatabase,
    pub org_id: String,
    /// The organisation's first admin key.
    pub api_key: String,
    pub client: Client,
    handle: ServerHandle,
}

pub const TEST_SECRET: &str = "test-secret-test-secret-test-secret-0123456789";

fn migrate(url: &str) {
    christen::db::migrate_url(url).expect("migrating the template database");
}

/// A fresh database with the schema applied.
pub fn fresh_db() -> TestDatabase {
    fresh_database(migrate)
}

/// The configuration of a test instance on `database_url`, on a free port.
pub fn test_config(database_url: &str, pool_size: u32) -> AppConfig {
    AppConfig {
        database_url: Secret::new(database_url),
        database_read_url: None,
        bind: "127.0.0.1:0".into(),
        secret: Secret::new(TEST_SECRET),
        pool: PoolOptions {
            max_size: pool_size,
            connection_timeout: Duration::from_millis(1500),
        },
        max_body_bytes: 64 * 1024,
        max_streams: christen::api::stream::DEFAULT_MAX_STREAMS,
        http: Default::default(),
        open_voter_limit: Default::default(),
        shutdown_timeout: Duration::from_secs(5),
        webhooks: Default::default(),
    }
}

/// Runs the service on its own thread and actix system; returns its port and
/// a handle to stop it.
fn start_server(config: AppConfig) -> (u16, ServerHandle) {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        actix_web::rt::System::new().block_on(async move {
            match Application::build(config) {
                Ok(app) => {
                    let _ = tx.send(Ok((app.port(), app.handle())));
                    let _ = app.run_until_stopped().await;
                }
                Err(e) => {
                    let _ = tx.send(Err(e.to_string()));
                }
            }
        })
    });
    rx.recv()
        .expect("server thread ended")
        .expect("building the application")
}

/// Starts the service on a free port against a fresh database.
pub fn spawn_app() -> TestApp {
    spawn_app_with(|_| {})
}

/// As [`spawn_app`], letting the test adjust the configuration first.
pub fn spawn_app_with(adjust: impl FnOnce(&mut AppConfig)) -> TestApp {
    let db = fresh_db();
    let mut config = test_config(&db.url, 8);
    adjust(&mut config);
    let (port, handle) = start_server(config);
    let mut conn = PgConnection::establish(&db.url).expect("connecting to the test database");
    let org = christen::app::orgs::create_org(&mut conn, "City Library").expect("creating an org");
    TestApp {
        address: format!("http://127.0.0.1:{port}"),
        port,
        db,
        org_id: org.org_id.to_string(),
        api_key: org.api_key,
        client: Client::builder()
            .timeout(Duration::from_secs(30))
            .build()
            .expect("http client"),
        handle,
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        let handle = self.handle.clone();
        actix_web::rt::System::new().block_on(handle.stop(false));
    }
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.address, path)
    }

    /// A request with the admin key.
    pub fn admin(&self, method: reqwest::Method, path: &str) -> RequestBuilder {
        self.as_key(&self.api_key, method, path)
    }

    pub fn as_key(&self, key: &str, method: reqwest::Method, path: &str) -> RequestBuilder {
        self.client.request(method, self.url(path)).bearer_auth(key)
    }

    /// A request without credentials.
    pub fn public(&self, method: reqwest::Method, path: &str) -> RequestBuilder {
        self.client.request(method, self.url(path))
    }

    /// Creates another organisation; returns `(org_id, api_key)`.
    pub fn other_org(&self, name: &str) -> (String, String) {
        let mut conn = self.db.connect();
        let org = christen::app::orgs::create_org(&mut conn, name).expect("creating an org");
        (org.org_id.to_string(), org.api_key)
    }

    /// Creates a contest with `extra` fields over the defaults; returns its JSON.
    pub fn create_contest(&self, extra: Value) -> Value {
        let mut body = json!({ "title": "Name the blog", "method": "irv" });
        if let (Some(b), Some(e)) = (body.as_object_mut(), extra.as_object()) {
            b.extend(e.clone());
        }
        let res = self
            .admin(reqwest::Method::POST, "/v1/contests")
            .json(&body)
            .send()
            .expect("POST /v1/contests");
        assert_eq!(res.status(), 201, "creating a contest: {:?}", res.text());
        res.json().expect("contest JSON")
    }

    /// Moves a contest to `to`, asserting success.
    pub fn move_phase(&self, contest_id: &str, to: &str) -> Value {
        let res = self
            .admin(
                reqwest::Method::POST,
                &format!("/v1/contests/{contest_id}/phase"),
            )
            .json(&json!({ "to": to }))
            .send()
            .expect("POST phase");
        assert_eq!(res.status(), 200, "moving to {to}: {:?}", res.text());
        res.json().expect("contest JSON")
    }
}

/// Asserts a problem+json response with `status` and `code`; returns the body.
pub fn assert_problem(res: Response, status: u16, code: &str) -> Value {
    assert_eq!(res.status().as_u16(), status, "unexpected status");
    let content_type = res
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    assert_eq!(content_type, "application/problem+json");
    let body: Value = res.json().expect("problem body is JSON");
    assert_eq!(body["status"], status, "{body}");
    assert_eq!(body["code"], code, "{body}");
    assert!(body["title"].is_string(), "{body}");
    assert!(
        body["detail"].as_str().is_some_and(|d| !d.is_empty()),
        "{body}"
    );
    assert_eq!(
        body["type"],
        format!("urn:christen:problem:{code}"),
        "{body}"
    );
    body
}

// ---------------------------------------------------------------------------
// Participation: voters and suggestions.

impl TestApp {
    /// A request with a voter token.
    pub fn as_voter(&self, token: &str, method: reqwest::Method, path: &str) -> RequestBuilder {
        self.client
            .request(method, self.url(path))
            .bearer_auth(token)
    }

    /// A fresh voter's token for an `open`-electorate contest, from
    /// `POST /v1/contests/{id}/voters` (counts against the per-address rate limit,
    /// 100 per 10 minutes by default; see [`TestApp::mint_voter_token`]).
    pub fn voter_token(&self, contest_id: &str) -> String {
        let res = self
            .public(
                reqwest::Method::POST,
                &format!("/v1/contests/{contest_id}/voters"),
            )
            .send()
            .expect("POST voters");
        assert_eq!(res.status(), 201, "getting a voter token: {:?}", res.text());
        let body: Value = res.json().expect("token JSON");
        body["token"].as_str().expect("token").to_owned()
    }

    /// A fresh voter's token for an `open`-electorate contest, minted in-process
    /// with the test secret (no HTTP, no rate limit): for tests that need many
    /// voters.
    pub fn mint_voter_token(&self, contest_id: &str) -> String {
        let now = chrono::Utc::now();
        christen::api::voter::issue_token(
            &Secret::new(TEST_SECRET),
            contest_id.parse().expect("contest id"),
            christen::domain::Electorate::Open,
            uuid::Uuid::new_v4(),
            now,
            now + chrono::Duration::days(1),
        )
        .expect("minting a voter token")
        .token
    }

    /// Generates `count` codes for a `codes`-electorate contest.
    pub fn voter_codes(&self, contest_id: &str, count: usize) -> Vec<String> {
        let res = self
            .admin(
                reqwest::Method::POST,
                &format!("/v1/contests/{contest_id}/codes"),
            )
            .json(&json!({ "count": count }))
            .send()
            .expect("POST codes");
        assert_eq!(res.status(), 201, "generating codes: {:?}", res.text());
        let body: Value = res.json().expect("codes JSON");
        body["codes"]
            .as_array()
            .expect("codes")
            .iter()
            .map(|c| c.as_str().expect("code").to_owned())
            .collect()
    }

    /// Exchanges a code for a voter token.
    pub fn voter_token_for_code(&self, contest_id: &str, code: &str) -> String {
        let res = self
            .public(
                reqwest::Method::POST,
                &format!("/v1/contests/{contest_id}/voters"),
            )
            .json(&json!({ "code": code }))
            .send()
            .expect("POST voters");
        assert_eq!(res.status(), 201, "exchanging a code: {:?}", res.text());
        let body: Value = res.json().expect("token JSON");
        body["token"].as_str().expect("token").to_owned()
    }

    /// Creates a contest with `extra` settings and opens it for suggestions;
    /// returns its id.
    pub fn suggesting_contest(&self, extra: Value) -> String {
        let c = self.create_contest(extra);
        let id = c["id"].as_str().expect("contest id").to_owned();
        self.move_phase(&id, "suggesting");
        id
    }

    /// `POST …/suggestions {name}` with `token`.
    pub fn suggest(&self, contest_id: &str, token: &str, name: &str) -> Response {
        self.as_voter(
            token,
            reqwest::Method::POST,
            &format!("/v1/contests/{contest_id}/suggestions"),
        )
        .json(&json!({ "name": name }))
        .send()
        .expect("POST suggestions")
    }

    /// Suggests `name` as a fresh voter, asserting a 201; returns the suggestion.
    pub fn add_suggestion(&self, contest_id: &str, name: &str) -> Value {
        let token = self.mint_voter_token(contest_id);
        let res = self.suggest(contest_id, &token, name);
        assert_eq!(res.status(), 201, "suggesting {name}: {:?}", res.text());
        res.json().expect("suggestion JSON")
    }

    /// `PATCH …/suggestions/{sid}` with `body` as the admin.
    pub fn moderate(&self, contest_id: &str, suggestion_id: &str, body: Value) -> Response {
        self.admin(
            reqwest::Method::PATCH,
            &format!("/v1/contests/{contest_id}/suggestions/{suggestion_id}"),
        )
        .json(&body)
        .send()
        .expect("PATCH suggestion")
    }

    /// Approves a suggestion, asserting success.
    pub fn approve(&self, contest_id: &str, suggestion_id: &str) -> Value {
        let res = self.moderate(contest_id, suggestion_id, json!({ "status": "approved" }));
        assert_eq!(res.status(), 200, "approving: {:?}", res.text());
        res.json().expect("suggestion JSON")
    }

    /// A contest in phase `voting` whose candidates are `names` (approved, in
    /// this order of candidate number); returns `(contest id, suggestion ids)`.
    pub fn contest_with_candidates(&self, extra: Value, names: &[&str]) -> (String, Vec<String>) {
        let id = self.suggesting_contest(extra);
        let ids: Vec<String> = names
            .iter()
            .map(|n| {
                let s = self.add_suggestion(&id, n);
                let sid = s["id"].as_str().expect("suggestion id").to_owned();
                if s["status"] == "pending" {
                    self.approve(&id, &sid);
                }
                sid
            })
            .collect();
        self.move_phase(&id, "voting");
        (id, ids)
    }
}

/// Another instance of the service on a [`TestApp`]'s database, as a second
/// instance behind a load balancer would be. Stopped on drop.
pub struct Instance {
    pub address: String,
    handle: ServerHandle,
}

impl Instance {
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.address, path)
    }
}

impl Drop for Instance {
    fn drop(&mut self) {
        let handle = self.handle.clone();
        actix_web::rt::System::new().block_on(handle.stop(false));
    }
}

impl TestApp {
    /// Starts another instance on this app's database, configured as
    /// [`spawn_app_with`] would with `adjust`.
    pub fn another_instance(&self, adjust: impl FnOnce(&mut AppConfig)) -> Instance {
        let mut config = test_config(&self.db.url, 4);
        adjust(&mut config);
        let (port, handle) = start_server(config);
        Instance {
            address: format!("http://127.0.0.1:{port}"),
            handle,
        }
    }
}

// --- Ballots, results and export -------------------------------------------

/// A contest in its voting phase with approved candidates.
pub struct VotingContest {
    pub id: String,
    /// Suggestion ids, in candidate-number order.
    pub candidates: Vec<String>,
    pub names: Vec<String>,
}

impl VotingContest {
    /// The suggestion ids of candidates by position, e.g. `ids(&[2, 0])`.
    pub fn ids(&self, positions: &[usize]) -> Vec<String> {
        positions
            .iter()
            .map(|&i| self.candidates[i].clone())
            .collect()
    }
}

impl TestApp {
    /// Adds a suggestion straight to the database (the suggestion API has its own
    /// tests); returns its id.
    pub fn insert_suggestion(&self, contest_id: &str, name: &str, status: &str) -> String {
        use diesel::prelude::*;
        use diesel::sql_types::{Text, Uuid as SqlUuid};
        let id = uuid::Uuid::new_v4();
        let contest: uuid::Uuid = contest_id.parse().unwrap();
        diesel::sql_query(
            "INSERT INTO suggestions (id, contest_id, candidate_no, name, dedupe_key, status)
             SELECT $1, $2, coalesce(max(candidate_no), 0) + 1, $3, lower($3), $4
               FROM suggestions WHERE contest_id = $2",
        )
        .bind::<SqlUuid, _>(id)
        .bind::<SqlUuid, _>(contest)
        .bind::<Text, _>(name)
        .bind::<Text, _>(status)
        .execute(&mut self.db.connect())
        .expect("inserting a suggestion");
        id.to_string()
    }

    /// Creates a contest (`extra` over the defaults), gives it approved candidates
    /// named `names` and moves it to `voting`.
    pub fn voting_contest(&self, extra: Value, names: &[&str]) -> VotingContest {
        let contest = self.create_contest(extra);
        let id = contest["id"].as_str().unwrap().to_owned();
        self.move_phase(&id, "suggesting");
        let candidates = names
            .iter()
            .map(|n| self.insert_suggestion(&id, n, "approved"))
            .collect();
        self.move_phase(&id, "voting");
        VotingContest {
            id,
            candidates,
            names: names.iter().map(|n| (*n).to_owned()).collect(),
        }
    }

    /// `PUT …/ballot` with `ranking` as the voter of `token`.
    pub fn put_ballot(&self, contest_id: &str, token: &str, ranking: &[String]) -> Response {
        self.as_key(
            token,
            reqwest::Method::PUT,
            &format!("/v1/contests/{contest_id}/ballot"),
        )
        .json(&json!({ "ranking": ranking }))
        .send()
        .expect("PUT ballot")
    }

    /// Casts one ballot per entry, each by a new voter, ranking candidates by
    /// position; asserts each is created. Returns the receipts.
    pub fn cast_ballots(
        &self,
        contest: &VotingContest,
        ballots: &[(&[usize], usize)],
    ) -> Vec<String> {
        let mut receipts = Vec::new();
        for (positions, copies) in ballots {
            for _ in 0..*copies {
                let token = self.mint_voter_token(&contest.id);
                let res = self.put_ballot(&contest.id, &token, &contest.ids(positions));
                assert_eq!(res.status(), 201, "casting a ballot: {:?}", res.text());
                let body: Value = res.json().unwrap();
                receipts.push(body["receipt"].as_str().unwrap().to_owned());
            }
        }
        receipts
    }

    /// `GET …/results` as the admin (`admin = true`) or the public.
    pub fn results(&self, contest_id: &str, admin: bool, query: &str) -> Response {
        let path = format!("/v1/contests/{contest_id}/results{query}");
        let req = if admin {
            self.admin(reqwest::Method::GET, &path)
        } else {
            self.public(reqwest::Method::GET, &path)
        };
        req.send().expect("GET results")
    }

    /// `GET …/ballots?format=` as the admin (`admin = true`) or the public.
    pub fn export(&self, contest_id: &str, admin: bool, format: &str) -> Response {
        let path = format!("/v1/contests/{contest_id}/ballots?format={format}");
        let req = if admin {
            self.admin(reqwest::Method::GET, &path)
        } else {
            self.public(reqwest::Method::GET, &path)
        };
        req.send().expect("GET ballots")
    }

    /// Number of stored ballot rows of a contest (tombstones included).
    pub fn ballot_rows(&self, contest_id: &str) -> i64 {
        use diesel::prelude::*;
        use diesel::sql_types::{BigInt, Uuid as SqlUuid};
        #[derive(QueryableByName)]
        struct N {
            #[diesel(sql_type = BigInt)]
            n: i64,
        }
        diesel::sql_query("SELECT count(*) AS n FROM ballots WHERE contest_id = $1")
            .bind::<SqlUuid, _>(contest_id.parse::<uuid::Uuid>().unwrap())
            .get_result::<N>(&mut self.db.connect())
            .unwrap()
            .n
    }
}

/// The names of a result's winners, in order.
pub fn winner_names(result: &Value) -> Vec<String> {
    result["winners"]
        .as_array()
        .expect("winners")
        .iter()
        .map(|w| w["name"].as_str().unwrap().to_owned())
        .collect()
}
