//! docs/SECURITY.md S4 (live results advance in batches), S3 (ballot
//! read-back under the contest's control) and S13 (one recount at a time):
//! the contest settings `live_results_min_batch` and `ballot_readback`, and
//! the count of recounts on `/metrics`.

use reqwest::Method;
use serde_json::{json, Value};

use crate::helpers::{assert_problem, spawn_app, TestApp, VotingContest};

fn results(app: &TestApp, c: &VotingContest, query: &str) -> Value {
    let res = app.results(&c.id, false, query);
    assert_eq!(res.status(), 200);
    res.json().unwrap()
}

fn get_text(app: &TestApp, path: &str) -> String {
    let res = app.public(Method::GET, path).send().unwrap();
    assert_eq!(res.status(), 200, "{path}");
    res.text().unwrap()
}

/// What a result shows, without when it was computed.
fn shown(r: &Value) -> Value {
    let mut r = r.clone();
    r.as_object_mut().unwrap().remove("computed_at");
    r
}

/// `christen_result_counts_total` on this instance's `/metrics`.
fn result_counts(app: &TestApp) -> u64 {
    let text = get_text(app, "/metrics");
    text.lines()
        .find_map(|l| l.strip_prefix("christen_result_counts_total "))
        .unwrap_or_else(|| panic!("no christen_result_counts_total in: {text}"))
        .trim()
        .parse()
        .unwrap()
}

#[test]
fn a_live_result_does_not_change_for_one_ballot_but_for_a_batch() {
    let app = spawn_app();
    let c = app.voting_contest(
        json!({ "method": "schulze", "results_visibility": "live" }),
        &["Alpha", "Beta", "Gamma"],
    );
    let svg_path = format!("/v1/contests/{}/results.svg", c.id);
    let page_path = format!("/embed/contests/{}", c.id);

    // Fewer ballots than a batch: the published state is the one without any.
    app.cast_ballots(&c, &[(&[0, 1, 2], 3)]);
    assert_eq!(results(&app, &c, "")["ballots_counted"], 0);

    // A whole batch (5, the default) since then: published.
    app.cast_ballots(&c, &[(&[1, 0, 2], 2)]);
    let before = results(&app, &c, "?method=schulze");
    assert_eq!(before["ballots_counted"], 5);
    let svg_before = get_text(&app, &svg_path);
    assert!(get_text(&app, &page_path).contains("5 ballots counted"));

    // One known voter casts: the pairwise matrix before and after would give
    // their whole ranking away. Nothing changes, by any method or view — not
    // even by a method nobody asked for before (its matrix is the same).
    app.cast_ballots(&c, &[(&[2, 1, 0], 1)]);
    let after = results(&app, &c, "?method=schulze");
    assert_eq!(shown(&after), shown(&before));
    assert_eq!(after["pairwise"], before["pairwise"]);
    assert_eq!(after["ballot_digest"], before["ballot_digest"]);
    let cold = results(&app, &c, "?method=ranked_pairs");
    assert_eq!(cold["ballots_counted"], 5);
    assert_eq!(cold["pairwise"], before["pairwise"]);
    assert_eq!(results(&app, &c, "?method=copeland")["ballots_counted"], 5);
    assert_eq!(get_text(&app, &svg_path), svg_before);
    assert!(get_text(&app, &page_path).contains("5 ballots counted"));

    // Four more make a batch of five: the results move on, everywhere.
    app.cast_ballots(&c, &[(&[0, 2, 1], 4)]);
    let next = results(&app, &c, "?method=schulze");
    assert_eq!(next["ballots_counted"], 10);
    assert_ne!(next["pairwise"], before["pairwise"]);
    assert_ne!(get_text(&app, &svg_path), svg_before);
    assert!(get_text(&app, &page_path).contains("10 ballots counted"));

    // A withdrawal is a ballot write like any other: one alone shows nothing.
    let token = app.mint_voter_token(&c.id);
    assert_eq!(app.put_ballot(&c.id, &token, &c.ids(&[1])).status(), 201);
    let res = app
        .as_voter(
            &token,
            Method::DELETE,
            &format!("/v1/contests/{}/ballot", c.id),
        )
        .send()
        .unwrap();
    assert_eq!(res.status(), 204);
    assert_eq!(results(&app, &c, "")["ballots_counted"], 10);

    // Final results are exact and immediate.
    app.cast_ballots(&c, &[(&[1], 1)]);
    app.move_phase(&c.id, "closed");
    let last = results(&app, &c, "");
    assert_eq!(last["final"], true);
    assert_eq!(last["ballots_counted"], 11);
}

