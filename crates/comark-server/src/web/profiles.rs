//! The partner profile form, the directory of candidate partners and a candidate's fit.

use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Response};
use comark_app::profiles::{self, Candidate, ProfileInput};
use comark_app::AppError;
use comark_domain::fit::{Capability, Fit, PartnerKind, Profile};
use comark_domain::Action;
use maud::{html, Markup};
use serde::Deserialize;

use super::layout::{csrf_field, error_page, page, Shell};
use super::session::{alert, error_for, form_response, general_error};
use super::{redirect_with_flash, Csrf, Flash, WebRoutes};
use crate::auth::WebOrg;
use crate::AppState;

pub(super) fn routes(routes: WebRoutes) -> WebRoutes {
    routes
        .get("/o/{org}/profile", profile_page)
        .post("/o/{org}/profile", save_profile)
        .get("/o/{org}/directory", directory_page)
        .get("/o/{org}/directory/{handle}", candidate_page)
}

const KINDS: [PartnerKind; 8] = [
    PartnerKind::Technology,
    PartnerKind::Services,
    PartnerKind::Channel,
    PartnerKind::Alliance,
    PartnerKind::Agency,
    PartnerKind::Media,
    PartnerKind::Creator,
    PartnerKind::Community,
];

const CAPABILITIES: [Capability; 8] = [
    Capability::Content,
    Capability::Events,
    Capability::Webinars,
    Capability::Newsletter,
    Capability::Social,
    Capability::PaidMedia,
    Capability::CoSelling,
    Capability::Integration,
];

