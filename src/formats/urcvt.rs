//! The Universal RCV Tabulation (URCVT) JSON summary: the round-by-round result
//! format RCTab writes (`*_summary.json`, `*_expected_detailed_report.json`) and
//! visualisers such as rcvis read.
//!
//! ```json
//! {"config": {"contest": "…", "date": "…", "generatedBy": "…", "jurisdiction": "…", "office": "…"},
//!  "jsonFormatVersion": "1",
//!  "results": [{"round": 1,
//!               "tally": {"Alice": "5", "Bob": "2.5"},
//!               "tallyResults": [{"eliminated": "Bob", "transfers": {"Alice": "2", "exhausted": "0.5"}}],
//!               "threshold": "4",
//!               "inactiveBallots": {"exhaustedChoices": "0", "overvotes": "0",
//!                                   "repeatedRankings": "0", "skippedRankings": "0"}}],
//!  "summary": {"finalThreshold": "4", "numCandidates": 2, "numWinners": 1,
//!              "totalNumBallots": "8", "undervotes": 0}}
//! ```
//!
//! Every number of votes is a decimal string (exact, no exponent, no trailing
//! zeros). A round's `tallyResults` list who was elected or eliminated in it and
//! where their votes went in the next round (`exhausted` = became inactive,
//! `residual surplus` = lost to rounding). Maps are written with sorted keys.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::read_error::{json_syntax, ReadError};
use crate::tally::rcv::RcvCount;
use crate::tally::{Election, Inactive, Report, Round, Transfer};

/// `config`: what the contest was.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UrcvtConfig {
    #[serde(default)]
    pub contest: String,
    #[serde(default)]
    pub date: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub generated_by: String,
    #[serde(default)]
    pub jurisdiction: String,
    #[serde(default)]
    pub office: String,
}

/// One elected or eliminated candidate of a round and where its votes went.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct UrcvtTallyResult {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub elected: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub eliminated: Option<String>,
    #[serde(default)]
    pub transfers: BTreeMap<String, String>,
}

/// One round.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UrcvtRound {
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub inactive_ballots: BTreeMap<String, String>,
    pub round: u32,
    pub tally: BTreeMap<String, String>,
    #[serde(default)]
    pub tally_results: Vec<UrcvtTallyResult>,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub threshold: String,
}

/// `summary`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UrcvtSummary {
    #[serde(default)]
    pub final_threshold: String,
    #[serde(default)]
    pub num_candidates: usize,
    #[serde(default)]
    pub num_winners: u32,
    #[serde(default)]
    pub total_num_ballots: String,
    #[serde(default)]
    pub undervotes: serde_json::Value,
}

/// A whole URCVT summary document.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Urcvt {
    pub config: UrcvtConfig,
    #[serde(default)]
    pub json_format_version: String,
    pub results: Vec<UrcvtRound>,
    #[serde(default)]
    pub summary: UrcvtSummary,
}

/// Formats `units / scale` (scale a power of ten) as an exact decimal, whole
/// amounts without a point and others with every place of the scale, as RCTab
/// prints a fractional `BigDecimal`: `72501 / 10000` → `7.2501`, `23330 /
/// 10000` → `2.3330`, `80000 / 10000` → `8`.
pub fn decimal(units: u128, scale: u128) -> String {
    let whole = units / scale;
    let frac = units % scale;
    if frac == 0 {
        return whole.to_string();
    }
    let width = scale.to_string().len() - 1;
    format!("{whole}.{frac:0width$}")
}

/// `value` (a decimal string) with its fraction, if any, padded with zeros to
/// `places` places.
fn pad(value: &mut String, places: usize) {
    if let Some((_, frac)) = value.split_once('.') {
        let missing = places.saturating_sub(frac.len());
        value.extend(std::iter::repeat_n('0', missing));
    }
}

/// Every fractional amount of `doc` written to `places` places, as RCTab writes
/// them (its `decimalPlacesForVoteArithmetic`).
fn pad_amounts(doc: &mut Urcvt, places: usize) {
    for r in &mut doc.results {
        r.tally.values_mut().for_each(|v| pad(v, places));
        r.inactive_ballots.values_mut().for_each(|v| pad(v, places));
        pad(&mut r.threshold, places);
        for t in &mut r.tally_results {
            t.transfers.values_mut().for_each(|v| pad(v, places));
        }
    }
    pad(&mut doc.summary.final_threshold, places);
}

