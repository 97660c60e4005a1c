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

use crate::carrier::Carrier;
use crate::consts;
use crate::country;
use crate::error;
use crate::extension::Extension;
use crate::is_viable;
use crate::metadata::{Database, DATABASE};
use crate::phone_number::{PhoneNumber, Type};
use crate::validator::{self, Validation};
use nom::{branch::alt, IResult};
use std::borrow::Cow;

#[macro_use]
pub mod helper;
pub mod natural;
pub mod rfc3966;
pub mod valid;

/// Parse a phone number.
pub fn parse<S: AsRef<str>>(
    country: Option<country::Id>,
    string: S,
) -> Result<PhoneNumber, error::Parse> {
    parse_with(&DATABASE, country, string)
}

/// Parse a phone number using a specific `Database`.
pub fn parse_with<S: AsRef<str>>(
    database: &Database,
    country: Option<country::Id>,
    string: S,
) -> Result<PhoneNumber, error::Parse> {
    // PATCH(phonescrub): a plain string (see `plain`) is split and its digits gathered in
    // one pass; any other is lexed as before.
    let mut buffer = [0u8; PLAIN_BUFFER];
    let number = match plain(string.as_ref(), &mut buffer) {
        Some(number) => number,
        None => lex(string.as_ref(), false)?,
    };
    finish(database, country, number)
}

/// PATCH(phonescrub): `parse_with` without the fast lexing of PATCHES.md 8, 12 and 20:
/// the crate's nom grammars and regexes, the reference those are tested against.
pub fn parse_with_reference(
    database: &Database,
    country: Option<country::Id>,
    string: &str,
) -> Result<PhoneNumber, error::Parse> {
    finish(database, country, lex(string, true)?)
}

/// The number as RFC 3966 or as natural language, if viable.
fn lex(string: &str, reference: bool) -> Result<helper::Number<'_>, error::Parse> {
    fn phone_number(i: &str) -> IResult<&str, helper::Number<'_>> {
        parse! { i => alt((rfc3966::phone_number, natural::phone_number)) }
    }
    fn phone_number_reference(i: &str) -> IResult<&str, helper::Number<'_>> {
        parse! { i => alt((rfc3966::phone_number, natural::phone_number_reference)) }
    }

    // Try to parse the number as RFC3966 or natural language.
    let (_, number) = if reference {
        phone_number_reference(string)
    } else {
        phone_number(string)
    }
    .or(Err(error::Parse::NoNumber))?;

    let viable = if reference {
        validator::is_viable_reference(&number.national)
    } else {
        is_viable(&number.national)
    };
    if !viable {
        return Err(error::Parse::NoNumber);
    }
    Ok(number)
}

/// PATCH(phonescrub): what `lex` gives a string that starts with `+` or an ASCII digit and
/// goes on in ASCII digits and ` -.()/` only, found in one pass, with the national
/// number's digits already gathered after its `+` (the next step, `helper::normalize`,
/// drops those separators and keeps digits, so its result is the same). `None` for any
/// other string, and for one of fewer than 3 digits (where viability needs the grammar):
/// those are lexed. What `lex` does with such a string: RFC 3966 (tried first, refused by
/// a space or `/`) and the natural split (from the first `+` or digit to the last digit)
/// both give the string's digits after any `+`, no country code, no extension; a string
/// of 3 digits or more is viable (its other chars are a leading `+` and punctuation).
/// The digits are gathered in `buffer` (on the caller's stack); a string with separators
/// and too many digits for it is left to `lex`.
fn plain<'a>(string: &'a str, buffer: &'a mut [u8; PLAIN_BUFFER]) -> Option<helper::Number<'a>> {
    let bytes = string.as_bytes();
    let body = bytes.strip_prefix(b"+").unwrap_or(bytes);
    if body.len() == bytes.len() && !bytes.first().is_some_and(u8::is_ascii_digit) {
        return None;
    }
    let (mut digits, mut separators) = (0usize, false);
    for &b in body {
        if b.is_ascii_digit() {
            digits += 1;
        } else if matches!(b, b' ' | b'-' | b'.' | b'(' | b')' | b'/') {
            separators = true;
        } else {
            return None;
        }
    }
    if digits < 3 {
        return None;
    }
    let plus = body.len() < bytes.len();
    let national = if !separators {
        Cow::Borrowed(string)
    } else if digits < PLAIN_BUFFER {
        let mut len = 0;
        for &b in bytes.iter().filter(|b| b.is_ascii_digit() || (plus && **b == b'+')) {
            buffer[len] = b;
            len += 1;
        }
        // SAFETY: `buffer[..len]` was filled by the loop above with bytes of `string` that
        // are ASCII digits or '+'; ASCII is UTF-8.
        Cow::Borrowed(unsafe { std::str::from_utf8_unchecked(&buffer[..len]) })
    } else {
        // Too long to be a number: `lex` reads it (and it is refused later).
        return None;
    };
    Some(helper::Number {
        national,
        ..Default::default()
    })
}

