//! Account mapping's use cases: CRM imports, populations, sharing, the mapping with each
//! partner, corrections and exports. The server and the CLI both call these.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::io::Read;
use std::time::{Duration, Instant};

use comark_domain::accounts::{
    BasePopulation, MappingSummary, MappingView, MatchConfidence, PopulationRule, PopulationSlug,
    Share, SharedAccount, SharingLevel, SummaryPair,
};
use comark_domain::cursor::PairCursor;
use comark_domain::{AccountId, Action, ConnectionId, CorrectionId, ImportId, ValidationErrors};
use comark_matching::{AccountKey, AccountKeys, KeyKind};
use comark_store::accounts::{
    Account, AccountBook, AccountImport, CorrectionKind, CustomPopulation, ImportMode,
    ImportSettings, ImportStatus, ImportTally, NewAccount, NewImport, PairPage, SavedMapping,
    SharedMapping, StoredMatch,
};
use comark_store::import_runs::{ImportRepair, UnfinishedImport};
use comark_store::{Actor, Backend, OrgScope, Organization};
use rayon::slice::ParallelSliceMut;
use serde::{Deserialize, Serialize};

use crate::csv_out::CsvWriter;
use crate::import::{
    read_populations, sniff, value_key, AccountReader, ColumnMapping, ImportError, PopulationTally,
    RowError, Sniffed,
};
use crate::orgs::require;
use crate::{App, AppError, Result};

/// Uploads are stored in pieces of this size.
pub const CHUNK_SIZE: usize = 1024 * 1024;
/// How much of a file the preview reads.
pub const PREVIEW_BYTES: usize = 64 * 1024;
/// How many rejected rows an import keeps to show; all are counted.
pub const KEPT_ERRORS: usize = 1000;
/// The largest upload accepted.
pub const MAX_UPLOAD_BYTES: usize = 1024 * 1024 * 1024;

/// An upload's first look: what the file seems to be and how its columns would map.
#[derive(Clone, Debug, Serialize)]
pub struct Preview {
    /// The import it belongs to.
    pub import: AccountImport,
    /// Encoding, delimiter, headers, CRM, the suggested mapping and sample rows.
    pub sniffed: Sniffed,
    /// The first [`PREVIEW_BYTES`] of the file (all of it when it is smaller).
    #[serde(skip)]
    pub head: Vec<u8>,
}

impl Preview {
    /// How `mapping` would read the population values of every row in the preview's bytes
    /// (not only the sample): values, rows and where they would go. Counting the whole file
    /// here would read up to 1 GiB for every look at the page; the import's result counts it.
    pub fn populations(&self, mapping: &ColumnMapping) -> Option<PopulationTally> {
        let whole = (self.import.bytes_total as u64) <= self.head.len() as u64;
        read_populations(
            &self.head,
            whole,
            self.sniffed.encoding,
            self.sniffed.delimiter,
            mapping,
        )
    }
}

/// How an import read its population column, once it finished (`None` before, and for
/// imports that finished before comark kept it).
pub fn population_tally(import: &AccountImport) -> Option<PopulationTally> {
    serde_json::from_value(import.population_readings.clone()?).ok()
}

fn file_error(error: ImportError) -> AppError {
    ValidationErrors::single("file", error.to_string()).into()
}

/// Starts an upload; the same idempotency key gives back the same import.
pub async fn begin_upload(
    app: &App,
    scope: &OrgScope,
    file_name: &str,
    idempotency_key: Option<&str>,
    actor: &Actor,
) -> Result<AccountImport> {
    require(scope, Action::ManageAccounts)?;
    // A file name is a label: control characters a client put in it are dropped.
    let file_name: String = file_name.chars().filter(|c| !c.is_control()).collect();
    let file_name = file_name.trim();
    let file_name = if file_name.is_empty() {
        "accounts.csv"
    } else {
        file_name
    };
    if file_name.chars().count() > 255 {
        return Err(ValidationErrors::single("file_name", "must be at most 255 characters").into());
    }
    if idempotency_key.is_some_and(|k| k.is_empty() || k.len() > 200) {
        return Err(ValidationErrors::single(
            "Idempotency-Key",
            "must be between 1 and 200 characters",
        )
        .into());
    }
    let new = NewImport {
        file_name: file_name.to_owned(),
        idempotency_key: idempotency_key.map(str::to_owned),
    };
    Ok(app.store.org(scope).create_import(&new, actor).await?)
}

/// Stores the next piece of an upload. Pieces come in order, from 0.
pub async fn append_upload(
    app: &App,
    scope: &OrgScope,
    import: ImportId,
    seq: i32,
    data: &[u8],
) -> Result<()> {
    require(scope, Action::ManageAccounts)?;
    Ok(app
        .store
        .org(scope)
        .append_import_chunk(import, seq, data)
        .await?)
}

/// Reads the start of an uploaded file: encoding, delimiter, CRM, suggested mapping, samples.
pub async fn preview(
    app: &App,
    scope: &OrgScope,
    import: ImportId,
    encoding: Option<&str>,
) -> Result<Preview> {
    require(scope, Action::ManageAccounts)?;
    let store = app.store.org(scope);
    let record = store.import(import).await?.ok_or(AppError::NotFound)?;
    let mut head = Vec::new();
    let mut seq = 0;
    while head.len() < PREVIEW_BYTES {
        match store.import_chunk(import, seq).await? {
            Some(chunk) => head.extend_from_slice(&chunk),
            None => break,
        }
        seq += 1;
    }
    head.truncate(PREVIEW_BYTES);
    let encoding = encoding.or(record.encoding.as_deref());
    let sniffed = sniff(&head, encoding).map_err(file_error)?;
    Ok(Preview {
        import: record,
        sniffed,
        head,
    })
}

/// One reading of a population value given with an import's start: `Type:Other=prospect`
/// on the command line, `"Other": "prospect"` in the API.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct ValueInput {
    /// The population column the value belongs to, when the caller names it; it must be the
    /// mapping's population column.
    #[serde(default)]
    pub column: Option<String>,
    /// The value as the file holds it (case does not matter).
    pub value: String,
    /// What it means: customer, opportunity, prospect or unclassified.
    pub population: String,
}

/// Why a population name is refused, in words that say what to write instead.
pub fn unknown_population(name: &str) -> String {
    if SharingLevel::parse(name).is_some() {
        return format!(
            "`{}` is a sharing level, not a population: count these rows as unclassified, \
             and hide unclassified from the partners who should not see them",
            name.trim()
        );
    }
    format!(
        "`{}` is not a population: choose {}",
        name.trim(),
        BasePopulation::choices()
    )
}

/// The choices confirmed before an import runs.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct StartImport {
    /// Which column feeds which field; `None` takes the suggestion.
    pub mapping: Option<ColumnMapping>,
    /// A saved mapping to use instead.
    pub saved_mapping: Option<String>,
    /// Save the mapping under this name for next time.
    pub save_mapping_as: Option<String>,
    /// The file's encoding, when detection guessed wrong.
    pub encoding: Option<String>,
    /// Update (default) or replace the account list.
    #[serde(default)]
    pub mode: ImportMode,
    /// Reject the whole file when a row is bad.
    #[serde(default)]
    pub strict: bool,
    /// Readings of population values, over those of the mapping used; saved with it.
    #[serde(default)]
    pub population_values: Vec<ValueInput>,
    /// The population of rows whose value is neither read by the user nor a CRM's standard
    /// value, over the mapping's; saved with it.
    #[serde(default)]
    pub unreadable_population: Option<String>,
}

/// Puts the start's readings of population values over `mapping`'s, or says what is wrong
/// with them.
fn apply_readings(mapping: &mut ColumnMapping, start: &StartImport, errors: &mut ValidationErrors) {
    // Keys are compared as `value_key` reads cells; a mapping sent whole may spell them as the
    // file does.
    mapping.population_values = std::mem::take(&mut mapping.population_values)
        .into_iter()
        .map(|(value, population)| (value_key(&value), population))
        .filter(|(value, _)| !value.is_empty())
        .collect();
    if let Some(name) = &start.unreadable_population {
        match BasePopulation::parse(name) {
            Some(population) => mapping.unreadable_population = population,
            None => errors.add("unreadable_population", unknown_population(name)),
        }
    }
    if start.population_values.is_empty() {
        return;
    }
    let Some(header) = mapping.columns.get("population").cloned() else {
        errors.add(
            "population_values",
            "the mapping has no population column, so no value would be read: map one first",
        );
        return;
    };
    for input in &start.population_values {
        let value = input.value.trim();
        let field = format!("population_values.{value}");
        if let Some(column) = &input.column {
            if !column.trim().eq_ignore_ascii_case(header.trim()) {
                errors.add(
                    field.clone(),
                    format!(
                        "`{}` is not the population column: this mapping reads populations \
                         from `{header}`",
                        column.trim()
                    ),
                );
                continue;
            }
        }
        if value.is_empty() {
            errors.add(
                "population_values",
                "a blank value takes the default population: set that instead",
            );
            continue;
        }
        if value.chars().count() > crate::import::MAX_VALUE_CHARS {
            errors.add(
                "population_values",
                format!(
                    "a value is longer than {} characters",
                    crate::import::MAX_VALUE_CHARS
                ),
            );
            continue;
        }
        match BasePopulation::parse(&input.population) {
            Some(population) => {
                mapping
                    .population_values
                    .insert(value_key(value), population);
            }
            None => errors.add(field, unknown_population(&input.population)),
        }
    }
}

