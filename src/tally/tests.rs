//! Worked examples with published results. Each test cites its source.

use super::*;

/// Builds an election from lines like `"A > B = C > D * 3"` (`>` between ranks,
/// `=` inside a rank, `* n` a count; unlisted candidates are unranked).
fn profile(candidates: &[&str], lines: &[&str]) -> Election {
    let idx = |name: &str| {
        candidates
            .iter()
            .position(|c| *c == name.trim())
            .unwrap_or_else(|| panic!("unknown {name}")) as CandidateIdx
    };
    let ballots = lines
        .iter()
        .map(|line| {
            let (ranking, count) = match line.split_once('*') {
                Some((r, n)) => (r, n.trim().parse().unwrap()),
                None => (*line, 1),
            };
            let ranks = ranking
                .split('>')
                .map(|slot| {
                    slot.split('=')
                        .filter(|s| !s.trim().is_empty())
                        .map(idx)
                        .collect()
                })
                .collect();
            Ballot { ranks, count }
        })
        .collect();
    Election {
        candidates: candidates.iter().map(|s| s.to_string()).collect(),
        withdrawn: vec![],
        ballots,
    }
}

fn names(e: &Election, cs: &[CandidateIdx]) -> Vec<String> {
    cs.iter()
        .map(|&c| e.candidates[c as usize].clone())
        .collect()
}

fn run(e: &Election, method: Method, seats: u32) -> Report<CandidateIdx> {
    count(
        e,
        method,
        &Options {
            seats,
            ..Options::default()
        },
    )
    .unwrap()
}

fn winners(e: &Election, method: Method, seats: u32) -> Vec<String> {
    names(e, &run(e, method, seats).winners)
}

fn ranking(e: &Election, method: Method) -> Vec<Vec<String>> {
    run(e, method, 1)
        .ranking
        .iter()
        .map(|g| names(e, g))
        .collect()
}

fn v(n: u64) -> Votes {
    Votes::whole(n)
}

/// Wikipedia, "Tennessee's four cities" example used in the articles on
/// Plurality, Instant-runoff voting, Borda count, Copeland's method, the Schulze
/// method and Ranked pairs (percentages of voters as ballot counts).
fn tennessee() -> Election {
    profile(
        &["Memphis", "Nashville", "Chattanooga", "Knoxville"],
        &[
            "Memphis > Nashville > Chattanooga > Knoxville * 42",
            "Nashville > Chattanooga > Knoxville > Memphis * 26",
            "Chattanooga > Knoxville > Nashville > Memphis * 15",
            "Knoxville > Chattanooga > Nashville > Memphis * 17",
        ],
    )
}

#[test]
fn tennessee_plurality_elects_memphis() {
    let e = tennessee();
    let r = run(&e, Method::Plurality, 1);
    assert_eq!(names(&e, &r.winners), ["Memphis"]);
    let scores: Vec<Votes> = r.scores.iter().map(|s| s.score).collect();
    assert_eq!(scores, [v(42), v(26), v(15), v(17)]);
    assert_eq!(r.condorcet_winner, Some(1));
}

#[test]
fn tennessee_irv_elects_knoxville() {
    // Wikipedia IRV article: Chattanooga out first (15), then Nashville (26);
    // Knoxville wins 58 to 42.
    let e = tennessee();
    let r = run(&e, Method::Irv, 1);
    assert_eq!(names(&e, &r.winners), ["Knoxville"]);
    assert_eq!(r.rounds.len(), 3);
    let counts = |i: usize| -> Vec<Votes> { r.rounds[i].counts.iter().map(|t| t.votes).collect() };
    assert_eq!(counts(0), [v(42), v(26), v(15), v(17)]);
    assert_eq!(names(&e, &r.rounds[0].eliminated), ["Chattanooga"]);
    assert_eq!(counts(1), [v(42), v(26), v(32)]);
    assert_eq!(names(&e, &r.rounds[1].eliminated), ["Nashville"]);
    assert_eq!(counts(2), [v(42), v(58)]);
    assert_eq!(r.rounds[2].threshold, v(51));
    assert_eq!(
        ranking(&e, Method::Irv),
        [["Knoxville"], ["Memphis"], ["Nashville"], ["Chattanooga"]]
    );
    assert!(r.tie_breaks.is_empty());
}

