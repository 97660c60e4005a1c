//! Integration tests of the engine over fixture files: encodings, delimiters, every
//! reason code, row-order independence of opt-outs, and property tests of the invariants
//! (every row accounted for, nothing lost, scrubbing twice removes nothing, chunk
//! boundaries change nothing).

// Native only: the browser tier is tests/web.rs.
#![cfg(not(target_arch = "wasm32"))]

use std::io::Read;

use phonescrub::{scrub_bytes, ColumnRef, Policy, Report, ScrubOutput, Scrubber};
use proptest::prelude::*;

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/lists");

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(format!("{FIXTURES}/{name}")).unwrap()
}

fn today() -> phonescrub::Date {
    phonescrub::parse_date("2025-06-30").unwrap()
}

fn policy(json: &str) -> Policy {
    Policy::from_json(json).unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8(bytes.to_vec()).unwrap()
}

/// Rows of a CSV output (header skipped), parsed back with the csv crate.
fn rows(bytes: &[u8]) -> Vec<Vec<String>> {
    csv::ReaderBuilder::new()
        .from_reader(bytes)
        .records()
        .map(|r| r.unwrap().iter().map(str::to_string).collect())
        .collect()
}

fn assert_accounted(report: &Report, out: &ScrubOutput) {
    assert_eq!(report.rows_kept + report.rows_removed, report.rows_read);
    assert_eq!(rows(&out.cleaned).len() as u64, report.rows_kept);
    assert_eq!(rows(&out.removed).len() as u64, report.rows_removed);
}

#[test]
fn every_encoding_and_delimiter_gives_the_same_rows() {
    let cases = [
        ("utf8_bom_comma.csv", "UTF-8", ","),
        ("utf8_semicolon.csv", "UTF-8", ";"),
        ("utf16le_tab.txt", "UTF-16LE", "\t"),
        ("utf16be_tab.txt", "UTF-16BE", "\t"),
        ("windows1252_pipe.txt", "windows-1252", "|"),
    ];
    let p = r#"{"phoneColumn":"phone","defaultRegion":"GB","output":{"formulaSafe":false}}"#;
    for (file, encoding, delimiter) in cases {
        let out = scrub_bytes(policy(p), today(), &fixture(file), &[]).unwrap();
        assert_eq!(out.report.encoding, encoding, "{file}");
        assert_eq!(out.report.delimiter, delimiter, "{file}");
        assert_eq!(
            text(&out.cleaned),
            "name,phone,consent,consent_date,last_contact,notes\nZoë Müller,+441212941091,yes,2025-01-10,2025-06-01,café\n",
            "{file}"
        );
        assert_eq!(out.report.reasons["duplicate"], 1, "{file}");
        assert_eq!(out.report.reasons["missing_number"], 1, "{file}");
        // LF, CRLF and CR files alike: the removed rows name their source lines.
        let lines: Vec<String> = rows(&out.removed).iter().map(|r| r[6].clone()).collect();
        assert_eq!(lines, ["3", "4"], "{file}");
        assert_accounted(&out.report, &out);
    }
}

#[test]
fn every_reason_code_on_its_line() {
    let p = policy(&text(&fixture("every_reason.policy.json")));
    let optout = fixture("optout.txt");
    let out = scrub_bytes(
        p,
        today(),
        &fixture("every_reason.csv"),
        &[("optout.txt", &optout)],
    )
    .unwrap();
    let removed: Vec<(String, String, String)> = rows(&out.removed)
        .into_iter()
        .map(|r| (r[0].clone(), r[3].clone(), r[4].clone()))
        .collect();
    let expect = |name: &str, line: &str, reasons: &str| {
        assert!(
            removed.contains(&(name.to_string(), line.to_string(), reasons.to_string())),
            "{name} line {line} {reasons} not in {removed:#?}"
        );
    };
    expect("Bob", "3", "duplicate");
    expect("Cy", "4", "missing_number");
    expect("Di", "5", "invalid_number");
    expect("Ed", "6", "no_consent");
    expect("Fi", "7", "opted_out");
    expect("Gus", "8", "consent_expired");
    expect("Hal", "9", "retention_expired");
    expect("Ivy", "10", "opted_out");
    expect("Jo", "11", "malformed_row");
    expect("Kim", "12", "no_consent");
    expect("Lee, Jr.", "13", "missing_number"); // a formula holds no digit
                                                // Mo: 30/06/2024 is exactly 365 days before today, read day-first for GB: kept.
    let cleaned = rows(&out.cleaned);
    assert_eq!(
        cleaned,
        vec![
            vec!["Ann".to_string(), "+441212941091".into(), "yes".into()],
            vec!["Mo".to_string(), "+447400123462".into(), "YES".into()],
        ]
    );
    // Formula-safe: the formula in Lee's phone cell comes out neutralised.
    assert!(text(&out.removed).contains("\"'=HYPERLINK(\"\"http://x\"\")\""));
    let r = &out.report;
    assert_eq!((r.rows_read, r.rows_kept, r.rows_removed), (13, 2, 11));
    for code in [
        "duplicate",
        "invalid_number",
        "consent_expired",
        "retention_expired",
        "malformed_row",
    ] {
        assert_eq!(r.reasons[code], 1, "{code}");
    }
    assert_eq!(r.reasons["opted_out"], 2);
    assert_eq!(r.reasons["no_consent"], 2);
    assert_eq!(r.reasons["missing_number"], 2);
    assert_eq!(r.opt_out_lists[0].rows_matched, 1);
    assert_eq!(r.columns_dropped, vec!["consent_date", "last_contact"]);
    let maybe = r
        .consent_values
        .iter()
        .find(|v| v.value == "Maybe")
        .unwrap();
    assert!(!maybe.granted);
    assert!(
        r.consent_values
            .iter()
            .find(|v| v.value == "opted in")
            .unwrap()
            .granted
    );
    assert_eq!(r.input_sha256.len(), 64);
    assert_accounted(r, &out);
}

