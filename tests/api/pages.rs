//! The participation pages over HTTP, without JavaScript: a client without a
//! cookie jar that carries `Set-Cookie` itself, follows no redirect, and sends
//! the forms a browser would send.

use std::collections::BTreeMap;
use std::time::Duration;

use jsonwebtoken::{Algorithm, EncodingKey, Header};
use reqwest::blocking::{Client, Response};
use reqwest::header::HeaderMap;
use reqwest::Method;
use serde_json::{json, Value};

use crate::helpers::{spawn_app, spawn_app_with, TestApp};

/// One browser: its cookies, and the last page it saw.
struct Browser<'a> {
    app: &'a TestApp,
    client: Client,
    cookies: BTreeMap<String, String>,
    lang: &'static str,
}

/// An answer: status, headers, body.
struct Page {
    status: u16,
    headers: HeaderMap,
    body: String,
}

impl Page {
    fn location(&self) -> &str {
        self.headers["location"].to_str().unwrap()
    }

    fn set_cookies(&self) -> Vec<String> {
        self.headers
            .get_all("set-cookie")
            .iter()
            .map(|v| v.to_str().unwrap().to_owned())
            .collect()
    }

    /// The form token in the page.
    fn csrf(&self) -> String {
        let start = self
            .body
            .find("name=\"csrf\" value=\"")
            .expect("a form token")
            + 19;
        self.body[start..start + 64].to_owned()
    }

    /// The text of the `role` region (`alert` or `status`), tags dropped.
    fn region(&self, role: &str) -> String {
        let marker = format!("role=\"{role}\">");
        let Some(start) = self.body.find(&marker) else {
            return String::new();
        };
        let rest = &self.body[start + marker.len()..];
        let end = rest.find("</div>").unwrap_or(rest.len());
        let mut text = String::new();
        let mut in_tag = false;
        for c in rest[..end].chars() {
            match c {
                '<' => in_tag = true,
                '>' => in_tag = false,
                c if !in_tag => text.push(c),
                _ => {}
            }
        }
        text
    }
}

impl<'a> Browser<'a> {
    fn new(app: &'a TestApp) -> Self {
        Browser {
            app,
            client: Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .timeout(Duration::from_secs(30))
                .build()
                .unwrap(),
            cookies: BTreeMap::new(),
            lang: "en",
        }
    }

    fn keep(&mut self, res: Response) -> Page {
        let status = res.status().as_u16();
        let headers = res.headers().clone();
        for v in headers.get_all("set-cookie") {
            let v = v.to_str().unwrap();
            let pair = v.split(';').next().unwrap();
            let (k, val) = pair.split_once('=').unwrap();
            self.cookies.insert(k.to_owned(), val.to_owned());
        }
        Page {
            status,
            headers,
            body: res.text().unwrap(),
        }
    }

