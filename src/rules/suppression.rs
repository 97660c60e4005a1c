//! Opt-outs: numbers on suppression lists, and numbers any row of the list refuses.
//!
//! The safest reading wins whatever the row order: the scrub reads the list twice when
//! consent is checked, first to learn every number some row refuses, then to decide.

use std::collections::{HashMap, HashSet};
use std::io::Read;

use phonenumber::country::Id;
use serde::Serialize;

use crate::error::{Error, Result};
use crate::input;
use crate::protect;
use crate::records::Record;
use crate::rules::dedupe::{FastMap, FastSet};
use crate::sheet::{self, PhoneCell};

/// What one opt-out list contributed.
#[derive(Clone, Debug, PartialEq, Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OptOutList {
    /// The list's name (its file name, where known).
    pub name: String,
    /// Non-empty cells read.
    pub cells: u64,
    /// Distinct valid numbers found in it.
    pub numbers: u64,
    /// Distinct SHA-256 digests found in it (hashed lists: 64 hex digits a cell).
    pub hashes: u64,
    /// Rows of the contact list removed because a number on it matched.
    pub rows_matched: u64,
}

/// Why a number is opted out.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OptOut {
    /// It is on the opt-out list with this index.
    Listed(usize),
    /// Another row of the contact list refuses it.
    Refused,
}

/// A [`Suppression`] as plain data, to send to another worker.
#[derive(Clone, Debug, Default, Serialize, serde::Deserialize)]
pub struct SuppressionState {
    listed: Vec<(u64, usize)>,
    digests: Vec<([u8; 32], usize)>,
    refusals: Vec<(u64, u32)>,
    lists: Vec<OptOutList>,
}

/// Numbers that must not be contacted.
#[derive(Debug, Default)]
pub struct Suppression {
    listed: FastMap<u64, usize>,
    digests: HashMap<[u8; 32], usize>,
    refusals: FastMap<u64, u32>,
    lists: Vec<OptOutList>,
    /// Every number in `listed` or `refusals`, and others that share their bits.
    numbers: NumberFilter,
}

/// A bit a number, picked by a multiplicative hash of it, set for every number listed or
/// refused: a number whose bit is clear is neither, which one load tells where the two
/// maps took two look-ups. Nearly every row's number is neither, and those look-ups were
/// 40% of the verdicts' time in wasm (Node profile, the bench list). 2^20 bits (128 KiB),
/// made when the first number is added. The bench's list sets at most 38,312 (18,295
/// listed numbers, up to 20,017 refusing rows), so about 4% of the other numbers share a
/// bit with one (38,312 / 2^20, worked out, not counted) and are looked up as before.
#[derive(Debug, Default)]
struct NumberFilter(Vec<u64>);

impl NumberFilter {
    const BITS: u32 = 20;

    #[inline]
    fn bit(key: u64) -> usize {
        (key.wrapping_mul(0x9e37_79b9_7f4a_7c15) >> (64 - Self::BITS)) as usize
    }

    fn insert(&mut self, key: u64) {
        if self.0.is_empty() {
            self.0 = vec![0; (1 << Self::BITS) / 64];
        }
        let bit = Self::bit(key);
        self.0[bit / 64] |= 1 << (bit % 64);
    }

    /// False when `key` was never inserted.
    #[inline]
    fn may_hold(&self, key: u64) -> bool {
        let bit = Self::bit(key);
        self.0
            .get(bit / 64)
            .is_some_and(|word| word & (1 << (bit % 64)) != 0)
    }
}

impl Suppression {
    /// Reads an opt-out list: any delimited text, any columns, numbers in any format.
    /// Every cell that normalises to a valid number (under `region` for national
    /// formats) is suppressed; so is every cell holding a SHA-256 digest (64 hex digits)
    /// of a number in Google's ("+16505551212") or Meta's ("16505551212") form, matched
    /// without ever un-hashing. Headers and other text are passed over.
    pub fn add_list<R: Read>(
        &mut self,
        name: &str,
        reader: R,
        region: Option<Id>,
    ) -> Result<&OptOutList> {
        let mut source = input::open(reader, None, false)
            .map_err(|e| Error::input(format!("opt-out list {name:?}: {e}")))?;
        let index = self.lists.len();
        let mut cells = 0;
        let mut found = FastSet::default();
        let mut digests = HashSet::new();
        let mut record = Record::new();
        // A workbook's number cells lost their `+` or leading 0: recovered as in the list.
        let from_sheet = source.from_sheet();
        while source.reader.read_byte_record(&mut record)? {
            let line = source.line_of(&record);
            input::check_record(&record, line)
                .map_err(|e| Error::input(format!("opt-out list {name:?}: {e}")))?;
            for cell in record.iter().filter(|c| !c.is_empty()) {
                cells += 1;
                let text = String::from_utf8_lossy(cell);
                if let Some(digest) = protect::parse_digest(&text) {
                    digests.insert(digest);
                } else if let PhoneCell::Valid(n) = sheet::read_phone(&text, region, from_sheet) {
                    found.insert(n.key());
                }
            }
        }
        if found.is_empty() && digests.is_empty() {
            return Err(Error::input(format!(
                "opt-out list {name:?}: no valid phone number or SHA-256 hash found in {cells} cells (is it the right file, and is the default country set for numbers without +country code?)"
            )));
        }
        for key in &found {
            self.listed.entry(*key).or_insert(index);
            self.numbers.insert(*key);
        }
        for digest in &digests {
            self.digests.entry(*digest).or_insert(index);
        }
        self.lists.push(OptOutList {
            name: name.to_string(),
            cells,
            numbers: found.len() as u64,
            hashes: digests.len() as u64,
            rows_matched: 0,
        });
        Ok(&self.lists[index])
    }

