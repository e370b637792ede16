//! `christen tally` end to end: the built binary on small files.

use std::path::PathBuf;
use std::process::{Command, Output, Stdio};

fn dir() -> PathBuf {
    let d = std::env::temp_dir().join(format!("christen-tally-cli-{}", std::process::id()));
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn write(name: &str, text: &str) -> PathBuf {
    let p = dir().join(name);
    std::fs::write(&p, text).unwrap();
    p
}

fn tally(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_christen"))
        .arg("tally")
        .args(args)
        .output()
        .unwrap()
}

fn stdout(o: &Output) -> String {
    String::from_utf8(o.stdout.clone()).unwrap()
}

fn stderr(o: &Output) -> String {
    String::from_utf8(o.stderr.clone()).unwrap()
}

/// Wikipedia's Tennessee capital example in PrefLib's current format.
const TENNESSEE_TOC: &str = "# TITLE: Tennessee capital\n# NUMBER ALTERNATIVES: 4\n\
# ALTERNATIVE NAME 1: Memphis\n# ALTERNATIVE NAME 2: Nashville\n\
# ALTERNATIVE NAME 3: Chattanooga\n# ALTERNATIVE NAME 4: Knoxville\n\
42: 1,2,3,4\n26: 2,3,4,1\n15: 3,4,2,1\n17: 4,3,2,1\n";

#[test]
fn json_report_names_candidates_by_number_in_file() {
    let f = write("tennessee.toc", TENNESSEE_TOC);
    let o = tally(&["--method", "irv", "--json", f.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    let j: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(j["method"], "irv");
    assert_eq!(
        j["winners"],
        serde_json::json!([{"id": 4, "name": "Knoxville"}])
    );
    assert_eq!(
        j["rounds"][0]["counts"][0],
        serde_json::json!({"id": 1, "name": "Memphis", "votes": 42})
    );
    assert_eq!(j["condorcet_winner"]["id"], 2);
    assert_eq!(j["ballots_counted"], 100);
}

#[test]
fn every_method_prints_a_table() {
    let f = write("tennessee2.toc", TENNESSEE_TOC);
    for (m, winner) in [
        ("plurality", "Memphis"),
        ("irv", "Knoxville"),
        ("stv", "Knoxville"),
        ("schulze", "Nashville"),
        ("ranked_pairs", "Nashville"),
        ("borda", "Nashville"),
        ("copeland", "Nashville"),
    ] {
        let o = tally(&["-m", m, f.to_str().unwrap()]);
        assert!(o.status.success(), "{m}: {}", stderr(&o));
        let out = stdout(&o);
        assert!(out.contains(&format!("Elected: {winner}")), "{m}: {out}");
        assert!(out.contains("Tennessee capital"), "{m}: {out}");
    }
}

#[test]
fn reads_blt_with_its_seats_and_withdrawn_candidates() {
    // The Wikipedia STV food example as BLT, with a withdrawn extra candidate.
    let f = write(
        "food.blt",
        "6 3\n-6\n4 1 0\n2 2 1 0\n8 3 4 0\n4 3 5 0\n1 4 0\n1 5 0\n1 6 0\n0\n\
\"Orange\"\n\"Pear\"\n\"Chocolate\"\n\"Strawberry\"\n\"Hamburger\"\n\"Withdrawn\"\n\"Food\"\n",
    );
    let o = tally(&["-m", "stv", "--json", f.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    let j: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    let winners: Vec<&str> = j["winners"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w["name"].as_str().unwrap())
        .collect();
    assert_eq!(winners, ["Chocolate", "Orange", "Strawberry"]);
    assert_eq!(j["seats"], 3);
    assert_eq!(j["withdrawn"][0]["id"], 6);
    assert_eq!(j["quota"], 6);
}

#[test]
fn reads_json_and_csv_from_stdin_and_files() {
    let f = write(
        "b.json",
        r#"{"candidates": ["A", "B", "C"], "ballots": [{"ranking": ["A", "B"], "count": 2}, ["C", "B"], ["B"], ["B"]]}"#,
    );
    let o = tally(&["-m", "copeland", "--json", f.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    let j: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(j["winners"][0]["name"], "B");

    let csv = "receipt,A,B,C\nr1,1,2,\nr2,1,2,\nr3,,2,1\nr4,,1,\nr5,,1,\n";
    let mut child = Command::new(env!("CARGO_BIN_EXE_christen"))
        .args(["tally", "-m", "copeland", "--json", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(csv.as_bytes())
        .unwrap();
    let o = child.wait_with_output().unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    let j: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(j["winners"][0]["name"], "B");
    assert_eq!(
        j["ballot_digest"],
        christen::formats::ballot_digest(csv.as_bytes())
    );
}

#[test]
fn bad_files_exit_2_with_the_line_and_print_nothing() {
    for (name, text, line) in [
        ("unknown.toi", "# NUMBER ALTERNATIVES: 2\n# ALTERNATIVE NAME 1: A\n# ALTERNATIVE NAME 2: B\n1: 1,2\n3: 1,5\n", 5),
        ("twice.blt", "2 1\n1 1 2 0\n1 2 2 0\n0\n\"A\"\n\"B\"\n", 3),
        ("negative.json", "{\"candidates\": [\"A\"],\n\"ballots\": [\n{\"ranking\": [\"A\"], \"count\": -3}\n]}", 3),
        ("gap.csv", "receipt,A,B\nr1,1,\nr2,2,\n", 3),
        ("zero.soi", "# NUMBER ALTERNATIVES: 2\n0: 1,2\n", 2),
    ] {
        let f = write(name, text);
        let o = tally(&["-m", "irv", f.to_str().unwrap()]);
        assert_eq!(o.status.code(), Some(2), "{name}");
        assert!(o.stdout.is_empty(), "{name}: {}", stdout(&o));
        let err = stderr(&o);
        assert!(err.contains(&format!("line {line}:")), "{name}: {err}");
    }
}

#[test]
fn missing_file_and_unknown_method_exit_2() {
    let o = tally(&["-m", "irv", "/nonexistent/ballots.toi"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(o.stdout.is_empty());
    let o = tally(&["-m", "meek", "x.toi"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("meek"));
}

#[test]
fn seed_decides_lot_ties_reproducibly() {
    let f = write("tie.soi", "# NUMBER ALTERNATIVES: 2\n# ALTERNATIVE NAME 1: A\n# ALTERNATIVE NAME 2: B\n3: 1,2\n3: 2,1\n");
    let winner = |seed: &str| {
        let o = tally(&["-m", "irv", "--seed", seed, "--json", f.to_str().unwrap()]);
        assert!(o.status.success());
        let j: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
        assert_eq!(j["tie_breaks"][0]["decided_by"]["rule"], "lot");
        j["winners"][0]["name"].as_str().unwrap().to_string()
    };
    assert_eq!(winner("7"), winner("7"));
    let all: std::collections::BTreeSet<String> = (0..16).map(|s| winner(&s.to_string())).collect();
    assert_eq!(
        all.len(),
        2,
        "different seeds should pick different winners sometimes"
    );
}
