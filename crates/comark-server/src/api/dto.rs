//! What the API sends and receives. Kept apart from the store's rows so the wire format
//! changes only on purpose.

use chrono::{DateTime, Utc};
use comark_domain::invitation::InvitationKind;
use comark_domain::{cursor, ConnectionStatus, Cursor, LinkStatus, Role, Scope, ValidationErrors};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

/// A person.
#[derive(Serialize, ToSchema)]
pub struct UserOut {
    /// Their id.
    pub id: Uuid,
    /// Their e-mail address.
    pub email: String,
    /// Their name.
    pub name: String,
    /// Whether sign-in asks for a TOTP code.
    pub second_factor_enabled: bool,
    /// Whether they proved that they receive mail at `email` (an e-mailed link opened).
    pub email_verified: bool,
    /// When they signed up.
    pub created_at: DateTime<Utc>,
}

impl From<&comark_store::User> for UserOut {
    fn from(user: &comark_store::User) -> Self {
        UserOut {
            id: user.id.0,
            email: user.email.clone(),
            name: user.name.clone(),
            second_factor_enabled: user.has_second_factor(),
            email_verified: user.email_verified,
            created_at: user.created_at,
        }
    }
}

/// A member's role.
#[derive(Serialize, Deserialize, ToSchema, Clone, Copy)]
#[serde(rename_all = "snake_case")]
pub enum RoleOut {
    /// Full control.
    Owner,
    /// Members, settings, partners.
    Admin,
    /// Partners and partnerships.
    PartnerManager,
    /// Joint campaigns.
    Marketer,
    /// Leads and shared accounts.
    Sales,
    /// Read-only dashboards.
    Executive,
}

impl From<Role> for RoleOut {
    fn from(role: Role) -> Self {
        match role {
            Role::Owner => RoleOut::Owner,
            Role::Admin => RoleOut::Admin,
            Role::PartnerManager => RoleOut::PartnerManager,
            Role::Marketer => RoleOut::Marketer,
            Role::Sales => RoleOut::Sales,
            Role::Executive => RoleOut::Executive,
        }
    }
}

impl From<RoleOut> for Role {
    fn from(role: RoleOut) -> Self {
        match role {
            RoleOut::Owner => Role::Owner,
            RoleOut::Admin => Role::Admin,
            RoleOut::PartnerManager => Role::PartnerManager,
            RoleOut::Marketer => Role::Marketer,
            RoleOut::Sales => Role::Sales,
            RoleOut::Executive => Role::Executive,
        }
    }
}

/// An organization, with the caller's role in it.
#[derive(Serialize, ToSchema)]
pub struct OrgOut {
    /// Its id.
    pub id: Uuid,
    /// The handle partners find it by.
    pub handle: String,
    /// Its name.
    pub name: String,
    /// The caller's role.
    pub role: RoleOut,
    /// When it was created.
    pub created_at: DateTime<Utc>,
}

/// The signed-in person and their organizations.
#[derive(Serialize, ToSchema)]
pub struct MeOut {
    /// The person.
    pub user: UserOut,
    /// Their organizations.
    pub organizations: Vec<OrgOut>,
}

/// A member of an organization.
#[derive(Serialize, ToSchema)]
pub struct MemberOut {
    /// The person's id.
    pub user_id: Uuid,
    /// Their e-mail.
    pub email: String,
    /// Their name.
    pub name: String,
    /// Their role.
    pub role: RoleOut,
    /// When they joined.
    pub joined_at: DateTime<Utc>,
}

impl From<comark_store::Member> for MemberOut {
    fn from(m: comark_store::Member) -> Self {
        MemberOut {
            user_id: m.user_id.0,
            email: m.email,
            name: m.name,
            role: m.role.into(),
            joined_at: m.joined_at,
        }
    }
}

/// How an invitation finds its invitee.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum InvitationKindOut {
    /// For one address: only the account with that address may accept it.
    Email,
    /// For anyone with the link: works once, never for an owner or an admin.
    Link,
}

