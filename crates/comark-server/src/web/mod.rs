//! The web UI: server-rendered HTML (maud) with progressive enhancement (htmx, embedded).
//!
//! Every web route is registered through [`WebRoutes`], which also records it in the route
//! table that the authorization matrix test walks. Every state-changing request passes the
//! CSRF check in [`guard`] before any handler runs.

mod account;
mod accounts;
mod assessment;
mod docs;
mod form;
mod intake;
pub mod layout;
mod maturity;
mod org;
mod partnerships;
mod profiles;
mod session;

use std::sync::{Arc, Mutex};

use axum::body::{Body, Bytes};
use axum::extract::{DefaultBodyLimit, FromRequest, FromRequestParts, Multipart, Request, State};
use axum::handler::Handler;
use axum::http::request::Parts;
use axum::http::{header, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;

use comark_app::auth::CurrentUser;
use comark_app::secrets;

use crate::auth::{cookie, csrf_cookie_name, optional_web_user, WebSession};
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
    let routes = accounts::routes(routes);
    let routes = maturity::routes(routes);
    let routes = assessment::routes(routes);
    let routes = partnerships::routes(routes);
    let routes = intake::routes(routes);
    org::routes(routes)
}

/// The web UI's router, behind the CSRF and flash guard.
pub fn router(state: AppState) -> Router<AppState> {
    routes()
        .router
        .layer(axum::middleware::from_fn_with_state(state, guard))
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

/// The token a state-changing request must echo, and the one this request's page hands out.
struct FormToken {
    /// What the form field or `X-CSRF-Token` header must equal.
    expected: Option<String>,
    /// What forms on the answer carry.
    handed_out: String,
    /// A new pre-session token to store in the cookie.
    new_cookie: bool,
}

/// The token of this browser. A signed-in browser (second factor pending or not) echoes its
/// session's own token, so the token is bound to the session whatever the cookies are
/// called: a cookie planted from a sibling host (possible when `--insecure-cookies` drops
/// the `__Host-` prefix) cannot stand in for it. A browser without a session echoes the
/// token in its cookie, which must be one this server signed and not older than a day.
fn form_token(session: Option<&CurrentUser>, cookie_token: Option<&str>, key: &[u8]) -> FormToken {
    if let Some(token) = session.and_then(|current| current.csrf_token.clone()) {
        return FormToken {
            expected: Some(token.clone()),
            handed_out: token,
            new_cookie: false,
        };
    }
    let now = comark_store::now().timestamp();
    let valid = cookie_token.and_then(|token| {
        secrets::pre_session_token_age(key, token, now).map(|age| (token.to_owned(), age))
    });
    match valid {
        // Renewed half-way, so a form shown now still works when it is sent a while later.
        Some((token, age)) if age < secrets::PRE_SESSION_TOKEN_LIFETIME / 2 => FormToken {
            expected: Some(token.clone()),
            handed_out: token,
            new_cookie: false,
        },
        valid => FormToken {
            expected: valid.map(|(token, _)| token),
            handed_out: secrets::pre_session_token(key, now),
            new_cookie: true,
        },
    }
}

/// A browser marks a request that another site made it send (`Sec-Fetch-Site`), even a
/// sibling host of the same site. No form of comark's is sent from elsewhere, so such a
/// request is refused before its token is looked at; older browsers that send no such
/// header rely on the token alone.
fn sent_from_another_site(parts: &Parts) -> bool {
    parts
        .headers
        .get("sec-fetch-site")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|site| {
            site.eq_ignore_ascii_case("cross-site") || site.eq_ignore_ascii_case("same-site")
        })
}

