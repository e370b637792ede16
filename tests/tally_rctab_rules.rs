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
    tally_with_config_and(name, method, config, ballots, &[])
}

/// [`tally_with_config`] with `extra` arguments before the input.
fn tally_with_config_and(
    name: &str,
    method: &str,
    config: &str,
    ballots: &str,
    extra: &[&str],
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
        .args(extra)
        .arg("-")
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
        .write_all(ballots.as_bytes())
    {
        assert_eq!(e.kind(), std::io::ErrorKind::BrokenPipe, "write stdin: {e}");
    }
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

/// A batch is reported as RCTab reports it, by name, whatever order the
/// configuration declares the candidates in (RCTab 2.0.0 lists Kansas'
/// round-1 batch "Cory Booker; Steven Bullock; Undeclared Write-ins").
#[test]
fn a_batch_elimination_is_listed_by_name() {
    let ballots = r#"{"candidates": ["Zed", "Cal", "Mia", "Amy", "Bob"], "ballots": [
        {"ranks": [["Bob"]], "count": 10}, {"ranks": [["Cal"]], "count": 9},
        {"ranks": [["Mia"], ["Cal"]], "count": 4}, {"ranks": [["Amy"], ["Cal"]], "count": 2},
        {"ranks": [["Zed"], ["Cal"]], "count": 1}]}"#;
    let cfg = config(
        r#"{"name": "Zed"}, {"name": "Cal"}, {"name": "Mia"}, {"name": "Amy"}, {"name": "Bob"}"#,
        r#", "batchElimination": true"#,
    );
    let dir = scratch("batch-order-summary");
    let csv_path = dir.join("summary.csv");
    let (code, out, err) = tally_with_config_and(
        "batch-order",
        "irv",
        &cfg,
        ballots,
        &["--summary-csv", csv_path.to_str().unwrap()],
    );
    assert_eq!(code, 0, "{err}");
    let csv = std::fs::read_to_string(&csv_path).unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    assert!(csv.contains("\nEliminated,Amy; Mia; Zed,"), "{csv}");
    let doc = urcvt(&out);
    let round1: Vec<&str> = doc["results"][0]["tallyResults"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|t| t["eliminated"].as_str())
        .collect();
    // 1 + 2 + 4 < 9: Zed, Amy and Mia go together; Cal then wins 16 to 10.
    assert_eq!(round1, ["Amy", "Mia", "Zed"], "{doc}");
    assert_eq!(elected(&doc), ["Cal"]);
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