/// Room for the digits of a plain number on the stack (no valid number is half as long).
const PLAIN_BUFFER: usize = 32;

/// Country code, national prefix, lengths: the parse after lexing.
fn finish(
    database: &Database,
    country: Option<country::Id>,
    mut number: helper::Number<'_>,
) -> Result<PhoneNumber, error::Parse> {
    // Normalize the number and extract country code.
    number = helper::country_code(database, country, number)?;

    // PATCH(phonescrub): as libphonenumber's parseHelper, the metadata that strips the
    // national prefix is the default region's only when the country code came from
    // it; a number that carries its own code ("+49…", "011 49…") uses the main region
    // of that code. Using the default region's here stripped the US "1" from "+49 1512…".
    let own_code = number.country != country::Source::Default;
    let main_for_code = |code: u16| {
        // PATCH(phonescrub): the code's metadata as a slice (no `Vec` a number).
        database.metadata_for_code(code).and_then(|metas| {
            metas
                .iter()
                .find(|m| m.is_main_country_for_code())
                .or_else(|| metas.first())
                .map(|m| &**m)
        })
    };
    let meta = if let (Some(country), false) = (&country, own_code) {
        database.by_id(country.as_ref())
    } else if own_code {
        // PATCH(phonescrub): parsed where it is, not from a copy.
        let code: u16 = number.prefix.as_deref().map(str::parse).unwrap_or(Ok(0))?;
        match country.as_ref().and_then(|c| database.by_id(c.as_ref())) {
            Some(default) if default.country_code == code => Some(default),
            _ => main_for_code(code),
        }
    } else {
        let code = country::Code {
            value: number.prefix.as_deref().map(str::parse).unwrap_or(Ok(0))?,
            source: number.country,
        };

        use either::{Left, Right};
        let without_zeros = number.national.trim_start_matches('0');
        match validator::source_for(database, code.value(), without_zeros) {
            Some(Left(region)) => database.by_id(region.as_ref()),
            Some(Right(code)) => database.by_code(&code).and_then(|m| m.into_iter().next()),
            None => None,
        }
    };

    // Extract carrier and strip national prefix if present.
    if let Some(meta) = meta {
        // PATCH(phonescrub): strip the national prefix once (helper::national_number
        // already did; a second strip removed a real leading digit), and keep the result
        // only when its length is possible, as libphonenumber does.
        let potential = helper::national_number(meta, number.clone());

        if !matches!(
            validator::length(meta, &potential, Type::Unknown),
            Validation::TooShort | Validation::IsPossibleLocalOnly | Validation::InvalidLength
        ) {
            number = potential;
        }
    }

    if number.national.len() < consts::MIN_LENGTH_FOR_NSN {
        return Err(error::Parse::TooShortNsn);
    }

    if number.national.len() > consts::MAX_LENGTH_FOR_NSN {
        return Err(error::Parse::TooLong);
    }

    Ok(PhoneNumber {
        code: country::Code {
            value: number.prefix.map(|p| p.parse()).unwrap_or(Ok(0))?,
            source: number.country,
        },

        national: number.national.parse()?,

        extension: number.extension.map(|s| Extension(s.into_owned())),
        carrier: number.carrier.map(|s| Carrier(s.into_owned())),
    })
}

#[cfg(test)]
mod test {
    use crate::country::{self, Source};
    use crate::metadata::DATABASE;
    use crate::national_number::NationalNumber;
    use crate::parser;
    use crate::phone_number::PhoneNumber;
    use rstest::*;

