//! The registrable domain (eTLD+1) of whatever a CRM holds in its "website" field.
//!
//! Choices, so that two imports always agree on a key:
//! - **ASCII keys.** Internationalized names are converted to their punycode form with
//!   UTS #46 (the `idna` crate, STD3 rules), so `münchen.de`, `MÜNCHEN.de` and
//!   `xn--mnchen-3ya.de` all give `xn--mnchen-3ya.de`. Keys are plain ASCII: they hash, sort
//!   and export (CSV, PSI) the same everywhere.
//! - **Public Suffix List, both sections.** The list is embedded at compile time by the `psl`
//!   crate (no network at run time). Its private section counts: `acme.github.io` is its own
//!   registrable domain (two GitHub Pages sites are two different owners) and a bare
//!   `github.io` is a public suffix, hence `None`.
//! - **Known suffixes only.** A host whose top-level label is not on the list (`localhost`,
//!   `acme.internal`, `acme.local`, a typo such as `acme.cmo`, an IPv4 address) gives `None`,
//!   as do IPv6 literals, single labels, bare public suffixes and anything that is not a
//!   valid DNS name (empty labels, labels over 63 bytes, names over 253 bytes, characters
//!   other than letters, digits and inner hyphens).
//! - **Lenient about the wrapping.** Surrounding whitespace, any scheme (or none, or a
//!   scheme-relative `//`), user-info, ports, paths, queries, fragments, backslashes, upper
//!   case and leading or trailing dots are ignored. When a field holds several sites
//!   (`acme.com, acme.de`), the first one is used. An e-mail address gives its domain.

use idna::uts46::{AsciiDenyList, DnsLength, Hyphens, Uts46};

/// The longest DNS name, without the trailing root dot.
const MAX_NAME: usize = 253;
/// The longest DNS label.
const MAX_LABEL: usize = 63;

/// The registrable domain (eTLD+1, lower-case ASCII/punycode) of a website, or `None` when it
/// names no registrable domain.
///
/// ```
/// use comark_matching::registrable_domain;
/// assert_eq!(registrable_domain("https://WWW.Example.co.uk/path?q=1").as_deref(), Some("example.co.uk"));
/// assert_eq!(registrable_domain("http://user@sub.acme.io:8080/").as_deref(), Some("acme.io"));
/// assert_eq!(registrable_domain("münchen.de"), registrable_domain("xn--mnchen-3ya.de"));
/// assert_eq!(registrable_domain("github.io"), None);
/// assert_eq!(registrable_domain("192.168.0.1"), None);
/// ```
pub fn registrable_domain(website: &str) -> Option<String> {
    let host = host_of(website)?;
    let mut buf = [0u8; MAX_NAME];
    let owned;
    let ascii: &[u8] = match fast_ascii_host(host, &mut buf) {
        Fast::Done(len) => buf.get(..len)?,
        Fast::Reject => return None,
        Fast::NeedsIdna => {
            owned = idna_host(host)?;
            owned.as_bytes()
        }
    };
    let domain = registrable_of_ascii(ascii)?;
    String::from_utf8(domain.to_vec()).ok()
}

/// The registrable part of a valid, lower-case, ASCII host name, if its suffix is known.
fn registrable_of_ascii(host: &[u8]) -> Option<&[u8]> {
    let last = host.rsplit(|b| *b == b'.').next()?;
    // A host that ends in a number is an IPv4 address (WHATWG URL), never a domain.
    if last.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let domain = psl::domain(host)?;
    domain.suffix().typ()?;
    Some(domain.as_bytes())
}

/// Strips what surrounds the host in a website string; `None` when nothing host-like is left.
///
/// Scans bytes: every delimiter is ASCII, and ASCII bytes never occur inside a multi-byte
/// UTF-8 sequence, so each cut falls on a character boundary.
fn host_of(website: &str) -> Option<&str> {
    let s = website.trim();
    let bytes = s.as_bytes();
    let mut i = scheme_end(bytes).unwrap_or(0);
    while i < bytes.len() && matches!(bytes[i], b'/' | b'\\') {
        i += 1;
    }
    // The host starts after the last '@' (user-info) and ends at the first ':' after it
    // (port) or at the end of the authority.
    let mut host_start = i;
    let mut colon: Option<usize> = None;
    let mut end = bytes.len();
    while i < bytes.len() {
        match bytes[i] {
            b'/' | b'\\' | b'?' | b'#' | b',' | b';' => {
                end = i;
                break;
            }
            b if b.is_ascii_whitespace() || b == 0x0b => {
                end = i;
                break;
            }
            b'@' => {
                host_start = i + 1;
                colon = None;
            }
            b':' => {
                if colon.is_some() {
                    return None; // a bare IPv6 address
                }
                colon = Some(i);
            }
            b if b >= 0x80 => {
                // Non-ASCII: Unicode white space ends the authority too.
                let c = s.get(i..).and_then(|rest| rest.chars().next())?;
                if c.is_whitespace() {
                    end = i;
                    break;
                }
                i += c.len_utf8();
                continue;
            }
            _ => {}
        }
        i += 1;
    }
    let host = s.get(host_start..colon.unwrap_or(end))?;
    if host.starts_with('[') {
        return None; // an IPv6 literal
    }
    let host = host.trim_matches('.');
    (!host.is_empty()).then_some(host)
}

