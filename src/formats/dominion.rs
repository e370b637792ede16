//! Dominion Democracy Suite cast vote record exports, as RCTab's `dominion`
//! provider reads them (`DominionCvrReader`): a folder holding
//! `CandidateManifest.json` and `ContestManifest.json` (each `{"List": [{"Id",
//! "Description", ...}]}`, candidates with their `ContestId`) and the records,
//! in `CvrExport.json` or `CvrExport_1.json`, `CvrExport_2.json`, ….
//!
//! ```json
//! {"Sessions": [{"TabulatorId": 1, "BatchId": 2, "RecordId": 3,
//!   "Original": {"IsCurrent": true, "BallotTypeId": 1,
//!                "Cards": [{"Contests": [{"Id": 7, "Marks": [
//!                   {"CandidateId": 12, "Rank": 1, "IsAmbiguous": false}]}]}]},
//!   "Modified": {...}}]}
//! ```
//!
//! A session whose `Original` is not current counts its `Modified` record (the
//! adjudicated one), or is skipped without one; ambiguous marks are ignored;
//! the contest's records are those whose contest `Id` is the source's
//! `contestId`; a `Cards` list may be missing (the contests are then on the
//! record itself). Several marks at one rank are an overvote. The id given as
//! the source's `undeclaredWriteInLabel` counts as undeclared write-ins.
//!
//! Candidate names: RCTab (`DominionCvrReader`, 1.3 and later) keeps each
//! mark's `CandidateId` and resolves it through the configuration
//! (`ContestConfig.getNameForCandidate`): a configured candidate whose name or
//! one of whose `aliases` (RCTab 1.x: its `code`) is the manifest `Id` is that
//! candidate, and the report shows the configured name. This reader does the
//! same with the `(code, name)` pairs it is given; a candidate no configured
//! code names is named by its manifest `Description` (without a configuration,
//! every candidate is), which a configuration may also name or alias.

use std::collections::HashMap;

use serde_json::Value;

use super::cvr::{ElectionBuilder, MAX_RANK, UNDECLARED_WRITE_INS};
use super::read_error::{json_syntax, Location, ReadError};
use crate::tally::{CandidateIdx, Election};

const FORMAT: &str = "Dominion CVR export";

/// An error at `path` in the export's file `file` (the entry point puts the
/// folder in front).
fn err(file: &str, path: String, message: impl Into<String>) -> ReadError {
    ReadError::new(FORMAT, Location::JsonPath(path), message).in_file(file)
}

/// A JSON value's text: strings as they are, numbers as written.
fn id_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// The manifest's `List`, each entry's `Id` and `Description` (and the whole
/// entry).
fn manifest<'a>(file: &str, doc: &'a Value) -> Result<Vec<(String, String, &'a Value)>, ReadError> {
    let list = doc
        .get("List")
        .and_then(Value::as_array)
        .ok_or_else(|| err(file, "$".into(), "expected a \"List\" array"))?;
    let mut out = Vec::with_capacity(list.len());
    for (i, entry) in list.iter().enumerate() {
        let id = entry.get("Id").and_then(id_text);
        let name = entry.get("Description").and_then(Value::as_str);
        match (id, name) {
            (Some(id), Some(name)) => out.push((id, name.to_owned(), entry)),
            _ => {
                return Err(err(
                    file,
                    format!("$.List[{i}]"),
                    "expected an \"Id\" and a \"Description\"",
                ))
            }
        }
    }
    Ok(out)
}

/// The files of one Dominion export, as text.
pub struct DominionExport<'a> {
    pub candidate_manifest: &'a str,
    pub contest_manifest: &'a str,
    /// `(file name, text)` of each `CvrExport*.json`, in order.
    pub exports: Vec<(String, &'a str)>,
}

/// Reads the records of contest `contest_id` (a `ContestManifest` `Id`).
/// `configured`: `(code, name)` of the configuration's candidates (each name
/// with itself, and each alias with its name); a candidate whose manifest `Id`
/// is such a code is named `name`, any other by its `Description`.
pub fn read_dominion(
    export: &DominionExport<'_>,
    contest_id: &str,
    undeclared_write_in: Option<&str>,
    configured: &[(String, String)],
) -> Result<Election, ReadError> {
    const CANDIDATES: &str = "CandidateManifest.json";
    const CONTESTS: &str = "ContestManifest.json";
    let contests: Value = serde_json::from_str(export.contest_manifest)
        .map_err(|e| json_syntax(FORMAT, &e).in_file(CONTESTS))?;
    if !manifest(CONTESTS, &contests)?
        .iter()
        .any(|(id, _, _)| id == contest_id)
    {
        return Err(err(
            CONTESTS,
            "$.List".into(),
            format!("expected the contest \"{contest_id}\" (the source's contestId)"),
        ));
    }
    let candidates: Value = serde_json::from_str(export.candidate_manifest)
        .map_err(|e| json_syntax(FORMAT, &e).in_file(CANDIDATES))?;
    let mut builder = ElectionBuilder::default();
    let mut by_id: HashMap<String, CandidateIdx> = HashMap::new();
    for (id, name, entry) in manifest(CANDIDATES, &candidates)? {
        if undeclared_write_in == Some(id.as_str()) {
            continue;
        }
        if entry.get("ContestId").and_then(id_text).as_deref() == Some(contest_id) {
            let name = configured
                .iter()
                .find(|(code, _)| *code == id)
                .map_or(name.as_str(), |(_, configured)| configured.as_str());
            by_id.insert(id, builder.candidate(name));
        }
    }
    for (file, text) in &export.exports {
        let doc: Value =
            serde_json::from_str(text).map_err(|e| json_syntax(FORMAT, &e).in_file(file))?;
        read_sessions(
            file,
            &doc,
            contest_id,
            undeclared_write_in,
            &by_id,
            &mut builder,
        )?;
    }
    Ok(builder.finish())
}

