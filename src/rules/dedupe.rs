//! Dedupe: a number is kept once, in its first kept row.

use std::collections::HashSet;

/// The numbers already kept.
#[derive(Debug, Default)]
pub struct Dedupe {
    kept: HashSet<u64>,
}

impl Dedupe {
    /// True when `key` was already kept by an earlier row.
    pub fn is_duplicate(&self, key: u64) -> bool {
        self.kept.contains(&key)
    }

    /// Records that a row with `key` was kept.
    pub fn keep(&mut self, key: u64) {
        self.kept.insert(key);
    }

    /// Distinct numbers kept so far.
    pub fn len(&self) -> usize {
        self.kept.len()
    }

    /// True when nothing was kept.
    pub fn is_empty(&self) -> bool {
        self.kept.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_kept_numbers_make_duplicates() {
        let mut d = Dedupe::default();
        assert!(!d.is_duplicate(441212941091));
        d.keep(441212941091);
        assert!(d.is_duplicate(441212941091));
        assert!(!d.is_duplicate(441212941092));
        assert_eq!(d.len(), 1);
    }
}
