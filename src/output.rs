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

/// Where [`CsvOut`] writes one row at a time for [`CsvOut::take_row_into`].
#[derive(Clone, Default)]
pub(crate) struct RowBuf(std::rc::Rc<std::cell::RefCell<Vec<u8>>>);

impl Write for RowBuf {
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        self.0.borrow_mut().extend_from_slice(data);
        Ok(data.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

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
pub(crate) fn decimal(mut n: u64, buf: &mut [u8; 20]) -> &[u8] {
    let mut start = buf.len();
    loop {
        start -= 1;
        buf[start] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            return &buf[start..];
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_numbers_are_written_in_decimal() {
        for n in [0, 7, 10, 99, 100, 123_456, u64::MAX] {
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
