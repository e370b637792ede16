//! End to end in a real headless Chromium (Debian's `chromium`; `.ci/run` installs
//! it when missing; `CHRISTEN_CHROMIUM` names another binary). Without a browser
//! this test fails with a message saying how to get one: it never passes silently.
//!
//! A page served from another origin (a tiny HTTP listener of this test) embeds
//! the contest's `<iframe>` and the script widget. Chromium is driven over the
//! DevTools protocol on a pipe (`--remote-debugging-pipe`, no extra crates). The
//! test checks that
//! - the winner's name renders in the iframe (the embed page posts its winners to
//!   the framing page) and in the widget's Shadow DOM;
//! - after a new ballot, the widget updates itself (Server-Sent Events) to the new
//!   winner;
//! - a page on an origin the organisation does not allow cannot frame the embed
//!   page (CSP `frame-ancestors`): nothing renders there.
//!
//! A screenshot of the page goes to `target/browser-artifacts/embed.png` (or
//! `$CHRISTEN_ARTIFACTS_DIR/embed.png`); its path is printed.

#[path = "support/pg.rs"]
mod pg;

#[path = "api/helpers.rs"]
mod helpers;

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc};
use std::time::{Duration, Instant};

use base64::Engine;
use serde_json::{json, Value};

const WINNER_BEFORE: &str = "Quillfeather";
const WINNER_AFTER: &str = "Inkwell Lantern";

fn chromium_binary() -> PathBuf {
    if let Some(p) = std::env::var_os("CHRISTEN_CHROMIUM").filter(|p| !p.is_empty()) {
        return PathBuf::from(p);
    }
    for name in ["chromium", "chromium-browser", "google-chrome"] {
        if let Some(dir) = std::env::var_os("PATH")
            .iter()
            .flat_map(std::env::split_paths)
            .find(|d| d.join(name).is_file())
        {
            return dir.join(name);
        }
    }
    panic!(
        "no Chromium found for the browser test: install Debian's `chromium` \
         (`apt-get update && apt-get install -y chromium`; `bash .ci/run` does this) \
         or set CHRISTEN_CHROMIUM to a Chromium/Chrome binary"
    );
}

/// A headless Chromium driven over `--remote-debugging-pipe`.
struct Browser {
    child: Child,
    to_browser: ChildStdin,
    from_browser: mpsc::Receiver<Value>,
    next_id: u64,
    session: String,
    _profile: TempDir,
}

struct TempDir(PathBuf);

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

