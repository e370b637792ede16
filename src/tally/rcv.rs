//! IRV and STV under configurable rule options, with the meaning RCTab (the
//! certified US ranked-choice tabulator) gives them.
//!
//! Each round every ballot counts for its current candidate while that candidate
//! is continuing; otherwise the ballot is scanned from its first rank:
//! 1. with surpluses (STV) and every seat filled, it is inactive as
//!    *final-round surplus*;
//! 2. a marked rank more than `max_skipped_ranks + 1` after the previous marked
//!    rank makes it inactive (*skipped rankings*); marks of eliminated candidates
//!    still count as marks, trailing blanks never exhaust;
//! 3. with [`DuplicateRule::Exhaust`], a candidate marked a second time makes it
//!    inactive (*repeated rankings*);
//! 4. a rank with several candidates is an overvote, handled by [`OvervoteRule`]
//!    (exhausting gives *overvotes*; skipping the last marked rank gives
//!    *exhausted choices*);
//! 5. the first continuing candidate of the rank gets the ballot;
//! 6. past its last marked rank it is inactive (*exhausted choices*).
//!
//! Ballots marking nobody are undervotes, reported apart. Marks beyond
//! `max_rankings` are ignored.
//!
//! Single winner: threshold `floor(active / 2) + 1`, recomputed every round (also
//! under `continue_until_two`, as RCTab's `Tabulator.tabulate` does; with
//! `first_round_threshold`, round 1's holds). Several
//! seats: the Droop threshold from round 1's active votes, whole
//! (`floor(V / (S + 1)) + 1`) or fractional (`floor(V / (S + 1))` to `decimals`
//! places plus `10^-decimals`); every candidate reaching it is elected in that round
//! and each of its ballots passes on `value × fraction`, where
//! `fraction = surplus / votes`; both truncated to `decimals` places (rounding
//! leftovers are *residual surplus*). After the last seat one more round shows the
//! final surpluses.
//!
//! With `hare_quota` (RCTab's `hareQuota`) the divisor is `S`, rounded up; no
//! threshold is below `minimum_votes`. [`WinnerMode`] chooses how many of those
//! reaching it are elected in a round (all, or the one with most votes), or
//! (`BottomsUp`) elects nobody until as many candidates remain as seats, with no
//! surpluses, or (`BottomsUpPercentage`) until every continuing candidate has
//! more than a percentage of the round's active votes (threshold recomputed
//! every round). More seats than candidates: every candidate is elected.
//! `stop_after_round` ends the count after that round, winners or not.
//!
//! Eliminations, one kind per round: undeclared write-ins first while they hold
//! votes (nobody is elected while they do); then every candidate below
//! `minimum_votes`; then, with `batch_elimination`, the
//! largest set of lowest candidates whose combined votes are below the next
//! candidate's (only when it has more than one candidate); else the lowest, ties
//! broken by [`TieBreakMode`]. A tie under the modes that ask an operator
//! (RCTab's `stopCountingAndAsk`) ends the count with [`RcvError::TieNeedsOperator`].
//!
//! Arithmetic is exact fixed point with `decimals` places (integers scaled by
//! `10^decimals`); nothing is floating point.

use serde::{Deserialize, Serialize};

use super::error::TallyError;
use super::method::Method;
pub use super::rcv_rules::{
    DuplicateRule, OvervoteRule, RcvRules, ThresholdRule, TieBreakMode, WinnerMode, MAX_DECIMALS,
};
use super::report::{
    DecidedBy, Inactive, Report, Round, Tally, TieBreak, TiePurpose, Transfer, TransferKind,
};
use super::rules::Options;
use super::types::{Ballot, CandidateIdx, Election};
use super::votes::{Votes, VOTE_DECIMALS};

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

/// A tie broken during the count.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RcvTieBreak {
    pub round: u32,
    /// True when choosing whom to elect, false when choosing whom to eliminate.
    pub electing: bool,
    pub tied: Vec<CandidateIdx>,
    pub chosen: CandidateIdx,
    pub decided_by: RcvDecidedBy,
}

/// How an [`RcvTieBreak`] was decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "rule")]
pub enum RcvDecidedBy {
    /// By the tied candidates' votes in that earlier round.
    EarlierRound {
        round: u32,
    },
    CandidateOrder,
    Random,
}

/// The result of [`count_rcv`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RcvCount {
    /// Fixed-point units per vote: `10^decimals`.
    pub scale: u128,
    pub seats: u32,
    pub winners: Vec<CandidateIdx>,
    pub rounds: Vec<RcvRound>,
    pub tie_breaks: Vec<RcvTieBreak>,
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

/// `java.util.Random`, as RCTab's random tie-breaks use it (a 48-bit linear
/// congruential generator; Java SE API specification of `java.util.Random`).
#[derive(Debug, Clone)]
pub struct JavaRandom {
    seed: u64,
}

impl JavaRandom {
    const MULTIPLIER: u64 = 0x5_DEEC_E66D;
    const MASK: u64 = (1 << 48) - 1;

    pub fn new(seed: i64) -> Self {
        JavaRandom {
            seed: (seed as u64 ^ Self::MULTIPLIER) & Self::MASK,
        }
    }

    fn next(&mut self, bits: u32) -> u64 {
        self.seed = (self.seed.wrapping_mul(Self::MULTIPLIER).wrapping_add(0xB)) & Self::MASK;
        self.seed >> (48 - bits)
    }

    /// `floor(nextDouble() × n)`, computed exactly: `nextDouble()` is
    /// `((next(26) << 27) + next(27)) / 2^53`.
    /// `nextInt(bound)`, `bound` ≥ 1: the high 31 bits scaled for a power of
    /// two, else drawn again while they would bias the remainder.
    pub fn next_int(&mut self, bound: u32) -> u32 {
        let bound = bound as i64;
        let mut r = self.next(31) as i64;
        let m = bound - 1;
        if bound & m == 0 {
            return ((bound * r) >> 31) as u32;
        }
        let mut u = r;
        loop {
            r = u % bound;
            // Java's `u - r + m < 0` in 32-bit arithmetic.
            if (u - r + m) as i32 >= 0 {
                return r as u32;
            }
            u = self.next(31) as i64;
        }
    }

    /// `Collections.shuffle(list, random)` on a random-access list.
    pub fn shuffle<T>(&mut self, list: &mut [T]) {
        for i in (2..=list.len()).rev() {
            let j = self.next_int(i as u32) as usize;
            list.swap(i - 1, j);
        }
    }

    pub fn next_index(&mut self, n: usize) -> usize {
        let hi = self.next(26);
        let lo = self.next(27);
        let x = (hi << 27) + lo; // < 2^53
        ((x as u128 * n as u128) >> 53) as usize
    }
}

/// Java's `String.hashCode` (UTF-16 code units, wrapping `i32`).
fn java_string_hash(s: &str) -> i32 {
    s.encode_utf16()
        .fold(0i32, |h, u| h.wrapping_mul(31).wrapping_add(i32::from(u)))
}

/// The iteration order of `new java.util.HashSet<>(list)` over candidates named
/// `names`, `list` giving the insertion order: the table holds
/// `max((int) (n / .75f) + 1, 16)` rounded up to a power of two buckets; a name
/// goes to bucket `(h ^ (h >>> 16)) & (buckets - 1)`; buckets are visited in
/// order, each in insertion order (OpenJDK `HashMap`; a bucket of eight or more
/// names would be reorganised, which a tie of real candidates does not reach).
fn java_hash_set_order(list: &[CandidateIdx], names: &[String]) -> Vec<CandidateIdx> {
    let wanted = ((list.len() as f32 / 0.75f32) as usize + 1).max(16);
    java_hash_order(list, names, wanted.next_power_of_two() as u32)
}

