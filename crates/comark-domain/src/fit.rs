//! Partner profiles and explained fit scoring: "is this partner a fit for us, and why?"
//!
//! The score is a weighted mean of factors, each between 0 and 1 and each carrying the
//! evidence a person can check. Every rule here is deterministic: the same two profiles
//! always give the same score and the same reasons, in the same order.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

/// What kind of partner an organization is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PartnerKind {
    /// Builds software or hardware others integrate with.
    Technology,
    /// Implements, consults or manages services.
    Services,
    /// Resells or distributes.
    Channel,
    /// A strategic alliance.
    Alliance,
    /// A marketing or creative agency.
    Agency,
    /// A publisher or media company.
    Media,
    /// An influencer or creator.
    Creator,
    /// A community or association.
    Community,
}

/// A marketing capability one side can bring and the other may look for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Capability {
    /// Writing and producing content.
    Content,
    /// Running events.
    Events,
    /// Hosting webinars.
    Webinars,
    /// A newsletter audience.
    Newsletter,
    /// Social media reach.
    Social,
    /// Paid media budget and skills.
    PaidMedia,
    /// A sales team that co-sells.
    CoSelling,
    /// A product integration.
    Integration,
}

impl Capability {
    /// A label for people.
    pub fn label(self) -> &'static str {
        match self {
            Capability::Content => "content",
            Capability::Events => "events",
            Capability::Webinars => "webinars",
            Capability::Newsletter => "newsletter",
            Capability::Social => "social reach",
            Capability::PaidMedia => "paid media",
            Capability::CoSelling => "co-selling",
            Capability::Integration => "integration",
        }
    }
}

/// Who an organization sells to: its ideal customer profile.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Audience {
    /// Industries, as lower-case tags ("healthcare", "fintech").
    pub industries: BTreeSet<String>,
    /// Company sizes ("1-10", "11-50", "51-500", "501-5000", "5000+").
    pub company_sizes: BTreeSet<String>,
    /// Regions ("emea", "north america").
    pub regions: BTreeSet<String>,
    /// Roles it sells to ("cmo", "it director").
    pub roles: BTreeSet<String>,
}

/// What an organization says about itself, for partners to judge fit.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Profile {
    /// What kind of partner it is.
    pub kind: Option<PartnerKind>,
    /// What it sells, as tags.
    pub offerings: BTreeSet<String>,
    /// Its ideal customer profile.
    pub audience: Audience,
    /// The brand values it stands for publicly.
    pub values: BTreeSet<String>,
    /// What it will not be associated with (industries, practices).
    pub avoids: BTreeSet<String>,
    /// What it does in practice (industries served, methods), checked against partners' `avoids`.
    pub practices: BTreeSet<String>,
    /// The capabilities it can bring to a partnership.
    pub offers: BTreeSet<Capability>,
    /// The capabilities it looks for in a partner.
    pub looking_for: BTreeSet<Capability>,
    /// The kinds of partner it looks for.
    pub seeks_kinds: BTreeSet<PartnerKind>,
    /// How many people its channels reach.
    #[serde(default)]
    pub reach: Reach,
}

/// How many people an organization's own channels reach: what a co-promotion is worth.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reach {
    /// Newsletter subscribers.
    pub newsletter_subscribers: Option<u64>,
    /// Followers across its social accounts.
    pub social_followers: Option<u64>,
    /// Events (including webinars) it runs a year.
    pub events_per_year: Option<u64>,
}

impl Reach {
    /// The reach behind one capability, in words, when the profile gives it.
    pub fn of(&self, capability: Capability) -> Option<String> {
        match capability {
            Capability::Newsletter => self
                .newsletter_subscribers
                .map(|n| format!("a newsletter to {} subscribers", thousands(n))),
            Capability::Social => self
                .social_followers
                .map(|n| format!("{} social followers", thousands(n))),
            Capability::Events | Capability::Webinars => self
                .events_per_year
                .map(|n| format!("{} events a year", thousands(n))),
            _ => None,
        }
    }
}

/// 40000 → "40,000".
fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (at, digit) in digits.chars().enumerate() {
        if at > 0 && (digits.len() - at).is_multiple_of(3) {
            out.push(',');
        }
        out.push(digit);
    }
    out
}

/// One factor of the fit score.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Factor {
    /// Do we sell to the same people?
    Audience,
    /// Do our offerings complement each other rather than compete?
    Complement,
    /// Do we stand for the same things, with nothing one side avoids in what the other does?
    Values,
    /// Does each bring what the other looks for?
    Capabilities,
    /// How many accounts do we share?
    Accounts,
}

