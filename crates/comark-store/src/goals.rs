//! A partnership's shared goals with their readings, each member's commitments and
//! deliveries, and the health computed from them.

use chrono::{DateTime, NaiveDate, Utc};
use comark_domain::goals::{self, ContributionKind, GoalStatus, Health, SideContribution};
use comark_domain::{GoalId, OrgId, PartnershipId};
use serde::Serialize;
use uuid::Uuid;

use crate::partnerships::insert_event;
use crate::{now, on_pool, write_tx, Actor, OrgStore, Result, StoreError};

/// One reading of a goal.
#[derive(Clone, Debug, Serialize)]
pub struct Reading {
    /// The figure reached.
    pub value: f64,
    /// By which day.
    pub on: NaiveDate,
    /// A note.
    pub note: String,
    /// Who recorded it.
    pub by: String,
}

/// A shared goal with its readings and status.
#[derive(Clone, Debug, Serialize)]
pub struct Goal {
    /// Its id.
    pub id: GoalId,
    /// What is measured.
    pub metric: String,
    /// The target.
    pub target: f64,
    /// The unit (leads, EUR, registrations...).
    pub unit: String,
    /// The period's first day.
    pub starts_on: NaiveDate,
    /// The period's last day.
    pub ends_on: NaiveDate,
    /// The member organization that owns it.
    pub owner_org: OrgId,
    /// The latest reading's figure, if any.
    pub current: Option<f64>,
    /// Where it stands today.
    pub status: GoalStatus,
    /// Every reading, oldest first.
    pub readings: Vec<Reading>,
}

/// A new goal.
#[derive(Clone, Debug)]
pub struct GoalInput {
    /// What is measured.
    pub metric: String,
    /// The target.
    pub target: f64,
    /// The unit.
    pub unit: String,
    /// The period's first day.
    pub starts_on: NaiveDate,
    /// The period's last day.
    pub ends_on: NaiveDate,
    /// The member organization that owns it.
    pub owner_org: OrgId,
}

/// One member's commitments and deliveries.
#[derive(Clone, Debug, Serialize)]
pub struct Side {
    /// The member.
    pub org: OrgId,
    /// Its name.
    pub name: String,
    /// Per kind it committed to or delivered: (kind, committed, delivered).
    pub kinds: Vec<(ContributionKind, f64, f64)>,
    /// The share of its commitments it delivered, when it committed to anything.
    pub delivered_share: Option<f64>,
}

/// Goals, contributions and health of one partnership.
#[derive(Clone, Debug, Serialize)]
pub struct Performance {
    /// The shared goals.
    pub goals: Vec<Goal>,
    /// Each member's commitments and deliveries.
    pub sides: Vec<Side>,
    /// The relationship's health with its reasons.
    pub health: Health,
}

type GoalRow = (Uuid, String, f64, String, NaiveDate, NaiveDate, Uuid);

