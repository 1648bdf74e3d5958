//! Imports whose run may have died: what the reconciler needs to see and the repairs it can
//! make, across organizations (an instance-level maintenance task, like the job queue).
//!
//! An import is one transaction, so a run that dies leaves no accounts behind; what it can
//! leave is a status that says "running" for ever. A live run keeps `heartbeat_at` fresh on
//! PostgreSQL. On SQLite a run holds the database's write lock from just after it is marked
//! running until it lands, so the reconciler, which judges inside a write transaction of
//! its own, only ever sees runs that are between those two moments or dead.

use chrono::{DateTime, Utc};
use comark_domain::{ImportId, JobId, OrgId};
use uuid::Uuid;

use crate::accounts::ImportStatus;
use crate::{now, on_pool, write_tx, Result, Store};

/// How many times an import's job runs before it is given up.
pub const IMPORT_ATTEMPTS: i64 = 3;

/// An unfinished import that gave no sign of life lately, with what its job last said.
#[derive(Clone, Debug)]
pub struct UnfinishedImport {
    /// Its organization.
    pub org_id: OrgId,
    /// Its id.
    pub id: ImportId,
    /// Queued or running.
    pub status: ImportStatus,
    /// The last sign of life of the process running it.
    pub heartbeat_at: Option<DateTime<Utc>>,
    /// Its job, when the server runs it; `None` when a command runs it itself.
    pub job: Option<ImportJob>,
}

/// The job behind an import, as the queue has it.
#[derive(Clone, Debug)]
pub struct ImportJob {
    /// The job's id.
    pub id: JobId,
    /// `queued`, `done` or `failed`; `None` when the row is gone.
    pub status: Option<String>,
    /// Until when a worker holds it.
    pub locked_until: Option<DateTime<Utc>>,
    /// Attempts started so far.
    pub attempts: i64,
    /// Attempts allowed.
    pub max_attempts: i64,
    /// The last attempt's error.
    pub last_error: Option<String>,
}

/// What the reconciler does with one import.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ImportRepair {
    /// Nothing: it is alive or waiting its turn.
    Leave,
    /// Back to the queue with this note; its job is released to run again now.
    Restart(String),
    /// Failed for this reason; its job, if still queued, fails with it.
    Fail(String),
}

#[derive(sqlx::FromRow)]
struct UnfinishedRow {
    org_id: Uuid,
    id: Uuid,
    status: String,
    heartbeat_at: Option<DateTime<Utc>>,
    job_id: Option<Uuid>,
    job_status: Option<String>,
    locked_until: Option<DateTime<Utc>>,
    attempts: Option<i64>,
    max_attempts: Option<i64>,
    last_error: Option<String>,
}

impl UnfinishedRow {
    fn into_import(self) -> Result<UnfinishedImport> {
        Ok(UnfinishedImport {
            org_id: OrgId(self.org_id),
            id: ImportId(self.id),
            status: ImportStatus::parse(&self.status)?,
            heartbeat_at: self.heartbeat_at,
            job: self.job_id.map(|id| ImportJob {
                id: JobId(id),
                status: self.job_status,
                locked_until: self.locked_until,
                attempts: self.attempts.unwrap_or(0),
                max_attempts: self.max_attempts.unwrap_or(IMPORT_ATTEMPTS),
                last_error: self.last_error,
            }),
        })
    }
}

/// Running imports silent since `$1`, and queued ones whose job can no longer run them
/// (none was queued and the command that meant to run them is silent, or the job is gone).
/// A queued import waiting for a healthy queued job is not a candidate.
const UNFINISHED: &str = "
    SELECT i.org_id, i.id, i.status, i.heartbeat_at, i.job_id, j.status AS job_status,
           j.locked_until, j.attempts, j.max_attempts, j.last_error
    FROM account_imports i LEFT JOIN jobs j ON j.id = i.job_id
    WHERE (i.status = 'running' AND (i.heartbeat_at IS NULL OR i.heartbeat_at < $1))
       OR (i.status = 'queued' AND i.job_id IS NULL AND (i.heartbeat_at IS NULL OR i.heartbeat_at < $1))
       OR (i.status = 'queued' AND i.job_id IS NOT NULL AND (j.status IS NULL OR j.status <> 'queued'))
    ORDER BY i.created_at, i.id";

