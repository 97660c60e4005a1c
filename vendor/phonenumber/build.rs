use std::env;
use std::fs::File;
use std::fmt::Write as _;
use std::io::{BufReader, BufWriter, Write as _};
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

    // PATCH(phonescrub): each region encoded apart, with an index (id, calling code, main
    // region for its code, where its bytes end), so that a program deserialises only the
    // regions it uses (src/metadata/database.rs `Database::built_in`).
    let mut out = BufWriter::new(
        File::create(Path::new(&env::var("OUT_DIR").unwrap()).join("database.bin"))
            .expect("could not create database file"),
    );
    let mut index = String::from("static INDEX: &[(&str, u16, bool, u32)] = &[\n");
    let mut end = 0usize;
    for meta in &metadata {
        let bytes = postcard::to_io(meta, Vec::new()).expect("failed to serialize database");
        out.write_all(&bytes).expect("could not write database file");
        end += bytes.len();
        writeln!(
            index,
            "    ({:?}, {}, {}, {end}),",
            meta.id.as_deref().expect("a region id"),
            meta.country_code.expect("a calling code"),
            meta.main_country_for_code,
        )
        .unwrap();
    }
    index.push_str("];\n");
    std::fs::write(
        Path::new(&env::var("OUT_DIR").unwrap()).join("database_index.rs"),
        index,
    )
    .unwrap();

    // PATCH(phonescrub): the validity tables (see `validity` below and
    // src/metadata/validity.rs).
    validity::write(&metadata, Path::new(&env::var("OUT_DIR").unwrap()));

    // PATCH(phonescrub): the prefix tables (see `prefixes` below and
    // src/metadata/prefix.rs).
    prefixes::write(&metadata, Path::new(&env::var("OUT_DIR").unwrap()));
}

/// PATCH(phonescrub): the syntax the tables' DFAs read the metadata's patterns with: as
/// `regex_cache::build_ascii` compiles them at run time (ASCII classes, insignificant
/// whitespace), and over bytes.
fn pattern_syntax() -> regex_automata::util::syntax::Config {
    regex_automata::util::syntax::Config::new()
        .unicode(false)
        .utf8(false)
        .ignore_whitespace(true)
}

/// PATCH(phonescrub): "where does this pattern's match at the start of a number end" for
/// every region's international prefix (IDD) and national prefix for parsing, as one
/// digit automaton a distinct pattern, so that the parser's prefix tests
/// (`CachedRegex::end_at_start`) walk at most a few table rows instead of compiling and
/// running a regex. Every number's parse asks both; without the tables the first number
/// of a page compiled two regexes, and with them the regex compiler (a large part of the
/// engine's code, compiled by the browser on its first call) is not needed by a number
/// written with its country code at all.
///
/// Each is regex-automata's own DFA of the pattern (anchored, leftmost-first, as the
/// `regex` crate searches), restricted to the ten digits: a state's next state for each
/// digit (255: the DFA's dead state), whether it is a match state (regex-automata
/// reports a match one byte late: entering a match state on the byte at `i` means a
/// match ended at `i`) and whether its end-of-input transition is one. Text with any
/// other byte takes the regex (src/metadata/prefix.rs).
///
/// Written to OUT_DIR: `prefix_next.bin` (ten next states a state; local ids from 1),
/// `prefix_flags.bin` (a byte a state: 1 a match state, 2 a match at the end of the
/// input) and `prefix_regions.rs` (each region's IDD and national-prefix table, as the
/// index of its start state or `u32::MAX` for none, in the database's order: 681 states
/// for the 289 patterns, 76 of them distinct: 7,491 bytes).
mod prefixes {
    use super::loader;
    use regex_automata::dfa::{dense, Automaton, StartKind};
    use regex_automata::util::{primitives::StateID, start};
    use regex_automata::{Anchored, MatchKind};
    use std::collections::HashMap;
    use std::fmt::Write as _;
    use std::path::Path;

    const DEAD: u8 = 255;

