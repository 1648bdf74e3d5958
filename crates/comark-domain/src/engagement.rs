//! Who does what in a partnership (named roles and a RACI per activity area) and the rules of
//! engagement both sides agree.

use serde::{Deserialize, Serialize};

/// The roles each side names, with what people call them.
pub const ROLES: [(&str, &str); 4] = [
    ("executive_sponsor", "Executive sponsor"),
    ("partnership_manager", "Partnership manager"),
    ("marketing_lead", "Marketing lead"),
    ("sales_lead", "Sales lead"),
];

/// The key a role is kept under, however it was typed: "Events Lead" and "events-lead"
/// are both `events_lead`.
pub fn role_key(raw: &str) -> String {
    raw.trim().to_lowercase().replace([' ', '-'], "_")
}

/// The activity areas a RACI starts with.
pub const AREAS: [&str; 6] = [
    "Joint planning",
    "Content creation",
    "Campaign execution",
    "Lead follow-up",
    "Brand approvals",
    "Reporting",
];

/// The sections of the rules of engagement, with the question each answers.
pub const RULE_SECTIONS: [(&str, &str, &str); 7] = [
    (
        "shared_accounts",
        "Shared accounts",
        "Who may contact accounts both sides have, and how often?",
    ),
    (
        "lead_ownership",
        "Lead ownership and hand-off",
        "Who owns a lead each side sources, and how is it handed over?",
    ),
    (
        "brand_usage",
        "Brand usage",
        "How may each side use the other's name, logo and messages?",
    ),
    (
        "approvals",
        "Approvals",
        "Who approves co-branded assets, and how fast?",
    ),
    (
        "data_sharing",
        "Data sharing",
        "Which data do the sides share, and what may they do with it?",
    ),
    (
        "rhythm",
        "Communication rhythm",
        "When do the sides meet, and how are decisions recorded?",
    ),
    (
        "channels",
        "Channels",
        "Where do the teams talk (shared channel, e-mail, calls)?",
    ),
];

/// One side's part in an activity area: any of Responsible, Accountable, Consulted, Informed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Raci {
    /// Does the work.
    pub responsible: bool,
    /// Owns the outcome; one side per area.
    pub accountable: bool,
    /// Is asked before.
    pub consulted: bool,
    /// Is told after.
    pub informed: bool,
}

impl Raci {
    /// Reads letters such as "RA" or "c, i" (any order, case or separators); `None` on any
    /// other letter.
    pub fn parse(raw: &str) -> Option<Raci> {
        let mut raci = Raci::default();
        for c in raw.chars() {
            match c.to_ascii_uppercase() {
                'R' => raci.responsible = true,
                'A' => raci.accountable = true,
                'C' => raci.consulted = true,
                'I' => raci.informed = true,
                ' ' | ',' | '/' | '-' => {}
                _ => return None,
            }
        }
        Some(raci)
    }

    /// The letters, in R, A, C, I order ("" for no part).
    pub fn letters(self) -> String {
        [
            (self.responsible, 'R'),
            (self.accountable, 'A'),
            (self.consulted, 'C'),
            (self.informed, 'I'),
        ]
        .iter()
        .filter(|(on, _)| *on)
        .map(|(_, c)| *c)
        .collect()
    }
}

/// What is wrong with a RACI, per area: no owner, several owners, nobody doing the work.
/// `areas` gives each area with each side's part.
pub fn raci_gaps(areas: &[(String, Vec<(String, Raci)>)]) -> Vec<String> {
    let mut gaps = Vec::new();
    for (area, sides) in areas {
        let owners: Vec<&str> = sides
            .iter()
            .filter(|(_, r)| r.accountable)
            .map(|(side, _)| side.as_str())
            .collect();
        match owners.len() {
            0 => gaps.push(format!("{area}: nobody is accountable")),
            1 => {}
            _ => gaps.push(format!(
                "{area}: {} are all accountable; one side should own it",
                owners.join(" and ")
            )),
        }
        if !sides.iter().any(|(_, r)| r.responsible) {
            gaps.push(format!("{area}: nobody is responsible for the work"));
        }
    }
    gaps
}

/// Whether a time zone name looks like an IANA zone ("Europe/Berlin") or UTC.
pub fn plausible_time_zone(raw: &str) -> bool {
    let raw = raw.trim();
    raw == "UTC"
        || (raw.len() <= 64
            && raw.contains('/')
            && raw
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '/' | '_' | '-' | '+')))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn raci_letters_round_trip_in_order() {
        let raci = Raci::parse("a, r").expect("letters");
        assert!(raci.accountable && raci.responsible && !raci.consulted);
        assert_eq!(raci.letters(), "RA");
        assert_eq!(Raci::parse("RX"), None);
        assert_eq!(Raci::parse("").map(Raci::letters), Some(String::new()));
    }

    #[test]
    fn gaps_name_areas_without_or_with_too_many_owners() {
        let raci = |s: &str| Raci::parse(s).expect("letters");
        let areas = vec![
            (
                "Lead follow-up".to_owned(),
                vec![
                    ("Acme".to_owned(), raci("RA")),
                    ("Globex".to_owned(), raci("I")),
                ],
            ),
            (
                "Reporting".to_owned(),
                vec![
                    ("Acme".to_owned(), raci("C")),
                    ("Globex".to_owned(), raci("C")),
                ],
            ),
            (
                "Brand approvals".to_owned(),
                vec![
                    ("Acme".to_owned(), raci("RA")),
                    ("Globex".to_owned(), raci("A")),
                ],
            ),
        ];
        assert_eq!(
            raci_gaps(&areas),
            vec![
                "Reporting: nobody is accountable".to_owned(),
                "Reporting: nobody is responsible for the work".to_owned(),
                "Brand approvals: Acme and Globex are all accountable; one side should own it"
                    .to_owned(),
            ]
        );
    }

    #[test]
    fn time_zones_are_checked_for_shape() {
        assert!(plausible_time_zone("Europe/Berlin"));
        assert!(plausible_time_zone("America/Argentina/Buenos_Aires"));
        assert!(plausible_time_zone("UTC"));
        assert!(!plausible_time_zone("Berlin"));
        assert!(!plausible_time_zone("Europe/Berlin; DROP"));
    }
}
