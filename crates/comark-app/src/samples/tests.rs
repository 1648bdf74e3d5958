use std::collections::{BTreeMap, HashMap, HashSet};

use super::text::fit_windows_1252;
use super::*;
use crate::import::{sniff, AccountReader, CrmFormat, ImportedAccount, RowError};

const ENCODINGS: [SampleEncoding; 3] = [
    SampleEncoding::Utf8,
    SampleEncoding::Utf8Bom,
    SampleEncoding::Windows1252,
];

fn spec(seed: u64, salesforce_rows: usize, hubspot_rows: usize) -> SampleSpec {
    SampleSpec::new(seed, salesforce_rows, hubspot_rows)
}

/// Reads a whole file as an import does: sniffs its first 64 KiB, then reads it with the
/// encoding and the mapping the sniff found.
fn read(
    file: &[u8],
) -> (
    crate::import::Sniffed,
    Vec<Result<ImportedAccount, RowError>>,
) {
    let head = &file[..file.len().min(crate::accounts::PREVIEW_BYTES)];
    let sniffed = sniff(head, None).expect("a sample file sniffs");
    let reader = AccountReader::new(
        file,
        sniffed.encoding,
        sniffed.delimiter,
        &sniffed.suggested,
    )
    .expect("the suggested mapping fits the header");
    let items = reader.collect();
    (sniffed, items)
}

/// Checks that `items` are the truth's rows in order: each an account with its CRM id, or a
/// row rejected for its population (which comark may not read yet).
fn assert_rows_are_the_truth(
    items: &[Result<ImportedAccount, RowError>],
    truth: &[TruthRow],
    population_header: &str,
) {
    assert_eq!(items.len(), truth.len(), "one item per data row, no footer");
    for (at, (item, row)) in items.iter().zip(truth).enumerate() {
        let spreadsheet_row = at as u64 + 2;
        match item {
            Ok(account) => {
                assert_eq!(account.crm_id, row.crm_id);
                assert_eq!(account.row, spreadsheet_row);
            }
            Err(error) => {
                assert_eq!(error.row, spreadsheet_row);
                assert_eq!(
                    error.column.as_deref(),
                    Some(population_header),
                    "only a population may be refused: {error}"
                );
            }
        }
    }
}

#[test]
fn the_same_spec_gives_the_same_files_and_truth() {
    let spec = spec(7, 800, 600);
    let first = SampleExports::generate(&spec);
    let second = SampleExports::generate(&spec);
    assert_eq!(first.salesforce, second.salesforce);
    assert_eq!(first.hubspot, second.hubspot);
    assert_eq!(first.truth.salesforce, second.truth.salesforce);
    assert_eq!(first.truth.hubspot, second.truth.hubspot);
    assert_eq!(first.truth.companies, second.truth.companies);
    assert_eq!(first.stats, second.stats);

    let other = SampleExports::generate(&SampleSpec { seed: 8, ..spec });
    assert_ne!(first.salesforce, other.salesforce);
    assert_ne!(first.hubspot, other.hubspot);
}

#[test]
fn changing_one_sides_encoding_leaves_the_other_file_alone() {
    let utf8 = SampleExports::generate(&SampleSpec {
        salesforce_encoding: SampleEncoding::Utf8,
        ..spec(3, 300, 200)
    });
    let cp1252 = SampleExports::generate(&spec(3, 300, 200));
    assert_eq!(utf8.hubspot, cp1252.hubspot);
    assert_eq!(utf8.truth.salesforce, cp1252.truth.salesforce);
}

