//! The one place where errors become responses: problem+json for the API, a page for the web.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use comark_app::AppError;
use comark_domain::FieldError;
use serde::Serialize;
use utoipa::ToSchema;

/// An RFC 9457 problem document.
#[derive(Debug, Serialize, ToSchema)]
pub struct Problem {
    /// A stable URI naming the kind of problem (`urn:comark:problem:not-found`...).
    #[serde(rename = "type")]
    pub kind: String,
    /// A short summary of the kind.
    pub title: String,
    /// The HTTP status.
    pub status: u16,
    /// What happened this time, when it helps.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// The invalid fields, for `invalid-input`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    #[schema(value_type = Vec<ProblemField>)]
    pub errors: Vec<FieldError>,
}

/// One invalid field in a problem document.
#[derive(Debug, Serialize, ToSchema)]
pub struct ProblemField {
    /// The field's name in the request.
    pub field: String,
    /// What is wrong with it.
    pub message: String,
}

/// Every problem type the API returns, with its status and title.
pub const PROBLEM_TYPES: [(&str, StatusCode, &str); 11] = [
    ("not-found", StatusCode::NOT_FOUND, "Not found"),
    (
        "unauthenticated",
        StatusCode::UNAUTHORIZED,
        "Sign-in required",
    ),
    ("forbidden", StatusCode::FORBIDDEN, "Not allowed"),
    (
        "invalid-input",
        StatusCode::UNPROCESSABLE_ENTITY,
        "Invalid input",
    ),
    ("conflict", StatusCode::CONFLICT, "Conflict"),
    ("rule-violated", StatusCode::CONFLICT, "Not possible"),
    (
        "throttled",
        StatusCode::TOO_MANY_REQUESTS,
        "Too many attempts",
    ),
    ("bad-request", StatusCode::BAD_REQUEST, "Bad request"),
    (
        "too-large",
        StatusCode::PAYLOAD_TOO_LARGE,
        "Request too large",
    ),
    (
        "unsupported-media-type",
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "Unsupported content type",
    ),
    (
        "internal",
        StatusCode::INTERNAL_SERVER_ERROR,
        "Internal error",
    ),
];

/// The problem type of a use-case error: the key into `PROBLEM_TYPES`, which gives the API,
/// the web pages and the forms one status for each kind of error.
pub fn problem_code(error: &AppError) -> &'static str {
    match error {
        AppError::NotFound => "not-found",
        AppError::Unauthenticated(_) => "unauthenticated",
        AppError::Forbidden => "forbidden",
        AppError::Invalid(_) => "invalid-input",
        AppError::Conflict { .. } => "conflict",
        AppError::Rule(_) => "rule-violated",
        AppError::Throttled { .. } => "throttled",
        AppError::Internal(_) => "internal",
    }
}

/// The status and title of a problem type (an unknown one is an internal error).
fn problem_type(code: &str) -> (&'static str, StatusCode, &'static str) {
    PROBLEM_TYPES
        .iter()
        .find(|(c, _, _)| *c == code)
        .copied()
        .unwrap_or(PROBLEM_TYPES[PROBLEM_TYPES.len() - 1])
}

/// The HTTP status of a use-case error, wherever it is answered.
pub fn status_of(error: &AppError) -> StatusCode {
    problem_type(problem_code(error)).1
}

/// The short title of a use-case error, wherever it is answered.
pub fn title_of(error: &AppError) -> &'static str {
    problem_type(problem_code(error)).2
}

impl Problem {
    /// A problem of a known type.
    pub fn new(code: &str, detail: Option<String>) -> Problem {
        let (code, status, title) = problem_type(code);
        Problem {
            kind: format!("urn:comark:problem:{code}"),
            title: title.to_owned(),
            status: status.as_u16(),
            detail,
            errors: Vec::new(),
        }
    }

    /// The not-found problem: identical for "does not exist" and "not yours".
    pub fn not_found() -> Problem {
        Problem::new("not-found", None)
    }
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let body = serde_json::to_vec(&self).unwrap_or_default();
        let mut response = (status, body).into_response();
        response.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        );
        response
    }
}

/// An error answered as problem+json.
#[derive(Debug)]
pub struct ApiError(pub AppError);

impl<E: Into<AppError>> From<E> for ApiError {
    fn from(error: E) -> Self {
        ApiError(error.into())
    }
}

/// Maps a use-case error to its problem document, logging server faults once.
pub fn problem_for(error: AppError) -> (Problem, Option<i64>) {
    let code = problem_code(&error);
    match error {
        AppError::NotFound => (Problem::not_found(), None),
        AppError::Unauthenticated(message) => (Problem::new(code, Some(message.into())), None),
        AppError::Forbidden => (
            Problem::new(
                code,
                Some("your role or token scope does not allow this".into()),
            ),
            None,
        ),
        AppError::Invalid(errors) => {
            let mut problem = Problem::new(code, Some("some fields are not valid".into()));
            problem.errors = errors.0;
            (problem, None)
        }
        AppError::Conflict { field, message } => {
            let mut problem = Problem::new(code, Some(message.clone()));
            problem.errors = vec![FieldError {
                field: field.into(),
                message,
            }];
            (problem, None)
        }
        AppError::Rule(message) => (Problem::new(code, Some(message)), None),
        AppError::Throttled { retry_after_secs } => (
            Problem::new(
                code,
                Some(format!("try again in {retry_after_secs} seconds")),
            ),
            Some(retry_after_secs),
        ),
        AppError::Internal(detail) => {
            tracing::error!(error = %detail, "internal error");
            (Problem::new(code, None), None)
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (problem, retry_after) = problem_for(self.0);
        let mut response = problem.into_response();
        if let Some(secs) = retry_after {
            if let Ok(value) = HeaderValue::from_str(&secs.to_string()) {
                response.headers_mut().insert(header::RETRY_AFTER, value);
            }
        }
        response
    }
}
