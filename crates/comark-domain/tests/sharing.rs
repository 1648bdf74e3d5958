//! Property tests for account mapping's privacy promise.
//!
//! `view` is checked against a reference model written to be obviously right rather than
//! fast: plain loops over every population and every pair, straight from the rules. On top
//! of that, three invariants are checked on their own, so that a mistake shared by the model
//! and the code still has to get past them: nothing leaks, both sides see the same numbers,
//! and raising a level never hides anything.

use std::collections::BTreeMap;

use comark_domain::accounts::Side::{High, Low};
use comark_domain::accounts::{
    view, BasePopulation, MappedAccount, MappingInput, MappingSummary, MappingView,
    MatchConfidence, MatchedPair, PopulationInfo, PopulationSlug, Share, SharedAccount,
    SharingLevel, SharingPolicy, SummaryPair,
};
use proptest::prelude::*;
use proptest::sample::{select, subsequence, Index};
use uuid::Uuid;

/// Every population either side may use: the built-in ones (unclassified among them) and two
/// custom ones. A side's population list is a subset, so accounts also name populations that
/// are not listed.
const POPULATIONS: [&str; 6] = [
    "customer",
    "opportunity",
    "prospect",
    "unclassified",
    "strategic",
    "churned",
];
/// Imported field names; "secret" is never revealed by any policy.
const FIELDS: [&str; 5] = ["owner", "arr", "region", "stage", "secret"];
/// Few names, differing in case, so that the order of accounts meets ties.
const NAMES: [&str; 5] = ["Acme", "acme", "Beta", "gamma", "Zeta"];
/// Few keys, so that one key gathers several pairs.
const KEYS: [&str; 6] = [
    "acme.com",
    "beta.io",
    "gamma",
    "zeta.org",
    "acme",
    "delta.net",
];

fn slug(s: &str) -> PopulationSlug {
    PopulationSlug::parse(s).expect("the test's populations are valid slugs")
}

/// One organization: its populations, its accounts, and what it lets the other side see.
#[derive(Clone, Debug)]
struct Side {
    populations: Vec<PopulationInfo>,
    accounts: Vec<MappedAccount>,
    policy: SharingPolicy,
}

/// Two sides and the pairs between them, stored both ways round.
#[derive(Clone, Debug)]
struct Case {
    a: Side,
    b: Side,
    /// `ours` indexes `a.accounts`, `theirs` indexes `b.accounts`.
    a_to_b: Vec<MatchedPair>,
    /// The same pairs seen from `b`.
    b_to_a: Vec<MatchedPair>,
}

impl Case {
    fn new(a: Side, b: Side, a_to_b: Vec<MatchedPair>) -> Self {
        let b_to_a = a_to_b
            .iter()
            .map(|pair| MatchedPair {
                ours: pair.theirs,
                theirs: pair.ours,
                ..pair.clone()
            })
            .collect();
        Case {
            a,
            b,
            a_to_b,
            b_to_a,
        }
    }

    /// What `a` is shown: its own populations as rows, `b`'s under `b`'s policy.
    fn a_sees(&self) -> MappingInput<'_> {
        MappingInput {
            our_populations: &self.a.populations,
            their_populations: &self.b.populations,
            ours: &self.a.accounts,
            theirs: &self.b.accounts,
            pairs: &self.a_to_b,
            their_policy: &self.b.policy,
        }
    }

    /// What `b` is shown.
    fn b_sees(&self) -> MappingInput<'_> {
        MappingInput {
            our_populations: &self.b.populations,
            their_populations: &self.a.populations,
            ours: &self.b.accounts,
            theirs: &self.a.accounts,
            pairs: &self.b_to_a,
            their_policy: &self.a.policy,
        }
    }
}

fn population_list() -> impl Strategy<Value = Vec<PopulationInfo>> {
    subsequence(POPULATIONS.to_vec(), 2..=POPULATIONS.len())
        .prop_shuffle()
        .prop_map(|slugs| {
            slugs
                .into_iter()
                .map(|s| PopulationInfo {
                    slug: slug(s),
                    label: s.to_uppercase(),
                })
                .collect()
        })
}