#[test]
fn tennessee_stv_one_seat_is_irv() {
    let e = tennessee();
    assert_eq!(winners(&e, Method::Stv, 1), ["Knoxville"]);
}

#[test]
fn tennessee_condorcet_methods_elect_nashville() {
    // Wikipedia (Schulze method, Ranked pairs, Copeland's method): Nashville beats
    // every other city; full order Nashville > Chattanooga > Knoxville > Memphis.
    let e = tennessee();
    let order = [["Nashville"], ["Chattanooga"], ["Knoxville"], ["Memphis"]];
    for m in [Method::Schulze, Method::RankedPairs, Method::Copeland] {
        assert_eq!(ranking(&e, m), order, "{m}");
        assert_eq!(winners(&e, m, 1), ["Nashville"], "{m}");
    }
    let r = run(&e, Method::Copeland, 1);
    let scores: Vec<Votes> = r.scores.iter().map(|s| s.score).collect();
    assert_eq!(scores, [v(0), v(3), v(2), v(1)]);
    let p = r.pairwise.unwrap();
    assert_eq!(p[1][0], 58); // Nashville over Memphis
    assert_eq!(p[0][1], 42);
    assert_eq!(p[2][3], 83); // Chattanooga over Knoxville
}

#[test]
fn tennessee_borda_points() {
    // Wikipedia, Borda count: Nashville 194, Chattanooga 173, Memphis 126, Knoxville 107.
    let e = tennessee();
    let r = run(&e, Method::Borda, 1);
    let scores: Vec<Votes> = r.scores.iter().map(|s| s.score).collect();
    assert_eq!(scores, [v(126), v(194), v(173), v(107)]);
    assert_eq!(names(&e, &r.winners), ["Nashville"]);
    assert_eq!(
        ranking(&e, Method::Borda),
        [["Nashville"], ["Chattanooga"], ["Memphis"], ["Knoxville"]]
    );
}

/// Wikipedia, "Schulze method" example (45 voters, 5 candidates); the same
/// profile is the French Wikipedia Ranked Pairs example.
fn schulze_wikipedia() -> Election {
    profile(
        &["A", "B", "C", "D", "E"],
        &[
            "A > C > B > E > D * 5",
            "A > D > E > C > B * 5",
            "B > E > D > A > C * 8",
            "C > A > B > E > D * 3",
            "C > A > E > B > D * 7",
            "C > B > A > D > E * 2",
            "D > C > E > B > A * 7",
            "E > B > A > D > C * 8",
        ],
    )
}

#[test]
fn schulze_wikipedia_example() {
    // Order E > A > C > B > D; the strongest paths table from the article.
    let e = schulze_wikipedia();
    let r = run(&e, Method::Schulze, 1);
    assert_eq!(names(&e, &r.winners), ["E"]);
    assert_eq!(
        ranking(&e, Method::Schulze),
        [["E"], ["A"], ["C"], ["B"], ["D"]]
    );
    let p = r.strongest_paths.unwrap();
    assert_eq!(
        p,
        [
            [0, 28, 28, 30, 24],
            [25, 0, 28, 33, 24],
            [25, 29, 0, 29, 24],
            [25, 28, 28, 0, 24],
            [25, 28, 28, 31, 0],
        ]
    );
    assert_eq!(r.condorcet_winner, None);
}

#[test]
fn ranked_pairs_french_wikipedia_example() {
    // fr.wikipedia "Méthode Condorcet avec rangement des paires par ordre
    // décroissant" (via Condorcet PHP RankedPairsTest "result 1"): winner A.
    let e = schulze_wikipedia();
    assert_eq!(winners(&e, Method::RankedPairs, 1), ["A"]);
}

