//! Christen: crowdsourced naming contests with exact ranked-ballot counts.
//!
//! Layers (dependencies point down only): `cli` → `api` → `db` → `domain` → `tally`.
//! `formats` reads and writes ballot files for the engine; `pgcluster` starts a
//! private PostgreSQL cluster when no `DATABASE_URL` is given.

pub mod cli;
pub mod formats;
pub mod pgcluster;
pub mod tally;