/// RCTab's `ContestConfig.validateRules`: `hareQuota` and
/// `nonIntegerWinningThreshold` only with the two quota modes, and never both;
/// refused in RCTab's words before a ballot is read.
#[test]
fn a_hare_or_fractional_threshold_is_refused_where_rctab_refuses_it() {
    let candidates = r#"{"name": "A"}, {"name": "B"}, {"name": "C"}"#;
    let modes = [
        ("irv", "singleWinnerMajority", r#""numberOfWinners": "1""#),
        ("stv", "bottomsUp", r#""numberOfWinners": "2""#),
        ("stv", "multiPassIrv", r#""numberOfWinners": "2""#),
        (
            "stv",
            "bottomsUpUsingPercentageThreshold",
            r#""numberOfWinners": "0", "multiSeatBottomsUpPercentageThreshold": "25""#,
        ),
    ];
    for (method, mode, winners) in modes {
        for field in ["hareQuota", "nonIntegerWinningThreshold"] {
            let rules = format!(r#", "winnerElectionMode": "{mode}", {winners}, "{field}": true"#);
            let (code, out, err) = tally_with_config(
                "threshold-mode",
                method,
                &config(candidates, &rules),
                C_THEN_B,
            );
            assert_eq!(code, 2, "{mode} {field}: {out}");
            assert!(
                err.contains(&format!(
                    r#"{field} can't be true when winnerElectionMode is "{mode}""#
                )),
                "{mode} {field}: {err}"
            );
        }
    }
    let quota = r#", "winnerElectionMode": "multiWinnerAllowOnlyOneWinnerPerRound", "numberOfWinners": "2""#;
    let both = format!(r#"{quota}, "hareQuota": true, "nonIntegerWinningThreshold": true"#);
    let (code, _, err) = tally_with_config(
        "threshold-both",
        "stv",
        &config(candidates, &both),
        C_THEN_B,
    );
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("nonIntegerWinningThreshold and hareQuota can't both be true"),
        "{err}"
    );
    // Either alone is counted: 9 votes, 2 seats, a Hare quota of ceil(9 / 2) = 5.
    let hare = format!(r#"{quota}, "hareQuota": true"#);
    let (code, out, err) = tally_with_config(
        "threshold-hare",
        "stv",
        &config(candidates, &hare),
        C_THEN_B,
    );
    assert_eq!(code, 0, "{err}");
    let doc = urcvt(&out);
    assert_eq!(doc["summary"]["finalThreshold"], "5", "{doc}");
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

/// A NIST CDF (JSON) report of `ballots`, each a list of candidate names in
/// rank order, for the contest "Mayor" with candidates A, B and C.
fn cdf(ballots: &[&[&str]]) -> String {
    let cvrs: Vec<String> = ballots
        .iter()
        .enumerate()
        .map(|(i, ranking)| {
            let selections: Vec<String> = ranking
                .iter()
                .enumerate()
                .map(|(r, name)| {
                    format!(
                        r#"{{"ContestSelectionId": "cs-{}", "SelectionPosition": [{{"HasIndication": "yes", "NumberVotes": 1, "Rank": {}}}]}}"#,
                        name.to_lowercase(),
                        r + 1
                    )
                })
                .collect();
            format!(
                r#"{{"CurrentSnapshotId": "s{i}", "CVRSnapshot": [{{"@id": "s{i}", "CVRContest": [{{"ContestId": "mayor", "CVRContestSelection": [{}]}}]}}]}}"#,
                selections.join(",")
            )
        })
        .collect();
    format!(
        r#"{{"@type": "CVR.CastVoteRecordReport", "CVR": [{}],
           "Election": [{{"@id": "e", "Candidate": [{{"@id": "ca", "Name": "A"}}, {{"@id": "cb", "Name": "B"}}, {{"@id": "cc", "Name": "C"}}],
             "Contest": [{{"@id": "mayor", "Name": "Mayor", "ContestSelection": [
               {{"@id": "cs-a", "CandidateIds": ["ca"]}}, {{"@id": "cs-b", "CandidateIds": ["cb"]}}, {{"@id": "cs-c", "CandidateIds": ["cc"]}}]}}]}}]}}"#,
        cvrs.join(",")
    )
}

fn run_config_only(config_path: &std::path::Path, extra: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_christen"))
        .arg("tally")
        .arg("--rctab-config")
        .arg(config_path)
        .args(extra)
        .output()
        .expect("run christen");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// A configuration naming a CDF file and a generic CSV file, in a folder
/// below the configuration's: `sources` is the `cvrFileSources` JSON.
fn two_source_contest(name: &str, sources: &str) -> PathBuf {
    let dir = scratch(name);
    std::fs::create_dir_all(dir.join("cvr")).unwrap();
    std::fs::write(
        dir.join("cvr/precincts_1_2.json"),
        cdf(&[&["A", "B"], &["A"], &["C", "B"]]),
    )
    .unwrap();
    std::fs::write(
        dir.join("cvr/mail.csv"),
        "Response ID,precinct_id,A,B,C,Write-In\nm1,p9,,1,,\nm2,p9,,1,2,\nm3,p9,2,,1,\nm4,p9,,,,1\n",
    )
    .unwrap();
    let config = format!(
        r#"{{"tabulatorVersion": "TEST",
            "outputSettings": {{"contestName": "Mayor", "outputDirectory": "output", "contestDate": "2026-11-03",
                                "contestJurisdiction": "Town", "contestOffice": "Mayor",
                                "tabulateByPrecinct": false, "generateCdfJson": false}},
            "cvrFileSources": {sources},
            "candidates": [{{"name": "A", "excluded": false, "aliases": []}},
                           {{"name": "B", "excluded": false, "aliases": []}},
                           {{"name": "C", "excluded": false, "aliases": []}}],
            "rules": {{"tiebreakMode": "useCandidateOrder", "overvoteRule": "exhaustImmediately",
                       "winnerElectionMode": "singleWinnerMajority", "randomSeed": "", "numberOfWinners": "1",
                       "decimalPlacesForVoteArithmetic": "4", "minimumVoteThreshold": "0",
                       "maxSkippedRanksAllowed": "unlimited", "maxRankingsAllowed": "max",
                       "nonIntegerWinningThreshold": false, "hareQuota": false, "batchElimination": false,
                       "continueUntilTwoCandidatesRemain": false, "exhaustOnDuplicateCandidate": false}}}}"#
    );
    let path = dir.join("contest_config.json");
    std::fs::write(&path, config).unwrap();
    path
}

const TWO_SOURCES: &str = r#"[
    {"filePath": "cvr/precincts_1_2.json", "provider": "cdf", "contestId": "Mayor",
     "firstVoteColumnIndex": "", "firstVoteRowIndex": "", "idColumnIndex": "", "precinctColumnIndex": "",
     "overvoteDelimiter": "", "overvoteLabel": "", "undervoteLabel": "", "undeclaredWriteInLabel": "",
     "treatBlankAsUndeclaredWriteIn": false},
    {"filePath": "cvr/mail.csv", "provider": "genericCsv", "contestId": "",
     "firstVoteColumnIndex": "3", "firstVoteRowIndex": "2", "idColumnIndex": "1", "precinctColumnIndex": "2",
     "overvoteDelimiter": "", "overvoteLabel": "", "undervoteLabel": "", "undeclaredWriteInLabel": "Write-In",
     "treatBlankAsUndeclaredWriteIn": false}]"#;

#[test]
fn a_config_alone_reads_every_source_relative_to_itself() {
    let config = two_source_contest("sources", TWO_SOURCES);
    // Run from elsewhere: paths are the configuration's, not the working directory's.
    let (code, out, err) = run_config_only(&config, &["--urcvt"]);
    assert_eq!(code, 0, "{err}");
    let doc = urcvt(&out);
    // Round 1: A 2 (CDF) + 0, B 0 + 2 (CSV), C 1 + 1, write-in 1 (CSV).
    let round1 = &doc["results"][0]["tally"];
    assert_eq!(round1["A"], "2", "{doc}");
    assert_eq!(round1["B"], "2", "{doc}");
    assert_eq!(round1["C"], "2", "{doc}");
    assert_eq!(round1["Undeclared Write-ins"], "1", "{doc}");
    assert_eq!(doc["config"]["contest"], "Mayor");
    assert_eq!(elected(&doc).len(), 1, "{doc}");
    let _ = std::fs::remove_dir_all(config.parent().unwrap());
}

/// RCTab's CDF reader takes every write-in selection as an undeclared
/// write-in whatever `undeclaredWriteInLabel` says, but a source naming the
/// label puts "Undeclared Write-ins" among the candidates from round 1, votes
/// or not (`ContestConfig.undeclaredWriteInsEnabled`), and exports list
/// write-in Candidates without a Name (RCTab's `unisyn_xml_cdf_*` cases).
#[test]
fn a_cdf_source_with_a_write_in_label_counts_undeclared_write_ins_from_round_1() {
    let mut report = cdf(&[&["A", "B"], &["A"], &["B"], &["B"], &["C", "B"]]);
    report = report
        .replacen(
            r#"{"@id": "cc", "Name": "C"}"#,
            r#"{"@id": "cc", "Name": "C"}, {"@id": "wi-1"}"#,
            1,
        )
        .replacen(
            r#"{"@id": "cs-c", "CandidateIds": ["cc"]}"#,
            r#"{"@id": "cs-c", "CandidateIds": ["cc"]}, {"@id": "cs-w", "IsWriteIn": true, "CandidateIds": ["wi-1"]}"#,
            1,
        );
    let sources = |label: &str| {
        format!(
            r#"[{{"filePath": "cvr/precincts_1_2.json", "provider": "cdf", "contestId": "Mayor",
                  "undeclaredWriteInLabel": "{label}"}}]"#
        )
    };
    let run = |name: &str, label: &str| {
        let config = two_source_contest(name, &sources(label));
        std::fs::write(
            config.parent().unwrap().join("cvr/precincts_1_2.json"),
            &report,
        )
        .unwrap();
        let (code, out, err) = run_config_only(&config, &["--urcvt"]);
        let _ = std::fs::remove_dir_all(config.parent().unwrap());
        assert_eq!(code, 0, "{err}");
        urcvt(&out)
    };
    let doc = run("cdf-uwi", "UWI");
    let round1 = &doc["results"][0];
    assert_eq!(round1["tally"]["Undeclared Write-ins"], "0", "{doc}");
    assert_eq!(
        round1["tallyResults"][0]["eliminated"], "Undeclared Write-ins",
        "{doc}"
    );
    assert_eq!(doc["summary"]["numCandidates"], 4, "{doc}");
    assert_eq!(doc["results"].as_array().unwrap().len(), 3, "{doc}");
    assert_eq!(elected(&doc), ["B"]);

    let doc = run("cdf-no-uwi", "");
    assert!(
        doc["results"][0]["tally"]
            .get("Undeclared Write-ins")
            .is_none(),
        "{doc}"
    );
    assert_eq!(doc["results"].as_array().unwrap().len(), 2, "{doc}");
    assert_eq!(elected(&doc), ["B"]);
}

