//! The cast vote record sources of an RCTab contest configuration
//! (`cvrFileSources`): which reader each `provider` takes, which of the
//! source's fields that reader honours, and how the records of several sources
//! become one election.
//!
//! Every source field RCTab defines is either used or, when set, refused with
//! an error naming it — never silently ignored:
//! - `cdf` (NIST CDF, JSON or XML form): `contestId`; `undeclaredWriteInLabel`
//!   only as RCTab uses it for CDF: its value is not read (a write-in
//!   selection, `IsWriteIn` or `CVRWriteIn`, is an undeclared write-in
//!   whatever it says), but a source naming one puts "Undeclared Write-ins"
//!   among the candidates from round 1, with no votes if nobody wrote one in
//!   (`ContestConfig.undeclaredWriteInsEnabled`; RCTab's `unisyn_xml_cdf_*`
//!   cases eliminate it in round 1 so).
//! - `genericCsv`: `firstVoteColumnIndex`, `undeclaredWriteInLabel`,
//!   `firstVoteRowIndex` 2 (one header row).
//! - For every provider, `idColumnIndex`, `precinctColumnIndex` and
//!   `batchColumnIndex` only label records (RCTab uses them for audit logs and
//!   per-precinct or per-batch outputs) and do not change the count.
//! - `clearBallot`: `contestId`, `undeclaredWriteInLabel`.
//! - `dominion`: `filePath` is the export's folder; `contestId` (required),
//!   `undeclaredWriteInLabel` (a candidate id); see [`super::dominion`].
//! - `ess` (an `.xlsx` workbook): `firstVoteColumnIndex`, `firstVoteRowIndex`
//!   (both required), `overvoteDelimiter`, `overvoteLabel` (an explicit
//!   overvote; only with `overvoteRule` `exhaustImmediately` or
//!   `alwaysSkipToNextRank`, as RCTab validates it), `skippedRankLabel` (RCTab
//!   1.x `undervoteLabel`), `undeclaredWriteInLabel`,
//!   `treatBlankAsUndeclaredWriteIn`; see [`super::ess`].
//! - `hart`: `filePath` is a folder of one XML file per ballot; `contestId`
//!   (required), `undeclaredWriteInLabel` (an option id); see [`super::hart`].
//! - Any other provider: refused, naming it.

use std::path::Path;

use super::format::Format;
use super::rctab_config::{RctabConfig, RctabCvrSource};
use super::source::{read, ReadOptions, Source};
use crate::tally::{Ballot, CandidateIdx, Election};

