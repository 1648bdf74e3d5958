//! Partner profiles, the directory, and fit between organizations.

use std::collections::BTreeSet;

use comark_domain::fit::{self, Audience, Capability, Fit, PartnerKind, Profile, Weights};
use comark_domain::{Action, FieldError, OrgHandle, ValidationErrors};
use comark_store::{Actor, OrgScope, Organization, StoredProfile};
use serde::{Deserialize, Serialize};

use crate::orgs::require;
use crate::{App, AppError, Result};

/// The most tags one list of a profile may hold.
pub const MAX_TAGS: usize = 30;
/// The longest tag.
pub const MAX_TAG_CHARS: usize = 60;

/// A profile as typed into a form or sent to the API: plain lists of words.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(default)]
pub struct ProfileInput {
    /// technology, services, channel, alliance, agency, media, creator or community.
    pub kind: Option<String>,
    /// What it sells.
    pub offerings: Vec<String>,
    /// Industries it sells to.
    pub industries: Vec<String>,
    /// Company sizes it sells to.
    pub company_sizes: Vec<String>,
    /// Regions it sells in.
    pub regions: Vec<String>,
    /// Roles it sells to.
    pub roles: Vec<String>,
    /// Brand values.
    pub values: Vec<String>,
    /// What it will not be associated with.
    pub avoids: Vec<String>,
    /// What it does in practice.
    pub practices: Vec<String>,
    /// Capabilities it brings.
    pub offers: Vec<String>,
    /// Capabilities it looks for.
    pub looking_for: Vec<String>,
    /// Kinds of partner it looks for.
    pub seeks_kinds: Vec<String>,
    /// Newsletter subscribers.
    pub newsletter_subscribers: Option<u64>,
    /// Followers across its social accounts.
    pub social_followers: Option<u64>,
    /// Events (including webinars) a year.
    pub events_per_year: Option<u64>,
    /// Whether to list it in the directory.
    pub listed: bool,
}

/// The largest reach a profile may claim: more than anyone's audience, less than overflow.
pub const MAX_REACH: u64 = 10_000_000_000;

fn parse_kind(raw: &str) -> Option<PartnerKind> {
    serde_json::from_value(serde_json::Value::String(
        raw.trim().to_lowercase().replace([' ', '-'], "_"),
    ))
    .ok()
}

fn parse_capability(raw: &str) -> Option<Capability> {
    serde_json::from_value(serde_json::Value::String(
        raw.trim().to_lowercase().replace([' ', '-'], "_"),
    ))
    .ok()
}

fn tags(field: &str, raw: &[String], errors: &mut ValidationErrors) -> BTreeSet<String> {
    let tags: BTreeSet<String> = raw
        .iter()
        .flat_map(|item| item.split(','))
        .map(|tag| {
            tag.split_whitespace()
                .collect::<Vec<_>>()
                .join(" ")
                .to_lowercase()
        })
        .filter(|tag| !tag.is_empty())
        .collect();
    if tags.len() > MAX_TAGS {
        errors.0.push(FieldError {
            field: field.into(),
            message: format!("may hold at most {MAX_TAGS} entries"),
        });
    }
    if let Some(long) = tags
        .iter()
        .find(|tag| tag.chars().count() > MAX_TAG_CHARS || tag.chars().any(char::is_control))
    {
        errors.0.push(FieldError {
            field: field.into(),
            message: format!(
                "\"{}\" must be at most {MAX_TAG_CHARS} characters of plain text",
                long.chars().take(20).collect::<String>()
            ),
        });
    }
    tags
}

fn set_of<T: Ord>(
    field: &str,
    raw: &[String],
    parse: fn(&str) -> Option<T>,
    errors: &mut ValidationErrors,
    allowed: &str,
) -> BTreeSet<T> {
    let mut out = BTreeSet::new();
    for item in raw
        .iter()
        .flat_map(|item| item.split(','))
        .map(str::trim)
        .filter(|item| !item.is_empty())
    {
        match parse(item) {
            Some(value) => {
                out.insert(value);
            }
            None => errors.0.push(FieldError {
                field: field.into(),
                message: format!(
                    "\"{}\" is not one of: {allowed}",
                    item.chars().take(30).collect::<String>()
                ),
            }),
        }
    }
    out
}

const KINDS: &str = "technology, services, channel, alliance, agency, media, creator, community";
const CAPABILITIES: &str =
    "content, events, webinars, newsletter, social, paid_media, co_selling, integration";

