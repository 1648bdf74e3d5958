//! Account mapping's storage: each organization's accounts and their imports, custom
//! populations, saved column mappings and sharing policies; per connection, the computed
//! matches and the corrections both sides see.
//!
//! What a partner may read goes through [`OrgStore::shared_with`] alone: it checks the
//! connection, loads both sides and hands the raw rows to `comark_domain::accounts::view`,
//! which applies the partner's sharing policy before anything leaves this crate.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Utc};
use comark_domain::accounts::{
    BasePopulation, Lister, MappedAccount, MappingSummary, MappingView, MatchConfidence,
    PopulationInfo, PopulationRule, PopulationSlug, Share, SharedAccount, SharingLevel,
    SharingPolicy, Side, SummaryPair,
};
use comark_domain::cursor::PairCursor;
use comark_domain::{AccountId, AuditAction, ConnectionId, CorrectionId, ImportId, OrgId};
use serde::Serialize;
use serde_json::json;
use sqlx::types::Json;
use sqlx::{Postgres, QueryBuilder, Sqlite};
use uuid::Uuid;

use crate::audit::insert_audit;
use crate::import_runs::IMPORT_ATTEMPTS;
use crate::jobs::insert_job;
use crate::{
    now, on_pool, on_unique, write_tx, Actor, Backend, NewJob, OrgStore, Pools, Result, Store,
};
use crate::{Organization, StoreError};

/// The job that recomputes the matches of one connection.
pub const RECOMPUTE_JOB: &str = "mapping.recompute";
/// The job that imports an uploaded file.
pub const IMPORT_JOB: &str = "accounts.import";

/// One account to write, read from a CRM file.
#[derive(Clone, Debug)]
pub struct NewAccount {
    /// The CRM's id: re-imports update the account with the same one.
    pub crm_id: String,
    /// The company's name.
    pub name: String,
    /// The website as the CRM holds it.
    pub website: Option<String>,
    /// The registrable domains it matches by, from every site its row names.
    pub domains: Vec<String>,
    /// Its folded name, when the name folds to something.
    pub name_key: Option<String>,
    /// The ISO code of its country, when its row names one.
    pub country: Option<String>,
    /// Its built-in population.
    pub population: BasePopulation,
    /// The other imported fields.
    pub fields: BTreeMap<String, String>,
}

/// An account as stored.
#[derive(Clone, Debug, Serialize)]
pub struct Account {
    /// Its id.
    pub id: AccountId,
    /// The CRM's id.
    pub crm_id: String,
    /// The company's name.
    pub name: String,
    /// The website as imported.
    pub website: Option<String>,
    /// The registrable domain it matches by, if any.
    pub domain: Option<String>,
    /// Its built-in population.
    pub population: BasePopulation,
    /// The other imported fields.
    pub fields: BTreeMap<String, String>,
    /// When it last changed.
    pub updated_at: DateTime<Utc>,
}

#[derive(sqlx::FromRow)]
struct AccountRow {
    id: Uuid,
    crm_id: String,
    name: String,
    website: Option<String>,
    key_kind: Option<String>,
    match_key: Option<String>,
    population: String,
    fields: Json<BTreeMap<String, String>>,
    updated_at: DateTime<Utc>,
}

fn population(value: &str) -> Result<BasePopulation> {
    BasePopulation::parse(value).ok_or_else(|| StoreError::Corrupt {
        column: "accounts.population",
        detail: value.to_owned(),
    })
}

fn domain_of(kind: Option<&str>, key: Option<String>) -> Option<String> {
    match kind {
        Some("domain") => key,
        _ => None,
    }
}

fn confidence_of(stored: &str) -> Result<MatchConfidence> {
    MatchConfidence::parse(stored).ok_or_else(|| StoreError::Corrupt {
        column: "account_matches.confidence",
        detail: stored.to_owned(),
    })
}

impl TryFrom<AccountRow> for Account {
    type Error = StoreError;

    fn try_from(row: AccountRow) -> Result<Self> {
        Ok(Account {
            id: AccountId(row.id),
            crm_id: row.crm_id,
            name: row.name,
            website: row.website,
            domain: domain_of(row.key_kind.as_deref(), row.match_key),
            population: population(&row.population)?,
            fields: row.fields.0,
            updated_at: row.updated_at,
        })
    }
}

/// Where an import stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ImportStatus {
    /// The file is stored; the mapping waits for confirmation.
    Uploaded,
    /// Confirmed; waiting for a worker.
    Queued,
    /// A worker is reading it.
    Running,
    /// It landed.
    Done,
    /// It failed and left no trace.
    Failed,
}

impl ImportStatus {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            ImportStatus::Uploaded => "uploaded",
            ImportStatus::Queued => "queued",
            ImportStatus::Running => "running",
            ImportStatus::Done => "done",
            ImportStatus::Failed => "failed",
        }
    }

    pub(crate) fn parse(value: &str) -> Result<Self> {
        Ok(match value {
            "uploaded" => ImportStatus::Uploaded,
            "queued" => ImportStatus::Queued,
            "running" => ImportStatus::Running,
            "done" => ImportStatus::Done,
            "failed" => ImportStatus::Failed,
            other => {
                return Err(StoreError::Corrupt {
                    column: "account_imports.status",
                    detail: other.to_owned(),
                })
            }
        })
    }

    /// Whether the import has finished, well or not.
    pub fn is_finished(self) -> bool {
        matches!(self, ImportStatus::Done | ImportStatus::Failed)
    }
}

/// What an import does with accounts missing from the file.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ImportMode {
    /// Keep them: the file adds and updates accounts.
    #[default]
    Update,
    /// Remove them: the file is the whole account list.
    Replace,
}

impl ImportMode {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            ImportMode::Update => "update",
            ImportMode::Replace => "replace",
        }
    }

    /// Reads the stored name.
    pub fn parse(value: &str) -> Option<Self> {
        match value {
            "update" => Some(ImportMode::Update),
            "replace" => Some(ImportMode::Replace),
            _ => None,
        }
    }
}

/// One upload of a CRM file and, once started, its progress and result.
#[derive(Clone, Debug, Serialize)]
pub struct AccountImport {
    /// Its id.
    pub id: ImportId,
    /// The uploaded file's name.
    pub file_name: String,
    /// Where it stands.
    pub status: ImportStatus,
    /// Update or replace.
    pub mode: ImportMode,
    /// Whether one rejected row rejects the whole file.
    pub strict: bool,
    /// The encoding chosen, if the user chose one.
    pub encoding: Option<String>,
    /// The confirmed column mapping.
    pub mapping: Option<serde_json::Value>,
    /// The file's size.
    pub bytes_total: i64,
    /// How much of it was read.
    pub bytes_done: i64,
    /// Rows read so far.
    pub rows_read: i64,
    /// Accounts written.
    pub rows_imported: i64,
    /// Rows rejected.
    pub rows_rejected: i64,
    /// Rows that repeated a CRM id already in the file and were merged into it.
    pub rows_merged: i64,
    /// The rejected rows (the first thousand): row, column, reason.
    pub errors: serde_json::Value,
    /// How the population column was read: each value with its rows and where they went
    /// (`comark_app::import::PopulationTally`); `None` before the import finished, or for
    /// imports that finished before comark kept it.
    pub population_readings: Option<serde_json::Value>,
    /// Why it failed, when it did.
    pub failure: Option<String>,
    /// What happened to its run that a person should know (a restart, a retry after an error).
    pub note: Option<String>,
    /// When it was uploaded.
    pub created_at: DateTime<Utc>,
    /// When a worker started it.
    pub started_at: Option<DateTime<Utc>>,
    /// When it finished.
    pub finished_at: Option<DateTime<Utc>>,
}

#[derive(sqlx::FromRow)]
struct ImportRow {
    id: Uuid,
    file_name: String,
    status: String,
    mode: String,
    strict: bool,
    encoding: Option<String>,
    mapping: Option<Json<serde_json::Value>>,
    bytes_total: i64,
    bytes_done: i64,
    rows_read: i64,
    rows_imported: i64,
    rows_rejected: i64,
    rows_merged: i64,
    errors: Json<serde_json::Value>,
    population_readings: Option<Json<serde_json::Value>>,
    failure: Option<String>,
    note: Option<String>,
    created_at: DateTime<Utc>,
    started_at: Option<DateTime<Utc>>,
    finished_at: Option<DateTime<Utc>>,
}

impl TryFrom<ImportRow> for AccountImport {
    type Error = StoreError;

    fn try_from(row: ImportRow) -> Result<Self> {
        Ok(AccountImport {
            id: ImportId(row.id),
            file_name: row.file_name,
            status: ImportStatus::parse(&row.status)?,
            mode: ImportMode::parse(&row.mode).ok_or_else(|| StoreError::Corrupt {
                column: "account_imports.mode",
                detail: row.mode.clone(),
            })?,
            strict: row.strict,
            encoding: row.encoding,
            mapping: row.mapping.map(|m| m.0),
            bytes_total: row.bytes_total,
            bytes_done: row.bytes_done,
            rows_read: row.rows_read,
            rows_imported: row.rows_imported,
            rows_rejected: row.rows_rejected,
            rows_merged: row.rows_merged,
            // Imports that failed before any row was read once stored no list at all.
            errors: match row.errors.0 {
                serde_json::Value::Null => serde_json::Value::Array(Vec::new()),
                errors => errors,
            },
            population_readings: row.population_readings.map(|r| r.0),
            failure: row.failure,
            note: row.note,
            created_at: row.created_at,
            started_at: row.started_at,
            finished_at: row.finished_at,
        })
    }
}

const IMPORT_COLUMNS: &str = "id, file_name, status, mode, strict, encoding, mapping, bytes_total, bytes_done,
    rows_read, rows_imported, rows_rejected, rows_merged, errors, population_readings, failure, note, created_at,
    started_at, finished_at";

/// What a finished import counted.
#[derive(Clone, Debug)]
pub struct ImportTally {
    /// Raw bytes read.
    pub bytes: i64,
    /// Rows read.
    pub rows_read: i64,
    /// Rows rejected.
    pub rows_rejected: i64,
    /// Rows merged into an earlier row with the same CRM id.
    pub rows_merged: i64,
    /// The rejected rows to keep (row, column, reason).
    pub errors: serde_json::Value,
    /// How the population column was read, as the parser tallied it.
    pub population_readings: Option<serde_json::Value>,
}

