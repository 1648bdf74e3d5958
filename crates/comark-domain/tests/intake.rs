//! Property tests of the public request form's parsing: whatever a stranger sends, it is
//! refused with named fields or accepted within bounds, never a panic.

use comark_domain::intake::{parse_checklist, spam_signal, RequestForm, MAX_CHECKLIST_ITEMS};
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
