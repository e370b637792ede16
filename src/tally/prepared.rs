//! What every method starts from: the election validated and flattened, with its
//! pairwise matrix; what a method gives back; and helpers the methods share.

use super::error::{TallyError, MAX_BALLOTS, MAX_PAIRWISE_CANDIDATES};
use super::flat::{self, Flat};
use super::lot::Ties;
use super::matrix::{Matrix, MatrixBuilder};
use super::report::{Pair, Round, Score, TiePurpose};
use super::types::{CandidateIdx, Election};
use super::votes::Votes;

/// The validated input every method starts from.
pub(crate) struct Prepared {
    /// Number of candidates (withdrawn included).
    pub n: usize,
    /// `withdrawn[c]`: candidate c is out of the count.
    pub withdrawn: Vec<bool>,
    /// The ballots as the methods read them (see [`Flat`]).
    pub flat: Flat,
    /// The pairwise matrix, when there are at most [`MAX_PAIRWISE_CANDIDATES`]
    /// candidates (it also gives every report its Condorcet winner).
    pub matrix: Option<Matrix>,
    /// Sum of every group's count.
    pub total: u64,
    /// Ballots with no candidate at all.
    pub blank: u64,
    /// Ballots ranking at least one candidate not withdrawn.
    pub valid: u64,
}

impl Prepared {
    /// Validates the election, flattens its ballots and builds the pairwise
    /// matrix, in one pass over the ballots.
    pub fn new(election: &Election) -> Result<Self, TallyError> {
        Self::with_withdrawn(election, &[])
    }

    /// [`Self::new`], `also` withdrawn besides the election's withdrawn.
    pub fn with_withdrawn(election: &Election, also: &[CandidateIdx]) -> Result<Self, TallyError> {
        let n = election.candidates.len();
        if n > flat::MAX_CANDIDATES {
            return Err(TallyError::TooManyCandidates {
                candidates: n,
                max: flat::MAX_CANDIDATES,
            });
        }
        let mut withdrawn = vec![false; n];
        for &w in election.withdrawn.iter().chain(also) {
            *withdrawn
                .get_mut(w as usize)
                .ok_or(TallyError::UnknownWithdrawn { candidate: w })? = true;
        }
        let mut flat = Flat::with_capacity(election.ballots.len());
        let mut matrix = (n <= MAX_PAIRWISE_CANDIDATES).then(|| MatrixBuilder::new(n));
        // `seen[c] == stamp` marks c as already met on the current ballot.
        let mut seen = vec![usize::MAX; n];
        let (mut total, mut blank, mut valid) = (0u64, 0u64, 0u64);
        for (i, b) in election.ballots.iter().enumerate() {
            let mut any = false;
            let mut any_active = false;
            let mark = flat.mark();
            let mut tied = false;
            for slot in &b.ranks {
                let mut first = true;
                for &c in slot {
                    let s = seen
                        .get_mut(c as usize)
                        .ok_or(TallyError::UnknownCandidate {
                            ballot: i,
                            candidate: c,
                        })?;
                    if *s == i {
                        return Err(TallyError::DuplicateCandidate {
                            ballot: i,
                            candidate: c,
                        });
                    }
                    *s = i;
                    any = true;
                    if !withdrawn[c as usize] {
                        any_active = true;
                        flat.push(c, !first);
                        tied |= !first;
                        first = false;
                    }
                }
            }
            total = total
                .checked_add(b.count)
                .filter(|&t| t <= MAX_BALLOTS)
                .ok_or(TallyError::TooManyBallots)?;
            if !any {
                blank += b.count;
            }
            if any_active {
                valid += b.count;
            }
            // Blank groups and empty ones carry nothing for any method; a
            // group naming only withdrawn candidates stays (it is exhausted).
            if any && b.count > 0 {
                if let Some(m) = &mut matrix {
                    m.add(flat.current(mark), b.count, tied);
                }
                flat.finish(b.count);
            } else {
                flat.discard(mark);
            }
        }
        let matrix = matrix.map(|m| m.finish(&withdrawn));
        Ok(Prepared {
            n,
            withdrawn,
            flat,
            matrix,
            total,
            blank,
            valid,
        })
    }

    /// Candidates not withdrawn, election order.
    pub fn active(&self) -> Vec<CandidateIdx> {
        (0..self.n as CandidateIdx)
            .filter(|&c| !self.withdrawn[c as usize])
            .collect()
    }

    /// The candidate beating every other one head to head, if the matrix was
    /// built and anyone ranked anyone.
    pub fn condorcet_winner(&self) -> Option<CandidateIdx> {
        if self.valid == 0 {
            return None;
        }
        self.matrix.as_ref()?.condorcet_winner(&self.active())
    }
}

/// What a method contributes to the report.
#[derive(Default)]
pub(crate) struct Outcome {
    pub winners: Vec<CandidateIdx>,
    pub ranking: Vec<Vec<CandidateIdx>>,
    pub scores: Vec<Score<CandidateIdx>>,
    pub rounds: Vec<Round<CandidateIdx>>,
    pub quota: Option<Votes>,
    pub strongest_paths: Option<Vec<Vec<u64>>>,
    pub pairs: Vec<Pair<CandidateIdx>>,
}

/// Groups candidates by a score, best first (`better(a, b)` true when a's score
/// is higher; equal scores share a group, election order inside a group).
pub(crate) fn group_by_score<K: Ord + Copy>(
    cands: &[CandidateIdx],
    key: impl Fn(CandidateIdx) -> K,
) -> Vec<Vec<CandidateIdx>> {
    let mut sorted = cands.to_vec();
    sorted.sort_by(|&a, &b| key(b).cmp(&key(a)).then(a.cmp(&b)));
    let mut groups: Vec<Vec<CandidateIdx>> = Vec::new();
    for c in sorted {
        match groups.last_mut() {
            Some(g) if key(g[0]) == key(c) => g.push(c),
            _ => groups.push(vec![c]),
        }
    }
    groups
}

/// Takes the winners from a ranking in groups: the first `seats` candidates.
/// A group of several that contains a winner is ordered by the lot (logged), so
/// both who wins and the order of winners are decided; the group is left in
/// that order in `ranking`.
pub(crate) fn take_winners(
    ranking: &mut [Vec<CandidateIdx>],
    seats: u32,
    ties: &mut Ties,
) -> Vec<CandidateIdx> {
    let mut winners = Vec::new();
    for group in ranking.iter_mut() {
        if winners.len() >= seats as usize {
            break;
        }
        if group.len() > 1 {
            *group = ties.order(group, &[], TiePurpose::Winners, None, false);
        }
        for &c in group.iter() {
            if winners.len() < seats as usize {
                winners.push(c);
            }
        }
    }
    winners
}
