//! The pipeline: records -> verdicts -> writers.
//!
//! Every data row ends in exactly one place, the cleaned output or the removed one, with
//! its source line and every reason that applies; the report's counts add up to the rows
//! read. When consent is checked the input is read twice (see [`Scrubber::run`]) so that
//! an opt-out anywhere in the list wins whatever the row order, without holding the list
//! in memory.

use std::io::{Read, Write};

use phonenumber::country::Id;
use time::Date;

use crate::error::{Error, Result};
use crate::input::{self, Source};
use crate::output::{decimal, CsvOut, RowWriter};
use crate::phone;
use crate::policy::{DateOrder, InvalidNumbers, Mode, OutputFormat, PhoneFormat, Policy};
use crate::protect::{HashColumn, Hasher};
use crate::records::Record;
use crate::report::Report;
use crate::rules::consent::{Consent, ValueTally};
use crate::rules::dedupe::{Dedupe, FastMap, ShortCells};
use crate::rules::suppression::{OptOut, OptOutList, Suppression};
use crate::rules::{dates, retention, Reason, Reasons};
use crate::sheet::{self, PhoneCell};

/// How often (in rows) progress is reported.
pub const PROGRESS_EVERY_ROWS: u64 = 8192;

/// Which read of the input is under way.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Phase {
    /// The first read, collecting numbers that some row refuses.
    Scan,
    /// The read that decides and writes each row.
    Scrub,
}

/// Where a run is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Progress {
    /// The read under way.
    pub phase: Phase,
    /// True when this run reads the input twice (so the scan is the first half).
    pub two_passes: bool,
    /// Data rows read in this phase.
    pub rows: u64,
    /// Input bytes read in this phase.
    pub bytes: u64,
}

/// A configured scrub: a policy, the date ages are measured against, and opt-out lists.
pub struct Scrubber {
    pub(crate) policy: Policy,
    pub(crate) today: Date,
    region: Option<Id>,
    date_order: DateOrder,
    suppression: Suppression,
    hash_key: Option<Vec<u8>>,
    sheet: Option<String>,
}

/// Column positions resolved against one file's header.
pub(crate) struct Plan {
    headers: Vec<String>,
    phone: usize,
    region: Option<usize>,
    consent: Option<usize>,
    consent_date: Option<usize>,
    retention: Option<usize>,
    keep: Vec<usize>,
}

impl Plan {
    fn new(policy: &Policy, headers: Vec<String>) -> Result<Plan> {
        let resolve = |c: &crate::policy::ColumnRef| c.resolve(&headers);
        let phone = resolve(&policy.phone_column)?;
        let region = policy.region_column.as_ref().map(resolve).transpose()?;
        let consent = policy
            .consent
            .as_ref()
            .map(|c| resolve(&c.column))
            .transpose()?;
        let consent_date = policy
            .consent
            .as_ref()
            .and_then(|c| c.date_column.as_ref())
            .map(resolve)
            .transpose()?;
        let retention = policy
            .retention
            .as_ref()
            .map(|r| resolve(&r.column))
            .transpose()?;
        let mut keep = match &policy.keep_columns {
            Some(cols) => cols.iter().map(resolve).collect::<Result<Vec<_>>>()?,
            None => (0..headers.len()).collect(),
        };
        keep.dedup();
        // The cleaned list without its numbers would be no list at all.
        if !keep.contains(&phone) {
            keep.insert(0, phone);
        }
        Ok(Plan {
            headers,
            phone,
            region,
            consent,
            consent_date,
            retention,
            keep,
        })
    }

    pub(crate) fn headers(&self) -> &[String] {
        &self.headers
    }

    fn width(&self) -> usize {
        self.headers.len()
    }
}

/// The outputs of [`scrub_bytes`].
#[derive(Debug)]
pub struct ScrubOutput {
    /// The cleaned CSV.
    pub cleaned: Vec<u8>,
    /// The removed rows, with `line` and `reasons`.
    pub removed: Vec<u8>,
    /// The report.
    pub report: Report,
}

/// Scrubs an in-memory list: the simplest entry point.
///
/// `today` is used when the policy does not set one. Opt-out lists are `(name, bytes)`.
pub fn scrub_bytes(
    policy: Policy,
    today: Date,
    input: &[u8],
    opt_outs: &[(&str, &[u8])],
) -> Result<ScrubOutput> {
    let mut scrubber = Scrubber::new(policy, today)?;
    for (name, bytes) in opt_outs {
        scrubber.add_opt_out_list(name, *bytes)?;
    }
    let mut cleaned = Vec::new();
    let mut removed = Vec::new();
    let report = scrubber.run(&mut || Ok(input), &mut cleaned, &mut removed, &mut |_| {})?;
    Ok(ScrubOutput {
        cleaned,
        removed,
        report,
    })
}

impl Scrubber {
    /// Checks the policy; `today` is used when the policy does not set one.
    pub fn new(policy: Policy, today: Date) -> Result<Scrubber> {
        policy.check()?;
        if policy.output.format == OutputFormat::Xlsx && !cfg!(feature = "sheets") {
            // Before any output or progress, so the page can rerun on the full engine.
            return Err(sheet::needs_sheets("writing .xlsx output"));
        }
        let today = match &policy.today {
            Some(text) => dates::parse_iso(text).ok_or_else(|| Error::policy("bad today"))?,
            None => today,
        };
        let region = policy.default_region.as_deref().and_then(phone::region_id);
        let date_order = policy.effective_date_order();
        Ok(Scrubber {
            policy,
            today,
            region,
            date_order,
            suppression: Suppression::default(),
            hash_key: None,
            sheet: None,
        })
    }

    /// Adds an opt-out (suppression) list: numbers in any format, in any column.
    pub fn add_opt_out_list<R: Read>(&mut self, name: &str, list: R) -> Result<&OptOutList> {
        self.suppression.add_list(name, list, self.region)
    }

    /// Sets the secret key for keyed hashing (`output.hash.keyed`). Never stored in the
    /// policy or the report.
    pub fn set_hash_key(&mut self, key: &[u8]) {
        self.hash_key = Some(key.to_vec());
    }

    /// Chooses the sheet read when the input is a spreadsheet (the first worksheet
    /// otherwise). Not part of the policy: a policy is reused across files.
    pub fn set_sheet(&mut self, name: &str) {
        self.sheet = Some(name.to_string());
    }

    fn hasher(&self) -> Result<Option<(Hasher, HashColumn)>> {
        let Some(options) = &self.policy.output.hash else {
            return match self.hash_key {
                Some(_) => Err(Error::policy(
                    "a hash key was given but the policy has no output.hash",
                )),
                None => Ok(None),
            };
        };
        let key = match (options.keyed, &self.hash_key) {
            (true, Some(key)) if !key.is_empty() => Some(key.as_slice()),
            (true, _) => {
                return Err(Error::policy(
                    "output.hash.keyed needs a key (the CLI's --hash-key-file, the JS API's hashKey); it is never read from the policy",
                ))
            }
            (false, Some(_)) => {
                return Err(Error::policy(
                    "a hash key was given but output.hash.keyed is false: set it to true for keyed (HMAC) hashes",
                ))
            }
            (false, None) => None,
        };
        Ok(Some((Hasher::new(options.target, key), options.column)))
    }