/// Checks that `source` asks for nothing its provider's reader does not do:
/// an error naming the first field that it would otherwise ignore.
pub fn check_source(source: &RctabCvrSource) -> Result<(), String> {
    let provider = source.provider.as_str();
    let mut set: Vec<&str> = Vec::new();
    let pairs = [
        ("firstVoteColumnIndex", source.first_vote_column.is_some()),
        // The generic CSV reader takes one header row: records from row 2.
        (
            "firstVoteRowIndex",
            source.first_vote_row.is_some()
                && !(provider == "genericCsv" && source.first_vote_row == Some(2)),
        ),
        ("overvoteDelimiter", source.overvote_delimiter.is_some()),
        ("overvoteLabel", source.overvote_label.is_some()),
        ("undervoteLabel", source.undervote_label.is_some()),
        ("skippedRankLabel", source.skipped_rank_label.is_some()),
        (
            "undeclaredWriteInLabel",
            source.undeclared_write_in_label.is_some(),
        ),
        (
            "treatBlankAsUndeclaredWriteIn",
            source.treat_blank_as_undeclared_write_in,
        ),
    ];
    for (field, is_set) in pairs {
        if is_set {
            set.push(field);
        }
    }
    let used: &[&str] = match provider {
        "cdf" => &["undeclaredWriteInLabel"],
        "genericCsv" => &["firstVoteColumnIndex", "undeclaredWriteInLabel"],
        "clearBallot" => &["undeclaredWriteInLabel"],
        "dominion" if source.contest_id.is_none() => {
            return Err(format!(
                "{}: a dominion source needs its contestId (the ContestManifest Id)",
                source.file_path
            ))
        }
        "dominion" => &["undeclaredWriteInLabel"],
        "ess" => &[
            "firstVoteColumnIndex",
            "firstVoteRowIndex",
            "overvoteDelimiter",
            "overvoteLabel",
            "undervoteLabel",
            "skippedRankLabel",
            "undeclaredWriteInLabel",
            "treatBlankAsUndeclaredWriteIn",
        ],
        "hart" if source.contest_id.is_none() => {
            return Err(format!(
                "{}: a hart source needs its contestId (the Contest Id in the CVRs)",
                source.file_path
            ))
        }
        "hart" => &["undeclaredWriteInLabel"],
        "" => {
            return Err(format!(
                "{}: the source names no provider",
                source.file_path
            ))
        }
        other => {
            // Early RCTab versions (configs of 1.0.1 and before) wrote the
            // display labels; current RCTab reads only the internal ones
            // (`Provider.getByInternalLabel`) and refuses these too, so the
            // message names the one to write.
            let current = match other {
                "ES&S" => Some("ess"),
                "CDF" => Some("cdf"),
                "DOMINION" | "Dominion" => Some("dominion"),
                "Hart" => Some("hart"),
                _ => None,
            };
            let hint = current
                .map(|c| format!(" (\"{other}\" is an older RCTab's label: write \"{c}\")"))
                .unwrap_or_default();
            return Err(format!(
                "{}: provider \"{other}\" is unknown; expected cdf, genericCsv, clearBallot, dominion, \
                 ess or hart{hint}",
                source.file_path
            ));
        }
    };
    match set.iter().find(|f| !used.contains(f)) {
        Some(field) => Err(format!(
            "{}: {field} is not supported for provider \"{provider}\" (Christen reads {} from it)",
            source.file_path,
            if used.is_empty() {
                "no such field".to_owned()
            } else {
                used.join(" and ")
            }
        )),
        None => Ok(()),
    }
}

/// The format `source`'s provider reads (after [`check_source`]).
pub fn format_of(source: &RctabCvrSource) -> Result<Format, String> {
    Format::from_provider(&source.provider).ok_or_else(|| {
        format!(
            "{}: provider \"{}\" is unknown",
            source.file_path, source.provider
        )
    })
}

/// The reading options of `source`, a source of `config` (for its
/// `maxRankingsAllowed` and candidates), if there is a configuration. A
/// source's `contestId` is the contest to read.
pub fn read_options(source: &RctabCvrSource, config: Option<&RctabConfig>) -> ReadOptions {
    ReadOptions {
        contest: source.contest_id.clone(),
        first_vote_column: source.first_vote_column,
        first_vote_row: source.first_vote_row,
        overvote_delimiter: source.overvote_delimiter.clone(),
        overvote_label: source.overvote_label.clone(),
        undervote_label: source
            .skipped_rank_label
            .clone()
            .or_else(|| source.undervote_label.clone()),
        undeclared_write_in_label: source.undeclared_write_in_label.clone(),
        treat_blank_as_undeclared_write_in: source.treat_blank_as_undeclared_write_in,
        max_rankings: config.map(|c| {
            c.rules
                .max_rankings_allowed
                .map_or(c.candidates.len(), |m| m as usize)
        }),
        candidate_codes: config.map(candidate_codes).unwrap_or_default(),
    }
}

/// `(code, name)`: each configured candidate's name with itself, and each
/// alias (or RCTab 1.x `code`) with its name.
fn candidate_codes(config: &RctabConfig) -> Vec<(String, String)> {
    config
        .candidates
        .iter()
        .map(|n| (n.clone(), n.clone()))
        .chain(config.aliases.iter().cloned())
        .collect()
}

