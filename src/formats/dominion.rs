//! Dominion Democracy Suite cast vote record exports, as RCTab's `dominion`
//! provider reads them (`DominionCvrReader`): a folder holding
//! `CandidateManifest.json` and `ContestManifest.json` (each `{"List": [{"Id",
//! "Description", ...}]}`, candidates with their `ContestId`) and the records,
//! in `CvrExport.json` or in `CvrExport_<number>.json` files, read by number
//! (an export may start at any number and skip some).
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
//! `contestId`, except a contest flagged with outstack condition 7,
//! "InvalidContest" (a ballot not entitled to it, not read, as RCTab 2.0
//! skips it); a `Cards` list may be missing (the contests are then on the
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

use serde::de::{IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Deserializer};
use serde_json::Value;

use super::cvr::{ElectionBuilder, MAX_RANK, UNDECLARED_WRITE_INS};
use super::read_error::{json_syntax, Location, ReadError};
use super::stream::{io_error, walk_object, Input, Walked};
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

/// The files of one Dominion export: the manifests as text, the records
/// (large) as inputs read a chunk at a time.
pub struct DominionExport<'a> {
    pub candidate_manifest: &'a str,
    pub contest_manifest: &'a str,
    /// `(file name, input)` of each `CvrExport*.json`, in order.
    pub exports: Vec<(String, Input<'a>)>,
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
    let write_in = undeclared_write_in.map(IdKey::new);
    let by_number: HashMap<u64, CandidateIdx> = by_id
        .iter()
        .filter_map(|(id, &c)| Some((IdKey::new(id).number?, c)))
        .collect();
    let mut reader = Sessions {
        contest: IdKey::new(contest_id),
        write_in,
        by_id: &by_id,
        by_number: &by_number,
        builder: &mut builder,
        marks: Vec::new(),
    };
    for (file, input) in &export.exports {
        reader.read_file(file, *input)?;
    }
    Ok(builder.finish())
}

/// An id as the source gives it (the contest id, the write-in label), with its
/// number when it is one written plainly, so that numeric ids in the records
/// compare without being written out as text ([`id_text`]'s rule: `7` is
/// `"7"`, not `"07"`).
#[derive(Clone, Copy)]
struct IdKey<'a> {
    text: &'a str,
    number: Option<u64>,
}

impl<'a> IdKey<'a> {
    fn new(text: &'a str) -> Self {
        let number = text.parse::<u64>().ok().filter(|n| n.to_string() == text);
        IdKey { text, number }
    }

    fn matches(&self, id: &Scalar) -> bool {
        match id {
            Scalar::Number(n) => self.number == Some(*n),
            Scalar::Text(t) => t == self.text,
            _ => false,
        }
    }
}

/// A JSON scalar where the reader needs one, read leniently as the
/// `serde_json::Value` accessors were: anything else (null, an array, an
/// object) is [`Scalar::Other`] and means "absent".
#[derive(Debug, Default, PartialEq)]
enum Scalar {
    Bool(bool),
    /// A non-negative integer.
    Number(u64),
    /// A string, or any other number as written (`id_text`).
    Text(String),
    #[default]
    Other,
}

impl Scalar {
    /// The id's text ([`id_text`]'s rule), for messages and string ids.
    fn text(&self) -> Option<String> {
        match self {
            Scalar::Number(n) => Some(n.to_string()),
            Scalar::Text(t) => Some(t.clone()),
            _ => None,
        }
    }
}

impl<'de> Deserialize<'de> for Scalar {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Scalar;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a JSON value")
            }
            fn visit_bool<E>(self, b: bool) -> Result<Scalar, E> {
                Ok(Scalar::Bool(b))
            }
            fn visit_u64<E>(self, n: u64) -> Result<Scalar, E> {
                Ok(Scalar::Number(n))
            }
            fn visit_i64<E>(self, n: i64) -> Result<Scalar, E> {
                Ok(Scalar::Text(n.to_string()))
            }
            fn visit_f64<E>(self, n: f64) -> Result<Scalar, E> {
                Ok(serde_json::Number::from_f64(n)
                    .map_or(Scalar::Other, |n| Scalar::Text(n.to_string())))
            }
            fn visit_str<E>(self, s: &str) -> Result<Scalar, E> {
                Ok(Scalar::Text(s.to_owned()))
            }
            fn visit_unit<E>(self) -> Result<Scalar, E> {
                Ok(Scalar::Other)
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Scalar, A::Error> {
                while seq.next_element::<IgnoredAny>()?.is_some() {}
                Ok(Scalar::Other)
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Scalar, A::Error> {
                while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                Ok(Scalar::Other)
            }
        }
        d.deserialize_any(V)
    }
}

