//! Grouping identical ballots while a file is read.
//!
//! A million-ballot file holds far fewer distinct rankings. Each ballot is
//! encoded as a short key of `u32`s and looked up in an open-addressing table
//! whose keys all live in one array; a [`Ballot`] is built only once per
//! distinct ranking, at the end. Groups keep the order in which each ranking
//! first appears, so the result never depends on hashing (a file crafted for
//! collisions can only make reading slower).

use crate::tally::{Ballot, CandidateIdx};

/// In a key: set on a candidate that shares the rank of the one before it.
pub(crate) const TIED: u32 = 1 << 31;
/// In a key: an empty (skipped) rank.
pub(crate) const EMPTY_RANK: u32 = u32::MAX;

/// Groups identical ballots. A ballot is given rank by rank: [`Grouper::begin`],
/// then [`Grouper::push`] for each candidate of a rank and [`Grouper::end_rank`]
/// after each rank, then [`Grouper::finish`] with its count.
///
/// The key of a ballot lists its ranks in order: a rank's first candidate as
/// is, the others of the rank with [`TIED`] set, an empty rank as
/// [`EMPTY_RANK`]. Trailing empty ranks say nothing and are dropped, so equal
/// ballots group.
pub(crate) struct Grouper {
    table: Table,
    key: Vec<u32>,
    /// Whether the current rank has a candidate yet.
    in_rank: bool,
    /// Per candidate: the last ballot (`stamp`) it was seen on.
    seen: Vec<usize>,
    stamp: usize,
}

impl Grouper {
    /// A grouper for ballots over `candidates` candidates (numbers `0..candidates`).
    pub fn new(candidates: usize) -> Self {
        Grouper {
            table: Table::new(),
            key: Vec::new(),
            in_rank: false,
            seen: vec![usize::MAX; candidates],
            stamp: 0,
        }
    }

    /// Starts a ballot.
    pub fn begin(&mut self) {
        self.key.clear();
        self.in_rank = false;
        self.stamp = self.stamp.wrapping_add(1);
    }

    /// Adds a candidate to the current rank. Errors with the candidate's number
    /// if it is unknown or already on this ballot.
    pub fn push(&mut self, c: CandidateIdx) -> Result<(), BallotError> {
        let s = self
            .seen
            .get_mut(c as usize)
            .filter(|_| c < TIED - 1)
            .ok_or(BallotError::Unknown(c))?;
        if *s == self.stamp {
            return Err(BallotError::Repeated(c));
        }
        *s = self.stamp;
        self.key.push(if self.in_rank { c | TIED } else { c });
        self.in_rank = true;
        Ok(())
    }

    /// Ends the current rank (an empty rank is a skipped rank).
    pub fn end_rank(&mut self) {
        if !self.in_rank {
            self.key.push(EMPTY_RANK);
        }
        self.in_rank = false;
    }

    /// Ends the ballot, adding `count` copies. Errors if the total overflows.
    pub fn finish(&mut self, count: u64) -> Result<(), BallotError> {
        // Trailing skipped ranks carry nothing: drop them so equal ballots group.
        while self.key.last() == Some(&EMPTY_RANK) {
            self.key.pop();
        }
        self.table.add(&self.key, count)
    }

    /// Adds `count` copies of a strict ranking (one candidate per rank, no
    /// skipped rank) that the caller has already checked: every candidate
    /// known and none twice.
    pub fn add_strict(&mut self, ranking: &[CandidateIdx], count: u64) -> Result<(), BallotError> {
        debug_assert!(ranking
            .iter()
            .all(|&c| (c as usize) < self.seen.len() && c < TIED));
        self.table.add(ranking, count)
    }

    /// The groups, in order of first appearance.
    pub fn into_ballots(self) -> Vec<Ballot> {
        self.table.into_ballots()
    }
}

/// Why a ballot was refused by [`Grouper`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum BallotError {
    Unknown(CandidateIdx),
    Repeated(CandidateIdx),
    TooMany,
}

impl BallotError {
    /// The message, naming candidates by their 1-based number in the file.
    pub fn message(self, names: &[String]) -> String {
        match self {
            BallotError::Unknown(c) => format!(
                "expected a candidate number from 1 to {}, found {}",
                names.len(),
                c as u64 + 1
            ),
            BallotError::Repeated(c) => format!(
                "expected each candidate at most once on a ballot, found candidate {} ({}) \
                 ranked more than once",
                c + 1,
                names.get(c as usize).map(String::as_str).unwrap_or("?")
            ),
            BallotError::TooMany => {
                "expected ballot counts adding up to less than 2^64, found more".to_string()
            }
        }
    }
}

