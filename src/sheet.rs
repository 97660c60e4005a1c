//! Spreadsheets in and out: .xlsx, .xls and .ods lists read with `calamine`, the
//! cleaned and removed lists written as .xlsx with `rust_xlsxwriter`, and the numbers
//! Excel mangles (scientific notation, a lost `+` or leading `0`).
//!
//! A spreadsheet cannot be streamed: the chosen sheet is read whole into a `calamine`
//! `Range`, bounded by [`MAX_SHEET_BYTES`], and its rows are handed to the same rule
//! pipeline as CSV rows (see `input::open_sheet`), so every rule, reason and output
//! behaves the same. A row's `line` is its sheet row number (1-based, the header row is
//! normally row 1).
//!
//! Reading and writing workbooks needs the cargo feature `sheets` (on by default; the
//! page's core wasm leaves it out). Without it a spreadsheet is still recognised by its
//! bytes, and refused with [`crate::ErrorKind::NeedsModule`].

#[cfg(feature = "sheets")]
use std::io::Cursor;

#[cfg(feature = "sheets")]
use calamine::{Data, Ods, Reader, SheetType, Xls, Xlsb, Xlsx};
use phonenumber::country::Id;

use crate::error::{Error, Result};
use crate::phone::{self, Number, Verdict};

/// The largest spreadsheet file read (32 MiB). A workbook is read whole into memory, and
/// its cells take several times the file's size once unpacked; a bigger list should be
/// saved as CSV, which is streamed without limit.
pub const MAX_SHEET_BYTES: u64 = 32 << 20;

/// The most rows a worksheet holds (Excel's limit, header included).
pub const XLSX_MAX_ROWS: u32 = 1_048_576;

/// The most cells (rows x columns of the sheet's used range) read from one sheet.
pub const MAX_SHEET_CELLS: usize = 30_000_000;

/// A spreadsheet file format, recognised by its first bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum SheetFormat {
    /// Office Open XML workbook (Excel 2007 and later).
    Xlsx,
    /// Excel binary workbook.
    Xlsb,
    /// The old Excel format (BIFF8, Excel 97–2003).
    Xls,
    /// OpenDocument spreadsheet (LibreOffice, Google Sheets export).
    Ods,
}

impl SheetFormat {
    /// The usual file extension without the dot, also used in reports: "xlsx".
    pub fn name(self) -> &'static str {
        match self {
            SheetFormat::Xlsx => "xlsx",
            SheetFormat::Xlsb => "xlsb",
            SheetFormat::Xls => "xls",
            SheetFormat::Ods => "ods",
        }
    }
}

const OLE2_MAGIC: &[u8] = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1";
const ZIP_MAGIC: &[u8] = b"PK\x03\x04";
const ODS_MIMETYPE: &[u8] = b"application/vnd.oasis.opendocument.spreadsheet";

/// True when the file starts like a container a spreadsheet may be (zip or OLE2); the
/// whole file is needed to tell which (see [`detect`]).
pub fn maybe_sheet(head: &[u8]) -> bool {
    head.starts_with(ZIP_MAGIC) || head.starts_with(OLE2_MAGIC)
}

/// Which spreadsheet format the whole file is, by its bytes (not its name): an OLE2
/// compound file is taken for .xls; a zip holding `xl/workbook.xml` (or `.bin`) is
/// .xlsx (.xlsb); a zip whose `mimetype` entry names an OpenDocument spreadsheet is .ods.
pub fn detect(bytes: &[u8]) -> Option<SheetFormat> {
    if bytes.starts_with(OLE2_MAGIC) {
        return Some(SheetFormat::Xls);
    }
    if !bytes.starts_with(ZIP_MAGIC) {
        return None;
    }
    // ODS puts an uncompressed `mimetype` entry first (the OpenDocument spec asks for it).
    if bytes.len() > 30 {
        let name_len = usize::from(u16::from_le_bytes([bytes[26], bytes[27]]));
        let extra_len = usize::from(u16::from_le_bytes([bytes[28], bytes[29]]));
        let data = 30 + name_len + extra_len;
        if bytes.get(30..30 + name_len) == Some(b"mimetype".as_slice())
            && bytes
                .get(data..)
                .is_some_and(|d| d.starts_with(ODS_MIMETYPE))
        {
            return Some(SheetFormat::Ods);
        }
    }
    // The zip's central directory, at the end, names every entry.
    if contains(bytes, b"xl/workbook.xml") {
        Some(SheetFormat::Xlsx)
    } else if contains(bytes, b"xl/workbook.bin") {
        Some(SheetFormat::Xlsb)
    } else if contains(bytes, ODS_MIMETYPE) && contains(bytes, b"content.xml") {
        Some(SheetFormat::Ods)
    } else {
        None
    }
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    // From the end: the central directory is there.
    haystack.windows(needle.len()).rev().any(|w| w == needle)
}

