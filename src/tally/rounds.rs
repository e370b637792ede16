//! Round-based methods: plurality, IRV and STV.
//!
//! All three walk each ballot group down its ranks. A group's vote sits with the
//! candidate at its *highest continuing rank* (the first rank holding a
//! continuing candidate; empty ranks and ranks whose candidates are all out are
//! passed over). If that rank holds several continuing candidates (a tie, i.e.
//! an overvote), the ballot becomes inactive there (`overvotes`). If no rank is
//! left, it becomes inactive as `exhausted_choices`. A ballot stays with its
//! candidate until that candidate is eliminated or elected with a surplus; only
//! then does it move on, and an inactive ballot never comes back.
//!
//! **IRV** (docs/ARCHITECTURE.md): each round, a candidate with more than half the votes
//! held by continuing candidates wins (so does the last one left); otherwise the
//! candidate with the fewest votes is eliminated and its ballots move on.
//!
//! **STV** — weighted inclusive Gregory, as in the Scottish Local Government
//! Elections Order 2007:
//! - quota (Droop) = `floor(V / (seats + 1)) + 1`, V = ballots with a first
//!   preference in round 1;
//! - each stage, every continuing candidate with at least the quota is elected
//!   (most votes first);
//! - then, if an elected candidate's surplus is untransferred, the largest one is
//!   transferred: *every* ballot the candidate holds moves to its next continuing
//!   preference at value `v × surplus ÷ votes` (v its current value), truncated
//!   to `rules.decimals` places (5), and the candidate keeps exactly the quota;
//!   the truncated fractions are reported as `lost_to_rounding`;
//! - otherwise the continuing candidate with the fewest votes is excluded and its
//!   ballots move on at their current values;
//! - the count ends when all seats are filled, or when the continuing candidates
//!   are no more than the seats left (they are then elected, most votes first).
//!
//! Ties for elimination, order of election and order of surpluses are broken by
//! earlier rounds, then by the lot ([`super::lot`]).

use super::flat::TIED;
use super::lot::Ties;
use super::prepared::{group_by_score, take_winners, Outcome, Prepared};
use super::report::{Inactive, Round, Score, Tally, TiePurpose, Transfer, TransferKind};
use super::rules::{Options, OvervoteRule, Rules};
use super::types::CandidateIdx;
use super::votes::{Votes, VOTE_DECIMALS, VOTE_SCALE};

/// Where a ballot's vote goes next.
enum Next {
    /// To this candidate, found at this rank index.
    To(CandidateIdx, usize),
    /// Nowhere: the ballot is inactive for this reason.
    Inactive(Reason),
}

#[derive(Clone, Copy)]
enum Reason {
    Overvote,
    Exhausted,
}

/// Finds the ballot's highest rank at item index `from` or later (the first
/// item of a rank, or the end) holding a continuing candidate (module docs).
/// `items` are [`super::flat::Flat`]'s, up to the end of the group's.
fn next_preference(items: &[u32], from: usize, continuing: &[bool], rules: &Rules) -> Next {
    let mut i = from;
    while i < items.len() {
        let first = i;
        let mut found = None;
        let mut several = false;
        loop {
            let c = items[i] & !TIED;
            if continuing[c as usize] {
                several |= found.is_some();
                found = Some(c);
            }
            i += 1;
            if i == items.len() || items[i] & TIED == 0 {
                break;
            }
        }
        match (found, several) {
            (None, _) => continue,
            (Some(c), false) => return Next::To(c, first),
            (Some(_), true) => match rules.overvote {
                OvervoteRule::ExhaustImmediately => return Next::Inactive(Reason::Overvote),
            },
        }
    }
    Next::Inactive(Reason::Exhausted)
}

/// The first item of the rank after the one starting at item `pos`.
fn next_rank(items: &[u32], pos: usize) -> usize {
    let mut i = pos + 1;
    while i < items.len() && items[i] & TIED != 0 {
        i += 1;
    }
    i
}

/// A ballot group held by a candidate: what a transfer reads, in one place.
#[derive(Clone, Copy, Default)]
struct Held {
    /// Index in [`super::flat::Flat::all_items`] of the first item of the rank holding it.
    at: usize,
    /// End of the group's items.
    end: usize,
    count: u64,
    /// Value of each of its ballots.
    value: u64,
}

