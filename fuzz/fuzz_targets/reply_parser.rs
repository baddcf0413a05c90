//! ReplyReader, fed in any pieces and polled at any time, returns what the
//! reference reads from all the bytes at once (tests/oracle/reply.rs).

#![no_main]

use libfuzzer_sys::fuzz_target;
use luasmtp_fuzz::oracle::data::PIECES;
use luasmtp_fuzz::oracle::reply::check_ops;
use luasmtp_fuzz::{reply_ops, ReplyStep};

/// Enough for a reply past MAX_REPLY (256 KiB).
const LIMIT: usize = 320 * 1024;

fuzz_target!(|steps: Vec<ReplyStep>| {
    check_ops(&reply_ops(&steps, PIECES, LIMIT));
});
