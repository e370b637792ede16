pub mod tally;
