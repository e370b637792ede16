//! What the engine records of a count: the count itself ([`RcvCount`]), its
//! rounds as the API's own round type in exact fixed-point units
//! ([`Round`]`<CandidateIdx, u128>`, with [`Transfer`]s), and why a count could
//! not be made ([`RcvError`]). The API's report is the same rounds in `Votes`
//! (`super::report`); the URCVT and summary-CSV writers (`crate::formats`)
//! read the record itself.

#[cfg(doc)]
use super::rules::WinnerMode;
use super::rules::MAX_DECIMALS;
use crate::tally::report::{Inactive, Round, Tally, TieBreak, Transfer, TransferKind};
use crate::tally::types::CandidateIdx;
use serde::{Deserialize, Serialize};

/// Why a ballot stopped counting.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InactiveReason {
    Overvotes,
    SkippedRankings,
    RepeatedRankings,
    ExhaustedChoices,
    /// Surplus left with the winners after the last seat (STV).
    FinalRoundSurplus,
    /// The ballot marks nobody.
    Undervote,
}

/// Where votes went while counting, before a round's [`Transfer`] sums them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Destination {
    Candidate(CandidateIdx),
    /// Became inactive.
    Exhausted,
    /// Lost to truncation (STV).
    ResidualSurplus,
}

/// The transfer out of `from`: `moves` summed by destination, candidates in
/// candidate order.
pub(super) fn transfer(
    kind: TransferKind,
    from: CandidateIdx,
    moves: impl IntoIterator<Item = (Destination, u128)>,
) -> Transfer<CandidateIdx, u128> {
    let mut t = Transfer {
        kind,
        from,
        surplus: None,
        transfer_value: None,
        to: Vec::new(),
        exhausted: 0,
        lost_to_rounding: 0,
    };
    for (d, v) in moves {
        match d {
            Destination::Candidate(c) => match t.to.iter_mut().find(|x| x.candidate == c) {
                Some(x) => x.votes += v,
                None => t.to.push(Tally {
                    candidate: c,
                    votes: v,
                }),
            },
            Destination::Exhausted => t.exhausted += v,
            Destination::ResidualSurplus => t.lost_to_rounding += v,
        }
    }
    t.to.sort_unstable_by_key(|x| x.candidate);
    t
}

/// A round at its count: votes, threshold, the inactive buckets so far
/// (`buckets`, indexed by [`InactiveReason`]; undervotes are the count's, not a
/// round's) and what truncation lost so far; nobody elected or eliminated yet,
/// no transfer, `continuing_votes` to be filled in when it is recorded.
pub(super) fn round_at(
    round: u32,
    counts: Vec<Tally<CandidateIdx, u128>>,
    threshold: u128,
    buckets: &[u128; 6],
    lost_to_rounding: u128,
) -> Round<CandidateIdx, u128> {
    Round {
        round,
        counts,
        continuing_votes: 0,
        threshold,
        elected: Vec::new(),
        eliminated: Vec::new(),
        inactive: Inactive {
            overvotes: buckets[InactiveReason::Overvotes as usize],
            skipped_rankings: buckets[InactiveReason::SkippedRankings as usize],
            repeated_rankings: buckets[InactiveReason::RepeatedRankings as usize],
            exhausted_choices: buckets[InactiveReason::ExhaustedChoices as usize],
            final_round_surplus: buckets[InactiveReason::FinalRoundSurplus as usize],
        },
        lost_to_rounding,
        transfer: None,
        further_transfers: Vec::new(),
        scaled: Vec::new(),
        scaled_inactive: 0,
    }
}

/// A round's votes as (candidate, units) pairs, for tests.
#[cfg(test)]
pub(crate) fn pairs(r: &Round<CandidateIdx, u128>) -> Vec<(CandidateIdx, u128)> {
    r.counts.iter().map(|t| (t.candidate, t.votes)).collect()
}