/// How much each factor counts. Zero leaves a factor out.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Weights {
    /// Weight of [`Factor::Audience`].
    pub audience: u32,
    /// Weight of [`Factor::Complement`].
    pub complement: u32,
    /// Weight of [`Factor::Values`].
    pub values: u32,
    /// Weight of [`Factor::Capabilities`].
    pub capabilities: u32,
    /// Weight of [`Factor::Accounts`], used only once accounts are mapped.
    pub accounts: u32,
}

impl Default for Weights {
    fn default() -> Self {
        Weights {
            audience: 30,
            complement: 20,
            values: 20,
            capabilities: 15,
            accounts: 15,
        }
    }
}

impl Weights {
    fn of(&self, factor: Factor) -> u32 {
        match factor {
            Factor::Audience => self.audience,
            Factor::Complement => self.complement,
            Factor::Values => self.values,
            Factor::Capabilities => self.capabilities,
            Factor::Accounts => self.accounts,
        }
    }
}

/// The accounts two partners share, once mapped.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountOverlap {
    /// How many accounts we have.
    pub ours: u64,
    /// How many they have.
    pub theirs: u64,
    /// How many both have.
    pub shared: u64,
}

/// One factor's result with the evidence behind it.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct FactorScore {
    /// Which factor.
    pub factor: Factor,
    /// Its score, from 0 to 1.
    pub score: f64,
    /// Its weight in the total.
    pub weight: u32,
    /// Facts a person can check, in words.
    pub evidence: Vec<String>,
}

/// The fit of a partner: a score from 0 to 100 and its reasons.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Fit {
    /// The weighted score, 0 to 100.
    pub score: u8,
    /// The factors, in a fixed order.
    pub factors: Vec<FactorScore>,
}

/// |a ∩ b| / min(|a|, |b|): a niche partner wholly inside a broad one's market still fits
/// fully, which Jaccard would punish. `None` when either side said nothing.
fn overlap<T: Ord>(a: &BTreeSet<T>, b: &BTreeSet<T>) -> Option<f64> {
    let smaller = a.len().min(b.len());
    (smaller > 0).then(|| a.intersection(b).count() as f64 / smaller as f64)
}

fn list<'a>(items: impl IntoIterator<Item = &'a String>) -> String {
    items
        .into_iter()
        .map(String::as_str)
        .collect::<Vec<_>>()
        .join(", ")
}

fn audience(ours: &Audience, theirs: &Audience) -> (f64, Vec<String>) {
    let dimensions = [
        ("industries", &ours.industries, &theirs.industries),
        ("company sizes", &ours.company_sizes, &theirs.company_sizes),
        ("regions", &ours.regions, &theirs.regions),
        ("roles", &ours.roles, &theirs.roles),
    ];
    let mut scores = Vec::new();
    let mut evidence = Vec::new();
    for (name, a, b) in dimensions {
        if let Some(score) = overlap(a, b) {
            scores.push(score);
            let shared: Vec<&String> = a.intersection(b).collect();
            if shared.is_empty() {
                evidence.push(format!("no {name} in common"));
            } else {
                evidence.push(format!("{name} in common: {}", list(shared)));
            }
        }
    }
    if scores.is_empty() {
        return (
            0.0,
            vec!["no audience described on one side or both".into()],
        );
    }
    (scores.iter().sum::<f64>() / scores.len() as f64, evidence)
}

fn complement(ours: &Profile, theirs: &Profile) -> (f64, Vec<String>) {
    let mut evidence = Vec::new();
    let competing: Vec<&String> = ours.offerings.intersection(&theirs.offerings).collect();
    let offering_score = match overlap(&ours.offerings, &theirs.offerings) {
        Some(share) => {
            if competing.is_empty() {
                evidence.push("no offerings in common: you complement each other".into());
            } else {
                evidence.push(format!("both offer {}: you may compete", list(competing)));
            }
            1.0 - share
        }
        None => {
            evidence.push("offerings not described on one side or both".into());
            0.5
        }
    };
    let kind_score = match theirs.kind {
        Some(kind) if ours.seeks_kinds.contains(&kind) => {
            evidence
                .push(format!("you look for {kind:?} partners, and they are one").to_lowercase());
            1.0
        }
        Some(kind) if !ours.seeks_kinds.is_empty() => {
            evidence.push(
                format!("they are a {kind:?} partner, which you do not look for").to_lowercase(),
            );
            0.0
        }
        _ => 0.5,
    };
    (0.7 * offering_score + 0.3 * kind_score, evidence)
}