/// The iteration order of a `java.util.HashMap` keyed by the names of `list`,
/// put in that order into a default map (16 buckets, doubled whenever it is
/// more than three quarters full): RCTab's order for a round's tallies.
pub(crate) fn java_hash_map_order(list: &[CandidateIdx], names: &[String]) -> Vec<CandidateIdx> {
    let mut buckets = 16usize;
    while list.len() * 4 > buckets * 3 {
        buckets *= 2;
    }
    java_hash_order(list, names, buckets as u32)
}

fn java_hash_order(list: &[CandidateIdx], names: &[String], buckets: u32) -> Vec<CandidateIdx> {
    let bucket = |c: CandidateIdx| {
        let h = java_string_hash(&names[c as usize]) as u32;
        (h ^ (h >> 16)) & (buckets - 1)
    };
    let mut order = list.to_vec();
    order.sort_by_key(|&c| bucket(c));
    order
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Status {
    Continuing,
    Won(u32),
    Eliminated(u32),
}

#[derive(Debug, Clone)]
struct Group {
    /// Marked ranks, ascending, marks past `max_rankings` dropped: a range of
    /// [`Counter::marks`] (see [`marks`]).
    marks: std::ops::Range<usize>,
    /// The last marked rank (0 if none).
    max_rank: u32,
    count: u64,
    /// Value of each of its ballots (units): what the winners it helped elect
    /// did not keep.
    value: u64,
    recipient: Option<CandidateIdx>,
    inactive: Option<InactiveReason>,
    /// Revalued by a surplus (its value has `decimals` places in RCTab).
    scaled: bool,
}

impl Group {
    fn weight(&self) -> u128 {
        self.value as u128 * self.count as u128
    }
}

/// Reads a group's marked ranks from [`Counter::marks`]: each is its 1-based
/// rank, its number of candidates, then the candidates.
fn marks(words: &[u32]) -> impl Iterator<Item = (u32, &[CandidateIdx])> + '_ {
    let mut at = 0;
    std::iter::from_fn(move || {
        let (&rank, &len) = (words.get(at)?, words.get(at + 1)?);
        let slot = &words[at + 2..at + 2 + len as usize];
        at += 2 + len as usize;
        Some((rank, slot))
    })
}

/// Whether `slot` marks a candidate already in `seen`; adds the slot's
/// candidates to `seen` up to the first repeated one.
#[inline]
fn repeats(slot: &[CandidateIdx], seen: &mut Vec<CandidateIdx>) -> bool {
    for &c in slot {
        if seen.contains(&c) {
            return true;
        }
        seen.push(c);
    }
    false
}

enum Overvote {
    None,
    Exhaust,
    Skip,
}

struct Counter<'a> {
    names: &'a [String],
    rules: &'a RcvRules,
    seats: u32,
    one: u128,
    status: Vec<Status>,
    groups: Vec<Group>,
    /// Every group's marked ranks, group after group (see [`marks`]).
    marks: Vec<u32>,
    /// Per candidate: the active groups it is the recipient of, and their
    /// votes. Only the piles of candidates no longer continuing are looked at
    /// again in a round; the others keep their ballots.
    piles: Vec<Vec<u32>>,
    held: Vec<u128>,
    /// Per winner (STV): the votes it kept of the groups that elected it, over
    /// every allocation.
    kept: Vec<u128>,
    /// Votes of inactive groups by reason, cumulative.
    inactive: [u128; 6],
    /// Whether the first round has placed every group.
    placed: bool,
    rounds: Vec<RcvRound>,
    tie_breaks: Vec<RcvTieBreak>,
    random: Option<JavaRandom>,
    /// The `generatePermutation` order, once drawn.
    permutation: Option<Vec<CandidateIdx>>,
    /// Transfers recorded while counting the current round: (from, to, amount).
    moves: Vec<(CandidateIdx, Destination, u128)>,
    /// Rounding leftovers of every surplus so far (STV).
    residual_total: u128,
    /// Inactive buckets holding a revalued ballot (see [`RcvRound::scaled_inactive`]).
    inactive_scaled: u8,
}

