//! The HTTP edge against an attacker (docs/SECURITY.md S6, S7, S8, S12): metrics
//! labels that requests cannot multiply and metrics only for the operator;
//! live-stream slots freed as soon as the client leaves and capped per address;
//! absolute URLs from the public URL, not from request headers; slow request
//! bodies timed out.

use std::io::{Read, Write};
use std::net::{IpAddr, Shutdown, TcpStream, UdpSocket};
use std::time::{Duration, Instant};

use christen::config::Secret;
use reqwest::Method;
use serde_json::{json, Value};

use crate::helpers::{assert_problem, spawn_app, spawn_app_with, TestApp};

// ---------------------------------------------------------------------------
// S7: metrics

/// The `christen_http_requests_total` series in the exposition.
fn request_series(text: &str) -> Vec<String> {
    text.lines()
        .filter(|l| l.starts_with("christen_http_requests_total{"))
        .map(|l| {
            l.rsplit_once(' ')
                .map_or(l, |(series, _)| series)
                .to_owned()
        })
        .collect()
}

fn metrics_text(app: &TestApp) -> String {
    let res = app.public(Method::GET, "/metrics").send().unwrap();
    assert_eq!(res.status(), 200);
    res.text().unwrap()
}

#[test]
fn random_methods_and_paths_do_not_add_metrics_series() {
    let app = spawn_app();
    let random = |i: usize| {
        let method = Method::from_bytes(format!("M{}X{i}", i * 7919 % 10007).as_bytes()).unwrap();
        let res = app
            .public(method, &format!("/no/such/path/{i}"))
            .send()
            .unwrap();
        assert!(res.status().is_client_error());
        let method = Method::from_bytes(format!("Q{i}").as_bytes()).unwrap();
        let res = app.public(method, "/healthz").send().unwrap();
        assert_eq!(res.status(), 405);
    };
    for i in 0..5 {
        random(i);
    }
    // A request is counted once answered: the first look at the metrics shows
    // in the second.
    metrics_text(&app);
    let before = request_series(&metrics_text(&app));
    for i in 5..205 {
        random(i);
    }
    let text = metrics_text(&app);
    let after = request_series(&text);
    assert_eq!(before, after, "200 random methods added series:\n{text}");
    assert!(
        text.contains(
            r#"christen_http_requests_total{method="other",route="/healthz",status="405"} 205"#
        ),
        "{text}"
    );
    assert!(
        text.contains(r#"method="other",route="unmatched",status="404"} 205"#),
        "{text}"
    );
    assert!(!text.contains("M1X"), "no raw method in the labels");
    assert!(!text.contains("/no/such"), "no raw path in the labels");
}

#[test]
fn a_metrics_token_is_required_once_set_even_from_loopback() {
    let token = "metrics-token-0123456789abcdef";
    let app = spawn_app_with(|c| c.http.metrics_token = Some(Secret::new(token)));
    let res = app.public(Method::GET, "/metrics").send().unwrap();
    assert_eq!(res.headers()["www-authenticate"], "Bearer");
    assert_problem(res, 401, "unauthorized");
    for wrong in ["metrics-token-0123456789abcdeF", "x", &format!("{token}x")] {
        let res = app.as_key(wrong, Method::GET, "/metrics").send().unwrap();
        assert_problem(res, 401, "unauthorized");
    }
    // An admin API key is not the metrics token.
    let res = app.admin(Method::GET, "/metrics").send().unwrap();
    assert_problem(res, 401, "unauthorized");
    let res = app.as_key(token, Method::GET, "/metrics").send().unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["cache-control"], "no-store");
    assert!(res.text().unwrap().contains("christen_http_requests_total"));
}

/// A non-loopback address of this machine, if it has one (the interface a
/// packet to a documentation address would leave by; nothing is sent).
fn non_loopback_address() -> Option<IpAddr> {
    let socket = UdpSocket::bind("0.0.0.0:0").ok()?;
    socket.connect("192.0.2.1:9").ok()?;
    let ip = socket.local_addr().ok()?.ip();
    (!ip.is_loopback() && !ip.is_unspecified()).then_some(ip)
}

