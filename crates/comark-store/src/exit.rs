//! A partnership's exit strategy, the triggers that fired, reported breaches, and the exit.

use chrono::{DateTime, Utc};
use comark_domain::exit::{DataHandling, Trigger};
use comark_domain::partnership::Stage;
use comark_domain::{AuditAction, OrgId, PartnershipId};
use serde::Serialize;
use serde_json::json;
use sqlx::types::Json;
use uuid::Uuid;

use crate::audit::insert_audit;
use crate::partnerships::insert_event;
use crate::{now, on_pool, write_tx, Actor, OrgStore, Result, StoreError};

/// The exit strategy as agreed.
#[derive(Clone, Debug, Serialize)]
pub struct ExitStrategy {
    /// Days of notice before an exit takes effect, as agreed.
    pub notice_days: i64,
    /// What happens to shared account data.
    pub data_handling: DataHandling,
    /// What happens to co-created assets.
    pub assets: String,
    /// What happens to shared leads.
    pub leads: String,
    /// The disengagement triggers.
    pub triggers: Vec<Trigger>,
    /// Who last agreed it.
    pub agreed_by: String,
    /// When.
    pub updated_at: DateTime<Utc>,
}

/// A trigger that fired and still holds.
#[derive(Clone, Debug, Serialize)]
pub struct Alert {
    /// Which trigger (its key).
    pub trigger: String,
    /// The fact that fired it.
    pub reason: String,
    /// When it fired.
    pub fired_at: DateTime<Utc>,
}

/// A notice of exit that is running.
#[derive(Clone, Debug, Serialize)]
pub struct ExitNotice {
    /// The member that gave it.
    pub by: String,
    /// When.
    pub given_at: DateTime<Utc>,
    /// When the exit takes effect.
    pub effective_at: DateTime<Utc>,
    /// The closing review given with it.
    pub review: String,
}

impl crate::Store {
    /// Partnerships whose notice of exit ran out by `at`, each with the member that gave it.
    pub async fn due_exits(&self, at: DateTime<Utc>) -> Result<Vec<(PartnershipId, OrgId)>> {
        let rows: Vec<(Uuid, Uuid)> = on_pool!(self, pool => {
            sqlx::query_as(
                "SELECT id, exit_notice_by FROM partnerships
                 WHERE exit_effective_at <= $1 AND stage <> 'exit' AND exit_notice_by IS NOT NULL",
            )
            .bind(at)
            .fetch_all(pool)
            .await?
        });
        Ok(rows
            .into_iter()
            .map(|(p, o)| (PartnershipId(p), OrgId(o)))
            .collect())
    }

    /// Partnerships with an exit strategy whose triggers comark watches, each with the
    /// organization that started it.
    pub async fn watched_partnerships(&self) -> Result<Vec<(PartnershipId, OrgId)>> {
        let rows: Vec<(Uuid, Uuid)> = on_pool!(self, pool => {
            sqlx::query_as(
                "SELECT p.id, p.org_id FROM partnerships p
                 JOIN exit_strategies s ON s.partnership_id = p.id
                 WHERE p.stage <> 'exit' ORDER BY p.id",
            )
            .fetch_all(pool)
            .await?
        });
        Ok(rows
            .into_iter()
            .map(|(p, o)| (PartnershipId(p), OrgId(o)))
            .collect())
    }
}

type NoticeRow = (
    Option<String>,
    Option<DateTime<Utc>>,
    Option<DateTime<Utc>>,
    Option<String>,
);

type StrategyRow = (
    i64,
    String,
    String,
    String,
    Json<Vec<Trigger>>,
    String,
    DateTime<Utc>,
);

