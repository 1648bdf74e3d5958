//! De-duplication within one import and the overlap join between two organizations.
//!
//! Both work on `(key, payload index)` slices: the payload index is whatever the caller uses
//! to find the account again (a row number, a position in its own vector). Both
//! radix-partition the keys on the top bits of their precomputed [`AccountKey::hash64`] into
//! cache-sized buckets, sort each bucket by hash, then walk runs of equal hashes and compare
//! the keys themselves, so a hash collision never makes a false match. Buckets are handled
//! in parallel on rayon's pool; the output order is fixed and does not depend on the number
//! of threads.

use rayon::prelude::*;

use crate::key::{AccountKey, Confidence, KeyKind};

/// One account of ours that matches one account of theirs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Match {
    /// Our account's payload index.
    pub ours: u32,
    /// Their account's payload index.
    pub theirs: u32,
    /// `High` for the same registrable domain, `Low` for the same folded name.
    pub confidence: Confidence,
}

/// Accounts of one import that share a key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Group {
    /// The key they share.
    pub key: AccountKey,
    /// Their payload indices, in input order; the first is the representative.
    pub members: Vec<u32>,
}

impl Group {
    /// The payload index of the representative: the group's first account in input order.
    pub fn representative(&self) -> u32 {
        self.members
            .first()
            .copied()
            .expect("a group is never empty")
    }
}

/// Merges the duplicates of one import: one [`Group`] per distinct key.
///
/// Groups come in the input order of their first account, and members in input order. The
/// merge rule for callers: the representative (first) account's fields win, and the group
/// keeps every member's payload, so no CRM id is lost. Accounts with a domain key and
/// accounts with a name key never merge, even when they are the same company.
///
/// # Panics
///
/// With more than `u32::MAX` accounts, or more than 4 GiB of key text.
pub fn dedupe(accounts: &[(AccountKey, u32)]) -> Vec<Group> {
    let mut parts = Partitioned::new(accounts, bucket_bits(accounts.len()), Id::Position);
    let bytes = &parts.bytes;
    // For each account that repeats an earlier one: (its position, the first one's).
    let repeats: Vec<(u32, u32)> = split_buckets(&mut parts.entries, &parts.offsets)
        .into_par_iter()
        .with_min_len(16)
        .flat_map_iter(|bucket| {
            bucket.sort_unstable_by_key(|e| (e.hash, e.id));
            let mut repeats = Vec::new();
            for run in bucket.chunk_by(|x, y| x.hash == y.hash) {
                for (i, e) in run.iter().enumerate().skip(1) {
                    // The run is in input order, so the first equal key is the group's first.
                    if let Some(first) = run[..i].iter().find(|f| f.same_key(bytes, e, bytes)) {
                        repeats.push((e.id, first.id));
                    }
                }
            }
            repeats
        })
        .collect();
    drop(parts);

    // Where each account's group is: `NEW` for a first occurrence, else its first's position.
    const NEW: u32 = u32::MAX;
    let mut first_of = vec![NEW; accounts.len()];
    for &(pos, first) in &repeats {
        first_of[pos as usize] = first;
    }
    let mut group_of = vec![0u32; accounts.len()];
    let mut leaders: Vec<u32> = Vec::with_capacity(accounts.len() - repeats.len());
    for (pos, &first) in first_of.iter().enumerate() {
        if first == NEW {
            group_of[pos] = u32::try_from(leaders.len()).expect("at most u32::MAX groups");
            leaders.push(pos as u32);
        }
    }
    let mut groups: Vec<Group> = leaders
        .par_iter()
        .with_min_len(1024)
        .map(|&pos| {
            let (key, payload) = &accounts[pos as usize];
            Group {
                key: key.clone(),
                members: vec![*payload],
            }
        })
        .collect();
    // Ascending positions, so members stay in input order.
    for (pos, &first) in first_of.iter().enumerate() {
        if first != NEW {
            groups[group_of[first as usize] as usize]
                .members
                .push(accounts[pos].1);
        }
    }
    groups
}

