//! Breaking ties: every [`TieBreakMode`], with the Java pieces RCTab's modes
//! depend on (`java.util.Random`, `String.hashCode` and `HashSet`/`HashMap`
//! iteration order, Java's name order), and the API's lot (`tally::lot`).
//! Every tie broken is logged as the API's [`TieBreak`].

use super::record::RcvError;
use super::rules::{RcvRules, TieBreakMode};
use crate::tally::lot::Ties;
use crate::tally::report::{DecidedBy, Round, TieBreak, TiePurpose};
use crate::tally::types::CandidateIdx;

/// `java.util.Random`, as RCTab's random tie-breaks use it (a 48-bit linear
/// congruential generator; Java SE API specification of `java.util.Random`).
#[derive(Debug, Clone)]
pub struct JavaRandom {
    seed: u64,
}

impl JavaRandom {
    const MULTIPLIER: u64 = 0x5_DEEC_E66D;
    const MASK: u64 = (1 << 48) - 1;

    pub fn new(seed: i64) -> Self {
        JavaRandom {
            seed: (seed as u64 ^ Self::MULTIPLIER) & Self::MASK,
        }
    }

    fn next(&mut self, bits: u32) -> u64 {
        self.seed = (self.seed.wrapping_mul(Self::MULTIPLIER).wrapping_add(0xB)) & Self::MASK;
        self.seed >> (48 - bits)
    }

    /// `floor(nextDouble() × n)`, computed exactly: `nextDouble()` is
    /// `((next(26) << 27) + next(27)) / 2^53`.
    /// `nextInt(bound)`, `bound` ≥ 1: the high 31 bits scaled for a power of
    /// two, else drawn again while they would bias the remainder.
    pub fn next_int(&mut self, bound: u32) -> u32 {
        let bound = bound as i64;
        let mut r = self.next(31) as i64;
        let m = bound - 1;
        if bound & m == 0 {
            return ((bound * r) >> 31) as u32;
        }
        let mut u = r;
        loop {
            r = u % bound;
            // Java's `u - r + m < 0` in 32-bit arithmetic.
            if (u - r + m) as i32 >= 0 {
                return r as u32;
            }
            u = self.next(31) as i64;
        }
    }

    /// `Collections.shuffle(list, random)` on a random-access list.
    pub fn shuffle<T>(&mut self, list: &mut [T]) {
        for i in (2..=list.len()).rev() {
            let j = self.next_int(i as u32) as usize;
            list.swap(i - 1, j);
        }
    }

    pub fn next_index(&mut self, n: usize) -> usize {
        let hi = self.next(26);
        let lo = self.next(27);
        let x = (hi << 27) + lo; // < 2^53
        ((x as u128 * n as u128) >> 53) as usize
    }
}

/// Java's `String.hashCode` (UTF-16 code units, wrapping `i32`).
pub(super) fn java_string_hash(s: &str) -> i32 {
    s.encode_utf16()
        .fold(0i32, |h, u| h.wrapping_mul(31).wrapping_add(i32::from(u)))
}

/// Java's `String.compareTo`: names compared by UTF-16 code unit, which
/// differs from Rust's `str` order (by code point) once a name holds a
/// character beyond U+FFFF next to one from U+E000 to U+FFFF.
pub(super) fn java_string_cmp(a: &str, b: &str) -> std::cmp::Ordering {
    a.encode_utf16().cmp(b.encode_utf16())
}

/// The iteration order of `new java.util.HashSet<>(list)` over candidates named
/// `names`, `list` giving the insertion order: the table holds
/// `max((int) (n / .75f) + 1, 16)` rounded up to a power of two buckets; a name
/// goes to bucket `(h ^ (h >>> 16)) & (buckets - 1)`; buckets are visited in
/// order, each in insertion order (OpenJDK `HashMap`; a bucket of eight or more
/// names would be reorganised, which a tie of real candidates does not reach).
pub(super) fn java_hash_set_order(list: &[CandidateIdx], names: &[String]) -> Vec<CandidateIdx> {
    let wanted = ((list.len() as f32 / 0.75f32) as usize + 1).max(16);
    java_hash_order(list, names, wanted.next_power_of_two() as u32)
}

/// The iteration order of a `java.util.HashMap` keyed by the names of `list`,
/// put in that order into a default map (16 buckets, doubled whenever it is
/// more than three quarters full): RCTab's order for a round's tallies.
pub(crate) fn java_hash_map_order(list: &[CandidateIdx], names: &[String]) -> Vec<CandidateIdx> {
    let mut buckets = 16usize;
    while list.len() * 4 > buckets * 3 {
        buckets *= 2;
    }
    java_hash_order(list, names, buckets as u32)
}