impl Browser {
    fn launch() -> Browser {
        let binary = chromium_binary();
        let profile = std::env::temp_dir().join(format!(
            "christen-chromium-{}-{}",
            std::process::id(),
            uuid::Uuid::new_v4()
        ));
        std::fs::create_dir_all(&profile).unwrap();
        // The pipe protocol uses fds 3 (commands in) and 4 (replies out): the
        // shell hands our stdin and stdout to the browser there.
        let mut child = Command::new("sh")
            .arg("-c")
            .arg("exec \"$0\" \"$@\" 3<&0 4>&1 0</dev/null 1>&2")
            .arg(&binary)
            .args([
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--disable-dev-shm-usage",
                "--window-size=1000,1100",
                "--remote-debugging-pipe",
            ])
            .arg(format!("--user-data-dir={}", profile.display()))
            .arg("about:blank")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", binary.display()));
        let to_browser = child.stdin.take().unwrap();
        let mut out = BufReader::new(child.stdout.take().unwrap());
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || loop {
            let mut buf = Vec::new();
            match out.read_until(0, &mut buf) {
                Ok(0) | Err(_) => return,
                Ok(_) => {
                    buf.pop();
                    if let Ok(v) = serde_json::from_slice::<Value>(&buf) {
                        if tx.send(v).is_err() {
                            return;
                        }
                    }
                }
            }
        });
        let mut b = Browser {
            child,
            to_browser,
            from_browser: rx,
            next_id: 0,
            session: String::new(),
            _profile: TempDir(profile),
        };
        let target = b.call(None, "Target.createTarget", json!({ "url": "about:blank" }));
        let target_id = target["targetId"].as_str().unwrap().to_owned();
        let attached = b.call(
            None,
            "Target.attachToTarget",
            json!({ "targetId": target_id, "flatten": true }),
        );
        b.session = attached["sessionId"].as_str().unwrap().to_owned();
        b
    }

    fn call(&mut self, session: Option<&str>, method: &str, params: Value) -> Value {
        self.next_id += 1;
        let id = self.next_id;
        let mut msg = json!({ "id": id, "method": method, "params": params });
        if let Some(s) = session {
            msg["sessionId"] = json!(s);
        }
        let mut bytes = serde_json::to_vec(&msg).unwrap();
        bytes.push(0);
        self.to_browser
            .write_all(&bytes)
            .unwrap_or_else(|e| panic!("the browser went away: {e}"));
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let reply = self
                .from_browser
                .recv_timeout(left)
                .unwrap_or_else(|_| panic!("no answer from the browser to {method}"));
            if reply["id"] == id {
                assert!(reply.get("error").is_none(), "{method}: {reply}");
                return reply["result"].clone();
            }
        }
    }

    fn page(&mut self, method: &str, params: Value) -> Value {
        let session = self.session.clone();
        self.call(Some(&session), method, params)
    }

    fn navigate(&mut self, url: &str) {
        self.page("Page.navigate", json!({ "url": url }));
    }

    fn eval(&mut self, expression: &str) -> Value {
        let r = self.page(
            "Runtime.evaluate",
            json!({ "expression": expression, "returnByValue": true }),
        );
        r["result"]["value"].clone()
    }

    fn text_of(&mut self, element_id: &str) -> String {
        self.eval(&format!(
            "(document.getElementById('{element_id}') || {{}}).textContent || ''"
        ))
        .as_str()
        .unwrap_or("")
        .to_owned()
    }

    /// Waits until the element's text contains `needle`; returns the text.
    fn wait_for_text(&mut self, element_id: &str, needle: &str, within: Duration) -> String {
        let deadline = Instant::now() + within;
        loop {
            let text = self.text_of(element_id);
            if text.contains(needle) {
                return text;
            }
            assert!(
                Instant::now() < deadline,
                "#{element_id} never showed `{needle}`; it shows: {text:?}"
            );
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    fn screenshot(&mut self, path: &Path) {
        let shot = self.page("Page.captureScreenshot", json!({ "format": "png" }));
        let png = base64::engine::general_purpose::STANDARD
            .decode(shot["data"].as_str().unwrap())
            .unwrap();
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, png).unwrap();
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A tiny web site on another origin: `/` is `page`, `/cast` runs `cast` once.
fn serve_site(page: String, cast: Option<Box<dyn Fn() + Send + Sync>>) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let done = Arc::new(AtomicBool::new(false));
    let page = Arc::new(page);
    let cast = Arc::new(cast);
    std::thread::spawn(move || {
        // A thread per connection: browsers open idle spare connections.
        for stream in listener.incoming().flatten() {
            let (page, cast, done) = (page.clone(), cast.clone(), done.clone());
            std::thread::spawn(move || {
                let _ = stream.set_read_timeout(Some(Duration::from_secs(30)));
                let (status, body) = match request_path(&stream).as_deref() {
                    Some("/") => ("200 OK", page.to_string()),
                    Some("/cast") => {
                        if let Some(cast) = cast.as_ref() {
                            if !done.swap(true, Ordering::SeqCst) {
                                cast();
                            }
                        }
                        ("200 OK", "cast".to_owned())
                    }
                    _ => ("404 Not Found", "not found".to_owned()),
                };
                let mut stream = stream;
                let _ = write!(
                    stream,
                    "HTTP/1.1 {status}\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                    body.len()
                );
            });
        }
    });
    port
}

fn request_path(stream: &TcpStream) -> Option<String> {
    let mut reader = BufReader::new(stream.try_clone().ok()?);
    let mut line = String::new();
    reader.read_line(&mut line).ok()?;
    // Drain the headers.
    loop {
        let mut h = String::new();
        if reader.read_line(&mut h).ok()? <= 2 {
            break;
        }
    }
    line.split_whitespace().nth(1).map(str::to_owned)
}

fn framing_page(app: &str, contest: &str, with_widget: bool) -> String {
    let widget = if with_widget {
        format!(
            r#"<h2>Script widget</h2>
<div id="widget" data-christen-contest="{contest}"></div>
<script>
var updates = 0;
document.getElementById("widget").addEventListener("christen:update", function () {{
  updates++;
  var text = this.shadowRoot.textContent;
  if (updates === 1) {{
    document.getElementById("widget-first").textContent = text;
    fetch("/cast");
  }} else {{
    document.getElementById("widget-latest").textContent = text;
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
    document.getElementById("frame-out").textContent = "winners=" + e.data.winners.join("|");
  }}
}});
</script>
{widget}
<pre id="widget-first" hidden></pre><pre id="widget-latest" hidden></pre>
</body></html>"#
    )
}

#[test]
fn embedded_results_render_in_chromium_update_live_and_respect_frame_ancestors() {
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
    let cast = move || {
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
    let allowed_port = serve_site(
        framing_page(&app.address, &contest.id, true),
        Some(Box::new(cast)),
    );
    let other_port = serve_site(framing_page(&app.address, &contest.id, false), None);
    let allowed = format!("http://127.0.0.1:{allowed_port}");
    let res = app
        .admin(reqwest::Method::PUT, "/v1/allowed-origins")
        .json(&json!({ "origins": [allowed] }))
        .send()
        .unwrap();
    assert_eq!(res.status(), 200);

    let mut browser = Browser::launch();
    browser.page("Page.enable", json!({}));
    browser.navigate(&format!("{allowed}/"));
    let framed = browser.wait_for_text("frame-out", WINNER_BEFORE, Duration::from_secs(30));
    println!("iframe on the allowed origin: {framed}");
    let first = browser.wait_for_text("widget-first", WINNER_BEFORE, Duration::from_secs(30));
    assert!(
        first.contains(&format!("Winner: {WINNER_BEFORE}")),
        "{first}"
    );
    // The page cast three ballots for the other name: the widget follows.
    let latest = browser.wait_for_text(
        "widget-latest",
        &format!("Winner: {WINNER_AFTER}"),
        Duration::from_secs(30),
    );
    println!("widget after the new ballots: {latest}");
    let shot_dir = std::env::var_os("CHRISTEN_ARTIFACTS_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("target")
                .join("browser-artifacts")
        });
    let shot = shot_dir.join("embed.png");
    browser.screenshot(&shot);
    println!("screenshot of the embedding page: {}", shot.display());

    // Another origin: the browser refuses to frame the page, so nothing reports.
    browser.navigate(&format!("http://localhost:{other_port}/"));
    browser.wait_for_text("frame-out", "", Duration::from_secs(10));
    std::thread::sleep(Duration::from_secs(4));
    let blocked = browser.text_of("frame-out");
    assert_eq!(
        blocked, "",
        "a page on an origin that is not allowed could frame the embed page"
    );
    assert!(browser
        .eval("document.title")
        .as_str()
        .is_some_and(|t| t.contains("library")));
}
