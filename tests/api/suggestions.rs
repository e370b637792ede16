//! Suggestions: normalisation and dedupe, support, the per-participant limit,
//! moderation and visibility, merges, similar names, listing, phases and the
//! candidate list the ballots use.

use reqwest::Method;
use serde_json::{json, Value};

use crate::helpers::{assert_problem, spawn_app, TestApp};

fn list(app: &TestApp, contest: &str, admin: bool, query: &str) -> Value {
    let path = format!("/v1/contests/{contest}/suggestions{query}");
    let req = if admin {
        app.admin(Method::GET, &path)
    } else {
        app.public(Method::GET, &path)
    };
    let res = req.send().unwrap();
    assert_eq!(res.status(), 200, "{:?}", res.text());
    res.json().unwrap()
}

fn names(page: &Value) -> Vec<String> {
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap().to_owned())
        .collect()
}

fn id_of(v: &Value) -> String {
    v["id"].as_str().unwrap().to_owned()
}

fn candidates(app: &TestApp, contest: &str) -> Vec<(i32, String)> {
    let mut conn = app.db.connect();
    christen::db::suggestions::candidates(&mut conn, contest.parse().unwrap())
        .unwrap()
        .into_iter()
        .map(|c| (c.candidate_no, c.name))
        .collect()
}

#[test]
fn a_suggestion_is_normalised_numbered_and_supported_by_its_submitter() {
    let app = spawn_app();
    let contest = app.suggesting_contest(json!({}));
    let token = app.voter_token(&contest);
    let res = app
        .as_voter(&token, Method::POST, &format!("/v1/contests/{contest}/suggestions"))
        .json(&json!({ "name": "  The   Library\u{00A0}\u{2003}Blog ", "note": " for the new blog " }))
        .send()
        .unwrap();
    assert_eq!(res.status(), 201);
    let location = res.headers()["location"].to_str().unwrap().to_owned();
    let s: Value = res.json().unwrap();
    assert_eq!(
        location,
        format!("/v1/contests/{contest}/suggestions/{}", id_of(&s))
    );
    assert_eq!(s["name"], "The Library Blog");
    assert_eq!(s["note"], "for the new blog");
    assert_eq!(s["status"], "pending");
    assert_eq!(s["support_count"], 1);
    assert_eq!(s["aliases"], json!([]));
    assert_eq!(s["candidate_no"], 1);
    assert!(s["created_at"].is_string());
    let second = app.add_suggestion(&contest, "Reading Room");
    assert_eq!(second["candidate_no"], 2);
    assert_eq!(second["note"], Value::Null);
}

#[test]
fn names_equal_after_normalisation_are_one_candidate_and_count_as_support() {
    let app = spawn_app();
    let contest = app.suggesting_contest(json!({ "moderation": "post" }));
    let alice = app.voter_token(&contest);
    let bob = app.voter_token(&contest);
    let carol = app.voter_token(&contest);
    let first: Value = app
        .suggest(&contest, &alice, "The Library Blog")
        .json()
        .unwrap();
    for (token, name, recorded, count) in [
        (&bob, "library  blog", true, 2),
        (&bob, "LIBRARY-BLOG!", false, 2),
        (&alice, "Library Blog", false, 2),
        (&carol, "ＬＩＢＲＡＲＹ ＢＬＯＧ", true, 3),
    ] {
        let body = assert_problem(
            app.suggest(&contest, token, name),
            409,
            "duplicate_suggestion",
        );
        assert_eq!(body["suggestion"]["id"], first["id"], "{body}");
        assert_eq!(body["suggestion"]["name"], "The Library Blog");
        assert_eq!(body["support_recorded"], recorded, "{name}: {body}");
        assert_eq!(body["suggestion"]["support_count"], count, "{name}: {body}");
        assert!(body["detail"]
            .as_str()
            .unwrap()
            .contains("The Library Blog"));
    }
    let page = list(&app, &contest, false, "");
    assert_eq!(names(&page), ["The Library Blog"]);
    assert_eq!(page["items"][0]["support_count"], 3);
    assert_eq!(
        candidates(&app, &contest),
        [(1, "The Library Blog".to_owned())]
    );
}

