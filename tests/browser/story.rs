//! The whole story of an open contest on its participation page `/c/{id}`, in
//! real browsers: suggest and see "Did you mean", a duplicate explained, a
//! hostile name shown as text; rank by keyboard only with a visible focus,
//! cast, replace; vote with JavaScript disabled (in French); a form on another
//! origin refused (CSRF); every language; the results. axe-core checks every
//! state; screenshots at 360 px and desktop width go to the artifacts folder.
//! The count through the API equals what the browsers cast.

use std::collections::BTreeMap;

use fantoccini::key::Key;
use serde_json::{json, Value};

use super::driver::{self, Browser, Options};
use super::helpers::{self, TestApp};
use super::pages::{
    alert_with, button, check_state, choose_rank, forged_form, lit, rank_by_keyboard, ranked_names,
    receipt, status_with, words, LANGS, WAIT,
};
use super::{axe, site};

const QUILL: &str = "Quillfeather";
const INKWELL: &str = "Inkwell Lantern";
const HOSTILE: &str = "<img src=x onerror=alert(1)>";

fn counted(app: &TestApp, id: &str) -> Value {
    let res = app.results(id, true, "");
    assert_eq!(res.status(), 200);
    res.json().unwrap()
}

/// Suggesting: "Did you mean", a duplicate, the hostile name.
fn suggest(b: &Browser, page: &str) {
    b.goto(page);
    b.wait_for_text("main", QUILL, WAIT);
    check_state(b, "the suggesting page", Some("suggest"));
    let input = b.find("//input[@id='suggestion']", WAIT);
    b.on(input.send_keys("Quilfeather"));
    b.wait_for_text("#similar", "Did you mean", WAIT);
    b.wait_for_text("#similar", QUILL, WAIT);
    check_state(
        b,
        "the suggesting page showing Did you mean",
        Some("did-you-mean"),
    );

    // A normalised duplicate adds support and says so.
    b.on(input.clear());
    b.on(input.send_keys("QUILLFEATHER!"));
    b.navigating(|| b.press(&[Key::Enter]));
    status_with(b, "your support was added");
    check_state(b, "after suggesting a duplicate", None);

    let input = b.find("//input[@id='suggestion']", WAIT);
    b.on(input.send_keys(HOSTILE));
    b.navigating(|| b.press(&[Key::Enter]));
    status_with(b, "your suggestion was added");
    b.wait_for_text("main", HOSTILE, WAIT);
    let names = b.eval(
        "return [].map.call(document.querySelectorAll('.name'), function (e) { return e.textContent; });",
    );
    assert!(
        names.as_array().unwrap().iter().any(|n| n == HOSTILE),
        "the hostile name is not shown as text: {names}"
    );
    let imgs = b.eval("return document.querySelectorAll('main img').length;");
    assert_eq!(imgs, json!(0), "the hostile name became an element");
    assert!(b.no_dialog(), "the hostile name ran a script");
    check_state(b, "the suggestions with a hostile name", Some("hostile"));
}

/// Voting by keyboard only: rank, reorder, cast, then replace the ballot.
fn vote_by_keyboard(b: &Browser, page: &str) -> String {
    b.goto(page);
    b.find(&button("Cast ballot"), WAIT);
    check_state(b, "the empty ballot", None);
    rank_by_keyboard(b, &[INKWELL, QUILL]);
    assert_eq!(ranked_names(b), [INKWELL, QUILL]);
    b.tab_to(&format!("Move {QUILL} up"), 40);
    b.press(&[Key::Enter]);
    assert_eq!(ranked_names(b), [QUILL, INKWELL]);
    check_state(b, "the ballot with a ranking", Some("ballot"));
    b.tab_to("Cast ballot", 80);
    b.navigating(|| b.press(&[Key::Enter]));
    status_with(b, "Ballot received");
    let first = receipt(b);
    check_state(b, "the ballot received", Some("received"));

    // Replace: the ranking comes back; drop one name, rank the hostile one.
    assert_eq!(ranked_names(b), [QUILL, INKWELL]);
    b.find(&button("Update ballot"), WAIT);
    b.tab_to(&format!("Remove {INKWELL} from ranking"), 80);
    b.press(&[Key::Space]);
    rank_by_keyboard(b, &[HOSTILE]);
    assert_eq!(ranked_names(b), [QUILL, HOSTILE]);
    b.tab_to("Update ballot", 80);
    b.navigating(|| b.press(&[Key::Enter]));
    status_with(b, "Ballot received");
    let second = receipt(b);
    check_state(b, "the replaced ballot", None);
    assert_eq!(ranked_names(b), [QUILL, HOSTILE]);
    // Each cast gets a fresh receipt: this is the replacement's page.
    assert_ne!(first, second, "the replaced ballot shows the first receipt");
    second
}

