//! People and their credentials (instance-level: a person may belong to several organizations).

use chrono::{DateTime, Utc};
use comark_domain::UserId;

use comark_domain::JobId;

use crate::jobs::insert_job;
use crate::{
    now, on_pool, on_unique, write_tx, NewJob, Result, Store, StoreError, User, UserOrganization,
};

const USER_COLUMNS: &str =
    "id, email, name, password_hash, totp_secret, totp_enabled_at, created_at,
     (email_verified_at IS NOT NULL) AS email_verified";

impl Store {
    /// Creates a user. A taken e-mail address is `Conflict("email")`.
    pub async fn create_user(&self, email: &str, name: &str, password_hash: &str) -> Result<User> {
        let id = UserId::new();
        let at = now();
        on_pool!(self, pool => {
            sqlx::query(
                "INSERT INTO users (id, email, name, password_hash, created_at, password_changed_at)
                 VALUES ($1, $2, $3, $4, $5, $5)",
            )
            .bind(id.0)
            .bind(email)
            .bind(name)
            .bind(password_hash)
            .bind(at)
            .execute(pool)
            .await
            .map_err(on_unique("email"))?;
        });
        self.user_by_id(id).await?.ok_or(StoreError::NotFound)
    }

    /// The user with this (normalized) e-mail address.
    pub async fn user_by_email(&self, email: &str) -> Result<Option<User>> {
        Ok(on_pool!(self, pool => {
            sqlx::query_as(&format!("SELECT {USER_COLUMNS} FROM users WHERE email = $1"))
                .bind(email)
                .fetch_optional(pool)
                .await?
        }))
    }

    /// The user with this id.
    pub async fn user_by_id(&self, id: UserId) -> Result<Option<User>> {
        Ok(on_pool!(self, pool => {
            sqlx::query_as(&format!("SELECT {USER_COLUMNS} FROM users WHERE id = $1"))
                .bind(id.0)
                .fetch_optional(pool)
                .await?
        }))
    }

    /// Sets a new password hash and ends every session but `keep_session` (a token hash).
    pub async fn set_password(
        &self,
        user: UserId,
        password_hash: &str,
        keep_session: Option<&str>,
    ) -> Result<()> {
        write_tx!(self, tx => {
            let changed = sqlx::query(
                "UPDATE users SET password_hash = $1, password_changed_at = $2 WHERE id = $3",
            )
            .bind(password_hash)
            .bind(now())
            .bind(user.0)
            .execute(&mut *tx)
            .await?;
            if changed.rows_affected() == 0 {
                return Err(StoreError::NotFound);
            }
            sqlx::query("DELETE FROM sessions WHERE user_id = $1 AND token_hash <> $2")
                .bind(user.0)
                .bind(keep_session.unwrap_or(""))
                .execute(&mut *tx)
                .await?;
        });
        Ok(())
    }

    /// Stores a TOTP secret not yet confirmed (the user still has to enter a first code).
    pub async fn set_pending_totp(&self, user: UserId, secret: &str) -> Result<()> {
        on_pool!(self, pool => {
            sqlx::query("UPDATE users SET totp_secret = $1, totp_enabled_at = NULL WHERE id = $2")
                .bind(secret)
                .bind(user.0)
                .execute(pool)
                .await?;
        });
        Ok(())
    }

    /// Switches the second factor on and replaces the recovery codes (given as hashes).
    pub async fn enable_totp(&self, user: UserId, recovery_code_hashes: &[String]) -> Result<()> {
        write_tx!(self, tx => {
            sqlx::query("UPDATE users SET totp_enabled_at = $1 WHERE id = $2 AND totp_secret IS NOT NULL")
                .bind(now())
                .bind(user.0)
                .execute(&mut *tx)
                .await?;
            sqlx::query("DELETE FROM recovery_codes WHERE user_id = $1")
                .bind(user.0)
                .execute(&mut *tx)
                .await?;
            for code_hash in recovery_code_hashes {
                sqlx::query("INSERT INTO recovery_codes (user_id, code_hash) VALUES ($1, $2)")
                    .bind(user.0)
                    .bind(code_hash)
                    .execute(&mut *tx)
                    .await?;
            }
        });
        Ok(())
    }

    /// Switches the second factor off and drops the recovery codes.
    pub async fn disable_totp(&self, user: UserId) -> Result<()> {
        write_tx!(self, tx => {
            sqlx::query("UPDATE users SET totp_secret = NULL, totp_enabled_at = NULL WHERE id = $1")
                .bind(user.0)
                .execute(&mut *tx)
                .await?;
            sqlx::query("DELETE FROM recovery_codes WHERE user_id = $1")
                .bind(user.0)
                .execute(&mut *tx)
                .await?;
        });
        Ok(())
    }