/// Checks the CSRF token of every state-changing request (the form field or `X-CSRF-Token`
/// header must equal the browser's token: see [`form_token`]), hands forms the token, and
/// shows a flash message once. The session is looked up here once and handed on to the
/// handler ([`WebSession`]).
async fn guard(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let secure = state.settings.secure_cookies;
    let (mut parts, body) = request.into_parts();
    let session = match optional_web_user(&parts, &state).await {
        Ok(session) => session,
        Err(error) => return layout::error_page(error),
    };
    let key = match state.pre_session_key().await {
        Ok(key) => key,
        Err(error) => return layout::error_page(error),
    };
    let FormToken {
        expected,
        handed_out: token,
        new_cookie,
    } = form_token(
        session.as_ref(),
        cookie(&parts, csrf_cookie_name(secure)),
        key,
    );
    parts.extensions.insert(WebSession(session));
    let flash = cookie(&parts, FLASH_COOKIE).map(decode_flash);
    let is_valid = |sent: &Option<String>| matches!((&expected, sent), (Some(expected), Some(sent)) if secrets::constant_time_eq(expected, sent));
    let request = if parts.method == Method::GET || parts.method == Method::HEAD {
        Request::from_parts(parts, body)
    } else if sent_from_another_site(&parts) {
        return csrf_failure();
    } else if is_multipart(&parts) {
        // File uploads are streamed, not buffered: the CSRF field must come first, and the
        // handler gets the rest of the form (see `CheckedMultipart`).
        let Some(mut multipart) = multipart_of(&parts, body).await else {
            return (StatusCode::BAD_REQUEST, "malformed form").into_response();
        };
        if !is_valid(&csrf_field_of(&mut multipart).await) {
            return csrf_failure();
        }
        parts
            .extensions
            .insert(CheckedMultipart(Arc::new(Mutex::new(Some(multipart)))));
        Request::from_parts(parts, Body::empty())
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
        if !is_valid(&sent) {
            return csrf_failure();
        }
        let errors = crate::boundary::pairs_with_controls(&bytes);
        if !errors.is_empty() {
            return crate::boundary::refused(false, errors);
        }
        Request::from_parts(parts, Body::from(bytes))
    };
    let (mut parts, body) = request.into_parts();
    parts.extensions.insert(Csrf(token.clone()));
    parts.extensions.insert(Flash(flash.clone()));
    let method = parts.method.clone();
    let mut response = next.run(Request::from_parts(parts, body)).await;
    let headers = response.headers_mut();
    if new_cookie {
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

fn is_multipart(parts: &Parts) -> bool {
    parts
        .headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.trim_start()
                .to_ascii_lowercase()
                .starts_with("multipart/form-data")
        })
}

/// Reads `body` as a multipart form, without the app-wide body limit: an upload's handler
/// counts what it stores.
async fn multipart_of(parts: &Parts, body: Body) -> Option<Multipart> {
    use tower::{Layer, ServiceExt};
    let content_type = parts.headers.get(header::CONTENT_TYPE)?.clone();
    let request = Request::builder()
        .header(header::CONTENT_TYPE, content_type)
        .body(body)
        .ok()?;
    let read = DefaultBodyLimit::disable().layer(tower::service_fn(|request: Request| async {
        Ok::<_, std::convert::Infallible>(Multipart::from_request(request, &()).await.ok())
    }));
    read.oneshot(request).await.ok().flatten()
}

/// The value of the form's first field, if it is `_csrf` and of a sensible size.
async fn csrf_field_of(multipart: &mut Multipart) -> Option<String> {
    let mut field = multipart.next_field().await.ok()??;
    if field.name() != Some("_csrf") {
        return None;
    }
    let mut value = Vec::new();
    while let Some(chunk) = field.chunk().await.ok()? {
        value.extend_from_slice(&chunk);
        if value.len() > 256 {
            return None;
        }
    }
    String::from_utf8(value).ok()
}

/// A `multipart/form-data` form whose CSRF field (its first) the guard has checked; the
/// handler reads the other fields as they stream in.
#[derive(Clone)]
pub struct CheckedMultipart(Arc<Mutex<Option<Multipart>>>);

impl CheckedMultipart {
    /// The rest of the form, once.
    pub fn take(&self) -> Option<Multipart> {
        self.0.lock().ok().and_then(|mut form| form.take())
    }
}

/// A request that was not a multipart form gets an empty one: the handler answers it like a
/// form sent without its file.
impl<S: Send + Sync> FromRequestParts<S> for CheckedMultipart {
    type Rejection = std::convert::Infallible;
    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(parts
            .extensions
            .get::<CheckedMultipart>()
            .cloned()
            .unwrap_or_else(|| CheckedMultipart(Arc::new(Mutex::new(None)))))
    }
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
