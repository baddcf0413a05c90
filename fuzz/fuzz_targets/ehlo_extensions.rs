//! Capabilities::parse agrees with the references (every extension, AUTH's
//! mechanisms, SIZE's limit, and LuaSocket's choice of mechanism); what is
//! offered does not depend on case; a line added at the end withdraws
//! nothing (tests/oracle/ehlo.rs).

#![no_main]

use libfuzzer_sys::fuzz_target;
use luasmtp_fuzz::oracle::ehlo::{check_extensions, WORDS};
use luasmtp_fuzz::{join, Piece};

fuzz_target!(|input: (Vec<Piece>, Vec<Piece>)| {
    let (ext, more) = input;
    check_extensions(&join(&ext, WORDS, 1 << 12), &join(&more, WORDS, 1 << 8));
});
