//! Visitors and sessions: the start page, sign-up, sign-in (with TOTP), sign-out, password reset.

use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use comark_app::auth::{self, SignUp};
use comark_app::AppError;
use maud::{html, Markup};
use serde::Deserialize;

use super::layout::{csrf_field, error_page, field, page, Shell};
use super::{redirect_with_flash, Csrf, Flash, WebRoutes};
use crate::auth::{optional_web_user, session_cookie_name, ClientInfo};
use crate::AppState;

pub(super) fn routes(routes: WebRoutes) -> WebRoutes {
    routes
        .get("/sign-up", sign_up_page)
        .post("/sign-up", sign_up)
        .get("/sign-up/confirm/{token}", confirm_page)
        .post("/sign-up/confirm/{token}", confirm)
        .get("/sign-in", sign_in_page)
        .post("/sign-in", sign_in)
        .get("/sign-in/unlock/{token}", unlock_page)
        .post("/sign-in/unlock", request_unlock)
        .get("/sign-in/second-factor", second_factor_page)
        .post("/sign-in/second-factor", second_factor)
        .post("/sign-out", sign_out)
        .get("/forgot-password", forgot_page)
        .post("/forgot-password", forgot)
        .get("/reset-password/{token}", reset_page)
        .post("/reset-password/{token}", reset)
}

/// Field errors by name, for re-rendering a form.
pub(super) fn error_for<'a>(error: &'a Option<AppError>, name: &str) -> Option<&'a str> {
    match error {
        Some(AppError::Invalid(errors)) => errors
            .0
            .iter()
            .find(|e| e.field == name)
            .map(|e| e.message.as_str()),
        _ => None,
    }
}

/// A message for errors that belong to no field.
pub(super) fn general_error(error: &Option<AppError>) -> Option<String> {
    match error {
        None | Some(AppError::Invalid(_)) => None,
        Some(AppError::Unauthenticated(m)) => Some(capitalize(m)),
        Some(AppError::Throttled { retry_after_secs }) => Some(match retry_after_secs {
            ..=1 => "Too many attempts. Try again in a second.".to_owned(),
            2..=90 => format!("Too many attempts. Try again in {retry_after_secs} seconds."),
            _ => format!(
                "Too many attempts. Try again in {} minutes.",
                (retry_after_secs + 59) / 60
            ),
        }),
        Some(AppError::Rule(m)) => Some(capitalize(m)),
        Some(AppError::Conflict { message, .. }) => Some(capitalize(message)),
        Some(AppError::Forbidden) => Some("Your role does not allow this.".into()),
        Some(_) => Some("Something went wrong. Please try again.".into()),
    }
}

fn capitalize(s: &str) -> String {
    let mut chars = s.chars();
    chars
        .next()
        .map(|c| c.to_uppercase().collect::<String>() + chars.as_str())
        .unwrap_or_default()
}

fn status_for(error: &Option<AppError>) -> StatusCode {
    error
        .as_ref()
        .map_or(StatusCode::OK, crate::error::status_of)
}

/// Renders a form page with the status its error calls for (and, when it asks to wait,
/// how long in `Retry-After`).
pub(super) fn form_response(error: &Option<AppError>, markup: Markup) -> Response {
    if let Some(AppError::Internal(detail)) = error {
        tracing::error!(error = %detail, "internal error");
    }
    let mut response = (status_for(error), markup).into_response();
    if let Some(AppError::Throttled { retry_after_secs }) = error {
        if let Ok(value) = HeaderValue::from_str(&retry_after_secs.to_string()) {
            response.headers_mut().insert(header::RETRY_AFTER, value);
        }
    }
    response
}

pub(super) fn alert(message: Option<String>) -> Markup {
    html! { @if let Some(message) = message { div.alert role="alert" { (message) } } }
}

fn session_cookie(state: &AppState, token: &str) -> HeaderValue {
    let secure = state.settings.secure_cookies;
    let attributes = if secure { "; Secure" } else { "" };
    let max_age = auth::SESSION_LIFETIME.num_seconds();
    HeaderValue::from_str(&format!(
        "{}={token}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age}{attributes}",
        session_cookie_name(secure)
    ))
    .unwrap_or(HeaderValue::from_static(""))
}

fn clear_session_cookie(state: &AppState) -> HeaderValue {
    let secure = state.settings.secure_cookies;
    let attributes = if secure { "; Secure" } else { "" };
    HeaderValue::from_str(&format!(
        "{}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0{attributes}",
        session_cookie_name(secure)
    ))
    .unwrap_or(HeaderValue::from_static(""))
}

