//! PATCH(phonescrub): validity by tables built from the metadata at build time (build.rs
//! `validity`): for the built-in database, `validator::is_valid_type` walks the number's
//! digits through its region's automaton instead of matching two regular expressions
//! (which also had to be compiled on first use). The regex path stays, for other
//! databases and as the reference a phonescrub test compares this with.

static NEXT: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/validity_next.bin"));
/// A bit a state, set when it is not valid.
static INVALID: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/validity_invalid.bin"));
include!(concat!(env!("OUT_DIR"), "/validity_regions.rs"));

/// The next state of a digit that no valid number continues with (see build.rs).
const DEAD: u8 = 255;

/// A region's automaton: the index of its start state in the tables.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Table(u32);

impl Table {
    /// The table of the built-in database's `index`th region, whose id must be `id`.
    pub(crate) fn of_region(index: usize, id: &str) -> Table {
        let (name, start) = REGIONS[index];
        // (`assert!`, not `assert_eq!`: `Debug` for `str` would bring its escaping
        // tables into the wasm engine.)
        assert!(name == id, "the validity tables follow the database's order");
        Table(start)
    }

    /// The regions the tables were built for.
    pub(crate) fn regions() -> usize {
        REGIONS.len()
    }

    /// `is_valid_type` for a national number of ASCII digits; `None` for anything else
    /// (the regex path answers those).
    #[inline]
    pub(crate) fn is_valid(self, national: &str) -> Option<bool> {
        if !national.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let base = self.0 as usize;
        let mut state = 1usize; // local ids from 1
        for &b in national.as_bytes() {
            let next = NEXT[(base + state - 1) * 10 + usize::from(b - b'0')];
            if next == DEAD {
                // No valid number starts this way, or it is too long.
                return Some(false);
            }
            state = next as usize;
        }
        let global = base + state - 1;
        Some(INVALID[global / 8] & (1 << (global % 8)) == 0)
    }
}