    /// Uses up one recovery code; false if it is unknown or already used.
    pub async fn use_recovery_code(&self, user: UserId, code_hash: &str) -> Result<bool> {
        let used = on_pool!(self, pool => {
            sqlx::query(
                "UPDATE recovery_codes SET used_at = $1
                 WHERE user_id = $2 AND code_hash = $3 AND used_at IS NULL",
            )
            .bind(now())
            .bind(user.0)
            .bind(code_hash)
            .execute(pool)
            .await?
            .rows_affected()
        });
        Ok(used == 1)
    }

    /// How many recovery codes the user has left.
    pub async fn recovery_codes_left(&self, user: UserId) -> Result<i64> {
        Ok(on_pool!(self, pool => {
            sqlx::query_scalar("SELECT COUNT(*) FROM recovery_codes WHERE user_id = $1 AND used_at IS NULL")
                .bind(user.0)
                .fetch_one(pool)
                .await?
        }))
    }

    /// The organizations a user belongs to, by name.
    pub async fn organizations_of(&self, user: UserId) -> Result<Vec<UserOrganization>> {
        Ok(on_pool!(self, pool => {
            sqlx::query_as(
                "SELECT o.id, o.handle, o.name, o.created_at, m.role
                 FROM organizations o JOIN memberships m ON m.org_id = o.id
                 WHERE m.user_id = $1 ORDER BY o.name, o.handle",
            )
            .bind(user.0)
            .fetch_all(pool)
            .await?
        }))
    }

    /// Records a password reset link (by its token's hash) valid until `expires_at`, made
    /// by the job `job`, and queues its e-mail in the same transaction. A job that runs
    /// again makes no second link or e-mail: false then.
    pub async fn create_password_reset(
        &self,
        user: UserId,
        job: JobId,
        token_hash: &str,
        expires_at: DateTime<Utc>,
        email_job: NewJob,
    ) -> Result<bool> {
        let created = write_tx!(self, tx => {
            let inserted = sqlx::query(
                "INSERT INTO password_resets (token_hash, user_id, created_at, expires_at, job_id)
                 VALUES ($1, $2, $3, $4, $5)
                 ON CONFLICT (job_id) DO NOTHING",
            )
            .bind(token_hash)
            .bind(user.0)
            .bind(now())
            .bind(expires_at)
            .bind(job.0)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if inserted == 1 {
                insert_job!(&mut *tx, &email_job, now());
            }
            inserted == 1
        });
        if created {
            self.announce_jobs().await?;
        }
        Ok(created)
    }

    /// Uses a reset token: sets the new password, ends all sessions, and voids the token.
    /// `NotFound` when the token is unknown, used or expired.
    pub async fn reset_password(&self, token_hash: &str, password_hash: &str) -> Result<UserId> {
        let at = now();
        write_tx!(self, tx => {
            let user: Option<uuid::Uuid> = sqlx::query_scalar(
                "UPDATE password_resets SET used_at = $1
                 WHERE token_hash = $2 AND used_at IS NULL AND expires_at > $1
                 RETURNING user_id",
            )
            .bind(at)
            .bind(token_hash)
            .fetch_optional(&mut *tx)
            .await?;
            let user = user.ok_or(StoreError::NotFound)?;
            // The link came by e-mail, so using it proves the address too.
            sqlx::query(
                "UPDATE users SET password_hash = $1, password_changed_at = $2,
                        email_verified_at = COALESCE(email_verified_at, $2)
                 WHERE id = $3",
            )
            .bind(password_hash)
            .bind(at)
            .bind(user)
            .execute(&mut *tx)
            .await?;
            sqlx::query("DELETE FROM sessions WHERE user_id = $1")
                .bind(user)
                .execute(&mut *tx)
                .await?;
            sqlx::query("UPDATE password_resets SET used_at = $1 WHERE user_id = $2 AND used_at IS NULL")
                .bind(at)
                .bind(user)
                .execute(&mut *tx)
                .await?;
            Ok(UserId(user))
        })
    }

