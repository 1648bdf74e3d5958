//! Partnerships: the lifecycle, its gates, approvals and history.

use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use chrono::{DateTime, NaiveDate, Utc};
use comark_app::partnerships::{self, NewPartnership, RiskForm};
use comark_app::AppError;
use comark_domain::assessment::Feed;
use comark_domain::engagement::role_key;
use comark_domain::goals::{ContributionKind, GoalStatus};
use comark_domain::partnership::{Advance, RiskLevel, Stage};
use comark_domain::{GateItemId, GoalId, OrgId, PartnershipId, RiskId};
use comark_store::engagement::{Assignment, Engagement, RoleHolder, RulesApproval};
use comark_store::goals::{Goal, Performance, Reading, Side};
use comark_store::partnerships::{Approval, GateEvidence, Partnership, PartnershipDetail, Risk};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::extract::{ApiJson, ApiPath};
use crate::auth::ApiOrg;
use crate::error::{ApiError, Problem};
use crate::AppState;

type ApiResult<T> = Result<T, ApiError>;

/// A member organization.
#[derive(Serialize, ToSchema)]
pub struct PartnershipMemberOut {
    /// Its handle.
    pub handle: String,
    /// Its name.
    pub name: String,
}

/// A partnership.
#[derive(Serialize, ToSchema)]
pub struct PartnershipOut {
    /// Its id.
    pub id: uuid::Uuid,
    /// Its name.
    pub name: String,
    /// What it is for.
    pub purpose: String,
    /// awareness, knowledge, internal_assessment, partner_selection, working_together,
    /// value_creation, staying_together or exit.
    pub stage: String,
    /// The handle of the organization that started it.
    pub started_by: String,
    /// Every member, the starter first.
    pub members: Vec<PartnershipMemberOut>,
    /// When it started.
    pub created_at: chrono::DateTime<chrono::Utc>,
    /// When it last changed.
    pub updated_at: chrono::DateTime<chrono::Utc>,
}

impl From<Partnership> for PartnershipOut {
    fn from(p: Partnership) -> Self {
        let started_by = p
            .members
            .iter()
            .find(|m| m.id == p.started_by)
            .map(|m| m.handle.clone())
            .unwrap_or_default();
        PartnershipOut {
            id: p.id.0,
            name: p.name,
            purpose: p.purpose,
            stage: p.stage.as_str().to_owned(),
            started_by,
            members: p
                .members
                .into_iter()
                .map(|m| PartnershipMemberOut {
                    handle: m.handle,
                    name: m.name,
                })
                .collect(),
            created_at: p.created_at,
            updated_at: p.updated_at,
        }
    }
}

/// One piece of a gate's evidence.
#[derive(Serialize, ToSchema)]
pub struct GateItemOut {
    /// Its id.
    #[schema(value_type = uuid::Uuid)]
    pub id: GateItemId,
    /// The stage whose gate it belongs to.
    #[schema(value_type = String)]
    pub stage: Stage,
    /// What must be true.
    pub text: String,
    /// Who marked it met and when, as `[who, when]`; null while it is open.
    #[schema(value_type = Option<Vec<String>>)]
    pub met: Option<(String, DateTime<Utc>)>,
    /// The part of the internal assessment that meets it (a section, or `assessment`).
    #[schema(value_type = Option<String>)]
    pub fed_by: Option<Feed>,
}

impl From<&GateEvidence> for GateItemOut {
    fn from(g: &GateEvidence) -> Self {
        GateItemOut {
            id: g.id,
            stage: g.stage,
            text: g.text.clone(),
            met: g.met.clone(),
            fed_by: g.fed_by,
        }
    }
}

/// A member's approval of leaving a stage.
#[derive(Serialize, ToSchema)]
pub struct ApprovalOut {
    /// The stage left.
    #[schema(value_type = String)]
    pub stage: Stage,
    /// The approving organization's id.
    #[schema(value_type = uuid::Uuid)]
    pub org: OrgId,
    /// Who approved.
    pub by: String,
    /// When.
    pub at: DateTime<Utc>,
}

impl From<&Approval> for ApprovalOut {
    fn from(a: &Approval) -> Self {
        ApprovalOut {
            stage: a.stage,
            org: a.org,
            by: a.by.clone(),
            at: a.at,
        }
    }
}

/// A risk in the register.
#[derive(Serialize, ToSchema)]
pub struct RiskOut {
    /// Its id.
    #[schema(value_type = uuid::Uuid)]
    pub id: RiskId,
    /// What could go wrong.
    pub title: String,
    /// low, medium or high.
    #[schema(value_type = String)]
    pub likelihood: RiskLevel,
    /// low, medium or high.
    #[schema(value_type = String)]
    pub impact: RiskLevel,
    /// Likelihood times impact, 1 to 9.
    pub score: u8,
    /// The id of the member organization that watches it.
    #[schema(value_type = uuid::Uuid)]
    pub owner_org: OrgId,
    /// The person there.
    pub owner: String,
    /// What is done about it.
    pub mitigation: String,
    /// When to look at it again.
    pub review_on: Option<NaiveDate>,
    /// When it was closed, if it was.
    pub closed_at: Option<DateTime<Utc>>,
}

impl From<&Risk> for RiskOut {
    fn from(r: &Risk) -> Self {
        RiskOut {
            id: r.id,
            title: r.title.clone(),
            likelihood: r.likelihood,
            impact: r.impact,
            score: r.score,
            owner_org: r.owner_org,
            owner: r.owner.clone(),
            mitigation: r.mitigation.clone(),
            review_on: r.review_on,
            closed_at: r.closed_at,
        }
    }
}

/// A partnership with its gates, approvals and history: the full view, which only
/// `GET .../partnerships/{id}` (and a create) answers with; a change answers with what it
/// changed.
#[derive(Serialize, ToSchema)]
pub struct PartnershipDetailOut {
    /// The partnership.
    pub partnership: PartnershipOut,
    /// Every stage's evidence, in stage order.
    pub gates: Vec<GateItemOut>,
    /// The approvals of leaving the current stage.
    pub approvals: Vec<ApprovalOut>,
    /// Newest first: `at`, `org`, `actor`, `kind`, `stage`, `detail`.
    #[schema(value_type = Vec<Object>)]
    pub history: serde_json::Value,
    /// The risk register, open and worst first.
    pub risks: Vec<RiskOut>,
    /// Common co-marketing risks not yet in the register: `title`, `mitigation`.
    #[schema(value_type = Vec<Object>)]
    pub suggested_risks: serde_json::Value,
}

