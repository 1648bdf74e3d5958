//! Partnerships: members, the stage, each stage's gate, approvals and history.
//!
//! A member organization reads a partnership while it is the one that started it, or while
//! it has an accepted connection with that organization. Every query here states that rule
//! (`VISIBLE`), so ending the connection ends the access with the next request.

use chrono::{DateTime, Utc};
use comark_domain::assessment::{met_at_start, Feed};
use comark_domain::intake::RequestStatus;
use comark_domain::partnership::{self, risk_score, Advance, GateItem, RiskLevel, Stage};
use comark_domain::{AuditAction, GateItemId, OrgId, PartnershipId, RequestId, RiskId};
use serde::Serialize;
use serde_json::json;
use uuid::Uuid;

use crate::assessment::met_by_assessment;
use crate::audit::insert_audit;
use crate::intake::request_event;
use crate::{now, on_pool, write_tx, Actor, OrgStore, Result, StoreError};

/// The condition, on `p` (partnerships) and the viewer `$1`, for reading a partnership.
pub(crate) const VISIBLE: &str =
    "EXISTS (SELECT 1 FROM partnership_members m WHERE m.partnership_id = p.id AND m.org_id = $1)
    AND (p.org_id = $1 OR EXISTS (
        SELECT 1 FROM connections c WHERE c.status = 'accepted'
          AND ((c.requester_org_id = $1 AND c.invitee_org_id = p.org_id)
            OR (c.requester_org_id = p.org_id AND c.invitee_org_id = $1))))";

/// A member organization, as the partnership shows it.
#[derive(Clone, Debug, Serialize, sqlx::FromRow)]
pub struct Member {
    /// Its id.
    #[sqlx(try_from = "Uuid")]
    pub id: OrgId,
    /// Its handle.
    pub handle: String,
    /// Its name.
    pub name: String,
}

/// A partnership in a list.
#[derive(Clone, Debug, Serialize)]
pub struct Partnership {
    /// Its id.
    pub id: PartnershipId,
    /// Its name.
    pub name: String,
    /// What it is for.
    pub purpose: String,
    /// Where it stands.
    pub stage: Stage,
    /// Who started it.
    pub started_by: OrgId,
    /// Every member, the starter included.
    pub members: Vec<Member>,
    /// When it started.
    pub created_at: DateTime<Utc>,
    /// When it last changed.
    pub updated_at: DateTime<Utc>,
}

/// One piece of evidence of a gate.
#[derive(Clone, Debug, Serialize)]
pub struct GateEvidence {
    /// Its id.
    pub id: GateItemId,
    /// The stage whose gate it belongs to.
    pub stage: Stage,
    /// What must be true.
    pub text: String,
    /// Who marked it met, and when.
    pub met: Option<(String, DateTime<Utc>)>,
    /// The part of the internal assessment that meets it, if any.
    pub fed_by: Option<Feed>,
}

/// A member's approval of leaving a stage.
#[derive(Clone, Debug, Serialize)]
pub struct Approval {
    /// The stage left.
    pub stage: Stage,
    /// The approving organization.
    pub org: OrgId,
    /// Who approved.
    pub by: String,
    /// When.
    pub at: DateTime<Utc>,
}

/// One entry of a partnership's history.
#[derive(Clone, Debug, Serialize)]
pub struct PartnershipEvent {
    /// When.
    pub at: DateTime<Utc>,
    /// The organization that acted.
    pub org: String,
    /// The person or process that acted.
    pub actor: String,
    /// created, evidence_met, evidence_reopened, evidence_added, evidence_removed, approved, advanced.
    pub kind: String,
    /// The stage it concerned.
    pub stage: Stage,
    /// Details in words (the evidence, the reason).
    pub detail: String,
}

/// A risk in a partnership's register.
#[derive(Clone, Debug, Serialize)]
pub struct Risk {
    /// Its id.
    pub id: RiskId,
    /// What could go wrong.
    pub title: String,
    /// How likely it is.
    pub likelihood: RiskLevel,
    /// How much it would hurt.
    pub impact: RiskLevel,
    /// Likelihood times impact, 1 to 9.
    pub score: u8,
    /// The member organization that watches it.
    pub owner_org: OrgId,
    /// The person there.
    pub owner: String,
    /// What is done about it.
    pub mitigation: String,
    /// When to look at it again.
    pub review_on: Option<chrono::NaiveDate>,
    /// When it was closed, if it was.
    pub closed_at: Option<DateTime<Utc>>,
}

