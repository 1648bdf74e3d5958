//! Sample CRM exports with a ground truth: the yardstick of account mapping.
//!
//! [`SampleExports::generate`] makes a set of true companies, puts some in a Salesforce
//! account report, some in a HubSpot company export and some in both, and writes each row with
//! its own noise, the way people and CRMs write companies. Beside the two files it returns the
//! [`GroundTruth`]: which true company every row is, so that [`GroundTruth::score`] can tell
//! how many of the shared companies a mapping found and how many of its matches are wrong.
//! Everything is decided by the seed: the same [`SampleSpec`] gives the same bytes, in the
//! tests, in `comark bench mapping-accuracy` and on any machine. No data file is committed.
//!
//! # The true companies
//!
//! Each company has a country (19 of them, the United States a third of all, then the United
//! Kingdom, Germany, France, Japan, Australia, Canada...), a legal form typical of it (`Inc.`,
//! `LLC`, `Ltd`, `PLC`, `GmbH`, `GmbH & Co. KG`, `AG`, `S.A.`, `S.A.S.`, `SARL`, `S.L.`,
//! `S.p.A.`, `S.r.l.`, `B.V.`, `N.V.`, `AB`, `Oy`, `A/S`, `ApS`, `AS`, `Sp. z o.o.`, `K.K.`,
//! `Co., Ltd.`, `Pty Ltd`, `Ltda.`, `Ltée`, `DAC`; 5% write none), a name in the country's
//! style (a made-up brand and a word of the trade in the country's language, a family name
//! and a word, two family names with `&` or `and`, a brand alone, a common word and a word,
//! `The ... Group`, initials and a word), with the country's diacritics (`Müller`,
//! `Lefèvre`, `Åkesson`, `Wiśniewski`, `Katō`, `Gonçalves`) and a registrable domain made
//! from the name as companies make theirs (`mueller-logistik.de`, `nexora.com`,
//! `getnexora.io`; 2% keep the diacritics, an IDN). Names and domains are unique except where
//! the noise below asks otherwise.
//!
//! # The noise, and its defaults
//!
//! Every share is a field of [`Noise`]; the defaults are meant to look like the exports of a
//! CRM a few years old that nobody has cleaned.
//!
//! | kind | default |
//! | --- | --- |
//! | namesakes: another, unrelated company of the same name and another domain (half in the same country) | 2% of companies |
//! | subsidiaries: a parent's name (sometimes with the country: `Nexora Deutschland`), a local legal form and domain | 1% of companies |
//! | a second registrable domain, written by some of the company's rows | 5% of companies, 40% of their rows |
//! | duplicates: the same company again in the same file, another id, its own noise | 3% of rows |
//! | of which marked as such (`(old)`, `- DUPLICATE`, `[DO NOT USE]`) | 15% |
//! | no website (empty cell) | 10% of rows |
//! | a junk website (`N/A`, `-`, `none`, `TBD`, `http://`, an e-mail address) | 4% of rows |
//! | legal form left out | 35% of rows |
//! | legal form spelled another way (`Inc`, `, Inc.`, `Incorporated`, `Limited`, `GmbH & Co KG`, `Kabushiki Kaisha`) | 30% of the rest |
//! | `The` dropped or moved to the end (`Apex Group, The`) | 50% of names with `The` |
//! | `&` and `and` swapped | 30% of names with one |
//! | diacritics stripped (`Muller`) / transliterated (`Mueller`) | 20% / 15% of names with diacritics |
//! | upper case / lower case | 4% / 2% of rows |
//! | punctuation: a hyphen for a space, an apostrophe dropped, a comma before the form, a trailing period | 5% of rows |
//! | stray spaces: leading, trailing, doubled, a no-break space | 5% of rows |
//! | website with `www.` / another subdomain (`shop.`, `en.`, `investors.`) | 45% / 5% of websites |
//! | website with a scheme (`https://`, `http://`, `HTTPS://`) | 45% |
//! | a path / a query string / a fragment / a port | 8% / 3% / 1% / 0.5% |
//! | a trailing slash / a trailing dot | 8% / 0.5% |
//! | website in upper case or capitalized | 4% |
//! | website with stray spaces | 2% |
//! | HubSpot: the site only in `Website URL`, `Company Domain Name` empty | 20% of rows with a site |
//! | HubSpot: the site only in `Company Domain Name` | 10% of rows with a site |
//! | HubSpot: internal values (`marketingqualifiedlead`, `COMPUTER_SOFTWARE`) instead of labels | 20% of rows |
//! | HubSpot: a primary contact's `Email` / of which free-mail (`gmail.com`, `gmx.de`) | 50% of rows / 30% |
//! | no population (`Type` or `Lifecycle Stage` empty) | 15% of rows |
//!
//! Each side's noise is drawn on its own, so with the defaults about one shared company in
//! four has a usable website on one side only and must be matched by its name. The
//! population columns use every standard value: Salesforce's `Analyst`, `Competitor`,
//! `Customer`, `Integrator`, `Investor`, `Partner`, `Press`, `Prospect`, `Reseller`, `Other`
//! and the older `Customer - Direct`, `Customer - Channel`, `Channel Partner / Reseller`,
//! `Installation Partner`, `Technology Partner`; HubSpot's lifecycle stages from `Subscriber`
//! to `Evangelist` and `Other`, as labels or internal values.
//!
//! # The files
//!
//! The Salesforce report has the columns `Account ID` (18-character ids with their case-safe
//! suffix), `Account Name`, `Type`, `Website`, `Phone`, `Account Owner`, `Industry` and
//! `Billing Country`, every cell quoted, CRLF line ends, rows sorted by name and, when
//! [`SampleSpec::salesforce_footer`] is set, the report's footer (its name, copyright,
//! confidentiality line, who generated it, the company). The HubSpot export has `Record ID`,
//! `Company name`, `Company Domain Name`, `Website URL`, `Lifecycle Stage`, `Company owner`,
//! `Industry`, `Country/Region`, `Phone Number`, `Email` and `Create Date`, quoted only where
//! needed, rows in the order records were created. Each is written in UTF-8, UTF-8 with a byte
//! order mark or Windows-1252 ([`SampleEncoding`]); for Windows-1252 the characters it cannot
//! hold (`ś`, `ł`, `ō`) lose their marks first, as a CRM exporting to a Western code page does,
//! so the file decodes back to exactly the text written.

