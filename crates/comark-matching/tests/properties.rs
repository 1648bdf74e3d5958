//! Property tests: normalization is total, idempotent and insensitive to presentation; the
//! join agrees with a naive nested-loop join, is symmetric and shards cleanly.

use std::collections::HashSet;

use comark_matching::{
    dedupe, fold_company_name, key_accounts, overlap, registrable_domain, AccountFields,
    AccountKey, Confidence, KeyKind, Match,
};
use proptest::prelude::*;

/// Public suffixes of several shapes: one label, two labels, IDN, private section.
const SUFFIXES: &[&str] = &[
    "com",
    "net",
    "org",
    "io",
    "de",
    "fr",
    "ch",
    "nl",
    "co.uk",
    "com.au",
    "co.jp",
    "com.br",
    "github.io",
    "xn--p1ai",
];

/// A registrable domain in canonical form: one LDH label under a known suffix.
fn canonical_domain() -> impl Strategy<Value = String> {
    (
        "[a-z0-9]([a-z0-9-]{0,10}[a-z0-9])?",
        prop::sample::select(SUFFIXES),
    )
        .prop_map(|(label, suffix)| format!("{label}.{suffix}"))
        // A label can make a public suffix of its own ("co" under "io"): nobody registers those.
        .prop_filter("a public suffix is not a registrable domain", |d| {
            psl::suffix(d.as_bytes()).is_some_and(|s| s.as_bytes() != d.as_bytes())
        })
}

/// Ways a website field wraps a domain.
#[derive(Debug, Clone)]
struct Presentation {
    lead: &'static str,
    scheme: &'static str,
    userinfo: &'static str,
    sub: &'static str,
    upper: Vec<bool>,
    trailing_dot: bool,
    port: Option<u16>,
    path: &'static str,
    trail: &'static str,
}

fn presentation() -> impl Strategy<Value = Presentation> {
    (
        prop::sample::select(vec!["", " ", "\t", "  \n"]),
        prop::sample::select(vec![
            "", "http://", "https://", "HTTPS://", "Http://", "//", "ftp://", "http:/",
        ]),
        prop::sample::select(vec!["", "user@", "john:pw@"]),
        prop::sample::select(vec!["", "www.", "WWW.", "shop.", "a.b.", "en-us."]),
        prop::collection::vec(any::<bool>(), 64),
        any::<bool>(),
        prop::option::of(1u16..65535),
        prop::sample::select(vec![
            "",
            "/",
            "/about",
            "/a/b.html",
            "?utm_source=x&y=1",
            "#team",
            "/p?q=1#f",
            "\\contact",
        ]),
        prop::sample::select(vec!["", " ", "\n", " \t"]),
    )
        .prop_map(
            |(lead, scheme, userinfo, sub, upper, trailing_dot, port, path, trail)| Presentation {
                lead,
                scheme,
                userinfo,
                sub,
                upper,
                trailing_dot,
                port,
                path,
                trail,
            },
        )
}

fn present(domain: &str, p: &Presentation) -> String {
    let host: String = format!("{}{}", p.sub, domain)
        .chars()
        .enumerate()
        .map(|(i, c)| {
            if p.upper.get(i % p.upper.len()).copied().unwrap_or(false) {
                c.to_ascii_uppercase()
            } else {
                c
            }
        })
        .collect();
    let dot = if p.trailing_dot { "." } else { "" };
    let port = p.port.map(|n| format!(":{n}")).unwrap_or_default();
    let userinfo = if p.scheme.is_empty() { "" } else { p.userinfo };
    format!(
        "{}{}{}{}{}{}{}{}",
        p.lead, p.scheme, userinfo, host, dot, port, p.path, p.trail
    )
}

/// A website-like string: mostly plausible, sometimes broken.
fn websiteish() -> impl Strategy<Value = String> {
    prop_oneof![
        (canonical_domain(), presentation()).prop_map(|(d, p)| present(&d, &p)),
        "[ -~]{0,40}",
        "[a-zA-Z0-9.:/@\\[\\]%-]{0,30}",
        "(https?://)?[a-zéüßøç0-9.-]{0,20}\\.(de|com|рф|xn--p1ai)",
        any::<String>(),
    ]
}

/// A small pool of keys of both kinds, some sharing text across kinds.
fn pool_key() -> impl Strategy<Value = AccountKey> {
    (any::<bool>(), 0u8..12).prop_map(|(domain, i)| {
        let text = format!("k{i}.com");
        if domain {
            AccountKey::from_normalized(KeyKind::Domain, &text)
        } else {
            AccountKey::from_normalized(KeyKind::Name, &text)
        }
    })
}

