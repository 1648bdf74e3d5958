//! Partner connections: the accepted link that everything crossing between two organizations rests on.

use chrono::{DateTime, Utc};
use comark_domain::connection::ConnectionError;
use comark_domain::{AuditAction, ConnectionId, ConnectionStatus, ConnectionTransition, OrgId};
use serde_json::json;
use uuid::Uuid;

use crate::audit::insert_audit;
use crate::{
    now, on_pool, on_unique, write_tx, Actor, Connection, OrgStore, Organization, Result, Store,
    StoreError,
};

const CONNECTION_VIEW: &str = "
    SELECT c.id, c.status, (c.requester_org_id = $1) AS outgoing,
           o.id AS partner_id, o.handle AS partner_handle, o.name AS partner_name,
           c.message, c.created_at, c.decided_at, c.ended_at
    FROM connections c
    JOIN organizations o
      ON o.id = CASE WHEN c.requester_org_id = $1 THEN c.invitee_org_id ELSE c.requester_org_id END
    WHERE (c.requester_org_id = $1 OR c.invitee_org_id = $1)";

fn transition_error(error: ConnectionError) -> StoreError {
    StoreError::Rule(error.to_string())
}

/// An invite link another organization can use to connect at once.
#[derive(Clone, Debug, serde::Serialize, sqlx::FromRow)]
pub struct ConnectionLink {
    /// Its id.
    pub id: Uuid,
    /// When it was made.
    pub created_at: DateTime<Utc>,
    /// When it stops working.
    pub expires_at: DateTime<Utc>,
}

