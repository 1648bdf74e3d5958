//! Inbound partnership requests: the public request form anyone may fill in (signed-in
//! members may send it as their organization), the form's settings and vetting checklist,
//! the queue, and one request's page, where it is assigned, vetted item by item, decided and
//! turned into a partnership.

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::request::Parts;
use axum::response::Response;
use chrono::{DateTime, Utc};
use comark_app::intake::{self, FormGuard, PublicForm, RequestView};
use comark_app::{orgs, AppError};
use comark_domain::fit::{Factor, Fit};
use comark_domain::intake::{
    Decision, ProposalKind, RequestForm, RequestStatus, Verdict, VettingProgress,
};
use comark_domain::{Action, RequestId, UserId, ValidationErrors};
use comark_store::intake::{PartnershipRequest, RequestEvent};
use maud::{html, Markup};
use serde::Deserialize;

use super::form::{ago, forbidden, pairs, text_of, value_of, when};
use super::layout::{csrf_field, error_page, field, not_found_page, page, Shell};
use super::org::{base, plural, secure, shell};
use super::session::{alert, error_for, form_response, general_error};
use super::{redirect_with_flash, Csrf, Flash, WebRoutes};
use crate::auth::{client_of, optional_web_user, WebOrg};
use crate::AppState;

pub(super) fn routes(routes: WebRoutes) -> WebRoutes {
    routes
        .get("/r/{handle}", public_page)
        .post("/r/{handle}", send)
        .get("/o/{org}/intake", settings_page)
        .post("/o/{org}/intake", save_settings)
        .get("/o/{org}/requests", queue_page)
        .get("/o/{org}/requests/{id}", request_page)
        .post("/o/{org}/requests/{id}/assign", assign)
        .post("/o/{org}/requests/{id}/checks", check)
        .post("/o/{org}/requests/{id}/decision", decide)
        .post("/o/{org}/requests/{id}/partnership", start_partnership)
}

/// The navigation area the intake pages belong to.
const AREA: &str = "requests";

/// The honeypot field: hidden from people, filled in by scripts.
const TRAP: &str = "homepage";

/// A time people read, with the exact moment for machines and on hover.
fn time(at: DateTime<Utc>, text: String) -> Markup {
    html! { time datetime=(at.to_rfc3339()) title=(when(at)) { (text) } }
}

/// `text` with a capital first letter.
fn sentence(text: &str) -> String {
    let mut chars = text.chars();
    chars
        .next()
        .map(|c| c.to_uppercase().collect::<String>() + chars.as_str())
        .unwrap_or_default()
}

/// A labelled text area with its error; `id` is unique on the page.
fn text_area(
    id: &str,
    label: &str,
    name: &str,
    value: &str,
    error: Option<&str>,
    rows: u8,
) -> Markup {
    let error_id = format!("{id}-error");
    html! {
        div.field {
            label for=(id) { (label) }
            textarea id=(id) name=(name) rows=(rows)
                aria-invalid=[error.map(|_| "true")] aria-describedby=[error.map(|_| error_id.as_str())] { (value) }
            @if let Some(error) = error {
                p.error id=(error_id) { (error) }
            }
        }
    }
}

/// Paragraphs of a text typed with blank lines between them.
fn paragraphs(text: &str) -> Markup {
    html! {
        @for paragraph in text.split("\n\n").map(str::trim).filter(|p| !p.is_empty()) {
            p { (paragraph) }
        }
    }
}

// ---------------------------------------------------------------------------------------
// The public form.

/// The signed-in person filling in a public form, and the organizations they may send a
/// request for (handle, name).
struct Visitor {
    id: UserId,
    name: String,
    email: String,
    senders: Vec<(String, String)>,
}

/// The visitor, when signed in: organizations whose role lets them send requests, other
/// than the one asked.
async fn visitor(
    state: &AppState,
    parts: &Parts,
    asked: &str,
) -> Result<Option<Visitor>, AppError> {
    let Some(current) = optional_web_user(parts, state)
        .await?
        .filter(|c| !c.second_factor_pending)
    else {
        return Ok(None);
    };
    let senders = state
        .app
        .organizations_of(current.user.id)
        .await?
        .into_iter()
        .filter(|o| {
            o.role.can(Action::ManagePartnerships) && !o.org.handle.eq_ignore_ascii_case(asked)
        })
        .map(|o| (o.org.handle, o.org.name))
        .collect();
    Ok(Some(Visitor {
        id: current.user.id,
        name: current.user.name,
        email: current.user.email,
        senders,
    }))
}

/// What was typed into the public form.
#[derive(Default)]
struct Draft {
    form: RequestForm,
    /// The handle of the organization sent as, or "" for the person alone.
    send_as: String,
}

impl Draft {
    fn of(pairs: &[(String, String)]) -> Draft {
        Draft {
            form: RequestForm {
                name: text_of(pairs, "name"),
                email: text_of(pairs, "email"),
                company: text_of(pairs, "company"),
                website: text_of(pairs, "website"),
                kind: text_of(pairs, "kind"),
                audience: text_of(pairs, "audience"),
                contribution: text_of(pairs, "contribution"),
                message: text_of(pairs, "message"),
            },
            send_as: text_of(pairs, "send_as"),
        }
    }
}

async fn public_page(
    State(state): State<AppState>,
    parts: Parts,
    Csrf(csrf): Csrf,
    Flash(flash): Flash,
    Path(handle): Path<String>,
) -> Response {
    let form = match intake::public_form(&state.app, &handle).await {
        Ok(form) => form,
        Err(error) => return error_page(error),
    };
    let visitor = match visitor(&state, &parts, &form.org.handle).await {
        Ok(visitor) => visitor,
        Err(error) => return error_page(error),
    };
    let draft = Draft {
        form: RequestForm {
            name: visitor.as_ref().map(|v| v.name.clone()).unwrap_or_default(),
            email: visitor
                .as_ref()
                .map(|v| v.email.clone())
                .unwrap_or_default(),
            ..RequestForm::default()
        },
        send_as: String::new(),
    };
    let markup = public_markup(
        &csrf,
        flash.as_deref(),
        &form,
        visitor.as_ref(),
        &draft,
        &None,
    );
    form_response(&None, markup)
}

