//! A headless Chromium driven over WebDriver: Debian's `chromedriver` (package
//! `chromium-driver`) speaks the protocol, the `fantoccini` crate is the client.
//!
//! The tests are synchronous (the API helpers use blocking `reqwest`), so
//! [`Browser`] owns a small Tokio runtime and blocks on each WebDriver command.
//! Each browser has its own `chromedriver` on a free port and its own profile;
//! both go away when it is dropped.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::actions::{InputSource, KeyAction, KeyActions};
use fantoccini::key::Key;
use fantoccini::{Client, ClientBuilder};
use hyper_util::client::legacy::connect::HttpConnector;
use serde_json::{json, Value};

/// Where the tests' screenshots go: `$CHRISTEN_ARTIFACTS_DIR`, else
/// `target/browser-artifacts`.
pub fn artifacts_dir() -> PathBuf {
    std::env::var_os("CHRISTEN_ARTIFACTS_DIR")
        .filter(|p| !p.is_empty())
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("target")
                .join("browser-artifacts")
        })
}

fn on_path(name: &str) -> Option<PathBuf> {
    std::env::var_os("PATH")
        .iter()
        .flat_map(std::env::split_paths)
        .map(|d| d.join(name))
        .find(|p| p.is_file())
}

fn from_env(var: &str) -> Option<PathBuf> {
    std::env::var_os(var)
        .filter(|p| !p.is_empty())
        .map(PathBuf::from)
}

fn chromedriver_binary() -> PathBuf {
    from_env("CHRISTEN_CHROMEDRIVER")
        .or_else(|| on_path("chromedriver"))
        .or_else(|| Some(PathBuf::from("/usr/lib/chromium/chromedriver")).filter(|p| p.is_file()))
        .unwrap_or_else(|| {
            panic!(
                "no chromedriver found for the browser test: install Debian's \
                 `chromium-driver` (`apt-get update && apt-get install -y chromium \
                 chromium-driver`; `bash .ci/run` does this) or set CHRISTEN_CHROMEDRIVER"
            )
        })
}

