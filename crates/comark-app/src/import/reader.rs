//! Streaming a whole file, one account at a time.

use std::fmt;
use std::io::{self, Read};
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::Arc;

use csv::StringRecord;
use encoding_rs_io::{DecodeReaderBytes, DecodeReaderBytesBuilder};

use super::mapping::header_names;
use super::rules::RowRules;
use super::sniff::encoding_for_label;
use super::{ColumnMapping, ImportError, ImportedAccount, RowError};

/// The most raw bytes one row may take: far above any real row (300 columns of 1000
/// characters are about 1 MB), low enough that a quote left open cannot pull the rest of a
/// 200 MB file into memory as a single row.
const MAX_ROW_BYTES: u64 = 8 << 20;

/// Reads accounts from a CSV stream, one row at a time.
///
/// Each item is an account or the reason its row was rejected; completely blank rows are
/// skipped. Rows are numbered as in [`RowError::row`]. The rules:
/// - the name is required, at most [`MAX_NAME_CHARS`](super::MAX_NAME_CHARS) characters;
/// - a mapped CRM id is required. Without an id column, the id is derived from the data,
///   `key:` and the website's registrable domain, else `key:name:` and the folded name, so
///   importing the same file again gives the same ids;
/// - the population is read with the user's reading of values first, then the CRM's usual
///   ones ([`BasePopulation::from_crm_value`]); a blank one is the default population;
/// - every value is trimmed, at most [`MAX_VALUE_CHARS`](super::MAX_VALUE_CHARS) characters.
///
/// What makes the rest of the file unreadable (an I/O error, a row over 8 MB because a quote
/// was never closed) ends the iteration with a last [`RowError`] saying so; [`finish`] then
/// returns it as an [`ImportError`], so that the caller fails the import instead of keeping
/// part of it.
///
/// [`BasePopulation::from_crm_value`]: comark_domain::accounts::BasePopulation::from_crm_value
/// [`finish`]: AccountReader::finish
pub struct AccountReader<R: Read> {
    csv: csv::Reader<DecodeReaderBytes<MeteredReader<R>, Vec<u8>>>,
    meter: Arc<Meter>,
    headers: Vec<String>,
    rules: RowRules,
    /// Reused for every row, so reading allocates only what an account keeps.
    record: StringRecord,
    /// The number of the last record read, the header being 1.
    row: u64,
    finished: bool,
    failure: Option<ImportError>,
}

impl<R: Read> AccountReader<R> {
    /// Starts reading: decodes with `encoding` (a WHATWG label, overruled by a byte order
    /// mark), reads the header row and resolves `mapping` against it.
    pub fn new(
        reader: R,
        encoding: &str,
        delimiter: u8,
        mapping: &ColumnMapping,
    ) -> Result<Self, ImportError> {
        let encoding = encoding_for_label(encoding)?;
        let meter = Arc::new(Meter::default());
        let decoder = DecodeReaderBytesBuilder::new()
            .encoding(Some(encoding))
            .bom_override(true)
            .strip_bom(true)
            .build(MeteredReader {
                inner: reader,
                meter: Arc::clone(&meter),
            });
        let mut csv = csv::ReaderBuilder::new()
            .delimiter(delimiter)
            .has_headers(false)
            .flexible(true)
            .from_reader(decoder);
        let mut record = StringRecord::new();
        meter.start_row();
        match csv.read_record(&mut record) {
            Ok(true) => {}
            Ok(false) => return Err(ImportError::Empty),
            Err(error) => return Err(fatal(error, 1)),
        }
        let headers = header_names(&record)?;
        let rules = RowRules::new(&headers, mapping)?;
        Ok(AccountReader {
            csv,
            meter,
            headers,
            rules,
            record,
            row: 1,
            finished: false,
            failure: None,
        })
    }

    /// The header row, trimmed, blank cells named `column N`.
    pub fn headers(&self) -> &[String] {
        &self.headers
    }

    /// Raw input bytes consumed so far, for progress bars (reading runs a few KiB ahead of
    /// the rows returned).
    pub fn bytes_read(&self) -> u64 {
        self.meter.consumed.load(Relaxed)
    }

