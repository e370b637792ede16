//! PostgreSQL access: the schema, the r2d2 pool, embedded migrations and one module
//! of queries per table. Everything here is synchronous diesel; the API layer runs
//! it on the blocking pool (`App::db`), never on an async worker.

pub mod api_keys;
pub mod audit;
pub mod ballots;
pub mod contests;
pub mod enums;
mod error;
pub mod feed;
pub mod orgs;
pub mod origins;
pub mod outbox;
mod pool;
pub mod results;
pub mod schema;
pub mod suggestions;
pub mod voters;
pub mod webhooks;

pub use pool::*;
