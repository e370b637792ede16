//! What only HTTP needs, shared by the handlers: opaque pagination cursors,
//! page limits, and conditional GETs. (Path ids and JSON bodies are parsed in
//! `extract`.)

use actix_web::http::header;
use actix_web::HttpRequest;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::error::{AppError, AppResult};

/// An opaque cursor for keyset pagination by `(created_at, id)`.
pub fn encode_cursor(created_at: DateTime<Utc>, id: Uuid) -> String {
    URL_SAFE_NO_PAD.encode(format!("{}|{}", created_at.to_rfc3339(), id))
}

/// The `(created_at, id)` a cursor of [`encode_cursor`] holds; anything else is
/// a 400.
pub fn decode_cursor(raw: &str) -> AppResult<(DateTime<Utc>, Uuid)> {
    let bad = || AppError::bad_request("invalid_cursor", "`cursor` is not one this API returned");
    let text = URL_SAFE_NO_PAD
        .decode(raw)
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
        .ok_or_else(bad)?;
    let (time, id) = text.split_once('|').ok_or_else(bad)?;
    let time = DateTime::parse_from_rfc3339(time).map_err(|_| bad())?;
    let id = Uuid::parse_str(id).map_err(|_| bad())?;
    Ok((time.with_timezone(&Utc), id))
}

/// A `limit` query parameter: `default` when absent, else 1 to `max` (a 400
/// outside).
pub fn page_limit(raw: Option<i64>, default: i64, max: i64) -> AppResult<i64> {
    let limit = raw.unwrap_or(default);
    if (1..=max).contains(&limit) {
        Ok(limit)
    } else {
        Err(AppError::bad_request(
            "invalid_limit",
            format!("`limit` must be between 1 and {max}"),
        ))
    }
}

/// Whether `If-None-Match` names `etag` (or `*`); weak validators compare by
/// their opaque part.
pub fn if_none_match(req: &HttpRequest, etag: &str) -> bool {
    req.headers()
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.split(',')
                .map(|t| t.trim().trim_start_matches("W/"))
                .any(|t| t == "*" || t == etag)
        })
}

/// This service's public base URL, `scheme://host[:port][/prefix]`, from which
/// every absolute URL is built (docs/SECURITY.md S6): `CHRISTEN_PUBLIC_URL`, or
/// one derived from the bound address. Request headers (`Host`,
/// `X-Forwarded-Host`, `X-Forwarded-Proto`) never change it, unless
/// `trust_forwarded` (`CHRISTEN_TRUST_X_FORWARDED_FOR=true`): then a valid
/// `X-Forwarded-Proto` (`http` or `https`) and `X-Forwarded-Host`
/// (`host[:port]`) replace the scheme and host; anything else in them is
/// ignored. App data, set in `startup.rs`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicUrl {
    scheme: String,
    authority: String,
    prefix: String,
    trust_forwarded: bool,
}

impl Default for PublicUrl {
    fn default() -> Self {
        PublicUrl::from_bound(([127, 0, 0, 1], 8080).into(), false)
    }
}

impl PublicUrl {
    /// Parses `http(s)://host[:port][/prefix]` (no query, fragment or user
    /// info; a trailing `/` dropped).
    pub fn parse(raw: &str, trust_forwarded: bool) -> Result<PublicUrl, String> {
        let bad = |why: &str| format!("CHRISTEN_PUBLIC_URL `{raw}` {why}");
        let (scheme, rest) = raw
            .split_once("://")
            .ok_or_else(|| bad("is not an absolute http or https URL"))?;
        let scheme = valid_scheme(scheme).ok_or_else(|| bad("must use http or https"))?;
        let (authority, prefix) = match rest.find('/') {
            Some(i) => rest.split_at(i),
            None => (rest, ""),
        };
        let authority =
            valid_authority(authority).ok_or_else(|| bad("has no valid host[:port]"))?;
        let prefix = prefix.trim_end_matches('/');
        let prefix_ok = prefix.bytes().all(|b| {
            b.is_ascii_alphanumeric() || matches!(b, b'/' | b'-' | b'.' | b'_' | b'~' | b'%')
        });
        if !prefix_ok || prefix.contains("//") {
            return Err(bad(
                "has a path that is not a plain prefix (no query, fragment or odd characters)",
            ));
        }
        Ok(PublicUrl {
            scheme: scheme.to_owned(),
            authority,
            prefix: prefix.to_owned(),
            trust_forwarded,
        })
    }

