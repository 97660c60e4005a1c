//! The wasm exports in a real browser (headless Chromium through wasm-pack test), inside a
//! dedicated worker as on the page: Blob inputs are read there with FileReaderSync.

#![cfg(target_arch = "wasm32")]

use js_sys::{Array, Function, Object, Reflect, Uint8Array};
use phonescrub::phone::{normalise, region_id, Verdict};
use phonescrub::wasm;
use wasm_bindgen::prelude::*;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_dedicated_worker);

/// The fuzz targets' checks (only `same_records` is used here).
#[path = "../fuzz/checks.rs"]
mod checks;

const GOLDEN: &str = include_str!("fixtures/golden/corpus.tsv");

fn json(text: &str) -> JsValue {
    js_sys::JSON::parse(text).unwrap()
}

fn get(value: &JsValue, key: &str) -> JsValue {
    Reflect::get(value, &key.into()).unwrap()
}

/// Sinks that collect output chunks into JS arrays.
fn collectors() -> (JsValue, Array, Array) {
    let cleaned = Array::new();
    let removed = Array::new();
    let sinks = Object::new();
    let push = |target: &Array| Function::new_with_args("chunk", "this.push(chunk)").bind0(target);
    Reflect::set(&sinks, &"cleaned".into(), &push(&cleaned)).unwrap();
    Reflect::set(&sinks, &"removed".into(), &push(&removed)).unwrap();
    Reflect::set(&sinks, &"progress".into(), &Function::new_no_args("")).unwrap();
    (sinks.into(), cleaned, removed)
}

fn text_of(chunks: &Array) -> String {
    let mut bytes = Vec::new();
    for chunk in chunks.iter() {
        bytes.extend(chunk.dyn_into::<Uint8Array>().unwrap().to_vec());
    }
    String::from_utf8(bytes).unwrap()
}

fn blob(text: &str) -> web_sys::Blob {
    let parts = Array::of1(&JsValue::from_str(text));
    web_sys::Blob::new_with_str_sequence(&parts).unwrap()
}

const LIST: &str = "name,phone,consent\nAnn,0121 294 1091,yes\nBob,+44 121 294 1091,yes\nCy,12,yes\nDi,+447400123456,no\n";
const POLICY: &str = r#"{"phoneColumn":"phone","defaultRegion":"GB","consent":{"column":"consent"},"output":{"formulaSafe":false}}"#;

#[wasm_bindgen_test]
fn scrub_a_blob_in_a_worker() {
    let (sinks, cleaned, removed) = collectors();
    let report = wasm::scrub(
        blob(LIST).into(),
        json(POLICY),
        Array::new(),
        sinks,
        JsValue::UNDEFINED,
    )
    .unwrap();
    assert_eq!(
        text_of(&cleaned),
        "name,phone,consent\nAnn,+441212941091,yes\n"
    );
    assert_eq!(
        text_of(&removed),
        "name,phone,consent,line,reasons\nBob,+441212941091,yes,3,duplicate\nCy,12,yes,4,invalid_number\nDi,+447400123456,no,5,no_consent\n"
    );
    assert_eq!(get(&report, "rowsRead").as_f64(), Some(4.0));
    assert_eq!(get(&report, "rowsKept").as_f64(), Some(1.0));
    assert_eq!(
        get(&get(&report, "reasons"), "no_consent").as_f64(),
        Some(1.0)
    );
    assert_eq!(
        get(&report, "encoding").as_string().as_deref(),
        Some("UTF-8")
    );
}

#[wasm_bindgen_test]
fn scrub_bytes_with_an_opt_out_list() {
    let (sinks, cleaned, _) = collectors();
    let list = Uint8Array::from(LIST.as_bytes());
    let opt_out = Object::new();
    Reflect::set(&opt_out, &"name".into(), &"dnc.txt".into()).unwrap();
    Reflect::set(&opt_out, &"data".into(), &blob("+44 121 294 1091\n")).unwrap();
    let report = wasm::scrub(
        list.into(),
        json(POLICY),
        Array::of1(&opt_out),
        sinks,
        JsValue::UNDEFINED,
    )
    .unwrap();
    assert_eq!(text_of(&cleaned), "name,phone,consent\n");
    let lists: Array = get(&report, "optOutLists").dyn_into().unwrap();
    assert_eq!(get(&lists.get(0), "rowsMatched").as_f64(), Some(2.0));
}