#[test]
fn ranked_pairs_and_copeland_legrand_example() {
    // R. LeGrand, "Descriptions of ranked-ballot voting methods"
    // (cs.wustl.edu/~legrand/rbvote/desc.html), 5 candidates, 921 voters:
    // Ranked Pairs elects Brad; Copeland ties Abby and Brad, then Dave and
    // Erin, then Cora.
    let e = profile(
        &["Abby", "Brad", "Cora", "Dave", "Erin"],
        &[
            "Abby>Cora>Erin>Dave>Brad * 98",
            "Brad>Abby>Erin>Cora>Dave * 64",
            "Brad>Abby>Erin>Dave>Cora * 12",
            "Brad>Erin>Abby>Cora>Dave * 98",
            "Brad>Erin>Abby>Dave>Cora * 13",
            "Brad>Erin>Dave>Abby>Cora * 125",
            "Cora>Abby>Erin>Dave>Brad * 124",
            "Cora>Erin>Abby>Dave>Brad * 76",
            "Dave>Abby>Brad>Erin>Cora * 21",
            "Dave>Brad>Abby>Erin>Cora * 30",
            "Dave>Brad>Erin>Cora>Abby * 98",
            "Dave>Cora>Abby>Brad>Erin * 139",
            "Dave>Cora>Brad>Abby>Erin * 23",
        ],
    );
    assert_eq!(winners(&e, Method::RankedPairs, 1), ["Brad"]);
    let r = run(&e, Method::Copeland, 1);
    let top: Vec<Vec<String>> = r
        .ranking
        .iter()
        .map(|g| {
            let mut n = names(&e, g);
            n.sort();
            n
        })
        .collect();
    assert_eq!(
        top,
        [vec!["Abby", "Brad"], vec!["Dave", "Erin"], vec!["Cora"]]
    );
    // The Abby/Brad tie was broken by the lot and logged.
    assert_eq!(r.tie_breaks.len(), 1);
    assert_eq!(r.tie_breaks[0].purpose, TiePurpose::Winners);
    assert_eq!(r.tie_breaks[0].decided_by, DecidedBy::Lot);
    assert_eq!(r.winners, [r.tie_breaks[0].order[0]]);
}

#[test]
fn ranked_pairs_ericgorr_examples() {
    // E. Gorr, ericgorr.net/condorcet/rankedpairs/example1, example2 (a cycle:
    // B>C 75, A>B 65 locked, C>A 60 not), example4.
    let e = profile(
        &["A", "B", "C"],
        &[
            "A > B > C * 7",
            "B > A > C * 5",
            "C > A > B * 4",
            "B > C > A * 2",
        ],
    );
    assert_eq!(winners(&e, Method::RankedPairs, 1), ["A"]);
    let e = profile(
        &["A", "B", "C"],
        &["A > B > C * 40", "B > C > A * 35", "C > A > B * 25"],
    );
    assert_eq!(winners(&e, Method::RankedPairs, 1), ["A"]);
    let e = profile(
        &["A", "B", "C", "D"],
        &[
            "A>D>C>B*12",
            "B>A>C>D*3",
            "B>C>A>D*25",
            "C>B>A>D*21",
            "D>A>B>C*12",
            "D>A>C>B*21",
            "D>B>A>C*6",
        ],
    );
    // Pairs: A>D 22, B>A 10, then A>C 8 and C>B 8 tie; locking either first
    // blocks the other. Gorr's page locks A>C and elects B. Here equal margins
    // follow the lot: the pair whose winner (A or C) comes first in the lot goes
    // first, and the tie-break is logged.
    let r = run(&e, Method::RankedPairs, 1);
    let lot = lot::lot_order(0, 4);
    let a_first = lot.iter().position(|&c| c == 0) < lot.iter().position(|&c| c == 2);
    assert_eq!(names(&e, &r.winners), [if a_first { "B" } else { "C" }]);
    assert_eq!(r.tie_breaks.len(), 1);
    assert_eq!(r.tie_breaks[0].purpose, TiePurpose::PairOrder);
    let locked: Vec<bool> = r.pairs.iter().map(|p| p.locked).collect();
    assert_eq!(locked, [true, true, true, false, false, false]);
    // With a seed whose lot puts A before C, B wins as on Gorr's page.
    let seed = (0..).find(|&s| {
        let l = lot::lot_order(s, 4);
        l.iter().position(|&c| c == 0) < l.iter().position(|&c| c == 2)
    });
    let opts = Options {
        seed: seed.unwrap(),
        ..Options::default()
    };
    assert_eq!(count(&e, Method::RankedPairs, &opts).unwrap().winners, [1]);
}

