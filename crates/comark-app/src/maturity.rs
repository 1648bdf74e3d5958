//! The ecosystem co-marketing maturity assessment: answer it, see the levels and the next
//! steps, compare with earlier answers, and see what comark's own evidence suggests.

use std::collections::{BTreeMap, BTreeSet};

use comark_domain::maturity::{self, Dimension, Evidence, Level, Levels, Suggestion};
use comark_domain::partnership::Stage;
use comark_domain::{Action, ConnectionStatus, ValidationErrors};
use comark_store::maturity::Assessment;
use comark_store::{Actor, OrgScope};
use serde::{Deserialize, Serialize};

use crate::orgs::require;
use crate::{App, Result};

/// What the maturity page and endpoint show.
#[derive(Clone, Debug, Serialize)]
pub struct Overview {
    /// Every assessment answered, newest first (the first is the current one).
    pub history: Vec<Assessment>,
    /// The levels comark's evidence supports, with reasons.
    pub suggestions: Vec<Suggestion>,
}

/// An assessment as a form or an API body gives it: level and note per dimension name.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default)]
pub struct AssessmentForm {
    /// Dimension name (strategy_icp...) to level name (one_off, coordinated, ecosystem).
    pub levels: BTreeMap<String, String>,
    /// Dimension name to a note.
    pub notes: BTreeMap<String, String>,
}

/// The assessments so far and what the evidence suggests.
pub async fn overview(app: &App, scope: &OrgScope) -> Result<Overview> {
    require(scope, Action::View)?;
    let history = app.store.org(scope).assessments(50).await?;
    let suggestions = maturity::suggest(&evidence(app, scope).await?);
    Ok(Overview {
        history,
        suggestions,
    })
}

/// Records an answered assessment; every dimension needs a level.
pub async fn assess(
    app: &App,
    scope: &OrgScope,
    form: AssessmentForm,
    actor: &Actor,
) -> Result<Assessment> {
    require(scope, Action::ManagePartnerships)?;
    let mut errors = ValidationErrors::default();
    for name in form.levels.keys().chain(form.notes.keys()) {
        if Dimension::parse(name).is_none() {
            errors.add(format!("levels.{name}"), "is not a dimension of the matrix");
        }
    }
    let mut levels = Levels::new();
    let mut notes = BTreeMap::new();
    for dimension in Dimension::ALL {
        let field = format!("levels.{}", dimension.as_str());
        match form.levels.get(dimension.as_str()).map(String::as_str) {
            None | Some("") => errors.add(field, "choose a level"),
            Some(raw) => match Level::parse(raw) {
                Some(level) => {
                    levels.insert(dimension, level);
                }
                None => errors.add(field, "must be one_off, coordinated or ecosystem"),
            },
        }
        if let Some(note) = form.notes.get(dimension.as_str()).map(|n| n.trim()) {
            if note.chars().count() > 1000 {
                errors.add(
                    format!("notes.{}", dimension.as_str()),
                    "must be at most 1000 characters",
                );
            } else if !note.is_empty() {
                notes.insert(dimension, note.to_owned());
            }
        }
    }
    errors.into_result()?;
    let store = app.store.org(scope);
    store.save_assessment(&levels, &notes, actor).await?;
    let latest = store.assessments(1).await?;
    latest
        .into_iter()
        .next()
        .ok_or_else(|| crate::AppError::Internal("the assessment just saved is missing".into()))
}

/// What comark holds that speaks to the organization's maturity.
pub async fn evidence(app: &App, scope: &OrgScope) -> Result<Evidence> {
    let store = app.store.org(scope);
    let ours = store
        .profile()
        .await?
        .map(|p| p.profile)
        .unwrap_or_default();
    let audience = &ours.audience;
    let icp_written = !(audience.industries.is_empty()
        && audience.company_sizes.is_empty()
        && audience.regions.is_empty()
        && audience.roles.is_empty());
    let partners: BTreeSet<_> = store
        .connections()
        .await?
        .into_iter()
        .filter(|c| c.status == ConnectionStatus::Accepted)
        .map(|c| c.partner_id)
        .collect();
    let partners_sharing_icp = store
        .visible_profiles()
        .await?
        .into_iter()
        .filter(|(org, profile)| {
            partners.contains(&org.id)
                && !profile
                    .profile
                    .audience
                    .industries
                    .is_disjoint(&audience.industries)
        })
        .count();
    let mut mapped_partners = 0;
    for partner in &partners {
        if store
            .overlap_summary(*partner)
            .await?
            .is_some_and(|(_, theirs, _)| theirs > 0)
        {
            mapped_partners += 1;
        }
    }
    let partnerships = store.partnerships().await?;
    let governed_partnerships = partnerships
        .iter()
        .filter(|p| p.stage >= Stage::WorkingTogether)
        .count();
    let mut handoff_agreements = 0;
    for partnership in partnerships.iter().filter(|p| p.stage != Stage::Exit) {
        let engagement = store
            .engagement(partnership.id, &comark_domain::engagement::AREAS)
            .await?;
        if engagement.agreed && engagement.rules.contains_key("lead_ownership") {
            handoff_agreements += 1;
        }
    }
    Ok(Evidence {
        icp_written,
        partners_sharing_icp,
        mapped_partners,
        governed_partnerships,
        handoff_agreements,
    })
}
