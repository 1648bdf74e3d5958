//! The signed-in person's account: password, second factor, personal API tokens.

use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use axum::Form;
use comark_app::auth;
use comark_app::tokens::{self, NewToken};
use comark_app::AppError;
use comark_domain::ApiTokenId;
use maud::html;
use serde::Deserialize;

use super::layout::{csrf_field, error_page, field, page, raw, Shell};
use super::session::{alert, error_for, form_response, general_error};
use super::{redirect_with_flash, Csrf, Flash, WebRoutes};
use crate::auth::WebUser;
use crate::AppState;

pub(super) fn routes(routes: WebRoutes) -> WebRoutes {
    routes
        .get("/account", account_page)
        .post("/account/password", change_password)
        .post("/account/totp/start", start_totp)
        .post("/account/totp/confirm", confirm_totp)
        .post("/account/totp/disable", disable_totp)
        .post("/account/tokens", create_token)
        .post("/account/tokens/{token_id}/revoke", revoke_token)
}

#[derive(Default)]
struct Extra {
    error: Option<AppError>,
    totp_setup: Option<auth::TotpSetup>,
    recovery_codes: Option<Vec<String>>,
    new_token: Option<String>,
}

async fn render(
    state: &AppState,
    user: &WebUser,
    csrf: &str,
    flash: Option<&str>,
    extra: Extra,
) -> Response {
    let me = match state.app.user(user.current.user.id).await {
        Ok(Some(me)) => me,
        Ok(None) => return error_page(AppError::NotFound),
        Err(error) => return error_page(error),
    };
    let tokens = match tokens::list(&state.app, &user.current).await {
        Ok(tokens) => tokens,
        Err(error) => return error_page(error),
    };
    let error = &extra.error;
    let markup = page(
        Shell {
            title: "Your account",
            user_name: Some(&me.name),
            csrf,
            flash,
            ..Default::default()
        },
        html! {
            h1 { "Your account" }
            p { (me.name) " · " (me.email) }
            (alert(general_error(error)))
            section {
                h2 { "Password" }
                form.stack method="post" action="/account/password" {
                    (csrf_field(csrf))
                    (field("Current password", "current_password", "password", "", error_for(error, "current_password"), "current-password"))
                    (field("New password (at least 10 characters)", "new_password", "password", "", error_for(error, "new_password"), "new-password"))
                    button type="submit" { "Change password" }
                    p.muted { "Changing your password signs you out everywhere else." }
                }
            }
            section {
                h2 { "Two-factor sign-in" }
                @if let Some(codes) = &extra.recovery_codes {
                    div.notice role="status" {
                        p { strong { "Two-factor sign-in is on." } " Keep these recovery codes somewhere safe; each works once, and they are not shown again." }
                        ul.codes { @for code in codes { li { code { (code) } } } }
                    }
                }
                @if me.has_second_factor() {
                    p { "On. Sign-in asks for a code from your authenticator app." }
                    form.stack method="post" action="/account/totp/disable" {
                        (csrf_field(csrf))
                        (field("Your password", "password", "password", "", error_for(error, "password"), "current-password"))
                        button.secondary type="submit" { "Turn off two-factor sign-in" }
                    }
                } @else if let Some(setup) = &extra.totp_setup {
                    p { "Scan this code with your authenticator app, or type the secret, then enter the code it shows." }
                    div.qr { (raw(qr_svg(&setup.otpauth_url))) }
                    p { "Secret: " code #totp-secret { (setup.secret) } }
                    form.stack method="post" action="/account/totp/confirm" {
                        (csrf_field(csrf))
                        (field("Code from the app", "code", "text", "", error_for(error, "code"), "one-time-code"))
                        button type="submit" { "Turn on" }
                    }
                } @else {
                    p { "Off. Add a code from an authenticator app to every sign-in." }
                    form method="post" action="/account/totp/start" {
                        (csrf_field(csrf))
                        button type="submit" { "Set up two-factor sign-in" }
                    }
                }
            }
            section {
                h2 { "API tokens" }
                @if let Some(token) = &extra.new_token {
                    div.notice role="status" {
                        p { strong { "Copy your new token now." } " It is not shown again." }
                        p { code #new-token { (token) } }
                    }
                }
                @if tokens.is_empty() {
                    p.empty { "No tokens yet. A token lets scripts use the API as you." }
                } @else {
                    table {
                        thead { tr { th { "Name" } th { "Scope" } th { "Created" } th { "Last used" } th { "Status" } th { span.sr-only { "Actions" } } } }
                        tbody {
                            @for token in &tokens {
                                tr {
                                    td { (token.name) }
                                    td { (token.scope.as_str()) }
                                    td { (token.created_at.format("%Y-%m-%d")) }
                                    td { (token.last_used_at.map(|t| t.format("%Y-%m-%d %H:%M").to_string()).unwrap_or_else(|| "never".into())) }
                                    td { @if token.revoked_at.is_some() { "revoked" } @else { "active" } }
                                    td {
                                        @if token.revoked_at.is_none() {
                                            form method="post" action={ "/account/tokens/" (token.id) "/revoke" } {
                                                (csrf_field(csrf))
                                                button.link type="submit" aria-label={ "Revoke " (token.name) } { "Revoke" }
                                            }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
                form.stack method="post" action="/account/tokens" {
                    (csrf_field(csrf))
                    (field("Token name", "name", "text", "", error_for(error, "name"), "off"))
                    div.field {
                        label for="f-scope" { "Scope" }
                        select #f-scope name="scope" {
                            option value="read" { "read — look only" }
                            option value="write" selected { "write — read and change" }
                            option value="admin" { "admin — also members, tokens and audit" }
                        }
                    }
                    button type="submit" { "Create token" }
                }
            }
        },
    );
    form_response(error, markup)
}

fn qr_svg(data: &str) -> String {
    qrcode::QrCode::new(data.as_bytes())
        .map(|code| {
            code.render::<qrcode::render::svg::Color>()
                .min_dimensions(200, 200)
                .build()
        })
        .unwrap_or_default()
}

async fn account_page(
    State(state): State<AppState>,
    user: WebUser,
    Csrf(csrf): Csrf,
    Flash(flash): Flash,
) -> Response {
    render(&state, &user, &csrf, flash.as_deref(), Extra::default()).await
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct PasswordChange {
    current_password: String,
    new_password: String,
}

async fn change_password(
    State(state): State<AppState>,
    user: WebUser,
    Csrf(csrf): Csrf,
    Form(form): Form<PasswordChange>,
) -> Response {
    match auth::change_password(
        &state.app,
        &user.current,
        &form.current_password,
        &form.new_password,
    )
    .await
    {
        Ok(()) => redirect_with_flash(
            "/account",
            "Your password is changed. Your other sessions were signed out.",
            state.settings.secure_cookies,
        ),
        Err(error) => {
            render(
                &state,
                &user,
                &csrf,
                None,
                Extra {
                    error: Some(error),
                    ..Default::default()
                },
            )
            .await
        }
    }
}

async fn start_totp(State(state): State<AppState>, user: WebUser, Csrf(csrf): Csrf) -> Response {
    match auth::start_totp(&state.app, &user.current).await {
        Ok(setup) => {
            render(
                &state,
                &user,
                &csrf,
                None,
                Extra {
                    totp_setup: Some(setup),
                    ..Default::default()
                },
            )
            .await
        }
        Err(error) => error_page(error),
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct CodeForm {
    code: String,
}

async fn confirm_totp(
    State(state): State<AppState>,
    user: WebUser,
    Csrf(csrf): Csrf,
    Form(form): Form<CodeForm>,
) -> Response {
    match auth::enable_totp(&state.app, &user.current, &form.code).await {
        Ok(codes) => {
            render(
                &state,
                &user,
                &csrf,
                None,
                Extra {
                    recovery_codes: Some(codes),
                    ..Default::default()
                },
            )
            .await
        }
        Err(error) => {
            // Show the same secret again so the person can retry with the next code.
            let setup = match state.app.user(user.current.user.id).await {
                Ok(Some(me)) => me.totp_secret.map(|secret| auth::TotpSetup {
                    otpauth_url: format!(
                        "otpauth://totp/comark:{}?secret={secret}&issuer=comark",
                        crate::auth::url_encode(&me.email)
                    ),
                    secret,
                }),
                _ => None,
            };
            render(
                &state,
                &user,
                &csrf,
                None,
                Extra {
                    error: Some(error),
                    totp_setup: setup,
                    ..Default::default()
                },
            )
            .await
        }
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct PasswordForm {
    password: String,
}

async fn disable_totp(
    State(state): State<AppState>,
    user: WebUser,
    Csrf(csrf): Csrf,
    Form(form): Form<PasswordForm>,
) -> Response {
    match auth::disable_totp(&state.app, &user.current, &form.password).await {
        Ok(()) => redirect_with_flash(
            "/account",
            "Two-factor sign-in is off.",
            state.settings.secure_cookies,
        ),
        Err(error) => {
            render(
                &state,
                &user,
                &csrf,
                None,
                Extra {
                    error: Some(error),
                    ..Default::default()
                },
            )
            .await
        }
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct TokenForm {
    name: String,
    scope: String,
}

async fn create_token(
    State(state): State<AppState>,
    user: WebUser,
    Csrf(csrf): Csrf,
    Form(form): Form<TokenForm>,
) -> Response {
    let input = NewToken {
        name: form.name,
        scope: form.scope,
        expires_in_days: None,
    };
    match tokens::create(&state.app, &user.current, input, &user.actor()).await {
        Ok(created) => {
            render(
                &state,
                &user,
                &csrf,
                None,
                Extra {
                    new_token: Some(created.token),
                    ..Default::default()
                },
            )
            .await
        }
        Err(error) => {
            render(
                &state,
                &user,
                &csrf,
                None,
                Extra {
                    error: Some(error),
                    ..Default::default()
                },
            )
            .await
        }
    }
}

async fn revoke_token(
    State(state): State<AppState>,
    user: WebUser,
    Path(token_id): Path<String>,
) -> Response {
    let Ok(id) = token_id.parse::<ApiTokenId>() else {
        return super::layout::not_found_page();
    };
    match tokens::revoke(&state.app, &user.current, id, &user.actor()).await {
        Ok(()) => redirect_with_flash(
            "/account",
            "The token is revoked.",
            state.settings.secure_cookies,
        ),
        Err(error) => error_page(error),
    }
    .into_response()
}
