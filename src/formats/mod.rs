//! Ballot file formats read and written by `christen tally` and the ballot export.
