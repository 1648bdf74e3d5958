//! The web UI: server-rendered HTML (maud) with progressive enhancement (htmx, embedded).
//!
//! Every web route is registered through [`WebRoutes`], which also records it in the route
//! table that the authorization matrix test walks. Every state-changing request passes the
//! CSRF check in [`guard`] before any handler runs.

mod account;
mod docs;
pub mod layout;
mod org;
mod profiles;
mod session;

use axum::body::{Body, Bytes};
use axum::extract::{FromRequestParts, Request, State};
use axum::handler::Handler;
use axum::http::request::Parts;
use axum::http::{header, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;

use crate::auth::{cookie, csrf_cookie_name};
use crate::error::Problem;
use crate::AppState;

/// A web router that remembers what it routes.
pub struct WebRoutes {
    router: Router<AppState>,
    table: Vec<(Method, &'static str)>,
}

impl WebRoutes {
    fn new() -> Self {
        WebRoutes {
            router: Router::new(),
            table: Vec::new(),
        }
    }

    fn get<H: Handler<T, AppState>, T: 'static>(mut self, path: &'static str, handler: H) -> Self {
        self.router = self.router.route(path, get(handler));
        self.table.push((Method::GET, path));
        self
    }

    fn post<H: Handler<T, AppState>, T: 'static>(mut self, path: &'static str, handler: H) -> Self {
        self.router = self.router.route(path, post(handler));
        self.table.push((Method::POST, path));
        self
    }
}

fn routes() -> WebRoutes {
    let routes = WebRoutes::new()
        .get("/", session::home)
        .get("/assets/app.css", assets::css)
        .get("/assets/app.js", assets::js)
        .get("/assets/htmx.min.js", assets::htmx)
        .get("/docs/api", docs::reference);
    let routes = session::routes(routes);
    let routes = account::routes(routes);
    let routes = profiles::routes(routes);
    org::routes(routes)
}

/// The web UI's router, behind the CSRF and flash guard.
pub fn router() -> Router<AppState> {
    routes().router.layer(axum::middleware::from_fn(guard))
}

/// Every web route as (method, path pattern), for the authorization matrix.
pub fn route_table() -> Vec<(Method, &'static str)> {
    routes().table
}

/// The CSRF token for this browser, for forms.
#[derive(Clone)]
pub struct Csrf(pub String);

/// A message left by the previous action, shown once.
#[derive(Clone)]
pub struct Flash(pub Option<String>);

impl<S: Send + Sync> FromRequestParts<S> for Csrf {
    type Rejection = std::convert::Infallible;
    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(parts
            .extensions
            .get::<Csrf>()
            .cloned()
            .unwrap_or(Csrf(String::new())))
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Flash {
    type Rejection = std::convert::Infallible;
    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(parts
            .extensions
            .get::<Flash>()
            .cloned()
            .unwrap_or(Flash(None)))
    }
}

const FLASH_COOKIE: &str = "comark_flash";
const MAX_FORM_BYTES: usize = 64 * 1024;

fn secure_cookies(request: &Request) -> bool {
    request
        .extensions()
        .get::<SecureCookies>()
        .is_none_or(|s| s.0)
}

/// Whether cookies are marked secure, put into requests by the top-level router.
#[derive(Clone, Copy)]
pub struct SecureCookies(pub bool);