fn java_hash_order(list: &[CandidateIdx], names: &[String], buckets: u32) -> Vec<CandidateIdx> {
    let bucket = |c: CandidateIdx| {
        let h = java_string_hash(&names[c as usize]) as u32;
        (h ^ (h >> 16)) & (buckets - 1)
    };
    let mut order = list.to_vec();
    order.sort_by_key(|&c| bucket(c));
    order
}

/// Breaks the ties of one count and keeps their log.
pub(super) struct TieBreaker<'a> {
    names: &'a [String],
    rules: &'a RcvRules,
    /// One `java.util.Random` for the whole count (RCTab's random modes).
    random: Option<JavaRandom>,
    /// The `generatePermutation` order, once drawn.
    permutation: Option<Vec<CandidateIdx>>,
    /// The lot of [`TieBreakMode::PreviousRoundsThenLot`].
    lot: Option<Ties>,
    pub log: Vec<TieBreak<CandidateIdx>>,
}

impl<'a> TieBreaker<'a> {
    pub fn new(names: &'a [String], rules: &'a RcvRules) -> Self {
        let lot = match rules.tie_break {
            TieBreakMode::PreviousRoundsThenLot { seed } => Some(Ties::new(seed, names.len())),
            _ => None,
        };
        TieBreaker {
            names,
            rules,
            random: None,
            permutation: None,
            lot,
            log: Vec::new(),
        }
    }

    /// Breaks a tie among `tied` (candidate order) in `round`, `rounds` being
    /// the earlier ones: the one elected (`electing`) or eliminated, or an error
    /// where the mode leaves the choice to an operator.
    pub fn break_tie(
        &mut self,
        tied: &[CandidateIdx],
        electing: bool,
        round: u32,
        rounds: &[Round<CandidateIdx, u128>],
    ) -> Result<CandidateIdx, RcvError> {
        let (chosen, decided_by) = match self.rules.tie_break {
            TieBreakMode::CandidateOrder => {
                let c = if electing {
                    tied[0]
                } else {
                    tied[tied.len() - 1]
                };
                (c, DecidedBy::CandidateOrder)
            }
            TieBreakMode::Random { .. } => {
                let ordered = self.by_java_name(tied);
                (self.random_choice(&ordered), DecidedBy::Random)
            }
            TieBreakMode::Ask => return Err(self.needs_operator(tied, electing, round)),
            TieBreakMode::Permutation { seed } => {
                let order = self.permutation(seed);
                let at = |c: &CandidateIdx| order.iter().position(|o| o == c).unwrap_or(usize::MAX);
                let c = if electing {
                    tied.iter().min_by_key(|c| at(c))
                } else {
                    tied.iter().max_by_key(|c| at(c))
                };
                (c.copied().unwrap_or(tied[0]), DecidedBy::CandidateOrder)
            }
            TieBreakMode::PreviousRoundsThenLot { .. } => {
                let purpose = if electing {
                    TiePurpose::Elect
                } else {
                    TiePurpose::Eliminate
                };
                let order = self.lot_order(tied, rounds, purpose, round, !electing);
                let chosen = if electing {
                    order[0]
                } else {
                    order[order.len() - 1]
                };
                return Ok(chosen);
            }
            TieBreakMode::PreviousRoundsThenRandom { .. } | TieBreakMode::PreviousRoundsThenAsk => {
                match self.previous_rounds(tied, electing, rounds) {
                    Ok((c, r)) => (c, DecidedBy::EarlierRound { round: r }),
                    Err(_) if self.rules.tie_break == TieBreakMode::PreviousRoundsThenAsk => {
                        return Err(self.needs_operator(tied, electing, round))
                    }
                    Err(still_tied) => (self.random_choice(&still_tied), DecidedBy::Random),
                }
            }
        };
        // Most favoured first: the one elected, or the one eliminated last.
        let others = tied.iter().copied().filter(|&c| c != chosen);
        let (purpose, order) = if electing {
            (
                TiePurpose::Elect,
                std::iter::once(chosen).chain(others).collect(),
            )
        } else {
            (
                TiePurpose::Eliminate,
                others.chain(std::iter::once(chosen)).collect(),
            )
        };
        self.log.push(TieBreak {
            round: Some(round),
            purpose,
            tied: tied.to_vec(),
            order,
            decided_by,
        });
        Ok(chosen)
    }

