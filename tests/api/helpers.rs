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

/// Starts the service on a free port against a fresh database.
pub fn spawn_app() -> TestApp {
    spawn_app_with(|_| {})
}

/// As [`spawn_app`], letting the test adjust the configuration first.
pub fn spawn_app_with(adjust: impl FnOnce(&mut AppConfig)) -> TestApp {
    let db = fresh_db();
    let mut config = AppConfig {
        database_url: Secret::new(db.url.clone()),
        database_read_url: None,
        bind: "127.0.0.1:0".into(),
        secret: Secret::new(TEST_SECRET),
        pool: PoolOptions {
            max_size: 8,
            connection_timeout: Duration::from_millis(1500),
        },
        max_body_bytes: 64 * 1024,
        shutdown_timeout: Duration::from_secs(5),
    };
    adjust(&mut config);
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
    let (port, handle) = rx
        .recv()
        .expect("server thread ended")
        .expect("building the application");
    let mut conn = PgConnection::establish(&db.url).expect("connecting to the test database");
    let org = christen::cli::org::create_org(&mut conn, "City Library").expect("creating an org");
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
        let org = christen::cli::org::create_org(&mut conn, name).expect("creating an org");
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
