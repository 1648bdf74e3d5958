//! `comark intake ...` and `comark requests ...`: the request form and the vetting queue from
//! the command line.

use std::process::ExitCode;

use anyhow::Context;
use clap::Subcommand;
use comark_app::{intake, orgs, App};
use comark_domain::RequestId;

use crate::accounts::{actor, app_error, scope, OrgArg, OutputFormat};

/// Request form commands.
#[derive(Subcommand, Debug)]
pub enum IntakeCommand {
    /// Shows whether the form is open, its public link and the vetting checklist.
    Show {
        #[command(flatten)]
        org: OrgArg,
    },
    /// Opens or closes the form and sets its introduction and checklist.
    Set {
        #[command(flatten)]
        org: OrgArg,
        /// Take requests (`--open true`) or not (`--open false`).
        #[arg(long, action = clap::ArgAction::Set)]
        open: bool,
        /// What the form says above its fields.
        #[arg(long, default_value = "")]
        intro: String,
        /// An item of the vetting checklist; repeat for each (default: the standard five).
        #[arg(long = "check", value_name = "ITEM")]
        checklist: Vec<String>,
    },
}

/// Queue commands.
#[derive(Subcommand, Debug)]
pub enum RequestsCommand {
    /// Lists the requests, newest first.
    List {
        #[command(flatten)]
        org: OrgArg,
        /// Only this status: new, vetting, accepted, declined or spam.
        #[arg(long)]
        status: Option<String>,
        /// How to print (table or json).
        #[arg(long, value_enum, default_value_t)]
        format: OutputFormat,
    },
    /// Lists the requests this organization sent to others and where each stands.
    Sent {
        #[command(flatten)]
        org: OrgArg,
        /// How to print (table or json).
        #[arg(long, value_enum, default_value_t)]
        format: OutputFormat,
    },
    /// Shows one request with its checklist, fit and history.
    Show {
        #[command(flatten)]
        org: OrgArg,
        /// The request's id.
        id: RequestId,
        /// How to print (table or json).
        #[arg(long, value_enum, default_value_t)]
        format: OutputFormat,
    },
    /// Hands a request to a member, by e-mail address (`--to ''` for nobody).
    Assign {
        #[command(flatten)]
        org: OrgArg,
        /// The request's id.
        id: RequestId,
        /// The member's e-mail address.
        #[arg(long)]
        to: String,
    },
    /// Answers one item of the vetting checklist.
    Check {
        #[command(flatten)]
        org: OrgArg,
        /// The request's id.
        id: RequestId,
        /// The checklist item, as written.
        item: String,
        /// pending, pass, concern or fail.
        verdict: String,
        /// Why.
        #[arg(long, default_value = "")]
        note: String,
    },
    /// Accepts, declines, marks as spam or reopens a request.
    Decide {
        #[command(flatten)]
        org: OrgArg,
        /// The request's id.
        id: RequestId,
        /// accept, decline, spam or reopen.
        decision: String,
        /// The note to the requester (required to decline).
        #[arg(long, default_value = "")]
        note: String,
    },
    /// Starts a partnership from an accepted request.
    Start {
        #[command(flatten)]
        org: OrgArg,
        /// The request's id.
        id: RequestId,
        /// The partnership's name.
        #[arg(long, default_value = "")]
        name: String,
        /// A connected partner's handle (default: the requester's organization); repeatable.
        #[arg(long = "partner")]
        partners: Vec<String>,
    },
}