/// Ballot piles during a count. Values are in [`Votes`] units (billionths).
///
/// Each candidate's pile lists the groups it holds, so a transfer walks only
/// the pile of the candidate eliminated or elected. The groups' state is laid
/// out by first preference: the first piles are contiguous in memory, and the
/// groups a transfer moves sit close together.
struct Piles<'a> {
    items: &'a [u32],
    rules: &'a Rules,
    /// Continuing (hopeful) candidates: may still receive votes.
    continuing: Vec<bool>,
    /// Groups held by some candidate (inactive ones are dropped).
    held: Vec<Held>,
    /// Per candidate: indexes in `held` of the groups it holds.
    piles: Vec<Vec<u32>>,
    /// Per candidate: votes held.
    votes: Vec<u128>,
    overvotes: u128,
    exhausted: u128,
    lost: u128,
}

impl<'a> Piles<'a> {
    /// First preferences.
    fn new(prep: &'a Prepared, rules: &'a Rules) -> Self {
        let continuing: Vec<bool> = prep.withdrawn.iter().map(|w| !w).collect();
        let flat = &prep.flat;
        let items = flat.all_items();
        let mut p = Piles {
            items,
            rules,
            continuing,
            held: Vec::new(),
            piles: vec![Vec::new(); prep.n],
            votes: vec![0; prep.n],
            overvotes: 0,
            exhausted: 0,
            lost: 0,
        };
        // Each group's first preference (candidate, item index), or none.
        const NONE: u32 = u32::MAX;
        let mut first: Vec<(u32, usize)> = Vec::with_capacity(flat.len());
        let mut size = vec![0usize; prep.n];
        for g in 0..flat.len() {
            let (start, end) = flat.range(g);
            let w = flat.count(g) as u128 * VOTE_SCALE;
            match next_preference(&items[..end], start, &p.continuing, rules) {
                Next::To(c, at) => {
                    first.push((c, at));
                    size[c as usize] += 1;
                    p.votes[c as usize] += w;
                }
                Next::Inactive(r) => {
                    first.push((NONE, 0));
                    p.add_inactive(r, w);
                }
            }
        }
        // Candidate c's groups take `held[next[c]..]`, in election order.
        let mut next = Vec::with_capacity(prep.n);
        let mut total = 0usize;
        for (pile, &k) in p.piles.iter_mut().zip(&size) {
            next.push(total);
            *pile = (total as u32..(total + k) as u32).collect();
            total += k;
        }
        p.held = vec![Held::default(); total];
        for (g, &(c, at)) in first.iter().enumerate() {
            if c != NONE {
                let slot = &mut next[c as usize];
                p.held[*slot] = Held {
                    at,
                    end: flat.range(g).1,
                    count: flat.count(g),
                    value: VOTE_SCALE as u64,
                };
                *slot += 1;
            }
        }
        p
    }

    fn add_inactive(&mut self, r: Reason, w: u128) {
        match r {
            Reason::Overvote => self.overvotes += w,
            Reason::Exhausted => self.exhausted += w,
        }
    }

    fn inactive(&self) -> Inactive {
        Inactive {
            overvotes: Votes::from_units(self.overvotes),
            exhausted_choices: Votes::from_units(self.exhausted),
            ..Inactive::default()
        }
    }

    /// Moves every ballot `from` holds to its next continuing preference, each at
    /// the new value `revalue(old value)`. `from` must no longer be continuing.
    /// Returns the votes received per candidate and the votes that went inactive.
    fn transfer(&mut self, from: CandidateIdx, revalue: impl Fn(u64) -> u64) -> (Vec<u128>, u128) {
        let mut received = vec![0u128; self.votes.len()];
        let mut inactive = 0u128;
        let pile = std::mem::take(&mut self.piles[from as usize]);
        for &h in &pile {
            let held = &mut self.held[h as usize];
            let v = revalue(held.value);
            held.value = v;
            let w = held.count as u128 * v as u128;
            let items = &self.items[..held.end];
            let from = next_rank(items, held.at);
            match next_preference(items, from, &self.continuing, self.rules) {
                Next::To(c, at) => {
                    held.at = at;
                    self.piles[c as usize].push(h);
                    self.votes[c as usize] += w;
                    received[c as usize] += w;
                }
                Next::Inactive(r) => {
                    self.add_inactive(r, w);
                    inactive += w;
                }
            }
        }
        (received, inactive)
    }

