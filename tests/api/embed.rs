//! Embedding over HTTP: the widget script, oEmbed, the embed page and the SVG
//! chart (escaping of hostile names, visibility before and after close, themes).

use reqwest::Method;
use serde_json::{json, Value};

use crate::helpers::{assert_problem, spawn_app};

#[test]
fn the_widget_script_is_cached_and_open_to_every_site() {
    let app = spawn_app();
    let res = app
        .public(Method::GET, "/widget.js")
        .header("Origin", "https://anywhere.example")
        .send()
        .unwrap();
    assert_eq!(res.status(), 200);
    let h = res.headers().clone();
    assert!(h["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/javascript"));
    assert_eq!(h["access-control-allow-origin"], "*");
    assert!(h["cache-control"].to_str().unwrap().contains("max-age"));
    let etag = h["etag"].to_str().unwrap().to_owned();
    let body = res.text().unwrap();
    assert!(body.contains("data-christen-contest"));
    assert!(body.contains("attachShadow"));
    let res = app
        .public(Method::GET, "/widget.js")
        .header("If-None-Match", &etag)
        .send()
        .unwrap();
    assert_eq!(res.status(), 304);
}

#[test]
fn oembed_describes_embed_pages_as_rich_iframes() {
    let app = spawn_app();
    let contest = app.create_contest(json!({ "title": "Name \"our\" <blog>" }));
    let id = contest["id"].as_str().unwrap();
    let page = app.url(&format!("/embed/contests/{id}?theme=dark"));
    let oembed = |url: &str, extra: &str| {
        app.public(Method::GET, &format!("/oembed?format=json{extra}"))
            .query(&[("url", url)])
            .send()
            .unwrap()
    };
    // A draft is invisible to the public, here too.
    assert_problem(oembed(&page, ""), 404, "not_found");
    app.move_phase(id, "suggesting");

    let res = oembed(&page, "&maxwidth=360");
    assert_eq!(res.status(), 200);
    let body: Value = res.json().unwrap();
    assert_eq!(body["version"], "1.0");
    assert_eq!(body["type"], "rich");
    assert_eq!(body["title"], "Name \"our\" <blog>");
    assert_eq!(body["width"], 360);
    let html = body["html"].as_str().unwrap();
    assert!(html.starts_with("<iframe src=\""), "{html}");
    assert!(
        html.contains(&format!("/embed/contests/{id}?theme=dark\"")),
        "{html}"
    );
    assert!(
        html.contains("title=\"Name &quot;our&quot; &lt;blog&gt;\""),
        "{html}"
    );

    let res = app
        .public(Method::GET, "/oembed?format=xml")
        .query(&[("url", page.as_str())])
        .send()
        .unwrap();
    assert_problem(res, 501, "not_implemented");
    assert_problem(
        oembed("https://elsewhere.example/embed/contests/x", ""),
        404,
        "not_found",
    );
    let res = app
        .public(Method::GET, "/oembed?format=json")
        .send()
        .unwrap();
    assert_problem(res, 400, "invalid_query");
}
