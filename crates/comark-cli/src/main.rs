//! `comark`: the one binary. It only wires things together; the work is in the crates.

/// Prints a line to standard output, like `println!`, except that a reader that went away
/// (`comark mapping show | head`) ends the command quietly: a closed pipe is not an error.
macro_rules! outln {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        if let Err(error) = writeln!(std::io::stdout().lock(), $($arg)*) {
            $crate::output_failed(error);
        }
    }};
}

mod accounts;
mod assessment;
mod bench;
mod config;
mod connections;
mod intake;
mod maturity;
mod partnerships;

use std::io::{BufRead, IsTerminal};
use std::path::PathBuf;

use anyhow::{bail, Context};
use clap::{Parser, Subcommand};
use comark_app::mail::Mailer;
use comark_app::{App, Settings};
use comark_server::{AppState, ServerSettings};
use comark_store::Store;
use config::{Config, ConfigArgs, ServeArgs};
use tokio::sync::watch;

/// comark: co-marketing for partner ecosystems, self-hosted.
#[derive(Parser, Debug)]
#[command(name = "comark", version, about)]
struct Cli {
    #[command(flatten)]
    config: ConfigArgs,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Run the web app, the API and the job workers.
    Serve(ServeArgs),
    /// Load the demo ecosystem into the database (safe to run twice).
    Demo,
    /// Create or update the database schema, then exit.
    Migrate,
    /// Write a consistent copy of the SQLite database while comark runs.
    Backup {
        /// The file to write; it must not exist yet.
        #[arg(long)]
        to: PathBuf,
    },
    /// Manage people's accounts.
    #[command(subcommand)]
    User(UserCommand),
    /// Imports and lists CRM accounts.
    #[command(subcommand)]
    Accounts(accounts::AccountsCommand),
    /// The account mapping with a partner: the matrix, sharing, corrections and exports.
    #[command(subcommand)]
    Mapping(accounts::MappingCommand),
    /// The ecosystem co-marketing maturity assessment.
    #[command(subcommand)]
    Maturity(maturity::MaturityCommand),
    /// Partnerships through the ISO 44001 lifecycle.
    #[command(subcommand)]
    Partnership(partnerships::PartnershipCommand),
    /// The evidence each gate of new partnerships starts with.
    #[command(subcommand)]
    Gates(assessment::GatesCommand),
    /// The internal assessment (ISO 44001), which feeds the first three gates.
    #[command(subcommand)]
    Assessment(assessment::AssessmentCommand),
    /// Partner connections and the invite links partners connect through.
    #[command(subcommand)]
    Connections(connections::ConnectionsCommand),
    /// The public partnership request form and its vetting checklist.
    #[command(subcommand)]
    Intake(intake::IntakeCommand),
    /// The queue of inbound partnership requests: vet, decide, start a partnership.
    #[command(subcommand)]
    Requests(intake::RequestsCommand),
    /// Benchmarks; see BENCHMARKS.md.
    #[command(subcommand)]
    Bench(BenchCommand),
}

#[derive(Subcommand, Debug)]
enum BenchCommand {
    /// Import throughput: a generated messy CRM export, CSV to stored accounts.
    Import(bench::BenchImport),
    /// Account-mapping accuracy: messy Salesforce and HubSpot exports of partly the same
    /// companies, imported and matched, scored against their ground truth.
    MappingAccuracy(bench::BenchMappingAccuracy),
}

#[derive(Subcommand, Debug)]
enum UserCommand {
    /// Set a new password for an account and sign it out everywhere. Reads the new
    /// password from standard input (one line), or asks for it on a terminal.
    ResetPassword {
        /// The account's e-mail address.
        email: String,
    },
}