/// The overlap of two organizations' accounts: every `(ours, theirs)` pair whose keys are
/// equal, sorted by `ours` then `theirs`.
///
/// Domain keys match only domain keys (confidence `High`) and name keys only name keys
/// (`Low`). A key present several times on one side (undeduplicated input) matches once
/// per occurrence, like a SQL inner join. Swapping the sides swaps the pairs.
///
/// Designed to shard: matching the keys of each [`AccountKey::shard`] on their own gives the
/// same pairs, split by shard.
///
/// # Panics
///
/// With more than `u32::MAX` accounts, or more than 4 GiB of key text, on one side.
pub fn overlap(ours: &[(AccountKey, u32)], theirs: &[(AccountKey, u32)]) -> Vec<Match> {
    if ours.is_empty() || theirs.is_empty() {
        return Vec::new();
    }
    // Radix-partition both sides on the top bits of the hash, into buckets small enough to
    // sort and merge in cache; bucket i of one side can only match bucket i of the other.
    let bits = bucket_bits(ours.len().max(theirs.len()));
    let (mut a, mut b) = rayon::join(
        || Partitioned::new(ours, bits, Id::Payload),
        || Partitioned::new(theirs, bits, Id::Payload),
    );
    let (a_bytes, b_bytes) = (&a.bytes, &b.bytes);
    let parts: Vec<Vec<Match>> = split_buckets(&mut a.entries, &a.offsets)
        .into_par_iter()
        .zip(split_buckets(&mut b.entries, &b.offsets))
        .with_min_len(16)
        .map(|(a, b)| {
            let mut out = Vec::new();
            if !a.is_empty() && !b.is_empty() {
                a.sort_unstable_by_key(|e| e.hash);
                b.sort_unstable_by_key(|e| e.hash);
                merge_join(a, a_bytes, b, b_bytes, &mut out);
            }
            out
        })
        .collect();
    let mut matches = Vec::with_capacity(parts.iter().map(Vec::len).sum());
    for part in parts {
        matches.extend(part);
    }
    matches.par_sort_unstable();
    matches
}

/// How many top hash bits pick a bucket: about 4096 entries per bucket (a bucket and its
/// text stay in L2 while it is sorted and merged; few enough buckets that the partitioning
/// writes stay cache- and TLB-friendly), at most 2^16 buckets.
fn bucket_bits(len: usize) -> u32 {
    let buckets = (len / 4096).max(1).next_power_of_two();
    buckets.trailing_zeros().min(16)
}

/// Which number an [`Entry`] carries.
#[derive(Clone, Copy)]
enum Id {
    /// The account's position in the input slice.
    Position,
    /// The account's payload index.
    Payload,
}

/// One key, as the join sees it: its hash, a number, and where its text is.
#[derive(Clone, Copy, Debug)]
struct Entry {
    hash: u64,
    /// The payload index or the position, per [`Id`].
    id: u32,
    /// The key's text is `bytes[start..start + len]` of its [`Partitioned`].
    start: u32,
    len: u32,
    kind: KeyKind,
}

impl Entry {
    /// Whether two entries (each with the text buffer it points into) hold the same key.
    fn same_key(&self, bytes: &[u8], other: &Entry, other_bytes: &[u8]) -> bool {
        self.hash == other.hash
            && self.kind == other.kind
            && self.len == other.len
            && self.text(bytes) == other.text(other_bytes)
    }

    fn text<'a>(&self, bytes: &'a [u8]) -> &'a [u8] {
        let start = self.start as usize;
        &bytes[start..start + self.len as usize]
    }
}

/// One side's keys grouped by bucket (the hash's top bits), each bucket in input order, with
/// the keys' text copied next to each other bucket by bucket, so that the join compares
/// keys without chasing pointers across memory.
struct Partitioned {
    entries: Vec<Entry>,
    /// Bucket `i` is `entries[offsets[i]..offsets[i + 1]]`.
    offsets: Vec<usize>,
    /// The keys' text, bucket after bucket.
    bytes: Vec<u8>,
}

