//! Organizations and their members.

use comark_domain::{AuditAction, OrgId, Role, UserId};
use serde_json::json;

use crate::audit::insert_audit;
use crate::{
    now, on_pool, on_unique, write_tx, Actor, Member, OrgStore, Organization, Result, Store,
    StoreError,
};

impl Store {
    /// Creates an organization with `owner` as its first owner.
    pub async fn create_organization(
        &self,
        name: &str,
        handle: &str,
        owner: UserId,
        actor: &Actor,
    ) -> Result<Organization> {
        let id = OrgId::new();
        let at = now();
        write_tx!(self, tx => {
            sqlx::query(
                "INSERT INTO organizations (id, handle, name, created_at, updated_at)
                 VALUES ($1, $2, $3, $4, $4)",
            )
            .bind(id.0)
            .bind(handle)
            .bind(name)
            .bind(at)
            .execute(&mut *tx)
            .await
            .map_err(on_unique("handle"))?;
            sqlx::query("INSERT INTO memberships (org_id, user_id, role, created_at) VALUES ($1, $2, $3, $4)")
                .bind(id.0)
                .bind(owner.0)
                .bind(Role::Owner.as_str())
                .bind(at)
                .execute(&mut *tx)
                .await?;
            insert_audit!(&mut *tx, id.0, actor, AuditAction::OrgCreated, handle, json!({ "name": name }));
        });
        Ok(Organization {
            id,
            handle: handle.to_owned(),
            name: name.to_owned(),
            created_at: at,
        })
    }

    /// The organization with this handle (instance-level: used to address connection requests).
    pub async fn org_by_handle(&self, handle: &str) -> Result<Option<Organization>> {
        Ok(on_pool!(self, pool => {
            sqlx::query_as("SELECT id, handle, name, created_at FROM organizations WHERE handle = $1")
                .bind(handle.trim().to_lowercase())
                .fetch_optional(pool)
                .await?
        }))
    }

    /// The organization with this id.
    pub async fn org_by_id(&self, id: OrgId) -> Result<Option<Organization>> {
        Ok(on_pool!(self, pool => {
            sqlx::query_as("SELECT id, handle, name, created_at FROM organizations WHERE id = $1")
                .bind(id.0)
                .fetch_optional(pool)
                .await?
        }))
    }

    /// How many organizations exist (for metrics and the demo loader).
    pub async fn count_organizations(&self) -> Result<i64> {
        Ok(on_pool!(self, pool => {
            sqlx::query_scalar("SELECT COUNT(*) FROM organizations").fetch_one(pool).await?
        }))
    }
}

/// Serializes changes to one organization's memberships: every such transaction first
/// touches the organization row, so two concurrent demotions cannot both pass the
/// last-owner check (a row lock on PostgreSQL, the write lock on SQLite).
macro_rules! lock_org {
    ($conn:expr, $org:expr) => {
        sqlx::query("UPDATE organizations SET updated_at = $1 WHERE id = $2")
            .bind(now())
            .bind($org)
            .execute($conn)
            .await?
    };
}

macro_rules! count_owners {
    ($conn:expr, $org:expr) => {{
        let n: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM memberships WHERE org_id = $1 AND role = 'owner'",
        )
        .bind($org)
        .fetch_one($conn)
        .await?;
        n
    }};
}

macro_rules! role_of {
    ($conn:expr, $org:expr, $user:expr) => {{
        let role: Option<String> =
            sqlx::query_scalar("SELECT role FROM memberships WHERE org_id = $1 AND user_id = $2")
                .bind($org)
                .bind($user)
                .fetch_optional($conn)
                .await?;
        match role {
            Some(role) => role.parse::<Role>().map_err(|e| StoreError::Corrupt {
                column: "memberships.role",
                detail: e.to_string(),
            })?,
            None => return Err(StoreError::NotFound),
        }
    }};
}

const LAST_OWNER: &str = "an organization needs at least one owner: make someone else owner first";

impl OrgStore<'_> {
    /// Renames the organization.
    pub async fn rename(&self, name: &str, actor: &Actor) -> Result<()> {
        let org = self.org_uuid();
        write_tx!(self.store, tx => {
            sqlx::query("UPDATE organizations SET name = $1, updated_at = $2 WHERE id = $3")
                .bind(name)
                .bind(now())
                .bind(org)
                .execute(&mut *tx)
                .await?;
            insert_audit!(&mut *tx, org, actor, AuditAction::OrgUpdated, self.scope.org().handle.as_str(), json!({ "name": name }));
        });
        Ok(())
    }

    /// The members, by name.
    pub async fn members(&self) -> Result<Vec<Member>> {
        Ok(on_pool!(self.store, pool => {
            sqlx::query_as(
                "SELECT u.id AS user_id, u.email, u.name, m.role, m.created_at AS joined_at
                 FROM memberships m JOIN users u ON u.id = m.user_id
                 WHERE m.org_id = $1 ORDER BY u.name, u.email",
            )
            .bind(self.org_uuid())
            .fetch_all(pool)
            .await?
        }))
    }

    /// One member.
    pub async fn member(&self, user: UserId) -> Result<Member> {
        on_pool!(self.store, pool => {
            sqlx::query_as(
                "SELECT u.id AS user_id, u.email, u.name, m.role, m.created_at AS joined_at
                 FROM memberships m JOIN users u ON u.id = m.user_id
                 WHERE m.org_id = $1 AND m.user_id = $2",
            )
            .bind(self.org_uuid())
            .bind(user.0)
            .fetch_optional(pool)
            .await?
        })
        .ok_or(StoreError::NotFound)
    }

    /// Changes a member's role; refuses to leave the organization without an owner.
    pub async fn change_role(&self, user: UserId, role: Role, actor: &Actor) -> Result<()> {
        let org = self.org_uuid();
        write_tx!(self.store, tx => {
            lock_org!(&mut *tx, org);
            let current = role_of!(&mut *tx, org, user.0);
            if current == Role::Owner && role != Role::Owner && count_owners!(&mut *tx, org) <= 1 {
                return Err(StoreError::Rule(LAST_OWNER.into()));
            }
            sqlx::query("UPDATE memberships SET role = $1 WHERE org_id = $2 AND user_id = $3")
                .bind(role.as_str())
                .bind(org)
                .bind(user.0)
                .execute(&mut *tx)
                .await?;
            insert_audit!(&mut *tx, org, actor, AuditAction::MemberRoleChanged, user.to_string(),
                json!({ "from": current.as_str(), "to": role.as_str() }));
        });
        Ok(())
    }

    /// Removes a member (or lets one leave); the last owner cannot go.
    pub async fn remove_member(&self, user: UserId, actor: &Actor) -> Result<()> {
        let org = self.org_uuid();
        let leaving = actor.user_id == Some(user);
        write_tx!(self.store, tx => {
            lock_org!(&mut *tx, org);
            let current = role_of!(&mut *tx, org, user.0);
            if current == Role::Owner && count_owners!(&mut *tx, org) <= 1 {
                return Err(StoreError::Rule(LAST_OWNER.into()));
            }
            sqlx::query("DELETE FROM memberships WHERE org_id = $1 AND user_id = $2")
                .bind(org)
                .bind(user.0)
                .execute(&mut *tx)
                .await?;
            let action = if leaving { AuditAction::MemberLeft } else { AuditAction::MemberRemoved };
            insert_audit!(&mut *tx, org, actor, action, user.to_string(), json!({ "role": current.as_str() }));
        });
        Ok(())
    }
}
