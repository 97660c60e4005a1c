//! Bytes -> records: encoding, delimiter sniffing, and a tap that counts and hashes the
//! raw bytes as they stream past, so no pass ever needs the whole file in memory.

use std::cell::RefCell;
use std::collections::VecDeque;
use std::io::{self, Cursor, Read};
use std::rc::Rc;

use sha2::{Digest, Sha256};

use crate::error::{Error, Result};
use crate::records::{Record, Records};

/// How much of the start of a file is looked at to decide encoding and delimiter.
pub const SNIFF_BYTES: usize = 64 * 1024;

/// The largest field accepted (1 MiB). Contact lists have short cells; a bigger one means
/// the file is not a contact list (or is damaged), and is an error naming its line.
pub const MAX_FIELD_BYTES: usize = 1 << 20;

/// The longest physical line accepted (16 MiB): bounds the memory one record can take.
pub const MAX_LINE_BYTES: u64 = 16 << 20;

/// The most columns a header may have.
pub const MAX_COLUMNS: usize = 10_000;

/// Delimiters we sniff among, in tie-break order.
pub const DELIMITERS: [u8; 4] = [b',', b';', b'\t', b'|'];

/// What the start of the file told us.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Sniffed {
    /// "UTF-8", "UTF-16LE", "UTF-16BE" or "windows-1252".
    pub encoding: &'static str,
    /// The field delimiter.
    pub delimiter: u8,
    /// True when the file started with a byte-order mark.
    pub bom: bool,
    /// "csv" for delimited text, else the spreadsheet format ("xlsx", "xls", "ods").
    pub format: &'static str,
    /// The sheet read, for a spreadsheet.
    pub sheet: Option<String>,
    /// Every worksheet of a spreadsheet, in workbook order (empty for text).
    pub sheets: Vec<String>,
}

/// Bytes read and their SHA-256, updated as the source is read.
#[derive(Default)]
struct TapState {
    bytes: u64,
    sha: Sha256,
    /// Set by [`Source::stop_hashing`]: count only.
    unhashed: bool,
}

/// A reader that counts and hashes what passes through it.
struct Tap<R> {
    inner: R,
    state: Rc<RefCell<TapState>>,
}

impl<R: Read> Read for Tap<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        let mut state = self.state.borrow_mut();
        state.bytes += n as u64;
        if !state.unhashed {
            state.sha.update(&buf[..n]);
        }
        Ok(n)
    }
}

/// An opened input: what was sniffed and a CSV reader over UTF-8 text.
pub struct Source<'a> {
    /// Encoding, delimiter and BOM.
    pub sniffed: Sniffed,
    /// Records, as UTF-8 bytes (windows-1252 and UTF-16 are transcoded on the fly).
    pub reader: Records<'a>,
    tap: Rc<RefCell<TapState>>,
    lines: Rc<RefCell<LineIndex>>,
    sheet: Option<SheetRows>,
}

/// A spreadsheet's rows handed to the CSV reader: where each record came from, and how
/// far through them the reader is (for progress).
struct SheetRows {
    rows: Vec<u32>,
    csv_len: u64,
    csv_read: Rc<RefCell<u64>>,
}

