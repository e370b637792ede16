//! The ballots as the counting methods read them: flat arrays built once per
//! count, instead of [`Ballot`]'s vector per rank.
//!
//! A count reads every ballot several times (validation and the pairwise
//! matrix, then the method). Following a `Vec` per rank costs a cache miss per
//! rank on a million ballots; here the candidates of all ballots sit in one
//! array, ballot after ballot. (IRV and STV read their own flat form, with
//! skipped ranks kept: `tally::rcv`'s ballot marks.)

#[cfg(doc)]
use super::types::Ballot;
use super::types::CandidateIdx;

/// Set on a candidate in [`Flat::items`] that shares the rank of the candidate
/// before it (a tie; an overvote for plurality).
pub(crate) const TIED: u32 = 1 << 31;

/// Most candidates a count accepts: candidate numbers must leave [`TIED`] free.
pub(crate) const MAX_CANDIDATES: usize = TIED as usize;

/// Ballot groups with a positive count and at least one candidate, in election
/// order. Withdrawn candidates and empty (skipped) ranks are left out: no
/// method of the engine's own rules counts them. A group naming only withdrawn
/// candidates is kept, with no items.
pub(crate) struct Flat {
    /// Every group's candidates, best rank first; a rank of several candidates
    /// is its first candidate followed by the others with [`TIED`] set.
    items: Vec<u32>,
    /// Group g's items are `items[start[g]..start[g + 1]]`.
    start: Vec<usize>,
    /// Ballots in each group.
    count: Vec<u64>,
}

impl Flat {
    pub fn with_capacity(groups: usize) -> Self {
        let mut start = Vec::with_capacity(groups + 1);
        start.push(0);
        Flat {
            items: Vec::with_capacity(groups * 4),
            start,
            count: Vec::with_capacity(groups),
        }
    }

    /// Where the group being built starts (see [`Flat::discard`]).
    pub fn mark(&self) -> usize {
        self.items.len()
    }

    /// Adds a candidate to the group being built: at a new rank, or `tied` with
    /// the candidate before.
    pub fn push(&mut self, c: CandidateIdx, tied: bool) {
        if tied {
            self.items.push(c | TIED);
        } else {
            self.items.push(c);
        }
    }

    /// The items of the group being built, which started at `mark`.
    pub fn current(&self, mark: usize) -> &[u32] {
        &self.items[mark..]
    }

    /// Ends the group being built.
    pub fn finish(&mut self, count: u64) {
        self.start.push(self.items.len());
        self.count.push(count);
    }

    /// Drops the group being built.
    pub fn discard(&mut self, mark: usize) {
        self.items.truncate(mark);
    }

    /// Number of groups.
    pub fn len(&self) -> usize {
        self.count.len()
    }

    /// Group g's items.
    pub fn items(&self, g: usize) -> &[u32] {
        &self.items[self.start[g]..self.start[g + 1]]
    }

    /// Ballots in group g.
    pub fn count(&self, g: usize) -> u64 {
        self.count[g]
    }
}