    /// Until when `key` (an account, an address, a mailbox...) must wait before its next
    /// attempt, if it must wait now.
    pub async fn sign_in_locked_until(&self, key: &str) -> Result<Option<DateTime<Utc>>> {
        let locked: Option<Option<DateTime<Utc>>> = on_pool!(self, pool => {
            sqlx::query_scalar("SELECT locked_until FROM sign_in_failures WHERE throttle_key = $1")
                .bind(key)
                .fetch_optional(pool)
                .await?
        });
        Ok(locked.flatten().filter(|until| *until > now()))
    }

    /// Counts one use of `key` against a fixed allowance: `max_failures` within `window`,
    /// then nothing more for `lock`. Returns the lock's end, if one is now in force. The
    /// request form's rate limits and the unasked e-mails count this way; failed sign-ins
    /// slow down with [`Store::record_failed_attempt`] instead.
    pub async fn record_sign_in_failure(
        &self,
        key: &str,
        max_failures: i64,
        window: chrono::Duration,
        lock: chrono::Duration,
    ) -> Result<Option<DateTime<Utc>>> {
        let at = now();
        write_tx!(self, tx => {
            let row: Option<(i64, DateTime<Utc>)> = sqlx::query_as(
                "SELECT failures, window_started_at FROM sign_in_failures WHERE throttle_key = $1",
            )
            .bind(key)
            .fetch_optional(&mut *tx)
            .await?;
            let (failures, window_started_at) = match row {
                Some((failures, started)) if at - started < window => (failures + 1, started),
                _ => (1, at),
            };
            let locked_until = (failures >= max_failures).then(|| at + lock);
            sqlx::query(
                "INSERT INTO sign_in_failures (throttle_key, failures, window_started_at, locked_until)
                 VALUES ($1, $2, $3, $4)
                 ON CONFLICT (throttle_key) DO UPDATE
                 SET failures = excluded.failures, window_started_at = excluded.window_started_at,
                     locked_until = excluded.locked_until",
            )
            .bind(key)
            .bind(failures)
            .bind(window_started_at)
            .bind(locked_until)
            .execute(&mut *tx)
            .await?;
            Ok(locked_until)
        })
    }

    /// Counts a failed attempt against `key` and sets when the next one may come, as
    /// `backoff` says. Returns that time when there is a wait.
    pub async fn record_failed_attempt(
        &self,
        key: &str,
        backoff: &Backoff,
    ) -> Result<Option<DateTime<Utc>>> {
        let at = now();
        write_tx!(self, tx => {
            let row: Option<(i64, DateTime<Utc>, Option<DateTime<Utc>>)> = sqlx::query_as(
                "SELECT failures, window_started_at, last_failed_at FROM sign_in_failures
                 WHERE throttle_key = $1",
            )
            .bind(key)
            .fetch_optional(&mut *tx)
            .await?;
            let (failures, window_started_at) = match row {
                Some((failures, started, Some(last))) if at - last < backoff.forget_after => {
                    (failures + 1, started)
                }
                _ => (1, at),
            };
            let next_attempt_at = backoff.wait_after(failures).map(|wait| at + wait);
            sqlx::query(
                "INSERT INTO sign_in_failures
                     (throttle_key, failures, window_started_at, locked_until, last_failed_at)
                 VALUES ($1, $2, $3, $4, $5)
                 ON CONFLICT (throttle_key) DO UPDATE
                 SET failures = excluded.failures, window_started_at = excluded.window_started_at,
                     locked_until = excluded.locked_until, last_failed_at = excluded.last_failed_at",
            )
            .bind(key)
            .bind(failures)
            .bind(window_started_at)
            .bind(next_attempt_at)
            .bind(at)
            .execute(&mut *tx)
            .await?;
            Ok(next_attempt_at)
        })
    }

    /// Counts one e-mail a stranger asked for against `key` (at most `max` within `window`)
    /// and, while the allowance lasts, queues `job` in the same transaction. False once the
    /// allowance is spent: nothing is queued then.
    pub async fn count_and_enqueue(
        &self,
        key: &str,
        max: i64,
        window: chrono::Duration,
        job: NewJob,
    ) -> Result<bool> {
        let at = now();
        let queued = write_tx!(self, tx => {
            let row: Option<(i64, DateTime<Utc>, Option<DateTime<Utc>>)> = sqlx::query_as(
                "SELECT failures, window_started_at, locked_until FROM sign_in_failures
                 WHERE throttle_key = $1",
            )
            .bind(key)
            .fetch_optional(&mut *tx)
            .await?;
            // The same bookkeeping as `record_sign_in_failure` with one more than `max`, which
            // sign-up's e-mails use, so both share one allowance per address.
            let (count, window_started_at) = match row {
                Some((_, _, Some(until))) if until > at => return Ok(false),
                Some((count, started, _)) if at - started < window => (count + 1, started),
                _ => (1, at),
            };
            let allowed = count <= max;
            let locked_until = (!allowed).then(|| at + window);
            sqlx::query(
                "INSERT INTO sign_in_failures (throttle_key, failures, window_started_at, locked_until)
                 VALUES ($1, $2, $3, $4)
                 ON CONFLICT (throttle_key) DO UPDATE
                 SET failures = excluded.failures, window_started_at = excluded.window_started_at,
                     locked_until = excluded.locked_until",
            )
            .bind(key)
            .bind(count)
            .bind(window_started_at)
            .bind(locked_until)
            .execute(&mut *tx)
            .await?;
            if allowed {
                insert_job!(&mut *tx, &job, at);
            }
            allowed
        });
        if queued {
            self.announce_jobs().await?;
        }
        Ok(queued)
    }