/// One session as the reader needs it; every other field is skipped unread.
#[derive(Deserialize)]
struct Session {
    #[serde(rename = "Original")]
    original: Option<Record>,
    #[serde(rename = "Modified")]
    modified: Option<Record>,
}

#[derive(Deserialize)]
struct Record {
    #[serde(rename = "IsCurrent", default)]
    is_current: Scalar,
    #[serde(rename = "Cards")]
    cards: Option<Vec<Card>>,
    #[serde(rename = "Contests")]
    contests: Option<Vec<Contest>>,
}

#[derive(Deserialize)]
struct Card {
    #[serde(rename = "Contests")]
    contests: Option<Vec<Contest>>,
}

#[derive(Deserialize)]
struct Contest {
    #[serde(rename = "Id", default)]
    id: Scalar,
    #[serde(rename = "Marks")]
    marks: Option<Vec<Mark>>,
    #[serde(rename = "OutstackConditionIds", default)]
    outstack: Option<Vec<Scalar>>,
}

/// Dominion's outstack condition "InvalidContest": the voter was not
/// entitled to vote in this contest (Alaska's partial-count ballots), so the
/// contest is not read from this ballot. RCTab filters it by this fixed id
/// (BrightSpots/rcv#909, PR #910, in RCTab 2.0; its `2024_alaska_dominion`
/// case counts 124 of 197 sessions so).
const INVALID_CONTEST: u64 = 7;

#[derive(Deserialize)]
struct Mark {
    #[serde(rename = "CandidateId", default)]
    candidate_id: Scalar,
    #[serde(rename = "Rank", default)]
    rank: Scalar,
    #[serde(rename = "IsAmbiguous", default)]
    is_ambiguous: Scalar,
}

/// Reads the `Sessions` of export files one session at a time: a million
/// sessions are never held at once, and only the fields above are built.
struct Sessions<'r> {
    contest: IdKey<'r>,
    write_in: Option<IdKey<'r>>,
    by_id: &'r HashMap<String, CandidateIdx>,
    /// The candidates whose manifest id is a plain number, by that number.
    by_number: &'r HashMap<u64, CandidateIdx>,
    builder: &'r mut ElectionBuilder,
    marks: Vec<(u32, CandidateIdx)>,
}

