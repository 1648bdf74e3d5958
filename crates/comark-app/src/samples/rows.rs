//! Writing the two exports: each row a true company as one CRM spells it.

use chrono::{Duration, NaiveDate};

use super::rng::Rng;
use super::text::{capitalized, fit_windows_1252, strip_diacritics, transliterate};
use super::truth::{CompanyId, TruthRow};
use super::world::Company;
use super::{Noise, SampleEncoding, SampleSpec, SideStats};

/// One file as written.
pub(super) struct Written {
    /// The encoded file.
    pub(super) bytes: Vec<u8>,
    /// Which company each data row is, in file order.
    pub(super) truth: Vec<TruthRow>,
    /// What the file holds.
    pub(super) stats: SideStats,
}

/// Salesforce's standard account types, the older sample values, and how common each is.
const SALESFORCE_TYPES: &[(&str, u32)] = &[
    ("Customer", 18),
    ("Customer - Direct", 8),
    ("Customer - Channel", 4),
    ("Prospect", 30),
    ("Partner", 6),
    ("Reseller", 3),
    ("Integrator", 2),
    ("Channel Partner / Reseller", 2),
    ("Installation Partner", 1),
    ("Technology Partner", 2),
    ("Competitor", 1),
    ("Analyst", 1),
    ("Investor", 1),
    ("Press", 1),
    ("Other", 4),
];

/// HubSpot's lifecycle stages: label, internal value, how common.
const LIFECYCLE_STAGES: &[((&str, &str), u32)] = &[
    (("Subscriber", "subscriber"), 10),
    (("Lead", "lead"), 28),
    (("Marketing Qualified Lead", "marketingqualifiedlead"), 12),
    (("Sales Qualified Lead", "salesqualifiedlead"), 8),
    (("Opportunity", "opportunity"), 12),
    (("Customer", "customer"), 20),
    (("Evangelist", "evangelist"), 3),
    (("Other", "other"), 7),
];

/// Salesforce's standard industry picklist.
const SALESFORCE_INDUSTRIES: &[&str] = &[
    "Agriculture",
    "Apparel",
    "Banking",
    "Biotechnology",
    "Chemicals",
    "Communications",
    "Construction",
    "Consulting",
    "Education",
    "Electronics",
    "Energy",
    "Engineering",
    "Entertainment",
    "Environmental",
    "Finance",
    "Food & Beverage",
    "Government",
    "Healthcare",
    "Hospitality",
    "Insurance",
    "Machinery",
    "Manufacturing",
    "Media",
    "Not For Profit",
    "Recreation",
    "Retail",
    "Shipping",
    "Technology",
    "Telecommunications",
    "Transportation",
    "Utilities",
    "Other",
];

/// Some of HubSpot's industries: label, internal value.
const HUBSPOT_INDUSTRIES: &[(&str, &str)] = &[
    ("Computer Software", "COMPUTER_SOFTWARE"),
    (
        "Information Technology and Services",
        "INFORMATION_TECHNOLOGY_AND_SERVICES",
    ),
    ("Marketing and Advertising", "MARKETING_AND_ADVERTISING"),
    ("Financial Services", "FINANCIAL_SERVICES"),
    ("Hospital & Health Care", "HOSPITAL_HEALTH_CARE"),
    ("Retail", "RETAIL"),
    ("Construction", "CONSTRUCTION"),
    ("Logistics and Supply Chain", "LOGISTICS_AND_SUPPLY_CHAIN"),
    ("Machinery", "MACHINERY"),
    ("Real Estate", "REAL_ESTATE"),
    ("Telecommunications", "TELECOMMUNICATIONS"),
    ("Automotive", "AUTOMOTIVE"),
    ("Food & Beverages", "FOOD_BEVERAGES"),
    ("Higher Education", "HIGHER_EDUCATION"),
    ("Management Consulting", "MANAGEMENT_CONSULTING"),
    ("Insurance", "INSURANCE"),
];

