//! The pages' one stylesheet and one script, served under content-hash names
//! (`/assets/page.<hash>.css`, `/assets/page.<hash>.js`) and cached
//! immutably: a new build with other contents has other names.

use std::sync::OnceLock;

use actix_web::http::header;
use actix_web::{web, HttpResponse};
use sha2::{Digest, Sha256};

use crate::error::{AppError, AppResult};

const CSS: &str = include_str!("page.css");
const JS: &str = include_str!("page.js");

/// An asset's name with its hash.
struct Named {
    css: String,
    js: String,
}

fn hashed(stem: &str, ext: &str, body: &str) -> String {
    let hash = hex::encode(Sha256::digest(body.as_bytes()));
    format!("{stem}.{}.{ext}", &hash[..16])
}

fn names() -> &'static Named {
    static NAMES: OnceLock<Named> = OnceLock::new();
    NAMES.get_or_init(|| Named {
        css: hashed("page", "css", CSS),
        js: hashed("page", "js", JS),
    })
}

/// The stylesheet's URL path.
pub fn css_path() -> String {
    format!("/assets/{}", names().css)
}

/// The script's URL path.
pub fn js_path() -> String {
    format!("/assets/{}", names().js)
}

/// `GET /assets/{file}`.
pub async fn get(file: web::Path<String>) -> AppResult<HttpResponse> {
    let n = names();
    let (body, kind) = if *file == n.css {
        (CSS, "text/css; charset=utf-8")
    } else if *file == n.js {
        (JS, "text/javascript; charset=utf-8")
    } else {
        return Err(AppError::NotFound(format!("no asset named {file}")));
    };
    Ok(HttpResponse::Ok()
        .content_type(kind)
        .insert_header((header::CACHE_CONTROL, "public, max-age=31536000, immutable"))
        .insert_header(("X-Content-Type-Options", "nosniff"))
        .body(body))
}
