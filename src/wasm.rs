//! The only wasm-bindgen code: decode JS values -> call the core -> encode the result.
//!
//! Every export has one shape (as in Biome's `biome_wasm`): options in with
//! serde-wasm-bindgen, the core called, results out through one JSON-compatible
//! serializer, errors mapped by one helper into a JS `Error` named `PhonescrubError`
//! carrying `kind` ("policy" | "input" | "io" | "needs-module") and, where there is one,
//! `line`. "needs-module" (with `module`: "sheets", "seal" or "encodings") comes only from the page's
//! core build (no default features): the job needs the full engine, and `www/worker.js`
//! reruns it there.
//!
//! Inputs are `Blob`s (a dropped `File`) read in 1 MiB slices with `FileReaderSync`, so a
//! file is never copied whole into wasm memory, or `Uint8Array`s read the same way.
//! `FileReaderSync` exists only in workers: the engine runs in one (`www/worker.js`).

use std::io::{self, Read, Write};

use js_sys::{Array, Function, Reflect, Uint8Array};
use serde::{Deserialize, Serialize};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

use crate::protect::Sealed;
use crate::{Error, ErrorKind, Policy, Scrubber};

/// Bytes fetched from JS per read (and flushed to JS per write).
const CHUNK: usize = 1 << 20;

#[wasm_bindgen(start)]
fn start() {
    console_error_panic_hook::set_once();
}

/// The engine version, e.g. "0.1.0".
#[wasm_bindgen(js_name = engineVersion)]
pub fn engine_version() -> String {
    crate::VERSION.to_string()
}

/// The error a job gives when its list can no longer be read (its file was changed,
/// moved or removed since it was chosen), for the worker, which reads a list's parts
/// itself: the engine's words and kind, written once.
#[wasm_bindgen(js_name = unreadableError)]
pub fn unreadable_error() -> JsValue {
    to_js_error(Error::input(crate::input::Unreadable::MESSAGE))
}

/// Runs step `step` of the warm-up (a small synthetic list through a large list's path,
/// see `src/warm.rs`) so that the browser optimises the engine's code before a user's list
/// arrives. True while there are steps left after this one.
#[wasm_bindgen(js_name = warmUp)]
pub fn warm_up(step: u32) -> Result<bool, JsValue> {
    if step < crate::warm::STEPS {
        crate::warm::run(step).map_err(to_js_error)?;
    }
    Ok(step + 1 < crate::warm::STEPS)
}

