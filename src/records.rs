//! The CSV record reader: the `csv` crate's reading rules (RFC 4180 quoting, `\n`, `\r\n`
//! and a lone `\r` all ending a record, blank lines skipped, a UTF-8 BOM at the very start
//! dropped), with a fast path for the lines nearly every contact list is made of.
//!
//! A line with no quote character in it is one record whose fields are the bytes between
//! its delimiters: its end and its delimiters are found in one pass, sixteen bytes at a
//! time (WebAssembly SIMD in the page, SSE2 natively: [`scan`]), and it is copied into
//! the record once. Any other
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
            let scan = scan(data, self.delimiter, &mut record.bounds);
            if scan.quote {
                record.bounds.clear();
                return self.read_core(record);
            }
            let (line, term) = match scan.end {
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
                    record.bounds.clear();
                    if self.fill()? || self.eof {
                        continue;
                    }
                    // The buffer is full and holds no whole line: csv_core reads it.
                    return self.read_core(record);
                }
            };
            // Checking a non-ASCII line whole cost more (callgrind) than checking the
            // few fields the engine reads of it, as `text` does.
            record.ascii = scan.ascii;
            record.bytes.extend_from_slice(&data[..line]);
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

/// What [`scan`] found at the start of a buffer.
struct Scan {
    /// Where the first line end (LF or CR) is, if there is one.
    end: Option<usize>,
    /// A quote character comes before it (or before the buffer's end): `csv_core` reads
    /// the record.
    quote: bool,
    /// Every byte before it is ASCII.
    ascii: bool,
}

/// Finds the end of the line that starts `data` and notes the places of its fields, split
/// at `delimiter`, in `bounds` (the last field's too when the line ends in `data`), in one
/// pass, sixteen bytes at a time ([`masks`]): the line ends, quotes, delimiters and
/// non-ASCII bytes of a block are four bit masks, and only the bits before the block's
/// first line end count. Stops at the first quote character (`bounds` then partly
/// filled). Until session 18 a line's end was found by `memchr2` and its delimiters in a
/// second pass eight bytes at a time.
fn scan(data: &[u8], delimiter: u8, bounds: &mut Vec<(usize, usize)>) -> Scan {
    let mut field = 0;
    let mut high = 0u32;
    let mut blocks = data.chunks_exact(16);
    let mut at = 0;
    for block in &mut blocks {
        let [mut delimiters, quotes, ends, highs] =
            masks(block.try_into().expect("16 bytes"), delimiter);
        // The bits before the first line end (all of them when there is none).
        let before = ends.wrapping_sub(1) & !ends;
        // (A delimiter is a delimiter even if it is the quote character, as csv_core has it.)
        if quotes & !delimiters & before != 0 {
            return Scan {
                end: None,
                quote: true,
                ascii: false,
            };
        }
        high |= highs & before;
        delimiters &= before;
        while delimiters != 0 {
            let end = at + delimiters.trailing_zeros() as usize;
            bounds.push((field, end));
            field = end + 1;
            delimiters &= delimiters - 1;
        }
        if ends != 0 {
            let end = at + ends.trailing_zeros() as usize;
            bounds.push((field, end));
            return Scan {
                end: Some(end),
                quote: false,
                ascii: high == 0,
            };
        }
        at += 16;
    }
    for (i, &b) in blocks.remainder().iter().enumerate() {
        if b == b'\n' || b == b'\r' {
            bounds.push((field, at + i));
            return Scan {
                end: Some(at + i),
                quote: false,
                ascii: high == 0,
            };
        } else if b == delimiter {
            bounds.push((field, at + i));
            field = at + i + 1;
        } else if b == b'"' {
            return Scan {
                end: None,
                quote: true,
                ascii: false,
            };
        } else {
            high |= u32::from(b >> 7);
        }
    }
    bounds.push((field, data.len()));
    Scan {
        end: None,
        quote: false,
        ascii: high == 0,
    }
}