    /// True when the run reads the input twice (consent is checked).
    pub fn needs_two_passes(&self) -> bool {
        self.policy.consent.is_some()
    }

    /// Runs the scrub. `open` gives a fresh reader over the same input each time it is
    /// called: once, or twice when consent is checked (the first read collects the
    /// numbers some row refuses). Outputs stream to `cleaned` and `removed`.
    pub fn run<R: Read>(
        &mut self,
        open: &mut dyn FnMut() -> Result<R>,
        cleaned: &mut dyn Write,
        removed: &mut dyn Write,
        progress: &mut dyn FnMut(Progress),
    ) -> Result<Report> {
        if self.needs_two_passes() {
            self.scan(open()?, progress)?;
        }
        if self.policy.output.format == OutputFormat::Xlsx {
            // A workbook cannot be streamed: scrub to CSV in memory, then convert.
            let (mut cleaned_csv, mut removed_csv) = (Vec::new(), Vec::new());
            let report = self.scrub(open()?, &mut cleaned_csv, &mut removed_csv, progress)?;
            cleaned.write_all(&sheet::csv_to_xlsx(&cleaned_csv, "cleaned", self.today)?)?;
            removed.write_all(&sheet::csv_to_xlsx(&removed_csv, "removed", self.today)?)?;
            return Ok(report);
        }
        self.scrub(open()?, cleaned, removed, progress)
    }

    pub(crate) fn open_source<'a, R: Read + 'a>(&self, input: R) -> Result<(Source<'a>, Plan)> {
        let mut source = input::open_sheet(
            input,
            self.policy.delimiter.map(|d| d as u8),
            true,
            self.sheet.as_deref(),
        )?;
        let header = source.reader.byte_headers()?;
        input::check_header(header)?;
        let headers = header
            .iter()
            .map(|h| String::from_utf8_lossy(h).into_owned())
            .collect();
        let plan = Plan::new(&self.policy, headers)?;
        Ok((source, plan))
    }

    /// What a worker needs to decide parts of this job (see [`crate::parallel::Context`]).
    /// `numbers`: whether the parts get the opt-out lists' numbers (else the merge checks
    /// them: [`Scrubber::apply_opt_outs`]).
    pub(crate) fn context(
        &self,
        headers: &[String],
        sniffed: &input::Sniffed,
        numbers: bool,
    ) -> crate::parallel::Context {
        crate::parallel::Context {
            policy: serde_json::to_string(&self.policy).expect("the policy is plain data"),
            today: self.today.to_string(),
            hash_key: self.hash_key.clone(),
            headers: headers.to_vec(),
            delimiter: sniffed.delimiter,
            bom: sniffed.bom,
            suppression: if numbers {
                self.suppression.export()
            } else {
                self.suppression.export_without_numbers()
            },
        }
    }

    /// The job a [`crate::parallel::Context`] describes, in another worker.
    pub(crate) fn from_context(
        context: crate::parallel::Context,
    ) -> Result<(Scrubber, Plan, input::Sniffed)> {
        let policy = Policy::from_json(&context.policy)?;
        let today = dates::parse_iso(&context.today).ok_or_else(|| Error::policy("bad today"))?;
        let mut scrubber = Scrubber::new(policy, today)?;
        scrubber.hash_key = context.hash_key;
        scrubber.suppression = Suppression::import(context.suppression);
        let plan = scrubber.plan(context.headers)?;
        let sniffed = input::Sniffed {
            encoding: "UTF-8",
            delimiter: context.delimiter,
            bom: context.bom,
            format: "csv",
            sheet: None,
            sheets: Vec::new(),
        };
        Ok((scrubber, plan, sniffed))
    }

    /// The column plan for a file with these headers.
    pub(crate) fn plan(&self, headers: Vec<String>) -> Result<Plan> {
        Plan::new(&self.policy, headers)
    }

    fn row_region(&self, record: &Record, plan: &Plan, cache: &mut RegionCache) -> Option<Id> {
        plan.region
            .and_then(|i| record.get(i))
            .and_then(|cell| cache.lookup(cell))
            .or(self.region)
    }

    /// The first read when consent is checked: every number some row refuses.
    fn scan<R: Read>(&mut self, input: R, progress: &mut dyn FnMut(Progress)) -> Result<()> {
        if self.policy.consent.is_none() {
            return Ok(());
        }
        let (mut source, plan) = self.open_source(input)?;
        // The report's digest comes from the second read; hashing this one is wasted work.
        source.stop_hashing();
        let mut part = ScanPart::default();
        let result = {
            let mut rows = ScanRows {
                eval: ScanEval::new(self, &plan, source.from_sheet()),
                part: &mut part,
                progress,
            };
            read_rows(&mut source, true, &mut rows)
        };
        self.note_refusals(&part);
        result.map(|_| ())
    }

    /// Adds the refusals a scan (of the whole list or of one part) found.
    pub(crate) fn note_refusals(&mut self, part: &ScanPart) {
        for &key in &part.refusals {
            self.suppression.note_refusal(key);
        }
    }

    /// Adds the refusals of rows decided before any refusal was known: the one-read form
    /// of the scan ([`crate::parallel::Coordinator::merge_refusals`]). A row refuses when
    /// it has a valid number and `no_consent`, as the scan has it.
    pub(crate) fn note_row_refusals(&mut self, part: &ScrubPart) {
        for row in &part.rows {
            if row.key != 0 && row.reasons.contains(Reason::NoConsent) {
                self.suppression.note_refusal(row.key);
            }
        }
    }

    /// Gives rows decided before the refusals were known, from a context without the
    /// opt-out lists' numbers, the `opted_out` that the lists and the refusals make:
    /// what [`Suppression::check`] gives a row once both are known (a row that has
    /// `opted_out` already keeps it). `digests`: the lists' digests too (those read after
    /// the part's context was made); the lists' matches are counted into the part.
    pub(crate) fn apply_opt_outs(&self, part: &mut ScrubPart, digests: bool) {
        part.matched.resize(self.suppression.lists().len(), 0);
        // Digests are looked for whatever the number; else a number neither listed nor
        // refused (nearly every one) is told by one test.
        let digests = digests && self.suppression.has_digests();
        for row in &mut part.rows {
            if row.key == 0
                || row.reasons.contains(Reason::OptedOut)
                || (!digests && !self.suppression.may_hold(row.key))
            {
                continue;
            }
            if let Some(list) = self.suppression.listed_on(row.key, digests) {
                part.matched[list] += 1;
                row.reasons.insert(Reason::OptedOut);
            } else if self
                .suppression
                .is_refused(row.key, row.reasons.contains(Reason::NoConsent))
            {
                row.reasons.insert(Reason::OptedOut);
            }
        }
    }

    /// True when an opt-out list read so far holds SHA-256 digests.
    pub(crate) fn has_opt_out_digests(&self) -> bool {
        self.suppression.has_digests()
    }

