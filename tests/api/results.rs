//! `GET /v1/contests/{id}/results`: counts, visibility, the shared cache, ETags
//! and final results.

use diesel::prelude::*;
use reqwest::Method;
use serde_json::{json, Value};

use crate::helpers::{assert_problem, spawn_app, winner_names};

#[test]
fn results_count_the_ballots_with_the_contests_method_or_another() {
    let app = spawn_app();
    let c = app.voting_contest(
        json!({ "method": "irv", "results_visibility": "live" }),
        &["Alpha", "Beta", "Gamma"],
    );
    // First preferences: Alpha 4, Beta 3, Gamma 2; Gamma's go to Beta.
    app.cast_ballots(&c, &[(&[0], 4), (&[1, 0], 3), (&[2, 1], 2)]);

    let res = app.results(&c.id, false, "");
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-type"], "application/json");
    let r: Value = res.json().unwrap();
    assert_eq!(r["method"], "irv");
    assert_eq!(winner_names(&r), ["Beta"]);
    assert_eq!(r["winners"][0]["id"], c.candidates[1]);
    assert_eq!(r["ballots_counted"], 9);
    assert_eq!(r["phase"], "voting");
    assert_eq!(r["final"], false);
    assert_eq!(r["contest_id"], c.id);
    assert!(r["computed_at"].is_string());
    assert_eq!(r["ballot_digest"].as_str().unwrap().len(), 64);
    let first_round = &r["rounds"][0]["counts"];
    assert!(
        first_round
            .as_array()
            .unwrap()
            .iter()
            .any(|t| t["name"] == "Alpha" && t["votes"] == 4 && t["id"] == c.candidates[0]),
        "{first_round}"
    );

    let r: Value = app
        .results(&c.id, false, "?method=plurality")
        .json()
        .unwrap();
    assert_eq!(r["method"], "plurality");
    assert_eq!(winner_names(&r), ["Alpha"]);
    let r: Value = app.results(&c.id, false, "?method=schulze").json().unwrap();
    assert_eq!(r["method"], "schulze");
    assert!(r["pairwise"].is_array());

    assert_problem(
        app.results(&c.id, false, "?method=dictator"),
        400,
        "invalid_method",
    );
    assert_problem(
        app.results(&c.id, false, "?colour=red"),
        400,
        "invalid_query",
    );
}

#[test]
fn results_without_ballots_elect_nobody() {
    let app = spawn_app();
    let c = app.voting_contest(json!({ "results_visibility": "live" }), &["A", "B"]);
    let r: Value = app.results(&c.id, false, "").json().unwrap();
    assert_eq!(r["ballots_counted"], 0);
    assert_eq!(r["winners"], json!([]));
}

#[test]
fn visibility_follows_the_contests_setting() {
    let app = spawn_app();
    let after = app.voting_contest(json!({ "results_visibility": "after_close" }), &["A", "B"]);
    let hidden = app.voting_contest(json!({ "results_visibility": "hidden" }), &["A", "B"]);
    app.cast_ballots(&after, &[(&[0], 1)]);

    let body = assert_problem(
        app.results(&after.id, false, ""),
        403,
        "results_not_visible",
    );
    assert!(
        body["detail"].as_str().unwrap().contains("closes voting"),
        "{body}"
    );
    assert_eq!(
        app.results(&after.id, true, "").status(),
        200,
        "admins see live results"
    );
    let body = assert_problem(
        app.results(&hidden.id, false, ""),
        403,
        "results_not_visible",
    );
    assert!(
        body["detail"].as_str().unwrap().contains("hidden"),
        "{body}"
    );

    app.move_phase(&after.id, "closed");
    app.move_phase(&hidden.id, "closed");
    let res = app.results(&after.id, false, "");
    assert_eq!(res.status(), 200);
    assert_eq!(res.json::<Value>().unwrap()["final"], true);
    assert_problem(
        app.results(&hidden.id, false, ""),
        403,
        "results_not_visible",
    );
    assert_eq!(app.results(&hidden.id, true, "").status(), 200);

    // Another organisation's admin does not learn the contest exists.
    let (_, other_key) = app.other_org("Other Library");
    let res = app
        .as_key(
            &other_key,
            Method::GET,
            &format!("/v1/contests/{}/results", after.id),
        )
        .send()
        .unwrap();
    assert_problem(res, 404, "not_found");
    // A draft is invisible to the public; bad ids are 400s.
    let draft = app.create_contest(json!({ "results_visibility": "live" }));
    let draft_id = draft["id"].as_str().unwrap();
    assert_problem(app.results(draft_id, false, ""), 404, "not_found");
    assert_problem(app.results("nope", false, ""), 400, "invalid_id");
}

