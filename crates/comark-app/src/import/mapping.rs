//! Headers: naming them, recognizing the CRM that wrote them, and suggesting a mapping.

use std::collections::BTreeMap;

use csv::StringRecord;

use super::{ColumnMapping, CrmFormat, ImportError};

/// Salesforce account report columns per field, best first.
const SALESFORCE: &[(&str, &[&str])] = &[
    // The 18-character id first: the 15-character one is case-sensitive, so two accounts
    // can collide wherever ids are compared without case.
    ("crm_id", &["Account ID (18)", "Account ID", "Id"]),
    ("name", &["Account Name"]),
    ("website", &["Website"]),
    ("population", &["Type"]),
    ("owner", &["Account Owner"]),
    ("industry", &["Industry"]),
    ("country", &["Billing Country"]),
    ("region", &["Billing State/Province"]),
    ("employees", &["Employees"]),
    ("annual_revenue", &["Annual Revenue"]),
];

/// HubSpot company export columns per field, best first.
const HUBSPOT: &[(&str, &[&str])] = &[
    ("crm_id", &["Record ID"]),
    ("name", &["Company name", "Name"]),
    // The domain is what HubSpot itself dedupes companies on; the URL is free text, and
    // often the only one filled in (see `ALSO_WEBSITES`).
    ("website", &["Company Domain Name", "Website URL"]),
    ("population", &["Lifecycle Stage"]),
    ("owner", &["Company owner", "HubSpot Owner"]),
    ("stage", &["Lead Status"]),
    ("industry", &["Industry"]),
    ("country", &["Country/Region", "Country"]),
    ("region", &["State/Region"]),
    ("employees", &["Number of Employees"]),
    ("annual_revenue", &["Annual Revenue"]),
];

/// Columns that may hold the company's site beside the one mapped as `website`: all that a
/// file has are read for matching (a HubSpot export often leaves `Company Domain Name` empty
/// and holds the site in `Website URL`).
const ALSO_WEBSITES: &[&str] = &[
    "Company Domain Name",
    "Website URL",
    "Website",
    "Domain",
    "Domain Name",
    "URL",
    "Web Site",
    "Company Website",
    "Company Domain",
];

/// Common names of each field in other files, best first.
const SYNONYMS: &[(&str, &[&str])] = &[
    (
        "crm_id",
        &[
            "id",
            "crm id",
            "external id",
            "record id",
            "account id",
            "company id",
        ],
    ),
    (
        "name",
        &[
            "name",
            "company",
            "company name",
            "account",
            "account name",
            "organization",
            "organisation",
            "organization name",
        ],
    ),
    (
        "website",
        &[
            "website",
            "domain",
            "url",
            "web site",
            "company domain",
            "company domain name",
            "website url",
            "company website",
        ],
    ),
    (
        "population",
        &[
            "type",
            "population",
            "lifecycle stage",
            "status",
            "account type",
        ],
    ),
    (
        "owner",
        &[
            "owner",
            "account owner",
            "company owner",
            "account manager",
            "sales rep",
        ],
    ),
    ("stage", &["stage", "lead status", "deal stage"]),
    ("industry", &["industry", "sector", "vertical"]),
    ("country", &["country", "billing country", "country/region"]),
    (
        "region",
        &[
            "region",
            "state",
            "state/region",
            "province",
            "state/province",
        ],
    ),
    (
        "employees",
        &[
            "employees",
            "number of employees",
            "employee count",
            "headcount",
        ],
    ),
    ("annual_revenue", &["annual revenue", "revenue"]),
    (
        "email",
        &[
            "email",
            "e mail",
            "email address",
            "primary email",
            "contact email",
            "primary contact email",
        ],
    ),
];

/// The header row as comark shows it: trimmed, blank cells named `column N`.
pub(super) fn header_names(record: &StringRecord) -> Result<Vec<String>, ImportError> {
    if record.iter().all(|cell| trim(cell).is_empty()) {
        return Err(ImportError::NoHeader);
    }
    Ok(record
        .iter()
        .enumerate()
        .map(|(i, cell)| {
            // A header is a label: control characters in it (a damaged file) are dropped, so
            // the column can still be mapped and its name stored.
            let name: String = trim(cell).chars().filter(|c| !c.is_control()).collect();
            match name.trim() {
                "" => format!("column {}", i + 1),
                name => name.to_owned(),
            }
        })
        .collect())
}

/// Trims whitespace and stray byte order marks: a file saved twice by a BOM-writing tool keeps
/// a second one in its first header.
fn trim(cell: &str) -> &str {
    cell.trim_matches(|c: char| c.is_whitespace() || c == '\u{feff}')
}

