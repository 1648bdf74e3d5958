//! Inbound partnership requests: the public form, the vetting queue, and turning an accepted
//! request into a partnership.

use chrono::Duration;
use comark_domain::fit::{Fit, Weights};
use comark_domain::intake::{
    parse_checklist, spam_signal, vetting_progress, Decision, RequestForm, RequestStatus, Verdict,
    VettingProgress,
};
use comark_domain::{Action, OrgHandle, RequestId, UserId, ValidationErrors};
use comark_store::intake::{
    IntakeSettings, NewRequest, PartnershipRequest, RequestDetail, SentRequest,
};
use comark_store::{now, Actor, OrgScope, Organization};
use hmac::{Hmac, Mac};
use serde::Serialize;
use sha2::Sha256;

use crate::auth::Client;
use crate::mail::Email;
use crate::orgs::require;
use crate::partnerships::NewPartnership;
use crate::{App, AppError, Result};

/// Requests one client address may send within an hour, to every organization together.
pub const MAX_REQUESTS_PER_ADDRESS: i64 = 5;
/// Requests an organization on this instance may send, signed in, within an hour.
pub const MAX_REQUESTS_PER_SENDER: i64 = 20;
/// Requests one organization takes from everyone within an hour; beyond it, a flood.
pub const MAX_REQUESTS_PER_ORG: i64 = 60;
/// A person needs at least this long to read the form and fill it in.
pub const MIN_FILL_TIME: Duration = Duration::seconds(3);
/// A form's ticket expires after this long.
pub const TICKET_LIFETIME: Duration = Duration::hours(24);

/// How an organization takes requests.
pub async fn settings(app: &App, scope: &OrgScope) -> Result<IntakeSettings> {
    require(scope, Action::View)?;
    Ok(app.store.org(scope).intake_settings().await?)
}

/// Opens or closes the public form and sets its introduction and the vetting checklist.
pub async fn save_settings(
    app: &App,
    scope: &OrgScope,
    open: bool,
    intro: &str,
    checklist: &[String],
    actor: &Actor,
) -> Result<IntakeSettings> {
    require(scope, Action::ManagePartnerships)?;
    let mut errors = ValidationErrors::default();
    let intro = intro.trim();
    if intro.chars().count() > 2000 {
        errors.add("intro", "must be at most 2000 characters");
    }
    let checklist = match parse_checklist(checklist) {
        Ok(items) if items.is_empty() => {
            errors.add("checklist", "name at least one thing to check");
            Vec::new()
        }
        Ok(items) => items,
        Err(bad) => {
            errors.0.extend(bad.0);
            Vec::new()
        }
    };
    errors.into_result()?;
    let settings = IntakeSettings {
        open,
        intro: intro.to_owned(),
        checklist,
    };
    app.store
        .org(scope)
        .save_intake_settings(&settings, actor)
        .await?;
    Ok(settings)
}

/// The link an organization hands out for requests.
pub fn public_link(app: &App, handle: &str) -> String {
    app.link(&format!("/r/{handle}"))
}

/// An open form, as a visitor sees it.
#[derive(Clone, Debug)]
pub struct PublicForm {
    /// The organization asked.
    pub org: Organization,
    /// What it says above the form.
    pub intro: String,
    /// The signed time the form was handed out, returned with the answers.
    pub ticket: String,
}

async fn ticket_key(app: &App) -> Result<Vec<u8>> {
    let fresh: [u8; 32] = rand::random();
    Ok(app.store.instance_secret("intake-ticket", &fresh).await?)
}

fn sign(key: &[u8], handle: &str, issued: i64) -> Result<String> {
    let mut mac = Hmac::<Sha256>::new_from_slice(key)
        .map_err(|e| AppError::Internal(format!("ticket key: {e}")))?;
    mac.update(format!("{handle}:{issued}").as_bytes());
    Ok(hex::encode(mac.finalize().into_bytes()))
}

/// The open form of the organization with `handle` (not found when closed).
pub async fn public_form(app: &App, handle: &str) -> Result<PublicForm> {
    let handle = OrgHandle::parse(handle).map_err(|_| AppError::NotFound)?;
    let (org, settings) = app
        .store
        .open_intake(handle.as_str())
        .await?
        .ok_or(AppError::NotFound)?;
    let issued = now().timestamp();
    let ticket = format!(
        "{issued}.{}",
        sign(&ticket_key(app).await?, &org.handle, issued)?
    );
    Ok(PublicForm {
        intro: settings.intro,
        org,
        ticket,
    })
}