#[test]
fn each_participant_may_suggest_a_limited_number_of_names() {
    let app = spawn_app();
    let contest = app
        .suggesting_contest(json!({ "moderation": "post", "max_suggestions_per_participant": 2 }));
    let token = app.voter_token(&contest);
    let other = app.voter_token(&contest);
    assert_eq!(app.suggest(&contest, &other, "Stacks").status(), 201);
    assert_eq!(app.suggest(&contest, &token, "One").status(), 201);
    // Supporting someone else's name does not count against the limit.
    assert_eq!(app.suggest(&contest, &token, "stacks").status(), 409);
    assert_eq!(app.suggest(&contest, &token, "Two").status(), 201);
    let body = assert_problem(
        app.suggest(&contest, &token, "Three"),
        409,
        "suggestion_limit_reached",
    );
    assert!(
        body["detail"].as_str().unwrap().contains("at most 2"),
        "{body}"
    );
    // Nothing was stored, and other participants are not affected.
    assert_eq!(
        list(&app, &contest, true, "")["items"]
            .as_array()
            .unwrap()
            .len(),
        3
    );
    assert_eq!(app.suggest(&contest, &other, "Three").status(), 201);
}

#[test]
fn invalid_names_and_notes_are_422_and_store_nothing() {
    let app = spawn_app();
    let contest = app.suggesting_contest(json!({}));
    let token = app.voter_token(&contest);
    let post = |body: Value| {
        app.as_voter(
            &token,
            Method::POST,
            &format!("/v1/contests/{contest}/suggestions"),
        )
        .json(&body)
        .send()
        .unwrap()
    };
    for (body, field) in [
        (json!({ "name": "   " }), "name"),
        (json!({ "name": "x".repeat(81) }), "name"),
        (json!({ "name": "bell\u{7}" }), "name"),
        (json!({ "name": "???" }), "name"),
        (json!({ "name": "Fine", "note": "n".repeat(501) }), "note"),
        (json!({ "name": 42 }), "name"),
        (json!({ "name": "Fine", "extra": true }), "body"),
        (json!({}), "body"),
    ] {
        let problem = assert_problem(post(body.clone()), 422, "validation_failed");
        let fields: Vec<&str> = problem["errors"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["field"].as_str().unwrap())
            .collect();
        assert!(
            fields.iter().any(|f| f.contains(field) || field == "body"),
            "{body} → {problem}"
        );
    }
    let res = app
        .as_voter(
            &token,
            Method::POST,
            &format!("/v1/contests/{contest}/suggestions"),
        )
        .header("Content-Type", "application/json")
        .body("{\"name\": ")
        .send()
        .unwrap();
    assert_problem(res, 400, "malformed_json");
    assert_eq!(list(&app, &contest, true, "")["items"], json!([]));
    // 80 characters after collapsing whitespace is fine.
    let res = post(json!({ "name": format!("{}    {}", "a".repeat(40), "b".repeat(39)) }));
    assert_eq!(res.status(), 201);
}

#[test]
fn suggestions_are_refused_outside_the_suggesting_phase() {
    let app = spawn_app();
    let draft = app.create_contest(json!({}));
    let draft_id = id_of(&draft);
    let token = app.mint_voter_token(&draft_id);
    // A draft is invisible to participants.
    assert_problem(app.suggest(&draft_id, &token, "Early"), 404, "not_found");
    app.move_phase(&draft_id, "suggesting");
    assert_eq!(app.suggest(&draft_id, &token, "On time").status(), 201);
    app.move_phase(&draft_id, "voting");
    let body = assert_problem(app.suggest(&draft_id, &token, "Late"), 409, "wrong_phase");
    assert!(
        body["detail"].as_str().unwrap().contains("`voting`"),
        "{body}"
    );
    app.move_phase(&draft_id, "closed");
    let body = assert_problem(app.suggest(&draft_id, &token, "Later"), 409, "wrong_phase");
    assert!(
        body["detail"].as_str().unwrap().contains("`closed`"),
        "{body}"
    );
}

