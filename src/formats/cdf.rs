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

use std::borrow::Cow;

use serde::de::{IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Deserializer};
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
            let cvr: Cvr = piece.parse(FORMAT)?;
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
        cvr: &Cvr<'_>,
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
) -> Result<(HashMap<&str, Option<&str>>, Vec<(&Value, String)>), ReadError> {
    // A Candidate may have no Name: exports list write-in candidates so
    // (Unisyn's `<Candidate ObjectId="WI_312"/>`, RCTab's
    // `unisyn_xml_cdf_*` cases). Only a selection that is not a write-in
    // needs its candidate's name.
    let mut candidate_names: HashMap<&str, Option<&str>> = HashMap::new();
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
                let name = match cand.get("Name") {
                    None => None,
                    Some(_) => Some(string(cand, "Name", &cpath)?),
                };
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
fn cvr_contest<'c, 'a>(
    cvr: &'c Cvr<'a>,
    path: &str,
    contest_id: &str,
) -> Result<Option<(&'c CvrContest<'a>, String)>, ReadError> {
    let snapshots = cvr.snapshots.items("CVRSnapshot", path)?;
    let current = match cvr.current.as_str() {
        Some(id) => snapshots
            .iter()
            .position(|s| s.id.as_str() == Some(id))
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
    let cvr_contests = match &snapshots[current].contests {
        List::Missing => return Ok(None),
        list => list.items("CVRContest", &spath)?,
    };
    Ok(cvr_contests
        .iter()
        .enumerate()
        .find(|(_, c)| c.contest_id.as_str() == Some(contest_id))
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
        candidate_names: &HashMap<&str, Option<&str>>,
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
            let name = match candidate_names.get(first) {
                Some(Some(name)) => *name,
                Some(None) => {
                    return Err(err(
                        &format!("{spath}.CandidateIds[0]"),
                        format!(
                            "the Candidate \"{first}\" has no Name, and this selection \
                             is not a write-in (IsWriteIn)"
                        ),
                    ))
                }
                None => {
                    return Err(err(
                        &format!("{spath}.CandidateIds[0]"),
                        format!("expected the @id of a Candidate, found \"{first}\""),
                    ))
                }
            };
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
        cvr_contest: &CvrContest<'_>,
        kpath: &str,
        contest_id: &str,
        builder: &mut ElectionBuilder,
        marks: &mut Vec<(u32, CandidateIdx)>,
    ) -> Result<(), ReadError> {
        let selections = match &cvr_contest.selections {
            List::Missing => return Ok(()),
            list => list.items("CVRContestSelection", kpath)?,
        };
        for (j, sel) in selections.iter().enumerate() {
            let jpath = || format!("{kpath}.CVRContestSelection[{j}]");
            if sel.status.as_str() == Some("needs-adjudication") {
                continue;
            }
            let sel_id = sel.selection_id.string("ContestSelectionId", &jpath)?;
            let declared = self.declared.get(sel_id).copied();
            if declared.is_none() && !self.write_ins.contains(&sel_id) {
                return Err(err(
                    &format!("{}.ContestSelectionId", jpath()),
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
    sel: &CvrSelection<'_>,
    jpath: &dyn Fn() -> String,
    declared: Option<CandidateIdx>,
    builder: &mut ElectionBuilder,
    marks: &mut Vec<(u32, CandidateIdx)>,
) -> Result<(), ReadError> {
    if sel.rank != Scalar::Missing {
        let r = sel.rank.rank(&|| format!("{}.Rank", jpath()))?;
        let c = match declared {
            Some(c) => c,
            None => builder.candidate(UNDECLARED_WRITE_INS),
        };
        marks.push((r, c));
        return Ok(());
    }
    let positions = sel.positions.items("SelectionPosition", &jpath())?;
    for (p, pos) in positions.iter().enumerate() {
        let ppath = || format!("{}.SelectionPosition[{p}]", jpath());
        if pos.has_indication.is_no() || pos.is_allocable.is_no() {
            continue;
        }
        if pos.rank == Scalar::Missing {
            return Err(err(&ppath(), "expected a Rank"));
        }
        let r = pos.rank.rank(&|| format!("{}.Rank", ppath()))?;
        let c = match declared {
            Some(c) if !pos.write_in.0 => c,
            _ => builder.candidate(UNDECLARED_WRITE_INS),
        };
        marks.push((r, c));
    }
    Ok(())
}

/// One `CVR` as the reader needs it, parsed straight from its text (strings
/// borrowed where they have no escapes); every other member is skipped
/// unbuilt. Where a value has another type than the model's, the reader says
/// so at its JSON path, as it does for the report's `Election`s.
#[derive(Debug, Deserialize)]
pub(super) struct Cvr<'a> {
    #[serde(rename = "CurrentSnapshotId", default, borrow)]
    current: Scalar<'a>,
    #[serde(rename = "CVRSnapshot", default, borrow)]
    snapshots: List<Snapshot<'a>>,
}

#[derive(Debug, Deserialize)]
struct Snapshot<'a> {
    #[serde(rename = "@id", default, borrow)]
    id: Scalar<'a>,
    #[serde(rename = "CVRContest", default, borrow)]
    contests: List<CvrContest<'a>>,
}

#[derive(Debug, Deserialize)]
struct CvrContest<'a> {
    #[serde(rename = "ContestId", default, borrow)]
    contest_id: Scalar<'a>,
    #[serde(rename = "CVRContestSelection", default, borrow)]
    selections: List<CvrSelection<'a>>,
}

#[derive(Debug, Deserialize)]
struct CvrSelection<'a> {
    #[serde(rename = "Status", default, borrow)]
    status: Scalar<'a>,
    #[serde(rename = "ContestSelectionId", default, borrow)]
    selection_id: Scalar<'a>,
    #[serde(rename = "Rank", default, borrow)]
    rank: Scalar<'a>,
    #[serde(rename = "SelectionPosition", default, borrow)]
    positions: List<Position<'a>>,
}

#[derive(Debug, Deserialize)]
struct Position<'a> {
    #[serde(rename = "HasIndication", default, borrow)]
    has_indication: Scalar<'a>,
    #[serde(rename = "IsAllocable", default, borrow)]
    is_allocable: Scalar<'a>,
    #[serde(rename = "Rank", default, borrow)]
    rank: Scalar<'a>,
    #[serde(rename = "CVRWriteIn", default)]
    write_in: Present,
}

/// A member that is there, whatever its value (even `null`).
#[derive(Debug, Default)]
struct Present(bool);

impl<'de> Deserialize<'de> for Present {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        IgnoredAny::deserialize(d).map(|_| Present(true))
    }
}

/// A member that should be an array: missing, its elements, or something
/// else (told as "expected an array" at its path).
#[derive(Debug, Default)]
enum List<T> {
    #[default]
    Missing,
    Items(Vec<T>),
    NotAnArray,
}

impl<T> List<T> {
    /// The elements of member `key` of the object at `path`.
    fn items(&self, key: &str, path: &str) -> Result<&[T], ReadError> {
        match self {
            List::Items(items) => Ok(items),
            List::NotAnArray => Err(err(&format!("{path}.{key}"), "expected an array")),
            List::Missing => Err(err(path, format!("expected a \"{key}\" array"))),
        }
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for List<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<T>(std::marker::PhantomData<T>);
        impl<'de, T: Deserialize<'de>> Visitor<'de> for V<T> {
            type Value = List<T>;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("any JSON value")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<List<T>, A::Error> {
                let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(64));
                while let Some(item) = seq.next_element()? {
                    items.push(item);
                }
                Ok(List::Items(items))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<List<T>, A::Error> {
                while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                Ok(List::NotAnArray)
            }
            fn visit_bool<E>(self, _: bool) -> Result<List<T>, E> {
                Ok(List::NotAnArray)
            }
            fn visit_i64<E>(self, _: i64) -> Result<List<T>, E> {
                Ok(List::NotAnArray)
            }
            fn visit_u64<E>(self, _: u64) -> Result<List<T>, E> {
                Ok(List::NotAnArray)
            }
            fn visit_f64<E>(self, _: f64) -> Result<List<T>, E> {
                Ok(List::NotAnArray)
            }
            fn visit_str<E>(self, _: &str) -> Result<List<T>, E> {
                Ok(List::NotAnArray)
            }
            fn visit_unit<E>(self) -> Result<List<T>, E> {
                Ok(List::NotAnArray)
            }
        }
        d.deserialize_any(V(std::marker::PhantomData))
    }
}