#[test]
fn with_batches_of_one_a_diff_around_a_cast_gives_the_ballot_away() {
    // What the setting guards against, shown with the guard turned off (the
    // behaviour before it existed): one cast between two reads of the
    // pairwise matrix tells exactly how that voter ranked.
    let app = spawn_app();
    let c = app.voting_contest(
        json!({ "method": "schulze", "results_visibility": "live", "live_results_min_batch": 1 }),
        &["Alpha", "Beta", "Gamma"],
    );
    app.cast_ballots(&c, &[(&[0, 1, 2], 2), (&[1, 0], 2)]);
    let before = results(&app, &c, "?method=schulze");
    app.cast_ballots(&c, &[(&[2, 1, 0], 1)]);
    let after = results(&app, &c, "?method=schulze");
    assert_eq!(after["ballots_counted"], 5);
    assert_ne!(after["pairwise"], before["pairwise"]);
}

/// Reads the stream until `needle` appears; returns what was read.
fn read_stream_until(res: &mut reqwest::blocking::Response, needle: &str) -> String {
    use std::io::Read;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    let mut seen = String::new();
    let mut buf = [0u8; 8192];
    while !seen.contains(needle) {
        assert!(
            std::time::Instant::now() < deadline,
            "no `{needle}` in: {seen}"
        );
        let n = res.read(&mut buf).expect("reading the stream");
        assert!(n > 0, "stream ended before `{needle}`: {seen}");
        seen.push_str(&String::from_utf8_lossy(&buf[..n]));
    }
    seen
}

#[test]
fn the_stream_advances_in_batches_with_event_ids_of_its_own_contest() {
    let app = spawn_app();
    // Ballots elsewhere move the global ballot version along.
    let busy = app.voting_contest(json!({}), &["A", "B"]);
    app.cast_ballots(&busy, &[(&[0], 7)]);
    let c = app.voting_contest(
        json!({ "results_visibility": "live", "live_results_min_batch": 2 }),
        &["Quill", "Ink"],
    );
    app.cast_ballots(&c, &[(&[0, 1], 2)]);
    let client = reqwest::blocking::Client::builder()
        .timeout(None)
        .build()
        .unwrap();
    let path = format!("/v1/contests/{}/results/stream", c.id);
    let mut res = client.get(app.url(&path)).send().unwrap();
    assert_eq!(res.status(), 200);
    let seen = read_stream_until(&mut res, "\"ballots_counted\":2");
    assert!(seen.contains("id: 1\nevent: result\n"), "{seen}");

    // One ballot: no event (the next one carries three or more ballots).
    app.cast_ballots(&c, &[(&[1, 0], 1)]);
    // Another: a batch of two, the contest's second publication.
    std::thread::sleep(std::time::Duration::from_millis(1500));
    app.cast_ballots(&c, &[(&[1, 0], 1)]);
    let seen = read_stream_until(&mut res, "\"ballots_counted\":4");
    assert!(!seen.contains("\"ballots_counted\":3"), "{seen}");
    assert!(seen.contains("id: 2\nevent: result\n"), "{seen}");
}

