//! Partnerships through the ISO 44001 lifecycle: start one with connected partners, keep
//! each stage's gate, and move on when the gate is met and, for joint stages, every member
//! agrees.

use std::collections::BTreeSet;

use chrono::NaiveDate;
use comark_domain::goals::ContributionKind;
use comark_domain::partnership::{Advance, RiskLevel, Stage, COMMON_RISKS};
use comark_domain::{
    Action, GateItemId, GoalId, OrgHandle, PartnershipId, RiskId, ValidationErrors,
};
use comark_store::goals::{GoalInput, Performance};
use comark_store::partnerships::{Partnership, PartnershipDetail, RiskInput};
use comark_store::{Actor, OrgScope};
use serde::Deserialize;

use crate::orgs::require;
use crate::{App, AppError, Result};

/// The partnerships the organization takes part in and may see.
pub async fn list(app: &App, scope: &OrgScope) -> Result<Vec<Partnership>> {
    require(scope, Action::View)?;
    Ok(app.store.org(scope).partnerships().await?)
}

/// One partnership, with its gates, approvals and history.
pub async fn get(app: &App, scope: &OrgScope, id: PartnershipId) -> Result<PartnershipDetail> {
    require(scope, Action::View)?;
    Ok(app.store.org(scope).partnership(id).await?)
}

/// A new partnership as a form or an API body gives it.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default)]
pub struct NewPartnership {
    /// Its name.
    pub name: String,
    /// What it is for.
    pub purpose: String,
    /// The handles of the partners, each a connected partner.
    pub partners: Vec<String>,
}

/// Starts a partnership at the awareness stage, its gates seeded from the organization's
/// template (comark's defaults where it kept them), with the evidence its internal
/// assessment already answers met.
pub async fn create(
    app: &App,
    scope: &OrgScope,
    input: NewPartnership,
    actor: &Actor,
) -> Result<PartnershipDetail> {
    create_from(app, scope, input, None, actor).await
}

/// `create`, and with `from_request` the accepted request it starts from is linked to it in
/// the same transaction (a request that has one refuses a second).
pub(crate) async fn create_from(
    app: &App,
    scope: &OrgScope,
    input: NewPartnership,
    from_request: Option<comark_domain::RequestId>,
    actor: &Actor,
) -> Result<PartnershipDetail> {
    require(scope, Action::ManagePartnerships)?;
    let mut errors = ValidationErrors::default();
    let name = input.name.trim();
    if name.is_empty() || name.chars().count() > 120 {
        errors.add("name", "must be between 1 and 120 characters");
    }
    let purpose = input.purpose.trim();
    if purpose.chars().count() > 2000 {
        errors.add("purpose", "must be at most 2000 characters");
    }
    let handles: BTreeSet<String> = input
        .partners
        .iter()
        .flat_map(|h| h.split(','))
        .map(|h| h.trim().trim_start_matches('@').to_lowercase())
        .filter(|h| !h.is_empty())
        .collect();
    if handles.is_empty() {
        errors.add("partners", "name at least one connected partner");
    }
    let mut partners = Vec::new();
    for handle in &handles {
        let org = match OrgHandle::parse(handle) {
            Ok(parsed) => app.store.org_by_handle(parsed.as_str()).await?,
            Err(_) => None,
        };
        let connected = match &org {
            Some(org) if org.id != scope.org_id() => app
                .store
                .org(scope)
                .accepted_connection_with(org.id)
                .await?
                .is_some(),
            _ => false,
        };
        match org {
            Some(org) if connected => partners.push(org.id),
            _ => errors.add("partners", format!("`{handle}` is not a connected partner")),
        }
    }
    errors.into_result()?;
    let id = app
        .store
        .org(scope)
        .create_partnership(name, purpose, &partners, from_request, actor)
        .await?;
    let detail = app.store.org(scope).partnership(id).await?;
    let us = &scope.org().name;
    notify(app, scope, &detail, |_| {
        (
            format!("{us} started the partnership \"{name}\" with you"),
            format!(
                "{} ({us}) started the partnership \"{name}\" on comark with your organization.\n\n\
                 Purpose: {}\n\nIt starts at the awareness stage; each stage's gate lists the \
                 evidence to agree before moving on.",
                actor.label,
                if purpose.is_empty() { "not given yet" } else { purpose }
            ),
        )
    })
    .await?;
    Ok(detail)
}

