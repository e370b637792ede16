//! The arguments of `christen tally`: the file, the format, the method and
//! seats, the outputs, and RCTab's rule options.

use clap::builder::{PossibleValue, PossibleValuesParser, TypedValueParser};

use crate::formats::Format;
use crate::tally::rcv::{self, RcvRules};
use crate::tally::{self, Method};

/// Arguments of `christen tally`.
#[derive(Debug, clap::Args)]
pub struct TallyArgs {
    /// Counting method: plurality, irv, stv, schulze, ranked_pairs, borda or copeland
    /// (default with --rctab-config: irv for one seat, stv for more).
    #[arg(long, short = 'm')]
    pub method: Option<Method>,
    /// Seats to fill (default: the file's, for BLT; otherwise 1).
    #[arg(long)]
    pub seats: Option<u32>,
    /// Seed of the tie-break lot.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// File format (auto: told from the file name and contents).
    // The values are `formats::Format::ALL`'s names (`FormatArg::parser`).
    #[arg(long, value_parser = FormatArg::parser(), default_value = "auto")]
    pub format: FormatArg,
    /// Print the report as JSON.
    #[arg(long)]
    pub json: bool,
    /// Print the Universal RCV Tabulation (URCVT) JSON summary that RCTab writes and
    /// rcvis reads (IRV and STV; RCTab's multiPassIrv: a JSON array, one summary
    /// per pass).
    #[arg(long, conflicts_with = "json")]
    pub urcvt: bool,
    /// Also write RCTab's round-by-round summary spreadsheet (CSV) to this file
    /// (IRV and STV; multiPassIrv: one file per pass, `_1`, `_2`, … before the
    /// extension, as RCTab numbers them).
    #[arg(long, value_name = "FILE")]
    pub summary_csv: Option<String>,
    /// The contest to count in cast vote records holding several (NIST CDF,
    /// Clear Ballot, Hart): its name or id, instead of the configuration
    /// source's contestId.
    #[arg(long)]
    pub contest: Option<String>,
    #[command(flatten)]
    pub rules: RuleArgs,
    /// Ballot file, or `-` for standard input; with --rctab-config and no file,
    /// every CVR file the configuration's cvrFileSources name.
    pub file: Option<String>,
}

impl TallyArgs {
    /// The ballot file named (`-` when only a configuration is given).
    pub fn file(&self) -> &str {
        self.file.as_deref().unwrap_or("-")
    }

    /// `--method`, or for an RCTab configuration IRV (one seat) or STV.
    pub fn method(&self, seats: u32) -> Result<Method, String> {
        match (self.method, &self.rules.rctab_config) {
            (Some(m), _) => Ok(m),
            (None, Some(_)) if seats > 1 => Ok(Method::Stv),
            (None, Some(_)) => Ok(Method::Irv),
            (None, None) => Err(
                "give --method (plurality, irv, stv, schulze, ranked_pairs, \
                 borda or copeland)"
                    .to_owned(),
            ),
        }
    }
}

/// RCTab's rule options for IRV and STV (see `tally::rcv`). Giving any of them,
/// `--rctab-config`, or a `rules` object in the input counts by those rules;
/// otherwise docs/ARCHITECTURE.md's rules apply.
#[derive(Debug, Default, clap::Args)]
pub struct RuleArgs {
    /// What a rank holding several candidates does.
    #[arg(long, value_enum)]
    pub overvote: Option<OvervoteArg>,
    /// Skipped ranks allowed between two marks (a number or `unlimited`).
    #[arg(long)]
    pub max_skipped_ranks: Option<String>,
    /// Ranks read from each ballot.
    #[arg(long)]
    pub max_rankings: Option<u32>,
    /// A candidate marked again on a later rank: skip the mark or exhaust the ballot.
    #[arg(long, value_enum)]
    pub duplicates: Option<DuplicatesArg>,
    /// Eliminate together every lowest candidate who cannot overtake the next one.
    #[arg(long)]
    pub batch_elimination: bool,
    /// IRV: keep eliminating after the winner is known, until two candidates remain.
    #[arg(long)]
    pub continue_until_two: bool,
    /// STV threshold: Droop in whole votes, or to `--decimals` places.
    #[arg(long, value_enum)]
    pub threshold: Option<ThresholdArg>,
    /// Decimal places of vote arithmetic (RCTab's decimalPlacesForVoteArithmetic).
    #[arg(long)]
    pub decimals: Option<u32>,
    /// Tie-break mode; `--seed` seeds the random ones.
    #[arg(long, value_enum)]
    pub tie_break: Option<TieBreakArg>,
    /// Name of the candidate standing for undeclared write-ins.
    #[arg(long)]
    pub write_in: Option<String>,
    /// Take the rules (and CVR reading options, candidate order and seats) from an
    /// RCTab contest configuration file.
    #[arg(long)]
    pub rctab_config: Option<String>,
}

