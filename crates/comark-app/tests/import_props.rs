//! Properties of the CSV account import: what the `csv` crate writes reads back unchanged,
//! whatever the delimiter and the text; every population value lands its row, the user's
//! reading first; and no input makes the import panic.

use std::collections::BTreeMap;

use comark_app::import::{sniff, value_key, AccountReader, ColumnMapping, ImportedAccount};
use comark_domain::accounts::BasePopulation;
use proptest::prelude::*;

/// Text as found in CRMs, trimmed and non-empty: any character comark stores (control
/// characters other than tab and line breaks are refused), with a good share of the ones CSV
/// has to quote.
fn text(max_chars: usize) -> impl Strategy<Value = String> {
    let stored = any::<char>().prop_map(|c| if c.is_control() { 'x' } else { c });
    let char = prop_oneof![
        4 => stored,
        1 => prop::sample::select(vec![',', ';', '\t', '|', '"', '\n', '\r', ' ', '\'', 'é']),
    ];
    prop::collection::vec(char, 1..=max_chars).prop_map(|chars| {
        let text: String = chars.into_iter().collect();
        match text.trim() {
            "" => "x".to_owned(),
            trimmed => trimmed.to_owned(),
        }
    })
}

#[derive(Clone, Debug)]
struct Account {
    id: String,
    name: String,
    website: Option<String>,
    population: Option<BasePopulation>,
    owner: Option<String>,
}

fn account() -> impl Strategy<Value = Account> {
    (
        text(20),
        text(60),
        prop::option::of(text(30)),
        prop::option::of(prop::sample::select(BasePopulation::ALL.to_vec())),
        prop::option::of(text(30)),
    )
        .prop_map(|(id, name, website, population, owner)| Account {
            id,
            name,
            website,
            population,
            owner,
        })
}

/// Writes `accounts` the way the `csv` crate does, with a header comark recognizes.
// A raw writer on purpose: this is a CRM's file, the importer's input, not one of comark's
// exports, so nothing may be neutralized.
#[allow(clippy::disallowed_types)]
fn write(accounts: &[Account], delimiter: u8, crlf: bool, bom: bool) -> Vec<u8> {
    let terminator = match crlf {
        true => csv::Terminator::CRLF,
        false => csv::Terminator::Any(b'\n'),
    };
    let mut out = Vec::new();
    if bom {
        out.extend_from_slice(b"\xEF\xBB\xBF");
    }
    let mut writer = csv::WriterBuilder::new()
        .delimiter(delimiter)
        .terminator(terminator)
        .from_writer(&mut out);
    let header = ["Id", "Name", "Website", "Population", "Owner"];
    writer
        .write_record(header)
        .expect("writing to memory cannot fail");
    for a in accounts {
        let population = a.population.map_or("", BasePopulation::as_str);
        writer
            .write_record([
                a.id.as_str(),
                &a.name,
                a.website.as_deref().unwrap_or(""),
                population,
                a.owner.as_deref().unwrap_or(""),
            ])
            .expect("writing to memory cannot fail");
    }
    writer.flush().expect("flushing to memory cannot fail");
    drop(writer);
    out
}

fn expected(accounts: &[Account]) -> Vec<ImportedAccount> {
    accounts
        .iter()
        .zip(2..)
        .map(|(a, row)| ImportedAccount {
            row,
            crm_id: a.id.clone(),
            name: a.name.clone(),
            website: a.website.clone(),
            other_sites: Vec::new(),
            population: a.population.unwrap_or(BasePopulation::Prospect),
            fields: a
                .owner
                .iter()
                .map(|owner| ("owner".to_owned(), owner.clone()))
                .collect::<BTreeMap<_, _>>(),
        })
        .collect()
}

/// The standard values of Salesforce's Type and HubSpot's lifecycle stage, in a few spellings.
const STANDARD_VALUES: &[&str] = &[
    "Analyst",
    "Competitor",
    "Customer",
    "Customer - Direct",
    "customer_channel",
    "Channel Partner / Reseller",
    "Installation Partner",
    "TECHNOLOGY PARTNER",
    "Integrator",
    "Investor",
    "Partner",
    "Press",
    "Prospect",
    "Reseller",
    "Other",
    "subscriber",
    "Lead",
    "marketingqualifiedlead",
    "Sales Qualified Lead",
    "opportunity",
    "evangelist",
    "unclassified",
];

/// A population cell: a standard value, any text at all, or nothing.
fn population_cell() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => prop::sample::select(STANDARD_VALUES.to_vec()).prop_map(str::to_owned),
        3 => text(30),
        1 => Just(String::new()),
    ]
}

/// Writes rows of (name, population cell) under the headers `Name` and `Population`.
#[allow(clippy::disallowed_types)]
fn write_populations(rows: &[(String, String)]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut writer = csv::Writer::from_writer(&mut out);
    writer
        .write_record(["Name", "Population"])
        .expect("writing to memory cannot fail");
    for (name, population) in rows {
        writer
            .write_record([name, population])
            .expect("writing to memory cannot fail");
    }
    writer.flush().expect("flushing to memory cannot fail");
    drop(writer);
    out
}

