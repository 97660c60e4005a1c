//! Protecting what leaves the page: hashed numbers for ad platforms and partners, and
//! masked numbers for previews.
//!
//! Hashing a phone number is pseudonymisation, not anonymisation: there are only about
//! 10^10 to 10^12 numbers per country, so an unsalted SHA-256 is reversed by trying them
//! all. A keyed hash (HMAC-SHA-256 with a secret shared only with the partner) is not.

use std::io::Write;

use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// Who the hashes are for: each platform documents its own normalisation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum HashTarget {
    /// Google Customer Match: E.164 with the leading `+` ("+18005550100").
    Google,
    /// Meta (Facebook) custom audiences: digits with country code, no `+` ("16505551212").
    Meta,
    /// TikTok custom audiences: as Meta.
    Tiktok,
}

/// Whether the hash replaces the phone column or is added beside it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum HashColumn {
    /// The phone column holds the hash instead of the number.
    #[default]
    Replace,
    /// A `phone_sha256` (or `phone_hmac_sha256`) column follows the phone column.
    Add,
}

/// Hashed export options (`output.hash` in the policy).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct HashOptions {
    /// The platform whose form the number takes before hashing.
    pub target: HashTarget,
    /// Replace the phone column or add a column.
    #[serde(default)]
    pub column: HashColumn,
    /// HMAC-SHA-256 with a secret key instead of plain SHA-256. The key itself is never
    /// part of the policy (policies are saved and echoed in reports): it is given apart,
    /// with `--hash-key-file` on the command line or `hashKey` in the JS API.
    #[serde(default)]
    pub keyed: bool,
}

/// Hashes numbers as [`HashOptions`] say.
#[derive(Clone)]
pub struct Hasher {
    target: HashTarget,
    key: Option<Vec<u8>>,
}

impl Hasher {
    /// A hasher for `target`, keyed when `key` is given.
    pub fn new(target: HashTarget, key: Option<&[u8]>) -> Hasher {
        Hasher {
            target,
            key: key.map(<[u8]>::to_vec),
        }
    }

    /// The name of an added hash column.
    pub fn column_name(&self) -> &'static str {
        if self.key.is_some() {
            "phone_hmac_sha256"
        } else {
            "phone_sha256"
        }
    }

    /// Lowercase hex hash of the E.164 number `key` (digits as an integer) in the target's form.
    pub fn hash(&self, e164_digits: u64) -> String {
        let text = match self.target {
            HashTarget::Google => format!("+{e164_digits}"),
            HashTarget::Meta | HashTarget::Tiktok => e164_digits.to_string(),
        };
        match &self.key {
            None => hex(&Sha256::digest(text.as_bytes())),
            Some(key) => {
                let mut mac =
                    Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes keys of any length");
                mac.update(text.as_bytes());
                hex(&mac.finalize().into_bytes())
            }
        }
    }
}

/// The two SHA-256 digests a hashed opt-out list may hold for a number: of "+digits"
/// (Google's form) and of "digits" (Meta's and TikTok's).
pub fn opt_out_digests(e164_digits: u64) -> [[u8; 32]; 2] {
    [
        Sha256::digest(format!("+{e164_digits}").as_bytes()).into(),
        Sha256::digest(e164_digits.to_string().as_bytes()).into(),
    ]
}

/// Reads a cell holding a SHA-256 digest as 64 hex digits (either case).
pub fn parse_digest(cell: &str) -> Option<[u8; 32]> {
    let cell = cell.trim();
    if cell.len() != 64 || !cell.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    let mut out = [0u8; 32];
    for (i, byte) in out.iter_mut().enumerate() {
        *byte = u8::from_str_radix(&cell[2 * i..2 * i + 2], 16).ok()?;
    }
    Some(out)
}

/// Masks a number for previews and printed reports: "+447700900123" -> "+447700****23".
/// Four digits are hidden before the last two (fewer in numbers too short for that).
pub fn mask(number: &str) -> String {
    let (plus, digits) = match number.strip_prefix('+') {
        Some(rest) => ("+", rest),
        None => ("", number),
    };
    let n = digits.chars().count();
    let hidden = n.saturating_sub(2).min(4);
    let shown_head = n - hidden - n.min(2);
    let head: String = digits.chars().take(shown_head).collect();
    let tail: String = digits.chars().skip(shown_head + hidden).collect();
    format!("{plus}{head}{}{tail}", "*".repeat(hidden))
}

/// The scrypt work factor (log2 N) of encrypted exports: about a second to derive the key
/// natively, a few in a browser; fixed rather than measured so every build writes files
/// that `age`/`rage` accept by default.
pub const SCRYPT_WORK_FACTOR: u8 = 18;

/// Wraps `inner` so that what is written to it comes out as an age file encrypted with
/// `passphrase` (scrypt recipient): decrypt with `age -d` or `rage -d`. Call
/// [`age::stream::StreamWriter::finish`] at the end. Needs the cargo feature `seal` (on
/// by default; the page's core wasm leaves it out).
#[cfg(feature = "seal")]
pub fn encrypt<W: Write>(
    passphrase: &str,
    inner: W,
) -> crate::Result<age::stream::StreamWriter<W>> {
    if passphrase.is_empty() {
        return Err(crate::Error::policy(
            "the passphrase for an encrypted export is empty",
        ));
    }
    let mut recipient =
        age::scrypt::Recipient::new(age::secrecy::SecretString::from(passphrase.to_string()));
    recipient.set_work_factor(SCRYPT_WORK_FACTOR);
    let encryptor =
        age::Encryptor::with_recipients(std::iter::once(&recipient as &dyn age::Recipient))
            .map_err(|e| crate::Error::policy(format!("encryption: {e}")))?;
    Ok(encryptor.wrap_output(inner)?)
}