#[test]
fn stv_wikipedia_food_example() {
    // en.wikipedia "Single transferable vote", the food example: 20 voters,
    // 3 seats, Droop quota 6. Chocolate (12) elected, surplus 6 at transfer value
    // 0.5: Strawberry +4, Hamburger +2; Pear out, Orange reaches 6; Hamburger out;
    // Strawberry takes the last seat.
    let e = profile(
        &["Orange", "Pear", "Chocolate", "Strawberry", "Hamburger"],
        &[
            "Orange * 4",
            "Pear > Orange * 2",
            "Chocolate > Strawberry * 8",
            "Chocolate > Hamburger * 4",
            "Strawberry",
            "Hamburger",
        ],
    );
    let r = run(&e, Method::Stv, 3);
    assert_eq!(names(&e, &r.winners), ["Chocolate", "Orange", "Strawberry"]);
    assert_eq!(r.quota, Some(v(6)));
    let t = r.rounds[0].transfer.as_ref().unwrap();
    assert_eq!(t.kind, TransferKind::Surplus);
    assert_eq!(t.transfer_value, Some(Votes::halves(1)));
    let to: Vec<(String, Votes)> =
        t.to.iter()
            .map(|x| (e.candidates[x.candidate as usize].clone(), x.votes))
            .collect();
    assert_eq!(
        to,
        [
            ("Strawberry".to_string(), v(4)),
            ("Hamburger".to_string(), v(2))
        ]
    );
    assert_eq!(names(&e, &r.rounds[1].eliminated), ["Pear"]);
    assert_eq!(names(&e, &r.rounds[2].elected), ["Orange"]);
}

#[test]
fn stv_italian_wikipedia_example_with_fractions() {
    // it.wikipedia "Voto singolo trasferibile": 100 votes, 3 seats, quota 26;
    // elected A, D, C. D's surplus of 8 moves at 8/34 = 0.23529 (truncated to 5
    // places), so B gets 20 × 0.23529 = 4.7058 and fractions are lost.
    let e = profile(
        &["D", "B", "C", "A"],
        &["A>D * 40", "B>A * 10", "B>C * 5", "C>B * 25", "D>B * 20"],
    );
    let r = run(&e, Method::Stv, 3);
    assert_eq!(names(&e, &r.winners), ["A", "D", "C"]);
    assert_eq!(r.quota, Some(v(26)));
    let second = r.rounds[1].transfer.as_ref().unwrap();
    assert_eq!(second.transfer_value.unwrap().to_string(), "0.23529");
    assert_eq!(second.to[0].votes.to_string(), "4.7058");
    // The 40 A>D ballots arrived at 0.35 and leave at 0.35 × 8/34 = 0.08235.
    assert_eq!(second.exhausted.to_string(), "3.294");
    assert!(r.rounds[2].lost_to_rounding > Votes::ZERO);
}

#[test]
fn irv_wikipedia_small_example() {
    // en.wikipedia "Instant-runoff voting" (via Condorcet PHP
    // InstantRunoffTest "result 2"): bob out first... ranking sue, bob, bill.
    let e = profile(
        &["bob", "sue", "bill"],
        &[
            "bob > bill > sue",
            "sue > bob > bill",
            "bill > sue > bob",
            "bob > bill > sue",
            "sue > bob > bill",
        ],
    );
    assert_eq!(ranking(&e, Method::Irv), [["sue"], ["bob"], ["bill"]]);
}

#[test]
fn irv_overvote_exhausts_and_is_reported() {
    let e = profile(
        &["A", "B", "C"],
        &["A = B > C * 3", "A * 4", "B * 2", "C > B * 2"],
    );
    let r = run(&e, Method::Irv, 1);
    assert_eq!(r.rounds[0].inactive.overvotes, v(3));
    // Round 1: A 4, B 2, C 2 of 8 continuing; C and B tie for last, decided by lot.
    assert_eq!(r.rounds[0].continuing_votes, v(8));
    assert_eq!(r.tie_breaks.len(), 1);
    assert_eq!(r.tie_breaks[0].purpose, TiePurpose::Eliminate);
}