#[test]
fn pre_moderation_hides_suggestions_until_approved() {
    let app = spawn_app();
    let contest = app.suggesting_contest(json!({ "moderation": "pre" }));
    let a = app.add_suggestion(&contest, "Alpha");
    let b = app.add_suggestion(&contest, "Beta");
    assert_eq!(a["status"], "pending");
    assert_eq!(list(&app, &contest, false, "")["items"], json!([]));
    assert!(candidates(&app, &contest).is_empty());
    let admin = list(&app, &contest, true, "");
    assert_eq!(names(&admin), ["Alpha", "Beta"]);
    assert_eq!(admin["items"][0]["status"], "pending");

    let approved = app.approve(&contest, &id_of(&a));
    assert_eq!(approved["status"], "approved");
    let res = app.moderate(&contest, &id_of(&b), json!({ "status": "rejected" }));
    assert_eq!(res.status(), 200);
    assert_eq!(names(&list(&app, &contest, false, "")), ["Alpha"]);
    assert_eq!(candidates(&app, &contest), [(1, "Alpha".to_owned())]);
    // Filters for the admin.
    assert_eq!(
        names(&list(&app, &contest, true, "?status=rejected")),
        ["Beta"]
    );
    assert_eq!(
        names(&list(&app, &contest, true, "?status=approved")),
        ["Alpha"]
    );
    // The public cannot see rejected ones even when asking.
    assert_eq!(
        list(&app, &contest, false, "?status=rejected")["items"],
        json!([])
    );
    let res = app
        .admin(
            Method::GET,
            &format!("/v1/contests/{contest}/suggestions?status=maybe"),
        )
        .send()
        .unwrap();
    assert_problem(res, 400, "invalid_status");
    // A rejected suggestion can be approved again while suggesting.
    assert_eq!(app.approve(&contest, &id_of(&b))["status"], "approved");
    assert_eq!(candidates(&app, &contest).len(), 2);
}

#[test]
fn post_moderation_shows_suggestions_at_once_and_removes_rejected_ones() {
    let app = spawn_app();
    let contest = app.suggesting_contest(json!({ "moderation": "post" }));
    let a = app.add_suggestion(&contest, "Alpha");
    app.add_suggestion(&contest, "Beta");
    assert_eq!(a["status"], "approved");
    assert_eq!(names(&list(&app, &contest, false, "")), ["Alpha", "Beta"]);
    let res = app.moderate(&contest, &id_of(&a), json!({ "status": "rejected" }));
    assert_eq!(res.json::<Value>().unwrap()["status"], "rejected");
    assert_eq!(names(&list(&app, &contest, false, "")), ["Beta"]);
    assert_eq!(candidates(&app, &contest), [(2, "Beta".to_owned())]);
}