fn check_mapping(mapping: &ColumnMapping, headers: &[String], errors: &mut ValidationErrors) {
    if !mapping.columns.contains_key("name") {
        errors.add(
            "mapping.name",
            "choose the column that holds the company name",
        );
    }
    for (field, header) in &mapping.columns {
        if !crate::import::KNOWN_FIELDS.contains(&field.as_str()) {
            errors.add(format!("mapping.{field}"), "is not a field comark knows");
        } else if !headers.iter().any(|h| h == header) {
            errors.add(
                format!("mapping.{field}"),
                format!("the file has no column `{header}`"),
            );
        }
    }
    for header in &mapping.also_websites {
        if !headers.iter().any(|h| h == header) {
            errors.add(
                "mapping.also_websites",
                format!("the file has no column `{header}`"),
            );
        }
    }
    for header in &mapping.extra {
        if !headers.iter().any(|h| h == header) {
            errors.add(
                "mapping.extra",
                format!("the file has no column `{header}`"),
            );
        }
    }
}

/// The mapping an import runs with: the one given, else the saved one, else the suggestion,
/// with the start's readings of population values over it, checked against the file.
async fn resolve_mapping(
    app: &App,
    scope: &OrgScope,
    start: &StartImport,
    sniffed: &Sniffed,
) -> Result<ColumnMapping> {
    let mut mapping = match (&start.mapping, &start.saved_mapping) {
        (Some(mapping), _) => mapping.clone(),
        (None, Some(name)) => saved_mapping(app, scope, name).await?,
        (None, None) => sniffed.suggested.clone(),
    };
    let mut errors = ValidationErrors::default();
    check_mapping(&mapping, &sniffed.headers, &mut errors);
    apply_readings(&mut mapping, start, &mut errors);
    if let Some(name) = start.save_mapping_as.as_deref().map(str::trim) {
        if name.chars().count() > 80 {
            errors.add("save_mapping_as", "must be at most 80 characters");
        }
    }
    errors.into_result()?;
    Ok(mapping)
}

/// Confirms the mapping and queues the import; a worker runs it.
pub async fn start(
    app: &App,
    scope: &OrgScope,
    import: ImportId,
    start: StartImport,
) -> Result<AccountImport> {
    require(scope, Action::ManageAccounts)?;
    let look = preview(app, scope, import, start.encoding.as_deref()).await?;
    configure(app, scope, import, start, &look.sniffed, true).await
}

/// Confirms the mapping of an import the caller runs itself with [`import_from`] (the CLI),
/// given the file's first bytes.
pub async fn confirm(
    app: &App,
    scope: &OrgScope,
    import: ImportId,
    start: StartImport,
    head: &[u8],
) -> Result<(AccountImport, Sniffed)> {
    require(scope, Action::ManageAccounts)?;
    let sniffed = sniff(head, start.encoding.as_deref()).map_err(file_error)?;
    let record = configure(app, scope, import, start, &sniffed, false).await?;
    Ok((record, sniffed))
}

async fn configure(
    app: &App,
    scope: &OrgScope,
    import: ImportId,
    start: StartImport,
    sniffed: &Sniffed,
    with_job: bool,
) -> Result<AccountImport> {
    let store = app.store.org(scope);
    let mapping = resolve_mapping(app, scope, &start, sniffed).await?;
    let value = serde_json::to_value(&mapping).map_err(|e| AppError::Internal(e.to_string()))?;
    if let Some(name) = start.save_mapping_as.as_deref().map(str::trim) {
        if !name.is_empty() {
            store.save_column_mapping(name, &value).await?;
        }
    }
    let settings = ImportSettings {
        mapping: value,
        encoding: Some(sniffed.encoding.to_owned()),
        mode: start.mode,
        strict: start.strict,
    };
    store.queue_import(import, &settings, with_job).await?;
    store.import(import).await?.ok_or(AppError::NotFound)
}

async fn saved_mapping(app: &App, scope: &OrgScope, name: &str) -> Result<ColumnMapping> {
    let saved = app
        .store
        .org(scope)
        .column_mappings()
        .await?
        .into_iter()
        .find(|m| m.name == name)
        .ok_or_else(|| ValidationErrors::single("saved_mapping", "no mapping has this name"))?;
    serde_json::from_value(saved.mapping).map_err(|e| {
        ValidationErrors::single("saved_mapping", format!("cannot be read: {e}")).into()
    })
}

/// One import of the organization, with its live progress when it runs in this process.
pub async fn get_import(app: &App, scope: &OrgScope, id: ImportId) -> Result<AccountImport> {
    require(scope, Action::View)?;
    let import = app
        .store
        .org(scope)
        .import(id)
        .await?
        .ok_or(AppError::NotFound)?;
    Ok(app.imports_running.overlay(import))
}

/// The latest imports.
pub async fn list_imports(app: &App, scope: &OrgScope) -> Result<Vec<AccountImport>> {
    require(scope, Action::View)?;
    let imports = app.store.org(scope).imports(50).await?;
    Ok(imports
        .into_iter()
        .map(|import| app.imports_running.overlay(import))
        .collect())
}

/// The progress of the imports this process runs. On SQLite a running import holds the
/// only write lock until it lands, so its progress cannot go to the database; the page
/// that polls is served by the same process, which reads it from here.
#[derive(Clone, Debug, Default)]
pub struct RunningImports(
    std::sync::Arc<std::sync::Mutex<std::collections::HashMap<ImportId, Progress>>>,
);

impl RunningImports {
    fn set(&self, id: ImportId, progress: Progress) {
        if let Ok(mut running) = self.0.lock() {
            running.insert(id, progress);
        }
    }

    fn clear(&self, id: ImportId) {
        if let Ok(mut running) = self.0.lock() {
            running.remove(&id);
        }
    }

    /// The imports this process is running now.
    pub fn ids(&self) -> Vec<ImportId> {
        self.0
            .lock()
            .map(|running| running.keys().copied().collect())
            .unwrap_or_default()
    }

    /// The import with the progress known here, when it is further than the stored one.
    pub fn overlay(&self, mut import: AccountImport) -> AccountImport {
        if import.status != ImportStatus::Running {
            return import;
        }
        let known = self.0.lock().ok().and_then(|r| r.get(&import.id).copied());
        if let Some(progress) = known {
            import.bytes_done = import.bytes_done.max(progress.bytes_done as i64);
            import.rows_read = import.rows_read.max(progress.rows_read as i64);
            import.rows_rejected = import.rows_rejected.max(progress.rows_rejected as i64);
        }
        import
    }
}

/// Stops a background task however the function that started it ends.
struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// Clears an import's live progress however `import_from` ends.
struct ClearOnDrop<'a>(&'a RunningImports, ImportId);

impl Drop for ClearOnDrop<'_> {
    fn drop(&mut self) {
        self.0.clear(self.1);
    }
}

/// How far a running import got, for progress bars.
#[derive(Clone, Copy, Debug, Default)]
pub struct Progress {
    /// Bytes read of the file.
    pub bytes_done: u64,
    /// The file's size, when known.
    pub bytes_total: u64,
    /// Rows read.
    pub rows_read: u64,
    /// Rows rejected so far.
    pub rows_rejected: u64,
}

/// What the parsing thread hands to the writer.
enum Parsed {
    Accounts(Vec<NewAccount>, Progress),
    Done(std::result::Result<ParseTally, ImportError>),
}

#[derive(Default)]
struct ParseTally {
    rows_read: u64,
    rows_rejected: u64,
    rows_merged: u64,
    distinct: u64,
    bytes: u64,
    errors: Vec<RowError>,
    /// How the population column was read, value by value.
    populations: PopulationTally,
}

fn to_new_account(account: crate::import::ImportedAccount) -> NewAccount {
    let keys = account.keys();
    NewAccount {
        crm_id: account.crm_id,
        name: account.name,
        website: account.website,
        domains: keys.domains.iter().map(|d| d.as_str().to_owned()).collect(),
        name_key: keys.name.map(|n| n.as_str().to_owned()),
        country: keys.country.map(str::to_owned),
        population: account.population,
        fields: account.fields,
    }
}

