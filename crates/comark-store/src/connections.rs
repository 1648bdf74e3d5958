//! Partner connections: the accepted link that everything crossing between two organizations
//! rests on, and the invite links through which an organization may be asked to connect.

use chrono::{DateTime, Utc};
use comark_domain::connection::ConnectionError;
use comark_domain::{
    AuditAction, ConnectionId, ConnectionLinkId, ConnectionStatus, ConnectionTransition,
    LinkOptions, LinkStatus, OrgId,
};
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
           c.message, c.created_at, c.decided_at, c.ended_at,
           (c.via_link_id IS NOT NULL) AS via_link
    FROM connections c
    JOIN organizations o
      ON o.id = CASE WHEN c.requester_org_id = $1 THEN c.invitee_org_id ELSE c.requester_org_id END
    WHERE (c.requester_org_id = $1 OR c.invitee_org_id = $1)";

const LINK_COLUMNS: &str =
    "id, note, max_uses, uses, auto_accept, created_at, expires_at, revoked_at, last_used_at";

/// How long a closed invite link (revoked, used up or expired) stays in the list.
pub const CLOSED_LINKS_SHOWN_FOR: chrono::Duration = chrono::Duration::days(30);

fn transition_error(error: ConnectionError) -> StoreError {
    StoreError::Rule(error.to_string())
}

/// An invite link through which other organizations may ask to connect (or connect at once).
#[derive(Clone, Debug, serde::Serialize)]
pub struct ConnectionLink {
    /// Its id.
    pub id: ConnectionLinkId,
    /// What its creator remembers it by.
    pub note: Option<String>,
    /// How many organizations may use it.
    pub max_uses: i64,
    /// How many have.
    pub uses: i64,
    /// Whether using it connects at once, rather than waiting for this side to accept.
    pub auto_accept: bool,
    /// Where it stands, as of reading it.
    pub status: LinkStatus,
    /// When it was made.
    pub created_at: DateTime<Utc>,
    /// When it stops working.
    pub expires_at: DateTime<Utc>,
    /// When it was withdrawn.
    pub revoked_at: Option<DateTime<Utc>>,
    /// When it was last used.
    pub last_used_at: Option<DateTime<Utc>>,
}

#[derive(sqlx::FromRow)]
struct LinkRow {
    id: Uuid,
    note: Option<String>,
    max_uses: i64,
    uses: i64,
    auto_accept: bool,
    created_at: DateTime<Utc>,
    expires_at: DateTime<Utc>,
    revoked_at: Option<DateTime<Utc>>,
    last_used_at: Option<DateTime<Utc>>,
}

impl LinkRow {
    fn at(self, at: DateTime<Utc>) -> ConnectionLink {
        ConnectionLink {
            status: LinkStatus::of(
                self.revoked_at.is_some(),
                self.expires_at <= at,
                self.uses,
                self.max_uses,
            ),
            id: ConnectionLinkId(self.id),
            note: self.note,
            max_uses: self.max_uses,
            uses: self.uses,
            auto_accept: self.auto_accept,
            created_at: self.created_at,
            expires_at: self.expires_at,
            revoked_at: self.revoked_at,
            last_used_at: self.last_used_at,
        }
    }
}

/// What a live invite link shows to whoever opens it.
#[derive(Clone, Debug)]
pub struct LiveLink {
    /// The organization that made it.
    pub org: Organization,
    /// Whether using it connects at once.
    pub auto_accept: bool,
}