mod rng;
mod rows;
mod text;
mod truth;
mod world;

#[cfg(test)]
mod tests;

use serde::Serialize;

pub use truth::{Accuracy, CompanyId, GroundTruth, Score, TrueCompany, TruthRow};

/// How a sample file is encoded.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SampleEncoding {
    /// UTF-8 without a byte order mark.
    Utf8,
    /// UTF-8 starting with a byte order mark, as Excel saves "CSV UTF-8".
    Utf8Bom,
    /// Windows-1252, the Western European code page many CRM exports default to.
    Windows1252,
}

impl SampleEncoding {
    /// The encoding's WHATWG label, as comark's reader reports it.
    pub fn label(self) -> &'static str {
        match self {
            SampleEncoding::Utf8 | SampleEncoding::Utf8Bom => "UTF-8",
            SampleEncoding::Windows1252 => "windows-1252",
        }
    }
}

/// How messy the rows are: each field is a share between 0 and 1 (see the module's table).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Noise {
    /// Companies that share their name with an earlier, unrelated company.
    pub namesakes: f64,
    /// Companies that are a subsidiary of an earlier one.
    pub subsidiaries: f64,
    /// Companies with a second registrable domain.
    pub second_domains: f64,
    /// Rows of such a company that write the second domain.
    pub second_domain_rows: f64,
    /// Rows that repeat a company already in the same file.
    pub duplicates: f64,
    /// Duplicate rows whose name says so (`(old)`).
    pub duplicates_marked: f64,
    /// Rows with an empty website.
    pub no_website: f64,
    /// Rows with a website that is not one (`N/A`, `-`, an e-mail address).
    pub junk_website: f64,
    /// Rows that leave the legal form out.
    pub legal_form_dropped: f64,
    /// Rows with a legal form that spell it another way.
    pub legal_form_respelled: f64,
    /// Names starting with `The` that drop it or move it to the end.
    pub the_moved: f64,
    /// Names with `&` or `and` that write the other.
    pub and_swapped: f64,
    /// Names with diacritics written without them (`Muller`).
    pub diacritics_stripped: f64,
    /// Names with diacritics transliterated (`Mueller`).
    pub diacritics_transliterated: f64,
    /// Rows whose name is in upper case.
    pub upper_case: f64,
    /// Rows whose name is in lower case.
    pub lower_case: f64,
    /// Rows with changed punctuation in the name.
    pub punctuation: f64,
    /// Rows with stray spaces in the name.
    pub stray_spaces: f64,
    /// Websites written with `www.`.
    pub www: f64,
    /// Websites on another subdomain than `www.`.
    pub other_subdomain: f64,
    /// Websites written with a scheme.
    pub scheme: f64,
    /// Websites with a path.
    pub path: f64,
    /// Websites with a query string.
    pub query: f64,
    /// Websites with a fragment.
    pub fragment: f64,
    /// Websites with a port.
    pub port: f64,
    /// Websites ending in a slash.
    pub trailing_slash: f64,
    /// Websites whose host ends in a dot.
    pub trailing_dot: f64,
    /// Websites in upper case or capitalized.
    pub website_case: f64,
    /// Websites with spaces around them.
    pub website_spaces: f64,
    /// HubSpot rows with a site that hold it only in `Website URL`.
    pub hubspot_url_only: f64,
    /// HubSpot rows with a site that hold it only in `Company Domain Name`.
    pub hubspot_domain_only: f64,
    /// HubSpot rows written with internal values instead of labels.
    pub hubspot_internal_values: f64,
    /// HubSpot rows with a primary contact's e-mail address.
    pub hubspot_email: f64,
    /// Of those, the addresses at a free-mail provider.
    pub hubspot_free_mail: f64,
    /// Rows with an empty population (`Type`, `Lifecycle Stage`).
    pub no_population: f64,
}

