//! What may be written as a header field: a field name of RFC 5322 §3.6.8,
//! and a value whose only line breaks are folds.
//!
//! A CR or LF anywhere else would end the field early: the rest of the
//! value would be read as a header of its own (a `Bcc:` slipped into a
//! subject) or, after a blank line, as the body.

use std::fmt::{self, Write as _};

/// A field that cannot be written, by its lowercase name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InvalidField {
    Name(Vec<u8>),
    Value(Vec<u8>),
}

impl fmt::Display for InvalidField {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            InvalidField::Name(name) => write!(f, "invalid header name '{}'", shown(name)),
            InvalidField::Value(name) => write!(f, "invalid value for header '{}'", shown(name)),
        }
    }
}

/// Checks one field.
pub fn check_field(name: &[u8], value: &[u8]) -> Result<(), InvalidField> {
    if !is_field_name(name) {
        return Err(InvalidField::Name(name.to_vec()));
    }
    if !is_field_value(value) {
        return Err(InvalidField::Value(name.to_vec()));
    }
    Ok(())
}

/// One or more printable US-ASCII characters other than ":" (which also
/// rules out space and control characters).
fn is_field_name(name: &[u8]) -> bool {
    !name.is_empty() && name.iter().all(|&b| (33..=126).contains(&b) && b != b':')
}

/// Every line break starts a fold: it is followed by a space or tab, then
/// by more than blanks (a blank-only line reads as the end of the header
/// block to some parsers). The break may be CRLF, or a bare CR or LF, which
/// DATA turns into CRLF (see `protocol::dot_stuff`), so a fold stays a fold.
fn is_field_value(value: &[u8]) -> bool {
    let mut rest = value;
    while let Some(at) = memchr::memchr2(b'\r', b'\n', rest) {
        let fold = match rest[at..].strip_prefix(b"\r\n") {
            Some(fold) => fold,
            None => &rest[at + 1..],
        };
        let line_end = memchr::memchr2(b'\r', b'\n', fold).unwrap_or(fold.len());
        let line = &fold[..line_end];
        let starts_blank = matches!(line.first(), Some(b' ' | b'\t'));
        if !starts_blank || line.iter().all(|&b| b == b' ' || b == b'\t') {
            return false;
        }
        rest = fold;
    }
    true
}

/// `bytes` with anything but printable ASCII written as Lua's `\ddd`, so
/// that an error message stays on one line.
fn shown(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len());
    for &b in bytes {
        if (32..=126).contains(&b) && b != b'\\' {
            out.push(b as char);
        } else {
            // Writing to a String cannot fail.
            let _ = write!(out, "\\{b:03}");
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn field_names_are_printable_ascii_without_colon() {
        for good in [&b"subject"[..], b"x-my_header!", b"~"] {
            assert!(is_field_name(good), "{good:?}");
        }
        for bad in [
            &b""[..],
            b"sub ject",
            b"x:y",
            b"a\r\nbcc",
            b"\x7f",
            b"caf\xc3\xa9",
            b"\t",
        ] {
            assert!(!is_field_name(bad), "{bad:?}");
        }
    }

    #[test]
    fn folds_are_the_only_line_breaks_allowed() {
        for good in [
            &b"plain"[..],
            b"",
            b"folded\r\n continued",
            b"tab\r\n\tfolded\r\n again",
            b"bare\n folds\r\tare\n\tfolds",
            b"\xff\x00 bytes",
        ] {
            assert!(is_field_value(good), "{good:?}");
        }
        for bad in [
            &b"a\r\nBcc: x@example.com"[..],
            b"a\nBcc: x",
            b"a\rBcc: x",
            b"a\n\r\n b",
            b"a\r\r\n b",
            b"a\r\n",
            b"a\r\n\r\nbody",
            b"a\r\n \r\nb",
            b"a\r\n \t",
            b"a\r\n\r\n b",
        ] {
            assert!(!is_field_value(bad), "{bad:?}");
        }
    }

    #[test]
    fn errors_name_the_field_on_one_line() {
        assert_eq!(
            check_field(b"subject", b"x\r\nbcc: y")
                .unwrap_err()
                .to_string(),
            "invalid value for header 'subject'"
        );
        assert_eq!(
            check_field(b"x\r\nbcc", b"y").unwrap_err().to_string(),
            "invalid header name 'x\\013\\010bcc'"
        );
        assert_eq!(check_field(b"subject", b"ok\r\n folded"), Ok(()));
    }
}
