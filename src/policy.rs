//! The policy: one serde shape (JSON, camelCase) shared by the page, the JS API and the CLI.

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// A column, by header name (trimmed, case-insensitive) or by 0-based index.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum ColumnRef {
    /// 0-based position in the header row.
    Index(usize),
    /// Header name, matched after trimming and ignoring case.
    Name(String),
}

impl ColumnRef {
    /// Finds this column in `headers`; the first match wins when names repeat.
    pub fn resolve(&self, headers: &[String]) -> Result<usize> {
        match self {
            ColumnRef::Index(i) if *i < headers.len() => Ok(*i),
            ColumnRef::Index(i) => Err(Error::policy(format!(
                "column index {i} is past the last column (the file has {} columns)",
                headers.len()
            ))),
            ColumnRef::Name(name) => {
                let wanted = name.trim();
                headers
                    .iter()
                    .position(|h| h.trim().eq_ignore_ascii_case(wanted))
                    .or_else(|| {
                        let lower = wanted.to_lowercase();
                        headers
                            .iter()
                            .position(|h| h.trim().to_lowercase() == lower)
                    })
                    .ok_or_else(|| {
                        Error::policy(format!(
                            "no column named {name:?}; the columns are: {}",
                            headers.join(", ")
                        ))
                    })
            }
        }
    }
}

/// How the scrub treats a list: every field a user can set.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Policy {
    /// The column holding the phone number. Required.
    pub phone_column: ColumnRef,
    /// ISO 3166 alpha-2 region for numbers written in national format, e.g. "GB".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_region: Option<String>,
    /// A column holding each row's country (ISO code or English name); overrides
    /// `defaultRegion` for that row when it can be read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region_column: Option<ColumnRef>,
    /// Columns to keep in the outputs (data minimisation); absent keeps all.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub keep_columns: Option<Vec<ColumnRef>>,
    /// The consent rule, if the list records consent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub consent: Option<ConsentRule>,
    /// The retention rule, if the list records a last-contact date.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retention: Option<RetentionRule>,
    /// How to read slashed dates such as 03/04/2025. Absent: "mdy" when the default
    /// region is US, "dmy" otherwise. ISO 8601 (2025-04-03) is always understood.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date_order: Option<DateOrder>,
    /// The date to measure ages against, "YYYY-MM-DD"; absent means today.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub today: Option<String>,
    /// Remove rows whose number already appeared in an earlier kept row.
    #[serde(default = "yes")]
    pub dedupe: bool,
    /// What to do with rows whose number is missing or not valid.
    #[serde(default)]
    pub invalid_numbers: InvalidNumbers,
    /// Remove rows (default) or keep them all and flag them.
    #[serde(default)]
    pub mode: Mode,
    /// The delimiter, when sniffing should not decide: one of `,` `;` tab `|`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delimiter: Option<char>,
    /// How the outputs are written.
    #[serde(default)]
    pub output: OutputOptions,
}

fn yes() -> bool {
    true
}

/// Consent: which column, which values mean yes, and how old consent may be.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ConsentRule {
    /// The column holding the consent value.
    pub column: ColumnRef,
    /// Values meaning yes, compared ignoring case and spaces. Absent: [`DEFAULT_GRANTED`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub granted: Option<Vec<String>>,
    /// The column holding the date consent was given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date_column: Option<ColumnRef>,
    /// Consent older than this many days (before `today`) has expired.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_age_days: Option<u32>,
}

/// Consent values understood as "yes" when the policy names none.
pub const DEFAULT_GRANTED: &[&str] = &[
    "yes",
    "y",
    "true",
    "t",
    "1",
    "x",
    "opt-in",
    "optin",
    "opt in",
    "opted in",
    "opted-in",
    "granted",
    "consent",
    "consented",
    "subscribed",
    "agreed",
    "accepted",
    "ja",
    "oui",
    "si",
    "sí",
];

/// Retention: the column holding the last-contact date and the maximum age.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RetentionRule {
    /// The column holding the last-contact date.
    pub column: ColumnRef,
    /// Rows last in contact more than this many days before `today` are removed.
    pub max_age_days: u32,
}

/// Order of day and month in slashed dates.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DateOrder {
    /// 31/12/2025
    Dmy,
    /// 12/31/2025
    Mdy,
}

/// What happens to rows with a missing or invalid number.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum InvalidNumbers {
    /// Remove them, with reason `missing_number` or `invalid_number`.
    #[default]
    Remove,
    /// Keep them, phone cell as it was; the report counts them.
    Keep,
}

/// Remove rows, or keep every row and flag it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    /// Rows with a reason go to the removed output.
    #[default]
    Remove,
    /// Every row stays in the cleaned output, with a `scrub_status` column.
    Flag,
}

/// How the phone column is written in the cleaned output.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PhoneFormat {
    /// +441212941091
    #[default]
    E164,
    /// +44 121 294 1091
    International,
    /// 0121 294 1091
    National,
    /// The cell exactly as it was in the input.
    Original,
}

/// Output options.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct OutputOptions {
    /// How to write the phone column.
    #[serde(default)]
    pub phone_format: PhoneFormat,
    /// Neutralise cells that a spreadsheet would run as a formula (OWASP CSV injection).
    #[serde(default = "yes")]
    pub formula_safe: bool,
    /// Start the outputs with a UTF-8 byte-order mark, so Excel reads them as UTF-8.
    #[serde(default)]
    pub bom: bool,
    /// Hash the numbers of the cleaned list for an ad platform or a partner.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hash: Option<crate::protect::HashOptions>,
    /// The file format of the cleaned and removed outputs.
    #[serde(default)]
    pub format: OutputFormat,
}