/// What a web form adds to tell people from scripts.
#[derive(Clone, Debug, Default)]
pub struct FormGuard {
    /// The ticket the form was handed out with.
    pub ticket: String,
    /// A field hidden from people; scripts fill it in.
    pub trap: String,
}

/// Why a web submission looks automated, if it does.
async fn bot_signal(app: &App, handle: &str, guard: &FormGuard) -> Result<Option<String>> {
    if !guard.trap.trim().is_empty() {
        return Ok(Some("a field hidden from people was filled in".into()));
    }
    let Some((issued, signature)) = guard.ticket.split_once('.') else {
        return Ok(Some("the form's ticket is missing".into()));
    };
    let Ok(issued) = issued.parse::<i64>() else {
        return Ok(Some("the form's ticket is malformed".into()));
    };
    let expected = sign(&ticket_key(app).await?, handle, issued)?;
    if !crate::secrets::constant_time_eq(&expected, signature) {
        return Ok(Some("the form's ticket is forged".into()));
    }
    let age = now().timestamp() - issued;
    if age < MIN_FILL_TIME.num_seconds() {
        return Ok(Some(format!(
            "the form was sent {age} s after it was shown"
        )));
    }
    if age > TICKET_LIFETIME.num_seconds() {
        return Err(AppError::Rule(
            "this form was open for more than a day; reload it and send again".into(),
        ));
    }
    Ok(None)
}

/// Files a request with the organization `handle`: rate-limited per client address and per
/// organization; what looks automated or like spam is filed as spam (the sender sees the
/// same answer). `guard` comes from the web form; `sender` is the requester's organization
/// when a signed-in member of it sends the request. E-mails the organization's vetters.
pub async fn submit(
    app: &App,
    handle: &str,
    form: &RequestForm,
    guard: Option<&FormGuard>,
    sender: Option<&OrgScope>,
    client: &Client,
) -> Result<RequestId> {
    let parsed = OrgHandle::parse(handle).map_err(|_| AppError::NotFound)?;
    let (org, _) = app
        .store
        .open_intake(parsed.as_str())
        .await?
        .ok_or(AppError::NotFound)?;
    if let Some(scope) = sender {
        require(scope, Action::ManagePartnerships)?;
    }
    let proposal = form.parse()?;
    if sender.is_some_and(|s| s.org_id() == org.id) {
        return Err(AppError::Rule(
            "this is your own organization's request form".into(),
        ));
    }
    let window = Duration::hours(1);
    let mut keys = vec![(format!("intake-org:{}", org.id), MAX_REQUESTS_PER_ORG)];
    // A member sending for their organization is known: count the organization, not the
    // address (colleagues behind one office address would block each other).
    match (sender, &client.ip) {
        (Some(scope), _) => keys.push((
            format!("intake-from:{}", scope.org_id()),
            MAX_REQUESTS_PER_SENDER,
        )),
        (None, Some(ip)) => keys.push((format!("intake:{ip}"), MAX_REQUESTS_PER_ADDRESS)),
        (None, None) => {}
    }
    for (key, _) in &keys {
        if let Some(until) = app.store.sign_in_locked_until(key).await? {
            return Err(AppError::Throttled {
                retry_after_secs: (until - now()).num_seconds().max(1),
            });
        }
    }
    // The throttle table counts any key with a window and a lock (see auth::mail_allowed).
    for (key, max) in &keys {
        app.store
            .record_sign_in_failure(key, *max, window, window)
            .await?;
    }
    let mut spam = spam_signal(&proposal);
    if let Some(guard) = guard {
        if let Some(signal) = bot_signal(app, &org.handle, guard).await? {
            spam = Some(signal);
        }
    }
    let actor = match sender {
        Some(scope) => format!("{} ({})", proposal.name, scope.org().name),
        None => format!("{} <{}>", proposal.name, proposal.email),
    };
    let id = RequestId::new();
    // Spam is filed quietly; a real request e-mails its vetters, queued with it.
    let vetters = match spam {
        Some(_) => Vec::new(),
        None => app.store.request_vetters(org.id).await?,
    };
    let link = app.link(&format!("/o/{}/requests/{id}", org.handle));
    let mail = vetters
        .into_iter()
        .map(|to| {
            Email {
                to,
                subject: format!(
                    "New partnership request from {}: {}",
                    proposal.company,
                    proposal.kind.label()
                ),
                body: format!(
                    "{} of {} asks {} for a partnership ({}).\n\n{}\n\nVet it in comark:\n{link}\n",
                    proposal.name,
                    proposal.company,
                    org.name,
                    proposal.kind.label(),
                    proposal.message
                ),
            }
            .job()
        })
        .collect::<Vec<_>>();
    app.store
        .submit_request(
            NewRequest {
                id,
                org: org.id,
                proposal: &proposal,
                requester: sender.map(OrgScope::org_id),
                spam_reason: spam.as_deref(),
                actor: &actor,
            },
            &mail,
        )
        .await?;
    tracing::info!(request.id = %id, spam = spam.is_some(), "partnership request received");
    Ok(id)
}

