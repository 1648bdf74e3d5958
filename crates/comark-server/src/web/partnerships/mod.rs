//! Partnerships' pages: the list and the form that starts one, and one partnership's page
//! with its lifecycle, the current stage's gate, the approvals of moving on, the gates still
//! ahead and the history; then its health, goals and contributions ([`performance`]), its
//! risk register ([`risks`]) and its exit strategy and exit ([`exit`]); and its roles, RACI
//! and rules of engagement, on a page of their own ([`engagement`]).

mod engagement;
mod exit;
mod performance;
mod risks;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::response::Response;
use chrono::{DateTime, NaiveDate, Utc};
use comark_app::exit::ExitView;
use comark_app::partnerships::{self, NewPartnership};
use comark_app::{connections, AppError};
use comark_domain::partnership::{Advance, Stage};
use comark_domain::{
    Action, ConnectionStatus, GateItemId, GoalId, OrgId, PartnershipId, ValidationErrors,
};
use comark_store::goals::Performance;
use comark_store::partnerships::{GateEvidence, PartnershipDetail, PartnershipEvent};
use maud::{html, Markup};

use super::form::{ago, day, forbidden, pairs, text_of, values_of, when};
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
        .post(
            "/o/{org}/partnerships/{partnership_id}/goals",
            performance::add_goal,
        )
        .post(
            "/o/{org}/partnerships/{partnership_id}/goals/{goal_id}/readings",
            performance::record_reading,
        )
        .post(
            "/o/{org}/partnerships/{partnership_id}/commitments",
            performance::set_commitment,
        )
        .post(
            "/o/{org}/partnerships/{partnership_id}/contributions",
            performance::record_delivery,
        )
        .post("/o/{org}/partnerships/{partnership_id}/risks", risks::add)
        .post(
            "/o/{org}/partnerships/{partnership_id}/risks/{risk_id}/close",
            risks::close,
        )
        .post(
            "/o/{org}/partnerships/{partnership_id}/exit-strategy",
            exit::agree,
        )
        .post(
            "/o/{org}/partnerships/{partnership_id}/breaches",
            exit::report_breach,
        )
        .post("/o/{org}/partnerships/{partnership_id}/exit", exit::run)
        .post(
            "/o/{org}/partnerships/{partnership_id}/exit/withdraw",
            exit::withdraw,
        )
        .get(
            "/o/{org}/partnerships/{partnership_id}/engagement",
            engagement::engagement_page,
        )
        .post(
            "/o/{org}/partnerships/{partnership_id}/engagement/roles",
            engagement::name_role,
        )
        .post(
            "/o/{org}/partnerships/{partnership_id}/engagement/raci",
            engagement::set_raci,
        )
        .post(
            "/o/{org}/partnerships/{partnership_id}/engagement/rules",
            engagement::save_rules,
        )
        .post(
            "/o/{org}/partnerships/{partnership_id}/engagement/rules/approve",
            engagement::approve_rules,
        )
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

/// What the sections of a partnership's page share.
struct Sections<'a> {
    /// The partnership's page; its forms post below it.
    url: String,
    csrf: &'a str,
    detail: &'a PartnershipDetail,
    forms: &'a Forms,
    /// Whether this member may change the partnership (its role allows, and it has not
    /// exited).
    manage: bool,
    /// This organization.
    me: OrgId,
    today: NaiveDate,
}

impl Sections<'_> {
    /// A member's name, as the page calls it.
    fn member(&self, id: OrgId) -> &str {
        self.detail
            .partnership
            .members
            .iter()
            .find(|m| m.id == id)
            .map_or("a former member", |m| m.name.as_str())
    }

    /// A select of the members, `chosen` (a handle) selected.
    fn members_select(&self, id: &str, label: &str, chosen: &str, error: Option<&str>) -> Markup {
        html! {
            div.field {
                label for=(id) { (label) }
                select id=(id) name="owner_org" aria-invalid=[error.map(|_| "true")] {
                    @for m in &self.detail.partnership.members {
                        option value=(m.handle) selected[m.handle == chosen] {
                            (m.name) @if m.id == self.me { " (you)" }
                        }
                    }
                }
                @if let Some(message) = error { p.error { (message) } }
            }
        }
    }

    /// This organization's handle.
    fn our_handle(&self) -> String {
        self.detail
            .partnership
            .members
            .iter()
            .find(|m| m.id == self.me)
            .map(|m| m.handle.clone())
            .unwrap_or_default()
    }
}

