//! `GET /v1/contests/{id}/ballots`: the anonymised export, its digest, and a
//! whole contest re-counted from it with `christen tally`.

use reqwest::Method;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use crate::helpers::{assert_problem, spawn_app, winner_names};

#[test]
fn the_csv_export_is_canonical_anonymous_and_matches_the_digest() {
    let app = spawn_app();
    let c = app.voting_contest(
        json!({ "results_visibility": "live", "live_results_min_batch": 1 }),
        &["Alpha", "Beta, with a comma", "Gamma \"G\""],
    );
    let receipts = app.cast_ballots(&c, &[(&[0, 2], 2), (&[1], 1), (&[2, 1, 0], 1)]);

    let res = app.export(&c.id, true, "csv");
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-type"], "text/csv; charset=utf-8");
    assert!(res.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .contains("attachment"));
    let digest = res.headers()["x-ballot-digest"]
        .to_str()
        .unwrap()
        .to_owned();
    let text = res.text().unwrap();
    assert_eq!(digest, hex::encode(Sha256::digest(text.as_bytes())));

    let mut lines = text.lines();
    assert_eq!(
        lines.next().unwrap(),
        "receipt,Alpha,\"Beta, with a comma\",\"Gamma \"\"G\"\"\""
    );
    let rows: Vec<&str> = lines.collect();
    assert_eq!(rows.len(), 4);
    let row_receipts: Vec<&str> = rows.iter().map(|r| r.split(',').next().unwrap()).collect();
    let mut sorted = receipts.clone();
    sorted.sort();
    assert_eq!(
        row_receipts, sorted,
        "one row per ballot, ordered by receipt"
    );
    // Each voter finds their receipt with their ranking.
    let third = rows.iter().find(|r| r.starts_with(&receipts[3])).unwrap();
    assert_eq!(*third, format!("{},3,2,1", receipts[3]));
    let second = rows.iter().find(|r| r.starts_with(&receipts[2])).unwrap();
    assert_eq!(*second, format!("{},,1,", receipts[2]));

    // The results publish the digest of exactly these bytes.
    let r: Value = app.results(&c.id, false, "").json().unwrap();
    assert_eq!(r["ballot_digest"], digest.as_str());

    // The same download twice is byte for byte the same.
    assert_eq!(app.export(&c.id, true, "csv").text().unwrap(), text);
}

#[test]
fn preflib_and_blt_exports_read_back_as_the_same_ballots() {
    let app = spawn_app();
    let c = app.voting_contest(json!({}), &["Alpha", "Beta", "Gamma"]);
    app.cast_ballots(&c, &[(&[0, 2], 2), (&[1], 3), (&[2, 1, 0], 1)]);
    for (format, kind) in [
        ("preflib", christen::formats::Format::Preflib),
        ("blt", christen::formats::Format::Blt),
        ("csv", christen::formats::Format::Csv),
    ] {
        let res = app.export(&c.id, true, format);
        assert_eq!(res.status(), 200, "{format}");
        let text = res.text().unwrap();
        let file = christen::formats::read(
            &christen::formats::Source::text(format, &text),
            kind,
            &christen::formats::ReadOptions::default(),
        )
        .unwrap();
        assert_eq!(file.election.candidates, c.names, "{format}");
        let total: u64 = file.election.ballots.iter().map(|b| b.count).sum();
        assert_eq!(total, 6, "{format}");
        assert_eq!(file.election.ballots.len(), 3, "{format}");
    }
    let res = app.export(&c.id, true, "xlsx");
    assert_problem(res, 400, "invalid_format");
}