    /// Notes that a row of the contact list with this number has no consent.
    pub fn note_refusal(&mut self, key: u64) {
        let n = self.refusals.entry(key).or_insert(0);
        *n = n.saturating_add(1);
        self.numbers.insert(key);
    }

    /// True when the number is opted out: it is on a list, or a row other than this one
    /// refuses it (`own_row_refuses` says whether this row is itself a refusal).
    pub fn is_opted_out(&mut self, key: u64, own_row_refuses: bool) -> bool {
        match self.check(key, own_row_refuses) {
            Some(OptOut::Listed(list)) => {
                self.lists[list].rows_matched += 1;
                true
            }
            Some(OptOut::Refused) => true,
            None => false,
        }
    }

    /// [`Suppression::is_opted_out`] without counting the match: for parts of a list
    /// scrubbed in parallel, whose matches are added up with [`Suppression::add_matches`].
    pub fn check(&self, key: u64, own_row_refuses: bool) -> Option<OptOut> {
        if let Some(list) = self.listed_on(key, true) {
            return Some(OptOut::Listed(list));
        }
        self.is_refused(key, own_row_refuses)
            .then_some(OptOut::Refused)
    }

    /// The opt-out list `key` is on (the first that has it): by its number, and by its
    /// SHA-256 digests when `digests` (two hashes of the number; a caller that knows a
    /// row's digests were checked already passes false).
    pub fn listed_on(&self, key: u64, digests: bool) -> Option<usize> {
        let listed = if self.numbers.may_hold(key) {
            self.listed.get(&key).copied()
        } else {
            None
        };
        match listed {
            Some(list) => Some(list),
            None if digests && !self.digests.is_empty() => protect::opt_out_digests(key)
                .iter()
                .find_map(|d| self.digests.get(d).copied()),
            None => None,
        }
    }

    /// True when `key` may be on a list by its number or refused by some row; false only
    /// when it is neither, and then [`Suppression::listed_on`] without digests and
    /// [`Suppression::is_refused`] are both false and need not be asked.
    #[inline]
    pub fn may_hold(&self, key: u64) -> bool {
        self.numbers.may_hold(key)
    }

    /// True when some list read so far holds SHA-256 digests.
    pub fn has_digests(&self) -> bool {
        !self.digests.is_empty()
    }

    /// True when some row (another one, when `own_row_refuses`) refused consent for `key`.
    pub fn is_refused(&self, key: u64, own_row_refuses: bool) -> bool {
        if !self.numbers.may_hold(key) {
            return false;
        }
        let refusals = self.refusals.get(&key).copied().unwrap_or(0);
        refusals > u32::from(own_row_refuses)
    }

    /// Adds rows matched per list (in [`Suppression::lists`] order).
    pub fn add_matches(&mut self, matched: &[u64]) {
        for (list, n) in self.lists.iter_mut().zip(matched) {
            list.rows_matched += n;
        }
    }

    /// Everything read so far, to hand to another worker ([`Suppression::import`]).
    pub fn export(&self) -> SuppressionState {
        SuppressionState {
            listed: self.listed.iter().map(|(&k, &v)| (k, v)).collect(),
            digests: self.digests.iter().map(|(&k, &v)| (k, v)).collect(),
            refusals: self.refusals.iter().map(|(&k, &v)| (k, v)).collect(),
            lists: self.lists.clone(),
        }
    }

    /// [`Suppression::export`] without the lists' plain numbers and the refusals (the
    /// lists' digests and names are kept): for parts whose rows are checked against both
    /// when they are merged (see `Scrubber::apply_opt_outs`). Without the refusals too,
    /// so that a row on a list is counted as that list's match, as [`Suppression::check`]
    /// counts it, even when another row refuses its number.
    pub fn export_without_numbers(&self) -> SuppressionState {
        SuppressionState {
            listed: Vec::new(),
            digests: self.digests.iter().map(|(&k, &v)| (k, v)).collect(),
            refusals: Vec::new(),
            lists: self.lists.clone(),
        }
    }

