//! Partnerships' pages: the list and the form that starts one, and one partnership's page
//! with its lifecycle, the current stage's gate, the approvals of moving on, the gates still
//! ahead and the history.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::response::Response;
use chrono::{DateTime, Utc};
use comark_app::partnerships::{self, NewPartnership};
use comark_app::{connections, AppError};
use comark_domain::partnership::{Advance, Stage};
use comark_domain::{Action, ConnectionStatus, GateItemId, PartnershipId, ValidationErrors};
use comark_store::partnerships::{GateEvidence, PartnershipDetail, PartnershipEvent};
use maud::{html, Markup};

use super::layout::{csrf_field, error_page, field, not_found_page, page};
use super::org::{base, plural, secure, shell};
use super::session::{alert, error_for, form_response, general_error};
use super::{redirect_with_flash, Csrf, Flash, WebRoutes};
use crate::auth::WebOrg;
use crate::AppState;

pub(super) fn routes(routes: WebRoutes) -> WebRoutes {
    routes
        .get("/o/{org}/partnerships", list_page)
        .post("/o/{org}/partnerships", create)
        .get("/o/{org}/partnerships/{partnership_id}", detail_page)
        .post(
            "/o/{org}/partnerships/{partnership_id}/evidence",
            add_evidence,
        )
        .post(
            "/o/{org}/partnerships/{partnership_id}/evidence/{item_id}",
            set_evidence,
        )
        .post(
            "/o/{org}/partnerships/{partnership_id}/evidence/{item_id}/remove",
            remove_evidence,
        )
        .post("/o/{org}/partnerships/{partnership_id}/advance", advance)
}

fn forbidden() -> Response {
    error_page(AppError::Forbidden)
}

/// A form's name/value pairs, in order; a ticked box sends its name once per box.
fn pairs(body: &Bytes) -> Vec<(String, String)> {
    serde_urlencoded::from_bytes(body).unwrap_or_default()
}

fn value_of(pairs: &[(String, String)], name: &str) -> String {
    pairs
        .iter()
        .find(|(key, _)| key == name)
        .map(|(_, value)| value.clone())
        .unwrap_or_default()
}

fn values_of(pairs: &[(String, String)], name: &str) -> Vec<String> {
    pairs
        .iter()
        .filter(|(key, _)| key == name)
        .map(|(_, value)| value.clone())
        .collect()
}

fn day(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%d").to_string()
}

fn when(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%d %H:%M UTC").to_string()
}

fn ago(at: DateTime<Utc>) -> String {
    let seconds = (Utc::now() - at).num_seconds().max(0);
    match seconds {
        0..=59 => "just now".to_owned(),
        60..=3599 => {
            let minutes = seconds / 60;
            format!("{minutes} {} ago", plural(minutes, "minute", "minutes"))
        }
        3600..=86_399 => {
            let hours = seconds / 3600;
            format!("{hours} {} ago", plural(hours, "hour", "hours"))
        }
        _ => format!("on {}", day(at)),
    }
}

/// A time people read, with the exact moment for machines and on hover.
fn time(at: DateTime<Utc>, text: String) -> Markup {
    html! { time datetime=(at.to_rfc3339()) title=(when(at)) { (text) } }
}

/// The stage's place in the lifecycle, from 1.
fn position(stage: Stage) -> usize {
    Stage::ALL
        .iter()
        .position(|s| *s == stage)
        .map_or(0, |at| at + 1)
}