impl From<PartnershipDetail> for PartnershipDetailOut {
    fn from(d: PartnershipDetail) -> Self {
        let suggested: Vec<serde_json::Value> = partnerships::suggested_risks(&d)
            .into_iter()
            .map(|(title, mitigation)| serde_json::json!({ "title": title, "mitigation": mitigation }))
            .collect();
        PartnershipDetailOut {
            risks: d.risks.iter().map(RiskOut::from).collect(),
            suggested_risks: serde_json::Value::Array(suggested),
            gates: d.gates.iter().map(GateItemOut::from).collect(),
            approvals: d.approvals.iter().map(ApprovalOut::from).collect(),
            history: serde_json::to_value(&d.history).unwrap_or_default(),
            partnership: d.partnership.into(),
        }
    }
}

/// A 201 with `body`, and `Location` naming where a GET finds it.
fn created_at(location: String, body: impl Serialize) -> Response {
    (
        StatusCode::CREATED,
        [(header::LOCATION, location)],
        Json(body),
    )
        .into_response()
}

/// The item a change made or changed, found in what the use case returned. Missing, it is
/// our fault, not the caller's: the use case has just written it.
fn changed<T>(found: Option<T>) -> Result<T, ApiError> {
    found.ok_or_else(|| {
        AppError::Internal("the changed item is missing from its partnership".into()).into()
    })
}

/// A new partnership.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewPartnershipBody {
    /// Its name.
    pub name: String,
    /// What it is for.
    #[serde(default)]
    pub purpose: String,
    /// The handles of the partners; each must be a connected partner.
    pub partners: Vec<String>,
}

fn partnership_id(raw: &str) -> Result<PartnershipId, ApiError> {
    raw.parse().map_err(|_| AppError::NotFound.into())
}

fn item_id(raw: &str) -> Result<GateItemId, ApiError> {
    raw.parse().map_err(|_| AppError::NotFound.into())
}

/// The partnerships you take part in.
#[utoipa::path(get, path = "/api/v1/orgs/{org}/partnerships", tag = "partnerships", params(("org" = String, Path)),
    responses((status = 200, body = Vec<PartnershipOut>), (status = 404, body = Problem, content_type = "application/problem+json")))]
pub async fn list_partnerships(
    State(state): State<AppState>,
    org: ApiOrg,
) -> ApiResult<Json<Vec<PartnershipOut>>> {
    let list = partnerships::list(&state.app, &org.scope).await?;
    Ok(Json(list.into_iter().map(Into::into).collect()))
}

/// Starts a partnership with connected partners, at the awareness stage (owners, admins,
/// partner managers).
#[utoipa::path(post, path = "/api/v1/orgs/{org}/partnerships", tag = "partnerships", params(("org" = String, Path)),
    request_body = NewPartnershipBody,
    responses((status = 201, body = PartnershipDetailOut,
               headers(("Location" = String, description = "The new partnership's address"))),
              (status = 403, body = Problem, content_type = "application/problem+json"),
              (status = 404, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")))]
pub async fn create_partnership(
    State(state): State<AppState>,
    org: ApiOrg,
    ApiJson(body): ApiJson<NewPartnershipBody>,
) -> ApiResult<Response> {
    let input = NewPartnership {
        name: body.name,
        purpose: body.purpose,
        partners: body.partners,
    };
    let detail = partnerships::create(&state.app, &org.scope, input, &org.actor()).await?;
    let location = format!(
        "/api/v1/orgs/{}/partnerships/{}",
        org.scope.org().handle,
        detail.partnership.id
    );
    Ok(created_at(location, PartnershipDetailOut::from(detail)))
}

/// One partnership with its gates, approvals and history.
#[utoipa::path(get, path = "/api/v1/orgs/{org}/partnerships/{id}", tag = "partnerships",
    params(("org" = String, Path), ("id" = uuid::Uuid, Path)),
    responses((status = 200, body = PartnershipDetailOut), (status = 404, body = Problem, content_type = "application/problem+json")))]
pub async fn get_partnership(
    State(state): State<AppState>,
    org: ApiOrg,
    ApiPath(path): ApiPath<(String, String)>,
) -> ApiResult<Json<PartnershipDetailOut>> {
    let detail = partnerships::get(&state.app, &org.scope, partnership_id(&path.1)?).await?;
    Ok(Json(detail.into()))
}

/// Evidence to add to a stage's gate.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EvidenceBody {
    /// The stage whose gate it belongs to (the current one or a later one).
    pub stage: String,
    /// What must be true.
    pub text: String,
}

