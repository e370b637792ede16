//! Request extractors that answer bad input with problem+json: JSON bodies (size
//! limit, content type, unknown fields, field paths in messages) and typed ids in
//! paths.

use std::str::FromStr;
use std::time::Duration;

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{web, FromRequest, HttpRequest};
use futures_util::future::LocalBoxFuture;
use serde::de::DeserializeOwned;

use crate::error::AppError;

/// The largest accepted request body, in bytes (app data; 64 KiB by default).
#[derive(Debug, Clone, Copy)]
pub struct BodyLimit(pub usize);

/// How long a request body may take to arrive once the handler reads it (app
/// data; 10 s by default). docs/SECURITY.md S12: the server's own timeout
/// covers only the request head, so a client sending its body a byte at a time
/// would otherwise hold a connection and a worker's task for as long as it
/// likes.
#[derive(Debug, Clone, Copy)]
pub struct BodyTimeout(pub Duration);

/// The body deadline unless configured.
pub const DEFAULT_BODY_TIMEOUT: Duration = Duration::from_secs(10);

/// A JSON request body deserialised into `T`.
///
/// - not `application/json` (or `+json`) → 415;
/// - not complete within [`BodyTimeout`] → 408 (and the connection is closed);
/// - larger than [`BodyLimit`] → 413;
/// - not well-formed JSON → 400 with line and column;
/// - wrong types, missing or unknown fields → 422 with the field's path.
pub struct JsonBody<T>(pub T);

impl<T: DeserializeOwned + 'static> FromRequest for JsonBody<T> {
    type Error = AppError;
    type Future = LocalBoxFuture<'static, Result<Self, AppError>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let limit = req
            .app_data::<BodyLimit>()
            .copied()
            .unwrap_or(BodyLimit(64 * 1024))
            .0;
        let timeout = req
            .app_data::<BodyTimeout>()
            .map_or(DEFAULT_BODY_TIMEOUT, |t| t.0);
        let content_type = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(|v| {
                v.split(';')
                    .next()
                    .unwrap_or("")
                    .trim()
                    .to_ascii_lowercase()
            });
        let declared_len = req
            .headers()
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<usize>().ok());
        let payload = web::Payload::from_request(req, payload).into_inner();
        Box::pin(async move {
            let is_json = content_type
                .as_deref()
                .is_some_and(|ct| ct == "application/json" || ct.ends_with("+json"));
            if !is_json {
                return Err(AppError::UnsupportedMediaType(
                    "send the body as JSON with `Content-Type: application/json`".into(),
                ));
            }
            let too_large = || {
                AppError::PayloadTooLarge(format!(
                    "the request body is larger than the limit of {limit} bytes"
                ))
            };
            if declared_len.is_some_and(|n| n > limit) {
                return Err(too_large());
            }
            let payload = payload
                .map_err(|e| AppError::bad_request("bad_body", format!("unreadable body: {e}")))?;
            let bytes = tokio::time::timeout(timeout, payload.to_bytes_limited(limit))
                .await
                .map_err(|_| {
                    AppError::RequestTimeout(format!(
                        "the request body did not arrive within {} s",
                        timeout.as_secs_f64()
                    ))
                })?
                .map_err(|_| too_large())?
                .map_err(|e| AppError::bad_request("bad_body", format!("unreadable body: {e}")))?;
            parse_json(&bytes).map(JsonBody)
        })
    }
}

/// Parses a JSON document into `T`, mapping errors as [`JsonBody`] documents.
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, AppError> {
    // serde accepts a JSON array for a struct (fields by position); our bodies
    // are objects with named fields only.
    if bytes.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'[') {
        return Err(AppError::invalid("body", "the body must be a JSON object"));
    }
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let value: T = serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        json_error(&path, &inner)
    })?;
    de.end().map_err(|e| json_error(".", &e))?;
    Ok(value)
}

fn json_error(path: &str, e: &serde_json::Error) -> AppError {
    use serde_json::error::Category;
    match e.classify() {
        Category::Syntax | Category::Eof | Category::Io => {
            AppError::bad_request("malformed_json", format!("the body is not valid JSON: {e}"))
        }
        Category::Data => {
            // serde's message ends with " at line L column C"; the path says where.
            let message = e.to_string();
            let message = match message.rfind(" at line ") {
                Some(i) => message[..i].to_owned(),
                None => message,
            };
            let field = if path == "." {
                "body".to_owned()
            } else {
                path.to_owned()
            };
            AppError::invalid(&field, message)
        }
    }
}

/// Parses a typed id from a path segment: a bad UUID is a 400 naming the segment.
pub fn parse_id<T: FromStr>(raw: &str, what: &str) -> Result<T, AppError> {
    raw.parse().map_err(|_| {
        AppError::bad_request(
            "invalid_id",
            format!("`{raw}` is not a valid {what} id: expected a UUID such as 1b4e28ba-2fa1-11d2-883f-0016d3cca427"),
        )
    })
}

/// Deserialises a field that may be absent (`None`), `null` (`Some(None)`) or set.
pub fn double_option<'de, T, D>(de: D) -> Result<Option<Option<T>>, D::Error>
where
    T: serde::Deserialize<'de>,
    D: serde::Deserializer<'de>,
{
    serde::Deserialize::deserialize(de).map(Some)
}

/// Deserialises an optional field that must not be `null` when present (absent
/// leaves the value alone; `null` is an error naming the field).
pub fn non_null<'de, T, D>(de: D) -> Result<Option<T>, D::Error>
where
    T: serde::Deserialize<'de>,
    D: serde::Deserializer<'de>,
{
    T::deserialize(de).map(Some)
}
