//! Who is asking, and in which organization: the extractors that make an `OrgScope`.
//!
//! The API authenticates with `Authorization: Bearer` (a personal token or a session token);
//! the web UI with the session cookie. An organization in the path becomes an `OrgScope`
//! only after the member's role is loaded: not a member and no such organization both
//! answer 404 with the same body.

use std::net::{IpAddr, SocketAddr};

use axum::extract::{ConnectInfo, FromRequestParts, RawPathParams};
use axum::http::request::Parts;
use axum::http::{header, Method};
use axum::response::{IntoResponse, Redirect, Response};
use comark_app::auth::{authenticate_bearer, authenticate_session, Client, CurrentUser};
use comark_app::AppError;
use comark_domain::Scope;
use comark_store::{Actor, OrgScope};

use crate::error::ApiError;
use crate::web::layout::not_found_page;
use crate::AppState;

/// The session cookie's name: `__Host-` binds it to this exact origin over HTTPS.
pub fn session_cookie_name(secure: bool) -> &'static str {
    if secure {
        "__Host-comark_session"
    } else {
        "comark_session"
    }
}

/// The name of the cookie that holds a browser's form token until it signs in (after, the
/// session's own token is the one forms echo).
pub fn csrf_cookie_name(secure: bool) -> &'static str {
    if secure {
        "__Host-comark_csrf"
    } else {
        "comark_csrf"
    }
}

/// Reads one cookie from the request.
pub fn cookie<'a>(parts: &'a Parts, name: &str) -> Option<&'a str> {
    parts
        .headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value)
}

/// The address a request comes from, as decided for it in `ops::observe`: the TCP peer, or
/// behind a trusted proxy the client it names.
#[derive(Clone, Copy, Debug)]
pub struct ClientAddress(pub IpAddr);

/// The client's address and browser.
pub fn client_of(parts: &Parts) -> Client {
    let address = parts
        .extensions
        .get::<ClientAddress>()
        .map(|ClientAddress(ip)| *ip)
        // Never the forwarded headers: only `observe` knows which proxies to believe.
        .or_else(|| {
            parts
                .extensions
                .get::<ConnectInfo<SocketAddr>>()
                .map(|ConnectInfo(addr)| addr.ip().to_canonical())
        });
    Client {
        ip: address.map(|ip| ip.to_string()),
        user_agent: parts
            .headers
            .get(header::USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .map(|v| v.chars().take(200).collect()),
    }
}

async fn raw_org_param(parts: &mut Parts, state: &AppState) -> Option<String> {
    let params = RawPathParams::from_request_parts(parts, state).await.ok()?;
    let found = params
        .iter()
        .find(|(key, _)| *key == "org")
        .map(|(_, value)| value.to_owned());
    found
}

/// The scope a request's method needs from an API token.
fn scope_for(method: &Method) -> Scope {
    if matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS) {
        Scope::Read
    } else {
        Scope::Write
    }
}

/// An API caller, authenticated by bearer token.
pub struct ApiUser {
    /// The person and their credential.
    pub current: CurrentUser,
    /// Where the request comes from.
    pub client: Client,
}

impl ApiUser {
    /// The actor for the audit log.
    pub fn actor(&self) -> Actor {
        self.current.actor(&self.client)
    }
}

impl FromRequestParts<AppState> for ApiUser {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let token = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(comark_app::auth::bearer_token)
            .ok_or(AppError::Unauthenticated(
                "send a token in the Authorization: Bearer header",
            ))?;
        let current = authenticate_bearer(&state.app, token)
            .await?
            .ok_or(AppError::Unauthenticated("the token is not valid"))?;
        if current.second_factor_pending && parts.uri.path() != "/api/v1/auth/second-factor" {
            return Err(AppError::Unauthenticated(
                "finish signing in with your second factor first",
            )
            .into());
        }
        current.require_scope(scope_for(&parts.method))?;
        Ok(ApiUser {
            current,
            client: client_of(parts),
        })
    }
}

/// An API caller acting inside the organization named by the `{org}` path segment.
pub struct ApiOrg {
    /// The caller.
    pub user: ApiUser,
    /// Proof of membership, with the role.
    pub scope: OrgScope,
}

