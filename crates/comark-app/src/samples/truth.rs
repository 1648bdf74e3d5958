//! The ground truth of a sample, and scoring a mapping against it.

use std::collections::{HashMap, HashSet};
use std::fmt;

use serde::Serialize;

use crate::csv_out::{Cell, CsvWriter};

/// A true company, numbered from 0 in the order the generator made them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct CompanyId(pub u32);

impl fmt::Display for CompanyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "C{:07}", self.0)
    }
}

/// What a true company is, for reading the truth file.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct TrueCompany {
    /// Its name without a legal form, as it writes it itself.
    pub name: String,
    /// Its registrable domain.
    pub domain: String,
    /// Its country's ISO code.
    pub country: &'static str,
}

/// One row of an export: its CRM id and the true company it is.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct TruthRow {
    /// The row's `Account ID` or `Record ID`.
    pub crm_id: String,
    /// The company it is.
    pub company: CompanyId,
}

/// Which true company every row of the two exports is.
#[derive(Clone, Debug)]
pub struct GroundTruth {
    /// Every true company, indexed by [`CompanyId`].
    pub companies: Vec<TrueCompany>,
    /// The Salesforce report's rows, in file order.
    pub salesforce: Vec<TruthRow>,
    /// The HubSpot export's rows, in file order.
    pub hubspot: Vec<TruthRow>,
    salesforce_index: HashMap<String, CompanyId>,
    hubspot_index: HashMap<String, CompanyId>,
}

/// Counts of right and wrong answers, and the figures made of them.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Accuracy {
    /// Predicted and true.
    pub true_positives: u64,
    /// Predicted but not true.
    pub false_positives: u64,
    /// True but not predicted.
    pub false_negatives: u64,
}

impl Accuracy {
    /// The share of predictions that are true; 0 when nothing was predicted.
    pub fn precision(&self) -> f64 {
        ratio(
            self.true_positives,
            self.true_positives + self.false_positives,
        )
    }

    /// The share of the truth that was predicted; 0 when there was nothing to find.
    pub fn recall(&self) -> f64 {
        ratio(
            self.true_positives,
            self.true_positives + self.false_negatives,
        )
    }

    /// The harmonic mean of precision and recall.
    pub fn f1(&self) -> f64 {
        ratio(
            2 * self.true_positives,
            2 * self.true_positives + self.false_positives + self.false_negatives,
        )
    }
}

impl fmt::Display for Accuracy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "precision {:.3} recall {:.3} F1 {:.3} (TP {} FP {} FN {})",
            self.precision(),
            self.recall(),
            self.f1(),
            self.true_positives,
            self.false_positives,
            self.false_negatives
        )
    }
}

fn ratio(part: u64, whole: u64) -> f64 {
    if whole == 0 {
        0.0
    } else {
        part as f64 / whole as f64
    }
}

/// How a set of matches compares with the truth.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Score {
    /// On distinct pairs of true companies, the figure that counts: a company in both files
    /// is one pair to find however many duplicate rows it has, a match maps to the pair of
    /// companies its two rows are, and a match of two different companies (namesakes, a
    /// parent and its subsidiary) is a false positive.
    pub companies: Accuracy,
    /// On pairs of rows: every Salesforce row of a company with every HubSpot row of it.
    pub rows: Accuracy,
    /// Matches naming an id neither file has; each also counts as a false positive.
    pub unknown_ids: u64,
}

impl GroundTruth {
    /// The truth of `salesforce` and `hubspot` rows of `companies`.
    pub fn new(
        companies: Vec<TrueCompany>,
        salesforce: Vec<TruthRow>,
        hubspot: Vec<TruthRow>,
    ) -> Self {
        let index = |rows: &[TruthRow]| {
            rows.iter()
                .map(|row| (row.crm_id.clone(), row.company))
                .collect()
        };
        GroundTruth {
            salesforce_index: index(&salesforce),
            hubspot_index: index(&hubspot),
            companies,
            salesforce,
            hubspot,
        }
    }

    /// The true company of a Salesforce `Account ID`.
    pub fn salesforce_company(&self, crm_id: &str) -> Option<CompanyId> {
        self.salesforce_index.get(crm_id).copied()
    }

    /// The true company of a HubSpot `Record ID`.
    pub fn hubspot_company(&self, crm_id: &str) -> Option<CompanyId> {
        self.hubspot_index.get(crm_id).copied()
    }

