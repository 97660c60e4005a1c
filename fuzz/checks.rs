//! The checks behind the fuzz targets, shared word for word by the cargo-fuzz targets
//! (`fuzz/fuzz_targets/*.rs`, nightly, libFuzzer) and the stable replay test
//! (`tests/fuzz_regressions.rs`, `cargo test`), which includes this file with `#[path]`.
//!
//! Each function takes the raw fuzz input and panics when something is wrong: a panic
//! anywhere inside (the wasm build has `panic = abort`, so any panic is a trapped worker),
//! or a broken invariant. Inputs the API rejects with an `Err` are fine.
//!
//! Input layouts:
//! * `normalise`: byte 0 picks the default region from [`REGIONS`]; the rest, as lossy
//!   UTF-8, is the phone cell.
//! * `pipeline`: byte 0 picks a policy from [`POLICIES`] (values >= [`RAW_POLICY_FROM`]:
//!   the policy JSON is the data up to the first NUL, the list is what follows); byte 1 is
//!   how many bytes from the end of the list also form an opt-out list; the rest is the list.
//! * `profile`: byte 0 picks the default region, sample size and file size (and, for
//!   the record reader's check, the delimiter and whether there is a header); the rest is
//!   the file.

#![allow(dead_code)]

/// True for a panic that phonescrub contains by design rather than prevents
/// ([`phonescrub::sheet::is_contained_panic`]: calamine's .xls record reader; a page test
/// drops such a file). The fuzzers and the replay test count every other panic, calamine's
/// patched compound-file layer and byte readers included (vendor/calamine/PATCHES.md).
pub fn contained_panic(info: &std::panic::PanicHookInfo<'_>) -> bool {
    phonescrub::sheet::is_contained_panic(info)
}

/// For the cargo-fuzz targets: wraps libFuzzer's panic hook (which aborts, so that a panic
/// is a crash) so that a [`contained_panic`] unwinds to phonescrub's `catch_unwind` instead.
pub fn allow_contained_panics() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let abort = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if !contained_panic(info) {
                abort(info);
            }
        }));
    });
}

use phonenumber::country::Id;
use phonescrub::phone::{self, Verdict};
use phonescrub::{Mode, Policy, ScrubOutput};

/// Default regions for the `normalise` target, chosen by `byte 0 % 12`.
pub const REGIONS: [Option<&str>; 12] = [
    None,
    Some("US"),
    Some("GB"),
    Some("DE"),
    Some("FR"),
    Some("IN"),
    Some("BR"),
    Some("RU"),
    Some("CN"),
    Some("JP"),
    Some("NZ"),
    Some("AU"),
];

/// The region for a selector byte.
pub fn region_for(selector: u8) -> Option<Id> {
    REGIONS[selector as usize % REGIONS.len()]
        .map(|code| phone::region_id(code).expect("every listed region has metadata"))
}

/// The date every pipeline run measures ages against (when the policy sets none).
pub const TODAY: &str = "2025-06-30";

