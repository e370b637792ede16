//! `GET /embed/contests/{id}`: a self-contained results page for an `<iframe>`.
//!
//! No external scripts, fonts, styles or images; it works without JavaScript
//! (then live results offer a link that reloads them). The small inline
//! script, allowed by its hash in the CSP, tells the framing page its height
//! and winners (`{type: "christen:embed", contest, height, winners}`), shows
//! times in the reader's time zone, and while results are live follows the
//! results stream and redraws the page in place (never a `<meta refresh>`,
//! which WCAG 2.2.1 and axe-core refuse). Rendered by maud's `html!`, which
//! escapes every name; every string comes from [`i18n`].
//! The page shows only what `GET /v1/contests/{id}/results` shows the public:
//! both go through `app::results::result_for` (see `app::embed`).

pub use super::i18n;
pub mod model;

use std::fmt::Write as _;
use std::sync::OnceLock;

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use sha2::{Digest, Sha256};
use uuid::Uuid;

use actix_web::http::header;
use actix_web::{web, HttpResponse};

use super::extract::parse_id;
use super::http::{base_url, base_url_vary, if_none_match};
use super::AppState;
use crate::app::embed::{frame_ancestors, public_results, PublicResults};
use crate::app::results::{CachedResult, LIVE_MAX_AGE_SECS};
use crate::domain::{Contest, ContestId, Phase};
use crate::error::{AppError, AppResult};

use i18n::{Lang, Strings};
use maud::{html, Markup, PreEscaped, DOCTYPE};
use model::{Page, PageBody, ResultsView};

/// `?theme=`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Theme {
    Light,
    Dark,
}

impl Theme {
    pub fn parse(raw: &str) -> Option<Theme> {
        match raw {
            "light" => Some(Theme::Light),
            "dark" => Some(Theme::Dark),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Theme::Light => "light",
            Theme::Dark => "dark",
        }
    }
}

/// Escapes text for HTML and XML content and attribute values. Characters XML
/// forbids (most C0 controls) become U+FFFD.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            '\t' | '\n' | '\r' => out.push(c),
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

/// Percent-encodes a URL query value (everything but RFC 3986 unreserved bytes).
pub fn url_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len() * 3);
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(b as char);
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

const CSS: &str = include_str!("embed/style.css");
const SCRIPT: &str = include_str!("embed/resize.js");

/// The page's stylesheet: the CSS file plus one class per bar width (`.w0`–`.w100`),
/// so no element needs a `style` attribute and the CSP can name its hash.
pub fn stylesheet() -> &'static str {
    static STYLE: OnceLock<String> = OnceLock::new();
    STYLE.get_or_init(|| {
        let mut s = CSS.trim_end().to_owned();
        s.push('\n');
        for w in 0..=100 {
            let _ = write!(s, ".w{w}{{width:{w}%}}");
        }
        s
    })
}

fn csp_hash(text: &str) -> String {
    format!(
        "'sha256-{}'",
        STANDARD.encode(Sha256::digest(text.as_bytes()))
    )
}

/// The page's `Content-Security-Policy`: nothing external, the inline style and
/// script by hash, framing only by `'self'` and the organisation's origins
/// (normalised `scheme://host[:port]`, so they cannot break the header).
pub fn content_security_policy(frame_ancestors: &[String]) -> String {
    let mut ancestors = String::from("'self'");
    for o in frame_ancestors {
        ancestors.push(' ');
        ancestors.push_str(o);
    }
    format!(
        "default-src 'none'; style-src {}; script-src {}; img-src 'self'; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors {ancestors}",
        csp_hash(stylesheet()),
        csp_hash(SCRIPT),
    )
}

/// How to draw a page.
#[derive(Debug, Clone)]
pub struct RenderOptions {
    pub contest_id: Uuid,
    pub lang: Lang,
    pub theme: Theme,
    /// `scheme://host[:port]` of this service, for absolute links.
    pub base_url: String,
    /// Results are live: with JavaScript the page follows the results stream
    /// (no reload); without, it offers a link that reloads it.
    pub live: bool,
}