#[test]
fn comark_reads_both_files_as_salesforce_and_hubspot_in_every_encoding() {
    for encoding in ENCODINGS {
        let sample = SampleExports::generate(&SampleSpec {
            salesforce_encoding: encoding,
            hubspot_encoding: encoding,
            ..spec(11, 2000, 1500)
        });
        for (file, truth, format, population) in [
            (
                &sample.salesforce,
                &sample.truth.salesforce,
                CrmFormat::Salesforce,
                "Type",
            ),
            (
                &sample.hubspot,
                &sample.truth.hubspot,
                CrmFormat::Hubspot,
                "Lifecycle Stage",
            ),
        ] {
            let (sniffed, items) = read(file);
            assert_eq!(sniffed.format, format, "{encoding:?}");
            assert_eq!(sniffed.encoding, encoding.label(), "{format:?}");
            assert_eq!(
                sniffed.had_bom,
                encoding == SampleEncoding::Utf8Bom,
                "{format:?}"
            );
            assert_eq!(sniffed.delimiter, b',');
            let columns = &sniffed.suggested.columns;
            let (id, website) = match format {
                CrmFormat::Salesforce => ("Account ID", "Website"),
                _ => ("Record ID", "Company Domain Name"),
            };
            assert_eq!(columns.get("crm_id").map(String::as_str), Some(id));
            assert_eq!(columns.get("website").map(String::as_str), Some(website));
            assert!(columns.contains_key("name") && columns.contains_key("population"));
            assert_rows_are_the_truth(&items, truth, population);
            let accepted = items.iter().filter(|item| item.is_ok()).count();
            assert!(
                accepted * 2 > items.len(),
                "most rows land: {accepted} of {}",
                items.len()
            );
        }
    }
}

#[test]
fn the_salesforce_footer_is_not_read_as_accounts() {
    for footer in [true, false] {
        let sample = SampleExports::generate(&SampleSpec {
            salesforce_footer: footer,
            ..spec(5, 40, 30)
        });
        let text = encoding_rs::WINDOWS_1252.decode(&sample.salesforce).0;
        assert_eq!(text.contains("salesforce.com, inc."), footer);
        let (_, items) = read(&sample.salesforce);
        assert_rows_are_the_truth(&items, &sample.truth.salesforce, "Type");
    }
}

#[test]
fn a_windows_1252_file_decodes_to_exactly_the_text_written() {
    let sample = |encoding| {
        SampleExports::generate(&SampleSpec {
            salesforce_encoding: encoding,
            hubspot_encoding: encoding,
            ..spec(21, 3000, 3000)
        })
    };
    let utf8 = sample(SampleEncoding::Utf8);
    let cp1252 = sample(SampleEncoding::Windows1252);
    for (text, bytes) in [
        (&utf8.salesforce, &cp1252.salesforce),
        (&utf8.hubspot, &cp1252.hubspot),
    ] {
        let text = std::str::from_utf8(text).expect("a UTF-8 sample is UTF-8");
        // Names from Poland and Japan have letters the code page lacks: they are written
        // without their marks, everything else as it is.
        assert!(text.chars().any(|c| !text::in_windows_1252(c)));
        let fitted = fit_windows_1252(text);
        assert!(fitted.contains('ü') || fitted.contains('é') || fitted.contains('ö'));
        let (decoded, _, malformed) = encoding_rs::WINDOWS_1252.decode(bytes);
        assert!(!malformed);
        assert_eq!(decoded, fitted);
        assert!(bytes.iter().any(|&b| b >= 0x80), "some bytes are not ASCII");
    }
    assert_eq!(
        fit_windows_1252("Wiśniewski Łódź Katō"),
        "Wisniewski Lódz Kato"
    );
    assert_eq!(fit_windows_1252("Müller Æbeløe €"), "Müller Æbeløe €");
}

#[test]
fn a_utf8_file_with_a_bom_is_the_utf8_file_after_three_bytes() {
    let plain = SampleExports::generate(&SampleSpec {
        hubspot_encoding: SampleEncoding::Utf8,
        ..spec(4, 50, 50)
    });
    let bom = SampleExports::generate(&spec(4, 50, 50));
    assert_eq!(&bom.hubspot[..3], b"\xEF\xBB\xBF");
    assert_eq!(&bom.hubspot[3..], &plain.hubspot[..]);
}