    fn continuing_list(&self) -> Vec<CandidateIdx> {
        (0..self.votes.len() as CandidateIdx)
            .filter(|&c| self.continuing[c as usize])
            .collect()
    }

    fn tallies(&self, cands: &[CandidateIdx]) -> Vec<Tally<CandidateIdx>> {
        cands
            .iter()
            .map(|&c| Tally {
                candidate: c,
                votes: Votes::from_units(self.votes[c as usize]),
            })
            .collect()
    }

    fn round(&self, round: u32, shown: &[CandidateIdx], threshold: u128) -> Round<CandidateIdx> {
        let continuing: u128 = (0..self.votes.len())
            .filter(|&c| self.continuing[c])
            .map(|c| self.votes[c])
            .sum();
        Round {
            round,
            counts: self.tallies(shown),
            continuing_votes: Votes::from_units(continuing),
            threshold: Votes::from_units(threshold),
            elected: Vec::new(),
            eliminated: Vec::new(),
            inactive: self.inactive(),
            lost_to_rounding: Votes::from_units(self.lost),
            transfer: None,
            further_transfers: Vec::new(),
        }
    }
}

fn received_tallies(received: &[u128]) -> Vec<Tally<CandidateIdx>> {
    received
        .iter()
        .enumerate()
        .filter(|(_, &v)| v > 0)
        .map(|(c, &v)| Tally {
            candidate: c as CandidateIdx,
            votes: Votes::from_units(v),
        })
        .collect()
}

/// The candidates among `cands` with the fewest votes.
fn lowest(cands: &[CandidateIdx], votes: &[u128]) -> Vec<CandidateIdx> {
    let min = cands.iter().map(|&c| votes[c as usize]).min().unwrap_or(0);
    cands
        .iter()
        .copied()
        .filter(|&c| votes[c as usize] == min)
        .collect()
}

/// The lowest candidate to eliminate, tie broken by earlier rounds then the lot.
fn pick_loser(
    cands: &[CandidateIdx],
    votes: &[u128],
    history: &[Vec<u128>],
    round: u32,
    ties: &mut Ties,
) -> CandidateIdx {
    let low = lowest(cands, votes);
    if low.len() == 1 {
        return low[0];
    }
    let order = ties.order(&low, history, TiePurpose::Eliminate, Some(round), true);
    order[order.len() - 1]
}

/// `cands` by votes, most first; equal votes ordered by earlier rounds then lot.
fn order_by_votes(
    cands: &[CandidateIdx],
    votes: &[u128],
    history: &[Vec<u128>],
    round: u32,
    purpose: TiePurpose,
    ties: &mut Ties,
) -> Vec<CandidateIdx> {
    let mut out = Vec::with_capacity(cands.len());
    for group in group_by_score(cands, |c| votes[c as usize]) {
        if group.len() > 1 {
            out.extend(ties.order(&group, history, purpose, Some(round), false));
        } else {
            out.extend(group);
        }
    }
    out
}

/// Plurality: first preferences; the top `seats` win.
pub(crate) fn plurality(prep: &Prepared, options: &Options, ties: &mut Ties) -> Outcome {
    let piles = Piles::new(prep, &options.rules);
    let active = prep.active();
    let mut ranking = group_by_score(&active, |c| piles.votes[c as usize]);
    let winners = take_winners(&mut ranking, options.seats, ties);
    Outcome {
        winners,
        ranking,
        scores: active
            .iter()
            .map(|&c| Score {
                candidate: c,
                score: Votes::from_units(piles.votes[c as usize]),
            })
            .collect(),
        ..Outcome::default()
    }
}

