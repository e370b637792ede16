//! RCTab's round loop (`SurplusRule::AllAtOnce`): the count's state
//! ([`Counter`]) and one round after another — tally, winners, eliminations,
//! surpluses and the transfers each round records. The API's STV stages
//! (`super::stages`) run on the same state.

use super::ballots::{load_groups, scan, Found, Group};
use super::record::{round_at, transfer, Destination, InactiveReason, RcvCount, RcvError};
use super::rules::{OvervoteRule, RcvRules, ThresholdRule, WinnerMode, MAX_DECIMALS};
use super::threshold::threshold;
use super::ties::{java_hash_map_order, java_string_cmp, TieBreaker};
use crate::tally::report::{Round, Tally, TransferKind};
use crate::tally::types::{CandidateIdx, Election};

/// Where a candidate stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Status {
    Continuing,
    Won(u32),
    Eliminated(u32),
}
/// The state of a count.
pub(super) struct Counter<'a> {
    pub names: &'a [String],
    pub rules: &'a RcvRules,
    pub seats: u32,
    pub one: u128,
    pub status: Vec<Status>,
    pub groups: Vec<Group>,
    /// Every group's marked ranks, group after group (see
    /// [`super::ballots::marks`]).
    pub marks: Vec<u32>,
    /// Per candidate: the active groups it is the recipient of, and their
    /// votes. Only the piles of candidates no longer continuing are looked at
    /// again in a round; the others keep their ballots.
    pub piles: Vec<Vec<u32>>,
    pub held: Vec<u128>,
    /// Per winner (STV): the votes it kept of the groups that elected it, over
    /// every allocation.
    kept: Vec<u128>,
    /// Votes of inactive groups by reason, cumulative.
    pub inactive: [u128; 6],
    /// Whether the first round has placed every group.
    placed: bool,
    pub rounds: Vec<Round<CandidateIdx, u128>>,
    pub ties: TieBreaker<'a>,
    /// Transfers recorded while counting the current round: (from, to, amount).
    pub moves: Vec<(CandidateIdx, Destination, u128)>,
    /// Rounding leftovers of every surplus so far (STV).
    pub residual_total: u128,
    /// Inactive buckets holding a revalued ballot (see [`Round::scaled_inactive`]).
    inactive_scaled: u8,
}