fn account() -> impl Strategy<Value = MappedAccount> {
    (
        any::<u128>(),
        select(NAMES.to_vec()),
        proptest::option::of(select(KEYS.to_vec())),
        // Drawn with repetition, so an account may list a population twice.
        prop::collection::vec(select(POPULATIONS.to_vec()), 1..=3),
        prop::collection::btree_map(select(FIELDS.to_vec()), "[a-z]{1,3}", 0..=4),
    )
        .prop_map(|(id, name, domain, populations, fields)| MappedAccount {
            id: Uuid::from_u128(id),
            name: name.to_owned(),
            domain: domain.map(str::to_owned),
            populations: populations.into_iter().map(slug).collect(),
            fields: fields.into_iter().map(|(k, v)| (k.to_owned(), v)).collect(),
        })
}

fn share() -> impl Strategy<Value = Share> {
    (
        select(SharingLevel::ALL.to_vec()),
        subsequence(FIELDS[..4].to_vec(), 0..=4),
    )
        .prop_map(|(level, fields)| Share {
            level,
            fields: fields.into_iter().map(str::to_owned).collect(),
        })
}

/// A policy over every population, listed or not, so unlisted ones are shared too.
fn policy() -> impl Strategy<Value = SharingPolicy> {
    prop::collection::btree_map(select(POPULATIONS.to_vec()), share(), 0..=POPULATIONS.len())
        .prop_map(|by| SharingPolicy {
            by_population: by.into_iter().map(|(s, share)| (slug(s), share)).collect(),
        })
}

fn side() -> impl Strategy<Value = Side> {
    (
        population_list(),
        prop::collection::vec(account(), 0..30),
        policy(),
    )
        .prop_map(|(populations, accounts, policy)| Side {
            populations,
            accounts,
            policy,
        })
}

fn case() -> impl Strategy<Value = Case> {
    let raw_pair = (
        select(KEYS.to_vec()),
        select(vec![
            MatchConfidence::High,
            MatchConfidence::Medium,
            MatchConfidence::Low,
        ]),
        any::<bool>(),
        any::<Index>(),
        any::<Index>(),
    );
    (side(), side(), prop::collection::vec(raw_pair, 0..60)).prop_map(|(a, b, raw)| {
        let pairs = if a.accounts.is_empty() || b.accounts.is_empty() {
            Vec::new()
        } else {
            raw.into_iter()
                .map(|(key, confidence, manual, ours, theirs)| MatchedPair {
                    key: key.to_owned(),
                    confidence,
                    manual,
                    ours: ours.index(a.accounts.len()),
                    theirs: theirs.index(b.accounts.len()),
                })
                .collect()
        };
        Case::new(a, b, pairs)
    })
}

/// The rules of `view`, read literally, with no attempt at speed.
/// Whether a pair counts in the matrix: all but low-confidence matches found by the matcher.
fn counted(pair: &MatchedPair) -> bool {
    pair.manual || pair.confidence != MatchConfidence::Low
}