/// An invitation.
#[derive(Serialize, ToSchema)]
pub struct InvitationOut {
    /// Its id.
    pub id: Uuid,
    /// For one address (`email`) or for anyone with the link (`link`).
    pub kind: InvitationKindOut,
    /// The address it is for; absent for a link invitation.
    pub email: Option<String>,
    /// The role it grants.
    pub role: RoleOut,
    /// When it was made.
    pub created_at: DateTime<Utc>,
    /// When it stops working.
    pub expires_at: DateTime<Utc>,
}

impl From<comark_store::Invitation> for InvitationOut {
    fn from(i: comark_store::Invitation) -> Self {
        InvitationOut {
            id: i.id.0,
            kind: match i.kind() {
                InvitationKind::Email => InvitationKindOut::Email,
                InvitationKind::Link => InvitationKindOut::Link,
            },
            email: i.email,
            role: i.role.into(),
            created_at: i.created_at,
            expires_at: i.expires_at,
        }
    }
}

/// A new invitation with its secret link, shown once.
#[derive(Serialize, ToSchema)]
pub struct CreatedInvitationOut {
    /// The invitation.
    pub invitation: InvitationOut,
    /// The link that accepts it, to hand over yourself; absent when it was e-mailed, so that
    /// only the invitee's inbox holds it.
    pub link: Option<String>,
    /// Whether it was e-mailed.
    pub emailed: bool,
}

/// Where a connection stands.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ConnectionStatusOut {
    /// Waiting for the invited side.
    Pending,
    /// Connected.
    Accepted,
    /// Refused.
    Declined,
    /// Ended by either side.
    Ended,
}

/// A partner connection, as the caller's organization sees it.
#[derive(Serialize, ToSchema)]
pub struct ConnectionOut {
    /// Its id.
    pub id: Uuid,
    /// Where it stands.
    pub status: ConnectionStatusOut,
    /// Whether the caller's organization asked.
    pub outgoing: bool,
    /// The partner's handle.
    pub partner_handle: String,
    /// The partner's name.
    pub partner_name: String,
    /// The note sent with the request.
    pub message: Option<String>,
    /// When it was requested.
    pub created_at: DateTime<Utc>,
    /// When it was accepted or declined.
    pub decided_at: Option<DateTime<Utc>>,
    /// When it ended.
    pub ended_at: Option<DateTime<Utc>>,
    /// Whether it was asked for through one of the invited side's invite links.
    pub via_link: bool,
}

impl From<comark_store::Connection> for ConnectionOut {
    fn from(c: comark_store::Connection) -> Self {
        ConnectionOut {
            id: c.id.0,
            status: match c.status {
                ConnectionStatus::Pending => ConnectionStatusOut::Pending,
                ConnectionStatus::Accepted => ConnectionStatusOut::Accepted,
                ConnectionStatus::Declined => ConnectionStatusOut::Declined,
                ConnectionStatus::Ended => ConnectionStatusOut::Ended,
            },
            outgoing: c.outgoing,
            partner_handle: c.partner_handle,
            partner_name: c.partner_name,
            message: c.message,
            created_at: c.created_at,
            decided_at: c.decided_at,
            ended_at: c.ended_at,
            via_link: c.via_link,
        }
    }
}

/// Where an invite link stands.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum LinkStatusOut {
    /// It still works.
    Open,
    /// Every use it allowed was taken.
    UsedUp,
    /// Its time ran out.
    Expired,
    /// It was withdrawn.
    Revoked,
}

/// An invite link through which other organizations may ask to connect (never its secret).
#[derive(Serialize, ToSchema)]
pub struct ConnectionLinkOut {
    /// Its id.
    pub id: Uuid,
    /// What its creator remembers it by.
    pub note: Option<String>,
    /// How many organizations may use it.
    pub max_uses: i64,
    /// How many have.
    pub uses: i64,
    /// Whether using it connects at once, rather than waiting for your acceptance.
    pub auto_accept: bool,
    /// Where it stands.
    pub status: LinkStatusOut,
    /// When it was made.
    pub created_at: DateTime<Utc>,
    /// When it stops working.
    pub expires_at: DateTime<Utc>,
    /// When it was withdrawn.
    pub revoked_at: Option<DateTime<Utc>>,
    /// When it was last used.
    pub last_used_at: Option<DateTime<Utc>>,
}