/// One sheet of a workbook, as records ready for the rule pipeline.
#[derive(Debug)]
pub struct SheetData {
    /// The workbook's format.
    pub format: SheetFormat,
    /// The sheet read.
    pub sheet: String,
    /// Every worksheet in the workbook, in workbook order (chart sheets left out).
    pub sheets: Vec<String>,
    /// The sheet's rows as UTF-8 CSV (comma, quoted where needed): the header first.
    pub csv: Vec<u8>,
    /// The sheet row number (1-based) of each CSV record, the header's first.
    pub rows: Vec<u32>,
}

/// Reads one sheet of a workbook (the first worksheet when `sheet` is `None`; a name is
/// matched exactly, then ignoring case). Rows with no cell filled are skipped, as blank
/// lines are in CSV. Every row has the header's width; a row with a filled cell past the
/// header's last column keeps its extra cells, and so is a `malformed_row`.
pub fn read(bytes: Vec<u8>, sheet: Option<&str>) -> Result<SheetData> {
    if bytes.len() as u64 > MAX_SHEET_BYTES {
        return Err(too_big());
    }
    let format = detect(&bytes).ok_or_else(|| {
        Error::input(if bytes.starts_with(OLE2_MAGIC) {
            "this is an old Office file but not a spreadsheet".to_string()
        } else {
            "this is not a text list: it looks like a zip archive that is not a spreadsheet (a .docx?). Export or save the list as CSV or .xlsx first".to_string()
        })
    })?;
    read_workbook(bytes, format, sheet)
}

/// The error for a spreadsheet job in a build without the `sheets` feature.
pub(crate) fn needs_sheets(what: &str) -> Error {
    Error::needs_module("sheets", what)
}

#[cfg(not(feature = "sheets"))]
fn read_workbook(_bytes: Vec<u8>, format: SheetFormat, _sheet: Option<&str>) -> Result<SheetData> {
    Err(needs_sheets(&format!(
        "this is a .{} spreadsheet: reading it",
        format.name()
    )))
}

/// Reads a workbook with calamine, containing a panic. calamine's .xls (BIFF) record
/// reader slices past the end of damaged records in many places (the fuzzer finds one
/// after another; its compound-file layer and byte readers are patched, see
/// vendor/calamine/PATCHES.md). Natively the panic is caught here and becomes an input
/// error; in the browser (`panic = "abort"`) the worker reports the trap as a damaged
/// spreadsheet and starts a fresh engine (www/worker.js).
#[cfg(feature = "sheets")]
fn read_workbook(bytes: Vec<u8>, format: SheetFormat, sheet: Option<&str>) -> Result<SheetData> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        read_workbook_unguarded(bytes, format, sheet)
    }))
    .unwrap_or_else(|_| Err(damaged(format)))
}

/// True for a panic inside calamine's .xls (BIFF) record reader: the one kind of panic
/// phonescrub contains by design ([`read_workbook`] catches it natively; in the browser the
/// worker reports the trap as a damaged file). The CLI keeps such a panic's message quiet
/// and the fuzz checks do not count it; every other panic is a bug.
pub fn is_contained_panic(info: &std::panic::PanicHookInfo<'_>) -> bool {
    info.location()
        .is_some_and(|l| l.file().replace('\\', "/").ends_with("calamine/src/xls.rs"))
}

/// The error for a workbook calamine could not read without panicking.
#[cfg(feature = "sheets")]
fn damaged(format: SheetFormat) -> Error {
    Error::input(format!(
        "this .{} file is damaged: its reader stopped at a record it cannot read. Open it in Excel or LibreOffice and save it again as .xlsx or CSV",
        format.name()
    ))
}