/// Parses on a blocking thread and sends accounts in batches, so reading, normalizing and
/// writing overlap.
fn parse_in_background<R: Read + Send + 'static>(
    reader: R,
    encoding: String,
    delimiter: u8,
    mapping: ColumnMapping,
    bytes_total: u64,
    sender: tokio::sync::mpsc::Sender<Parsed>,
) {
    tokio::task::spawn_blocking(move || {
        let outcome = (|| {
            let mut rows = AccountReader::new(reader, &encoding, delimiter, &mapping)?;
            let mut tally = ParseTally::default();
            let mut seen: HashSet<String> = HashSet::new();
            let mut batch = Vec::with_capacity(1000);
            while let Some(row) = rows.next() {
                tally.rows_read += 1;
                match row {
                    Ok(account) => {
                        if !seen.insert(account.crm_id.clone()) {
                            tally.rows_merged += 1;
                        }
                        batch.push(to_new_account(account));
                    }
                    Err(error) => {
                        tally.rows_rejected += 1;
                        if tally.errors.len() < KEPT_ERRORS {
                            tally.errors.push(error);
                        }
                    }
                }
                if batch.len() == 1000 {
                    let progress = Progress {
                        bytes_done: rows.bytes_read(),
                        bytes_total,
                        rows_read: tally.rows_read,
                        rows_rejected: tally.rows_rejected,
                    };
                    let full = std::mem::replace(&mut batch, Vec::with_capacity(1000));
                    if sender
                        .blocking_send(Parsed::Accounts(full, progress))
                        .is_err()
                    {
                        // The writer gave up; its error is what matters.
                        return Ok(tally);
                    }
                }
            }
            tally.bytes = rows.bytes_read();
            tally.distinct = seen.len() as u64;
            tally.populations = rows.population_tally();
            // A file that stops making sense midway fails whole: nothing lands.
            rows.finish()?;
            if !batch.is_empty() {
                let progress = Progress {
                    bytes_done: tally.bytes,
                    bytes_total,
                    rows_read: tally.rows_read,
                    rows_rejected: tally.rows_rejected,
                };
                let _ = sender.blocking_send(Parsed::Accounts(batch, progress));
            }
            Ok(tally)
        })();
        let _ = sender.blocking_send(Parsed::Done(outcome));
    });
}

fn tally_of(parsed: &ParseTally) -> ImportTally {
    ImportTally {
        bytes: parsed.bytes as i64,
        rows_read: parsed.rows_read as i64,
        rows_rejected: parsed.rows_rejected as i64,
        rows_merged: parsed.rows_merged as i64,
        errors: serde_json::to_value(&parsed.errors).unwrap_or_default(),
        population_readings: serde_json::to_value(&parsed.populations).ok(),
    }
}

/// Why an import did not land.
#[derive(Debug)]
pub enum ImportFailure {
    /// The file cannot be read (the message says why); nothing landed.
    File(String),
    /// Strict mode and some rows were rejected; nothing landed.
    RejectedRows(u64),
}

/// Reads a whole file into the organization's accounts in one transaction, calling
/// `on_progress` about once a second. The import record shows the result either way.
pub async fn import_from<R: Read + Send + 'static>(
    app: &App,
    scope: &OrgScope,
    import: ImportId,
    reader: R,
    bytes_total: u64,
    actor: &Actor,
    mut on_progress: impl FnMut(Progress) + Send,
) -> Result<std::result::Result<AccountImport, ImportFailure>> {
    require(scope, Action::ManageAccounts)?;
    let store = app.store.org(scope);
    let record = store.import(import).await?.ok_or(AppError::NotFound)?;
    let mapping: ColumnMapping = match &record.mapping {
        Some(value) => serde_json::from_value(value.clone())
            .map_err(|e| AppError::Internal(format!("stored mapping unreadable: {e}")))?,
        None => return Err(AppError::Rule("confirm the column mapping first".into())),
    };
    store.mark_import_running(import).await?;
    app.imports_running.set(import, Progress::default());
    let _clear = ClearOnDrop(&app.imports_running, import);
    // On PostgreSQL other instances judge whether this run is alive by its heartbeat (on
    // SQLite the write lock it holds tells them; it could not write a heartbeat anyway).
    let _heartbeat = (app.store.backend() == Backend::Postgres).then(|| {
        let store = app.store.clone();
        let scope = scope.clone();
        AbortOnDrop(tokio::spawn(async move {
            loop {
                tokio::time::sleep(HEARTBEAT.to_std().unwrap_or_default()).await;
                if let Err(error) = store.org(&scope).import_heartbeat(import).await {
                    tracing::warn!(%error, "recording an import's heartbeat failed");
                }
            }
        }))
    });

    // The delimiter and encoding come from the file's start; the reader gets it back. A
    // reader may block (a file, or an upload fed from the database by another task), so it
    // is only ever read on a blocking thread: a runtime worker blocked on a reader that
    // needs the runtime would stop the whole server.
    let (reader, head) = tokio::task::spawn_blocking(move || read_head(reader))
        .await
        .map_err(|e| AppError::Internal(format!("reading the upload: {e}")))?
        .map_err(|e| AppError::Internal(format!("reading the upload: {e}")))?;
    let sniffed = match sniff(&head, record.encoding.as_deref()) {
        Ok(sniffed) => sniffed,
        Err(error) => {
            let message = error.to_string();
            store
                .fail_import(import, &message, &ImportTally::default())
                .await?;
            return Ok(Err(ImportFailure::File(message)));
        }
    };
    let full = std::io::Cursor::new(head).chain(reader);

    let (sender, mut receiver) = tokio::sync::mpsc::channel(8);
    parse_in_background(
        full,
        sniffed.encoding.to_owned(),
        sniffed.delimiter,
        mapping,
        bytes_total,
        sender,
    );
    let mut writer = store.account_writer(import).await?;
    let mut last_report = Instant::now();
    let report_progress = app.store.backend() == Backend::Postgres;
    let parsed = loop {
        match receiver.recv().await {
            Some(Parsed::Accounts(accounts, progress)) => {
                for account in accounts {
                    writer.push(account).await?;
                }
                if last_report.elapsed() >= Duration::from_millis(500) {
                    last_report = Instant::now();
                    on_progress(progress);
                    app.imports_running.set(import, progress);
                    // SQLite holds one writer at a time, and the import is it; the
                    // process that runs it reports progress to its own caller instead.
                    if report_progress {
                        app.store
                            .org(scope)
                            .import_progress(
                                import,
                                progress.bytes_done as i64,
                                progress.rows_read as i64,
                            )
                            .await?;
                    }
                }
            }
            Some(Parsed::Done(outcome)) => break outcome,
            None => break Err(ImportError::Io(std::io::Error::other("the reader stopped"))),
        }
    };
    let parsed = match parsed {
        Ok(parsed) => parsed,
        Err(error) => {
            drop(writer);
            let message = error.to_string();
            store
                .fail_import(import, &message, &ImportTally::default())
                .await?;
            return Ok(Err(ImportFailure::File(message)));
        }
    };
    let tally = tally_of(&parsed);
    if record.strict && parsed.rows_rejected > 0 {
        drop(writer);
        let message = format!(
            "{} rows were rejected, so nothing was imported (strict mode)",
            parsed.rows_rejected
        );
        store.fail_import(import, &message, &tally).await?;
        return Ok(Err(ImportFailure::RejectedRows(parsed.rows_rejected)));
    }
    on_progress(Progress {
        bytes_done: parsed.bytes,
        bytes_total,
        rows_read: parsed.rows_read,
        rows_rejected: parsed.rows_rejected,
    });
    writer
        .finish(record.mode, &tally, parsed.distinct as i64, actor)
        .await?;
    app.store.wake_workers();
    Ok(Ok(store.import(import).await?.ok_or(AppError::NotFound)?))
}

