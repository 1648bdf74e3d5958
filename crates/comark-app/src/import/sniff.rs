//! The preview: what the first bytes of a file say about all of it.

use std::collections::VecDeque;
use std::ops::ControlFlow;

use chardetng::EncodingDetector;
use csv::StringRecord;
use encoding_rs::{Encoding, REPLACEMENT, UTF_8};

use super::mapping::{detect, header_names, suggest};
use super::reader::{FooterFilter, Footing};
use super::rules::RowRules;
use super::{ImportError, Sniffed, SAMPLE_ROWS};

/// The delimiters comark recognizes, the default first.
const DELIMITERS: [u8; 4] = [b',', b';', b'\t', b'|'];

/// Reads the first bytes of a file (`head`, say its first 64 KiB): encoding, delimiter,
/// headers, CRM, a suggested mapping and up to [`SAMPLE_ROWS`] sample rows.
///
/// A byte order mark decides the encoding; otherwise `encoding` (a WHATWG label such as
/// `windows-1252` or `shift_jis`) does, and without it the encoding is detected: valid UTF-8 is
/// UTF-8, anything else is guessed by chardetng. `head` may end in the middle of a row, so a
/// last line without a line break is left out of the sample (when `head` is a whole file that
/// lacks a final line break, its last row only misses from the preview).
pub fn sniff(head: &[u8], encoding: Option<&str>) -> Result<Sniffed, ImportError> {
    // A bad label is the user's input: say so even when a BOM makes it moot.
    let requested = encoding.map(encoding_for_label).transpose()?;
    let (encoding, bom_len) = match Encoding::for_bom(head) {
        Some((encoding, bom_len)) => (encoding, bom_len),
        None => (requested.unwrap_or_else(|| detect_encoding(head)), 0),
    };
    let body = head.get(bom_len..).unwrap_or_default();
    if body.is_empty() {
        return Err(ImportError::Empty);
    }
    let (text, _) = encoding.decode_without_bom_handling(body);
    let delimiter = sniff_delimiter(text.as_bytes());
    let text = complete_lines(text.as_bytes(), delimiter);

    let mut csv = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .has_headers(false)
        .flexible(true)
        .from_reader(text);
    let mut record = StringRecord::new();
    // Reading decoded text from memory cannot fail; an error would be a bug, not the file.
    let malformed = |row: u64, error: csv::Error| ImportError::Malformed {
        row,
        reason: error.to_string(),
    };
    if !csv.read_record(&mut record).map_err(|e| malformed(1, e))? {
        return Err(ImportError::Empty);
    }
    let headers = header_names(&record)?;
    let format = detect(&headers);
    let suggested = suggest(&headers, format);
    let rules = RowRules::new(&headers, &suggested).ok();

    let mut sample = Vec::new();
    let mut sample_errors = Vec::new();
    let mut row = 1;
    // The same rows as the import reads: no blank rows, no report footer.
    let mut footer = FooterFilter::default();
    let mut rows: VecDeque<(u64, StringRecord)> = VecDeque::new();
    let mut ended = false;
    while sample.len() < SAMPLE_ROWS && !(ended && rows.is_empty()) {
        if rows.is_empty() {
            if csv
                .read_record(&mut record)
                .map_err(|e| malformed(row + 1, e))?
            {
                row += 1;
                if let Footing::Data = footer.push(row, &record, &mut rows) {
                    rows.push_back((row, record.clone()));
                }
            } else {
                ended = true;
                footer.finish(&mut rows);
            }
            continue;
        }
        let Some((at, data)) = rows.pop_front() else {
            continue;
        };
        sample.push(data.iter().map(str::to_owned).collect());
        if let Some(Some(Err(error))) = rules.as_ref().map(|rules| rules.apply(at, &data)) {
            sample_errors.push(error);
        }
    }

    Ok(Sniffed {
        encoding: encoding.name(),
        had_bom: bom_len > 0,
        delimiter,
        headers,
        format,
        suggested,
        sample,
        sample_errors,
    })
}

