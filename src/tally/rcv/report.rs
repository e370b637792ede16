//! The API's report of an IRV or STV count ([`Report`]): the engine's record
//! ([`RcvCount`]) with its rounds ([`Round`]) in [`Votes`].

use super::record::RcvCount;
use crate::tally::lot::Ties;
use crate::tally::method::Method;
use crate::tally::prepared::take_winners;
use crate::tally::report::{Report, Round};
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
    let quota = (method == Method::Stv)
        .then(|| count.rounds.first().map(|r| units.votes(r.threshold)))
        .flatten();
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
        // The explicit-overvote mark (RCTab's `overvoteLabel`) is no candidate.
        candidates: (0..n)
            .filter(|&c| options.rules.rcv.as_ref().and_then(|r| r.explicit_overvote) != Some(c))
            .collect(),
        withdrawn,
        winners,
        ranking,
        ballots_counted: total,
        blank_ballots: blank,
        condorcet_winner: how.condorcet_winner,
        scores: Vec::new(),
        rounds: report_rounds(count.rounds, units, how.preset),
        quota,
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

/// The report's rounds: the record's, in [`Votes`], without what only RCTab's
/// writers read (`scaled`, `scaled_inactive`); unless `keep_empty`, without
/// transfers of no votes.
fn report_rounds(
    rounds: Vec<Round<CandidateIdx, u128>>,
    units: Units,
    keep_empty: bool,
) -> Vec<Round<CandidateIdx>> {
    rounds
        .into_iter()
        .map(|r| {
            let mut r = r.map(|c| c, |v| units.votes(v));
            if !keep_empty {
                r.retain_transfers(|t| !t.is_empty());
            }
            r.scaled = Vec::new();
            r.scaled_inactive = 0;
            r
        })
        .collect()
}

/// Winners in order of election, then the rest still in the count by their
/// last votes (equal votes together), then the eliminated, last eliminated first.
fn final_ranking(count: &RcvCount) -> Vec<Vec<CandidateIdx>> {
    let mut ranking: Vec<Vec<CandidateIdx>> = count.winners.iter().map(|&c| vec![c]).collect();
    let last = count.rounds.last();
    let mut rest: Vec<(u128, CandidateIdx)> = last
        .map(|r| {
            r.counts
                .iter()
                .filter(|t| {
                    !count.winners.contains(&t.candidate) && !r.eliminated.contains(&t.candidate)
                })
                .map(|t| (t.votes, t.candidate))
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
