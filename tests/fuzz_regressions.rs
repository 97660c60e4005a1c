//! Fuzz regressions on stable `cargo test`: every input in tests/fixtures/fuzz/<target>/
//! (crashes the fuzzers found, kept so they stay fixed) and the committed seed corpora
//! (fuzz/corpus/<target>/) go through the very checks the cargo-fuzz targets run
//! (fuzz/checks.rs, included below).
//!
//! A panic anywhere counts, including one that phonescrub catches itself (phone::parse
//! wraps the crate in catch_unwind natively): the wasm build has panic = abort, where the
//! same panic traps the worker. A panic hook counts them per thread.
//!
//! Inputs that crash today and wait for a fix in src/ or vendor/ are listed in [`PENDING`]:
//! the folder replays skip them, and each has its own `#[ignore]`d test below, so
//! `cargo test -- --ignored` shows what is still open. Once fixed: drop the `#[ignore]` and
//! the `PENDING` entry, and add the input to the seeds (fuzz/seeds.py) if it is a good one.

#[path = "../fuzz/checks.rs"]
mod checks;

use std::cell::{Cell, RefCell};
use std::path::{Path, PathBuf};
use std::sync::Once;

const ROOT: &str = env!("CARGO_MANIFEST_DIR");
const TARGETS: [&str; 3] = ["normalise", "pipeline", "profile"];

/// Crashing inputs, relative to tests/fixtures/fuzz/, whose fix is pending.
const PENDING: &[&str] = &[];

thread_local! {
    static PANICS: Cell<u32> = const { Cell::new(0) };
    static FIRST_PANIC: RefCell<Option<String>> = const { RefCell::new(None) };
}

fn install_panic_counter() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        std::panic::set_hook(Box::new(|info| {
            if checks::contained_panic(info) {
                return;
            }
            PANICS.with(|p| p.set(p.get() + 1));
            FIRST_PANIC.with(|f| {
                f.borrow_mut().get_or_insert_with(|| info.to_string());
            });
        }));
    });
}

/// Runs one input through one target's checks: Err(the first panic's message and
/// location) when anything panicked, caught or not.
fn replay(target: &str, data: &[u8]) -> Result<(), String> {
    install_panic_counter();
    PANICS.with(|p| p.set(0));
    FIRST_PANIC.with(|f| f.borrow_mut().take());
    let check: fn(&[u8]) = match target {
        "normalise" => checks::normalise,
        "pipeline" => checks::pipeline,
        "profile" => checks::profile,
        other => panic!("no fuzz target {other}"),
    };
    let outcome = std::panic::catch_unwind(|| check(data));
    let panics = PANICS.with(Cell::get);
    let first = FIRST_PANIC
        .with(|f| f.borrow_mut().take())
        .unwrap_or_default();
    match (outcome, panics) {
        (Ok(()), 0) => Ok(()),
        (Ok(()), n) => Err(format!(
            "{n} panic(s) caught inside phonescrub (a trap in wasm); first: {first}"
        )),
        (Err(_), _) => Err(first),
    }
}

/// An input as it would be written in Rust source.
fn escaped(data: &[u8]) -> String {
    match std::str::from_utf8(data) {
        Ok(text) => format!("{text:?}"),
        Err(_) => format!("b\"{}\"", data.escape_ascii()),
    }
}

fn files(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut files: Vec<PathBuf> = entries
        .map(|e| e.expect("readable directory entry").path())
        .filter(|p| p.is_file() && p.extension().is_none_or(|e| e != "md"))
        .collect();
    files.sort();
    files
}

/// Replays every file under `base/<target>/` (skipping pending ones); panics listing each
/// failure with its input. Returns how many inputs ran.
fn replay_tree(base: &Path, targets: &[&str]) -> usize {
    let mut failures = Vec::new();
    let mut ran = 0;
    for target in targets {
        for path in files(&base.join(target)) {
            let rel = format!("{target}/{}", path.file_name().unwrap().to_string_lossy());
            if PENDING.contains(&rel.as_str()) {
                continue;
            }
            let data = std::fs::read(&path).expect("readable input");
            ran += 1;
            if let Err(message) = replay(target, &data) {
                failures.push(format!(
                    "{}\n  input: {}\n  {message}",
                    path.display(),
                    escaped(&data)
                ));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {ran} inputs failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
    ran
}

#[test]
fn fuzz_findings_stay_fixed() {
    replay_tree(&Path::new(ROOT).join("tests/fixtures/fuzz"), &TARGETS);
}

#[test]
fn seed_corpora_pass_the_fuzz_checks() {
    let ran = replay_tree(&Path::new(ROOT).join("fuzz/corpus"), &TARGETS);
    assert!(ran > 100, "only {ran} seeds: is fuzz/corpus/ there?");
}

#[test]
fn pending_crash_inputs_exist() {
    for rel in PENDING {
        let path = Path::new(ROOT).join("tests/fixtures/fuzz").join(rel);
        assert!(path.is_file(), "{} is listed but missing", path.display());
    }
}

#[test]
fn the_checks_catch_a_panic_that_phonescrub_swallows() {
    // The hook must see panics that never reach catch_unwind here.
    install_panic_counter();
    PANICS.with(|p| p.set(0));
    let _ = std::panic::catch_unwind(|| panic!("swallowed"));
    assert_eq!(PANICS.with(Cell::get), 1);
    assert!(replay("normalise", b"\x02+44 121 294 1091").is_ok());
}

/// Replays one pending crash input; fails with its panic until the fix lands.
#[allow(dead_code)]
fn assert_replays(rel: &str) {
    let target = rel.split('/').next().unwrap();
    let path = Path::new(ROOT).join("tests/fixtures/fuzz").join(rel);
    let data = std::fs::read(&path).expect("readable input");
    if let Err(message) = replay(target, &data) {
        panic!(
            "{}\n  input: {}\n  {message}",
            path.display(),
            escaped(&data)
        );
    }
}

// Crashes found by fuzzing, fix pending (one test each, see PENDING).
