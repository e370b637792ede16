//! The one rules model of IRV and STV, as data (their meaning: `tally::rcv`):
//! RCTab's rule options, and the few rules of the API's own count
//! (docs/ARCHITECTURE.md) that RCTab does not have ([`SurplusRule::OneAtATime`],
//! [`TieBreakMode::PreviousRoundsThenLot`], `two_left_tie_elects: false`). The
//! API's preset is `RcvRules::christen` (`super::preset`).

use serde::{Deserialize, Serialize};

use crate::tally::types::CandidateIdx;

/// What a rank holding several candidates does.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OvervoteRule {
    /// The ballot becomes inactive there (`overvotes`).
    #[default]
    ExhaustImmediately,
    /// The rank is passed over; if it was the ballot's last marked rank, the ballot
    /// is inactive as `exhausted_choices`.
    AlwaysSkipToNextRank,
    /// Inactive only if more than one of the rank's candidates is continuing;
    /// otherwise the continuing one (if any) gets the ballot.
    ExhaustIfMultipleContinuing,
}

/// What a candidate marked on several ranks of one ballot does.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DuplicateRule {
    /// The later marks are passed over (the candidate is no longer continuing by then).
    #[default]
    Skip,
    /// The ballot becomes inactive at the repeated mark (`repeated_rankings`).
    Exhaust,
}

/// How a tie for elimination (or for election, where one must be chosen) is broken.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "mode")]
pub enum TieBreakMode {
    /// The tied candidate with the fewest (to eliminate) or most (to elect) votes in
    /// the latest earlier round where they differed; if equal in every round, the
    /// seeded random choice below.
    PreviousRoundsThenRandom { seed: i64 },
    /// The tied candidate listed last (to eliminate) or first (to elect).
    CandidateOrder,
    /// RCTab's `random`: the tied candidates sorted by name, index
    /// `floor(r × n)` with `r` the next `java.util.Random(seed).nextDouble()`.
    Random { seed: i64 },
    /// RCTab's `generatePermutation`: the candidates (undeclared write-ins
    /// aside) sorted by name are shuffled once with `java.util.Random(seed)`
    /// (`Collections.shuffle`); a tie elects the one earliest in that order and
    /// eliminates the one latest.
    Permutation { seed: i64 },
    /// RCTab's `stopCountingAndAsk`: a tie that needs breaking stops the count
    /// with an error (Christen has no operator to ask); a count without one
    /// completes.
    Ask,
    /// RCTab's `previousRoundCountsThenAsk`: as `PreviousRoundsThenRandom`, but a
    /// tie equal in every earlier round stops the count with an error.
    PreviousRoundsThenAsk,
    /// The API's rule (docs/ARCHITECTURE.md, `tally::lot`): the tied candidates
    /// ordered by their votes in the earlier rounds, most recent round first,
    /// then by the lot drawn from `seed`; every tie is logged with the full
    /// order decided. Also orders candidates elected together and equal
    /// surpluses under [`SurplusRule::OneAtATime`].
    PreviousRoundsThenLot { seed: u64 },
}

/// When and how elected candidates' surpluses move on (several seats).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SurplusRule {
    /// RCTab: every winner's surplus moves with the next round's count; each
    /// ballot keeps `value × fraction` with `fraction = surplus / votes`, both
    /// truncated to `decimals` places.
    #[default]
    AllAtOnce,
    /// The API's STV (Scottish Local Government Elections Order 2007, rules
    /// 46–52; docs/ARCHITECTURE.md): each stage elects everyone reaching the
    /// quota (most votes first), then transfers one surplus, the largest,
    /// whose every ballot moves at `value × surplus ÷ votes` truncated to
    /// `decimals` places, the candidate keeping exactly the quota; only when
    /// no surplus is left is the lowest candidate excluded. Also with one seat.
    OneAtATime,
}

impl Default for TieBreakMode {
    fn default() -> Self {
        TieBreakMode::PreviousRoundsThenRandom { seed: 0 }
    }
}

/// The STV threshold.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ThresholdRule {
    /// `floor(V / (S + 1)) + 1` whole votes.
    #[default]
    DroopWhole,
    /// `floor(V / (S + 1))` to `decimals` places, plus `10^-decimals`.
    DroopFractional,
    /// RCTab's `hareQuota`: `ceil(V / S)` whole votes. (RCTab refuses
    /// `hareQuota` with `nonIntegerWinningThreshold`, so there is no
    /// fractional Hare threshold.)
    HareWhole,
}