fn side() -> impl Strategy<Value = Vec<(AccountKey, u32)>> {
    prop::collection::vec((pool_key(), 0u32..1000), 0..40)
}

fn naive_join(ours: &[(AccountKey, u32)], theirs: &[(AccountKey, u32)]) -> Vec<Match> {
    let mut out = Vec::new();
    for (ka, pa) in ours {
        for (kb, pb) in theirs {
            if ka.kind() == kb.kind() && ka.as_str() == kb.as_str() {
                let confidence = match ka.kind() {
                    KeyKind::Domain => Confidence::High,
                    KeyKind::Name => Confidence::Low,
                };
                out.push(Match {
                    ours: *pa,
                    theirs: *pb,
                    confidence,
                });
            }
        }
    }
    out.sort();
    out
}

proptest! {
    #[test]
    fn registrable_domain_is_total(s in websiteish()) {
        let _ = registrable_domain(&s);
    }

    #[test]
    fn fold_company_name_is_total(s in any::<String>()) {
        let _ = fold_company_name(&s);
    }

    #[test]
    fn account_key_is_total(name in any::<String>(), site in prop::option::of(websiteish())) {
        if let Some(key) = AccountKey::for_account(&name, site.as_deref()) {
            prop_assert!(!key.as_str().is_empty());
        }
    }

    #[test]
    fn registrable_domain_is_idempotent(s in websiteish()) {
        if let Some(d) = registrable_domain(&s) {
            prop_assert_eq!(registrable_domain(&d), Some(d.clone()));
            prop_assert!(d.is_ascii());
            prop_assert_eq!(d.to_ascii_lowercase(), d.clone());
        }
    }

    #[test]
    fn fold_company_name_is_idempotent(s in any::<String>()) {
        let once = fold_company_name(&s);
        prop_assert_eq!(fold_company_name(&once), once.clone());
    }

    #[test]
    fn fold_of_name_like_strings_is_idempotent(s in "[A-Za-zÀ-ÿ&.,'/ -]{0,40}") {
        let once = fold_company_name(&s);
        prop_assert_eq!(fold_company_name(&once), once.clone());
    }

    #[test]
    fn presentation_does_not_change_the_domain(d in canonical_domain(), p in presentation()) {
        prop_assert_eq!(registrable_domain(&d), Some(d.clone()));
        let messy = present(&d, &p);
        prop_assert_eq!(registrable_domain(&messy), Some(d.clone()), "messy {:?}", messy);
    }

    #[test]
    fn presentation_does_not_change_the_folded_name(
        words in prop::collection::vec("[a-z]{2,8}", 1..4),
        upper in prop::collection::vec(any::<bool>(), 32),
        sep in prop::sample::select(vec![" ", "  ", " \t "]),
        suffix in prop::sample::select(vec![
            "", " Inc", ", Inc.", " LLC", " L.L.C.", " GmbH", " S.A.", " Ltd.", " Co., Ltd.",
            " Pty Ltd", " AB", ", Corp.", " Sp. z o.o.", " GmbH & Co. KG",
        ]),
        lead in prop::sample::select(vec!["", " ", "\t"]),
    ) {
        let plain = words.join(" ");
        let cased: String = words
            .join(sep)
            .chars()
            .enumerate()
            .map(|(i, c)| if upper[i % upper.len()] { c.to_ascii_uppercase() } else { c })
            .collect();
        let messy = format!("{lead}{cased}{suffix} ");
        prop_assert_eq!(fold_company_name(&messy), fold_company_name(&plain), "messy {:?}", messy);
    }

    #[test]
    fn overlap_equals_the_naive_join(ours in side(), theirs in side()) {
        prop_assert_eq!(overlap(&ours, &theirs), naive_join(&ours, &theirs));
    }

    #[test]
    fn overlap_is_symmetric(ours in side(), theirs in side()) {
        let forward = overlap(&ours, &theirs);
        let mut swapped: Vec<Match> = overlap(&theirs, &ours)
            .into_iter()
            .map(|m| Match { ours: m.theirs, theirs: m.ours, confidence: m.confidence })
            .collect();
        swapped.sort();
        prop_assert_eq!(forward, swapped);
    }

    #[test]
    fn overlap_shards_cleanly(ours in side(), theirs in side(), shards in 1u32..5) {
        let mut by_shard = Vec::new();
        for s in 0..shards {
            let pick = |side: &[(AccountKey, u32)]| -> Vec<(AccountKey, u32)> {
                side.iter().filter(|(k, _)| k.shard(shards) == s).cloned().collect()
            };
            by_shard.extend(overlap(&pick(&ours), &pick(&theirs)));
        }
        by_shard.sort();
        prop_assert_eq!(by_shard, overlap(&ours, &theirs));
    }

    #[test]
    fn dedupe_partitions_the_input(accounts in side()) {
        let groups = dedupe(&accounts);
        let mut seen: Vec<u32> = groups.iter().flat_map(|g| g.members.iter().copied()).collect();
        let mut all: Vec<u32> = accounts.iter().map(|(_, p)| *p).collect();
        seen.sort_unstable();
        all.sort_unstable();
        prop_assert_eq!(seen, all);
        let keys: HashSet<&AccountKey> = groups.iter().map(|g| &g.key).collect();
        prop_assert_eq!(keys.len(), groups.len());
        for g in &groups {
            prop_assert!(!g.members.is_empty());
            let count = accounts.iter().filter(|(k, _)| *k == g.key).count();
            prop_assert_eq!(count, g.members.len());
        }
    }
}

