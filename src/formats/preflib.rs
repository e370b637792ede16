//! PrefLib ordinal data: `.soc`, `.soi`, `.toc`, `.toi` (preflib.org/format).
//!
//! Current format: `#` header lines (`# TITLE: …`, `# NUMBER ALTERNATIVES: n`,
//! `# ALTERNATIVE NAME i: name`), then one line per distinct ranking,
//! `count: a,b,{c,d},e` — 1-based alternative numbers, braces around a tie.
//!
//! Older format (PrefLib before 2022): a line with the number of alternatives n,
//! n lines `i,name`, a line `voters,sum of counts,distinct rankings`, then
//! lines `count,a,b,{c,d}`.

use std::fmt::Write as _;

use super::election_file::{ElectionFile, Progress};
use super::read_error::ReadError;

use super::group::Grouper;
use super::lines::{numbered_lines, parse_count};
use crate::tally::{Ballot, Election};

const FORMAT: &str = "PrefLib";

const PROGRESS_EVERY: usize = 1 << 16;

/// Reads a PrefLib file (either format).
pub fn read(text: &str, progress: Progress<'_>) -> Result<ElectionFile, ReadError> {
    let first = text
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .ok_or_else(|| {
            ReadError::at_line(FORMAT, 1, "expected a PrefLib file, found an empty file")
        })?;
    if first.starts_with('#') {
        read_current(text, progress)
    } else {
        read_old(text, progress)
    }
}

fn read_current(text: &str, progress: Progress<'_>) -> Result<ElectionFile, ReadError> {
    let mut header = Header::default();
    let mut grouper: Option<Grouper> = None;
    let mut final_names: Vec<String> = Vec::new();
    for (no, line, offset) in numbered_lines(text) {
        if no % PROGRESS_EVERY == 0 {
            progress(offset);
        }
        let t = line.trim();
        if t.is_empty() {
            continue;
        }
        if let Some(meta) = t.strip_prefix('#') {
            if grouper.is_none() {
                header.read(no, meta)?;
            } // else a comment after the data
            continue;
        }
        let g = match &mut grouper {
            Some(g) => g,
            None => {
                let n = header.alternatives(no)?;
                final_names = header.final_names(n);
                grouper.insert(Grouper::new(n))
            }
        };
        let (count, ranking) = t.split_once(':').ok_or_else(|| {
            ReadError::at_line(
                FORMAT,
                no,
                format!("expected \"count: ranking\", found {t:?}"),
            )
        })?;
        data_line(no, count, ranking, g, &final_names)?;
    }
    let grouper = match grouper {
        Some(g) => g,
        None => {
            // A header and no rankings: an election without ballots.
            let n = header.declared.unwrap_or(header.names.len());
            final_names = header.final_names(n.max(header.names.len()));
            Grouper::new(n)
        }
    };
    Ok(ElectionFile {
        election: Election {
            candidates: final_names,
            withdrawn: vec![],
            ballots: grouper.into_ballots(),
        },
        title: header.title,
        seats: None,
        rules: None,
        ballot_digest: None,
    })
}

/// What the `# KEY: value` lines of the current format say.
#[derive(Default)]
struct Header {
    /// `NUMBER ALTERNATIVES`.
    declared: Option<usize>,
    /// `ALTERNATIVE NAME i`, by `i - 1`.
    names: Vec<Option<String>>,
    title: Option<String>,
}

impl Header {
    /// Reads one header line (after its `#`); unknown keys and comments are
    /// passed over.
    fn read(&mut self, no: usize, meta: &str) -> Result<(), ReadError> {
        let Some((key, value)) = meta.trim().split_once(':') else {
            return Ok(());
        };
        let (key, value) = (key.trim(), value.trim());
        if key == "NUMBER ALTERNATIVES" {
            let n = value.parse().map_err(|_| {
                ReadError::at_line(
                    FORMAT,
                    no,
                    format!("expected a number of alternatives, found {value:?}"),
                )
            })?;
            self.declared = Some(n);
        } else if key == "TITLE" && !value.is_empty() {
            self.title = Some(value.to_string());
        } else if let Some(i) = key.strip_prefix("ALTERNATIVE NAME") {
            let i: usize = i.trim().parse().ok().filter(|&i| i >= 1).ok_or_else(|| {
                ReadError::at_line(
                    FORMAT,
                    no,
                    format!("expected \"ALTERNATIVE NAME <number>:\", found {key:?}"),
                )
            })?;
            if self.names.len() < i {
                self.names.resize(i, None);
            }
            if self.names[i - 1].is_some() {
                return Err(ReadError::at_line(
                    FORMAT,
                    no,
                    format!("alternative {i} is named twice"),
                ));
            }
            self.names[i - 1] = Some(value.to_string());
        }
        Ok(())
    }

