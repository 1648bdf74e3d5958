//! Organizations, members and invitations.

use chrono::Duration;
use comark_domain::invitation::{self, Acceptance, Acceptor, Invited, Refusal};
use comark_domain::{
    Action, Email, InvitationId, OrgHandle, OrgName, Role, UserId, ValidationErrors,
};
use comark_store::{now, Actor, AuditEvent, Invitation, Member, OrgScope, Organization, User};
use serde::Deserialize;

use crate::auth::CurrentUser;
use crate::csv_out::CsvWriter;
use crate::mail::Email as Mail;
use crate::secrets::{hash_token, new_token};
use crate::{App, AppError, Result};

/// How long an invitation works.
pub const INVITATION_LIFETIME: Duration = Duration::days(14);

/// Fails with `Forbidden` unless the scope's role allows `action`.
pub fn require(scope: &OrgScope, action: Action) -> Result<()> {
    if scope.can(action) {
        Ok(())
    } else {
        Err(AppError::Forbidden)
    }
}

/// What the new-organization form holds.
#[derive(Debug, Clone, Deserialize)]
pub struct NewOrganization {
    /// The display name.
    pub name: String,
    /// The handle; suggested from the name when empty.
    #[serde(default)]
    pub handle: Option<String>,
}

/// Creates an organization with the current user as owner.
pub async fn create_organization(
    app: &App,
    current: &CurrentUser,
    form: NewOrganization,
    actor: &Actor,
) -> Result<Organization> {
    let mut errors = ValidationErrors::default();
    let name = errors.check("name", OrgName::parse(&form.name));
    let raw_handle = match form.handle.as_deref().map(str::trim) {
        Some(handle) if !handle.is_empty() => handle.to_owned(),
        _ => OrgHandle::suggest(&form.name),
    };
    let handle = errors.check("handle", OrgHandle::parse(&raw_handle));
    let (Some(name), Some(handle)) = (name, handle) else {
        return Err(errors.into());
    };
    app.store
        .create_organization(name.as_str(), handle.as_str(), current.user.id, actor)
        .await
        .map_err(|error| match AppError::from(error) {
            AppError::Conflict { .. } => {
                ValidationErrors::single("handle", "is already taken; choose another").into()
            }
            other => other,
        })
}

/// Renames the organization.
pub async fn rename(app: &App, scope: &OrgScope, name: &str, actor: &Actor) -> Result<()> {
    require(scope, Action::ManageSettings)?;
    let name = OrgName::parse(name).map_err(|e| ValidationErrors::single("name", e.to_string()))?;
    app.store.org(scope).rename(name.as_str(), actor).await?;
    Ok(())
}

/// The members of the organization.
pub async fn members(app: &App, scope: &OrgScope) -> Result<Vec<Member>> {
    require(scope, Action::View)?;
    Ok(app.store.org(scope).members().await?)
}

/// Changes a member's role. Owners and admins only; only owners touch ownership.
pub async fn change_role(
    app: &App,
    scope: &OrgScope,
    user: UserId,
    role: Role,
    actor: &Actor,
) -> Result<Member> {
    require(scope, Action::ManageMembers)?;
    let org = app.store.org(scope);
    let member = org.member(user).await?;
    if !scope.role().may_assign(role) || !scope.role().may_assign(member.role) {
        return Err(AppError::Forbidden);
    }
    org.change_role(user, role, actor).await?;
    Ok(org.member(user).await?)
}

/// Removes a member (owners and admins), or lets the current user leave.
pub async fn remove_member(app: &App, scope: &OrgScope, user: UserId, actor: &Actor) -> Result<()> {
    let org = app.store.org(scope);
    let member = org.member(user).await?;
    let leaving = scope.user_id() == Some(user);
    if !leaving {
        require(scope, Action::ManageMembers)?;
        if !scope.role().may_assign(member.role) {
            return Err(AppError::Forbidden);
        }
    }
    org.remove_member(user, actor).await?;
    Ok(())
}

/// What the invite form holds.
#[derive(Debug, Clone, Deserialize)]
pub struct NewInvitation {
    /// Whom to invite, by address; empty for a link for anyone who holds it.
    #[serde(default)]
    pub email: Option<String>,
    /// The role the invitee gets.
    pub role: String,
}