/// A member that should be a string, number or boolean, as written.
#[derive(Debug, Default, PartialEq)]
enum Scalar<'a> {
    #[default]
    Missing,
    Str(Cow<'a, str>),
    Number(u64),
    Bool(bool),
    /// Anything else, as JSON text for messages (`-1`, `2.5`, `null`, `{…}`).
    Other(String),
}

impl Scalar<'_> {
    fn as_str(&self) -> Option<&str> {
        match self {
            Scalar::Str(s) => Some(s),
            _ => None,
        }
    }

    /// `"no"` or `false`.
    fn is_no(&self) -> bool {
        matches!(self, Scalar::Str(s) if s == "no") || *self == Scalar::Bool(false)
    }

    /// The string member `key` of the object at `path()`.
    fn string(&self, key: &str, path: &dyn Fn() -> String) -> Result<&str, ReadError> {
        match self {
            Scalar::Str(s) => Ok(s),
            Scalar::Missing => Err(err(&path(), format!("expected a \"{key}\" string"))),
            _ => Err(err(&format!("{}.{key}", path()), "expected a string")),
        }
    }

    /// A rank: a whole number from 1 to [`MAX_RANK`], or such a number as a
    /// string.
    fn rank(&self, path: &dyn Fn() -> String) -> Result<u32, ReadError> {
        let parsed = match self {
            Scalar::Number(n) => Some(*n),
            Scalar::Str(s) => s.trim().parse::<u64>().ok(),
            _ => None,
        };
        match parsed {
            Some(r) if (1..=u64::from(MAX_RANK)).contains(&r) => Ok(r as u32),
            _ => Err(err(
                &path(),
                format!(
                    "expected a rank (a whole number from 1 to {MAX_RANK}), found {}",
                    self.text()
                ),
            )),
        }
    }

    /// The value as JSON text.
    fn text(&self) -> String {
        match self {
            Scalar::Missing => "nothing".to_owned(),
            Scalar::Str(s) => Value::from(&**s).to_string(),
            Scalar::Number(n) => n.to_string(),
            Scalar::Bool(b) => b.to_string(),
            Scalar::Other(text) => text.clone(),
        }
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for Scalar<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<'a>(std::marker::PhantomData<&'a ()>);
        impl<'de: 'a, 'a> Visitor<'de> for V<'a> {
            type Value = Scalar<'a>;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("any JSON value")
            }
            fn visit_borrowed_str<E>(self, s: &'de str) -> Result<Scalar<'a>, E> {
                Ok(Scalar::Str(Cow::Borrowed(s)))
            }
            fn visit_str<E>(self, s: &str) -> Result<Scalar<'a>, E> {
                Ok(Scalar::Str(Cow::Owned(s.to_owned())))
            }
            fn visit_string<E>(self, s: String) -> Result<Scalar<'a>, E> {
                Ok(Scalar::Str(Cow::Owned(s)))
            }
            fn visit_u64<E>(self, n: u64) -> Result<Scalar<'a>, E> {
                Ok(Scalar::Number(n))
            }
            fn visit_i64<E>(self, n: i64) -> Result<Scalar<'a>, E> {
                Ok(match u64::try_from(n) {
                    Ok(n) => Scalar::Number(n),
                    Err(_) => Scalar::Other(n.to_string()),
                })
            }
            fn visit_f64<E>(self, n: f64) -> Result<Scalar<'a>, E> {
                Ok(Scalar::Other(Value::from(n).to_string()))
            }
            fn visit_bool<E>(self, b: bool) -> Result<Scalar<'a>, E> {
                Ok(Scalar::Bool(b))
            }
            fn visit_unit<E>(self) -> Result<Scalar<'a>, E> {
                Ok(Scalar::Other("null".to_owned()))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Scalar<'a>, A::Error> {
                while seq.next_element::<IgnoredAny>()?.is_some() {}
                Ok(Scalar::Other("an array".to_owned()))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Scalar<'a>, A::Error> {
                while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                Ok(Scalar::Other("an object".to_owned()))
            }
        }
        d.deserialize_any(V(std::marker::PhantomData))
    }
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
    fn a_candidate_without_a_name_is_read_only_for_a_write_in() {
        let nameless = REPORT
            .replace(
                r#"{"@id": "cb", "Name": "Ben"}"#,
                r#"{"@id": "cb", "Name": "Ben"}, {"@id": "cw"}"#,
            )
            .replace(
                r#""IsWriteIn": true}"#,
                r#""IsWriteIn": true, "CandidateIds": ["cw"]}"#,
            );
        let e = read_cdf_json(&nameless, None).unwrap();
        assert_eq!(e.candidates, ["Ann", "Ben", UNDECLARED_WRITE_INS]);
        let declared = nameless.replace(r#""CandidateIds": ["cb"]"#, r#""CandidateIds": ["cw"]"#);
        let err = read_cdf_json(&declared, None).unwrap_err();
        assert!(err.to_string().contains("has no Name"), "{err}");
    }

    #[test]
    fn each_member_of_a_cvr_is_read_as_the_model_says_whatever_its_type() {
        let report = |selections: &str| {
            REPORT.replace(
                &REPORT[REPORT.find("\"CVRContestSelection\": [").unwrap()
                    ..REPORT.rfind("]}]}]}]}").unwrap()],
                &format!("\"CVRContestSelection\": [{selections}"),
            )
        };
        let ranks = |selections: &str| {
            read_cdf_json(&report(selections), None).map(|e| e.ballots[0].ranks.clone())
        };
        // A rank as a string; `false` as "no"; a CVRWriteIn even when null;
        // a selection needing adjudication is skipped.
        let ok = ranks(
            r#"{"ContestSelectionId": "sa", "Rank": " 2 "},
               {"ContestSelectionId": "sb", "SelectionPosition": [{"HasIndication": false, "Rank": 1}, {"Rank": 3, "CVRWriteIn": null}]},
               {"ContestSelectionId": "sb", "Status": "needs-adjudication", "Rank": 1}"#,
        )
        .unwrap();
        assert_eq!(ok, vec![vec![], vec![0], vec![2]]);
        // Values of another type are refused at their path.
        for (selections, path, message) in [
            (
                r#"{"ContestSelectionId": "sa", "Rank": -1}"#,
                "$.CVR[0].CVRSnapshot[0].CVRContest[0].CVRContestSelection[0].Rank",
                "found -1",
            ),
            (
                r#"{"ContestSelectionId": "sa", "Rank": null}"#,
                "$.CVR[0].CVRSnapshot[0].CVRContest[0].CVRContestSelection[0].Rank",
                "found null",
            ),
            (
                r#"{"ContestSelectionId": 7, "Rank": 1}"#,
                "$.CVR[0].CVRSnapshot[0].CVRContest[0].CVRContestSelection[0].ContestSelectionId",
                "expected a string",
            ),
            (
                r#"{"ContestSelectionId": "sa", "SelectionPosition": {}}"#,
                "$.CVR[0].CVRSnapshot[0].CVRContest[0].CVRContestSelection[0].SelectionPosition",
                "expected an array",
            ),
            (
                r#"{"ContestSelectionId": "sa", "SelectionPosition": [{"HasIndication": "yes"}]}"#,
                "$.CVR[0].CVRSnapshot[0].CVRContest[0].CVRContestSelection[0].SelectionPosition[0]",
                "expected a Rank",
            ),
        ] {
            let e = ranks(selections).unwrap_err();
            assert_eq!(
                e.location,
                Location::JsonPath(path.to_owned()),
                "{selections}: {e}"
            );
            assert!(e.message.contains(message), "{selections}: {e}");
        }
        let no_snapshots = REPORT.replace("\"CVRSnapshot\": [", "\"CVRSnapshot\": 3, \"x\": [");
        let e = read_cdf_json(&no_snapshots, None).unwrap_err();
        assert_eq!(
            e.location,
            Location::JsonPath("$.CVR[0].CVRSnapshot".to_owned()),
            "{e}"
        );
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