fn word<T: serde::Serialize>(value: T) -> String {
    serde_json::to_value(value)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

fn shell<'a>(org: &'a WebOrg, title: &'a str, csrf: &'a str, flash: Option<&'a str>) -> Shell<'a> {
    super::org::shell(org, title, "partners", csrf, flash)
}

fn joined(items: &std::collections::BTreeSet<String>) -> String {
    items.iter().cloned().collect::<Vec<_>>().join(", ")
}

fn text_field(label: &str, hint: &str, name: &str, value: &str, error: Option<&str>) -> Markup {
    let id = format!("f-{name}");
    html! {
        div.field {
            label for=(id) { (label) }
            input id=(id) name=(name) type="text" value=(value) aria-describedby={ (id) "-hint" } aria-invalid=[error.map(|_| "true")];
            p.muted id={ (id) "-hint" } { (hint) }
            @if let Some(error) = error { p.error { (error) } }
        }
    }
}

fn profile_form(
    org: &WebOrg,
    csrf: &str,
    flash: Option<&str>,
    profile: &Profile,
    listed: bool,
    error: &Option<AppError>,
) -> Markup {
    let base = format!("/o/{}", org.scope.org().handle);
    let editable = org.scope.can(Action::EditProfile);
    let boxes = |name: &str, legend: &str, chosen: &std::collections::BTreeSet<Capability>| {
        html! {
            fieldset {
                legend { (legend) }
                @for capability in CAPABILITIES {
                    @let id = format!("{name}-{}", word(capability));
                    label.check for=(id) {
                        input id=(id) type="checkbox" name=(name) value=(word(capability)) checked[chosen.contains(&capability)];
                        " " (capability.label())
                    }
                }
                @if let Some(message) = error_for(error, name) { p.error { (message) } }
            }
        }
    };
    page(
        shell(org, "Partner profile", csrf, flash),
        html! {
            h1 { "Partner profile" }
            p { "What partners see of you, and what comark uses to find partners that fit. Lists are words separated by commas." }
            p { a href={ (base) "/directory" } { "Find partners in the directory" } }
            (alert(general_error(error)))
            @if !editable { p.notice { "Only owners, admins, partner managers and marketers can change the profile." } }
            form.stack method="post" action={ (base) "/profile" } {
                (csrf_field(csrf))
                div.field {
                    label for="f-kind" { "What kind of partner are you?" }
                    select #f-kind name="kind" {
                        option value="" selected[profile.kind.is_none()] { "Not said" }
                        @for kind in KINDS { option value=(word(kind)) selected[profile.kind == Some(kind)] { (word(kind)) } }
                    }
                    @if let Some(message) = error_for(error, "kind") { p.error { (message) } }
                }
                (text_field("What you sell", "for example: crm software, onboarding services", "offerings", &joined(&profile.offerings), error_for(error, "offerings")))
                h2 { "Your ideal customer" }
                (text_field("Industries", "healthcare, fintech, retail", "industries", &joined(&profile.audience.industries), error_for(error, "industries")))
                (text_field("Company sizes", "11-50, 51-500, 501-5000", "company_sizes", &joined(&profile.audience.company_sizes), error_for(error, "company_sizes")))
                (text_field("Regions", "emea, north america", "regions", &joined(&profile.audience.regions), error_for(error, "regions")))
                (text_field("Roles you sell to", "cmo, head of sales", "roles", &joined(&profile.audience.roles), error_for(error, "roles")))
                h2 { "Brand" }
                (text_field("Values you stand for", "privacy, sustainability", "values", &joined(&profile.values), error_for(error, "values")))
                (text_field("What you will not be associated with", "gambling, tobacco", "avoids", &joined(&profile.avoids), error_for(error, "avoids")))
                (text_field("What you do in practice", "industries you serve, methods", "practices", &joined(&profile.practices), error_for(error, "practices")))
                h2 { "Marketing together" }
                (boxes("offers", "What you can bring", &profile.offers))
                (boxes("looking_for", "What you look for in a partner", &profile.looking_for))
                h3 { "Your reach" }
                p.muted { "Numbers partners weigh a co-promotion by. Leave blank what you would rather not say." }
                (number_field("Newsletter subscribers", "newsletter_subscribers", profile.reach.newsletter_subscribers, error_for(error, "newsletter_subscribers")))
                (number_field("Social followers, all accounts together", "social_followers", profile.reach.social_followers, error_for(error, "social_followers")))
                (number_field("Events and webinars a year", "events_per_year", profile.reach.events_per_year, error_for(error, "events_per_year")))
                fieldset {
                    legend { "Kinds of partner you look for" }
                    @for kind in KINDS {
                        @let id = format!("seeks-{}", word(kind));
                        label.check for=(id) { input id=(id) type="checkbox" name="seeks_kinds" value=(word(kind)) checked[profile.seeks_kinds.contains(&kind)]; " " (word(kind)) }
                    }
                }
                label.check for="f-listed" {
                    input #f-listed type="checkbox" name="listed" value="yes" checked[listed];
                    " List us in the directory, so that any organization on this server can find this profile"
                }
                @if editable { button type="submit" { "Save profile" } }
            }
        },
    )
}

async fn profile_page(
    State(state): State<AppState>,
    org: WebOrg,
    Csrf(csrf): Csrf,
    Flash(flash): Flash,
) -> Response {
    match profiles::own_profile(&state.app, &org.scope).await {
        Ok(stored) => profile_form(
            &org,
            &csrf,
            flash.as_deref(),
            &stored.profile,
            stored.listed,
            &None,
        )
        .into_response(),
        Err(error) => error_page(error),
    }
}

