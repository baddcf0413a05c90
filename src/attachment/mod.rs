//! Attachment bodies in plain Rust, encoded on the way as they are pulled:
//! files for `smtp.attach` and `smtp.compose` (read in fixed blocks, so
//! memory stays flat whatever the file's size), and bytes from memory.

pub mod base64_lines;
pub mod data_source;
pub mod file_source;
pub mod quoted_printable;

pub use data_source::DataSource;
pub use file_source::FileSource;

/// A body the native send path pulls in Rust, chunk by chunk.
pub trait ChunkSource {
    /// The next chunk, never empty; `Ok(None)` at the end and after it;
    /// `Err(message)` when the bytes cannot be had.
    fn next_chunk(&mut self) -> Result<Option<&[u8]>, String>;

    /// How many bytes all its chunks will make, where that is known before
    /// they are made (for SIZE); `None` otherwise.
    fn size(&self) -> Option<u64> {
        None
    }
}

/// How a file's bytes go into the message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    /// Base64 in lines of 76 characters, as LuaSocket's
    /// `mime.encode("base64")` and `mime.wrap()` write it.
    Base64,
    /// Quoted-printable with soft line breaks, lines of 76 characters at most.
    QuotedPrintable,
    /// The bytes as they are.
    EightBit,
}

/// An encoder that takes its input in chunks: the same output whatever the
/// chunks, once `finish` has written what it held back.
pub trait StreamEncoder {
    /// Appends the encoding of `input` to `out`, as far as it is settled.
    fn encode(&mut self, input: &[u8], out: &mut Vec<u8>);
    /// Appends the rest, at the end of the input.
    fn finish(&mut self, out: &mut Vec<u8>);
}

impl Encoding {
    /// The encoding a script names: "base64", "quoted-printable" or "8bit".
    pub fn from_name(name: &[u8]) -> Option<Encoding> {
        match name {
            b"base64" => Some(Encoding::Base64),
            b"quoted-printable" => Some(Encoding::QuotedPrintable),
            b"8bit" => Some(Encoding::EightBit),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodings_are_named_as_in_content_transfer_encoding() {
        assert_eq!(Encoding::from_name(b"base64"), Some(Encoding::Base64));
        assert_eq!(
            Encoding::from_name(b"quoted-printable"),
            Some(Encoding::QuotedPrintable)
        );
        assert_eq!(Encoding::from_name(b"8bit"), Some(Encoding::EightBit));
        assert_eq!(Encoding::from_name(b"BASE64"), None);
        assert_eq!(Encoding::from_name(b"b64"), None);
    }
}