impl Partitioned {
    /// A counting sort on the bucket number: one pass to count, one to place.
    fn new(side: &[(AccountKey, u32)], bits: u32, id: Id) -> Partitioned {
        assert!(
            u32::try_from(side.len()).is_ok(),
            "at most u32::MAX accounts per side"
        );
        let bucket = |hash: u64| {
            if bits == 0 {
                0
            } else {
                (hash >> (64 - bits)) as usize
            }
        };
        let buckets = 1usize << bits;
        let mut offsets = vec![0usize; buckets + 1];
        let mut byte_offsets = vec![0usize; buckets + 1];
        for (key, _) in side {
            let b = bucket(key.hash64()) + 1;
            offsets[b] += 1;
            byte_offsets[b] += key.as_str().len();
        }
        for i in 1..=buckets {
            offsets[i] += offsets[i - 1];
            byte_offsets[i] += byte_offsets[i - 1];
        }
        let total_bytes = byte_offsets[buckets];
        assert!(
            u32::try_from(total_bytes).is_ok(),
            "at most 4 GiB of key text per side"
        );
        let mut next = offsets.clone();
        let mut next_byte = byte_offsets;
        let placeholder = Entry {
            hash: 0,
            id: 0,
            start: 0,
            len: 0,
            kind: KeyKind::Domain,
        };
        let mut entries = vec![placeholder; side.len()];
        let mut bytes = vec![0u8; total_bytes];
        for (pos, (key, payload)) in side.iter().enumerate() {
            let hash = key.hash64();
            let b = bucket(hash);
            let text = key.as_str().as_bytes();
            let start = next_byte[b];
            bytes[start..start + text.len()].copy_from_slice(text);
            next_byte[b] += text.len();
            entries[next[b]] = Entry {
                hash,
                id: match id {
                    Id::Position => pos as u32,
                    Id::Payload => *payload,
                },
                start: start as u32,
                len: text.len() as u32,
                kind: key.kind(),
            };
            next[b] += 1;
        }
        Partitioned {
            entries,
            offsets,
            bytes,
        }
    }
}

/// The buckets of `entries`, as disjoint mutable slices.
fn split_buckets<'a>(entries: &'a mut [Entry], offsets: &[usize]) -> Vec<&'a mut [Entry]> {
    let mut rest = entries;
    let mut buckets = Vec::with_capacity(offsets.len().saturating_sub(1));
    for w in offsets.windows(2) {
        let (bucket, tail) = rest.split_at_mut(w[1] - w[0]);
        buckets.push(bucket);
        rest = tail;
    }
    buckets
}

/// Merge join of two hash-sorted buckets, verifying key equality within equal hashes.
fn merge_join(a: &[Entry], a_bytes: &[u8], b: &[Entry], b_bytes: &[u8], out: &mut Vec<Match>) {
    let (mut i, mut j) = (0, 0);
    while i < a.len() && j < b.len() {
        let (ha, hb) = (a[i].hash, b[j].hash);
        if ha < hb {
            i += 1;
        } else if ha > hb {
            j += 1;
        } else {
            let i_end = run_end(a, i);
            let j_end = run_end(b, j);
            for ea in &a[i..i_end] {
                for eb in &b[j..j_end] {
                    if ea.same_key(a_bytes, eb, b_bytes) {
                        out.push(Match {
                            ours: ea.id,
                            theirs: eb.id,
                            confidence: ea.kind.confidence(),
                        });
                    }
                }
            }
            i = i_end;
            j = j_end;
        }
    }
}