impl Counter<'_> {
    fn continuing(&self, c: CandidateIdx) -> bool {
        match self.status[c as usize] {
            Status::Continuing => true,
            Status::Won(_) => self.rules.continue_until_two,
            Status::Eliminated(_) => false,
        }
    }

    fn winners(&self) -> usize {
        self.status
            .iter()
            .filter(|s| matches!(s, Status::Won(_)))
            .count()
    }

    fn eliminated(&self) -> usize {
        self.status
            .iter()
            .filter(|s| matches!(s, Status::Eliminated(_)))
            .count()
    }

    fn uses_surpluses(&self) -> bool {
        self.seats > 1 && !self.rules.winner_mode.is_bottoms_up()
    }

    fn overvote(&self, slot: &[CandidateIdx]) -> Overvote {
        if slot.len() <= 1 {
            return Overvote::None;
        }
        match self.rules.overvote {
            OvervoteRule::ExhaustImmediately => Overvote::Exhaust,
            OvervoteRule::AlwaysSkipToNextRank => Overvote::Skip,
            OvervoteRule::ExhaustIfMultipleContinuing => {
                if slot.iter().filter(|&&c| self.continuing(c)).count() > 1 {
                    Overvote::Exhaust
                } else {
                    Overvote::None
                }
            }
        }
    }

    /// Counts one round: returns each candidate's votes (indexed by candidate) and
    /// the cumulative inactive buckets.
    ///
    /// A group stays with its recipient while the recipient is continuing; the
    /// groups of every other recipient (all groups, in the first round) are
    /// read again from their first mark.
    fn tally_round(&mut self) -> (Vec<u128>, [u128; 6]) {
        let n = self.status.len();
        let all_seats_filled = self.uses_surpluses() && self.winners() == self.seats as usize;
        for g in self.groups_to_read() {
            let g = g as usize;
            let outcome = self.scan(g, all_seats_filled);
            self.place(g, outcome);
        }
        let tally = (0..n)
            .map(|c| {
                if self.continuing(c as CandidateIdx) {
                    self.held[c]
                } else {
                    0
                }
            })
            .collect();
        (tally, self.inactive)
    }

    /// The groups to read this round: every group the first time, then the piles
    /// of candidates no longer continuing (emptied, their votes no longer held).
    fn groups_to_read(&mut self) -> Vec<u32> {
        if !self.placed {
            self.placed = true;
            return (0..self.groups.len() as u32).collect();
        }
        let mut todo = Vec::new();
        for c in 0..self.status.len() {
            if !self.continuing(c as CandidateIdx) && !self.piles[c].is_empty() {
                todo.append(&mut self.piles[c]);
                self.held[c] = 0;
            }
        }
        todo
    }

    /// Reads group `g` from its first mark (steps 1–6 of the module docs): the
    /// continuing candidate who gets it, or why it is inactive.
    #[inline]
    fn scan(&self, g: usize, all_seats_filled: bool) -> Result<CandidateIdx, InactiveReason> {
        let group = &self.groups[g];
        if group.marks.is_empty() {
            return Err(InactiveReason::Undervote);
        }
        let max_rank = group.max_rank;
        let mut last_rank_seen = 0u32;
        let mut seen: Vec<CandidateIdx> = Vec::new();
        for (rank, slot) in marks(&self.marks[group.marks.clone()]) {
            if all_seats_filled {
                return Err(InactiveReason::FinalRoundSurplus);
            }
            if let Some(max) = self.rules.max_skipped_ranks {
                if rank - last_rank_seen > max + 1 {
                    return Err(InactiveReason::SkippedRankings);
                }
            }
            last_rank_seen = rank;
            if self.rules.duplicates == DuplicateRule::Exhaust && repeats(slot, &mut seen) {
                return Err(InactiveReason::RepeatedRankings);
            }
            match self.overvote(slot) {
                Overvote::Exhaust => return Err(InactiveReason::Overvotes),
                Overvote::Skip => {
                    if rank == max_rank {
                        return Err(InactiveReason::ExhaustedChoices);
                    }
                    continue;
                }
                Overvote::None => {}
            }
            if let Some(&c) = slot.iter().find(|&&c| self.continuing(c)) {
                return Ok(c);
            }
            if rank == max_rank {
                return Err(InactiveReason::ExhaustedChoices);
            }
        }
        // Unreachable: a ballot with marks always ends selected or inactive.
        Err(InactiveReason::ExhaustedChoices)
    }

    /// Gives group `g` to the candidate `scan` found, or files it as inactive,
    /// recording the move from its previous recipient.
    #[inline]
    fn place(&mut self, g: usize, outcome: Result<CandidateIdx, InactiveReason>) {
        let group = &mut self.groups[g];
        let weight = group.weight();
        let previous = group.recipient;
        let to = match outcome {
            Ok(c) => {
                group.recipient = Some(c);
                self.piles[c as usize].push(g as u32);
                self.held[c as usize] += weight;
                Destination::Candidate(c)
            }
            Err(reason) => {
                group.recipient = None;
                group.inactive = Some(reason);
                self.inactive[reason as usize] += weight;
                if group.scaled {
                    self.inactive_scaled |= 1 << reason as u8;
                }
                Destination::Exhausted
            }
        };
        if let Some(from) = previous {
            if weight > 0 {
                self.moves.push((from, to, weight));
            }
        }
    }

    /// The winning threshold of `round` (RCTab `Tabulator.tabulate` and
    /// `calculateAndSetWinningThreshold`): several seats, or one seat with
    /// `first_round_threshold`, keep round 1's; otherwise it is worked out
    /// from the round's active votes. Never below `minimum_votes`.
    fn threshold(&self, active: u128, round: u32) -> u128 {
        let prev = self.rounds.last().map(|r| r.threshold);
        let percentage = self
            .rules
            .winner_mode
            .percentage_fraction(self.rules.decimals);
        // `bottomsUpUsingPercentageThreshold` has numberOfWinners 0: recomputed
        // every round, as for one seat.
        let seats_keep = self.seats > 1 && percentage.is_none();
        if round > 1 && (seats_keep || self.rules.first_round_threshold) {
            return prev.unwrap_or(0);
        }
        let (one, seats) = (self.one, self.seats as u128);
        let threshold = match (percentage, self.rules.threshold) {
            // active × fraction, exact: with no surpluses every vote is whole,
            // so `active` is a multiple of `one`.
            (Some(fraction), _) => active / one * fraction,
            (None, ThresholdRule::DroopFractional) => active / (seats + 1) + 1,
            (None, ThresholdRule::DroopWhole) => (active / one / (seats + 1)) * one + one,
            (None, ThresholdRule::HareWhole) => active.div_ceil(one * seats) * one,
            (None, ThresholdRule::HareFractional) => active.div_ceil(seats),
        };
        threshold.max(u128::from(self.rules.minimum_votes) * one)
    }

    /// Breaks a tie among `tied` (candidate order), returning the chosen one, or
    /// an error where the mode leaves the choice to an operator.
    fn break_tie(
        &mut self,
        tied: &[CandidateIdx],
        electing: bool,
        round: u32,
    ) -> Result<CandidateIdx, RcvError> {
        let (chosen, decided_by) = match self.rules.tie_break {
            TieBreakMode::CandidateOrder => {
                let c = if electing {
                    tied[0]
                } else {
                    tied[tied.len() - 1]
                };
                (c, RcvDecidedBy::CandidateOrder)
            }
            TieBreakMode::Random { .. } => (
                self.random_choice(&self.by_java_name(tied)),
                RcvDecidedBy::Random,
            ),
            TieBreakMode::Ask => return Err(self.needs_operator(tied, electing, round)),
            TieBreakMode::Permutation { seed } => {
                let order = self.permutation(seed);
                let at = |c: &CandidateIdx| order.iter().position(|o| o == c).unwrap_or(usize::MAX);
                let c = if electing {
                    tied.iter().min_by_key(|c| at(c))
                } else {
                    tied.iter().max_by_key(|c| at(c))
                };
                (c.copied().unwrap_or(tied[0]), RcvDecidedBy::CandidateOrder)
            }
            TieBreakMode::PreviousRoundsThenRandom { .. } | TieBreakMode::PreviousRoundsThenAsk => {
                match self.previous_rounds(tied, electing) {
                    Ok((c, r)) => (c, RcvDecidedBy::EarlierRound { round: r }),
                    Err(_) if self.rules.tie_break == TieBreakMode::PreviousRoundsThenAsk => {
                        return Err(self.needs_operator(tied, electing, round))
                    }
                    Err(still_tied) => (self.random_choice(&still_tied), RcvDecidedBy::Random),
                }
            }
        };
        self.tie_breaks.push(RcvTieBreak {
            round,
            electing,
            tied: tied.to_vec(),
            chosen,
            decided_by,
        });
        Ok(chosen)
    }

    /// RCTab's `generatePermutation` order (`Tabulator.tabulate`): every
    /// candidate but the undeclared write-ins, sorted by name, shuffled once.
    fn permutation(&mut self, seed: i64) -> Vec<CandidateIdx> {
        if let Some(order) = &self.permutation {
            return order.clone();
        }
        let all: Vec<CandidateIdx> = (0..self.names.len() as CandidateIdx)
            .filter(|&c| Some(c) != self.rules.undeclared_write_in)
            .collect();
        let mut order = self.by_java_name(&all);
        JavaRandom::new(seed).shuffle(&mut order);
        self.permutation = Some(order.clone());
        order
    }

    fn needs_operator(&self, tied: &[CandidateIdx], electing: bool, round: u32) -> RcvError {
        RcvError::TieNeedsOperator {
            round,
            electing,
            tied: tied
                .iter()
                .map(|&c| self.names[c as usize].clone())
                .collect(),
        }
    }

    /// RCTab's `previousRoundCountsThenRandom` (`Tiebreak.doPreviousRounds`):
    /// from the latest earlier round back, keep the tied candidates with the
    /// fewest (eliminating) or most (electing) votes, until one is left: `Ok`
    /// with it and the round that decided. Still tied in every earlier round:
    /// `Err` with those still in contention, in the order RCTab draws from —
    /// sorted by name when there was no earlier round, else the iteration order
    /// of the `java.util.HashSet` RCTab regroups them through each round.
    fn previous_rounds(
        &self,
        tied: &[CandidateIdx],
        electing: bool,
    ) -> Result<(CandidateIdx, u32), Vec<CandidateIdx>> {
        let mut contention = self.by_java_name(tied);
        for r in self.rounds.iter().rev() {
            let votes =
                |c: CandidateIdx| r.tally.iter().find(|(d, _)| *d == c).map_or(0, |&(_, v)| v);
            let order = java_hash_set_order(&contention, self.names);
            let best = if electing {
                order.iter().map(|&c| votes(c)).max()
            } else {
                order.iter().map(|&c| votes(c)).min()
            };
            let Some(best) = best else { break };
            contention = order.into_iter().filter(|&c| votes(c) == best).collect();
            if contention.len() == 1 {
                return Ok((contention[0], r.round));
            }
        }
        Err(contention)
    }

    /// `tied` sorted as Java sorts the names (`Collections.sort` on `String`:
    /// UTF-16 code units), candidate number breaking equal names.
    fn by_java_name(&self, tied: &[CandidateIdx]) -> Vec<CandidateIdx> {
        let mut sorted = tied.to_vec();
        sorted.sort_by(|&a, &b| {
            let (x, y) = (&self.names[a as usize], &self.names[b as usize]);
            x.encode_utf16().cmp(y.encode_utf16()).then(a.cmp(&b))
        });
        sorted
    }

    /// RCTab's `Tiebreak.doRandom`: index `floor(nextDouble() × n)` of `ordered`,
    /// with one `java.util.Random(seed)` for the whole count.
    fn random_choice(&mut self, ordered: &[CandidateIdx]) -> CandidateIdx {
        let seed = match self.rules.tie_break {
            TieBreakMode::PreviousRoundsThenRandom { seed } | TieBreakMode::Random { seed } => seed,
            _ => 0,
        };
        let random = self.random.get_or_insert_with(|| JavaRandom::new(seed));
        ordered[random.next_index(ordered.len())]
    }

    fn identify_winners(
        &mut self,
        shown: &[CandidateIdx],
        tally: &[u128],
        threshold: u128,
        round: u32,
    ) -> Result<Vec<CandidateIdx>, RcvError> {
        if let Some(uwi) = self.rules.undeclared_write_in {
            if shown.contains(&uwi) && tally[uwi as usize] > 0 {
                return Ok(Vec::new());
            }
        }
        if let WinnerMode::BottomsUpPercentage { .. } = self.rules.winner_mode {
            // Everyone continuing, once each has more than the threshold; else
            // nobody (RCTab `Tabulator.identifyWinners`, `allMeet`). Listed in
            // the order RCTab reports them: its `winnerToRound` HashMap's.
            let all = shown.iter().all(|&c| tally[c as usize] > threshold);
            return Ok(if all {
                java_hash_map_order(shown, self.names)
            } else {
                Vec::new()
            });
        }
        let unfilled = self.seats as usize - self.winners().min(self.seats as usize);
        let mut selected: Vec<CandidateIdx> = Vec::new();
        if unfilled > 0 {
            // As many continuing candidates as seats to fill, or fewer (more
            // seats than candidates): every one is elected (RCTab
            // `Tabulator.identifyWinners`).
            if shown.len() <= unfilled {
                selected = shown.to_vec();
            } else if self.rules.first_round_threshold && shown.len() - 1 == self.seats as usize {
                // Nobody may reach round 1's threshold: on the penultimate
                // round the most votes win.
                selected = Self::top(shown, tally);
            } else if !self.rules.winner_mode.is_bottoms_up() {
                selected = shown
                    .iter()
                    .copied()
                    .filter(|&c| {
                        tally[c as usize] >= threshold && Some(c) != self.rules.undeclared_write_in
                    })
                    .collect();
            }
        }
        let one_only = self.rules.winner_mode == WinnerMode::OneWinnerPerRound
            || self.rules.first_round_threshold;
        let minimum = u128::from(self.rules.minimum_votes) * self.one;
        let no_winner_two_left = self.seats == 1
            && selected.is_empty()
            && shown.len() == 2
            && unfilled == 1
            && shown.iter().all(|&c| tally[c as usize] >= minimum);
        if (one_only && selected.len() > 1) || no_winner_two_left {
            // One winner only: the most votes, a tie broken (RCTab
            // `Tabulator.identifyWinners`).
            let top = Self::top(shown, tally);
            selected = if top.len() > 1 {
                vec![self.break_tie(&top, true, round)?]
            } else {
                top
            };
        }
        // Most votes first; equal votes in candidate order.
        selected.sort_by(|&a, &b| tally[b as usize].cmp(&tally[a as usize]).then(a.cmp(&b)));
        Ok(selected)
    }

    /// The candidates of `shown` with the most votes.
    fn top(shown: &[CandidateIdx], tally: &[u128]) -> Vec<CandidateIdx> {
        let max = shown.iter().map(|&c| tally[c as usize]).max().unwrap_or(0);
        shown
            .iter()
            .copied()
            .filter(|&c| tally[c as usize] == max)
            .collect()
    }

    /// Candidates of `shown` grouped by votes, fewest first.
    fn ascending(shown: &[CandidateIdx], tally: &[u128]) -> Vec<(u128, Vec<CandidateIdx>)> {
        let mut sorted = shown.to_vec();
        sorted.sort_by(|&a, &b| tally[a as usize].cmp(&tally[b as usize]).then(a.cmp(&b)));
        let mut groups: Vec<(u128, Vec<CandidateIdx>)> = Vec::new();
        for c in sorted {
            let v = tally[c as usize];
            match groups.last_mut() {
                Some((gv, g)) if *gv == v => g.push(c),
                _ => groups.push((v, vec![c])),
            }
        }
        groups
    }

    fn batch(&self, groups: &[(u128, Vec<CandidateIdx>)]) -> Vec<CandidateIdx> {
        let mut running = 0u128;
        let mut seen: Vec<CandidateIdx> = Vec::new();
        let mut eliminations: Vec<CandidateIdx> = Vec::new();
        let mut previous: Vec<CandidateIdx> = Vec::new();
        for (votes, cands) in groups {
            let mut new = eliminations.clone();
            if running < *votes {
                for &c in &seen {
                    if !new.contains(&c) {
                        new.push(c);
                    }
                }
            }
            running += votes * cands.len() as u128;
            seen.extend(cands.iter().copied());
            if new.len() > eliminations.len() {
                previous = std::mem::replace(&mut eliminations, new);
            }
        }
        if self.rules.continue_until_two
            && eliminations.len() + self.eliminated() == self.status.len() - 1
        {
            eliminations = previous;
        }
        eliminations
    }

    fn eliminate(
        &mut self,
        shown: &[CandidateIdx],
        tally: &[u128],
        round: u32,
    ) -> Result<Vec<CandidateIdx>, RcvError> {
        if let Some(uwi) = self.rules.undeclared_write_in {
            if shown.contains(&uwi) && tally[uwi as usize] > 0 {
                return Ok(vec![uwi]);
            }
        }
        let groups = Self::ascending(shown, tally);
        // Everyone below minimumVoteThreshold at once (RCTab
        // `Tabulator.dropCandidatesBelowThreshold`).
        let minimum = u128::from(self.rules.minimum_votes) * self.one;
        let below: Vec<CandidateIdx> = groups
            .iter()
            .take_while(|(v, _)| *v < minimum)
            .flat_map(|(_, cands)| cands.iter().copied())
            .collect();
        if !below.is_empty() {
            if below.len() == shown.len() {
                return Err(RcvError::AllBelowMinimum { round });
            }
            let mut below = below;
            below.sort_unstable();
            return Ok(below);
        }
        if self.rules.batch_elimination {
            let mut batch = self.batch(&groups);
            if batch.len() > 1 {
                batch.sort_unstable();
                return Ok(batch);
            }
        }
        Ok(match groups.first() {
            None => Vec::new(),
            Some((_, lowest)) if lowest.len() == 1 => vec![lowest[0]],
            Some((_, lowest)) => {
                let lowest = lowest.clone();
                vec![self.break_tie(&lowest, false, round)?]
            }
        })
    }

    fn should_continue(&self, round: u32) -> bool {
        let n = self.status.len();
        if self
            .rules
            .stop_after_round
            .is_some_and(|last| round >= last)
        {
            return false;
        }
        let everyone_won = !self.status.contains(&Status::Continuing)
            && self.winners() > 0
            && self.seats as usize > n - self.eliminated();
        if everyone_won {
            // More seats than candidates: once every candidate is elected the
            // count ends (RCTab `Tabulator.shouldContinueTabulating`).
            false
        } else if self.rules.continue_until_two && self.seats == 1 {
            self.eliminated() + self.winners() + 1 < n
                || self.status.contains(&Status::Eliminated(round))
        } else if let WinnerMode::BottomsUpPercentage { .. } = self.rules.winner_mode {
            // Done once anyone is elected (RCTab `shouldContinueTabulating`).
            self.winners() == 0
        } else {
            self.winners() < self.seats as usize
                || (self.uses_surpluses() && self.status.contains(&Status::Won(round)))
        }
    }
}

