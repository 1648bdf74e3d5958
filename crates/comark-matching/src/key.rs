//! The join key of an account: its registrable domain, else its folded name.

use std::cmp::Ordering;
use std::fmt;
use std::hash::{Hash, Hasher};

use rayon::prelude::*;

use crate::{fold_company_name, registrable_domain};

/// How sure a match is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Confidence {
    /// The same folded company name, with domains on both sides that differ: for review.
    /// (A single-key [`overlap`](crate::overlap) on names also reports `Low`.)
    Low,
    /// The same folded company name, and one side has no domain at all.
    Medium,
    /// The same registrable domain.
    High,
}

/// What an [`AccountKey`] was made from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum KeyKind {
    /// A registrable domain, from [`registrable_domain`].
    Domain,
    /// A folded company name, from [`fold_company_name`].
    Name,
}

impl KeyKind {
    /// The confidence of a match on a key of this kind.
    pub fn confidence(self) -> Confidence {
        match self {
            KeyKind::Domain => Confidence::High,
            KeyKind::Name => Confidence::Low,
        }
    }

    /// A stable one-word label (`domain` or `name`), for exports and logs.
    pub fn as_str(self) -> &'static str {
        match self {
            KeyKind::Domain => "domain",
            KeyKind::Name => "name",
        }
    }
}

/// The normalized key an account is matched on, with its 64-bit hash computed once.
///
/// Two keys are equal when their kinds and values are: a domain key never equals a name
/// key, even with the same text. Keys order by kind, then value.
#[derive(Clone)]
pub struct AccountKey {
    hash: u64,
    kind: KeyKind,
    value: Box<str>,
}

impl AccountKey {
    /// The key of an account: its registrable domain when the website has one, else its
    /// folded name when that is not empty, else `None`.
    pub fn for_account(name: &str, website: Option<&str>) -> Option<AccountKey> {
        website
            .and_then(AccountKey::from_website)
            .or_else(|| AccountKey::from_name(name))
    }

    /// A domain key from a website in any form, when it has a registrable domain.
    pub fn from_website(website: &str) -> Option<AccountKey> {
        registrable_domain(website).map(|d| AccountKey::new(KeyKind::Domain, d))
    }

    /// A name key from a company name, when it folds to something non-empty.
    pub fn from_name(name: &str) -> Option<AccountKey> {
        let folded = fold_company_name(name);
        (!folded.is_empty()).then(|| AccountKey::new(KeyKind::Name, folded))
    }

    /// A key from an already-normalized value (say, read back from storage); the value is
    /// taken as is, not normalized again.
    pub fn from_normalized(kind: KeyKind, value: &str) -> AccountKey {
        AccountKey::new(kind, value.to_owned())
    }

    pub(crate) fn new(kind: KeyKind, value: String) -> AccountKey {
        AccountKey {
            hash: key_hash(kind, value.as_bytes()),
            kind,
            value: value.into_boxed_str(),
        }
    }

    /// A key with a chosen hash, to test what happens on collisions.
    #[cfg(test)]
    pub(crate) fn with_hash(kind: KeyKind, value: &str, hash: u64) -> AccountKey {
        AccountKey {
            hash,
            kind,
            value: value.into(),
        }
    }

    /// What the key was made from.
    pub fn kind(&self) -> KeyKind {
        self.kind
    }

    /// The normalized value: a registrable domain or a folded name.
    pub fn as_str(&self) -> &str {
        &self.value
    }

    /// The confidence of a match on this key.
    pub fn confidence(&self) -> Confidence {
        self.kind.confidence()
    }

    /// A stable 64-bit hash of kind and value: the same on every machine and every run, so
    /// it can place keys in shards. Different keys may share a hash; equality is checked.
    pub fn hash64(&self) -> u64 {
        self.hash
    }

    /// The shard (in `0..shards`) this key belongs to; `shards` must be at least 1.
    ///
    /// Matching each shard's keys on their own and concatenating the results gives the same
    /// pairs as one [`overlap`](crate::overlap) over all keys.
    pub fn shard(&self, shards: u32) -> u32 {
        // Multiply-shift: maps the hash uniformly onto 0..shards without a division.
        let wide = u128::from(self.hash) * u128::from(shards.max(1));
        u32::try_from(wide >> 64).expect("the high half of hash × u32 is below the u32")
    }
}

impl PartialEq for AccountKey {
    fn eq(&self, other: &Self) -> bool {
        self.hash == other.hash && self.kind == other.kind && self.value == other.value
    }
}

impl Eq for AccountKey {}

impl Hash for AccountKey {
    fn hash<H: Hasher>(&self, state: &mut H) {
        state.write_u64(self.hash);
    }
}

impl PartialOrd for AccountKey {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for AccountKey {
    fn cmp(&self, other: &Self) -> Ordering {
        (self.kind, &*self.value).cmp(&(other.kind, &*other.value))
    }
}

impl fmt::Debug for AccountKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.kind.as_str(), self.value)
    }
}

impl fmt::Display for AccountKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.value)
    }
}

/// The two fields of a CRM account that matching looks at.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct AccountFields<'a> {
    /// The company name, as imported.
    pub name: &'a str,
    /// The website, as imported, if the record has one.
    pub website: Option<&'a str>,
}

