//! Consent: which values mean yes, how old consent may be, and what values were seen.

use serde::Serialize;
use time::Date;

use crate::policy::{ConsentRule, DateOrder, DEFAULT_GRANTED};
use crate::rules::dates;
use crate::rules::dedupe::{FastMap, FastSet, ShortCells};

/// At most this many distinct consent values are listed in the report; the rest are
/// counted under `otherValues` so a free-text column cannot grow memory without bound.
pub const MAX_LISTED_VALUES: usize = 200;

/// The consent rule, ready to apply.
#[derive(Debug)]
pub struct Consent {
    /// The granted values' keys, as UTF-8 bytes.
    granted: FastSet<Vec<u8>>,
    /// The longest of them, in bytes: a cell whose key is longer is not consent.
    longest: usize,
    max_age_days: Option<u32>,
    seen: FastMap<String, u64>,
    other_values_rows: u64,
}

/// One distinct value of the consent column and how it was read.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ConsentValue {
    /// The value as written (trimmed).
    pub value: String,
    /// Rows holding it.
    pub rows: u64,
    /// True when it was read as consent.
    pub granted: bool,
}

/// The consent values of one stretch of a list (a part read in parallel, or a batch of
/// rows), in the order first seen, with their rows: [`Consent::record_values`] adds them
/// up. Not capped: a stretch has a bounded number of rows.
#[derive(Debug, Default)]
pub struct ValueTally {
    values: Vec<(String, u64)>,
    index: FastMap<String, usize>,
    /// The indexes of the last short values seen, in front of `index`.
    recent: ShortCells<usize>,
    /// Whether each value means yes, once [`ValueTally::record_granted`] has asked.
    granted: Vec<Option<bool>>,
}

impl ValueTally {
    /// Records one row's value (trimmed, as [`Consent::record_value`]).
    #[cfg(test)]
    fn record(&mut self, cell: &str) {
        self.slot(cell);
    }

    /// Records one row's value, and says whether `rule` reads it as consent: asked once
    /// a distinct value, not once a row (the two were 4% of a part worker's time in wasm,
    /// profiled in Node). The same answer as `rule.is_granted(cell)`, which ignores
    /// whitespace, the trimmed part included.
    pub fn record_granted(&mut self, cell: &str, rule: &Consent) -> bool {
        let i = self.slot(cell);
        *self.granted[i].get_or_insert_with(|| rule.is_granted(&self.values[i].0))
    }

    /// Counts one row of `cell`'s value: its index in `values`.
    fn slot(&mut self, cell: &str) -> usize {
        let value = cell.trim();
        let i = match self.recent.get(value.as_bytes()) {
            Some(i) => i,
            None => {
                let i = match self.index.get(value) {
                    Some(&i) => i,
                    None => self.push(value, 0),
                };
                self.recent.put(value.as_bytes(), i);
                i
            }
        };
        self.values[i].1 += 1;
        i
    }

    /// A value not seen before, on `rows` rows: its index.
    fn push(&mut self, value: &str, rows: u64) -> usize {
        let i = self.values.len();
        self.index.insert(value.to_string(), i);
        self.values.push((value.to_string(), rows));
        self.granted.push(None);
        i
    }

    /// The values in the order first seen, with their rows.
    pub fn values(&self) -> &[(String, u64)] {
        &self.values
    }

    /// Adds a value seen on `rows` rows (for a tally sent between workers).
    pub fn add(&mut self, value: &str, rows: u64) {
        match self.index.get(value) {
            Some(&i) => self.values[i].1 += rows,
            None => {
                self.push(value, rows);
            }
        }
    }

    /// Forgets everything recorded.
    pub fn clear(&mut self) {
        self.values.clear();
        self.index.clear();
        self.recent.clear();
        self.granted.clear();
    }
}

/// Granted values (as keys) up to this many bytes are matched without allocating.
const KEY_BUFFER: usize = 64;

/// Case and space insensitive: "Opted In" == "optedin".
fn key(value: &str) -> String {
    // `is_granted` computes the same key without allocating; a test checks they agree.
    value
        .chars()
        .filter(|c| !c.is_whitespace())
        .flat_map(char::to_lowercase)
        .collect()
}

impl Consent {
    /// Builds the rule from the policy's consent section.
    pub fn new(rule: &ConsentRule) -> Consent {
        let granted: FastSet<Vec<u8>> = match &rule.granted {
            Some(values) => values.iter().map(|v| key(v).into_bytes()).collect(),
            None => DEFAULT_GRANTED
                .iter()
                .map(|v| key(v).into_bytes())
                .collect(),
        };
        Consent {
            longest: granted.iter().map(Vec::len).max().unwrap_or(0),
            granted,
            max_age_days: rule.max_age_days,
            seen: FastMap::default(),
            other_values_rows: 0,
        }
    }

