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

const HOSTILE: &str = "</text><script>alert(1)</script>";

fn get(app: &crate::helpers::TestApp, path: &str) -> reqwest::blocking::Response {
    app.public(Method::GET, path).send().unwrap()
}

#[test]
fn embed_page_and_svg_show_live_results_with_hostile_names_escaped() {
    let app = spawn_app();
    let res = app
        .admin(Method::PUT, "/v1/allowed-origins")
        .json(&json!({ "origins": ["https://library.example.org"] }))
        .send()
        .unwrap();
    assert_eq!(res.status(), 200);
    let contest = app.voting_contest(
        json!({ "title": "Name <our> blog", "results_visibility": "live", "live_results_min_batch": 1 }),
        &[HOSTILE, "Quill"],
    );
    app.cast_ballots(&contest, &[(&[0, 1], 3), (&[1, 0], 1)]);
    let page_path = format!("/embed/contests/{}", contest.id);

    let res = get(&app, &page_path);
    assert_eq!(res.status(), 200);
    let h = res.headers().clone();
    assert!(h["content-type"].to_str().unwrap().starts_with("text/html"));
    let csp = h["content-security-policy"].to_str().unwrap();
    assert!(
        csp.contains("frame-ancestors 'self' https://library.example.org"),
        "{csp}"
    );
    assert!(csp.contains("default-src 'none'"), "{csp}");
    assert_eq!(h["cache-control"], "public, max-age=3");
    let etag = h["etag"].to_str().unwrap().to_owned();
    let html = res.text().unwrap();
    assert!(!html.contains("<script>alert"), "{html}");
    assert!(html.contains("&lt;/text&gt;&lt;script&gt;alert(1)&lt;/script&gt;"));
    assert!(html.contains("<h1>Name &lt;our&gt; blog</h1>"), "{html}");
    assert!(html.contains("4 ballots counted"), "{html}");
    assert!(html.contains("Voting open"));
    assert!(html.contains("class=\"light\""));
    // Live pages follow the results stream with JavaScript and offer a
    // link without it; they never reload themselves (axe-core's critical
    // `meta-refresh`).
    assert!(!html.contains("http-equiv"), "{html}");
    assert!(
        html.contains(&format!(
            "data-stream=\"/v1/contests/{}/results/stream\"",
            contest.id
        )),
        "{html}"
    );
    assert!(html.contains("Refresh the results</a>"), "{html}");
    assert!(html.contains("type=\"application/json+oembed\""));

    // Unchanged: 304. A new ballot changes the validator.
    let res = app
        .public(Method::GET, &page_path)
        .header("If-None-Match", &etag)
        .send()
        .unwrap();
    assert_eq!(res.status(), 304);
    app.cast_ballots(&contest, &[(&[1, 0], 1)]);
    std::thread::sleep(std::time::Duration::from_millis(3100));
    let res = app
        .public(Method::GET, &page_path)
        .header("If-None-Match", &etag)
        .send()
        .unwrap();
    assert_eq!(res.status(), 200);
    assert!(res.text().unwrap().contains("5 ballots counted"));

    let dark = get(&app, &format!("{page_path}?theme=dark&lang=fr"))
        .text()
        .unwrap();
    assert!(dark.contains("<html lang=\"fr\" class=\"dark\""), "{dark}");
    assert!(dark.contains("5 bulletins comptés"));
    for (lang, counted, refresh) in [
        ("es", "5 papeletas contadas", "Actualizar los resultados"),
        ("de", "5 Stimmzettel gezählt", "Ergebnisse aktualisieren"),
    ] {
        let html = get(&app, &format!("{page_path}?lang={lang}"))
            .text()
            .unwrap();
        assert!(html.contains(&format!("<html lang=\"{lang}\"")), "{html}");
        assert!(html.contains(counted), "{html}");
        assert!(html.contains(refresh), "{html}");
    }
    assert_problem(
        get(&app, &format!("{page_path}?theme=neon")),
        400,
        "invalid_theme",
    );
    assert_problem(
        get(&app, &format!("{page_path}?lang=xx")),
        400,
        "invalid_lang",
    );

    let svg_path = format!("/v1/contests/{}/results.svg", contest.id);
    for theme in ["light", "dark"] {
        let res = get(&app, &format!("{svg_path}?theme={theme}"));
        assert_eq!(res.status(), 200);
        assert_eq!(
            res.headers()["content-type"],
            "image/svg+xml; charset=utf-8"
        );
        assert_eq!(res.headers()["access-control-allow-origin"], "*");
        assert!(res.headers().get("etag").is_some());
        let svg = res.text().unwrap();
        assert!(svg.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\""));
        assert!(!svg.contains("<script"), "{svg}");
        assert!(svg.contains("&lt;/text&gt;&lt;script&gt;alert(1)&lt;/script&gt;"));
        assert_eq!(svg.matches("<text").count(), svg.matches("</text>").count());
        let bg = if theme == "dark" {
            "#121417"
        } else {
            "#ffffff"
        };
        assert!(svg.contains(&format!("fill=\"{bg}\"")), "{theme}");
    }
    assert_problem(
        get(&app, "/v1/contests/not-a-uuid/results.svg"),
        400,
        "invalid_id",
    );
    assert_problem(
        get(&app, "/embed/contests/00000000-0000-0000-0000-000000000000"),
        404,
        "not_found",
    );
}

