//! Partner connections between organizations.

use chrono::Duration;
use comark_domain::{
    Action, ConnectionId, ConnectionLinkId, ConnectionTransition, LinkOptions, OrgHandle,
    ValidationErrors,
};
use comark_store::{now, Actor, Connection, ConnectionLink, LiveLink, OrgScope};
use serde::Deserialize;

use crate::orgs::require;
use crate::secrets::{hash_token, new_token};
use crate::{App, AppError, Result};

/// The organization's connections.
pub async fn list(app: &App, scope: &OrgScope) -> Result<Vec<Connection>> {
    require(scope, Action::View)?;
    Ok(app.store.org(scope).connections().await?)
}

/// One connection.
pub async fn get(app: &App, scope: &OrgScope, id: ConnectionId) -> Result<Connection> {
    require(scope, Action::View)?;
    Ok(app.store.org(scope).connection(id).await?)
}

/// Sends a connection request to the organization with `handle`.
pub async fn request(
    app: &App,
    scope: &OrgScope,
    handle: &str,
    message: Option<&str>,
    actor: &Actor,
) -> Result<Connection> {
    require(scope, Action::ManageConnections)?;
    let handle =
        OrgHandle::parse(handle).map_err(|e| ValidationErrors::single("handle", e.to_string()))?;
    let not_found = || ValidationErrors::single("handle", "no organization has this handle");
    let partner = app
        .store
        .org_by_handle(handle.as_str())
        .await?
        .ok_or_else(not_found)?;
    let message = message.map(str::trim).filter(|m| !m.is_empty());
    if message.is_some_and(|m| m.chars().count() > 1000) {
        return Err(ValidationErrors::single("message", "must be at most 1000 characters").into());
    }
    if partner.id == scope.org_id() {
        return Err(ValidationErrors::single("handle", "is your own organization").into());
    }
    app.store
        .org(scope)
        .request_connection(&partner, message, actor)
        .await
        .map_err(|error| match AppError::from(error) {
            AppError::Conflict { .. } => ValidationErrors::single(
                "handle",
                "you already have an open connection or request with this organization",
            )
            .into(),
            other => other,
        })
}

/// Accepts, declines or ends a connection.
pub async fn transition(
    app: &App,
    scope: &OrgScope,
    id: ConnectionId,
    transition: ConnectionTransition,
    actor: &Actor,
) -> Result<Connection> {
    require(scope, Action::ManageConnections)?;
    Ok(app
        .store
        .org(scope)
        .transition_connection(id, transition, actor)
        .await?)
}

/// What the creator of an invite link chooses; absent numbers take the defaults (one use,
/// seven days), and a link asks the creator to accept unless `auto_accept`.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct NewLink {
    /// How many organizations may use it (1 to 100).
    #[serde(default)]
    pub max_uses: Option<i64>,
    /// How many days it works (1 to 90).
    #[serde(default)]
    pub expires_in_days: Option<i64>,
    /// Connect at once, without waiting for this side to accept.
    #[serde(default)]
    pub auto_accept: bool,
    /// What to remember it by.
    #[serde(default)]
    pub note: Option<String>,
}

/// A new connection invite link, shown once.
#[derive(Debug, serde::Serialize)]
pub struct CreatedLink {
    /// The link's record.
    #[serde(flatten)]
    pub record: ConnectionLink,
    /// The URL to hand to a partner.
    pub link: String,
}

/// Creates an invite link with the creator's limits: a number of uses, an expiry, and
/// whether an organization using it is connected at once or waits for this side to accept.
pub async fn create_link(
    app: &App,
    scope: &OrgScope,
    new: NewLink,
    actor: &Actor,
) -> Result<CreatedLink> {
    require(scope, Action::ManageConnections)?;
    let options = LinkOptions::parse(
        new.max_uses,
        new.expires_in_days,
        new.auto_accept,
        new.note.as_deref(),
    )?;
    let token = new_token("");
    let expires_at = now() + Duration::days(options.expires_in_days);
    let record = app
        .store
        .org(scope)
        .create_connection_link(&hash_token(&token), &options, expires_at, actor)
        .await?;
    Ok(CreatedLink {
        record,
        link: app.link(&format!("/connect/{token}")),
    })
}

/// The organization's invite links: the open ones and those closed in the last 30 days.
pub async fn links(app: &App, scope: &OrgScope) -> Result<Vec<ConnectionLink>> {
    require(scope, Action::ManageConnections)?;
    Ok(app.store.org(scope).connection_links().await?)
}

/// Withdraws an invite link; it answers like an unknown one from then on.
pub async fn revoke_link(
    app: &App,
    scope: &OrgScope,
    id: ConnectionLinkId,
    actor: &Actor,
) -> Result<ConnectionLink> {
    require(scope, Action::ManageConnections)?;
    Ok(app
        .store
        .org(scope)
        .revoke_connection_link(id, actor)
        .await?)
}

/// The organization behind a live invite link, and whether using it connects at once. An
/// unknown, revoked, expired or used-up link is not found alike.
pub async fn link_preview(app: &App, token: &str) -> Result<LiveLink> {
    app.store
        .live_connection_link(&hash_token(token))
        .await?
        .ok_or(AppError::NotFound)
}

/// Uses another organization's invite link: counts one use and asks that organization to
/// connect, or connects at once if its creator chose so.
pub async fn accept_link(
    app: &App,
    scope: &OrgScope,
    token: &str,
    actor: &Actor,
) -> Result<Connection> {
    require(scope, Action::ManageConnections)?;
    app.store
        .org(scope)
        .connect_via_link(&hash_token(token), actor)
        .await
        .map_err(|error| match AppError::from(error) {
            AppError::Conflict { .. } => AppError::Rule(
                "you already have an open connection or request with this organization".into(),
            ),
            other => other,
        })
}
