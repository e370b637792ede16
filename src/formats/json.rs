//! The JSON ballot form:
//!
//! ```json
//! {
//!   "title": "Name the blog",            (optional)
//!   "seats": 1,                          (optional)
//!   "candidates": ["Quill", "Inkwell", "Margins"],
//!   "withdrawn": ["Margins"],            (optional)
//!   "ballots": [
//!     {"ranking": ["Quill", "Inkwell"], "count": 3},
//!     {"ranking": [["Quill", "Inkwell"], [], "Margins"]},
//!     ["Inkwell"]
//!   ]
//! }
//! ```
//!
//! Ranking entries name candidates. An entry may be a list of names (a tie at
//! that rank; `[]` a skipped rank). `count` defaults to 1 and must be a positive
//! integer. A ballot may also be a bare ranking. Other top-level fields (such as
//! `rules`) are ignored by this reader.

use std::collections::HashMap;

use serde::Deserialize;
use serde_json::value::RawValue;
use serde_json::Value;

use super::election_file::ElectionFile;
use super::read_error::ReadError;

use super::group::Grouper;
use crate::tally::{CandidateIdx, Election};

const FORMAT: &str = "Christen JSON";

#[derive(Deserialize)]
struct Doc<'a> {
    #[serde(default)]
    title: Option<String>,
    #[serde(default)]
    seats: Option<u32>,
    #[serde(borrow)]
    candidates: &'a RawValue,
    #[serde(default, borrow)]
    withdrawn: Option<&'a RawValue>,
    #[serde(borrow)]
    ballots: Vec<&'a RawValue>,
    /// Kept as text for the reader entry point (`source.rs`), which reads
    /// it as RCTab's or Christen's rules.
    #[serde(default, borrow)]
    rules: Option<&'a RawValue>,
}

/// Line numbers of byte offsets, for offsets asked in increasing order.
struct Lines<'a> {
    text: &'a str,
    offset: usize,
    line: usize,
}

impl Lines<'_> {
    fn line_of(&mut self, raw: &RawValue) -> usize {
        let at = (raw.get().as_ptr() as usize).saturating_sub(self.text.as_ptr() as usize);
        let at = at.min(self.text.len());
        if at < self.offset {
            self.offset = 0;
            self.line = 1;
        }
        self.line += self.text.as_bytes()[self.offset..at]
            .iter()
            .filter(|&&b| b == b'\n')
            .count();
        self.offset = at;
        self.line
    }
}

fn at(line: usize, err: serde_json::Error) -> ReadError {
    ReadError::at_line(FORMAT, line + err.line().saturating_sub(1), err.to_string())
}

/// Reads the JSON ballot form.
pub fn read(text: &str) -> Result<ElectionFile, ReadError> {
    read_with_rules(text).map(|(file, _)| file)
}

/// Reads the JSON ballot form, and gives its `rules` member's text (not
/// checked here) if it has one, so that the file is parsed once.
pub fn read_with_rules(text: &str) -> Result<(ElectionFile, Option<&RawValue>), ReadError> {
    let doc: Doc = serde_json::from_str(text).map_err(|e| {
        ReadError::at_line(
            FORMAT,
            e.line(),
            format!("expected {{\"candidates\": [...], \"ballots\": [...]}}: {e}"),
        )
    })?;
    let mut lines = Lines {
        text,
        offset: 0,
        line: 1,
    };
    let cl = lines.line_of(doc.candidates);
    let candidates = read_candidates(doc.candidates, cl)?;
    let index = Index::new(&candidates, cl)?;
    let withdrawn = match doc.withdrawn {
        Some(w) => read_withdrawn(w, lines.line_of(w), &index)?,
        None => Vec::new(),
    };
    let mut g = Grouper::new(candidates.len());
    for raw in doc.ballots {
        if add_plain_ranking(&mut g, raw, &index) {
            continue;
        }
        // Anything else (an object, ties, escapes, an error) as a JSON value;
        // line numbers are counted only here, so for a ballot that may fail.
        let line = lines.line_of(raw);
        let v: Value = serde_json::from_str(raw.get()).map_err(|e| at(line, e))?;
        let (ranking, count) = ballot_parts(&v, line)?;
        add_ballot(&mut g, ranking, count, line, &index, &candidates)?;
    }
    let file = ElectionFile {
        election: Election {
            candidates,
            withdrawn,
            ballots: g.into_ballots(),
        },
        title: doc.title,
        seats: doc.seats,
        rules: None,
        ballot_digest: None,
    };
    Ok((file, doc.rules))
}

