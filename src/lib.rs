//! Christen: crowdsourced naming contests with exact ranked-ballot counts.
//!
//! Layers (dependencies point down only): `cli`/`main` → `api` → `db` → `domain`
//! → `tally`. `formats` reads and writes ballot files for the engine; `pgcluster`
//! starts a private PostgreSQL cluster when no `DATABASE_URL` is given.

pub mod api;
pub mod cli;
pub mod config;
pub mod db;
pub mod domain;
pub mod error;
pub mod formats;
pub mod pgcluster;
pub mod startup;
pub mod tally;
pub mod telemetry;
