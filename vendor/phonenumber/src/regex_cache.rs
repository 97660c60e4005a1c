//! PATCH(phonescrub): a drop-in for the `regex-cache` crate's `CachedRegex`.
//!
//! `regex-cache` keeps compiled patterns in one LRU cache of 100 entries behind a global
//! mutex: every match locked the mutex, hashed the whole pattern text and, with more
//! patterns in use than the cache holds, recompiled them. It also parsed every pattern's
//! syntax when the metadata loaded. Here each pattern compiles once, on first use, and is
//! kept with the metadata; matching is a plain `Regex` call. Measured on 200,000 numbers
//! (parse + is_valid + E.164): 22.0 µs per number before, see PATCHES.md for after.

use std::fmt;
use std::sync::{Arc, Mutex, OnceLock};

use regex::{Captures, Match, Regex, RegexBuilder, Replacer};
use std::borrow::Cow;

use crate::metadata::prefix::Prefix;

/// Compiles a metadata pattern with ASCII classes (`\d` is `[0-9]`).
///
/// Metadata patterns are only ever matched against digits the parser has already
/// normalised to ASCII, so Unicode classes change no result; they only cost: `\d` as
/// every script's decimal digits compiles to UTF-8 automata, which made compiling the
/// patterns a region uses most of the metadata's start-up time (PATCHES.md, fix 11). (phonescrub's `every_metadata_pattern_compiles`
/// test compiles every pattern of every region this way.)
pub(crate) fn build_ascii(source: &str, ignore_whitespace: bool) -> Result<Regex, regex::Error> {
    RegexBuilder::new(source)
        .ignore_whitespace(ignore_whitespace)
        .unicode(false)
        .build()
}

/// Kept for signature compatibility; holds nothing.
#[derive(Clone, Debug, Default)]
pub struct RegexCache;

impl RegexCache {
    /// Kept for signature compatibility.
    pub fn new(_capacity: usize) -> RegexCache {
        RegexCache
    }
}

/// A regular expression compiled on first use and then kept.
pub struct CachedRegex {
    source: String,
    ignore_whitespace: bool,
    /// PATCH(phonescrub): matched as a whole (`^(?:source)$`, libphonenumber's
    /// `matchNationalNumber`), the anchors added when it compiles rather than written
    /// into every descriptor's source when the metadata loads (`format!` for each of the
    /// database's thousands of descriptors was half of loading it in a browser's first,
    /// unoptimised run of the code).
    whole: bool,
    compiled: OnceLock<Regex>,
    // PATCH(phonescrub): the pattern anchored at the start, for `find_at_start`.
    at_start: OnceLock<Regex>,
    /// PATCH(phonescrub): the pattern's prefix table (`metadata::prefix`), for
    /// `end_at_start`: the built-in database's IDD and national-prefix patterns.
    prefix: Option<Prefix>,
}

impl Clone for CachedRegex {
    fn clone(&self) -> Self {
        CachedRegex {
            source: self.source.clone(),
            ignore_whitespace: self.ignore_whitespace,
            whole: self.whole,
            compiled: self.compiled.clone(),
            at_start: self.at_start.clone(),
            prefix: self.prefix,
        }
    }
}

impl fmt::Debug for CachedRegex {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("CachedRegex").field(&self.source).finish()
    }
}

impl CachedRegex {
    /// A pattern, compiled on first use.
    pub fn new(_cache: Arc<Mutex<RegexCache>>, source: &str) -> Result<CachedRegex, regex::Error> {
        Ok(CachedRegex {
            source: source.to_string(),
            ignore_whitespace: false,
            whole: false,
            compiled: OnceLock::new(),
            at_start: OnceLock::new(),
            prefix: None,
        })
    }

    fn regex(&self) -> &Regex {
        self.compiled.get_or_init(|| {
            build_ascii(&self.pattern(), self.ignore_whitespace)
                .expect("libphonenumber metadata patterns are valid regular expressions")
        })
    }

