//! The client's address, when comark runs behind reverse proxies.
//!
//! Forwarded headers are only believed from a TCP peer that is a configured trusted proxy:
//! anyone else could write whatever address they like in them. Even from a trusted proxy,
//! only the hops the proxies added can be believed, and a proxy adds to the right. So the
//! client is the rightmost hop that is not itself a trusted proxy; whatever the client put
//! further left is ignored.

use std::net::{IpAddr, SocketAddr};

use axum::http::header::FORWARDED;
use axum::http::HeaderMap;
pub use ipnet::IpNet;

/// The de facto header most proxies keep.
const X_FORWARDED_FOR: &str = "x-forwarded-for";

/// Parses a `--trusted-proxy` value: a network in CIDR notation (`10.0.0.0/8`,
/// `fd00::/8`) or a single address.
pub fn parse_trusted_proxy(text: &str) -> Result<IpNet, String> {
    let text = text.trim();
    text.parse::<IpNet>()
        .or_else(|_| text.parse::<IpAddr>().map(IpNet::from))
        .map(|net| net.trunc())
        .map_err(|_| format!("`{text}` is not an address or a network like 10.0.0.0/8"))
}

/// The address a request comes from: the TCP `peer`, or, when the peer is one of
/// `trusted` proxies, the client the forwarded headers name.
///
/// Both `Forwarded` (RFC 7239) and `X-Forwarded-For` are read. When both are present and
/// name different clients, one of them came from the client untouched (the proxy keeps
/// only the other), and nothing says which: the peer is used then, so a forger lands
/// with the proxy's address rather than one of their choosing.
pub fn client_address(peer: IpAddr, headers: &HeaderMap, trusted: &[IpNet]) -> IpAddr {
    let peer = peer.to_canonical();
    let is_trusted = |ip: &IpAddr| trusted.iter().any(|net| net.contains(ip));
    if !is_trusted(&peer) {
        return peer;
    }
    let forwarded = joined(headers, FORWARDED.as_str()).map(|value| forwarded_for(&value));
    let x_forwarded_for = joined(headers, X_FORWARDED_FOR).map(|value| x_forwarded_for(&value));
    let from_forwarded = forwarded.map(|hops| rightmost_untrusted(&hops, &is_trusted));
    let from_x_forwarded = x_forwarded_for.map(|hops| rightmost_untrusted(&hops, &is_trusted));
    match (from_forwarded, from_x_forwarded) {
        (Some(Some(a)), Some(Some(b))) if a == b => a,
        (Some(_), Some(_)) => peer,
        (Some(found), None) | (None, Some(found)) => found.unwrap_or(peer),
        (None, None) => peer,
    }
}

/// Every value of the header `name`, in order, as one comma-separated list.
fn joined(headers: &HeaderMap, name: &str) -> Option<String> {
    let values: Vec<&str> = headers
        .get_all(name)
        .iter()
        .map(|value| value.to_str().unwrap_or(""))
        .collect();
    (!values.is_empty()).then(|| values.join(","))
}

/// Walks the hops from the right past the trusted proxies. A hop that is not an address
/// (`unknown`, an obfuscated name, garbage) was written by a trusted proxy that did not
/// know better: nothing left of it can be believed, so there is no answer (`None`). When
/// every hop is a trusted proxy, the request started at the leftmost.
fn rightmost_untrusted(
    hops: &[Option<IpAddr>],
    is_trusted: &impl Fn(&IpAddr) -> bool,
) -> Option<IpAddr> {
    let mut last_trusted = None;
    for hop in hops.iter().rev() {
        let ip = (*hop)?;
        if !is_trusted(&ip) {
            return Some(ip);
        }
        last_trusted = Some(ip);
    }
    last_trusted
}

/// The hops of an `X-Forwarded-For` value, left to right.
fn x_forwarded_for(value: &str) -> Vec<Option<IpAddr>> {
    value.split(',').map(node).collect()
}

/// The `for=` of each element of a `Forwarded` value, left to right. An element without
/// one is a hop whose address is not known.
fn forwarded_for(value: &str) -> Vec<Option<IpAddr>> {
    split_outside_quotes(value, ',')
        .into_iter()
        .map(|element| {
            split_outside_quotes(element, ';')
                .into_iter()
                .filter_map(|pair| pair.split_once('='))
                .find(|(name, _)| name.trim().eq_ignore_ascii_case("for"))
                .and_then(|(_, value)| node(value))
        })
        .collect()
}