impl Default for ImportTally {
    fn default() -> Self {
        ImportTally {
            bytes: 0,
            rows_read: 0,
            rows_rejected: 0,
            rows_merged: 0,
            errors: serde_json::Value::Array(Vec::new()),
            population_readings: None,
        }
    }
}

/// A custom population: a name and the rule that selects its accounts.
#[derive(Clone, Debug, Serialize)]
pub struct CustomPopulation {
    /// Its short name.
    pub slug: PopulationSlug,
    /// What people call it.
    pub label: String,
    /// Which accounts belong.
    pub rule: PopulationRule,
}

/// A saved column mapping.
#[derive(Clone, Debug, Serialize)]
pub struct SavedMapping {
    /// Its name.
    pub name: String,
    /// The mapping itself.
    pub mapping: serde_json::Value,
    /// When it was last saved.
    pub updated_at: DateTime<Utc>,
}

/// How current an organization's accounts are.
#[derive(Clone, Debug, Default, Serialize)]
pub struct AccountBook {
    /// Moves on every change.
    pub version: i64,
    /// How many accounts it holds.
    pub accounts: i64,
    /// When it last changed.
    pub updated_at: Option<DateTime<Utc>>,
}

/// Whether a connection's matches were computed from both sides' current accounts.
#[derive(Clone, Debug, Serialize)]
pub struct Freshness {
    /// When the matches were last computed.
    pub computed_at: Option<DateTime<Utc>>,
    /// True when neither side's accounts changed since.
    pub fresh: bool,
}

/// A correction of a mapping, as either side sees it.
#[derive(Clone, Debug, Serialize)]
pub struct Correction {
    /// Its id.
    pub id: CorrectionId,
    /// `wrong` (this match is not the same company) or `manual` (a match the keys missed).
    pub kind: CorrectionKind,
    /// The key concerned.
    pub key: String,
    /// Whether the viewing organization made it.
    pub ours: bool,
    /// Who made it (the organization's name).
    pub by: String,
    /// For our own manual matches, our account's name.
    pub account_name: Option<String>,
    /// Why.
    pub note: String,
    /// When.
    pub created_at: DateTime<Utc>,
}

/// What a correction says.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CorrectionKind {
    /// The match is wrong: the two accounts are not the same company.
    Wrong,
    /// Our account is the partner's account with this key, though the keys differ.
    Manual,
}

impl CorrectionKind {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            CorrectionKind::Wrong => "wrong",
            CorrectionKind::Manual => "manual",
        }
    }
}

/// A connection's mapping as one side may see it.
#[derive(Clone, Debug, Serialize)]
pub struct SharedMapping {
    /// The connection it belongs to.
    pub connection_id: ConnectionId,
    /// The partner.
    pub partner: Organization,
    /// The matrix and one page of the accounts the partner allows.
    pub view: MappingView,
    /// Where the next page of accounts starts, if there is one.
    pub next: Option<PairCursor>,
    /// How current the matches are.
    pub freshness: Freshness,
    /// Both sides' corrections.
    pub corrections: Vec<Correction>,
    /// What we share with the partner, per population.
    pub our_policy: SharingPolicy,
}

/// Everything a recompute reads for one connection.
#[derive(Clone, Debug)]
pub struct MappingSides {
    /// The lower-id organization's accounts with their keys.
    pub low: Vec<SideAccount>,
    /// The higher-id organization's.
    pub high: Vec<SideAccount>,
    /// The lower-id organization's custom populations.
    pub low_custom: Vec<CustomPopulation>,
    /// The higher-id organization's.
    pub high_custom: Vec<CustomPopulation>,
    /// The books' versions the keys were read at.
    pub versions: (i64, i64),
    /// When they were read: recompute jobs queued before then are done by this computation.
    pub read_at: DateTime<Utc>,
    /// Keys marked wrong by either side.
    pub wrong_keys: Vec<String>,
    /// Manual matches: (account, whether it is the low side's, the partner key it matches,
    /// as stored: a domain, or `name:` and a folded name).
    pub manual: Vec<(Uuid, bool, String)>,
}

/// What a recompute reads of each account, packed as `domains US name_key US country US
/// population`, then `US name US key_kind US match_key` for rows imported before accounts
/// kept every key. `SOH` stands for a missing domains or name key. Imports refuse control
/// characters, so neither separator can occur in a value.
const PACKED_KEYS: &str = "SELECT id,
        COALESCE(domains, chr(1)) || chr(31) || COALESCE(name_key, chr(1)) || chr(31)
        || COALESCE(country, '') || chr(31) || population
        || CASE WHEN domains IS NULL OR name_key IS NULL
           THEN chr(31) || CASE WHEN name_key IS NULL THEN name ELSE '' END || chr(31)
                || COALESCE(key_kind, '') || chr(31) || COALESCE(match_key, '')
           ELSE '' END AS packed,
        CASE WHEN $2 THEN fields END AS fields
 FROM accounts WHERE org_id = $1";

#[derive(sqlx::FromRow)]
struct PackedKeys {
    id: Uuid,
    packed: String,
    fields: Option<Json<BTreeMap<String, String>>>,
}

impl PackedKeys {
    fn unpack(self) -> Result<SideAccount> {
        let corrupt = || StoreError::Corrupt {
            column: "accounts (keys)",
            detail: self.packed.clone(),
        };
        let mut parts = self.packed.split('\u{1f}');
        let mut next = || parts.next().ok_or_else(corrupt);
        let present = |value: &str| (value != "\u{1}").then(|| value.to_owned());
        let some = |value: &str| (!value.is_empty()).then(|| value.to_owned());
        let domains = present(next()?);
        let name_key = present(next()?);
        let country = some(next()?);
        let population = next()?.to_owned();
        let (name, key_kind, match_key) = match parts.next() {
            Some(name) => (
                some(name),
                parts.next().and_then(some),
                parts.next().and_then(some),
            ),
            None => (None, None, None),
        };
        Ok(SideAccount {
            id: self.id,
            domains,
            name_key,
            name,
            country,
            key_kind,
            match_key,
            population,
            fields: self.fields,
        })
    }
}

/// One account as the matcher reads it.
#[derive(Clone, Debug)]
pub struct SideAccount {
    /// Its id.
    pub id: Uuid,
    /// Its registrable domains, space-separated; `None` for rows imported before accounts
    /// kept every domain (their one key is `key_kind`/`match_key`).
    pub domains: Option<String>,
    /// Its folded name; `None` for rows imported before, which then bring their `name`.
    pub name_key: Option<String>,
    /// The name, only when `name_key` is missing.
    pub name: Option<String>,
    /// The ISO code of its country, when known.
    pub country: Option<String>,
    /// The single key of rows imported before: `domain` or `name`.
    pub key_kind: Option<String>,
    /// That key.
    pub match_key: Option<String>,
    /// Its built-in population.
    pub population: String,
    /// Its imported fields, read only when the organization has custom populations.
    pub fields: Option<Json<BTreeMap<String, String>>>,
}

impl SideAccount {
    /// The populations the account falls into, given its organization's custom ones.
    pub fn populations(&self, custom: &[CustomPopulation]) -> Result<Vec<PopulationSlug>> {
        let no_fields = BTreeMap::new();
        let fields = self.fields.as_ref().map_or(&no_fields, |f| &f.0);
        Ok(populations_of(
            population(&self.population)?,
            fields,
            custom,
        ))
    }
}

/// A connection's stored matches, named by the CRM ids of the two accounts.
#[derive(Clone, Debug)]
pub struct MatchedCrmIds {
    /// The lower-id organization of the connection.
    pub low_org: OrgId,
    /// The higher-id organization.
    pub high_org: OrgId,
    /// Every stored match.
    pub matches: Vec<CrmIdMatch>,
}

/// One stored match by CRM ids.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CrmIdMatch {
    /// The low organization's account's CRM id.
    pub low_crm_id: String,
    /// The high organization's account's CRM id.
    pub high_crm_id: String,
    /// How sure the match is.
    pub confidence: MatchConfidence,
    /// Whether a person made it.
    pub manual: bool,
}

/// One match to store: (low account, high account, key, confidence, manual).
pub type StoredMatch = (Uuid, Uuid, String, MatchConfidence, bool);

