//! `GET /widget.js`: the script that renders results into a site's page (Shadow
//! DOM, one global `Christen`). The script itself is `embed/widget.js`.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse};
use sha2::{Digest, Sha256};
use std::sync::OnceLock;

use super::http::if_none_match;

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
