//! The ballots as the engine reads them: each ballot group's marked ranks in
//! one flat array ([`Group`], [`marks`]), and where a group's vote goes given
//! the continuing candidates ([`scan`], steps 1–6 of `tally::rcv`'s docs).

use super::record::{InactiveReason, RcvError};
use super::rules::{DuplicateRule, OvervoteRule, RcvRules};
use crate::tally::types::{Ballot, CandidateIdx, Election};

#[derive(Debug, Clone)]
pub(super) struct Group {
    /// Marked ranks, ascending, marks past `max_rankings` dropped: a range of
    /// the count's marks array (see [`marks`]).
    pub marks: std::ops::Range<usize>,
    /// The last marked rank (0 if none).
    pub max_rank: u32,
    pub count: u64,
    /// Value of each of its ballots (units): what the winners it helped elect
    /// did not keep.
    pub value: u64,
    pub recipient: Option<CandidateIdx>,
    /// Where [`scan`] found `recipient`: the offset in the group's marks just
    /// past that mark, and its rank. The next scan resumes there (see
    /// [`scan`]).
    pub resume: (u32, u32),
    pub inactive: Option<InactiveReason>,
    /// Revalued by a surplus (its value has `decimals` places in RCTab).
    pub scaled: bool,
}

impl Group {
    pub fn weight(&self) -> u128 {
        self.value as u128 * self.count as u128
    }
}

/// Reads a group's marked ranks from the count's marks array: each is its 1-based
/// rank, its number of candidates, then the candidates.
pub(super) fn marks(words: &[u32]) -> impl Iterator<Item = (u32, &[CandidateIdx])> + '_ {
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

/// What a rank of several candidates, or an explicit overvote, does under
/// `rules` (`continuing[c]`: candidate c may still receive votes).
fn overvote(slot: &[CandidateIdx], rules: &RcvRules, continuing: &[bool]) -> Overvote {
    let explicit = slot.len() == 1 && rules.explicit_overvote == Some(slot[0]);
    if slot.len() <= 1 && !explicit {
        return Overvote::None;
    }
    match rules.overvote {
        OvervoteRule::ExhaustImmediately => Overvote::Exhaust,
        OvervoteRule::AlwaysSkipToNextRank => Overvote::Skip,
        OvervoteRule::ExhaustIfMultipleContinuing => {
            if slot.iter().filter(|&&c| continuing[c as usize]).count() > 1 {
                Overvote::Exhaust
            } else {
                Overvote::None
            }
        }
    }
}

/// Where [`scan`] gives a group: the continuing candidate and where it found
/// them (the group's `resume`).
pub(super) struct Found {
    pub candidate: CandidateIdx,
    pub resume: (u32, u32),
}

/// Reads `group` (its marks in `all_marks`) as steps 1–6 of `tally::rcv`'s
/// docs do from its first mark: the continuing candidate who gets it, or why
/// it is inactive. `continuing[c]`: candidate c may still receive votes.
///
/// The read resumes past the mark where the group's current recipient was
/// found, which gives the same answer as reading from the first mark: nobody
/// becomes continuing again, so every earlier rank still marks no continuing
/// candidate (an overvote skipped under `AlwaysSkipToNextRank` is skipped
/// again; under `ExhaustIfMultipleContinuing` it had at most one continuing
/// candidate, who would have got the group), and the skipped-rank check
/// restarts from the recipient's rank. Only the repeated-candidate check
/// needs the earlier marks, so under `DuplicateRule::Exhaust` every read
/// starts at the first mark.
#[inline]
pub(super) fn scan(
    group: &Group,
    all_marks: &[u32],
    rules: &RcvRules,
    continuing: &[bool],
    all_seats_filled: bool,
) -> Result<Found, InactiveReason> {
    if group.marks.is_empty() {
        return Err(InactiveReason::Undervote);
    }
    if all_seats_filled {
        return Err(InactiveReason::FinalRoundSurplus);
    }
    let max_rank = group.max_rank;
    let (mut at, mut last_rank_seen) = if rules.duplicates == DuplicateRule::Exhaust {
        (0, 0)
    } else {
        (group.resume.0 as usize, group.resume.1)
    };
    let mut seen: Vec<CandidateIdx> = Vec::new();
    let words = &all_marks[group.marks.clone()];
    for (rank, slot) in marks(&words[at..]) {
        at += 2 + slot.len();
        if let Some(max) = rules.max_skipped_ranks {
            if rank - last_rank_seen > max + 1 {
                return Err(InactiveReason::SkippedRankings);
            }
        }
        last_rank_seen = rank;
        if rules.duplicates == DuplicateRule::Exhaust && repeats(slot, &mut seen) {
            return Err(InactiveReason::RepeatedRankings);
        }
        match overvote(slot, rules, continuing) {
            Overvote::Exhaust => return Err(InactiveReason::Overvotes),
            Overvote::Skip => {
                if rank == max_rank {
                    return Err(InactiveReason::ExhaustedChoices);
                }
                continue;
            }
            Overvote::None => {}
        }
        if let Some(&c) = slot.iter().find(|&&c| continuing[c as usize]) {
            return Ok(Found {
                candidate: c,
                resume: (at as u32, rank),
            });
        }
        if rank == max_rank {
            return Err(InactiveReason::ExhaustedChoices);
        }
    }
    // Read from the first mark, the last one always ends the read above; a
    // resumed read ends here when the recipient's mark was the last, which
    // is that same answer: no further choice.
    Err(InactiveReason::ExhaustedChoices)
}

/// One [`Group`] per ballot group, each ballot at full value `one`, with every
/// group's marked ranks (up to `max_rankings`) in one array (see [`marks`]).
pub(super) fn load_groups(
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
            if slot.len() > 1
                && rules
                    .explicit_overvote
                    .is_some_and(|marker| slot.contains(&marker))
            {
                return Err(RcvError::ExplicitOvervoteWithCandidates);
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
            resume: (0, 0),
            inactive: None,
        });
    }
    Ok((groups, marks))
}
