//! NIST SP 1500-103 Common Data Format cast vote records, XML form
//! (`CastVoteRecordReport`, namespace `http://itl.nist.gov/ns/voting/1500-103/v1`),
//! read with `quick-xml` as a stream of events.
//!
//! The XML carries the same model as the JSON form ([`super::cdf`]), which counts
//! it: an element becomes the JSON member of its name, the `ObjectId` attribute
//! becomes `@id`, `xsi:type` becomes `@type`, and the IDREFS list
//! `CandidateIds` a list of ids. The schema puts every `CVR` before the
//! `Election`s, so the input is read twice, a chunk at a time ([`Input`]): once
//! for the `Election`s (small), then once more turning one `CVR` at a time
//! into its JSON value and counting it, so no more than one CVR is held at
//! once. Namespace prefixes are ignored.
//!
//! ```xml
//! <CastVoteRecordReport xmlns="http://itl.nist.gov/ns/voting/1500-103/v1">
//!   <CVR><CVRSnapshot ObjectId="s1"><CVRContest><ContestId>k</ContestId>
//!     <CVRContestSelection><ContestSelectionId>sa</ContestSelectionId>
//!       <SelectionPosition><HasIndication>yes</HasIndication><Rank>1</Rank>…
//!   </CVRContestSelection></CVRContest></CVRSnapshot>
//!   <CurrentSnapshotId>s1</CurrentSnapshotId></CVR>
//!   <Election ObjectId="e"><Candidate ObjectId="ca"><Name>Ann</Name></Candidate>
//!     <Contest ObjectId="k"><ContestSelection ObjectId="sa"><CandidateIds>ca</CandidateIds>…
//! ```

use quick_xml::events::{BytesStart, Event};
use quick_xml::{Decoder, Reader};
use serde_json::{Map, Value};

use std::io::BufRead;

use serde::Deserialize;

use super::cdf::{read_cdf_json_input, ChosenContest, Cvr};
use super::cvr::ElectionBuilder;
use super::read_error::{Location, ReadError};
use super::stream::{io_error, Input};
use crate::tally::{CandidateIdx, Election};

const FORMAT: &str = "NIST CDF XML";

/// Elements that may repeat, kept as JSON arrays even when there is one.
const REPEATED: [&str; 9] = [
    "Election",
    "Candidate",
    "Contest",
    "CVR",
    "CVRSnapshot",
    "CVRContest",
    "CVRContestSelection",
    "SelectionPosition",
    "ContestSelection",
];

/// How deep elements may nest (the schema needs about ten levels).
const MAX_DEPTH: usize = 64;

/// Reads a CDF cast vote record report in either form: XML when its first
/// character (after a byte order mark and blanks) is `<`, JSON otherwise.
/// Either is read a chunk at a time, twice (the schema puts the `Election`s
/// after the CVRs), never whole.
pub fn read_cdf(input: Input<'_>, contest: Option<&str>) -> Result<Election, ReadError> {
    let head = input.head(HEAD).map_err(|e| io_error(FORMAT, &e))?;
    let head = head.strip_prefix("\u{feff}".as_bytes()).unwrap_or(&head);
    if head.trim_ascii_start().starts_with(b"<") {
        read_cdf_xml_input(input, contest)
    } else {
        read_cdf_json_input(input, contest)
    }
}

/// Bytes [`read_cdf`] looks at to tell XML from JSON.
const HEAD: usize = 4096;

/// Reads a CDF XML cast vote record report; `contest` as for
/// [`super::cdf::read_cdf_json`].
pub fn read_cdf_xml(input: &str, contest: Option<&str>) -> Result<Election, ReadError> {
    read_cdf_xml_input(Input::text(input), contest)
}

/// [`read_cdf_xml`] from an [`Input`].
pub fn read_cdf_xml_input(input: Input<'_>, contest: Option<&str>) -> Result<Election, ReadError> {
    let mut elections: Vec<Value> = Vec::new();
    for_each_child(input, "Election", &mut |value, _| {
        elections.push(value);
        Ok(())
    })?;
    let doc = Value::Object(Map::from_iter([(
        "Election".to_owned(),
        Value::Array(elections),
    )]));
    let mut builder = ElectionBuilder::default();
    let chosen =
        ChosenContest::find(&doc, contest, &mut builder).map_err(|e| relocate(input, None, e))?;
    let mut marks: Vec<(u32, CandidateIdx)> = Vec::new();
    let mut i = 0usize;
    for_each_child(input, "CVR", &mut |cvr, pos| {
        let path = format!("$.CVR[{i}]");
        i += 1;
        let cvr = Cvr::deserialize(&cvr)
            .map_err(|e| ReadError::new(FORMAT, Location::JsonPath(path.clone()), e.to_string()));
        cvr.and_then(|cvr| chosen.add_cvr(&cvr, &path, &mut builder, &mut marks))
            .map_err(|e| relocate(input, Some(pos), e))
    })?;
    Ok(builder.finish())
}