/// The encoding a WHATWG label names (`utf-8`, `latin1`, `windows-1252`, `shift_jis`...).
pub(super) fn encoding_for_label(label: &str) -> Result<&'static Encoding, ImportError> {
    match Encoding::for_label(label.as_bytes()) {
        // The "replacement" encoding turns a whole file into one U+FFFD: never what a user
        // means, though some legacy labels resolve to it.
        Some(encoding) if encoding != REPLACEMENT => Ok(encoding),
        _ => Err(ImportError::UnknownEncoding(label.to_owned())),
    }
}

/// Guesses the encoding of a file from its first bytes.
fn detect_encoding(head: &[u8]) -> &'static Encoding {
    // Valid UTF-8 (plain ASCII included) is UTF-8, even when `head` cuts a character in two.
    match std::str::from_utf8(head) {
        Ok(_) => return UTF_8,
        Err(error) if error.error_len().is_none() => return UTF_8,
        Err(_) => {}
    }
    let mut detector = EncodingDetector::new();
    // Not `last`: `head` is usually the start of a longer file.
    detector.feed(head, false);
    detector.guess(None, false)
}

/// The delimiter of the header line: the candidate seen most often outside quotes, `,` on a
/// tie (including when there is none at all: a one-column file).
fn sniff_delimiter(text: &[u8]) -> u8 {
    let mut counts = [0usize; DELIMITERS.len()];
    outside_quotes(
        text,
        |byte| DELIMITERS.contains(&byte),
        |_, byte| {
            if is_line_break(byte) {
                return ControlFlow::Break(());
            }
            if let Some(i) = DELIMITERS.iter().position(|&d| d == byte) {
                counts[i] += 1;
            }
            ControlFlow::Continue(())
        },
    );
    // Strictly more, so that a tie keeps the earlier candidate.
    let best =
        (1..DELIMITERS.len()).fold(0, |best, i| if counts[i] > counts[best] { i } else { best });
    DELIMITERS[best]
}

/// `text` up to its last line break outside quotes, dropping the row `head` cut in two; all
/// of it when it is a single line (the header).
fn complete_lines(text: &[u8], delimiter: u8) -> &[u8] {
    let mut end = None;
    outside_quotes(
        text,
        |byte| byte == delimiter,
        |i, byte| {
            if is_line_break(byte) {
                end = Some(i + 1);
            }
            ControlFlow::Continue(())
        },
    );
    match end {
        Some(end) => text.get(..end).unwrap_or(text),
        None => text,
    }
}

fn is_line_break(byte: u8) -> bool {
    byte == b'\n' || byte == b'\r'
}

/// Calls `visit` with each byte of `text` that is outside a quoted field, following csv-core's
/// reading of quotes: a quote opens a quoted field only at the start of a field, a doubled
/// quote inside one is a literal quote.
fn outside_quotes(
    text: &[u8],
    is_delimiter: impl Fn(u8) -> bool,
    mut visit: impl FnMut(usize, u8) -> ControlFlow<()>,
) {
    #[derive(Clone, Copy)]
    enum State {
        FieldStart,
        Unquoted,
        Quoted,
        QuoteInQuoted,
    }
    let mut state = State::FieldStart;
    for (i, &byte) in text.iter().enumerate() {
        state = match (state, byte) {
            (State::Quoted, b'"') => State::QuoteInQuoted,
            (State::Quoted, _) => continue,
            (State::QuoteInQuoted, b'"') => State::Quoted,
            (State::FieldStart, b'"') => State::Quoted,
            _ if is_delimiter(byte) || is_line_break(byte) => State::FieldStart,
            _ => State::Unquoted,
        };
        if matches!(state, State::Quoted | State::QuoteInQuoted) {
            continue;
        }
        if visit(i, byte).is_break() {
            return;
        }
    }
}
