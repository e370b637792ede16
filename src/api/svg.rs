//! `GET /v1/contests/{id}/results.svg`: the embed page's chart as an SVG image,
//! for `<img>` tags and social posts. Same data and strings as the page
//! ([`super::embed`]); every name is escaped, so `</text><script>` is text.

use std::fmt::Write as _;

use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};

use super::embed::{etag_of, load, ViewQuery};
use super::extract::parse_id;
use super::http::if_none_match;
use super::AppState;
use crate::domain::ContestId;
use crate::error::AppResult;

use super::embed::i18n::{format_time, Lang, Strings};
use super::embed::model::{Chart, NotYet, Page, PageBody, ResultsView};
use super::embed::{escape, Theme};

pub const WIDTH: u32 = 600;
const PAD: u32 = 20;
const ROW: u32 = 44;
/// Longest name drawn in full; longer ones end in `…` (the `<desc>` has them whole).
const MAX_NAME_CHARS: usize = 44;

struct Palette {
    bg: &'static str,
    fg: &'static str,
    muted: &'static str,
    bar: &'static str,
    win: &'static str,
    track: &'static str,
}

const LIGHT: Palette = Palette {
    bg: "#ffffff",
    fg: "#1b1b1f",
    muted: "#4a4f57",
    bar: "#2357a5",
    win: "#0a6b3a",
    track: "#e8eaed",
};

const DARK: Palette = Palette {
    bg: "#121417",
    fg: "#eef0f3",
    muted: "#b8bec7",
    bar: "#7fb0ff",
    win: "#63d497",
    track: "#262a31",
};

fn shorten(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_owned()
    } else {
        let mut t: String = s.chars().take(max - 1).collect();
        t.push('…');
        t
    }
}

/// Splits text into lines of at most `max` characters at spaces (a longer word
/// is cut).
fn wrap(text: &str, max: usize) -> Vec<String> {
    let mut lines = Vec::new();
    let mut line = String::new();
    for word in text.split_whitespace() {
        let word = shorten(word, max);
        if !line.is_empty() && line.chars().count() + 1 + word.chars().count() > max {
            lines.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(&word);
    }
    if !line.is_empty() {
        lines.push(line);
    }
    lines
}

/// The drawing so far: the SVG elements, the `<desc>` sentences, and the
/// baseline of the next line.
struct Canvas<'a> {
    p: &'a Palette,
    body: String,
    desc: Vec<String>,
    y: u32,
}

impl Canvas<'_> {
    /// One line of text at the left margin.
    fn text(&mut self, size: u32, bold: bool, fill: &str, text: &str) {
        let weight = if bold { " font-weight=\"700\"" } else { "" };
        let _ = writeln!(
            self.body,
            "<text x=\"{PAD}\" y=\"{}\" font-size=\"{size}\"{weight} fill=\"{fill}\">{}</text>",
            self.y,
            escape(text)
        );
    }
}

/// Renders the chart. `<title>` and `<desc>` carry the whole result as text.
pub fn render_svg(page: &Page, lang: Lang, theme: Theme) -> String {
    let s = lang.strings();
    let p = match theme {
        Theme::Light => &LIGHT,
        Theme::Dark => &DARK,
    };
    let mut c = Canvas {
        p,
        body: String::new(),
        desc: Vec::new(),
        y: PAD + 18,
    };
    draw_heading(&mut c, page, s);
    match &page.body {
        PageBody::NotYet(n) => draw_not_yet(&mut c, n, s),
        PageBody::Results(r) => draw_results(&mut c, r, s),
    }
    let height = c.y + PAD;
    format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{WIDTH}\" height=\"{height}\" viewBox=\"0 0 {WIDTH} {height}\" role=\"img\" aria-labelledby=\"t d\" font-family=\"system-ui, -apple-system, 'Segoe UI', Roboto, Arial, sans-serif\">\n<title id=\"t\">{}: {}</title>\n<desc id=\"d\">{}</desc>\n<rect width=\"100%\" height=\"100%\" fill=\"{}\"/>\n{}</svg>\n",
        escape(s.chart_of),
        escape(&page.title),
        escape(&c.desc.join(". ")),
        p.bg,
        c.body,
    )
}

/// The title (two lines at most) and the phase line.
fn draw_heading(c: &mut Canvas<'_>, page: &Page, s: &Strings) {
    for line in wrap(&page.title, 48).iter().take(2) {
        c.text(20, true, c.p.fg, line);
        c.y += 26;
    }
    let mut meta = format!("{}: {}", s.phase, s.phase_name(page.phase));
    match &page.body {
        PageBody::Results(r) if r.final_ => meta = format!("{meta} · {}", s.final_result),
        PageBody::Results(_) => meta = format!("{meta} · {}", s.live_result),
        PageBody::NotYet(_) => {}
    }
    c.text(13, false, c.p.muted, &shorten(&meta, 80));
    c.desc.push(meta);
    c.y += 30;
}

/// Why there are no public results yet, and until when.
fn draw_not_yet(c: &mut Canvas<'_>, n: &NotYet, s: &Strings) {
    let message = n.message(s);
    for line in wrap(&message, 70) {
        c.text(15, false, c.p.fg, &line);
        c.y += 22;
    }
    c.desc.push(message);
}