fn chromium_binary() -> PathBuf {
    from_env("CHRISTEN_CHROMIUM")
        .or_else(|| {
            ["chromium", "chromium-browser", "google-chrome"]
                .iter()
                .find_map(|n| on_path(n))
        })
        .unwrap_or_else(|| {
            panic!(
                "no Chromium found for the browser test: install Debian's `chromium` \
                 (`apt-get update && apt-get install -y chromium chromium-driver`; \
                 `bash .ci/run` does this) or set CHRISTEN_CHROMIUM"
            )
        })
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// How a browser starts.
#[derive(Clone, Copy, Default)]
pub struct Options {
    /// Chrome's content setting: the browser runs no script at all.
    pub javascript_disabled: bool,
    /// The reader asks for a dark colour scheme and reduced motion.
    pub dark_reduced_motion: bool,
}

pub struct Browser {
    rt: tokio::runtime::Runtime,
    client: Option<Client>,
    driver: Child,
}

impl Browser {
    pub fn launch() -> Browser {
        Browser::launch_with(Options::default())
    }

    pub fn launch_with(options: Options) -> Browser {
        let driver_bin = chromedriver_binary();
        let chromium = chromium_binary();
        let port = free_port();
        let driver = Command::new(&driver_bin)
            .arg(format!("--port={port}"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", driver_bin.display()));
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let mut prefs = json!({});
        if options.javascript_disabled {
            prefs["profile.managed_default_content_settings.javascript"] = json!(2);
        }
        let mut args = vec![
            "--headless=new",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-dev-shm-usage",
            "--window-size=1000,1100",
            "--lang=en-GB",
        ];
        if options.dark_reduced_motion {
            args.extend(["--force-dark-mode", "--force-prefers-reduced-motion"]);
        }
        let caps = json!({
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": chromium,
                "args": args,
                "prefs": prefs,
            }
        });
        let caps = caps.as_object().unwrap().clone();
        let url = format!("http://127.0.0.1:{port}");
        let deadline = Instant::now() + Duration::from_secs(30);
        let client = rt.block_on(async {
            loop {
                let attempt = ClientBuilder::new(HttpConnector::new())
                    .capabilities(caps.clone())
                    .connect(&url)
                    .await;
                match attempt {
                    Ok(c) => return c,
                    // chromedriver is still starting.
                    Err(e) if Instant::now() < deadline => {
                        let _ = e;
                        tokio::time::sleep(Duration::from_millis(100)).await;
                    }
                    Err(e) => panic!("no WebDriver session from {}: {e}", driver_bin.display()),
                }
            }
        });
        Browser {
            rt,
            client: Some(client),
            driver,
        }
    }

    fn c(&self) -> &Client {
        self.client.as_ref().unwrap()
    }

    pub fn goto(&self, url: &str) {
        self.rt
            .block_on(self.c().goto(url))
            .unwrap_or_else(|e| panic!("cannot open {url}: {e}"));
    }

    pub fn current_url(&self) -> String {
        self.rt
            .block_on(self.c().current_url())
            .unwrap()
            .to_string()
    }

    /// Runs `script` as a function body with `args`; returns what it returns.
    pub fn eval_with(&self, script: &str, args: Vec<Value>) -> Value {
        self.rt
            .block_on(self.c().execute(script, args))
            .unwrap_or_else(|e| panic!("script failed: {e}\n{script}"))
    }

    pub fn eval(&self, script: &str) -> Value {
        self.eval_with(script, vec![])
    }

    /// Runs an asynchronous script: its last argument is the callback.
    pub fn eval_async(&self, script: &str, args: Vec<Value>) -> Value {
        self.rt
            .block_on(self.c().execute_async(script, args))
            .unwrap_or_else(|e| panic!("async script failed: {e}"))
    }

    /// Text of the element `selector` finds (empty when there is none).
    pub fn text(&self, selector: &str) -> String {
        self.eval_with(
            "var e = document.querySelector(arguments[0]); return e ? e.textContent : '';",
            vec![json!(selector)],
        )
        .as_str()
        .unwrap_or("")
        .to_owned()
    }

    /// Waits until the script (an expression body returning a truthy value)
    /// holds; panics with `what` and the page's text otherwise.
    pub fn wait_until(&self, script: &str, what: &str, within: Duration) -> Value {
        let deadline = Instant::now() + within;
        loop {
            let v = self.eval(script);
            if !(v.is_null() || v == json!(false) || v == json!("") || v == json!(0)) {
                return v;
            }
            if Instant::now() >= deadline {
                let body = self.text("body");
                panic!("{what}: never happened; the page shows: {body:?}");
            }
            std::thread::sleep(Duration::from_millis(150));
        }
    }

    /// Waits until the element's text contains `needle`; returns the text.
    pub fn wait_for_text(&self, selector: &str, needle: &str, within: Duration) -> String {
        let script = format!(
            "var e = document.querySelector({sel}); var t = e ? e.textContent : ''; \
             return t.indexOf({needle}) >= 0 ? t : null;",
            sel = json!(selector),
            needle = json!(needle)
        );
        self.wait_until(&script, &format!("{selector} shows {needle:?}"), within)
            .as_str()
            .unwrap_or("")
            .to_owned()
    }

    /// Presses keys on whatever has the focus, as a person at a keyboard would.
    pub fn press(&self, keys: &[Key]) {
        let mut seq = KeyActions::new("keyboard".to_owned());
        for k in keys {
            let ch = k.chars().next().unwrap();
            seq = seq
                .then(KeyAction::Down { value: ch })
                .then(KeyAction::Up { value: ch });
        }
        self.rt
            .block_on(self.c().perform_actions(seq))
            .unwrap_or_else(|e| panic!("keys failed: {e}"));
    }

    pub fn set_window_size(&self, width: u32, height: u32) {
        self.rt
            .block_on(self.c().set_window_size(width, height))
            .unwrap_or_else(|e| panic!("cannot resize the window: {e}"));
    }

    /// Enters the `index`th frame of the current document (`None`: back to the top).
    pub fn frame(&self, index: Option<u16>) {
        let c = self.c();
        self.rt
            .block_on(async {
                match index {
                    Some(i) => c.enter_frame(i).await,
                    None => c.enter_parent_frame().await,
                }
            })
            .unwrap_or_else(|e| panic!("cannot switch frames: {e}"));
    }

    /// Saves a PNG of the viewport as `name` in the artifacts folder; returns its path.
    pub fn screenshot(&self, name: &str) -> PathBuf {
        let png = self
            .rt
            .block_on(self.c().screenshot())
            .unwrap_or_else(|e| panic!("no screenshot: {e}"));
        let dir = artifacts_dir();
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join(name);
        std::fs::write(&path, png).unwrap();
        println!("screenshot: {}", path.display());
        path
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        if let Some(c) = self.client.take() {
            let _ = self
                .rt
                .block_on(async { tokio::time::timeout(Duration::from_secs(10), c.close()).await });
        }
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

impl Browser {
    /// Markup inside the open Shadow DOM of the element `host` finds (its
    /// `inner` part), read through WebDriver's shadow-root commands, not the
    /// page's own script. Empty while there is none.
    pub fn shadow_html(&self, host: &str, inner: &str) -> String {
        let c = self.c();
        self.rt.block_on(async {
            let Ok(el) = c.find(fantoccini::Locator::Css(host)).await else {
                return String::new();
            };
            let Ok(root) = el.shadow_root().await else {
                return String::new();
            };
            let Ok(part) = root.find(fantoccini::Locator::Css(inner)).await else {
                return String::new();
            };
            part.html(true).await.unwrap_or_default()
        })
    }
}

impl Browser {
    /// The element an XPath finds (waiting up to `within` for it).
    pub fn find(&self, xpath: &str, within: Duration) -> fantoccini::elements::Element {
        let c = self.c();
        let deadline = Instant::now() + within;
        self.rt.block_on(async {
            loop {
                match c.find(fantoccini::Locator::XPath(xpath)).await {
                    Ok(e) => return e,
                    Err(e) if Instant::now() >= deadline => {
                        panic!("nothing matches {xpath}: {e}")
                    }
                    Err(_) => tokio::time::sleep(Duration::from_millis(150)).await,
                }
            }
        })
    }

    /// Runs an element command (click, send keys, select, …) to completion.
    pub fn on<T>(
        &self,
        fut: impl std::future::Future<Output = Result<T, fantoccini::error::CmdError>>,
    ) -> T {
        self.rt
            .block_on(fut)
            .unwrap_or_else(|e| panic!("element command failed: {e}"))
    }
}

/// What has the keyboard focus.
#[derive(Debug)]
pub struct Focus {
    /// The accessible-ish label: `aria-label`, else the text, else the value.
    pub label: String,
    /// An outline or a box shadow is drawn around it.
    pub visible: bool,
}

impl Browser {
    pub fn focus(&self) -> Focus {
        let v = self.eval(
            "var e = document.activeElement; if (!e || e === document.body) return null; \
             var s = getComputedStyle(e); \
             var outline = s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) > 0; \
             return { label: (e.getAttribute('aria-label') || e.textContent || e.value || '').trim(), \
                      visible: outline || s.boxShadow !== 'none' };",
        );
        Focus {
            label: v["label"].as_str().unwrap_or("").to_owned(),
            visible: v["visible"].as_bool().unwrap_or(false),
        }
    }

    /// Presses Tab until the focus is on the control labelled `label` (at most
    /// `max` presses); asserts the focus is visible there. Returns the presses.
    pub fn tab_to(&self, label: &str, max: usize) -> usize {
        let mut seen = Vec::new();
        let here = self.focus();
        if here.label == label {
            assert!(here.visible, "the focus on {label:?} is not visible");
            return 0;
        }
        for n in 1..=max {
            self.press(&[Key::Tab]);
            let f = self.focus();
            if f.label == label {
                assert!(f.visible, "the focus on {label:?} is not visible");
                return n;
            }
            seen.push(f.label);
        }
        panic!("{max} presses of Tab never reached {label:?}; they reached {seen:?}");
    }

    /// The page scrolls sideways at this width (content wider than the viewport).
    pub fn overflows_sideways(&self) -> bool {
        self.eval("return document.documentElement.scrollWidth > window.innerWidth + 1;")
            .as_bool()
            .unwrap_or(true)
    }
}

impl Browser {
    /// No `alert()`, `confirm()` or `prompt()` dialog is open (a script that a
    /// hostile name smuggled in would open one).
    pub fn no_dialog(&self) -> bool {
        self.rt.block_on(self.c().get_alert_text()).is_err()
    }
}

/// At most this many browser tests run at once: each starts a server and one
/// or two Chromiums, and the machines this runs on have two cores.
const AT_ONCE: usize = 2;

static RUNNING: (std::sync::Mutex<usize>, std::sync::Condvar) =
    (std::sync::Mutex::new(0), std::sync::Condvar::new());

/// A place among the browser tests running at once; held for the test's life.
pub struct Slot;

pub fn slot() -> Slot {
    let (lock, freed) = &RUNNING;
    let mut n = lock.lock().unwrap_or_else(|e| e.into_inner());
    while *n >= AT_ONCE {
        n = freed.wait(n).unwrap_or_else(|e| e.into_inner());
    }
    *n += 1;
    Slot
}

impl Drop for Slot {
    fn drop(&mut self) {
        let (lock, freed) = &RUNNING;
        *lock.lock().unwrap_or_else(|e| e.into_inner()) -= 1;
        freed.notify_one();
    }
}

impl Browser {
    /// Runs `act` (a form submission, a click on a link) and waits until a new
    /// document has loaded in its place, so what is read next is the answer,
    /// never the page that sent it.
    pub fn navigating<T>(&self, act: impl FnOnce() -> T) -> T {
        self.eval("window.__christenBefore = true; return true;");
        let out = act();
        self.wait_until(
            "return !window.__christenBefore && document.readyState === 'complete';",
            "a new page after the form was sent",
            Duration::from_secs(30),
        );
        out
    }
}