#[test]
fn irv_tie_broken_by_earlier_round() {
    // Round 1: A 5, B 4, C 3, D 2, E 1 … E out; then D and C tie at 3? Build:
    // round 1 C 3, D 2, E 1 → E goes to D: D 3 = C 3 in round 2; round 1 had
    // C ahead of D, so D is eliminated.
    let e = profile(
        &["A", "B", "C", "D", "E"],
        &["A * 6", "B * 5", "C * 3", "D * 2", "E > D"],
    );
    let r = run(&e, Method::Irv, 1);
    assert_eq!(names(&e, &r.rounds[1].eliminated), ["D"]);
    assert_eq!(
        r.tie_breaks[0].decided_by,
        DecidedBy::EarlierRound { round: 1 }
    );
}

#[test]
fn no_ballots_no_winner() {
    let e = profile(&["A", "B"], &[]);
    for m in Method::ALL {
        let r = run(&e, m, 1);
        assert!(r.winners.is_empty(), "{m}");
        assert_eq!(r.ranking, [vec![0, 1]]);
    }
}

#[test]
fn bad_input_is_an_error_not_a_panic() {
    let mut e = profile(&["A", "B"], &["A > B"]);
    e.ballots.push(Ballot::strict(&[0, 7], 1));
    assert!(matches!(
        count(&e, Method::Irv, &Options::default()),
        Err(TallyError::UnknownCandidate {
            ballot: 1,
            candidate: 7
        })
    ));
    e.ballots[1] = Ballot::strict(&[1, 1], 1);
    assert!(matches!(
        count(&e, Method::Schulze, &Options::default()),
        Err(TallyError::DuplicateCandidate {
            ballot: 1,
            candidate: 1
        })
    ));
    e.ballots.pop();
    let opts = Options {
        seats: 0,
        ..Options::default()
    };
    assert_eq!(count(&e, Method::Irv, &opts), Err(TallyError::NoSeats));
    e.ballots.push(Ballot::strict(&[0], u64::MAX));
    assert_eq!(
        count(&e, Method::Irv, &Options::default()),
        Err(TallyError::TooManyBallots)
    );
}

#[test]
fn withdrawn_candidates_are_skipped() {
    // BLT-style withdrawal: B is withdrawn, so B > C ballots count for C.
    let mut e = profile(&["A", "B", "C"], &["A * 3", "B > C * 4"]);
    e.withdrawn = vec![1];
    let r = run(&e, Method::Irv, 1);
    assert_eq!(names(&e, &r.winners), ["C"]);
    assert_eq!(r.withdrawn, [1]);
    assert!(r.ranking.iter().all(|g| !g.contains(&1)));
}

#[test]
fn borda_ties_share_points() {
    // 3 candidates: "A = B > C" gives A and B (2 + 1) / 2 = 1.5 each.
    let e = profile(&["A", "B", "C"], &["A = B > C"]);
    let r = run(&e, Method::Borda, 1);
    let s: Vec<String> = r.scores.iter().map(|s| s.score.to_string()).collect();
    assert_eq!(s, ["1.5", "1.5", "0"]);
}

#[test]
fn method_names_round_trip() {
    for m in Method::ALL {
        assert_eq!(m.to_string().parse::<Method>().unwrap(), m);
        assert_eq!(serde_json::to_string(&m).unwrap(), format!("\"{m}\""));
    }
    assert_eq!(
        "ranked-pairs".parse::<Method>().unwrap(),
        Method::RankedPairs
    );
    assert!("meek".parse::<Method>().is_err());
}

#[test]
fn report_json_shape_with_refs() {
    let e = tennessee();
    let r = run(&e, Method::Irv, 1).with_refs(&e.candidates, |c| c + 1);
    let j = serde_json::to_value(&r).unwrap();
    assert_eq!(j["method"], "irv");
    assert_eq!(j["winners"][0]["id"], 4);
    assert_eq!(j["winners"][0]["name"], "Knoxville");
    assert_eq!(
        j["rounds"][0]["counts"][0],
        serde_json::json!({"id": 1, "name": "Memphis", "votes": 42})
    );
    assert_eq!(j["condorcet_winner"]["name"], "Nashville");
    assert_eq!(j["seed"], "0");
    let back: Report<CandidateRef<u32>> = serde_json::from_value(j).unwrap();
    assert_eq!(back, r);
}
