//! NIST SP 1500-103 Common Data Format cast vote records, JSON form
//! (`CVR.CastVoteRecordReport`), as RCTab reads them.
//!
//! Each `CVR` counts through its current snapshot (`CurrentSnapshotId`); in it, the
//! `CVRContest` of the chosen contest lists `CVRContestSelection`s, each naming a
//! `ContestSelection` of the contest and carrying the rank in `Rank` or in its
//! `SelectionPosition`s. Positions with `HasIndication: "no"` or `IsAllocable: "no"`
//! are not marks; a selection that `IsWriteIn` or a position with `CVRWriteIn` is an
//! undeclared write-in. A CVR without the contest does not vote in it (RCTab skips it).

use std::collections::HashMap;

use serde::de::IgnoredAny;
use serde_json::Value;

use super::cvr::{ElectionBuilder, MAX_RANK, UNDECLARED_WRITE_INS};
use super::read_error::{Location, ReadError};
use super::stream::{io_error, walk_object, Input, Walked};
use crate::tally::{CandidateIdx, Election};

const FORMAT: &str = "NIST CDF JSON";

fn err(path: &str, message: impl Into<String>) -> ReadError {
    ReadError::new(FORMAT, Location::JsonPath(path.to_owned()), message)
}

fn array<'a>(value: &'a Value, key: &str, path: &str) -> Result<&'a Vec<Value>, ReadError> {
    match value.get(key) {
        Some(Value::Array(items)) => Ok(items),
        Some(_) => Err(err(&format!("{path}.{key}"), "expected an array")),
        None => Err(err(path, format!("expected a \"{key}\" array"))),
    }
}

fn string<'a>(value: &'a Value, key: &str, path: &str) -> Result<&'a str, ReadError> {
    match value.get(key) {
        Some(Value::String(s)) => Ok(s),
        Some(_) => Err(err(&format!("{path}.{key}"), "expected a string")),
        None => Err(err(path, format!("expected a \"{key}\" string"))),
    }
}

fn rank(value: &Value, path: &str) -> Result<u32, ReadError> {
    let parsed = match value {
        Value::Number(n) => n.as_u64(),
        Value::String(s) => s.trim().parse::<u64>().ok(),
        _ => None,
    };
    match parsed {
        Some(r) if (1..=u64::from(MAX_RANK)).contains(&r) => Ok(r as u32),
        _ => Err(err(
            path,
            format!("expected a rank (a whole number from 1 to {MAX_RANK}), found {value}"),
        )),
    }
}

fn is_no(value: Option<&Value>) -> bool {
    matches!(value, Some(Value::String(s)) if s == "no")
        || matches!(value, Some(Value::Bool(false)))
}

fn is_true(value: Option<&Value>) -> bool {
    matches!(value, Some(Value::String(s)) if s == "true")
        || matches!(value, Some(Value::Bool(true)))
}

/// Reads a CDF JSON cast vote record report.
///
/// `contest` is the contest's `Name` (RCTab's `contestId`) or `@id`; it may be
/// omitted when the report has exactly one contest. Candidates come in the order of
/// the contest's selections, with [`UNDECLARED_WRITE_INS`] last if anyone wrote one in.
pub fn read_cdf_json(input: &str, contest: Option<&str>) -> Result<Election, ReadError> {
    read_cdf_json_input(Input::text(input), contest)
}

/// [`read_cdf_json`] from an [`Input`] (a file is read twice, a chunk at a
/// time, never whole).
pub fn read_cdf_json_input(input: Input<'_>, contest: Option<&str>) -> Result<Election, ReadError> {
    // Two passes, so that a million CVRs are never held at once: the first
    // checks every member but the CVRs' and keeps only the `Election`s (which
    // may come after the CVRs, as in the schema's order); the second parses
    // one `CVR` at a time and adds it.
    let open = || input.open().map_err(|e| io_error(FORMAT, &e));
    let mut elections: Option<Value> = None;
    let walked = walk_object(
        FORMAT,
        open()?,
        "CVR",
        &mut |key, piece| {
            if key == "CVR" && piece.bytes[0] != b'[' {
                piece.parse::<IgnoredAny>(FORMAT)?;
                return Err(err("$.CVR", "expected an array"));
            }
            if key == "Election" && elections.is_none() {
                elections = Some(piece.parse(FORMAT)?);
            } else {
                piece.parse::<IgnoredAny>(FORMAT)?;
            }
            Ok(())
        },
        &mut |_, _| Ok(()),
    )?;
    match walked {
        Walked::NotAnObject => return Err(err("$", "expected a CastVoteRecordReport object")),
        Walked::Object { streamed: false } => return Err(err("$", "expected a \"CVR\" array")),
        Walked::Object { streamed: true } => {}
    }
    let mut doc = serde_json::Map::new();
    if let Some(elections) = elections {
        doc.insert("Election".to_owned(), elections);
    }
    let doc = Value::Object(doc);
    let mut builder = ElectionBuilder::default();
    let chosen = ChosenContest::find(&doc, contest, &mut builder)?;
    let mut marks = Vec::new();
    walk_object(
        FORMAT,
        open()?,
        "CVR",
        &mut |_, _| Ok(()),
        &mut |i, piece| {
            let cvr: Value = piece.parse(FORMAT)?;
            chosen.add_cvr(&cvr, &format!("$.CVR[{i}]"), &mut builder, &mut marks)
        },
    )?;
    Ok(builder.finish())
}