impl From<comark_store::ConnectionLink> for ConnectionLinkOut {
    fn from(l: comark_store::ConnectionLink) -> Self {
        ConnectionLinkOut {
            id: l.id.0,
            note: l.note,
            max_uses: l.max_uses,
            uses: l.uses,
            auto_accept: l.auto_accept,
            status: match l.status {
                LinkStatus::Open => LinkStatusOut::Open,
                LinkStatus::UsedUp => LinkStatusOut::UsedUp,
                LinkStatus::Expired => LinkStatusOut::Expired,
                LinkStatus::Revoked => LinkStatusOut::Revoked,
            },
            created_at: l.created_at,
            expires_at: l.expires_at,
            revoked_at: l.revoked_at,
            last_used_at: l.last_used_at,
        }
    }
}

/// A new invite link: `link` is shown this once.
#[derive(Serialize, ToSchema)]
pub struct CreatedConnectionLinkOut {
    /// The link's record.
    #[serde(flatten)]
    pub record: ConnectionLinkOut,
    /// The URL to hand to a partner.
    pub link: String,
}

/// A token scope.
#[derive(Serialize, Deserialize, ToSchema, Clone, Copy)]
#[serde(rename_all = "snake_case")]
pub enum ScopeOut {
    /// Reads only.
    Read,
    /// Reads and changes.
    Write,
    /// Everything the owner's role allows.
    Admin,
}

impl From<Scope> for ScopeOut {
    fn from(scope: Scope) -> Self {
        match scope {
            Scope::Read => ScopeOut::Read,
            Scope::Write => ScopeOut::Write,
            Scope::Admin => ScopeOut::Admin,
        }
    }
}

/// A personal API token (never its secret).
#[derive(Serialize, ToSchema)]
pub struct TokenOut {
    /// Its id.
    pub id: Uuid,
    /// Its name.
    pub name: String,
    /// What it may do.
    pub scope: ScopeOut,
    /// When it was made.
    pub created_at: DateTime<Utc>,
    /// When it was last used.
    pub last_used_at: Option<DateTime<Utc>>,
    /// When it expires.
    pub expires_at: Option<DateTime<Utc>>,
    /// When it was revoked.
    pub revoked_at: Option<DateTime<Utc>>,
}

impl From<comark_store::ApiToken> for TokenOut {
    fn from(t: comark_store::ApiToken) -> Self {
        TokenOut {
            id: t.id.0,
            name: t.name,
            scope: t.scope.into(),
            created_at: t.created_at,
            last_used_at: t.last_used_at,
            expires_at: t.expires_at,
            revoked_at: t.revoked_at,
        }
    }
}

/// A new token: `token` is shown this once.
#[derive(Serialize, ToSchema)]
pub struct CreatedTokenOut {
    /// The token's record.
    #[serde(flatten)]
    pub record: TokenOut,
    /// The secret for `Authorization: Bearer`.
    pub token: String,
}

/// An audit log entry.
#[derive(Serialize, ToSchema)]
pub struct AuditEventOut {
    /// Its id.
    pub id: Uuid,
    /// When it happened.
    pub occurred_at: DateTime<Utc>,
    /// Who did it.
    pub actor: String,
    /// What happened.
    pub action: String,
    /// What it happened to.
    pub subject: String,
    /// Details.
    pub details: serde_json::Value,
    /// The client's address.
    pub ip: Option<String>,
}

