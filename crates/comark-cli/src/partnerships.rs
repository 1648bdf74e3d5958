//! `comark partnership ...`: partnerships through the lifecycle from the command line, as
//! the instance administrator acting for one organization.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{bail, Context};
use clap::Subcommand;
use comark_app::exit::{ExitForm, ExitView};
use comark_app::partnerships::{self, NewPartnership, RiskForm};
use comark_app::App;
use comark_domain::engagement::{Raci, ROLES, RULE_SECTIONS};
use comark_domain::exit::Trigger;
use comark_domain::partnership::Advance;
use comark_domain::{GateItemId, PartnershipId};
use comark_store::engagement::Engagement;
use comark_store::partnerships::{Member, PartnershipDetail};
use serde::Deserialize;

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
        #[arg(long, required_unless_present = "withdraw")]
        review: Option<String>,
        /// Withdraw the notice of exit instead: the partnership goes on.
        #[arg(long, conflicts_with = "review")]
        withdraw: bool,
    },
    /// Runs one round of comark's watcher now (as `serve` does every hour): exits whose
    /// notice ran out take effect, and every exit strategy's triggers are checked.
    Watch {
        /// Act as if it were this day (YYYY-MM-DD), to see what a date will bring.
        #[arg(long)]
        at: Option<chrono::NaiveDate>,
    },
    /// Shows the roles each member named, the RACI with its gaps, the rules of engagement
    /// and who approved their current version.
    Engagement {
        #[command(flatten)]
        org: OrgArg,
        /// The partnership's id.
        id: String,
        /// How to print (table or json).
        #[arg(long, value_enum, default_value_t)]
        format: OutputFormat,
    },
    /// Names our holder of a role: executive_sponsor, partnership_manager, marketing_lead,
    /// sales_lead or a role of our own ("Events lead"). An empty --person clears it.
    Role {
        #[command(flatten)]
        org: OrgArg,
        /// The partnership's id.
        id: String,
        /// The role.
        role: String,
        /// The person ("" clears the role).
        #[arg(long)]
        person: String,
        /// Their e-mail address.
        #[arg(long, default_value = "")]
        email: String,
    },
    /// Sets our part in an activity area of the RACI: any of the letters R (responsible),
    /// A (accountable), C (consulted) and I (informed); "" for no part. Prints the gaps left.
    Raci {
        #[command(flatten)]
        org: OrgArg,
        /// The partnership's id.
        id: String,
        /// The activity area ("Lead follow-up", or a new one).
        area: String,
        /// Our letters ("RA").
        letters: String,
    },
    /// Writes a new version of the rules of engagement, which every other member must approve
    /// again. Sections not given keep their text (unless --replace); an empty text removes one.
    Rules {
        #[command(flatten)]
        org: OrgArg,
        /// The partnership's id.
        id: String,
        /// A section as KEY=TEXT: shared_accounts, lead_ownership, brand_usage, approvals,
        /// data_sharing, rhythm or channels; repeatable.
        #[arg(long = "section", value_name = "KEY=TEXT")]
        sections: Vec<String>,
        /// A TOML or JSON file with `time_zone` and a `rules` table of sections (as the API's
        /// body); --section and --time-zone win over it.
        #[arg(long)]
        file: Option<PathBuf>,
        /// Our team's time zone (Europe/Berlin, UTC).
        #[arg(long)]
        time_zone: Option<String>,
        /// Start from no sections instead of the current ones.
        #[arg(long)]
        replace: bool,
    },
    /// Approves the rules of engagement as they are at --version. Exit code 3 while other
    /// members still must approve; 1 when the rules changed since that version.
    ApproveRules {
        #[command(flatten)]
        org: OrgArg,
        /// The partnership's id.
        id: String,
        /// The version read (as `engagement` prints it).
        #[arg(long)]
        version: i64,
    },
    /// Agrees (or changes) the exit strategy; prints any trigger that fires at once.
    ExitStrategy {
        #[command(flatten)]
        org: OrgArg,
        /// The partnership's id.
        id: String,
        /// Days of notice before an exit takes effect (0 to 365).
        #[arg(long)]
        notice_days: i64,
        /// What happens to shared account data: stop_sharing or keep_sharing.
        #[arg(long, default_value = "stop_sharing")]
        data_handling: String,
        /// What happens to co-created assets.
        #[arg(long, default_value = "")]
        assets: String,
        /// What happens to shared leads.
        #[arg(long, default_value = "")]
        leads: String,
        /// A disengagement trigger: goal_off_track, contribution_below:PERCENT,
        /// health_below:SCORE or breach; repeatable.
        #[arg(long = "trigger", value_name = "TRIGGER")]
        triggers: Vec<String>,
    },
    /// Reports a breach of the rules of engagement; prints any trigger that fires on it.
    Breach {
        #[command(flatten)]
        org: OrgArg,
        /// The partnership's id.
        id: String,
        /// What happened.
        #[arg(long)]
        description: String,
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
        outln!("{}", serde_json::to_string_pretty(detail)?);
        return Ok(());
    }
    let p = &detail.partnership;
    let members: Vec<&str> = p.members.iter().map(|m| m.handle.as_str()).collect();
    outln!("{} ({})", p.name, p.id);
    outln!("members: {}", members.join(", "));
    outln!("stage:   {}", p.stage.label());
    outln!();
    outln!("Gate of {}:", p.stage.label());
    for item in detail.gates.iter().filter(|g| g.stage == p.stage) {
        match &item.met {
            Some((who, at)) => outln!(
                "  [x] {}  {} (met by {who}, {})",
                item.id,
                item.text,
                at.format("%Y-%m-%d")
            ),
            None => outln!("  [ ] {}  {}", item.id, item.text),
        }
    }
    for approval in &detail.approvals {
        outln!(
            "  approved by {} at {}",
            approval.by,
            approval.at.format("%Y-%m-%d %H:%M")
        );
    }
    outln!();
    outln!("History:");
    for event in &detail.history {
        outln!(
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

/// The rules of engagement as a file gives them: the API's body.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RulesFile {
    /// Text per section.
    #[serde(default)]
    rules: BTreeMap<String, String>,
    /// Our team's time zone.
    #[serde(default)]
    time_zone: Option<String>,
}

/// Reads a rules file: JSON when it ends in `.json`, TOML otherwise.
fn read_rules_file(path: &Path) -> anyhow::Result<RulesFile> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    let json = path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("json"));
    if json {
        serde_json::from_str(&text).with_context(|| format!("reading {} as JSON", path.display()))
    } else {
        toml::from_str(&text).with_context(|| format!("reading {} as TOML", path.display()))
    }
}

