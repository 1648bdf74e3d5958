//! `comark partnership ...`: partnerships through the lifecycle from the command line, as
//! the instance administrator acting for one organization.

use std::process::ExitCode;

use anyhow::Context;
use clap::Subcommand;
use comark_app::partnerships::{self, NewPartnership, RiskForm};
use comark_app::App;
use comark_domain::partnership::Advance;
use comark_domain::{GateItemId, PartnershipId};
use comark_store::partnerships::PartnershipDetail;

use crate::accounts::{actor, app_error, scope, OrgArg, OutputFormat};

/// Partnership commands.
#[derive(Subcommand, Debug)]
pub enum PartnershipCommand {
    /// Lists the organization's partnerships.
    List {
        #[command(flatten)]
        org: OrgArg,
        /// How to print.
        #[arg(long, value_enum, default_value_t)]
        format: OutputFormat,
    },
    /// Starts a partnership with connected partners.
    Create {
        #[command(flatten)]
        org: OrgArg,
        /// Its name.
        #[arg(long)]
        name: String,
        /// What it is for.
        #[arg(long, default_value = "")]
        purpose: String,
        /// A partner's handle; repeatable.
        #[arg(long = "partner", required = true)]
        partners: Vec<String>,
    },
    /// Shows a partnership: its stage, the current gate, approvals and history.
    Show {
        #[command(flatten)]
        org: OrgArg,
        /// The partnership's id.
        id: String,
        /// How to print (table or json).
        #[arg(long, value_enum, default_value_t)]
        format: OutputFormat,
    },
    /// Marks a piece of evidence met (or, with --unmet, not met).
    Evidence {
        #[command(flatten)]
        org: OrgArg,
        /// The partnership's id.
        id: String,
        /// The evidence's id, as `show` prints it.
        item: String,
        /// Mark it not met.
        #[arg(long)]
        unmet: bool,
    },
    /// Adds a risk to the partnership's register.
    Risk {
        #[command(flatten)]
        org: OrgArg,
        /// The partnership's id.
        id: String,
        /// What could go wrong.
        #[arg(long)]
        title: String,
        /// low, medium or high.
        #[arg(long)]
        likelihood: String,
        /// low, medium or high.
        #[arg(long)]
        impact: String,
        /// The person who watches it.
        #[arg(long, default_value = "")]
        owner: String,
        /// What is done about it.
        #[arg(long, default_value = "")]
        mitigation: String,
        /// When to look at it again (YYYY-MM-DD).
        #[arg(long)]
        review_on: Option<String>,
    },
    /// Adds a shared goal.
    Goal {
        #[command(flatten)]
        org: OrgArg,
        /// The partnership's id.
        id: String,
        /// What is measured.
        #[arg(long)]
        metric: String,
        /// The target.
        #[arg(long)]
        target: f64,
        /// The unit (leads, EUR...).
        #[arg(long, default_value = "")]
        unit: String,
        /// The period's first day (YYYY-MM-DD).
        #[arg(long)]
        starts_on: String,
        /// The period's last day (YYYY-MM-DD).
        #[arg(long)]
        ends_on: String,
    },
    /// Records the figure a goal has reached.
    Reading {
        #[command(flatten)]
        org: OrgArg,
        /// The partnership's id.
        id: String,
        /// The goal's id, as `performance` prints it.
        goal: String,
        /// The figure reached.
        value: f64,
    },
    /// Commits (with --commit) or records a delivery of budget, content_pieces, events,
    /// leads, audience_reach or hours.
    Contribute {
        #[command(flatten)]
        org: OrgArg,
        /// The partnership's id.
        id: String,
        /// The kind.
        kind: String,
        /// How much.
        amount: f64,
        /// Set the commitment instead of recording a delivery.
        #[arg(long)]
        commit: bool,
    },
    /// Shows the goals, each side's contributions and the health, and any fired exit trigger.
    Performance {
        #[command(flatten)]
        org: OrgArg,
        /// The partnership's id.
        id: String,
        /// How to print (table or json).
        #[arg(long, value_enum, default_value_t)]
        format: OutputFormat,
    },
    /// Runs the exit with a closing review.
    Exit {
        #[command(flatten)]
        org: OrgArg,
        /// The partnership's id.
        id: String,
        /// What the partnership achieved and why it ends.
        #[arg(long)]
        review: String,
    },
    /// Asks to leave the current stage. Exit code 3 while other members still must approve,
    /// 1 when the gate is not met.
    Advance {
        #[command(flatten)]
        org: OrgArg,
        /// The partnership's id.
        id: String,
        /// Why, for the history.
        #[arg(long, default_value = "")]
        reason: String,
    },
}

