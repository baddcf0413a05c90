//! The composed message, handed to Lua one piece at a time.
//!
//! `core.message` returns a function that gives the next piece on each call:
//! a string to send as it is, a body source function for the Lua side to
//! drain, or nil at the end. The message source the script sees is a Lua
//! closure around it (`lua/socket/smtp.lua`), so body sources are called from
//! Lua, never across a Rust frame: that keeps a chunk's trip free of C calls,
//! keeps error values intact, and lets a body source yield where Lua allows.

use mlua::{Function, Lua, Value};

use super::mesgt::LuaBody;
use crate::message::compose::Segment;

/// The `next_piece` function over `segments`.
pub fn create(lua: &Lua, segments: Vec<Segment<LuaBody>>) -> mlua::Result<Function> {
    let mut segments = segments.into_iter();
    lua.create_function_mut(move |lua, ()| {
        Ok(match segments.next() {
            Some(Segment::Bytes(bytes)) => Value::String(lua.create_string(bytes)?),
            Some(Segment::Leaf(LuaBody::Text(text))) => Value::String(text),
            Some(Segment::Leaf(LuaBody::Source(source))) => Value::Function(source),
            None => Value::Nil,
        })
    })
}
