//! What the participation pages (`/c/{id}`) look like to the tests: their
//! labels in each language and small steps of the story (suggest, rank, cast).

use std::time::Duration;

use fantoccini::key::Key;

use super::axe;
use super::driver::Browser;

pub const WAIT: Duration = Duration::from_secs(30);

/// Strings of the pages in one language (as `src/api/i18n.rs` has them).
pub struct Words {
    pub lang: &'static str,
    pub rank_for: &'static str,
    pub cast: &'static str,
    pub update: &'static str,
    pub received: &'static str,
}

pub const LANGS: [Words; 4] = [
    Words {
        lang: "en",
        rank_for: "Rank for {name}",
        cast: "Cast ballot",
        update: "Update ballot",
        received: "Ballot received",
    },
    Words {
        lang: "fr",
        rank_for: "Rang de {name}",
        cast: "Voter",
        update: "Modifier mon bulletin",
        received: "Bulletin reçu",
    },
    Words {
        lang: "es",
        rank_for: "Posición de {name}",
        cast: "Votar",
        update: "Actualizar mi papeleta",
        received: "Papeleta recibida",
    },
    Words {
        lang: "de",
        rank_for: "Rang für {name}",
        cast: "Stimme abgeben",
        update: "Stimmzettel ändern",
        received: "Stimmzettel erhalten",
    },
];

pub fn words(lang: &str) -> &'static Words {
    LANGS.iter().find(|w| w.lang == lang).unwrap()
}

/// An XPath string literal for `s` (which may hold either kind of quote).
pub fn lit(s: &str) -> String {
    if !s.contains('\'') {
        format!("'{s}'")
    } else if !s.contains('"') {
        format!("\"{s}\"")
    } else {
        let parts: Vec<String> = s.split('\'').map(|p| format!("'{p}'")).collect();
        format!("concat({})", parts.join(", \"'\", "))
    }
}

/// The button whose text (or `aria-label`) is `label`.
pub fn button(label: &str) -> String {
    format!(
        "//button[normalize-space(.)={l} or @aria-label={l}]",
        l = lit(label)
    )
}

/// The text of the page's `role="status"` region once it holds `needle`.
pub fn status_with(b: &Browser, needle: &str) -> String {
    b.wait_for_text("[role=status]", needle, WAIT)
}

/// The text of the page's `role="alert"` region once it holds `needle`.
pub fn alert_with(b: &Browser, needle: &str) -> String {
    b.wait_for_text("[role=alert]", needle, WAIT)
}

/// The receipt the page shows: 32 hex digits.
pub fn receipt(b: &Browser) -> String {
    let r = b.wait_until(
        "var e = document.querySelector('.receipt'); return e && e.textContent.trim();",
        "a receipt",
        WAIT,
    );
    let r = r.as_str().unwrap().to_owned();
    assert!(
        r.len() == 32 && r.chars().all(|c| c.is_ascii_hexdigit()),
        "the receipt is not 32 hex digits: {r:?}"
    );
    r
}

/// Ranks by keyboard only: for each name, Tab to "Rank {name}" and press Enter
/// (odd turns) or Space (even turns). The script moves the focus to the
/// ranked name's buttons, so each search starts from there.
pub fn rank_by_keyboard(b: &Browser, names: &[&str]) {
    for (i, name) in names.iter().enumerate() {
        b.tab_to(&format!("Rank {name}"), 80);
        b.press(&[if i % 2 == 0 { Key::Enter } else { Key::Space }]);
        b.wait_for_text(".ranked", name, WAIT);
    }
}

/// The names in the ranking the script shows, in order.
pub fn ranked_names(b: &Browser) -> Vec<String> {
    let v = b.eval(
        "return [].map.call(document.querySelectorAll('.ranked li .name'), \
         function (e) { return e.textContent; });",
    );
    serde_json::from_value(v).unwrap()
}

/// Chooses rank `rank` (or "" for none) in the select "Rank for {name}" with
/// WebDriver's element commands (no script of the page needed).
pub fn choose_rank(b: &Browser, w: &Words, name: &str, rank: &str) {
    let label = w.rank_for.replace("{name}", name);
    let el = b.find(
        &format!("//label[normalize-space(.)={}]", lit(&label)),
        WAIT,
    );
    let id = b.on(el.attr("for")).expect("the label names its select");
    let select = b.find(&format!("//select[@id={}]", lit(&id)), WAIT);
    b.on(select.select_by_value(rank));
}

/// Axe on the current page, with the width checks of WCAG's reflow: no
/// sideways scrolling at 320 px, and screenshots at 360 px and desktop width.
pub fn check_state(b: &Browser, state: &str, shot: Option<&str>) {
    axe::check(b, state);
    if let Some(name) = shot {
        b.screenshot(&format!("{name}-desktop.png"));
        b.set_window_size(360, 1400);
        b.screenshot(&format!("{name}-360.png"));
        b.set_window_size(320, 1400);
        assert!(
            !b.overflows_sideways(),
            "{state} scrolls sideways at 320 px"
        );
        b.set_window_size(1000, 1100);
    }
}

/// A page on another origin whose form posts to the contest's ballot action
/// without the page's form token: a cross-site request forgery.
pub fn forged_form(app: &str, contest: &str, candidate: &str) -> String {
    let field = format!("r.{candidate}");
    format!(
        r#"<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>Win a prize</title></head>
<body><h1>Win a prize</h1>
<form method="post" action="{app}/c/{contest}/ballot?lang=en">
<input type="hidden" name="{field}" value="1">
<button type="submit">Claim it</button></form></body></html>"#
    )
}