/// Adds evidence to a gate and answers with it; added to the current stage, it withdraws
/// the approvals given.
#[utoipa::path(post, path = "/api/v1/orgs/{org}/partnerships/{id}/evidence", tag = "partnerships",
    params(("org" = String, Path), ("id" = uuid::Uuid, Path)), request_body = EvidenceBody,
    responses((status = 201, body = GateItemOut), (status = 403, body = Problem, content_type = "application/problem+json"),
              (status = 404, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")))]
pub async fn add_evidence(
    State(state): State<AppState>,
    org: ApiOrg,
    ApiPath(path): ApiPath<(String, String)>,
    ApiJson(body): ApiJson<EvidenceBody>,
) -> ApiResult<Response> {
    let (item, detail) = partnerships::add_evidence(
        &state.app,
        &org.scope,
        partnership_id(&path.1)?,
        &body.stage,
        &body.text,
        &org.actor(),
    )
    .await?;
    let added = changed(detail.gates.iter().find(|g| g.id == item))?;
    Ok((StatusCode::CREATED, Json(GateItemOut::from(added))).into_response())
}

/// Whether a piece of evidence is met.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EvidenceStateBody {
    /// True when it is met.
    pub met: bool,
}

/// Marks a piece of evidence met or not met, and answers with it. Changing the current
/// stage's evidence withdraws the approvals given on it.
#[utoipa::path(put, path = "/api/v1/orgs/{org}/partnerships/{id}/evidence/{item_id}", tag = "partnerships",
    params(("org" = String, Path), ("id" = uuid::Uuid, Path), ("item_id" = uuid::Uuid, Path)), request_body = EvidenceStateBody,
    responses((status = 200, body = GateItemOut), (status = 403, body = Problem, content_type = "application/problem+json"),
              (status = 404, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")))]
pub async fn set_evidence(
    State(state): State<AppState>,
    org: ApiOrg,
    ApiPath(path): ApiPath<(String, String, String)>,
    ApiJson(body): ApiJson<EvidenceStateBody>,
) -> ApiResult<Json<GateItemOut>> {
    let item = item_id(&path.2)?;
    let detail = partnerships::set_evidence(
        &state.app,
        &org.scope,
        partnership_id(&path.1)?,
        item,
        body.met,
        &org.actor(),
    )
    .await?;
    let evidence = changed(detail.gates.iter().find(|g| g.id == item))?;
    Ok(Json(evidence.into()))
}

/// Removes a piece of evidence from a gate not yet passed.
#[utoipa::path(delete, path = "/api/v1/orgs/{org}/partnerships/{id}/evidence/{item_id}", tag = "partnerships",
    params(("org" = String, Path), ("id" = uuid::Uuid, Path), ("item_id" = uuid::Uuid, Path)),
    responses((status = 204), (status = 403, body = Problem, content_type = "application/problem+json"),
              (status = 404, body = Problem, content_type = "application/problem+json"), (status = 409, body = Problem, content_type = "application/problem+json")))]
pub async fn remove_evidence(
    State(state): State<AppState>,
    org: ApiOrg,
    ApiPath(path): ApiPath<(String, String, String)>,
) -> ApiResult<StatusCode> {
    partnerships::remove_evidence(
        &state.app,
        &org.scope,
        partnership_id(&path.1)?,
        item_id(&path.2)?,
        &org.actor(),
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Why the partnership should move on.
#[derive(Deserialize, ToSchema, Default)]
#[serde(default, deny_unknown_fields)]
pub struct AdvanceBody {
    /// Recorded in the history.
    pub reason: String,
}

/// What a request to move on did, and where the partnership stands now: its stage, that
/// stage's gate and the approvals of leaving it (not its risks, goals or history).
#[derive(Serialize, ToSchema)]
pub struct AdvanceOut {
    /// advanced (the partnership moved) or waiting (your approval is recorded).
    pub outcome: String,
    /// How many members have approved leaving the stage, when waiting.
    pub approved: Option<usize>,
    /// How many must, when waiting.
    pub of: Option<usize>,
    /// The partnership, at its stage now.
    pub partnership: PartnershipOut,
    /// The evidence of the stage it is at now.
    pub gate: Vec<GateItemOut>,
    /// The approvals of leaving the stage it is at now.
    pub approvals: Vec<ApprovalOut>,
}

/// Asks to leave the current stage: it moves on when its gate is met and, from partner
/// selection on, once every member has asked. An open gate answers 409 with the missing evidence.
#[utoipa::path(post, path = "/api/v1/orgs/{org}/partnerships/{id}/advance", tag = "partnerships",
    params(("org" = String, Path), ("id" = uuid::Uuid, Path)), request_body = AdvanceBody,
    responses((status = 200, body = AdvanceOut), (status = 403, body = Problem, content_type = "application/problem+json"),
              (status = 404, body = Problem, content_type = "application/problem+json"), (status = 409, body = Problem, content_type = "application/problem+json"),
              (status = 422, body = Problem, content_type = "application/problem+json")))]
pub async fn advance_partnership(
    State(state): State<AppState>,
    org: ApiOrg,
    ApiPath(path): ApiPath<(String, String)>,
    ApiJson(body): ApiJson<AdvanceBody>,
) -> ApiResult<Json<AdvanceOut>> {
    let (outcome, detail) = partnerships::advance(
        &state.app,
        &org.scope,
        partnership_id(&path.1)?,
        &body.reason,
        &org.actor(),
    )
    .await?;
    let (outcome, approved, of) = match outcome {
        Advance::To(_) => ("advanced", None, None),
        Advance::Waiting { approved, of } => ("waiting", Some(approved), Some(of)),
    };
    let stage = detail.partnership.stage;
    Ok(Json(AdvanceOut {
        outcome: outcome.to_owned(),
        approved,
        of,
        gate: detail
            .gates
            .iter()
            .filter(|g| g.stage == stage)
            .map(GateItemOut::from)
            .collect(),
        approvals: detail.approvals.iter().map(ApprovalOut::from).collect(),
        partnership: detail.partnership.into(),
    }))
}

/// A risk of a partnership.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RiskBody {
    /// What could go wrong.
    pub title: String,
    /// low, medium or high.
    pub likelihood: String,
    /// low, medium or high.
    pub impact: String,
    /// The handle of the member organization that watches it (default: yours).
    #[serde(default)]
    pub owner_org: Option<String>,
    /// The person there.
    #[serde(default)]
    pub owner: String,
    /// What is done about it.
    #[serde(default)]
    pub mitigation: String,
    /// When to look at it again (YYYY-MM-DD).
    #[serde(default)]
    pub review_on: Option<String>,
    /// Whether it is closed.
    #[serde(default)]
    pub closed: bool,
}

impl From<RiskBody> for RiskForm {
    fn from(b: RiskBody) -> Self {
        RiskForm {
            title: b.title,
            likelihood: b.likelihood,
            impact: b.impact,
            owner_org: b.owner_org,
            owner: b.owner,
            mitigation: b.mitigation,
            review_on: b.review_on,
            closed: b.closed,
        }
    }
}