fn conflicts(avoider: &Profile, other: &Profile) -> Vec<String> {
    let done: BTreeSet<&String> = other
        .practices
        .iter()
        .chain(&other.offerings)
        .chain(&other.audience.industries)
        .collect();
    avoider
        .avoids
        .iter()
        .filter(|avoided| done.contains(avoided))
        .cloned()
        .collect()
}

fn values(ours: &Profile, theirs: &Profile) -> (f64, Vec<String>) {
    let mut evidence = Vec::new();
    let ours_avoided = conflicts(ours, theirs);
    let theirs_avoided = conflicts(theirs, ours);
    for item in &ours_avoided {
        evidence.push(format!(
            "conflict: you avoid \"{item}\", and it is part of what they do"
        ));
    }
    for item in &theirs_avoided {
        evidence.push(format!(
            "conflict: they avoid \"{item}\", and it is part of what you do"
        ));
    }
    let shared: Vec<&String> = ours.values.intersection(&theirs.values).collect();
    let score = match overlap(&ours.values, &theirs.values) {
        Some(share) => {
            if shared.is_empty() {
                evidence.push("no brand values in common".into());
            } else {
                evidence.push(format!("values in common: {}", list(shared)));
            }
            share
        }
        None => {
            evidence.push("brand values not described on one side or both".into());
            0.5
        }
    };
    // A conflict between what one side stands against and what the other does outweighs
    // any number of shared words.
    if ours_avoided.is_empty() && theirs_avoided.is_empty() {
        (score, evidence)
    } else {
        (0.0, evidence)
    }
}

fn capabilities(ours: &Profile, theirs: &Profile) -> (f64, Vec<String>) {
    let mut evidence = Vec::new();
    let mut scores = Vec::new();
    for (seeker, giver, who_seeks, who_gives) in [
        (ours, theirs, "you look for", "they bring"),
        (theirs, ours, "they look for", "you bring"),
    ] {
        if seeker.looking_for.is_empty() {
            continue;
        }
        let met: Vec<&Capability> = seeker.looking_for.intersection(&giver.offers).collect();
        scores.push(met.len() as f64 / seeker.looking_for.len() as f64);
        if met.is_empty() {
            evidence.push(format!(
                "{who_seeks} {}; {who_gives} none of it",
                labels(&seeker.looking_for)
            ));
        } else {
            let mut reach: Vec<String> = Vec::new();
            for figure in met.iter().filter_map(|c| giver.reach.of(**c)) {
                // Events and webinars share one figure; say it once.
                if !reach.contains(&figure) {
                    reach.push(figure);
                }
            }
            let reach = if reach.is_empty() {
                String::new()
            } else {
                format!(" ({})", reach.join(", "))
            };
            evidence.push(format!(
                "{who_seeks} {}; {who_gives} {}{reach}",
                labels(&seeker.looking_for),
                labels(met)
            ));
        }
    }
    if scores.is_empty() {
        return (0.5, vec!["neither side said what it looks for".into()]);
    }
    (scores.iter().sum::<f64>() / scores.len() as f64, evidence)
}

fn labels<'a>(capabilities: impl IntoIterator<Item = &'a Capability>) -> String {
    capabilities
        .into_iter()
        .map(|c| c.label())
        .collect::<Vec<_>>()
        .join(", ")
}

fn accounts(overlap: AccountOverlap) -> (f64, Vec<String>) {
    let smaller = overlap.ours.min(overlap.theirs);
    if smaller == 0 {
        return (0.0, vec!["no accounts mapped on one side".into()]);
    }
    let share = overlap.shared as f64 / smaller as f64;
    // A fifth of the smaller book in common is already a strong co-selling base.
    let score = (share / 0.2).min(1.0);
    (
        score,
        vec![format!(
            "{} shared accounts: {:.0}% of the smaller account list",
            overlap.shared,
            share * 100.0
        )],
    )
}

