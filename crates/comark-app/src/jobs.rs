//! The job worker: claims due jobs from the database and runs them.

use std::time::Duration as StdDuration;

use chrono::Duration;
use comark_store::ClaimedJob;
use tokio::sync::watch;
use tracing::Instrument;

use comark_domain::{ConnectionId, ImportId};
use comark_store::accounts::{IMPORT_JOB, RECOMPUTE_JOB};

use crate::mail::{Email, Mailer, SEND_EMAIL};
use crate::{App, AppError, Result};

/// How long a claimed job is ours before another worker may take it over.
pub const LEASE: Duration = Duration::minutes(5);
/// How often idle workers look for due jobs when nothing wakes them.
pub const POLL: StdDuration = StdDuration::from_secs(2);

/// Runs jobs until `shutdown` turns true, finishing the job in hand first.
pub async fn run_worker(
    app: App,
    mailer: Option<Mailer>,
    worker_id: String,
    mut shutdown: watch::Receiver<bool>,
) {
    // On PostgreSQL, another instance's enqueue arrives as a notification.
    if let Ok(Some(mut listener)) = app.store.job_listener().await {
        let store = app.store.clone();
        tokio::spawn(async move {
            while listener.recv().await.is_ok() {
                store.wake_workers();
            }
        });
    }
    tracing::info!(worker = %worker_id, "job worker started");
    loop {
        if *shutdown.borrow() {
            break;
        }
        match app.store.claim_job(&worker_id, LEASE).await {
            Ok(Some(job)) => run_one(&app, mailer.as_ref(), &worker_id, job).await,
            Ok(None) => {
                tokio::select! {
                    _ = app.store.wait_for_jobs(POLL) => {}
                    _ = shutdown.changed() => {}
                }
            }
            Err(error) => {
                tracing::error!(%error, "claiming a job failed");
                tokio::time::sleep(POLL).await;
            }
        }
    }
    tracing::info!(worker = %worker_id, "job worker stopped");
}

/// Looks for imports whose run died, now and every [`crate::accounts::RECONCILE_EVERY`],
/// until `shutdown` turns true (`comark serve` runs one per process).
pub async fn watch_imports(app: App, mut shutdown: watch::Receiver<bool>) {
    loop {
        if *shutdown.borrow() {
            break;
        }
        if let Err(error) = crate::accounts::reconcile_imports(&app, comark_store::now()).await {
            // On SQLite a long import holds the write lock; the next round tries again.
            tracing::debug!(%error, "looking for abandoned imports failed");
        }
        tokio::select! {
            _ = tokio::time::sleep(crate::accounts::RECONCILE_EVERY) => {}
            _ = shutdown.changed() => {}
        }
    }
}

/// Runs every due job now, one after another (tests and the CLI use this).
pub async fn drain(app: &App, mailer: Option<&Mailer>) -> Result<usize> {
    let worker = format!("drain-{}", uuid::Uuid::now_v7());
    let mut n_jobs = 0;
    while let Some(job) = app.store.claim_job(&worker, LEASE).await? {
        run_one(app, mailer, &worker, job).await;
        n_jobs += 1;
    }
    Ok(n_jobs)
}

async fn run_one(app: &App, mailer: Option<&Mailer>, worker: &str, job: ClaimedJob) {
    let span = tracing::info_span!("job", job.id = %job.id, job.kind = %job.kind, job.attempt = job.attempts);
    // The span follows the future (`instrument`), not the thread: a guard held across an
    // `.await` would leave it entered on whatever the thread runs next, nesting unrelated
    // jobs and requests in it and, in the end, panicking tracing's span registry.
    run_instrumented(app, mailer, worker, job)
        .instrument(span)
        .await;
}

async fn run_instrumented(app: &App, mailer: Option<&Mailer>, worker: &str, job: ClaimedJob) {
    match execute(app, mailer, &job).await {
        Ok(()) => {
            if let Err(error) = app.store.complete_job(job.id, worker).await {
                tracing::error!(%error, "marking a job done failed");
            }
        }
        Err(error) => {
            // Exponential backoff: 2 s, 4 s, 8 s ... capped at an hour.
            let backoff = Duration::seconds(
                2i64.saturating_pow(job.attempts.clamp(1, 12) as u32)
                    .min(3600),
            );
            tracing::warn!(%error, "job failed; retrying later");
            if let Err(error) = app
                .store
                .fail_job(&job, worker, &error.to_string(), backoff)
                .await
            {
                tracing::error!(%error, "recording a job failure failed");
            }
        }
    }
}

async fn execute(app: &App, mailer: Option<&Mailer>, job: &ClaimedJob) -> Result<()> {
    match job.kind.as_str() {
        IMPORT_JOB => {
            let (Some(org), Some(import)) = (job.org_id, payload_id(job, "import_id")) else {
                return Err(AppError::Internal("bad import job".into()));
            };
            crate::accounts::run_import_job(
                app,
                comark_domain::OrgId(org),
                ImportId(import),
                job.attempts,
                job.max_attempts,
            )
            .await
        }
        RECOMPUTE_JOB => {
            let connection = payload_id(job, "connection_id")
                .ok_or_else(|| AppError::Internal("bad recompute job".into()))?;
            crate::accounts::recompute(app, ConnectionId(connection)).await
        }
        crate::exit::WATCH_JOB => {
            let watched = crate::exit::watch(app, comark_store::now()).await?;
            tracing::info!(
                exits = watched.exits,
                fired = watched.fired,
                "partnerships watched"
            );
            crate::exit::schedule_watch(app, comark_store::now() + crate::exit::WATCH_INTERVAL, 1)
                .await
        }
        crate::auth::PASSWORD_RESET_JOB => {
            let email = payload_text(job, "email")
                .ok_or_else(|| AppError::Internal("bad password reset job".into()))?;
            crate::auth::send_reset_link(app, job.id, email).await
        }
        crate::auth::UNLOCK_LINK_JOB => {
            let email = payload_text(job, "email")
                .ok_or_else(|| AppError::Internal("bad unlock link job".into()))?;
            crate::auth::send_unlock_link(app, job.id, email).await
        }
        SEND_EMAIL => {
            let email: Email = serde_json::from_value(job.payload.0.clone())
                .map_err(|e| AppError::Internal(format!("bad e-mail job: {e}")))?;
            match mailer {
                Some(mailer) => mailer.send(&email).await,
                None => {
                    tracing::info!(to = %email.to, subject = %email.subject, "no SMTP configured; e-mail not sent");
                    Ok(())
                }
            }
        }
        other => Err(AppError::Internal(format!("unknown job kind `{other}`"))),
    }
}

fn payload_text<'a>(job: &'a ClaimedJob, field: &str) -> Option<&'a str> {
    job.payload.0.get(field)?.as_str()
}

fn payload_id(job: &ClaimedJob, field: &str) -> Option<uuid::Uuid> {
    job.payload.0.get(field)?.as_str()?.parse().ok()
}