impl Counter<'_> {
    pub fn continuing(&self, c: CandidateIdx) -> bool {
        match self.status[c as usize] {
            Status::Continuing => true,
            Status::Won(_) => self.rules.continue_until_two,
            Status::Eliminated(_) => false,
        }
    }

    /// `continuing(c)` for every candidate, as [`scan`] reads it.
    pub fn continuing_mask(&self) -> Vec<bool> {
        (0..self.status.len() as CandidateIdx)
            .map(|c| self.continuing(c))
            .collect()
    }

    pub fn winners(&self) -> usize {
        self.status
            .iter()
            .filter(|s| matches!(s, Status::Won(_)))
            .count()
    }

    pub fn eliminated(&self) -> usize {
        self.status
            .iter()
            .filter(|s| matches!(s, Status::Eliminated(_)))
            .count()
    }

    fn uses_surpluses(&self) -> bool {
        self.seats > 1 && !self.rules.winner_mode.is_bottoms_up()
    }

    /// Counts one round: returns each candidate's votes (indexed by candidate) and
    /// the cumulative inactive buckets.
    ///
    /// A group stays with its recipient while the recipient is continuing; the
    /// groups of every other recipient (all groups, in the first round) are
    /// read again from their first mark.
    fn tally_round(&mut self) -> (Vec<u128>, [u128; 6]) {
        let n = self.status.len();
        let all_seats_filled = self.uses_surpluses() && self.winners() == self.seats as usize;
        let continuing = self.continuing_mask();
        for g in self.groups_to_read() {
            let g = g as usize;
            let outcome = scan(
                &self.groups[g],
                &self.marks,
                self.rules,
                &continuing,
                all_seats_filled,
            );
            self.place(g, outcome);
        }
        let tally = (0..n)
            .map(|c| {
                if self.continuing(c as CandidateIdx) {
                    self.held[c]
                } else {
                    0
                }
            })
            .collect();
        (tally, self.inactive)
    }

    /// The groups to read this round: every group the first time, then the piles
    /// of candidates no longer continuing (emptied, their votes no longer held).
    fn groups_to_read(&mut self) -> Vec<u32> {
        if !self.placed {
            self.placed = true;
            return (0..self.groups.len() as u32).collect();
        }
        let mut todo = Vec::new();
        for c in 0..self.status.len() {
            if !self.continuing(c as CandidateIdx) && !self.piles[c].is_empty() {
                todo.append(&mut self.piles[c]);
                self.held[c] = 0;
            }
        }
        todo
    }

    /// Gives group `g` to the candidate `scan` found, or files it as inactive,
    /// recording the move from its previous recipient.
    #[inline]
    pub fn place(&mut self, g: usize, outcome: Result<Found, InactiveReason>) {
        let group = &mut self.groups[g];
        let weight = group.weight();
        let previous = group.recipient;
        let to = match outcome {
            Ok(Found {
                candidate: c,
                resume,
            }) => {
                group.recipient = Some(c);
                group.resume = resume;
                self.piles[c as usize].push(g as u32);
                self.held[c as usize] += weight;
                Destination::Candidate(c)
            }
            Err(reason) => {
                group.recipient = None;
                group.inactive = Some(reason);
                self.inactive[reason as usize] += weight;
                if group.scaled {
                    self.inactive_scaled |= 1 << reason as u8;
                }
                Destination::Exhausted
            }
        };
        if let Some(from) = previous {
            if weight > 0 {
                self.moves.push((from, to, weight));
            }
        }
    }

    /// Who is elected in `round` among `shown` (RCTab
    /// `Tabulator.identifyWinners`), most votes first: nobody while an
    /// undeclared write-in holds votes; everyone left when they are no more
    /// than the seats to fill; else those at `threshold` (one only under
    /// `OneWinnerPerRound`); one seat with two tied candidates left and
    /// `two_left_tie_elects`, one of them by the tie-break.
    fn identify_winners(
        &mut self,
        shown: &[CandidateIdx],
        tally: &[u128],
        threshold: u128,
        round: u32,
    ) -> Result<Vec<CandidateIdx>, RcvError> {
        if let Some(uwi) = self.rules.undeclared_write_in {
            if shown.contains(&uwi) && tally[uwi as usize] > 0 {
                return Ok(Vec::new());
            }
        }
        if let WinnerMode::BottomsUpPercentage { .. } = self.rules.winner_mode {
            // Everyone continuing, once each has more than the threshold; else
            // nobody (RCTab `Tabulator.identifyWinners`, `allMeet`). Listed in
            // the order RCTab reports them: its `winnerToRound` HashMap's.
            let all = shown.iter().all(|&c| tally[c as usize] > threshold);
            return Ok(if all {
                java_hash_map_order(shown, self.names)
            } else {
                Vec::new()
            });
        }
        let unfilled = self.seats as usize - self.winners().min(self.seats as usize);
        let mut selected: Vec<CandidateIdx> = Vec::new();
        if unfilled > 0 {
            // As many continuing candidates as seats to fill, or fewer (more
            // seats than candidates): every one is elected (RCTab
            // `Tabulator.identifyWinners`).
            if shown.len() <= unfilled {
                selected = shown.to_vec();
            } else if self.rules.first_round_threshold && shown.len() - 1 == self.seats as usize {
                // Nobody may reach round 1's threshold: on the penultimate
                // round the most votes win.
                selected = Self::top(shown, tally);
            } else if !self.rules.winner_mode.is_bottoms_up() {
                selected = shown
                    .iter()
                    .copied()
                    .filter(|&c| {
                        tally[c as usize] >= threshold && Some(c) != self.rules.undeclared_write_in
                    })
                    .collect();
            }
        }
        let one_only = self.rules.winner_mode == WinnerMode::OneWinnerPerRound
            || self.rules.first_round_threshold;
        let minimum = u128::from(self.rules.minimum_votes) * self.one;
        let no_winner_two_left = self.rules.two_left_tie_elects
            && self.seats == 1
            && selected.is_empty()
            && shown.len() == 2
            && unfilled == 1
            && shown.iter().all(|&c| tally[c as usize] >= minimum);
        if (one_only && selected.len() > 1) || no_winner_two_left {
            // One winner only: the most votes, a tie broken (RCTab
            // `Tabulator.identifyWinners`).
            let top = Self::top(shown, tally);
            selected = if top.len() > 1 {
                vec![self.ties.break_tie(&top, true, round, &self.rounds)?]
            } else {
                top
            };
        }
        // Most votes first; equal votes in candidate order.
        selected.sort_by(|&a, &b| tally[b as usize].cmp(&tally[a as usize]).then(a.cmp(&b)));
        Ok(selected)
    }

    /// The candidates of `shown` with the most votes.
    fn top(shown: &[CandidateIdx], tally: &[u128]) -> Vec<CandidateIdx> {
        let max = shown.iter().map(|&c| tally[c as usize]).max().unwrap_or(0);
        shown
            .iter()
            .copied()
            .filter(|&c| tally[c as usize] == max)
            .collect()
    }

    /// Candidates of `shown` grouped by votes, fewest first.
    fn ascending(shown: &[CandidateIdx], tally: &[u128]) -> Vec<(u128, Vec<CandidateIdx>)> {
        let mut sorted = shown.to_vec();
        sorted.sort_by(|&a, &b| tally[a as usize].cmp(&tally[b as usize]).then(a.cmp(&b)));
        let mut groups: Vec<(u128, Vec<CandidateIdx>)> = Vec::new();
        for c in sorted {
            let v = tally[c as usize];
            match groups.last_mut() {
                Some((gv, g)) if *gv == v => g.push(c),
                _ => groups.push((v, vec![c])),
            }
        }
        groups
    }

    /// RCTab's batch elimination: the largest set of lowest candidates whose
    /// votes together are below the next candidate's (`groups` ascending).
    fn batch(&self, groups: &[(u128, Vec<CandidateIdx>)]) -> Vec<CandidateIdx> {
        let mut running = 0u128;
        let mut seen: Vec<CandidateIdx> = Vec::new();
        let mut eliminations: Vec<CandidateIdx> = Vec::new();
        let mut previous: Vec<CandidateIdx> = Vec::new();
        for (votes, cands) in groups {
            let mut new = eliminations.clone();
            if running < *votes {
                for &c in &seen {
                    if !new.contains(&c) {
                        new.push(c);
                    }
                }
            }
            running += votes * cands.len() as u128;
            seen.extend(cands.iter().copied());
            if new.len() > eliminations.len() {
                previous = std::mem::replace(&mut eliminations, new);
            }
        }
        if self.rules.continue_until_two
            && eliminations.len() + self.eliminated() == self.status.len() - 1
        {
            eliminations = previous;
        }
        eliminations
    }

    /// Candidates eliminated together, in the order RCTab reports them: by
    /// name, as Java compares strings. RCTab 2.0.0 lists Kansas' round-1
    /// batch "Cory Booker; Steven Bullock; Undeclared Write-ins" in both its
    /// summary CSV and its JSON (`clear_ballot_kansas_primary`, testdata).
    /// Every output (URCVT, summary CSV, the API's report) reads this one
    /// order; the counting itself does not depend on it.
    fn by_name(&self, mut cands: Vec<CandidateIdx>) -> Vec<CandidateIdx> {
        cands.sort_unstable_by(|&a, &b| {
            java_string_cmp(&self.names[a as usize], &self.names[b as usize]).then(a.cmp(&b))
        });
        cands
    }

    /// Whom `round` eliminates (module docs of `tally::rcv`): undeclared
    /// write-ins holding votes, everyone below `minimum_votes`, a batch, or the
    /// lowest, a tie broken.
    fn eliminate(
        &mut self,
        shown: &[CandidateIdx],
        tally: &[u128],
        round: u32,
    ) -> Result<Vec<CandidateIdx>, RcvError> {
        if let Some(uwi) = self.rules.undeclared_write_in {
            if shown.contains(&uwi) && tally[uwi as usize] > 0 {
                return Ok(vec![uwi]);
            }
        }
        let groups = Self::ascending(shown, tally);
        // Everyone below minimumVoteThreshold at once (RCTab
        // `Tabulator.dropCandidatesBelowThreshold`).
        let minimum = u128::from(self.rules.minimum_votes) * self.one;
        let below: Vec<CandidateIdx> = groups
            .iter()
            .take_while(|(v, _)| *v < minimum)
            .flat_map(|(_, cands)| cands.iter().copied())
            .collect();
        if !below.is_empty() {
            if below.len() == shown.len() {
                return Err(RcvError::AllBelowMinimum { round });
            }
            return Ok(self.by_name(below));
        }
        if self.rules.batch_elimination {
            let batch = self.batch(&groups);
            if batch.len() > 1 {
                return Ok(self.by_name(batch));
            }
        }
        Ok(match groups.first() {
            None => Vec::new(),
            Some((_, lowest)) if lowest.len() == 1 => vec![lowest[0]],
            Some((_, lowest)) => {
                let lowest = lowest.clone();
                vec![self.ties.break_tie(&lowest, false, round, &self.rounds)?]
            }
        })
    }

    /// Whether another round is counted after `round` (RCTab
    /// `Tabulator.shouldContinueTabulating`).
    fn should_continue(&self, round: u32) -> bool {
        let n = self.status.len();
        if self
            .rules
            .stop_after_round
            .is_some_and(|last| round >= last)
        {
            return false;
        }
        let everyone_won = !self.status.contains(&Status::Continuing)
            && self.winners() > 0
            && self.seats as usize > n - self.eliminated();
        if everyone_won {
            // More seats than candidates: once every candidate is elected the
            // count ends (RCTab `Tabulator.shouldContinueTabulating`).
            false
        } else if self.rules.continue_until_two && self.seats == 1 {
            self.eliminated() + self.winners() + 1 < n
                || self.status.contains(&Status::Eliminated(round))
        } else if let WinnerMode::BottomsUpPercentage { .. } = self.rules.winner_mode {
            // Done once anyone is elected (RCTab `shouldContinueTabulating`).
            self.winners() == 0
        } else {
            self.winners() < self.seats as usize
                || (self.uses_surpluses() && self.status.contains(&Status::Won(round)))
        }
    }
}