/// A JSON-model error re-told for the XML: the line where the element at fault
/// starts (the `CVR`, or the input for the `Election`s) and the model path.
fn relocate(input: Input<'_>, pos: Option<u64>, e: ReadError) -> ReadError {
    let location = match pos {
        Some(pos) => Location::Line(input.line_of(pos)),
        None => Location::Input,
    };
    let message = match e.location {
        Location::JsonPath(path) => format!("{} (at {path})", e.message),
        _ => e.message,
    };
    ReadError::new(FORMAT, location, message)
}

fn fail(input: Input<'_>, pos: u64, message: impl Into<String>) -> ReadError {
    ReadError::new(FORMAT, Location::Line(input.line_of(pos)), message)
}

/// The XML reader over an input, a chunk at a time.
type XmlReader<'a> = Reader<Box<dyn BufRead + 'a>>;

/// Calls `f` with the JSON value and start offset of every child `wanted` of
/// the root `CastVoteRecordReport`, in order, skipping the other children.
fn for_each_child(
    input: Input<'_>,
    wanted: &str,
    f: &mut dyn FnMut(Value, u64) -> Result<(), ReadError>,
) -> Result<(), ReadError> {
    let mut reader = Reader::from_reader(input.open().map_err(|e| io_error(FORMAT, &e))?);
    let mut buf = Vec::new();
    let mut skipped = Vec::new();
    let mut in_root = false;
    loop {
        let pos = reader.buffer_position();
        buf.clear();
        let event = reader
            .read_event_into(&mut buf)
            .map_err(|e| fail(input, pos, format!("expected well-formed XML: {e}")))?;
        match event {
            Event::Start(ref e) | Event::Empty(ref e) if !in_root => {
                if e.local_name().as_ref() != b"CastVoteRecordReport" {
                    return Err(fail(
                        input,
                        pos,
                        format!(
                            "expected a CastVoteRecordReport root element, found <{}>",
                            String::from_utf8_lossy(e.name().as_ref())
                        ),
                    ));
                }
                in_root = matches!(event, Event::Start(_));
                if !in_root {
                    return Ok(());
                }
            }
            Event::Start(e) if e.local_name().as_ref() == wanted.as_bytes() => {
                let value = element(input, &mut reader, &e, 1)?;
                f(value, pos)?;
            }
            Event::Empty(e) if e.local_name().as_ref() == wanted.as_bytes() => {
                f(attributes(input, reader.decoder(), pos, &e)?, pos)?;
            }
            Event::Start(e) => {
                let end = e.to_end().into_owned();
                skipped.clear();
                reader
                    .read_to_end_into(end.name(), &mut skipped)
                    .map_err(|e| fail(input, pos, format!("expected well-formed XML: {e}")))?;
            }
            Event::End(_) => return Ok(()),
            Event::Eof if in_root => {
                return Err(fail(input, pos, "expected </CastVoteRecordReport>"));
            }
            Event::Eof => return Err(fail(input, pos, "expected a CastVoteRecordReport")),
            _ => {}
        }
    }
}

/// The attributes of an element as JSON members (`ObjectId` as `@id`,
/// `xsi:type` as `@type`); an element with none is the empty string.
fn attributes(
    input: Input<'_>,
    decoder: Decoder,
    pos: u64,
    e: &BytesStart<'_>,
) -> Result<Value, ReadError> {
    let mut map = Map::new();
    for attr in e.attributes() {
        let attr = attr.map_err(|err| fail(input, pos, format!("expected an attribute: {err}")))?;
        let key = match attr.key.local_name().as_ref() {
            b"ObjectId" => "@id".to_owned(),
            b"type" => "@type".to_owned(),
            b"xmlns" => continue,
            other => format!("@{}", String::from_utf8_lossy(other)),
        };
        if attr.key.as_ref().starts_with(b"xmlns") {
            continue;
        }
        let value = attr
            .decode_and_unescape_value(decoder)
            .map_err(|err| fail(input, pos, format!("expected an attribute value: {err}")))?;
        map.insert(key, Value::String(value.into_owned()));
    }
    Ok(if map.is_empty() {
        Value::String(String::new())
    } else {
        Value::Object(map)
    })
}