/// A risk as entered.
#[derive(Clone, Debug)]
pub struct RiskInput {
    /// What could go wrong.
    pub title: String,
    /// How likely it is.
    pub likelihood: RiskLevel,
    /// How much it would hurt.
    pub impact: RiskLevel,
    /// The member organization that watches it.
    pub owner_org: OrgId,
    /// The person there.
    pub owner: String,
    /// What is done about it.
    pub mitigation: String,
    /// When to look at it again.
    pub review_on: Option<chrono::NaiveDate>,
    /// Whether it is closed.
    pub closed: bool,
}

/// A partnership with its gates, approvals and history.
#[derive(Clone, Debug, Serialize)]
pub struct PartnershipDetail {
    /// The partnership.
    pub partnership: Partnership,
    /// The evidence of every stage's gate, in stage order.
    pub gates: Vec<GateEvidence>,
    /// The approvals of leaving the current stage.
    pub approvals: Vec<Approval>,
    /// Newest first.
    pub history: Vec<PartnershipEvent>,
    /// The risk register: open risks first, worst first.
    pub risks: Vec<Risk>,
}

#[derive(sqlx::FromRow)]
struct RiskRow {
    id: Uuid,
    title: String,
    likelihood: String,
    impact: String,
    owner_org: Uuid,
    owner: String,
    mitigation: String,
    review_on: Option<chrono::NaiveDate>,
    closed_at: Option<DateTime<Utc>>,
}

fn level_of(raw: &str) -> Result<RiskLevel> {
    RiskLevel::parse(raw).ok_or_else(|| StoreError::Corrupt {
        column: "partnership_risks.level",
        detail: raw.to_owned(),
    })
}