impl Default for Noise {
    fn default() -> Self {
        Noise {
            namesakes: 0.02,
            subsidiaries: 0.01,
            second_domains: 0.05,
            second_domain_rows: 0.4,
            duplicates: 0.03,
            duplicates_marked: 0.15,
            no_website: 0.10,
            junk_website: 0.04,
            legal_form_dropped: 0.35,
            legal_form_respelled: 0.30,
            the_moved: 0.5,
            and_swapped: 0.3,
            diacritics_stripped: 0.20,
            diacritics_transliterated: 0.15,
            upper_case: 0.04,
            lower_case: 0.02,
            punctuation: 0.05,
            stray_spaces: 0.05,
            www: 0.45,
            other_subdomain: 0.05,
            scheme: 0.45,
            path: 0.08,
            query: 0.03,
            fragment: 0.01,
            port: 0.005,
            trailing_slash: 0.08,
            trailing_dot: 0.005,
            website_case: 0.04,
            website_spaces: 0.02,
            hubspot_url_only: 0.20,
            hubspot_domain_only: 0.10,
            hubspot_internal_values: 0.20,
            hubspot_email: 0.5,
            hubspot_free_mail: 0.3,
            no_population: 0.15,
        }
    }
}

impl Noise {
    /// No noise at all: every row spells its company's name and domain the same way, with
    /// a website, a population and no duplicates; namesakes and subsidiaries still exist only
    /// if set.
    pub fn none() -> Self {
        Noise {
            namesakes: 0.0,
            subsidiaries: 0.0,
            second_domains: 0.0,
            second_domain_rows: 0.0,
            duplicates: 0.0,
            duplicates_marked: 0.0,
            no_website: 0.0,
            junk_website: 0.0,
            legal_form_dropped: 0.0,
            legal_form_respelled: 0.0,
            the_moved: 0.0,
            and_swapped: 0.0,
            diacritics_stripped: 0.0,
            diacritics_transliterated: 0.0,
            upper_case: 0.0,
            lower_case: 0.0,
            punctuation: 0.0,
            stray_spaces: 0.0,
            www: 0.0,
            other_subdomain: 0.0,
            scheme: 0.0,
            path: 0.0,
            query: 0.0,
            fragment: 0.0,
            port: 0.0,
            trailing_slash: 0.0,
            trailing_dot: 0.0,
            website_case: 0.0,
            website_spaces: 0.0,
            hubspot_url_only: 0.0,
            hubspot_domain_only: 0.0,
            hubspot_internal_values: 0.0,
            hubspot_email: 0.0,
            hubspot_free_mail: 0.0,
            no_population: 0.0,
        }
    }
}