#[test]
fn a_source_field_the_reader_would_ignore_is_refused_by_name() {
    let sources = TWO_SOURCES.replacen(
        r#""overvoteDelimiter": """#,
        r#""overvoteDelimiter": "|""#,
        1,
    );
    let config = two_source_contest("delimiter", &sources);
    let (code, out, err) = run_config_only(&config, &[]);
    assert_eq!(code, 2, "{out}");
    assert!(err.contains("overvoteDelimiter"), "{err}");
    let _ = std::fs::remove_dir_all(config.parent().unwrap());

    let sources = TWO_SOURCES.replacen(r#""provider": "cdf""#, r#""provider": "sequoia""#, 1);
    let config = two_source_contest("sequoia", &sources);
    let (code, _, err) = run_config_only(&config, &[]);
    assert_eq!(code, 2);
    assert!(err.contains("\"sequoia\""), "{err}");
    let _ = std::fs::remove_dir_all(config.parent().unwrap());
}

#[test]
fn unknown_and_unsupported_config_fields_are_refused_by_name() {
    let config = two_source_contest("unknown", TWO_SOURCES);
    let text = std::fs::read_to_string(&config).unwrap();
    for (from, to, named) in [
        (
            r#""winnerElectionMode": "singleWinnerMajority""#,
            r#""winnerElectionMode": "bottomsUpUsingPercentageThreshold""#,
            "bottomsUpUsingPercentageThreshold",
        ),
        (
            r#""hareQuota": false"#,
            r#""hareQuota": false, "surpriseRule": "1""#,
            "surpriseRule",
        ),
        (
            r#""winnerElectionMode": "singleWinnerMajority""#,
            r#""winnerElectionMode": "multiPassIrv""#,
            "multiPassIrv",
        ),
    ] {
        std::fs::write(&config, text.replacen(from, to, 1)).unwrap();
        let (code, _, err) = run_config_only(&config, &[]);
        assert_eq!(code, 2);
        assert!(err.contains(named), "{named}: {err}");
    }
    let _ = std::fs::remove_dir_all(config.parent().unwrap());
}

#[test]
fn summary_csv_is_written_beside_the_report() {
    let config = two_source_contest("summary", TWO_SOURCES);
    let csv_path = config.parent().unwrap().join("summary.csv");
    let (code, out, err) = run_config_only(&config, &["--summary-csv", csv_path.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("Elected"), "{out}");
    let csv = std::fs::read_to_string(&csv_path).unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines[0], "Contest Information");
    assert_eq!(lines[3], "Type of Election,Single-Winner");
    assert_eq!(lines[4], "Contest,Mayor");
    assert!(lines[1].starts_with("Generated By,Christen "), "{csv}");
    assert!(
        csv.contains("\nRounds,Round 1 Votes,% of vote,transfer,"),
        "{csv}"
    );
    assert!(csv.contains("\nA,2,28.57%,"), "{csv}");
    let _ = std::fs::remove_dir_all(config.parent().unwrap());
}

/// One Dominion session (current, in one card) marking `marks` (candidate id,
/// rank) in contest 7.
fn dominion_session(record: u32, marks: &[(u32, u32)]) -> String {
    let marks: Vec<String> = marks
        .iter()
        .map(|(c, r)| format!(r#"{{"CandidateId": {c}, "Rank": {r}, "IsAmbiguous": false}}"#))
        .collect();
    format!(
        r#"{{"TabulatorId": 5, "BatchId": 1, "RecordId": {record},
            "Original": {{"IsCurrent": true, "BallotTypeId": 1, "PrecinctPortionId": 1,
              "Cards": [{{"Id": {record}, "Contests": [{{"Id": 7, "Marks": [{}]}}]}}]}}}}"#,
        marks.join(",")
    )
}

#[test]
fn a_dominion_export_folder_is_read_with_its_manifests() {
    let sources = r#"[
        {"filePath": "dominion", "provider": "dominion", "contestId": "7",
         "firstVoteColumnIndex": "", "firstVoteRowIndex": "", "idColumnIndex": "", "precinctColumnIndex": "",
         "overvoteDelimiter": "", "overvoteLabel": "", "undervoteLabel": "", "undeclaredWriteInLabel": "",
         "treatBlankAsUndeclaredWriteIn": false},
        {"filePath": "cvr/mail.csv", "provider": "genericCsv", "contestId": "",
         "firstVoteColumnIndex": "3", "firstVoteRowIndex": "2", "idColumnIndex": "1", "precinctColumnIndex": "2",
         "overvoteDelimiter": "", "overvoteLabel": "", "undervoteLabel": "", "undeclaredWriteInLabel": "Write-In",
         "treatBlankAsUndeclaredWriteIn": false}]"#;
    let config = two_source_contest("dominion", sources);
    let folder = config.parent().unwrap().join("dominion");
    std::fs::create_dir_all(&folder).unwrap();
    std::fs::write(
        folder.join("CandidateManifest.json"),
        r#"{"List": [{"Description": "A", "Id": 1, "ContestId": 7}, {"Description": "B", "Id": 2, "ContestId": 7},
                     {"Description": "C", "Id": 3, "ContestId": 7}]}"#,
    )
    .unwrap();
    std::fs::write(
        folder.join("ContestManifest.json"),
        r#"{"List": [{"Description": "Mayor", "Id": 7, "VoteFor": 1, "NumOfRanks": 3}]}"#,
    )
    .unwrap();
    // Two export files, numbered as a real export may be (from 1730, with a
    // gap, as in RCTab 2.0's `2024_alaska_dominion` case): A, A>B, then C>B.
    std::fs::write(
        folder.join("CvrExport_1730.json"),
        format!(
            r#"{{"Sessions": [{}, {}]}}"#,
            dominion_session(1, &[(1, 1)]),
            dominion_session(2, &[(1, 1), (2, 2)])
        ),
    )
    .unwrap();
    std::fs::write(
        folder.join("CvrExport_1733.json"),
        format!(
            r#"{{"Sessions": [{}]}}"#,
            dominion_session(3, &[(3, 1), (2, 2)])
        ),
    )
    .unwrap();
    let (code, out, err) = run_config_only(&config, &["--urcvt"]);
    assert_eq!(code, 0, "{err}");
    let doc = urcvt(&out);
    // The same ballots as the CDF file of the other test: A 2, B 2, C 2, write-in 1.
    let round1 = &doc["results"][0]["tally"];
    assert_eq!(round1["A"], "2", "{doc}");
    assert_eq!(round1["B"], "2", "{doc}");
    assert_eq!(round1["C"], "2", "{doc}");
    assert_eq!(round1["Undeclared Write-ins"], "1", "{doc}");
    let _ = std::fs::remove_dir_all(config.parent().unwrap());
}