enum Tx {
    Sqlite(sqlx::Transaction<'static, Sqlite>),
    Postgres(sqlx::Transaction<'static, Postgres>),
}

/// Writes one import's accounts inside a single transaction: it lands whole or not at all.
pub struct AccountWriter {
    tx: Tx,
    org: Uuid,
    import: Uuid,
    buffer: Vec<NewAccount>,
    positions: HashMap<String, usize>,
    written: i64,
}

const SQLITE_BATCH: usize = 2_000;
/// The page cache an import's SQLite connection uses while it writes (256 MiB).
const IMPORT_CACHE: &str = "PRAGMA cache_size = -262144";
const POSTGRES_BATCH: usize = 5_000;

impl AccountWriter {
    /// Adds an account; a later row with the same CRM id replaces an earlier one.
    pub async fn push(&mut self, account: NewAccount) -> Result<()> {
        match self.positions.get(&account.crm_id) {
            Some(&at) => self.buffer[at] = account,
            None => {
                self.positions
                    .insert(account.crm_id.clone(), self.buffer.len());
                self.buffer.push(account);
            }
        }
        let limit = match self.tx {
            Tx::Sqlite(_) => SQLITE_BATCH,
            Tx::Postgres(_) => POSTGRES_BATCH,
        };
        if self.buffer.len() >= limit {
            self.flush().await?;
        }
        Ok(())
    }

    async fn flush(&mut self) -> Result<()> {
        if self.buffer.is_empty() {
            return Ok(());
        }
        let at = now();
        let org = self.org;
        let import = self.import;
        match &mut self.tx {
            Tx::Sqlite(tx) => {
                let mut insert = QueryBuilder::<Sqlite>::new(
                    "INSERT INTO accounts (org_id, id, crm_id, name, website, key_kind, match_key, domains, name_key, country, population, fields, import_id, updated_at) ",
                );
                insert.push_values(self.buffer.iter(), |mut row, account| {
                    let (kind, key) = split_key(account);
                    row.push_bind(org)
                        .push_bind(Uuid::now_v7())
                        .push_bind(account.crm_id.clone())
                        .push_bind(account.name.clone())
                        .push_bind(account.website.clone())
                        .push_bind(kind)
                        .push_bind(key)
                        .push_bind(joined_domains(account))
                        .push_bind(account.name_key.clone())
                        .push_bind(account.country.clone())
                        .push_bind(account.population.as_str())
                        .push_bind(Json(account.fields.clone()))
                        .push_bind(import)
                        .push_bind(at);
                });
                insert.push(UPSERT_TAIL);
                insert.build().execute(&mut **tx).await?;
            }
            Tx::Postgres(tx) => {
                let mut ids = Vec::with_capacity(self.buffer.len());
                let mut crm_ids = Vec::with_capacity(self.buffer.len());
                let mut names = Vec::with_capacity(self.buffer.len());
                let mut websites = Vec::with_capacity(self.buffer.len());
                let mut kinds = Vec::with_capacity(self.buffer.len());
                let mut keys = Vec::with_capacity(self.buffer.len());
                let mut domains = Vec::with_capacity(self.buffer.len());
                let mut name_keys = Vec::with_capacity(self.buffer.len());
                let mut countries = Vec::with_capacity(self.buffer.len());
                let mut populations = Vec::with_capacity(self.buffer.len());
                let mut fields = Vec::with_capacity(self.buffer.len());
                for account in self.buffer.drain(..) {
                    let (kind, key) = split_key(&account);
                    ids.push(Uuid::now_v7());
                    kinds.push(kind);
                    keys.push(key);
                    domains.push(joined_domains(&account));
                    name_keys.push(account.name_key.clone());
                    countries.push(account.country.clone());
                    populations.push(account.population.as_str());
                    fields.push(serde_json::to_string(&account.fields).map_err(|e| {
                        StoreError::Corrupt {
                            column: "accounts.fields",
                            detail: e.to_string(),
                        }
                    })?);
                    crm_ids.push(account.crm_id);
                    names.push(account.name);
                    websites.push(account.website);
                }
                sqlx::query(&format!(
                    "INSERT INTO accounts (org_id, id, crm_id, name, website, key_kind, match_key, domains, name_key, country, population, fields, import_id, updated_at)
                     SELECT $1, u.id, u.crm_id, u.name, u.website, u.key_kind, u.match_key, u.domains, u.name_key, u.country, u.population, u.fields::jsonb, $2, $3
                     FROM UNNEST($4::uuid[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[], $10::text[], $11::text[], $12::text[], $13::text[], $14::text[])
                          AS u(id, crm_id, name, website, key_kind, match_key, domains, name_key, country, population, fields)
                     {UPSERT_TAIL}"
                ))
                .bind(org)
                .bind(import)
                .bind(at)
                .bind(ids)
                .bind(crm_ids)
                .bind(names)
                .bind(websites)
                .bind(kinds)
                .bind(keys)
                .bind(domains)
                .bind(name_keys)
                .bind(countries)
                .bind(populations)
                .bind(fields)
                .execute(&mut **tx)
                .await?;
            }
        }
        self.written += self.positions.len() as i64;
        self.buffer.clear();
        self.positions.clear();
        Ok(())
    }

    /// Accounts written so far (each CRM id once per batch).
    pub fn written(&self) -> i64 {
        self.written + self.positions.len() as i64
    }

    /// Lands the import: removes what a replacement leaves out, moves the book's version,
    /// records the result and queues the recompute of every partner mapping, in the same
    /// transaction as the accounts.
    pub async fn finish(
        mut self,
        mode: ImportMode,
        tally: &ImportTally,
        rows_imported: i64,
        actor: &Actor,
    ) -> Result<AccountBook> {
        self.flush().await?;
        let org = self.org;
        let import = self.import;
        let at = now();
        macro_rules! land {
            ($tx:expr) => {{
                let tx = $tx;
                let deleted = if mode == ImportMode::Replace {
                    sqlx::query("DELETE FROM accounts WHERE org_id = $1 AND (import_id IS NULL OR import_id <> $2)")
                        .bind(org)
                        .bind(import)
                        .execute(&mut **tx)
                        .await?
                        .rows_affected()
                } else {
                    0
                };
                let count: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM accounts WHERE org_id = $1")
                    .bind(org)
                    .fetch_one(&mut **tx)
                    .await?;
                let version: i64 = sqlx::query_scalar(
                    "INSERT INTO account_books (org_id, version, accounts, updated_at) VALUES ($1, 1, $2, $3)
                     ON CONFLICT (org_id) DO UPDATE SET version = account_books.version + 1,
                        accounts = excluded.accounts, updated_at = excluded.updated_at
                     RETURNING version",
                )
                .bind(org)
                .bind(count)
                .bind(at)
                .fetch_one(&mut **tx)
                .await?;
                sqlx::query(
                    "UPDATE account_imports SET status = 'done', bytes_done = $3, rows_read = $4,
                        rows_imported = $5, rows_rejected = $6, rows_merged = $7, errors = $8,
                        finished_at = $9, population_readings = $10
                     WHERE org_id = $1 AND id = $2",
                )
                .bind(org)
                .bind(import)
                .bind(tally.bytes)
                .bind(tally.rows_read)
                .bind(rows_imported)
                .bind(tally.rows_rejected)
                .bind(tally.rows_merged)
                .bind(Json(&tally.errors))
                .bind(at)
                .bind(tally.population_readings.as_ref().map(Json))
                .execute(&mut **tx)
                .await?;
                insert_audit!(&mut **tx, org, actor, AuditAction::AccountsImported, import.to_string(),
                    json!({ "mode": mode.as_str(), "imported": rows_imported,
                            "rejected": tally.rows_rejected, "accounts": count }));
                queue_recomputes!(&mut **tx, org);
                (AccountBook { version, accounts: count, updated_at: Some(at) }, deleted)
            }};
        }
        let book = match self.tx {
            Tx::Sqlite(mut tx) => {
                let (book, _) = land!(&mut tx);
                // Back to the connection's own cache, for whatever the pool runs on it next.
                let cache = format!("PRAGMA cache_size = {}", crate::SQLITE_CACHE);
                sqlx::query(&cache).execute(&mut *tx).await?;
                tx.commit().await?;
                book
            }
            Tx::Postgres(mut tx) => {
                let (book, deleted) = land!(&mut tx);
                // A replacement that drops most of a large book changes the table as much as
                // one that writes it.
                if rows_imported.saturating_add_unsigned(deleted) >= BULK_ROWS {
                    sqlx::query("ANALYZE accounts").execute(&mut *tx).await?;
                }
                tx.commit().await?;
                book
            }
        };
        Ok(book)
    }
}

/// How many rows a write must change for PostgreSQL's statistics of the table to be refreshed
/// with it: the planner otherwise plans the next mapping page on the table's old size (a full
/// sort instead of a walk of the name index, 0.4 s instead of 30 ms per page at 1M rows) until
/// autovacuum gets to it. ANALYZE samples a fixed number of rows, so it costs under a second.
const BULK_ROWS: i64 = 10_000;

/// Queues a recompute for each accepted connection of `$org`, inside the caller's transaction.
macro_rules! queue_recomputes {
    ($conn:expr, $org:expr) => {{
        let connections: Vec<Uuid> = sqlx::query_scalar(
            "SELECT id FROM connections WHERE status = 'accepted'
               AND (requester_org_id = $1 OR invitee_org_id = $1)",
        )
        .bind($org)
        .fetch_all($conn)
        .await?;
        for connection in connections {
            insert_job!($conn, &recompute_job(ConnectionId(connection)), now());
        }
    }};
}
use queue_recomputes;

/// After the accounts in a population of `$org` changed: clears the counts stored with each of
/// its mappings (the view then counts the stored matches itself) and queues their recomputes.
macro_rules! recount_mappings {
    ($conn:expr, $org:expr) => {{
        sqlx::query(
            "UPDATE mappings SET summary = NULL WHERE connection_id IN
               (SELECT id FROM connections WHERE requester_org_id = $1 OR invitee_org_id = $1)",
        )
        .bind($org)
        .execute($conn)
        .await?;
        queue_recomputes!($conn, $org);
    }};
}

/// The job that recomputes one connection's matches.
pub fn recompute_job(connection: ConnectionId) -> NewJob {
    NewJob {
        kind: RECOMPUTE_JOB,
        org_id: None,
        payload: json!({ "connection_id": connection }),
        max_attempts: 5,
    }
}

const UPSERT_TAIL: &str = " ON CONFLICT (org_id, crm_id) DO UPDATE SET name = excluded.name,
    website = excluded.website, key_kind = excluded.key_kind, match_key = excluded.match_key,
    domains = excluded.domains, name_key = excluded.name_key, country = excluded.country, population = excluded.population, fields = excluded.fields, import_id = excluded.import_id,
    updated_at = excluded.updated_at";

/// The account's primary key, shown and searched: its first domain, else its folded name.
fn split_key(account: &NewAccount) -> (Option<&'static str>, Option<String>) {
    match (account.domains.first(), &account.name_key) {
        (Some(domain), _) => (Some("domain"), Some(domain.clone())),
        (None, Some(name)) => (Some("name"), Some(name.clone())),
        (None, None) => (None, None),
    }
}

/// Every domain of an account in one column: space-separated (domains hold no spaces).
fn joined_domains(account: &NewAccount) -> Option<String> {
    (!account.domains.is_empty()).then(|| account.domains.join(" "))
}

/// A new upload's settings.
#[derive(Clone, Debug, Default)]
pub struct NewImport {
    /// The file's name.
    pub file_name: String,
    /// The client's idempotency key: the same key gives back the same import.
    pub idempotency_key: Option<String>,
}

/// The settings confirmed before an import starts.
#[derive(Clone, Debug)]
pub struct ImportSettings {
    /// The column mapping.
    pub mapping: serde_json::Value,
    /// The encoding, when the user chose one.
    pub encoding: Option<String>,
    /// Update or replace.
    pub mode: ImportMode,
    /// Reject the whole file if a row is bad.
    pub strict: bool,
}

#[derive(sqlx::FromRow)]
struct PopulationRow {
    slug: String,
    label: String,
    rule: Json<PopulationRule>,
}

fn custom_population(row: PopulationRow) -> Result<CustomPopulation> {
    Ok(CustomPopulation {
        slug: PopulationSlug::parse(&row.slug).map_err(|e| StoreError::Corrupt {
            column: "populations.slug",
            detail: e.message,
        })?,
        label: row.label,
        rule: row.rule.0,
    })
}

#[derive(sqlx::FromRow)]
struct PolicyRow {
    population: String,
    level: String,
    fields: Json<Vec<String>>,
}

fn policy(rows: Vec<PolicyRow>) -> SharingPolicy {
    let mut policy = SharingPolicy::default();
    for row in rows {
        let (Ok(slug), Some(level)) = (
            PopulationSlug::parse(&row.population),
            SharingLevel::parse(&row.level),
        ) else {
            continue;
        };
        policy.by_population.insert(
            slug,
            Share {
                level,
                fields: row.fields.0,
            },
        );
    }
    policy
}

#[derive(sqlx::FromRow)]
struct CorrectionRow {
    id: Uuid,
    kind: String,
    match_key: String,
    org_id: Uuid,
    by_name: String,
    account_name: Option<String>,
    note: String,
    created_at: DateTime<Utc>,
}

/// The populations of an organization as matrix rows: the built-in ones, then custom ones.
pub fn population_infos(custom: &[CustomPopulation]) -> Vec<PopulationInfo> {
    BasePopulation::ALL
        .iter()
        .map(|base| PopulationInfo {
            slug: PopulationSlug::builtin(*base),
            label: base.label().to_owned(),
        })
        .chain(custom.iter().map(|p| PopulationInfo {
            slug: p.slug.clone(),
            label: p.label.clone(),
        }))
        .collect()
}

/// The populations an account belongs to: its built-in one and every matching custom one.
pub fn populations_of(
    base: BasePopulation,
    fields: &BTreeMap<String, String>,
    custom: &[CustomPopulation],
) -> Vec<PopulationSlug> {
    std::iter::once(PopulationSlug::builtin(base))
        .chain(
            custom
                .iter()
                .filter(|p| p.rule.matches(base, fields))
                .map(|p| p.slug.clone()),
        )
        .collect()
}

impl OrgStore<'_> {
    /// Stores a new upload's metadata; with an idempotency key already used, the earlier one.
    pub async fn create_import(&self, new: &NewImport, actor: &Actor) -> Result<AccountImport> {
        if let Some(key) = &new.idempotency_key {
            if let Some(found) = self.import_by_key(key).await? {
                return Ok(found);
            }
        }
        let id = ImportId::new();
        let inserted = on_pool!(self.store, pool => {
            sqlx::query(
                "INSERT INTO account_imports (org_id, id, file_name, status, mode, strict, idempotency_key,
                    bytes_total, bytes_done, rows_read, rows_imported, rows_rejected, rows_merged, errors, created_by, created_at)
                 VALUES ($1, $2, $3, 'uploaded', 'update', $4, $5, 0, 0, 0, 0, 0, 0, $6, $7, $8)",
            )
            .bind(self.org_uuid())
            .bind(id.0)
            .bind(&new.file_name)
            .bind(false)
            .bind(&new.idempotency_key)
            .bind(Json(json!([])))
            .bind(actor.user_id.map(|u| u.0))
            .bind(now())
            .execute(pool)
            .await
            .map(|_| ())
            .map_err(on_unique("idempotency key"))
        });
        match (inserted, &new.idempotency_key) {
            // Two requests with one key raced: the other one won.
            (Err(StoreError::Conflict(_)), Some(key)) => {
                self.import_by_key(key).await?.ok_or(StoreError::NotFound)
            }
            (Err(error), _) => Err(error),
            (Ok(_), _) => self.import(id).await?.ok_or(StoreError::NotFound),
        }
    }

    async fn import_by_key(&self, key: &str) -> Result<Option<AccountImport>> {
        let row: Option<ImportRow> = on_pool!(self.store, pool => {
            sqlx::query_as(&format!(
                "SELECT {IMPORT_COLUMNS} FROM account_imports WHERE org_id = $1 AND idempotency_key = $2"
            ))
            .bind(self.org_uuid())
            .bind(key)
            .fetch_optional(pool)
            .await?
        });
        row.map(AccountImport::try_from).transpose()
    }

    /// Appends a piece of an upload.
    pub async fn append_import_chunk(&self, import: ImportId, seq: i32, data: &[u8]) -> Result<()> {
        on_pool!(self.store, pool => {
            sqlx::query("INSERT INTO import_chunks (org_id, import_id, seq, data) VALUES ($1, $2, $3, $4)")
                .bind(self.org_uuid())
                .bind(import.0)
                .bind(seq)
                .bind(data)
                .execute(pool)
                .await?;
        });
        on_pool!(self.store, pool => {
            sqlx::query("UPDATE account_imports SET bytes_total = bytes_total + $3 WHERE org_id = $1 AND id = $2")
                .bind(self.org_uuid())
                .bind(import.0)
                .bind(data.len() as i64)
                .execute(pool)
                .await?;
        });
        Ok(())
    }

    /// A piece of an upload, in order from 0; `None` past the end.
    pub async fn import_chunk(&self, import: ImportId, seq: i32) -> Result<Option<Vec<u8>>> {
        Ok(on_pool!(self.store, pool => {
            sqlx::query_scalar("SELECT data FROM import_chunks WHERE org_id = $1 AND import_id = $2 AND seq = $3")
                .bind(self.org_uuid())
                .bind(import.0)
                .bind(seq)
                .fetch_optional(pool)
                .await?
        }))
    }

    /// One import of this organization.
    pub async fn import(&self, id: ImportId) -> Result<Option<AccountImport>> {
        let row: Option<ImportRow> = on_pool!(self.store, pool => {
            sqlx::query_as(&format!(
                "SELECT {IMPORT_COLUMNS} FROM account_imports WHERE org_id = $1 AND id = $2"
            ))
            .bind(self.org_uuid())
            .bind(id.0)
            .fetch_optional(pool)
            .await?
        });
        row.map(AccountImport::try_from).transpose()
    }

    /// The latest imports, newest first.
    pub async fn imports(&self, limit: i64) -> Result<Vec<AccountImport>> {
        let rows: Vec<ImportRow> = on_pool!(self.store, pool => {
            sqlx::query_as(&format!(
                "SELECT {IMPORT_COLUMNS} FROM account_imports WHERE org_id = $1
                 ORDER BY created_at DESC, id DESC LIMIT $2"
            ))
            .bind(self.org_uuid())
            .bind(limit)
            .fetch_all(pool)
            .await?
        });
        rows.into_iter().map(AccountImport::try_from).collect()
    }

    /// Confirms an uploaded import's settings and, with `with_job`, queues the job that runs
    /// it, in one transaction (the CLI runs its imports itself). A failed import may be
    /// started again, and so may a finished one (the same upload read with other choices,
    /// say another reading of its population values). `Rule` while it is queued or running.
    pub async fn queue_import(
        &self,
        id: ImportId,
        settings: &ImportSettings,
        with_job: bool,
    ) -> Result<()> {
        let org = self.org_uuid();
        write_tx!(self.store, tx => {
            let updated = sqlx::query(
                "UPDATE account_imports SET status = 'queued', mapping = $3, encoding = $4, mode = $5, strict = $6,
                    failure = NULL, note = NULL, job_id = NULL, heartbeat_at = $7
                 WHERE org_id = $1 AND id = $2 AND status IN ('uploaded', 'failed', 'done')",
            )
            .bind(org)
            .bind(id.0)
            .bind(Json(&settings.mapping))
            .bind(&settings.encoding)
            .bind(settings.mode.as_str())
            .bind(settings.strict)
            .bind(now())
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if updated == 0 {
                return Err(StoreError::Rule("this import is already waiting to run or running".into()));
            }
            if with_job {
                let job = NewJob {
                    kind: IMPORT_JOB,
                    org_id: Some(self.scope.org_id()),
                    payload: json!({ "import_id": id }),
                    max_attempts: IMPORT_ATTEMPTS,
                };
                let job_id = insert_job!(&mut *tx, &job, now());
                // The reconciler follows the import to its job (see `reconcile_imports`).
                sqlx::query("UPDATE account_imports SET job_id = $3 WHERE org_id = $1 AND id = $2")
                    .bind(org)
                    .bind(id.0)
                    .bind(job_id.0)
                    .execute(&mut *tx)
                    .await?;
            }
        });
        self.store.wake_workers();
        Ok(())
    }

    /// Marks an import as running; `false` if it is not waiting to run.
    pub async fn mark_import_running(&self, id: ImportId) -> Result<bool> {
        Ok(on_pool!(self.store, pool => {
            sqlx::query(
                "UPDATE account_imports SET status = 'running', started_at = $3, heartbeat_at = $3,
                    bytes_done = 0, rows_read = 0
                 WHERE org_id = $1 AND id = $2 AND status IN ('queued', 'running')",
            )
            .bind(self.org_uuid())
            .bind(id.0)
            .bind(now())
            .execute(pool)
            .await?
            .rows_affected()
                > 0
        }))
    }

    /// Records how far a running import got.
    pub async fn import_progress(
        &self,
        id: ImportId,
        bytes_done: i64,
        rows_read: i64,
    ) -> Result<()> {
        on_pool!(self.store, pool => {
            sqlx::query(
                "UPDATE account_imports SET bytes_done = $3, rows_read = $4, heartbeat_at = $5
                 WHERE org_id = $1 AND id = $2 AND status = 'running'",
            )
            .bind(self.org_uuid())
            .bind(id.0)
            .bind(bytes_done)
            .bind(rows_read)
            .bind(now())
            .execute(pool)
            .await?;
        });
        Ok(())
    }

    /// Records that a running import's process is alive (see `reconcile_imports`).
    pub async fn import_heartbeat(&self, id: ImportId) -> Result<()> {
        on_pool!(self.store, pool => {
            sqlx::query(
                "UPDATE account_imports SET heartbeat_at = $3 WHERE org_id = $1 AND id = $2 AND status = 'running'",
            )
            .bind(self.org_uuid())
            .bind(id.0)
            .bind(now())
            .execute(pool)
            .await?;
        });
        Ok(())
    }

    /// Puts a running import back in the queue with a note, after an attempt failed and
    /// before its job tries again. Nothing of the failed attempt landed.
    pub async fn requeue_import(&self, id: ImportId, note: &str) -> Result<()> {
        on_pool!(self.store, pool => {
            sqlx::query(
                "UPDATE account_imports SET status = 'queued', note = $3, heartbeat_at = $4
                 WHERE org_id = $1 AND id = $2 AND status IN ('queued', 'running')",
            )
            .bind(self.org_uuid())
            .bind(id.0)
            .bind(note)
            .bind(now())
            .execute(pool)
            .await?;
        });
        Ok(())
    }

    /// Records that an import failed; none of its accounts landed.
    pub async fn fail_import(
        &self,
        id: ImportId,
        failure: &str,
        tally: &ImportTally,
    ) -> Result<()> {
        on_pool!(self.store, pool => {
            sqlx::query(
                "UPDATE account_imports SET status = 'failed', failure = $3, rows_read = $4, rows_rejected = $5,
                    errors = $6, rows_imported = 0, finished_at = $7, population_readings = $8
                 WHERE org_id = $1 AND id = $2",
            )
            .bind(self.org_uuid())
            .bind(id.0)
            .bind(failure)
            .bind(tally.rows_read)
            .bind(tally.rows_rejected)
            .bind(Json(&tally.errors))
            .bind(now())
            .bind(tally.population_readings.as_ref().map(Json))
            .execute(pool)
            .await?;
        });
        Ok(())
    }

    /// Opens the transaction an import writes its accounts in.
    pub async fn account_writer(&self, import: ImportId) -> Result<AccountWriter> {
        let tx = match &self.store.pools {
            Pools::Sqlite(pool) => {
                let mut tx = pool.begin_with("BEGIN IMMEDIATE").await?;
                // A million rows land in four B-trees in random key order; with SQLite's
                // default 2 MB page cache most of the time goes to re-reading pages.
                sqlx::query(IMPORT_CACHE).execute(&mut *tx).await?;
                Tx::Sqlite(tx)
            }
            Pools::Postgres(pool) => Tx::Postgres(pool.begin().await?),
        };
        Ok(AccountWriter {
            tx,
            org: self.org_uuid(),
            import: import.0,
            buffer: Vec::new(),
            positions: HashMap::new(),
            written: 0,
        })
    }

    /// This organization's account count and version.
    pub async fn account_book(&self) -> Result<AccountBook> {
        let row: Option<(i64, i64, DateTime<Utc>)> = on_pool!(self.store, pool => {
            sqlx::query_as("SELECT version, accounts, updated_at FROM account_books WHERE org_id = $1")
                .bind(self.org_uuid())
                .fetch_optional(pool)
                .await?
        });
        Ok(row
            .map(|(version, accounts, updated_at)| AccountBook {
                version,
                accounts,
                updated_at: Some(updated_at),
            })
            .unwrap_or_default())
    }

    /// A page of this organization's accounts by name, after `(name, id)`, filtered by a
    /// search in the name, website or CRM id and by population.
    pub async fn accounts(
        &self,
        search: Option<&str>,
        base: Option<BasePopulation>,
        after: Option<(String, AccountId)>,
        limit: i64,
    ) -> Result<Vec<Account>> {
        let pattern = search
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(|s| format!("%{}%", s.to_lowercase().replace(['%', '_'], "")));
        let (after_name, after_id) = match after {
            Some((name, id)) => (Some(name), Some(id.0)),
            None => (None, None),
        };
        let rows: Vec<AccountRow> = on_pool!(self.store, pool => {
            sqlx::query_as(
                "SELECT id, crm_id, name, website, key_kind, match_key, population, fields, updated_at
                 FROM accounts
                 WHERE org_id = $1
                   AND ($2 IS NULL OR LOWER(name) LIKE $2 OR LOWER(COALESCE(website, '')) LIKE $2 OR LOWER(crm_id) LIKE $2)
                   AND ($3 IS NULL OR population = $3)
                   AND ($4 IS NULL OR name > $4 OR (name = $4 AND id > $5))
                 ORDER BY name, id LIMIT $6",
            )
            .bind(self.org_uuid())
            .bind(pattern)
            .bind(base.map(BasePopulation::as_str))
            .bind(after_name)
            .bind(after_id)
            .bind(limit)
            .fetch_all(pool)
            .await?
        });
        rows.into_iter().map(Account::try_from).collect()
    }

    /// One of this organization's accounts.
    pub async fn account(&self, id: AccountId) -> Result<Option<Account>> {
        let row: Option<AccountRow> = on_pool!(self.store, pool => {
            sqlx::query_as(
                "SELECT id, crm_id, name, website, key_kind, match_key, population, fields, updated_at
                 FROM accounts WHERE org_id = $1 AND id = $2",
            )
            .bind(self.org_uuid())
            .bind(id.0)
            .fetch_optional(pool)
            .await?
        });
        row.map(Account::try_from).transpose()
    }

    /// The account with this CRM id, or else up to three accounts with exactly this name
    /// (any case): how a person names one of their accounts in a form or on the command line.
    pub async fn accounts_named(&self, typed: &str) -> Result<Vec<Account>> {
        let rows: Vec<AccountRow> = on_pool!(self.store, pool => {
            sqlx::query_as(
                "SELECT id, crm_id, name, website, key_kind, match_key, population, fields, updated_at
                 FROM accounts WHERE org_id = $1 AND crm_id = $2",
            )
            .bind(self.org_uuid())
            .bind(typed)
            .fetch_all(pool)
            .await?
        });
        if !rows.is_empty() {
            return rows.into_iter().map(Account::try_from).collect();
        }
        let rows: Vec<AccountRow> = on_pool!(self.store, pool => {
            sqlx::query_as(
                "SELECT id, crm_id, name, website, key_kind, match_key, population, fields, updated_at
                 FROM accounts WHERE org_id = $1 AND LOWER(name) = LOWER($2) ORDER BY id LIMIT 3",
            )
            .bind(self.org_uuid())
            .bind(typed)
            .fetch_all(pool)
            .await?
        });
        rows.into_iter().map(Account::try_from).collect()
    }

    /// This organization's custom populations, by name.
    pub async fn populations(&self) -> Result<Vec<CustomPopulation>> {
        populations_of_org(self.store, self.org_uuid()).await
    }

    /// Defines or redefines a custom population; its accounts follow at once.
    pub async fn save_population(
        &self,
        population: &CustomPopulation,
        actor: &Actor,
    ) -> Result<()> {
        let org = self.org_uuid();
        write_tx!(self.store, tx => {
            sqlx::query(
                "INSERT INTO populations (org_id, slug, label, rule, created_at) VALUES ($1, $2, $3, $4, $5)
                 ON CONFLICT (org_id, slug) DO UPDATE SET label = excluded.label, rule = excluded.rule",
            )
            .bind(org)
            .bind(population.slug.as_str())
            .bind(&population.label)
            .bind(Json(&population.rule))
            .bind(now())
            .execute(&mut *tx)
            .await?;
            recount_mappings!(&mut *tx, org);
            insert_audit!(&mut *tx, org, actor, AuditAction::PopulationChanged, population.slug.as_str(),
                json!({ "label": population.label, "rule": population.rule.describe() }));
        });
        Ok(())
    }

    /// Removes a custom population and what was shared of it.
    pub async fn delete_population(&self, slug: &PopulationSlug, actor: &Actor) -> Result<()> {
        let org = self.org_uuid();
        write_tx!(self.store, tx => {
            let removed = sqlx::query("DELETE FROM populations WHERE org_id = $1 AND slug = $2")
                .bind(org)
                .bind(slug.as_str())
                .execute(&mut *tx)
                .await?
                .rows_affected();
            if removed == 0 {
                return Err(StoreError::NotFound);
            }
            sqlx::query("DELETE FROM sharing_policies WHERE org_id = $1 AND population = $2")
                .bind(org)
                .bind(slug.as_str())
                .execute(&mut *tx)
                .await?;
            recount_mappings!(&mut *tx, org);
            insert_audit!(&mut *tx, org, actor, AuditAction::PopulationChanged, slug.as_str(),
                json!({ "removed": true }));
        });
        Ok(())
    }

    /// The column mappings saved for next time, by name.
    pub async fn column_mappings(&self) -> Result<Vec<SavedMapping>> {
        let rows: Vec<(String, Json<serde_json::Value>, DateTime<Utc>)> = on_pool!(self.store, pool => {
            sqlx::query_as("SELECT name, mapping, updated_at FROM column_mappings WHERE org_id = $1 ORDER BY name")
                .bind(self.org_uuid())
                .fetch_all(pool)
                .await?
        });
        Ok(rows
            .into_iter()
            .map(|(name, mapping, updated_at)| SavedMapping {
                name,
                mapping: mapping.0,
                updated_at,
            })
            .collect())
    }

    /// Saves a column mapping under a name, replacing one with the same name.
    pub async fn save_column_mapping(&self, name: &str, mapping: &serde_json::Value) -> Result<()> {
        on_pool!(self.store, pool => {
            sqlx::query(
                "INSERT INTO column_mappings (org_id, name, mapping, updated_at) VALUES ($1, $2, $3, $4)
                 ON CONFLICT (org_id, name) DO UPDATE SET mapping = excluded.mapping, updated_at = excluded.updated_at",
            )
            .bind(self.org_uuid())
            .bind(name)
            .bind(Json(mapping))
            .bind(now())
            .execute(pool)
            .await?;
        });
        Ok(())
    }

    /// Forgets a saved column mapping.
    pub async fn delete_column_mapping(&self, name: &str) -> Result<()> {
        let removed = on_pool!(self.store, pool => {
            sqlx::query("DELETE FROM column_mappings WHERE org_id = $1 AND name = $2")
                .bind(self.org_uuid())
                .bind(name)
                .execute(pool)
                .await?
                .rows_affected()
        });
        if removed == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }

    /// What this organization shares with `partner`, per population.
    pub async fn sharing_towards(&self, partner: OrgId) -> Result<SharingPolicy> {
        sharing_policy(self.store, self.org_uuid(), partner.0).await
    }

    /// Sets what `partner` may see of one population; takes effect with the partner's next read.
    /// Only towards an accepted partner.
    pub async fn set_sharing(
        &self,
        partner: OrgId,
        population: &PopulationSlug,
        share: &Share,
        actor: &Actor,
    ) -> Result<()> {
        if self.accepted_connection_with(partner).await?.is_none() {
            return Err(StoreError::NotFound);
        }
        let org = self.org_uuid();
        write_tx!(self.store, tx => {
            sqlx::query(
                "INSERT INTO sharing_policies (org_id, partner_org_id, population, level, fields, updated_at)
                 VALUES ($1, $2, $3, $4, $5, $6)
                 ON CONFLICT (org_id, partner_org_id, population)
                 DO UPDATE SET level = excluded.level, fields = excluded.fields, updated_at = excluded.updated_at",
            )
            .bind(org)
            .bind(partner.0)
            .bind(population.as_str())
            .bind(share.level.as_str())
            .bind(Json(&share.fields))
            .bind(now())
            .execute(&mut *tx)
            .await?;
            insert_audit!(&mut *tx, org, actor, AuditAction::SharingChanged, partner.to_string(),
                json!({ "population": population.as_str(), "level": share.level.as_str(), "fields": share.fields }));
        });
        Ok(())
    }

    /// The mapping with `partner` as this organization may see it, with one page of the
    /// shared accounts, or `None` when the two are not connected. The partner's sharing
    /// policy is applied here, before anything leaves the store.
    pub async fn shared_with(
        &self,
        partner: OrgId,
        page: &PairPage,
    ) -> Result<Option<SharedMapping>> {
        let Some(connection) = self.accepted_connection_with(partner).await? else {
            return Ok(None);
        };
        let us = self.org_uuid();
        let Some(partner_org) = self.store.org_by_id(partner).await? else {
            return Ok(None);
        };
        let low_is_us: bool = on_pool!(self.store, pool => {
            sqlx::query_scalar("SELECT low_org_id = $2 FROM connections WHERE id = $1")
                .bind(connection.id.0)
                .bind(us)
                .fetch_one(pool)
                .await?
        });
        let (low, high) = if low_is_us {
            (us, partner.0)
        } else {
            (partner.0, us)
        };
        let our_custom = populations_of_org(self.store, us).await?;
        let their_custom = populations_of_org(self.store, partner.0).await?;
        let (low_custom, high_custom) = if low_is_us {
            (&our_custom, &their_custom)
        } else {
            (&their_custom, &our_custom)
        };
        let summary = match self.store.stored_summary(connection.id).await? {
            Some(summary) => summary,
            None => {
                self.store
                    .count_matches(connection.id, (low, low_custom), (high, high_custom))
                    .await?
            }
        };
        let their_policy = sharing_policy(self.store, partner.0, us).await?;
        let our_policy = sharing_policy(self.store, us, partner.0).await?;
        let our_populations = population_infos(&our_custom);
        let their_populations = population_infos(&their_custom);
        let viewer = if low_is_us { Side::Low } else { Side::High };
        let mut mapping =
            summary.matrix(viewer, &our_populations, &their_populations, &their_policy);
        let lister = Lister::new(&their_populations, &their_policy);
        let mut next = None;
        if mapping.listed > 0 && page.limit > 0 {
            let sides = PageSides {
                connection: connection.id,
                viewer,
                ours: (us, &our_custom),
                theirs: (partner.0, &their_custom),
            };
            (mapping.accounts, next) = self.store.shared_page(&sides, &lister, page).await?;
        }
        let freshness = self.store.freshness(connection.id, low, high).await?;
        let corrections = self.store.corrections_seen_by(connection.id, us).await?;
        Ok(Some(SharedMapping {
            connection_id: connection.id,
            partner: partner_org,
            view: mapping,
            next,
            freshness,
            corrections,
            our_policy,
        }))
    }

    /// The account overlap with `partner` for fit scoring: (our accounts, their accounts in
    /// populations they share at least as counts, distinct matches there). `None` when the
    /// two are not connected or the partner shares no counts. Only built-in populations
    /// count here, so the figure never reveals more than the matrix does.
    pub async fn overlap_summary(&self, partner: OrgId) -> Result<Option<(u64, u64, u64)>> {
        let Some(connection) = self.accepted_connection_with(partner).await? else {
            return Ok(None);
        };
        let policy = sharing_policy(self.store, partner.0, self.org_uuid()).await?;
        let shared: Vec<&'static str> = BasePopulation::ALL
            .iter()
            .filter(|base| {
                policy.share(&PopulationSlug::builtin(**base)).level >= SharingLevel::Counts
            })
            .map(|base| base.as_str())
            .collect();
        if shared.is_empty() {
            return Ok(None);
        }
        // The queries below bind one placeholder per built-in population.
        const _: () = assert!(BasePopulation::ALL.len() == 4);
        let ours = self.account_book().await?.accounts;
        let us = self.org_uuid();
        let (theirs, matched): (i64, i64) = on_pool!(self.store, pool => {
            let theirs: i64 = sqlx::query_scalar(
                "SELECT COUNT(*) FROM accounts WHERE org_id = $1 AND population IN ($2, $3, $4, $5)",
            )
            .bind(partner.0)
            .bind(shared.first().copied())
            .bind(shared.get(1).copied())
            .bind(shared.get(2).copied())
            .bind(shared.get(3).copied())
            .fetch_one(pool)
            .await?;
            let matched: i64 = sqlx::query_scalar(
                "SELECT COUNT(DISTINCT m.match_key) FROM account_matches m
                 JOIN connections c ON c.id = m.connection_id
                 JOIN accounts b ON b.org_id = $2
                  AND b.id = CASE WHEN c.low_org_id = $3 THEN m.high_account_id ELSE m.low_account_id END
                 WHERE m.connection_id = $1 AND b.population IN ($4, $5, $6, $7)",
            )
            .bind(connection.id.0)
            .bind(partner.0)
            .bind(us)
            .bind(shared.first().copied())
            .bind(shared.get(1).copied())
            .bind(shared.get(2).copied())
            .bind(shared.get(3).copied())
            .fetch_one(pool)
            .await?;
            (theirs, matched)
        });
        Ok(Some((
            ours.max(0) as u64,
            theirs.max(0) as u64,
            matched.max(0) as u64,
        )))
    }

    /// Records a correction of the mapping with `partner`, seen by both sides, and queues
    /// the recompute that applies it. A manual match names one of our accounts.
    pub async fn correct_match(
        &self,
        partner: OrgId,
        kind: CorrectionKind,
        key: &str,
        account: Option<AccountId>,
        note: &str,
        actor: &Actor,
    ) -> Result<CorrectionId> {
        let connection = self
            .accepted_connection_with(partner)
            .await?
            .ok_or(StoreError::NotFound)?;
        if let Some(account) = account {
            if self.account(account).await?.is_none() {
                return Err(StoreError::NotFound);
            }
        }
        let org = self.org_uuid();
        let id = CorrectionId::new();
        write_tx!(self.store, tx => {
            sqlx::query(
                "INSERT INTO match_corrections (connection_id, id, org_id, kind, match_key, account_id, note, created_by, created_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
            )
            .bind(connection.id.0)
            .bind(id.0)
            .bind(org)
            .bind(kind.as_str())
            .bind(key)
            .bind(account.map(|a| a.0))
            .bind(note)
            .bind(actor.user_id.map(|u| u.0))
            .bind(now())
            .execute(&mut *tx)
            .await?;
            for side in [org, partner.0] {
                insert_audit!(&mut *tx, side, actor, AuditAction::MatchCorrected, connection.id.to_string(),
                    json!({ "kind": kind.as_str(), "key": key, "by": self.scope.org().handle }));
            }
            insert_job!(&mut *tx, &recompute_job(connection.id), now());
        });
        self.store.wake_workers();
        Ok(id)
    }

    /// Withdraws one of this organization's own corrections.
    pub async fn withdraw_correction(
        &self,
        partner: OrgId,
        id: CorrectionId,
        actor: &Actor,
    ) -> Result<()> {
        let connection = self
            .accepted_connection_with(partner)
            .await?
            .ok_or(StoreError::NotFound)?;
        let org = self.org_uuid();
        write_tx!(self.store, tx => {
            let removed = sqlx::query("DELETE FROM match_corrections WHERE connection_id = $1 AND id = $2 AND org_id = $3")
                .bind(connection.id.0)
                .bind(id.0)
                .bind(org)
                .execute(&mut *tx)
                .await?
                .rows_affected();
            if removed == 0 {
                return Err(StoreError::NotFound);
            }
            for side in [org, partner.0] {
                insert_audit!(&mut *tx, side, actor, AuditAction::MatchCorrected, connection.id.to_string(),
                    json!({ "withdrawn": id, "by": self.scope.org().handle }));
            }
            insert_job!(&mut *tx, &recompute_job(connection.id), now());
        });
        self.store.wake_workers();
        Ok(())
    }

    /// Records an export in the audit log.
    pub async fn record_export(
        &self,
        partner: OrgId,
        format: &str,
        rows: usize,
        actor: &Actor,
    ) -> Result<()> {
        let org = self.org_uuid();
        write_tx!(self.store, tx => {
            insert_audit!(&mut *tx, org, actor, AuditAction::MappingExported, partner.to_string(),
                json!({ "format": format, "rows": rows }));
        });
        Ok(())
    }
}

async fn populations_of_org(store: &Store, org: Uuid) -> Result<Vec<CustomPopulation>> {
    let rows: Vec<PopulationRow> = on_pool!(store, pool => {
        sqlx::query_as("SELECT slug, label, rule FROM populations WHERE org_id = $1 ORDER BY label, slug")
            .bind(org)
            .fetch_all(pool)
            .await?
    });
    rows.into_iter().map(custom_population).collect()
}

async fn sharing_policy(store: &Store, owner: Uuid, partner: Uuid) -> Result<SharingPolicy> {
    let rows: Vec<PolicyRow> = on_pool!(store, pool => {
        sqlx::query_as(
            "SELECT population, level, fields FROM sharing_policies WHERE org_id = $1 AND partner_org_id = $2",
        )
        .bind(owner)
        .bind(partner)
        .fetch_all(pool)
        .await?
    });
    Ok(policy(rows))
}

impl Store {
    /// The (low, high) organizations of `connection`, or `None` unless it is accepted.
    async fn accepted_sides(&self, connection: ConnectionId) -> Result<Option<(Uuid, Uuid)>> {
        Ok(on_pool!(self, pool => {
            sqlx::query_as("SELECT low_org_id, high_org_id FROM connections WHERE id = $1 AND status = 'accepted'")
                .bind(connection.0)
                .fetch_optional(pool)
                .await?
        }))
    }