/// What to generate.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SampleSpec {
    /// Decides everything: the same spec gives the same bytes.
    pub seed: u64,
    /// Data rows of the Salesforce report, duplicates included.
    pub salesforce_rows: usize,
    /// Data rows of the HubSpot export, duplicates included.
    pub hubspot_rows: usize,
    /// The share of the smaller file's companies that the other file has too.
    pub shared: f64,
    /// How the Salesforce report is encoded.
    pub salesforce_encoding: SampleEncoding,
    /// How the HubSpot export is encoded.
    pub hubspot_encoding: SampleEncoding,
    /// Whether the Salesforce report ends with its footer.
    pub salesforce_footer: bool,
    /// How messy the rows are.
    pub noise: Noise,
}

impl SampleSpec {
    /// A spec with the default noise: 30% shared, a Salesforce report in Windows-1252 with its
    /// footer (Salesforce exports reports in the user's code page, often ISO-8859-1), a
    /// HubSpot export in UTF-8 with a byte order mark.
    pub fn new(seed: u64, salesforce_rows: usize, hubspot_rows: usize) -> Self {
        SampleSpec {
            seed,
            salesforce_rows,
            hubspot_rows,
            shared: 0.3,
            salesforce_encoding: SampleEncoding::Windows1252,
            hubspot_encoding: SampleEncoding::Utf8Bom,
            salesforce_footer: true,
            noise: Noise::default(),
        }
    }
}

/// What one file holds, counted while it was written.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct SideStats {
    /// Data rows.
    pub rows: u64,
    /// Distinct true companies.
    pub companies: u64,
    /// Rows that repeat a company already in the file.
    pub duplicate_rows: u64,
    /// Rows with an empty website (on HubSpot: both columns empty).
    pub no_website: u64,
    /// Rows with a junk website.
    pub junk_website: u64,
    /// Rows that write the company's second domain.
    pub second_domain: u64,
    /// HubSpot rows with the site only in `Website URL`.
    pub url_only: u64,
}

/// What the generator made.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct SampleStats {
    /// True companies, in either file or both.
    pub companies: u64,
    /// Companies in both files.
    pub shared_companies: u64,
    /// Companies that share their name with an unrelated one.
    pub namesakes: u64,
    /// Companies that are subsidiaries of another.
    pub subsidiaries: u64,
    /// The Salesforce report.
    pub salesforce: SideStats,
    /// The HubSpot export.
    pub hubspot: SideStats,
}

/// Two CRMs' exports of partly the same companies, and which company each row is.
#[derive(Clone, Debug)]
pub struct SampleExports {
    /// The Salesforce account report, encoded as the spec asks.
    pub salesforce: Vec<u8>,
    /// The HubSpot company export, encoded as the spec asks.
    pub hubspot: Vec<u8>,
    /// Which true company every row of both files is.
    pub truth: GroundTruth,
    /// What was made.
    pub stats: SampleStats,
}

/// The random streams, one per part, so that changing one part leaves the others alone.
const COMPANIES_STREAM: u64 = 1;
const SALESFORCE_STREAM: u64 = 2;
const HUBSPOT_STREAM: u64 = 3;

impl SampleExports {
    /// Generates both files and their ground truth.
    pub fn generate(spec: &SampleSpec) -> SampleExports {
        let noise = &spec.noise;
        let distinct = |rows: usize| {
            if rows == 0 {
                0
            } else {
                ((rows as f64 / (1.0 + noise.duplicates.max(0.0))).round() as usize).clamp(1, rows)
            }
        };
        let salesforce_companies = distinct(spec.salesforce_rows);
        let hubspot_companies = distinct(spec.hubspot_rows);
        let shared = ((spec.shared.clamp(0.0, 1.0)
            * salesforce_companies.min(hubspot_companies) as f64)
            .round() as usize)
            .min(salesforce_companies.min(hubspot_companies));
        let total = salesforce_companies + hubspot_companies - shared;

        let mut rng = rng::Rng::new(spec.seed, COMPANIES_STREAM);
        let companies = world::companies(total, noise, &mut rng);
        // Which companies each file has: a shuffled order, cut in three.
        let mut order: Vec<u32> = (0..total as u32).collect();
        rng.shuffle(&mut order);
        let salesforce_members = &order[..salesforce_companies];
        let hubspot_members: Vec<u32> = order[..shared]
            .iter()
            .chain(&order[salesforce_companies..])
            .copied()
            .collect();

        let salesforce = rows::salesforce(
            &companies,
            salesforce_members,
            spec,
            &mut rng::Rng::new(spec.seed, SALESFORCE_STREAM),
        );
        let hubspot = rows::hubspot(
            &companies,
            &hubspot_members,
            spec,
            &mut rng::Rng::new(spec.seed, HUBSPOT_STREAM),
        );
        let truth = GroundTruth::new(
            companies
                .iter()
                .map(|c| truth::TrueCompany {
                    name: c.name.clone(),
                    domain: c.domain.clone(),
                    country: c.country.code,
                })
                .collect(),
            salesforce.truth,
            hubspot.truth,
        );
        let count = |kin: world::Kin| companies.iter().filter(|c| c.kin == kin).count() as u64;
        let stats = SampleStats {
            companies: total as u64,
            shared_companies: shared as u64,
            namesakes: count(world::Kin::Namesake),
            subsidiaries: count(world::Kin::Subsidiary),
            salesforce: salesforce.stats,
            hubspot: hubspot.stats,
        };
        SampleExports {
            salesforce: salesforce.bytes,
            hubspot: hubspot.bytes,
            truth,
            stats,
        }
    }
}

