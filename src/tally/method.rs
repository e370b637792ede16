//! The counting methods, by name.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// A counting method (JSON and command line: snake_case names).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Method {
    Plurality,
    Irv,
    Stv,
    Schulze,
    RankedPairs,
    Borda,
    Copeland,
}

impl Method {
    /// Every method, in the order docs/ARCHITECTURE.md lists them.
    pub const ALL: [Method; 7] = [
        Method::Plurality,
        Method::Irv,
        Method::Stv,
        Method::Schulze,
        Method::RankedPairs,
        Method::Borda,
        Method::Copeland,
    ];

    /// The snake_case name.
    pub const fn name(self) -> &'static str {
        match self {
            Method::Plurality => "plurality",
            Method::Irv => "irv",
            Method::Stv => "stv",
            Method::Schulze => "schulze",
            Method::RankedPairs => "ranked_pairs",
            Method::Borda => "borda",
            Method::Copeland => "copeland",
        }
    }

    /// Whether the report carries the pairwise matrix.
    pub const fn is_pairwise(self) -> bool {
        matches!(
            self,
            Method::Schulze | Method::RankedPairs | Method::Copeland
        )
    }
}

impl fmt::Display for Method {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// An unknown method name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownMethod(pub String);

impl fmt::Display for UnknownMethod {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<&str> = Method::ALL.iter().map(|m| m.name()).collect();
        write!(
            f,
            "unknown counting method {:?} (expected one of: {})",
            self.0,
            names.join(", ")
        )
    }
}

impl std::error::Error for UnknownMethod {}

impl FromStr for Method {
    type Err = UnknownMethod;

    /// Accepts the snake_case names; `-` may stand for `_`.
    fn from_str(s: &str) -> Result<Method, UnknownMethod> {
        let norm = s.trim().to_ascii_lowercase().replace('-', "_");
        Method::ALL
            .into_iter()
            .find(|m| m.name() == norm)
            .ok_or_else(|| UnknownMethod(s.to_string()))
    }
}
