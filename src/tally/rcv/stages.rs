//! The API's STV ([`SurplusRule::OneAtATime`]; docs/ARCHITECTURE.md, Scottish
//! Local Government Elections Order 2007 rules 46–52) on the engine's state:
//! - quota: the round-1 threshold ([`super::rules::ThresholdRule`], Droop
//!   `floor(V / (seats + 1)) + 1` in the API), fixed for the count;
//! - each stage, every continuing candidate with at least the quota is elected,
//!   most votes first (equal votes: the tie-break);
//! - then the largest untransferred surplus (equal ones: the tie-break) moves:
//!   every ballot its candidate holds goes to its next continuing preference at
//!   `value × surplus ÷ votes`, truncated to `decimals` places, and the
//!   candidate keeps exactly the quota; what truncation drops is residual
//!   surplus (the API's `lost_to_rounding`);
//! - otherwise the continuing candidate with the fewest votes is excluded and
//!   its ballots move on at their current values;
//! - the count ends when the seats (at most the candidates not withdrawn) are
//!   filled, or when the continuing candidates are no more than the seats left
//!   (they are then elected, most votes first).
//!
//! Each stage is one [`Round`]: the votes at its start, who was elected or
//! excluded, and the one transfer that followed.

use super::ballots::scan;
use super::counter::{Counter, Status};
use super::record::{round_at, transfer, RcvError};
#[cfg(doc)]
use super::rules::SurplusRule;
use super::rules::{TieBreakMode, WinnerMode};
use super::threshold::threshold;
use crate::tally::report::{Round, Tally, TiePurpose, Transfer, TransferKind};
use crate::tally::types::CandidateIdx;

