//! Debian vote tally sheets (`leaderYYYY_tally.txt` from debian.org/vote).
//!
//! The header names the options, one per line: `Option 1----->: Jonathan Carter`.
//! Each vote is a line `V: 2313  <hash>`: one character per option, in option order,
//! a digit giving that option's rank (equal digits are a tie; gaps between digits mean
//! nothing) or `-` for unranked. Debian ranks unranked options equally, below every
//! ranked one, which is what an unnamed candidate means to the engine.
//!
//! The sheets are plain text, older ones in Latin-1 (`Raphaël`): a line that is not
//! UTF-8 is read as Latin-1.

use std::io::BufRead;

use super::cvr::ElectionBuilder;
use super::read_error::{Location, ReadError};
use crate::tally::{CandidateIdx, Election};

const FORMAT: &str = "Debian tally sheet";

fn decode(bytes: &[u8]) -> String {
    match std::str::from_utf8(bytes) {
        Ok(s) => s.to_owned(),
        Err(_) => bytes.iter().map(|&b| char::from(b)).collect(),
    }
}

/// `Option 3--->: Name` → (3, "Name"), anywhere on the line (the sheet draws a
/// bracket of `|` and `/` before it).
fn option_line(line: &str) -> Option<(usize, String)> {
    let at = line.find("Option ")?;
    let rest = &line[at + "Option ".len()..];
    let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
    let number = digits.parse::<usize>().ok()?;
    let rest = rest[digits.len()..].trim_start_matches('-');
    let name = rest.strip_prefix(">:")?.trim();
    Some((number, name.to_owned()))
}

/// Whether `head` (the start of a file) looks like a Debian tally sheet: a line
/// `Option 1--->: Name` before any vote.
pub fn looks_like_tally_sheet(head: &[u8]) -> bool {
    head.split(|&b| b == b'\n')
        .map(decode)
        .take_while(|line| !line.trim_start().starts_with("V:"))
        .any(|line| option_line(&line).is_some_and(|(number, _)| number == 1))
}

/// Reads a Debian tally sheet. Candidates are the options in option order.
pub fn read_debian_tally<R: BufRead>(input: R) -> Result<Election, ReadError> {
    let (options, votes) = read_lines(input)?;
    if options.is_empty() {
        return Err(ReadError::new(
            FORMAT,
            Location::Input,
            "expected option lines such as \"Option 1--->: Name\"",
        ));
    }
    let mut builder = ElectionBuilder::with_candidates(&options)
        .map_err(|m| ReadError::new(FORMAT, Location::Input, m))?;
    for (line_no, vote) in votes {
        builder.add_slots(vote_slots(line_no, &vote, options.len())?, 1);
    }
    Ok(builder.finish())
}

/// The option names, in order, and each vote with its line number.
#[allow(clippy::type_complexity)]
fn read_lines<R: BufRead>(mut input: R) -> Result<(Vec<String>, Vec<(usize, String)>), ReadError> {
    let mut options: Vec<String> = Vec::new();
    let mut votes: Vec<(usize, String)> = Vec::new();
    let mut buf = Vec::new();
    let mut line_no = 0;
    loop {
        buf.clear();
        let read = input.read_until(b'\n', &mut buf).map_err(|e| {
            ReadError::new(
                FORMAT,
                Location::Line(line_no + 1),
                format!("could not read: {e}"),
            )
        })?;
        if read == 0 {
            break;
        }
        line_no += 1;
        let line = decode(&buf);
        let line = line.trim_end_matches(['\n', '\r']);
        if let Some(rest) = line.trim_start().strip_prefix("V:") {
            let vote = rest.split_whitespace().next().unwrap_or("");
            votes.push((line_no, vote.to_owned()));
        } else if let Some((number, name)) = option_line(line) {
            if !votes.is_empty() {
                return Err(ReadError::new(
                    FORMAT,
                    Location::Line(line_no),
                    "expected every Option line before the first vote",
                ));
            }
            if number != options.len() + 1 {
                return Err(ReadError::new(
                    FORMAT,
                    Location::Line(line_no),
                    format!(
                        "expected Option {}, found Option {number}",
                        options.len() + 1
                    ),
                ));
            }
            if name.is_empty() {
                return Err(ReadError::new(
                    FORMAT,
                    Location::Line(line_no),
                    "expected an option name after \">:\"",
                ));
            }
            options.push(name);
        }
    }
    Ok((options, votes))
}

/// One vote (one character per option: a rank digit or `-`) as rank slots:
/// equal digits share a slot, unranked options are left out.
fn vote_slots(
    line_no: usize,
    vote: &str,
    options: usize,
) -> Result<Vec<Vec<CandidateIdx>>, ReadError> {
    let chars: Vec<char> = vote.chars().collect();
    if chars.len() != options {
        return Err(ReadError::new(
            FORMAT,
            Location::Line(line_no),
            format!("expected a vote of {options} characters (one per option), found \"{vote}\""),
        ));
    }
    let mut ranked: Vec<(u32, CandidateIdx)> = Vec::new();
    for (i, ch) in chars.iter().enumerate() {
        match ch {
            '-' => {}
            d if d.is_ascii_digit() => {
                ranked.push((d.to_digit(10).unwrap_or(0), i as CandidateIdx))
            }
            other => {
                return Err(ReadError::new(
                    FORMAT,
                    Location::Cell {
                        line: line_no,
                        column: i + 1,
                    },
                    format!("expected a rank digit or '-', found '{other}'"),
                ))
            }
        }
    }
    ranked.sort();
    let mut slots: Vec<Vec<CandidateIdx>> = Vec::new();
    let mut last_rank = None;
    for (rank, candidate) in ranked {
        if last_rank != Some(rank) {
            slots.push(Vec::new());
            last_rank = Some(rank);
        }
        if let Some(slot) = slots.last_mut() {
            slot.push(candidate);
        }
    }
    Ok(slots)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SHEET: &str = "     Option 1--->: Ann\n   /  Option 2-->: Ben\n   |/  Option 3->: Cy\nV: 1-2   abc\nV: 11-   def\nV: ---   ghi\n";

    #[test]
    fn reads_ties_and_unranked() {
        let e = read_debian_tally(SHEET.as_bytes()).unwrap();
        assert_eq!(e.candidates, ["Ann", "Ben", "Cy"]);
        let ranks: Vec<_> = e.ballots.iter().map(|b| b.ranks.clone()).collect();
        assert_eq!(
            ranks,
            vec![vec![vec![0], vec![2]], vec![vec![0, 1]], vec![]]
        );
    }

    #[test]
    fn latin1_names_and_bad_votes() {
        let mut bytes = b"Option 1->: Rapha\xebl\nOption 2->: Sam\n".to_vec();
        bytes.extend_from_slice(b"V: 12 x\n");
        let e = read_debian_tally(&bytes[..]).unwrap();
        assert_eq!(e.candidates[0], "Rapha\u{eb}l");
        let err =
            read_debian_tally("Option 1->: A\nOption 2->: B\nV: 1x h\n".as_bytes()).unwrap_err();
        assert_eq!(err.location, Location::Cell { line: 3, column: 2 });
        let err = read_debian_tally("Option 1->: A\nV: 12 h\n".as_bytes()).unwrap_err();
        assert_eq!(err.line(), Some(2));
    }

    #[test]
    fn truncated_input_never_panics() {
        for end in 0..SHEET.len() {
            let _ = read_debian_tally(&SHEET.as_bytes()[..end]);
        }
    }
}
