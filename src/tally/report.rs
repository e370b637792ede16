//! The result of a count: the same object the API returns and `christen tally --json` prints.
//!
//! The round types ([`Round`], [`Transfer`], [`Tally`], [`Inactive`]) are also
//! the IRV/STV engine's own record of a count: generic over the amount, the
//! engine records `Round<CandidateIdx, u128>` (exact fixed-point units at the
//! count's scale, `tally::rcv::RcvCount::scale`), RCTab's writers
//! (`crate::formats::urcvt`, `crate::formats::summary_csv`) read that record,
//! and the API's report is the same rounds in [`Votes`] (`tally::rcv::report`,
//! [`Round::map`]).

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
/// The votes are [`Votes`] in a report, fixed-point units (`u128`) in the
/// engine's record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tally<C, V = Votes> {
    #[serde(flatten)]
    pub candidate: C,
    pub votes: V,
}

impl<C, V> Tally<C, V> {
    /// The same tally with the candidate shown as `f` shows it and the votes
    /// as `g` gives them.
    pub fn map<D, W>(self, mut f: impl FnMut(C) -> D, mut g: impl FnMut(V) -> W) -> Tally<D, W> {
        Tally {
            candidate: f(self.candidate),
            votes: g(self.votes),
        }
    }
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
/// are reported once in [`Report::blank_ballots`] (in the engine's record,
/// `tally::rcv::RcvCount::undervotes`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(
    default,
    bound(
        serialize = "V: Serialize + Default + PartialEq",
        deserialize = "V: Deserialize<'de> + Default"
    )
)]
pub struct Inactive<V = Votes> {
    pub overvotes: V,
    pub skipped_rankings: V,
    pub repeated_rankings: V,
    pub exhausted_choices: V,
    /// STV under `RcvRules` (RCTab's rule options): surplus left with the winners after the
    /// last seat (RCTab's final round).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub final_round_surplus: V,
}

fn is_zero<V: Default + PartialEq>(v: &V) -> bool {
    *v == V::default()
}

impl<V> Inactive<V> {
    /// The same buckets with every amount as `g` gives it.
    pub fn map<W>(self, mut g: impl FnMut(V) -> W) -> Inactive<W> {
        Inactive {
            overvotes: g(self.overvotes),
            skipped_rankings: g(self.skipped_rankings),
            repeated_rankings: g(self.repeated_rankings),
            exhausted_choices: g(self.exhausted_choices),
            final_round_surplus: g(self.final_round_surplus),
        }
    }
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
pub struct Transfer<C, V = Votes> {
    pub kind: TransferKind,
    pub from: C,
    /// The surplus moved (STV surplus transfers only, one at a time; RCTab's
    /// surpluses move with the next round's count and leave this `None`).
    pub surplus: Option<V>,
    /// Surplus ÷ the candidate's votes, truncated to the rules' decimals: the new
    /// value of a ballot that had full value (STV surplus transfers only). A ballot
    /// of value v moves at v × surplus ÷ votes, truncated to the same decimals.
    pub transfer_value: Option<V>,
    /// Votes received by each candidate (only those receiving any), election order.
    pub to: Vec<Tally<C, V>>,
    /// Votes that found no continuing candidate and became inactive.
    pub exhausted: V,
    /// Fractions dropped by truncation in this transfer (STV; RCTab's
    /// "residual surplus").
    pub lost_to_rounding: V,
}

impl<C, V> Transfer<C, V> {
    /// The same transfer with every candidate shown as `f` shows it and every
    /// amount as `g` gives it.
    pub fn map<D, W>(self, mut f: impl FnMut(C) -> D, mut g: impl FnMut(V) -> W) -> Transfer<D, W> {
        Transfer {
            kind: self.kind,
            from: f(self.from),
            surplus: self.surplus.map(&mut g),
            transfer_value: self.transfer_value.map(&mut g),
            to: self.to.into_iter().map(|t| t.map(&mut f, &mut g)).collect(),
            exhausted: g(self.exhausted),
            lost_to_rounding: g(self.lost_to_rounding),
        }
    }

