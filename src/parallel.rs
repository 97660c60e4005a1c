//! One list, several cores: the file is cut into parts at line starts, each part is read
//! and decided on its own (by a thread natively, by a worker in the browser), and the
//! parts are merged in file order, which is where dedupe happens. The result is the
//! same, byte for byte, as reading the list row by row.
//!
//! How a cut stays exact: a cut falls after a line end, and a line end inside a quoted
//! field is not a record end. So each part but the last is read with a sentinel record
//! after it ([`crate::input::open_part`]); it reads as a record of its own only when the
//! part ended between records. A part whose sentinel was swallowed by an open quoted
//! field says so, and the rest of the file is then read in one piece from that part's
//! start (rare: it takes a field with line breaks across a cut).
//!
//! Parallel reads apply to UTF-8 text files (the common case); spreadsheets and
//! transcoded text are read row by row.

use std::io::{self, Read, Write};

use crate::error::{Error, Result};
use crate::input::{self, Sniffed};
use crate::report::Report;
use crate::scrub::{self, Merger, Phase, Plan, Progress, ScanPart, ScrubPart, Scrubber};

/// The size a part is cut at (the cut then moves to the next line end).
pub const PART_BYTES: u64 = 4 << 20;

/// Random access to an input: a file, bytes in memory, a `Blob`.
pub trait ReadAt {
    /// The input's size in bytes.
    fn size(&self) -> u64;
    /// Reads up to `buf.len()` bytes at `offset`; fewer only at the end.
    fn read_at(&self, offset: u64, buf: &mut [u8]) -> io::Result<usize>;
}

impl ReadAt for [u8] {
    fn size(&self) -> u64 {
        self.len() as u64
    }

    fn read_at(&self, offset: u64, buf: &mut [u8]) -> io::Result<usize> {
        let start = (offset as usize).min(self.len());
        let n = buf.len().min(self.len() - start);
        buf[..n].copy_from_slice(&self[start..start + n]);
        Ok(n)
    }
}

#[cfg(unix)]
impl ReadAt for std::fs::File {
    fn size(&self) -> u64 {
        self.metadata().map_or(0, |m| m.len())
    }