/// As RCTab 2.0 counts its `2024_alaska_dominion` case: a Dominion ballot
/// may rank beyond "max" (the declared candidates) when the export has more
/// ranks, and a contest flagged "InvalidContest" (outstack condition 7) is not
/// read from that ballot.
#[test]
fn a_dominion_export_is_counted_as_rctab_2_counts_alaska() {
    let sources = r#"[{"filePath": "dominion", "provider": "dominion", "contestId": "7"}]"#;
    let config = two_source_contest("dominion-alaska", sources);
    let folder = config.parent().unwrap().join("dominion");
    std::fs::create_dir_all(&folder).unwrap();
    std::fs::write(
        folder.join("CandidateManifest.json"),
        r#"{"List": [{"Description": "A", "Id": 1, "ContestId": 7}, {"Description": "B", "Id": 2, "ContestId": 7},
                     {"Description": "C", "Id": 3, "ContestId": 7}]}"#,
    )
    .unwrap();
    std::fs::write(
        folder.join("ContestManifest.json"),
        r#"{"List": [{"Description": "Mayor", "Id": 7, "VoteFor": 1, "NumOfRanks": 4}]}"#,
    )
    .unwrap();
    let invalid = dominion_session(4, &[(3, 1)]).replacen(
        r#"{"Id": 7, "Marks""#,
        r#"{"Id": 7, "OutstackConditionIds": [7], "Marks""#,
        1,
    );
    std::fs::write(
        folder.join("CvrExport_1730.json"),
        format!(
            r#"{{"Sessions": [{}, {}, {}, {}]}}"#,
            dominion_session(1, &[(1, 1)]),
            dominion_session(2, &[(2, 1), (1, 2), (3, 3), (2, 4)]),
            dominion_session(3, &[(1, 1), (2, 2)]),
            invalid
        ),
    )
    .unwrap();
    let (code, out, err) = run_config_only(&config, &["--urcvt"]);
    let _ = std::fs::remove_dir_all(config.parent().unwrap());
    assert_eq!(code, 0, "{err}");
    let doc = urcvt(&out);
    let round1 = &doc["results"][0]["tally"];
    assert_eq!(round1["A"], "2", "{doc}");
    assert_eq!(round1["B"], "1", "{doc}");
    assert_eq!(round1["C"], "0", "{doc}");
    assert_eq!(doc["summary"]["totalNumBallots"], "3", "{doc}");
}

/// A configuration naming the hand-made ES&S workbook of
/// `tests/conformance/ess/`, with these candidate objects.
fn ess_contest(name: &str, candidates: &str) -> PathBuf {
    let dir = scratch(name);
    let fixture =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/conformance/ess/ess_cvr.xlsx");
    std::fs::copy(fixture, dir.join("ess_cvr.xlsx")).unwrap();
    let config = format!(
        r#"{{"outputSettings": {{"contestName": "ES&S"}},
            "cvrFileSources": [{{"filePath": "ess_cvr.xlsx", "provider": "ess", "contestId": "",
              "firstVoteColumnIndex": "4", "firstVoteRowIndex": "2", "idColumnIndex": "1",
              "precinctColumnIndex": "2", "overvoteDelimiter": "|", "overvoteLabel": "",
              "undervoteLabel": "undervote", "undeclaredWriteInLabel": "Write-in",
              "treatBlankAsUndeclaredWriteIn": false}}],
            "candidates": [{candidates}],
            "rules": {{"tiebreakMode": "useCandidateOrder", "overvoteRule": "exhaustImmediately",
                       "winnerElectionMode": "singleWinnerMajority", "numberOfWinners": "1",
                       "decimalPlacesForVoteArithmetic": "4", "maxSkippedRanksAllowed": "unlimited",
                       "maxRankingsAllowed": "3"}}}}"#
    );
    let path = dir.join("ess_config.json");
    std::fs::write(&path, config).unwrap();
    path
}