#[test]
fn without_a_token_metrics_refuse_peers_that_are_not_loopback() {
    // The rule itself is `api::metrics::authorize`, unit-tested for every kind of
    // address; here it is seen over a real connection where the machine has a
    // non-loopback interface to connect through.
    let Some(ip) = non_loopback_address() else {
        eprintln!("no non-loopback interface: covered by the unit tests of authorize()");
        return;
    };
    let app = spawn_app_with(|c| c.bind = "0.0.0.0:0".into());
    let far = format!("http://{ip}:{}/metrics", app.port);
    let res = app
        .client
        .get(&far)
        .header("X-Forwarded-For", "127.0.0.1")
        .send()
        .unwrap();
    assert_problem(res, 403, "metrics_forbidden");
    // The same server answers its loopback peers.
    assert!(metrics_text(&app).contains("christen_http_requests_total"));
}

// ---------------------------------------------------------------------------
// S8: live-stream slots

/// Opens a results stream over a raw connection and reads until the first
/// result event has arrived; returns the connection.
fn open_stream(app: &TestApp, contest_id: &str, forwarded_for: Option<&str>) -> TcpStream {
    let (status, stream) = try_stream(app, contest_id, forwarded_for);
    assert_eq!(status, 200, "the stream was refused");
    stream
}

/// Opens a results stream; returns its status and the connection (after the
/// first result event for a 200).
fn try_stream(app: &TestApp, contest_id: &str, forwarded_for: Option<&str>) -> (u16, TcpStream) {
    let mut s = TcpStream::connect(("127.0.0.1", app.port)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let xff = forwarded_for
        .map(|a| format!("X-Forwarded-For: {a}\r\n"))
        .unwrap_or_default();
    write!(
        s,
        "GET /v1/contests/{contest_id}/results/stream HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n{xff}\r\n"
    )
    .unwrap();
    let mut seen = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        let text = String::from_utf8_lossy(&seen).into_owned();
        if let Some(line) = text.split("\r\n").next().filter(|_| text.contains("\r\n")) {
            let status: u16 = line.split(' ').nth(1).unwrap().parse().unwrap();
            if status != 200 || text.contains("event: result") {
                break;
            }
        }
        let n = s.read(&mut buf).expect("reading the stream");
        assert!(n > 0, "connection closed: {text}");
        seen.extend_from_slice(&buf[..n]);
    }
    let text = String::from_utf8_lossy(&seen);
    let status = text.split(' ').nth(1).unwrap().parse().unwrap();
    // What else is on its way (the rest of the event) is read too, so closing
    // sends a plain FIN, as a browser leaving a page does.
    std::thread::sleep(Duration::from_millis(100));
    s.set_nonblocking(true).unwrap();
    while let Ok(n) = s.read(&mut buf) {
        if n == 0 {
            break;
        }
    }
    s.set_nonblocking(false).unwrap();
    (status, s)
}

fn live_contest(app: &TestApp) -> String {
    let contest = app.voting_contest(json!({ "results_visibility": "live" }), &["Quill", "Ink"]);
    app.cast_ballots(&contest, &[(&[0, 1], 1)]);
    contest.id.clone()
}