/// Only same-site paths may be a `next` target, so sign-in cannot redirect elsewhere.
fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(next)
            if next.starts_with('/') && !next.starts_with("//") && !next.starts_with("/\\") =>
        {
            next.to_owned()
        }
        _ => "/".to_owned(),
    }
}

/// The start page: the organizations of a signed-in person, or a welcome.
pub(super) async fn home(
    State(state): State<AppState>,
    parts: axum::http::request::Parts,
    Csrf(csrf): Csrf,
    Flash(flash): Flash,
) -> Response {
    let current = match optional_web_user(&parts, &state).await {
        Ok(current) => current,
        Err(error) => return error_page(error),
    };
    let Some(current) = current.filter(|c| !c.second_factor_pending) else {
        return page(
            Shell { title: "Welcome", flash: flash.as_deref(), csrf: &csrf, ..Default::default() },
            html! {
                section.hero {
                    h1 { "Market together with your partners" }
                    p { "comark runs co-marketing for partner ecosystems: find partners, map shared accounts, agree goals, run joint plays and route leads — on your own server." }
                    p.actions { a.button href="/sign-up" { "Create an account" } " " a.button.secondary href="/sign-in" { "Sign in" } }
                }
            },
        )
        .into_response();
    };
    let orgs = match state.app.organizations_of(current.user.id).await {
        Ok(orgs) => orgs,
        Err(error) => return error_page(error),
    };
    page(
        Shell { title: "Your organizations", user_name: Some(&current.user.name), flash: flash.as_deref(), csrf: &csrf, ..Default::default() },
        html! {
            h1 { "Your organizations" }
            @if orgs.is_empty() {
                div.empty {
                    p { "You do not belong to an organization yet. Create one for your company, or open the invitation link a colleague sent you." }
                    a.button href="/orgs/new" { "Create an organization" }
                }
            } @else {
                ul.cards {
                    @for org in &orgs {
                        li { a href={ "/o/" (org.org.handle) } { strong { (org.org.name) } " " span.muted { "@" (org.org.handle) " · " (org.role.label()) } } }
                    }
                }
                p { a href="/orgs/new" { "Create another organization" } }
            }
        },
    )
    .into_response()
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub(super) struct SignUpForm {
    name: String,
    email: String,
    password: String,
    next: Option<String>,
}

fn sign_up_form(csrf: &str, form: &SignUpForm, error: &Option<AppError>) -> Markup {
    page(
        Shell {
            title: "Create your account",
            csrf,
            ..Default::default()
        },
        html! {
            h1 { "Create your account" }
            (alert(general_error(error)))
            form.stack method="post" action="/sign-up" novalidate {
                (csrf_field(csrf))
                @if let Some(next) = &form.next { input type="hidden" name="next" value=(next); }
                (field("Your name", "name", "text", &form.name, error_for(error, "name"), "name"))
                (field("Work e-mail", "email", "email", &form.email, error_for(error, "email"), "email"))
                (field("Password (at least 10 characters)", "password", "password", "", error_for(error, "password"), "new-password"))
                button type="submit" { "Create account" }
            }
            p { "Already have an account? " a href="/sign-in" { "Sign in" } }
        },
    )
}

async fn sign_up_page(Csrf(csrf): Csrf, Query(query): Query<NextQuery>) -> Markup {
    let form = SignUpForm {
        next: query.next,
        ..Default::default()
    };
    sign_up_form(&csrf, &form, &None)
}

async fn sign_up(
    State(state): State<AppState>,
    ClientInfo(client): ClientInfo,
    Csrf(csrf): Csrf,
    Form(form): Form<SignUpForm>,
) -> Response {
    let input = SignUp {
        name: form.name.clone(),
        email: form.email.clone(),
        password: form.password.clone(),
    };
    match auth::sign_up(&state.app, input, &client).await {
        Ok(auth::SignUpOutcome::SignedIn(signed_in)) => match form.next.as_deref() {
            // Someone who signed up from an invitation goes back to it.
            Some(next) => {
                let mut response = Redirect::to(&safe_next(Some(next))).into_response();
                response.headers_mut().append(header::SET_COOKIE, session_cookie(&state, &signed_in.token));
                response
            }
            None => welcome(&state, &signed_in),
        },
        Ok(auth::SignUpOutcome::CheckInbox) => page(
            Shell { title: "Check your inbox", csrf: &csrf, ..Default::default() },
            html! {
                h1 { "Check your inbox" }
                p { "We sent a link to " strong { (form.email.trim()) } ". Open it within 24 hours to finish creating your account." }
                p.muted { "Nothing there after a few minutes? Look in your spam folder, or sign up again." }
            },
        )
        .into_response(),
        Err(error) => {
            let error = Some(error);
            form_response(&error, sign_up_form(&csrf, &form, &error))
        }
    }
}

fn welcome(state: &AppState, signed_in: &auth::SignedIn) -> Response {
    let mut response = redirect_with_flash(
        "/orgs/new",
        "Welcome to comark! Create your organization to get started.",
        state.settings.secure_cookies,
    );
    response
        .headers_mut()
        .append(header::SET_COOKIE, session_cookie(state, &signed_in.token));
    response
}

// The link in the e-mail opens a page with a button rather than confirming on GET, so that
// mail scanners that fetch links cannot use it up.
async fn confirm_page(Csrf(csrf): Csrf, Path(token): Path<String>) -> Markup {
    page(
        Shell {
            title: "Finish signing up",
            csrf: &csrf,
            ..Default::default()
        },
        html! {
            h1 { "Finish signing up" }
            form method="post" action={ "/sign-up/confirm/" (token) } {
                (csrf_field(&csrf))
                button type="submit" { "Create my account" }
            }
        },
    )
}

async fn confirm(
    State(state): State<AppState>,
    ClientInfo(client): ClientInfo,
    Path(token): Path<String>,
) -> Response {
    match auth::confirm_sign_up(&state.app, &token, &client).await {
        Ok(signed_in) => welcome(&state, &signed_in),
        Err(error) => error_page(error),
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub(super) struct SignInForm {
    email: String,
    password: String,
    /// The second factor's code, offered while sign-in asks to wait.
    code: Option<String>,
    /// The secret of an e-mailed unlock link.
    unlock: Option<String>,
    next: Option<String>,
}

#[derive(Deserialize)]
pub(super) struct NextQuery {
    next: Option<String>,
}

/// The sign-in page. When sign-in asks to wait, it says how the person can sign in now
/// anyway: with their second factor's code beside the password, or with an e-mailed link
/// (or, on a server without e-mail, that there is no link to have).
fn sign_in_form(
    state: &AppState,
    csrf: &str,
    flash: Option<&str>,
    form: &SignInForm,
    error: &Option<AppError>,
) -> Markup {
    let waiting = matches!(error, Some(AppError::Throttled { .. }));
    let with_code = waiting || form.code.is_some() || error_for(error, "code").is_some();
    page(
        Shell {
            title: "Sign in",
            csrf,
            flash,
            ..Default::default()
        },
        html! {
            h1 { "Sign in" }
            (alert(general_error(error)))
            @if waiting {
                p id="sign-in-waiting" { "Several wrong passwords were tried for this account or from your network, so each attempt waits a little longer. You can sign in now with your password and your second factor's code." }
            }
            @if form.unlock.is_some() {
                p { "Sign in with your password to skip the wait. The link works once." }
            }
            form.stack method="post" action="/sign-in" {
                (csrf_field(csrf))
                @if let Some(next) = &form.next { input type="hidden" name="next" value=(next); }
                @if let Some(unlock) = &form.unlock { input type="hidden" name="unlock" value=(unlock); }
                (field("E-mail", "email", "email", &form.email, error_for(error, "email"), "username"))
                (field("Password", "password", "password", "", error_for(error, "password"), "current-password"))
                @if with_code {
                    (field("Code from your authenticator app, or a recovery code", "code", "text", "", error_for(error, "code"), "one-time-code"))
                }
                button type="submit" { "Sign in" }
            }
            @if waiting {
                @if state.app.settings.mail_enabled {
                    form.stack method="post" action="/sign-in/unlock" {
                        (csrf_field(csrf))
                        input type="hidden" name="email" value=(form.email);
                        p { "No second factor? We can e-mail the account a link to sign in without waiting." }
                        button.secondary type="submit" { "E-mail me a link" }
                    }
                } @else {
                    p.muted { "This server does not send e-mail, so it cannot send you a link to sign in without waiting." }
                }
            }
            p { a href="/forgot-password" { "Forgot your password?" } " · " a href="/sign-up" { "Create an account" } }
        },
    )
}

async fn sign_in_page(
    State(state): State<AppState>,
    Csrf(csrf): Csrf,
    Flash(flash): Flash,
    Query(query): Query<NextQuery>,
) -> Markup {
    let form = SignInForm {
        next: query.next,
        ..Default::default()
    };
    sign_in_form(&state, &csrf, flash.as_deref(), &form, &None)
}

// Like the other e-mailed links, this one opens a form rather than acting on GET, so mail
// scanners that fetch links cannot use it up.
async fn unlock_page(
    State(state): State<AppState>,
    Csrf(csrf): Csrf,
    Path(token): Path<String>,
) -> Markup {
    let form = SignInForm {
        unlock: Some(token),
        ..Default::default()
    };
    sign_in_form(&state, &csrf, None, &form, &None)
}

async fn request_unlock(State(state): State<AppState>, Form(form): Form<EmailForm>) -> Response {
    let secure = state.settings.secure_cookies;
    match auth::request_unlock(&state.app, &form.email).await {
        // The same answer whether or not the address has an account.
        Ok(()) => redirect_with_flash(
            "/sign-in",
            "If that address has an account, a link to sign in without waiting is on its way.",
            secure,
        ),
        Err(AppError::Rule(message)) => {
            redirect_with_flash("/sign-in", &capitalize(&message), secure)
        }
        Err(error) => error_page(error),
    }
}

async fn sign_in(
    State(state): State<AppState>,
    ClientInfo(client): ClientInfo,
    Csrf(csrf): Csrf,
    Form(form): Form<SignInForm>,
) -> Response {
    let credentials = auth::Credentials {
        email: &form.email,
        password: &form.password,
        code: form.code.as_deref(),
        unlock: form.unlock.as_deref(),
    };
    match auth::sign_in(&state.app, credentials, &client).await {
        Ok(signed_in) => {
            let next = safe_next(form.next.as_deref());
            let to = if signed_in.second_factor_pending {
                format!(
                    "/sign-in/second-factor?next={}",
                    crate::auth::url_encode(&next)
                )
            } else {
                next
            };
            let mut response = Redirect::to(&to).into_response();
            response
                .headers_mut()
                .append(header::SET_COOKIE, session_cookie(&state, &signed_in.token));
            response
        }
        Err(error) => {
            let error = Some(error);
            form_response(&error, sign_in_form(&state, &csrf, None, &form, &error))
        }
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub(super) struct CodeForm {
    code: String,
    next: Option<String>,
}

fn second_factor_form(csrf: &str, next: Option<&str>, error: &Option<AppError>) -> Markup {
    page(
        Shell {
            title: "Second factor",
            csrf,
            ..Default::default()
        },
        html! {
            h1 { "Enter your code" }
            p { "Open your authenticator app and enter the six-digit code for comark, or one of your recovery codes." }
            (alert(general_error(error)))
            form.stack method="post" action="/sign-in/second-factor" {
                (csrf_field(csrf))
                @if let Some(next) = next { input type="hidden" name="next" value=(next); }
                (field("Code", "code", "text", "", error_for(error, "code"), "one-time-code"))
                button type="submit" { "Verify" }
            }
        },
    )
}

async fn pending_user(
    state: &AppState,
    parts: &axum::http::request::Parts,
) -> Option<auth::CurrentUser> {
    optional_web_user(parts, state).await.ok().flatten()
}

async fn second_factor_page(
    State(state): State<AppState>,
    parts: axum::http::request::Parts,
    Csrf(csrf): Csrf,
) -> Response {
    match pending_user(&state, &parts).await {
        Some(current) if current.second_factor_pending => {
            let next = Query::<NextQuery>::try_from_uri(&parts.uri)
                .ok()
                .and_then(|q| q.0.next);
            second_factor_form(&csrf, next.as_deref(), &None).into_response()
        }
        Some(_) => Redirect::to("/").into_response(),
        None => Redirect::to("/sign-in").into_response(),
    }
}

async fn second_factor(
    State(state): State<AppState>,
    parts: axum::http::request::Parts,
    ClientInfo(client): ClientInfo,
    Csrf(csrf): Csrf,
    body: axum::body::Bytes,
) -> Response {
    let form: CodeForm = serde_urlencoded::from_bytes(&body).unwrap_or_default();
    let Some(current) = pending_user(&state, &parts).await else {
        return Redirect::to("/sign-in").into_response();
    };
    if !current.second_factor_pending {
        return Redirect::to("/").into_response();
    }
    match auth::verify_second_factor(&state.app, &current, &form.code, &client).await {
        Ok(()) => Redirect::to(&safe_next(form.next.as_deref())).into_response(),
        Err(error) => {
            let error = Some(error);
            form_response(
                &error,
                second_factor_form(&csrf, form.next.as_deref(), &error),
            )
        }
    }
}

async fn sign_out(State(state): State<AppState>, parts: axum::http::request::Parts) -> Response {
    if let Some(current) = pending_user(&state, &parts).await {
        if let Err(error) = auth::sign_out(&state.app, &current).await {
            return error_page(error);
        }
    }
    let mut response = redirect_with_flash(
        "/sign-in",
        "You are signed out.",
        state.settings.secure_cookies,
    );
    response
        .headers_mut()
        .append(header::SET_COOKIE, clear_session_cookie(&state));
    response
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub(super) struct EmailForm {
    email: String,
}

async fn forgot_page(Csrf(csrf): Csrf) -> Markup {
    page(
        Shell {
            title: "Reset your password",
            csrf: &csrf,
            ..Default::default()
        },
        html! {
            h1 { "Reset your password" }
            p { "Enter the e-mail address of your account. If it has one, we send a link to choose a new password." }
            form.stack method="post" action="/forgot-password" {
                (csrf_field(&csrf))
                (field("E-mail", "email", "email", "", None, "email"))
                button type="submit" { "Send the link" }
            }
        },
    )
}

async fn forgot(State(state): State<AppState>, Form(form): Form<EmailForm>) -> Response {
    match auth::request_password_reset(&state.app, &form.email).await {
        // The same answer whether or not the address has an account.
        Ok(()) => redirect_with_flash(
            "/sign-in",
            "If that address has an account, a link to reset the password is on its way.",
            state.settings.secure_cookies,
        ),
        Err(error) => error_page(error),
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub(super) struct NewPasswordForm {
    password: String,
}

fn reset_form(csrf: &str, token: &str, error: &Option<AppError>) -> Markup {
    page(
        Shell {
            title: "Choose a new password",
            csrf,
            ..Default::default()
        },
        html! {
            h1 { "Choose a new password" }
            (alert(general_error(error)))
            form.stack method="post" action={ "/reset-password/" (token) } {
                (csrf_field(csrf))
                (field("New password (at least 10 characters)", "password", "password", "", error_for(error, "password"), "new-password"))
                button type="submit" { "Set password" }
            }
        },
    )
}

async fn reset_page(Csrf(csrf): Csrf, Path(token): Path<String>) -> Markup {
    reset_form(&csrf, &token, &None)
}

async fn reset(
    State(state): State<AppState>,
    Csrf(csrf): Csrf,
    Path(token): Path<String>,
    Form(form): Form<NewPasswordForm>,
) -> Response {
    match auth::reset_password(&state.app, &token, &form.password).await {
        Ok(()) => redirect_with_flash(
            "/sign-in",
            "Your password is changed. Sign in with the new one.",
            state.settings.secure_cookies,
        ),
        Err(error) => {
            let error = Some(error);
            form_response(&error, reset_form(&csrf, &token, &error))
        }
    }
}

#[cfg(test)]
mod status_tests {
    use super::*;
    use comark_domain::ValidationErrors;

    /// A form answers an error with the status the API gives it: one table for both (a
    /// form once answered "not found" with 409).
    #[test]
    fn a_refused_form_has_the_status_the_api_gives_the_same_error() {
        let errors = || {
            [
                AppError::NotFound,
                AppError::Forbidden,
                AppError::Unauthenticated("sign in"),
                AppError::Invalid(ValidationErrors::single("name", "is required")),
                AppError::Conflict {
                    field: "handle",
                    message: "taken".into(),
                },
                AppError::Rule("not now".into()),
                AppError::Throttled {
                    retry_after_secs: 3,
                },
                AppError::Internal("boom".into()),
            ]
        };
        for (form, api) in errors().into_iter().zip(errors()) {
            let label = format!("{api:?}");
            let (problem, _) = crate::error::problem_for(api);
            assert_eq!(status_for(&Some(form)).as_u16(), problem.status, "{label}");
        }
        assert_eq!(status_for(&Some(AppError::NotFound)), StatusCode::NOT_FOUND);
        assert_eq!(status_for(&None), StatusCode::OK);
    }
}