impl Store {
    /// Whether any import looks abandoned since `silent_since` (a cheap read, so the
    /// reconciler takes SQLite's write lock only when there may be work).
    pub async fn abandoned_imports_exist(&self, silent_since: DateTime<Utc>) -> Result<bool> {
        let rows: Vec<UnfinishedRow> = on_pool!(self, pool => {
            sqlx::query_as(&format!("{UNFINISHED} LIMIT 1"))
                .bind(silent_since)
                .fetch_all(pool)
                .await?
        });
        Ok(!rows.is_empty())
    }

    /// Judges every import that looks abandoned since `silent_since` with `decide`, except
    /// those in `skip` (run by this process), and applies the repairs, in one write
    /// transaction. Each repair re-checks the import's state, so a run that came back to
    /// life (or landed) meanwhile is left alone. Returns what was repaired.
    pub async fn reconcile_imports(
        &self,
        silent_since: DateTime<Utc>,
        skip: &[ImportId],
        decide: impl Fn(&UnfinishedImport) -> ImportRepair,
    ) -> Result<Vec<(UnfinishedImport, ImportRepair)>> {
        let at = now();
        let repaired = write_tx!(self, tx => {
            let rows: Vec<UnfinishedRow> = sqlx::query_as(UNFINISHED)
                .bind(silent_since)
                .fetch_all(&mut *tx)
                .await?;
            let mut repaired = Vec::new();
            for row in rows {
                let import = row.into_import()?;
                if skip.contains(&import.id) {
                    continue;
                }
                let repair = decide(&import);
                let still = "org_id = $1 AND id = $2 AND (status = 'queued' OR heartbeat_at IS NULL OR heartbeat_at < $3)
                             AND status IN ('queued', 'running')";
                let changed = match &repair {
                    ImportRepair::Leave => 0,
                    ImportRepair::Restart(note) => {
                        let changed = sqlx::query(&format!(
                            "UPDATE account_imports SET status = 'queued', note = $4, heartbeat_at = $5 WHERE {still}"
                        ))
                        .bind(import.org_id.0)
                        .bind(import.id.0)
                        .bind(silent_since)
                        .bind(note)
                        .bind(at)
                        .execute(&mut *tx)
                        .await?
                        .rows_affected();
                        if let (1, Some(job)) = (changed, &import.job) {
                            sqlx::query(
                                "UPDATE jobs SET locked_by = NULL, locked_until = NULL, run_at = $2
                                 WHERE id = $1 AND status = 'queued'",
                            )
                            .bind(job.id.0)
                            .bind(at)
                            .execute(&mut *tx)
                            .await?;
                        }
                        changed
                    }
                    ImportRepair::Fail(reason) => {
                        let changed = sqlx::query(&format!(
                            "UPDATE account_imports SET status = 'failed', failure = $4, rows_imported = 0,
                                finished_at = $5 WHERE {still}"
                        ))
                        .bind(import.org_id.0)
                        .bind(import.id.0)
                        .bind(silent_since)
                        .bind(reason)
                        .bind(at)
                        .execute(&mut *tx)
                        .await?
                        .rows_affected();
                        if let (1, Some(job)) = (changed, &import.job) {
                            sqlx::query(
                                "UPDATE jobs SET status = 'failed', locked_by = NULL, locked_until = NULL,
                                    finished_at = $2, last_error = COALESCE(last_error, $3)
                                 WHERE id = $1 AND status = 'queued'",
                            )
                            .bind(job.id.0)
                            .bind(at)
                            .bind(reason)
                            .execute(&mut *tx)
                            .await?;
                        }
                        changed
                    }
                };
                if changed == 1 {
                    repaired.push((import, repair));
                }
            }
            repaired
        });
        if repaired
            .iter()
            .any(|(_, repair)| matches!(repair, ImportRepair::Restart(_)))
        {
            self.announce_jobs().await?;
        }
        Ok(repaired)
    }
}