#[test]
fn the_etag_follows_the_ballots_and_if_none_match_gets_a_304() {
    let app = spawn_app();
    // Batches of one ballot: every write shows at once (docs/SECURITY.md S4).
    let c = app.voting_contest(
        json!({ "results_visibility": "live", "live_results_min_batch": 1 }),
        &["A", "B"],
    );
    app.cast_ballots(&c, &[(&[0], 2)]);

    let res = app.results(&c.id, false, "");
    let etag = res.headers()["etag"].to_str().unwrap().to_owned();
    assert!(etag.starts_with('"'));
    assert!(res.headers()["cache-control"]
        .to_str()
        .unwrap()
        .contains("max-age=3"));
    let body: Value = res.json().unwrap();

    // Served from the cache: the same bytes and the same ETag.
    let res = app.results(&c.id, false, "");
    assert_eq!(res.headers()["etag"], etag.as_str());
    assert_eq!(res.json::<Value>().unwrap(), body);
    let res = app
        .public(Method::GET, &format!("/v1/contests/{}/results", c.id))
        .header("If-None-Match", &etag)
        .send()
        .unwrap();
    assert_eq!(res.status(), 304);
    assert_eq!(res.headers()["etag"], etag.as_str());
    assert!(res.text().unwrap().is_empty());

    // A new ballot changes the ballot version: the next read counts it at once.
    app.cast_ballots(&c, &[(&[1], 1)]);
    let res = app
        .public(Method::GET, &format!("/v1/contests/{}/results", c.id))
        .header("If-None-Match", &etag)
        .send()
        .unwrap();
    assert_eq!(res.status(), 200);
    let new_etag = res.headers()["etag"].to_str().unwrap().to_owned();
    assert_ne!(new_etag, etag);
    assert_eq!(res.json::<Value>().unwrap()["ballots_counted"], 3);

    // So does a withdrawal.
    let token = app.mint_voter_token(&c.id);
    assert_eq!(app.put_ballot(&c.id, &token, &c.ids(&[1])).status(), 201);
    assert_eq!(
        app.results(&c.id, false, "").json::<Value>().unwrap()["ballots_counted"],
        4
    );
    let res = app
        .as_key(
            &token,
            Method::DELETE,
            &format!("/v1/contests/{}/ballot", c.id),
        )
        .send()
        .unwrap();
    assert_eq!(res.status(), 204);
    assert_eq!(
        app.results(&c.id, false, "").json::<Value>().unwrap()["ballots_counted"],
        3
    );

    // Each method has its own entry.
    let res = app.results(&c.id, false, "?method=borda");
    assert_ne!(res.headers()["etag"].to_str().unwrap(), new_etag);
}

#[test]
fn a_closed_contests_result_is_computed_once_and_frozen() {
    let app = spawn_app();
    let c = app.voting_contest(json!({ "results_visibility": "after_close" }), &["A", "B"]);
    app.cast_ballots(&c, &[(&[0], 2), (&[1], 1)]);
    app.move_phase(&c.id, "closed");

    let res = app.results(&c.id, false, "");
    assert_eq!(res.status(), 200);
    assert!(res.headers()["cache-control"]
        .to_str()
        .unwrap()
        .contains("max-age=300"));
    let etag = res.headers()["etag"].to_str().unwrap().to_owned();
    let first: Value = res.json().unwrap();
    assert_eq!(first["final"], true);
    assert_eq!(first["phase"], "closed");
    assert_eq!(winner_names(&first), ["A"]);

    // Even a ballot slipped into the table behind the service's back does not
    // change a final result.
    let mut conn = app.db.connect();
    diesel::sql_query(format!(
        "INSERT INTO ballots (contest_id, voter_hash, ranking, receipt)
         VALUES ('{}', decode(repeat('ee', 32), 'hex'), '{{2}}', md5('x'))",
        c.id
    ))
    .execute(&mut conn)
    .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(3_100));
    let res = app.results(&c.id, false, "");
    assert_eq!(res.headers()["etag"], etag.as_str());
    assert_eq!(res.json::<Value>().unwrap(), first);
}

#[test]
fn a_scheduled_close_freezes_the_result_and_stops_ballots() {
    let app = spawn_app();
    let close_at = chrono::Utc::now() + chrono::Duration::seconds(3);
    let c = app.voting_contest(
        json!({
            "results_visibility": "after_close",
            "schedule": { "voting_close_at": close_at.to_rfc3339() }
        }),
        &["A", "B"],
    );
    app.cast_ballots(&c, &[(&[1], 2)]);
    let body = assert_problem(app.results(&c.id, false, ""), 403, "results_not_visible");
    assert!(body["detail"].as_str().unwrap().contains("scheduled for"));
    while chrono::Utc::now() < close_at + chrono::Duration::milliseconds(200) {
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    let token = app.mint_voter_token(&c.id);
    assert_problem(
        app.put_ballot(&c.id, &token, &c.ids(&[0])),
        409,
        "wrong_phase",
    );
    let r: Value = app.results(&c.id, false, "").json().unwrap();
    assert_eq!(r["final"], true);
    assert_eq!(winner_names(&r), ["B"]);
    assert_eq!(r["ballots_counted"], 2);
}