    fn read_at(&self, offset: u64, buf: &mut [u8]) -> io::Result<usize> {
        let mut done = 0;
        while done < buf.len() {
            match std::os::unix::fs::FileExt::read_at(self, &mut buf[done..], offset + done as u64)
            {
                Ok(0) => break,
                Ok(n) => done += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        Ok(done)
    }
}

#[cfg(windows)]
impl ReadAt for std::fs::File {
    fn size(&self) -> u64 {
        self.metadata().map_or(0, |m| m.len())
    }

    fn read_at(&self, offset: u64, buf: &mut [u8]) -> io::Result<usize> {
        let mut done = 0;
        while done < buf.len() {
            match std::os::windows::fs::FileExt::seek_read(
                self,
                &mut buf[done..],
                offset + done as u64,
            ) {
                Ok(0) => break,
                Ok(n) => done += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        Ok(done)
    }
}

/// Reads `start..end` of `src`.
pub fn read_range(src: &(impl ReadAt + ?Sized), start: u64, end: u64) -> io::Result<Vec<u8>> {
    let mut bytes = vec![0; end.saturating_sub(start) as usize];
    let n = src.read_at(start, &mut bytes)?;
    bytes.truncate(n);
    Ok(bytes)
}

/// A sequential reader over `start..` of a [`ReadAt`].
pub struct RangeReader<'a, S: ReadAt + ?Sized> {
    src: &'a S,
    offset: u64,
}

impl<'a, S: ReadAt + ?Sized> RangeReader<'a, S> {
    /// Reads from `offset` to the end.
    pub fn new(src: &'a S, offset: u64) -> Self {
        RangeReader { src, offset }
    }
}

impl<S: ReadAt + ?Sized> Read for RangeReader<'_, S> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.src.read_at(self.offset, buf)?;
        self.offset += n as u64;
        Ok(n)
    }
}

/// How a file is cut: what its start said, and the parts' byte ranges.
#[derive(Clone, Debug)]
pub struct Layout {
    /// Encoding (UTF-8), delimiter and BOM, as sniffed from the start.
    pub sniffed: Sniffed,
    /// The header row's names.
    pub headers: Vec<String>,
    /// Line ends before the first data row.
    pub header_lines: u64,
    /// The parts, in file order: each starts at a line start; together they cover the
    /// data rows to the end of the file.
    pub parts: Vec<(u64, u64)>,
}

/// The offset after the first LF at or after `from`: where a part starts. `None` when
/// there is none in the next [`input::MAX_LINE_BYTES`] (a line that long is an error
/// anyway) or before the end.
fn line_start_after(src: &(impl ReadAt + ?Sized), from: u64) -> io::Result<Option<u64>> {
    let mut window = vec![0; 64 << 10];
    let mut at = from;
    while at < src.size() && at - from <= input::MAX_LINE_BYTES {
        let n = src.read_at(at, &mut window)?;
        if n == 0 {
            break;
        }
        if let Some(i) = window[..n].iter().position(|&b| b == b'\n') {
            return Ok(Some(at + i as u64 + 1));
        }
        at += n as u64;
    }
    Ok(None)
}

/// Cuts `src` into parts of about `part_bytes`, or returns `None` when it is to be read
/// row by row: not UTF-8 text, no LF line ends, a header that does not fit in the
/// sniffed start, fewer than two parts' worth of data, or anything the row-by-row read
/// should report (it reads the start again and says what is wrong).
pub fn layout(
    scrubber: &Scrubber,
    src: &(impl ReadAt + ?Sized),
    part_bytes: u64,
) -> io::Result<Option<Layout>> {
    let size = src.size();
    let head = read_range(src, 0, size.min(input::SNIFF_BYTES as u64))?;
    let Ok((mut source, plan)) = scrubber.open_source(&head[..]) else {
        return Ok(None);
    };
    let Some(mut data_start) = source.data_start() else {
        return Ok(None);
    };
    // The header must have ended inside the sample, on a line end.
    let header_end = data_start as usize;
    if header_end == 0 || header_end > head.len() {
        return Ok(None);
    }
    match head[header_end - 1] {
        b'\n' => {}
        b'\r' => match head.get(header_end) {
            Some(b'\n') => data_start += 1,
            Some(_) => {}
            None => return Ok(None),
        },
        _ => return Ok(None),
    }
    if !head.contains(&b'\n') || size.saturating_sub(data_start) < 2 * part_bytes.max(1) {
        return Ok(None);
    }
    let header_lines = input::count_line_ends(&head[..data_start as usize]);
    let mut parts = Vec::new();
    let mut start = data_start;
    let mut cut = data_start + part_bytes;
    while start < size {
        let end = if cut >= size {
            size
        } else {
            line_start_after(src, cut)?.unwrap_or(size).max(start)
        };
        parts.push((start, end));
        start = end;
        cut = cut.max(end) + part_bytes;
    }
    Ok(Some(Layout {
        sniffed: source.sniffed.clone(),
        headers: plan.headers().to_vec(),
        header_lines,
        parts,
    }))
}

/// One part's job: its index, and whether it runs to the end of the file.
fn part_job(layout: &Layout, i: usize) -> ((u64, u64), bool) {
    (layout.parts[i], i + 1 == layout.parts.len())
}

impl Scrubber {
    /// [`Scrubber::run`] on up to `threads` cores for an input with random access (a
    /// file): the same outputs and report, byte for byte. Falls back to the row-by-row
    /// read where parts do not apply (see [`layout`]).
    pub fn run_parallel<S: ReadAt + Sync + ?Sized>(
        &mut self,
        src: &S,
        threads: usize,
        cleaned: &mut dyn Write,
        removed: &mut dyn Write,
        progress: &mut dyn FnMut(Progress),
    ) -> Result<Report> {
        self.run_parallel_parts(src, threads, PART_BYTES, cleaned, removed, progress)
    }

