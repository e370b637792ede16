//! The Condorcet PHP library's test profiles (`condorcet/condorcet_test_profiles.json`).
//!
//! Each profile's events are replayed in order (votes added, options set) and every
//! normalised expectation (`winner` or `ranking`) is checked at the point it was
//! asserted, for the methods and variants Christen implements:
//! `Schulze`/`Schulze Winning` → schulze, `Copeland` → copeland,
//! `Borda Count` → borda, `Fptp` → plurality, `InstantRunoff` → irv.
//! Where the library reports co-winners, Christen's winner must be one of them
//! and its tie-break log must say a tie was broken. Rankings must list the same
//! groups of equal candidates in the same order.
//!
//! Not checked, each printed as SKIP with the reason: STV and CPO-STV (the
//! library's STV is a simplified one, see its README), variants Christen does not
//! implement (Schulze margin/ratio, Ranked Pairs by winning votes, Borda starting
//! at 0, method options), methods Christen does not have, and Condorcet-method
//! expectations on partial ballots with `implicitRanking: false` (unranked
//! candidates not ranked below the others, which Christen's ballots cannot say).

use std::path::Path;

use christen::tally::{count, Ballot, Election, Method, Options};
use serde_json::Value;

use crate::common::{read, Outcome};

/// What one expectation comes to.
pub enum Check {
    Done(Outcome),
    Skip(String, String),
}

pub fn cases(root: &Path) -> Vec<Check> {
    let path = root.join("condorcet").join("condorcet_test_profiles.json");
    let doc: Value =
        match read(&path).and_then(|t| serde_json::from_str(&t).map_err(|e| e.to_string())) {
            Ok(d) => d,
            Err(e) => return vec![Check::Done(Outcome::new("condorcet", Err(e)))],
        };
    let Some(list) = doc.get("cases").and_then(Value::as_array) else {
        return vec![Check::Done(Outcome::new(
            "condorcet",
            Err("no \"cases\" array".to_owned()),
        ))];
    };
    let mut out = Vec::new();
    for (i, case) in list.iter().enumerate() {
        let file = case.get("file").and_then(Value::as_str).unwrap_or("?");
        let file = file
            .rsplit('/')
            .next()
            .unwrap_or(file)
            .trim_end_matches(".php");
        let test = case.get("test").and_then(Value::as_str).unwrap_or("?");
        replay(&format!("condorcet/{i}:{file}:{test}"), case, &mut out);
    }
    out
}

#[derive(Default)]
struct State {
    candidates: Vec<String>,
    /// Candidates come from the votes (the profile declares none of its own).
    inferred: bool,
    votes: Vec<String>,
    weights: bool,
    implicit: bool,
    options_set: bool,
}

fn replay(name: &str, case: &Value, out: &mut Vec<Check>) {
    let mut st = State {
        implicit: true,
        inferred: case
            .get("candidates_inferred")
            .and_then(Value::as_bool)
            .unwrap_or(false),
        ..State::default()
    };
    let mut n = 0;
    for event in case
        .get("events")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let kind = event.get("kind").and_then(Value::as_str).unwrap_or("");
        let value = event.get("value");
        match kind {
            "candidate" => {
                if let Some(c) = value.and_then(Value::as_str) {
                    if !st.candidates.iter().any(|x| x == c) {
                        st.candidates.push(c.to_owned());
                    }
                }
            }
            "candidates" => {
                for c in value.and_then(Value::as_array).into_iter().flatten() {
                    if let Some(c) = c.as_str() {
                        if !st.candidates.iter().any(|x| x == c) {
                            st.candidates.push(c.to_owned());
                        }
                    }
                }
            }
            "votes" => {
                for v in value.and_then(Value::as_array).into_iter().flatten() {
                    if let Some(v) = v.as_str() {
                        st.votes.push(v.to_owned());
                    }
                }
            }
            "voteWeight" => st.weights = value.and_then(Value::as_bool).unwrap_or(false),
            "implicitRanking" => st.implicit = value.and_then(Value::as_bool).unwrap_or(true),
            "methodOption" => st.options_set = true,
            "expect" => {
                let Some(norm) = event.get("normalized") else {
                    continue;
                };
                n += 1;
                let label = format!("{name} #{n}");
                out.push(check(&label, &st, norm));
            }
            _ => {}
        }
    }
}

