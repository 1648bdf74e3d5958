//! Partner profiles: each organization's own, and what others may read of them.

use chrono::{DateTime, Utc};
use comark_domain::fit::Profile;
use comark_domain::{AuditAction, OrgId};
use serde_json::json;
use sqlx::types::Json;

use crate::audit::insert_audit;
use crate::{now, on_pool, write_tx, Actor, OrgStore, Organization, Result, Store};

/// A stored profile.
#[derive(Clone, Debug)]
pub struct StoredProfile {
    /// What the organization says about itself.
    pub profile: Profile,
    /// Whether any organization on the instance may find it in the directory.
    pub listed: bool,
    /// When it last changed.
    pub updated_at: DateTime<Utc>,
}

#[derive(sqlx::FromRow)]
struct ProfileRow {
    profile: Json<Profile>,
    listed: bool,
    updated_at: DateTime<Utc>,
}

impl From<ProfileRow> for StoredProfile {
    fn from(row: ProfileRow) -> Self {
        StoredProfile {
            profile: row.profile.0,
            listed: row.listed,
            updated_at: row.updated_at,
        }
    }
}

#[derive(sqlx::FromRow)]
struct ListedRow {
    #[sqlx(flatten)]
    org: Organization,
    profile: Json<Profile>,
    listed: bool,
    profile_updated_at: DateTime<Utc>,
}

impl OrgStore<'_> {
    /// This organization's profile, if it wrote one.
    pub async fn profile(&self) -> Result<Option<StoredProfile>> {
        let row: Option<ProfileRow> = on_pool!(self.store, pool => {
            sqlx::query_as("SELECT profile, listed, updated_at FROM profiles WHERE org_id = $1")
                .bind(self.org_uuid())
                .fetch_optional(pool)
                .await?
        });
        Ok(row.map(StoredProfile::from))
    }

    /// Saves this organization's profile.
    pub async fn save_profile(&self, profile: &Profile, listed: bool, actor: &Actor) -> Result<()> {
        let org = self.org_uuid();
        write_tx!(self.store, tx => {
            sqlx::query(
                "INSERT INTO profiles (org_id, profile, listed, updated_at) VALUES ($1, $2, $3, $4)
                 ON CONFLICT (org_id) DO UPDATE
                 SET profile = excluded.profile, listed = excluded.listed, updated_at = excluded.updated_at",
            )
            .bind(org)
            .bind(Json(profile))
            .bind(listed)
            .bind(now())
            .execute(&mut *tx)
            .await?;
            insert_audit!(&mut *tx, org, actor, AuditAction::ProfileUpdated, self.scope.org().handle.as_str(),
                json!({ "listed": listed }));
        });
        Ok(())
    }

    /// Another organization's profile, if this one may read it: the other listed it in the
    /// directory, the two are connected partners, or the other asked this one for a
    /// partnership as an organization (so the request can be vetted on its fit).
    pub async fn visible_profile(&self, other: OrgId) -> Result<Option<StoredProfile>> {
        let row: Option<ProfileRow> = on_pool!(self.store, pool => {
            sqlx::query_as(
                "SELECT p.profile, p.listed, p.updated_at FROM profiles p
                 WHERE p.org_id = $2 AND $2 <> $1
                   AND (p.listed OR EXISTS (
                        SELECT 1 FROM connections c
                        WHERE c.status = 'accepted'
                          AND ((c.requester_org_id = $1 AND c.invitee_org_id = $2)
                            OR (c.requester_org_id = $2 AND c.invitee_org_id = $1)))
                     -- Asking for a partnership as an organization shows it to those asked.
                     OR EXISTS (
                        SELECT 1 FROM partnership_requests r
                        WHERE r.org_id = $1 AND r.requester_org_id = $2 AND r.status <> 'spam'))",
            )
            .bind(self.org_uuid())
            .bind(other.0)
            .fetch_optional(pool)
            .await?
        });
        Ok(row.map(StoredProfile::from))
    }

    /// Every profile this organization may read (listed ones and its partners'), without its own.
    pub async fn visible_profiles(&self) -> Result<Vec<(Organization, StoredProfile)>> {
        let rows: Vec<ListedRow> = on_pool!(self.store, pool => {
            sqlx::query_as(
                "SELECT o.id, o.handle, o.name, o.created_at, p.profile, p.listed, p.updated_at AS profile_updated_at
                 FROM profiles p JOIN organizations o ON o.id = p.org_id
                 WHERE p.org_id <> $1
                   AND (p.listed OR EXISTS (
                        SELECT 1 FROM connections c
                        WHERE c.status = 'accepted'
                          AND ((c.requester_org_id = $1 AND c.invitee_org_id = p.org_id)
                            OR (c.requester_org_id = p.org_id AND c.invitee_org_id = $1))))
                 ORDER BY o.name, o.handle",
            )
            .bind(self.org_uuid())
            .fetch_all(pool)
            .await?
        });
        Ok(rows
            .into_iter()
            .map(|row| {
                let stored = StoredProfile {
                    profile: row.profile.0,
                    listed: row.listed,
                    updated_at: row.profile_updated_at,
                };
                (row.org, stored)
            })
            .collect())
    }
}

impl Store {
    /// How many profiles are listed in the directory (for metrics).
    pub async fn count_listed_profiles(&self) -> Result<i64> {
        Ok(on_pool!(self, pool => {
            sqlx::query_scalar("SELECT COUNT(*) FROM profiles WHERE listed = $1")
                .bind(true)
                .fetch_one(pool)
                .await?
        }))
    }
}
