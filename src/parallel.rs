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
use std::sync::atomic::{AtomicUsize, Ordering};

use crate::error::{Error, Result};
use crate::input::{self, Sniffed};
use crate::report::Report;
use crate::scrub::{
    self, Ahead, DedupeAhead, Merger, PartRoom, Phase, Plan, Progress, ScanPart, ScrubPart,
    Scrubber,
};

/// The size a part is cut at (the cut then moves to the next line end).
pub const PART_BYTES: u64 = 4 << 20;

/// Lists up to this size are read once even when consent is checked: each part is
/// decided before any refusal is known, the decided parts are kept (about the size of
/// the list) until every part is in and the refusals are known, and then merged with the
/// opt-outs the refusals make ([`Coordinator::merge_refusals`]). Bigger lists are read
/// twice (a scan for the refusals, then the scrub), so that memory stays bounded by the
/// work, not the file.
pub const ONE_READ_MAX_BYTES: u64 = 128 << 20;

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
        self.run_parallel_parts(
            src,
            threads,
            PART_BYTES,
            ONE_READ_MAX_BYTES,
            cleaned,
            removed,
            progress,
        )
    }

    /// [`Scrubber::run_parallel`] with parts of `part_bytes`, read once when consent is
    /// checked only up to `one_read_max` bytes (tests use tiny parts, and both reads).
    #[allow(clippy::too_many_arguments)]
    pub fn run_parallel_parts<S: ReadAt + Sync + ?Sized>(
        &mut self,
        src: &S,
        threads: usize,
        part_bytes: u64,
        one_read_max: u64,
        cleaned: &mut dyn Write,
        removed: &mut dyn Write,
        progress: &mut dyn FnMut(Progress),
    ) -> Result<Report> {
        if threads < 2 || !self.parallel_applies() {
            return self.run(
                &mut || Ok(RangeReader::new(src, 0)),
                cleaned,
                removed,
                progress,
            );
        }
        let Some(layout) = layout(self, src, part_bytes)? else {
            return self.run(
                &mut || Ok(RangeReader::new(src, 0)),
                cleaned,
                removed,
                progress,
            );
        };
        let scrubber = std::mem::replace(self, Scrubber::new(self.policy.clone(), self.today)?);
        let mut job = Coordinator::with_layout(scrubber, layout)?;
        job.one_read_max = one_read_max;
        let result = job.run_on_threads(src, threads, cleaned, removed, progress);
        *self = job.scrubber;
        result
    }

    /// True when the job can be cut into parts: CSV out (a workbook is written whole).
    fn parallel_applies(&self) -> bool {
        self.policy.output.format == crate::policy::OutputFormat::Csv
    }
}

/// A job read in parts, seen from where the parts are merged: by the native threads'
/// caller, or the page's engine worker while other workers decide the parts (see
/// `www/worker.js`). Parts are merged in file order, scan first when consent is checked.
pub struct Coordinator {
    scrubber: Scrubber,
    layout: Layout,
    plan: Plan,
    merger: Option<Merger>,
    hash: Sha256Reader,
    /// Line ends before the next part to merge.
    lines: u64,
    rows_scanned: u64,
    /// Who works out the input's SHA-256: the merges (into `hash`), the caller
    /// ([`Coordinator::set_input_sha256`]) or the part workers
    /// ([`Coordinator::hash_start`]).
    hashing: Hashing,
    /// The biggest list read once when consent is checked ([`ONE_READ_MAX_BYTES`]).
    one_read_max: u64,
    /// Set by [`Coordinator::context_json`]: whether the parts' context had the opt-out
    /// lists' digests (see [`Coordinator::numbers_in_merge`]).
    parts_had_digests: bool,
    /// A list read once: its dedupe, worked out as the parts' refusals are merged
    /// ([`DedupeAhead`]), from part 0 on; none once a part ended inside a record (the rest
    /// of the list is then read in one piece and deduped as it is read).
    ahead: Option<DedupeAhead>,
}

impl Coordinator {
    /// A coordinator for `src`, or `None` when the job is to be read row by row (see
    /// [`layout`]; and a workbook output).
    pub fn new(scrubber: Scrubber, src: &(impl ReadAt + ?Sized)) -> Result<Option<Coordinator>> {
        if !scrubber.parallel_applies() {
            return Ok(None);
        }
        match layout(&scrubber, src, PART_BYTES)? {
            Some(layout) => Ok(Some(Coordinator::with_layout(scrubber, layout)?)),
            None => Ok(None),
        }
    }

    pub(crate) fn with_layout(scrubber: Scrubber, layout: Layout) -> Result<Coordinator> {
        let plan = scrubber.plan(layout.headers.clone())?;
        Ok(Coordinator {
            lines: layout.header_lines,
            scrubber,
            layout,
            plan,
            merger: None,
            hash: Sha256Reader::default(),
            rows_scanned: 0,
            hashing: Hashing::Merges,
            one_read_max: ONE_READ_MAX_BYTES,
            parts_had_digests: false,
            ahead: None,
        })
    }

    /// The parts' byte ranges, in file order.
    pub fn parts(&self) -> &[(u64, u64)] {
        &self.layout.parts
    }

    /// True when the parts are scanned first (consent is checked).
    pub fn two_passes(&self) -> bool {
        self.scrubber.needs_two_passes()
    }

    /// True when consent is checked but the list is small enough to be read once: the
    /// caller decides scrub parts, hands each to [`Coordinator::merge_refusals`] in
    /// order and keeps it, then (after [`Coordinator::start_scrub`]) merges the kept
    /// parts with [`Coordinator::merge_scrub`]. Else it scans the parts first
    /// ([`Coordinator::merge_scan`]) and then scrubs them with the refusals known.
    pub fn reads_once(&self) -> bool {
        let size = self.layout.parts.last().map_or(0, |p| p.1);
        self.two_passes() && size <= self.one_read_max
    }

    /// True when the parts are decided once, without the opt-out lists' numbers, and the
    /// merge checks every row's number against them (a set lookup a row): every job but
    /// one scanned first. The parts' context is then smaller, and lists added after it
    /// ([`Coordinator::add_opt_out_list`], before the first merge) still apply: the page
    /// starts the parts first and reads the lists while they run.
    pub fn numbers_in_merge(&self) -> bool {
        !self.two_passes() || self.reads_once()
    }

    /// Adds an opt-out list (see [`Scrubber::add_opt_out_list`]): before the parts'
    /// context, or after it when [`Coordinator::numbers_in_merge`], before the first
    /// merge of a scrub part.
    pub fn add_opt_out_list<R: io::Read>(&mut self, name: &str, list: R) -> Result<()> {
        self.scrubber.add_opt_out_list(name, list).map(|_| ())
    }

