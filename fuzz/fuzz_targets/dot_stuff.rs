//! DotStuffer: unstuffed, its output is the CRLF-normalised input, whatever
//! the chunks; the data never ends before the terminator
//! (tests/oracle/data.rs).

#![no_main]

use libfuzzer_sys::fuzz_target;
use luasmtp_fuzz::oracle::data::{check_stuffing, PIECES};
use luasmtp_fuzz::{join, Piece};

fuzz_target!(|input: (Vec<Piece>, Vec<u16>)| {
    let (pieces, cuts) = input;
    let cuts: Vec<usize> = cuts.into_iter().map(usize::from).collect();
    check_stuffing(&join(&pieces, PIECES, 1 << 12), &cuts);
});
