//! The result of a count: the same object the API returns and `christen tally --json` prints.

use serde::{Deserialize, Serialize};

use super::method::Method;
use super::rules::Rules;
use super::types::CandidateIdx;
#[cfg(doc)]
use super::types::Election;
use super::votes::Votes;

/// A candidate as shown in a report: `{id, name}`.
///
/// The API uses the suggestion's UUID as `id`; `christen tally` uses the
/// candidate's 1-based number in the ballot file.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct CandidateRef<Id> {
    pub id: Id,
    pub name: String,
}

/// A candidate with a number of votes: `{id, name, votes}` once candidates are
/// [`CandidateRef`]s (the candidate's fields are flattened into this object).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tally<C> {
    #[serde(flatten)]
    pub candidate: C,
    pub votes: Votes,
}

/// A candidate with a method score: plurality first preferences, Borda points or
/// Copeland points (`{id, name, score}`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Score<C> {
    #[serde(flatten)]
    pub candidate: C,
    pub score: Votes,
}

/// Votes no longer counting for any candidate, by reason. Cumulative: a round
/// shows everything that became inactive up to and including its count.
///
/// With the default [`Rules`] only `overvotes` (a tie/overvote at the ballot's
/// highest continuing rank) and `exhausted_choices` (no continuing candidate left
/// on the ballot) occur; the other buckets exist for rule options that skip or
/// reject ballots for other reasons. Blank ballots are not inactive votes; they
/// are reported once in [`Report::blank_ballots`].
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Inactive {
    pub overvotes: Votes,
    pub skipped_rankings: Votes,
    pub repeated_rankings: Votes,
    pub exhausted_choices: Votes,
    /// STV under `RcvRules` (RCTab's rule options): surplus left with the winners after the
    /// last seat (RCTab's final round).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub final_round_surplus: Votes,
}

fn is_zero(v: &Votes) -> bool {
    *v == Votes::ZERO
}

impl Inactive {
    /// All inactive votes.
    pub fn total(&self) -> Votes {
        Votes::from_units(
            self.overvotes.units()
                + self.skipped_rankings.units()
                + self.repeated_rankings.units()
                + self.exhausted_choices.units()
                + self.final_round_surplus.units(),
        )
    }
}

/// Why votes moved after a round.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TransferKind {
    /// An elected candidate's surplus (STV).
    Surplus,
    /// An eliminated candidate's ballots.
    Elimination,
}

/// The votes moved after a round's count.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Transfer<C> {
    pub kind: TransferKind,
    pub from: C,
    /// The surplus moved (STV surplus transfers only).
    pub surplus: Option<Votes>,
    /// Surplus ÷ the candidate's votes, truncated to the rules' decimals: the new
    /// value of a ballot that had full value (STV surplus transfers only). A ballot
    /// of value v moves at v × surplus ÷ votes, truncated to the same decimals.
    pub transfer_value: Option<Votes>,
    /// Votes received by each candidate (only those receiving any), election order.
    pub to: Vec<Tally<C>>,
    /// Votes that found no continuing candidate and became inactive.
    pub exhausted: Votes,
    /// Fractions dropped by truncation in this transfer (STV).
    pub lost_to_rounding: Votes,
}

/// One round (IRV) or stage (STV) of a count: the rendering in [`Votes`] of the
/// engine's exact record, `tally::rcv::RcvRound` (`tally::rcv::report`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Round<C> {
    /// 1-based.
    pub round: u32,
    /// Votes of every candidate still in the count (continuing, and for STV those
    /// already elected), in election order.
    pub counts: Vec<Tally<C>>,
    /// Votes held by continuing (not yet elected) candidates.
    pub continuing_votes: Votes,
    /// Votes needed to be elected this round: IRV more than half the continuing
    /// votes (`floor(continuing / 2) + 1`), STV the quota.
    pub threshold: Votes,
    /// Elected at this round's count, in order of election.
    pub elected: Vec<C>,
    /// Eliminated after this round's count.
    pub eliminated: Vec<C>,
    /// Inactive votes so far (cumulative).
    pub inactive: Inactive,
    /// Votes lost to truncation so far (STV; cumulative).
    pub lost_to_rounding: Votes,
    /// What moved after this round's count, if anything.
    pub transfer: Option<Transfer<C>>,
    /// Further transfers of the same round: several candidates batch-eliminated
    /// or elected at once under `RcvRules` (RCTab's rule options).
    #[serde(default = "Vec::new", skip_serializing_if = "Vec::is_empty")]
    pub further_transfers: Vec<Transfer<C>>,
}