    /// What a recompute of `connection` reads, or `None` when it is no longer accepted.
    pub async fn mapping_sides(&self, connection: ConnectionId) -> Result<Option<MappingSides>> {
        let Some((low, high)) = self.accepted_sides(connection).await? else {
            return Ok(None);
        };
        let read_at = now();
        let versions = (
            self.book_version(low).await?,
            self.book_version(high).await?,
        );
        let low_custom = populations_of_org(self, low).await?;
        let high_custom = populations_of_org(self, high).await?;
        // Fields only decide custom populations: without any, they are not read.
        // One packed text column per account rather than eight: reading two million rows
        // back through sqlx costs per column more than the matching itself.
        let packed = match self.backend() {
            Backend::Sqlite => PACKED_KEYS.replace("chr(", "char("),
            Backend::Postgres => PACKED_KEYS.to_owned(),
        };
        let packed = &packed;
        let keys = |org: Uuid, with_fields: bool| async move {
            let rows: Vec<PackedKeys> = on_pool!(self, pool => {
                sqlx::query_as(packed)
                    .bind(org)
                    .bind(with_fields)
                    .fetch_all(pool)
                    .await?
            });
            rows.into_iter()
                .map(PackedKeys::unpack)
                .collect::<Result<Vec<SideAccount>>>()
        };
        // Each side on its own connection: on SQLite each has its own thread.
        let (low_keys, high_keys) = tokio::try_join!(
            keys(low, !low_custom.is_empty()),
            keys(high, !high_custom.is_empty())
        )?;
        let corrections: Vec<(String, String, Option<Uuid>, Uuid)> = on_pool!(self, pool => {
            sqlx::query_as("SELECT kind, match_key, account_id, org_id FROM match_corrections WHERE connection_id = $1")
                .bind(connection.0)
                .fetch_all(pool)
                .await?
        });
        let mut wrong_keys = Vec::new();
        let mut manual = Vec::new();
        for (kind, key, account, org) in corrections {
            match (kind.as_str(), account) {
                ("wrong", _) => wrong_keys.push(key),
                ("manual", Some(account)) => manual.push((account, org == low, key)),
                _ => {}
            }
        }
        Ok(Some(MappingSides {
            low: low_keys,
            high: high_keys,
            low_custom,
            high_custom,
            versions,
            read_at,
            wrong_keys,
            manual,
        }))
    }

