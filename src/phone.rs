//! Raw cell -> normalised number: E.164, validity, formatting.
//!
//! Parsing and validation are the `phonenumber` crate's, with libphonenumber's metadata, as
//! patched in `vendor/phonenumber` (see its PATCHES.md) to agree with libphonenumber on the
//! golden corpus (`tests/golden.rs`). Before the crate sees a cell we bound it and tidy it:
//!
//! * cells longer than [`MAX_PHONE_CELL_BYTES`] are invalid without being parsed;
//! * Unicode digits (full-width, Arabic-Indic, …) become ASCII;
//! * as libphonenumber's `extractPossibleNumber`, anything before the first `+` or digit
//!   (a label such as `Tel:`) is cut off, and RFC 3966 `tel:` URI parameters (`;ext=`,
//!   `;phone-context=`, the source of past crashes in the crate) are dropped.

use std::borrow::Cow;
use std::str::FromStr;

use phonenumber::country::Id;
use phonenumber::metadata::DATABASE;
use phonenumber::{Mode, PhoneNumber};

use crate::policy::PhoneFormat;

/// Cells longer than this (in bytes, after trimming) are never phone numbers: they are
/// reported `invalid_number` without being parsed, which bounds the parser's work.
pub const MAX_PHONE_CELL_BYTES: usize = 128;

/// What a phone cell turned out to hold.
#[derive(Clone, Debug)]
pub enum Verdict {
    /// Empty, or no digit at all ("n/a", "-", "none").
    Missing,
    /// Digits that do not make a valid number for the region in force.
    Invalid,
    /// A valid number.
    Valid(Number),
}

/// A valid, normalised phone number.
#[derive(Clone, Debug)]
pub struct Number {
    parsed: PhoneNumber,
    key: u64,
}

impl Number {
    /// The E.164 digits as one integer: the key for dedupe and opt-out matching.
    /// E.164 never starts with 0, so distinct numbers have distinct keys.
    pub fn key(&self) -> u64 {
        self.key
    }

    /// "+441212941091".
    pub fn e164(&self) -> String {
        self.e164_in(&mut [0; 21]).to_string()
    }

    /// "+441212941091", written into `buf`: no allocation, once a row. (The digits
    /// written by hand: `format!` costs several times as much.)
    pub fn e164_in<'b>(&self, buf: &'b mut [u8; 21]) -> &'b str {
        let mut digits = [0u8; 20];
        let digits = crate::output::decimal(self.key, &mut digits);
        buf[0] = b'+';
        buf[1..=digits.len()].copy_from_slice(digits);
        std::str::from_utf8(&buf[..=digits.len()]).expect("ASCII digits")
    }

    /// The number written as the policy asks (`Original` is the caller's raw cell).
    pub fn format(&self, format: PhoneFormat) -> String {
        self.format_in(format, &mut [0; 21]).into_owned()
    }

    /// [`Number::format`], E.164 written into `buf` (see [`Number::e164_in`]).
    pub fn format_in<'b>(&self, format: PhoneFormat, buf: &'b mut [u8; 21]) -> Cow<'b, str> {
        match format {
            PhoneFormat::E164 | PhoneFormat::Original => Cow::Borrowed(self.e164_in(buf)),
            PhoneFormat::International => {
                Cow::Owned(self.parsed.format().mode(Mode::International).to_string())
            }
            PhoneFormat::National => {
                Cow::Owned(self.parsed.format().mode(Mode::National).to_string())
            }
        }
    }

    /// The ISO region the number belongs to, when the metadata can tell.
    pub fn region(&self) -> Option<String> {
        self.parsed.country().id().map(|id| id.as_ref().to_string())
    }
}

/// A region code with phone metadata ("GB", "us"), or `None`.
pub fn region_id(code: &str) -> Option<Id> {
    let upper = code.trim().to_ascii_uppercase();
    let id = Id::from_str(&upper).ok()?;
    DATABASE.by_id(id.as_ref()).map(|_| id)
}