/// A labelled input with its error; `id` is unique on the page. Number inputs take any
/// non-negative number.
fn input(
    id: &str,
    label: &str,
    name: &str,
    kind: &str,
    value: &str,
    error: Option<&str>,
) -> Markup {
    let error_id = format!("{id}-error");
    let number = kind == "number";
    html! {
        div.field {
            label for=(id) { (label) }
            input id=(id) name=(name) type=(kind) value=(value) autocomplete="off"
                step=[number.then_some("any")] min=[number.then_some("0")]
                aria-invalid=[error.map(|_| "true")] aria-describedby=[error.map(|_| error_id.as_str())];
            @if let Some(error) = error {
                p.error id=(error_id) { (error) }
            }
        }
    }
}

/// A labelled text area with its error.
fn text_area(id: &str, label: &str, name: &str, value: &str, error: Option<&str>) -> Markup {
    let error_id = format!("{id}-error");
    html! {
        div.field {
            label for=(id) { (label) }
            textarea id=(id) name=(name) rows="3"
                aria-invalid=[error.map(|_| "true")] aria-describedby=[error.map(|_| error_id.as_str())] { (value) }
            @if let Some(error) = error {
                p.error id=(error_id) { (error) }
            }
        }
    }
}

/// A number as people read it: thousands grouped, at most two decimals, none when whole.
fn amount(value: f64) -> String {
    let rounded = (value * 100.0).round() / 100.0;
    let text = format!("{rounded:.2}");
    let text = text.trim_end_matches('0').trim_end_matches('.');
    let (sign, text) = match text.strip_prefix('-') {
        Some(rest) if rest != "0" => ("-", rest),
        Some(rest) => ("", rest),
        None => ("", text),
    };
    let (whole, fraction) = text.split_once('.').unwrap_or((text, ""));
    let mut grouped = String::new();
    for (n, digit) in whole.chars().enumerate() {
        if n > 0 && (whole.len() - n) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(digit);
    }
    if fraction.is_empty() {
        format!("{sign}{grouped}")
    } else {
        format!("{sign}{grouped}.{fraction}")
    }
}

/// A number typed into a form; anything else is not a number, which the use case refuses.
fn number(raw: &str) -> f64 {
    raw.trim().parse().unwrap_or(f64::NAN)
}

/// `text` with a capital first letter.
fn sentence(text: &str) -> String {
    let mut chars = text.chars();
    chars
        .next()
        .map(|c| c.to_uppercase().collect::<String>() + chars.as_str())
        .unwrap_or_default()
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
            p.muted { "Its gates start with the evidence of your " a href={ (base) "/gate-templates" } { "gate templates" } "." }
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
        name: text_of(&pairs, "name"),
        purpose: text_of(&pairs, "purpose"),
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
    /// Which form of the later sections was sent, and what was typed into it.
    sent: Option<(Sent, Vec<(String, String)>)>,
}

/// The forms of the health, goals, contributions, risks and exit sections.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Sent {
    Goal,
    Reading(GoalId),
    Commitment,
    Contribution,
    Risk,
    CloseRisk,
    Strategy,
    Breach,
    Exit,
}

impl Sent {
    /// What did not happen, for the message at the top of the page.
    fn failure(self) -> &'static str {
        match self {
            Sent::Goal => "The goal was not added",
            Sent::Reading(_) => "The reading was not recorded",
            Sent::Commitment => "The commitment was not saved",
            Sent::Contribution => "The delivery was not recorded",
            Sent::Risk => "The risk was not added",
            Sent::CloseRisk => "The risk was not closed",
            Sent::Strategy => "The exit strategy was not agreed",
            Sent::Breach => "The breach was not reported",
            Sent::Exit => "The exit was not run",
        }
    }

    /// The form's element id, to link to it.
    fn anchor(self) -> String {
        match self {
            Sent::Goal => "add-goal".into(),
            Sent::Reading(goal) => format!("readings-{goal}"),
            Sent::Commitment => "set-commitment".into(),
            Sent::Contribution => "record-delivery".into(),
            Sent::Risk => "add-risk".into(),
            Sent::CloseRisk => "risks".into(),
            Sent::Strategy => "agree-exit".into(),
            Sent::Breach => "report-breach".into(),
            Sent::Exit => "run-exit".into(),
        }
    }
}

