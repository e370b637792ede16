//! RCTab's `multiPassIrv` (multi-seat sequential winner-takes-all): one
//! single-winner count per seat, each pass excluding the winners of the passes
//! before it.
//!
//! Followed from RCTab's `TabulatorSession.tabulate`: with `numberOfWinners`
//! seats it sets the contest to one seat and, until as many winners are known,
//! reads the cast vote records afresh and tabulates them; the pass must elect
//! exactly one candidate ("Expected to find exactly one new winner"), who is
//! then marked excluded (`setCandidateExclusionStatus`), so later passes count
//! every ballot as if that candidate were not on it. Each pass is a whole count
//! of its own (its own rounds, its own `java.util.Random(seed)` for tie-breaks)
//! and has its own outputs, RCTab naming them `…_summary_<pass>.json` /
//! `.csv` (`ResultsWriter.getOutputFilePath`, `_` and the 1-based pass number).
//!
//! Here an excluded candidate is a withdrawn one ([`Election::withdrawn`]),
//! as `formats::rctab_config` prepares RCTab's `excluded`.

use super::rcv::{count_rcv, RcvCount, RcvError, RcvRules, WinnerMode};
use super::types::{CandidateIdx, Election};

/// Why a multi-pass count stopped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PassError<E> {
    /// Pass `pass` (1-based) could not be counted.
    Count { pass: u32, error: E },
    /// Pass `pass` elected `found` candidates instead of one (no candidate
    /// left to elect, or a count cut short).
    NotOneWinner { pass: u32, found: usize },
}

impl<E: std::fmt::Display> std::fmt::Display for PassError<E> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PassError::Count { pass, error } => write!(f, "multiPassIrv pass {pass}: {error}"),
            PassError::NotOneWinner { pass, found } => write!(
                f,
                "multiPassIrv pass {pass}: expected exactly one new winner, found {found} \
                 (RCTab stops there too)"
            ),
        }
    }
}

impl<E: std::fmt::Debug + std::fmt::Display> std::error::Error for PassError<E> {}

/// The rules of one pass: `rules` with one winner per count.
pub fn pass_rules(rules: &RcvRules) -> RcvRules {
    RcvRules {
        winner_mode: WinnerMode::default(),
        ..rules.clone()
    }
}

/// Runs `count_one` once per seat (`seats` passes) on `election`, each pass
/// with the earlier passes' winners withdrawn; `winners` tells the candidates
/// a pass elected. Returns every pass's count, in order. Generic so that the
/// same passes give RCTab's rounds ([`count_passes`]) or the engine's reports.
pub fn run_passes<T, E>(
    election: &Election,
    seats: u32,
    mut count_one: impl FnMut(&Election) -> Result<T, E>,
    winners: impl Fn(&T) -> Vec<CandidateIdx>,
) -> Result<Vec<T>, PassError<E>> {
    let mut pass_election = election.clone();
    let mut passes = Vec::with_capacity(seats as usize);
    for pass in 1..=seats {
        let count = count_one(&pass_election).map_err(|error| PassError::Count { pass, error })?;
        let won = winners(&count);
        let [winner] = won[..] else {
            return Err(PassError::NotOneWinner {
                pass,
                found: won.len(),
            });
        };
        if !pass_election.withdrawn.contains(&winner) {
            pass_election.withdrawn.push(winner);
            pass_election.withdrawn.sort_unstable();
        }
        passes.push(count);
    }
    Ok(passes)
}

/// `multiPassIrv` under RCTab's rules: `seats` single-winner counts of
/// `election` under `rules` (its winner mode aside), each excluding the
/// earlier winners.
pub fn count_passes(
    election: &Election,
    seats: u32,
    rules: &RcvRules,
) -> Result<Vec<RcvCount>, PassError<RcvError>> {
    let one_seat = pass_rules(rules);
    run_passes(
        election,
        seats,
        |e| count_rcv(e, 1, &one_seat),
        |c| c.winners.clone(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tally::rcv::pairs;
    use crate::tally::types::Ballot;

    fn election(ballots: &[(&[CandidateIdx], u64)], names: &[&str]) -> Election {
        Election {
            candidates: names.iter().map(|n| n.to_string()).collect(),
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

    /// Worked by hand. Pass 1: A 4, B 3, C 2 of 9 (threshold 5); C out, its
    /// two ballots go to B: B 5 wins. Pass 2 without B: A 4, C 5 (B's three
    /// ballots rank C next) of 9: C wins in round 1. Pass 3 without B and C:
    /// A has every ballot that ranks A (4 + the two C,B,A ballots) of 6 active.
    #[test]
    fn each_pass_excludes_the_earlier_winners() {
        let e = election(
            &[(&[0], 4), (&[1, 2], 3), (&[2, 1, 0], 2)],
            &["A", "B", "C"],
        );
        let rules = RcvRules {
            winner_mode: WinnerMode::MultiPass,
            ..RcvRules::default()
        };
        assert_eq!(count_rcv(&e, 3, &rules), Err(RcvError::MultiPass));
        let passes = count_passes(&e, 3, &rules).unwrap();
        assert_eq!(passes.len(), 3);
        assert_eq!(passes[0].winners, vec![1]);
        assert_eq!(passes[0].rounds.len(), 2);
        assert_eq!(
            pairs(&passes[0].rounds[0]),
            vec![(0, 40_000), (1, 30_000), (2, 20_000)]
        );
        assert_eq!(pairs(&passes[0].rounds[1]), vec![(0, 40_000), (1, 50_000)]);

        assert_eq!(passes[1].winners, vec![2]);
        assert_eq!(passes[1].rounds.len(), 1);
        assert_eq!(pairs(&passes[1].rounds[0]), vec![(0, 40_000), (2, 50_000)]);
        assert_eq!(passes[1].rounds[0].threshold, 50_000);

        assert_eq!(passes[2].winners, vec![0]);
        assert_eq!(pairs(&passes[2].rounds[0]), vec![(0, 60_000)]);
        // B's three ballots rank nobody left: exhausted from the start.
        assert_eq!(passes[2].rounds[0].inactive.exhausted_choices, 30_000);
        assert_eq!(passes[2].rounds[0].threshold, 40_000);
    }

    #[test]
    fn a_pass_without_a_candidate_left_is_an_error() {
        let e = election(&[(&[0], 2), (&[1], 1)], &["A", "B"]);
        let err = count_passes(&e, 3, &RcvRules::default()).unwrap_err();
        // Nobody continuing in pass 3: the count cannot go on.
        assert_eq!(
            err,
            PassError::Count {
                pass: 3,
                error: RcvError::Stuck { round: 1 }
            }
        );
        assert!(err.to_string().contains("pass 3"), "{err}");
    }
}
