use std::collections::BTreeMap;

use comark_domain::accounts::BasePopulation;

use super::*;

type Item = Result<ImportedAccount, RowError>;

/// Sniffs a whole file, then reads it with what the sniff found and suggested.
fn import(file: &[u8]) -> (Sniffed, Vec<Item>) {
    let sniffed = sniff(file, None).expect("the test file sniffs");
    let items = read(file, &sniffed.suggested, sniffed.delimiter);
    (sniffed, items)
}

fn read(file: &[u8], mapping: &ColumnMapping, delimiter: u8) -> Vec<Item> {
    AccountReader::new(file, "utf-8", delimiter, mapping)
        .expect("the header fits the mapping")
        .collect()
}

fn accounts(items: Vec<Item>) -> Vec<ImportedAccount> {
    items
        .into_iter()
        .map(|item| item.expect("every row of this file is valid"))
        .collect()
}

fn mapping(columns: &[(&str, &str)]) -> ColumnMapping {
    ColumnMapping {
        columns: columns
            .iter()
            .map(|&(field, header)| (field.to_owned(), header.to_owned()))
            .collect(),
        ..ColumnMapping::default()
    }
}

fn fields(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|&(key, value)| (key.to_owned(), value.to_owned()))
        .collect()
}

fn row_error(row: u64, column: Option<&str>, reason: &str) -> Item {
    Err(RowError {
        row,
        column: column.map(str::to_owned),
        reason: reason.to_owned(),
    })
}

fn error_of(item: &Item) -> RowError {
    item.clone()
        .expect_err("the row was expected to be rejected")
}

const SALESFORCE: &str = "\
\"Account ID\",\"Account Name\",\"Type\",\"Website\",\"Account Owner\",\"Industry\",\"Billing Country\",\"Billing State/Province\",\"Employees\",\"Annual Revenue\"\r
\"0015g00000AbCdEAAV\",\"Acme Corporation\",\"Customer - Direct\",\"https://www.acme.com\",\"Jane Smith\",\"Manufacturing\",\"United States\",\"CA\",\"1200\",\"250000000\"\r
\"0015g00000AbCdFAAV\",\"Globex, Inc.\",\"Prospect\",\"globex.com\",\"John Doe\",\"Energy\",\"USA\",\"\",\"\",\"\"\r
\"0015g00000AbCdGAAV\",\"Initech\",\"Technology Partner\",\"initech.io\",\"Jane Smith\",\"\",\"\",\"\",\"\",\"\"\r
\"0015g00000AbCdHAAV\",\"Umbrella Corp\",\"\",\"\",\"John Doe\",\"Pharmaceuticals\",\"Germany\",\"Berlin\",\"50000\",\"\"\r
";

#[test]
fn reads_a_salesforce_account_report() {
    let (sniffed, items) = import(SALESFORCE.as_bytes());
    assert_eq!(sniffed.format, CrmFormat::Salesforce);
    assert_eq!(sniffed.encoding, "UTF-8");
    assert!(!sniffed.had_bom);
    assert_eq!(sniffed.delimiter, b',');
    assert_eq!(
        sniffed.suggested,
        mapping(&[
            ("crm_id", "Account ID"),
            ("name", "Account Name"),
            ("population", "Type"),
            ("website", "Website"),
            ("owner", "Account Owner"),
            ("industry", "Industry"),
            ("country", "Billing Country"),
            ("region", "Billing State/Province"),
            ("employees", "Employees"),
            ("annual_revenue", "Annual Revenue"),
        ])
    );
    assert_eq!(sniffed.sample.len(), 4);
    assert_eq!(sniffed.sample[1][1], "Globex, Inc.");
    // A partner is no reason to reject a row: it lands, unclassified.
    assert_eq!(sniffed.sample_errors, []);

    assert_eq!(
        items,
        [
            Ok(ImportedAccount {
                row: 2,
                crm_id: "0015g00000AbCdEAAV".into(),
                name: "Acme Corporation".into(),
                website: Some("https://www.acme.com".into()),
                other_sites: Vec::new(),
                population: BasePopulation::Customer,
                fields: fields(&[
                    ("owner", "Jane Smith"),
                    ("industry", "Manufacturing"),
                    ("country", "United States"),
                    ("region", "CA"),
                    ("employees", "1200"),
                    ("annual_revenue", "250000000"),
                ]),
            }),
            Ok(ImportedAccount {
                row: 3,
                crm_id: "0015g00000AbCdFAAV".into(),
                name: "Globex, Inc.".into(),
                website: Some("globex.com".into()),
                other_sites: Vec::new(),
                population: BasePopulation::Prospect,
                fields: fields(&[
                    ("owner", "John Doe"),
                    ("industry", "Energy"),
                    ("country", "USA"),
                ]),
            }),
            Ok(ImportedAccount {
                row: 4,
                crm_id: "0015g00000AbCdGAAV".into(),
                name: "Initech".into(),
                website: Some("initech.io".into()),
                other_sites: Vec::new(),
                population: BasePopulation::Unclassified,
                fields: fields(&[("owner", "Jane Smith")]),
            }),
            Ok(ImportedAccount {
                row: 5,
                crm_id: "0015g00000AbCdHAAV".into(),
                name: "Umbrella Corp".into(),
                website: None,
                other_sites: Vec::new(),
                population: BasePopulation::Prospect,
                fields: fields(&[
                    ("owner", "John Doe"),
                    ("industry", "Pharmaceuticals"),
                    ("country", "Germany"),
                    ("region", "Berlin"),
                    ("employees", "50000"),
                ]),
            }),
        ]
    );
}

