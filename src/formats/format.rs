//! The plain ballot formats, by name and extension.

use std::fmt;
use std::str::FromStr;

/// A ballot file format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Format {
    Preflib,
    Blt,
    Json,
    Csv,
}

impl Format {
    pub const fn name(self) -> &'static str {
        match self {
            Format::Preflib => "preflib",
            Format::Blt => "blt",
            Format::Json => "json",
            Format::Csv => "csv",
        }
    }

    /// The format a file name's extension implies, if any.
    pub fn from_extension(path: &str) -> Option<Format> {
        let ext = path.rsplit_once('.')?.1.to_ascii_lowercase();
        match ext.as_str() {
            "soc" | "soi" | "toc" | "toi" => Some(Format::Preflib),
            "blt" | "hil" => Some(Format::Blt),
            "json" => Some(Format::Json),
            "csv" => Some(Format::Csv),
            _ => None,
        }
    }

    /// Guesses the format from the text: `{` JSON, `receipt,` CSV, `#` PrefLib,
    /// a first line of two numbers BLT, of one number old PrefLib.
    pub fn sniff(text: &str) -> Option<Format> {
        let t = text.trim_start();
        if t.starts_with('{') {
            return Some(Format::Json);
        }
        if t.starts_with("receipt,") || t.starts_with("receipt\n") || t.starts_with("\"receipt\"") {
            return Some(Format::Csv);
        }
        if t.starts_with('#') {
            return Some(Format::Preflib);
        }
        let first = t.lines().next()?;
        let nums: Vec<&str> = first.split_whitespace().collect();
        if nums.iter().all(|n| n.parse::<u64>().is_ok()) {
            match nums.len() {
                2 => return Some(Format::Blt),
                1 => return Some(Format::Preflib),
                _ => {}
            }
        }
        None
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Format {
    type Err = String;
    fn from_str(s: &str) -> Result<Format, String> {
        match s.to_ascii_lowercase().as_str() {
            "preflib" => Ok(Format::Preflib),
            "blt" => Ok(Format::Blt),
            "json" => Ok(Format::Json),
            "csv" => Ok(Format::Csv),
            _ => Err(format!(
                "unknown format {s:?} (expected preflib, blt, json or csv)"
            )),
        }
    }
}