/// Adds a risk to the partnership's register and answers with it (owners, admins, partner
/// managers).
#[utoipa::path(post, path = "/api/v1/orgs/{org}/partnerships/{id}/risks", tag = "partnerships",
    params(("org" = String, Path), ("id" = uuid::Uuid, Path)), request_body = RiskBody,
    responses((status = 201, body = RiskOut), (status = 403, body = Problem, content_type = "application/problem+json"),
              (status = 404, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")))]
pub async fn add_risk(
    State(state): State<AppState>,
    org: ApiOrg,
    ApiPath(path): ApiPath<(String, String)>,
    ApiJson(body): ApiJson<RiskBody>,
) -> ApiResult<Response> {
    let (risk, detail) = partnerships::save_risk(
        &state.app,
        &org.scope,
        partnership_id(&path.1)?,
        None,
        body.into(),
        &org.actor(),
    )
    .await?;
    let added = changed(detail.risks.iter().find(|r| r.id == risk))?;
    Ok((StatusCode::CREATED, Json(RiskOut::from(added))).into_response())
}

/// Changes a risk, or closes it with `closed: true`, and answers with it.
#[utoipa::path(put, path = "/api/v1/orgs/{org}/partnerships/{id}/risks/{risk_id}", tag = "partnerships",
    params(("org" = String, Path), ("id" = uuid::Uuid, Path), ("risk_id" = uuid::Uuid, Path)), request_body = RiskBody,
    responses((status = 200, body = RiskOut), (status = 403, body = Problem, content_type = "application/problem+json"),
              (status = 404, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")))]
pub async fn update_risk(
    State(state): State<AppState>,
    org: ApiOrg,
    ApiPath(path): ApiPath<(String, String, String)>,
    ApiJson(body): ApiJson<RiskBody>,
) -> ApiResult<Json<RiskOut>> {
    let risk: RiskId = path
        .2
        .parse()
        .map_err(|_| ApiError::from(AppError::NotFound))?;
    let (risk, detail) = partnerships::save_risk(
        &state.app,
        &org.scope,
        partnership_id(&path.1)?,
        Some(risk),
        body.into(),
        &org.actor(),
    )
    .await?;
    let saved = changed(detail.risks.iter().find(|r| r.id == risk))?;
    Ok(Json(saved.into()))
}

/// One reading of a goal.
#[derive(Serialize, ToSchema)]
pub struct ReadingOut {
    /// The figure reached.
    pub value: f64,
    /// By which day.
    pub on: NaiveDate,
    /// A note.
    pub note: String,
    /// Who recorded it.
    pub by: String,
}

impl From<&Reading> for ReadingOut {
    fn from(r: &Reading) -> Self {
        ReadingOut {
            value: r.value,
            on: r.on,
            note: r.note.clone(),
            by: r.by.clone(),
        }
    }
}

/// A shared goal with where it stands and its readings.
#[derive(Serialize, ToSchema)]
pub struct GoalOut {
    /// Its id.
    #[schema(value_type = uuid::Uuid)]
    pub id: GoalId,
    /// What is measured.
    pub metric: String,
    /// The target.
    pub target: f64,
    /// The unit (leads, EUR, registrations).
    pub unit: String,
    /// The period's first day.
    pub starts_on: NaiveDate,
    /// The period's last day.
    pub ends_on: NaiveDate,
    /// The id of the member organization that owns it.
    #[schema(value_type = uuid::Uuid)]
    pub owner_org: OrgId,
    /// The latest reading's figure, if any.
    pub current: Option<f64>,
    /// met, on_track, at_risk, off_track or not_started.
    #[schema(value_type = String)]
    pub status: GoalStatus,
    /// Every reading, oldest first.
    pub readings: Vec<ReadingOut>,
}

impl From<&Goal> for GoalOut {
    fn from(g: &Goal) -> Self {
        GoalOut {
            id: g.id,
            metric: g.metric.clone(),
            target: g.target,
            unit: g.unit.clone(),
            starts_on: g.starts_on,
            ends_on: g.ends_on,
            owner_org: g.owner_org,
            current: g.current,
            status: g.status,
            readings: g.readings.iter().map(ReadingOut::from).collect(),
        }
    }
}

/// One member's commitments and deliveries.
#[derive(Serialize, ToSchema)]
pub struct SideOut {
    /// The member organization's id.
    #[schema(value_type = uuid::Uuid)]
    pub org: OrgId,
    /// Its name.
    pub name: String,
    /// Per kind it committed to or delivered: `[kind, committed, delivered]`.
    #[schema(value_type = Vec<Vec<Value>>)]
    pub kinds: Vec<(ContributionKind, f64, f64)>,
    /// The share of its commitments it delivered, when it committed to anything.
    pub delivered_share: Option<f64>,
}

impl From<&Side> for SideOut {
    fn from(s: &Side) -> Self {
        SideOut {
            org: s.org,
            name: s.name.clone(),
            kinds: s.kinds.clone(),
            delivered_share: s.delivered_share,
        }
    }
}

/// Goals, each side's commitments and deliveries, and the relationship's health.
#[derive(Serialize, ToSchema)]
pub struct PerformanceOut {
    /// The shared goals.
    pub goals: Vec<GoalOut>,
    /// Per member, what it committed and delivered.
    pub sides: Vec<SideOut>,
    /// `score` (0 to 100) and `reasons`.
    #[schema(value_type = Object)]
    pub health: serde_json::Value,
}

impl From<Performance> for PerformanceOut {
    fn from(p: Performance) -> Self {
        PerformanceOut {
            goals: p.goals.iter().map(GoalOut::from).collect(),
            sides: p.sides.iter().map(SideOut::from).collect(),
            health: serde_json::to_value(&p.health).unwrap_or_default(),
        }
    }
}

/// Our side as the performance shows it after a change to our commitments or deliveries.
fn our_side(org: &ApiOrg, performance: &Performance) -> Result<SideOut, ApiError> {
    let ours = org.scope.org_id();
    changed(performance.sides.iter().find(|s| s.org == ours)).map(SideOut::from)
}

/// A partnership's goals, contributions and health.
#[utoipa::path(get, path = "/api/v1/orgs/{org}/partnerships/{id}/performance", tag = "partnerships",
    params(("org" = String, Path), ("id" = uuid::Uuid, Path)),
    responses((status = 200, body = PerformanceOut), (status = 404, body = Problem, content_type = "application/problem+json")))]
pub async fn get_performance(
    State(state): State<AppState>,
    org: ApiOrg,
    ApiPath(path): ApiPath<(String, String)>,
) -> ApiResult<Json<PerformanceOut>> {
    let performance =
        partnerships::performance(&state.app, &org.scope, partnership_id(&path.1)?).await?;
    Ok(Json(performance.into()))
}

/// A shared goal.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct GoalBody {
    /// What is measured.
    pub metric: String,
    /// The target, above 0.
    pub target: f64,
    /// The unit (leads, EUR, registrations).
    #[serde(default)]
    pub unit: String,
    /// The period's first day (YYYY-MM-DD).
    pub starts_on: String,
    /// The period's last day (YYYY-MM-DD).
    pub ends_on: String,
    /// The handle of the member that owns it (default: yours).
    #[serde(default)]
    pub owner_org: Option<String>,
}

/// Adds a shared goal and answers with it, with where it stands (owners, admins, partner
/// managers).
#[utoipa::path(post, path = "/api/v1/orgs/{org}/partnerships/{id}/goals", tag = "partnerships",
    params(("org" = String, Path), ("id" = uuid::Uuid, Path)), request_body = GoalBody,
    responses((status = 201, body = GoalOut), (status = 403, body = Problem, content_type = "application/problem+json"),
              (status = 404, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")))]
pub async fn add_goal(
    State(state): State<AppState>,
    org: ApiOrg,
    ApiPath(path): ApiPath<(String, String)>,
    ApiJson(body): ApiJson<GoalBody>,
) -> ApiResult<Response> {
    let form = partnerships::GoalForm {
        metric: body.metric,
        target: body.target,
        unit: body.unit,
        starts_on: body.starts_on,
        ends_on: body.ends_on,
        owner_org: body.owner_org,
    };
    let (goal, performance) = partnerships::add_goal(
        &state.app,
        &org.scope,
        partnership_id(&path.1)?,
        form,
        &org.actor(),
    )
    .await?;
    let added = changed(performance.goals.iter().find(|g| g.id == goal))?;
    Ok((StatusCode::CREATED, Json(GoalOut::from(added))).into_response())
}

/// A goal's reading.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReadingBody {
    /// The figure reached so far.
    pub value: f64,
    /// By which day (YYYY-MM-DD; default today).
    #[serde(default)]
    pub recorded_on: Option<String>,
    /// A note.
    #[serde(default)]
    pub note: String,
}

/// Records the figure a goal has reached, and answers with the goal: its readings and
/// where it stands now.
#[utoipa::path(post, path = "/api/v1/orgs/{org}/partnerships/{id}/goals/{goal_id}/readings", tag = "partnerships",
    params(("org" = String, Path), ("id" = uuid::Uuid, Path), ("goal_id" = uuid::Uuid, Path)), request_body = ReadingBody,
    responses((status = 201, body = GoalOut), (status = 403, body = Problem, content_type = "application/problem+json"),
              (status = 404, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")))]
pub async fn record_reading(
    State(state): State<AppState>,
    org: ApiOrg,
    ApiPath(path): ApiPath<(String, String, String)>,
    ApiJson(body): ApiJson<ReadingBody>,
) -> ApiResult<Response> {
    let goal: comark_domain::GoalId = path
        .2
        .parse()
        .map_err(|_| ApiError::from(AppError::NotFound))?;
    let performance = partnerships::record_progress(
        &state.app,
        &org.scope,
        partnership_id(&path.1)?,
        goal,
        body.value,
        body.recorded_on.as_deref(),
        &body.note,
        &org.actor(),
    )
    .await?;
    let read = changed(performance.goals.iter().find(|g| g.id == goal))?;
    Ok((StatusCode::CREATED, Json(GoalOut::from(read))).into_response())
}

/// An amount.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CommitmentBody {
    /// How much your organization commits (0 withdraws it).
    pub amount: f64,
}

/// Sets what your organization commits of one kind: budget, content_pieces, events, leads,
/// audience_reach or hours. Answers with your side: what it committed and delivered.
#[utoipa::path(put, path = "/api/v1/orgs/{org}/partnerships/{id}/commitments/{kind}", tag = "partnerships",
    params(("org" = String, Path), ("id" = uuid::Uuid, Path), ("kind" = String, Path)), request_body = CommitmentBody,
    responses((status = 200, body = SideOut), (status = 403, body = Problem, content_type = "application/problem+json"),
              (status = 404, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")))]
pub async fn set_commitment(
    State(state): State<AppState>,
    org: ApiOrg,
    ApiPath(path): ApiPath<(String, String, String)>,
    ApiJson(body): ApiJson<CommitmentBody>,
) -> ApiResult<Json<SideOut>> {
    let performance = partnerships::set_commitment(
        &state.app,
        &org.scope,
        partnership_id(&path.1)?,
        &path.2,
        body.amount,
        &org.actor(),
    )
    .await?;
    Ok(Json(our_side(&org, &performance)?))
}

/// What your organization delivered.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ContributionBody {
    /// budget, content_pieces, events, leads, audience_reach or hours.
    pub kind: String,
    /// How much.
    pub amount: f64,
    /// When (YYYY-MM-DD; default today).
    #[serde(default)]
    pub delivered_on: Option<String>,
    /// A note.
    #[serde(default)]
    pub note: String,
}

/// Records what your organization delivered, and answers with your side: what it
/// committed and delivered now.
#[utoipa::path(post, path = "/api/v1/orgs/{org}/partnerships/{id}/contributions", tag = "partnerships",
    params(("org" = String, Path), ("id" = uuid::Uuid, Path)), request_body = ContributionBody,
    responses((status = 201, body = SideOut), (status = 403, body = Problem, content_type = "application/problem+json"),
              (status = 404, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")))]
pub async fn record_contribution(
    State(state): State<AppState>,
    org: ApiOrg,
    ApiPath(path): ApiPath<(String, String)>,
    ApiJson(body): ApiJson<ContributionBody>,
) -> ApiResult<Response> {
    let performance = partnerships::record_contribution(
        &state.app,
        &org.scope,
        partnership_id(&path.1)?,
        &body.kind,
        body.amount,
        body.delivered_on.as_deref(),
        &body.note,
        &org.actor(),
    )
    .await?;
    Ok((StatusCode::CREATED, Json(our_side(&org, &performance)?)).into_response())
}

/// The exit strategy, the triggers holding now, and the closing review once exited.
#[derive(Serialize, ToSchema)]
pub struct ExitOut {
    /// `notice_days`, `data_handling`, `assets`, `leads`, `triggers`, `agreed_by`,
    /// `updated_at`; null until agreed.
    #[schema(value_type = Option<Object>)]
    pub strategy: serde_json::Value,
    /// Triggers that fired and still hold: `trigger`, `reason`, `fired_at`.
    #[schema(value_type = Vec<Object>)]
    pub alerts: serde_json::Value,
    /// The closing review, once the partnership exited.
    pub closing_review: Option<String>,
    /// When it exited.
    pub exited_at: Option<chrono::DateTime<chrono::Utc>>,
    /// The notice of exit while it runs: `by`, `given_at`, `effective_at`, `review`.
    #[schema(value_type = Option<Object>)]
    pub notice: serde_json::Value,
}

impl From<comark_app::exit::ExitView> for ExitOut {
    fn from(v: comark_app::exit::ExitView) -> Self {
        let (closing_review, exited_at) = v.closing_review.unzip();
        ExitOut {
            strategy: serde_json::to_value(&v.strategy).unwrap_or_default(),
            alerts: serde_json::to_value(&v.alerts).unwrap_or_default(),
            closing_review,
            exited_at,
            notice: serde_json::to_value(&v.notice).unwrap_or_default(),
        }
    }
}

/// The partnership's exit strategy, fired triggers and closing review.
#[utoipa::path(get, path = "/api/v1/orgs/{org}/partnerships/{id}/exit", tag = "partnerships",
    params(("org" = String, Path), ("id" = uuid::Uuid, Path)),
    responses((status = 200, body = ExitOut), (status = 404, body = Problem, content_type = "application/problem+json")))]
pub async fn get_exit(
    State(state): State<AppState>,
    org: ApiOrg,
    ApiPath(path): ApiPath<(String, String)>,
) -> ApiResult<Json<ExitOut>> {
    let view = comark_app::exit::view(&state.app, &org.scope, partnership_id(&path.1)?).await?;
    Ok(Json(view.into()))
}

/// An exit strategy.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ExitStrategyBody {
    /// Days of notice (0 to 365).
    pub notice_days: i64,
    /// stop_sharing (default) or keep_sharing: what happens to shared account data.
    #[serde(default = "stop_sharing")]
    pub data_handling: String,
    /// What happens to co-created assets.
    #[serde(default)]
    pub assets: String,
    /// What happens to shared leads.
    #[serde(default)]
    pub leads: String,
    /// Disengagement triggers: `{"kind": "goal_off_track"}`, `{"kind": "contribution_below",
    /// "percent": 50}`, `{"kind": "health_below", "score": 40}`, `{"kind": "breach"}`.
    #[serde(default)]
    #[schema(value_type = Vec<Object>)]
    pub triggers: Vec<comark_domain::exit::Trigger>,
}

fn stop_sharing() -> String {
    "stop_sharing".into()
}

/// Agrees the exit strategy (owners, admins, partner managers); the triggers are checked at once.
#[utoipa::path(put, path = "/api/v1/orgs/{org}/partnerships/{id}/exit-strategy", tag = "partnerships",
    params(("org" = String, Path), ("id" = uuid::Uuid, Path)), request_body = ExitStrategyBody,
    responses((status = 200, body = ExitOut), (status = 403, body = Problem, content_type = "application/problem+json"),
              (status = 404, body = Problem, content_type = "application/problem+json"), (status = 409, body = Problem, content_type = "application/problem+json"),
              (status = 422, body = Problem, content_type = "application/problem+json")))]
pub async fn put_exit_strategy(
    State(state): State<AppState>,
    org: ApiOrg,
    ApiPath(path): ApiPath<(String, String)>,
    ApiJson(body): ApiJson<ExitStrategyBody>,
) -> ApiResult<Json<ExitOut>> {
    let form = comark_app::exit::ExitForm {
        notice_days: body.notice_days,
        data_handling: body.data_handling,
        assets: body.assets,
        leads: body.leads,
        triggers: body.triggers,
    };
    let view = comark_app::exit::agree(
        &state.app,
        &org.scope,
        partnership_id(&path.1)?,
        form,
        &org.actor(),
    )
    .await?;
    Ok(Json(view.into()))
}

/// A breach of the rules of engagement.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BreachBody {
    /// What happened.
    pub description: String,
}