impl<'a> Counter<'a> {
    /// Checks the seats, rules and ballots and loads the ballot groups, each
    /// ballot at full value.
    pub fn start(
        election: &'a Election,
        seats: u32,
        rules: &'a RcvRules,
    ) -> Result<Self, RcvError> {
        let status = initial_status(election, seats, rules)?;
        let one = 10u128.pow(rules.decimals);
        let (groups, marks) = load_groups(election, rules, one)?;
        Ok(Counter::new(
            election, rules, seats, one, status, groups, marks,
        ))
    }

    /// The count as recorded.
    pub fn finish(self) -> RcvCount {
        RcvCount {
            scale: self.one,
            seats: self.seats,
            winners: winners_in_order(&self.rounds),
            // Every ballot is read once before round 1 is recorded, and a
            // ballot marking nobody is never read again.
            undervotes: self
                .rounds
                .first()
                .map_or(0, |_| self.inactive[InactiveReason::Undervote as usize]),
            rounds: self.rounds,
            tie_breaks: self.ties.log,
        }
    }

    /// Records `round` after the others, with its continuing votes: those of
    /// candidates not elected in an earlier round.
    pub fn push_round(&mut self, mut round: Round<CandidateIdx, u128>) {
        let elected_before: Vec<CandidateIdx> = self
            .rounds
            .iter()
            .flat_map(|r| r.elected.iter().copied())
            .collect();
        round.continuing_votes = round
            .counts
            .iter()
            .filter(|t| !elected_before.contains(&t.candidate))
            .map(|t| t.votes)
            .sum();
        self.rounds.push(round);
    }
}