/// Masks a number for previews and printed reports: "+447700900123" -> "+447700****23".
#[wasm_bindgen(js_name = maskNumber)]
pub fn mask_number(number: &str) -> String {
    crate::protect::mask(number)
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct ProfileOptions {
    default_region: Option<String>,
    rows: Option<usize>,
    /// For a spreadsheet: the sheet to profile (the first when absent).
    sheet: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct ScrubOptions {
    /// "YYYY-MM-DD" to use when the policy has no `today`; absent = the local date.
    today: Option<String>,
    /// The secret for keyed hashes (`output.hash.keyed`); kept out of the policy.
    hash_key: Option<String>,
    /// Encrypt the cleaned and removed outputs with this passphrase (age, scrypt).
    passphrase: Option<String>,
    /// For a spreadsheet: the sheet to scrub (the first when absent).
    sheet: Option<String>,
}

/// Profiles the start of a list (`Blob` or `Uint8Array`): encoding, delimiter, columns
/// and their guessed roles; for a spreadsheet (.xlsx, .xls, .ods) also its sheets.
/// `options`: `{ defaultRegion?, rows?, sheet? }`.
#[wasm_bindgen]
pub fn profile(input: JsValue, options: JsValue) -> Result<JsValue, JsValue> {
    let options: ProfileOptions = decode_optional(options)?;
    let reader = JsReader::new(input)?;
    let size = reader.size;
    let profile = crate::profile_sheet(
        reader,
        options.rows.unwrap_or(crate::DEFAULT_SAMPLE_ROWS),
        options.default_region.as_deref(),
        Some(size),
        options.sheet.as_deref(),
    )
    .map_err(to_js_error)?;
    encode(&profile)
}

/// Scrubs a list. `optOuts` is an array of `{ name, data }` (data a `Blob` or
/// `Uint8Array`); `sinks` is `{ cleaned(bytes), removed(bytes), progress(p) }`, called as
/// output is produced; `options` is `{ today?, hashKey?, passphrase?, sheet? }`. Returns
/// the report.
#[wasm_bindgen]
pub fn scrub(
    input: JsValue,
    policy: JsValue,
    opt_outs: Array,
    sinks: JsValue,
    options: JsValue,
) -> Result<JsValue, JsValue> {
    let started = now_ms();
    let (mut scrubber, options) = build_scrubber(policy, opt_outs, options)?;
    let callback = |name: &str| sink_callback(&sinks, name);
    let passphrase = options.passphrase.as_deref();
    let mut cleaned =
        Sealed::new(JsSink::new(callback("cleaned")?), passphrase).map_err(to_js_error)?;
    let mut removed =
        Sealed::new(JsSink::new(callback("removed")?), passphrase).map_err(to_js_error)?;
    let progress_fn = callback("progress")?;
    let mut progress = |p: crate::Progress| {
        if let Ok(value) = encode(&p) {
            // A throwing progress callback must not stop the scrub.
            let _ = progress_fn.call1(&JsValue::NULL, &value);
        }
    };
    let mut report = scrubber
        .run(
            &mut || {
                JsReader::new(input.clone())
                    .map_err(|_| Error::input(crate::input::Unreadable::MESSAGE))
            },
            &mut cleaned,
            &mut removed,
            &mut progress,
        )
        .map_err(to_js_error)?;
    cleaned.finish().map_err(to_js_error)?;
    removed.finish().map_err(to_js_error)?;
    report.elapsed_ms = now_ms() - started;
    encode(&report)
}

/// The policy, options and opt-out lists of a scrub call, read into a [`Scrubber`].
fn build_scrubber(
    policy: JsValue,
    opt_outs: Array,
    options: JsValue,
) -> Result<(Scrubber, ScrubOptions), JsValue> {
    // Through JSON text rather than serde-wasm-bindgen: its struct decoding reads only the
    // known keys, so `deny_unknown_fields` would never see a typo such as `grantd`.
    let policy = js_sys::JSON::stringify(&policy)
        .ok()
        .and_then(|text| text.as_string())
        .ok_or_else(|| to_js_error(Error::policy("the policy must be a plain object")))?;
    let policy = Policy::from_json(&policy).map_err(to_js_error)?;
    let options: ScrubOptions = decode_optional(options)?;
    let today = match &options.today {
        Some(text) => crate::parse_date(text).ok_or_else(|| {
            to_js_error(Error::policy(format!("today {text:?} is not YYYY-MM-DD")))
        })?,
        None => local_today()?,
    };
    let mut scrubber = Scrubber::new(policy, today).map_err(to_js_error)?;
    if let Some(key) = &options.hash_key {
        scrubber.set_hash_key(key.as_bytes());
    }
    if let Some(sheet) = &options.sheet {
        scrubber.set_sheet(sheet);
    }
    add_opt_outs(&opt_outs, |name, reader| {
        scrubber.add_opt_out_list(name, reader).map(|_| ())
    })?;
    Ok((scrubber, options))
}

/// Reads each opt-out list of a call (`[{name, data}]`) with `add`.
fn add_opt_outs(
    opt_outs: &Array,
    mut add: impl FnMut(&str, JsReader) -> crate::Result<()>,
) -> Result<(), JsValue> {
    for entry in opt_outs.iter() {
        let name = Reflect::get(&entry, &"name".into())?
            .as_string()
            .unwrap_or_else(|| "opt-out list".to_string());
        let data = Reflect::get(&entry, &"data".into())?;
        add(&name, JsReader::new(data)?).map_err(to_js_error)?;
    }
    Ok(())
}

/// `sinks[name]` as a function.
fn sink_callback(sinks: &JsValue, name: &str) -> Result<Function, JsValue> {
    Reflect::get(sinks, &name.into())?
        .dyn_into::<Function>()
        .map_err(|_| {
            JsValue::from(js_sys::TypeError::new(&format!(
                "sinks.{name} must be a function"
            )))
        })
}

/// Bytes `start..end` of a `Blob`, read with `FileReaderSync` (workers only).
fn read_blob(
    reader: &web_sys::FileReaderSync,
    blob: &web_sys::Blob,
    start: f64,
    end: f64,
) -> io::Result<Uint8Array> {
    let slice = blob
        .slice_with_f64_and_f64(start, end)
        .map_err(js_io_error)?;
    let buffer = reader.read_as_array_buffer(&slice).map_err(js_io_error)?;
    Ok(Uint8Array::new(&buffer.into()))
}

/// A `Blob` with random access (for [`crate::parallel`]), read with `FileReaderSync`.
struct BlobAt {
    blob: web_sys::Blob,
    reader: web_sys::FileReaderSync,
    size: u64,
}

impl BlobAt {
    fn new(value: &JsValue) -> Result<Option<BlobAt>, JsValue> {
        let Some(blob) = value.dyn_ref::<web_sys::Blob>() else {
            return Ok(None);
        };
        Ok(Some(BlobAt {
            blob: blob.clone(),
            reader: web_sys::FileReaderSync::new()?,
            size: blob.size() as u64,
        }))
    }
}

impl crate::parallel::ReadAt for BlobAt {
    fn size(&self) -> u64 {
        self.size
    }

    fn read_at(&self, offset: u64, buf: &mut [u8]) -> io::Result<usize> {
        let end = (offset + buf.len() as u64).min(self.size);
        if offset >= end {
            return Ok(0);
        }
        let bytes = read_blob(&self.reader, &self.blob, offset as f64, end as f64)?;
        let n = bytes.length() as usize;
        bytes.copy_to(&mut buf[..n]);
        Ok(n)
    }
}

/// A scrub read in parts by other workers and merged here (see `www/worker.js`):
/// `ParallelScrub.start(input, policy, optOuts, sinks, options)` gives one, or
/// `undefined` when the job is to run row by row (`scrub`): not a `Blob`, not UTF-8
/// text, small, a passphrase, a workbook output. Then: `parts()`, `context()` for the
/// part workers (`PartWorker`), `mergeScan(i, bytes)` for each scan part in order when
/// `twoPasses()`, `context()` again, `startScrub()`, `mergeScrub(i, bytes)` for each
/// part in order, `finish()` for the report. A merge that returns false (the part ended
/// inside a record) is followed by `scanRest(i)` / `scrubRest(i)` and no more parts.
///
/// The opt-out lists are read by `start`, or, for a job whose parts are decided once
/// (every job but one scanned first), by `readOptOuts()`: call it once the first parts
/// are with the part workers, so that they need not wait for it (the first merge of a
/// scrub part reads them if it was not called). The report's SHA-256 of the input: by the
/// merges (reading the list again); given, `hashLater()` then `setInputSha256(hex)` before
/// `finish()`; or by the part workers in the first phase: `hashStart()` gives the state
/// to hash part 0 from, `PartWorker.hash(state, bytes)` each part in file order, and
/// `hashEnd(state)` takes the state after the last.
#[wasm_bindgen]
pub struct ParallelScrub {
    job: crate::parallel::Coordinator,
    /// The opt-out lists `start` left for `readOptOuts`.
    opt_outs: Option<Array>,
    /// Why reading them failed: every later call fails the same way (no job goes on with
    /// some of its lists).
    opt_outs_error: Option<JsValue>,
    src: BlobAt,
    cleaned: JsSink,
    removed: JsSink,
    progress: Function,
    started: f64,
}

#[wasm_bindgen]
impl ParallelScrub {
    /// See the type's documentation.
    pub fn start(
        input: JsValue,
        policy: JsValue,
        opt_outs: Array,
        sinks: JsValue,
        options: JsValue,
    ) -> Result<Option<ParallelScrub>, JsValue> {
        let started = now_ms();
        let Some(src) = BlobAt::new(&input)? else {
            return Ok(None);
        };
        let (scrubber, options) = build_scrubber(policy, Array::new(), options)?;
        if options.passphrase.is_some() || options.sheet.is_some() {
            return Ok(None);
        }
        let Some(mut job) =
            crate::parallel::Coordinator::new(scrubber, &src).map_err(to_js_error)?
        else {
            return Ok(None);
        };
        let opt_outs = if job.numbers_in_merge() {
            Some(opt_outs)
        } else {
            add_opt_outs(&opt_outs, |name, reader| job.add_opt_out_list(name, reader))?;
            None
        };
        Ok(Some(ParallelScrub {
            job,
            opt_outs,
            opt_outs_error: None,
            src,
            cleaned: JsSink::new(sink_callback(&sinks, "cleaned")?),
            removed: JsSink::new(sink_callback(&sinks, "removed")?),
            progress: sink_callback(&sinks, "progress")?,
            started,
        }))
    }

    /// The parts' byte ranges as a flat array: start, end, start, end, …
    pub fn parts(&self) -> Vec<f64> {
        self.job
            .parts()
            .iter()
            .flat_map(|&(start, end)| [start as f64, end as f64])
            .collect()
    }

    /// True when the parts are scanned first (consent is checked).
    #[wasm_bindgen(js_name = twoPasses)]
    pub fn two_passes(&self) -> bool {
        self.job.two_passes()
    }

    /// The JSON a `PartWorker` is built from (again after the scan).
    pub fn context(&mut self) -> String {
        self.job.context_json()
    }

    /// Reads the opt-out lists `start` left (see the type's documentation); nothing when
    /// there are none left.
    #[wasm_bindgen(js_name = readOptOuts)]
    pub fn read_opt_outs(&mut self) -> Result<(), JsValue> {
        if let Some(err) = &self.opt_outs_error {
            return Err(err.clone());
        }
        let Some(lists) = self.opt_outs.take() else {
            return Ok(());
        };
        add_opt_outs(&lists, |name, reader| {
            self.job.add_opt_out_list(name, reader)
        })
        .inspect_err(|err| self.opt_outs_error = Some(err.clone()))
    }

    /// Says `setInputSha256` comes before `finish`, so the merges do not hash the input
    /// (without it by then, `finish` hashes the whole input).
    #[wasm_bindgen(js_name = hashLater)]
    pub fn hash_later(&mut self) {
        self.job.hash_later();
    }

    /// Gives the input's SHA-256 (lowercase hex, e.g. from `crypto.subtle.digest`) so the
    /// job does not work it out. Before `startScrub`, or after `hashLater()` before
    /// `finish`.
    #[wasm_bindgen(js_name = setInputSha256)]
    pub fn set_input_sha256(&mut self, hex: String) -> Result<(), JsValue> {
        self.job.set_input_sha256(hex).map_err(to_js_error)
    }

    /// Starts the report's SHA-256 of the input in the part workers (`PartWorker.hash`,
    /// each part in the one that decides it, in file order, the state carried from part
    /// to part): the state to hash part 0 from. Then `hashEnd(state)` with the state after
    /// the last part, before `finish`.
    #[wasm_bindgen(js_name = hashStart)]
    pub fn hash_start(&mut self) -> Result<Vec<u8>, JsValue> {
        self.job
            .hash_start(&self.src)
            .map_err(|e| to_js_error(e.into()))
    }

    /// The state after the last part (see `hashStart`). False when it is not one of the
    /// whole input: `finish` then hashes the input itself, as when it never comes.
    #[wasm_bindgen(js_name = hashEnd)]
    pub fn hash_end(&mut self, state: &[u8]) -> bool {
        self.job.hash_end(&self.src, state)
    }

    fn report_progress(&self, progress: crate::Progress) {
        if let Ok(value) = encode(&progress) {
            let _ = self.progress.call1(&JsValue::NULL, &value);
        }
    }

    /// Merges scan part `i` (from `PartWorker.scan`). False: call `scanRest(i)`.
    #[wasm_bindgen(js_name = mergeScan)]
    pub fn merge_scan(&mut self, i: usize, part: &[u8]) -> Result<bool, JsValue> {
        let part = crate::parallel::decode_scan(part);
        let (complete, progress) = self.job.merge_scan(i, part).map_err(to_js_error)?;
        self.report_progress(progress);
        Ok(complete)
    }

    /// True when consent is checked and the list is read once: scrub parts are decided
    /// from the first `context()`, each handed to `mergeRefusals` in order and kept, then
    /// after `startScrub` each kept part goes to `mergeScrub`. Else `mergeScan` first.
    #[wasm_bindgen(js_name = readsOnce)]
    pub fn reads_once(&self) -> bool {
        self.job.reads_once()
    }

    /// Takes the refusals of scrub part `i` (from `PartWorker.scrub`, decided before any
    /// refusal was known). Keep the part for `mergeScrub`. False: call `scanRest(i)`, and
    /// `scrubRest(i)` after the kept parts are merged.
    #[wasm_bindgen(js_name = mergeRefusals)]
    pub fn merge_refusals(&mut self, i: usize, part: &[u8]) -> Result<bool, JsValue> {
        let part = crate::parallel::decode_scrub_rows(part);
        let (kept, progress) = self.job.merge_refusals(i, part).map_err(to_js_error)?;
        self.report_progress(progress);
        Ok(kept.is_some())
    }

    /// Scans from part `i` to the end here, in one piece.
    #[wasm_bindgen(js_name = scanRest)]
    pub fn scan_rest(&mut self, i: usize) -> Result<(), JsValue> {
        self.job.scan_rest(&self.src, i).map_err(to_js_error)
    }

    /// Writes the header rows: the scrub's parts may be merged from now on.
    #[wasm_bindgen(js_name = startScrub)]
    pub fn start_scrub(&mut self) -> Result<(), JsValue> {
        self.job
            .start_scrub(&self.src, &mut self.cleaned, &mut self.removed)
            .map_err(to_js_error)
    }

    /// Merges scrub part `i` (from `PartWorker.scrub`) into the outputs. False: call
    /// `scrubRest(i)`.
    #[wasm_bindgen(js_name = mergeScrub)]
    pub fn merge_scrub(&mut self, i: usize, part: &[u8]) -> Result<bool, JsValue> {
        self.read_opt_outs()?;
        let part = crate::parallel::decode_scrub(part);
        let (complete, progress) = self
            .job
            .merge_scrub(&self.src, i, part, &mut self.cleaned, &mut self.removed)
            .map_err(to_js_error)?;
        self.report_progress(progress);
        Ok(complete)
    }

    /// Merges scrub part `i` but for writing its rows: dedupe and the counts here, in
    /// order; returns the rows' final reasons for `PartWorker.write` to write them in
    /// another worker (the written rows then go to the outputs in part order, after
    /// `flushOutputs`). Undefined: the part ended inside a record, call `scrubRest(i)`.
    #[wasm_bindgen(js_name = mergeVerdicts)]
    pub fn merge_verdicts(&mut self, i: usize, part: &[u8]) -> Result<Option<Vec<u8>>, JsValue> {
        self.read_opt_outs()?;
        let part = crate::parallel::decode_scrub_rows(part);
        let (verdicts, progress) = self
            .job
            .merge_verdicts(&self.src, i, part)
            .map_err(to_js_error)?;
        self.report_progress(progress);
        Ok(verdicts)
    }

    /// Hands what the outputs hold so far (the header rows) to their callbacks, so that
    /// rows written elsewhere can follow them.
    #[wasm_bindgen(js_name = flushOutputs)]
    pub fn flush_outputs(&mut self) -> Result<(), JsValue> {
        self.cleaned.flush().map_err(|e| to_js_error(e.into()))?;
        self.removed.flush().map_err(|e| to_js_error(e.into()))
    }

    /// Scrubs from part `i` to the end here, in one piece.
    #[wasm_bindgen(js_name = scrubRest)]
    pub fn scrub_rest(&mut self, i: usize) -> Result<(), JsValue> {
        self.read_opt_outs()?;
        self.job
            .scrub_rest(&self.src, i, &mut self.cleaned, &mut self.removed)
            .map_err(to_js_error)
    }

    /// Flushes the outputs and returns the report.
    pub fn finish(&mut self) -> Result<JsValue, JsValue> {
        self.read_opt_outs()?;
        self.flush_outputs()?;
        let mut report = self.job.finish(&self.src).map_err(to_js_error)?;
        report.elapsed_ms = now_ms() - self.started;
        encode(&report)
    }
}

/// Decides parts of a `ParallelScrub` in another worker: `new PartWorker(context)`, then
/// `scan(bytes, last)` gives the bytes to hand to `mergeScan`, and `scrub(bytes, last)`
/// (for `mergeRefusals` / `mergeScrub`) and `write(part, verdicts)` keep their result
/// here and return its length, for `takeResult(out)` to copy out. `bytes` is the part as
/// `parts()` cut it (`last`: the part that runs to the end of the file); the coordinating
/// worker reads it from the file ahead of time, so a part worker never waits for the
/// disk. A part's error travels inside the result.
///
/// The two steps let the page put a result back in the buffer its part came in, which it
/// nearly always fits (a decided part is about the part's size, its written rows less):
/// a new buffer for each result was fresh memory for the kernel to fault in, page by
/// page, in the part worker and again wherever it went (`www/worker.js`).
#[wasm_bindgen]
pub struct PartWorker {
    engine: crate::parallel::PartEngine,
    /// The last `scrub` or `write` result, until `takeResult`: its pieces, in order.
    result: Vec<Vec<u8>>,
}

#[wasm_bindgen]
impl PartWorker {
    /// The part engine for a job's `context()`.
    #[wasm_bindgen(constructor)]
    pub fn new(context: &str) -> Result<PartWorker, JsValue> {
        Ok(PartWorker {
            engine: crate::parallel::PartEngine::new(context).map_err(to_js_error)?,
            result: Vec::new(),
        })
    }

    /// Hashes a part for the report's SHA-256 of the input, on from `state` (from
    /// `ParallelScrub.hashStart()` for part 0, else what this gave for the part before,
    /// perhaps in another part worker); returns the state after it.
    pub fn hash(state: &[u8], bytes: &[u8]) -> Result<Vec<u8>, JsValue> {
        crate::parallel::PartEngine::hash(state, bytes).map_err(to_js_error)
    }

    /// Scans one part.
    pub fn scan(&self, bytes: &[u8], last: bool) -> Vec<u8> {
        self.engine.scan_part_bytes(bytes, last)
    }

    /// Decides one part but for dedupe: the result's length (see `takeResult`).
    pub fn scrub(&mut self, bytes: &[u8], last: bool) -> usize {
        self.result = vec![self.engine.scrub_part_bytes(bytes, last)];
        self.result[0].len()
    }

    /// Writes a decided part's rows with the final reasons `mergeVerdicts` gave. The
    /// result (see `takeResult`) is the cleaned rows' length (8 bytes, little-endian), the
    /// cleaned rows, the removed rows; returns its length.
    pub fn write(&mut self, part: &[u8], verdicts: &[u8]) -> Result<usize, JsValue> {
        let (cleaned, removed) = self
            .engine
            .write_part_bytes(part, verdicts)
            .map_err(to_js_error)?;
        let len = (cleaned.len() as u64).to_le_bytes().to_vec();
        self.result = vec![len, cleaned, removed];
        Ok(self.result.iter().map(Vec::len).sum())
    }

    /// Copies the last `scrub` or `write` result to the start of `out` and lets it go;
    /// a `RangeError` (and the result kept) when `out` is shorter than it.
    #[wasm_bindgen(js_name = takeResult)]
    pub fn take_result(&mut self, out: &Uint8Array) -> Result<(), JsValue> {
        let len: usize = self.result.iter().map(Vec::len).sum();
        if (out.length() as usize) < len {
            return Err(js_sys::RangeError::new(&format!(
                "takeResult: the result is {len} bytes, the buffer {}",
                out.length()
            ))
            .into());
        }
        let mut at = 0;
        for piece in std::mem::take(&mut self.result) {
            out.subarray(at, at + piece.len() as u32).copy_from(&piece);
            at += piece.len() as u32;
        }
        Ok(())
    }
}

fn decode_optional<T: for<'de> Deserialize<'de> + Default>(value: JsValue) -> Result<T, JsValue> {
    if value.is_undefined() || value.is_null() {
        return Ok(T::default());
    }
    serde_wasm_bindgen::from_value(value).map_err(|e| to_js_error(Error::policy(e.to_string())))
}

fn encode<T: Serialize>(value: &T) -> Result<JsValue, JsValue> {
    value
        .serialize(&serde_wasm_bindgen::Serializer::json_compatible())
        .map_err(|e| JsValue::from(js_sys::Error::new(&e.to_string())))
}

/// The one mapping from engine errors to JS: `PhonescrubError` with `kind` and `line`.
fn to_js_error(err: Error) -> JsValue {
    let js = js_sys::Error::new(&err.to_string());
    js.set_name("PhonescrubError");
    let kind = match err.kind() {
        ErrorKind::Policy(_) => "policy",
        ErrorKind::Input { .. } => "input",
        ErrorKind::NeedsModule { .. } => "needs-module",
        _ => "io",
    };
    let _ = Reflect::set(&js, &"kind".into(), &kind.into());
    if let Some(module) = err.needed_module() {
        let _ = Reflect::set(&js, &"module".into(), &module.into());
    }
    if let Some(line) = err.line() {
        let _ = Reflect::set(&js, &"line".into(), &JsValue::from_f64(line as f64));
    }
    js.into()
}

fn now_ms() -> f64 {
    Reflect::get(&js_sys::global(), &"performance".into())
        .ok()
        .and_then(|p| p.dyn_into::<web_sys::Performance>().ok())
        .map_or_else(js_sys::Date::now, |p| p.now())
}

fn local_today() -> Result<crate::Date, JsValue> {
    let now = js_sys::Date::new_0();
    let text = format!(
        "{:04}-{:02}-{:02}",
        now.get_full_year(),
        now.get_month() + 1,
        now.get_date()
    );
    crate::parse_date(&text)
        .ok_or_else(|| js_sys::Error::new("the clock gives no valid date").into())
}

/// A `Blob` or a `Uint8Array`, read a slice at a time.
struct JsReader {
    source: JsSource,
    size: u64,
    offset: u64,
    buffer: Vec<u8>,
    consumed: usize,
}

enum JsSource {
    Blob(web_sys::Blob, web_sys::FileReaderSync),
    Bytes(Uint8Array),
}

impl JsReader {
    fn new(value: JsValue) -> Result<JsReader, JsValue> {
        let (source, size) = if let Some(blob) = value.dyn_ref::<web_sys::Blob>() {
            let reader = web_sys::FileReaderSync::new()?;
            (JsSource::Blob(blob.clone(), reader), blob.size() as u64)
        } else if let Some(bytes) = value.dyn_ref::<Uint8Array>() {
            (JsSource::Bytes(bytes.clone()), u64::from(bytes.length()))
        } else if let Some(buffer) = value.dyn_ref::<js_sys::ArrayBuffer>() {
            let bytes = Uint8Array::new(buffer);
            let size = u64::from(bytes.length());
            (JsSource::Bytes(bytes), size)
        } else {
            return Err(
                js_sys::TypeError::new("expected a File, Blob, Uint8Array or ArrayBuffer").into(),
            );
        };
        Ok(JsReader {
            source,
            size,
            offset: 0,
            buffer: Vec::new(),
            consumed: 0,
        })
    }

    fn fill(&mut self) -> io::Result<()> {
        let end = (self.offset + CHUNK as u64).min(self.size);
        let chunk = match &self.source {
            JsSource::Blob(blob, reader) => {
                read_blob(reader, blob, self.offset as f64, end as f64)?
            }
            JsSource::Bytes(bytes) => bytes.subarray(self.offset as u32, end as u32),
        };
        self.buffer.resize(chunk.length() as usize, 0);
        chunk.copy_to(&mut self.buffer);
        self.offset = end;
        self.consumed = 0;
        Ok(())
    }
}

impl Read for JsReader {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        if self.consumed == self.buffer.len() {
            if self.offset >= self.size {
                return Ok(0);
            }
            self.fill()?;
        }
        let n = out.len().min(self.buffer.len() - self.consumed);
        out[..n].copy_from_slice(&self.buffer[self.consumed..self.consumed + n]);
        self.consumed += n;
        Ok(n)
    }
}

fn js_io_error(err: JsValue) -> io::Error {
    // A File whose file on disk changed or went away since it was chosen.
    let name = Reflect::get(&err, &"name".into())
        .ok()
        .and_then(|n| n.as_string());
    if matches!(name.as_deref(), Some("NotReadableError" | "NotFoundError")) {
        return io::Error::other(crate::input::Unreadable);
    }
    let message = err
        .dyn_ref::<js_sys::Error>()
        .map(|e| String::from(e.message()))
        .unwrap_or_else(|| format!("{err:?}"));
    io::Error::other(format!("reading the file failed: {message}"))
}

/// Output handed to JS in chunks of about 1 MiB (each a fresh `Uint8Array`), so outputs
/// become Blob parts and never sit whole in wasm memory.
struct JsSink {
    callback: Function,
    buffer: Vec<u8>,
}

impl JsSink {
    fn new(callback: Function) -> JsSink {
        JsSink {
            callback,
            buffer: Vec::with_capacity(CHUNK),
        }
    }
}

impl Write for JsSink {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        self.buffer.extend_from_slice(data);
        if self.buffer.len() >= CHUNK {
            self.flush()?;
        }
        Ok(data.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        if !self.buffer.is_empty() {
            let chunk = Uint8Array::from(&self.buffer[..]);
            self.callback
                .call1(&JsValue::NULL, &chunk)
                .map_err(js_io_error)?;
            self.buffer.clear();
        }
        Ok(())
    }
}