#[test]
fn the_truth_names_every_row_and_duplicates_are_the_same_company() {
    let sample = SampleExports::generate(&spec(13, 20_000, 15_000));
    let truth = &sample.truth;
    let stats = &sample.stats;
    for (rows, side, wanted) in [
        (&truth.salesforce, &stats.salesforce, 20_000),
        (&truth.hubspot, &stats.hubspot, 15_000),
    ] {
        assert_eq!(rows.len(), wanted);
        assert_eq!(side.rows, wanted as u64);
        let ids: HashSet<String> = rows.iter().map(|r| r.crm_id.to_lowercase()).collect();
        assert_eq!(ids.len(), rows.len(), "ids are unique, even without case");
        let companies: HashSet<CompanyId> = rows.iter().map(|r| r.company).collect();
        assert_eq!(companies.len() as u64, side.companies);
        assert_eq!(side.rows - side.companies, side.duplicate_rows);
        assert!(rows
            .iter()
            .all(|r| (r.company.0 as usize) < truth.companies.len()));
    }
    assert!(truth
        .salesforce
        .iter()
        .all(|r| r.crm_id.len() == 18 && r.crm_id.starts_with("001")));
    assert!(truth
        .hubspot
        .iter()
        .all(|r| r.crm_id.bytes().all(|b| b.is_ascii_digit())));

    // 30% of the smaller file's companies are in both.
    let shared = truth.shared_companies();
    assert_eq!(shared.len() as u64, stats.shared_companies);
    let expected = (0.3 * stats.hubspot.companies as f64).round() as u64;
    assert_eq!(stats.shared_companies, expected);

    let pairs = truth.pairs();
    assert!(pairs.len() >= shared.len());
    for (salesforce, hubspot) in &pairs {
        let ours = truth
            .salesforce_company(salesforce)
            .expect("a Salesforce id");
        let theirs = truth.hubspot_company(hubspot).expect("a HubSpot id");
        assert_eq!(ours, theirs);
    }
    let paired: HashSet<CompanyId> = pairs
        .iter()
        .filter_map(|(salesforce, _)| truth.salesforce_company(salesforce))
        .collect();
    assert_eq!(paired.len(), shared.len());

    let csv = String::from_utf8(truth.to_csv()).expect("the truth is UTF-8");
    assert_eq!(csv.lines().count(), 1 + 20_000 + 15_000);
    assert!(csv.starts_with("file,crm_id,company,name,domain,country\n"));
}

#[test]
fn namesakes_and_subsidiaries_share_a_name_but_not_a_domain() {
    let sample = SampleExports::generate(&spec(17, 20_000, 20_000));
    let companies = &sample.truth.companies;
    let domains: HashSet<&str> = companies.iter().map(|c| c.domain.as_str()).collect();
    assert_eq!(
        domains.len(),
        companies.len(),
        "every company has its own domain"
    );
    let mut by_name: HashMap<&str, Vec<&TrueCompany>> = HashMap::new();
    for company in companies {
        by_name.entry(&company.name).or_default().push(company);
    }
    let shared_names = by_name.values().filter(|same| same.len() > 1).count() as u64;
    let related = sample.stats.namesakes + sample.stats.subsidiaries;
    assert!(related > 100, "{related} namesakes and subsidiaries");
    assert!(
        shared_names > related / 2,
        "{shared_names} names are shared"
    );
}

#[test]
fn without_noise_every_row_is_its_company_clean() {
    let sample = SampleExports::generate(&SampleSpec {
        salesforce_encoding: SampleEncoding::Utf8,
        noise: Noise::none(),
        ..spec(19, 500, 400)
    });
    let (_, items) = read(&sample.salesforce);
    let by_id: HashMap<&str, CompanyId> = sample
        .truth
        .salesforce
        .iter()
        .map(|r| (r.crm_id.as_str(), r.company))
        .collect();
    assert_eq!(sample.stats.salesforce.duplicate_rows, 0);
    assert_rows_are_the_truth(&items, &sample.truth.salesforce, "Type");
    for account in items.into_iter().flatten() {
        let company = &sample.truth.companies[by_id[account.crm_id.as_str()].0 as usize];
        assert_eq!(account.website.as_deref(), Some(company.domain.as_str()));
        assert!(
            account.name.starts_with(&company.name),
            "{} is {}",
            account.name,
            company.name
        );
    }
}

#[test]
fn the_noise_comes_out_near_its_shares() {
    let sample = SampleExports::generate(&SampleSpec {
        salesforce_encoding: SampleEncoding::Utf8,
        hubspot_encoding: SampleEncoding::Utf8,
        ..spec(23, 20_000, 20_000)
    });
    let noise = Noise::default();
    let near = |count: u64, of: u64, share: f64, what: &str| {
        let seen = count as f64 / of as f64;
        assert!(
            (seen - share).abs() < share * 0.2 + 0.005,
            "{what}: {seen:.3}, not near {share}"
        );
    };
    for side in [&sample.stats.salesforce, &sample.stats.hubspot] {
        near(side.no_website, side.rows, noise.no_website, "no website");
        near(side.junk_website, side.rows, noise.junk_website, "junk");
        near(
            side.duplicate_rows,
            side.companies,
            noise.duplicates,
            "duplicates",
        );
    }
    let hubspot = &sample.stats.hubspot;
    let with_site = hubspot.rows - hubspot.no_website - hubspot.junk_website;
    near(
        hubspot.url_only,
        with_site,
        noise.hubspot_url_only,
        "url only",
    );

    let text = std::str::from_utf8(&sample.salesforce).expect("UTF-8");
    let rows = text.lines().skip(1).take(20_000);
    let upper = rows
        .filter(|line| {
            let name = line.split("\",\"").nth(1).unwrap_or_default();
            name.chars().any(char::is_alphabetic) && name == name.to_uppercase()
        })
        .count();
    // Upper case by the noise, and a few names that are all initials and a form.
    near(upper as u64, 20_000, noise.upper_case, "upper case names");
}

