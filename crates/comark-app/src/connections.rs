//! Partner connections between organizations.

use chrono::Duration;
use comark_domain::{Action, ConnectionId, ConnectionTransition, OrgHandle, ValidationErrors};
use comark_store::{now, Actor, Connection, ConnectionLink, OrgScope, Organization};

use crate::orgs::require;
use crate::secrets::{hash_token, new_token};
use crate::{App, AppError, Result};

/// How long a connection invite link works.
pub const LINK_LIFETIME: Duration = Duration::days(30);

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
        .request_connection(&partner, message, actor, false)
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

/// A new connection invite link, shown once.
#[derive(Debug, serde::Serialize)]
pub struct CreatedLink {
    /// The link's record.
    #[serde(flatten)]
    pub record: ConnectionLink,
    /// The URL to hand to a partner.
    pub link: String,
}

/// Creates an invite link that connects its holder's organization with this one at once.
pub async fn create_link(app: &App, scope: &OrgScope, actor: &Actor) -> Result<CreatedLink> {
    require(scope, Action::ManageConnections)?;
    let token = new_token("");
    let record = app
        .store
        .org(scope)
        .create_connection_link(&hash_token(&token), now() + LINK_LIFETIME, actor)
        .await?;
    Ok(CreatedLink {
        record,
        link: app.link(&format!("/connect/{token}")),
    })
}

/// The organization behind a connection invite link.
pub async fn link_owner(app: &App, token: &str) -> Result<Organization> {
    app.store
        .connection_link_owner(&hash_token(token))
        .await?
        .ok_or(AppError::NotFound)
}

/// Uses a connection invite link: the two organizations are connected at once.
pub async fn accept_link(
    app: &App,
    scope: &OrgScope,
    token: &str,
    actor: &Actor,
) -> Result<Connection> {
    require(scope, Action::ManageConnections)?;
    let partner = link_owner(app, token).await?;
    if partner.id == scope.org_id() {
        return Err(AppError::Rule(
            "this is your own organization's link".into(),
        ));
    }
    app.store
        .org(scope)
        .request_connection(&partner, None, actor, true)
        .await
        .map_err(|error| match AppError::from(error) {
            AppError::Conflict { .. } => AppError::Rule(
                "you already have an open connection or request with this organization".into(),
            ),
            other => other,
        })
}
