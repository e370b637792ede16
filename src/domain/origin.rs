//! Web origins as browsers send them in `Origin`, normalised so that an
//! organisation's allowed list compares exactly.

/// Most origins one organisation may list.
pub const MAX_ORIGINS: usize = 100;

/// Normalises a web origin as browsers send it in `Origin`: `scheme://host[:port]`
/// with scheme `http` or `https`, lower-case, without a default port, path, query,
/// user or fragment. `*` and `null` are refused: an origin is named exactly.
pub fn normalise_origin(raw: &str) -> Result<String, String> {
    let raw = raw.trim();
    let bad = |why: &str| Err(format!("`{raw}` is not a web origin: {why}"));
    if raw.len() > 255 {
        return bad("longer than 255 characters");
    }
    let lower = raw.to_ascii_lowercase();
    let (scheme, rest) = match lower.split_once("://") {
        Some((s @ ("http" | "https"), rest)) => (s, rest),
        _ => return bad("expected `https://host` or `http://host[:port]`"),
    };
    let rest = rest.strip_suffix('/').unwrap_or(rest);
    if rest.is_empty() {
        return bad("no host");
    }
    if rest.contains(['/', '?', '#', '@']) {
        return bad("an origin has no path, query, fragment or user");
    }
    // IPv6 literals keep their brackets: `[::1]:8080`.
    let (host, port) = if let Some(end) = rest.find(']') {
        let (host, after) = rest.split_at(end + 1);
        match after {
            "" => (host, None),
            p => match p.strip_prefix(':') {
                Some(p) => (host, Some(p)),
                None => return bad("unexpected text after the address"),
            },
        }
    } else {
        match rest.rsplit_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (rest, None),
        }
    };
    let host_ok = if host.starts_with('[') {
        host.len() > 2
            && host.ends_with(']')
            && host[1..host.len() - 1]
                .parse::<std::net::Ipv6Addr>()
                .is_ok()
    } else {
        !host.is_empty()
            && host
                .split('.')
                .all(|l| !l.is_empty() && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'))
    };
    if !host_ok {
        return bad("the host must be a domain name or an IP address (IDNs in punycode)");
    }
    let port = match port {
        None => None,
        Some(p) => match p.parse::<u16>() {
            Ok(n) if n > 0 && !p.starts_with('0') => Some(n),
            _ => return bad("the port must be a number from 1 to 65535"),
        },
    };
    let default_port = if scheme == "https" { 443 } else { 80 };
    Ok(match port {
        Some(p) if p != default_port => format!("{scheme}://{host}:{p}"),
        _ => format!("{scheme}://{host}"),
    })
}

#[cfg(test)]
mod tests {
    use super::normalise_origin;

    #[test]
    fn origins_are_normalised() {
        for (raw, want) in [
            ("https://Example.ORG", "https://example.org"),
            ("https://example.org/", "https://example.org"),
            ("https://example.org:443", "https://example.org"),
            ("http://example.org:80", "http://example.org"),
            ("http://127.0.0.1:8080", "http://127.0.0.1:8080"),
            ("http://[::1]:3000", "http://[::1]:3000"),
            (
                "https://xn--bcher-kva.example",
                "https://xn--bcher-kva.example",
            ),
        ] {
            assert_eq!(normalise_origin(raw).as_deref(), Ok(want), "{raw}");
        }
    }

    #[test]
    fn non_origins_are_refused() {
        for raw in [
            "*",
            "null",
            "example.org",
            "ftp://example.org",
            "https://",
            "https://example.org/path",
            "https://user@example.org",
            "https://example.org:0",
            "https://example.org:99999",
            "https://exa mple.org",
            "https://example.org;frame-ancestors *",
            "https://a..b",
            "http://[0b268c3.:4acc09c3]",
            "http://[::g]",
        ] {
            assert!(normalise_origin(raw).is_err(), "{raw} accepted");
        }
    }
}
