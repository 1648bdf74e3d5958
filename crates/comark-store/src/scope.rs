//! Tenant scoping by construction.
//!
//! An [`OrgScope`] proves that the caller may act inside one organization. Its fields are
//! private and it cannot be deserialized, so the only ways to get one are the functions
//! here: [`Store::member_scope`] (after loading the member's role), [`Store::admin_scope`]
//! (the CLI's audited admin path) and [`Store::job_scope`] (a job rebuilding its scope).
//! [`Store::org`] turns a scope into an [`OrgStore`], the only handle with methods for
//! tenant tables, each of which binds the scope's organization id.

use comark_domain::{Action, OrgId, Role, UserId};
use uuid::Uuid;

use crate::{on_pool, Organization, Result, Store};

/// How a scope came to be.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ScopeOrigin {
    /// A signed-in member (browser session or API token).
    Member,
    /// An instance administrator on the command line.
    Admin,
    /// A background job acting for the organization.
    Job,
}

/// Proof that the holder may act inside one organization, with a role.
#[derive(Clone, Debug)]
pub struct OrgScope {
    org: Organization,
    user_id: Option<UserId>,
    role: Role,
    origin: ScopeOrigin,
}

impl OrgScope {
    /// The organization's id.
    pub fn org_id(&self) -> OrgId {
        self.org.id
    }

    /// The organization.
    pub fn org(&self) -> &Organization {
        &self.org
    }

    /// The member acting, if a person.
    pub fn user_id(&self) -> Option<UserId> {
        self.user_id
    }

    /// The role the holder acts with (owner for admin and job scopes).
    pub fn role(&self) -> Role {
        self.role
    }

    /// How the scope was made.
    pub fn origin(&self) -> ScopeOrigin {
        self.origin
    }

    /// Whether the holder's role allows `action`.
    pub fn can(&self, action: Action) -> bool {
        self.role.can(action)
    }
}

/// The handle to one organization's data. Every method binds the scope's organization id.
#[derive(Clone, Copy, Debug)]
pub struct OrgStore<'a> {
    pub(crate) store: &'a Store,
    pub(crate) scope: &'a OrgScope,
}

impl OrgStore<'_> {
    /// The organization's id, for binding.
    pub(crate) fn org_uuid(&self) -> Uuid {
        self.scope.org.id.0
    }

    /// The scope this handle was made from.
    pub fn scope(&self) -> &OrgScope {
        self.scope
    }
}

#[derive(sqlx::FromRow)]
struct MembershipRow {
    #[sqlx(flatten)]
    org: Organization,
    role: String,
}

impl Store {
    /// The handle to the scope's organization.
    pub fn org<'a>(&'a self, scope: &'a OrgScope) -> OrgStore<'a> {
        OrgStore { store: self, scope }
    }

    /// A scope for `user` in the organization with `handle`, if they are a member.
    /// Not a member and no such organization give the same `None`.
    pub async fn member_scope(&self, user: UserId, handle: &str) -> Result<Option<OrgScope>> {
        let row: Option<MembershipRow> = on_pool!(self, pool => {
            sqlx::query_as(
                "SELECT o.id, o.handle, o.name, o.created_at, m.role
                 FROM organizations o JOIN memberships m ON m.org_id = o.id
                 WHERE o.handle = $1 AND m.user_id = $2",
            )
            .bind(handle.to_lowercase())
            .bind(user.0)
            .fetch_optional(pool)
            .await?
        });
        row.map(|row| {
            let role = row
                .role
                .parse()
                .map_err(
                    |e: comark_domain::role::UnknownRole| crate::StoreError::Corrupt {
                        column: "memberships.role",
                        detail: e.to_string(),
                    },
                )?;
            Ok(OrgScope {
                org: row.org,
                user_id: Some(user),
                role,
                origin: ScopeOrigin::Member,
            })
        })
        .transpose()
    }

    /// A scope with owner rights for an instance administrator on the command line.
    /// Callers record why in the audit log.
    pub async fn admin_scope(&self, handle: &str) -> Result<Option<OrgScope>> {
        Ok(self.org_by_handle(handle).await?.map(|org| OrgScope {
            org,
            user_id: None,
            role: Role::Owner,
            origin: ScopeOrigin::Admin,
        }))
    }

    /// The scope a background job acts in, rebuilt from the organization id it carries.
    pub async fn job_scope(&self, org_id: OrgId) -> Result<Option<OrgScope>> {
        Ok(self.org_by_id(org_id).await?.map(|org| OrgScope {
            org,
            user_id: None,
            role: Role::Owner,
            origin: ScopeOrigin::Job,
        }))
    }
}