/// A new invitation and, unless it went by e-mail, its secret link for the inviter to hand
/// over.
#[derive(Debug, serde::Serialize)]
pub struct CreatedInvitation {
    /// The invitation.
    pub invitation: Invitation,
    /// The link that accepts it; `None` when it was e-mailed, so that only the invitee's
    /// inbox ever holds it (which is what makes opening it a proof of the address).
    pub link: Option<String>,
    /// Whether it was e-mailed.
    pub emailed: bool,
}

/// Invites someone by e-mail address, or makes a link for anyone who holds it. A link may
/// not make owners or admins: those are invited by address.
pub async fn invite(
    app: &App,
    scope: &OrgScope,
    form: NewInvitation,
    actor: &Actor,
) -> Result<CreatedInvitation> {
    require(scope, Action::ManageMembers)?;
    let mut errors = ValidationErrors::default();
    let role = errors.check("role", form.role.parse::<Role>());
    let email = match form.email.as_deref().map(str::trim) {
        Some(raw) if !raw.is_empty() => errors.check("email", Email::parse(raw)),
        _ => None,
    };
    errors.clone().into_result()?;
    let Some(role) = role else {
        return Err(errors.into());
    };
    if !scope.role().may_assign(role) {
        return Err(ValidationErrors::single("role", "only an owner can invite an owner").into());
    }
    if email.is_none() && !invitation::link_may_grant(role) {
        return Err(ValidationErrors::single(
            "role",
            format!(
                "a link for anyone cannot make someone {}; enter their e-mail address",
                role.label().to_lowercase()
            ),
        )
        .into());
    }
    let token = new_token("");
    let link = app.link(&format!("/invitations/{token}"));
    let email_job = match &email {
        Some(email) if app.settings.mail_enabled => Some(
            Mail {
                to: email.as_str().to_owned(),
                subject: format!("Join {} on comark", scope.org().name),
                body: format!(
                    "{} invited you to join {} on comark as {}.\n\n\
                     The invitation is for this address, {}: sign in or create your account \
                     with it, then accept within 14 days:\n\n{link}\n",
                    actor.label,
                    scope.org().name,
                    role.label(),
                    email.as_str(),
                ),
            }
            .job(),
        ),
        _ => None,
    };
    let emailed = email_job.is_some();
    let invitation = app
        .store
        .org(scope)
        .create_invitation(
            email.as_ref().map(Email::as_str),
            role,
            &hash_token(&token),
            now() + INVITATION_LIFETIME,
            actor,
            email_job,
        )
        .await?;
    Ok(CreatedInvitation {
        invitation,
        link: (!emailed).then_some(link),
        emailed,
    })
}

/// Open invitations.
pub async fn open_invitations(app: &App, scope: &OrgScope) -> Result<Vec<Invitation>> {
    require(scope, Action::ManageMembers)?;
    Ok(app.store.org(scope).open_invitations().await?)
}

/// Withdraws an invitation.
pub async fn revoke_invitation(
    app: &App,
    scope: &OrgScope,
    id: InvitationId,
    actor: &Actor,
) -> Result<()> {
    require(scope, Action::ManageMembers)?;
    Ok(app.store.org(scope).revoke_invitation(id, actor).await?)
}

/// What an invitation link shows before it is accepted.
pub async fn invitation_preview(app: &App, token: &str) -> Result<(Invitation, Organization)> {
    match app.store.invitation_by_token(&hash_token(token)).await? {
        Some((invitation, org)) if invitation.is_usable(now()) => Ok((invitation, org)),
        _ => Err(AppError::NotFound),
    }
}

/// Whether `user` may accept `invitation` on this instance, and why not: the invitation page
/// says so before anyone presses a button.
pub fn acceptance(
    app: &App,
    invitation: &Invitation,
    user: &User,
) -> std::result::Result<Acceptance, Refusal> {
    invitation::may_accept(
        Invited {
            email: invitation.email.as_deref(),
            role: invitation.role,
            mailed: invitation.mailed,
        },
        Acceptor {
            email: &user.email,
            verified: user.email_verified,
        },
        app.settings.mail_enabled,
    )
}