/// Reads up to [`PREVIEW_BYTES`] from the start of `reader` (blocking), giving it back.
fn read_head<R: Read>(mut reader: R) -> std::io::Result<(R, Vec<u8>)> {
    let mut head = vec![0; PREVIEW_BYTES];
    let mut filled = 0;
    while filled < head.len() {
        match reader.read(&mut head[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(error) if error.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(error) => return Err(error),
        }
    }
    head.truncate(filled);
    Ok((reader, head))
}

/// Imports a local file (the CLI and the benchmark): records the import, confirms `start`
/// against the file's first bytes and reads it whole. Returns the import's id, the file's
/// first look and the outcome.
pub async fn import_file(
    app: &App,
    scope: &OrgScope,
    path: &std::path::Path,
    start: StartImport,
    actor: &Actor,
    on_progress: impl FnMut(Progress) + Send,
) -> Result<(
    ImportId,
    Sniffed,
    std::result::Result<AccountImport, ImportFailure>,
)> {
    let unreadable = |e: std::io::Error| {
        AppError::Invalid(ValidationErrors::single(
            "file",
            format!("{}: {e}", path.display()),
        ))
    };
    let size = std::fs::metadata(path).map_err(unreadable)?.len();
    let mut head = Vec::with_capacity(PREVIEW_BYTES);
    std::fs::File::open(path)
        .map_err(unreadable)?
        .take(PREVIEW_BYTES as u64)
        .read_to_end(&mut head)
        .map_err(unreadable)?;
    let file_name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    // A bad mapping or reading is refused before the upload is even recorded: nothing of a
    // refused command stays behind.
    require(scope, Action::ManageAccounts)?;
    let sniffed = sniff(&head, start.encoding.as_deref()).map_err(file_error)?;
    resolve_mapping(app, scope, &start, &sniffed).await?;
    let record = begin_upload(app, scope, &file_name, None, actor).await?;
    let (_, sniffed) = confirm(app, scope, record.id, start, &head).await?;
    let file = std::fs::File::open(path).map_err(unreadable)?;
    let reader = std::io::BufReader::with_capacity(256 * 1024, file);
    let outcome = import_from(app, scope, record.id, reader, size, actor, on_progress).await?;
    Ok((record.id, sniffed, outcome))
}

/// Reads an upload back from the database, piece by piece, as a blocking reader. A task on
/// the runtime fetches the chunks; `read` waits for them with `blocking_recv`, which panics
/// rather than deadlocks if it is ever called on a runtime worker.
struct StoredUpload {
    receiver: tokio::sync::mpsc::Receiver<std::io::Result<Vec<u8>>>,
    current: std::io::Cursor<Vec<u8>>,
}

impl Read for StoredUpload {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        loop {
            let n = self.current.read(buf)?;
            if n > 0 || buf.is_empty() {
                return Ok(n);
            }
            match self.receiver.blocking_recv() {
                Some(chunk) => self.current = std::io::Cursor::new(chunk?),
                None => return Ok(0),
            }
        }
    }
}

fn stored_upload(app: &App, scope: &OrgScope, import: ImportId) -> StoredUpload {
    // Bounded, so the fetching task waits for the parser and memory stays flat.
    let (sender, receiver) = tokio::sync::mpsc::channel(4);
    let app = app.clone();
    let scope = scope.clone();
    tokio::spawn(async move {
        let mut seq = 0;
        loop {
            let chunk = app.store.org(&scope).import_chunk(import, seq).await;
            let message = match chunk {
                Ok(Some(chunk)) => Ok(chunk),
                Ok(None) => break,
                Err(error) => Err(std::io::Error::other(error.to_string())),
            };
            let failed = message.is_err();
            if sender.send(message).await.is_err() || failed {
                break;
            }
            seq += 1;
        }
    });
    StoredUpload {
        receiver,
        current: std::io::Cursor::new(Vec::new()),
    }
}

/// The job that runs a queued import from its stored upload, as attempt `attempt` of
/// `max_attempts`. A failed attempt lands nothing; the import goes back to the queue with a
/// note, or fails with the reason after the last attempt, so it never stays "running".
pub async fn run_import_job(
    app: &App,
    org: comark_domain::OrgId,
    import: ImportId,
    attempt: i64,
    max_attempts: i64,
) -> Result<()> {
    let Some(scope) = app.store.job_scope(org).await? else {
        return Ok(());
    };
    let Some(record) = app.store.org(&scope).import(import).await? else {
        return Ok(());
    };
    if record.status.is_finished() || record.status == ImportStatus::Uploaded {
        return Ok(());
    }
    let reader = stored_upload(app, &scope, import);
    let actor = Actor::system();
    let outcome = import_from(
        app,
        &scope,
        import,
        reader,
        record.bytes_total as u64,
        &actor,
        |_| {},
    )
    .await;
    match outcome {
        // A file that cannot be read, or strict mode, is an answer, not a fault.
        Ok(_) => Ok(()),
        Err(error) if attempt >= max_attempts => {
            let reason = format!(
                "the import failed {attempt} times and was given up: {error}; start it again"
            );
            app.store
                .org(&scope)
                .fail_import(import, &reason, &ImportTally::default())
                .await?;
            Ok(())
        }
        Err(error) => {
            let note = format!(
                "attempt {attempt} of {max_attempts} failed ({error}); nothing of it landed \
                 and it will be tried again"
            );
            app.store.org(&scope).requeue_import(import, &note).await?;
            Err(error)
        }
    }
}

/// How often a running import records that its process is alive (PostgreSQL).
pub const HEARTBEAT: chrono::Duration = chrono::Duration::seconds(5);

/// How long an unfinished import may be silent before its run is judged dead. On SQLite the
/// reconciler holds the write lock that a live run would hold, so only a run between being
/// marked running and opening its transaction (a moment) is silent and alive.
pub fn silence_allowed(backend: Backend) -> chrono::Duration {
    match backend {
        Backend::Sqlite => chrono::Duration::seconds(10),
        Backend::Postgres => HEARTBEAT * 6,
    }
}

/// What happens to an import that gave no sign of life for longer than allowed.
pub fn repair_for(import: &UnfinishedImport) -> ImportRepair {
    let Some(job) = &import.job else {
        return ImportRepair::Fail(
            "the command that ran this import stopped before it finished (it was ended or \
             its machine went down); run it again"
                .into(),
        );
    };
    match job.status.as_deref() {
        Some("queued") if import.status == ImportStatus::Queued => ImportRepair::Leave,
        Some("queued") if job.attempts < job.max_attempts => ImportRepair::Restart(format!(
            "restarted at {} UTC: the server running it stopped before it finished \
             (attempt {} of {}); nothing of the stopped run landed",
            comark_store::now().format("%Y-%m-%d %H:%M"),
            job.attempts + 1,
            job.max_attempts
        )),
        Some("queued") => ImportRepair::Fail(format!(
            "the server running this import stopped {} times before it finished, so it was \
             given up; start it again",
            job.attempts
        )),
        Some("failed") => ImportRepair::Fail(match &job.last_error {
            Some(error) => format!(
                "the import failed {} times and was given up: {error}; start it again",
                job.attempts
            ),
            None => "the import was given up; start it again".into(),
        }),
        _ => ImportRepair::Fail("the import stopped before it finished; start it again".into()),
    }
}

/// Finds the imports whose run died (a killed command, a server that went down, a job out
/// of attempts) as of `at`, and restarts or fails each visibly. Imports this process runs
/// are left alone. Run at start-up and every [`RECONCILE_EVERY`] by `comark serve`.
pub async fn reconcile_imports(
    app: &App,
    at: chrono::DateTime<chrono::Utc>,
) -> Result<Vec<(UnfinishedImport, ImportRepair)>> {
    let silent_since = at - silence_allowed(app.store.backend());
    if !app.store.abandoned_imports_exist(silent_since).await? {
        return Ok(Vec::new());
    }
    let repaired = app
        .store
        .reconcile_imports(silent_since, &app.imports_running.ids(), repair_for)
        .await?;
    for (import, repair) in &repaired {
        tracing::warn!(org = %import.org_id, import = %import.id, ?repair, "import reconciled");
    }
    Ok(repaired)
}

/// How often `comark serve` looks for imports whose run died.
pub const RECONCILE_EVERY: std::time::Duration = std::time::Duration::from_secs(10);

/// Matches one connection's accounts again, applying both sides' corrections.
pub async fn recompute(app: &App, connection: ConnectionId) -> Result<()> {
    let started = Instant::now();
    let Some(sides) = app.store.mapping_sides(connection).await? else {
        return Ok(());
    };
    let read = started.elapsed();
    let (versions, read_at) = (sides.versions, sides.read_at);
    let (matches, summary) = tokio::task::spawn_blocking(move || {
        let mut matches = match_sides(&sides);
        // Stored in the order of their primary key, each insert lands beside the one before
        // (in random order, a million matches take half as long again to store).
        matches.par_sort_unstable_by(|a, b| (a.0, a.1).cmp(&(b.0, b.1)));
        summarize(&sides, &matches).map(|summary| (matches, summary))
    })
    .await
    .map_err(|e| AppError::Internal(format!("matching panicked: {e}")))??;
    let matched = started.elapsed();
    app.store
        .save_mapping(connection, versions, read_at, &matches, &summary)
        .await?;
    // Where a slow recompute spends its time, for whoever runs a large mapping.
    tracing::info!(
        connection = %connection.0,
        matches = matches.len(),
        read_s = read.as_secs_f64(),
        match_s = (matched - read).as_secs_f64(),
        save_s = (started.elapsed() - matched).as_secs_f64(),
        "mapping recomputed"
    );
    Ok(())
}

