//! A participant's browser on the pages: two cookies scoped to the contest
//! (`Path=/c/{id}`) and the checks every form POST passes.
//!
//! - `christen_b`: a random browser id, set on the first visit. Per-form CSRF
//!   tokens are an HMAC (server secret) over it and the contest, and in an
//!   `open` contest it orders the candidates of the ballot (a stable
//!   shuffle; in `codes` and `jwt` contests the voter's hash does, so a voter
//!   sees one order on every device).
//! - `christen_v`: the voter token (Christen's own for `open` and `codes`, the
//!   organisation's JWT for `jwt`), set on the first action (open), after a
//!   code (codes) or from `?token=` (jwt). A reload reuses it: it never costs
//!   a new token, so the open electorate's per-address limit counts browsers,
//!   not page views.
//!
//! Both are `HttpOnly; SameSite=Lax` (`Secure` on https). In a frame
//! (`?framed=1`, as `widget.js` mounts the page) they are `SameSite=None;
//! Secure; Partitioned` (CHIPS), so a browser that blocks third-party cookies
//! still keeps them for this site inside the organisation's page; where it
//! does not, the POST finds no browser cookie and the page says to open it in
//! a new tab.
//!
//! A cookie-authenticated POST is refused (403, the page with an alert) unless
//! (1) its `Origin`, when sent, is this service's public origin and
//! `Sec-Fetch-Site`, when sent, is not `cross-site`; (2) it carries the browser
//! cookie; (3) its `csrf` field is the HMAC of that cookie and the contest.
//! `SameSite` keeps other sites' forms from sending the cookies in the first
//! place; the three checks hold without it.

use actix_web::http::header;
use actix_web::HttpRequest;
use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::{Digest, Sha256};

use crate::config::Secret;
use crate::domain::ContestId;

pub const BROWSER_COOKIE: &str = "christen_b";
pub const VOTER_COOKIE: &str = "christen_v";

/// Why a form POST is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// A foreign origin, or a missing or wrong form token.
    Csrf,
    /// The browser sent no browser cookie (blocked, or a frame without CHIPS).
    NoCookie,
}

/// The value of cookie `name`, if the request carries it.
pub fn cookie(req: &HttpRequest, name: &str) -> Option<String> {
    req.headers()
        .get_all(header::COOKIE)
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.trim().to_owned())
        .filter(|v| !v.is_empty() && v.len() <= 4096)
}

/// The browser id: the cookie's when it is well-formed, else a new one (and
/// `true`: it must be set).
pub fn browser_id(req: &HttpRequest) -> (String, bool) {
    match cookie(req, BROWSER_COOKIE)
        .filter(|v| v.len() == 32 && v.bytes().all(|b| b.is_ascii_hexdigit()))
    {
        Some(b) => (b, false),
        None => {
            let mut bytes = [0u8; 16];
            rand::rngs::OsRng.fill_bytes(&mut bytes);
            (hex::encode(bytes), true)
        }
    }
}

fn mac(secret: &Secret) -> Hmac<Sha256> {
    Hmac::<Sha256>::new_from_slice(secret.expose().as_bytes())
        .expect("HMAC takes keys of any length")
}

/// The form token of `browser` for `contest`.
pub fn csrf_token(secret: &Secret, contest: ContestId, browser: &str) -> String {
    let mut m = mac(secret);
    m.update(b"christen page form v1\0");
    m.update(contest.to_string().as_bytes());
    m.update(b"\0");
    m.update(browser.as_bytes());
    hex::encode(m.finalize().into_bytes())
}

/// The key that orders candidate `id` on the ballot of `seed` (the voter's
/// hash, or the browser id).
pub fn shuffle_key(seed: &str, id: &uuid::Uuid) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(seed.as_bytes());
    h.update(id.as_bytes());
    h.finalize().into()
}

/// `scheme://authority` of a base URL (`scheme://host[:port][/prefix]`).
pub fn origin_of(base: &str) -> &str {
    match base.find("://") {
        Some(i) => match base[i + 3..].find('/') {
            Some(j) => &base[..i + 3 + j],
            None => base,
        },
        None => base,
    }
}

/// The checks of a form POST (see the module's documentation). Returns the
/// browser id.
pub fn check_form(
    req: &HttpRequest,
    secret: &Secret,
    contest: ContestId,
    base: &str,
    token: Option<&str>,
) -> Result<String, Refusal> {
    let header_of = |name: &str| req.headers().get(name).and_then(|v| v.to_str().ok());
    if let Some(origin) = header_of("origin") {
        if origin != origin_of(base) {
            return Err(Refusal::Csrf);
        }
    }
    if header_of("sec-fetch-site") == Some("cross-site") {
        return Err(Refusal::Csrf);
    }
    let (browser, fresh) = browser_id(req);
    if fresh {
        return Err(Refusal::NoCookie);
    }
    let expected = csrf_token(secret, contest, &browser);
    let given = token.unwrap_or("");
    // Compared in constant time.
    let same = given.len() == expected.len()
        && given
            .bytes()
            .zip(expected.bytes())
            .fold(0u8, |acc, (a, b)| acc | (a ^ b))
            == 0;
    if same {
        Ok(browser)
    } else {
        Err(Refusal::Csrf)
    }
}

/// A `Set-Cookie` value for `name` on the contest's pages; `max_age` in
/// seconds (`None`: for the browser session; `Some(0)`: delete).
pub fn set_cookie(
    name: &str,
    value: &str,
    contest: ContestId,
    secure: bool,
    framed: bool,
    max_age: Option<i64>,
) -> String {
    let mut c = format!("{name}={value}; Path=/c/{contest}; HttpOnly");
    if framed {
        c.push_str("; SameSite=None; Secure; Partitioned");
    } else {
        c.push_str("; SameSite=Lax");
        if secure {
            c.push_str("; Secure");
        }
    }
    if let Some(age) = max_age {
        c.push_str(&format!("; Max-Age={age}"));
    }
    c
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origins_drop_the_path_prefix() {
        assert_eq!(
            origin_of("https://vote.example.org/christen"),
            "https://vote.example.org"
        );
        assert_eq!(origin_of("http://127.0.0.1:8080"), "http://127.0.0.1:8080");
    }

    #[test]
    fn framed_cookies_are_partitioned() {
        let c = set_cookie("a", "b", ContestId(uuid::Uuid::nil()), false, true, None);
        assert!(c.contains("SameSite=None; Secure; Partitioned"));
        let c = set_cookie(
            "a",
            "b",
            ContestId(uuid::Uuid::nil()),
            true,
            false,
            Some(60),
        );
        assert!(c.contains("SameSite=Lax; Secure; Max-Age=60"));
    }
}