/// The queue, newest first (only `status` when given).
pub async fn list(
    app: &App,
    scope: &OrgScope,
    status: Option<&str>,
) -> Result<Vec<PartnershipRequest>> {
    require(scope, Action::View)?;
    let status = match status.map(str::trim).filter(|s| !s.is_empty()) {
        None => None,
        Some(text) => Some(RequestStatus::parse(text).ok_or_else(|| {
            ValidationErrors::single("status", "use new, vetting, accepted, declined or spam")
        })?),
    };
    Ok(app.store.org(scope).requests(status).await?)
}

/// How far the vetting of each request in the queue got, against today's checklist (one
/// query for the whole queue).
pub async fn progress(
    app: &App,
    scope: &OrgScope,
) -> Result<std::collections::HashMap<RequestId, VettingProgress>> {
    require(scope, Action::View)?;
    let store = app.store.org(scope);
    let checklist = store.intake_settings().await?.checklist;
    let mut verdicts: std::collections::HashMap<RequestId, Vec<(String, Verdict)>> =
        std::collections::HashMap::new();
    for (id, item, verdict) in store.check_verdicts().await? {
        verdicts.entry(id).or_default().push((item, verdict));
    }
    Ok(verdicts
        .into_iter()
        .map(|(id, answered)| {
            let progress = vetting_progress(&checklist, |item| {
                answered.iter().find(|(i, _)| i == item).map(|(_, v)| *v)
            });
            (id, progress)
        })
        .collect())
}

/// The requests this organization sent as itself, newest first, as the requester sees them.
pub async fn sent(app: &App, scope: &OrgScope) -> Result<Vec<SentRequest>> {
    require(scope, Action::View)?;
    Ok(app.store.org(scope).sent_requests().await?)
}

/// A request as its vetters see it.
#[derive(Clone, Debug, Serialize)]
pub struct RequestView {
    /// The request, its checks and history.
    #[serde(flatten)]
    pub detail: RequestDetail,
    /// The organization's checklist, in order.
    pub checklist: Vec<String>,
    /// How far the vetting got.
    pub progress: VettingProgress,
    /// The requester's fit with us, when it is on this instance and we may read its profile.
    pub fit: Option<Fit>,
    /// Why no fit is shown, when none is.
    pub fit_note: Option<String>,
    /// Whether we are connected with the requester's organization.
    pub connected: bool,
}

/// One request with the checklist, the vetting's progress and the requester's fit.
pub async fn get(app: &App, scope: &OrgScope, id: RequestId) -> Result<RequestView> {
    require(scope, Action::View)?;
    let store = app.store.org(scope);
    let detail = store.request(id).await?;
    let mut checklist = store.intake_settings().await?.checklist;
    // Checks answered on items since removed from the checklist still count.
    for check in &detail.checks {
        if !checklist.contains(&check.item) {
            checklist.push(check.item.clone());
        }
    }
    let progress = vetting_progress(&checklist, |item| {
        detail
            .checks
            .iter()
            .find(|c| c.item == item)
            .map(|c| c.verdict)
    });
    let (fit, fit_note, connected) = match &detail.request.requester {
        None => (
            None,
            Some("The requester is not on this instance (or did not send it signed in).".into()),
            false,
        ),
        Some(org) => {
            let connected = store.accepted_connection_with(org.id).await?.is_some();
            match crate::profiles::candidate(app, scope, &org.handle, &Weights::default()).await {
                Ok(candidate) => (Some(candidate.fit), None, connected),
                Err(AppError::NotFound) => (
                    None,
                    Some(format!(
                        "{} has not written its profile yet; the fit shows once it does.",
                        org.name
                    )),
                    connected,
                ),
                Err(other) => return Err(other),
            }
        }
    };
    Ok(RequestView {
        detail,
        checklist,
        progress,
        fit,
        fit_note,
        connected,
    })
}