/// Parses an exact decimal (`7.2501`, `8`) into units of `1 / scale` (scale a power
/// of ten); `None` if it is not a plain non-negative decimal or has more places.
pub fn parse_decimal(s: &str, scale: u128) -> Option<u128> {
    let s = s.trim();
    let (int, frac) = s.split_once('.').unwrap_or((s, ""));
    if int.is_empty() && frac.is_empty() {
        return None;
    }
    if !int.bytes().all(|b| b.is_ascii_digit()) || !frac.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let places = scale.to_string().len() - 1;
    let frac = frac.trim_end_matches('0');
    if frac.len() > places {
        return None;
    }
    let whole: u128 = if int.is_empty() { 0 } else { int.parse().ok()? };
    let mut f: u128 = if frac.is_empty() {
        0
    } else {
        frac.parse().ok()?
    };
    for _ in frac.len()..places {
        f *= 10;
    }
    whole.checked_mul(scale)?.checked_add(f)
}

/// Reads a URCVT summary.
pub fn read_urcvt(input: &str) -> Result<Urcvt, ReadError> {
    serde_json::from_str(input).map_err(|e| json_syntax("URCVT summary JSON", &e))
}

/// Writes a URCVT summary, pretty-printed.
pub fn write_urcvt(doc: &Urcvt) -> String {
    // Serialising plain maps, strings and numbers cannot fail.
    serde_json::to_string_pretty(doc).unwrap_or_default()
}

/// The URCVT summary of a rule-option count ([`crate::tally::rcv::count_rcv`]).
/// Each round's eliminated candidates come in the order the count recorded
/// them, which is RCTab's (by name); every other output shares it.
pub fn urcvt_from_rcv(count: &RcvCount, election: &Election, config: UrcvtConfig) -> Urcvt {
    let names = Names(&election.candidates);
    let amount = |u: u128| decimal(u, count.scale);
    let results = count
        .rounds
        .iter()
        .map(|r| urcvt_round(r, names, &amount))
        .collect();
    let total: u64 = election.ballots.iter().map(|b| b.count).sum();
    Urcvt {
        config,
        json_format_version: "1".to_owned(),
        results,
        summary: UrcvtSummary {
            final_threshold: count
                .rounds
                .last()
                .map(|r| amount(r.threshold))
                .unwrap_or_default(),
            num_candidates: super::cvr::candidate_count(election),
            num_winners: count.seats,
            total_num_ballots: total.to_string(),
            undervotes: serde_json::Value::from((count.undervotes / count.scale) as u64),
        },
    }
}

/// The URCVT summary of an IRV or STV report of the engine (docs/ARCHITECTURE.md's rules or
/// RCTab's): every round's tally, threshold, inactive ballots, who was elected or
/// eliminated and where their votes went.
pub fn urcvt_from_report(report: &Report<u32>, election: &Election, config: UrcvtConfig) -> Urcvt {
    let names = Names(&election.candidates);
    let results = report
        .rounds
        .iter()
        .map(|r| urcvt_round(r, names, &|v| v.to_string()))
        .collect();
    let mut doc = Urcvt {
        config,
        json_format_version: "1".to_owned(),
        results,
        summary: UrcvtSummary {
            final_threshold: report
                .rounds
                .last()
                .map(|r| r.threshold.to_string())
                .unwrap_or_default(),
            num_candidates: super::cvr::candidate_count(election),
            // RCTab's numberOfWinners, 0 under bottomsUpUsingPercentageThreshold.
            num_winners: match report.rules.rcv.as_ref().map(|r| r.winner_mode) {
                Some(crate::tally::rcv::WinnerMode::BottomsUpPercentage { .. }) => 0,
                _ => report.seats,
            },
            total_num_ballots: report.ballots_counted.to_string(),
            undervotes: serde_json::Value::from(report.blank_ballots),
        },
    };
    if let Some(rules) = &report.rules.rcv {
        pad_amounts(&mut doc, rules.decimals as usize);
    }
    doc
}

