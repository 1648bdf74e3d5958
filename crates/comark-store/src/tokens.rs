//! Personal API tokens: stored as hashes, shown once.

use chrono::{DateTime, Utc};
use comark_domain::{ApiTokenId, AuditAction, Scope, UserId};
use serde_json::json;

use crate::audit::insert_audit;
use crate::{now, on_pool, write_tx, Actor, ApiToken, Result, Store, StoreError};

const TOKEN_COLUMNS: &str =
    "id, user_id, name, scope, created_at, last_used_at, expires_at, revoked_at";

impl Store {
    /// Creates a token for `user`, recorded in the audit log of each of their organizations.
    pub async fn create_api_token(
        &self,
        user: UserId,
        name: &str,
        scope: Scope,
        token_hash: &str,
        expires_at: Option<DateTime<Utc>>,
        actor: &Actor,
    ) -> Result<ApiToken> {
        let id = ApiTokenId::new();
        write_tx!(self, tx => {
            sqlx::query(
                "INSERT INTO api_tokens (id, user_id, name, token_hash, scope, created_at, expires_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7)",
            )
            .bind(id.0)
            .bind(user.0)
            .bind(name)
            .bind(token_hash)
            .bind(scope.as_str())
            .bind(now())
            .bind(expires_at)
            .execute(&mut *tx)
            .await?;
            let orgs: Vec<uuid::Uuid> = sqlx::query_scalar("SELECT org_id FROM memberships WHERE user_id = $1")
                .bind(user.0)
                .fetch_all(&mut *tx)
                .await?;
            for org in orgs {
                insert_audit!(&mut *tx, org, actor, AuditAction::TokenCreated, id.to_string(),
                    json!({ "name": name, "scope": scope.as_str() }));
            }
        });
        self.api_token(user, id).await
    }

    /// One of the user's tokens.
    pub async fn api_token(&self, user: UserId, id: ApiTokenId) -> Result<ApiToken> {
        on_pool!(self, pool => {
            sqlx::query_as(&format!("SELECT {TOKEN_COLUMNS} FROM api_tokens WHERE id = $1 AND user_id = $2"))
                .bind(id.0)
                .bind(user.0)
                .fetch_optional(pool)
                .await?
        })
        .ok_or(StoreError::NotFound)
    }

    /// The user's tokens, newest first.
    pub async fn api_tokens_of(&self, user: UserId) -> Result<Vec<ApiToken>> {
        Ok(on_pool!(self, pool => {
            sqlx::query_as(&format!(
                "SELECT {TOKEN_COLUMNS} FROM api_tokens WHERE user_id = $1 ORDER BY created_at DESC, id DESC"
            ))
            .bind(user.0)
            .fetch_all(pool)
            .await?
        }))
    }

    /// The live token with this hash, marking it used.
    pub async fn use_api_token(&self, token_hash: &str) -> Result<Option<ApiToken>> {
        let at = now();
        let token: Option<ApiToken> = on_pool!(self, pool => {
            sqlx::query_as(&format!(
                "UPDATE api_tokens SET last_used_at = $1
                 WHERE token_hash = $2 AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > $1)
                 RETURNING {TOKEN_COLUMNS}"
            ))
            .bind(at)
            .bind(token_hash)
            .fetch_optional(pool)
            .await?
        });
        Ok(token)
    }

    /// Revokes one of the user's tokens.
    pub async fn revoke_api_token(
        &self,
        user: UserId,
        id: ApiTokenId,
        actor: &Actor,
    ) -> Result<()> {
        write_tx!(self, tx => {
            let revoked = sqlx::query(
                "UPDATE api_tokens SET revoked_at = $1 WHERE id = $2 AND user_id = $3 AND revoked_at IS NULL",
            )
            .bind(now())
            .bind(id.0)
            .bind(user.0)
            .execute(&mut *tx)
            .await?;
            if revoked.rows_affected() == 0 {
                return Err(StoreError::NotFound);
            }
            let orgs: Vec<uuid::Uuid> = sqlx::query_scalar("SELECT org_id FROM memberships WHERE user_id = $1")
                .bind(user.0)
                .fetch_all(&mut *tx)
                .await?;
            for org in orgs {
                insert_audit!(&mut *tx, org, actor, AuditAction::TokenRevoked, id.to_string(), json!({}));
            }
        });
        Ok(())
    }
}