#[cfg(feature = "sheets")]
fn read_workbook_unguarded(
    bytes: Vec<u8>,
    format: SheetFormat,
    sheet: Option<&str>,
) -> Result<SheetData> {
    let unreadable = |e: &dyn std::fmt::Display| {
        Error::input(format!("cannot read the .{} file: {e}", format.name()))
    };
    let cursor = Cursor::new(bytes);
    let mut workbook: calamine::Sheets<Cursor<Vec<u8>>> = match format {
        SheetFormat::Xlsx => calamine::Sheets::Xlsx(Xlsx::new(cursor).map_err(|e| unreadable(&e))?),
        SheetFormat::Xlsb => calamine::Sheets::Xlsb(Xlsb::new(cursor).map_err(|e| unreadable(&e))?),
        SheetFormat::Xls => calamine::Sheets::Xls(Xls::new(cursor).map_err(|e| unreadable(&e))?),
        SheetFormat::Ods => calamine::Sheets::Ods(Ods::new(cursor).map_err(|e| unreadable(&e))?),
    };
    let sheets: Vec<String> = workbook
        .sheets_metadata()
        .iter()
        .filter(|s| s.typ == SheetType::WorkSheet)
        .map(|s| s.name.clone())
        .collect();
    let name = match sheet {
        None => sheets
            .first()
            .cloned()
            .ok_or_else(|| Error::input("the workbook has no worksheet"))?,
        Some(wanted) => sheets
            .iter()
            .find(|s| s.as_str() == wanted)
            .or_else(|| {
                let lower = wanted.to_lowercase();
                sheets.iter().find(|s| s.to_lowercase() == lower)
            })
            .cloned()
            .ok_or_else(|| {
                Error::policy(format!(
                    "no sheet named {wanted:?}; the sheets are: {}",
                    sheets.join(", ")
                ))
            })?,
    };
    let range = workbook
        .worksheet_range(&name)
        .map_err(|e| unreadable(&e))?;
    drop(workbook);
    let (height, width) = range.get_size();
    if height.saturating_mul(width) > MAX_SHEET_CELLS {
        return Err(Error::input(format!(
            "sheet {name:?} has {height} rows and {width} columns, more than the {MAX_SHEET_CELLS} cells read from a spreadsheet; save it as CSV, which is read as a stream"
        )));
    }
    let first_row = range.start().map_or(0, |(row, _)| row);
    let mut writer = csv::WriterBuilder::new()
        .flexible(true)
        .from_writer(Vec::new());
    let mut rows = Vec::new();
    let mut header_width = None;
    let mut fields: Vec<String> = Vec::new();
    for (i, row) in range.rows().enumerate() {
        let Some(last) = row.iter().rposition(|c| !matches!(c, Data::Empty)) else {
            continue;
        };
        let width = *header_width.get_or_insert(last + 1);
        fields.clear();
        fields.extend(row[..width.max(last + 1)].iter().map(cell_text));
        writer.write_record(&fields)?;
        rows.push(first_row + i as u32 + 1);
    }
    if rows.is_empty() {
        return Err(Error::input(format!("sheet {name:?} is empty")));
    }
    let csv = writer
        .into_inner()
        .map_err(|e| Error::from(e.into_error()))?;
    Ok(SheetData {
        format,
        sheet: name,
        sheets,
        csv,
        rows,
    })
}

/// The error for a spreadsheet over [`MAX_SHEET_BYTES`].
pub(crate) fn too_big() -> Error {
    Error::input(format!(
        "the spreadsheet is larger than {} MiB, the most read into memory; save the sheet as CSV, which is read as a stream",
        MAX_SHEET_BYTES >> 20
    ))
}

/// A cell as the text a user sees in the sheet: numbers without ".0" or scientific
/// notation (integers as plain digits), dates as ISO 8601, booleans as TRUE/FALSE.
#[cfg(feature = "sheets")]
pub fn cell_text(cell: &Data) -> String {
    match cell {
        Data::Empty => String::new(),
        Data::String(s) | Data::DateTimeIso(s) | Data::DurationIso(s) => s.clone(),
        Data::Int(i) => i.to_string(),
        Data::Float(f) => number_text(*f),
        Data::Bool(b) => if *b { "TRUE" } else { "FALSE" }.to_string(),
        Data::DateTime(dt) if dt.is_duration() => number_text(dt.as_f64()),
        Data::DateTime(dt) => {
            let (y, mo, d, h, mi, s, _) = dt.to_ymd_hms_milli();
            if (h, mi, s) == (0, 0, 0) {
                format!("{y:04}-{mo:02}-{d:02}")
            } else {
                format!("{y:04}-{mo:02}-{d:02} {h:02}:{mi:02}:{s:02}")
            }
        }
        Data::Error(e) => e.to_string(),
    }
}