#[test]
fn moderation_is_for_the_organisations_admins_only() {
    let app = spawn_app();
    let contest = app.suggesting_contest(json!({}));
    let s = app.add_suggestion(&contest, "Alpha");
    let path = format!("/v1/contests/{contest}/suggestions/{}", id_of(&s));
    let res = app
        .public(Method::PATCH, &path)
        .json(&json!({ "status": "approved" }))
        .send()
        .unwrap();
    assert_problem(res, 401, "unauthorized");
    let token = app.voter_token(&contest);
    let res = app
        .as_voter(&token, Method::PATCH, &path)
        .json(&json!({ "status": "approved" }))
        .send()
        .unwrap();
    assert_problem(res, 401, "unauthorized");
    let (_, other) = app.other_org("Town Museum");
    let res = app
        .as_key(&other, Method::PATCH, &path)
        .json(&json!({ "status": "approved" }))
        .send()
        .unwrap();
    assert_problem(res, 404, "not_found");
    // Another organisation's admin is the public here: no pending names.
    let res = app
        .as_key(
            &other,
            Method::GET,
            &format!("/v1/contests/{contest}/suggestions"),
        )
        .send()
        .unwrap();
    assert_problem(res, 404, "not_found");
    // Unknown suggestion, bad ids, bad bodies.
    let res = app.moderate(
        &contest,
        "00000000-0000-0000-0000-000000000000",
        json!({ "status": "approved" }),
    );
    assert_problem(res, 404, "not_found");
    assert_problem(
        app.moderate(&contest, "nope", json!({ "status": "approved" })),
        400,
        "invalid_id",
    );
    for body in [
        json!({}),
        json!({ "status": "pending" }),
        json!({ "status": "merged" }),
        json!({ "status": "approved", "merged_into": id_of(&s) }),
        json!({ "merged_into": "not-a-uuid" }),
        json!({ "status": "approved", "note": "x" }),
    ] {
        assert_problem(
            app.moderate(&contest, &id_of(&s), body),
            422,
            "validation_failed",
        );
    }
    assert_eq!(
        list(&app, &contest, true, "")["items"][0]["status"],
        "pending"
    );
}

#[test]
fn merging_moves_support_keeps_the_alias_and_refuses_cycles() {
    let app = spawn_app();
    let contest = app.suggesting_contest(json!({ "moderation": "post" }));
    let alice = app.voter_token(&contest);
    let bob = app.voter_token(&contest);
    let carol = app.voter_token(&contest);
    let blog: Value = app
        .suggest(&contest, &alice, "Library Blog")
        .json()
        .unwrap();
    let libary: Value = app.suggest(&contest, &bob, "Libary Blog").json().unwrap();
    let other = app.add_suggestion(&contest, "Reading Room");
    // Alice supports both; Carol supports the misspelt one.
    assert_eq!(app.suggest(&contest, &alice, "libary blog").status(), 409);
    assert_eq!(app.suggest(&contest, &carol, "LIBARY BLOG").status(), 409);

    let res = app.moderate(
        &contest,
        &id_of(&libary),
        json!({ "merged_into": id_of(&blog) }),
    );
    assert_eq!(res.status(), 200);
    let merged: Value = res.json().unwrap();
    assert_eq!(merged["status"], "merged");
    assert_eq!(merged["merged_into"], blog["id"]);
    let page = list(&app, &contest, false, "");
    assert_eq!(names(&page), ["Library Blog", "Reading Room"]);
    // Alice, Bob and Carol: Alice once.
    assert_eq!(page["items"][0]["support_count"], 3);
    assert_eq!(page["items"][0]["aliases"], json!(["Libary Blog"]));
    // The merged name still finds the suggestion it now lives in.
    let dave = app.voter_token(&contest);
    let body = assert_problem(
        app.suggest(&contest, &dave, "Libary-Blog"),
        409,
        "duplicate_suggestion",
    );
    assert_eq!(body["suggestion"]["id"], blog["id"]);
    assert_eq!(body["suggestion"]["support_count"], 4);
    assert_eq!(
        candidates(&app, &contest),
        [
            (1, "Library Blog".to_owned()),
            (3, "Reading Room".to_owned())
        ]
    );

    let problem = assert_problem(
        app.moderate(
            &contest,
            &id_of(&blog),
            json!({ "merged_into": id_of(&blog) }),
        ),
        409,
        "invalid_merge",
    );
    assert!(problem["detail"].as_str().unwrap().contains("itself"));
    assert_problem(
        app.moderate(
            &contest,
            &id_of(&blog),
            json!({ "merged_into": id_of(&libary) }),
        ),
        409,
        "merge_cycle",
    );
    assert_problem(
        app.moderate(
            &contest,
            &id_of(&libary),
            json!({ "merged_into": id_of(&other) }),
        ),
        409,
        "already_merged",
    );
    assert_problem(
        app.moderate(&contest, &id_of(&libary), json!({ "status": "approved" })),
        409,
        "already_merged",
    );
    assert_problem(
        app.moderate(
            &contest,
            &id_of(&blog),
            json!({ "merged_into": "00000000-0000-0000-0000-000000000000" }),
        ),
        422,
        "validation_failed",
    );
    // Merging the target on moves everything along, aliases included.
    let res = app.moderate(
        &contest,
        &id_of(&blog),
        json!({ "merged_into": id_of(&other) }),
    );
    assert_eq!(res.status(), 200);
    let page = list(&app, &contest, false, "");
    assert_eq!(names(&page), ["Reading Room"]);
    assert_eq!(page["items"][0]["support_count"], 5);
    assert_eq!(
        page["items"][0]["aliases"],
        json!(["Library Blog", "Libary Blog"])
    );
    let admin = list(&app, &contest, true, "?status=merged");
    for item in admin["items"].as_array().unwrap() {
        assert_eq!(item["merged_into"], other["id"], "{item}");
    }
}