/// A message for a refused submission that belongs to no field.
fn public_error(error: &Option<AppError>) -> Option<String> {
    match error {
        Some(AppError::Throttled { retry_after_secs }) => {
            let minutes = (retry_after_secs + 59) / 60;
            Some(format!(
                "Too many requests were sent from here in the last hour. Please try again in {minutes} {}.",
                plural(minutes, "minute", "minutes")
            ))
        }
        Some(AppError::Invalid(_)) => {
            Some("The request was not sent. Please correct the fields marked below.".into())
        }
        other => general_error(other),
    }
}

fn public_markup(
    csrf: &str,
    flash: Option<&str>,
    form: &PublicForm,
    visitor: Option<&Visitor>,
    draft: &Draft,
    error: &Option<AppError>,
) -> Markup {
    let org = &form.org;
    let title = format!("Propose a partnership to {}", org.name);
    let action = format!("/r/{}", org.handle);
    let senders = visitor.map(|v| v.senders.as_slice()).unwrap_or_default();
    let kind_error = error_for(error, "kind");
    let send_as_error = error_for(error, "send_as");
    page(
        Shell {
            title: &title,
            user_name: visitor.map(|v| v.name.as_str()),
            flash,
            csrf,
            ..Default::default()
        },
        html! {
            h1 { (title) }
            @if !form.intro.is_empty() {
                div.intro { (paragraphs(&form.intro)) }
            }
            p.muted { "Tell " (org.name) " who you are and what you would like to do together. Its team reads every request and answers by e-mail." }
            @if send_as_error.is_some() && senders.is_empty() {
                (alert(Some("You are no longer signed in. Sign in again to send the request as your organization, or send it as yourself.".into())))
            } @else {
                (alert(public_error(error)))
            }
            @if visitor.is_none() {
                p.hint {
                    "Already on comark? "
                    a href={ "/sign-in?next=" (crate::auth::url_encode(&action)) } { "Sign in" }
                    " to send the request as your organization, so that " (org.name) " sees who you are and how well you fit."
                }
            }
            form.stack method="post" action=(action) novalidate {
                (csrf_field(csrf))
                input type="hidden" name="ticket" value=(form.ticket);
                @if !senders.is_empty() {
                    div.field {
                        label for="f-send_as" { "Send as" }
                        select #f-send_as name="send_as" aria-invalid=[send_as_error.map(|_| "true")]
                            aria-describedby=[send_as_error.map(|_| "f-send_as-error")] {
                            option value="" selected[draft.send_as.is_empty()] {
                                "Just me" @if let Some(v) = visitor { " (" (v.name) ")" }
                            }
                            @for (handle, name) in senders {
                                option value=(handle) selected[draft.send_as == *handle] { (name) " (@" (handle) ")" }
                            }
                        }
                        p.hint { "Sent as your organization, the request shows " (org.name) " your organization's profile and fit." }
                        @if let Some(message) = send_as_error { p.error #f-send_as-error { (message) } }
                    }
                }
                (field("Your name", "name", "text", &draft.form.name, error_for(error, "name"), "name"))
                (field("Your e-mail", "email", "email", &draft.form.email, error_for(error, "email"), "email"))
                (field("Company", "company", "text", &draft.form.company, error_for(error, "company"), "organization"))
                (field("Website (optional)", "website", "text", &draft.form.website, error_for(error, "website"), "url"))
                div.field {
                    label for="f-kind" { "What you propose" }
                    select #f-kind name="kind" aria-invalid=[kind_error.map(|_| "true")]
                        aria-describedby=[kind_error.map(|_| "f-kind-error")] {
                        option value="" selected[ProposalKind::parse(&draft.form.kind).is_none()] { "Choose one" }
                        @for kind in ProposalKind::ALL {
                            option value=(kind.as_str()) selected[ProposalKind::parse(&draft.form.kind) == Some(kind)] { (kind.label()) }
                        }
                    }
                    @if let Some(message) = kind_error { p.error #f-kind-error { (message) } }
                }
                (text_area("f-audience", "The audience you bring (optional)", "audience", &draft.form.audience, error_for(error, "audience"), 2))
                (text_area("f-contribution", "What you would contribute (optional)", "contribution", &draft.form.contribution, error_for(error, "contribution"), 2))
                (text_area("f-message", "Your proposal", "message", &draft.form.message, error_for(error, "message"), 5))
                div.sr-only {
                    label for="f-homepage" { "Leave this empty" }
                    input #f-homepage type="text" name=(TRAP) value="" tabindex="-1" autocomplete="off";
                }
                div { button type="submit" { "Send request" } }
            }
        },
    )
}

async fn send(
    State(state): State<AppState>,
    parts: Parts,
    Csrf(csrf): Csrf,
    Path(handle): Path<String>,
    body: Bytes,
) -> Response {
    let pairs = pairs(&body);
    let draft = Draft::of(&pairs);
    let guard = FormGuard {
        ticket: text_of(&pairs, "ticket"),
        trap: text_of(&pairs, TRAP),
    };
    let visitor = match visitor(&state, &parts, &handle).await {
        Ok(visitor) => visitor,
        Err(error) => return error_page(error),
    };
    let send_as = draft.send_as.trim().trim_start_matches('@');
    let sender = if send_as.is_empty() {
        Ok(None)
    } else {
        let scope = match &visitor {
            Some(v) => match state.app.member_scope(v.id, send_as).await {
                Ok(scope) => scope,
                Err(error) => return error_page(error),
            },
            None => None,
        };
        scope.map(Some).ok_or_else(|| {
            let mut errors = draft.form.parse().err().unwrap_or_default();
            errors.add("send_as", "choose one of your organizations, or just you");
            AppError::Invalid(errors)
        })
    };
    let outcome = match sender {
        Ok(sender) => {
            intake::submit(
                &state.app,
                &handle,
                &draft.form,
                Some(&guard),
                sender.as_ref(),
                &client_of(&parts),
            )
            .await
        }
        Err(error) => Err(error),
    };
    let error = match outcome {
        Ok(_) => return thank_you(&state, &csrf, &handle, visitor.as_ref()).await,
        Err(AppError::NotFound) => return not_found_page(),
        Err(AppError::Forbidden) => return forbidden(),
        Err(error) => error,
    };
    let mut form = match intake::public_form(&state.app, &handle).await {
        Ok(form) => form,
        Err(error) => return error_page(error),
    };
    // Corrected fields keep the time the form was first shown; a form too old to send gets
    // a fresh ticket.
    if matches!(error, AppError::Invalid(_)) && !guard.ticket.is_empty() {
        form.ticket = guard.ticket;
    }
    let error = Some(error);
    let markup = public_markup(&csrf, None, &form, visitor.as_ref(), &draft, &error);
    form_response(&error, markup)
}

/// The answer to a request sent: the same whether it was filed as spam or not.
async fn thank_you(
    state: &AppState,
    csrf: &str,
    handle: &str,
    visitor: Option<&Visitor>,
) -> Response {
    let name = match state.app.organization(&handle.to_lowercase()).await {
        Ok(Some(org)) => org.name,
        Ok(None) => return not_found_page(),
        Err(error) => return error_page(error),
    };
    let markup = page(
        Shell {
            title: "Request sent",
            user_name: visitor.map(|v| v.name.as_str()),
            csrf,
            ..Default::default()
        },
        html! {
            h1 { "Thank you" }
            p { "Your request reached " (name) ". Its team reads every request and answers you by e-mail." }
            @if visitor.is_some() {
                p { a href="/" { "Back to your organizations" } }
            }
        },
    );
    form_response(&None, markup)
}

// ---------------------------------------------------------------------------------------
// The form's settings and the vetting checklist.

/// The settings as typed.
struct SettingsDraft {
    open: bool,
    intro: String,
    checklist: String,
}

async fn settings_page(
    State(state): State<AppState>,
    org: WebOrg,
    Csrf(csrf): Csrf,
    Flash(flash): Flash,
) -> Response {
    render_settings(&state, &org, &csrf, flash.as_deref(), None, None).await
}

async fn render_settings(
    state: &AppState,
    org: &WebOrg,
    csrf: &str,
    flash: Option<&str>,
    draft: Option<SettingsDraft>,
    error: Option<AppError>,
) -> Response {
    let settings = match intake::settings(&state.app, &org.scope).await {
        Ok(settings) => settings,
        Err(error) => return error_page(error),
    };
    let link = intake::public_link(&state.app, &org.scope.org().handle);
    let draft = draft.unwrap_or_else(|| SettingsDraft {
        open: settings.open,
        intro: settings.intro.clone(),
        checklist: settings.checklist.join("\n"),
    });
    let manage = org.scope.can(Action::ManagePartnerships);
    let base = base(org);
    let error_ref = &error;
    let markup = page(
        shell(org, "Request form", AREA, csrf, flash),
        html! {
            p.muted { a href={ (base) "/requests" } { "Partnership requests" } }
            h1 { "Request form" }
            p { "Prospective partners propose a partnership through your public form. Each request is vetted against your checklist before you accept it and start a partnership." }
            (alert(general_error(error_ref)))
            div.field {
                label for="f-link" { "Public link" }
                input #f-link type="text" value=(link) readonly aria-describedby="f-link-state";
                p.hint #f-link-state {
                    @if settings.open {
                        "The form is open: anyone with the link may send a request. "
                        a href={ "/r/" (org.scope.org().handle) } { "Open the form" }
                    } @else {
                        "The form is closed: the link shows “Not found” until you open it."
                    }
                }
            }
            @if manage {
                form.stack method="post" action={ (base) "/intake" } novalidate {
                    (csrf_field(csrf))
                    label.check for="f-open" {
                        input #f-open type="checkbox" name="open" value="yes" checked[draft.open];
                        " Take requests through the public form"
                    }
                    (text_area("f-intro", "Introduction (optional, shown above the form)", "intro", &draft.intro, error_for(error_ref, "intro"), 3))
                    (text_area("f-checklist", "Vetting checklist (one item per line)", "checklist", &draft.checklist, error_for(error_ref, "checklist"), 6))
                    div { button type="submit" { "Save" } }
                }
            } @else {
                h2 { "Introduction" }
                @if settings.intro.is_empty() { p.muted { "None." } } @else { (paragraphs(&settings.intro)) }
                h2 { "Vetting checklist" }
                ol { @for item in &settings.checklist { li { (item) } } }
                p.muted { "Owners, admins and partner managers change the form and the checklist." }
            }
        },
    );
    form_response(&error, markup)
}

async fn save_settings(
    State(state): State<AppState>,
    org: WebOrg,
    Csrf(csrf): Csrf,
    body: Bytes,
) -> Response {
    if !org.scope.can(Action::ManagePartnerships) {
        return forbidden();
    }
    let pairs = pairs(&body);
    let draft = SettingsDraft {
        open: value_of(&pairs, "open").is_some(),
        intro: text_of(&pairs, "intro"),
        checklist: text_of(&pairs, "checklist"),
    };
    let items: Vec<String> = draft.checklist.lines().map(str::to_owned).collect();
    match intake::save_settings(
        &state.app,
        &org.scope,
        draft.open,
        &draft.intro,
        &items,
        &org.actor(),
    )
    .await
    {
        Ok(saved) => {
            let message = if saved.open {
                "Saved. The request form is open."
            } else {
                "Saved. The request form is closed."
            };
            redirect_with_flash(&format!("{}/intake", base(&org)), message, secure(&state))
        }
        Err(AppError::NotFound) => not_found_page(),
        Err(AppError::Forbidden) => forbidden(),
        Err(error) => render_settings(&state, &org, &csrf, None, Some(draft), Some(error)).await,
    }
}

// ---------------------------------------------------------------------------------------
// The queue.

#[derive(Deserialize, Default)]
#[serde(default)]
struct QueueQuery {
    status: Option<String>,
}

/// A status as a badge.
fn status_badge(status: RequestStatus) -> Markup {
    let class = match status {
        RequestStatus::New => "status",
        RequestStatus::Vetting => "status at-risk",
        RequestStatus::Accepted => "status met",
        RequestStatus::Declined | RequestStatus::Spam => "status off-track",
    };
    html! { span class=(class) { (status.label()) } }
}

async fn queue_page(
    State(state): State<AppState>,
    org: WebOrg,
    Csrf(csrf): Csrf,
    Flash(flash): Flash,
    Query(query): Query<QueueQuery>,
) -> Response {
    let filter = query
        .status
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty());
    let requests = match intake::list(&state.app, &org.scope, filter).await {
        Ok(requests) => requests,
        Err(error) => return error_page(error),
    };
    let settings = match intake::settings(&state.app, &org.scope).await {
        Ok(settings) => settings,
        Err(error) => return error_page(error),
    };
    let progress = match intake::progress(&state.app, &org.scope).await {
        Ok(progress) => progress,
        Err(error) => return error_page(error),
    };
    let checklist_len = settings.checklist.len();
    let sent = match intake::sent(&state.app, &org.scope).await {
        Ok(sent) => sent,
        Err(error) => return error_page(error),
    };
    let filter = filter.and_then(RequestStatus::parse);
    let base = base(&org);
    let link = intake::public_link(&state.app, &org.scope.org().handle);
    let markup = page(
        shell(&org, "Partnership requests", AREA, &csrf, flash.as_deref()),
        html! {
            h1 { "Partnership requests" }
            p {
                "Requests prospective partners sent through your public form, newest first. "
                a href={ (base) "/intake" } { "Request form and vetting checklist" }
            }
            nav.on-page.filters aria-label="Show requests by status" {
                ul {
                    li { a href={ (base) "/requests" } aria-current=[filter.is_none().then_some("page")] { "All" } }
                    @for status in RequestStatus::ALL {
                        li {
                            a href={ (base) "/requests?status=" (status.as_str()) }
                                aria-current=[(filter == Some(status)).then_some("page")] { (status.label()) }
                        }
                    }
                }
            }
            @if requests.is_empty() {
                div.empty {
                    @match filter {
                        Some(status) => p { "No " (status.label().to_lowercase()) " requests." },
                        None => p { "No requests yet." },
                    }
                    @if settings.open {
                        p { "Share your public link where prospective partners look for you: " code { (link) } }
                    } @else {
                        p { "Your request form is closed. Open it in the " a href={ (base) "/intake" } { "request form settings" } " and share its link." }
                    }
                }
            } @else {
                div.table-scroll {
                    table.requests {
                        caption {
                            @match filter {
                                Some(status) => { (status.label()) " requests, newest first" },
                                None => "All requests, newest first",
                            }
                        }
                        thead {
                            tr {
                                th scope="col" { "Company" }
                                th scope="col" { "Person" }
                                th scope="col" { "Proposes" }
                                th scope="col" { "Status" }
                                th scope="col" { "Vetting" }
                                th scope="col" { "Assigned to" }
                                th scope="col" { "Received" }
                            }
                        }
                        tbody {
                            @for request in &requests {
                                (queue_row(&base, request, progress.get(&request.id), checklist_len))
                            }
                        }
                    }
                }
            }
            @if !sent.is_empty() {
                section.sent aria-labelledby="sent-heading" {
                    h2 #sent-heading { "Requests you sent" }
                    p.muted { "Where the requests your organization sent to others stand." }
                    div.table-scroll {
                        table.sent-requests {
                            thead {
                                tr {
                                    th scope="col" { "To" }
                                    th scope="col" { "Proposed" }
                                    th scope="col" { "Status" }
                                    th scope="col" { "Their answer" }
                                    th scope="col" { "Sent" }
                                }
                            }
                            tbody {
                                @for request in &sent {
                                    tr {
                                        td { (request.to.name) " " span.muted { "@" (request.to.handle) } }
                                        td { (request.kind.label()) }
                                        td { (status_badge(request.status)) }
                                        td { @if request.answer.is_empty() { span.muted { "—" } } @else { (request.answer) } }
                                        td { (time(request.sent_at, ago(request.sent_at))) " by " (request.sent_by) }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        },
    );
    form_response(&None, markup)
}

fn queue_row(
    base: &str,
    request: &PartnershipRequest,
    progress: Option<&VettingProgress>,
    checklist_len: usize,
) -> Markup {
    html! {
        tr {
            td {
                a href={ (base) "/requests/" (request.id) } { (request.company) }
                @if let Some(org) = &request.requester { " " span.muted { "@" (org.handle) } }
            }
            td { (request.name) }
            td { (request.kind.label()) }
            td { (status_badge(request.status)) }
            td {
                @match progress {
                    Some(p) => {
                        (p.passed) " of " (p.passed + p.concerns + p.failed + p.pending) " passed"
                        @if p.concerns > 0 { ", " (p.concerns) " " (if p.concerns == 1 { "concern" } else { "concerns" }) }
                        @if p.failed > 0 { ", " (p.failed) " failed" }
                    }
                    None => span.muted { "0 of " (checklist_len) " checked" },
                }
            }
            td {
                @if let Some((_, name)) = &request.assignee { (name) } @else { span.muted { "Nobody" } }
            }
            td { (time(request.created_at, ago(request.created_at))) }
        }
    }
}

// ---------------------------------------------------------------------------------------
// One request.

/// The forms of a request's page.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Sent {
    Assign,
    /// The check of the item named.
    Check(String),
    Decision,
    Partnership,
}

impl Sent {
    /// What did not happen, for the message at the top of the page.
    fn failure(&self) -> &'static str {
        match self {
            Sent::Assign => "The request was not assigned",
            Sent::Check(_) => "The check was not saved",
            Sent::Decision => "The decision was not recorded",
            Sent::Partnership => "The partnership was not started",
        }
    }
}

/// A refused form of the request's page: the error, and which form was sent with what.
#[derive(Default)]
struct Forms {
    error: Option<AppError>,
    sent: Option<(Sent, Vec<(String, String)>)>,
}

impl Forms {
    /// The message for `field` of `form`, when that form was refused.
    fn error_in(&self, form: &Sent, field: &str) -> Option<&str> {
        match &self.sent {
            Some((sent, _)) if sent == form => error_for(&self.error, field),
            _ => None,
        }
    }

    /// What was typed into `field` of `form` when it was refused, else `default`.
    fn typed(&self, form: &Sent, field: &str, default: impl Into<String>) -> String {
        match &self.sent {
            Some((sent, pairs)) if sent == form => text_of(pairs, field),
            _ => default.into(),
        }
    }

    /// The message at the top of the page: a rule's refusal, or what to correct.
    fn summary(&self) -> Option<String> {
        match (&self.error, &self.sent) {
            (Some(AppError::Invalid(errors)), Some((sent, _))) => Some(format!(
                "{}: {}.",
                sent.failure(),
                errors
                    .0
                    .iter()
                    .map(|e| format!("{} {}", e.field.replace('_', " "), e.message))
                    .collect::<Vec<_>>()
                    .join("; ")
            )),
            (error, _) => general_error(error),
        }
    }
}

fn request_url(org: &WebOrg, id: RequestId) -> String {
    format!("{}/requests/{id}", base(org))
}

/// The request a changing form names, once the role allows the change: a path that names no
/// request is not found, a role without the right is forbidden.
// The error is the page sent back at once; boxing it would only add an allocation.
#[allow(clippy::result_large_err)]
fn managed(org: &WebOrg, raw: &str) -> Result<RequestId, Response> {
    super::form::managed(org, raw, Action::ManagePartnerships)
}

async fn request_page(
    State(state): State<AppState>,
    org: WebOrg,
    Csrf(csrf): Csrf,
    Flash(flash): Flash,
    Path((_, id)): Path<(String, String)>,
) -> Response {
    let Ok(id) = id.parse::<RequestId>() else {
        return not_found_page();
    };
    render_request(&state, &org, &csrf, flash.as_deref(), id, Forms::default()).await
}

async fn render_request(
    state: &AppState,
    org: &WebOrg,
    csrf: &str,
    flash: Option<&str>,
    id: RequestId,
    forms: Forms,
) -> Response {
    let view = match intake::get(&state.app, &org.scope, id).await {
        Ok(view) => view,
        Err(error) => return error_page(error),
    };
    let manage = org.scope.can(Action::ManagePartnerships);
    let members = if manage {
        match orgs::members(&state.app, &org.scope).await {
            Ok(members) => members.into_iter().map(|m| (m.user_id, m.name)).collect(),
            Err(error) => return error_page(error),
        }
    } else {
        Vec::new()
    };
    let markup = request_markup(org, csrf, flash, &view, &members, manage, &forms);
    form_response(&forms.error, markup)
}

/// Answers a refused form of the request's page: the page again with the message (409 for a
/// rule, 422 for input), or the not-found and forbidden pages.
async fn refused(
    state: &AppState,
    org: &WebOrg,
    csrf: &str,
    id: RequestId,
    error: AppError,
    sent: Sent,
    pairs: Vec<(String, String)>,
) -> Response {
    match error {
        AppError::NotFound => not_found_page(),
        AppError::Forbidden => forbidden(),
        error => {
            let forms = Forms {
                error: Some(error),
                sent: Some((sent, pairs)),
            };
            render_request(state, org, csrf, None, id, forms).await
        }
    }
}

/// How a fit factor is called.
fn factor_label(factor: Factor) -> &'static str {
    match factor {
        Factor::Audience => "Audience",
        Factor::Complement => "Complementary offerings",
        Factor::Values => "Values",
        Factor::Capabilities => "Capabilities",
        Factor::Accounts => "Shared accounts",
    }
}

fn fit_table(fit: &Fit) -> Markup {
    html! {
        table.fit {
            caption.sr-only { "The factors of the fit score, with the evidence behind each" }
            thead { tr { th scope="col" { "Factor" } th scope="col" { "Score" } th scope="col" { "Weight" } th scope="col" { "Why" } } }
            tbody {
                @for factor in &fit.factors {
                    tr {
                        th scope="row" { (factor_label(factor.factor)) }
                        td {
                            meter min="0" max="1" value=(format!("{:.2}", factor.score)) aria-hidden="true" {}
                            " " (format!("{:.0}%", factor.score * 100.0))
                        }
                        td.number { (factor.weight) }
                        td { ul { @for reason in &factor.evidence { li { (reason) } } } }
                    }
                }
            }
        }
    }
}

/// A verdict as people say it.
fn verdict_label(verdict: Verdict) -> &'static str {
    match verdict {
        Verdict::Pending => "Pending",
        Verdict::Pass => "Pass",
        Verdict::Concern => "Concern",
        Verdict::Fail => "Fail",
    }
}

fn verdict_badge(verdict: Verdict) -> Markup {
    let class = match verdict {
        Verdict::Pending => "status",
        Verdict::Pass => "status met",
        Verdict::Concern => "status at-risk",
        Verdict::Fail => "status off-track",
    };
    html! { span class=(class) { (verdict_label(verdict)) } }
}

/// A decision's button text.
fn decision_label(decision: Decision) -> &'static str {
    match decision {
        Decision::Accept => "Accept",
        Decision::Decline => "Decline",
        Decision::Spam => "Mark as spam",
        Decision::Reopen => "Reopen",
    }
}

/// A decision's name in the form.
fn decision_value(decision: Decision) -> &'static str {
    match decision {
        Decision::Accept => "accept",
        Decision::Decline => "decline",
        Decision::Spam => "spam",
        Decision::Reopen => "reopen",
    }
}

/// A history entry in words.
fn event_words(event: &RequestEvent) -> String {
    let detail = event.detail.trim();
    let with_note = |what: &str| {
        if detail.is_empty() {
            what.to_owned()
        } else {
            format!("{what}: {detail}")
        }
    };
    match event.kind.as_str() {
        "received" => format!("Received: {detail}"),
        "assigned" => sentence(detail),
        "checked" => format!("Checked {detail}"),
        "accepted" => with_note("Accepted"),
        "declined" => with_note("Declined"),
        "spam" => with_note("Marked as spam"),
        "reopened" => with_note("Reopened"),
        "partnership_started" => sentence(detail),
        other => with_note(&sentence(&other.replace('_', " "))),
    }
}

/// The progress of the vetting, in words.
fn progress_words(view: &RequestView) -> String {
    let p = view.progress;
    let total = p.passed + p.concerns + p.failed + p.pending;
    format!(
        "{} of {total} passed · {} {} · {} failed · {} pending",
        p.passed,
        p.concerns,
        plural(p.concerns, "concern", "concerns"),
        p.failed,
        p.pending
    )
}

fn request_markup(
    org: &WebOrg,
    csrf: &str,
    flash: Option<&str>,
    view: &RequestView,
    members: &[(UserId, String)],
    manage: bool,
    forms: &Forms,
) -> Markup {
    let request = &view.detail.request;
    let url = request_url(org, request.id);
    let base = base(org);
    let me = org.user.current.user.id;
    let title = format!("Request from {}", request.company);
    let open = request.status.is_open();
    let decisions: Vec<Decision> = [
        Decision::Accept,
        Decision::Decline,
        Decision::Spam,
        Decision::Reopen,
    ]
    .into_iter()
    .filter(|d| d.apply(request.status).is_ok())
    .collect();
    let total = view.checklist.len();
    let assignee = request.assignee.as_ref().map(|(id, _)| *id);
    let chosen_assignee = forms.typed(
        &Sent::Assign,
        "assignee",
        assignee.map(|id| id.to_string()).unwrap_or_default(),
    );
    let default_partners = request
        .requester
        .as_ref()
        .map(|o| o.handle.clone())
        .unwrap_or_default();
    let default_name = format!("{} × {}", request.company, org.scope.org().name);
    page(
        shell(org, &title, AREA, csrf, flash),
        html! {
            p.muted { a href={ (base) "/requests" } { "Partnership requests" } }
            h1 { (title) }
            p.request-state {
                (status_badge(request.status))
                " " (request.kind.label())
                span.muted {
                    " · received " (time(request.created_at, ago(request.created_at)))
                    " · "
                    @if let Some((_, name)) = &request.assignee { "assigned to " (name) } @else { "nobody assigned" }
                }
            }
            (alert(forms.summary()))
            @if let Some(reason) = &request.spam_reason {
                div.warning { p { strong { "Filed as spam: " } (reason) "." } }
            }
            nav.on-page aria-label="On this page" {
                ul {
                    li { a href="#proposal" { "Proposal" } }
                    li { a href="#requester" { "Requester" } }
                    li { a href="#vetting" { "Vetting" } }
                    li { a href="#decision" { "Decision" } }
                    li { a href="#history" { "History" } }
                }
            }

            h2 #proposal { "Proposal" }
            dl.strategy.proposal {
                dt { "From" } dd { (request.name) " · " a href={ "mailto:" (request.email) } { (request.email) } }
                dt { "Company" } dd { (request.company) }
                @if !request.website.is_empty() { dt { "Website" } dd { (request.website) } }
                dt { "Proposes" } dd { (request.kind.label()) }
                @if !request.audience.is_empty() { dt { "Audience" } dd { (request.audience) } }
                @if !request.contribution.is_empty() { dt { "Contribution" } dd { (request.contribution) } }
                dt { "Message" } dd { (request.message) }
            }

            h2 #requester { "Requester on comark" }
            @if let Some(requester) = &request.requester {
                p {
                    "Sent as " strong { (requester.name) } " " span.muted { "@" (requester.handle) } " · "
                    @if view.connected { span.status.met { "Connected" } " with you" } @else { span.status { "Not connected" } " with you" }
                }
            }
            @if let Some(fit) = &view.fit {
                h3.fit-score { "Fit with you: " span.score { (fit.score) } " of 100" }
                (fit_table(fit))
            } @else if let Some(note) = &view.fit_note {
                p.muted { (note) }
            }

            h2 #assignment { "Assignment" }
            @if manage {
                form.inline method="post" action={ (url) "/assign" } {
                    (csrf_field(csrf))
                    label for="f-assignee" { "Assigned to" }
                    " "
                    select #f-assignee name="assignee" aria-invalid=[forms.error_in(&Sent::Assign, "assignee").map(|_| "true")] {
                        option value="" selected[chosen_assignee.is_empty()] { "Nobody" }
                        @for (id, name) in members {
                            option value=(id) selected[chosen_assignee == id.to_string()] {
                                (name) @if *id == me { " (you)" }
                            }
                        }
                    }
                    " "
                    button.small type="submit" { "Assign" }
                    @if let Some(message) = forms.error_in(&Sent::Assign, "assignee") { p.error { (message) } }
                }
            } @else {
                p { @if let Some((_, name)) = &request.assignee { "Assigned to " (name) "." } @else { "Nobody is assigned." } }
            }

            h2 #vetting { "Vetting" }
            p.progress {
                progress max=(total.max(1)) value=(view.progress.passed) aria-hidden="true" {}
                " " (progress_words(view))
            }
            @if open && manage {
                p.muted { "Judge each item of your checklist; a note helps whoever decides." }
            } @else if manage && !open {
                p.muted { "The request is decided; reopen it to vet it again." }
            }
            ul.cards.checks {
                @for (n, item) in view.checklist.iter().enumerate() {
                    @let check = view.detail.checks.iter().find(|c| c.item == *item);
                    @let verdict = check.map_or(Verdict::Pending, |c| c.verdict);
                    @let sent = Sent::Check(item.clone());
                    @let chosen = forms.typed(&sent, "verdict", verdict.as_str());
                    @let note = forms.typed(&sent, "note", check.map(|c| c.note.clone()).unwrap_or_default());
                    @let note_error = forms.error_in(&sent, "note");
                    li.check id={ "check-" (n) } {
                        div {
                            strong { (item) } " " (verdict_badge(verdict))
                            @if let Some(check) = check {
                                span.muted { " by " (check.checked_by) ", " (time(check.checked_at, ago(check.checked_at))) }
                            }
                        }
                        @if open && manage {
                            form.inline method="post" action={ (url) "/checks" } {
                                (csrf_field(csrf))
                                input type="hidden" name="item" value=(item);
                                label.sr-only for={ "verdict-" (n) } { "Verdict on " (item) }
                                select id={ "verdict-" (n) } name="verdict" {
                                    @for v in Verdict::ALL {
                                        option value=(v.as_str()) selected[chosen == v.as_str()] { (verdict_label(v)) }
                                    }
                                }
                                label.sr-only for={ "check-note-" (n) } { "Note on " (item) }
                                input id={ "check-note-" (n) } type="text" name="note" value=(note) placeholder="Note (optional)" autocomplete="off"
                                    aria-invalid=[note_error.map(|_| "true")];
                                button.small type="submit" { "Save" }
                            }
                            @if let Some(message) = note_error { p.error { (message) } }
                        } @else if let Some(check) = check {
                            @if !check.note.is_empty() { p.hint { (check.note) } }
                        }
                    }
                }
            }

            h2 #decision { "Decision" }
            @if !request.decision_note.is_empty() {
                blockquote.decision-note { (request.decision_note) }
            }
            @match request.status {
                RequestStatus::Accepted => p { "Accepted. The requester was told by e-mail." },
                RequestStatus::Declined => p { "Declined. The requester was told by e-mail, with your note." },
                RequestStatus::Spam => p { "Marked as spam. Nobody was told." },
                RequestStatus::New | RequestStatus::Vetting => p.muted { "Accepting or declining tells the requester by e-mail, with your note." },
            }
            @if manage && !decisions.is_empty() {
                form.stack method="post" action={ (url) "/decision" } novalidate {
                    (csrf_field(csrf))
                    (text_area("f-decision-note", "Decision note (sent to the requester when you accept or decline; required to decline)", "note",
                        &forms.typed(&Sent::Decision, "note", ""), forms.error_in(&Sent::Decision, "note"), 3))
                    div {
                        @for (n, decision) in decisions.iter().enumerate() {
                            @if n > 0 { " " }
                            button type="submit" name="decision" value=(decision_value(*decision))
                                class=[(n > 0 || *decision != Decision::Accept).then_some("secondary")] {
                                (decision_label(*decision))
                            }
                        }
                    }
                }
            }

            @if request.status == RequestStatus::Accepted {
                h2 #partnership { "Partnership" }
                @if let Some(partnership) = request.partnership {
                    p { "A partnership was started from this request. " a href={ (base) "/partnerships/" (partnership) } { "Open the partnership" } }
                } @else if manage {
                    p.muted {
                        "Start a partnership with the requester: it takes you through the lifecycle together."
                        @if request.requester.is_none() { " The requester is not on comark yet: once they have connected with you, name their organization's handle here." }
                    }
                    form.stack method="post" action={ (url) "/partnership" } novalidate {
                        (csrf_field(csrf))
                        (field("Name", "name", "text", &forms.typed(&Sent::Partnership, "name", default_name.as_str()), forms.error_in(&Sent::Partnership, "name"), "off"))
                        (field("Partners (handles, separated by commas)", "partners", "text", &forms.typed(&Sent::Partnership, "partners", default_partners.as_str()), forms.error_in(&Sent::Partnership, "partners"), "off"))
                        div { button type="submit" { "Start partnership" } }
                    }
                } @else {
                    p.muted { "No partnership was started from this request yet." }
                }
            }

            h2 #history { "History" }
            div.table-scroll {
                table.history {
                    caption { "What happened, oldest first" }
                    thead { tr { th scope="col" { "When (UTC)" } th scope="col" { "Who" } th scope="col" { "What" } } }
                    tbody {
                        @for event in &view.detail.history {
                            tr {
                                td { (time(event.at, event.at.format("%Y-%m-%d %H:%M").to_string())) }
                                td { (event.actor) }
                                td { (event_words(event)) }
                            }
                        }
                    }
                }
            }
        },
    )
}

