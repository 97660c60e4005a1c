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
    // The commonest cell of all, `YYYY-MM-DD` (or `/`, `.`) alone: read in place.
    if let [y0, y1, y2, y3, s0, m0, m1, s1, d0, d1] = *text.as_bytes() {
        let digits = [y0, y1, y2, y3, m0, m1, d0, d1];
        if is_separator(s0) && is_separator(s1) && digits.iter().all(u8::is_ascii_digit) {
            let value = |digits: &[u8]| {
                digits
                    .iter()
                    .fold(0u32, |value, &d| value * 10 + u32::from(d - b'0'))
            };
            return ymd_values(
                value(&digits[..4]),
                value(&digits[4..6]),
                value(&digits[6..]),
            );
        }
    }
    // Nearly every cell starts and ends with an ASCII character other than a space:
    // nothing to trim, and no need to decode it.
    let text = match text.as_bytes() {
        [first, .., last] if first.is_ascii_graphic() && last.is_ascii_graphic() => text,
        _ => text.trim(),
    };
    // ISO date-times: keep the date part. (Bytes: 'T' and ' ' are ASCII, so the first
    // such byte is the first such char.)
    let text = match text.bytes().position(|b| b == b'T' || b == b' ') {
        Some(i) if i >= 8 => &text[..i],
        _ => text,
    };
    match numeric_fields(text.as_bytes()) {
        Some(fields) => from_fields(fields, order),
        None => parse_parts(text, order),
    }
}

fn is_separator(b: u8) -> bool {
    matches!(b, b'-' | b'/' | b'.')
}

/// Three fields of 1 to 4 ASCII digits between two of `-`, `/`, `.`: their values and
/// lengths, read without allocating (nearly every date cell). `None` for anything else,
/// which [`parse_parts`] reads (or refuses) as before.
fn numeric_fields(text: &[u8]) -> Option<[(u32, u8); 3]> {
    let mut fields = [(0u32, 0u8); 3];
    let mut field = 0;
    for &b in text {
        match b {
            b'0'..=b'9' => {
                let (value, len) = &mut fields[field];
                if *len == 4 {
                    return None;
                }
                *value = *value * 10 + u32::from(b - b'0');
                *len += 1;
            }
            _ if is_separator(b) && field < 2 && fields[field].1 > 0 => field += 1,
            _ => return None,
        }
    }
    (field == 2 && fields[2].1 > 0).then_some(fields)
}

/// [`parse_parts`] for fields [`numeric_fields`] read: the same rules, on the values.
fn from_fields([(a, a_len), (b, _), (c, c_len)]: [(u32, u8); 3], order: DateOrder) -> Option<Date> {
    if a_len == 4 {
        return ymd_values(a, b, c);
    }
    let year = match c_len {
        2 if c < 70 => 2000 + c,
        2 => 1900 + c,
        4 => c,
        _ => return None,
    };
    match order {
        DateOrder::Dmy => ymd_values(year, b, a),
        DateOrder::Mdy => ymd_values(year, a, b),
    }
}

/// [`ymd`] on values of at most 4 digits.
fn ymd_values(y: u32, m: u32, d: u32) -> Option<Date> {
    let month = Month::try_from(u8::try_from(m).ok()?).ok()?;
    let year = i32::try_from(y).ok()?;
    Date::from_calendar_date(year, month, u8::try_from(d).ok()?).ok()
}

/// The general reading of a date cell (trimmed, any time cut off), by splitting it.
fn parse_parts(text: &str, order: DateOrder) -> Option<Date> {
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

    /// `parse` as it was before its allocation-free path: the reference.
    fn parse_reference(text: &str, order: DateOrder) -> Option<Date> {
        let text = text.trim();
        let text = match text.find(['T', ' ']) {
            Some(i) if i >= 8 => &text[..i],
            _ => text,
        };
        // The general reading, which the fast path must agree with.
        parse_parts(text, order)
    }

    #[test]
    fn the_fast_path_agrees_with_the_reference() {
        // Deterministic random strings, mostly digits and separators so that many are
        // dates, some with times, signs, spaces and other characters.
        const ALPHABET: &[&str] = &[
            "-", "/", ".", "T", " ", "+", "a", "\u{a0}", "Z", ":", "00", "0", "1", "2", "3", "9",
            "12", "31", "29", "2024", "1999", "0000", "99999",
        ];
        let mut next = crate::xorshift(0x2545_f491_4f6c_dd1d);
        let mut texts: Vec<String> = vec![
            "2025-04-03".into(),
            "03/04/2025".into(),
            "2025-04-03T10:00:00Z".into(),
            "1/2/+5".into(),
            "01/02/-5".into(),
            " 29.02.24 ".into(),
            "2023-02-29".into(),
            "0000-01-01".into(),
            "9999-12-31".into(),
        ];
        const FIELDS: &[&str] = &[
            "1", "01", "2", "02", "12", "13", "28", "29", "30", "31", "00", "0", "69", "70", "99",
            "2024", "2025", "1999", "0000", "9999", "99999", "255", "256", "0031", "012",
        ];
        for _ in 0..300_000 {
            let parts = 4 + (next() % 3) as usize;
            let mut text = String::new();
            for i in 0..parts {
                let token = if next() % 10 == 0 {
                    ALPHABET[(next() % ALPHABET.len() as u64) as usize]
                } else if i % 2 == 1 {
                    ["-", "/", "."][(next() % 3) as usize]
                } else {
                    FIELDS[(next() % FIELDS.len() as u64) as usize]
                };
                text.push_str(token);
            }
            texts.push(text);
        }
        let mut dates = 0;
        for text in &texts {
            for order in [DateOrder::Dmy, DateOrder::Mdy] {
                let fast = parse(text, order);
                assert_eq!(fast, parse_reference(text, order), "{text:?} {order:?}");
                dates += usize::from(fast.is_some());
            }
        }
        assert!(dates > 10_000, "{dates}");
    }

    #[test]
    fn ages() {
        assert_eq!(age_days(d(2025, 1, 1), d(2025, 1, 31)), 30);
        assert_eq!(age_days(d(2025, 2, 1), d(2025, 1, 31)), -1);
    }
}