const FIRST_NAMES: &[&str] = &[
    "Olivia", "Liam", "Emma", "Noah", "Sophie", "Lukas", "Chloé", "Mateo", "Ingrid", "Kenji",
    "Priya", "Marco", "Anna", "Jonas", "Lucía", "Tomasz", "Aoife", "Lars", "Yuki", "Rafael",
    "Hannah", "Ethan", "Camille", "Björn",
];
const LAST_NAMES: &[&str] = &[
    "Smith",
    "Meyer",
    "Dubois",
    "Rossi",
    "García",
    "Jansen",
    "Nowak",
    "Tanaka",
    "Silva",
    "O'Brien",
    "Johansson",
    "Müller",
    "Kowalski",
    "Brown",
    "Lefèvre",
    "Virtanen",
    "Patel",
    "Nguyen",
    "Schmidt",
    "Moreau",
];

const FREE_MAIL: &[&str] = &[
    "gmail.com",
    "yahoo.com",
    "outlook.com",
    "hotmail.com",
    "icloud.com",
    "gmx.de",
    "web.de",
    "orange.fr",
    "libero.it",
    "yahoo.co.jp",
    "aol.com",
];

const SUBDOMAINS: &[&str] = &[
    "shop.",
    "en.",
    "de.",
    "us.",
    "corporate.",
    "investors.",
    "app.",
    "go.",
];
const PATHS: &[&str] = &[
    "/en",
    "/en/",
    "/about-us",
    "/home",
    "/index.html",
    "/de/startseite",
    "/contact",
    "/en-us/home",
    "/company/about.php",
];
const QUERIES: &[&str] = &[
    "?utm_source=linkedin&utm_medium=social",
    "?lang=en",
    "?ref=crm",
    "?gclid=EAIaIQobChMIx",
];
const DUPLICATE_MARKS: &[&str] = &[" (old)", " - DUPLICATE", " [DO NOT USE]", " (2)", " - dup"];

/// The 62 characters of Salesforce ids, in their order.
const BASE62: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/// What a row writes in its website column(s).
enum Site {
    /// Nothing.
    Empty,
    /// Something that is not a website.
    Junk(String),
    /// This registrable domain, written in some form.
    Domain(String),
}

/// The companies of one file, once each, then the duplicates, shuffled: (company, duplicate).
fn row_companies(members: &[u32], rows: usize, rng: &mut Rng) -> Vec<(u32, bool)> {
    let mut list: Vec<(u32, bool)> = members.iter().map(|&c| (c, false)).collect();
    if !members.is_empty() {
        while list.len() < rows {
            list.push((*rng.pick(members), true));
        }
    }
    rng.shuffle(&mut list);
    list
}

/// The site a row of `company` writes.
fn site(company: &Company, noise: &Noise, rng: &mut Rng, stats: &mut SideStats) -> Site {
    let roll = rng.unit();
    if roll < noise.no_website {
        stats.no_website += 1;
        return Site::Empty;
    }
    if roll < noise.no_website + noise.junk_website {
        stats.junk_website += 1;
        return Site::Junk(junk_website(company, rng));
    }
    match &company.second_domain {
        Some(second) if rng.chance(noise.second_domain_rows) => {
            stats.second_domain += 1;
            Site::Domain(second.clone())
        }
        _ => Site::Domain(company.domain.clone()),
    }
}

/// What people type into a website field when they have no website.
fn junk_website(company: &Company, rng: &mut Rng) -> String {
    match *rng.weighted(&[
        ("N/A", 20),
        ("n/a", 10),
        ("-", 15),
        ("none", 10),
        ("None", 5),
        ("TBD", 5),
        ("unknown", 5),
        ("http://", 5),
        ("www.", 5),
        ("company mail", 10),
        ("free mail", 10),
    ]) {
        "company mail" => format!(
            "{}@{}",
            rng.pick(&["info", "sales", "contact", "office"]),
            company.domain
        ),
        "free mail" => {
            let provider = *rng.pick(FREE_MAIL);
            personal_address(rng, provider)
        }
        other => other.to_owned(),
    }
}

