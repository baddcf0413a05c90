//! Server replies: fed in any pieces and polled at any time, the reader
//! returns what the reference reads from all the bytes at once.

use luasmtp::protocol::reply::{MAX_LINE, MAX_REPLY};
use proptest::prelude::*;
use proptest::sample::{select, Index};

use crate::generators::text;
use crate::oracle::data::PIECES;
use crate::oracle::reply::{check_ops, Op};

/// A line's bytes without its line end: mostly a code, a separator and some
/// text; now and then a run of "x" or CR around the length limit.
fn line() -> impl Strategy<Value = Vec<u8>> {
    let code = prop_oneof![
        3 => select(vec![&b"250"[..], b"220", b"251"]).prop_map(<[u8]>::to_vec),
        1 => "[0-9a-z]{0,3}".prop_map(String::into_bytes),
    ];
    let separator = select(vec![&b"-"[..], b" ", b""]);
    let run = prop_oneof![
        15 => Just(Vec::new()),
        1 => (select(vec![b'x', b'\r']), (MAX_LINE - 3)..=(MAX_LINE + 3))
            .prop_map(|(byte, length)| vec![byte; length]),
    ];
    (code, separator, text(PIECES, 4), run)
        .prop_map(|(code, separator, text, run)| [&code[..], separator, &text, &run].concat())
}

/// Pushes a line with some line end in two pieces or as a line, each
/// maybe polled after; or clears the reader.
fn steps() -> impl Strategy<Value = Vec<Op>> {
    let end = select(vec![&b"\r\n"[..], b"\n", b""]);
    let step = prop_oneof![
        8 => (line(), end, any::<Index>(), any::<(bool, bool)>()).prop_map(
            |(line, end, cut, (poll_between, poll_after))| {
                let bytes = [&line[..], end].concat();
                let (head, tail) = bytes.split_at(cut.index(bytes.len() + 1));
                let mut ops = vec![Op::Push(head.to_vec())];
                ops.extend(poll_between.then_some(Op::Poll));
                ops.push(Op::Push(tail.to_vec()));
                ops.extend(poll_after.then_some(Op::Poll));
                ops
            }
        ),
        2 => line().prop_map(|line| vec![Op::PushLine(line), Op::Poll]),
        1 => Just(vec![Op::Clear]),
    ];
    prop::collection::vec(step, 0..12).prop_map(|steps| {
        let mut ops = steps.concat();
        ops.push(Op::Poll);
        ops
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn the_reader_returns_what_the_reference_reads(ops in steps()) {
        check_ops(&ops);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(16))]

    #[test]
    fn multi_line_replies_around_the_reply_limit(
        lines in (MAX_REPLY / MAX_LINE - 2)..=(MAX_REPLY / MAX_LINE + 1),
        length in (MAX_LINE - 8)..=MAX_LINE,
        cut in any::<Index>(),
    ) {
        let mut bytes = b"250-first\r\n".to_vec();
        for _ in 0..lines {
            bytes.extend_from_slice(b"250-");
            bytes.resize(bytes.len() + length - 4, b'y');
            bytes.extend_from_slice(b"\r\n");
        }
        bytes.extend_from_slice(b"250 last\r\n");
        let (head, tail) = bytes.split_at(cut.index(bytes.len() + 1));
        check_ops(&[Op::Push(head.to_vec()), Op::Poll, Op::Push(tail.to_vec()), Op::Poll]);
    }
}