#[wasm_bindgen_test]
fn errors_are_phonescrub_errors_with_kind_and_line() {
    let (sinks, _, _) = collectors();
    let err = wasm::scrub(
        blob(LIST).into(),
        json(r#"{"phoneColumn":"mobile"}"#),
        Array::new(),
        sinks,
        JsValue::UNDEFINED,
    )
    .unwrap_err();
    assert_eq!(
        get(&err, "name").as_string().as_deref(),
        Some("PhonescrubError")
    );
    assert_eq!(get(&err, "kind").as_string().as_deref(), Some("policy"));

    let (sinks, _, _) = collectors();
    let err = wasm::scrub(
        blob("").into(),
        json(POLICY),
        Array::new(),
        sinks,
        JsValue::UNDEFINED,
    )
    .unwrap_err();
    assert_eq!(get(&err, "kind").as_string().as_deref(), Some("input"));
    assert!(get(&err, "message").as_string().unwrap().contains("empty"));

    let (sinks, _, _) = collectors();
    let list = "name,phone\nAnn,+441212941091\n";
    let err = wasm::scrub(
        blob(list).into(),
        json(r#"{"phoneColumn":"phone","today":"tomorrow"}"#),
        Array::new(),
        sinks,
        JsValue::UNDEFINED,
    )
    .unwrap_err();
    assert_eq!(get(&err, "kind").as_string().as_deref(), Some("policy"));
}

/// The record reader's fast path in wasm is WebAssembly SIMD (`records::scan`), not the
/// SSE2 of the native unit tests: it must read what `csv::Reader` reads here too (the
/// fuzz targets' check, `same_records`).
#[wasm_bindgen_test]
fn the_record_reader_reads_what_the_csv_crate_reads() {
    let mut state = 0x5eed_u64;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    // Lines of every length up to 300 bytes (so each of a 16-byte block's places holds a
    // delimiter, quote, line end or non-ASCII byte), then the whole set again, together.
    let alphabet: &[u8] = b"ab1,,;;\" \t\0\xc3\xa9\x7f";
    let mut inputs: Vec<Vec<u8>> = (0..3000)
        .map(|_| {
            let len = (next() % 300) as usize;
            (0..len)
                .map(|_| match next() % 40 {
                    0 => b'\n',
                    1 => b'\r',
                    _ => alphabet[(next() % alphabet.len() as u64) as usize],
                })
                .collect()
        })
        .collect();
    inputs.push(inputs.concat());
    for input in &inputs {
        for delimiter in [b',', b';'] {
            checks::same_records(input, delimiter, false);
        }
    }
}

#[wasm_bindgen_test]
fn mask_number_is_exported() {
    assert_eq!(wasm::mask_number("+447700900123"), "+447700****23");
}

/// The warm-up the page runs once the engine has loaded: every step runs in wasm (the
/// native test `warm::tests` checks each step's result against the row-by-row scrub).
#[wasm_bindgen_test]
fn the_warm_up_runs_every_step_then_stops() {
    let steps = phonescrub::warm::STEPS;
    for step in 0..steps {
        assert_eq!(
            wasm::warm_up(step).unwrap(),
            step + 1 < steps,
            "step {step}"
        );
    }
    assert!(!wasm::warm_up(steps).unwrap(), "a step past the last one");
    let (report, cleaned, _) = phonescrub::warm::run(0).unwrap();
    assert!(report.rows_kept > 0 && report.rows_removed > 0);
    assert!(cleaned.starts_with(b"\"id\",\"name\",\"phone\""));
}

#[wasm_bindgen_test]
fn profile_guesses_the_phone_column() {
    let profile = wasm::profile(blob(LIST).into(), json(r#"{"defaultRegion":"GB"}"#)).unwrap();
    assert_eq!(get(&profile, "phoneColumn").as_f64(), Some(1.0));
    assert_eq!(get(&profile, "delimiter").as_string().as_deref(), Some(","));
    assert_eq!(get(&profile, "estimatedRows").as_f64(), Some(4.0));
}

/// Every 10th case of the golden corpus, normalised by the wasm build: the same answers
/// as libphonenumber (and as the native test, which runs every case).
#[wasm_bindgen_test]
fn golden_corpus_sample_agrees_in_wasm() {
    let mut cases = 0;
    let mut wrong = Vec::new();
    for line in GOLDEN.lines().skip(1).step_by(10) {
        let f: Vec<&str> = line.split('\t').collect();
        let region = if f[1].is_empty() {
            None
        } else {
            region_id(f[1])
        };
        let got = match normalise(f[0], region) {
            Verdict::Valid(n) => n.e164(),
            _ => "invalid".to_string(),
        };
        cases += 1;
        if got != f[4] {
            wrong.push(format!(
                "{:?} under {:?}: libphonenumber {}, wasm {got}",
                f[0], f[1], f[4]
            ));
        }
    }
    console_log!(
        "golden sample in wasm: {cases} cases, {} disagreements",
        wrong.len()
    );
    assert!(cases > 6000, "{cases}");
    assert!(
        wrong.len() * 1000 <= cases,
        "agreement under 99.9%: {:#?}",
        &wrong[..wrong.len().min(20)]
    );
}

/// A part worker's last `scrub` or `write` result, taken as the page takes it: into the
/// front of a buffer with room to spare (the one its part came in).
fn taken(worker: &mut wasm::PartWorker, len: usize) -> Vec<u8> {
    let out = js_sys::Uint8Array::new_with_length(len as u32 + 7);
    worker.take_result(&out).unwrap();
    out.subarray(0, len as u32).to_vec()
}

/// A list of about 9 MiB (three parts), messy enough for every rule, with a quoted field
/// holding a line break every few rows.
fn big_list() -> String {
    let phones = [
        "0121 294 1091",
        "+44 121 294 1092",
        "12",
        "",
        "+447400123456",
        "07400 123457",
    ];
    let consent = ["yes", "no", "yes", "\"ye\ns\""];
    let mut text = String::from("name,phone,consent\n");
    let mut i = 0u64;
    while text.len() < 9 << 20 {
        let phone = phones[(i % 6) as usize];
        // Mostly distinct numbers, some repeats across the whole list.
        let phone = if i % 3 == 0 {
            format!("+4412129{:05}", i % 90_000)
        } else {
            phone.to_string()
        };
        text.push_str(&format!(
            "\"row {i}\",{phone},{}\n",
            consent[(i % 4) as usize]
        ));
        i += 1;
    }
    text
}

#[wasm_bindgen_test]
fn a_list_read_in_parts_matches_the_row_by_row_scrub() {
    // The page's parallel path, with the part workers' calls made in this worker: the
    // merged result is the same bytes and report as `scrub`.
    let text = big_list();
    let list = blob(&text);
    let policy = r#"{"phoneColumn":"phone","defaultRegion":"GB","consent":{"column":"consent"}}"#;
    let options = || json(r#"{"today":"2025-06-30"}"#);
    // Two opt-out lists: a number, and the SHA-256 of another (Google's form of
    // +447400123457), both on rows of the list.
    let opt_outs = || {
        let list = |name: &str, text: &str| {
            let entry = js_sys::Object::new();
            js_sys::Reflect::set(&entry, &"name".into(), &name.into()).unwrap();
            js_sys::Reflect::set(&entry, &"data".into(), &blob(text)).unwrap();
            entry
        };
        Array::of2(
            &list("numbers.txt", "+44 7400 123456\n"),
            &list(
                "hashed.txt",
                "86ae129a4146ab7232b776d0116d162a29fd838fa239c4bc998d8d1ecead8b6a\n",
            ),
        )
    };
    let (sinks, cleaned, removed) = collectors();
    let expected = wasm::scrub(
        list.clone().into(),
        json(policy),
        opt_outs(),
        sinks,
        options(),
    )
    .unwrap();
    let matched: Array = get(&expected, "optOutLists").dyn_into().unwrap();
    for list in matched.iter() {
        assert!(get(&list, "rowsMatched").as_f64().unwrap() > 1000.0);
    }

    // Both ways the page runs a job that checks consent: read once (the parts decided
    // before the refusals are known, kept, merged once all are in), as it does for a
    // list this size, and read twice (scanned for the refusals first), as for one over
    // 128 MiB. Read once, the page gives the rows their final reasons here and has the
    // part workers write them (`mergeVerdicts`, `PartWorker.write`); both ways are done.
    for (read_once, written_elsewhere) in [(true, false), (true, true), (false, false)] {
        let (sinks, p_cleaned, p_removed) = collectors();
        let mut job = wasm::ParallelScrub::start(
            list.clone().into(),
            json(policy),
            opt_outs(),
            sinks,
            options(),
        )
        .unwrap()
        .expect("a 9 MiB UTF-8 list is cut into parts");
        let ranges = job.parts();
        let parts = ranges.len() / 2;
        assert!(parts >= 2, "{parts} parts");
        assert!(job.two_passes());
        assert!(job.reads_once(), "a 9 MiB list is read once");
        let mut worker = wasm::PartWorker::new(&job.context()).unwrap();
        // The bytes the coordinating worker reads and hands over.
        let part = |i: usize| &text.as_bytes()[ranges[2 * i] as usize..ranges[2 * i + 1] as usize];
        // The report's SHA-256, compared below, each way the page has it worked out. For
        // a list up to 128 MiB the page gives the browser's before `finish`
        // (`hashLater`; not given here, so `finish` hashes the whole list). For a bigger
        // one the part workers hash the parts of the first phase, each from the state
        // the part before left (done here in turn). Read once and merged here, the
        // merges hash the list.
        if written_elsewhere {
            job.hash_later();
        }
        let mut state = if read_once {
            None
        } else {
            Some(job.hash_start().unwrap())
        };
        let mut hash = |i: usize, last: bool, job: &mut wasm::ParallelScrub| {
            if let Some(from) = &state {
                let after = wasm::PartWorker::hash(from, part(i)).unwrap();
                if last {
                    assert!(job.hash_end(&after), "the state after the last part");
                }
                state = Some(after);
            }
        };
        let mut stopped = None;
        if read_once {
            let mut kept = Vec::new();
            for i in 0..parts {
                hash(i, i + 1 == parts, &mut job);
                let len = worker.scrub(part(i), i + 1 == parts);
                if i == 0 {
                    // A buffer too short for the result is refused, and the result kept.
                    let short = js_sys::Uint8Array::new_with_length(len as u32 - 1);
                    assert!(worker.take_result(&short).is_err());
                }
                let decided = taken(&mut worker, len);
                // The parts are decided without the opt-out lists, which the page reads
                // once the first parts are under way (here after the first; when it is
                // not called, the first merge of a scrub part reads them).
                if i == 0 && !written_elsewhere {
                    job.read_opt_outs().unwrap();
                }
                if !job.merge_refusals(i, &decided).unwrap() {
                    // The cut fell inside the quoted line break: the rest in one piece.
                    job.scan_rest(i).unwrap();
                    stopped = Some(i);
                    break;
                }
                kept.push(decided);
            }
            job.start_scrub().unwrap();
            if written_elsewhere {
                job.flush_outputs().unwrap();
                let mut writer = wasm::PartWorker::new(&job.context()).unwrap();
                for (i, decided) in kept.iter().enumerate() {
                    let verdicts = job
                        .merge_verdicts(i, decided)
                        .unwrap()
                        .expect("a whole part");
                    let len = writer.write(decided, &verdicts).unwrap();
                    let out = taken(&mut writer, len);
                    let split = 8 + u64::from_le_bytes(out[..8].try_into().unwrap()) as usize;
                    p_cleaned.push(&js_sys::Uint8Array::from(&out[8..split]));
                    p_removed.push(&js_sys::Uint8Array::from(&out[split..]));
                }
            } else {
                for (i, decided) in kept.iter().enumerate() {
                    assert!(job.merge_scrub(i, decided).unwrap());
                }
            }
        } else {
            for i in 0..parts {
                hash(i, i + 1 == parts, &mut job);
                if !job
                    .merge_scan(i, &worker.scan(part(i), i + 1 == parts))
                    .unwrap()
                {
                    job.scan_rest(i).unwrap();
                    break;
                }
            }
            job.start_scrub().unwrap();
            // The scrub's parts are decided with the refusals the scan found.
            let mut worker = wasm::PartWorker::new(&job.context()).unwrap();
            for i in 0..parts {
                let len = worker.scrub(part(i), i + 1 == parts);
                if !job.merge_scrub(i, &taken(&mut worker, len)).unwrap() {
                    stopped = Some(i);
                    break;
                }
            }
        }
        if let Some(i) = stopped {
            job.scrub_rest(i).unwrap();
        }
        let report = job.finish().unwrap();
        let how = match (read_once, written_elsewhere) {
            (false, _) => "read twice",
            (true, false) => "read once",
            (true, true) => "read once, rows written by a part worker",
        };
        assert_eq!(text_of(&p_cleaned), text_of(&cleaned), "{how}: cleaned");
        assert_eq!(text_of(&p_removed), text_of(&removed), "{how}: removed");
        for key in [
            "rowsRead",
            "rowsKept",
            "rowsRemoved",
            "distinctNumbers",
            "inputSha256",
            "reasons",
            "consentValues",
            "optOutLists",
        ] {
            assert_eq!(
                js_sys::JSON::stringify(&get(&report, key)).unwrap(),
                js_sys::JSON::stringify(&get(&expected, key)).unwrap(),
                "{how}: {key}"
            );
        }
        assert!(get(&report, "rowsRead").as_f64().unwrap() > 200_000.0);
    }
}
