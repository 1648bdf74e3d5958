//! The partner profile, the directory of candidate partners, and explained fit.

use axum::extract::State;
use axum::Json;
use comark_app::profiles::{self, Candidate, ProfileInput};
use comark_domain::fit::{Fit, Profile};
use comark_domain::ValidationErrors;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::extract::{ApiJson, ApiPath, ApiQuery};
use crate::auth::ApiOrg;
use crate::error::{ApiError, Problem};
use crate::AppState;

/// A partner profile: every list holds lower-case words or short phrases.
#[derive(Serialize, Deserialize, ToSchema, Default)]
#[serde(default)]
pub struct ProfileBody {
    /// technology, services, channel, alliance, agency, media, creator or community.
    pub kind: Option<String>,
    /// What the organization sells.
    pub offerings: Vec<String>,
    /// Industries it sells to.
    pub industries: Vec<String>,
    /// Company sizes it sells to ("51-500").
    pub company_sizes: Vec<String>,
    /// Regions it sells in.
    pub regions: Vec<String>,
    /// Roles it sells to.
    pub roles: Vec<String>,
    /// Brand values it stands for.
    pub values: Vec<String>,
    /// What it will not be associated with.
    pub avoids: Vec<String>,
    /// What it does in practice.
    pub practices: Vec<String>,
    /// Capabilities it brings: content, events, webinars, newsletter, social, paid_media, co_selling, integration.
    pub offers: Vec<String>,
    /// Capabilities it looks for (same words as `offers`).
    pub looking_for: Vec<String>,
    /// Kinds of partner it looks for (same words as `kind`).
    pub seeks_kinds: Vec<String>,
    /// Newsletter subscribers.
    pub newsletter_subscribers: Option<u64>,
    /// Followers across its social accounts.
    pub social_followers: Option<u64>,
    /// Events (including webinars) it runs a year.
    pub events_per_year: Option<u64>,
    /// Whether any organization on this instance may find it in the directory.
    pub listed: bool,
}

fn words<T: Serialize>(items: impl IntoIterator<Item = T>) -> Vec<String> {
    items
        .into_iter()
        .filter_map(|item| serde_json::to_value(item).ok())
        .filter_map(|value| value.as_str().map(str::to_owned))
        .collect()
}

impl ProfileBody {
    fn from_profile(profile: &Profile, listed: bool) -> Self {
        ProfileBody {
            kind: profile
                .kind
                .and_then(|kind| words([kind]).into_iter().next()),
            offerings: profile.offerings.iter().cloned().collect(),
            industries: profile.audience.industries.iter().cloned().collect(),
            company_sizes: profile.audience.company_sizes.iter().cloned().collect(),
            regions: profile.audience.regions.iter().cloned().collect(),
            roles: profile.audience.roles.iter().cloned().collect(),
            values: profile.values.iter().cloned().collect(),
            avoids: profile.avoids.iter().cloned().collect(),
            practices: profile.practices.iter().cloned().collect(),
            offers: words(&profile.offers),
            looking_for: words(&profile.looking_for),
            seeks_kinds: words(&profile.seeks_kinds),
            newsletter_subscribers: profile.reach.newsletter_subscribers,
            social_followers: profile.reach.social_followers,
            events_per_year: profile.reach.events_per_year,
            listed,
        }
    }

    fn into_input(self) -> ProfileInput {
        ProfileInput {
            kind: self.kind,
            offerings: self.offerings,
            industries: self.industries,
            company_sizes: self.company_sizes,
            regions: self.regions,
            roles: self.roles,
            values: self.values,
            avoids: self.avoids,
            practices: self.practices,
            offers: self.offers,
            looking_for: self.looking_for,
            seeks_kinds: self.seeks_kinds,
            newsletter_subscribers: self.newsletter_subscribers,
            social_followers: self.social_followers,
            events_per_year: self.events_per_year,
            listed: self.listed,
        }
    }
}

/// One factor of a fit score.
#[derive(Serialize, ToSchema)]
pub struct FactorOut {
    /// audience, complement, values, capabilities or accounts.
    pub factor: String,
    /// From 0 to 1.
    pub score: f64,
    /// Its weight in the total.
    pub weight: u32,
    /// Facts a person can check.
    pub evidence: Vec<String>,
}

/// A fit score with its reasons.
#[derive(Serialize, ToSchema)]
pub struct FitOut {
    /// From 0 to 100.
    pub score: u8,
    /// Per factor, in a fixed order.
    pub factors: Vec<FactorOut>,
}

impl From<Fit> for FitOut {
    fn from(fit: Fit) -> Self {
        FitOut {
            score: fit.score,
            factors: fit
                .factors
                .into_iter()
                .map(|f| FactorOut {
                    factor: words([f.factor]).into_iter().next().unwrap_or_default(),
                    score: f.score,
                    weight: f.weight,
                    evidence: f.evidence,
                })
                .collect(),
        }
    }
}

/// A candidate partner.
#[derive(Serialize, ToSchema)]
pub struct CandidateOut {
    /// Its handle.
    pub handle: String,
    /// Its name.
    pub name: String,
    /// Its profile.
    pub profile: ProfileBody,
    /// How well it fits yours, and why.
    pub fit: FitOut,
}

impl From<Candidate> for CandidateOut {
    fn from(c: Candidate) -> Self {
        CandidateOut {
            handle: c.org.handle,
            name: c.org.name,
            profile: ProfileBody::from_profile(&c.profile.profile, c.profile.listed),
            fit: c.fit.into(),
        }
    }
}

