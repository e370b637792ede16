//! Plurality: first preferences; the top `seats` win.
//!
//! A ballot counts for the candidate at its first rank (withdrawn candidates
//! and empty ranks are not in [`super::flat::Flat`], so that is its highest
//! rank holding a candidate still standing). A rank of several candidates
//! there is an overvote and counts for nobody.

use super::flat::TIED;
use super::lot::Ties;
use super::prepared::{group_by_score, take_winners, Outcome, Prepared};
use super::report::Score;
use super::rules::Options;
use super::votes::Votes;

/// Plurality (module docs).
pub(crate) fn plurality(prep: &Prepared, options: &Options, ties: &mut Ties) -> Outcome {
    let mut votes = vec![0u64; prep.n];
    for g in 0..prep.flat.len() {
        let items = prep.flat.items(g);
        let overvote = items.get(1).is_some_and(|&i| i & TIED != 0);
        if let (Some(&first), false) = (items.first(), overvote) {
            votes[first as usize] += prep.flat.count(g);
        }
    }
    let active = prep.active();
    let mut ranking = group_by_score(&active, |c| votes[c as usize]);
    let winners = take_winners(&mut ranking, options.seats, ties);
    Outcome {
        winners,
        ranking,
        scores: active
            .iter()
            .map(|&c| Score {
                candidate: c,
                score: Votes::whole(votes[c as usize]),
            })
            .collect(),
        ..Outcome::default()
    }
}