/// Reads every CVR source of `config` (paths relative to `dir`, the
/// configuration's folder), each with its provider's reader through the one
/// entry point, and pools them as RCTab does. An error names the source's file.
pub fn read_sources(config: &RctabConfig, dir: &Path) -> Result<Election, String> {
    if config.sources.is_empty() {
        return Err("the configuration names no cvrFileSources".to_owned());
    }
    for source in &config.sources {
        check_source(source)?;
    }
    let mut election = Election {
        candidates: Vec::new(),
        withdrawn: Vec::new(),
        ballots: Vec::new(),
    };
    for source in &config.sources {
        let path = dir.join(&source.file_path);
        let file = read(
            &Source::Path(&path),
            format_of(source)?,
            &read_options(source, Some(config)),
        )
        .map_err(|e| e.to_string())?;
        merge_into(&mut election, file.election);
    }
    Ok(election)
}

/// Adds the ballots of `other` to `into`, candidates matched by name (new ones
/// appended in `other`'s order), as RCTab pools the records of every source.
pub fn merge_into(into: &mut Election, other: Election) {
    let map: Vec<CandidateIdx> = other
        .candidates
        .iter()
        .map(
            |name| match into.candidates.iter().position(|c| c == name) {
                Some(i) => i as CandidateIdx,
                None => {
                    into.candidates.push(name.clone());
                    (into.candidates.len() - 1) as CandidateIdx
                }
            },
        )
        .collect();
    into.ballots.extend(other.ballots.into_iter().map(|b| {
        Ballot {
            ranks: b
                .ranks
                .into_iter()
                .map(|slot| slot.into_iter().map(|c| map[c as usize]).collect())
                .collect(),
            count: b.count,
        }
    }));
}

#[cfg(test)]
mod tests {
    use super::*;

    fn source(provider: &str) -> RctabCvrSource {
        RctabCvrSource {
            file_path: "cvr.csv".to_owned(),
            provider: provider.to_owned(),
            ..RctabCvrSource::default()
        }
    }

    #[test]
    fn fields_a_reader_would_ignore_are_refused_by_name() {
        let mut s = source("cdf");
        assert!(check_source(&s).is_ok());
        s.overvote_delimiter = Some("|".to_owned());
        let e = check_source(&s).unwrap_err();
        assert!(e.contains("overvoteDelimiter") && e.contains("cdf"), "{e}");
        let mut s = source("genericCsv");
        s.first_vote_column = Some(2);
        assert!(check_source(&s).is_ok());
        s.treat_blank_as_undeclared_write_in = true;
        assert!(check_source(&s)
            .unwrap_err()
            .contains("treatBlankAsUndeclaredWriteIn"));
        let e = check_source(&source("hart")).unwrap_err();
        assert!(e.contains("contestId"), "{e}");
        let e = check_source(&source("sequoia")).unwrap_err();
        assert!(e.contains("\"sequoia\""), "{e}");
        let e = check_source(&source("ES&S")).unwrap_err();
        assert!(e.contains("write \"ess\""), "{e}");
        let mut s = source("ess");
        s.overvote_label = Some("overvote".to_owned());
        s.skipped_rank_label = Some("undervote".to_owned());
        assert!(check_source(&s).is_ok());
        let mut s = source("cdf");
        s.undeclared_write_in_label = Some("UWI".to_owned());
        assert!(check_source(&s).is_ok());
        s.overvote_label = Some("overvote".to_owned());
        assert!(check_source(&s).unwrap_err().contains("overvoteLabel"));
        let e = check_source(&source("dominion")).unwrap_err();
        assert!(e.contains("contestId"), "{e}");
    }

    #[test]
    fn sources_merge_by_candidate_name() {
        let mut a = Election {
            candidates: vec!["A".into(), "B".into()],
            withdrawn: vec![],
            ballots: vec![Ballot::strict(&[0, 1], 2)],
        };
        let b = Election {
            candidates: vec!["C".into(), "A".into()],
            withdrawn: vec![],
            ballots: vec![Ballot::strict(&[0, 1], 1)],
        };
        merge_into(&mut a, b);
        assert_eq!(a.candidates, ["A", "B", "C"]);
        assert_eq!(a.ballots[1], Ballot::strict(&[2, 0], 1));
    }
}