/// Checks the CSRF token of every state-changing request (double submit: the form field or
/// `X-CSRF-Token` header must equal the `__Host-` cookie, which another site can neither
/// read nor set), hands forms the token, and shows a flash message once.
async fn guard(request: Request, next: Next) -> Response {
    let secure = secure_cookies(&request);
    let (mut parts, body) = request.into_parts();
    let existing = cookie(&parts, csrf_cookie_name(secure))
        .filter(|t| t.len() >= 32)
        .map(str::to_owned);
    let token = existing
        .clone()
        .unwrap_or_else(comark_app::secrets::new_token_plain);
    let flash = cookie(&parts, FLASH_COOKIE).map(decode_flash);
    let request = if parts.method == Method::GET || parts.method == Method::HEAD {
        Request::from_parts(parts, body)
    } else {
        let bytes = match axum::body::to_bytes(body, MAX_FORM_BYTES).await {
            Ok(bytes) => bytes,
            Err(_) => return (StatusCode::PAYLOAD_TOO_LARGE, "form too large").into_response(),
        };
        let sent = parts
            .headers
            .get("x-csrf-token")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
            .or_else(|| form_value(&bytes, "_csrf"));
        let valid = matches!((&existing, &sent), (Some(expected), Some(sent)) if comark_app::secrets::constant_time_eq(expected, sent));
        if !valid {
            return csrf_failure();
        }
        parts.extensions.insert(Csrf(token.clone()));
        Request::from_parts(parts, Body::from(bytes))
    };
    let (mut parts, body) = request.into_parts();
    parts.extensions.insert(Csrf(token.clone()));
    parts.extensions.insert(Flash(flash.clone()));
    let method = parts.method.clone();
    let mut response = next.run(Request::from_parts(parts, body)).await;
    let headers = response.headers_mut();
    if existing.is_none() {
        let attributes = if secure { "; Secure" } else { "" };
        let value = format!(
            "{}={token}; Path=/; HttpOnly; SameSite=Strict{attributes}",
            csrf_cookie_name(secure)
        );
        if let Ok(value) = HeaderValue::from_str(&value) {
            headers.append(header::SET_COOKIE, value);
        }
    }
    // A form answered with a page (not a redirect) must not leave its POST-only address in
    // the address bar, or reloading would fail: tell htmx not to push it.
    if method != Method::GET && method != Method::HEAD && !response.status().is_redirection() {
        response
            .headers_mut()
            .insert("hx-push-url", HeaderValue::from_static("false"));
    }
    let headers = response.headers_mut();
    let is_page = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html"));
    if flash.is_some() && method == Method::GET && is_page {
        let attributes = if secure { "; Secure" } else { "" };
        let value =
            format!("{FLASH_COOKIE}=; Path=/; Max-Age=0; HttpOnly; SameSite=Lax{attributes}");
        if let Ok(value) = HeaderValue::from_str(&value) {
            headers.append(header::SET_COOKIE, value);
        }
    }
    response
}

fn csrf_failure() -> Response {
    let body = layout::page(
        layout::Shell {
            title: "Form expired",
            ..Default::default()
        },
        maud::html! {
            h1 { "This form has expired" }
            p { "For your safety the form was not sent. Go back, reload the page and try again." }
        },
    );
    (StatusCode::FORBIDDEN, body).into_response()
}

fn form_value(bytes: &Bytes, name: &str) -> Option<String> {
    serde_urlencoded::from_bytes::<Vec<(String, String)>>(bytes)
        .ok()?
        .into_iter()
        .find(|(key, _)| key == name)
        .map(|(_, value)| value)
}

fn decode_flash(raw: &str) -> String {
    serde_urlencoded::from_str::<Vec<(String, String)>>(&format!("m={raw}"))
        .ok()
        .and_then(|pairs| pairs.into_iter().next())
        .map(|(_, value)| value.chars().take(300).collect())
        .unwrap_or_default()
}

/// Redirects to `to` with a message to show there once.
pub fn redirect_with_flash(to: &str, message: &str, secure: bool) -> Response {
    let mut response = Redirect::to(to).into_response();
    let attributes = if secure { "; Secure" } else { "" };
    let value = format!(
        "{FLASH_COOKIE}={}; Path=/; HttpOnly; SameSite=Lax{attributes}",
        crate::auth::url_encode(message)
    );
    if let Ok(value) = HeaderValue::from_str(&value) {
        response.headers_mut().append(header::SET_COOKIE, value);
    }
    response
}

/// The answer for any path nothing else matched: a problem under `/api`, a page elsewhere.
pub async fn not_found_fallback(State(_): State<AppState>, request: Request) -> Response {
    if request.uri().path().starts_with("/api/") {
        Problem::not_found().into_response()
    } else {
        layout::not_found_page()
    }
}

mod assets {
    use axum::http::header;
    use axum::response::IntoResponse;

    const CACHE: &str = "public, max-age=3600";

    pub async fn css() -> impl IntoResponse {
        (
            [
                (header::CONTENT_TYPE, "text/css; charset=utf-8"),
                (header::CACHE_CONTROL, CACHE),
            ],
            include_str!("../../assets/app.css"),
        )
    }

    pub async fn js() -> impl IntoResponse {
        (
            [
                (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
                (header::CACHE_CONTROL, CACHE),
            ],
            include_str!("../../assets/app.js"),
        )
    }

    pub async fn htmx() -> impl IntoResponse {
        (
            [
                (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
                (header::CACHE_CONTROL, CACHE),
            ],
            include_str!("../../assets/htmx-2.0.4.min.js"),
        )
    }
}