/// Counts `election` for `seats` seats under `rules`. Candidate order (indexes) is
/// the order [`TieBreakMode::CandidateOrder`] follows; names are used to sort
/// random tie-breaks as RCTab does.
pub fn count_rcv(election: &Election, seats: u32, rules: &RcvRules) -> Result<RcvCount, RcvError> {
    let status = initial_status(election, seats, rules)?;
    let one = 10u128.pow(rules.decimals);
    let (groups, marks) = load_groups(election, rules, one)?;
    let mut counter = Counter::new(election, rules, seats, one, status, groups, marks);
    let n = election.candidates.len();
    let mut round = 0u32;
    while counter.should_continue(round) {
        round += 1;
        if round as usize > 2 * n + 2 {
            return Err(RcvError::Stuck { round });
        }
        counter.count_round(round)?;
        if counter.eliminated() >= n {
            break;
        }
    }
    Ok(RcvCount {
        scale: one,
        seats,
        winners: winners_in_order(&counter.rounds),
        rounds: counter.rounds,
        tie_breaks: counter.tie_breaks,
    })
}

/// Checks the seats, the rules and the candidate numbers they name; every
/// candidate starts continuing, except the withdrawn.
fn initial_status(
    election: &Election,
    seats: u32,
    rules: &RcvRules,
) -> Result<Vec<Status>, RcvError> {
    if seats == 0 {
        return Err(RcvError::NoSeats);
    }
    if rules.decimals > MAX_DECIMALS {
        return Err(RcvError::TooManyDecimals(rules.decimals));
    }
    if rules.winner_mode == WinnerMode::MultiPass {
        return Err(RcvError::MultiPass);
    }
    let n = election.candidates.len();
    let mut status = vec![Status::Continuing; n];
    for &w in &election.withdrawn {
        *status
            .get_mut(w as usize)
            .ok_or(RcvError::UnknownCandidate(w))? = Status::Eliminated(0);
    }
    if let Some(uwi) = rules.undeclared_write_in {
        if uwi as usize >= n {
            return Err(RcvError::UnknownCandidate(uwi));
        }
    }
    Ok(status)
}

