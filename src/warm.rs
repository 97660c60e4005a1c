//! A warm-up: a small synthetic list run through the path a large list takes in the page
//! (parts decided, merged, written; an opt-out list read), so that the browser's wasm
//! engine optimises the hot code before the user's list arrives.
//!
//! V8 first runs wasm with a quick baseline compiler and recompiles a function with its
//! optimising compiler only once it has run for a while. The code is shared by every
//! instance of the module (the page's engine worker and its part workers), but each
//! part worker's first part of a large list ran on the baseline code: 508-722 ms in
//! Node against 122-263 ms for the same part once warm (issue 6). The page's engine
//! worker runs [`run`] a step at a time from 300 ms after it has loaded, while the user
//! picks a file (`www/worker.js`, `startWarmUp`).
//!
//! The list is made from the metadata's own example numbers (16 regions, three number
//! types, the last digits varied), written in the shapes real lists use, with consent,
//! dates, duplicates, invalid and missing numbers. Nothing in it is real data.

use std::fmt::Write as _;

use phonenumber::metadata::DATABASE;

use crate::parallel::{self, Coordinator, PartEngine};
use crate::{Policy, Report, Result, Scrubber};

/// Rows in one step's list. The first step has 3: it loads the metadata, and the page's
/// first request may wait for it (its engine is ready once the metadata is loaded).
pub const ROWS: usize = 300;

/// Rows in step `step`'s list.
pub fn rows(step: u32) -> usize {
    if step == 0 {
        3
    } else {
        ROWS
    }
}

/// Steps the page runs, one after another (each a few tens of milliseconds). Ten steps
/// left code that a large list runs hot on the baseline code: in Node, the first 4 MiB part
/// of the bench list on an instance after ten steps took 134-141 ms against 34 ms for the
/// next ones; after forty, 40-45 ms (117 ms once, the optimising compiler still behind).
pub const STEPS: u32 = 40;
/// The parts a step's list is cut into (as a large list is, at a smaller size).
const PARTS: u64 = 4;

const POLICY: &str = r#"{
  "phoneColumn": "phone",
  "regionColumn": "country",
  "defaultRegion": "GB",
  "keepColumns": ["id", "name", "phone", "consent", "last_contact"],
  "consent": { "column": "consent", "dateColumn": "consent_date", "maxAgeDays": 3650 },
  "retention": { "column": "last_contact", "maxAgeDays": 1825 },
  "today": "2026-01-01",
  "dedupe": true
}"#;

/// The regions the sample's numbers come from: those most lists hold most of. (Every
/// region would compile every region's patterns, in the engine worker only, for nothing:
/// the code to warm is the same for all.)
const REGIONS: [&str; 16] = [
    "US", "GB", "DE", "FR", "ES", "IT", "NL", "AU", "IN", "BR", "JP", "CA", "MX", "ZA", "SE", "PL",
];

/// The regions' example numbers: (region, country code, national prefix, national
/// number), a mobile, a fixed-line and a toll-free number each where the metadata has one.
fn examples() -> Vec<(&'static str, u16, &'static str, &'static str)> {
    let mut out = Vec::new();
    for meta in REGIONS.into_iter().filter_map(|id| DATABASE.by_id(id)) {
        let d = meta.descriptors();
        let prefix = meta.national_prefix().unwrap_or("");
        for desc in [d.mobile(), d.fixed_line(), d.toll_free()]
            .into_iter()
            .flatten()
        {
            if let Some(example) = desc.example() {
                out.push((meta.id(), meta.country_code(), prefix, example));
            }
        }
    }
    out
}

/// Step `step`'s list (the header and [`rows`] rows) and its opt-out list.
pub fn sample(step: u32) -> (Vec<u8>, Vec<u8>) {
    let examples = examples();
    let mut list =
        String::from("id,name,email,phone,country,consent,consent_date,last_contact,notes\n");
    let mut opt_out = String::new();
    // Each step starts further on in the examples and shapes.
    let first = step as usize * ROWS;
    let consents = ["yes", "Y", "true", "opt-in", "1", "no", "Yes"];
    for i in 0..rows(step) {
        let n = first + i;
        // Every seventh row repeats the number six rows up, in another shape.
        let m = if n % 7 == 6 { n - 6 } else { n };
        let (region, code, prefix, example) = examples[m % examples.len()];
        // The example with its last three digits varied: mostly other valid numbers.
        let cut = example.len() - 3;
        let national = format!(
            "{}{:03}",
            &example[..cut],
            (m / examples.len() * 389) % 1000
        );
        let national = national.as_str();
        // The number in thirds, for the shapes that group its digits.
        let (mid, end) = (national.len() / 3, 2 * national.len() / 3);
        let (a, b, c) = (&national[..mid], &national[mid..end], &national[end..]);
        let (phone, country) = match n % 9 {
            0 => (format!("+{code}{national}"), ""),
            1 => (format!("+{code} {a} {b} {c}"), ""),
            2 => (format!("{prefix}{national}"), region),
            3 => (format!("00 {code} {national}"), ""),
            4 => (format!("({prefix}{a}) {b}-{c}"), region),
            5 => (format!("tel:+{code}-{national}"), region),
            6 => (
                format!("+{code}.{}.{}", &national[..mid], &national[mid..]),
                "",
            ),
            7 if n % 2 == 0 => (national[..4].to_string(), region),
            7 => (String::from("n/a"), ""),
            _ => (format!("{prefix} {national}"), region),
        };
        let consent = consents[n % consents.len()];
        let (year, month, day) = (2016 + n % 10, 1 + n % 12, 1 + n % 28);
        let last = if n % 5 == 0 {
            format!("{day:02}/{month:02}/{}", 2019 + n % 7)
        } else {
            format!("{}-{month:02}-{day:02}", 2020 + n % 6)
        };
        let notes = if n % 10 == 0 {
            "\"called, said \"\"later\"\"\""
        } else {
            ""
        };
        let _ = writeln!(
            list,
            "{n},Name {n},user{n}@example.com,{phone},{country},{consent},{year}-{month:02}-{day:02},{last},{notes}"
        );
        if n % 23 == 0 {
            let _ = writeln!(opt_out, "+{code}{national}");
        }
    }
    (list.into_bytes(), opt_out.into_bytes())
}