/// Hands the request to a member (or to nobody) and tells them by e-mail.
pub async fn assign(
    app: &App,
    scope: &OrgScope,
    id: RequestId,
    assignee: Option<UserId>,
    actor: &Actor,
) -> Result<RequestView> {
    require(scope, Action::ManagePartnerships)?;
    let store = app.store.org(scope);
    let request = store.request(id).await?.request;
    let link = app.link(&format!("/o/{}/requests/{id}", scope.org().handle));
    let notify = |to: &str| {
        Email {
            to: to.to_owned(),
            subject: format!(
                "Please vet the partnership request from {}",
                request.company
            ),
            body: format!(
                "{} asked you to vet the partnership request from {} ({}).\n\n{link}\n",
                actor.label,
                request.company,
                request.kind.label(),
            ),
        }
        .job()
    };
    // Nobody is told of a request they took themselves.
    let notify: Option<&(dyn Fn(&str) -> comark_store::NewJob + Sync)> =
        (assignee != actor.user_id).then_some(&notify);
    store
        .assign_request(id, assignee, notify, actor)
        .await
        .map_err(|error| match AppError::from(error) {
            AppError::Conflict { .. } => {
                ValidationErrors::single("assignee", "is not a member of this organization").into()
            }
            other => other,
        })?;
    get(app, scope, id).await
}

/// Records the answer to one item of the vetting checklist.
pub async fn check(
    app: &App,
    scope: &OrgScope,
    id: RequestId,
    item: &str,
    verdict: &str,
    note: &str,
    actor: &Actor,
) -> Result<RequestView> {
    require(scope, Action::ManagePartnerships)?;
    let view = get(app, scope, id).await?;
    let mut errors = ValidationErrors::default();
    let item = item.trim();
    if !view.checklist.iter().any(|i| i == item) {
        errors.add("item", "is not on your vetting checklist");
    }
    let verdict = Verdict::parse(verdict);
    if verdict.is_none() {
        errors.add("verdict", "use pending, pass, concern or fail");
    }
    let note = note.trim();
    if note.chars().count() > 2000 {
        errors.add("note", "must be at most 2000 characters");
    }
    errors.into_result()?;
    if !view.detail.request.status.is_open() {
        return Err(AppError::Rule(
            "this request is decided; reopen it to vet it again".into(),
        ));
    }
    app.store
        .org(scope)
        .check_request(id, item, verdict.unwrap_or(Verdict::Pending), note, actor)
        .await?;
    get(app, scope, id).await
}

