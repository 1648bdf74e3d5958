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

    /// Whether the database answers (for `/readyz`).
    pub async fn ping(&self) -> Result<()> {
        Ok(self.store.ping().await?)
    }

    /// The job queue's size by status (for `/metrics`).
    pub async fn job_counts(&self) -> Result<comark_store::JobCounts> {
        Ok(self.store.job_counts().await?)
    }

    /// The signed-in person's account.
    pub async fn user(&self, id: comark_domain::UserId) -> Result<Option<comark_store::User>> {
        Ok(self.store.user_by_id(id).await?)
    }

    /// The organizations a person belongs to, with their role in each.
    pub async fn organizations_of(
        &self,
        user: comark_domain::UserId,
    ) -> Result<Vec<comark_store::UserOrganization>> {
        Ok(self.store.organizations_of(user).await?)
    }

    /// The organization with `handle`, if there is one.
    pub async fn organization(&self, handle: &str) -> Result<Option<comark_store::Organization>> {
        Ok(self.store.org_by_handle(handle).await?)
    }

    /// The member's scope in the organization `handle`: the one way the server gets an
    /// `OrgScope`, after the store loaded the member's role (`None` for a non-member).
    pub async fn member_scope(
        &self,
        user: comark_domain::UserId,
        handle: &str,
    ) -> Result<Option<comark_store::OrgScope>> {
        Ok(self.store.member_scope(user, handle).await?)
    }
}