    pub fn write(metadata: &[loader::Metadata], out: &Path) {
        let mut next: Vec<u8> = Vec::new();
        let mut flags: Vec<u8> = Vec::new();
        // The same pattern (most IDDs are "00") shares one table.
        let mut built: HashMap<String, u32> = HashMap::new();
        let mut table = |pattern: Option<&String>| -> u32 {
            let Some(pattern) = pattern else { return u32::MAX };
            *built.entry(pattern.clone()).or_insert_with(|| {
                let start = u32::try_from(flags.len()).unwrap();
                for (row, flag) in automaton(pattern) {
                    next.extend(row);
                    flags.push(flag);
                }
                start
            })
        };
        // (No region ids: the validity tables, written from the same list in the same
        // order, check the order when the database loads.)
        let mut regions = String::from("pub(crate) static REGIONS: &[(u32, u32)] = &[\n");
        for meta in metadata {
            let idd = table(meta.international_prefix.as_ref());
            let national = table(meta.national_prefix_for_parsing.as_ref());
            writeln!(regions, "    ({idd}, {national}),").unwrap();
        }
        regions.push_str("];\n");
        std::fs::write(out.join("prefix_next.bin"), next).unwrap();
        std::fs::write(out.join("prefix_flags.bin"), flags).unwrap();
        std::fs::write(out.join("prefix_regions.rs"), regions).unwrap();
    }

    /// One pattern's rows: ten next states (local ids from 1, the start first; `DEAD`
    /// for the dead state) and the state's flags.
    fn automaton(pattern: &str) -> Vec<([u8; 10], u8)> {
        let dfa = dense::Builder::new()
            .syntax(super::pattern_syntax())
            .configure(
                dense::Config::new()
                    .match_kind(MatchKind::LeftmostFirst)
                    .start_kind(StartKind::Anchored)
                    .minimize(true),
            )
            .build(pattern)
            .unwrap_or_else(|e| panic!("pattern {pattern:?}: {e}"));
        let start = dfa
            .start_state(&start::Config::new().anchored(Anchored::Yes))
            .expect("an anchored start state");
        assert!(
            !dfa.is_match_state(start) && !dfa.is_quit_state(start),
            "{pattern:?}: a start state is never a match state"
        );
        let mut index: HashMap<StateID, u8> = HashMap::from([(start, 1)]);
        let mut order = vec![start];
        let mut rows = Vec::new();
        let mut k = 0;
        while k < order.len() {
            let state = order[k];
            k += 1;
            let mut row = [DEAD; 10];
            for (d, to) in row.iter_mut().enumerate() {
                let next = dfa.next_state(state, b'0' + d as u8);
                assert!(!dfa.is_quit_state(next), "{pattern:?}: a quit state");
                if dfa.is_dead_state(next) {
                    continue;
                }
                let n = index.len() + 1;
                *to = *index.entry(next).or_insert_with(|| {
                    order.push(next);
                    u8::try_from(n)
                        .ok()
                        .filter(|&n| n != DEAD)
                        .unwrap_or_else(|| panic!("{pattern:?}: more than 254 states"))
                });
            }
            let eoi = dfa.next_eoi_state(state);
            let flag = u8::from(dfa.is_match_state(state)) | (u8::from(dfa.is_match_state(eoi)) << 1);
            rows.push((row, flag));
        }
        rows
    }
}

