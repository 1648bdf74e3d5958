//! The audit log: written in the same transaction as the change it records.

use comark_domain::Cursor;

use crate::{on_pool, AuditEvent, OrgStore, Result};

/// Inserts one audit event on `$conn` (a transaction), so the record and the change
/// land together or not at all.
macro_rules! insert_audit {
    ($conn:expr, $org_id:expr, $actor:expr, $action:expr, $subject:expr, $details:expr) => {
        sqlx::query(
            "INSERT INTO audit_events
                 (org_id, id, occurred_at, actor_user_id, actor_label, action, subject, details, ip)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind($org_id)
        .bind(uuid::Uuid::now_v7())
        .bind($crate::now())
        .bind($actor.user_id.map(|user| user.0))
        .bind($actor.label.as_str())
        .bind($action.as_str())
        .bind($subject)
        .bind(sqlx::types::Json($details))
        .bind($actor.ip.clone())
        .execute($conn)
        .await?
    };
}
pub(crate) use insert_audit;

impl crate::Store {
    /// Records an event about a person (a password or second-factor change) in the audit
    /// log of every organization they belong to, whose admins need to know.
    pub async fn record_user_event(
        &self,
        user: comark_domain::UserId,
        action: comark_domain::AuditAction,
        actor: &crate::Actor,
    ) -> Result<()> {
        crate::write_tx!(self, tx => {
            let orgs: Vec<uuid::Uuid> = sqlx::query_scalar("SELECT org_id FROM memberships WHERE user_id = $1")
                .bind(user.0)
                .fetch_all(&mut *tx)
                .await?;
            for org in orgs {
                insert_audit!(&mut *tx, org, actor, action, user.to_string(), serde_json::json!({}));
            }
        });
        Ok(())
    }
}

impl OrgStore<'_> {
    /// A page of the audit log, newest first, after `cursor`.
    pub async fn audit_events(
        &self,
        cursor: Option<Cursor>,
        limit: u32,
    ) -> Result<Vec<AuditEvent>> {
        let (before_time, before_id) = match cursor {
            Some(cursor) => (Some(cursor.created_at), Some(cursor.id)),
            None => (None, None),
        };
        let events = on_pool!(self.store, pool => {
            sqlx::query_as(
                "SELECT id, occurred_at, actor_user_id, actor_label, action, subject, details, ip
                 FROM audit_events
                 WHERE org_id = $1
                   AND ($2 IS NULL OR occurred_at < $2 OR (occurred_at = $2 AND id < $3))
                 ORDER BY occurred_at DESC, id DESC
                 LIMIT $4",
            )
            .bind(self.org_uuid())
            .bind(before_time)
            .bind(before_id)
            .bind(i64::from(limit))
            .fetch_all(pool)
            .await?
        });
        Ok(events)
    }
}