/// Splits at `separator` where it is not inside a quoted string.
fn split_outside_quotes(text: &str, separator: char) -> Vec<&str> {
    let mut parts = Vec::new();
    let (mut start, mut quoted, mut escaped) = (0, false, false);
    for (index, c) in text.char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' if quoted => escaped = true,
            '"' => quoted = !quoted,
            _ if c == separator && !quoted => {
                parts.push(&text[start..index]);
                start = index + c.len_utf8();
            }
            _ => {}
        }
    }
    parts.push(&text[start..]);
    parts
}

/// One node: `192.0.2.1`, `192.0.2.1:4711`, `2001:db8::1`, `[2001:db8::1]:4711`, any of
/// them quoted. Anything else is not an address.
fn node(text: &str) -> Option<IpAddr> {
    let text = text.trim();
    let text = text
        .strip_prefix('"')
        .and_then(|t| t.strip_suffix('"'))
        .unwrap_or(text)
        .trim();
    let ip = if let Some(rest) = text.strip_prefix('[') {
        let (inside, after) = rest.split_once(']')?;
        if !(after.is_empty() || after.starts_with(':')) {
            return None;
        }
        inside.parse::<std::net::Ipv6Addr>().ok().map(IpAddr::V6)?
    } else {
        text.parse::<IpAddr>()
            .ok()
            .or_else(|| text.parse::<SocketAddr>().ok().map(|s| s.ip()))?
    };
    Some(ip.to_canonical())
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;
    use proptest::prelude::*;

    fn trusted() -> Vec<IpNet> {
        ["127.0.0.1/32", "10.0.0.0/8", "fd00::/8"]
            .iter()
            .map(|net| parse_trusted_proxy(net).expect("a network"))
            .collect()
    }

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        for (name, value) in pairs {
            headers.append(*name, HeaderValue::from_str(value).expect("a header value"));
        }
        headers
    }

    fn ip(text: &str) -> IpAddr {
        text.parse().expect("an address")
    }

    #[test]
    fn an_untrusted_peer_is_the_client_whatever_the_headers_say() {
        let sent = headers(&[
            ("x-forwarded-for", "198.51.100.7"),
            ("forwarded", "for=198.51.100.7"),
        ]);
        assert_eq!(
            client_address(ip("203.0.113.9"), &sent, &trusted()),
            ip("203.0.113.9")
        );
        assert_eq!(
            client_address(ip("203.0.113.9"), &sent, &[]),
            ip("203.0.113.9")
        );
    }

    #[test]
    fn behind_trusted_proxies_the_rightmost_untrusted_hop_is_the_client() {
        let sent = headers(&[("x-forwarded-for", "1.1.1.1, 198.51.100.7, 10.0.0.5")]);
        assert_eq!(
            client_address(ip("127.0.0.1"), &sent, &trusted()),
            ip("198.51.100.7")
        );
        let sent = headers(&[
            (
                "forwarded",
                r#"for=1.1.1.1, for="[2001:db8:cafe::17]:4711";proto=https"#,
            ),
            ("forwarded", "for=10.0.0.5;by=10.0.0.1"),
        ]);
        assert_eq!(
            client_address(ip("10.1.2.3"), &sent, &trusted()),
            ip("2001:db8:cafe::17")
        );
        let sent = headers(&[("x-forwarded-for", "198.51.100.7:51234")]);
        assert_eq!(
            client_address(ip("::ffff:127.0.0.1"), &sent, &trusted()),
            ip("198.51.100.7")
        );
    }

    #[test]
    fn without_a_believable_client_the_peer_is_used() {
        let peer = ip("10.0.0.1");
        for sent in [
            headers(&[]),
            headers(&[("x-forwarded-for", "198.51.100.7, unknown")]),
            headers(&[("forwarded", "for=_hidden")]),
            headers(&[("forwarded", "proto=https")]),
            // Two headers naming two clients: one of them is a forgery.
            headers(&[
                ("forwarded", "for=192.0.2.1"),
                ("x-forwarded-for", "198.51.100.7"),
            ]),
        ] {
            assert_eq!(client_address(peer, &sent, &trusted()), peer, "{sent:?}");
        }
        let agreeing = headers(&[
            ("forwarded", "for=198.51.100.7"),
            ("x-forwarded-for", "6.6.6.6, 198.51.100.7"),
        ]);
        assert_eq!(
            client_address(peer, &agreeing, &trusted()),
            ip("198.51.100.7")
        );
        let only_proxies = headers(&[("x-forwarded-for", "10.9.9.9, 10.0.0.5")]);
        assert_eq!(
            client_address(peer, &only_proxies, &trusted()),
            ip("10.9.9.9")
        );
    }

    #[test]
    fn trusted_proxies_are_networks_or_single_addresses() {
        assert_eq!(
            parse_trusted_proxy("10.1.2.3/8").map(|n| n.to_string()),
            Ok("10.0.0.0/8".into())
        );
        assert_eq!(
            parse_trusted_proxy(" 192.0.2.1 ").map(|n| n.to_string()),
            Ok("192.0.2.1/32".into())
        );
        assert_eq!(
            parse_trusted_proxy("::1").map(|n| n.to_string()),
            Ok("::1/128".into())
        );
        assert!(parse_trusted_proxy("10.0.0.0/33").is_err());
        assert!(parse_trusted_proxy("proxy.internal").is_err());
    }

    fn an_address() -> impl Strategy<Value = IpAddr> {
        prop_oneof![
            any::<[u8; 4]>().prop_map(IpAddr::from),
            any::<[u16; 8]>().prop_map(IpAddr::from),
        ]
        .prop_map(|ip| ip.to_canonical())
    }

    fn untrusted_address() -> impl Strategy<Value = IpAddr> {
        an_address().prop_filter("not a trusted proxy", |ip| {
            !trusted().iter().any(|net| net.contains(ip))
        })
    }

    proptest! {
        #[test]
        fn any_headers_parse_without_panicking(
            forwarded in "\\PC{0,120}",
            x_forwarded_for in "[ -~]{0,120}",
            peer in an_address(),
        ) {
            let mut sent = HeaderMap::new();
            if let Ok(value) = HeaderValue::from_str(&forwarded) {
                sent.append(FORWARDED, value);
            }
            if let Ok(value) = HeaderValue::from_str(&x_forwarded_for) {
                sent.append(X_FORWARDED_FOR, value);
            }
            let _ = client_address(peer, &sent, &trusted());
            let _ = parse_trusted_proxy(&forwarded);
        }

        #[test]
        fn a_spoofed_leftmost_entry_never_wins(
            spoofed in prop::collection::vec("[ -+\\--~]{0,40}", 0..4),
            client in untrusted_address(),
            hops_inside in prop::collection::vec(0u8..=255, 0..3),
        ) {
            // The client sends any list it likes; each trusted proxy on the way appends the
            // address it got the request from.
            let mut x_forwarded_for = spoofed.clone();
            x_forwarded_for.push(client.to_string());
            for last in &hops_inside {
                x_forwarded_for.push(format!("10.0.0.{last}"));
            }
            let sent = headers(&[("x-forwarded-for", &x_forwarded_for.join(", "))]);
            prop_assert_eq!(client_address(ip("127.0.0.1"), &sent, &trusted()), client);

            let mut forwarded: Vec<String> = spoofed.iter().map(|s| format!("for={s}")).collect();
            forwarded.push(match client {
                IpAddr::V6(v6) => format!("for=\"[{v6}]:443\""),
                IpAddr::V4(v4) => format!("for={v4}"),
            });
            let sent = headers(&[("forwarded", &forwarded.join(", "))]);
            let found = client_address(ip("10.0.0.1"), &sent, &trusted());
            // An unclosed quote can swallow what the proxy appended; the client then gets the
            // proxy's address, never one it chose.
            if spoofed.iter().any(|s| s.contains('"')) {
                prop_assert!(found == client || found == ip("10.0.0.1"), "{found}");
            } else {
                prop_assert_eq!(found, client);
            }
        }

        #[test]
        fn headers_from_an_untrusted_peer_are_ignored(peer in untrusted_address(), claimed in an_address()) {
            let sent = headers(&[("x-forwarded-for", &claimed.to_string())]);
            prop_assert_eq!(client_address(peer, &sent, &trusted()), peer);
        }
    }
}
