//! First rows -> what each column probably is, so the page can preselect the columns a
//! scrub needs and untick the rest (data minimisation).

use std::collections::HashMap;
use std::io::Read;

use serde::Serialize;

use crate::error::Result;
use crate::input;
use crate::phone::{self, Verdict};
use crate::policy::DateOrder;
use crate::records::Record;
use crate::rules::dates;

/// Rows read by default to guess the roles.
pub const DEFAULT_SAMPLE_ROWS: usize = 1000;

/// What a column probably holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Phone numbers.
    Phone,
    /// A consent / opt-in flag.
    Consent,
    /// When consent was given.
    ConsentDate,
    /// The last contact or activity date.
    LastContact,
    /// Some other date.
    Date,
    /// Email addresses.
    Email,
    /// A person's name.
    Name,
    /// A country or region.
    Country,
    /// Free text (notes, comments).
    FreeText,
    /// Anything else.
    Other,
}

impl Role {
    /// Whether the page should keep the column by default, and the one-line reason.
    pub fn keep_by_default(self) -> (bool, &'static str) {
        match self {
            Role::Phone => (true, "the numbers to scrub"),
            Role::Consent => (true, "proof of consent; needed for the consent rule"),
            Role::ConsentDate => (true, "when consent was given; needed for consent expiry"),
            Role::LastContact => (true, "needed for the retention rule"),
            Role::Country => (true, "reads numbers written without +country code"),
            Role::Name => (true, "to address the person you contact"),
            Role::Email => (
                false,
                "not needed to call or text: leave it out (data minimisation)",
            ),
            Role::Date => (false, "a date the scrub does not use"),
            Role::FreeText => (false, "free text often holds personal details nobody needs"),
            Role::Other => (
                false,
                "not needed for the scrub: leave it out unless you use it",
            ),
        }
    }
}

/// One column of the profile.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ColumnProfile {
    /// 0-based position.
    pub index: usize,
    /// Header name.
    pub name: String,
    /// The guessed role.
    pub role: Role,
    /// Whether to keep it by default.
    pub keep: bool,
    /// Why (one line, for the page).
    pub why: &'static str,
    /// Up to five non-empty sample values.
    pub samples: Vec<String>,
    /// Non-empty cells among the sampled rows.
    pub filled: u64,
    /// The distinct values with their counts when there are at most 20 (a flag column).
    pub values: Vec<(String, u64)>,
}

/// What the start of a list looks like.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Profile {
    /// The detected encoding.
    pub encoding: String,
    /// The detected delimiter.
    pub delimiter: String,
    /// "csv" for delimited text, else the spreadsheet format ("xlsx", "xls", "ods").
    pub format: String,
    /// The sheet profiled, for a spreadsheet (null for text).
    pub sheet: Option<String>,
    /// Every worksheet of a spreadsheet, in workbook order, to choose from (empty for text).
    pub sheets: Vec<String>,
    /// Every column with its guessed role.
    pub columns: Vec<ColumnProfile>,
    /// Data rows looked at.
    pub rows_sampled: u64,
    /// True when the whole file was read (then `estimatedRows` is exact).
    pub complete: bool,
    /// Rows in the whole file: exact when `complete`, otherwise estimated from its size.
    pub estimated_rows: Option<u64>,
    /// The index of the column most likely to hold phone numbers.
    pub phone_column: Option<usize>,
}

const MAX_DISTINCT_LISTED: usize = 20;

/// Profiles the first `sample_rows` rows. `total_bytes` (the file size) lets it estimate
/// the row count; `default_region` helps recognise national-format numbers.
pub fn profile<R: Read>(
    input: R,
    sample_rows: usize,
    default_region: Option<&str>,
    total_bytes: Option<u64>,
) -> Result<Profile> {
    profile_sheet(input, sample_rows, default_region, total_bytes, None)
}

