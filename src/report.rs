//! The report: counts per reason, what was read, the policy used. Its counts add up.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::policy::Policy;
use crate::rules::consent::ConsentValue;
use crate::rules::suppression::OptOutList;
use crate::rules::Reason;

/// Everything a scrub did, for the user and for the audit trail.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Report {
    /// The engine's version (the crate version).
    pub engine_version: &'static str,
    /// Data rows read (the header is not counted).
    pub rows_read: u64,
    /// Rows in the cleaned output. `rowsKept + rowsRemoved == rowsRead`, always.
    pub rows_kept: u64,
    /// Rows in the removed output.
    pub rows_removed: u64,
    /// In flag mode: kept rows that carry at least one reason.
    pub rows_flagged: u64,
    /// Rows kept with a missing or invalid number because `invalidNumbers` is "keep".
    pub invalid_kept: u64,
    /// For each reason code, the rows it applies to (a row may have several).
    pub reasons: BTreeMap<&'static str, u64>,
    /// Distinct numbers in the cleaned output.
    pub distinct_numbers: u64,
    /// The input's encoding.
    pub encoding: String,
    /// The input's delimiter, as a character.
    pub delimiter: String,
    /// "csv" for delimited text, else the spreadsheet format read ("xlsx", "xls", "ods").
    pub format: String,
    /// The sheet read, for a spreadsheet (null for text).
    pub sheet: Option<String>,
    /// The input's header row.
    pub columns: Vec<String>,
    /// The columns written to the outputs.
    pub columns_kept: Vec<String>,
    /// The columns left out (data minimisation).
    pub columns_dropped: Vec<String>,
    /// Size of the input in bytes.
    pub input_bytes: u64,
    /// Lowercase hex SHA-256 of the input file's bytes.
    pub input_sha256: String,
    /// Each distinct consent value and how it was read (when consent is checked).
    pub consent_values: Vec<ConsentValue>,
    /// Rows whose consent value was not listed (more distinct values than the report lists).
    pub consent_other_values_rows: u64,
    /// The opt-out lists read.
    pub opt_out_lists: Vec<OptOutList>,
    /// The date ages were measured against.
    pub today: String,
    /// The policy used, with every default filled in.
    pub policy: Policy,
    /// Wall time of the scrub in milliseconds, measured by the caller (CLI or worker).
    pub elapsed_ms: f64,
}

impl Report {
    pub(crate) fn reason_counts() -> BTreeMap<&'static str, u64> {
        Reason::ALL.iter().map(|r| (r.code(), 0)).collect()
    }

    /// Pretty JSON.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("the report is plain data")
    }
}