    /// What a part worker needs ([`PartEngine::new`]); again after the scan, which adds
    /// the refusals.
    pub fn context_json(&mut self) -> String {
        let numbers = !self.numbers_in_merge();
        self.parts_had_digests = self.scrubber.has_opt_out_digests();
        let context = self
            .scrubber
            .context(&self.layout.headers, &self.layout.sniffed, numbers);
        serde_json::to_string(&context).expect("plain data")
    }

    /// Progress after part `i` was merged.
    fn progress(&self, i: usize, phase: Phase) -> Progress {
        Progress {
            phase,
            two_passes: self.two_passes(),
            rows: match phase {
                Phase::Scan => self.rows_scanned,
                Phase::Scrub => self.merger.as_ref().map_or(0, |m| m.rows_read),
            },
            bytes: self.layout.parts[i].1,
        }
    }

    /// Merges scan part `i` (parts in order). False when the part ended inside a record:
    /// then [`Coordinator::scan_rest`] reads on from its start.
    pub fn merge_scan(&mut self, i: usize, part: Result<ScanPart>) -> Result<(bool, Progress)> {
        let part = part.map_err(|e| e.shifted(self.lines))?;
        if !part.complete {
            return Ok((false, self.progress(i, Phase::Scan)));
        }
        self.scrubber.note_refusals(&part);
        self.lines += part.lines;
        self.rows_scanned += part.rows;
        Ok((true, self.progress(i, Phase::Scan)))
    }

    /// Takes the refusals of scrub part `i` (parts in order), decided from the context
    /// given before any refusal was known: the scan of a list read once (see
    /// [`Coordinator::reads_once`]). Gives the part back to keep for
    /// [`Coordinator::merge_scrub`], which adds the opt-outs the refusals make; `None`
    /// when the part ended inside a record: then [`Coordinator::scan_rest`] reads on from
    /// its start, and after the kept parts are merged, [`Coordinator::scrub_rest`].
    pub fn merge_refusals(
        &mut self,
        i: usize,
        part: Result<ScrubPart>,
    ) -> Result<(Option<ScrubPart>, Progress)> {
        let part = part.map_err(|e| e.shifted(self.lines))?;
        if i == 0 {
            self.ahead = Some(DedupeAhead::default());
        }
        match &mut self.ahead {
            Some(ahead) if part.complete && ahead.parts() == i => {
                ahead.add(&part, self.layout.parts.len())
            }
            // Ended inside a record, or not in order (a caller's mistake): deduped as merged.
            _ => self.ahead = None,
        }
        if !part.complete {
            return Ok((None, self.progress(i, Phase::Scan)));
        }
        self.scrubber.note_row_refusals(&part);
        self.lines += part.lines;
        self.rows_scanned += part.rows.len() as u64;
        Ok((Some(part), self.progress(i, Phase::Scan)))
    }

    /// Scans from part `i`'s start to the end of the file in one piece.
    pub fn scan_rest(&mut self, src: &(impl ReadAt + ?Sized), i: usize) -> Result<()> {
        let reader = RangeReader::new(src, self.layout.parts[i].0);
        let part =
            scrub::scan_part_reader(&self.scrubber, &self.plan, &self.layout.sniffed, reader)
                .map_err(|e| e.shifted(self.lines))?;
        self.scrubber.note_refusals(&part);
        Ok(())
    }

    /// Gives the input's SHA-256 (lowercase hex; the page's, from the browser's own
    /// SHA-256 while the parts run) instead of having it worked out here. Before
    /// [`Coordinator::finish`]; given before the first merge (or after
    /// [`Coordinator::hash_later`]), no part is hashed here.
    pub fn set_input_sha256(&mut self, hex: String) -> Result<()> {
        if hex.len() != 64
            || !hex
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        {
            return Err(Error::policy(
                "the input's SHA-256 must be 64 lowercase hex digits",
            ));
        }
        self.hashing = Hashing::Given(hex);
        Ok(())
    }

    /// Says the caller will give the input's SHA-256 ([`Coordinator::set_input_sha256`])
    /// before [`Coordinator::finish`], so the merges do not hash the parts; without it by
    /// then, `finish` hashes the whole input.
    pub fn hash_later(&mut self) {
        self.hashing = Hashing::Later;
    }

    /// Starts the SHA-256 of the input to be worked out by the part workers, each part in
    /// the one that decides it ([`PartEngine::hash`]), in file order, the state carried
    /// from part to part: returns the state to hash part 0 from (the header rows hashed).
    /// The merges hash nothing from now on; the state after the last part goes to
    /// [`Coordinator::hash_end`]. Before the first merge.
    pub fn hash_start(&mut self, src: &(impl ReadAt + ?Sized)) -> io::Result<Vec<u8>> {
        let mut sha = ChainedSha256::default();
        let header = read_range(src, 0, self.layout.parts[0].0)?;
        sha.update(&header);
        self.hashing = Hashing::Chain(None);
        Ok(sha.to_bytes())
    }

    /// The state after the last part (see [`Coordinator::hash_start`]). False when it is
    /// not a state of the whole input (its length is not the input's): then, as when it
    /// never comes, [`Coordinator::finish`] hashes the whole input. False, and nothing
    /// changed, when the part workers were not asked to hash.
    pub fn hash_end(&mut self, src: &(impl ReadAt + ?Sized), state: &[u8]) -> bool {
        if !matches!(self.hashing, Hashing::Chain(_)) {
            return false;
        }
        match ChainedSha256::from_bytes(state) {
            Some(sha) if sha.len() == src.size() => {
                self.hashing = Hashing::Chain(Some(sha.hex()));
                true
            }
            _ => {
                self.hashing = Hashing::Whole;
                false
            }
        }
    }

    fn feed_hash(&mut self, src: &(impl ReadAt + ?Sized), start: u64, end: u64) -> io::Result<()> {
        match self.hashing {
            Hashing::Merges => self.hash.feed(src, start, end),
            Hashing::Given(_) | Hashing::Later | Hashing::Chain(_) | Hashing::Whole => Ok(()),
        }
    }

    /// Starts the scrub: the header rows, and the lines counted again from the top.
    pub fn start_scrub(
        &mut self,
        src: &(impl ReadAt + ?Sized),
        cleaned: &mut dyn Write,
        removed: &mut dyn Write,
    ) -> Result<()> {
        self.merger = Some(self.scrubber.merger(&self.plan, cleaned, removed)?);
        self.lines = self.layout.header_lines;
        if let Some(ahead) = &mut self.ahead {
            ahead.done();
        }
        self.feed_hash(src, 0, self.layout.parts[0].0)?;
        Ok(())
    }

