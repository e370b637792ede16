//! `christen tally --rctab-config` counting as RCTab does: excluded candidates,
//! candidate aliases, `maxRankingsAllowed` on input, more seats than candidates,
//! and the tie-break modes that ask an operator.

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};

/// A fresh directory for one test's files.
fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("christen-rctab-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("create scratch dir");
    dir
}

/// Runs `christen tally --method M --format rctab-json --rctab-config CONFIG --urcvt -`
/// with `ballots` on standard input: exit code, stdout, stderr.
fn tally_with_config(
    name: &str,
    method: &str,
    config: &str,
    ballots: &str,
) -> (i32, String, String) {
    let dir = scratch(name);
    let config_path = dir.join("contest_config.json");
    std::fs::write(&config_path, config).expect("write config");
    let mut child = Command::new(env!("CARGO_BIN_EXE_christen"))
        .args([
            "tally",
            "--method",
            method,
            "--format",
            "rctab-json",
            "--urcvt",
        ])
        .arg("--rctab-config")
        .arg(&config_path)
        .arg("-")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start christen");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(ballots.as_bytes())
        .expect("write stdin");
    let out = child.wait_with_output().expect("run christen");
    let _ = std::fs::remove_dir_all(&dir);
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// A contest configuration with these candidate objects and rules.
fn config(candidates: &str, rules: &str) -> String {
    format!(
        r#"{{"outputSettings": {{"contestName": "Test"}}, "cvrFileSources": [],
            "candidates": [{candidates}],
            "rules": {{"tiebreakMode": "useCandidateOrder", "overvoteRule": "exhaustImmediately",
                       "winnerElectionMode": "singleWinnerMajority", "numberOfWinners": "1",
                       "decimalPlacesForVoteArithmetic": "4", "maxSkippedRanksAllowed": "unlimited",
                       "maxRankingsAllowed": "max" {rules}}}}}"#
    )
}

fn urcvt(out: &str) -> serde_json::Value {
    serde_json::from_str(out).unwrap_or_else(|e| panic!("{e}: {out}"))
}

/// Who the URCVT summary says was elected, in order.
fn elected(doc: &serde_json::Value) -> Vec<String> {
    doc["results"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|r| r["tallyResults"].as_array().unwrap().iter())
        .filter_map(|t| t["elected"].as_str().map(str::to_owned))
        .collect()
}

/// C leads on first choices; every C ballot ranks B next.
const C_THEN_B: &str = r#"{"candidates": ["A", "B", "C"], "ballots": [
    {"ranks": [["C"], ["B"]], "count": 4}, {"ranks": [["A"]], "count": 3},
    {"ranks": [["B"]], "count": 2}]}"#;

#[test]
fn an_excluded_candidate_is_passed_over_on_every_ballot() {
    let plain = config(r#"{"name": "A"}, {"name": "B"}, {"name": "C"}"#, "");
    let (code, out, err) = tally_with_config("plain", "irv", &plain, C_THEN_B);
    assert_eq!(code, 0, "{err}");
    assert_eq!(elected(&urcvt(&out)), ["C"]);

    let excluded = config(
        r#"{"name": "A"}, {"name": "B"}, {"name": "C", "excluded": true}"#,
        "",
    );
    let (code, out, err) = tally_with_config("excluded", "irv", &excluded, C_THEN_B);
    assert_eq!(code, 0, "{err}");
    let doc = urcvt(&out);
    assert_eq!(elected(&doc), ["B"]);
    let round1 = &doc["results"][0]["tally"];
    assert_eq!(round1["B"], "6", "{doc}");
    assert!(round1.get("C").is_none(), "C is not counted: {doc}");
}

#[test]
fn aliases_count_for_their_candidate() {
    let ballots = r#"{"candidates": ["Alice Smith", "A. Smith", "Bob"], "ballots": [
        {"ranks": [["Alice Smith"]], "count": 2}, {"ranks": [["A. Smith"]], "count": 2},
        {"ranks": [["Bob"]], "count": 3}]}"#;
    let cfg = config(
        r#"{"name": "Alice Smith", "aliases": ["A. Smith"]}, {"name": "Bob"}"#,
        "",
    );
    let (code, out, err) = tally_with_config("aliases", "irv", &cfg, ballots);
    assert_eq!(code, 0, "{err}");
    let doc = urcvt(&out);
    assert_eq!(doc["results"][0]["tally"]["Alice Smith"], "4", "{doc}");
    assert_eq!(elected(&doc), ["Alice Smith"]);
}

#[test]
fn a_ranking_beyond_max_rankings_allowed_is_refused() {
    let cfg = config(
        r#"{"name": "A"}, {"name": "B"}, {"name": "C"}"#,
        r#", "maxRankingsAllowed": "1""#,
    );
    let (code, out, err) = tally_with_config("maxrank", "irv", &cfg, C_THEN_B);
    assert_eq!(code, 2, "{out}");
    assert!(out.is_empty());
    assert!(
        err.contains("maxRankingsAllowed 1") && err.contains("rank 2"),
        "{err}"
    );
}

#[test]
fn more_seats_than_candidates_elects_every_candidate() {
    let cfg = config(
        r#"{"name": "A"}, {"name": "B"}"#,
        r#", "numberOfWinners": "3", "winnerElectionMode": "multiWinnerAllowMultipleWinnersPerRound""#,
    );
    let ballots = r#"{"candidates": ["A", "B"], "ballots": [[["A"]], [["A"]], [["B"]]]}"#;
    let (code, out, err) = tally_with_config("seats", "stv", &cfg, ballots);
    assert_eq!(code, 0, "{err}");
    let doc = urcvt(&out);
    assert_eq!(elected(&doc), ["A", "B"]);
    assert_eq!(doc["results"].as_array().unwrap().len(), 1, "{doc}");
}

#[test]
fn stop_counting_and_ask_counts_until_a_tie_needs_breaking() {
    let cfg = config(
        r#"{"name": "A"}, {"name": "B"}, {"name": "C"}"#,
        r#", "tiebreakMode": "stopCountingAndAsk""#,
    );
    // No tie: counted.
    let (code, out, err) = tally_with_config("ask-none", "irv", &cfg, C_THEN_B);
    assert_eq!(code, 0, "{err}");
    assert_eq!(elected(&urcvt(&out)), ["C"]);
    // A and B tie for last place in round 1.
    let tied = r#"{"candidates": ["A", "B", "C"], "ballots": [
        {"ranks": [["C"]], "count": 4}, {"ranks": [["A"]], "count": 2},
        {"ranks": [["B"]], "count": 2}]}"#;
    let (code, out, err) = tally_with_config("ask-tie", "irv", &cfg, tied);
    assert_eq!(code, 2, "{out}");
    assert!(out.is_empty());
    assert!(
        err.contains("round 1") && err.contains("\"A\", \"B\"") && err.contains("operator"),
        "{err}"
    );
}
