//! RCTab's regression cases (`rctab/<case>/`): the CVR read with the reader of its
//! provider, counted under the configuration's rules, compared round by round
//! with `<case>_expected_detailed_report.json`: threshold, every candidate's
//! tally, who was elected and eliminated, every inactive-ballot bucket.
//! The derived `ballots.json` must hold the same ballots as the CVR.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use christen::formats::cdf::read_cdf_json;
use christen::formats::cvr::{reorder_candidates, with_declared_candidates, UNDECLARED_WRITE_INS};
use christen::formats::rctab_config::{read_rctab_ballots_json, read_rctab_config, RctabConfig};
use christen::formats::rctab_csv::{
    read_clear_ballot_csv, read_generic_csv, ClearBallotOptions, GenericCsvOptions,
};
use christen::formats::rctab_sources::read_sources;
use christen::formats::summary_csv::{write_summary_csv, SummaryMeta};
use christen::formats::urcvt::{
    parse_decimal, read_urcvt, urcvt_from_rcv, urcvt_from_report, write_urcvt, Urcvt, UrcvtConfig,
};
use christen::tally::rcv::{count_rcv, RcvCount};
use christen::tally::{Ballot, Election, Method, Options, Report, Rules, Votes};

use crate::common::{read, Outcome};

pub fn cases(root: &Path) -> Vec<Outcome> {
    let dir = root.join("rctab");
    let mut names: Vec<String> = match std::fs::read_dir(&dir) {
        Ok(entries) => entries
            .filter_map(|e| e.ok())
            .filter(|e| e.path().is_dir())
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect(),
        Err(e) => {
            return vec![Outcome::new(
                "rctab",
                Err(format!("cannot list {}: {e}", dir.display())),
            )]
        }
    };
    names.sort();
    if names.is_empty() {
        return vec![Outcome::new(
            "rctab",
            Err(format!("no cases in {}", dir.display())),
        )];
    }
    names
        .iter()
        .map(|name| Outcome::new(format!("rctab/{name}"), check_case(&dir.join(name), name)))
        .collect()
}

/// The election a case's CVR describes, candidates in configuration order.
pub fn load_cvr(case_dir: &Path, config: &RctabConfig) -> Result<Election, String> {
    let source = config
        .sources
        .first()
        .ok_or("the configuration names no CVR file")?;
    let text = read(&case_dir.join(&source.file_path))?;
    let election = match source.provider.as_str() {
        "cdf" => read_cdf_json(&text, source.contest_id.as_deref()),
        "genericCsv" => read_generic_csv(
            &text,
            &GenericCsvOptions {
                first_vote_column: source.first_vote_column,
                undeclared_write_in_label: source.undeclared_write_in_label.clone(),
            },
        ),
        "clearBallot" => read_clear_ballot_csv(
            &text,
            &ClearBallotOptions {
                contest: source.contest_id.clone(),
                undeclared_write_in_label: source.undeclared_write_in_label.clone(),
            },
        ),
        other => return Err(format!("provider {other} has no reader")),
    }
    .map_err(|e| format!("{}: {e}", source.file_path))?;
    // RCTab counts every declared candidate (ranked or not) and, where the source
    // names an undeclared write-in label, the undeclared write-ins.
    let mut declared = config.candidates.clone();
    if source.undeclared_write_in_label.is_some() {
        declared.push(UNDECLARED_WRITE_INS.to_owned());
    }
    let election = with_declared_candidates(election, &declared);
    Ok(reorder_candidates(election, &declared))
}

/// Ballots as a multiset of rankings by name, for comparing two readings.
fn by_name(e: &Election) -> BTreeMap<Vec<Vec<String>>, u64> {
    let mut out = BTreeMap::new();
    for Ballot { ranks, count } in &e.ballots {
        let mut named: Vec<Vec<String>> = ranks
            .iter()
            .map(|slot| {
                slot.iter()
                    .map(|&c| e.candidates[c as usize].clone())
                    .collect()
            })
            .collect();
        while named.last().is_some_and(|s| s.is_empty()) {
            named.pop();
        }
        *out.entry(named).or_insert(0) += count;
    }
    out
}