    /// The stored matches of `connection` by the CRM ids of both sides' accounts, or `None`
    /// when it is not accepted. For measuring the matcher against a ground truth (`comark
    /// bench mapping-accuracy`, which holds both organizations); a tenant never gets this,
    /// since the partner's side of a view deliberately carries no partner ids.
    pub async fn matched_crm_ids(&self, connection: ConnectionId) -> Result<Option<MatchedCrmIds>> {
        let Some((low, high)) = self.accepted_sides(connection).await? else {
            return Ok(None);
        };
        let rows: Vec<(String, String, String, bool)> = on_pool!(self, pool => {
            sqlx::query_as(
                "SELECT a.crm_id, b.crm_id, m.confidence, m.manual
                 FROM account_matches m
                 JOIN accounts a ON a.org_id = $2 AND a.id = m.low_account_id
                 JOIN accounts b ON b.org_id = $3 AND b.id = m.high_account_id
                 WHERE m.connection_id = $1",
            )
            .bind(connection.0)
            .bind(low)
            .bind(high)
            .fetch_all(pool)
            .await?
        });
        Ok(Some(MatchedCrmIds {
            low_org: OrgId(low),
            high_org: OrgId(high),
            matches: rows
                .into_iter()
                .map(|(low_crm_id, high_crm_id, confidence, manual)| {
                    Ok(CrmIdMatch {
                        low_crm_id,
                        high_crm_id,
                        confidence: confidence_of(&confidence)?,
                        manual,
                    })
                })
                .collect::<Result<_>>()?,
        }))
    }

