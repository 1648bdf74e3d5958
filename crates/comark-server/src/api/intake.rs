//! Inbound partnership requests: the public form, the vetting queue and its decisions.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use comark_app::intake::{self, RequestView};
use comark_app::AppError;
use comark_domain::intake::{ProposalKind, RequestForm};
use comark_domain::RequestId;
use comark_store::intake::{IntakeSettings, PartnershipRequest};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::extract::{ApiJson, ApiPath, ApiQuery};
use super::profiles::FitOut;
use crate::auth::{ApiOrg, ClientInfo};
use crate::error::{ApiError, Problem};
use crate::AppState;

type ApiResult<T> = Result<T, ApiError>;

fn request_id(raw: &str) -> Result<RequestId, ApiError> {
    raw.parse().map_err(|_| AppError::NotFound.into())
}

/// An organization's open request form.
#[derive(Serialize, ToSchema)]
pub struct PublicFormOut {
    /// The organization's handle.
    pub handle: String,
    /// Its name.
    pub name: String,
    /// What it says about the partnerships it looks for.
    pub intro: String,
    /// What one may propose: co_creation, co_promotion, co_branding, co_selling, event or other.
    pub kinds: Vec<String>,
}

/// A partnership request.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RequestBody {
    /// The person asking.
    pub name: String,
    /// Their e-mail address, for the answer.
    pub email: String,
    /// Their company.
    pub company: String,
    /// The company's website.
    #[serde(default)]
    pub website: String,
    /// co_creation, co_promotion, co_branding, co_selling, event or other.
    pub kind: String,
    /// The audience they bring.
    #[serde(default)]
    pub audience: String,
    /// What they would contribute.
    #[serde(default)]
    pub contribution: String,
    /// The proposal.
    pub message: String,
}

impl RequestBody {
    fn into_form(self) -> RequestForm {
        RequestForm {
            name: self.name,
            email: self.email,
            company: self.company,
            website: self.website,
            kind: self.kind,
            audience: self.audience,
            contribution: self.contribution,
            message: self.message,
        }
    }
}

/// A request from one organization on this instance to another.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SentRequestBody {
    /// The handle of the organization asked.
    pub to: String,
    /// The request.
    pub request: RequestBody,
}

/// The answer to a request sent.
#[derive(Serialize, ToSchema)]
pub struct ReceivedOut {
    /// Always "received": the organization's vetters will answer by e-mail.
    pub status: String,
}

/// The open request form of an organization (anyone may read it).
#[utoipa::path(get, path = "/api/v1/intake/{handle}", tag = "intake", security(()),
    params(("handle" = String, Path)),
    responses((status = 200, body = PublicFormOut), (status = 404, body = Problem, content_type = "application/problem+json")))]
pub async fn get_public_form(
    State(state): State<AppState>,
    ApiPath(handle): ApiPath<String>,
) -> ApiResult<Json<PublicFormOut>> {
    let form = intake::public_form(&state.app, &handle).await?;
    Ok(Json(PublicFormOut {
        handle: form.org.handle,
        name: form.org.name,
        intro: form.intro,
        kinds: ProposalKind::ALL
            .iter()
            .map(|k| k.as_str().to_owned())
            .collect(),
    }))
}

/// Sends a partnership request to an organization whose form is open (anyone may; limited
/// per client address per hour).
#[utoipa::path(post, path = "/api/v1/intake/{handle}", tag = "intake", security(()),
    params(("handle" = String, Path)), request_body = RequestBody,
    responses((status = 202, body = ReceivedOut), (status = 404, body = Problem, content_type = "application/problem+json"),
              (status = 422, body = Problem, content_type = "application/problem+json"),
              (status = 429, body = Problem, content_type = "application/problem+json")))]
pub async fn submit_request(
    State(state): State<AppState>,
    ClientInfo(client): ClientInfo,
    ApiPath(handle): ApiPath<String>,
    ApiJson(body): ApiJson<RequestBody>,
) -> ApiResult<Response> {
    intake::submit(&state.app, &handle, &body.into_form(), None, None, &client).await?;
    Ok(received())
}

fn received() -> Response {
    (
        StatusCode::ACCEPTED,
        Json(ReceivedOut {
            status: "received".into(),
        }),
    )
        .into_response()
}

