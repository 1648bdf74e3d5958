//! A partnership's engagement page: the people each member names for its roles, the RACI of
//! who does what (with its gaps), and the versioned rules of engagement every member approves.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::response::Response;
use comark_app::{engagement, partnerships, AppError};
use comark_domain::engagement::{Raci, AREAS, ROLES, RULE_SECTIONS};
use comark_domain::partnership::Stage;
use comark_domain::{Action, OrgId, PartnershipId, ValidationErrors};
use comark_store::engagement::Engagement;
use comark_store::partnerships::PartnershipDetail;
use maud::{html, Markup};

use super::{
    day, detail_url, forbidden, full_stop, input, joined, list_url, managed, pairs, sentence,
    text_of, time, values_of,
};
use crate::auth::WebOrg;
use crate::web::layout::{csrf_field, error_page, not_found_page, page};
use crate::web::org::{secure, shell};
use crate::web::session::{alert, error_for, form_response, general_error};
use crate::web::{redirect_with_flash, Csrf, Flash};
use crate::AppState;

/// The choice in the role select that names a role of one's own.
const OTHER_ROLE: &str = "other";

/// The engagement page of a partnership.
fn page_url(org: &WebOrg, id: PartnershipId) -> String {
    format!("{}/engagement", detail_url(org, id))
}

/// The forms of the engagement page.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Sent {
    Role,
    Raci,
    Rules,
    Approve,
}

impl Sent {
    /// What did not happen, for the message at the top of the page.
    fn failure(self) -> &'static str {
        match self {
            Sent::Role => "The role was not saved",
            Sent::Raci => "The RACI was not saved",
            Sent::Rules => "The rules were not saved",
            Sent::Approve => "The rules were not approved",
        }
    }

    /// The form's element id, to link to it.
    fn anchor(self) -> &'static str {
        match self {
            Sent::Role => "name-role",
            Sent::Raci => "raci-form",
            Sent::Rules => "write-rules",
            Sent::Approve => "rules",
        }
    }
}

/// A refusal of one of the page's forms, and what was typed into it.
#[derive(Default)]
struct Forms {
    error: Option<AppError>,
    sent: Option<(Sent, Vec<(String, String)>)>,
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

    /// Every value typed under `field` of `form` when it was refused.
    fn all_typed(&self, form: Sent, field: &str) -> Option<Vec<String>> {
        match &self.sent {
            Some((sent, pairs)) if *sent == form => Some(values_of(pairs, field)),
            _ => None,
        }
    }

    /// A message at the top of the page when a form was refused for its input.
    fn summary(&self) -> Option<Markup> {
        let (Some(AppError::Invalid(_)), Some((sent, _))) = (&self.error, &self.sent) else {
            return None;
        };
        Some(html! {
            div.alert role="alert" {
                (sent.failure()) ". "
                a href={ "#" (sent.anchor()) } { "See what to correct in the form" } "."
            }
        })
    }
}

/// A role's name as people say it: the standard ones' labels, others from their key.
fn role_label(key: &str) -> String {
    ROLES.iter().find(|(k, _)| *k == key).map_or_else(
        || sentence(&key.replace('_', " ")),
        |(_, label)| (*label).to_owned(),
    )
}

/// RACI letters in words: "RA" is "Responsible and accountable".
fn raci_words(letters: &str) -> String {
    let Some(raci) = Raci::parse(letters) else {
        return letters.to_owned();
    };
    let words: Vec<&str> = [
        (raci.responsible, "responsible"),
        (raci.accountable, "accountable"),
        (raci.consulted, "consulted"),
        (raci.informed, "informed"),
    ]
    .into_iter()
    .filter(|(on, _)| *on)
    .map(|(_, word)| word)
    .collect();
    if words.is_empty() {
        "Not involved".to_owned()
    } else {
        sentence(&joined(&words))
    }
}

/// Every role anyone named: the standard ones first, then the others by key.
fn role_keys(engagement: &Engagement) -> Vec<String> {
    let mut keys: Vec<String> = ROLES.iter().map(|(key, _)| (*key).to_owned()).collect();
    for holder in &engagement.roles {
        if !keys.contains(&holder.role) {
            keys.push(holder.role.clone());
        }
    }
    keys
}

/// Every activity area: the standard ones first, then those the members added.
fn area_names(engagement: &Engagement) -> Vec<String> {
    let mut names: Vec<String> = AREAS.iter().map(|a| (*a).to_owned()).collect();
    for assignment in &engagement.raci {
        if !names.contains(&assignment.area) {
            names.push(assignment.area.clone());
        }
    }
    names
}

