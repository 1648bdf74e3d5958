//! Gate templates and the internal assessment.
//!
//! An organization's template holds, per stage, the evidence its new partnerships' gates
//! start with; a stage it never saved starts from comark's defaults. Its internal assessment
//! is kept version by version. Saving a version meets, in the same transaction, the unmet
//! gate items it feeds in the organization's partnerships that are still in their first
//! three stages, each with its history entry.

use chrono::{DateTime, Utc};
use comark_domain::assessment::{feeds_gate, template_editable, Answers, Feed, TemplateItem};
use comark_domain::partnership::Stage;
use comark_domain::{AuditAction, PartnershipId};
use serde::Serialize;
use serde_json::json;
use sqlx::types::Json;
use uuid::Uuid;

use crate::audit::insert_audit;
use crate::partnerships::{insert_event, VISIBLE};
use crate::{now, on_pool, on_unique, write_tx, Actor, OrgStore, Result, StoreError};

/// One stage's template: the evidence new partnerships start with at its gate.
#[derive(Clone, Debug, Serialize)]
pub struct StageTemplate {
    /// The stage.
    pub stage: Stage,
    /// The evidence, in order.
    pub items: Vec<TemplateItem>,
    /// Who last saved it and when; none while the defaults apply.
    pub saved: Option<(String, DateTime<Utc>)>,
}

/// One saved version of the internal assessment.
#[derive(Clone, Debug, Serialize)]
pub struct InternalAssessment {
    /// Its id.
    pub id: Uuid,
    /// Its number, from 1.
    pub version: i64,
    /// The answers.
    pub answers: Answers,
    /// Who saved it.
    pub saved_by: String,
    /// When.
    pub saved_at: DateTime<Utc>,
}

/// A gate item the internal assessment met.
#[derive(Clone, Debug, Serialize)]
pub struct FedEvidence {
    /// The partnership.
    pub partnership: PartnershipId,
    /// Its name.
    pub partnership_name: String,
    /// The gate's stage.
    pub stage: Stage,
    /// The evidence.
    pub text: String,
    /// The part of the assessment that met it.
    pub fed_by: Feed,
}

/// How the gate items the internal assessment meets are named as met: "the internal
/// assessment (Acme Inc.)".
pub fn met_by_assessment(org_name: &str) -> String {
    format!("the internal assessment ({org_name})")
}

/// A saved template as read: stage, items, who saved it and when.
type TemplateRow = (String, Json<Vec<TemplateItem>>, String, DateTime<Utc>);

type AssessmentRow = (Uuid, i64, Json<Answers>, String, DateTime<Utc>);

/// A fed item as read: partnership, its name and stage, the item, its stage, text and feed.
type FedRow = (Uuid, String, String, Uuid, String, String, String);

fn corrupt(column: &'static str, raw: &str) -> StoreError {
    StoreError::Corrupt {
        column,
        detail: raw.to_owned(),
    }
}