impl Forms {
    /// Whether `form` was the one sent (and refused).
    fn sent(&self, form: Sent) -> bool {
        self.sent.as_ref().is_some_and(|(sent, _)| *sent == form)
    }

    /// The message for `field` of `form`, when that form was refused.
    fn error_in(&self, form: Sent, field: &str) -> Option<&str> {
        if self.sent(form) {
            error_for(&self.error, field)
        } else {
            None
        }
    }

    /// What was typed into `field` of `form` when it was refused, else `default`.
    fn typed(&self, form: Sent, field: &str, default: impl Into<String>) -> String {
        match &self.sent {
            Some((sent, pairs)) if *sent == form => text_of(pairs, field),
            _ => default.into(),
        }
    }

    /// The boxes ticked under `field` in `form` when it was refused, else `default`.
    fn ticked(&self, form: Sent, field: &str, default: Vec<String>) -> Vec<String> {
        match &self.sent {
            Some((sent, pairs)) if *sent == form => values_of(pairs, field),
            _ => default,
        }
    }

    /// A message at the top of the page when a section's form was refused for its input:
    /// the fields' messages are beside the fields, further down.
    fn summary(&self) -> Option<Markup> {
        let (Some(AppError::Invalid(errors)), Some((sent, _))) = (&self.error, &self.sent) else {
            return None;
        };
        Some(html! {
            div.alert role="alert" {
                (sent.failure())
                @if *sent == Sent::CloseRisk {
                    ": " (errors.0.iter().map(|e| format!("{} {}", e.field.replace('_', " "), e.message)).collect::<Vec<_>>().join("; ")) "."
                } @else {
                    ". " a href={ "#" (sent.anchor()) } { "See what to correct in the form" } "."
                }
            }
        })
    }
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
    let performance = match partnerships::performance(&state.app, &org.scope, id).await {
        Ok(performance) => performance,
        Err(error) => return error_page(error),
    };
    let exit = match comark_app::exit::view(&state.app, &org.scope, id).await {
        Ok(exit) => exit,
        Err(error) => return error_page(error),
    };
    let markup = detail_markup(org, csrf, flash, &detail, &performance, &exit, &forms);
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
    let forms = Forms {
        error: Some(error),
        evidence,
        reason,
        sent: None,
    };
    answer_refusal(state, org, csrf, id, forms).await
}

/// Answers a refused form of the health, goals, contributions, risks or exit sections, with
/// what was typed into it.
async fn refused_in(
    state: &AppState,
    org: &WebOrg,
    csrf: &str,
    id: PartnershipId,
    error: AppError,
    sent: Sent,
    pairs: Vec<(String, String)>,
) -> Response {
    let forms = Forms {
        error: Some(error),
        sent: Some((sent, pairs)),
        ..Forms::default()
    };
    answer_refusal(state, org, csrf, id, forms).await
}