/// A person's address at `domain`: `anna.rossi@…`, `jsmith42@…`.
fn personal_address(rng: &mut Rng, domain: &str) -> String {
    let first = strip_diacritics(rng.word(FIRST_NAMES)).to_lowercase();
    let last = strip_diacritics(rng.word(LAST_NAMES))
        .to_lowercase()
        .replace('\'', "");
    match rng.below(3) {
        0 => format!("{first}.{last}@{domain}"),
        1 => format!("{}{last}{}@{domain}", &first[..1], rng.below(100)),
        _ => format!("{first}{last}@{domain}"),
    }
}

/// `domain` written as people write websites.
fn messy_website(domain: &str, noise: &Noise, rng: &mut Rng) -> String {
    let mut host = String::with_capacity(domain.len() + 12);
    let roll = rng.unit();
    if roll < noise.www {
        host.push_str("www.");
    } else if roll < noise.www + noise.other_subdomain {
        host.push_str(rng.word(SUBDOMAINS));
    }
    host.push_str(domain);
    if rng.chance(noise.trailing_dot) {
        host.push('.');
    }
    let mut site = String::with_capacity(host.len() + 24);
    if rng.chance(noise.scheme) {
        let scheme = *rng.weighted(&[
            ("https://", 70),
            ("http://", 26),
            ("HTTPS://", 2),
            ("Http://", 2),
        ]);
        site.push_str(scheme);
    }
    site.push_str(&host);
    if rng.chance(noise.port) {
        site.push_str(rng.word(&[":443", ":8080", ":80"]));
    }
    if rng.chance(noise.path) {
        site.push_str(rng.word(PATHS));
    } else if rng.chance(noise.trailing_slash) {
        site.push('/');
    }
    if rng.chance(noise.query) {
        site.push_str(rng.word(QUERIES));
    }
    if rng.chance(noise.fragment) {
        site.push_str(rng.word(&["#contact", "#top", "#!"]));
    }
    if rng.chance(noise.website_case) {
        site = if rng.chance(0.5) {
            site.to_uppercase()
        } else {
            capitalized(&site)
        };
    }
    if rng.chance(noise.website_spaces) {
        site = if rng.chance(0.5) {
            format!(" {site}")
        } else {
            format!("{site} ")
        };
    }
    site
}

/// The company's name as one row spells it.
fn messy_name(company: &Company, duplicate: bool, noise: &Noise, rng: &mut Rng) -> String {
    let mut name = company.name.clone();
    if let Some(rest) = name.strip_prefix("The ") {
        if rng.chance(noise.the_moved) {
            name = if rng.chance(0.5) {
                rest.to_owned()
            } else {
                format!("{rest}, The")
            };
        }
    }
    if rng.chance(noise.and_swapped) {
        if name.contains(" & ") {
            name = name.replacen(" & ", " and ", 1);
        } else if name.contains(" and ") {
            name = name.replacen(" and ", " & ", 1);
        }
    }
    if !name.is_ascii() {
        let roll = rng.unit();
        if roll < noise.diacritics_stripped {
            name = strip_diacritics(&name);
        } else if roll < noise.diacritics_stripped + noise.diacritics_transliterated {
            name = transliterate(&name);
        }
    }
    // Which punctuation change, if any: 0 a hyphen, 1 no apostrophes or periods, 2 a comma
    // before the legal form, 3 a trailing period.
    let punctuation = rng.chance(noise.punctuation).then(|| rng.below(4));
    if punctuation == Some(0) {
        name = name.replacen(' ', "-", 1);
    }
    if let Some(form) = company.form {
        if !rng.chance(noise.legal_form_dropped) {
            let spelling = if form.len() > 1 && rng.chance(noise.legal_form_respelled) {
                form[1 + rng.below(form.len() - 1)]
            } else {
                form[0]
            };
            if spelling.starts_with(',') {
                name.push_str(spelling);
            } else {
                name.push_str(if punctuation == Some(2) { ", " } else { " " });
                name.push_str(spelling);
            }
        }
    }
    match punctuation {
        Some(1) => name.retain(|c| c != '\'' && c != '.'),
        Some(3) if !name.ends_with('.') => name.push('.'),
        _ => {}
    }
    if duplicate && rng.chance(noise.duplicates_marked) {
        name.push_str(rng.word(DUPLICATE_MARKS));
    }
    let roll = rng.unit();
    if roll < noise.upper_case {
        name = name.to_uppercase();
    } else if roll < noise.upper_case + noise.lower_case {
        name = name.to_lowercase();
    }
    if rng.chance(noise.stray_spaces) {
        match rng.below(4) {
            0 => name.insert(0, ' '),
            1 => name.push_str("  "),
            2 => name = name.replacen(' ', "  ", 1),
            _ => name = name.replacen(' ', "\u{a0}", 1),
        }
    }
    name
}