/// How the matches stored for a connection compare with a sample's truth.
#[derive(Clone, Debug, Serialize)]
pub struct StoredScore {
    /// Every stored match, low-confidence ones (shown for review) included.
    pub all: Score,
    /// The high- and medium-confidence matches: those comark is sure of.
    pub sure: Score,
    /// How many stored matches there are of each confidence (high, medium, low).
    pub by_confidence: [u64; 3],
}

/// Scores the matches stored for `connection`, whose Salesforce side is the organization
/// `salesforce_org` (the other imported the HubSpot export), against `truth`. `None` when the
/// connection is not accepted.
pub async fn score_stored(
    store: &comark_store::Store,
    connection: comark_domain::ConnectionId,
    salesforce_org: comark_domain::OrgId,
    truth: &GroundTruth,
) -> comark_store::Result<Option<StoredScore>> {
    use comark_domain::accounts::MatchConfidence;
    let Some(stored) = store.matched_crm_ids(connection).await? else {
        return Ok(None);
    };
    let salesforce_is_low = stored.low_org == salesforce_org;
    let mut by_confidence = [0; 3];
    let matches: Vec<(&str, &str, bool)> = stored
        .matches
        .iter()
        .map(|m| {
            by_confidence[match m.confidence {
                MatchConfidence::High => 0,
                MatchConfidence::Medium => 1,
                MatchConfidence::Low => 2,
            }] += 1;
            let (sf, hs) = if salesforce_is_low {
                (&m.low_crm_id, &m.high_crm_id)
            } else {
                (&m.high_crm_id, &m.low_crm_id)
            };
            (
                sf.as_str(),
                hs.as_str(),
                m.confidence != MatchConfidence::Low,
            )
        })
        .collect();
    let (all, sure) = truth.score_counted(&matches);
    Ok(Some(StoredScore {
        all,
        sure,
        by_confidence,
    }))
}

/// Scores what [`comark_matching::match_in_passes`] found between the rows `salesforce_ids`
/// and `hubspot_ids` (in the order its inputs had): every match, then the counted ones.
pub fn score_passes(
    truth: &GroundTruth,
    salesforce_ids: &[String],
    hubspot_ids: &[String],
    found: &[comark_matching::PairMatch],
) -> (Score, Score) {
    let matches: Vec<(&str, &str, bool)> = found
        .iter()
        .map(|m| {
            (
                salesforce_ids[m.ours as usize].as_str(),
                hubspot_ids[m.theirs as usize].as_str(),
                m.confidence != comark_matching::Confidence::Low,
            )
        })
        .collect();
    truth.score_counted(&matches)
}

/// The CRM id and keys of every row of `file` that lands, read as `comark accounts import`
/// reads it with the suggested mapping (the keys a recompute matches on), in file order.
pub fn read_keys(
    file: &[u8],
) -> Result<(Vec<String>, Vec<comark_matching::AccountKeys>), crate::import::ImportError> {
    let head = &file[..file.len().min(crate::accounts::PREVIEW_BYTES)];
    let sniffed = crate::import::sniff(head, None)?;
    let reader = crate::import::AccountReader::new(
        file,
        sniffed.encoding,
        sniffed.delimiter,
        &sniffed.suggested,
    )?;
    Ok(reader
        .filter_map(Result::ok)
        .map(|account| {
            let keys = account.keys();
            (account.crm_id, keys)
        })
        .unzip())
}