/// E-mails the managers of the other member organizations about a decision, each with a
/// link to the partnership in their own organization.
async fn notify(
    app: &App,
    scope: &OrgScope,
    detail: &PartnershipDetail,
    message: impl Fn(&str) -> (String, String),
) -> Result<()> {
    notify_members(app, scope, detail.partnership.id, false, message).await
}

/// E-mails the managers of the member organizations (with `include_own`, ours too), each
/// with a link to the partnership in their own organization.
pub(crate) async fn notify_members(
    app: &App,
    scope: &OrgScope,
    id: PartnershipId,
    include_own: bool,
    message: impl Fn(&str) -> (String, String),
) -> Result<()> {
    let contacts = app
        .store
        .org(scope)
        .partnership_contacts(id, include_own)
        .await?;
    for (email, handle, org_name) in contacts {
        let (subject, body) = message(&org_name);
        let link = app.link(&format!("/o/{handle}/partnerships/{id}"));
        crate::mail::Email {
            to: email,
            subject,
            body: format!("{body}\n\n{link}\n"),
        }
        .queue(app)
        .await?;
    }
    Ok(())
}

/// Marks one piece of evidence met (or not).
pub async fn set_evidence(
    app: &App,
    scope: &OrgScope,
    id: PartnershipId,
    item: GateItemId,
    met: bool,
    actor: &Actor,
) -> Result<PartnershipDetail> {
    require(scope, Action::ManagePartnerships)?;
    crate::exit::ensure_active(app, scope, id).await?;
    let store = app.store.org(scope);
    store.set_evidence(id, item, met, actor).await?;
    Ok(store.partnership(id).await?)
}

/// Adds a piece of evidence to a stage's gate; returns its id with the partnership.
pub async fn add_evidence(
    app: &App,
    scope: &OrgScope,
    id: PartnershipId,
    stage: &str,
    text: &str,
    actor: &Actor,
) -> Result<(GateItemId, PartnershipDetail)> {
    require(scope, Action::ManagePartnerships)?;
    crate::exit::ensure_active(app, scope, id).await?;
    let mut errors = ValidationErrors::default();
    let stage = Stage::parse(stage);
    if stage.is_none() {
        errors.add("stage", "is not a lifecycle stage");
    }
    let text = text.trim();
    if text.is_empty() || text.chars().count() > 300 {
        errors.add("text", "must be between 1 and 300 characters");
    }
    errors.into_result()?;
    let stage = stage.ok_or_else(|| AppError::Internal("checked above".into()))?;
    let store = app.store.org(scope);
    let current = store.partnership(id).await?.partnership.stage;
    if stage < current {
        return Err(ValidationErrors::single("stage", "this gate is already passed").into());
    }
    let item = store.add_evidence(id, stage, text, actor).await?;
    Ok((item, store.partnership(id).await?))
}

/// Removes a piece of evidence from a gate not yet passed.
pub async fn remove_evidence(
    app: &App,
    scope: &OrgScope,
    id: PartnershipId,
    item: GateItemId,
    actor: &Actor,
) -> Result<PartnershipDetail> {
    require(scope, Action::ManagePartnerships)?;
    crate::exit::ensure_active(app, scope, id).await?;
    let store = app.store.org(scope);
    store.remove_evidence(id, item, actor).await?;
    Ok(store.partnership(id).await?)
}

