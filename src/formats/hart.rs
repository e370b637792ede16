//! Hart Verity cast vote records, as RCTab's `hart` provider reads them
//! (`HartCvrReader`): a folder of XML files, one ballot each (`*.sig.xml`
//! signatures aside), read with `quick-xml` as a stream of events.
//!
//! ```xml
//! <Cvr><CvrGuid>…</CvrGuid><BatchNumber>…</BatchNumber>
//!   <Contests><Contest><Name>Mayor</Name><Id>c-1</Id>
//!     <Options><Option><Name>Alice</Name><Id>o-1</Id><Value>0100</Value></Option>…</Options>
//!   </Contest></Contests></Cvr>
//! ```
//!
//! Every `Contest` whose `Id` is the source's `contestId` is one ballot. An
//! option's `Value` is read left to right, one digit per rank: `1` marks that
//! rank (`0100`: rank 2; `0101`: ranks 2 and 4). The option `Id` given as
//! the undeclared write-in label counts as undeclared write-ins. A contest
//! without options is a ballot marking nobody.
//!
//! Candidate names: RCTab's `HartCvrReader` keeps each option's `Id` and the
//! configuration resolves it (a configured candidate whose name or alias is
//! that `Id`, shown by its configured name). This reader does the same with the
//! `(code, name)` pairs it is given; an option no configured code names is
//! named by its `Name` (without a configuration, every option is).

use quick_xml::events::Event;
use quick_xml::Reader;

use super::cvr::{ElectionBuilder, UNDECLARED_WRITE_INS};
use super::read_error::{Location, ReadError};
use crate::tally::{CandidateIdx, Election};

const FORMAT: &str = "Hart CVR XML";

/// One option of a contest as read so far.
#[derive(Default)]
struct Option_ {
    name: String,
    id: String,
    value: String,
}

/// One contest of a CVR as read so far.
#[derive(Default)]
struct Contest {
    id: String,
    options: Vec<Option_>,
}

/// Reads the CVR files `(name, text)` of contest `contest_id`.
/// `configured`: `(code, name)` of the configuration's candidates (module
/// docs).
pub fn read_hart(
    files: &[(String, &str)],
    contest_id: &str,
    undeclared_write_in: Option<&str>,
    configured: &[(String, String)],
) -> Result<Election, ReadError> {
    let mut builder = ElectionBuilder::default();
    for (name, text) in files {
        for contest in contests(name, text)? {
            if contest.id != contest_id {
                continue;
            }
            let mut marks: Vec<(u32, CandidateIdx)> = Vec::new();
            for option in &contest.options {
                let candidate = if undeclared_write_in == Some(option.id.as_str()) {
                    builder.candidate(UNDECLARED_WRITE_INS)
                } else {
                    let name = configured
                        .iter()
                        .find(|(code, _)| *code == option.id)
                        .map_or(option.name.as_str(), |(_, name)| name.as_str());
                    builder.candidate(name)
                };
                for (i, digit) in option.value.trim().chars().enumerate() {
                    if digit == '1' {
                        marks.push((i as u32 + 1, candidate));
                    }
                }
            }
            builder.add_marks(&marks);
        }
    }
    Ok(builder.finish())
}

/// The contests of one CVR file.
fn contests(file: &str, text: &str) -> Result<Vec<Contest>, ReadError> {
    let line = |pos: u64| {
        text.as_bytes()[..(pos as usize).min(text.len())]
            .iter()
            .filter(|&&b| b == b'\n')
            .count()
            + 1
    };
    let fail =
        |pos: u64, m: String| ReadError::new(FORMAT, Location::Line(line(pos)), m).in_file(file);
    let mut reader = Reader::from_str(text);
    let mut path: Vec<String> = Vec::new();
    let mut out: Vec<Contest> = Vec::new();
    let mut buf = String::new();
    loop {
        let pos = reader.buffer_position();
        match reader.read_event() {
            Err(e) => return Err(fail(pos, format!("expected well-formed XML: {e}"))),
            Ok(Event::Eof) => break,
            Ok(Event::Start(e)) => {
                let name = String::from_utf8_lossy(e.local_name().as_ref()).into_owned();
                match (path.last().map(String::as_str), name.as_str()) {
                    (Some("Contests"), "Contest") => out.push(Contest::default()),
                    (Some("Options"), "Option") => {
                        if let Some(c) = out.last_mut() {
                            c.options.push(Option_::default());
                        }
                    }
                    _ => {}
                }
                path.push(name);
                buf.clear();
            }
            Ok(Event::Text(t)) => {
                let t = t
                    .xml_content()
                    .map_err(|e| fail(pos, format!("expected text: {e}")))?;
                buf.push_str(&t);
            }
            Ok(Event::GeneralRef(r)) => {
                let c = match r.resolve_char_ref() {
                    Ok(Some(c)) => Some(c),
                    _ => {
                        let name: &[u8] = &r;
                        match name {
                            b"amp" => Some('&'),
                            b"lt" => Some('<'),
                            b"gt" => Some('>'),
                            b"quot" => Some('"'),
                            b"apos" => Some('\''),
                            _ => None,
                        }
                    }
                };
                let c = c.ok_or_else(|| fail(pos, "expected a known entity".to_owned()))?;
                buf.push(c);
            }
            Ok(Event::End(_)) => {
                let Some(name) = path.pop() else { continue };
                store(&path, &name, &buf, &mut out);
                buf.clear();
            }
            Ok(_) => {}
        }
    }
    Ok(out)
}

