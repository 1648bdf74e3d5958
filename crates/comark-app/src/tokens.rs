//! Personal API tokens.

use chrono::Duration;
use comark_domain::{ApiTokenId, Scope, ValidationErrors};
use comark_store::{now, Actor, ApiToken};
use serde::Deserialize;

use crate::auth::CurrentUser;
use crate::secrets::{hash_token, new_token};
use crate::{App, Result};

/// What the new-token form holds.
#[derive(Debug, Clone, Deserialize)]
pub struct NewToken {
    /// A name to recognize it by.
    pub name: String,
    /// read, write or admin.
    pub scope: String,
    /// Days until it expires; never when absent.
    #[serde(default)]
    pub expires_in_days: Option<u32>,
}

/// A new token: the secret is shown once and never stored.
#[derive(Debug, serde::Serialize)]
pub struct CreatedToken {
    /// The token's record.
    #[serde(flatten)]
    pub record: ApiToken,
    /// The secret to put in `Authorization: Bearer`.
    pub token: String,
}

/// Creates a personal token. A token cannot be wider than the credential creating it.
pub async fn create(
    app: &App,
    current: &CurrentUser,
    form: NewToken,
    actor: &Actor,
) -> Result<CreatedToken> {
    let mut errors = ValidationErrors::default();
    let name = form.name.trim();
    if name.is_empty() || name.chars().count() > 100 {
        errors.0.push(comark_domain::FieldError {
            field: "name".into(),
            message: "must be 1 to 100 characters".into(),
        });
    }
    let scope = errors.check("scope", form.scope.parse::<Scope>());
    if form
        .expires_in_days
        .is_some_and(|days| days == 0 || days > 3650)
    {
        errors.0.push(comark_domain::FieldError {
            field: "expires_in_days".into(),
            message: "must be between 1 and 3650".into(),
        });
    }
    errors.clone().into_result()?;
    let Some(scope) = scope else {
        return Err(errors.into());
    };
    current.require_scope(scope)?;
    let token = new_token("cmk_pat_");
    let expires_at = form
        .expires_in_days
        .map(|days| now() + Duration::days(i64::from(days)));
    let record = app
        .store
        .create_api_token(
            current.user.id,
            name,
            scope,
            &hash_token(&token),
            expires_at,
            actor,
        )
        .await?;
    Ok(CreatedToken { record, token })
}

/// The current user's tokens.
pub async fn list(app: &App, current: &CurrentUser) -> Result<Vec<ApiToken>> {
    Ok(app.store.api_tokens_of(current.user.id).await?)
}

/// Revokes one of the current user's tokens.
pub async fn revoke(app: &App, current: &CurrentUser, id: ApiTokenId, actor: &Actor) -> Result<()> {
    Ok(app
        .store
        .revoke_api_token(current.user.id, id, actor)
        .await?)
}