/// Accepts an invitation as the current user. An invitation for an address is refused to
/// any other account (and, on an instance that sends e-mail, to an account that never proved
/// the address, unless this very invitation was mailed to it), with nothing changed.
pub async fn accept_invitation(
    app: &App,
    current: &CurrentUser,
    token: &str,
    actor: &Actor,
) -> Result<Organization> {
    let (invitation, _) = invitation_preview(app, token).await?;
    acceptance(app, &invitation, &current.user)
        .map_err(|refusal| AppError::Rule(refusal.to_string()))?;
    Ok(app
        .store
        .accept_invitation(&hash_token(token), &current.user, actor)
        .await?)
}

/// A page of the audit log, newest first.
pub async fn audit_events(
    app: &App,
    scope: &OrgScope,
    cursor: Option<comark_domain::Cursor>,
    limit: u32,
) -> Result<Vec<comark_store::AuditEvent>> {
    require(scope, Action::ViewAudit)?;
    Ok(app.store.org(scope).audit_events(cursor, limit).await?)
}

/// The whole audit log as CSV, newest first. Every column is text and neutralized against
/// formulas (see `csv_out`): actors, subjects and details come from people.
pub async fn audit_csv(app: &App, scope: &OrgScope) -> Result<Vec<u8>> {
    require(scope, Action::ViewAudit)?;
    let mut writer = CsvWriter::new(Vec::new());
    writer.text_record(AUDIT_CSV_HEADERS)?;
    let mut cursor = None;
    loop {
        let page = app.store.org(scope).audit_events(cursor, 500).await?;
        for event in &page {
            writer.text_record(audit_record(event))?;
        }
        match page.last() {
            Some(last) if page.len() == 500 => {
                cursor = Some(comark_domain::Cursor {
                    created_at: last.occurred_at,
                    id: last.id.0,
                })
            }
            _ => break,
        }
    }
    Ok(writer.into_inner()?)
}

/// The audit CSV's columns.
const AUDIT_CSV_HEADERS: [&str; 6] = ["occurred_at", "actor", "action", "subject", "details", "ip"];

/// One audit event as the CSV's row.
fn audit_record(event: &AuditEvent) -> [String; 6] {
    [
        event.occurred_at.to_rfc3339(),
        event.actor_label.clone(),
        event.action.clone(),
        event.subject.clone(),
        event.details.0.to_string(),
        event.ip.clone().unwrap_or_default(),
    ]
}

#[cfg(test)]
mod tests {
    use comark_domain::AuditEventId;
    use proptest::prelude::*;

    use super::*;
    use crate::csv_out::{hostile, CsvWriter};

    proptest! {
        #[test]
        fn the_audit_csv_neutralizes_every_hostile_actor_subject_and_detail(
            events in prop::collection::vec(
                (hostile::text(), hostile::text(), hostile::text(), hostile::text(), prop::option::of(hostile::text())),
                1..8,
            ),
        ) {
            let events: Vec<AuditEvent> = events
                .into_iter()
                .map(|(actor, action, subject, detail, ip)| {
                    let mut event = AuditEvent {
                        id: AuditEventId(uuid::Uuid::nil()),
                        occurred_at: now(),
                        actor_user_id: None,
                        actor_label: actor,
                        action,
                        subject,
                        details: Default::default(),
                        ip,
                    };
                    // Hostile text that is JSON (`-2`, `-1e5`) is kept as such: a bare
                    // number is details that start like a formula.
                    event.details.0 = serde_json::from_str(&detail)
                        .unwrap_or(serde_json::Value::String(detail));
                    event
                })
                .collect();
            let mut writer = CsvWriter::new(Vec::new());
            writer.text_record(AUDIT_CSV_HEADERS).expect("write");
            for event in &events {
                writer.text_record(audit_record(event)).expect("write");
            }
            let table: Vec<Vec<String>> = std::iter::once(AUDIT_CSV_HEADERS.map(str::to_owned).to_vec())
                .chain(events.iter().map(|event| audit_record(event).to_vec()))
                .collect();
            hostile::check(&writer.into_inner().expect("flush"), &table, &[]);
            // The actor is the person's label, unchanged but for the quote.
            prop_assert_eq!(&table[1][1], &events[0].actor_label);
        }
    }
}