/// The `candidates` list (found at line `cl`).
fn read_candidates(raw: &RawValue, cl: usize) -> Result<Vec<String>, ReadError> {
    serde_json::from_str(raw.get())
        .map_err(|e| at(cl, e))
        .map_err(|e| {
            ReadError::at_line(
                FORMAT,
                e.line().unwrap_or(0),
                format!("expected a list of candidate names: {}", e.message),
            )
        })
}

/// Adds `raw` if it is the common ballot, a bare list of candidates' names
/// written without escapes, every name known and none twice; `false` (and
/// nothing added) for anything else, which [`add_ballot`] then reads or
/// refuses. A million such ballots are read without a JSON value each.
fn add_plain_ranking(g: &mut Grouper, raw: &RawValue, index: &Index<'_>) -> bool {
    struct Names<'g, 'i, 'a> {
        g: &'g mut Grouper,
        index: &'i Index<'a>,
    }
    impl<'de> serde::de::Visitor<'de> for Names<'_, '_, '_> {
        type Value = bool;
        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("a list of names")
        }
        fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<bool, A::Error> {
            self.g.begin();
            while let Some(name) = seq.next_element::<&str>()? {
                let Some(&c) = self.index.0.get(name) else {
                    return Ok(false);
                };
                if self.g.push(c).is_err() {
                    return Ok(false);
                }
                self.g.end_rank();
            }
            Ok(true)
        }
    }
    let mut de = serde_json::Deserializer::from_str(raw.get());
    let plain = serde::Deserializer::deserialize_seq(&mut de, Names { g, index })
        .is_ok_and(|plain| plain)
        && de.end().is_ok();
    plain && g.finish(1).is_ok()
}

/// Candidate numbers by name (foldhash: looked up for every name of every
/// ballot; the names are the file's own candidates).
struct Index<'a>(HashMap<&'a str, CandidateIdx, foldhash::fast::RandomState>);

impl<'a> Index<'a> {
    /// Refuses a name listed twice (at line `cl`).
    fn new(candidates: &'a [String], cl: usize) -> Result<Self, ReadError> {
        let mut index: HashMap<&str, CandidateIdx, _> = HashMap::default();
        for (i, c) in candidates.iter().enumerate() {
            if index.insert(c.as_str(), i as CandidateIdx).is_some() {
                return Err(ReadError::at_line(
                    FORMAT,
                    cl,
                    format!("candidate {c:?} is listed twice"),
                ));
            }
        }
        Ok(Index(index))
    }

    fn lookup(&self, name: &str, line: usize) -> Result<CandidateIdx, ReadError> {
        self.0.get(name).copied().ok_or_else(|| {
            ReadError::at_line(
                FORMAT,
                line,
                format!("expected a candidate from \"candidates\", found {name:?}"),
            )
        })
    }
}

/// The `withdrawn` names (at line `wl`) as sorted, distinct candidate numbers.
fn read_withdrawn(
    raw: &RawValue,
    wl: usize,
    index: &Index<'_>,
) -> Result<Vec<CandidateIdx>, ReadError> {
    let names: Vec<String> = serde_json::from_str(raw.get()).map_err(|e| at(wl, e))?;
    let mut withdrawn = Vec::new();
    for n in names {
        let c = index.lookup(&n, wl)?;
        if !withdrawn.contains(&c) {
            withdrawn.push(c);
        }
    }
    withdrawn.sort_unstable();
    Ok(withdrawn)
}

/// A ballot's ranking and count: a list of names (count 1) or
/// `{"ranking": [...], "count": n}`.
fn ballot_parts(v: &Value, line: usize) -> Result<(&Vec<Value>, u64), ReadError> {
    match v {
        Value::Array(r) => Ok((r, 1)),
        Value::Object(o) => {
            let Some(Value::Array(r)) = o.get("ranking") else {
                return Err(ReadError::at_line(
                    FORMAT,
                    line,
                    "expected a ballot {\"ranking\": [names…], \"count\": n}",
                ));
            };
            Ok((r, ballot_count(o.get("count"), line)?))
        }
        _ => Err(ReadError::at_line(
            FORMAT,
            line,
            "expected a ballot: {\"ranking\": [...], \"count\": n} or a list of names",
        )),
    }
}