/// Reports a breach of the rules of engagement; a `breach` trigger fires on it.
#[utoipa::path(post, path = "/api/v1/orgs/{org}/partnerships/{id}/breaches", tag = "partnerships",
    params(("org" = String, Path), ("id" = uuid::Uuid, Path)), request_body = BreachBody,
    responses((status = 201, body = ExitOut), (status = 403, body = Problem, content_type = "application/problem+json"),
              (status = 404, body = Problem, content_type = "application/problem+json"), (status = 409, body = Problem, content_type = "application/problem+json"),
              (status = 422, body = Problem, content_type = "application/problem+json")))]
pub async fn report_breach(
    State(state): State<AppState>,
    org: ApiOrg,
    ApiPath(path): ApiPath<(String, String)>,
    ApiJson(body): ApiJson<BreachBody>,
) -> ApiResult<Response> {
    let view = comark_app::exit::report_breach(
        &state.app,
        &org.scope,
        partnership_id(&path.1)?,
        &body.description,
        &org.actor(),
    )
    .await?;
    Ok((StatusCode::CREATED, Json(ExitOut::from(view))).into_response())
}

/// The closing review of an exit.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ExitBody {
    /// What the partnership achieved and why it ends.
    pub review: String,
}

/// Runs the exit: with a notice period agreed, this gives notice and the exit takes effect
/// when it has run; otherwise now. On exit the partnership moves to the exit stage, shared
/// data is handled as agreed (without a strategy, sharing stops), every member is told, and
/// it stays as a record.
#[utoipa::path(post, path = "/api/v1/orgs/{org}/partnerships/{id}/exit", tag = "partnerships",
    params(("org" = String, Path), ("id" = uuid::Uuid, Path)), request_body = ExitBody,
    responses((status = 200, body = ExitOut), (status = 403, body = Problem, content_type = "application/problem+json"),
              (status = 404, body = Problem, content_type = "application/problem+json"), (status = 409, body = Problem, content_type = "application/problem+json"),
              (status = 422, body = Problem, content_type = "application/problem+json")))]
