//! Property tests of the counting engine.

use christen::tally::{count, Ballot, CandidateIdx, Election, Method, Options, Report, Votes};
use proptest::prelude::*;

/// An election of 2..=`max_n` candidates and up to 40 groups of partial strict
/// rankings (each a shuffled prefix) with counts 1..=5.
fn elections(max_n: usize) -> impl Strategy<Value = Election> {
    (2..=max_n).prop_flat_map(|n| {
        let ballot = (
            Just((0..n as CandidateIdx).collect::<Vec<_>>()).prop_shuffle(),
            1..=n,
            1u64..=5,
        )
            .prop_map(|(order, len, count)| Ballot::strict(&order[..len], count));
        prop::collection::vec(ballot, 1..40).prop_map(move |ballots| Election {
            candidates: (0..n).map(|i| format!("C{i}")).collect(),
            withdrawn: vec![],
            ballots,
        })
    })
}

/// Like [`elections`] but ranks may hold ties and be skipped.
fn elections_with_ties(max_n: usize) -> impl Strategy<Value = Election> {
    (2..=max_n).prop_flat_map(|n| {
        let ballot = (
            Just((0..n as CandidateIdx).collect::<Vec<_>>()).prop_shuffle(),
            prop::collection::vec(0usize..3, n),
            1u64..=5,
        )
            .prop_map(|(order, cuts, count)| {
                // cuts[i]: 0 = same rank as the previous candidate, 1 = next rank,
                // 2 = a skipped rank, then next.
                let mut ranks: Vec<Vec<CandidateIdx>> = vec![];
                for (c, cut) in order.into_iter().zip(cuts) {
                    match (cut, ranks.last_mut()) {
                        (0, Some(last)) => last.push(c),
                        (2, _) => {
                            ranks.push(vec![]);
                            ranks.push(vec![c]);
                        }
                        _ => ranks.push(vec![c]),
                    }
                }
                Ballot { ranks, count }
            });
        prop::collection::vec(ballot, 1..30).prop_map(move |ballots| Election {
            candidates: (0..n).map(|i| format!("C{i}")).collect(),
            withdrawn: vec![],
            ballots,
        })
    })
}

fn opts(seats: u32, seed: u64) -> Options {
    Options {
        seats,
        seed,
        ..Options::default()
    }
}

fn run(e: &Election, m: Method, o: &Options) -> Report<CandidateIdx> {
    count(e, m, o).expect("valid election")
}

