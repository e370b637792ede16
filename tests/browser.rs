//! End to end in a real headless Chromium (Debian's `chromium`), driven over
//! WebDriver: Debian's `chromedriver` (package `chromium-driver`) and the
//! `fantoccini` client. `.ci/run` installs both when missing, and axe-core (npm)
//! into `target/npm`; `CHRISTEN_CHROMIUM`, `CHRISTEN_CHROMEDRIVER` and
//! `CHRISTEN_AXE_CORE` name other copies. Without them this test fails with a
//! message saying how to get them: it never passes silently.
//!
//! Pages of another origin are served by a tiny listener of the test
//! ([`site`]). Every page state is checked with axe-core ([`axe`]): any
//! violation of impact serious or critical fails. Screenshots go to
//! `target/browser-artifacts/` (or `$CHRISTEN_ARTIFACTS_DIR`); their paths are
//! printed.

#[path = "support/pg.rs"]
mod pg;

#[path = "api/helpers.rs"]
mod helpers;

#[path = "browser/axe.rs"]
mod axe;
#[path = "browser/driver.rs"]
mod driver;
#[path = "browser/embed.rs"]
mod embed;
#[path = "browser/entry.rs"]
mod entry;
#[path = "browser/pages.rs"]
mod pages;
#[path = "browser/site.rs"]
mod site;
#[path = "browser/story.rs"]
mod story;
