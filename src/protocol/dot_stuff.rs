//! DATA framing: dot-stuffing, byte for byte as LuaSocket's `mime.stuff()`
//! filter does it, and the terminator LuaSocket sends after the message.
//!
//! A "." is doubled when it follows CRLF, or starts the data. Bare CR and
//! bare LF are passed on unchanged, as LuaSocket passes them.

/// Ends the data. LuaSocket always sends it whole, even after a final CRLF.
pub const TERMINATOR: &[u8] = b"\r\n.\r\n";

/// Where the stuffer stands in the line structure of the data so far.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum At {
    MidLine,
    AfterCr,
    LineStart,
}

#[derive(Debug, Clone, Copy)]
pub struct DotStuffer {
    at: At,
}

impl Default for DotStuffer {
    /// The data starts at the start of a line.
    fn default() -> Self {
        DotStuffer { at: At::LineStart }
    }
}

impl DotStuffer {
    /// Appends `chunk`, stuffed, to `out`.
    pub fn stuff(&mut self, chunk: &[u8], out: &mut Vec<u8>) {
        let Some(&last) = chunk.last() else { return };
        out.reserve(chunk.len());
        let mut copied = 0;
        // Dots are rare in text and absent from base64: memchr skips the
        // bytes between them many at a time.
        for i in memchr::memchr_iter(b'.', chunk) {
            if self.line_starts_at(chunk, i) {
                out.extend_from_slice(&chunk[copied..=i]);
                out.push(b'.');
                copied = i + 1;
            }
        }
        out.extend_from_slice(&chunk[copied..]);
        let before_last = chunk.len().checked_sub(2).map(|i| chunk[i]);
        self.at = match last {
            b'\r' => At::AfterCr,
            b'\n' if before_last == Some(b'\r') => At::LineStart,
            b'\n' if before_last.is_none() && self.at == At::AfterCr => At::LineStart,
            _ => At::MidLine,
        };
    }

    /// Whether byte `i` of `chunk` begins a line, given where the previous
    /// chunk left off.
    fn line_starts_at(&self, chunk: &[u8], i: usize) -> bool {
        match i {
            0 => self.at == At::LineStart,
            1 => chunk[0] == b'\n' && self.at == At::AfterCr,
            _ => chunk[i - 2] == b'\r' && chunk[i - 1] == b'\n',
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// LuaSocket's filter, written as its one-byte-at-a-time state machine.
    fn reference(chunks: &[&[u8]]) -> Vec<u8> {
        let mut out = Vec::new();
        let mut state = 2;
        for &byte in chunks.concat().iter() {
            out.push(byte);
            state = match byte {
                b'\r' => 1,
                b'\n' if state == 1 => 2,
                b'.' if state == 2 => {
                    out.push(b'.');
                    0
                }
                _ => 0,
            };
        }
        out
    }

    fn stuffed(chunks: &[&[u8]]) -> Vec<u8> {
        let mut stuffer = DotStuffer::default();
        let mut out = Vec::new();
        for chunk in chunks {
            stuffer.stuff(chunk, &mut out);
        }
        out
    }

    #[test]
    fn dots_at_line_starts_are_doubled() {
        assert_eq!(
            stuffed(&[b".a\r\n.b\r\nc.d\r\n..\r\n"]),
            b"..a\r\n..b\r\nc.d\r\n...\r\n"
        );
    }

    #[test]
    fn bare_line_feeds_and_carriage_returns_do_not_start_lines() {
        assert_eq!(stuffed(&[b"a\n.b\r.c\n\r.d"]), b"a\n.b\r.c\n\r.d");
    }

    #[test]
    fn line_starts_are_tracked_across_chunks() {
        let cases: &[&[&[u8]]] = &[
            &[b"a\r", b"\n.b"],
            &[b"a\r\n", b".b"],
            &[b"a\r", b"\n", b".", b"."],
            &[b"a\n", b".b"],
            &[b"\r", b"\n", b"\r\n", b"."],
            &[b"", b".", b"", b"\r\n."],
        ];
        for &chunks in cases {
            assert_eq!(stuffed(chunks), reference(chunks), "{chunks:?}");
        }
    }

    #[test]
    fn matches_the_reference_on_every_split_of_tricky_data() {
        let data: &[u8] = b".\r\n..\r\r\n.\n.\r\n\r\n.x.\r\n";
        for cut in 0..=data.len() {
            for cut2 in cut..=data.len() {
                let chunks = [&data[..cut], &data[cut..cut2], &data[cut2..]];
                assert_eq!(stuffed(&chunks), reference(&chunks), "cuts {cut} {cut2}");
            }
        }
    }
}