/// A member's letters in an area ("" for no part).
fn letters_of<'a>(engagement: &'a Engagement, area: &str, org: OrgId) -> &'a str {
    engagement
        .raci
        .iter()
        .find(|a| a.area == area && a.org == org)
        .map_or("", |a| a.letters.as_str())
}

/// What the engagement page shows, and how.
struct View<'a> {
    org: &'a WebOrg,
    csrf: &'a str,
    detail: &'a PartnershipDetail,
    engagement: &'a Engagement,
    forms: &'a Forms,
    /// Whether this member may change things (its role allows, and it has not exited).
    manage: bool,
    me: OrgId,
    url: String,
}

impl View<'_> {
    fn member_name(&self, id: OrgId) -> &str {
        self.detail
            .partnership
            .members
            .iter()
            .find(|m| m.id == id)
            .map_or("a former member", |m| m.name.as_str())
    }

    /// A member's name as a column heading, with "(you)" for this organization.
    fn column(&self, id: OrgId, name: &str) -> Markup {
        html! { th scope="col" { (name) @if id == self.me { " (you)" } } }
    }

    fn roles(&self) -> Markup {
        let members = &self.detail.partnership.members;
        let forms = self.forms;
        let sent = Sent::Role;
        let choice = forms.typed(sent, "role", ROLES[0].0);
        let role_error = forms.error_in(sent, "role");
        // A refused name of one's own role shows beside the field it was typed into.
        let (select_error, other_error) = if choice == OTHER_ROLE {
            (None, role_error)
        } else {
            (role_error, None)
        };
        html! {
            section.roles aria-labelledby="roles" {
                h2 #roles { "Roles" }
                p.muted { "The people each member names, so everyone knows whom to ask." }
                div.table-scroll {
                    table.roles {
                        caption { "Who holds each role" }
                        thead { tr {
                            th scope="col" { "Role" }
                            @for m in members { (self.column(m.id, &m.name)) }
                        } }
                        tbody {
                            @for key in role_keys(self.engagement) {
                                @let label = role_label(&key);
                                tr {
                                    th scope="row" { (label) }
                                    @for m in members {
                                        @let holder = self.engagement.roles.iter().find(|h| h.role == key && h.org == m.id);
                                        td {
                                            @if let Some(holder) = holder {
                                                (holder.person)
                                                @if !holder.email.is_empty() {
                                                    " " a.muted href={ "mailto:" (holder.email) } { (holder.email) }
                                                }
                                                @if self.manage && m.id == self.me {
                                                    " "
                                                    form.inline method="post" action={ (self.url) "/roles" } {
                                                        (csrf_field(self.csrf))
                                                        input type="hidden" name="role" value=(key);
                                                        input type="hidden" name="person" value="";
                                                        button.link type="submit" aria-label={ "Clear " (label) } { "Clear" }
                                                    }
                                                }
                                            } @else {
                                                span.muted { "Not named" }
                                            }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
                @if self.manage {
                    details.form #name-role open[forms.sent(sent)] {
                        summary { "Name a person for a role" }
                        form.stack method="post" action={ (self.url) "/roles" } novalidate {
                            (csrf_field(self.csrf))
                            div.field {
                                label for="role-choice" { "Role" }
                                select #role-choice name="role" aria-invalid=[select_error.map(|_| "true")] {
                                    @for (key, label) in ROLES {
                                        option value=(key) selected[choice == key] { (label) }
                                    }
                                    option value=(OTHER_ROLE) selected[choice == OTHER_ROLE] { "Another role (name it below)" }
                                }
                                @if let Some(message) = select_error { p.error { (message) } }
                            }
                            (input("role-other", "Other role (optional)", "other_role", "text", &forms.typed(sent, "other_role", ""), other_error))
                            (input("role-person", "Person", "person", "text", &forms.typed(sent, "person", ""), forms.error_in(sent, "person")))
                            (input("role-email", "E-mail (optional)", "email", "email", &forms.typed(sent, "email", ""), forms.error_in(sent, "email")))
                            p.muted.hint { "Leave the person empty to clear the role." }
                            div { button type="submit" { "Save role" } }
                        }
                    }
                }
            }
        }
    }

    fn raci(&self) -> Markup {
        let members = &self.detail.partnership.members;
        let forms = self.forms;
        let sent = Sent::Raci;
        let areas = area_names(self.engagement);
        let typed = forms.all_typed(sent, "letters");
        let gaps = &self.engagement.gaps;
        let table = html! {
            div.table-scroll {
                table.raci {
                    caption { "Each member's part per activity area" }
                    thead { tr {
                        th scope="col" { "Area" }
                        @for m in members { (self.column(m.id, &m.name)) }
                    } }
                    tbody {
                        @for (n, area) in areas.iter().enumerate() {
                            tr {
                                th scope="row" { (area) }
                                @for m in members {
                                    @let letters = letters_of(self.engagement, area, m.id);
                                    @if self.manage && m.id == self.me {
                                        @let id = format!("raci-{n}");
                                        @let field = format!("letters.{n}");
                                        @let error = forms.error_in(sent, &field);
                                        @let value = typed.as_ref().and_then(|t| t.get(n).cloned()).unwrap_or_else(|| letters.to_owned());
                                        td.ours {
                                            label.sr-only for=(id) { "Our part in " (area) }
                                            input type="hidden" name="area" value=(area);
                                            input id=(id) name="letters" type="text" value=(value) size="5" maxlength="12"
                                                autocomplete="off" autocapitalize="characters"
                                                aria-invalid=[error.map(|_| "true")]
                                                aria-describedby=[error.map(|_| format!("{id}-error"))];
                                            @if let Some(message) = error { p.error id={ (id) "-error" } { (message) } }
                                        }
                                    } @else {
                                        td {
                                            @if letters.is_empty() {
                                                span.muted { "–" span.sr-only { "not involved" } }
                                            } @else {
                                                abbr title=(raci_words(letters)) { (letters) }
                                            }
                                        }
                                    }
                                }
                            }
                        }
                        @if self.manage {
                            tr.new-area {
                                th scope="row" {
                                    label.sr-only for="raci-new-area" { "New area" }
                                    input #raci-new-area name="new_area" type="text" placeholder="Add an area"
                                        value=(forms.typed(sent, "new_area", "")) autocomplete="off"
                                        aria-invalid=[forms.error_in(sent, "new_area").map(|_| "true")];
                                    @if let Some(message) = forms.error_in(sent, "new_area") { p.error { (message) } }
                                }
                                @for m in members {
                                    @if m.id == self.me {
                                        td.ours {
                                            label.sr-only for="raci-new-letters" { "Our part in the new area" }
                                            input #raci-new-letters name="new_letters" type="text" size="5" maxlength="12"
                                                value=(forms.typed(sent, "new_letters", "")) autocomplete="off"
                                                aria-invalid=[forms.error_in(sent, "new_letters").map(|_| "true")];
                                            @if let Some(message) = forms.error_in(sent, "new_letters") { p.error { (message) } }
                                        }
                                    } @else {
                                        td {}
                                    }
                                }
                            }
                        }
                    }
                }
            }
        };
        html! {
            section.raci aria-labelledby="raci" {
                h2 #raci { "RACI: who does what" }
                p.muted {
                    strong { "R" } "esponsible does the work, "
                    strong { "A" } "ccountable owns the outcome (one member per area), "
                    strong { "C" } "onsulted is asked before, "
                    strong { "I" } "nformed is told after."
                }
                @if gaps.is_empty() {
                    p.notice #raci-complete { "Every area has one accountable member and someone responsible for the work." }
                } @else {
                    div.warning #raci-gaps role="status" {
                        p { strong { (gaps.len()) " " (if gaps.len() == 1 { "gap" } else { "gaps" }) " in the RACI" } }
                        ul { @for gap in gaps { li { (gap) } } }
                    }
                }
                @if self.manage {
                    form #raci-form method="post" action={ (self.url) "/raci" } novalidate {
                        (csrf_field(self.csrf))
                        (table)
                        p.muted.hint { "Type our letters per area, any of R, A, C and I; leave it empty where we have no part. Name a new area in the last row." }
                        div { button type="submit" { "Save RACI" } }
                    }
                } @else {
                    (table)
                }
            }
        }
    }

    fn rules(&self) -> Markup {
        let e = self.engagement;
        let members = &self.detail.partnership.members;
        let forms = self.forms;
        let sent = Sent::Rules;
        let our_handle = members
            .iter()
            .find(|m| m.id == self.me)
            .map(|m| m.handle.clone())
            .unwrap_or_default();
        let our_zone = e.time_zones.get(&our_handle).cloned().unwrap_or_default();
        let ours = e.approvals.iter().find(|a| a.org == self.me);
        let approved: Vec<String> = e
            .approvals
            .iter()
            .map(|a| {
                let org = self.member_name(a.org);
                // `by` reads "person (organization)"; the sentence names the organization already.
                let person = a.by.strip_suffix(&format!(" ({org})")).unwrap_or(&a.by);
                format!("{org} on {} ({person})", day(a.at))
            })
            .collect();
        let waiting: Vec<&str> = members
            .iter()
            .filter(|m| !e.approvals.iter().any(|a| a.org == m.id))
            .map(|m| m.name.as_str())
            .collect();
        let next = e.version + 1;
        html! {
            section.rules aria-labelledby="rules" {
                h2 #rules { "Rules of engagement" }
                @if e.version == 0 {
                    p.empty { "No rules of engagement written yet. Once a member writes them, every other member approves them." }
                } @else {
                    p.version { "Version " strong { (e.version) } }
                    @if e.agreed {
                        p.notice #rules-agreed { "Version " (e.version) " is agreed by all members." }
                    } @else {
                        div.warning #rules-waiting {
                            p { (full_stop(format!("Version {} is not agreed yet: waiting for {}", e.version, joined(&waiting)))) }
                        }
                    }
                    @if !approved.is_empty() {
                        p.approvals { (full_stop(format!("Approved by {}", approved.join("; ")))) }
                    }
                    @if self.manage {
                        @if let Some(mine) = ours {
                            p.muted { "You approved version " (e.version) " on " (time(mine.at, day(mine.at))) "." }
                        } @else {
                            form.inline method="post" action={ (self.url) "/rules/approve" } {
                                (csrf_field(self.csrf))
                                input type="hidden" name="version" value=(e.version);
                                button type="submit" { "Approve version " (e.version) }
                            }
                        }
                    }
                    dl.strategy.rules {
                        @for (key, label, _) in RULE_SECTIONS {
                            dt { (label) }
                            dd {
                                @if let Some(text) = e.rules.get(key) { (text) } @else { span.muted { "Not written" } }
                            }
                        }
                    }
                }
                h3 { "Time zones" }
                dl.strategy.time-zones {
                    @for m in members {
                        dt { (m.name) @if m.id == self.me { " (you)" } }
                        dd {
                            @if let Some(zone) = e.time_zones.get(&m.handle) { (zone) } @else { span.muted { "Not given" } }
                        }
                    }
                }
                @if self.manage {
                    details.form #write-rules open[forms.sent(sent) || e.version == 0] {
                        summary { @if e.version == 0 { "Write the rules" } @else { "Change the rules" } }
                        form.stack.wide method="post" action={ (self.url) "/rules" } novalidate {
                            (csrf_field(self.csrf))
                            p.muted.hint {
                                "Saving writes version " (next)
                                "; every other member must approve it again. Leave a section empty to leave it out."
                            }
                            @for (key, label, hint) in RULE_SECTIONS {
                                @let id = format!("rules-{key}");
                                @let name = format!("rules.{key}");
                                @let error = forms.error_in(sent, &name);
                                @let value = forms.typed(sent, &name, e.rules.get(key).cloned().unwrap_or_default());
                                @let described = if error.is_some() { format!("{id}-hint {id}-error") } else { format!("{id}-hint") };
                                div.field {
                                    label for=(id) { (label) }
                                    p.muted.hint id={ (id) "-hint" } { (hint) }
                                    textarea id=(id) name=(name) rows="3"
                                        aria-invalid=[error.map(|_| "true")]
                                        aria-describedby=(described) { (value) }
                                    @if let Some(message) = error { p.error id={ (id) "-error" } { (message) } }
                                }
                            }
                            (input("rules-time-zone", "Our team's time zone", "time_zone", "text", &forms.typed(sent, "time_zone", our_zone), forms.error_in(sent, "time_zone")))
                            div { button type="submit" { "Save rules" } }
                        }
                    }
                }
            }
        }
    }

    fn markup(&self, flash: Option<&str>) -> Markup {
        let p = &self.detail.partnership;
        let title = format!("Roles, RACI and rules · {}", p.name);
        let exited = p.stage == Stage::Exit;
        page(
            shell(self.org, &title, "partnerships", self.csrf, flash),
            html! {
                p.muted {
                    a href=(list_url(self.org)) { "All partnerships" } " · "
                    a href=(detail_url(self.org, p.id)) { (p.name) }
                }
                h1 { "Roles, RACI and rules" }
                p.members {
                    "How " (joined(&p.members.iter().map(|m| m.name.as_str()).collect::<Vec<_>>()))
                    " work together in " strong { (p.name) } "."
                }
                (alert(general_error(&self.forms.error)))
                @if let Some(summary) = self.forms.summary() { (summary) }
                @if exited {
                    p.notice { "This partnership has exited; its roles, RACI and rules are kept as a read-only record." }
                } @else if !self.org.scope.can(Action::ManagePartnerships) {
                    p.muted { "Owners, admins and partner managers name the roles, fill in the RACI and write and approve the rules." }
                }
                nav.on-page aria-label="On this page" {
                    ul {
                        li { a href="#roles" { "Roles" } }
                        li { a href="#raci" { "RACI" } }
                        li { a href="#rules" { "Rules of engagement" } }
                    }
                }
                (self.roles())
                (self.raci())
                (self.rules())
            },
        )
    }
}

