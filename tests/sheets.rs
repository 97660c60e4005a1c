//! Spreadsheets in and out, over files made by other programs (LibreOffice and openpyxl,
//! see scripts/make-sheet-fixtures.sh): a spreadsheet scrubs to the same result as the
//! CSV of the same data, Excel-mangled numbers are recovered or reported, and the .xlsx
//! output reads back with the phone column as text.

// Native only: the browser tier is tests/web.rs.
#![cfg(not(target_arch = "wasm32"))]

use phonescrub::{profile_sheet, OutputFormat, Policy, Report, Scrubber};

const SHEETS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/sheets");

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(format!("{SHEETS}/{name}")).unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn today() -> phonescrub::Date {
    phonescrub::parse_date("2025-06-30").unwrap()
}

fn contacts_policy() -> Policy {
    Policy::from_json(&String::from_utf8(fixture("contacts.policy.json")).unwrap()).unwrap()
}

struct Out {
    cleaned: Vec<u8>,
    removed: Vec<u8>,
    report: Report,
}

fn scrub(policy: Policy, input: &[u8], sheet: Option<&str>) -> phonescrub::Result<Out> {
    let mut scrubber = Scrubber::new(policy, today())?;
    if let Some(name) = sheet {
        scrubber.set_sheet(name);
    }
    let (mut cleaned, mut removed) = (Vec::new(), Vec::new());
    let report = scrubber.run(&mut || Ok(input), &mut cleaned, &mut removed, &mut |_| {})?;
    Ok(Out {
        cleaned,
        removed,
        report,
    })
}

fn text(bytes: &[u8]) -> &str {
    std::str::from_utf8(bytes).unwrap()
}

#[test]
fn libreoffice_xlsx_xls_and_ods_scrub_like_the_csv() {
    let csv = scrub(contacts_policy(), &fixture("contacts.csv"), None).unwrap();
    // The data itself: the CSV run finds every kind of row.
    assert_eq!(
        text(&csv.cleaned),
        "name,phone,consent\nAnn,+447400123456,yes\nBob,+447400123457,yes\nCy,+16502530000,yes\nMo,+4915123456789,yes\n"
    );
    for name in ["contacts.xlsx", "contacts.xls", "contacts.ods"] {
        let bytes = fixture(name);
        let sheet = scrub(contacts_policy(), &bytes, None).unwrap();
        assert_eq!(text(&sheet.cleaned), text(&csv.cleaned), "{name}: cleaned");
        // Same rows removed, same lines (sheet row numbers), same reasons.
        assert_eq!(text(&sheet.removed), text(&csv.removed), "{name}: removed");
        let (a, b) = (&sheet.report, &csv.report);
        assert_eq!(a.reasons, b.reasons, "{name}");
        assert_eq!(
            (a.rows_read, a.rows_kept),
            (b.rows_read, b.rows_kept),
            "{name}"
        );
        assert_eq!(a.format, name.rsplit('.').next().unwrap());
        assert_eq!(
            a.input_bytes,
            bytes.len() as u64,
            "{name}: the file's bytes"
        );
        assert_eq!(a.columns, b.columns);
    }
}

#[test]
fn excel_mangled_numbers_are_recovered_or_reported() {
    let policy = Policy::from_json(
        r#"{"phoneColumn":"Phone","defaultRegion":"GB","consent":{"column":"Opt-in"},
            "today":"2025-06-30","output":{"formulaSafe":false}}"#,
    )
    .unwrap();
    let out = scrub(policy, &fixture("excel_mangled.xlsx"), Some("contacts")).unwrap();
    assert_eq!(out.report.sheet.as_deref(), Some("Contacts"));
    assert_eq!(
        text(&out.cleaned),
        "Name,Phone,Opt-in,Signed up\n\
         Ann,+447400123456,yes,2025-01-10\n\
         Bob,+447400123457,yes,2025-01-10\n\
         Cy,+447400123458,yes,2025-01-10\n\
         Ed,+16502530000,TRUE,2025-01-10\n\
         Fi,+447400123459,yes,2025-01-10\n"
    );
    // Lines are sheet row numbers: the header is row 1.
    assert_eq!(
        text(&out.removed),
        "Name,Phone,Opt-in,Signed up,line,reasons\n\
         Di,1.20155501E+10,yes,2025-01-10,5,mangled_number\n\
         Gus,+447400123456,yes,2025-01-10,8,duplicate\n"
    );
    assert_eq!(out.report.reasons["mangled_number"], 1);
}