/// A number as plain decimal digits: 447700900123, not 4.47700900123E+11 or
/// 447700900123.0.
pub fn number_text(f: f64) -> String {
    if f.is_finite() && f.fract() == 0.0 && f.abs() < 1e17 {
        (f as i64).to_string()
    } else {
        // Rust never writes an exponent for f64 with `{}`.
        format!("{f}")
    }
}

/// What a phone cell holds, once spreadsheet mangling is undone.
pub(crate) enum PhoneCell {
    /// A valid number.
    Valid(Number),
    /// Empty, or no digit.
    Missing,
    /// Not a valid number.
    Invalid,
    /// Scientific notation with digits lost (`1.20155501E+10`): `mangled_number`.
    Mangled,
}

impl From<Verdict> for PhoneCell {
    fn from(v: Verdict) -> PhoneCell {
        match v {
            Verdict::Valid(n) => PhoneCell::Valid(n),
            Verdict::Missing => PhoneCell::Missing,
            Verdict::Invalid => PhoneCell::Invalid,
        }
    }
}

/// Reads a phone cell, undoing what spreadsheets do to numbers:
///
/// - text in scientific notation (`4.47700900123E+11`, also with a decimal comma) whose
///   mantissa holds every digit is read as those digits; one whose digits were cut off
///   by the display precision (`1.20155501E+10`) is [`PhoneCell::Mangled`];
/// - such digits, and (with `from_sheet`) a cell of digits only, as a number cell gives
///   them, lost any leading `+` or `0`: they are read as written, else with a `0` in
///   front (in the row's region), else with a `+` in front: the first valid reading wins.
///
/// Any other cell is read as [`phone::normalise`] reads it.
pub(crate) fn read_phone(cell: &str, region: Option<Id>, from_sheet: bool) -> PhoneCell {
    match scientific(cell) {
        Some(Scientific::Exact(digits)) => recover(&digits, region).into(),
        Some(Scientific::Lost) => PhoneCell::Mangled,
        Some(Scientific::NotWhole) => PhoneCell::Invalid,
        None => {
            let trimmed = cell.trim();
            if from_sheet && !trimmed.is_empty() && trimmed.bytes().all(|b| b.is_ascii_digit()) {
                recover(trimmed, region).into()
            } else {
                phone::normalise(cell, region).into()
            }
        }
    }
}

/// Digits that lost a leading `+` or `0`: the first valid reading of them as written,
/// with a `0` (national, when there is a region), with a `+` (international).
fn recover(digits: &str, region: Option<Id>) -> Verdict {
    let as_written = phone::normalise(digits, region);
    if matches!(as_written, Verdict::Valid(_)) {
        return as_written;
    }
    let national = region.map(|_| format!("0{digits}"));
    let international = format!("+{digits}");
    for candidate in national.iter().chain(std::iter::once(&international)) {
        if let valid @ Verdict::Valid(_) = phone::normalise(candidate, region) {
            return valid;
        }
    }
    as_written
}

#[derive(Debug, PartialEq)]
enum Scientific {
    /// Every digit of a whole number is there.
    Exact(String),
    /// The number has more digits than the mantissa shows.
    Lost,
    /// Not a whole number (or far too long to be a phone number).
    NotWhole,
}

