//! The audit log: admin actions are recorded, paged, and only for their
//! organisation.

use reqwest::Method;
use serde_json::{json, Value};

use crate::helpers::{assert_problem, spawn_app};

fn actions(page: &Value) -> Vec<String> {
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn moderation_merges_and_codes_are_in_the_contest_log() {
    let app = spawn_app();
    let contest = app.suggesting_contest(json!({ "electorate": "codes" }));
    app.voter_codes(&contest, 2);
    let codes = app.voter_codes(&contest, 1);
    let token = app.voter_token_for_code(&contest, &codes[0]);
    let a: Value = app.suggest(&contest, &token, "Alpha").json().unwrap();
    let b: Value = app.suggest(&contest, &token, "Beta").json().unwrap();
    let (a, b) = (a["id"].as_str().unwrap(), b["id"].as_str().unwrap());
    app.approve(&contest, a);
    assert_eq!(
        app.moderate(&contest, b, json!({ "merged_into": a }))
            .status(),
        200
    );
    let res = app
        .admin(Method::GET, &format!("/v1/contests/{contest}/audit"))
        .send()
        .unwrap();
    assert_eq!(res.status(), 200);
    let log: Value = res.json().unwrap();
    assert_eq!(
        actions(&log),
        [
            "contest.create",
            "contest.phase",
            "codes.generate",
            "codes.generate",
            "suggestion.moderate",
            "suggestion.merge"
        ]
    );
    let items = log["items"].as_array().unwrap();
    assert_eq!(items[2]["details"]["count"], 2);
    assert_eq!(items[4]["details"]["to"], "approved");
    assert_eq!(items[5]["details"]["merged_into"], a);
    assert!(items[5]["actor"].as_str().unwrap().starts_with("key:"));
    assert!(
        !log.to_string().contains(&codes[0]),
        "codes never reach the log"
    );
    assert_eq!(log["next_cursor"], Value::Null);

    // Paged: two at a time, in order, to the end.
    let mut seen = Vec::new();
    let mut query = "?limit=2".to_owned();
    loop {
        let page: Value = app
            .admin(Method::GET, &format!("/v1/contests/{contest}/audit{query}"))
            .send()
            .unwrap()
            .json()
            .unwrap();
        seen.extend(actions(&page));
        match page["next_cursor"].as_str() {
            Some(c) => query = format!("?limit=2&cursor={c}"),
            None => break,
        }
    }
    assert_eq!(seen, actions(&log));
    for bad in ["?limit=0", "?limit=501", "?cursor=x"] {
        let res = app
            .admin(Method::GET, &format!("/v1/contests/{contest}/audit{bad}"))
            .send()
            .unwrap();
        assert_eq!(res.status(), 400, "{bad}");
    }
}

#[test]
fn the_log_is_for_the_organisations_admins_only() {
    let app = spawn_app();
    let contest = app.suggesting_contest(json!({}));
    let path = format!("/v1/contests/{contest}/audit");
    assert_problem(
        app.public(Method::GET, &path).send().unwrap(),
        401,
        "unauthorized",
    );
    let token = app.voter_token(&contest);
    assert_problem(
        app.as_voter(&token, Method::GET, &path).send().unwrap(),
        401,
        "unauthorized",
    );
    let (_, other) = app.other_org("Town Museum");
    assert_problem(
        app.as_key(&other, Method::GET, &path).send().unwrap(),
        404,
        "not_found",
    );
    let other_log: Value = app
        .as_key(&other, Method::GET, "/v1/audit")
        .send()
        .unwrap()
        .json()
        .unwrap();
    assert!(
        !other_log.to_string().contains(&contest),
        "another organisation's log has none of ours: {other_log}"
    );
}

#[test]
fn voter_jwt_key_changes_are_in_the_organisation_log() {
    let app = spawn_app();
    let res = app
        .admin(Method::PUT, "/v1/voter-jwt-key")
        .json(&json!({ "alg": "HS256", "secret": "a-shared-secret-of-at-least-32-bytes!!" }))
        .send()
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(
        app.admin(Method::DELETE, "/v1/voter-jwt-key")
            .send()
            .unwrap()
            .status(),
        204
    );
    let log: Value = app
        .admin(Method::GET, "/v1/audit")
        .send()
        .unwrap()
        .json()
        .unwrap();
    let acts = actions(&log);
    assert!(
        acts.ends_with(&[
            "voter_jwt_key.put".to_owned(),
            "voter_jwt_key.delete".to_owned()
        ]),
        "{acts:?}"
    );
    assert!(!log.to_string().contains("a-shared-secret"), "{log}");
    let put = &log["items"].as_array().unwrap()[acts.len() - 2];
    assert_eq!(put["details"]["alg"], "HS256");
    assert_eq!(put["contest_id"], Value::Null);
}