    /// The number of alternatives, when the first ranking (line `no`) comes.
    fn alternatives(&self, no: usize) -> Result<usize, ReadError> {
        match self.declared {
            Some(n) if n < self.names.len() => Err(ReadError::at_line(FORMAT,
                no,
                format!(
                    "expected at most {n} alternatives (the header declares {n}), found alternative {}",
                    self.names.len()
                ),
            )),
            Some(n) => Ok(n),
            None if !self.names.is_empty() => Ok(self.names.len()),
            None => Err(ReadError::at_line(FORMAT,
                no,
                "expected \"# NUMBER ALTERNATIVES: n\" or \"# ALTERNATIVE NAME i: …\" lines before the rankings",
            )),
        }
    }

    /// The names of `n` alternatives: as named, else `Alternative i`.
    fn final_names(&mut self, n: usize) -> Vec<String> {
        self.names.resize(n, None);
        self.names
            .iter()
            .enumerate()
            .map(|(i, n)| {
                n.clone()
                    .unwrap_or_else(|| format!("Alternative {}", i + 1))
            })
            .collect()
    }
}

fn read_old(text: &str, progress: Progress<'_>) -> Result<ElectionFile, ReadError> {
    let mut lines = numbered_lines(text).filter(|(_, l, _)| !l.trim().is_empty());
    let (no, first, _) = lines
        .next()
        .ok_or_else(|| ReadError::at_line(FORMAT, 1, "expected the number of alternatives"))?;
    let n: usize = first.trim().parse().map_err(|_| {
        ReadError::at_line(
            FORMAT,
            no,
            format!(
                "expected the number of alternatives, found {:?}",
                first.trim()
            ),
        )
    })?;
    let mut names = vec![None; n];
    for _ in 0..n {
        let (no, line, _) = lines.next().ok_or_else(|| {
            ReadError::at_line(
                FORMAT,
                no,
                "expected a line \"number,name\" for each alternative",
            )
        })?;
        let (i, name) = line.split_once(',').ok_or_else(|| {
            ReadError::at_line(
                FORMAT,
                no,
                format!("expected \"number,name\", found {:?}", line.trim()),
            )
        })?;
        let i: usize = i
            .trim()
            .parse()
            .ok()
            .filter(|&i| (1..=n).contains(&i))
            .ok_or_else(|| {
                ReadError::at_line(
                    FORMAT,
                    no,
                    format!(
                        "expected an alternative number from 1 to {n}, found {:?}",
                        i.trim()
                    ),
                )
            })?;
        if names[i - 1].is_some() {
            return Err(ReadError::at_line(
                FORMAT,
                no,
                format!("alternative {i} is named twice"),
            ));
        }
        names[i - 1] = Some(name.trim().to_string());
    }
    let names: Vec<String> = names
        .into_iter()
        .enumerate()
        .map(|(i, n)| n.unwrap_or_else(|| format!("Alternative {}", i + 1)))
        .collect();
    let last = no + n;
    let (no, totals, _) = lines.next().ok_or_else(|| {
        ReadError::at_line(
            FORMAT,
            last + 1,
            "expected \"voters,sum of counts,distinct rankings\"",
        )
    })?;
    let parts: Vec<&str> = totals.split(',').map(str::trim).collect();
    if parts.len() != 3 || parts.iter().any(|p| p.parse::<u64>().is_err()) {
        return Err(ReadError::at_line(
            FORMAT,
            no,
            format!(
                "expected \"voters,sum of counts,distinct rankings\", found {:?}",
                totals.trim()
            ),
        ));
    }
    let mut g = Grouper::new(n);
    for (no, line, offset) in lines {
        if no % PROGRESS_EVERY == 0 {
            progress(offset);
        }
        let (count, ranking) = line.split_once(',').unwrap_or((line, ""));
        data_line(no, count, ranking, &mut g, &names)?;
    }
    Ok(ElectionFile {
        election: Election {
            candidates: names,
            withdrawn: vec![],
            ballots: g.into_ballots(),
        },
        title: None,
        seats: None,
        rules: None,
        ballot_digest: None,
    })
}