/// Names joined as people write them: "A", "A and B", "A, B and C".
fn joined(names: &[&str]) -> String {
    match names {
        [] => String::new(),
        [one] => (*one).to_owned(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

/// Ends `text` with a full stop, unless it ends with one already ("… Inc.").
fn full_stop(text: String) -> String {
    if text.ends_with('.') {
        text
    } else {
        text + "."
    }
}

/// Who approved leaving a joint stage, and whom it waits for.
fn approval_sentence(approved: &[String], waiting: &[&str]) -> String {
    let text = match (approved.is_empty(), waiting.is_empty()) {
        (true, _) => format!("No approvals yet; waiting for {}", joined(waiting)),
        (false, true) => approved.join("; "),
        (false, false) => format!("{}; waiting for {}", approved.join("; "), joined(waiting)),
    };
    full_stop(text)
}

fn list_url(org: &WebOrg) -> String {
    format!("{}/partnerships", base(org))
}

fn detail_url(org: &WebOrg, id: PartnershipId) -> String {
    format!("{}/partnerships/{id}", base(org))
}

// ---------------------------------------------------------------------------------------
// The list, and starting a partnership.

/// What was typed into the form that starts a partnership.
#[derive(Default)]
struct Draft {
    name: String,
    purpose: String,
    partners: Vec<String>,
}

async fn list_page(
    State(state): State<AppState>,
    org: WebOrg,
    Csrf(csrf): Csrf,
    Flash(flash): Flash,
) -> Response {
    render_list(
        &state,
        &org,
        &csrf,
        flash.as_deref(),
        &Draft::default(),
        None,
    )
    .await
}

async fn render_list(
    state: &AppState,
    org: &WebOrg,
    csrf: &str,
    flash: Option<&str>,
    draft: &Draft,
    error: Option<AppError>,
) -> Response {
    let list = match partnerships::list(&state.app, &org.scope).await {
        Ok(list) => list,
        Err(error) => return error_page(error),
    };
    let manage = org.scope.can(Action::ManagePartnerships);
    let partners = if manage {
        match connections::list(&state.app, &org.scope).await {
            Ok(all) => all
                .into_iter()
                .filter(|c| c.status == ConnectionStatus::Accepted)
                .collect(),
            Err(error) => return error_page(error),
        }
    } else {
        Vec::new()
    };
    let base = base(org);
    let error_ref = &error;
    let total = Stage::ALL.len();
    let markup = page(
        shell(org, "Partnerships", "partnerships", csrf, flash),
        html! {
            h1 { "Partnerships" }
            p { "A partnership takes you and your partners through the eight stages of the collaborative lifecycle (ISO 44001). Each stage ends at a gate: the evidence that must be true before moving on. From partner selection on, every partner approves each move." }
            (alert(general_error(error_ref)))
            @if list.is_empty() {
                p.empty { "No partnerships yet." }
            } @else {
                div.table-scroll {
                    table.partnerships {
                        caption { "Partnerships " (org.scope.org().name) " takes part in" }
                        thead { tr { th scope="col" { "Name" } th scope="col" { "Members" } th scope="col" { "Stage" } th scope="col" { "Last change" } } }
                        tbody {
                            @for p in &list {
                                @let at = position(p.stage);
                                tr {
                                    td { a href={ (base) "/partnerships/" (p.id) } { (p.name) } }
                                    td { (joined(&p.members.iter().map(|m| m.name.as_str()).collect::<Vec<_>>())) }
                                    td {
                                        (p.stage.label()) " "
                                        span.step-of { "(" (at) " of " (total) ")" }
                                        " " (dots(at))
                                    }
                                    td { (time(p.updated_at, ago(p.updated_at))) }
                                }
                            }
                        }
                    }
                }
            }
            h2 { "Start a partnership" }
            @if !manage {
                p.muted { "Owners, admins and partner managers start partnerships." }
            } @else if partners.is_empty() {
                p.empty {
                    "A partnership is started with at least one connected partner, and you have none yet. "
                    a href={ (base) "/partners" } { "Connect with a partner first" } "."
                }
            } @else {
                form.stack method="post" action={ (base) "/partnerships" } novalidate {
                    (csrf_field(csrf))
                    (field("Name", "name", "text", &draft.name, error_for(error_ref, "name"), "off"))
                    div.field {
                        label for="f-purpose" { "Purpose (optional)" }
                        textarea #f-purpose name="purpose" rows="3" aria-invalid=[error_for(error_ref, "purpose").map(|_| "true")] { (draft.purpose) }
                        @if let Some(message) = error_for(error_ref, "purpose") { p.error { (message) } }
                    }
                    fieldset aria-describedby=[error_for(error_ref, "partners").map(|_| "f-partners-error")] {
                        legend { "Partners" }
                        @for c in &partners {
                            @let id = format!("f-partner-{}", c.partner_handle);
                            label.check for=(id) {
                                input id=(id) type="checkbox" name="partners" value=(c.partner_handle)
                                    checked[draft.partners.iter().any(|h| h == &c.partner_handle)];
                                " " (c.partner_name) " " span.muted { "@" (c.partner_handle) }
                            }
                        }
                        @if let Some(message) = error_for(error_ref, "partners") { p.error #f-partners-error { (message) } }
                    }
                    button type="submit" { "Start partnership" }
                }
            }
        },
    );
    form_response(&error, markup)
}

/// Where a partnership stands, as dots: `at` of the eight filled.
fn dots(at: usize) -> Markup {
    html! {
        span.dots aria-hidden="true" {
            @for n in 1..=Stage::ALL.len() { span class=[(n <= at).then_some("on")] {} }
        }
    }
}

async fn create(
    State(state): State<AppState>,
    org: WebOrg,
    Csrf(csrf): Csrf,
    body: Bytes,
) -> Response {
    if !org.scope.can(Action::ManagePartnerships) {
        return forbidden();
    }
    let pairs = pairs(&body);
    let draft = Draft {
        name: value_of(&pairs, "name"),
        purpose: value_of(&pairs, "purpose"),
        partners: values_of(&pairs, "partners"),
    };
    let input = NewPartnership {
        name: draft.name.clone(),
        purpose: draft.purpose.clone(),
        partners: draft.partners.clone(),
    };
    match partnerships::create(&state.app, &org.scope, input, &org.actor()).await {
        Ok(detail) => redirect_with_flash(
            &detail_url(&org, detail.partnership.id),
            &format!(
                "{} has started, at {}. Meet its gate to move on.",
                detail.partnership.name,
                detail.partnership.stage.label()
            ),
            secure(&state),
        ),
        Err(AppError::NotFound) => not_found_page(),
        Err(AppError::Forbidden) => forbidden(),
        Err(error) => render_list(&state, &org, &csrf, None, &draft, Some(error)).await,
    }
}

// ---------------------------------------------------------------------------------------
// One partnership.

/// An error for the partnership's page, and what was typed into its forms.
#[derive(Default)]
struct Forms {
    error: Option<AppError>,
    /// The evidence form: stage and text.
    evidence: Option<(String, String)>,
    /// The reason given for moving on.
    reason: String,
}

async fn detail_page(
    State(state): State<AppState>,
    org: WebOrg,
    Csrf(csrf): Csrf,
    Flash(flash): Flash,
    Path((_, id)): Path<(String, String)>,
) -> Response {
    let Ok(id) = id.parse::<PartnershipId>() else {
        return not_found_page();
    };
    render_detail(&state, &org, &csrf, flash.as_deref(), id, Forms::default()).await
}

async fn render_detail(
    state: &AppState,
    org: &WebOrg,
    csrf: &str,
    flash: Option<&str>,
    id: PartnershipId,
    forms: Forms,
) -> Response {
    let detail = match partnerships::get(&state.app, &org.scope, id).await {
        Ok(detail) => detail,
        Err(error) => return error_page(error),
    };
    let markup = detail_markup(org, csrf, flash, &detail, &forms);
    form_response(&forms.error, markup)
}

/// Answers a form of the partnership's page that was refused: the page again with the
/// message (409 for a rule, 422 for input), or the not-found and forbidden pages.
async fn refused(
    state: &AppState,
    org: &WebOrg,
    csrf: &str,
    id: PartnershipId,
    error: AppError,
    evidence: Option<(String, String)>,
    reason: String,
) -> Response {
    match error {
        AppError::NotFound => not_found_page(),
        AppError::Forbidden => forbidden(),
        error => {
            let forms = Forms {
                error: Some(error),
                evidence,
                reason,
            };
            render_detail(state, org, csrf, None, id, forms).await
        }
    }
}

/// What one evidence list may offer: toggles (mark met or open), and removing items.
#[derive(Clone, Copy)]
struct Controls {
    toggle: bool,
    remove: bool,
}

fn checklist(
    base: &str,
    csrf: &str,
    items: &[&GateEvidence],
    controls: Controls,
    id: PartnershipId,
) -> Markup {
    html! {
        @if items.is_empty() {
            p.muted { "No evidence is asked for at this gate." }
        } @else {
            ul.gate {
                @for item in items {
                    @let met = item.met.is_some();
                    li class=(if met { "met" } else { "open" }) {
                        @if controls.toggle {
                            form.inline method="post" action={ (base) "/partnerships/" (id) "/evidence/" (item.id) } {
                                (csrf_field(csrf))
                                input type="hidden" name="met" value=(if met { "no" } else { "yes" });
                                button.tick type="submit" aria-pressed=(if met { "true" } else { "false" })
                                    title=(if met { "Met; press to mark it open again" } else { "Open; press to mark it met" }) {
                                    (item.text)
                                }
                            }
                        } @else {
                            span class=(if met { "tick met" } else { "tick" }) {
                                span.sr-only { (if met { "Met: " } else { "Open: " }) }
                                (item.text)
                            }
                        }
                        span.muted.who {
                            @if let Some((who, at)) = &item.met {
                                "met by " (who) " on " (time(*at, day(*at)))
                            } @else {
                                "open"
                            }
                        }
                        @if controls.remove {
                            form.inline method="post" action={ (base) "/partnerships/" (id) "/evidence/" (item.id) "/remove" } {
                                (csrf_field(csrf))
                                button.link type="submit" aria-label={ "Remove “" (item.text) "”" } { "Remove" }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// A history entry in words.
fn event_words(event: &PartnershipEvent) -> String {
    let detail = event.detail.trim_end().trim_end_matches(':');
    let stage = event.stage.label();
    match event.kind.as_str() {
        "created" => "Started the partnership".to_owned(),
        "evidence_met" => format!("Marked met at the {stage} gate: {detail}"),
        "evidence_reopened" => format!("Marked open again at the {stage} gate: {detail}"),
        "evidence_added" => format!("Added evidence to the {stage} gate: {detail}"),
        "evidence_removed" => format!("Removed evidence from the {stage} gate: {detail}"),
        "approved" => {
            let mut chars = detail.chars();
            chars
                .next()
                .map(|c| c.to_uppercase().collect::<String>() + chars.as_str())
                .unwrap_or_default()
        }
        "advanced" => format!("Moved on: {detail}"),
        other => format!("{other}: {detail}"),
    }
}

fn detail_markup(
    org: &WebOrg,
    csrf: &str,
    flash: Option<&str>,
    detail: &PartnershipDetail,
    forms: &Forms,
) -> Markup {
    let p = &detail.partnership;
    let base = base(org);
    let me = org.scope.org_id();
    let manage = org.scope.can(Action::ManagePartnerships);
    let error = &forms.error;
    let current = p.stage;
    let next = current.next();
    let at = position(current);
    let total = Stage::ALL.len();
    let gate_of = |stage: Stage| -> Vec<&GateEvidence> {
        detail.gates.iter().filter(|g| g.stage == stage).collect()
    };
    let gate = gate_of(current);
    let open: Vec<&str> = gate
        .iter()
        .filter(|g| g.met.is_none())
        .map(|g| g.text.as_str())
        .collect();
    let name_of = |org: comark_domain::OrgId| {
        p.members
            .iter()
            .find(|m| m.id == org)
            .map_or("a former member", |m| m.name.as_str())
    };
    let starter = name_of(p.started_by);
    let we_approved = detail.approvals.iter().find(|a| a.org == me);
    let approved: Vec<String> = detail
        .approvals
        .iter()
        .map(|a| {
            let org = name_of(a.org);
            // `by` reads "person (organization)"; the sentence names the organization already.
            let person = a.by.strip_suffix(&format!(" ({org})")).unwrap_or(&a.by);
            format!("{org} approved on {} ({person})", day(a.at))
        })
        .collect();
    let waiting: Vec<&str> = p
        .members
        .iter()
        .filter(|m| !detail.approvals.iter().any(|a| a.org == m.id))
        .map(|m| m.name.as_str())
        .collect();
    let later: Vec<Stage> = Stage::ALL
        .into_iter()
        .filter(|s| *s > current && (*s != Stage::Exit || !gate_of(*s).is_empty()))
        .collect();
    let passed: Vec<Stage> = Stage::ALL.into_iter().filter(|s| *s < current).collect();
    let addable: Vec<Stage> = Stage::ALL
        .into_iter()
        .filter(|s| *s >= current && *s != Stage::Exit)
        .collect();
    let (draft_stage, draft_text) = forms
        .evidence
        .clone()
        .unwrap_or_else(|| (current.as_str().to_owned(), String::new()));
    let blocked = !open.is_empty();
    let shown_error = general_error(error)
        .or_else(|| error_for(error, "met").map(|m| format!("Whether the evidence is met {m}.")));
    page(
        shell(org, &p.name, "partnerships", csrf, flash),
        html! {
            p.muted { a href=(list_url(org)) { "All partnerships" } }
            h1 { (p.name) }
            p.members {
                "With "
                @for (n, m) in p.members.iter().enumerate() {
                    @if n > 0 { @if n + 1 == p.members.len() { " and " } @else { ", " } }
                    strong { (m.name) } " " span.muted { "@" (m.handle) }
                    @if m.id == me { " (you)" }
                }
                span.muted { " · started by " (starter) " on " (time(p.created_at, day(p.created_at))) }
            }
            @if !p.purpose.is_empty() { p.purpose { (p.purpose) } }
            (alert(shown_error))

            h2 #lifecycle { "Lifecycle" }
            ol.lifecycle aria-labelledby="lifecycle" {
                @for stage in Stage::ALL {
                    @let state = if stage < current { Some("done") } else if stage == current { Some("current") } else { None };
                    li class=[state] aria-current=[(stage == current).then_some("step")] {
                        (stage.label())
                        @if stage < current { span.sr-only { " (done)" } }
                    }
                }
            }

            @if !passed.is_empty() {
                details.passed {
                    summary { "Gates passed (" (passed.len()) ")" }
                    @for stage in &passed {
                        h3 { (stage.label()) }
                        (checklist(&base, csrf, &gate_of(*stage), Controls { toggle: false, remove: false }, p.id))
                    }
                }
            }

            section.stage aria-labelledby="now" {
                h2 #now { "Now: " (current.label()) " " span.step-of { "(stage " (at) " of " (total) ")" } }
                @if let Some(next) = next {
                    p.muted {
                        @if current.joint() {
                            "Moving on to " (next.label()) " is a joint decision: every member approves, once the gate is met."
                        } @else {
                            "Groundwork: once the gate is met, a member may move the partnership on to " (next.label()) "."
                        }
                    }
                    h3 #gate { "Gate: what must be true before moving on" }
                    (checklist(&base, csrf, &gate, Controls { toggle: manage, remove: manage }, p.id))

                    h3 #moving-on { @if current.joint() { "Approvals" } @else { "Moving on" } }
                    @if current.joint() {
                        p.approvals { (approval_sentence(&approved, &waiting)) }
                    }
                    @if blocked {
                        div.blocked #open-evidence {
                            p { "Before moving to " (next.label()) ", this evidence must be met:" }
                            ul { @for text in &open { li { (text) } } }
                        }
                    }
                    @if manage {
                        @if let Some(mine) = we_approved {
                            p.notice { "You approved moving to " (next.label()) " on " (day(mine.at)) "." }
                        } @else {
                            form.stack method="post" action={ (base) "/partnerships/" (p.id) "/advance" } {
                                (csrf_field(csrf))
                                div.field {
                                    label for="f-reason" { "Reason (optional, kept in the history)" }
                                    input #f-reason type="text" name="reason" value=(forms.reason) autocomplete="off"
                                        aria-invalid=[error_for(error, "reason").map(|_| "true")];
                                    @if let Some(message) = error_for(error, "reason") { p.error { (message) } }
                                }
                                div {
                                    button type="submit" class=[blocked.then_some("disabled")]
                                        aria-disabled=[blocked.then_some("true")]
                                        aria-describedby=[blocked.then_some("open-evidence")] {
                                        @if current.joint() { "Approve moving to " } @else { "Move to " }
                                        (next.label())
                                    }
                                }
                            }
                        }
                    }
                } @else {
                    p { "Exit is the last stage of the lifecycle: the partners disengage as agreed." }
                }
            }

            @if manage && !addable.is_empty() {
                h2 #add-evidence { "Add evidence" }
                form.stack method="post" action={ (base) "/partnerships/" (p.id) "/evidence" } novalidate {
                    (csrf_field(csrf))
                    div.field {
                        label for="f-stage" { "Gate of" }
                        select #f-stage name="stage" aria-invalid=[error_for(error, "stage").map(|_| "true")] {
                            @for stage in &addable {
                                option value=(stage.as_str()) selected[stage.as_str() == draft_stage] {
                                    (stage.label()) @if *stage == current { " (now)" }
                                }
                            }
                        }
                        @if let Some(message) = error_for(error, "stage") { p.error { (message) } }
                    }
                    (field("What must be true", "text", "text", &draft_text, error_for(error, "text"), "off"))
                    div { button.secondary type="submit" { "Add evidence" } }
                }
            }

            @if !later.is_empty() {
                h2 { "Gates ahead" }
                p.muted { "Prepare the evidence of the stages to come; it counts when the partnership gets there." }
                @for stage in &later {
                    @let items = gate_of(*stage);
                    @let met = items.iter().filter(|g| g.met.is_some()).count();
                    details.gate-ahead {
                        summary { (stage.label()) " " span.muted { "· " (met) " of " (items.len()) " met" } }
                        (checklist(&base, csrf, &items, Controls { toggle: manage, remove: manage }, p.id))
                    }
                }
            }

            h2 #history { "History" }
            div.table-scroll {
                table.history {
                    caption { "What happened, newest first" }
                    thead { tr { th scope="col" { "When (UTC)" } th scope="col" { "Organization" } th scope="col" { "Who" } th scope="col" { "What" } } }
                    tbody {
                        @for event in &detail.history {
                            tr {
                                td { (time(event.at, event.at.format("%Y-%m-%d %H:%M").to_string())) }
                                td { (event.org) }
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

fn parse_ids(id: &str, item: &str) -> Option<(PartnershipId, GateItemId)> {
    Some((id.parse().ok()?, item.parse().ok()?))
}

async fn set_evidence(
    State(state): State<AppState>,
    org: WebOrg,
    Csrf(csrf): Csrf,
    Path((_, id, item)): Path<(String, String, String)>,
    body: Bytes,
) -> Response {
    let Some((id, item)) = parse_ids(&id, &item) else {
        return not_found_page();
    };
    if !org.scope.can(Action::ManagePartnerships) {
        return forbidden();
    }
    let met = match value_of(&pairs(&body), "met").as_str() {
        "yes" => true,
        "no" => false,
        _ => {
            let error = AppError::Invalid(ValidationErrors::single("met", "must be yes or no"));
            return refused(&state, &org, &csrf, id, error, None, String::new()).await;
        }
    };
    match partnerships::set_evidence(&state.app, &org.scope, id, item, met, &org.actor()).await {
        Ok(detail) => {
            let text = detail
                .gates
                .iter()
                .find(|g| g.id == item)
                .map(|g| g.text.as_str())
                .unwrap_or("the evidence");
            let message = if met {
                format!("Marked met: {text}.")
            } else {
                format!("Marked open again: {text}.")
            };
            redirect_with_flash(&detail_url(&org, id), &message, secure(&state))
        }
        Err(error) => refused(&state, &org, &csrf, id, error, None, String::new()).await,
    }
}

async fn add_evidence(
    State(state): State<AppState>,
    org: WebOrg,
    Csrf(csrf): Csrf,
    Path((_, id)): Path<(String, String)>,
    body: Bytes,
) -> Response {
    let Ok(id) = id.parse::<PartnershipId>() else {
        return not_found_page();
    };
    if !org.scope.can(Action::ManagePartnerships) {
        return forbidden();
    }
    let pairs = pairs(&body);
    let stage = value_of(&pairs, "stage");
    let text = value_of(&pairs, "text");
    match partnerships::add_evidence(&state.app, &org.scope, id, &stage, &text, &org.actor()).await
    {
        Ok(_) => {
            let label = Stage::parse(&stage).map_or("its", Stage::label);
            redirect_with_flash(
                &detail_url(&org, id),
                &format!("Added to the {label} gate: {}.", text.trim()),
                secure(&state),
            )
        }
        Err(error) => {
            refused(
                &state,
                &org,
                &csrf,
                id,
                error,
                Some((stage, text)),
                String::new(),
            )
            .await
        }
    }
}

async fn remove_evidence(
    State(state): State<AppState>,
    org: WebOrg,
    Csrf(csrf): Csrf,
    Path((_, id, item)): Path<(String, String, String)>,
) -> Response {
    let Some((id, item)) = parse_ids(&id, &item) else {
        return not_found_page();
    };
    if !org.scope.can(Action::ManagePartnerships) {
        return forbidden();
    }
    match partnerships::remove_evidence(&state.app, &org.scope, id, item, &org.actor()).await {
        Ok(detail) => {
            let message = detail
                .history
                .first()
                .filter(|e| e.kind == "evidence_removed")
                .map_or_else(
                    || "The evidence was removed.".to_owned(),
                    |e| format!("Removed from the {} gate: {}.", e.stage.label(), e.detail),
                );
            redirect_with_flash(&detail_url(&org, id), &message, secure(&state))
        }
        Err(error) => refused(&state, &org, &csrf, id, error, None, String::new()).await,
    }
}

async fn advance(
    State(state): State<AppState>,
    org: WebOrg,
    Csrf(csrf): Csrf,
    Path((_, id)): Path<(String, String)>,
    body: Bytes,
) -> Response {
    let Ok(id) = id.parse::<PartnershipId>() else {
        return not_found_page();
    };
    if !org.scope.can(Action::ManagePartnerships) {
        return forbidden();
    }
    let reason = value_of(&pairs(&body), "reason");
    match partnerships::advance(&state.app, &org.scope, id, &reason, &org.actor()).await {
        Ok((outcome, _)) => {
            let message = match outcome {
                Advance::To(stage) => format!("Moved to {}.", stage.label()),
                Advance::Waiting { approved, of } => {
                    format!("Your approval is recorded: {approved} of {of}.")
                }
            };
            redirect_with_flash(&detail_url(&org, id), &message, secure(&state))
        }
        Err(error) => refused(&state, &org, &csrf, id, error, None, reason).await,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_joined_as_people_write_them() {
        assert_eq!(joined(&[]), "");
        assert_eq!(joined(&["A"]), "A");
        assert_eq!(joined(&["A", "B"]), "A and B");
        assert_eq!(joined(&["A", "B", "C"]), "A, B and C");
    }

    #[test]
    fn the_approval_sentence_ends_with_one_full_stop() {
        assert_eq!(
            approval_sentence(&[], &["Acme Inc.", "Globex"]),
            "No approvals yet; waiting for Acme Inc. and Globex."
        );
        assert_eq!(
            approval_sentence(
                &["Globex approved on 2025-01-02 (Ann)".into()],
                &["Acme Inc."]
            ),
            "Globex approved on 2025-01-02 (Ann); waiting for Acme Inc."
        );
    }

    #[test]
    fn stages_count_from_one() {
        assert_eq!(position(Stage::Awareness), 1);
        assert_eq!(position(Stage::Exit), 8);
    }
}
