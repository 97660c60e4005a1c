// Copyright (C) 2017 1aim GmbH
//
// Licensed under the Apache License, Version 2.0 (the "License");
// you may not use this file except in compliance with the License.
// You may obtain a copy of the License at
//
// http://www.apache.org/licenses/LICENSE-2.0
//
// Unless required by applicable law or agreed to in writing, software
// distributed under the License is distributed on an "AS IS" BASIS,
// WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
// See the License for the specific language governing permissions and
// limitations under the License.

use crate::consts;
use crate::country;
use crate::metadata::{Database, Metadata, DATABASE};
use crate::parser;
use crate::parser::helper::Number as ParseNumber;
use crate::phone_number::{PhoneNumber, Type};
use either::*;

/// Possible outcomes when testing if a `PhoneNumber` is possible.
#[derive(Copy, Clone, Eq, PartialEq, Debug)]
pub enum Validation {
    /// The number length matches that of valid numbers for this region.
    IsPossible,

    /// The number length matches that of local numbers for this region only
    /// (i.e. numbers that may be able to be dialled within an area, but do not
    /// have all the information to be dialled from anywhere inside or outside
    /// the country).
    IsPossibleLocalOnly,

    /// The number has an invalid country calling code.
    InvalidCountryCode,

    /// The number is shorter than all valid numbers for this region.
    TooShort,

    /// The number is longer than the shortest valid numbers for this region,
    /// shorter than the longest valid numbers for this region, and does not
    /// itself have a number length that matches valid numbers for this region.
    InvalidLength,

    /// The number is longer than all valid numbers for this region.
    TooLong,
}

impl Validation {
    /// Whether it's a possible number.
    pub fn is_possible(&self) -> bool {
        matches!(
            *self,
            Validation::IsPossible | Validation::IsPossibleLocalOnly
        )
    }

    /// Whether it's an invalid number.
    pub fn is_invalid(&self) -> bool {
        matches!(
            *self,
            Validation::InvalidCountryCode
                | Validation::TooShort
                | Validation::InvalidLength
                | Validation::TooLong
        )
    }

    /// Whether the length is invalid.
    pub fn is_invalid_length(&self) -> bool {
        matches!(
            *self,
            Validation::TooShort | Validation::InvalidLength | Validation::TooLong
        )
    }
}

/// Check if the provided string is a viable phone number.
pub fn is_viable<S: AsRef<str>>(string: S) -> bool {
    let string = string.as_ref();

    if string.len() < consts::MIN_LENGTH_FOR_NSN {
        return false;
    }

    // PATCH(phonescrub): a hand-written scanner for the same grammar (see `valid::viable`).
    parser::valid::viable(string)
}

/// PATCH(phonescrub): `is_viable` with the crate's nom grammar, the reference the fast
/// scanner is tested against.
pub fn is_viable_reference(string: &str) -> bool {
    string.len() >= consts::MIN_LENGTH_FOR_NSN && parser::valid::phone_number(string).is_ok()
}

/// Check if the phone number is valid.
pub fn is_valid(number: &PhoneNumber) -> bool {
    is_valid_with(&DATABASE, number)
}

/// Check if the phone number is valid with the given `Database`.
pub fn is_valid_with(database: &Database, number: &PhoneNumber) -> bool {
    let code = number.country().code();
    // PATCH(phonescrub): the digits written here, not through `fmt` into a new `String`.
    let mut digits = [0u8; NATIONAL_DIGITS_MAX];
    let national = match national_digits(&number.national, &mut digits) {
        Some(national) => national,
        None => return is_valid_reference(number),
    };
    // PATCH(phonescrub): among the regions of a shared calling code (+1, +44, ...), one
    // without leading digits is picked when the number is valid for it, and then needs
    // no second test; `is_valid_reference` (the crate's way) is what this is tested
    // against.
    match pick_source(database, code, &national, is_valid_type) {
        Some((_, true)) => true,
        Some((source, false)) => source_metadata(database, source)
            .is_some_and(|meta| is_valid_type(meta, &national)),
        None => false,
    }
}

/// PATCH(phonescrub): room for a national number's digits (a `u64` has at most 20).
const NATIONAL_DIGITS_MAX: usize = 32;

/// PATCH(phonescrub): the national number as `to_string` writes it (its leading zeros, then
/// its value), written into `buf`; `None` if it does not fit (more leading zeros than any
/// number has).
pub(crate) fn national_digits<'b>(
    national: &crate::NationalNumber,
    buf: &'b mut [u8; NATIONAL_DIGITS_MAX],
) -> Option<&'b str> {
    let mut value = national.value();
    let mut at = buf.len();
    loop {
        at -= 1;
        buf[at] = b'0' + (value % 10) as u8;
        value /= 10;
        if value == 0 {
            break;
        }
    }
    let zeros = usize::from(national.zeros());
    if zeros > at {
        return None;
    }
    buf[at - zeros..at].fill(b'0');
    // SAFETY: `buf[at - zeros..]` was written above, with ASCII digits only.
    Some(unsafe { std::str::from_utf8_unchecked(&buf[at - zeros..]) })
}

