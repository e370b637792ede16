//! Command-line commands that are more than a call into the service.

pub mod tally;
