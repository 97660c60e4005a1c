//! # phonescrub
//!
//! Scrub phone-number contact lists on your own machine: normalise every number to
//! E.164 and validate it, drop the columns you do not need, remove (or flag) rows without
//! consent, on an opt-out list, past retention or duplicated, and get back the cleaned
//! list, the removed rows with their line and reasons, and a report whose counts add up.
//!
//! The same engine runs in a browser tab (WebAssembly, see `src/wasm.rs` and `www/`) and
//! as the `phonescrub` command-line tool.
//!
//! ```
//! use phonescrub::{scrub_bytes, Policy};
//!
//! let policy = Policy::from_json(r#"{
//!     "phoneColumn": "Phone",
//!     "defaultRegion": "GB",
//!     "consent": { "column": "Opt-in" },
//!     "output": { "formulaSafe": false }
//! }"#)?;
//! let list = "Name,Phone,Opt-in\nAnn,0121 294 1091,yes\nBob,+44 121 294 1091,yes\nCy,07700 900123,no\n";
//! let today = phonescrub::parse_date("2025-06-30").unwrap();
//! let out = scrub_bytes(policy, today, list.as_bytes(), &[])?;
//!
//! assert_eq!(String::from_utf8(out.cleaned).unwrap(), "Name,Phone,Opt-in\nAnn,+441212941091,yes\n");
//! assert_eq!(out.report.rows_read, 3);
//! assert_eq!(out.report.reasons["duplicate"], 1);
//! assert_eq!(out.report.reasons["no_consent"], 1);
//! # Ok::<(), phonescrub::Error>(())
//! ```
#![deny(missing_docs)]

mod error;
mod input;
mod output;
pub mod parallel;
pub mod phone;
mod policy;
mod profile;
pub mod protect;
mod records;
mod report;
pub mod rules;
mod scrub;
pub mod sheet;
pub mod warm;

#[cfg(target_arch = "wasm32")]
pub mod wasm;

pub use error::{Error, ErrorKind, Result};
pub use input::{open, open_sheet, Sniffed, Source};
pub use output::neutralise;
pub use policy::{
    ColumnRef, ConsentRule, DateOrder, InvalidNumbers, Mode, OutputFormat, OutputOptions,
    PhoneFormat, Policy, RetentionRule, DEFAULT_GRANTED,
};
pub use profile::{profile, profile_sheet, ColumnProfile, Profile, Role, DEFAULT_SAMPLE_ROWS};
pub use records::{Record, Records};
pub use report::Report;
pub use rules::Reason;
pub use scrub::{scrub_bytes, Phase, Progress, ScrubOutput, Scrubber};
pub use sheet::{SheetFormat, MAX_SHEET_BYTES};

/// The engine version written into every report.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// Reads a `YYYY-MM-DD` date (as the policy's `today` takes it).
pub fn parse_date(text: &str) -> Option<time::Date> {
    rules::dates::parse_iso(text)
}

pub use time::Date;

/// A deterministic xorshift generator for the unit tests' generated inputs, so a failure
/// reproduces.
#[cfg(test)]
pub(crate) fn xorshift(mut state: u64) -> impl FnMut() -> u64 {
    move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    }
}