    async fn book_version(&self, org: Uuid) -> Result<i64> {
        let version: Option<i64> = on_pool!(self, pool => {
            sqlx::query_scalar("SELECT version FROM account_books WHERE org_id = $1")
                .bind(org)
                .fetch_optional(pool)
                .await?
        });
        Ok(version.unwrap_or(0))
    }

    /// Replaces a connection's matches with a fresh computation, unless it ended meanwhile.
    pub async fn save_mapping(
        &self,
        connection: ConnectionId,
        versions: (i64, i64),
        read_at: DateTime<Utc>,
        matches: &[StoredMatch],
        summary: &MappingSummary,
    ) -> Result<bool> {
        let summary = serde_json::to_string(summary).map_err(|e| StoreError::Corrupt {
            column: "mappings.summary",
            detail: e.to_string(),
        })?;
        write_tx!(self, tx => {
            let accepted: Option<String> = sqlx::query_scalar("SELECT status FROM connections WHERE id = $1 AND status = 'accepted'")
                .bind(connection.0)
                .fetch_optional(&mut *tx)
                .await?;
            if accepted.is_none() {
                return Ok(false);
            }
            sqlx::query("DELETE FROM account_matches WHERE connection_id = $1")
                .bind(connection.0)
                .execute(&mut *tx)
                .await?;
            for chunk in matches.chunks(4_000) {
                let mut insert = QueryBuilder::new(
                    "INSERT INTO account_matches (connection_id, low_account_id, high_account_id, match_key, confidence, manual) ",
                );
                insert.push_values(chunk, |mut row, (low, high, key, confidence, manual)| {
                    row.push_bind(connection.0)
                        .push_bind(*low)
                        .push_bind(*high)
                        .push_bind(key.clone())
                        .push_bind(confidence.as_str())
                        .push_bind(*manual);
                });
                // The same pair can come from a key and a manual match: keep one.
                insert.push(" ON CONFLICT (connection_id, low_account_id, high_account_id) DO NOTHING");
                insert.build().execute(&mut *tx).await?;
            }
            if self.backend() == Backend::Postgres && matches.len() as i64 >= BULK_ROWS {
                sqlx::query("ANALYZE account_matches").execute(&mut *tx).await?;
            }
            sqlx::query(
                "INSERT INTO mappings (connection_id, low_version, high_version, matches, computed_at, summary)
                 VALUES ($1, $2, $3, $4, $5, $6)
                 ON CONFLICT (connection_id) DO UPDATE SET low_version = excluded.low_version,
                    high_version = excluded.high_version, matches = excluded.matches,
                    computed_at = excluded.computed_at, summary = excluded.summary",
            )
            .bind(connection.0)
            .bind(versions.0)
            .bind(versions.1)
            .bind(matches.len() as i64)
            .bind(now())
            .bind(&summary)
            .execute(&mut *tx)
            .await?;
            // Recomputes asked for before the sides were read are done by this one (a command
            // that recomputes at once would otherwise leave the mapping "not fresh" until a
            // worker ran them); one a worker holds finishes on its own.
            sqlx::query(
                "UPDATE jobs SET status = 'done', finished_at = $1
                 WHERE kind = $2 AND status = 'queued' AND created_at <= $3
                   AND (locked_until IS NULL OR locked_until < $1) AND CAST(payload AS TEXT) LIKE $4",
            )
            .bind(now())
            .bind(RECOMPUTE_JOB)
            .bind(read_at)
            .bind(format!("%{}%", connection.0))
            .execute(&mut *tx)
            .await?;
        });
        Ok(true)
    }