/// The winners, the bars and the footer.
fn draw_results(c: &mut Canvas<'_>, r: &ResultsView, s: &Strings) {
    let heading = if r.winners.len() > 1 {
        s.winners
    } else {
        s.winner
    };
    let winners = if r.winners.is_empty() {
        s.no_winner.to_owned()
    } else {
        format!("{heading}: {}", r.winners.join(", "))
    };
    c.text(17, true, c.p.win, &shorten(&winners, 56));
    c.desc.push(winners);
    c.y += 30;
    if !r.chart.bars.is_empty() {
        draw_bars(c, &r.chart);
    }
    c.y += 22;
    let mut footer = s.ballots_counted(r.ballots_counted);
    if let Some(at) = r.computed_at {
        footer = format!(
            "{footer} · {}",
            s.counted_at.replace("{time}", &format_time(at))
        );
    }
    c.text(12, false, c.p.muted, &footer);
    c.desc.push(footer);
}

/// The chart's caption and one labelled bar per name.
fn draw_bars(c: &mut Canvas<'_>, chart: &Chart) {
    let p = c.p;
    c.text(13, false, p.muted, &shorten(&chart.caption, 84));
    c.desc.push(chart.caption.clone());
    c.y += 12;
    let inner = WIDTH - 2 * PAD;
    for bar in &chart.bars {
        c.y += 18;
        let y = c.y;
        let weight = if bar.winner { "700" } else { "400" };
        let _ = writeln!(
            c.body,
            "<text x=\"{PAD}\" y=\"{y}\" font-size=\"14\" font-weight=\"{weight}\" fill=\"{}\">{}</text>",
            p.fg,
            escape(&shorten(&bar.name, MAX_NAME_CHARS))
        );
        let _ = writeln!(
            c.body,
            "<text x=\"{}\" y=\"{y}\" font-size=\"13\" text-anchor=\"end\" fill=\"{}\">{}</text>",
            WIDTH - PAD,
            p.muted,
            escape(&bar.label)
        );
        let w = (chart.fraction(bar) * f64::from(inner)).round() as u32;
        let colour = if bar.winner { p.win } else { p.bar };
        let _ = writeln!(
            c.body,
            "<rect x=\"{PAD}\" y=\"{}\" width=\"{inner}\" height=\"12\" rx=\"3\" fill=\"{}\"/><rect x=\"{PAD}\" y=\"{}\" width=\"{w}\" height=\"12\" rx=\"3\" fill=\"{colour}\"/>",
            y + 6,
            p.track,
            y + 6
        );
        c.desc.push(format!("{}: {}", bar.name, bar.label));
        c.y += ROW - 18;
    }
}

/// `GET /v1/contests/{id}/results.svg?theme=&lang=`.
pub async fn get(
    state: web::Data<AppState>,
    path: web::Path<String>,
    query: web::Query<ViewQuery>,
    req: HttpRequest,
) -> AppResult<HttpResponse> {
    let id: ContestId = parse_id(&path, "contest")?;
    let (theme, lang) = query.resolve(&req)?;
    let loaded = load(&state, id, lang).await?;
    let etag = etag_of(&[&loaded.version_tag, theme.as_str(), lang.code(), "svg"]);
    let fresh = if_none_match(&req, &etag);
    let mut res = if fresh {
        HttpResponse::NotModified()
    } else {
        HttpResponse::Ok()
    };
    res.insert_header((header::ETAG, etag))
        .insert_header((header::CACHE_CONTROL, loaded.cache_control.clone()))
        .insert_header((header::VARY, "Accept-Language"))
        // An SVG opened on its own is a document: nothing in it may run or load.
        .insert_header((
            header::CONTENT_SECURITY_POLICY,
            "default-src 'none'; style-src 'unsafe-inline'",
        ));
    if fresh {
        return Ok(res.finish());
    }
    Ok(res
        .content_type("image/svg+xml; charset=utf-8")
        .body(render_svg(&loaded.page, lang, theme)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::embed::model::ResultsView;
    use crate::domain::Phase;
    use serde_json::json;

    #[test]
    fn hostile_names_render_as_text_in_well_formed_svg() {
        let hostile = "</text><script>alert(1)</script>&";
        let report = json!({
            "method": "irv",
            "candidates": [{"id": "a", "name": hostile}, {"id": "b", "name": "Quill"}],
            "winners": [{"id": "a", "name": hostile}],
            "rounds": [{"round": 1, "counts": [{"id": "a", "name": hostile, "votes": 5}, {"id": "b", "name": "Quill", "votes": 2.5}]}],
            "ballots_counted": 8,
            "final": true
        });
        let page = Page {
            title: "Name \u{1} the <blog>".into(),
            phase: Phase::Closed,
            body: PageBody::Results(ResultsView::from_report(&report, Lang::En.strings())),
        };
        let svg = render_svg(&page, Lang::En, Theme::Light);
        assert!(!svg.contains("<script"), "{svg}");
        assert!(svg.contains("&lt;/text&gt;&lt;script&gt;alert(1)&lt;/script&gt;&amp;"));
        assert!(svg.contains("2.5 votes"));
        assert!(!svg.contains('\u{1}'));
        assert_eq!(svg.matches("<text").count(), svg.matches("</text>").count());
    }

    #[test]
    fn long_text_is_wrapped_and_shortened() {
        assert_eq!(wrap("a bb ccc", 4), ["a bb", "ccc"]);
        assert_eq!(shorten("abcdef", 4), "abc…");
    }
}