impl ProfileInput {
    /// Parses the input into a profile, naming every bad field.
    pub fn parse(&self) -> Result<Profile, ValidationErrors> {
        let mut errors = ValidationErrors::default();
        let kind = match self
            .kind
            .as_deref()
            .map(str::trim)
            .filter(|k| !k.is_empty())
        {
            Some(raw) => match parse_kind(raw) {
                Some(kind) => Some(kind),
                None => {
                    errors.0.push(FieldError {
                        field: "kind".into(),
                        message: format!("must be one of: {KINDS}"),
                    });
                    None
                }
            },
            None => None,
        };
        let profile = Profile {
            kind,
            offerings: tags("offerings", &self.offerings, &mut errors),
            audience: Audience {
                industries: tags("industries", &self.industries, &mut errors),
                company_sizes: tags("company_sizes", &self.company_sizes, &mut errors),
                regions: tags("regions", &self.regions, &mut errors),
                roles: tags("roles", &self.roles, &mut errors),
            },
            values: tags("values", &self.values, &mut errors),
            avoids: tags("avoids", &self.avoids, &mut errors),
            practices: tags("practices", &self.practices, &mut errors),
            offers: set_of(
                "offers",
                &self.offers,
                parse_capability,
                &mut errors,
                CAPABILITIES,
            ),
            looking_for: set_of(
                "looking_for",
                &self.looking_for,
                parse_capability,
                &mut errors,
                CAPABILITIES,
            ),
            seeks_kinds: set_of(
                "seeks_kinds",
                &self.seeks_kinds,
                parse_kind,
                &mut errors,
                KINDS,
            ),
            reach: fit::Reach {
                newsletter_subscribers: self.newsletter_subscribers,
                social_followers: self.social_followers,
                events_per_year: self.events_per_year,
            },
        };
        for (field, value) in [
            ("newsletter_subscribers", self.newsletter_subscribers),
            ("social_followers", self.social_followers),
            ("events_per_year", self.events_per_year),
        ] {
            if value.is_some_and(|v| v > MAX_REACH) {
                errors.add(field, "is larger than any audience");
            }
        }
        errors.into_result().map(|()| profile)
    }
}

/// The organization's own profile, empty if never written.
pub async fn own_profile(app: &App, scope: &OrgScope) -> Result<StoredProfile> {
    require(scope, Action::View)?;
    Ok(app
        .store
        .org(scope)
        .profile()
        .await?
        .unwrap_or(StoredProfile {
            profile: Profile::default(),
            listed: false,
            updated_at: scope.org().created_at,
        }))
}

/// Saves the organization's profile.
pub async fn save_profile(
    app: &App,
    scope: &OrgScope,
    input: &ProfileInput,
    actor: &Actor,
) -> Result<StoredProfile> {
    require(scope, Action::EditProfile)?;
    let profile = input.parse()?;
    app.store
        .org(scope)
        .save_profile(&profile, input.listed, actor)
        .await?;
    own_profile(app, scope).await
}

/// A candidate partner and how well it fits.
#[derive(Clone, Debug)]
pub struct Candidate {
    /// The organization.
    pub org: Organization,
    /// What it says about itself.
    pub profile: StoredProfile,
    /// Its fit with us, with reasons.
    pub fit: Fit,
}

/// Every organization whose profile we may read, best fit first (ties by name).
pub async fn directory(
    app: &App,
    scope: &OrgScope,
    weights: &Weights,
    filter: &DirectoryFilter,
) -> Result<Vec<Candidate>> {
    require(scope, Action::View)?;
    let ours = own_profile(app, scope).await?.profile;
    let mut candidates: Vec<Candidate> = Vec::new();
    for (org, profile) in app.store.org(scope).visible_profiles().await? {
        if !filter.admits(&profile.profile) {
            continue;
        }
        let shared = account_overlap(app, scope, &org).await?;
        let fit = fit::fit(&ours, &profile.profile, shared, weights);
        candidates.push(Candidate { org, profile, fit });
    }
    candidates.sort_by(|a, b| {
        b.fit
            .score
            .cmp(&a.fit.score)
            .then_with(|| a.org.name.cmp(&b.org.name))
    });
    Ok(candidates)
}

/// Narrows the directory down: only profiles of this kind, serving this industry, in this region.
#[derive(Clone, Debug, Default)]
pub struct DirectoryFilter {
    /// The partner kind.
    pub kind: Option<PartnerKind>,
    /// An industry the candidate sells to.
    pub industry: Option<String>,
    /// A region the candidate sells in.
    pub region: Option<String>,
}

