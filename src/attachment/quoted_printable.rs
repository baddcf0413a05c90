//! Quoted-printable (RFC 2045), streamed, so that any bytes decode back to
//! exactly themselves:
//!
//! - printable ASCII other than `=` passes as it is; every other byte is
//!   written `=XX`, bare CR and bare LF included (`=0D`, `=0A`);
//! - CRLF in the input is a line break, written as CRLF;
//! - a space or tab is quoted before a line break and at the end, where
//!   transports may strip it;
//! - lines are at most 76 characters: a soft break (`=` CRLF) comes before
//!   a character that would pass the 75th, and an `=XX` is never split;
//! - an input that does not end with a line break ends with a soft break,
//!   so that every line of the output ends with CRLF.
//!
//! These are the rules of LuaSocket's `mime.encode("quoted-printable")`
//! chained with `mime.wrap("quoted-printable")`, and the bytes are the same
//! but at the very end, where LuaSocket also quotes a space or tab that is
//! one of the last two bytes, and, when the last line already holds 73
//! characters or more, adds a line holding only a soft break after the
//! bytes it held back. Both decode to the same bytes.

use super::StreamEncoder;

/// Characters a line may hold before the `=` of a soft break.
const LINE_CHARACTERS: usize = 75;
const CRLF: &[u8] = b"\r\n";
const SOFT_BREAK: &[u8] = b"=\r\n";
const HEX: &[u8; 16] = b"0123456789ABCDEF";

/// Input bytes whose encoding waits for the bytes after them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
enum Held {
    #[default]
    Nothing,
    /// A space or tab: quoted if a line break or the end follows.
    Blank(u8),
    /// A CR: a line break if an LF follows.
    CarriageReturn,
    /// A space or tab, then a CR.
    BlankThenCarriageReturn(u8),
}

#[derive(Debug, Default)]
pub struct QuotedPrintable {
    /// Characters on the output line so far.
    line_length: usize,
    held: Held,
}

/// Bytes written as they are: printable ASCII but `=`.
fn is_plain(byte: u8) -> bool {
    matches!(byte, 33..=60 | 62..=126)
}

impl StreamEncoder for QuotedPrintable {
    /// Appends the encoding of `input` to `out`, holding back the few bytes
    /// whose encoding depends on what comes next.
    fn encode(&mut self, input: &[u8], out: &mut Vec<u8>) {
        let mut rest = input;
        while let Some((&byte, after)) = rest.split_first() {
            if self.held == Held::Nothing && is_plain(byte) {
                let run = rest
                    .iter()
                    .position(|&b| !is_plain(b))
                    .unwrap_or(rest.len());
                self.plain_run(&rest[..run], out);
                rest = &rest[run..];
            } else {
                self.byte(byte, out);
                rest = after;
            }
        }
    }

    /// Appends what the held bytes become at the end, and the final soft
    /// break when the last line has characters on it.
    fn finish(&mut self, out: &mut Vec<u8>) {
        match std::mem::take(&mut self.held) {
            Held::Nothing => {}
            Held::Blank(blank) => self.quoted(blank, out),
            Held::CarriageReturn => self.quoted(b'\r', out),
            Held::BlankThenCarriageReturn(blank) => {
                self.quoted(blank, out);
                self.quoted(b'\r', out);
            }
        }
        if self.line_length > 0 {
            out.extend_from_slice(SOFT_BREAK);
            self.line_length = 0;
        }
    }
}

