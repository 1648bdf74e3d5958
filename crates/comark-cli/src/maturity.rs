//! `comark maturity ...`: the co-marketing maturity assessment from the command line.

use std::process::ExitCode;

use clap::Subcommand;
use comark_app::maturity::{self, AssessmentForm};
use comark_app::App;
use comark_domain::maturity::{average, Dimension};

use crate::accounts::{actor, app_error, scope, OrgArg, OutputFormat};

/// Maturity commands.
#[derive(Subcommand, Debug)]
pub enum MaturityCommand {
    /// Shows the latest assessment with its next steps, the history and comark's suggestions.
    Show {
        #[command(flatten)]
        org: OrgArg,
        /// How to print (table or json).
        #[arg(long, value_enum, default_value_t)]
        format: OutputFormat,
    },
    /// Records an assessment: `--level strategy_icp=coordinated` for each of the six dimensions.
    Assess {
        #[command(flatten)]
        org: OrgArg,
        /// DIMENSION=LEVEL, with LEVEL one_off, coordinated or ecosystem; once per dimension.
        #[arg(long = "level", value_name = "DIMENSION=LEVEL", required = true)]
        levels: Vec<String>,
    },
}

/// Runs a maturity command.
pub async fn maturity(app: &App, command: MaturityCommand) -> anyhow::Result<ExitCode> {
    match command {
        MaturityCommand::Show { org, format } => {
            let scope = scope(app, &org).await?;
            let overview = maturity::overview(app, &scope).await.map_err(app_error)?;
            if let OutputFormat::Json = format {
                outln!("{}", serde_json::to_string_pretty(&overview)?);
                return Ok(ExitCode::SUCCESS);
            }
            match overview.history.first() {
                None => outln!("No assessment yet."),
                Some(latest) => {
                    outln!(
                        "Assessed {} by {}: average {:.1} of 3",
                        latest.taken_at.format("%Y-%m-%d"),
                        latest.taken_by,
                        average(&latest.levels).unwrap_or(0.0)
                    );
                    for dimension in Dimension::ALL {
                        let Some(level) = latest.levels.get(&dimension) else {
                            continue;
                        };
                        outln!("  {:<22} {}", dimension.label(), level.label());
                        if let Some(step) = dimension.next_step(*level) {
                            outln!("  {:<22} next: {step}", "");
                        }
                    }
                }
            }
            for suggestion in &overview.suggestions {
                outln!(
                    "suggested: {} at {}, because {}",
                    suggestion.dimension.label(),
                    suggestion.level.label(),
                    suggestion.reason
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        MaturityCommand::Assess { org, levels } => {
            let scope = scope(app, &org).await?;
            let mut form = AssessmentForm::default();
            for pair in levels {
                let Some((dimension, level)) = pair.split_once('=') else {
                    anyhow::bail!("--level takes DIMENSION=LEVEL, got `{pair}`");
                };
                form.levels
                    .insert(dimension.trim().to_owned(), level.trim().to_owned());
            }
            let assessment = maturity::assess(app, &scope, form, &actor())
                .await
                .map_err(app_error)?;
            outln!(
                "Recorded: average {:.1} of 3",
                average(&assessment.levels).unwrap_or(0.0)
            );
            Ok(ExitCode::SUCCESS)
        }
    }
}