/// PATCH(phonescrub): `validator::is_valid_type` as one digit automaton a region, built
/// here from the same patterns and possible lengths, so that validity is a walk of at
/// most 17 table lookups instead of two regex matches (and no pattern compiling on first
/// use). A region's language is the numbers of at most 17 digits (longer ones are never
/// valid: `MAX_LENGTH_FOR_NSN`) that the general pattern matches and that some number
/// type whose possible lengths allow their length (or which has none) matches. The
/// regex-automata DFA of those patterns (one anchored DFA, every pattern reported at the
/// end) is multiplied by the length, minimised (Moore) and pruned to the states that can
/// still reach "valid"; every region has fewer than 256, so a next state is one byte.
///
/// Written to OUT_DIR: `validity_next.bin` (ten next states a state, by digit; 255 is
/// "never valid": not 0, because `wasm-opt` cuts runs of zeros out of the module's data
/// into segments of their own, which cost 8 KB more gzipped than the zeros),
/// `validity_invalid.bin` (a bit a state, set when it is not valid) and `validity_regions.rs` (each region's id and
/// the index of its start state, in the database's order).
mod validity {
    use super::loader;
    use regex_automata::dfa::{dense, Automaton, StartKind};
    use regex_automata::util::{primitives::StateID, start};
    use regex_automata::{Anchored, MatchKind};
    use std::collections::HashMap;
    use std::fmt::Write as _;
    use std::path::Path;

    /// libphonenumber's longest national number (`consts::MAX_LENGTH_FOR_NSN`).
    const MAX_LEN: usize = 17;
    /// The next state of a digit that no valid number continues with.
    const DEAD: u8 = 255;

    pub fn write(metadata: &[loader::Metadata], out: &Path) {
        let mut next = Vec::new();
        let mut valid = Vec::new();
        let mut regions = String::from("pub(crate) static REGIONS: &[(&str, u32)] = &[\n");
        for meta in metadata {
            let id = meta.id.as_deref().expect("a region id");
            let start = valid.len();
            for (row, ok) in region(meta) {
                next.extend(row.iter().map(|&n| if n == 0 { DEAD } else { n }));
                valid.push(ok);
            }
            writeln!(regions, "    ({id:?}, {start}),").unwrap();
        }
        regions.push_str("];\n");
        // A bit a state, set when it is NOT valid (most are not: as set bits, the zero
        // bytes would be cut out of the module by wasm-opt, as above).
        let mut bits = vec![0u8; valid.len().div_ceil(8)];
        for (i, _) in valid.iter().enumerate().filter(|(_, &ok)| !ok) {
            bits[i / 8] |= 1 << (i % 8);
        }
        std::fs::write(out.join("validity_next.bin"), next).unwrap();
        std::fs::write(out.join("validity_invalid.bin"), bits).unwrap();
        std::fs::write(out.join("validity_regions.rs"), regions).unwrap();
    }

