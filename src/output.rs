//! CSV writing: formula safety (OWASP CSV injection) and the optional BOM.

use std::borrow::Cow;
use std::io::Write;

use crate::error::Result;

/// Writes one output file.
pub struct CsvOut<W: Write> {
    writer: csv::Writer<W>,
    formula_safe: bool,
}

impl<W: Write> CsvOut<W> {
    /// A comma-separated writer. With `formula_safe`, every field is quoted and cells
    /// that a spreadsheet would run as a formula get a leading `'` (see [`neutralise`]).
    pub fn new(inner: W, formula_safe: bool, bom: bool) -> Result<CsvOut<W>> {
        CsvOut::build(inner, formula_safe, bom, false)
    }

    fn build(mut inner: W, formula_safe: bool, bom: bool, flexible: bool) -> Result<CsvOut<W>> {
        if bom {
            inner.write_all(b"\xef\xbb\xbf")?;
        }
        let writer = csv::WriterBuilder::new()
            .flexible(flexible)
            .quote_style(if formula_safe {
                csv::QuoteStyle::Always
            } else {
                csv::QuoteStyle::Necessary
            })
            .buffer_capacity(64 * 1024)
            .from_writer(inner);
        Ok(CsvOut {
            writer,
            formula_safe,
        })
    }

    /// Writes one field of the current row.
    pub fn field(&mut self, cell: &[u8]) -> Result<()> {
        if self.formula_safe {
            self.writer.write_field(neutralise(cell))?;
        } else {
            self.writer.write_field(cell)?;
        }
        Ok(())
    }

    /// Ends the current row.
    pub fn end_row(&mut self) -> Result<()> {
        self.writer.write_record(None::<&[u8]>)?;
        Ok(())
    }

    /// Flushes and returns the inner writer.
    pub fn finish(self) -> Result<W> {
        self.writer
            .into_inner()
            .map_err(|e| crate::error::Error::from(e.into_error()))
    }
}

/// Where [`CsvOut`] writes one row at a time for [`CsvOut::take_row_into`] (the
/// reference [`RowWriter`] is tested against).
#[cfg(test)]
#[derive(Clone, Default)]
pub(crate) struct RowBuf(std::rc::Rc<std::cell::RefCell<Vec<u8>>>);