/// Sends a partnership request as your organization, so the receiver sees who you are and
/// your fit (owners, admins, partner managers).
#[utoipa::path(post, path = "/api/v1/orgs/{org}/sent-requests", tag = "intake",
    params(("org" = String, Path)), request_body = SentRequestBody,
    responses((status = 202, body = ReceivedOut), (status = 403, body = Problem, content_type = "application/problem+json"),
              (status = 404, body = Problem, content_type = "application/problem+json"),
              (status = 409, body = Problem, content_type = "application/problem+json"),
              (status = 422, body = Problem, content_type = "application/problem+json"),
              (status = 429, body = Problem, content_type = "application/problem+json")))]
pub async fn send_request(
    State(state): State<AppState>,
    org: ApiOrg,
    ApiPath(_org): ApiPath<String>,
    ApiJson(body): ApiJson<SentRequestBody>,
) -> ApiResult<Response> {
    let to = body.to.trim().trim_start_matches('@').to_lowercase();
    intake::submit(
        &state.app,
        &to,
        &body.request.into_form(),
        None,
        Some(&org.scope),
        &org.user.client,
    )
    .await?;
    Ok(received())
}

/// A request your organization sent.
#[derive(Serialize, ToSchema)]
pub struct SentRequestOut {
    /// Its id.
    pub id: uuid::Uuid,
    /// The organization asked.
    pub to: OrgRefOut,
    /// What was proposed.
    pub kind: String,
    /// new, vetting, accepted or declined.
    pub status: String,
    /// The note sent with an acceptance or a refusal.
    pub answer: String,
    /// Who sent it.
    pub sent_by: String,
    /// When.
    pub sent_at: chrono::DateTime<chrono::Utc>,
    /// When it last changed.
    pub updated_at: chrono::DateTime<chrono::Utc>,
}

/// The requests your organization sent as itself, newest first, and where each stands.
#[utoipa::path(get, path = "/api/v1/orgs/{org}/sent-requests", tag = "intake",
    params(("org" = String, Path)),
    responses((status = 200, body = Vec<SentRequestOut>), (status = 404, body = Problem, content_type = "application/problem+json")))]
pub async fn list_sent_requests(
    State(state): State<AppState>,
    org: ApiOrg,
) -> ApiResult<Json<Vec<SentRequestOut>>> {
    let sent = intake::sent(&state.app, &org.scope).await?;
    Ok(Json(
        sent.into_iter()
            .map(|r| SentRequestOut {
                id: r.id.0,
                to: OrgRefOut {
                    handle: r.to.handle,
                    name: r.to.name,
                },
                kind: r.kind.as_str().to_owned(),
                status: r.status.as_str().to_owned(),
                answer: r.answer,
                sent_by: r.sent_by,
                sent_at: r.sent_at,
                updated_at: r.updated_at,
            })
            .collect(),
    ))
}

/// How an organization takes requests.
#[derive(Serialize, ToSchema)]
pub struct IntakeOut {
    /// Whether the public form takes requests.
    pub open: bool,
    /// What the form says above its fields.
    pub intro: String,
    /// The vetting checklist.
    pub checklist: Vec<String>,
    /// The public form's address.
    pub link: String,
}

fn intake_out(state: &AppState, handle: &str, settings: IntakeSettings) -> IntakeOut {
    IntakeOut {
        open: settings.open,
        intro: settings.intro,
        checklist: settings.checklist,
        link: intake::public_link(&state.app, handle),
    }
}

/// Your request form's settings and vetting checklist.
#[utoipa::path(get, path = "/api/v1/orgs/{org}/intake", tag = "intake", params(("org" = String, Path)),
    responses((status = 200, body = IntakeOut), (status = 404, body = Problem, content_type = "application/problem+json")))]
pub async fn get_intake(State(state): State<AppState>, org: ApiOrg) -> ApiResult<Json<IntakeOut>> {
    let settings = intake::settings(&state.app, &org.scope).await?;
    Ok(Json(intake_out(&state, &org.scope.org().handle, settings)))
}

/// The form's settings.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct IntakeBody {
    /// Whether the public form takes requests.
    pub open: bool,
    /// What the form says above its fields.
    #[serde(default)]
    pub intro: String,
    /// The vetting checklist, one item each.
    pub checklist: Vec<String>,
}

/// Opens or closes the request form and sets its checklist (owners, admins, partner managers).
#[utoipa::path(put, path = "/api/v1/orgs/{org}/intake", tag = "intake", params(("org" = String, Path)),
    request_body = IntakeBody,
    responses((status = 200, body = IntakeOut), (status = 403, body = Problem, content_type = "application/problem+json"),
              (status = 404, body = Problem, content_type = "application/problem+json"),
              (status = 422, body = Problem, content_type = "application/problem+json")))]
