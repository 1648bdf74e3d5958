//! `comark gates ...` and `comark assessment ...`: the gate templates and the internal
//! assessment from the command line, as the instance administrator acting for one
//! organization.

use std::process::ExitCode;

use clap::Subcommand;
use comark_app::assessment::{self, TemplateRow};
use comark_app::App;
use comark_domain::assessment::{question, Answers, Person, Section};
use comark_store::assessment::StageTemplate;

use crate::accounts::{actor, app_error, scope, OrgArg, OutputFormat};

/// Gate template commands.
#[derive(Subcommand, Debug)]
pub enum GatesCommand {
    /// Shows the evidence each gate of new partnerships starts with, and what feeds it.
    Show {
        #[command(flatten)]
        org: OrgArg,
        /// How to print (table or json).
        #[arg(long, value_enum, default_value_t)]
        format: OutputFormat,
    },
    /// Sets the evidence a stage's gate starts with, in order. An item may start with the
    /// part of the internal assessment that meets it, in brackets:
    /// `--item "[drivers] Business objectives are written down"`.
    Set {
        #[command(flatten)]
        org: OrgArg,
        /// The stage: awareness, knowledge, internal_assessment, partner_selection,
        /// working_together, value_creation or staying_together.
        #[arg(long)]
        stage: String,
        /// A piece of evidence, optionally `[FEED] TEXT` with FEED drivers, vision_values,
        /// strengths, weaknesses, people, team or complete; repeatable, in order.
        #[arg(long = "item", value_name = "TEXT", required = true)]
        items: Vec<String>,
    },
    /// Resets a stage's gate to comark's defaults.
    Reset {
        #[command(flatten)]
        org: OrgArg,
        /// The stage.
        #[arg(long)]
        stage: String,
    },
}

/// Internal assessment commands.
#[derive(Subcommand, Debug)]
pub enum AssessmentCommand {
    /// Shows the latest version with what is missing, the gate items it feeds and the history.
    Show {
        #[command(flatten)]
        org: OrgArg,
        /// How to print (table or json).
        #[arg(long, value_enum, default_value_t)]
        format: OutputFormat,
    },
    /// Saves a new version: the latest answers with these changes (or, with --replace, only
    /// these). Prints the gate items it met.
    Answer {
        #[command(flatten)]
        org: OrgArg,
        /// KEY=TEXT: drivers, vision, values, strengths, weaknesses, unowned_areas (free
        /// text); collaborative_maturity, roles, who_does_what, mistakes, tools (a choice, as
        /// `show --format json` lists them); an empty TEXT removes the answer. Repeatable.
        #[arg(long = "answer", value_name = "KEY=TEXT")]
        answers: Vec<String>,
        /// KEY=TEXT: a note on a choice. Repeatable.
        #[arg(long = "note", value_name = "KEY=TEXT")]
        notes: Vec<String>,
        /// NAME|ROLE|SKILLS: a person who would work on partnerships; the people given
        /// replace the ones listed. Repeatable.
        #[arg(long = "person", value_name = "NAME|ROLE|SKILLS")]
        people: Vec<String>,
        /// Start from nothing instead of the latest answers.
        #[arg(long)]
        replace: bool,
    },
}

/// Reads `--item "[feed] text"` into a template row.
fn template_row(raw: &str) -> TemplateRow {
    let trimmed = raw.trim();
    if let Some(rest) = trimmed.strip_prefix('[') {
        if let Some((feed, text)) = rest.split_once(']') {
            return TemplateRow {
                text: text.trim().to_owned(),
                fed_by: Some(feed.trim().to_owned()),
            };
        }
    }
    TemplateRow {
        text: trimmed.to_owned(),
        fed_by: None,
    }
}

fn print_templates(stages: &[StageTemplate]) {
    for template in stages {
        let origin = match &template.saved {
            Some((by, at)) => format!("saved by {by} on {}", at.format("%Y-%m-%d")),
            None => "comark's defaults".to_owned(),
        };
        outln!("{} ({origin}):", template.stage.label());
        for item in &template.items {
            match item.fed_by {
                Some(feed) => outln!("  [{}] {}", feed.as_str(), item.text),
                None => outln!("  {}", item.text),
            }
        }
    }
}

