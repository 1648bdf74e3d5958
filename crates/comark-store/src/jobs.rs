//! The durable job queue: at-least-once, with leases, retries and backoff.
//!
//! A claim sets `locked_by`/`locked_until`; completion marks the job done; a failure
//! schedules a retry with exponential backoff until `max_attempts`; a lease that runs
//! out (the worker died) makes the job claimable again. Jobs must therefore be idempotent.

use chrono::{DateTime, Duration, Utc};
use comark_domain::{JobId, OrgId};
use uuid::Uuid;

use crate::{now, on_pool, Pools, Result, Store};

/// A job to queue.
#[derive(Clone, Debug)]
pub struct NewJob {
    /// What to run (`send_email`...).
    pub kind: &'static str,
    /// The organization it acts for, if any.
    pub org_id: Option<OrgId>,
    /// Its input.
    pub payload: serde_json::Value,
    /// How many times to try before giving up.
    pub max_attempts: i64,
}

/// A job a worker holds the lease on.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct ClaimedJob {
    /// Its id.
    #[sqlx(try_from = "Uuid")]
    pub id: JobId,
    /// What to run.
    pub kind: String,
    /// The organization it acts for.
    pub org_id: Option<Uuid>,
    /// Its input.
    pub payload: sqlx::types::Json<serde_json::Value>,
    /// This attempt's number, from 1.
    pub attempts: i64,
    /// The attempt after which it fails for good.
    pub max_attempts: i64,
}

/// Counts by status, for `/metrics`.
#[derive(Clone, Debug, Default)]
pub struct JobCounts {
    /// Waiting or running.
    pub queued: i64,
    /// Finished.
    pub done: i64,
    /// Gave up.
    pub failed: i64,
}

/// Inserts `$job` (a `&NewJob`) due at `$run_at` on `$conn` and yields its id. Used inside
/// the transaction of the change that causes the job, so both land or neither (an outbox).
macro_rules! insert_job {
    ($conn:expr, $job:expr, $run_at:expr) => {{
        let job: &$crate::NewJob = $job;
        let id = comark_domain::JobId::new();
        sqlx::query(
            "INSERT INTO jobs (id, kind, org_id, payload, status, attempts, max_attempts, run_at, created_at)
             VALUES ($1, $2, $3, $4, 'queued', 0, $5, $6, $7)",
        )
        .bind(id.0)
        .bind(job.kind)
        .bind(job.org_id.map(|org| org.0))
        .bind(sqlx::types::Json(&job.payload))
        .bind(job.max_attempts)
        .bind($run_at)
        .bind($crate::now())
        .execute($conn)
        .await?;
        id
    }};
}
pub(crate) use insert_job;

const CLAIM_SQLITE: &str = "
    UPDATE jobs SET locked_by = $1, locked_until = $2, attempts = attempts + 1
    WHERE id = (SELECT id FROM jobs
                WHERE status = 'queued' AND run_at <= $3 AND (locked_until IS NULL OR locked_until < $3)
                ORDER BY run_at, id LIMIT 1)
    RETURNING id, kind, org_id, payload, attempts, max_attempts";

// Several instances claim side by side: SKIP LOCKED lets each take a different row.
const CLAIM_POSTGRES: &str = "
    UPDATE jobs SET locked_by = $1, locked_until = $2, attempts = attempts + 1
    WHERE id = (SELECT id FROM jobs
                WHERE status = 'queued' AND run_at <= $3 AND (locked_until IS NULL OR locked_until < $3)
                ORDER BY run_at, id LIMIT 1 FOR UPDATE SKIP LOCKED)
    RETURNING id, kind, org_id, payload, attempts, max_attempts";

/// The PostgreSQL channel that announces new jobs to every instance.
pub const JOBS_CHANNEL: &str = "comark_jobs";

impl Store {
    /// Queues a job to run now.
    pub async fn enqueue(&self, job: NewJob) -> Result<JobId> {
        self.enqueue_at(job, now()).await
    }

    /// Queues a job to run at `run_at`.
    pub async fn enqueue_at(&self, job: NewJob, run_at: DateTime<Utc>) -> Result<JobId> {
        let id = on_pool!(self, pool => insert_job!(pool, &job, run_at));
        self.announce_jobs().await?;
        Ok(id)
    }

    /// Wakes the workers of this process and, on PostgreSQL, of every instance. Called
    /// after a transaction that queued jobs has committed.
    pub(crate) async fn announce_jobs(&self) -> Result<()> {
        self.job_signal.notify_waiters();
        if let Pools::Postgres(pool) = &self.pools {
            sqlx::query("SELECT pg_notify($1, '')")
                .bind(JOBS_CHANNEL)
                .execute(pool)
                .await?;
        }
        Ok(())
    }

