//! `PUT`/`GET`/`DELETE /v1/contests/{id}/ballot`: one ballot per voter, strict
//! rankings of current candidates, only while voting is open.

use std::sync::Arc;

use diesel::prelude::*;
use reqwest::Method;
use serde_json::{json, Value};

use crate::helpers::{assert_problem, spawn_app, winner_names};

fn ballot_path(id: &str) -> String {
    format!("/v1/contests/{id}/ballot")
}

#[test]
fn a_voter_casts_replaces_reads_and_withdraws_one_ballot() {
    let app = spawn_app();
    let c = app.voting_contest(json!({}), &["Alpha", "Beta", "Gamma"]);
    let token = app.mint_voter_token(&c.id);

    let res = app.put_ballot(&c.id, &token, &c.ids(&[2, 0]));
    assert_eq!(res.status(), 201);
    assert_eq!(res.headers()["cache-control"], "no-store");
    let first: Value = res.json().unwrap();
    assert_eq!(first["ranking"], json!(c.ids(&[2, 0])));
    let receipt = first["receipt"].as_str().unwrap().to_owned();
    assert_eq!(receipt.len(), 32);
    assert!(receipt.bytes().all(|b| b.is_ascii_hexdigit()));
    assert!(first["updated_at"].is_string());

    let got: Value = app
        .as_key(&token, Method::GET, &ballot_path(&c.id))
        .send()
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(got, first);

    let res = app.put_ballot(&c.id, &token, &c.ids(&[1]));
    assert_eq!(res.status(), 200, "a second PUT replaces");
    let second: Value = res.json().unwrap();
    assert_eq!(second["ranking"], json!(c.ids(&[1])));
    assert_ne!(
        second["receipt"], first["receipt"],
        "a new ballot, a new receipt"
    );
    assert_eq!(app.ballot_rows(&c.id), 1);

    let res = app
        .as_key(&token, Method::DELETE, &ballot_path(&c.id))
        .send()
        .unwrap();
    assert_eq!(res.status(), 204);
    let res = app
        .as_key(&token, Method::GET, &ballot_path(&c.id))
        .send()
        .unwrap();
    assert_problem(res, 404, "not_found");
    let res = app
        .as_key(&token, Method::DELETE, &ballot_path(&c.id))
        .send()
        .unwrap();
    assert_problem(res, 404, "not_found");

    // Casting after a withdrawal is a new ballot again.
    let res = app.put_ballot(&c.id, &token, &c.ids(&[0, 1, 2]));
    assert_eq!(res.status(), 201);
    assert_eq!(app.ballot_rows(&c.id), 1);
}

#[test]
fn bad_rankings_are_422_naming_the_entry_and_change_nothing() {
    let app = spawn_app();
    let c = app.voting_contest(json!({ "max_rankings": 3 }), &["A", "B", "C", "D"]);
    let rejected = app.insert_suggestion(&c.id, "Nope", "rejected");
    let pending = app.insert_suggestion(&c.id, "Later", "pending");
    let token = app.mint_voter_token(&c.id);
    assert_eq!(app.put_ballot(&c.id, &token, &c.ids(&[0])).status(), 201);

    let unknown = uuid::Uuid::new_v4().to_string();
    let cases: Vec<(Vec<String>, &str, &str)> = vec![
        (
            vec![c.candidates[0].clone(), unknown],
            "ranking[1]",
            "not a candidate",
        ),
        (c.ids(&[1, 0, 1]), "ranking[2]", "ranking[0]"),
        (
            vec![c.candidates[0].clone(), rejected],
            "ranking[1]",
            "rejected",
        ),
        (vec![pending], "ranking[0]", "moderation"),
        (vec![], "ranking", "at least one"),
        (c.ids(&[0, 1, 2, 3]), "ranking", "at most 3"),
    ];
    for (ranking, field, words) in cases {
        let res = app.put_ballot(&c.id, &token, &ranking);
        let body = assert_problem(res, 422, "validation_failed");
        let error = body["errors"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["field"] == field)
            .unwrap_or_else(|| panic!("no error on {field}: {body}"));
        assert!(
            error["message"].as_str().unwrap().contains(words),
            "{field}: {body}"
        );
    }
    // Not a UUID, wrong shapes.
    for body in [
        json!({ "ranking": ["not-a-uuid"] }),
        json!({ "ranking": "abc" }),
        json!({}),
        json!({ "ranking": [], "extra": 1 }),
    ] {
        let res = app
            .as_key(&token, Method::PUT, &ballot_path(&c.id))
            .json(&body)
            .send()
            .unwrap();
        assert_problem(res, 422, "validation_failed");
    }
    let res = app
        .as_key(&token, Method::PUT, &ballot_path(&c.id))
        .header("content-type", "application/json")
        .body("{\"ranking\": [")
        .send()
        .unwrap();
    assert_problem(res, 400, "malformed_json");

    let got: Value = app
        .as_key(&token, Method::GET, &ballot_path(&c.id))
        .send()
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(
        got["ranking"],
        json!(c.ids(&[0])),
        "the ballot is unchanged"
    );
}