async fn assign(
    State(state): State<AppState>,
    org: WebOrg,
    Csrf(csrf): Csrf,
    Path((_, id)): Path<(String, String)>,
    body: Bytes,
) -> Response {
    let id = match managed(&org, &id) {
        Ok(id) => id,
        Err(refusal) => return refusal,
    };
    let pairs = pairs(&body);
    let raw = text_of(&pairs, "assignee");
    let assignee = match raw.trim() {
        "" => None,
        raw => match raw.parse::<UserId>() {
            Ok(user) => Some(user),
            Err(_) => {
                let error = ValidationErrors::single("assignee", "choose a member").into();
                return refused(&state, &org, &csrf, id, error, Sent::Assign, pairs).await;
            }
        },
    };
    match intake::assign(&state.app, &org.scope, id, assignee, &org.actor()).await {
        Ok(view) => {
            let message = match &view.detail.request.assignee {
                Some((user, _)) if *user == org.user.current.user.id => {
                    "Assigned to you.".to_owned()
                }
                Some((_, name)) => format!("Assigned to {name}; they were told by e-mail."),
                None => "Nobody is assigned now.".to_owned(),
            };
            redirect_with_flash(&request_url(&org, id), &message, secure(&state))
        }
        Err(error) => refused(&state, &org, &csrf, id, error, Sent::Assign, pairs).await,
    }
}