    async fn freshness(
        &self,
        connection: ConnectionId,
        low: Uuid,
        high: Uuid,
    ) -> Result<Freshness> {
        let row: Option<(i64, i64, DateTime<Utc>)> = on_pool!(self, pool => {
            sqlx::query_as("SELECT low_version, high_version, computed_at FROM mappings WHERE connection_id = $1")
                .bind(connection.0)
                .fetch_optional(pool)
                .await?
        });
        let current = (
            self.book_version(low).await?,
            self.book_version(high).await?,
        );
        let pending: i64 = on_pool!(self, pool => {
            sqlx::query_scalar("SELECT COUNT(*) FROM jobs WHERE kind = $1 AND status = 'queued' AND CAST(payload AS TEXT) LIKE $2")
                .bind(RECOMPUTE_JOB)
                .bind(format!("%{}%", connection.0))
                .fetch_one(pool)
                .await?
        });
        Ok(match row {
            Some((low_version, high_version, computed_at)) => Freshness {
                computed_at: Some(computed_at),
                fresh: (low_version, high_version) == current && pending == 0,
            },
            None => Freshness {
                computed_at: None,
                fresh: false,
            },
        })
    }

    async fn corrections_seen_by(
        &self,
        connection: ConnectionId,
        viewer: Uuid,
    ) -> Result<Vec<Correction>> {
        let rows: Vec<CorrectionRow> = on_pool!(self, pool => {
            sqlx::query_as(
                "SELECT c.id, c.kind, c.match_key, c.org_id, o.name AS by_name,
                        CASE WHEN c.org_id = $2 THEN a.name END AS account_name, c.note, c.created_at
                 FROM match_corrections c
                 JOIN organizations o ON o.id = c.org_id
                 LEFT JOIN accounts a ON a.org_id = c.org_id AND a.id = c.account_id
                 WHERE c.connection_id = $1
                 ORDER BY c.created_at DESC, c.id DESC",
            )
            .bind(connection.0)
            .bind(viewer)
            .fetch_all(pool)
            .await?
        });
        Ok(rows
            .into_iter()
            .map(|row| Correction {
                id: CorrectionId(row.id),
                kind: if row.kind == "wrong" {
                    CorrectionKind::Wrong
                } else {
                    CorrectionKind::Manual
                },
                key: row.match_key,
                ours: row.org_id == viewer,
                by: row.by_name,
                account_name: row.account_name,
                note: row.note,
                created_at: row.created_at,
            })
            .collect())
    }
}

/// Which page of a mapping's shared accounts to read.
#[derive(Clone, Debug)]
pub struct PairPage {
    /// Start after this pair; `None` for the first page.
    pub after: Option<PairCursor>,
    /// How many accounts at most.
    pub limit: u32,
    /// Only pairs whose account of ours is in this population.
    pub ours: Option<PopulationSlug>,
    /// Only pairs whose account of theirs is in this population (as far as they share it).
    pub theirs: Option<PopulationSlug>,
}

impl PairPage {
    /// The first `limit` shared accounts.
    pub fn first(limit: u32) -> PairPage {
        PairPage {
            after: None,
            limit,
            ours: None,
            theirs: None,
        }
    }