/// Inserts a connection of `$org` (the requester) with `$partner`, with its audit events on
/// both sides and, when accepted at once, the mapping's first computation: one statement
/// list for both ways of asking (by handle, through a link).
macro_rules! insert_connection {
    ($tx:expr, $scope:expr, $id:expr, $partner:expr, $message:expr, $actor:expr, $at:expr,
     $accepted:expr, $via_link:expr) => {{
        let org = $scope.org().id.0;
        let partner: &Organization = $partner;
        let accepted: bool = $accepted;
        let via_link: Option<Uuid> = $via_link;
        let status = if accepted {
            ConnectionStatus::Accepted
        } else {
            ConnectionStatus::Pending
        };
        sqlx::query(
            "INSERT INTO connections (id, requester_org_id, invitee_org_id, low_org_id, high_org_id,
                                      status, message, requested_by, created_at, decided_at, via_link_id)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
        )
        .bind($id.0)
        .bind(org)
        .bind(partner.id.0)
        .bind(org.min(partner.id.0))
        .bind(org.max(partner.id.0))
        .bind(status.as_str())
        .bind($message)
        .bind($actor.user_id.map(|user| user.0))
        .bind($at)
        .bind(accepted.then_some($at))
        .bind(via_link)
        .execute(&mut *$tx)
        .await
        .map_err(on_unique("connection"))?;
        let us = $scope.org().handle.as_str();
        for (side, subject) in [(org, partner.handle.as_str()), (partner.id.0, us)] {
            let details = match via_link {
                Some(link) => json!({ "connection": $id, "requested_by": us, "via": "invite link", "link": link }),
                None => json!({ "connection": $id, "requested_by": us }),
            };
            insert_audit!(&mut *$tx, side, $actor, AuditAction::ConnectionRequested, subject, details);
            if accepted {
                insert_audit!(&mut *$tx, side, $actor, AuditAction::ConnectionAccepted, subject,
                    json!({ "connection": $id, "via": "invite link" }));
            }
        }
        if accepted {
            crate::jobs::insert_job!(&mut *$tx, &crate::accounts::recompute_job($id), $at);
        }
    }};
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

    /// Asks `partner` to connect; it waits for them to accept. `Conflict("connection")` if
    /// one is already open.
    pub async fn request_connection(
        &self,
        partner: &Organization,
        message: Option<&str>,
        actor: &Actor,
    ) -> Result<Connection> {
        if partner.id.0 == self.org_uuid() {
            return Err(StoreError::Rule(
                "an organization cannot connect with itself".into(),
            ));
        }
        let id = ConnectionId::new();
        let at = now();
        write_tx!(self.store, tx => {
            insert_connection!(tx, self.scope, id, partner, message, actor, at, false, None);
        });
        self.connection(id).await
    }

    /// Uses another organization's invite link: counts one use and asks its organization to
    /// connect (or connects at once, if its creator chose so), in one transaction.
    /// `NotFound` for a link that is unknown, revoked, expired or used up alike; a rule error
    /// for one's own link; `Conflict("connection")` if the two have an open connection
    /// already (the use is not counted then).
    pub async fn connect_via_link(&self, token_hash: &str, actor: &Actor) -> Result<Connection> {
        let id = ConnectionId::new();
        let at = now();
        write_tx!(self.store, tx => {
            // The conditional update is the count: of two organizations racing for the last
            // use, the second finds `uses < max_uses` false once the first commits (on
            // PostgreSQL it waits for the row and re-checks; SQLite writes one at a time).
            let used: Option<(Uuid, Uuid, bool)> = sqlx::query_as(
                "UPDATE connection_links SET uses = uses + 1, last_used_at = $2
                 WHERE token_hash = $1 AND revoked_at IS NULL AND expires_at > $2 AND uses < max_uses
                 RETURNING org_id, id, auto_accept",
            )
            .bind(token_hash)
            .bind(at)
            .fetch_optional(&mut *tx)
            .await?;
            let (owner, link, auto_accept) = used.ok_or(StoreError::NotFound)?;
            if owner == self.org_uuid() {
                return Err(StoreError::Rule("this is your own organization's link".into()));
            }
            let partner: Organization = sqlx::query_as(
                "SELECT id, handle, name, created_at FROM organizations WHERE id = $1",
            )
            .bind(owner)
            .fetch_optional(&mut *tx)
            .await?
            .ok_or(StoreError::NotFound)?;
            insert_connection!(tx, self.scope, id, &partner, None::<&str>, actor, at, auto_accept, Some(link));
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

    /// Creates an invite link with the creator's choices (`expires_at` computed from them).
    pub async fn create_connection_link(
        &self,
        token_hash: &str,
        options: &LinkOptions,
        expires_at: DateTime<Utc>,
        actor: &Actor,
    ) -> Result<ConnectionLink> {
        let org = self.org_uuid();
        let id = Uuid::now_v7();
        let at = now();
        write_tx!(self.store, tx => {
            sqlx::query(
                "INSERT INTO connection_links (org_id, id, token_hash, created_by, created_at, expires_at,
                                               max_uses, uses, auto_accept, note)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, 0, $8, $9)",
            )
            .bind(org)
            .bind(id)
            .bind(token_hash)
            .bind(actor.user_id.map(|user| user.0))
            .bind(at)
            .bind(expires_at)
            .bind(options.max_uses)
            .bind(options.auto_accept)
            .bind(options.note.as_deref())
            .execute(&mut *tx)
            .await?;
            insert_audit!(&mut *tx, org, actor, AuditAction::ConnectionLinkCreated, id.to_string(),
                json!({ "max_uses": options.max_uses, "expires_at": expires_at, "auto_accept": options.auto_accept }));
        });
        Ok(LinkRow {
            id,
            note: options.note.clone(),
            max_uses: options.max_uses,
            uses: 0,
            auto_accept: options.auto_accept,
            created_at: at,
            expires_at,
            revoked_at: None,
            last_used_at: None,
        }
        .at(at))
    }

    /// The organization's invite links that are open, or closed (revoked, used up, expired)
    /// within [`CLOSED_LINKS_SHOWN_FOR`], newest first.
    pub async fn connection_links(&self) -> Result<Vec<ConnectionLink>> {
        let at = now();
        let rows: Vec<LinkRow> = on_pool!(self.store, pool => {
            sqlx::query_as(&format!(
                "SELECT {LINK_COLUMNS} FROM connection_links
                 WHERE org_id = $1
                   AND CASE WHEN revoked_at IS NOT NULL THEN revoked_at
                            WHEN uses >= max_uses THEN COALESCE(last_used_at, expires_at)
                            ELSE expires_at END > $2
                 ORDER BY created_at DESC, id DESC"
            ))
            .bind(self.org_uuid())
            .bind(at - CLOSED_LINKS_SHOWN_FOR)
            .fetch_all(pool)
            .await?
        });
        Ok(rows.into_iter().map(|row| row.at(at)).collect())
    }

    /// Withdraws an invite link: it answers like an unknown one from now on. `NotFound` for
    /// a link that is not this organization's or is withdrawn already.
    pub async fn revoke_connection_link(
        &self,
        id: ConnectionLinkId,
        actor: &Actor,
    ) -> Result<ConnectionLink> {
        let org = self.org_uuid();
        let at = now();
        let row = write_tx!(self.store, tx => {
            let row: Option<LinkRow> = sqlx::query_as(&format!(
                "UPDATE connection_links SET revoked_at = $1
                 WHERE org_id = $2 AND id = $3 AND revoked_at IS NULL
                 RETURNING {LINK_COLUMNS}"
            ))
            .bind(at)
            .bind(org)
            .bind(id.0)
            .fetch_optional(&mut *tx)
            .await?;
            let row = row.ok_or(StoreError::NotFound)?;
            insert_audit!(&mut *tx, org, actor, AuditAction::ConnectionLinkRevoked, id.to_string(),
                json!({ "uses": row.uses, "max_uses": row.max_uses }));
            row
        });
        Ok(row.at(at))
    }
}

impl Store {
    /// The live invite link with this token hash: not revoked, not expired, not used up.
    pub async fn live_connection_link(&self, token_hash: &str) -> Result<Option<LiveLink>> {
        let row: Option<(Uuid, bool)> = on_pool!(self, pool => {
            sqlx::query_as(
                "SELECT org_id, auto_accept FROM connection_links
                 WHERE token_hash = $1 AND revoked_at IS NULL AND expires_at > $2 AND uses < max_uses",
            )
            .bind(token_hash)
            .bind(now())
            .fetch_optional(pool)
            .await?
        });
        match row {
            Some((org, auto_accept)) => Ok(self
                .org_by_id(OrgId(org))
                .await?
                .map(|org| LiveLink { org, auto_accept })),
            None => Ok(None),
        }
    }
}