#[test]
fn candidates_are_fixed_once_voting_opens() {
    let app = spawn_app();
    let (contest, ids) = app.contest_with_candidates(json!({}), &["Alpha", "Beta"]);
    for body in [
        json!({ "status": "rejected" }),
        json!({ "status": "approved" }),
        json!({ "merged_into": ids[1] }),
    ] {
        let problem = assert_problem(
            app.moderate(&contest, &ids[0], body),
            409,
            "locked_by_phase",
        );
        assert!(problem["detail"].as_str().unwrap().contains("`voting`"));
    }
    assert_eq!(
        candidates(&app, &contest),
        [(1, "Alpha".to_owned()), (2, "Beta".to_owned())]
    );
}

#[test]
fn similar_names_are_found_with_a_score() {
    let app = spawn_app();
    let contest = app.suggesting_contest(json!({ "moderation": "post" }));
    app.add_suggestion(&contest, "Library Blog");
    app.add_suggestion(&contest, "Reading Room");
    app.add_suggestion(&contest, "Book Nook");
    let similar = |name: &str| -> Value {
        let res = app
            .public(
                Method::GET,
                &format!("/v1/contests/{contest}/suggestions/similar"),
            )
            .query(&[("name", name)])
            .send()
            .unwrap();
        assert_eq!(res.status(), 200, "{:?}", res.text());
        res.json().unwrap()
    };
    for query in [
        "Libary Blog",
        "Library Blogg",
        "the library blog",
        "Librry Blog",
    ] {
        let found = similar(query);
        assert_eq!(
            found["items"][0]["name"], "Library Blog",
            "{query}: {found}"
        );
        let score = found["items"][0]["score"].as_f64().unwrap();
        assert!(score > 0.7 && score <= 1.0, "{query}: {score}");
    }
    assert_eq!(similar("the library blog")["items"][0]["score"], 1.0);
    assert_eq!(similar("Zebra Crossing")["items"], json!([]));
    let res = app
        .public(
            Method::GET,
            &format!("/v1/contests/{contest}/suggestions/similar?name="),
        )
        .send()
        .unwrap();
    assert_problem(res, 422, "validation_failed");
    let res = app
        .public(
            Method::GET,
            &format!("/v1/contests/{contest}/suggestions/similar"),
        )
        .send()
        .unwrap();
    assert_problem(res, 400, "invalid_query");

    // The admin list groups likely duplicates.
    app.add_suggestion(&contest, "Libary Blog");
    let admin = list(&app, &contest, true, "");
    let blog = admin["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == "Library Blog")
        .unwrap();
    let dups = blog["likely_duplicates"].as_array().unwrap();
    assert_eq!(dups[0]["name"], "Libary Blog", "{blog}");
    assert!(dups[0]["score"].as_f64().unwrap() > 0.7);
    assert!(list(&app, &contest, false, "")["items"][0]
        .get("likely_duplicates")
        .is_none());
}

#[test]
fn similar_names_under_pre_moderation_show_the_public_only_approved_ones() {
    let app = spawn_app();
    let contest = app.suggesting_contest(json!({ "moderation": "pre" }));
    let s = app.add_suggestion(&contest, "Library Blog");
    let path = format!("/v1/contests/{contest}/suggestions/similar?name=Libary%20Blog");
    let public: Value = app
        .public(Method::GET, &path)
        .send()
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(public["items"], json!([]));
    let admin: Value = app
        .admin(Method::GET, &path)
        .send()
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(admin["items"][0]["id"], s["id"]);
    app.approve(&contest, &id_of(&s));
    let public: Value = app
        .public(Method::GET, &path)
        .send()
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(public["items"][0]["id"], s["id"]);
}

#[test]
fn the_list_is_ordered_by_support_then_time_and_paginated() {
    let app = spawn_app();
    let contest = app.suggesting_contest(json!({ "moderation": "post" }));
    app.add_suggestion(&contest, "First");
    app.add_suggestion(&contest, "Second");
    app.add_suggestion(&contest, "Third");
    for _ in 0..2 {
        let t = app.mint_voter_token(&contest);
        assert_eq!(app.suggest(&contest, &t, "third").status(), 409);
    }
    let t = app.mint_voter_token(&contest);
    assert_eq!(app.suggest(&contest, &t, "second").status(), 409);
    assert_eq!(
        names(&list(&app, &contest, false, "")),
        ["Third", "Second", "First"]
    );
    let mut seen = Vec::new();
    let mut query = "?limit=1".to_owned();
    loop {
        let page = list(&app, &contest, false, &query);
        seen.extend(names(&page));
        match page["next_cursor"].as_str() {
            Some(c) => query = format!("?limit=1&cursor={c}"),
            None => break,
        }
    }
    assert_eq!(seen, ["Third", "Second", "First"]);
    for bad in ["?limit=0", "?limit=101", "?cursor=bogus"] {
        let res = app
            .public(
                Method::GET,
                &format!("/v1/contests/{contest}/suggestions{bad}"),
            )
            .send()
            .unwrap();
        assert_eq!(res.status(), 400, "{bad}");
    }
}

#[test]
fn draft_contests_have_no_public_suggestions() {
    let app = spawn_app();
    let draft = id_of(&app.create_contest(json!({})));
    let res = app
        .public(Method::GET, &format!("/v1/contests/{draft}/suggestions"))
        .send()
        .unwrap();
    assert_problem(res, 404, "not_found");
    assert_eq!(list(&app, &draft, true, "")["items"], json!([]));
}

#[test]
fn concurrent_suggestions_of_one_name_make_one_candidate() {
    let app = spawn_app();
    let contest = app.suggesting_contest(json!({ "moderation": "post" }));
    let tokens: Vec<String> = (0..8).map(|_| app.mint_voter_token(&contest)).collect();
    let statuses: Vec<u16> = std::thread::scope(|s| {
        let handles: Vec<_> = tokens
            .iter()
            .enumerate()
            .map(|(i, t)| {
                let app = &app;
                let contest = &contest;
                s.spawn(move || {
                    let name = if i % 2 == 0 { "Same Name" } else { "same-name" };
                    app.suggest(contest, t, name).status().as_u16()
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert_eq!(
        statuses.iter().filter(|s| **s == 201).count(),
        1,
        "{statuses:?}"
    );
    assert_eq!(
        statuses.iter().filter(|s| **s == 409).count(),
        7,
        "{statuses:?}"
    );
    let page = list(&app, &contest, false, "");
    assert_eq!(page["items"][0]["support_count"], 8);
}

#[test]
fn a_duplicate_of_a_hidden_suggestion_says_only_that_the_name_is_taken() {
    let app = spawn_app();
    let contest = app.suggesting_contest(json!({ "moderation": "pre" }));
    let first = app.voter_token(&contest);
    let res = app
        .as_voter(
            &first,
            Method::POST,
            &format!("/v1/contests/{contest}/suggestions"),
        )
        .json(&json!({ "name": "Stacks", "note": "a private thought" }))
        .send()
        .unwrap();
    assert_eq!(res.status(), 201);
    let sid = id_of(&res.json::<Value>().unwrap());
    let second = app.voter_token(&contest);
    let body = assert_problem(
        app.suggest(&contest, &second, "stacks"),
        409,
        "duplicate_suggestion",
    );
    // Pending: no id, status, note or support count leaks to the public.
    assert!(body.get("suggestion").is_none(), "{body}");
    assert!(!body.to_string().contains(&sid), "{body}");
    assert!(!body.to_string().contains("pending"), "{body}");
    assert!(!body.to_string().contains("private thought"), "{body}");
    assert_eq!(body["support_recorded"], true);
    app.approve(&contest, &sid);
    let third = app.voter_token(&contest);
    let body = assert_problem(
        app.suggest(&contest, &third, "STACKS"),
        409,
        "duplicate_suggestion",
    );
    assert_eq!(body["suggestion"]["note"], "a private thought");
    assert_eq!(body["suggestion"]["support_count"], 3);
}

#[test]
fn a_duplicate_of_a_rejected_suggestion_reveals_nothing_about_it() {
    let app = spawn_app();
    let contest = app.suggesting_contest(json!({ "moderation": "post" }));
    let first = app.voter_token(&contest);
    let res = app.suggest(&contest, &first, "Dusty Shelves");
    assert_eq!(res.status(), 201);
    let sid = id_of(&res.json::<Value>().unwrap());
    let res = app.moderate(&contest, &sid, json!({ "status": "rejected" }));
    assert_eq!(res.status(), 200);
    let second = app.voter_token(&contest);
    let body = assert_problem(
        app.suggest(&contest, &second, "dusty shelves"),
        409,
        "duplicate_suggestion",
    );
    let text = body.to_string();
    assert!(!text.contains(&sid), "{text}");
    assert!(!text.contains("rejected"), "{text}");
    assert!(!text.contains("support_count"), "{text}");
}

#[test]
fn look_alike_and_invisible_characters_do_not_make_a_new_suggestion() {
    let app = spawn_app();
    let contest = app.suggesting_contest(json!({ "moderation": "post" }));
    let first = app.voter_token(&contest);
    assert_eq!(app.suggest(&contest, &first, "Shelf Life").status(), 201);
    // Each is drawn as "Shelf Life" (the security review's list).
    for twin in [
        "Sh\u{0435}lf Life",
        "\u{0405}helf Life",
        "Shelf Life\u{FE0F}",
        "Shelf Life\u{E0041}",
        "Shelf Life\u{1F3FD}",
        "\u{061C}Shelf Life",
    ] {
        let voter = app.voter_token(&contest);
        assert_problem(
            app.suggest(&contest, &voter, twin),
            409,
            "duplicate_suggestion",
        );
    }
    for refused in [
        "Shelf Life\u{FFFE}",
        "Shelf Life\u{FFFF}",
        "Shelf Life\u{10FFFF}",
    ] {
        let voter = app.voter_token(&contest);
        assert_problem(
            app.suggest(&contest, &voter, refused),
            422,
            "validation_failed",
        );
    }
    let page = list(&app, &contest, false, "");
    assert_eq!(page["items"].as_array().unwrap().len(), 1, "{page}");
    assert_eq!(page["items"][0]["support_count"], 7);
    // "Did you mean" folds the same way.
    let similar: Value = app
        .public(
            Method::GET,
            &format!("/v1/contests/{contest}/suggestions/similar?name=Sh%D0%B5lf%20Life"),
        )
        .send()
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(similar["items"][0]["score"], 1.0, "{similar}");
}
