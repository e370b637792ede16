//! The BLT format of OpenSTV and David Hill (also Tideman's `.HIL` files):
//!
//! ```text
//! 4 2            candidates, seats
//! -4             optional: withdrawn candidates, as negative numbers
//! 3 1 2 0        weight, then preferences (1-based), ending in 0
//! 1 2=3 1 0      `a=b` is a tie (an OpenSTV extension); `-` a skipped rank;
//! (id) 1 3 0     an optional ballot id in parentheses is ignored
//! 0              end of ballots
//! "Alice"        candidate names, quoted, in order
//! "Bob" "Carol" "Dan"
//! "Title"        the election title
//! ```

use std::fmt::Write as _;

use super::election_file::{ElectionFile, Progress};
use super::read_error::ReadError;

use super::group::Grouper;
use super::lines::{numbered_lines, parse_count};
use crate::tally::{CandidateIdx, Election};

const FORMAT: &str = "BLT";

const PROGRESS_EVERY: usize = 1 << 16;

/// Reads a BLT file.
pub fn read(text: &str, progress: Progress<'_>) -> Result<ElectionFile, ReadError> {
    // Old DOS files (Tideman's .HIL collection) end with a Ctrl-Z.
    let text = text.trim_end_matches(|c: char| c == '\u{1a}' || c.is_whitespace());
    let mut lines = numbered_lines(text).filter(|(_, l, _)| {
        let t = l.trim();
        !t.is_empty() && !t.starts_with('#')
    });
    let (no, header, _) = lines.next().ok_or_else(|| {
        ReadError::at_line(
            FORMAT,
            1,
            "expected \"<candidates> <seats>\", found an empty file",
        )
    })?;
    let (n, seats) = candidates_and_seats(no, header)?;
    let placeholder: Vec<String> = (1..=n).map(|i| format!("candidate {i}")).collect();
    let mut g = Grouper::new(n);
    let mut withdrawn: Vec<CandidateIdx> = Vec::new();
    let mut in_header = true;
    let mut ended = None;
    for (no, line, offset) in lines.by_ref() {
        if no % PROGRESS_EVERY == 0 {
            progress(offset);
        }
        let t = line.trim();
        if in_header && t.starts_with('-') {
            withdrawn_line(no, t, n, &mut withdrawn)?;
            continue;
        }
        in_header = false;
        if t == "0" {
            ended = Some(no);
            break;
        }
        ballot_line(no, t, &mut g, &placeholder)?;
    }
    let end_line = ended.ok_or_else(|| {
        ReadError::at_line(
            FORMAT,
            text.lines().count().max(1),
            "expected a line \"0\" ending the ballots, then the candidate names",
        )
    })?;
    let mut strings = quoted_strings(lines)?;
    if strings.len() < n {
        return Err(ReadError::at_line(
            FORMAT,
            strings.last().map_or(end_line + 1, |s| s.0 + 1),
            format!(
                "expected {n} quoted candidate names after the ballots, found {}",
                strings.len()
            ),
        ));
    }
    if strings.len() > n + 1 {
        return Err(ReadError::at_line(
            FORMAT,
            strings[n + 1].0,
            format!("expected {n} candidate names and a title, found more quoted text"),
        ));
    }
    let title = strings.get(n).map(|s| s.1.clone());
    strings.truncate(n);
    withdrawn.sort_unstable();
    Ok(ElectionFile {
        election: Election {
            candidates: strings.into_iter().map(|s| s.1).collect(),
            withdrawn,
            ballots: g.into_ballots(),
        },
        title,
        seats: Some(seats),
        rules: None,
        ballot_digest: None,
    })
}

/// The first line: `<candidates> <seats>`, at least one seat.
fn candidates_and_seats(no: usize, header: &str) -> Result<(usize, u32), ReadError> {
    let parsed: Vec<Option<u32>> = header.split_whitespace().map(|s| s.parse().ok()).collect();
    let (n, seats) = match parsed.as_slice() {
        [Some(n), Some(s)] => (*n as usize, *s),
        _ => {
            return Err(ReadError::at_line(
                FORMAT,
                no,
                format!(
                    "expected \"<candidates> <seats>\", found {:?}",
                    header.trim()
                ),
            ))
        }
    };
    if seats == 0 {
        return Err(ReadError::at_line(
            FORMAT,
            no,
            "expected at least 1 seat, found 0",
        ));
    }
    Ok((n, seats))
}

/// A line of withdrawn candidates (`-2 -5`) before the ballots.
fn withdrawn_line(
    no: usize,
    t: &str,
    n: usize,
    withdrawn: &mut Vec<CandidateIdx>,
) -> Result<(), ReadError> {
    for tok in t.split_whitespace() {
        let c = tok
            .strip_prefix('-')
            .and_then(|x| x.parse::<usize>().ok())
            .filter(|&c| (1..=n).contains(&c))
            .ok_or_else(|| {
                ReadError::at_line(
                    FORMAT,
                    no,
                    format!("expected a withdrawn candidate -1 to -{n}, found {tok:?}"),
                )
            })?;
        if !withdrawn.contains(&((c - 1) as CandidateIdx)) {
            withdrawn.push((c - 1) as CandidateIdx);
        }
    }
    Ok(())
}