#[test]
fn an_ess_workbook_is_read_with_its_source_settings() {
    let config = ess_contest("ess", r#"{"name": "A"}, {"name": "B"}, {"name": "C"}"#);
    let (code, out, err) = run_config_only(&config, &["--urcvt"]);
    assert_eq!(code, 0, "{err}");
    let doc = urcvt(&out);
    let round1 = &doc["results"][0];
    assert_eq!(round1["tally"]["A"], "2", "{doc}");
    assert_eq!(round1["tally"]["C"], "2", "{doc}");
    assert_eq!(round1["tally"]["Undeclared Write-ins"], "1", "{doc}");
    assert_eq!(round1["inactiveBallots"]["overvotes"], "1", "{doc}");
    // The workbook named on the command line is told to be ES&S's by its name.
    let workbook = config.parent().unwrap().join("ess_cvr.xlsx");
    let (code, out2, err) = run_config_only(&config, &["--urcvt", workbook.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(urcvt(&out2)["results"], doc["results"]);
    let _ = std::fs::remove_dir_all(config.parent().unwrap());
}

/// `ess_overvote_label.xlsx` (tests/conformance/ess/README.md) under an RCTab
/// 2.0 configuration naming its overvote and skipped-rank labels.
fn ess_overvote_contest(name: &str, overvote_rule: &str) -> PathBuf {
    let dir = scratch(name);
    let fixture = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/conformance/ess/ess_overvote_label.xlsx");
    std::fs::copy(fixture, dir.join("cvr.xlsx")).unwrap();
    let config = format!(
        r#"{{"outputSettings": {{"contestName": "ES&S"}},
            "cvrFileSources": [{{"filePath": "cvr.xlsx", "provider": "ess",
              "firstVoteColumnIndex": "4", "firstVoteRowIndex": "2", "idColumnIndex": "1",
              "overvoteDelimiter": "|", "overvoteLabel": "overvote",
              "skippedRankLabel": "undervote"}}],
            "candidates": [{{"name": "A"}}, {{"name": "B"}}, {{"name": "C"}}],
            "rules": {{"tiebreakMode": "useCandidateOrder", "overvoteRule": "{overvote_rule}",
                       "winnerElectionMode": "singleWinnerMajority", "numberOfWinners": "1",
                       "decimalPlacesForVoteArithmetic": "4", "maxSkippedRanksAllowed": "unlimited",
                       "maxRankingsAllowed": "3"}}}}"#
    );
    let path = dir.join("config.json");
    std::fs::write(&path, config).unwrap();
    path
}

/// RCTab's ES&S reader (`StreamingCvrReader.cvrCell`) reads a cell equal to
/// `overvoteLabel` as an explicit overvote, which the overvote rule then
/// handles (`Tabulator.getOvervoteDecision`); RCTab's own regression configs
/// (`sequential_with_batch`, `tiebreak_seed_test`, …) name one.
#[test]
fn an_ess_overvote_label_is_an_overvote_at_its_rank() {
    // Exhausted at once: ballot 2 (overvote, A) and ballot 6 (" B | C ").
    let config = ess_overvote_contest("ess-overvote-exhaust", "exhaustImmediately");
    let (code, out, err) = run_config_only(&config, &["--urcvt"]);
    assert_eq!(code, 0, "{err}");
    let doc = urcvt(&out);
    let round1 = &doc["results"][0];
    assert_eq!(round1["tally"]["A"], "1", "{doc}");
    assert_eq!(round1["tally"]["B"], "3", "{doc}");
    assert_eq!(round1["tally"]["C"], "3", "{doc}");
    assert_eq!(round1["tally"].as_object().unwrap().len(), 3, "{doc}");
    assert_eq!(round1["inactiveBallots"]["overvotes"], "2", "{doc}");
    assert_eq!(doc["summary"]["numCandidates"], 3, "{doc}");
    assert_eq!(elected(&doc), ["B"]);
    let _ = std::fs::remove_dir_all(config.parent().unwrap());

    // Skipped: ballot 2 counts for A; ballot 6 marks nothing after its
    // overvote, so it is an exhausted choice, not an overvote.
    let config = ess_overvote_contest("ess-overvote-skip", "alwaysSkipToNextRank");
    let (code, out, err) = run_config_only(&config, &["--urcvt"]);
    assert_eq!(code, 0, "{err}");
    let doc = urcvt(&out);
    let round1 = &doc["results"][0];
    assert_eq!(round1["tally"]["A"], "2", "{doc}");
    assert_eq!(round1["inactiveBallots"]["overvotes"], "0", "{doc}");
    assert_eq!(round1["inactiveBallots"]["exhaustedChoices"], "1", "{doc}");
    let _ = std::fs::remove_dir_all(config.parent().unwrap());

    // RCTab's validation: the label needs a rule that does not count
    // continuing candidates.
    let config = ess_overvote_contest("ess-overvote-multiple", "exhaustIfMultipleContinuing");
    let (code, _, err) = run_config_only(&config, &[]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("when overvoteLabel is supplied"), "{err}");
    let _ = std::fs::remove_dir_all(config.parent().unwrap());
}

#[test]
fn candidates_the_configuration_does_not_declare_are_refused() {
    let config = ess_contest("unrecognized", r#"{"name": "A"}, {"name": "B"}"#);
    let (code, out, err) = run_config_only(&config, &[]);
    assert_eq!(code, 2, "{out}");
    assert!(err.contains("\"C\""), "{err}");
    let _ = std::fs::remove_dir_all(config.parent().unwrap());
}

/// A Hart CVR file: one ballot marking `options` (name, id, rank digits) in
/// contest "c-1".
fn hart_cvr(options: &[(&str, &str, &str)]) -> String {
    let options: String = options
        .iter()
        .map(|(name, id, value)| {
            format!("<Option><Name>{name}</Name><Id>{id}</Id><Value>{value}</Value></Option>")
        })
        .collect();
    format!(
        r#"<?xml version="1.0" encoding="utf-8"?>
<Cvr xmlns="http://tempuri.org/CVRDesign.xsd"><CvrGuid>g</CvrGuid>
  <PrecinctSplit><Name>P</Name><Id>p</Id></PrecinctSplit>
  <Contests><Contest><Name>Mayor</Name><Id>c-1</Id><Options>{options}</Options></Contest></Contests>
</Cvr>"#
    )
}

#[test]
fn a_hart_folder_is_read_one_ballot_per_file() {
    let sources = TWO_SOURCES.replacen(
        r#"{"filePath": "cvr/precincts_1_2.json", "provider": "cdf", "contestId": "Mayor","#,
        r#"{"filePath": "hart", "provider": "hart", "contestId": "c-1","#,
        1,
    );
    let config = two_source_contest("hart", &sources);
    let folder = config.parent().unwrap().join("hart");
    std::fs::create_dir_all(&folder).unwrap();
    // The same ballots as the CDF file of the other tests: A, A>B, C>B.
    let ballots = [
        hart_cvr(&[("A", "o-a", "1")]),
        hart_cvr(&[("A", "o-a", "10"), ("B", "o-b", "01")]),
        hart_cvr(&[("C", "o-c", "10"), ("B", "o-b", "01")]),
    ];
    for (i, text) in ballots.iter().enumerate() {
        std::fs::write(folder.join(format!("cvr_{i}.xml")), text).unwrap();
    }
    std::fs::write(folder.join("cvr_0.xml.sig.xml"), "<Signature/>").unwrap();
    let (code, out, err) = run_config_only(&config, &["--urcvt"]);
    assert_eq!(code, 0, "{err}");
    let doc = urcvt(&out);
    let round1 = &doc["results"][0]["tally"];
    assert_eq!(round1["A"], "2", "{doc}");
    assert_eq!(round1["B"], "2", "{doc}");
    assert_eq!(round1["C"], "2", "{doc}");

    // The folder alone on the command line is told to be Hart's and read with
    // the configuration's hart settings: A 2, B 0, C 1.
    let (code, out, err) = run_config_only(&config, &["--urcvt", folder.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    let doc = urcvt(&out);
    assert_eq!(doc["results"][0]["tally"]["A"], "2", "{doc}");
    assert_eq!(doc["results"][0]["tally"]["C"], "1", "{doc}");
    let (code, _, err) =
        run_config_only(&config, &["--format", "dominion", folder.to_str().unwrap()]);
    assert_eq!(code, 2);
    assert!(err.contains("CandidateManifest.json"), "{err}");
    let _ = std::fs::remove_dir_all(config.parent().unwrap());
}

/// RCTab (`DominionCvrReader`, `ContestConfig.getNameForCandidate`) resolves a
/// Dominion mark's `CandidateId` through the configuration: a candidate whose
/// `aliases` (1.3) or `code` (1.x) is the manifest `Id` is that candidate, by
/// its configured name. A candidate no code names keeps its manifest
/// `Description`, which is also what a count without a configuration shows.
#[test]
fn dominion_candidates_are_named_as_the_configuration_names_their_ids() {
    let dir = scratch("dominion-names");
    let folder = dir.join("export");
    std::fs::create_dir_all(&folder).unwrap();
    std::fs::write(
        folder.join("CandidateManifest.json"),
        r#"{"List": [{"Description": "SMITH, ALICE", "Id": 11, "ContestId": 7},
                     {"Description": "JONES, BOB", "Id": 12, "ContestId": 7},
                     {"Description": "Cy Chen", "Id": 13, "ContestId": 7}]}"#,
    )
    .unwrap();
    std::fs::write(
        folder.join("ContestManifest.json"),
        r#"{"List": [{"Description": "Mayor", "Id": 7, "VoteFor": 1, "NumOfRanks": 3}]}"#,
    )
    .unwrap();
    std::fs::write(
        folder.join("CvrExport.json"),
        format!(
            r#"{{"Sessions": [{}, {}, {}]}}"#,
            dominion_session(1, &[(11, 1)]),
            dominion_session(2, &[(12, 1), (11, 2)]),
            dominion_session(3, &[(13, 1), (12, 2)])
        ),
    )
    .unwrap();
    let config = dir.join("contest_config.json");
    std::fs::write(
        &config,
        r#"{"tabulatorVersion": "TEST",
            "outputSettings": {"contestName": "Mayor", "contestDate": "2026-11-03",
                               "contestJurisdiction": "Town", "contestOffice": "Mayor"},
            "cvrFileSources": [{"filePath": "export", "provider": "dominion", "contestId": "7",
                                "undeclaredWriteInLabel": ""}],
            "candidates": [{"name": "Alice Smith", "excluded": false, "aliases": ["11"]},
                           {"name": "Bob Jones", "code": "12", "excluded": false},
                           {"name": "Cy Chen", "excluded": false}],
            "rules": {"tiebreakMode": "useCandidateOrder", "overvoteRule": "exhaustImmediately",
                      "winnerElectionMode": "singleWinnerMajority", "numberOfWinners": "1",
                      "decimalPlacesForVoteArithmetic": "4", "maxSkippedRanksAllowed": "unlimited",
                      "maxRankingsAllowed": "max"}}"#,
    )
    .unwrap();
    let (code, out, err) = run_config_only(&config, &["--urcvt"]);
    assert_eq!(code, 0, "{err}");
    let doc = urcvt(&out);
    let round1 = &doc["results"][0]["tally"];
    assert_eq!(round1["Alice Smith"], "1", "{doc}");
    assert_eq!(round1["Bob Jones"], "1", "{doc}");
    assert_eq!(round1["Cy Chen"], "1", "{doc}");
    assert!(round1.get("SMITH, ALICE").is_none(), "{doc}");

    // Without a configuration, the manifest's Descriptions.
    let out = Command::new(env!("CARGO_BIN_EXE_christen"))
        .args(["tally", "-m", "irv", "--contest", "7", "--json"])
        .arg(&folder)
        .output()
        .expect("run christen");
    let report: serde_json::Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stderr)));
    let names: Vec<&str> = report["candidates"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["SMITH, ALICE", "JONES, BOB", "Cy Chen"]);
    let _ = std::fs::remove_dir_all(&dir);
}