#[test]
fn opt_outs_win_whatever_the_row_order() {
    let header = "phone,consent";
    let body = [
        "+447400123456,yes",
        "07400 123456,no",
        "+44 7400 123457,yes",
        "07400123458,yes",
        "+447400123458,nope",
    ];
    let p = r#"{"phoneColumn":0,"defaultRegion":"GB","consent":{"column":1},"dedupe":false}"#;
    // Every rotation and the reverse: each row's opt-out verdict depends on its content only.
    let mut orders: Vec<Vec<&str>> = (0..body.len())
        .map(|k| body[k..].iter().chain(&body[..k]).copied().collect())
        .collect();
    orders.push(body.iter().rev().copied().collect());
    for order in orders {
        let input = format!("{header}\n{}\n", order.join("\n"));
        let out = scrub_bytes(policy(p), today(), input.as_bytes(), &[]).unwrap();
        let removed = rows(&out.removed);
        let reasons_of = |row: &str| -> String {
            let (phone, consent) = row.split_once(',').unwrap();
            removed
                .iter()
                .find(|r| {
                    r[1] == consent
                        && r[0]
                            .trim_start_matches('\'')
                            .ends_with(&phone.replace(' ', "")[phone.replace(' ', "").len() - 6..])
                })
                .map(|r| r[3].clone())
                .unwrap_or_default()
        };
        assert_eq!(reasons_of("+447400123456,yes"), "opted_out", "{order:?}");
        assert_eq!(reasons_of("07400 123456,no"), "no_consent", "{order:?}");
        assert_eq!(reasons_of("+44 7400 123457,yes"), "", "{order:?}");
        assert_eq!(reasons_of("07400123458,yes"), "opted_out", "{order:?}");
        assert_eq!(out.report.rows_removed, 4, "{order:?}");
    }
}

#[test]
fn header_only_and_empty_files() {
    let p = r#"{"phoneColumn":"phone"}"#;
    let out = scrub_bytes(policy(p), today(), b"name,phone\n", &[]).unwrap();
    assert_eq!((out.report.rows_read, out.report.rows_kept), (0, 0));
    let err = scrub_bytes(policy(p), today(), b"", &[]).unwrap_err();
    assert_eq!(err.to_string(), "the file is empty");
}

/// A reader that hands out at most `chunk` bytes per read, to move buffer boundaries.
struct Chunked<'a> {
    data: &'a [u8],
    chunk: usize,
}

impl Read for Chunked<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = buf.len().min(self.chunk).min(self.data.len());
        buf[..n].copy_from_slice(&self.data[..n]);
        self.data = &self.data[n..];
        Ok(n)
    }
}

fn scrub_chunked(p: &Policy, input: &[u8], chunk: usize) -> (Vec<u8>, Vec<u8>, Report) {
    let mut scrubber = Scrubber::new(p.clone(), today()).unwrap();
    let (mut cleaned, mut removed) = (Vec::new(), Vec::new());
    let report = scrubber
        .run(
            &mut || Ok(Chunked { data: input, chunk }),
            &mut cleaned,
            &mut removed,
            &mut |_| {},
        )
        .unwrap();
    (cleaned, removed, report)
}