impl OrgStore<'_> {
    /// Every connection of this organization, open ones first, newest first.
    pub async fn connections(&self) -> Result<Vec<Connection>> {
        Ok(on_pool!(self.store, pool => {
            sqlx::query_as(&format!(
                "{CONNECTION_VIEW}
                 ORDER BY CASE WHEN c.status IN ('pending', 'accepted') THEN 0 ELSE 1 END, c.created_at DESC, c.id DESC"
            ))
            .bind(self.org_uuid())
            .fetch_all(pool)
            .await?
        }))
    }

    /// One connection of this organization.
    pub async fn connection(&self, id: ConnectionId) -> Result<Connection> {
        on_pool!(self.store, pool => {
            sqlx::query_as(&format!("{CONNECTION_VIEW} AND c.id = $2"))
                .bind(self.org_uuid())
                .bind(id.0)
                .fetch_optional(pool)
                .await?
        })
        .ok_or(StoreError::NotFound)
    }

    /// The accepted connection with `partner`, if any: the gate for all sharing.
    pub async fn accepted_connection_with(&self, partner: OrgId) -> Result<Option<Connection>> {
        Ok(on_pool!(self.store, pool => {
            sqlx::query_as(&format!(
                "{CONNECTION_VIEW} AND o.id = $2 AND c.status = 'accepted'"
            ))
            .bind(self.org_uuid())
            .bind(partner.0)
            .fetch_optional(pool)
            .await?
        }))
    }

    /// Asks `partner` to connect. `Conflict("connection")` if one is already open.
    pub async fn request_connection(
        &self,
        partner: &Organization,
        message: Option<&str>,
        actor: &Actor,
        accepted_at_once: bool,
    ) -> Result<Connection> {
        let org = self.org_uuid();
        if partner.id.0 == org {
            return Err(StoreError::Rule(
                "an organization cannot connect with itself".into(),
            ));
        }
        let id = ConnectionId::new();
        let at = now();
        let status = if accepted_at_once {
            ConnectionStatus::Accepted
        } else {
            ConnectionStatus::Pending
        };
        write_tx!(self.store, tx => {
            sqlx::query(
                "INSERT INTO connections (id, requester_org_id, invitee_org_id, low_org_id, high_org_id,
                                          status, message, requested_by, created_at, decided_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
            )
            .bind(id.0)
            .bind(org)
            .bind(partner.id.0)
            .bind(org.min(partner.id.0))
            .bind(org.max(partner.id.0))
            .bind(status.as_str())
            .bind(message)
            .bind(actor.user_id.map(|user| user.0))
            .bind(at)
            .bind(accepted_at_once.then_some(at))
            .execute(&mut *tx)
            .await
            .map_err(on_unique("connection"))?;
            let us = self.scope.org().handle.as_str();
            for (side, subject) in [(org, partner.handle.as_str()), (partner.id.0, us)] {
                insert_audit!(&mut *tx, side, actor, AuditAction::ConnectionRequested, subject,
                    json!({ "connection": id, "requested_by": us }));
                if accepted_at_once {
                    insert_audit!(&mut *tx, side, actor, AuditAction::ConnectionAccepted, subject,
                        json!({ "connection": id, "via": "invite link" }));
                }
            };
            if accepted_at_once {
                crate::jobs::insert_job!(&mut *tx, &crate::accounts::recompute_job(id), at);
            }
        });
        self.connection(id).await
    }

    /// Accepts, declines or ends a connection, as the domain's state machine allows.
    pub async fn transition_connection(
        &self,
        id: ConnectionId,
        transition: ConnectionTransition,
        actor: &Actor,
    ) -> Result<Connection> {
        let org = self.org_uuid();
        let at = now();
        write_tx!(self.store, tx => {
            let row: Option<(Uuid, Uuid, String)> = sqlx::query_as(
                "SELECT requester_org_id, invitee_org_id, status FROM connections
                 WHERE id = $1 AND (requester_org_id = $2 OR invitee_org_id = $2)",
            )
            .bind(id.0)
            .bind(org)
            .fetch_optional(&mut *tx)
            .await?;
            let (requester, invitee, status) = row.ok_or(StoreError::NotFound)?;
            let status: ConnectionStatus = status.parse().map_err(|e: comark_domain::connection::UnknownStatus| {
                StoreError::Corrupt { column: "connections.status", detail: e.to_string() }
            })?;
            let next = status.apply(transition, requester == org).map_err(transition_error)?;
            let (decided_at, ended_at) = match next {
                ConnectionStatus::Ended => (None, Some(at)),
                _ => (Some(at), None),
            };
            sqlx::query(
                "UPDATE connections SET status = $1,
                        decided_at = COALESCE($2, decided_at), ended_at = COALESCE($3, ended_at)
                 WHERE id = $4",
            )
            .bind(next.as_str())
            .bind(decided_at)
            .bind(ended_at)
            .bind(id.0)
            .execute(&mut *tx)
            .await?;
            let action = match next {
                ConnectionStatus::Accepted => AuditAction::ConnectionAccepted,
                ConnectionStatus::Declined => AuditAction::ConnectionDeclined,
                _ => AuditAction::ConnectionEnded,
            };
            match next {
                // A new partnership gets its account mapping computed at once.
                ConnectionStatus::Accepted => {
                    crate::jobs::insert_job!(&mut *tx, &crate::accounts::recompute_job(id), at);
                }
                // Ending a connection ends all sharing: the matches go with it.
                ConnectionStatus::Ended => {
                    sqlx::query("DELETE FROM account_matches WHERE connection_id = $1")
                        .bind(id.0)
                        .execute(&mut *tx)
                        .await?;
                    sqlx::query("DELETE FROM mappings WHERE connection_id = $1")
                        .bind(id.0)
                        .execute(&mut *tx)
                        .await?;
                }
                _ => {}
            }
            let by = self.scope.org().handle.as_str();
            for side in [requester, invitee] {
                insert_audit!(&mut *tx, side, actor, action, id.to_string(), json!({ "by": by }));
            }
        });
        self.connection(id).await
    }

    /// Creates an invite link; whoever holds it may connect with this organization at once.
    pub async fn create_connection_link(
        &self,
        token_hash: &str,
        expires_at: DateTime<Utc>,
        actor: &Actor,
    ) -> Result<ConnectionLink> {
        let org = self.org_uuid();
        let id = Uuid::now_v7();
        let at = now();
        write_tx!(self.store, tx => {
            sqlx::query(
                "INSERT INTO connection_links (org_id, id, token_hash, created_by, created_at, expires_at)
                 VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .bind(org)
            .bind(id)
            .bind(token_hash)
            .bind(actor.user_id.map(|user| user.0))
            .bind(at)
            .bind(expires_at)
            .execute(&mut *tx)
            .await?;
            insert_audit!(&mut *tx, org, actor, AuditAction::ConnectionLinkCreated, id.to_string(), json!({}));
        });
        Ok(ConnectionLink {
            id,
            created_at: at,
            expires_at,
        })
    }
}

impl Store {
    /// The organization that issued a live connection link.
    pub async fn connection_link_owner(&self, token_hash: &str) -> Result<Option<Organization>> {
        let org: Option<Uuid> = on_pool!(self, pool => {
            sqlx::query_scalar(
                "SELECT org_id FROM connection_links WHERE token_hash = $1 AND revoked_at IS NULL AND expires_at > $2",
            )
            .bind(token_hash)
            .bind(now())
            .fetch_optional(pool)
            .await?
        });
        match org {
            Some(org) => self.org_by_id(OrgId(org)).await,
            None => Ok(None),
        }
    }
}
