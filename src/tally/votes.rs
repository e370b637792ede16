//! Exact vote totals and scores.

use std::fmt;

use serde::de::{self, Deserializer, Visitor};
use serde::{Deserialize, Serialize, Serializer};

/// Decimal places a [`Votes`] value holds.
pub const VOTE_DECIMALS: u32 = 9;
/// Units per whole vote: a [`Votes`] value is an integer number of billionths.
pub const VOTE_SCALE: u128 = 1_000_000_000;

/// A non-negative vote total or score, exact to [`VOTE_DECIMALS`] decimal places.
///
/// Whole numbers of votes (every count except STV transfers, Borda and Copeland
/// half points) are plain integers. STV values are truncated to the rules'
/// `decimals` (5 by default, as in Scottish local elections) and so are exact
/// decimals too. Nothing is ever a binary floating-point number inside the engine.
///
/// **JSON:** a whole value is written as a JSON integer (`3809`); any other value
/// as a JSON number in decimal notation with the fewest digits that read back as
/// the same IEEE double (`123.45678`, `2.5`). For STV values (5 decimal places)
/// below 10^10 votes that text is exactly the decimal value. [`fmt::Display`]
/// gives the exact decimal at any size. Reading accepts integers, numbers and
/// decimal strings.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Votes(u128);

impl Votes {
    /// Zero votes.
    pub const ZERO: Votes = Votes(0);

    /// A value from an integer number of billionths of a vote.
    pub const fn from_units(units: u128) -> Votes {
        Votes(units)
    }

    /// This value in billionths of a vote.
    pub const fn units(self) -> u128 {
        self.0
    }

    /// A whole number of votes.
    pub const fn whole(n: u64) -> Votes {
        Votes(n as u128 * VOTE_SCALE)
    }

    /// A number of half votes (Borda and Copeland half points).
    pub const fn halves(h: u64) -> Votes {
        Votes(h as u128 * (VOTE_SCALE / 2))
    }

    /// Whether this is a whole number of votes.
    pub const fn is_whole(self) -> bool {
        self.0 % VOTE_SCALE == 0
    }

    /// The whole part, fractions dropped.
    pub const fn trunc(self) -> u128 {
        self.0 / VOTE_SCALE
    }

    /// Parses an exact decimal such as `12`, `12.5` or `0.00001`.
    pub fn parse_decimal(s: &str) -> Option<Votes> {
        let (int, frac) = match s.split_once('.') {
            Some((i, f)) => (i, f),
            None => (s, ""),
        };
        if int.is_empty() || !int.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        if !frac.bytes().all(|b| b.is_ascii_digit()) || frac.len() > VOTE_DECIMALS as usize {
            return None;
        }
        if s.contains('.') && frac.is_empty() {
            return None;
        }
        let whole: u128 = int.parse().ok()?;
        let mut f: u128 = if frac.is_empty() {
            0
        } else {
            frac.parse().ok()?
        };
        for _ in frac.len()..VOTE_DECIMALS as usize {
            f *= 10;
        }
        whole.checked_mul(VOTE_SCALE)?.checked_add(f).map(Votes)
    }
}

impl fmt::Display for Votes {
    /// The exact decimal value, without trailing zeros: `3809`, `123.45678`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let whole = self.0 / VOTE_SCALE;
        let frac = self.0 % VOTE_SCALE;
        if frac == 0 {
            return write!(f, "{whole}");
        }
        let digits = format!("{frac:09}");
        write!(f, "{whole}.{}", digits.trim_end_matches('0'))
    }
}

impl Serialize for Votes {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        if self.is_whole() {
            let whole = self.0 / VOTE_SCALE;
            match u64::try_from(whole) {
                Ok(w) => s.serialize_u64(w),
                Err(_) => s.serialize_u128(whole),
            }
        } else {
            // The shortest double that reads back as this decimal (see the type docs).
            let text = self.to_string();
            let x: f64 = text.parse().map_err(serde::ser::Error::custom)?;
            s.serialize_f64(x)
        }
    }
}

impl<'de> Deserialize<'de> for Votes {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Votes, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = Votes;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a non-negative number of votes")
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Votes, E> {
                Ok(Votes::whole(v))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Votes, E> {
                u64::try_from(v)
                    .map(Votes::whole)
                    .map_err(|_| E::custom("votes cannot be negative"))
            }
            fn visit_u128<E: de::Error>(self, v: u128) -> Result<Votes, E> {
                v.checked_mul(VOTE_SCALE)
                    .map(Votes)
                    .ok_or_else(|| E::custom("vote count too large"))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Votes, E> {
                // `{}` on f64 prints the shortest decimal that reads back as `v`.
                let text = format!("{v}");
                Votes::parse_decimal(&text)
                    .ok_or_else(|| E::custom(format!("{v} is not a vote value")))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Votes, E> {
                Votes::parse_decimal(v)
                    .ok_or_else(|| E::custom(format!("{v:?} is not a vote value")))
            }
        }
        d.deserialize_any(V)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_and_json_are_exact_decimals() {
        let v = Votes::from_units(123_456_780_000);
        assert_eq!(v.to_string(), "123.45678");
        assert_eq!(serde_json::to_string(&v).unwrap(), "123.45678");
        assert_eq!(serde_json::to_string(&Votes::whole(3809)).unwrap(), "3809");
        assert_eq!(serde_json::to_string(&Votes::halves(5)).unwrap(), "2.5");
        let back: Votes = serde_json::from_str("123.45678").unwrap();
        assert_eq!(back, v);
        let back: Votes = serde_json::from_str("3809").unwrap();
        assert_eq!(back, Votes::whole(3809));
        assert!(serde_json::from_str::<Votes>("-1").is_err());
    }

    #[test]
    fn parse_decimal_rejects_junk() {
        assert_eq!(
            Votes::parse_decimal("0.00001"),
            Some(Votes::from_units(10_000))
        );
        for bad in ["", ".5", "5.", "1e3", "-1", "1.0000000001", "x"] {
            assert_eq!(Votes::parse_decimal(bad), None, "{bad}");
        }
    }
}