    /// PATCH(phonescrub): the pattern as compiled: the source, anchored at both ends if
    /// it is matched as a whole.
    pub(crate) fn pattern(&self) -> Cow<'_, str> {
        if self.whole {
            Cow::Owned(format!("^(?:{})$", self.source))
        } else {
            Cow::Borrowed(&self.source)
        }
    }

    /// Refer to `Regex::is_match`.
    pub fn is_match(&self, text: &str) -> bool {
        self.regex().is_match(text)
    }

    /// Refer to `Regex::find`.
    pub fn find<'t>(&self, text: &'t str) -> Option<Match<'t>> {
        self.regex().find(text)
    }

    /// Refer to `Regex::captures`.
    pub fn captures<'t>(&self, text: &'t str) -> Option<Captures<'t>> {
        self.regex().captures(text)
    }

    /// PATCH(phonescrub): `find(text)` when its match starts at 0, else `None`: the
    /// parser's "does it match at the start" tests (`find(..).start() == 0`). Under
    /// leftmost-first matching, a search anchored at the start finds the same match as
    /// the unanchored search whenever that one starts at 0, and nothing otherwise; the
    /// anchored search stops at the first byte that cannot continue a match instead of
    /// scanning the whole text for a later start (and then searching back for it).
    pub fn find_at_start<'t>(&self, text: &'t str) -> Option<Match<'t>> {
        self.anchored().find(text)
    }

    /// PATCH(phonescrub): the end of [`find_at_start`](Self::find_at_start)'s match, by
    /// the pattern's prefix table when it has one and `text` is all ASCII digits (no
    /// regex compiled or run), else by the regex.
    #[inline]
    pub fn end_at_start(&self, text: &str) -> Option<usize> {
        if let Some(end) = self.prefix.and_then(|p| p.end_at_start(text)) {
            return end;
        }
        self.find_at_start(text).map(|m| m.end())
    }

    /// PATCH(phonescrub): for a test that compares them: whether the pattern has a prefix
    /// table, and the end of its match at the start of `text` by [`end_at_start`]
    /// (Self::end_at_start) and by the regex.
    #[doc(hidden)]
    pub fn end_at_start_by_table_and_regex(&self, text: &str) -> (bool, Option<usize>, Option<usize>) {
        (self.prefix.is_some(), self.end_at_start(text), self.find_at_start(text).map(|m| m.end()))
    }

    /// PATCH(phonescrub): attaches the pattern's prefix table (the built-in database).
    pub(crate) fn with_prefix(mut self, prefix: Option<Prefix>) -> Self {
        self.prefix = prefix;
        self
    }

    /// PATCH(phonescrub): `captures(text)` when its match starts at 0, else `None`.
    pub fn captures_at_start<'t>(&self, text: &'t str) -> Option<Captures<'t>> {
        self.anchored().captures(text)
    }

    fn anchored(&self) -> &Regex {
        // (No `#` comment can swallow the closing parenthesis: build.rs refuses patterns
        // with `#`.)
        if self.whole {
            // Already anchored at the start.
            return self.regex();
        }
        self.at_start.get_or_init(|| {
            build_ascii(&format!("^(?:{})", self.source), self.ignore_whitespace)
                .expect("libphonenumber metadata patterns are valid regular expressions")
        })
    }

    /// Refer to `Regex::replace`.
    pub fn replace<'t, R: Replacer>(&self, text: &'t str, rep: R) -> Cow<'t, str> {
        self.regex().replace(text, rep)
    }

    /// Refer to `Regex::captures_len`.
    pub fn captures_len(&self) -> usize {
        self.regex().captures_len()
    }

    /// The pattern's source text (PATCH(phonescrub): without the anchors of a pattern
    /// matched as a whole; [`pattern`](Self::pattern) has them).
    pub fn as_str(&self) -> &str {
        &self.source
    }
}

/// Builds a [`CachedRegex`]; only `ignore_whitespace` is used by the metadata.
pub struct CachedRegexBuilder {
    source: String,
    ignore_whitespace: bool,
    whole: bool,
}

impl CachedRegexBuilder {
    /// A builder for `source`.
    pub fn new(_cache: Arc<Mutex<RegexCache>>, source: &str) -> CachedRegexBuilder {
        Self::from_source(source.to_string())
    }

    /// PATCH(phonescrub): a builder that takes the source it is given (the metadata's
    /// loading copied every pattern twice).
    pub(crate) fn from_source(source: String) -> CachedRegexBuilder {
        CachedRegexBuilder {
            source,
            ignore_whitespace: false,
            whole: false,
        }
    }

    /// PATCH(phonescrub): match the pattern as a whole (`^(?:…)$`; see [`CachedRegex`]).
    pub(crate) fn whole(mut self, yes: bool) -> CachedRegexBuilder {
        self.whole = yes;
        self
    }

    /// PATCH(phonescrub): [`build`](Self::build), taking the source instead of copying it.
    pub(crate) fn into_regex(self) -> CachedRegex {
        CachedRegex {
            source: self.source,
            ignore_whitespace: self.ignore_whitespace,
            whole: self.whole,
            compiled: OnceLock::new(),
            at_start: OnceLock::new(),
            prefix: None,
        }
    }

    /// Refer to `RegexBuilder::ignore_whitespace`.
    pub fn ignore_whitespace(&mut self, yes: bool) -> &mut CachedRegexBuilder {
        self.ignore_whitespace = yes;
        self
    }

    /// The regex, compiled on first use.
    pub fn build(&self) -> Result<CachedRegex, regex::Error> {
        Ok(CachedRegex {
            source: self.source.clone(),
            ignore_whitespace: self.ignore_whitespace,
            whole: self.whole,
            compiled: OnceLock::new(),
            at_start: OnceLock::new(),
            prefix: None,
        })
    }
}