#[test]
fn a_merged_suggestion_points_at_its_target() {
    let app = spawn_app();
    let c = app.voting_contest(json!({}), &["Library Blog", "Reading Room"]);
    let merged = app.insert_suggestion(&c.id, "Libary Blog", "pending");
    let mut conn = app.db.connect();
    diesel::sql_query("UPDATE suggestions SET status = 'merged', merged_into = $1 WHERE id = $2")
        .bind::<diesel::sql_types::Uuid, _>(c.candidates[0].parse::<uuid::Uuid>().unwrap())
        .bind::<diesel::sql_types::Uuid, _>(merged.parse::<uuid::Uuid>().unwrap())
        .execute(&mut conn)
        .unwrap();
    let token = app.mint_voter_token(&c.id);
    let body = assert_problem(
        app.put_ballot(&c.id, &token, &[merged]),
        422,
        "validation_failed",
    );
    let message = body["errors"][0]["message"].as_str().unwrap();
    assert!(message.contains(&c.candidates[0]), "{body}");
    assert_eq!(body["errors"][0]["field"], "ranking[0]");
}

#[test]
fn ballots_are_refused_outside_voting() {
    let app = spawn_app();
    let contest = app.create_contest(json!({}));
    let id = contest["id"].as_str().unwrap().to_owned();
    app.move_phase(&id, "suggesting");
    let s = vec![app.insert_suggestion(&id, "Alpha", "approved")];
    let token = app.mint_voter_token(&id);
    let body = assert_problem(app.put_ballot(&id, &token, &s), 409, "wrong_phase");
    assert!(body["detail"].as_str().unwrap().contains("suggesting"));

    app.move_phase(&id, "voting");
    assert_eq!(app.put_ballot(&id, &token, &s).status(), 201);
    app.move_phase(&id, "closed");
    let body = assert_problem(app.put_ballot(&id, &token, &s), 409, "wrong_phase");
    assert!(body["detail"].as_str().unwrap().contains("closed"));
    let res = app
        .as_key(&token, Method::DELETE, &ballot_path(&id))
        .send()
        .unwrap();
    assert_problem(res, 409, "wrong_phase");
    // Reading one's own ballot still works.
    let res = app
        .as_key(&token, Method::GET, &ballot_path(&id))
        .send()
        .unwrap();
    assert_eq!(res.status(), 200);
}

#[test]
fn only_the_contests_voters_may_cast() {
    let app = spawn_app();
    let a = app.voting_contest(json!({}), &["A1", "A2"]);
    let b = app.voting_contest(json!({}), &["B1", "B2"]);
    let token_a = app.mint_voter_token(&a.id);
    // A token for contest A on contest B.
    assert_problem(
        app.put_ballot(&b.id, &token_a, &b.ids(&[0])),
        401,
        "unauthorized",
    );
    // No token; an admin key is not a voter.
    let res = app
        .public(Method::PUT, &ballot_path(&a.id))
        .json(&json!({ "ranking": a.ids(&[0]) }))
        .send()
        .unwrap();
    assert_problem(res, 401, "unauthorized");
    let res = app
        .admin(Method::PUT, &ballot_path(&a.id))
        .json(&json!({ "ranking": a.ids(&[0]) }))
        .send()
        .unwrap();
    assert_problem(res, 401, "unauthorized");
    // Candidates of another contest are not candidates here.
    let body = assert_problem(
        app.put_ballot(&a.id, &token_a, &b.ids(&[0])),
        422,
        "validation_failed",
    );
    assert_eq!(body["errors"][0]["field"], "ranking[0]");
    assert_eq!(app.ballot_rows(&a.id) + app.ballot_rows(&b.id), 0);
}

