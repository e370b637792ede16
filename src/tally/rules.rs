//! The rules of a count: docs/ARCHITECTURE.md's defaults for IRV and STV, RCTab's rule
//! options when given, and the seats and seed.

use serde::{Deserialize, Serialize};

use super::rcv_rules::RcvRules;
#[cfg(doc)]
use super::votes::VOTE_DECIMALS;

/// What IRV and STV do with a rank holding several continuing candidates.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OvervoteRule {
    /// docs/ARCHITECTURE.md: a tie at the ballot's highest continuing rank is an overvote;
    /// the ballot is exhausted there (reported as `overvotes`). A rank whose
    /// candidates are all eliminated is passed over like a skipped rank.
    #[default]
    ExhaustImmediately,
}

/// What IRV and STV do with skipped (empty) ranks.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SkippedRankRule {
    /// Skipped ranks are passed over; the next rank counts.
    #[default]
    Skip,
}

/// STV quota.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Quota {
    /// `floor(valid first preferences / (seats + 1)) + 1` whole votes.
    #[default]
    Droop,
}

/// Counting rules of IRV and STV. `Default` is docs/ARCHITECTURE.md's behaviour; every
/// field is optional in JSON (missing = default), so rule sets can grow.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(default)]
pub struct Rules {
    pub overvote: OvervoteRule,
    pub skipped_ranks: SkippedRankRule,
    pub quota: Quota,
    /// Decimal places of STV ballot values; every transfer truncates to them
    /// (Scottish rules: 5). At most [`VOTE_DECIMALS`].
    pub decimals: u32,
    /// RCTab's rule options for IRV and STV (overvote rule, skipped and repeated
    /// rankings, batch elimination, thresholds, tie-break modes …), with RCTab's
    /// meaning: see `tally::rcv`. `None` (the default, and every API contest): the
    /// docs/ARCHITECTURE.md rules above. When set, IRV and STV count by `tally::rcv::count_rcv`
    /// and the fields above are not used.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rcv: Option<RcvRules>,
}

impl Default for Rules {
    fn default() -> Self {
        Rules {
            overvote: OvervoteRule::default(),
            skipped_ranks: SkippedRankRule::default(),
            quota: Quota::default(),
            decimals: 5,
            rcv: None,
        }
    }
}

/// Everything a count needs besides the ballots and the method.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(default)]
pub struct Options {
    /// Seats to fill (at least 1).
    pub seats: u32,
    /// Seed of the tie-break lot (the API: first 8 bytes of the contest UUID,
    /// big-endian).
    pub seed: u64,
    pub rules: Rules,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            seats: 1,
            seed: 0,
            rules: Rules::default(),
        }
    }
}