    /// The read that decides and writes each row.
    fn scrub<'w, R: Read>(
        &mut self,
        input: R,
        cleaned: &'w mut dyn Write,
        removed: &'w mut dyn Write,
        progress: &mut dyn FnMut(Progress),
    ) -> Result<Report> {
        let (mut source, plan) = self.open_source(input)?;
        let mut merger = self.merger(&plan, cleaned, removed)?;
        let mut part = ScrubPart {
            matched: vec![0; self.suppression.lists().len()],
            ..ScrubPart::default()
        };
        let result = {
            let mut rows = ScrubRows {
                eval: RowEval::new(self, &plan, source.from_sheet())?,
                part: &mut part,
                merger: &mut merger,
                cleaned: &mut *cleaned,
                removed: &mut *removed,
                progress,
            };
            read_rows(&mut source, true, &mut rows)
        };
        // Rows read before an error are written, as they would be row by row.
        merger.merge(&part, 0, cleaned, removed)?;
        result?;
        cleaned.flush()?;
        removed.flush()?;
        let sha = source.sha256_hex();
        self.finish_scrub(&plan, &source.sniffed, merger, source.bytes_read(), sha)
    }

    /// Writes both outputs' header rows and returns the merger that writes their rows.
    pub(crate) fn merger(
        &self,
        plan: &Plan,
        cleaned: &mut dyn Write,
        removed: &mut dyn Write,
    ) -> Result<Merger> {
        let out = &self.policy.output;
        let style = self.row_style();
        let hashing = self.hasher()?;
        // An .xlsx output stores every cell as text: no formula quoting, no BOM.
        let bom = out.format == OutputFormat::Csv && out.bom;
        let mut clean_out = CsvOut::new(&mut *cleaned, style.quote, bom)?;
        let mut removed_out = CsvOut::new(&mut *removed, style.quote, bom)?;
        for &i in &plan.keep {
            clean_out.field(plan.headers[i].as_bytes())?;
            removed_out.field(plan.headers[i].as_bytes())?;
            if let (true, Some((hasher, HashColumn::Add))) = (i == plan.phone, &hashing) {
                clean_out.field(hasher.column_name().as_bytes())?;
            }
        }
        if style.flag {
            clean_out.field(b"scrub_status")?;
        }
        removed_out.field(b"line")?;
        removed_out.field(b"reasons")?;
        clean_out.end_row()?;
        removed_out.end_row()?;
        clean_out.finish()?;
        removed_out.finish()?;
        Ok(Merger {
            style,
            dedupe_on: self.policy.dedupe,
            dedupe: Dedupe::default(),
            kept_ahead: 0,
            sets: Box::new([0; REASON_SETS]),
            consent: self.policy.consent.as_ref().map(Consent::new),
            matched: vec![0; self.suppression.lists().len()],
            rows_read: 0,
            rows_kept: 0,
            rows_removed: 0,
            rows_flagged: 0,
            invalid_kept: 0,
        })
    }

    /// The report of a finished scrub.
    pub(crate) fn finish_scrub(
        &mut self,
        plan: &Plan,
        sniffed: &input::Sniffed,
        merger: Merger,
        input_bytes: u64,
        input_sha256: String,
    ) -> Result<Report> {
        self.suppression.add_matches(&merger.matched);
        let (consent_values, consent_other_values_rows) = merger
            .consent
            .as_ref()
            .map(|c| c.values_seen())
            .unwrap_or_default();
        let kept_names: Vec<String> = plan.keep.iter().map(|&i| plan.headers[i].clone()).collect();
        let dropped = (0..plan.width())
            .filter(|i| !plan.keep.contains(i))
            .map(|i| plan.headers[i].clone())
            .collect();
        let mut policy = self.policy.clone();
        policy.today = Some(self.today.to_string());
        Ok(Report {
            engine_version: crate::VERSION,
            rows_read: merger.rows_read,
            rows_kept: merger.rows_kept,
            rows_removed: merger.rows_removed,
            rows_flagged: merger.rows_flagged,
            invalid_kept: merger.invalid_kept,
            reasons: merger.reason_counts(),
            distinct_numbers: merger.dedupe.len() as u64 + merger.kept_ahead,
            encoding: sniffed.encoding.to_string(),
            delimiter: char::from(sniffed.delimiter).to_string(),
            format: sniffed.format.to_string(),
            sheet: sniffed.sheet.clone(),
            columns: plan.headers.clone(),
            columns_kept: kept_names,
            columns_dropped: dropped,
            input_bytes,
            input_sha256,
            consent_values,
            consent_other_values_rows,
            opt_out_lists: self.suppression.lists().to_vec(),
            today: self.today.to_string(),
            policy,
            elapsed_ms: 0.0,
        })
    }
}

/// What is done with each record [`read_rows`] reads.
trait Rows {
    /// One checked record and the source line it starts on.
    fn row(&mut self, record: &Record, line: u64) -> Result<()>;
    /// Called every [`PROGRESS_EVERY_ROWS`] rows and once at the end (`done`).
    fn batch(&mut self, _source: &Source<'_>, _rows: u64, _done: bool) -> Result<()> {
        Ok(())
    }
}

/// Reads every record of `source` (a whole input, or a part from [`input::open_part`])
/// into `rows`. For a part that is not the last, returns whether the part ended between
/// records (its sentinel read as a record of its own); otherwise true.
fn read_rows(source: &mut Source<'_>, last: bool, rows: &mut dyn Rows) -> Result<bool> {
    let mut record = Record::new();
    let mut count = 0u64;
    let mut complete = last;
    while source.reader.read_byte_record(&mut record)? {
        if !last && record.len() == 1 && &record[0] == input::PART_SENTINEL {
            complete = true;
            continue;
        }
        count += 1;
        let line = source.line_of(&record);
        input::check_record(&record, line)?;
        rows.row(&record, line)?;
        if count % PROGRESS_EVERY_ROWS == 0 {
            rows.batch(source, count, false)?;
        }
    }
    rows.batch(source, count, true)?;
    Ok(complete)
}

/// The refusals one read (of a whole list, or of one part) found. Opaque outside the
/// engine: it goes from a part worker to the merge ([`crate::parallel`]).
#[derive(Debug, Default)]
pub struct ScanPart {
    /// E.164 keys of valid numbers on rows without consent, one per such row.
    pub(crate) refusals: Vec<u64>,
    /// Line ends in the part.
    pub(crate) lines: u64,
    /// False when the part's end fell inside a record (see [`read_rows`]).
    pub(crate) complete: bool,
    /// Data rows read.
    pub(crate) rows: u64,
}

/// The scan's test of one row.
pub(crate) struct ScanEval<'a> {
    scrubber: &'a Scrubber,
    plan: &'a Plan,
    consent: Consent,
    consent_col: usize,
    regions: RegionCache,
    from_sheet: bool,
}

impl<'a> ScanEval<'a> {
    pub(crate) fn new(scrubber: &'a Scrubber, plan: &'a Plan, from_sheet: bool) -> ScanEval<'a> {
        let rule = scrubber
            .policy
            .consent
            .as_ref()
            .expect("a scan checks consent");
        ScanEval {
            scrubber,
            plan,
            consent: Consent::new(rule),
            consent_col: plan.consent.expect("consent column resolved with the rule"),
            regions: RegionCache::default(),
            from_sheet,
        }
    }

    fn row(&mut self, record: &Record, part: &mut ScanPart) {
        if record.len() != self.plan.width()
            || self.consent.is_granted(&text(record, self.consent_col))
        {
            return;
        }
        let region = self
            .scrubber
            .row_region(record, self.plan, &mut self.regions);
        let cell = text(record, self.plan.phone);
        if let PhoneCell::Valid(n) = sheet::read_phone(&cell, region, self.from_sheet) {
            part.refusals.push(n.key());
        }
    }
}