/// How well `theirs` fits `ours` as a partner, with reasons.
pub fn fit(
    ours: &Profile,
    theirs: &Profile,
    shared_accounts: Option<AccountOverlap>,
    weights: &Weights,
) -> Fit {
    let mut factors = vec![
        (Factor::Audience, audience(&ours.audience, &theirs.audience)),
        (Factor::Complement, complement(ours, theirs)),
        (Factor::Values, values(ours, theirs)),
        (Factor::Capabilities, capabilities(ours, theirs)),
    ];
    if let Some(shared) = shared_accounts {
        factors.push((Factor::Accounts, accounts(shared)));
    }
    let factors: Vec<FactorScore> = factors
        .into_iter()
        .map(|(factor, (score, evidence))| FactorScore {
            factor,
            score: score.clamp(0.0, 1.0),
            weight: weights.of(factor),
            evidence,
        })
        .collect();
    let total_weight: u64 = factors.iter().map(|f| u64::from(f.weight)).sum();
    let score = if total_weight == 0 {
        0
    } else {
        let weighted: f64 = factors.iter().map(|f| f.score * f64::from(f.weight)).sum();
        (weighted / total_weight as f64 * 100.0)
            .round()
            .clamp(0.0, 100.0) as u8
    };
    Fit { score, factors }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn tags(items: &[&str]) -> BTreeSet<String> {
        items.iter().map(|s| s.to_string()).collect()
    }

    fn vendor() -> Profile {
        Profile {
            kind: Some(PartnerKind::Technology),
            offerings: tags(&["crm software"]),
            audience: Audience {
                industries: tags(&["healthcare", "fintech"]),
                company_sizes: tags(&["51-500", "501-5000"]),
                regions: tags(&["emea"]),
                roles: tags(&["cmo"]),
            },
            values: tags(&["privacy", "openness"]),
            avoids: tags(&["gambling"]),
            practices: tags(&["saas"]),
            offers: [Capability::Integration, Capability::Webinars].into(),
            looking_for: [Capability::Content, Capability::Events].into(),
            seeks_kinds: [PartnerKind::Agency, PartnerKind::Services].into(),
            reach: Reach::default(),
        }
    }

    fn agency() -> Profile {
        Profile {
            kind: Some(PartnerKind::Agency),
            offerings: tags(&["content marketing"]),
            audience: Audience {
                industries: tags(&["healthcare", "fintech", "retail"]),
                company_sizes: tags(&["51-500"]),
                regions: tags(&["emea", "north america"]),
                roles: tags(&["cmo"]),
            },
            values: tags(&["privacy", "craft"]),
            practices: tags(&["content production"]),
            offers: [Capability::Content, Capability::Events].into(),
            looking_for: [Capability::Webinars].into(),
            seeks_kinds: [PartnerKind::Technology].into(),
            ..Default::default()
        }
    }

    #[test]
    fn the_reach_behind_a_capability_is_part_of_the_evidence() {
        let mut partner = agency();
        partner.reach = Reach {
            newsletter_subscribers: Some(40_000),
            social_followers: None,
            events_per_year: Some(12),
        };
        let result = fit(&vendor(), &partner, None, &Weights::default());
        let capabilities = result
            .factors
            .iter()
            .find(|f| f.factor == Factor::Capabilities)
            .expect("capabilities");
        assert!(
            capabilities.evidence.contains(
                &"you look for content, events; they bring content, events (12 events a year)"
                    .to_owned()
            ),
            "{capabilities:#?}"
        );
        assert_eq!(
            Reach {
                newsletter_subscribers: Some(1_234_567),
                ..Reach::default()
            }
            .of(Capability::Newsletter),
            Some("a newsletter to 1,234,567 subscribers".to_owned())
        );
        assert_eq!(Reach::default().of(Capability::Newsletter), None);
    }

    #[test]
    fn a_complementary_partner_with_the_same_buyers_fits_well() {
        let result = fit(&vendor(), &agency(), None, &Weights::default());
        assert!(result.score >= 80, "{result:#?}");
        let audience = &result.factors[0];
        assert_eq!(audience.factor, Factor::Audience);
        assert_eq!(
            audience.score, 1.0,
            "every dimension of the smaller side is shared"
        );
        assert!(audience
            .evidence
            .contains(&"industries in common: fintech, healthcare".to_owned()));
    }

    #[test]
    fn a_competitor_scores_lower_on_complement_and_says_why() {
        let mut rival = vendor();
        rival.kind = Some(PartnerKind::Technology);
        let partner = fit(&vendor(), &agency(), None, &Weights::default());
        let competitor = fit(&vendor(), &rival, None, &Weights::default());
        let complement = |fit: &Fit| {
            fit.factors
                .iter()
                .find(|f| f.factor == Factor::Complement)
                .map(|f| f.score)
                .unwrap_or(-1.0)
        };
        assert!(complement(&competitor) < complement(&partner));
        assert!(competitor.factors[1]
            .evidence
            .iter()
            .any(|e| e == "both offer crm software: you may compete"));
        assert!(competitor.score < partner.score);
    }

    #[test]
    fn a_conflict_with_what_one_side_avoids_zeroes_values_and_is_named() {
        let mut casino = agency();
        casino.audience.industries.insert("gambling".into());
        let result = fit(&vendor(), &casino, None, &Weights::default());
        let values = result
            .factors
            .iter()
            .find(|f| f.factor == Factor::Values)
            .expect("values factor");
        assert_eq!(values.score, 0.0);
        assert!(
            values.evidence[0].contains("you avoid \"gambling\""),
            "{:?}",
            values.evidence
        );
    }

    #[test]
    fn shared_accounts_count_once_mapped() {
        let without = fit(&vendor(), &agency(), None, &Weights::default());
        assert!(without.factors.iter().all(|f| f.factor != Factor::Accounts));
        let with = fit(
            &vendor(),
            &agency(),
            Some(AccountOverlap {
                ours: 1000,
                theirs: 200,
                shared: 50,
            }),
            &Weights::default(),
        );
        let accounts = with.factors.last().expect("accounts factor");
        assert_eq!(accounts.factor, Factor::Accounts);
        assert_eq!(accounts.score, 1.0);
        assert_eq!(
            accounts.evidence,
            vec!["50 shared accounts: 25% of the smaller account list".to_owned()]
        );
    }

    #[test]
    fn weights_change_the_ranking() {
        // One candidate shares values, the other shares the audience.
        let mut same_values = agency();
        same_values.audience = Audience::default();
        same_values.values = vendor().values;
        let mut same_buyers = agency();
        same_buyers.values = tags(&["speed"]);
        let values_first = Weights {
            audience: 0,
            values: 100,
            ..Weights::default()
        };
        let audience_first = Weights {
            audience: 100,
            values: 0,
            ..Weights::default()
        };
        assert!(
            fit(&vendor(), &same_values, None, &values_first).score
                > fit(&vendor(), &same_buyers, None, &values_first).score
        );
        assert!(
            fit(&vendor(), &same_buyers, None, &audience_first).score
                > fit(&vendor(), &same_values, None, &audience_first).score
        );
    }

    #[test]
    fn all_weights_zero_gives_zero_not_a_division_by_zero() {
        let zero = Weights {
            audience: 0,
            complement: 0,
            values: 0,
            capabilities: 0,
            accounts: 0,
        };
        assert_eq!(fit(&vendor(), &agency(), None, &zero).score, 0);
    }

    fn arbitrary_tags() -> impl Strategy<Value = BTreeSet<String>> {
        proptest::collection::btree_set("[a-e]{1,2}", 0..5)
    }

    fn arbitrary_profile() -> impl Strategy<Value = Profile> {
        (
            arbitrary_tags(),
            arbitrary_tags(),
            arbitrary_tags(),
            arbitrary_tags(),
            arbitrary_tags(),
        )
            .prop_map(|(offerings, industries, regions, values, avoids)| Profile {
                offerings,
                audience: Audience {
                    industries,
                    regions,
                    ..Default::default()
                },
                values,
                avoids,
                ..Default::default()
            })
    }

    proptest! {
        #[test]
        fn scores_stay_in_range_and_repeat_exactly(a in arbitrary_profile(), b in arbitrary_profile(), shared in 0u64..100) {
            let accounts = Some(AccountOverlap { ours: 100, theirs: 150, shared });
            let first = fit(&a, &b, accounts, &Weights::default());
            prop_assert!(first.score <= 100);
            prop_assert!(first.factors.iter().all(|f| (0.0..=1.0).contains(&f.score)));
            prop_assert_eq!(first, fit(&a, &b, accounts, &Weights::default()));
        }

        #[test]
        fn audience_and_values_are_symmetric(a in arbitrary_profile(), b in arbitrary_profile()) {
            let ab = fit(&a, &b, None, &Weights::default());
            let ba = fit(&b, &a, None, &Weights::default());
            prop_assert_eq!(ab.factors[0].score, ba.factors[0].score);
            prop_assert_eq!(ab.factors[2].score, ba.factors[2].score);
        }
    }
}