impl RenderOptions {
    pub fn embed_url(&self) -> String {
        format!("{}/embed/contests/{}", self.base_url, self.contest_id)
    }

    /// This page again, with its language and theme (the refresh link).
    fn self_url(&self) -> String {
        format!(
            "{}?lang={}&theme={}",
            self.embed_url(),
            self.lang.code(),
            self.theme.as_str()
        )
    }
}

/// Renders the embed page.
pub fn render_html(page: &Page, o: &RenderOptions) -> String {
    let s = o.lang.strings();
    let status = match &page.body {
        PageBody::Results(r) if r.final_ => Some(s.final_result),
        PageBody::Results(_) => Some(s.live_result),
        PageBody::NotYet(_) => None,
    };
    let oembed = format!(
        "{}/oembed?url={}&format=json",
        o.base_url,
        url_encode(&o.embed_url())
    );
    let stream = o
        .live
        .then(|| format!("/v1/contests/{}/results/stream", o.contest_id));
    let markup = html! {
        (DOCTYPE)
        html lang=(o.lang.code()) class=(o.theme.as_str()) data-contest=(o.contest_id) data-stream=[stream] {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (s.results) ": " (page.title) }
                link rel="alternate" type="application/json+oembed" href=(oembed) title=(page.title);
                style { (PreEscaped(stylesheet())) }
            }
            body {
                main {
                    header {
                        h1 { (page.title) }
                        p.meta {
                            (s.phase) ": " (s.phase_name(page.phase))
                            @if let Some(st) = status { " · " (st) }
                        }
                    }
                    @match &page.body {
                        PageBody::Results(r) => (results_markup(r, s, o.contest_id, &o.base_url)),
                        PageBody::NotYet(n) => p.notice role="status" { (n.message(s)) },
                    }
                    @if o.live {
                        p #refresh { a href=(o.self_url()) { (s.refresh) } }
                    }
                }
                script { (PreEscaped(SCRIPT)) }
            }
        }
    };
    markup.into_string()
}

/// The results of a contest as the embed page and the participation page
/// show them: winners, the chart of the method, the count and a link to the
/// full JSON.
pub fn results_markup(r: &ResultsView, s: &Strings, contest_id: Uuid, base_url: &str) -> Markup {
    let heading = if r.winners.len() > 1 {
        s.winners
    } else {
        s.winner
    };
    let badge = if r.winners.len() > 1 {
        s.elected
    } else {
        s.winner
    };
    let (before, after) = s
        .counted_at
        .split_once("{time}")
        .unwrap_or((s.counted_at, ""));
    html! {
        section aria-labelledby="h-winners" {
            h2 #h-winners { (heading) }
            @if r.winners.is_empty() {
                p { (s.no_winner) }
            } @else {
                ol.winners { @for w in &r.winners { li { (w) } } }
            }
        }
        @if !r.chart.bars.is_empty() {
            section aria-labelledby="h-chart" {
                h2 #h-chart { (r.chart.caption) }
                ol.chart {
                    @for bar in &r.chart.bars {
                        @let width = (r.chart.fraction(bar) * 100.0).round() as u32;
                        li class=[bar.winner.then_some("win")] {
                            div.row {
                                span.name {
                                    (bar.name)
                                    @if bar.winner { span.badge { (badge) } }
                                }
                                span.val { (bar.label) }
                            }
                            div.track aria-hidden="true" { span class={ "bar w" (width) } {} }
                        }
                    }
                }
            }
        }
        footer {
            p {
                (s.ballots_counted(r.ballots_counted))
                @if let Some(at) = r.computed_at {
                    " · " (before)
                    time datetime=(at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)) { (s.date(at)) }
                    (after)
                }
            }
            p {
                a href={ (base_url) "/v1/contests/" (contest_id) "/results" } target="_blank" rel="noopener" { (s.full_results) }
            }
        }
    }
}