fn check_case(case_dir: &Path, name: &str) -> Result<(), String> {
    let config = read_rctab_config(&read(&case_dir.join(format!("{name}_config.json")))?)
        .map_err(|e| e.to_string())?;
    let election = load_cvr(case_dir, &config)?;

    let ballots = read_rctab_ballots_json(&read(&case_dir.join("ballots.json"))?)
        .map_err(|e| format!("ballots.json: {e}"))?;
    if by_name(&ballots.election) != by_name(&election) {
        return Err("ballots.json does not hold the same ballots as the CVR".to_owned());
    }
    if ballots.rules.as_ref() != Some(&config.rules) {
        return Err("ballots.json's rules differ from the configuration's".to_owned());
    }

    let (rules, seats) = config.rules.to_rcv_rules(&election)?;
    let count = count_rcv(&election, seats, &rules).map_err(|e| e.to_string())?;
    let expected = read_urcvt(&read(
        &case_dir.join(format!("{name}_expected_detailed_report.json")),
    )?)
    .map_err(|e| e.to_string())?;
    compare(&count, &election, &expected)?;

    // The configuration run as it is (what `christen tally --rctab-config FILE`
    // does): every source read by its provider's reader, pooled, prepared.
    let pooled = read_sources(&config, case_dir)?;
    let (prepared, as_is_rules, as_is_seats) = config.prepare(pooled)?;
    let as_is = count_rcv(&prepared, as_is_seats, &as_is_rules).map_err(|e| e.to_string())?;
    compare(&as_is, &prepared, &expected).map_err(|e| format!("config as it is: {e}"))?;

    // RCTab's summary spreadsheet, line for line but for "Generated By".
    let meta = SummaryMeta {
        contest: config.contest_name.clone(),
        jurisdiction: config.jurisdiction.clone(),
        office: config.office.clone(),
        date: config.contest_date.clone(),
        generated_by: "RCTab 2.0.0".to_owned(),
        ..SummaryMeta::default()
    };
    let csv = write_summary_csv(&as_is, &prepared, &meta);
    let want = read(&case_dir.join(format!("{name}_expected_detailed_report.csv")))?;
    for (i, (got, want)) in csv.lines().zip(want.lines()).enumerate() {
        if i != 1 && got != want {
            return Err(format!(
                "summary CSV line {}: expected {want:?}, wrote {got:?}",
                i + 1
            ));
        }
    }
    if csv.lines().count() != want.lines().count() {
        return Err(format!(
            "summary CSV: expected {} lines, wrote {}",
            want.lines().count(),
            csv.lines().count()
        ));
    }

    // The engine's public entry point counts the same under the same rules.
    let method = if seats > 1 { Method::Stv } else { Method::Irv };
    let options = Options {
        seats,
        rules: Rules {
            rcv: Some(rules.clone()),
            ..Rules::default()
        },
        ..Options::default()
    };
    let report =
        christen::tally::count(&election, method, &options).map_err(|e| format!("engine: {e}"))?;
    same_as_report(&count, &report)?;

    // `christen tally --urcvt` writes what RCTab wrote (as JSON values, numbers
    // as RCTab prints them), but for who generated it.
    let meta = UrcvtConfig {
        contest: config.contest_name.clone(),
        date: config.contest_date.clone(),
        generated_by: String::new(),
        jurisdiction: config.jurisdiction.clone(),
        office: config.office.clone(),
    };
    let written: serde_json::Value =
        serde_json::from_str(&write_urcvt(&urcvt_from_report(&report, &election, meta)))
            .map_err(|e| format!("written URCVT: {e}"))?;
    let mut want: serde_json::Value = serde_json::from_str(&read(
        &case_dir.join(format!("{name}_expected_detailed_report.json")),
    )?)
    .map_err(|e| e.to_string())?;
    if let Some(c) = want.get_mut("config").and_then(|c| c.as_object_mut()) {
        c.remove("generatedBy");
    }
    for key in ["results", "config"] {
        if written.get(key) != want.get(key) {
            return Err(format!("URCVT {key} differs from RCTab's"));
        }
    }

    // The URCVT summary Christen writes must read back as the same rounds, and
    // say where votes went as RCTab does.
    let written = write_urcvt(&urcvt_from_rcv(&count, &election, UrcvtConfig::default()));
    let back = read_urcvt(&written).map_err(|e| format!("written URCVT summary: {e}"))?;
    compare(&count, &election, &back).map_err(|e| format!("written URCVT summary: {e}"))?;
    compare_transfers(&back, &expected, count.scale)
}

/// Per round: each elected or eliminated candidate's transfers, destination → amount.
type RoundTransfers = Vec<BTreeMap<String, BTreeMap<String, u128>>>;

/// Transfers of each elected or eliminated candidate, as exact amounts.
fn transfers(doc: &Urcvt, scale: u128) -> Result<RoundTransfers, String> {
    let mut out = Vec::new();
    for r in &doc.results {
        let mut round = BTreeMap::new();
        for t in &r.tally_results {
            let who = t
                .elected
                .clone()
                .or_else(|| t.eliminated.clone())
                .unwrap_or_default();
            let mut to = BTreeMap::new();
            for (dest, v) in &t.transfers {
                let v = amount(v, scale, &format!("round {} transfer to {dest}", r.round))?;
                if v > 0 {
                    to.insert(dest.to_lowercase(), v);
                }
            }
            round.insert(who, to);
        }
        out.push(round);
    }
    Ok(out)
}

fn compare_transfers(got: &Urcvt, expected: &Urcvt, scale: u128) -> Result<(), String> {
    let got = transfers(got, scale)?;
    let want = transfers(expected, scale)?;
    for (i, (g, w)) in got.iter().zip(&want).enumerate() {
        for (who, to) in w {
            if g.get(who) != Some(to) {
                return Err(format!(
                    "round {}: transfers from {who} expected {to:?}, got {:?}",
                    i + 1,
                    g.get(who)
                ));
            }
        }
    }
    Ok(())
}