/// Counts the matches a recompute found into the summary both sides' matrices are read from.
/// A pair found twice (by a person and by the matcher) counts once, as it is stored once.
fn summarize(
    sides: &comark_store::accounts::MappingSides,
    matches: &[StoredMatch],
) -> Result<MappingSummary> {
    let populations = |accounts: &[comark_store::accounts::SideAccount], custom| {
        accounts
            .iter()
            .map(|a| Ok((a.id, a.populations(custom)?)))
            .collect::<Result<HashMap<uuid::Uuid, Vec<PopulationSlug>>>>()
    };
    let (low, high) = rayon::join(
        || populations(&sides.low, &sides.low_custom),
        || populations(&sides.high, &sides.high_custom),
    );
    let (low, high) = (low?, high?);
    let mut seen = HashSet::with_capacity(matches.len());
    let none: Vec<PopulationSlug> = Vec::new();
    Ok(MappingSummary::of(
        matches
            .iter()
            .filter(|(l, h, ..)| seen.insert((*l, *h)))
            .map(|(l, h, key, confidence, manual)| SummaryPair {
                key,
                confidence: *confidence,
                manual: *manual,
                low: low.get(l).unwrap_or(&none),
                high: high.get(h).unwrap_or(&none),
            }),
    ))
}

/// How a match's key is stored and shown: a domain as is, a folded name as `name:...`.
pub fn display_key(kind: KeyKind, key: &str) -> String {
    match kind {
        KeyKind::Domain => key.to_owned(),
        KeyKind::Name => format!("name:{key}"),
    }
}

/// Every key a stored account carries; rows imported before accounts kept every key have
/// their one key, and their name is folded now.
fn keys_of(account: &comark_store::accounts::SideAccount) -> AccountKeys {
    let legacy = |kind: &str| {
        account
            .match_key
            .as_deref()
            .filter(|_| account.key_kind.as_deref() == Some(kind))
    };
    let domains: Vec<&str> = match &account.domains {
        Some(domains) => domains.split(' ').filter(|d| !d.is_empty()).collect(),
        None => legacy("domain").into_iter().collect(),
    };
    let mut keys = AccountKeys::from_normalized(domains, account.name_key.as_deref())
        .in_country(account.country.as_deref());
    if account.name_key.is_none() {
        keys.name = account
            .name
            .as_deref()
            .and_then(AccountKey::from_name)
            .or_else(|| legacy("name").map(|n| AccountKey::from_normalized(KeyKind::Name, n)));
    }
    keys
}

/// Whether `keys` hold the stored key `key` (a domain, or `name:` and a folded name).
fn carries(keys: &AccountKeys, key: &str) -> bool {
    match key.strip_prefix("name:") {
        Some(name) => keys.name.as_ref().is_some_and(|n| n.as_str() == name),
        None => keys.domains.iter().any(|d| d.as_str() == key),
    }
}

fn match_sides(sides: &comark_store::accounts::MappingSides) -> Vec<StoredMatch> {
    let (low, high): (Vec<AccountKeys>, Vec<AccountKeys>) = rayon::join(
        || sides.low.iter().map(keys_of).collect(),
        || sides.high.iter().map(keys_of).collect(),
    );
    let mut found: Vec<StoredMatch> = Vec::new();
    // A person's match first: when the matcher finds the same pair, theirs is kept.
    for (account, on_low, key) in &sides.manual {
        let (others, other_ids) = if *on_low {
            (&high, &sides.high)
        } else {
            (&low, &sides.low)
        };
        let confidence = if key.starts_with("name:") {
            MatchConfidence::Medium
        } else {
            MatchConfidence::High
        };
        for (at, keys) in others.iter().enumerate() {
            if carries(keys, key) {
                let other = other_ids[at].id;
                let (l, h) = if *on_low {
                    (*account, other)
                } else {
                    (other, *account)
                };
                found.push((l, h, key.clone(), confidence, true));
            }
        }
    }
    let wrong: HashSet<&str> = sides.wrong_keys.iter().map(String::as_str).collect();
    for m in comark_matching::match_in_passes(&low, &high) {
        let key = display_key(m.key.kind(), m.key.as_str());
        if wrong.contains(key.as_str()) {
            continue;
        }
        let confidence = match m.confidence {
            comark_matching::Confidence::High => MatchConfidence::High,
            comark_matching::Confidence::Medium => MatchConfidence::Medium,
            comark_matching::Confidence::Low => MatchConfidence::Low,
        };
        found.push((
            sides.low[m.ours as usize].id,
            sides.high[m.theirs as usize].id,
            key,
            confidence,
            false,
        ));
    }
    found
}

/// The connected partner a handle names. Anything else (no such organization, ourselves,
/// an organization never connected, only asked or no longer connected) is the same
/// not-found, and it is decided before any input is checked: otherwise a field error for
/// an existing organization and a 404 for an unknown one would tell which handles exist.
async fn partner(app: &App, scope: &OrgScope, handle: &str) -> Result<Organization> {
    let partner = app
        .store
        .org_by_handle(&handle.to_lowercase())
        .await?
        .filter(|partner| partner.id != scope.org_id())
        .ok_or(AppError::NotFound)?;
    app.store
        .org(scope)
        .accepted_connection_with(partner.id)
        .await?
        .ok_or(AppError::NotFound)?;
    Ok(partner)
}

/// How many shared accounts a page of a mapping shows when the caller does not say.
pub const MAPPING_PAGE: u32 = 100;

/// The mapping with a connected partner, as this organization may see it, with one page of
/// the shared accounts.
pub async fn mapping(
    app: &App,
    scope: &OrgScope,
    partner_handle: &str,
    page: &PairPage,
) -> Result<SharedMapping> {
    require(scope, Action::View)?;
    let partner = partner(app, scope, partner_handle).await?;
    app.store
        .org(scope)
        .shared_with(partner.id, page)
        .await?
        .ok_or(AppError::NotFound)
}

/// The organization's accounts, a page at a time.
pub async fn list_accounts(
    app: &App,
    scope: &OrgScope,
    search: Option<&str>,
    population: Option<BasePopulation>,
    after: Option<(String, AccountId)>,
    limit: i64,
) -> Result<Vec<Account>> {
    require(scope, Action::View)?;
    Ok(app
        .store
        .org(scope)
        .accounts(search, population, after, limit)
        .await?)
}

/// One of the organization's accounts.
pub async fn account(app: &App, scope: &OrgScope, id: AccountId) -> Result<Account> {
    require(scope, Action::View)?;
    app.store
        .org(scope)
        .account(id)
        .await?
        .ok_or(AppError::NotFound)
}

/// One of the organization's accounts by its CRM id or its exact name; errors name the
/// field `crm_id`.
pub async fn find_account(app: &App, scope: &OrgScope, typed: &str) -> Result<Account> {
    require(scope, Action::View)?;
    let typed = typed.trim();
    if typed.is_empty() {
        return Err(
            ValidationErrors::single("crm_id", "give your account's CRM id or exact name").into(),
        );
    }
    let mut found = app.store.org(scope).accounts_named(typed).await?;
    match found.len() {
        1 => Ok(found.remove(0)),
        0 => Err(ValidationErrors::single(
            "crm_id",
            "none of your accounts has this CRM id or name",
        )
        .into()),
        _ => Err(ValidationErrors::single(
            "crm_id",
            "several of your accounts have this name; give the CRM id",
        )
        .into()),
    }
}

/// The organization's account count and version.
pub async fn book(app: &App, scope: &OrgScope) -> Result<AccountBook> {
    require(scope, Action::View)?;
    Ok(app.store.org(scope).account_book().await?)
}

/// A custom population as a form or an API body gives it.
#[derive(Clone, Debug, Deserialize)]
pub struct PopulationInput {
    /// Its short name.
    pub slug: String,
    /// What people call it.
    pub label: String,
    /// Which accounts belong.
    pub rule: PopulationRule,
}

/// The organization's custom populations.
pub async fn populations(app: &App, scope: &OrgScope) -> Result<Vec<CustomPopulation>> {
    require(scope, Action::View)?;
    Ok(app.store.org(scope).populations().await?)
}

/// Defines or redefines a custom population.
pub async fn save_population(
    app: &App,
    scope: &OrgScope,
    input: PopulationInput,
    actor: &Actor,
) -> Result<CustomPopulation> {
    require(scope, Action::ManageAccounts)?;
    let mut errors = ValidationErrors::default();
    let slug = PopulationSlug::parse(&input.slug)
        .map_err(|e| errors.add("slug", e.message))
        .ok();
    if slug.as_ref().is_some_and(|s| s.base().is_some()) {
        errors.add("slug", "is a built-in population");
    }
    let label = input.label.trim().to_owned();
    if label.is_empty() || label.chars().count() > 80 {
        errors.add("label", "must be between 1 and 80 characters");
    }
    if let Err(rule_errors) = input.rule.validate() {
        errors.0.extend(rule_errors.0);
    }
    errors.into_result()?;
    let population = CustomPopulation {
        slug: slug.ok_or_else(|| AppError::Internal("slug checked above".into()))?,
        label,
        rule: input.rule,
    };
    app.store
        .org(scope)
        .save_population(&population, actor)
        .await?;
    Ok(population)
}