/// A country as a person fills in a country field: mostly its English name.
fn country_name(company: &Company, rng: &mut Rng) -> &'static str {
    let names = company.country.names;
    if rng.chance(0.6) {
        names[0]
    } else {
        rng.word(names)
    }
}

/// A phone number as CRMs hold them, sometimes none.
fn phone(company: &Company, rng: &mut Rng) -> String {
    let code = company.country.calling_code;
    let (a, b, c) = (
        100 + rng.below(900),
        100 + rng.below(900),
        1000 + rng.below(9000),
    );
    match rng.below(10) {
        0..=4 => format!("+{code} {a} {b} {c}"),
        5..=6 if code == "1" => format!("({a}) {b}-{c}"),
        5..=6 => format!("0{a} {b}{c}"),
        7 => format!("+{code}{a}{b}{c}"),
        _ => String::new(),
    }
}

/// The people who own accounts in one CRM.
fn owners(rng: &mut Rng, count: usize) -> Vec<String> {
    (0..count)
        .map(|_| format!("{} {}", rng.pick(FIRST_NAMES), rng.pick(LAST_NAMES)))
        .collect()
}

/// A Salesforce 18-character id: key prefix `001`, pod, a 9-character counter, and the
/// case-safe suffix Salesforce computes from where the first 15 characters have capitals.
fn salesforce_id(pod: &str, counter: u64) -> String {
    let mut id = String::with_capacity(18);
    id.push_str("001");
    id.push_str(pod);
    id.push('0');
    let mut digits = [b'0'; 9];
    let mut rest = counter;
    for digit in digits.iter_mut().rev() {
        *digit = BASE62[(rest % 62) as usize];
        rest /= 62;
    }
    id.extend(digits.iter().map(|&d| d as char));
    let suffix: Vec<char> = id
        .as_bytes()
        .chunks(5)
        .map(|chunk| {
            let bits = chunk
                .iter()
                .enumerate()
                .filter(|(_, b)| b.is_ascii_uppercase())
                .fold(0usize, |bits, (i, _)| bits | (1 << i));
            b"ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"[bits] as char
        })
        .collect();
    id.extend(suffix);
    id
}

/// Encodes a file's text as the spec asks.
fn encode(text: String, encoding: SampleEncoding) -> Vec<u8> {
    match encoding {
        SampleEncoding::Utf8 => text.into_bytes(),
        SampleEncoding::Utf8Bom => {
            let mut bytes = Vec::with_capacity(text.len() + 3);
            bytes.extend_from_slice(b"\xEF\xBB\xBF");
            bytes.extend_from_slice(text.as_bytes());
            bytes
        }
        SampleEncoding::Windows1252 => {
            let text = fit_windows_1252(&text);
            let (bytes, _, unmappable) = encoding_rs::WINDOWS_1252.encode(&text);
            // `fit_windows_1252` left only what the code page holds; anything else would
            // have been written as an HTML entity, and the file would not decode back.
            debug_assert!(!unmappable, "a character Windows-1252 lacks was left in");
            bytes.into_owned()
        }
    }
}

/// A CRM's CSV file, written into memory.
// Not behind the formula-safe writer: these files stand in for a CRM's own export, the input
// comark reads, so they hold what a CRM writes (a website `-`, a phone `+49 ...`) as it is.
#[allow(clippy::disallowed_types)]
struct CrmCsv(csv::Writer<Vec<u8>>);