/// The engagement page: roles, RACI and rules of engagement.
pub(super) async fn engagement_page(
    State(state): State<AppState>,
    org: WebOrg,
    Csrf(csrf): Csrf,
    Flash(flash): Flash,
    Path((_, id)): Path<(String, String)>,
) -> Response {
    let Ok(id) = id.parse::<PartnershipId>() else {
        return not_found_page();
    };
    render(&state, &org, &csrf, flash.as_deref(), id, Forms::default()).await
}

async fn render(
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
    let engagement = match engagement::view(&state.app, &org.scope, id).await {
        Ok(engagement) => engagement,
        Err(error) => return error_page(error),
    };
    let view = View {
        org,
        csrf,
        detail: &detail,
        engagement: &engagement,
        forms: &forms,
        // An exited partnership is a record: nobody changes it any more.
        manage: org.scope.can(Action::ManagePartnerships)
            && detail.partnership.stage != Stage::Exit,
        me: org.scope.org_id(),
        url: page_url(org, id),
    };
    let markup = view.markup(flash);
    form_response(&forms.error, markup)
}

/// Answers a refused form: the page again with the message beside the field (422) or at the
/// top (409), or the not-found and forbidden pages.
async fn refused(
    state: &AppState,
    org: &WebOrg,
    csrf: &str,
    id: PartnershipId,
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
            render(state, org, csrf, None, id, forms).await
        }
    }
}