#[test]
fn larger_overlap_agrees_with_a_hash_join() {
    // Enough keys to split the merge into several parallel chunks.
    let side = |offset: u32, n: u32| -> Vec<(AccountKey, u32)> {
        (0..n)
            .map(|i| {
                let v = (i * 7 + offset) % 30_000;
                let key = if v % 5 == 0 {
                    AccountKey::from_normalized(KeyKind::Name, &format!("company {v}"))
                } else {
                    AccountKey::from_normalized(KeyKind::Domain, &format!("c{v}.com"))
                };
                (key, i)
            })
            .collect()
    };
    let ours = side(0, 40_000);
    let theirs = side(3, 40_000);
    let mut index: std::collections::HashMap<&AccountKey, Vec<u32>> = Default::default();
    for (k, p) in &theirs {
        index.entry(k).or_default().push(*p);
    }
    let mut want = Vec::new();
    for (k, p) in &ours {
        for q in index.get(k).into_iter().flatten() {
            want.push(Match {
                ours: *p,
                theirs: *q,
                confidence: k.confidence(),
            });
        }
    }
    want.sort();
    let got = overlap(&ours, &theirs);
    assert!(!got.is_empty());
    assert_eq!(got, want);
}

#[test]
fn key_accounts_then_overlap_end_to_end() {
    let ours = [
        AccountFields {
            name: "ACME, Inc.",
            website: Some("https://www.acme.com/"),
        },
        AccountFields {
            name: "Société Générale S.A.",
            website: None,
        },
        AccountFields {
            name: "Globex",
            website: Some("globex.co.uk"),
        },
        AccountFields {
            name: "Müller GmbH",
            website: Some("münchen.de"),
        },
    ];
    let theirs = [
        AccountFields {
            name: "Acme Corporation",
            website: Some("ACME.COM."),
        },
        AccountFields {
            name: "societe generale",
            website: Some(""),
        },
        AccountFields {
            name: "Globex Ltd",
            website: None,
        },
        AccountFields {
            name: "Mueller",
            website: Some("http://www.xn--mnchen-3ya.de/impressum"),
        },
    ];
    let got = overlap(&key_accounts(&ours), &key_accounts(&theirs));
    let pairs: Vec<_> = got
        .iter()
        .map(|m| (m.ours, m.theirs, m.confidence))
        .collect();
    assert_eq!(
        pairs,
        [
            (0, 0, Confidence::High),
            (1, 1, Confidence::Low),
            (3, 3, Confidence::High),
        ]
    );
}

/// Found by the generator: "co.io" is itself a public suffix, so it names no company, while a
/// name under it does.
#[test]
fn a_public_suffix_is_not_a_registrable_domain() {
    assert_eq!(registrable_domain("co.io"), None);
    assert!(psl::suffix(b"co.io").is_some_and(|s| s.as_bytes() == b"co.io"));
    assert_eq!(
        registrable_domain("https://www.acme.co.io/about"),
        Some("acme.co.io".to_owned())
    );
}

/// Accounts with any mix of keys from small pools, so that domains and names collide often.
fn multi_key_account() -> impl Strategy<Value = comark_matching::AccountKeys> {
    (
        prop::collection::vec(
            prop::sample::select(vec![
                "a.com",
                "b.com",
                "c.de",
                "d.io",
                "e.co.uk",
                "gmail.com",
            ]),
            0..3,
        ),
        prop::option::of(prop::sample::select(vec![
            "acme",
            "globex",
            "initech",
            "hooli",
            "muller bau",
            "mueller bau",
            "mullerbau",
        ])),
        prop::option::of(prop::sample::select(vec![
            "USA",
            "United States",
            "Germany",
            "n/a",
        ])),
    )
        .prop_map(|(domains, name, country)| {
            comark_matching::AccountKeys::from_normalized(domains, name).in_country(country)
        })
}

type Found = Vec<(u32, u32, Confidence, String)>;