/// Bytes that look a little like CSV, so that the fuzzing reaches past the header.
fn csvish_bytes() -> impl Strategy<Value = Vec<u8>> {
    let byte = prop_oneof![
        3 => any::<u8>(),
        2 => prop::sample::select(b",;\t|\"\r\n aZ\xEF\xBB\xBF\xFF\xFE\x00".to_vec()),
    ];
    prop::collection::vec(byte, 0..600)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn written_accounts_read_back_unchanged(
        accounts in prop::collection::vec(account(), 0..20),
        delimiter in prop::sample::select(vec![b',', b';', b'\t', b'|']),
        crlf in any::<bool>(),
        bom in any::<bool>(),
    ) {
        let file = write(&accounts, delimiter, crlf, bom);
        let sniffed = sniff(&file, None).expect("a written file sniffs");
        prop_assert_eq!(sniffed.encoding, "UTF-8");
        prop_assert_eq!(sniffed.had_bom, bom);
        prop_assert_eq!(sniffed.delimiter, delimiter);

        let reader = AccountReader::new(&file[..], sniffed.encoding, delimiter, &sniffed.suggested)
            .expect("the suggested mapping fits");
        let read: Vec<ImportedAccount> = reader
            .collect::<Result<_, _>>()
            .expect("every written row is valid");
        prop_assert_eq!(read, expected(&accounts));
    }

    #[test]
    fn a_row_with_a_control_character_is_rejected_by_its_column_and_the_others_land(
        accounts in prop::collection::vec(account(), 2..10),
        victim in any::<prop::sample::Index>(),
        control in prop_oneof![0u32..0x09, 0x0bu32..0x0d, 0x0eu32..0x20, 0x7fu32..0xa0],
    ) {
        let control = char::from_u32(control).expect("a control character");
        let mut accounts = accounts;
        let at = victim.index(accounts.len());
        accounts[at].name = format!("{}{control}{}", accounts[at].name, accounts[at].name);
        let file = write(&accounts, b',', false, false);
        let sniffed = sniff(&file, None).expect("a written file sniffs");
        let reader = AccountReader::new(&file[..], sniffed.encoding, b',', &sniffed.suggested)
            .expect("the suggested mapping fits");
        let rows: Vec<_> = reader.collect();
        prop_assert_eq!(rows.len(), accounts.len());
        for (index, row) in rows.iter().enumerate() {
            if index == at {
                let error = row.as_ref().expect_err("the damaged row is rejected");
                prop_assert_eq!(error.row, at as u64 + 2);
                prop_assert_eq!(error.column.as_deref(), Some("Name"));
                let code = format!("U+{:04X}", u32::from(control));
                prop_assert!(error.reason.contains(&code), "{}", error.reason);
            } else {
                prop_assert!(row.is_ok(), "{:?}", row);
            }
        }
    }

    #[test]
    fn any_population_value_lands_its_row_and_the_users_reading_wins(
        rows in prop::collection::vec((text(20), population_cell()), 1..30),
        // What the user says some of the values mean, by the index of the row holding them.
        yours in prop::collection::vec(
            (any::<prop::sample::Index>(), prop::sample::select(BasePopulation::ALL.to_vec()), any::<bool>()),
            0..6,
        ),
        default_population in prop::sample::select(BasePopulation::ALL.to_vec()),
        unreadable_population in prop::sample::select(BasePopulation::ALL.to_vec()),
    ) {
        let mut mapping = ColumnMapping {
            default_population,
            unreadable_population,
            ..ColumnMapping::default()
        };
        mapping.columns.insert("name".into(), "Name".into());
        mapping.columns.insert("population".into(), "Population".into());
        for (at, population, shout) in &yours {
            let value = &rows[at.index(rows.len())].1;
            // The user may spell the value in another case than the file.
            let spelled = if *shout { value.to_uppercase() } else { value.clone() };
            mapping.population_values.insert(spelled, *population);
        }
        let file = write_populations(&rows);
        let mut reader = AccountReader::new(&file[..], "utf-8", b',', &mapping)
            .expect("the mapping fits");
        let read: Vec<_> = reader.by_ref().collect();
        prop_assert_eq!(read.len(), rows.len());
        let readings: BTreeMap<String, BasePopulation> = mapping
            .population_values
            .iter()
            .map(|(value, population)| (value_key(value), *population))
            .collect();
        for (item, (_, cell)) in read.iter().zip(&rows) {
            let account = item.as_ref().map_err(|e| TestCaseError::fail(format!("{cell:?} rejected: {e}")))?;
            let value = cell.trim();
            let expected = if value.is_empty() {
                default_population
            } else if let Some(population) = readings.get(&value_key(value)) {
                *population
            } else {
                BasePopulation::from_crm_value(value).unwrap_or(unreadable_population)
            };
            prop_assert_eq!(account.population, expected, "{:?}", cell);
        }
        let tally = reader.population_tally();
        let counted: u64 = tally.rows_by_population.values().sum();
        prop_assert_eq!(counted, rows.len() as u64);
        let listed: u64 = tally.values.iter().map(|v| v.rows).sum();
        prop_assert_eq!(listed + tally.more_rows, rows.len() as u64);
    }

    #[test]
    fn no_input_makes_the_import_panic(
        file in csvish_bytes(),
        label in prop::option::of(prop::sample::select(vec!["utf-8", "windows-1252", "utf-16le", "utf-16be", "shift_jis", "gb18030"])),
        delimiter in any::<u8>(),
    ) {
        let sniffed = sniff(&file, label);
        let (encoding, mut mapping) = match &sniffed {
            Ok(sniffed) => (sniffed.encoding, sniffed.suggested.clone()),
            Err(_) => ("utf-8", Default::default()),
        };
        if let Some(first) = sniffed.as_ref().ok().and_then(|s| s.headers.first()) {
            mapping.columns.entry("name".to_owned()).or_insert_with(|| first.clone());
        }
        for delimiter in [sniffed.as_ref().map_or(b',', |s| s.delimiter), delimiter] {
            if let Ok(mut reader) = AccountReader::new(&file[..], encoding, delimiter, &mapping) {
                for item in reader.by_ref() {
                    drop(item);
                }
                prop_assert!(reader.bytes_read() <= file.len() as u64);
                drop(reader.finish());
            }
        }
    }
}
