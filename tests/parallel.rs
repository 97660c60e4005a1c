//! The parallel read (`Scrubber::run_parallel`: the list cut into parts at line starts,
//! read on several threads, merged in order) gives the same outputs and report, byte for
//! byte, as the row-by-row read, and the same error on the same line. Parts are made tiny
//! here so every kind of cut happens: inside quoted fields with line breaks, at CRLF,
//! after blank lines, inside long lines.

#![cfg(not(target_arch = "wasm32"))]

use phonescrub::{Policy, Report, Scrubber};

fn today() -> phonescrub::Date {
    phonescrub::parse_date("2025-06-30").unwrap()
}

/// A small deterministic generator (xorshift), so failures reproduce.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[(self.next() % items.len() as u64) as usize]
    }
}

const PHONES: &[&str] = &[
    "0121 294 1091",
    "+44 121 294 1091",
    "07400 123456",
    "+447400123456",
    "+1 650 253 0000",
    "(650) 253-0000",
    "12345",
    "",
    "+49 1512 5682891",
    "\"+33 1 23 45 67 89\"",
    "=cmd",
    "0044 7400 123459",
    "+44 7400 123459",
];
const CONSENT: &[&str] = &[
    "yes",
    "no",
    "Y",
    "opted out",
    "",
    "\"yes\"",
    "\"multi\nline\"",
];
const DATES: &[&str] = &["2025-01-10", "2019-01-01", "10/01/2025", "", "garbage"];
const NAMES: &[&str] = &[
    "Ann",
    "\"Smith, Bob\"",
    "\"line one\nline two\"",
    "\"a \"\"quoted\"\" word\"",
    "\"crlf\r\ninside\"",
    "Zoë",
    "",
];
const ENDS: &[&str] = &["\n", "\r\n", "\n", "\r\n", "\n\n", "\r"];

/// A messy list: quoted fields with line breaks, mixed line ends, blank lines, ragged
/// rows, repeats (dedupe), refusals (opt-outs by consent).
fn list(rng: &mut Rng, rows: usize) -> Vec<u8> {
    let bom = if rng.next() % 5 == 0 { "\u{feff}" } else { "" };
    let mut out = format!("{bom}name,phone,consent,consent_date,last_contact");
    out.push_str(rng.pick(&["\n", "\r\n"]));
    for _ in 0..rows {
        let fields = [
            rng.pick(NAMES),
            rng.pick(PHONES),
            rng.pick(CONSENT),
            rng.pick(DATES),
            rng.pick(DATES),
        ];
        let take = match rng.next() % 20 {
            0 => 4, // ragged
            _ => 5,
        };
        out.push_str(&fields[..take].join(","));
        if rng.next() % 17 == 0 {
            out.push_str(",extra");
        }
        out.push_str(rng.pick(ENDS));
    }
    out.into_bytes()
}

const POLICIES: &[&str] = &[
    r#"{"phoneColumn":"phone","defaultRegion":"GB"}"#,
    r#"{"phoneColumn":"phone","defaultRegion":"GB",
        "consent":{"column":"consent","dateColumn":"consent_date","maxAgeDays":365},
        "retention":{"column":"last_contact","maxAgeDays":365},
        "keepColumns":["phone","name"]}"#,
    r#"{"phoneColumn":"phone","defaultRegion":"GB","mode":"flag",
        "consent":{"column":"consent"},"output":{"formulaSafe":false}}"#,
    r#"{"phoneColumn":"phone","defaultRegion":"GB","dedupe":false,
        "output":{"hash":{"target":"google","column":"add"},"phoneFormat":"international"}}"#,
    r#"{"phoneColumn":"phone","defaultRegion":"GB","consent":{"column":"consent"},
        "output":{"hash":{"target":"meta","column":"replace"},"formulaSafe":false,"bom":true}}"#,
];

const OPT_OUT: &[u8] = b"Do not call\n+44 7400 123459\n";

fn scrubber(policy: &str) -> Scrubber {
    let mut s = Scrubber::new(Policy::from_json(policy).unwrap(), today()).unwrap();
    s.add_opt_out_list("optout.txt", OPT_OUT).unwrap();
    s
}

type Outcome = Result<(Vec<u8>, Vec<u8>, String), String>;

fn report_json(mut report: Report) -> String {
    report.elapsed_ms = 0.0;
    report.to_json()
}

fn sequential(policy: &str, input: &[u8]) -> Outcome {
    let (mut cleaned, mut removed) = (Vec::new(), Vec::new());
    let report = scrubber(policy)
        .run(&mut || Ok(input), &mut cleaned, &mut removed, &mut |_| {})
        .map_err(|e| e.to_string())?;
    Ok((cleaned, removed, report_json(report)))
}

/// The two ways a job that checks consent can be read in parts: once (parts decided
/// before the refusals are known, merged after every part is in) and twice (a scan for
/// the refusals first). A job without consent reads once either way.
const READS: [(&str, u64); 2] = [("read once", u64::MAX), ("read twice", 0)];

