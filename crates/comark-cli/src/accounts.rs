//! `comark accounts ...` and `comark mapping ...`: imports, account lists, the mapping with a
//! partner, sharing, corrections and exports, on the command line, for scripts.
//!
//! These act as an instance administrator on the organization named by `--org` (the audit
//! log records the CLI as the actor), directly on the database.

use std::io::{IsTerminal, Read, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use clap::{Args, Subcommand, ValueEnum};
use comark_app::accounts::{
    self, unknown_population, CorrectionInput, ExportFormat, StartImport, ValueInput, PREVIEW_BYTES,
};
use comark_app::csv_out::{Cell, CsvWriter};
use comark_app::import::{ColumnMapping, PopulationTally, ReadAs};
use comark_app::App;
use comark_domain::accounts::BasePopulation;
use comark_store::accounts::{CorrectionKind, ImportMode, PairPage};
use comark_store::{Actor, OrgScope};

/// Exit code: some rows were rejected, the rest landed.
pub const EXIT_ROWS_REJECTED: u8 = 3;
/// Exit code: the import failed and nothing landed.
pub const EXIT_IMPORT_FAILED: u8 = 4;

/// How results are printed.
#[derive(Clone, Copy, Debug, Default, ValueEnum)]
pub enum OutputFormat {
    /// Aligned columns for people.
    #[default]
    Table,
    /// JSON for programs.
    Json,
    /// CSV for spreadsheets.
    Csv,
}

/// The organization a command acts on.
#[derive(Args, Debug, Clone)]
pub struct OrgArg {
    /// The organization's handle.
    #[arg(long)]
    pub org: String,
}

/// Account commands.
#[derive(Subcommand, Debug)]
pub enum AccountsCommand {
    /// Imports accounts from a CRM's CSV export. Every value of the population column lands
    /// its row (see --value); the result says how many rows each value had and where they
    /// went. Exit codes: 0 all rows landed, 3 some rows were rejected (the rest landed), 4
    /// nothing landed (a bad file, or strict mode).
    Import(ImportArgs),
    /// Shows what a file looks like to the importer: encoding, CRM, suggested mapping, samples.
    Preview {
        #[command(flatten)]
        org: OrgArg,
        /// The CSV file.
        file: PathBuf,
        /// Read it in this encoding (windows-1252, iso-8859-1, shift_jis, utf-16le...).
        #[arg(long)]
        encoding: Option<String>,
    },
    /// Lists the organization's latest imports: where each stands, what it did, and what
    /// happened to its run. Imports whose run died are failed or restarted first.
    Imports {
        #[command(flatten)]
        org: OrgArg,
        /// How to print.
        #[arg(long, value_enum, default_value_t)]
        format: OutputFormat,
    },
    /// Finds imports whose run died (a killed command, a server that went down, a job out of
    /// attempts) and fails or restarts each with the reason, as `serve` does every few
    /// seconds. Prints what it changed.
    Reconcile {
        /// Judge as if it were this moment (RFC 3339), to see what waiting would do.
        #[arg(long)]
        at: Option<chrono::DateTime<chrono::Utc>>,
    },
    /// Lists accounts.
    List {
        #[command(flatten)]
        org: OrgArg,
        /// Part of the name or website.
        #[arg(long)]
        search: Option<String>,
        /// customer, opportunity, prospect or unclassified.
        #[arg(long)]
        population: Option<String>,
        /// How to print.
        #[arg(long, value_enum, default_value_t)]
        format: OutputFormat,
    },
}

/// `comark accounts import`.
#[derive(Args, Debug)]
pub struct ImportArgs {
    #[command(flatten)]
    org: OrgArg,
    /// The CSV file.
    file: PathBuf,
    /// Map a field to a column: `--map name="Company name"`; repeat for each field.
    /// Without any, the suggested mapping (Salesforce and HubSpot are recognized) is used.
    #[arg(long = "map", value_name = "FIELD=HEADER")]
    map: Vec<String>,
    /// Keep another column as a field; repeatable.
    #[arg(long = "keep", value_name = "HEADER")]
    keep: Vec<String>,
    /// Also read this column for the company's website or domain (matching only);
    /// repeatable. Without `--map`, the suggestion's such columns are used.
    #[arg(long = "also-website", value_name = "HEADER")]
    also_website: Vec<String>,
    /// Population of rows without one (customer, opportunity, prospect or unclassified).
    #[arg(long)]
    default_population: Option<String>,
    /// What a value of the population column means, over comark's reading of the CRM's
    /// standard values: `--value 'Type:Other=prospect'`, or `--value Partner=unclassified`
    /// (the column is optional; a value holding a colon needs it). Populations: customer,
    /// opportunity, prospect, unclassified. Repeatable; saved with --save-mapping.
    #[arg(long = "value", value_name = "[COLUMN:]VALUE=POPULATION")]
    values: Vec<String>,
    /// Where rows go whose value is neither given with --value nor a CRM's standard value
    /// (default: unclassified). Such rows are never rejected.
    #[arg(long, value_name = "POPULATION")]
    unreadable_as: Option<String>,
    /// Use a mapping saved earlier.
    #[arg(long)]
    mapping: Option<String>,
    /// Save the mapping under this name.
    #[arg(long)]
    save_mapping: Option<String>,
    /// The file's encoding, when detection is wrong.
    #[arg(long)]
    encoding: Option<String>,
    /// Remove accounts that are missing from the file.
    #[arg(long)]
    replace: bool,
    /// Import nothing if any row is rejected.
    #[arg(long)]
    strict: bool,
    /// Print the result as JSON.
    #[arg(long)]
    json: bool,
}

/// Mapping commands.
#[derive(Subcommand, Debug)]
pub enum MappingCommand {
    /// Shows the overlap matrix and the shared accounts with a partner.
    Show {
        #[command(flatten)]
        org: OrgArg,
        /// The partner's handle.
        #[arg(long)]
        partner: String,
        /// How to print.
        #[arg(long, value_enum, default_value_t)]
        format: OutputFormat,
        /// How many shared accounts to list, by the name of yours (0 for the matrix alone);
        /// `comark mapping export` writes them all.
        #[arg(long, default_value_t = accounts::MAPPING_PAGE)]
        limit: u32,
    },
    /// Writes the mapped accounts you may see to a CSV or XLSX file.
    Export {
        #[command(flatten)]
        org: OrgArg,
        /// The partner's handle.
        #[arg(long)]
        partner: String,
        /// The file to write; its extension picks the format (.csv or .xlsx).
        #[arg(long)]
        output: PathBuf,
    },
    /// Sets what the partner may see of one population.
    Share {
        #[command(flatten)]
        org: OrgArg,
        /// The partner's handle.
        #[arg(long)]
        partner: String,
        /// customer, opportunity, prospect, unclassified or a custom population.
        #[arg(long)]
        population: String,
        /// hidden, counts, overlaps or overlaps_with_fields.
        #[arg(long)]
        level: String,
        /// Fields shown at overlaps_with_fields, comma-separated (owner,stage).
        #[arg(long, value_delimiter = ',')]
        fields: Vec<String>,
    },
    /// Marks a match as wrong, seen by both sides.
    Wrong {
        #[command(flatten)]
        org: OrgArg,
        /// The partner's handle.
        #[arg(long)]
        partner: String,
        /// The match's key, as `mapping show` prints it.
        #[arg(long)]
        key: String,
        /// Why.
        #[arg(long, default_value = "")]
        note: String,
    },
    /// Adds a match the keys missed: one of your accounts is the partner's company.
    Match {
        #[command(flatten)]
        org: OrgArg,
        /// The partner's handle.
        #[arg(long)]
        partner: String,
        /// Your account's CRM id.
        #[arg(long)]
        crm_id: String,
        /// The partner's website or company name.
        #[arg(long)]
        partner_account: String,
        /// Why.
        #[arg(long, default_value = "")]
        note: String,
    },
    /// Recomputes the matches now, instead of waiting for a worker.
    Recompute {
        #[command(flatten)]
        org: OrgArg,
        /// The partner's handle.
        #[arg(long)]
        partner: String,
    },
}

pub(crate) async fn scope(app: &App, org: &OrgArg) -> anyhow::Result<OrgScope> {
    app.store
        .admin_scope(&org.org.to_lowercase())
        .await?
        .with_context(|| format!("no organization has the handle `{}`", org.org))
}

pub(crate) fn actor() -> Actor {
    Actor {
        user_id: None,
        label: "command line".into(),
        ip: None,
    }
}

pub(crate) fn app_error(error: comark_app::AppError) -> anyhow::Error {
    match error {
        comark_app::AppError::Invalid(errors) => anyhow::anyhow!(
            "{}",
            errors
                .0
                .iter()
                .map(|e| format!("{}: {}", e.field, e.message))
                .collect::<Vec<_>>()
                .join("\n")
        ),
        other => anyhow::anyhow!("{other}"),
    }
}

fn parse_mapping(args: &ImportArgs) -> anyhow::Result<Option<ColumnMapping>> {
    if args.map.is_empty()
        && args.keep.is_empty()
        && args.also_website.is_empty()
        && args.default_population.is_none()
    {
        return Ok(None);
    }
    let mut mapping = ColumnMapping::default();
    for pair in &args.map {
        let Some((field, header)) = pair.split_once('=') else {
            bail!("--map takes FIELD=HEADER, got `{pair}`");
        };
        mapping
            .columns
            .insert(field.trim().to_owned(), header.trim().to_owned());
    }
    mapping.extra = args.keep.clone();
    mapping.also_websites = args.also_website.clone();
    if let Some(population) = &args.default_population {
        mapping.default_population = BasePopulation::parse(population)
            .with_context(|| format!("--default-population: {}", unknown_population(population)))?;
    }
    Ok(Some(mapping))
}

/// Reads `--value [COLUMN:]VALUE=POPULATION`s. What can be told without the file (the
/// shape, the population) is refused here, before anything is read; the column is checked
/// against the mapping with the file's headers.
fn parse_values(args: &ImportArgs) -> anyhow::Result<Vec<ValueInput>> {
    let mut values = Vec::new();
    for given in &args.values {
        // A population never holds `=`, so the last one splits; a value may hold one.
        let Some((left, population)) = given.rsplit_once('=') else {
            bail!("--value takes [COLUMN:]VALUE=POPULATION, as in --value 'Type:Other=prospect'; got `{given}`");
        };
        if BasePopulation::parse(population).is_none() {
            bail!("--value `{given}`: {}", unknown_population(population));
        }
        let (column, value) = match left.split_once(':') {
            Some((column, value)) => (Some(column.trim().to_owned()), value),
            None => (None, left),
        };
        if value.trim().is_empty() {
            bail!(
                "--value `{given}`: give the value before `=`; rows with no value take \
                 --default-population"
            );
        }
        values.push(ValueInput {
            column,
            value: value.trim().to_owned(),
            population: population.trim().to_owned(),
        });
    }
    if let Some(population) = &args.unreadable_as {
        if BasePopulation::parse(population).is_none() {
            bail!("--unreadable-as: {}", unknown_population(population));
        }
    }
    Ok(values)
}

fn progress_bar(total: u64) -> indicatif::ProgressBar {
    let bar = if std::io::stderr().is_terminal() {
        indicatif::ProgressBar::new(total)
    } else {
        indicatif::ProgressBar::hidden()
    };
    bar.set_style(
        indicatif::ProgressStyle::with_template(
            "{bar:40} {bytes}/{total_bytes} {msg} ({elapsed}, {eta} left)",
        )
        .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    bar
}

/// Runs an account command and returns the exit code.
pub async fn accounts(app: &App, command: AccountsCommand) -> anyhow::Result<ExitCode> {
    match command {
        AccountsCommand::Import(args) => import(app, args).await,
        AccountsCommand::Preview {
            org,
            file,
            encoding,
        } => {
            // Checks the organization exists, as every account command does.
            scope(app, &org).await?;
            let head = read_head(&file)?;
            let sniffed = comark_app::import::sniff(&head, encoding.as_deref())
                .map_err(|e| anyhow::anyhow!("{}: {e}", file.display()))?;
            outln!("{}", serde_json::to_string_pretty(&sniffed)?);
            Ok(ExitCode::SUCCESS)
        }
        AccountsCommand::Imports { org, format } => {
            let scope = scope(app, &org).await?;
            // Best effort: on SQLite a running import holds the lock; list what is known.
            let _ = accounts::reconcile_imports(app, comark_store::now()).await;
            let imports = accounts::list_imports(app, &scope)
                .await
                .map_err(app_error)?;
            let table: Vec<Vec<Cell>> = imports
                .iter()
                .map(|i| {
                    vec![
                        Cell::text(i.id.to_string()),
                        Cell::text(&i.file_name),
                        Cell::text(i.status.as_str()),
                        Cell::number(i.rows_imported),
                        Cell::number(i.rows_rejected),
                        Cell::text(i.created_at.format("%Y-%m-%d %H:%M").to_string()),
                        Cell::text(
                            i.failure
                                .clone()
                                .or_else(|| i.note.clone())
                                .unwrap_or_default(),
                        ),
                    ]
                })
                .collect();
            match format {
                OutputFormat::Json => outln!("{}", serde_json::to_string_pretty(&imports)?),
                _ => print_table(
                    format,
                    &[
                        "id", "file", "status", "imported", "rejected", "uploaded", "note",
                    ],
                    &table,
                )?,
            }
            Ok(ExitCode::SUCCESS)
        }
        AccountsCommand::Reconcile { at } => {
            let repaired = accounts::reconcile_imports(app, at.unwrap_or_else(comark_store::now))
                .await
                .map_err(app_error)?;
            if repaired.is_empty() {
                outln!("No import needed attention.");
            }
            for (import, repair) in repaired {
                let handle = app
                    .store
                    .org_by_id(import.org_id)
                    .await
                    .map_err(|e| anyhow::anyhow!("{e}"))?
                    .map(|org| org.handle)
                    .unwrap_or_default();
                match repair {
                    comark_store::import_runs::ImportRepair::Restart(note) => {
                        outln!("{handle} import {}: {note}", import.id)
                    }
                    comark_store::import_runs::ImportRepair::Fail(reason) => {
                        outln!("{handle} import {}: failed: {reason}", import.id)
                    }
                    comark_store::import_runs::ImportRepair::Leave => {}
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        AccountsCommand::List {
            org,
            search,
            population,
            format,
        } => {
            let scope = scope(app, &org).await?;
            let population = population
                .as_deref()
                .map(|p| {
                    BasePopulation::parse(p).with_context(|| format!("unknown population `{p}`"))
                })
                .transpose()?;
            let mut after = None;
            let mut rows = Vec::new();
            loop {
                let page = accounts::list_accounts(
                    app,
                    &scope,
                    search.as_deref(),
                    population,
                    after.clone(),
                    1000,
                )
                .await
                .map_err(app_error)?;
                let last = page.last().map(|a| (a.name.clone(), a.id));
                let done = page.len() < 1000;
                rows.extend(page);
                if done {
                    break;
                }
                after = last;
            }
            let table: Vec<Vec<Cell>> = rows
                .iter()
                .map(|a| {
                    vec![
                        Cell::text(&a.crm_id),
                        Cell::text(&a.name),
                        Cell::text(a.domain.clone().unwrap_or_default()),
                        Cell::text(a.population.as_str()),
                    ]
                })
                .collect();
            match format {
                OutputFormat::Json => outln!("{}", serde_json::to_string_pretty(&rows)?),
                _ => print_table(format, &["crm_id", "name", "domain", "population"], &table)?,
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn read_head(file: &PathBuf) -> anyhow::Result<Vec<u8>> {
    let mut head = Vec::with_capacity(PREVIEW_BYTES);
    std::fs::File::open(file)
        .with_context(|| format!("opening {}", file.display()))?
        .take(PREVIEW_BYTES as u64)
        .read_to_end(&mut head)?;
    Ok(head)
}

async fn import(app: &App, args: ImportArgs) -> anyhow::Result<ExitCode> {
    let scope = scope(app, &args.org).await?;
    let start = StartImport {
        population_values: parse_values(&args)?,
        unreadable_population: args.unreadable_as.clone(),
        mapping: parse_mapping(&args)?,
        saved_mapping: args.mapping.clone(),
        save_mapping_as: args.save_mapping.clone(),
        encoding: args.encoding.clone(),
        mode: if args.replace {
            ImportMode::Replace
        } else {
            ImportMode::Update
        },
        strict: args.strict,
    };
    let size = std::fs::metadata(&args.file)
        .with_context(|| format!("reading {}", args.file.display()))?
        .len();
    let bar = progress_bar(size);
    let started = Instant::now();
    let (id, sniffed, outcome) =
        accounts::import_file(app, &scope, &args.file, start, &actor(), |progress| {
            bar.set_position(progress.bytes_done);
            bar.set_message(format!(
                "{} rows, {} rejected",
                progress.rows_read, progress.rows_rejected
            ));
        })
        .await
        .map_err(app_error)?;
    bar.finish_and_clear();
    let elapsed = started.elapsed();
    let result = accounts::get_import(app, &scope, id)
        .await
        .map_err(app_error)?;
    if args.json {
        outln!("{}", serde_json::to_string_pretty(&result)?);
    } else {
        eprintln!(
            "Read {} ({}, {} format, delimiter {:?})",
            args.file.display(),
            sniffed.encoding,
            serde_json::to_value(sniffed.format)?
                .as_str()
                .unwrap_or("other"),
            char::from(sniffed.delimiter)
        );
        print_errors(&result.errors);
        if let Some(tally) = accounts::population_tally(&result) {
            let mapping: ColumnMapping = result
                .mapping
                .clone()
                .and_then(|m| serde_json::from_value(m).ok())
                .unwrap_or_default();
            print_populations(&tally, outcome.is_ok(), mapping.unreadable_population);
        }
        match &outcome {
            Ok(done) => eprintln!(
                "Imported {} accounts from {} rows in {:.1} s ({} rejected, {} merged by CRM id).",
                done.rows_imported,
                done.rows_read,
                elapsed.as_secs_f64(),
                done.rows_rejected,
                done.rows_merged
            ),
            Err(_) => eprintln!(
                "Nothing was imported: {}",
                result.failure.as_deref().unwrap_or("the import failed")
            ),
        }
    }
    Ok(match outcome {
        Ok(done) if done.rows_rejected > 0 => ExitCode::from(EXIT_ROWS_REJECTED),
        Ok(_) => ExitCode::SUCCESS,
        Err(_) => ExitCode::from(EXIT_IMPORT_FAILED),
    })
}

fn print_errors(errors: &serde_json::Value) {
    let Some(errors) = errors.as_array() else {
        return;
    };
    for error in errors.iter().take(50) {
        let row = error.get("row").and_then(|r| r.as_u64()).unwrap_or(0);
        let column = error.get("column").and_then(|c| c.as_str());
        let reason = error.get("reason").and_then(|r| r.as_str()).unwrap_or("");
        match column {
            Some(column) => eprintln!("row {row}, column {column}: {reason}"),
            None => eprintln!("row {row}: {reason}"),
        }
    }
    if errors.len() > 50 {
        eprintln!(
            "... and {} more (see the import in the web UI)",
            errors.len() - 50
        );
    }
}

/// Prints how the population column was read, value by value, and how to read it otherwise.
fn print_populations(tally: &PopulationTally, landed: bool, unreadable: BasePopulation) {
    let column = tally.column.as_deref();
    match (column, landed) {
        (Some(column), true) => eprintln!("How the column {column} was read:"),
        (Some(column), false) => eprintln!("How the column {column} would have been read:"),
        (None, _) => {}
    }
    for value in &tally.values {
        eprintln!("  {}", value.describe(column));
    }
    if let Some(rest) = tally.describe_rest() {
        eprintln!("  {rest}");
    }
    // Rows read by comark rather than by the user into unclassified, or not read at all, are
    // the ones a user may want to read otherwise: name one in the hint.
    let example = tally.values.iter().find(|v| {
        v.read_as == ReadAs::Unreadable
            || (v.read_as == ReadAs::Standard && v.population == BasePopulation::Unclassified)
    });
    if let (Some(column), Some(example)) = (column, example) {
        eprintln!(
            "To read a value otherwise, import again with --value '{column}:{}=prospect' ({}); \
             values comark does not know go to --unreadable-as (now {}).",
            example.value,
            BasePopulation::choices(),
            unreadable.as_str()
        );
    }
}

/// Prints rows as CSV (through the formula-safe writer, which neutralizes text cells) or as
/// aligned columns for a terminal (values as they are).
fn print_table(format: OutputFormat, headers: &[&str], rows: &[Vec<Cell>]) -> anyhow::Result<()> {
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    match format {
        OutputFormat::Csv | OutputFormat::Json => {
            let mut writer = CsvWriter::new(out);
            writer.text_record(headers)?;
            for row in rows {
                writer.record(row)?;
            }
            writer.flush()?;
        }
        OutputFormat::Table => {
            let mut widths: Vec<usize> = headers.iter().map(|h| h.chars().count()).collect();
            for row in rows {
                for (at, cell) in row.iter().enumerate() {
                    widths[at] = widths[at].max(cell.as_str().chars().count());
                }
            }
            let line = |cells: Vec<&str>| {
                cells
                    .iter()
                    .zip(&widths)
                    .map(|(cell, width)| format!("{cell:<width$}"))
                    .collect::<Vec<_>>()
                    .join("  ")
                    .trim_end()
                    .to_owned()
            };
            writeln!(out, "{}", line(headers.to_vec()))?;
            for row in rows {
                writeln!(out, "{}", line(row.iter().map(Cell::as_str).collect()))?;
            }
        }
    }
    Ok(())
}

/// Runs a mapping command and returns the exit code.
pub async fn mapping(app: &App, command: MappingCommand) -> anyhow::Result<ExitCode> {
    let actor = actor();
    match command {
        MappingCommand::Show {
            org,
            partner,
            format,
            limit,
        } => {
            let scope = scope(app, &org).await?;
            let mapping = accounts::mapping(app, &scope, &partner, &PairPage::first(limit))
                .await
                .map_err(|e| not_connected(e, &partner))?;
            if let OutputFormat::Json = format {
                outln!("{}", serde_json::to_string_pretty(&mapping)?);
                return Ok(ExitCode::SUCCESS);
            }
            let view = &mapping.view;
            let mut headers = vec!["ours \\ theirs".to_owned()];
            headers.extend(view.columns.iter().map(|c| c.slug.as_str().to_owned()));
            let rows: Vec<Vec<Cell>> = view
                .rows
                .iter()
                .zip(&view.cells)
                .map(|(row, cells)| {
                    std::iter::once(Cell::text(row.slug.as_str()))
                        .chain(cells.iter().map(|&count| Cell::number(count)))
                        .collect()
                })
                .collect();
            let header_refs: Vec<&str> = headers.iter().map(String::as_str).collect();
            print_table(format, &header_refs, &rows)?;
            if view.review_keys > 0 {
                eprintln!(
                    "{} more accounts have the same name as one of {}'s but another website:                      listed as low confidence, to check, and not counted.",
                    view.review_keys, mapping.partner.name
                );
            }
            if view.hidden_columns > 0 {
                eprintln!(
                    "{} of {}'s populations are hidden from you.",
                    view.hidden_columns, mapping.partner.name
                );
            }
            if !mapping.freshness.fresh {
                eprintln!("Not fresh: accounts changed since the matches were computed.");
            }
            if !view.accounts.is_empty() {
                outln!();
                let (headers, rows) = accounts::export_table(&mapping);
                let header_refs: Vec<&str> = headers.iter().map(String::as_str).collect();
                let rows: Vec<Vec<Cell>> = rows
                    .into_iter()
                    .map(|row| row.into_iter().map(Cell::text).collect())
                    .collect();
                print_table(format, &header_refs, &rows)?;
                let listed = view.listed;
                if listed > view.accounts.len() as u64 {
                    eprintln!(
                        "The first {} of {listed} accounts in common, by the name of yours: \
                         `comark mapping export` writes them all.",
                        view.accounts.len()
                    );
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        MappingCommand::Export {
            org,
            partner,
            output,
        } => {
            let scope = scope(app, &org).await?;
            let format = match output.extension().and_then(|e| e.to_str()) {
                Some("xlsx") => ExportFormat::Xlsx,
                Some("csv") => ExportFormat::Csv,
                _ => bail!("--output must end in .csv or .xlsx"),
            };
            let writing = |e: std::io::Error| {
                anyhow::Error::from(e).context(format!("writing {}", output.display()))
            };
            if format == ExportFormat::Csv {
                // A page at a time, so a million shared accounts never sit in memory.
                let mut export = accounts::start_export(app, &scope, &partner, format, &actor)
                    .await
                    .map_err(|e| not_connected(e, &partner))?;
                let mut file =
                    std::io::BufWriter::new(std::fs::File::create(&output).map_err(writing)?);
                while let Some(chunk) = export.next_csv().await.map_err(app_error)? {
                    file.write_all(&chunk).map_err(writing)?;
                }
                file.flush().map_err(writing)?;
            } else {
                let bytes = accounts::export(app, &scope, &partner, format, &actor)
                    .await
                    .map_err(|e| not_connected(e, &partner))?;
                std::fs::write(&output, bytes).map_err(writing)?;
            }
            eprintln!("Wrote {}", output.display());
            Ok(ExitCode::SUCCESS)
        }
        MappingCommand::Share {
            org,
            partner,
            population,
            level,
            fields,
        } => {
            let scope = scope(app, &org).await?;
            accounts::set_sharing(app, &scope, &partner, &population, &level, &fields, &actor)
                .await
                .map_err(|e| not_connected(e, &partner))?;
            eprintln!("{partner} now sees {population} at level {level}.");
            Ok(ExitCode::SUCCESS)
        }
        MappingCommand::Wrong {
            org,
            partner,
            key,
            note,
        } => {
            let scope = scope(app, &org).await?;
            let input = CorrectionInput {
                kind: CorrectionKind::Wrong,
                key: Some(key),
                account_id: None,
                partner_account: None,
                note,
            };
            correct_now(app, &scope, &partner, input).await
        }
        MappingCommand::Match {
            org,
            partner,
            crm_id,
            partner_account,
            note,
        } => {
            let scope = scope(app, &org).await?;
            let account = accounts::find_account(app, &scope, &crm_id)
                .await
                .map_err(app_error)?;
            let input = CorrectionInput {
                kind: CorrectionKind::Manual,
                key: None,
                account_id: Some(account.id),
                partner_account: Some(partner_account),
                note,
            };
            correct_now(app, &scope, &partner, input).await
        }
        MappingCommand::Recompute { org, partner } => {
            let scope = scope(app, &org).await?;
            accounts::mapping(app, &scope, &partner, &PairPage::first(0))
                .await
                .map_err(|e| not_connected(e, &partner))?;
            recompute_now(app, &scope, &partner).await?;
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// Records a correction and recomputes the mapping at once, so the next command sees it.
async fn correct_now(
    app: &App,
    scope: &OrgScope,
    partner: &str,
    input: CorrectionInput,
) -> anyhow::Result<ExitCode> {
    accounts::correct(app, scope, partner, input, &actor())
        .await
        .map_err(|e| not_connected(e, partner))?;
    recompute_now(app, scope, partner).await?;
    Ok(ExitCode::SUCCESS)
}

async fn recompute_now(app: &App, scope: &OrgScope, partner: &str) -> anyhow::Result<()> {
    let mapping = accounts::mapping(app, scope, partner, &PairPage::first(0))
        .await
        .map_err(|e| not_connected(e, partner))?;
    let started = Instant::now();
    accounts::recompute(app, mapping.connection_id)
        .await
        .map_err(app_error)?;
    eprintln!(
        "Matches recomputed in {:.1} s.",
        started
            .elapsed()
            .max(Duration::from_millis(1))
            .as_secs_f64()
    );
    Ok(())
}

fn not_connected(error: comark_app::AppError, partner: &str) -> anyhow::Error {
    match error {
        comark_app::AppError::NotFound => {
            anyhow::anyhow!("`{partner}` is not a connected partner of this organization")
        }
        other => app_error(other),
    }
}