struct ScanRows<'a, 'p> {
    eval: ScanEval<'a>,
    part: &'p mut ScanPart,
    progress: &'p mut dyn FnMut(Progress),
}

impl Rows for ScanRows<'_, '_> {
    fn row(&mut self, record: &Record, _line: u64) -> Result<()> {
        self.eval.row(record, self.part);
        Ok(())
    }

    fn batch(&mut self, source: &Source<'_>, rows: u64, _done: bool) -> Result<()> {
        (self.progress)(Progress {
            phase: Phase::Scan,
            two_passes: true,
            rows,
            bytes: source.bytes_read(),
        });
        Ok(())
    }
}

/// Scans one part of a list read in parallel: `bytes` start at a line start; `last` says
/// whether they run to the end of the file. Errors carry lines counted from the part's
/// start.
pub(crate) fn scan_part(
    scrubber: &Scrubber,
    plan: &Plan,
    sniffed: &input::Sniffed,
    bytes: &[u8],
    last: bool,
) -> Result<ScanPart> {
    let mut source = input::open_part(bytes, sniffed, last);
    let mut part = ScanPart::default();
    struct Part<'a, 'p>(ScanEval<'a>, &'p mut ScanPart);
    impl Rows for Part<'_, '_> {
        fn row(&mut self, record: &Record, _line: u64) -> Result<()> {
            self.1.rows += 1;
            self.0.row(record, self.1);
            Ok(())
        }
    }
    part.complete = read_rows(
        &mut source,
        last,
        &mut Part(ScanEval::new(scrubber, plan, false), &mut part),
    )?;
    part.lines = source.lines_seen();
    Ok(part)
}

/// Scans from a part's start to the end of the file in one piece (after a part that
/// ended inside a record); lines count from that start.
pub(crate) fn scan_part_reader<R: Read>(
    scrubber: &Scrubber,
    plan: &Plan,
    sniffed: &input::Sniffed,
    reader: R,
) -> Result<ScanPart> {
    let mut source = input::open_part(reader, sniffed, true);
    let mut part = ScanPart::default();
    let mut progress = |_| {};
    read_rows(
        &mut source,
        true,
        &mut ScanRows {
            eval: ScanEval::new(scrubber, plan, false),
            part: &mut part,
            progress: &mut progress,
        },
    )?;
    part.complete = true;
    Ok(part)
}

/// Scrubs from a part's start to the end of the file in one piece, merging as it goes;
/// `lines` are the line ends before that start.
pub(crate) fn scrub_rest_reader<R: Read>(
    scrubber: &Scrubber,
    plan: &Plan,
    sniffed: &input::Sniffed,
    reader: R,
    merger: &mut Merger,
    lines: u64,
    (cleaned, removed): (&mut dyn Write, &mut dyn Write),
) -> Result<()> {
    let mut source = input::open_part(reader, sniffed, true);
    let mut part = ScrubPart {
        matched: vec![0; scrubber.suppression.lists().len()],
        ..ScrubPart::default()
    };
    struct Rest<'a, 'p> {
        eval: RowEval<'a>,
        part: &'p mut ScrubPart,
        merger: &'p mut Merger,
        lines: u64,
        cleaned: &'p mut dyn Write,
        removed: &'p mut dyn Write,
    }
    impl Rows for Rest<'_, '_> {
        fn row(&mut self, record: &Record, line: u64) -> Result<()> {
            self.eval.row(record, line, self.part)
        }

        fn batch(&mut self, _source: &Source<'_>, _rows: u64, _done: bool) -> Result<()> {
            self.merger
                .merge(self.part, self.lines, self.cleaned, self.removed)?;
            self.part.clear();
            Ok(())
        }
    }
    let result = read_rows(
        &mut source,
        true,
        &mut Rest {
            eval: RowEval::new(scrubber, plan, false)?,
            part: &mut part,
            merger: &mut *merger,
            lines,
            cleaned: &mut *cleaned,
            removed: &mut *removed,
        },
    );
    merger.merge(&part, lines, cleaned, removed)?;
    result.map(|_| ())
}

/// One row's verdict before dedupe: what the merge needs besides the row's bytes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct RowMeta {
    /// The source line (counted from the part's start in a part).
    pub(crate) line: u64,
    /// The E.164 key of its valid number; 0 when it has none.
    pub(crate) key: u64,
    /// Every reason but `duplicate`.
    pub(crate) reasons: Reasons,
    /// Bytes of the row as written (its kept fields, without the line end).
    pub(crate) len: u32,
    /// Bytes of its removed form, which follows when it differs (a hashed row that may
    /// yet turn out a duplicate); else 0.
    pub(crate) alt: u32,
}

/// The room a part's rows and written bytes are given at once ([`scrub_part`]).
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct PartRoom {
    pub(crate) rows: usize,
    pub(crate) bytes: usize,
}

/// Rows decided but for dedupe, ready to merge: a part read in parallel, or a batch.
/// Opaque outside the engine ([`crate::parallel`]).
#[derive(Debug, Default)]
pub struct ScrubPart {
    pub(crate) rows: Vec<RowMeta>,
    pub(crate) bytes: Vec<u8>,
    pub(crate) invalid_kept: u64,
    /// Rows matched by each opt-out list.
    pub(crate) matched: Vec<u64>,
    pub(crate) values: ValueTally,
    /// Line ends in the part.
    pub(crate) lines: u64,
    /// False when the part's end fell inside a record (see [`read_rows`]).
    pub(crate) complete: bool,
}

impl ScrubPart {
    fn clear(&mut self) {
        self.rows.clear();
        self.bytes.clear();
        self.invalid_kept = 0;
        self.matched.iter_mut().for_each(|n| *n = 0);
        self.values.clear();
    }
}

/// Everything about one row that does not depend on the rows before it.
pub(crate) struct RowEval<'a> {
    scrubber: &'a Scrubber,
    plan: &'a Plan,
    consent: Option<Consent>,
    regions: RegionCache,
    hashing: Option<(Hasher, HashColumn)>,
    flag: bool,
    keep_invalid: bool,
    from_sheet: bool,
    render: RowWriter,
}