fn ungrouped(e: &Election) -> Election {
    let mut out = e.clone();
    out.ballots = e
        .ballots
        .iter()
        .flat_map(|b| {
            std::iter::repeat_n(
                Ballot {
                    ranks: b.ranks.clone(),
                    count: 1,
                },
                b.count as usize,
            )
        })
        .collect();
    out
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    #[test]
    fn condorcet_winner_wins_condorcet_methods(e in elections_with_ties(6), seed: u64) {
        let r = run(&e, Method::Schulze, &opts(1, seed));
        if let Some(w) = r.condorcet_winner {
            for m in [Method::Schulze, Method::RankedPairs, Method::Copeland] {
                prop_assert_eq!(&run(&e, m, &opts(1, seed)).winners, &vec![w], "{}", m);
            }
        }
    }

    #[test]
    fn ballot_order_does_not_matter(e in elections_with_ties(6), seed: u64, rot in 0usize..40) {
        let mut shuffled = e.clone();
        shuffled.ballots.reverse();
        let k = rot % shuffled.ballots.len().max(1);
        shuffled.ballots.rotate_left(k);
        for m in Method::ALL {
            let o = opts(2, seed);
            prop_assert_eq!(run(&e, m, &o), run(&shuffled, m, &o), "{}", m);
        }
    }

    #[test]
    fn grouped_and_ungrouped_ballots_agree(e in elections_with_ties(5), seed: u64) {
        let flat = ungrouped(&e);
        for m in Method::ALL {
            let o = opts(2, seed);
            prop_assert_eq!(run(&e, m, &o), run(&flat, m, &o), "{}", m);
        }
    }

    #[test]
    fn renaming_candidates_changes_only_names(e in elections(6), seed: u64) {
        let mut renamed = e.clone();
        renamed.candidates = e.candidates.iter().map(|c| format!("new {c}")).collect();
        for m in Method::ALL {
            let o = opts(1, seed);
            let a = run(&e, m, &o).with_refs(&e.candidates, |c| c);
            let b = run(&renamed, m, &o)
                .with_refs(&renamed.candidates, |c| c)
                .map_candidates(|mut c| {
                    c.name = c.name.trim_start_matches("new ").to_string();
                    c
                });
            prop_assert_eq!(a, b, "{}", m);
        }
    }

    #[test]
    fn renumbering_candidates_without_ties_moves_the_winners(e in elections(6), perm_seed: u64) {
        // Candidate c becomes candidate pi[c]. Without tie-breaks, the winners follow.
        let n = e.candidates.len();
        let pi = christen::tally::lot::lot_order(perm_seed, n);
        let mut moved = e.clone();
        for b in &mut moved.ballots {
            for slot in &mut b.ranks {
                for c in slot.iter_mut() {
                    *c = pi[*c as usize];
                }
            }
        }
        for m in Method::ALL {
            let r = run(&e, m, &opts(1, 0));
            if r.tie_breaks.is_empty() {
                let s = run(&moved, m, &opts(1, 0));
                let expected: Vec<CandidateIdx> = r.winners.iter().map(|&w| pi[w as usize]).collect();
                prop_assert_eq!(s.winners, expected, "{}", m);
            }
        }
    }

    #[test]
    fn first_preference_majority_wins_irv(e in elections(6), seed: u64) {
        let total: u64 = e.ballots.iter().map(|b| b.count).sum();
        let mut first = vec![0u64; e.candidates.len()];
        for b in &e.ballots {
            first[b.ranks[0][0] as usize] += b.count;
        }
        if let Some(w) = (0..first.len()).find(|&c| 2 * first[c] > total) {
            prop_assert_eq!(run(&e, Method::Irv, &opts(1, seed)).winners, vec![w as CandidateIdx]);
            prop_assert_eq!(run(&e, Method::Stv, &opts(1, seed)).winners, vec![w as CandidateIdx]);
        }
    }

    #[test]
    fn stv_with_one_seat_is_irv(e in elections_with_ties(6), seed: u64) {
        let o = opts(1, seed);
        prop_assert_eq!(run(&e, Method::Stv, &o).winners, run(&e, Method::Irv, &o).winners);
    }

    #[test]
    fn irv_on_two_candidates_is_plurality(e in elections_with_ties(2), seed: u64) {
        let o = opts(1, seed);
        prop_assert_eq!(run(&e, Method::Irv, &o).winners, run(&e, Method::Plurality, &o).winners);
    }

    #[test]
    fn stv_conserves_votes_and_fills_seats(e in elections_with_ties(7), seats in 1u32..4, seed: u64) {
        let r = run(&e, Method::Stv, &opts(seats, seed));
        let first = &r.rounds[0];
        let valid = first.counts.iter().map(|t| t.votes.units()).sum::<u128>() + first.inactive.total().units();
        for round in &r.rounds {
            let held: u128 = round.counts.iter().map(|t| t.votes.units()).sum();
            prop_assert_eq!(held + round.inactive.total().units() + round.lost_to_rounding.units(), valid);
        }
        let any_vote = first.counts.iter().any(|t| t.votes > Votes::ZERO);
        if any_vote {
            prop_assert_eq!(r.winners.len(), (seats as usize).min(e.candidates.len()));
        }
        let mut w = r.winners.clone();
        w.sort_unstable();
        w.dedup();
        prop_assert_eq!(w.len(), r.winners.len());
    }

    #[test]
    fn same_seed_same_report(e in elections_with_ties(6), seed: u64) {
        for m in Method::ALL {
            prop_assert_eq!(run(&e, m, &opts(2, seed)), run(&e, m, &opts(2, seed)));
        }
    }
}
