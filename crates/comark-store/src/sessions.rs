//! Sign-in sessions, kept in the database so that several instances share them.

use chrono::{DateTime, Utc};
use comark_domain::UserId;

use crate::{now, on_pool, Result, Session, Store};

const SESSION_COLUMNS: &str =
    "token_hash, user_id, csrf_token, second_factor_pending, created_at, last_seen_at, expires_at";

/// What a new session starts with.
pub struct NewSession<'a> {
    /// The SHA-256 of the secret token.
    pub token_hash: &'a str,
    /// Who signed in.
    pub user_id: UserId,
    /// The CSRF token for forms.
    pub csrf_token: &'a str,
    /// Whether a TOTP code is still owed.
    pub second_factor_pending: bool,
    /// When it ends regardless of use.
    pub expires_at: DateTime<Utc>,
    /// The browser, for the user's session list.
    pub user_agent: Option<&'a str>,
    /// The client address.
    pub ip: Option<&'a str>,
}

impl Store {
    /// Starts a session.
    pub async fn create_session(&self, new: NewSession<'_>) -> Result<()> {
        let at = now();
        on_pool!(self, pool => {
            sqlx::query(
                "INSERT INTO sessions (token_hash, user_id, csrf_token, second_factor_pending,
                                       created_at, last_seen_at, expires_at, user_agent, ip)
                 VALUES ($1, $2, $3, $4, $5, $5, $6, $7, $8)",
            )
            .bind(new.token_hash)
            .bind(new.user_id.0)
            .bind(new.csrf_token)
            .bind(new.second_factor_pending)
            .bind(at)
            .bind(new.expires_at)
            .bind(new.user_agent)
            .bind(new.ip)
            .execute(pool)
            .await?;
        });
        Ok(())
    }

    /// The live session with this token hash, if any.
    pub async fn session(&self, token_hash: &str) -> Result<Option<Session>> {
        Ok(on_pool!(self, pool => {
            sqlx::query_as(&format!(
                "SELECT {SESSION_COLUMNS} FROM sessions WHERE token_hash = $1 AND expires_at > $2"
            ))
            .bind(token_hash)
            .bind(now())
            .fetch_optional(pool)
            .await?
        }))
    }

    /// Records use of a session (callers throttle this to once a minute).
    pub async fn touch_session(&self, token_hash: &str) -> Result<()> {
        on_pool!(self, pool => {
            sqlx::query("UPDATE sessions SET last_seen_at = $1 WHERE token_hash = $2")
                .bind(now())
                .bind(token_hash)
                .execute(pool)
                .await?;
        });
        Ok(())
    }

    /// Marks the second factor as given.
    pub async fn complete_second_factor(&self, token_hash: &str) -> Result<()> {
        on_pool!(self, pool => {
            sqlx::query("UPDATE sessions SET second_factor_pending = $1 WHERE token_hash = $2")
                .bind(false)
                .bind(token_hash)
                .execute(pool)
                .await?;
        });
        Ok(())
    }

    /// Ends one session.
    pub async fn delete_session(&self, token_hash: &str) -> Result<()> {
        on_pool!(self, pool => {
            sqlx::query("DELETE FROM sessions WHERE token_hash = $1")
                .bind(token_hash)
                .execute(pool)
                .await?;
        });
        Ok(())
    }

    /// Ends every session of a user.
    pub async fn delete_sessions_of(&self, user: UserId) -> Result<()> {
        on_pool!(self, pool => {
            sqlx::query("DELETE FROM sessions WHERE user_id = $1")
                .bind(user.0)
                .execute(pool)
                .await?;
        });
        Ok(())
    }

    /// Drops expired sessions; returns how many.
    pub async fn purge_expired_sessions(&self) -> Result<u64> {
        Ok(on_pool!(self, pool => {
            sqlx::query("DELETE FROM sessions WHERE expires_at <= $1")
                .bind(now())
                .execute(pool)
                .await?
                .rows_affected()
        }))
    }
}