impl Source<'_> {
    /// The 1-based source line a record starts on. LF, CRLF and lone CR all end a line
    /// (the csv crate's own count misses CRLF and CR endings). Call it for every record,
    /// in order: it forgets the line ends it has passed.
    pub fn line_of(&self, record: &Record) -> u64 {
        if let Some(sheet) = &self.sheet {
            // A spreadsheet row: its sheet row number.
            let index = record.index() as usize;
            return sheet.rows.get(index).map_or(0, |&row| u64::from(row));
        }
        // Pass the line ends before the record's first byte (blank lines the reader
        // skipped included); a line end at the start would be passed as well.
        let mut start = record.byte();
        let mut index = self.lines.borrow_mut();
        while let Some(&(end, len)) = index.ends.front() {
            if end > start {
                break;
            }
            start = start.max(end + u64::from(len));
            index.ends.pop_front();
            index.passed += 1;
        }
        index.passed + 1
    }

    /// Stops hashing what is read from now on, for a read whose digest nobody asks for
    /// (the scrub's first pass): a second SHA-256 of the whole input was about 4,700 of
    /// the 32,000 instructions a row (callgrind, benches/ list). [`Source::sha256_hex`]
    /// is meaningless afterwards.
    pub fn stop_hashing(&self) {
        self.tap.borrow_mut().unhashed = true;
    }

    /// Raw bytes read from the source so far (the CSV reader reads ahead a little).
    pub fn bytes_read(&self) -> u64 {
        let file_bytes = self.tap.borrow().bytes;
        match &self.sheet {
            // The workbook was read whole; report progress through its rows in file bytes.
            Some(sheet) => {
                let done = *sheet.csv_read.borrow();
                (file_bytes as f64 * done as f64 / sheet.csv_len.max(1) as f64) as u64
            }
            None => file_bytes,
        }
    }

    /// Line ends the reader has passed or buffered: once the reader is exhausted, the
    /// line ends in the whole input.
    pub(crate) fn lines_seen(&self) -> u64 {
        let index = self.lines.borrow();
        index.passed + index.ends.len() as u64
    }

    /// Where the data rows start in the raw file, once the header has been read: the byte
    /// after the header's line end (both bytes of a CRLF), counting a UTF-8 BOM. `None`
    /// for a transcoded or spreadsheet input, whose offsets are not the file's.
    pub(crate) fn data_start(&mut self) -> Option<u64> {
        if self.sheet.is_some() || self.sniffed.encoding != "UTF-8" {
            return None;
        }
        let end = self.reader.position().byte();
        let bom = if self.sniffed.bom { 3 } else { 0 };
        Some(end + bom)
    }

    /// True when the input is a spreadsheet (its rows passed through as CSV records).
    pub fn from_sheet(&self) -> bool {
        self.sheet.is_some()
    }

    /// Data rows in a spreadsheet's sheet (the header not counted); `None` for text,
    /// which is streamed and not counted ahead.
    pub fn sheet_data_rows(&self) -> Option<u64> {
        self.sheet
            .as_ref()
            .map(|s| s.rows.len().saturating_sub(1) as u64)
    }

    /// Lowercase hex SHA-256 of the raw bytes read so far: of the whole input once the
    /// reader is exhausted.
    pub fn sha256_hex(&self) -> String {
        let digest = self.tap.borrow().sha.clone().finalize();
        digest.iter().map(|b| format!("{b:02x}")).collect()
    }
}

/// Opens `input`: sniffs the encoding and (unless given) the delimiter from its first
/// [`SNIFF_BYTES`], and returns a reader over its records. A spreadsheet (.xlsx, .xls,
/// .ods, told by its bytes) is read whole and its first worksheet's rows are returned
/// as records (see [`open_sheet`]).
pub fn open<'a, R: Read + 'a>(
    input: R,
    delimiter: Option<u8>,
    has_headers: bool,
) -> Result<Source<'a>> {
    open_sheet(input, delimiter, has_headers, None)
}