    /// [`Scrubber::run_parallel`] with parts of `part_bytes` (tests use tiny ones).
    pub fn run_parallel_parts<S: ReadAt + Sync + ?Sized>(
        &mut self,
        src: &S,
        threads: usize,
        part_bytes: u64,
        cleaned: &mut dyn Write,
        removed: &mut dyn Write,
        progress: &mut dyn FnMut(Progress),
    ) -> Result<Report> {
        let layout = match layout(self, src, part_bytes)? {
            Some(layout) if threads > 1 && self.parallel_applies() => layout,
            _ => {
                return self.run(
                    &mut || Ok(RangeReader::new(src, 0)),
                    cleaned,
                    removed,
                    progress,
                )
            }
        };
        let plan = self.plan(layout.headers.clone())?;
        let two_passes = self.needs_two_passes();
        if two_passes {
            let mut rows = 0;
            let mut refusals = Vec::new();
            let stopped = in_parallel(
                src,
                &layout,
                threads,
                &|bytes, last| scrub::scan_part(self, &plan, &layout.sniffed, bytes, last),
                &mut |i, part: ScanPart, _lines| {
                    if !part.complete {
                        return Ok(false);
                    }
                    rows += part.rows;
                    refusals.push(part);
                    progress(Progress {
                        phase: Phase::Scan,
                        two_passes,
                        rows,
                        bytes: layout.parts[i].1,
                    });
                    Ok(true)
                },
                layout.header_lines,
            )?;
            for part in &refusals {
                self.note_refusals(part);
            }
            if let Some((i, lines)) = stopped {
                let rest = self
                    .scan_rest(src, &layout, &plan, i)
                    .map_err(|e| e.shifted(lines))?;
                self.note_refusals(&rest);
            }
        }
        let mut hash = Sha256Reader::default();
        hash.feed(src, 0, layout.parts[0].0)?;
        let this = &*self;
        let mut merger = this.merger(&plan, cleaned, removed)?;
        let stopped = in_parallel(
            src,
            &layout,
            threads,
            &|bytes, last| scrub::scrub_part(this, &plan, &layout.sniffed, bytes, last),
            &mut |i, part: ScrubPart, lines| {
                if !part.complete {
                    return Ok(false);
                }
                merger.merge(&part, lines)?;
                hash.feed(src, layout.parts[i].0, layout.parts[i].1)?;
                progress(Progress {
                    phase: Phase::Scrub,
                    two_passes,
                    rows: merger.rows_read,
                    bytes: layout.parts[i].1,
                });
                Ok(true)
            },
            layout.header_lines,
        )?;
        if let Some((i, lines)) = stopped {
            // The rest in one piece, merged a batch at a time.
            let start = layout.parts[i].0;
            this.scrub_rest(src, &layout, &plan, start, &mut merger, lines)
                .map_err(|e| e.shifted(lines))?;
            hash.feed(src, start, src.size())?;
            progress(Progress {
                phase: Phase::Scrub,
                two_passes,
                rows: merger.rows_read,
                bytes: src.size(),
            });
        }
        let sha = hash.hex();
        self.finish_scrub(&plan, &layout.sniffed, merger, src.size(), sha)
    }

    /// True when the job can be cut into parts: CSV out (a workbook is written whole).
    fn parallel_applies(&self) -> bool {
        self.policy.output.format == crate::policy::OutputFormat::Csv
    }

    fn scan_rest<S: ReadAt + ?Sized>(
        &self,
        src: &S,
        layout: &Layout,
        plan: &Plan,
        i: usize,
    ) -> Result<ScanPart> {
        let start = layout.parts[i].0;
        scrub::scan_part_reader(self, plan, &layout.sniffed, RangeReader::new(src, start))
    }