/// Whether two accounts' names are the same once spaces and transliterations are set aside.
fn same_loose_name(a: &comark_matching::AccountKeys, b: &comark_matching::AccountKeys) -> bool {
    let apart = matches!((a.country, b.country), (Some(x), Some(y)) if x != y);
    if apart {
        return false;
    }
    match (&a.name, &b.name) {
        (Some(x), Some(y)) => {
            let plain = |n: &str| {
                n.replace(' ', "")
                    .replace("ae", "a")
                    .replace("oe", "o")
                    .replace("ue", "u")
                    .replace("aa", "a")
            };
            plain(x.as_str()) == plain(y.as_str())
        }
        _ => false,
    }
}

/// The smaller of the two folded names: the key a name match reports.
fn smaller_name(a: &comark_matching::AccountKeys, b: &comark_matching::AccountKeys) -> String {
    let (x, y) = (
        a.name.as_ref().expect("name"),
        b.name.as_ref().expect("name"),
    );
    x.as_str().min(y.as_str()).to_owned()
}

#[test]
fn a_webmail_domain_is_never_a_key() {
    let keys = comark_matching::AccountKeys::for_account(
        "Bauer Möbel",
        ["info@libero.it", "https://www.gmail.com", "bauer-moebel.de"],
    );
    let domains: Vec<&str> = keys.domains.iter().map(|d| d.as_str()).collect();
    assert_eq!(domains, ["bauer-moebel.de"]);
    let stored = comark_matching::AccountKeys::from_normalized(["gmx.de", "acme.com"], None);
    assert_eq!(stored.domains.len(), 1);
}

/// The passes as the docs state them, with nested loops.
fn naive_passes(
    ours: &[comark_matching::AccountKeys],
    theirs: &[comark_matching::AccountKeys],
) -> Found {
    let mut found = Vec::new();
    let (mut mo, mut mt) = (vec![false; ours.len()], vec![false; theirs.len()]);
    for (i, a) in ours.iter().enumerate() {
        for (j, b) in theirs.iter().enumerate() {
            if let Some(shared) = a.domains.iter().filter(|d| b.domains.contains(d)).min() {
                found.push((i as u32, j as u32, Confidence::High, shared.to_string()));
                mo[i] = true;
                mt[j] = true;
            }
        }
    }
    let (after_first_ours, after_first_theirs) = (mo.clone(), mt.clone());
    for (i, a) in ours.iter().enumerate() {
        for (j, b) in theirs.iter().enumerate() {
            let same_name = same_loose_name(a, b);
            if !after_first_ours[i]
                && !after_first_theirs[j]
                && same_name
                && (a.domains.is_empty() || b.domains.is_empty())
            {
                found.push((i as u32, j as u32, Confidence::Medium, smaller_name(a, b)));
                mo[i] = true;
                mt[j] = true;
            }
        }
    }
    for (i, a) in ours.iter().enumerate() {
        for (j, b) in theirs.iter().enumerate() {
            let same_name = same_loose_name(a, b);
            if !mo[i] && !mt[j] && same_name && !a.domains.is_empty() && !b.domains.is_empty() {
                found.push((i as u32, j as u32, Confidence::Low, smaller_name(a, b)));
            }
        }
    }
    found.sort();
    found
}

fn as_found(matches: &[comark_matching::PairMatch]) -> Found {
    let mut found: Found = matches
        .iter()
        .map(|m| (m.ours, m.theirs, m.confidence, m.key.to_string()))
        .collect();
    found.sort();
    found
}

proptest! {
    #[test]
    fn the_passes_agree_with_a_naive_reference(
        ours in prop::collection::vec(multi_key_account(), 0..30),
        theirs in prop::collection::vec(multi_key_account(), 0..30),
    ) {
        let found = comark_matching::match_in_passes(&ours, &theirs);
        prop_assert!(found.windows(2).all(|w| (w[0].ours, w[0].theirs) < (w[1].ours, w[1].theirs)), "sorted, each pair once");
        prop_assert_eq!(as_found(&found), naive_passes(&ours, &theirs));
    }

    #[test]
    fn the_passes_are_symmetric(
        ours in prop::collection::vec(multi_key_account(), 0..30),
        theirs in prop::collection::vec(multi_key_account(), 0..30),
    ) {
        let forward = as_found(&comark_matching::match_in_passes(&ours, &theirs));
        let mut backward: Found = as_found(&comark_matching::match_in_passes(&theirs, &ours))
            .into_iter()
            .map(|(a, b, c, k)| (b, a, c, k))
            .collect();
        backward.sort();
        // The key of a High match is the smallest shared domain either way round.
        prop_assert_eq!(forward, backward);
    }
}