impl QuotedPrintable {
    fn byte(&mut self, byte: u8, out: &mut Vec<u8>) {
        // First what the held bytes become, now that the next one is known.
        match (self.held, byte) {
            (Held::CarriageReturn, b'\n') => {
                self.held = Held::Nothing;
                return self.hard_break(out);
            }
            (Held::BlankThenCarriageReturn(blank), b'\n') => {
                self.held = Held::Nothing;
                self.quoted(blank, out);
                return self.hard_break(out);
            }
            (Held::Blank(blank), b'\r') => {
                self.held = Held::BlankThenCarriageReturn(blank);
                return;
            }
            (Held::Blank(blank), _) => self.plain_run(&[blank], out),
            (Held::CarriageReturn, _) => self.quoted(b'\r', out),
            (Held::BlankThenCarriageReturn(blank), _) => {
                self.plain_run(&[blank], out);
                self.quoted(b'\r', out);
            }
            (Held::Nothing, _) => {}
        }
        self.held = match byte {
            b' ' | b'\t' => Held::Blank(byte),
            b'\r' => Held::CarriageReturn,
            _ if is_plain(byte) => {
                self.plain_run(&[byte], out);
                Held::Nothing
            }
            _ => {
                self.quoted(byte, out);
                Held::Nothing
            }
        };
    }

    /// Bytes written as they are, with soft breaks wherever a line fills.
    fn plain_run(&mut self, mut run: &[u8], out: &mut Vec<u8>) {
        while !run.is_empty() {
            if self.line_length == LINE_CHARACTERS {
                self.soft_break(out);
            }
            let taken = run.len().min(LINE_CHARACTERS - self.line_length);
            out.extend_from_slice(&run[..taken]);
            self.line_length += taken;
            run = &run[taken..];
        }
    }

    /// `=XX`, on the next line if it does not fit on this one.
    fn quoted(&mut self, byte: u8, out: &mut Vec<u8>) {
        let escape = [
            b'=',
            HEX[usize::from(byte >> 4)],
            HEX[usize::from(byte & 15)],
        ];
        if self.line_length + escape.len() > LINE_CHARACTERS {
            self.soft_break(out);
        }
        out.extend_from_slice(&escape);
        self.line_length += escape.len();
    }

    fn soft_break(&mut self, out: &mut Vec<u8>) {
        out.extend_from_slice(SOFT_BREAK);
        self.line_length = 0;
    }

