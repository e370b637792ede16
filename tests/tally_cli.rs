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
        // The file, the line, and what was expected there.
        let at = format!("christen tally: {} line {line}: ", f.display());
        assert!(err.starts_with(&at), "{name}: {err}");
        assert!(err.contains("expected"), "{name}: {err}");
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

/// A Debian tally sheet as debian.org publishes them (Latin-1, like the older
/// ones): the options in the header, then one `V:` line per voter.
const DEBIAN_SHEET: &[u8] =
    b"\n\t\t       Tally Sheet for the votes cast. \n \n   The format is:\n\
       \"V: vote \t\tMD5SUM\"\n -=-=-=-=-=-=-=-=-=-=-=-=-=-=-=-=-=-=-=-=-=-=-=-=-=-=-=-=-=-=\n\n\
     Option 1----->: Rapha\xebl Hertzog\n   /  Option 2---->: Anthony Towns\n\
   |/  Option 3--->: None of the Above\n   ||/\n\
V: 123 \t\t1d7ba886e62a2cf64379a5c8f8032cc2\nV: 123 \t\t2d7ba886e62a2cf64379a5c8f8032cc2\n\
V: 213 \t\t3d7ba886e62a2cf64379a5c8f8032cc2\nV: 1-2 \t\t4d7ba886e62a2cf64379a5c8f8032cc2\n\
V: --1 \t\t5d7ba886e62a2cf64379a5c8f8032cc2\n";

fn tally_stdin(args: &[&str], input: &[u8]) -> Output {
    use std::io::Write;
    let mut child = Command::new(env!("CARGO_BIN_EXE_christen"))
        .arg("tally")
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // christen may refuse and exit before reading its input; the exit code and
    // message are what the tests check.
    if let Err(e) = child.stdin.take().unwrap().write_all(input) {
        assert_eq!(e.kind(), std::io::ErrorKind::BrokenPipe, "write stdin: {e}");
    }
    child.wait_with_output().unwrap()
}

#[test]
fn a_debian_tally_sheet_counts_the_same_without_format() {
    let f = dir().join("leader_tally.txt");
    std::fs::write(&f, DEBIAN_SHEET).unwrap();
    let path = f.to_str().unwrap();
    let given = tally(&["-m", "schulze", "--json", "--format", "debian", path]);
    assert!(given.status.success(), "{}", stderr(&given));
    let detected = tally(&["-m", "schulze", "--json", path]);
    assert!(detected.status.success(), "{}", stderr(&detected));
    assert_eq!(stdout(&detected), stdout(&given));
    let from_stdin = tally_stdin(&["-m", "schulze", "--json", "-"], DEBIAN_SHEET);
    assert!(from_stdin.status.success(), "{}", stderr(&from_stdin));
    assert_eq!(stdout(&from_stdin), stdout(&given));
    let j: serde_json::Value = serde_json::from_str(&stdout(&detected)).unwrap();
    assert_eq!(j["ballots_counted"], 5);
    assert_eq!(
        j["winners"],
        serde_json::json!([{"id": 1, "name": "Rapha\u{eb}l Hertzog"}])
    );

    // The real sheets of the reference data, where it is available.
    let Some(data) = std::env::var_os("CHRISTEN_TESTDATA") else {
        return;
    };
    let src = PathBuf::from(data).join("condorcet/src_data");
    for year in ["2006", "2007", "2020"] {
        let sheet = src.join(format!("leader{year}_tally.txt"));
        let sheet = sheet.to_str().unwrap();
        let given = tally(&["-m", "schulze", "--json", "--format", "debian", sheet]);
        assert!(given.status.success(), "{year}: {}", stderr(&given));
        let detected = tally(&["-m", "schulze", "--json", sheet]);
        assert!(detected.status.success(), "{year}: {}", stderr(&detected));
        assert_eq!(stdout(&detected), stdout(&given), "{year}");
    }
}