/// Names and title after the ballots: quoted strings, any number per line,
/// with their line numbers.
fn quoted_strings<'a>(
    lines: impl Iterator<Item = (usize, &'a str, usize)>,
) -> Result<Vec<(usize, String)>, ReadError> {
    let mut strings: Vec<(usize, String)> = Vec::new();
    for (no, line, _) in lines {
        let mut rest = line.trim();
        while !rest.is_empty() {
            let Some(after) = rest.strip_prefix('"') else {
                return Err(ReadError::at_line(
                    FORMAT,
                    no,
                    format!("expected a quoted candidate name or title, found {rest:?}"),
                ));
            };
            let close = after.find('"').ok_or_else(|| {
                ReadError::at_line(FORMAT, no, "expected a closing '\"' on the same line")
            })?;
            strings.push((no, after[..close].to_string()));
            rest = after[close + 1..].trim_start();
        }
    }
    Ok(strings)
}

fn ballot_line(no: usize, t: &str, g: &mut Grouper, names: &[String]) -> Result<(), ReadError> {
    if plain_ballot_line(t.as_bytes(), g) {
        return Ok(());
    }
    let mut toks = t.split_whitespace().peekable();
    if toks.peek().is_some_and(|x| x.starts_with('(')) {
        // Skip a ballot id "(…)", which may contain spaces.
        for tok in toks.by_ref() {
            if tok.ends_with(')') {
                break;
            }
        }
    }
    let weight = toks
        .next()
        .ok_or_else(|| ReadError::at_line(FORMAT, no, "expected a ballot weight"))?;
    let count = parse_count(weight).map_err(|m| ReadError::at_line(FORMAT, no, m))?;
    g.begin();
    let mut closed = false;
    for tok in toks {
        if closed {
            return Err(ReadError::at_line(
                FORMAT,
                no,
                format!("expected the ballot to end at its 0, found {tok:?} after it"),
            ));
        }
        if tok == "0" {
            closed = true;
            continue;
        }
        if tok != "-" {
            for part in tok.split('=') {
                let c = part
                    .parse::<usize>()
                    .ok()
                    .filter(|&c| c >= 1)
                    .ok_or_else(|| {
                        ReadError::at_line(
                            FORMAT,
                            no,
                            format!(
                                "expected a candidate number from 1 to {}, found {part:?}",
                                names.len()
                            ),
                        )
                    })?;
                let c = CandidateIdx::try_from(c - 1).unwrap_or(CandidateIdx::MAX - 1);
                g.push(c)
                    .map_err(|e| ReadError::at_line(FORMAT, no, e.message(names)))?;
            }
        }
        g.end_rank();
    }
    if !closed {
        return Err(ReadError::at_line(
            FORMAT,
            no,
            "expected the ballot to end with 0",
        ));
    }
    g.finish(count)
        .map_err(|e| ReadError::at_line(FORMAT, no, e.message(names)))
}

/// Reads the common shape of ballot line straight from its bytes: a weight of
/// digits, candidate numbers of digits, each its own rank, then `0`, separated
/// by spaces or tabs. Returns whether it added the ballot; `false` for any
/// other line (ids, ties, skipped ranks, errors of any kind), which
/// [`ballot_line`] then reads the general way, giving the same result or error.
fn plain_ballot_line(t: &[u8], g: &mut Grouper) -> bool {
    /// The number of digits at `t[*i..]`, advancing past them; `None` if
    /// there are none or it overflows.
    fn number(t: &[u8], i: &mut usize) -> Option<u64> {
        let start = *i;
        let mut v = 0u64;
        while let Some(&b) = t.get(*i) {
            if !b.is_ascii_digit() {
                break;
            }
            v = v.checked_mul(10)?.checked_add((b - b'0') as u64)?;
            *i += 1;
        }
        (*i > start).then_some(v)
    }
    let space = |b: u8| b == b' ' || b == b'\t';
    let mut i = 0;
    let Some(count) = number(t, &mut i).filter(|&c| c > 0) else {
        return false;
    };
    g.begin();
    loop {
        // A separator, then a candidate number or the closing 0.
        if !t.get(i).is_some_and(|&b| space(b)) {
            return false;
        }
        while t.get(i).is_some_and(|&b| space(b)) {
            i += 1;
        }
        let start = i;
        let Some(c) = number(t, &mut i) else {
            return false;
        };
        if i == start + 1 && c == 0 {
            break;
        }
        let Some(c) = c
            .checked_sub(1)
            .and_then(|c| CandidateIdx::try_from(c).ok())
        else {
            return false;
        };
        if g.push(c).is_err() {
            return false;
        }
        g.end_rank();
    }
    i == t.len() && g.finish(count).is_ok()
}

