//! The maturity assessments an organization answered.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use comark_domain::maturity::{Dimension, Levels};
use comark_domain::AuditAction;
use serde::Serialize;
use serde_json::json;
use sqlx::types::Json;
use uuid::Uuid;

use crate::audit::insert_audit;
use crate::{now, on_pool, write_tx, Actor, OrgStore, Result};

/// One answered assessment.
#[derive(Clone, Debug, Serialize)]
pub struct Assessment {
    /// Its id.
    pub id: Uuid,
    /// The level chosen per dimension.
    pub levels: Levels,
    /// Notes per dimension.
    pub notes: BTreeMap<Dimension, String>,
    /// Who answered.
    pub taken_by: String,
    /// When.
    pub taken_at: DateTime<Utc>,
}

type AssessmentRow = (
    Uuid,
    Json<Levels>,
    Json<BTreeMap<Dimension, String>>,
    String,
    DateTime<Utc>,
);

impl OrgStore<'_> {
    /// Records an answered assessment.
    pub async fn save_assessment(
        &self,
        levels: &Levels,
        notes: &BTreeMap<Dimension, String>,
        actor: &Actor,
    ) -> Result<Uuid> {
        let org = self.org_uuid();
        let id = Uuid::now_v7();
        write_tx!(self.store, tx => {
            sqlx::query(
                "INSERT INTO maturity_assessments (org_id, id, levels, notes, taken_by, taken_at)
                 VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .bind(org)
            .bind(id)
            .bind(Json(levels))
            .bind(Json(notes))
            .bind(actor.label.as_str())
            .bind(now())
            .execute(&mut *tx)
            .await?;
            insert_audit!(&mut *tx, org, actor, AuditAction::MaturityAssessed, id.to_string(),
                json!({ "levels": levels }));
        });
        Ok(id)
    }

    /// The assessments answered, newest first.
    pub async fn assessments(&self, limit: i64) -> Result<Vec<Assessment>> {
        let rows: Vec<AssessmentRow> = on_pool!(self.store, pool => {
            sqlx::query_as(
                "SELECT id, levels, notes, taken_by, taken_at FROM maturity_assessments
                 WHERE org_id = $1 ORDER BY taken_at DESC, id DESC LIMIT $2",
            )
            .bind(self.org_uuid())
            .bind(limit)
            .fetch_all(pool)
            .await?
        });
        Ok(rows
            .into_iter()
            .map(|(id, levels, notes, taken_by, taken_at)| Assessment {
                id,
                levels: levels.0,
                notes: notes.0,
                taken_by,
                taken_at,
            })
            .collect())
    }
}
