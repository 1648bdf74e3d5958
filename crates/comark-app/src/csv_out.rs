//! comark's one CSV writer: every CSV comark writes for people (the mapping export, the
//! audit log, the CLI's `--format csv`) goes through [`CsvWriter`], a thin wrapper over
//! `csv::Writer` that defuses spreadsheet formulas. `clippy.toml` disallows `csv::Writer`
//! elsewhere, so a new export cannot forget it.
//!
//! # Formula injection
//!
//! Excel, LibreOffice and Google Sheets evaluate a cell that looks like a formula or a DDE
//! command, so a partner's account named `=HYPERLINK("http://evil","x")` would run in the
//! spreadsheet of the person who exports the mapping. Following OWASP's CSV-injection
//! guidance, [`neutralize`] prefixes a single quote `'` (which spreadsheets read as "this is
//! text" and do not show) to a text cell when
//! - its leading whitespace holds a tab (U+0009) or a carriage return (U+000D), or
//! - its first character after leading whitespace and zero-width characters (which
//!   spreadsheets skip: ` =1+1`) is `=`, `+`, `-` or `@` once NFKC-normalized, which also
//!   covers the full-width `＝ ＋ － ＠` and the small and superscript forms that some
//!   spreadsheets normalize.
//!
//! The quote goes before everything else, so removing it gives back exactly the value;
//! nothing else is changed, and the `csv` crate's quoting does the rest. Programs that need
//! the exact values read the JSON API, not the spreadsheet export.
//!
//! # Text and numbers
//!
//! The caller chooses for each cell, never a heuristic on the value:
//! - [`Cell::text`] (and [`CsvWriter::text_record`]) for anything that came from people
//!   (names, field values, e-mail addresses, notes) and for words comark writes itself. A
//!   phone number a person typed (`+1 555 0100`) is text: it opens as the text it is rather
//!   than as a formula.
//! - [`Cell::number`] for figures comark computes (counts, totals). It takes only Rust
//!   integers, so it cannot carry a formula, and a negative number is written as it is.

use std::borrow::{Borrow, Cow};
use std::fmt::Display;
use std::io;

use unicode_normalization::UnicodeNormalization;

/// Characters a spreadsheet may skip before deciding what a cell is, besides whitespace.
const INVISIBLE: [char; 5] = ['\u{feff}', '\u{200b}', '\u{200c}', '\u{200d}', '\u{2060}'];

/// Whether a spreadsheet could read `value` as a formula or a DDE command.
pub fn is_formula_like(value: &str) -> bool {
    for c in value.chars() {
        if c == '\t' || c == '\r' {
            return true;
        }
        if c.is_whitespace() || INVISIBLE.contains(&c) {
            continue;
        }
        return std::iter::once(c)
            .nfkc()
            .next()
            .is_some_and(|n| matches!(n, '=' | '+' | '-' | '@'));
    }
    false
}

/// `value` as a text cell that no spreadsheet evaluates: prefixed with `'` when it looks
/// like a formula, else unchanged.
pub fn neutralize(value: &str) -> Cow<'_, str> {
    if is_formula_like(value) {
        Cow::Owned(format!("'{value}"))
    } else {
        Cow::Borrowed(value)
    }
}

mod sealed {
    pub trait Sealed {}
}

/// A figure comark computes; only Rust integers, so it cannot carry a formula.
pub trait Number: Display + sealed::Sealed {}

macro_rules! numbers {
    ($($t:ty),*) => {$(
        impl sealed::Sealed for $t {}
        impl Number for $t {}
    )*};
}
numbers!(i8, i16, i32, i64, i128, isize, u8, u16, u32, u64, u128, usize);

/// One cell of a row, text or number, as its caller chose.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cell(Kind);

#[derive(Clone, Debug, PartialEq, Eq)]
enum Kind {
    Text(String),
    Number(String),
}

impl Cell {
    /// A text cell: neutralized when written.
    pub fn text(value: impl Into<String>) -> Cell {
        Cell(Kind::Text(value.into()))
    }

    /// A number comark computed: written as it is.
    pub fn number(value: impl Number) -> Cell {
        Cell(Kind::Number(value.to_string()))
    }

    /// The value as people see it in a terminal table (not neutralized).
    pub fn as_str(&self) -> &str {
        match &self.0 {
            Kind::Text(value) | Kind::Number(value) => value,
        }
    }

