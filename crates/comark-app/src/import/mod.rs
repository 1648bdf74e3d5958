//! Reading accounts (companies) from the CSV files CRMs export.
//!
//! An import has two steps:
//! 1. [`sniff`] looks at the first bytes of the file (say 64 KiB): its encoding, delimiter,
//!    headers, which CRM wrote it, a suggested [`ColumnMapping`] and a few sample rows, so the
//!    person importing can confirm or fix the mapping before anything is read for real.
//! 2. [`AccountReader`] then streams the whole file, one row at a time, applying the
//!    confirmed mapping. Files can hold a million rows, so nothing here keeps more than one
//!    row in memory, and a row that never ends (an unclosed quote) stops the import instead of
//!    swallowing the rest of the file.
//!
//! Pure parsing: no database and no async. A bad row is a [`RowError`] that names its row and
//! column and says what to fix; only what makes the whole file unreadable is an
//! [`ImportError`].

mod mapping;
mod populations;
mod reader;
mod rules;
mod sniff;
#[cfg(test)]
mod tests;

use std::collections::BTreeMap;
use std::fmt;

use comark_domain::accounts::BasePopulation;
use serde::{Deserialize, Serialize};

pub use populations::{
    value_key, PopulationTally, ReadAs, ValueCount, LISTED_VALUES, TRACKED_VALUES,
};
pub use reader::{read_populations, AccountReader};
pub use sniff::sniff;

/// Which CRM produced a file, recognized by its headers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CrmFormat {
    /// A Salesforce account report.
    Salesforce,
    /// A HubSpot company export.
    Hubspot,
    /// Anything else: a spreadsheet, another CRM.
    Other,
}

/// The account fields comark knows by name.
pub const KNOWN_FIELDS: &[&str] = &[
    "crm_id",
    "name",
    "website",
    "email",
    "population",
    "owner",
    "stage",
    "industry",
    "country",
    "region",
    "employees",
    "annual_revenue",
];

/// The fields that identify an account and are always read: never offered as shared fields.
/// (An `email` column is read for its company domain only and never stored: it names a
/// person.)
const IDENTITY_FIELDS: [&str; 5] = ["crm_id", "name", "website", "email", "population"];

/// The known fields an owner may show partners at "overlapping accounts with fields".
pub fn shareable_fields() -> impl Iterator<Item = &'static str> {
    KNOWN_FIELDS
        .iter()
        .copied()
        .filter(|field| !IDENTITY_FIELDS.contains(field))
}

/// The longest account name, in characters after trimming.
pub const MAX_NAME_CHARS: usize = 300;
/// The longest value of any other cell comark keeps, in characters after trimming.
pub const MAX_VALUE_CHARS: usize = 1000;
/// How many data rows [`sniff`] shows.
pub const SAMPLE_ROWS: usize = 10;

/// Which column feeds which field, confirmed by the user and savable for next time.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ColumnMapping {
    /// Known field name -> header of the column that feeds it.
    pub columns: BTreeMap<String, String>,
    /// Other headers kept as extra fields, stored under their slugified header (lower case,
    /// runs of other characters than letters and digits turned into one `_`); a slug taken by
    /// a known field or an earlier extra gets `_2`, `_3`...
    pub extra: Vec<String>,
    /// Population of rows with no population column or an empty value.
    pub default_population: BasePopulation,
    /// Population of rows whose value is neither in `population_values` nor a CRM's
    /// standard value: such a row lands here rather than being rejected.
    pub unreadable_population: BasePopulation,
    /// The user's own reading of CRM values (lower-cased value -> population); wins over the
    /// standard reading.
    pub population_values: BTreeMap<String, BasePopulation>,
    /// Further columns that may hold the company's website or domain (HubSpot's `Website
    /// URL` beside its `Company Domain Name`): read for matching only.
    pub also_websites: Vec<String>,
}

impl Default for ColumnMapping {
    fn default() -> Self {
        ColumnMapping {
            columns: BTreeMap::new(),
            extra: Vec::new(),
            // An account nobody classified is the weakest claim: calling it a customer would
            // overstate what a partner learns from an overlap.
            default_population: BasePopulation::Prospect,
            // A value nobody can read says nothing about the relationship; counting it as a
            // prospect or more would tell partners something that is not known.
            unreadable_population: BasePopulation::Unclassified,
            population_values: BTreeMap::new(),
            also_websites: Vec::new(),
        }
    }
}