#[test]
fn before_close_the_views_say_when_results_come_and_after_close_show_them() {
    let app = spawn_app();
    let contest = app.voting_contest(
        json!({
            "results_visibility": "after_close",
            "schedule": { "voting_close_at": "2099-12-01T18:00:00Z" }
        }),
        &["Quill", "Inkwell"],
    );
    app.cast_ballots(&contest, &[(&[1, 0], 2), (&[0, 1], 1)]);
    let page_path = format!("/embed/contests/{}", contest.id);
    let svg_path = format!("/v1/contests/{}/results.svg", contest.id);

    // The results endpoint refuses the public; the views show no result either.
    assert_problem(
        app.results(&contest.id, false, ""),
        403,
        "results_not_visible",
    );
    let html = get(&app, &page_path).text().unwrap();
    assert!(
        html.contains(
            "Results will be published when voting closes, on 1 December 2099, 18:00 UTC."
        ),
        "{html}"
    );
    assert!(!html.contains("Inkwell"), "no candidate leaks before close");
    assert!(!html.contains("ballots counted"));
    let svg = get(&app, &svg_path).text().unwrap();
    assert!(svg.contains("1 December 2099, 18:00 UTC"), "{svg}");
    assert!(!svg.contains("Inkwell"));
    let fr = get(&app, &format!("{page_path}?lang=fr")).text().unwrap();
    assert!(fr.contains("à la clôture du vote"), "{fr}");
    // Stream refused the same way.
    let res = get(&app, &format!("/v1/contests/{}/results/stream", contest.id));
    assert_problem(res, 403, "results_not_visible");

    app.move_phase(&contest.id, "closed");
    let res = get(&app, &page_path);
    assert_eq!(res.headers()["cache-control"], "public, max-age=300");
    let html = res.text().unwrap();
    assert!(html.contains("Final result"), "{html}");
    assert!(
        html.contains("<ol class=\"winners\"><li>Inkwell</li></ol>"),
        "{html}"
    );
    assert!(html.contains("3 ballots counted"));
    assert!(!html.contains("http-equiv=\"refresh\""));
    assert!(
        !html.contains("data-stream=\""),
        "a final result is not followed"
    );
    let svg = get(&app, &svg_path).text().unwrap();
    assert!(svg.contains("Winner: Inkwell"), "{svg}");

    let hidden = app.voting_contest(json!({ "results_visibility": "hidden" }), &["A", "B"]);
    let html = get(&app, &format!("/embed/contests/{}", hidden.id))
        .text()
        .unwrap();
    assert!(
        html.contains("keep the results of this contest private"),
        "{html}"
    );
}

/// Reads the stream until `needle` appears (or 20 s pass); returns what was read.
fn read_until(res: &mut reqwest::blocking::Response, seen: &mut String, needle: &str) {
    use std::io::Read;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    let mut buf = [0u8; 8192];
    while !seen.contains(needle) {
        assert!(
            std::time::Instant::now() < deadline,
            "no `{needle}` in: {seen}"
        );
        let n = res.read(&mut buf).expect("reading the stream");
        assert!(n > 0, "stream ended before `{needle}`: {seen}");
        seen.push_str(&String::from_utf8_lossy(&buf[..n]));
    }
}

#[test]
fn the_stream_sends_a_new_result_when_a_ballot_arrives_through_another_instance() {
    let app = crate::helpers::spawn_app_with(|c| c.max_streams = 1);
    let other = app.another_instance(|_| {});
    let contest = app.voting_contest(
        json!({ "results_visibility": "live", "live_results_min_batch": 1 }),
        &["Quill", "Ink"],
    );
    app.cast_ballots(&contest, &[(&[0, 1], 2)]);
    let path = format!("/v1/contests/{}/results/stream", contest.id);
    let client = reqwest::blocking::Client::builder()
        .timeout(None)
        .build()
        .unwrap();
    let mut res = client.get(app.url(&path)).send().unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-type"], "text/event-stream");
    let mut seen = String::new();
    read_until(&mut res, &mut seen, "\"ballots_counted\":2");
    assert!(seen.starts_with("retry: 5000\n\n"), "{seen}");
    assert!(seen.contains("event: result\n"), "{seen}");

    // The cap: this instance serves one stream; the other instance has room.
    let refused = client.get(app.url(&path)).send().unwrap();
    assert_eq!(refused.status(), 503);
    assert!(refused.headers().get("retry-after").is_some());

    // A ballot cast through the other instance reaches this stream.
    let token = app.mint_voter_token(&contest.id);
    let ballot = client
        .put(other.url(&format!("/v1/contests/{}/ballot", contest.id)))
        .bearer_auth(token)
        .json(&json!({ "ranking": contest.ids(&[1, 0]) }))
        .send()
        .unwrap();
    assert_eq!(ballot.status(), 201);
    read_until(&mut res, &mut seen, "\"ballots_counted\":3");

    // Closing sends the final result and ends the stream.
    app.move_phase(&contest.id, "closed");
    read_until(&mut res, &mut seen, "\"final\":true");
    drop(res);
    // The slot is free again once the stream is gone.
    std::thread::sleep(std::time::Duration::from_millis(300));
    let again = client.get(app.url(&path)).send().unwrap();
    assert_eq!(again.status(), 200);
}
