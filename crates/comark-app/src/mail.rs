//! E-mail: queued as a job in the same database, sent by a worker through SMTP.

use comark_store::NewJob;
use lettre::message::Mailbox;
use lettre::transport::smtp::AsyncSmtpTransport;
use lettre::{AsyncTransport, Message, Tokio1Executor};
use serde::{Deserialize, Serialize};

use crate::{App, AppError, Result};

/// The job kind that sends one e-mail.
pub const SEND_EMAIL: &str = "send_email";

/// One plain-text e-mail.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Email {
    /// The recipient's address.
    pub to: String,
    /// The subject line.
    pub subject: String,
    /// The plain-text body.
    pub body: String,
}

impl Email {
    /// The job that sends this e-mail, to be queued in the transaction of the change that
    /// causes it.
    pub fn job(&self) -> NewJob {
        // The fields by name, as the worker reads them back into an `Email`.
        let payload = serde_json::json!({
            "to": self.to,
            "subject": self.subject,
            "body": self.body,
        });
        NewJob {
            kind: SEND_EMAIL,
            org_id: None,
            payload,
            max_attempts: 8,
        }
    }

    /// Queues the e-mail on its own; the job worker sends it (or logs it when no SMTP is
    /// configured).
    pub async fn queue(self, app: &App) -> Result<()> {
        app.store.enqueue(self.job()).await?;
        Ok(())
    }
}

/// Sends e-mail through an SMTP server.
#[derive(Clone)]
pub struct Mailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
}

impl std::fmt::Debug for Mailer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Mailer")
            .field("from", &self.from)
            .finish_non_exhaustive()
    }
}

impl Mailer {
    /// A mailer for an SMTP URL such as `smtp://host:25`, `smtps://user:pass@host` or
    /// `smtp://host:587?tls=required`.
    pub fn new(url: &str, from: &str) -> Result<Mailer> {
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
            .map_err(|e| AppError::Rule(format!("invalid SMTP URL: {e}")))?
            .build();
        let from = from
            .parse()
            .map_err(|e| AppError::Rule(format!("invalid sender address `{from}`: {e}")))?;
        Ok(Mailer { transport, from })
    }

    /// Sends one e-mail now.
    pub async fn send(&self, email: &Email) -> Result<()> {
        let to: Mailbox = email
            .to
            .parse()
            .map_err(|e| AppError::Rule(format!("invalid recipient `{}`: {e}", email.to)))?;
        let message = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(&email.subject)
            .body(email.body.clone())
            .map_err(|e| AppError::Internal(format!("building an e-mail: {e}")))?;
        self.transport
            .send(message)
            .await
            .map_err(|e| AppError::Internal(format!("sending an e-mail: {e}")))?;
        Ok(())
    }
}
