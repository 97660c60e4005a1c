//! The pipeline: records -> verdicts -> writers.
//!
//! Every data row ends in exactly one place, the cleaned output or the removed one, with
//! its source line and every reason that applies; the report's counts add up to the rows
//! read. When consent is checked the input is read twice (see [`Scrubber::run`]) so that
//! an opt-out anywhere in the list wins whatever the row order, without holding the list
//! in memory.

use std::collections::HashMap;
use std::io::{Read, Write};

use phonenumber::country::Id;
use time::Date;

use crate::error::{Error, Result};
use crate::input::{self, Source};
use crate::output::CsvOut;
use crate::phone;
use crate::policy::{DateOrder, InvalidNumbers, Mode, OutputFormat, PhoneFormat, Policy};
use crate::protect::{HashColumn, Hasher};
use crate::report::Report;
use crate::rules::consent::Consent;
use crate::rules::dedupe::Dedupe;
use crate::rules::suppression::{OptOutList, Suppression};
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
    policy: Policy,
    today: Date,
    region: Option<Id>,
    date_order: DateOrder,
    suppression: Suppression,
    hash_key: Option<Vec<u8>>,
    sheet: Option<String>,
}

/// Column positions resolved against one file's header.
struct Plan {
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

    fn open_source<'a, R: Read + 'a>(&self, input: R) -> Result<(Source<'a>, Plan)> {
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

    fn row_region(
        &self,
        record: &csv::ByteRecord,
        plan: &Plan,
        cache: &mut RegionCache,
    ) -> Option<Id> {
        plan.region
            .and_then(|i| record.get(i))
            .and_then(|cell| cache.lookup(cell))
            .or(self.region)
    }

    fn scan<R: Read>(&mut self, input: R, progress: &mut dyn FnMut(Progress)) -> Result<()> {
        let Some(rule) = &self.policy.consent else {
            return Ok(());
        };
        let consent = Consent::new(rule);
        let (mut source, plan) = self.open_source(input)?;
        // The report's digest comes from the second read; hashing this one is wasted work.
        source.stop_hashing();
        let consent_col = plan.consent.expect("consent column resolved with the rule");
        let mut regions = RegionCache::default();
        let mut record = csv::ByteRecord::new();
        let mut rows = 0u64;
        while source.reader.read_byte_record(&mut record)? {
            rows += 1;
            input::check_record(&record, source.line_of(&record))?;
            if rows % PROGRESS_EVERY_ROWS == 0 {
                progress(Progress {
                    phase: Phase::Scan,
                    two_passes: true,
                    rows,
                    bytes: source.bytes_read(),
                });
            }
            if record.len() != plan.width() || consent.is_granted(&text(&record, consent_col)) {
                continue;
            }
            let region = self.row_region(&record, &plan, &mut regions);
            let cell = text(&record, plan.phone);
            if let PhoneCell::Valid(n) = sheet::read_phone(&cell, region, source.from_sheet()) {
                self.suppression.note_refusal(n.key());
            }
        }
        progress(Progress {
            phase: Phase::Scan,
            two_passes: true,
            rows,
            bytes: source.bytes_read(),
        });
        Ok(())
    }

    fn scrub<'w, R: Read>(
        &mut self,
        input: R,
        cleaned: &'w mut dyn Write,
        removed: &'w mut dyn Write,
        progress: &mut dyn FnMut(Progress),
    ) -> Result<Report> {
        let two_passes = self.needs_two_passes();
        let (mut source, plan) = self.open_source(input)?;
        let out = &self.policy.output;
        let flag = self.policy.mode == Mode::Flag;
        let keep_invalid = self.policy.invalid_numbers == InvalidNumbers::Keep;
        let hashing = self.hasher()?;
        // An .xlsx output stores every cell as text: no formula quoting, no BOM.
        let csv = out.format == OutputFormat::Csv;
        let mut clean_out = CsvOut::new(cleaned, csv && out.formula_safe, csv && out.bom)?;
        let mut removed_out = CsvOut::new(removed, csv && out.formula_safe, csv && out.bom)?;
        for &i in &plan.keep {
            clean_out.field(plan.headers[i].as_bytes())?;
            removed_out.field(plan.headers[i].as_bytes())?;
            if let (true, Some((hasher, HashColumn::Add))) = (i == plan.phone, &hashing) {
                clean_out.field(hasher.column_name().as_bytes())?;
            }
        }
        if flag {
            clean_out.field(b"scrub_status")?;
        }
        removed_out.field(b"line")?;
        removed_out.field(b"reasons")?;
        clean_out.end_row()?;
        removed_out.end_row()?;

        let mut consent = self.policy.consent.as_ref().map(Consent::new);
        let mut dedupe = Dedupe::default();
        let mut regions = RegionCache::default();
        let mut counts = Report::reason_counts();
        let (mut rows_read, mut rows_kept, mut rows_removed, mut rows_flagged, mut invalid_kept) =
            (0u64, 0u64, 0u64, 0u64, 0u64);
        let mut record = csv::ByteRecord::new();
        while source.reader.read_byte_record(&mut record)? {
            rows_read += 1;
            if rows_read % PROGRESS_EVERY_ROWS == 0 {
                progress(Progress {
                    phase: Phase::Scrub,
                    two_passes,
                    rows: rows_read,
                    bytes: source.bytes_read(),
                });
            }
            let line = source.line_of(&record);
            input::check_record(&record, line)?;
            let mut reasons = Reasons::default();
            let mut number = None;
            if record.len() != plan.width() {
                reasons.insert(Reason::MalformedRow);
            } else {
                let region = self.row_region(&record, &plan, &mut regions);
                let cell = text(&record, plan.phone);
                match sheet::read_phone(&cell, region, source.from_sheet()) {
                    PhoneCell::Valid(n) => number = Some(n),
                    _ if keep_invalid => invalid_kept += 1,
                    PhoneCell::Missing => reasons.insert(Reason::MissingNumber),
                    PhoneCell::Invalid => reasons.insert(Reason::InvalidNumber),
                    PhoneCell::Mangled => reasons.insert(Reason::MangledNumber),
                }
                let mut refuses = false;
                if let (Some(rule), Some(col)) = (consent.as_mut(), plan.consent) {
                    let cell = text(&record, col);
                    rule.record_value(&cell);
                    if !rule.is_granted(&cell) {
                        refuses = true;
                        reasons.insert(Reason::NoConsent);
                    }
                    let date = plan.consent_date.map(|c| text(&record, c));
                    if rule.is_expired(date.as_deref(), self.today, self.date_order) {
                        reasons.insert(Reason::ConsentExpired);
                    }
                }
                if let Some(n) = &number {
                    if self.suppression.is_opted_out(n.key(), refuses) {
                        reasons.insert(Reason::OptedOut);
                    }
                }
                if let (Some(rule), Some(col)) = (&self.policy.retention, plan.retention) {
                    if retention::is_expired(
                        &text(&record, col),
                        rule.max_age_days,
                        self.today,
                        self.date_order,
                    ) {
                        reasons.insert(Reason::RetentionExpired);
                    }
                }
                if let Some(n) = &number {
                    if self.policy.dedupe && dedupe.is_duplicate(n.key()) {
                        reasons.insert(Reason::Duplicate);
                    } else if reasons.is_empty() {
                        dedupe.keep(n.key());
                    }
                }
            }
            for reason in reasons.iter() {
                *counts
                    .get_mut(reason.code())
                    .expect("every code is counted") += 1;
            }
            let to_cleaned = flag || reasons.is_empty();
            let target = if to_cleaned {
                &mut clean_out
            } else {
                &mut removed_out
            };
            let formatted = number
                .as_ref()
                .filter(|_| out.phone_format != PhoneFormat::Original)
                .map(|n| n.format(out.phone_format));
            // Hashes go to the cleaned list only: the removed list is the owner's audit file.
            let hash = hashing
                .as_ref()
                .filter(|_| to_cleaned)
                .map(|(hasher, column)| (number.as_ref().map(|n| hasher.hash(n.key())), *column));
            for &i in &plan.keep {
                let cell = record.get(i).unwrap_or(b"");
                if i != plan.phone {
                    target.field(cell)?;
                    continue;
                }
                let shown = formatted.as_deref().map_or(cell, str::as_bytes);
                match &hash {
                    None => target.field(shown)?,
                    // A number that is not valid has no hash: its cell stays empty rather
                    // than leak the raw text into a hashed export.
                    Some((digest, HashColumn::Replace)) => {
                        target.field(digest.as_deref().unwrap_or("").as_bytes())?
                    }
                    Some((digest, HashColumn::Add)) => {
                        target.field(shown)?;
                        target.field(digest.as_deref().unwrap_or("").as_bytes())?;
                    }
                }
            }
            if to_cleaned {
                rows_kept += 1;
                if flag {
                    if !reasons.is_empty() {
                        rows_flagged += 1;
                    }
                    target.field(reasons.joined().as_bytes())?;
                }
            } else {
                rows_removed += 1;
                target.field(line.to_string().as_bytes())?;
                target.field(reasons.joined().as_bytes())?;
            }
            target.end_row()?;
        }
        progress(Progress {
            phase: Phase::Scrub,
            two_passes,
            rows: rows_read,
            bytes: source.bytes_read(),
        });
        clean_out.finish()?.flush()?;
        removed_out.finish()?.flush()?;

        let (consent_values, consent_other_values_rows) =
            consent.map(|c| c.values_seen()).unwrap_or_default();
        let kept_names: Vec<String> = plan.keep.iter().map(|&i| plan.headers[i].clone()).collect();
        let dropped = (0..plan.width())
            .filter(|i| !plan.keep.contains(i))
            .map(|i| plan.headers[i].clone())
            .collect();
        let mut policy = self.policy.clone();
        policy.today = Some(self.today.to_string());
        Ok(Report {
            engine_version: crate::VERSION,
            rows_read,
            rows_kept,
            rows_removed,
            rows_flagged,
            invalid_kept,
            reasons: counts,
            distinct_numbers: dedupe.len() as u64,
            encoding: source.sniffed.encoding.to_string(),
            delimiter: char::from(source.sniffed.delimiter).to_string(),
            format: source.sniffed.format.to_string(),
            sheet: source.sniffed.sheet.clone(),
            columns: plan.headers.clone(),
            columns_kept: kept_names,
            columns_dropped: dropped,
            input_bytes: source.bytes_read(),
            input_sha256: source.sha256_hex(),
            consent_values,
            consent_other_values_rows,
            opt_out_lists: self.suppression.lists().to_vec(),
            today: self.today.to_string(),
            policy,
            elapsed_ms: 0.0,
        })
    }
}

/// A cell as text. Invalid UTF-8 (possible only in a file sniffed as UTF-8) is replaced
/// for reading; the outputs carry the original bytes unchanged.
fn text(record: &csv::ByteRecord, i: usize) -> std::borrow::Cow<'_, str> {
    String::from_utf8_lossy(record.get(i).unwrap_or(b""))
}

/// Region cells repeat ("GB", "GB", …): read each distinct one once.
#[derive(Default)]
struct RegionCache(HashMap<Vec<u8>, Option<Id>>);

impl RegionCache {
    const MAX: usize = 4096;

    fn lookup(&mut self, cell: &[u8]) -> Option<Id> {
        if let Some(id) = self.0.get(cell) {
            return *id;
        }
        let id = phone::region_from_cell(&String::from_utf8_lossy(cell));
        if self.0.len() < Self::MAX {
            self.0.insert(cell.to_vec(), id);
        }
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