// ---------------------------------------------------------------------------
// HTTP: the page and the chart share one loader, which asks
// `results::result_for` — the function `GET /v1/contests/{id}/results` uses
// for the public — so both show exactly what that endpoint would show.

/// `?theme=&lang=` of the embed page and the SVG chart.
#[derive(Debug, serde::Deserialize)]
pub struct ViewQuery {
    #[serde(default)]
    pub theme: Option<String>,
    #[serde(default)]
    pub lang: Option<String>,
}

impl ViewQuery {
    /// The theme (default light) and language (`?lang=`, else the first of
    /// `Accept-Language` we have, else English). Unknown values are a 400.
    pub fn resolve(&self, req: &actix_web::HttpRequest) -> AppResult<(Theme, Lang)> {
        let theme = match self.theme.as_deref() {
            None => Theme::Light,
            Some(t) => Theme::parse(t).ok_or_else(|| {
                AppError::bad_request(
                    "invalid_theme",
                    format!("`theme` must be light or dark, not `{t}`"),
                )
            })?,
        };
        let lang = match self.lang.as_deref() {
            Some(l) => Lang::parse(l).ok_or_else(|| {
                AppError::bad_request(
                    "invalid_lang",
                    format!(
                        "`lang` must be one of: {}",
                        Lang::ALL.map(Lang::code).join(", ")
                    ),
                )
            })?,
            None => req
                .headers()
                .get(header::ACCEPT_LANGUAGE)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| {
                    v.split(',')
                        .filter_map(|t| Lang::parse(t.split(';').next().unwrap_or("").trim()))
                        .next()
                })
                .unwrap_or(Lang::En),
        };
        Ok((theme, lang))
    }
}

/// A page's data, with the validator and freshness of what it shows.
pub struct Loaded {
    pub contest: Contest,
    pub page: Page,
    /// Identifies the data shown (the result's ETag, or the contest's state).
    pub version_tag: String,
    pub cache_control: String,
    pub live: bool,
}

/// Loads what the embedded views show of a contest: its public results, or why
/// and until when there are none.
pub async fn load(state: &AppState, id: ContestId, lang: Lang) -> AppResult<Loaded> {
    match public_results(state, id).await? {
        PublicResults::Shown {
            contest,
            phase,
            result,
            live,
        } => shown(contest, phase, &result, live, lang),
        PublicResults::NotYet { contest, phase } => Ok(not_yet(contest, phase)),
    }
}

/// A page with the contest's results.
fn shown(
    contest: Contest,
    phase: Phase,
    result: &CachedResult,
    live: bool,
    lang: Lang,
) -> AppResult<Loaded> {
    let report: serde_json::Value = serde_json::from_str(&result.body)
        .map_err(|e| AppError::Unexpected(anyhow::Error::new(e).context("cached result")))?;
    let view = ResultsView::from_report(&report, lang.strings());
    let cache_control = if result.final_ {
        "public, max-age=300".to_owned()
    } else {
        format!("public, max-age={LIVE_MAX_AGE_SECS}")
    };
    Ok(Loaded {
        page: Page {
            title: contest.title.clone(),
            phase,
            body: PageBody::Results(view),
        },
        version_tag: result.etag.clone(),
        cache_control,
        live,
        contest,
    })
}

/// A page that says why and until when there are no public results.
fn not_yet(contest: Contest, phase: Phase) -> Loaded {
    Loaded {
        page: Page {
            title: contest.title.clone(),
            phase,
            body: PageBody::NotYet(model::NotYet::new(
                contest.results_visibility,
                contest.schedule.voting_close_at,
            )),
        },
        version_tag: format!(
            "{}|{}|{}",
            contest.updated_at.timestamp_micros(),
            phase,
            contest.results_visibility
        ),
        cache_control: "public, max-age=30".to_owned(),
        live: false,
        contest,
    }
}

