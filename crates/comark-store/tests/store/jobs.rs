//! The durable job queue: leases, completion, retries with backoff, giving up, and
//! concurrent workers.

use std::collections::HashMap;
use std::time::{Duration as StdDuration, Instant};

use chrono::Duration;
use comark_domain::JobId;
use comark_store::{now, ClaimedJob, NewJob};
use sqlx::Connection;

use super::*;

const LEASE: Duration = Duration::minutes(1);

fn job(kind: &'static str, max_attempts: i64) -> NewJob {
    NewJob {
        kind,
        org_id: None,
        payload: serde_json::json!({ "n": 1 }),
        max_attempts,
    }
}

/// A job's row, read straight from the database: (status, attempts, last_error).
async fn job_row(db: &TestDatabase, id: JobId) -> (String, i64, Option<String>) {
    const QUERY: &str = "SELECT status, attempts, last_error FROM jobs WHERE id = $1";
    if db.url().starts_with("sqlite:") {
        let mut conn = sqlx::SqliteConnection::connect(db.url())
            .await
            .expect("open the SQLite file");
        let row = sqlx::query_as(QUERY)
            .bind(id.0)
            .fetch_one(&mut conn)
            .await
            .expect("the job's row");
        let _ = conn.close().await;
        row
    } else {
        let mut conn = sqlx::PgConnection::connect(db.url())
            .await
            .expect("connect to PostgreSQL");
        let row = sqlx::query_as(QUERY)
            .bind(id.0)
            .fetch_one(&mut conn)
            .await
            .expect("the job's row");
        let _ = conn.close().await;
        row
    }
}

/// Claims until a job comes back, for at most `limit`.
async fn claim_within(store: &Store, worker: &str, limit: StdDuration) -> Option<ClaimedJob> {
    let deadline = Instant::now() + limit;
    loop {
        if let Some(job) = store.claim_job(worker, LEASE).await.expect("claim") {
            return Some(job);
        }
        if Instant::now() >= deadline {
            return None;
        }
        tokio::time::sleep(StdDuration::from_millis(50)).await;
    }
}