impl ApiOrg {
    /// The actor for the audit log.
    pub fn actor(&self) -> Actor {
        self.user.actor()
    }
}

impl FromRequestParts<AppState> for ApiOrg {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let user = ApiUser::from_request_parts(parts, state).await?;
        let handle = raw_org_param(parts, state)
            .await
            .ok_or(AppError::NotFound)?;
        let scope = state
            .app
            .member_scope(user.current.user.id, &handle)
            .await?
            .ok_or(AppError::NotFound)?;
        Ok(ApiOrg { user, scope })
    }
}

/// A signed-in browser. Anonymous visitors are sent to the sign-in page.
pub struct WebUser {
    /// The person and their session.
    pub current: CurrentUser,
    /// Where the request comes from.
    pub client: Client,
}

impl WebUser {
    /// The actor for the audit log.
    pub fn actor(&self) -> Actor {
        self.current.actor(&self.client)
    }
}

/// Why a web request may not go on.
pub enum WebRejection {
    /// Not signed in: go to the sign-in page and come back.
    SignIn(String),
    /// The second factor is owed.
    SecondFactor,
    /// No such page (or not yours).
    NotFound,
    /// Something failed inside.
    Internal(AppError),
}

impl IntoResponse for WebRejection {
    fn into_response(self) -> Response {
        match self {
            WebRejection::SignIn(next) => {
                let next: String = url_encode(&next);
                Redirect::to(&format!("/sign-in?next={next}")).into_response()
            }
            WebRejection::SecondFactor => Redirect::to("/sign-in/second-factor").into_response(),
            WebRejection::NotFound => not_found_page(),
            WebRejection::Internal(error) => crate::web::layout::error_page(error),
        }
    }
}

/// Percent-encodes a query value.
pub fn url_encode(value: &str) -> String {
    serde_urlencoded::to_string([("v", value)])
        .map(|s| s[2..].to_owned())
        .unwrap_or_default()
}

/// The session of a web request, as the CSRF guard found it: looked up once per request.
#[derive(Clone)]
pub struct WebSession(pub Option<CurrentUser>);

/// The signed-in user of a browser request, if any (pages that also serve visitors use this).
pub async fn optional_web_user(
    parts: &Parts,
    state: &AppState,
) -> Result<Option<CurrentUser>, AppError> {
    if let Some(WebSession(found)) = parts.extensions.get::<WebSession>() {
        return Ok(found.clone());
    }
    match cookie(parts, session_cookie_name(state.settings.secure_cookies)) {
        Some(token) => authenticate_session(&state.app, token).await,
        None => Ok(None),
    }
}

impl FromRequestParts<AppState> for WebUser {
    type Rejection = WebRejection;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let current = optional_web_user(parts, state)
            .await
            .map_err(WebRejection::Internal)?;
        let next = parts
            .uri
            .path_and_query()
            .map_or("/".to_owned(), |p| p.as_str().to_owned());
        let current = current.ok_or(WebRejection::SignIn(next))?;
        if current.second_factor_pending {
            return Err(WebRejection::SecondFactor);
        }
        Ok(WebUser {
            current,
            client: client_of(parts),
        })
    }
}

/// A signed-in browser inside the organization named by the `{org}` path segment.
pub struct WebOrg {
    /// The person.
    pub user: WebUser,
    /// Proof of membership, with the role.
    pub scope: OrgScope,
}

impl WebOrg {
    /// The actor for the audit log.
    pub fn actor(&self) -> Actor {
        self.user.actor()
    }
}

impl FromRequestParts<AppState> for WebOrg {
    type Rejection = WebRejection;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let user = WebUser::from_request_parts(parts, state).await?;
        let handle = raw_org_param(parts, state)
            .await
            .ok_or(WebRejection::NotFound)?;
        let scope = state
            .app
            .member_scope(user.current.user.id, &handle)
            .await
            .map_err(WebRejection::Internal)?
            .ok_or(WebRejection::NotFound)?;
        Ok(WebOrg { user, scope })
    }
}

/// The client's address and browser, for handlers that serve visitors.
pub struct ClientInfo(pub Client);

impl<S: Send + Sync> FromRequestParts<S> for ClientInfo {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        Ok(ClientInfo(client_of(parts)))
    }
}
