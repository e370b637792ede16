//! Real elections with official results (`real/`). Expected winners and counts
//! are read from `real/README.md`, which states the official outcomes:
//! - Debian 2006, 2007, 2020 (tally sheets): Schulze winner, unranked options
//!   below every ranked one;
//! - Burlington 2006 and 2009 (PrefLib `.toi`): IRV winner and exact round-1
//!   counts, and the Schulze winner in 2009;
//! - Dublin North and Dublin West 2002 (PrefLib `.soi`): the STV winner sets.

use std::path::Path;

use christen::formats::debian::read_debian_tally;
use christen::formats::preflib;
use christen::tally::{count, Election, Method, Options, Report};

use crate::common::{read, Outcome};

pub fn cases(root: &Path) -> Vec<Outcome> {
    let dir = root.join("real");
    let readme = match read(&dir.join("README.md")) {
        Ok(t) => t,
        Err(e) => return vec![Outcome::new("real", Err(e))],
    };
    let mut out = Vec::new();
    for year in ["2006", "2007", "2020"] {
        out.push(Outcome::new(
            format!("real/debian_tally/leader{year}: Schulze winner"),
            debian(&dir, &readme, year),
        ));
    }
    for (file, year) in [
        ("00005-00000001.toi", "2006"),
        ("00005-00000002.toi", "2009"),
    ] {
        out.push(Outcome::new(
            format!("real/preflib/{file} (Burlington {year}): IRV winner and round-1 counts"),
            burlington_irv(&dir, &readme, file, year),
        ));
    }
    out.push(Outcome::new(
        "real/preflib/00005-00000002.toi (Burlington 2009): Schulze winner",
        burlington_schulze(&dir, &readme),
    ));
    for (file, place) in [
        ("00001-00000001.soi", "Dublin North"),
        ("00001-00000002.soi", "Dublin West"),
    ] {
        out.push(Outcome::new(
            format!("real/preflib/{file} ({place} 2002): STV winner set"),
            dublin(&dir, &readme, file, place),
        ));
    }
    out
}

fn run(election: &Election, method: Method, seats: u32) -> Result<Report<u32>, String> {
    let options = Options {
        seats,
        ..Options::default()
    };
    count(election, method, &options).map_err(|e| format!("{method}: {e}"))
}

fn load_preflib(dir: &Path, file: &str) -> Result<Election, String> {
    let text = read(&dir.join("preflib").join(file))?;
    preflib::read(&text, &mut |_| {})
        .map(|f| f.election)
        .map_err(|e| format!("{file}: {e}"))
}

/// The one candidate whose name contains `wanted` (case-insensitive).
fn find(election: &Election, wanted: &str) -> Result<u32, String> {
    let w = wanted.to_lowercase();
    let hits: Vec<usize> = election
        .candidates
        .iter()
        .enumerate()
        .filter(|(_, n)| n.to_lowercase().contains(&w))
        .map(|(i, _)| i)
        .collect();
    match hits.as_slice() {
        [one] => Ok(*one as u32),
        [] => Err(format!(
            "no candidate named like {wanted:?} in {:?}",
            election.candidates
        )),
        _ => Err(format!("several candidates named like {wanted:?}")),
    }
}

fn winner_name(election: &Election, report: &Report<u32>) -> String {
    report.winners.first().map_or_else(
        || "nobody".to_owned(),
        |&w| election.candidates[w as usize].clone(),
    )
}

/// `| leader2006_tally.txt | 421 | Anthony Towns (debian.org/…) | …` → "Anthony Towns".
fn debian_expected(readme: &str, year: &str) -> Result<String, String> {
    let file = format!("leader{year}_tally.txt");
    let row = readme
        .lines()
        .find(|l| l.starts_with('|') && l.contains(&file))
        .ok_or_else(|| format!("README has no table row for {file}"))?;
    let cols: Vec<&str> = row.split('|').map(str::trim).collect();
    let official = cols
        .get(3)
        .ok_or_else(|| format!("README row for {file} has no winner column"))?;
    Ok(official
        .split(" (")
        .next()
        .unwrap_or(official)
        .trim()
        .to_owned())
}

