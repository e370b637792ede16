//! `christen tally` with RCTab's rule options, CVR formats and URCVT output.

use std::io::Write;
use std::process::{Command, Stdio};

fn tally(args: &[&str], input: &str) -> (i32, String, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_christen"))
        .arg("tally")
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start christen");
    // christen may refuse (a bad configuration) and exit before reading its
    // input; the exit code and message are what the test checks.
    if let Err(e) = child
        .stdin
        .take()
        .expect("stdin")
        .write_all(input.as_bytes())
    {
        assert_eq!(e.kind(), std::io::ErrorKind::BrokenPipe, "write stdin: {e}");
    }
    let out = child.wait_with_output().expect("run christen");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Two ballots overvote at rank 1 then rank B: RCTab's rules decide their fate.
const BALLOTS: &str = r#"{"candidates": ["A", "B", "C"],
  "ballots": [[["A", "B"], ["B"]], [["A", "B"], ["B"]], [["A"]], [["A"]], [["A"]], [["C"]], [["C"]], [["C"]], [["C"]], [[], [], ["B"]]]}"#;

#[test]
fn overvote_and_skip_rules_change_the_count_and_urcvt_reports_why() {
    // Exhaust at the overvote; at most one skipped rank.
    let (code, out, err) = tally(
        &[
            "--method",
            "irv",
            "--format",
            "rctab-json",
            "--max-skipped-ranks",
            "1",
            "--urcvt",
            "-",
        ],
        BALLOTS,
    );
    assert_eq!(code, 0, "{err}");
    let doc: serde_json::Value = serde_json::from_str(&out).unwrap();
    let r1 = &doc["results"][0];
    assert_eq!(r1["inactiveBallots"]["overvotes"], "2");
    assert_eq!(r1["inactiveBallots"]["skippedRankings"], "1");
    assert_eq!(r1["tally"]["A"], "3");
    assert_eq!(r1["tally"]["C"], "4");

    // Skip the overvoted rank instead: both ballots go to B.
    let (code, out, err) = tally(
        &[
            "--method",
            "irv",
            "--format",
            "rctab-json",
            "--overvote",
            "always-skip-to-next-rank",
            "--urcvt",
            "-",
        ],
        BALLOTS,
    );
    assert_eq!(code, 0, "{err}");
    let doc: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(doc["results"][0]["tally"]["B"], "3");
    assert_eq!(doc["results"][0]["inactiveBallots"]["overvotes"], "0");
}

#[test]
fn rctab_rules_object_in_json_input() {
    let input = BALLOTS.replacen(
        "\"ballots\"",
        "\"rules\": {\"overvoteRule\": \"alwaysSkipToNextRank\", \"maxSkippedRanksAllowed\": \"0\", \"tiebreakMode\": \"useCandidateOrder\"}, \"ballots\"",
        1,
    );
    let (code, out, err) = tally(
        &["--method", "irv", "--format", "rctab-json", "--json", "-"],
        &input,
    );
    assert_eq!(code, 0, "{err}");
    let report: serde_json::Value = serde_json::from_str(&out).unwrap();
    let inactive = &report["rounds"][0]["inactive"];
    assert_eq!(inactive["skipped_rankings"], 1);
    assert_eq!(
        report["rules"]["rcv"]["overvote"],
        "always_skip_to_next_rank"
    );
}

#[test]
fn generic_csv_from_stdin_and_errors_with_line_numbers() {
    let csv = "id,A,B,C\n1,1,2,\n2,2,1,\n3,1,,2\n";
    let (code, out, err) = tally(&["--method", "irv", "--format", "rctab-csv", "-"], csv);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("Elected: A"), "{out}");
    let (code, out, err) = tally(
        &["--method", "irv", "--format", "rctab-csv", "-"],
        "id,A,B\n1,1,\"x\n",
    );
    assert_eq!(code, 2);
    assert!(out.is_empty());
    assert!(err.contains("standard input line 2"), "{err}");
}
