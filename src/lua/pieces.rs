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

use mlua::{IntoLuaMulti, MultiValue, Table, UserData, UserDataMethods, Value};

use super::chunk_source::LuaChunkSource;
use super::mesgt::LuaBody;
use crate::message::layout::Segment;
use crate::protocol::dot_stuff::TERMINATOR;

pub struct MessagePieces {
    segments: std::vec::IntoIter<Segment<LuaBody>>,
    /// Why the message cannot be sent, told at the first pull.
    failure: Option<String>,
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
            failure: None,
            ended: false,
            draining: false,
        }
    }

    /// A message that fails with `failure` when first pulled: a source
    /// reports a run-time problem as `nil, err`, and nothing of the message
    /// has gone out by then.
    pub fn failed(failure: String) -> MessagePieces {
        MessagePieces {
            failure: Some(failure),
            ..MessagePieces::new(Vec::new())
        }
    }

    /// The next piece, `None` at the end, or the message's failure.
    pub fn next_piece(&mut self) -> Result<Option<Segment<LuaBody>>, String> {
        if let Some(failure) = self.failure.take() {
            self.ended = true;
            return Err(failure);
        }
        let piece = self.segments.next();
        self.ended = piece.is_none();
        Ok(piece)
    }

    /// Marks a body source handed to Lua as being drained, or done.
    /// The message's size in bytes as the server receives it, when every
    /// piece's is known: the module's own sources in `readers` know theirs;
    /// a script's do not. The end of the data adds a CRLF to the last line.
    fn size(&self, readers: &Table) -> mlua::Result<Option<u64>> {
        let mut size = (TERMINATOR.len() - b".\r\n".len()) as u64;
        for segment in self.segments.as_slice() {
            size += match segment {
                Segment::Bytes(bytes) => bytes.len() as u64,
                Segment::Leaf(LuaBody::Text(text)) => text.as_bytes().len() as u64,
                Segment::Leaf(LuaBody::Source(source)) => match readers.raw_get::<Value>(source)? {
                    Value::UserData(reader) if reader.is::<LuaChunkSource>() => {
                        match reader.borrow::<LuaChunkSource>()?.0.size() {
                            Some(size) => size,
                            None => return Ok(None),
                        }
                    }
                    _ => return Ok(None),
                },
            };
        }
        Ok(Some(size))
    }

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
        // nil, "running" while the native send path drains a body source;
        // nil, "failed", why for a message that cannot be sent.
        methods.add_method_mut("next", |lua, this, ()| -> mlua::Result<MultiValue> {
            if this.draining {
                return (Value::Nil, "running").into_lua_multi(lua);
            }
            if this.ended {
                return (Value::Nil, "ended").into_lua_multi(lua);
            }
            let piece = match this.next_piece() {
                Ok(Some(Segment::Bytes(bytes))) => Value::String(lua.create_string(bytes)?),
                Ok(Some(Segment::Leaf(LuaBody::Text(text)))) => Value::String(text),
                Ok(Some(Segment::Leaf(LuaBody::Source(source)))) => Value::Function(source),
                Ok(None) => Value::Nil,
                Err(why) => return (Value::Nil, "failed", why).into_lua_multi(lua),
            };
            piece.into_lua_multi(lua)
        });
        methods.add_method("size", |_, this, readers: Table| {
            if this.failure.is_some() || this.ended {
                return Ok(None);
            }
            this.size(&readers)
        });
        methods.add_method_mut("abandon", |_, this, ()| {
            this.abandon();
            Ok(())
        });
    }
}