/// One [`Group`] per ballot group, each ballot at full value `one`, with every
/// group's marked ranks (up to `max_rankings`) in one array (see [`marks`]).
fn load_groups(
    election: &Election,
    rules: &RcvRules,
    one: u128,
) -> Result<(Vec<Group>, Vec<u32>), RcvError> {
    let n = election.candidates.len();
    let mut groups = Vec::with_capacity(election.ballots.len());
    let mut marks: Vec<u32> = Vec::with_capacity(election.ballots.len() * 8);
    for Ballot { ranks, count } in &election.ballots {
        let first = marks.len();
        let mut max_rank = 0;
        for (i, slot) in ranks.iter().enumerate() {
            let rank = i as u32 + 1;
            if rules.max_rankings.is_some_and(|m| rank > m) {
                break;
            }
            for &c in slot {
                if c as usize >= n {
                    return Err(RcvError::UnknownCandidate(c));
                }
            }
            if !slot.is_empty() {
                // A slot holds distinct known candidates, so its length fits a u32.
                marks.extend_from_slice(&[rank, slot.len() as u32]);
                marks.extend_from_slice(slot);
                max_rank = rank;
            }
        }
        groups.push(Group {
            marks: first..marks.len(),
            max_rank,
            count: *count,
            value: one as u64,
            scaled: false,
            recipient: None,
            inactive: None,
        });
    }
    Ok((groups, marks))
}

/// Winners in order of election: by round, in each round as elected.
fn winners_in_order(rounds: &[RcvRound]) -> Vec<CandidateIdx> {
    rounds
        .iter()
        .flat_map(|r| r.elected.iter().copied())
        .collect()
}

impl<'a> Counter<'a> {
    fn new(
        election: &'a Election,
        rules: &'a RcvRules,
        seats: u32,
        one: u128,
        status: Vec<Status>,
        groups: Vec<Group>,
        marks: Vec<u32>,
    ) -> Self {
        let n = election.candidates.len();
        Counter {
            names: &election.candidates,
            rules,
            seats,
            one,
            status,
            groups,
            marks,
            piles: vec![Vec::new(); n],
            held: vec![0; n],
            kept: vec![0; n],
            inactive: [0; 6],
            placed: false,
            rounds: Vec::new(),
            tie_breaks: Vec::new(),
            random: None,
            permutation: None,
            moves: Vec::new(),
            residual_total: 0,
            inactive_scaled: 0,
        }
    }
}

impl Counter<'_> {
    /// Counts round `round`: tallies it, elects or eliminates, files the votes
    /// that moved under the previous round, and records it.
    fn count_round(&mut self, round: u32) -> Result<(), RcvError> {
        let n = self.status.len();
        self.moves.clear();
        let shown: Vec<CandidateIdx> = (0..n as CandidateIdx)
            .filter(|&c| self.continuing(c))
            .collect();
        let (mut tally, inactive) = self.tally_round();
        let mut scaled = self.scaled_piles(&shown);
        let active: u128 = shown.iter().map(|&c| tally[c as usize]).sum();
        let threshold = self.threshold(active, round);
        let winners = self.identify_winners(&shown, &tally, threshold, round)?;
        let mut eliminated = Vec::new();
        if !winners.is_empty() {
            self.elect(&winners, &tally, threshold, round);
        } else if self.winners() < self.seats as usize
            || (self.rules.continue_until_two && self.eliminated() < n.saturating_sub(2))
            || matches!(
                self.rules.winner_mode,
                WinnerMode::BottomsUpPercentage { .. }
            )
        {
            eliminated = self.eliminate(&shown, &tally, round)?;
            if eliminated.is_empty() {
                return Err(RcvError::Stuck { round });
            }
            for &c in &eliminated {
                self.status[c as usize] = Status::Eliminated(round);
            }
        }
        let (shown, residual_moves) =
            self.show_earlier_winners(shown, &mut tally, threshold, round);
        scaled.extend(self.scaled_earlier_winners(round, threshold));
        scaled.sort_unstable();
        self.file_transfers(residual_moves);
        self.rounds.push(RcvRound {
            round,
            tally: shown.iter().map(|&c| (c, tally[c as usize])).collect(),
            threshold,
            elected: winners,
            eliminated,
            overvotes: inactive[InactiveReason::Overvotes as usize],
            skipped_rankings: inactive[InactiveReason::SkippedRankings as usize],
            repeated_rankings: inactive[InactiveReason::RepeatedRankings as usize],
            exhausted_choices: inactive[InactiveReason::ExhaustedChoices as usize],
            final_round_surplus: inactive[InactiveReason::FinalRoundSurplus as usize],
            undervotes: inactive[InactiveReason::Undervote as usize],
            residual_surplus: self.residual_total,
            transfers: Vec::new(),
            scaled,
            scaled_inactive: self.inactive_scaled,
        });
        Ok(())
    }

    /// Of `shown` (continuing), those holding a revalued ballot (STV only).
    fn scaled_piles(&self, shown: &[CandidateIdx]) -> Vec<CandidateIdx> {
        if !self.uses_surpluses() {
            return Vec::new();
        }
        shown
            .iter()
            .copied()
            .filter(|&c| {
                self.piles[c as usize]
                    .iter()
                    .any(|&g| self.groups[g as usize].scaled)
            })
            .collect()
    }

    /// Earlier winners whose shown votes carry `decimals` places, as RCTab
    /// computes them (`Tabulator.updateWinnerTallies`): the round after the
    /// election, the sum of revalued ballots, unless a residual set it to the
    /// threshold; later, as the round before.
    fn scaled_earlier_winners(&self, round: u32, threshold: u128) -> Vec<CandidateIdx> {
        if !self.uses_surpluses() {
            return Vec::new();
        }
        let threshold_scaled = matches!(
            self.rules.threshold,
            ThresholdRule::DroopFractional | ThresholdRule::HareFractional
        );
        let prev = self.rounds.last();
        (0..self.status.len() as CandidateIdx)
            .filter(|&c| match self.status[c as usize] {
                Status::Won(r) if r + 1 == round => {
                    let kept = self.kept[c as usize];
                    if kept > threshold {
                        threshold_scaled
                    } else {
                        kept > 0
                    }
                }
                Status::Won(r) if r + 1 < round => prev.is_some_and(|p| p.scaled.contains(&c)),
                _ => false,
            })
            .collect()
    }

    /// Marks `winners` elected in `round`; with surpluses (STV), revalues the
    /// ballots of each winner's pile so the surplus goes on.
    fn elect(&mut self, winners: &[CandidateIdx], tally: &[u128], threshold: u128, round: u32) {
        for &w in winners {
            self.status[w as usize] = Status::Won(round);
        }
        if self.uses_surpluses() {
            for &w in winners {
                self.allocate_surplus(w, tally[w as usize], threshold);
            }
        }
    }

    /// The winner's pile: the active groups it is the recipient of. Each keeps
    /// `value - transfer` per ballot for the winner and goes on at `transfer`.
    fn allocate_surplus(&mut self, w: CandidateIdx, votes: u128, threshold: u128) {
        let one = self.one;
        let extra = votes.saturating_sub(threshold);
        let fraction = if extra > 0 { extra * one / votes } else { 0 };
        let (mut held, mut kept) = (0, 0);
        for &g in &self.piles[w as usize] {
            let g = &mut self.groups[g as usize];
            let value = g.value as u128;
            let transfer = value * fraction / one;
            kept += (value - transfer) * g.count as u128;
            // Values only fall from `one` (at most 10^9): a u64 holds them.
            g.value = transfer as u64;
            g.scaled = true;
            held += g.weight();
        }
        self.held[w as usize] = held;
        // Cumulative: with continue_until_two a winner may be elected (and
        // allocate) again.
        self.kept[w as usize] += kept;
    }

    /// Adds earlier winners to the candidates shown in an STV count, with the
    /// votes they keep: the round after their election the threshold (what they
    /// kept beyond it is residual surplus, returned as moves), later the same
    /// as the round before. Single-winner counts show only `shown`.
    fn show_earlier_winners(
        &mut self,
        mut shown: Vec<CandidateIdx>,
        tally: &mut [u128],
        threshold: u128,
        round: u32,
    ) -> (Vec<CandidateIdx>, Vec<(CandidateIdx, Destination, u128)>) {
        let mut residual_moves = Vec::new();
        if self.seats <= 1 {
            return (shown, residual_moves);
        }
        let prev = self.rounds.last();
        for c in 0..self.status.len() as CandidateIdx {
            let Status::Won(r) = self.status[c as usize] else {
                continue;
            };
            if r >= round {
                continue;
            }
            if r + 1 == round {
                let kept = self.kept[c as usize];
                let residual = kept.saturating_sub(threshold);
                tally[c as usize] = kept - residual;
                if residual > 0 {
                    self.residual_total += residual;
                    residual_moves.push((c, Destination::ResidualSurplus, residual));
                }
            } else {
                tally[c as usize] = prev
                    .and_then(|p| p.tally.iter().find(|(d, _)| *d == c))
                    .map_or(0, |&(_, v)| v);
            }
            if !shown.contains(&c) {
                shown.push(c);
            }
        }
        shown.sort_unstable();
        (shown, residual_moves)
    }

    /// Votes that moved while counting this round came from the previous
    /// round's elected and eliminated candidates: files them there, one
    /// transfer per candidate, destinations summed and in order.
    fn file_transfers(&mut self, residual_moves: Vec<(CandidateIdx, Destination, u128)>) {
        let mut moves = std::mem::take(&mut self.moves);
        moves.extend(residual_moves);
        let Some(prev) = self.rounds.last_mut() else {
            return;
        };
        let mut from_list: Vec<CandidateIdx> = prev.elected.clone();
        from_list.extend(prev.eliminated.iter().copied());
        for from in from_list {
            let mut to: Vec<(Destination, u128)> = Vec::new();
            for &(f, d, v) in &moves {
                if f != from {
                    continue;
                }
                match to.iter_mut().find(|(e, _)| *e == d) {
                    Some((_, total)) => *total += v,
                    None => to.push((d, v)),
                }
            }
            to.sort_by_key(|&(d, _)| d);
            prev.transfers.push(RcvTransfer { from, to });
        }
    }
}