/// Files the text of element `name` (inside `path`) where it belongs.
fn store(path: &[String], name: &str, text: &str, out: &mut [Contest]) {
    let parent = path.last().map(String::as_str);
    let Some(contest) = out.last_mut() else {
        return;
    };
    match (parent, name) {
        (Some("Contest"), "Id") => contest.id = text.trim().to_owned(),
        (Some("Option"), field) => {
            if let Some(option) = contest.options.last_mut() {
                match field {
                    "Name" => option.name = text.trim().to_owned(),
                    "Id" => option.id = text.trim().to_owned(),
                    "Value" => option.value = text.trim().to_owned(),
                    _ => {}
                }
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cvr(options: &str) -> String {
        format!(
            r#"<?xml version="1.0" encoding="utf-8"?>
<Cvr xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns="http://tempuri.org/CVRDesign.xsd">
  <BatchSequence>1</BatchSequence><SheetNumber>1</SheetNumber><BatchNumber>7</BatchNumber>
  <CvrGuid>b1</CvrGuid>
  <PrecinctSplit><Name>P 1</Name><Id>ps-1</Id></PrecinctSplit>
  <Contests>
    <Contest><Name>Dog Catcher</Name><Id>c-2</Id>
      <Options><Option><Name>Rex</Name><Id>o-9</Id><Value>1</Value></Option></Options>
    </Contest>
    <Contest><Name>Mayor</Name><Id>c-1</Id>
      <Options>{options}</Options>
    </Contest>
  </Contests>
</Cvr>"#
        )
    }

    fn option(name: &str, id: &str, value: &str) -> String {
        format!("<Option><Name>{name}</Name><Id>{id}</Id><Value>{value}</Value></Option>")
    }

    #[test]
    fn reads_ranks_overvotes_and_write_ins_of_one_contest() {
        let a = cvr(&(option("Alice &amp; Co", "o-1", "100") + &option("Bob", "o-2", "010")));
        let b = cvr(&(option("Bob", "o-2", "110") + &option("Alice &amp; Co", "o-1", "100")));
        let c = cvr(&option("Write-in", "o-wi", "100"));
        let d = cvr("");
        let files = vec![
            ("a.xml".to_owned(), a.as_str()),
            ("b.xml".to_owned(), b.as_str()),
            ("c.xml".to_owned(), c.as_str()),
            ("d.xml".to_owned(), d.as_str()),
        ];
        let e = read_hart(&files, "c-1", Some("o-wi"), &[]).unwrap();
        assert_eq!(e.candidates, ["Alice & Co", "Bob", UNDECLARED_WRITE_INS]);
        // A configuration naming option o-2 (by alias) as "Robert Smith".
        let configured = [("o-2".to_owned(), "Robert Smith".to_owned())];
        let named = read_hart(&files, "c-1", Some("o-wi"), &configured).unwrap();
        assert_eq!(
            named.candidates,
            ["Alice & Co", "Robert Smith", UNDECLARED_WRITE_INS]
        );
        assert_eq!(named.ballots, e.ballots);
        let ranks: Vec<Vec<Vec<CandidateIdx>>> =
            e.ballots.iter().map(|b| b.ranks.clone()).collect();
        assert_eq!(
            ranks,
            [
                vec![vec![0], vec![1]],
                vec![vec![1, 0], vec![1]],
                vec![vec![2]],
                vec![],
            ]
        );
    }

    #[test]
    fn malformed_xml_is_an_error_naming_file_and_line() {
        let files = vec![("bad.xml".to_owned(), "<Cvr>\n<Contests>\n</Cvr>")];
        let e = read_hart(&files, "c-1", None, &[]).unwrap_err().to_string();
        assert!(e.contains("bad.xml") && e.contains("line"), "{e}");
    }
}