/// Removes a custom population.
pub async fn delete_population(
    app: &App,
    scope: &OrgScope,
    slug: &str,
    actor: &Actor,
) -> Result<()> {
    require(scope, Action::ManageAccounts)?;
    let slug = PopulationSlug::parse(slug).map_err(|_| AppError::NotFound)?;
    Ok(app.store.org(scope).delete_population(&slug, actor).await?)
}

/// The column mappings saved for next time.
pub async fn column_mappings(app: &App, scope: &OrgScope) -> Result<Vec<SavedMapping>> {
    require(scope, Action::View)?;
    Ok(app.store.org(scope).column_mappings().await?)
}

/// Forgets a saved column mapping.
pub async fn delete_column_mapping(app: &App, scope: &OrgScope, name: &str) -> Result<()> {
    require(scope, Action::ManageAccounts)?;
    Ok(app.store.org(scope).delete_column_mapping(name).await?)
}

/// Sets what a partner may see of one of our populations.
pub async fn set_sharing(
    app: &App,
    scope: &OrgScope,
    partner_handle: &str,
    population: &str,
    level: &str,
    fields: &[String],
    actor: &Actor,
) -> Result<()> {
    require(scope, Action::ManageSharing)?;
    let partner = partner(app, scope, partner_handle).await?;
    let mut errors = ValidationErrors::default();
    let slug = PopulationSlug::parse(population)
        .map_err(|e| errors.add("population", e.message))
        .ok();
    if let Some(slug) = &slug {
        let custom = app.store.org(scope).populations().await?;
        if slug.base().is_none() && !custom.iter().any(|p| &p.slug == slug) {
            errors.add("population", "no population has this name");
        }
    }
    let level = SharingLevel::parse(level);
    if level.is_none() {
        errors.add(
            "level",
            "must be hidden, counts, overlaps or overlaps_with_fields",
        );
    }
    let fields: BTreeSet<String> = fields
        .iter()
        .map(|f| f.trim().to_lowercase())
        .filter(|f| !f.is_empty())
        .collect();
    if fields.len() > 30 || fields.iter().any(|f| f.chars().count() > 80) {
        errors.add("fields", "at most 30 field names of up to 80 characters");
    }
    if level.is_some_and(|l| l != SharingLevel::OverlapsWithFields) && !fields.is_empty() {
        errors.add(
            "fields",
            "only the level overlaps_with_fields shares fields",
        );
    }
    errors.into_result()?;
    let (Some(slug), Some(level)) = (slug, level) else {
        return Err(AppError::Internal("checked above".into()));
    };
    let share = Share {
        level,
        fields: fields.into_iter().collect(),
    };
    app.store
        .org(scope)
        .set_sharing(partner.id, &slug, &share, actor)
        .await
        .map_err(|error| match AppError::from(error) {
            AppError::NotFound => AppError::NotFound,
            other => other,
        })
}

/// A correction as a form or an API body gives it.
#[derive(Clone, Debug, Deserialize)]
pub struct CorrectionInput {
    /// `wrong` or `manual`.
    pub kind: CorrectionKind,
    /// For `wrong`: the match key shown with the match.
    pub key: Option<String>,
    /// For `manual`: one of our accounts.
    pub account_id: Option<AccountId>,
    /// For `manual`: the partner's website or company name that is the same company.
    pub partner_account: Option<String>,
    /// Why, for the other side.
    #[serde(default)]
    pub note: String,
}

/// Records a correction that both sides see, and recomputes the mapping.
pub async fn correct(
    app: &App,
    scope: &OrgScope,
    partner_handle: &str,
    input: CorrectionInput,
    actor: &Actor,
) -> Result<CorrectionId> {
    require(scope, Action::ManageSharing)?;
    let partner = partner(app, scope, partner_handle).await?;
    let note = input.note.trim();
    if note.chars().count() > 500 {
        return Err(ValidationErrors::single("note", "must be at most 500 characters").into());
    }
    let (key, account) = match input.kind {
        CorrectionKind::Wrong => {
            let key = input
                .key
                .as_deref()
                .map(str::trim)
                .filter(|k| !k.is_empty() && k.len() <= 300)
                .ok_or_else(|| ValidationErrors::single("key", "name the match that is wrong"))?;
            (key.to_owned(), None)
        }
        CorrectionKind::Manual => {
            let account = input.account_id.ok_or_else(|| {
                ValidationErrors::single("account_id", "choose one of your accounts")
            })?;
            let typed = input.partner_account.as_deref().unwrap_or("").trim();
            let key = AccountKey::from_website(typed)
                .filter(|_| typed.contains('.'))
                .or_else(|| AccountKey::from_name(typed))
                .ok_or_else(|| {
                    ValidationErrors::single(
                        "partner_account",
                        "give the partner's website or company name",
                    )
                })?;
            (display_key(key.kind(), key.as_str()), Some(account))
        }
    };
    let id = app
        .store
        .org(scope)
        .correct_match(partner.id, input.kind, &key, account, note, actor)
        .await?;
    Ok(id)
}

/// Withdraws one of our corrections.
pub async fn withdraw_correction(
    app: &App,
    scope: &OrgScope,
    partner_handle: &str,
    id: CorrectionId,
    actor: &Actor,
) -> Result<()> {
    require(scope, Action::ManageSharing)?;
    let partner = partner(app, scope, partner_handle).await?;
    Ok(app
        .store
        .org(scope)
        .withdraw_correction(partner.id, id, actor)
        .await?)
}

/// The export formats.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ExportFormat {
    /// Comma-separated values, UTF-8.
    Csv,
    /// An Excel workbook.
    Xlsx,
}

/// The header of an export of the mapped accounts the viewer may see: our columns, the
/// partner's, a column per field the partner reveals, then how the match was made.
pub fn export_headers(partner: &str, view: &MappingView) -> Vec<String> {
    let mut headers: Vec<String> = vec![
        "Our account".into(),
        "Our website domain".into(),
        "Our CRM id".into(),
        "Our populations".into(),
        format!("{partner} account"),
        format!("{partner} domain"),
        format!("{partner} populations"),
    ];
    headers.extend(
        view.revealed_fields
            .iter()
            .map(|f| format!("{partner} {f}")),
    );
    headers.extend([
        "Matched on".into(),
        "Confidence".into(),
        "Why".into(),
        "Manual".into(),
    ]);
    headers
}

/// The export rows of shared accounts, with a column per field in `revealed`.
pub fn export_rows(accounts: &[SharedAccount], revealed: &[String]) -> Vec<Vec<String>> {
    let join = |slugs: &[PopulationSlug]| {
        slugs
            .iter()
            .map(PopulationSlug::as_str)
            .collect::<Vec<_>>()
            .join("; ")
    };
    accounts
        .iter()
        .map(|shared| {
            let mut row = vec![
                shared.ours.name.clone(),
                shared.ours.domain.clone().unwrap_or_default(),
                shared
                    .ours
                    .fields
                    .get("crm_id")
                    .cloned()
                    .unwrap_or_default(),
                join(&shared.ours.populations),
                shared.theirs.name.clone(),
                shared.theirs.domain.clone().unwrap_or_default(),
                join(&shared.theirs.populations),
            ];
            row.extend(
                revealed
                    .iter()
                    .map(|f| shared.theirs.fields.get(f).cloned().unwrap_or_default()),
            );
            row.push(shared.key.clone());
            row.push(shared.confidence.as_str().into());
            row.push(shared.reason.clone());
            row.push(if shared.manual { "yes" } else { "no" }.into());
            row
        })
        .collect()
}

/// A table of one page of mapped accounts: headers, then rows.
pub fn export_table(mapping: &SharedMapping) -> (Vec<String>, Vec<Vec<String>>) {
    (
        export_headers(&mapping.partner.name, &mapping.view),
        export_rows(&mapping.view.accounts, &mapping.view.revealed_fields),
    )
}

/// How many shared accounts an export reads per query.
const EXPORT_PAGE: u32 = 2_000;

/// An export of the mapped accounts the viewer may see, read a page at a time so that a
/// million-account mapping streams in bounded memory. Started (and audited) by
/// [`start_export`].
#[derive(Debug)]
pub struct MappingExport {
    app: App,
    scope: OrgScope,
    partner: String,
    headers: Vec<String>,
    revealed: Vec<String>,
    page: Option<Vec<SharedAccount>>,
    next: Option<PairCursor>,
    header_written: bool,
}

impl MappingExport {
    /// The header row.
    pub fn headers(&self) -> &[String] {
        &self.headers
    }

    /// The next page of rows, or `None` after the last.
    pub async fn next_rows(&mut self) -> Result<Option<Vec<Vec<String>>>> {
        if let Some(page) = self.page.take() {
            return Ok(Some(export_rows(&page, &self.revealed)));
        }
        let Some(after) = self.next.take() else {
            return Ok(None);
        };
        let page = PairPage {
            after: Some(after),
            ..PairPage::first(EXPORT_PAGE)
        };
        let mapping = mapping(&self.app, &self.scope, &self.partner, &page).await?;
        self.next = mapping.next;
        Ok(Some(export_rows(&mapping.view.accounts, &self.revealed)))
    }

