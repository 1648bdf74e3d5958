//! The population column: how each value is read, and the tally of what was read.
//!
//! Every row lands. A blank value takes the mapping's default population, a value in the
//! user's reading takes theirs, a CRM's standard value takes comark's reading
//! ([`BasePopulation::from_crm_value`]), and any other value takes the mapping's
//! unreadable-value population. The import then says, value by value, how many rows went
//! where, so nothing is reclassified silently.

use std::collections::{BTreeMap, HashMap};

use comark_domain::accounts::BasePopulation;
use serde::{Deserialize, Serialize};

use super::ColumnMapping;

/// How many values an import result lists, most rows first; the rest are summed.
pub const LISTED_VALUES: usize = 50;
/// How many distinct values an import tells apart. Past this (a column of names mapped as the
/// population, say) further new values are only counted as rows, so memory stays flat.
pub const TRACKED_VALUES: usize = 10_000;

/// How a population value was read.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReadAs {
    /// The cell was empty (or the file has no population column): the default population.
    Blank,
    /// The user said what the value means (`population_values`).
    Yours,
    /// A CRM's standard value, read as comark reads it.
    Standard,
    /// Neither: the mapping's unreadable-value population.
    Unreadable,
}

impl ReadAs {
    /// Why the rows went where they did, for people.
    pub fn reason(self) -> &'static str {
        match self {
            ReadAs::Blank => "the default population",
            ReadAs::Yours => "your reading",
            ReadAs::Standard => "standard reading",
            ReadAs::Unreadable => "a value comark does not know",
        }
    }
}

/// The key a value is looked up and tallied under: trimmed, lower case.
pub fn value_key(value: &str) -> String {
    value.trim().to_lowercase()
}

/// Reads population values with a mapping's choices.
#[derive(Clone, Debug)]
pub(super) struct PopulationReading {
    default_population: BasePopulation,
    unreadable_population: BasePopulation,
    /// The user's reading, by [`value_key`].
    yours: BTreeMap<String, BasePopulation>,
}

impl PopulationReading {
    pub(super) fn new(mapping: &ColumnMapping) -> Self {
        PopulationReading {
            default_population: mapping.default_population,
            unreadable_population: mapping.unreadable_population,
            yours: mapping
                .population_values
                .iter()
                .map(|(value, population)| (value_key(value), *population))
                .collect(),
        }
    }

    /// Where a row with this (trimmed) value goes, and why. Never fails: every row lands.
    pub(super) fn read(&self, value: &str) -> (BasePopulation, ReadAs) {
        if value.is_empty() {
            return (self.default_population, ReadAs::Blank);
        }
        if let Some(population) = self.yours.get(&value_key(value)) {
            return (*population, ReadAs::Yours);
        }
        match BasePopulation::from_crm_value(value) {
            Some(population) => (population, ReadAs::Standard),
            None => (self.unreadable_population, ReadAs::Unreadable),
        }
    }

    /// Where rows go when the file has no population column.
    pub(super) fn without_column(&self) -> (BasePopulation, ReadAs) {
        (self.default_population, ReadAs::Blank)
    }
}

/// One value of the population column with the rows that had it and where they went.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ValueCount {
    /// The value as it was first met (values differing only in case are one value); empty
    /// for blank cells.
    pub value: String,
    /// How many rows had it.
    pub rows: u64,
    /// How it was read.
    pub read_as: ReadAs,
    /// The population its rows went to.
    pub population: BasePopulation,
}

impl ValueCount {
    /// The line people read: `10,175 rows with Type "Other" counted as unclassified
    /// (standard reading)`.
    pub fn describe(&self, column: Option<&str>) -> String {
        let rows = match self.rows {
            1 => "1 row".to_owned(),
            n => format!("{} rows", thousands(n)),
        };
        let with = match (column, self.value.as_str()) {
            (None, _) => "without a population column".to_owned(),
            (Some(column), "") => format!("with no {column}"),
            (Some(column), value) => format!("with {column} \"{value}\""),
        };
        format!(
            "{rows} {with} counted as {} ({})",
            self.population.as_str(),
            self.read_as.reason()
        )
    }
}

