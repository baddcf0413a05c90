//! Bodies a script gives as LTN12 sources, encoded chunk by chunk as they
//! are pulled: text is checked as UTF-8, its line ends made CRLF, and
//! written quoted-printable; attachment bytes are written in base64.

use crate::attachment::base64_lines::Base64Lines;
use crate::attachment::quoted_printable::QuotedPrintable;
use crate::attachment::StreamEncoder;

use super::transfer::{LineEnds, TransferEncoding};

#[derive(Debug)]
enum Kind {
    Text {
        utf8: Utf8Check,
        line_ends: LineEnds,
        encoder: QuotedPrintable,
    },
    Bytes(Base64Lines),
}

#[derive(Debug)]
pub struct StreamedBody {
    kind: Kind,
    /// Text with its line ends converted, before encoding.
    converted: Vec<u8>,
    output: Vec<u8>,
}

impl StreamedBody {
    pub fn text() -> StreamedBody {
        StreamedBody::new(Kind::Text {
            utf8: Utf8Check::default(),
            line_ends: LineEnds::default(),
            encoder: QuotedPrintable::default(),
        })
    }

    pub fn bytes() -> StreamedBody {
        StreamedBody::new(Kind::Bytes(Base64Lines::default()))
    }

    fn new(kind: Kind) -> StreamedBody {
        StreamedBody {
            kind,
            converted: Vec::new(),
            output: Vec::new(),
        }
    }

    pub fn encoding(&self) -> TransferEncoding {
        match self.kind {
            Kind::Text { .. } => TransferEncoding::QuotedPrintable,
            Kind::Bytes(_) => TransferEncoding::Base64,
        }
    }

    /// The encoding of `chunk`, as far as it is settled (possibly empty);
    /// or why the text cannot be sent.
    pub fn encode(&mut self, chunk: &[u8]) -> Result<&[u8], &'static str> {
        self.output.clear();
        match &mut self.kind {
            Kind::Text {
                utf8,
                line_ends,
                encoder,
            } => {
                utf8.check(chunk)?;
                self.converted.clear();
                line_ends.convert(chunk, &mut self.converted);
                encoder.encode(&self.converted, &mut self.output);
            }
            Kind::Bytes(encoder) => encoder.encode(chunk, &mut self.output),
        }
        Ok(&self.output)
    }

    /// The rest, at the end of the source.
    pub fn finish(&mut self) -> Result<&[u8], &'static str> {
        self.output.clear();
        match &mut self.kind {
            Kind::Text { utf8, encoder, .. } => {
                utf8.finish()?;
                encoder.finish(&mut self.output);
            }
            Kind::Bytes(encoder) => encoder.finish(&mut self.output),
        }
        Ok(&self.output)
    }
}

const NOT_UTF8: &str = "not UTF-8";

/// UTF-8 checked across chunks: a character cut between two chunks is
/// held until its end arrives.
#[derive(Debug, Default)]
struct Utf8Check {
    held: Vec<u8>,
}

impl Utf8Check {
    fn check(&mut self, chunk: &[u8]) -> Result<(), &'static str> {
        let mut rest = chunk;
        if !self.held.is_empty() {
            // At most three more bytes complete the held character.
            let taken = rest.len().min(4 - self.held.len());
            self.held.extend_from_slice(&rest[..taken]);
            let complete = match std::str::from_utf8(&self.held) {
                Ok(_) => self.held.len(),
                Err(error) if error.valid_up_to() > 0 => error.valid_up_to(),
                Err(error) if error.error_len().is_none() => return Ok(()),
                Err(_) => return Err(NOT_UTF8),
            };
            let from_chunk = complete - (self.held.len() - taken);
            self.held.clear();
            rest = &rest[from_chunk..];
        }
        match std::str::from_utf8(rest) {
            Ok(_) => Ok(()),
            Err(error) if error.error_len().is_none() => {
                self.held.extend_from_slice(&rest[error.valid_up_to()..]);
                Ok(())
            }
            Err(_) => Err(NOT_UTF8),
        }
    }

    fn finish(&mut self) -> Result<(), &'static str> {
        if self.held.is_empty() {
            Ok(())
        } else {
            Err(NOT_UTF8)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn encode_in_chunks(
        mut body: StreamedBody,
        input: &[u8],
        size: usize,
    ) -> Result<Vec<u8>, &'static str> {
        let mut out = Vec::new();
        for chunk in input.chunks(size) {
            out.extend_from_slice(body.encode(chunk)?);
        }
        out.extend_from_slice(body.finish()?);
        Ok(out)
    }

    #[test]
    fn text_is_the_same_whatever_the_chunks() {
        let text = "Olá, mundo ✓\nlinha dois\r\n日本語 \n".repeat(20);
        let whole = super::super::transfer::encode_text(&text).1;
        for size in [1, 2, 3, 5, 64, 10_000] {
            assert_eq!(
                encode_in_chunks(StreamedBody::text(), text.as_bytes(), size).unwrap(),
                whole,
                "{size}"
            );
        }
    }

    #[test]
    fn bad_utf8_is_found_wherever_the_chunks_cut() {
        for input in [
            &b"ok \xff"[..],
            b"\xe2\x9c",
            b"a\xe2\x28\xa1b",
            b"\xc3\xa9\xc3",
        ] {
            for size in [1, 2, 3, 100] {
                assert_eq!(
                    encode_in_chunks(StreamedBody::text(), input, size),
                    Err(NOT_UTF8),
                    "{input:?} {size}"
                );
            }
        }
    }

    #[test]
    fn bytes_are_base64_lines() {
        use base64::engine::general_purpose::STANDARD;
        use base64::Engine;
        let input: Vec<u8> = (0..=255).collect();
        let out = encode_in_chunks(StreamedBody::bytes(), &input, 7).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert!(text.split("\r\n").all(|line| line.len() <= 76));
        assert_eq!(STANDARD.decode(text.replace("\r\n", "")).unwrap(), input);
    }
}