    fn wants(&self, account: &SharedAccount) -> bool {
        self.ours
            .as_ref()
            .is_none_or(|p| account.ours.populations.contains(p))
            && self
                .theirs
                .as_ref()
                .is_none_or(|p| account.theirs.populations.contains(p))
    }
}

/// The two sides of one viewer's page of a mapping, with each side's custom populations.
struct PageSides<'a> {
    connection: ConnectionId,
    viewer: Side,
    ours: (Uuid, &'a [CustomPopulation]),
    theirs: (Uuid, &'a [CustomPopulation]),
}

/// One matched pair as a page of the viewer's mapping reads it.
#[derive(sqlx::FromRow)]
struct PageRow {
    sort_name: String,
    match_key: String,
    confidence: String,
    manual: bool,
    our_id: Uuid,
    our_name: String,
    our_kind: Option<String>,
    our_key: Option<String>,
    our_population: String,
    our_fields: Json<BTreeMap<String, String>>,
    their_id: Uuid,
    their_name: String,
    their_kind: Option<String>,
    their_key: Option<String>,
    their_population: String,
    their_fields: Json<BTreeMap<String, String>>,
}

/// One matched pair as the summary counts it; fields only where custom populations need them.
#[derive(sqlx::FromRow)]
struct CountRow {
    match_key: String,
    confidence: String,
    manual: bool,
    low_population: String,
    low_fields: Option<Json<BTreeMap<String, String>>>,
    high_population: String,
    high_fields: Option<Json<BTreeMap<String, String>>>,
}

fn mapped_account(
    id: Uuid,
    name: String,
    kind: Option<String>,
    key: Option<String>,
    base: &str,
    fields: BTreeMap<String, String>,
    custom: &[CustomPopulation],
) -> Result<MappedAccount> {
    Ok(MappedAccount {
        id,
        populations: populations_of(population(base)?, &fields, custom),
        name,
        domain: domain_of(kind.as_deref(), key),
        fields,
    })
}

/// Rows read per query while a page is filled: pairs the partner hides are skipped.
const PAGE_BATCH: u32 = 500;

impl Store {
    /// The summary stored with a connection's matches, if it is current.
    async fn stored_summary(&self, connection: ConnectionId) -> Result<Option<MappingSummary>> {
        let stored: Option<Option<String>> = on_pool!(self, pool => {
            sqlx::query_scalar("SELECT summary FROM mappings WHERE connection_id = $1")
                .bind(connection.0)
                .fetch_optional(pool)
                .await?
        });
        match stored.flatten() {
            None => Ok(None),
            Some(json) => serde_json::from_str(&json)
                .map(Some)
                .map_err(|e| StoreError::Corrupt {
                    column: "mappings.summary",
                    detail: e.to_string(),
                }),
        }
    }

    /// Counts a connection's stored matches when no current summary is stored (a population
    /// changed since, and the recompute that follows has not run yet).
    async fn count_matches(
        &self,
        connection: ConnectionId,
        low: (Uuid, &[CustomPopulation]),
        high: (Uuid, &[CustomPopulation]),
    ) -> Result<MappingSummary> {
        let rows: Vec<CountRow> = on_pool!(self, pool => {
            sqlx::query_as(
                "SELECT m.match_key, m.confidence, m.manual,
                        a.population AS low_population, CASE WHEN $4 THEN a.fields END AS low_fields,
                        b.population AS high_population, CASE WHEN $5 THEN b.fields END AS high_fields
                 FROM account_matches m
                 JOIN accounts a ON a.org_id = $2 AND a.id = m.low_account_id
                 JOIN accounts b ON b.org_id = $3 AND b.id = m.high_account_id
                 WHERE m.connection_id = $1",
            )
            .bind(connection.0)
            .bind(low.0)
            .bind(high.0)
            .bind(!low.1.is_empty())
            .bind(!high.1.is_empty())
            .fetch_all(pool)
            .await?
        });
        let no_fields = BTreeMap::new();
        let mut pairs = Vec::with_capacity(rows.len());
        for row in &rows {
            let populations = |base: &str, fields: &Option<Json<_>>, custom| -> Result<_> {
                let fields = fields.as_ref().map_or(&no_fields, |f: &Json<_>| &f.0);
                Ok(populations_of(population(base)?, fields, custom))
            };
            pairs.push((
                confidence_of(&row.confidence)?,
                populations(&row.low_population, &row.low_fields, low.1)?,
                populations(&row.high_population, &row.high_fields, high.1)?,
            ));
        }
        Ok(MappingSummary::of(rows.iter().zip(&pairs).map(
            |(row, (confidence, low, high))| SummaryPair {
                key: &row.match_key,
                confidence: *confidence,
                manual: row.manual,
                low,
                high,
            },
        )))
    }

    /// One page of the pairs the viewer may see, in the order of its account names, and the
    /// cursor of the next page if there is one. Reads in batches, in SQL order, so a page of a
    /// million-pair mapping costs a page's worth of rows.
    async fn shared_page(
        &self,
        sides: &PageSides<'_>,
        lister: &Lister,
        page: &PairPage,
    ) -> Result<(Vec<SharedAccount>, Option<PairCursor>)> {
        let (our_column, their_column) = match sides.viewer {
            Side::Low => ("low_account_id", "high_account_id"),
            Side::High => ("high_account_id", "low_account_id"),
        };
        // Byte order on both backends, as the index `accounts_by_sort_name` holds it. The
        // CROSS JOINs make SQLite walk that index and stop at the page's end (its planner
        // otherwise starts from the matches and sorts all of them: 4-5 s at 1M × 1M).
        let sort = match self.backend() {
            Backend::Sqlite => "lower(a.name)",
            Backend::Postgres => "lower(a.name) COLLATE \"C\"",
        };
        let select = format!(
            "SELECT {sort} AS sort_name, m.match_key, m.confidence, m.manual,
                    a.id AS our_id, a.name AS our_name, a.key_kind AS our_kind, a.match_key AS our_key,
                    a.population AS our_population, a.fields AS our_fields,
                    b.id AS their_id, b.name AS their_name, b.key_kind AS their_kind, b.match_key AS their_key,
                    b.population AS their_population, b.fields AS their_fields
             FROM accounts a CROSS JOIN account_matches m CROSS JOIN accounts b
             WHERE a.org_id = $2 AND m.connection_id = $1 AND m.{our_column} = a.id
               AND b.org_id = $3 AND b.id = m.{their_column}"
        );
        let order = format!("ORDER BY {sort}, a.id, m.match_key, b.id LIMIT $4");
        let first = format!("{select} {order}");
        let after = format!(
            "{select} AND {sort} >= $5 AND ({sort}, a.id, m.match_key, b.id) > ($5, $6, $7, $8) {order}"
        );
        let limit = page.limit as usize;
        let batch = PAGE_BATCH.max(page.limit + 1);
        let mut cursor = page.after.clone();
        let mut shown: Vec<(SharedAccount, PairCursor)> = Vec::with_capacity(limit + 1);
        loop {
            let rows: Vec<PageRow> = on_pool!(self, pool => {
                let query = match &cursor {
                    None => sqlx::query_as(&first),
                    Some(_) => sqlx::query_as(&after),
                };
                let mut query = query
                    .bind(sides.connection.0)
                    .bind(sides.ours.0)
                    .bind(sides.theirs.0)
                    .bind(i64::from(batch));
                if let Some(c) = &cursor {
                    query = query.bind(&c.sort_name).bind(c.ours).bind(&c.key).bind(c.theirs);
                }
                query.fetch_all(pool).await?
            });
            let fetched = rows.len();
            for row in rows {
                let at = PairCursor {
                    sort_name: row.sort_name,
                    ours: row.our_id,
                    key: row.match_key,
                    theirs: row.their_id,
                };
                let theirs = mapped_account(
                    row.their_id,
                    row.their_name,
                    row.their_kind,
                    row.their_key,
                    &row.their_population,
                    row.their_fields.0,
                    sides.theirs.1,
                )?;
                let ours = mapped_account(
                    row.our_id,
                    row.our_name,
                    row.our_kind,
                    row.our_key,
                    &row.our_population,
                    row.our_fields.0,
                    sides.ours.1,
                )?;
                let confidence = confidence_of(&row.confidence)?;
                if let Some(account) = lister
                    .shared(&at.key, confidence, row.manual, &ours, &theirs)
                    .filter(|account| page.wants(account))
                {
                    shown.push((account, at.clone()));
                }
                cursor = Some(at);
                if shown.len() > limit {
                    break;
                }
            }
            if shown.len() > limit || fetched < batch as usize {
                break;
            }
        }
        let next = if shown.len() > limit {
            shown.truncate(limit);
            shown.last().map(|(_, at)| at.clone())
        } else {
            None
        };
        Ok((
            shown.into_iter().map(|(account, _)| account).collect(),
            next,
        ))
    }
}