/// Candidate names by number (empty for an unknown number).
#[derive(Clone, Copy)]
struct Names<'a>(&'a [String]);

impl Names<'_> {
    fn of(self, c: u32) -> String {
        self.0.get(c as usize).cloned().unwrap_or_default()
    }
}

/// Round `r` (of the engine's record or of a report), every amount as
/// `amount` writes it.
fn urcvt_round<V: Copy + Default + PartialEq>(
    r: &Round<u32, V>,
    names: Names<'_>,
    amount: &impl Fn(V) -> String,
) -> UrcvtRound {
    UrcvtRound {
        inactive_ballots: inactive_ballots(&r.inactive, amount),
        round: r.round,
        tally: r
            .counts
            .iter()
            .map(|t| (names.of(t.candidate), amount(t.votes)))
            .collect(),
        tally_results: tally_results(r, names, amount),
        threshold: amount(r.threshold),
    }
}

/// Who was elected, then who eliminated, in round `r`, each with where their
/// votes went.
fn tally_results<V: Copy + Default + PartialEq>(
    r: &Round<u32, V>,
    names: Names<'_>,
    amount: &impl Fn(V) -> String,
) -> Vec<UrcvtTallyResult> {
    let of = |c: u32| {
        r.transfers()
            .filter(|t| t.from == c)
            .flat_map(|t| transfer_destinations(t, names, amount))
            .collect()
    };
    let mut results: Vec<UrcvtTallyResult> = r
        .elected
        .iter()
        .map(|&c| UrcvtTallyResult {
            elected: Some(names.of(c)),
            eliminated: None,
            transfers: of(c),
        })
        .collect();
    results.extend(r.eliminated.iter().map(|&c| UrcvtTallyResult {
        elected: None,
        eliminated: Some(names.of(c)),
        transfers: of(c),
    }));
    results
}

/// A transfer's destinations, in order: candidates by name, then `exhausted`
/// and `residual surplus` when not zero.
fn transfer_destinations<V: Copy + Default + PartialEq>(
    t: &Transfer<u32, V>,
    names: Names<'_>,
    amount: &impl Fn(V) -> String,
) -> Vec<(String, String)> {
    let mut m: Vec<(String, String)> =
        t.to.iter()
            .map(|x| (names.of(x.candidate), amount(x.votes)))
            .collect();
    if t.exhausted != V::default() {
        m.push(("exhausted".to_owned(), amount(t.exhausted)));
    }
    if t.lost_to_rounding != V::default() {
        m.push(("residual surplus".to_owned(), amount(t.lost_to_rounding)));
    }
    m
}

/// The inactive-ballot buckets RCTab reports (`finalRoundSurplus` only when
/// not zero).
fn inactive_ballots<V: Copy + Default + PartialEq>(
    inactive: &Inactive<V>,
    amount: &impl Fn(V) -> String,
) -> BTreeMap<String, String> {
    let mut m = BTreeMap::new();
    m.insert(
        "exhaustedChoices".to_owned(),
        amount(inactive.exhausted_choices),
    );
    m.insert("overvotes".to_owned(), amount(inactive.overvotes));
    m.insert(
        "repeatedRankings".to_owned(),
        amount(inactive.repeated_rankings),
    );
    m.insert(
        "skippedRankings".to_owned(),
        amount(inactive.skipped_rankings),
    );
    if inactive.final_round_surplus != V::default() {
        m.insert(
            "finalRoundSurplus".to_owned(),
            amount(inactive.final_round_surplus),
        );
    }
    m
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimals_round_trip_exactly() {
        assert_eq!(decimal(72_501, 10_000), "7.2501");
        assert_eq!(decimal(80_000, 10_000), "8");
        assert_eq!(decimal(6_559, 10_000), "0.6559");
        assert_eq!(decimal(23_330, 10_000), "2.3330");
        assert_eq!(parse_decimal("7.2501", 10_000), Some(72_501));
        assert_eq!(parse_decimal("8", 10_000), Some(80_000));
        assert_eq!(parse_decimal("0.50", 10), Some(5));
        assert_eq!(parse_decimal("1.23456", 10_000), None);
        assert_eq!(parse_decimal("-1", 10_000), None);
        assert_eq!(parse_decimal("", 10_000), None);
    }
}
