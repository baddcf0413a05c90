//! DATA framing: line ends made CRLF, dots stuffed, and the terminator.
//!
//! RFC 5321 §2.3.8 forbids a bare CR or LF in the data, and servers differ
//! on what they make of one: a bare LF before "." is how SMTP smuggling
//! (CVE-2023-51764 and its kin) ends the data early on one server and not
//! on the next. So every bare CR and bare LF becomes CRLF, as Python's
//! smtplib does, and only then is a "." at the start of a line doubled.
//! Data whose line ends are all CRLF goes out byte for byte as LuaSocket's
//! `mime.stuff()` filter sends it.

/// Ends the data. LuaSocket always sends it whole, even after a final CRLF.
pub const TERMINATOR: &[u8] = b"\r\n.\r\n";

/// Where the stuffer stands in the line structure of the data so far.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum At {
    MidLine,
    /// A CR went out last; the LF that completes it is still owed, unless
    /// the data's next byte is that LF.
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
    /// Appends `chunk`, with line ends normalised and dots stuffed, to `out`.
    pub fn stuff(&mut self, chunk: &[u8], out: &mut Vec<u8>) {
        let Some(&last) = chunk.last() else { return };
        out.reserve(chunk.len());
        if self.at == At::AfterCr && chunk[0] != b'\n' {
            out.push(b'\n');
        }
        let mut copied = 0;
        // CR, LF and "." are a few bytes in a hundred of text and of base64
        // lines: memchr skips the bytes between them many at a time.
        for i in memchr::memchr3_iter(b'\r', b'\n', b'.', chunk) {
            match chunk[i] {
                b'.' if self.line_starts_at(chunk, i) => {
                    out.extend_from_slice(&chunk[copied..=i]);
                    out.push(b'.');
                    copied = i + 1;
                }
                b'\n' if !self.cr_before(chunk, i) => {
                    out.extend_from_slice(&chunk[copied..i]);
                    out.push(b'\r');
                    copied = i;
                }
                // A CR that ends the chunk is settled by the next one.
                b'\r' if chunk.get(i + 1).is_some_and(|&next| next != b'\n') => {
                    out.extend_from_slice(&chunk[copied..=i]);
                    out.push(b'\n');
                    copied = i + 1;
                }
                _ => {}
            }
        }
        out.extend_from_slice(&chunk[copied..]);
        self.at = match last {
            b'\r' => At::AfterCr,
            b'\n' => At::LineStart,
            _ => At::MidLine,
        };
    }

    /// Completes a CR that ended the data, then starts over for the next
    /// message. The terminator follows.
    pub fn finish(&mut self, out: &mut Vec<u8>) {
        if self.at == At::AfterCr {
            out.push(b'\n');
        }
        self.at = At::LineStart;
    }

    /// Whether byte `i` of `chunk` begins a line: it follows a CR or an LF
    /// (each of which ends a line once normalised), or the data's start.
    fn line_starts_at(self, chunk: &[u8], i: usize) -> bool {
        match i {
            0 => self.at != At::MidLine,
            _ => matches!(chunk[i - 1], b'\r' | b'\n'),
        }
    }

    /// Whether byte `i` of `chunk` follows a CR.
    fn cr_before(self, chunk: &[u8], i: usize) -> bool {
        match i {
            0 => self.at == At::AfterCr,
            _ => chunk[i - 1] == b'\r',
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The rule written as a one-byte-at-a-time state machine over the whole
    /// data: every bare CR or LF becomes CRLF, then a "." starting a line is
    /// doubled.
    fn reference(chunks: &[&[u8]]) -> Vec<u8> {
        let data = chunks.concat();
        let mut normalised = Vec::new();
        let mut i = 0;
        while i < data.len() {
            match data[i] {
                b'\r' | b'\n' => {
                    normalised.extend_from_slice(b"\r\n");
                    if data[i] == b'\r' && data.get(i + 1) == Some(&b'\n') {
                        i += 1;
                    }
                }
                byte => normalised.push(byte),
            }
            i += 1;
        }
        let mut out = Vec::new();
        let mut line_start = true;
        for &byte in &normalised {
            out.push(byte);
            if byte == b'.' && line_start {
                out.push(b'.');
            }
            line_start = byte == b'\n';
        }
        out
    }

    /// LuaSocket's `mime.stuff()`, which never touches line ends.
    fn luasocket(data: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        let mut state = 2;
        for &byte in data {
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
        stuffer.finish(&mut out);
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
    fn bare_line_feeds_and_carriage_returns_become_crlf_before_stuffing() {
        assert_eq!(
            stuffed(&[b"a\n.b\r.c\n\r.d"]),
            b"a\r\n..b\r\n..c\r\n\r\n..d"
        );
    }

    #[test]
    fn the_smuggling_shapes_cannot_end_the_data() {
        for shape in [
            &b"x\n.\n"[..],
            b"x\n.\r\n",
            b"x\r\n.\n",
            b"x\r.\r",
            b"x\r\n.\r",
        ] {
            let out = stuffed(&[shape]);
            assert!(
                !out.windows(5).any(|w| w == TERMINATOR),
                "{shape:?} gave {out:?}"
            );
        }
    }

    #[test]
    fn a_final_bare_cr_is_completed_before_the_terminator() {
        assert_eq!(stuffed(&[b"a\r"]), b"a\r\n");
        assert_eq!(stuffed(&[b"a\r", b"\n"]), b"a\r\n");
        assert_eq!(stuffed(&[b"a\r", b".", b""]), b"a\r\n..");
    }

    #[test]
    fn crlf_data_is_byte_identical_to_luasockets() {
        let data: &[u8] = b".\r\n..\r\nx.\r\n\r\n.x\r\n...\r\n";
        assert_eq!(stuffed(&[data]), luasocket(data));
    }

    #[test]
    fn line_starts_are_tracked_across_chunks() {
        let cases: &[&[&[u8]]] = &[
            &[b"a\r", b"\n.b"],
            &[b"a\r\n", b".b"],
            &[b"a\r", b"\n", b".", b"."],
            &[b"a\n", b".b"],
            &[b"a\r", b".b"],
            &[b"a\r", b"\r", b"\n"],
            &[b"\r", b"\n", b"\r\n", b"."],
            &[b"", b".", b"", b"\r\n."],
        ];
        for &chunks in cases {
            assert_eq!(stuffed(chunks), reference(chunks), "{chunks:?}");
        }
    }

    #[test]
    fn matches_the_reference_on_every_split_of_tricky_data() {
        let data: &[u8] = b".\r\n..\r\r\n.\n.\r\n\r\n.x.\r\n\n\r\r.\r";
        for cut in 0..=data.len() {
            for cut2 in cut..=data.len() {
                let chunks = [&data[..cut], &data[cut..cut2], &data[cut2..]];
                assert_eq!(stuffed(&chunks), reference(&chunks), "cuts {cut} {cut2}");
            }
        }
    }
}