/// A 5, B 4, C then B 2, D then C 1: 12 ballots.
const FOUR: &str = r#"{"candidates": ["A", "B", "C", "D"], "ballots": [
    {"ranks": [["A"]], "count": 5}, {"ranks": [["B"]], "count": 4},
    {"ranks": [["C"], ["B"]], "count": 2}, {"ranks": [["D"], ["C"]], "count": 1}]}"#;

/// Worked by hand: 25% of 12 is 3; D goes, then C with exactly 3 (RCTab
/// wants more); in round 3, 25% of 11 is 2.75 and A (5) and B (6) are both
/// above it: both elected, the count ends.
#[test]
fn bottoms_up_percentage_threshold_elects_everyone_above_it_at_once() {
    let candidates = r#"{"name": "A"}, {"name": "B"}, {"name": "C"}, {"name": "D"}"#;
    let rules = r#", "winnerElectionMode": "bottomsUpUsingPercentageThreshold",
        "numberOfWinners": "0", "multiSeatBottomsUpPercentageThreshold": "25""#;
    let (code, out, err) = tally_with_config("pct", "irv", &config(candidates, rules), FOUR);
    assert_eq!(code, 0, "{err}");
    let doc = urcvt(&out);
    let rounds = doc["results"].as_array().unwrap();
    assert_eq!(rounds.len(), 3, "{doc}");
    assert_eq!(rounds[1]["tally"]["C"], "3", "{doc}");
    let mut won = elected(&doc);
    won.sort();
    assert_eq!(won, ["A", "B"]);
    assert!(rounds[..2].iter().all(|r| r["tallyResults"]
        .as_array()
        .unwrap()
        .iter()
        .all(|t| t.get("elected").is_none())));

    // Validated as RCTab validates it, the field named.
    for (rules, named) in [
        (
            r#", "winnerElectionMode": "bottomsUpUsingPercentageThreshold", "numberOfWinners": "0""#,
            "multiSeatBottomsUpPercentageThreshold",
        ),
        (
            r#", "winnerElectionMode": "bottomsUpUsingPercentageThreshold",
               "multiSeatBottomsUpPercentageThreshold": "25""#,
            "numberOfWinners",
        ),
        (
            r#", "winnerElectionMode": "bottomsUpUsingPercentageThreshold", "numberOfWinners": "0",
               "multiSeatBottomsUpPercentageThreshold": "101""#,
            "multiSeatBottomsUpPercentageThreshold",
        ),
        (
            r#", "winnerElectionMode": "bottomsUpUsingPercentageThreshold", "numberOfWinners": "0",
               "multiSeatBottomsUpPercentageThreshold": "12.5""#,
            "multiSeatBottomsUpPercentageThreshold",
        ),
        (
            r#", "winnerElectionMode": "bottomsUpUsingPercentageThreshold", "numberOfWinners": "0",
               "multiSeatBottomsUpPercentageThreshold": "25", "batchElimination": true"#,
            "batchElimination",
        ),
        (
            r#", "winnerElectionMode": "multiWinnerAllowMultipleWinnersPerRound", "numberOfWinners": "0""#,
            "numberOfWinners",
        ),
    ] {
        let (code, out, err) =
            tally_with_config("pct-bad", "irv", &config(candidates, rules), FOUR);
        assert_eq!(code, 2, "{rules}: {out}");
        assert!(err.contains(named), "{named}: {err}");
    }
}