/// What a tie-break decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TiePurpose {
    /// Which of the lowest candidates is eliminated (the last in `order`).
    Eliminate,
    /// The order in which candidates reaching the quota together are elected.
    Elect,
    /// Which of equal surpluses is transferred first (the first in `order`).
    Surplus,
    /// The order of tied candidates in a final ranking where it decides who wins
    /// or the order of the winners.
    Winners,
    /// The order of equal-margin pairs in Ranked Pairs (`order` is the lot order
    /// of the candidates involved: a pair whose winner comes earlier is locked
    /// first; with the same winner, the pair whose loser comes later).
    PairOrder,
}

/// How a tie was broken.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "rule")]
pub enum DecidedBy {
    /// By the counts of an earlier round (the most recent one where they differed).
    EarlierRound { round: u32 },
    /// By the lot: the seeded pseudo-random order of candidates (see the `lot` module).
    Lot,
    /// By the order of the candidates in the election (RCTab `useCandidateOrder`:
    /// the one listed last is eliminated, the one listed first elected).
    CandidateOrder,
    /// By RCTab's `random` rule: `java.util.Random` seeded with the rules' seed
    /// (RCTab's rule options, `TieBreakMode::Random`).
    Random,
}

/// One tie broken during the count.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TieBreak<C> {
    /// The round in which it was broken, for round-based methods.
    pub round: Option<u32>,
    pub purpose: TiePurpose,
    /// The tied candidates, election order.
    pub tied: Vec<C>,
    /// The tied candidates in the order decided, most favoured first.
    pub order: Vec<C>,
    pub decided_by: DecidedBy,
}

/// One pair considered by Ranked Pairs, in the order considered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pair<C> {
    pub winner: C,
    pub loser: C,
    /// Ballots preferring the winner minus ballots preferring the loser.
    pub margin: u64,
    /// Whether the pair was locked (false: it would have made a cycle).
    pub locked: bool,
}

/// The full result of a count.
///
/// Generic over how a candidate is shown: the engine returns
/// `Report<CandidateIdx>`; [`Report::map_candidates`] (or [`Report::with_refs`])
/// turns it into `Report<CandidateRef<Id>>`, whose JSON shows every candidate as
/// `{id, name}`. Fields are always present (empty or null when the method has no
/// such thing), so clients can rely on the shape.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Report<C> {
    pub method: Method,
    /// Seats asked for.
    pub seats: u32,
    /// Every candidate, election order. `pairwise` and `strongest_paths` are
    /// indexed in this order.
    pub candidates: Vec<C>,
    /// Candidates withdrawn before the count.
    pub withdrawn: Vec<C>,
    /// Winners in order of election (fewer than `seats` only when there are
    /// fewer candidates, or no ballot ranks anyone).
    pub winners: Vec<C>,
    /// Every candidate not withdrawn, best first, in groups of candidates the
    /// method ranks equal. Where a group decides a seat (or the order of winners)
    /// its candidates are listed in the tie-break order; otherwise election order.
    pub ranking: Vec<Vec<C>>,
    /// Ballots counted (the sum of the groups' counts, blank ballots included).
    pub ballots_counted: u64,
    /// Ballots ranking no candidate at all.
    pub blank_ballots: u64,
    /// The candidate who beats every other one head to head, if any.
    pub condorcet_winner: Option<C>,
    /// Plurality first preferences, Borda points or Copeland points, election
    /// order; empty for other methods.
    pub scores: Vec<Score<C>>,
    /// IRV rounds or STV stages; empty for other methods.
    pub rounds: Vec<Round<C>>,
    /// The STV Droop quota: `floor(valid first preferences / (seats + 1)) + 1`.
    pub quota: Option<Votes>,
    /// `pairwise[i][j]`: ballots ranking candidate i above candidate j
    /// (Condorcet methods and Copeland; null otherwise).
    pub pairwise: Option<Vec<Vec<u64>>>,
    /// Schulze: `strongest_paths[i][j]` is the strength (winning votes) of the
    /// strongest path from i to j.
    pub strongest_paths: Option<Vec<Vec<u64>>>,
    /// Ranked Pairs: every pair with a positive margin, in the order considered.
    pub pairs: Vec<Pair<C>>,
    /// Every tie broken, in the order broken.
    pub tie_breaks: Vec<TieBreak<C>>,
    /// The rules applied.
    pub rules: Rules,
    /// The tie-break seed, as a decimal string (a u64 does not fit a JSON double).
    pub seed: String,
    /// SHA-256 of the canonical ballot export, when the caller has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ballot_digest: Option<String>,
}