/// `error` with its fields renamed by `rename` (a use case's `letters` is a row's field here).
fn renamed(error: AppError, rename: impl Fn(&str) -> String) -> AppError {
    match error {
        AppError::Invalid(mut errors) => {
            for e in &mut errors.0 {
                e.field = rename(&e.field);
            }
            AppError::Invalid(errors)
        }
        other => other,
    }
}

/// Names (or, with no person, clears) our holder of a role.
pub(super) async fn name_role(
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
    let choice = text_of(&pairs, "role");
    let role = if choice == OTHER_ROLE {
        text_of(&pairs, "other_role")
    } else {
        choice
    };
    let person = text_of(&pairs, "person");
    let email = text_of(&pairs, "email");
    match engagement::set_role(
        &state.app,
        &org.scope,
        id,
        &role,
        &person,
        &email,
        &org.actor(),
    )
    .await
    {
        Ok(_) => {
            let label = role_label(role.trim());
            let message = if person.trim().is_empty() {
                format!("Cleared: {label}.")
            } else {
                format!("{} is our {}.", person.trim(), label.to_lowercase())
            };
            redirect_with_flash(&page_url(&org, id), &message, secure(&state))
        }
        Err(error) => refused(&state, &org, &csrf, id, error, Sent::Role, pairs).await,
    }
}

