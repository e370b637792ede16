//! Signed webhooks, delivered over HTTP to a real receiver on 127.0.0.1 (with
//! `CHRISTEN_WEBHOOK_ALLOW_PRIVATE`), signatures checked here with our own
//! HMAC code; retries, one delivery across two instances, order per contest,
//! disabling, target rules and organisation isolation.

use std::collections::{HashMap, HashSet};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use hmac::{Hmac, Mac};
use reqwest::Method;
use serde_json::{json, Value};
use sha2::Sha256;

use crate::helpers::{assert_problem, spawn_app, spawn_app_with, TestApp};
use christen::startup::AppConfig;

/// One request the receiver got.
#[derive(Debug, Clone)]
struct Received {
    headers: HashMap<String, String>,
    body: String,
}

impl Received {
    fn json(&self) -> Value {
        serde_json::from_str(&self.body).expect("a JSON body")
    }
    fn header(&self, name: &str) -> &str {
        self.headers.get(name).map(String::as_str).unwrap_or("")
    }
}

/// A tiny HTTP server: answers the first requests with `statuses`, then 200
/// (with a 5 KB body, of which the service keeps at most 1 KiB). Stops on drop.
struct Receiver {
    port: u16,
    received: Arc<Mutex<Vec<Received>>>,
    connections: Arc<AtomicUsize>,
    stop: Arc<AtomicBool>,
}

impl Receiver {
    fn start(statuses: Vec<u16>) -> Receiver {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let port = listener.local_addr().unwrap().port();
        let received = Arc::new(Mutex::new(Vec::new()));
        let connections = Arc::new(AtomicUsize::new(0));
        let stop = Arc::new(AtomicBool::new(false));
        let (r, c, s) = (received.clone(), connections.clone(), stop.clone());
        std::thread::spawn(move || {
            let mut statuses = statuses.into_iter();
            while !s.load(Ordering::SeqCst) {
                let (stream, _) = match listener.accept() {
                    Ok(conn) => conn,
                    Err(_) => {
                        std::thread::sleep(Duration::from_millis(5));
                        continue;
                    }
                };
                c.fetch_add(1, Ordering::SeqCst);
                stream.set_nonblocking(false).unwrap();
                stream
                    .set_read_timeout(Some(Duration::from_secs(5)))
                    .unwrap();
                let Some(request) = read_request(&stream) else {
                    continue;
                };
                r.lock().unwrap().push(request);
                let status = statuses.next().unwrap_or(200);
                let body = "x".repeat(5000);
                let mut stream = stream;
                let _ = write!(
                    stream,
                    "HTTP/1.1 {status} Whatever\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                    body.len()
                );
            }
        });
        Receiver {
            port,
            received,
            connections,
            stop,
        }
    }

    fn url(&self) -> String {
        format!("http://127.0.0.1:{}/hook", self.port)
    }

    fn received(&self) -> Vec<Received> {
        self.received.lock().unwrap().clone()
    }

    /// Waits until `n` requests arrived (at most `secs` seconds); returns them.
    fn wait_for(&self, n: usize, secs: u64) -> Vec<Received> {
        let deadline = Instant::now() + Duration::from_secs(secs);
        while self.received.lock().unwrap().len() < n && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(20));
        }
        let got = self.received();
        assert!(
            got.len() >= n,
            "expected {n} requests, got {}: {got:#?}",
            got.len()
        );
        got
    }
}

impl Drop for Receiver {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
    }
}

fn read_request(stream: &std::net::TcpStream) -> Option<Received> {
    let mut reader = BufReader::new(stream);
    let mut line = String::new();
    reader.read_line(&mut line).ok()?;
    if !line.starts_with("POST ") {
        return None;
    }
    let mut headers = HashMap::new();
    loop {
        let mut line = String::new();
        reader.read_line(&mut line).ok()?;
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        let (name, value) = line.split_once(':')?;
        headers.insert(name.trim().to_ascii_lowercase(), value.trim().to_owned());
    }
    let len: usize = headers.get("content-length")?.parse().ok()?;
    let mut body = vec![0; len];
    reader.read_exact(&mut body).ok()?;
    Some(Received {
        headers,
        body: String::from_utf8(body).ok()?,
    })
}