/// Accepts, declines, marks as spam or reopens a request. Accepting or declining answers the
/// requester by e-mail; accepting also asks the requester's organization to connect (when it
/// is on the instance and not yet connected) or sends a link to connect.
pub async fn decide(
    app: &App,
    scope: &OrgScope,
    id: RequestId,
    decision: &str,
    note: &str,
    actor: &Actor,
) -> Result<RequestView> {
    require(scope, Action::ManagePartnerships)?;
    let decision = Decision::parse(decision).ok_or_else(|| {
        ValidationErrors::single("decision", "use accept, decline, spam or reopen")
    })?;
    let note = note.trim();
    if note.chars().count() > 2000 {
        return Err(ValidationErrors::single("note", "must be at most 2000 characters").into());
    }
    let view = get(app, scope, id).await?;
    let request = &view.detail.request;
    let to = decision
        .apply(request.status)
        .map_err(|reason| AppError::Rule(reason.into()))?;
    if decision == Decision::Decline && note.is_empty() {
        return Err(ValidationErrors::single(
            "note",
            "tell the requester why (it goes to them by e-mail)",
        )
        .into());
    }
    let us = &scope.org().name;
    // A decline's answer lands with the decision. An acceptance's answer names what comes
    // next (a connection request or an invite link), made only once the decision stands.
    let mut mail = Vec::new();
    if decision == Decision::Decline {
        mail.push(
            Email {
                to: request.email.clone(),
                subject: format!("Your partnership request to {us}"),
                body: format!(
                    "Hello {},\n\nThank you for your {} proposal. {us} has decided not to go ahead:\n\n{note}\n",
                    request.name,
                    request.kind.label().to_lowercase()
                ),
            }
            .job(),
        );
    }
    let store = app.store.org(scope);
    if !store
        .decide_request(id, request.status, to, note, &mail, actor)
        .await?
    {
        return Err(AppError::Rule(
            "someone else decided this request just now; reload it".into(),
        ));
    }
    match decision {
        Decision::Accept => {
            let next = match &request.requester {
                Some(org) if view.connected => format!(
                    "You and {us} are connected on comark already; the partnership starts there."
                ),
                Some(org) => {
                    let message = format!("Following up on your partnership request: {note}");
                    match crate::connections::request(app, scope, &org.handle, Some(message.trim()), actor)
                        .await
                    {
                        Ok(_) | Err(AppError::Invalid(_)) => format!(
                            "{us} asked {} to connect on comark; accept the request there to start.",
                            org.name
                        ),
                        Err(other) => return Err(other),
                    }
                }
                None => {
                    // The request is accepted already, and the link goes only to the vetted
                    // requester's address: it connects at once, once, within a month (time
                    // to sign up and create their organization).
                    let link = crate::connections::create_link(
                        app,
                        scope,
                        crate::connections::NewLink {
                            max_uses: Some(1),
                            expires_in_days: Some(30),
                            auto_accept: true,
                            note: Some(format!("Accepted request from {}", request.company)),
                        },
                        actor,
                    )
                    .await?;
                    format!(
                        "To work together in comark, sign up (it is free and self-hosted by {us}) and connect with this link:\n{}",
                        link.link
                    )
                }
            };
            Email {
                to: request.email.clone(),
                subject: format!("{us} accepted your partnership request"),
                body: format!(
                    "Hello {},\n\n{us} accepted your {} proposal.{}\n\n{next}\n",
                    request.name,
                    request.kind.label().to_lowercase(),
                    if note.is_empty() {
                        String::new()
                    } else {
                        format!("\n\n{note}")
                    }
                ),
            }
            .queue(app)
            .await?;
        }
        // Queued with the decision, above.
        Decision::Decline | Decision::Spam | Decision::Reopen => {}
    }
    get(app, scope, id).await
}

/// Starts a partnership from an accepted request, with the requester's organization (or the
/// connected partners named) as members; the request links to it.
pub async fn start_partnership(
    app: &App,
    scope: &OrgScope,
    id: RequestId,
    name: &str,
    partners: &[String],
    actor: &Actor,
) -> Result<RequestView> {
    require(scope, Action::ManagePartnerships)?;
    let view = get(app, scope, id).await?;
    let request = &view.detail.request;
    if request.status != RequestStatus::Accepted {
        return Err(AppError::Rule(
            "accept the request before starting a partnership from it".into(),
        ));
    }
    if request.partnership.is_some() {
        return Err(AppError::Rule(
            "a partnership was started from this request already".into(),
        ));
    }
    let mut partners: Vec<String> = partners
        .iter()
        .map(|p| p.trim().to_owned())
        .filter(|p| !p.is_empty())
        .collect();
    if partners.is_empty() {
        if let Some(org) = &request.requester {
            partners.push(org.handle.clone());
        }
    }
    let name = match name.trim() {
        "" => format!("{} × {}", request.company, scope.org().name),
        given => given.to_owned(),
    };
    let purpose = format!("{}: {}", request.kind.label(), request.message);
    // The partnership and the request's link to it land together, so a second start from
    // the same request (a double click, a retry) is refused rather than making another.
    crate::partnerships::create_from(
        app,
        scope,
        NewPartnership {
            name,
            purpose: purpose.chars().take(2000).collect(),
            partners,
        },
        Some(id),
        actor,
    )
    .await?;
    get(app, scope, id).await
}
