//! Streaming a whole file, one account at a time.

use std::collections::VecDeque;
use std::fmt;
use std::io::{self, Read};
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::Arc;

use csv::StringRecord;
use encoding_rs_io::{DecodeReaderBytes, DecodeReaderBytesBuilder};

use super::mapping::header_names;
use super::populations::{PopulationCounter, PopulationTally};
use super::rules::{ReadRow, RowRules};
use super::sniff::encoding_for_label;
use super::{ColumnMapping, ImportError, ImportedAccount, RowError};

/// The most raw bytes one row may take: far above any real row (300 columns of 1000
/// characters are about 1 MB), low enough that a quote left open cannot pull the rest of a
/// 200 MB file into memory as a single row.
const MAX_ROW_BYTES: u64 = 8 << 20;

/// Reads accounts from a CSV stream, one row at a time.
///
/// Each item is an account or the reason its row was rejected; completely blank rows are
/// skipped, and so is the footer Salesforce writes under a report after a blank row (the
/// report's name, its copyright and confidentiality lines, who generated it, the company). Rows are numbered as in [`RowError::row`]. The rules:
/// - the name is required, at most [`MAX_NAME_CHARS`](super::MAX_NAME_CHARS) characters;
/// - a mapped CRM id is required. Without an id column, the id is derived from the data,
///   `key:` and the website's registrable domain, else `key:name:` and the folded name, so
///   importing the same file again gives the same ids;
/// - the population is never a reason to reject a row: a blank one is the default
///   population, then the user's reading of values wins, then the CRM's standard values
///   ([`BasePopulation::from_crm_value`]), and any other value is the mapping's
///   unreadable-value population; [`population_tally`] says how many rows each value had;
/// - every value is trimmed, at most [`MAX_VALUE_CHARS`](super::MAX_VALUE_CHARS) characters.
///
/// What makes the rest of the file unreadable (an I/O error, a row over 8 MB because a quote
/// was never closed) ends the iteration with a last [`RowError`] saying so; [`finish`] then
/// returns it as an [`ImportError`], so that the caller fails the import instead of keeping
/// part of it.
///
/// [`BasePopulation::from_crm_value`]: comark_domain::accounts::BasePopulation::from_crm_value
/// [`finish`]: AccountReader::finish
/// [`population_tally`]: AccountReader::population_tally
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
    footer: FooterFilter,
    /// Rows to hand out before reading on (held rows that proved to be data).
    released: VecDeque<(u64, StringRecord)>,
    /// The population values of the rows read so far.
    populations: PopulationCounter,
}

/// What to do with a row read, as far as a report footer goes.
pub(super) enum Footing {
    /// A data row: use it now.
    Data,
    /// Blank, part of a footer, or held back: nothing to use now.
    Skip,
    /// Held rows proved to be data: use the released rows, this one last.
    Released,
}

/// Holds back what may be a CRM report's footer: one-cell rows after a blank row wait until
/// a footer line decides they are the footer (dropped) or a data row decides they are data
/// (released in order). Blank rows are always skipped.
#[derive(Default)]
pub(super) struct FooterFilter {
    held: VecDeque<(u64, StringRecord)>,
    after_blank: bool,
    in_footer: bool,
}

impl FooterFilter {
    /// Takes row `row`; with [`Footing::Released`], `released` holds the rows to use.
    pub(super) fn push(
        &mut self,
        row: u64,
        record: &StringRecord,
        released: &mut VecDeque<(u64, StringRecord)>,
    ) -> Footing {
        let single = single_cell(record);
        let blank = record.iter().all(|c| c.trim().is_empty());
        if self.in_footer && (blank || single.is_some()) {
            return Footing::Skip;
        }
        self.in_footer = false;
        if blank {
            self.after_blank = true;
            return Footing::Skip;
        }
        if self.after_blank {
            if let Some(text) = single {
                if is_footer_line(text) {
                    self.held.clear();
                    self.in_footer = true;
                    return Footing::Skip;
                }
                if self.held.len() < MAX_FOOTER_LEAD {
                    self.held.push_back((row, record.clone()));
                    return Footing::Skip;
                }
            }
        }
        self.after_blank = false;
        if self.held.is_empty() {
            return Footing::Data;
        }
        released.append(&mut self.held);
        released.push_back((row, record.clone()));
        Footing::Released
    }