/// A BLT quoted string: BLT has no escapes, so `"` becomes `'` and line breaks
/// become spaces.
fn quoted(s: &str) -> String {
    format!("\"{}\"", s.replace('"', "'").replace(['\r', '\n'], " "))
}

/// Writes `election` as BLT for `seats` seats: withdrawn candidates as a `-n`
/// line, one line per ballot group in the given order (ties as `a=b`, skipped
/// ranks as `-`), then the names and the title.
pub fn write(title: Option<&str>, seats: u32, election: &Election) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "{} {}", election.candidates.len(), seats);
    if !election.withdrawn.is_empty() {
        let w: Vec<String> = election
            .withdrawn
            .iter()
            .map(|c| format!("-{}", c + 1))
            .collect();
        let _ = writeln!(out, "{}", w.join(" "));
    }
    for b in election.ballots.iter().filter(|b| b.count > 0) {
        let _ = write!(out, "{}", b.count);
        // Trailing skipped ranks say nothing.
        let used = b
            .ranks
            .iter()
            .rposition(|s| !s.is_empty())
            .map_or(0, |i| i + 1);
        for slot in &b.ranks[..used] {
            if slot.is_empty() {
                out.push_str(" -");
            } else {
                let names: Vec<String> = slot.iter().map(|c| (c + 1).to_string()).collect();
                let _ = write!(out, " {}", names.join("="));
            }
        }
        out.push_str(" 0\n");
    }
    out.push_str("0\n");
    for name in &election.candidates {
        let _ = writeln!(out, "{}", quoted(name));
    }
    let _ = writeln!(out, "{}", quoted(title.unwrap_or("")));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<ElectionFile, ReadError> {
        read(text, &mut |_| {})
    }

    #[test]
    fn reads_withdrawn_ties_ids_and_title() {
        let f = parse("4 2\n-4\n3 1 2 0\n1 2=3 1 0\n(x y) 2 3 0\n1 1 2 0\n0\n\"Alice\"\n\"Bob\" \"Carol\" \"Dan\"\n\"Board\"\n")
            .unwrap();
        assert_eq!(f.seats, Some(2));
        assert_eq!(f.title.as_deref(), Some("Board"));
        assert_eq!(f.election.candidates, ["Alice", "Bob", "Carol", "Dan"]);
        assert_eq!(f.election.withdrawn, [3]);
        assert_eq!(f.election.ballots[0].count, 4);
        assert_eq!(f.election.ballots[1].ranks, vec![vec![1, 2], vec![0]]);
    }

    #[test]
    fn write_then_read_round_trips() {
        use crate::tally::Ballot;
        let e = Election {
            candidates: vec!["A \"x\"".into(), "B".into(), "C".into()],
            withdrawn: vec![2],
            ballots: vec![
                Ballot {
                    ranks: vec![vec![0], vec![], vec![1, 2]],
                    count: 2,
                },
                Ballot::strict(&[1], 1),
                Ballot {
                    ranks: vec![],
                    count: 1,
                },
            ],
        };
        let text = write(Some("Board"), 2, &e);
        assert_eq!(
            text,
            "3 2\n-3\n2 1 - 2=3 0\n1 2 0\n1 0\n0\n\"A 'x'\"\n\"B\"\n\"C\"\n\"Board\"\n"
        );
        let back = parse(&text).unwrap();
        assert_eq!(back.election.ballots, e.ballots);
        assert_eq!(back.election.withdrawn, [2]);
        assert_eq!(back.seats, Some(2));
    }

    #[test]
    fn errors_name_the_line() {
        for (text, line, what) in [
            ("2 1\n1 1 3 0\n0\n\"A\" \"B\"\n", 2, "from 1 to 2"),
            ("2 1\n1 1 1 0\n0\n\"A\" \"B\"\n", 2, "more than once"),
            ("2 1\n0 1 0\n0\n\"A\" \"B\"\n", 2, "positive"),
            ("2 1\n1 1 0\n-1 1 0\n0\n\"A\" \"B\"\n", 3, "negative"),
            ("2 1\n1 1 2\n0\n\"A\" \"B\"\n", 2, "end with 0"),
            ("2 1\n1 1 0\n0\n\"A\"\n", 5, "2 quoted candidate names"),
            ("2 1\n1 1 0\n0\nA B\n", 4, "quoted"),
            ("x\n", 1, "<candidates> <seats>"),
        ] {
            let e = parse(text).unwrap_err();
            assert_eq!(e.line().unwrap_or(0), line, "{text:?}: {e}");
            assert!(e.message.contains(what), "{text:?}: {e}");
        }
    }
}
