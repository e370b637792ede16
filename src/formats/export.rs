//! Writers of PrefLib and BLT, for the API's ballot export (the readers are in
//! [`super::preflib`] and [`super::blt`], and read these files back).
//!
//! Both take grouped strict or tied rankings; ballot groups are written in the
//! order given (the API gives them in order of first appearance in the receipt
//! order, so the files are stable).

use std::fmt::Write as _;

use crate::tally::Election;

/// Names are single-line by construction; make sure of it for line-based formats.
fn one_line(name: &str) -> String {
    name.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

/// A PrefLib `soi`/`toi` file (current format): strict (or, with ties, tied)
/// incomplete orders. Ballots that rank nobody cannot be written in PrefLib and
/// are left out (the API only has such ballots when every candidate a voter
/// ranked was removed after voting).
pub fn write_preflib(election: &Election, title: &str) -> String {
    let n = election.candidates.len();
    let ties = election
        .ballots
        .iter()
        .any(|b| b.ranks.iter().any(|slot| slot.len() > 1));
    let data_type = if ties { "toi" } else { "soi" };
    let written: Vec<_> = election
        .ballots
        .iter()
        .filter(|b| b.ranks.iter().any(|slot| !slot.is_empty()))
        .collect();
    let voters: u64 = written.iter().map(|b| b.count).sum();
    let mut out = String::new();
    let _ = writeln!(out, "# FILE NAME: ballots.{data_type}");
    let _ = writeln!(out, "# TITLE: {}", one_line(title));
    let _ = writeln!(
        out,
        "# DESCRIPTION: anonymised ballots exported by Christen"
    );
    let _ = writeln!(out, "# DATA TYPE: {data_type}");
    let _ = writeln!(out, "# MODIFICATION TYPE: original");
    let _ = writeln!(out, "# NUMBER ALTERNATIVES: {n}");
    let _ = writeln!(out, "# NUMBER VOTERS: {voters}");
    let _ = writeln!(out, "# NUMBER UNIQUE ORDERS: {}", written.len());
    for (i, name) in election.candidates.iter().enumerate() {
        let _ = writeln!(out, "# ALTERNATIVE NAME {}: {}", i + 1, one_line(name));
    }
    for b in written {
        let _ = write!(out, "{}: ", b.count);
        let mut first = true;
        for slot in b.ranks.iter().filter(|s| !s.is_empty()) {
            if !first {
                out.push(',');
            }
            first = false;
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

/// A BLT file: `<candidates> <seats>`, one line per ballot group (`count`, then
/// 1-based candidates, ending in 0; `a=b` for a tie), `0`, the quoted names and
/// the quoted title. BLT cannot quote `"` inside a name; it is written as `'`.
pub fn write_blt(election: &Election, seats: u32, title: &str) -> String {
    let quote = |s: &str| format!("\"{}\"", one_line(s).replace('"', "'"));
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
    for b in &election.ballots {
        let _ = write!(out, "{}", b.count);
        for slot in &b.ranks {
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
        let _ = writeln!(out, "{}", quote(name));
    }
    let _ = writeln!(out, "{}", quote(title));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::formats::{blt, preflib};
    use crate::tally::Ballot;

    fn election() -> Election {
        Election {
            candidates: vec![
                "Alpha, the first".into(),
                "Beta \"B\"".into(),
                "Gamma".into(),
            ],
            withdrawn: vec![],
            ballots: vec![
                Ballot::strict(&[2, 0], 3),
                Ballot::strict(&[1], 1),
                Ballot::strict(&[0, 1, 2], 2),
            ],
        }
    }

    #[test]
    fn preflib_reads_back_the_same_election() {
        let text = write_preflib(&election(), "Name the blog");
        let back = preflib::read(&text, &mut |_| {}).unwrap();
        assert_eq!(back.election.ballots, election().ballots);
        assert_eq!(back.election.candidates, election().candidates);
        assert_eq!(back.title.as_deref(), Some("Name the blog"));
    }

    #[test]
    fn blt_reads_back_the_same_election() {
        let text = write_blt(&election(), 1, "Name the blog");
        let back = blt::read(&text, &mut |_| {}).unwrap();
        assert_eq!(back.election.ballots, election().ballots);
        assert_eq!(back.election.candidates[0], "Alpha, the first");
        assert_eq!(back.election.candidates[1], "Beta 'B'");
        assert_eq!(back.seats, Some(1));
    }
}