    /// At the end of the file: rows still held were data.
    pub(super) fn finish(&mut self, released: &mut VecDeque<(u64, StringRecord)>) {
        released.append(&mut self.held);
    }
}

/// How many one-cell rows after a blank row may come before a footer's own lines: a
/// Salesforce footer names the report first, then its copyright.
const MAX_FOOTER_LEAD: usize = 4;

/// The text of a row's only non-blank cell, if it has exactly one.
fn single_cell(record: &StringRecord) -> Option<&str> {
    let mut cells = record.iter().map(str::trim).filter(|c| !c.is_empty());
    match (cells.next(), cells.next()) {
        (Some(only), None) => Some(only),
        _ => None,
    }
}

/// Whether a one-cell row is a line of a CRM report's footer.
fn is_footer_line(text: &str) -> bool {
    let lower = text.to_lowercase();
    lower.contains("salesforce.com, inc")
        || lower.starts_with("copyright (c)")
        || lower.starts_with("confidential information")
        || lower.starts_with("generated by:")
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
        let populations = PopulationCounter::new(rules.population_column().map(str::to_owned));
        Ok(AccountReader {
            csv,
            meter,
            headers,
            rules,
            record,
            row: 1,
            finished: false,
            failure: None,
            footer: FooterFilter::default(),
            released: VecDeque::new(),
            populations,
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

    /// How the population column of the accounts read so far was read: each value, its rows
    /// and where they went. Rejected rows are not in it.
    pub fn population_tally(&self) -> PopulationTally {
        self.populations.tally()
    }

    /// Ends reading: the error that stopped it before the end of the file, if any.
    pub fn finish(self) -> Result<(), ImportError> {
        self.failure.map_or(Ok(()), Err)
    }
}

impl<R: Read> Iterator for AccountReader<R> {
    type Item = Result<ImportedAccount, RowError>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if let Some((row, record)) = self.released.pop_front() {
                match self.rules.apply(row, &record) {
                    Some(item) => return Some(counted(&mut self.populations, item)),
                    None => continue,
                }
            }
            if self.finished {
                return None;
            }
            self.meter.start_row();
            match self.csv.read_record(&mut self.record) {
                Ok(true) => {
                    self.row += 1;
                    match self.footer.push(self.row, &self.record, &mut self.released) {
                        Footing::Data => {
                            if let Some(item) = self.rules.apply(self.row, &self.record) {
                                return Some(counted(&mut self.populations, item));
                            }
                        }
                        Footing::Skip | Footing::Released => {}
                    }
                }
                Ok(false) => {
                    self.finished = true;
                    self.footer.finish(&mut self.released);
                }
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
                    // Rows still held are lost with the rest: the failure fails the import.
                    return Some(Err(RowError {
                        row,
                        column: None,
                        reason: format!("{reason}; reading stopped here"),
                    }));
                }
            }
        }
    }
}

/// The account of a row that landed, counted in the population tally; a rejected row as is.
fn counted(
    populations: &mut PopulationCounter,
    item: Result<ReadRow<'_>, RowError>,
) -> Result<ImportedAccount, RowError> {
    item.map(|read| {
        populations.count(read.population_value, read.account.population, read.read_as);
        read.account
    })
}

/// How `mapping` reads the population values of the first bytes of a file (`head`, cut
/// anywhere), for the value mapping shown before an import: every row `head` holds, not only
/// the sample. With `whole`, `head` is the whole file; otherwise its last, perhaps cut, line is
/// left out. `None` when the mapping does not fit the file.
pub fn read_populations(
    head: &[u8],
    whole: bool,
    encoding: &str,
    delimiter: u8,
    mapping: &ColumnMapping,
) -> Option<PopulationTally> {
    let complete = if whole {
        head
    } else {
        let end = head.iter().rposition(|&b| b == b'\n')?;
        // In UTF-16LE a line feed is 0A 00: keep its second byte with it.
        let end = if head.get(end + 1) == Some(&0) {
            end + 2
        } else {
            end + 1
        };
        head.get(..end).unwrap_or(head)
    };
    let mut reader = AccountReader::new(complete, encoding, delimiter, mapping).ok()?;
    for item in reader.by_ref() {
        drop(item);
    }
    Some(reader.population_tally())
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