/// The triggers as `--trigger` gives them.
fn parse_triggers(raw: &[String]) -> anyhow::Result<Vec<Trigger>> {
    raw.iter()
        .map(|text| {
            Trigger::parse(text).with_context(|| {
                format!(
                    "`{text}` is not a trigger: use goal_off_track, contribution_below:PERCENT, \
                     health_below:SCORE or breach"
                )
            })
        })
        .collect()
}

/// A role's name as people say it.
fn role_label(key: &str) -> String {
    ROLES.iter().find(|(k, _)| *k == key).map_or_else(
        || {
            let words = key.replace('_', " ");
            let mut chars = words.chars();
            chars
                .next()
                .map(|c| c.to_uppercase().collect::<String>() + chars.as_str())
                .unwrap_or_default()
        },
        |(_, label)| (*label).to_owned(),
    )
}

/// Every role and area anyone used: the standard ones first.
fn roles_and_areas(engagement: &Engagement) -> (Vec<String>, Vec<String>) {
    let mut roles: Vec<String> = ROLES.iter().map(|(k, _)| (*k).to_owned()).collect();
    for holder in &engagement.roles {
        if !roles.contains(&holder.role) {
            roles.push(holder.role.clone());
        }
    }
    let mut areas: Vec<String> = comark_domain::engagement::AREAS
        .iter()
        .map(|a| (*a).to_owned())
        .collect();
    for assignment in &engagement.raci {
        if !areas.contains(&assignment.area) {
            areas.push(assignment.area.clone());
        }
    }
    (roles, areas)
}