#[derive(sqlx::FromRow)]
struct PartnershipRow {
    id: Uuid,
    org_id: Uuid,
    name: String,
    purpose: String,
    stage: String,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

/// A gate item as read: id, stage, text, who met it and when, what feeds it.
type EvidenceRow = (
    Uuid,
    String,
    String,
    Option<String>,
    Option<DateTime<Utc>>,
    Option<String>,
);

fn stage_of(raw: &str) -> Result<Stage> {
    Stage::parse(raw).ok_or_else(|| StoreError::Corrupt {
        column: "partnerships.stage",
        detail: raw.to_owned(),
    })
}

/// Records one history entry (inside the caller's transaction).
macro_rules! insert_event {
    ($conn:expr, $partnership:expr, $org:expr, $actor:expr, $kind:expr, $stage:expr, $detail:expr) => {
        sqlx::query(
            "INSERT INTO partnership_events (partnership_id, id, occurred_at, org_id, actor, kind, stage, detail)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind($partnership)
        .bind(Uuid::now_v7())
        .bind(now())
        .bind($org)
        .bind($actor.label.as_str())
        .bind($kind)
        .bind($stage.as_str())
        .bind($detail)
        .execute($conn)
        .await?
    };
}
pub(crate) use insert_event;

/// Withdraws every approval of leaving `$stage` (inside the caller's transaction).
macro_rules! withdraw_approvals {
    ($conn:expr, $partnership:expr, $stage:expr) => {
        sqlx::query("DELETE FROM stage_approvals WHERE partnership_id = $1 AND stage = $2")
            .bind($partnership)
            .bind($stage.as_str())
            .execute($conn)
            .await?
    };
}

/// Marks a partnership changed (inside the caller's transaction).
macro_rules! touch {
    ($conn:expr, $partnership:expr) => {
        sqlx::query("UPDATE partnerships SET updated_at = $2 WHERE id = $1")
            .bind($partnership)
            .bind(now())
            .execute($conn)
            .await?
    };
}

/// Locks a partnership that `$org` may see for the rest of the transaction and reads its
/// stage, or fails with `NotFound`. Every change that depends on the stage or on the
/// approvals takes it first, so two members acting at once run one after the other: on
/// PostgreSQL the row lock waits for the other transaction (whose changes the next
/// statements then see), on SQLite `BEGIN IMMEDIATE` already did.
macro_rules! lock_partnership {
    ($conn:expr, $org:expr, $id:expr) => {{
        let locked = sqlx::query(&format!(
            "UPDATE partnerships SET updated_at = updated_at
             WHERE id = $2 AND id IN (SELECT p.id FROM partnerships p WHERE {VISIBLE} AND p.id = $2)"
        ))
        .bind($org)
        .bind($id)
        .execute(&mut *$conn)
        .await?;
        if locked.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        let stage: String = sqlx::query_scalar("SELECT stage FROM partnerships WHERE id = $1")
            .bind($id)
            .fetch_one(&mut *$conn)
            .await?;
        stage_of(&stage)?
    }};
}

/// The refusal of a change to the evidence of a gate already passed.
fn gate_passed() -> StoreError {
    StoreError::Rule("this gate is passed; its evidence stays on record".into())
}

impl OrgStore<'_> {
    /// Starts a partnership with connected partners, its gates seeded from this
    /// organization's template (or the defaults), with the items its internal assessment
    /// already answers met. `NotFound` if one of them is not a connected partner.
    /// With `from_request`, the accepted request it starts from is linked to it in the same
    /// transaction, and a request that has one already refuses a second.
    pub async fn create_partnership(
        &self,
        name: &str,
        purpose: &str,
        partners: &[OrgId],
        from_request: Option<RequestId>,
        actor: &Actor,
    ) -> Result<PartnershipId> {
        for partner in partners {
            if self.accepted_connection_with(*partner).await?.is_none() {
                return Err(StoreError::NotFound);
            }
        }
        let us = self.org_uuid();
        let id = PartnershipId::new();
        let at = now();
        let templates = self.gate_templates().await?;
        let latest = self.internal_assessments(1).await?;
        let answers = latest.first().map(|a| &a.answers);
        let met_by = met_by_assessment(&self.scope.org().name);
        let via = Actor {
            label: format!("{} (internal assessment)", actor.label),
            ..actor.clone()
        };
        write_tx!(self.store, tx => {
            sqlx::query(
                "INSERT INTO partnerships (id, org_id, name, purpose, stage, created_at, updated_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $6)",
            )
            .bind(id.0)
            .bind(us)
            .bind(name)
            .bind(purpose)
            .bind(Stage::Awareness.as_str())
            .bind(at)
            .execute(&mut *tx)
            .await?;
            if let Some(request) = from_request {
                let linked = sqlx::query(
                    "UPDATE partnership_requests SET partnership_id = $3, updated_at = $4
                     WHERE org_id = $1 AND id = $2 AND status = $5 AND partnership_id IS NULL",
                )
                .bind(us)
                .bind(request.0)
                .bind(id.0)
                .bind(at)
                .bind(RequestStatus::Accepted.as_str())
                .execute(&mut *tx)
                .await?;
                if linked.rows_affected() == 0 {
                    return Err(StoreError::Rule(
                        "a partnership was started from this request already".into(),
                    ));
                }
                request_event!(&mut *tx, us, request.0, actor.label.as_str(), "partnership_started",
                    format!("started the partnership \"{name}\""));
            }
            for member in std::iter::once(us).chain(partners.iter().map(|p| p.0)) {
                sqlx::query("INSERT INTO partnership_members (partnership_id, org_id, joined_at) VALUES ($1, $2, $3)")
                    .bind(id.0)
                    .bind(member)
                    .bind(at)
                    .execute(&mut *tx)
                    .await?;
                insert_audit!(&mut *tx, member, actor, AuditAction::PartnershipCreated, id.to_string(),
                    json!({ "name": name, "by": self.scope.org().handle }));
            }
            insert_event!(&mut *tx, id.0, us, actor, "created", Stage::Awareness, name);
            for stage in Stage::ALL {
                let items = templates
                    .iter()
                    .find(|t| t.stage == stage)
                    .map_or_else(|| stage.default_template(), |t| t.items.clone());
                for (position, item) in items.iter().enumerate() {
                    let met = met_at_start(stage, item, answers);
                    sqlx::query(
                        "INSERT INTO gate_items (partnership_id, id, stage, text, position, fed_by, met_by_org, met_by, met_at)
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
                    )
                    .bind(id.0)
                    .bind(Uuid::now_v7())
                    .bind(stage.as_str())
                    .bind(item.text.as_str())
                    .bind(position as i64)
                    .bind(item.fed_by.map(Feed::as_str))
                    .bind(met.then_some(us))
                    .bind(met.then_some(met_by.as_str()))
                    .bind(met.then_some(at))
                    .execute(&mut *tx)
                    .await?;
                    if met {
                        insert_event!(&mut *tx, id.0, us, via, "evidence_met", stage, item.text.as_str());
                    }
                }
            }
        });
        Ok(id)
    }

    /// Whom to tell about a partnership's decisions in the other member organizations (and,
    /// with `include_own`, this one): their owners, admins and partner managers, as (e-mail,
    /// organization handle, organization name).
    /// Only for the mail this organization's actions cause; never shown to its members.
    pub async fn partnership_contacts(
        &self,
        id: PartnershipId,
        include_own: bool,
    ) -> Result<Vec<(String, String, String)>> {
        Ok(on_pool!(self.store, pool => {
            sqlx::query_as(&format!(
                "SELECT u.email, o.handle, o.name
                 FROM partnerships p
                 JOIN partnership_members pm ON pm.partnership_id = p.id AND ($3 OR pm.org_id <> $1)
                 JOIN organizations o ON o.id = pm.org_id
                 JOIN memberships ms ON ms.org_id = pm.org_id AND ms.role IN ('owner', 'admin', 'partner_manager')
                 JOIN users u ON u.id = ms.user_id
                 WHERE p.id = $2 AND {VISIBLE}
                 ORDER BY o.handle, u.email"
            ))
            .bind(self.org_uuid())
            .bind(id.0)
            .bind(include_own)
            .fetch_all(pool)
            .await?
        }))
    }

    /// The partnerships this organization may see, most recently changed first.
    pub async fn partnerships(&self) -> Result<Vec<Partnership>> {
        let rows: Vec<PartnershipRow> = on_pool!(self.store, pool => {
            sqlx::query_as(&format!(
                "SELECT p.id, p.org_id, p.name, p.purpose, p.stage, p.created_at, p.updated_at
                 FROM partnerships p WHERE {VISIBLE} ORDER BY p.updated_at DESC, p.id DESC"
            ))
            .bind(self.org_uuid())
            .fetch_all(pool)
            .await?
        });
        let mut out = Vec::with_capacity(rows.len());
        for row in rows {
            out.push(self.with_members(row).await?);
        }
        Ok(out)
    }

    async fn with_members(&self, row: PartnershipRow) -> Result<Partnership> {
        let members: Vec<Member> = on_pool!(self.store, pool => {
            sqlx::query_as(
                "SELECT o.id, o.handle, o.name FROM partnership_members m JOIN organizations o ON o.id = m.org_id
                 WHERE m.partnership_id = $1
                 ORDER BY m.joined_at, CASE WHEN m.org_id = $2 THEN 0 ELSE 1 END, o.name",
            )
            .bind(row.id)
            .bind(row.org_id)
            .fetch_all(pool)
            .await?
        });
        Ok(Partnership {
            id: PartnershipId(row.id),
            name: row.name,
            purpose: row.purpose,
            stage: stage_of(&row.stage)?,
            started_by: OrgId(row.org_id),
            members,
            created_at: row.created_at,
            updated_at: row.updated_at,
        })
    }

    /// One partnership this organization may see, with its gates, approvals and history.
    pub async fn partnership(&self, id: PartnershipId) -> Result<PartnershipDetail> {
        let row: Option<PartnershipRow> = on_pool!(self.store, pool => {
            sqlx::query_as(&format!(
                "SELECT p.id, p.org_id, p.name, p.purpose, p.stage, p.created_at, p.updated_at
                 FROM partnerships p WHERE {VISIBLE} AND p.id = $2"
            ))
            .bind(self.org_uuid())
            .bind(id.0)
            .fetch_optional(pool)
            .await?
        });
        let partnership = self.with_members(row.ok_or(StoreError::NotFound)?).await?;
        let items: Vec<EvidenceRow> = on_pool!(self.store, pool => {
            sqlx::query_as(
                "SELECT id, stage, text, met_by, met_at, fed_by FROM gate_items WHERE partnership_id = $1 ORDER BY position, id",
            )
            .bind(id.0)
            .fetch_all(pool)
            .await?
        });
        let mut gates = Vec::with_capacity(items.len());
        for (item, stage, text, met_by, met_at, fed_by) in items {
            gates.push(GateEvidence {
                id: GateItemId(item),
                stage: stage_of(&stage)?,
                text,
                met: met_by.zip(met_at),
                fed_by: fed_by.as_deref().and_then(Feed::parse),
            });
        }
        gates.sort_by_key(|g| g.stage);
        let approvals: Vec<(Uuid, String, DateTime<Utc>)> = on_pool!(self.store, pool => {
            sqlx::query_as(
                "SELECT org_id, approved_by, approved_at FROM stage_approvals
                 WHERE partnership_id = $1 AND stage = $2 ORDER BY approved_at",
            )
            .bind(id.0)
            .bind(partnership.stage.as_str())
            .fetch_all(pool)
            .await?
        });
        let events: Vec<(DateTime<Utc>, String, String, String, String, String)> = on_pool!(self.store, pool => {
            sqlx::query_as(
                "SELECT e.occurred_at, o.name, e.actor, e.kind, e.stage, e.detail
                 FROM partnership_events e JOIN organizations o ON o.id = e.org_id
                 WHERE e.partnership_id = $1 ORDER BY e.occurred_at DESC, e.id DESC",
            )
            .bind(id.0)
            .fetch_all(pool)
            .await?
        });
        let mut history = Vec::with_capacity(events.len());
        for (at, org, actor, kind, stage, detail) in events {
            history.push(PartnershipEvent {
                at,
                org,
                actor,
                kind,
                stage: stage_of(&stage)?,
                detail,
            });
        }
        let rows: Vec<RiskRow> = on_pool!(self.store, pool => {
            sqlx::query_as(
                "SELECT id, title, likelihood, impact, owner_org, owner, mitigation, review_on, closed_at
                 FROM partnership_risks WHERE partnership_id = $1 ORDER BY created_at, id",
            )
            .bind(id.0)
            .fetch_all(pool)
            .await?
        });
        let mut risks = Vec::with_capacity(rows.len());
        for row in rows {
            let likelihood = level_of(&row.likelihood)?;
            let impact = level_of(&row.impact)?;
            risks.push(Risk {
                id: RiskId(row.id),
                title: row.title,
                likelihood,
                impact,
                score: risk_score(likelihood, impact),
                owner_org: OrgId(row.owner_org),
                owner: row.owner,
                mitigation: row.mitigation,
                review_on: row.review_on,
                closed_at: row.closed_at,
            });
        }
        risks.sort_by_key(|r| (r.closed_at.is_some(), std::cmp::Reverse(r.score)));
        Ok(PartnershipDetail {
            risks,
            approvals: approvals
                .into_iter()
                .map(|(org, by, at)| Approval {
                    stage: partnership.stage,
                    org: OrgId(org),
                    by,
                    at,
                })
                .collect(),
            partnership,
            gates,
            history,
        })
    }

    /// Marks one piece of evidence met or not met. Changing the current stage's evidence
    /// withdraws the approvals given on it: they approved what was there then.
    pub async fn set_evidence(
        &self,
        id: PartnershipId,
        item: GateItemId,
        met: bool,
        actor: &Actor,
    ) -> Result<()> {
        let detail = self.partnership(id).await?;
        let evidence = detail
            .gates
            .iter()
            .find(|g| g.id == item)
            .ok_or(StoreError::NotFound)?;
        if evidence.stage < detail.partnership.stage {
            return Err(gate_passed());
        }
        if evidence.met.is_some() == met {
            return Ok(());
        }
        let us = self.org_uuid();
        let who = format!("{} ({})", actor.label, self.scope.org().name);
        write_tx!(self.store, tx => {
            // The stage read above may have moved on since.
            let stage = lock_partnership!(tx, us, id.0);
            if evidence.stage < stage {
                return Err(gate_passed());
            }
            sqlx::query(
                "UPDATE gate_items SET met_by_org = $3, met_by = $4, met_at = $5 WHERE partnership_id = $1 AND id = $2",
            )
            .bind(id.0)
            .bind(item.0)
            .bind(met.then_some(us))
            .bind(met.then_some(who.as_str()))
            .bind(met.then(now))
            .execute(&mut *tx)
            .await?;
            if evidence.stage == stage {
                withdraw_approvals!(&mut *tx, id.0, evidence.stage);
            }
            touch!(&mut *tx, id.0);
            let kind = if met { "evidence_met" } else { "evidence_reopened" };
            insert_event!(&mut *tx, id.0, us, actor, kind, evidence.stage, evidence.text.as_str());
        });
        Ok(())
    }

    /// Adds a piece of evidence to a stage's gate.
    pub async fn add_evidence(
        &self,
        id: PartnershipId,
        stage: Stage,
        text: &str,
        actor: &Actor,
    ) -> Result<GateItemId> {
        let detail = self.partnership(id).await?;
        let item = GateItemId::new();
        let us = self.org_uuid();
        let position = detail.gates.iter().filter(|g| g.stage == stage).count() as i64;
        write_tx!(self.store, tx => {
            let current = lock_partnership!(tx, us, id.0);
            if stage < current {
                return Err(gate_passed());
            }
            sqlx::query("INSERT INTO gate_items (partnership_id, id, stage, text, position) VALUES ($1, $2, $3, $4, $5)")
                .bind(id.0)
                .bind(item.0)
                .bind(stage.as_str())
                .bind(text)
                .bind(position)
                .execute(&mut *tx)
                .await?;
            if stage == current {
                withdraw_approvals!(&mut *tx, id.0, stage);
            }
            touch!(&mut *tx, id.0);
            insert_event!(&mut *tx, id.0, us, actor, "evidence_added", stage, text);
        });
        Ok(item)
    }

    /// Removes a piece of evidence from a gate not yet passed.
    pub async fn remove_evidence(
        &self,
        id: PartnershipId,
        item: GateItemId,
        actor: &Actor,
    ) -> Result<()> {
        let detail = self.partnership(id).await?;
        let evidence = detail
            .gates
            .iter()
            .find(|g| g.id == item)
            .ok_or(StoreError::NotFound)?;
        if evidence.stage < detail.partnership.stage {
            return Err(gate_passed());
        }
        let us = self.org_uuid();
        write_tx!(self.store, tx => {
            if evidence.stage < lock_partnership!(tx, us, id.0) {
                return Err(gate_passed());
            }
            sqlx::query("DELETE FROM gate_items WHERE partnership_id = $1 AND id = $2")
                .bind(id.0)
                .bind(item.0)
                .execute(&mut *tx)
                .await?;
            touch!(&mut *tx, id.0);
            insert_event!(&mut *tx, id.0, us, actor, "evidence_removed", evidence.stage, evidence.text.as_str());
        });
        Ok(())
    }

    /// Adds a risk to the register, or (with `existing`) changes one. The owner must be a
    /// member organization.
    pub async fn save_risk(
        &self,
        id: PartnershipId,
        existing: Option<RiskId>,
        risk: &RiskInput,
        actor: &Actor,
    ) -> Result<RiskId> {
        let detail = self.partnership(id).await?;
        if !detail
            .partnership
            .members
            .iter()
            .any(|m| m.id == risk.owner_org)
        {
            return Err(StoreError::Rule(
                "the risk's owner must be a member organization".into(),
            ));
        }
        let before = match existing {
            Some(risk_id) => Some(
                detail
                    .risks
                    .iter()
                    .find(|r| r.id == risk_id)
                    .ok_or(StoreError::NotFound)?,
            ),
            None => None,
        };
        // A new risk gets a new (time-ordered) id.
        let risk_id = existing.unwrap_or_default();
        let stage = detail.partnership.stage;
        let us = self.org_uuid();
        let at = now();
        let closed_at = match before {
            Some(before) if risk.closed => before.closed_at.or(Some(at)),
            _ if risk.closed => Some(at),
            _ => None,
        };
        write_tx!(self.store, tx => {
            sqlx::query(
                "INSERT INTO partnership_risks (partnership_id, id, title, likelihood, impact, owner_org, owner,
                    mitigation, review_on, closed_at, created_at, updated_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11)
                 ON CONFLICT (partnership_id, id) DO UPDATE SET title = excluded.title,
                    likelihood = excluded.likelihood, impact = excluded.impact, owner_org = excluded.owner_org,
                    owner = excluded.owner, mitigation = excluded.mitigation, review_on = excluded.review_on,
                    closed_at = excluded.closed_at, updated_at = excluded.updated_at",
            )
            .bind(id.0)
            .bind(risk_id.0)
            .bind(&risk.title)
            .bind(risk.likelihood.as_str())
            .bind(risk.impact.as_str())
            .bind(risk.owner_org.0)
            .bind(&risk.owner)
            .bind(&risk.mitigation)
            .bind(risk.review_on)
            .bind(closed_at)
            .bind(at)
            .execute(&mut *tx)
            .await?;
            touch!(&mut *tx, id.0);
            let kind = match (before, risk.closed) {
                (None, _) => "risk_added",
                (Some(b), true) if b.closed_at.is_none() => "risk_closed",
                _ => "risk_updated",
            };
            let said = format!(
                "{} (likelihood {}, impact {})",
                risk.title,
                risk.likelihood.as_str(),
                risk.impact.as_str()
            );
            insert_event!(&mut *tx, id.0, us, actor, kind, stage, said.as_str());
        });
        Ok(risk_id)
    }