/// Reads a region cell: an ISO alpha-2 or alpha-3 code or an English country name
/// ("GB", "GBR", "United Kingdom", "UK"). `None` when it cannot be read.
pub fn region_from_cell(cell: &str) -> Option<Id> {
    let cell = cell.trim();
    if cell.is_empty() {
        return None;
    }
    if cell.len() == 2 {
        if let Some(id) = region_id(cell) {
            return Some(id);
        }
    }
    // celes keys names without spaces or punctuation ("unitedkingdom"), aliases too ("uk").
    let key: String = cell
        .chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect();
    if key == "uk" {
        // Not an ISO code (it is reserved for GB), but what half of all lists say.
        return region_id("GB");
    }
    let country = celes::Country::from_str(&key)
        .or_else(|_| celes::Country::from_alias(&key))
        .ok()?;
    region_id(country.alpha2)
}

/// Normalises one phone cell under an optional default region.
pub fn normalise(raw: &str, region: Option<Id>) -> Verdict {
    // Nearly every cell starts and ends with a visible ASCII character: nothing to trim.
    let cell = match raw.as_bytes() {
        [first, .., last] if first.is_ascii_graphic() && last.is_ascii_graphic() => raw,
        _ => raw.trim_matches(|c: char| c.is_whitespace() || c == '\u{feff}'),
    };
    // Our own formula-safe prefix: a cleaned file must read back as the same numbers.
    let cell = cell.strip_prefix('\'').unwrap_or(cell);
    if cell.is_empty() {
        return Verdict::Missing;
    }
    if cell.len() > MAX_PHONE_CELL_BYTES {
        return Verdict::Invalid;
    }
    let ascii = ascii_digits(cell);
    let text = strip_tel_uri(&ascii).unwrap_or(&ascii);
    // libphonenumber's extractPossibleNumber: start at the first '+' or digit.
    // ('+' and the digits are ASCII: the first such byte is the first such char.)
    let Some(start) = text.bytes().position(|b| b == b'+' || b.is_ascii_digit()) else {
        return Verdict::Missing;
    };
    let text = &text[start..];
    if !text.bytes().any(|b| b.is_ascii_digit()) {
        return Verdict::Missing;
    }
    if region.is_none() && !text.starts_with('+') {
        // Without a default region only "+CC…" can say which country a number is in.
        return Verdict::Invalid;
    }
    let parsed = parse(region, text);
    match parsed {
        Some(number) if number.is_valid() => Verdict::Valid(Number {
            key: e164_key(&number),
            parsed: number,
        }),
        _ => Verdict::Invalid,
    }
}

fn parse(region: Option<Id>, text: &str) -> Option<PhoneNumber> {
    // The crate has panicked on malformed input before (RustSec advisories); natively a
    // panic is caught and the cell is simply invalid. In wasm (panic = abort) the
    // pre-checks above are the defence, and the worker restarts a trapped instance.
    std::panic::catch_unwind(|| phonenumber::parse(region, text).ok())
        .ok()
        .flatten()
}

/// The E.164 digits as an integer, computed rather than formatted and read back: the
/// country code, the national number's leading zeros (Italy), then its value. A test
/// checks it against the crate's E.164 formatting.
fn e164_key(number: &PhoneNumber) -> u64 {
    let national = number.national();
    let digits =
        national.value().checked_ilog10().map_or(1, |d| d + 1) + u32::from(national.zeros());
    u64::from(number.code().value()) * 10u64.pow(digits) + national.value()
}

/// Replaces Unicode decimal digits and the full-width plus with ASCII.
fn ascii_digits(cell: &str) -> Cow<'_, str> {
    if cell.is_ascii() {
        return Cow::Borrowed(cell);
    }
    cell.chars()
        .map(|c| match c {
            '\u{ff0b}' => '+',
            _ => match unicode_digit(c) {
                Some(d) => char::from(b'0' + d),
                None => c,
            },
        })
        .collect()
}

/// The value of a decimal digit from the scripts libphonenumber accepts.
fn unicode_digit(c: char) -> Option<u8> {
    const ZEROS: &[u32] = &[
        0xff10, // full-width
        0x0660, // Arabic-Indic
        0x06f0, // Extended Arabic-Indic (Persian, Urdu)
        0x0966, // Devanagari
        0x09e6, // Bengali
        0x0e50, // Thai
        0x1040, // Myanmar
    ];
    let code = c as u32;
    ZEROS
        .iter()
        .find(|&&zero| (zero..zero + 10).contains(&code))
        .map(|zero| (code - zero) as u8)
}

