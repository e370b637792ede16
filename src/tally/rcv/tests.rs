//! Tests of the engine under RCTab's rules and the Java pieces they rest on.

use super::ties::{java_hash_set_order, java_string_hash};
use super::*;
use crate::tally::report::{DecidedBy, TransferKind};
use crate::tally::types::Ballot;
use crate::tally::types::CandidateIdx;

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
    assert_eq!(count.tie_breaks[0].decided_by, DecidedBy::Random);

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
    assert_eq!(pairs(last), vec![(0, 60_000), (1, 30_000)]);
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
    assert_eq!(count.rounds[0].inactive.skipped_rankings, 10_000);
    let lenient = RcvRules {
        max_skipped_ranks: Some(1),
        ..RcvRules::default()
    };
    let count = count_rcv(&e, 1, &lenient).unwrap();
    assert_eq!(count.rounds[0].inactive.skipped_rankings, 0);
    assert_eq!(pairs(&count.rounds[0]), vec![(0, 10_000), (1, 20_000)]);
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
    assert_eq!(c.rounds[0].inactive.overvotes, 10_000);
    let c = count_rcv(&e, 1, &r(OvervoteRule::AlwaysSkipToNextRank)).unwrap();
    assert_eq!(pairs(&c.rounds[0])[2], (2, 30_000));
    let c = count_rcv(&e, 1, &r(OvervoteRule::ExhaustIfMultipleContinuing)).unwrap();
    assert_eq!(c.rounds[0].inactive.overvotes, 10_000);
}

/// The API's `Rules` keep their JSON names while holding the engine's types.
#[test]
fn api_rules_keep_their_json_names() {
    use crate::tally::Rules;
    let json = serde_json::to_value(Rules::default()).unwrap();
    assert_eq!(
        json,
        serde_json::json!({"overvote": "exhaust_immediately", "skipped_ranks": "skip",
                           "quota": "droop", "decimals": 5})
    );
    let back: Rules = serde_json::from_value(json).unwrap();
    assert_eq!(back, Rules::default());
    assert_eq!(back.overvote, OvervoteRule::ExhaustIfMultipleContinuing);
    let other: Rules = serde_json::from_value(serde_json::json!({
        "overvote": "exhaust_at_any_overvote", "skipped_ranks": 1, "quota": "hare_whole"
    }))
    .unwrap();
    assert_eq!(other.overvote, OvervoteRule::ExhaustImmediately);
    assert_eq!(other.skipped_ranks, Some(1));
    assert_eq!(other.quota, ThresholdRule::HareWhole);
    assert_eq!(
        serde_json::to_value(&other).unwrap()["skipped_ranks"],
        serde_json::json!(1)
    );
    assert!(serde_json::from_value::<Rules>(serde_json::json!({"overvote": "nope"})).is_err());
    assert!(serde_json::from_value::<Rules>(serde_json::json!({"skipped_ranks": "x"})).is_err());
}

/// Two tied candidates left: RCTab elects one by the tie-break in that round;
/// the API's IRV eliminates one, and the other wins the next round.
#[test]
fn two_left_tie_elects_or_eliminates() {
    let e = election(&[(&[&[0]], 2), (&[&[1]], 2)], 2);
    let rctab = RcvRules {
        tie_break: TieBreakMode::CandidateOrder,
        ..RcvRules::default()
    };
    let count = count_rcv(&e, 1, &rctab).unwrap();
    assert_eq!(count.rounds.len(), 1);
    assert_eq!(count.rounds[0].elected, vec![0]);
    let api = RcvRules {
        two_left_tie_elects: false,
        ..rctab
    };
    let count = count_rcv(&e, 1, &api).unwrap();
    assert_eq!(count.rounds.len(), 2);
    assert_eq!(count.rounds[0].eliminated, vec![1]);
    assert_eq!(count.rounds[1].elected, vec![0]);
}

/// Scottish stages move one surplus at a time at value × surplus ÷ votes, the
/// candidate keeping the quota; RCTab's rules for its rounds are refused.
#[test]
fn one_at_a_time_surpluses_and_refused_rules() {
    // 2 seats, 9 ballots: quota 4. A has 6 (surplus 2, to B and C alike).
    let e = election(
        &[
            (&[&[0], &[1]], 3),
            (&[&[0], &[2]], 3),
            (&[&[1]], 2),
            (&[&[2]], 1),
        ],
        3,
    );
    let rules = RcvRules {
        surplus: SurplusRule::OneAtATime,
        decimals: 5,
        ..RcvRules::default()
    };
    let count = count_rcv(&e, 2, &rules).unwrap();
    let one = 100_000;
    assert_eq!(count.rounds[0].threshold, 4 * one);
    assert_eq!(count.rounds[0].elected, vec![0]);
    let t = count.rounds[0].transfer.as_ref().unwrap();
    assert_eq!(t.kind, TransferKind::Surplus);
    assert_eq!((t.surplus, t.transfer_value), (Some(2 * one), Some(33_333)));
    // Each of A's six ballots moves at 1 × 2 ÷ 6, truncated: 0.33333.
    let to: Vec<(CandidateIdx, u128)> = t.to.iter().map(|x| (x.candidate, x.votes)).collect();
    assert_eq!(to, vec![(1, 99_999), (2, 99_999)]);
    assert_eq!((t.exhausted, t.lost_to_rounding), (0, 2));
    assert!(count.rounds[0].further_transfers.is_empty());
    assert_eq!(pairs(&count.rounds[1])[0], (0, 4 * one));
    let refused = RcvRules {
        batch_elimination: true,
        ..rules
    };
    assert_eq!(
        count_rcv(&e, 2, &refused).unwrap_err(),
        RcvError::NotWithSurplusOneAtATime {
            rule: "batch_elimination"
        }
    );
}

