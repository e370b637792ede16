//! Entering a closed electorate on the participation page — a voting code, an
//! organisation's JWT link — and the page mounted on another site by
//! `widget.js` (`<div data-christen-participate>`), its frame's height
//! following the page. axe-core checks every state.

use fantoccini::key::Key;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{json, Value};

use super::driver::{self, Browser, Options};
use super::helpers::{self, TestApp};
use super::pages::{alert_with, button, check_state, receipt, status_with, WAIT};
use super::site;

const HS_SECRET: &str = "an-organisation-shared-secret-of-40-bytes";

/// The ballots the API counts once the contest is closed (final results).
fn ballots_counted(app: &TestApp, id: &str) -> Value {
    app.move_phase(id, "closed");
    let res = app.results(id, true, "");
    assert_eq!(res.status(), 200);
    res.json::<Value>().unwrap()["ballots_counted"].clone()
}

/// Ranks `name` with its button and casts.
fn cast_for(b: &Browser, name: &str) -> String {
    b.on(b.find(&button(&format!("Rank {name}")), WAIT).click());
    b.navigating(|| b.on(b.find(&button("Cast ballot"), WAIT).click()));
    status_with(b, "Ballot received");
    receipt(b)
}

#[test]
fn a_codes_contest_takes_a_voting_code_and_refuses_an_unknown_one() {
    let _slot = driver::slot();
    let app = helpers::spawn_app();
    let contest = app.voting_contest(
        json!({ "title": "Name the school paper", "electorate": "codes" }),
        &["The Lantern", "Chalk Dust"],
    );
    let code = app.voter_codes(&contest.id, 1).remove(0);
    let b = Browser::launch();
    b.goto(&app.url(&format!("/c/{}?lang=en", contest.id)));
    let field = b.find("//input[@id='code']", WAIT);
    check_state(&b, "the voting-code form", Some("code"));
    b.on(field.send_keys("NOT-A-CODE"));
    b.navigating(|| b.press(&[Key::Enter]));
    alert_with(&b, "not valid");
    check_state(&b, "an unknown voting code", None);
    let field = b.find("//input[@id='code']", WAIT);
    b.on(field.send_keys(&code));
    b.navigating(|| b.on(b.find(&button("Continue"), WAIT).click()));
    b.find(&button("Cast ballot"), WAIT);
    check_state(&b, "the ballot after a voting code", None);
    cast_for(&b, "Chalk Dust");
    assert_eq!(ballots_counted(&app, &contest.id), 1);
}

#[test]
fn a_jwt_link_lets_the_organisations_member_in_and_drops_the_token_from_the_address() {
    let _slot = driver::slot();
    let app = helpers::spawn_app();
    let contest = app.voting_contest(
        json!({ "title": "Name the staff newsletter", "electorate": "jwt" }),
        &["Quarterly Quill", "The Staff Room"],
    );
    let res = app
        .admin(reqwest::Method::PUT, "/v1/voter-jwt-key")
        .json(&json!({ "alg": "HS256", "secret": HS_SECRET }))
        .send()
        .unwrap();
    assert_eq!(res.status(), 200);
    let now = chrono::Utc::now().timestamp();
    let claims = json!({ "sub": "member-7", "aud": contest.id, "exp": now + 3600, "iat": now });
    let key = EncodingKey::from_secret(HS_SECRET.as_bytes());
    let jwt = jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &key).unwrap();
    let b = Browser::launch();
    b.goto(&app.url(&format!("/c/{}?lang=en&token=not.a.jwt", contest.id)));
    alert_with(&b, "not valid");
    check_state(&b, "a refused sign-in link", None);
    b.goto(&app.url(&format!("/c/{}?lang=en&token={jwt}", contest.id)));
    b.find(&button("Cast ballot"), WAIT);
    let url = b.current_url();
    assert!(
        !url.contains("token="),
        "the token stays in the address: {url}"
    );
    check_state(&b, "the ballot after a JWT link", Some("jwt"));
    cast_for(&b, "The Staff Room");
    assert_eq!(ballots_counted(&app, &contest.id), 1);
}