/// Bit masks of a block's delimiters, quote characters, line ends (LF or CR) and bytes
/// over 0x7f: bit `i` for byte `i`. WebAssembly SIMD (the page's engine is built with it;
/// see .cargo/config.toml) and SSE2 (every x86-64 CPU has it) compare all sixteen bytes
/// at once; elsewhere a byte at a time.
#[inline(always)]
fn masks(block: &[u8; 16], delimiter: u8) -> [u32; 4] {
    #[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
    {
        use core::arch::wasm32::*;
        // SAFETY: reads the 16 bytes of `block`; v128_load has no alignment requirement.
        let v = unsafe { v128_load(block.as_ptr().cast::<v128>()) };
        let eq = |b: u8| u32::from(u8x16_bitmask(u8x16_eq(v, u8x16_splat(b))));
        let ends = u8x16_bitmask(v128_or(
            u8x16_eq(v, u8x16_splat(b'\n')),
            u8x16_eq(v, u8x16_splat(b'\r')),
        ));
        [
            eq(delimiter),
            eq(b'"'),
            u32::from(ends),
            u32::from(u8x16_bitmask(v)),
        ]
    }
    #[cfg(target_arch = "x86_64")]
    {
        use core::arch::x86_64::*;
        // SAFETY: SSE2 is part of x86-64; the load reads the 16 bytes of `block`, unaligned.
        unsafe {
            let v = _mm_loadu_si128(block.as_ptr().cast::<__m128i>());
            let eq = |b: u8| _mm_movemask_epi8(_mm_cmpeq_epi8(v, _mm_set1_epi8(b as i8))) as u32;
            let ends = _mm_or_si128(
                _mm_cmpeq_epi8(v, _mm_set1_epi8(b'\n' as i8)),
                _mm_cmpeq_epi8(v, _mm_set1_epi8(b'\r' as i8)),
            );
            [
                eq(delimiter),
                eq(b'"'),
                _mm_movemask_epi8(ends) as u32,
                _mm_movemask_epi8(v) as u32,
            ]
        }
    }
    #[cfg(not(any(
        all(target_arch = "wasm32", target_feature = "simd128"),
        target_arch = "x86_64"
    )))]
    {
        masks_bytewise(block, delimiter)
    }
}

/// [`masks`] a byte at a time (the reference it is tested against).
#[cfg_attr(
    any(
        all(target_arch = "wasm32", target_feature = "simd128"),
        target_arch = "x86_64"
    ),
    allow(dead_code)
)]
fn masks_bytewise(block: &[u8; 16], delimiter: u8) -> [u32; 4] {
    let mut masks = [0u32; 4];
    for (i, &b) in block.iter().enumerate() {
        masks[0] |= u32::from(b == delimiter) << i;
        masks[1] |= u32::from(b == b'"') << i;
        masks[2] |= u32::from(b == b'\n' || b == b'\r') << i;
        masks[3] |= u32::from(b >> 7) << i;
    }
    masks
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
    fn masks_are_the_bytewise_masks() {
        let mut next = crate::xorshift(0x2b);
        for _ in 0..20_000 {
            // Bytes drawn mostly from the ones that are marked, and 0x7f/0x80 (the ASCII
            // edge, where a signed compare goes wrong).
            let block: [u8; 16] = std::array::from_fn(|_| match next() % 8 {
                0 => b',',
                1 => b';',
                2 => b'"',
                3 => b'\n',
                4 => b'\r',
                5 => 0x7f,
                6 => 0x80,
                _ => next() as u8,
            });
            for delimiter in [b',', b';', b'\t', b'|'] {
                assert_eq!(
                    masks(&block, delimiter),
                    masks_bytewise(&block, delimiter),
                    "{block:?}"
                );
            }
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
        // Longer lines, so that the sixteen-byte steps of `scan` see every place.
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
