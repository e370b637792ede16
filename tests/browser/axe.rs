//! axe-core (the npm package) run inside the page under test. The script is read
//! from `$CHRISTEN_AXE_CORE` or from `target/npm/node_modules/axe-core/axe.min.js`,
//! where `.ci/run` installs a pinned version with npm; nothing is fetched at test
//! time. WebDriver runs it as a script of the automation (outside the page's CSP).

use std::path::PathBuf;
use std::sync::OnceLock;

use serde_json::{json, Value};

use super::driver::Browser;

/// The version `.ci/run` installs; README says the same.
pub const AXE_CORE_VERSION: &str = "4.11.0";

fn source() -> &'static str {
    static SOURCE: OnceLock<String> = OnceLock::new();
    SOURCE.get_or_init(|| {
        let path = std::env::var_os("CHRISTEN_AXE_CORE")
            .filter(|p| !p.is_empty())
            .map(PathBuf::from)
            .unwrap_or_else(|| {
                PathBuf::from(env!("CARGO_MANIFEST_DIR"))
                    .join("target/npm/node_modules/axe-core/axe.min.js")
            });
        std::fs::read_to_string(&path).unwrap_or_else(|e| {
            panic!(
                "axe-core not found at {} ({e}): the browser test checks every page with it. \
                 Install it with `npm install --prefix target/npm axe-core@{AXE_CORE_VERSION}` \
                 (`bash .ci/run` does this; Debian's `npm` package brings npm) or set \
                 CHRISTEN_AXE_CORE to an axe.min.js",
                path.display()
            )
        })
    })
}

/// Runs axe-core on the current document (not into cross-origin frames: a framed
/// page of ours is checked on its own) and panics on any violation of impact
/// serious or critical, naming the rule, the help text and the elements.
pub fn check(browser: &Browser, state: &str) {
    let loaded = browser.eval(&format!(
        "{}\n;return typeof window.axe === 'object';",
        source()
    ));
    assert_eq!(loaded, json!(true), "axe-core did not load on {state}");
    let violations = browser.eval_async(
        r#"var done = arguments[arguments.length - 1];
window.axe.run(document, { iframes: false, resultTypes: ["violations"] })
  .then(function (r) {
    done(r.violations.map(function (v) {
      return { id: v.id, impact: v.impact, help: v.help,
               nodes: v.nodes.map(function (n) { return n.target.join(" ") + " — " + n.failureSummary; }) };
    }));
  }, function (e) { done({ error: String(e) }); });"#,
        vec![],
    );
    if let Some(err) = violations.get("error") {
        panic!("axe-core failed on {state}: {err}");
    }
    let bad: Vec<&Value> = violations
        .as_array()
        .unwrap()
        .iter()
        .filter(|v| matches!(v["impact"].as_str(), Some("serious" | "critical")))
        .collect();
    let minor = violations.as_array().unwrap().len() - bad.len();
    println!(
        "axe-core on {state}: {} serious or critical, {minor} minor",
        bad.len()
    );
    assert!(
        bad.is_empty(),
        "axe-core finds serious or critical violations on {state}:\n{}",
        serde_json::to_string_pretty(&bad).unwrap()
    );
}

/// Runs [`check`] on a copy of what `shown` shows, loaded into `auditor` (a
/// browser with JavaScript, which axe-core needs for its timers): for pages
/// seen with JavaScript disabled. The copy has no scripts; it is written into
/// a page of the same origin, so its stylesheet loads as it did.
pub fn check_copy(auditor: &Browser, shown: &Browser, state: &str) {
    let url = shown.current_url();
    let html = shown.eval(
        "var d = document.documentElement.cloneNode(true); \
         [].forEach.call(d.querySelectorAll('script'), function (s) { s.remove(); }); \
         return '<!DOCTYPE html>' + d.outerHTML;",
    );
    auditor.goto(&url);
    auditor.eval_with(
        "document.open(); document.write(arguments[0]); document.close(); return true;",
        vec![html],
    );
    check(auditor, &format!("{state} (a copy, no scripts)"));
}
