//! An organization's pages: overview, members and invitations, partners, settings, audit log.

use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use comark_app::{connections, orgs, AppError};
use comark_domain::connection::{
    DEFAULT_LINK_DAYS, DEFAULT_LINK_USES, MAX_LINK_DAYS, MAX_LINK_USES,
};
use comark_domain::invitation::LINK_LABEL;
use comark_domain::{
    Action, ConnectionLinkId, ConnectionStatus, ConnectionTransition, Cursor, LinkStatus, Role,
};
use maud::{html, Markup};
use serde::Deserialize;

use super::form::managed;
use super::layout::{csrf_field, error_page, field, not_found_page, page, Shell};
use super::session::{alert, error_for, form_response, general_error};
use super::{redirect_with_flash, Csrf, Flash, WebRoutes};
use crate::auth::{WebOrg, WebUser};
use crate::AppState;

pub(super) fn routes(routes: WebRoutes) -> WebRoutes {
    routes
        .get("/orgs/new", new_org_page)
        .post("/orgs/new", create_org)
        .get("/o/{org}", overview)
        .get("/o/{org}/members", members_page)
        .post("/o/{org}/members/{user_id}/role", change_role)
        .post("/o/{org}/members/{user_id}/remove", remove_member)
        .post("/o/{org}/invitations", invite)
        .post(
            "/o/{org}/invitations/{invitation_id}/revoke",
            revoke_invitation,
        )
        .get("/invitations/{token}", invitation_page)
        .post("/invitations/{token}/accept", accept_invitation)
        .get("/o/{org}/partners", partners_page)
        .post("/o/{org}/partners", request_connection)
        .post("/o/{org}/partners/link", create_link)
        .post("/o/{org}/connection-links/{link_id}/revoke", revoke_link)
        .post(
            "/o/{org}/partners/{connection_id}/accept",
            accept_connection,
        )
        .post(
            "/o/{org}/partners/{connection_id}/decline",
            decline_connection,
        )
        .post("/o/{org}/partners/{connection_id}/end", end_connection)
        .get("/connect/{token}", connect_page)
        .post("/connect/{token}", connect)
        .get("/o/{org}/settings", settings_page)
        .post("/o/{org}/settings", save_settings)
        .get("/o/{org}/audit", audit_page)
        .get("/o/{org}/audit.csv", audit_csv)
        .get("/o/{org}/plans", coming_soon)
        .get("/o/{org}/leads", coming_soon)
        .get("/o/{org}/insights", coming_soon)
}

/// The page shell inside an organization: its navigation, with `area` marked current.
pub(super) fn shell<'a>(
    org: &'a WebOrg,
    title: &'a str,
    area: &'a str,
    csrf: &'a str,
    flash: Option<&'a str>,
) -> Shell<'a> {
    Shell {
        title,
        user_name: Some(&org.user.current.user.name),
        org: Some((&org.scope.org().handle, &org.scope.org().name)),
        area,
        flash,
        csrf,
        settings_link: org.scope.can(Action::ManageSettings),
    }
}

/// The organization's pages' path prefix, `/o/{handle}`.
pub(super) fn base(org: &WebOrg) -> String {
    format!("/o/{}", org.scope.org().handle)
}

/// `one` for 1, else `many`.
pub(super) fn plural<'a>(n: impl TryInto<u64>, one: &'a str, many: &'a str) -> &'a str {
    if n.try_into().ok() == Some(1) {
        one
    } else {
        many
    }
}

