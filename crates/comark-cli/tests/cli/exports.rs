//! `--format csv` and `mapping export` hold a partner's formulas as text, and the counts
//! comark computes as numbers.

use super::*;

/// Brightlane's CRM, with names and owners a spreadsheet would evaluate.
const BRIGHTLANE_HOSTILE: &str = "Account ID,Account Name,Website,Type,Account Owner\n\
B1,=1+1,one-corp.com,Customer - Direct,=cmd|' /C calc'!A0\n\
B2,+1+1,two-corp.com,Customer - Direct,+1 555 0100\n\
B3,-2+3,three-corp.com,Customer - Direct,-1\n\
B4,@SUM(A1:A2),four-corp.com,Customer - Direct,＠SUM(A1)\n\
B5,\" =HYPERLINK(\"\"http://evil\"\",\"\"x\"\")\",five-corp.com,Customer - Direct,\"\t=1\"\n";

/// The same companies in Northwind's CRM.
const NORTHWIND_PLAIN: &str = "Account ID,Account Name,Website,Type\n\
N1,One,one-corp.com,Customer - Direct\n\
N2,Two,two-corp.com,Customer - Direct\n\
N3,Three,three-corp.com,Customer - Direct\n\
N4,Four,four-corp.com,Customer - Direct\n\
N5,Five,five-corp.com,Customer - Direct\n";

/// Brightlane's names as the CSV must hold them: trimmed on import, then quoted.
const QUOTED_NAMES: [&str; 5] = [
    "'+1+1",
    "'-2+3",
    "'=1+1",
    "'=HYPERLINK(\"http://evil\",\"x\")",
    "'@SUM(A1:A2)",
];

/// Every row of a CSV output (several tables may follow each other).
fn parse(csv: &str) -> Vec<Vec<String>> {
    csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(csv.as_bytes())
        .records()
        .map(|record| {
            record
                .expect("the output parses as CSV")
                .iter()
                .map(str::to_owned)
                .collect()
        })
        .collect()
}

fn assert_nothing_evaluated(rows: &[Vec<String>]) {
    for cell in rows.iter().flatten() {
        assert!(
            !cell.starts_with(['\t', '\r'])
                && !cell
                    .trim_start()
                    .starts_with(['=', '+', '-', '@', '＝', '＋', '－', '＠']),
            "a spreadsheet would evaluate {cell:?} in {rows:?}"
        );
    }
}

/// The cells under `header` in the table whose header row holds it, sorted.
fn column(rows: &[Vec<String>], header: &str) -> Vec<String> {
    let (start, at) = rows
        .iter()
        .enumerate()
        .find_map(|(idx, row)| Some((idx, row.iter().position(|h| h == header)?)))
        .unwrap_or_else(|| panic!("no column {header:?} in {rows:?}"));
    let width = rows[start].len();
    let mut cells: Vec<String> = rows[start + 1..]
        .iter()
        .take_while(|row| row.len() == width)
        .map(|row| row[at].clone())
        .collect();
    cells.sort();
    cells
}

#[test]
fn csv_output_holds_a_partners_formulas_as_text_and_counts_as_numbers() {
    let dir = TempDir::create();
    let data_dir = dir.join("data").to_string_lossy().into_owned();
    let with_db = |args: &[&str]| comark_on(&["--data-dir", &data_dir], args);
    with_db(&["demo"]).assert_success();
    for (org, csv) in [
        ("brightlane", BRIGHTLANE_HOSTILE),
        ("northwind", NORTHWIND_PLAIN),
    ] {
        let path = dir.join(&format!("{org}.csv"));
        std::fs::write(&path, csv).expect("write");
        let path = path.to_string_lossy().into_owned();
        with_db(&["accounts", "import", "--org", org, "--replace", &path]).assert_success();
    }
    with_db(&[
        "mapping",
        "share",
        "--org",
        "brightlane",
        "--partner",
        "northwind",
        "--population",
        "customer",
        "--level",
        "overlaps_with_fields",
        "--fields",
        "owner",
    ])
    .assert_success();
    with_db(&[
        "mapping",
        "recompute",
        "--org",
        "northwind",
        "--partner",
        "brightlane",
    ])
    .assert_success();

    // Brightlane's own list.
    let listed = with_db(&["accounts", "list", "--org", "brightlane", "--format", "csv"]);
    listed.assert_success();
    let rows = parse(&listed.stdout);
    assert_nothing_evaluated(&rows);
    assert_eq!(column(&rows, "name"), QUOTED_NAMES, "{}", listed.stdout);

    // The imports: the row counts are numbers, written as they are.
    let imports = with_db(&[
        "accounts",
        "imports",
        "--org",
        "brightlane",
        "--format",
        "csv",
    ]);
    imports.assert_success();
    let rows = parse(&imports.stdout);
    assert_nothing_evaluated(&rows);
    let imported = column(&rows, "imported");
    assert!(imported.contains(&"5".to_owned()), "{}", imports.stdout);
    assert!(
        imported.iter().all(|n| n.parse::<u64>().is_ok()),
        "{}",
        imports.stdout
    );

    // What Northwind sees of Brightlane: the matrix's counts, then Brightlane's accounts.
    let shown = with_db(&[
        "mapping",
        "show",
        "--org",
        "northwind",
        "--partner",
        "brightlane",
        "--format",
        "csv",
    ]);
    shown.assert_success();
    let rows = parse(&shown.stdout);
    assert_nothing_evaluated(&rows);
    let counts = column(&rows, "customer");
    assert!(counts.contains(&"5".to_owned()), "{}", shown.stdout);
    assert!(
        counts.iter().all(|n| n.parse::<u64>().is_ok()),
        "{}",
        shown.stdout
    );
    assert_eq!(
        column(&rows, "Brightlane Agency account"),
        QUOTED_NAMES,
        "{}",
        shown.stdout
    );
    assert_eq!(
        column(&rows, "Brightlane Agency owner"),
        [
            "'+1 555 0100",
            "'-1",
            "'=1",
            "'=cmd|' /C calc'!A0",
            "'＠SUM(A1)"
        ],
        "{}",
        shown.stdout
    );

    // The export file holds the same accounts, neutralized the same way.
    let path = dir.join("mapping.csv").to_string_lossy().into_owned();
    with_db(&[
        "mapping",
        "export",
        "--org",
        "northwind",
        "--partner",
        "brightlane",
        "--output",
        &path,
    ])
    .assert_success();
    let exported = parse(&std::fs::read_to_string(&path).expect("the export"));
    assert_nothing_evaluated(&exported);
    assert_eq!(column(&exported, "Brightlane Agency account"), QUOTED_NAMES);
}