fn print_engagement(
    members: &[Member],
    engagement: &Engagement,
    format: OutputFormat,
) -> anyhow::Result<()> {
    if let OutputFormat::Json = format {
        let mut value = serde_json::to_value(engagement)?;
        value["members"] = serde_json::to_value(members)?;
        outln!("{}", serde_json::to_string_pretty(&value)?);
        return Ok(());
    }
    let (roles, areas) = roles_and_areas(engagement);
    let name_of = |id| {
        members
            .iter()
            .find(|m| m.id == id)
            .map_or("a former member", |m| m.name.as_str())
    };
    outln!("Roles:");
    for role in &roles {
        outln!("  {}:", role_label(role));
        for m in members {
            match engagement
                .roles
                .iter()
                .find(|h| &h.role == role && h.org == m.id)
            {
                Some(h) if h.email.is_empty() => outln!("    {}: {}", m.handle, h.person),
                Some(h) => outln!("    {}: {} <{}>", m.handle, h.person, h.email),
                None => outln!("    {}: not named", m.handle),
            }
        }
    }
    outln!();
    outln!("RACI (R responsible, A accountable, C consulted, I informed):");
    let width = areas
        .iter()
        .map(|a| a.chars().count())
        .max()
        .unwrap_or(4)
        .max(4);
    let handles: Vec<&str> = members.iter().map(|m| m.handle.as_str()).collect();
    outln!("  {:width$}  {}", "area", handles.join("  "));
    for area in &areas {
        let cells: Vec<String> = members
            .iter()
            .map(|m| {
                let letters = engagement
                    .raci
                    .iter()
                    .find(|a| &a.area == area && a.org == m.id)
                    .map_or("", |a| a.letters.as_str());
                let letters = if letters.is_empty() { "-" } else { letters };
                format!("{letters:w$}", w = m.handle.chars().count())
            })
            .collect();
        outln!("  {area:width$}  {}", cells.join("  ").trim_end());
    }
    for gap in &engagement.gaps {
        outln!("gap: {gap}");
    }
    outln!();
    if engagement.version == 0 {
        outln!("Rules of engagement: none written yet.");
    } else if engagement.agreed {
        outln!(
            "Rules of engagement, version {}: agreed by all members.",
            engagement.version
        );
    } else {
        let waiting: Vec<&str> = members
            .iter()
            .filter(|m| !engagement.approvals.iter().any(|a| a.org == m.id))
            .map(|m| m.handle.as_str())
            .collect();
        outln!(
            "Rules of engagement, version {}: waiting for {}.",
            engagement.version,
            waiting.join(", ")
        );
    }
    for (key, label, _) in RULE_SECTIONS {
        if let Some(text) = engagement.rules.get(key) {
            outln!("  {label} ({key}): {text}");
        }
    }
    for m in members {
        match engagement.time_zones.get(&m.handle) {
            Some(zone) => outln!("time zone of {}: {zone}", m.handle),
            None => outln!("time zone of {}: not given", m.handle),
        }
    }
    for approval in &engagement.approvals {
        outln!(
            "approved version {} for {} by {} at {}",
            approval.version,
            name_of(approval.org),
            approval.by,
            approval.at.format("%Y-%m-%d %H:%M")
        );
    }
    Ok(())
}

/// Prints the triggers holding now, one a line.
fn print_alerts(view: &ExitView) {
    for alert in &view.alerts {
        outln!("exit trigger fired: {}", alert.reason);
    }
}

