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
use crate::parser::helper::*;
use nom::error::ErrorKind;
use nom::IResult;

/// PATCH(phonescrub): the split into national number and extension without regexes for
/// the strings nearly every list holds: ASCII digits, `+` and the separators ` -.()/`.
///
/// In such a string `VALID_START_CHAR` finds the first `+` or digit, `UNWANTED_END_CHARS`
/// is the run of non-digits at the end (no letter or `#` can be there), and neither
/// `SECOND_NUMBER_START` nor any `EXTN_PATTERN` alternative can match: each needs a letter
/// or one of `;,#~`. Every other string, or one where the reference would fail, takes
/// [`phone_number_reference`]. The four regexes cost about a fifth of a parse, and
/// compiling their Unicode classes most of the time to the first parsed number.
/// A phonescrub test compares the two on random strings over a wider alphabet.
pub fn phone_number(i: &str) -> IResult<&str, Number<'_>> {
    let plain = |b: u8| matches!(b, b'0'..=b'9' | b'+' | b'-' | b'.' | b' ' | b'(' | b')' | b'/');
    if i.bytes().all(plain) {
        if let Some(start) = i.bytes().position(|b| b == b'+' || b.is_ascii_digit()) {
            let rest = &i[start..];
            let end = rest.bytes().rposition(|b| b.is_ascii_digit()).map_or(0, |e| e + 1);
            if end > 0 {
                return Ok((
                    "",
                    Number {
                        national: rest[..end].into(),
                        ..Default::default()
                    },
                ));
            }
        }
    }
    phone_number_reference(i)
}

/// The crate's own split of a number and its extension, with the regexes of
/// `helper::extract` and `consts::EXTN_PATTERN`: the reference for [`phone_number`].
pub fn phone_number_reference(i: &str) -> IResult<&str, Number<'_>> {
    let (_, i) = extract(i)?;
    let extension = consts::EXTN_PATTERN.captures(i);

    if let Some(c) = extension.as_ref() {
        if c.get(0).is_none() || c.get(2).is_none() {
            return Err(nom::Err::Failure(nom::error::Error::new(i, ErrorKind::Eof)));
        }
    }

    Ok((
        "",
        Number {
            national: extension
                .as_ref()
                .map(|c| &i[..c.get(0).unwrap().start()])
                .unwrap_or(i)
                .into(),

            extension: extension
                .as_ref()
                .map(|c| c.get(2).unwrap().as_str())
                .map(Into::into),

            ..Default::default()
        },
    ))
}

#[cfg(test)]
mod test {
    use crate::parser::helper::*;
    use crate::parser::natural;

    #[test]
    fn phone_number() {
        assert_eq!(
            natural::phone_number("650 253 0000 extn. 4567").unwrap().1,
            Number {
                national: "650 253 0000".into(),
                extension: Some("4567".into()),

                ..Default::default()
            }
        );
    }
}