fn read_sessions(
    file: &str,
    doc: &Value,
    contest_id: &str,
    undeclared_write_in: Option<&str>,
    by_id: &HashMap<String, CandidateIdx>,
    builder: &mut ElectionBuilder,
) -> Result<(), ReadError> {
    let sessions = doc
        .get("Sessions")
        .and_then(Value::as_array)
        .ok_or_else(|| err(file, "$".into(), "expected a \"Sessions\" array"))?;
    let mut marks: Vec<(u32, CandidateIdx)> = Vec::new();
    for (s, session) in sessions.iter().enumerate() {
        let spath = format!("$.Sessions[{s}]");
        let original = session
            .get("Original")
            .ok_or_else(|| err(file, spath.clone(), "expected an \"Original\" record"))?;
        let current = original.get("IsCurrent").and_then(Value::as_bool) != Some(false);
        let (record, rpath) = if current {
            (original, format!("{spath}.Original"))
        } else {
            match session.get("Modified") {
                Some(m) => (m, format!("{spath}.Modified")),
                None => continue,
            }
        };
        let cards: Vec<(&Value, String)> = match record.get("Cards").and_then(Value::as_array) {
            Some(cards) => cards
                .iter()
                .enumerate()
                .map(|(c, card)| (card, format!("{rpath}.Cards[{c}]")))
                .collect(),
            None => vec![(record, rpath)],
        };
        for (card, cpath) in cards {
            let Some(contests) = card.get("Contests").and_then(Value::as_array) else {
                continue;
            };
            for (k, contest) in contests.iter().enumerate() {
                if contest.get("Id").and_then(id_text).as_deref() != Some(contest_id) {
                    continue;
                }
                let kpath = format!("{cpath}.Contests[{k}]");
                marks.clear();
                read_marks(
                    file,
                    contest,
                    &kpath,
                    undeclared_write_in,
                    by_id,
                    builder,
                    &mut marks,
                )?;
                builder.add_marks(&marks);
            }
        }
    }
    Ok(())
}

