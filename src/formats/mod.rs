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
pub mod json;
pub mod preflib;
pub mod rctab_config;
pub mod rctab_csv;
pub mod read_error;
pub mod urcvt;

use std::collections::HashMap;
use std::fmt;
use std::str::FromStr;

use crate::tally::{Ballot, CandidateIdx, Election};

pub use self::csv::{ballot_digest, csv_header, csv_rank_columns, write_canonical_csv, CsvBallot};
pub use self::read_error::{Location, ReadError};

/// A ballot file's contents.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ElectionFile {
    pub election: Election,
    /// The title, where the format has one.
    pub title: Option<String>,
    /// Seats to fill, where the format says (BLT).
    pub seats: Option<u32>,
}

/// A file that cannot be read: where and what was expected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FormatError {
    /// 1-based line number (0 when the error concerns the whole file).
    pub line: usize,
    pub message: String,
}

impl FormatError {
    pub fn new(line: usize, message: impl Into<String>) -> Self {
        FormatError {
            line,
            message: message.into(),
        }
    }
}

impl fmt::Display for FormatError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line == 0 {
            f.write_str(&self.message)
        } else {
            write!(f, "line {}: {}", self.line, self.message)
        }
    }
}

impl std::error::Error for FormatError {}

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

/// Reports progress: called now and then with the number of bytes read so far.
pub type Progress<'a> = &'a mut dyn FnMut(usize);

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

/// A fast non-cryptographic hasher (the multiply-rotate scheme of rustc's
/// FxHasher) for grouping ballots while reading a file. Group order never
/// depends on it (groups keep first-appearance order); a file crafted for
/// collisions can only make reading slower.
#[derive(Default, Clone, Copy)]
pub(crate) struct FastHasher(u64);

impl std::hash::Hasher for FastHasher {
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            let mut w = [0u8; 8];
            w.copy_from_slice(c);
            self.add(u64::from_le_bytes(w));
        }
        for &b in chunks.remainder() {
            self.add(b as u64);
        }
    }
    fn write_usize(&mut self, n: usize) {
        self.add(n as u64);
    }
    fn finish(&self) -> u64 {
        self.0
    }
}

impl FastHasher {
    fn add(&mut self, w: u64) {
        self.0 = (self.0.rotate_left(5) ^ w).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }
}

type FastMap<K, V> = HashMap<K, V, std::hash::BuildHasherDefault<FastHasher>>;

/// Separates rank slots in a [`Grouper`] key.
const SLOT_END: u32 = u32::MAX;

/// Groups identical ballots while a file is read. Groups keep the order in which
/// each ranking first appears, so the result does not depend on hashing.
#[derive(Default)]
pub(crate) struct Grouper {
    index: FastMap<Vec<u32>, usize>,
    ballots: Vec<Ballot>,
    key: Vec<u32>,
    /// Per candidate: the last ballot (`stamp`) it was seen on.
    seen: Vec<usize>,
    stamp: usize,
}

impl Grouper {
    pub fn new(candidates: usize) -> Self {
        Grouper {
            seen: vec![usize::MAX; candidates],
            ..Grouper::default()
        }
    }

    /// Starts a ballot.
    pub fn begin(&mut self) {
        self.key.clear();
        self.stamp = self.stamp.wrapping_add(1);
    }

    /// Adds a candidate to the current rank. Errors with the candidate's number
    /// if it is unknown or already on this ballot.
    pub fn push(&mut self, c: CandidateIdx) -> Result<(), BallotError> {
        let s = self
            .seen
            .get_mut(c as usize)
            .ok_or(BallotError::Unknown(c))?;
        if *s == self.stamp {
            return Err(BallotError::Repeated(c));
        }
        *s = self.stamp;
        self.key.push(c);
        Ok(())
    }

    /// Ends the current rank (an empty rank is a skipped rank).
    pub fn end_rank(&mut self) {
        self.key.push(SLOT_END);
    }

    /// Ends the ballot, adding `count` copies. Errors if the total overflows.
    pub fn finish(&mut self, count: u64) -> Result<(), BallotError> {
        // Trailing skipped ranks carry nothing: drop them so equal ballots group.
        while self.key.len() >= 2
            && self.key[self.key.len() - 1] == SLOT_END
            && self.key[self.key.len() - 2] == SLOT_END
        {
            self.key.pop();
        }
        if self.key == [SLOT_END] {
            self.key.clear();
        }
        if let Some(&g) = self.index.get(self.key.as_slice()) {
            let b = &mut self.ballots[g];
            b.count = b.count.checked_add(count).ok_or(BallotError::TooMany)?;
            return Ok(());
        }
        let mut ranks = Vec::new();
        let mut slot = Vec::new();
        for &c in &self.key {
            if c == SLOT_END {
                ranks.push(std::mem::take(&mut slot));
            } else {
                slot.push(c);
            }
        }
        self.index.insert(self.key.clone(), self.ballots.len());
        self.ballots.push(Ballot { ranks, count });
        Ok(())
    }

    pub fn into_ballots(self) -> Vec<Ballot> {
        self.ballots
    }
}

/// Why a ballot was refused by [`Grouper`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum BallotError {
    Unknown(CandidateIdx),
    Repeated(CandidateIdx),
    TooMany,
}

impl BallotError {
    /// The message, naming candidates by their 1-based number in the file.
    pub fn message(self, names: &[String]) -> String {
        match self {
            BallotError::Unknown(c) => format!(
                "expected a candidate number from 1 to {}, found {}",
                names.len(),
                c as u64 + 1
            ),
            BallotError::Repeated(c) => format!(
                "candidate {} ({}) is ranked more than once on this ballot",
                c + 1,
                names.get(c as usize).map(String::as_str).unwrap_or("?")
            ),
            BallotError::TooMany => "the ballot counts add up to more than 2^64".to_string(),
        }
    }
}

/// Parses a positive ballot count.
pub(crate) fn parse_count(s: &str) -> Result<u64, String> {
    let s = s.trim();
    match s.parse::<u64>() {
        Ok(0) => Err("expected a positive ballot count, found 0".to_string()),
        Ok(n) => Ok(n),
        Err(_) if s.starts_with('-') => Err(format!(
            "expected a positive ballot count, found the negative {s:?}"
        )),
        Err(_) => Err(format!(
            "expected a positive whole ballot count, found {s:?}"
        )),
    }
}

/// Iterates lines with their 1-based numbers and byte offsets (of the line end),
/// accepting `\n` and `\r\n`.
pub(crate) fn numbered_lines(text: &str) -> impl Iterator<Item = (usize, &str, usize)> {
    let mut offset = 0;
    text.split_inclusive('\n').enumerate().map(move |(i, raw)| {
        offset += raw.len();
        let line = raw.strip_suffix('\n').unwrap_or(raw);
        let line = line.strip_suffix('\r').unwrap_or(line);
        (i + 1, line, offset)
    })
}