pub async fn put_intake(
    State(state): State<AppState>,
    org: ApiOrg,
    ApiJson(body): ApiJson<IntakeBody>,
) -> ApiResult<Json<IntakeOut>> {
    let settings = intake::save_settings(
        &state.app,
        &org.scope,
        body.open,
        &body.intro,
        &body.checklist,
        &org.actor(),
    )
    .await?;
    Ok(Json(intake_out(&state, &org.scope.org().handle, settings)))
}

/// An organization on this instance.
#[derive(Serialize, ToSchema)]
pub struct OrgRefOut {
    /// Its handle.
    pub handle: String,
    /// Its name.
    pub name: String,
}

/// A request in the queue.
#[derive(Serialize, ToSchema)]
pub struct RequestOut {
    /// Its id.
    pub id: uuid::Uuid,
    /// new, vetting, accepted, declined or spam.
    pub status: String,
    /// The person asking.
    pub name: String,
    /// Their e-mail address.
    pub email: String,
    /// Their company.
    pub company: String,
    /// The company's website.
    pub website: String,
    /// The requester's organization, when a member of it sent the request signed in.
    pub requester: Option<OrgRefOut>,
    /// What they propose.
    pub kind: String,
    /// The audience they bring.
    pub audience: String,
    /// What they would contribute.
    pub contribution: String,
    /// The proposal.
    pub message: String,
    /// Why comark filed it as spam.
    pub spam_reason: Option<String>,
    /// Who vets it.
    pub assignee: Option<uuid::Uuid>,
    /// The assignee's name.
    pub assignee_name: Option<String>,
    /// The partnership it became.
    pub partnership: Option<uuid::Uuid>,
    /// The note sent with the decision.
    pub decision_note: String,
    /// When it arrived.
    pub created_at: chrono::DateTime<chrono::Utc>,
    /// When it last changed.
    pub updated_at: chrono::DateTime<chrono::Utc>,
}

impl From<PartnershipRequest> for RequestOut {
    fn from(r: PartnershipRequest) -> Self {
        RequestOut {
            id: r.id.0,
            status: r.status.as_str().to_owned(),
            name: r.name,
            email: r.email,
            company: r.company,
            website: r.website,
            requester: r.requester.map(|o| OrgRefOut {
                handle: o.handle,
                name: o.name,
            }),
            kind: r.kind.as_str().to_owned(),
            audience: r.audience,
            contribution: r.contribution,
            message: r.message,
            spam_reason: r.spam_reason,
            assignee: r.assignee.as_ref().map(|(id, _)| id.0),
            assignee_name: r.assignee.map(|(_, name)| name),
            partnership: r.partnership.map(|p| p.0),
            decision_note: r.decision_note,
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }
}

/// One vetting check.
#[derive(Serialize, ToSchema)]
pub struct CheckOut {
    /// The checklist item.
    pub item: String,
    /// pending, pass, concern or fail.
    pub verdict: String,
    /// Why.
    pub note: String,
    /// Who answered (absent while pending).
    pub checked_by: Option<String>,
    /// When.
    pub checked_at: Option<chrono::DateTime<chrono::Utc>>,
}

/// One entry of a request's history.
#[derive(Serialize, ToSchema)]
pub struct RequestEventOut {
    /// When.
    pub at: chrono::DateTime<chrono::Utc>,
    /// Who.
    pub actor: String,
    /// received, assigned, checked, accepted, declined, spam, reopened or partnership_started.
    pub kind: String,
    /// The details.
    pub detail: String,
}

/// A request with its vetting.
#[derive(Serialize, ToSchema)]
pub struct RequestDetailOut {
    /// The request.
    #[serde(flatten)]
    pub request: RequestOut,
    /// Every checklist item with its answer.
    pub checks: Vec<CheckOut>,
    /// Checks passed, with a concern, failed and pending.
    pub passed: usize,
    /// Checks with a concern.
    pub concerns: usize,
    /// Checks failed.
    pub failed: usize,
    /// Checks pending.
    pub pending: usize,
    /// The requester's fit with you, when comark can tell.
    pub fit: Option<FitOut>,
    /// Why no fit is shown.
    pub fit_note: Option<String>,
    /// Whether you are connected with the requester's organization.
    pub connected: bool,
    /// What happened, oldest first.
    pub history: Vec<RequestEventOut>,
}

impl From<RequestView> for RequestDetailOut {
    fn from(view: RequestView) -> Self {
        let checks = view
            .checklist
            .iter()
            .map(
                |item| match view.detail.checks.iter().find(|c| &c.item == item) {
                    Some(c) => CheckOut {
                        item: item.clone(),
                        verdict: c.verdict.as_str().to_owned(),
                        note: c.note.clone(),
                        checked_by: Some(c.checked_by.clone()),
                        checked_at: Some(c.checked_at),
                    },
                    None => CheckOut {
                        item: item.clone(),
                        verdict: "pending".into(),
                        note: String::new(),
                        checked_by: None,
                        checked_at: None,
                    },
                },
            )
            .collect();
        RequestDetailOut {
            checks,
            passed: view.progress.passed,
            concerns: view.progress.concerns,
            failed: view.progress.failed,
            pending: view.progress.pending,
            fit: view.fit.map(Into::into),
            fit_note: view.fit_note,
            connected: view.connected,
            history: view
                .detail
                .history
                .into_iter()
                .map(|e| RequestEventOut {
                    at: e.at,
                    actor: e.actor,
                    kind: e.kind,
                    detail: e.detail,
                })
                .collect(),
            request: view.detail.request.into(),
        }
    }
}

/// Which requests to list.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RequestsQuery {
    /// Only requests in this status: new, vetting, accepted, declined or spam.
    pub status: Option<String>,
}

