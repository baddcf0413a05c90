//! DATA as the receiving server sees it: a reference line-end normaliser and
//! a reference dot-unstuffer, both one byte at a time, and the properties of
//! `DotStuffer` checked against them.

use luasmtp::protocol::dot_stuff::{DotStuffer, TERMINATOR};

/// Pieces of text for generators to join besides arbitrary bytes: every
/// kind of line end, dots, blanks, folds and the terminator itself.
pub const PIECES: &[&[u8]] = &[
    b"\r\n",
    b"\r",
    b"\n",
    b".",
    b"..",
    b" ",
    b"\t",
    b"\r\n ",
    b"\n\t",
    b"\r\n.\r\n",
    b"\n.\n",
    b"x",
];

/// Every CRLF, bare CR and bare LF of `data` as one CRLF.
pub fn normalise(data: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(data.len());
    let mut after_cr = false;
    for &byte in data {
        match byte {
            b'\r' => {
                if after_cr {
                    out.push(b'\n');
                }
                out.push(b'\r');
            }
            b'\n' => {
                if !after_cr {
                    out.push(b'\r');
                }
                out.push(b'\n');
            }
            _ => {
                if after_cr {
                    out.push(b'\n');
                }
                out.push(byte);
            }
        }
        after_cr = byte == b'\r';
    }
    if after_cr {
        out.push(b'\n');
    }
    out
}

/// The receiver's side of RFC 5321 §4.5.2: a line that begins with "." loses
/// that first ".". Lines end at CRLF.
pub fn unstuff(wire: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(wire.len());
    let mut line_start = true;
    let mut previous = 0;
    for &byte in wire {
        if !(line_start && byte == b'.') {
            out.push(byte);
        }
        line_start = previous == b'\r' && byte == b'\n';
        previous = byte;
    }
    out
}

/// `data` cut at `cuts` (any order, clamped to its length), through one
/// `DotStuffer` chunk by chunk, then `finish`.
pub fn stuff_in_chunks(data: &[u8], cuts: &[usize]) -> Vec<u8> {
    let mut stuffer = DotStuffer::default();
    let mut out = Vec::new();
    for chunk in cut_at(data, cuts) {
        stuffer.stuff(chunk, &mut out);
    }
    stuffer.finish(&mut out);
    out
}

/// `data` in the chunks that cutting it at `cuts` (clamped, in any order)
/// makes; some may be empty.
pub fn cut_at<'a>(data: &'a [u8], cuts: &[usize]) -> Vec<&'a [u8]> {
    let mut cuts: Vec<usize> = cuts.iter().map(|&cut| cut.min(data.len())).collect();
    cuts.sort_unstable();
    let mut chunks = Vec::new();
    let mut from = 0;
    for cut in cuts.into_iter().chain([data.len()]) {
        chunks.push(&data[from..cut]);
        from = cut;
    }
    chunks
}

/// Panics unless `stuffed`, sent after DATA and followed by the terminator,
/// ends the data only at that terminator, and has only CRLF line ends.
pub fn assert_ends_only_at_terminator(stuffed: &[u8]) {
    for (at, &byte) in stuffed.iter().enumerate() {
        let crlf = match byte {
            b'\r' => stuffed.get(at + 1) == Some(&b'\n'),
            b'\n' => at > 0 && stuffed[at - 1] == b'\r',
            _ => true,
        };
        assert!(
            crlf,
            "bare CR or LF at {at} of \"{}\"",
            stuffed.escape_ascii()
        );
    }
    // The CRLF that ended the DATA command counts: "." alone on the first
    // line ends the data too.
    let wire = [b"\r\n", stuffed, TERMINATOR].concat();
    let first = wire
        .windows(TERMINATOR.len())
        .position(|window| window == TERMINATOR);
    assert_eq!(
        first,
        Some(wire.len() - TERMINATOR.len()),
        "the data ends early: \"{}\"",
        stuffed.escape_ascii()
    );
}

/// The stuffer's properties for `data` cut at `cuts`: the same output as in
/// one chunk; unstuffed, the normalised input; no early end of data.
pub fn check_stuffing(data: &[u8], cuts: &[usize]) {
    let stuffed = stuff_in_chunks(data, cuts);
    assert_eq!(
        stuffed,
        stuff_in_chunks(data, &[]),
        "chunk boundaries changed the output of \"{}\" cut at {cuts:?}",
        data.escape_ascii()
    );
    assert_eq!(
        unstuff(&stuffed),
        normalise(data),
        "unstuffing does not give back the normalised \"{}\"",
        data.escape_ascii()
    );
    assert_ends_only_at_terminator(&stuffed);
}