on_both_backends! {
    async fn a_queued_job_is_claimed_once_and_nobody_else_can_take_it_while_its_lease_holds(store, _db) {
        let id = store.enqueue(job("test_job", 3)).await.expect("enqueue");
        let claimed = store
            .claim_job("worker-a", LEASE)
            .await
            .expect("claim")
            .expect("the queued job is claimable");
        assert_eq!(claimed.id, id);
        assert_eq!(claimed.kind, "test_job");
        assert_eq!(claimed.attempts, 1);
        assert_eq!(claimed.max_attempts, 3);
        assert_eq!(claimed.payload.0, serde_json::json!({ "n": 1 }));
        assert!(store.claim_job("worker-b", LEASE).await.expect("claim").is_none());
        assert!(
            store.claim_job("worker-a", LEASE).await.expect("claim").is_none(),
            "not even the holder claims it a second time"
        );
        let counts = store.job_counts().await.expect("counts");
        assert_eq!((counts.queued, counts.done, counts.failed), (1, 0, 0));
    }

    async fn a_completed_job_is_done_and_never_claimed_again(store, _db) {
        let id = store.enqueue(job("test_job", 3)).await.expect("enqueue");
        let claimed = store.claim_job("worker-a", LEASE).await.expect("claim").expect("a job");
        assert!(
            !store.complete_job(id, "worker-b").await.expect("complete"),
            "a worker without the lease cannot complete the job"
        );
        assert!(store.complete_job(claimed.id, "worker-a").await.expect("complete"));
        let counts = store.job_counts().await.expect("counts");
        assert_eq!((counts.queued, counts.done, counts.failed), (0, 1, 0));
        assert!(store.claim_job("worker-b", LEASE).await.expect("claim").is_none());
        assert!(
            !store.complete_job(id, "worker-a").await.expect("complete"),
            "completing twice reports that nothing changed"
        );
        assert!(store.pending_jobs("test_job").await.expect("pending").is_empty());
    }

    async fn a_failed_job_is_claimable_again_only_after_its_backoff(store, db) {
        let id = store.enqueue(job("test_job", 3)).await.expect("enqueue");
        let claimed = store.claim_job("worker-a", LEASE).await.expect("claim").expect("a job");
        let backoff = Duration::seconds(2);
        let failed_at = now();
        store
            .fail_job(&claimed, "worker-a", "the SMTP server hung up", backoff)
            .await
            .expect("fail");
        assert!(
            store.claim_job("worker-b", LEASE).await.expect("claim").is_none(),
            "the job is not claimable during its backoff"
        );
        let (status, attempts, last_error) = job_row(db, id).await;
        assert_eq!(status, "queued");
        assert_eq!(attempts, 1);
        assert_eq!(last_error.as_deref(), Some("the SMTP server hung up"));
        assert_eq!(store.pending_jobs("test_job").await.expect("pending").len(), 1);

        let retried = claim_within(&store, "worker-b", StdDuration::from_secs(15))
            .await
            .expect("the job is claimable again after its backoff");
        assert!(
            now() - failed_at >= backoff,
            "claimed again after {} instead of at least {backoff}",
            now() - failed_at
        );
        assert_eq!(retried.id, id);
        assert_eq!(retried.attempts, 2);
        assert!(store.complete_job(id, "worker-b").await.expect("complete"));
        let (status, _, last_error) = job_row(db, id).await;
        assert_eq!(status, "done");
        assert_eq!(last_error, None, "a success clears the last error");
    }

    async fn a_job_that_fails_its_last_attempt_is_failed_for_good(store, db) {
        let id = store.enqueue(job("test_job", 2)).await.expect("enqueue");
        for attempt in 1..=2 {
            let claimed = store
                .claim_job("worker-a", LEASE)
                .await
                .expect("claim")
                .unwrap_or_else(|| panic!("attempt {attempt} is claimable"));
            assert_eq!(claimed.attempts, attempt);
            store
                .fail_job(&claimed, "worker-a", &format!("failure {attempt}"), Duration::zero())
                .await
                .expect("fail");
        }
        let counts = store.job_counts().await.expect("counts");
        assert_eq!((counts.queued, counts.done, counts.failed), (0, 0, 1));
        assert!(store.claim_job("worker-b", LEASE).await.expect("claim").is_none());
        assert!(store.pending_jobs("test_job").await.expect("pending").is_empty());
        let (status, attempts, last_error) = job_row(db, id).await;
        assert_eq!(status, "failed");
        assert_eq!(attempts, 2);
        assert_eq!(last_error.as_deref(), Some("failure 2"));
        assert!(!store.complete_job(id, "worker-a").await.expect("complete"));
    }

    async fn an_expired_lease_lets_another_worker_take_the_job_and_the_first_cannot_finish_it(store, db) {
        let id = store.enqueue(job("test_job", 5)).await.expect("enqueue");
        let first = store
            .claim_job("worker-a", Duration::milliseconds(1))
            .await
            .expect("claim")
            .expect("a job");
        tokio::time::sleep(StdDuration::from_millis(50)).await;
        let second = store
            .claim_job("worker-b", LEASE)
            .await
            .expect("claim")
            .expect("the job whose lease ran out is claimable again");
        assert_eq!(second.id, id);
        assert_eq!(second.attempts, 2);
        assert!(
            !store.complete_job(id, "worker-a").await.expect("complete"),
            "the first worker no longer holds the lease"
        );
        // A late failure report from the first worker does not disturb the second.
        store
            .fail_job(&first, "worker-a", "late failure", Duration::zero())
            .await
            .expect("fail");
        let (status, _, last_error) = job_row(db, id).await;
        assert_eq!(status, "queued");
        assert_eq!(last_error, None, "the late failure was not recorded");
        assert!(store.claim_job("worker-c", LEASE).await.expect("claim").is_none());
        assert!(store.complete_job(id, "worker-b").await.expect("complete"));
        let counts = store.job_counts().await.expect("counts");
        assert_eq!((counts.queued, counts.done, counts.failed), (0, 1, 0));
    }

    async fn a_job_scheduled_for_later_is_not_claimed_before_its_time(store, _db) {
        store
            .enqueue_at(job("far_future", 3), now() + Duration::hours(1))
            .await
            .expect("enqueue in an hour");
        let run_at = now() + Duration::seconds(2);
        let soon = store.enqueue_at(job("soon", 3), run_at).await.expect("enqueue soon");
        assert!(store.claim_job("worker-a", LEASE).await.expect("claim").is_none());
        let claimed = claim_within(&store, "worker-a", StdDuration::from_secs(15))
            .await
            .expect("the job is claimable once its time has come");
        assert!(now() >= run_at, "claimed before its time");
        assert_eq!(claimed.id, soon);
        assert!(store.claim_job("worker-a", LEASE).await.expect("claim").is_none());
        assert_eq!(store.pending_jobs("far_future").await.expect("pending").len(), 1);
    }

    async fn concurrent_workers_never_claim_the_same_job_twice(store, _db) {
        let mut queued = Vec::new();
        for _ in 0..40 {
            queued.push(store.enqueue(job("test_job", 3)).await.expect("enqueue"));
        }
        let mut workers = Vec::new();
        for index in 0..4 {
            let store = store.clone();
            workers.push(tokio::spawn(async move {
                let worker = format!("worker-{index}");
                let mut ran = Vec::new();
                while let Some(job) = store.claim_job(&worker, LEASE).await.expect("claim") {
                    assert!(
                        store.complete_job(job.id, &worker).await.expect("complete"),
                        "{worker} lost the lease on a job it had just claimed"
                    );
                    ran.push(job.id);
                }
                ran
            }));
        }
        let mut claims: HashMap<JobId, usize> = HashMap::new();
        for worker in workers {
            let ran = tokio::time::timeout(StdDuration::from_secs(60), worker)
                .await
                .expect("the workers finish within a minute")
                .expect("a worker panicked");
            for id in ran {
                *claims.entry(id).or_default() += 1;
            }
        }
        for id in &queued {
            assert_eq!(claims.get(id), Some(&1), "job {id:?} ran {:?} times", claims.get(id));
        }
        assert_eq!(claims.len(), 40);
        let counts = store.job_counts().await.expect("counts");
        assert_eq!((counts.queued, counts.done, counts.failed), (0, 40, 0));
    }

    async fn draining_a_job_of_an_unknown_kind_records_the_failure_instead_of_panicking(store, db) {
        let app = comark_app::App::new(store.clone(), comark_app::Settings::default());
        let retried = store.enqueue(job("no_such_kind", 3)).await.expect("enqueue");
        let ran = comark_app::jobs::drain(&app, None).await.expect("drain");
        assert_eq!(ran, 1, "the job ran once, then waits for its backoff");
        let (status, attempts, last_error) = job_row(db, retried).await;
        assert_eq!(status, "queued", "the job is retried later");
        assert_eq!(attempts, 1);
        let last_error = last_error.expect("the failure is recorded");
        assert!(last_error.contains("no_such_kind"), "{last_error}");
        assert!(store.claim_job("worker-a", LEASE).await.expect("claim").is_none());

        let doomed = store.enqueue(job("no_such_kind", 1)).await.expect("enqueue");
        assert_eq!(comark_app::jobs::drain(&app, None).await.expect("drain"), 1);
        let (status, _, last_error) = job_row(db, doomed).await;
        assert_eq!(status, "failed", "a job out of attempts fails for good");
        assert!(last_error.is_some());
        let counts = store.job_counts().await.expect("counts");
        assert_eq!((counts.queued, counts.done, counts.failed), (1, 0, 1));
    }
}
