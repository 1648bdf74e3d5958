//! The use cases: what a person (or the CLI) can do in comark.
//!
//! The server and the CLI both call these functions, so both behave the same. A use case
//! checks the caller's role, parses input into domain types, calls the store and queues
//! jobs. It never sees HTTP.

pub mod accounts;
pub mod assessment;
pub mod auth;
pub mod connections;
pub mod csv_out;
pub mod demo;
pub mod engagement;
pub mod error;
pub mod exit;
pub mod import;
pub mod intake;
pub mod jobs;
pub mod mail;
pub mod maturity;
pub mod orgs;
pub mod partnerships;
pub mod profiles;
pub mod samples;
pub mod secrets;
pub mod tokens;

use std::sync::Arc;

use comark_store::Store;

pub use error::AppError;

/// The result of a use case.
pub type Result<T, E = AppError> = std::result::Result<T, E>;

/// Instance settings the use cases need.
#[derive(Clone, Debug)]
pub struct Settings {
    /// The address people reach comark at, for links in e-mails (`https://comark.example.com`).
    pub public_url: String,
    /// Whether e-mail can be sent; without it, invitation links are shown to the inviter.
    pub mail_enabled: bool,
    /// The sender of comark's e-mails.
    pub mail_from: String,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            public_url: "http://127.0.0.1:8080".into(),
            mail_enabled: false,
            mail_from: "comark <comark@localhost>".into(),
        }
    }
}

/// Everything a use case needs: the store and the instance settings.
#[derive(Clone, Debug)]
pub struct App {
    /// The database.
    pub store: Store,
    /// Instance settings.
    pub settings: Arc<Settings>,
    /// How far the imports running in this process got (see `accounts::Progress`).
    pub imports_running: accounts::RunningImports,
}

impl App {
    /// Wires the use cases to a store.
    pub fn new(store: Store, settings: Settings) -> App {
        App {
            store,
            settings: Arc::new(settings),
            imports_running: Default::default(),
        }
    }

    /// An absolute link to `path` on this instance.
    pub fn link(&self, path: &str) -> String {
        format!("{}{}", self.settings.public_url.trim_end_matches('/'), path)
    }
}
