//! `comark bench import`: the import throughput benchmark. It writes a realistic, messy CRM
//! export of N rows to a temporary file, imports it into a fresh database (a temporary SQLite
//! file, or the PostgreSQL database given) through the same code path as `comark accounts
//! import`, and reports rows per second and the process's peak memory.

use std::io::Write;
use std::time::Instant;

use anyhow::Context;
use clap::Args;
use comark_app::accounts::{self, StartImport};
use comark_app::{App, Settings};
use comark_store::accounts::PairPage;
use comark_store::{Actor, Store};

/// `comark bench import`.
#[derive(Args, Debug)]
pub struct BenchImport {
    /// How many rows to generate.
    #[arg(long, default_value_t = 1_000_000)]
    rows: u64,
    /// An empty PostgreSQL database to use instead of a temporary SQLite file. Its data is
    /// not removed afterwards.
    #[arg(long)]
    postgres_url: Option<String>,
    /// Also import a second export of the same size for a connected partner and time the
    /// background recompute of the mapping and the loading of one side's view.
    #[arg(long)]
    mapping: bool,
}

const LEGAL: [&str; 8] = [
    "", " Inc.", " LLC", " Ltd", " GmbH", " S.A.", " B.V.", " K.K.",
];
const TYPES: [&str; 4] = [
    "Customer - Direct",
    "Customer - Channel",
    "Prospect",
    "Prospect",
];
const TLDS: [&str; 5] = ["com", "io", "co.uk", "de", "com.au"];

/// Writes a Salesforce-style account report of `rows` rows: mixed website forms, legal
/// suffixes, quoted names with commas, a few blank websites and a few repeated CRM ids.
// Not behind the formula-safe writer: this file stands in for a CRM's own export and is the
// importer's input under test, so it must hold the bytes a CRM would write; values comark
// generates here never start like a formula, and nobody opens it in a spreadsheet.
#[allow(clippy::disallowed_types)]
fn write_messy_csv(path: &std::path::Path, rows: u64, seed: u64) -> anyhow::Result<()> {
    let file = std::fs::File::create(path)?;
    let mut out = csv::Writer::from_writer(std::io::BufWriter::with_capacity(1 << 20, file));
    out.write_record([
        "Account ID",
        "Account Name",
        "Website",
        "Type",
        "Account Owner",
        "Industry",
        "Billing Country",
    ])?;
    // A fixed linear congruential sequence: the same file on every run.
    let mut state: u64 = 0x2545_f491_4f6c_dd1d ^ seed;
    let mut next = || {
        state = state
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        state >> 33
    };
    for row in 0..rows {
        let company = next() % (rows * 2).max(1);
        let tld = TLDS[(company % 5) as usize];
        let name = format!(
            "Company {company}{}{}",
            if company.is_multiple_of(13) {
                ", Holdings"
            } else {
                ""
            },
            LEGAL[(company % 8) as usize]
        );
        let website = match next() % 10 {
            0 => String::new(),
            1 => format!("https://www.company{company}.{tld}/about?ref=crm"),
            2 => format!("COMPANY{company}.{}", tld.to_uppercase()),
            3 => format!("shop.company{company}.{tld}."),
            _ => format!("company{company}.{tld}"),
        };
        // One row in a thousand repeats an earlier CRM id, as exports sometimes do.
        let crm_id = if row % 1000 == 999 { row - 1 } else { row };
        out.write_record([
            format!("001{crm_id:012}"),
            name,
            website,
            TYPES[(next() % 4) as usize].to_owned(),
            format!("Owner {}", next() % 50),
            ["Software", "Retail", "Manufacturing", "Health"][(next() % 4) as usize].to_owned(),
            ["Germany", "United States", "France", "Japan"][(next() % 4) as usize].to_owned(),
        ])?;
    }
    out.flush()?;
    Ok(())
}

/// Resets the process's peak resident memory to its current size (Linux `clear_refs`), so
/// that the next `peak_memory_mib` measures one step; returns the resident size.
fn reset_peak_memory() -> Option<f64> {
    std::fs::write("/proc/self/clear_refs", "5").ok()?;
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024.0)
}

fn peak_memory_mib() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024.0)
}

/// Imports `path` into the demo organization `handle` (replacing its accounts) and prints
/// the throughput.
async fn import_into(
    app: &App,
    handle: &str,
    path: &std::path::Path,
    backend: &str,
) -> anyhow::Result<()> {
    let store = &app.store;
    let scope = store
        .admin_scope(handle)
        .await?
        .context("the demo organization")?;
    let start = StartImport {
        mode: comark_store::accounts::ImportMode::Replace,
        ..StartImport::default()
    };
    let started = Instant::now();
    let (_, _, outcome) = accounts::import_file(app, &scope, path, start, &Actor::system(), |_| {})
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let elapsed = started.elapsed().as_secs_f64();
    let done = outcome.map_err(|e| anyhow::anyhow!("the import failed: {e:?}"))?;
    outln!(
        "{backend}: imported {} accounts from {} rows in {elapsed:.1} s: {:.0} rows/s; {} rejected, {} merged",
        done.rows_imported,
        done.rows_read,
        done.rows_read as f64 / elapsed,
        done.rows_rejected,
        done.rows_merged
    );
    Ok(())
}

