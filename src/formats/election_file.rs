//! What every ballot-file reader gives back, and how it reports progress.
//! Errors are [`super::ReadError`]s.

use crate::tally::rcv::RcvRules;
use crate::tally::Election;

/// A ballot file's contents.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ElectionFile {
    pub election: Election,
    /// The title, where the format has one.
    pub title: Option<String>,
    /// Seats to fill, where the format says (BLT, RCTab `rules`).
    pub seats: Option<u32>,
    /// The counting rules the file carries (a `rules` object in JSON or
    /// RCTab's `ballots.json`), if any.
    pub rules: Option<RcvRules>,
    /// The canonical CSV's `ballot_digest`, for a canonical CSV file.
    pub ballot_digest: Option<String>,
}

impl ElectionFile {
    /// Just the election: no title, seats, rules or digest.
    pub fn of(election: Election) -> Self {
        ElectionFile {
            election,
            title: None,
            seats: None,
            rules: None,
            ballot_digest: None,
        }
    }
}

/// Reports progress: called now and then with the number of bytes read so far.
pub type Progress<'a> = &'a mut dyn FnMut(usize);
