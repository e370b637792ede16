//! Christen: crowdsourced naming contests with exact ranked-ballot counts.
//!
//! Layers (dependencies point down only; docs/ARCHITECTURE.md draws them):
//! `cli`/`main` → `api` (HTTP) → `app` (use cases) → `db` (SQL) → `domain`
//! (validated types) → `tally` (the pure counting engine). `formats` reads and
//! writes ballot files for the engine; `pgcluster` starts a private PostgreSQL
//! cluster when no `DATABASE_URL` is given.

pub mod api;
pub mod app;
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