/// A ballot's `count`: a positive whole number, 1 when absent.
fn ballot_count(count: Option<&Value>, line: usize) -> Result<u64, ReadError> {
    match count {
        None => Ok(1),
        Some(Value::Number(n)) => match n.as_u64() {
            Some(0) => Err(ReadError::at_line(
                FORMAT,
                line,
                "expected a positive count, found 0",
            )),
            Some(c) => Ok(c),
            None => Err(ReadError::at_line(
                FORMAT,
                line,
                format!("expected a positive whole count, found {n}"),
            )),
        },
        Some(other) => Err(ReadError::at_line(
            FORMAT,
            line,
            format!("expected a positive whole count, found {other}"),
        )),
    }
}

/// Adds one ballot: each entry of `ranking` is a name or a list of tied names.
fn add_ballot(
    g: &mut Grouper,
    ranking: &[Value],
    count: u64,
    line: usize,
    index: &Index<'_>,
    candidates: &[String],
) -> Result<(), ReadError> {
    g.begin();
    for entry in ranking {
        let names: Vec<&Value> = match entry {
            Value::Array(tied) => tied.iter().collect(),
            other => vec![other],
        };
        for n in names {
            let Value::String(name) = n else {
                return Err(ReadError::at_line(
                    FORMAT,
                    line,
                    format!("expected a candidate name (a string), found {n}"),
                ));
            };
            let c = index.lookup(name, line)?;
            g.push(c)
                .map_err(|e| ReadError::at_line(FORMAT, line, e.message(candidates)))?;
        }
        g.end_rank();
    }
    g.finish(count)
        .map_err(|e| ReadError::at_line(FORMAT, line, e.message(candidates)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_objects_bare_rankings_and_ties() {
        let f = read(
            r#"{"candidates": ["A", "B", "C"], "seats": 2, "rules": {"x": 1},
"ballots": [
  {"ranking": ["A", "B"], "count": 3},
  {"ranking": [["A", "B"], [], "C"]},
  ["A", "B"]
]}"#,
        )
        .unwrap();
        assert_eq!(f.seats, Some(2));
        assert_eq!(f.election.ballots.len(), 2);
        assert_eq!(f.election.ballots[0].count, 4);
        assert_eq!(
            f.election.ballots[1].ranks,
            vec![vec![0, 1], vec![], vec![2]]
        );
    }

    #[test]
    fn escaped_names_and_refused_plain_lists_take_the_value_path() {
        let f = read(
            r#"{"candidates": ["A", "B"], "ballots": [["A", "B"], ["\u0041", "B"], [], ["B"]]}"#,
        )
        .unwrap();
        assert_eq!(f.election.ballots.len(), 3);
        assert_eq!(f.election.ballots[0].count, 2);
        assert_eq!(f.election.ballots[1].ranks, Vec::<Vec<u32>>::new());
        // A plain list refused half-way adds nothing before the error.
        let e = read("{\"candidates\": [\"A\", \"B\"],\n\"ballots\": [[\"A\", \"B\", \"A\"]]}")
            .unwrap_err();
        assert_eq!(e.line(), Some(2));
        assert!(e.message.contains("more than once"), "{e}");
    }

    #[test]
    fn errors_name_the_line() {
        for (text, line, what) in [
            ("{\"candidates\": [\"A\"],\n\"ballots\": [\n[\"A\"],\n[\"Z\"]]}", 4, "\"Z\""),
            ("{\"candidates\": [\"A\"],\n\"ballots\": [\n{\"ranking\": [\"A\"], \"count\": -1}]}", 3, "-1"),
            ("{\"candidates\": [\"A\"],\n\"ballots\": [\n{\"ranking\": [\"A\"], \"count\": 0}]}", 3, "found 0"),
            ("{\"candidates\": [\"A\"],\n\"ballots\": [\n{\"ranking\": [\"A\"], \"count\": \"2\"}]}", 3, "whole count"),
            ("{\"candidates\": [\"A\"],\n\"ballots\": [\n[\"A\", \"A\"]]}", 3, "more than once"),
            ("{\"candidates\": [\"A\"],\n\"ballots\": [\n[\"A\" \"A\"]]}", 3, "expected"),
            ("{\"candidates\": [\"A\", \"A\"], \"ballots\": []}", 1, "twice"),
        ] {
            let e = read(text).unwrap_err();
            assert_eq!(e.line().unwrap_or(0), line, "{text}: {e}");
            assert!(e.message.contains(what), "{text}: {e}");
        }
    }
}
