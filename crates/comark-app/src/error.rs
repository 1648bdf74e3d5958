//! The use cases' errors; the server maps each to one HTTP problem type.

use comark_domain::ValidationErrors;
use comark_store::StoreError;

/// Why a use case did not happen.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// Nothing there, or nothing the caller may see: deliberately the same.
    #[error("not found")]
    NotFound,
    /// Not signed in, or the credentials are wrong.
    #[error("{0}")]
    Unauthenticated(&'static str),
    /// Signed in, but the role (or token scope) does not allow this.
    #[error("your role does not allow this")]
    Forbidden,
    /// Input that does not parse; every bad field is named.
    #[error(transparent)]
    Invalid(#[from] ValidationErrors),
    /// A value that must be unique is taken.
    #[error("{message}")]
    Conflict {
        /// The field, in the request's words.
        field: &'static str,
        /// What to tell the person.
        message: String,
    },
    /// The request is well-formed but breaks a rule (for example, the last owner leaving).
    #[error("{0}")]
    Rule(String),
    /// Too many attempts: wait and try again.
    #[error("too many attempts; try again in {retry_after_secs} seconds")]
    Throttled {
        /// Seconds until the next attempt is allowed.
        retry_after_secs: i64,
    },
    /// Something failed inside: logged, never detailed to the client.
    #[error("internal error: {0}")]
    Internal(String),
}

impl From<StoreError> for AppError {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::NotFound => AppError::NotFound,
            StoreError::Conflict(field) => AppError::Conflict {
                field,
                message: format!("this {field} is already taken"),
            },
            StoreError::Rule(message) => AppError::Rule(message),
            other => AppError::Internal(other.to_string()),
        }
    }
}

impl From<csv::Error> for AppError {
    fn from(error: csv::Error) -> Self {
        AppError::Internal(error.to_string())
    }
}