/// How winners are found (RCTab's `winnerElectionMode`, several seats).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WinnerMode {
    /// Everyone reaching the threshold in a round is elected in it
    /// (`singleWinnerMajority`, `multiWinnerAllowMultipleWinnersPerRound`).
    #[default]
    MultipleWinnersPerRound,
    /// Of those reaching it, only the one with the most votes
    /// (`multiWinnerAllowOnlyOneWinnerPerRound`).
    OneWinnerPerRound,
    /// No threshold and no surplus: eliminate until as many candidates remain as
    /// seats (`bottomsUp`).
    BottomsUp,
    /// RCTab's `bottomsUpUsingPercentageThreshold` (`numberOfWinners` 0, the seats
    /// ignored): no surplus; eliminate until every continuing candidate has more
    /// than `percent`% of the round's active votes, then elect them all. The
    /// threshold is `active × fraction`, `fraction` being `percent / 100` cut to
    /// `decimals` places as RCTab's `ContestConfig.divide` does
    /// (`BigDecimal.divide(…, decimals, RoundingMode.DOWN)`), and the product
    /// exact (`BigDecimal.multiply`); a candidate must have strictly more
    /// (`RoundTally.getCandidatesWithMoreVotesThan`). `percent` is whole,
    /// 1 to 100, as RCTab validates it. The round's winners are listed in
    /// the iteration order of RCTab's `winnerToRound` `HashMap`, not by votes.
    BottomsUpPercentage { percent: u32 },
    /// RCTab's `multiPassIrv` (`MULTI_SEAT_SEQUENTIAL_WINNER_TAKES_ALL`): one
    /// single-winner count per seat, each with the earlier passes' winners
    /// excluded; counted by `tally::sequential`, not by one `count_rcv`.
    MultiPass,
}

impl WinnerMode {
    /// Whether winners keep their votes (no threshold surplus moves on).
    pub fn is_bottoms_up(self) -> bool {
        matches!(
            self,
            WinnerMode::BottomsUp | WinnerMode::BottomsUpPercentage { .. }
        )
    }

    pub fn is_multi_pass(self) -> bool {
        self == WinnerMode::MultiPass
    }

    /// The percentage threshold as a fraction in units of `10^-decimals`:
    /// `floor(percent × 10^decimals / 100)` (see [`WinnerMode::BottomsUpPercentage`]).
    pub fn percentage_fraction(self, decimals: u32) -> Option<u128> {
        match self {
            WinnerMode::BottomsUpPercentage { percent } => {
                Some(u128::from(percent) * 10u128.pow(decimals) / 100)
            }
            _ => None,
        }
    }
}

fn is_default<T: Default + PartialEq>(value: &T) -> bool {
    *value == T::default()
}

/// Rule options of a round-based count.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(default)]
pub struct RcvRules {
    pub overvote: OvervoteRule,
    /// Skipped ranks allowed between two marks (`None`: unlimited).
    pub max_skipped_ranks: Option<u32>,
    /// Ranks read from each ballot (`None`: all).
    pub max_rankings: Option<u32>,
    pub duplicates: DuplicateRule,
    pub batch_elimination: bool,
    /// Single winner: keep eliminating after the winner is known, until two remain.
    pub continue_until_two: bool,
    pub threshold: ThresholdRule,
    /// Decimal places of vote arithmetic (RCTab's `decimalPlacesForVoteArithmetic`),
    /// at most [`MAX_DECIMALS`].
    pub decimals: u32,
    pub tie_break: TieBreakMode,
    /// The candidate standing for undeclared write-ins, if any: eliminated first
    /// whenever it holds votes, never elected.
    pub undeclared_write_in: Option<CandidateIdx>,
    /// The "candidate" standing for an explicit overvote (RCTab's
    /// `overvoteLabel`, ES&S): never continuing, never shown; a rank marking
    /// it is an overvote under `overvote` (which must then be
    /// `ExhaustImmediately` or `AlwaysSkipToNextRank`), and it may not share
    /// its rank with a candidate (RCTab's `Tabulator.getOvervoteDecision`).
    #[serde(skip_serializing_if = "is_default")]
    pub explicit_overvote: Option<CandidateIdx>,
    #[serde(skip_serializing_if = "is_default")]
    pub winner_mode: WinnerMode,
    /// RCTab's `minimumVoteThreshold` in whole votes (0: none): candidates below
    /// it are eliminated together, and the winning threshold is never lower.
    #[serde(skip_serializing_if = "is_default")]
    pub minimum_votes: u64,
    /// RCTab's `doesFirstRoundDetermineThreshold` (one seat): round 1's threshold
    /// holds in every round.
    #[serde(skip_serializing_if = "is_default")]
    pub first_round_threshold: bool,
    /// RCTab's `stopTabulationEarlyAfterRound`: no round after this one.
    #[serde(skip_serializing_if = "is_default")]
    pub stop_after_round: Option<u32>,
    #[serde(skip_serializing_if = "is_default")]
    pub surplus: SurplusRule,
    /// One seat, two candidates left, neither at the threshold (so they are
    /// tied): `true` (RCTab's `Tabulator.identifyWinners`) elects one by the
    /// tie-break in that round; `false` (the API's IRV) eliminates one by the
    /// tie-break, and the last one left wins the next round.
    #[serde(skip_serializing_if = "is_true")]
    pub two_left_tie_elects: bool,
}

