//! The CSV record reader: the `csv` crate's reading rules (RFC 4180 quoting, `\n`, `\r\n`
//! and a lone `\r` all ending a record, blank lines skipped, a UTF-8 BOM at the very start
//! dropped), with a fast path for the lines nearly every contact list is made of.
//!
//! A line with no quote character in it is one record whose fields are the bytes between
//! its delimiters: its end is found with `memchr` (vectorised natively, a word at a time
//! in wasm), it is copied into the record once, and its delimiters are found eight bytes
//! at a time ([`split`]). Any other
//! line, and any line longer than the buffer, is read by `csv_core`, the `csv` crate's own
//! state machine, from the same buffer, so a quoted field may span lines and a record may
//! be any length without the buffer growing. [`Record`] keeps a record's bytes and its
//! fields' places, like `csv::ByteRecord`, which can only be filled a field at a time
//! from outside the `csv` crate (at about 46 instructions a field, more than reading it).
//! Callgrind, the first 100,000 rows of the benchmark's list read twice (the consent scan,
//! then the scrub): `csv::Reader` about 2,960 instructions a row, 22% of the scrub without
//! the input's SHA-256; this reader about 1,980.
//!
//! `tests` checks that it reads exactly what `csv::Reader` reads (records, fields,
//! positions) on generated inputs fed a few bytes at a time.

use std::io::{self, Read};

use csv::Position;
use csv_core::ReadRecordResult;

/// One record: its fields, where it starts in the stream, and its index (the header is
/// record 0).
#[derive(Clone, Debug, Default)]
pub struct Record {
    /// The fields' bytes; on a line read by the fast path, the line itself.
    bytes: Vec<u8>,
    /// Each field's start and end in `bytes`.
    bounds: Vec<(usize, usize)>,
    /// Every byte is ASCII, so every field is UTF-8 text (seen while the line is split).
    ascii: bool,
    byte: u64,
    index: u64,
}

impl Record {
    /// An empty record.
    pub fn new() -> Record {
        Record::default()
    }

    /// The number of fields.
    pub fn len(&self) -> usize {
        self.bounds.len()
    }

    /// True when the record has no fields.
    pub fn is_empty(&self) -> bool {
        self.bounds.is_empty()
    }

    /// Field `i`, if there is one.
    pub fn get(&self, i: usize) -> Option<&[u8]> {
        self.bounds
            .get(i)
            .map(|&(start, end)| &self.bytes[start..end])
    }

    /// Field `i` as text (an empty one if there is no field `i`), or `None` if it is not
    /// UTF-8. A record of ASCII bytes only (nearly every one) needs no check a field.
    pub fn text(&self, i: usize) -> Option<&str> {
        let bytes = self.get(i).unwrap_or(b"");
        if self.ascii {
            // SAFETY: `ascii` is set only when every byte is ASCII (see `read_raw` and
            // `read_core`), and ASCII is UTF-8.
            Some(unsafe { std::str::from_utf8_unchecked(bytes) })
        } else {
            std::str::from_utf8(bytes).ok()
        }
    }

    /// The fields in order.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = &[u8]> + '_ {
        self.bounds
            .iter()
            .map(|&(start, end)| &self.bytes[start..end])
    }

    /// The bytes the fields are kept in: at least their total length, at most their
    /// line's (a cheap bound for the field-size limit).
    pub fn stored_len(&self) -> usize {
        self.bytes.len()
    }

    /// The byte offset in the stream where the record starts.
    pub fn byte(&self) -> u64 {
        self.byte
    }

    /// The record's index in the stream (the header, if any, is 0).
    pub fn index(&self) -> u64 {
        self.index
    }

    fn clear(&mut self) {
        self.bytes.clear();
        self.bounds.clear();
        self.ascii = false;
    }
}

impl std::ops::Index<usize> for Record {
    type Output = [u8];

    fn index(&self, i: usize) -> &[u8] {
        self.get(i).expect("a field index within the record")
    }
}

/// Bytes read from the source at a time; a line longer than this goes to `csv_core`.
const BUFFER_BYTES: usize = 64 * 1024;