fn reference(input: &MappingInput<'_>) -> MappingView {
    let listed = |s: &PopulationSlug| input.their_populations.iter().any(|p| &p.slug == s);
    let share_of = |s: &PopulationSlug| input.their_policy.share(s);

    let rows = input.our_populations.to_vec();
    let mut columns = Vec::new();
    let mut hidden_columns = 0;
    for p in input.their_populations {
        if share_of(&p.slug).level >= SharingLevel::Counts {
            columns.push(p.clone());
        } else {
            hidden_columns += 1;
        }
    }

    let mut cells = Vec::new();
    for row in &rows {
        let mut line = Vec::new();
        for col in &columns {
            let mut keys: Vec<&str> = Vec::new();
            for pair in input.pairs.iter().filter(|p| counted(p)) {
                let ours = &input.ours[pair.ours];
                let theirs = &input.theirs[pair.theirs];
                if ours.populations.contains(&row.slug)
                    && theirs.populations.contains(&col.slug)
                    && !keys.contains(&pair.key.as_str())
                {
                    keys.push(&pair.key);
                }
            }
            line.push(keys.len() as u64);
        }
        cells.push(line);
    }

    let mut shared: Vec<&str> = Vec::new();
    let mut review: Vec<&str> = Vec::new();
    for pair in input.pairs {
        let theirs = &input.theirs[pair.theirs];
        let in_a_column = columns.iter().any(|c| theirs.populations.contains(&c.slug));
        let list = if counted(pair) {
            &mut shared
        } else {
            &mut review
        };
        if in_a_column && !list.contains(&pair.key.as_str()) {
            list.push(&pair.key);
        }
    }
    // Keys of sure matches: `counted` pairs anywhere, in a column or not.
    let sure: Vec<&str> = input
        .pairs
        .iter()
        .filter(|p| counted(p))
        .map(|p| p.key.as_str())
        .collect();
    review.retain(|key| !sure.contains(key));

    let mut accounts = Vec::new();
    for pair in input.pairs {
        let theirs = &input.theirs[pair.theirs];
        let mut shown = false;
        for s in &theirs.populations {
            if listed(s) && share_of(s).level >= SharingLevel::Overlaps {
                shown = true;
            }
        }
        if !shown {
            continue;
        }
        let mut populations = Vec::new();
        for s in &theirs.populations {
            if listed(s) && share_of(s).level >= SharingLevel::Counts && !populations.contains(s) {
                populations.push(s.clone());
            }
        }
        let mut fields = BTreeMap::new();
        for (name, value) in &theirs.fields {
            for s in &theirs.populations {
                let share = share_of(s);
                if listed(s)
                    && share.level == SharingLevel::OverlapsWithFields
                    && share.fields.contains(name)
                {
                    fields.insert(name.clone(), value.clone());
                }
            }
        }
        let reason = if pair.manual {
            format!("matched by hand on {}", pair.key)
        } else {
            let key = pair.key.strip_prefix("name:").unwrap_or(&pair.key);
            pair.confidence.reason(key)
        };
        accounts.push(SharedAccount {
            key: pair.key.clone(),
            confidence: pair.confidence,
            reason,
            manual: pair.manual,
            ours: input.ours[pair.ours].clone(),
            theirs: comark_domain::accounts::PartnerAccount {
                name: theirs.name.clone(),
                domain: theirs.domain.clone(),
                populations,
                fields,
            },
        });
    }
    // `sort_by` is stable, as the order of ties must be.
    accounts.sort_by(|x, y| {
        (x.ours.name.to_lowercase(), &x.key, &x.theirs.name).cmp(&(
            y.ours.name.to_lowercase(),
            &y.key,
            &y.theirs.name,
        ))
    });

    MappingView {
        rows,
        columns,
        hidden_columns,
        cells,
        shared_keys: shared.len() as u64,
        review_keys: review.len() as u64,
        listed: accounts.len() as u64,
        revealed_fields: input
            .their_populations
            .iter()
            .map(|p| input.their_policy.share(&p.slug))
            .filter(|share| share.level == SharingLevel::OverlapsWithFields)
            .flat_map(|share| share.fields)
            .collect::<std::collections::BTreeSet<String>>()
            .into_iter()
            .collect(),
        accounts,
    }
}

/// Checks that a view shows nothing the partner's policy does not allow.
fn assert_nothing_leaks(input: &MappingInput<'_>, seen: &MappingView) -> Result<(), TestCaseError> {
    let level = |s: &PopulationSlug| input.their_policy.share(s).level;
    let listed = |s: &PopulationSlug| input.their_populations.iter().any(|p| &p.slug == s);
    for col in &seen.columns {
        prop_assert!(
            level(&col.slug) >= SharingLevel::Counts,
            "column {}",
            col.slug
        );
    }
    prop_assert_eq!(
        seen.columns.len() + seen.hidden_columns,
        input.their_populations.len()
    );
    for shared in &seen.accounts {
        let theirs = &shared.theirs;
        for s in &theirs.populations {
            prop_assert!(
                listed(s) && level(s) >= SharingLevel::Counts,
                "population {}",
                s
            );
        }
        prop_assert!(
            theirs
                .populations
                .iter()
                .any(|s| level(s) >= SharingLevel::Overlaps),
            "{:?} shown though none of its populations is shared as overlaps",
            theirs
        );
        for name in theirs.fields.keys() {
            let allowed = theirs.populations.iter().any(|s| {
                let share = input.their_policy.share(s);
                share.level == SharingLevel::OverlapsWithFields && share.fields.contains(name)
            });
            prop_assert!(allowed, "field {} of {:?}", name, theirs);
        }
        prop_assert!(!theirs.fields.contains_key("secret"));
    }
    Ok(())
}

