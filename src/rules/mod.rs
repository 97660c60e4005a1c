//! The rules, one file each, and the reason codes they give.

pub mod consent;
pub mod dates;
pub mod dedupe;
pub mod retention;
pub mod suppression;

use serde::Serialize;

/// Why a row was removed (or flagged). The codes are part of the product's contract.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Reason {
    /// The row has more or fewer fields than the header.
    MalformedRow,
    /// The phone cell is empty or holds no digit.
    MissingNumber,
    /// The phone cell does not hold a valid number.
    InvalidNumber,
    /// The phone cell is a number a spreadsheet wrote in scientific notation with digits
    /// lost to its precision (`1.20155501E+10`): fix the source, the number cannot be
    /// recovered.
    MangledNumber,
    /// The consent cell is not one of the values meaning yes.
    NoConsent,
    /// Consent is older than the policy allows, or its date cannot be read.
    ConsentExpired,
    /// The number is on an opt-out list, or another row with it has no consent.
    OptedOut,
    /// The last contact is older than the policy allows, or its date cannot be read.
    RetentionExpired,
    /// The same number as an earlier kept row.
    Duplicate,
}

impl Reason {
    /// Every reason, in report order.
    pub const ALL: [Reason; 9] = [
        Reason::MalformedRow,
        Reason::MissingNumber,
        Reason::InvalidNumber,
        Reason::MangledNumber,
        Reason::NoConsent,
        Reason::ConsentExpired,
        Reason::OptedOut,
        Reason::RetentionExpired,
        Reason::Duplicate,
    ];

    /// The code written to the outputs, e.g. `no_consent`.
    pub fn code(self) -> &'static str {
        match self {
            Reason::MalformedRow => "malformed_row",
            Reason::MissingNumber => "missing_number",
            Reason::InvalidNumber => "invalid_number",
            Reason::MangledNumber => "mangled_number",
            Reason::NoConsent => "no_consent",
            Reason::ConsentExpired => "consent_expired",
            Reason::OptedOut => "opted_out",
            Reason::RetentionExpired => "retention_expired",
            Reason::Duplicate => "duplicate",
        }
    }

    fn bit(self) -> u16 {
        1 << (self as u16)
    }
}

/// The set of reasons that apply to one row.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Reasons(u16);

impl Reasons {
    /// Adds a reason.
    pub fn insert(&mut self, reason: Reason) {
        self.0 |= reason.bit();
    }

    /// True when the reason applies.
    pub fn contains(self, reason: Reason) -> bool {
        self.0 & reason.bit() != 0
    }

    /// True when no reason applies.
    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// The reasons that apply, in report order.
    pub fn iter(self) -> impl Iterator<Item = Reason> {
        Reason::ALL.into_iter().filter(move |r| self.contains(*r))
    }

    /// The set as bits (for sending between workers).
    pub fn bits(self) -> u16 {
        self.0
    }

    /// The set [`Reasons::bits`] gave.
    pub fn from_bits(bits: u16) -> Reasons {
        Reasons(bits)
    }

    /// The codes joined with `;`, as written in the `reasons` column.
    pub fn joined(self) -> String {
        self.iter().map(Reason::code).collect::<Vec<_>>().join(";")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reasons_join_in_report_order_whatever_the_insert_order() {
        let mut r = Reasons::default();
        assert!(r.is_empty());
        r.insert(Reason::Duplicate);
        r.insert(Reason::NoConsent);
        r.insert(Reason::NoConsent);
        assert_eq!(r.joined(), "no_consent;duplicate");
        assert!(r.contains(Reason::Duplicate));
        assert!(!r.contains(Reason::OptedOut));
    }

    #[test]
    fn serde_codes_match_written_codes() {
        for r in Reason::ALL {
            assert_eq!(
                serde_json::to_string(&r).unwrap(),
                format!("\"{}\"", r.code())
            );
        }
    }
}
