//! The change feed (issue 12): what one instance learns from the database
//! reaches its caches and streams, whichever instance made the change; cached
//! results answer conditional requests and say which ballots they counted.

use std::io::Read;
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::helpers::spawn_app;

fn read_until(res: &mut reqwest::blocking::Response, seen: &mut String, needle: &str) {
    let deadline = Instant::now() + Duration::from_secs(20);
    let mut buf = [0u8; 8192];
    while !seen.contains(needle) {
        assert!(Instant::now() < deadline, "no `{needle}` in: {seen}");
        let n = res.read(&mut buf).expect("reading the stream");
        assert!(n > 0, "stream ended before `{needle}`: {seen}");
        seen.push_str(&String::from_utf8_lossy(&buf[..n]));
    }
}

fn stream_client() -> reqwest::blocking::Client {
    reqwest::blocking::Client::builder()
        .timeout(None)
        .build()
        .unwrap()
}

#[test]
fn a_ballot_through_one_instance_reaches_streams_on_another() {
    let app = spawn_app();
    let b = app.another_instance(|_| {});
    let contest = app.voting_contest(
        json!({ "results_visibility": "live", "live_results_min_batch": 1 }),
        &["Quill", "Ink", "Nib"],
    );
    let path = format!("/v1/contests/{}/results/stream", contest.id);
    let client = stream_client();
    // Several streams of one contest on B share its feed and its cache.
    let mut streams: Vec<_> = (0..5)
        .map(|_| {
            let mut res = client.get(b.url(&path)).send().unwrap();
            assert_eq!(res.status(), 200);
            let mut seen = String::new();
            read_until(&mut res, &mut seen, "\"ballots_counted\":0");
            (res, seen)
        })
        .collect();
    // Cast through A: every stream on B gets the new result.
    app.cast_ballots(&contest, &[(&[2, 0], 1)]);
    for (res, seen) in streams.iter_mut() {
        read_until(res, seen, "\"ballots_counted\":1");
        assert!(seen.contains("id: "), "{seen}");
    }
    // Moderation after voting opened changes nothing counted; a close through
    // A ends every stream on B with the final result.
    app.move_phase(&contest.id, "closed");
    for (res, seen) in streams.iter_mut() {
        read_until(res, seen, "\"final\":true");
    }
}

#[test]
fn a_close_through_one_instance_reaches_the_others_cache() {
    let app = spawn_app();
    let b = app.another_instance(|_| {});
    let contest = app.voting_contest(
        json!({ "results_visibility": "live", "live_results_min_batch": 1 }),
        &["Quill", "Ink"],
    );
    app.cast_ballots(&contest, &[(&[0, 1], 2), (&[1, 0], 1)]);
    let path = format!("/v1/contests/{}/results", contest.id);
    // B caches the live result.
    let live: Value = app.client.get(b.url(&path)).send().unwrap().json().unwrap();
    assert_eq!(live["final"], false);
    assert_eq!(live["ballots_counted"], 3);
    app.move_phase(&contest.id, "closed");
    // Through A, at once: its own write told its feed.
    let on_a: Value = app.results(&contest.id, false, "").json().unwrap();
    assert_eq!(on_a["final"], true, "{on_a}");
    // B learns it from the database within a feed poll or two.
    let deadline = Instant::now() + Duration::from_secs(5);
    let on_b = loop {
        let r: Value = app.client.get(b.url(&path)).send().unwrap().json().unwrap();
        if r["final"] == true {
            break r;
        }
        assert!(Instant::now() < deadline, "B still serves {r}");
        std::thread::sleep(Duration::from_millis(100));
    };
    assert_eq!(on_b["ballot_digest"], on_a["ballot_digest"]);
    assert_eq!(on_b["ballots_counted"], 3);
}

#[test]
fn a_cached_result_answers_if_none_match_and_names_its_ballot_version() {
    let app = spawn_app();
    let contest = app.voting_contest(
        json!({ "results_visibility": "live", "live_results_min_batch": 1 }),
        &["Quill", "Ink"],
    );
    app.cast_ballots(&contest, &[(&[0, 1], 2)]);
    let first = app.results(&contest.id, false, "");
    assert_eq!(first.status(), 200);
    let etag = first.headers()["etag"].to_str().unwrap().to_owned();
    let version: i64 = first.headers()["x-ballot-version"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(version > 0);
    let again = app
        .public(
            reqwest::Method::GET,
            &format!("/v1/contests/{}/results", contest.id),
        )
        .header("If-None-Match", &etag)
        .send()
        .unwrap();
    assert_eq!(again.status(), 304);
    assert_eq!(
        again.headers()["x-ballot-version"].to_str().unwrap(),
        version.to_string()
    );
    // A new ballot: a new result, counted at a later version.
    app.cast_ballots(&contest, &[(&[1, 0], 1)]);
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let r = app.results(&contest.id, false, "");
        let v: i64 = r.headers()["x-ballot-version"]
            .to_str()
            .unwrap()
            .parse()
            .unwrap();
        if v > version {
            assert_ne!(r.headers()["etag"].to_str().unwrap(), etag);
            let body: Value = r.json().unwrap();
            assert_eq!(body["ballots_counted"], 3);
            break;
        }
        assert!(Instant::now() < deadline, "still version {v}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn an_edit_through_the_api_is_seen_at_once_by_the_same_instance() {
    let app = spawn_app();
    let contest = app.voting_contest(json!({ "results_visibility": "live" }), &["Quill", "Ink"]);
    let path = format!("/v1/contests/{}/results", contest.id);
    assert_eq!(
        app.public(reqwest::Method::GET, &path)
            .send()
            .unwrap()
            .status(),
        200
    );
    // Hiding results is served at once, not after the cache's age.
    let res = app
        .admin(
            reqwest::Method::PATCH,
            &format!("/v1/contests/{}", contest.id),
        )
        .json(&json!({ "results_visibility": "after_close" }))
        .send()
        .unwrap();
    if res.status() == 200 {
        let hidden = app.public(reqwest::Method::GET, &path).send().unwrap();
        assert_eq!(hidden.status(), 403);
    } else {
        // The phase locks the field: then the close is the edit to check.
        app.move_phase(&contest.id, "closed");
        let r: Value = app
            .public(reqwest::Method::GET, &path)
            .send()
            .unwrap()
            .json()
            .unwrap();
        assert_eq!(r["final"], true);
    }
}
