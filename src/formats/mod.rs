//! Ballot file formats read and written by `christen tally` and the ballot export.
//!
//! Readers take the whole text (`&str`; the CLI does the I/O), check everything,
//! and either return a complete [`ElectionFile`] with identical ballots grouped,
//! or a [`FormatError`] naming the 1-based line and what was expected. Unknown
//! candidates, a candidate ranked twice, and zero, negative or non-numeric counts
//! are errors. No partial results.
//!
//! - [`preflib`]: PrefLib `.soc .soi .toc .toi` (current `# ALTERNATIVE NAME i:`
//!   header format, and the older numeric one); [`preflib::write`] writes the
//!   current format.
//! - [`blt`]: the OpenSTV / David Hill BLT format; [`blt::write`] writes it.
//! - [`json`]: `{"candidates": [...], "ballots": [{"ranking": [...], "count": n}]}`.
//! - [`csv`]: Christen canonical CSV, the API's ballot export (reader and writer),
//!   with [`csv::ballot_digest`].
//!
//! Cast vote records and result files of other tabulators (issue 6), each with
//! its own options and a [`ReadError`] giving the line (or JSON path) and what
//! was expected:
//! - [`cdf`]: NIST SP 1500-103 CDF cast vote records, JSON form.
//! - [`rctab_csv`]: RCTab generic CSV and Clear Ballot CSV cast vote records.
//! - [`rctab_config`]: RCTab contest configurations and the RCTab-style
//!   `ballots.json` (rank slots with skips and overvotes, RCTab `rules`).
//! - [`debian`]: Debian vote tally sheets.
//! - [`urcvt`]: the Universal RCV Tabulation JSON summary (writer and reader).

pub mod blt;
pub mod cdf;
pub mod csv;
pub mod cvr;
pub mod debian;
mod election_file;
mod group;
pub mod json;
mod lines;
pub mod preflib;
pub mod rctab_config;
pub mod rctab_csv;
pub mod read_error;
pub mod urcvt;

use std::fmt;
use std::str::FromStr;

pub use self::csv::{ballot_digest, csv_header, csv_rank_columns, write_canonical_csv, CsvBallot};
pub use self::election_file::{ElectionFile, FormatError, Progress};
pub use self::read_error::{Location, ReadError};

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

/// Reads `text` as `format`.
pub fn read(text: &str, format: Format) -> Result<ElectionFile, FormatError> {
    read_with_progress(text, format, &mut |_| {})
}

/// Reads `text` as `format`, calling `progress` with the bytes read so far.
pub fn read_with_progress(
    text: &str,
    format: Format,
    progress: Progress<'_>,
) -> Result<ElectionFile, FormatError> {
    match format {
        Format::Preflib => preflib::read(text, progress),
        Format::Blt => blt::read(text, progress),
        Format::Json => json::read(text),
        Format::Csv => csv::read(text, progress),
    }
}