    fn for_csv(&self) -> Cow<'_, str> {
        match &self.0 {
            Kind::Text(value) => neutralize(value),
            Kind::Number(value) => Cow::Borrowed(value),
        }
    }
}

/// A formula-safe CSV writer over `csv::Writer` (see the module's documentation).
pub struct CsvWriter<W: io::Write> {
    // The one place allowed to hold a raw writer.
    #[allow(clippy::disallowed_types)]
    inner: csv::Writer<W>,
}

impl<W: io::Write> CsvWriter<W> {
    /// A writer with the `csv` crate's defaults (comma, `"` quoting only where needed, `\n`).
    #[allow(clippy::disallowed_types)]
    pub fn new(out: W) -> CsvWriter<W> {
        CsvWriter {
            inner: csv::Writer::from_writer(out),
        }
    }

    /// Writes a row of text cells (headers, or rows of words), each neutralized.
    pub fn text_record<I>(&mut self, cells: I) -> csv::Result<()>
    where
        I: IntoIterator,
        I::Item: AsRef<str>,
    {
        let cells: Vec<String> = cells
            .into_iter()
            .map(|cell| neutralize(cell.as_ref()).into_owned())
            .collect();
        self.inner.write_record(&cells)
    }

    /// Writes a row of cells, text neutralized and numbers as they are.
    pub fn record<I>(&mut self, cells: I) -> csv::Result<()>
    where
        I: IntoIterator,
        I::Item: Borrow<Cell>,
    {
        let cells: Vec<String> = cells
            .into_iter()
            .map(|cell| cell.borrow().for_csv().into_owned())
            .collect();
        self.inner.write_record(&cells)
    }

    /// Flushes what was written to the underlying writer.
    pub fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }

    /// Flushes and returns the underlying writer.
    pub fn into_inner(self) -> csv::Result<W> {
        self.inner
            .into_inner()
            .map_err(|error| csv::Error::from(error.into_error()))
    }
}

/// What the property tests of every export share: hostile values and the check of a
/// written CSV against what went in.
#[cfg(test)]
pub(crate) mod hostile {
    use proptest::prelude::*;

    /// How a spreadsheet may start a formula, as a person would type it (the reference rule,
    /// written apart from [`super::is_formula_like`]).
    const FORMULA_STARTS: [char; 8] = ['=', '+', '-', '@', '＝', '＋', '－', '＠'];

    /// Whether a spreadsheet would evaluate `cell`.
    pub(crate) fn evaluated(cell: &str) -> bool {
        cell.starts_with(['\t', '\r'])
            || cell
                .trim_start_matches(|c: char| c.is_whitespace() || c == '\u{feff}')
                .starts_with(FORMULA_STARTS)
    }

    /// Text drawn from formula starts, full-width forms, leading spaces, quotes, commas,
    /// newlines and any Unicode.
    pub(crate) fn text() -> impl Strategy<Value = String> {
        let piece = prop_oneof![
            3 => prop::sample::select(vec![
                "=", "+", "-", "@", "\t", "\r", "\n", "\r\n", " ", "  ", "\u{3000}", "\u{a0}",
                "\u{feff}", "＝", "＋", "－", "＠", "\"", "'", ",", ";", "|", "1+1",
                "SUM(A1:A2)", "HYPERLINK(\"http://evil\",\"x\")", "cmd|' /C calc'!A0",
                "Acme", "é", "初め", "🙂",
            ])
            .prop_map(str::to_owned),
            1 => any::<char>().prop_map(String::from),
        ];
        prop::collection::vec(piece, 0..8).prop_map(|pieces| pieces.concat())
    }

