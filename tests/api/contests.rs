//! Contests: create, list, read, edit, phases and schedules.

use chrono::{Duration, Utc};
use reqwest::Method;
use serde_json::{json, Value};

use crate::helpers::{assert_problem, spawn_app};

#[test]
fn a_new_contest_is_a_draft_with_documented_defaults() {
    let app = spawn_app();
    let c = app.create_contest(json!({ "title": "  Name the blog  " }));
    assert_eq!(c["title"], "Name the blog");
    assert_eq!(c["phase"], "draft");
    assert_eq!(c["method"], "irv");
    assert_eq!(c["seats"], 1);
    assert_eq!(c["electorate"], "open");
    assert_eq!(c["moderation"], "pre");
    assert_eq!(c["results_visibility"], "after_close");
    assert_eq!(c["max_suggestions_per_participant"], 3);
    assert_eq!(c["max_rankings"], Value::Null);
    assert_eq!(c["org_id"], app.org_id.as_str());
    let res = app
        .admin(
            Method::GET,
            &format!("/v1/contests/{}", c["id"].as_str().unwrap()),
        )
        .send()
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.json::<Value>().unwrap()["id"], c["id"]);
}

#[test]
fn every_invalid_field_is_reported_at_once_and_nothing_is_stored() {
    let app = spawn_app();
    let res = app
        .admin(Method::POST, "/v1/contests")
        .json(&json!({
            "title": "",
            "method": "approval",
            "seats": 2,
            "slug": "Not A Slug",
            "electorate": "everyone",
            "schedule": {
                "suggestions_open_at": "2030-01-02T00:00:00Z",
                "voting_open_at": "2030-01-01T00:00:00Z"
            }
        }))
        .send()
        .unwrap();
    let body = assert_problem(res, 422, "validation_failed");
    let fields: Vec<&str> = body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    for f in [
        "title",
        "method",
        "slug",
        "electorate",
        "schedule.voting_open_at",
    ] {
        assert!(fields.contains(&f), "{f} missing from {fields:?}");
    }
    let list: Value = app
        .admin(Method::GET, "/v1/contests")
        .send()
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(list["items"].as_array().unwrap().len(), 0);
}

#[test]
fn seats_above_one_need_stv() {
    let app = spawn_app();
    let res = app
        .admin(Method::POST, "/v1/contests")
        .json(&json!({ "title": "Two names", "method": "schulze", "seats": 2 }))
        .send()
        .unwrap();
    let body = assert_problem(res, 422, "validation_failed");
    assert_eq!(body["errors"][0]["field"], "seats");
    let stv = app.create_contest(json!({ "method": "stv", "seats": 3 }));
    assert_eq!(stv["seats"], 3);
}

#[test]
fn titles_are_limited_in_characters_and_unicode_is_kept() {
    let app = spawn_app();
    let title = "Ünïcödé 名前 🎉".repeat(10);
    let c = app.create_contest(json!({ "title": title }));
    assert_eq!(c["title"], title.trim());
    let res = app
        .admin(Method::POST, "/v1/contests")
        .json(&json!({ "title": "é".repeat(201), "method": "irv" }))
        .send()
        .unwrap();
    let body = assert_problem(res, 422, "validation_failed");
    assert_eq!(body["errors"][0]["field"], "title");
}

#[test]
fn slugs_are_unique_within_an_organisation_only() {
    let app = spawn_app();
    app.create_contest(json!({ "slug": "blog" }));
    let res = app
        .admin(Method::POST, "/v1/contests")
        .json(&json!({ "title": "Again", "method": "irv", "slug": "blog" }))
        .send()
        .unwrap();
    let body = assert_problem(res, 409, "conflict");
    assert!(body["detail"].as_str().unwrap().contains("slug"));
    let (_, other_key) = app.other_org("School");
    let res = app
        .as_key(&other_key, Method::POST, "/v1/contests")
        .json(&json!({ "title": "Mascot", "method": "irv", "slug": "blog" }))
        .send()
        .unwrap();
    assert_eq!(res.status(), 201);
}

