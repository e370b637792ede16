//! CORS: allowed origins per organisation, preflights on every route, public reads
//! open to any origin.

use reqwest::Method;
use serde_json::{json, Value};

use crate::helpers::{assert_problem, spawn_app, TestApp};

const SITE: &str = "https://library.example.org";
const OTHER: &str = "https://evil.example.net";

fn put_origins(app: &TestApp, key: &str, origins: Value) -> reqwest::blocking::Response {
    app.as_key(key, Method::PUT, "/v1/allowed-origins")
        .json(&json!({ "origins": origins }))
        .send()
        .unwrap()
}

fn acao(res: &reqwest::blocking::Response) -> Option<String> {
    res.headers()
        .get("access-control-allow-origin")
        .map(|v| v.to_str().unwrap().to_owned())
}

fn preflight(
    app: &TestApp,
    path: &str,
    origin: &str,
    method: &str,
    headers: &str,
) -> reqwest::blocking::Response {
    app.public(Method::OPTIONS, path)
        .header("Origin", origin)
        .header("Access-Control-Request-Method", method)
        .header("Access-Control-Request-Headers", headers)
        .send()
        .unwrap()
}

#[test]
fn admins_keep_a_normalised_list_of_allowed_origins() {
    let app = spawn_app();
    let res = app
        .admin(Method::GET, "/v1/allowed-origins")
        .send()
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.json::<Value>().unwrap(), json!({ "origins": [] }));

    let res = put_origins(
        &app,
        &app.api_key,
        json!([
            "https://Library.Example.org:443/",
            "http://localhost:8080",
            SITE
        ]),
    );
    assert_eq!(res.status(), 200);
    let want = json!({ "origins": ["http://localhost:8080", SITE] });
    assert_eq!(res.json::<Value>().unwrap(), want);
    let res = app
        .admin(Method::GET, "/v1/allowed-origins")
        .send()
        .unwrap();
    assert_eq!(res.json::<Value>().unwrap(), want);

    let res = put_origins(&app, &app.api_key, json!(["*", SITE, "https://x.org/path"]));
    let body = assert_problem(res, 422, "validation_failed");
    let fields: Vec<&str> = body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["origins[0]", "origins[2]"]);

    let res = app
        .public(Method::PUT, "/v1/allowed-origins")
        .json(&json!({ "origins": [] }))
        .send()
        .unwrap();
    assert_problem(res, 401, "unauthorized");
    let res = app
        .admin(Method::PUT, "/v1/allowed-origins")
        .json(&json!({ "origins": "https://a.org" }))
        .send()
        .unwrap();
    assert_problem(res, 422, "validation_failed");
}

#[test]
fn admin_calls_are_readable_only_from_the_callers_allowed_origins() {
    let app = spawn_app();
    let (_, other_key) = app.other_org("Other Org");
    assert_eq!(put_origins(&app, &app.api_key, json!([SITE])).status(), 200);

    // Preflight: allowed origin gets the methods and headers it asked for.
    let res = preflight(
        &app,
        "/v1/contests",
        SITE,
        "POST",
        "authorization, content-type",
    );
    assert_eq!(res.status(), 204);
    assert_eq!(acao(&res).as_deref(), Some(SITE));
    let methods = res.headers()["access-control-allow-methods"]
        .to_str()
        .unwrap();
    assert!(methods.contains("POST"), "{methods}");
    let headers = res.headers()["access-control-allow-headers"]
        .to_str()
        .unwrap();
    assert!(
        headers.to_lowercase().contains("authorization"),
        "{headers}"
    );
    assert!(res.headers().get("access-control-max-age").is_some());

    // Preflight: an origin no organisation allows is refused with a problem.
    let res = preflight(&app, "/v1/contests", OTHER, "POST", "authorization");
    assert!(acao(&res).is_none());
    assert_problem(res, 403, "origin_not_allowed");

    // The real request: the caller's organisation decides.
    let res = app
        .admin(Method::GET, "/v1/contests")
        .header("Origin", SITE)
        .send()
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(acao(&res).as_deref(), Some(SITE));
    assert!(res.headers()["vary"].to_str().unwrap().contains("Origin"));
    let res = app
        .as_key(&other_key, Method::GET, "/v1/contests")
        .header("Origin", SITE)
        .send()
        .unwrap();
    assert_eq!(res.status(), 200);
    assert!(acao(&res).is_none(), "another organisation's site");
    let res = app
        .admin(Method::GET, "/v1/contests")
        .header("Origin", OTHER)
        .send()
        .unwrap();
    assert!(acao(&res).is_none());
}

#[test]
fn contest_routes_follow_the_owning_organisations_list() {
    let app = spawn_app();
    assert_eq!(put_origins(&app, &app.api_key, json!([SITE])).status(), 200);
    let contest = app.create_contest(json!({}));
    let path = format!("/v1/contests/{}", contest["id"].as_str().unwrap());

    let res = preflight(&app, &path, SITE, "PATCH", "authorization, content-type");
    assert_eq!(res.status(), 204);
    assert_eq!(acao(&res).as_deref(), Some(SITE));
    let res = preflight(&app, &path, OTHER, "PATCH", "authorization, content-type");
    assert_problem(res, 403, "origin_not_allowed");
    let res = preflight(
        &app,
        &format!("{path}/phase"),
        SITE,
        "POST",
        "authorization, content-type",
    );
    assert_eq!(res.status(), 204);
}

#[test]
fn public_reads_are_open_to_every_origin() {
    let app = spawn_app();
    let contest = app.create_contest(json!({}));
    let id = contest["id"].as_str().unwrap();
    app.move_phase(id, "suggesting");
    let path = format!("/v1/contests/{id}");

    // No list at all, any origin, even without an Origin header: `*`.
    let res = app
        .public(Method::GET, &path)
        .header("Origin", OTHER)
        .send()
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(acao(&res).as_deref(), Some("*"));
    let res = app.public(Method::GET, &path).send().unwrap();
    assert_eq!(acao(&res).as_deref(), Some("*"));
    let res = app
        .public(Method::GET, "/openapi.yaml")
        .header("Origin", OTHER)
        .send()
        .unwrap();
    assert_eq!(acao(&res).as_deref(), Some("*"));

    let res = preflight(&app, &path, OTHER, "GET", "if-none-match");
    assert_eq!(res.status(), 204);
    assert_eq!(acao(&res).as_deref(), Some("*"));
    // …but not with credentials, nor for writes.
    let res = preflight(&app, &path, OTHER, "GET", "authorization");
    assert_problem(res, 403, "origin_not_allowed");
    let res = app
        .admin(Method::GET, &path)
        .header("Origin", OTHER)
        .send()
        .unwrap();
    assert_eq!(res.status(), 200);
    assert!(acao(&res).is_none());
}

#[test]
fn preflights_of_unknown_paths_are_404s() {
    let app = spawn_app();
    let res = preflight(&app, "/v1/nothing-here", SITE, "GET", "");
    assert_problem(res, 404, "not_found");
}