#[test]
fn salesforce_prefers_the_case_safe_id() {
    let file = "Account ID,Account Name,Account ID (18)\n001A,Acme,001A000000xyzAAA\n";
    let (sniffed, _) = import(file.as_bytes());
    assert_eq!(sniffed.suggested.columns["crm_id"], "Account ID (18)");
}

const HUBSPOT: &str = "\
\"Record ID\",\"Company name\",\"Company Domain Name\",\"Lifecycle Stage\",\"Company owner\",\"Country/Region\",\"Number of Employees\"
\"5873219401\",\"Hooli\",\"hooli.xyz\",\"customer\",\"Gavin Belson\",\"United States\",\"5000\"
\"5873219402\",\"Pied Piper\",\"piedpiper.com\",\"salesqualifiedlead\",\"Richard Hendricks\",\"United States\",\"12\"
\"5873219403\",\"Raviga Capital\",\"\",\"evangelist\",\"\",\"\",\"\"
\"5873219404\",\"Bachmanity\",\"\",\"\",\"\",\"\",\"\"
\"\",\"Aviato\",\"aviato.com\",\"opportunity\",\"Erlich Bachman\",\"\",\"\"
\"5873219406\",\"Endframe\",\"endframe.com\",\"opportunity\",\"\",\"\",\"\"
";

#[test]
fn reads_a_hubspot_company_export() {
    let (sniffed, items) = import(HUBSPOT.as_bytes());
    assert_eq!(sniffed.format, CrmFormat::Hubspot);
    assert_eq!(
        sniffed.suggested,
        mapping(&[
            ("crm_id", "Record ID"),
            ("name", "Company name"),
            ("website", "Company Domain Name"),
            ("population", "Lifecycle Stage"),
            ("owner", "Company owner"),
            ("country", "Country/Region"),
            ("employees", "Number of Employees"),
        ])
    );
    let empty_id = row_error(6, Some("Record ID"), "the CRM id is empty");
    assert_eq!(sniffed.sample_errors, [error_of(&empty_id)]);

    let summary: Vec<_> = items
        .iter()
        .map(|item| {
            item.as_ref()
                .map(|a| (a.row, a.crm_id.as_str(), a.name.as_str(), a.population))
        })
        .collect();
    use BasePopulation::*;
    assert_eq!(
        summary,
        [
            Ok((2, "5873219401", "Hooli", Customer)),
            Ok((3, "5873219402", "Pied Piper", Prospect)),
            Ok((4, "5873219403", "Raviga Capital", Customer)),
            Ok((5, "5873219404", "Bachmanity", Prospect)),
            Err(&error_of(&empty_id)),
            Ok((7, "5873219406", "Endframe", Opportunity)),
        ]
    );
    let hooli = items[0].as_ref().expect("Hooli is valid");
    assert_eq!(hooli.website.as_deref(), Some("hooli.xyz"));
    assert_eq!(
        hooli.fields,
        fields(&[
            ("owner", "Gavin Belson"),
            ("country", "United States"),
            ("employees", "5000"),
        ])
    );
}

#[test]
fn hubspot_falls_back_to_the_website_url() {
    let file = "Record ID,Name,Website URL,Company name\n1,x,https://acme.com,Acme\n";
    let (sniffed, _) = import(file.as_bytes());
    assert_eq!(sniffed.format, CrmFormat::Hubspot);
    assert_eq!(sniffed.suggested.columns["name"], "Company name");
    assert_eq!(sniffed.suggested.columns["website"], "Website URL");
}

/// Semicolons and windows-1252, as French Excel saves a CSV.
const FRENCH_EXCEL: &[u8] = b"Company;Website;Country\r\n\
Soci\xe9t\xe9 G\xe9n\xe9rale;societegenerale.com;France\r\n\
Cr\xe9dit Agricole;credit-agricole.fr;France\r\n\
\xc9lectricit\xe9 de France;edf.fr;France\r\n\
Herm\xe8s International;hermes.com;France\r\n\
L'Or\xe9al;loreal.fr;France\r\n";

#[test]
fn detects_windows_1252_and_semicolons() {
    let sniffed = sniff(FRENCH_EXCEL, None).expect("the file sniffs");
    assert_eq!(sniffed.encoding, "windows-1252");
    assert_eq!(sniffed.delimiter, b';');
    assert_eq!(sniffed.sample[0][0], "Société Générale");
    assert_eq!(sniffed.suggested.columns["website"], "Website");

    let reader = AccountReader::new(FRENCH_EXCEL, sniffed.encoding, b';', &sniffed.suggested)
        .expect("the header fits");
    let names: Vec<String> = accounts(reader.collect())
        .into_iter()
        .map(|a| a.name)
        .collect();
    assert_eq!(
        names,
        [
            "Société Générale",
            "Crédit Agricole",
            "Électricité de France",
            "Hermès International",
            "L'Oréal"
        ]
    );
}