/// The keys of many accounts, computed in parallel: `(key, position in accounts)` in input
/// order, leaving out accounts that have no key (no registrable domain and an empty name).
///
/// # Panics
///
/// With more than `u32::MAX` accounts.
pub fn key_accounts(accounts: &[AccountFields<'_>]) -> Vec<(AccountKey, u32)> {
    assert!(
        u32::try_from(accounts.len()).is_ok(),
        "at most u32::MAX accounts per call"
    );
    accounts
        .par_iter()
        .enumerate()
        .with_min_len(1024)
        .filter_map(|(i, a)| {
            let index = u32::try_from(i).expect("checked above");
            AccountKey::for_account(a.name, a.website).map(|k| (k, index))
        })
        .collect()
}

/// The 64-bit hash behind [`AccountKey::hash64`]: 8 bytes at a time, then a MurmurHash3
/// finalizer. Fixed here (not `std`'s randomized hasher) so that shards agree across runs.
fn key_hash(kind: KeyKind, bytes: &[u8]) -> u64 {
    const K: u64 = 0x9E37_79B9_7F4A_7C15;
    let seed = match kind {
        KeyKind::Domain => 0x243F_6A88_85A3_08D3,
        KeyKind::Name => 0x1319_8A2E_0370_7344,
    };
    let mut h: u64 = seed ^ (bytes.len() as u64).wrapping_mul(K);
    let mut chunks = bytes.chunks_exact(8);
    for chunk in &mut chunks {
        let word = u64::from_le_bytes(chunk.try_into().expect("chunks_exact(8)"));
        h = (h ^ word).wrapping_mul(K).rotate_left(31);
    }
    let rest = chunks.remainder();
    if !rest.is_empty() {
        let mut last = [0u8; 8];
        last[..rest.len()].copy_from_slice(rest);
        h = (h ^ u64::from_le_bytes(last))
            .wrapping_mul(K)
            .rotate_left(31);
    }
    fmix64(h)
}

/// MurmurHash3's 64-bit finalizer.
fn fmix64(mut h: u64) -> u64 {
    h ^= h >> 33;
    h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
    h ^= h >> 33;
    h = h.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
    h ^= h >> 33;
    h
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn domain_first_then_name() {
        let k = AccountKey::for_account("Acme Inc", Some("https://www.acme.com/")).expect("key");
        assert_eq!(k.kind(), KeyKind::Domain);
        assert_eq!(k.as_str(), "acme.com");
        assert_eq!(k.confidence(), Confidence::High);

        let k = AccountKey::for_account("Acme Inc", Some("N/A")).expect("key");
        assert_eq!(k.kind(), KeyKind::Name);
        assert_eq!(k.as_str(), "acme");
        assert_eq!(k.confidence(), Confidence::Low);

        let k = AccountKey::for_account("ACME, Inc.", None).expect("key");
        assert_eq!(format!("{k:?}"), "name:acme");

        assert!(AccountKey::for_account("  ", None).is_none());
        assert!(AccountKey::for_account("", Some("localhost")).is_none());
    }

    #[test]
    fn kinds_never_collide() {
        let d = AccountKey::from_normalized(KeyKind::Domain, "acme.com");
        let n = AccountKey::from_normalized(KeyKind::Name, "acme.com");
        assert_ne!(d, n);
        assert_ne!(d.hash64(), n.hash64());
        assert!(d < n);
    }

    #[test]
    fn hash_is_stable() {
        // Shards must not move between releases: pin a few values.
        let d = AccountKey::from_normalized(KeyKind::Domain, "acme.com");
        let n = AccountKey::from_normalized(KeyKind::Name, "acme");
        assert_eq!(d.hash64(), key_hash(KeyKind::Domain, b"acme.com"));
        assert_eq!(d.hash64(), 0xbd03_c319_6563_f92d, "{:#x}", d.hash64());
        assert_eq!(n.hash64(), 0xfec0_7621_3fd0_9282, "{:#x}", n.hash64());
    }

    #[test]
    fn shards_are_in_range_and_spread() {
        let mut counts = [0u32; 8];
        for i in 0..8000 {
            let k = AccountKey::from_normalized(KeyKind::Domain, &format!("c{i}.com"));
            let s = k.shard(8);
            counts[usize::try_from(s).expect("small")] += 1;
        }
        for c in counts {
            assert!((800..1200).contains(&c), "{counts:?}");
        }
        let k = AccountKey::from_normalized(KeyKind::Name, "x");
        assert_eq!(k.shard(1), 0);
        assert_eq!(k.shard(0), 0);
    }

    #[test]
    fn key_accounts_keeps_input_positions() {
        let accounts = [
            AccountFields {
                name: "Acme",
                website: Some("acme.com"),
            },
            AccountFields {
                name: "",
                website: None,
            },
            AccountFields {
                name: "Globex GmbH",
                website: None,
            },
        ];
        let keys = key_accounts(&accounts);
        let got: Vec<_> = keys.iter().map(|(k, i)| (format!("{k:?}"), *i)).collect();
        assert_eq!(
            got,
            [
                ("domain:acme.com".to_owned(), 0),
                ("name:globex".to_owned(), 2)
            ]
        );
    }
}