/// `--overvote` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum OvervoteArg {
    ExhaustImmediately,
    AlwaysSkipToNextRank,
    ExhaustIfMultipleContinuing,
}

/// `--duplicates` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum DuplicatesArg {
    Skip,
    Exhaust,
}

/// `--threshold` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ThresholdArg {
    DroopWhole,
    DroopFractional,
}

/// `--tie-break` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum TieBreakArg {
    PreviousRoundsThenRandom,
    CandidateOrder,
    Random,
}

impl RuleArgs {
    pub fn any(&self) -> bool {
        self.overvote.is_some()
            || self.max_skipped_ranks.is_some()
            || self.max_rankings.is_some()
            || self.duplicates.is_some()
            || self.batch_elimination
            || self.continue_until_two
            || self.threshold.is_some()
            || self.decimals.is_some()
            || self.tie_break.is_some()
            || self.write_in.is_some()
    }

    /// Applies the flags on top of `base` (RCTab's from a config, or the defaults).
    pub fn apply(
        &self,
        base: RcvRules,
        seed: u64,
        election: &tally::Election,
    ) -> Result<RcvRules, String> {
        let mut r = base;
        if let Some(o) = self.overvote {
            r.overvote = match o {
                OvervoteArg::ExhaustImmediately => rcv::OvervoteRule::ExhaustImmediately,
                OvervoteArg::AlwaysSkipToNextRank => rcv::OvervoteRule::AlwaysSkipToNextRank,
                OvervoteArg::ExhaustIfMultipleContinuing => {
                    rcv::OvervoteRule::ExhaustIfMultipleContinuing
                }
            };
        }
        if let Some(m) = &self.max_skipped_ranks {
            r.max_skipped_ranks = match m.as_str() {
                "unlimited" => None,
                n => Some(n.parse().map_err(|_| {
                    format!("--max-skipped-ranks: expected a number or unlimited, found {n:?}")
                })?),
            };
        }
        if self.max_rankings.is_some() {
            r.max_rankings = self.max_rankings;
        }
        if let Some(d) = self.duplicates {
            r.duplicates = match d {
                DuplicatesArg::Skip => rcv::DuplicateRule::Skip,
                DuplicatesArg::Exhaust => rcv::DuplicateRule::Exhaust,
            };
        }
        r.batch_elimination |= self.batch_elimination;
        r.continue_until_two |= self.continue_until_two;
        if let Some(t) = self.threshold {
            r.threshold = match t {
                ThresholdArg::DroopWhole => rcv::ThresholdRule::DroopWhole,
                ThresholdArg::DroopFractional => rcv::ThresholdRule::DroopFractional,
            };
        }
        if let Some(d) = self.decimals {
            r.decimals = d;
        }
        if let Some(t) = self.tie_break {
            let seed = seed as i64;
            r.tie_break = match t {
                TieBreakArg::PreviousRoundsThenRandom => {
                    rcv::TieBreakMode::PreviousRoundsThenRandom { seed }
                }
                TieBreakArg::CandidateOrder => rcv::TieBreakMode::CandidateOrder,
                TieBreakArg::Random => rcv::TieBreakMode::Random { seed },
            };
        }
        if let Some(name) = &self.write_in {
            let at = election
                .candidates
                .iter()
                .position(|c| c == name)
                .ok_or_else(|| format!("--write-in: no candidate named {name:?}"))?;
            r.undeclared_write_in = Some(at as u32);
        }
        Ok(r)
    }
}

/// `--format`: a [`Format`] of the registry by its name, or `auto` (`None`):
/// told from the file name and contents. The values are the registry's, so a
/// format added there is a value here.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FormatArg(pub Option<Format>);

impl FormatArg {
    /// Every value `--format` takes but `auto`: the registry's names.
    pub fn names() -> Vec<&'static str> {
        Format::ALL.iter().map(|f| f.name()).collect()
    }

    /// The parser of `--format`: `auto` and every format's name, with its
    /// description as help.
    fn parser() -> impl TypedValueParser<Value = FormatArg> {
        let values = std::iter::once(
            PossibleValue::new("auto").help("told from the file name and contents"),
        )
        .chain(
            Format::ALL
                .iter()
                .map(|f| PossibleValue::new(f.name()).help(f.description())),
        );
        PossibleValuesParser::new(values).map(|name| FormatArg(name.parse().ok()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        tally: TallyArgs,
    }

    #[test]
    fn format_values_are_the_registry_names_and_auto() {
        let parse =
            |v: &str| Cli::try_parse_from(["t", "--format", v, "f"]).map(|c| c.tally.format);
        assert_eq!(parse("auto").unwrap(), FormatArg(None));
        for f in Format::ALL {
            assert_eq!(parse(f.name()).unwrap(), FormatArg(Some(f)));
        }
        assert!(parse("xlsx").is_err());
        let default = Cli::try_parse_from(["t", "f"]).unwrap().tally.format;
        assert_eq!(default, FormatArg(None));
        assert_eq!(FormatArg::names().len(), Format::ALL.len());
    }
}