/// The contest being counted: its `@id` and its selections.
pub(super) struct ChosenContest<'a> {
    id: &'a str,
    selections: Selections<'a>,
}

impl<'a> ChosenContest<'a> {
    /// Finds the contest named `contest` (or the only one) among the `Election`s
    /// of `doc`, adding its candidates to `builder` in order.
    pub(super) fn find(
        doc: &'a Value,
        contest: Option<&str>,
        builder: &mut ElectionBuilder,
    ) -> Result<Self, ReadError> {
        let (candidate_names, contests) = candidates_and_contests(doc)?;
        let (contest_value, contest_path) = choose_contest(&contests, contest)?;
        let id = string(contest_value, "@id", contest_path)?;
        let selections = Selections::read(contest_value, contest_path, &candidate_names, builder)?;
        Ok(ChosenContest { id, selections })
    }

    /// Adds one `CVR` (at JSON path `path`) as a ballot, unless it does not vote
    /// in the contest. `marks` is scratch space.
    pub(super) fn add_cvr(
        &self,
        cvr: &Value,
        path: &str,
        builder: &mut ElectionBuilder,
        marks: &mut Vec<(u32, CandidateIdx)>,
    ) -> Result<(), ReadError> {
        let Some((cvr_contest, kpath)) = cvr_contest(cvr, path, self.id)? else {
            return Ok(());
        };
        marks.clear();
        self.selections
            .read_marks(cvr_contest, &kpath, self.id, builder, marks)?;
        builder.add_marks(marks);
        Ok(())
    }
}

/// The candidates of every election (`@id` → `Name`) and every contest with its
/// JSON path.
#[allow(clippy::type_complexity)]
fn candidates_and_contests(
    doc: &Value,
) -> Result<(HashMap<&str, &str>, Vec<(&Value, String)>), ReadError> {
    let mut candidate_names: HashMap<&str, &str> = HashMap::new();
    let mut contests: Vec<(&Value, String)> = Vec::new();
    for (e, election) in array(doc, "Election", "$")?.iter().enumerate() {
        let epath = format!("$.Election[{e}]");
        if let Some(cands) = election.get("Candidate") {
            let cands = cands
                .as_array()
                .ok_or_else(|| err(&format!("{epath}.Candidate"), "expected an array"))?;
            for (c, cand) in cands.iter().enumerate() {
                let cpath = format!("{epath}.Candidate[{c}]");
                let id = string(cand, "@id", &cpath)?;
                let name = string(cand, "Name", &cpath)?;
                if candidate_names.insert(id, name).is_some() {
                    return Err(err(&cpath, format!("candidate @id \"{id}\" appears twice")));
                }
            }
        }
        for (c, con) in array(election, "Contest", &epath)?.iter().enumerate() {
            contests.push((con, format!("{epath}.Contest[{c}]")));
        }
    }
    Ok((candidate_names, contests))
}

/// The contest named `wanted` (by `Name` or `@id`), or the only one.
fn choose_contest<'d, 'c>(
    contests: &'c [(&'d Value, String)],
    wanted: Option<&str>,
) -> Result<(&'d Value, &'c str), ReadError> {
    let names = |cs: &[(&Value, String)]| -> Vec<String> {
        cs.iter()
            .filter_map(|(c, _)| c.get("Name").and_then(Value::as_str))
            .map(str::to_owned)
            .collect()
    };
    let found = match wanted {
        Some(wanted) => contests
            .iter()
            .find(|(c, _)| {
                c.get("Name").and_then(Value::as_str) == Some(wanted)
                    || c.get("@id").and_then(Value::as_str) == Some(wanted)
            })
            .ok_or_else(|| {
                err(
                    "$.Election",
                    format!(
                        "expected a contest named \"{wanted}\"; the report has {:?}",
                        names(contests)
                    ),
                )
            })?,
        None => match contests {
            [one] => one,
            [] => return Err(err("$.Election", "expected at least one Contest")),
            many => {
                return Err(err(
                    "$.Election",
                    format!(
                        "the report has several contests {:?}: name the one to count",
                        names(many)
                    ),
                ));
            }
        },
    };
    Ok((found.0, &found.1))
}