impl<'a> RowEval<'a> {
    pub(crate) fn new(
        scrubber: &'a Scrubber,
        plan: &'a Plan,
        from_sheet: bool,
    ) -> Result<RowEval<'a>> {
        let out = &scrubber.policy.output;
        let csv = out.format == OutputFormat::Csv;
        let render = RowWriter::new(csv && out.formula_safe);
        Ok(RowEval {
            scrubber,
            plan,
            consent: scrubber.policy.consent.as_ref().map(Consent::new),
            regions: RegionCache::default(),
            hashing: scrubber.hasher()?,
            flag: scrubber.policy.mode == Mode::Flag,
            keep_invalid: scrubber.policy.invalid_numbers == InvalidNumbers::Keep,
            from_sheet,
            render,
        })
    }

    fn row(&mut self, record: &Record, line: u64, part: &mut ScrubPart) -> Result<()> {
        let s = self.scrubber;
        let plan = self.plan;
        let mut reasons = Reasons::default();
        let mut number = None;
        if record.len() != plan.width() {
            reasons.insert(Reason::MalformedRow);
        } else {
            let region = s.row_region(record, plan, &mut self.regions);
            let cell = text(record, plan.phone);
            match sheet::read_phone(&cell, region, self.from_sheet) {
                PhoneCell::Valid(n) => number = Some(n),
                _ if self.keep_invalid => part.invalid_kept += 1,
                PhoneCell::Missing => reasons.insert(Reason::MissingNumber),
                PhoneCell::Invalid => reasons.insert(Reason::InvalidNumber),
                PhoneCell::Mangled => reasons.insert(Reason::MangledNumber),
            }
            let mut refuses = false;
            if let (Some(rule), Some(col)) = (&self.consent, plan.consent) {
                let cell = text(record, col);
                if !part.values.record_granted(&cell, rule) {
                    refuses = true;
                    reasons.insert(Reason::NoConsent);
                }
                let date = plan.consent_date.map(|c| text(record, c));
                if rule.is_expired(date.as_deref(), s.today, s.date_order) {
                    reasons.insert(Reason::ConsentExpired);
                }
            }
            if let Some(n) = &number {
                match s.suppression.check(n.key(), refuses) {
                    Some(OptOut::Listed(list)) => {
                        part.matched[list] += 1;
                        reasons.insert(Reason::OptedOut);
                    }
                    Some(OptOut::Refused) => reasons.insert(Reason::OptedOut),
                    None => {}
                }
            }
            if let (Some(rule), Some(col)) = (&s.policy.retention, plan.retention) {
                if retention::is_expired(
                    &text(record, col),
                    rule.max_age_days,
                    s.today,
                    s.date_order,
                ) {
                    reasons.insert(Reason::RetentionExpired);
                }
            }
        }
        let mut e164 = [0; 21];
        let formatted = number
            .as_ref()
            .filter(|_| s.policy.output.phone_format != PhoneFormat::Original)
            .map(|n| n.format_in(s.policy.output.phone_format, &mut e164));
        // A row that passes every rule goes to the cleaned list unless it turns out a
        // duplicate; one that does not goes to the removed list (in flag mode, every row
        // to the cleaned list). Hashes go to the cleaned list only (the removed list is
        // the owner's audit file), so a hashed row that may yet be a duplicate is written
        // both ways.
        let to_cleaned = self.flag || reasons.is_empty();
        let hash = self
            .hashing
            .as_ref()
            .filter(|_| to_cleaned)
            .map(|(hasher, column)| (number.as_ref().map(|n| hasher.hash(n.key())), *column));
        let start = part.bytes.len();
        self.render_row(record, formatted.as_deref(), hash.as_ref(), &mut part.bytes)?;
        let len = part.bytes.len() - start;
        let alt = if hash.is_some() && !self.flag {
            self.render_row(record, formatted.as_deref(), None, &mut part.bytes)?;
            part.bytes.len() - start - len
        } else {
            0
        };
        part.rows.push(RowMeta {
            line,
            key: number.as_ref().map_or(0, |n| n.key()),
            reasons,
            len: len as u32,
            alt: alt as u32,
        });
        Ok(())
    }

    /// Appends the row's kept fields to `out`, without the line end.
    fn render_row(
        &mut self,
        record: &Record,
        formatted: Option<&str>,
        hash: Option<&(Option<String>, HashColumn)>,
        out: &mut Vec<u8>,
    ) -> Result<()> {
        let target = &mut self.render;
        target.begin(out);
        for &i in &self.plan.keep {
            let cell = record.get(i).unwrap_or(b"");
            if i != self.plan.phone {
                target.field(out, cell);
                continue;
            }
            let shown = formatted.map_or(cell, str::as_bytes);
            match hash {
                None => target.field(out, shown),
                // A number that is not valid has no hash: its cell stays empty rather
                // than leak the raw text into a hashed export.
                Some((digest, HashColumn::Replace)) => {
                    target.field(out, digest.as_deref().unwrap_or("").as_bytes())
                }
                Some((digest, HashColumn::Add)) => {
                    target.field(out, shown);
                    target.field(out, digest.as_deref().unwrap_or("").as_bytes());
                }
            }
        }
        target.end(out);
        Ok(())
    }
}

struct ScrubRows<'a, 'p> {
    eval: RowEval<'a>,
    part: &'p mut ScrubPart,
    merger: &'p mut Merger,
    cleaned: &'p mut dyn Write,
    removed: &'p mut dyn Write,
    progress: &'p mut dyn FnMut(Progress),
}

impl Rows for ScrubRows<'_, '_> {
    fn row(&mut self, record: &Record, line: u64) -> Result<()> {
        self.eval.row(record, line, self.part)
    }

    fn batch(&mut self, source: &Source<'_>, rows: u64, _done: bool) -> Result<()> {
        self.merger
            .merge(self.part, 0, self.cleaned, self.removed)?;
        self.part.clear();
        (self.progress)(Progress {
            phase: Phase::Scrub,
            two_passes: self.eval.scrubber.needs_two_passes(),
            rows,
            bytes: source.bytes_read(),
        });
        Ok(())
    }
}

/// Decides one part of a list read in parallel but for dedupe (see [`scan_part`]).
/// `room` is what the part's rows and written bytes are expected to need (see
/// [`crate::parallel::PartEngine::scrub_part`]): given at once, they are not grown (and
/// copied) again and again as the part is read.
pub(crate) fn scrub_part(
    scrubber: &Scrubber,
    plan: &Plan,
    sniffed: &input::Sniffed,
    bytes: &[u8],
    last: bool,
    room: PartRoom,
) -> Result<ScrubPart> {
    let mut source = input::open_part(bytes, sniffed, last);
    let mut part = ScrubPart {
        matched: vec![0; scrubber.suppression.lists().len()],
        rows: Vec::with_capacity(room.rows),
        bytes: Vec::with_capacity(room.bytes),
        ..ScrubPart::default()
    };
    struct Part<'a, 'p>(RowEval<'a>, &'p mut ScrubPart);
    impl Rows for Part<'_, '_> {
        fn row(&mut self, record: &Record, line: u64) -> Result<()> {
            self.0.row(record, line, self.1)
        }
    }
    part.complete = read_rows(
        &mut source,
        last,
        &mut Part(RowEval::new(scrubber, plan, false)?, &mut part),
    )?;
    part.lines = source.lines_seen();
    Ok(part)
}

/// Writes decided rows in list order: dedupe (a number is kept once, in its first kept
/// row), the counts, and the `line`/`reasons` (or `scrub_status`) fields.
pub(crate) struct Merger {
    style: RowStyle,
    dedupe_on: bool,
    dedupe: Dedupe,
    /// Rows by their set of reasons (its bits): one count a row, spread over the
    /// reasons for the report ([`Merger::reason_counts`]). Counting each reason in a map
    /// of their codes was a quarter of the verdicts' time in wasm (Node, the bench list:
    /// 47 -> 35 ms without it).
    sets: Box<[u64; REASON_SETS]>,
    consent: Option<Consent>,
    matched: Vec<u64>,
    pub(crate) rows_read: u64,
    rows_kept: u64,
    rows_removed: u64,
    rows_flagged: u64,
    invalid_kept: u64,
    /// Numbers kept by rows whose dedupe was worked out ahead ([`DedupeAhead`]).
    kept_ahead: u64,
}

