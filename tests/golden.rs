//! The normaliser against libphonenumber's own verdicts (tests/fixtures/golden/corpus.tsv,
//! made by scripts/golden/regen.sh with Python `phonenumbers` at the crate's metadata
//! version). Prints the agreement and every disagreement by shape; fails under 99.9 %.

// Native only: the browser tier is tests/web.rs.
#![cfg(not(target_arch = "wasm32"))]

use std::collections::BTreeMap;

use phonescrub::phone::{normalise, region_id, Verdict};

const CORPUS: &str = include_str!("fixtures/golden/corpus.tsv");
const REQUIRED_AGREEMENT: f64 = 0.999;

#[test]
fn normaliser_agrees_with_libphonenumber() {
    let mut total = 0usize;
    let mut disagreements: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    for line in CORPUS.lines().skip(1) {
        let f: Vec<&str> = line.split('\t').collect();
        let (input, region, shape, expected) = (f[0], f[1], f[2], f[4]);
        let region_code = if region.is_empty() {
            None
        } else {
            region_id(region)
        };
        assert!(
            region.is_empty() || region_code.is_some(),
            "unknown region {region}"
        );
        let got = match normalise(input, region_code) {
            Verdict::Valid(n) => n.e164(),
            Verdict::Invalid | Verdict::Missing => "invalid".to_string(),
        };
        total += 1;
        if got != expected {
            disagreements.entry(shape).or_default().push(format!(
                "{input:?} under {region:?}: libphonenumber {expected}, ours {got}"
            ));
        }
    }
    let wrong: usize = disagreements.values().map(Vec::len).sum();
    let agreement = 1.0 - wrong as f64 / total as f64;
    println!(
        "golden corpus: {total} cases, {wrong} disagreements, agreement {:.4}%",
        agreement * 100.0
    );
    for (shape, cases) in &disagreements {
        println!("  {shape}: {} disagreements", cases.len());
        for case in cases.iter().take(5) {
            println!("    {case}");
        }
    }
    assert!(
        total > 10_000,
        "the corpus is too small to prove anything: {total}"
    );
    assert!(
        agreement >= REQUIRED_AGREEMENT,
        "agreement {:.4}% is under {:.1}%",
        agreement * 100.0,
        REQUIRED_AGREEMENT * 100.0
    );
}