#[test]
fn an_explicit_encoding_label_is_used() {
    let sniffed = sniff(FRENCH_EXCEL, Some("iso-8859-1")).expect("the label is known");
    assert_eq!(sniffed.encoding, "windows-1252");
    assert_eq!(sniffed.sample[4][0], "L'Oréal");

    // Read as UTF-8 against the user's word, the accents become replacement characters.
    let sniffed = sniff(FRENCH_EXCEL, Some("utf-8")).expect("the label is known");
    assert_eq!(
        sniffed.sample[0][0],
        "Soci\u{fffd}t\u{fffd} G\u{fffd}n\u{fffd}rale"
    );

    assert!(matches!(
        sniff(FRENCH_EXCEL, Some("klingon")),
        Err(ImportError::UnknownEncoding(label)) if label == "klingon"
    ));
    assert!(matches!(
        AccountReader::new(
            FRENCH_EXCEL,
            "klingon",
            b';',
            &mapping(&[("name", "Company")])
        ),
        Err(ImportError::UnknownEncoding(_))
    ));
}

#[test]
fn a_utf8_bom_is_honoured_and_stripped_and_crlf_is_a_line_break() {
    let file =
        b"\xEF\xBB\xBFName,Website\r\nZ\xC3\xBCrich Insurance,zurich.com\r\nNestl\xC3\xA9,\r\n";
    // The BOM wins over a label that says otherwise.
    let sniffed = sniff(file, Some("windows-1252")).expect("the file sniffs");
    assert_eq!(sniffed.encoding, "UTF-8");
    assert!(sniffed.had_bom);
    assert_eq!(sniffed.headers, ["Name", "Website"]);
    assert_eq!(
        sniffed.sample,
        [["Zürich Insurance", "zurich.com"], ["Nestlé", ""]]
    );

    let reader = AccountReader::new(&file[..], "windows-1252", b',', &sniffed.suggested)
        .expect("the header fits");
    assert_eq!(reader.headers(), ["Name", "Website"]);
    let read = accounts(reader.collect());
    assert_eq!(read[0].name, "Zürich Insurance");
    assert_eq!(read[0].website.as_deref(), Some("zurich.com"));
    assert_eq!(read[1].name, "Nestlé");
    assert_eq!(read[1].website, None);
}

#[test]
fn reads_utf16le_with_a_bom() {
    let text = "Name\tWebsite\r\nMüller GmbH\tmueller.de\r\n東京電力\ttepco.co.jp\r\n";
    let mut file = vec![0xFF, 0xFE];
    file.extend(text.encode_utf16().flat_map(u16::to_le_bytes));

    let sniffed = sniff(&file, None).expect("the file sniffs");
    assert_eq!(sniffed.encoding, "UTF-16LE");
    assert!(sniffed.had_bom);
    assert_eq!(sniffed.delimiter, b'\t');
    let reader = AccountReader::new(&file[..], sniffed.encoding, b'\t', &sniffed.suggested)
        .expect("the header fits");
    let read = accounts(reader.collect());
    assert_eq!(read[0].name, "Müller GmbH");
    assert_eq!(read[1].name, "東京電力");
    assert_eq!(read[1].crm_id, "key:tepco.co.jp");

    // A head cut in the middle of a character and of a row loses that row, nothing more.
    let cut = sniff(&file[..file.len() - 5], None).expect("the head sniffs");
    assert_eq!(cut.sample, [["Müller GmbH", "mueller.de"]]);
}

#[test]
fn quoted_cells_keep_delimiters_quotes_and_line_breaks_without_shifting_rows() {
    let file = "Name,Website,Notes\r\n\
\"Acme, Inc.\",acme.com,\"Line one\r\nline two\"\r\n\
\"The \"\"Best\"\" Co\",best.co,\"\"\r\n\
,nope.com,no name here\r\n";
    let mut mapping = mapping(&[("name", "Name"), ("website", "Website")]);
    mapping.extra = vec!["Notes".into()];
    let items = read(file.as_bytes(), &mapping, b',');
    let acme = items[0].as_ref().expect("Acme is valid");
    assert_eq!(acme.name, "Acme, Inc.");
    assert_eq!(acme.fields, fields(&[("notes", "Line one\r\nline two")]));
    let best = items[1].as_ref().expect("Best is valid");
    assert_eq!((best.row, best.name.as_str()), (3, "The \"Best\" Co"));
    assert!(best.fields.is_empty());
    // Line 5 in a text editor, row 4 in a spreadsheet: the row is what people fix.
    assert_eq!(
        items[2],
        row_error(4, Some("Name"), "the account name is empty")
    );
}