/// Distinct keys with their counts, and a hash index over them. Keys are
/// encoded as [`Grouper`] describes; the CVR readers' `ElectionBuilder` (cvr.rs) uses the
/// table directly, as it allows a candidate on several ranks.
#[derive(Debug)]
pub(crate) struct Table {
    /// Every group, one after another in order of first appearance: its key's
    /// length, its count (low word, high word), then its key. A lookup that
    /// finds its group reads one place.
    arena: Vec<u32>,
    /// Open addressing, linear probing: 0 for a free slot, else the key's hash
    /// tag (high bits) and the group's offset in `arena` plus one (low
    /// [`OFFSET_BITS`] bits).
    slots: Vec<u64>,
    groups: usize,
}

/// Words of a group's header in [`Table::arena`]: length, count low, count high.
const HEADER: usize = 3;
/// Bits of a slot holding an offset plus one.
const OFFSET_BITS: u32 = 40;
const OFFSET_MASK: u64 = (1 << OFFSET_BITS) - 1;

/// A 64-bit hash of a key: a multiply-rotate pass over the words (as rustc's
/// FxHasher), then MurmurHash3's finaliser so every bit depends on every word.
fn hash(key: &[u32]) -> u64 {
    let mut h = key.len() as u64;
    for &w in key {
        h = (h.rotate_left(5) ^ w as u64).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }
    h ^= h >> 33;
    h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
    h ^= h >> 33;
    h = h.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
    h ^ (h >> 33)
}

/// Equal keys (a plain loop: keys are a few words, shorter than a `memcmp` call).
fn same(a: &[u32], b: &[u32]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x == y)
}

impl Default for Table {
    fn default() -> Self {
        Table::new()
    }
}

impl Table {
    pub(crate) fn new() -> Self {
        Table {
            arena: Vec::new(),
            slots: vec![0; 64],
            groups: 0,
        }
    }

    /// The key of the group at `at`, and where the next group starts.
    fn key_at(&self, at: usize) -> (&[u32], usize) {
        let end = at + HEADER + self.arena[at] as usize;
        (&self.arena[at + HEADER..end], end)
    }

    /// Adds `count` copies of `key`. Errors if the group's count overflows.
    pub(crate) fn add(&mut self, key: &[u32], count: u64) -> Result<(), BallotError> {
        self.add_with(key, count, u64::checked_add)
    }

    /// Adds `count` copies of `key`, a group's count wrapping past 2^64 (as
    /// cvr.rs's `ElectionBuilder` has always added them).
    pub(crate) fn add_wrapping(&mut self, key: &[u32], count: u64) {
        // Only a table past 2^40 words fails: a key is at most a few thousand.
        let _ = self.add_with(key, count, |a, b| Some(a.wrapping_add(b)));
    }

    fn add_with(
        &mut self,
        key: &[u32],
        count: u64,
        sum: impl Fn(u64, u64) -> Option<u64>,
    ) -> Result<(), BallotError> {
        let len = u32::try_from(key.len()).map_err(|_| BallotError::TooMany)?;
        let h = hash(key);
        let tag = h & !OFFSET_MASK;
        let mask = self.slots.len() - 1;
        let mut i = h as usize & mask;
        loop {
            let slot = self.slots[i];
            if slot == 0 {
                break;
            }
            if slot & !OFFSET_MASK == tag {
                let at = (slot & OFFSET_MASK) as usize - 1;
                if same(self.key_at(at).0, key) {
                    let old = self.arena[at + 1] as u64 | (self.arena[at + 2] as u64) << 32;
                    let new = sum(old, count).ok_or(BallotError::TooMany)?;
                    self.arena[at + 1] = new as u32;
                    self.arena[at + 2] = (new >> 32) as u32;
                    return Ok(());
                }
            }
            i = (i + 1) & mask;
        }
        let at = self.arena.len();
        if at as u64 >= OFFSET_MASK - (HEADER + key.len()) as u64 {
            return Err(BallotError::TooMany);
        }
        self.arena
            .extend_from_slice(&[len, count as u32, (count >> 32) as u32]);
        self.arena.extend_from_slice(key);
        self.slots[i] = tag | (at as u64 + 1);
        self.groups += 1;
        if self.groups * 2 > self.slots.len() {
            self.grow();
        }
        Ok(())
    }