/// Worked by hand. Pass 1: A 4, B 3, C 2; C out, its ballots go to B (5 of 9).
/// Pass 2 without B: B's ballots rank C next: C 5 of 9 in round 1. Pass 3
/// without B and C: A alone.
#[test]
fn multi_pass_irv_counts_once_per_seat_without_the_earlier_winners() {
    let ballots = r#"{"candidates": ["A", "B", "C"], "ballots": [
        {"ranks": [["A"]], "count": 4}, {"ranks": [["B"], ["C"]], "count": 3},
        {"ranks": [["C"], ["B"], ["A"]], "count": 2}]}"#;
    let cfg = config(
        r#"{"name": "A"}, {"name": "B"}, {"name": "C"}"#,
        r#", "winnerElectionMode": "multiPassIrv", "numberOfWinners": "3""#,
    );
    let (code, out, err) = tally_with_config("multipass", "irv", &cfg, ballots);
    assert_eq!(code, 0, "{err}");
    let passes: Vec<serde_json::Value> = serde_json::from_str(&out).unwrap();
    assert_eq!(passes.len(), 3, "{out}");
    let won: Vec<Vec<String>> = passes.iter().map(elected).collect();
    assert_eq!(won, [["B"], ["C"], ["A"]]);
    assert_eq!(passes[0]["results"].as_array().unwrap().len(), 2);
    let pass2 = &passes[1]["results"][0]["tally"];
    assert_eq!(pass2["C"], "5", "{out}");
    assert!(pass2.get("B").is_none(), "B is excluded in pass 2: {out}");

    // One seat is not multi-pass (RCTab refuses it too).
    let one = config(
        r#"{"name": "A"}, {"name": "B"}, {"name": "C"}"#,
        r#", "winnerElectionMode": "multiPassIrv""#,
    );
    let (code, _, err) = tally_with_config("multipass-one", "irv", &one, ballots);
    assert_eq!(code, 2);
    assert!(err.contains("multiPassIrv"), "{err}");
}

