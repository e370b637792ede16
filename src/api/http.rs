//! What only HTTP needs, shared by the handlers: opaque pagination cursors,
//! page limits, and conditional GETs. (Path ids and JSON bodies are parsed in
//! `extract`.)

use actix_web::http::header;
use actix_web::HttpRequest;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::error::{AppError, AppResult};

/// An opaque cursor for keyset pagination by `(created_at, id)`.
pub fn encode_cursor(created_at: DateTime<Utc>, id: Uuid) -> String {
    URL_SAFE_NO_PAD.encode(format!("{}|{}", created_at.to_rfc3339(), id))
}

/// The `(created_at, id)` a cursor of [`encode_cursor`] holds; anything else is
/// a 400.
pub fn decode_cursor(raw: &str) -> AppResult<(DateTime<Utc>, Uuid)> {
    let bad = || AppError::bad_request("invalid_cursor", "`cursor` is not one this API returned");
    let text = URL_SAFE_NO_PAD
        .decode(raw)
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
        .ok_or_else(bad)?;
    let (time, id) = text.split_once('|').ok_or_else(bad)?;
    let time = DateTime::parse_from_rfc3339(time).map_err(|_| bad())?;
    let id = Uuid::parse_str(id).map_err(|_| bad())?;
    Ok((time.with_timezone(&Utc), id))
}

/// A `limit` query parameter: `default` when absent, else 1 to `max` (a 400
/// outside).
pub fn page_limit(raw: Option<i64>, default: i64, max: i64) -> AppResult<i64> {
    let limit = raw.unwrap_or(default);
    if (1..=max).contains(&limit) {
        Ok(limit)
    } else {
        Err(AppError::bad_request(
            "invalid_limit",
            format!("`limit` must be between 1 and {max}"),
        ))
    }
}

/// Whether `If-None-Match` names `etag` (or `*`); weak validators compare by
/// their opaque part.
pub fn if_none_match(req: &HttpRequest, etag: &str) -> bool {
    req.headers()
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.split(',')
                .map(|t| t.trim().trim_start_matches("W/"))
                .any(|t| t == "*" || t == etag)
        })
}

/// `scheme://host[:port]` of this service as the request reached it.
pub fn base_url(req: &HttpRequest) -> String {
    let info = req.connection_info();
    format!("{}://{}", info.scheme(), info.host())
}
