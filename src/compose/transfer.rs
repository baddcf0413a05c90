//! Content-Transfer-Encoding: which one each body takes, and the encoding
//! of bodies given whole.
//!
//! Text (UTF-8, line ends made CRLF) goes as it is (`7bit`) when it is
//! ASCII in lines of at most 998 bytes, else quoted-printable; a streamed
//! text cannot be looked at first, and takes quoted-printable. Attachments
//! always take base64: it is the one encoding that every reader decodes
//! back to exactly the bytes given (readers differ on the line ends of a
//! `7bit` part).

use crate::attachment::quoted_printable::QuotedPrintable;
use crate::attachment::StreamEncoder;

/// RFC 5322 §2.1.1: characters on a line, CRLF excluded.
const MAX_LINE: usize = 998;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TransferEncoding {
    SevenBit,
    QuotedPrintable,
    Base64,
}

impl TransferEncoding {
    /// The `Content-Transfer-Encoding` value.
    pub fn name(self) -> &'static str {
        match self {
            TransferEncoding::SevenBit => "7bit",
            TransferEncoding::QuotedPrintable => "quoted-printable",
            TransferEncoding::Base64 => "base64",
        }
    }
}

/// `text` with every line end (CRLF, bare LF, bare CR) made CRLF, and
/// encoded: the encoding and the body.
pub fn encode_text(text: &str) -> (TransferEncoding, Vec<u8>) {
    let mut body = Vec::with_capacity(text.len() + text.len() / 32);
    LineEnds::default().convert(text.as_bytes(), &mut body);
    if body.is_ascii() && lines_fit(&body) {
        return (TransferEncoding::SevenBit, body);
    }
    let mut encoded = Vec::with_capacity(body.len() * 5 / 4);
    let mut encoder = QuotedPrintable::default();
    encoder.encode(&body, &mut encoded);
    encoder.finish(&mut encoded);
    (TransferEncoding::QuotedPrintable, encoded)
}

fn lines_fit(body: &[u8]) -> bool {
    body.split(|&b| b == b'\n')
        .all(|line| line.strip_suffix(b"\r").unwrap_or(line).len() <= MAX_LINE)
}

/// Line ends made CRLF, across chunks: a CR at the end of one chunk and an
/// LF at the start of the next are one line end.
#[derive(Debug, Default)]
pub struct LineEnds {
    after_cr: bool,
}

impl LineEnds {
    pub fn convert(&mut self, input: &[u8], out: &mut Vec<u8>) {
        let mut rest = input;
        if self.after_cr {
            if let Some(after) = rest.strip_prefix(b"\n") {
                rest = after;
            }
        }
        while let Some(at) = memchr::memchr2(b'\r', b'\n', rest) {
            out.extend_from_slice(&rest[..at]);
            out.extend_from_slice(b"\r\n");
            let skip = if rest[at..].starts_with(b"\r\n") {
                2
            } else {
                1
            };
            rest = &rest[at + skip..];
        }
        out.extend_from_slice(rest);
        self.after_cr = match input.last() {
            Some(b'\r') => true,
            Some(_) => false,
            None => self.after_cr,
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_ascii_text_goes_as_it_is_with_crlf() {
        assert_eq!(
            encode_text("one\ntwo\rthree\r\nfour"),
            (
                TransferEncoding::SevenBit,
                b"one\r\ntwo\r\nthree\r\nfour".to_vec()
            )
        );
    }

    #[test]
    fn utf8_or_long_lines_take_quoted_printable() {
        let (encoding, body) = encode_text("olá\n");
        assert_eq!(encoding, TransferEncoding::QuotedPrintable);
        assert_eq!(body, b"ol=C3=A1\r\n");
        assert_eq!(
            encode_text(&"x".repeat(999)).0,
            TransferEncoding::QuotedPrintable
        );
        assert_eq!(encode_text(&"x".repeat(998)).0, TransferEncoding::SevenBit);
    }

    #[test]
    fn line_ends_are_converted_across_chunks() {
        let mut ends = LineEnds::default();
        let mut out = Vec::new();
        for chunk in [&b"a\r"[..], b"\nb\r", b"", b"c\n", b"\n"] {
            ends.convert(chunk, &mut out);
        }
        assert_eq!(out, b"a\r\nb\r\nc\r\n\r\n");
    }
}
