//! RFC 6376 §3.4: the canonicalisation algorithms, their `c=` names, and
//! the header half (the body half streams, in `body_hash`).

use std::fmt;

/// One algorithm, for the header or the body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Simple,
    Relaxed,
}

impl Mode {
    fn from_name(name: &str) -> Option<Mode> {
        match name {
            "simple" => Some(Mode::Simple),
            "relaxed" => Some(Mode::Relaxed),
            _ => None,
        }
    }

    fn name(self) -> &'static str {
        match self {
            Mode::Simple => "simple",
            Mode::Relaxed => "relaxed",
        }
    }
}

/// The `c=` tag: header and body algorithms.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Canonicalization {
    pub header: Mode,
    pub body: Mode,
}

impl Default for Canonicalization {
    /// relaxed/relaxed: survives the refolding and the trailing spaces that
    /// relays add, where simple (lettre's default) breaks.
    fn default() -> Self {
        Canonicalization {
            header: Mode::Relaxed,
            body: Mode::Relaxed,
        }
    }
}

impl Canonicalization {
    /// "header/body", or a header algorithm alone, whose body algorithm is
    /// then simple (RFC 6376 §3.5, the c= tag).
    pub fn from_name(name: &str) -> Option<Canonicalization> {
        let (header, body) = name.split_once('/').unwrap_or((name, "simple"));
        Some(Canonicalization {
            header: Mode::from_name(header)?,
            body: Mode::from_name(body)?,
        })
    }
}

impl fmt::Display for Canonicalization {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.header.name(), self.body.name())
    }
}

fn is_wsp(byte: u8) -> bool {
    byte == b' ' || byte == b'\t'
}

/// Appends the canonical form of one header field, `field` being its
/// bytes from the name to the CRLF that ends it (or to its end, for the
/// DKIM-Signature field being made).
pub fn canonical_field(mode: Mode, field: &[u8], out: &mut Vec<u8>) {
    match mode {
        Mode::Simple => out.extend_from_slice(field),
        Mode::Relaxed => relaxed_field(field, out),
    }
}

/// Name in lower case; unfolded; each run of WSP one space; no WSP at the
/// value's end nor around the colon; CRLF after it when the field had one.
fn relaxed_field(field: &[u8], out: &mut Vec<u8>) {
    let (text, crlf) = match field.strip_suffix(b"\r\n") {
        Some(text) => (text, true),
        None => (field, false),
    };
    let colon = text.iter().position(|&b| b == b':').unwrap_or(text.len());
    let name = text[..colon].trim_ascii_end();
    out.extend(name.iter().map(u8::to_ascii_lowercase));
    out.push(b':');
    let mut space_owed = false;
    let mut started = false;
    for &byte in text.get(colon + 1..).unwrap_or_default() {
        match byte {
            b'\r' | b'\n' => {}
            byte if is_wsp(byte) => space_owed = started,
            byte => {
                if space_owed {
                    out.push(b' ');
                }
                out.push(byte);
                space_owed = false;
                started = true;
            }
        }
    }
    if crlf {
        out.extend_from_slice(b"\r\n");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn canonical(mode: Mode, field: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        canonical_field(mode, field, &mut out);
        out
    }

    #[test]
    fn names_parse_and_print() {
        for name in [
            "simple/simple",
            "relaxed/simple",
            "simple/relaxed",
            "relaxed/relaxed",
        ] {
            assert_eq!(Canonicalization::from_name(name).unwrap().to_string(), name);
        }
        assert_eq!(
            Canonicalization::from_name("relaxed").unwrap().to_string(),
            "relaxed/simple"
        );
        for bad in [
            "",
            "relaxed/",
            "Relaxed/relaxed",
            "relaxed/relaxed/relaxed",
            "loose",
        ] {
            assert_eq!(Canonicalization::from_name(bad), None, "{bad}");
        }
        assert_eq!(Canonicalization::default().to_string(), "relaxed/relaxed");
    }

    #[test]
    fn relaxed_fields_follow_rfc_6376_examples() {
        // §3.4.6's example: "A: X" and "B : Y\t\r\n\tZ  ".
        assert_eq!(canonical(Mode::Relaxed, b"A: X\r\n"), b"a:X\r\n");
        assert_eq!(
            canonical(Mode::Relaxed, b"B : Y\t\r\n\tZ  \r\n"),
            b"b:Y Z\r\n"
        );
        assert_eq!(canonical(Mode::Relaxed, b"Subject:\r\n"), b"subject:\r\n");
        assert_eq!(
            canonical(Mode::Relaxed, b"DKIM-Signature: v=1;\r\n b="),
            b"dkim-signature:v=1; b="
        );
    }

    #[test]
    fn simple_fields_are_left_alone() {
        assert_eq!(
            canonical(Mode::Simple, b"B : Y\t\r\n\tZ  \r\n"),
            b"B : Y\t\r\n\tZ  \r\n"
        );
    }
}