async fn save_profile(
    State(state): State<AppState>,
    org: WebOrg,
    Csrf(csrf): Csrf,
    body: axum::body::Bytes,
) -> Response {
    // Every field arrives as name/value pairs: text fields once (commas split them later),
    // ticked boxes once per box.
    let pairs: Vec<(String, String)> = serde_urlencoded::from_bytes(&body).unwrap_or_default();
    let all = |name: &str| {
        pairs
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .collect::<Vec<_>>()
    };
    let input = ProfileInput {
        kind: all("kind").into_iter().next(),
        offerings: all("offerings"),
        industries: all("industries"),
        company_sizes: all("company_sizes"),
        regions: all("regions"),
        roles: all("roles"),
        values: all("values"),
        avoids: all("avoids"),
        practices: all("practices"),
        offers: all("offers"),
        looking_for: all("looking_for"),
        seeks_kinds: all("seeks_kinds"),
        newsletter_subscribers: None,
        social_followers: None,
        events_per_year: None,
        listed: !all("listed").is_empty(),
    };
    let mut input = input;
    let mut reach_errors = comark_domain::ValidationErrors::default();
    for (field, slot) in [
        ("newsletter_subscribers", &mut input.newsletter_subscribers),
        ("social_followers", &mut input.social_followers),
        ("events_per_year", &mut input.events_per_year),
    ] {
        let raw = all(field).into_iter().next().unwrap_or_default();
        let digits: String = raw
            .chars()
            .filter(|c| !matches!(c, ',' | ' ' | '_' | '.'))
            .collect();
        if digits.is_empty() {
            continue;
        }
        match digits.parse::<u64>() {
            Ok(n) => *slot = Some(n),
            Err(_) => reach_errors.add(field, "must be a whole number, like 40000"),
        }
    }
    let saved = match reach_errors.into_result() {
        Ok(()) => profiles::save_profile(&state.app, &org.scope, &input, &org.actor()).await,
        Err(errors) => Err(AppError::Invalid(errors)),
    };
    match saved {
        Ok(_) => redirect_with_flash(
            &format!("/o/{}/profile", org.scope.org().handle),
            "Your profile is saved.",
            state.settings.secure_cookies,
        ),
        Err(AppError::Forbidden) => error_page(AppError::Forbidden),
        Err(error) => {
            let error = Some(error);
            let draft = input.parse().unwrap_or_default();
            form_response(
                &error,
                profile_form(&org, &csrf, None, &draft, input.listed, &error),
            )
        }
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct WeightsForm {
    audience: Option<u32>,
    complement: Option<u32>,
    values: Option<u32>,
    capabilities: Option<u32>,
    accounts: Option<u32>,
    kind: Option<String>,
    industry: Option<String>,
    region: Option<String>,
}

fn fit_breakdown(fit: &Fit) -> Markup {
    html! {
        table.fit {
            thead { tr { th { "Factor" } th { "Score" } th { "Weight" } th { "Why" } } }
            tbody {
                @for factor in &fit.factors {
                    tr {
                        td { (word(factor.factor)) }
                        td {
                            meter min="0" max="1" value=(format!("{:.2}", factor.score)) aria-hidden="true" {}
                            " " (format!("{:.0}%", factor.score * 100.0))
                        }
                        td { (factor.weight) }
                        td { ul { @for reason in &factor.evidence { li { (reason) } } } }
                    }
                }
            }
        }
    }
}

async fn directory_page(
    State(state): State<AppState>,
    org: WebOrg,
    Csrf(csrf): Csrf,
    Query(query): Query<WeightsForm>,
) -> Response {
    let weights = match profiles::weights_from([
        query.audience,
        query.complement,
        query.values,
        query.capabilities,
        query.accounts,
    ]) {
        Ok(weights) => weights,
        Err(errors) => return error_page(errors.into()),
    };
    let filter = match profiles::DirectoryFilter::parse(
        query.kind.as_deref(),
        query.industry.as_deref(),
        query.region.as_deref(),
    ) {
        Ok(filter) => filter,
        Err(errors) => return error_page(errors.into()),
    };
    let candidates: Vec<Candidate> =
        match profiles::directory(&state.app, &org.scope, &weights, &filter).await {
            Ok(candidates) => candidates,
            Err(error) => return error_page(error),
        };
    let base = format!("/o/{}", org.scope.org().handle);
    let weight_field = |name: &str, label: &str, value: u32| {
        html! { div.field { label for={ "w-" (name) } { (label) } input id={ "w-" (name) } type="number" min="0" max="100" name=(name) value=(value); } }
    };
    page(
        shell(&org, "Directory", &csrf, None),
        html! {
            h1 { "Find partners" }
            p { "Organizations that listed their profile on this server, and your partners, ranked by how well they fit " a href={ (base) "/profile" } { "your profile" } "." }
            details {
                summary { "Filter and adjust what counts" }
                form.weights method="get" action={ (base) "/directory" } {
                    div.field {
                        label for="d-kind" { "Kind" }
                        select #d-kind name="kind" {
                            option value="" { "Any" }
                            @for kind in KINDS { option value=(word(kind)) selected[filter.kind == Some(kind)] { (word(kind)) } }
                        }
                    }
                    div.field { label for="d-industry" { "Industry" } input #d-industry type="text" name="industry" value=(filter.industry.clone().unwrap_or_default()); }
                    div.field { label for="d-region" { "Region" } input #d-region type="text" name="region" value=(filter.region.clone().unwrap_or_default()); }
                    (weight_field("audience", "Audience", weights.audience))
                    (weight_field("complement", "Complementary offerings", weights.complement))
                    (weight_field("values", "Shared values", weights.values))
                    (weight_field("capabilities", "Capabilities", weights.capabilities))
                    button.secondary type="submit" { "Rank again" }
                }
            }
            @if candidates.is_empty() {
                p.empty { "No profiles match. When other organizations list their profile, they appear here; a filter may also leave none." }
            } @else {
                ol.cards {
                    @for candidate in &candidates {
                        li {
                            strong { a href={ (base) "/directory/" (candidate.org.handle) } { (candidate.org.name) } }
                            " " span.muted { "@" (candidate.org.handle) }
                            " " span.score aria-label={ "fit " (candidate.fit.score) " out of 100" } { (candidate.fit.score) }
                            details { summary { "Why" } (fit_breakdown(&candidate.fit)) }
                        }
                    }
                }
            }
        },
    )
    .into_response()
}

async fn candidate_page(
    State(state): State<AppState>,
    org: WebOrg,
    Csrf(csrf): Csrf,
    Path((_, handle)): Path<(String, String)>,
) -> Response {
    let candidate =
        match profiles::candidate(&state.app, &org.scope, &handle, &Default::default()).await {
            Ok(candidate) => candidate,
            Err(error) => return error_page(error),
        };
    let p = &candidate.profile.profile;
    let row = |label: &str, items: &std::collections::BTreeSet<String>| html! { @if !items.is_empty() { dt { (label) } dd { (joined(items)) } } };
    page(
        shell(&org, &candidate.org.name, &csrf, None),
        html! {
            h1 { (candidate.org.name) }
            p.muted { "@" (candidate.org.handle) @if let Some(kind) = p.kind { " · " (word(kind)) } }
            h2 { "Fit with you: " (candidate.fit.score) " of 100" }
            (fit_breakdown(&candidate.fit))
            h2 { "Their profile" }
            dl {
                (row("Sells", &p.offerings))
                (row("Industries", &p.audience.industries))
                (row("Company sizes", &p.audience.company_sizes))
                (row("Regions", &p.audience.regions))
                (row("Roles", &p.audience.roles))
                (row("Values", &p.values))
                @if !p.offers.is_empty() { dt { "Brings" } dd { (p.offers.iter().map(|c| c.label()).collect::<Vec<_>>().join(", ")) } }
                @if !p.looking_for.is_empty() { dt { "Looks for" } dd { (p.looking_for.iter().map(|c| c.label()).collect::<Vec<_>>().join(", ")) } }
                @for capability in [comark_domain::fit::Capability::Newsletter, comark_domain::fit::Capability::Social, comark_domain::fit::Capability::Events] {
                    @if let Some(reach) = p.reach.of(capability) { dt { "Reach" } dd { (reach) } }
                }
            }
        },
    )
    .into_response()
}

/// A number input for a reach figure.
fn number_field(label: &str, name: &str, value: Option<u64>, error: Option<&str>) -> Markup {
    let id = format!("f-{name}");
    html! {
        div.field {
            label for=(id) { (label) }
            input id=(id) name=(name) type="text" inputmode="numeric" value=[value.map(|v| v.to_string())]
                aria-invalid=[error.map(|_| "true")];
            @if let Some(message) = error { p.error { (message) } }
        }
    }
}