/// Whether cookies are set `Secure`.
pub(super) fn secure(state: &AppState) -> bool {
    state.settings.secure_cookies
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct NewOrgForm {
    name: String,
    handle: String,
}

fn new_org_form(
    user: &WebUser,
    csrf: &str,
    flash: Option<&str>,
    form: &NewOrgForm,
    error: &Option<AppError>,
) -> Markup {
    page(
        Shell {
            title: "Create an organization",
            user_name: Some(&user.current.user.name),
            csrf,
            flash,
            ..Default::default()
        },
        html! {
            h1 { "Create an organization" }
            p { "An organization is your company in comark. You will be its owner and can invite colleagues next." }
            (alert(general_error(error)))
            form.stack method="post" action="/orgs/new" novalidate {
                (csrf_field(csrf))
                (field("Name", "name", "text", &form.name, error_for(error, "name"), "organization"))
                (field("Handle (partners find you by it; leave empty to derive it from the name)", "handle", "text", &form.handle, error_for(error, "handle"), "off"))
                button type="submit" { "Create organization" }
            }
        },
    )
}

async fn new_org_page(user: WebUser, Csrf(csrf): Csrf, Flash(flash): Flash) -> Markup {
    new_org_form(
        &user,
        &csrf,
        flash.as_deref(),
        &NewOrgForm::default(),
        &None,
    )
}

async fn create_org(
    State(state): State<AppState>,
    user: WebUser,
    Csrf(csrf): Csrf,
    Form(form): Form<NewOrgForm>,
) -> Response {
    let input = orgs::NewOrganization {
        name: form.name.clone(),
        handle: Some(form.handle.clone()),
    };
    match orgs::create_organization(&state.app, &user.current, input, &user.actor()).await {
        Ok(org) => redirect_with_flash(
            &format!("/o/{}", org.handle),
            &format!(
                "{} is ready. Invite your colleagues and connect with partners.",
                org.name
            ),
            secure(&state),
        ),
        Err(error) => {
            let error = Some(error);
            form_response(&error, new_org_form(&user, &csrf, None, &form, &error))
        }
    }
}

async fn overview(
    State(state): State<AppState>,
    org: WebOrg,
    Csrf(csrf): Csrf,
    Flash(flash): Flash,
) -> Response {
    let (members, connections) = match (
        orgs::members(&state.app, &org.scope).await,
        connections::list(&state.app, &org.scope).await,
    ) {
        (Ok(m), Ok(c)) => (m, c),
        (Err(e), _) | (_, Err(e)) => return error_page(e),
    };
    let partners = connections
        .iter()
        .filter(|c| c.status == ConnectionStatus::Accepted)
        .count();
    let waiting = connections
        .iter()
        .filter(|c| c.status == ConnectionStatus::Pending && !c.outgoing)
        .count();
    let base = base(&org);
    page(
        shell(&org, &org.scope.org().name, "", &csrf, flash.as_deref()),
        html! {
            h1 { (org.scope.org().name) }
            p.muted { "@" (org.scope.org().handle) " · you are " (org.scope.role().label()) }
            ul.stats {
                li { a href={ (base) "/members" } { strong { (members.len()) } " " (plural(members.len(), "member", "members")) } }
                li { a href={ (base) "/partners" } { strong { (partners) } " " (plural(partners, "partner", "partners")) } }
                li { a href={ (base) "/partners" } { strong { (waiting) } " " (plural(waiting, "request", "requests")) " waiting" } }
            }
            h2 { "Next steps" }
            ol.steps {
                li { a href={ (base) "/members" } { "Invite your colleagues" } " — partner managers, marketers, sales and executives each get the view they need." }
                li { a href={ (base) "/partners" } { "Connect with partners" } " — everything you share later rests on an accepted connection." }
                li { a href={ (base) "/partnerships" } { "Start a partnership" } " — agree its goals with your partners and take it through the lifecycle, stage by stage." }
                li { a href={ (base) "/maturity" } { "Co-marketing maturity" } " — see where you stand in ecosystem co-marketing, dimension by dimension, and what to do next." }
                li { a href={ (base) "/internal-assessment" } { "Internal assessment" } " — your drivers, strengths, weaknesses, people and team, answered before choosing a partner; it meets evidence at your partnerships' first gates." }
                li { a href={ (base) "/gate-templates" } { "Gate templates" } " — the evidence each gate of your new partnerships starts with." }
                li { span.muted { "Map shared accounts and run joint plays — coming in the next releases." } }
            }
        },
    )
    .into_response()
}

async fn members_page(
    State(state): State<AppState>,
    org: WebOrg,
    Csrf(csrf): Csrf,
    Flash(flash): Flash,
) -> Response {
    render_members(&state, &org, &csrf, flash.as_deref(), None, None).await
}

/// Who an invitation is for, in the words every page uses.
fn invitee(invitation: &comark_store::Invitation) -> String {
    match &invitation.email {
        Some(email) => email.clone(),
        None => capitalized(LINK_LABEL),
    }
}

fn capitalized(text: &str) -> String {
    let mut chars = text.chars();
    chars
        .next()
        .map(|c| c.to_uppercase().collect::<String>() + chars.as_str())
        .unwrap_or_default()
}

async fn render_members(
    state: &AppState,
    org: &WebOrg,
    csrf: &str,
    flash: Option<&str>,
    error: Option<AppError>,
    new_invitation: Option<orgs::CreatedInvitation>,
) -> Response {
    let members = match orgs::members(&state.app, &org.scope).await {
        Ok(members) => members,
        Err(error) => return error_page(error),
    };
    let manage = org.scope.can(Action::ManageMembers);
    let invitations = if manage {
        match orgs::open_invitations(&state.app, &org.scope).await {
            Ok(list) => list,
            Err(error) => return error_page(error),
        }
    } else {
        Vec::new()
    };
    let base = base(org);
    let me = org.user.current.user.id;
    let error_ref = &error;
    let markup = page(
        shell(org, "Members", "members", csrf, flash),
        html! {
            h1 { "Members" }
            (alert(general_error(error_ref)))
            @if let Some(created) = &new_invitation {
                @if let Some(link) = &created.link {
                    div.notice role="status" {
                        @match &created.invitation.email {
                            Some(email) => {
                                p { strong { "Invitation created for " (email) "." } " Send this link to them; it works once, for 14 days, and only for an account with that address:" }
                            }
                            None => {
                                p { strong { "Invitation link created for anyone with this link." } " Whoever opens it first joins as " (created.invitation.role.label()) "; it works once, for 14 days:" }
                            }
                        }
                        p { code #invite-link { (link) } }
                    }
                }
            }
            table {
                thead { tr { th { "Name" } th { "E-mail" } th { "Role" } th { span.sr-only { "Actions" } } } }
                tbody {
                    @for member in &members {
                        tr {
                            td { (member.name) @if member.user_id == me { " (you)" } }
                            td { (member.email) }
                            td {
                                @if manage && org.scope.role().may_assign(member.role) {
                                    form.inline method="post" action={ (base) "/members/" (member.user_id) "/role" } {
                                        (csrf_field(csrf))
                                        label.sr-only for={ "role-" (member.user_id) } { "Role of " (member.name) }
                                        select id={ "role-" (member.user_id) } name="role" {
                                            @for role in Role::ALL {
                                                @if org.scope.role().may_assign(role) {
                                                    option value=(role.as_str()) selected[role == member.role] { (role.label()) }
                                                }
                                            }
                                        }
                                        button.small type="submit" { "Change" }
                                    }
                                } @else {
                                    (member.role.label())
                                }
                            }
                            td {
                                @if member.user_id == me || (manage && org.scope.role().may_assign(member.role)) {
                                    form.inline method="post" action={ (base) "/members/" (member.user_id) "/remove" } {
                                        (csrf_field(csrf))
                                        button.link type="submit" { @if member.user_id == me { "Leave" } @else { "Remove" } }
                                    }
                                }
                            }
                        }
                    }
                }
            }
            @if manage {
                h2 { "Invite a colleague" }
                form.stack method="post" action={ (base) "/invitations" } {
                    (csrf_field(csrf))
                    (field("E-mail (leave empty for a link for anyone who holds it)", "email", "email", "", error_for(error_ref, "email"), "off"))
                    p.muted {
                        "Only the account with the address you enter can accept its invitation. A link for anyone works once and cannot make an owner or admin."
                        @if !state.app.settings.mail_enabled {
                            " This instance does not send e-mail: you get the link to hand over yourself, so comark can only check that the account accepting it has the invited address."
                        }
                    }
                    div.field {
                        label for="f-role" { "Role" }
                        select #f-role name="role" {
                            @for role in Role::ALL {
                                @if org.scope.role().may_assign(role) {
                                    option value=(role.as_str()) selected[role == Role::Marketer] { (role.label()) }
                                }
                            }
                        }
                        @if let Some(message) = error_for(error_ref, "role") { p.error { (message) } }
                    }
                    button type="submit" { "Invite" }
                }
                @if !invitations.is_empty() {
                    h2 { "Open invitations" }
                    ul {
                        @for invitation in &invitations {
                            li {
                                (invitee(invitation)) " · " (invitation.role.label()) " · until " (invitation.expires_at.format("%Y-%m-%d"))
                                form.inline method="post" action={ (base) "/invitations/" (invitation.id) "/revoke" } {
                                    (csrf_field(csrf))
                                    button.link type="submit" { "Withdraw" }
                                }
                            }
                        }
                    }
                }
            }
        },
    );
    form_response(&error, markup)
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct RoleForm {
    role: String,
}

async fn change_role(
    State(state): State<AppState>,
    org: WebOrg,
    Csrf(csrf): Csrf,
    Path((_, user_id)): Path<(String, String)>,
    Form(form): Form<RoleForm>,
) -> Response {
    let (Ok(user_id), Ok(role)) = (user_id.parse(), form.role.parse::<Role>()) else {
        return not_found_page();
    };
    match orgs::change_role(&state.app, &org.scope, user_id, role, &org.actor()).await {
        Ok(member) => redirect_with_flash(
            &format!("{}/members", base(&org)),
            &format!("{} is now {}.", member.name, role.label()),
            secure(&state),
        ),
        Err(AppError::NotFound) => not_found_page(),
        Err(error) => render_members(&state, &org, &csrf, None, Some(error), None).await,
    }
}

async fn remove_member(
    State(state): State<AppState>,
    org: WebOrg,
    Csrf(csrf): Csrf,
    Path((_, user_id)): Path<(String, String)>,
) -> Response {
    let Ok(user_id) = user_id.parse() else {
        return not_found_page();
    };
    let leaving = org.user.current.user.id == user_id;
    match orgs::remove_member(&state.app, &org.scope, user_id, &org.actor()).await {
        Ok(()) if leaving => redirect_with_flash(
            "/",
            &format!("You left {}.", org.scope.org().name),
            secure(&state),
        ),
        Ok(()) => redirect_with_flash(
            &format!("{}/members", base(&org)),
            "The member was removed.",
            secure(&state),
        ),
        Err(AppError::NotFound) => not_found_page(),
        Err(error) => render_members(&state, &org, &csrf, None, Some(error), None).await,
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct InviteForm {
    email: String,
    role: String,
}

async fn invite(
    State(state): State<AppState>,
    org: WebOrg,
    Csrf(csrf): Csrf,
    Form(form): Form<InviteForm>,
) -> Response {
    let input = orgs::NewInvitation {
        email: Some(form.email),
        role: form.role,
    };
    match orgs::invite(&state.app, &org.scope, input, &org.actor()).await {
        Ok(created) if created.emailed => redirect_with_flash(
            &format!("{}/members", base(&org)),
            "The invitation is on its way by e-mail.",
            secure(&state),
        ),
        Ok(created) => render_members(&state, &org, &csrf, None, None, Some(created)).await,
        Err(error) => render_members(&state, &org, &csrf, None, Some(error), None).await,
    }
}

async fn revoke_invitation(
    State(state): State<AppState>,
    org: WebOrg,
    Path((_, id)): Path<(String, String)>,
) -> Response {
    let Ok(id) = id.parse() else {
        return not_found_page();
    };
    match orgs::revoke_invitation(&state.app, &org.scope, id, &org.actor()).await {
        Ok(()) => redirect_with_flash(
            &format!("{}/members", base(&org)),
            "The invitation was withdrawn.",
            secure(&state),
        ),
        Err(error) => error_page(error),
    }
}

async fn invitation_page(
    State(state): State<AppState>,
    parts: axum::http::request::Parts,
    Csrf(csrf): Csrf,
    Path(token): Path<String>,
) -> Response {
    let current = crate::auth::optional_web_user(&parts, &state)
        .await
        .ok()
        .flatten();
    render_invitation(&state, current.as_ref(), &csrf, &token, None).await
}

/// The invitation page: for whom it is, and, for a signed-in person, whether they may accept
/// it; a refusal is said here before anyone presses a button.
async fn render_invitation(
    state: &AppState,
    current: Option<&comark_app::auth::CurrentUser>,
    csrf: &str,
    token: &str,
    error: Option<AppError>,
) -> Response {
    let (invitation, invited_org) = match orgs::invitation_preview(&state.app, token).await {
        Ok(found) => found,
        Err(error) => return error_page(error),
    };
    let next = format!("/invitations/{token}");
    let refusal = match current {
        _ if error.is_some() => general_error(&error),
        Some(current) => orgs::acceptance(&state.app, &invitation, &current.user)
            .err()
            .map(|refusal| refusal.to_string()),
        None => None,
    };
    let masked = invitation
        .email
        .as_deref()
        .and_then(|email| comark_domain::Email::parse(email).ok())
        .map(|email| email.masked());
    let markup = page(
        Shell {
            title: "Invitation",
            user_name: current.map(|c| c.user.name.as_str()),
            csrf,
            ..Default::default()
        },
        html! {
            h1 { "Join " (invited_org.name) }
            p { "You are invited to join " strong { (invited_org.name) } " on comark as " strong { (invitation.role.label()) } "." }
            @match &masked {
                Some(masked) => p #invitation-for { "This invitation is for " strong { (masked) } ": only the account with that address can accept it." },
                None => p #invitation-for { "This is an invitation for " strong { (LINK_LABEL) } ": the first person to accept it joins, and then it stops working." },
            }
            @if let Some(message) = &refusal {
                div.alert role="alert" { (message) }
            }
            @match current {
                Some(_) => {
                    @if refusal.is_none() {
                        form method="post" action={ "/invitations/" (token) "/accept" } {
                            (csrf_field(csrf))
                            button type="submit" { "Accept and join" }
                        }
                    }
                }
                None => {
                    p { "Sign in or create an account first"
                        @if masked.is_some() { ", with the invited address" }
                        "; you come back here afterwards." }
                    p.actions {
                        a.button href={ "/sign-in?next=" (crate::auth::url_encode(&next)) } { "Sign in" } " "
                        a.button.secondary href={ "/sign-up?next=" (crate::auth::url_encode(&next)) } { "Create an account" }
                    }
                }
            }
        },
    );
    form_response(&error, markup)
}

async fn accept_invitation(
    State(state): State<AppState>,
    user: WebUser,
    Csrf(csrf): Csrf,
    Path(token): Path<String>,
) -> Response {
    match orgs::accept_invitation(&state.app, &user.current, &token, &user.actor()).await {
        Ok(org) => redirect_with_flash(
            &format!("/o/{}", org.handle),
            &format!("Welcome to {}!", org.name),
            secure(&state),
        ),
        // A refusal keeps the invitation open: show it where the person stands.
        Err(error @ AppError::Rule(_)) => {
            render_invitation(&state, Some(&user.current), &csrf, &token, Some(error)).await
        }
        Err(error) => error_page(error),
    }
}

async fn partners_page(
    State(state): State<AppState>,
    org: WebOrg,
    Csrf(csrf): Csrf,
    Flash(flash): Flash,
) -> Response {
    render_partners(&state, &org, &csrf, flash.as_deref(), None, None).await
}

async fn render_partners(
    state: &AppState,
    org: &WebOrg,
    csrf: &str,
    flash: Option<&str>,
    error: Option<AppError>,
    new_link: Option<connections::CreatedLink>,
) -> Response {
    let list = match connections::list(&state.app, &org.scope).await {
        Ok(list) => list,
        Err(error) => return error_page(error),
    };
    let manage = org.scope.can(Action::ManageConnections);
    let links = if manage {
        match connections::links(&state.app, &org.scope).await {
            Ok(links) => links,
            Err(error) => return error_page(error),
        }
    } else {
        Vec::new()
    };
    let base = base(org);
    let incoming: Vec<_> = list
        .iter()
        .filter(|c| c.status == ConnectionStatus::Pending && !c.outgoing)
        .collect();
    let outgoing: Vec<_> = list
        .iter()
        .filter(|c| c.status == ConnectionStatus::Pending && c.outgoing)
        .collect();
    let partners: Vec<_> = list
        .iter()
        .filter(|c| c.status == ConnectionStatus::Accepted)
        .collect();
    let closed: Vec<_> = list.iter().filter(|c| !c.status.is_open()).collect();
    let error_ref = &error;
    let action = |c: &comark_store::Connection, verb: &str, label: &str| {
        html! {
            form.inline method="post" action={ (base) "/partners/" (c.id) "/" (verb) } {
                (csrf_field(csrf))
                button.small type="submit" aria-label={ (label) " " (c.partner_name) } { (label) }
            }
        }
    };
    let markup = page(
        shell(org, "Partners", "partners", csrf, flash),
        html! {
            h1 { "Partners" }
            p { a href={ (base) "/directory" } { "Find partners in the directory" } " · " a href={ (base) "/profile" } { "Your partner profile" } }
            (alert(general_error(error_ref)))
            @if !incoming.is_empty() {
                h2 { "Requests waiting for you" }
                ul.cards {
                    @for c in &incoming {
                        li {
                            strong { (c.partner_name) } " " span.muted { "@" (c.partner_handle) @if c.via_link { " · through your invite link" } }
                            @if let Some(message) = &c.message { blockquote { (message) } }
                            @if manage { (action(c, "accept", "Accept")) " " (action(c, "decline", "Decline")) }
                        }
                    }
                }
            }
            h2 { "Connected partners" }
            @if partners.is_empty() {
                p.empty { "No partners yet. Send a request below, or share an invite link with a partner." }
            } @else {
                ul.cards {
                    @for c in &partners {
                        li {
                            strong { (c.partner_name) } " " span.muted { "@" (c.partner_handle) " · connected " (c.decided_at.unwrap_or(c.created_at).format("%Y-%m-%d")) }
                            @if manage { " " (action(c, "end", "End connection")) }
                        }
                    }
                }
            }
            @if !outgoing.is_empty() {
                h2 { "Requests you sent" }
                ul {
                    @for c in &outgoing {
                        li { (c.partner_name) " " span.muted { "@" (c.partner_handle) " · waiting" } @if manage { " " (action(c, "end", "Withdraw")) } }
                    }
                }
            }
            @if manage {
                h2 { "Connect with a partner" }
                form.stack method="post" action={ (base) "/partners" } {
                    (csrf_field(csrf))
                    (field("Their organization handle", "handle", "text", "", error_for(error_ref, "handle"), "off"))
                    div.field {
                        label for="f-message" { "A note for them (optional)" }
                        textarea #f-message name="message" rows="3" {}
                        @if let Some(message) = error_for(error_ref, "message") { p.error { (message) } }
                    }
                    button type="submit" { "Send request" }
                }
                h3 { "Or share an invite link" }
                @if let Some(created) = &new_link {
                    div.notice role="status" {
                        p {
                            "Another organization that opens this link before " (created.record.expires_at.format("%Y-%m-%d"))
                            @if created.record.auto_accept { " connects with you at once" } @else { " asks to connect, and you accept it here" }
                            "; it works for " (created.record.max_uses) " " (plural(created.record.max_uses, "organization", "organizations")) ":"
                        }
                        p { code #connect-link { (created.link) } }
                    }
                }
                form.stack method="post" action={ (base) "/partners/link" } {
                    (csrf_field(csrf))
                    div.field {
                        label for="f-max_uses" { "Organizations it may connect (1 to " (MAX_LINK_USES) ")" }
                        input #f-max_uses name="max_uses" type="number" min="1" max=(MAX_LINK_USES) value=(DEFAULT_LINK_USES)
                            aria-invalid=[error_for(error_ref, "max_uses").map(|_| "true")];
                        @if let Some(message) = error_for(error_ref, "max_uses") { p.error { (message) } }
                    }
                    div.field {
                        label for="f-expires_in_days" { "Days it works (1 to " (MAX_LINK_DAYS) ")" }
                        input #f-expires_in_days name="expires_in_days" type="number" min="1" max=(MAX_LINK_DAYS) value=(DEFAULT_LINK_DAYS)
                            aria-invalid=[error_for(error_ref, "expires_in_days").map(|_| "true")];
                        @if let Some(message) = error_for(error_ref, "expires_in_days") { p.error { (message) } }
                    }
                    (field("A note to remember it by (optional)", "note", "text", "", error_for(error_ref, "note"), "off"))
                    label.check for="f-auto_accept" {
                        input #f-auto_accept type="checkbox" name="auto_accept" value="yes";
                        " Connect at once, without waiting for my acceptance"
                    }
                    button.secondary type="submit" { "Create an invite link" }
                }
                @if !links.is_empty() {
                    h3 { "Your invite links" }
                    table #invite-links {
                        thead { tr { th { "Note" } th { "Uses" } th { "Works until" } th { "Connects" } th { "Status" } th { span.sr-only { "Actions" } } } }
                        tbody {
                            @for link in &links {
                                tr {
                                    td { (link.note.as_deref().unwrap_or("—")) }
                                    td { (link.uses) " of " (link.max_uses) }
                                    td { (link.expires_at.format("%Y-%m-%d")) }
                                    td { @if link.auto_accept { "at once" } @else { "after your acceptance" } }
                                    td { (link.status.label()) }
                                    td {
                                        @if link.status == LinkStatus::Open {
                                            form.inline method="post" action={ (base) "/connection-links/" (link.id) "/revoke" } {
                                                (csrf_field(csrf))
                                                button.link type="submit" aria-label={ "Revoke the link " (link.note.as_deref().unwrap_or("")) " created " (link.created_at.format("%Y-%m-%d %H:%M")) } { "Revoke" }
                                            }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
            @if !closed.is_empty() {
                details {
                    summary { "Past connections (" (closed.len()) ")" }
                    ul { @for c in &closed { li { (c.partner_name) " · " (c.status.as_str()) } } }
                }
            }
        },
    );
    form_response(&error, markup)
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct ConnectionForm {
    handle: String,
    message: String,
}

async fn request_connection(
    State(state): State<AppState>,
    org: WebOrg,
    Csrf(csrf): Csrf,
    Form(form): Form<ConnectionForm>,
) -> Response {
    match connections::request(
        &state.app,
        &org.scope,
        &form.handle,
        Some(&form.message),
        &org.actor(),
    )
    .await
    {
        Ok(c) => redirect_with_flash(
            &format!("{}/partners", base(&org)),
            &format!("Request sent to {}.", c.partner_name),
            secure(&state),
        ),
        Err(error) => render_partners(&state, &org, &csrf, None, Some(error), None).await,
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct LinkForm {
    max_uses: String,
    expires_in_days: String,
    auto_accept: String,
    note: String,
}

/// A number typed into a form: empty is "not given"; anything that is not a whole number
/// is kept as a value out of every range, so the domain names the field.
fn typed_number(raw: &str) -> Option<i64> {
    let raw = raw.trim();
    (!raw.is_empty()).then(|| raw.parse().unwrap_or(i64::MIN))
}

async fn create_link(
    State(state): State<AppState>,
    org: WebOrg,
    Csrf(csrf): Csrf,
    Form(form): Form<LinkForm>,
) -> Response {
    let new = connections::NewLink {
        max_uses: typed_number(&form.max_uses),
        expires_in_days: typed_number(&form.expires_in_days),
        auto_accept: !form.auto_accept.is_empty(),
        note: Some(form.note),
    };
    match connections::create_link(&state.app, &org.scope, new, &org.actor()).await {
        Ok(link) => render_partners(&state, &org, &csrf, None, None, Some(link)).await,
        Err(error) => render_partners(&state, &org, &csrf, None, Some(error), None).await,
    }
}

async fn revoke_link(
    State(state): State<AppState>,
    org: WebOrg,
    Path((_, id)): Path<(String, String)>,
) -> Response {
    let id = match managed::<ConnectionLinkId>(&org, &id, Action::ManageConnections) {
        Ok(id) => id,
        Err(page) => return page,
    };
    match connections::revoke_link(&state.app, &org.scope, id, &org.actor()).await {
        Ok(_) => redirect_with_flash(
            &format!("{}/partners", base(&org)),
            "The invite link is revoked; it no longer works.",
            secure(&state),
        ),
        Err(error) => error_page(error),
    }
}

async fn change_connection(
    state: AppState,
    org: WebOrg,
    csrf: String,
    id: String,
    change: ConnectionTransition,
) -> Response {
    let Ok(id) = id.parse() else {
        return not_found_page();
    };
    match connections::transition(&state.app, &org.scope, id, change, &org.actor()).await {
        Ok(c) => {
            let message = match c.status {
                ConnectionStatus::Accepted => {
                    format!("You are now connected with {}.", c.partner_name)
                }
                ConnectionStatus::Declined => format!("You declined {}'s request.", c.partner_name),
                _ => format!(
                    "The connection with {} has ended; nothing is shared any more.",
                    c.partner_name
                ),
            };
            redirect_with_flash(
                &format!("{}/partners", base(&org)),
                &message,
                secure(&state),
            )
        }
        Err(AppError::NotFound) => not_found_page(),
        Err(error) => render_partners(&state, &org, &csrf, None, Some(error), None).await,
    }
}

async fn accept_connection(
    State(state): State<AppState>,
    org: WebOrg,
    Csrf(csrf): Csrf,
    Path((_, id)): Path<(String, String)>,
) -> Response {
    change_connection(state, org, csrf, id, ConnectionTransition::Accept).await
}

async fn decline_connection(
    State(state): State<AppState>,
    org: WebOrg,
    Csrf(csrf): Csrf,
    Path((_, id)): Path<(String, String)>,
) -> Response {
    change_connection(state, org, csrf, id, ConnectionTransition::Decline).await
}

async fn end_connection(
    State(state): State<AppState>,
    org: WebOrg,
    Csrf(csrf): Csrf,
    Path((_, id)): Path<(String, String)>,
) -> Response {
    change_connection(state, org, csrf, id, ConnectionTransition::End).await
}

async fn connect_page(
    State(state): State<AppState>,
    user: WebUser,
    Csrf(csrf): Csrf,
    Path(token): Path<String>,
) -> Response {
    let link = match connections::link_preview(&state.app, &token).await {
        Ok(link) => link,
        Err(error) => return error_page(error),
    };
    let partner = &link.org;
    let mine = match state.app.organizations_of(user.current.user.id).await {
        Ok(orgs) => orgs,
        Err(error) => return error_page(error),
    };
    let eligible: Vec<_> = mine
        .iter()
        .filter(|o| o.role.can(Action::ManageConnections) && o.org.id != partner.id)
        .collect();
    page(
        Shell { title: "Connect as partners", user_name: Some(&user.current.user.name), csrf: &csrf, ..Default::default() },
        html! {
            h1 { "Connect with " (partner.name) }
            @if link.auto_accept {
                p { "Using this link connects your organization with " (partner.name) " at once." }
            } @else {
                p { "Using this link asks " (partner.name) " to connect; you are partners once they accept." }
            }
            @if eligible.is_empty() {
                p.empty { "You need to be an owner, admin or partner manager of an organization to connect it with a partner." }
            } @else {
                form.stack method="post" action={ "/connect/" (token) } {
                    (csrf_field(&csrf))
                    div.field {
                        label for="f-org" { "Connect as" }
                        select #f-org name="org" { @for o in &eligible { option value=(o.org.handle) { (o.org.name) } } }
                    }
                    button type="submit" { "Connect" }
                }
            }
        },
    )
    .into_response()
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct ConnectForm {
    org: String,
}

async fn connect(
    State(state): State<AppState>,
    user: WebUser,
    Path(token): Path<String>,
    Form(form): Form<ConnectForm>,
) -> Response {
    let scope = match state
        .app
        .member_scope(user.current.user.id, &form.org)
        .await
    {
        Ok(Some(scope)) => scope,
        Ok(None) => return not_found_page(),
        Err(error) => return error_page(error),
    };
    match connections::accept_link(&state.app, &scope, &token, &user.actor()).await {
        Ok(c) => {
            let message = if c.status == ConnectionStatus::Accepted {
                format!("You are now connected with {}.", c.partner_name)
            } else {
                format!(
                    "You asked {} to connect; you are partners once they accept.",
                    c.partner_name
                )
            };
            redirect_with_flash(
                &format!("/o/{}/partners", scope.org().handle),
                &message,
                secure(&state),
            )
        }
        Err(error) => error_page(error),
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct SettingsForm {
    name: String,
}

fn settings_markup(
    org: &WebOrg,
    csrf: &str,
    flash: Option<&str>,
    name: &str,
    error: &Option<AppError>,
) -> Markup {
    let base = base(org);
    page(
        shell(org, "Settings", "settings", csrf, flash),
        html! {
            h1 { "Settings" }
            (alert(general_error(error)))
            form.stack method="post" action={ (base) "/settings" } {
                (csrf_field(csrf))
                (field("Organization name", "name", "text", name, error_for(error, "name"), "organization"))
                button type="submit" { "Save" }
            }
            p { "Handle: " code { (org.scope.org().handle) } " (partners use it to send connection requests)." }
            p { a href={ (base) "/audit" } { "Audit log" } }
        },
    )
}

async fn settings_page(org: WebOrg, Csrf(csrf): Csrf, Flash(flash): Flash) -> Response {
    if !org.scope.can(Action::ManageSettings) {
        return error_page(AppError::Forbidden);
    }
    settings_markup(&org, &csrf, flash.as_deref(), &org.scope.org().name, &None).into_response()
}

async fn save_settings(
    State(state): State<AppState>,
    org: WebOrg,
    Csrf(csrf): Csrf,
    Form(form): Form<SettingsForm>,
) -> Response {
    match orgs::rename(&state.app, &org.scope, &form.name, &org.actor()).await {
        Ok(()) => redirect_with_flash(
            &format!("{}/settings", base(&org)),
            "Saved.",
            secure(&state),
        ),
        Err(AppError::Forbidden) => error_page(AppError::Forbidden),
        Err(error) => {
            let error = Some(error);
            form_response(
                &error,
                settings_markup(&org, &csrf, None, &form.name, &error),
            )
        }
    }
}

#[derive(Deserialize)]
struct AuditQuery {
    cursor: Option<String>,
}

async fn audit_page(
    State(state): State<AppState>,
    org: WebOrg,
    Csrf(csrf): Csrf,
    Query(query): Query<AuditQuery>,
) -> Response {
    let cursor = query
        .cursor
        .as_deref()
        .and_then(|raw| Cursor::decode(raw).ok());
    let events = match orgs::audit_events(&state.app, &org.scope, cursor, 50).await {
        Ok(events) => events,
        Err(error) => return error_page(error),
    };
    let base = base(&org);
    let next = (events.len() == 50)
        .then(|| {
            events.last().map(|e| {
                Cursor {
                    created_at: e.occurred_at,
                    id: e.id.0,
                }
                .encode()
            })
        })
        .flatten();
    page(
        shell(&org, "Audit log", "audit", &csrf, None),
        html! {
            h1 { "Audit log" }
            p { a.button.secondary href={ (base) "/audit.csv" } download hx-boost="false" { "Export as CSV" } }
            @if events.is_empty() {
                p.empty { "Nothing recorded yet." }
            } @else {
                table {
                    thead { tr { th { "When (UTC)" } th { "Who" } th { "What" } th { "Subject" } } }
                    tbody {
                        @for e in &events {
                            tr { td { (e.occurred_at.format("%Y-%m-%d %H:%M:%S")) } td { (e.actor_label) } td { code { (e.action) } } td { (e.subject) } }
                        }
                    }
                }
                @if let Some(next) = next { p { a href={ (base) "/audit?cursor=" (next) } { "Older entries" } } }
            }
        },
    )
    .into_response()
}

async fn audit_csv(State(state): State<AppState>, org: WebOrg) -> Response {
    match orgs::audit_csv(&state.app, &org.scope).await {
        Ok(csv) => {
            let filename = format!(
                "attachment; filename=\"{}-audit.csv\"",
                org.scope.org().handle
            );
            (
                [
                    (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
                    (header::CONTENT_DISPOSITION, filename),
                ],
                csv,
            )
                .into_response()
        }
        Err(error) => error_page(error),
    }
}

async fn coming_soon(org: WebOrg, Csrf(csrf): Csrf, uri: axum::http::Uri) -> Response {
    let area = uri.path().rsplit('/').next().unwrap_or_default().to_owned();
    let Some((_, label, _)) = super::layout::AREAS
        .iter()
        .find(|(segment, _, _)| *segment == area)
    else {
        return Redirect::to(&base(&org)).into_response();
    };
    page(
        shell(&org, label, &area, &csrf, None),
        html! {
            h1 { (label) }
            div.empty {
                p { (label) " is on its way. Until then, connect with your partners so that you are ready when it arrives." }
                a.button href={ (base(&org)) "/partners" } { "Go to partners" }
            }
        },
    )
    .into_response()
}