async fn answer_refusal(
    state: &AppState,
    org: &WebOrg,
    csrf: &str,
    id: PartnershipId,
    forms: Forms,
) -> Response {
    match forms.error {
        Some(AppError::NotFound) => not_found_page(),
        Some(AppError::Forbidden) => forbidden(),
        _ => render_detail(state, org, csrf, None, id, forms).await,
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
                        @if let Some(feed) = item.fed_by {
                            a.fed.muted href={ (base) "/internal-assessment#" (feed.anchor()) } {
                                "fed by the internal assessment: " (feed.label())
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
        "goal_added" => format!("Added a goal: {detail}"),
        "progress_recorded" => format!("Recorded a reading: {detail}"),
        "commitment_set" => format!("Set a commitment: {detail}"),
        "contribution_recorded" => format!("Recorded a delivery: {detail}"),
        "risk_added" => format!("Added a risk: {detail}"),
        "risk_closed" => format!("Closed a risk: {detail}"),
        "risk_updated" => format!("Changed a risk: {detail}"),
        "exit_strategy_agreed" => format!("Agreed the exit strategy: {detail}"),
        "breach_reported" => format!("Reported a breach: {detail}"),
        "trigger_fired" => format!("An exit trigger fired: {detail}"),
        "exited" => format!("Ran the exit: {detail}"),
        "exit_notice" => detail.to_owned(),
        "exit_notice_withdrawn" => detail.to_owned(),
        "role_named" => format!("Named a role: {detail}"),
        "raci_set" => format!("Set the RACI: {detail}"),
        "rules_written" => format!("Wrote the rules of engagement: {detail}"),
        "rules_approved" => format!("Approved the rules of engagement: {detail}"),
        other => format!("{other}: {detail}"),
    }
}

fn detail_markup(
    org: &WebOrg,
    csrf: &str,
    flash: Option<&str>,
    detail: &PartnershipDetail,
    performance: &Performance,
    exit_view: &ExitView,
    forms: &Forms,
) -> Markup {
    let p = &detail.partnership;
    let base = base(org);
    let me = org.scope.org_id();
    let exited = p.stage == Stage::Exit;
    // An exited partnership is a record: nobody changes it any more.
    let manage = org.scope.can(Action::ManagePartnerships) && !exited;
    let page_of = Sections {
        url: detail_url(org, p.id),
        csrf,
        detail,
        forms,
        manage,
        me,
        today: comark_store::now().date_naive(),
    };
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
            p.engagement-link { a href={ (page_of.url) "/engagement" } { "Roles, RACI and rules of engagement" } }
            (alert(shown_error))
            @if let Some(summary) = forms.summary() { (summary) }
            (exit::closing(exit_view))
            nav.on-page aria-label="On this page" {
                ul {
                    li { a href="#lifecycle" { "Lifecycle" } }
                    li { a href="#health" { "Health" } }
                    li { a href="#goals" { "Goals" } }
                    li { a href="#contributions" { "Contributions" } }
                    li { a href="#risks" { "Risks" } }
                    li { a href="#exit" { "Exit" } }
                    li { a href="#history" { "History" } }
                }
            }

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

            (performance::health(performance, exit_view))

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

            (performance::goals(&page_of, performance))
            (performance::contributions(&page_of, performance))
            (risks::register(&page_of))
            (exit::section(&page_of, exit_view))

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

/// The partnership a changing request names, once the role allows managing partnerships.
// The error is the page sent back at once; boxing it would only add an allocation.
#[allow(clippy::result_large_err)]
pub(super) fn managed(org: &WebOrg, raw: &str) -> Result<PartnershipId, Response> {
    crate::web::form::managed(org, raw, Action::ManagePartnerships)
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
    let met = match text_of(&pairs(&body), "met").as_str() {
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
    let id = match managed(&org, &id) {
        Ok(id) => id,
        Err(refusal) => return refusal,
    };
    let pairs = pairs(&body);
    let stage = text_of(&pairs, "stage");
    let text = text_of(&pairs, "text");
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
    let id = match managed(&org, &id) {
        Ok(id) => id,
        Err(refusal) => return refusal,
    };
    let reason = text_of(&pairs(&body), "reason");
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
    fn amounts_read_as_people_write_them() {
        assert_eq!(amount(0.0), "0");
        assert_eq!(amount(2.0), "2");
        assert_eq!(amount(2.5), "2.5");
        assert_eq!(amount(1234.567), "1,234.57");
        assert_eq!(amount(1_000_000.0), "1,000,000");
        assert_eq!(amount(-0.001), "0");
        assert_eq!(amount(-1500.0), "-1,500");
        assert!(number("lots").is_nan());
        assert_eq!(number(" 10 "), 10.0);
    }

    #[test]
    fn stages_count_from_one() {
        assert_eq!(position(Stage::Awareness), 1);
        assert_eq!(position(Stage::Exit), 8);
    }
}