#[test]
fn a_hundred_concurrent_puts_with_one_token_store_one_ballot() {
    let app = Arc::new(spawn_app());
    let c = Arc::new(app.voting_contest(json!({}), &["A", "B", "C"]));
    let token = Arc::new(app.mint_voter_token(&c.id));
    let barrier = Arc::new(std::sync::Barrier::new(100));
    let handles: Vec<_> = (0..100)
        .map(|i| {
            let (app, c, token, barrier) = (app.clone(), c.clone(), token.clone(), barrier.clone());
            std::thread::spawn(move || {
                let ranking = c.ids(&[i % 3, (i + 1) % 3]);
                barrier.wait();
                app.put_ballot(&c.id, &token, &ranking).status().as_u16()
            })
        })
        .collect();
    let statuses: Vec<u16> = handles.into_iter().map(|h| h.join().unwrap()).collect();
    assert!(
        statuses.iter().all(|s| *s == 200 || *s == 201),
        "no 5xx, no conflicts: {statuses:?}"
    );
    assert_eq!(
        statuses.iter().filter(|s| **s == 201).count(),
        1,
        "{statuses:?}"
    );
    assert_eq!(app.ballot_rows(&c.id), 1);
}

#[test]
fn the_schema_itself_refuses_bad_rankings_and_second_ballots() {
    let app = spawn_app();
    let c = app.voting_contest(json!({}), &["A", "B"]);
    let mut conn = app.db.connect();
    let insert = |conn: &mut PgConnection, hash: u8, ranking: &str| {
        diesel::sql_query(format!(
            "INSERT INTO ballots (contest_id, voter_hash, ranking, receipt)
             VALUES ('{}', decode(repeat('{hash:02x}', 32), 'hex'), '{ranking}',
                     md5(random()::text))",
            c.id
        ))
        .execute(conn)
    };
    assert!(insert(&mut conn, 1, "{1,2}").is_ok());
    assert!(
        insert(&mut conn, 1, "{2,1}").is_err(),
        "one ballot per voter"
    );
    for bad in ["{}", "{1,1}", "{1,NULL}", "{0}", "{{1},{2}}"] {
        assert!(insert(&mut conn, 2, bad).is_err(), "{bad} is refused");
    }
}

#[test]
fn an_instance_that_saw_voting_open_refuses_ballots_once_another_closed_it() {
    // Instance `b` keeps a snapshot of a voting contest for voter requests; a
    // close through `a` must still stop its next ballot, and the final count
    // holds exactly the ballots acknowledged before.
    let app = spawn_app();
    let b = app.another_instance(|_| {});
    let contest = app.voting_contest(json!({}), &["Alpha", "Beta"]);
    let put_on_b = |token: &str| {
        app.client
            .put(b.url(&ballot_path(&contest.id)))
            .bearer_auth(token)
            .json(&json!({ "ranking": contest.ids(&[1, 0]) }))
            .send()
            .unwrap()
    };
    let first = app.mint_voter_token(&contest.id);
    assert_eq!(put_on_b(&first).status(), 201);
    app.move_phase(&contest.id, "closed");
    let late = app.mint_voter_token(&contest.id);
    let body = assert_problem(put_on_b(&late), 409, "wrong_phase");
    assert!(
        body["detail"].as_str().unwrap().contains("closed"),
        "{body}"
    );
    let result: Value = app.results(&contest.id, true, "").json().unwrap();
    assert_eq!(result["final"], true);
    assert_eq!(result["ballots_counted"], 1);
    assert_eq!(winner_names(&result), vec!["Beta".to_owned()]);
}