    /// The next piece of the CSV file (the header line first), or `None` at its end.
    pub async fn next_csv(&mut self) -> Result<Option<Vec<u8>>> {
        let mut writer = CsvWriter::new(Vec::new());
        let first = !self.header_written;
        if first {
            self.header_written = true;
            writer.text_record(&self.headers)?;
        }
        match self.next_rows().await? {
            Some(rows) => {
                for row in &rows {
                    writer.text_record(row)?;
                }
            }
            None if !first => return Ok(None),
            None => {}
        }
        Ok(Some(writer.into_inner()?))
    }
}

/// Starts an export of the mapped accounts the viewer may see, and audits it.
pub async fn start_export(
    app: &App,
    scope: &OrgScope,
    partner_handle: &str,
    format: ExportFormat,
    actor: &Actor,
) -> Result<MappingExport> {
    let first = mapping(app, scope, partner_handle, &PairPage::first(EXPORT_PAGE)).await?;
    if format == ExportFormat::Xlsx && first.view.listed >= XLSX_MAX_ROWS {
        return Err(AppError::Rule(format!(
            "{} accounts are more than a worksheet holds ({} rows); export them as CSV",
            first.view.listed,
            XLSX_MAX_ROWS - 1
        )));
    }
    let name = match format {
        ExportFormat::Csv => "csv",
        ExportFormat::Xlsx => "xlsx",
    };
    app.store
        .org(scope)
        .record_export(first.partner.id, name, first.view.listed as usize, actor)
        .await?;
    Ok(MappingExport {
        app: app.clone(),
        scope: scope.clone(),
        partner: partner_handle.to_owned(),
        headers: export_headers(&first.partner.name, &first.view),
        revealed: first.view.revealed_fields.clone(),
        page: Some(first.view.accounts),
        next: first.next,
        header_written: false,
    })
}

/// Exports the mapped accounts the viewer may see as one file; the export is audited. A
/// CSV can be streamed instead, a page at a time, with [`start_export`].
pub async fn export(
    app: &App,
    scope: &OrgScope,
    partner_handle: &str,
    format: ExportFormat,
    actor: &Actor,
) -> Result<Vec<u8>> {
    let mut export = start_export(app, scope, partner_handle, format, actor).await?;
    match format {
        ExportFormat::Csv => {
            let mut bytes = Vec::new();
            while let Some(chunk) = export.next_csv().await? {
                bytes.extend(chunk);
            }
            Ok(bytes)
        }
        ExportFormat::Xlsx => {
            let mut book = Xlsx::new(export.headers())?;
            while let Some(page) = export.next_rows().await? {
                book.rows(&page)?;
            }
            book.finish()
        }
    }
}

/// The export as CSV. Every cell is text, partner names in the headers included, so every
/// cell is neutralized against formulas (see `csv_out`).
#[cfg(test)]
fn csv(headers: &[String], rows: &[Vec<String>]) -> Result<Vec<u8>> {
    let mut writer = CsvWriter::new(Vec::new());
    writer.text_record(headers)?;
    for row in rows {
        writer.text_record(row)?;
    }
    Ok(writer.into_inner()?)
}

/// The most rows a worksheet holds, its header row included.
const XLSX_MAX_ROWS: u64 = 1_048_576;

/// The export as a workbook, written a page of rows at a time: each finished row goes to a
/// temporary file, so a mapping of any size is held in memory only as the compressed file.
/// Every cell is written as a string, never a formula, so a value like `=1+1` shows as text
/// and needs no quote.
struct Xlsx {
    workbook: rust_xlsxwriter::Workbook,
    next_row: u32,
}

fn xlsx_error(e: rust_xlsxwriter::XlsxError) -> AppError {
    AppError::Internal(e.to_string())
}

impl Xlsx {
    fn new(headers: &[String]) -> Result<Xlsx> {
        use rust_xlsxwriter::{Format, Workbook};
        let mut workbook = Workbook::new();
        let sheet = workbook
            .add_worksheet_with_constant_memory()
            .map_err(xlsx_error)?;
        sheet.set_name("Mapped accounts").map_err(xlsx_error)?;
        sheet.set_freeze_panes(1, 0).map_err(xlsx_error)?;
        let bold = Format::new().set_bold();
        for (col, header) in headers.iter().enumerate() {
            sheet
                .write_string_with_format(0, col as u16, header, &bold)
                .map_err(xlsx_error)?;
        }
        Ok(Xlsx {
            workbook,
            next_row: 1,
        })
    }

    fn rows(&mut self, rows: &[Vec<String>]) -> Result<()> {
        let sheet = self.workbook.worksheet_from_index(0).map_err(xlsx_error)?;
        for row in rows {
            for (col, value) in row.iter().enumerate() {
                sheet
                    .write_string(self.next_row, col as u16, value)
                    .map_err(xlsx_error)?;
            }
            self.next_row += 1;
        }
        Ok(())
    }

    fn finish(mut self) -> Result<Vec<u8>> {
        self.workbook.save_to_buffer().map_err(xlsx_error)
    }
}

/// The whole export as a workbook (for tests of what a cell holds).
#[cfg(test)]
fn xlsx(headers: &[String], rows: &[Vec<String>]) -> Result<Vec<u8>> {
    let mut book = Xlsx::new(headers)?;
    book.rows(rows)?;
    book.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn import(status: ImportStatus, bytes_done: i64) -> AccountImport {
        AccountImport {
            id: ImportId(uuid::Uuid::nil()),
            file_name: "crm.csv".into(),
            status,
            mode: ImportMode::Update,
            strict: false,
            encoding: None,
            mapping: None,
            bytes_total: 1000,
            bytes_done,
            rows_read: 0,
            rows_imported: 0,
            rows_rejected: 0,
            rows_merged: 0,
            errors: serde_json::json!([]),
            population_readings: None,
            failure: None,
            note: None,
            created_at: chrono::Utc::now(),
            started_at: None,
            finished_at: None,
        }
    }

    #[test]
    fn live_progress_shows_on_running_imports_only_and_never_goes_back() {
        let running = RunningImports::default();
        let id = ImportId(uuid::Uuid::nil());
        let progress = Progress {
            bytes_done: 400,
            bytes_total: 1000,
            rows_read: 20,
            rows_rejected: 1,
        };
        running.set(id, progress);
        let shown = running.overlay(import(ImportStatus::Running, 0));
        assert_eq!(
            (shown.bytes_done, shown.rows_read, shown.rows_rejected),
            (400, 20, 1)
        );
        // The stored figure wins when it is further (another instance wrote it).
        assert_eq!(
            running
                .overlay(import(ImportStatus::Running, 900))
                .bytes_done,
            900
        );
        // A finished import shows its result, not the last progress seen.
        assert_eq!(
            running.overlay(import(ImportStatus::Done, 1000)).rows_read,
            0
        );
        running.clear(id);
        assert_eq!(
            running.overlay(import(ImportStatus::Running, 0)).bytes_done,
            0
        );
    }
}

#[cfg(test)]
mod reconcile_tests {
    use super::*;
    use comark_store::import_runs::ImportJob;

    fn import(status: ImportStatus, job: Option<(&str, i64)>) -> UnfinishedImport {
        UnfinishedImport {
            org_id: comark_domain::OrgId(uuid::Uuid::nil()),
            id: ImportId(uuid::Uuid::nil()),
            status,
            heartbeat_at: None,
            job: job.map(|(status, attempts)| ImportJob {
                id: comark_domain::JobId(uuid::Uuid::nil()),
                status: (status != "gone").then(|| status.to_owned()),
                locked_until: None,
                attempts,
                max_attempts: 3,
                last_error: (status == "failed").then(|| "disk full".to_owned()),
            }),
        }
    }

    #[test]
    fn a_silent_command_import_fails_and_says_to_run_it_again() {
        let ImportRepair::Fail(reason) = repair_for(&import(ImportStatus::Running, None)) else {
            panic!("a dead command's import must fail");
        };
        assert!(
            reason.contains("command") && reason.contains("run it again"),
            "{reason}"
        );
    }

    #[test]
    fn a_dead_servers_import_restarts_while_attempts_remain_then_fails() {
        let ImportRepair::Restart(note) =
            repair_for(&import(ImportStatus::Running, Some(("queued", 1))))
        else {
            panic!("must restart");
        };
        assert!(note.contains("attempt 2 of 3"), "{note}");
        assert!(matches!(
            repair_for(&import(ImportStatus::Running, Some(("queued", 3)))),
            ImportRepair::Fail(reason) if reason.contains("stopped 3 times")
        ));
    }