/// Standard Webhooks, verified independently of the service's code.
fn assert_signed(request: &Received, secret: &str) {
    let key = STANDARD
        .decode(secret.strip_prefix("whsec_").expect("whsec_ prefix"))
        .expect("base64 secret");
    let id = request.header("webhook-id");
    let timestamp = request.header("webhook-timestamp");
    assert!(!id.is_empty(), "webhook-id");
    let ts: i64 = timestamp.parse().expect("webhook-timestamp in seconds");
    assert!(
        (chrono::Utc::now().timestamp() - ts).abs() < 60,
        "fresh timestamp"
    );
    let mut mac = Hmac::<Sha256>::new_from_slice(&key).unwrap();
    mac.update(format!("{id}.{timestamp}.{}", request.body).as_bytes());
    let expected = format!("v1,{}", STANDARD.encode(mac.finalize().into_bytes()));
    let sent: Vec<&str> = request.header("webhook-signature").split(' ').collect();
    assert!(
        sent.contains(&expected.as_str()),
        "signature {sent:?} != {expected}"
    );
    assert_eq!(request.header("content-type"), "application/json");
}

/// A quick-retrying instance that may deliver to 127.0.0.1 over plain http.
fn local_targets(config: &mut AppConfig) {
    config.webhooks.allow_private = true;
    config.webhooks.retry_base = Duration::from_millis(100);
}

fn register(app: &TestApp, url: &str, events: &[&str]) -> Value {
    let res = app
        .admin(Method::POST, "/v1/webhooks")
        .json(&json!({ "url": url, "events": events, "description": "chat bot" }))
        .send()
        .unwrap();
    assert_eq!(res.status(), 201, "{:?}", res.text());
    res.json().unwrap()
}

fn deliveries(app: &TestApp, webhook: &str) -> Value {
    let res = app
        .admin(Method::GET, &format!("/v1/webhooks/{webhook}/deliveries"))
        .send()
        .unwrap();
    assert_eq!(res.status(), 200);
    res.json().unwrap()
}