    /// The companies both files have, in order.
    pub fn shared_companies(&self) -> Vec<CompanyId> {
        let in_salesforce: HashSet<CompanyId> =
            self.salesforce.iter().map(|row| row.company).collect();
        let mut shared: Vec<CompanyId> = self
            .hubspot
            .iter()
            .map(|row| row.company)
            .filter(|company| in_salesforce.contains(company))
            .collect::<HashSet<_>>()
            .into_iter()
            .collect();
        shared.sort_unstable();
        shared
    }

    /// Every (Salesforce `Account ID`, HubSpot `Record ID`) of the same company, in the
    /// Salesforce file's order.
    pub fn pairs(&self) -> Vec<(&str, &str)> {
        let mut hubspot_rows: HashMap<CompanyId, Vec<&str>> = HashMap::new();
        for row in &self.hubspot {
            hubspot_rows
                .entry(row.company)
                .or_default()
                .push(&row.crm_id);
        }
        self.salesforce
            .iter()
            .flat_map(|row| {
                hubspot_rows
                    .get(&row.company)
                    .into_iter()
                    .flatten()
                    .map(|hubspot| (row.crm_id.as_str(), *hubspot))
            })
            .collect()
    }

    /// Scores matches, each a (Salesforce `Account ID`, HubSpot `Record ID`, whether the
    /// overlap counts it): every match, then the counted ones only (a low-confidence match
    /// is listed for review, not counted).
    pub fn score_counted(&self, matches: &[(&str, &str, bool)]) -> (Score, Score) {
        let all = self.score(matches.iter().map(|&(sf, hs, _)| (sf, hs)));
        let counted = self.score(
            matches
                .iter()
                .filter(|(_, _, counted)| *counted)
                .map(|&(sf, hs, _)| (sf, hs)),
        );
        (all, counted)
    }

    /// Scores matches, each a (Salesforce `Account ID`, HubSpot `Record ID`); a match given
    /// twice counts once.
    pub fn score<'a>(&self, matches: impl IntoIterator<Item = (&'a str, &'a str)>) -> Score {
        let mut score = Score::default();
        let mut row_pairs: HashSet<(&str, &str)> = HashSet::new();
        let mut company_pairs: HashSet<(CompanyId, CompanyId)> = HashSet::new();
        let mut unknown: HashSet<(&str, &str)> = HashSet::new();
        for (salesforce, hubspot) in matches {
            match (
                self.salesforce_company(salesforce),
                self.hubspot_company(hubspot),
            ) {
                (Some(ours), Some(theirs)) => {
                    if row_pairs.insert((salesforce, hubspot)) {
                        if ours == theirs {
                            score.rows.true_positives += 1;
                        } else {
                            score.rows.false_positives += 1;
                        }
                    }
                    company_pairs.insert((ours, theirs));
                }
                _ => {
                    unknown.insert((salesforce, hubspot));
                }
            }
        }
        score.unknown_ids = unknown.len() as u64;
        score.rows.false_positives += score.unknown_ids;
        score.rows.false_negatives = self.pairs().len() as u64 - score.rows.true_positives;

        score.companies.true_positives =
            company_pairs.iter().filter(|(a, b)| a == b).count() as u64;
        score.companies.false_positives =
            company_pairs.len() as u64 - score.companies.true_positives + score.unknown_ids;
        score.companies.false_negatives =
            self.shared_companies().len() as u64 - score.companies.true_positives;
        score
    }

    /// The truth as CSV, one line per row of either file: `file`, `crm_id`, `company` and
    /// the company's name, domain and country.
    pub fn to_csv(&self) -> Vec<u8> {
        const IN_MEMORY: &str = "writing CSV into memory cannot fail";
        let mut out = CsvWriter::new(Vec::new());
        out.text_record(["file", "crm_id", "company", "name", "domain", "country"])
            .expect(IN_MEMORY);
        for (file, rows) in [("salesforce", &self.salesforce), ("hubspot", &self.hubspot)] {
            for row in rows {
                let company = self.companies.get(row.company.0 as usize);
                let id = row.company.to_string();
                out.record([
                    Cell::text(file),
                    Cell::text(&row.crm_id),
                    Cell::text(&id),
                    Cell::text(company.map_or("", |c| c.name.as_str())),
                    Cell::text(company.map_or("", |c| c.domain.as_str())),
                    Cell::text(company.map_or("", |c| c.country)),
                ])
                .expect(IN_MEMORY);
            }
        }
        out.into_inner().expect(IN_MEMORY)
    }
}
