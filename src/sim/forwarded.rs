//! The caller's address behind a trusted proxy, from `X-Forwarded-For` or `Forwarded`
//! (RFC 7239). Fails closed: a header that does not parse, or two headers that disagree,
//! leave the caller unknown, and an unknown caller is not on any whitelist.

use std::net::{IpAddr, SocketAddr};

use axum::http::HeaderMap;

/// Why the forwarded caller could not be told.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ForwardedError {
    #[error("{header}: not readable text")]
    NotText { header: &'static str },
    #[error("{header}: '{entry}' is not an address")]
    NotAnAddress { header: &'static str, entry: String },
    #[error("X-Forwarded-For ({xff}) and Forwarded ({fwd}) name different callers")]
    Disagree { xff: IpAddr, fwd: IpAddr },
}

const XFF: &str = "x-forwarded-for";
const FORWARDED: &str = "forwarded";

/// The caller behind `peer`: the TCP peer itself unless it is a trusted proxy; behind one,
/// the right-most forwarded address that is not a trusted proxy (entries a proxy appended
/// are to the right of what the client sent). Without a forwarding header, the peer.
pub fn caller(peer: IpAddr, headers: &HeaderMap, trusted: &[IpAddr]) -> Result<IpAddr, ForwardedError> {
    let peer = peer.to_canonical();
    if !trusted.contains(&peer) {
        return Ok(peer);
    }
    let xff = from_header(headers, XFF, trusted, parse_xff_entry)?;
    let fwd = from_header(headers, FORWARDED, trusted, parse_forwarded_element)?;
    match (xff, fwd) {
        (Some(x), Some(f)) if x != f => Err(ForwardedError::Disagree { xff: x, fwd: f }),
        (Some(ip), _) | (None, Some(ip)) => Ok(ip),
        (None, None) => Ok(peer),
    }
}

/// The caller a header names (all its lines, in order, are one list); `None` when absent.
fn from_header(
    headers: &HeaderMap,
    header: &'static str,
    trusted: &[IpAddr],
    parse: fn(&str) -> Option<IpAddr>,
) -> Result<Option<IpAddr>, ForwardedError> {
    let mut lines = headers.get_all(header).iter().peekable();
    if lines.peek().is_none() {
        return Ok(None);
    }
    let lines: Vec<&str> =
        lines.map(|v| v.to_str().map_err(|_| ForwardedError::NotText { header })).collect::<Result<_, _>>()?;
    // Every entry must parse, even those left of the caller: nothing unparsable passes.
    let mut hops = Vec::new();
    for line in &lines {
        for entry in split_list(line) {
            let ip = parse(entry.trim())
                .ok_or_else(|| ForwardedError::NotAnAddress { header, entry: entry.chars().take(60).collect() })?;
            hops.push(ip.to_canonical());
        }
    }
    // The right-most hop that is not a trusted proxy; when every hop is one, the first.
    Ok(hops.iter().rev().find(|ip| !trusted.contains(ip)).or(hops.first()).copied())
}

/// Splits a comma-separated header list, keeping commas inside quoted strings.
fn split_list(line: &str) -> impl DoubleEndedIterator<Item = &str> {
    let mut parts = Vec::new();
    let (mut start, mut quoted, mut escaped) = (0, false, false);
    for (i, c) in line.char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' if quoted => escaped = true,
            '"' => quoted = !quoted,
            ',' if !quoted => {
                parts.push(&line[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&line[start..]);
    parts.into_iter()
}

/// An `X-Forwarded-For` entry: `1.2.3.4`, `1.2.3.4:5555`, `::1`, `[::1]`, `[::1]:5555`.
fn parse_xff_entry(s: &str) -> Option<IpAddr> {
    parse_node(s)
}

/// A node address with an optional port, IPv6 bare or bracketed.
fn parse_node(s: &str) -> Option<IpAddr> {
    if let Ok(ip) = s.parse::<IpAddr>() {
        return Some(ip);
    }
    if let Ok(sa) = s.parse::<SocketAddr>() {
        return Some(sa.ip());
    }
    let inner = s.strip_prefix('[')?.strip_suffix(']')?;
    inner.parse::<std::net::Ipv6Addr>().ok().map(IpAddr::V6)
}

/// A `Forwarded` element (`for=…;proto=…;by=…`): its `for` node, which must be an address
/// (`unknown` and obfuscated identifiers cannot be whitelisted).
fn parse_forwarded_element(element: &str) -> Option<IpAddr> {
    let mut found = None;
    for pair in element.split(';') {
        let (name, value) = pair.trim().split_once('=')?;
        if !name.trim().eq_ignore_ascii_case("for") {
            continue;
        }
        if found.is_some() {
            return None; // two `for`s in one element
        }
        let value = value.trim();
        found = Some(match value.strip_prefix('"') {
            Some(rest) => parse_node(rest.strip_suffix('"')?)?,
            // A token holds no ':' or '[': only a bare IPv4 address can go unquoted.
            None => IpAddr::V4(value.parse().ok()?),
        });
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    const PROXY: &str = "127.0.0.1";

    fn caller_with(headers: &[(&'static str, &str)]) -> Result<IpAddr, ForwardedError> {
        let mut map = HeaderMap::new();
        for (k, v) in headers {
            map.append(*k, HeaderValue::from_str(v).unwrap());
        }
        caller(PROXY.parse().unwrap(), &map, &[PROXY.parse().unwrap()])
    }

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn the_standard_forms_parse() {
        for (header, value, want) in [
            (XFF, "127.0.0.9", "127.0.0.9"),
            (XFF, "127.0.0.9:5555", "127.0.0.9"),
            (XFF, "[::ffff:127.0.0.9]", "127.0.0.9"),
            (XFF, "[2001:db8::1]:443", "2001:db8::1"),
            (XFF, "2001:db8::1", "2001:db8::1"),
            (XFF, "10.0.0.1, 127.0.0.9", "127.0.0.9"),
            (XFF, "127.0.0.9, 127.0.0.1", "127.0.0.9"),
            (XFF, "127.0.0.1", "127.0.0.1"),
            (FORWARDED, "for=127.0.0.9", "127.0.0.9"),
            (FORWARDED, "For=\"127.0.0.9:80\";proto=https", "127.0.0.9"),
            (FORWARDED, "for=\"[2001:db8:cafe::17]:4711\"", "2001:db8:cafe::17"),
            (FORWARDED, "for=\"[::ffff:127.0.0.9]\"", "127.0.0.9"),
            (FORWARDED, "for=192.0.2.43, for=\"[::1]\";by=127.0.0.1", "::1"),
            (FORWARDED, "proto=http;for=127.0.0.9, for=127.0.0.1", "127.0.0.9"),
        ] {
            assert_eq!(caller_with(&[(header, value)]), Ok(ip(want)), "{header}: {value}");
        }
        assert_eq!(caller_with(&[]), Ok(ip(PROXY)), "no header: the proxy itself");
        // Two lines of the header are one list.
        assert_eq!(caller_with(&[(XFF, "127.0.0.9"), (XFF, "10.0.0.2")]), Ok(ip("10.0.0.2")));
    }

    #[test]
    fn anything_unparsable_leaves_the_caller_unknown() {
        for (header, value) in [
            (XFF, "garbage"),
            (XFF, "127.0.0.9,"),
            (XFF, ",127.0.0.9"),
            (XFF, ""),
            (XFF, "127.0.0.9:99999"),
            (XFF, "[127.0.0.9]"),
            (XFF, "::ffff:127.0.0.9]"),
            (XFF, "127.0.0.9 127.0.0.1"),
            (XFF, "garbage, 127.0.0.1"),
            (FORWARDED, "for=unknown"),
            (FORWARDED, "for=_hidden"),
            (FORWARDED, "for=[::1]"),
            (FORWARDED, "proto=http"),
            (FORWARDED, "for=127.0.0.9;for=127.0.0.1"),
            (FORWARDED, "for=\"127.0.0.9"),
            (FORWARDED, "127.0.0.9"),
        ] {
            assert!(caller_with(&[(header, value)]).is_err(), "{header}: {value:?} must not parse");
        }
        // A header the proxy does not manage cannot override the one it does.
        let err = caller_with(&[(XFF, "10.0.0.7"), (FORWARDED, "for=127.0.0.1")]).unwrap_err();
        assert!(matches!(err, ForwardedError::Disagree { .. }), "{err}");
    }

    #[test]
    fn headers_from_an_untrusted_peer_are_ignored() {
        let mut map = HeaderMap::new();
        map.insert(XFF, HeaderValue::from_static("127.0.0.1"));
        assert_eq!(caller(ip("10.1.1.1"), &map, &[ip(PROXY)]), Ok(ip("10.1.1.1")));
        map.insert(XFF, HeaderValue::from_static("garbage"));
        assert_eq!(caller(ip("10.1.1.1"), &map, &[ip(PROXY)]), Ok(ip("10.1.1.1")));
    }
}