#[test]
fn rows_that_do_not_line_up_are_rejected_but_trailing_empty_cells_are_fine() {
    let file =
        "Name,Website,Country\nAcme,acme.com\nGlobex,globex.com,US,,\nInitech,initech.io,US,oops\n";
    let items = read(file.as_bytes(), &mapping(&[("name", "Name")]), b',');
    assert_eq!(
        items[0],
        row_error(2, None, "row has 2 columns, the header has 3")
    );
    assert_eq!(items[1].as_ref().map(|a| a.row), Ok(3));
    assert_eq!(
        items[2],
        row_error(4, None, "row has 4 columns, the header has 3")
    );
}

#[test]
fn blank_rows_are_skipped_silently() {
    // An empty line is not a record (not counted); a row of empty cells is one (counted).
    let file = "Name,Website\n\nAcme,acme.com\n,\n  ,  \nGlobex,\n";
    let read = accounts(read(file.as_bytes(), &mapping(&[("name", "Name")]), b','));
    let rows: Vec<(u64, &str)> = read.iter().map(|a| (a.row, a.name.as_str())).collect();
    assert_eq!(rows, [(2, "Acme"), (5, "Globex")]);
}

#[test]
fn lengths_are_limited() {
    let long_name = "é".repeat(MAX_NAME_CHARS + 1);
    let longest_name = "é".repeat(MAX_NAME_CHARS);
    let long_value = "x".repeat(MAX_VALUE_CHARS + 1);
    let file = format!("Name,Owner\n{long_name},\n{longest_name},x\nAcme,{long_value}\n");
    let items = read(
        file.as_bytes(),
        &mapping(&[("name", "Name"), ("owner", "Owner")]),
        b',',
    );
    assert_eq!(
        items[0],
        row_error(
            2,
            Some("Name"),
            "the account name is longer than 300 characters"
        )
    );
    assert!(items[1].is_ok());
    assert_eq!(
        items[2],
        row_error(4, Some("Owner"), "the value is longer than 1000 characters")
    );
}

#[test]
fn the_mapping_must_fit_the_headers() {
    let file = b"Name,Website\nAcme,acme.com\n";
    let new = |mapping: &ColumnMapping| AccountReader::new(&file[..], "utf-8", b',', mapping);
    assert!(matches!(
        new(&mapping(&[("name", "Company")])),
        Err(ImportError::MissingColumn { field, header }) if field == "name" && header == "Company"
    ));
    assert!(matches!(
        new(&mapping(&[("website", "Website")])),
        Err(ImportError::NoNameColumn)
    ));
    assert!(matches!(
        new(&mapping(&[("name", "Name"), ("nmae", "Name")])),
        Err(ImportError::UnknownField(field)) if field == "nmae"
    ));
    let mut with_extra = mapping(&[("name", "Name")]);
    with_extra.extra = vec!["Notes".into()];
    assert!(matches!(
        new(&with_extra),
        Err(ImportError::MissingColumn { field, header }) if field == "notes" && header == "Notes"
    ));
    let message = new(&mapping(&[("name", "Company")]))
        .expect_err("the column is missing")
        .to_string();
    assert_eq!(
        message,
        "the file has no column 'Company', which the mapping uses for name"
    );
}

#[test]
fn empty_files_and_headerless_files_are_refused() {
    let mapping = mapping(&[("name", "Name")]);
    for empty in [&b""[..], b"\xEF\xBB\xBF", b"\n\r\n"] {
        assert!(matches!(sniff(empty, None), Err(ImportError::Empty)));
        assert!(matches!(
            AccountReader::new(empty, "utf-8", b',', &mapping),
            Err(ImportError::Empty)
        ));
    }
    let headerless = b" , \nAcme,acme.com\n";
    assert!(matches!(
        sniff(headerless, None),
        Err(ImportError::NoHeader)
    ));
    assert!(matches!(
        AccountReader::new(&headerless[..], "utf-8", b',', &mapping),
        Err(ImportError::NoHeader)
    ));
}

#[test]
fn headers_are_trimmed_and_blank_ones_named() {
    let sniffed = sniff(b" Name ,,Website\n", None).expect("the header sniffs");
    assert_eq!(sniffed.headers, ["Name", "column 2", "Website"]);
    assert!(sniffed.sample.is_empty());
}

#[test]
fn duplicate_headers_map_to_the_first() {
    let file = "Name,Owner,Owner\nAcme,Jane,John\n";
    let read = accounts(read(
        file.as_bytes(),
        &mapping(&[("name", "Name"), ("owner", "Owner")]),
        b',',
    ));
    assert_eq!(read[0].fields, fields(&[("owner", "Jane")]));
}

#[test]
fn synthesized_ids_are_stable_across_runs() {
    let file =
        "Company,Website\nAcme,https://www.acme.com/about\nGlobex GmbH,\n???,\nInitech,localhost\n";
    let ids = || {
        let (_, items) = import(file.as_bytes());
        accounts(items)
            .into_iter()
            .map(|a| a.crm_id)
            .collect::<Vec<_>>()
    };
    let first = ids();
    assert_eq!(
        first,
        [
            "key:acme.com",
            "key:name:globex",
            "key:name:???",
            "key:name:initech"
        ]
    );
    assert_eq!(first, ids());
}