/// Runs a gate template command.
pub async fn gates(app: &App, command: GatesCommand) -> anyhow::Result<ExitCode> {
    match command {
        GatesCommand::Show { org, format } => {
            let scope = scope(app, &org).await?;
            let stages = assessment::templates(app, &scope)
                .await
                .map_err(app_error)?;
            if let OutputFormat::Json = format {
                outln!("{}", serde_json::to_string_pretty(&stages)?);
            } else {
                print_templates(&stages);
            }
        }
        GatesCommand::Set { org, stage, items } => {
            let scope = scope(app, &org).await?;
            let rows = items.iter().map(|i| template_row(i)).collect();
            let stages = assessment::save_template(app, &scope, &stage, rows, &actor())
                .await
                .map_err(app_error)?;
            print_templates(
                &stages
                    .into_iter()
                    .filter(|s| s.stage.as_str() == stage.trim())
                    .collect::<Vec<_>>(),
            );
        }
        GatesCommand::Reset { org, stage } => {
            let scope = scope(app, &org).await?;
            let stages = assessment::reset_template(app, &scope, &stage, &actor())
                .await
                .map_err(app_error)?;
            print_templates(
                &stages
                    .into_iter()
                    .filter(|s| s.stage.as_str() == stage.trim())
                    .collect::<Vec<_>>(),
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Splits `KEY=TEXT`.
fn pair<'a>(flag: &str, raw: &'a str) -> anyhow::Result<(&'a str, &'a str)> {
    raw.split_once('=')
        .map(|(k, v)| (k.trim(), v))
        .ok_or_else(|| anyhow::anyhow!("{flag} takes KEY=TEXT, got `{raw}`"))
}

/// Runs an internal assessment command.
pub async fn assessment(app: &App, command: AssessmentCommand) -> anyhow::Result<ExitCode> {
    match command {
        AssessmentCommand::Show { org, format } => {
            let scope = scope(app, &org).await?;
            let overview = assessment::overview(app, &scope).await.map_err(app_error)?;
            if let OutputFormat::Json = format {
                outln!("{}", serde_json::to_string_pretty(&overview)?);
                return Ok(ExitCode::SUCCESS);
            }
            match overview.history.first() {
                None => outln!("Not answered yet."),
                Some(latest) => {
                    let answers = &latest.answers;
                    let (done, of) = answers.progress();
                    outln!(
                        "Version {}, saved {} by {}: {done} of {of} sections complete",
                        latest.version,
                        latest.saved_at.format("%Y-%m-%d %H:%M"),
                        latest.saved_by
                    );
                    for section in Section::ALL {
                        let missing = answers.missing(section);
                        if missing.is_empty() {
                            outln!("  [x] {}", section.label());
                        } else {
                            outln!("  [ ] {}: missing {}", section.label(), missing.join("; "));
                        }
                    }
                    for person in &answers.people {
                        outln!(
                            "  person: {} | {} | {}",
                            person.name,
                            person.role,
                            person.skills
                        );
                    }
                    for (key, value) in &answers.answers {
                        let shown = question(key)
                            .and_then(|q| q.choice(value))
                            .map_or(value.as_str(), |c| c.label);
                        outln!("  {key}: {shown}");
                        if let Some(note) = answers.note(key) {
                            outln!("  {key} (note): {note}");
                        }
                    }
                    for (q, c) in answers.concerns() {
                        outln!("  worth working on: {} {}", q.prompt, c.label);
                    }
                }
            }
            for fed in &overview.feeds {
                let state = fed
                    .met_by
                    .as_deref()
                    .map_or_else(|| "open".to_owned(), |by| format!("met by {by}"));
                outln!(
                    "feeds: {} · {} · {} [{}] ({state})",
                    fed.partnership_name,
                    fed.stage.label(),
                    fed.text,
                    fed.fed_by.as_str()
                );
            }
            for version in overview.history.iter().skip(1) {
                let (done, of) = version.answers.progress();
                outln!(
                    "earlier: version {} saved {} by {}: {done} of {of} sections complete",
                    version.version,
                    version.saved_at.format("%Y-%m-%d %H:%M"),
                    version.saved_by
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        AssessmentCommand::Answer {
            org,
            answers,
            notes,
            people,
            replace,
        } => {
            let scope = scope(app, &org).await?;
            let mut raw = if replace {
                Answers::default()
            } else {
                assessment::overview(app, &scope)
                    .await
                    .map_err(app_error)?
                    .history
                    .into_iter()
                    .next()
                    .map(|latest| latest.answers)
                    .unwrap_or_default()
            };
            for given in &answers {
                let (key, text) = pair("--answer", given)?;
                raw.answers.insert(key.to_owned(), text.to_owned());
            }
            for given in &notes {
                let (key, text) = pair("--note", given)?;
                raw.notes.insert(key.to_owned(), text.to_owned());
            }
            if !people.is_empty() {
                raw.people = people
                    .iter()
                    .map(|p| {
                        let mut parts = p.splitn(3, '|').map(str::trim);
                        Person {
                            name: parts.next().unwrap_or_default().to_owned(),
                            role: parts.next().unwrap_or_default().to_owned(),
                            skills: parts.next().unwrap_or_default().to_owned(),
                        }
                    })
                    .collect();
            }
            let saved = assessment::answer(app, &scope, raw, &actor())
                .await
                .map_err(app_error)?;
            let (done, of) = saved.assessment.answers.progress();
            outln!(
                "Saved version {}: {done} of {of} sections complete",
                saved.assessment.version
            );
            for met in &saved.met {
                outln!(
                    "met: {} · {} · {} [{}]",
                    met.partnership_name,
                    met.stage.label(),
                    met.text,
                    met.fed_by.as_str()
                );
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_item_may_name_its_feed_in_brackets() {
        let fed = template_row(" [drivers] Objectives are written down ");
        assert_eq!(fed.text, "Objectives are written down");
        assert_eq!(fed.fed_by.as_deref(), Some("drivers"));
        let plain = template_row("A sponsor [named]");
        assert_eq!(plain.text, "A sponsor [named]");
        assert_eq!(plain.fed_by, None);
    }
}
