//! What every conformance case returns.

use std::path::Path;

/// One checked case: `Ok` or the first difference found.
pub struct Outcome {
    pub case: String,
    pub result: Result<(), String>,
}

impl Outcome {
    pub fn new(case: impl Into<String>, result: Result<(), String>) -> Self {
        Outcome {
            case: case.into(),
            result,
        }
    }
}

/// Reads a data file as text (Latin-1 files are read as bytes elsewhere).
pub fn read(path: &Path) -> Result<String, String> {
    std::fs::read_to_string(path).map_err(|e| format!("cannot read {}: {e}", path.display()))
}