#[test]
fn the_first_sheet_is_the_default_and_a_wrong_name_is_a_policy_error() {
    let policy = Policy::from_json(r#"{"phoneColumn":"Phone"}"#).unwrap();
    let err = scrub(policy.clone(), &fixture("excel_mangled.xlsx"), None)
        .err()
        .unwrap();
    // The first sheet is a note, with no Phone column.
    assert!(err.is_policy(), "{err}");
    let err = scrub(policy, &fixture("excel_mangled.xlsx"), Some("Sheet9"))
        .err()
        .unwrap();
    assert!(err.is_policy(), "{err}");
    assert!(err.to_string().contains("Read me, Contacts"), "{err}");
}

#[test]
fn profile_lists_the_sheets_and_reads_the_chosen_one() {
    let bytes = fixture("excel_mangled.xlsx");
    let p = profile_sheet(&bytes[..], 1000, Some("GB"), None, Some("Contacts")).unwrap();
    assert_eq!(p.format, "xlsx");
    assert_eq!(p.sheets, vec!["Read me", "Contacts"]);
    assert_eq!(p.sheet.as_deref(), Some("Contacts"));
    assert_eq!(p.phone_column, Some(1));
    assert_eq!(p.estimated_rows, Some(7));
    let phone = &p.columns[1];
    // Number cells come out as plain digits, never 4.474E+11 or 447400123456.0.
    assert_eq!(phone.samples[0], "447400123456");
    let first = profile_sheet(&bytes[..], 1000, None, None, None).unwrap();
    assert_eq!(first.sheet.as_deref(), Some("Read me"));
    let ods = fixture("contacts.ods");
    let p = profile_sheet(&ods[..], 1000, Some("GB"), None, None).unwrap();
    assert_eq!((p.format.as_str(), p.phone_column), ("ods", Some(1)));
}

#[test]
fn scientific_notation_in_a_csv_is_read_too() {
    let policy = Policy::from_json(
        r#"{"phoneColumn":"phone","defaultRegion":"GB","output":{"formulaSafe":false}}"#,
    )
    .unwrap();
    let input = b"name,phone\nA,4.47400123456E+11\nB,\"4,47400123457E+11\"\nC,1.20155501E+10\nD,447400123458\n";
    let out = scrub(policy, input, None).unwrap();
    assert_eq!(
        text(&out.cleaned),
        "name,phone\nA,+447400123456\nB,+447400123457\nD,+447400123458\n"
    );
    assert_eq!(
        text(&out.removed),
        "name,phone,line,reasons\nC,1.20155501E+10,4,mangled_number\n"
    );
}

#[test]
fn xlsx_output_keeps_the_plus_as_text() {
    let mut policy = contacts_policy();
    policy.output.format = OutputFormat::Xlsx;
    policy.output.formula_safe = true; // does not apply: text cells are never formulas
    let out = scrub(policy, &fixture("contacts.xlsx"), None).unwrap();
    assert!(out.cleaned.starts_with(b"PK\x03\x04"));
    // Read back with calamine: every cell a text cell, the + kept.
    use calamine::{Data, Reader, Xlsx};
    let mut book = Xlsx::new(std::io::Cursor::new(out.cleaned.clone())).unwrap();
    assert_eq!(book.sheet_names(), vec!["cleaned"]);
    let range = book.worksheet_range("cleaned").unwrap();
    assert_eq!(
        range.get((1, 1)),
        Some(&Data::String("+447400123456".into()))
    );
    assert_eq!(range.get((0, 0)), Some(&Data::String("name".into())));
    assert_eq!(range.get_size(), (5, 3));
    let mut removed = Xlsx::new(std::io::Cursor::new(out.removed.clone())).unwrap();
    let range = removed.worksheet_range("removed").unwrap();
    assert_eq!(range.get((0, 4)), Some(&Data::String("reasons".into())));
    assert_eq!(range.get_size().0 as u64, out.report.rows_removed + 1);
    // The report echoes the policy as given.
    assert_eq!(out.report.policy.output.format, OutputFormat::Xlsx);
    assert!(out.report.policy.output.formula_safe);
    // The same scrub gives the same bytes (the workbook's date is `today`).
    let mut policy = contacts_policy();
    policy.output.format = OutputFormat::Xlsx;
    let again = scrub(policy, &fixture("contacts.xlsx"), None).unwrap();
    assert_eq!(again.cleaned, out.cleaned);
}

#[test]
fn oversized_and_non_spreadsheet_archives_are_clear_errors() {
    let policy = Policy::from_json(r#"{"phoneColumn":0}"#).unwrap();
    let mut big = b"PK\x03\x04".to_vec();
    big.resize(phonescrub::MAX_SHEET_BYTES as usize + 10, 0);
    let err = scrub(policy.clone(), &big, None).err().unwrap();
    assert!(err.to_string().contains("32 MiB"), "{err}");
    let err = scrub(policy, b"PK\x03\x04 word/document.xml", None)
        .err()
        .unwrap();
    assert!(err.to_string().contains("not a spreadsheet"), "{err}");
}

#[test]
fn the_cli_takes_sheet_and_format() {
    let bin = env!("CARGO_BIN_EXE_phonescrub");
    let dir = std::env::temp_dir().join(format!("phonescrub-sheets-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let policy = dir.join("policy.json");
    std::fs::write(&policy, r#"{"phoneColumn":"Phone","defaultRegion":"GB"}"#).unwrap();
    let input = format!("{SHEETS}/excel_mangled.xlsx");
    let run = |args: &[&str]| std::process::Command::new(bin).args(args).output().unwrap();
    let profile = run(&["profile", &input, "--sheet", "Contacts", "--region", "GB"]);
    assert!(profile.status.success());
    let json: serde_json::Value = serde_json::from_slice(&profile.stdout).unwrap();
    assert_eq!(json["sheets"], serde_json::json!(["Read me", "Contacts"]));
    assert_eq!(json["phoneColumn"], 1);
    let (out, removed, report) = (dir.join("c.xlsx"), dir.join("r.xlsx"), dir.join("r.json"));
    let scrub = run(&[
        "scrub",
        &input,
        "--sheet",
        "Contacts",
        "--policy",
        policy.to_str().unwrap(),
        "--format",
        "xlsx",
        "--out",
        out.to_str().unwrap(),
        "--removed",
        removed.to_str().unwrap(),
        "--report",
        report.to_str().unwrap(),
    ]);
    assert!(
        scrub.status.success(),
        "{}",
        String::from_utf8_lossy(&scrub.stderr)
    );
    assert!(std::fs::read(&out).unwrap().starts_with(b"PK\x03\x04"));
    let report: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&report).unwrap()).unwrap();
    assert_eq!(report["sheet"], "Contacts");
    assert_eq!(report["reasons"]["mangled_number"], 1);
    let wrong = run(&["profile", &input, "--sheet", "Nope"]);
    assert_eq!(wrong.status.code(), Some(2));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_workbook_works_as_an_opt_out_list_with_its_numbers_recovered() {
    // LibreOffice stored most phone cells of contacts.xlsx as numbers: 447400123456, with
    // the + gone. Read as text they are not numbers; as a list they must still opt out.
    let list = b"phone\n+447400123456\n07400123457\n+16502530000\n+447911123456\n";
    let mut scrubber = Scrubber::new(
        Policy::from_json(
            r#"{"phoneColumn": "phone", "defaultRegion": "GB", "output": {"formulaSafe": false}}"#,
        )
        .unwrap(),
        today(),
    )
    .unwrap();
    let listed = scrubber
        .add_opt_out_list("contacts.xlsx", &fixture("contacts.xlsx")[..])
        .unwrap()
        .numbers;
    let csv_listed = Scrubber::new(contacts_policy(), today())
        .unwrap()
        .add_opt_out_list("contacts.csv", &fixture("contacts.csv")[..])
        .unwrap()
        .numbers;
    assert_eq!(
        listed, csv_listed,
        "the workbook yields the numbers the CSV does"
    );
    let (mut cleaned, mut removed) = (Vec::new(), Vec::new());
    let report = scrubber
        .run(
            &mut || Ok(&list[..]),
            &mut cleaned,
            &mut removed,
            &mut |_| {},
        )
        .unwrap();
    assert_eq!(text(&cleaned), "phone\n+447911123456\n");
    assert_eq!(report.reasons.get("opted_out").copied(), Some(3));
}

#[test]
fn a_damaged_xls_is_an_input_error_not_a_panic() {
    // Made by the fuzzer: calamine's .xls record reader panics on it (vendor/calamine/
    // PATCHES.md); the engine contains that and names the file as damaged.
    let damaged = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/e2e/fixtures/damaged.xls"
    ))
    .unwrap();
    let err = scrub(contacts_policy(), &damaged, None)
        .err()
        .expect("a damaged .xls is refused");
    assert!(
        err.to_string().contains("this .xls file is damaged"),
        "{err}"
    );
    assert!(profile_sheet(&damaged[..], 10, None, None, None).is_err());
}

#[test]
fn cells_far_apart_are_an_input_error_not_an_allocation() {
    // A sheet's cells are read into one dense range spanning them all: a few cells far
    // apart in a file of a few KB asked for gigabytes, and the failed allocation aborted
    // the process (a trap in the browser). far-cell.xlsx is contacts.xlsx with a cell at
    // XFD1048576 (17 billion cells spanned); far-cells.xls is the fuzzer's (5 GB asked
    // for). vendor/calamine/PATCHES.md 11.
    for name in ["far-cell.xlsx", "far-cells.xls"] {
        let bytes = fixture(name);
        let err = scrub(contacts_policy(), &bytes, None)
            .err()
            .unwrap_or_else(|| panic!("{name} is refused"));
        assert!(
            matches!(err.kind(), phonescrub::ErrorKind::Input { .. }),
            "{name}: {err}"
        );
        assert!(
            err.to_string()
                .contains("more than the 30000000 cells read"),
            "{name}: {err}"
        );
        let err = profile_sheet(&bytes[..], 10, None, None, None)
            .err()
            .unwrap_or_else(|| panic!("{name} is not profiled"));
        assert!(err.to_string().contains("cells span"), "{name}: {err}");
    }
    // The same sheet without the far cell still reads: the limit is on the span.
    assert!(scrub(contacts_policy(), &fixture("contacts.xlsx"), None).is_ok());
}