/// A fresh database with the demo ecosystem loaded: the PostgreSQL database given, else a
/// SQLite file in `dir`. Returns the app and the backend's name.
async fn demo_app(
    postgres_url: Option<&str>,
    dir: &std::path::Path,
) -> anyhow::Result<(App, &'static str)> {
    let (url, backend) = match postgres_url {
        Some(url) => (url.to_owned(), "postgresql"),
        None => (Store::sqlite_url_in(dir), "sqlite"),
    };
    let store = Store::connect(&url).await.context("opening the database")?;
    store.migrate().await?;
    let app = App::new(store, Settings::default());
    comark_app::demo::load(&app)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    Ok((app, backend))
}

/// Recomputes the demo's Northwind–Brightlane mapping, as the server's job does. Returns
/// Northwind's scope, the connection and the seconds the recompute took.
async fn recompute_demo_mapping(
    app: &App,
) -> anyhow::Result<(comark_store::OrgScope, comark_domain::ConnectionId, f64)> {
    let scope = app
        .store
        .admin_scope("northwind")
        .await?
        .context("the demo organization")?;
    let mapping = accounts::mapping(app, &scope, "brightlane", &PairPage::first(0))
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let started = Instant::now();
    accounts::recompute(app, mapping.connection_id)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    Ok((
        scope,
        mapping.connection_id,
        started.elapsed().as_secs_f64(),
    ))
}

