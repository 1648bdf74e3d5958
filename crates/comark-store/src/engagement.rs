//! A partnership's named roles, RACI and rules of engagement.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use comark_domain::engagement::{raci_gaps, Raci};
use comark_domain::{OrgId, PartnershipId};
use serde::Serialize;
use sqlx::types::Json;
use uuid::Uuid;

use crate::partnerships::insert_event;
use crate::{now, on_pool, write_tx, Actor, OrgStore, Result, StoreError};

/// A person named for a role by one member.
#[derive(Clone, Debug, Serialize)]
pub struct RoleHolder {
    /// The member.
    pub org: OrgId,
    /// The role's key (executive_sponsor...).
    pub role: String,
    /// The person.
    pub person: String,
    /// Their e-mail, if given.
    pub email: String,
}

/// One member's part in one activity area.
#[derive(Clone, Debug, Serialize)]
pub struct Assignment {
    /// The activity area.
    pub area: String,
    /// The member.
    pub org: OrgId,
    /// R, A, C and I letters.
    pub letters: String,
}

/// A member's approval of a version of the rules.
#[derive(Clone, Debug, Serialize)]
pub struct RulesApproval {
    /// The member.
    pub org: OrgId,
    /// The version approved.
    pub version: i64,
    /// Who approved.
    pub by: String,
    /// When.
    pub at: DateTime<Utc>,
}

/// Roles, RACI and rules of engagement of one partnership.
#[derive(Clone, Debug, Serialize)]
pub struct Engagement {
    /// The people named.
    pub roles: Vec<RoleHolder>,
    /// The RACI.
    pub raci: Vec<Assignment>,
    /// What is missing or conflicting in the RACI.
    pub gaps: Vec<String>,
    /// The rules, by section key.
    pub rules: BTreeMap<String, String>,
    /// Each member's team time zone, by handle.
    pub time_zones: BTreeMap<String, String>,
    /// The rules' version (0 before any is written).
    pub version: i64,
    /// Approvals of the current version.
    pub approvals: Vec<RulesApproval>,
    /// Whether every member approved the current version.
    pub agreed: bool,
}

type RulesRow = (
    Json<BTreeMap<String, String>>,
    Json<BTreeMap<String, String>>,
    i64,
);