/// The file format of the cleaned and removed outputs.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum OutputFormat {
    /// Comma-separated text (UTF-8), streamed.
    #[default]
    Csv,
    /// An Excel workbook with one sheet, every cell stored as text (so Excel keeps the
    /// `+` and leading zeros of numbers). `formulaSafe` and `bom` do not apply: a text
    /// cell is never run as a formula.
    Xlsx,
}

impl Default for OutputOptions {
    fn default() -> Self {
        OutputOptions {
            phone_format: PhoneFormat::E164,
            formula_safe: true,
            bom: false,
            hash: None,
            format: OutputFormat::Csv,
        }
    }
}

impl Policy {
    /// Reads a policy from JSON, with errors that name the offending field.
    pub fn from_json(text: &str) -> Result<Policy> {
        let policy: Policy =
            serde_json::from_str(text).map_err(|e| Error::policy(format!("{e}")))?;
        policy.check()?;
        Ok(policy)
    }

    /// A policy with only the phone column set and every default.
    pub fn for_phone_column(column: ColumnRef) -> Policy {
        Policy {
            phone_column: column,
            default_region: None,
            region_column: None,
            keep_columns: None,
            consent: None,
            retention: None,
            date_order: None,
            today: None,
            dedupe: true,
            invalid_numbers: InvalidNumbers::Remove,
            mode: Mode::Remove,
            delimiter: None,
            output: OutputOptions::default(),
        }
    }

    /// Checks the values that serde cannot (region codes, dates, delimiter).
    pub fn check(&self) -> Result<()> {
        if let Some(region) = &self.default_region {
            crate::phone::region_id(region).ok_or_else(|| {
                Error::policy(format!(
                    "defaultRegion {region:?} is not a region code with phone metadata (use ISO 3166 alpha-2, e.g. \"GB\")"
                ))
            })?;
        }
        if let Some(today) = &self.today {
            crate::rules::dates::parse_iso(today).ok_or_else(|| {
                Error::policy(format!(
                    "today {today:?} is not a date of the form YYYY-MM-DD"
                ))
            })?;
        }
        if let Some(d) = self.delimiter {
            if !matches!(d, ',' | ';' | '\t' | '|') {
                return Err(Error::policy(format!(
                    "delimiter {d:?} is not one of , ; tab |"
                )));
            }
        }
        if let Some(consent) = &self.consent {
            if consent.granted.as_ref().is_some_and(|g| g.is_empty()) {
                return Err(Error::policy(
                    "consent.granted is empty, so no row could ever have consent",
                ));
            }
            if consent.max_age_days.is_some() && consent.date_column.is_none() {
                return Err(Error::policy(
                    "consent.maxAgeDays needs consent.dateColumn to measure the age from",
                ));
            }
        }
        Ok(())
    }

    /// The date order in force: the policy's, or the default region's custom.
    pub fn effective_date_order(&self) -> DateOrder {
        match (self.date_order, self.default_region.as_deref()) {
            (Some(order), _) => order,
            (None, Some(r)) if r.eq_ignore_ascii_case("US") => DateOrder::Mdy,
            _ => DateOrder::Dmy,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(names: &[&str]) -> Vec<String> {
        names.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn minimal_policy_gets_the_defaults() {
        let p = Policy::from_json(r#"{"phoneColumn":"Phone"}"#).unwrap();
        assert!(p.dedupe);
        assert!(p.output.formula_safe);
        assert_eq!(p.mode, Mode::Remove);
        assert_eq!(p.output.phone_format, PhoneFormat::E164);
        assert_eq!(p, Policy::for_phone_column(ColumnRef::Name("Phone".into())));
    }

    #[test]
    fn unknown_fields_are_errors_not_ignored() {
        let err = Policy::from_json(r#"{"phoneColumn":"Phone","dedup":false}"#).unwrap_err();
        assert!(err.is_policy());
        assert!(err.to_string().contains("dedup"), "{err}");
    }

    #[test]
    fn bad_region_and_date_are_errors() {
        assert!(Policy::from_json(r#"{"phoneColumn":0,"defaultRegion":"XX"}"#).is_err());
        assert!(Policy::from_json(r#"{"phoneColumn":0,"today":"31/12/2025"}"#).is_err());
        assert!(Policy::from_json(r#"{"phoneColumn":0,"delimiter":":"}"#).is_err());
    }

    #[test]
    fn columns_resolve_by_name_ignoring_case_or_by_index() {
        let h = headers(&["Name", " Phone ", "Email"]);
        assert_eq!(ColumnRef::Name("phone".into()).resolve(&h).unwrap(), 1);
        assert_eq!(ColumnRef::Index(2).resolve(&h).unwrap(), 2);
        assert!(ColumnRef::Index(3).resolve(&h).is_err());
        let err = ColumnRef::Name("mobile".into()).resolve(&h).unwrap_err();
        assert!(err.to_string().contains("Name,  Phone , Email"), "{err}");
    }

    #[test]
    fn date_order_follows_the_region_unless_set() {
        let mut p = Policy::for_phone_column(ColumnRef::Index(0));
        assert_eq!(p.effective_date_order(), DateOrder::Dmy);
        p.default_region = Some("US".into());
        assert_eq!(p.effective_date_order(), DateOrder::Mdy);
        p.date_order = Some(DateOrder::Dmy);
        assert_eq!(p.effective_date_order(), DateOrder::Dmy);
    }
}