/// Saves our column of the RACI grid, and a new area with our part in it.
pub(super) async fn set_raci(
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
    let current = match engagement::view(&state.app, &org.scope, id).await {
        Ok(current) => current,
        Err(error) => return refused(&state, &org, &csrf, id, error, Sent::Raci, pairs).await,
    };
    let me = org.scope.org_id();
    // Each changed row, as (the row's field, area, letters); nothing is saved unless every
    // row reads as letters, and a new area goes first, as the one the use case may refuse.
    let mut errors = ValidationErrors::default();
    let mut changes: Vec<(String, String, String)> = Vec::new();
    let new_area = text_of(&pairs, "new_area");
    let new_letters = text_of(&pairs, "new_letters");
    if !new_area.trim().is_empty() || !new_letters.trim().is_empty() {
        if new_area.trim().is_empty() {
            errors.add("new_area", "name the area");
        } else {
            changes.push(("new".into(), new_area.clone(), new_letters.clone()));
        }
    }
    let areas = values_of(&pairs, "area");
    let letters = values_of(&pairs, "letters");
    for (n, (area, typed)) in areas.iter().zip(&letters).enumerate() {
        match Raci::parse(typed) {
            None => errors.add(format!("letters.{n}"), "use the letters R, A, C and I"),
            Some(raci) if raci.letters() != letters_of(&current, area, me) => {
                changes.push((format!("letters.{n}"), area.clone(), typed.clone()));
            }
            Some(_) => {}
        }
    }
    if let Err(errors) = errors.into_result() {
        let error = AppError::Invalid(errors);
        return refused(&state, &org, &csrf, id, error, Sent::Raci, pairs).await;
    }
    if changes.is_empty() {
        return redirect_with_flash(
            &page_url(&org, id),
            "Nothing changed in the RACI.",
            secure(&state),
        );
    }
    let mut gaps = current.gaps.len();
    for (field, area, typed) in &changes {
        match engagement::set_raci(&state.app, &org.scope, id, area, typed, &org.actor()).await {
            Ok(saved) => gaps = saved.gaps.len(),
            Err(error) => {
                let error = renamed(error, |name| match (field.as_str(), name) {
                    ("new", "area") => "new_area".into(),
                    ("new", "letters") => "new_letters".into(),
                    (row, "letters") => row.to_owned(),
                    (_, other) => other.to_owned(),
                });
                return refused(&state, &org, &csrf, id, error, Sent::Raci, pairs).await;
            }
        }
    }
    let saved = match changes.len() {
        1 => "RACI saved: 1 area changed".to_owned(),
        n => format!("RACI saved: {n} areas changed"),
    };
    let message = match gaps {
        0 => format!("{saved}; no gaps left."),
        1 => format!("{saved}; 1 gap left."),
        n => format!("{saved}; {n} gaps left."),
    };
    redirect_with_flash(&page_url(&org, id), &message, secure(&state))
}