    /// Merges scrub part `i` (parts in order) into the outputs. False when the part
    /// ended inside a record: then [`Coordinator::scrub_rest`] reads on from its start.
    pub fn merge_scrub(
        &mut self,
        src: &(impl ReadAt + ?Sized),
        i: usize,
        part: Result<ScrubPart>,
        cleaned: &mut dyn Write,
        removed: &mut dyn Write,
    ) -> Result<(bool, Progress)> {
        let (merged, progress) = self.merge_part(src, i, part, |merger, part, lines, ahead| {
            merger.merge_ahead(part, ahead, lines, cleaned, removed)
        })?;
        Ok((merged.is_some(), progress))
    }

    /// [`Coordinator::merge_scrub`] but for writing the rows: dedupe and every count here,
    /// in order, and the rows' final reasons returned (as bytes, with the line ends before
    /// the part) for [`PartEngine::write_part_bytes`] to write them in another worker, in
    /// parallel. `None` when the part ended inside a record (as `merge_scrub`'s false).
    pub fn merge_verdicts(
        &mut self,
        src: &(impl ReadAt + ?Sized),
        i: usize,
        part: Result<ScrubPart>,
    ) -> Result<(Option<Vec<u8>>, Progress)> {
        self.merge_part(src, i, part, |merger, part, lines, ahead| {
            Ok(wire::encode_verdicts(lines, &merger.verdicts(part, ahead)))
        })
    }

    /// What both merges of a scrub part share: its errors' lines shifted, the refusals
    /// applied (a list read once), `merge` given the part, the line ends before it and
    /// its dedupe worked out ahead (a list read once), the lines counted on and the input
    /// hashed. `None` for a part that ended inside a record.
    fn merge_part<T>(
        &mut self,
        src: &(impl ReadAt + ?Sized),
        i: usize,
        part: Result<ScrubPart>,
        merge: impl FnOnce(&mut Merger, &ScrubPart, u64, Option<&[Ahead]>) -> Result<T>,
    ) -> Result<(Option<T>, Progress)> {
        let mut part = part.map_err(|e| e.shifted(self.lines))?;
        if !part.complete {
            return Ok((None, self.progress(i, Phase::Scrub)));
        }
        // Decided without the lists' numbers and the refusals (a job read once is one).
        if self.numbers_in_merge() {
            self.scrubber
                .apply_opt_outs(&mut part, !self.parts_had_digests);
        }
        let ahead = self.ahead.as_mut().map(|a| {
            a.take(i)
                .expect("every part of a list read once is noted before it is merged")
        });
        let merger = self.merger.as_mut().expect("start_scrub first");
        let merged = merge(merger, &part, self.lines, ahead.as_deref())?;
        self.lines += part.lines;
        let (start, end) = self.layout.parts[i];
        self.feed_hash(src, start, end)?;
        Ok((Some(merged), self.progress(i, Phase::Scrub)))
    }

    /// Scrubs from part `i`'s start to the end of the file in one piece.
    pub fn scrub_rest(
        &mut self,
        src: &(impl ReadAt + ?Sized),
        i: usize,
        cleaned: &mut dyn Write,
        removed: &mut dyn Write,
    ) -> Result<()> {
        let start = self.layout.parts[i].0;
        let merger = self.merger.as_mut().expect("start_scrub first");
        scrub::scrub_rest_reader(
            &self.scrubber,
            &self.plan,
            &self.layout.sniffed,
            RangeReader::new(src, start),
            merger,
            self.lines,
            (cleaned, removed),
        )
        .map_err(|e| e.shifted(self.lines))?;
        self.feed_hash(src, start, src.size()).map_err(Error::from)
    }

    /// The report, once every part is merged (the outputs flushed by the caller).
    pub fn finish(&mut self, src: &(impl ReadAt + ?Sized)) -> Result<Report> {
        let merger = self.merger.take().expect("start_scrub first");
        let mut hash = std::mem::take(&mut self.hash);
        let sha = match std::mem::replace(&mut self.hashing, Hashing::Merges) {
            Hashing::Given(sha) | Hashing::Chain(Some(sha)) => sha,
            Hashing::Merges => hash.hex(),
            Hashing::Later | Hashing::Chain(None) | Hashing::Whole => {
                hash = Sha256Reader::default();
                hash.feed(src, 0, src.size())?;
                hash.hex()
            }
        };
        self.scrubber
            .finish_scrub(&self.plan, &self.layout.sniffed, merger, src.size(), sha)
    }

    /// The whole job on `threads` threads (native).
    fn run_on_threads<S: ReadAt + Sync + ?Sized>(
        &mut self,
        src: &S,
        threads: usize,
        cleaned: &mut dyn Write,
        removed: &mut dyn Write,
        progress: &mut dyn FnMut(Progress),
    ) -> Result<Report> {
        // With consent checked, the refusals first: from the scrub parts themselves
        // (kept until all are in) for a list read once, else from a scan.
        let mut kept = None;
        let mut stopped = None;
        if self.reads_once() {
            let engine = PartEngine::new(&self.context_json())?;
            let layout = self.layout.clone();
            let mut parts = Vec::new();
            stopped = in_parallel(
                src,
                &layout,
                threads,
                &|bytes, last| engine.scrub_part(bytes, last),
                &mut |i, part| {
                    let (part, p) = self.merge_refusals(i, part)?;
                    let Some(part) = part else {
                        return Ok(false);
                    };
                    parts.push(part);
                    progress(p);
                    Ok(true)
                },
            )?;
            kept = Some(parts);
        } else if self.two_passes() {
            let engine = PartEngine::new(&self.context_json())?;
            let layout = self.layout.clone();
            stopped = in_parallel(
                src,
                &layout,
                threads,
                &|bytes, last| engine.scan_part(bytes, last),
                &mut |i, part| {
                    let (complete, p) = self.merge_scan(i, part)?;
                    if complete {
                        progress(p);
                    }
                    Ok(complete)
                },
            )?;
        }
        if let Some(i) = stopped {
            self.scan_rest(src, i)?;
        }
        self.start_scrub(src, cleaned, removed)?;
        if let Some(kept) = kept {
            for (i, part) in kept.into_iter().enumerate() {
                let (_, p) = self.merge_scrub(src, i, Ok(part), cleaned, removed)?;
                progress(p);
            }
        } else {
            let engine = PartEngine::new(&self.context_json())?;
            let layout = self.layout.clone();
            stopped = in_parallel(
                src,
                &layout,
                threads,
                &|bytes, last| engine.scrub_part(bytes, last),
                &mut |i, part| {
                    let (complete, p) = self.merge_scrub(src, i, part, cleaned, removed)?;
                    if complete {
                        progress(p);
                    }
                    Ok(complete)
                },
            )?;
        }
        if let Some(i) = stopped {
            self.scrub_rest(src, i, cleaned, removed)?;
        }
        cleaned.flush()?;
        removed.flush()?;
        self.finish(src)
    }
}

/// Decides parts of a job in a worker: built from [`Coordinator::context_json`].
pub struct PartEngine {
    scrubber: Scrubber,
    plan: Plan,
    sniffed: Sniffed,
    /// The last part decided: its bytes, rows and written bytes (see
    /// [`PartEngine::room`]).
    last_part: [AtomicUsize; 3],
}