#[test]
fn the_public_gets_ballots_once_closed_and_only_when_results_are_public() {
    let app = spawn_app();
    let open = app.voting_contest(json!({ "results_visibility": "live" }), &["A", "B"]);
    let hidden = app.voting_contest(json!({ "results_visibility": "hidden" }), &["A", "B"]);
    app.cast_ballots(&open, &[(&[0], 1)]);
    let body = assert_problem(
        app.export(&open.id, false, "csv"),
        403,
        "results_not_visible",
    );
    assert!(body["detail"].as_str().unwrap().contains("ballots"));
    assert_eq!(app.export(&open.id, true, "csv").status(), 200);

    app.move_phase(&open.id, "closed");
    app.move_phase(&hidden.id, "closed");
    assert_eq!(app.export(&open.id, false, "csv").status(), 200);
    assert_problem(
        app.export(&hidden.id, false, "csv"),
        403,
        "results_not_visible",
    );
    assert_eq!(app.export(&hidden.id, true, "blt").status(), 200);

    let (_, other_key) = app.other_org("Other Library");
    let res = app
        .as_key(
            &other_key,
            Method::GET,
            &format!("/v1/contests/{}/ballots", hidden.id),
        )
        .send()
        .unwrap();
    assert_problem(res, 404, "not_found");
}

/// Runs the built `christen tally` on `file`; returns its JSON report.
fn christen_tally(file: &std::path::Path, method: &str, seats: u32, seed: u64) -> Value {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_christen"))
        .args(["tally", "--format", "csv", "--json", "--method", method])
        .args(["--seats", &seats.to_string(), "--seed", &seed.to_string()])
        .arg(file)
        .output()
        .expect("running christen tally");
    assert!(
        out.status.success(),
        "christen tally failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("tally JSON")
}

#[test]
fn a_whole_contest_recounts_to_the_same_winners_with_christen_tally() {
    let app = spawn_app();
    let c = app.voting_contest(
        json!({ "method": "stv", "seats": 2, "results_visibility": "after_close" }),
        &[
            "Reading Room",
            "Library Blog",
            "Page Turner",
            "Shelf Life",
            "Bookmark",
        ],
    );
    app.cast_ballots(
        &c,
        &[
            (&[0, 1], 7),
            (&[1, 0, 2], 5),
            (&[2, 3], 4),
            (&[3, 2, 4], 3),
            (&[4, 0], 2),
            (&[1], 2),
            (&[2, 4, 3, 1], 1),
        ],
    );
    // One voter changes their mind, another withdraws: the export and the count
    // both see only current ballots.
    let token = app.mint_voter_token(&c.id);
    assert_eq!(app.put_ballot(&c.id, &token, &c.ids(&[3])).status(), 201);
    assert_eq!(app.put_ballot(&c.id, &token, &c.ids(&[4, 3])).status(), 200);
    let quitter = app.mint_voter_token(&c.id);
    assert_eq!(app.put_ballot(&c.id, &quitter, &c.ids(&[0])).status(), 201);
    let res = app
        .as_key(
            &quitter,
            Method::DELETE,
            &format!("/v1/contests/{}/ballot", c.id),
        )
        .send()
        .unwrap();
    assert_eq!(res.status(), 204);
    app.move_phase(&c.id, "closed");

    let csv = app.export(&c.id, false, "csv").text().unwrap();
    let dir = std::env::temp_dir().join(format!("christen-export-{}", c.id));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("ballots.csv");
    std::fs::write(&file, &csv).unwrap();
    let contest_uuid: uuid::Uuid = c.id.parse().unwrap();
    let seed = u64::from_be_bytes(contest_uuid.as_bytes()[..8].try_into().unwrap());

    for method in [
        "stv",
        "irv",
        "schulze",
        "ranked_pairs",
        "borda",
        "copeland",
        "plurality",
    ] {
        let query = if method == "stv" {
            String::new()
        } else {
            format!("?method={method}")
        };
        let published: Value = app.results(&c.id, false, &query).json().unwrap();
        assert_eq!(published["final"], true);
        assert_eq!(published["ballots_counted"], 25, "{method}");
        // The contest has two seats; every method fills them.
        let recount = christen_tally(&file, method, 2, seed);
        assert_eq!(winner_names(&recount), winner_names(&published), "{method}");
        assert_eq!(
            recount["ballot_digest"], published["ballot_digest"],
            "{method}"
        );
        assert_eq!(recount["ballots_counted"], published["ballots_counted"]);
    }
    let published: Value = app.results(&c.id, false, "").json().unwrap();
    assert_eq!(winner_names(&published).len(), 2);
    std::fs::remove_dir_all(&dir).ok();
}
