//! `GET /oembed?url=…&format=json`: oEmbed (type `rich`) for embed-page URLs, so
//! editors that speak oEmbed embed a contest from its URL alone. The embed page
//! advertises this endpoint with `<link rel="alternate" type="application/json+oembed">`.

use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use chrono::Utc;
use serde::Deserialize;
use serde_json::json;
use uuid::Uuid;

use super::embed::{escape, vary};
use super::http::base_url;
use super::AppState;
use crate::app::contests::load_visible;
use crate::domain::{ContestId, Phase};
use crate::error::{AppError, AppResult};

/// The iframe's size when the consumer sets no maximum.
pub const DEFAULT_WIDTH: u32 = 480;
pub const DEFAULT_HEIGHT: u32 = 420;
/// Narrowest width offered (the page is readable at 300 px).
pub const MIN_WIDTH: u32 = 280;
pub const MIN_HEIGHT: u32 = 200;

#[derive(Debug, Deserialize)]
pub struct OEmbedQuery {
    pub url: String,
    #[serde(default)]
    pub format: Option<String>,
    #[serde(default)]
    pub maxwidth: Option<u32>,
    #[serde(default)]
    pub maxheight: Option<u32>,
}

/// The contest of an embed-page URL of this service (query string allowed),
/// with the query string kept for the iframe (`theme`, `lang`).
fn parse_embed_url(url: &str, base: &str) -> AppResult<(ContestId, String)> {
    let bad = || {
        AppError::NotFound(format!(
            "`{url}` is not an embed page of this service; expected {base}/embed/contests/{{id}}"
        ))
    };
    let rest = url.strip_prefix(base).ok_or_else(bad)?;
    let rest = rest.strip_prefix("/embed/contests/").ok_or_else(bad)?;
    let (id, query) = match rest.split_once('?') {
        Some((id, q)) => (id, q),
        None => (rest, ""),
    };
    let id = Uuid::parse_str(id.trim_end_matches('/')).map_err(|_| bad())?;
    // Only the parameters the embed page knows travel to the iframe.
    let kept: Vec<&str> = query
        .split('&')
        .filter(|p| {
            let key = p.split('=').next().unwrap_or("");
            (key == "theme" || key == "lang")
                && p.chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '=' | '-' | '_'))
        })
        .collect();
    let query = if kept.is_empty() {
        String::new()
    } else {
        format!("?{}", kept.join("&"))
    };
    Ok((ContestId(id), query))
}

/// `GET /oembed`.
pub async fn get(
    state: web::Data<AppState>,
    query: web::Query<OEmbedQuery>,
    req: HttpRequest,
) -> AppResult<HttpResponse> {
    if let Some(format) = query.format.as_deref() {
        if format != "json" {
            // oEmbed says 501 for a format the provider does not offer.
            return Err(AppError::NotImplemented(format!(
                "format `{format}` is not offered; use format=json"
            )));
        }
    }
    // docs/SECURITY.md S6: the public URL, never the request's Host.
    let base = base_url(&req);
    let (id, params) = parse_embed_url(&query.url, &base)?;
    let contest = load_visible(&state, None, id).await?;
    if contest.phase_at(Utc::now()) == Phase::Draft {
        return Err(AppError::not_found("contest"));
    }
    let width = query
        .maxwidth
        .map_or(DEFAULT_WIDTH, |m| m.min(DEFAULT_WIDTH))
        .max(MIN_WIDTH);
    let height = query
        .maxheight
        .map_or(DEFAULT_HEIGHT, |m| m.min(DEFAULT_HEIGHT))
        .max(MIN_HEIGHT);
    let src = format!("{base}/embed/contests/{}{params}", contest.id);
    let html = format!(
        "<iframe src=\"{}\" width=\"{width}\" height=\"{height}\" title=\"{}\" loading=\"lazy\" style=\"border:0;max-width:100%\"></iframe>",
        escape(&src),
        escape(&contest.title),
    );
    let body = json!({
        "version": "1.0",
        "type": "rich",
        "provider_name": "Christen",
        "provider_url": base,
        "title": contest.title,
        "html": html,
        "width": width,
        "height": height,
        "cache_age": 300,
    });
    let mut res = HttpResponse::Ok();
    res.insert_header((header::CACHE_CONTROL, "public, max-age=300"));
    let vary = vary(&req, "");
    if !vary.is_empty() {
        res.insert_header((header::VARY, vary));
    }
    Ok(res.json(body))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embed_urls_name_a_contest_of_this_service() {
        let base = "http://127.0.0.1:8080";
        let id = Uuid::new_v4();
        let (got, q) = parse_embed_url(
            &format!("{base}/embed/contests/{id}?theme=dark&x=<y>&lang=fr"),
            base,
        )
        .unwrap();
        assert_eq!(got.0, id);
        assert_eq!(q, "?theme=dark&lang=fr");
        assert!(
            parse_embed_url(&format!("https://evil.example/embed/contests/{id}"), base).is_err()
        );
        assert!(parse_embed_url(&format!("{base}/v1/contests/{id}"), base).is_err());
        assert!(parse_embed_url(&format!("{base}/embed/contests/nope"), base).is_err());
    }
}