/// The `CVRContest` for `contest_id` in a CVR's current snapshot, with its JSON
/// path; `None` when the CVR does not vote in the contest.
fn cvr_contest<'a>(
    cvr: &'a Value,
    path: &str,
    contest_id: &str,
) -> Result<Option<(&'a Value, String)>, ReadError> {
    let snapshots = array(cvr, "CVRSnapshot", path)?;
    let current = match cvr.get("CurrentSnapshotId").and_then(Value::as_str) {
        Some(id) => snapshots
            .iter()
            .position(|s| s.get("@id").and_then(Value::as_str) == Some(id))
            .ok_or_else(|| {
                err(
                    path,
                    format!("expected a CVRSnapshot with @id \"{id}\" (CurrentSnapshotId)"),
                )
            })?,
        None if snapshots.len() == 1 => 0,
        None => {
            return Err(err(
                path,
                "expected a CurrentSnapshotId naming one of several snapshots",
            ))
        }
    };
    let spath = format!("{path}.CVRSnapshot[{current}]");
    let Some(cvr_contests) = snapshots[current].get("CVRContest") else {
        return Ok(None);
    };
    let cvr_contests = cvr_contests
        .as_array()
        .ok_or_else(|| err(&format!("{spath}.CVRContest"), "expected an array"))?;
    Ok(cvr_contests
        .iter()
        .enumerate()
        .find(|(_, c)| c.get("ContestId").and_then(Value::as_str) == Some(contest_id))
        .map(|(k, c)| (c, format!("{spath}.CVRContest[{k}]"))))
}

/// The contest's selections: declared ones as candidate numbers, and the
/// write-in selections.
struct Selections<'a> {
    declared: HashMap<&'a str, CandidateIdx>,
    write_ins: Vec<&'a str>,
}

impl<'a> Selections<'a> {
    /// Reads the contest's `ContestSelection`s, adding their candidates to
    /// `builder` in order.
    fn read(
        contest: &'a Value,
        contest_path: &str,
        candidate_names: &HashMap<&str, &str>,
        builder: &mut ElectionBuilder,
    ) -> Result<Self, ReadError> {
        let mut declared: HashMap<&str, CandidateIdx> = HashMap::new();
        let mut write_ins: Vec<&str> = Vec::new();
        for (s, sel) in array(contest, "ContestSelection", contest_path)?
            .iter()
            .enumerate()
        {
            let spath = format!("{contest_path}.ContestSelection[{s}]");
            let id = string(sel, "@id", &spath)?;
            if is_true(sel.get("IsWriteIn")) {
                write_ins.push(id);
                continue;
            }
            let cand_ids = array(sel, "CandidateIds", &spath)?;
            let first = cand_ids.first().and_then(Value::as_str).ok_or_else(|| {
                err(
                    &format!("{spath}.CandidateIds"),
                    "expected at least one candidate @id",
                )
            })?;
            let name = candidate_names.get(first).ok_or_else(|| {
                err(
                    &format!("{spath}.CandidateIds[0]"),
                    format!("expected the @id of a Candidate, found \"{first}\""),
                )
            })?;
            let idx = builder.candidate(name);
            if declared.insert(id, idx).is_some() {
                return Err(err(
                    &spath,
                    format!("contest selection @id \"{id}\" appears twice"),
                ));
            }
        }
        Ok(Selections {
            declared,
            write_ins,
        })
    }

    /// Appends the (rank, candidate) marks of one CVR's contest to `marks`.
    fn read_marks(
        &self,
        cvr_contest: &Value,
        kpath: &str,
        contest_id: &str,
        builder: &mut ElectionBuilder,
        marks: &mut Vec<(u32, CandidateIdx)>,
    ) -> Result<(), ReadError> {
        let Some(selections) = cvr_contest.get("CVRContestSelection") else {
            return Ok(());
        };
        let selections = selections
            .as_array()
            .ok_or_else(|| err(&format!("{kpath}.CVRContestSelection"), "expected an array"))?;
        for (j, sel) in selections.iter().enumerate() {
            let jpath = format!("{kpath}.CVRContestSelection[{j}]");
            if sel.get("Status").and_then(Value::as_str) == Some("needs-adjudication") {
                continue;
            }
            let sel_id = string(sel, "ContestSelectionId", &jpath)?;
            let declared = self.declared.get(sel_id).copied();
            if declared.is_none() && !self.write_ins.contains(&sel_id) {
                return Err(err(
                    &format!("{jpath}.ContestSelectionId"),
                    format!("expected a ContestSelection of contest \"{contest_id}\", found \"{sel_id}\""),
                ));
            }
            selection_marks(sel, &jpath, declared, builder, marks)?;
        }
        Ok(())
    }
}