impl Counter<'_> {
    /// RCTab's round loop (`SurplusRule::AllAtOnce`): rounds until the seats
    /// are filled (module docs of `tally::rcv`).
    pub fn count_rounds(&mut self) -> Result<(), RcvError> {
        let n = self.status.len();
        let mut round = 0u32;
        while self.should_continue(round) {
            round += 1;
            if round as usize > 2 * n + 2 {
                return Err(RcvError::Stuck { round });
            }
            self.count_round(round)?;
            if self.eliminated() >= n {
                break;
            }
        }
        Ok(())
    }
}

/// Checks the seats, the rules and the candidate numbers they name; every
/// candidate starts continuing, except the withdrawn.
fn initial_status(
    election: &Election,
    seats: u32,
    rules: &RcvRules,
) -> Result<Vec<Status>, RcvError> {
    if seats == 0 {
        return Err(RcvError::NoSeats);
    }
    if rules.decimals > MAX_DECIMALS {
        return Err(RcvError::TooManyDecimals(rules.decimals));
    }
    if rules.winner_mode == WinnerMode::MultiPass {
        return Err(RcvError::MultiPass);
    }
    let n = election.candidates.len();
    let mut status = vec![Status::Continuing; n];
    for &w in &election.withdrawn {
        *status
            .get_mut(w as usize)
            .ok_or(RcvError::UnknownCandidate(w))? = Status::Eliminated(0);
    }
    if let Some(uwi) = rules.undeclared_write_in {
        if uwi as usize >= n {
            return Err(RcvError::UnknownCandidate(uwi));
        }
    }
    if let Some(marker) = rules.explicit_overvote {
        if rules.overvote == OvervoteRule::ExhaustIfMultipleContinuing {
            return Err(RcvError::ExplicitOvervoteRule);
        }
        // Not a candidate: never continuing, never shown.
        *status
            .get_mut(marker as usize)
            .ok_or(RcvError::UnknownCandidate(marker))? = Status::Eliminated(0);
    }
    Ok(status)
}

