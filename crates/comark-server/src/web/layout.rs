//! The page shell: head, navigation, flash messages, and the error pages.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use comark_app::AppError;
use maud::{html, Markup, PreEscaped, DOCTYPE};

/// What the shell needs to know about the page.
#[derive(Default)]
pub struct Shell<'a> {
    /// The page title.
    pub title: &'a str,
    /// The signed-in person's name, if any.
    pub user_name: Option<&'a str>,
    /// The organization being viewed: handle and name.
    pub org: Option<(&'a str, &'a str)>,
    /// Which area of the navigation is current.
    pub area: &'a str,
    /// A one-off message from the previous action.
    pub flash: Option<&'a str>,
    /// The CSRF token for forms in the shell (sign-out).
    pub csrf: &'a str,
    /// Whether to link the organization's settings (owners and admins).
    pub settings_link: bool,
}

/// The areas of an organization, in navigation order: (path segment, label, available yet).
pub const AREAS: [(&str, &str, bool); 9] = [
    ("", "Overview", true),
    ("partners", "Partners", true),
    ("accounts", "Accounts", true),
    ("partnerships", "Partnerships", true),
    ("requests", "Requests", true),
    ("plans", "Plans", false),
    ("leads", "Leads", false),
    ("insights", "Insights", false),
    ("members", "Members", true),
];

/// A hidden CSRF field for a form.
pub fn csrf_field(token: &str) -> Markup {
    html! { input type="hidden" name="_csrf" value=(token); }
}

/// A whole page.
pub fn page(shell: Shell<'_>, body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                meta name="htmx-config" content=r#"{"includeIndicatorStyles":false,"allowEval":false,"historyCacheSize":0,"refreshOnHistoryMiss":true,"responseHandling":[{"code":"204","swap":false},{"code":"...","swap":true}]}"#;
                title { (shell.title) " · comark" }
                link rel="stylesheet" href="/assets/app.css";
                script src="/assets/htmx.min.js" defer {}
                script src="/assets/app.js" defer {}
            }
            body hx-boost="true" {
                a.skip href="#main" { "Skip to content" }
                header.top {
                    a.brand href="/" { "comark" }
                    @if let Some((handle, name)) = shell.org {
                        span.org-name { (name) }
                        nav aria-label="Organization" {
                            ul {
                                @for (segment, label, available) in AREAS {
                                    @let href = if segment.is_empty() { format!("/o/{handle}") } else { format!("/o/{handle}/{segment}") };
                                    li {
                                        a href=(href) aria-current=[(shell.area == segment).then_some("page")] class=[(!available).then_some("soon")] { (label) }
                                    }
                                }
                                @if shell.settings_link {
                                    li { a href={ "/o/" (handle) "/settings" } aria-current=[(shell.area == "settings").then_some("page")] { "Settings" } }
                                }
                            }
                        }
                    }
                    @if let Some(name) = shell.user_name {
                        div.account {
                            a href="/account" { (name) }
                            form method="post" action="/sign-out" {
                                (csrf_field(shell.csrf))
                                button.link type="submit" { "Sign out" }
                            }
                        }
                    }
                }
                main #main tabindex="-1" {
                    @if let Some(message) = shell.flash {
                        div.flash role="status" { (message) }
                    }
                    (body)
                }
                footer { "comark — co-marketing for partner ecosystems · " a href="/docs/api" { "API reference" } }
            }
        }
    }
}

/// The not-found page: identical for "does not exist" and "not yours".
pub fn not_found_page() -> Response {
    let body = page(
        Shell {
            title: "Not found",
            ..Default::default()
        },
        html! {
            h1 { "Not found" }
            p { "There is nothing here, or it is not yours to see." }
            p { a href="/" { "Go to the start page" } }
        },
    );
    (StatusCode::NOT_FOUND, body).into_response()
}

/// A page for an error that has no better place (forms show theirs inline).
pub fn error_page(error: AppError) -> Response {
    let status = crate::error::status_of(&error);
    // The API's title, but for a fault, which a person reads as "something went wrong".
    let mut title = crate::error::title_of(&error);
    let message = match error {
        AppError::NotFound => return not_found_page(),
        AppError::Forbidden => {
            "Your role does not allow this. Ask an owner or admin of the organization.".to_owned()
        }
        AppError::Unauthenticated(m) => m.to_owned(),
        AppError::Invalid(errors) => {
            // Forms re-render their own errors; this page is for input refused before any
            // form could (a control character in a field or a query parameter).
            let body = page(
                Shell {
                    title,
                    ..Default::default()
                },
                html! {
                    h1 { (title) }
                    p { "Nothing was saved. Go back, correct these and send it again:" }
                    ul { @for error in &errors.0 { li { strong { (error.field) } " " (error.message) } } }
                },
            );
            return (status, body).into_response();
        }
        AppError::Conflict { message, .. } | AppError::Rule(message) => message,
        AppError::Throttled { retry_after_secs } => {
            format!("Try again in {retry_after_secs} seconds.")
        }
        AppError::Internal(detail) => {
            tracing::error!(error = %detail, "internal error");
            title = "Something went wrong";
            "The error was logged. Please try again.".to_owned()
        }
    };
    let body = page(
        Shell {
            title,
            ..Default::default()
        },
        html! { h1 { (title) } p { (message) } p { a href="/" { "Go to the start page" } } },
    );
    (status, body).into_response()
}

/// A labelled input with its error, if any.
pub fn field(
    label: &str,
    name: &str,
    kind: &str,
    value: &str,
    error: Option<&str>,
    autocomplete: &str,
) -> Markup {
    let id = format!("f-{name}");
    let error_id = format!("{id}-error");
    html! {
        div.field {
            label for=(id) { (label) }
            input id=(id) name=(name) type=(kind) value=(value) autocomplete=(autocomplete)
                aria-invalid=[error.map(|_| "true")] aria-describedby=[error.map(|_| error_id.as_str())];
            @if let Some(error) = error {
                p.error id=(error_id) { (error) }
            }
        }
    }
}

/// Inline SVG or other trusted markup.
pub fn raw(markup: String) -> PreEscaped<String> {
    PreEscaped(markup)
}