fn parallel(policy: &str, input: &[u8], threads: usize, part_bytes: u64) -> Outcome {
    parallel_read(policy, input, threads, part_bytes, u64::MAX)
}

fn parallel_read(
    policy: &str,
    input: &[u8],
    threads: usize,
    part_bytes: u64,
    one_read_max: u64,
) -> Outcome {
    let (mut cleaned, mut removed) = (Vec::new(), Vec::new());
    let report = scrubber(policy)
        .run_parallel_parts(
            input,
            threads,
            part_bytes,
            one_read_max,
            &mut cleaned,
            &mut removed,
            &mut |_| {},
        )
        .map_err(|e| e.to_string())?;
    Ok((cleaned, removed, report_json(report)))
}

fn same(label: &str, a: &Outcome, b: &Outcome) {
    match (a, b) {
        (Ok((c1, r1, j1)), Ok((c2, r2, j2))) => {
            assert_eq!(
                String::from_utf8_lossy(c1),
                String::from_utf8_lossy(c2),
                "{label}: cleaned"
            );
            assert_eq!(
                String::from_utf8_lossy(r1),
                String::from_utf8_lossy(r2),
                "{label}: removed"
            );
            assert_eq!(j1, j2, "{label}: report");
        }
        (Err(e1), Err(e2)) => assert_eq!(e1, e2, "{label}: error"),
        _ => panic!("{label}: one read failed and the other did not: {a:?} / {b:?}"),
    }
}

#[test]
fn parts_of_every_size_give_the_row_by_row_result() {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    for case in 0..60 {
        let rows = 40 + (rng.next() % 80) as usize;
        let input = list(&mut rng, rows);
        let policy = POLICIES[case % POLICIES.len()];
        let expected = sequential(policy, &input);
        assert!(expected.is_ok(), "case {case}: {expected:?}");
        // The list is really cut (not read row by row behind the test's back).
        let layout = phonescrub::parallel::layout(&scrubber(policy), &input[..], 100)
            .unwrap()
            .expect("a UTF-8 list with LF line ends is cut into parts");
        assert!(
            layout.parts.len() > 2,
            "case {case}: {} parts",
            layout.parts.len()
        );
        for part_bytes in [1, 7, 33, 100, 400] {
            for threads in [2, 3] {
                for (read, one_read_max) in READS {
                    let got = parallel_read(policy, &input, threads, part_bytes, one_read_max);
                    same(
                        &format!("case {case}, parts of {part_bytes} B, {threads} threads, {read}"),
                        &expected,
                        &got,
                    );
                }
            }
        }
    }
}

#[test]
fn errors_name_the_same_line() {
    // A field over the 1 MiB cell limit, deep in the list: the error names its line.
    let mut rng = Rng(7);
    let mut input = list(&mut rng, 200);
    input.extend_from_slice(b"big,");
    input.extend(std::iter::repeat_n(b'9', (1 << 20) + 10));
    input.extend_from_slice(b",yes,2025-01-10,2025-01-10\n");
    input.extend_from_slice(&list(&mut rng, 50)[45..]);
    let policy = POLICIES[1];
    let expected = sequential(policy, &input);
    assert!(
        expected.as_ref().is_err_and(|e| e.contains("line ")),
        "{expected:?}"
    );
    for part_bytes in [64, 4096, 300_000] {
        for (read, one_read_max) in READS {
            same(
                &format!("parts of {part_bytes} B, {read}"),
                &expected,
                &parallel_read(policy, &input, 2, part_bytes, one_read_max),
            );
        }
    }
}

#[test]
fn a_list_the_parts_do_not_apply_to_is_read_row_by_row() {
    // windows-1252 text (transcoded) and a lone-CR list: the same result as row by row.
    let latin = b"name,phone\nJos\xe9,+44 121 294 1091\nAnn,+44 121 294 1092\n".repeat(20);
    let cr = b"name,phone\rAnn,+44 121 294 1091\rBob,+44 121 294 1091\r".repeat(20);
    for input in [&latin[..], &cr[..]] {
        let policy = POLICIES[0];
        same(
            "fallback",
            &sequential(policy, input),
            &parallel(policy, input, 2, 16),
        );
    }
}

#[test]
fn a_file_read_in_parts_matches_too() {
    // Through the file system (pread), as the CLI reads.
    let mut rng = Rng(42);
    let input = list(&mut rng, 3000);
    let path = std::env::temp_dir().join(format!("phonescrub-parallel-{}.csv", std::process::id()));
    std::fs::write(&path, &input).unwrap();
    let file = std::fs::File::open(&path).unwrap();
    let policy = POLICIES[1];
    let (mut cleaned, mut removed) = (Vec::new(), Vec::new());
    let report = scrubber(policy)
        .run_parallel_parts(
            &file,
            2,
            2048,
            phonescrub::parallel::ONE_READ_MAX_BYTES,
            &mut cleaned,
            &mut removed,
            &mut |_| {},
        )
        .unwrap();
    std::fs::remove_file(&path).unwrap();
    same(
        "file",
        &sequential(policy, &input),
        &Ok((cleaned, removed, report_json(report))),
    );
}