#[test]
fn the_list_is_paginated_newest_first_and_per_organisation() {
    let app = spawn_app();
    let mut ids = Vec::new();
    for i in 0..5 {
        let c = app.create_contest(json!({ "title": format!("Contest {i}") }));
        ids.push(c["id"].as_str().unwrap().to_owned());
    }
    let (_, other_key) = app.other_org("School");
    let res = app
        .as_key(&other_key, Method::POST, "/v1/contests")
        .json(&json!({ "title": "Theirs", "method": "irv" }))
        .send()
        .unwrap();
    assert_eq!(res.status(), 201);

    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let path = match &cursor {
            Some(c) => format!("/v1/contests?limit=2&cursor={c}"),
            None => "/v1/contests?limit=2".to_owned(),
        };
        let page: Value = app
            .admin(Method::GET, &path)
            .send()
            .unwrap()
            .json()
            .unwrap();
        let items = page["items"].as_array().unwrap();
        assert!(items.len() <= 2);
        seen.extend(items.iter().map(|c| c["id"].as_str().unwrap().to_owned()));
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => break,
        }
    }
    ids.reverse();
    assert_eq!(seen, ids, "all five, newest first, none of the other org's");

    let res = app
        .admin(Method::GET, "/v1/contests?limit=0")
        .send()
        .unwrap();
    assert_problem(res, 400, "invalid_limit");
    let res = app
        .admin(Method::GET, "/v1/contests?cursor=garbage")
        .send()
        .unwrap();
    assert_problem(res, 400, "invalid_cursor");
}

#[test]
fn drafts_are_invisible_to_the_public_and_other_organisations() {
    let app = spawn_app();
    let c = app.create_contest(json!({}));
    let id = c["id"].as_str().unwrap();
    let path = format!("/v1/contests/{id}");
    assert_problem(
        app.public(Method::GET, &path).send().unwrap(),
        404,
        "not_found",
    );
    let (_, other_key) = app.other_org("School");
    assert_problem(
        app.as_key(&other_key, Method::GET, &path).send().unwrap(),
        404,
        "not_found",
    );
    app.move_phase(id, "suggesting");
    let public: Value = app
        .public(Method::GET, &path)
        .send()
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(public["phase"], "suggesting");
    // Another organisation's key acts as that organisation: still a 404.
    assert_problem(
        app.as_key(&other_key, Method::GET, &path).send().unwrap(),
        404,
        "not_found",
    );
    for (method, p, body) in [
        (Method::PATCH, path.clone(), json!({ "title": "Mine now" })),
        (
            Method::POST,
            format!("{path}/phase"),
            json!({ "to": "voting" }),
        ),
    ] {
        let res = app
            .as_key(&other_key, method, &p)
            .json(&body)
            .send()
            .unwrap();
        assert_problem(res, 404, "not_found");
    }
    let unchanged: Value = app
        .admin(Method::GET, &path)
        .send()
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(unchanged["title"], "Name the blog");
    assert_eq!(unchanged["phase"], "suggesting");
}

#[test]
fn phases_move_forward_one_step_at_a_time() {
    let app = spawn_app();
    let c = app.create_contest(json!({}));
    let id = c["id"].as_str().unwrap();
    let phase = |to: &str| {
        app.admin(Method::POST, &format!("/v1/contests/{id}/phase"))
            .json(&json!({ "to": to }))
            .send()
            .unwrap()
    };
    let body = assert_problem(phase("voting"), 409, "invalid_phase_transition");
    assert!(
        body["detail"].as_str().unwrap().contains("suggesting"),
        "{body}"
    );
    assert_eq!(app.move_phase(id, "suggesting")["phase"], "suggesting");
    assert_problem(phase("draft"), 409, "invalid_phase_transition");
    assert_problem(phase("suggesting"), 409, "invalid_phase_transition");
    assert_eq!(app.move_phase(id, "voting")["phase"], "voting");
    assert_eq!(app.move_phase(id, "closed")["phase"], "closed");
    let body = assert_problem(phase("closed"), 409, "invalid_phase_transition");
    assert!(body["detail"].as_str().unwrap().contains("closed"));
    let body = assert_problem(phase("finished"), 422, "validation_failed");
    assert_eq!(body["errors"][0]["field"], "to");
}