// Generated lists: numbers from a small pool (so duplicates and opt-outs collide) written
// in several formats, consent values including unknown ones, dates in and out of range,
// names with delimiters, quotes and newlines.
fn cell_phone() -> impl Strategy<Value = String> {
    let numbers = [
        "7400 123456",
        "7400 123457",
        "121 294 1091",
        "20 7946 0018",
        "7700 900999",
    ];
    (0..numbers.len(), 0..5usize).prop_map(move |(n, style)| {
        let national = numbers[n];
        match style {
            0 => format!("+44 {national}"),
            1 => format!("0{national}"),
            2 => format!("0044{}", national.replace(' ', "")),
            3 => format!("(0{national})").replacen(' ', ") ", 1),
            _ => String::from(["", "n/a", "12", "+1 999"][n % 4]),
        }
    })
}

fn cell_text() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-zA-Z ]{0,8}",
        Just("Smith, John".to_string()),
        Just("say \"hi\"".to_string()),
        Just("two\nlines".to_string()),
        Just("=1+2".to_string()),
    ]
}

fn row() -> impl Strategy<Value = (String, String, String, String)> {
    (
        cell_text(),
        cell_phone(),
        prop_oneof![Just("yes"), Just("no"), Just("Y"), Just(""), Just("maybe")],
        prop_oneof![
            Just("2025-06-01"),
            Just("2019-01-01"),
            Just(""),
            Just("01/02/2025")
        ],
    )
        .prop_map(|(n, p, c, d)| (n, p, c.to_string(), d.to_string()))
}

fn to_csv(rows: &[(String, String, String, String)]) -> Vec<u8> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(["name", "phone", "consent", "last_contact"])
        .unwrap();
    for (n, p, c, d) in rows {
        w.write_record([n, p, c, d]).unwrap();
    }
    w.into_inner().unwrap()
}

fn policy_strategy() -> impl Strategy<Value = Policy> {
    (
        any::<bool>(),
        any::<bool>(),
        any::<bool>(),
        any::<bool>(),
        any::<bool>(),
    )
        .prop_map(|(dedupe, consent, retention, formula_safe, keep_invalid)| {
            let mut p = Policy::for_phone_column(ColumnRef::Name("phone".into()));
            p.default_region = Some("GB".into());
            p.today = Some("2025-06-30".into());
            p.dedupe = dedupe;
            p.output.formula_safe = formula_safe;
            if keep_invalid {
                p.invalid_numbers = phonescrub::InvalidNumbers::Keep;
            }
            if consent {
                p.consent = Some(phonescrub::ConsentRule {
                    column: ColumnRef::Name("consent".into()),
                    granted: None,
                    date_column: None,
                    max_age_days: None,
                });
            }
            if retention {
                p.retention = Some(phonescrub::RetentionRule {
                    column: ColumnRef::Index(3),
                    max_age_days: 365,
                });
            }
            p
        })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn every_row_lands_in_exactly_one_output(list in prop::collection::vec(row(), 0..40), p in policy_strategy()) {
        let input = to_csv(&list);
        let out = scrub_bytes(p, today(), &input, &[]).unwrap();
        let r = &out.report;
        prop_assert_eq!(r.rows_read, list.len() as u64);
        prop_assert_eq!(r.rows_kept + r.rows_removed, r.rows_read);
        let kept = rows(&out.cleaned);
        let removed = rows(&out.removed);
        prop_assert_eq!(kept.len() as u64, r.rows_kept);
        prop_assert_eq!(removed.len() as u64, r.rows_removed);
        // Nothing lost: every name shows up once, in one output or the other.
        let mut names: Vec<String> = kept.iter().chain(&removed).map(|row| row[0].trim_start_matches('\'').to_string()).collect();
        let mut expected: Vec<String> = list.iter().map(|row| row.0.clone()).collect();
        names.sort();
        expected.sort();
        prop_assert_eq!(names, expected);
        // Every removed row names a reason and a distinct source line.
        let mut lines: Vec<u64> = removed.iter().map(|row| row[4].parse().unwrap()).collect();
        prop_assert!(removed.iter().all(|row| !row[5].is_empty()));
        lines.dedup();
        prop_assert_eq!(lines.len(), removed.len());
    }

    #[test]
    fn scrubbing_the_cleaned_list_again_removes_nothing(list in prop::collection::vec(row(), 0..40), p in policy_strategy()) {
        let first = scrub_bytes(p.clone(), today(), &to_csv(&list), &[]).unwrap();
        let second = scrub_bytes(p, today(), &first.cleaned, &[]).unwrap();
        prop_assert_eq!(second.report.rows_removed, 0, "{}", text(&second.removed));
        prop_assert_eq!(second.report.rows_kept, first.report.rows_kept);
        prop_assert_eq!(second.cleaned, first.cleaned);
    }

    #[test]
    fn chunk_boundaries_change_nothing(list in prop::collection::vec(row(), 0..30), p in policy_strategy()) {
        let input = to_csv(&list);
        let whole = scrub_chunked(&p, &input, usize::MAX);
        for chunk in [1, 7, 4096] {
            let parts = scrub_chunked(&p, &input, chunk);
            prop_assert_eq!(&parts.0, &whole.0);
            prop_assert_eq!(&parts.1, &whole.1);
            prop_assert_eq!(&parts.2.input_sha256, &whole.2.input_sha256);
            prop_assert_eq!(parts.2.rows_read, whole.2.rows_read);
        }
    }
}