impl OrgStore<'_> {
    /// The partnership's exit strategy, once agreed.
    pub async fn exit_strategy(&self, id: PartnershipId) -> Result<Option<ExitStrategy>> {
        self.partnership(id).await?;
        let row: Option<StrategyRow> = on_pool!(self.store, pool => {
            sqlx::query_as(
                "SELECT notice_days, data_handling, assets, leads, triggers, agreed_by, updated_at
                 FROM exit_strategies WHERE partnership_id = $1",
            )
            .bind(id.0)
            .fetch_optional(pool)
            .await?
        });
        row.map(
            |(notice_days, data, assets, leads, triggers, agreed_by, updated_at)| {
                Ok(ExitStrategy {
                    notice_days,
                    data_handling: DataHandling::parse(&data).ok_or_else(|| {
                        StoreError::Corrupt {
                            column: "exit_strategies.data_handling",
                            detail: data.clone(),
                        }
                    })?,
                    assets,
                    leads,
                    triggers: triggers.0,
                    agreed_by,
                    updated_at,
                })
            },
        )
        .transpose()
    }

    /// Records the exit strategy (replacing an earlier one) in the history.
    #[allow(clippy::too_many_arguments)]
    pub async fn save_exit_strategy(
        &self,
        id: PartnershipId,
        notice_days: i64,
        data_handling: DataHandling,
        assets: &str,
        leads: &str,
        triggers: &[Trigger],
        actor: &Actor,
    ) -> Result<()> {
        let detail = self.partnership(id).await?;
        let us = self.org_uuid();
        let by = format!("{} ({})", actor.label, self.scope.org().name);
        write_tx!(self.store, tx => {
            sqlx::query(
                "INSERT INTO exit_strategies (partnership_id, notice_days, data_handling, assets, leads, triggers, agreed_by, updated_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
                 ON CONFLICT (partnership_id) DO UPDATE SET notice_days = excluded.notice_days,
                    data_handling = excluded.data_handling, assets = excluded.assets, leads = excluded.leads,
                    triggers = excluded.triggers, agreed_by = excluded.agreed_by, updated_at = excluded.updated_at",
            )
            .bind(id.0)
            .bind(notice_days)
            .bind(data_handling.as_str())
            .bind(assets)
            .bind(leads)
            .bind(Json(triggers))
            .bind(by.as_str())
            .bind(now())
            .execute(&mut *tx)
            .await?;
            let said: Vec<String> = triggers.iter().map(Trigger::describe).collect();
            let said = format!("{notice_days} days' notice; triggers: {}", if said.is_empty() { "none".into() } else { said.join("; ") });
            insert_event!(&mut *tx, id.0, us, actor, "exit_strategy_agreed", detail.partnership.stage, said.as_str());
        });
        Ok(())
    }

    /// Records a breach of the rules of engagement.
    pub async fn report_breach(
        &self,
        id: PartnershipId,
        description: &str,
        actor: &Actor,
    ) -> Result<()> {
        let detail = self.partnership(id).await?;
        let us = self.org_uuid();
        let by = format!("{} ({})", actor.label, self.scope.org().name);
        write_tx!(self.store, tx => {
            sqlx::query(
                "INSERT INTO breach_reports (partnership_id, id, org_id, description, reported_by, reported_at)
                 VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .bind(id.0)
            .bind(Uuid::now_v7())
            .bind(us)
            .bind(description)
            .bind(by.as_str())
            .bind(now())
            .execute(&mut *tx)
            .await?;
            insert_event!(&mut *tx, id.0, us, actor, "breach_reported", detail.partnership.stage, description);
        });
        Ok(())
    }

    /// The breaches reported, oldest first.
    pub async fn breaches(&self, id: PartnershipId) -> Result<Vec<String>> {
        self.partnership(id).await?;
        Ok(on_pool!(self.store, pool => {
            sqlx::query_scalar(
                "SELECT description FROM breach_reports WHERE partnership_id = $1 ORDER BY reported_at, id",
            )
            .bind(id.0)
            .fetch_all(pool)
            .await?
        }))
    }

    /// The triggers that fired and still hold.
    pub async fn alerts(&self, id: PartnershipId) -> Result<Vec<Alert>> {
        self.partnership(id).await?;
        let rows: Vec<(String, String, DateTime<Utc>)> = on_pool!(self.store, pool => {
            sqlx::query_as(
                "SELECT trigger_key, reason, fired_at FROM trigger_alerts WHERE partnership_id = $1 ORDER BY fired_at",
            )
            .bind(id.0)
            .fetch_all(pool)
            .await?
        });
        Ok(rows
            .into_iter()
            .map(|(trigger, reason, fired_at)| Alert {
                trigger,
                reason,
                fired_at,
            })
            .collect())
    }

    /// Makes the stored alerts match the triggers that hold now, and returns those that
    /// newly fired (each is recorded in the history). A trigger that stops holding can fire
    /// again later.
    pub async fn sync_alerts(
        &self,
        id: PartnershipId,
        holding: &[(String, String)],
        actor: &Actor,
    ) -> Result<Vec<(String, String)>> {
        let detail = self.partnership(id).await?;
        let known: Vec<String> = self
            .alerts(id)
            .await?
            .into_iter()
            .map(|a| a.trigger)
            .collect();
        let fresh: Vec<(String, String)> = holding
            .iter()
            .filter(|(key, _)| !known.contains(key))
            .cloned()
            .collect();
        let gone: Vec<&String> = known
            .iter()
            .filter(|key| !holding.iter().any(|(k, _)| k == *key))
            .collect();
        if fresh.is_empty() && gone.is_empty() {
            return Ok(fresh);
        }
        let us = self.org_uuid();
        write_tx!(self.store, tx => {
            for key in &gone {
                sqlx::query("DELETE FROM trigger_alerts WHERE partnership_id = $1 AND trigger_key = $2")
                    .bind(id.0)
                    .bind(key.as_str())
                    .execute(&mut *tx)
                    .await?;
            }
            for (key, reason) in &fresh {
                sqlx::query(
                    "INSERT INTO trigger_alerts (partnership_id, trigger_key, reason, fired_at) VALUES ($1, $2, $3, $4)",
                )
                .bind(id.0)
                .bind(key.as_str())
                .bind(reason.as_str())
                .bind(now())
                .execute(&mut *tx)
                .await?;
                insert_event!(&mut *tx, id.0, us, actor, "trigger_fired", detail.partnership.stage, reason.as_str());
            }
        });
        Ok(fresh)
    }

    /// Ends the partnership: it moves to the exit stage with the closing review; with
    /// `stop_sharing`, every member stops sharing accounts with the others at once.
    pub async fn exit_partnership(
        &self,
        id: PartnershipId,
        review: &str,
        stop_sharing: bool,
        actor: &Actor,
    ) -> Result<()> {
        let detail = self.partnership(id).await?;
        if detail.partnership.stage == Stage::Exit {
            return Err(StoreError::Rule(
                "the partnership has already exited".into(),
            ));
        }
        let us = self.org_uuid();
        let members: Vec<Uuid> = detail.partnership.members.iter().map(|m| m.id.0).collect();
        let from = detail.partnership.stage;
        write_tx!(self.store, tx => {
            sqlx::query(
                "UPDATE partnerships SET stage = 'exit', closing_review = $2, exited_at = $3, updated_at = $3 WHERE id = $1",
            )
            .bind(id.0)
            .bind(review)
            .bind(now())
            .execute(&mut *tx)
            .await?;
            if stop_sharing {
                for owner in &members {
                    for partner in members.iter().filter(|p| *p != owner) {
                        sqlx::query("DELETE FROM sharing_policies WHERE org_id = $1 AND partner_org_id = $2")
                            .bind(*owner)
                            .bind(*partner)
                            .execute(&mut *tx)
                            .await?;
                    }
                }
            }
            let said = format!("{} → Exit. Closing review: {review}", from.label());
            insert_event!(&mut *tx, id.0, us, actor, "exited", Stage::Exit, said.as_str());
            for member in &members {
                insert_audit!(&mut *tx, *member, actor, AuditAction::PartnershipAdvanced, id.to_string(),
                    json!({ "from": from.as_str(), "to": "exit", "by": self.scope.org().handle, "stop_sharing": stop_sharing }));
            }
        });
        Ok(())
    }

    /// Gives notice of exit with the closing review: the exit takes effect at `effective_at`.
    pub async fn give_exit_notice(
        &self,
        id: PartnershipId,
        review: &str,
        effective_at: DateTime<Utc>,
        actor: &Actor,
    ) -> Result<()> {
        let detail = self.partnership(id).await?;
        if detail.partnership.stage == Stage::Exit {
            return Err(StoreError::Rule(
                "the partnership has already exited".into(),
            ));
        }
        let us = self.org_uuid();
        let stage = detail.partnership.stage;
        write_tx!(self.store, tx => {
            let done = sqlx::query(
                "UPDATE partnerships SET exit_notice_by = $2, exit_notice_at = $3, exit_effective_at = $4,
                    closing_review = $5, updated_at = $3
                 WHERE id = $1 AND exit_effective_at IS NULL AND stage <> 'exit'",
            )
            .bind(id.0)
            .bind(us)
            .bind(now())
            .bind(effective_at)
            .bind(review)
            .execute(&mut *tx)
            .await?;
            if done.rows_affected() == 0 {
                return Err(StoreError::Rule(
                    "notice of exit was given already".into(),
                ));
            }
            let said = format!(
                "Notice of exit given; the exit takes effect on {}. Closing review: {review}",
                effective_at.format("%Y-%m-%d")
            );
            insert_event!(&mut *tx, id.0, us, actor, "exit_notice", stage, said.as_str());
        });
        Ok(())
    }

    /// Withdraws the notice of exit: the partnership goes on.
    pub async fn withdraw_exit_notice(&self, id: PartnershipId, actor: &Actor) -> Result<()> {
        let detail = self.partnership(id).await?;
        let us = self.org_uuid();
        let stage = detail.partnership.stage;
        write_tx!(self.store, tx => {
            let done = sqlx::query(
                "UPDATE partnerships SET exit_notice_by = NULL, exit_notice_at = NULL, exit_effective_at = NULL,
                    closing_review = NULL, updated_at = $2
                 WHERE id = $1 AND exit_effective_at IS NOT NULL AND stage <> 'exit'",
            )
            .bind(id.0)
            .bind(now())
            .execute(&mut *tx)
            .await?;
            if done.rows_affected() == 0 {
                return Err(StoreError::Rule("no notice of exit is running".into()));
            }
            insert_event!(&mut *tx, id.0, us, actor, "exit_notice_withdrawn", stage,
                "Notice of exit withdrawn; the partnership goes on.");
        });
        Ok(())
    }

    /// The running notice of exit, if one was given and the exit has not happened yet.
    pub async fn exit_notice(&self, id: PartnershipId) -> Result<Option<ExitNotice>> {
        self.partnership(id).await?;
        let row: Option<NoticeRow> = on_pool!(self.store, pool => {
            sqlx::query_as(
                "SELECT o.name, p.exit_notice_at, p.exit_effective_at, p.closing_review
                     FROM partnerships p LEFT JOIN organizations o ON o.id = p.exit_notice_by
                     WHERE p.id = $1 AND p.stage <> 'exit'",
            )
            .bind(id.0)
            .fetch_optional(pool)
            .await?
        });
        Ok(match row {
            Some((by, Some(given_at), Some(effective_at), review)) => Some(ExitNotice {
                by: by.unwrap_or_default(),
                given_at,
                effective_at,
                review: review.unwrap_or_default(),
            }),
            _ => None,
        })
    }

    /// The closing review, once the partnership exited.
    pub async fn closing_review(
        &self,
        id: PartnershipId,
    ) -> Result<Option<(String, DateTime<Utc>)>> {
        self.partnership(id).await?;
        let row: Option<(Option<String>, Option<DateTime<Utc>>)> = on_pool!(self.store, pool => {
            sqlx::query_as("SELECT closing_review, exited_at FROM partnerships WHERE id = $1")
                .bind(id.0)
                .fetch_optional(pool)
                .await?
        });
        Ok(row.and_then(|(review, at)| review.zip(at)))
    }
}