/// The request queue, newest first.
#[utoipa::path(get, path = "/api/v1/orgs/{org}/requests", tag = "intake",
    params(("org" = String, Path), RequestsQuery),
    responses((status = 200, body = Vec<RequestOut>), (status = 404, body = Problem, content_type = "application/problem+json"),
              (status = 422, body = Problem, content_type = "application/problem+json")))]
pub async fn list_requests(
    State(state): State<AppState>,
    org: ApiOrg,
    ApiQuery(query): ApiQuery<RequestsQuery>,
) -> ApiResult<Json<Vec<RequestOut>>> {
    let list = intake::list(&state.app, &org.scope, query.status.as_deref()).await?;
    Ok(Json(list.into_iter().map(Into::into).collect()))
}

/// One request with its checklist, fit and history.
#[utoipa::path(get, path = "/api/v1/orgs/{org}/requests/{id}", tag = "intake",
    params(("org" = String, Path), ("id" = uuid::Uuid, Path)),
    responses((status = 200, body = RequestDetailOut), (status = 404, body = Problem, content_type = "application/problem+json")))]
pub async fn get_request(
    State(state): State<AppState>,
    org: ApiOrg,
    ApiPath(path): ApiPath<(String, String)>,
) -> ApiResult<Json<RequestDetailOut>> {
    let view = intake::get(&state.app, &org.scope, request_id(&path.1)?).await?;
    Ok(Json(view.into()))
}

/// Who vets a request.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AssigneeBody {
    /// A member's user id, or null for nobody.
    pub assignee: Option<uuid::Uuid>,
}

/// Hands a request to a member, who is told by e-mail (owners, admins, partner managers).
#[utoipa::path(put, path = "/api/v1/orgs/{org}/requests/{id}/assignee", tag = "intake",
    params(("org" = String, Path), ("id" = uuid::Uuid, Path)), request_body = AssigneeBody,
    responses((status = 200, body = RequestDetailOut), (status = 403, body = Problem, content_type = "application/problem+json"),
              (status = 404, body = Problem, content_type = "application/problem+json"),
              (status = 422, body = Problem, content_type = "application/problem+json")))]
pub async fn put_assignee(
    State(state): State<AppState>,
    org: ApiOrg,
    ApiPath(path): ApiPath<(String, String)>,
    ApiJson(body): ApiJson<AssigneeBody>,
) -> ApiResult<Json<RequestDetailOut>> {
    let view = intake::assign(
        &state.app,
        &org.scope,
        request_id(&path.1)?,
        body.assignee.map(Into::into),
        &org.actor(),
    )
    .await?;
    Ok(Json(view.into()))
}

/// The answer to one vetting check.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CheckBody {
    /// The checklist item.
    pub item: String,
    /// pending, pass, concern or fail.
    pub verdict: String,
    /// Why.
    #[serde(default)]
    pub note: String,
}

