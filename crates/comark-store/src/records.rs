//! The rows the store hands out, read back from either database.

use chrono::{DateTime, Utc};
use comark_domain::{
    ApiTokenId, AuditEventId, ConnectionId, ConnectionStatus, InvitationId, OrgId, Role, Scope,
    UserId,
};
use serde::Serialize;
use uuid::Uuid;

/// An organization: the tenant.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct Organization {
    /// Its id.
    #[sqlx(try_from = "Uuid")]
    pub id: OrgId,
    /// The short name partners find it by.
    pub handle: String,
    /// The display name.
    pub name: String,
    /// When it was created.
    pub created_at: DateTime<Utc>,
}

/// A person with a sign-in.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct User {
    /// Their id.
    #[sqlx(try_from = "Uuid")]
    pub id: UserId,
    /// Their normalized e-mail address.
    pub email: String,
    /// Their display name.
    pub name: String,
    /// The argon2id PHC string.
    pub password_hash: String,
    /// The TOTP secret (base32), once set up; active only with `totp_enabled_at`.
    pub totp_secret: Option<String>,
    /// When the second factor was switched on.
    pub totp_enabled_at: Option<DateTime<Utc>>,
    /// When they signed up.
    pub created_at: DateTime<Utc>,
    /// Whether they proved that they receive mail at `email` (an e-mailed link opened; the
    /// database keeps when, in `users.email_verified_at`).
    pub email_verified: bool,
}

impl User {
    /// Whether sign-in asks for a TOTP code.
    pub fn has_second_factor(&self) -> bool {
        self.totp_enabled_at.is_some() && self.totp_secret.is_some()
    }
}

/// An organization a user belongs to, with their role there.
#[derive(Clone, Debug, Serialize, sqlx::FromRow)]
pub struct UserOrganization {
    /// The organization.
    #[sqlx(flatten)]
    #[serde(flatten)]
    pub org: Organization,
    /// The user's role in it.
    #[sqlx(try_from = "String")]
    pub role: Role,
}

/// A member of an organization.
#[derive(Clone, Debug, Serialize, sqlx::FromRow)]
pub struct Member {
    /// The person.
    #[sqlx(try_from = "Uuid")]
    pub user_id: UserId,
    /// Their e-mail address.
    pub email: String,
    /// Their name.
    pub name: String,
    /// Their role here.
    #[sqlx(try_from = "String")]
    pub role: Role,
    /// When they joined.
    pub joined_at: DateTime<Utc>,
}

/// An invitation to join an organization.
#[derive(Clone, Debug, Serialize, sqlx::FromRow)]
pub struct Invitation {
    /// Its id.
    #[sqlx(try_from = "Uuid")]
    pub id: InvitationId,
    /// The organization that invites.
    #[sqlx(try_from = "Uuid")]
    pub org_id: OrgId,
    /// The address it is for; a link invitation (for anyone with the link) has none.
    pub email: Option<String>,
    /// The role the invitee gets.
    #[sqlx(try_from = "String")]
    pub role: Role,
    /// Whether its link went out by e-mail to `email`.
    pub mailed: bool,
    /// When it was made.
    pub created_at: DateTime<Utc>,
    /// When it stops working.
    pub expires_at: DateTime<Utc>,
    /// When it was used.
    pub accepted_at: Option<DateTime<Utc>>,
    /// When it was withdrawn.
    pub revoked_at: Option<DateTime<Utc>>,
}

impl Invitation {
    /// For one address, or for anyone with the link.
    pub fn kind(&self) -> comark_domain::invitation::InvitationKind {
        comark_domain::invitation::InvitationKind::of(self.email.as_deref())
    }

    /// Whether it can still be accepted at `now`.
    pub fn is_usable(&self, now: DateTime<Utc>) -> bool {
        self.accepted_at.is_none() && self.revoked_at.is_none() && self.expires_at > now
    }
}

/// A signed-in browser or API client.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct Session {
    /// The SHA-256 of the token in the cookie.
    pub token_hash: String,
    /// Who is signed in.
    #[sqlx(try_from = "Uuid")]
    pub user_id: UserId,
    /// The token that state-changing forms must echo.
    pub csrf_token: String,
    /// True between the password and the TOTP code: nothing else is allowed yet.
    pub second_factor_pending: bool,
    /// When it began.
    pub created_at: DateTime<Utc>,
    /// When it was last used.
    pub last_seen_at: DateTime<Utc>,
    /// When it ends regardless of use.
    pub expires_at: DateTime<Utc>,
}

/// A personal API token (never the secret itself).
#[derive(Clone, Debug, Serialize, sqlx::FromRow)]
pub struct ApiToken {
    /// Its id.
    #[sqlx(try_from = "Uuid")]
    pub id: ApiTokenId,
    /// Whose it is.
    #[sqlx(try_from = "Uuid")]
    pub user_id: UserId,
    /// What its owner called it.
    pub name: String,
    /// What it may do.
    #[sqlx(try_from = "String")]
    pub scope: Scope,
    /// When it was made.
    pub created_at: DateTime<Utc>,
    /// When it was last used.
    pub last_used_at: Option<DateTime<Utc>>,
    /// When it stops working, if ever.
    pub expires_at: Option<DateTime<Utc>>,
    /// When it was revoked.
    pub revoked_at: Option<DateTime<Utc>>,
}

/// A partner connection as one of its two organizations sees it.
#[derive(Clone, Debug, Serialize, sqlx::FromRow)]
pub struct Connection {
    /// Its id.
    #[sqlx(try_from = "Uuid")]
    pub id: ConnectionId,
    /// Where it stands.
    #[sqlx(try_from = "String")]
    pub status: ConnectionStatus,
    /// Whether the viewing organization sent the request.
    pub outgoing: bool,
    /// The other organization.
    #[sqlx(try_from = "Uuid")]
    pub partner_id: OrgId,
    /// Its handle.
    pub partner_handle: String,
    /// Its name.
    pub partner_name: String,
    /// The note sent with the request.
    pub message: Option<String>,
    /// When it was requested.
    pub created_at: DateTime<Utc>,
    /// When it was accepted or declined.
    pub decided_at: Option<DateTime<Utc>>,
    /// When it ended.
    pub ended_at: Option<DateTime<Utc>>,
    /// Whether it was asked for through an invite link of the invited side.
    pub via_link: bool,
}

/// One entry of an organization's audit log.
#[derive(Clone, Debug, Serialize, sqlx::FromRow)]
pub struct AuditEvent {
    /// Its id.
    #[sqlx(try_from = "Uuid")]
    pub id: AuditEventId,
    /// When it happened.
    pub occurred_at: DateTime<Utc>,
    /// Who did it, if a person.
    pub actor_user_id: Option<Uuid>,
    /// Who did it, in words ("ada@example.com", "system", "cli").
    pub actor_label: String,
    /// What happened (`member.invited`...).
    pub action: String,
    /// What it happened to.
    pub subject: String,
    /// Details, as JSON.
    pub details: sqlx::types::Json<serde_json::Value>,
    /// The client address, when known.
    pub ip: Option<String>,
}

/// Who is acting, for the audit log.
#[derive(Clone, Debug)]
pub struct Actor {
    /// The person, if any.
    pub user_id: Option<UserId>,
    /// How to name them in the log.
    pub label: String,
    /// The client address, when known.
    pub ip: Option<String>,
}

impl Actor {
    /// comark itself (jobs, triggers).
    pub fn system() -> Actor {
        Actor {
            user_id: None,
            label: "system".into(),
            ip: None,
        }
    }
}
