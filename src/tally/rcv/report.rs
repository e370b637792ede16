//! The API's report of an IRV or STV count ([`Report`], [`Round`]): a
//! rendering of the engine's exact record ([`RcvCount`], [`RcvRound`]) in
//! [`Votes`].

use super::record::{Destination, RcvCount, RcvRound, RcvTransfer};
use crate::tally::lot::Ties;
use crate::tally::method::Method;
use crate::tally::prepared::take_winners;
use crate::tally::report::{Inactive, Report, Round, Tally, Transfer, TransferKind};
use crate::tally::rules::Options;
use crate::tally::types::{CandidateIdx, Election};
use crate::tally::votes::{Votes, VOTE_DECIMALS};

/// How a count becomes a report.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Rendering {
    /// Decimal places of the count's amounts, at most [`VOTE_DECIMALS`].
    pub decimals: u32,
    /// The API's own rules (the `christen` preset): every elimination keeps its
    /// transfer, even of no votes; withdrawn candidates are listed in
    /// candidate order; IRV with more seats than one takes the top of its
    /// ranking, ties in it broken by the lot of `options.seed`. Otherwise
    /// (RCTab's rules) transfers of no votes are left out.
    pub preset: bool,
    pub condorcet_winner: Option<CandidateIdx>,
}

/// The report of `count`, an IRV or STV count of `election` (IRV counts one
/// seat, STV `options.seats`).
pub(crate) fn report(
    election: &Election,
    method: Method,
    options: &Options,
    count: RcvCount,
    how: Rendering,
) -> Report<CandidateIdx> {
    let n = election.candidates.len() as CandidateIdx;
    let units = Units::new(how.decimals);
    let total: u64 = election.ballots.iter().map(|b| b.count).sum();
    let blank: u64 = election
        .ballots
        .iter()
        .filter(|b| b.ranks.iter().all(|s| s.is_empty()))
        .map(|b| b.count)
        .sum();
    let mut withdrawn = election.withdrawn.clone();
    let mut ranking = final_ranking(&count);
    let mut winners = count.winners.clone();
    let mut tie_breaks = count.tie_breaks.clone();
    if how.preset {
        withdrawn.sort_unstable();
        withdrawn.dedup();
        if method == Method::Irv && options.seats > 1 {
            let mut ties = Ties::new(options.seed, n as usize);
            winners = take_winners(&mut ranking, options.seats, &mut ties);
            tie_breaks.append(&mut ties.log);
        }
    }
    Report {
        method,
        seats: options.seats,
        candidates: (0..n).collect(),
        withdrawn,
        winners,
        ranking,
        ballots_counted: total,
        blank_ballots: blank,
        condorcet_winner: how.condorcet_winner,
        scores: Vec::new(),
        rounds: report_rounds(&count, units, how.preset),
        quota: (method == Method::Stv)
            .then(|| count.rounds.first().map(|r| units.votes(r.threshold)))
            .flatten(),
        pairwise: None,
        strongest_paths: None,
        pairs: Vec::new(),
        tie_breaks,
        rules: options.rules.clone(),
        seed: options.seed.to_string(),
        ballot_digest: None,
    }
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
fn report_rounds(count: &RcvCount, units: Units, keep_empty: bool) -> Vec<Round<CandidateIdx>> {
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
            .filter(|t| keep_empty || !t.to.is_empty())
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
        kind: if t.surplus.is_some() || r.elected.contains(&t.from) {
            TransferKind::Surplus
        } else {
            TransferKind::Elimination
        },
        from: t.from,
        surplus: t.surplus.map(|s| units.votes(s.surplus)),
        transfer_value: t.surplus.map(|s| units.votes(s.value)),
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