/// [`profile`] of the named sheet when the input is a spreadsheet (the first worksheet
/// when `sheet` is `None`). The profile lists the workbook's sheets to choose from, and
/// a sheet's row count is exact.
pub fn profile_sheet<R: Read>(
    input: R,
    sample_rows: usize,
    default_region: Option<&str>,
    total_bytes: Option<u64>,
    sheet: Option<&str>,
) -> Result<Profile> {
    let mut source = input::open_sheet(input, None, true, sheet)?;
    let header = source.reader.byte_headers()?;
    input::check_header(header)?;
    let headers: Vec<String> = header
        .iter()
        .map(|h| String::from_utf8_lossy(h).trim().to_string())
        .collect();
    let mut cells: Vec<Vec<String>> = vec![Vec::new(); headers.len()];
    let mut record = Record::new();
    let mut rows = 0u64;
    let mut complete = true;
    while source.reader.read_byte_record(&mut record)? {
        rows += 1;
        input::check_record(&record, source.line_of(&record))?;
        for (i, cell) in record.iter().enumerate().take(headers.len()) {
            cells[i].push(String::from_utf8_lossy(cell).trim().to_string());
        }
        if rows as usize >= sample_rows {
            complete = !source.reader.read_byte_record(&mut record)?;
            break;
        }
    }
    let consumed = source.reader.position().byte().max(1);
    let estimated_rows = if complete {
        Some(rows)
    } else if let Some(exact) = source.sheet_data_rows() {
        Some(exact)
    } else {
        total_bytes.map(|total| (total as f64 * rows as f64 / consumed as f64).round() as u64)
    };
    let region = default_region.and_then(phone::region_id);
    let order = match default_region {
        Some(r) if r.eq_ignore_ascii_case("US") => DateOrder::Mdy,
        _ => DateOrder::Dmy,
    };
    let mut columns: Vec<ColumnProfile> = headers
        .iter()
        .zip(&cells)
        .enumerate()
        .map(|(index, (name, values))| {
            let stats = Stats::of(values, region, order);
            let role = guess_role(name, &stats);
            let (keep, why) = role.keep_by_default();
            ColumnProfile {
                index,
                name: name.clone(),
                role,
                keep,
                why,
                samples: values
                    .iter()
                    .filter(|v| !v.is_empty())
                    .take(5)
                    .cloned()
                    .collect(),
                filled: stats.filled as u64,
                values: stats.distinct,
            }
        })
        .collect();
    // One phone column: the one whose cells most often are valid numbers.
    let phone_column = columns
        .iter()
        .filter(|c| c.role == Role::Phone)
        .max_by_key(|c| {
            let stats = Stats::of(&cells[c.index], region, order);
            (stats.phones, usize::MAX - c.index)
        })
        .map(|c| c.index);
    for c in &mut columns {
        if c.role == Role::Phone && Some(c.index) != phone_column {
            c.role = Role::Other;
            (c.keep, c.why) = (true, "another number column: keep it if you use it");
        }
    }
    Ok(Profile {
        encoding: source.sniffed.encoding.to_string(),
        delimiter: char::from(source.sniffed.delimiter).to_string(),
        format: source.sniffed.format.to_string(),
        sheet: source.sniffed.sheet.clone(),
        sheets: source.sniffed.sheets.clone(),
        columns,
        rows_sampled: rows,
        complete,
        estimated_rows,
        phone_column,
    })
}

struct Stats {
    filled: usize,
    phones: usize,
    emails: usize,
    dates: usize,
    countries: usize,
    yes_no: usize,
    avg_len: usize,
    distinct: Vec<(String, u64)>,
}

impl Stats {
    /// Content checks look at up to 200 non-empty cells.
    fn of(values: &[String], region: Option<phonenumber::country::Id>, order: DateOrder) -> Stats {
        let filled: Vec<&String> = values.iter().filter(|v| !v.is_empty()).collect();
        let look: Vec<&&String> = filled.iter().take(200).collect();
        let count = |f: &dyn Fn(&str) -> bool| look.iter().filter(|v| f(v)).count();
        let mut distinct: HashMap<&str, u64> = HashMap::new();
        for v in values {
            if distinct.len() > MAX_DISTINCT_LISTED && !distinct.contains_key(v.as_str()) {
                break;
            }
            *distinct.entry(v.as_str()).or_default() += 1;
        }
        let distinct = if distinct.len() <= MAX_DISTINCT_LISTED {
            let mut d: Vec<(String, u64)> = distinct
                .into_iter()
                .map(|(k, v)| (k.to_string(), v))
                .collect();
            d.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
            d
        } else {
            Vec::new()
        };
        Stats {
            filled: filled.len(),
            phones: count(&|v| matches!(phone::normalise(v, region), Verdict::Valid(_))),
            emails: count(&|v| is_email(v)),
            dates: count(&|v| dates::parse(v, order).is_some()),
            countries: count(&|v| {
                !v.bytes().any(|b| b.is_ascii_digit()) && phone::region_from_cell(v).is_some()
            }),
            yes_no: count(&|v| YES_NO.contains(&v.to_lowercase().as_str())),
            avg_len: look.iter().map(|v| v.chars().count()).sum::<usize>() / look.len().max(1),
            distinct,
        }
    }