/// [`open`], reading the named sheet when `input` is a spreadsheet (the first worksheet
/// when `sheet` is `None`; a sheet name with a text file is ignored). The workbook is
/// read whole, up to [`crate::MAX_SHEET_BYTES`]; [`Source::line_of`] gives sheet row
/// numbers, and the report's bytes and SHA-256 are the workbook file's.
pub fn open_sheet<'a, R: Read + 'a>(
    input: R,
    delimiter: Option<u8>,
    has_headers: bool,
    sheet: Option<&str>,
) -> Result<Source<'a>> {
    let state = Rc::new(RefCell::new(TapState::default()));
    let mut tap = Tap {
        inner: input,
        state: Rc::clone(&state),
    };
    let mut head = Vec::with_capacity(SNIFF_BYTES);
    (&mut tap).take(SNIFF_BYTES as u64).read_to_end(&mut head)?;
    let truncated = head.len() == SNIFF_BYTES;
    if head.is_empty() {
        return Err(Error::input("the file is empty"));
    }
    if crate::sheet::maybe_sheet(&head) {
        let mut bytes = head;
        (&mut tap)
            .take(crate::MAX_SHEET_BYTES + 1 - bytes.len() as u64)
            .read_to_end(&mut bytes)?;
        let data = crate::sheet::read(bytes, sheet)?;
        let csv_len = data.csv.len() as u64;
        let csv_read = Rc::new(RefCell::new(0u64));
        let counted: Box<dyn Read + 'a> = Box::new(Counted {
            inner: Cursor::new(data.csv),
            read: Rc::clone(&csv_read),
        });
        let reader = Records::new(counted, b',', has_headers);
        return Ok(Source {
            sniffed: Sniffed {
                encoding: "UTF-8",
                delimiter: b',',
                bom: false,
                format: data.format.name(),
                sheet: Some(data.sheet),
                sheets: data.sheets,
            },
            reader,
            tap: state,
            lines: Rc::default(),
            sheet: Some(SheetRows {
                rows: data.rows,
                csv_len,
                csv_read,
            }),
        });
    }
    let (encoding, bom_len) = sniff_encoding(&head, truncated)?;
    let sample = match encoding {
        None => String::from_utf8_lossy(&head[bom_len..]).into_owned(),
        Some(enc) => legacy::decode(enc, &head)?,
    };
    let delimiter = match delimiter {
        Some(d) => d,
        None => sniff_delimiter(&sample, truncated),
    };
    let stream: Box<dyn Read + 'a> = match encoding {
        None => {
            let mut head = Cursor::new(head);
            head.set_position(bom_len as u64);
            Box::new(head.chain(tap))
        }
        Some(enc) => legacy::transcoder(enc, Cursor::new(head).chain(tap))?,
    };
    let lines = Rc::new(RefCell::new(LineIndex::default()));
    let stream: Box<dyn Read + 'a> = Box::new(LineGuard {
        inner: stream,
        index: Rc::clone(&lines),
        offset: 0,
        after_cr: false,
        line_bytes: 0,
    });
    let reader = Records::new(stream, delimiter, has_headers);
    Ok(Source {
        sniffed: Sniffed {
            encoding: encoding.map_or("UTF-8", Legacy::name),
            delimiter,
            bom: bom_len > 0,
            format: "csv",
            sheet: None,
            sheets: Vec::new(),
        },
        reader,
        tap: state,
        lines,
        sheet: None,
    })
}

/// Ends a part that is not the file's last (see [`open_part`]): after a part that ends
/// between records it reads as one record holding just this field; after a part that
/// ends inside a quoted field it is swallowed by that field.
pub(crate) const PART_SENTINEL: &[u8] = b"\0phonescrub:end-of-part\0";

/// Opens one part of a UTF-8 file cut at a line start for parallel work: no sniffing,
/// no header, no hashing; [`Source::line_of`] counts lines from the part's start. A part
/// that is not the file's last gets [`PART_SENTINEL`] appended, so the reader can tell
/// whether the cut fell between records.
pub(crate) fn open_part<'a, R: Read + 'a>(part: R, sniffed: &Sniffed, last: bool) -> Source<'a> {
    let state = Rc::new(RefCell::new(TapState {
        unhashed: true,
        ..TapState::default()
    }));
    let tail: &'static [u8] = if last { b"" } else { PART_SENTINEL };
    let tap = Tap {
        inner: part.chain(tail),
        state: Rc::clone(&state),
    };
    let lines = Rc::new(RefCell::new(LineIndex::default()));
    let stream: Box<dyn Read + 'a> = Box::new(LineGuard {
        inner: tap,
        index: Rc::clone(&lines),
        offset: 0,
        after_cr: false,
        line_bytes: 0,
    });
    let reader = Records::new(stream, sniffed.delimiter, false);
    Source {
        sniffed: sniffed.clone(),
        reader,
        tap: state,
        lines,
        sheet: None,
    }
}

/// Line ends (LF, CRLF or a lone CR) in `bytes`, which must not end between the CR and
/// LF of a CRLF.
pub(crate) fn count_line_ends(bytes: &[u8]) -> u64 {
    let mut count = 0;
    let mut after_cr = false;
    for &b in bytes {
        if b == b'\r' || (b == b'\n' && !after_cr) {
            count += 1;
        }
        after_cr = b == b'\r';
    }
    count
}

/// Counts the bytes read through it.
struct Counted<R> {
    inner: R,
    read: Rc<RefCell<u64>>,
}

impl<R: Read> Read for Counted<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        *self.read.borrow_mut() += n as u64;
        Ok(n)
    }
}

