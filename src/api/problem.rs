//! The HTTP side of [`AppError`]: its status, headers and problem+json body.

use actix_web::http::header::{self, HeaderValue};
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use serde_json::Value;

use crate::error::AppError;

impl ResponseError for AppError {
    fn status_code(&self) -> StatusCode {
        StatusCode::from_u16(self.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    }

    fn error_response(&self) -> HttpResponse {
        if let AppError::Unexpected(e) = self {
            tracing::error!(error = ?e, "unexpected error");
        }
        let mut body = serde_json::to_value(self.problem()).unwrap_or(Value::Null);
        if let (
            AppError::Conflict {
                extra: Some(Value::Object(extra)),
                ..
            },
            Value::Object(map),
        ) = (self, &mut body)
        {
            map.extend(extra.clone());
        }
        let mut response = HttpResponse::build(self.status_code());
        response.insert_header((
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        ));
        match self {
            AppError::Unauthorized(_) => {
                response.insert_header((header::WWW_AUTHENTICATE, "Bearer"));
            }
            AppError::TooManyRequests {
                retry_after_secs: Some(secs),
                ..
            } => {
                response.insert_header((header::RETRY_AFTER, secs.to_string()));
            }
            AppError::Unavailable(_) => {
                response.insert_header((header::RETRY_AFTER, "5"));
            }
            _ => {}
        }
        response.body(body.to_string())
    }
}

impl From<actix_web::error::BlockingError> for AppError {
    fn from(e: actix_web::error::BlockingError) -> Self {
        AppError::Unexpected(anyhow::anyhow!("blocking task failed: {e}"))
    }
}