fn amount(s: &str, scale: u128, what: &str) -> Result<u128, String> {
    parse_decimal(s, scale).ok_or_else(|| {
        format!("{what}: expected value {s:?} is not a decimal with at most the rules' places")
    })
}

/// The first difference between a count and an expected URCVT report.
pub fn compare(count: &RcvCount, election: &Election, expected: &Urcvt) -> Result<(), String> {
    let scale = count.scale;
    let show = |u: u128| christen::formats::urcvt::decimal(u, scale);
    let name = |c: u32| election.candidates[c as usize].clone();
    for (i, exp) in expected.results.iter().enumerate() {
        let round = exp.round;
        let Some(got) = count.rounds.get(i) else {
            return Err(format!(
                "round {round}: expected, but the count ended after {} rounds",
                count.rounds.len()
            ));
        };
        let want = amount(&exp.threshold, scale, &format!("round {round} threshold"))?;
        if got.threshold != want {
            return Err(format!(
                "round {round}: threshold expected {}, got {}",
                exp.threshold,
                show(got.threshold)
            ));
        }
        let got_tally: BTreeMap<String, u128> = got
            .counts
            .iter()
            .map(|t| (name(t.candidate), t.votes))
            .collect();
        for (cand, v) in &exp.tally {
            let want = amount(v, scale, &format!("round {round} tally of {cand}"))?;
            match got_tally.get(cand) {
                None => {
                    return Err(format!(
                        "round {round}: {cand} expected with {v} votes, but not in the count"
                    ))
                }
                Some(&g) if g != want => {
                    return Err(format!(
                        "round {round}: {cand} expected {v} votes, got {}",
                        show(g)
                    ))
                }
                _ => {}
            }
        }
        if let Some(extra) = got_tally.keys().find(|c| !exp.tally.contains_key(*c)) {
            return Err(format!(
                "round {round}: {extra} is in the count but not expected"
            ));
        }
        let exp_elected: BTreeSet<String> = exp
            .tally_results
            .iter()
            .filter_map(|t| t.elected.clone())
            .collect();
        let exp_elim: BTreeSet<String> = exp
            .tally_results
            .iter()
            .filter_map(|t| t.eliminated.clone())
            .collect();
        let got_elected: BTreeSet<String> = got.elected.iter().map(|&c| name(c)).collect();
        let got_elim: BTreeSet<String> = got.eliminated.iter().map(|&c| name(c)).collect();
        if exp_elected != got_elected {
            return Err(format!(
                "round {round}: elected expected {exp_elected:?}, got {got_elected:?}"
            ));
        }
        if exp_elim != got_elim {
            return Err(format!(
                "round {round}: eliminated expected {exp_elim:?}, got {got_elim:?}"
            ));
        }
        let i = &got.inactive;
        let buckets = [
            ("overvotes", i.overvotes),
            ("skippedRankings", i.skipped_rankings),
            ("repeatedRankings", i.repeated_rankings),
            ("exhaustedChoices", i.exhausted_choices),
            ("finalRoundSurplus", i.final_round_surplus),
        ];
        for (key, g) in buckets {
            let want = match exp.inactive_ballots.get(key) {
                Some(v) => amount(v, scale, &format!("round {round} {key}"))?,
                None => 0,
            };
            if g != want {
                return Err(format!(
                    "round {round}: inactive {key} expected {}, got {}",
                    show(want),
                    show(g)
                ));
            }
        }
        if let Some(k) = exp
            .inactive_ballots
            .keys()
            .find(|k| !buckets.iter().any(|(b, _)| b == *k))
        {
            return Err(format!(
                "round {round}: inactive bucket {k} is not reported by Christen"
            ));
        }
    }
    if count.rounds.len() != expected.results.len() {
        return Err(format!(
            "expected {} rounds, the count has {}",
            expected.results.len(),
            count.rounds.len()
        ));
    }
    Ok(())
}

/// The engine's report must carry the rounds of the rule-option count exactly.
fn same_as_report(count: &RcvCount, report: &Report<u32>) -> Result<(), String> {
    let votes = |u: u128| Votes::from_units(u * (1_000_000_000 / count.scale));
    if report.winners != count.winners {
        return Err(format!(
            "engine report: winners {:?}, count {:?}",
            report.winners, count.winners
        ));
    }
    if report.rounds.len() != count.rounds.len() {
        return Err("engine report: a different number of rounds".to_owned());
    }
    for (r, c) in report.rounds.iter().zip(&count.rounds) {
        let c = c.clone().map(|k| k, votes);
        if r.counts != c.counts
            || r.threshold != c.threshold
            || r.elected != c.elected
            || r.eliminated != c.eliminated
        {
            return Err(format!(
                "engine report: round {} differs from the rule-option count",
                c.round
            ));
        }
        if r.inactive != c.inactive {
            return Err(format!(
                "engine report: round {} inactive ballots differ",
                c.round
            ));
        }
    }
    Ok(())
}