/// Offsets (in the decoded stream) where line ends start, not yet passed by
/// [`Source::line_of`], and how many have been passed. Bounded by the CSV reader's
/// read-ahead.
#[derive(Default)]
struct LineIndex {
    /// Offset and length (1, or 2 for CRLF) of each line end.
    ends: VecDeque<(u64, u8)>,
    passed: u64,
}

/// Notes where each line ends (LF, CRLF, CR) as the text streams past, and fails the read
/// when a physical line grows past [`MAX_LINE_BYTES`], before the CSV reader buffers it.
struct LineGuard<R> {
    inner: R,
    index: Rc<RefCell<LineIndex>>,
    offset: u64,
    after_cr: bool,
    line_bytes: u64,
}

impl<R: Read> Read for LineGuard<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        let mut index = self.index.borrow_mut();
        // A run of ordinary bytes is counted at once; only line ends are handled one by one
        // (a match per byte here was about 3,200 instructions a row, 10% of a scrub; a
        // byte-by-byte search for the next line end was still 7% of a wasm part worker).
        let mut rest = &buf[..n];
        loop {
            let run = memchr::memchr2(b'\n', b'\r', rest).unwrap_or(rest.len());
            if run > 0 {
                self.after_cr = false;
                self.line_bytes += run as u64;
                if self.line_bytes > MAX_LINE_BYTES {
                    let line = index.passed + index.ends.len() as u64 + 1;
                    return Err(io::Error::new(
                        io::ErrorKind::InvalidData,
                        LineTooLong(line),
                    ));
                }
                self.offset += run as u64;
            }
            let Some(&b) = rest.get(run) else {
                break;
            };
            if b == b'\n' && self.after_cr {
                // The LF of a CRLF: the same line end, two bytes long.
                if let Some(last) = index.ends.back_mut() {
                    last.1 = 2;
                }
            } else {
                index.ends.push_back((self.offset, 1));
                self.line_bytes = 0;
            }
            self.after_cr = b == b'\r';
            self.offset += 1;
            rest = &rest[run + 1..];
        }
        Ok(n)
    }
}

/// A list the browser can no longer read: its file was changed, moved or removed after
/// the user chose it (a `File` is a snapshot, and Chromium and Firefox refuse to read it
/// once the file on disk differs). Turned into an input error saying so.
#[derive(Debug)]
pub(crate) struct Unreadable;

impl Unreadable {
    /// What the user is told (the page's worker says the same for a part it cannot read).
    pub(crate) const MESSAGE: &'static str = "the list can no longer be read: its file was changed, moved or removed after it was chosen; choose it again";
}

impl std::fmt::Display for Unreadable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(Self::MESSAGE)
    }
}

impl std::error::Error for Unreadable {}

/// The error a [`LineGuard`] raises; turned into an input error naming the line.
#[derive(Debug)]
pub(crate) struct LineTooLong(pub(crate) u64);

impl LineTooLong {
    pub(crate) fn message(&self) -> String {
        format!(
            "the line is longer than {} MiB; this does not look like a contact list",
            MAX_LINE_BYTES >> 20
        )
    }
}

impl std::fmt::Display for LineTooLong {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "line {}: {}", self.0, self.message())
    }
}

impl std::error::Error for LineTooLong {}

/// Checks one record against the limits; `line` names it in the error.
pub fn check_record(record: &Record, line: u64) -> Result<()> {
    if record.stored_len() > MAX_FIELD_BYTES {
        if let Some(field) = record.iter().find(|f| f.len() > MAX_FIELD_BYTES) {
            return Err(Error::input_at(
                line,
                format!(
                    "a field of {} bytes is larger than the {} MiB limit for one cell",
                    field.len(),
                    MAX_FIELD_BYTES >> 20
                ),
            ));
        }
    }
    Ok(())
}

/// Checks the header row: not too many columns, no oversized names.
pub fn check_header(record: &Record) -> Result<()> {
    if record.len() > MAX_COLUMNS {
        return Err(Error::input_at(
            1,
            format!(
                "the header has {} columns; the limit is {MAX_COLUMNS}",
                record.len()
            ),
        ));
    }
    check_record(record, 1)
}