    fn scrub_rest<S: ReadAt + ?Sized>(
        &self,
        src: &S,
        layout: &Layout,
        plan: &Plan,
        start: u64,
        merger: &mut Merger<'_>,
        lines: u64,
    ) -> Result<()> {
        scrub::scrub_rest_reader(
            self,
            plan,
            &layout.sniffed,
            RangeReader::new(src, start),
            merger,
            lines,
        )
    }
}

/// Runs `work` on every part on `threads` threads and hands the results to `merge` in
/// file order, at most `2 * threads` parts ahead of the merge. `merge` returns false
/// for a part that ended inside a record: the parts from it on are dropped, and its
/// index and the line ends before it returned. `merge` gets the line ends before each
/// part (`first_lines` before the first). An error in a part is returned with its line counted from the file's
/// start.
fn in_parallel<S, T, W, M>(
    src: &S,
    layout: &Layout,
    threads: usize,
    work: &W,
    merge: &mut M,
    first_lines: u64,
) -> Result<Option<(usize, u64)>>
where
    S: ReadAt + Sync + ?Sized,
    T: Send + PartLines,
    W: Fn(&[u8], bool) -> Result<T> + Sync,
    M: FnMut(usize, T, u64) -> Result<bool>,
{
    use std::collections::BTreeMap;
    use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
    use std::sync::{mpsc, Condvar, Mutex};

    let count = layout.parts.len();
    let window = 2 * threads;
    let next = AtomicUsize::new(0);
    let stop = AtomicBool::new(false);
    let merged = (Mutex::new(0usize), Condvar::new());
    let (tx, rx) = mpsc::channel::<(usize, Result<T>)>();
    std::thread::scope(|scope| {
        for _ in 0..threads {
            let tx = tx.clone();
            let (next, stop, merged) = (&next, &stop, &merged);
            scope.spawn(move || loop {
                let i = next.fetch_add(1, Ordering::SeqCst);
                if i >= count || stop.load(Ordering::SeqCst) {
                    return;
                }
                {
                    let mut done = merged.0.lock().expect("no thread panics holding it");
                    while i >= *done + window && !stop.load(Ordering::SeqCst) {
                        done = merged.1.wait(done).expect("no thread panics holding it");
                    }
                }
                if stop.load(Ordering::SeqCst) {
                    return;
                }
                let ((start, end), last) = part_job(layout, i);
                let result = read_range(src, start, end)
                    .map_err(Error::from)
                    .and_then(|bytes| work(&bytes, last));
                if tx.send((i, result)).is_err() {
                    return;
                }
            });
        }
        drop(tx);
        let finish = |stop: &AtomicBool| {
            stop.store(true, Ordering::SeqCst);
            merged.1.notify_all();
        };
        let mut pending = BTreeMap::new();
        let mut lines = first_lines;
        for i in 0..count {
            let result = loop {
                if let Some(result) = pending.remove(&i) {
                    break result;
                }
                match rx.recv() {
                    Ok((j, result)) => {
                        pending.insert(j, result);
                    }
                    Err(_) => unreachable!("a part's thread ended without sending it"),
                }
            };
            let part = match result {
                Ok(part) => part,
                Err(err) => {
                    finish(&stop);
                    return Err(err.shifted(lines));
                }
            };
            let part_lines = part.lines();
            match merge(i, part, lines) {
                Ok(true) => {}
                Ok(false) => {
                    finish(&stop);
                    return Ok(Some((i, lines)));
                }
                Err(err) => {
                    finish(&stop);
                    return Err(err);
                }
            }
            lines += part_lines;
            *merged.0.lock().expect("no thread panics holding it") = i + 1;
            merged.1.notify_all();
        }
        Ok(None)
    })
}

/// The line ends in a part, to count lines across parts.
trait PartLines {
    fn lines(&self) -> u64;
}

impl PartLines for ScanPart {
    fn lines(&self) -> u64 {
        self.lines
    }
}

impl PartLines for ScrubPart {
    fn lines(&self) -> u64 {
        self.lines
    }
}

/// The report's SHA-256 of the input, fed in file order.
#[derive(Default)]
struct Sha256Reader(sha2::Sha256);

impl Sha256Reader {
    fn feed(&mut self, src: &(impl ReadAt + ?Sized), start: u64, end: u64) -> io::Result<()> {
        use sha2::Digest;
        let mut buf = vec![0; 1 << 20];
        let mut at = start;
        while at < end {
            let want = ((end - at) as usize).min(buf.len());
            let n = src.read_at(at, &mut buf[..want])?;
            if n == 0 {
                break;
            }
            self.0.update(&buf[..n]);
            at += n as u64;
        }
        Ok(())
    }

    fn hex(self) -> String {
        use sha2::Digest;
        self.0
            .finalize()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }
}