fn map_vec<C, D>(v: Vec<C>, f: &mut impl FnMut(C) -> D) -> Vec<D> {
    v.into_iter().map(f).collect()
}

fn map_tallies<C, D>(v: Vec<Tally<C>>, f: &mut impl FnMut(C) -> D) -> Vec<Tally<D>> {
    v.into_iter()
        .map(|t| Tally {
            candidate: f(t.candidate),
            votes: t.votes,
        })
        .collect()
}

fn map_transfer<C, D>(t: Transfer<C>, f: &mut impl FnMut(C) -> D) -> Transfer<D> {
    Transfer {
        kind: t.kind,
        from: f(t.from),
        surplus: t.surplus,
        transfer_value: t.transfer_value,
        to: map_tallies(t.to, f),
        exhausted: t.exhausted,
        lost_to_rounding: t.lost_to_rounding,
    }
}

impl<C> Report<C> {
    /// The same report with every candidate shown as `f` shows it.
    pub fn map_candidates<D>(self, mut f: impl FnMut(C) -> D) -> Report<D> {
        let f = &mut f;
        Report {
            method: self.method,
            seats: self.seats,
            candidates: map_vec(self.candidates, f),
            withdrawn: map_vec(self.withdrawn, f),
            winners: map_vec(self.winners, f),
            ranking: self.ranking.into_iter().map(|g| map_vec(g, f)).collect(),
            ballots_counted: self.ballots_counted,
            blank_ballots: self.blank_ballots,
            condorcet_winner: self.condorcet_winner.map(&mut *f),
            scores: self
                .scores
                .into_iter()
                .map(|s| Score {
                    candidate: f(s.candidate),
                    score: s.score,
                })
                .collect(),
            rounds: self
                .rounds
                .into_iter()
                .map(|r| Round {
                    round: r.round,
                    counts: map_tallies(r.counts, f),
                    continuing_votes: r.continuing_votes,
                    threshold: r.threshold,
                    elected: map_vec(r.elected, f),
                    eliminated: map_vec(r.eliminated, f),
                    inactive: r.inactive,
                    lost_to_rounding: r.lost_to_rounding,
                    transfer: r.transfer.map(|t| map_transfer(t, f)),
                    further_transfers: r
                        .further_transfers
                        .into_iter()
                        .map(|t| map_transfer(t, f))
                        .collect(),
                })
                .collect(),
            quota: self.quota,
            pairwise: self.pairwise,
            strongest_paths: self.strongest_paths,
            pairs: self
                .pairs
                .into_iter()
                .map(|p| Pair {
                    winner: f(p.winner),
                    loser: f(p.loser),
                    margin: p.margin,
                    locked: p.locked,
                })
                .collect(),
            tie_breaks: self
                .tie_breaks
                .into_iter()
                .map(|t| TieBreak {
                    round: t.round,
                    purpose: t.purpose,
                    tied: map_vec(t.tied, f),
                    order: map_vec(t.order, f),
                    decided_by: t.decided_by,
                })
                .collect(),
            rules: self.rules,
            seed: self.seed,
            ballot_digest: self.ballot_digest,
        }
    }
}

impl Report<CandidateIdx> {
    /// Shows every candidate as `{id, name}`, with `name` from `names` (indexed by
    /// candidate number, normally [`Election::candidates`]) and `id` from
    /// `id(candidate number)`. A number outside `names` gets an empty name.
    pub fn with_refs<Id>(
        self,
        names: &[String],
        mut id: impl FnMut(CandidateIdx) -> Id,
    ) -> Report<CandidateRef<Id>> {
        self.map_candidates(|c| CandidateRef {
            id: id(c),
            name: names.get(c as usize).cloned().unwrap_or_default(),
        })
    }
}
