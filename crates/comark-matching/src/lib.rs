//! comark's account mapping hot path: which customers and prospects two partner companies
//! share.
//!
//! 1. Normalize each account to an [`AccountKey`]: its [`registrable_domain`] (eTLD+1 from
//!    the Public Suffix List, punycode ASCII) when its website has one, else its
//!    [`fold_company_name`] (lower case, no diacritics, no punctuation, no legal form).
//!    [`key_accounts`] does a whole import in parallel.
//! 2. [`dedupe`] merges the accounts of one import that share a key.
//! 3. [`overlap`] joins two organizations' keys: same domain is a [`Confidence::High`]
//!    match, same folded name a [`Confidence::Low`] one, and a domain never matches a name.
//! 4. [`match_in_passes`] matches accounts that carry several keys ([`AccountKeys`]: every
//!    registrable domain and the folded name) in three passes: same domain, then same name
//!    where one side has no domain, then same name with differing domains.
//!
//! Pure: no I/O, no async. Parallel work runs on rayon's global pool.

#![warn(missing_docs)]

mod country;
mod domain;
mod freemail;
mod join;
mod key;
mod name;
mod passes;

pub use country::country_code;
pub use domain::registrable_domain;
pub use freemail::{company_domain_of_email, is_free_mail};
pub use join::{dedupe, overlap, Group, Match};
pub use key::{key_accounts, AccountFields, AccountKey, Confidence, KeyKind};
pub use name::{fold_company_name, loose_name};
pub use passes::{match_in_passes, AccountKeys, PairMatch};