/// Valid policies for the `pipeline` target, chosen by `byte 0 % POLICIES.len()` when
/// byte 0 is below [`RAW_POLICY_FROM`]. They cover the phone column by name and by index,
/// consent with dateColumn/maxAgeDays, retention, flag mode, keeping invalid numbers,
/// formula safety on and off, every phone format, region column, BOM, keepColumns and a
/// forced delimiter. Columns named here match the fixtures in tests/fixtures/lists/.
pub const POLICIES: &[&str] = &[
    r#"{"phoneColumn":"phone","defaultRegion":"GB"}"#,
    r#"{"phoneColumn":0,"defaultRegion":"US","output":{"formulaSafe":false}}"#,
    r#"{"phoneColumn":1,"defaultRegion":"GB","consent":{"column":2,"dateColumn":3,"maxAgeDays":365},"today":"2025-06-30"}"#,
    r#"{"phoneColumn":"phone","defaultRegion":"GB","keepColumns":["name","phone","consent"],"consent":{"column":"consent","dateColumn":"consent_date","maxAgeDays":30},"retention":{"column":"last_contact","maxAgeDays":365},"output":{"formulaSafe":true}}"#,
    r#"{"phoneColumn":0,"mode":"flag","invalidNumbers":"keep","output":{"formulaSafe":true,"bom":true,"phoneFormat":"international"}}"#,
    r#"{"phoneColumn":"phone","regionColumn":"country","dateOrder":"mdy","invalidNumbers":"keep","dedupe":false,"output":{"phoneFormat":"national","formulaSafe":false}}"#,
    r#"{"phoneColumn":0,"delimiter":";","retention":{"column":1,"maxAgeDays":0},"output":{"phoneFormat":"original"}}"#,
    r#"{"phoneColumn":1,"defaultRegion":"DE","mode":"flag","consent":{"column":2,"granted":["ja","yes"]},"retention":{"column":4,"maxAgeDays":30},"output":{"formulaSafe":false}}"#,
    r#"{"phoneColumn":0,"defaultRegion":"FR","keepColumns":[1,0,1],"invalidNumbers":"keep","delimiter":"\t","output":{"bom":true,"formulaSafe":false}}"#,
    r#"{"phoneColumn":"Phone","defaultRegion":"IN","consent":{"column":"Opt-in"},"mode":"remove","dedupe":true,"output":{"phoneFormat":"national"}}"#,
    r#"{"phoneColumn":0,"regionColumn":1,"consent":{"column":2,"dateColumn":3,"maxAgeDays":0},"delimiter":"|","dateOrder":"dmy","mode":"flag","output":{"phoneFormat":"international","formulaSafe":false}}"#,
    r#"{"phoneColumn":2,"defaultRegion":"US","retention":{"column":0,"maxAgeDays":4294967295},"consent":{"column":1,"dateColumn":0,"maxAgeDays":4294967295},"invalidNumbers":"keep"}"#,
];

/// Selector bytes from here on read the policy JSON from the input itself.
pub const RAW_POLICY_FROM: u8 = 240;

/// Splits a pipeline input into (policy JSON, list, opt-out list); `None` when the input
/// is too short or a raw policy has no NUL to end it.
pub fn split_pipeline_input(data: &[u8]) -> Option<(String, &[u8], &[u8])> {
    let (&selector, rest) = data.split_first()?;
    let (&opt_out_len, rest) = rest.split_first()?;
    let (policy, list) = if selector >= RAW_POLICY_FROM {
        let nul = rest.iter().position(|&b| b == 0)?;
        (
            String::from_utf8_lossy(&rest[..nul]).into_owned(),
            &rest[nul + 1..],
        )
    } else {
        (
            POLICIES[selector as usize % POLICIES.len()].to_string(),
            rest,
        )
    };
    let tail = list.len().min(opt_out_len as usize);
    Some((policy, list, &list[list.len() - tail..]))
}

/// The `normalise` target: the crate called directly (as the wasm build runs it, with no
/// catch_unwind), then phonescrub's normaliser.
pub fn normalise(data: &[u8]) {
    let Some((&selector, rest)) = data.split_first() else {
        return;
    };
    let region = region_for(selector);
    let text = String::from_utf8_lossy(rest);

    // 1. The crate, unbounded and unprepared.
    if let Ok(number) = phonenumber::parse(region, text.as_ref()) {
        let valid = number.is_valid();
        let e164 = number.format().mode(phonenumber::Mode::E164).to_string();
        if valid {
            let _ = number
                .format()
                .mode(phonenumber::Mode::International)
                .to_string();
            let _ = number
                .format()
                .mode(phonenumber::Mode::National)
                .to_string();
            let _ = number.country().id();
            assert!(e164.starts_with('+'), "valid number with E.164 {e164:?}");
        }
    }

    // 2. phonescrub's normaliser (bounds the cell, tidies digits, drops tel: parameters).
    if let Verdict::Valid(n) = phone::normalise(&text, region) {
        let e164 = n.e164();
        // Not 15 digits: libphonenumber accepts national numbers of up to 17 digits (German
        // numbers with a direct-dial extension: "+49 404000 12300 1234" is valid), so the
        // bound is a 3-digit country code + 17, which the u64 key must hold.
        let digits = &e164[1..];
        assert!(
            (2..=20).contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_digit()),
            "E.164 {e164} from {text:?}"
        );
        for format in [
            phonescrub::PhoneFormat::E164,
            phonescrub::PhoneFormat::International,
            phonescrub::PhoneFormat::National,
        ] {
            let _ = n.format(format);
        }
        let _ = n.region();
        // A cleaned list's numbers read back as themselves (re-scrubbing is a no-op).
        match phone::normalise(&e164, None) {
            Verdict::Valid(again) => assert_eq!(
                again.key(),
                n.key(),
                "{text:?} -> {e164} -> +{}",
                again.key()
            ),
            other => panic!("{text:?} -> {e164}, which reads back as {other:?}"),
        }
    }
}