#[test]
fn sniffs_the_delimiter_outside_quotes() {
    let delimiter = |head: &str| sniff(head.as_bytes(), None).expect("sniffs").delimiter;
    assert_eq!(delimiter("Name\tWebsite\tOwner\n"), b'\t');
    assert_eq!(delimiter("Name|Website\n"), b'|');
    assert_eq!(delimiter("\"Name, Inc\";\"Web, site\"\n"), b';');
    assert_eq!(delimiter("Name,Website;Owner\n"), b',');
    assert_eq!(delimiter("Name\n"), b',');
    // Only the header line counts.
    assert_eq!(delimiter("Name;Website\nA,B,C,D,E\n"), b';');
}

#[test]
fn the_sample_stops_at_ten_rows_and_before_a_cut_row() {
    let mut head = String::from("Name,Website\n");
    for i in 0..12 {
        head.push_str(&format!("Company {i},c{i}.com\n"));
    }
    let sniffed = sniff(head.as_bytes(), None).expect("sniffs");
    assert_eq!(sniffed.sample.len(), SAMPLE_ROWS);
    assert_eq!(sniffed.sample[9][0], "Company 9");

    let cut = sniff(b"Name,Website\nAcme,acme.com\nGlob", None).expect("sniffs");
    assert_eq!(cut.sample, [["Acme", "acme.com"]]);
    // A line break inside an open quote does not end the row.
    let cut = sniff(b"Name,Notes\nAcme,x\nGlobex,\"one\ntw", None).expect("sniffs");
    assert_eq!(cut.sample, [["Acme", "x"]]);
}

#[test]
fn sample_errors_use_the_suggested_mapping() {
    let head = "Name,Type\nAcme,Customer\n,Prospect\nGlobex,Reseller\nHooli,Gold\n";
    let sniffed = sniff(head.as_bytes(), None).expect("sniffs");
    assert_eq!(sniffed.suggested.columns["population"], "Type");
    let rows: Vec<(u64, Option<&str>)> = sniffed
        .sample_errors
        .iter()
        .map(|e| (e.row, e.column.as_deref()))
        .collect();
    // Only the nameless row: no population value rejects a row.
    assert_eq!(rows, [(3, Some("Name"))]);

    let unnamed = sniff(b"Foo,Bar\n,\n", None).expect("sniffs");
    assert!(!unnamed.suggested.columns.contains_key("name"));
    assert!(unnamed.sample_errors.is_empty());
}

#[test]
fn the_users_reading_of_populations_wins() {
    let file = "Name,Type\nAcme,Technology Partner\nGlobex,Prospect\nInitech,\nHooli,Gold\n";
    let mut mapping = mapping(&[("name", "Name"), ("population", "Type")]);
    mapping.default_population = BasePopulation::Customer;
    mapping.population_values = [
        ("Technology Partner".to_owned(), BasePopulation::Opportunity),
        ("prospect".to_owned(), BasePopulation::Customer),
        ("gold".to_owned(), BasePopulation::Prospect),
    ]
    .into();
    let read = accounts(read(file.as_bytes(), &mapping, b','));
    let populations: Vec<BasePopulation> = read.iter().map(|a| a.population).collect();
    assert_eq!(
        populations,
        [
            BasePopulation::Opportunity,
            BasePopulation::Customer,
            BasePopulation::Customer,
            BasePopulation::Prospect,
        ]
    );
}

/// Read whole, with the suggested mapping: the accounts and how the population was read.
fn import_with_tally(file: &[u8], mapping: Option<ColumnMapping>) -> (Vec<Item>, PopulationTally) {
    let sniffed = sniff(file, None).expect("the test file sniffs");
    let mapping = mapping.unwrap_or(sniffed.suggested);
    let mut reader = AccountReader::new(file, "utf-8", sniffed.delimiter, &mapping)
        .expect("the header fits the mapping");
    let items: Vec<Item> = reader.by_ref().collect();
    (items, reader.population_tally())
}

fn line(value: &str, rows: u64, read_as: ReadAs, population: BasePopulation) -> ValueCount {
    ValueCount {
        value: value.to_owned(),
        rows,
        read_as,
        population,
    }
}

/// A Salesforce report with every standard Type, a blank one and odd spellings.
const EVERY_SALESFORCE_TYPE: &str = "Account ID,Account Name,Type\n\
1,Analyst Co,Analyst\n2,Rival Co,Competitor\n3,Buyer Co,Customer\n4,Direct Co,Customer - Direct\n\
5,Channel Co,Customer - Channel\n6,Reseller One,Channel Partner / Reseller\n\
7,Installer Co,Installation Partner\n8,Tech Co,Technology Partner\n9,Integrator Co,Integrator\n\
10,Fund Co,Investor\n11,Partner Co,Partner\n12,Paper Co,Press\n13,Maybe Co,Prospect\n\
14,Reseller Two,Reseller\n15,Other Co,Other\n16,Blank Co,\n17,Shouty Co,  PARTNER \n\
18,Dashed Co,customer-direct\n19,Lower Co,other\n";

