//! Retention: rows whose last contact is too old are deleted.

use time::Date;

use crate::policy::DateOrder;
use crate::rules::dates;

/// True when the row is past retention: its last-contact date is more than `max_age_days`
/// before `today`, or missing, or unreadable (the row cannot prove it is recent).
/// A date exactly `max_age_days` old is kept.
pub fn is_expired(cell: &str, max_age_days: u32, today: Date, order: DateOrder) -> bool {
    match dates::parse(cell, order) {
        Some(date) => dates::age_days(date, today) > i64::from(max_age_days),
        None => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn boundary_missing_and_future() {
        let today = dates::parse_iso("2025-06-30").unwrap();
        assert!(!is_expired("2025-05-31", 30, today, DateOrder::Dmy));
        assert!(is_expired("2025-05-30", 30, today, DateOrder::Dmy));
        assert!(is_expired("", 30, today, DateOrder::Dmy));
        assert!(is_expired("last spring", 30, today, DateOrder::Dmy));
        assert!(!is_expired("2026-01-01", 30, today, DateOrder::Dmy));
        assert!(!is_expired("06/30/2025", 0, today, DateOrder::Mdy));
    }
}