/// The end of the run of equal hashes that starts at `start`.
fn run_end(entries: &[Entry], start: usize) -> usize {
    let h = entries[start].hash;
    let mut end = start + 1;
    while end < entries.len() && entries[end].hash == h {
        end += 1;
    }
    end
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> AccountKey {
        AccountKey::from_normalized(KeyKind::Domain, s)
    }

    fn n(s: &str) -> AccountKey {
        AccountKey::from_normalized(KeyKind::Name, s)
    }

    #[test]
    fn matches_by_kind_and_value() {
        let ours = vec![(d("acme.com"), 10), (n("globex"), 11), (n("acme.com"), 12)];
        let theirs = vec![
            (n("globex"), 20),
            (d("acme.com"), 21),
            (d("initech.com"), 22),
            (d("globex"), 23),
        ];
        let got = overlap(&ours, &theirs);
        assert_eq!(
            got,
            [
                Match {
                    ours: 10,
                    theirs: 21,
                    confidence: Confidence::High
                },
                Match {
                    ours: 11,
                    theirs: 20,
                    confidence: Confidence::Low
                },
            ]
        );
        assert!(overlap(&ours, &[]).is_empty());
        assert!(overlap(&[], &theirs).is_empty());
    }

    #[test]
    fn duplicates_match_once_per_occurrence() {
        let ours = vec![(d("a.com"), 1), (d("a.com"), 2)];
        let theirs = vec![(d("a.com"), 7), (d("b.com"), 8), (d("a.com"), 9)];
        let pairs: Vec<_> = overlap(&ours, &theirs)
            .iter()
            .map(|m| (m.ours, m.theirs))
            .collect();
        assert_eq!(pairs, [(1, 7), (1, 9), (2, 7), (2, 9)]);
    }

    #[test]
    fn dedupe_groups_in_input_order() {
        let accounts = vec![
            (d("b.com"), 100),
            (d("a.com"), 101),
            (n("b.com"), 102),
            (d("b.com"), 103),
            (d("a.com"), 104),
        ];
        let groups = dedupe(&accounts);
        let got: Vec<_> = groups
            .iter()
            .map(|g| {
                (
                    format!("{:?}", g.key),
                    g.members.clone(),
                    g.representative(),
                )
            })
            .collect();
        assert_eq!(
            got,
            [
                ("domain:b.com".to_owned(), vec![100, 103], 100),
                ("domain:a.com".to_owned(), vec![101, 104], 101),
                ("name:b.com".to_owned(), vec![102], 102),
            ]
        );
        assert!(dedupe(&[]).is_empty());
    }

    #[test]
    fn hash_collisions_never_match() {
        let c = |kind, v: &str| AccountKey::with_hash(kind, v, 42);
        let ours = vec![
            (c(KeyKind::Domain, "a.com"), 1),
            (c(KeyKind::Domain, "b.com"), 2),
            (c(KeyKind::Name, "a.com"), 3),
        ];
        let theirs = vec![
            (c(KeyKind::Domain, "b.com"), 7),
            (c(KeyKind::Name, "a.com"), 8),
            (c(KeyKind::Domain, "c.com"), 9),
        ];
        let pairs: Vec<_> = overlap(&ours, &theirs)
            .iter()
            .map(|m| (m.ours, m.theirs, m.confidence))
            .collect();
        assert_eq!(pairs, [(2, 7, Confidence::High), (3, 8, Confidence::Low)]);

        let groups = dedupe(&[ours.clone(), theirs.clone()].concat());
        let members: Vec<_> = groups.iter().map(|g| g.members.clone()).collect();
        assert_eq!(members, [vec![1], vec![2, 7], vec![3, 8], vec![9]]);
    }

    #[test]
    fn partitions_cover_everything_by_top_bits() {
        let keys: Vec<(AccountKey, u32)> = (0..5000u32)
            .map(|i| (d(&format!("c{i}.com")), i + 7))
            .collect();
        for bits in [0, 1, 4, 8] {
            let mut p = Partitioned::new(&keys, bits, Id::Position);
            let bytes = p.bytes.clone();
            let buckets = split_buckets(&mut p.entries, &p.offsets);
            assert_eq!(buckets.len(), 1 << bits);
            let mut seen = 0;
            for (i, bucket) in buckets.iter().enumerate() {
                for e in bucket.iter() {
                    let key = &keys[e.id as usize].0;
                    assert_eq!(e.hash, key.hash64());
                    assert_eq!(e.text(&bytes), key.as_str().as_bytes());
                    let top = if bits == 0 { 0 } else { e.hash >> (64 - bits) };
                    assert_eq!(top, i as u64);
                }
                assert!(bucket.windows(2).all(|w| w[0].id < w[1].id), "input order");
                seen += bucket.len();
            }
            assert_eq!(seen, keys.len());
        }
        let mut p = Partitioned::new(&keys, 4, Id::Payload);
        let ids: std::collections::BTreeSet<u32> = p.entries.iter().map(|e| e.id).collect();
        assert_eq!(ids, (7..5007).collect());
        assert_eq!(split_buckets(&mut p.entries, &p.offsets).len(), 16);
        assert_eq!(bucket_bits(0), 0);
        assert_eq!(bucket_bits(1000), 0);
        assert_eq!(bucket_bits(40_000), 4);
        assert_eq!(bucket_bits(1_000_000), 8);
        assert_eq!(bucket_bits(usize::MAX / 2), 16);
    }
}