#[test]
fn every_salesforce_type_lands_in_its_documented_population() {
    use BasePopulation::*;
    let (items, tally) = import_with_tally(EVERY_SALESFORCE_TYPE.as_bytes(), None);
    let landed: Vec<(String, BasePopulation)> = accounts(items)
        .into_iter()
        .map(|a| (a.name, a.population))
        .collect();
    let expected = [
        ("Analyst Co", Unclassified),
        ("Rival Co", Unclassified),
        ("Buyer Co", Customer),
        ("Direct Co", Customer),
        ("Channel Co", Customer),
        ("Reseller One", Unclassified),
        ("Installer Co", Unclassified),
        ("Tech Co", Unclassified),
        ("Integrator Co", Unclassified),
        ("Fund Co", Unclassified),
        ("Partner Co", Unclassified),
        ("Paper Co", Unclassified),
        ("Maybe Co", Prospect),
        ("Reseller Two", Unclassified),
        ("Other Co", Unclassified),
        ("Blank Co", Prospect),
        ("Shouty Co", Unclassified),
        ("Dashed Co", Customer),
        ("Lower Co", Unclassified),
    ];
    let expected: Vec<(String, BasePopulation)> = expected
        .iter()
        .map(|(name, population)| ((*name).to_owned(), *population))
        .collect();
    assert_eq!(landed, expected);

    assert_eq!(tally.column.as_deref(), Some("Type"));
    assert_eq!(
        tally.rows_by_population,
        BTreeMap::from([(Customer, 4), (Prospect, 2), (Unclassified, 13)])
    );
    // Values differing only in case are one value, spelled as first met; most rows first.
    assert_eq!(
        tally.values[0],
        line("Other", 2, ReadAs::Standard, Unclassified)
    );
    assert_eq!(
        tally.values[1],
        line("Partner", 2, ReadAs::Standard, Unclassified)
    );
    assert!(tally.values.contains(&line("", 1, ReadAs::Blank, Prospect)));
    assert!(tally
        .values
        .contains(&line("customer-direct", 1, ReadAs::Standard, Customer)));
    assert_eq!(tally.values.len(), 17);
    assert_eq!(tally.values.iter().map(|v| v.rows).sum::<u64>(), 19);
    assert_eq!((tally.more_values, tally.more_rows), (0, 0));
    assert_eq!(tally.unreadable_rows(), 0);
    assert_eq!(
        tally.values[0].describe(tally.column.as_deref()),
        "2 rows with Type \"Other\" counted as unclassified (standard reading)"
    );
    assert_eq!(
        line("", 1, ReadAs::Blank, Prospect).describe(Some("Type")),
        "1 row with no Type counted as prospect (the default population)"
    );
}

/// A HubSpot export with every lifecycle stage, internal names and labels.
const EVERY_HUBSPOT_STAGE: &str = "Record ID,Company name,Lifecycle Stage\n\
1,A,subscriber\n2,B,lead\n3,C,marketingqualifiedlead\n4,D,salesqualifiedlead\n5,E,opportunity\n\
6,F,customer\n7,G,evangelist\n8,H,other\n9,I,Subscriber\n10,J,Lead\n11,K,Marketing Qualified Lead\n\
12,L,Sales Qualified Lead\n13,M,Opportunity\n14,N,Customer\n15,O,Evangelist\n16,P,Other\n17,Q,\n";

#[test]
fn every_hubspot_lifecycle_stage_lands_in_its_documented_population() {
    use BasePopulation::*;
    let (items, tally) = import_with_tally(EVERY_HUBSPOT_STAGE.as_bytes(), None);
    let landed: Vec<BasePopulation> = accounts(items).into_iter().map(|a| a.population).collect();
    let expected_half = [
        Prospect,
        Prospect,
        Prospect,
        Prospect,
        Opportunity,
        Customer,
        Customer,
        Unclassified,
    ];
    let expected: Vec<BasePopulation> = expected_half
        .iter()
        .chain(expected_half.iter())
        .copied()
        .chain([Prospect])
        .collect();
    assert_eq!(landed, expected);
    assert_eq!(
        tally.rows_by_population,
        BTreeMap::from([
            (Customer, 4),
            (Opportunity, 2),
            (Prospect, 9),
            (Unclassified, 2)
        ])
    );
    // The label and the internal name of a stage are two values, each read the same.
    assert!(tally
        .values
        .contains(&line("Sales Qualified Lead", 1, ReadAs::Standard, Prospect)));
    assert!(tally
        .values
        .contains(&line("salesqualifiedlead", 1, ReadAs::Standard, Prospect)));
}

