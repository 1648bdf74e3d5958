//! Property tests of the public request form's parsing: whatever a stranger sends, it is
//! refused with named fields or accepted within bounds, never a panic.

use comark_domain::intake::{
    parse_checklist, spam_signal, ProposalKind, RequestForm, MAX_CHECKLIST_ITEMS,
};
use proptest::prelude::*;

fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        "[ a-zA-Z0-9.@:/_-]{0,60}",
        Just(String::new()),
        Just("co_promotion".to_owned()),
        Just("ada@example.com".to_owned()),
    ]
}

proptest! {
    #[test]
    fn any_form_is_refused_by_field_or_accepted_within_bounds(
        name in text(), email in text(), company in text(), website in text(),
        kind in text(), audience in text(), contribution in text(), message in text(),
    ) {
        let form = RequestForm { name, email, company, website, kind, audience, contribution, message };
        match form.parse() {
            Ok(p) => {
                for (value, max) in [(&p.name, 120), (&p.company, 160), (&p.website, 200),
                                     (&p.audience, 2000), (&p.contribution, 2000), (&p.message, 5000)] {
                    prop_assert_eq!(value.trim(), value.as_str());
                    prop_assert!(value.chars().count() <= max);
                }
                prop_assert!(!p.name.is_empty() && !p.company.is_empty() && !p.message.is_empty());
                prop_assert!(p.email.contains('@'));
                let _ = spam_signal(&p);
            }
            Err(errors) => {
                prop_assert!(!errors.0.is_empty());
                let known = ["name", "email", "company", "website", "kind", "audience", "contribution", "message"];
                for e in &errors.0 {
                    prop_assert!(known.contains(&e.field.as_str()), "unknown field {}", e.field);
                }
            }
        }
    }

    #[test]
    fn a_checklist_is_trimmed_unique_and_bounded(items in prop::collection::vec(text(), 0..30)) {
        if let Ok(kept) = parse_checklist(&items) {
            prop_assert!(kept.len() <= MAX_CHECKLIST_ITEMS);
            for (i, item) in kept.iter().enumerate() {
                prop_assert!(!item.is_empty());
                prop_assert_eq!(item.trim(), item.as_str());
                prop_assert!(!kept[..i].iter().any(|k| k.eq_ignore_ascii_case(item)));
            }
        }
    }
}

/// The fields of the form, in the order the cases below break them.
const FIELDS: [&str; 8] = [
    "name",
    "email",
    "company",
    "website",
    "kind",
    "audience",
    "contribution",
    "message",
];

/// Text of printable ASCII from `min` to `max` characters that starts and ends with a letter,
/// with stray spaces around it as people type.
fn typed(max: usize) -> impl Strategy<Value = String> {
    (
        proptest::string::string_regex(&format!("[A-Za-z]([ -~]{{0,{max}}}[A-Za-z])?"))
            .expect("a pattern"),
        "[ ]{0,2}",
        "[ ]{0,2}",
    )
        .prop_map(|(text, before, after)| format!("{before}{text}{after}"))
}

/// A form that a person fills in well, or the same form with exactly one field broken in a
/// way the form must name: half the cases each (checked by
/// `the_form_cases_are_half_valid_and_break_every_field`).
fn form_case() -> impl Strategy<Value = (RequestForm, Option<&'static str>)> {
    let kind = prop::sample::select(ProposalKind::ALL.to_vec()).prop_flat_map(|k| {
        prop_oneof![
            Just(k.as_str().to_owned()),
            Just(k.as_str().replace('_', "-").to_uppercase()),
            Just(format!(" {} ", k.as_str())),
        ]
    });
    let valid = (
        typed(40),
        "[a-z0-9.]{0,8}[a-z0-9]@[a-z]{1,10}\\.(com|de|io)",
        typed(60),
        prop_oneof![
            Just(String::new()),
            "[a-z]{1,12}\\.(com|co\\.uk|de)(/[a-z]{1,8})?"
        ],
        kind,
        prop_oneof![Just(String::new()), typed(80)],
        prop_oneof![Just(String::new()), typed(80)],
        typed(200),
    )
        .prop_map(
            |(name, email, company, website, kind, audience, contribution, message)| RequestForm {
                name,
                email,
                company,
                website,
                kind,
                audience,
                contribution,
                message,
            },
        );
    let broken = (0..FIELDS.len(), 0..2usize);
    (valid, prop::option::of(broken)).prop_map(|(mut form, broken)| {
        let Some((field, how)) = broken else {
            return (form, None);
        };
        let long = |n: usize| "x".repeat(n + 1);
        let slot = match field {
            0 => &mut form.name,
            1 => &mut form.email,
            2 => &mut form.company,
            3 => &mut form.website,
            4 => &mut form.kind,
            5 => &mut form.audience,
            6 => &mut form.contribution,
            _ => &mut form.message,
        };
        *slot = match (field, how) {
            (0, 0) | (2, 0) | (7, 0) => "   ".to_owned(),
            (0, _) => long(120),
            (1, 0) => "ada.example.com".to_owned(),
            (1, _) => "ada@localhost".to_owned(),
            (2, _) => long(160),
            (3, 0) => "our site".to_owned(),
            (3, _) => "example".to_owned(),
            (4, 0) => "banana".to_owned(),
            (4, _) => String::new(),
            (5, _) => long(2000),
            (6, _) => long(2000),
            _ => long(5000),
        };
        (form, Some(FIELDS[field]))
    })
}