/// The engine's report of a count under `rules` (see `tally::count`): IRV counts
/// one seat, STV `options.seats`. Amounts are exact: `decimals` places are at most
/// [`VOTE_DECIMALS`].
pub(crate) fn report(
    election: &Election,
    method: Method,
    options: &Options,
    rules: &RcvRules,
    condorcet_winner: Option<CandidateIdx>,
) -> Result<Report<CandidateIdx>, TallyError> {
    let seats = if method == Method::Stv {
        options.seats
    } else {
        1
    };
    let count = count_rcv(election, seats, rules).map_err(|e| match e {
        RcvError::NoSeats => TallyError::NoSeats,
        other => TallyError::InvalidRules(other.to_string()),
    })?;
    let n = election.candidates.len() as CandidateIdx;
    let units = Units::new(rules.decimals);
    let total: u64 = election.ballots.iter().map(|b| b.count).sum();
    let blank: u64 = election
        .ballots
        .iter()
        .filter(|b| b.ranks.iter().all(|s| s.is_empty()))
        .map(|b| b.count)
        .sum();
    Ok(Report {
        method,
        seats: options.seats,
        candidates: (0..n).collect(),
        withdrawn: election.withdrawn.clone(),
        winners: count.winners.clone(),
        ranking: final_ranking(&count),
        ballots_counted: total,
        blank_ballots: blank,
        condorcet_winner,
        scores: Vec::new(),
        rounds: report_rounds(&count, units),
        quota: (method == Method::Stv)
            .then(|| count.rounds.first().map(|r| units.votes(r.threshold)))
            .flatten(),
        pairwise: None,
        strongest_paths: None,
        pairs: Vec::new(),
        tie_breaks: report_tie_breaks(&count),
        rules: options.rules.clone(),
        seed: options.seed.to_string(),
        ballot_digest: None,
    })
}

/// Turns the count's fixed-point units (`decimals` places) into [`Votes`].
#[derive(Clone, Copy)]
struct Units {
    per_unit: u128,
}

impl Units {
    fn new(decimals: u32) -> Self {
        Units {
            per_unit: 10u128.pow(VOTE_DECIMALS - decimals),
        }
    }

    fn votes(self, units: u128) -> Votes {
        Votes::from_units(units * self.per_unit)
    }
}

/// The report's rounds: counts, continuing votes (those of candidates not
/// elected before), inactive buckets and the transfers out of the round.
fn report_rounds(count: &RcvCount, units: Units) -> Vec<Round<CandidateIdx>> {
    let mut rounds = Vec::with_capacity(count.rounds.len());
    let mut elected_so_far: Vec<CandidateIdx> = Vec::new();
    for r in &count.rounds {
        let continuing: u128 = r
            .tally
            .iter()
            .filter(|(c, _)| !elected_so_far.contains(c))
            .map(|&(_, v)| v)
            .sum();
        elected_so_far.extend(r.elected.iter().copied());
        let mut transfers: Vec<Transfer<CandidateIdx>> = r
            .transfers
            .iter()
            .filter(|t| !t.to.is_empty())
            .map(|t| report_transfer(r, t, units))
            .collect();
        let first = (!transfers.is_empty()).then(|| transfers.remove(0));
        rounds.push(Round {
            round: r.round,
            counts: r
                .tally
                .iter()
                .map(|&(c, v)| Tally {
                    candidate: c,
                    votes: units.votes(v),
                })
                .collect(),
            continuing_votes: units.votes(continuing),
            threshold: units.votes(r.threshold),
            elected: r.elected.clone(),
            eliminated: r.eliminated.clone(),
            inactive: Inactive {
                overvotes: units.votes(r.overvotes),
                skipped_rankings: units.votes(r.skipped_rankings),
                repeated_rankings: units.votes(r.repeated_rankings),
                exhausted_choices: units.votes(r.exhausted_choices),
                final_round_surplus: units.votes(r.final_round_surplus),
            },
            lost_to_rounding: units.votes(r.residual_surplus),
            transfer: first,
            further_transfers: transfers,
        });
    }
    rounds
}