#[test]
fn every_standard_type_and_lifecycle_stage_appears() {
    let sample = SampleExports::generate(&SampleSpec {
        salesforce_encoding: SampleEncoding::Utf8,
        hubspot_encoding: SampleEncoding::Utf8,
        ..spec(29, 20_000, 20_000)
    });
    let values = |file: &[u8], header: &str| -> BTreeMap<String, usize> {
        let mut reader = csv::ReaderBuilder::new().from_reader(file);
        let column = reader
            .headers()
            .expect("a header")
            .iter()
            .position(|h| h == header)
            .expect("the column");
        let mut seen = BTreeMap::new();
        for record in reader.records().flatten() {
            if record.len() > column {
                *seen.entry(record[column].to_owned()).or_insert(0) += 1;
            }
        }
        seen
    };
    let types = values(&sample.salesforce, "Type");
    for value in [
        "Analyst",
        "Competitor",
        "Customer",
        "Integrator",
        "Investor",
        "Partner",
        "Press",
        "Prospect",
        "Reseller",
        "Other",
        "Customer - Direct",
        "Customer - Channel",
        "Channel Partner / Reseller",
        "Installation Partner",
        "Technology Partner",
        "",
    ] {
        assert!(types.contains_key(value), "Type {value:?}");
    }
    let stages = values(&sample.hubspot, "Lifecycle Stage");
    for value in [
        "Subscriber",
        "Lead",
        "Marketing Qualified Lead",
        "Sales Qualified Lead",
        "Opportunity",
        "Customer",
        "Evangelist",
        "Other",
        "subscriber",
        "lead",
        "marketingqualifiedlead",
        "salesqualifiedlead",
        "opportunity",
        "customer",
        "evangelist",
        "other",
        "",
    ] {
        assert!(stages.contains_key(value), "Lifecycle Stage {value:?}");
    }
}

/// A hand-made truth: Salesforce rows s1 and s2 are company A (a duplicate), s3 is B, s4
/// is C (a namesake of D), s5 is E; HubSpot rows h1 is A, h2 is B, h3 is D, h4 is F. A and
/// B are in both files: two company pairs to find, three row pairs.
fn hand_made() -> GroundTruth {
    let company = |name: &str, domain: &str| TrueCompany {
        name: name.to_owned(),
        domain: domain.to_owned(),
        country: "US",
    };
    let row = |id: &str, company: u32| TruthRow {
        crm_id: id.to_owned(),
        company: CompanyId(company),
    };
    GroundTruth::new(
        vec![
            company("Acme", "acme.com"),
            company("Bolt", "bolt.io"),
            company("Delta", "delta.com"),
            company("Delta", "delta.co.uk"),
            company("Echo", "echo.com"),
            company("Fox", "fox.com"),
        ],
        vec![
            row("s1", 0),
            row("s2", 0),
            row("s3", 1),
            row("s4", 2),
            row("s5", 4),
        ],
        vec![row("h1", 0), row("h2", 1), row("h3", 3), row("h4", 5)],
    )
}

#[test]
fn matches_equal_to_the_truth_score_one() {
    let truth = hand_made();
    let score = truth.score(truth.pairs());
    for accuracy in [score.companies, score.rows] {
        assert_eq!(accuracy.precision(), 1.0);
        assert_eq!(accuracy.recall(), 1.0);
        assert_eq!(accuracy.f1(), 1.0);
    }
    assert_eq!(score.companies.true_positives, 2);
    assert_eq!(score.rows.true_positives, 3);

    let sample = SampleExports::generate(&spec(31, 3000, 2000));
    let pairs = sample.truth.pairs();
    let score = sample.truth.score(pairs.iter().copied());
    assert_eq!(score.companies.f1(), 1.0);
    assert_eq!(score.rows.f1(), 1.0);
    assert_eq!(
        score.companies.true_positives,
        sample.stats.shared_companies
    );
}

