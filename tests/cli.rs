//! The native command-line tool, run as a user would: files in, files out, exit codes.

// Native only: the browser tier is tests/web.rs.
#![cfg(not(target_arch = "wasm32"))]

use std::path::PathBuf;
use std::process::{Command, Output};

const BIN: &str = env!("CARGO_BIN_EXE_phonescrub");
const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/lists");

fn fixture(name: &str) -> String {
    format!("{FIXTURES}/{name}")
}

fn tempdir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("phonescrub-cli-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn run(args: &[&str]) -> Output {
    Command::new(BIN).args(args).output().unwrap()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn profile_prints_columns_and_roles() {
    let out = run(&["profile", &fixture("every_reason.csv"), "--region", "GB"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let profile: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(profile["phoneColumn"], 1);
    assert_eq!(profile["encoding"], "UTF-8");
    assert_eq!(profile["columns"][2]["role"], "consent");
    assert_eq!(profile["columns"][4]["role"], "last_contact");
}

#[test]
fn scrub_writes_three_files_that_add_up() {
    let dir = tempdir("scrub");
    let (clean, removed, report) = (
        dir.join("clean.csv"),
        dir.join("removed.csv"),
        dir.join("report.json"),
    );
    let out = run(&[
        "scrub",
        &fixture("every_reason.csv"),
        "--policy",
        &fixture("every_reason.policy.json"),
        "--optout",
        &fixture("optout.txt"),
        "--out",
        clean.to_str().unwrap(),
        "--removed",
        removed.to_str().unwrap(),
        "--report",
        report.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("13 rows read: 2 kept, 11 removed"),
        "{}",
        stderr(&out)
    );
    let report: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&report).unwrap()).unwrap();
    assert_eq!(report["rowsRead"], 13);
    assert_eq!(report["policy"]["today"], "2025-06-30");
    let cleaned = std::fs::read_to_string(&clean).unwrap();
    assert_eq!(cleaned.lines().count(), 3);
    assert_eq!(
        std::fs::read_to_string(&removed).unwrap().lines().count(),
        12
    );
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn exit_codes_say_whose_fault_it_is() {
    let dir = tempdir("exit");
    let policy = dir.join("policy.json");
    let outs = [
        "--out",
        "/dev/null",
        "--removed",
        "/dev/null",
        "--report",
        "/dev/null",
    ];

    std::fs::write(&policy, r#"{"phoneColumn":"phone","dedup":false}"#).unwrap();
    let list = fixture("every_reason.csv");
    let mut args = vec!["scrub", &list[..], "--policy", policy.to_str().unwrap()];
    args.extend(outs);
    let out = run(&args);
    assert_eq!(
        out.status.code(),
        Some(2),
        "a policy typo: {}",
        stderr(&out)
    );
    assert!(stderr(&out).contains("dedup"), "{}", stderr(&out));

    std::fs::write(&policy, r#"{"phoneColumn":"mobile"}"#).unwrap();
    let out = run(&args);
    assert_eq!(
        out.status.code(),
        Some(2),
        "an unknown column: {}",
        stderr(&out)
    );

    std::fs::write(&policy, r#"{"phoneColumn":"phone"}"#).unwrap();
    let pdf = dir.join("list.csv");
    std::fs::write(&pdf, b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n").unwrap();
    let mut args = vec![
        "scrub",
        pdf.to_str().unwrap(),
        "--policy",
        policy.to_str().unwrap(),
    ];
    args.extend(outs);
    let out = run(&args);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(stderr(&out).contains("PDF"), "{}", stderr(&out));

    let out = run(&["scrub", "--policy"]);
    assert_eq!(out.status.code(), Some(2), "usage error: {}", stderr(&out));
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn keyed_hashes_take_the_key_from_a_file_never_the_policy() {
    let dir = tempdir("hash");
    let (list, policy, key) = (
        dir.join("list.csv"),
        dir.join("policy.json"),
        dir.join("key.txt"),
    );
    std::fs::write(&list, "name,phone\nA,+1 650 555 1212\n").unwrap();
    std::fs::write(&policy, r#"{"phoneColumn":"phone","output":{"formulaSafe":false,"hash":{"target":"meta","keyed":true}}}"#).unwrap();
    std::fs::write(&key, "Jefe\n").unwrap();
    let (clean, report) = (dir.join("clean.csv"), dir.join("report.json"));
    let args = |with_key: bool| {
        let mut a = vec![
            "scrub".to_string(),
            list.display().to_string(),
            "--policy".into(),
            policy.display().to_string(),
            "--out".into(),
            clean.display().to_string(),
            "--removed".into(),
            "/dev/null".into(),
            "--report".into(),
            report.display().to_string(),
        ];
        if with_key {
            a.extend(["--hash-key-file".to_string(), key.display().to_string()]);
        }
        a
    };
    let out = Command::new(BIN).args(args(false)).output().unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let out = Command::new(BIN).args(args(true)).output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        std::fs::read_to_string(&clean).unwrap(),
        "name,phone\nA,37748a645f76cb7356a20e22ec3845e586778412bcffe1148c53ce22d57c6757\n"
    );
    assert!(!std::fs::read_to_string(&report).unwrap().contains("Jefe"));
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn encrypted_outputs_open_with_the_passphrase() {
    use std::io::Read;
    let dir = tempdir("age");
    let (pass, clean, removed) = (
        dir.join("pass.txt"),
        dir.join("clean.csv.age"),
        dir.join("removed.csv.age"),
    );
    std::fs::write(&pass, "correct horse battery staple\n").unwrap();
    let out = run(&[
        "scrub",
        &fixture("every_reason.csv"),
        "--policy",
        &fixture("every_reason.policy.json"),
        "--passphrase-file",
        pass.to_str().unwrap(),
        "--out",
        clean.to_str().unwrap(),
        "--removed",
        removed.to_str().unwrap(),
        "--report",
        dir.join("report.json").to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let decrypt = |path: &PathBuf| -> String {
        let bytes = std::fs::read(path).unwrap();
        assert!(bytes.starts_with(b"age-encryption.org/v1\n"));
        let identity = age::scrypt::Identity::new(age::secrecy::SecretString::from(
            "correct horse battery staple".to_string(),
        ));
        let mut reader = age::Decryptor::new(&bytes[..])
            .unwrap()
            .decrypt(std::iter::once(&identity as &dyn age::Identity))
            .unwrap();
        let mut text = String::new();
        reader.read_to_string(&mut text).unwrap();
        text
    };
    assert!(
        decrypt(&clean).starts_with("\"name\",\"phone\",\"consent\"\n\"Ann\",\"+441212941091\"")
    );
    let removed = decrypt(&removed);
    assert_eq!(removed.lines().count(), 11, "{removed}"); // no opt-out list here: Ivy stays
    std::fs::remove_dir_all(dir).unwrap();
}