/// Instant-runoff voting (module docs).
pub(crate) fn irv(prep: &Prepared, options: &Options, ties: &mut Ties) -> Outcome {
    let mut p = Piles::new(prep, &options.rules);
    let mut rounds = Vec::new();
    let mut history: Vec<Vec<u128>> = Vec::new();
    let mut eliminated = Vec::new();
    let mut winner = None;
    loop {
        let round_no = rounds.len() as u32 + 1;
        let cont = p.continuing_list();
        let total: u128 = cont.iter().map(|&c| p.votes[c as usize]).sum();
        let threshold = (total / VOTE_SCALE / 2 + 1) * VOTE_SCALE;
        let mut round = p.round(round_no, &cont, threshold);
        if cont.is_empty() {
            rounds.push(round);
            break;
        }
        let leader = cont
            .iter()
            .copied()
            .find(|&c| p.votes[c as usize] >= threshold);
        if let Some(w) = leader.or((cont.len() == 1).then(|| cont[0])) {
            round.elected.push(w);
            winner = Some(w);
            rounds.push(round);
            break;
        }
        let loser = pick_loser(&cont, &p.votes, &history, round_no, ties);
        history.push(p.votes.clone());
        p.continuing[loser as usize] = false;
        let (received, exhausted) = p.transfer(loser, |v| v);
        p.votes[loser as usize] = 0;
        round.eliminated.push(loser);
        round.transfer = Some(Transfer {
            kind: TransferKind::Elimination,
            from: loser,
            surplus: None,
            transfer_value: None,
            to: received_tallies(&received),
            exhausted: Votes::from_units(exhausted),
            lost_to_rounding: Votes::ZERO,
        });
        eliminated.push(loser);
        rounds.push(round);
    }
    let mut ranking: Vec<Vec<CandidateIdx>> = Vec::new();
    if let Some(w) = winner {
        ranking.push(vec![w]);
    }
    let rest: Vec<CandidateIdx> = p
        .continuing_list()
        .into_iter()
        .filter(|&c| Some(c) != winner)
        .collect();
    ranking.extend(group_by_score(&rest, |c| p.votes[c as usize]));
    ranking.extend(eliminated.iter().rev().map(|&c| vec![c]));
    let winners = if options.seats == 1 {
        winner.into_iter().collect()
    } else {
        take_winners(&mut ranking, options.seats, ties)
    };
    Outcome {
        winners,
        ranking,
        rounds,
        ..Outcome::default()
    }
}

/// Single transferable vote, weighted inclusive Gregory (module docs).
pub(crate) fn stv(prep: &Prepared, options: &Options, ties: &mut Ties) -> Outcome {
    let rules = &options.rules;
    let unit = 10u64.pow(VOTE_DECIMALS - rules.decimals.min(VOTE_DECIMALS));
    let mut p = Piles::new(prep, rules);
    let valid = p.votes.iter().sum::<u128>() / VOTE_SCALE;
    let quota = (valid / (options.seats as u128 + 1) + 1) * VOTE_SCALE;
    let seats = (options.seats as usize).min(prep.active().len());
    let mut excluded = vec![false; prep.n];
    let mut elected: Vec<CandidateIdx> = Vec::new();
    let mut pending: Vec<CandidateIdx> = Vec::new();
    let mut excluded_order = Vec::new();
    let mut rounds = Vec::new();
    let mut history: Vec<Vec<u128>> = Vec::new();
    loop {
        let round_no = rounds.len() as u32 + 1;
        let shown: Vec<CandidateIdx> = (0..prep.n as CandidateIdx)
            .filter(|&c| !prep.withdrawn[c as usize] && !excluded[c as usize])
            .collect();
        let mut round = p.round(round_no, &shown, quota);
        let snapshot = p.votes.clone();

        let reached: Vec<CandidateIdx> = p
            .continuing_list()
            .into_iter()
            .filter(|&c| p.votes[c as usize] >= quota)
            .collect();
        for c in order_by_votes(
            &reached,
            &p.votes,
            &history,
            round_no,
            TiePurpose::Elect,
            ties,
        ) {
            p.continuing[c as usize] = false;
            elected.push(c);
            pending.push(c);
            round.elected.push(c);
        }
        if elected.len() >= seats {
            rounds.push(round);
            break;
        }
        let hopeful = p.continuing_list();
        if hopeful.len() + elected.len() <= seats {
            for c in order_by_votes(
                &hopeful,
                &p.votes,
                &history,
                round_no,
                TiePurpose::Elect,
                ties,
            ) {
                p.continuing[c as usize] = false;
                elected.push(c);
                round.elected.push(c);
            }
            rounds.push(round);
            break;
        }

        pending.retain(|&c| p.votes[c as usize] > quota);
        if !pending.is_empty() {
            let from = largest_surplus(&pending, &p.votes, &history, round_no, ties);
            pending.retain(|&c| c != from);
            round.transfer = Some(transfer_surplus(&mut p, from, quota, unit));
        } else {
            let loser = pick_loser(&hopeful, &p.votes, &history, round_no, ties);
            excluded[loser as usize] = true;
            excluded_order.push(loser);
            round.eliminated.push(loser);
            round.transfer = Some(exclude(&mut p, loser));
        }
        history.push(snapshot);
        rounds.push(round);
    }
    // Elected in order, then the continuing by votes, then the excluded, last
    // excluded first.
    let mut ranking: Vec<Vec<CandidateIdx>> = elected.iter().map(|&c| vec![c]).collect();
    ranking.extend(group_by_score(&p.continuing_list(), |c| {
        p.votes[c as usize]
    }));
    ranking.extend(excluded_order.iter().rev().map(|&c| vec![c]));
    Outcome {
        winners: elected,
        ranking,
        rounds,
        quota: Some(Votes::from_units(quota)),
        ..Outcome::default()
    }
}

