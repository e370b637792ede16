//! Database failures as [`AppError`]s: not found → 404, unique violation → 409,
//! serialisation failure, lost connection or an empty pool → 503, anything else a
//! logged 500 whose text never reaches a response.

use crate::error::AppError;

impl From<diesel::result::Error> for AppError {
    fn from(e: diesel::result::Error) -> Self {
        use diesel::result::{DatabaseErrorKind as Kind, Error};
        match e {
            Error::NotFound => AppError::NotFound("not found".into()),
            Error::DatabaseError(Kind::UniqueViolation, info) => {
                AppError::conflict("conflict", conflict_detail(info.constraint_name()))
            }
            Error::DatabaseError(Kind::SerializationFailure, _) => AppError::Unavailable(
                "the request conflicted with a concurrent one; retry it".into(),
            ),
            Error::DatabaseError(Kind::ClosedConnection, _) => {
                AppError::Unavailable("the database connection was lost; retry shortly".into())
            }
            other => AppError::Unexpected(anyhow::Error::new(other).context("database query")),
        }
    }
}

/// A person-readable sentence for a unique constraint, without database text.
fn conflict_detail(constraint: Option<&str>) -> String {
    match constraint {
        Some("contests_org_slug_key") => {
            "another contest of this organisation already uses this slug".into()
        }
        _ => "the resource already exists".into(),
    }
}

impl From<diesel::r2d2::PoolError> for AppError {
    fn from(e: diesel::r2d2::PoolError) -> Self {
        tracing::warn!(error = %e, "no database connection");
        AppError::Unavailable("the database is unavailable; retry shortly".into())
    }
}