/// What the first bytes of a file tell: encoding, delimiter, headers, CRM, a suggested mapping
/// and sample rows.
#[derive(Clone, Debug, Serialize)]
pub struct Sniffed {
    /// The encoding's name as encoding_rs spells it (`UTF-8`, `windows-1252`, `UTF-16LE`...).
    pub encoding: &'static str,
    /// Whether the file starts with a byte order mark (which then decided the encoding).
    pub had_bom: bool,
    /// The field delimiter: `,`, `;`, tab or `|`.
    pub delimiter: u8,
    /// The header row, trimmed, blank cells named `column N`.
    pub headers: Vec<String>,
    /// The CRM that wrote the file.
    pub format: CrmFormat,
    /// The mapping comark proposes; `extra` is empty, the user opts in to extra fields.
    pub suggested: ColumnMapping,
    /// Up to [`SAMPLE_ROWS`] data rows, cells as they are in the file.
    pub sample: Vec<Vec<String>>,
    /// What the suggested mapping would reject among the sample rows (empty when the
    /// suggestion has no name column).
    pub sample_errors: Vec<RowError>,
}

/// One account read from a row.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ImportedAccount {
    /// The row it came from, numbered as in [`RowError::row`].
    pub row: u64,
    /// The CRM's id, or a deterministic `key:...` id when the file has none (see
    /// [`AccountReader`]).
    pub crm_id: String,
    /// The company name, trimmed.
    pub name: String,
    /// The website as written (trimmed); the matcher decides what it is worth. When the
    /// website column is empty, the first of the other website columns that is not.
    pub website: Option<String>,
    /// What else names the company's site, for matching only: the other website columns'
    /// values and the company domain of an e-mail address (free webmail left out).
    pub other_sites: Vec<String>,
    /// Its built-in population, as the mapping read the population column.
    pub population: BasePopulation,
    /// The other mapped fields and the extras, trimmed, blanks left out.
    pub fields: BTreeMap<String, String>,
}

impl ImportedAccount {
    /// Every key the account meets a partner's on: the domains of its website and of what
    /// else names its site, its folded name, and the country its `country` field names.
    pub fn keys(&self) -> comark_matching::AccountKeys {
        comark_matching::AccountKeys::for_account(
            &self.name,
            self.website
                .iter()
                .chain(&self.other_sites)
                .map(String::as_str),
        )
        .in_country(self.fields.get("country").map(String::as_str))
    }
}

/// Why a row was rejected: row number as a spreadsheet shows it (header = row 1), the column
/// header, the reason.
///
/// The row number counts CSV records, the header being 1: a cell spanning several lines is
/// still one row, as in a spreadsheet, and when no cell spans lines it is also the line
/// number a text editor shows. Empty lines are not records and are not counted.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RowError {
    /// The record number, the header being row 1.
    pub row: u64,
    /// The header of the offending column, when one column is at fault.
    pub column: Option<String>,
    /// What is wrong, in words the person who fixes the file understands.
    pub reason: String,
}

impl fmt::Display for RowError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.column {
            Some(column) => write!(f, "row {}, column '{column}': {}", self.row, self.reason),
            None => write!(f, "row {}: {}", self.row, self.reason),
        }
    }
}

impl std::error::Error for RowError {}

/// Why a whole file cannot be read.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// Nothing in the file but perhaps a byte order mark and empty lines.
    #[error("the file is empty")]
    Empty,
    /// The first row has no column names.
    #[error("the first row of the file has no column names")]
    NoHeader,
    /// The encoding label is not one comark can decode.
    #[error("'{0}' is not a text encoding comark knows (try UTF-8 or windows-1252)")]
    UnknownEncoding(String),
    /// The mapping names a column the file does not have.
    #[error("the file has no column '{header}', which the mapping uses for {field}")]
    MissingColumn {
        /// The field (or extra field) the column was to feed.
        field: String,
        /// The header the mapping expects.
        header: String,
    },
    /// The mapping does not say which column holds the account name.
    #[error("choose the column that holds the account name")]
    NoNameColumn,
    /// The mapping feeds a field comark does not know (a mapping saved by another version).
    #[error("'{0}' is not an account field; map the column as an extra field instead")]
    UnknownField(String),
    /// The file cannot be read past this row.
    #[error("row {row}: {reason}")]
    Malformed {
        /// The record being read, numbered as in [`RowError::row`].
        row: u64,
        /// What went wrong.
        reason: String,
    },
    /// Reading the file failed.
    #[error("could not read the file: {0}")]
    Io(#[from] std::io::Error),
}
