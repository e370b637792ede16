//! The results embed: a page on another origin (a listener of this test) frames
//! `/embed/contests/{id}` and mounts the script widget. Checks that
//! - the winner's name renders in the iframe (the embed page posts its winners to
//!   the framing page) and in the widget's Shadow DOM;
//! - after new ballots, the widget updates itself (Server-Sent Events);
//! - a page on an origin the organisation does not allow cannot frame the embed
//!   page (CSP `frame-ancestors`): nothing renders there;
//! - axe-core finds nothing serious or critical on the embed page.
//!
//! A screenshot goes to the artifacts folder as `embed.png`.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use serde_json::json;

use super::driver::{self, Browser};
use super::{axe, helpers, site};

const WINNER_BEFORE: &str = "Quillfeather";
const WINNER_AFTER: &str = "Inkwell Lantern";

fn framing_page(app: &str, contest: &str, with_widget: bool) -> String {
    let widget = if with_widget {
        format!(
            r#"<h2>Script widget</h2>
<div id="widget" data-christen-contest="{contest}"></div>
<script>
var updates = 0;
document.getElementById("widget").addEventListener("christen:update", function () {{
  updates++;
  if (updates === 1) {{
    document.getElementById("widget-first").textContent = this.shadowRoot.textContent;
    fetch("/cast");
  }}
}});
</script>
<script src="{app}/widget.js" async></script>"#
        )
    } else {
        String::new()
    };
    format!(
        r#"<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>A library's web site</title></head>
<body style="font-family:sans-serif">
<h1>City Library: name our blog</h1>
<h2>iframe</h2>
<iframe id="frame" src="{app}/embed/contests/{contest}" width="420" height="420" title="Results"></iframe>
<p>Framed page reports: <span id="frame-out"></span></p>
<script>
addEventListener("message", function (e) {{
  if (e.origin === "{app}" && e.data && e.data.type === "christen:embed") {{
    var out = document.getElementById("frame-out");
    out.textContent += (out.textContent ? " then " : "") + "winners=" + e.data.winners.join("|");
  }}
}});
</script>
{widget}
<pre hidden id="widget-first"></pre>
</body></html>"#
    )
}

#[test]
fn embedded_results_render_update_live_respect_frame_ancestors_and_pass_axe() {
    let _slot = driver::slot();
    let app = helpers::spawn_app();
    let contest = app.voting_contest(
        json!({ "title": "Name our blog", "results_visibility": "live", "live_results_min_batch": 1 }),
        &[WINNER_BEFORE, WINNER_AFTER],
    );
    app.cast_ballots(&contest, &[(&[0, 1], 2), (&[1, 0], 1)]);

    // The allowed site is 127.0.0.1:<port>; the other is `localhost`, another origin.
    let tokens: Vec<String> = (0..3).map(|_| app.mint_voter_token(&contest.id)).collect();
    let ballot_url = app.url(&format!("/v1/contests/{}/ballot", contest.id));
    let ranking = contest.ids(&[1, 0]);
    let cast_once = AtomicBool::new(false);
    let cast = move || {
        if cast_once.swap(true, Ordering::SeqCst) {
            return;
        }
        let client = reqwest::blocking::Client::new();
        for t in &tokens {
            let res = client
                .put(&ballot_url)
                .bearer_auth(t)
                .json(&json!({ "ranking": ranking }))
                .send()
                .unwrap();
            assert_eq!(res.status(), 201);
        }
    };
    let page = Arc::new(framing_page(&app.address, &contest.id, true));
    let allowed_port = site::serve(move |path| match path {
        "/" => Some(page.to_string()),
        "/cast" => {
            cast();
            Some("cast".to_owned())
        }
        _ => None,
    });
    let other = framing_page(&app.address, &contest.id, false);
    let other_port = site::serve(move |path| (path == "/").then(|| other.clone()));
    let allowed = format!("http://127.0.0.1:{allowed_port}");
    let res = app
        .admin(reqwest::Method::PUT, "/v1/allowed-origins")
        .json(&json!({ "origins": [allowed] }))
        .send()
        .unwrap();
    assert_eq!(res.status(), 200);

    let browser = Browser::launch();
    browser.goto(&format!("{allowed}/"));
    let within = Duration::from_secs(30);
    // The frame's reports accumulate: the widget below casts new ballots as
    // soon as it renders, and the live embed page follows them (the stream),
    // so its first report may already be followed by the new winner.
    let framed = browser.wait_for_text("#frame-out", &format!("winners={WINNER_BEFORE}"), within);
    println!("iframe on the allowed origin: {framed}");
    // What the Shadow DOM showed at the first render (the page notes it).
    browser.wait_for_text("#widget-first", &format!("Winner: {WINNER_BEFORE}"), within);
    // The page cast three ballots for the other name: the widget follows.
    let deadline = std::time::Instant::now() + within;
    let latest = loop {
        let html = browser.shadow_html("#widget", ".c");
        if html.contains(&format!("Winner: {WINNER_AFTER}")) {
            break html;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the widget never showed the new winner; it shows: {html}"
        );
        std::thread::sleep(Duration::from_millis(200));
    };
    assert!(!latest.contains(&format!("Winner: {WINNER_BEFORE}")));
    // The framed embed page updates itself too (no reload; the stream).
    browser.wait_for_text("#frame-out", &format!("winners={WINNER_AFTER}"), within);
    browser.screenshot("embed.png");

    // Another origin: the browser refuses to frame the page, so nothing reports.
    browser.goto(&format!("http://localhost:{other_port}/"));
    std::thread::sleep(Duration::from_secs(4));
    assert_eq!(
        browser.text("#frame-out"),
        "",
        "a page on an origin that is not allowed could frame the embed page"
    );
    assert!(browser
        .eval("return document.title;")
        .as_str()
        .is_some_and(|t| t.contains("library")));

    // The embed page itself, live and then with final results.
    browser.goto(&app.url(&format!("/embed/contests/{}", contest.id)));
    browser.wait_for_text("body", WINNER_AFTER, within);
    axe::check(&browser, "the live embed page");
    app.move_phase(&contest.id, "closed");
    browser.goto(&app.url(&format!("/embed/contests/{}?lang=fr", contest.id)));
    browser.wait_for_text("body", WINNER_AFTER, within);
    axe::check(&browser, "the closed embed page in French");
}