/// The two-source contest counted for two seats by multiPassIrv: pass 1 (A
/// wins the final tie by candidate order), pass 2 without A (B 3 of 5).
#[test]
fn multi_pass_irv_writes_one_summary_per_pass_as_rctab_names_them() {
    let config = two_source_contest("multipass-files", TWO_SOURCES);
    let text = std::fs::read_to_string(&config).unwrap();
    let text = text
        .replacen("\"singleWinnerMajority\"", "\"multiPassIrv\"", 1)
        .replacen(r#""numberOfWinners": "1""#, r#""numberOfWinners": "2""#, 1);
    std::fs::write(&config, text).unwrap();
    let dir = config.parent().unwrap();
    let csv = dir.join("summary.csv");
    let (code, out, err) = run_config_only(&config, &["--summary-csv", csv.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    assert!(out.starts_with("Pass 1 of 2"), "{out}");
    assert!(out.contains("\nPass 2 of 2"), "{out}");
    for pass in ["1", "2"] {
        let written = std::fs::read_to_string(dir.join(format!("summary_{pass}.csv")))
            .unwrap_or_else(|e| panic!("summary_{pass}.csv: {e}"));
        assert!(written.starts_with("Contest Information"), "{written}");
        // RCTab's header during a pass: the mode is not single-winner, and
        // numberOfWinners is set to 1 while each pass counts.
        assert!(
            written.contains("\nType of Election,Multi-Winner\n"),
            "{written}"
        );
        assert!(written.contains("\nNumber to be Elected,1\n"), "{written}");
    }
    assert!(!csv.exists(), "no unnumbered summary");

    let (code, out, err) = run_config_only(&config, &["--json"]);
    assert_eq!(code, 0, "{err}");
    let reports: Vec<serde_json::Value> = serde_json::from_str(&out).unwrap();
    let winners: Vec<&str> = reports
        .iter()
        .map(|r| r["winners"][0]["name"].as_str().unwrap())
        .collect();
    assert_eq!(winners, ["A", "B"], "{out}");
    let _ = std::fs::remove_dir_all(dir);
}

/// RCTab's regression case `multi_seat_bottoms_up_with_threshold` (its CVR is
/// an ES&S workbook; here the same 21 ballots as its expected report implies
/// them: H's and D's ballots rank G next), in today's configuration form:
/// 15% of 21 is 3.1500; F, E, H, D go one by one; in round 5 A, B, C and G are
/// all above it and elected, listed as RCTab lists them; numWinners 0.
#[test]
fn rctab_multi_seat_bottoms_up_with_threshold_rounds() {
    let candidates = ["A", "B", "C", "D", "E", "F", "G", "H"]
        .map(|c| format!(r#"{{"name": "{c}"}}"#))
        .join(", ");
    let rules = r#", "winnerElectionMode": "bottomsUpUsingPercentageThreshold",
        "numberOfWinners": "0", "multiSeatBottomsUpPercentageThreshold": "15",
        "maxSkippedRanksAllowed": "1""#;
    let ballots = r#"{"candidates": ["A", "B", "C", "D", "E", "F", "G", "H"], "ballots": [
        {"ranks": [["A"]], "count": 5}, {"ranks": [["B"]], "count": 5},
        {"ranks": [["C"]], "count": 4}, {"ranks": [["D"], ["G"]], "count": 3},
        {"ranks": [["G"]], "count": 3}, {"ranks": [["H"], ["G"]], "count": 1}]}"#;
    let (code, out, err) =
        tally_with_config("pct-rctab", "irv", &config(&candidates, rules), ballots);
    assert_eq!(code, 0, "{err}");
    let doc = urcvt(&out);
    let rounds = doc["results"].as_array().unwrap();
    let eliminated: Vec<&str> = rounds[..4]
        .iter()
        .map(|r| r["tallyResults"][0]["eliminated"].as_str().unwrap())
        .collect();
    assert_eq!(eliminated, ["F", "E", "H", "D"], "{doc}");
    assert!(rounds.iter().all(|r| r["threshold"] == "3.1500"), "{doc}");
    assert_eq!(rounds[4]["tally"]["G"], "7", "{doc}");
    assert_eq!(elected(&doc), ["A", "B", "C", "G"]);
    assert_eq!(doc["summary"]["numWinners"], 0, "{doc}");
    assert_eq!(doc["summary"]["finalThreshold"], "3.1500", "{doc}");
}

/// A candidate the CVRs list but the configuration does not declare and no
/// ballot marks is not in the contest (RCTab looks up only marked candidates;
/// its `nist_xml_cdf_2` case lists a candidate spelt with two spaces). Kept, a
/// zero-vote candidate would be eliminated first and add a round.
#[test]
fn undeclared_unmarked_candidates_are_not_counted() {
    let ballots =
        r#"{"candidates": ["A", "B", "Ghost  Name"], "ballots": [[["A"]], [["A"]], [["B"]]]}"#;
    let (code, out, err) = tally_with_config(
        "ghost",
        "irv",
        &config(r#"{"name": "A"}, {"name": "B"}"#, ""),
        ballots,
    );
    assert_eq!(code, 0, "{err}");
    let doc = urcvt(&out);
    let rounds = doc["results"].as_array().unwrap();
    assert_eq!(rounds.len(), 1, "{out}");
    let tally = rounds[0]["tally"].as_object().unwrap();
    assert_eq!(tally.keys().collect::<Vec<_>>(), ["A", "B"], "{out}");
    assert_eq!(doc["config"]["contest"], "Test");
    assert_eq!(elected(&doc), ["A"]);
    // Marked, the same candidate is an error naming it.
    let marked = ballots.replace(r#"[["B"]]]"#, r#"[["Ghost  Name"]]]"#);
    let (code, _, err) = tally_with_config(
        "ghost-marked",
        "irv",
        &config(r#"{"name": "A"}, {"name": "B"}"#, ""),
        &marked,
    );
    assert_eq!(code, 2);
    assert!(err.contains("Ghost  Name"), "{err}");
}