#[test]
fn stream_slots_are_free_again_as_soon_as_the_clients_leave() {
    let app = spawn_app_with(|c| c.max_streams = 3);
    let id = live_contest(&app);
    let streams: Vec<TcpStream> = (0..3).map(|_| open_stream(&app, &id, None)).collect();
    let (status, _) = try_stream(&app, &id, None);
    assert_eq!(status, 503, "the instance is full");

    // Two clients close their connection; one only closes its sending side.
    let mut streams = streams.into_iter();
    let half = streams.next().unwrap();
    half.shutdown(Shutdown::Write).unwrap();
    drop(streams);
    let closed = Instant::now();
    let admitted = loop {
        let (status, s) = try_stream(&app, &id, None);
        if status == 200 {
            break s;
        }
        assert!(
            closed.elapsed() < Duration::from_secs(1),
            "no slot freed within a second of the clients leaving (status {status})"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    // All three were freed: two more streams fit beside the one just admitted.
    let more: Vec<TcpStream> = (0..2).map(|_| open_stream(&app, &id, None)).collect();
    assert!(
        closed.elapsed() < Duration::from_secs(3),
        "slots freed only after {:?}",
        closed.elapsed()
    );
    drop((half, admitted, more));
}

#[test]
fn one_address_holds_at_most_its_share_of_the_streams() {
    let app = spawn_app_with(|c| c.http.max_streams_per_address = 2);
    let id = live_contest(&app);
    let first = open_stream(&app, &id, None);
    let _second = open_stream(&app, &id, None);
    let path = format!("/v1/contests/{id}/results/stream");
    // X-Forwarded-For is not trusted unless configured: still the same peer.
    let res = app
        .public(Method::GET, &path)
        .header("X-Forwarded-For", "198.51.100.7")
        .send()
        .unwrap();
    let retry: u64 = res.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(retry >= 1);
    assert_problem(res, 429, "too_many_streams");
    // The address's slot is free again once one of its streams is gone.
    drop(first);
    let deadline = Instant::now() + Duration::from_secs(1);
    loop {
        let (status, _s) = try_stream(&app, &id, None);
        if status == 200 {
            break;
        }
        assert!(Instant::now() < deadline, "still {status}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn behind_a_trusted_proxy_the_stream_cap_counts_the_forwarded_address() {
    let app = spawn_app_with(|c| {
        c.http.max_streams_per_address = 2;
        c.open_voter_limit.trust_forwarded_for = true;
    });
    let id = live_contest(&app);
    let _a = open_stream(&app, &id, Some("203.0.113.50, 198.51.100.7"));
    let _b = open_stream(&app, &id, Some("198.51.100.7"));
    let path = format!("/v1/contests/{id}/results/stream");
    let res = app
        .public(Method::GET, &path)
        .header("X-Forwarded-For", "198.51.100.7")
        .send()
        .unwrap();
    assert_problem(res, 429, "too_many_streams");
    // Another client behind the same proxy is not held back.
    let _c = open_stream(&app, &id, Some("198.51.100.8"));
}

// ---------------------------------------------------------------------------
// S6: absolute URLs

const HOSTILE: [(&str, &str); 3] = [
    ("X-Forwarded-Host", "evil.example"),
    ("X-Forwarded-Proto", "javascript:"),
    ("Host", "evil.example"),
];

fn get_with(app: &TestApp, path: &str, headers: &[(&str, &str)]) -> reqwest::blocking::Response {
    let mut req = app.public(Method::GET, path);
    for (name, value) in headers {
        req = req.header(*name, *value);
    }
    req.send().unwrap()
}

fn oembed_path(url: &str) -> String {
    format!(
        "/oembed?format=json&url={}",
        url.replace(':', "%3A").replace('/', "%2F")
    )
}

#[test]
fn forwarded_host_and_proto_change_nothing_in_the_embed_page_and_oembed() {
    let app = spawn_app();
    let id = live_contest(&app);
    let page = format!("/embed/contests/{id}");
    let plain = get_with(&app, &page, &[]);
    assert_eq!(plain.status(), 200);
    let plain_etag = plain.headers()["etag"].clone();
    let plain = plain.text().unwrap();
    assert!(
        plain.contains(&format!("{}/oembed?url=", app.address)),
        "{plain}"
    );

    let forged = get_with(&app, &page, &HOSTILE);
    assert_eq!(forged.status(), 200);
    assert_eq!(forged.headers()["etag"], plain_etag);
    let vary = forged.headers()["vary"].to_str().unwrap().to_owned();
    assert!(!vary.contains("Forwarded"), "{vary}");
    let forged = forged.text().unwrap();
    assert_eq!(forged, plain, "the page depends on request headers");
    assert!(!forged.contains("evil.example") && !forged.contains("javascript:"));

    let url = app.url(&page);
    let plain: Value = get_with(&app, &oembed_path(&url), &[]).json().unwrap();
    let res = get_with(&app, &oembed_path(&url), &HOSTILE);
    assert_eq!(res.status(), 200);
    assert!(res.headers().get("vary").is_none());
    let forged: Value = res.json().unwrap();
    assert_eq!(forged, plain, "oEmbed depends on request headers");
    assert_eq!(forged["provider_url"], app.address);
    let html = forged["html"].as_str().unwrap();
    assert!(html.contains(&format!("src=\"{url}\"")), "{html}");
    // A URL on the forged host is not an embed page of this service.
    let res = get_with(
        &app,
        &oembed_path(&format!("http://evil.example/embed/contests/{id}")),
        &HOSTILE,
    );
    assert_problem(res, 404, "not_found");
}

#[test]
fn the_public_url_is_what_absolute_urls_are_built_from() {
    let app =
        spawn_app_with(|c| c.http.public_url = Some("https://Vote.Example.org/christen/".into()));
    let id = live_contest(&app);
    let page = get_with(&app, &format!("/embed/contests/{id}"), &HOSTILE)
        .text()
        .unwrap();
    assert!(
        page.contains("href=\"https://vote.example.org/christen/oembed?url=https%3A%2F%2Fvote.example.org%2Fchristen%2Fembed%2Fcontests%2F"),
        "{page}"
    );
    assert!(page.contains(&format!(
        "href=\"https://vote.example.org/christen/v1/contests/{id}/results\""
    )));
    assert!(!page.contains("127.0.0.1"), "{page}");
    let public = format!("https://vote.example.org/christen/embed/contests/{id}?theme=dark");
    let body: Value = get_with(&app, &oembed_path(&public), &[]).json().unwrap();
    assert_eq!(body["provider_url"], "https://vote.example.org/christen");
    assert!(
        body["html"]
            .as_str()
            .unwrap()
            .contains(&format!("src=\"{public}\"")),
        "{body}"
    );
    // The address the request reached is not the public one.
    let res = get_with(
        &app,
        &oembed_path(&app.url(&format!("/embed/contests/{id}"))),
        &[],
    );
    assert_problem(res, 404, "not_found");
}

#[test]
fn trusted_forwarded_headers_count_only_when_valid_and_the_response_says_so() {
    let app = spawn_app_with(|c| {
        c.http.public_url = Some("https://vote.example.org".into());
        c.open_voter_limit.trust_forwarded_for = true;
    });
    let id = live_contest(&app);
    let path = format!("/embed/contests/{id}");
    let res = get_with(
        &app,
        &path,
        &[
            ("X-Forwarded-Host", "proxy.example:8443"),
            ("X-Forwarded-Proto", "http"),
        ],
    );
    let vary = res.headers()["vary"].to_str().unwrap().to_owned();
    assert!(vary.contains("Accept-Language"), "{vary}");
    assert!(
        vary.contains("X-Forwarded-Host") && vary.contains("X-Forwarded-Proto"),
        "{vary}"
    );
    let page = res.text().unwrap();
    assert!(
        page.contains("href=\"http://proxy.example:8443/oembed?url="),
        "{page}"
    );

    for (host, proto) in [
        ("evil.example/\"><script>", "javascript:"),
        ("evil.example:99999", "javascript:alert(1)//"),
        ("user@evil.example", "data"),
        ("evil example", "ftp"),
    ] {
        let res = get_with(
            &app,
            &path,
            &[("X-Forwarded-Host", host), ("X-Forwarded-Proto", proto)],
        );
        let page = res.text().unwrap();
        assert!(!page.contains("evil"), "{host}: {page}");
        assert!(
            !page.contains("javascript") && !page.contains("ftp:"),
            "{proto}"
        );
        assert!(
            page.contains("href=\"https://vote.example.org/oembed?url="),
            "{page}"
        );
        let url = format!("https://vote.example.org/embed/contests/{id}");
        let res = get_with(
            &app,
            &oembed_path(&url),
            &[("X-Forwarded-Host", host), ("X-Forwarded-Proto", proto)],
        );
        assert!(res.headers()["vary"]
            .to_str()
            .unwrap()
            .contains("X-Forwarded-Host"));
        let body: Value = res.json().unwrap();
        assert_eq!(body["provider_url"], "https://vote.example.org");
    }
}

// ---------------------------------------------------------------------------
// S12: slow request bodies

#[test]
fn a_request_body_sent_a_byte_at_a_time_is_timed_out_with_a_408() {
    let app = spawn_app_with(|c| c.http.body_timeout = Duration::from_secs(3));
    let mut s = TcpStream::connect(("127.0.0.1", app.port)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    let body = json!({ "title": "Slow loris", "method": "irv" }).to_string();
    write!(
        s,
        "POST /v1/contests HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
        app.api_key,
        body.len()
    )
    .unwrap();
    let started = Instant::now();
    let mut writer = s.try_clone().unwrap();
    let drip = std::thread::spawn(move || {
        for b in body.bytes() {
            if writer.write_all(&[b]).is_err() {
                return;
            }
            std::thread::sleep(Duration::from_secs(2));
        }
    });
    let mut response = Vec::new();
    let mut buf = [0u8; 4096];
    // The server answers, then closes the connection (the rest of the body is
    // not waited for).
    loop {
        match s.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => response.extend_from_slice(&buf[..n]),
            Err(e) => panic!(
                "no answer and no close after {:?}: {e}; got {}",
                started.elapsed(),
                String::from_utf8_lossy(&response)
            ),
        }
    }
    let elapsed = started.elapsed();
    let text = String::from_utf8_lossy(&response).into_owned();
    assert!(text.starts_with("HTTP/1.1 408"), "{text}");
    assert!(text.contains("application/problem+json"), "{text}");
    assert!(text.contains("\"code\":\"request_timeout\""), "{text}");
    assert!(
        elapsed >= Duration::from_secs(2) && elapsed < Duration::from_secs(8),
        "answered after {elapsed:?}"
    );
    drop(s);
    let _ = drip.join();
    // Nothing was created.
    let list: Value = app
        .admin(Method::GET, "/v1/contests")
        .send()
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(list["items"].as_array().map(Vec::len), Some(0), "{list}");
}

#[test]
fn a_body_that_arrives_in_time_is_read_as_before() {
    let app = spawn_app_with(|c| c.http.body_timeout = Duration::from_secs(3));
    let mut s = TcpStream::connect(("127.0.0.1", app.port)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let body = json!({ "title": "In time", "method": "irv" }).to_string();
    let (head, tail) = body.split_at(5);
    write!(
        s,
        "POST /v1/contests HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{head}",
        app.api_key,
        body.len()
    )
    .unwrap();
    std::thread::sleep(Duration::from_secs(1));
    s.write_all(tail.as_bytes()).unwrap();
    let mut response = String::new();
    s.read_to_string(&mut response).unwrap();
    assert!(response.starts_with("HTTP/1.1 201"), "{response}");
}

#[test]
fn a_public_url_that_is_not_a_plain_http_base_is_refused_at_start() {
    for bad in [
        "javascript://x",
        "vote.example.org",
        "https://vote.example.org/?x=1",
        "https://evil.example\"/",
    ] {
        let mut config = crate::helpers::test_config("postgres://unused@127.0.0.1/none", 1);
        config.http.public_url = Some(bad.into());
        match christen::startup::Application::build(config) {
            Ok(_) => panic!("{bad} accepted"),
            Err(e) => assert!(e.to_string().contains("CHRISTEN_PUBLIC_URL"), "{bad}: {e}"),
        }
    }
}