/// Runs a request form command.
pub async fn intake(app: &App, command: IntakeCommand) -> anyhow::Result<ExitCode> {
    match command {
        IntakeCommand::Show { org } => {
            let scope = scope(app, &org).await?;
            let settings = intake::settings(app, &scope).await.map_err(app_error)?;
            print_settings(app, &scope.org().handle, &settings);
        }
        IntakeCommand::Set {
            org,
            open,
            intro,
            checklist,
        } => {
            let scope = scope(app, &org).await?;
            let checklist = if checklist.is_empty() {
                intake::settings(app, &scope)
                    .await
                    .map_err(app_error)?
                    .checklist
            } else {
                checklist
            };
            let settings = intake::save_settings(app, &scope, open, &intro, &checklist, &actor())
                .await
                .map_err(app_error)?;
            print_settings(app, &scope.org().handle, &settings);
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn print_settings(app: &App, handle: &str, settings: &comark_store::intake::IntakeSettings) {
    outln!(
        "The request form is {}: {}",
        if settings.open { "open" } else { "closed" },
        intake::public_link(app, handle)
    );
    outln!("Vetting checklist:");
    for item in &settings.checklist {
        outln!("  - {item}");
    }
}

/// Runs a queue command.
pub async fn requests(app: &App, command: RequestsCommand) -> anyhow::Result<ExitCode> {
    let id = match command {
        RequestsCommand::List {
            org,
            status,
            format,
        } => {
            let scope = scope(app, &org).await?;
            let list = intake::list(app, &scope, status.as_deref())
                .await
                .map_err(app_error)?;
            if let OutputFormat::Json = format {
                outln!("{}", serde_json::to_string_pretty(&list)?);
            } else if list.is_empty() {
                outln!("No requests.");
            } else {
                for r in &list {
                    outln!(
                        "{}  {:<9} {:<13} {} ({}){}",
                        r.id,
                        r.status.as_str(),
                        r.kind.as_str(),
                        r.company,
                        r.email,
                        r.assignee
                            .as_ref()
                            .map(|(_, name)| format!(", with {name}"))
                            .unwrap_or_default()
                    );
                }
            }
            return Ok(ExitCode::SUCCESS);
        }
        RequestsCommand::Sent { org, format } => {
            let scope = scope(app, &org).await?;
            let sent = intake::sent(app, &scope).await.map_err(app_error)?;
            if let OutputFormat::Json = format {
                outln!("{}", serde_json::to_string_pretty(&sent)?);
            } else if sent.is_empty() {
                outln!("No requests sent.");
            } else {
                for r in &sent {
                    outln!(
                        "{}  to @{:<16} {:<13} {:<9}{}",
                        r.sent_at.format("%Y-%m-%d"),
                        r.to.handle,
                        r.kind.as_str(),
                        r.status.as_str(),
                        if r.answer.is_empty() {
                            String::new()
                        } else {
                            format!(" \"{}\"", r.answer)
                        }
                    );
                }
            }
            return Ok(ExitCode::SUCCESS);
        }
        RequestsCommand::Show { org, id, format } => {
            let scope = scope(app, &org).await?;
            let view = intake::get(app, &scope, id).await.map_err(app_error)?;
            if let OutputFormat::Json = format {
                outln!("{}", serde_json::to_string_pretty(&view)?);
                return Ok(ExitCode::SUCCESS);
            }
            print_view(&view);
            return Ok(ExitCode::SUCCESS);
        }
        RequestsCommand::Assign { org, id, to } => {
            let scope = scope(app, &org).await?;
            let assignee = if to.trim().is_empty() {
                None
            } else {
                let members = orgs::members(app, &scope).await.map_err(app_error)?;
                let member = members
                    .iter()
                    .find(|m| m.email.eq_ignore_ascii_case(to.trim()))
                    .with_context(|| {
                        format!("nobody at {} has the address `{to}`", scope.org().handle)
                    })?;
                Some(member.user_id)
            };
            intake::assign(app, &scope, id, assignee, &actor())
                .await
                .map_err(app_error)?;
            id
        }
        RequestsCommand::Check {
            org,
            id,
            item,
            verdict,
            note,
        } => {
            let scope = scope(app, &org).await?;
            intake::check(app, &scope, id, &item, &verdict, &note, &actor())
                .await
                .map_err(app_error)?;
            id
        }
        RequestsCommand::Decide {
            org,
            id,
            decision,
            note,
        } => {
            let scope = scope(app, &org).await?;
            intake::decide(app, &scope, id, &decision, &note, &actor())
                .await
                .map_err(app_error)?;
            id
        }
        RequestsCommand::Start {
            org,
            id,
            name,
            partners,
        } => {
            let scope = scope(app, &org).await?;
            let view = intake::start_partnership(app, &scope, id, &name, &partners, &actor())
                .await
                .map_err(app_error)?;
            if let Some(partnership) = view.detail.request.partnership {
                outln!("Started partnership {partnership}");
            }
            id
        }
    };
    outln!("Request {id} updated.");
    Ok(ExitCode::SUCCESS)
}

fn print_view(view: &intake::RequestView) {
    let r = &view.detail.request;
    outln!(
        "{} from {} <{}>, {}",
        r.kind.label(),
        r.name,
        r.email,
        r.company
    );
    outln!("Status: {}", r.status.label());
    if let Some(reason) = &r.spam_reason {
        outln!("Filed as spam: {reason}");
    }
    if let Some((_, name)) = &r.assignee {
        outln!("Vetted by: {name}");
    }
    outln!("{}", r.message);
    match (&view.fit, &view.fit_note) {
        (Some(fit), _) => outln!("Fit: {} of 100", fit.score),
        (None, Some(note)) => outln!("Fit: {note}"),
        (None, None) => {}
    }
    outln!(
        "Vetting: {} passed, {} concerns, {} failed, {} pending",
        view.progress.passed,
        view.progress.concerns,
        view.progress.failed,
        view.progress.pending
    );
    for item in &view.checklist {
        let check = view.detail.checks.iter().find(|c| &c.item == item);
        outln!(
            "  {:<8} {item}{}",
            check.map_or("pending", |c| c.verdict.as_str()),
            check
                .filter(|c| !c.note.is_empty())
                .map(|c| format!(" ({})", c.note))
                .unwrap_or_default()
        );
    }
    if let Some(partnership) = r.partnership {
        outln!("Partnership: {partnership}");
    }
    for event in &view.detail.history {
        outln!(
            "{}  {}: {} {}",
            event.at.format("%Y-%m-%d %H:%M"),
            event.actor,
            event.kind,
            event.detail
        );
    }
}