/// A text encoding other than UTF-8 that lists come in (transcoded to UTF-8 as read).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Legacy {
    /// UTF-16, little-endian (told by its BOM: Excel's "Unicode Text").
    Utf16Le,
    /// UTF-16, big-endian (told by its BOM).
    Utf16Be,
    /// windows-1252 (text that is not valid UTF-8).
    Windows1252,
}

impl Legacy {
    /// The encoding's name, as in the report.
    pub fn name(self) -> &'static str {
        match self {
            Legacy::Utf16Le => "UTF-16LE",
            Legacy::Utf16Be => "UTF-16BE",
            Legacy::Windows1252 => "windows-1252",
        }
    }
}

/// Transcoding with encoding_rs (the cargo feature `encodings`, on by default; the page's
/// core wasm leaves it out: its tables for every legacy encoding are 127 KB of the
/// gzipped module, and a UTF-8 list, the common case, needs none of them).
#[cfg(feature = "encodings")]
mod legacy {
    use super::*;
    use encoding_rs::{Encoding, UTF_16BE, UTF_16LE, WINDOWS_1252};
    use encoding_rs_io::DecodeReaderBytesBuilder;

    fn encoding(enc: Legacy) -> &'static Encoding {
        match enc {
            Legacy::Utf16Le => UTF_16LE,
            Legacy::Utf16Be => UTF_16BE,
            Legacy::Windows1252 => WINDOWS_1252,
        }
    }

    /// The start of the file as text (for sniffing the delimiter).
    pub(super) fn decode(enc: Legacy, head: &[u8]) -> Result<String> {
        Ok(encoding(enc).decode(head).0.into_owned())
    }

    /// The file as UTF-8, transcoded as it is read (a BOM is dropped).
    pub(super) fn transcoder<'a, R: Read + 'a>(
        enc: Legacy,
        input: R,
    ) -> Result<Box<dyn Read + 'a>> {
        Ok(Box::new(
            DecodeReaderBytesBuilder::new()
                .encoding(Some(encoding(enc)))
                .bom_override(true)
                .build(input),
        ))
    }
}

/// Without the `encodings` feature: a "needs-module" error, so the page reruns the job
/// on its full engine.
#[cfg(not(feature = "encodings"))]
mod legacy {
    use super::*;

    fn needs(enc: Legacy) -> Error {
        Error::needs_module("encodings", format!("reading {} text", enc.name()))
    }

    pub(super) fn decode(enc: Legacy, _head: &[u8]) -> Result<String> {
        Err(needs(enc))
    }

    pub(super) fn transcoder<'a, R: Read + 'a>(
        enc: Legacy,
        _input: R,
    ) -> Result<Box<dyn Read + 'a>> {
        Err(needs(enc))
    }
}

/// `None` means UTF-8 (passed through untouched); otherwise the encoding to transcode
/// from. Also returns the BOM length to skip for UTF-8.
fn sniff_encoding(head: &[u8], truncated: bool) -> Result<(Option<Legacy>, usize)> {
    if head.starts_with(&[0xef, 0xbb, 0xbf]) {
        return Ok((None, 3));
    }
    if head.starts_with(&[0xff, 0xfe]) {
        return Ok((Some(Legacy::Utf16Le), 0));
    }
    if head.starts_with(&[0xfe, 0xff]) {
        return Ok((Some(Legacy::Utf16Be), 0));
    }
    if let Some(kind) = binary_kind(head) {
        return Err(Error::input(format!(
            "this is not a text list: it looks like {kind}. Export or save it as CSV (comma- or semicolon-separated) or tab-separated text first"
        )));
    }
    match std::str::from_utf8(head) {
        Ok(_) => Ok((None, 0)),
        // The sample may end in the middle of a character; that is still UTF-8.
        Err(e) if truncated && e.error_len().is_none() => Ok((None, 0)),
        Err(_) => Ok((Some(Legacy::Windows1252), 0)),
    }
}