/// The ranked directory.
#[derive(Serialize, ToSchema)]
pub struct DirectoryOut {
    /// Best fit first.
    pub items: Vec<CandidateOut>,
}

/// Weights of the fit factors, 0 to 100 each (defaults 30, 20, 20, 15, 15), and filters.
///
/// The weights are read as text and checked here, so that a bad one is a field error
/// naming it (422) rather than a query that fails to parse (400).
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct WeightsQuery {
    /// Weight of the audience overlap.
    #[param(value_type = Option<u32>, minimum = 0, maximum = 100, default = 30)]
    pub audience: Option<String>,
    /// Weight of complementary offerings.
    #[param(value_type = Option<u32>, minimum = 0, maximum = 100, default = 20)]
    pub complement: Option<String>,
    /// Weight of shared values.
    #[param(value_type = Option<u32>, minimum = 0, maximum = 100, default = 20)]
    pub values: Option<String>,
    /// Weight of capabilities each side brings the other.
    #[param(value_type = Option<u32>, minimum = 0, maximum = 100, default = 15)]
    pub capabilities: Option<String>,
    /// Weight of shared accounts.
    #[param(value_type = Option<u32>, minimum = 0, maximum = 100, default = 15)]
    pub accounts: Option<String>,
    /// Only partners of this kind (technology, services, channel, alliance, agency, media, creator, community).
    pub kind: Option<String>,
    /// Only partners selling to this industry.
    pub industry: Option<String>,
    /// Only partners selling in this region.
    pub region: Option<String>,
}

impl WeightsQuery {
    fn weights(&self) -> Result<comark_domain::fit::Weights, ApiError> {
        let mut errors = ValidationErrors::default();
        let mut read = |field: &str, raw: &Option<String>| match raw.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(raw) => match raw.parse::<u32>() {
                Ok(weight) if weight <= 100 => Some(weight),
                _ => {
                    errors.add(field, "must be a whole number from 0 to 100");
                    None
                }
            },
        };
        let weights = [
            read("audience", &self.audience),
            read("complement", &self.complement),
            read("values", &self.values),
            read("capabilities", &self.capabilities),
            read("accounts", &self.accounts),
        ];
        errors.into_result()?;
        Ok(profiles::weights_from(weights)?)
    }
}

/// Your organization's partner profile.
#[utoipa::path(get, path = "/api/v1/orgs/{org}/profile", tag = "profiles", params(("org" = String, Path)),
    responses((status = 200, body = ProfileBody), (status = 404, body = Problem, content_type = "application/problem+json")))]
pub async fn get_profile(
    State(state): State<AppState>,
    org: ApiOrg,
) -> Result<Json<ProfileBody>, ApiError> {
    let stored = profiles::own_profile(&state.app, &org.scope).await?;
    Ok(Json(ProfileBody::from_profile(
        &stored.profile,
        stored.listed,
    )))
}

/// Replaces your organization's partner profile (owners, admins, partner managers, marketers).
#[utoipa::path(put, path = "/api/v1/orgs/{org}/profile", tag = "profiles", params(("org" = String, Path)), request_body = ProfileBody,
    responses((status = 200, body = ProfileBody), (status = 403, body = Problem, content_type = "application/problem+json"),
              (status = 404, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")))]
pub async fn put_profile(
    State(state): State<AppState>,
    org: ApiOrg,
    ApiJson(body): ApiJson<ProfileBody>,
) -> Result<Json<ProfileBody>, ApiError> {
    let stored =
        profiles::save_profile(&state.app, &org.scope, &body.into_input(), &org.actor()).await?;
    Ok(Json(ProfileBody::from_profile(
        &stored.profile,
        stored.listed,
    )))
}

/// Organizations you may consider as partners (listed in the directory, or already your
/// partners), ranked by fit with your profile, with the reasons.
#[utoipa::path(get, path = "/api/v1/orgs/{org}/directory", tag = "profiles", params(("org" = String, Path), WeightsQuery),
    responses((status = 200, body = DirectoryOut), (status = 404, body = Problem, content_type = "application/problem+json"),
              (status = 422, body = Problem, content_type = "application/problem+json")))]
pub async fn get_directory(
    State(state): State<AppState>,
    org: ApiOrg,
    ApiQuery(query): ApiQuery<WeightsQuery>,
) -> Result<Json<DirectoryOut>, ApiError> {
    let filter = profiles::DirectoryFilter::parse(
        query.kind.as_deref(),
        query.industry.as_deref(),
        query.region.as_deref(),
    )?;
    let candidates =
        profiles::directory(&state.app, &org.scope, &query.weights()?, &filter).await?;
    Ok(Json(DirectoryOut {
        items: candidates.into_iter().map(CandidateOut::from).collect(),
    }))
}

/// One organization's profile and its fit with yours.
#[utoipa::path(get, path = "/api/v1/orgs/{org}/directory/{handle}", tag = "profiles",
    params(("org" = String, Path), ("handle" = String, Path), WeightsQuery),
    responses((status = 200, body = CandidateOut), (status = 404, body = Problem, content_type = "application/problem+json"),
              (status = 422, body = Problem, content_type = "application/problem+json")))]
pub async fn get_candidate(
    State(state): State<AppState>,
    org: ApiOrg,
    ApiPath(path): ApiPath<(String, String)>,
    ApiQuery(query): ApiQuery<WeightsQuery>,
) -> Result<Json<CandidateOut>, ApiError> {
    let candidate = profiles::candidate(&state.app, &org.scope, &path.1, &query.weights()?).await?;
    Ok(Json(candidate.into()))
}
