//! A body the module reads and encodes itself (a file of `smtp.attach` or
//! `smtp.compose`, an attachment's bytes), as a userdata. Lua's source for
//! it calls `pull()`; the native send path takes its chunks directly, in
//! Rust (see `lua/socket/smtp/natives.lua`).

use mlua::{IntoLuaMulti, MultiValue, UserData, UserDataMethods, Value};

use crate::attachment::ChunkSource;

pub struct LuaChunkSource(pub Box<dyn ChunkSource>);

impl UserData for LuaChunkSource {
    fn add_methods<M: UserDataMethods<Self>>(methods: &mut M) {
        // The next chunk as a string; nil at the end; nil, message when the
        // bytes cannot be had (a file that cannot be opened or read).
        methods.add_method_mut("pull", |lua, this, ()| -> mlua::Result<MultiValue> {
            match this.0.next_chunk() {
                Ok(Some(chunk)) => lua.create_string(chunk)?.into_lua_multi(lua),
                Ok(None) => Value::Nil.into_lua_multi(lua),
                Err(message) => (Value::Nil, message).into_lua_multi(lua),
            }
        });
        // The bytes all its chunks will make, or nil where not known.
        methods.add_method("size", |_, this, ()| Ok(this.0.size()));
    }
}