#[test]
fn concurrent_cold_requests_share_one_count_and_unchanged_ballots_are_never_recounted() {
    let app = spawn_app();
    let c = app.voting_contest(
        json!({ "results_visibility": "live" }),
        &["Alpha", "Beta", "Gamma"],
    );
    app.cast_ballots(&c, &[(&[0, 1], 3), (&[2], 2)]);
    let start = result_counts(&app);

    let barrier = std::sync::Barrier::new(16);
    let etags: Vec<String> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..16)
            .map(|i| {
                let (app, c, barrier) = (&app, &c, &barrier);
                s.spawn(move || {
                    barrier.wait();
                    let query = if i % 2 == 0 { "" } else { "?method=borda" };
                    let res = app.results(&c.id, false, query);
                    assert_eq!(res.status(), 200);
                    let etag = res.headers()["etag"].to_str().unwrap().to_owned();
                    assert_eq!(res.json::<Value>().unwrap()["ballots_counted"], 5);
                    etag
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert_eq!(
        result_counts(&app),
        start + 1,
        "16 cold requests, one count"
    );
    assert!(etags.iter().step_by(2).all(|e| *e == etags[0]));

    // No new ballot: reading again, past the old 3-second freshness and by
    // every method, counts nothing.
    std::thread::sleep(std::time::Duration::from_millis(3500));
    for query in ["", "?method=schulze", "?method=plurality", "?method=stv"] {
        assert_eq!(results(&app, &c, query)["ballots_counted"], 5);
    }
    assert_eq!(app.results(&c.id, true, "").status(), 200);
    assert_eq!(result_counts(&app), start + 1);

    // Ballots short of a batch: still nothing to count.
    app.cast_ballots(&c, &[(&[1], 4)]);
    assert_eq!(results(&app, &c, "")["ballots_counted"], 5);
    assert_eq!(result_counts(&app), start + 1);
    // The fifth: one count, for every method.
    app.cast_ballots(&c, &[(&[1], 1)]);
    assert_eq!(results(&app, &c, "")["ballots_counted"], 10);
    assert_eq!(results(&app, &c, "?method=copeland")["ballots_counted"], 10);
    assert_eq!(result_counts(&app), start + 2);
}

#[test]
fn the_privacy_settings_have_defaults_limits_and_lock_when_voting_opens() {
    let app = spawn_app();
    let c = app.create_contest(json!({}));
    assert_eq!(c["live_results_min_batch"], 5);
    assert_eq!(c["ballot_readback"], "full");
    let id = c["id"].as_str().unwrap().to_owned();

    for (body, field) in [
        (
            json!({ "live_results_min_batch": 0 }),
            "live_results_min_batch",
        ),
        (
            json!({ "live_results_min_batch": 1001 }),
            "live_results_min_batch",
        ),
        (json!({ "ballot_readback": "partial" }), "ballot_readback"),
    ] {
        let mut create = json!({ "title": "Name it", "method": "irv" });
        create
            .as_object_mut()
            .unwrap()
            .extend(body.as_object().unwrap().clone());
        let res = app
            .admin(Method::POST, "/v1/contests")
            .json(&create)
            .send()
            .unwrap();
        let problem = assert_problem(res, 422, "validation_failed");
        assert_eq!(problem["errors"][0]["field"], field, "{problem}");
        let res = app
            .admin(Method::PATCH, &format!("/v1/contests/{id}"))
            .json(&body)
            .send()
            .unwrap();
        assert_problem(res, 422, "validation_failed");
    }
    let res = app
        .admin(Method::PATCH, &format!("/v1/contests/{id}"))
        .json(&json!({ "live_results_min_batch": null }))
        .send()
        .unwrap();
    assert_eq!(res.status(), 422);

    let created = app.create_contest(
        json!({ "live_results_min_batch": 1000, "ballot_readback": "receipt_only" }),
    );
    assert_eq!(created["live_results_min_batch"], 1000);
    assert_eq!(created["ballot_readback"], "receipt_only");

    app.move_phase(&id, "suggesting");
    let res = app
        .admin(Method::PATCH, &format!("/v1/contests/{id}"))
        .json(&json!({ "live_results_min_batch": 20, "ballot_readback": "receipt_only" }))
        .send()
        .unwrap();
    assert_eq!(res.status(), 200);
    let edited: Value = res.json().unwrap();
    assert_eq!(edited["live_results_min_batch"], 20);
    assert_eq!(edited["ballot_readback"], "receipt_only");
    let public: Value = app
        .public(Method::GET, &format!("/v1/contests/{id}"))
        .send()
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(public["live_results_min_batch"], 20);

    app.move_phase(&id, "voting");
    for body in [
        json!({ "live_results_min_batch": 1 }),
        json!({ "ballot_readback": "full" }),
    ] {
        let res = app
            .admin(Method::PATCH, &format!("/v1/contests/{id}"))
            .json(&body)
            .send()
            .unwrap();
        assert_problem(res, 409, "locked_by_phase");
    }
}

fn read_back(app: &TestApp, c: &VotingContest, token: &str) -> Value {
    let res = app
        .as_voter(token, Method::GET, &format!("/v1/contests/{}/ballot", c.id))
        .send()
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["cache-control"], "no-store");
    res.json().unwrap()
}

#[test]
fn a_receipt_only_contest_reads_back_the_receipt_and_time_but_not_the_ranking() {
    let app = spawn_app();
    let c = app.voting_contest(json!({ "ballot_readback": "receipt_only" }), &["A", "B"]);
    let token = app.mint_voter_token(&c.id);
    let cast: Value = app
        .put_ballot(&c.id, &token, &c.ids(&[1, 0]))
        .json()
        .unwrap();
    let back = read_back(&app, &c, &token);
    assert_eq!(back["receipt"], cast["receipt"]);
    assert_eq!(back["updated_at"], cast["updated_at"]);
    assert!(back.get("ranking").is_none(), "{back}");
    assert_eq!(back.as_object().unwrap().len(), 2, "{back}");

    let full = app.voting_contest(json!({}), &["A", "B"]);
    let token = app.mint_voter_token(&full.id);
    app.put_ballot(&full.id, &token, &full.ids(&[1, 0]));
    let back = read_back(&app, &full, &token);
    assert_eq!(back["ranking"], json!(full.ids(&[1, 0])));
    assert!(back["receipt"].is_string());
}
