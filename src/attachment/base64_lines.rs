//! Base64 in lines of 76 characters, each ended by CRLF, streamed: whatever
//! the chunks, the bytes are those of LuaSocket's `mime.encode("base64")`
//! chained with `mime.wrap()` over the whole input. The last line is
//! shorter (and padded) when the input is not a multiple of 57 bytes; an
//! empty input gives nothing at all, not even a CRLF.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;

use super::StreamEncoder;

/// The bytes that `length` input bytes make: base64 lines of 76
/// characters, each ended by CRLF, the last one shorter.
pub fn encoded_size(length: u64) -> u64 {
    let characters = length.div_ceil(3) * 4;
    characters + characters.div_ceil(LINE_CHARACTERS as u64) * CRLF.len() as u64
}

/// Input bytes of a full line: 57 bytes make 76 characters.
pub const LINE_INPUT: usize = 57;
const LINE_CHARACTERS: usize = 76;
const CRLF: &[u8] = b"\r\n";
const LINE_OUTPUT: usize = LINE_CHARACTERS + CRLF.len();

#[derive(Debug, Default)]
pub struct Base64Lines {
    /// The start of the next line, fewer than [`LINE_INPUT`] bytes, waiting
    /// for the rest of it.
    partial: Vec<u8>,
}

impl StreamEncoder for Base64Lines {
    /// Appends the lines that `input` completes to `out`.
    fn encode(&mut self, mut input: &[u8], out: &mut Vec<u8>) {
        if !self.partial.is_empty() {
            let taken = input.len().min(LINE_INPUT - self.partial.len());
            self.partial.extend_from_slice(&input[..taken]);
            input = &input[taken..];
            if self.partial.len() < LINE_INPUT {
                return;
            }
            encode_lines(&self.partial, out);
            self.partial.clear();
        }
        let whole = input.len() - input.len() % LINE_INPUT;
        encode_lines(&input[..whole], out);
        self.partial.extend_from_slice(&input[whole..]);
    }

    /// Appends the last, short line, if there is one.
    fn finish(&mut self, out: &mut Vec<u8>) {
        if !self.partial.is_empty() {
            out.extend_from_slice(STANDARD.encode(&self.partial).as_bytes());
            out.extend_from_slice(CRLF);
            self.partial.clear();
        }
    }
}

/// Appends full lines; `input` is a whole number of them. One encoder call
/// per line writes straight into place: as fast as encoding the block in
/// one call and copying it out line by line, without a scratch buffer.
fn encode_lines(input: &[u8], out: &mut Vec<u8>) {
    let start = out.len();
    out.resize(start + input.len() / LINE_INPUT * LINE_OUTPUT, 0);
    let lines = out[start..].chunks_exact_mut(LINE_OUTPUT);
    for (line_input, line) in input.chunks_exact(LINE_INPUT).zip(lines) {
        let (characters, line_end) = line.split_at_mut(LINE_CHARACTERS);
        // 57 bytes always make exactly 76 characters: the slice fits.
        let written = STANDARD.encode_slice(line_input, characters);
        debug_assert_eq!(written, Ok(LINE_CHARACTERS));
        line_end.copy_from_slice(CRLF);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One-shot encoding, then a CRLF after every 76 characters and after
    /// a shorter last line: what `mime.wrap()` makes of `mime.b64`'s output.
    fn reference(input: &[u8]) -> Vec<u8> {
        let encoded = STANDARD.encode(input);
        let mut out = Vec::new();
        for line in encoded.as_bytes().chunks(LINE_CHARACTERS) {
            out.extend_from_slice(line);
            out.extend_from_slice(CRLF);
        }
        out
    }

    fn streamed(chunks: &[&[u8]]) -> Vec<u8> {
        let mut encoder = Base64Lines::default();
        let mut out = Vec::new();
        for chunk in chunks {
            encoder.encode(chunk, &mut out);
        }
        encoder.finish(&mut out);
        out
    }

    #[expect(
        clippy::cast_possible_truncation,
        reason = "test data: the low byte is wanted"
    )]
    fn bytes(length: usize) -> Vec<u8> {
        (0..length).map(|i| (i * 7919 + 13) as u8).collect()
    }

    #[test]
    fn an_empty_input_gives_nothing() {
        assert_eq!(streamed(&[]), b"");
        assert_eq!(streamed(&[b"", b""]), b"");
    }

    #[test]
    fn lines_are_76_characters_and_each_ends_with_crlf() {
        assert_eq!(streamed(&[b"x"]), b"eA==\r\n");
        let out = streamed(&[&[b'x'; 58]]);
        let expected = [&b"eHh4".repeat(19)[..], b"\r\neA==\r\n"].concat();
        assert_eq!(out, expected);
    }

    #[test]
    fn one_shot_encoding_for_every_length_around_the_line_boundaries() {
        for length in 0..=200 {
            let input = bytes(length);
            assert_eq!(streamed(&[&input]), reference(&input), "length {length}");
        }
    }

    #[test]
    fn the_chunks_do_not_matter() {
        let input = bytes(400);
        let expected = reference(&input);
        for size in [1, 2, 3, 56, 57, 58, 113, 114, 399] {
            let chunks: Vec<&[u8]> = input.chunks(size).collect();
            assert_eq!(streamed(&chunks), expected, "chunks of {size}");
        }
        for cut in 0..=input.len() {
            let (first, second) = input.split_at(cut);
            assert_eq!(streamed(&[first, b"", second]), expected, "cut at {cut}");
        }
    }
}