pub async fn run_exit(
    State(state): State<AppState>,
    org: ApiOrg,
    ApiPath(path): ApiPath<(String, String)>,
    ApiJson(body): ApiJson<ExitBody>,
) -> ApiResult<Json<ExitOut>> {
    let view = comark_app::exit::exit(
        &state.app,
        &org.scope,
        partnership_id(&path.1)?,
        &body.review,
        &org.actor(),
    )
    .await?;
    Ok(Json(view.into()))
}

/// Withdraws a running notice of exit: the partnership goes on.
#[utoipa::path(delete, path = "/api/v1/orgs/{org}/partnerships/{id}/exit", tag = "partnerships",
    params(("org" = String, Path), ("id" = uuid::Uuid, Path)),
    responses((status = 200, body = ExitOut), (status = 403, body = Problem, content_type = "application/problem+json"),
              (status = 404, body = Problem, content_type = "application/problem+json"), (status = 409, body = Problem, content_type = "application/problem+json")))]
pub async fn withdraw_exit_notice(
    State(state): State<AppState>,
    org: ApiOrg,
    ApiPath(path): ApiPath<(String, String)>,
) -> ApiResult<Json<ExitOut>> {
    let view = comark_app::exit::withdraw_notice(
        &state.app,
        &org.scope,
        partnership_id(&path.1)?,
        &org.actor(),
    )
    .await?;
    Ok(Json(view.into()))
}