async fn check(
    State(state): State<AppState>,
    org: WebOrg,
    Csrf(csrf): Csrf,
    Path((_, id)): Path<(String, String)>,
    body: Bytes,
) -> Response {
    let id = match managed(&org, &id) {
        Ok(id) => id,
        Err(refusal) => return refusal,
    };
    let pairs = pairs(&body);
    let item = text_of(&pairs, "item");
    let verdict = text_of(&pairs, "verdict");
    let note = text_of(&pairs, "note");
    match intake::check(
        &state.app,
        &org.scope,
        id,
        &item,
        &verdict,
        &note,
        &org.actor(),
    )
    .await
    {
        Ok(_) => {
            let label = Verdict::parse(&verdict).map_or("saved", |v| verdict_label(v));
            let message = format!("{}: {}.", item.trim(), label.to_lowercase());
            redirect_with_flash(
                &format!("{}#vetting", request_url(&org, id)),
                &message,
                secure(&state),
            )
        }
        Err(error) => {
            let sent = Sent::Check(item.trim().to_owned());
            refused(&state, &org, &csrf, id, error, sent, pairs).await
        }
    }
}

async fn decide(
    State(state): State<AppState>,
    org: WebOrg,
    Csrf(csrf): Csrf,
    Path((_, id)): Path<(String, String)>,
    body: Bytes,
) -> Response {
    let id = match managed(&org, &id) {
        Ok(id) => id,
        Err(refusal) => return refusal,
    };
    let pairs = pairs(&body);
    let decision = text_of(&pairs, "decision");
    let note = text_of(&pairs, "note");
    match intake::decide(&state.app, &org.scope, id, &decision, &note, &org.actor()).await {
        Ok(view) => {
            let request = &view.detail.request;
            let message = match request.status {
                RequestStatus::Accepted => format!(
                    "Accepted. {} hears from you by e-mail; start the partnership below.",
                    request.name
                ),
                RequestStatus::Declined => {
                    format!(
                        "Declined. {} hears from you by e-mail, with your note.",
                        request.name
                    )
                }
                RequestStatus::Spam => "Marked as spam.".to_owned(),
                RequestStatus::New | RequestStatus::Vetting => {
                    "Reopened: the request is back in vetting.".to_owned()
                }
            };
            redirect_with_flash(&request_url(&org, id), &message, secure(&state))
        }
        Err(error) => refused(&state, &org, &csrf, id, error, Sent::Decision, pairs).await,
    }
}