/// Asks to leave the current stage. Moves on when the gate is met and, for a joint stage,
/// every member has asked; otherwise records this organization's approval.
pub async fn advance(
    app: &App,
    scope: &OrgScope,
    id: PartnershipId,
    reason: &str,
    actor: &Actor,
) -> Result<(Advance, PartnershipDetail)> {
    require(scope, Action::ManagePartnerships)?;
    crate::exit::ensure_active(app, scope, id).await?;
    let reason = reason.trim();
    if reason.chars().count() > 500 {
        return Err(ValidationErrors::single("reason", "must be at most 500 characters").into());
    }
    let store = app.store.org(scope);
    let before = store.partnership(id).await?.partnership.stage;
    let outcome = store.advance_partnership(id, reason, actor).await?;
    let detail = store.partnership(id).await?;
    let us = &scope.org().name;
    let name = &detail.partnership.name;
    let why = if reason.is_empty() {
        String::new()
    } else {
        format!("\n\nTheir reason: {reason}")
    };
    match outcome {
        Advance::To(next) => {
            notify(app, scope, &detail, |_| {
                (
                    format!("\"{name}\" moved to {}", next.label()),
                    format!(
                        "{} ({us}) moved the partnership \"{name}\" from {} to {}.{why}",
                        actor.label,
                        before.label(),
                        next.label()
                    ),
                )
            })
            .await?;
        }
        Advance::Waiting { approved, of } => {
            let next = before.next().map(Stage::label).unwrap_or("the next stage");
            notify(app, scope, &detail, |_| {
                (
                    format!("Your approval is needed: \"{name}\" to {next}"),
                    format!(
                        "{} ({us}) approved moving the partnership \"{name}\" from {} to {next} \
                         ({approved} of {of} members). It moves on once every member approves.{why}",
                        actor.label,
                        before.label()
                    ),
                )
            })
            .await?;
        }
    }
    Ok((outcome, detail))
}

/// A risk as a form or an API body gives it.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default)]
pub struct RiskForm {
    /// What could go wrong.
    pub title: String,
    /// low, medium or high.
    pub likelihood: String,
    /// low, medium or high.
    pub impact: String,
    /// The handle of the member organization that watches it (default: ours).
    pub owner_org: Option<String>,
    /// The person there.
    pub owner: String,
    /// What is done about it.
    pub mitigation: String,
    /// When to look at it again (YYYY-MM-DD).
    pub review_on: Option<String>,
    /// Whether it is closed.
    pub closed: bool,
}

/// Adds a risk to a partnership's register, or (with `existing`) changes one; returns the
/// risk's id with the partnership.
pub async fn save_risk(
    app: &App,
    scope: &OrgScope,
    id: PartnershipId,
    existing: Option<RiskId>,
    form: RiskForm,
    actor: &Actor,
) -> Result<(RiskId, PartnershipDetail)> {
    require(scope, Action::ManagePartnerships)?;
    crate::exit::ensure_active(app, scope, id).await?;
    let store = app.store.org(scope);
    let detail = store.partnership(id).await?;
    let mut errors = ValidationErrors::default();
    let title = form.title.trim();
    if title.is_empty() || title.chars().count() > 200 {
        errors.add("title", "must be between 1 and 200 characters");
    }
    let likelihood = RiskLevel::parse(&form.likelihood);
    if likelihood.is_none() {
        errors.add("likelihood", "must be low, medium or high");
    }
    let impact = RiskLevel::parse(&form.impact);
    if impact.is_none() {
        errors.add("impact", "must be low, medium or high");
    }
    let owner_org = member_named(scope, &detail, form.owner_org.as_deref(), &mut errors);
    let owner = form.owner.trim();
    if owner.chars().count() > 120 {
        errors.add("owner", "must be at most 120 characters");
    }
    let mitigation = form.mitigation.trim();
    if mitigation.chars().count() > 2000 {
        errors.add("mitigation", "must be at most 2000 characters");
    }
    let review_on = date_field(&mut errors, "review_on", form.review_on.as_deref());
    errors.into_result()?;
    let (Some(likelihood), Some(impact), Some(owner_org)) = (likelihood, impact, owner_org) else {
        return Err(AppError::Internal("checked above".into()));
    };
    let input = RiskInput {
        title: title.to_owned(),
        likelihood,
        impact,
        owner_org,
        owner: owner.to_owned(),
        mitigation: mitigation.to_owned(),
        review_on,
        closed: form.closed,
    };
    let risk = store.save_risk(id, existing, &input, actor).await?;
    Ok((risk, store.partnership(id).await?))
}