mod bounds {
    use super::*;

    fn scrub(input: &[u8]) -> phonescrub::Result<ScrubOutput> {
        let p = r#"{"phoneColumn":"phone","defaultRegion":"GB","output":{"formulaSafe":false}}"#;
        scrub_bytes(policy(p), today(), input, &[])
    }

    #[test]
    fn a_field_over_one_mib_is_an_error_naming_its_line() {
        let mut input = b"name,phone\nAnn,+441212941091\nBob,".to_vec();
        input.extend(std::iter::repeat_n(b'x', (1 << 20) + 1));
        input.extend(b"\n");
        let err = scrub(&input).unwrap_err();
        assert_eq!(err.line(), Some(3), "{err}");
        assert!(err.to_string().contains("1 MiB"), "{err}");
    }

    #[test]
    fn a_line_over_sixteen_mib_stops_before_it_is_buffered() {
        let mut input = b"name,phone\n".to_vec();
        input.extend(std::iter::repeat_n(b'x', 17 << 20));
        let err = scrub(&input).unwrap_err();
        assert_eq!(err.line(), Some(2), "{err}");
        assert!(err.to_string().contains("16 MiB"), "{err}");
    }

    #[test]
    fn too_many_columns() {
        let header: Vec<String> = (0..10_001).map(|i| format!("c{i}")).collect();
        let input = format!("phone,{}\n", header.join(","));
        let err = scrub(input.as_bytes()).unwrap_err();
        assert!(err.to_string().contains("10002 columns"), "{err}");
    }

    #[test]
    fn invalid_utf8_in_a_utf8_file_passes_through_untouched() {
        let mut input = "name,phone\nZoë,+441212941091\n".as_bytes().to_vec();
        input.extend(b"Bj\xf6rn,+441212941092\n");
        // The first 64 KiB decide the encoding; pad so the bad byte is past them.
        let mut padded = b"name,phone\n".to_vec();
        for i in 0..4000 {
            padded.extend(format!("Person {i},+4474001{i:05}\n").as_bytes());
        }
        padded.extend(b"Bj\xf6rn,+441212941092\n");
        let out = scrub(&padded).unwrap();
        assert_eq!(out.report.encoding, "UTF-8");
        assert!(
            out.cleaned.windows(6).any(|w| w == b"Bj\xf6rn,"),
            "the bytes are kept as they were"
        );
        // Alone, the same bytes make the file windows-1252.
        assert_eq!(scrub(&input).unwrap().report.encoding, "windows-1252");
    }

    #[test]
    fn a_bom_inside_a_field_is_kept() {
        let out = scrub("name,phone\n\u{feff}Ann,+441212941091\n".as_bytes()).unwrap();
        assert_eq!(
            text(&out.cleaned),
            "name,phone\n\u{feff}Ann,+441212941091\n"
        );
    }

    #[test]
    fn duplicate_header_names_resolve_to_the_first() {
        let out = scrub(b"phone,phone\n+441212941091,not a number\n").unwrap();
        assert_eq!(out.report.rows_kept, 1);
        assert_eq!(
            text(&out.cleaned),
            "phone,phone\n+441212941091,not a number\n"
        );
    }

    #[test]
    fn binary_and_empty_inputs() {
        for (bytes, says) in [
            (&b"%PDF-1.7\n"[..], "PDF"),
            (&b"PK\x03\x04\x14\x00"[..], "zip"),
            (&b"\x00\x01\x02\x03"[..], "binary"),
            (&b""[..], "empty"),
        ] {
            let err = scrub(bytes).unwrap_err();
            assert!(err.to_string().contains(says), "{says}: {err}");
        }
    }

    #[test]
    fn an_opt_out_list_without_numbers_is_an_error() {
        let p = r#"{"phoneColumn":"phone","defaultRegion":"GB"}"#;
        let err = scrub_bytes(
            policy(p),
            today(),
            b"phone\n+441212941091\n",
            &[("names.csv", b"name\nAnn\n")],
        )
        .unwrap_err();
        assert!(err.to_string().contains("names.csv"), "{err}");
    }
}