/// A person a member named for a role.
#[derive(Serialize, ToSchema)]
pub struct RoleHolderOut {
    /// The member organization's id.
    #[schema(value_type = uuid::Uuid)]
    pub org: OrgId,
    /// The role's key (executive_sponsor, events_lead...).
    pub role: String,
    /// The person; empty once the role is cleared.
    pub person: String,
    /// Their e-mail, if given.
    pub email: String,
}

impl From<&RoleHolder> for RoleHolderOut {
    fn from(r: &RoleHolder) -> Self {
        RoleHolderOut {
            org: r.org,
            role: r.role.clone(),
            person: r.person.clone(),
            email: r.email.clone(),
        }
    }
}

/// One member's part in one activity area.
#[derive(Serialize, ToSchema)]
pub struct AssignmentOut {
    /// The activity area.
    pub area: String,
    /// The member organization's id.
    #[schema(value_type = uuid::Uuid)]
    pub org: OrgId,
    /// R, A, C and I letters; empty for no part.
    pub letters: String,
}

impl From<&Assignment> for AssignmentOut {
    fn from(a: &Assignment) -> Self {
        AssignmentOut {
            area: a.area.clone(),
            org: a.org,
            letters: a.letters.clone(),
        }
    }
}

/// A member's approval of a version of the rules.
#[derive(Serialize, ToSchema)]
pub struct RulesApprovalOut {
    /// The member organization's id.
    #[schema(value_type = uuid::Uuid)]
    pub org: OrgId,
    /// The version approved.
    pub version: i64,
    /// Who approved.
    pub by: String,
    /// When.
    pub at: DateTime<Utc>,
}

impl From<&RulesApproval> for RulesApprovalOut {
    fn from(a: &RulesApproval) -> Self {
        RulesApprovalOut {
            org: a.org,
            version: a.version,
            by: a.by.clone(),
            at: a.at,
        }
    }
}

/// Roles, RACI and rules of engagement.
#[derive(Serialize, ToSchema)]
pub struct EngagementOut {
    /// People named per role.
    pub roles: Vec<RoleHolderOut>,
    /// Each member's part per area.
    pub raci: Vec<AssignmentOut>,
    /// What is missing or conflicting in the RACI.
    pub gaps: Vec<String>,
    /// The rules by section (shared_accounts, lead_ownership, brand_usage, approvals,
    /// data_sharing, rhythm, channels).
    pub rules: std::collections::BTreeMap<String, String>,
    /// Each member's team time zone, by handle.
    pub time_zones: std::collections::BTreeMap<String, String>,
    /// The rules' version (0 before any is written).
    pub version: i64,
    /// Approvals of the current version.
    pub approvals: Vec<RulesApprovalOut>,
    /// Whether every member approved the current version.
    pub agreed: bool,
}

impl From<Engagement> for EngagementOut {
    fn from(e: Engagement) -> Self {
        EngagementOut {
            roles: e.roles.iter().map(RoleHolderOut::from).collect(),
            raci: e.raci.iter().map(AssignmentOut::from).collect(),
            gaps: e.gaps,
            rules: e.rules,
            time_zones: e.time_zones,
            version: e.version,
            approvals: e.approvals.iter().map(RulesApprovalOut::from).collect(),
            agreed: e.agreed,
        }
    }
}

/// Your part in an activity area after a change, and what the RACI still lacks.
#[derive(Serialize, ToSchema)]
pub struct RaciOut {
    /// Your part.
    #[serde(flatten)]
    pub assignment: AssignmentOut,
    /// What is missing or conflicting in the whole RACI now.
    pub gaps: Vec<String>,
}

/// The rules of engagement and who agreed them: the answer to writing or approving them.
#[derive(Serialize, ToSchema)]
pub struct RulesOut {
    /// The rules by section.
    pub rules: std::collections::BTreeMap<String, String>,
    /// Each member's team time zone, by handle.
    pub time_zones: std::collections::BTreeMap<String, String>,
    /// The rules' version (0 before any is written).
    pub version: i64,
    /// Approvals of the current version.
    pub approvals: Vec<RulesApprovalOut>,
    /// Whether every member approved the current version.
    pub agreed: bool,
}

impl From<Engagement> for RulesOut {
    fn from(e: Engagement) -> Self {
        RulesOut {
            rules: e.rules,
            time_zones: e.time_zones,
            version: e.version,
            approvals: e.approvals.iter().map(RulesApprovalOut::from).collect(),
            agreed: e.agreed,
        }
    }
}

/// The partnership's roles, RACI (with its gaps) and rules of engagement.
#[utoipa::path(get, path = "/api/v1/orgs/{org}/partnerships/{id}/engagement", tag = "partnerships",
    params(("org" = String, Path), ("id" = uuid::Uuid, Path)),
    responses((status = 200, body = EngagementOut), (status = 404, body = Problem, content_type = "application/problem+json")))]
pub async fn get_engagement(
    State(state): State<AppState>,
    org: ApiOrg,
    ApiPath(path): ApiPath<(String, String)>,
) -> ApiResult<Json<EngagementOut>> {
    let engagement =
        comark_app::engagement::view(&state.app, &org.scope, partnership_id(&path.1)?).await?;
    Ok(Json(engagement.into()))
}