    #[rstest]
    #[case(Source::Default, country::NZ, "033316005")]
    #[case(Source::Default, country::NZ, "33316005")]
    #[case(Source::Default, country::NZ, "03-331 6005")]
    #[case(Source::Default, country::NZ, "03 331 6005")]
    #[case(Source::Plus, country::NZ, "tel:03-331-6005;phone-context=+64")]
    // FIXME: What the fuck is this.
    // #[case(Source::Plus, country::NZ, "tel:331-6005;phone-context=+64-3")]
    #[case(Source::Plus, country::NZ, "tel:03-331-6005;phone-context=+64;a=%A1")]
    #[case(
        Source::Plus,
        country::NZ,
        "tel:03-331-6005;isub=12345;phone-context=+64"
    )]
    #[case(Source::Plus, country::NZ, "tel:+64-3-331-6005;isub=12345")]
    #[case(Source::Plus, country::NZ, "03-331-6005;phone-context=+64")]
    // Idd
    #[case(Source::Idd, country::NZ, "0064 3 331 6005")]
    #[case(Source::Idd, country::US, "01164 3 331 6005")]
    // Plus
    #[case(Source::Plus, country::US, "+64 3 331 6005")]
    #[case(Source::Plus, country::US, "+01164 3 331 6005")]
    #[case(Source::Plus, country::NZ, "+0064 3 331 6005")]
    #[case(Source::Plus, country::NZ, "+ 00 64 3 331 6005")]
    fn parse_1(
        #[case] source: Source,
        #[case] country: impl Into<Option<country::Id>>,
        #[case] number: &'static str,
    ) {
        let reference = PhoneNumber {
            code: country::Code { value: 64, source },

            national: NationalNumber::new(33316005, 0).unwrap(),

            extension: None,
            carrier: None,
        };

        let country = country.into();
        println!("parsing {} with country {:?}", number, country);
        let parsed = parser::parse(country, number).unwrap();
        println!("number type: {:?}", parsed.number_type(&DATABASE));
        println!("parsed: {:?}", parsed);

        assert_eq!(reference, parsed);
    }

    #[test]
    fn parse_2() {
        assert_eq!(
            PhoneNumber {
                code: country::Code {
                    value: 64,
                    source: Source::Number,
                },

                national: NationalNumber::new(64123456, 0).unwrap(),

                extension: None,
                carrier: None,
            },
            parser::parse(Some(country::NZ), "64(0)64123456").unwrap()
        );
    }

    #[test]
    fn parse_3() {
        assert_eq!(
            PhoneNumber {
                code: country::Code {
                    value: 49,
                    source: country::Source::Default,
                },

                national: NationalNumber::new(30123456, 0).unwrap(),

                extension: None,
                carrier: None,
            },
            parser::parse(Some(country::DE), "301/23456").unwrap()
        );
    }

    #[test]
    fn parse_4() {
        assert_eq!(
            PhoneNumber {
                code: country::Code {
                    value: 81,
                    source: country::Source::Plus,
                },

                national: NationalNumber::new(2345, 0,).unwrap(),

                extension: None,
                carrier: None,
            },
            parser::parse(Some(country::JP), "+81 *2345").unwrap()
        );
    }

    #[test]
    fn parse_5() {
        assert_eq!(
            PhoneNumber {
                code: country::Code {
                    value: 64,
                    source: country::Source::Default,
                },

                national: NationalNumber::new(12, 0,).unwrap(),

                extension: None,
                carrier: None,
            },
            parser::parse(Some(country::NZ), "12").unwrap()
        );
    }

    #[test]
    fn parse_6() {
        assert_eq!(
            PhoneNumber {
                code: country::Code {
                    value: 55,
                    source: country::Source::Default,
                },

                national: NationalNumber::new(3121286979, 0).unwrap(),

                extension: None,
                carrier: Some("12".into()),
            },
            parser::parse(Some(country::BR), "012 3121286979").unwrap()
        );
    }

    #[test]
    fn issue_43() {
        let res = parser::parse(None, " 2 22#:");
        assert!(res.is_err());
    }

    #[test]
    fn advisory_1() {
        let res = parser::parse(None, ".;phone-context=");
        assert!(res.is_err(), "{res:?}");
    }

    #[test]
    fn advisory_2() {
        let res = parser::parse(None, "+dwPAA;phone-context=AA");
        assert!(res.is_err(), "{res:?}");
    }

    #[test]
    fn email() {
        let res = parser::parse(Some(country::US), "someletters1110@gmail.com");
        assert!(res.is_err(), "{res:?}");
    }
}