fn data_line(
    no: usize,
    count: &str,
    ranking: &str,
    g: &mut Grouper,
    names: &[String],
) -> Result<(), ReadError> {
    let count = parse_count(count).map_err(|m| ReadError::at_line(FORMAT, no, m))?;
    g.begin();
    parse_ranking(ranking, g, names).map_err(|m| ReadError::at_line(FORMAT, no, m))?;
    g.finish(count)
        .map_err(|e| ReadError::at_line(FORMAT, no, e.message(names)))
}

/// Parses `a,b,{c,d},e` into the grouper's current ballot.
fn parse_ranking(s: &str, g: &mut Grouper, names: &[String]) -> Result<(), String> {
    let b = s.as_bytes();
    let mut i = 0;
    let skip_ws = |i: &mut usize| {
        while *i < b.len() && (b[*i] == b' ' || b[*i] == b'\t') {
            *i += 1;
        }
    };
    let number = |i: &mut usize| -> Result<u32, String> {
        let start = *i;
        let mut v: u64 = 0;
        while *i < b.len() && b[*i].is_ascii_digit() {
            v = v.saturating_mul(10).saturating_add((b[*i] - b'0') as u64);
            *i += 1;
        }
        if *i == start {
            let rest: String = s[start..].chars().take(12).collect();
            return Err(format!("expected an alternative number, found {rest:?}"));
        }
        if v == 0 || v > names.len() as u64 {
            return Err(format!(
                "expected an alternative number from 1 to {}, found {v}",
                names.len()
            ));
        }
        Ok((v - 1) as u32)
    };
    skip_ws(&mut i);
    if i == b.len() {
        return Ok(()); // an empty ranking
    }
    loop {
        skip_ws(&mut i);
        if i < b.len() && b[i] == b'{' {
            i += 1;
            loop {
                skip_ws(&mut i);
                let c = number(&mut i)?;
                g.push(c).map_err(|e| e.message(names))?;
                skip_ws(&mut i);
                match b.get(i) {
                    Some(b',') => i += 1,
                    Some(b'}') => {
                        i += 1;
                        break;
                    }
                    _ => return Err("expected ',' or '}' inside a tie {…}".to_string()),
                }
            }
        } else {
            let c = number(&mut i)?;
            g.push(c).map_err(|e| e.message(names))?;
        }
        g.end_rank();
        skip_ws(&mut i);
        match b.get(i) {
            None => return Ok(()),
            Some(b',') => i += 1,
            Some(&other) => {
                return Err(format!(
                    "expected ',' between ranks, found {:?}",
                    other as char
                ))
            }
        }
    }
}

/// One line for a name or title: PrefLib headers cannot hold line breaks.
fn one_line(s: &str) -> String {
    s.replace(['\r', '\n'], " ")
}