fn binary_kind(head: &[u8]) -> Option<&'static str> {
    const MAGIC: &[(&[u8], &str)] = &[
        (b"%PDF", "a PDF document"),
        (b"\xd0\xcf\x11\xe0", "an old Office file (.xls?)"),
        (b"\x89PNG", "a PNG image"),
        (b"\xff\xd8\xff", "a JPEG image"),
        (b"GIF8", "a GIF image"),
        (b"\x1f\x8b", "a gzip archive"),
    ];
    if let Some((_, kind)) = MAGIC.iter().find(|(magic, _)| head.starts_with(magic)) {
        return Some(kind);
    }
    // Text files do not hold NUL bytes (UTF-16 ones start with a BOM, handled above).
    let nuls = head.iter().take(4096).filter(|&&b| b == 0).count();
    (nuls > 0).then_some("a binary file")
}

/// Picks the delimiter whose count per line is steadiest across the sample's lines
/// (quotes respected), preferring more columns, then the order of [`DELIMITERS`].
pub fn sniff_delimiter(sample: &str, truncated: bool) -> u8 {
    let mut lines = split_logical_lines(sample);
    if truncated && lines.len() > 1 {
        lines.pop(); // the last line may be cut short
    }
    lines.truncate(50);
    let mut best = (b',', 0usize, 0usize);
    for &d in &DELIMITERS {
        let counts: Vec<usize> = lines.iter().map(|l| count_outside_quotes(l, d)).collect();
        let Some(&header) = counts.first() else {
            continue;
        };
        if header == 0 {
            continue;
        }
        let consistent = counts.iter().filter(|&&c| c == header).count();
        if (consistent, header) > (best.1, best.2) {
            best = (d, consistent, header);
        }
    }
    best.0
}

/// Lines, not splitting inside quoted fields.
fn split_logical_lines(sample: &str) -> Vec<&str> {
    let mut lines = Vec::new();
    let mut in_quotes = false;
    let mut start = 0;
    let bytes = sample.as_bytes();
    for (i, &b) in bytes.iter().enumerate() {
        match b {
            b'"' => in_quotes = !in_quotes,
            b'\n' | b'\r' if !in_quotes => {
                if i > start {
                    lines.push(&sample[start..i]);
                }
                start = i + 1;
            }
            _ => {}
        }
    }
    if start < bytes.len() {
        lines.push(&sample[start..]);
    }
    lines
}

fn count_outside_quotes(line: &str, delimiter: u8) -> usize {
    let mut in_quotes = false;
    let mut n = 0;
    for &b in line.as_bytes() {
        if b == b'"' {
            in_quotes = !in_quotes;
        } else if b == delimiter && !in_quotes {
            n += 1;
        }
    }
    n
}

#[cfg(test)]
mod tests {
    use super::*;

    fn records(bytes: &[u8]) -> (Sniffed, Vec<Vec<String>>) {
        let mut src = open(bytes, None, false).unwrap();
        let mut record = Record::new();
        let mut rows = Vec::new();
        while src.reader.read_byte_record(&mut record).unwrap() {
            rows.push(
                record
                    .iter()
                    .map(|f| String::from_utf8(f.to_vec()).unwrap())
                    .collect(),
            );
        }
        (src.sniffed, rows)
    }

    #[test]
    fn utf8_with_and_without_bom() {
        let (s, rows) = records(b"\xef\xbb\xbfname,phone\nZo\xc3\xab,0121\n");
        assert_eq!((s.encoding, s.delimiter, s.bom), ("UTF-8", b',', true));
        assert_eq!(rows, vec![vec!["name", "phone"], vec!["Zoë", "0121"]]);
        let (s, _) = records(b"name;phone\r\na;1\r\n");
        assert_eq!((s.encoding, s.delimiter, s.bom), ("UTF-8", b';', false));
    }

    #[test]
    #[cfg(feature = "encodings")]
    fn utf16_tab_separated_as_excel_writes_it() {
        let text = "name\tphone\r\nZoë\t0121\r\n";
        let mut bytes = vec![0xff, 0xfe];
        for unit in text.encode_utf16() {
            bytes.extend_from_slice(&unit.to_le_bytes());
        }
        let (s, rows) = records(&bytes);
        assert_eq!((s.encoding, s.delimiter), ("UTF-16LE", b'\t'));
        assert_eq!(rows[1], vec!["Zoë", "0121"]);
    }

    #[test]
    #[cfg(feature = "encodings")]
    fn windows_1252_when_not_utf8() {
        let (s, rows) = records(b"name|phone\nZo\xeb|0121\n");
        assert_eq!((s.encoding, s.delimiter), ("windows-1252", b'|'));
        assert_eq!(rows[1][0], "Zoë");
    }