/// Winners in order of election: by round, in each round as elected.
fn winners_in_order(rounds: &[Round<CandidateIdx, u128>]) -> Vec<CandidateIdx> {
    rounds
        .iter()
        .flat_map(|r| r.elected.iter().copied())
        .collect()
}

impl<'a> Counter<'a> {
    fn new(
        election: &'a Election,
        rules: &'a RcvRules,
        seats: u32,
        one: u128,
        status: Vec<Status>,
        groups: Vec<Group>,
        marks: Vec<u32>,
    ) -> Self {
        let n = election.candidates.len();
        Counter {
            names: &election.candidates,
            rules,
            seats,
            one,
            status,
            groups,
            marks,
            piles: vec![Vec::new(); n],
            held: vec![0; n],
            kept: vec![0; n],
            inactive: [0; 6],
            placed: false,
            rounds: Vec::new(),
            ties: TieBreaker::new(&election.candidates, rules),
            moves: Vec::new(),
            residual_total: 0,
            inactive_scaled: 0,
        }
    }
}

impl Counter<'_> {
    /// Counts round `round`: tallies it, elects or eliminates, files the votes
    /// that moved under the previous round, and records it.
    fn count_round(&mut self, round: u32) -> Result<(), RcvError> {
        let n = self.status.len();
        self.moves.clear();
        let shown: Vec<CandidateIdx> = (0..n as CandidateIdx)
            .filter(|&c| self.continuing(c))
            .collect();
        let (mut tally, inactive) = self.tally_round();
        let mut scaled = self.scaled_piles(&shown);
        let active: u128 = shown.iter().map(|&c| tally[c as usize]).sum();
        let previous = self.rounds.last().map(|r| r.threshold);
        let threshold = threshold(self.rules, self.seats, self.one, active, round, previous);
        let winners = self.identify_winners(&shown, &tally, threshold, round)?;
        let mut eliminated = Vec::new();
        if !winners.is_empty() {
            self.elect(&winners, &tally, threshold, round);
        } else if self.winners() < self.seats as usize
            || (self.rules.continue_until_two && self.eliminated() < n.saturating_sub(2))
            || matches!(
                self.rules.winner_mode,
                WinnerMode::BottomsUpPercentage { .. }
            )
        {
            eliminated = self.eliminate(&shown, &tally, round)?;
            if eliminated.is_empty() {
                return Err(RcvError::Stuck { round });
            }
            for &c in &eliminated {
                self.status[c as usize] = Status::Eliminated(round);
            }
        }
        let (shown, residual_moves) =
            self.show_earlier_winners(shown, &mut tally, threshold, round);
        scaled.extend(self.scaled_earlier_winners(round, threshold));
        scaled.sort_unstable();
        self.file_transfers(residual_moves);
        let counts = shown
            .iter()
            .map(|&c| Tally {
                candidate: c,
                votes: tally[c as usize],
            })
            .collect();
        let mut record = round_at(round, counts, threshold, &inactive, self.residual_total);
        record.elected = winners;
        record.eliminated = eliminated;
        record.scaled = scaled;
        record.scaled_inactive = self.inactive_scaled;
        self.push_round(record);
        Ok(())
    }

    /// Of `shown` (continuing), those holding a revalued ballot (STV only).
    fn scaled_piles(&self, shown: &[CandidateIdx]) -> Vec<CandidateIdx> {
        if !self.uses_surpluses() {
            return Vec::new();
        }
        shown
            .iter()
            .copied()
            .filter(|&c| {
                self.piles[c as usize]
                    .iter()
                    .any(|&g| self.groups[g as usize].scaled)
            })
            .collect()
    }

    /// Earlier winners whose shown votes carry `decimals` places, as RCTab
    /// computes them (`Tabulator.updateWinnerTallies`): the round after the
    /// election, the sum of revalued ballots, unless a residual set it to the
    /// threshold; later, as the round before.
    fn scaled_earlier_winners(&self, round: u32, threshold: u128) -> Vec<CandidateIdx> {
        if !self.uses_surpluses() {
            return Vec::new();
        }
        let threshold_scaled = self.rules.threshold == ThresholdRule::DroopFractional;
        let prev = self.rounds.last();
        (0..self.status.len() as CandidateIdx)
            .filter(|&c| match self.status[c as usize] {
                Status::Won(r) if r + 1 == round => {
                    let kept = self.kept[c as usize];
                    if kept > threshold {
                        threshold_scaled
                    } else {
                        kept > 0
                    }
                }
                Status::Won(r) if r + 1 < round => prev.is_some_and(|p| p.scaled.contains(&c)),
                _ => false,
            })
            .collect()
    }

    /// Marks `winners` elected in `round`; with surpluses (STV), revalues the
    /// ballots of each winner's pile so the surplus goes on.
    fn elect(&mut self, winners: &[CandidateIdx], tally: &[u128], threshold: u128, round: u32) {
        for &w in winners {
            self.status[w as usize] = Status::Won(round);
        }
        if self.uses_surpluses() {
            for &w in winners {
                self.allocate_surplus(w, tally[w as usize], threshold);
            }
        }
    }

    /// The winner's pile: the active groups it is the recipient of. Each keeps
    /// `value - transfer` per ballot for the winner and goes on at `transfer`.
    fn allocate_surplus(&mut self, w: CandidateIdx, votes: u128, threshold: u128) {
        let one = self.one;
        let extra = votes.saturating_sub(threshold);
        let fraction = if extra > 0 { extra * one / votes } else { 0 };
        let (mut held, mut kept) = (0, 0);
        for &g in &self.piles[w as usize] {
            let g = &mut self.groups[g as usize];
            let value = g.value as u128;
            let transfer = value * fraction / one;
            kept += (value - transfer) * g.count as u128;
            // Values only fall from `one` (at most 10^9): a u64 holds them.
            g.value = transfer as u64;
            g.scaled = true;
            held += g.weight();
        }
        self.held[w as usize] = held;
        // Cumulative: with continue_until_two a winner may be elected (and
        // allocate) again.
        self.kept[w as usize] += kept;
    }

    /// Adds earlier winners to the candidates shown in an STV count, with the
    /// votes they keep: the round after their election the threshold (what they
    /// kept beyond it is residual surplus, returned as moves), later the same
    /// as the round before. Single-winner counts show only `shown`.
    fn show_earlier_winners(
        &mut self,
        mut shown: Vec<CandidateIdx>,
        tally: &mut [u128],
        threshold: u128,
        round: u32,
    ) -> (Vec<CandidateIdx>, Vec<(CandidateIdx, Destination, u128)>) {
        let mut residual_moves = Vec::new();
        if self.seats <= 1 {
            return (shown, residual_moves);
        }
        let prev = self.rounds.last();
        for c in 0..self.status.len() as CandidateIdx {
            let Status::Won(r) = self.status[c as usize] else {
                continue;
            };
            if r >= round {
                continue;
            }
            if r + 1 == round {
                let kept = self.kept[c as usize];
                let residual = kept.saturating_sub(threshold);
                tally[c as usize] = kept - residual;
                if residual > 0 {
                    self.residual_total += residual;
                    residual_moves.push((c, Destination::ResidualSurplus, residual));
                }
            } else {
                tally[c as usize] = prev.and_then(|p| p.votes_of(&c)).unwrap_or(0);
            }
            if !shown.contains(&c) {
                shown.push(c);
            }
        }
        shown.sort_unstable();
        (shown, residual_moves)
    }

    /// Votes that moved while counting this round came from the previous
    /// round's elected and eliminated candidates: files them there, one
    /// transfer per candidate, destinations summed and in order.
    fn file_transfers(&mut self, residual_moves: Vec<(CandidateIdx, Destination, u128)>) {
        let mut moves = std::mem::take(&mut self.moves);
        moves.extend(residual_moves);
        let Some(prev) = self.rounds.last_mut() else {
            return;
        };
        let from_list: Vec<(CandidateIdx, TransferKind)> = prev
            .elected
            .iter()
            .map(|&c| (c, TransferKind::Surplus))
            .chain(
                prev.eliminated
                    .iter()
                    .map(|&c| (c, TransferKind::Elimination)),
            )
            .collect();
        for (from, kind) in from_list {
            let moved = moves
                .iter()
                .filter(|&&(f, _, _)| f == from)
                .map(|&(_, d, v)| (d, v));
            prev.push_transfer(transfer(kind, from, moved));
        }
    }
}