/// The marks of one `CVRContestSelection`: its `Rank`, or each indicated and
/// allocable `SelectionPosition`'s. A write-in goes to [`UNDECLARED_WRITE_INS`].
fn selection_marks(
    sel: &Value,
    jpath: &str,
    declared: Option<CandidateIdx>,
    builder: &mut ElectionBuilder,
    marks: &mut Vec<(u32, CandidateIdx)>,
) -> Result<(), ReadError> {
    if let Some(r) = sel.get("Rank") {
        let r = rank(r, &format!("{jpath}.Rank"))?;
        let c = match declared {
            Some(c) => c,
            None => builder.candidate(UNDECLARED_WRITE_INS),
        };
        marks.push((r, c));
        return Ok(());
    }
    for (p, pos) in array(sel, "SelectionPosition", jpath)?.iter().enumerate() {
        let ppath = format!("{jpath}.SelectionPosition[{p}]");
        if is_no(pos.get("HasIndication")) || is_no(pos.get("IsAllocable")) {
            continue;
        }
        let r = pos
            .get("Rank")
            .ok_or_else(|| err(&ppath, "expected a Rank"))
            .and_then(|r| rank(r, &format!("{ppath}.Rank")))?;
        let c = match declared {
            Some(c) if pos.get("CVRWriteIn").is_none() => c,
            _ => builder.candidate(UNDECLARED_WRITE_INS),
        };
        marks.push((r, c));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const REPORT: &str = r#"{"Election": [{"@id": "e", "Candidate": [{"@id": "ca", "Name": "Ann"}, {"@id": "cb", "Name": "Ben"}],
      "Contest": [{"@id": "k", "Name": "Mayor", "ContestSelection": [{"@id": "sa", "CandidateIds": ["ca"]}, {"@id": "sb", "CandidateIds": ["cb"]}, {"@id": "sw", "IsWriteIn": true}]}]}],
      "CVR": [{"CurrentSnapshotId": "s1", "CVRSnapshot": [{"@id": "s1", "CVRContest": [{"ContestId": "k", "CVRContestSelection": [
         {"ContestSelectionId": "sb", "SelectionPosition": [{"HasIndication": "yes", "IsAllocable": "yes", "Rank": 1}]},
         {"ContestSelectionId": "sa", "SelectionPosition": [{"HasIndication": "yes", "IsAllocable": "no", "Rank": 2}]},
         {"ContestSelectionId": "sw", "SelectionPosition": [{"Rank": 3}]}]}]}]}]}"#;

    #[test]
    fn reads_current_snapshot_ranks_and_write_ins() {
        let e = read_cdf_json(REPORT, None).unwrap();
        assert_eq!(e.candidates, ["Ann", "Ben", UNDECLARED_WRITE_INS]);
        assert_eq!(e.ballots[0].ranks, vec![vec![1], vec![], vec![2]]);
    }

    #[test]
    fn errors_give_the_json_path() {
        let bad = REPORT.replace("\"Rank\": 3", "\"Rank\": \"third\"");
        let err = read_cdf_json(&bad, None).unwrap_err();
        assert!(
            matches!(&err.location, Location::JsonPath(p) if p.ends_with("SelectionPosition[0].Rank")),
            "{err}"
        );
        let err = read_cdf_json(REPORT, Some("Council")).unwrap_err();
        assert!(err.to_string().contains("Mayor"), "{err}");
        let err = read_cdf_json("{\"CVR\": [", None).unwrap_err();
        assert_eq!(err.line(), Some(1));
    }

    #[test]
    fn truncated_input_never_panics() {
        for end in 0..REPORT.len() {
            if REPORT.is_char_boundary(end) {
                let _ = read_cdf_json(&REPORT[..end], None);
            }
        }
    }

    #[test]
    fn cvrs_stream_before_or_after_the_election_and_the_cvr_list_is_checked() {
        // The schema's order puts `Election` after `CVR`.
        let cvr_at = REPORT.find("\"CVR\"").unwrap();
        let election = REPORT[1..cvr_at].trim().trim_end_matches(',');
        let cvrs = REPORT[cvr_at..REPORT.len() - 1].trim();
        let swapped = format!("{{{cvrs}, {election}}}");
        assert_eq!(
            read_cdf_json(&swapped, None).unwrap(),
            read_cdf_json(REPORT, None).unwrap()
        );
        let no_cvr = format!("{{{election}}}");
        let e = read_cdf_json(&no_cvr, None).unwrap_err();
        assert!(e.to_string().contains("\"CVR\" array"), "{e}");
        let not_list = format!("{{{election}, \"CVR\": {{}}}}");
        let e = read_cdf_json(&not_list, None).unwrap_err();
        assert!(
            matches!(&e.location, Location::JsonPath(p) if p == "$.CVR"),
            "{e}"
        );
        let e = read_cdf_json("[1]", None).unwrap_err();
        assert!(e.to_string().contains("CastVoteRecordReport"), "{e}");
    }
}
