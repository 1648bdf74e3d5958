//! Matching in passes, on every key an account carries.
//!
//! An account may carry several registrable domains (a CRM row with a website, a domain and
//! an e-mail domain) and a folded name. Two organizations' accounts are matched in three
//! passes, each on the accounts the earlier passes left unmatched on both sides:
//! 1. the same registrable domain: [`Confidence::High`];
//! 2. the same folded name where one side has no domain at all: [`Confidence::Medium`];
//! 3. the same folded name where both sides have domains, none shared:
//!    [`Confidence::Low`], for review, since subsidiaries and namesakes look alike.
//!
//! A name match needs the two accounts not to be in different countries (when both rows name
//! one). Names are compared in their [`loose_name`] form (no spaces, `ue` read as `u`); the key a
//! name match reports is the smaller of the two folded names. Free webmail domains are never
//! a key. Each rule is symmetric, so swapping the sides swaps the pairs. The joins are the radix
//! joins of [`overlap`], so the cost grows with the accounts, not their product.

use rayon::prelude::*;

use crate::country::country_code;
use crate::freemail::is_free_mail;
use crate::join::overlap;
use crate::key::{AccountKey, Confidence, KeyKind};
use crate::name::loose_name;

/// Every key one account carries: its registrable domains (distinct, in the order given)
/// and its folded name.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AccountKeys {
    /// Domain keys, from every website, domain or e-mail domain the record holds.
    pub domains: Vec<AccountKey>,
    /// The folded name, when the name folds to something.
    pub name: Option<AccountKey>,
    /// The ISO code of its country, when the row names one: accounts of the same name in two
    /// different countries are never matched by name.
    pub country: Option<&'static str>,
}

impl AccountKeys {
    /// The keys of an account with `name` and any number of `websites` (URLs, bare
    /// domains, or an e-mail address's domain); websites without a registrable domain are
    /// skipped, and a domain given twice counts once.
    pub fn for_account<'a>(name: &str, websites: impl IntoIterator<Item = &'a str>) -> Self {
        let mut domains: Vec<AccountKey> = Vec::new();
        for website in websites {
            if let Some(key) = AccountKey::from_website(website) {
                // A webmail domain (an address typed into the website cell) is no company's.
                if !domains.contains(&key) && !is_free_mail(key.as_str()) {
                    domains.push(key);
                }
            }
        }
        AccountKeys {
            domains,
            name: AccountKey::from_name(name),
            country: None,
        }
    }

    /// Keys already normalized (read back from storage).
    pub fn from_normalized<'a>(
        domains: impl IntoIterator<Item = &'a str>,
        name: Option<&str>,
    ) -> Self {
        let mut keys = AccountKeys {
            domains: Vec::new(),
            name: name
                .filter(|n| !n.is_empty())
                .map(|n| AccountKey::from_normalized(KeyKind::Name, n)),
            country: None,
        };
        for domain in domains {
            let key = AccountKey::from_normalized(KeyKind::Domain, domain);
            if !keys.domains.contains(&key) && !is_free_mail(domain) {
                keys.domains.push(key);
            }
        }
        keys
    }

    /// The same keys, in the country `typed` names (see [`country_code`]); a value that
    /// names no country leaves it unknown.
    pub fn in_country(mut self, typed: Option<&str>) -> Self {
        self.country = typed.and_then(country_code);
        self
    }

    /// Whether the account has no key at all (it can match nothing).
    pub fn is_empty(&self) -> bool {
        self.domains.is_empty() && self.name.is_none()
    }
}

/// One pair found by [`match_in_passes`]: positions in the two slices, how sure, and the
/// key the two accounts met on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PairMatch {
    /// Our account's position.
    pub ours: u32,
    /// Their account's position.
    pub theirs: u32,
    /// Which pass found it.
    pub confidence: Confidence,
    /// The domain (pass 1) or folded name (passes 2 and 3) both accounts carry; with
    /// several shared domains, the smallest.
    pub key: AccountKey,
}

