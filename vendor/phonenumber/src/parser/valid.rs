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

use crate::{consts, parser::helper::*};
use nom::{branch::*, combinator::*, multi::*, IResult};

/// The nom grammar below, as the crate had it: kept as the reference `viable` is tested
/// against (`validator::is_viable_reference`).
pub fn phone_number(i: &str) -> IResult<&str, &str> {
    parse! { i => recognize(alt((short, long))) }
}

/// PATCH(phonescrub): the same language as `phone_number` in one pass over the chars. The
/// nom version scanned the punctuation list for every char, about 10,000 instructions a
/// number. Either exactly `MIN_LENGTH_FOR_NSN` ASCII digits ("short"), or ("long"): any
/// number of pluses, then three digits each after any punctuation or stars, then only
/// punctuation, stars, digits and ASCII letters.
pub fn viable(i: &str) -> bool {
    if i.len() == consts::MIN_LENGTH_FOR_NSN && i.bytes().all(|b| b.is_ascii_digit()) {
        return true;
    }
    let mut chars = i.chars().peekable();
    while chars.next_if(|&c| c == '+' || c == '\u{FF0B}').is_some() {}
    for _ in 0..3 {
        while chars.next_if(|&c| is_punctuation(c) || c == '*').is_some() {}
        if !chars.next().is_some_and(|c| c.is_ascii_digit()) {
            return false;
        }
    }
    chars.all(|c| c.is_ascii_alphanumeric() || c == '*' || is_punctuation(c))
}

/// The chars of `helper::punctuation` (a list of chars, not ranges: `\u{FF0D}-\u{FF0F}`
/// there is three chars).
fn is_punctuation(c: char) -> bool {
    match c {
        '-' | 'x' | ' ' | '(' | ')' | '.' | '[' | ']' | '/' | '~' => true,
        c if c.is_ascii() => false,
        c => PUNCTUATION.contains(c),
    }
}

const PUNCTUATION: &str = "-x\u{2010}\u{2011}\u{2012}\u{2013}\u{2014}\u{2015}\u{2212}\u{30FC}\u{FF0D}-\u{FF0F} \u{00A0}\u{00AD}\u{200B}\u{2060}\u{3000}()\u{FF08}\u{FF09}\u{FF3B}\u{FF3D}.[]/~\u{2053}\u{223C}\u{FF5E}";

fn short(i: &str) -> IResult<&str, ()> {
    parse! { i =>
        count(digit, consts::MIN_LENGTH_FOR_NSN);
        ieof;
    };

    Ok((i, ()))
}

fn long(i: &str) -> IResult<&str, ()> {
    fn first_group(i: &str) -> IResult<&str, ()> {
        parse! { i =>
            many0(alt((punctuation, star)));
            count(digit, 1);
        };
        Ok((i, ()))
    }

    parse! { i =>
        many0(plus);
        count(first_group, 3);
        many0(alt((punctuation, star, digit)));
        many0(alt((punctuation, star, digit, alpha)));
        ieof;
    };

    Ok((i, ()))
}

#[cfg(test)]
mod test {
    use super::*;

    #[test]
    fn phone() {
        assert!(phone_number("1").is_err());
        // Only one or two digits before strange non-possible punctuation.
        assert!(phone_number("1+1+1").is_err());
        assert!(phone_number("80+0").is_err());
        // Two digits is viable.
        assert!(phone_number("00").is_ok());
        assert!(phone_number("111").is_ok());
        // Alpha numbers.
        assert!(phone_number("0800-4-pizza").is_ok());
        assert!(phone_number("0800-4-PIZZA").is_ok());
        // We need at least three digits before any alpha characters.
        assert!(phone_number("08-PIZZA").is_err());
        assert!(phone_number("8-PIZZA").is_err());
        assert!(phone_number("12. March").is_err());
        // E-mail addresses are not phone numbers.
        assert!(phone_number("1110@gmail.com").is_err());
    }
}