/// A second browser, JavaScript off, in French: the selects, a refusal, a cast.
fn vote_without_javascript(auditor: &Browser, app: &TestApp, id: &str) {
    let b = Browser::launch_with(Options {
        javascript_disabled: true,
        ..Options::default()
    });
    let fr = words("fr");
    b.goto(&app.url(&format!("/c/{id}?lang=fr")));
    b.find(&button(fr.cast), WAIT);
    let enhanced = b.eval("var u = document.querySelector('.rank-ui'); return !!u && !u.hidden;");
    assert_eq!(
        enhanced,
        json!(false),
        "the page's script ran with JavaScript off"
    );
    check_nojs(
        auditor,
        &b,
        "the ballot without JavaScript",
        Some("nojs-ballot"),
    );
    choose_rank(&b, fr, QUILL, "1");
    choose_rank(&b, fr, INKWELL, "1");
    b.navigating(|| b.on(b.find(&button(fr.cast), WAIT).click()));
    let alert = alert_with(&b, "1");
    println!("duplicate ranks refused: {alert}");
    assert!(b.text(".receipt").is_empty());
    check_nojs(auditor, &b, "the refused ballot without JavaScript", None);
    choose_rank(&b, fr, INKWELL, "1");
    choose_rank(&b, fr, HOSTILE, "2");
    choose_rank(&b, fr, QUILL, "");
    b.navigating(|| b.on(b.find(&button(fr.cast), WAIT).click()));
    status_with(&b, fr.received);
    receipt(&b);
    check_nojs(
        auditor,
        &b,
        "the ballot received without JavaScript",
        Some("nojs-received"),
    );
}

/// axe-core on a page seen without JavaScript (on a copy, see
/// [`axe::check_copy`]), and its screenshots.
fn check_nojs(auditor: &Browser, b: &Browser, state: &str, shot: Option<&str>) {
    axe::check_copy(auditor, b, state);
    if let Some(name) = shot {
        b.screenshot(&format!("{name}-desktop.png"));
        b.set_window_size(360, 1400);
        b.screenshot(&format!("{name}-360.png"));
        b.set_window_size(1000, 1100);
    }
}

/// A page on another origin posts to the ballot action: refused, nothing changes.
fn csrf_refused(b: &Browser, app: &TestApp, id: &str, inkwell: &str) {
    let form = forged_form(&app.address, id, inkwell);
    let port = site::serve(move |p| (p == "/").then(|| form.clone()));
    b.goto(&format!("http://127.0.0.1:{port}/"));
    b.navigating(|| b.on(b.find(&button("Claim it"), WAIT).click()));
    let alert = alert_with(b, "could not be sent safely");
    println!("forged form: {alert}");
    check_state(b, "the refused forged form", None);
}

fn every_language(b: &Browser, app: &TestApp, id: &str) {
    for w in &LANGS {
        b.goto(&app.url(&format!("/c/{id}?lang={}", w.lang)));
        // This browser has cast a ballot: the button offers to update it.
        b.find(&button(w.update), WAIT);
        let lang = b.eval("return document.documentElement.lang;");
        assert_eq!(lang, json!(w.lang));
        let label = w.rank_for.replace("{name}", QUILL);
        b.find(
            &format!("//label[normalize-space(.)={}]", lit(&label)),
            WAIT,
        );
        check_state(b, &format!("the ballot in {}", w.lang), None);
    }
}

#[test]
fn an_open_contest_from_suggestion_to_results_in_the_browser() {
    let _slot = driver::slot();
    let app = helpers::spawn_app();
    let id = app.suggesting_contest(json!({
        "title": "Name our reading room", "moderation": "post",
        "results_visibility": "after_close",
    }));
    app.add_suggestion(&id, QUILL);
    let inkwell = app.add_suggestion(&id, INKWELL)["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let page = app.url(&format!("/c/{id}?lang=en"));
    let b = Browser::launch();
    suggest(&b, &page);

    app.move_phase(&id, "voting");
    vote_by_keyboard(&b, &page);
    vote_without_javascript(&b, &app, &id);
    csrf_refused(&b, &app, &id, &inkwell);
    every_language(&b, &app, &id);
    // The JavaScript voter's ballot is still theirs after the forgery.
    b.goto(&page);
    b.find(&button("Update ballot"), WAIT);
    assert_eq!(ranked_names(&b), [QUILL, HOSTILE]);

    // The API counts exactly the two ballots the browsers cast.
    app.move_phase(&id, "closed");
    let result = counted(&app, &id);
    assert_eq!(result["ballots_counted"], 2, "{result}");
    // First choices as cast: Quillfeather (keyboard), Inkwell Lantern (no script).
    let firsts: BTreeMap<String, i64> = result["rounds"][0]["counts"]
        .as_array()
        .expect("round counts")
        .iter()
        .map(|c| {
            (
                c["name"].as_str().unwrap().to_owned(),
                c["votes"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(firsts.get(QUILL), Some(&1), "{result}");
    assert_eq!(firsts.get(INKWELL), Some(&1), "{result}");
    assert_eq!(firsts.get(HOSTILE).copied().unwrap_or(0), 0, "{result}");
    b.goto(&page);
    b.wait_for_text("main", "christen tally", WAIT);
    check_state(&b, "the results", Some("results"));
}