    /// True when the cell means yes. Unknown and empty values are not consent.
    pub fn is_granted(&self, cell: &str) -> bool {
        // The key (see `key`) built in a stack buffer, given up as soon as it is longer than
        // every granted value.
        if self.longest > KEY_BUFFER {
            return self.granted.contains(key(cell).as_bytes());
        }
        let mut buffer = [0u8; KEY_BUFFER];
        let mut len = 0;
        if cell.is_ascii() {
            for b in cell.bytes() {
                if char::from(b).is_whitespace() {
                    continue;
                }
                if len == self.longest {
                    return false;
                }
                buffer[len] = b.to_ascii_lowercase();
                len += 1;
            }
        } else {
            for c in cell.chars().filter(|c| !c.is_whitespace()) {
                for lower in c.to_lowercase() {
                    let end = len + lower.len_utf8();
                    if end > self.longest {
                        return false;
                    }
                    lower.encode_utf8(&mut buffer[len..end]);
                    len = end;
                }
            }
        }
        self.granted.contains(&buffer[..len])
    }

    /// Records a value for the report.
    pub fn record_value(&mut self, cell: &str) {
        let value = cell.trim();
        if let Some(rows) = self.seen.get_mut(value) {
            *rows += 1;
        } else if self.seen.len() < MAX_LISTED_VALUES {
            self.seen.insert(value.to_string(), 1);
        } else {
            self.other_values_rows += 1;
        }
    }

    /// Adds the values one stretch of the list recorded (a [`ValueTally`]), as if each
    /// of its rows had been recorded here in order: a value first seen once the report's
    /// list is full goes to `otherValues` with all its rows, as row by row.
    pub fn record_values(&mut self, tally: &ValueTally) {
        for (value, rows) in &tally.values {
            if let Some(seen) = self.seen.get_mut(value) {
                *seen += rows;
            } else if self.seen.len() < MAX_LISTED_VALUES {
                self.seen.insert(value.clone(), *rows);
            } else {
                self.other_values_rows += rows;
            }
        }
    }

    /// True when consent has expired: older than the maximum age, or its date cannot be
    /// read (a row that cannot prove its consent is recent has not proved it).
    pub fn is_expired(&self, date_cell: Option<&str>, today: Date, order: DateOrder) -> bool {
        let Some(max_age) = self.max_age_days else {
            return false;
        };
        match date_cell.and_then(|cell| dates::parse(cell, order)) {
            Some(date) => dates::age_days(date, today) > i64::from(max_age),
            None => true,
        }
    }

