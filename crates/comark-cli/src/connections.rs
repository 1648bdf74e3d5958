//! `comark connections ...`: partner connections and the invite links partners connect
//! through, from the command line, as the instance administrator acting for `--org`.

use std::process::ExitCode;

use clap::Subcommand;
use comark_app::connections::{self, NewLink};
use comark_app::App;
use comark_domain::{ConnectionId, ConnectionLinkId, ConnectionStatus, ConnectionTransition};
use comark_store::{Connection, ConnectionLink};

use crate::accounts::{actor, app_error, scope, OrgArg, OutputFormat};

/// Connection commands.
#[derive(Subcommand, Debug)]
pub enum ConnectionsCommand {
    /// Lists the organization's connections and requests, open ones first.
    List {
        #[command(flatten)]
        org: OrgArg,
        /// How to print (table or json).
        #[arg(long, value_enum, default_value_t)]
        format: OutputFormat,
    },
    /// Accepts a connection request sent to the organization (one made through its link, say).
    Accept {
        #[command(flatten)]
        org: OrgArg,
        /// The connection's id.
        id: ConnectionId,
    },
    /// Declines a connection request sent to the organization.
    Decline {
        #[command(flatten)]
        org: OrgArg,
        /// The connection's id.
        id: ConnectionId,
    },
    /// Invite links through which partners ask to connect.
    #[command(subcommand)]
    Link(LinkCommand),
}

/// Invite link commands.
#[derive(Subcommand, Debug)]
pub enum LinkCommand {
    /// Creates an invite link and prints it (shown this once). By default it works once, for
    /// seven days, and an organization using it waits for your acceptance.
    Create {
        #[command(flatten)]
        org: OrgArg,
        /// How many organizations may use it (1 to 100).
        #[arg(long)]
        uses: Option<i64>,
        /// How many days it works (1 to 90).
        #[arg(long)]
        days: Option<i64>,
        /// Connect at once, without waiting for the organization's acceptance.
        #[arg(long)]
        connect_at_once: bool,
        /// What to remember it by.
        #[arg(long)]
        note: Option<String>,
        /// How to print (table or json).
        #[arg(long, value_enum, default_value_t)]
        format: OutputFormat,
    },
    /// Lists the open invite links and those closed in the last 30 days, with their uses.
    List {
        #[command(flatten)]
        org: OrgArg,
        /// How to print (table or json).
        #[arg(long, value_enum, default_value_t)]
        format: OutputFormat,
    },
    /// Revokes an invite link: it stops working at once.
    Revoke {
        #[command(flatten)]
        org: OrgArg,
        /// The link's id (from `link list`).
        id: ConnectionLinkId,
    },
}

/// Runs a connection command.
pub async fn connections(app: &App, command: ConnectionsCommand) -> anyhow::Result<ExitCode> {
    match command {
        ConnectionsCommand::List { org, format } => {
            let scope = scope(app, &org).await?;
            let list = connections::list(app, &scope).await.map_err(app_error)?;
            if let OutputFormat::Json = format {
                outln!("{}", serde_json::to_string_pretty(&list)?);
            } else if list.is_empty() {
                outln!("No connections yet.");
            } else {
                for connection in &list {
                    print_connection(connection);
                }
            }
        }
        ConnectionsCommand::Accept { org, id } => {
            let scope = scope(app, &org).await?;
            let connection =
                connections::transition(app, &scope, id, ConnectionTransition::Accept, &actor())
                    .await
                    .map_err(app_error)?;
            outln!("Connected with {}.", connection.partner_name);
        }
        ConnectionsCommand::Decline { org, id } => {
            let scope = scope(app, &org).await?;
            let connection =
                connections::transition(app, &scope, id, ConnectionTransition::Decline, &actor())
                    .await
                    .map_err(app_error)?;
            outln!("Declined {}'s request.", connection.partner_name);
        }
        ConnectionsCommand::Link(command) => return links(app, command).await,
    }
    Ok(ExitCode::SUCCESS)
}

async fn links(app: &App, command: LinkCommand) -> anyhow::Result<ExitCode> {
    match command {
        LinkCommand::Create {
            org,
            uses,
            days,
            connect_at_once,
            note,
            format,
        } => {
            let scope = scope(app, &org).await?;
            let new = NewLink {
                max_uses: uses,
                expires_in_days: days,
                auto_accept: connect_at_once,
                note,
            };
            let created = connections::create_link(app, &scope, new, &actor())
                .await
                .map_err(app_error)?;
            if let OutputFormat::Json = format {
                outln!("{}", serde_json::to_string_pretty(&created)?);
            } else {
                outln!("{}", created.link);
                print_link(&created.record);
            }
        }
        LinkCommand::List { org, format } => {
            let scope = scope(app, &org).await?;
            let list = connections::links(app, &scope).await.map_err(app_error)?;
            if let OutputFormat::Json = format {
                outln!("{}", serde_json::to_string_pretty(&list)?);
            } else if list.is_empty() {
                outln!("No invite links.");
            } else {
                for link in &list {
                    print_link(link);
                }
            }
        }
        LinkCommand::Revoke { org, id } => {
            let scope = scope(app, &org).await?;
            let link = connections::revoke_link(app, &scope, id, &actor())
                .await
                .map_err(app_error)?;
            outln!(
                "Invite link {} revoked after {} of {} uses.",
                link.id,
                link.uses,
                link.max_uses
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn print_connection(connection: &Connection) {
    let direction = match (connection.status, connection.outgoing) {
        (ConnectionStatus::Pending, false) => "waiting for you",
        (ConnectionStatus::Pending, true) => "waiting for them",
        _ => "",
    };
    outln!(
        "{}  {:<8} @{:<16} {}{}{}",
        connection.id,
        connection.status.as_str(),
        connection.partner_handle,
        connection.partner_name,
        if direction.is_empty() {
            String::new()
        } else {
            format!(" ({direction})")
        },
        if connection.via_link {
            " through an invite link"
        } else {
            ""
        }
    );
}

fn print_link(link: &ConnectionLink) {
    outln!(
        "{}  {:<8} {} of {} uses  until {}  {}{}",
        link.id,
        link.status.as_str(),
        link.uses,
        link.max_uses,
        link.expires_at.format("%Y-%m-%d"),
        if link.auto_accept {
            "connects at once"
        } else {
            "asks you to accept"
        },
        link.note
            .as_deref()
            .map(|note| format!("  \"{note}\""))
            .unwrap_or_default()
    );
}
