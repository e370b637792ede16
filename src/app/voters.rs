//! Voters and electorates: who may take part in a contest, and how a voter's
//! identity is obtained.

use std::time::Duration as StdDuration;

/// The rate limit on `POST …/voters` for the open electorate: at most
/// `max_per_window` tokens per contest and client address per fixed window,
/// counted in PostgreSQL so that it holds across instances.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OpenVoterLimit {
    /// Tokens per window; 0 turns the limit off.
    pub max_per_window: u32,
    pub window: StdDuration,
    /// Take the client address from the last `X-Forwarded-For` entry (set only
    /// behind a proxy that appends it); otherwise the peer address.
    pub trust_forwarded_for: bool,
}

impl Default for OpenVoterLimit {
    fn default() -> Self {
        OpenVoterLimit {
            max_per_window: 100,
            window: StdDuration::from_secs(600),
            trust_forwarded_for: false,
        }
    }
}
