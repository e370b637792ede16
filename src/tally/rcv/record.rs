//! What the engine records of a count: rounds with exact fixed-point amounts
//! ([`RcvRound`], [`RcvTransfer`]), the count itself ([`RcvCount`]) and why a
//! count could not be made ([`RcvError`]). These are the engine's own exact
//! records; the API's [`Round`] and the URCVT and summary-CSV writers render
//! them (`super::report`, `crate::formats`).

#[cfg(doc)]
use crate::tally::report::Round;
use serde::{Deserialize, Serialize};

#[cfg(doc)]
use super::rules::WinnerMode;
use super::rules::MAX_DECIMALS;
use crate::tally::report::TieBreak;
use crate::tally::types::CandidateIdx;

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

/// Where transferred votes went.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "to", content = "candidate")]
pub enum Destination {
    Candidate(CandidateIdx),
    /// Became inactive.
    Exhausted,
    /// Lost to truncation (STV).
    ResidualSurplus,
}

/// Votes moved from one candidate after a round.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RcvTransfer {
    pub from: CandidateIdx,
    /// Destination and amount, in fixed-point units (see [`RcvCount::scale`]),
    /// destinations in order.
    pub to: Vec<(Destination, u128)>,
    /// A surplus transferred on its own ([`super::SurplusRule::OneAtATime`]):
    /// how much, and at what value. `None` for an elimination, and for RCTab's
    /// surpluses, which move with the next round's count.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub surplus: Option<RcvSurplus>,
}

/// A surplus moved by itself (Scottish STV), in fixed-point units.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct RcvSurplus {
    /// The candidate's votes over the quota.
    pub surplus: u128,
    /// `surplus / votes`, truncated: the new value of a ballot of full value.
    pub value: u128,
}

/// One round, amounts in fixed-point units (see [`RcvCount::scale`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RcvRound {
    pub round: u32,
    /// Votes of each candidate in this round (continuing ones, and earlier winners
    /// in an STV count), candidate order.
    pub tally: Vec<(CandidateIdx, u128)>,
    pub threshold: u128,
    /// Elected this round, most votes first.
    pub elected: Vec<CandidateIdx>,
    /// Eliminated this round, candidate order.
    pub eliminated: Vec<CandidateIdx>,
    /// Inactive votes by reason so far (cumulative): overvotes, skipped
    /// rankings, repeated rankings, exhausted choices, final-round surplus.
    pub overvotes: u128,
    pub skipped_rankings: u128,
    pub repeated_rankings: u128,
    pub exhausted_choices: u128,
    pub final_round_surplus: u128,
    pub undervotes: u128,
    /// Rounding leftovers so far (cumulative).
    pub residual_surplus: u128,
    /// Votes moved out of this round's elected and eliminated candidates (they
    /// move during the next round's count).
    pub transfers: Vec<RcvTransfer>,
    /// Candidates whose votes this round carry `decimals` places in RCTab's
    /// reports (`BigDecimal` scale): those holding a ballot revalued by a
    /// surplus (STV), even at a whole value.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub scaled: Vec<CandidateIdx>,
    /// The same for the inactive buckets: bit `1 << reason` of [`InactiveReason`].
    #[serde(default, skip_serializing_if = "is_zero")]
    pub scaled_inactive: u8,
}

fn is_zero(bits: &u8) -> bool {
    *bits == 0
}

/// The result of [`count_rcv`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RcvCount {
    /// Fixed-point units per vote: `10^decimals`.
    pub scale: u128,
    pub seats: u32,
    pub winners: Vec<CandidateIdx>,
    pub rounds: Vec<RcvRound>,
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
