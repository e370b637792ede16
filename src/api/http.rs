//! What only HTTP needs, shared by the handlers: opaque pagination cursors and
//! page limits. (Path ids and JSON bodies are parsed in `extract`; conditional
//! GETs in the handlers that answer them.)

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