/// The JSON value of the element `start` (already read), up to its end tag:
/// its text when it has no child elements, else an object of its attributes
/// and children.
fn element(
    input: Input<'_>,
    reader: &mut XmlReader<'_>,
    start: &BytesStart<'_>,
    depth: usize,
) -> Result<Value, ReadError> {
    let start_pos = reader.buffer_position();
    if depth > MAX_DEPTH {
        return Err(fail(
            input,
            start_pos,
            format!("expected elements nested at most {MAX_DEPTH} deep"),
        ));
    }
    let mut object = match attributes(input, reader.decoder(), start_pos, start)? {
        Value::Object(map) => map,
        _ => Map::new(),
    };
    let mut has_children = false;
    let mut buf = String::new();
    let mut events = Vec::new();
    loop {
        let pos = reader.buffer_position();
        events.clear();
        let event = reader
            .read_event_into(&mut events)
            .map_err(|e| fail(input, pos, format!("expected well-formed XML: {e}")))?;
        let (name, value) = match event {
            Event::Start(e) => (local(&e), element(input, reader, &e, depth + 1)?),
            Event::Empty(e) => (local(&e), attributes(input, reader.decoder(), pos, &e)?),
            Event::Text(t) => {
                let t = t
                    .xml_content()
                    .map_err(|e| fail(input, pos, format!("expected text: {e}")))?;
                buf.push_str(&t);
                continue;
            }
            Event::CData(t) => {
                buf.push_str(&String::from_utf8_lossy(&t));
                continue;
            }
            Event::GeneralRef(r) => {
                buf.push(entity(&r).ok_or_else(|| fail(input, pos, "expected a known entity"))?);
                continue;
            }
            Event::End(_) => break,
            Event::Eof => {
                return Err(fail(
                    input,
                    pos,
                    format!(
                        "expected </{}>",
                        String::from_utf8_lossy(start.name().as_ref())
                    ),
                ))
            }
            _ => continue,
        };
        has_children = true;
        add_child(&mut object, name, value);
    }
    if has_children || !object.is_empty() {
        Ok(Value::Object(object))
    } else {
        Ok(Value::String(buf.trim().to_owned()))
    }
}

fn local(e: &BytesStart<'_>) -> String {
    String::from_utf8_lossy(e.local_name().as_ref()).into_owned()
}

/// Puts child `name` into `object`: appended to its array when it may repeat,
/// split into ids when it is `CandidateIds`, else as a member.
fn add_child(object: &mut Map<String, Value>, name: String, value: Value) {
    if REPEATED.contains(&name.as_str()) {
        match object
            .entry(name)
            .or_insert_with(|| Value::Array(Vec::new()))
        {
            Value::Array(items) => items.push(value),
            _ => unreachable!("repeated elements are only ever stored as arrays"),
        }
    } else if name == "CandidateIds" {
        let ids = match &value {
            Value::String(s) => s
                .split_whitespace()
                .map(|id| Value::String(id.to_owned()))
                .collect(),
            _ => Vec::new(),
        };
        object.insert(name, Value::Array(ids));
    } else {
        object.insert(name, value);
    }
}

