//! PATCH(phonescrub): the parser's prefix tests by tables built from the metadata at build
//! time (build.rs `prefixes`): where a region's international prefix (IDD) or national
//! prefix for parsing matches at the start of a number, found by walking the number's
//! digits through the pattern's automaton instead of compiling and running a regex. The
//! regex stays, for other databases, for text that is not all ASCII digits and as the
//! reference a phonescrub test compares this with.

static NEXT: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/prefix_next.bin"));
/// A byte a state: `MATCH` and `MATCH_AT_END`.
static FLAGS: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/prefix_flags.bin"));
include!(concat!(env!("OUT_DIR"), "/prefix_regions.rs"));

/// The next state of a digit after which no match can end (regex-automata's dead state).
const DEAD: u8 = 255;
/// Entering the state on the digit at `i` means a match ended at `i` (the DFA reports a
/// match one byte late).
const MATCH: u8 = 1;
/// A match ends at the end of the text when the text ends in this state.
const MATCH_AT_END: u8 = 2;

/// A pattern's automaton: the index of its start state in the tables.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Prefix(u32);

impl Prefix {
    /// The built-in database's `index`th region's (IDD, national prefix for parsing)
    /// tables (in the validity tables' order, which `validity::Table::of_region` checks).
    pub(crate) fn of_region(index: usize) -> (Option<Prefix>, Option<Prefix>) {
        let (idd, national) = REGIONS[index];
        let table = |start: u32| (start != u32::MAX).then_some(Prefix(start));
        (table(idd), table(national))
    }

    /// The regions the tables were built for.
    pub(crate) fn regions() -> usize {
        REGIONS.len()
    }

    /// The end of the pattern's leftmost-first match anchored at the start of `text`
    /// (`Some(None)` for no match), as the regex finds it; `None` when `text` is not all
    /// ASCII digits (the regex answers those).
    #[inline]
    pub(crate) fn end_at_start(self, text: &str) -> Option<Option<usize>> {
        let base = self.0 as usize;
        let mut state = 1usize; // local ids from 1
        let mut end = None;
        for (i, &b) in text.as_bytes().iter().enumerate() {
            let digit = b.wrapping_sub(b'0');
            if digit > 9 {
                return None;
            }
            let next = NEXT[(base + state - 1) * 10 + usize::from(digit)];
            if next == DEAD {
                // Nothing the text could go on with matches: the last match stands. (The
                // rest of the text is not read, so it may hold a non-digit.)
                return Some(end);
            }
            state = next as usize;
            if FLAGS[base + state - 1] & MATCH != 0 {
                end = Some(i);
            }
        }
        if FLAGS[base + state - 1] & MATCH_AT_END != 0 {
            end = Some(text.len());
        }
        Some(end)
    }
}