#[test]
fn the_form_cases_are_half_valid_and_break_every_field() {
    use proptest::strategy::ValueTree;
    use proptest::test_runner::TestRunner;
    let mut runner = TestRunner::deterministic();
    let strategy = form_case();
    let mut valid = 0;
    let mut broken = std::collections::BTreeMap::new();
    let n = 4_000;
    for _ in 0..n {
        let (_, field) = strategy.new_tree(&mut runner).expect("a case").current();
        match field {
            None => valid += 1,
            Some(field) => *broken.entry(field).or_insert(0) += 1,
        }
    }
    let share = f64::from(valid) / f64::from(n);
    assert!(
        (0.4..=0.6).contains(&share),
        "{share} of the cases are valid"
    );
    for field in FIELDS {
        let cases = broken.get(field).copied().unwrap_or(0);
        assert!(
            cases >= n / 40,
            "{field} is broken in only {cases} of {n} cases"
        );
    }
}

proptest! {
    #[test]
    fn a_good_form_is_kept_as_typed_and_a_broken_field_is_named_alone((form, broken) in form_case()) {
        match (form.parse(), broken) {
            (Ok(p), None) => {
                prop_assert_eq!(&p.name, form.name.trim());
                prop_assert_eq!(&p.email, &form.email);
                prop_assert_eq!(&p.company, form.company.trim());
                prop_assert_eq!(&p.website, form.website.trim());
                prop_assert_eq!(Some(p.kind), ProposalKind::parse(&form.kind));
                prop_assert_eq!(&p.audience, form.audience.trim());
                prop_assert_eq!(&p.contribution, form.contribution.trim());
                prop_assert_eq!(&p.message, form.message.trim());
            }
            (Err(errors), Some(field)) => {
                let named: Vec<&str> = errors.0.iter().map(|e| e.field.as_str()).collect();
                prop_assert_eq!(named, vec![field]);
            }
            (result, broken) => prop_assert!(false, "{:?} for a form broken in {:?}: {:?}", result, broken, form),
        }
    }

    #[test]
    fn a_checklist_keeps_each_item_once_and_refuses_too_many_or_too_long(
        items in prop::collection::btree_set("[a-z]([a-z ]{0,20}[a-z])?", 0..26),
        repeats in prop::collection::vec(0..26usize, 0..5),
        too_long in prop::option::of(0..26usize),
    ) {
        let unique: Vec<String> = items.into_iter().collect();
        let mut typed: Vec<String> = unique.iter().map(|i| format!(" {i} ")).collect();
        // Repeats in other case and blanks are dropped, not refused.
        for r in repeats.iter().filter(|r| **r < unique.len()) {
            typed.push(unique[*r].to_uppercase());
            typed.push("  ".to_owned());
        }
        let long = too_long.filter(|at| *at < typed.len());
        if let Some(at) = long {
            typed[at] = "y".repeat(121);
        }
        let result = parse_checklist(&typed);
        if unique.len() > MAX_CHECKLIST_ITEMS || long.is_some() {
            let errors = result.expect_err("too many or too long");
            prop_assert!(errors.0.iter().all(|e| e.field == "checklist"));
        } else {
            prop_assert_eq!(result.expect("a good checklist"), unique);
        }
    }
}