    /// One region's table: rows of ten next states (local ids from 1, the start first;
    /// 0 is the dead state) and whether the state is "valid" at the end of the number.
    fn region(meta: &loader::Metadata) -> Vec<([u8; 10], bool)> {
        let general = meta.general.as_ref().expect("a general descriptor");
        // The number types in `validator::number_type` order; absent ones never match.
        let types: Vec<&loader::Descriptor> = [
            &meta.premium_rate,
            &meta.toll_free,
            &meta.shared_cost,
            &meta.voip,
            &meta.personal_number,
            &meta.pager,
            &meta.uan,
            &meta.voicemail,
            &meta.fixed_line,
            &meta.mobile,
        ]
        .into_iter()
        .flatten()
        .collect();
        let pattern = |d: &loader::Descriptor| {
            format!(
                "^(?:{})$",
                d.national_number.as_deref().expect("a national number pattern")
            )
        };
        let patterns: Vec<String> = std::iter::once(pattern(general))
            .chain(types.iter().map(|d| pattern(d)))
            .collect();
        let dfa = dense::Builder::new()
            .syntax(super::pattern_syntax())
            .configure(
                dense::Config::new()
                    .match_kind(MatchKind::All)
                    .start_kind(StartKind::Anchored)
                    .minimize(true),
            )
            .build_many(&patterns)
            .unwrap_or_else(|e| panic!("region {:?}: {e}", meta.id));
        // Is a number of `len` digits that ends in DFA state `state` valid?
        let valid = |state: StateID, len: usize| {
            let end = dfa.next_eoi_state(state);
            if len > MAX_LEN || !dfa.is_match_state(end) {
                return false;
            }
            let matched: Vec<usize> = (0..dfa.match_len(end))
                .map(|i| dfa.match_pattern(end, i).as_usize())
                .collect();
            matched.contains(&0)
                && matched.iter().any(|&p| {
                    p > 0 && {
                        let lengths = &types[p - 1].possible_length;
                        lengths.is_empty() || lengths.contains(&(len as u16))
                    }
                })
        };

        // The product with the length: (DFA state, digits so far), up to MAX_LEN digits.
        let start = dfa
            .start_state(&start::Config::new().anchored(Anchored::Yes))
            .expect("an anchored start state");
        let mut index: HashMap<(StateID, usize), usize> = HashMap::from([((start, 0), 0)]);
        let mut states = vec![(start, 0usize)];
        let mut trans: Vec<[Option<usize>; 10]> = Vec::new();
        let mut i = 0;
        while i < states.len() {
            let (state, len) = states[i];
            i += 1;
            let mut row = [None; 10];
            for (d, to) in row.iter_mut().enumerate() {
                let next = dfa.next_state(state, b'0' + d as u8);
                if len == MAX_LEN || dfa.is_dead_state(next) {
                    continue;
                }
                let key = (next, len + 1);
                let n = states.len();
                *to = Some(*index.entry(key).or_insert_with(|| {
                    states.push(key);
                    n
                }));
            }
            trans.push(row);
        }
        let accept: Vec<bool> = states.iter().map(|&(s, len)| valid(s, len)).collect();

        // Which states can still reach a valid end (the others are the dead state).
        let mut live: Vec<bool> = accept.clone();
        loop {
            let mut changed = false;
            for q in 0..states.len() {
                if !live[q] && trans[q].iter().flatten().any(|&t| live[t]) {
                    live[q] = true;
                    changed = true;
                }
            }
            if !changed {
                break;
            }
        }
        // Moore's minimisation over the live states (class 0 is dead).
        let mut class: Vec<usize> = (0..states.len())
            .map(|q| if !live[q] { 0 } else if accept[q] { 2 } else { 1 })
            .collect();
        loop {
            let mut signatures: HashMap<(usize, [usize; 10]), usize> =
                HashMap::from([((0, [0; 10]), 0)]);
            let refined: Vec<usize> = (0..states.len())
                .map(|q| {
                    if class[q] == 0 {
                        return 0;
                    }
                    let mut sig = [0; 10];
                    for (s, t) in sig.iter_mut().zip(&trans[q]) {
                        *s = t.map_or(0, |t| class[t]);
                    }
                    let n = signatures.len();
                    *signatures.entry((class[q], sig)).or_insert(n)
                })
                .collect();
            let before = class.iter().collect::<std::collections::HashSet<_>>().len();
            let after = refined.iter().collect::<std::collections::HashSet<_>>().len();
            class = refined;
            if after == before {
                break;
            }
        }
        // Number the classes breadth first from the start's (local ids from 1).
        let mut local: HashMap<usize, u8> = HashMap::new();
        let mut order: Vec<usize> = Vec::new(); // a representative state of each class
        let mut rows = Vec::new();
        if class[0] == 0 {
            // Nothing is valid in this region.
            return vec![([0; 10], false)];
        }
        local.insert(class[0], 1);
        order.push(0);
        let mut k = 0;
        while k < order.len() {
            let q = order[k];
            k += 1;
            let mut row = [0u8; 10];
            for (r, t) in row.iter_mut().zip(&trans[q]) {
                let Some(t) = *t else { continue };
                if class[t] == 0 {
                    continue;
                }
                let n = local.len() + 1;
                *r = *local.entry(class[t]).or_insert_with(|| {
                    order.push(t);
                    u8::try_from(n)
                        .ok()
                        .filter(|&n| n != DEAD)
                        .expect("a region's table has fewer than 255 states")
                });
            }
            rows.push((row, accept[q]));
        }
        rows
    }
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