/// Every set of reasons a row can have (see [`Reasons::bits`]).
const REASON_SETS: usize = 1 << Reason::ALL.len();

impl Merger {
    /// The rows each reason applies to, by its code.
    fn reason_counts(&self) -> std::collections::BTreeMap<&'static str, u64> {
        let mut counts = Report::reason_counts();
        for (bits, &rows) in self.sets.iter().enumerate() {
            if rows == 0 {
                continue;
            }
            let bits = u16::try_from(bits).expect("a set of reasons fits in 16 bits");
            for reason in Reasons::from_bits(bits).iter() {
                *counts
                    .get_mut(reason.code())
                    .expect("every code is counted") += rows;
            }
        }
        counts
    }
}

/// Where a row stood for dedupe before the opt-outs were known ([`DedupeAhead`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Ahead {
    /// No valid number.
    NoNumber,
    /// Passed every rule, the first such row with its number.
    FirstClean,
    /// Passed every rule, after such a row with its number.
    LaterClean,
    /// Failed a rule, after a row with its number that passed every rule.
    AfterClean,
    /// Failed a rule, before any row with its number passed every rule.
    BeforeClean,
}

/// The numbers a list read once is expected to keep, from its first part of `parts`
/// (the parts are cut at the same size): what [`DedupeAhead`] makes room for at once.
/// Growing the set as it filled took half of its time (43 against 21 ns a number in a
/// native microbenchmark: a million keys, 644,133 of them distinct). Capped at [`EXPECTED_NUMBERS_MAX`],
/// so that a first part unlike the rest cannot take more memory than the bound the set
/// keeps to.
fn expected_numbers(part: &ScrubPart, parts: usize) -> usize {
    let clean = part
        .rows
        .iter()
        .filter(|row| row.key != 0 && row.reasons.is_empty())
        .count();
    // A little over, for parts with more numbers than the first.
    (clean + clean / 8)
        .saturating_mul(parts)
        .min(EXPECTED_NUMBERS_MAX)
}

/// The most numbers [`expected_numbers`] makes room for ahead: 16 MiB of the set.
const EXPECTED_NUMBERS_MAX: usize = 1_600_000;

/// Dedupe worked out for a list read once while its parts are still being decided
/// ([`crate::parallel::Coordinator::merge_refusals`], in order), so that the in-order
/// pass at the end ([`Merger::verdicts`]) need not touch the dedupe set: that pass
/// spent 44% of its time there (Node profile, the bench list).
///
/// The opt-outs are not known then, but they do not change the answer. They apply to a
/// number, on all its rows: a number on a list is `opted_out` on every row; a number some
/// row refuses is `no_consent` on that row and `opted_out` on every other (a row's own
/// refusal alone does not opt it out). So a number either has a row with `opted_out` or
/// `no_consent` and then no row of it is kept and none is a duplicate, or none of its rows
/// gained a reason since they were decided, and the first of its rows that passed every
/// rule is the one kept, as worked out here.
#[derive(Debug, Default)]
pub(crate) struct DedupeAhead {
    seen: Dedupe,
    parts: Vec<Vec<Ahead>>,
}

impl DedupeAhead {
    /// Notes the next part's rows (parts in order, decided before the opt-outs), of
    /// `parts` in all.
    pub(crate) fn add(&mut self, part: &ScrubPart, parts: usize) {
        if self.parts.is_empty() {
            self.seen.reserve(expected_numbers(part, parts));
        }
        let mut marks = Vec::with_capacity(part.rows.len());
        // 256 rows at a time, their numbers' slots touched first so that the memory
        // fetches them together ([`Dedupe::touch`]): in wasm (Node, the bench list) this
        // merge's share of the work went from 81 to 68 ms a million rows, where natively
        // the CPU overlaps the look-ups by itself.
        for rows in part.rows.chunks(256) {
            for row in rows {
                if row.key != 0 {
                    self.seen.touch(row.key);
                }
            }
            marks.extend(
                rows.iter()
                    .map(|row| match (row.key, row.reasons.is_empty()) {
                        (0, _) => Ahead::NoNumber,
                        (key, true) if self.seen.keep(key) => Ahead::FirstClean,
                        (_, true) => Ahead::LaterClean,
                        (key, false) if self.seen.is_duplicate(key) => Ahead::AfterClean,
                        (_, false) => Ahead::BeforeClean,
                    }),
            );
        }
        self.parts.push(marks);
    }

    /// Part `i`'s marks (once: they are given up).
    pub(crate) fn take(&mut self, i: usize) -> Option<Vec<Ahead>> {
        self.parts.get_mut(i).map(std::mem::take)
    }

    /// Parts noted so far.
    pub(crate) fn parts(&self) -> usize {
        self.parts.len()
    }

    /// Frees the numbers seen (once every part is noted).
    pub(crate) fn done(&mut self) {
        self.seen = Dedupe::default();
    }
}

impl Merger {
    /// Writes a part's rows; `lines` is added to their lines (the line ends before the
    /// part, for a part read on its own).
    pub(crate) fn merge(
        &mut self,
        part: &ScrubPart,
        lines: u64,
        cleaned: &mut dyn Write,
        removed: &mut dyn Write,
    ) -> Result<()> {
        self.merge_ahead(part, None, lines, cleaned, removed)
    }

    /// [`Merger::merge`] with the part's dedupe worked out ahead ([`DedupeAhead`]).
    pub(crate) fn merge_ahead(
        &mut self,
        part: &ScrubPart,
        ahead: Option<&[Ahead]>,
        lines: u64,
        cleaned: &mut dyn Write,
        removed: &mut dyn Write,
    ) -> Result<()> {
        let verdicts = self.verdicts(part, ahead);
        write_rows(
            &part.rows,
            &part.bytes,
            &verdicts,
            lines,
            self.style,
            cleaned,
            removed,
        )
    }

    /// Each row's final reasons, in list order: dedupe (a number is kept once, in its first
    /// kept row) and every count of the report. [`write_rows`] then writes the rows with
    /// them, here or in another worker. `ahead`: the part's dedupe worked out ahead, one
    /// mark a row ([`DedupeAhead`]; its rows are then every row of the part).
    pub(crate) fn verdicts(&mut self, part: &ScrubPart, ahead: Option<&[Ahead]>) -> Vec<Reasons> {
        let mut verdicts = Vec::with_capacity(part.rows.len());
        if let Some(marks) = ahead {
            assert_eq!(marks.len(), part.rows.len(), "one mark a row");
        }
        for (j, row) in part.rows.iter().enumerate() {
            self.rows_read += 1;
            let mut reasons = row.reasons;
            if let Some(marks) = ahead {
                let opted_out =
                    reasons.contains(Reason::OptedOut) || reasons.contains(Reason::NoConsent);
                match marks[j] {
                    _ if opted_out => {}
                    Ahead::FirstClean => self.kept_ahead += 1,
                    Ahead::LaterClean | Ahead::AfterClean if self.dedupe_on => {
                        reasons.insert(Reason::Duplicate)
                    }
                    _ => {}
                }
            } else if row.key != 0 {
                if reasons.is_empty() {
                    // A row that passes every rule keeps its number unless an earlier
                    // row did.
                    if !self.dedupe.keep(row.key) && self.dedupe_on {
                        reasons.insert(Reason::Duplicate);
                    }
                } else if self.dedupe_on && self.dedupe.is_duplicate(row.key) {
                    reasons.insert(Reason::Duplicate);
                }
            }
            // (Bits of no reason, which a damaged part result could hold, are ignored,
            // as `Reasons::iter` ignores them.)
            self.sets[usize::from(reasons.bits()) & (REASON_SETS - 1)] += 1;
            if self.style.flag || reasons.is_empty() {
                self.rows_kept += 1;
                if self.style.flag && !reasons.is_empty() {
                    self.rows_flagged += 1;
                }
            } else {
                self.rows_removed += 1;
            }
            verdicts.push(reasons);
        }
        self.invalid_kept += part.invalid_kept;
        // (Lists read after this merger was made: see `Coordinator::add_opt_out_list`.)
        if self.matched.len() < part.matched.len() {
            self.matched.resize(part.matched.len(), 0);
        }
        for (sum, n) in self.matched.iter_mut().zip(&part.matched) {
            *sum += n;
        }
        if let Some(consent) = &mut self.consent {
            consent.record_values(&part.values);
        }
        verdicts
    }
}