/// An explicit overvote (candidate 3 here, RCTab's `overvoteLabel`) is an
/// overvote at its rank, never a candidate (`Tabulator.getOvervoteDecision`).
#[test]
fn an_explicit_overvote_is_an_overvote_not_a_candidate() {
    let e = election(
        &[
            (&[&[3], &[0]], 2),
            (&[&[1]], 2),
            (&[&[0]], 1),
            (&[&[2]], 1),
            (&[&[3]], 1),
        ],
        4,
    );
    let exhaust = RcvRules {
        explicit_overvote: Some(3),
        ..RcvRules::default()
    };
    let count = count_rcv(&e, 1, &exhaust).unwrap();
    let round1 = &count.rounds[0];
    assert!(round1.votes_of(&3).is_none());
    assert_eq!(round1.votes_of(&0), Some(10_000));
    assert_eq!(round1.inactive.overvotes, 30_000);
    assert!(count.rounds.iter().all(|r| !r.eliminated.contains(&3)));

    let skip = RcvRules {
        overvote: OvervoteRule::AlwaysSkipToNextRank,
        ..exhaust.clone()
    };
    let round1 = &count_rcv(&e, 1, &skip).unwrap().rounds[0];
    assert_eq!(round1.votes_of(&0), Some(30_000));
    assert_eq!(round1.inactive.overvotes, 0);
    assert_eq!(round1.inactive.exhausted_choices, 10_000);

    let multiple = RcvRules {
        overvote: OvervoteRule::ExhaustIfMultipleContinuing,
        ..exhaust.clone()
    };
    assert!(matches!(
        count_rcv(&e, 1, &multiple),
        Err(RcvError::ExplicitOvervoteRule)
    ));
    let shared = election(&[(&[&[3, 0]], 1), (&[&[1]], 1)], 4);
    assert!(matches!(
        count_rcv(&shared, 1, &exhaust),
        Err(RcvError::ExplicitOvervoteWithCandidates)
    ));
}

/// `ballots::scan` resumed past the current recipient's mark answers as a
/// read from the first mark does, for every rule that allows resuming, as
/// candidates stop continuing one by one (20,000 generated ballots).
#[test]
fn a_resumed_scan_answers_as_a_scan_from_the_first_mark() {
    use super::ballots::{load_groups, scan};
    use crate::tally::lot::SplitMix64;
    let mut rng = SplitMix64::new(2026);
    let mut pick = |n: u32| (rng.next_u64() % u64::from(n)) as u32;
    for _ in 0..20_000 {
        let n = 2 + pick(5) as usize;
        let ranks: Vec<Vec<CandidateIdx>> = (0..pick(7))
            .map(|_| (0..pick(3)).map(|_| pick(n as u32)).collect::<Vec<_>>())
            .map(|mut slot| {
                slot.dedup();
                slot
            })
            .collect();
        let e = Election {
            candidates: (0..n).map(|i| format!("C{i}")).collect(),
            withdrawn: Vec::new(),
            ballots: vec![Ballot { ranks, count: 1 }],
        };
        let rules = RcvRules {
            overvote: [
                OvervoteRule::ExhaustImmediately,
                OvervoteRule::AlwaysSkipToNextRank,
                OvervoteRule::ExhaustIfMultipleContinuing,
            ][pick(3) as usize],
            max_skipped_ranks: [None, Some(0), Some(1)][pick(3) as usize],
            duplicates: DuplicateRule::Skip,
            ..RcvRules::default()
        };
        let Ok((mut groups, marks)) = load_groups(&e, &rules, 1) else {
            continue;
        };
        let group = &mut groups[0];
        let mut continuing = vec![true; n];
        loop {
            let resumed = scan(group, &marks, &rules, &continuing, false);
            let mut fresh = group.clone();
            fresh.resume = (0, 0);
            let from_start = scan(&fresh, &marks, &rules, &continuing, false);
            match (&resumed, &from_start) {
                (Ok(a), Ok(b)) => {
                    assert_eq!((a.candidate, a.resume), (b.candidate, b.resume), "{e:?}")
                }
                (Err(a), Err(b)) => assert_eq!(a, b, "{e:?}"),
                _ => panic!("{e:?}: resumed and fresh reads differ"),
            }
            let Ok(found) = resumed else { break };
            group.resume = found.resume;
            // The recipient stops continuing, and sometimes someone else too.
            continuing[found.candidate as usize] = false;
            continuing[pick(n as u32) as usize] = false;
        }
    }
}