impl OrgStore<'_> {
    /// The template of every stage that has a gate to edit (all but exit): what the
    /// organization saved, or comark's defaults.
    pub async fn gate_templates(&self) -> Result<Vec<StageTemplate>> {
        let rows: Vec<TemplateRow> = on_pool!(self.store, pool => {
            sqlx::query_as(
                "SELECT stage, items, updated_by, updated_at FROM gate_templates WHERE org_id = $1",
            )
            .bind(self.org_uuid())
            .fetch_all(pool)
            .await?
        });
        let mut out = Vec::new();
        for stage in Stage::ALL.into_iter().filter(|s| template_editable(*s)) {
            let saved = rows.iter().find(|(s, ..)| s == stage.as_str());
            out.push(match saved {
                Some((_, items, by, at)) => StageTemplate {
                    stage,
                    items: items.0.clone(),
                    saved: Some((by.clone(), *at)),
                },
                None => StageTemplate {
                    stage,
                    items: stage.default_template(),
                    saved: None,
                },
            });
        }
        for (stage, ..) in &rows {
            Stage::parse(stage).ok_or_else(|| corrupt("gate_templates.stage", stage))?;
        }
        Ok(out)
    }

    /// Saves stages' templates (`Some`) or resets them to the defaults (`None`), in one
    /// transaction with the audit record. Existing partnerships keep their gates.
    pub async fn change_gate_templates(
        &self,
        changes: &[(Stage, Option<Vec<TemplateItem>>)],
        actor: &Actor,
    ) -> Result<()> {
        let org = self.org_uuid();
        let at = now();
        write_tx!(self.store, tx => {
            for (stage, items) in changes {
                match items {
                    Some(items) => {
                        sqlx::query(
                            "INSERT INTO gate_templates (org_id, stage, items, updated_by, updated_at)
                             VALUES ($1, $2, $3, $4, $5)
                             ON CONFLICT (org_id, stage) DO UPDATE SET items = excluded.items,
                                updated_by = excluded.updated_by, updated_at = excluded.updated_at",
                        )
                        .bind(org)
                        .bind(stage.as_str())
                        .bind(Json(items))
                        .bind(actor.label.as_str())
                        .bind(at)
                        .execute(&mut *tx)
                        .await?;
                    }
                    None => {
                        sqlx::query("DELETE FROM gate_templates WHERE org_id = $1 AND stage = $2")
                            .bind(org)
                            .bind(stage.as_str())
                            .execute(&mut *tx)
                            .await?;
                    }
                }
                let details = match items {
                    Some(items) => json!({ "stage": stage.as_str(), "items": items }),
                    None => json!({ "stage": stage.as_str(), "reset": true }),
                };
                insert_audit!(&mut *tx, org, actor, AuditAction::GateTemplateChanged, stage.as_str().to_owned(), details);
            }
        });
        Ok(())
    }

    /// The versions of the internal assessment, newest first.
    pub async fn internal_assessments(&self, limit: i64) -> Result<Vec<InternalAssessment>> {
        let rows: Vec<AssessmentRow> = on_pool!(self.store, pool => {
            sqlx::query_as(
                "SELECT id, version, answers, saved_by, saved_at FROM internal_assessments
                 WHERE org_id = $1 ORDER BY version DESC LIMIT $2",
            )
            .bind(self.org_uuid())
            .bind(limit)
            .fetch_all(pool)
            .await?
        });
        Ok(rows
            .into_iter()
            .map(
                |(id, version, answers, saved_by, saved_at)| InternalAssessment {
                    id,
                    version,
                    answers: answers.0,
                    saved_by,
                    saved_at,
                },
            )
            .collect())
    }

    /// Saves a new version of the internal assessment and, in the same transaction, meets
    /// the unmet gate items it feeds in this organization's partnerships still in their first
    /// three stages (at their current gate or one ahead), each with a history entry. Returns
    /// the version and what it met.
    pub async fn save_internal_assessment(
        &self,
        answers: &Answers,
        actor: &Actor,
    ) -> Result<(InternalAssessment, Vec<FedEvidence>)> {
        let org = self.org_uuid();
        let id = Uuid::now_v7();
        let at = now();
        let met_by = met_by_assessment(&self.scope.org().name);
        // The history names the assessment, and who saved it.
        let via = Actor {
            label: format!("{} (internal assessment)", actor.label),
            ..actor.clone()
        };
        let satisfied = answers.satisfied();
        let (version, fed) = write_tx!(self.store, tx => {
            let version: i64 = sqlx::query_scalar(
                "SELECT COALESCE(MAX(version), 0) + 1 FROM internal_assessments WHERE org_id = $1",
            )
            .bind(org)
            .fetch_one(&mut *tx)
            .await?;
            sqlx::query(
                "INSERT INTO internal_assessments (org_id, id, version, answers, saved_by, saved_at)
                 VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .bind(org)
            .bind(id)
            .bind(version)
            .bind(Json(answers))
            .bind(actor.label.as_str())
            .bind(at)
            .execute(&mut *tx)
            .await
            // Someone else saved a version at the same moment: try again.
            .map_err(on_unique("the assessment's version number"))?;
            let rows: Vec<FedRow> = sqlx::query_as(&format!(
                "SELECT p.id, p.name, p.stage, g.id, g.stage, g.text, g.fed_by
                 FROM partnerships p JOIN gate_items g ON g.partnership_id = p.id
                 WHERE {VISIBLE}
                   AND p.stage IN ('awareness', 'knowledge', 'internal_assessment')
                   AND g.met_at IS NULL AND g.fed_by IS NOT NULL
                 ORDER BY p.id, g.position, g.id"
            ))
            .bind(org)
            .fetch_all(&mut *tx)
            .await?;
            let mut fed = Vec::new();
            for (partnership, name, current, item, stage, text, feed) in rows {
                let current = Stage::parse(&current).ok_or_else(|| corrupt("partnerships.stage", &current))?;
                let stage = Stage::parse(&stage).ok_or_else(|| corrupt("gate_items.stage", &stage))?;
                let feed = Feed::parse(&feed).ok_or_else(|| corrupt("gate_items.fed_by", &feed))?;
                if stage < current || !feeds_gate(stage) || !satisfied.contains(&feed) {
                    continue;
                }
                sqlx::query(
                    "UPDATE gate_items SET met_by_org = $3, met_by = $4, met_at = $5
                     WHERE partnership_id = $1 AND id = $2 AND met_at IS NULL",
                )
                .bind(partnership)
                .bind(item)
                .bind(org)
                .bind(met_by.as_str())
                .bind(at)
                .execute(&mut *tx)
                .await?;
                sqlx::query("UPDATE partnerships SET updated_at = $2 WHERE id = $1")
                    .bind(partnership)
                    .bind(at)
                    .execute(&mut *tx)
                    .await?;
                insert_event!(&mut *tx, partnership, org, via, "evidence_met", stage, text.as_str());
                fed.push(FedEvidence {
                    partnership: PartnershipId(partnership),
                    partnership_name: name,
                    stage,
                    text,
                    fed_by: feed,
                });
            }
            // In lifecycle order within each partnership (positions count per stage).
            fed.sort_by(|a, b| a.partnership.0.cmp(&b.partnership.0).then(a.stage.cmp(&b.stage)));
            let (done, of) = answers.progress();
            insert_audit!(&mut *tx, org, actor, AuditAction::InternalAssessmentSaved, id.to_string(),
                json!({ "version": version, "sections_complete": done, "sections": of, "evidence_met": fed.len() }));
            (version, fed)
        });
        Ok((
            InternalAssessment {
                id,
                version,
                answers: answers.clone(),
                saved_by: actor.label.clone(),
                saved_at: at,
            },
            fed,
        ))
    }
}
