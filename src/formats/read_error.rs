//! The error every reader of this module returns: where in the input, and what was
//! expected there.

use std::fmt;

/// Where in the input a problem was found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    /// A 1-based line number.
    Line(usize),
    /// A 1-based line and a 1-based column (a CSV field or a JSON character).
    Cell { line: usize, column: usize },
    /// A path into a JSON document, such as `$.CVR[3].CVRSnapshot[0]`.
    JsonPath(String),
    /// The input as a whole (empty file, missing section).
    Input,
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Location::Line(line) => write!(f, "line {line}"),
            Location::Cell { line, column } => write!(f, "line {line}, column {column}"),
            Location::JsonPath(path) => write!(f, "at {path}"),
            Location::Input => write!(f, "input"),
        }
    }
}

/// A file that could not be read: nothing of it is returned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReadError {
    /// Which format was being read (`"NIST CDF JSON"`, `"Debian tally sheet"`, ...).
    pub format: &'static str,
    pub location: Location,
    /// What was wrong, phrased as what was expected and what was found.
    pub message: String,
}

impl ReadError {
    pub(crate) fn new(
        format: &'static str,
        location: Location,
        message: impl Into<String>,
    ) -> Self {
        ReadError {
            format,
            location,
            message: message.into(),
        }
    }

    /// The 1-based line number, where the error has one.
    pub fn line(&self) -> Option<usize> {
        match self.location {
            Location::Line(line) | Location::Cell { line, .. } => Some(line),
            _ => None,
        }
    }
}

impl fmt::Display for ReadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}: {}", self.format, self.location, self.message)
    }
}

impl std::error::Error for ReadError {}

/// Turns a serde_json syntax error into a located [`ReadError`].
pub(crate) fn json_syntax(format: &'static str, err: &serde_json::Error) -> ReadError {
    ReadError::new(
        format,
        Location::Cell {
            line: err.line(),
            column: err.column(),
        },
        format!("not valid JSON: {err}"),
    )
}