    fn share(&self, n: usize) -> f64 {
        n as f64 / self.filled.clamp(1, 200) as f64
    }
}

const YES_NO: &[&str] = &[
    "yes",
    "no",
    "y",
    "n",
    "true",
    "false",
    "1",
    "0",
    "opt-in",
    "opt-out",
    "opted in",
    "opted out",
    "subscribed",
    "unsubscribed",
    "granted",
    "denied",
    "x",
];

fn is_email(v: &str) -> bool {
    let Some((user, domain)) = v.split_once('@') else {
        return false;
    };
    !user.is_empty() && domain.contains('.') && !v.contains(' ')
}

fn guess_role(name: &str, stats: &Stats) -> Role {
    let h = name.to_lowercase();
    let has = |words: &[&str]| words.iter().any(|w| h.contains(w));
    let dates = stats.share(stats.dates) >= 0.6;
    let consentish = has(&[
        "consent",
        "opt",
        "subscri",
        "gdpr",
        "permission",
        "marketing",
        "agree",
        "dnc",
        "sms ok",
        "tcpa",
    ]);
    if stats.filled > 0 && stats.share(stats.emails) >= 0.6 {
        return Role::Email;
    }
    if consentish && (dates || has(&["date", "time", "when", "_at", " at", " on"])) {
        return Role::ConsentDate;
    }
    if dates
        && has(&[
            "last",
            "contact",
            "activity",
            "updated",
            "modified",
            "seen",
            "interaction",
            "purchase",
        ])
    {
        return Role::LastContact;
    }
    if consentish
        || (stats.filled > 0 && stats.share(stats.yes_no) >= 0.8 && !stats.distinct.is_empty())
    {
        return Role::Consent;
    }
    if dates {
        return Role::Date;
    }
    if has(&[
        "phone",
        "tel",
        "mobile",
        "cell",
        "msisdn",
        "handy",
        "whatsapp",
        "sms",
        "fon",
        "contact number",
    ]) || (stats.filled > 0 && stats.share(stats.phones) >= 0.6)
    {
        return Role::Phone;
    }
    if has(&["country", "region", "nation", "land", "pays"])
        || (stats.filled > 0 && stats.share(stats.countries) >= 0.8)
    {
        return Role::Country;
    }
    if has(&[
        "name", "first", "last", "surname", "given", "vorname", "nom",
    ]) {
        return Role::Name;
    }
    if has(&["note", "comment", "remark", "description", "memo"]) || stats.avg_len > 40 {
        return Role::FreeText;
    }
    Role::Other
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_of_a_typical_crm_export() {
        let csv = "Full Name,Email,Mobile,Country,SMS Opt-In,Opt-in Date,Last Activity,Notes,Customer ID\n\
            Ann,ann@x.org,07700 900123,GB,Yes,2024-01-02,2025-03-04,likes cats and asked about the spring offer at length,1001\n\
            Bob,bob@y.org,+1 201 555 0123,US,No,2024-02-03,2025-04-05,,1002\n";
        let p = profile(csv.as_bytes(), 100, Some("GB"), None).unwrap();
        let roles: Vec<Role> = p.columns.iter().map(|c| c.role).collect();
        assert_eq!(
            roles,
            [
                Role::Name,
                Role::Email,
                Role::Phone,
                Role::Country,
                Role::Consent,
                Role::ConsentDate,
                Role::LastContact,
                Role::FreeText,
                Role::Other
            ]
        );
        assert_eq!(p.phone_column, Some(2));
        assert!(p.complete);
        assert_eq!(p.estimated_rows, Some(2));
        assert!(!p.columns[1].keep, "email is not needed");
        assert_eq!(
            p.columns[4].values,
            vec![("No".to_string(), 1), ("Yes".to_string(), 1)]
        );
    }

    #[test]
    fn phone_column_found_by_content_alone() {
        let csv = "a,b\nx,+44 121 294 1091\ny,+44 121 294 1092\n";
        let p = profile(csv.as_bytes(), 100, None, None).unwrap();
        assert_eq!(p.phone_column, Some(1));
    }

    #[test]
    fn estimates_rows_from_size_when_sampling() {
        let mut csv = String::from("phone\n");
        for i in 0..1000 {
            csv.push_str(&format!("+4412129{:05}\n", i));
        }
        let p = profile(csv.as_bytes(), 100, None, Some(csv.len() as u64)).unwrap();
        assert!(!p.complete);
        let est = p.estimated_rows.unwrap();
        assert!((900..=1100).contains(&est), "{est}");
    }
}
