//! The row rules: how one CSV record becomes an account, or why it cannot.

use std::collections::{BTreeMap, BTreeSet};

use comark_domain::{forbidden_character, forbidden_character_message};
use comark_matching::{company_domain_of_email, fold_company_name, registrable_domain};
use csv::StringRecord;

use super::mapping::slugify;
use super::populations::{PopulationReading, ReadAs};
use super::{
    ColumnMapping, ImportError, ImportedAccount, RowError, KNOWN_FIELDS, MAX_NAME_CHARS,
    MAX_VALUE_CHARS,
};

/// A mapping resolved against one file's headers, ready to apply to each row.
#[derive(Debug)]
pub(super) struct RowRules {
    /// How many columns the header has.
    width: usize,
    name: Column,
    crm_id: Option<Column>,
    website: Option<Column>,
    /// Further website columns and an e-mail column: keys only.
    also_websites: Vec<Column>,
    email: Option<Column>,
    population: Option<Column>,
    /// The other known fields, then the extras: where each value goes in `fields`.
    fields: Vec<(Column, String)>,
    /// How population values are read.
    reading: PopulationReading,
}

/// An account read from a row, with the population value it was given and how it was read.
#[derive(Debug)]
pub(super) struct ReadRow<'r> {
    pub(super) account: ImportedAccount,
    /// The trimmed population cell (empty without a population column).
    pub(super) population_value: &'r str,
    pub(super) read_as: ReadAs,
}

/// A column: its position and its header (for error messages).
#[derive(Debug)]
struct Column {
    index: usize,
    header: String,
}

impl RowRules {
    /// Resolves `mapping` against `headers`; a header that appears twice is the first one.
    pub(super) fn new(headers: &[String], mapping: &ColumnMapping) -> Result<Self, ImportError> {
        if !mapping.columns.contains_key("name") {
            return Err(ImportError::NoNameColumn);
        }
        let find = |header: &str| {
            let header = header.trim();
            headers
                .iter()
                .position(|h| h == header)
                .map(|index| Column {
                    index,
                    header: header.to_owned(),
                })
        };
        let missing = |field: String, header: &str| ImportError::MissingColumn {
            field,
            header: header.trim().to_owned(),
        };
        let column = |field: &str, header: &str| {
            find(header).ok_or_else(|| missing(field.to_owned(), header))
        };

        let (mut name, mut crm_id, mut website, mut population) = (None, None, None, None);
        let mut email = None;
        let mut fields = Vec::new();
        for (field, header) in &mapping.columns {
            let slot = match field.as_str() {
                "name" => &mut name,
                "crm_id" => &mut crm_id,
                "website" => &mut website,
                "email" => &mut email,
                "population" => &mut population,
                other if KNOWN_FIELDS.contains(&other) => {
                    fields.push((column(field, header)?, field.clone()));
                    continue;
                }
                other => return Err(ImportError::UnknownField(other.to_owned())),
            };
            *slot = Some(column(field, header)?);
        }

        // Extras never overwrite a known field, nor each other: a clashing slug is numbered.
        let mut taken: BTreeSet<String> = KNOWN_FIELDS.iter().map(|&f| f.to_owned()).collect();
        let mut also_websites = Vec::new();
        for header in &mapping.also_websites {
            let column = find(header).ok_or_else(|| missing("website".to_owned(), header))?;
            if !also_websites
                .iter()
                .any(|c: &Column| c.index == column.index)
            {
                also_websites.push(column);
            }
        }
        let mut used: BTreeSet<usize> = [&name, &crm_id, &website, &email, &population]
            .into_iter()
            .flatten()
            .chain(fields.iter().map(|(column, _)| column))
            .chain(&also_websites)
            .map(|column| column.index)
            .collect();
        for header in &mapping.extra {
            let extra = find(header).ok_or_else(|| missing(slugify(header, 0), header))?;
            if !used.insert(extra.index) {
                continue;
            }
            let slug = slugify(header, extra.index);
            let mut key = slug.clone();
            for n in 2.. {
                if !taken.contains(&key) {
                    break;
                }
                key = format!("{slug}_{n}");
            }
            taken.insert(key.clone());
            fields.push((extra, key));
        }

        Ok(RowRules {
            width: headers.len(),
            name: name.expect("checked above that the mapping has a name column"),
            crm_id,
            website,
            also_websites,
            email,
            population,
            fields,
            reading: PopulationReading::new(mapping),
        })
    }

    /// The header of the population column, if the mapping has one.
    pub(super) fn population_column(&self) -> Option<&str> {
        self.population
            .as_ref()
            .map(|column| column.header.as_str())
    }