    fn hard_break(&mut self, out: &mut Vec<u8>) {
        out.extend_from_slice(CRLF);
        self.line_length = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn streamed(chunks: &[&[u8]]) -> Vec<u8> {
        let mut encoder = QuotedPrintable::default();
        let mut out = Vec::new();
        for chunk in chunks {
            encoder.encode(chunk, &mut out);
        }
        encoder.finish(&mut out);
        out
    }

    fn encoded(input: &[u8]) -> Vec<u8> {
        streamed(&[input])
    }

    /// A strict decoder: soft breaks vanish, CRLF stays, `=XX` must be
    /// uppercase hex, and nothing else may follow an `=`.
    #[expect(
        clippy::cast_possible_truncation,
        reason = "a position in HEX is below 16"
    )]
    fn decoded(encoded: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        let mut i = 0;
        while i < encoded.len() {
            if encoded[i] != b'=' {
                out.push(encoded[i]);
                i += 1;
                continue;
            }
            let next = &encoded[i + 1..i + 3];
            if next == CRLF {
                i += 3;
                continue;
            }
            let digit = |c: u8| HEX.iter().position(|&h| h == c).expect("hex digit") as u8;
            out.push(digit(next[0]) << 4 | digit(next[1]));
            i += 3;
        }
        out
    }

    fn assert_well_formed(encoded: &[u8]) {
        assert!(encoded.is_empty() || encoded.ends_with(CRLF), "{encoded:?}");
        for line in encoded.split(|&b| b == b'\n') {
            let line = line.strip_suffix(b"\r").unwrap_or(line);
            assert!(line.len() <= 76, "line of {}: {line:?}", line.len());
            assert!(!line.ends_with(b" ") && !line.ends_with(b"\t"), "{line:?}");
            assert!(!line.contains(&b'\r'), "bare CR in {line:?}");
        }
    }

    fn assert_round_trip(input: &[u8]) {
        let out = encoded(input);
        assert_well_formed(&out);
        assert_eq!(
            decoded(&out),
            input,
            "encoded as {:?}",
            String::from_utf8_lossy(&out)
        );
    }

    /// Pseudo-random bytes, weighted towards the ones with rules of their own.
    #[expect(
        clippy::cast_possible_truncation,
        reason = "the LCG's low byte is wanted"
    )]
    fn tricky_bytes(length: usize, seed: u64) -> Vec<u8> {
        let mut state = seed;
        (0..length)
            .map(|_| {
                state = state
                    .wrapping_mul(6_364_136_223_846_793_005)
                    .wrapping_add(1_442_695_040_888_963_407);
                let pick = (state >> 33) as u8;
                match pick % 8 {
                    0 => b'\r',
                    1 => b'\n',
                    2 => b' ',
                    3 => b'\t',
                    4 => b'=',
                    5 => pick,
                    _ => b'a' + pick % 26,
                }
            })
            .collect()
    }

    #[test]
    fn the_same_bytes_as_luasocket_for_text() {
        // Run through LuaSocket's mime.encode("quoted-printable") and
        // mime.wrap("quoted-printable").
        let input = [&b"a b \r\nc\rd\ne"[..], &[b'x'; 80], b"= "].concat();
        let expected = [
            &b"a b=20\r\nc=0Dd=0Ae"[..],
            &[b'x'; 66],
            b"=\r\n",
            &[b'x'; 14],
            b"=3D=20=\r\n",
        ]
        .concat();
        assert_eq!(encoded(&input), expected);
    }

    #[test]
    fn line_breaks_stay_and_bare_ones_are_quoted() {
        assert_eq!(encoded(b"a\r\nb\r\n"), b"a\r\nb\r\n");
        assert_eq!(encoded(b"a\nb\rc"), b"a=0Ab=0Dc=\r\n");
        assert_eq!(encoded(b"\r\r\n\n"), b"=0D\r\n=0A=\r\n");
    }

    #[test]
    fn blanks_are_quoted_only_before_a_line_break_or_the_end() {
        assert_eq!(encoded(b"a b\t\r\nc"), b"a b=09\r\nc=\r\n");
        assert_eq!(encoded(b"a  \r\n"), b"a =20\r\n");
        assert_eq!(encoded(b"a \rb"), b"a =0Db=\r\n");
        assert_eq!(encoded(b"a \r"), b"a=20=0D=\r\n");
        assert_eq!(encoded(b"\t"), b"=09=\r\n");
    }

    #[test]
    fn an_empty_input_gives_nothing() {
        assert_eq!(encoded(b""), b"");
    }

    #[test]
    fn long_lines_are_broken_without_splitting_an_escape() {
        let out = encoded(&[b'x'; 75]);
        assert_eq!(out, [&[b'x'; 75][..], b"=\r\n"].concat());
        let out = encoded(&[&[b'x'; 74][..], b"=y"].concat());
        assert_eq!(out, [&[b'x'; 74][..], b"=\r\n=3Dy=\r\n"].concat());
        assert_round_trip(&[b'x'; 1000]);
        assert_round_trip(&[b'='; 1000]);
    }

    #[test]
    fn any_bytes_come_back_whole() {
        let every_byte: Vec<u8> = (0..=255).collect();
        assert_round_trip(&every_byte);
        for seed in 0..200 {
            assert_round_trip(&tricky_bytes(300, seed));
        }
    }

    #[test]
    fn the_chunks_do_not_matter() {
        let input = tricky_bytes(400, 7);
        let expected = encoded(&input);
        for size in 1..=5 {
            let chunks: Vec<&[u8]> = input.chunks(size).collect();
            assert_eq!(streamed(&chunks), expected, "chunks of {size}");
        }
        for cut in 0..=input.len() {
            let (first, second) = input.split_at(cut);
            assert_eq!(streamed(&[first, b"", second]), expected, "cut at {cut}");
        }
    }
}