/// The pending surplus to transfer first: the largest; equal ones by earlier
/// rounds, then by the lot.
fn largest_surplus(
    pending: &[CandidateIdx],
    votes: &[u128],
    history: &[Vec<u128>],
    round_no: u32,
    ties: &mut Ties,
) -> CandidateIdx {
    let max = pending
        .iter()
        .map(|&c| votes[c as usize])
        .max()
        .unwrap_or(0);
    let top: Vec<CandidateIdx> = pending
        .iter()
        .copied()
        .filter(|&c| votes[c as usize] == max)
        .collect();
    if top.len() == 1 {
        top[0]
    } else {
        ties.order(&top, history, TiePurpose::Surplus, Some(round_no), false)[0]
    }
}

/// Transfers `from`'s surplus over `quota`: each ballot moves at value ×
/// surplus ÷ votes, truncated to `unit`; what truncation drops is lost. `from`
/// keeps the quota.
fn transfer_surplus(
    p: &mut Piles<'_>,
    from: CandidateIdx,
    quota: u128,
    unit: u64,
) -> Transfer<CandidateIdx> {
    let total = p.votes[from as usize];
    let surplus = total - quota;
    let truncate = |x: u128| (x - x % unit as u128) as u64;
    let (received, exhausted) = p.transfer(from, |v| truncate(v as u128 * surplus / total));
    let moved: u128 = received.iter().sum::<u128>() + exhausted;
    let lost = surplus.saturating_sub(moved);
    p.lost += lost;
    p.votes[from as usize] = quota;
    Transfer {
        kind: TransferKind::Surplus,
        from,
        surplus: Some(Votes::from_units(surplus)),
        transfer_value: Some(Votes::from_units(
            truncate(surplus * VOTE_SCALE / total) as u128
        )),
        to: received_tallies(&received),
        exhausted: Votes::from_units(exhausted),
        lost_to_rounding: Votes::from_units(lost),
    }
}

/// Excludes `loser`: its ballots move on at their current value.
fn exclude(p: &mut Piles<'_>, loser: CandidateIdx) -> Transfer<CandidateIdx> {
    p.continuing[loser as usize] = false;
    let (received, exhausted) = p.transfer(loser, |v| v);
    p.votes[loser as usize] = 0;
    Transfer {
        kind: TransferKind::Elimination,
        from: loser,
        surplus: None,
        transfer_value: None,
        to: received_tallies(&received),
        exhausted: Votes::from_units(exhausted),
        lost_to_rounding: Votes::ZERO,
    }
}