#[test]
fn cast_vote_records_count_the_same_without_format() {
    let generic = "Response ID,precinct,A,B,C\nr1,p1,1,2,\nr2,p1,2,1,\nr3,p1,1,,2\n";
    let clear = "RowNumber,BoxID,BoxPosition,BallotID,PrecinctID,BallotStyleID,PrecinctStyleName,\
ScanComputerName,Status,Remade,Choice_1_1:Mayor:1:Vote For 1:A:NP,Choice_2_1:Mayor:1:Vote For 1:B:NP,\
Choice_3_1:Mayor:2:Vote For 1:A:NP,Choice_4_1:Mayor:2:Vote For 1:B:NP\n\
1,b,1,b1,1,1,p,s,0,0,1,0,0,1\n2,b,2,b2,1,1,p,s,0,0,0,1,1,0\n3,b,3,b3,1,1,p,s,0,0,1,0,0,1\n";
    let rctab = r#"{"candidates": ["A", "B"], "maxRank": 2,
        "rules": {"overvoteRule": "alwaysSkipToNextRank", "tiebreakMode": "useCandidateOrder"},
        "ballots": [[["A", "B"], ["B"]], [["A"]], [[], ["B"]]]}"#;
    for (name, format, text) in [
        ("generic.csv", "rctab-csv", generic),
        ("clear.cvr.csv", "clear-ballot", clear),
        ("ballots.json", "rctab-json", rctab),
    ] {
        let f = write(name, text);
        let path = f.to_str().unwrap();
        let given = tally(&["-m", "irv", "--json", "--format", format, path]);
        assert!(given.status.success(), "{name}: {}", stderr(&given));
        let detected = tally(&["-m", "irv", "--json", path]);
        assert!(detected.status.success(), "{name}: {}", stderr(&detected));
        assert_eq!(stdout(&detected), stdout(&given), "{name}");
        let from_stdin = tally_stdin(&["-m", "irv", "--json", "-"], text.as_bytes());
        assert_eq!(stdout(&from_stdin), stdout(&given), "{name} from stdin");
    }
}

#[test]
fn an_unknown_format_error_names_every_format() {
    let f = write("notes.dat", "hello\nworld\n");
    let o = tally(&["-m", "irv", f.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(o.stdout.is_empty());
    let err = stderr(&o);
    assert!(err.contains("cannot tell the file format"), "{err}");
    let names = christen::cli::tally::FormatArg::names();
    assert_eq!(names.len(), christen::formats::Format::ALL.len());
    assert!(names.len() >= 12, "{names:?}");
    for name in names {
        assert!(err.contains(name), "{name} missing from: {err}");
    }
    for name in [
        "preflib",
        "blt",
        "json",
        "csv",
        "cdf",
        "rctab-csv",
        "clear-ballot",
        "rctab-json",
        "debian",
        "dominion",
        "ess",
        "hart",
    ] {
        assert!(err.contains(name), "{name} missing from: {err}");
    }
}

/// docs/SECURITY.md S5: the ballot export writes a name a spreadsheet would
/// run as a formula with a `'` in front; `christen tally` gives the original
/// name back (one `'` dropped when the rest starts with `=`, `+`, `-`, `@`, a
/// tab or a carriage return), and leaves every other `'` alone.
#[test]
fn csv_names_neutralised_for_spreadsheets_read_back_as_they_were() {
    let text = "receipt,\"'=HYPERLINK(\"\"http://evil\"\",\"\"x\"\")\",'-2+3,'@SUM(1+1),\
                '+cmd,''=quoted,'Tis,\"'\tTab\"\n\
                r1,1,2,,,,,\nr2,1,,2,,,,\nr3,,1,,,,,\nr4,,,,,1,2,3\nr5,1,,,,,,\n";
    let f = write("neutralised.csv", text);
    for format in [&["--format", "csv"][..], &[]] {
        let mut args = vec!["--method", "plurality", "--json"];
        args.extend_from_slice(format);
        args.push(f.to_str().unwrap());
        let o = tally(&args);
        assert!(o.status.success(), "{}", stderr(&o));
        let j: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
        assert_eq!(
            j["winners"],
            serde_json::json!([{"id": 1, "name": "=HYPERLINK(\"http://evil\",\"x\")"}])
        );
        let names: Vec<&str> = j["candidates"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["name"].as_str().unwrap())
            .collect();
        assert_eq!(
            names,
            [
                "=HYPERLINK(\"http://evil\",\"x\")",
                "-2+3",
                "@SUM(1+1)",
                "+cmd",
                "'=quoted",
                "'Tis",
                "\tTab"
            ]
        );
    }
}
