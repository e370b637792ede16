//! The lot: how ties that the counts cannot break are broken, reproducibly.
//!
//! Before a count, the engine draws a random order of all candidates (the *lot
//! order*) from the 64-bit seed (the API passes the first 8 bytes of the contest
//! UUID, big-endian):
//!
//! 1. A SplitMix64 generator (Steele, Lea & Flood, "Fast splittable pseudorandom
//!    number generators", OOPSLA 2014; Vigna's reference `splitmix64.c`) starts
//!    with `state = seed`. Each draw does, in wrapping 64-bit arithmetic:
//!    `state += 0x9E3779B97F4A7C15; z = state;`
//!    `z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9;`
//!    `z = (z ^ (z >> 27)) * 0x94D049BB133111EB;` and returns `z ^ (z >> 31)`.
//! 2. Start from the candidates in election order `[0, 1, …, n−1]`; for `i` from
//!    `n−1` down to `1`: draw `r`, let `j = r mod (i + 1)`, swap positions `i`
//!    and `j` (Fisher–Yates).
//!
//! The result, first to last, is the lot order: among tied candidates the one
//! earlier in it is favoured (elected, ranked higher, kept); the one latest in it
//! is eliminated. For seed 0 and 4 candidates the lot order is computed by
//! [`lot_order`]; its test pins a few values so any re-implementation can check
//! itself.
//!
//! Round-based methods (IRV, STV) first look at earlier rounds, most recent
//! first: the candidate with more votes in the latest round where the tied
//! candidates' votes differed is favoured. Only candidates equal in every
//! earlier round go to the lot.

use super::report::{DecidedBy, TieBreak, TiePurpose};
use super::types::CandidateIdx;

/// The SplitMix64 generator described in the module docs.
#[derive(Debug, Clone)]
pub struct SplitMix64 {
    state: u64,
}

impl SplitMix64 {
    pub fn new(seed: u64) -> Self {
        SplitMix64 { state: seed }
    }

    pub fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
}

/// The lot order of `n` candidates for `seed` (module docs), most favoured first.
pub fn lot_order(seed: u64, n: usize) -> Vec<CandidateIdx> {
    let mut order: Vec<CandidateIdx> = (0..n as CandidateIdx).collect();
    let mut rng = SplitMix64::new(seed);
    for i in (1..n).rev() {
        let j = (rng.next_u64() % (i as u64 + 1)) as usize;
        order.swap(i, j);
    }
    order
}

/// Breaks ties and keeps the log.
#[derive(Debug)]
pub(crate) struct Ties {
    /// `position[c]`: candidate c's place in the lot order (0 = most favoured).
    position: Vec<usize>,
    pub log: Vec<TieBreak<CandidateIdx>>,
}

impl Ties {
    pub fn new(seed: u64, n: usize) -> Self {
        let mut position = vec![0; n];
        for (p, &c) in lot_order(seed, n).iter().enumerate() {
            position[c as usize] = p;
        }
        Ties {
            position,
            log: Vec::new(),
        }
    }

    /// Lot position of a candidate (0 = most favoured).
    pub fn position(&self, c: CandidateIdx) -> usize {
        self.position[c as usize]
    }

    /// Orders `tied` most favoured first: by the earlier rounds' counts in
    /// `history` (indexed `[round][candidate]`, most recent round looked at first,
    /// more votes favoured), then by the lot. Logs the tie and returns the order.
    /// `decisive_last`: whether the decision that matters is the last place
    /// (elimination) rather than the first.
    pub fn order(
        &mut self,
        tied: &[CandidateIdx],
        history: &[Vec<u128>],
        purpose: TiePurpose,
        round: Option<u32>,
        decisive_last: bool,
    ) -> Vec<CandidateIdx> {
        let mut order = tied.to_vec();
        if order.len() < 2 {
            return order;
        }
        let cmp_rounds = |a: CandidateIdx, b: CandidateIdx| -> (std::cmp::Ordering, Option<u32>) {
            for (r, counts) in history.iter().enumerate().rev() {
                let (va, vb) = (counts[a as usize], counts[b as usize]);
                if va != vb {
                    return (vb.cmp(&va), Some(r as u32 + 1));
                }
            }
            (std::cmp::Ordering::Equal, None)
        };
        order.sort_by(|&a, &b| {
            cmp_rounds(a, b)
                .0
                .then(self.position[a as usize].cmp(&self.position[b as usize]))
        });
        let (x, y) = if decisive_last {
            (order[order.len() - 1], order[order.len() - 2])
        } else {
            (order[0], order[1])
        };
        let decided_by = match cmp_rounds(x, y).1 {
            Some(round) => DecidedBy::EarlierRound { round },
            None => DecidedBy::Lot,
        };
        let mut sorted = tied.to_vec();
        sorted.sort_unstable();
        self.log.push(TieBreak {
            round,
            purpose,
            tied: sorted,
            order: order.clone(),
            decided_by,
        });
        order
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splitmix64_matches_reference_values() {
        // First outputs of Vigna's splitmix64.c seeded with 0 (also used by
        // many test suites, e.g. the `rand_xoshiro` crate's SplitMix64 tests).
        let mut r = SplitMix64::new(0);
        assert_eq!(r.next_u64(), 0xE220_A839_7B1D_CDAF);
        assert_eq!(r.next_u64(), 0x6E78_9E6A_A1B9_65F4);
        assert_eq!(r.next_u64(), 0x06C4_5D18_8009_454F);
    }

    #[test]
    fn lot_order_is_a_permutation_and_reproducible() {
        for n in 0..20 {
            let mut o = lot_order(42, n);
            assert_eq!(o, lot_order(42, n));
            o.sort_unstable();
            assert_eq!(o, (0..n as u32).collect::<Vec<_>>());
        }
        assert_ne!(lot_order(1, 10), lot_order(2, 10));
    }
}