/// Where the text after `scheme:` starts, when `s` starts with a URL scheme.
///
/// A scheme counts when slashes follow it (`ftp://`, `http:/`, `https:\\`), or when it is
/// `http`/`https` (`http:acme.com`); `acme.com:8080` is a host and a port, not a scheme.
fn scheme_end(s: &[u8]) -> Option<usize> {
    if !s.first()?.is_ascii_alphabetic() {
        return None;
    }
    let len = s
        .iter()
        .position(|b| !(b.is_ascii_alphanumeric() || matches!(b, b'+' | b'-' | b'.')))?;
    if s[len] != b':' {
        return None;
    }
    let scheme = &s[..len];
    let slashes = matches!(s.get(len + 1), Some(b'/' | b'\\'));
    let web = scheme.eq_ignore_ascii_case(b"http") || scheme.eq_ignore_ascii_case(b"https");
    (slashes || web).then_some(len + 1)
}

/// What the ASCII fast path found.
enum Fast {
    /// The lower-cased host is in the buffer, this many bytes long, and is a valid name.
    Done(usize),
    /// The host is ASCII and not a valid name.
    Reject,
    /// The host needs UTS #46 processing (non-ASCII, punycode, or other characters).
    NeedsIdna,
}

/// Lower-cases and validates a plain letters-digits-hyphens host without calling `idna`.
///
/// Agrees with [`idna_host`] on every input it does not hand over (tested).
fn fast_ascii_host(host: &str, buf: &mut [u8; MAX_NAME]) -> Fast {
    let bytes = host.as_bytes();
    if bytes.len() > MAX_NAME {
        return if bytes.is_ascii() {
            Fast::Reject
        } else {
            Fast::NeedsIdna
        };
    }
    let mut label_start = 0;
    for (i, &b) in bytes.iter().enumerate() {
        let lower = b.to_ascii_lowercase();
        match lower {
            b'a'..=b'z' | b'0'..=b'9' | b'-' => {}
            b'.' => {}
            _ => return Fast::NeedsIdna,
        }
        if let Some(slot) = buf.get_mut(i) {
            *slot = lower;
        }
        if lower == b'.' {
            match check_label(&buf[label_start..i]) {
                Fast::Done(_) => label_start = i + 1,
                other => return other,
            }
        }
    }
    match check_label(&buf[label_start..bytes.len()]) {
        Fast::Done(_) => Fast::Done(bytes.len()),
        other => other,
    }
}

/// Validates one lower-case letters-digits-hyphens label for [`fast_ascii_host`].
fn check_label(label: &[u8]) -> Fast {
    if label.starts_with(b"xn--") {
        return Fast::NeedsIdna;
    }
    if label.is_empty()
        || label.len() > MAX_LABEL
        || label.first() == Some(&b'-')
        || label.last() == Some(&b'-')
    {
        return Fast::Reject;
    }
    Fast::Done(label.len())
}