/// Reads `4.47700900123E+11` (`,` as the decimal sign too, `e`, no `+`, spaces around).
fn scientific(cell: &str) -> Option<Scientific> {
    let cell = cell.trim();
    let bytes = cell.as_bytes();
    // Cheap rejection first: this runs on every phone cell.
    if bytes.len() < 3
        || !bytes[0].is_ascii_digit()
        || !bytes.iter().any(|b| matches!(b, b'e' | b'E'))
    {
        return None;
    }
    let (mantissa, exponent) = cell.split_once(['e', 'E'])?;
    let exponent = exponent.strip_prefix('+').unwrap_or(exponent);
    if exponent.is_empty() || exponent.len() > 3 || !exponent.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let exponent: usize = exponent.parse().ok()?;
    let (whole, fraction) = mantissa.split_once(['.', ',']).unwrap_or((mantissa, ""));
    if whole.is_empty()
        || whole.starts_with('0')
        || !whole.bytes().all(|b| b.is_ascii_digit())
        || !fraction.bytes().all(|b| b.is_ascii_digit())
    {
        return None;
    }
    let integer_digits = whole.len() + exponent;
    if integer_digits > 17 {
        return Some(Scientific::NotWhole);
    }
    let mut digits = format!("{whole}{fraction}");
    if digits.len() > integer_digits {
        if digits[integer_digits..].bytes().any(|b| b != b'0') {
            return Some(Scientific::NotWhole);
        }
        digits.truncate(integer_digits);
    }
    if digits.len() < integer_digits {
        return Some(Scientific::Lost);
    }
    Some(Scientific::Exact(digits))
}

/// Rewrites a CSV output of the scrub (written without formula-safety quoting or BOM)
/// as an .xlsx workbook with one sheet named `sheet_name`: every cell a text cell in a
/// text-formatted ("@") column, so Excel keeps the `+` and leading zeros and never runs
/// a cell as a formula. `created` fixes the workbook's creation date, so the same scrub
/// gives the same bytes.
#[cfg(not(feature = "sheets"))]
pub fn csv_to_xlsx(_csv_bytes: &[u8], _sheet_name: &str, _created: time::Date) -> Result<Vec<u8>> {
    Err(needs_sheets("writing .xlsx output"))
}