    /// Parses `written` back with the `csv` crate and checks it against `original`, row by
    /// row: no cell a spreadsheet would evaluate, and each cell is its value, or its value
    /// behind one added `'` when that value would have been evaluated. `numbers` names the
    /// columns written as numbers, which come back exactly.
    pub(crate) fn check(written: &[u8], original: &[Vec<String>], numbers: &[usize]) {
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .from_reader(written);
        let parsed: Vec<Vec<String>> = reader
            .records()
            .map(|record| {
                let record = record.expect("comark's CSV parses");
                record.iter().map(str::to_owned).collect()
            })
            .collect();
        assert_eq!(parsed.len(), original.len(), "rows: {parsed:?}");
        for (row, (cells, values)) in parsed.iter().zip(original).enumerate() {
            assert_eq!(cells.len(), values.len(), "row {row}: {cells:?}");
            for (column, (cell, value)) in cells.iter().zip(values).enumerate() {
                let at = format!("row {row}, column {column}: {value:?} became {cell:?}");
                if numbers.contains(&column) {
                    assert_eq!(cell, value, "{at}");
                    continue;
                }
                assert!(!evaluated(cell), "{at}");
                match cell.strip_prefix('\'') {
                    Some(rest) if rest == value => {
                        assert!(super::is_formula_like(value), "a needless quote: {at}")
                    }
                    _ => assert_eq!(cell, value, "{at}"),
                }
                if value.starts_with(char::is_alphanumeric) || value.is_empty() {
                    assert_eq!(cell, value, "plain text is left alone: {at}");
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn written(cells: &[Cell]) -> String {
        let mut writer = CsvWriter::new(Vec::new());
        writer.record(cells).expect("write");
        String::from_utf8(writer.into_inner().expect("flush")).expect("utf-8")
    }

    #[test]
    fn formula_starts_are_quoted_and_everything_else_is_left_alone() {
        for hostile in [
            "=1+1",
            "+1+1",
            "-2+3",
            "@SUM(A1:A2)",
            "\t=1",
            "\rx",
            " =HYPERLINK(\"http://evil\",\"x\")",
            "\u{3000}=1",
            "\u{feff}=1",
            "＝1+1",
            "＋1",
            "－1",
            "＠SUM(A1)",
            "\u{fe62}1",
        ] {
            assert_eq!(neutralize(hostile), format!("'{hostile}"), "{hostile:?}");
        }
        for benign in ["Acme", "", " Acme", "1+1", "'=1", "a=b", "初め", "(=1)"] {
            assert_eq!(neutralize(benign), benign, "{benign:?}");
        }
    }

    #[test]
    fn numbers_comark_computes_keep_their_sign_and_text_does_not() {
        let row = [
            Cell::number(-5_i64),
            Cell::number(12_u64),
            Cell::text("-5"),
            Cell::text("+1 555 0100"),
        ];
        assert_eq!(written(&row), "-5,12,'-5,'+1 555 0100\n");
        assert_eq!(row[2].as_str(), "-5", "a terminal shows the value as it is");
    }

    #[test]
    fn the_csv_crate_still_quotes_what_needs_quoting() {
        let row = [Cell::text("=a,\"b\"\nc"), Cell::text("")];
        assert_eq!(written(&row), "\"'=a,\"\"b\"\"\nc\",\n");
    }

    const HEADERS: [&str; 3] = ["before", "count", "after"];

    proptest! {
        #[test]
        fn no_hostile_text_survives_and_nothing_else_changes(
            rows in prop::collection::vec(prop::collection::vec(hostile::text(), 3), 1..12),
        ) {
            // A header row first, as every export has: a reader takes a U+FEFF at the very
            // start of a file for its byte order mark.
            let mut writer = CsvWriter::new(Vec::new());
            writer.text_record(HEADERS).expect("write");
            for row in &rows {
                writer.text_record(row).expect("write");
            }
            let table: Vec<Vec<String>> = std::iter::once(HEADERS.map(str::to_owned).to_vec())
                .chain(rows)
                .collect();
            hostile::check(&writer.into_inner().expect("flush"), &table, &[]);
        }

        #[test]
        fn numbers_beside_hostile_text_are_written_as_they_are(
            rows in prop::collection::vec((hostile::text(), any::<i64>(), hostile::text()), 1..12),
        ) {
            let mut writer = CsvWriter::new(Vec::new());
            writer.text_record(HEADERS).expect("write");
            let mut values = vec![HEADERS.map(str::to_owned).to_vec()];
            for (before, count, after) in &rows {
                writer
                    .record([Cell::text(before), Cell::number(*count), Cell::text(after)])
                    .expect("write");
                values.push(vec![before.clone(), count.to_string(), after.clone()]);
            }
            hostile::check(&writer.into_inner().expect("flush"), &values, &[1]);
        }
    }
}