impl PartEngine {
    /// The engine for the job the context describes.
    pub fn new(context_json: &str) -> Result<PartEngine> {
        let context: Context = serde_json::from_str(context_json)
            .map_err(|e| Error::policy(format!("a part worker's context: {e}")))?;
        let (scrubber, plan, sniffed) = Scrubber::from_context(context)?;
        Ok(PartEngine {
            scrubber,
            plan,
            sniffed,
            last_part: Default::default(),
        })
    }

    /// Hashes a part's bytes on from `state` (a [`ChainedSha256`] state: from
    /// [`Coordinator::hash_start`] for part 0, else from the part before), and returns the
    /// state after it.
    pub fn hash(state: &[u8], bytes: &[u8]) -> Result<Vec<u8>> {
        let mut sha = ChainedSha256::from_bytes(state)
            .ok_or_else(|| Error::policy("a part's SHA-256 state is not one"))?;
        sha.update(bytes);
        Ok(sha.to_bytes())
    }

    /// Scans one part (`last`: it runs to the end of the file).
    pub fn scan_part(&self, bytes: &[u8], last: bool) -> Result<ScanPart> {
        scrub::scan_part(&self.scrubber, &self.plan, &self.sniffed, bytes, last)
    }

    /// Decides one part but for dedupe.
    pub fn scrub_part(&self, bytes: &[u8], last: bool) -> Result<ScrubPart> {
        let part = scrub::scrub_part(
            &self.scrubber,
            &self.plan,
            &self.sniffed,
            bytes,
            last,
            self.room(bytes.len()),
        )?;
        for (slot, n) in self
            .last_part
            .iter()
            .zip([bytes.len(), part.rows.len(), part.bytes.len()])
        {
            slot.store(n, Ordering::Relaxed);
        }
        Ok(part)
    }

    /// The room a part of `len` bytes is expected to need, from the last part decided
    /// (the parts of a list are alike), with a sixteenth more; before any, a row every 64
    /// bytes and as many bytes written as read. Growing them as the part was read (each
    /// growth a copy) showed as 2-3% of a wasm profile of the page's engine path in Node
    /// (the bench list: reallocation 25 -> 2 ms a million rows), though the parts' time
    /// did not change measurably (741-788 against 754-777 ms).
    fn room(&self, len: usize) -> PartRoom {
        let [read, rows, written] = self.last_part.each_ref().map(|n| n.load(Ordering::Relaxed));
        let like_last = |n: usize| {
            let n = (n as u128 * len as u128 / read as u128) as usize;
            n + n / 16 + 16
        };
        if read == 0 {
            PartRoom {
                rows: len / 64 + 16,
                bytes: len,
            }
        } else {
            PartRoom {
                rows: like_last(rows),
                bytes: like_last(written),
            }
        }
    }

    /// [`PartEngine::scan_part`], as bytes to send back ([`decode_scan`]).
    pub fn scan_part_bytes(&self, bytes: &[u8], last: bool) -> Vec<u8> {
        wire::encode_scan(&self.scan_part(bytes, last))
    }

    /// [`PartEngine::scrub_part`], as bytes to send back ([`decode_scrub`]).
    pub fn scrub_part_bytes(&self, bytes: &[u8], last: bool) -> Vec<u8> {
        wire::encode_scrub(&self.scrub_part(bytes, last))
    }

    /// Writes a scrub part's rows (`part`: [`PartEngine::scrub_part_bytes`]) with the final
    /// reasons [`Coordinator::merge_verdicts`] gave for it: the cleaned rows' bytes and the
    /// removed rows' bytes, as the merge would have written them. (Two buffers, so that
    /// the removed rows are not copied once more to follow the cleaned ones.)
    pub fn write_part_bytes(&self, part: &[u8], verdicts: &[u8]) -> Result<(Vec<u8>, Vec<u8>)> {
        // The rows' bytes are read where they are, not copied out of the part first.
        let (part, bytes) = wire::decode_scrub_borrowed(part)?;
        let (lines, verdicts) = wire::decode_verdicts(verdicts)?;
        // Room for every row's bytes and its added fields (a line number and reason codes,
        // or a status) in either list, so that neither grows (each growth a copy).
        let room = bytes.len() + 48 * part.rows.len();
        let mut cleaned = Vec::with_capacity(room);
        let mut removed = Vec::with_capacity(room);
        scrub::write_rows(
            &part.rows,
            bytes,
            &verdicts,
            lines,
            self.scrubber.row_style(),
            &mut cleaned,
            &mut removed,
        )?;
        Ok((cleaned, removed))
    }
}

/// A scan part a worker sent back.
pub fn decode_scan(bytes: &[u8]) -> Result<ScanPart> {
    wire::decode_scan(bytes)
}

/// A scrub part a worker sent back.
pub fn decode_scrub(bytes: &[u8]) -> Result<ScrubPart> {
    wire::decode_scrub(bytes)
}

/// A scrub part a worker sent back, without its rows' bytes: for what needs only the
/// rows' verdicts ([`Coordinator::merge_refusals`], [`Coordinator::merge_verdicts`]).
pub fn decode_scrub_rows(bytes: &[u8]) -> Result<ScrubPart> {
    wire::decode_scrub_with(bytes, false)
}

/// Runs `work` on every part on `threads` threads and hands the results to `merge` in
/// file order, at most `2 * threads` parts ahead of the merge. `merge` returns false
/// for a part that ended inside a record: the parts from it on are dropped and its
/// index returned. A part's error goes to `merge` too. An error in a part is returned with its line counted from the file's
/// start.
fn in_parallel<S, T, W, M>(
    src: &S,
    layout: &Layout,
    threads: usize,
    work: &W,
    merge: &mut M,
) -> Result<Option<usize>>
where
    S: ReadAt + Sync + ?Sized,
    T: Send,
    W: Fn(&[u8], bool) -> Result<T> + Sync,
    M: FnMut(usize, Result<T>) -> Result<bool>,
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
                // A panic in a part stops every thread, so none waits for a merge that
                // will not come (and the merge, left without senders, panics in turn).
                let _stop_on_panic = StopOnPanic(stop, merged);
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
        let finish = |stop: &AtomicBool| stop_all(stop, &merged);
        let mut pending = BTreeMap::new();
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
            match merge(i, result) {
                Ok(true) => {}
                Ok(false) => {
                    finish(&stop);
                    return Ok(Some(i));
                }
                Err(err) => {
                    finish(&stop);
                    return Err(err);
                }
            }
            *merged.0.lock().expect("no thread panics holding it") = i + 1;
            merged.1.notify_all();
        }
        Ok(None)
    })
}