fn library_page(app: &str, contest: &str) -> String {
    format!(
        r#"<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>City Library</title></head>
<body style="font-family:sans-serif;max-width:760px;margin:auto">
<h1>City Library: name our reading room</h1>
<div id="vote" data-christen-participate="{contest}"></div>
<p>Thank you for taking part.</p>
<script src="{app}/widget.js" async></script>
</body></html>"#
    )
}

#[test]
fn the_widget_mounts_the_participation_page_and_its_height_follows_the_page() {
    let _slot = driver::slot();
    let app = helpers::spawn_app();
    let contest = app.voting_contest(
        json!({ "title": "Name our reading room" }),
        &["Quiet Corner", "The Nook", "Story Loft"],
    );
    let page = library_page(&app.address, &contest.id);
    let port = site::serve(move |p| (p == "/").then(|| page.clone()));
    let origin = format!("http://127.0.0.1:{port}");
    let res = app
        .admin(reqwest::Method::PUT, "/v1/allowed-origins")
        .json(&json!({ "origins": [origin] }))
        .send()
        .unwrap();
    assert_eq!(res.status(), 200);
    let b = Browser::launch();
    b.goto(&format!("{origin}/"));
    // The frame starts at 480 px; the page's height message resizes it.
    let height = b.wait_until(
        "var f = document.querySelector('#vote iframe'); \
         return f && f.style.height !== '480px' && parseInt(f.style.height, 10);",
        "the frame resized to its page",
        WAIT,
    );
    let height = height.as_i64().unwrap();
    b.frame(Some(0));
    b.find(&button("Cast ballot"), WAIT);
    let inner = b.eval("return document.documentElement.scrollHeight;");
    b.frame(None);
    let inner = inner.as_i64().unwrap();
    assert!(
        (height - inner).abs() <= 2,
        "the frame is {height} px high, its page {inner} px"
    );
    b.screenshot("participate-widget.png");
    b.frame(Some(0));
    check_state(&b, "the participation page in the widget's frame", None);
    // A ballot cast inside the frame (its cookies are set for a frame).
    cast_for(&b, "Story Loft");
    b.frame(None);
    b.screenshot("participate-widget-received.png");
    assert_eq!(ballots_counted(&app, &contest.id), 1);
}

#[test]
fn the_ballot_in_a_dark_colour_scheme_with_reduced_motion_passes_axe() {
    let _slot = driver::slot();
    let app = helpers::spawn_app();
    let contest = app.voting_contest(
        json!({ "title": "Name the night bus" }),
        &["Owl Line", "Moon Runner"],
    );
    let b = Browser::launch_with(Options {
        dark_reduced_motion: true,
        ..Options::default()
    });
    b.goto(&app.url(&format!("/c/{}?lang=en", contest.id)));
    b.find(&button("Cast ballot"), WAIT);
    let media = b.eval(
        "return [matchMedia('(prefers-color-scheme: dark)').matches, \
                 matchMedia('(prefers-reduced-motion: reduce)').matches];",
    );
    assert_eq!(
        media,
        json!([true, true]),
        "the browser did not ask for dark and reduced motion"
    );
    let transition =
        b.eval("return getComputedStyle(document.querySelector('button')).transitionDuration;");
    assert_eq!(
        transition,
        json!("0s"),
        "buttons still move under reduced motion"
    );
    b.on(b.find(&button("Rank Moon Runner"), WAIT).click());
    check_state(&b, "the ballot in a dark colour scheme", Some("dark"));
    let shown = cast_for(&b, "Owl Line");
    check_state(&b, "the ballot received in a dark colour scheme", None);
    assert_eq!(shown.len(), 32);
}