#[test]
fn a_value_nobody_can_read_lands_in_the_unreadable_value_population_and_is_counted() {
    use BasePopulation::*;
    let file = "Name,Type\nAcme,Gold\nGlobex,gold\nInitech,Silver\nHooli,Customer\n,Gold\n";
    let mut columns = mapping(&[("name", "Name"), ("population", "Type")]);
    let (items, tally) = import_with_tally(file.as_bytes(), Some(columns.clone()));
    let populations: Vec<_> = items
        .iter()
        .map(|item| item.as_ref().map(|a| a.population).map_err(|e| e.row))
        .collect();
    assert_eq!(
        populations,
        [
            Ok(Unclassified),
            Ok(Unclassified),
            Ok(Unclassified),
            Ok(Customer),
            Err(6)
        ]
    );
    // The rejected row (no name) is not counted: only rows that land are.
    assert_eq!(
        tally.values,
        [
            line("Gold", 2, ReadAs::Unreadable, Unclassified),
            line("Customer", 1, ReadAs::Standard, Customer),
            line("Silver", 1, ReadAs::Unreadable, Unclassified),
        ]
    );
    assert_eq!(tally.unreadable_rows(), 3);
    assert_eq!(
        tally.values[0].describe(Some("Type")),
        "2 rows with Type \"Gold\" counted as unclassified (a value comark does not know)"
    );

    columns.unreadable_population = Opportunity;
    columns.population_values = [("silver".to_owned(), Prospect)].into();
    let (items, tally) = import_with_tally(file.as_bytes(), Some(columns));
    let populations: Vec<_> = accounts(items.into_iter().take(4).collect())
        .into_iter()
        .map(|a| a.population)
        .collect();
    assert_eq!(populations, [Opportunity, Opportunity, Prospect, Customer]);
    assert_eq!(tally.values[2], line("Silver", 1, ReadAs::Yours, Prospect));
}

#[test]
fn the_tally_lists_the_most_frequent_values_and_sums_the_rest() {
    let mut file = String::from("Name,Type\n");
    for n in 0..(LISTED_VALUES + 5) {
        // Value n has n + 1 rows, so the five least frequent are summed.
        for copy in 0..=n {
            file.push_str(&format!("Co {n} {copy},Tier {n}\n"));
        }
    }
    let (items, tally) = import_with_tally(file.as_bytes(), None);
    assert!(items.iter().all(Result::is_ok));
    assert_eq!(tally.values.len(), LISTED_VALUES);
    assert_eq!(tally.values[0].value, format!("Tier {}", LISTED_VALUES + 4));
    assert_eq!(tally.more_values, 5);
    assert_eq!(tally.more_rows, 1 + 2 + 3 + 4 + 5);
    assert!(tally.all_values_told_apart);
    assert_eq!(
        tally.describe_rest().as_deref(),
        Some("and 5 other values in 15 rows")
    );
    let total: u64 = tally.rows_by_population.values().sum();
    assert_eq!(total, items.len() as u64);
}

#[test]
fn a_file_without_a_population_column_counts_every_row_in_the_default_population() {
    let (_, tally) = import_with_tally(b"Name\nAcme\nGlobex\n", None);
    assert_eq!(tally.column, None);
    assert_eq!(
        tally.values,
        [line("", 2, ReadAs::Blank, BasePopulation::Prospect)]
    );
    assert_eq!(
        tally.values[0].describe(None),
        "2 rows without a population column counted as prospect (the default population)"
    );
}

#[test]
fn the_preview_counts_the_values_of_every_row_it_holds_but_a_cut_last_one() {
    let file = "Name,Type\nAcme,Partner\nGlobex,Gold\nInitech,Gol";
    let columns = mapping(&[("name", "Name"), ("population", "Type")]);
    let cut = read_populations(file.as_bytes(), false, "utf-8", b',', &columns).expect("fits");
    let values: Vec<(&str, u64)> = cut
        .values
        .iter()
        .map(|v| (v.value.as_str(), v.rows))
        .collect();
    assert_eq!(values, [("Gold", 1), ("Partner", 1)]);
    let whole = read_populations(file.as_bytes(), true, "utf-8", b',', &columns).expect("fits");
    assert_eq!(whole.values.len(), 3);
    let other = mapping(&[("name", "Company")]);
    assert_eq!(
        read_populations(file.as_bytes(), true, "utf-8", b',', &other),
        None
    );
}

#[test]
fn extras_are_stored_under_slugs_that_never_clash() {
    let file = "Name,Notes,Industry,Owner,Industry \nAcme,hello,Retail,Jane,Food\n";
    let mut mapping = mapping(&[("name", "Name"), ("owner", "Owner")]);
    mapping.extra = vec![
        "Notes".into(),
        "Industry".into(),
        "Name".into(),
        "Notes".into(),
    ];
    let read = accounts(read(file.as_bytes(), &mapping, b','));
    assert_eq!(
        read[0].fields,
        fields(&[
            ("owner", "Jane"),
            ("notes", "hello"),
            ("industry_2", "Retail"),
        ])
    );
}

