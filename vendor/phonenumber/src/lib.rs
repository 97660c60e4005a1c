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

#![recursion_limit = "1024"]

#[cfg(test)]
use doc_comment::doctest;

#[cfg(test)]
doctest!("../README.md");

/// Errors for various parts of the crate.
mod error;

// PATCH(phonescrub): replaces the `regex-cache` crate, see the module docs.
pub mod regex_cache;
pub use crate::error::{Metadata as MetadataError, Parse as ParseError};

/// Phone number metadata, containing patterns, formatting and other useful
/// data about countries and phone numbers.
pub mod metadata;
pub use crate::metadata::Metadata;

/// Country related types.
pub mod country;

mod consts;

mod national_number;
pub use crate::national_number::NationalNumber;

mod extension;
pub use crate::extension::Extension;

mod carrier;
pub use crate::carrier::Carrier;

mod phone_number;
pub use crate::phone_number::{PhoneNumber, Type};

mod parser;
pub use crate::parser::{parse, parse_with, parse_with_reference};

/// PATCH(phonescrub): the split of a string into national number and extension, fast path
/// and reference (`None` when no number can be read), for tests that compare the two.
pub fn split_number(string: &str) -> Option<(String, Option<String>)> {
    split_with(parser::natural::phone_number, string)
}

/// The reference for [`split_number`]: the crate's regexes.
pub fn split_number_reference(string: &str) -> Option<(String, Option<String>)> {
    split_with(parser::natural::phone_number_reference, string)
}

fn split_with(
    split: fn(&str) -> nom::IResult<&str, parser::helper::Number<'_>>,
    string: &str,
) -> Option<(String, Option<String>)> {
    let (_, number) = split(string).ok()?;
    Some((number.national.into_owned(), number.extension.map(|e| e.into_owned())))
}

mod formatter;
pub use crate::formatter::{format, format_with, Formatter, Mode};

mod validator;
pub use crate::validator::{
    is_valid, is_valid_reference, is_valid_with, is_viable, is_viable_reference,
    validity_by_table_and_patterns, Validation,
};