/// UTS #46 ToASCII with STD3 rules, hyphen and DNS length checks.
fn idna_host(host: &str) -> Option<String> {
    let ascii = Uts46::new()
        .to_ascii(
            host.as_bytes(),
            AsciiDenyList::STD3,
            Hyphens::CheckFirstLast,
            DnsLength::Verify,
        )
        .ok()?;
    if ascii.is_empty() {
        return None;
    }
    Some(ascii.into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rd(s: &str) -> Option<String> {
        registrable_domain(s)
    }

    #[test]
    fn examples_from_the_issue() {
        assert_eq!(
            rd("https://WWW.Example.co.uk/path?q=1").as_deref(),
            Some("example.co.uk")
        );
        assert_eq!(rd("shop.acme.com.").as_deref(), Some("acme.com"));
        assert_eq!(
            rd("http://user@sub.acme.io:8080/").as_deref(),
            Some("acme.io")
        );
        assert_eq!(rd("münchen.de").as_deref(), Some("xn--mnchen-3ya.de"));
        assert_eq!(rd("xn--mnchen-3ya.de"), rd("münchen.de"));
        assert_eq!(rd("github.io"), None);
        assert_eq!(rd("acme.github.io").as_deref(), Some("acme.github.io"));
    }

    #[test]
    fn messy_real_world_websites() {
        let cases = [
            ("acme.com", "acme.com"),
            ("  www.acme.com  ", "acme.com"),
            ("\twww.ACME.com/\n", "acme.com"),
            ("HTTPS://WWW.ACME.COM", "acme.com"),
            ("Https://acme.com/", "acme.com"),
            ("http:/acme.com", "acme.com"),
            ("http:acme.com", "acme.com"),
            ("https:\\\\www.acme.com\\contact", "acme.com"),
            ("//www.acme.com/x", "acme.com"),
            ("ftp://files.acme.com", "acme.com"),
            ("www.acme.com:443", "acme.com"),
            ("acme.com:8080/path", "acme.com"),
            ("http://acme.com?utm_source=crm", "acme.com"),
            ("http://acme.com#team", "acme.com"),
            ("https://acme.com/en-us/index.html?x=1#y", "acme.com"),
            ("https://john:secret@app.acme.com:8443/login", "acme.com"),
            ("john.doe@acme.com", "acme.com"),
            ("mailto:john.doe@acme.com", "acme.com"),
            ("acme.com, acme.de", "acme.com"),
            ("acme.com; www.acme.co.uk", "acme.com"),
            ("acme.com (old site)", "acme.com"),
            ("www.acme.com.", "acme.com"),
            ("www.acme.com..", "acme.com"),
            (".acme.com", "acme.com"),
            ("a.b.c.d.acme.com.au", "acme.com.au"),
            ("blog.acme.co.jp", "acme.co.jp"),
            ("shop.acme.myshopify.com", "acme.myshopify.com"),
            ("www.acme-corp.com", "acme-corp.com"),
            ("WWW.3M.COM", "3m.com"),
            ("https://www.bücher.de/", "xn--bcher-kva.de"),
            ("BÜCHER.DE", "xn--bcher-kva.de"),
            ("xn--bcher-kva.de", "xn--bcher-kva.de"),
            ("XN--BCHER-KVA.DE", "xn--bcher-kva.de"),
            ("пример.рф", "xn--e1afmkfd.xn--p1ai"),
            ("www.example.xn--p1ai", "example.xn--p1ai"),
            ("ａｃｍｅ.com", "acme.com"),
            ("acme。com", "acme.com"),
            ("city.kawasaki.jp", "city.kawasaki.jp"),
            ("www.city.kawasaki.jp", "city.kawasaki.jp"),
            ("a.b.kawasaki.jp", "a.b.kawasaki.jp"),
        ];
        for (input, want) in cases {
            assert_eq!(rd(input).as_deref(), Some(want), "input {input:?}");
        }
    }

    #[test]
    fn rejects_what_is_not_a_domain() {
        let cases = [
            "",
            "   ",
            "-",
            "N/A",
            "n/a",
            "none",
            "TBD",
            "http://",
            "https:///",
            "localhost",
            "http://localhost:3000",
            "acme",
            "acme.local",
            "acme.internal",
            "acme.cmo",
            "192.168.0.1",
            "http://10.0.0.1:8080/",
            "1.2.3.4.5",
            "[::1]",
            "http://[2001:db8::1]/",
            "2001:db8::1",
            "co.uk",
            "com",
            ".com",
            "github.io",
            "https://github.io/",
            "acme..com",
            "-acme.com",
            "acme-.com",
            "ac me.com",
            "acme_corp.com",
            "acme!.com",
            "xn--zz.com",
            "@",
            "://",
            ":8080",
        ];
        for input in cases {
            assert_eq!(rd(input), None, "input {input:?}");
        }
    }

    #[test]
    fn length_limits() {
        let label63 = "a".repeat(63);
        let label64 = "a".repeat(64);
        assert_eq!(
            rd(&format!("{label63}.com")),
            Some(format!("{label63}.com"))
        );
        assert_eq!(rd(&format!("{label64}.com")), None);
        let long = format!("{}acme.com", "abcdefghi.".repeat(25));
        assert!(long.len() > MAX_NAME);
        assert_eq!(rd(&long), None);
    }

    #[test]
    fn fast_path_agrees_with_idna() {
        for host in [
            "acme.com",
            "ACME.COM",
            "a-b.com",
            "-a.com",
            "a-.com",
            "a..com",
            "ab--cd.com",
            "3m.com",
        ] {
            let mut buf = [0u8; MAX_NAME];
            let fast = match fast_ascii_host(host, &mut buf) {
                Fast::Done(len) => Some(String::from_utf8(buf[..len].to_vec()).expect("ascii")),
                Fast::Reject => None,
                Fast::NeedsIdna => panic!("{host} should take the fast path"),
            };
            assert_eq!(fast, idna_host(host), "host {host:?}");
        }
    }

    proptest::proptest! {
        #[test]
        fn fast_path_agrees_with_idna_on_random_hosts(host in "[a-zA-Z0-9._-]{0,70}|[a-z0-9-]{60,66}\\.[a-z]{2,4}") {
            let mut buf = [0u8; MAX_NAME];
            let fast = match fast_ascii_host(&host, &mut buf) {
                Fast::Done(len) => Some(String::from_utf8(buf[..len].to_vec()).expect("ascii")),
                Fast::Reject => None,
                Fast::NeedsIdna => return Ok(()),
            };
            proptest::prop_assert_eq!(fast, idna_host(&host), "host {:?}", host);
        }
    }
}
