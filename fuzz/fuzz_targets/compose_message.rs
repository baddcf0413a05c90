//! compose: a tree is refused exactly when a field cannot be written; what
//! arrives after DATA stuffing holds, in every header block, exactly the
//! fields the tree gave (tests/oracle/message.rs).

#![no_main]

use libfuzzer_sys::fuzz_target;
use luasmtp_fuzz::oracle::data::PIECES;
use luasmtp_fuzz::oracle::message::check_layout;
use luasmtp_fuzz::PartInput;

/// Deep enough for nested multiparts, shallow enough for the stack.
const DEPTH: usize = 8;

fuzz_target!(|root: PartInput| {
    check_layout(&root.spec(PIECES, DEPTH));
});