    /// Forgets the failures of `key` after a successful sign-in.
    pub async fn clear_sign_in_failures(&self, key: &str) -> Result<()> {
        on_pool!(self, pool => {
            sqlx::query("DELETE FROM sign_in_failures WHERE throttle_key = $1")
                .bind(key)
                .execute(pool)
                .await?;
        });
        Ok(())
    }
}

/// A sign-up waiting for its address to be confirmed.
pub struct NewSignup<'a> {
    /// The SHA-256 of the secret in the e-mailed link.
    pub token_hash: &'a str,
    /// The normalized address.
    pub email: &'a str,
    /// The person's name.
    pub name: &'a str,
    /// The argon2id hash of the chosen password.
    pub password_hash: &'a str,
    /// When the link stops working.
    pub expires_at: DateTime<Utc>,
}

impl Store {
    /// Records a sign-up to be confirmed through the e-mailed link.
    pub async fn create_signup_confirmation(
        &self,
        signup: NewSignup<'_>,
        email_job: NewJob,
    ) -> Result<()> {
        write_tx!(self, tx => {
            sqlx::query(
                "INSERT INTO signup_confirmations (token_hash, email, name, password_hash, created_at, expires_at)
                 VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .bind(signup.token_hash)
            .bind(signup.email)
            .bind(signup.name)
            .bind(signup.password_hash)
            .bind(now())
            .bind(signup.expires_at)
            .execute(&mut *tx)
            .await?;
            insert_job!(&mut *tx, &email_job, now());
        });
        self.announce_jobs().await
    }

    /// Uses a confirmation link: creates the account it describes. `NotFound` when the link
    /// is unknown, used or expired; `Conflict("email")` when the address got an account since.
    pub async fn confirm_signup(&self, token_hash: &str) -> Result<User> {
        let at = now();
        let id = UserId::new();
        write_tx!(self, tx => {
            let row: Option<(String, String, String)> = sqlx::query_as(
                "UPDATE signup_confirmations SET used_at = $1
                 WHERE token_hash = $2 AND used_at IS NULL AND expires_at > $1
                 RETURNING email, name, password_hash",
            )
            .bind(at)
            .bind(token_hash)
            .fetch_optional(&mut *tx)
            .await?;
            let (email, name, password_hash) = row.ok_or(StoreError::NotFound)?;
            // The confirmation link came by e-mail: the new account has proven its address.
            sqlx::query(
                "INSERT INTO users (id, email, name, password_hash, created_at, password_changed_at, email_verified_at)
                 VALUES ($1, $2, $3, $4, $5, $5, $5)",
            )
            .bind(id.0)
            .bind(&email)
            .bind(&name)
            .bind(&password_hash)
            .bind(at)
            .execute(&mut *tx)
            .await
            .map_err(on_unique("email"))?;
        });
        self.user_by_id(id).await?.ok_or(StoreError::NotFound)
    }
}

impl Store {
    /// Records that a TOTP code of time step `step` was used. False when that step (or a
    /// later one) was used already: a code works once.
    pub async fn use_totp_step(&self, user: UserId, step: i64) -> Result<bool> {
        let used = on_pool!(self, pool => {
            sqlx::query(
                "UPDATE users SET totp_last_step = $1
                 WHERE id = $2 AND (totp_last_step IS NULL OR totp_last_step < $1)",
            )
            .bind(step)
            .bind(user.0)
            .execute(pool)
            .await?
            .rows_affected()
        });
        Ok(used == 1)
    }
}

/// How failed attempts slow a key down: a free allowance, then a wait that doubles with
/// each further failure, up to a cap. Nothing is ever refused for good, so an attacker's
/// failures cannot lock the owner out.
#[derive(Clone, Copy, Debug)]
pub struct Backoff {
    /// Failures that cost nothing.
    pub free: i64,
    /// The wait after the last free failure.
    pub first_wait: chrono::Duration,
    /// The longest wait.
    pub max_wait: chrono::Duration,
    /// The failures are forgotten after this long without one.
    pub forget_after: chrono::Duration,
}

impl Backoff {
    /// How long the next attempt must wait after `failures` failures in a row.
    pub fn wait_after(&self, failures: i64) -> Option<chrono::Duration> {
        let past_free = failures.checked_sub(self.free)?;
        if past_free < 0 {
            return None;
        }
        // 2^past_free, without overflowing long before the cap matters.
        let factor = 1i32.checked_shl(u32::try_from(past_free.min(30)).unwrap_or(30));
        let wait = factor
            .and_then(|factor| self.first_wait.checked_mul(factor))
            .unwrap_or(self.max_wait);
        Some(wait.min(self.max_wait))
    }
}

impl Store {
    /// Records an unlock link (by its token's hash) for `user`, made by the job `job`, and
    /// queues its e-mail in the same transaction. A job that runs again makes no second
    /// link or e-mail: false then.
    pub async fn create_sign_in_unlock(
        &self,
        user: UserId,
        job: JobId,
        token_hash: &str,
        expires_at: DateTime<Utc>,
        email_job: NewJob,
    ) -> Result<bool> {
        let created = write_tx!(self, tx => {
            let inserted = sqlx::query(
                "INSERT INTO sign_in_unlocks (token_hash, user_id, job_id, created_at, expires_at)
                 VALUES ($1, $2, $3, $4, $5)
                 ON CONFLICT (job_id) DO NOTHING",
            )
            .bind(token_hash)
            .bind(user.0)
            .bind(job.0)
            .bind(now())
            .bind(expires_at)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if inserted == 1 {
                insert_job!(&mut *tx, &email_job, now());
            }
            inserted == 1
        });
        if created {
            self.announce_jobs().await?;
        }
        Ok(created)
    }