/// Exit code: the request counts as an approval; other members must approve too.
pub const EXIT_WAITING: u8 = 3;

fn partnership_id(raw: &str) -> anyhow::Result<PartnershipId> {
    raw.parse()
        .with_context(|| format!("`{raw}` is not a partnership id"))
}

fn print_detail(detail: &PartnershipDetail, format: OutputFormat) -> anyhow::Result<()> {
    if let OutputFormat::Json = format {
        println!("{}", serde_json::to_string_pretty(detail)?);
        return Ok(());
    }
    let p = &detail.partnership;
    let members: Vec<&str> = p.members.iter().map(|m| m.handle.as_str()).collect();
    println!("{} ({})", p.name, p.id);
    println!("members: {}", members.join(", "));
    println!("stage:   {}", p.stage.label());
    println!();
    println!("Gate of {}:", p.stage.label());
    for item in detail.gates.iter().filter(|g| g.stage == p.stage) {
        match &item.met {
            Some((who, at)) => println!(
                "  [x] {}  {} (met by {who}, {})",
                item.id,
                item.text,
                at.format("%Y-%m-%d")
            ),
            None => println!("  [ ] {}  {}", item.id, item.text),
        }
    }
    for approval in &detail.approvals {
        println!(
            "  approved by {} at {}",
            approval.by,
            approval.at.format("%Y-%m-%d %H:%M")
        );
    }
    println!();
    println!("History:");
    for event in &detail.history {
        println!(
            "  {}  {}  {} ({}): {}",
            event.at.format("%Y-%m-%d %H:%M"),
            event.kind,
            event.actor,
            event.org,
            event.detail
        );
    }
    Ok(())
}