/// A strong ETag over the parts that make a response.
pub fn etag_of(parts: &[&str]) -> String {
    let mut h = Sha256::new();
    for p in parts {
        h.update(p.as_bytes());
        h.update([0]);
    }
    format!("\"{}\"", &hex::encode(h.finalize())[..32])
}

/// `GET /embed/contests/{id}?theme=&lang=`.
pub async fn page(
    state: web::Data<AppState>,
    path: web::Path<String>,
    query: web::Query<ViewQuery>,
    req: actix_web::HttpRequest,
) -> AppResult<HttpResponse> {
    let started = std::time::Instant::now();
    let id: ContestId = parse_id(&path, "contest")?;
    let (theme, lang) = query.resolve(&req)?;
    let loaded = load(&state, id, lang).await?;
    let ancestors = frame_ancestors(&state, id).await?;
    let csp = content_security_policy(&ancestors);
    // Absolute links use the public URL (docs/SECURITY.md S6); it is part of
    // the bytes, so of the ETag too.
    let base = base_url(&req);
    let etag = etag_of(&[
        &loaded.version_tag,
        theme.as_str(),
        lang.code(),
        &csp,
        &base,
        "html",
    ]);
    let mut res = if if_none_match(&req, &etag) {
        HttpResponse::NotModified()
    } else {
        HttpResponse::Ok()
    };
    res.insert_header((header::ETAG, etag.clone()))
        .insert_header((header::CACHE_CONTROL, loaded.cache_control.clone()))
        .insert_header((header::VARY, vary(&req, "Accept-Language")))
        .insert_header((header::CONTENT_SECURITY_POLICY, csp));
    if if_none_match(&req, &etag) {
        return Ok(res.finish());
    }
    let options = RenderOptions {
        contest_id: loaded.contest.id.0,
        lang,
        theme,
        base_url: base,
        live: loaded.live,
    };
    let body = render_html(&loaded.page, &options);
    Ok(res
        .content_type("text/html; charset=utf-8")
        .insert_header((
            "Server-Timing",
            format!("page;dur={:.3}", started.elapsed().as_secs_f64() * 1000.0),
        ))
        .body(body))
}