/// How decided rows are written: flag mode (every row to the cleaned list, with its
/// status) and whether every field is quoted (formula-safe CSV).
#[derive(Clone, Copy, Debug)]
pub(crate) struct RowStyle {
    pub(crate) flag: bool,
    pub(crate) quote: bool,
}

impl Scrubber {
    /// How this job's rows are written (by its [`Merger`], or by a part worker).
    pub(crate) fn row_style(&self) -> RowStyle {
        let out = &self.policy.output;
        RowStyle {
            flag: self.policy.mode == Mode::Flag,
            quote: out.format == OutputFormat::Csv && out.formula_safe,
        }
    }
}

/// Writes a part's rows with their final reasons (see [`Merger::verdicts`]): to the
/// cleaned list with a status in flag mode, else kept rows to the cleaned list and the
/// others to the removed list with their line (`lines` is added: the line ends before the
/// part) and reasons.
///
/// Generic over the outputs: a part worker writes into `Vec`s, where the calls (a few a
/// row) then inline; the reason codes are joined once per distinct set, and line numbers
/// written without allocating.
pub(crate) fn write_rows<C: Write + ?Sized, R: Write + ?Sized>(
    rows: &[RowMeta],
    bytes: &[u8],
    verdicts: &[Reasons],
    lines: u64,
    style: RowStyle,
    cleaned: &mut C,
    removed: &mut R,
) -> Result<()> {
    if verdicts.len() != rows.len() {
        return Err(Error::input("a part's verdicts do not match its rows"));
    }
    // The few distinct reason sets a part has, each joined once.
    let mut joined: Vec<(Reasons, String)> = Vec::new();
    fn codes(joined: &mut Vec<(Reasons, String)>, reasons: Reasons) -> &[u8] {
        let i = match joined.iter().position(|(r, _)| *r == reasons) {
            Some(i) => i,
            None => {
                joined.push((reasons, reasons.joined()));
                joined.len() - 1
            }
        };
        joined[i].1.as_bytes()
    }
    let mut at = 0;
    for (row, &reasons) in rows.iter().zip(verdicts) {
        let (len, alt) = (row.len as usize, row.alt as usize);
        let main = &bytes[at..at + len];
        let second = &bytes[at + len..at + len + alt];
        at += len + alt;
        if style.flag || reasons.is_empty() {
            cleaned.write_all(main)?;
            if style.flag {
                tail_field(cleaned, codes(&mut joined, reasons), style.quote)?;
            }
            cleaned.write_all(b"\n")?;
        } else {
            removed.write_all(if alt > 0 { second } else { main })?;
            let mut digits = [0u8; 20];
            tail_field(removed, decimal(row.line + lines, &mut digits), style.quote)?;
            tail_field(removed, codes(&mut joined, reasons), style.quote)?;
            removed.write_all(b"\n")?;
        }
    }
    Ok(())
}

/// One more field of a row written by [`RowEval`]: a line number, reason codes or a
/// status, none of which needs escaping or formula quoting; quoted when every field is.
fn tail_field<W: Write + ?Sized>(out: &mut W, text: &[u8], quote: bool) -> Result<()> {
    if quote {
        out.write_all(b",\"")?;
        out.write_all(text)?;
        out.write_all(b"\"")?;
    } else {
        out.write_all(b",")?;
        out.write_all(text)?;
    }
    Ok(())
}

/// A cell as text. Invalid UTF-8 (possible only in a file sniffed as UTF-8) is replaced
/// for reading; the outputs carry the original bytes unchanged.
fn text(record: &Record, i: usize) -> std::borrow::Cow<'_, str> {
    // An all-ASCII record (nearly every one) is not checked a cell (`Record::text`).
    match record.text(i) {
        Some(text) => std::borrow::Cow::Borrowed(text),
        None => String::from_utf8_lossy(record.get(i).unwrap_or(b"")),
    }
}

/// Region cells repeat ("GB", "GB", …): read each distinct one once. With the rules'
/// fast seeded hasher: SipHash was 1.2% of the scrub's instructions (callgrind); the
/// last short ones are found without hashing ([`ShortCells`]).
#[derive(Default)]
struct RegionCache {
    all: FastMap<Vec<u8>, Option<Id>>,
    recent: ShortCells<Option<Id>>,
}

impl RegionCache {
    const MAX: usize = 4096;

