//! The DKIM signer: whatever the chunks, the same field; the bytes given
//! back normalised as DATA sends them; the reference body hash
//! (tests/oracle/dkim.rs).

#![no_main]

use libfuzzer_sys::fuzz_target;
use luasmtp_fuzz::oracle::data::PIECES;
use luasmtp_fuzz::oracle::dkim::check_signing;
use luasmtp_fuzz::{join, Piece};

fuzz_target!(|input: (Vec<Piece>, Vec<u16>)| {
    let (pieces, cuts) = input;
    let cuts: Vec<usize> = cuts.into_iter().map(usize::from).collect();
    check_signing(&join(&pieces, PIECES, 1 << 12), &cuts);
});