/// Runs a partnership command and returns the exit code.
pub async fn partnership(app: &App, command: PartnershipCommand) -> anyhow::Result<ExitCode> {
    let actor = actor();
    match command {
        PartnershipCommand::List { org, format } => {
            let scope = scope(app, &org).await?;
            let list = partnerships::list(app, &scope).await.map_err(app_error)?;
            if let OutputFormat::Json = format {
                outln!("{}", serde_json::to_string_pretty(&list)?);
                return Ok(ExitCode::SUCCESS);
            }
            for p in list {
                let members: Vec<&str> = p.members.iter().map(|m| m.handle.as_str()).collect();
                outln!(
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
            outln!("{}", detail.partnership.id);
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
            let (_, detail) =
                partnerships::save_risk(app, &scope, partnership_id(&id)?, None, form, &actor)
                    .await
                    .map_err(app_error)?;
            for risk in detail.risks.iter().filter(|r| r.closed_at.is_none()) {
                outln!("{}  {}  score {}", risk.id, risk.title, risk.score);
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
            let (goal, _) = partnerships::add_goal(app, &scope, partnership_id(&id)?, form, &actor)
                .await
                .map_err(app_error)?;
            outln!("{goal}");
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
                outln!("{}", serde_json::to_string_pretty(&both)?);
                return Ok(ExitCode::SUCCESS);
            }
            outln!("health: {} of 100", performance.health.score);
            for reason in &performance.health.reasons {
                outln!("  {reason}");
            }
            for goal in &performance.goals {
                outln!(
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
                outln!("exit trigger fired: {}", alert.reason);
            }
            Ok(ExitCode::SUCCESS)
        }
        PartnershipCommand::Exit {
            org,
            id,
            review,
            withdraw,
        } => {
            let scope = scope(app, &org).await?;
            let id = partnership_id(&id)?;
            if withdraw {
                comark_app::exit::withdraw_notice(app, &scope, id, &actor)
                    .await
                    .map_err(app_error)?;
                eprintln!("Notice of exit withdrawn; the partnership goes on.");
                return Ok(ExitCode::SUCCESS);
            }
            let view =
                comark_app::exit::exit(app, &scope, id, review.as_deref().unwrap_or(""), &actor)
                    .await
                    .map_err(app_error)?;
            match view.notice {
                Some(notice) => eprintln!(
                    "Notice of exit given; the exit takes effect on {}.",
                    notice.effective_at.format("%Y-%m-%d")
                ),
                None => eprintln!("The partnership has exited."),
            }
            Ok(ExitCode::SUCCESS)
        }
        PartnershipCommand::Watch { at } => {
            let at = match at {
                Some(day) => day
                    .and_hms_opt(12, 0, 0)
                    .map(|t| t.and_utc())
                    .context("a day")?,
                None => comark_store::now(),
            };
            let watched = comark_app::exit::watch(app, at).await.map_err(app_error)?;
            outln!(
                "{} exits took effect; {} triggers fired.",
                watched.exits,
                watched.fired
            );
            Ok(ExitCode::SUCCESS)
        }
        PartnershipCommand::Engagement { org, id, format } => {
            let scope = scope(app, &org).await?;
            let id = partnership_id(&id)?;
            let detail = partnerships::get(app, &scope, id)
                .await
                .map_err(app_error)?;
            let engagement = comark_app::engagement::view(app, &scope, id)
                .await
                .map_err(app_error)?;
            print_engagement(&detail.partnership.members, &engagement, format)?;
            Ok(ExitCode::SUCCESS)
        }
        PartnershipCommand::Role {
            org,
            id,
            role,
            person,
            email,
        } => {
            let scope = scope(app, &org).await?;
            comark_app::engagement::set_role(
                app,
                &scope,
                partnership_id(&id)?,
                &role,
                &person,
                &email,
                &actor,
            )
            .await
            .map_err(app_error)?;
            if person.trim().is_empty() {
                eprintln!("Cleared: {}.", role_label(role.trim()));
            } else {
                eprintln!(
                    "{} is our {}.",
                    person.trim(),
                    role_label(role.trim()).to_lowercase()
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        PartnershipCommand::Raci {
            org,
            id,
            area,
            letters,
        } => {
            let scope = scope(app, &org).await?;
            let engagement = comark_app::engagement::set_raci(
                app,
                &scope,
                partnership_id(&id)?,
                &area,
                &letters,
                &actor,
            )
            .await
            .map_err(app_error)?;
            let ours = Raci::parse(&letters).map(Raci::letters).unwrap_or_default();
            if ours.is_empty() {
                eprintln!("{}: no part for us.", area.trim());
            } else {
                eprintln!("{}: we are {ours}.", area.trim());
            }
            for gap in &engagement.gaps {
                outln!("gap: {gap}");
            }
            Ok(ExitCode::SUCCESS)
        }
        PartnershipCommand::Rules {
            org,
            id,
            sections,
            file,
            time_zone,
            replace,
        } => {
            let scope = scope(app, &org).await?;
            let id = partnership_id(&id)?;
            let from_file = match &file {
                Some(path) => read_rules_file(path)?,
                None => RulesFile::default(),
            };
            let current = comark_app::engagement::view(app, &scope, id)
                .await
                .map_err(app_error)?;
            let mut rules = if replace {
                BTreeMap::new()
            } else {
                current.rules.clone()
            };
            rules.extend(from_file.rules);
            for section in &sections {
                let Some((key, text)) = section.split_once('=') else {
                    bail!("--section takes KEY=TEXT, got `{section}`");
                };
                rules.insert(key.trim().to_owned(), text.to_owned());
            }
            let time_zone = time_zone.or(from_file.time_zone);
            let (saved, changed) = comark_app::engagement::save_rules(
                app,
                &scope,
                id,
                &rules,
                time_zone.as_deref(),
                &actor,
            )
            .await
            .map_err(app_error)?;
            if !changed {
                if saved.version == 0 {
                    eprintln!("Nothing to save yet: give at least one section.");
                } else {
                    eprintln!(
                        "Nothing changed; the rules stay at version {}.",
                        saved.version
                    );
                }
                return Ok(ExitCode::SUCCESS);
            }
            outln!("{}", saved.version);
            eprintln!(
                "Version {} of the rules is saved; the other members must approve it.",
                saved.version
            );
            Ok(ExitCode::SUCCESS)
        }
        PartnershipCommand::ApproveRules { org, id, version } => {
            let scope = scope(app, &org).await?;
            let engagement = comark_app::engagement::approve_rules(
                app,
                &scope,
                partnership_id(&id)?,
                version,
                &actor,
            )
            .await
            .map_err(app_error)?;
            if engagement.agreed {
                eprintln!("You approved version {version}: the rules are agreed by all members.");
                Ok(ExitCode::SUCCESS)
            } else {
                eprintln!("You approved version {version}; the other members must approve it too.");
                Ok(ExitCode::from(EXIT_WAITING))
            }
        }
        PartnershipCommand::ExitStrategy {
            org,
            id,
            notice_days,
            data_handling,
            assets,
            leads,
            triggers,
        } => {
            let scope = scope(app, &org).await?;
            let form = ExitForm {
                notice_days,
                data_handling,
                assets,
                leads,
                triggers: parse_triggers(&triggers)?,
            };
            let view = comark_app::exit::agree(app, &scope, partnership_id(&id)?, form, &actor)
                .await
                .map_err(app_error)?;
            if let Some(strategy) = &view.strategy {
                for trigger in &strategy.triggers {
                    outln!("trigger: {}", trigger.describe());
                }
            }
            print_alerts(&view);
            eprintln!("Exit strategy agreed.");
            Ok(ExitCode::SUCCESS)
        }
        PartnershipCommand::Breach {
            org,
            id,
            description,
        } => {
            let scope = scope(app, &org).await?;
            let view = comark_app::exit::report_breach(
                app,
                &scope,
                partnership_id(&id)?,
                &description,
                &actor,
            )
            .await
            .map_err(app_error)?;
            print_alerts(&view);
            eprintln!("Breach reported.");
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