    /// The API's rule: `tied` ordered most favoured first by the votes of the
    /// earlier `rounds` (most recent first), then by the lot; logged as
    /// `tally::lot::Ties` logs it. `decisive_last`: the decision that matters is
    /// the last place (an elimination).
    pub fn lot_order(
        &mut self,
        tied: &[CandidateIdx],
        rounds: &[Round<CandidateIdx, u128>],
        purpose: TiePurpose,
        round: u32,
        decisive_last: bool,
    ) -> Vec<CandidateIdx> {
        let n = self.names.len();
        let history: Vec<Vec<u128>> = rounds
            .iter()
            .map(|r| {
                let mut votes = vec![0u128; n];
                for t in &r.counts {
                    votes[t.candidate as usize] = t.votes;
                }
                votes
            })
            .collect();
        let lot = self.lot.get_or_insert_with(|| Ties::new(0, n));
        let order = lot.order(tied, &history, purpose, Some(round), decisive_last);
        self.log.append(&mut lot.log);
        order
    }

    /// RCTab's `generatePermutation` order (`Tabulator.tabulate`): every
    /// candidate but the undeclared write-ins, sorted by name, shuffled once.
    fn permutation(&mut self, seed: i64) -> Vec<CandidateIdx> {
        if let Some(order) = &self.permutation {
            return order.clone();
        }
        let all: Vec<CandidateIdx> = (0..self.names.len() as CandidateIdx)
            .filter(|&c| Some(c) != self.rules.undeclared_write_in)
            .collect();
        let mut order = self.by_java_name(&all);
        JavaRandom::new(seed).shuffle(&mut order);
        self.permutation = Some(order.clone());
        order
    }

    fn needs_operator(&self, tied: &[CandidateIdx], electing: bool, round: u32) -> RcvError {
        RcvError::TieNeedsOperator {
            round,
            electing,
            tied: tied
                .iter()
                .map(|&c| self.names[c as usize].clone())
                .collect(),
        }
    }

    /// RCTab's `previousRoundCountsThenRandom` (`Tiebreak.doPreviousRounds`):
    /// from the latest earlier round back, keep the tied candidates with the
    /// fewest (eliminating) or most (electing) votes, until one is left: `Ok`
    /// with it and the round that decided. Still tied in every earlier round:
    /// `Err` with those still in contention, in the order RCTab draws from —
    /// sorted by name when there was no earlier round, else the iteration order
    /// of the `java.util.HashSet` RCTab regroups them through each round.
    fn previous_rounds(
        &self,
        tied: &[CandidateIdx],
        electing: bool,
        rounds: &[Round<CandidateIdx, u128>],
    ) -> Result<(CandidateIdx, u32), Vec<CandidateIdx>> {
        let mut contention = self.by_java_name(tied);
        for r in rounds.iter().rev() {
            let votes = |c: CandidateIdx| r.votes_of(&c).unwrap_or(0);
            let order = java_hash_set_order(&contention, self.names);
            let best = if electing {
                order.iter().map(|&c| votes(c)).max()
            } else {
                order.iter().map(|&c| votes(c)).min()
            };
            let Some(best) = best else { break };
            contention = order.into_iter().filter(|&c| votes(c) == best).collect();
            if contention.len() == 1 {
                return Ok((contention[0], r.round));
            }
        }
        Err(contention)
    }

    /// `tied` sorted as Java sorts the names (`Collections.sort` on `String`:
    /// UTF-16 code units), candidate number breaking equal names.
    fn by_java_name(&self, tied: &[CandidateIdx]) -> Vec<CandidateIdx> {
        let mut sorted = tied.to_vec();
        sorted.sort_by(|&a, &b| {
            let (x, y) = (&self.names[a as usize], &self.names[b as usize]);
            x.encode_utf16().cmp(y.encode_utf16()).then(a.cmp(&b))
        });
        sorted
    }

    /// RCTab's `Tiebreak.doRandom`: index `floor(nextDouble() × n)` of `ordered`,
    /// with one `java.util.Random(seed)` for the whole count.
    fn random_choice(&mut self, ordered: &[CandidateIdx]) -> CandidateIdx {
        let seed = match self.rules.tie_break {
            TieBreakMode::PreviousRoundsThenRandom { seed } | TieBreakMode::Random { seed } => seed,
            _ => 0,
        };
        let random = self.random.get_or_insert_with(|| JavaRandom::new(seed));
        ordered[random.next_index(ordered.len())]
    }
}

#[cfg(test)]
mod tests {
    use super::java_string_cmp;
    use std::cmp::Ordering;

    #[test]
    fn names_compare_by_utf16_code_unit_as_java_does() {
        assert_eq!(java_string_cmp("Amy", "Mia"), Ordering::Less);
        assert_eq!(java_string_cmp("Mia", "Mia"), Ordering::Equal);
        // U+1F600 is the surrogate pair D83D DE00 in UTF-16, below U+FFFD:
        // Java puts it first, Rust's `str` order last.
        assert!("\u{1F600}" > "\u{FFFD}");
        assert_eq!(java_string_cmp("\u{1F600}", "\u{FFFD}"), Ordering::Less);
    }
}