fn is_true(value: &bool) -> bool {
    *value
}

impl Default for RcvRules {
    fn default() -> Self {
        RcvRules {
            overvote: OvervoteRule::default(),
            max_skipped_ranks: None,
            max_rankings: None,
            duplicates: DuplicateRule::default(),
            batch_elimination: false,
            continue_until_two: false,
            threshold: ThresholdRule::default(),
            decimals: 4,
            tie_break: TieBreakMode::default(),
            undeclared_write_in: None,
            explicit_overvote: None,
            winner_mode: WinnerMode::default(),
            minimum_votes: 0,
            first_round_threshold: false,
            stop_after_round: None,
            surplus: SurplusRule::AllAtOnce,
            two_left_tie_elects: true,
        }
    }
}

/// Most decimal places of vote arithmetic.
pub const MAX_DECIMALS: u32 = 9;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tally::rcv::{count_rcv, pairs};
    use crate::tally::types::{Ballot, Election};

    /// A 5, B 4, C→B 2, D→C 1: 12 active votes.
    fn election() -> Election {
        let ballots: [(&[CandidateIdx], u64); 4] =
            [(&[0], 5), (&[1], 4), (&[2, 1], 2), (&[3, 2], 1)];
        Election {
            candidates: ["A", "B", "C", "D"].map(String::from).to_vec(),
            withdrawn: Vec::new(),
            ballots: ballots
                .iter()
                .map(|(ranks, count)| Ballot {
                    ranks: ranks.iter().map(|&c| vec![c]).collect(),
                    count: *count,
                })
                .collect(),
        }
    }

    /// Worked by hand. 25% at 4 places: 12 × 0.25 = 3; D goes, then C, who
    /// has exactly 3 (not more); round 3: 11 active, threshold 2.75, A 5 and
    /// B 6 both above: both elected, nobody surplus.
    #[test]
    fn percentage_threshold_elects_everyone_once_all_are_above_it() {
        let rules = RcvRules {
            winner_mode: WinnerMode::BottomsUpPercentage { percent: 25 },
            ..RcvRules::default()
        };
        let count = count_rcv(&election(), 1, &rules).unwrap();
        let thresholds: Vec<u128> = count.rounds.iter().map(|r| r.threshold).collect();
        assert_eq!(thresholds, vec![30_000, 30_000, 27_500]);
        assert_eq!(count.rounds[0].eliminated, vec![3]);
        assert_eq!(pairs(&count.rounds[1])[2], (2, 30_000));
        assert_eq!(count.rounds[1].eliminated, vec![2]);
        // RCTab lists them as its HashMap of names does: A, B.
        assert_eq!(count.rounds[2].elected, vec![0, 1]);
        assert_eq!(pairs(&count.rounds[2]), vec![(0, 50_000), (1, 60_000)]);
        assert_eq!(count.winners, vec![0, 1]);
        // The seats play no part, nor do surpluses.
        assert_eq!(
            count_rcv(&election(), 3, &rules).unwrap().rounds,
            count.rounds
        );
    }

    /// RCTab cuts percent / 100 to the arithmetic's places first: at one
    /// place 25% is 0.2, so round 2's threshold is 2.4 and C's 3 is enough.
    #[test]
    fn the_fraction_is_cut_to_the_decimal_places() {
        assert_eq!(
            WinnerMode::BottomsUpPercentage { percent: 25 }.percentage_fraction(1),
            Some(2)
        );
        let rules = RcvRules {
            winner_mode: WinnerMode::BottomsUpPercentage { percent: 25 },
            decimals: 1,
            ..RcvRules::default()
        };
        let count = count_rcv(&election(), 1, &rules).unwrap();
        assert_eq!(count.rounds.len(), 2);
        assert_eq!(count.rounds[1].threshold, 24);
        assert_eq!(count.rounds[1].elected, vec![0, 1, 2]);
        // 100%: nobody ever has more than every active vote.
        let all = RcvRules {
            winner_mode: WinnerMode::BottomsUpPercentage { percent: 100 },
            ..RcvRules::default()
        };
        assert!(count_rcv(&election(), 1, &all).unwrap().winners.is_empty());
    }
}