fn read_marks(
    file: &str,
    contest: &Value,
    kpath: &str,
    undeclared_write_in: Option<&str>,
    by_id: &HashMap<String, CandidateIdx>,
    builder: &mut ElectionBuilder,
    marks: &mut Vec<(u32, CandidateIdx)>,
) -> Result<(), ReadError> {
    let Some(list) = contest.get("Marks").and_then(Value::as_array) else {
        return Ok(());
    };
    for (m, mark) in list.iter().enumerate() {
        let mpath = format!("{kpath}.Marks[{m}]");
        if mark.get("IsAmbiguous").and_then(Value::as_bool) == Some(true) {
            continue;
        }
        let id = mark
            .get("CandidateId")
            .and_then(id_text)
            .ok_or_else(|| err(file, mpath.clone(), "expected a \"CandidateId\""))?;
        let rank = mark
            .get("Rank")
            .and_then(Value::as_u64)
            .filter(|r| (1..=u64::from(MAX_RANK)).contains(r))
            .ok_or_else(|| {
                err(
                    file,
                    mpath.clone(),
                    format!("expected a \"Rank\" from 1 to {MAX_RANK}"),
                )
            })? as u32;
        let candidate = if undeclared_write_in == Some(id.as_str()) {
            builder.candidate(UNDECLARED_WRITE_INS)
        } else {
            *by_id.get(&id).ok_or_else(|| {
                err(
                    file,
                    format!("{mpath}.CandidateId"),
                    format!(
                        "expected a candidate of the contest in CandidateManifest.json, found {id}"
                    ),
                )
            })?
        };
        marks.push((rank, candidate));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const CANDIDATES: &str = r#"{"Version": "5.10", "List": [
        {"Description": "Alice", "Id": 1, "ExternalId": null, "ContestId": 7, "Type": "Regular"},
        {"Description": "Bob", "Id": 2, "ContestId": 7, "Type": "Regular"},
        {"Description": "Write-in", "Id": 3, "ContestId": 7, "Type": "WriteIn"},
        {"Description": "Other", "Id": 4, "ContestId": 8, "Type": "Regular"}]}"#;
    const CONTESTS: &str = r#"{"List": [{"Description": "Mayor", "Id": 7, "VoteFor": 1, "NumOfRanks": 3},
        {"Description": "Clerk", "Id": 8, "VoteFor": 1, "NumOfRanks": 0}]}"#;
    const CVR: &str = r#"{"Version": "5.10", "ElectionId": "E", "Sessions": [
      {"TabulatorId": 1, "BatchId": 1, "RecordId": 1,
       "Original": {"IsCurrent": true, "BallotTypeId": 1, "Cards": [{"Id": 1, "Contests": [
         {"Id": 7, "Marks": [{"CandidateId": 2, "Rank": 1, "IsAmbiguous": false},
                              {"CandidateId": 1, "Rank": 2, "IsAmbiguous": false}]},
         {"Id": 8, "Marks": [{"CandidateId": 4, "Rank": 1, "IsAmbiguous": false}]}]}]}},
      {"TabulatorId": 1, "BatchId": 1, "RecordId": 2,
       "Original": {"IsCurrent": false, "BallotTypeId": 1, "Contests": [
         {"Id": 7, "Marks": [{"CandidateId": 1, "Rank": 1, "IsAmbiguous": false}]}]},
       "Modified": {"IsCurrent": true, "BallotTypeId": 1, "Contests": [
         {"Id": 7, "Marks": [{"CandidateId": 3, "Rank": 1, "IsAmbiguous": false},
                              {"CandidateId": 2, "Rank": 2, "IsAmbiguous": true}]}]}},
      {"TabulatorId": 1, "BatchId": 1, "RecordId": 3,
       "Original": {"IsCurrent": true, "BallotTypeId": 1, "Contests": [
         {"Id": 7, "Marks": [{"CandidateId": 1, "Rank": 1, "IsAmbiguous": false},
                              {"CandidateId": 2, "Rank": 1, "IsAmbiguous": false}]}]}}]}"#;

    #[test]
    fn reads_current_adjudicated_and_overvoted_records_of_one_contest() {
        let export = DominionExport {
            candidate_manifest: CANDIDATES,
            contest_manifest: CONTESTS,
            exports: vec![("CvrExport.json".to_owned(), CVR)],
        };
        let e = read_dominion(&export, "7", Some("3"), &[]).unwrap();
        assert_eq!(e.candidates, ["Alice", "Bob", UNDECLARED_WRITE_INS]);
        let ranks: Vec<&Vec<Vec<CandidateIdx>>> = e.ballots.iter().map(|b| &b.ranks).collect();
        assert_eq!(
            ranks,
            [&vec![vec![1], vec![0]], &vec![vec![2]], &vec![vec![0, 1]]]
        );
    }

    #[test]
    fn configured_codes_name_candidates_as_rctab_does() {
        let export = DominionExport {
            candidate_manifest: CANDIDATES,
            contest_manifest: CONTESTS,
            exports: vec![("CvrExport.json".to_owned(), CVR)],
        };
        // "2" is an alias of "Robert" (RCTab 1.3 aliases, or a 1.x code);
        // Alice is named by her Description, which the configuration uses.
        let configured = [
            ("Robert".to_owned(), "Robert".to_owned()),
            ("2".to_owned(), "Robert".to_owned()),
            ("Alice".to_owned(), "Alice".to_owned()),
        ];
        let e = read_dominion(&export, "7", Some("3"), &configured).unwrap();
        assert_eq!(e.candidates, ["Alice", "Robert", UNDECLARED_WRITE_INS]);
        assert_eq!(e.ballots[0].ranks, vec![vec![1], vec![0]]);
    }

    #[test]
    fn unknown_contests_and_candidates_are_errors_naming_the_place() {
        let export = DominionExport {
            candidate_manifest: CANDIDATES,
            contest_manifest: CONTESTS,
            exports: vec![("CvrExport_1.json".to_owned(), CVR)],
        };
        let e = read_dominion(&export, "9", None, &[])
            .unwrap_err()
            .to_string();
        assert!(e.contains("\"9\""), "{e}");
        let stray = r#"{"Sessions": [{"TabulatorId": 1, "BatchId": 1, "RecordId": 1,
            "Original": {"IsCurrent": true, "Contests": [
              {"Id": 7, "Marks": [{"CandidateId": 4, "Rank": 1, "IsAmbiguous": false}]}]}}]}"#;
        let export = DominionExport {
            exports: vec![("CvrExport_1.json".to_owned(), stray)],
            ..export
        };
        let e = read_dominion(&export, "7", None, &[])
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("CvrExport_1.json") && e.contains("Marks[0].CandidateId") && e.contains("4"),
            "{e}"
        );
    }
}