async fn start_partnership(
    State(state): State<AppState>,
    org: WebOrg,
    Csrf(csrf): Csrf,
    Path((_, id)): Path<(String, String)>,
    body: Bytes,
) -> Response {
    let id = match managed(&org, &id) {
        Ok(id) => id,
        Err(refusal) => return refusal,
    };
    let pairs = pairs(&body);
    let name = text_of(&pairs, "name");
    let partners: Vec<String> = text_of(&pairs, "partners")
        .split(|c: char| c == ',' || c.is_whitespace())
        .map(|p| p.trim().trim_start_matches('@').to_owned())
        .filter(|p| !p.is_empty())
        .collect();
    match intake::start_partnership(&state.app, &org.scope, id, &name, &partners, &org.actor())
        .await
    {
        Ok(view) => {
            let request = &view.detail.request;
            let to = match request.partnership {
                Some(partnership) => format!("{}/partnerships/{partnership}", base(&org)),
                None => request_url(&org, id),
            };
            let message = format!(
                "The partnership with {} has started, from their request. Meet its first gate to move on.",
                request.company
            );
            redirect_with_flash(&to, &message, secure(&state))
        }
        Err(error) => refused(&state, &org, &csrf, id, error, Sent::Partnership, pairs).await,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn history_entries_read_as_sentences() {
        let event = |kind: &str, detail: &str| RequestEvent {
            at: Utc::now(),
            actor: "Ann".into(),
            kind: kind.into(),
            detail: detail.into(),
        };
        assert_eq!(
            event_words(&event("received", "Co-promotion from Brightlane")),
            "Received: Co-promotion from Brightlane"
        );
        assert_eq!(
            event_words(&event("assigned", "assigned to Ann")),
            "Assigned to Ann"
        );
        assert_eq!(event_words(&event("accepted", "")), "Accepted");
        assert_eq!(
            event_words(&event("declined", "not now")),
            "Declined: not now"
        );
    }

    #[test]
    fn a_draft_reads_every_field() {
        let pairs = vec![
            ("name".to_owned(), "Ada".to_owned()),
            ("kind".to_owned(), "event".to_owned()),
            ("send_as".to_owned(), "globex".to_owned()),
        ];
        let draft = Draft::of(&pairs);
        assert_eq!(draft.form.name, "Ada");
        assert_eq!(draft.form.kind, "event");
        assert_eq!(draft.send_as, "globex");
        assert!(draft.form.message.is_empty());
    }
}