/// Writes a new version of the rules of engagement, unless nothing changed.
pub(super) async fn save_rules(
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
    let rules: std::collections::BTreeMap<String, String> = pairs
        .iter()
        .filter_map(|(name, text)| {
            name.strip_prefix("rules.")
                .map(|key| (key.to_owned(), text.clone()))
        })
        .collect();
    let time_zone = text_of(&pairs, "time_zone");
    match engagement::save_rules(
        &state.app,
        &org.scope,
        id,
        &rules,
        Some(&time_zone),
        &org.actor(),
    )
    .await
    {
        Ok((saved, changed)) => {
            let message = match (changed, saved.version) {
                (true, version) => format!(
                    "Version {version} of the rules is saved; the other members must approve it."
                ),
                (false, 0) => "Nothing to save yet: write at least one section.".to_owned(),
                (false, version) => {
                    format!("Nothing changed; the rules stay at version {version}.")
                }
            };
            redirect_with_flash(&page_url(&org, id), &message, secure(&state))
        }
        Err(error) => refused(&state, &org, &csrf, id, error, Sent::Rules, pairs).await,
    }
}

/// Approves the version of the rules the page showed.
pub(super) async fn approve_rules(
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
    // Not a version number: no version is 0, which the use case refuses.
    let version = text_of(&pairs, "version").trim().parse().unwrap_or(0);
    match engagement::approve_rules(&state.app, &org.scope, id, version, &org.actor()).await {
        Ok(saved) => {
            let message = if saved.agreed {
                format!("You approved version {version}: the rules are agreed by all members.")
            } else {
                format!("You approved version {version}; the other members must approve it too.")
            };
            redirect_with_flash(&page_url(&org, id), &message, secure(&state))
        }
        Err(error) => refused(&state, &org, &csrf, id, error, Sent::Approve, pairs).await,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_read_as_people_say_them() {
        assert_eq!(role_label("executive_sponsor"), "Executive sponsor");
        assert_eq!(role_label("events_lead"), "Events lead");
    }

    #[test]
    fn raci_letters_read_as_words() {
        assert_eq!(raci_words("RA"), "Responsible and accountable");
        assert_eq!(raci_words("CI"), "Consulted and informed");
        assert_eq!(raci_words(""), "Not involved");
    }
}