/// `Vary` of a response that depends on `headers` and on the base URL: the
/// forwarded headers are named only when they are trusted (docs/SECURITY.md S6).
pub fn vary(req: &actix_web::HttpRequest, headers: &str) -> String {
    match base_url_vary(req) {
        Some(forwarded) if headers.is_empty() => forwarded.to_owned(),
        Some(forwarded) => format!("{headers}, {forwarded}"),
        None => headers.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{Phase, ResultsVisibility};
    use chrono::{TimeZone, Utc};
    use model::NotYet;
    use serde_json::json;

    pub(crate) fn irv_report(name: &str) -> serde_json::Value {
        json!({
            "method": "irv",
            "candidates": [{"id": "a", "name": name}, {"id": "b", "name": "Quill"}, {"id": "c", "name": "Ink"}],
            "winners": [{"id": "a", "name": name}],
            "rounds": [
                {"round": 1, "counts": [{"id": "a", "name": name, "votes": 4}, {"id": "b", "name": "Quill", "votes": 3}, {"id": "c", "name": "Ink", "votes": 2}]},
                {"round": 2, "counts": [{"id": "a", "name": name, "votes": 6}, {"id": "b", "name": "Quill", "votes": 3}]}
            ],
            "ranking": [[{"id": "a", "name": name}], [{"id": "b", "name": "Quill"}], [{"id": "c", "name": "Ink"}]],
            "pairwise": null,
            "ballots_counted": 9,
            "computed_at": "2026-11-27T10:00:00Z",
            "phase": "closed",
            "final": true
        })
    }

    fn opts(lang: Lang, theme: Theme) -> RenderOptions {
        RenderOptions {
            contest_id: Uuid::nil(),
            lang,
            theme,
            base_url: "http://127.0.0.1:8080".into(),
            live: false,
        }
    }

    #[test]
    fn hostile_names_are_text() {
        let hostile = "</li><script>alert(1)</script>\"'&";
        let page = Page {
            title: "<b>Title</b>".into(),
            phase: Phase::Closed,
            body: PageBody::Results(ResultsView::from_report(
                &irv_report(hostile),
                Lang::En.strings(),
            )),
        };
        let html = render_html(&page, &opts(Lang::En, Theme::Dark));
        assert!(!html.contains("<script>alert"), "{html}");
        assert!(!html.contains("<b>Title"));
        assert!(html.contains("&lt;/li&gt;&lt;script&gt;alert(1)&lt;/script&gt;&quot;'&amp;"));
        assert_eq!(
            html.matches("<script>").count(),
            1,
            "only the page's own script"
        );
        assert!(html.contains("class=\"dark\""));
        assert!(html.contains("Votes in the final round (round 2 of 2)"));
        assert!(html.contains("6 votes"));
        assert!(html.contains("class=\"bar w100\""));
        assert!(html.contains("class=\"bar w50\""));
    }

    #[test]
    fn not_yet_says_when_in_both_languages() {
        let at = Utc.with_ymd_and_hms(2026, 12, 1, 18, 0, 0).unwrap();
        let page = Page {
            title: "Name the blog".into(),
            phase: Phase::Voting,
            body: PageBody::NotYet(NotYet::new(ResultsVisibility::AfterClose, Some(at))),
        };
        let en = render_html(&page, &opts(Lang::En, Theme::Light));
        assert!(en.contains(
            "Results will be published when voting closes, on 1 December 2026, 18:00 UTC."
        ));
        assert!(en.contains("<html lang=\"en\" class=\"light\""));
        let fr = render_html(&page, &opts(Lang::Fr, Theme::Light));
        assert!(fr.contains("à la clôture du vote, le 1 décembre 2026 à 18:00 UTC"));
        assert!(!fr.contains("http-equiv"));
        assert!(fr.contains("Vote ouvert"));
    }

    #[test]
    fn the_csp_names_the_inline_style_and_script_and_the_ancestors() {
        let csp = content_security_policy(&["https://library.example.org".into()]);
        assert!(csp.contains("frame-ancestors 'self' https://library.example.org"));
        assert!(csp.contains("default-src 'none'"));
        assert!(csp.contains(&csp_hash(stylesheet())));
    }

    #[test]
    fn condorcet_methods_chart_pairwise_wins() {
        let report = json!({
            "method": "schulze",
            "candidates": [{"id": "a", "name": "A"}, {"id": "b", "name": "B"}, {"id": "c", "name": "C"}],
            "winners": [{"id": "b", "name": "B"}],
            "rounds": [],
            "ranking": [[{"id": "b", "name": "B"}], [{"id": "a", "name": "A"}, {"id": "c", "name": "C"}]],
            "pairwise": [[0, 2, 3], [5, 0, 4], [3, 3, 0]],
            "ballots_counted": 6,
            "final": false
        });
        let v = ResultsView::from_report(&report, Lang::En.strings());
        let bars: Vec<(&str, f64)> = v
            .chart
            .bars
            .iter()
            .map(|b| (b.name.as_str(), b.value))
            .collect();
        assert_eq!(bars, [("B", 2.0), ("A", 0.0), ("C", 0.0)]);
        assert_eq!(v.chart.bars[0].label, "2 of 2 head-to-head wins");
        assert!(v.chart.bars[0].winner);
    }

    #[test]
    fn urls_are_percent_encoded() {
        assert_eq!(
            url_encode("http://a.b/c d?x=1&y"),
            "http%3A%2F%2Fa.b%2Fc%20d%3Fx%3D1%26y"
        );
    }
}
