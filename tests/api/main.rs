//! Integration tests: the real service on a random port, a fresh PostgreSQL
//! database per test, requests over HTTP.

#[path = "../support/pg.rs"]
mod pg;

mod helpers;

mod api_keys;
mod audit;
mod ballots;
mod cli;
mod contests;
mod cors;
mod embed;
mod errors;
mod export;
mod group_commit;
mod migrations;
mod ops;
mod pages;
mod results;
mod security_data;
mod security_http;
mod security_results;
mod suggestions;
mod voters;
mod webhooks;