    /// Whether no votes moved: no candidate received any, none became
    /// inactive, none were lost to rounding.
    pub fn is_empty(&self) -> bool
    where
        V: Default + PartialEq,
    {
        self.to.is_empty() && is_zero(&self.exhausted) && is_zero(&self.lost_to_rounding)
    }
}

/// One round (IRV) or stage (STV) of a count.
///
/// Generic over the amount: the engine records `Round<CandidateIdx, u128>`
/// (exact fixed-point units at the count's scale, `tally::rcv::RcvCount`),
/// which RCTab's writers read; a [`Report`] shows the same round in [`Votes`]
/// ([`Round::map`], `tally::rcv::report`). The fields RCTab's writers need
/// beyond the API's are not in the JSON, and empty in a report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(bound(
    serialize = "C: Serialize, V: Serialize + Default + PartialEq",
    deserialize = "C: Deserialize<'de>, V: Deserialize<'de> + Default"
))]
pub struct Round<C, V = Votes> {
    /// 1-based.
    pub round: u32,
    /// Votes of every candidate still in the count (continuing, and for STV those
    /// already elected), in election order.
    pub counts: Vec<Tally<C, V>>,
    /// Votes held by continuing (not yet elected) candidates.
    pub continuing_votes: V,
    /// Votes needed to be elected this round: IRV more than half the continuing
    /// votes (`floor(continuing / 2) + 1`), STV the quota.
    pub threshold: V,
    /// Elected at this round's count, in order of election.
    pub elected: Vec<C>,
    /// Eliminated after this round's count; several at once (a batch, or
    /// those below a minimum) by name, as RCTab lists them.
    pub eliminated: Vec<C>,
    /// Inactive votes so far (cumulative).
    pub inactive: Inactive<V>,
    /// Votes lost to truncation so far (STV; cumulative; RCTab's "residual
    /// surplus").
    pub lost_to_rounding: V,
    /// What moved after this round's count, if anything.
    pub transfer: Option<Transfer<C, V>>,
    /// Further transfers of the same round: several candidates batch-eliminated
    /// or elected at once under `RcvRules` (RCTab's rule options).
    #[serde(default = "Vec::new", skip_serializing_if = "Vec::is_empty")]
    pub further_transfers: Vec<Transfer<C, V>>,
    /// Engine record only (RCTab's writers; not in the JSON): the candidates
    /// whose votes this round carry `decimals` places in RCTab's reports
    /// (`BigDecimal` scale), those holding a ballot revalued by a surplus
    /// (STV), even at a whole value; candidate order.
    #[serde(skip, default = "Vec::new")]
    pub scaled: Vec<C>,
    /// Engine record only: the same for the inactive buckets, bit
    /// `1 << reason` of `tally::rcv::InactiveReason`.
    #[serde(skip)]
    pub scaled_inactive: u8,
}

impl<C, V> Round<C, V> {
    /// Every transfer out of this round, in order: `transfer`, then
    /// `further_transfers`.
    pub fn transfers(&self) -> impl Iterator<Item = &Transfer<C, V>> {
        self.transfer.iter().chain(&self.further_transfers)
    }

    /// Adds a transfer after the others.
    pub fn push_transfer(&mut self, t: Transfer<C, V>) {
        match self.transfer {
            None => self.transfer = Some(t),
            Some(_) => self.further_transfers.push(t),
        }
    }

    /// Keeps only the transfers `keep` accepts, in order.
    pub fn retain_transfers(&mut self, mut keep: impl FnMut(&Transfer<C, V>) -> bool) {
        let mut all: Vec<Transfer<C, V>> = self.transfer.take().into_iter().collect();
        all.append(&mut self.further_transfers);
        all.retain(|t| keep(t));
        let mut all = all.into_iter();
        self.transfer = all.next();
        self.further_transfers = all.collect();
    }

    /// The votes of candidate `c` this round, if it is in the count.
    pub fn votes_of(&self, c: &C) -> Option<V>
    where
        C: PartialEq,
        V: Copy,
    {
        self.counts
            .iter()
            .find(|t| t.candidate == *c)
            .map(|t| t.votes)
    }

    /// The same round with every candidate shown as `f` shows it and every
    /// amount as `g` gives it.
    pub fn map<D, W>(self, mut f: impl FnMut(C) -> D, mut g: impl FnMut(V) -> W) -> Round<D, W> {
        Round {
            round: self.round,
            counts: self
                .counts
                .into_iter()
                .map(|t| t.map(&mut f, &mut g))
                .collect(),
            continuing_votes: g(self.continuing_votes),
            threshold: g(self.threshold),
            elected: self.elected.into_iter().map(&mut f).collect(),
            eliminated: self.eliminated.into_iter().map(&mut f).collect(),
            inactive: self.inactive.map(&mut g),
            lost_to_rounding: g(self.lost_to_rounding),
            transfer: self.transfer.map(|t| t.map(&mut f, &mut g)),
            further_transfers: self
                .further_transfers
                .into_iter()
                .map(|t| t.map(&mut f, &mut g))
                .collect(),
            scaled: self.scaled.into_iter().map(&mut f).collect(),
            scaled_inactive: self.scaled_inactive,
        }
    }
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
                .map(|r| r.map(&mut *f, |v| v))
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
