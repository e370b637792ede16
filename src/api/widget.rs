//! `GET /widget.js`: the script that renders results into a site's page (Shadow
//! DOM, one global `Christen`). The script itself is `embed/widget.js`.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse};
use sha2::{Digest, Sha256};
use std::sync::OnceLock;

pub const WIDGET_JS: &str = include_str!("embed/widget.js");

fn etag() -> &'static str {
    static ETAG: OnceLock<String> = OnceLock::new();
    ETAG.get_or_init(|| {
        format!(
            "\"{}\"",
            &hex::encode(Sha256::digest(WIDGET_JS.as_bytes()))[..32]
        )
    })
}

/// Whether `If-None-Match` names `etag` (or `*`).
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

/// `GET /widget.js`: cached for an hour, revalidated by ETag.
pub async fn get(req: HttpRequest) -> HttpResponse {
    let etag = etag();
    let mut res = if if_none_match(&req, etag) {
        HttpResponse::NotModified()
    } else {
        HttpResponse::Ok()
    };
    res.insert_header((header::ETAG, etag))
        .insert_header((header::CACHE_CONTROL, "public, max-age=3600"));
    if if_none_match(&req, etag) {
        return res.finish();
    }
    res.content_type("text/javascript; charset=utf-8")
        .body(WIDGET_JS)
}