    /// `http://<bound address>`, with `localhost` for an unspecified address
    /// (`0.0.0.0`, `::`).
    pub fn from_bound(addr: std::net::SocketAddr, trust_forwarded: bool) -> PublicUrl {
        let ip = addr.ip();
        let host = if ip.is_unspecified() {
            "localhost".to_owned()
        } else if ip.is_ipv6() {
            format!("[{ip}]")
        } else {
            ip.to_string()
        };
        PublicUrl {
            scheme: "http".into(),
            authority: format!("{host}:{}", addr.port()),
            prefix: String::new(),
            trust_forwarded,
        }
    }

    /// The configured base URL.
    pub fn configured(&self) -> String {
        format!("{}://{}{}", self.scheme, self.authority, self.prefix)
    }

    /// The headers a response built from [`PublicUrl::for_request`] varies by
    /// (none unless forwarded headers are trusted).
    pub fn vary(&self) -> Option<&'static str> {
        self.trust_forwarded
            .then_some("X-Forwarded-Host, X-Forwarded-Proto")
    }

    /// The base URL for this request: the configured one, or with
    /// `trust_forwarded` the forwarded scheme and host where they are valid.
    pub fn for_request(&self, req: &HttpRequest) -> String {
        if !self.trust_forwarded {
            return self.configured();
        }
        let scheme = last_entry(req, "x-forwarded-proto")
            .and_then(|s| valid_scheme(&s).map(str::to_owned))
            .unwrap_or_else(|| self.scheme.clone());
        let authority = last_entry(req, "x-forwarded-host")
            .and_then(|h| valid_authority(&h))
            .unwrap_or_else(|| self.authority.clone());
        format!("{scheme}://{authority}{}", self.prefix)
    }
}

/// The last comma-separated entry of a header (the one the nearest proxy set).
fn last_entry(req: &HttpRequest, name: &str) -> Option<String> {
    req.headers()
        .get_all(name)
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .last()
        .map(str::to_owned)
}

/// `http` or `https`, any case; anything else is not a scheme we link to.
fn valid_scheme(raw: &str) -> Option<&'static str> {
    if raw.eq_ignore_ascii_case("https") {
        Some("https")
    } else if raw.eq_ignore_ascii_case("http") {
        Some("http")
    } else {
        None
    }
}

/// A syntactically valid `host[:port]`, lower-cased: a DNS name (letters,
/// digits and inner hyphens per label), an IPv4 address or a bracketed IPv6
/// address, then an optional port 1–65535.
pub fn valid_authority(raw: &str) -> Option<String> {
    let (host, port) = if let Some(rest) = raw.strip_prefix('[') {
        let (v6, after) = rest.split_once(']')?;
        v6.parse::<std::net::Ipv6Addr>().ok()?;
        let port = match after {
            "" => None,
            p => Some(p.strip_prefix(':')?),
        };
        (&raw[..v6.len() + 2], port)
    } else {
        match raw.rsplit_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (raw, None),
        }
    };
    if let Some(p) = port {
        let ok = !p.is_empty()
            && p.len() <= 5
            && p.bytes().all(|b| b.is_ascii_digit())
            && p.parse::<u32>().is_ok_and(|n| (1..=65535).contains(&n));
        if !ok {
            return None;
        }
    }
    if !host.starts_with('[') {
        let label_ok = |l: &str| {
            !l.is_empty()
                && l.len() <= 63
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
        };
        if host.is_empty() || host.len() > 253 || !host.split('.').all(label_ok) {
            return None;
        }
    }
    Some(raw.to_ascii_lowercase())
}