/// A character or predefined entity reference (`&#65;`, `&amp;`).
fn entity(r: &quick_xml::events::BytesRef<'_>) -> Option<char> {
    if let Ok(Some(c)) = r.resolve_char_ref() {
        return Some(c);
    }
    let name: &[u8] = r;
    match name {
        b"amp" => Some('&'),
        b"lt" => Some('<'),
        b"gt" => Some('>'),
        b"quot" => Some('"'),
        b"apos" => Some('\''),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::formats::cdf::read_cdf_json;
    use crate::formats::cvr::UNDECLARED_WRITE_INS;

    const REPORT: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<CastVoteRecordReport xmlns="http://itl.nist.gov/ns/voting/1500-103/v1"
    xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
  <CVR>
    <CVRSnapshot ObjectId="s0"><Type>original</Type></CVRSnapshot>
    <CVRSnapshot ObjectId="s1">
      <CVRContest>
        <ContestId>k</ContestId>
        <CVRContestSelection>
          <ContestSelectionId>sb</ContestSelectionId>
          <SelectionPosition><HasIndication>yes</HasIndication><IsAllocable>yes</IsAllocable><NumberVotes>1</NumberVotes><Rank>1</Rank></SelectionPosition>
        </CVRContestSelection>
        <CVRContestSelection>
          <ContestSelectionId>sa</ContestSelectionId>
          <SelectionPosition><HasIndication>yes</HasIndication><IsAllocable>no</IsAllocable><NumberVotes>1</NumberVotes><Rank>2</Rank></SelectionPosition>
        </CVRContestSelection>
        <CVRContestSelection>
          <ContestSelectionId>sw</ContestSelectionId>
          <SelectionPosition><NumberVotes>1</NumberVotes><Rank>3</Rank></SelectionPosition>
        </CVRContestSelection>
      </CVRContest>
      <Type>modified</Type>
    </CVRSnapshot>
    <CurrentSnapshotId>s1</CurrentSnapshotId>
  </CVR>
  <Election ObjectId="e">
    <Candidate ObjectId="ca"><Name>Ann &amp; Co</Name></Candidate>
    <Candidate ObjectId="cb"><Name>Ben</Name></Candidate>
    <Contest xsi:type="CandidateContest" ObjectId="k">
      <ContestSelection xsi:type="CandidateSelection" ObjectId="sa"><CandidateIds>ca</CandidateIds></ContestSelection>
      <ContestSelection xsi:type="CandidateSelection" ObjectId="sb"><CandidateIds>cb</CandidateIds></ContestSelection>
      <ContestSelection xsi:type="CandidateSelection" ObjectId="sw"><IsWriteIn>true</IsWriteIn></ContestSelection>
      <Name>Mayor</Name>
    </Contest>
  </Election>
  <GeneratedDate>2026-12-01T00:00:00Z</GeneratedDate>
  <Version>1.0.0</Version>
</CastVoteRecordReport>"#;

    #[test]
    fn reads_the_current_snapshot_like_the_json_form() {
        let e = read_cdf_xml(REPORT, Some("Mayor")).unwrap();
        assert_eq!(e.candidates, ["Ann & Co", "Ben", UNDECLARED_WRITE_INS]);
        assert_eq!(e.ballots[0].ranks, vec![vec![1], vec![], vec![2]]);
        let json = r#"{"Election": [{"@id": "e", "Candidate": [{"@id": "ca", "Name": "Ann & Co"}, {"@id": "cb", "Name": "Ben"}],
          "Contest": [{"@id": "k", "Name": "Mayor", "ContestSelection": [{"@id": "sa", "CandidateIds": ["ca"]}, {"@id": "sb", "CandidateIds": ["cb"]}, {"@id": "sw", "IsWriteIn": true}]}]}],
          "CVR": [{"CurrentSnapshotId": "s1", "CVRSnapshot": [{"@id": "s1", "CVRContest": [{"ContestId": "k", "CVRContestSelection": [
             {"ContestSelectionId": "sb", "SelectionPosition": [{"HasIndication": "yes", "IsAllocable": "yes", "Rank": 1}]},
             {"ContestSelectionId": "sa", "SelectionPosition": [{"HasIndication": "yes", "IsAllocable": "no", "Rank": 2}]},
             {"ContestSelectionId": "sw", "SelectionPosition": [{"Rank": 3}]}]}]}]}]}"#;
        assert_eq!(e, read_cdf_json(json, Some("Mayor")).unwrap());
    }

    #[test]
    fn errors_give_the_line_of_the_cvr_and_the_model_path() {
        let bad = REPORT.replace("<Rank>3</Rank>", "<Rank>third</Rank>");
        let err = read_cdf_xml(&bad, None).unwrap_err();
        assert_eq!(err.line(), Some(4), "{err}");
        assert!(
            err.to_string().contains("SelectionPosition[0].Rank"),
            "{err}"
        );
        let err = read_cdf_xml(REPORT, Some("Council")).unwrap_err();
        assert!(err.to_string().contains("Mayor"), "{err}");
        let err = read_cdf_xml("<Cvr/>", None).unwrap_err();
        assert!(err.to_string().contains("CastVoteRecordReport"), "{err}");
    }

    #[test]
    fn truncated_or_deep_input_never_panics() {
        for end in 0..REPORT.len() {
            if REPORT.is_char_boundary(end) {
                let _ = read_cdf_xml(&REPORT[..end], None);
            }
        }
        let deep = format!(
            "<CastVoteRecordReport><CVR>{}</CVR></CastVoteRecordReport>",
            "<a>".repeat(10_000)
        );
        assert!(read_cdf_xml(&deep, None).is_err());
    }
}