/// The common co-marketing risks not yet in the register: (title, a first mitigation).
pub fn suggested_risks(detail: &PartnershipDetail) -> Vec<(&'static str, &'static str)> {
    COMMON_RISKS
        .into_iter()
        .filter(|(title, _)| {
            !detail
                .risks
                .iter()
                .any(|r| r.title.eq_ignore_ascii_case(title))
        })
        .collect()
}

/// The member organization a form names by handle (ours when it names none), recording a
/// failure under `owner_org` when it is not a member.
fn member_named(
    scope: &OrgScope,
    detail: &PartnershipDetail,
    handle: Option<&str>,
    errors: &mut ValidationErrors,
) -> Option<comark_domain::OrgId> {
    let handle = handle
        .map(|h| h.trim().trim_start_matches('@').to_lowercase())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| scope.org().handle.clone());
    let found = detail
        .partnership
        .members
        .iter()
        .find(|m| m.handle == handle)
        .map(|m| m.id);
    if found.is_none() {
        errors.add("owner_org", "must be a member of the partnership");
    }
    found
}

/// Reads an optional `YYYY-MM-DD` date, recording a failure under `field`.
fn date_field(errors: &mut ValidationErrors, field: &str, raw: Option<&str>) -> Option<NaiveDate> {
    match raw.map(str::trim) {
        None | Some("") => None,
        Some(raw) => match NaiveDate::parse_from_str(raw, "%Y-%m-%d") {
            Ok(date) => Some(date),
            Err(_) => {
                errors.add(field, "must be a date like 2027-01-31");
                None
            }
        },
    }
}

/// Reads a contribution kind, recording a failure under `kind`.
fn kind_field(errors: &mut ValidationErrors, raw: &str) -> Option<ContributionKind> {
    let kind = ContributionKind::parse(raw);
    if kind.is_none() {
        errors.add(
            "kind",
            "must be budget, content_pieces, events, leads, audience_reach or hours",
        );
    }
    kind
}

/// Reads an amount: a finite, non-negative number.
fn amount_field(errors: &mut ValidationErrors, field: &str, value: f64) -> f64 {
    if !value.is_finite() || !(0.0..=1e15).contains(&value) {
        errors.add(field, "must be a number of at least 0");
    }
    value
}

/// The goals, contributions and health of a partnership.
pub async fn performance(app: &App, scope: &OrgScope, id: PartnershipId) -> Result<Performance> {
    require(scope, Action::View)?;
    Ok(app.store.org(scope).performance(id).await?)
}

/// A shared goal as a form or an API body gives it.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default)]
pub struct GoalForm {
    /// What is measured ("sourced pipeline", "webinar registrations").
    pub metric: String,
    /// The target.
    pub target: f64,
    /// The unit.
    pub unit: String,
    /// The period's first day (YYYY-MM-DD).
    pub starts_on: String,
    /// The period's last day (YYYY-MM-DD).
    pub ends_on: String,
    /// The handle of the member that owns it (default: ours).
    pub owner_org: Option<String>,
}

/// Adds a shared goal; returns its id with the performance.
pub async fn add_goal(
    app: &App,
    scope: &OrgScope,
    id: PartnershipId,
    form: GoalForm,
    actor: &Actor,
) -> Result<(GoalId, Performance)> {
    require(scope, Action::ManagePartnerships)?;
    crate::exit::ensure_active(app, scope, id).await?;
    let store = app.store.org(scope);
    let detail = store.partnership(id).await?;
    let mut errors = ValidationErrors::default();
    let metric = form.metric.trim();
    if metric.is_empty() || metric.chars().count() > 200 {
        errors.add("metric", "must be between 1 and 200 characters");
    }
    if !form.target.is_finite() || form.target <= 0.0 || form.target > 1e15 {
        errors.add("target", "must be a number above 0");
    }
    let unit = form.unit.trim();
    if unit.chars().count() > 40 {
        errors.add("unit", "must be at most 40 characters");
    }
    let starts_on = date_field(&mut errors, "starts_on", Some(&form.starts_on));
    let ends_on = date_field(&mut errors, "ends_on", Some(&form.ends_on));
    if form.starts_on.trim().is_empty() {
        errors.add("starts_on", "is required");
    }
    if form.ends_on.trim().is_empty() {
        errors.add("ends_on", "is required");
    }
    if let (Some(start), Some(end)) = (starts_on, ends_on) {
        if end < start {
            errors.add("ends_on", "must not be before the start");
        }
    }
    let owner_org = member_named(scope, &detail, form.owner_org.as_deref(), &mut errors);
    errors.into_result()?;
    let (Some(starts_on), Some(ends_on), Some(owner_org)) = (starts_on, ends_on, owner_org) else {
        return Err(AppError::Internal("checked above".into()));
    };
    let goal = GoalInput {
        metric: metric.to_owned(),
        target: form.target,
        unit: unit.to_owned(),
        starts_on,
        ends_on,
        owner_org,
    };
    let goal = store.add_goal(id, &goal, actor).await?;
    crate::exit::check_triggers(app, scope, id, actor).await?;
    Ok((goal, store.performance(id).await?))
}