/// A person for a role.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RoleBody {
    /// Their name; empty clears the role.
    pub person: String,
    /// Their e-mail.
    #[serde(default)]
    pub email: String,
}

/// Names your holder of a role: executive_sponsor, partnership_manager, marketing_lead,
/// sales_lead or any other named role. Answers with your holder of it.
#[utoipa::path(put, path = "/api/v1/orgs/{org}/partnerships/{id}/roles/{role}", tag = "partnerships",
    params(("org" = String, Path), ("id" = uuid::Uuid, Path), ("role" = String, Path)), request_body = RoleBody,
    responses((status = 200, body = RoleHolderOut), (status = 403, body = Problem, content_type = "application/problem+json"),
              (status = 404, body = Problem, content_type = "application/problem+json"), (status = 409, body = Problem, content_type = "application/problem+json"),
              (status = 422, body = Problem, content_type = "application/problem+json")))]
pub async fn put_role(
    State(state): State<AppState>,
    org: ApiOrg,
    ApiPath(path): ApiPath<(String, String, String)>,
    ApiJson(body): ApiJson<RoleBody>,
) -> ApiResult<Json<RoleHolderOut>> {
    let engagement = comark_app::engagement::set_role(
        &state.app,
        &org.scope,
        partnership_id(&path.1)?,
        &path.2,
        &body.person,
        &body.email,
        &org.actor(),
    )
    .await?;
    let (ours, role) = (org.scope.org_id(), role_key(&path.2));
    let holder = engagement
        .roles
        .iter()
        .find(|r| r.org == ours && r.role == role)
        .map(RoleHolderOut::from)
        // A cleared role is no longer listed.
        .unwrap_or(RoleHolderOut {
            org: ours,
            role,
            person: String::new(),
            email: String::new(),
        });
    Ok(Json(holder))
}

/// Your part in an activity area.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RaciBody {
    /// The activity area ("Lead follow-up").
    pub area: String,
    /// R, A, C and I letters ("RA"); empty for no part.
    pub letters: String,
}

/// Sets your part in an activity area of the RACI; answers with it and the RACI's gaps.
#[utoipa::path(put, path = "/api/v1/orgs/{org}/partnerships/{id}/raci", tag = "partnerships",
    params(("org" = String, Path), ("id" = uuid::Uuid, Path)), request_body = RaciBody,
    responses((status = 200, body = RaciOut), (status = 403, body = Problem, content_type = "application/problem+json"),
              (status = 404, body = Problem, content_type = "application/problem+json"), (status = 409, body = Problem, content_type = "application/problem+json"),
              (status = 422, body = Problem, content_type = "application/problem+json")))]
pub async fn put_raci(
    State(state): State<AppState>,
    org: ApiOrg,
    ApiPath(path): ApiPath<(String, String)>,
    ApiJson(body): ApiJson<RaciBody>,
) -> ApiResult<Json<RaciOut>> {
    let engagement = comark_app::engagement::set_raci(
        &state.app,
        &org.scope,
        partnership_id(&path.1)?,
        &body.area,
        &body.letters,
        &org.actor(),
    )
    .await?;
    let (ours, area) = (org.scope.org_id(), body.area.trim());
    let assignment = engagement
        .raci
        .iter()
        .find(|a| a.org == ours && a.area == area)
        .map(AssignmentOut::from)
        .unwrap_or(AssignmentOut {
            area: area.to_owned(),
            org: ours,
            letters: String::new(),
        });
    Ok(Json(RaciOut {
        assignment,
        gaps: engagement.gaps,
    }))
}

/// The rules of engagement.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RulesBody {
    /// Text per section: shared_accounts, lead_ownership, brand_usage, approvals,
    /// data_sharing, rhythm, channels.
    #[serde(default)]
    pub rules: std::collections::BTreeMap<String, String>,
    /// Your team's time zone (Europe/Berlin).
    #[serde(default)]
    pub time_zone: Option<String>,
}

/// Writes a new version of the rules of engagement; every other member must approve it
/// again. Answers with the rules and their approvals.
#[utoipa::path(put, path = "/api/v1/orgs/{org}/partnerships/{id}/rules", tag = "partnerships",
    params(("org" = String, Path), ("id" = uuid::Uuid, Path)), request_body = RulesBody,
    responses((status = 200, body = RulesOut), (status = 403, body = Problem, content_type = "application/problem+json"),
              (status = 404, body = Problem, content_type = "application/problem+json"), (status = 409, body = Problem, content_type = "application/problem+json"),
              (status = 422, body = Problem, content_type = "application/problem+json")))]
pub async fn put_rules(
    State(state): State<AppState>,
    org: ApiOrg,
    ApiPath(path): ApiPath<(String, String)>,
    ApiJson(body): ApiJson<RulesBody>,
) -> ApiResult<Json<RulesOut>> {
    let (engagement, _) = comark_app::engagement::save_rules(
        &state.app,
        &org.scope,
        partnership_id(&path.1)?,
        &body.rules,
        body.time_zone.as_deref(),
        &org.actor(),
    )
    .await?;
    Ok(Json(engagement.into()))
}

/// The version of the rules you approve.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ApproveRulesBody {
    /// The version you read; a newer one answers 409.
    pub version: i64,
}

/// Approves the current rules of engagement; answers with the rules and their approvals.
#[utoipa::path(post, path = "/api/v1/orgs/{org}/partnerships/{id}/rules/approve", tag = "partnerships",
    params(("org" = String, Path), ("id" = uuid::Uuid, Path)), request_body = ApproveRulesBody,
    responses((status = 200, body = RulesOut), (status = 403, body = Problem, content_type = "application/problem+json"),
              (status = 404, body = Problem, content_type = "application/problem+json"), (status = 409, body = Problem, content_type = "application/problem+json"),
              (status = 422, body = Problem, content_type = "application/problem+json")))]
pub async fn approve_rules(
    State(state): State<AppState>,
    org: ApiOrg,
    ApiPath(path): ApiPath<(String, String)>,
    ApiJson(body): ApiJson<ApproveRulesBody>,
) -> ApiResult<Json<RulesOut>> {
    let engagement = comark_app::engagement::approve_rules(
        &state.app,
        &org.scope,
        partnership_id(&path.1)?,
        body.version,
        &org.actor(),
    )
    .await?;
    Ok(Json(engagement.into()))
}
