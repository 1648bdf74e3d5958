//! Roles, RACI and rules of engagement: who does what in a partnership, and the rules both
//! sides agree to work by.

use std::collections::BTreeMap;

use comark_domain::engagement::{plausible_time_zone, role_key, Raci, AREAS, ROLES, RULE_SECTIONS};
use comark_domain::{Action, Email, PartnershipId, ValidationErrors};
use comark_store::engagement::Engagement;
use comark_store::{Actor, OrgScope};

use crate::exit::ensure_active;
use crate::orgs::require;
use crate::{App, Result};

/// The partnership's roles, RACI (with its gaps) and rules.
pub async fn view(app: &App, scope: &OrgScope, id: PartnershipId) -> Result<Engagement> {
    require(scope, Action::View)?;
    Ok(app.store.org(scope).engagement(id, &AREAS).await?)
}

/// Names our holder of a role (a standard one or any other named role); an empty name clears it.
pub async fn set_role(
    app: &App,
    scope: &OrgScope,
    id: PartnershipId,
    role: &str,
    person: &str,
    email: &str,
    actor: &Actor,
) -> Result<Engagement> {
    require(scope, Action::ManagePartnerships)?;
    ensure_active(app, scope, id).await?;
    let mut errors = ValidationErrors::default();
    let role = role_key(role);
    let standard = ROLES.iter().any(|(key, _)| *key == role);
    if !standard
        && (role.is_empty()
            || role.chars().count() > 60
            || !role.chars().all(|c| c.is_alphanumeric() || c == '_'))
    {
        errors.add(
            "role",
            "name the role in up to 60 letters, digits or spaces",
        );
    }
    let person = person.trim();
    if person.chars().count() > 120 {
        errors.add("person", "must be at most 120 characters");
    }
    let email = email.trim();
    if !email.is_empty() {
        errors.check("email", Email::parse(email));
    }
    errors.into_result()?;
    let store = app.store.org(scope);
    store.set_role(id, &role, person, email, actor).await?;
    Ok(store.engagement(id, &AREAS).await?)
}

/// Sets our part (R, A, C, I letters) in an activity area.
pub async fn set_raci(
    app: &App,
    scope: &OrgScope,
    id: PartnershipId,
    area: &str,
    letters: &str,
    actor: &Actor,
) -> Result<Engagement> {
    require(scope, Action::ManagePartnerships)?;
    ensure_active(app, scope, id).await?;
    let mut errors = ValidationErrors::default();
    let area = area.trim();
    if area.is_empty() || area.chars().count() > 80 {
        errors.add("area", "must be between 1 and 80 characters");
    }
    let raci = Raci::parse(letters);
    if raci.is_none() {
        errors.add("letters", "use the letters R, A, C and I");
    }
    errors.into_result()?;
    let store = app.store.org(scope);
    store
        .set_raci(id, area, raci.unwrap_or_default(), actor)
        .await?;
    Ok(store.engagement(id, &AREAS).await?)
}

/// Writes a new version of the rules of engagement (and our team's time zone), unless they
/// say what the current version says: a new version would only ask every member to approve
/// the same rules again. Returns the engagement and whether a new version was written.
pub async fn save_rules(
    app: &App,
    scope: &OrgScope,
    id: PartnershipId,
    rules: &BTreeMap<String, String>,
    time_zone: Option<&str>,
    actor: &Actor,
) -> Result<(Engagement, bool)> {
    require(scope, Action::ManagePartnerships)?;
    ensure_active(app, scope, id).await?;
    let mut errors = ValidationErrors::default();
    let mut kept = BTreeMap::new();
    for (section, text) in rules {
        if !RULE_SECTIONS.iter().any(|(key, _, _)| key == section) {
            errors.add(format!("rules.{section}"), "is not a section of the rules");
        } else if text.trim().chars().count() > 2000 {
            errors.add(
                format!("rules.{section}"),
                "must be at most 2000 characters",
            );
        } else if !text.trim().is_empty() {
            kept.insert(section.clone(), text.trim().to_owned());
        }
    }
    let time_zone = time_zone.map(str::trim).filter(|z| !z.is_empty());
    if time_zone.is_some_and(|z| !plausible_time_zone(z)) {
        errors.add(
            "time_zone",
            "use a time zone name such as Europe/Berlin or UTC",
        );
    }
    errors.into_result()?;
    let store = app.store.org(scope);
    let current = store.engagement(id, &AREAS).await?;
    let same_zone = time_zone.is_none_or(|zone| {
        current
            .time_zones
            .get(&scope.org().handle)
            .map(String::as_str)
            == Some(zone)
    });
    if kept == current.rules && same_zone {
        return Ok((current, false));
    }
    store.save_rules(id, &kept, time_zone, actor).await?;
    Ok((store.engagement(id, &AREAS).await?, true))
}

/// Approves the rules as they are at `version`.
pub async fn approve_rules(
    app: &App,
    scope: &OrgScope,
    id: PartnershipId,
    version: i64,
    actor: &Actor,
) -> Result<Engagement> {
    require(scope, Action::ManagePartnerships)?;
    ensure_active(app, scope, id).await?;
    let store = app.store.org(scope);
    store.approve_rules(id, version, actor).await?;
    Ok(store.engagement(id, &AREAS).await?)
}