#[test]
fn a_runaway_quote_stops_the_import_instead_of_filling_memory() {
    let mut file = String::from("Name,Website\nAcme,acme.com\n\"Globex,globex.com\n");
    while file.len() <= 9 << 20 {
        file.push_str("Initech,initech.io\n");
    }
    let mut reader = AccountReader::new(
        file.as_bytes(),
        "utf-8",
        b',',
        &mapping(&[("name", "Name")]),
    )
    .expect("the header fits");
    assert!(reader.next().is_some_and(|item| item.is_ok()));
    let stop = reader.next().expect("the runaway row is reported");
    assert_eq!(
        stop,
        row_error(
            3,
            None,
            "the row is longer than 8 MB: a quoted value probably lacks its closing quote; \
             reading stopped here"
        )
    );
    assert!(reader.next().is_none());
    assert!(reader.bytes_read() < 10 << 20);
    assert!(matches!(
        reader.finish(),
        Err(ImportError::Malformed { row: 3, .. })
    ));
}

#[test]
fn counts_the_raw_bytes_read() {
    let mut reader = AccountReader::new(
        FRENCH_EXCEL,
        "windows-1252",
        b';',
        &mapping(&[("name", "Company")]),
    )
    .expect("the header fits");
    assert!(reader.bytes_read() > 0);
    assert_eq!(reader.by_ref().count(), 5);
    assert_eq!(reader.bytes_read(), FRENCH_EXCEL.len() as u64);
    assert!(reader.finish().is_ok());
}

#[test]
fn io_errors_end_the_import() {
    struct Failing(usize);
    impl std::io::Read for Failing {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            let data = b"Name\nAcme\n";
            if self.0 >= data.len() {
                return Err(std::io::Error::other("disk on fire"));
            }
            let n = buf.len().min(data.len() - self.0);
            buf[..n].copy_from_slice(&data[self.0..self.0 + n]);
            self.0 += n;
            Ok(n)
        }
    }
    let mut reader = AccountReader::new(Failing(0), "utf-8", b',', &mapping(&[("name", "Name")]))
        .expect("the header arrives before the failure");
    assert!(reader.next().is_some_and(|item| item.is_ok()));
    assert_eq!(
        reader.next(),
        Some(row_error(
            3,
            None,
            "could not read the file: disk on fire; reading stopped here"
        ))
    );
    assert_eq!(reader.next(), None);
    let error = reader.finish().expect_err("the source failed");
    assert!(matches!(error, ImportError::Io(_)));
}

#[test]
fn the_reader_can_move_to_a_worker_thread() {
    fn assert_send<T: Send>() {}
    assert_send::<AccountReader<std::fs::File>>();
}

#[test]
fn a_saved_mapping_reads_back_with_defaults() {
    let mapping: ColumnMapping =
        serde_json::from_str(r#"{"columns":{"name":"Name"}}"#).expect("valid JSON");
    assert_eq!(mapping.default_population, BasePopulation::Prospect);
    // Mappings saved before values could be unreadable read them as unclassified.
    assert_eq!(mapping.unreadable_population, BasePopulation::Unclassified);
    assert!(mapping.extra.is_empty());
    let format = serde_json::to_string(&CrmFormat::Hubspot).expect("serializes");
    assert_eq!(format, "\"hubspot\"");
}

/// What Salesforce writes under a classic report's rows.
const SALESFORCE_FOOTER: &str = "\
\"\"\r
\"Accounts by type\"\r
\"Copyright (c) 2000-2026 salesforce.com, inc. All rights reserved.\"\r
\"Confidential Information - Do Not Distribute\"\r
\"Generated By:  Olivia Owner  11/30/2026 9:12 AM\"\r
\"Northwind Software\"\r
";

#[test]
fn a_salesforce_report_footer_is_skipped_not_rejected() {
    let plain = import(SALESFORCE.as_bytes()).1;
    let with_footer = format!("{SALESFORCE}{SALESFORCE_FOOTER}");
    let (sniffed, items) = import(with_footer.as_bytes());
    assert_eq!(items, plain, "the footer adds neither accounts nor errors");
    assert!(
        sniffed.sample_errors.iter().all(|e| e.row < 6),
        "{:?}",
        sniffed.sample_errors
    );
}

#[test]
fn one_cell_rows_after_a_blank_row_are_still_accounts_when_no_footer_follows() {
    let file = "Name,Website,Owner\nAcme,acme.com,Jane\n,,\nGlobex,,\nInitech,,\n,,\nUmbrella,,\nHooli,hooli.xyz,Joe\n";
    let columns = mapping(&[("name", "Name"), ("website", "Website"), ("owner", "Owner")]);
    let names: Vec<(u64, String)> = accounts(read(file.as_bytes(), &columns, b','))
        .into_iter()
        .map(|a| (a.row, a.name))
        .collect();
    assert_eq!(
        names,
        [
            (2, "Acme".to_owned()),
            (4, "Globex".to_owned()),
            (5, "Initech".to_owned()),
            (7, "Umbrella".to_owned()),
            (8, "Hooli".to_owned()),
        ],
        "in order, with their spreadsheet rows"
    );
    // Held to the end of the file, they are still imported.
    let tail = "Name,Website\nAcme,acme.com\n,\nGlobex,\n";
    let columns = mapping(&[("name", "Name"), ("website", "Website")]);
    assert_eq!(accounts(read(tail.as_bytes(), &columns, b',')).len(), 2);
}