/// The result of [`count_rcv`](super::count_rcv).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RcvCount {
    /// Fixed-point units per vote: `10^decimals`.
    pub scale: u128,
    pub seats: u32,
    pub winners: Vec<CandidateIdx>,
    /// Every round, amounts in fixed-point units (see `scale`). A transfer
    /// out of a round holds the votes that moved during the next round's
    /// count (RCTab), or in the next stage (`SurplusRule::OneAtATime`).
    pub rounds: Vec<Round<CandidateIdx, u128>>,
    /// Votes of ballots marking nobody (RCTab's undervotes), in fixed-point
    /// units: inactive from the first round on, and in no round's buckets.
    pub undervotes: u128,
    /// Every tie broken, in the order broken, as the API's report logs them.
    pub tie_breaks: Vec<TieBreak<CandidateIdx>>,
}

/// Why a count could not be made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RcvError {
    NoSeats,
    TooManyDecimals(u32),
    UnknownCandidate(CandidateIdx),
    /// The rules could not elect anyone more (no candidate left to eliminate).
    Stuck {
        round: u32,
    },
    /// A rule of RCTab's round loop set together with
    /// `SurplusRule::OneAtATime`, whose stages do not implement it.
    NotWithSurplusOneAtATime {
        rule: &'static str,
    },
    /// Every continuing candidate is below `minimum_votes`.
    AllBelowMinimum {
        round: u32,
    },
    /// [`WinnerMode::MultiPass`]: one count per seat, by
    /// `tally::sequential::count_passes`.
    MultiPass,
    /// A rank marks the explicit overvote label and a candidate too (RCTab
    /// aborts: "Found multiple candidates when explicit overvote label was
    /// provided").
    ExplicitOvervoteWithCandidates,
    /// The explicit overvote label under `ExhaustIfMultipleContinuing`, which
    /// cannot tell how many continuing candidates it stands for.
    ExplicitOvervoteRule,
    /// A tie needed breaking under a tie-break mode that leaves it to an
    /// operator (RCTab's `stopCountingAndAsk`, `previousRoundCountsThenAsk`).
    TieNeedsOperator {
        round: u32,
        electing: bool,
        tied: Vec<String>,
    },
}

impl std::fmt::Display for RcvError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RcvError::NoSeats => f.write_str("seats must be at least 1"),
            RcvError::TooManyDecimals(d) => {
                write!(f, "decimal places must be at most {MAX_DECIMALS}, not {d}")
            }
            RcvError::UnknownCandidate(c) => write!(f, "candidate number {c} does not exist"),
            RcvError::ExplicitOvervoteWithCandidates => f.write_str(
                "a ballot marks the explicit overvote label and a candidate at the same rank",
            ),
            RcvError::ExplicitOvervoteRule => f.write_str(
                "when overvoteLabel is supplied, overvoteRule must be either \
                 \"alwaysSkipToNextRank\" or \"exhaustImmediately\"",
            ),
            RcvError::MultiPass => f.write_str(
                "multiPassIrv is counted pass by pass (one single-winner count per seat)",
            ),
            RcvError::NotWithSurplusOneAtATime { rule } => write!(
                f,
                "the rule {rule} is not implemented with surplus: one_at_a_time \
                 (it belongs to RCTab's rounds, surplus: all_at_once)"
            ),
            RcvError::Stuck { round } => {
                write!(
                    f,
                    "round {round}: no candidate can be elected or eliminated"
                )
            }
            RcvError::AllBelowMinimum { round } => write!(
                f,
                "round {round}: every candidate is below the minimum vote threshold"
            ),
            RcvError::TieNeedsOperator {
                round,
                electing,
                tied,
            } => write!(
                f,
                "round {round}: {} are tied {}, and the tie-break mode leaves the choice \
                 to an operator (RCTab asks one); choose a tie-break mode that decides it \
                 (random, useCandidateOrder, previousRoundCountsThenRandom, generatePermutation)",
                tied.iter()
                    .map(|n| format!("\"{n}\""))
                    .collect::<Vec<_>>()
                    .join(", "),
                if *electing {
                    "to be elected"
                } else {
                    "for elimination"
                }
            ),
        }
    }
}

impl std::error::Error for RcvError {}
