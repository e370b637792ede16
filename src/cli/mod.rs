//! The command-line commands.

pub mod org;
pub mod runtime;
pub mod serve;
pub mod tally;