#[test]
fn schedule_times_move_the_phase_forward_on_read() {
    let app = spawn_app();
    let now = Utc::now();
    let c = app.create_contest(json!({
        "schedule": {
            "suggestions_open_at": (now - Duration::hours(2)).to_rfc3339(),
            "voting_open_at": (now - Duration::hours(1)).to_rfc3339(),
            "voting_close_at": (now + Duration::hours(1)).to_rfc3339(),
        }
    }));
    assert_eq!(c["phase"], "voting");
    let id = c["id"].as_str().unwrap();
    // The public sees it too: it left draft by schedule.
    let public: Value = app
        .public(Method::GET, &format!("/v1/contests/{id}"))
        .send()
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(public["phase"], "voting");
    // Method is locked now that voting opened by schedule.
    let res = app
        .admin(Method::PATCH, &format!("/v1/contests/{id}"))
        .json(&json!({ "method": "schulze" }))
        .send()
        .unwrap();
    assert_problem(res, 409, "locked_by_phase");
    // Only the move to closed is possible.
    assert_eq!(app.move_phase(id, "closed")["phase"], "closed");
}

#[test]
fn a_schedule_in_the_future_leaves_the_phase_alone() {
    let app = spawn_app();
    let later = Utc::now() + Duration::days(1);
    let c = app.create_contest(json!({ "schedule": { "voting_open_at": later.to_rfc3339() } }));
    assert_eq!(c["phase"], "draft");
    assert!(c["schedule"]["voting_open_at"].is_string());
    assert_eq!(c["schedule"]["suggestions_open_at"], Value::Null);
}

#[test]
fn patch_edits_what_the_phase_allows() {
    let app = spawn_app();
    let c = app.create_contest(json!({ "slug": "blog" }));
    let id = c["id"].as_str().unwrap();
    let path = format!("/v1/contests/{id}");
    let patch = |body: Value| app.admin(Method::PATCH, &path).json(&body).send().unwrap();

    let res = patch(
        json!({ "title": "Name our blog", "method": "schulze", "max_rankings": 5, "slug": null }),
    );
    assert_eq!(res.status(), 200);
    let edited: Value = res.json().unwrap();
    assert_eq!(edited["title"], "Name our blog");
    assert_eq!(edited["method"], "schulze");
    assert_eq!(edited["max_rankings"], 5);
    assert_eq!(edited["slug"], Value::Null);

    let body = assert_problem(patch(json!({ "seats": 3 })), 422, "validation_failed");
    assert_eq!(body["errors"][0]["field"], "seats");

    app.move_phase(id, "suggesting");
    app.move_phase(id, "voting");
    let body = assert_problem(
        patch(json!({ "method": "irv", "electorate": "codes" })),
        409,
        "locked_by_phase",
    );
    let detail = body["detail"].as_str().unwrap();
    assert!(
        detail.contains("method") && detail.contains("electorate"),
        "{detail}"
    );
    let res = patch(json!({ "schedule": { "voting_open_at": Utc::now().to_rfc3339() } }));
    let body = assert_problem(res, 422, "validation_failed");
    assert_eq!(body["errors"][0]["field"], "schedule.voting_open_at");
    // Cosmetic fields stay editable.
    let res =
        patch(json!({ "description": "Vote for your favourite", "results_visibility": "live" }));
    assert_eq!(res.status(), 200);

    let after: Value = app
        .admin(Method::GET, &path)
        .send()
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(
        after["method"], "schulze",
        "a refused patch changes nothing"
    );
    assert_eq!(after["electorate"], "open");
    assert_eq!(after["results_visibility"], "live");
}

#[test]
fn the_audit_log_records_phase_moves() {
    let app = spawn_app();
    let c = app.create_contest(json!({}));
    let id = c["id"].as_str().unwrap();
    app.move_phase(id, "suggesting");
    let mut conn = app.db.connect();
    use diesel::prelude::*;
    use diesel::sql_types::Text;
    #[derive(QueryableByName)]
    struct Row {
        #[diesel(sql_type = Text)]
        action: String,
    }
    let rows: Vec<Row> =
        diesel::sql_query("SELECT action FROM audit_log WHERE contest_id = $1::uuid ORDER BY id")
            .bind::<Text, _>(id)
            .load(&mut conn)
            .unwrap();
    let actions: Vec<&str> = rows.iter().map(|r| r.action.as_str()).collect();
    assert_eq!(actions, ["contest.create", "contest.phase"]);
    let res = diesel::sql_query("UPDATE audit_log SET action = 'x'").execute(&mut conn);
    assert!(res.is_err(), "the audit log is append-only");
}