    /// Ends reading: the error that stopped it before the end of the file, if any.
    pub fn finish(self) -> Result<(), ImportError> {
        self.failure.map_or(Ok(()), Err)
    }
}

impl<R: Read> Iterator for AccountReader<R> {
    type Item = Result<ImportedAccount, RowError>;

    fn next(&mut self) -> Option<Self::Item> {
        while !self.finished {
            self.meter.start_row();
            match self.csv.read_record(&mut self.record) {
                Ok(true) => {
                    self.row += 1;
                    if let Some(item) = self.rules.apply(self.row, &self.record) {
                        return Some(item);
                    }
                }
                Ok(false) => self.finished = true,
                // The decoder only emits UTF-8, so this would be a bug; the row is consumed
                // and reading can go on, so it costs one row, not the file.
                Err(error) if matches!(error.kind(), csv::ErrorKind::Utf8 { .. }) => {
                    self.row += 1;
                    return Some(Err(RowError {
                        row: self.row,
                        column: None,
                        reason: "the row is not valid text".to_owned(),
                    }));
                }
                Err(error) => {
                    self.finished = true;
                    let row = self.row + 1;
                    let failure = fatal(error, row);
                    let reason = match &failure {
                        ImportError::Malformed { reason, .. } => reason.clone(),
                        other => other.to_string(),
                    };
                    self.failure = Some(failure);
                    return Some(Err(RowError {
                        row,
                        column: None,
                        reason: format!("{reason}; reading stopped here"),
                    }));
                }
            }
        }
        None
    }
}

impl<R: Read> fmt::Debug for AccountReader<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AccountReader")
            .field("headers", &self.headers)
            .field("row", &self.row)
            .field("bytes_read", &self.bytes_read())
            .finish_non_exhaustive()
    }
}

/// The import error for a CSV error that stops reading at record `row`.
fn fatal(error: csv::Error, row: u64) -> ImportError {
    let reason = error.to_string();
    match error.into_kind() {
        csv::ErrorKind::Io(error) if RowTooLong::is(&error) => ImportError::Malformed {
            row,
            reason: RowTooLong.to_string(),
        },
        csv::ErrorKind::Io(error) => ImportError::Io(error),
        _ => ImportError::Malformed { row, reason },
    }
}

/// Raw bytes consumed, and how far the current row may go. Shared with the source, which sits
/// beneath the decoder and the CSV buffer; atomics rather than `Rc<Cell>` keep the reader
/// `Send`, for imports that run on a blocking thread.
#[derive(Debug, Default)]
struct Meter {
    consumed: AtomicU64,
    limit: AtomicU64,
}

impl Meter {
    /// Gives the row about to be read its allowance of raw bytes.
    fn start_row(&self) {
        let consumed = self.consumed.load(Relaxed);
        self.limit
            .store(consumed.saturating_add(MAX_ROW_BYTES), Relaxed);
    }
}

/// The source, counting what it hands out and refusing to go past the row's allowance.
struct MeteredReader<R> {
    inner: R,
    meter: Arc<Meter>,
}

impl<R: Read> Read for MeteredReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let consumed = self.meter.consumed.load(Relaxed);
        let allowance = self.meter.limit.load(Relaxed).saturating_sub(consumed);
        if allowance == 0 && !buf.is_empty() {
            return Err(io::Error::other(RowTooLong));
        }
        let len = buf
            .len()
            .min(usize::try_from(allowance).unwrap_or(usize::MAX));
        let read = self.inner.read(&mut buf[..len])?;
        self.meter.consumed.fetch_add(read as u64, Relaxed);
        Ok(read)
    }
}

/// A row ran past [`MAX_ROW_BYTES`].
#[derive(Debug)]
struct RowTooLong;

impl RowTooLong {
    fn is(error: &io::Error) -> bool {
        error
            .get_ref()
            .is_some_and(|inner| inner.is::<RowTooLong>())
    }
}

impl fmt::Display for RowTooLong {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "the row is longer than {} MB: a quoted value probably lacks its closing quote",
            MAX_ROW_BYTES >> 20
        )
    }
}

impl std::error::Error for RowTooLong {}