/// Reads CSV records from a byte stream (see the module's documentation). The methods
/// are those of `csv::Reader` the engine uses, with the same results.
pub struct Records<'a> {
    inner: Box<dyn Read + 'a>,
    /// Read-ahead: the bytes not yet consumed are `buf[start..end]`.
    buf: Box<[u8]>,
    start: usize,
    end: usize,
    /// The source gave its last byte.
    eof: bool,
    /// Nothing has been read yet.
    fresh: bool,
    delimiter: u8,
    /// For lines with quotes, and lines longer than the buffer.
    core: csv_core::Reader,
    ends: Vec<usize>,
    has_headers: bool,
    headers: Option<Record>,
    /// Without headers: the first record, read as the headers, is still to be returned.
    replay_first: bool,
    /// Bytes consumed and records read (the header counts).
    pos: Position,
}

impl<'a> Records<'a> {
    /// A reader of `delimiter`-separated records from `inner`. With `has_headers`, the
    /// first record is the header: [`Records::byte_headers`] gives it and
    /// [`Records::read_byte_record`] starts after it.
    pub fn new(inner: Box<dyn Read + 'a>, delimiter: u8, has_headers: bool) -> Records<'a> {
        let mut core = csv_core::ReaderBuilder::new().delimiter(delimiter).build();
        // csv_core drops a UTF-8 BOM at the start of its first input, which here may be any
        // record's (`read_raw` drops the stream's own). A blank line marks csv_core as
        // started and leaves it at a record start, as it is between records.
        core.read_record(b"\n", &mut [0; 1], &mut [0; 1]);
        Records {
            inner,
            buf: vec![0; BUFFER_BYTES].into_boxed_slice(),
            start: 0,
            end: 0,
            eof: false,
            fresh: true,
            delimiter,
            core,
            ends: vec![0; 64],
            has_headers,
            headers: None,
            replay_first: false,
            pos: Position::new(),
        }
    }

    /// The first record: the header (read now if no record has been read yet). An empty
    /// input has an empty header.
    pub fn byte_headers(&mut self) -> csv::Result<&Record> {
        let headers = match self.headers.take() {
            Some(headers) => headers,
            None => {
                let mut record = Record::new();
                self.read_raw(&mut record)?;
                self.replay_first = !self.has_headers;
                record
            }
        };
        Ok(self.headers.insert(headers))
    }

    /// Reads the next data record into `record`: false at the end of the input.
    pub fn read_byte_record(&mut self, record: &mut Record) -> csv::Result<bool> {
        match &self.headers {
            None => {
                let mut first = Record::new();
                let read = self.read_raw(&mut first)?;
                if !self.has_headers {
                    record.clone_from(&first);
                    self.headers = Some(first);
                    return Ok(read);
                }
                self.headers = Some(first);
            }
            Some(headers) if self.replay_first => {
                self.replay_first = false;
                record.clone_from(headers);
                return Ok(!record.is_empty());
            }
            Some(_) => {}
        }
        Ok(self.read_raw(record)?)
    }

    /// Where the reader is: the bytes consumed (up to the end of the last record's line
    /// end) and the records read. Lines are not counted ([`crate::input::Source::line_of`]
    /// does).
    pub fn position(&self) -> &Position {
        &self.pos
    }

    fn consume(&mut self, n: usize) {
        self.start += n;
        let byte = self.pos.byte();
        self.pos.set_byte(byte + n as u64);
    }

    /// Reads more of the source after the unconsumed bytes, moving them to the front of
    /// the buffer first. False when nothing more was read: the source is at its end, or
    /// the buffer is full.
    fn fill(&mut self) -> io::Result<bool> {
        if self.eof {
            return Ok(false);
        }
        if self.start > 0 {
            self.buf.copy_within(self.start..self.end, 0);
            self.end -= self.start;
            self.start = 0;
        }
        if self.end == self.buf.len() {
            return Ok(false);
        }
        loop {
            match self.inner.read(&mut self.buf[self.end..]) {
                Ok(0) => {
                    self.eof = true;
                    return Ok(false);
                }
                Ok(n) => {
                    self.end += n;
                    return Ok(true);
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
    }

    /// Reads the next record, header or not.
    fn read_raw(&mut self, record: &mut Record) -> io::Result<bool> {
        record.clear();
        if self.fresh {
            // As csv::Reader: a UTF-8 BOM at the very start is not data.
            self.fresh = false;
            while self.end - self.start < 3 && self.fill()? {}
            if self.buf[self.start..self.end].starts_with(b"\xef\xbb\xbf") {
                self.consume(3);
            }
        }
        // Blank lines between records are skipped.
        loop {
            if self.start == self.end && !self.fill()? {
                return Ok(false);
            }
            match self.buf[self.start] {
                b'\n' | b'\r' => self.consume(1),
                _ => break,
            }
        }
        record.byte = self.pos.byte();
        record.index = self.pos.record();
        self.pos.set_record(record.index + 1);
        loop {
            let data = &self.buf[self.start..self.end];
            let (line, term) = match memchr::memchr2(b'\n', b'\r', data) {
                // A CR is only known not to begin a CRLF once the next byte is read.
                Some(n) if data[n] == b'\n' || n + 1 < data.len() || self.eof => {
                    let term = if data[n] == b'\r' && data.get(n + 1) == Some(&b'\n') {
                        2
                    } else {
                        1
                    };
                    (n, term)
                }
                None if self.eof => (data.len(), 0),
                _ => {
                    if self.fill()? || self.eof {
                        continue;
                    }
                    // The buffer is full and holds no whole line: csv_core reads it.
                    return self.read_core(record);
                }
            };
            let line_bytes = &data[..line];
            let Some(ascii) = split(line_bytes, self.delimiter, &mut record.bounds) else {
                record.bounds.clear();
                return self.read_core(record);
            };
            // Checking a non-ASCII line whole cost more (callgrind) than checking the
            // few fields the engine reads of it, as `text` does.
            record.ascii = ascii;
            record.bytes.extend_from_slice(line_bytes);
            self.consume(line + term);
            return Ok(true);
        }
    }

    /// Reads the record that starts at the buffer's start with csv_core.
    fn read_core(&mut self, record: &mut Record) -> io::Result<bool> {
        let (mut nout, mut nend) = (0, 0);
        let out = &mut record.bytes;
        out.resize(256, 0);
        loop {
            let (result, nin, o, e) = self.core.read_record(
                &self.buf[self.start..self.end],
                &mut out[nout..],
                &mut self.ends[nend..],
            );
            self.consume(nin);
            nout += o;
            nend += e;
            match result {
                ReadRecordResult::InputEmpty => {
                    // csv_core reads all it is given: the buffer is empty.
                    self.fill()?;
                }
                ReadRecordResult::OutputFull => {
                    let len = out.len();
                    out.resize(len * 2, 0);
                }
                ReadRecordResult::OutputEndsFull => {
                    let len = self.ends.len();
                    self.ends.resize(len * 2, 0);
                }
                ReadRecordResult::Record => break,
                ReadRecordResult::End => {
                    out.clear();
                    return Ok(false);
                }
            }
        }
        out.truncate(nout);
        record.ascii = out.is_ascii();
        // The LF of a CRLF that ended the record belongs to it.
        if self.start > 0 && self.buf[self.start - 1] == b'\r' {
            if self.start == self.end {
                self.fill()?;
            }
            if self.start < self.end && self.buf[self.start] == b'\n' {
                self.consume(1);
            }
        }
        let mut field = 0;
        for &end in &self.ends[..nend] {
            record.bounds.push((field, end));
            field = end;
        }
        Ok(true)
    }
}

/// Notes the places of `line`'s fields, split at `delimiter`, in `bounds`, and gives
/// whether every byte of `line` is ASCII: `None` (and `bounds` partly filled) if the line
/// has a quote character.
///
/// Eight bytes at a time: a delimiter or quote byte becomes a zero byte under XOR, and
/// [`zero_bytes`] marks exactly those (64-bit words are native in wasm too). A
/// byte-at-a-time loop was about 1,000 instructions a row of the benchmark's list. The
/// words are ORed together on the way: a high bit left in the result is a non-ASCII byte.
fn split(line: &[u8], delimiter: u8, bounds: &mut Vec<(usize, usize)>) -> Option<bool> {
    const ONES: u64 = 0x0101_0101_0101_0101;
    let (delimiters, quotes) = (ONES * u64::from(delimiter), ONES * u64::from(b'"'));
    let mut field = 0;
    let mut chunks = line.chunks_exact(8);
    let mut at = 0;
    let mut high = 0u64;
    for chunk in &mut chunks {
        let word = u64::from_le_bytes(chunk.try_into().expect("8 bytes"));
        high |= word;
        if zero_bytes(word ^ quotes) != 0 {
            return None;
        }
        let mut hits = zero_bytes(word ^ delimiters);
        while hits != 0 {
            let end = at + (hits.trailing_zeros() / 8) as usize;
            bounds.push((field, end));
            field = end + 1;
            hits &= hits - 1;
        }
        at += 8;
    }
    for (i, &b) in chunks.remainder().iter().enumerate() {
        high |= u64::from(b);
        if b == delimiter {
            bounds.push((field, at + i));
            field = at + i + 1;
        } else if b == b'"' {
            return None;
        }
    }
    bounds.push((field, line.len()));
    Some(high & (ONES * 0x80) == 0)
}

/// 0x80 in each byte of `word` that is zero, and 0 in every other byte (no false
/// positives from borrows, unlike the shorter `(w - 0x01..) & !w & 0x80..`).
#[inline(always)]
fn zero_bytes(word: u64) -> u64 {
    const LOW7: u64 = 0x7f7f_7f7f_7f7f_7f7f;
    !(((word & LOW7).wrapping_add(LOW7)) | word | LOW7)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Gives its bytes `step` bytes, then 1, 2, ... `step` at a time, so lines fall across
    /// reads. (csv::Reader drops a leading BOM only if its first read has all 3 bytes.)
    struct Trickle<'a>(&'a [u8], usize, usize);

    impl Read for Trickle<'_> {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            self.1 = self.1 % self.2 + 1;
            let n = self.1.min(self.0.len()).min(buf.len());
            buf[..n].copy_from_slice(&self.0[..n]);
            self.0 = &self.0[n..];
            Ok(n)
        }
    }

    /// Records (fields), their indices, the records read, the header, and where the
    /// header ended.
    type Got = (Vec<Vec<Vec<u8>>>, Vec<u64>, u64, Vec<Vec<u8>>, u64);

    /// What `csv::Reader` reads: the records' fields and start positions, its position
    /// at the end, and the header.
    fn by_csv(input: &[u8], delimiter: u8, headers: bool, step: usize) -> Got {
        let mut reader = csv::ReaderBuilder::new()
            .delimiter(delimiter)
            .has_headers(headers)
            .flexible(true)
            .from_reader(Trickle(input, step - 1, step));
        let header = reader
            .byte_headers()
            .unwrap()
            .iter()
            .map(<[u8]>::to_vec)
            .collect();
        let header_end = reader.position().byte();
        let mut record = csv::ByteRecord::new();
        let (mut rows, mut starts) = (Vec::new(), Vec::new());
        while reader.read_byte_record(&mut record).unwrap() {
            rows.push(record.iter().map(<[u8]>::to_vec).collect());
            starts.push(record.position().unwrap().record());
        }
        (rows, starts, reader.position().record(), header, header_end)
    }

    fn by_records(input: &[u8], delimiter: u8, headers: bool, step: usize) -> Got {
        let mut reader = Records::new(Box::new(Trickle(input, step - 1, step)), delimiter, headers);
        let header = reader
            .byte_headers()
            .unwrap()
            .iter()
            .map(<[u8]>::to_vec)
            .collect();
        let header_end = reader.position().byte();
        let mut record = Record::new();
        let (mut rows, mut starts) = (Vec::new(), Vec::new());
        let mut last = 0;
        while reader.read_byte_record(&mut record).unwrap() {
            rows.push(record.iter().map(<[u8]>::to_vec).collect());
            for i in 0..=record.len() {
                let bytes = record.get(i).unwrap_or(b"");
                // As bytes: a wrongly unchecked `str` must not reach `Debug`.
                let text = record.text(i).map(str::as_bytes);
                let expected = std::str::from_utf8(bytes).ok().map(str::as_bytes);
                assert_eq!(
                    text,
                    expected,
                    "field {i} of {:?}",
                    record.iter().collect::<Vec<_>>()
                );
            }
            let at = record.byte();
            assert!(at >= last, "record starts move forward");
            last = at;
            starts.push(record.index());
        }
        assert_eq!(reader.position().byte(), input.len() as u64, "all consumed");
        (rows, starts, reader.position().record(), header, header_end)
    }

    #[test]
    fn zero_bytes_marks_exactly_the_zero_bytes() {
        let mut next = crate::xorshift(0x2b);
        for _ in 0..20_000 {
            // Bytes drawn mostly from 0, 1 and 0x80 (where borrows and carries go wrong).
            let bytes: [u8; 8] = std::array::from_fn(|_| match next() % 5 {
                0 => 0,
                1 => 1,
                2 => 0x80,
                3 => 0xff,
                _ => next() as u8,
            });
            let expected: [u8; 8] = std::array::from_fn(|i| if bytes[i] == 0 { 0x80 } else { 0 });
            assert_eq!(
                zero_bytes(u64::from_le_bytes(bytes)),
                u64::from_le_bytes(expected),
                "{bytes:?}"
            );
        }
    }

    #[test]
    fn reads_what_the_csv_crate_reads() {
        let fixed: &[&[u8]] = &[
            b"",
            b"\n\n",
            b"a,b\n1,2\n",
            b"a,b\r\n1,2\r\n3,4",
            b"a,b\r1,2\r\r\n3,4\r",
            b"a,\"b\nc\",d\r\n\"x\"\"y\",z\n",
            b"\xef\xbb\xbfa,b\n\xef\xbb\xbf1,2\n",
            b"a;b,c;\"d;e\"\n",
            b"\"unterminated\n1,2\n",
            b"x,\"q\"tail,5'11\",\"\"\n,,\n",
            b"a\0b,\0phonescrub:end-of-part\0",
        ];
        let mut next = crate::xorshift(0x5eed);
        let alphabet: &[u8] = b"ab1,,;\"\n\r \t\0\xef";
        let mut inputs: Vec<Vec<u8>> = fixed.iter().map(|b| b.to_vec()).collect();
        for _ in 0..4000 {
            let len = (next() % 60) as usize;
            inputs.push(
                (0..len)
                    .map(|_| alphabet[(next() % alphabet.len() as u64) as usize])
                    .collect(),
            );
        }
        // Longer lines, so that the eight-byte steps of `split` see every place.
        let line_alphabet: &[u8] = b"ab1,,;;\" \t\0\xc3\xa9";
        for _ in 0..2000 {
            let len = (next() % 300) as usize;
            inputs.push(
                (0..len)
                    .map(|_| match next() % 40 {
                        0 => b'\n',
                        1 => b'\r',
                        _ => line_alphabet[(next() % line_alphabet.len() as u64) as usize],
                    })
                    .collect(),
            );
        }
        // Lines longer than the buffer, with and without quotes.
        let mut long = b"h1,h2\n".to_vec();
        long.extend(std::iter::repeat_n(b'x', BUFFER_BYTES + 10));
        long.extend_from_slice(b",y\r\n\"");
        long.extend(std::iter::repeat_n(b'z', 2 * BUFFER_BYTES));
        long.extend_from_slice(b"\",w\n1,2\n");
        inputs.push(long);
        for (i, input) in inputs.iter().enumerate() {
            for delimiter in [b',', b';'] {
                for headers in [false, true] {
                    let step = 1 + i % 7;
                    let mut expected = by_csv(input, delimiter, headers, step);
                    let got = by_records(input, delimiter, headers, step);
                    // The header's end: csv::Reader stops after the CR of a CRLF, this
                    // reader after its LF (what `Source::data_start` promises).
                    let at = expected.4 as usize;
                    if at > 0 && input[at - 1] == b'\r' && input.get(at) == Some(&b'\n') {
                        expected.4 += 1;
                    }
                    assert_eq!(
                        got,
                        expected,
                        "{:?}, delimiter {}, headers {headers}",
                        String::from_utf8_lossy(input),
                        delimiter as char
                    );
                }
            }
        }
    }
}
