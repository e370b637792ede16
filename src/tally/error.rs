//! Why a count could not be made, and the limits of one count.

use std::fmt;

use super::types::CandidateIdx;

/// Most ballots one count accepts (sum of the groups' counts).
pub const MAX_BALLOTS: u64 = 1_000_000_000_000;
/// Most candidates for methods that build the pairwise matrix (it has n² cells).
pub const MAX_PAIRWISE_CANDIDATES: usize = 1024;

/// Why a count could not be made. Every variant describes bad input; the engine
/// never panics on input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TallyError {
    /// `seats` was 0.
    NoSeats,
    /// A ballot group names a candidate number with no candidate.
    UnknownCandidate {
        ballot: usize,
        candidate: CandidateIdx,
    },
    /// A ballot group ranks a candidate twice.
    DuplicateCandidate {
        ballot: usize,
        candidate: CandidateIdx,
    },
    /// A withdrawn candidate number has no candidate.
    UnknownWithdrawn { candidate: CandidateIdx },
    /// More ballots than [`MAX_BALLOTS`].
    TooManyBallots,
    /// More candidates than [`MAX_PAIRWISE_CANDIDATES`] for a pairwise method.
    TooManyCandidates { candidates: usize, max: usize },
    /// Rules out of range.
    InvalidRules(String),
}

impl fmt::Display for TallyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TallyError::NoSeats => f.write_str("seats must be at least 1"),
            TallyError::UnknownCandidate { ballot, candidate } => write!(
                f,
                "ballot group {} names candidate number {candidate}, which does not exist",
                ballot + 1
            ),
            TallyError::DuplicateCandidate { ballot, candidate } => write!(
                f,
                "ballot group {} ranks candidate number {candidate} more than once",
                ballot + 1
            ),
            TallyError::UnknownWithdrawn { candidate } => {
                write!(f, "withdrawn candidate number {candidate} does not exist")
            }
            TallyError::TooManyBallots => {
                write!(f, "more than {MAX_BALLOTS} ballots in one count")
            }
            TallyError::TooManyCandidates { candidates, max } => write!(
                f,
                "{candidates} candidates is more than this method handles ({max})"
            ),
            TallyError::InvalidRules(msg) => write!(f, "invalid rules: {msg}"),
        }
    }
}

impl std::error::Error for TallyError {}