impl From<comark_store::AuditEvent> for AuditEventOut {
    fn from(e: comark_store::AuditEvent) -> Self {
        AuditEventOut {
            id: e.id.0,
            occurred_at: e.occurred_at,
            actor: e.actor_label,
            action: e.action,
            subject: e.subject,
            details: e.details.0,
            ip: e.ip,
        }
    }
}

/// A session started by signing in or up.
#[derive(Serialize, ToSchema)]
pub struct SessionOut {
    /// The bearer token for this session.
    pub token: String,
    /// Whether a TOTP code must be sent to `/api/v1/auth/second-factor` first.
    pub second_factor_required: bool,
    /// The person.
    pub user: UserOut,
}

/// A page of results and where the next one starts.
#[derive(Serialize, ToSchema)]
pub struct Page<T> {
    /// The results.
    pub items: Vec<T>,
    /// Pass as `cursor` to get the next page; absent on the last page.
    pub next_cursor: Option<String>,
}

/// Paging through a list: the one definition of `cursor` and `limit` every list operation
/// takes, so the bounds the document states are the bounds the code applies.
///
/// Both are read as text and checked here, so that a bad value is a field error naming the
/// parameter (422) rather than a query that fails to parse (400). The bounds in the
/// attributes are `cursor::MIN_PAGE_SIZE`, `MAX_PAGE_SIZE` and `DEFAULT_PAGE_SIZE`; a test
/// compares the document with them.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageQuery {
    /// The `next_cursor` of the previous page.
    #[param(max_length = 200)]
    pub cursor: Option<String>,
    /// How many items, from 1 to 200 (default 50); any other value is refused.
    #[param(value_type = Option<u32>, minimum = 1, maximum = 200, default = 50)]
    pub limit: Option<String>,
}

impl PageQuery {
    /// The decoded cursor and the page size; a cursor that did not come from us, or a size
    /// out of range, is a field error (both at once when both are wrong).
    pub fn read(&self) -> Result<(Option<Cursor>, u32), ValidationErrors> {
        let mut errors = ValidationErrors::default();
        let page = read_page(&mut errors, &self.cursor, &self.limit, Cursor::decode);
        errors.into_result()?;
        Ok(page)
    }
}

/// Reads a page's `cursor` (with `decode`, its kind's reader) and `limit` query fields; each
/// bad one is added to `errors` under its field name.
pub fn read_page<C, E: std::fmt::Display>(
    errors: &mut ValidationErrors,
    cursor: &Option<String>,
    limit: &Option<String>,
    decode: impl FnOnce(&str) -> Result<C, E>,
) -> (Option<C>, u32) {
    let after = match cursor.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(raw) => decode(raw)
            .map_err(|e| errors.add("cursor", e.to_string()))
            .ok(),
    };
    let limit = cursor::page_size(limit.as_deref())
        .map_err(|e| errors.add("limit", e.to_string()))
        .ok();
    (after, limit.unwrap_or(cursor::DEFAULT_PAGE_SIZE))
}

impl<T> Page<T> {
    /// One page of `items`, newest first by `key` (creation time, id), after the query's cursor.
    /// For lists bounded by an organization's size (members, partners, tokens); the audit log
    /// and the accounts page in the database instead.
    pub fn of(
        mut items: Vec<T>,
        key: impl Fn(&T) -> (DateTime<Utc>, Uuid),
        query: &PageQuery,
    ) -> Result<Page<T>, ValidationErrors> {
        let (after, limit) = query.read()?;
        let limit = limit as usize;
        items.sort_by_key(|item| std::cmp::Reverse(key(item)));
        let mut rest: Vec<T> = match after {
            Some(after) => items
                .into_iter()
                .filter(|item| key(item) < (after.created_at, after.id))
                .collect(),
            None => items,
        };
        let more = rest.len() > limit;
        rest.truncate(limit);
        let next_cursor = if more {
            rest.last().map(|item| {
                let (created_at, id) = key(item);
                Cursor { created_at, id }.encode()
            })
        } else {
            None
        };
        Ok(Page {
            items: rest,
            next_cursor,
        })
    }
}