    /// The suppression [`Suppression::export`] described.
    pub fn import(state: SuppressionState) -> Suppression {
        let mut s = Suppression::default();
        for key in state.listed.iter().map(|&(k, _)| k) {
            s.numbers.insert(key);
        }
        for key in state.refusals.iter().map(|&(k, _)| k) {
            s.numbers.insert(key);
        }
        s.listed.extend(state.listed);
        s.digests.extend(state.digests);
        s.refusals.extend(state.refusals);
        s.lists = state.lists;
        s
    }

    /// The lists read, for the report.
    pub fn lists(&self) -> &[OptOutList] {
        &self.lists
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::phone;

    #[test]
    fn lists_take_numbers_in_any_format_and_skip_other_text() {
        let mut s = Suppression::default();
        let list = b"phone,note\n+44 121 294 1091,asked\n0121 294 1092,\nnot a number,x\n";
        let summary = s
            .add_list("dnc.csv", &list[..], phone::region_id("GB"))
            .unwrap()
            .clone();
        assert_eq!(summary.numbers, 2);
        assert!(s.is_opted_out(441212941091, false));
        assert!(s.is_opted_out(441212941092, false));
        assert!(!s.is_opted_out(441212941093, false));
        assert_eq!(s.lists()[0].rows_matched, 2);
    }

    #[test]
    fn a_list_without_numbers_is_an_error() {
        let mut s = Suppression::default();
        let err = s
            .add_list("empty.csv", &b"name\nbob\n"[..], None)
            .unwrap_err();
        assert!(err.to_string().contains("no valid phone number"), "{err}");
    }

    #[test]
    fn hashed_lists_match_both_platform_forms() {
        let mut s = Suppression::default();
        // Meta's form of +16505551212 and Google's form of +441212941091.
        let list = format!(
            "hash\ne323ec626319ca94ee8bff2e4c87cf613be6ea19919ed1364124e16807ab3176\n{}\n",
            protect::Hasher::new(protect::HashTarget::Google, None).hash(441212941091)
        );
        let summary = s
            .add_list("hashed.csv", list.as_bytes(), None)
            .unwrap()
            .clone();
        assert_eq!((summary.numbers, summary.hashes), (0, 2));
        assert!(s.is_opted_out(16505551212, false));
        assert!(s.is_opted_out(441212941091, false));
        assert!(!s.is_opted_out(441212941092, false));
        assert_eq!(s.lists()[0].rows_matched, 2);
    }

    #[test]
    fn the_number_filter_never_hides_a_listed_or_refused_number() {
        // Many numbers, so that many others share their bits: every listed and refused
        // one is still found, here and in a suppression made from its export, and one
        // never added is not.
        let mut next = crate::xorshift(0x5eed_1234_abcd_ef01);
        let numbers: Vec<u64> = (0..60_000)
            .map(|_| 447_911_000_000 + next() % 1_000_000)
            .collect();
        let (listed, refused) = numbers.split_at(30_000);
        let list: String = listed.iter().map(|n| format!("+{n}\n")).collect();
        let mut s = Suppression::default();
        // (Only the numbers the phone parser takes as valid are on the list.)
        let on_list = s
            .add_list("dnc.csv", list.as_bytes(), None)
            .unwrap()
            .numbers;
        assert!(on_list > 10_000, "{on_list} numbers on the list");
        for &key in refused {
            s.note_refusal(key);
        }
        let imported = Suppression::import(s.export());
        for s in [&s, &imported] {
            let found: FastSet<u64> = listed
                .iter()
                .copied()
                .filter(|&k| s.listed_on(k, false).is_some())
                .collect();
            assert_eq!(found.len() as u64, on_list);
            for &key in listed {
                assert_eq!(s.listed_on(key, false), s.listed.get(&key).copied());
            }
            assert!(refused.iter().all(|&k| s.is_refused(k, false)));
            assert!(refused
                .iter()
                .all(|&k| s.is_refused(k, true) == (s.refusals[&k] > 1)));
            let others = (0..100_000u64).map(|i| 1_000_000 + i);
            assert!(others
                .clone()
                .all(|k| s.listed_on(k, false).is_none() && !s.is_refused(k, false)));
        }
        assert!(Suppression::default()
            .listed_on(441212941091, true)
            .is_none());
    }

    #[test]
    fn refusals_count_other_rows_only() {
        let mut s = Suppression::default();
        s.note_refusal(7);
        assert!(
            !s.is_opted_out(7, true),
            "a row's own refusal is no_consent, not opted_out"
        );
        assert!(s.is_opted_out(7, false));
        s.note_refusal(7);
        assert!(s.is_opted_out(7, true));
    }
}