/// Writes `ballots` in PrefLib's current format (`.soi`, `.soc`, `.toi` or
/// `.toc` as the data require; the header's `DATA TYPE` says which). Rankings
/// are sorted by count (largest first), then by ranking, so the same ballots
/// always give the same file. Skipped ranks are closed up (PrefLib has none);
/// ties are written in braces.
pub fn write(title: Option<&str>, election: &Election) -> String {
    let n = election.candidates.len();
    let mut rows: Vec<(u64, Vec<Vec<u32>>)> = election
        .ballots
        .iter()
        .filter(|b| b.count > 0)
        .map(|b: &Ballot| {
            let ranks: Vec<Vec<u32>> = b
                .ranks
                .iter()
                .filter(|s| !s.is_empty())
                .map(|s| {
                    let mut s = s.clone();
                    s.sort_unstable();
                    s
                })
                .collect();
            (b.count, ranks)
        })
        .collect();
    // Merge rankings that became equal once skipped ranks were closed up.
    rows.sort_by(|a, b| a.1.cmp(&b.1));
    let mut merged: Vec<(u64, Vec<Vec<u32>>)> = Vec::with_capacity(rows.len());
    for (c, r) in rows {
        match merged.last_mut() {
            Some((mc, mr)) if *mr == r => *mc = mc.saturating_add(c),
            _ => merged.push((c, r)),
        }
    }
    merged.sort_by(|a, b| b.0.cmp(&a.0).then_with(|| a.1.cmp(&b.1)));
    let ties = merged.iter().any(|(_, r)| r.iter().any(|s| s.len() > 1));
    let complete = merged
        .iter()
        .all(|(_, r)| r.iter().map(Vec::len).sum::<usize>() == n);
    let kind = match (ties, complete) {
        (false, true) => "soc",
        (false, false) => "soi",
        (true, true) => "toc",
        (true, false) => "toi",
    };
    let voters: u64 = merged.iter().map(|(c, _)| *c).fold(0, u64::saturating_add);
    let mut out = String::new();
    if let Some(t) = title {
        let _ = writeln!(out, "# TITLE: {}", one_line(t));
    }
    let _ = writeln!(out, "# DATA TYPE: {kind}");
    let _ = writeln!(out, "# NUMBER ALTERNATIVES: {n}");
    let _ = writeln!(out, "# NUMBER VOTERS: {voters}");
    let _ = writeln!(out, "# NUMBER UNIQUE ORDERS: {}", merged.len());
    for (i, name) in election.candidates.iter().enumerate() {
        let _ = writeln!(out, "# ALTERNATIVE NAME {}: {}", i + 1, one_line(name));
    }
    for (count, ranks) in &merged {
        let _ = write!(out, "{count}:");
        for (i, slot) in ranks.iter().enumerate() {
            out.push_str(if i == 0 { " " } else { "," });
            if slot.len() == 1 {
                let _ = write!(out, "{}", slot[0] + 1);
            } else {
                let inner: Vec<String> = slot.iter().map(|c| (c + 1).to_string()).collect();
                let _ = write!(out, "{{{}}}", inner.join(","));
            }
        }
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<ElectionFile, ReadError> {
        read(text, &mut |_| {})
    }

    #[test]
    fn current_format_with_ties() {
        let f = parse(
            "# TITLE: Test\n# NUMBER ALTERNATIVES: 3\n# ALTERNATIVE NAME 1: A\n# ALTERNATIVE NAME 2: B\n# ALTERNATIVE NAME 3: C\n3: 1,2,3\n2: {1,2},3\n1: 3\n1: 1,2,3\n",
        )
        .unwrap();
        assert_eq!(f.title.as_deref(), Some("Test"));
        assert_eq!(f.election.candidates, ["A", "B", "C"]);
        let b = &f.election.ballots;
        assert_eq!(b.len(), 3);
        assert_eq!(b[0].count, 4);
        assert_eq!(b[1].ranks, vec![vec![0, 1], vec![2]]);
    }

    #[test]
    fn write_then_read_round_trips() {
        let e = Election {
            candidates: vec!["A".into(), "B".into(), "C".into()],
            withdrawn: vec![],
            ballots: vec![
                Ballot {
                    ranks: vec![vec![2], vec![], vec![1, 0]],
                    count: 2,
                },
                Ballot::strict(&[0, 1], 5),
                Ballot::strict(&[2, 0, 1], 2),
            ],
        };
        let text = write(Some("T"), &e);
        assert!(text.contains("# DATA TYPE: toi\n"), "{text}");
        assert!(text.contains("\n5: 1,2\n2: 3,1,2\n2: 3,{1,2}\n"), "{text}");
        let back = parse(&text).unwrap();
        assert_eq!(back.title.as_deref(), Some("T"));
        assert_eq!(back.election.ballots.len(), 3);
        assert_eq!(write(Some("T"), &back.election), text);
    }

    #[test]
    fn old_format() {
        let f = parse("3\n1,Alice\n2,Bob, Jr\n3,Carol\n6,6,2\n4,1,2,3\n2,3,{1,2}\n").unwrap();
        assert_eq!(f.election.candidates, ["Alice", "Bob, Jr", "Carol"]);
        assert_eq!(f.election.ballots[1].ranks, vec![vec![2], vec![0, 1]]);
    }

    #[test]
    fn errors_name_the_line() {
        let head = "# NUMBER ALTERNATIVES: 2\n# ALTERNATIVE NAME 1: A\n# ALTERNATIVE NAME 2: B\n";
        for (body, line, what) in [
            ("1: 1,2\n1: 1,3\n", 5, "from 1 to 2"),
            ("1: 1,1\n", 4, "more than once"),
            ("0: 1\n", 4, "positive"),
            ("-2: 1\n", 4, "negative"),
            ("x: 1\n", 4, "whole"),
            ("1: 1;2\n", 4, "','"),
            ("1 1,2\n", 4, "count: ranking"),
        ] {
            let e = parse(&format!("{head}{body}")).unwrap_err();
            assert_eq!(e.line().unwrap_or(0), line, "{body}: {e}");
            assert!(e.message.contains(what), "{body}: {e}");
        }
    }
}
