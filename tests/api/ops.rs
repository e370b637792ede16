//! Operations: health, readiness (and recovery), metrics, request ids, and the
//! served OpenAPI document (its match with the routes is `tests/openapi.rs`; here,
//! that the 503s it documents are the ones the service answers).

use std::time::{Duration, Instant};

use diesel::prelude::*;
use reqwest::Method;
use serde_json::{json, Value};

use crate::helpers::{assert_problem, spawn_app, spawn_app_with, TestApp};

#[test]
fn health_and_readiness_answer() {
    let app = spawn_app();
    let res = app.public(Method::GET, "/healthz").send().unwrap();
    assert_eq!(res.status(), 200);
    assert!(
        res.headers().get("x-request-id").is_some(),
        "every response carries a request id"
    );
    assert_eq!(res.json::<Value>().unwrap()["status"], "ok");
    let res = app.public(Method::GET, "/readyz").send().unwrap();
    assert_eq!(res.status(), 200);
}

#[test]
fn metrics_count_requests_by_route_pattern_and_status() {
    let app = spawn_app();
    app.public(Method::GET, "/healthz").send().unwrap();
    app.public(
        Method::GET,
        "/v1/contests/00000000-0000-0000-0000-000000000000",
    )
    .send()
    .unwrap();
    app.public(Method::GET, "/c/00000000-0000-0000-0000-000000000000")
        .send()
        .unwrap();
    let text = app
        .public(Method::GET, "/metrics")
        .send()
        .unwrap()
        .text()
        .unwrap();
    assert!(
        text.contains(
            r#"christen_http_requests_total{method="GET",route="/healthz",status="200"} 1"#
        ),
        "{text}"
    );
    assert!(
        text.contains(r#"route="/v1/contests/{contest_id}",status="404""#),
        "routes are labelled by pattern, not raw path: {text}"
    );
    assert!(
        text.contains(r#"route="/c/{contest_id}",status="404""#),
        "the participation pages are labelled by their patterns too: {text}"
    );
    assert!(text.contains("christen_http_request_duration_seconds_bucket"));
    assert!(text.contains("christen_db_pool_max_connections 8"));
}

fn set_connections_allowed(db_name: &str, allowed: bool) {
    let mut admin = PgConnection::establish(&crate::pg::server_url()).unwrap();
    diesel::sql_query(format!(
        "ALTER DATABASE \"{db_name}\" WITH ALLOW_CONNECTIONS {allowed}"
    ))
    .execute(&mut admin)
    .unwrap();
    if !allowed {
        diesel::sql_query(format!(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{db_name}'"
        ))
        .execute(&mut admin)
        .unwrap();
    }
}

#[test]
fn a_lost_database_is_a_503_and_the_service_recovers() {
    let app = spawn_app();
    assert_eq!(
        app.public(Method::GET, "/readyz").send().unwrap().status(),
        200
    );
    set_connections_allowed(&app.db.name, false);

    let res = app.public(Method::GET, "/readyz").send().unwrap();
    assert!(res.headers().get("retry-after").is_some());
    assert_problem(res, 503, "service_unavailable");
    let res = app.admin(Method::GET, "/v1/contests").send().unwrap();
    let body = assert_problem(res, 503, "service_unavailable");
    assert!(
        !body["detail"].as_str().unwrap().contains("FATAL"),
        "no database text in responses: {body}"
    );
    // Liveness does not depend on the database.
    assert_eq!(
        app.public(Method::GET, "/healthz").send().unwrap().status(),
        200
    );

    set_connections_allowed(&app.db.name, true);
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let status = app
            .admin(Method::GET, "/v1/contests")
            .send()
            .unwrap()
            .status();
        if status == 200 {
            break;
        }
        assert!(Instant::now() < deadline, "did not recover: still {status}");
        std::thread::sleep(Duration::from_millis(200));
    }
    assert_eq!(
        app.public(Method::GET, "/readyz").send().unwrap().status(),
        200
    );
}

/// Whether `openapi.yaml` documents `status` for the operation.
fn documents(spec: &Value, method: &str, path: &str, status: &str) -> bool {
    let responses = &spec["paths"][path][method]["responses"];
    assert!(
        responses.is_object(),
        "{method} {path} is not in openapi.yaml"
    );
    responses.get(status).is_some()
}

/// A body (and query) each route accepts, so that the request gets as far as the
/// database: extractors run together, so an invalid body is a 4xx even then.
fn valid_request(method: &str, path: &str, contest: &str, app: &TestApp) -> (String, Value) {
    let any_id = "1b4e28ba-2fa1-11d2-883f-0016d3cca427";
    let url = path
        .replace("{contest_id}", contest)
        .replace("{suggestion_id}", any_id)
        .replace("{key_id}", any_id)
        .replace("{webhook_id}", any_id);
    let body = match (method, path) {
        ("post", "/v1/api-keys") => json!({ "name": "ci" }),
        ("post", "/v1/contests") => json!({ "title": "Name it", "method": "irv" }),
        ("post", "/v1/contests/{contest_id}/phase") => json!({ "to": "suggesting" }),
        ("put", "/v1/contests/{contest_id}/ballot") => json!({ "ranking": [any_id] }),
        ("post", "/v1/contests/{contest_id}/codes") => json!({ "count": 1 }),
        ("put", "/v1/voter-jwt-key") => json!({ "alg": "HS256", "secret": "s".repeat(32) }),
        ("post", "/v1/contests/{contest_id}/suggestions") => json!({ "name": "Shelf Life" }),
        ("put", "/v1/allowed-origins") => json!({ "origins": [] }),
        ("post", "/v1/webhooks") => {
            json!({ "url": "https://hooks.example.com/x", "events": ["results.final"] })
        }
        _ => json!({}),
    };
    let url = match path {
        "/oembed" => format!(
            "/oembed?url={}",
            app.url(&format!("/embed/contests/{contest}"))
        ),
        "/v1/contests/{contest_id}/suggestions/similar" => format!("{url}?name=Shelf"),
        _ => url,
    };
    (url, body)
}

/// With the database gone, every route answers as `openapi.yaml` says: 503 (with
/// `Retry-After`) exactly where it documents 503, and the routes that do not
/// document it still answer. So the document's 503s are the service's.
#[test]
fn without_a_database_exactly_the_routes_documenting_503_answer_it() {
    let spec: Value = serde_yaml_ng::from_str(include_str!("../../openapi.yaml")).unwrap();
    let app = spawn_app_with(|c| c.pool.connection_timeout = Duration::from_millis(300));
    let contest = app.create_contest(json!({}))["id"]
        .as_str()
        .unwrap()
        .to_owned();
    set_connections_allowed(&app.db.name, false);
    let mut wrong = Vec::new();
    for &(method, path) in christen::api::ROUTES {
        let (url, body) = valid_request(method, path, &contest, &app);
        let mut req = app.admin(
            Method::from_bytes(method.to_uppercase().as_bytes()).unwrap(),
            &url,
        );
        if matches!(method, "post" | "put" | "patch") {
            req = req.json(&body);
        }
        let res = req.send().unwrap();
        let status = res.status().as_u16();
        let retry_after = res.headers().contains_key("retry-after");
        match (documents(&spec, method, path, "503"), status) {
            (true, 503) if retry_after => {}
            (true, _) => wrong.push(format!(
                "{method} {path}: {status} (retry-after: {retry_after}), documented 503"
            )),
            (false, s) if s < 500 => {}
            (false, s) => wrong.push(format!("{method} {path}: {s}, 503 not documented")),
        }
    }
    set_connections_allowed(&app.db.name, true);
    assert!(wrong.is_empty(), "\n{}", wrong.join("\n"));
}

#[test]
fn the_served_openapi_is_the_file() {
    let app = spawn_app();
    let res = app.public(Method::GET, "/openapi.yaml").send().unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.text().unwrap(), include_str!("../../openapi.yaml"));
}
