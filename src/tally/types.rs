//! Input types shared by every counting method and by the file formats.

use serde::{Deserialize, Serialize};

/// A candidate's number: its 0-based index in [`Election::candidates`].
pub type CandidateIdx = u32;

/// One group of identical ballots.
///
/// `ranks[0]` is the first preference. A rank slot normally holds exactly one
/// candidate; an empty slot is a skipped rank, and a slot with several candidates
/// is a tie (Condorcet methods, Borda) or an overvote (IRV, STV). Candidates not
/// named anywhere count as ranked below every ranked one.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Ballot {
    pub ranks: Vec<Vec<CandidateIdx>>,
    pub count: u64,
}

impl Ballot {
    /// A strict ranking (one candidate per rank) with a count.
    pub fn strict(order: &[CandidateIdx], count: u64) -> Self {
        Ballot {
            ranks: order.iter().map(|&c| vec![c]).collect(),
            count,
        }
    }
}

/// Candidates and grouped ballots: everything a count needs besides the rules.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Election {
    /// Display names; a candidate's number is its index here.
    pub candidates: Vec<String>,
    /// Candidates withdrawn before the count (BLT `-n` lines): never elected,
    /// skipped on every ballot as if not there.
    #[serde(default)]
    pub withdrawn: Vec<CandidateIdx>,
    pub ballots: Vec<Ballot>,
}