/// Answers one item of the vetting checklist (owners, admins, partner managers).
#[utoipa::path(post, path = "/api/v1/orgs/{org}/requests/{id}/checks", tag = "intake",
    params(("org" = String, Path), ("id" = uuid::Uuid, Path)), request_body = CheckBody,
    responses((status = 200, body = RequestDetailOut), (status = 403, body = Problem, content_type = "application/problem+json"),
              (status = 404, body = Problem, content_type = "application/problem+json"),
              (status = 409, body = Problem, content_type = "application/problem+json"),
              (status = 422, body = Problem, content_type = "application/problem+json")))]
pub async fn check_request(
    State(state): State<AppState>,
    org: ApiOrg,
    ApiPath(path): ApiPath<(String, String)>,
    ApiJson(body): ApiJson<CheckBody>,
) -> ApiResult<Json<RequestDetailOut>> {
    let view = intake::check(
        &state.app,
        &org.scope,
        request_id(&path.1)?,
        &body.item,
        &body.verdict,
        &body.note,
        &org.actor(),
    )
    .await?;
    Ok(Json(view.into()))
}

/// A decision on a request.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DecisionBody {
    /// accept, decline, spam or reopen.
    pub decision: String,
    /// The note (sent to the requester when accepting or declining; required to decline).
    #[serde(default)]
    pub note: String,
}

/// Accepts, declines, marks as spam or reopens a request; the requester hears of an
/// acceptance or a refusal by e-mail (owners, admins, partner managers).
#[utoipa::path(post, path = "/api/v1/orgs/{org}/requests/{id}/decision", tag = "intake",
    params(("org" = String, Path), ("id" = uuid::Uuid, Path)), request_body = DecisionBody,
    responses((status = 200, body = RequestDetailOut), (status = 403, body = Problem, content_type = "application/problem+json"),
              (status = 404, body = Problem, content_type = "application/problem+json"),
              (status = 409, body = Problem, content_type = "application/problem+json"),
              (status = 422, body = Problem, content_type = "application/problem+json")))]
pub async fn decide_request(
    State(state): State<AppState>,
    org: ApiOrg,
    ApiPath(path): ApiPath<(String, String)>,
    ApiJson(body): ApiJson<DecisionBody>,
) -> ApiResult<Json<RequestDetailOut>> {
    let view = intake::decide(
        &state.app,
        &org.scope,
        request_id(&path.1)?,
        &body.decision,
        &body.note,
        &org.actor(),
    )
    .await?;
    Ok(Json(view.into()))
}

/// The partnership to start from an accepted request.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StartPartnershipBody {
    /// Its name (default: the requester's company and yours).
    #[serde(default)]
    pub name: String,
    /// Connected partners' handles (default: the requester's organization).
    #[serde(default)]
    pub partners: Vec<String>,
}

/// Starts a partnership from an accepted request (owners, admins, partner managers). The
/// answer is the request, which names the partnership; `Location` is the partnership's.
#[utoipa::path(post, path = "/api/v1/orgs/{org}/requests/{id}/partnership", tag = "intake",
    params(("org" = String, Path), ("id" = uuid::Uuid, Path)), request_body = StartPartnershipBody,
    responses((status = 201, body = RequestDetailOut,
               headers(("Location" = String, description = "The new partnership's address"))), (status = 403, body = Problem, content_type = "application/problem+json"),
              (status = 404, body = Problem, content_type = "application/problem+json"),
              (status = 409, body = Problem, content_type = "application/problem+json"),
              (status = 422, body = Problem, content_type = "application/problem+json")))]
pub async fn start_partnership(
    State(state): State<AppState>,
    org: ApiOrg,
    ApiPath(path): ApiPath<(String, String)>,
    ApiJson(body): ApiJson<StartPartnershipBody>,
) -> ApiResult<Response> {
    let view = intake::start_partnership(
        &state.app,
        &org.scope,
        request_id(&path.1)?,
        &body.name,
        &body.partners,
        &org.actor(),
    )
    .await?;
    let out = RequestDetailOut::from(view);
    let mut response = (StatusCode::CREATED, Json(&out)).into_response();
    if let Some(location) = out.request.partnership.and_then(|id| {
        let path = format!("/api/v1/orgs/{}/partnerships/{id}", org.scope.org().handle);
        axum::http::HeaderValue::from_str(&path).ok()
    }) {
        response
            .headers_mut()
            .insert(axum::http::header::LOCATION, location);
    }
    Ok(response)
}