impl DirectoryFilter {
    /// A filter from raw words (a query string); empty words filter nothing.
    pub fn parse(
        kind: Option<&str>,
        industry: Option<&str>,
        region: Option<&str>,
    ) -> Result<Self, ValidationErrors> {
        let word = |raw: Option<&str>| {
            raw.map(|w| w.trim().to_lowercase())
                .filter(|w| !w.is_empty())
        };
        let kind = match word(kind) {
            Some(raw) => Some(parse_kind(&raw).ok_or_else(|| {
                ValidationErrors::single("kind", format!("must be one of: {KINDS}"))
            })?),
            None => None,
        };
        Ok(DirectoryFilter {
            kind,
            industry: word(industry),
            region: word(region),
        })
    }

    fn admits(&self, profile: &Profile) -> bool {
        self.kind.is_none_or(|kind| profile.kind == Some(kind))
            && self
                .industry
                .as_ref()
                .is_none_or(|i| profile.audience.industries.contains(i))
            && self
                .region
                .as_ref()
                .is_none_or(|r| profile.audience.regions.contains(r))
    }
}

/// One organization's profile and fit, if we may read it (listed, or a connected partner).
pub async fn candidate(
    app: &App,
    scope: &OrgScope,
    handle: &str,
    weights: &Weights,
) -> Result<Candidate> {
    require(scope, Action::View)?;
    let handle = OrgHandle::parse(handle).map_err(|_| AppError::NotFound)?;
    let org = app
        .store
        .org_by_handle(handle.as_str())
        .await?
        .ok_or(AppError::NotFound)?;
    let profile = app
        .store
        .org(scope)
        .visible_profile(org.id)
        .await?
        .ok_or(AppError::NotFound)?;
    let ours = own_profile(app, scope).await?.profile;
    let shared = account_overlap(app, scope, &org).await?;
    let fit = fit::fit(&ours, &profile.profile, shared, weights);
    Ok(Candidate { org, profile, fit })
}

/// The mapped account overlap with a connected partner, as far as it shares counts; the
/// fit's accounts factor is left out otherwise.
async fn account_overlap(
    app: &App,
    scope: &OrgScope,
    other: &Organization,
) -> Result<Option<fit::AccountOverlap>> {
    let summary = app.store.org(scope).overlap_summary(other.id).await?;
    Ok(summary.map(|(ours, theirs, shared)| fit::AccountOverlap {
        ours,
        theirs,
        shared,
    }))
}

/// Weights from optional numbers (a form or a query string), 0 to 100 each.
pub fn weights_from(values: [Option<u32>; 5]) -> Result<Weights, ValidationErrors> {
    let defaults = Weights::default();
    let names = [
        "audience",
        "complement",
        "values",
        "capabilities",
        "accounts",
    ];
    let mut errors = ValidationErrors::default();
    for (value, name) in values.iter().zip(names) {
        if value.is_some_and(|v| v > 100) {
            errors.0.push(FieldError {
                field: name.into(),
                message: "must be between 0 and 100".into(),
            });
        }
    }
    errors.into_result()?;
    Ok(Weights {
        audience: values[0].unwrap_or(defaults.audience),
        complement: values[1].unwrap_or(defaults.complement),
        values: values[2].unwrap_or(defaults.values),
        capabilities: values[3].unwrap_or(defaults.capabilities),
        accounts: values[4].unwrap_or(defaults.accounts),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn comma_separated_tags_are_trimmed_lowered_and_deduplicated() {
        let input = ProfileInput {
            industries: vec!["Healthcare,  FinTech ".into(), "healthcare".into()],
            offers: vec!["Content, paid media".into()],
            kind: Some("Agency".into()),
            ..Default::default()
        };
        let profile = input.parse().expect("valid");
        assert_eq!(
            profile.audience.industries.into_iter().collect::<Vec<_>>(),
            vec!["fintech", "healthcare"]
        );
        assert_eq!(
            profile.offers.into_iter().collect::<Vec<_>>(),
            vec![Capability::Content, Capability::PaidMedia]
        );
        assert_eq!(profile.kind, Some(PartnerKind::Agency));
    }

    #[test]
    fn unknown_capabilities_and_kinds_are_named_by_field() {
        let input = ProfileInput {
            kind: Some("pirate".into()),
            looking_for: vec!["telepathy".into()],
            ..Default::default()
        };
        let errors = input.parse().expect_err("invalid");
        let fields: Vec<&str> = errors.0.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, vec!["kind", "looking_for"]);
    }
}