/// Recognizes the CRM that wrote a file from its headers.
pub(super) fn detect(headers: &[String]) -> CrmFormat {
    let keys: Vec<String> = headers.iter().map(|h| header_key(h)).collect();
    let has = |header: &str| keys.contains(&header_key(header));
    if has("Record ID") && (has("Company name") || has("Company Domain Name")) {
        CrmFormat::Hubspot
    } else if has("Account Name")
        && [
            "Account ID",
            "Account ID (18)",
            "Account Owner",
            "Type",
            "Billing Country",
            "Billing State/Province",
        ]
        .into_iter()
        .any(has)
    {
        CrmFormat::Salesforce
    } else {
        CrmFormat::Other
    }
}

/// The mapping comark proposes: the CRM's own columns first, then common names for the
/// fields still unmapped. Each column feeds at most one field; no extras.
pub(super) fn suggest(headers: &[String], format: CrmFormat) -> ColumnMapping {
    let keys: Vec<String> = headers.iter().map(|h| header_key(h)).collect();
    let mut used = vec![false; headers.len()];
    let mut columns = BTreeMap::new();
    let own: &[(&str, &[&str])] = match format {
        CrmFormat::Salesforce => SALESFORCE,
        CrmFormat::Hubspot => HUBSPOT,
        CrmFormat::Other => &[],
    };
    for &(field, candidates) in own.iter().chain(SYNONYMS) {
        if columns.contains_key(field) {
            continue;
        }
        let found = candidates.iter().find_map(|candidate| {
            let wanted = header_key(candidate);
            (0..keys.len()).find(|&i| !used[i] && keys[i] == wanted)
        });
        if let Some(i) = found {
            used[i] = true;
            columns.insert(field.to_owned(), headers[i].clone());
        }
    }
    let mut also_websites = Vec::new();
    for candidate in ALSO_WEBSITES {
        let wanted = header_key(candidate);
        if let Some(i) = (0..keys.len()).find(|&i| !used[i] && keys[i] == wanted) {
            used[i] = true;
            also_websites.push(headers[i].clone());
        }
    }
    ColumnMapping {
        columns,
        also_websites,
        ..ColumnMapping::default()
    }
}

/// A header reduced to what tells columns apart, so `Company_Name`, `company name` and
/// `Company Name ` compare equal: lower-case words of letters and digits, one space apart.
fn header_key(header: &str) -> String {
    words(header, ' ')
}

/// The key an extra column is stored under: lower-case words of letters and digits joined by
/// `_`, or `column_N` when the header has none.
pub(super) fn slugify(header: &str, index: usize) -> String {
    match words(header, '_') {
        slug if slug.is_empty() => format!("column_{}", index + 1),
        slug => slug,
    }
}

/// Lower-case runs of letters and digits joined by `separator`.
fn words(text: &str, separator: char) -> String {
    let mut out = String::with_capacity(text.len());
    let mut pending = false;
    for c in text.chars() {
        if c.is_alphanumeric() {
            if pending && !out.is_empty() {
                out.push(separator);
            }
            pending = false;
            out.extend(c.to_lowercase());
        } else {
            pending = true;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(names: &[&str]) -> Vec<String> {
        names.iter().map(|&n| n.to_owned()).collect()
    }

    #[test]
    fn slugs_are_lower_case_words() {
        assert_eq!(
            slugify("Billing State/Province", 0),
            "billing_state_province"
        );
        assert_eq!(
            slugify("  Number of Employees (est.) ", 0),
            "number_of_employees_est"
        );
        assert_eq!(slugify("Größe", 0), "größe");
        assert_eq!(slugify("???", 4), "column_5");
    }

    #[test]
    fn recognizes_crms_by_headers_in_any_case() {
        let salesforce = headers(&["ACCOUNT NAME", "account owner", "Website"]);
        assert_eq!(detect(&salesforce), CrmFormat::Salesforce);
        let hubspot = headers(&["Record ID", "Company Domain Name"]);
        assert_eq!(detect(&hubspot), CrmFormat::Hubspot);
        assert_eq!(
            detect(&headers(&["Account Name", "Phone"])),
            CrmFormat::Other
        );
        assert_eq!(detect(&headers(&["Record ID", "Name"])), CrmFormat::Other);
    }

    #[test]
    fn other_files_are_mapped_by_synonyms_one_column_per_field() {
        let mapping = suggest(
            &headers(&["Company_Name", "Domain", "ID", "Status", "Notes", "Sector"]),
            CrmFormat::Other,
        );
        let columns: Vec<(&str, &str)> = mapping
            .columns
            .iter()
            .map(|(field, header)| (field.as_str(), header.as_str()))
            .collect();
        assert_eq!(
            columns,
            [
                ("crm_id", "ID"),
                ("industry", "Sector"),
                ("name", "Company_Name"),
                ("population", "Status"),
                ("website", "Domain"),
            ]
        );
        assert!(mapping.extra.is_empty());
    }
}
