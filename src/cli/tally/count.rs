//! `christen tally`, counting: the election read, prepared under the RCTab
//! configuration (aliases, excluded candidates, candidate order), counted with
//! the rules of the flags, the configuration or the file.

use super::args::TallyArgs;
use super::read::Input;
use crate::formats::rctab_config::RctabConfig;
use crate::formats::{self, ElectionFile, Format, ReadError, ReadOptions, Source};
use crate::tally::rcv::RcvRules;
use crate::tally::{self, CandidateRef, Method, Options, Report, TallyError};

/// A count done: what was counted, how, and the report.
pub struct Counted {
    pub file: ElectionFile,
    pub config: Option<RctabConfig>,
    pub method: Method,
    /// The options counted with (for RCTab's `multiPassIrv`, those of each pass).
    pub options: Options,
    /// The report, candidates as numbers (0-based, in `file`'s order); for
    /// `multiPassIrv`, one per pass, each pass passing over the earlier
    /// passes' winners.
    pub reports: Vec<Report<u32>>,
    /// Counted as RCTab's `multiPassIrv` (`tally::sequential`).
    pub multi_pass: bool,
}

/// Counts `input` under the rules given by flags, its configuration or the
/// file (docs/ARCHITECTURE.md's rules when none is given).
pub fn count(args: &TallyArgs, input: Input) -> Result<Counted, String> {
    let Input { mut file, config } = input;
    if let Some(c) = &config {
        let (election, rules, seats) = c.prepare(std::mem::take(&mut file.election))?;
        file.election = election;
        file.rules = Some(rules);
        file.seats = file.seats.or(Some(seats));
        file.title = Some(c.contest_name.clone());
    }
    let seats = args.seats.or(file.seats);
    let rules = if args.rules.any() {
        Some(args.rules.apply(
            file.rules.clone().unwrap_or_default(),
            args.seed,
            &file.election,
        )?)
    } else {
        file.rules.clone()
    };
    let options = Options {
        seats: seats.unwrap_or(1),
        seed: args.seed,
        rules: tally::Rules {
            rcv: rules,
            ..tally::Rules::default()
        },
    };
    if let Some(rules) = options
        .rules
        .rcv
        .as_ref()
        .filter(|r| r.winner_mode.is_multi_pass())
    {
        return count_passes(file, config, &options, rules);
    }
    let method = args.method(options.seats)?;
    let mut report = tally::count(&file.election, method, &options).map_err(|e| e.to_string())?;
    report.ballot_digest = file.ballot_digest.clone();
    file.seats = seats;
    Ok(Counted {
        file,
        config,
        method,
        options,
        reports: vec![report],
        multi_pass: false,
    })
}

/// RCTab's `multiPassIrv`: one IRV count per seat, each excluding the earlier
/// passes' winners (`tally::sequential`).
fn count_passes(
    mut file: ElectionFile,
    config: Option<RctabConfig>,
    options: &Options,
    rules: &RcvRules,
) -> Result<Counted, String> {
    let pass_options = Options {
        seats: 1,
        rules: tally::Rules {
            rcv: Some(tally::sequential::pass_rules(rules)),
            ..tally::Rules::default()
        },
        ..options.clone()
    };
    let reports = tally::sequential::run_passes(
        &file.election,
        options.seats,
        |e| tally::count(e, Method::Irv, &pass_options),
        |r| r.winners.clone(),
    )
    .map_err(|e| e.to_string())?;
    file.seats = Some(1);
    Ok(Counted {
        file,
        config,
        method: Method::Irv,
        options: pass_options,
        reports,
        multi_pass: true,
    })
}

/// Why a text could not be counted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Failure {
    Format(ReadError),
    Tally(TallyError),
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Failure::Format(e) => e.fmt(f),
            Failure::Tally(e) => e.fmt(f),
        }
    }
}

impl std::error::Error for Failure {}

/// Reads `text` as `format` and counts it by docs/ARCHITECTURE.md's rules
/// (and a JSON file's `rules`): what `christen tally` does with a plain file,
/// for the benches. `seats`: `None` takes the file's (BLT) or 1. Candidates in
/// the report are `{id: number in the file, name}`; canonical CSV gets its
/// `ballot_digest`.
pub fn count_text(
    text: &str,
    format: Format,
    method: Method,
    seats: Option<u32>,
    seed: u64,
    progress: formats::Progress<'_>,
) -> Result<(ElectionFile, Report<CandidateRef<u32>>), Failure> {
    let source = Source::text("text", text);
    let file = formats::read_with_progress(&source, format, &ReadOptions::default(), progress)
        .map_err(Failure::Format)?;
    let options = Options {
        seats: seats.or(file.seats).unwrap_or(1),
        seed,
        rules: tally::Rules {
            rcv: file.rules.clone(),
            ..tally::Rules::default()
        },
    };
    let mut report = tally::count(&file.election, method, &options).map_err(Failure::Tally)?;
    report.ballot_digest = file.ballot_digest.clone();
    let report = report.with_refs(&file.election.candidates, |c| c + 1);
    Ok((file, report))
}