impl OrgStore<'_> {
    /// The goals, contributions and health of a partnership this organization may see.
    pub async fn performance(&self, id: PartnershipId) -> Result<Performance> {
        let detail = self.partnership(id).await?;
        let today = now().date_naive();
        let rows: Vec<GoalRow> = on_pool!(self.store, pool => {
            sqlx::query_as(
                "SELECT id, metric, target, unit, starts_on, ends_on, owner_org FROM partnership_goals
                 WHERE partnership_id = $1 ORDER BY created_at, id",
            )
            .bind(id.0)
            .fetch_all(pool)
            .await?
        });
        let readings: Vec<(Uuid, f64, NaiveDate, String, String)> = on_pool!(self.store, pool => {
            sqlx::query_as(
                "SELECT goal_id, value, recorded_on, note, recorded_by FROM goal_progress
                 WHERE partnership_id = $1 ORDER BY recorded_on, created_at, id",
            )
            .bind(id.0)
            .fetch_all(pool)
            .await?
        });
        let goals: Vec<Goal> = rows
            .into_iter()
            .map(|(goal, metric, target, unit, starts_on, ends_on, owner)| {
                let readings: Vec<Reading> = readings
                    .iter()
                    .filter(|r| r.0 == goal)
                    .map(|(_, value, on, note, by)| Reading {
                        value: *value,
                        on: *on,
                        note: note.clone(),
                        by: by.clone(),
                    })
                    .collect();
                let current = readings.last().map(|r| r.value);
                Goal {
                    id: GoalId(goal),
                    status: goals::goal_status(
                        target,
                        current.unwrap_or(0.0),
                        starts_on,
                        ends_on,
                        today,
                    ),
                    metric,
                    target,
                    unit,
                    starts_on,
                    ends_on,
                    owner_org: OrgId(owner),
                    current,
                    readings,
                }
            })
            .collect();
        let committed: Vec<(Uuid, String, f64)> = on_pool!(self.store, pool => {
            sqlx::query_as("SELECT org_id, kind, amount FROM commitments WHERE partnership_id = $1")
                .bind(id.0)
                .fetch_all(pool)
                .await?
        });
        let delivered: Vec<(Uuid, String, f64)> = on_pool!(self.store, pool => {
            sqlx::query_as(
                "SELECT org_id, kind, SUM(amount) FROM contributions WHERE partnership_id = $1 GROUP BY org_id, kind",
            )
            .bind(id.0)
            .fetch_all(pool)
            .await?
        });
        let mut sides = Vec::new();
        for member in &detail.partnership.members {
            let mut kinds = Vec::new();
            for kind in ContributionKind::ALL {
                let find = |rows: &[(Uuid, String, f64)]| {
                    rows.iter()
                        .find(|(org, k, _)| *org == member.id.0 && k == kind.as_str())
                        .map(|(_, _, amount)| *amount)
                };
                let (c, d) = (find(&committed), find(&delivered));
                if c.is_some() || d.is_some() {
                    kinds.push((kind, c.unwrap_or(0.0), d.unwrap_or(0.0)));
                }
            }
            let contribution = SideContribution {
                side: member.name.clone(),
                kinds: kinds.clone(),
            };
            sides.push(Side {
                org: member.id,
                name: member.name.clone(),
                delivered_share: contribution.delivered_share(),
                kinds,
            });
        }
        let last_activity = detail.history.first().map(|e| e.at);
        let contributions: Vec<SideContribution> = sides
            .iter()
            .map(|s| SideContribution {
                side: s.name.clone(),
                kinds: s.kinds.clone(),
            })
            .collect();
        let statuses: Vec<GoalStatus> = goals.iter().map(|g| g.status).collect();
        let waiting = self.longest_wait(&detail).await?;
        let health = goals::health(
            &statuses,
            &contributions,
            waiting.as_ref(),
            last_activity.map(|at: DateTime<Utc>| (now() - at).num_days()),
        );
        Ok(Performance {
            goals,
            sides,
            health,
        })
    }

    /// The joint decision left waiting longest: approving the move on from the current stage
    /// once a member asked, or approving the current rules of engagement once written.
    async fn longest_wait(
        &self,
        detail: &crate::partnerships::PartnershipDetail,
    ) -> Result<Option<goals::Waiting>> {
        if detail.partnership.stage == comark_domain::partnership::Stage::Exit {
            return Ok(None);
        }
        let id = detail.partnership.id;
        let at = now();
        let mut waits: Vec<goals::Waiting> = Vec::new();
        let stage = detail.partnership.stage;
        if let Some(first) = detail.approvals.iter().map(|a| a.at).min() {
            for member in &detail.partnership.members {
                if !detail.approvals.iter().any(|a| a.org == member.id) {
                    waits.push(goals::Waiting {
                        member: member.name.clone(),
                        what: format!("approve leaving {}", stage.label().to_lowercase()),
                        days: (at - first).num_days(),
                    });
                }
            }
        }
        let rules: Option<(i64, DateTime<Utc>)> = on_pool!(self.store, pool => {
            sqlx::query_as("SELECT version, updated_at FROM engagement_rules WHERE partnership_id = $1")
                .bind(id.0)
                .fetch_optional(pool)
                .await?
        });
        if let Some((version, written)) = rules {
            let approved: Vec<Uuid> = on_pool!(self.store, pool => {
                sqlx::query_scalar("SELECT org_id FROM engagement_approvals WHERE partnership_id = $1 AND version = $2")
                    .bind(id.0)
                    .bind(version)
                    .fetch_all(pool)
                    .await?
            });
            for member in &detail.partnership.members {
                if !approved.contains(&member.id.0) {
                    waits.push(goals::Waiting {
                        member: member.name.clone(),
                        what: format!("approve version {version} of the rules of engagement"),
                        days: (at - written).num_days(),
                    });
                }
            }
        }
        Ok(waits.into_iter().max_by_key(|w| w.days))
    }

    /// Adds a shared goal.
    pub async fn add_goal(
        &self,
        id: PartnershipId,
        goal: &GoalInput,
        actor: &Actor,
    ) -> Result<GoalId> {
        let detail = self.partnership(id).await?;
        if !detail
            .partnership
            .members
            .iter()
            .any(|m| m.id == goal.owner_org)
        {
            return Err(StoreError::Rule(
                "the goal's owner must be a member organization".into(),
            ));
        }
        let goal_id = GoalId::new();
        let us = self.org_uuid();
        write_tx!(self.store, tx => {
            sqlx::query(
                "INSERT INTO partnership_goals (partnership_id, id, metric, target, unit, starts_on, ends_on, owner_org, created_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
            )
            .bind(id.0)
            .bind(goal_id.0)
            .bind(&goal.metric)
            .bind(goal.target)
            .bind(&goal.unit)
            .bind(goal.starts_on)
            .bind(goal.ends_on)
            .bind(goal.owner_org.0)
            .bind(now())
            .execute(&mut *tx)
            .await?;
            let said = format!("{}: {} {} from {} to {}", goal.metric, goal.target, goal.unit, goal.starts_on, goal.ends_on);
            insert_event!(&mut *tx, id.0, us, actor, "goal_added", detail.partnership.stage, said.as_str());
        });
        Ok(goal_id)
    }

    /// Records a goal's reading: the figure reached by `on`.
    pub async fn record_progress(
        &self,
        id: PartnershipId,
        goal: GoalId,
        value: f64,
        on: NaiveDate,
        note: &str,
        actor: &Actor,
    ) -> Result<()> {
        let detail = self.partnership(id).await?;
        let metric: Option<String> = on_pool!(self.store, pool => {
            sqlx::query_scalar("SELECT metric FROM partnership_goals WHERE partnership_id = $1 AND id = $2")
                .bind(id.0)
                .bind(goal.0)
                .fetch_optional(pool)
                .await?
        });
        let metric = metric.ok_or(StoreError::NotFound)?;
        let us = self.org_uuid();
        let by = format!("{} ({})", actor.label, self.scope.org().name);
        write_tx!(self.store, tx => {
            sqlx::query(
                "INSERT INTO goal_progress (partnership_id, goal_id, id, value, recorded_on, note, recorded_by, created_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            )
            .bind(id.0)
            .bind(goal.0)
            .bind(Uuid::now_v7())
            .bind(value)
            .bind(on)
            .bind(note)
            .bind(by.as_str())
            .bind(now())
            .execute(&mut *tx)
            .await?;
            let said = format!("{metric}: {value} by {on}");
            insert_event!(&mut *tx, id.0, us, actor, "progress_recorded", detail.partnership.stage, said.as_str());
        });
        Ok(())
    }

    /// Sets what this organization commits of one kind (0 withdraws the commitment).
    pub async fn set_commitment(
        &self,
        id: PartnershipId,
        kind: ContributionKind,
        amount: f64,
        actor: &Actor,
    ) -> Result<()> {
        let detail = self.partnership(id).await?;
        let us = self.org_uuid();
        write_tx!(self.store, tx => {
            sqlx::query(
                "INSERT INTO commitments (partnership_id, org_id, kind, amount, updated_at) VALUES ($1, $2, $3, $4, $5)
                 ON CONFLICT (partnership_id, org_id, kind) DO UPDATE SET amount = excluded.amount, updated_at = excluded.updated_at",
            )
            .bind(id.0)
            .bind(us)
            .bind(kind.as_str())
            .bind(amount)
            .bind(now())
            .execute(&mut *tx)
            .await?;
            let said = format!("{} commits {amount} {}", self.scope.org().name, kind.label().to_lowercase());
            insert_event!(&mut *tx, id.0, us, actor, "commitment_set", detail.partnership.stage, said.as_str());
        });
        Ok(())
    }

    /// Records what this organization delivered.
    pub async fn record_contribution(
        &self,
        id: PartnershipId,
        kind: ContributionKind,
        amount: f64,
        on: NaiveDate,
        note: &str,
        actor: &Actor,
    ) -> Result<()> {
        let detail = self.partnership(id).await?;
        let us = self.org_uuid();
        let by = format!("{} ({})", actor.label, self.scope.org().name);
        write_tx!(self.store, tx => {
            sqlx::query(
                "INSERT INTO contributions (partnership_id, id, org_id, kind, amount, delivered_on, note, recorded_by, created_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
            )
            .bind(id.0)
            .bind(Uuid::now_v7())
            .bind(us)
            .bind(kind.as_str())
            .bind(amount)
            .bind(on)
            .bind(note)
            .bind(by.as_str())
            .bind(now())
            .execute(&mut *tx)
            .await?;
            let said = format!("{} delivered {amount} {}", self.scope.org().name, kind.label().to_lowercase());
            insert_event!(&mut *tx, id.0, us, actor, "contribution_recorded", detail.partnership.stage, said.as_str());
        });
        Ok(())
    }
}