/// `tel:+1-201-555-0123;ext=1;phone-context=…` -> `+1-201-555-0123`.
fn strip_tel_uri(text: &str) -> Option<&str> {
    let head = text.get(..4)?;
    if !head.eq_ignore_ascii_case("tel:") {
        return None;
    }
    text[4..].split(';').next()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn e164(raw: &str, region: &str) -> Option<String> {
        let region = if region.is_empty() {
            None
        } else {
            Some(region_id(region).unwrap())
        };
        match normalise(raw, region) {
            Verdict::Valid(n) => Some(n.e164()),
            _ => None,
        }
    }

    #[test]
    fn national_numbers_use_the_default_region() {
        assert_eq!(
            e164("0121 294 1091", "GB").as_deref(),
            Some("+441212941091")
        );
        assert_eq!(
            e164("(201) 555-0123", "US").as_deref(),
            Some("+12015550123")
        );
        assert_eq!(e164("0121 294 1091", ""), None);
    }

    #[test]
    fn explicit_country_codes_are_not_damaged_by_a_us_default() {
        // The crate alone gives +495125682891 (valid, and wrong) for the first.
        assert_eq!(
            e164("+49-1512-5682891", "US").as_deref(),
            Some("+4915125682891")
        );
        assert_eq!(
            e164("+44 121 294 1091", "US").as_deref(),
            Some("+441212941091")
        );
        assert_eq!(
            e164("+31 10 196 1733", "US").as_deref(),
            Some("+31101961733")
        );
        assert_eq!(
            e164("011 49 1512 5043298", "US").as_deref(),
            Some("+4915125043298")
        );
        assert_eq!(
            e164("011 44 121 260 5333", "US").as_deref(),
            Some("+441212605333")
        );
        assert_eq!(
            e164("00 44 121 260 5333", "DE").as_deref(),
            Some("+441212605333")
        );
    }

    #[test]
    fn decorations_are_understood() {
        assert_eq!(
            e164("tel:+44-121-294-1091;ext=12", "").as_deref(),
            Some("+441212941091")
        );
        assert_eq!(
            e164("Tel: +44 121 294 1091", "").as_deref(),
            Some("+441212941091")
        );
        assert_eq!(
            e164("＋４４ １２１ ２９４ １０９１", "").as_deref(),
            Some("+441212941091")
        );
        assert_eq!(e164("'+441212941091", "").as_deref(), Some("+441212941091"));
        assert_eq!(
            e164("+44 (0)121 294 1091", "US").as_deref(),
            Some("+441212941091")
        );
    }

    #[test]
    fn missing_and_invalid_are_told_apart() {
        assert!(matches!(normalise("", None), Verdict::Missing));
        assert!(matches!(normalise("  n/a ", None), Verdict::Missing));
        assert!(matches!(normalise("+44 121", None), Verdict::Invalid));
        assert!(matches!(
            normalise("12345", region_id("GB")),
            Verdict::Invalid
        ));
        let long = "1".repeat(MAX_PHONE_CELL_BYTES + 1);
        assert!(matches!(
            normalise(&long, region_id("GB")),
            Verdict::Invalid
        ));
    }

    #[test]
    fn e164_is_the_key_written_with_a_plus() {
        for key in [
            1,
            9,
            10,
            441212941091,
            12015550123,
            999_999_999_999_999,
            u64::MAX,
        ] {
            let n = Number {
                parsed: phonenumber::parse(None, "+441212941091").unwrap(),
                key,
            };
            assert_eq!(n.e164(), format!("+{key}"));
        }
    }

    #[test]
    fn formats() {
        let Verdict::Valid(n) = normalise("+441212941091", None) else {
            panic!("valid number read as invalid")
        };
        assert_eq!(n.format(PhoneFormat::International), "+44 121 294 1091");
        assert_eq!(n.format(PhoneFormat::National), "0121 294 1091");
        assert_eq!(n.region().as_deref(), Some("GB"));
        assert_eq!(n.key(), 441212941091);
    }

    /// A region's patterns for the start of a number: its IDD, its national prefix for
    /// parsing and (for a shared calling code) its leading digits, those it has.
    fn prefix_patterns(
        meta: &phonenumber::metadata::Metadata,
    ) -> impl Iterator<Item = &phonenumber::regex_cache::CachedRegex> {
        [
            meta.international_prefix(),
            meta.national_prefix_for_parsing(),
            meta.leading_digits(),
        ]
        .into_iter()
        .flatten()
    }

    /// A string of 0 to 19 ASCII digits drawn from `random`.
    fn random_digits(random: &mut impl FnMut() -> u64) -> String {
        let len = (random() % 20) as usize;
        (0..len)
            .map(|_| char::from(b'0' + (random() % 10) as u8))
            .collect()
    }

    /// A region's general descriptor and one per number type it has.
    fn number_descriptors(
        meta: &phonenumber::metadata::Metadata,
    ) -> impl Iterator<Item = &phonenumber::metadata::Descriptor> {
        let d = meta.descriptors();
        [
            Some(d.general()),
            d.fixed_line(),
            d.mobile(),
            d.toll_free(),
            d.premium_rate(),
            d.shared_cost(),
            d.personal_number(),
            d.voip(),
            d.pager(),
            d.uan(),
            d.voicemail(),
        ]
        .into_iter()
        .flatten()
    }

    #[test]
    fn every_metadata_pattern_compiles() {
        // The patched crate compiles patterns on first use; make every one of them be used.
        let mut descriptors = 0;
        for meta in DATABASE.iter() {
            for desc in number_descriptors(meta) {
                desc.is_match("0");
                descriptors += 1;
            }
            for re in prefix_patterns(meta) {
                re.is_match("0");
            }
            for format in meta.formats().iter().chain(meta.international_formats()) {
                format.pattern().is_match("0");
                format.leading_digits().iter().for_each(|re| {
                    re.is_match("0");
                });
            }
        }
        assert!(descriptors > 1000, "{descriptors}");
    }

    #[test]
    fn fast_validity_agrees_with_the_reference() {
        // The vendored crate's `is_valid` tests one union pattern per length where the
        // crate tried each number type in turn (`is_valid_reference`, kept for this). Every
        // region's example numbers of every type, and every one-digit change, deletion and
        // insertion of them, under their own region and as +CC: both must agree.
        let mut cases = 0usize;
        let mut valid = 0usize;
        for meta in DATABASE.iter() {
            let examples = number_descriptors(meta).filter_map(|desc| desc.example());
            let region = Id::from_str(meta.id()).ok();
            for example in examples {
                let mut variants = vec![example.to_string()];
                for i in 0..example.len() {
                    for digit in b'0'..=b'9' {
                        let mut changed = example.as_bytes().to_vec();
                        changed[i] = digit;
                        variants.push(String::from_utf8(changed.clone()).unwrap());
                        changed.insert(i, digit);
                        variants.push(String::from_utf8(changed).unwrap());
                    }
                    variants.push(format!("{}{}", &example[..i], &example[i + 1..]));
                }
                for national in variants {
                    for text in [
                        national.clone(),
                        format!("+{}{national}", meta.country_code()),
                    ] {
                        let Ok(number) = phonenumber::parse(region, &text) else {
                            continue;
                        };
                        let fast = number.is_valid();
                        if fast {
                            assert_eq!(
                                format!("+{}", e164_key(&number)),
                                number.format().mode(Mode::E164).to_string()
                            );
                        }
                        assert_eq!(
                            fast,
                            phonenumber::is_valid_reference(&number),
                            "{text:?} under {:?}",
                            meta.id()
                        );
                        cases += 1;
                        valid += usize::from(fast);
                    }
                }
            }
        }
        assert!(
            cases > 100_000 && valid > 10_000,
            "{cases} cases, {valid} valid"
        );
    }

    #[test]
    fn validity_tables_agree_with_the_patterns() {
        // The built-in database's validity tables (built from the metadata at build time,
        // vendor/phonenumber/build.rs) against the patterns they were built from, region
        // by region: every example number of every type, each of its prefixes, one-digit
        // changes, deletions and insertions, 1,000 deterministic random digit strings of 0
        // to 19 digits. (A string with other characters has no table answer: both sides
        // would be the patterns, so none is counted here. A parsed national number is
        // always digits.)
        let mut random = crate::xorshift(0x9e37_79b9_7f4a_7c15);
        let (mut cases, mut valid, mut regions) = (0usize, 0usize, 0usize);
        // By calling code, so that every non-geographic entity ("001", one a code) is in.
        let metas = (1..1000u16).flat_map(|code| DATABASE.by_code(&code).unwrap_or_default());
        for meta in metas {
            regions += 1;
            let mut inputs: Vec<String> = Vec::new();
            for example in number_descriptors(meta).filter_map(|desc| desc.example()) {
                for i in 0..=example.len() {
                    inputs.push(example[..i].to_string());
                    for digit in '0'..='9' {
                        let mut changed = example.to_string();
                        changed.insert(i, digit);
                        inputs.push(changed.clone());
                        if i < example.len() {
                            changed.remove(i);
                            changed.replace_range(i..=i, &digit.to_string());
                            inputs.push(changed);
                        }
                    }
                    if i < example.len() {
                        inputs.push(format!("{}{}", &example[..i], &example[i + 1..]));
                    }
                }
                inputs.push(format!("{example}0000000000"));
            }
            for _ in 0..1000 {
                inputs.push(random_digits(&mut random));
            }
            for national in &inputs {
                assert!(national.bytes().all(|b| b.is_ascii_digit()), "{national:?}");
                let (has_table, by_table, by_patterns) =
                    phonenumber::validity_by_table_and_patterns(meta, national);
                assert!(has_table, "region {:?} has no validity table", meta.id());
                assert_eq!(
                    by_table,
                    by_patterns,
                    "{national:?} in region {:?}",
                    meta.id()
                );
                cases += 1;
                valid += usize::from(by_table);
            }
        }
        assert!(
            regions == 254 && cases > 480_000 && valid > 80_000,
            "{regions} regions, {cases} cases, {valid} valid"
        );
    }

    #[test]
    fn the_built_in_metadata_is_converted_region_by_region() {
        // The built-in database deserialises and converts a region the first time it is
        // asked for (vendor/phonenumber PATCHES.md 23), so a first number costs its own
        // calling code's regions, not all 254. A fresh copy, as a new engine has it:
        let db = phonenumber::metadata::Database::built_in_unconverted();
        assert_eq!(db.converted(), 0);
        let gb = region_id("GB").unwrap();
        let number = phonenumber::parse_with(&db, Some(gb), "+44 121 294 1091").unwrap();
        assert!(phonenumber::is_valid_with(&db, &number));
        // GB and the other regions of +44 (GG, IM, JE).
        assert!(
            (1..=4).contains(&db.converted()),
            "{} converted",
            db.converted()
        );
        // The same answers as the shared database on numbers of every region, and then
        // every region converted (each non-geographic entity too).
        let metas: Vec<_> = DATABASE.iter().collect();
        for meta in &metas {
            for example in number_descriptors(meta).filter_map(|d| d.example()) {
                let text = format!("+{} {example}", meta.country_code());
                let ours = phonenumber::parse_with(&db, None, &text);
                let shared = phonenumber::parse_with(&DATABASE, None, &text);
                assert_eq!(format!("{ours:?}"), format!("{shared:?}"), "{text}");
                if let (Ok(a), Ok(b)) = (&ours, &shared) {
                    assert_eq!(
                        phonenumber::is_valid_with(&db, a),
                        phonenumber::is_valid_with(&DATABASE, b),
                        "{text}"
                    );
                }
            }
        }
        let codes: usize = (1..1000u16)
            .map(|c| db.by_code(&c).map_or(0, |m| m.len()))
            .sum();
        assert_eq!((codes, db.converted()), (254, 254));
    }

    #[test]
    fn prefix_tables_agree_with_the_patterns() {
        // The built-in database's prefix tables (the IDD's and the national prefix for
        // parsing's automata, built at build time: vendor/phonenumber/build.rs `prefixes`)
        // against the regexes they stand in for: where the match at the start of the text
        // ends, or that there is none. Every region's patterns, on every digit string of
        // up to 5 digits (up to 4 for the IDDs, most of which are "00"), each example
        // number as lists write it after the IDD or the national prefix (bare, after the
        // region's national prefix, its preferred IDD and "0"), each of those strings'
        // prefixes and one-digit changes, and 300 deterministic random strings of up to 19
        // digits. (Text with another character has no table answer; a parsed number's
        // digits are all ASCII by then.)
        let mut random = crate::xorshift(0x2545_f491_4f6c_dd1d);
        let short = |max: u32| -> Vec<String> {
            (0..=max)
                .flat_map(|len| {
                    (0..10u32.pow(len)).map(move |n| format!("{n:0len$}", len = len as usize))
                })
                .collect()
        };
        let (idd_short, national_short) = (short(4), short(5));
        let (mut cases, mut matched, mut patterns) = (0usize, 0usize, 0usize);
        let metas = (1..1000u16).flat_map(|code| DATABASE.by_code(&code).unwrap_or_default());
        for meta in metas {
            let mut inputs: Vec<String> = Vec::new();
            let starts = [
                "",
                meta.national_prefix().unwrap_or(""),
                meta.preferred_international_prefix().unwrap_or(""),
                "0",
            ];
            for example in number_descriptors(meta).filter_map(|desc| desc.example()) {
                for start in starts {
                    let text = format!("{start}{example}");
                    for i in 0..=text.len() {
                        inputs.push(text[..i].to_string());
                        if i < text.len() {
                            for digit in '0'..='9' {
                                let mut changed = text.clone();
                                changed.replace_range(i..=i, &digit.to_string());
                                inputs.push(changed);
                            }
                        }
                    }
                }
            }
            for _ in 0..300 {
                inputs.push(random_digits(&mut random));
            }
            let pairs = [
                (meta.international_prefix(), &idd_short),
                (meta.national_prefix_for_parsing(), &national_short),
            ];
            for (pattern, short) in pairs {
                let Some(pattern) = pattern else { continue };
                patterns += 1;
                for text in short.iter().chain(&inputs) {
                    let (has_table, by_table, by_regex) =
                        pattern.end_at_start_by_table_and_regex(text);
                    assert!(
                        has_table,
                        "region {:?}: {:?} has no table",
                        meta.id(),
                        pattern.as_str()
                    );
                    assert_eq!(
                        by_table,
                        by_regex,
                        "{text:?} against {:?} (region {:?})",
                        pattern.as_str(),
                        meta.id()
                    );
                    cases += 1;
                    matched += usize::from(by_table.is_some());
                }
            }
            // Not digits: the regex answers.
            if let Some(idd) = meta.international_prefix() {
                assert_eq!(
                    idd.end_at_start("0x"),
                    idd.find_at_start("0x").map(|m| m.end())
                );
            }
        }
        assert!(
            patterns > 280 && cases > 8_000_000 && matched > 600_000,
            "{patterns} patterns, {cases} cases, {matched} matched"
        );
    }

    #[test]
    fn fast_parse_agrees_with_the_reference() {
        // The vendored crate's one-pass split of plain strings (`+`, ASCII digits and
        // " -.()") against its nom grammars and regexes (`parse_with_reference`), the whole
        // parse compared (number or error), under several default regions and none:
        // every region's example numbers written the ways lists write them, then random
        // strings over the plain alphabet and chars that must take the grammar.
        let defaults: Vec<Option<Id>> = [None]
            .into_iter()
            .chain(
                [
                    "US", "GB", "DE", "NZ", "IT", "AR", "BR", "RU", "IN", "MX", "AU", "CN",
                ]
                .map(|r| Some(region_id(r).unwrap())),
            )
            .collect();
        let same = |text: &str, region: Option<Id>| -> bool {
            let fast = phonenumber::parse_with(&DATABASE, region, text);
            let reference = phonenumber::parse_with_reference(&DATABASE, region, text);
            assert_eq!(
                format!("{fast:?}"),
                format!("{reference:?}"),
                "{text:?} in {region:?}"
            );
            fast.is_ok_and(|n| n.is_valid())
        };
        let (mut cases, mut valid) = (0usize, 0usize);
        for meta in DATABASE.iter() {
            let code = meta.country_code();
            let own = region_id(meta.id());
            for example in number_descriptors(meta).filter_map(|desc| desc.example()) {
                let (head, tail) = example.split_at(example.len().min(3));
                let prefix = meta.national_prefix().unwrap_or("");
                let texts = [
                    format!("+{code}{example}"),
                    format!("+{code} {head} {tail}"),
                    format!("+{code}.{head}.{tail}"),
                    format!("+{code}-{example}"),
                    format!("(+{code}) {head}-{tail}"),
                    format!("+{code}({head}){tail}"),
                    format!("+{code}-{head}-{tail}-"),
                    format!("00 {code} {example}"),
                    format!("011 {code} {head} {tail}"),
                    format!("{code}{example}"),
                    format!("{prefix}{example}"),
                    format!("{prefix}{head} {tail}"),
                    format!("({prefix}{head}) {tail}"),
                    format!("{prefix}{head}.{tail}"),
                    format!("+{code}.{prefix}{example}"),
                    format!("+{code} {prefix}{head}-{tail}"),
                ];
                for text in &texts {
                    for &region in defaults.iter().chain([&own]) {
                        cases += 1;
                        valid += usize::from(same(text, region));
                    }
                }
            }
        }
        assert!(
            cases > 150_000 && valid > 50_000,
            "{cases} cases, {valid} valid"
        );
        // Around the 32 digits the fast path gathers on the stack.
        for digits in 28..36 {
            let number: String = (0..digits)
                .map(|i| char::from(b'0' + (i * 7 % 10) as u8))
                .collect();
            for text in [
                format!("+4{number}"),
                format!("+44 {number}"),
                format!("0{number} 1"),
            ] {
                for &region in &defaults {
                    same(&text, region);
                }
            }
        }
        const ALPHABET: &[char] = &[
            '+', ' ', '-', '.', '(', ')', '+', ' ', '-', '/', 'x', '#', ';', '\u{ff0b}', 'a',
        ];
        let mut next = crate::xorshift(0xbb67_ae85_84ca_a73b);
        let mut plain = 0;
        for _ in 0..100_000 {
            let len = (next() % 18) as usize;
            // Mostly the plain alphabet, so that the fast path is taken.
            let wide = if next() % 4 == 0 { ALPHABET.len() } else { 9 };
            let mut text: String = (0..len)
                .map(|_| match next() % 3 {
                    0 => ALPHABET[(next() % wide as u64) as usize],
                    _ => char::from(b'0' + (next() % 10) as u8),
                })
                .collect();
            if next() % 2 == 0 {
                text.insert(0, '+');
            }
            let region = defaults[(next() % defaults.len() as u64) as usize];
            same(&text, region);
            plain += usize::from(text.bytes().all(|b| b"0123456789+-. ()".contains(&b)));
        }
        assert!(plain > 50_000, "{plain}");
    }

    #[test]
    fn fast_viability_agrees_with_the_reference() {
        // The vendored crate's hand-written viability scanner against its nom grammar, on
        // 300,000 deterministic random strings over the chars that matter.
        const ALPHABET: &[char] = &[
            '0', '1', '5', '9', '+', '\u{ff0b}', '-', 'x', ' ', '(', ')', '.', '/', '[', '~', '*',
            '\u{2010}', '\u{ff0d}', '\u{3000}', '\u{00a0}', 'a', 'Z', 'e', '#', ';', ',', '\u{e9}',
            '\u{ff10}', '@', '\'',
        ];
        let mut next = crate::xorshift(0x2545_f491_4f6c_dd1d);
        let mut viable = 0;
        for _ in 0..300_000 {
            let len = (next() % 12) as usize;
            // Mostly digits, so that viable strings are common.
            let text: String = (0..len)
                .map(|_| match next() % 3 {
                    0 => ALPHABET[(next() % ALPHABET.len() as u64) as usize],
                    _ => char::from(b'0' + (next() % 10) as u8),
                })
                .collect();
            let fast = phonenumber::is_viable(&text);
            assert_eq!(fast, phonenumber::is_viable_reference(&text), "{text:?}");
            viable += usize::from(fast);
        }
        assert!(viable > 50_000, "{viable}");
    }

    #[test]
    fn fast_number_split_agrees_with_the_reference() {
        // The vendored crate's regex-free split into national number and extension (taken
        // for ASCII digits, '+' and " -.()/") against its regexes, on 300,000 random
        // strings: the plain alphabet, and chars that must send a string to the reference
        // (letters of "ext", '#', ';', ',', '~', full-width and Unicode digits).
        const ALPHABET: &[char] = &[
            '+', '-', '.', ' ', '(', ')', '/', '+', '-', ' ', 'x', 'e', 't', 'X', '#', ';', ',',
            '~', '=', '\\', '\t', '\u{a0}', '\u{ff0b}', '\u{ff10}', '\u{663}', '*', 'a', '[',
        ];
        let mut next = crate::xorshift(0x9e37_79b9_7f4a_7c15);
        let (mut plain, mut split) = (0, 0);
        for _ in 0..300_000 {
            let len = (next() % 14) as usize;
            // Half the strings use only the plain alphabet, so the fast path is exercised.
            let wide = if next() % 2 == 0 { ALPHABET.len() } else { 7 };
            let text: String = (0..len)
                .map(|_| match next() % 3 {
                    0 => ALPHABET[(next() % wide as u64) as usize],
                    _ => char::from(b'0' + (next() % 10) as u8),
                })
                .collect();
            let fast = phonenumber::split_number(&text);
            assert_eq!(fast, phonenumber::split_number_reference(&text), "{text:?}");
            plain += usize::from(text.bytes().all(|b| b"0123456789+-. ()/".contains(&b)));
            split += usize::from(matches!(fast, Some((_, Some(_)))));
        }
        // Both paths were taken, and extensions were found.
        assert!(
            plain > 100_000 && split > 1_000,
            "{plain} plain, {split} with an extension"
        );
    }

    #[test]
    fn anchored_searches_agree_with_a_find_at_the_start() {
        // The vendored crate asks "does this pattern match at the start" with a search
        // anchored there (`find_at_start`, `captures_at_start`) where it took the first
        // match anywhere and tested `start() == 0`. For every region's IDD, national
        // prefix for parsing and leading digits, on its example numbers (with the national
        // prefix and IDD put in front) and on random digit strings: the same span and the
        // same groups, or nothing both ways.
        let mut next = crate::xorshift(0x6a09_e667_f3bc_c909);
        let (mut checked, mut matched) = (0usize, 0usize);
        for meta in DATABASE.iter() {
            let mut texts: Vec<String> = number_descriptors(meta)
                .filter_map(|desc| desc.example().map(str::to_string))
                .collect();
            let prefixes = [
                meta.national_prefix(),
                meta.preferred_international_prefix(),
            ];
            for prefix in prefixes.into_iter().flatten() {
                for example in texts.clone() {
                    texts.push(format!("{prefix}{example}"));
                }
            }
            // Random digits, most after a common national prefix or IDD.
            const STARTS: &[&str] = &["", "0", "00", "011", "8", "810", "1", "9"];
            for _ in 0..300 {
                let len = (next() % 16) as usize;
                let mut text = STARTS[(next() % STARTS.len() as u64) as usize].to_string();
                text.extend((0..len).map(|_| char::from(b'0' + (next() % 10) as u8)));
                texts.push(text);
            }
            for re in prefix_patterns(meta) {
                for text in &texts {
                    let reference = re.find(text).filter(|m| m.start() == 0);
                    let anchored = re.find_at_start(text);
                    assert_eq!(
                        anchored.map(|m| m.range()),
                        reference.map(|m| m.range()),
                        "{} {:?} on {text:?}",
                        meta.id(),
                        re.as_str()
                    );
                    assert_eq!(
                        re.captures_at_start(text)
                            .map(|c| c.iter().map(|g| g.map(|m| m.range())).collect::<Vec<_>>()),
                        re.captures(text)
                            .filter(|c| c.get(0).is_some_and(|m| m.start() == 0))
                            .map(|c| c.iter().map(|g| g.map(|m| m.range())).collect::<Vec<_>>()),
                        "{} {:?} on {text:?}",
                        meta.id(),
                        re.as_str()
                    );
                    checked += 1;
                    matched += usize::from(reference.is_some());
                }
            }
        }
        assert!(
            checked > 100_000 && matched > 10_000,
            "{checked} checked, {matched} matched"
        );
    }

    #[test]
    fn region_cells() {
        assert_eq!(region_from_cell("gb"), region_id("GB"));
        assert_eq!(region_from_cell("DEU"), region_id("DE"));
        assert_eq!(region_from_cell("United Kingdom"), region_id("GB"));
        assert_eq!(region_from_cell("Germany"), region_id("DE"));
        assert_eq!(region_from_cell("U.K."), region_id("GB"));
        assert_eq!(region_from_cell("USA"), region_id("US"));
        assert_eq!(region_from_cell("Atlantis"), None);
        assert_eq!(region_from_cell(""), None);
    }
}