/// Records a goal's reading: the figure reached by `on` (default today).
#[allow(clippy::too_many_arguments)]
pub async fn record_progress(
    app: &App,
    scope: &OrgScope,
    id: PartnershipId,
    goal: GoalId,
    value: f64,
    on: Option<&str>,
    note: &str,
    actor: &Actor,
) -> Result<Performance> {
    require(scope, Action::ManagePartnerships)?;
    crate::exit::ensure_active(app, scope, id).await?;
    let mut errors = ValidationErrors::default();
    let value = amount_field(&mut errors, "value", value);
    let on = date_field(&mut errors, "recorded_on", on);
    if note.trim().chars().count() > 500 {
        errors.add("note", "must be at most 500 characters");
    }
    errors.into_result()?;
    let on = on.unwrap_or_else(|| comark_store::now().date_naive());
    let store = app.store.org(scope);
    store
        .record_progress(id, goal, value, on, note.trim(), actor)
        .await?;
    crate::exit::check_triggers(app, scope, id, actor).await?;
    Ok(store.performance(id).await?)
}

/// Sets what this organization commits of one kind.
pub async fn set_commitment(
    app: &App,
    scope: &OrgScope,
    id: PartnershipId,
    kind: &str,
    amount: f64,
    actor: &Actor,
) -> Result<Performance> {
    require(scope, Action::ManagePartnerships)?;
    crate::exit::ensure_active(app, scope, id).await?;
    let mut errors = ValidationErrors::default();
    let kind = kind_field(&mut errors, kind);
    let amount = amount_field(&mut errors, "amount", amount);
    errors.into_result()?;
    let kind = kind.ok_or_else(|| AppError::Internal("checked above".into()))?;
    let store = app.store.org(scope);
    store.set_commitment(id, kind, amount, actor).await?;
    crate::exit::check_triggers(app, scope, id, actor).await?;
    Ok(store.performance(id).await?)
}

/// Records what this organization delivered.
#[allow(clippy::too_many_arguments)]
pub async fn record_contribution(
    app: &App,
    scope: &OrgScope,
    id: PartnershipId,
    kind: &str,
    amount: f64,
    on: Option<&str>,
    note: &str,
    actor: &Actor,
) -> Result<Performance> {
    require(scope, Action::ManagePartnerships)?;
    crate::exit::ensure_active(app, scope, id).await?;
    let mut errors = ValidationErrors::default();
    let kind = kind_field(&mut errors, kind);
    let amount = amount_field(&mut errors, "amount", amount);
    let on = date_field(&mut errors, "delivered_on", on);
    if note.trim().chars().count() > 500 {
        errors.add("note", "must be at most 500 characters");
    }
    errors.into_result()?;
    let kind = kind.ok_or_else(|| AppError::Internal("checked above".into()))?;
    let on = on.unwrap_or_else(|| comark_store::now().date_naive());
    let store = app.store.org(scope);
    store
        .record_contribution(id, kind, amount, on, note.trim(), actor)
        .await?;
    crate::exit::check_triggers(app, scope, id, actor).await?;
    Ok(store.performance(id).await?)
}
