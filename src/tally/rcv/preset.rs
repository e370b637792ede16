//! The API's rules (docs/ARCHITECTURE.md "Counting rules") as a preset of the
//! one rules model.

use super::rules::{DuplicateRule, RcvRules, SurplusRule, ThresholdRule, TieBreakMode, WinnerMode};
use crate::tally::method::Method;
use crate::tally::rules::Rules;

impl RcvRules {
    /// The rules every API contest is counted by, for `method` (IRV or STV)
    /// under the API's `rules`, with the lot drawn from `seed`:
    /// - overvotes and skipped ranks as `rules` says (the API's
    ///   `exhaust_immediately` is the engine's
    ///   [`super::OvervoteRule::ExhaustIfMultipleContinuing`]: a tie among
    ///   continuing candidates at the ballot's highest continuing rank);
    /// - ballots never repeat a candidate (`tally::count` refuses them first),
    ///   so [`DuplicateRule`] does not matter;
    /// - IRV: a majority of the continuing votes (`floor(continuing / 2) + 1`,
    ///   [`ThresholdRule::DroopWhole`] for one seat), worked out every round; the
    ///   lowest is eliminated, one a round, also when the last two are tied;
    /// - STV: the quota of `rules` from round 1, surpluses one at a time,
    ///   largest first ([`SurplusRule::OneAtATime`]), values to
    ///   `rules.decimals` places;
    /// - ties: earlier rounds, then the lot ([`TieBreakMode::PreviousRoundsThenLot`]).
    pub fn christen(method: Method, rules: &Rules, seed: u64) -> RcvRules {
        RcvRules {
            overvote: rules.overvote,
            max_skipped_ranks: rules.skipped_ranks,
            max_rankings: None,
            duplicates: DuplicateRule::Skip,
            batch_elimination: false,
            continue_until_two: false,
            threshold: if method == Method::Stv {
                rules.quota
            } else {
                ThresholdRule::DroopWhole
            },
            decimals: rules.decimals,
            tie_break: TieBreakMode::PreviousRoundsThenLot { seed },
            undeclared_write_in: None,
            explicit_overvote: None,
            winner_mode: WinnerMode::MultipleWinnersPerRound,
            minimum_votes: 0,
            first_round_threshold: false,
            stop_after_round: None,
            surplus: if method == Method::Stv {
                SurplusRule::OneAtATime
            } else {
                SurplusRule::AllAtOnce
            },
            two_left_tie_elects: false,
        }
    }
}
