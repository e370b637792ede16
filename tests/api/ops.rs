//! Operations: health, readiness (and recovery), metrics, request ids, and the
//! served OpenAPI document (its match with the routes is `tests/openapi.rs`).

use std::time::{Duration, Instant};

use diesel::prelude::*;
use reqwest::Method;
use serde_json::Value;

use crate::helpers::{assert_problem, spawn_app};

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

#[test]
fn the_served_openapi_is_the_file() {
    let app = spawn_app();
    let res = app.public(Method::GET, "/openapi.yaml").send().unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.text().unwrap(), include_str!("../../openapi.yaml"));
}