    /// The account an unlock link is for, while it is unused and unexpired.
    pub async fn sign_in_unlock_user(&self, token_hash: &str) -> Result<Option<UserId>> {
        let user: Option<uuid::Uuid> = on_pool!(self, pool => {
            sqlx::query_scalar(
                "SELECT user_id FROM sign_in_unlocks
                 WHERE token_hash = $1 AND used_at IS NULL AND expires_at > $2",
            )
            .bind(token_hash)
            .bind(now())
            .fetch_optional(pool)
            .await?
        });
        Ok(user.map(UserId))
    }

    /// Uses up an unlock link of `user`; false when it is unknown, used, expired or someone
    /// else's. Two sign-ins racing with one link cannot both get past.
    pub async fn use_sign_in_unlock(&self, token_hash: &str, user: UserId) -> Result<bool> {
        let at = now();
        let used = on_pool!(self, pool => {
            sqlx::query(
                "UPDATE sign_in_unlocks SET used_at = $1
                 WHERE token_hash = $2 AND user_id = $3 AND used_at IS NULL AND expires_at > $1",
            )
            .bind(at)
            .bind(token_hash)
            .bind(user.0)
            .execute(pool)
            .await?
            .rows_affected()
        });
        Ok(used == 1)
    }
}

#[cfg(test)]
mod tests {
    use super::Backoff;
    use chrono::Duration;

    const BACKOFF: Backoff = Backoff {
        free: 5,
        first_wait: Duration::seconds(1),
        max_wait: Duration::minutes(15),
        forget_after: Duration::hours(1),
    };

    #[test]
    fn the_wait_doubles_after_the_free_failures_up_to_the_cap() {
        let waits: Vec<_> = (0..12)
            .map(|n| BACKOFF.wait_after(n).map(|w| w.num_seconds()))
            .collect();
        assert_eq!(
            waits,
            [
                None,
                None,
                None,
                None,
                None,
                Some(1),
                Some(2),
                Some(4),
                Some(8),
                Some(16),
                Some(32),
                Some(64)
            ]
        );
        assert_eq!(BACKOFF.wait_after(15), Some(Duration::minutes(15)));
        assert_eq!(BACKOFF.wait_after(i64::MAX), Some(Duration::minutes(15)));
        assert_eq!(BACKOFF.wait_after(i64::MIN), None);
    }
}
