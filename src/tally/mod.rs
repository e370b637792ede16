//! The counting engine: ballots in, result out.
//!
//! Pure Rust: no I/O, no actix, no diesel, no logging. Every rule is deterministic:
//! the same election and options always give the same report.

pub mod rcv;
mod types;

pub use types::*;