/// Raises `policy` by `bump`: each level to the higher of the two, with both field lists.
fn raised(policy: &SharingPolicy, bump: &SharingPolicy) -> SharingPolicy {
    let mut out = policy.clone();
    for (s, more) in &bump.by_population {
        let mut share = policy.share(s);
        share.level = share.level.max(more.level);
        for field in &more.fields {
            if !share.fields.contains(field) {
                share.fields.push(field.clone());
            }
        }
        out.by_population.insert(s.clone(), share);
    }
    out
}

#[test]
fn the_cases_use_every_built_in_population() {
    for base in BasePopulation::ALL {
        assert!(POPULATIONS.contains(&base.as_str()), "{base:?}");
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn unclassified_is_shared_or_hidden_per_partner_like_any_population(
        mut case in case(),
        level in select(SharingLevel::ALL.to_vec()),
        fields in subsequence(FIELDS[..4].to_vec(), 0..=4),
    ) {
        // Unique domains tell their accounts apart in what is shown.
        for (i, account) in case.b.accounts.iter_mut().enumerate() {
            account.domain = Some(format!("{i}.example"));
        }
        let unclassified = PopulationSlug::builtin(BasePopulation::Unclassified);
        if !case.b.populations.iter().any(|p| p.slug == unclassified) {
            case.b.populations.push(PopulationInfo::builtin(BasePopulation::Unclassified));
        }
        let fields: Vec<String> = fields.into_iter().map(str::to_owned).collect();
        case.b.policy.by_population.insert(
            unclassified.clone(),
            Share { level, fields: fields.clone() },
        );
        let seen = view(&case.a_sees());
        prop_assert_eq!(
            seen.columns.iter().any(|c| c.slug == unclassified),
            level >= SharingLevel::Counts
        );
        // An account of theirs that is only unclassified shows as far as the level allows.
        let only_unclassified = |populations: &[PopulationSlug]| {
            !populations.is_empty() && populations.iter().all(|s| *s == unclassified)
        };
        for pair in &case.a_to_b {
            let theirs = &case.b.accounts[pair.theirs];
            if !only_unclassified(&theirs.populations) {
                continue;
            }
            let shown = seen.accounts.iter().find(|a| {
                a.key == pair.key && a.theirs.domain == theirs.domain && a.ours == case.a.accounts[pair.ours]
            });
            prop_assert_eq!(shown.is_some(), level >= SharingLevel::Overlaps);
            if let Some(shown) = shown {
                for name in shown.theirs.fields.keys() {
                    prop_assert!(level == SharingLevel::OverlapsWithFields && fields.contains(name));
                }
            }
        }
        prop_assert_eq!(&seen, &reference(&case.a_sees()));
        assert_nothing_leaks(&case.a_sees(), &seen)?;
        // Whatever the level, both sides count the same accounts where unclassified meets theirs.
        let seen_by_b = view(&case.b_sees());
        for x in &case.a.populations {
            if let (Some(by_a), Some(by_b)) =
                (seen.cell(&x.slug, &unclassified), seen_by_b.cell(&unclassified, &x.slug))
            {
                prop_assert_eq!(by_a, by_b, "{} × unclassified", x.slug);
            }
        }
    }

    #[test]
    fn view_matches_the_reference_model(case in case()) {
        prop_assert_eq!(view(&case.a_sees()), reference(&case.a_sees()));
        prop_assert_eq!(view(&case.b_sees()), reference(&case.b_sees()));
    }

    /// The store keeps one summary per connection, counted with `a` as the low side, and
    /// reads `b`'s matrix from it as the high side: that must be `b`'s own view.
    #[test]
    fn one_stored_summary_gives_each_side_its_matrix(case in case()) {
        let summary = MappingSummary::of(case.a_to_b.iter().map(|pair| SummaryPair {
            key: &pair.key,
            confidence: pair.confidence,
            manual: pair.manual,
            low: &case.a.accounts[pair.ours].populations,
            high: &case.b.accounts[pair.theirs].populations,
        }));
        // The summary is stored as JSON and read back.
        let stored = serde_json::to_string(&summary).expect("a summary serializes");
        let summary: MappingSummary = serde_json::from_str(&stored).expect("and reads back");
        let read = |viewer, ours: &Side, theirs: &Side| {
            summary.matrix(viewer, &ours.populations, &theirs.populations, &theirs.policy)
        };
        let whole = |mut view: MappingView| {
            view.accounts.clear();
            view
        };
        prop_assert_eq!(read(Low, &case.a, &case.b), whole(reference(&case.a_sees())));
        prop_assert_eq!(read(High, &case.b, &case.a), whole(reference(&case.b_sees())));
    }

    #[test]
    fn nothing_leaks(case in case()) {
        assert_nothing_leaks(&case.a_sees(), &view(&case.a_sees()))?;
        assert_nothing_leaks(&case.b_sees(), &view(&case.b_sees()))?;
    }

    #[test]
    fn both_sides_see_the_same_numbers(case in case()) {
        let seen_by_a = view(&case.a_sees());
        let seen_by_b = view(&case.b_sees());
        for x in &case.a.populations {
            for y in &case.b.populations {
                if let (Some(by_a), Some(by_b)) =
                    (seen_by_a.cell(&x.slug, &y.slug), seen_by_b.cell(&y.slug, &x.slug))
                {
                    prop_assert_eq!(by_a, by_b, "{} × {}", x.slug, y.slug);
                }
            }
        }
    }

    #[test]
    fn raising_a_level_never_hides_anything(mut case in case(), bump in policy()) {
        // Unique domains tell their accounts apart, so each account shown before can be
        // found again after.
        for (i, account) in case.b.accounts.iter_mut().enumerate() {
            account.domain = Some(format!("{i}.example"));
        }
        let before = view(&case.a_sees());
        case.b.policy = raised(&case.b.policy, &bump);
        let after = view(&case.a_sees());

        prop_assert!(after.hidden_columns <= before.hidden_columns);
        prop_assert!(after.shared_keys >= before.shared_keys);
        for x in &before.rows {
            for y in &before.columns {
                prop_assert_eq!(after.cell(&x.slug, &y.slug), before.cell(&x.slug, &y.slug));
            }
        }
        let mut unmatched: Vec<&SharedAccount> = after.accounts.iter().collect();
        for was in &before.accounts {
            let found = unmatched.iter().position(|now| {
                now.key == was.key
                    && now.ours == was.ours
                    && now.theirs.domain == was.theirs.domain
                    && was.theirs.populations.iter().all(|s| now.theirs.populations.contains(s))
                    && was.theirs.fields.iter().all(|(k, v)| now.theirs.fields.get(k) == Some(v))
            });
            prop_assert!(found.is_some(), "{:?} no longer shown", was);
            if let Some(i) = found {
                unmatched.swap_remove(i);
            }
        }
    }
}

proptest! {
    // Each case runs every combination of levels over the partner's populations (up to
    // 4^6), so fewer cases cover far more policies.
    #![proptest_config(ProptestConfig::with_cases(24))]

    #[test]
    fn view_matches_the_reference_model_for_every_combination_of_levels(case in case()) {
        let listed: Vec<PopulationSlug> =
            case.b.populations.iter().map(|p| p.slug.clone()).collect();
        let combinations = SharingLevel::ALL.len().pow(listed.len() as u32);
        let mut case = case;
        for combination in 0..combinations {
            let mut digits = combination;
            for s in &listed {
                let mut share = case.b.policy.share(s);
                share.level = SharingLevel::ALL[digits % SharingLevel::ALL.len()];
                digits /= SharingLevel::ALL.len();
                case.b.policy.by_population.insert(s.clone(), share);
            }
            prop_assert_eq!(view(&case.a_sees()), reference(&case.a_sees()));
            assert_nothing_leaks(&case.a_sees(), &view(&case.a_sees()))?;
        }
    }
}
