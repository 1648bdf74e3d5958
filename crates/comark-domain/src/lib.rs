//! comark's domain core: the words of the product as types.
//!
//! Pure by design: no tokio, sqlx or axum here, so every rule can be tested
//! without a database and reused by the server, the CLI and the jobs alike.

pub mod accounts;
pub mod assessment;
pub mod audit;
pub mod connection;
pub mod cursor;
pub mod engagement;
pub mod exit;
pub mod fit;
pub mod goals;
pub mod ids;
pub mod intake;
pub mod invitation;
pub mod maturity;
pub mod partnership;
pub mod role;
pub mod token;
pub mod validate;

pub use audit::AuditAction;
pub use connection::{ConnectionStatus, ConnectionTransition, LinkOptions, LinkStatus};
pub use cursor::Cursor;
pub use ids::*;
pub use role::{Action, Role};
pub use token::Scope;
pub use validate::{
    forbidden_character, forbidden_character_message, Email, FieldError, OrgHandle, OrgName,
    Password, PersonName, ValidationErrors,
};
