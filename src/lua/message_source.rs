//! The LTN12 source that `smtp.message` returns: a Lua function that hands
//! out the composed segments in order, pulling a body source only while it is
//! itself being pulled, so a body of any size passes through in chunks.

use std::cell::RefCell;

use mlua::{Function, Lua, MultiValue, Value};

use super::mesgt::LuaBody;
use super::values::is_truthy;
use crate::message::compose::Segment;

/// What LuaSocket's coroutine-based source says when pulled after its end.
pub const ENDED: &str = "cannot resume dead coroutine";
/// What it says when a body source pulls the message source it belongs to.
pub const RUNNING: &str = "cannot resume non-suspended coroutine";

struct Stream {
    segments: std::vec::IntoIter<Segment<LuaBody>>,
    /// The body source being drained, if any.
    draining: Option<Function>,
    ended: bool,
}

/// The message source over `segments`. Body sources are called through
/// Lua's `pcall`, so an error they raise comes back as `nil, err` with the
/// error value untouched, as it does from LuaSocket's coroutine.
pub fn create(
    lua: &Lua,
    segments: Vec<Segment<LuaBody>>,
    pcall: Function,
) -> mlua::Result<Function> {
    let stream = RefCell::new(Stream {
        segments: segments.into_iter(),
        draining: None,
        ended: false,
    });
    lua.create_function(move |lua, ()| match stream.try_borrow_mut() {
        Ok(mut stream) => stream.pull(lua, &pcall),
        Err(_) => Ok((Value::Nil, Value::String(lua.create_string(RUNNING)?))),
    })
}

impl Stream {
    /// The next chunk, `nil` at the end, or `nil, err`.
    fn pull(&mut self, lua: &Lua, pcall: &Function) -> mlua::Result<(Value, Value)> {
        if self.ended {
            return Ok((Value::Nil, Value::String(lua.create_string(ENDED)?)));
        }
        loop {
            if let Some(source) = &self.draining {
                let mut results = pcall.call::<MultiValue>(source)?.into_iter();
                let succeeded = results.next().is_some_and(|ok| is_truthy(&ok));
                let chunk = results.next().unwrap_or(Value::Nil);
                let error = results.next().unwrap_or(Value::Nil);
                if !succeeded {
                    self.end();
                    return Ok((Value::Nil, chunk));
                }
                if is_truthy(&error) {
                    self.end();
                    return Ok((Value::Nil, error));
                }
                if is_truthy(&chunk) {
                    return Ok((chunk, Value::Nil));
                }
                self.draining = None;
                continue;
            }
            match self.segments.next() {
                Some(Segment::Bytes(bytes)) => {
                    return Ok((Value::String(lua.create_string(bytes)?), Value::Nil))
                }
                Some(Segment::Leaf(LuaBody::Text(text))) => {
                    return Ok((Value::String(text), Value::Nil))
                }
                Some(Segment::Leaf(LuaBody::Source(source))) => self.draining = Some(source),
                None => {
                    self.end();
                    return Ok((Value::Nil, Value::Nil));
                }
            }
        }
    }

    /// Drops what is left, releasing the Lua values it holds.
    fn end(&mut self) {
        self.ended = true;
        self.draining = None;
        self.segments = Vec::new().into_iter();
    }
}