/// An output written as it is, or encrypted with a passphrase (see [`encrypt`]).
pub enum Sealed<W: Write> {
    /// Written as it is.
    Plain(W),
    /// Encrypted to an age file.
    #[cfg(feature = "seal")]
    Encrypted(age::stream::StreamWriter<W>),
}

impl<W: Write> Sealed<W> {
    /// Encrypts when a passphrase is given (an error of kind
    /// [`crate::ErrorKind::NeedsModule`] in a build without the `seal` feature).
    pub fn new(inner: W, passphrase: Option<&str>) -> crate::Result<Sealed<W>> {
        Ok(match passphrase {
            #[cfg(feature = "seal")]
            Some(passphrase) => Sealed::Encrypted(encrypt(passphrase, inner)?),
            #[cfg(not(feature = "seal"))]
            Some(_) => {
                return Err(crate::Error::needs_module(
                    "seal",
                    "encrypting the outputs with a passphrase",
                ))
            }
            None => Sealed::Plain(inner),
        })
    }

    /// Writes what is left (the last encrypted chunk), flushes, and returns the inner writer.
    // Without the `seal` feature, `Plain` is the only variant.
    #[cfg_attr(not(feature = "seal"), allow(clippy::infallible_destructuring_match))]
    pub fn finish(self) -> crate::Result<W> {
        let mut inner = match self {
            Sealed::Plain(inner) => inner,
            #[cfg(feature = "seal")]
            Sealed::Encrypted(stream) => stream.finish()?,
        };
        inner.flush()?;
        Ok(inner)
    }
}

impl<W: Write> Write for Sealed<W> {
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        match self {
            Sealed::Plain(w) => w.write(data),
            #[cfg(feature = "seal")]
            Sealed::Encrypted(w) => w.write(data),
        }
    }

    fn flush(&mut self) -> std::io::Result<()> {
        match self {
            Sealed::Plain(w) => w.flush(),
            #[cfg(feature = "seal")]
            Sealed::Encrypted(w) => w.flush(),
        }
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metas_documented_test_vector() {
        let h = Hasher::new(HashTarget::Meta, None);
        assert_eq!(
            h.hash(16505551212),
            "e323ec626319ca94ee8bff2e4c87cf613be6ea19919ed1364124e16807ab3176"
        );
        assert_eq!(
            Hasher::new(HashTarget::Tiktok, None).hash(16505551212),
            h.hash(16505551212)
        );
    }

    // Expected values computed independently with Python's hashlib and hmac.
    #[test]
    fn google_hashes_the_plus_form() {
        let google = Hasher::new(HashTarget::Google, None).hash(16505551212);
        assert_eq!(
            google,
            "1e231c66011e7a2d867a9cfae267a6aff103cf4913640b6e71a99850fc0ffbc8"
        );
    }

    #[test]
    fn keyed_hashes_are_hmac_sha256() {
        let h = Hasher::new(HashTarget::Meta, Some(b"Jefe"));
        assert_eq!(
            h.hash(16505551212),
            "37748a645f76cb7356a20e22ec3845e586778412bcffe1148c53ce22d57c6757"
        );
        assert_eq!(h.column_name(), "phone_hmac_sha256");
    }

    #[test]
    fn digests_parse_from_hex_cells() {
        let d = parse_digest(" E323EC626319CA94EE8BFF2E4C87CF613BE6EA19919ED1364124E16807AB3176 ")
            .unwrap();
        assert_eq!(d, opt_out_digests(16505551212)[1]);
        assert!(parse_digest("e323ec").is_none());
        assert!(parse_digest(&"g".repeat(64)).is_none());
    }

    #[cfg(not(feature = "seal"))]
    #[test]
    fn a_passphrase_needs_the_seal_module() {
        let err = Sealed::new(Vec::new(), Some("correct horse"))
            .err()
            .unwrap();
        assert_eq!(err.needed_module(), Some("seal"));
        assert!(Sealed::new(Vec::new(), None).is_ok());
    }

    #[cfg(feature = "seal")]
    #[test]
    fn encrypted_exports_decrypt_with_the_passphrase_only() {
        use std::io::Read;
        let mut out = Vec::new();
        let mut w = encrypt("correct horse", &mut out).unwrap();
        w.write_all(b"name,phone\nA,+441212941091\n").unwrap();
        w.finish().unwrap();
        assert!(out.starts_with(b"age-encryption.org/v1\n-> scrypt "));
        assert!(!out.windows(13).any(|w| w == b"+441212941091"));
        let decrypt = |pass: &str| -> Option<Vec<u8>> {
            let decryptor = age::Decryptor::new(&out[..]).ok()?;
            let identity =
                age::scrypt::Identity::new(age::secrecy::SecretString::from(pass.to_string()));
            let mut reader = decryptor
                .decrypt(std::iter::once(&identity as &dyn age::Identity))
                .ok()?;
            let mut plain = Vec::new();
            reader.read_to_end(&mut plain).ok()?;
            Some(plain)
        };
        assert_eq!(
            decrypt("correct horse").unwrap(),
            b"name,phone\nA,+441212941091\n"
        );
        assert!(decrypt("wrong").is_none());
        assert!(encrypt("", Vec::new()).is_err());
    }

    #[test]
    fn masks() {
        assert_eq!(mask("+447700900123"), "+447700****23");
        assert_eq!(mask("+4477009001234"), "+4477009****34");
        assert_eq!(mask("+12015550123"), "+12015****23");
        assert_eq!(mask("+1234567"), "+1****67");
        assert_eq!(mask("12345"), "***45");
        assert_eq!(mask("12"), "12");
    }
}