    /// Takes the lease on the next due job, for `lease` long.
    pub async fn claim_job(&self, worker: &str, lease: Duration) -> Result<Option<ClaimedJob>> {
        let at = now();
        let claimed = match &self.pools {
            Pools::Sqlite(pool) => {
                sqlx::query_as(CLAIM_SQLITE)
                    .bind(worker)
                    .bind(at + lease)
                    .bind(at)
                    .fetch_optional(pool)
                    .await?
            }
            Pools::Postgres(pool) => {
                sqlx::query_as(CLAIM_POSTGRES)
                    .bind(worker)
                    .bind(at + lease)
                    .bind(at)
                    .fetch_optional(pool)
                    .await?
            }
        };
        Ok(claimed)
    }

    /// Marks a job done, if `worker` still holds its lease.
    pub async fn complete_job(&self, id: JobId, worker: &str) -> Result<bool> {
        let done = on_pool!(self, pool => {
            sqlx::query(
                "UPDATE jobs SET status = 'done', finished_at = $1, locked_by = NULL, locked_until = NULL, last_error = NULL
                 WHERE id = $2 AND locked_by = $3 AND status = 'queued'",
            )
            .bind(now())
            .bind(id.0)
            .bind(worker)
            .execute(pool)
            .await?
            .rows_affected()
        });
        Ok(done == 1)
    }

    /// Records a failed attempt: retries after `backoff`, or fails for good after the last attempt.
    pub async fn fail_job(
        &self,
        job: &ClaimedJob,
        worker: &str,
        error: &str,
        backoff: Duration,
    ) -> Result<()> {
        let at = now();
        let give_up = job.attempts >= job.max_attempts;
        on_pool!(self, pool => {
            sqlx::query(
                "UPDATE jobs SET status = $1, run_at = $2, last_error = $3, locked_by = NULL, locked_until = NULL,
                                 finished_at = $4
                 WHERE id = $5 AND locked_by = $6",
            )
            .bind(if give_up { "failed" } else { "queued" })
            .bind(at + backoff)
            .bind(error)
            .bind(give_up.then_some(at))
            .bind(job.id.0)
            .bind(worker)
            .execute(pool)
            .await?;
        });
        Ok(())
    }

    /// How many jobs are in each state.
    pub async fn job_counts(&self) -> Result<JobCounts> {
        let rows: Vec<(String, i64)> = on_pool!(self, pool => {
            sqlx::query_as("SELECT status, COUNT(*) FROM jobs GROUP BY status").fetch_all(pool).await?
        });
        let mut counts = JobCounts::default();
        for (status, n) in rows {
            match status.as_str() {
                "queued" => counts.queued = n,
                "done" => counts.done = n,
                _ => counts.failed = n,
            }
        }
        Ok(counts)
    }

    /// Jobs of `kind` still waiting (tests and the admin use this).
    pub async fn pending_jobs(&self, kind: &str) -> Result<Vec<serde_json::Value>> {
        let rows: Vec<sqlx::types::Json<serde_json::Value>> = on_pool!(self, pool => {
            sqlx::query_scalar("SELECT payload FROM jobs WHERE kind = $1 AND status = 'queued' ORDER BY created_at")
                .bind(kind)
                .fetch_all(pool)
                .await?
        });
        Ok(rows.into_iter().map(|json| json.0).collect())
    }

    /// Waits until a job may be ready: a local enqueue, a PostgreSQL notification
    /// (when `listener` is given) or `poll` elapsing, whichever comes first.
    pub async fn wait_for_jobs(&self, poll: std::time::Duration) {
        let _ = tokio::time::timeout(poll, self.job_signal.notified()).await;
    }

    /// A listener for new-job notifications from other instances (PostgreSQL only).
    pub async fn job_listener(&self) -> Result<Option<sqlx::postgres::PgListener>> {
        match &self.pools {
            Pools::Postgres(pool) => {
                let mut listener = sqlx::postgres::PgListener::connect_with(pool).await?;
                listener.listen(JOBS_CHANNEL).await?;
                Ok(Some(listener))
            }
            Pools::Sqlite(_) => Ok(None),
        }
    }

    /// Wakes local workers (called when a notification arrives from another instance).
    pub fn wake_workers(&self) {
        self.job_signal.notify_waiters();
    }
}