/// The `pipeline` target: scrub_bytes without and with an opt-out list, and the
/// accounting invariants on every `Ok`.
pub fn pipeline(data: &[u8]) {
    let Some((policy_json, list, opt_outs)) = split_pipeline_input(data) else {
        return;
    };
    let Ok(policy) = Policy::from_json(&policy_json) else {
        return;
    };
    let today = phonescrub::parse_date(TODAY).expect("TODAY is a date");

    let plain = phonescrub::scrub_bytes(policy.clone(), today, list, &[]);
    if let Ok(out) = &plain {
        check_output(&policy, out, "without opt-outs");
    }
    let with = phonescrub::scrub_bytes(policy.clone(), today, list, &[("fuzz-opt-outs", opt_outs)]);
    if let Ok(out) = &with {
        check_output(&policy, out, "with opt-outs");
    }
    if let (Ok(a), Ok(b)) = (&plain, &with) {
        assert_eq!(
            a.report.rows_read, b.report.rows_read,
            "an opt-out list changed the number of rows read"
        );
    }
}

fn check_output(policy: &Policy, out: &ScrubOutput, run: &str) {
    let r = &out.report;
    assert_eq!(
        r.rows_kept + r.rows_removed,
        r.rows_read,
        "{run}: kept {} + removed {} != read {}",
        r.rows_kept,
        r.rows_removed,
        r.rows_read
    );
    if policy.mode == Mode::Flag {
        assert_eq!(r.rows_removed, 0, "{run}: flag mode removed rows");
        assert!(
            r.rows_flagged <= r.rows_kept,
            "{run}: flagged more than kept"
        );
    }
    let bom = policy.output.bom;
    let (clean_header, clean_rows) = read_back(&out.cleaned, bom, "cleaned", run);
    let (removed_header, removed_rows) = read_back(&out.removed, bom, "removed", run);
    assert_eq!(
        clean_rows.len() as u64,
        r.rows_kept,
        "{run}: the cleaned output holds {} records, the report says {} kept",
        clean_rows.len(),
        r.rows_kept
    );
    assert_eq!(
        removed_rows.len() as u64,
        r.rows_removed,
        "{run}: the removed output holds {} records, the report says {} removed",
        removed_rows.len(),
        r.rows_removed
    );
    let n = removed_header.len();
    assert!(
        n >= 3 && removed_header[n - 2] == b"line" && removed_header[n - 1] == b"reasons",
        "{run}: removed header {removed_header:?}"
    );
    assert_eq!(
        clean_header.len() + 2 - usize::from(policy.mode == Mode::Flag),
        n
    );
    for row in &removed_rows {
        assert!(
            !row[n - 1].is_empty(),
            "{run}: a removed row without a reason: {row:?}"
        );
    }
    let _ = r.to_json();
}

