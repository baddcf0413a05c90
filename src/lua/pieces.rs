//! The composed message as a userdata: its pieces, in order, for whichever
//! side sends it.
//!
//! Lua's message source (`lua/socket/smtp/message_source.lua`) takes them
//! one at a time with `next()`: a string to pass on, a body source function
//! to drain, or nil at the end. The native send path takes them directly,
//! in Rust, with [`MessagePieces::next_piece`], so a message's own bytes
//! never cost a Lua call. Body sources are always called from Lua, never
//! across a Rust frame: that keeps error values intact and lets a body
//! source yield where Lua allows.

use mlua::{IntoLuaMulti, MultiValue, UserData, UserDataMethods, Value};

use super::mesgt::LuaBody;
use crate::message::compose::Segment;

pub struct MessagePieces {
    segments: std::vec::IntoIter<Segment<LuaBody>>,
    /// Set once the end has been handed out.
    ended: bool,
    /// Set while a body source of this message is being drained by the
    /// native send path, which has the message's place.
    draining: bool,
}

impl MessagePieces {
    pub fn new(segments: Vec<Segment<LuaBody>>) -> MessagePieces {
        MessagePieces {
            segments: segments.into_iter(),
            ended: false,
            draining: false,
        }
    }

    /// The next piece, or `None` at the end.
    pub fn next_piece(&mut self) -> Option<Segment<LuaBody>> {
        let piece = self.segments.next();
        self.ended = piece.is_none();
        piece
    }

    /// Marks a body source handed to Lua as being drained, or done.
    pub fn set_draining(&mut self, draining: bool) {
        self.draining = draining;
    }

    /// Ends the message early: a send of it failed, and later pulls say it
    /// ended, as LuaSocket's source does once its coroutine died.
    fn abandon(&mut self) {
        self.draining = false;
        self.ended = true;
    }
}

impl UserData for MessagePieces {
    fn add_methods<M: UserDataMethods<Self>>(methods: &mut M) {
        // The next piece; at the end nil, then nil, "ended" on later calls;
        // nil, "running" while the native send path drains a body source.
        methods.add_method_mut("next", |lua, this, ()| -> mlua::Result<MultiValue> {
            if this.draining {
                return (Value::Nil, "running").into_lua_multi(lua);
            }
            if this.ended {
                return (Value::Nil, "ended").into_lua_multi(lua);
            }
            let piece = match this.next_piece() {
                Some(Segment::Bytes(bytes)) => Value::String(lua.create_string(bytes)?),
                Some(Segment::Leaf(LuaBody::Text(text))) => Value::String(text),
                Some(Segment::Leaf(LuaBody::Source(source))) => Value::Function(source),
                None => Value::Nil,
            };
            piece.into_lua_multi(lua)
        });
        methods.add_method_mut("abandon", |_, this, ()| {
            this.abandon();
            Ok(())
        });
    }
}