    /// This organization asks to leave the current stage: the gate must be met, and a joint
    /// stage moves on once every member has asked. `Rule` with the open evidence otherwise.
    pub async fn advance_partnership(
        &self,
        id: PartnershipId,
        reason: &str,
        actor: &Actor,
    ) -> Result<Advance> {
        let us = self.org_uuid();
        let by = format!("{} ({})", actor.label, self.scope.org().name);
        let outcome = write_tx!(self.store, tx => {
            // Locked first, so two members approving at once see each other's approval.
            let stage = lock_partnership!(tx, us, id.0);
            let members: i64 = sqlx::query_scalar(
                "SELECT COUNT(*) FROM partnership_members WHERE partnership_id = $1",
            )
            .bind(id.0)
            .fetch_one(&mut *tx)
            .await?;
            let items: Vec<(String, Option<DateTime<Utc>>)> = sqlx::query_as(
                "SELECT text, met_at FROM gate_items WHERE partnership_id = $1 AND stage = $2 ORDER BY position, id",
            )
            .bind(id.0)
            .bind(stage.as_str())
            .fetch_all(&mut *tx)
            .await?;
            let gate: Vec<GateItem> = items
                .into_iter()
                .map(|(text, met_at)| GateItem { text, met: met_at.is_some() })
                .collect();
            // An open gate is refused before any approval is recorded.
            if let Err(refusal) = partnership::advance(stage, &gate, members as usize, members as usize) {
                return Err(StoreError::Rule(refusal.to_string()));
            }
            sqlx::query(
                "INSERT INTO stage_approvals (partnership_id, stage, org_id, approved_by, approved_at)
                 VALUES ($1, $2, $3, $4, $5) ON CONFLICT (partnership_id, stage, org_id) DO NOTHING",
            )
            .bind(id.0)
            .bind(stage.as_str())
            .bind(us)
            .bind(by.as_str())
            .bind(now())
            .execute(&mut *tx)
            .await?;
            let approvals: i64 = sqlx::query_scalar(
                "SELECT COUNT(*) FROM stage_approvals WHERE partnership_id = $1 AND stage = $2",
            )
            .bind(id.0)
            .bind(stage.as_str())
            .fetch_one(&mut *tx)
            .await?;
            let outcome = partnership::advance(stage, &gate, approvals as usize, members as usize)
                .map_err(|refusal| StoreError::Rule(refusal.to_string()))?;
            match outcome {
                Advance::To(next) => {
                    sqlx::query("UPDATE partnerships SET stage = $2, updated_at = $3 WHERE id = $1")
                        .bind(id.0)
                        .bind(next.as_str())
                        .bind(now())
                        .execute(&mut *tx)
                        .await?;
                    let detail = format!("{} → {}: {reason}", stage.label(), next.label());
                    insert_event!(&mut *tx, id.0, us, actor, "advanced", next, detail.as_str());
                    let members: Vec<Uuid> = sqlx::query_scalar("SELECT org_id FROM partnership_members WHERE partnership_id = $1")
                        .bind(id.0)
                        .fetch_all(&mut *tx)
                        .await?;
                    for member in members {
                        insert_audit!(&mut *tx, member, actor, AuditAction::PartnershipAdvanced, id.to_string(),
                            json!({ "from": stage.as_str(), "to": next.as_str(), "by": self.scope.org().handle }));
                    }
                }
                Advance::Waiting { approved, of } => {
                    touch!(&mut *tx, id.0);
                    let detail = format!("approved leaving {} ({approved} of {of}): {reason}", stage.label());
                    insert_event!(&mut *tx, id.0, us, actor, "approved", stage, detail.as_str());
                }
            }
            outcome
        });
        Ok(outcome)
    }
}