/// Runs a partnership command and returns the exit code.
pub async fn partnership(app: &App, command: PartnershipCommand) -> anyhow::Result<ExitCode> {
    let actor = actor();
    match command {
        PartnershipCommand::List { org, format } => {
            let scope = scope(app, &org).await?;
            let list = partnerships::list(app, &scope).await.map_err(app_error)?;
            if let OutputFormat::Json = format {
                println!("{}", serde_json::to_string_pretty(&list)?);
                return Ok(ExitCode::SUCCESS);
            }
            for p in list {
                let members: Vec<&str> = p.members.iter().map(|m| m.handle.as_str()).collect();
                println!(
                    "{}  {}  {}  [{}]",
                    p.id,
                    p.stage.as_str(),
                    p.name,
                    members.join(", ")
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        PartnershipCommand::Create {
            org,
            name,
            purpose,
            partners,
        } => {
            let scope = scope(app, &org).await?;
            let input = NewPartnership {
                name,
                purpose,
                partners,
            };
            let detail = partnerships::create(app, &scope, input, &actor)
                .await
                .map_err(app_error)?;
            println!("{}", detail.partnership.id);
            Ok(ExitCode::SUCCESS)
        }
        PartnershipCommand::Show { org, id, format } => {
            let scope = scope(app, &org).await?;
            let detail = partnerships::get(app, &scope, partnership_id(&id)?)
                .await
                .map_err(app_error)?;
            print_detail(&detail, format)?;
            Ok(ExitCode::SUCCESS)
        }
        PartnershipCommand::Evidence {
            org,
            id,
            item,
            unmet,
        } => {
            let scope = scope(app, &org).await?;
            let item: GateItemId = item
                .parse()
                .with_context(|| format!("`{item}` is not an evidence id"))?;
            partnerships::set_evidence(app, &scope, partnership_id(&id)?, item, !unmet, &actor)
                .await
                .map_err(app_error)?;
            Ok(ExitCode::SUCCESS)
        }
        PartnershipCommand::Risk {
            org,
            id,
            title,
            likelihood,
            impact,
            owner,
            mitigation,
            review_on,
        } => {
            let scope = scope(app, &org).await?;
            let form = RiskForm {
                title,
                likelihood,
                impact,
                owner_org: None,
                owner,
                mitigation,
                review_on,
                closed: false,
            };
            let detail =
                partnerships::save_risk(app, &scope, partnership_id(&id)?, None, form, &actor)
                    .await
                    .map_err(app_error)?;
            for risk in detail.risks.iter().filter(|r| r.closed_at.is_none()) {
                println!("{}  {}  score {}", risk.id, risk.title, risk.score);
            }
            Ok(ExitCode::SUCCESS)
        }
        PartnershipCommand::Goal {
            org,
            id,
            metric,
            target,
            unit,
            starts_on,
            ends_on,
        } => {
            let scope = scope(app, &org).await?;
            let form = partnerships::GoalForm {
                metric,
                target,
                unit,
                starts_on,
                ends_on,
                owner_org: None,
            };
            let performance =
                partnerships::add_goal(app, &scope, partnership_id(&id)?, form, &actor)
                    .await
                    .map_err(app_error)?;
            if let Some(goal) = performance.goals.last() {
                println!("{}", goal.id);
            }
            Ok(ExitCode::SUCCESS)
        }
        PartnershipCommand::Reading {
            org,
            id,
            goal,
            value,
        } => {
            let scope = scope(app, &org).await?;
            let goal: comark_domain::GoalId = goal
                .parse()
                .with_context(|| format!("`{goal}` is not a goal id"))?;
            partnerships::record_progress(
                app,
                &scope,
                partnership_id(&id)?,
                goal,
                value,
                None,
                "",
                &actor,
            )
            .await
            .map_err(app_error)?;
            Ok(ExitCode::SUCCESS)
        }
        PartnershipCommand::Contribute {
            org,
            id,
            kind,
            amount,
            commit,
        } => {
            let scope = scope(app, &org).await?;
            let id = partnership_id(&id)?;
            if commit {
                partnerships::set_commitment(app, &scope, id, &kind, amount, &actor).await
            } else {
                partnerships::record_contribution(app, &scope, id, &kind, amount, None, "", &actor)
                    .await
            }
            .map_err(app_error)?;
            Ok(ExitCode::SUCCESS)
        }
        PartnershipCommand::Performance { org, id, format } => {
            let scope = scope(app, &org).await?;
            let id = partnership_id(&id)?;
            let performance = partnerships::performance(app, &scope, id)
                .await
                .map_err(app_error)?;
            let exit = comark_app::exit::view(app, &scope, id)
                .await
                .map_err(app_error)?;
            if let OutputFormat::Json = format {
                let both = serde_json::json!({ "performance": performance, "exit": exit });
                println!("{}", serde_json::to_string_pretty(&both)?);
                return Ok(ExitCode::SUCCESS);
            }
            println!("health: {} of 100", performance.health.score);
            for reason in &performance.health.reasons {
                println!("  {reason}");
            }
            for goal in &performance.goals {
                println!(
                    "goal {}  {}: {} of {} {}  {}",
                    goal.id,
                    goal.metric,
                    goal.current.unwrap_or(0.0),
                    goal.target,
                    goal.unit,
                    goal.status.label()
                );
            }
            for alert in &exit.alerts {
                println!("exit trigger fired: {}", alert.reason);
            }
            Ok(ExitCode::SUCCESS)
        }
        PartnershipCommand::Exit { org, id, review } => {
            let scope = scope(app, &org).await?;
            comark_app::exit::exit(app, &scope, partnership_id(&id)?, &review, &actor)
                .await
                .map_err(app_error)?;
            eprintln!("The partnership has exited.");
            Ok(ExitCode::SUCCESS)
        }
        PartnershipCommand::Advance { org, id, reason } => {
            let scope = scope(app, &org).await?;
            let (outcome, _) =
                partnerships::advance(app, &scope, partnership_id(&id)?, &reason, &actor)
                    .await
                    .map_err(app_error)?;
            Ok(match outcome {
                Advance::To(stage) => {
                    eprintln!("Moved to {}.", stage.label());
                    ExitCode::SUCCESS
                }
                Advance::Waiting { approved, of } => {
                    eprintln!("Your approval is recorded: {approved} of {of}.");
                    ExitCode::from(EXIT_WAITING)
                }
            })
        }
    }
}