/// See the other `csv_to_xlsx`: the one built with the `sheets` feature.
#[cfg(feature = "sheets")]
pub fn csv_to_xlsx(csv_bytes: &[u8], sheet_name: &str, created: time::Date) -> Result<Vec<u8>> {
    use rust_xlsxwriter::{DocProperties, ExcelDateTime, Format, Workbook};
    let failed =
        |e: rust_xlsxwriter::XlsxError| Error::input(format!("cannot write the .xlsx output: {e}"));
    let mut workbook = Workbook::new();
    let date = ExcelDateTime::from_ymd(
        created.year().clamp(1900, 9999) as u16,
        created.month() as u8,
        created.day(),
    )
    .map_err(failed)?;
    workbook.set_properties(&DocProperties::new().set_creation_datetime(&date));
    let text = Format::new().set_num_format("@");
    let sheet = workbook.add_worksheet();
    sheet.set_name(sheet_name).map_err(failed)?;
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(csv_bytes);
    let mut record = csv::StringRecord::new();
    let mut row: u32 = 0;
    let mut widest = 0u16;
    while reader.read_record(&mut record)? {
        if row >= XLSX_MAX_ROWS {
            return Err(Error::input(format!(
                "the output has more rows than a spreadsheet holds ({}); choose CSV output",
                XLSX_MAX_ROWS
            )));
        }
        for (col, field) in record.iter().enumerate() {
            let col = u16::try_from(col).map_err(|_| Error::input("too many columns for .xlsx"))?;
            widest = widest.max(col + 1);
            if !field.is_empty() {
                sheet
                    .write_string_with_format(row, col, field, &text)
                    .map_err(failed)?;
            }
        }
        row += 1;
    }
    if widest > 0 {
        sheet
            .set_column_range_format(0, widest - 1, &text)
            .map_err(failed)?;
        if row > 1 {
            sheet.set_freeze_panes(1, 0).map_err(failed)?;
        }
    }
    workbook.save_to_buffer().map_err(failed)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gb() -> Option<Id> {
        phone::region_id("GB")
    }

    fn e164(cell: &PhoneCell) -> Option<String> {
        match cell {
            PhoneCell::Valid(n) => Some(n.format(crate::PhoneFormat::E164)),
            _ => None,
        }
    }

    #[cfg(feature = "sheets")]
    #[test]
    fn numbers_are_plain_digits() {
        assert_eq!(number_text(447700900123.0), "447700900123");
        assert_eq!(number_text(7700900123.0), "7700900123");
        assert_eq!(number_text(1.5), "1.5");
        assert_eq!(number_text(1e20), "100000000000000000000");
        assert_eq!(cell_text(&Data::Int(12)), "12");
        assert_eq!(cell_text(&Data::Bool(true)), "TRUE");
    }

    #[test]
    fn scientific_notation_is_exact_or_lost() {
        use Scientific::*;
        assert_eq!(
            scientific("4.47700900123E+11"),
            Some(Exact("447700900123".into()))
        );
        assert_eq!(
            scientific(" 4,47700900123e11 "),
            Some(Exact("447700900123".into()))
        );
        assert_eq!(scientific("1.20155501E+10"), Some(Lost));
        assert_eq!(scientific("1.5E+0"), Some(NotWhole));
        assert_eq!(scientific("+44 7700 900123"), None);
        assert_eq!(scientific("1E-5"), None);
        assert_eq!(scientific("Eve"), None);
    }

    #[test]
    fn mangled_numbers_are_recovered_when_every_digit_is_there() {
        let read = |cell, sheet| read_phone(cell, gb(), sheet);
        assert_eq!(
            e164(&read("4.47400123456E+11", false)).as_deref(),
            Some("+447400123456")
        );
        // A number cell that lost its leading 0, or its + (another country's number).
        assert_eq!(
            e164(&read("7400123456", true)).as_deref(),
            Some("+447400123456")
        );
        assert_eq!(
            e164(&read("14155550100", true)).as_deref(),
            Some("+14155550100")
        );
        assert_eq!(
            e164(&read("1.4155550100E+10", false)).as_deref(),
            Some("+14155550100")
        );
        // In a CSV, digits only are read as written (no guessing of a lost +).
        assert!(matches!(read("14155550100", false), PhoneCell::Invalid));
        assert!(matches!(read("1.20155501E+10", false), PhoneCell::Mangled));
        assert!(matches!(read("12345", true), PhoneCell::Invalid));
        assert!(matches!(read("", true), PhoneCell::Missing));
    }

    #[test]
    fn formats_are_told_by_their_bytes() {
        assert_eq!(
            detect(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1rest"),
            Some(SheetFormat::Xls)
        );
        assert_eq!(
            detect(b"PK\x03\x04 ... xl/workbook.xml ..."),
            Some(SheetFormat::Xlsx)
        );
        assert_eq!(detect(b"PK\x03\x04 ... word/document.xml ..."), None);
        assert_eq!(detect(b"name,phone\n"), None);
    }

    #[cfg(not(feature = "sheets"))]
    #[test]
    fn spreadsheets_are_recognised_and_refused_without_the_feature() {
        let err = read(b"PK\x03\x04 ... xl/workbook.xml ...".to_vec(), None).unwrap_err();
        assert_eq!(err.needed_module(), Some("sheets"));
        assert!(err.to_string().contains(".xlsx"), "{err}");
        let err = csv_to_xlsx(b"a\n", "cleaned", crate::parse_date("2025-06-30").unwrap());
        assert_eq!(err.unwrap_err().needed_module(), Some("sheets"));
        // Not a spreadsheet: the same input error as with the feature.
        assert_eq!(
            read(b"PK\x03\x04 word/document.xml".to_vec(), None)
                .unwrap_err()
                .needed_module(),
            None
        );
    }

    #[cfg(feature = "sheets")]
    #[test]
    fn xlsx_output_reads_back_as_text() {
        let csv = b"name,phone\nAnn,+447700900123\nBob,=1+1\n";
        let bytes = csv_to_xlsx(csv, "cleaned", crate::parse_date("2025-06-30").unwrap()).unwrap();
        let again = csv_to_xlsx(csv, "cleaned", crate::parse_date("2025-06-30").unwrap()).unwrap();
        assert_eq!(bytes, again, "the same scrub gives the same bytes");
        let data = read(bytes, None).unwrap();
        assert_eq!(
            (data.format, data.sheet.as_str()),
            (SheetFormat::Xlsx, "cleaned")
        );
        assert_eq!(
            String::from_utf8(data.csv).unwrap(),
            "name,phone\nAnn,+447700900123\nBob,=1+1\n"
        );
        assert_eq!(data.rows, vec![1, 2, 3]);
    }
}