#[allow(clippy::disallowed_types)]
impl CrmCsv {
    /// A writer that quotes every cell (Salesforce) or only where needed (HubSpot).
    fn new(always_quote: bool, crlf: bool) -> Self {
        CrmCsv(
            csv::WriterBuilder::new()
                .quote_style(if always_quote {
                    csv::QuoteStyle::Always
                } else {
                    csv::QuoteStyle::Necessary
                })
                .terminator(if crlf {
                    csv::Terminator::CRLF
                } else {
                    csv::Terminator::Any(b'\n')
                })
                .from_writer(Vec::new()),
        )
    }

    /// Writes one row.
    fn row<I, T>(&mut self, record: I)
    where
        I: IntoIterator<Item = T>,
        T: AsRef<[u8]>,
    {
        self.0
            .write_record(record)
            .expect("writing CSV into memory cannot fail");
    }

    /// The text written.
    fn into_text(self) -> String {
        let bytes = self
            .0
            .into_inner()
            .expect("flushing CSV into memory cannot fail");
        String::from_utf8(bytes).expect("the CSV was written from text")
    }
}

/// The Salesforce account report of `members` (indices into `companies`).
pub(super) fn salesforce(
    companies: &[Company],
    members: &[u32],
    spec: &SampleSpec,
    rng: &mut Rng,
) -> Written {
    let noise = &spec.noise;
    let mut stats = SideStats {
        rows: spec.salesforce_rows as u64,
        companies: members.len() as u64,
        ..SideStats::default()
    };
    let owners = owners(rng, 25);
    let pod = *rng.pick(&["5g", "8d", "Dn", "3t", "Hs", "4x"]);
    let mut counter = rng.below(62usize.pow(5)) as u64;
    let mut rows: Vec<(String, [String; 8], CompanyId)> = Vec::with_capacity(spec.salesforce_rows);
    for (at, duplicate) in row_companies(members, spec.salesforce_rows, rng) {
        let company = &companies[at as usize];
        stats.duplicate_rows += u64::from(duplicate);
        // Ids grow as accounts are created; the report is sorted by name, so they look random.
        counter += 1 + rng.below(40) as u64;
        let name = messy_name(company, duplicate, noise, rng);
        let website = match site(company, noise, rng, &mut stats) {
            Site::Empty => String::new(),
            Site::Junk(junk) => junk,
            Site::Domain(domain) => messy_website(&domain, noise, rng),
        };
        let population = if rng.chance(noise.no_population) {
            ""
        } else {
            rng.weighted(SALESFORCE_TYPES)
        };
        let sort_key = name.trim().to_lowercase();
        rows.push((
            sort_key,
            [
                salesforce_id(pod, counter),
                name,
                population.to_owned(),
                website,
                phone(company, rng),
                rng.pick(&owners).clone(),
                rng.pick(SALESFORCE_INDUSTRIES).to_string(),
                country_name(company, rng).to_owned(),
            ],
            CompanyId(at),
        ));
    }
    rows.sort_by(|a, b| a.0.cmp(&b.0));

    let mut out = CrmCsv::new(true, true);
    let header = [
        "Account ID",
        "Account Name",
        "Type",
        "Website",
        "Phone",
        "Account Owner",
        "Industry",
        "Billing Country",
    ];
    out.row(header);
    let mut truth = Vec::with_capacity(rows.len());
    for (_, record, company) in rows {
        out.row(&record);
        let [crm_id, ..] = record;
        truth.push(TruthRow { crm_id, company });
    }
    let mut text = out.into_text();
    if spec.salesforce_footer {
        // What Salesforce writes under an exported report: an empty quoted cell, then one
        // quoted cell per line.
        text.push_str("\"\"\r\n");
        for line in [
            "Accounts by Owner".to_owned(),
            "Copyright (c) 2000-2025 salesforce.com, inc. All rights reserved.".to_owned(),
            "Confidential Information - Do Not Distribute".to_owned(),
            format!("Generated By:  {}  11/28/2025 9:14 AM", rng.pick(&owners)),
            "Northwind Software".to_owned(),
        ] {
            text.push('"');
            text.push_str(&line);
            text.push_str("\"\r\n");
        }
    }
    Written {
        bytes: encode(text, spec.salesforce_encoding),
        truth,
        stats,
    }
}