#[cfg(test)]
impl Write for RowBuf {
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        self.0.borrow_mut().extend_from_slice(data);
        Ok(data.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
impl CsvOut<RowBuf> {
    /// A writer of single rows (see [`CsvOut::take_row_into`]).
    pub(crate) fn rows(formula_safe: bool) -> Result<(CsvOut<RowBuf>, RowBuf)> {
        let buf = RowBuf::default();
        // Flexible: a hashed row's two forms differ in length (see `scrub::RowEval`).
        Ok((CsvOut::build(buf.clone(), formula_safe, false, true)?, buf))
    }

    /// Moves the row just ended (by [`CsvOut::end_row`]) from `buf` to `out`, without
    /// its line end.
    pub(crate) fn take_row_into(&mut self, buf: &RowBuf, out: &mut Vec<u8>) -> Result<()> {
        self.writer.flush()?;
        let mut written = buf.0.borrow_mut();
        debug_assert_eq!(written.last(), Some(&b'\n'));
        out.extend_from_slice(&written[..written.len().saturating_sub(1)]);
        written.clear();
        Ok(())
    }
}

/// Writes single rows straight onto the end of a buffer, byte for byte as [`CsvOut`] (the
/// csv crate's writer: comma-separated, `\n` line ends) would write them, without the line
/// end. With `formula_safe` every field is quoted and neutralised ([`neutralise`]);
/// without it a field is quoted when it holds a comma, a quote, CR or LF. Quotes inside a
/// quoted field are doubled; a row that would be empty is written `""`.
///
/// Callgrind, the first 100,000 rows of the benchmark's list (5 fields kept): writing a
/// row took about 1,880 instructions through the csv writer (its state machine, a flush
/// into a shared buffer, a copy out), 1,330 this way.
pub(crate) struct RowWriter {
    formula_safe: bool,
    /// Where the current row starts in the buffer, and its fields so far.
    start: usize,
    fields: usize,
}

impl RowWriter {
    pub(crate) fn new(formula_safe: bool) -> RowWriter {
        RowWriter {
            formula_safe,
            start: 0,
            fields: 0,
        }
    }

    /// Starts a row at the end of `out`.
    pub(crate) fn begin(&mut self, out: &[u8]) {
        self.start = out.len();
        self.fields = 0;
    }

    /// Writes one field of the row.
    #[allow(clippy::manual_contains)] // on purpose: see the quote test below
    pub(crate) fn field(&mut self, out: &mut Vec<u8>, cell: &[u8]) {
        if self.fields > 0 {
            out.push(b',');
        }
        self.fields += 1;
        let cell = if self.formula_safe {
            neutralise(cell)
        } else {
            Cow::Borrowed(cell)
        };
        if !self.formula_safe
            && !cell
                .iter()
                .any(|&b| matches!(b, b',' | b'"' | b'\r' | b'\n'))
        {
            out.extend_from_slice(&cell);
            return;
        }
        out.push(b'"');
        // Nearly every cell has no quote: a plain loop over a cell's few bytes. (Not
        // `contains`, which for bytes is core's memchr: its set-up was 1.8% of a part
        // worker's time in wasm, profiled in Node.)
        if !cell.iter().any(|&b| b == b'"') {
            out.extend_from_slice(&cell);
            out.push(b'"');
            return;
        }
        let mut rest = &cell[..];
        while let Some(at) = memchr::memchr(b'"', rest) {
            out.extend_from_slice(&rest[..=at]);
            out.push(b'"');
            rest = &rest[at + 1..];
        }
        out.extend_from_slice(rest);
        out.push(b'"');
    }

    /// Ends the row (no line end is written).
    pub(crate) fn end(&mut self, out: &mut Vec<u8>) {
        if out.len() == self.start {
            // A row of one empty field: "" keeps it from reading as a blank line.
            out.extend_from_slice(b"\"\"");
        }
    }
}

/// OWASP CSV injection: a cell whose first character, after leading spaces, is
/// `=` `+` `-` `@` tab CR or LF (or their full-width forms) is prefixed with `'`, so
/// spreadsheets show it as text instead of evaluating it. Other cells are unchanged.
///
/// One exception, so that the cleaned list stays usable by diallers, SMS tools and CRMs:
/// an E.164 number, `+` and 1 to 15 digits and nothing else, is written as it is. It
/// cannot call a function or reach outside the sheet; a spreadsheet that evaluates it
/// gets the same digits as a number (without the `+`).
pub fn neutralise(cell: &[u8]) -> Cow<'_, [u8]> {
    if starts_formula(cell) && !is_e164(cell) {
        let mut safe = Vec::with_capacity(cell.len() + 1);
        safe.push(b'\'');
        safe.extend_from_slice(cell);
        Cow::Owned(safe)
    } else {
        Cow::Borrowed(cell)
    }
}

fn is_e164(cell: &[u8]) -> bool {
    matches!(cell, [b'+', digits @ ..] if (1..=15).contains(&digits.len()) && digits.iter().all(u8::is_ascii_digit))
}

fn starts_formula(cell: &[u8]) -> bool {
    if matches!(cell.first(), Some(b'\t' | b'\r' | b'\n')) {
        return true;
    }
    let mut rest = cell;
    loop {
        rest = match rest {
            [b' ', tail @ ..] => tail,
            [0xc2, 0xa0, tail @ ..] => tail,       // no-break space
            [0xe3, 0x80, 0x80, tail @ ..] => tail, // ideographic space
            _ => break,
        };
    }
    matches!(
        rest,
        [b'=' | b'+' | b'-' | b'@' | b'\t' | b'\r' | b'\n', ..]
            | [0xef, 0xbc, 0x9d | 0x8b | 0x8d | 0xa0, ..] // full-width = + - @
    )
}

/// `n` in decimal, written into `buf` (no allocation, no `fmt`: once a row or more).
/// Eight digits at a time are split off with one 64-bit division and written with 32-bit
/// arithmetic: in wasm a 64-bit division by 10 is a division instruction, not the
/// multiply it is natively, and a digit each cost 2.7% of a part worker's time (Node
/// profile, the bench list: a 12-digit E.164 number a row).
pub(crate) fn decimal(mut n: u64, buf: &mut [u8; 20]) -> &[u8] {
    let mut start = buf.len();
    while n >= 100_000_000 {
        let mut low = (n % 100_000_000) as u32;
        n /= 100_000_000;
        for _ in 0..8 {
            start -= 1;
            buf[start] = b'0' + (low % 10) as u8;
            low /= 10;
        }
    }
    let mut low = n as u32;
    loop {
        start -= 1;
        buf[start] = b'0' + (low % 10) as u8;
        low /= 10;
        if low == 0 {
            return &buf[start..];
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_numbers_are_written_in_decimal() {
        let mut next = crate::xorshift(0x9e37_79b9_7f4a_7c15);
        let mut cases = vec![0, 7, 10, 99, 100, 123_456, u64::MAX, u64::MAX - 1];
        // Every power of ten and its neighbours, and random values of every length.
        for k in 0..20 {
            let p = 10u64.pow(k);
            cases.extend([p - 1, p, p + 1, p.saturating_mul(10) - 1]);
        }
        cases.extend((0..2_000).map(|_| next() >> (next() % 64)));
        for n in cases {
            let mut buf = [0u8; 20];
            assert_eq!(decimal(n, &mut buf), n.to_string().as_bytes());
        }
    }

    fn safe(cell: &str) -> String {
        String::from_utf8(neutralise(cell.as_bytes()).into_owned()).unwrap()
    }

    #[test]
    fn owasp_examples_are_neutralised() {
        assert_eq!(safe("=1+2"), "'=1+2");
        assert_eq!(safe("+1+2"), "'+1+2");
        assert_eq!(safe("+44 121 294 1091"), "'+44 121 294 1091");
        assert_eq!(safe("+4412129410911234"), "'+4412129410911234");
        assert_eq!(safe(" +441212941091"), "' +441212941091");
        assert_eq!(safe("-2+3"), "'-2+3");
        assert_eq!(safe("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(safe("\t=1"), "'\t=1");
        assert_eq!(safe("\r=1"), "'\r=1");
        assert_eq!(safe("  =cmd|' /C calc'!A0"), "'  =cmd|' /C calc'!A0");
        assert_eq!(safe("\u{a0}=1"), "'\u{a0}=1");
        assert_eq!(safe("＝1"), "'＝1");
    }

    #[test]
    fn ordinary_cells_are_untouched() {
        for cell in [
            "Alice",
            "0121 294 1091",
            "a=b",
            "",
            "  x",
            "2025-01-01",
            "+441212941091",
            "+1",
        ] {
            assert_eq!(safe(cell), cell);
        }
    }

    #[test]
    fn row_writer_writes_what_the_csv_writer_writes() {
        let mut next = crate::xorshift(0xc5f);
        let alphabet: [&[u8]; 15] = [
            b"\t",
            "\u{3000}".as_bytes(),
            "\u{ff1d}".as_bytes(),
            b"a",
            b"1",
            b",",
            b"\"",
            b"\r",
            b"\n",
            b" ",
            b"=",
            b"+",
            b"-",
            b"@",
            "\u{a0}".as_bytes(),
        ];
        for formula_safe in [false, true] {
            let (mut reference, buf) = CsvOut::rows(formula_safe).unwrap();
            let mut writer = RowWriter::new(formula_safe);
            let (mut expected, mut got) = (Vec::new(), Vec::new());
            for _ in 0..20_000 {
                let fields = 1 + (next() % 4) as usize;
                writer.begin(&got);
                for _ in 0..fields {
                    let len = (next() % 6) as usize;
                    let cell: Vec<u8> = (0..len)
                        .flat_map(|_| alphabet[(next() % 15) as usize].iter().copied())
                        .collect();
                    reference.field(&cell).unwrap();
                    writer.field(&mut got, &cell);
                }
                reference.end_row().unwrap();
                reference.take_row_into(&buf, &mut expected).unwrap();
                writer.end(&mut got);
                expected.push(b'|');
                got.push(b'|');
            }
            assert_eq!(
                String::from_utf8_lossy(&got),
                String::from_utf8_lossy(&expected),
                "formula_safe {formula_safe}"
            );
            assert!(
                got.windows(4).any(|w| w == b"|\"\"|"),
                "a row of one empty field was written"
            );
        }
    }

    #[test]
    fn writer_quotes_everything_when_safe_and_writes_a_bom_on_request() {
        let mut out = CsvOut::new(Vec::new(), true, true).unwrap();
        out.field(b"=1").unwrap();
        out.field(b"x,y").unwrap();
        out.end_row().unwrap();
        let bytes = out.finish().unwrap();
        assert_eq!(bytes, b"\xef\xbb\xbf\"'=1\",\"x,y\"\n");

        let mut out = CsvOut::new(Vec::new(), false, false).unwrap();
        out.field(b"=1").unwrap();
        out.field(b"x,y").unwrap();
        out.end_row().unwrap();
        assert_eq!(out.finish().unwrap(), b"=1,\"x,y\"\n");
    }
}