    /// Doubles the slots, keeping the load at most one half.
    fn grow(&mut self) {
        let mut slots = vec![0u64; self.slots.len() * 2];
        let mask = slots.len() - 1;
        let mut at = 0;
        while at < self.arena.len() {
            let (key, next) = self.key_at(at);
            let h = hash(key);
            let mut i = h as usize & mask;
            while slots[i] != 0 {
                i = (i + 1) & mask;
            }
            slots[i] = (h & !OFFSET_MASK) | (at as u64 + 1);
            at = next;
        }
        self.slots = slots;
    }

    pub(crate) fn into_ballots(self) -> Vec<Ballot> {
        let mut out = Vec::with_capacity(self.groups);
        let mut at = 0;
        while at < self.arena.len() {
            let (key, next) = self.key_at(at);
            let count = self.arena[at + 1] as u64 | (self.arena[at + 2] as u64) << 32;
            let mut ranks: Vec<Vec<CandidateIdx>> = Vec::with_capacity(
                key.iter()
                    .filter(|&&w| w & TIED == 0 || w == EMPTY_RANK)
                    .count(),
            );
            for &w in key {
                if w == EMPTY_RANK {
                    ranks.push(Vec::new());
                } else if w & TIED != 0 {
                    if let Some(rank) = ranks.last_mut() {
                        rank.push(w & !TIED);
                    }
                } else {
                    ranks.push(vec![w]);
                }
            }
            out.push(Ballot { ranks, count });
            at = next;
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ballot(g: &mut Grouper, ranks: &[&[u32]], count: u64) -> Result<(), BallotError> {
        g.begin();
        for rank in ranks {
            for &c in *rank {
                g.push(c)?;
            }
            g.end_rank();
        }
        g.finish(count)
    }

    #[test]
    fn groups_in_order_of_first_appearance() {
        let mut g = Grouper::new(4);
        ballot(&mut g, &[&[1], &[0]], 1).unwrap();
        ballot(&mut g, &[&[2, 3], &[], &[0]], 2).unwrap();
        ballot(&mut g, &[&[1], &[0], &[], &[]], 3).unwrap();
        ballot(&mut g, &[&[], &[]], 1).unwrap();
        g.add_strict(&[1, 0], 1).unwrap();
        ballot(&mut g, &[], 1).unwrap();
        ballot(&mut g, &[&[2], &[3], &[0]], 1).unwrap();
        let b = g.into_ballots();
        assert_eq!(
            b,
            vec![
                Ballot {
                    ranks: vec![vec![1], vec![0]],
                    count: 5
                },
                Ballot {
                    ranks: vec![vec![2, 3], vec![], vec![0]],
                    count: 2
                },
                Ballot {
                    ranks: vec![],
                    count: 2
                },
                Ballot::strict(&[2, 3, 0], 1),
            ]
        );
    }

    #[test]
    fn refuses_unknown_and_repeated_candidates_and_overflow() {
        let mut g = Grouper::new(2);
        assert_eq!(ballot(&mut g, &[&[2]], 1), Err(BallotError::Unknown(2)));
        assert_eq!(
            ballot(&mut g, &[&[1], &[1]], 1),
            Err(BallotError::Repeated(1))
        );
        ballot(&mut g, &[&[1]], u64::MAX).unwrap();
        assert_eq!(ballot(&mut g, &[&[1]], 1), Err(BallotError::TooMany));
    }

    #[test]
    fn many_distinct_rankings_survive_growth() {
        let mut g = Grouper::new(1000);
        for round in 0..3 {
            for a in 0..1000u32 {
                g.add_strict(&[a, (a + 1) % 1000], 1 + round).unwrap();
            }
        }
        let b = g.into_ballots();
        assert_eq!(b.len(), 1000);
        for (a, ballot) in b.iter().enumerate() {
            assert_eq!(
                ballot.ranks,
                vec![vec![a as u32], vec![(a as u32 + 1) % 1000]]
            );
            assert_eq!(ballot.count, 6);
        }
    }
}
