//! What every ballot-file reader gives back, and how it reports errors and
//! progress.

use std::fmt;

use crate::tally::Election;

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

/// Reports progress: called now and then with the number of bytes read so far.
pub type Progress<'a> = &'a mut dyn FnMut(usize);