    #[test]
    #[cfg(not(feature = "encodings"))]
    fn legacy_text_needs_the_encodings_module() {
        // The page's core engine: the job is refused before any row, and reruns on the
        // full engine.
        for text in [&b"name|phone\nZo\xeb|0121\n"[..], b"\xff\xfen\x00\n\x00"] {
            let err = open(text, None, true).err().expect("refused");
            assert_eq!(err.needed_module(), Some("encodings"), "{err}");
        }
    }

    #[test]
    fn quoted_delimiters_do_not_fool_the_sniffer() {
        let sample = "name,phone\n\"Smith; John\",1\n\"Doe; Jane\",2\n";
        assert_eq!(sniff_delimiter(sample, false), b',');
    }

    #[test]
    fn empty_and_binary_files_are_clear_errors() {
        assert_eq!(
            open(&b""[..], None, true).err().unwrap().to_string(),
            "the file is empty"
        );
        let err = open(&b"%PDF-1.7\n..."[..], None, true).err().unwrap();
        assert!(err.to_string().contains("PDF"), "{err}");
        let err = open(&b"a,b\n\x00\x01\x02"[..], None, true).err().unwrap();
        assert!(err.to_string().contains("binary"), "{err}");
    }

    #[test]
    fn lines_count_lf_crlf_and_cr_endings() {
        for (input, expected) in [
            ("a,b\n1,2\n3,4\n", vec![2, 3]),
            ("a,b\r\n1,2\r\n3,4\r\n", vec![2, 3]),
            ("a,b\r1,2\r3,4\r", vec![2, 3]),
            ("a,b\r\n1,\"x\r\ny\"\r\n3,4\r\n", vec![2, 4]),
            ("a,b\n\n1,2\n", vec![3]),
            ("a,b\r\r1,2\r", vec![3]),
            ("a,b\r\n\r\n1,2\r\n", vec![3]),
        ] {
            let mut src = open(input.as_bytes(), None, true).unwrap();
            let mut record = Record::new();
            let mut lines = Vec::new();
            while src.reader.read_byte_record(&mut record).unwrap() {
                lines.push(src.line_of(&record));
            }
            assert_eq!(lines, expected, "{input:?}");
        }
    }

    /// Gives its bytes a few at a time, so line ends fall across reads.
    struct Trickle<'a>(&'a [u8], usize);

    impl Read for Trickle<'_> {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            self.1 = self.1 % 3 + 1;
            let n = self.1.min(self.0.len()).min(buf.len());
            buf[..n].copy_from_slice(&self.0[..n]);
            self.0 = &self.0[n..];
            Ok(n)
        }
    }

    #[test]
    fn line_ends_split_across_reads_and_overlong_lines() {
        let input = "a,b\r\n1,\"x\r\ny\"\r\n3,4\r\r5,6\n\n7,8\r\n";
        let mut src = open(Trickle(input.as_bytes(), 0), None, true).unwrap();
        let mut record = Record::new();
        let mut lines = Vec::new();
        while src.reader.read_byte_record(&mut record).unwrap() {
            lines.push(src.line_of(&record));
        }
        assert_eq!(lines, vec![2, 4, 6, 8]);

        let mut long = b"a,b\r\n1,2\r\n".to_vec();
        long.resize(long.len() + MAX_LINE_BYTES as usize + 1, b'x');
        let err = open(&long[..], None, true)
            .and_then(|mut src| {
                let mut record = Record::new();
                while src.reader.read_byte_record(&mut record)? {}
                Ok(())
            })
            .expect_err("a line over the limit is an error");
        assert!(err.to_string().contains("line 3"), "{err}");
    }

    #[test]
    fn tap_counts_and_hashes_everything() {
        let data = b"a,b\n1,2\n";
        let mut src = open(&data[..], None, false).unwrap();
        let mut record = Record::new();
        while src.reader.read_byte_record(&mut record).unwrap() {}
        assert_eq!(src.bytes_read(), data.len() as u64);
        let expected: String = Sha256::digest(data)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        assert_eq!(src.sha256_hex(), expected);
    }
}