fn init_logging(format: &str) {
    let filter = tracing_subscriber::EnvFilter::try_from_env("COMARK_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,sqlx=warn"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    if format == "json" {
        builder.json().init();
    } else {
        builder.init();
    }
}

async fn open_store(config: &Config) -> anyhow::Result<Store> {
    if config.uses_sqlite() {
        std::fs::create_dir_all(&config.data_dir).with_context(|| {
            format!("creating the data directory {}", config.data_dir.display())
        })?;
    }
    let store = Store::connect(&config.database_url)
        .await
        .with_context(|| {
            format!(
                "opening the database {}",
                comark_store::redact_url(&config.database_url)
            )
        })?;
    store.migrate().await.context("migrating the database")?;
    Ok(store)
}

fn app_for(store: Store, config: &Config) -> App {
    App::new(
        store,
        Settings {
            public_url: config.public_url.clone(),
            mail_enabled: config.smtp_url.is_some(),
            mail_from: config.mail_from.clone(),
        },
    )
}

async fn load_demo(app: &App) -> anyhow::Result<()> {
    let logins = comark_app::demo::load(app)
        .await
        .map_err(|e| anyhow::anyhow!("loading the demo: {e}"))?;
    outln!(
        "Demo ecosystem loaded. Every account's password is `{}`.",
        comark_app::demo::DEMO_PASSWORD
    );
    for org in comark_app::demo::DEMO_ORGS {
        let emails: Vec<String> = logins
            .iter()
            .filter(|l| l.org == org.0)
            .map(|l| format!("{} ({})", l.email, l.role))
            .collect();
        outln!("  {} (@{}): {}", org.1, org.0, emails.join(", "));
    }
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = terminate => {} }
    tracing::info!("shutting down: finishing requests in flight");
}

async fn serve(config: Config, demo: bool) -> anyhow::Result<()> {
    let store = open_store(&config).await?;
    let app = app_for(store.clone(), &config);
    if demo {
        load_demo(&app).await?;
    }
    let mailer = match &config.smtp_url {
        Some(url) => Some(Mailer::new(url, &config.mail_from).map_err(|e| anyhow::anyhow!("{e}"))?),
        None => None,
    };
    // comark's watcher over partnerships (notice periods, triggers that fire as time passes)
    // runs as a job every hour; one chain for every instance on this database.
    comark_app::exit::schedule_watch(&app, comark_store::now(), 0)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let (stop_workers, workers_stopped) = watch::channel(false);
    let mut workers = Vec::new();
    // Imports whose run died while no server watched (a killed command, this server's own
    // last run) are restarted or failed from start-up on, every few seconds.
    workers.push(tokio::spawn(comark_app::jobs::watch_imports(
        app.clone(),
        workers_stopped.clone(),
    )));
    for index in 0..config.workers {
        let worker_id = format!("{}-{}-{index}", hostname(), std::process::id());
        workers.push(tokio::spawn(comark_app::jobs::run_worker(
            app.clone(),
            mailer.clone(),
            worker_id,
            workers_stopped.clone(),
        )));
    }
    let listener = tokio::net::TcpListener::bind(config.listen)
        .await
        .with_context(|| format!("listening on {}", config.listen))?;
    let address = listener.local_addr()?;
    tracing::info!(%address, database = %comark_store::redact_url(&config.database_url), "comark is ready");
    outln!("comark is listening on http://{address}");
    let state = AppState::new(
        app,
        ServerSettings {
            secure_cookies: !config.insecure_cookies,
            trusted_proxies: config.trusted_proxies.clone(),
        },
    );
    comark_server::serve(listener, state, shutdown_signal()).await?;
    let _ = stop_workers.send(true);
    for worker in workers {
        let _ = tokio::time::timeout(comark_server::SHUTDOWN_GRACE, worker).await;
    }
    store.close().await;
    Ok(())
}

fn hostname() -> String {
    std::env::var("HOSTNAME").unwrap_or_else(|_| "comark".into())
}

fn read_new_password() -> anyhow::Result<String> {
    if std::io::stdin().is_terminal() {
        eprint!("New password (input is shown; pipe it in to hide it): ");
    }
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line)?;
    let password = line.trim_end_matches(['\n', '\r']).to_owned();
    if password.is_empty() {
        bail!("no password given on standard input");
    }
    Ok(password)
}

