//! Invitations to join an organization, by e-mail or by link.

use chrono::{DateTime, Utc};
use comark_domain::invitation::InvitationKind;
use comark_domain::{AuditAction, InvitationId, Role};
use serde_json::json;

use crate::audit::insert_audit;
use crate::jobs::insert_job;
use crate::{
    now, on_pool, write_tx, Actor, Invitation, NewJob, OrgStore, Organization, Result, Store,
    StoreError, User,
};

const INVITATION_COLUMNS: &str =
    "id, org_id, email, role, mailed, created_at, expires_at, accepted_at, revoked_at";

impl OrgStore<'_> {
    /// Creates an invitation whose secret token hashes to `token_hash`; `email_job`, when
    /// given, mails its link to `email` in the same transaction.
    pub async fn create_invitation(
        &self,
        email: Option<&str>,
        role: Role,
        token_hash: &str,
        expires_at: DateTime<Utc>,
        actor: &Actor,
        email_job: Option<NewJob>,
    ) -> Result<Invitation> {
        let id = InvitationId::new();
        let org = self.org_uuid();
        write_tx!(self.store, tx => {
            sqlx::query(
                "INSERT INTO invitations (org_id, id, email, role, mailed, token_hash, invited_by, created_at, expires_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
            )
            .bind(org)
            .bind(id.0)
            .bind(email)
            .bind(role.as_str())
            .bind(email_job.is_some())
            .bind(token_hash)
            .bind(actor.user_id.map(|user| user.0))
            .bind(now())
            .bind(expires_at)
            .execute(&mut *tx)
            .await?;
            insert_audit!(&mut *tx, org, actor, AuditAction::MemberInvited, email.unwrap_or(comark_domain::invitation::LINK_LABEL),
                json!({ "role": role.as_str(), "invitation": id, "kind": InvitationKind::of(email).as_str() }));
            if let Some(job) = &email_job {
                insert_job!(&mut *tx, job, now());
            }
        });
        if email_job.is_some() {
            self.store.announce_jobs().await?;
        }
        self.invitation(id).await
    }

    /// One invitation of this organization.
    pub async fn invitation(&self, id: InvitationId) -> Result<Invitation> {
        on_pool!(self.store, pool => {
            sqlx::query_as(&format!("SELECT {INVITATION_COLUMNS} FROM invitations WHERE org_id = $1 AND id = $2"))
                .bind(self.org_uuid())
                .bind(id.0)
                .fetch_optional(pool)
                .await?
        })
        .ok_or(StoreError::NotFound)
    }

    /// Invitations still open, newest first.
    pub async fn open_invitations(&self) -> Result<Vec<Invitation>> {
        Ok(on_pool!(self.store, pool => {
            sqlx::query_as(&format!(
                "SELECT {INVITATION_COLUMNS} FROM invitations
                 WHERE org_id = $1 AND accepted_at IS NULL AND revoked_at IS NULL AND expires_at > $2
                 ORDER BY created_at DESC, id DESC"
            ))
            .bind(self.org_uuid())
            .bind(now())
            .fetch_all(pool)
            .await?
        }))
    }

    /// Withdraws an open invitation.
    pub async fn revoke_invitation(&self, id: InvitationId, actor: &Actor) -> Result<()> {
        let org = self.org_uuid();
        write_tx!(self.store, tx => {
            let revoked = sqlx::query(
                "UPDATE invitations SET revoked_at = $1
                 WHERE org_id = $2 AND id = $3 AND accepted_at IS NULL AND revoked_at IS NULL",
            )
            .bind(now())
            .bind(org)
            .bind(id.0)
            .execute(&mut *tx)
            .await?;
            if revoked.rows_affected() == 0 {
                return Err(StoreError::NotFound);
            }
            insert_audit!(&mut *tx, org, actor, AuditAction::InvitationRevoked, id.to_string(), json!({}));
        });
        Ok(())
    }
}

impl Store {
    /// The invitation with this token hash and its organization, whatever its state.
    pub async fn invitation_by_token(
        &self,
        token_hash: &str,
    ) -> Result<Option<(Invitation, Organization)>> {
        let invitation: Option<Invitation> = on_pool!(self, pool => {
            sqlx::query_as(&format!("SELECT {INVITATION_COLUMNS} FROM invitations WHERE token_hash = $1"))
                .bind(token_hash)
                .fetch_optional(pool)
                .await?
        });
        match invitation {
            Some(invitation) => {
                let org = self
                    .org_by_id(invitation.org_id)
                    .await?
                    .ok_or(StoreError::NotFound)?;
                Ok(Some((invitation, org)))
            }
            None => Ok(None),
        }
    }

    /// Accepts an invitation for `user`: they join with the invited role. `NotFound` when the
    /// token is unknown, used, revoked or expired, and when the invitation is for another
    /// address or is a link for an owner or admin (the use case explains those first; this
    /// is the wall behind it); a rule error when they are already a member. Accepting an
    /// invitation that was mailed to the user's address proves that address.
    pub async fn accept_invitation(
        &self,
        token_hash: &str,
        user: &User,
        actor: &Actor,
    ) -> Result<Organization> {
        let at = now();
        let org_id = write_tx!(self, tx => {
            let row: Option<(uuid::Uuid, uuid::Uuid, String, bool)> = sqlx::query_as(
                "UPDATE invitations SET accepted_at = $1, accepted_by = $2
                 WHERE token_hash = $3 AND accepted_at IS NULL AND revoked_at IS NULL AND expires_at > $1
                   AND (email = $4 OR (email IS NULL AND role NOT IN ('owner', 'admin')))
                 RETURNING org_id, id, role, mailed",
            )
            .bind(at)
            .bind(user.id.0)
            .bind(token_hash)
            .bind(&user.email)
            .fetch_optional(&mut *tx)
            .await?;
            let (org, invitation, role, mailed) = row.ok_or(StoreError::NotFound)?;
            let existing: Option<String> =
                sqlx::query_scalar("SELECT role FROM memberships WHERE org_id = $1 AND user_id = $2")
                    .bind(org)
                    .bind(user.id.0)
                    .fetch_optional(&mut *tx)
                    .await?;
            if existing.is_some() {
                return Err(StoreError::Rule("you are already a member of this organization".into()));
            }
            sqlx::query("INSERT INTO memberships (org_id, user_id, role, created_at) VALUES ($1, $2, $3, $4)")
                .bind(org)
                .bind(user.id.0)
                .bind(&role)
                .bind(at)
                .execute(&mut *tx)
                .await?;
            if mailed {
                // The link reached only the inbox of the address it names, which is the user's.
                sqlx::query("UPDATE users SET email_verified_at = COALESCE(email_verified_at, $1) WHERE id = $2")
                    .bind(at)
                    .bind(user.id.0)
                    .execute(&mut *tx)
                    .await?;
            }
            insert_audit!(&mut *tx, org, actor, AuditAction::MemberJoined, user.id.to_string(),
                json!({ "role": role, "invitation": invitation }));
            org
        });
        self.org_by_id(org_id.into())
            .await?
            .ok_or(StoreError::NotFound)
    }
}