#[test]
fn the_score_counts_distinct_companies_and_namesakes_as_wrong() {
    let truth = hand_made();
    let score = truth.score([
        ("s1", "h1"),
        // The duplicate of A found too: the same company pair, one more row pair.
        ("s2", "h1"),
        // Namesakes matched to each other.
        ("s4", "h3"),
        // Given twice, counted once.
        ("s1", "h1"),
        // An id neither file has.
        ("s9", "h2"),
    ]);
    assert_eq!(score.unknown_ids, 1);
    assert_eq!(
        score.companies,
        Accuracy {
            true_positives: 1,
            false_positives: 2,
            false_negatives: 1,
        }
    );
    assert!((score.companies.precision() - 1.0 / 3.0).abs() < 1e-12);
    assert!((score.companies.recall() - 0.5).abs() < 1e-12);
    assert!((score.companies.f1() - 0.4).abs() < 1e-12);
    assert_eq!(
        score.rows,
        Accuracy {
            true_positives: 2,
            false_positives: 2,
            false_negatives: 1,
        }
    );
    assert!((score.rows.precision() - 0.5).abs() < 1e-12);
    assert!((score.rows.recall() - 2.0 / 3.0).abs() < 1e-12);
    assert!((score.rows.f1() - 4.0 / 7.0).abs() < 1e-12);
}

#[test]
fn no_matches_score_zero_and_find_nothing() {
    let score = hand_made().score([]);
    assert_eq!(score.companies.precision(), 0.0);
    assert_eq!(score.companies.recall(), 0.0);
    assert_eq!(score.companies.f1(), 0.0);
    assert_eq!(score.companies.false_negatives, 2);
    assert_eq!(score.rows.false_negatives, 3);
}

/// How the passes do on one messy sample: (every match, matches comark is sure of).
fn passes_score(spec: &SampleSpec) -> (Score, Score) {
    let sample = SampleExports::generate(spec);
    let (sf_ids, sf_keys) = read_keys(&sample.salesforce).expect("a sample reads");
    let (hs_ids, hs_keys) = read_keys(&sample.hubspot).expect("a sample reads");
    assert_eq!(
        sf_ids.len(),
        sample.truth.salesforce.len(),
        "every row lands"
    );
    assert_eq!(hs_ids.len(), sample.truth.hubspot.len(), "every row lands");
    let found = comark_matching::match_in_passes(&sf_keys, &hs_keys);
    score_passes(&sample.truth, &sf_ids, &hs_ids, &found)
}

#[test]
fn the_passes_find_the_companies_two_messy_exports_share() {
    // The yardstick of issue 11, in memory: the keys an import stores, the passes a
    // recompute runs. The stored path is measured by the CLI and HTTP tests and by
    // `comark bench mapping-accuracy`.
    for seed in [7, 8] {
        let (all, sure) = passes_score(&spec(seed, 20_000, 15_000));
        eprintln!("seed {seed}: every match: {}", all.companies);
        eprintln!("seed {seed}: high and medium: {}", sure.companies);
        assert!(all.companies.recall() >= 0.99, "{}", all.companies);
        assert!(sure.companies.recall() >= 0.98, "{}", sure.companies);
        // Namesakes met by name alone are what is left of the wrong matches (most of them
        // low, shown for review); a domain match is all but never wrong.
        assert!(sure.companies.precision() >= 0.98, "{}", sure.companies);
        assert_eq!(all.unknown_ids, 0);
    }
}

#[test]
fn without_noise_the_passes_find_every_shared_company_and_are_sure_of_no_wrong_one() {
    let mut clean = spec(9, 3000, 2000);
    clean.noise = Noise::none();
    let (all, sure) = passes_score(&clean);
    assert_eq!(all.companies.recall(), 1.0, "{}", all.companies);
    assert_eq!(sure.companies.precision(), 1.0, "{}", sure.companies);
    // Different companies whose names fold alike (`Müller Bau`, `Mueller Bau`) can only be
    // told apart by their websites: they are low matches, for review.
    assert!(all.companies.precision() >= 0.99, "{}", all.companies);
}