/// `scheme://host[:port][/prefix]` of this service for absolute URLs: the
/// [`PublicUrl`] of the app data, never the request's `Host`
/// (docs/SECURITY.md S6).
pub fn base_url(req: &HttpRequest) -> String {
    match req.app_data::<PublicUrl>() {
        Some(public) => public.for_request(req),
        None => PublicUrl::default().configured(),
    }
}

/// The `Vary` entries a response built with [`base_url`] needs: none unless
/// forwarded headers are trusted.
pub fn base_url_vary(req: &HttpRequest) -> Option<&'static str> {
    req.app_data::<PublicUrl>().and_then(PublicUrl::vary)
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::test::TestRequest;

    #[test]
    fn public_urls_parse_strictly() {
        let p = PublicUrl::parse("https://Vote.Example.org/christen/", false).unwrap();
        assert_eq!(p.configured(), "https://vote.example.org/christen");
        assert_eq!(
            PublicUrl::parse("http://[::1]:8080", false)
                .unwrap()
                .configured(),
            "http://[::1]:8080"
        );
        for bad in [
            "vote.example.org",
            "javascript://x",
            "ftp://vote.example.org",
            "https://user@vote.example.org",
            "https://vote.example.org?x=1",
            "https://vote.example.org/#x",
            "https://vote.example.org:0",
            "https://vote.example.org:99999",
            "https://-bad.example",
            "https://",
            "https://[nope]",
            "https://a b",
        ] {
            assert!(PublicUrl::parse(bad, false).is_err(), "{bad}");
        }
    }

    #[test]
    fn the_default_comes_from_the_bound_address() {
        let p = |a: &str| PublicUrl::from_bound(a.parse().unwrap(), false).configured();
        assert_eq!(p("127.0.0.1:8080"), "http://127.0.0.1:8080");
        assert_eq!(p("0.0.0.0:8080"), "http://localhost:8080");
        assert_eq!(p("[::]:80"), "http://localhost:80");
        assert_eq!(p("[::1]:9000"), "http://[::1]:9000");
    }

    #[test]
    fn forwarded_headers_count_only_when_trusted_and_valid() {
        let public = PublicUrl::parse("https://vote.example.org", false).unwrap();
        let req = TestRequest::default()
            .insert_header(("Host", "evil.example"))
            .insert_header(("X-Forwarded-Host", "evil.example"))
            .insert_header(("X-Forwarded-Proto", "http"))
            .to_http_request();
        assert_eq!(public.for_request(&req), "https://vote.example.org");
        assert_eq!(public.vary(), None);

        let trusted = PublicUrl::parse("https://vote.example.org", true).unwrap();
        assert_eq!(trusted.for_request(&req), "http://evil.example");
        assert!(trusted.vary().is_some());
        let hostile = TestRequest::default()
            .insert_header(("Host", "evil.example"))
            .insert_header(("X-Forwarded-Host", "evil.example/\"><script>"))
            .insert_header(("X-Forwarded-Proto", "javascript:"))
            .to_http_request();
        assert_eq!(trusted.for_request(&hostile), "https://vote.example.org");
        let chained = TestRequest::default()
            .insert_header(("X-Forwarded-Host", "a.example, b.example:8443"))
            .insert_header(("X-Forwarded-Proto", "http, HTTPS"))
            .to_http_request();
        assert_eq!(trusted.for_request(&chained), "https://b.example:8443");
    }

    #[test]
    fn authorities_are_host_and_port_only() {
        for ok in [
            "a.example",
            "a.example:1",
            "10.0.0.1:65535",
            "[2001:db8::1]:443",
            "LOCALHOST",
        ] {
            assert!(valid_authority(ok).is_some(), "{ok}");
        }
        for bad in [
            "",
            "a.example:",
            "a.example:65536",
            "a.example:+80",
            "a..example",
            "a.example/x",
            "a_b.example",
            "user@a.example",
            "[::1",
            "[::1]x",
            "[zz::1]",
            "a.example:80:80",
        ] {
            assert!(valid_authority(bad).is_none(), "{bad}");
        }
    }
}
