//! Reading the dates people put in contact lists.

use time::{Date, Month};

use crate::policy::DateOrder;

/// Reads `YYYY-MM-DD` (the only form the policy's `today` takes).
pub fn parse_iso(text: &str) -> Option<Date> {
    let text = text.trim();
    let bytes = text.as_bytes();
    if bytes.len() != 10 || bytes[4] != b'-' || bytes[7] != b'-' {
        return None;
    }
    ymd(&text[..4], &text[5..7], &text[8..10])
}

/// Reads a date cell: ISO 8601 (`2025-04-03`, `2025-04-03T10:00:00Z`, `2025/04/03`) always;
/// `03/04/2025`, `03.04.2025`, `03-04-25` in the given day/month order.
/// Two-digit years are 2000–2069 below 70, 1970–1999 from 70.
pub fn parse(text: &str, order: DateOrder) -> Option<Date> {
    let text = text.trim();
    // ISO date-times: keep the date part.
    let text = match text.find(['T', ' ']) {
        Some(i) if i >= 8 => &text[..i],
        _ => text,
    };
    let parts: Vec<&str> = text.split(['-', '/', '.']).collect();
    if parts.len() != 3 || parts.iter().any(|p| p.is_empty() || p.len() > 4) {
        return None;
    }
    if parts[0].len() == 4 {
        return ymd(parts[0], parts[1], parts[2]);
    }
    if parts[2].len() != 4 && parts[2].len() != 2 {
        return None;
    }
    let year = if parts[2].len() == 2 {
        let yy: i32 = parts[2].parse().ok()?;
        (if yy < 70 { 2000 + yy } else { 1900 + yy }).to_string()
    } else {
        parts[2].to_string()
    };
    match order {
        DateOrder::Dmy => ymd(&year, parts[1], parts[0]),
        DateOrder::Mdy => ymd(&year, parts[0], parts[1]),
    }
}

fn ymd(y: &str, m: &str, d: &str) -> Option<Date> {
    if ![y, m, d]
        .iter()
        .all(|p| p.bytes().all(|b| b.is_ascii_digit()))
    {
        return None;
    }
    let month = Month::try_from(m.parse::<u8>().ok()?).ok()?;
    Date::from_calendar_date(y.parse().ok()?, month, d.parse().ok()?).ok()
}

/// Whole days from `date` to `today` (negative for dates in the future).
pub fn age_days(date: Date, today: Date) -> i64 {
    (today - date).whole_days()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u8, day: u8) -> Date {
        Date::from_calendar_date(y, Month::try_from(m).unwrap(), day).unwrap()
    }

    #[test]
    fn iso_forms() {
        assert_eq!(parse_iso("2025-04-03"), Some(d(2025, 4, 3)));
        assert_eq!(parse_iso("2025-02-30"), None);
        assert_eq!(parse_iso("03/04/2025"), None);
        assert_eq!(
            parse("2025-04-03T10:00:00Z", DateOrder::Mdy),
            Some(d(2025, 4, 3))
        );
        assert_eq!(parse("2025/04/03", DateOrder::Dmy), Some(d(2025, 4, 3)));
        assert_eq!(
            parse("2025-04-03 10:00", DateOrder::Dmy),
            Some(d(2025, 4, 3))
        );
    }

    #[test]
    fn slashed_dates_follow_the_order() {
        assert_eq!(parse("03/04/2025", DateOrder::Dmy), Some(d(2025, 4, 3)));
        assert_eq!(parse("03/04/2025", DateOrder::Mdy), Some(d(2025, 3, 4)));
        assert_eq!(parse("31.12.24", DateOrder::Dmy), Some(d(2024, 12, 31)));
        assert_eq!(parse("12/31/99", DateOrder::Mdy), Some(d(1999, 12, 31)));
        assert_eq!(parse("31/12/2024", DateOrder::Mdy), None);
    }

    #[test]
    fn garbage_is_not_a_date() {
        for text in [
            "",
            "yesterday",
            "2025",
            "1/2",
            "aa/bb/cccc",
            "2025-13-01",
            "+1/2/2025",
        ] {
            assert_eq!(parse(text, DateOrder::Dmy), None, "{text}");
        }
    }

    #[test]
    fn ages() {
        assert_eq!(age_days(d(2025, 1, 1), d(2025, 1, 31)), 30);
        assert_eq!(age_days(d(2025, 2, 1), d(2025, 1, 31)), -1);
    }
}