/// PATCH(phonescrub): the metadata of a source `source_for` found.
fn source_metadata(database: &Database, source: Either<country::Id, u16>) -> Option<&Metadata> {
    match source {
        Left(region) => database.by_id(region.as_ref()),
        Right(code) => database.metadata_for_code(code)?.first().map(|m| &**m),
    }
}

pub fn length(meta: &Metadata, number: &ParseNumber<'_>, kind: Type) -> Validation {
    let desc = if let Some(desc) = meta.descriptors().get(kind) {
        desc
    } else {
        return Validation::InvalidLength;
    };

    let length = number.national.len() as u16;
    let local = &desc.possible_local_length[..];
    // PATCH(phonescrub): the condition was inverted (it used the type's lengths only
    // when there were none).
    let possible = if desc.possible_length.is_empty() {
        &meta.descriptors.general.possible_length[..]
    } else {
        &desc.possible_length[..]
    };

    if possible.is_empty() {
        return Validation::InvalidLength;
    }

    let minimum = possible[0];

    if local.contains(&length) {
        Validation::IsPossibleLocalOnly
    } else if length == minimum {
        Validation::IsPossible
    } else if length < minimum {
        Validation::TooShort
    } else if length > *possible.last().unwrap() {
        Validation::TooLong
    } else if possible.contains(&length) {
        Validation::IsPossible
    } else {
        Validation::InvalidLength
    }
}

/// PATCH(phonescrub): the validity test as the crate had it (`number_type` for the region
/// and for picking among the regions of a shared calling code), kept as the reference the
/// fast `is_valid` is tested against.
pub fn is_valid_reference(number: &PhoneNumber) -> bool {
    let database: &Database = &DATABASE;
    let code = number.country().code();
    let national = number.national.to_string();
    let reference = |meta: &Metadata, national: &str| number_type(meta, national) != Type::Unknown;
    source_for_with(database, code, &national, reference)
        .and_then(|source| source_metadata(database, source))
        .is_some_and(|meta| number_type(meta, &national) != Type::Unknown)
}

/// Find the metadata source.
pub fn source_for(
    database: &Database,
    code: u16,
    national: &str,
) -> Option<Either<country::Id, u16>> {
    source_for_with(database, code, national, is_valid_type)
}

fn source_for_with(
    database: &Database,
    code: u16,
    national: &str,
    valid: impl Fn(&Metadata, &str) -> bool,
) -> Option<Either<country::Id, u16>> {
    pick_source(database, code, national, valid).map(|(source, _)| source)
}

/// PATCH(phonescrub): `source_for_with`, also saying whether the region was picked
/// because `valid` held for it (a region of a shared code without leading digits).
fn pick_source(
    database: &Database,
    code: u16,
    national: &str,
    valid: impl Fn(&Metadata, &str) -> bool,
) -> Option<(Either<country::Id, u16>, bool)> {
    // PATCH(phonescrub): the regions as a slice (no `Vec` a number), beside their metadata
    // and their parsed ids (no hash lookup and no parsing of a region's name a number).
    let regions = database.regions_for_code(code)?;
    let ids = database.region_ids_for_code(code)?;
    if regions.len() == 1 {
        return if regions[0] == "001" {
            Some((Right(code), false))
        } else {
            ids[0].map(|id| (Left(id), false))
        };
    }

    let metas = database.metadata_for_code(code)?;
    for (meta, id) in metas.iter().zip(ids) {
        if let Some(pattern) = meta.leading_digits.as_ref() {
            // PATCH(phonescrub): anchored search for `find` + `start == 0`.
            if pattern.find_at_start(national).is_some() {
                return Some((Left(id.expect("a region of a shared code")), false));
            }
        } else if valid(meta, national) {
            return Some((Left(id.expect("a region of a shared code")), true));
        }
    }

    None
}

/// PATCH(phonescrub): `number_type(meta, value) != Type::Unknown`, the validity test: a
/// walk through the region's table (built-in database, digits only), else the patterns.
/// `number_type` stays the reference: tests check that they agree.
pub fn is_valid_type(meta: &Metadata, value: &str) -> bool {
    // PATCH(phonescrub): the built-in database's regions answer from their tables.
    if let Some(valid) = meta.table.and_then(|table| table.is_valid(value)) {
        return valid;
    }
    is_valid_type_by_patterns(meta, value)
}

/// PATCH(phonescrub): for a test that compares them: whether `meta` has a validity table,
/// and `national`'s validity in `meta` by [`is_valid_type`] (the table when there is one)
/// and by [`is_valid_type_by_patterns`].
#[doc(hidden)]
pub fn validity_by_table_and_patterns(meta: &Metadata, national: &str) -> (bool, bool, bool) {
    (
        meta.table.is_some(),
        is_valid_type(meta, national),
        is_valid_type_by_patterns(meta, national),
    )
}

