//! One error type for the use cases (`app`), the database layer's failures mapped
//! into it (`db::error`), and its RFC 9457 problem+json body. The HTTP layer
//! (`api::problem`) only turns it into a response; see docs/ARCHITECTURE.md.
//!
//! Every error response has `type` (`urn:christen:problem:<code>`), `title`,
//! `status`, `detail`, a stable machine-readable `code`, and for validation errors
//! `errors: [{field, message}]`. Database messages never reach a response body:
//! unexpected errors are logged with their cause chain and answered with a generic
//! 500, and an unreachable database is a 503.

use serde::Serialize;
use serde_json::Value;

use crate::domain::FieldError;

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// 400: the request cannot be understood (malformed JSON, bad id, bad query).
    #[error("{detail}")]
    BadRequest { code: &'static str, detail: String },
    /// 401: no credentials, or credentials that are unknown, revoked or expired.
    #[error("{0}")]
    Unauthorized(String),
    /// 403: authenticated, but not allowed to do or see this.
    #[error("{detail}")]
    Forbidden { code: &'static str, detail: String },
    /// 404: no such resource, or not one the caller may know exists.
    #[error("{0}")]
    NotFound(String),
    /// 405: the path exists but not with this method.
    #[error("{0}")]
    MethodNotAllowed(String),
    /// 408: the request body did not arrive in time (docs/SECURITY.md S12).
    #[error("{0}")]
    RequestTimeout(String),
    /// 409: the request conflicts with the current state (phase, duplicates).
    #[error("{detail}")]
    Conflict {
        code: &'static str,
        detail: String,
        /// Extra members merged into the problem body (e.g. the existing resource).
        extra: Option<Value>,
    },
    /// 413: the body is larger than the limit.
    #[error("{0}")]
    PayloadTooLarge(String),
    /// 415: the body is not JSON.
    #[error("{0}")]
    UnsupportedMediaType(String),
    /// 422: well-formed, but fields are invalid.
    #[error("{detail}")]
    Validation {
        detail: String,
        errors: Vec<FieldError>,
    },
    /// 429: a rate or quota limit was reached.
    #[error("{detail}")]
    TooManyRequests {
        code: &'static str,
        detail: String,
        retry_after_secs: Option<u64>,
    },
    /// 501: the method exists in the contract but is not built yet.
    #[error("{0}")]
    NotImplemented(String),
    /// 503: a dependency (the database) is unavailable; retry later.
    #[error("{0}")]
    Unavailable(String),
    /// 500: a bug or an unexpected failure; details go to the log only.
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

/// The body of every error response.
#[derive(Debug, Serialize)]
pub struct Problem {
    #[serde(rename = "type")]
    pub type_uri: String,
    pub title: &'static str,
    pub status: u16,
    pub detail: String,
    pub code: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub errors: Option<Vec<FieldError>>,
}

impl AppError {
    pub fn bad_request(code: &'static str, detail: impl Into<String>) -> Self {
        AppError::BadRequest {
            code,
            detail: detail.into(),
        }
    }

    pub fn conflict(code: &'static str, detail: impl Into<String>) -> Self {
        AppError::Conflict {
            code,
            detail: detail.into(),
            extra: None,
        }
    }

    pub fn forbidden(code: &'static str, detail: impl Into<String>) -> Self {
        AppError::Forbidden {
            code,
            detail: detail.into(),
        }
    }

    pub fn not_found(what: &str) -> Self {
        AppError::NotFound(format!("{what} not found"))
    }

    /// A validation error for one field.
    pub fn invalid(field: &str, message: impl Into<String>) -> Self {
        Self::validation(vec![FieldError::new(field, message)])
    }

    pub fn validation(errors: Vec<FieldError>) -> Self {
        let detail = match errors.as_slice() {
            [one] => format!("{}: {}", one.field, one.message),
            many => format!("{} fields are invalid; see `errors`", many.len()),
        };
        AppError::Validation { detail, errors }
    }

    /// The stable machine-readable code of this error.
    pub fn code(&self) -> &'static str {
        match self {
            AppError::BadRequest { code, .. }
            | AppError::Forbidden { code, .. }
            | AppError::Conflict { code, .. }
            | AppError::TooManyRequests { code, .. } => code,
            AppError::Unauthorized(_) => "unauthorized",
            AppError::NotFound(_) => "not_found",
            AppError::MethodNotAllowed(_) => "method_not_allowed",
            AppError::RequestTimeout(_) => "request_timeout",
            AppError::PayloadTooLarge(_) => "payload_too_large",
            AppError::UnsupportedMediaType(_) => "unsupported_media_type",
            AppError::Validation { .. } => "validation_failed",
            AppError::NotImplemented(_) => "not_implemented",
            AppError::Unavailable(_) => "service_unavailable",
            AppError::Unexpected(_) => "internal_error",
        }
    }

    /// The HTTP status this error is answered with.
    pub fn status(&self) -> u16 {
        match self {
            AppError::BadRequest { .. } => 400,
            AppError::Unauthorized(_) => 401,
            AppError::Forbidden { .. } => 403,
            AppError::NotFound(_) => 404,
            AppError::MethodNotAllowed(_) => 405,
            AppError::RequestTimeout(_) => 408,
            AppError::Conflict { .. } => 409,
            AppError::PayloadTooLarge(_) => 413,
            AppError::UnsupportedMediaType(_) => 415,
            AppError::Validation { .. } => 422,
            AppError::TooManyRequests { .. } => 429,
            AppError::NotImplemented(_) => 501,
            AppError::Unavailable(_) => 503,
            AppError::Unexpected(_) => 500,
        }
    }

    /// The problem body this error is answered with.
    pub fn problem(&self) -> Problem {
        let status = self.status();
        let detail = match self {
            AppError::Unexpected(_) => {
                "an unexpected error occurred; it has been logged with this request's id".to_owned()
            }
            other => other.to_string(),
        };
        Problem {
            type_uri: format!("urn:christen:problem:{}", self.code()),
            title: title_of(status),
            status,
            detail,
            code: self.code(),
            errors: match self {
                AppError::Validation { errors, .. } => Some(errors.clone()),
                _ => None,
            },
        }
    }
}

pub type AppResult<T> = Result<T, AppError>;

/// The reason phrase of each status [`AppError::status`] can answer (RFC 9110).
fn title_of(status: u16) -> &'static str {
    match status {
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        408 => "Request Timeout",
        409 => "Conflict",
        413 => "Payload Too Large",
        415 => "Unsupported Media Type",
        422 => "Unprocessable Entity",
        429 => "Too Many Requests",
        501 => "Not Implemented",
        503 => "Service Unavailable",
        _ => "Internal Server Error",
    }
}