/// Runs the benchmark and prints its figures.
pub async fn import(args: BenchImport) -> anyhow::Result<()> {
    let dir = std::env::temp_dir().join(format!("comark-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let csv_path = dir.join("accounts.csv");
    let started = Instant::now();
    write_messy_csv(&csv_path, args.rows, 0)?;
    let size = std::fs::metadata(&csv_path)?.len();
    outln!(
        "generated {} rows ({:.0} MB) in {:.1} s",
        args.rows,
        size as f64 / 1e6,
        started.elapsed().as_secs_f64()
    );
    let (app, backend) = demo_app(args.postgres_url.as_deref(), &dir).await?;
    import_into(&app, "northwind", &csv_path, backend).await?;
    if args.mapping {
        let partner_path = dir.join("partner.csv");
        write_messy_csv(&partner_path, args.rows, 0x9e37_79b9_7f4a_7c15)?;
        import_into(&app, "brightlane", &partner_path, backend).await?;
        let (scope, _, recompute) = recompute_demo_mapping(&app).await?;
        outln!(
            "{backend}: recomputed the mapping of {} × {} accounts in {recompute:.1} s \
             (read keys, match, store the matches and their summary)",
            args.rows,
            args.rows,
        );
        if let Some(peak) = peak_memory_mib() {
            outln!("peak memory so far (VmHWM): {peak:.0} MiB");
        }
        let after_recompute = reset_peak_memory();
        for (ours, theirs) in [("northwind", "brightlane"), ("brightlane", "northwind")] {
            let scope = app
                .store
                .admin_scope(ours)
                .await?
                .context("the demo organization")?;
            let started = Instant::now();
            let mapping = accounts::mapping(
                &app,
                &scope,
                theirs,
                &PairPage::first(accounts::MAPPING_PAGE),
            )
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
            outln!(
                "{backend}: {ours}'s view: the matrix ({} accounts in common) and the first page \
                 of {} of {} listed accounts in {:.0} ms",
                mapping.view.shared_keys,
                mapping.view.accounts.len(),
                mapping.view.listed,
                started.elapsed().as_secs_f64() * 1e3
            );
        }
        if let (Some(rss), Some(peak)) = (after_recompute, peak_memory_mib()) {
            outln!("memory: {rss:.0} MiB resident before the views, peak {peak:.0} MiB while loading them");
        }
        reset_peak_memory();
        let started = Instant::now();
        let mut export = accounts::start_export(
            &app,
            &scope,
            "brightlane",
            accounts::ExportFormat::Csv,
            &Actor::system(),
        )
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
        let (mut bytes, mut lines) = (0usize, 0usize);
        while let Some(chunk) = export
            .next_csv()
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?
        {
            bytes += chunk.len();
            lines += chunk.iter().filter(|b| **b == b'\n').count();
        }
        outln!(
            "{backend}: streamed the CSV export ({} rows, {:.0} MB) in {:.1} s",
            lines.saturating_sub(1),
            bytes as f64 / 1e6,
            started.elapsed().as_secs_f64()
        );
        if let Some(peak) = peak_memory_mib() {
            outln!("peak memory while exporting (VmHWM since the views): {peak:.0} MiB");
        }
    }
    if let Some(peak) = peak_memory_mib() {
        outln!("peak memory (VmHWM): {peak:.0} MiB");
    }
    std::io::stdout().flush()?;
    app.store.close().await;
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}

/// `comark bench mapping-accuracy`.
#[derive(Args, Debug)]
pub struct BenchMappingAccuracy {
    /// Data rows of the Salesforce report.
    #[arg(long, default_value_t = 20_000)]
    salesforce_rows: usize,
    /// Data rows of the HubSpot export.
    #[arg(long, default_value_t = 15_000)]
    hubspot_rows: usize,
    /// The generator's seed: the same seed gives the same files.
    #[arg(long, default_value_t = 7)]
    seed: u64,
    /// An empty PostgreSQL database to use instead of a temporary SQLite file. Its data is
    /// not removed afterwards.
    #[arg(long)]
    postgres_url: Option<String>,
    /// Only the matching in memory (no database): for the largest sizes.
    #[arg(long)]
    in_memory: bool,
}

/// Runs the accuracy benchmark and prints its figures.
pub async fn mapping_accuracy(args: BenchMappingAccuracy) -> anyhow::Result<()> {
    use comark_app::samples::{read_keys, score_passes, score_stored, SampleExports, SampleSpec};
    let spec = SampleSpec::new(args.seed, args.salesforce_rows, args.hubspot_rows);
    let started = Instant::now();
    let sample = SampleExports::generate(&spec);
    outln!(
        "generated a Salesforce report of {} rows ({:.1} MB) and a HubSpot export of {} rows \
         ({:.1} MB), {} companies in both, seed {}, in {:.1} s",
        sample.truth.salesforce.len(),
        sample.salesforce.len() as f64 / 1e6,
        sample.truth.hubspot.len(),
        sample.hubspot.len() as f64 / 1e6,
        sample.stats.shared_companies,
        args.seed,
        started.elapsed().as_secs_f64()
    );

    // In memory: the keys an import stores, and the passes a recompute runs.
    let read = |file: &[u8]| read_keys(file).map_err(|e| anyhow::anyhow!("{e}"));
    let (sf_ids, sf_keys) = read(&sample.salesforce)?;
    let (hs_ids, hs_keys) = read(&sample.hubspot)?;
    let mut times = Vec::new();
    let mut found = Vec::new();
    for _ in 0..3 {
        let started = Instant::now();
        found = comark_matching::match_in_passes(&sf_keys, &hs_keys);
        times.push(started.elapsed().as_secs_f64() * 1000.0);
    }
    let (all, sure) = score_passes(&sample.truth, &sf_ids, &hs_ids, &found);
    let min = times.iter().copied().fold(f64::INFINITY, f64::min);
    outln!(
        "in memory: matched {} × {} accounts in passes in {:.0} ms (first {:.0} ms, min of 3), {} matches",
        sf_keys.len(),
        hs_keys.len(),
        min,
        times[0],
        found.len()
    );
    outln!("in memory, every match:   {}", all.companies);
    outln!("in memory, high + medium: {}", sure.companies);
    drop((found, sf_keys, hs_keys, sf_ids, hs_ids));
    if args.in_memory {
        if let Some(peak) = peak_memory_mib() {
            outln!("peak memory (VmHWM): {peak:.0} MiB");
        }
        return Ok(());
    }

    // Stored: the files imported with the suggested mapping, as `comark accounts import`
    // does, then the recompute the server's job runs.
    let dir = std::env::temp_dir().join(format!("comark-accuracy-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let salesforce_path = dir.join("salesforce.csv");
    std::fs::write(&salesforce_path, &sample.salesforce)?;
    let hubspot_path = dir.join("hubspot.csv");
    std::fs::write(&hubspot_path, &sample.hubspot)?;
    let (app, backend) = demo_app(args.postgres_url.as_deref(), &dir).await?;
    import_into(&app, "northwind", &salesforce_path, backend).await?;
    import_into(&app, "brightlane", &hubspot_path, backend).await?;
    let (scope, connection, recompute) = recompute_demo_mapping(&app).await?;
    let store = &app.store;
    let score = score_stored(store, connection, scope.org_id(), &sample.truth)
        .await?
        .context("the demo connection")?;
    let [high, medium, low] = score.by_confidence;
    outln!(
        "{backend}: recomputed in {recompute:.1} s: {high} high, {medium} medium and {low} low matches stored"
    );
    outln!("{backend}, every match:   {}", score.all.companies);
    outln!("{backend}, high + medium: {}", score.sure.companies);
    outln!("{backend}, row pairs, every match: {}", score.all.rows);
    if let Some(peak) = peak_memory_mib() {
        outln!("peak memory (VmHWM): {peak:.0} MiB");
    }
    std::io::stdout().flush()?;
    store.close().await;
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}