/// Polls the deliveries until `done` holds (at most `secs` seconds).
fn wait_deliveries(
    app: &TestApp,
    webhook: &str,
    secs: u64,
    done: impl Fn(&Value) -> bool,
) -> Value {
    let deadline = Instant::now() + Duration::from_secs(secs);
    loop {
        let page = deliveries(app, webhook);
        if done(&page) || Instant::now() > deadline {
            return page;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn a_delivery_is_signed_and_retried_until_the_receiver_takes_it() {
    let app = spawn_app_with(local_targets);
    let receiver = Receiver::start(vec![500, 500]);
    let hook = register(&app, &receiver.url(), &["contest.phase_changed"]);
    let secret = hook["secret"].as_str().unwrap();
    assert!(secret.starts_with("whsec_"), "{hook}");
    let webhook = hook["id"].as_str().unwrap();
    let contest = app.create_contest(json!({}));
    let contest = contest["id"].as_str().unwrap();
    app.move_phase(contest, "suggesting");

    let got = receiver.wait_for(3, 20);
    assert_eq!(got.len(), 3, "one event, three attempts: {got:#?}");
    for request in &got {
        assert_signed(request, secret);
        assert_eq!(request.header("webhook-id"), got[0].header("webhook-id"));
        assert_eq!(request.body, got[0].body, "the same body every attempt");
    }
    let event = got[0].json();
    assert_eq!(event["type"], "contest.phase_changed");
    assert_eq!(event["data"]["contest_id"], contest);
    assert_eq!(event["data"]["from"], "draft");
    assert_eq!(event["data"]["to"], "suggesting");
    assert!(event["timestamp"].as_str().unwrap().ends_with('Z'));

    let page = wait_deliveries(&app, webhook, 10, |p| {
        p["items"][0]["status"] == "delivered"
    });
    let d = &page["items"][0];
    assert_eq!(d["status"], "delivered", "{page}");
    assert_eq!(d["attempts"], 3);
    assert_eq!(d["last_response_code"], 200);
    assert_eq!(d["event_type"], "contest.phase_changed");
    assert_eq!(d["contest_id"], contest);
    assert_eq!(d["next_attempt_at"], Value::Null);
    let kept = d["last_response_body"].as_str().unwrap();
    assert_eq!(kept.len(), 1024, "the answer is kept up to 1 KiB only");
    // A failed delivery's history showed the 500s (the last error is cleared).
    assert_eq!(d["last_error"], Value::Null);
}

#[test]
fn two_instances_deliver_each_event_once_and_in_order() {
    let app = spawn_app_with(local_targets);
    let other = app.another_instance(local_targets);
    let receiver = Receiver::start(vec![]);
    let hook = register(&app, &receiver.url(), &["suggestion.created"]);
    let secret = hook["secret"].as_str().unwrap().to_owned();
    let contest = app.suggesting_contest(json!({ "moderation": "post" }));
    let names: Vec<String> = (0..12).map(|i| format!("Name {i:02}")).collect();
    for name in &names {
        app.add_suggestion(&contest, name);
    }
    let got = receiver.wait_for(names.len(), 30);
    // Both workers are polling; give a duplicate time to show up.
    std::thread::sleep(Duration::from_millis(1500));
    let got_after = receiver.received();
    assert_eq!(got_after.len(), got.len(), "no event is delivered twice");
    let ids: HashSet<&str> = got_after.iter().map(|r| r.header("webhook-id")).collect();
    assert_eq!(ids.len(), names.len(), "one webhook-id per event");
    let order: Vec<String> = got_after
        .iter()
        .map(|r| {
            assert_signed(r, &secret);
            let e = r.json();
            assert_eq!(e["type"], "suggestion.created");
            assert_eq!(e["data"]["contest_id"], contest.as_str());
            e["data"]["name"].as_str().unwrap().to_owned()
        })
        .collect();
    assert_eq!(order, names, "delivered in the order they happened");
    drop(other);
}

#[test]
fn every_event_type_reaches_only_its_subscribers() {
    let app = spawn_app_with(local_targets);
    let all = Receiver::start(vec![]);
    let finals = Receiver::start(vec![]);
    register(
        &app,
        &all.url(),
        &[
            "contest.phase_changed",
            "suggestion.created",
            "suggestion.moderated",
            "results.updated",
            "results.final",
        ],
    );
    register(&app, &finals.url(), &["results.final"]);
    let contest = app.suggesting_contest(json!({ "moderation": "pre" }));
    let s = app.add_suggestion(&contest, "Shelf Life");
    let sid = s["id"].as_str().unwrap();
    app.approve(&contest, sid);
    app.move_phase(&contest, "voting");
    let token = app.mint_voter_token(&contest);
    let res = app.put_ballot(&contest, &token, &[sid.to_owned()]);
    assert_eq!(res.status(), 201);
    all.wait_for(5, 20); // results.updated comes from the worker's scan
    app.move_phase(&contest, "closed");
    let got = all.wait_for(7, 20);
    let types: Vec<String> = got
        .iter()
        .map(|r| r.json()["type"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(
        types,
        [
            "contest.phase_changed",
            "suggestion.created",
            "suggestion.moderated",
            "contest.phase_changed",
            "results.updated",
            "contest.phase_changed",
            "results.final"
        ]
    );
    for r in &got {
        assert_eq!(
            r.json()["data"]["contest_id"],
            contest.as_str(),
            "{}",
            r.body
        );
    }
    assert_eq!(got[1].json()["data"]["status"], "pending");
    assert_eq!(got[2].json()["data"]["status"], "approved");
    let only = finals.wait_for(1, 10);
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(finals.received().len(), 1, "{only:#?}");
    assert_eq!(only[0].json()["type"], "results.final");
}

#[test]
fn results_final_is_announced_once_when_a_scheduled_close_passes() {
    let app = spawn_app_with(local_targets);
    let receiver = Receiver::start(vec![]);
    register(&app, &receiver.url(), &["results.final"]);
    let close = chrono::Utc::now() + chrono::Duration::seconds(3);
    let contest = app.voting_contest(
        json!({ "schedule": { "voting_close_at": close.to_rfc3339() } }),
        &["A", "B"],
    );
    std::thread::sleep(Duration::from_millis(3200));
    for method in ["", "?method=borda"] {
        let res = app.results(&contest.id, true, method);
        assert_eq!(res.status(), 200, "{:?}", res.text());
    }
    let got = receiver.wait_for(1, 10);
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(receiver.received().len(), 1, "{got:#?}");
    assert_eq!(got[0].json()["type"], "results.final");
    assert_eq!(got[0].json()["data"]["contest_id"], contest.id.as_str());
}

#[test]
fn an_endpoint_failing_for_the_whole_window_is_disabled_and_audited() {
    let app = spawn_app_with(|c| {
        local_targets(c);
        c.webhooks.retry_for = Duration::from_secs(1);
    });
    let receiver = Receiver::start(vec![503; 1000]);
    let hook = register(&app, &receiver.url(), &["contest.phase_changed"]);
    let webhook = hook["id"].as_str().unwrap();
    let res = app
        .admin(Method::POST, &format!("/v1/webhooks/{webhook}/test"))
        .send()
        .unwrap();
    assert_eq!(res.status(), 202);
    let page = wait_deliveries(&app, webhook, 15, |p| p["items"][0]["status"] == "failed");
    let d = &page["items"][0];
    assert_eq!(d["status"], "failed", "{page}");
    assert_eq!(d["event_type"], "webhook.test");
    assert_eq!(d["last_response_code"], 503);
    assert!(d["attempts"].as_i64().unwrap() >= 2, "{d}");
    assert!(d["last_error"].as_str().unwrap().contains("503"), "{d}");

    let list: Value = app
        .admin(Method::GET, "/v1/webhooks")
        .send()
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(list["items"][0]["enabled"], false, "{list}");
    assert!(list["items"][0]["disabled_at"].is_string());
    let audit: Value = app
        .admin(Method::GET, "/v1/audit")
        .send()
        .unwrap()
        .json()
        .unwrap();
    let entry = audit["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["action"] == "webhook.disable")
        .unwrap_or_else(|| panic!("no webhook.disable entry: {audit}"));
    assert_eq!(entry["actor"], "system");
    assert_eq!(entry["details"]["webhook_id"], webhook);
    // A disabled endpoint gets nothing, not even a test.
    let res = app
        .admin(Method::POST, &format!("/v1/webhooks/{webhook}/test"))
        .send()
        .unwrap();
    assert_problem(res, 409, "webhook_disabled");
}

#[test]
fn private_and_plain_http_targets_are_refused_without_the_flag() {
    let app = spawn_app();
    for url in [
        "http://hooks.example.com/x",
        "https://127.0.0.1/x",
        "https://localhost:8443/x",
        "https://[::1]/x",
        "https://10.0.0.7/x",
        "https://192.168.1.20/x",
        "https://169.254.169.254/latest/meta-data",
        "https://[fe80::1]/x",
        "https://0.0.0.0/x",
        "https://[::ffff:127.0.0.1]/x",
        "https://2130706433/x",
        "not a url",
    ] {
        let res = app
            .admin(Method::POST, "/v1/webhooks")
            .json(&json!({ "url": url, "events": ["results.final"] }))
            .send()
            .unwrap();
        let body = assert_problem(res, 422, "validation_failed");
        assert_eq!(body["errors"][0]["field"], "url", "{url}: {body}");
    }
    for (events, field) in [(json!([]), "events"), (json!(["ballot.cast"]), "events[0]")] {
        let res = app
            .admin(Method::POST, "/v1/webhooks")
            .json(&json!({ "url": "https://hooks.example.com/x", "events": events }))
            .send()
            .unwrap();
        let body = assert_problem(res, 422, "validation_failed");
        assert_eq!(body["errors"][0]["field"], field, "{body}");
    }
    let res = app
        .admin(Method::POST, "/v1/webhooks")
        .json(&json!({ "url": "https://hooks.example.com/x", "events": ["results.final"], "secret": "mine" }))
        .send()
        .unwrap();
    assert_problem(res, 422, "validation_failed");
    let list: Value = app
        .admin(Method::GET, "/v1/webhooks")
        .send()
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(list["items"], json!([]), "nothing was registered");

    // A public https URL is fine (nothing is sent to it here).
    let hook = register(
        &app,
        "https://hooks.example.com/christen",
        &["results.final"],
    );
    assert_eq!(hook["url"], "https://hooks.example.com/christen");
    assert_eq!(hook["events"], json!(["results.final"]));
    assert_eq!(hook["description"], "chat bot");
    assert_eq!(hook["enabled"], true);
    let list: Value = app
        .admin(Method::GET, "/v1/webhooks")
        .send()
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(list["items"].as_array().unwrap().len(), 1);
    assert!(
        list["items"][0].get("secret").is_none(),
        "the secret is shown once"
    );
}

#[test]
fn a_private_target_is_refused_again_at_delivery() {
    // Registered some other way (here: straight into the database), a target on
    // this machine still gets nothing when the flag is off.
    let app = spawn_app_with(|c| c.webhooks.retry_base = Duration::from_millis(100));
    let receiver = Receiver::start(vec![]);
    let webhook = uuid::Uuid::new_v4();
    {
        use diesel::prelude::*;
        use diesel::sql_types::{Text, Uuid as SqlUuid};
        diesel::sql_query(
            "INSERT INTO webhook_endpoints (id, org_id, url, events, secret_salt)
             VALUES ($1, $2, $3, ARRAY['contest.phase_changed'], '\\x00000000000000000000000000000000')",
        )
        .bind::<SqlUuid, _>(webhook)
        .bind::<SqlUuid, _>(app.org_id.parse::<uuid::Uuid>().unwrap())
        .bind::<Text, _>(format!("https://localhost:{}/hook", receiver.port))
        .execute(&mut app.db.connect())
        .unwrap();
    }
    let contest = app.create_contest(json!({}));
    app.move_phase(contest["id"].as_str().unwrap(), "suggesting");
    let page = wait_deliveries(&app, &webhook.to_string(), 10, |p| {
        p["items"][0]["attempts"].as_i64().unwrap_or(0) >= 2
    });
    let d = &page["items"][0];
    assert_eq!(d["status"], "pending", "{page}");
    assert!(d["last_error"].as_str().unwrap().contains("refused"), "{d}");
    assert_eq!(d["last_response_code"], Value::Null);
    assert_eq!(receiver.connections.load(Ordering::SeqCst), 0);
}

#[test]
fn an_organisation_never_sees_another_organisations_webhooks() {
    let app = spawn_app_with(local_targets);
    let receiver = Receiver::start(vec![]);
    let hook = register(&app, &receiver.url(), &["results.final"]);
    let webhook = hook["id"].as_str().unwrap();
    let (_, other_key) = app.other_org("Town Hall");

    let list: Value = app
        .as_key(&other_key, Method::GET, "/v1/webhooks")
        .send()
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(list["items"], json!([]));
    for (method, path) in [
        (Method::DELETE, format!("/v1/webhooks/{webhook}")),
        (Method::GET, format!("/v1/webhooks/{webhook}/deliveries")),
        (Method::POST, format!("/v1/webhooks/{webhook}/test")),
    ] {
        let res = app.as_key(&other_key, method, &path).send().unwrap();
        assert_problem(res, 404, "not_found");
    }
    // Without a key: 401.
    let res = app.public(Method::GET, "/v1/webhooks").send().unwrap();
    assert_problem(res, 401, "unauthorized");

    // The owner's test event arrives; then the owner deletes the webhook.
    let res = app
        .admin(Method::POST, &format!("/v1/webhooks/{webhook}/test"))
        .send()
        .unwrap();
    assert_eq!(res.status(), 202);
    let queued: Value = res.json().unwrap();
    let got = receiver.wait_for(1, 10);
    assert_eq!(got[0].json()["type"], "webhook.test");
    assert_eq!(got[0].json()["data"]["webhook_id"], webhook);
    assert_eq!(
        got[0].header("webhook-id"),
        queued["event_id"].as_str().unwrap()
    );
    assert_signed(&got[0], hook["secret"].as_str().unwrap());
    let res = app
        .admin(Method::DELETE, &format!("/v1/webhooks/{webhook}"))
        .send()
        .unwrap();
    assert_eq!(res.status(), 200);
    let res = app
        .admin(Method::GET, &format!("/v1/webhooks/{webhook}/deliveries"))
        .send()
        .unwrap();
    assert_problem(res, 404, "not_found");
    let res = app
        .admin(Method::GET, "/v1/webhooks/not-a-uuid/deliveries")
        .send()
        .unwrap();
    assert_problem(res, 400, "invalid_id");
}