/// One transfer out of round `r`: a surplus if its candidate was elected in
/// that round, else an elimination.
fn report_transfer(r: &RcvRound, t: &RcvTransfer, units: Units) -> Transfer<CandidateIdx> {
    let mut to = Vec::new();
    let (mut exhausted, mut lost) = (0, 0);
    for &(d, v) in &t.to {
        match d {
            Destination::Candidate(c) => to.push(Tally {
                candidate: c,
                votes: units.votes(v),
            }),
            Destination::Exhausted => exhausted += v,
            Destination::ResidualSurplus => lost += v,
        }
    }
    Transfer {
        kind: if r.elected.contains(&t.from) {
            TransferKind::Surplus
        } else {
            TransferKind::Elimination
        },
        from: t.from,
        surplus: None,
        transfer_value: None,
        to,
        exhausted: units.votes(exhausted),
        lost_to_rounding: units.votes(lost),
    }
}

/// Winners in order of election, then the rest still in the count by their
/// last votes (equal votes together), then the eliminated, last eliminated first.
fn final_ranking(count: &RcvCount) -> Vec<Vec<CandidateIdx>> {
    let mut ranking: Vec<Vec<CandidateIdx>> = count.winners.iter().map(|&c| vec![c]).collect();
    let last = count.rounds.last();
    let mut rest: Vec<(u128, CandidateIdx)> = last
        .map(|r| {
            r.tally
                .iter()
                .filter(|(c, _)| !count.winners.contains(c) && !r.eliminated.contains(c))
                .map(|&(c, v)| (v, c))
                .collect()
        })
        .unwrap_or_default();
    rest.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    let mut i = 0;
    while i < rest.len() {
        let group: Vec<CandidateIdx> = rest[i..]
            .iter()
            .take_while(|(v, _)| *v == rest[i].0)
            .map(|&(_, c)| c)
            .collect();
        i += group.len();
        ranking.push(group);
    }
    for r in count.rounds.iter().rev() {
        if !r.eliminated.is_empty() {
            ranking.push(r.eliminated.clone());
        }
    }
    ranking
}