impl Sessions<'_> {
    /// Reads one export file, a session at a time.
    fn read_file(&mut self, file: &str, input: Input<'_>) -> Result<(), ReadError> {
        let source = input
            .open()
            .map_err(|e| io_error(FORMAT, &e).in_file(file))?;
        let walked = walk_object(
            FORMAT,
            source,
            "Sessions",
            &mut |key, piece| {
                piece.parse::<IgnoredAny>(FORMAT)?;
                if key == "Sessions" && piece.bytes[0] != b'[' {
                    return Err(err(file, "$.Sessions".into(), "expected an array"));
                }
                Ok(())
            },
            &mut |s, piece| {
                let session: Session = piece.parse(FORMAT)?;
                self.add(file, s, &session)
            },
        )
        .map_err(|e| if e.file.is_none() { e.in_file(file) } else { e })?;
        match walked {
            Walked::Object { streamed: true } => Ok(()),
            Walked::NotAnObject => Err(err(file, "$".into(), "expected a CVR export object")),
            Walked::Object { streamed: false } => {
                Err(err(file, "$".into(), "expected a \"Sessions\" array"))
            }
        }
    }

    /// Adds session `s` of `file`; errors name its JSON path.
    fn add(&mut self, file: &str, s: usize, session: &Session) -> Result<(), ReadError> {
        let spath = || format!("$.Sessions[{s}]");
        let original = session
            .original
            .as_ref()
            .ok_or_else(|| err(file, spath(), "expected an \"Original\" record"))?;
        let (record, which) = if original.is_current != Scalar::Bool(false) {
            (original, "Original")
        } else {
            match &session.modified {
                Some(m) => (m, "Modified"),
                None => return Ok(()),
            }
        };
        let cards: Vec<(Option<&Vec<Contest>>, Option<usize>)> = match &record.cards {
            Some(cards) => cards
                .iter()
                .enumerate()
                .map(|(c, card)| (card.contests.as_ref(), Some(c)))
                .collect(),
            None => vec![(record.contests.as_ref(), None)],
        };
        for (contests, c) in cards {
            let Some(contests) = contests else { continue };
            for (k, contest) in contests.iter().enumerate() {
                if !self.contest.matches(&contest.id) {
                    continue;
                }
                let invalid = |s: &Scalar| match s {
                    Scalar::Number(n) => *n == INVALID_CONTEST,
                    Scalar::Text(t) => t.trim() == INVALID_CONTEST.to_string(),
                    _ => false,
                };
                if contest.outstack.iter().flatten().any(invalid) {
                    continue;
                }
                let kpath = || {
                    let card = c.map_or(String::new(), |c| format!(".Cards[{c}]"));
                    format!("{}.{which}{card}.Contests[{k}]", spath())
                };
                self.marks.clear();
                for (m, mark) in contest.marks.iter().flatten().enumerate() {
                    let mpath = || format!("{}.Marks[{m}]", kpath());
                    if mark.is_ambiguous == Scalar::Bool(true) {
                        continue;
                    }
                    if matches!(mark.candidate_id, Scalar::Bool(_) | Scalar::Other) {
                        return Err(err(file, mpath(), "expected a \"CandidateId\""));
                    }
                    let rank = match mark.rank {
                        Scalar::Number(r) if (1..=u64::from(MAX_RANK)).contains(&r) => r as u32,
                        _ => {
                            return Err(err(
                                file,
                                mpath(),
                                format!("expected a \"Rank\" from 1 to {MAX_RANK}"),
                            ))
                        }
                    };
                    let candidate = self.candidate(&mark.candidate_id).ok_or_else(|| {
                        err(
                            file,
                            format!("{}.CandidateId", mpath()),
                            format!(
                                "expected a candidate of the contest in CandidateManifest.json, found {}",
                                mark.candidate_id.text().unwrap_or_default()
                            ),
                        )
                    })?;
                    self.marks.push((rank, candidate));
                }
                self.builder.add_marks(&self.marks);
            }
        }
        Ok(())
    }

    /// The candidate a mark's `CandidateId` names, if any.
    fn candidate(&mut self, id: &Scalar) -> Option<CandidateIdx> {
        if self.write_in.is_some_and(|w| w.matches(id)) {
            return Some(self.builder.candidate(UNDECLARED_WRITE_INS));
        }
        match id {
            Scalar::Number(n) => self.by_number.get(n).copied(),
            Scalar::Text(t) => self.by_id.get(t).copied(),
            _ => None,
        }
    }
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
            exports: vec![("CvrExport.json".to_owned(), Input::text(CVR))],
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
    fn a_contest_flagged_invalid_is_not_read_from_that_ballot() {
        // Record 1's Mayor contest carries outstack condition 7
        // ("InvalidContest"): that ballot is not one of the contest's.
        let flagged = CVR.replacen(
            r#"{"Id": 7, "Marks": [{"CandidateId": 2"#,
            r#"{"Id": 7, "OutstackConditionIds": [7], "Marks": [{"CandidateId": 2"#,
            1,
        );
        let export = DominionExport {
            candidate_manifest: CANDIDATES,
            contest_manifest: CONTESTS,
            exports: vec![("CvrExport.json".to_owned(), Input::text(&flagged))],
        };
        let e = read_dominion(&export, "7", Some("3"), &[]).unwrap();
        let total: u64 = e.ballots.iter().map(|b| b.count).sum();
        assert_eq!(total, 2);
        // Other outstack conditions (14, "UnusedRanking") change nothing.
        let other = CVR.replacen(
            r#"{"Id": 7, "Marks": [{"CandidateId": 2"#,
            r#"{"Id": 7, "OutstackConditionIds": [14], "Marks": [{"CandidateId": 2"#,
            1,
        );
        let export = DominionExport {
            exports: vec![("CvrExport.json".to_owned(), Input::text(&other))],
            ..export
        };
        let e = read_dominion(&export, "7", Some("3"), &[]).unwrap();
        assert_eq!(e.ballots.iter().map(|b| b.count).sum::<u64>(), 3);
    }

    #[test]
    fn configured_codes_name_candidates_as_rctab_does() {
        let export = DominionExport {
            candidate_manifest: CANDIDATES,
            contest_manifest: CONTESTS,
            exports: vec![("CvrExport.json".to_owned(), Input::text(CVR))],
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
            exports: vec![("CvrExport_1.json".to_owned(), Input::text(CVR))],
        };
        let e = read_dominion(&export, "9", None, &[])
            .unwrap_err()
            .to_string();
        assert!(e.contains("\"9\""), "{e}");
        let stray = r#"{"Sessions": [{"TabulatorId": 1, "BatchId": 1, "RecordId": 1,
            "Original": {"IsCurrent": true, "Contests": [
              {"Id": 7, "Marks": [{"CandidateId": 4, "Rank": 1, "IsAmbiguous": false}]}]}}]}"#;
        let export = DominionExport {
            exports: vec![("CvrExport_1.json".to_owned(), Input::text(stray))],
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

    #[test]
    fn ids_match_as_numbers_or_strings_and_errors_keep_their_path() {
        // The manifests give ids as strings, the records as numbers (and the
        // other way round): they match as the text they are written as.
        let candidates = r#"{"List": [{"Description": "Alice", "Id": "1", "ContestId": "7"},
            {"Description": "Bob", "Id": 2, "ContestId": 7}]}"#;
        let records = r#"{"Sessions": [
          {"Original": {"IsCurrent": false, "Cards": []},
           "Modified": {"IsCurrent": true, "Cards": [{"Contests": [{"Id": "7", "Marks": [
             {"CandidateId": 1, "Rank": 2}, {"CandidateId": "2", "Rank": 1}]}]}]}},
          {"Original": {"IsCurrent": true, "Cards": [{"Contests": [{"Id": 7, "Marks": [
             {"CandidateId": 2, "Rank": 1}, {"CandidateId": 1, "Rank": 0}]}]}]}}],
          "ElectionId": "after the sessions"}"#;
        let whole = DominionExport {
            candidate_manifest: candidates,
            contest_manifest: CONTESTS,
            exports: vec![("CvrExport.json".to_owned(), Input::text(records))],
        };
        let e = read_dominion(&whole, "7", None, &[])
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("$.Sessions[1].Original.Cards[0].Contests[0].Marks[1]")
                && e.contains("Rank"),
            "{e}"
        );
        let first = records.replace(", {\"CandidateId\": 1, \"Rank\": 0}", "");
        let ok = DominionExport {
            exports: vec![("CvrExport.json".to_owned(), Input::text(&first))],
            ..whole
        };
        let e = read_dominion(&ok, "7", None, &[]).unwrap();
        assert_eq!(e.candidates, ["Alice", "Bob"]);
        let ranks: Vec<&Vec<Vec<CandidateIdx>>> = e.ballots.iter().map(|b| &b.ranks).collect();
        assert_eq!(ranks, [&vec![vec![1], vec![0]], &vec![vec![1]]]);
        let none = DominionExport {
            exports: vec![(
                "CvrExport.json".to_owned(),
                Input::text(r#"{"Version": "5"}"#),
            )],
            ..ok
        };
        let e = read_dominion(&none, "7", None, &[])
            .unwrap_err()
            .to_string();
        assert!(e.contains("Sessions"), "{e}");
    }
}