    fn lookup(&mut self, cell: &[u8]) -> Option<Id> {
        if let Some(id) = self.recent.get(cell) {
            return id;
        }
        let id = match self.all.get(cell) {
            Some(&id) => id,
            None => {
                let id = phone::region_from_cell(&String::from_utf8_lossy(cell));
                if self.all.len() < Self::MAX {
                    self.all.insert(cell.to_vec(), id);
                }
                id
            }
        };
        self.recent.put(cell, id);
        id
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::policy::ColumnRef;

    fn today() -> Date {
        dates::parse_iso("2025-06-30").unwrap()
    }

    fn run(policy_json: &str, input: &str) -> (String, String, Report) {
        let policy = Policy::from_json(policy_json).unwrap();
        let out = scrub_bytes(policy, today(), input.as_bytes(), &[]).unwrap();
        (
            String::from_utf8(out.cleaned).unwrap(),
            String::from_utf8(out.removed).unwrap(),
            out.report,
        )
    }

    #[test]
    fn normalises_dedupes_and_accounts_for_every_row() {
        let input = "name,phone\nA,0121 294 1091\nB,+44 121 294 1091\nC,12\nD,\n";
        let (cleaned, removed, report) = run(
            r#"{"phoneColumn":"phone","defaultRegion":"GB","output":{"formulaSafe":false}}"#,
            input,
        );
        assert_eq!(cleaned, "name,phone\nA,+441212941091\n");
        assert_eq!(
            removed,
            "name,phone,line,reasons\nB,+441212941091,3,duplicate\nC,12,4,invalid_number\nD,,5,missing_number\n"
        );
        assert_eq!(
            (report.rows_read, report.rows_kept, report.rows_removed),
            (4, 1, 3)
        );
        assert_eq!(report.reasons["duplicate"], 1);
    }

    #[test]
    fn an_opt_out_later_in_the_list_removes_earlier_rows() {
        let input = "phone,consent\n+441212941091,yes\n+441212941092,yes\n0121 294 1091,no\n";
        let (cleaned, removed, report) = run(
            r#"{"phoneColumn":0,"defaultRegion":"GB","consent":{"column":"consent"},"output":{"formulaSafe":false}}"#,
            input,
        );
        assert_eq!(cleaned, "phone,consent\n+441212941092,yes\n");
        assert!(
            removed.contains("+441212941091,yes,2,opted_out\n"),
            "{removed}"
        );
        assert!(
            removed.contains("+441212941091,no,4,no_consent\n"),
            "{removed}"
        );
        assert_eq!(report.reasons["opted_out"], 1);
        assert_eq!(report.reasons["no_consent"], 1);
        assert_eq!(report.consent_values.len(), 2);
    }

    #[test]
    fn ragged_rows_are_removed_with_their_line() {
        let input = "name,phone\nA,+441212941091,extra\nB\n\"C\nD\",+441212941092\n";
        let (cleaned, removed, report) = run(
            r#"{"phoneColumn":"phone","output":{"formulaSafe":false}}"#,
            input,
        );
        assert_eq!(cleaned, "name,phone\n\"C\nD\",+441212941092\n");
        assert!(
            removed.contains("A,+441212941091,2,malformed_row\n"),
            "{removed}"
        );
        assert!(removed.contains("B,,3,malformed_row\n"), "{removed}");
        assert_eq!(report.rows_read, 3);
    }

    #[test]
    fn flag_mode_keeps_every_row_and_says_why() {
        let input = "phone\n+441212941091\n+441212941091\nnope\n";
        let (cleaned, removed, report) = run(
            r#"{"phoneColumn":0,"mode":"flag","output":{"formulaSafe":false}}"#,
            input,
        );
        assert_eq!(
            cleaned,
            "phone,scrub_status\n+441212941091,\n+441212941091,duplicate\nnope,missing_number\n"
        );
        assert_eq!(removed, "phone,line,reasons\n");
        assert_eq!(
            (report.rows_kept, report.rows_removed, report.rows_flagged),
            (3, 0, 2)
        );
    }

    #[test]
    fn keep_columns_drops_the_rest_but_never_the_phone() {
        let input = "name,email,phone\nA,a@x,+441212941091\n";
        let (cleaned, _, report) = run(
            r#"{"phoneColumn":"phone","keepColumns":["name"],"output":{"formulaSafe":false}}"#,
            input,
        );
        assert_eq!(cleaned, "phone,name\n+441212941091,A\n");
        assert_eq!(report.columns_dropped, vec!["email"]);
    }

    #[test]
    fn retention_and_consent_age() {
        let input = "phone,consent,consented,last\n\
            +441212941091,yes,2025-06-01,2025-06-01\n\
            +441212941092,yes,2020-01-01,2025-06-01\n\
            +441212941093,yes,2025-06-01,2020-01-01\n\
            +441212941094,yes,,\n";
        let (cleaned, removed, _) = run(
            r#"{"phoneColumn":0,"consent":{"column":1,"dateColumn":2,"maxAgeDays":365},
                "retention":{"column":"last","maxAgeDays":365},"output":{"formulaSafe":false}}"#,
            input,
        );
        assert_eq!(cleaned.lines().count(), 2, "{cleaned}");
        assert!(removed.contains(",3,consent_expired\n"), "{removed}");
        assert!(removed.contains(",4,retention_expired\n"), "{removed}");
        assert!(
            removed.contains(",5,consent_expired;retention_expired\n"),
            "{removed}"
        );
    }

    #[test]
    fn formula_safe_output_reads_back_to_the_same_numbers() {
        let input = "name,phone\n=HYPERLINK(\"x\"),+441212941091\n";
        let (cleaned, _, _) = run(r#"{"phoneColumn":"phone"}"#, input);
        assert_eq!(
            cleaned,
            "\"name\",\"phone\"\n\"'=HYPERLINK(\"\"x\"\")\",\"+441212941091\"\n"
        );
        let (again, removed, report) = run(r#"{"phoneColumn":"phone"}"#, &cleaned);
        assert_eq!(report.rows_removed, 0, "{removed}");
        assert!(again.contains("\"+441212941091\""));
    }

    #[test]
    fn hashed_exports_replace_or_add_and_need_their_key() {
        let input = "name,phone\nA,+1 650 555 1212\nB,nope\n";
        let p = r#"{"phoneColumn":"phone","invalidNumbers":"keep","output":{"formulaSafe":false,"hash":{"target":"meta"}}}"#;
        let (cleaned, removed, _) = run(p, input);
        assert_eq!(
            cleaned,
            "name,phone\nA,e323ec626319ca94ee8bff2e4c87cf613be6ea19919ed1364124e16807ab3176\nB,\n"
        );
        assert_eq!(removed, "name,phone,line,reasons\n");
        let p = r#"{"phoneColumn":"phone","output":{"formulaSafe":false,"hash":{"target":"google","column":"add"}}}"#;
        let (cleaned, removed, _) = run(p, input);
        assert!(
            cleaned.starts_with("name,phone,phone_sha256\nA,+16505551212,1e231c66"),
            "{cleaned}"
        );
        assert_eq!(
            removed,
            "name,phone,line,reasons\nB,nope,3,missing_number\n"
        );

        let keyed = Policy::from_json(
            r#"{"phoneColumn":1,"output":{"hash":{"target":"meta","keyed":true}}}"#,
        )
        .unwrap();
        let mut s = Scrubber::new(keyed.clone(), today()).unwrap();
        let (mut c, mut r) = (Vec::new(), Vec::new());
        let err = s
            .run(&mut || Ok(input.as_bytes()), &mut c, &mut r, &mut |_| {})
            .unwrap_err();
        assert!(
            err.is_policy() && err.to_string().contains("needs a key"),
            "{err}"
        );
        s.set_hash_key(b"Jefe");
        let report = s
            .run(&mut || Ok(input.as_bytes()), &mut c, &mut r, &mut |_| {})
            .unwrap();
        assert!(String::from_utf8(c)
            .unwrap()
            .contains("37748a645f76cb7356a20e22ec3845e586778412bcffe1148c53ce22d57c6757"));
        assert!(
            !report.to_json().contains("Jefe"),
            "the key never reaches the report"
        );
    }

    #[test]
    fn unknown_columns_are_policy_errors() {
        let policy = Policy::for_phone_column(ColumnRef::Name("mobile".into()));
        let err = scrub_bytes(policy, today(), b"phone\n1\n", &[]).unwrap_err();
        assert!(err.is_policy());
    }

    #[test]
    fn opt_out_lists_remove_and_are_counted() {
        let policy = Policy::from_json(r#"{"phoneColumn":0,"defaultRegion":"GB"}"#).unwrap();
        let list: &[u8] = b"07400 123456\n";
        let out = scrub_bytes(
            policy,
            today(),
            b"phone\n+447400123456\n+447400123457\n",
            &[("dnc", list)],
        )
        .unwrap();
        assert_eq!(out.report.rows_removed, 1);
        assert_eq!(out.report.opt_out_lists[0].rows_matched, 1);
        assert_eq!(out.report.reasons["opted_out"], 1);
    }
}
