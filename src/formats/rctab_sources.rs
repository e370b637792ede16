//! The cast vote record sources of an RCTab contest configuration
//! (`cvrFileSources`): which reader each `provider` takes, which of the
//! source's fields that reader honours, and how the records of several sources
//! become one election.
//!
//! Every source field RCTab defines is either used or, when set, refused with
//! an error naming it — never silently ignored:
//! - `cdf` (NIST CDF, JSON or XML form): `contestId`.
//! - `genericCsv`: `firstVoteColumnIndex`, `undeclaredWriteInLabel`,
//!   `firstVoteRowIndex` 2 (one header row).
//! - For every provider, `idColumnIndex`, `precinctColumnIndex` and
//!   `batchColumnIndex` only label records (RCTab uses them for audit logs and
//!   per-precinct or per-batch outputs) and do not change the count.
//! - `clearBallot`: `contestId`, `undeclaredWriteInLabel`.
//! - `dominion`: `filePath` is the export's folder; `contestId` (required),
//!   `undeclaredWriteInLabel` (a candidate id); see [`super::dominion`].
//! - `ess` (an `.xlsx` workbook): `firstVoteColumnIndex`, `firstVoteRowIndex`
//!   (both required), `overvoteDelimiter`, `undervoteLabel`,
//!   `undeclaredWriteInLabel`, `treatBlankAsUndeclaredWriteIn`; see
//!   [`super::ess`]. Its `overvoteLabel` is refused.
//! - `hart`: `filePath` is a folder of one XML file per ballot; `contestId`
//!   (required), `undeclaredWriteInLabel` (an option id); see [`super::hart`].
//! - Any other provider: refused, naming it.

use super::cdf_xml::read_cdf;
use super::dominion::{read_dominion, DominionExport};
use super::ess::{read_ess_xlsx, EssOptions};
use super::hart::read_hart;
use super::rctab_config::RctabCvrSource;
use super::rctab_csv::{
    read_clear_ballot_csv, read_generic_csv, ClearBallotOptions, GenericCsvOptions,
};
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
        "cdf" => &[],
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
            "undervoteLabel",
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
            return Err(format!(
                "{}: provider \"{other}\" is unknown; expected cdf, genericCsv, clearBallot, dominion, \
                 ess or hart",
                source.file_path
            ))
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

/// Reads one source's text with its provider's reader (after [`check_source`]).
pub fn read_source(source: &RctabCvrSource, text: &str) -> Result<Election, String> {
    check_source(source)?;
    let read = match source.provider.as_str() {
        "cdf" => read_cdf(text, source.contest_id.as_deref()),
        "genericCsv" => read_generic_csv(
            text,
            &GenericCsvOptions {
                first_vote_column: source.first_vote_column,
                undeclared_write_in_label: source.undeclared_write_in_label.clone(),
            },
        ),
        _ => read_clear_ballot_csv(
            text,
            &ClearBallotOptions {
                contest: source.contest_id.clone(),
                undeclared_write_in_label: source.undeclared_write_in_label.clone(),
            },
        ),
    };
    read.map_err(|e| format!("{}: {e}", source.file_path))
}

/// Reads an `ess` source's workbook (after [`check_source`]), `max_rankings`
/// rank columns.
pub fn read_ess_source(
    source: &RctabCvrSource,
    bytes: &[u8],
    max_rankings: usize,
) -> Result<Election, String> {
    check_source(source)?;
    let (Some(column), Some(row)) = (source.first_vote_column, source.first_vote_row) else {
        return Err(format!(
            "{}: an ess source needs firstVoteColumnIndex and firstVoteRowIndex",
            source.file_path
        ));
    };
    let options = EssOptions {
        first_vote_column: column,
        first_vote_row: row,
        max_rankings,
        overvote_delimiter: source.overvote_delimiter.clone(),
        undervote_label: source.undervote_label.clone(),
        undeclared_write_in_label: source.undeclared_write_in_label.clone(),
        treat_blank_as_undeclared_write_in: source.treat_blank_as_undeclared_write_in,
    };
    read_ess_xlsx(bytes, &options).map_err(|e| format!("{}: {e}", source.file_path))
}

/// Reads a `hart` source from its XML files `(name, text)` (after
/// [`check_source`]).
pub fn read_hart_source(
    source: &RctabCvrSource,
    files: &[(String, &str)],
) -> Result<Election, String> {
    check_source(source)?;
    read_hart(
        files,
        source.contest_id.as_deref().unwrap_or_default(),
        source.undeclared_write_in_label.as_deref(),
    )
    .map_err(|e| format!("{}: {e}", source.file_path))
}

/// Reads a `dominion` source from its export's files (after [`check_source`]).
pub fn read_dominion_source(
    source: &RctabCvrSource,
    export: &DominionExport<'_>,
) -> Result<Election, String> {
    check_source(source)?;
    read_dominion(
        export,
        source.contest_id.as_deref().unwrap_or_default(),
        source.undeclared_write_in_label.as_deref(),
    )
    .map_err(|e| format!("{}: {e}", source.file_path))
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
        let mut s = source("ess");
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