/// The count's tie-breaks as the report logs them: `order` most favoured first
/// (the one elected first, or the one eliminated last).
fn report_tie_breaks(count: &RcvCount) -> Vec<TieBreak<CandidateIdx>> {
    count
        .tie_breaks
        .iter()
        .map(|t| {
            let others = t.tied.iter().copied().filter(|&c| c != t.chosen);
            let order: Vec<CandidateIdx> = if t.electing {
                std::iter::once(t.chosen).chain(others).collect()
            } else {
                others.chain(std::iter::once(t.chosen)).collect()
            };
            TieBreak {
                round: Some(t.round),
                purpose: if t.electing {
                    TiePurpose::Elect
                } else {
                    TiePurpose::Eliminate
                },
                tied: t.tied.clone(),
                order,
                decided_by: match t.decided_by {
                    RcvDecidedBy::EarlierRound { round } => DecidedBy::EarlierRound { round },
                    RcvDecidedBy::CandidateOrder => DecidedBy::CandidateOrder,
                    RcvDecidedBy::Random => DecidedBy::Random,
                },
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Values of `new java.util.Random(0).nextDouble()` (first three draws), from
    /// the JDK: 0.730967787376657, 0.24053641567148587, 0.6374174253501083.
    #[test]
    fn java_random_matches_the_jdk() {
        let mut r = JavaRandom::new(0);
        assert_eq!(r.next_index(1_000_000_000), 730_967_787);
        assert_eq!(r.next_index(1_000_000_000), 240_536_415);
        assert_eq!(r.next_index(1_000_000_000), 637_417_425);
    }

    fn election(ballots: &[(&[&[u32]], u64)], n: usize) -> Election {
        Election {
            candidates: (0..n).map(|i| format!("C{i}")).collect(),
            withdrawn: Vec::new(),
            ballots: ballots
                .iter()
                .map(|(ranks, count)| Ballot {
                    ranks: ranks.iter().map(|s| s.to_vec()).collect(),
                    count: *count,
                })
                .collect(),
        }
    }

    /// `String.hashCode` values from the JDK: "hello" is 99162322; "Aa" and "BB"
    /// collide at 2112.
    #[test]
    fn java_string_hash_matches_the_jdk() {
        assert_eq!(java_string_hash("hello"), 99_162_322);
        assert_eq!(java_string_hash("Aa"), 2112);
        assert_eq!(java_string_hash("BB"), 2112);
        assert_eq!(java_string_hash(""), 0);
    }

    #[test]
    fn java_hash_set_order_follows_buckets_then_insertion() {
        // "A" hashes to 65 (bucket 1), "P" to 80 (bucket 0) of 16.
        let names = vec![
            "A".to_owned(),
            "P".to_owned(),
            "Aa".to_owned(),
            "BB".to_owned(),
        ];
        assert_eq!(java_hash_set_order(&[0, 1], &names), vec![1, 0]);
        // Same bucket: insertion order.
        assert_eq!(java_hash_set_order(&[3, 2], &names), vec![3, 2]);
        assert_eq!(java_hash_set_order(&[2, 3], &names), vec![2, 3]);
    }

    fn names_election(names: &[&str], ballots: &[(&[&[u32]], u64)]) -> Election {
        let mut e = election(ballots, names.len());
        e.candidates = names.iter().map(|n| n.to_string()).collect();
        e
    }

    /// A and P tie for elimination in round 2 and had equal votes in round 1:
    /// RCTab draws among them in `HashSet` order (P, A), so the first draw of
    /// `Random(0)` (0.7309…) picks index 1, A. In round 1 it draws from the
    /// name-sorted list (A, P): P.
    #[test]
    fn previous_rounds_then_random_draws_as_rctab() {
        let rules = RcvRules {
            tie_break: TieBreakMode::PreviousRoundsThenRandom { seed: 0 },
            ..RcvRules::default()
        };
        let e = names_election(
            &["A", "P", "X", "Y"],
            &[(&[&[0]], 2), (&[&[1]], 2), (&[&[2]], 4), (&[&[3]], 1)],
        );
        let count = count_rcv(&e, 1, &rules).unwrap();
        assert_eq!(count.rounds[0].eliminated, vec![3]);
        assert_eq!(count.rounds[1].eliminated, vec![0]);
        assert_eq!(count.tie_breaks[0].decided_by, RcvDecidedBy::Random);

        let e = names_election(
            &["A", "P", "X"],
            &[(&[&[0]], 2), (&[&[1]], 2), (&[&[2]], 3)],
        );
        let count = count_rcv(&e, 1, &rules).unwrap();
        assert_eq!(count.rounds[0].eliminated, vec![1]);
    }

    #[test]
    fn ask_modes_fail_only_when_a_tie_needs_breaking() {
        for tie_break in [TieBreakMode::Ask, TieBreakMode::PreviousRoundsThenAsk] {
            let rules = RcvRules {
                tie_break,
                ..RcvRules::default()
            };
            let clear = election(&[(&[&[0]], 3), (&[&[1]], 2), (&[&[2], &[0]], 1)], 3);
            assert_eq!(count_rcv(&clear, 1, &rules).unwrap().winners, vec![0]);
            let tied = election(&[(&[&[0]], 2), (&[&[1]], 1), (&[&[2]], 1)], 3);
            match count_rcv(&tied, 1, &rules) {
                Err(RcvError::TieNeedsOperator { round: 1, tied, .. }) => {
                    assert_eq!(tied, ["C1", "C2"])
                }
                other => panic!("{other:?}"),
            }
        }
        // Decided by an earlier round: no operator needed.
        let rules = RcvRules {
            tie_break: TieBreakMode::PreviousRoundsThenAsk,
            ..RcvRules::default()
        };
        let e = election(
            &[(&[&[0]], 6), (&[&[1]], 2), (&[&[2]], 3), (&[&[3], &[1]], 1)],
            4,
        );
        let count = count_rcv(&e, 1, &rules).unwrap();
        assert_eq!(count.rounds[1].eliminated, vec![1]);
    }

    /// RCTab's rule options for several seats and thresholds (its
    /// `Tabulator.calculateAndSetWinningThreshold`, `identifyWinners`,
    /// `dropCandidatesBelowThreshold`, `shouldContinueTabulating`).
    #[test]
    fn hare_quota_minimum_votes_and_early_stop() {
        let e = election(&[(&[&[0]], 5), (&[&[1]], 3), (&[&[2]], 1), (&[&[3]], 1)], 4);
        let hare = RcvRules {
            threshold: ThresholdRule::HareWhole,
            ..RcvRules::default()
        };
        assert_eq!(count_rcv(&e, 2, &hare).unwrap().rounds[0].threshold, 50_000);
        let droop = count_rcv(&e, 2, &RcvRules::default()).unwrap();
        assert_eq!(droop.rounds[0].threshold, 40_000);

        let minimum = RcvRules {
            minimum_votes: 2,
            ..RcvRules::default()
        };
        let count = count_rcv(&e, 1, &minimum).unwrap();
        assert_eq!(count.rounds[0].eliminated, vec![2, 3]);
        let high = RcvRules {
            minimum_votes: 9,
            ..RcvRules::default()
        };
        assert!(matches!(
            count_rcv(&e, 1, &high),
            Err(RcvError::AllBelowMinimum { round: 1 })
        ));

        let early = RcvRules {
            stop_after_round: Some(1),
            ..RcvRules::default()
        };
        let count = count_rcv(&e, 1, &early).unwrap();
        assert_eq!(count.rounds.len(), 1);
        assert!(count.winners.is_empty());
    }

    #[test]
    fn one_winner_per_round_bottoms_up_and_first_round_threshold() {
        // Droop for two seats of 10: 4. A and B both reach it.
        let e = election(&[(&[&[0], &[2]], 5), (&[&[1]], 4), (&[&[2]], 1)], 3);
        let all = count_rcv(&e, 2, &RcvRules::default()).unwrap();
        assert_eq!(all.rounds[0].elected, vec![0, 1]);
        let one = RcvRules {
            winner_mode: WinnerMode::OneWinnerPerRound,
            ..RcvRules::default()
        };
        let count = count_rcv(&e, 2, &one).unwrap();
        assert_eq!(count.rounds[0].elected, vec![0]);
        assert_eq!(count.winners, vec![0, 1]);

        let bottoms_up = RcvRules {
            winner_mode: WinnerMode::BottomsUp,
            ..RcvRules::default()
        };
        let count = count_rcv(&e, 2, &bottoms_up).unwrap();
        assert_eq!(count.rounds[0].eliminated, vec![2]);
        assert_eq!(count.rounds[1].elected, vec![0, 1]);
        assert_eq!(count.rounds.len(), 2);

        // One seat; round 1's threshold (4 of 6) holds after C's ballots exhaust.
        let e = election(&[(&[&[0]], 3), (&[&[1]], 2), (&[&[2]], 1)], 3);
        let first = RcvRules {
            first_round_threshold: true,
            ..RcvRules::default()
        };
        let count = count_rcv(&e, 1, &first).unwrap();
        assert_eq!(count.rounds[1].threshold, count.rounds[0].threshold);
        assert_eq!(count.winners, vec![0]);
    }

    /// `new Random(42)`: `nextInt(10)` is 0 and `nextInt(7)` is 6 (JDK); the
    /// shuffle swaps from the end with those draws.
    #[test]
    fn java_next_int_and_shuffle_match_the_jdk() {
        let mut r = JavaRandom::new(42);
        assert_eq!(r.next_int(10), 0);
        let mut r = JavaRandom::new(42);
        let mut list = [0, 1, 2];
        r.shuffle(&mut list);
        let mut again = JavaRandom::new(42);
        let (j2, j1) = (again.next_int(3), again.next_int(2));
        let mut expected = [0, 1, 2];
        expected.swap(2, j2 as usize);
        expected.swap(1, j1 as usize);
        assert_eq!(list, expected);
    }

    #[test]
    fn generate_permutation_eliminates_the_latest_in_the_shuffled_order() {
        // Names sorted: C0, C1, C2, C3; shuffled with Random(7).
        let mut order = [0u32, 1, 2, 3];
        JavaRandom::new(7).shuffle(&mut order);
        let rules = RcvRules {
            tie_break: TieBreakMode::Permutation { seed: 7 },
            ..RcvRules::default()
        };
        // C0 leads; C1, C2, C3 tie for last.
        let e = election(&[(&[&[0]], 3), (&[&[1]], 1), (&[&[2]], 1), (&[&[3]], 1)], 4);
        let count = count_rcv(&e, 1, &rules).unwrap();
        let latest = *order.iter().rev().find(|c| **c != 0).unwrap();
        assert_eq!(count.rounds[0].eliminated, vec![latest]);
    }

    /// Under `continue_until_two` the threshold is worked out again every round
    /// from that round's active votes, as RCTab's `Tabulator.tabulate` does for
    /// one seat (`shouldRecomputeThreshold` unless the first round determines
    /// it): after C's ballots exhaust, 9 active votes give 5.
    #[test]
    fn continue_until_two_recomputes_the_threshold_every_round() {
        let rules = RcvRules {
            continue_until_two: true,
            ..RcvRules::default()
        };
        let e = election(&[(&[&[0]], 6), (&[&[1]], 3), (&[&[2]], 2)], 3);
        let count = count_rcv(&e, 1, &rules).unwrap();
        assert_eq!(count.rounds[0].elected, vec![0]);
        assert_eq!(count.rounds[0].threshold, 60_000);
        let last = count.rounds.last().unwrap();
        assert_eq!(last.tally, vec![(0, 60_000), (1, 30_000)]);
        assert_eq!(last.threshold, 50_000);
    }

    #[test]
    fn more_seats_than_candidates_elects_them_all() {
        let e = election(&[(&[&[0]], 2), (&[&[1]], 1)], 2);
        let count = count_rcv(&e, 3, &RcvRules::default()).unwrap();
        assert_eq!(count.winners, vec![0, 1]);
        assert_eq!(count.rounds.len(), 1);
    }

    #[test]
    fn skipped_ranks_beyond_the_limit_exhaust() {
        // A ballot with rank 1 blank: allowed with max 1 skipped, not with 0.
        let e = election(&[(&[&[], &[0]], 1), (&[&[1]], 2)], 2);
        let strict = RcvRules {
            max_skipped_ranks: Some(0),
            ..RcvRules::default()
        };
        let count = count_rcv(&e, 1, &strict).unwrap();
        assert_eq!(count.rounds[0].skipped_rankings, 10_000);
        let lenient = RcvRules {
            max_skipped_ranks: Some(1),
            ..RcvRules::default()
        };
        let count = count_rcv(&e, 1, &lenient).unwrap();
        assert_eq!(count.rounds[0].skipped_rankings, 0);
        assert_eq!(count.rounds[0].tally, vec![(0, 10_000), (1, 20_000)]);
    }

    #[test]
    fn overvote_rules_differ_as_rctab_defines() {
        // {0,1} then 2: exhaust; skip to 2; exhaust again, as both 0 and 1 are continuing.
        let e = election(&[(&[&[0, 1], &[2]], 1), (&[&[0]], 3), (&[&[2]], 2)], 3);
        let r = |overvote| RcvRules {
            overvote,
            ..RcvRules::default()
        };
        let c = count_rcv(&e, 1, &r(OvervoteRule::ExhaustImmediately)).unwrap();
        assert_eq!(c.rounds[0].overvotes, 10_000);
        let c = count_rcv(&e, 1, &r(OvervoteRule::AlwaysSkipToNextRank)).unwrap();
        assert_eq!(c.rounds[0].tally[2], (2, 30_000));
        let c = count_rcv(&e, 1, &r(OvervoteRule::ExhaustIfMultipleContinuing)).unwrap();
        assert_eq!(c.rounds[0].overvotes, 10_000);
    }
}
