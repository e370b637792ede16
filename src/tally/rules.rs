//! The rules of a count as the API shows them ([`Rules`], in every report's
//! `rules`): docs/ARCHITECTURE.md's defaults for IRV and STV, RCTab's rule
//! options when given, and the seats and seed.
//!
//! [`Rules`] is the API's view; its fields hold the engine's own types
//! (`tally::rcv`'s [`OvervoteRule`] and [`ThresholdRule`]), written under the
//! API's names (module `api_names`), so the JSON keeps its shape. The engine
//! counts API contests by `RcvRules::christen`, built from these fields.

use serde::{Deserialize, Serialize};

use super::rcv::{OvervoteRule, RcvRules, ThresholdRule};
#[cfg(doc)]
use super::votes::VOTE_DECIMALS;

/// Counting rules of IRV and STV. `Default` is docs/ARCHITECTURE.md's behaviour; every
/// field is optional in JSON (missing = default), so rule sets can grow.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(default)]
pub struct Rules {
    /// What a rank holding several continuing candidates does. The API's
    /// `exhaust_immediately` (the default) is docs/ARCHITECTURE.md's rule: a
    /// tie at the ballot's highest continuing rank is an overvote, and the
    /// ballot is exhausted there; a rank whose candidates are all eliminated is
    /// passed over like a skipped rank. That is RCTab's
    /// `exhaustIfMultipleContinuing`, [`OvervoteRule::ExhaustIfMultipleContinuing`].
    #[serde(with = "api_names::overvote")]
    pub overvote: OvervoteRule,
    /// Skipped ranks allowed between two marks; `None` (JSON `"skip"`, the
    /// default): any number, passed over.
    #[serde(with = "api_names::skipped_ranks")]
    pub skipped_ranks: Option<u32>,
    /// The STV quota; the default [`ThresholdRule::DroopWhole`] is JSON
    /// `"droop"`: `floor(valid first preferences / (seats + 1)) + 1` whole votes.
    #[serde(with = "api_names::quota")]
    pub quota: ThresholdRule,
    /// Decimal places of STV ballot values; every transfer truncates to them
    /// (Scottish rules: 5). At most [`VOTE_DECIMALS`].
    pub decimals: u32,
    /// RCTab's rule options for IRV and STV (overvote rule, skipped and repeated
    /// rankings, batch elimination, thresholds, tie-break modes …), with RCTab's
    /// meaning: see `tally::rcv`. `None` (the default, and every API contest): the
    /// docs/ARCHITECTURE.md rules above, counted as `RcvRules::christen`. When
    /// set, IRV and STV count by these and the fields above are not used.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rcv: Option<RcvRules>,
}

impl Default for Rules {
    fn default() -> Self {
        Rules {
            overvote: OvervoteRule::ExhaustIfMultipleContinuing,
            skipped_ranks: None,
            quota: ThresholdRule::DroopWhole,
            decimals: 5,
            rcv: None,
        }
    }
}

/// The API's names of the engine's rule values in [`Rules`].
mod api_names {
    use serde::de::Error as _;
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    /// Reads a name, or anything else `other` reads.
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum NameOr<T> {
        Name(String),
        Other(T),
    }

    /// The API's names of `OvervoteRule`: `exhaust_immediately` is
    /// `ExhaustIfMultipleContinuing` (the API's rule since its first version);
    /// RCTab's `exhaustImmediately` (exhausting even when all but one of the
    /// rank's candidates are eliminated) is `exhaust_at_any_overvote`.
    pub mod overvote {
        use super::*;
        use crate::tally::rcv::OvervoteRule;

        const NAMES: [(&str, OvervoteRule); 3] = [
            (
                "exhaust_immediately",
                OvervoteRule::ExhaustIfMultipleContinuing,
            ),
            ("exhaust_at_any_overvote", OvervoteRule::ExhaustImmediately),
            (
                "always_skip_to_next_rank",
                OvervoteRule::AlwaysSkipToNextRank,
            ),
        ];

        pub fn serialize<S: Serializer>(rule: &OvervoteRule, s: S) -> Result<S::Ok, S::Error> {
            let name = NAMES.iter().find(|(_, r)| r == rule).map_or("", |(n, _)| n);
            name.serialize(s)
        }

        pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<OvervoteRule, D::Error> {
            let name = String::deserialize(d)?;
            NAMES
                .iter()
                .find(|(n, _)| *n == name)
                .map(|&(_, r)| r)
                .ok_or_else(|| D::Error::custom(format!("unknown overvote rule {name:?}")))
        }
    }

    /// `None` is `"skip"` (every skipped rank passed over); `Some(k)` the number k.
    pub mod skipped_ranks {
        use super::*;

        pub fn serialize<S: Serializer>(rule: &Option<u32>, s: S) -> Result<S::Ok, S::Error> {
            match rule {
                None => "skip".serialize(s),
                Some(k) => k.serialize(s),
            }
        }

        pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u32>, D::Error> {
            match NameOr::<u32>::deserialize(d)? {
                NameOr::Name(n) if n == "skip" => Ok(None),
                NameOr::Name(n) => Err(D::Error::custom(format!(
                    "unknown skipped-ranks rule {n:?}"
                ))),
                NameOr::Other(k) => Ok(Some(k)),
            }
        }
    }

    /// `DroopWhole` is `"droop"`; the others keep the engine's names.
    pub mod quota {
        use super::*;
        use crate::tally::rcv::ThresholdRule;

        pub fn serialize<S: Serializer>(rule: &ThresholdRule, s: S) -> Result<S::Ok, S::Error> {
            match rule {
                ThresholdRule::DroopWhole => "droop".serialize(s),
                other => other.serialize(s),
            }
        }

        pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<ThresholdRule, D::Error> {
            let name = String::deserialize(d)?;
            if name == "droop" {
                return Ok(ThresholdRule::DroopWhole);
            }
            ThresholdRule::deserialize(serde::de::value::StringDeserializer::<D::Error>::new(name))
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