/// Sets `stop` and wakes every thread waiting on `merged`. The flag is set while holding
/// the lock: a thread that has just seen it unset under the lock is then already
/// waiting, and gets the wake-up (set without the lock, the wake-up could come between
/// its test and its wait, and it would wait for ever).
fn stop_all(
    stop: &std::sync::atomic::AtomicBool,
    merged: &(std::sync::Mutex<usize>, std::sync::Condvar),
) {
    let guard = merged
        .0
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    stop.store(true, std::sync::atomic::Ordering::SeqCst);
    drop(guard);
    merged.1.notify_all();
}

/// Calls [`stop_all`] when dropped during a panic.
struct StopOnPanic<'a>(
    &'a std::sync::atomic::AtomicBool,
    &'a (std::sync::Mutex<usize>, std::sync::Condvar),
);

impl Drop for StopOnPanic<'_> {
    fn drop(&mut self) {
        if std::thread::panicking() {
            stop_all(self.0, self.1);
        }
    }
}

/// Who feeds a [`Coordinator`]'s SHA-256 of the input.
#[derive(Clone, Debug)]
enum Hashing {
    /// The merges, each part as it is merged (read again from the input).
    Merges,
    /// The caller gave it ([`Coordinator::set_input_sha256`]).
    Given(String),
    /// The caller will give it ([`Coordinator::hash_later`]); if not, `finish` hashes the
    /// whole input.
    Later,
    /// The part workers, each part in the one that decides it, the state carried from
    /// part to part ([`Coordinator::hash_start`], [`ChainedSha256`]); the digest once the
    /// state after the last part is in ([`Coordinator::hash_end`]).
    Chain(Option<String>),
    /// Nobody: the state after the last part was not the whole input's; `finish` hashes
    /// the whole input.
    Whole,
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

/// SHA-256 that stops in one worker and goes on in another: its state (the chaining
/// value, the bytes hashed so far and those of the block not yet complete) travels as
/// bytes ([`ChainedSha256::to_bytes`], at most 103). The page's part workers hash the
/// list this way, each part in the worker that decides it, in file order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChainedSha256 {
    h: [u32; 8],
    len: u64,
    tail: Vec<u8>,
}

impl Default for ChainedSha256 {
    fn default() -> Self {
        ChainedSha256 {
            h: [
                0x6a09_e667,
                0xbb67_ae85,
                0x3c6e_f372,
                0xa54f_f53a,
                0x510e_527f,
                0x9b05_688c,
                0x1f83_d9ab,
                0x5be0_cd19,
            ],
            len: 0,
            tail: Vec::with_capacity(64),
        }
    }
}

impl ChainedSha256 {
    /// Hashes `bytes` on from where the state is.
    pub fn update(&mut self, mut bytes: &[u8]) {
        self.len += bytes.len() as u64;
        if !self.tail.is_empty() {
            let take = (64 - self.tail.len()).min(bytes.len());
            self.tail.extend_from_slice(&bytes[..take]);
            bytes = &bytes[take..];
            if self.tail.len() < 64 {
                return;
            }
            let tail = std::mem::take(&mut self.tail);
            self.compress(&tail);
            self.tail = tail;
            self.tail.clear();
        }
        let whole = bytes.len() / 64 * 64;
        self.compress(&bytes[..whole]);
        self.tail.extend_from_slice(&bytes[whole..]);
    }

    /// Bytes hashed so far.
    pub fn len(&self) -> u64 {
        self.len
    }

    /// True when nothing was hashed.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// `blocks`: whole 64-byte blocks.
    fn compress(&mut self, blocks: &[u8]) {
        use sha2::digest::generic_array::GenericArray;
        for block in blocks.chunks_exact(64) {
            sha2::compress256(
                &mut self.h,
                std::slice::from_ref(GenericArray::from_slice(block)),
            );
        }
    }

    /// The digest, as lowercase hex.
    pub fn hex(mut self) -> String {
        let bits = self.len.wrapping_mul(8);
        let mut last = std::mem::take(&mut self.tail);
        last.push(0x80);
        while last.len() % 64 != 56 {
            last.push(0);
        }
        last.extend_from_slice(&bits.to_be_bytes());
        self.compress(&last);
        self.h.iter().map(|w| format!("{w:08x}")).collect()
    }

    /// The state as bytes: the chaining value, the length (little-endian), the tail.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(40 + self.tail.len());
        for w in self.h {
            out.extend_from_slice(&w.to_le_bytes());
        }
        out.extend_from_slice(&self.len.to_le_bytes());
        out.extend_from_slice(&self.tail);
        out
    }

    /// A state from [`ChainedSha256::to_bytes`]; `None` for bytes that are not one.
    pub fn from_bytes(bytes: &[u8]) -> Option<ChainedSha256> {
        if !(40..40 + 64).contains(&bytes.len()) {
            return None;
        }
        let word = |i: usize| u32::from_le_bytes(bytes[4 * i..4 * i + 4].try_into().expect("4"));
        let len = u64::from_le_bytes(bytes[32..40].try_into().expect("8"));
        let tail = bytes[40..].to_vec();
        if len % 64 != tail.len() as u64 {
            return None;
        }
        Some(ChainedSha256 {
            h: std::array::from_fn(word),
            len,
            tail,
        })
    }
}

/// What a worker needs to decide parts of a job: the policy, the date, the hash key, the
/// file's header and delimiter, the opt-out lists and (after the scan) the refusals.
/// Sent as JSON (once a phase, to each worker).
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct Context {
    pub(crate) policy: String,
    pub(crate) today: String,
    pub(crate) hash_key: Option<Vec<u8>>,
    pub(crate) headers: Vec<String>,
    pub(crate) delimiter: u8,
    pub(crate) bom: bool,
    pub(crate) suppression: crate::rules::suppression::SuppressionState,
}

/// A part's result as bytes, for a worker to send back (see [`decode_scan`],
/// [`decode_scrub`]).
pub mod wire {
    use super::*;
    use crate::error::ErrorKind;
    use crate::rules::consent::ValueTally;
    use crate::rules::Reasons;
    use crate::scrub::RowMeta;

    struct Out(Vec<u8>);

    impl Out {
        fn u8(&mut self, v: u8) {
            self.0.push(v);
        }
        fn u64(&mut self, v: u64) {
            self.0.extend_from_slice(&v.to_le_bytes());
        }
        fn bytes(&mut self, v: &[u8]) {
            self.u64(v.len() as u64);
            self.0.extend_from_slice(v);
        }
    }