    fn cookie_header(&self) -> String {
        self.cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    fn request(&self, method: Method, path: &str) -> reqwest::blocking::RequestBuilder {
        let mut req = self.client.request(method, self.app.url(path));
        if !self.cookies.is_empty() {
            req = req.header("Cookie", self.cookie_header());
        }
        req
    }

    fn get(&mut self, path: &str) -> Page {
        let res = self.request(Method::GET, path).send().unwrap();
        self.keep(res)
    }

    fn page(&mut self, contest: &str) -> Page {
        let path = format!("/c/{contest}?lang={}", self.lang);
        self.get(&path)
    }

    /// Posts `fields` (and the page's form token) to `/c/{contest}{action}`,
    /// from the page's own origin.
    fn post(&mut self, contest: &str, action: &str, fields: &[(&str, &str)]) -> Page {
        let csrf = self.page(contest).csrf();
        let mut all: Vec<(&str, &str)> = vec![("csrf", csrf.as_str())];
        all.extend_from_slice(fields);
        let res = self
            .request(
                Method::POST,
                &format!("/c/{contest}{action}?lang={}", self.lang),
            )
            .header("Origin", self.app.address.as_str())
            .form(&all)
            .send()
            .unwrap();
        self.keep(res)
    }

    /// Posts, expects the 303, and follows it.
    fn post_ok(&mut self, contest: &str, action: &str, fields: &[(&str, &str)]) -> Page {
        let res = self.post(contest, action, fields);
        assert_eq!(res.status, 303, "{}", res.body);
        let to = res.location().to_owned();
        assert!(to.starts_with(&format!("/c/{contest}?")), "{to}");
        self.get(&to)
    }
}

fn suggestions(app: &TestApp, contest: &str) -> Vec<Value> {
    let body: Value = app
        .public(Method::GET, &format!("/v1/contests/{contest}/suggestions"))
        .send()
        .unwrap()
        .json()
        .unwrap();
    body["items"].as_array().unwrap().clone()
}

#[test]
fn a_visitor_suggests_supports_and_is_told_about_duplicates_without_javascript() {
    let app = spawn_app();
    let contest = app
        .suggesting_contest(json!({ "moderation": "post", "max_suggestions_per_participant": 2 }));
    let mut ann = Browser::new(&app);

    let first = ann.page(&contest);
    assert_eq!(first.status, 200);
    assert!(first
        .body
        .contains("<label for=\"suggestion\">Your suggestion</label>"));
    assert!(first.body.contains(">Suggest</button>"));
    let cookies = first.set_cookies();
    assert_eq!(
        cookies.len(),
        1,
        "only the browser cookie before any action: {cookies:?}"
    );
    assert!(
        cookies[0].contains(&format!("Path=/c/{contest}; HttpOnly; SameSite=Lax")),
        "{cookies:?}"
    );

    let after = ann.post_ok(&contest, "/suggest", &[("name", "Quill")]);
    assert!(
        after.region("status").contains("Thank you"),
        "{}",
        after.body
    );
    assert!(
        ann.cookies.contains_key("christen_v"),
        "the first action gets a voter"
    );
    // A reload costs no new voter token.
    let reload = ann.page(&contest);
    assert!(
        reload.set_cookies().is_empty(),
        "{:?}",
        reload.set_cookies()
    );

    // The same name again, as another spelling: explained, and support added.
    let mut ben = Browser::new(&app);
    let dup = ben.post_ok(&contest, "/suggest", &[("name", "  QUILL ")]);
    assert!(
        dup.region("status")
            .contains("“Quill” was already suggested — your support was added."),
        "{}",
        dup.body
    );
    assert!(dup.body.contains("2 supporters"), "{}", dup.body);
    // The support button on a listed name.
    let mut cy = Browser::new(&app);
    let sup = cy.post_ok(&contest, "/suggest", &[("name", "Quill"), ("support", "1")]);
    assert!(
        sup.region("status")
            .contains("Your support for “Quill” was added."),
        "{}",
        sup.body
    );
    assert!(sup.body.contains("aria-label=\"Support Quill\""));
    let again = cy.post_ok(&contest, "/suggest", &[("name", "Quill"), ("support", "1")]);
    assert!(again
        .region("status")
        .contains("You already support “Quill”."));

    // A hostile name is text.
    let hostile = "<img src=x onerror=alert(1)>";
    let page = ann.post_ok(&contest, "/suggest", &[("name", hostile)]);
    assert!(!page.body.contains("<img src=x"), "{}", page.body);
    assert!(page.body.contains("&lt;img src=x onerror=alert(1)&gt;"));

    // The per-participant limit (2) is explained, with a 409 and the name kept.
    let over = ann.post(&contest, "/suggest", &[("name", "Inkwell")]);
    assert_eq!(over.status, 409);
    assert!(
        over.region("alert")
            .contains("as many names as this contest allows (2)"),
        "{}",
        over.body
    );
    assert!(over.body.contains("value=\"Inkwell\""));
    // A name the rules refuse: the page with an alert, not a 500.
    let empty = ann.post(&contest, "/suggest", &[("name", "   ")]);
    assert_eq!(empty.status, 422);
    assert!(empty
        .region("alert")
        .contains("This name cannot be suggested"));

    let names: Vec<String> = suggestions(&app, &contest)
        .iter()
        .map(|s| s["name"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(names.len(), 2, "{names:?}");
    let quill = suggestions(&app, &contest)
        .into_iter()
        .find(|s| s["name"] == "Quill")
        .unwrap();
    assert_eq!(quill["support_count"], 3);
}

#[test]
fn forms_from_another_origin_or_without_the_token_change_nothing() {
    let app = spawn_app();
    let contest = app.voting_contest(json!({}), &["Quill", "Inkwell"]);
    let mut b = Browser::new(&app);
    let page = b.page(&contest.id);
    let csrf = page.csrf();
    let field = format!("r.{}", contest.candidates[0]);
    let post = |b: &Browser, origin: Option<&str>, token: Option<&str>| {
        let mut form: Vec<(&str, &str)> = vec![(field.as_str(), "1")];
        if let Some(t) = token {
            form.push(("csrf", t));
        }
        let mut req = b.request(Method::POST, &format!("/c/{}/ballot", contest.id));
        if let Some(o) = origin {
            req = req.header("Origin", o);
        }
        req.form(&form).send().unwrap()
    };
    for (origin, token) in [
        (Some("https://evil.example"), Some(csrf.as_str())),
        (Some("null"), Some(csrf.as_str())),
        (Some(app.address.as_str()), None),
        (Some(app.address.as_str()), Some(&"0".repeat(64))),
        (None, Some("short")),
    ] {
        let res = post(&b, origin, token);
        let page = b.keep(res);
        assert_eq!(page.status, 403, "{origin:?} {token:?}");
        assert!(
            page.region("alert").contains("could not be sent safely"),
            "{}",
            page.body
        );
    }
    // Without the browser cookie at all: the page says how to get on.
    let bare = Browser::new(&app);
    let res = post(&bare, Some(app.address.as_str()), Some(&csrf));
    assert_eq!(res.status(), 403);
    assert!(res.text().unwrap().contains("Open the page in a new tab"));
    assert_eq!(app.ballot_rows(&contest.id), 0);
    // The real form goes through.
    let res = post(&b, Some(app.address.as_str()), Some(&csrf));
    assert_eq!(res.status(), 303);
    assert_eq!(app.ballot_rows(&contest.id), 1);
}

#[test]
fn a_voter_ranks_with_selects_replaces_and_withdraws_and_the_api_counts_it() {
    let app = spawn_app();
    let contest = app.voting_contest(
        json!({ "results_visibility": "live", "live_results_min_batch": 1 }),
        &["Quill", "Inkwell", "Margin"],
    );
    let [q, i, m] = [0, 1, 2].map(|k| format!("r.{}", contest.candidates[k]));
    let mut b = Browser::new(&app);
    let page = b.page(&contest.id);
    for name in ["Quill", "Inkwell", "Margin"] {
        assert!(
            page.body.contains(&format!(">Rank for {name}</label>")),
            "{}",
            page.body
        );
    }
    assert!(page.body.contains(">Cast ballot</button>"));
    assert!(page.body.contains("data-l-up=\"Move {name} up\""));

    // Gaps, repeats and nothing ranked are refused, the choices kept.
    let gap = b.post(&contest.id, "/ballot", &[(&q, "1"), (&i, "3"), (&m, "")]);
    assert_eq!(gap.status, 422);
    assert!(
        gap.region("alert").contains("rank 2 is missing"),
        "{}",
        gap.body
    );
    assert!(gap.body.contains("<option value=\"3\" selected>3</option>"));
    let twice = b.post(&contest.id, "/ballot", &[(&q, "1"), (&i, "1")]);
    assert_eq!(twice.status, 422);
    assert!(twice
        .region("alert")
        .contains("Rank 1 is given to more than one name"));
    let none = b.post(&contest.id, "/ballot", &[(&q, ""), (&i, ""), (&m, "")]);
    assert_eq!(none.status, 422);
    assert!(none.region("alert").contains("Rank at least one name"));
    assert_eq!(app.ballot_rows(&contest.id), 0);

    let cast = b.post_ok(&contest.id, "/ballot", &[(&q, "2"), (&i, "1"), (&m, "")]);
    let status = cast.region("status");
    assert!(status.contains("Ballot received"), "{}", cast.body);
    let receipt = status.split("Receipt: ").nth(1).unwrap()[..32].to_owned();
    assert!(receipt.bytes().all(|c| c.is_ascii_hexdigit()), "{receipt}");
    assert!(cast.body.contains(">Update ballot</button>"));
    assert!(cast
        .body
        .contains("<option value=\"1\" selected>1</option>"));

    // Replaced: still one ballot, a new receipt.
    let replaced = b.post_ok(&contest.id, "/ballot", &[(&q, "1"), (&i, ""), (&m, "2")]);
    assert!(!replaced.region("status").contains(&receipt));
    assert_eq!(app.ballot_rows(&contest.id), 1);
    let mut other = Browser::new(&app);
    let seen = other.post_ok(&contest.id, "/ballot", &[(&i, "1")]);
    // Live results show under the ballot, as the embed page shows them.
    assert!(seen.body.contains("2 ballots counted"), "{}", seen.body);
    let result: Value = app.results(&contest.id, false, "").json().unwrap();
    assert_eq!(result["ballots_counted"], 2, "{result}");

    let gone = b.post_ok(&contest.id, "/withdraw", &[]);
    assert!(gone.region("status").contains("withdrawn"));
    assert!(gone.body.contains(">Cast ballot</button>"));
    let result: Value = app.results(&contest.id, false, "").json().unwrap();
    assert_eq!(result["ballots_counted"], 1, "{result}");
}

#[test]
fn a_codes_contest_asks_for_the_code_and_refuses_an_unknown_one() {
    let app = spawn_app();
    let contest = app.voting_contest(json!({ "electorate": "codes" }), &["Quill", "Inkwell"]);
    let codes = app.voter_codes(&contest.id, 1);
    let mut b = Browser::new(&app);
    let page = b.page(&contest.id);
    assert!(
        page.body
            .contains("<label for=\"code\">Voting code</label>"),
        "{}",
        page.body
    );
    assert!(page.body.contains(">Continue</button>"));
    assert!(!page.body.contains("Rank for"));

    let wrong = b.post(
        &contest.id,
        "/enter",
        &[("code", "AAAAA-BBBBB-CCCCC-DDDDD")],
    );
    assert_eq!(wrong.status, 401);
    assert!(
        wrong.region("alert").contains("not valid for this contest"),
        "{}",
        wrong.body
    );
    // A ballot without a code is refused with the same explanation.
    let field = format!("r.{}", contest.candidates[0]);
    let early = b.post(&contest.id, "/ballot", &[(&field, "1")]);
    assert_eq!(early.status, 401);

    let entered = b.post_ok(&contest.id, "/enter", &[("code", &codes[0].to_lowercase())]);
    assert!(entered.body.contains("Rank for Quill"), "{}", entered.body);
    b.post_ok(&contest.id, "/ballot", &[(&field, "1")]);
    assert_eq!(app.ballot_rows(&contest.id), 1);
}

const HS_SECRET: &str = "an-organisation-shared-secret-of-40-bytes";

#[test]
fn a_jwt_link_sets_the_cookie_and_redirects_without_the_token() {
    let app = spawn_app();
    let res = app
        .admin(Method::PUT, "/v1/voter-jwt-key")
        .json(&json!({ "alg": "HS256", "secret": HS_SECRET }))
        .send()
        .unwrap();
    assert!(res.status().is_success());
    let contest = app.voting_contest(json!({ "electorate": "jwt" }), &["Quill", "Inkwell"]);
    let exp = chrono::Utc::now().timestamp() + 3600;
    let token = jsonwebtoken::encode(
        &Header::new(Algorithm::HS256),
        &json!({ "sub": "reader-42", "aud": contest.id, "exp": exp }),
        &EncodingKey::from_secret(HS_SECRET.as_bytes()),
    )
    .unwrap();
    let mut b = Browser::new(&app);
    let without = b.page(&contest.id);
    assert!(
        without.body.contains("open this page from the link"),
        "{}",
        without.body
    );

    let bad = b.get(&format!("/c/{}?token=not.a.jwt", contest.id));
    assert_eq!(bad.status, 401);
    assert!(bad.region("alert").contains("sign-in link is not valid"));

    let res = b.get(&format!("/c/{}?lang=en&token={token}", contest.id));
    assert_eq!(res.status, 303);
    assert_eq!(res.location(), format!("/c/{}?lang=en", contest.id));
    assert_eq!(b.cookies["christen_v"], token);
    let field = format!("r.{}", contest.candidates[1]);
    let cast = b.post_ok(&contest.id, "/ballot", &[(&field, "1")]);
    assert!(cast.region("status").contains("Ballot received"));
    assert_eq!(app.ballot_rows(&contest.id), 1);
}

#[test]
fn every_language_has_its_page_by_query_or_accept_language() {
    let app = spawn_app();
    let contest = app.suggesting_contest(json!({}));
    for (lang, words) in [
        ("en", "Your suggestion"),
        ("fr", "Votre proposition"),
        ("es", "Su propuesta"),
        ("de", "Ihr Vorschlag"),
    ] {
        let mut b = Browser::new(&app);
        let page = b.get(&format!("/c/{contest}?lang={lang}"));
        assert!(
            page.body.contains(&format!("<html lang=\"{lang}\"")),
            "{lang}"
        );
        assert!(page.body.contains(words), "{lang}: {}", page.body);
        let res = app
            .public(Method::GET, &format!("/c/{contest}"))
            .header("Accept-Language", format!("it, {lang}-XX;q=0.8"))
            .send()
            .unwrap();
        assert!(res
            .text()
            .unwrap()
            .contains(&format!("<html lang=\"{lang}\"")));
    }
}

#[test]
fn drafts_and_unknown_contests_are_404_pages() {
    let app = spawn_app();
    let draft = app.create_contest(json!({}))["id"]
        .as_str()
        .unwrap()
        .to_owned();
    for path in [
        format!("/c/{draft}"),
        format!("/c/{}", uuid::Uuid::new_v4()),
    ] {
        let res = app.public(Method::GET, &path).send().unwrap();
        assert_eq!(res.status(), 404);
        assert!(res.text().unwrap().contains("role=\"alert\""));
    }
    let res = app.public(Method::GET, "/c/not-an-id").send().unwrap();
    assert!(res.status().is_client_error());
}

#[test]
fn the_open_voter_limit_is_explained_on_the_page() {
    let app = spawn_app_with(|c| c.open_voter_limit.max_per_window = 1);
    let contest = app.voting_contest(json!({}), &["Quill", "Inkwell"]);
    let field = format!("r.{}", contest.candidates[0]);
    let mut first = Browser::new(&app);
    first.post_ok(&contest.id, "/ballot", &[(&field, "1")]);
    // The same browser again costs no token.
    first.post_ok(&contest.id, "/ballot", &[(&field, "1")]);
    let mut second = Browser::new(&app);
    let res = second.post(&contest.id, "/ballot", &[(&field, "1")]);
    assert_eq!(res.status, 429);
    assert!(
        res.region("alert")
            .contains("ask the organisers for voting codes"),
        "{}",
        res.body
    );
    assert_eq!(app.ballot_rows(&contest.id), 1);
}

#[test]
fn a_closed_contest_shows_results_the_export_and_the_recount_line() {
    let app = spawn_app();
    let contest = app.voting_contest(json!({}), &["Quill", "Inkwell"]);
    app.cast_ballots(&contest, &[(&[1, 0], 2), (&[0], 1)]);
    app.move_phase(&contest.id, "closed");
    let mut b = Browser::new(&app);
    let page = b.page(&contest.id);
    assert_eq!(page.status, 200);
    assert!(
        page.body
            .contains("<ol class=\"winners\"><li>Inkwell</li></ol>"),
        "{}",
        page.body
    );
    assert!(page.body.contains("3 ballots counted"));
    assert!(page
        .body
        .contains(&format!("/v1/contests/{}/ballots?format=csv", contest.id)));
    assert!(page
        .body
        .contains("| christen tally --format csv --method irv --seed "));
}

#[test]
fn pages_load_one_hashed_css_and_js_with_a_strict_csp_and_framing_rules() {
    let app = spawn_app();
    let res = app
        .admin(Method::PUT, "/v1/allowed-origins")
        .json(&json!({ "origins": ["https://library.example.org"] }))
        .send()
        .unwrap();
    assert_eq!(res.status(), 200);
    let contest = app.suggesting_contest(json!({}));
    let mut b = Browser::new(&app);
    let page = b.get(&format!("/c/{contest}?framed=1"));
    let csp = page.headers["content-security-policy"].to_str().unwrap();
    assert!(!csp.contains("unsafe-inline"), "{csp}");
    assert!(csp.contains("script-src 'self'"), "{csp}");
    assert!(
        csp.contains("frame-ancestors 'self' https://library.example.org"),
        "{csp}"
    );
    // `no-referrer` would make browsers send `Origin: null` on the page's own
    // forms, which the CSRF check refuses.
    assert_eq!(page.headers["referrer-policy"], "same-origin");
    assert!(!page.body.contains("<script>"), "no inline script");
    assert!(!page.body.contains("style="), "no inline style");
    assert!(page.set_cookies()[0].contains("SameSite=None; Secure; Partitioned"));
    assert!(page.body.contains("Open in a new tab"));
    for ext in ["css", "js"] {
        let marker = "/assets/page.";
        let start = page
            .body
            .match_indices(marker)
            .map(|(i, _)| i)
            .find(|i| page.body[*i..].split('"').next().unwrap().ends_with(ext))
            .unwrap();
        let path = page.body[start..].split('"').next().unwrap().to_owned();
        let res = app.public(Method::GET, &path).send().unwrap();
        assert_eq!(res.status(), 200, "{path}");
        assert_eq!(
            res.headers()["cache-control"],
            "public, max-age=31536000, immutable"
        );
    }
    let res = app
        .public(Method::GET, "/assets/page.0000.css")
        .send()
        .unwrap();
    assert_eq!(res.status(), 404);
}

#[test]
fn a_contest_raises_its_open_voter_limit_for_a_shared_network() {
    let app = spawn_app_with(|c| c.open_voter_limit.max_per_window = 1);
    let contest = app.voting_contest(json!({ "open_voter_limit": 3 }), &["Quill", "Inkwell"]);
    let got: Value = app
        .admin(Method::GET, &format!("/v1/contests/{}", contest.id))
        .send()
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(got["open_voter_limit"], 3);
    let field = format!("r.{}", contest.candidates[0]);
    for _ in 0..3 {
        Browser::new(&app).post_ok(&contest.id, "/ballot", &[(&field, "1")]);
    }
    let res = Browser::new(&app).post(&contest.id, "/ballot", &[(&field, "1")]);
    assert_eq!(res.status, 429);
    // The organiser lifts it while voting; `null` would restore the default.
    let res = app
        .admin(Method::PATCH, &format!("/v1/contests/{}", contest.id))
        .json(&json!({ "open_voter_limit": 0 }))
        .send()
        .unwrap();
    assert_eq!(res.status(), 200, "{:?}", res.text());
    Browser::new(&app).post_ok(&contest.id, "/ballot", &[(&field, "1")]);
    assert_eq!(app.ballot_rows(&contest.id), 4);
    let res = app
        .admin(Method::PATCH, &format!("/v1/contests/{}", contest.id))
        .json(&json!({ "open_voter_limit": -1 }))
        .send()
        .unwrap();
    assert_eq!(res.status(), 422);
}

/// The candidates' names in the order a page lists them.
fn order(page: &Page) -> Vec<String> {
    page.body
        .split("data-name=\"")
        .skip(1)
        .map(|rest| rest.split('"').next().unwrap().to_owned())
        .collect()
}

#[test]
fn each_browser_gets_its_own_stable_order() {
    let app = spawn_app();
    let names: Vec<String> = (0..8).map(|i| format!("Name {i}")).collect();
    let refs: Vec<&str> = names.iter().map(String::as_str).collect();
    let contest = app.voting_contest(json!({}), &refs);
    let mut a = Browser::new(&app);
    let first = order(&a.page(&contest.id));
    assert_eq!(first.len(), 8);
    assert_eq!(order(&a.page(&contest.id)), first, "stable on reload");
    let field = format!("r.{}", contest.candidates[0]);
    let cast = a.post_ok(&contest.id, "/ballot", &[(&field, "1")]);
    assert_eq!(order(&cast), first, "stable once the voter exists");
    let orders: std::collections::BTreeSet<Vec<String>> = (0..6)
        .map(|_| order(&Browser::new(&app).page(&contest.id)))
        .collect();
    assert!(orders.len() > 1, "browsers see different orders");
}