/// PATCH(phonescrub): [`is_valid_type`] by the patterns, as the crate had it
/// (`number_type`): the answer for other databases and for strings that are not all
/// digits, and the reference the tables are tested against.
pub fn is_valid_type_by_patterns(meta: &Metadata, value: &str) -> bool {
    number_type(meta, value) != Type::Unknown
}

pub fn number_type(meta: &Metadata, value: &str) -> Type {
    if !meta.descriptors.general.is_match(value) {
        return Type::Unknown;
    }

    if meta
        .descriptors
        .premium_rate
        .as_ref()
        .map(|d| d.is_match(value))
        .unwrap_or(false)
    {
        return Type::PremiumRate;
    }

    if meta
        .descriptors
        .toll_free
        .as_ref()
        .map(|d| d.is_match(value))
        .unwrap_or(false)
    {
        return Type::TollFree;
    }

    if meta
        .descriptors
        .shared_cost
        .as_ref()
        .map(|d| d.is_match(value))
        .unwrap_or(false)
    {
        return Type::SharedCost;
    }

    if meta
        .descriptors
        .voip
        .as_ref()
        .map(|d| d.is_match(value))
        .unwrap_or(false)
    {
        return Type::Voip;
    }

    if meta
        .descriptors
        .personal_number
        .as_ref()
        .map(|d| d.is_match(value))
        .unwrap_or(false)
    {
        return Type::PersonalNumber;
    }

    if meta
        .descriptors
        .pager
        .as_ref()
        .map(|d| d.is_match(value))
        .unwrap_or(false)
    {
        return Type::Pager;
    }

    if meta
        .descriptors
        .uan
        .as_ref()
        .map(|d| d.is_match(value))
        .unwrap_or(false)
    {
        return Type::Uan;
    }

    if meta
        .descriptors
        .voicemail
        .as_ref()
        .map(|d| d.is_match(value))
        .unwrap_or(false)
    {
        return Type::Voicemail;
    }

    if meta
        .descriptors
        .fixed_line
        .as_ref()
        .map(|d| d.is_match(value))
        .unwrap_or(false)
    {
        if meta
            .descriptors
            .fixed_line
            .as_ref()
            .map(|d| d.national_number.as_str())
            == meta
                .descriptors
                .mobile
                .as_ref()
                .map(|d| d.national_number.as_str())
        {
            return Type::FixedLineOrMobile;
        }

        if meta
            .descriptors
            .mobile
            .as_ref()
            .map(|d| d.is_match(value))
            .unwrap_or(false)
        {
            return Type::FixedLineOrMobile;
        }

        return Type::FixedLine;
    }

    if meta
        .descriptors
        .mobile
        .as_ref()
        .map(|d| d.is_match(value))
        .unwrap_or(false)
    {
        return Type::Mobile;
    }

    Type::Unknown
}

#[cfg(test)]
mod test {
    use crate::country;
    use crate::metadata::DATABASE;
    use crate::parser;
    use crate::validator;
    use rstest::*;
    use rstest_reuse::*;

    #[template]
    #[rstest]
    #[case(country::US, "+1 6502530000", true)]
    #[case(country::IT, "+39 0236618300", true)]
    #[case(country::FR, "+330631966543", true)]
    #[case(None, "+330631966543", true)]
    #[case(country::GB, "+44 7912345678", true)]
    #[case(None, "+800 12345678", true)]
    #[case(None, "+979 123456789", true)]
    #[case(None, "+64 21387835", true)]
    #[case(None, "+1 2530000", false)]
    // #[case(None, "+39 023661830000", false)]
    #[case(None, "+44 791234567", false)]
    #[case(None, "+49 1234", false)]
    #[case(None, "+64 3316005", false)]
    #[case(None, "+3923 2366", false)]
    #[case(None, "+800 123456789", false)]
    // Case for https://github.com/whisperfish/rust-phonenumber/issues/31
    // #[case(None, "+97233142764978", false)]
    fn phone_numbers(
        #[case] country: impl Into<Option<country::Id>>,
        #[case] number: &'static str,
        #[case] valid: bool,
    ) {
    }

    #[apply(phone_numbers)]
    fn validate(
        #[case] country: impl Into<Option<country::Id>>,
        #[case] number: &'static str,
        #[case] valid: bool,
    ) {
        let country = country.into();
        println!("parsing {} with country {:?}", number, country);
        let parsed = parser::parse(country, number).unwrap();
        println!("number type: {:?}", parsed.number_type(&DATABASE));
        println!("parsed: {:?}", parsed);
        assert!(validator::is_valid(&parsed) == valid);
    }
}