/// Runs step `step`'s list through the path the page's workers take for a large list
/// read once (see `www/worker.js`, `runParts`): each part decided as bytes and decoded,
/// the refusals merged, the opt-out list read after the parts, the verdicts given in
/// order, each part written with them, the report. Returns the report and the outputs.
pub fn run(step: u32) -> Result<(Report, Vec<u8>, Vec<u8>)> {
    let (list, opt_out) = sample(step);
    let policy = Policy::from_json(POLICY)?;
    let today = policy
        .today
        .as_deref()
        .and_then(crate::parse_date)
        .ok_or_else(|| broken("its date"))?;
    let scrubber = Scrubber::new(policy, today)?;
    let src: &[u8] = &list;
    let part_bytes = list.len() as u64 / PARTS;
    let layout =
        parallel::layout(&scrubber, src, part_bytes)?.ok_or_else(|| broken("its parts"))?;
    let mut job = Coordinator::with_layout(scrubber, layout)?;
    let engine = PartEngine::new(&job.context_json())?;
    let parts = job.parts().to_vec();
    let mut kept = Vec::with_capacity(parts.len());
    for (i, &(start, end)) in parts.iter().enumerate() {
        let bytes =
            engine.scrub_part_bytes(&list[start as usize..end as usize], i + 1 == parts.len());
        let (part, _) = job.merge_refusals(i, parallel::decode_scrub_rows(&bytes))?;
        part.ok_or_else(|| broken("a part"))?;
        kept.push(bytes);
    }
    job.add_opt_out_list("warm-up opt-outs", &opt_out[..])?;
    let (mut cleaned, mut removed) = (Vec::new(), Vec::new());
    job.start_scrub(src, &mut cleaned, &mut removed)?;
    for (i, bytes) in kept.iter().enumerate() {
        let (verdicts, _) = job.merge_verdicts(src, i, parallel::decode_scrub_rows(bytes))?;
        let verdicts = verdicts.ok_or_else(|| broken("a part"))?;
        let (kept_rows, removed_rows) = engine.write_part_bytes(bytes, &verdicts)?;
        cleaned.extend_from_slice(&kept_rows);
        removed.extend_from_slice(&removed_rows);
    }
    let report = job.finish(src)?;
    Ok((report, cleaned, removed))
}

/// An error that would be a bug in this module (the sample is fixed): reported rather
/// than a panic, which in wasm would stop the engine.
fn broken(what: &str) -> crate::Error {
    crate::Error::policy(format!("the warm-up list: {what} could not be read"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_step_is_a_real_scrub_of_a_varied_list() {
        let mut regions = std::collections::BTreeSet::new();
        for step in 0..STEPS {
            let (report, cleaned, removed) = run(step).expect("the warm-up runs");
            // The same as the row-by-row scrub of the same list.
            let (list, opt_out) = sample(step);
            let policy = Policy::from_json(POLICY).unwrap();
            let today = crate::parse_date("2026-01-01").unwrap();
            let mut scrubber = Scrubber::new(policy, today).unwrap();
            scrubber
                .add_opt_out_list("warm-up opt-outs", &opt_out[..])
                .unwrap();
            let (mut c, mut r) = (Vec::new(), Vec::new());
            let expected = scrubber
                .run(&mut || Ok(&list[..]), &mut c, &mut r, &mut |_| {})
                .unwrap();
            assert_eq!(cleaned, c, "step {step}: cleaned");
            assert_eq!(removed, r, "step {step}: removed");
            let json = |r: &Report| {
                let mut v = serde_json::to_value(r).unwrap();
                v.as_object_mut().unwrap().remove("elapsedMs");
                v
            };
            assert_eq!(json(&report), json(&expected), "step {step}: report");
            if step == 0 {
                continue;
            }
            // It exercises every rule: kept rows, and each reason the list can give.
            for reason in [
                "duplicate",
                "invalid_number",
                "missing_number",
                "no_consent",
                "opted_out",
                "retention_expired",
            ] {
                assert!(
                    report.reasons.get(reason).copied().unwrap_or(0) > 0,
                    "step {step}: no {reason} in {:?}",
                    report.reasons
                );
            }
            assert!(
                report.rows_kept > rows(step) as u64 / 3,
                "step {step}: {} kept",
                report.rows_kept
            );
            // The kept numbers' regions (the E.164 is the third column kept, quoted).
            let text = String::from_utf8(c).unwrap();
            for line in text.lines().skip(1) {
                let e164 = line
                    .split(',')
                    .nth(2)
                    .unwrap()
                    .trim_matches('"')
                    .trim_start_matches(['\'', '+']);
                let number = crate::phone::normalise(&format!("+{e164}"), None);
                if let crate::phone::Verdict::Valid(n) = number {
                    regions.insert(n.region().unwrap_or_default());
                }
            }
        }
        // Kept numbers from every region of the sample.
        for region in REGIONS {
            assert!(
                regions.contains(region),
                "no kept number from {region}: {regions:?}"
            );
        }
    }
}