/// Ends the process after standard output failed: quietly when its reader went away.
pub(crate) fn output_failed(error: std::io::Error) -> ! {
    if error.kind() == std::io::ErrorKind::BrokenPipe {
        std::process::exit(0);
    }
    eprintln!("error: writing the output failed: {error}");
    std::process::exit(1);
}

/// Whether `error` comes from standard output's reader going away.
fn is_broken_pipe(error: &anyhow::Error) -> bool {
    let broken = |e: &std::io::Error| e.kind() == std::io::ErrorKind::BrokenPipe;
    error.chain().any(|cause| {
        cause.downcast_ref::<std::io::Error>().is_some_and(broken)
            || cause
                .downcast_ref::<csv::Error>()
                .is_some_and(|e| matches!(e.kind(), csv::ErrorKind::Io(io) if broken(io)))
    })
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    match run().await {
        Ok(code) => code,
        Err(error) if is_broken_pipe(&error) => std::process::ExitCode::SUCCESS,
        // An expected error reads as one line with its causes, never a backtrace.
        Err(error) => {
            eprintln!("error: {error:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn run() -> anyhow::Result<std::process::ExitCode> {
    let cli = Cli::parse();
    let serve_args = match &cli.command {
        Command::Serve(args) => args.clone(),
        _ => ServeArgs::default(),
    };
    let config = Config::resolve(&cli.config, &serve_args)?;
    init_logging(&config.log_format);
    let done = match cli.command {
        Command::Bench(BenchCommand::Import(args)) => bench::import(args).await,
        Command::Bench(BenchCommand::MappingAccuracy(args)) => bench::mapping_accuracy(args).await,
        Command::Accounts(command) => {
            let store = open_store(&config).await?;
            return accounts::accounts(&app_for(store, &config), command).await;
        }
        Command::Connections(command) => {
            let store = open_store(&config).await?;
            return connections::connections(&app_for(store, &config), command).await;
        }
        Command::Intake(command) => {
            let store = open_store(&config).await?;
            return intake::intake(&app_for(store, &config), command).await;
        }
        Command::Requests(command) => {
            let store = open_store(&config).await?;
            return intake::requests(&app_for(store, &config), command).await;
        }
        Command::Maturity(command) => {
            let store = open_store(&config).await?;
            return maturity::maturity(&app_for(store, &config), command).await;
        }
        Command::Partnership(command) => {
            let store = open_store(&config).await?;
            return partnerships::partnership(&app_for(store, &config), command).await;
        }
        Command::Gates(command) => {
            let store = open_store(&config).await?;
            return assessment::gates(&app_for(store, &config), command).await;
        }
        Command::Assessment(command) => {
            let store = open_store(&config).await?;
            return assessment::assessment(&app_for(store, &config), command).await;
        }
        Command::Mapping(command) => {
            let store = open_store(&config).await?;
            return accounts::mapping(&app_for(store, &config), command).await;
        }
        Command::Serve(args) => serve(config, args.demo).await,
        Command::Demo => {
            let store = open_store(&config).await?;
            load_demo(&app_for(store, &config)).await
        }
        Command::Migrate => {
            open_store(&config).await?;
            outln!("The database schema is up to date.");
            Ok(())
        }
        Command::Backup { to } => {
            if to.exists() {
                bail!("{} already exists; choose a new file", to.display());
            }
            let store = open_store(&config).await?;
            store
                .backup_sqlite_to(&to)
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            outln!("Backup written to {}", to.display());
            Ok(())
        }
        Command::User(UserCommand::ResetPassword { email }) => {
            let password = read_new_password()?;
            let store = open_store(&config).await?;
            comark_app::auth::admin_reset_password(&app_for(store, &config), &email, &password)
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            outln!("The password of {email} is changed and its sessions are ended.");
            Ok(())
        }
    };
    done.map(|()| std::process::ExitCode::SUCCESS)
}