impl Counter<'_> {
    /// Counts stage after stage (module docs).
    pub fn count_stages(&mut self) -> Result<(), RcvError> {
        self.refuse_round_rules()?;
        let n = self.status.len();
        let continuing = self.continuing_mask();
        for g in 0..self.groups.len() {
            let outcome = scan(&self.groups[g], &self.marks, self.rules, &continuing, false);
            self.place(g, outcome);
        }
        let seats = (self.seats as usize).min(continuing.iter().filter(|&&c| c).count());
        let active: u128 = self.hopeful().iter().map(|&c| self.held[c as usize]).sum();
        let quota = threshold(self.rules, self.seats, self.one, active, 1, None);
        let mut pending: Vec<CandidateIdx> = Vec::new();
        loop {
            let round = self.rounds.len() as u32 + 1;
            if round as usize > 2 * n + 2 {
                return Err(RcvError::Stuck { round });
            }
            let mut stage = self.stage_record(round, quota);
            let reached: Vec<CandidateIdx> = self
                .hopeful()
                .into_iter()
                .filter(|&c| self.held[c as usize] >= quota)
                .collect();
            for c in self.by_votes(&reached, round)? {
                self.status[c as usize] = Status::Won(round);
                pending.push(c);
                stage.elected.push(c);
            }
            let hopeful = self.hopeful();
            if self.winners() >= seats || hopeful.len() + self.winners() <= seats {
                if self.winners() < seats {
                    for c in self.by_votes(&hopeful, round)? {
                        self.status[c as usize] = Status::Won(round);
                        stage.elected.push(c);
                    }
                }
                self.push_round(stage);
                return Ok(());
            }
            pending.retain(|&c| self.held[c as usize] > quota);
            let transfer = if pending.is_empty() {
                let loser = self.lowest(&hopeful, round)?;
                self.status[loser as usize] = Status::Eliminated(round);
                stage.eliminated.push(loser);
                self.move_pile(loser, |v| v)
            } else {
                let from = self.largest_surplus(&pending, round)?;
                pending.retain(|&c| c != from);
                self.transfer_surplus(from, quota)
            };
            stage.push_transfer(transfer);
            self.push_round(stage);
        }
    }

    /// Rules of RCTab's round loop that these stages do not implement: an error
    /// naming the first one set.
    fn refuse_round_rules(&self) -> Result<(), RcvError> {
        let r = self.rules;
        let set = [
            (
                r.winner_mode != WinnerMode::MultipleWinnersPerRound,
                "winner_mode",
            ),
            (r.continue_until_two, "continue_until_two"),
            (r.batch_elimination, "batch_elimination"),
            (r.minimum_votes > 0, "minimum_votes"),
            (r.first_round_threshold, "first_round_threshold"),
            (r.stop_after_round.is_some(), "stop_after_round"),
            (r.undeclared_write_in.is_some(), "undeclared_write_in"),
        ];
        match set.iter().find(|(on, _)| *on) {
            Some(&(_, rule)) => Err(RcvError::NotWithSurplusOneAtATime { rule }),
            None => Ok(()),
        }
    }

    /// Continuing candidates (neither elected nor excluded), candidate order.
    fn hopeful(&self) -> Vec<CandidateIdx> {
        (0..self.status.len() as CandidateIdx)
            .filter(|&c| self.status[c as usize] == Status::Continuing)
            .collect()
    }

    /// The stage's record at its start: the votes of every candidate still in
    /// the count (continuing and elected), the inactive votes so far.
    fn stage_record(&self, round: u32, quota: u128) -> Round<CandidateIdx, u128> {
        let shown = (0..self.status.len() as CandidateIdx)
            .filter(|&c| !matches!(self.status[c as usize], Status::Eliminated(_)));
        let counts = shown
            .map(|c| Tally {
                candidate: c,
                votes: self.held[c as usize],
            })
            .collect();
        round_at(round, counts, quota, &self.inactive, self.residual_total)
    }

    /// `cands` by votes, most first; equal votes ordered by the tie-break.
    fn by_votes(
        &mut self,
        cands: &[CandidateIdx],
        round: u32,
    ) -> Result<Vec<CandidateIdx>, RcvError> {
        let mut sorted = cands.to_vec();
        sorted.sort_by(|&a, &b| {
            let (va, vb) = (self.held[a as usize], self.held[b as usize]);
            vb.cmp(&va).then(a.cmp(&b))
        });
        let held = &self.held;
        let groups: Vec<Vec<CandidateIdx>> = sorted
            .chunk_by(|&a, &b| held[a as usize] == held[b as usize])
            .map(<[CandidateIdx]>::to_vec)
            .collect();
        let mut out = Vec::with_capacity(sorted.len());
        for group in groups {
            out.extend(self.order_tied(&group, round, TiePurpose::Elect)?);
        }
        Ok(out)
    }

    /// `tied` (equal votes) most favoured first: the lot's order, or the
    /// tie-break mode's choices one after another.
    fn order_tied(
        &mut self,
        tied: &[CandidateIdx],
        round: u32,
        purpose: TiePurpose,
    ) -> Result<Vec<CandidateIdx>, RcvError> {
        if tied.len() < 2 {
            return Ok(tied.to_vec());
        }
        if let TieBreakMode::PreviousRoundsThenLot { .. } = self.rules.tie_break {
            return Ok(self
                .ties
                .lot_order(tied, &self.rounds, purpose, round, false));
        }
        let mut left = tied.to_vec();
        let mut out = Vec::with_capacity(tied.len());
        while left.len() > 1 {
            let c = self.ties.break_tie(&left, true, round, &self.rounds)?;
            left.retain(|&d| d != c);
            out.push(c);
        }
        out.extend(left);
        Ok(out)
    }

    /// The continuing candidate to exclude: the fewest votes, a tie broken.
    fn lowest(&mut self, hopeful: &[CandidateIdx], round: u32) -> Result<CandidateIdx, RcvError> {
        let min = hopeful.iter().map(|&c| self.held[c as usize]).min();
        let low: Vec<CandidateIdx> = hopeful
            .iter()
            .copied()
            .filter(|&c| Some(self.held[c as usize]) == min)
            .collect();
        match low.len() {
            0 => Err(RcvError::Stuck { round }),
            1 => Ok(low[0]),
            _ => self.ties.break_tie(&low, false, round, &self.rounds),
        }
    }

    /// The pending surplus to transfer first: the largest, a tie broken.
    fn largest_surplus(
        &mut self,
        pending: &[CandidateIdx],
        round: u32,
    ) -> Result<CandidateIdx, RcvError> {
        let max = pending.iter().map(|&c| self.held[c as usize]).max();
        let top: Vec<CandidateIdx> = pending
            .iter()
            .copied()
            .filter(|&c| Some(self.held[c as usize]) == max)
            .collect();
        Ok(self.order_tied(&top, round, TiePurpose::Surplus)?[0])
    }

    /// Moves `from`'s surplus over `quota` (module docs); `from` keeps the quota.
    fn transfer_surplus(
        &mut self,
        from: CandidateIdx,
        quota: u128,
    ) -> Transfer<CandidateIdx, u128> {
        let total = self.held[from as usize];
        let surplus = total - quota;
        let mut transfer = self.move_pile(from, |v| v * surplus / total);
        let moved: u128 = transfer.to.iter().map(|t| t.votes).sum::<u128>() + transfer.exhausted;
        let lost = surplus.saturating_sub(moved);
        self.residual_total += lost;
        transfer.lost_to_rounding += lost;
        self.held[from as usize] = quota;
        transfer.kind = TransferKind::Surplus;
        transfer.surplus = Some(surplus);
        transfer.transfer_value = Some(surplus * self.one / total);
        transfer
    }

    /// Moves every ballot `from` holds (no longer continuing) to its next
    /// continuing preference, each at `revalue(value)`; returns the votes moved,
    /// as an elimination.
    fn move_pile(
        &mut self,
        from: CandidateIdx,
        revalue: impl Fn(u128) -> u128,
    ) -> Transfer<CandidateIdx, u128> {
        let continuing = self.continuing_mask();
        let pile = std::mem::take(&mut self.piles[from as usize]);
        self.held[from as usize] = 0;
        self.moves.clear();
        for g in pile {
            let group = &mut self.groups[g as usize];
            let value = revalue(u128::from(group.value));
            group.scaled |= value != u128::from(group.value);
            // Values only fall, from `one` (at most 10^9): a u64 holds them.
            group.value = value as u64;
            let outcome = scan(group, &self.marks, self.rules, &continuing, false);
            self.place(g as usize, outcome);
        }
        let moved = self.moves.iter().map(|&(_, d, v)| (d, v));
        transfer(TransferKind::Elimination, from, moved)
    }
}