    #[test]
    fn a_queued_import_waits_for_its_job_but_fails_with_a_job_that_gave_up_or_vanished() {
        assert_eq!(
            repair_for(&import(ImportStatus::Queued, Some(("queued", 0)))),
            ImportRepair::Leave
        );
        assert!(matches!(
            repair_for(&import(ImportStatus::Queued, Some(("failed", 3)))),
            ImportRepair::Fail(reason) if reason.contains("disk full")
        ));
        assert!(matches!(
            repair_for(&import(ImportStatus::Running, Some(("gone", 1)))),
            ImportRepair::Fail(_)
        ));
    }
}

#[cfg(test)]
mod export_tests {
    use std::collections::BTreeMap;
    use std::io::Read as _;

    use comark_domain::accounts::{MappedAccount, MappingView, PartnerAccount, SharedAccount};
    use comark_domain::OrgId;
    use comark_store::accounts::Freshness;
    use proptest::prelude::*;

    use super::*;
    use crate::csv_out::hostile;

    /// One shared account: our name, their name, their field values.
    type Shared = (String, String, Vec<(String, String)>);

    /// A mapping in which a partner named `partner` shares `accounts` with us.
    fn mapping(partner: &str, accounts: &[Shared]) -> SharedMapping {
        SharedMapping {
            connection_id: ConnectionId(uuid::Uuid::nil()),
            partner: Organization {
                id: OrgId(uuid::Uuid::nil()),
                handle: "partner".into(),
                name: partner.into(),
                created_at: chrono::Utc::now(),
            },
            view: MappingView {
                rows: Vec::new(),
                columns: Vec::new(),
                hidden_columns: 0,
                cells: Vec::new(),
                shared_keys: accounts.len() as u64,
                review_keys: 0,
                listed: accounts.len() as u64,
                revealed_fields: accounts
                    .iter()
                    .flat_map(|(_, _, fields)| fields.iter().map(|(name, _)| name.clone()))
                    .collect::<BTreeSet<_>>()
                    .into_iter()
                    .collect(),
                accounts: accounts
                    .iter()
                    .map(|(ours, theirs, fields)| SharedAccount {
                        key: theirs.clone(),
                        confidence: MatchConfidence::Low,
                        reason: String::new(),
                        manual: false,
                        ours: MappedAccount {
                            id: uuid::Uuid::nil(),
                            name: ours.clone(),
                            domain: Some(theirs.clone()),
                            populations: vec![PopulationSlug::builtin(BasePopulation::Customer)],
                            fields: BTreeMap::from([("crm_id".to_owned(), ours.clone())]),
                        },
                        theirs: PartnerAccount {
                            name: theirs.clone(),
                            domain: Some(ours.clone()),
                            populations: Vec::new(),
                            fields: fields.iter().cloned().collect(),
                        },
                    })
                    .collect(),
            },
            freshness: Freshness {
                computed_at: None,
                fresh: true,
            },
            next: None,
            corrections: Vec::new(),
            our_policy: Default::default(),
        }
    }

    proptest! {
        #[test]
        fn the_mapping_csv_neutralizes_every_hostile_name_field_and_header(
            partner in hostile::text(),
            accounts in prop::collection::vec(
                (
                    hostile::text(),
                    hostile::text(),
                    prop::collection::vec((hostile::text(), hostile::text()), 0..3),
                ),
                0..6,
            ),
        ) {
            let (headers, rows) = export_table(&mapping(&partner, &accounts));
            let written = csv(&headers, &rows).expect("export");
            let table: Vec<Vec<String>> = std::iter::once(headers).chain(rows).collect();
            hostile::check(&written, &table, &[]);
        }
    }

    #[test]
    fn the_workbook_holds_hostile_names_as_strings_never_formulas() {
        let accounts = vec![(
            "=1+1".to_owned(),
            "@SUM(A1:A2)".to_owned(),
            vec![(
                "owner".to_owned(),
                "=HYPERLINK(\"http://evil\",\"x\")".to_owned(),
            )],
        )];
        let (headers, rows) = export_table(&mapping("+Evil", &accounts));
        let bytes = xlsx(&headers, &rows).expect("workbook");
        let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes)).expect("a zip");
        let mut part = |name: &str| {
            let mut text = String::new();
            archive
                .by_name(name)
                .expect("the part")
                .read_to_string(&mut text)
                .expect("xml");
            text
        };
        let sheet = part("xl/worksheets/sheet1.xml");
        assert!(
            !sheet.contains("<f>") && !sheet.contains("<f "),
            "a formula cell: {sheet}"
        );
        // Every cell is an inline string, so a spreadsheet shows its text.
        let n_cells = sheet.matches("<c ").count();
        assert_eq!(sheet.matches("t=\"inlineStr\"").count(), n_cells, "{sheet}");
        let strings = sheet;
        for value in [
            "=1+1",
            "@SUM(A1:A2)",
            "=HYPERLINK(\"http://evil\",\"x\")",
            "+Evil owner",
        ] {
            assert!(
                strings.contains(&format!("<t>{value}</t>")),
                "{value} is not stored as it is: {strings}"
            );
        }
    }
}

#[cfg(test)]
mod matching_tests {
    use super::*;
    use comark_store::accounts::{MappingSides, SideAccount};
    use proptest::prelude::*;

    fn account(n: u128, domains: &[&str], name: Option<&str>) -> SideAccount {
        SideAccount {
            id: uuid::Uuid::from_u128(n),
            domains: Some(domains.join(" ")),
            name_key: name.map(str::to_owned),
            name: None,
            country: None,
            key_kind: None,
            match_key: None,
            population: "prospect".into(),
            fields: None,
        }
    }

    #[test]
    fn rows_imported_before_every_key_was_kept_still_match_on_their_key_and_name() {
        let legacy = SideAccount {
            id: uuid::Uuid::nil(),
            domains: None,
            name_key: None,
            name: Some("Initrode GmbH".into()),
            country: None,
            key_kind: Some("domain".into()),
            match_key: Some("initrode.de".into()),
            population: "customer".into(),
            fields: None,
        };
        let keys = keys_of(&legacy);
        assert_eq!(keys.domains.len(), 1);
        assert!(carries(&keys, "initrode.de"));
        assert!(carries(&keys, "name:initrode"));
        let by_name = SideAccount {
            key_kind: Some("name".into()),
            match_key: Some("hooli".into()),
            name: None,
            ..legacy
        };
        assert!(keys_of(&by_name).domains.is_empty());
        assert!(carries(&keys_of(&by_name), "name:hooli"));
    }

    fn side() -> impl Strategy<Value = Vec<(Vec<&'static str>, Option<&'static str>)>> {
        prop::collection::vec(
            (
                prop::collection::vec(prop::sample::select(vec!["a.com", "b.com", "c.de"]), 0..3),
                prop::option::of(prop::sample::select(vec!["acme", "globex", "initech"])),
            ),
            0..12,
        )
    }

    proptest! {
        /// A person's corrections hold whatever the matcher finds: every manual match is in
        /// the result, marked manual, and no pair stands on a key marked wrong.
        #[test]
        fn corrections_survive_every_recompute(
            low in side(),
            high in side(),
            manual in prop::collection::vec((any::<bool>(), any::<prop::sample::Index>(), prop::sample::select(vec!["a.com", "b.com", "c.de", "name:acme", "name:globex"])), 0..4),
            wrong in prop::collection::vec(prop::sample::select(vec!["a.com", "b.com", "name:acme", "name:initech"]), 0..3),
        ) {
            let to_side = |accounts: &[(Vec<&str>, Option<&str>)], base: u128| -> Vec<SideAccount> {
                accounts.iter().enumerate().map(|(i, (d, n))| account(base + i as u128, d, *n)).collect()
            };
            let sides = MappingSides {
                low: to_side(&low, 0),
                high: to_side(&high, 1000),
                low_custom: Vec::new(),
                high_custom: Vec::new(),
                versions: (1, 1),
                read_at: comark_store::now(),
                wrong_keys: wrong.iter().map(|k| (*k).to_owned()).collect(),
                manual: manual
                    .iter()
                    .filter_map(|(on_low, at, key)| {
                        let side = if *on_low { &low } else { &high };
                        (!side.is_empty()).then(|| {
                            let base = if *on_low { 0 } else { 1000 };
                            (uuid::Uuid::from_u128(base + at.index(side.len()) as u128), *on_low, (*key).to_owned())
                        })
                    })
                    .collect(),
            };
            let found = match_sides(&sides);
            for (account, on_low, key) in &sides.manual {
                let others = if *on_low { &sides.high } else { &sides.low };
                for other in others.iter().filter(|o| carries(&keys_of(o), key)) {
                    let pair = if *on_low { (*account, other.id) } else { (other.id, *account) };
                    prop_assert!(
                        found.iter().any(|m| (m.0, m.1) == pair && m.2 == *key && m.4),
                        "manual {key} for {pair:?} missing from {found:?}"
                    );
                }
            }
            for m in found.iter().filter(|m| !m.4) {
                prop_assert!(!sides.wrong_keys.contains(&m.2), "{m:?} stands on a wrong key");
            }
        }
    }
}