    /// The account in `record` (row number `row`), its first error, or `None` for a row with
    /// nothing in it, which spreadsheets leave behind and nobody means as an account.
    pub(super) fn apply<'r>(
        &self,
        row: u64,
        record: &'r StringRecord,
    ) -> Option<Result<ReadRow<'r>, RowError>> {
        if is_blank(record) {
            return None;
        }
        Some(self.account(row, record))
    }

    fn account<'r>(&self, row: u64, record: &'r StringRecord) -> Result<ReadRow<'r>, RowError> {
        // Spreadsheets pad rows with trailing delimiters, so surplus empty cells are fine;
        // surplus values or missing cells mean the columns no longer line up.
        let surplus = || record.iter().skip(self.width);
        if record.len() < self.width || surplus().any(|cell| !cell.trim().is_empty()) {
            return Err(RowError {
                row,
                column: None,
                reason: format!(
                    "row has {} columns, the header has {}",
                    record.len(),
                    self.width
                ),
            });
        }
        let error = |column: &Column, reason: String| RowError {
            row,
            column: Some(column.header.clone()),
            reason,
        };
        // A control character (NUL above all, which PostgreSQL cannot store) means the row
        // is damaged: it is rejected with the column, never stored or silently changed.
        let cell = |column: &Column| {
            let value = record.get(column.index).unwrap_or_default().trim();
            match forbidden_character(value) {
                Some(c) => Err(error(column, forbidden_character_message(c))),
                None => Ok(value),
            }
        };
        let value = |column: &Column| {
            let value = cell(column)?;
            if exceeds(value, MAX_VALUE_CHARS) {
                let reason = format!("the value is longer than {MAX_VALUE_CHARS} characters");
                return Err(error(column, reason));
            }
            Ok(value)
        };

        let name = cell(&self.name)?;
        if name.is_empty() {
            return Err(error(&self.name, "the account name is empty".to_owned()));
        }
        if exceeds(name, MAX_NAME_CHARS) {
            return Err(error(
                &self.name,
                format!("the account name is longer than {MAX_NAME_CHARS} characters"),
            ));
        }
        // Every cell that may name the company's site: the website first, then the others.
        let mut sites: Vec<&str> = Vec::new();
        for column in self.website.iter().chain(&self.also_websites) {
            let site = value(column)?;
            if !site.is_empty() && !sites.contains(&site) {
                sites.push(site);
            }
        }
        let email_domain = match &self.email {
            Some(column) => company_domain_of_email(value(column)?),
            None => None,
        };
        let website = sites.first().copied();
        let mut other_sites: Vec<String> = sites.iter().skip(1).map(|s| (*s).to_owned()).collect();
        other_sites.extend(email_domain);
        let crm_id = match &self.crm_id {
            Some(column) => match value(column)? {
                "" => return Err(error(column, "the CRM id is empty".to_owned())),
                id => id.to_owned(),
            },
            None => synthesized_id(
                name,
                sites
                    .iter()
                    .copied()
                    .chain(other_sites.iter().map(String::as_str)),
            ),
        };
        // Every row lands whatever its population value: the value is only read, never refused.
        let (population_value, (population, read_as)) = match &self.population {
            Some(column) => {
                let text = value(column)?;
                (text, self.reading.read(text))
            }
            None => ("", self.reading.without_column()),
        };
        let mut fields = BTreeMap::new();
        for (column, key) in &self.fields {
            let value = value(column)?;
            if !value.is_empty() {
                fields.insert(key.clone(), value.to_owned());
            }
        }
        let account = ImportedAccount {
            row,
            crm_id,
            name: name.to_owned(),
            website: website.map(str::to_owned),
            other_sites,
            population,
            fields,
        };
        Ok(ReadRow {
            account,
            population_value,
            read_as,
        })
    }
}

/// Whether a record holds nothing but whitespace.
pub(super) fn is_blank(record: &StringRecord) -> bool {
    record.iter().all(|cell| cell.trim().is_empty())
}

/// The id of an account whose file has no id column, the same on every import of the same
/// data so that re-importing a file updates accounts instead of duplicating them: the key
/// comark matches on (its registrable domain, else its folded name), or the trimmed name
/// itself when it folds to nothing.
fn synthesized_id<'a>(name: &str, mut sites: impl Iterator<Item = &'a str>) -> String {
    if let Some(domain) = sites.find_map(registrable_domain) {
        return format!("key:{domain}");
    }
    match fold_company_name(name) {
        folded if folded.is_empty() => format!("key:name:{name}"),
        folded => format!("key:name:{folded}"),
    }
}

/// Whether `text` has more than `max` characters (counted only when its bytes could).
fn exceeds(text: &str, max: usize) -> bool {
    text.len() > max && text.chars().count() > max
}