/// Matches two organizations' accounts in the three passes of the module docs. Pairs come
/// sorted by `(ours, theirs)`, each pair once.
///
/// # Panics
///
/// With more than `u32::MAX` keys on one side.
pub fn match_in_passes(ours: &[AccountKeys], theirs: &[AccountKeys]) -> Vec<PairMatch> {
    let flatten_domains = |side: &[AccountKeys]| -> Vec<(AccountKey, u32)> {
        side.iter()
            .enumerate()
            .flat_map(|(at, keys)| {
                let at = u32::try_from(at).expect("at most u32::MAX accounts");
                keys.domains.iter().map(move |d| (d.clone(), at))
            })
            .collect()
    };
    let (our_domains, their_domains) =
        rayon::join(|| flatten_domains(ours), || flatten_domains(theirs));
    let mut by_domain = overlap(&our_domains, &their_domains);
    drop((our_domains, their_domains));
    // Several shared domains give one pair several times; they are adjacent (sorted).
    by_domain.dedup_by_key(|m| (m.ours, m.theirs));
    let mut matched_ours = vec![false; ours.len()];
    let mut matched_theirs = vec![false; theirs.len()];
    for m in &by_domain {
        matched_ours[m.ours as usize] = true;
        matched_theirs[m.theirs as usize] = true;
    }
    let mut found: Vec<PairMatch> = by_domain
        .par_iter()
        .with_min_len(1024)
        .map(|m| {
            let (a, b) = (&ours[m.ours as usize], &theirs[m.theirs as usize]);
            let key = a
                .domains
                .iter()
                .filter(|d| b.domains.contains(d))
                .min()
                .expect("a domain match shares a domain")
                .clone();
            PairMatch {
                ours: m.ours,
                theirs: m.theirs,
                confidence: Confidence::High,
                key,
            }
        })
        .collect();
    drop(by_domain);

    // Passes 2 and 3 join the names of the accounts pass 1 left unmatched on both sides.
    let unmatched_names = |side: &[AccountKeys], matched: &[bool]| -> Vec<(AccountKey, u32)> {
        side.iter()
            .enumerate()
            .filter(|(at, _)| !matched[*at])
            .filter_map(|(at, keys)| {
                let at = u32::try_from(at).expect("at most u32::MAX accounts");
                keys.name.as_ref().map(|name| {
                    (
                        AccountKey::new(KeyKind::Name, loose_name(name.as_str())),
                        at,
                    )
                })
            })
            .collect()
    };
    let (our_names, their_names) = rayon::join(
        || unmatched_names(ours, &matched_ours),
        || unmatched_names(theirs, &matched_theirs),
    );
    let mut by_name = overlap(&our_names, &their_names);
    drop((our_names, their_names));
    // Two accounts in different countries are not the same company, however alike their names.
    by_name.retain(|m| {
        let (a, b) = (&ours[m.ours as usize], &theirs[m.theirs as usize]);
        !matches!((a.country, b.country), (Some(x), Some(y)) if x != y)
    });
    let without_domain =
        |a: &AccountKeys, b: &AccountKeys| a.domains.is_empty() || b.domains.is_empty();
    // The two folded names may differ (`muller bau`, `mueller bau`): report the smaller, so
    // that the key does not depend on which side is which.
    let name_of = |m: &crate::join::Match| {
        let a = ours[m.ours as usize].name.as_ref();
        let b = theirs[m.theirs as usize].name.as_ref();
        a.into_iter()
            .chain(b)
            .min()
            .expect("a name match has names")
            .clone()
    };
    let mut second = Vec::new();
    for m in &by_name {
        if without_domain(&ours[m.ours as usize], &theirs[m.theirs as usize]) {
            second.push(PairMatch {
                ours: m.ours,
                theirs: m.theirs,
                confidence: Confidence::Medium,
                key: name_of(m),
            });
        }
    }
    for m in &second {
        matched_ours[m.ours as usize] = true;
        matched_theirs[m.theirs as usize] = true;
    }
    found.extend(second);
    for m in &by_name {
        let (a, b) = (&ours[m.ours as usize], &theirs[m.theirs as usize]);
        if !without_domain(a, b)
            && !matched_ours[m.ours as usize]
            && !matched_theirs[m.theirs as usize]
        {
            found.push(PairMatch {
                ours: m.ours,
                theirs: m.theirs,
                confidence: Confidence::Low,
                key: name_of(m),
            });
        }
    }
    found.par_sort_unstable_by_key(|m| (m.ours, m.theirs));
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(name: &str, websites: &[&str]) -> AccountKeys {
        AccountKeys::for_account(name, websites.iter().copied())
    }

    fn pairs(found: &[PairMatch]) -> Vec<(u32, u32, Confidence, String)> {
        found
            .iter()
            .map(|m| (m.ours, m.theirs, m.confidence, m.key.to_string()))
            .collect()
    }

    #[test]
    fn the_three_passes_in_order() {
        let ours = [
            keys("Acme Inc.", &["https://acme.com", "acme.de"]),
            keys("Globex", &[]),
            keys("Initech GmbH", &["initech.de"]),
            keys("Hooli", &["hooli.xyz"]),
        ];
        let theirs = [
            keys("ACME Corporation", &["www.acme.de"]),
            keys("Globex Corp.", &["globex.com"]),
            keys("Initech", &["initech.com"]),
            keys("Hooli", &[]),
        ];
        assert_eq!(
            pairs(&match_in_passes(&ours, &theirs)),
            [
                (0, 0, Confidence::High, "acme.de".to_owned()),
                (1, 1, Confidence::Medium, "globex".to_owned()),
                (2, 2, Confidence::Low, "initech".to_owned()),
                (3, 3, Confidence::Medium, "hooli".to_owned()),
            ]
        );
    }

    #[test]
    fn a_name_never_rematches_an_account_a_domain_matched() {
        // Their second "Acme" (no website) is a duplicate of a company already matched.
        let ours = [keys("Acme", &["acme.com"])];
        let theirs = [keys("Acme", &["acme.com"]), keys("Acme", &[])];
        assert_eq!(
            pairs(&match_in_passes(&ours, &theirs)),
            [(0, 0, Confidence::High, "acme.com".to_owned())]
        );
    }

    #[test]
    fn several_shared_domains_give_one_pair() {
        let ours = [keys("A", &["a.com", "a.de"])];
        let theirs = [keys("B", &["a.de", "a.com"])];
        let found = match_in_passes(&ours, &theirs);
        assert_eq!(
            pairs(&found),
            [(0, 0, Confidence::High, "a.com".to_owned())]
        );
    }
}
