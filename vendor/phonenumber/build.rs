use std::env;
use std::fs::File;
use std::io::{BufReader, BufWriter};
use std::path::Path;

#[path = "src/metadata/loader.rs"]
mod loader;

#[path = "src/error.rs"]
mod error;

fn main() {
    let pnm_path = "assets/PhoneNumberMetadata.xml";
    let metadata = loader::load(BufReader::new(
        File::open(pnm_path).expect("could not open metadata file"),
    ))
    .expect("failed to load metadata");
    // PATCH(phonescrub): the XML lays patterns out over many indented lines, and every
    // pattern is compiled with `ignore_whitespace` (the metadata has no escaped space and no
    // `#`), so the layout means nothing: dropping it takes the database built into every
    // binary from 526,576 to 212,936 bytes (63,985 to 48,394 gzipped), and that much less
    // is read when the metadata loads.
    let mut metadata = metadata;
    for meta in &mut metadata {
        compact_patterns(meta);
    }
    println!("cargo:rerun-if-changed={pnm_path}");

    let mut out = BufWriter::new(
        File::create(Path::new(&env::var("OUT_DIR").unwrap()).join("database.bin"))
            .expect("could not create database file"),
    );

    postcard::to_io(&metadata, &mut out).expect("failed to serialize database");
}

/// Removes the insignificant whitespace from every regular expression of one region
/// (never from `format` templates or transform rules, which are replacement text).
fn compact_patterns(meta: &mut loader::Metadata) {
    fn strip(pattern: &mut String) {
        assert!(
            !pattern.contains('#') && !pattern.contains("\\ "),
            "a pattern whose whitespace could matter: {pattern:?}"
        );
        pattern.retain(|c| !c.is_whitespace());
    }
    fn strip_opt(pattern: &mut Option<String>) {
        if let Some(pattern) = pattern {
            strip(pattern);
        }
    }
    for descriptor in [
        &mut meta.general,
        &mut meta.fixed_line,
        &mut meta.mobile,
        &mut meta.toll_free,
        &mut meta.premium_rate,
        &mut meta.shared_cost,
        &mut meta.personal_number,
        &mut meta.voip,
        &mut meta.pager,
        &mut meta.uan,
        &mut meta.emergency,
        &mut meta.voicemail,
        &mut meta.short_code,
        &mut meta.standard_rate,
        &mut meta.carrier,
        &mut meta.no_international,
    ]
    .into_iter()
    .flatten()
    {
        strip_opt(&mut descriptor.national_number);
    }
    strip_opt(&mut meta.international_prefix);
    strip_opt(&mut meta.national_prefix_for_parsing);
    strip_opt(&mut meta.leading_digits);
    for format in meta.formats.iter_mut().chain(meta.international_formats.iter_mut()) {
        strip_opt(&mut format.pattern);
        format.leading_digits.iter_mut().for_each(strip);
    }
}