/// How an import read its population column: the values, most rows first, and where their
/// rows went. Kept with the import's result.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct PopulationTally {
    /// The header of the population column; `None` when the mapping has none.
    pub column: Option<String>,
    /// Rows that landed, per population.
    pub rows_by_population: BTreeMap<BasePopulation, u64>,
    /// The values with the most rows, at most [`LISTED_VALUES`].
    pub values: Vec<ValueCount>,
    /// How many other values there were (a lower bound when `all_values_told_apart` is false).
    pub more_values: u64,
    /// How many rows those other values had.
    pub more_rows: u64,
    /// Whether every distinct value was told apart (false past [`TRACKED_VALUES`]).
    pub all_values_told_apart: bool,
}

impl PopulationTally {
    /// Rows whose value comark could not read, listed or not.
    pub fn unreadable_rows(&self) -> u64 {
        self.values
            .iter()
            .filter(|v| v.read_as == ReadAs::Unreadable)
            .map(|v| v.rows)
            .sum()
    }

    /// The sentence for what is not listed, if anything: `and 12 other values in 340 rows`.
    pub fn describe_rest(&self) -> Option<String> {
        if self.more_rows == 0 {
            return None;
        }
        let values = match (self.more_values, self.all_values_told_apart) {
            (1, true) => "1 other value".to_owned(),
            (n, true) => format!("{} other values", thousands(n)),
            (n, false) => format!("at least {} other values", thousands(n)),
        };
        Some(format!(
            "and {values} in {} {}",
            thousands(self.more_rows),
            if self.more_rows == 1 { "row" } else { "rows" }
        ))
    }
}

/// Counts values as rows land, telling at most [`TRACKED_VALUES`] of them apart.
#[derive(Debug, Default)]
pub(super) struct PopulationCounter {
    column: Option<String>,
    by_key: HashMap<String, ValueCount>,
    /// Every row counted, whether its value was told apart or not.
    rows_by_population: BTreeMap<BasePopulation, u64>,
    untracked_rows: u64,
}

impl PopulationCounter {
    pub(super) fn new(column: Option<String>) -> Self {
        PopulationCounter {
            column,
            ..PopulationCounter::default()
        }
    }

    /// Counts one row that landed with `value` (trimmed), read as `read_as` into `population`.
    pub(super) fn count(&mut self, value: &str, population: BasePopulation, read_as: ReadAs) {
        *self.rows_by_population.entry(population).or_default() += 1;
        let key = value_key(value);
        if let Some(seen) = self.by_key.get_mut(&key) {
            seen.rows += 1;
            return;
        }
        if self.by_key.len() >= TRACKED_VALUES {
            self.untracked_rows += 1;
            return;
        }
        self.by_key.insert(
            key,
            ValueCount {
                value: value.to_owned(),
                rows: 1,
                read_as,
                population,
            },
        );
    }

    /// The tally so far.
    pub(super) fn tally(&self) -> PopulationTally {
        let mut values: Vec<ValueCount> = self.by_key.values().cloned().collect();
        values.sort_by(|a, b| b.rows.cmp(&a.rows).then_with(|| a.value.cmp(&b.value)));
        let rest = values.split_off(values.len().min(LISTED_VALUES));
        let all_values_told_apart = self.untracked_rows == 0;
        PopulationTally {
            column: self.column.clone(),
            rows_by_population: self.rows_by_population.clone(),
            values,
            more_values: rest.len() as u64 + u64::from(!all_values_told_apart),
            more_rows: rest.iter().map(|v| v.rows).sum::<u64>() + self.untracked_rows,
            all_values_told_apart,
        }
    }
}

/// 10175 → "10,175".
fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (at, digit) in digits.chars().enumerate() {
        if at > 0 && (digits.len() - at).is_multiple_of(3) {
            out.push(',');
        }
        out.push(digit);
    }
    out
}