/// HubSpot's `Company Domain Name`: the bare domain HubSpot derives, now and then with a
/// subdomain someone typed.
fn hubspot_domain(domain: &str, rng: &mut Rng) -> String {
    match rng.below(20) {
        0 => format!("www.{domain}"),
        1 => format!("{}{domain}", rng.pick(SUBDOMAINS)),
        _ => domain.to_owned(),
    }
}

/// The HubSpot company export of `members` (indices into `companies`).
pub(super) fn hubspot(
    companies: &[Company],
    members: &[u32],
    spec: &SampleSpec,
    rng: &mut Rng,
) -> Written {
    let noise = &spec.noise;
    let mut stats = SideStats {
        rows: spec.hubspot_rows as u64,
        companies: members.len() as u64,
        ..SideStats::default()
    };
    let owners = owners(rng, 25);
    let mut record_id = 5_000_000_000 + rng.below(1_000_000_000) as u64;
    // Six years of records, so the dates look like a CRM's whatever the size.
    let minutes_per_row = (6 * 365 * 24 * 60 / spec.hubspot_rows.max(1)).max(1);
    let mut created = NaiveDate::from_ymd_opt(2019, 1, 7)
        .and_then(|date| date.and_hms_opt(9, 0, 0))
        .unwrap_or_default();

    let mut out = CrmCsv::new(false, false);
    out.row([
        "Record ID",
        "Company name",
        "Company Domain Name",
        "Website URL",
        "Lifecycle Stage",
        "Company owner",
        "Industry",
        "Country/Region",
        "Phone Number",
        "Email",
        "Create Date",
    ]);
    let mut truth = Vec::with_capacity(spec.hubspot_rows);
    for (at, duplicate) in row_companies(members, spec.hubspot_rows, rng) {
        let company = &companies[at as usize];
        stats.duplicate_rows += u64::from(duplicate);
        record_id += 1 + rng.below(60) as u64;
        created += Duration::minutes(1 + rng.below(2 * minutes_per_row) as i64);
        let name = messy_name(company, duplicate, noise, rng);
        let (domain, url) = match site(company, noise, rng, &mut stats) {
            Site::Empty => (String::new(), String::new()),
            Site::Junk(junk) => (String::new(), junk),
            Site::Domain(domain) => {
                let roll = rng.unit();
                if roll < noise.hubspot_url_only {
                    stats.url_only += 1;
                    (String::new(), messy_website(&domain, noise, rng))
                } else if roll < noise.hubspot_url_only + noise.hubspot_domain_only {
                    (hubspot_domain(&domain, rng), String::new())
                } else {
                    (
                        hubspot_domain(&domain, rng),
                        messy_website(&domain, noise, rng),
                    )
                }
            }
        };
        let internal = rng.chance(noise.hubspot_internal_values);
        let stage = if rng.chance(noise.no_population) {
            ""
        } else {
            let (label, value) = rng.weighted(LIFECYCLE_STAGES);
            if internal {
                value
            } else {
                label
            }
        };
        let (industry_label, industry_value) = rng.pick(HUBSPOT_INDUSTRIES);
        let email = if rng.chance(noise.hubspot_email) {
            if rng.chance(noise.hubspot_free_mail) {
                let provider = *rng.pick(FREE_MAIL);
                personal_address(rng, provider)
            } else {
                personal_address(rng, &company.domain)
            }
        } else {
            String::new()
        };
        let crm_id = record_id.to_string();
        let owner = rng.pick(&owners).as_str();
        let industry = if internal {
            industry_value
        } else {
            industry_label
        };
        let country = country_name(company, rng);
        let phone = phone(company, rng);
        let created_at = created.format("%Y-%m-%d %H:%M").to_string();
        out.row([
            crm_id.as_str(),
            name.as_str(),
            domain.as_str(),
            url.as_str(),
            stage,
            owner,
            industry,
            country,
            phone.as_str(),
            email.as_str(),
            created_at.as_str(),
        ]);
        truth.push(TruthRow {
            crm_id,
            company: CompanyId(at),
        });
    }
    Written {
        bytes: encode(out.into_text(), spec.hubspot_encoding),
        truth,
        stats,
    }
}