    struct In<'a>(&'a [u8]);

    impl In<'_> {
        fn take(&mut self, n: usize) -> Result<&[u8]> {
            if self.0.len() < n {
                return Err(Error::input("a worker's part result is cut short"));
            }
            let (head, rest) = self.0.split_at(n);
            self.0 = rest;
            Ok(head)
        }
        fn u8(&mut self) -> Result<u8> {
            Ok(self.take(1)?[0])
        }
        fn u64(&mut self) -> Result<u64> {
            Ok(u64::from_le_bytes(
                self.take(8)?.try_into().expect("8 bytes"),
            ))
        }
        fn len(&mut self) -> Result<usize> {
            usize::try_from(self.u64()?)
                .map_err(|_| Error::input("a worker's part result is damaged"))
        }
        fn bytes(&mut self) -> Result<&[u8]> {
            let n = self.len()?;
            self.take(n)
        }
    }

    /// Errors cross as (line + 1 or 0, message), read back as input errors.
    fn error(out: &mut Out, err: &Error) {
        out.u8(1);
        let (line, message) = match err.kind() {
            ErrorKind::Input { line, message } => (line.map_or(0, |l| l + 1), message.clone()),
            _ => (0, err.to_string()),
        };
        out.u64(line);
        out.bytes(message.as_bytes());
    }

    fn read_error(input: &mut In<'_>) -> Result<Option<Error>> {
        if input.u8()? == 0 {
            return Ok(None);
        }
        let line = input.u64()?;
        let message = String::from_utf8_lossy(input.bytes()?).into_owned();
        Ok(Some(match line {
            0 => Error::input(message),
            line => Error::input_at(line - 1, message),
        }))
    }

    /// A scan part (or the error that stopped it) as bytes.
    pub(crate) fn encode_scan(part: &Result<ScanPart>) -> Vec<u8> {
        let mut out = Out(Vec::new());
        match part {
            Err(err) => error(&mut out, err),
            Ok(part) => {
                out.u8(0);
                out.u8(u8::from(part.complete));
                out.u64(part.lines);
                out.u64(part.rows);
                out.u64(part.refusals.len() as u64);
                for &key in &part.refusals {
                    out.u64(key);
                }
            }
        }
        out.0
    }

    /// The scan part [`encode_scan`] wrote.
    pub(crate) fn decode_scan(bytes: &[u8]) -> Result<ScanPart> {
        let mut input = In(bytes);
        if let Some(err) = read_error(&mut input)? {
            return Err(err);
        }
        let complete = input.u8()? != 0;
        let lines = input.u64()?;
        let rows = input.u64()?;
        let n = input.len()?;
        let refusals = (0..n).map(|_| input.u64()).collect::<Result<_>>()?;
        Ok(ScanPart {
            refusals,
            lines,
            complete,
            rows,
        })
    }

    /// A scrub part (or the error that stopped it) as bytes.
    pub(crate) fn encode_scrub(part: &Result<ScrubPart>) -> Vec<u8> {
        let part = match part {
            Err(err) => {
                let mut out = Out(Vec::new());
                error(&mut out, err);
                return out.0;
            }
            Ok(part) => part,
        };
        let mut out = Out(Vec::with_capacity(
            part.bytes.len() + 32 * part.rows.len() + 64,
        ));
        out.u8(0);
        // The rows' bytes' length first, so that the head (everything before the bytes,
        // which come last) can be found without decoding it: the merges that need only
        // the rows' verdicts are given only the head (see `scrubHead` in www/worker.js).
        out.u64(part.bytes.len() as u64);
        out.u8(u8::from(part.complete));
        out.u64(part.lines);
        out.u64(part.invalid_kept);
        out.u64(part.matched.len() as u64);
        for &n in &part.matched {
            out.u64(n);
        }
        out.u64(part.values.values().len() as u64);
        for (value, rows) in part.values.values() {
            out.bytes(value.as_bytes());
            out.u64(*rows);
        }
        out.u64(part.rows.len() as u64);
        for row in &part.rows {
            out.u64(row.line);
            out.u64(row.key);
            out.u64(u64::from(row.reasons.bits()));
            out.u64(u64::from(row.len) | u64::from(row.alt) << 32);
        }
        out.0.extend_from_slice(&part.bytes);
        out.0
    }

    /// A part's final reasons, after the line ends before it.
    pub(crate) fn encode_verdicts(lines: u64, verdicts: &[Reasons]) -> Vec<u8> {
        let mut out = Out(Vec::with_capacity(16 + 2 * verdicts.len()));
        out.u64(lines);
        out.u64(verdicts.len() as u64);
        for reasons in verdicts {
            out.0.extend_from_slice(&reasons.bits().to_le_bytes());
        }
        out.0
    }

    /// What [`encode_verdicts`] wrote.
    pub(crate) fn decode_verdicts(bytes: &[u8]) -> Result<(u64, Vec<Reasons>)> {
        let mut input = In(bytes);
        let lines = input.u64()?;
        let n = input.len()?;
        let data = input.take(
            n.checked_mul(2)
                .ok_or_else(|| Error::input("a part's verdicts are damaged"))?,
        )?;
        let verdicts = data
            .chunks_exact(2)
            .map(|b| Reasons::from_bits(u16::from_le_bytes([b[0], b[1]])))
            .collect();
        Ok((lines, verdicts))
    }

    /// The scrub part [`encode_scrub`] wrote.
    pub(crate) fn decode_scrub(bytes: &[u8]) -> Result<ScrubPart> {
        decode_scrub_with(bytes, true)
    }

    /// [`decode_scrub`], with the rows' bytes copied or (`with_bytes` false) left out:
    /// then `bytes` may end where the rows' bytes start (see [`encode_scrub`]).
    pub(crate) fn decode_scrub_with(bytes: &[u8], with_bytes: bool) -> Result<ScrubPart> {
        let (mut part, data) = decode_scrub_head(bytes, with_bytes)?;
        if with_bytes {
            part.bytes = data.to_vec();
        }
        Ok(part)
    }

    /// A whole scrub part [`encode_scrub`] wrote, its rows' bytes borrowed (the second
    /// value) rather than copied: for [`super::PartEngine::write_part_bytes`].
    pub(crate) fn decode_scrub_borrowed(bytes: &[u8]) -> Result<(ScrubPart, &[u8])> {
        decode_scrub_head(bytes, true)
    }

    /// The head of a scrub part, and what follows it: the rows' bytes when `whole`
    /// (checked to be all that follows), else whatever does.
    fn decode_scrub_head(bytes: &[u8], whole: bool) -> Result<(ScrubPart, &[u8])> {
        let mut input = In(bytes);
        if let Some(err) = read_error(&mut input)? {
            return Err(err);
        }
        let data_len = input.u64()?;
        let complete = input.u8()? != 0;
        let lines = input.u64()?;
        let invalid_kept = input.u64()?;
        let n = input.len()?;
        let matched = (0..n).map(|_| input.u64()).collect::<Result<_>>()?;
        let n = input.len()?;
        let mut values = ValueTally::default();
        for _ in 0..n {
            let value = String::from_utf8_lossy(input.bytes()?).into_owned();
            values.add(&value, input.u64()?);
        }
        // The rows: 32 bytes each, taken at once and read as fixed-size records (the
        // bounds checked once, not four times a row).
        let n = input.len()?;
        let table = input.take(
            n.checked_mul(32)
                .ok_or_else(|| Error::input("a worker's part result is damaged"))?,
        )?;
        let rows: Vec<RowMeta> = table
            .chunks_exact(32)
            .map(|row| {
                let word = |k: usize| {
                    u64::from_le_bytes(row[8 * k..8 * k + 8].try_into().expect("8 bytes"))
                };
                let lens = word(3);
                RowMeta {
                    line: word(0),
                    key: word(1),
                    reasons: Reasons::from_bits(word(2) as u16),
                    len: lens as u32,
                    alt: (lens >> 32) as u32,
                }
            })
            .collect();
        let total: u64 = rows
            .iter()
            .map(|r| u64::from(r.len) + u64::from(r.alt))
            .sum();
        if total != data_len || (whole && input.0.len() as u64 != data_len) {
            return Err(Error::input("a worker's part result is damaged"));
        }
        let part = ScrubPart {
            rows,
            bytes: Vec::new(),
            invalid_kept,
            matched,
            values,
            lines,
            complete,
        };
        Ok((part, input.0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cut_finds_the_next_line_start_however_far_on() {
        // Line ends 10 bytes to 200 KiB after the cut: found in the first read or a later
        // one.
        for gap in [10usize, 3 << 10, 5 << 10, 20 << 10, 200 << 10] {
            let mut list = vec![b'x'; 100 + gap];
            list.push(b'\n');
            list.extend_from_slice(b"next\n");
            let found = line_start_after(&list[..], 100).unwrap();
            assert_eq!(
                found,
                Some((100 + gap + 1) as u64),
                "a line end {gap} bytes on"
            );
        }
        // None at all: the end of the list.
        assert_eq!(line_start_after(&[b'x'; 9000][..], 10).unwrap(), None);
    }

    /// A job for `list` under `policy` (JSON, scrubbed on 2026-01-01) cut into parts of
    /// `part_bytes`, and a part engine for it.
    fn job_in_parts(list: &[u8], policy: &str, part_bytes: u64) -> (Coordinator, PartEngine) {
        let policy = crate::Policy::from_json(policy).unwrap();
        let today = crate::rules::dates::parse_iso("2026-01-01").unwrap();
        let scrubber = Scrubber::new(policy, today).unwrap();
        let layout = layout(&scrubber, list, part_bytes)
            .unwrap()
            .expect("cut into parts");
        let mut job = Coordinator::with_layout(scrubber, layout).unwrap();
        let engine = PartEngine::new(&job.context_json()).unwrap();
        (job, engine)
    }

    /// Rows of a GB number (one of 50) and its consent, `refuses(i)` saying "no", each
    /// after a row whose phone cell is a formula (an invalid number).
    fn consent_list(rows: usize, refuses: impl Fn(usize) -> bool) -> String {
        let mut list = String::from("phone,consent\n");
        for i in 0..rows {
            let consent = if refuses(i) { "no" } else { "yes" };
            list += &format!("+4412129410{:02},{consent}\n\"=1+{i}\",yes\n", i % 50);
        }
        list
    }

    const CONSENT_POLICY: &str = r#"{"phoneColumn":"phone","defaultRegion":"GB","consent":{"column":"consent"},"dedupe":true}"#;

    /// The report's SHA-256 of `list` scrubbed in parts of 4 KiB, merged here, with
    /// `hash(coordinator, i, part, last)` called before each part's merge.
    fn sha_when(list: &[u8], hash: impl Fn(&mut Coordinator, usize, &[u8], bool)) -> String {
        let (mut job, engine) = job_in_parts(
            list,
            r#"{"phoneColumn":"phone","defaultRegion":"GB"}"#,
            4096,
        );
        let (mut cleaned, mut removed) = (Vec::new(), Vec::new());
        job.start_scrub(list, &mut cleaned, &mut removed).unwrap();
        let parts = job.parts().to_vec();
        assert!(parts.len() >= 5, "{} parts", parts.len());
        for (i, &(start, end)) in parts.iter().enumerate() {
            let bytes = &list[start as usize..end as usize];
            let last = i + 1 == parts.len();
            hash(&mut job, i, bytes, last);
            let part = engine.scrub_part(bytes, last);
            let (merged, _) = job
                .merge_scrub(list, i, part, &mut cleaned, &mut removed)
                .unwrap();
            assert!(merged);
        }
        job.finish(list).unwrap().input_sha256
    }

    /// The head of a scrub result, as www/worker.js's `scrubHead` finds it: the result's
    /// length less the rows' bytes' length, which follows the first byte.
    fn head(result: &[u8]) -> &[u8] {
        let data = u64::from_le_bytes(result[1..9].try_into().unwrap()) as usize;
        &result[..result.len() - data]
    }

    #[test]
    fn the_merges_of_verdicts_need_only_a_scrub_results_head() {
        let list = consent_list(400, |i| i % 7 == 3);
        let (job, engine) = job_in_parts(list.as_bytes(), CONSENT_POLICY, 4096);
        let (start, end) = job.parts()[0];
        let result = engine.scrub_part_bytes(&list.as_bytes()[start as usize..end as usize], false);
        let whole = decode_scrub(&result).unwrap();
        assert!(whole.rows.len() > 100, "{} rows", whole.rows.len());
        assert!(!whole.bytes.is_empty());
        let head = head(&result);
        assert!(head.len() < result.len());
        let rows = decode_scrub_rows(head).unwrap();
        assert_eq!(rows.rows, whole.rows);
        assert_eq!((rows.lines, rows.complete), (whole.lines, whole.complete));
        assert!(rows.bytes.is_empty());
        // The head alone is not a whole result, nor is a head with a byte short.
        assert!(decode_scrub(head).is_err());
        assert!(decode_scrub_rows(&head[..head.len() - 1]).is_err());
        // Nor the result with a byte more or less.
        let mut longer = result.clone();
        longer.push(b'x');
        assert!(decode_scrub(&longer).is_err());
        assert!(decode_scrub(&result[..result.len() - 1]).is_err());
    }

    #[test]
    fn parts_get_room_like_the_last_and_are_written_from_whole_results_only() {
        // Five numbers refused by some row (none of their rows kept), the others kept once.
        let list = consent_list(2000, |i| i % 50 < 5 && i % 7 == 3);
        let (mut job, engine) = job_in_parts(list.as_bytes(), CONSENT_POLICY, 8192);
        let parts = job.parts().to_vec();
        assert!(parts.len() >= 4, "{} parts", parts.len());
        let bytes = |i: usize| &list.as_bytes()[parts[i].0 as usize..parts[i].1 as usize];
        // Before any part: a row every 64 bytes, as many bytes written as read.
        let first = engine.room(bytes(0).len());
        assert_eq!(
            (first.rows, first.bytes),
            (bytes(0).len() / 64 + 16, bytes(0).len())
        );
        // Then like the part before: enough for the next (the parts are alike), not twice it.
        for i in 1..3 {
            let before = engine.scrub_part(bytes(i - 1), false).unwrap();
            let room = engine.room(bytes(i).len());
            let part = engine.scrub_part(bytes(i), false).unwrap();
            assert!(
                room.rows >= part.rows.len() && room.rows < 2 * part.rows.len(),
                "{} rows, room for {} (the part before: {})",
                part.rows.len(),
                room.rows,
                before.rows.len()
            );
            assert!(room.bytes >= part.bytes.len() && room.bytes < 2 * part.bytes.len());
        }
        // A part is written from its whole result: one with a byte more or less is refused.
        let results: Vec<Vec<u8>> = (0..parts.len())
            .map(|i| engine.scrub_part_bytes(bytes(i), i + 1 == parts.len()))
            .collect();
        for (i, result) in results.iter().enumerate() {
            let (part, _) = job.merge_refusals(i, decode_scrub_rows(result)).unwrap();
            assert!(part.is_some());
        }
        let (mut cleaned, mut removed) = (Vec::new(), Vec::new());
        job.start_scrub(list.as_bytes(), &mut cleaned, &mut removed)
            .unwrap();
        let result = &results[0];
        let (verdicts, _) = job
            .merge_verdicts(list.as_bytes(), 0, decode_scrub_rows(result))
            .unwrap();
        let verdicts = verdicts.expect("the first part's verdicts");
        let mut longer = result.clone();
        longer.push(b'x');
        assert!(engine.write_part_bytes(&longer, &verdicts).is_err());
        assert!(engine
            .write_part_bytes(&result[..result.len() - 1], &verdicts)
            .is_err());
        let (kept, gone) = engine.write_part_bytes(result, &verdicts).unwrap();
        let kept = String::from_utf8(kept).unwrap();
        let gone = String::from_utf8(gone).unwrap();
        assert!(
            kept.lines().count() > 20 && gone.lines().count() > 100,
            "{} kept, {} removed",
            kept.lines().count(),
            gone.lines().count()
        );
        assert!(
            kept.lines().all(|row| row.starts_with("\"+4412129410")),
            "{kept}"
        );
        assert!(
            gone.contains("no_consent") && gone.contains("invalid_number"),
            "{gone}"
        );
    }

    #[test]
    fn a_chained_sha256_is_the_sha256_however_it_is_cut_and_carried() {
        use sha2::Digest;
        let mut seed = 0x9e37_79b9_7f4a_7c15u64;
        let mut random = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        for size in [0usize, 1, 55, 56, 63, 64, 65, 119, 120, 128, 1000, 70_000] {
            let bytes: Vec<u8> = (0..size).map(|_| random() as u8).collect();
            let expected: String = sha2::Sha256::digest(&bytes)
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect();
            for _ in 0..20 {
                // Cut anywhere (pieces of 0 bytes too), each piece hashed by a state
                // carried over as bytes.
                let mut state = ChainedSha256::default().to_bytes();
                let mut at = 0;
                while at < size {
                    let n = (random() as usize % 300).min(size - at);
                    let mut sha = ChainedSha256::from_bytes(&state).expect("a state");
                    sha.update(&bytes[at..at + n]);
                    state = sha.to_bytes();
                    at += n;
                }
                let sha = ChainedSha256::from_bytes(&state).expect("a state");
                assert_eq!(sha.len(), size as u64);
                assert_eq!(sha.hex(), expected, "{size} bytes");
            }
        }
        // Not a state: too short, too long, a tail that does not fit the length.
        let mut sha = ChainedSha256::default();
        sha.update(b"abc");
        let state = sha.to_bytes();
        assert_eq!(ChainedSha256::from_bytes(&state), Some(sha));
        assert_eq!(ChainedSha256::from_bytes(&state[..39]), None);
        assert_eq!(ChainedSha256::from_bytes(&[0; 104]), None);
        assert_eq!(ChainedSha256::from_bytes(&state[..42]), None);
    }

    #[test]
    fn the_input_is_hashed_by_the_merges_or_from_part_to_part() {
        use sha2::Digest;
        let mut list = b"name,phone\n".to_vec();
        for i in 0..2000 {
            list.extend_from_slice(format!("Row {i},+44 7400 {:06}\n", i * 7).as_bytes());
        }
        let expected: String = sha2::Sha256::digest(&list)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        // By the merges (nothing started).
        assert_eq!(sha_when(&list, |_, _, _, _| {}), expected);
        // Said to come later and never given: `finish` hashes the whole list.
        let later = |job: &mut Coordinator, i: usize, _: &[u8], _: bool| {
            if i == 0 {
                job.hash_later();
            }
        };
        assert_eq!(sha_when(&list, later), expected);
        // Given (the page's, from the browser): taken as it is, and a chain's end
        // (which was not started) changes nothing.
        let given = |job: &mut Coordinator, i: usize, bytes: &[u8], last: bool| {
            if i == 2 {
                job.set_input_sha256("ab".repeat(32)).unwrap();
                assert!(job.set_input_sha256("AB".repeat(32)).is_err());
            }
            if last {
                let state = PartEngine::hash(&ChainedSha256::default().to_bytes(), bytes).unwrap();
                assert!(!job.hash_end(list.as_slice(), &state));
            }
        };
        assert_eq!(sha_when(&list, given), "ab".repeat(32));
        // Carried from part to part, as by the page's part workers; the state after the
        // last part ends it. A state that is not the whole list's (a part missed, or the
        // last given again) is refused, and `finish` hashes the whole list; so it does
        // when none comes (the phase that hashed stopped early).
        for (skip, end) in [
            (None, true),
            (Some(3), true),
            (Some(usize::MAX), true),
            (None, false),
        ] {
            let state = std::cell::RefCell::new(Vec::new());
            let chained = |job: &mut Coordinator, i: usize, bytes: &[u8], last: bool| {
                if i == 0 {
                    *state.borrow_mut() = job.hash_start(list.as_slice()).unwrap();
                }
                if skip != Some(i) {
                    let next = PartEngine::hash(&state.borrow(), bytes).unwrap();
                    *state.borrow_mut() = next;
                }
                if last && skip == Some(usize::MAX) {
                    let again = PartEngine::hash(&state.borrow(), bytes).unwrap();
                    *state.borrow_mut() = again;
                }
                if last && end {
                    let whole = job.hash_end(list.as_slice(), &state.borrow());
                    assert_eq!(whole, skip.is_none(), "{skip:?}");
                }
            };
            assert_eq!(sha_when(&list, chained), expected, "{skip:?} {end}");
        }
        assert!(PartEngine::hash(b"not a state", b"x").is_err());
    }
}