impl OrgStore<'_> {
    /// Roles, RACI and rules of a partnership this organization may see.
    pub async fn engagement(&self, id: PartnershipId, areas: &[&str]) -> Result<Engagement> {
        let detail = self.partnership(id).await?;
        let roles: Vec<(Uuid, String, String, String)> = on_pool!(self.store, pool => {
            sqlx::query_as(
                "SELECT org_id, role, person, email FROM partnership_roles WHERE partnership_id = $1 ORDER BY role, org_id",
            )
            .bind(id.0)
            .fetch_all(pool)
            .await?
        });
        let raci: Vec<(String, Uuid, String)> = on_pool!(self.store, pool => {
            sqlx::query_as(
                "SELECT area, org_id, letters FROM raci_assignments WHERE partnership_id = $1 ORDER BY area, org_id",
            )
            .bind(id.0)
            .fetch_all(pool)
            .await?
        });
        let rules: Option<RulesRow> = on_pool!(self.store, pool => {
            sqlx::query_as("SELECT rules, time_zones, version FROM engagement_rules WHERE partnership_id = $1")
                .bind(id.0)
                .fetch_optional(pool)
                .await?
        });
        let (rules, time_zones, version) = rules.map(|(r, t, v)| (r.0, t.0, v)).unwrap_or_default();
        let approvals: Vec<(Uuid, i64, String, DateTime<Utc>)> = on_pool!(self.store, pool => {
            sqlx::query_as(
                "SELECT org_id, version, approved_by, approved_at FROM engagement_approvals
                 WHERE partnership_id = $1 AND version = $2 ORDER BY approved_at",
            )
            .bind(id.0)
            .bind(version)
            .fetch_all(pool)
            .await?
        });
        // Every area anyone assigned, after the standard ones, each with every member's part.
        let mut names: Vec<String> = areas.iter().map(|a| (*a).to_owned()).collect();
        for (area, _, _) in &raci {
            if !names.contains(area) {
                names.push(area.clone());
            }
        }
        let table: Vec<(String, Vec<(String, Raci)>)> = names
            .iter()
            .map(|area| {
                let sides = detail
                    .partnership
                    .members
                    .iter()
                    .map(|m| {
                        let letters = raci
                            .iter()
                            .find(|(a, org, _)| a == area && *org == m.id.0)
                            .map(|(_, _, l)| l.as_str())
                            .unwrap_or("");
                        (m.name.clone(), Raci::parse(letters).unwrap_or_default())
                    })
                    .collect();
                (area.clone(), sides)
            })
            .collect();
        let agreed = version > 0 && approvals.len() == detail.partnership.members.len();
        Ok(Engagement {
            gaps: raci_gaps(&table),
            roles: roles
                .into_iter()
                .map(|(org, role, person, email)| RoleHolder {
                    org: OrgId(org),
                    role,
                    person,
                    email,
                })
                .collect(),
            raci: raci
                .into_iter()
                .map(|(area, org, letters)| Assignment {
                    area,
                    org: OrgId(org),
                    letters,
                })
                .collect(),
            rules,
            time_zones,
            version,
            approvals: approvals
                .into_iter()
                .map(|(org, version, by, at)| RulesApproval {
                    org: OrgId(org),
                    version,
                    by,
                    at,
                })
                .collect(),
            agreed,
        })
    }

    /// Names (or, with an empty name, clears) this organization's holder of a role.
    pub async fn set_role(
        &self,
        id: PartnershipId,
        role: &str,
        person: &str,
        email: &str,
        actor: &Actor,
    ) -> Result<()> {
        let detail = self.partnership(id).await?;
        let us = self.org_uuid();
        write_tx!(self.store, tx => {
            if person.is_empty() {
                sqlx::query("DELETE FROM partnership_roles WHERE partnership_id = $1 AND org_id = $2 AND role = $3")
                    .bind(id.0)
                    .bind(us)
                    .bind(role)
                    .execute(&mut *tx)
                    .await?;
            } else {
                sqlx::query(
                    "INSERT INTO partnership_roles (partnership_id, org_id, role, person, email, updated_at)
                     VALUES ($1, $2, $3, $4, $5, $6)
                     ON CONFLICT (partnership_id, org_id, role) DO UPDATE SET person = excluded.person,
                        email = excluded.email, updated_at = excluded.updated_at",
                )
                .bind(id.0)
                .bind(us)
                .bind(role)
                .bind(person)
                .bind(email)
                .bind(now())
                .execute(&mut *tx)
                .await?;
            }
            let said = if person.is_empty() { format!("{role}: cleared") } else { format!("{role}: {person}") };
            insert_event!(&mut *tx, id.0, us, actor, "role_named", detail.partnership.stage, said.as_str());
        });
        Ok(())
    }

    /// Sets this organization's part in an activity area.
    pub async fn set_raci(
        &self,
        id: PartnershipId,
        area: &str,
        raci: Raci,
        actor: &Actor,
    ) -> Result<()> {
        let detail = self.partnership(id).await?;
        let us = self.org_uuid();
        let letters = raci.letters();
        write_tx!(self.store, tx => {
            sqlx::query(
                "INSERT INTO raci_assignments (partnership_id, area, org_id, letters, updated_at) VALUES ($1, $2, $3, $4, $5)
                 ON CONFLICT (partnership_id, area, org_id) DO UPDATE SET letters = excluded.letters, updated_at = excluded.updated_at",
            )
            .bind(id.0)
            .bind(area)
            .bind(us)
            .bind(letters.as_str())
            .bind(now())
            .execute(&mut *tx)
            .await?;
            let said = format!("{area}: {} is {}", self.scope.org().name, if letters.is_empty() { "not involved".to_owned() } else { letters.clone() });
            insert_event!(&mut *tx, id.0, us, actor, "raci_set", detail.partnership.stage, said.as_str());
        });
        Ok(())
    }

    /// Writes a new version of the rules (and this organization's team time zone); every
    /// member must approve it again. The writer's approval is recorded at once.
    pub async fn save_rules(
        &self,
        id: PartnershipId,
        rules: &BTreeMap<String, String>,
        time_zone: Option<&str>,
        actor: &Actor,
    ) -> Result<i64> {
        let detail = self.partnership(id).await?;
        let current = self.engagement(id, &[]).await?;
        let mut zones = current.time_zones.clone();
        if let Some(zone) = time_zone {
            zones.insert(self.scope.org().handle.clone(), zone.to_owned());
        }
        let version = current.version + 1;
        let us = self.org_uuid();
        let by = format!("{} ({})", actor.label, self.scope.org().name);
        write_tx!(self.store, tx => {
            sqlx::query(
                "INSERT INTO engagement_rules (partnership_id, rules, time_zones, version, updated_by, updated_at)
                 VALUES ($1, $2, $3, $4, $5, $6)
                 ON CONFLICT (partnership_id) DO UPDATE SET rules = excluded.rules, time_zones = excluded.time_zones,
                    version = excluded.version, updated_by = excluded.updated_by, updated_at = excluded.updated_at",
            )
            .bind(id.0)
            .bind(Json(rules))
            .bind(Json(&zones))
            .bind(version)
            .bind(by.as_str())
            .bind(now())
            .execute(&mut *tx)
            .await?;
            sqlx::query("DELETE FROM engagement_approvals WHERE partnership_id = $1")
                .bind(id.0)
                .execute(&mut *tx)
                .await?;
            sqlx::query(
                "INSERT INTO engagement_approvals (partnership_id, org_id, version, approved_by, approved_at) VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(id.0)
            .bind(us)
            .bind(version)
            .bind(by.as_str())
            .bind(now())
            .execute(&mut *tx)
            .await?;
            let said = format!("version {version} written; the other members must approve it");
            insert_event!(&mut *tx, id.0, us, actor, "rules_written", detail.partnership.stage, said.as_str());
        });
        Ok(version)
    }

    /// Approves the current version of the rules. `Rule` when there are none yet, or when
    /// `version` is not the current one (someone changed them meanwhile).
    pub async fn approve_rules(
        &self,
        id: PartnershipId,
        version: i64,
        actor: &Actor,
    ) -> Result<()> {
        let detail = self.partnership(id).await?;
        let current = self.engagement(id, &[]).await?;
        if current.version == 0 {
            return Err(StoreError::Rule(
                "no rules of engagement are written yet".into(),
            ));
        }
        if version != current.version {
            return Err(StoreError::Rule(format!(
                "the rules changed: version {} is current, not {version}; read them again",
                current.version
            )));
        }
        let us = self.org_uuid();
        let by = format!("{} ({})", actor.label, self.scope.org().name);
        write_tx!(self.store, tx => {
            sqlx::query(
                "INSERT INTO engagement_approvals (partnership_id, org_id, version, approved_by, approved_at)
                 VALUES ($1, $2, $3, $4, $5)
                 ON CONFLICT (partnership_id, org_id) DO UPDATE SET version = excluded.version,
                    approved_by = excluded.approved_by, approved_at = excluded.approved_at",
            )
            .bind(id.0)
            .bind(us)
            .bind(version)
            .bind(by.as_str())
            .bind(now())
            .execute(&mut *tx)
            .await?;
            let said = format!("approved version {version}");
            insert_event!(&mut *tx, id.0, us, actor, "rules_approved", detail.partnership.stage, said.as_str());
        });
        Ok(())
    }
}