fn method_of(name: &str) -> Result<Method, String> {
    match name {
        "Schulze" | "Schulze Winning" => Ok(Method::Schulze),
        "Copeland" => Ok(Method::Copeland),
        "Borda Count" => Ok(Method::Borda),
        "Fptp" => Ok(Method::Plurality),
        "InstantRunoff" => Ok(Method::Irv),
        "STV" | "CPO STV" => Err("the library's STV is simplified (its README): not an STV oracle".to_owned()),
        "Schulze Margin" | "Schulze Ratio" => Err(format!("{name}: Christen's Schulze uses winning votes (DESIGN.md)")),
        "Ranked Pairs Winning" => {
            Err("Ranked Pairs by winning votes: Christen's Ranked Pairs sorts pairs by margin (DESIGN.md)".to_owned())
        }
        other => Err(format!("{other}: not a Christen method")),
    }
}

/// Parses the vote lines into an election (`A > B = C * 3`, `^ w` weights, `;`
/// between votes, `tags ||` prefixes).
fn election(st: &State) -> Result<(Election, bool), String> {
    let mut candidates = st.candidates.clone();
    let mut ballots = Vec::new();
    let mut partial = false;
    for line in &st.votes {
        for vote in line.split(';') {
            let vote = vote.rsplit("||").next().unwrap_or(vote).trim();
            if vote.is_empty() {
                continue;
            }
            let (vote, times) = match vote.rsplit_once('*') {
                Some((v, n)) => (
                    v,
                    n.trim()
                        .parse::<u64>()
                        .map_err(|_| format!("bad multiplier in {vote:?}"))?,
                ),
                None => (vote, 1),
            };
            let (vote, weight) = match vote.rsplit_once('^') {
                Some((v, w)) => (
                    v,
                    w.trim()
                        .parse::<u64>()
                        .map_err(|_| format!("bad weight in {vote:?}"))?,
                ),
                None => (vote, 1),
            };
            let weight = if st.weights { weight } else { 1 };
            let mut ranks = Vec::new();
            let mut named = 0;
            for rank in vote.split('>') {
                let mut slot = Vec::new();
                for c in rank.split('=') {
                    let c = c.trim();
                    if c.is_empty() {
                        continue;
                    }
                    let idx = match candidates.iter().position(|x| x == c) {
                        Some(i) => i,
                        // The library keeps a vote's candidates that are not in the
                        // election out of its results.
                        None if !st.inferred && !st.candidates.is_empty() => continue,
                        None => {
                            candidates.push(c.to_owned());
                            candidates.len() - 1
                        }
                    };
                    slot.push(idx as u32);
                    named += 1;
                }
                if !slot.is_empty() {
                    ranks.push(slot);
                }
            }
            partial |= named < st.candidates.len();
            ballots.push(Ballot {
                ranks,
                count: times * weight,
            });
        }
    }
    Ok((
        Election {
            candidates,
            withdrawn: Vec::new(),
            ballots,
        },
        partial,
    ))
}

fn names(e: &Election, group: &[u32]) -> Vec<String> {
    group
        .iter()
        .map(|&c| e.candidates[c as usize].clone())
        .collect()
}

fn strings(v: &Value) -> Vec<String> {
    v.as_array()
        .into_iter()
        .flatten()
        .filter_map(|x| x.as_str().map(str::to_owned))
        .collect()
}

