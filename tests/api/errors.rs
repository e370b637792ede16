//! Bad input: always a 4xx problem+json that says what to fix, never a 500, and
//! nothing is written.

use reqwest::Method;
use serde_json::{json, Value};

use crate::helpers::{assert_problem, spawn_app};

fn contest_count(app: &crate::helpers::TestApp) -> usize {
    let list: Value = app
        .admin(Method::GET, "/v1/contests?limit=100")
        .send()
        .unwrap()
        .json()
        .unwrap();
    list["items"].as_array().unwrap().len()
}

#[test]
fn malformed_json_is_a_400_with_where_it_broke() {
    let app = spawn_app();
    let res = app
        .admin(Method::POST, "/v1/contests")
        .header("content-type", "application/json")
        .body("{\"title\": \"x\", ")
        .send()
        .unwrap();
    let body = assert_problem(res, 400, "malformed_json");
    assert!(
        body["detail"].as_str().unwrap().contains("line 1"),
        "{body}"
    );
    assert_eq!(contest_count(&app), 0);
}

#[test]
fn unknown_fields_and_wrong_types_name_the_field() {
    let app = spawn_app();
    let res = app
        .admin(Method::POST, "/v1/contests")
        .json(&json!({ "title": "x", "method": "irv", "colour": "red" }))
        .send()
        .unwrap();
    let body = assert_problem(res, 422, "validation_failed");
    assert!(
        body["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("colour"),
        "{body}"
    );

    let res = app
        .admin(Method::POST, "/v1/contests")
        .json(&json!({ "title": "x", "method": "irv", "seats": "three" }))
        .send()
        .unwrap();
    let body = assert_problem(res, 422, "validation_failed");
    assert_eq!(body["errors"][0]["field"], "seats", "{body}");

    let res = app
        .admin(Method::POST, "/v1/contests")
        .json(
            &json!({ "title": "x", "method": "irv", "schedule": { "voting_open_at": "tomorrow" } }),
        )
        .send()
        .unwrap();
    let body = assert_problem(res, 422, "validation_failed");
    assert_eq!(
        body["errors"][0]["field"], "schedule.voting_open_at",
        "{body}"
    );

    let res = app
        .admin(Method::POST, "/v1/contests")
        .json(&json!({ "method": "irv" }))
        .send()
        .unwrap();
    let body = assert_problem(res, 422, "validation_failed");
    assert!(
        body["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("title"),
        "{body}"
    );
    assert_eq!(contest_count(&app), 0);
}

#[test]
fn bodies_over_the_limit_are_a_413() {
    let app = spawn_app();
    let res = app
        .admin(Method::POST, "/v1/contests")
        .json(&json!({ "title": "x", "method": "irv", "description": "a".repeat(70 * 1024) }))
        .send()
        .unwrap();
    assert_problem(res, 413, "payload_too_large");
    assert_eq!(contest_count(&app), 0);
}

#[test]
fn a_body_that_is_not_json_is_a_415() {
    let app = spawn_app();
    let res = app
        .admin(Method::POST, "/v1/contests")
        .header("content-type", "text/plain")
        .body("title=x")
        .send()
        .unwrap();
    assert_problem(res, 415, "unsupported_media_type");
}

#[test]
fn bad_ids_in_paths_are_a_400() {
    let app = spawn_app();
    let res = app.admin(Method::GET, "/v1/contests/123").send().unwrap();
    let body = assert_problem(res, 400, "invalid_id");
    assert!(body["detail"].as_str().unwrap().contains("UUID"));
    let res = app
        .admin(
            Method::GET,
            "/v1/contests/00000000-0000-0000-0000-000000000000",
        )
        .send()
        .unwrap();
    assert_problem(res, 404, "not_found");
}

#[test]
fn unknown_routes_and_methods_answer_in_problem_json() {
    let app = spawn_app();
    assert_problem(
        app.public(Method::GET, "/v2/nothing").send().unwrap(),
        404,
        "not_found",
    );
    assert_problem(
        app.admin(Method::PUT, "/v1/contests").send().unwrap(),
        405,
        "method_not_allowed",
    );
}

#[test]
fn odd_bodies_never_cause_a_server_error() {
    let app = spawn_app();
    let bodies = [
        "null",
        "[]",
        "\"just a string\"",
        "{\"title\": null, \"method\": \"irv\"}",
        "{\"title\": \"\\u0000\", \"method\": \"irv\"}",
        "{\"title\": \"x\", \"method\": \"irv\", \"seats\": 99999999999999999999}",
        "{\"title\": \"x\", \"method\": \"irv\", \"seats\": -1}",
        "{\"title\": \"x\", \"method\": \"irv\", \"max_rankings\": 1.5}",
        "{\"title\": \"x\", \"method\": \"irv\"} trailing",
        "{\"title\": \"\\ud800\", \"method\": \"irv\"}",
        "{\"title\": \"x\", \"title\": \"y\", \"method\": \"irv\"}",
        "\u{feff}{}",
    ];
    let c = app.create_contest(json!({}));
    let id = c["id"].as_str().unwrap();
    for path in [
        "/v1/contests".to_owned(),
        format!("/v1/contests/{id}"),
        format!("/v1/contests/{id}/phase"),
        "/v1/api-keys".to_owned(),
    ] {
        for method in [Method::POST, Method::PATCH] {
            for body in bodies {
                let res = app
                    .admin(method.clone(), &path)
                    .header("content-type", "application/json")
                    .body(body)
                    .send()
                    .unwrap();
                let status = res.status().as_u16();
                assert!(
                    (400..500).contains(&status),
                    "{method} {path} with {body:?} gave {status}"
                );
                assert_eq!(
                    res.headers().get("content-type").unwrap(),
                    "application/problem+json"
                );
            }
        }
    }
    assert_eq!(contest_count(&app), 1, "no bad body created a contest");
}