    /// The values seen, most frequent first, and the rows with unlisted values.
    pub fn values_seen(&self) -> (Vec<ConsentValue>, u64) {
        let mut values: Vec<ConsentValue> = self
            .seen
            .iter()
            .map(|(value, rows)| ConsentValue {
                value: value.clone(),
                rows: *rows,
                granted: self.is_granted(value),
            })
            .collect();
        values.sort_by(|a, b| b.rows.cmp(&a.rows).then_with(|| a.value.cmp(&b.value)));
        (values, self.other_values_rows)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::ColumnRef;

    fn rule(granted: Option<&[&str]>, max_age_days: Option<u32>) -> ConsentRule {
        ConsentRule {
            column: ColumnRef::Index(0),
            granted: granted.map(|g| g.iter().map(|s| s.to_string()).collect()),
            date_column: max_age_days.map(|_| ColumnRef::Index(1)),
            max_age_days,
        }
    }

    #[test]
    fn the_tally_reads_a_value_as_is_granted_does() {
        // The answer is kept a distinct value: granted and refused values mixed, the
        // same value with other whitespace around it (one trimmed value, one answer),
        // whitespace inside (ignored by is_granted, not by the tally).
        let cells = [
            "Y",
            " yes ",
            "N",
            "",
            "  ",
            "Opted In",
            "opted in",
            "nope",
            "Y",
            "\u{a0}Y\u{3000}",
            "ja",
            "y e s",
            "NO",
            "yes",
        ];
        for granted in [None, Some(&["Marketing OK", "ja"][..])] {
            let c = Consent::new(&rule(granted, None));
            let (mut tally, mut plain) = (ValueTally::default(), ValueTally::default());
            for round in 0..3 {
                for cell in cells {
                    let read = tally.record_granted(cell, &c);
                    assert_eq!(read, c.is_granted(cell), "{cell:?}, round {round}");
                    plain.record(cell);
                }
            }
            assert_eq!(tally.values(), plain.values());
            tally.clear();
            assert!(tally.values().is_empty());
            assert_eq!(tally.record_granted("nope", &c), c.is_granted("nope"));
            assert_eq!(tally.record_granted(" Y", &c), c.is_granted("Y"));
        }
    }

    #[test]
    fn default_values_are_case_and_space_insensitive() {
        let c = Consent::new(&rule(None, None));
        for yes in [
            "yes",
            "Y",
            "TRUE",
            "1",
            "opt-in",
            "Opted In",
            " opted  in ",
            "x",
        ] {
            assert!(c.is_granted(yes), "{yes}");
        }
        for no in [
            "",
            "no",
            "N",
            "0",
            "false",
            "unknown",
            "opt-out",
            "yes please",
        ] {
            assert!(!c.is_granted(no), "{no}");
        }
    }

    #[test]
    fn is_granted_matches_the_allocating_key() {
        // The granted test as it was: `key` allocated, then a set lookup.
        fn reference(granted: &[String], cell: &str) -> bool {
            granted.iter().any(|g| key(g) == key(cell))
        }
        let long =
            "a very long consent value that is longer than the stack buffer of sixty-four bytes";
        let lists: Vec<Vec<String>> = vec![
            DEFAULT_GRANTED.iter().map(|s| s.to_string()).collect(),
            ["Marketing OK", "JA", "İstanbul", "ÉTÉ", "ß", long]
                .iter()
                .map(|s| s.to_string())
                .collect(),
            vec![String::new()],
        ];
        const ALPHABET: &[char] = &[
            'y', 'Y', 'e', 's', 'E', 'S', 'o', 'k', 'O', 'K', 'j', 'a', 'J', 'A', ' ', '\t',
            '\u{b}', '\u{a0}', '\u{3000}', '-', '1', 'i', 'İ', 'I', '\u{307}', 'É', 'é', 't', 'T',
            'ß', 'ẞ', 'x', 'n', 'N', 'M', 'm', 'r', 'g', 'p', 'd',
        ];
        let mut next = crate::xorshift(0x2545_f491_4f6c_dd1d);
        for granted in &lists {
            let c = Consent::new(&ConsentRule {
                granted: Some(granted.clone()),
                ..rule(None, None)
            });
            let mut cells: Vec<String> = granted
                .iter()
                .flat_map(|g| {
                    [
                        g.clone(),
                        g.to_uppercase(),
                        format!(" {g} "),
                        format!("{g}x"),
                    ]
                })
                .collect();
            cells.extend(DEFAULT_GRANTED.iter().map(|s| s.to_uppercase()));
            for _ in 0..100_000 {
                let len = (next() % 12) as usize;
                cells.push(
                    (0..len)
                        .map(|_| ALPHABET[(next() % ALPHABET.len() as u64) as usize])
                        .collect(),
                );
            }
            let mut yes = 0;
            for cell in &cells {
                let fast = c.is_granted(cell);
                assert_eq!(
                    fast,
                    reference(granted, cell),
                    "{cell:?} against {granted:?}"
                );
                yes += usize::from(fast);
            }
            assert!(yes > 10, "{yes}");
        }
    }

    #[test]
    fn the_policy_list_replaces_the_default() {
        let c = Consent::new(&rule(Some(&["Marketing OK"]), None));
        assert!(c.is_granted("marketing ok"));
        assert!(!c.is_granted("yes"));
    }

    #[test]
    fn expiry_counts_unreadable_dates_and_keeps_the_boundary() {
        let c = Consent::new(&rule(None, Some(30)));
        let today = dates::parse_iso("2025-01-31").unwrap();
        assert!(!c.is_expired(Some("2025-01-01"), today, DateOrder::Dmy)); // exactly 30 days
        assert!(c.is_expired(Some("2024-12-31"), today, DateOrder::Dmy));
        assert!(c.is_expired(Some("soon"), today, DateOrder::Dmy));
        assert!(c.is_expired(None, today, DateOrder::Dmy));
        let no_limit = Consent::new(&rule(None, None));
        assert!(!no_limit.is_expired(None, today, DateOrder::Dmy));
    }

    #[test]
    fn values_are_counted_and_bounded() {
        let mut c = Consent::new(&rule(None, None));
        for v in ["yes", "yes ", "no", "maybe"] {
            c.record_value(v);
        }
        for i in 0..MAX_LISTED_VALUES + 5 {
            c.record_value(&format!("free text {i}"));
        }
        let (values, other) = c.values_seen();
        assert_eq!(values.len(), MAX_LISTED_VALUES);
        assert_eq!(
            values[0],
            ConsentValue {
                value: "yes".into(),
                rows: 2,
                granted: true
            }
        );
        assert_eq!(other, 8);
    }
}