fn check(label: &str, st: &State, norm: &Value) -> Check {
    let method_name = norm.get("method").and_then(Value::as_str).unwrap_or("?");
    let label = format!("{label} {method_name}");
    let method = match method_of(method_name) {
        Ok(m) => m,
        Err(why) => return Check::Skip(label, why),
    };
    if st.options_set {
        return Check::Skip(label, "a method option is set (a variant)".to_owned());
    }
    let (election, partial) = match election(st) {
        Ok(e) => e,
        Err(e) => return Check::Done(Outcome::new(label, Err(e))),
    };
    if !st.implicit && partial && method != Method::Plurality && method != Method::Irv {
        return Check::Skip(
            label,
            "implicitRanking false with partial ballots".to_owned(),
        );
    }
    let tied_first = election
        .ballots
        .iter()
        .any(|b| b.ranks.first().is_some_and(|s| s.len() > 1));
    let tied_any = election
        .ballots
        .iter()
        .any(|b| b.ranks.iter().any(|s| s.len() > 1));
    if (method == Method::Plurality && tied_first) || (method == Method::Irv && tied_any) {
        return Check::Skip(
            label,
            "ballots tie candidates at a rank: the library splits or shares the vote; Christen \
             counts such a rank as an overvote (issue 3)"
                .to_owned(),
        );
    }
    let report = match count(&election, method, &Options::default()) {
        Ok(r) => r,
        Err(e) => return Check::Done(Outcome::new(label, Err(e.to_string()))),
    };
    let result = if let Some(w) = norm.get("winner") {
        let want = strings(w);
        let got = report
            .winners
            .first()
            .map(|&c| election.candidates[c as usize].clone());
        match got {
            None => Err(format!("winner expected {want:?}, Christen elected nobody")),
            Some(g) if !want.contains(&g) => Err(format!("winner expected {want:?}, got {g}")),
            Some(_) if want.len() > 1 && report.tie_breaks.is_empty() => Err(format!(
                "co-winners {want:?} expected, but Christen's tie-break log is empty"
            )),
            Some(_) => Ok(()),
        }
    } else if let Some(r) = norm.get("ranking") {
        let want: Vec<Vec<String>> = r.as_array().into_iter().flatten().map(strings).collect();
        let got: Vec<Vec<String>> = report.ranking.iter().map(|g| names(&election, g)).collect();
        compare_ranking(&want, &got, &report, &election)
    } else {
        return Check::Skip(
            label,
            "expectation is neither a winner nor a ranking".to_owned(),
        );
    };
    Check::Done(Outcome::new(label, result))
}

/// Christen's ranking must list the expected groups in order; it may split an
/// expected group of equal candidates only where its tie-break log shows a tie
/// among them was broken.
fn compare_ranking(
    want: &[Vec<String>],
    got: &[Vec<String>],
    report: &christen::tally::Report<u32>,
    election: &Election,
) -> Result<(), String> {
    let place = |name: &str| want.iter().position(|g| g.iter().any(|x| x == name));
    let mut w = 0; // expected group being matched
    let mut left: Vec<String> = want.first().cloned().unwrap_or_default();
    for (i, group) in got.iter().enumerate() {
        for name in group {
            if place(name).is_none() {
                return Err(format!(
                    "ranking place {}: {name} is not in the expected ranking {want:?}",
                    i + 1
                ));
            }
        }
        if left.is_empty() {
            w += 1;
            left = want.get(w).cloned().unwrap_or_default();
        }
        if group.iter().any(|n| !left.contains(n)) {
            return Err(format!(
                "ranking place {}: expected {:?}, got {group:?} (expected {want:?}, got {got:?})",
                i + 1,
                want.get(w)
            ));
        }
        if group.len() < left.len() {
            // An expected tie split by Christen: a tie among them must be logged.
            let split: Vec<&String> = left.iter().collect();
            let logged = report.tie_breaks.iter().any(|t| {
                t.tied
                    .iter()
                    .filter(|&&c| split.contains(&&election.candidates[c as usize]))
                    .count()
                    >= 2
            });
            if !logged {
                return Err(format!(
                    "ranking place {}: expected the tie {left:?}, Christen ranks {group:?} first without a tie-break in its log",
                    i + 1
                ));
            }
        }
        left.retain(|n| !group.contains(n));
    }
    if !left.is_empty() || w + 1 < want.len() {
        return Err(format!(
            "ranking ends early: expected {want:?}, got {got:?}"
        ));
    }
    Ok(())
}