/// Reads an output back with the csv crate: (header, records). Panics when it does not
/// parse or the records are not all as wide as the header.
fn read_back(bytes: &[u8], bom: bool, which: &str, run: &str) -> (Vec<Vec<u8>>, Vec<Vec<Vec<u8>>>) {
    let body = match bytes.strip_prefix(b"\xef\xbb\xbf") {
        Some(rest) if bom => rest,
        _ => {
            assert!(!bom, "{run}: {which} output has no BOM");
            bytes
        }
    };
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .from_reader(body);
    let header: Vec<Vec<u8>> = reader
        .byte_headers()
        .unwrap_or_else(|e| panic!("{run}: {which} output header does not parse: {e}"))
        .iter()
        .map(<[u8]>::to_vec)
        .collect();
    let rows = reader
        .byte_records()
        .map(|r| {
            r.unwrap_or_else(|e| panic!("{run}: {which} output does not parse back: {e}"))
                .iter()
                .map(<[u8]>::to_vec)
                .collect()
        })
        .collect();
    (header, rows)
}

/// The `profile` target: profile() over the bytes, with a region, sample size and file
/// size taken from byte 0; and phonescrub's CSV reader against the csv crate's on the same
/// bytes (see [`same_records`]).
pub fn profile(data: &[u8]) {
    let Some((&selector, rest)) = data.split_first() else {
        return;
    };
    same_records(
        rest,
        [b',', b';', b'\t', b'|'][selector as usize % 4],
        selector & 64 != 0,
    );
    let region = [None, Some("GB"), Some("US"), Some("XX")][selector as usize % 4];
    let rows = [phonescrub::DEFAULT_SAMPLE_ROWS, 1, 3, 0][(selector as usize / 4) % 4];
    let total =
        [None, Some(rest.len() as u64), Some(0), Some(u64::MAX)][(selector as usize / 16) % 4];
    let Ok(p) = phonescrub::profile(rest, rows, region, total) else {
        return;
    };
    for (i, c) in p.columns.iter().enumerate() {
        assert_eq!(c.index, i, "column indices out of order");
        assert!(c.samples.len() <= 5, "more than five samples");
    }
    if let Some(i) = p.phone_column {
        assert!(i < p.columns.len(), "phone column {i} past the last column");
    }
    if p.complete {
        assert_eq!(p.estimated_rows, Some(p.rows_sampled));
    }
}

/// phonescrub's record reader (`src/records.rs`: a fast path for lines without quotes,
/// csv_core for the rest) reads exactly the records, fields and header `csv::Reader` reads,
/// and gives a field as text exactly when it is UTF-8 (the fast path's ASCII flag).
/// Also the wasm test (tests/web.rs), where the fast path runs on WebAssembly SIMD.
pub fn same_records(bytes: &[u8], delimiter: u8, has_headers: bool) {
    let mut ours = phonescrub::Records::new(Box::new(bytes), delimiter, has_headers);
    let mut theirs = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .has_headers(has_headers)
        .flexible(true)
        .from_reader(bytes);
    let header: Vec<&[u8]> = theirs
        .byte_headers()
        .expect("a slice reads")
        .iter()
        .collect();
    assert!(
        ours.byte_headers()
            .expect("a slice reads")
            .iter()
            .eq(header),
        "the header differs from csv::Reader's"
    );
    let (mut a, mut b) = (phonescrub::Record::new(), csv::ByteRecord::new());
    loop {
        let (more_a, more_b) = (
            ours.read_byte_record(&mut a).expect("a slice reads"),
            theirs.read_byte_record(&mut b).expect("a slice reads"),
        );
        assert_eq!(more_a, more_b, "one reader ended before the other");
        if !more_a {
            break;
        }
        assert!(
            a.iter().eq(b.iter()),
            "record {} differs from csv::Reader's",
            a.index()
        );
        for (i, field) in a.iter().enumerate() {
            assert_eq!(
                a.text(i).map(str::as_bytes),
                std::str::from_utf8(field).ok().map(str::as_bytes),
                "record {} field {i}: text differs from its UTF-8 reading",
                a.index()
            );
        }
    }
}
