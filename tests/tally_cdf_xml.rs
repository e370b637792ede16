//! NIST CDF cast vote records in XML: `christen tally` counts
//! `tests/conformance/cdf/mayor_cvr.xml` exactly as the same report in JSON,
//! whether the format is detected, named with `--format cdf`, or given by an
//! RCTab configuration's `cdf` source.

use std::path::{Path, PathBuf};
use std::process::Command;

fn data(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/conformance/cdf")
        .join(name)
}

/// Runs `christen tally ARGS`: exit code, stdout, stderr.
fn tally(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_christen"))
        .arg("tally")
        .args(args)
        .output()
        .expect("run christen");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn json_report(args: &[&str]) -> serde_json::Value {
    let (code, out, err) = tally(args);
    assert_eq!(code, 0, "christen tally {args:?}: {err}");
    serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}"))
}

fn path(p: &Path) -> &str {
    p.to_str().unwrap()
}

#[test]
fn cdf_xml_counts_the_same_ballots_as_cdf_json() {
    let xml = data("mayor_cvr.xml");
    let json = data("mayor_cvr.json");
    let count = |extra: &[&str], file: &Path| {
        let mut args = vec!["--method", "irv", "--json", "--contest", "Mayor"];
        args.extend_from_slice(extra);
        args.push(path(file));
        json_report(&args)
    };
    let from_json = count(&[], &json);
    let detected = count(&[], &xml);
    let named = count(&["--format", "cdf"], &xml);
    // The contest may be named by its id too.
    let by_id = json_report(&[
        "--method",
        "irv",
        "--json",
        "--contest",
        "c-mayor",
        path(&xml),
    ]);
    assert_eq!(by_id, from_json);
    assert_eq!(detected, from_json);
    assert_eq!(named, from_json);
    // Four CVRs vote for mayor (the fifth has only the council contest); the
    // modified snapshot of CVR 2 puts Cy first, CVR 3 overvotes rank 1.
    assert_eq!(from_json["ballots_counted"], 4, "{from_json}");
    let first: Vec<(String, u64)> = from_json["rounds"][0]["counts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["name"].as_str().unwrap().to_owned(),
                c["votes"].as_u64().unwrap(),
            )
        })
        .collect();
    assert!(first.contains(&("Ann Arbor".to_owned(), 1)), "{first:?}");
    assert!(first.contains(&("Cy Chen".to_owned(), 1)), "{first:?}");
}

#[test]
fn an_rctab_cdf_source_may_be_xml() {
    let dir = std::env::temp_dir().join(format!("christen-cdf-xml-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let config = |file: &str| {
        format!(
            r#"{{"tabulatorVersion": "TEST",
            "outputSettings": {{"contestName": "Mayor"}},
            "cvrFileSources": [{{"filePath": "{file}", "provider": "cdf", "contestId": "Mayor"}}],
            "candidates": [{{"name": "Ann Arbor"}}, {{"name": "Bo Brown"}}, {{"name": "Cy Chen"}}],
            "rules": {{"tiebreakMode": "useCandidateOrder", "overvoteRule": "exhaustImmediately",
                       "winnerElectionMode": "singleWinnerMajority", "numberOfWinners": "1",
                       "decimalPlacesForVoteArithmetic": "4", "maxSkippedRanksAllowed": "unlimited",
                       "maxRankingsAllowed": "max"}}}}"#
        )
    };
    let mut outputs = Vec::new();
    for file in ["mayor_cvr.xml", "mayor_cvr.json"] {
        let config_path = dir.join(format!("{file}.config.json"));
        std::fs::write(&config_path, config(path(&data(file)))).unwrap();
        let (code, out, err) = tally(&["--rctab-config", path(&config_path), "--urcvt"]);
        assert_eq!(code, 0, "{file}: {err}");
        outputs.push(out);
    }
    assert_eq!(outputs[0], outputs[1]);
    assert!(outputs[0].contains("Cy Chen"), "{}", outputs[0]);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn malformed_cdf_xml_is_refused_with_its_line() {
    let dir = std::env::temp_dir().join(format!("christen-cdf-xml-bad-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let text = std::fs::read_to_string(data("mayor_cvr.xml")).unwrap();
    let bad = dir.join("bad.xml");
    std::fs::write(&bad, text.replacen("<Rank>2</Rank>", "<Rank>two</Rank>", 1)).unwrap();
    let (code, out, err) = tally(&["--method", "irv", "--contest", "Mayor", path(&bad)]);
    assert_ne!(code, 0, "{out}");
    assert!(err.contains("bad.xml line"), "{err}");
    assert!(err.contains("Rank"), "{err}");
    // Without --contest, a report of two contests names them.
    let (code, _, err) = tally(&["--method", "irv", path(&data("mayor_cvr.xml"))]);
    assert_ne!(code, 0);
    assert!(err.contains("Mayor") && err.contains("Council"), "{err}");
    let _ = std::fs::remove_dir_all(&dir);
}
