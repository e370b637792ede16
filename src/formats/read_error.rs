//! The one error every reader of this module returns: which file, where in it,
//! and what was expected there (and what was found).
//!
//! A reader builds it with the format's name and the location; the entry point
//! ([`super::read`]) adds the file it was reading (a path, or "standard
//! input"), so the message prints as `ballots.csv line 12, column 3: expected
//! a candidate name, found "Bob "`. Errors inside a folder (a Dominion export,
//! a Hart folder) carry the file in the folder, and the folder is put in front.

use std::fmt;

/// Where in the input a problem was found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    /// A 1-based line number.
    Line(usize),
    /// A 1-based line and a 1-based column (a CSV field or a JSON character).
    /// XML readers give the line of the element; folder formats the file in
    /// the folder ([`ReadError::file`]) and the place in it.
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
            Location::Input => Ok(()),
        }
    }
}

/// A file that could not be read: nothing of it is returned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReadError {
    /// Which format was being read (`"NIST CDF JSON"`, `"Debian tally sheet"`, ...).
    pub format: &'static str,
    /// The file read: its path, `standard input`, or a file inside a folder
    /// source. `None` only for text handed to a reader directly.
    pub file: Option<String>,
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
            file: None,
            location,
            message: message.into(),
        }
    }

    /// `expected …, found …` at `location`.
    pub(crate) fn expected(
        format: &'static str,
        location: Location,
        expected: &str,
        found: impl fmt::Display,
    ) -> Self {
        ReadError::new(
            format,
            location,
            format!("expected {expected}, found {found}"),
        )
    }

    /// At a 1-based line, or the whole input for line 0.
    pub(crate) fn at_line(format: &'static str, line: usize, message: impl Into<String>) -> Self {
        let location = if line == 0 {
            Location::Input
        } else {
            Location::Line(line)
        };
        ReadError::new(format, location, message)
    }

    /// The same error in `file`; an error already naming a file inside
    /// `file` (a folder) keeps it, after the folder.
    pub fn in_file(mut self, file: &str) -> Self {
        self.file = Some(match self.file.take() {
            None => file.to_owned(),
            Some(inner) => format!("{}/{inner}", file.trim_end_matches('/')),
        });
        self
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
        match &self.file {
            Some(file) => f.write_str(file)?,
            None => f.write_str(self.format)?,
        }
        if self.location != Location::Input {
            write!(f, " {}", self.location)?;
        }
        write!(f, ": {}", self.message)
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prints_file_location_and_what_was_expected() {
        let e = ReadError::expected(
            "Christen CSV",
            Location::Cell {
                line: 12,
                column: 3,
            },
            "a candidate name",
            "\"Bob \"",
        )
        .in_file("ballots.csv");
        assert_eq!(
            e.to_string(),
            "ballots.csv line 12, column 3: expected a candidate name, found \"Bob \""
        );
        let e = ReadError::at_line("BLT", 0, "expected a title").in_file("standard input");
        assert_eq!(e.to_string(), "standard input: expected a title");
        let e = ReadError::new(
            "Dominion CVR export",
            Location::JsonPath("$.Sessions[2]".into()),
            "x",
        )
        .in_file("CvrExport_1.json")
        .in_file("export");
        assert_eq!(e.to_string(), "export/CvrExport_1.json at $.Sessions[2]: x");
        assert_eq!(e.line(), None);
        let e = ReadError::at_line("PrefLib", 4, "expected a count");
        assert_eq!(
            (e.to_string().as_str(), e.line()),
            ("PrefLib line 4: expected a count", Some(4))
        );
    }
}
