//! Ballot file formats read and written by `christen tally` and the ballot export.

pub mod cdf;
pub mod cvr;
pub mod debian;
pub mod rctab_config;
pub mod rctab_csv;
pub mod read_error;
pub mod urcvt;

pub use read_error::{Location, ReadError};