fn debian(dir: &Path, readme: &str, year: &str) -> Result<(), String> {
    let want = debian_expected(readme, year)?;
    let path = dir
        .join("debian_tally")
        .join(format!("leader{year}_tally.txt"));
    let bytes = std::fs::read(&path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let election = read_debian_tally(&bytes[..]).map_err(|e| e.to_string())?;
    let report = run(&election, Method::Schulze, 1)?;
    let got = winner_name(&election, &report);
    if got != want {
        return Err(format!("Schulze winner expected {want}, got {got}"));
    }
    Ok(())
}

/// `(name, count)` pairs of a README line such as `- 2006 R1: Kiss 3,809, Miller 3,106, …`.
fn name_counts(text: &str) -> Vec<(String, u64)> {
    let mut out = Vec::new();
    let mut words: Vec<&str> = Vec::new();
    for token in text.split(' ') {
        let t = token.trim_end_matches(',');
        let digits: String = t.chars().filter(|c| *c != ',').collect();
        if !digits.is_empty() && digits.chars().all(|c| c.is_ascii_digit()) && !words.is_empty() {
            if let Ok(n) = digits.parse() {
                out.push((words.join(" "), n));
            }
            words.clear();
        } else if !t.is_empty() {
            words.push(t);
        }
    }
    out
}

/// The README paragraph about one Burlington year: its round-1 line and final line.
fn burlington_expected(readme: &str, year: &str) -> Result<(Vec<(String, u64)>, String), String> {
    let r1_line = readme
        .lines()
        .find(|l| l.contains(&format!("{year} R1:")))
        .ok_or_else(|| format!("README has no \"{year} R1:\" line"))?;
    let r1_text = r1_line.split("R1:").nth(1).unwrap_or("");
    let r1_text = r1_text.split("->").next().unwrap_or(r1_text);
    let r1 = name_counts(r1_text);
    if r1.is_empty() {
        return Err(format!("README's {year} round-1 line has no counts"));
    }
    // The official last round follows the round-1 line: "Official R2 (…): Kiss 4,761 - Miller 3,986"
    // or "Official final: Kiss 4,313 - Wright 4,061".
    let after: Vec<&str> = readme
        .lines()
        .skip_while(|l| *l != r1_line)
        .skip(1)
        .collect();
    let final_line = after
        .iter()
        .find(|l| l.contains("Official R") || l.contains("Official final"))
        .ok_or_else(|| format!("README has no official final round for {year}"))?;
    let text = final_line
        .split("):")
        .nth(1)
        .or_else(|| final_line.split("final:").nth(1))
        .unwrap_or("");
    let text = text
        .split('.')
        .next()
        .unwrap_or(text)
        .split(" (")
        .next()
        .unwrap_or(text);
    let finals = name_counts(&text.replace(" - ", " "));
    let winner = finals
        .iter()
        .max_by_key(|(_, n)| *n)
        .map(|(name, _)| name.clone())
        .ok_or_else(|| format!("README's {year} final round has no counts"))?;
    Ok((r1, winner))
}

fn burlington_irv(dir: &Path, readme: &str, file: &str, year: &str) -> Result<(), String> {
    let (r1, winner) = burlington_expected(readme, year)?;
    let election = load_preflib(dir, file)?;
    let report = run(&election, Method::Irv, 1)?;
    let round1 = report.rounds.first().ok_or("IRV report has no rounds")?;
    for (name, want) in &r1 {
        let c = find(&election, name)?;
        let got = round1
            .counts
            .iter()
            .find(|t| t.candidate == c)
            .map(|t| t.votes)
            .ok_or_else(|| format!("round 1: {name} is not counted"))?;
        if got != christen::tally::Votes::whole(*want) {
            return Err(format!("round 1: {name} expected {want} votes, got {got}"));
        }
    }
    let want = find(&election, &winner)?;
    if report.winners.first() != Some(&want) {
        return Err(format!(
            "IRV winner expected {}, got {}",
            election.candidates[want as usize],
            winner_name(&election, &report)
        ));
    }
    Ok(())
}

fn burlington_schulze(dir: &Path, readme: &str) -> Result<(), String> {
    let line = readme
        .lines()
        .find(|l| l.contains("recomputed Schulze = "))
        .ok_or("README does not name the 2009 Schulze winner")?;
    let name: String = line
        .split("recomputed Schulze = ")
        .nth(1)
        .unwrap_or("")
        .chars()
        .take_while(|c| c.is_alphabetic())
        .collect();
    let election = load_preflib(dir, "00005-00000002.toi")?;
    let want = find(&election, &name)?;
    let report = run(&election, Method::Schulze, 1)?;
    if report.winners.first() != Some(&want) {
        return Err(format!(
            "Schulze winner expected {}, got {}",
            election.candidates[want as usize],
            winner_name(&election, &report)
        ));
    }
    Ok(())
}

/// `Elected: Dublin West - Brian Lenihan (FF), Joe Higgins (SP), …; Dublin North - …`.
fn dublin_expected(readme: &str, place: &str) -> Result<Vec<String>, String> {
    // The "- Elected: …" bullet, with its indented continuation lines.
    let lines: Vec<&str> = readme.lines().collect();
    let at = lines
        .iter()
        .position(|l| l.contains("Elected:"))
        .ok_or("README has no \"Elected:\" bullet")?;
    let mut bullet = lines[at].to_owned();
    for l in &lines[at + 1..] {
        if !l.starts_with("  ") {
            break;
        }
        bullet.push(' ');
        bullet.push_str(l.trim());
    }
    let line = bullet.as_str();
    let start = line
        .find(&format!("{place} - "))
        .ok_or_else(|| format!("no \"{place} - \" in {line:?}"))?;
    let rest = &line[start + place.len() + 3..];
    let mut names = Vec::new();
    let mut remaining = rest;
    // Each name is followed by its party in parentheses; stop at the first
    // parenthesis that is not directly after a name (a source note) or at ';'.
    while let Some(open) = remaining.find(" (") {
        let name = remaining[..open].trim_start_matches([',', ' ']).trim();
        if name.is_empty() || name.contains(';') || name.contains('[') || name.contains(']') {
            break;
        }
        names.push(name.to_owned());
        match remaining[open..].find(')') {
            Some(close) => remaining = &remaining[open + close + 1..],
            None => break,
        }
        if !remaining.starts_with(',') {
            break;
        }
    }
    if names.is_empty() {
        return Err(format!("no elected names for {place} in README"));
    }
    Ok(names)
}

fn dublin(dir: &Path, readme: &str, file: &str, place: &str) -> Result<(), String> {
    let names = dublin_expected(readme, place)?;
    let election = load_preflib(dir, file)?;
    let mut want: Vec<u32> = names
        .iter()
        .map(|n| find(&election, n))
        .collect::<Result<_, _>>()?;
    want.sort_unstable();
    let report = run(&election, Method::Stv, names.len() as u32)?;
    let mut got = report.winners.clone();
    got.sort_unstable();
    if got != want {
        let show = |v: &[u32]| {
            v.iter()
                .map(|&c| election.candidates[c as usize].clone())
                .collect::<Vec<_>>()
        };
        return Err(format!(
            "STV winners ({} seats) expected {:?}, got {:?}",
            names.len(),
            show(&want),
            show(&got)
        ));
    }
    Ok(())
}
