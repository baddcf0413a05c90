//! `core.attach(path, encoding)`: a file attachment as a userdata over a
//! [`FileSource`]. Lua's source (`lua/socket/smtp/attach.lua`) calls its
//! `pull()`; the native send path takes its chunks directly, in Rust.

use mlua::{IntoLuaMulti, Lua, LuaString, MultiValue, UserData, UserDataMethods, Value};

use crate::attachment::{Encoding, FileSource};

pub struct LuaFileSource(pub FileSource);

impl UserData for LuaFileSource {
    fn add_methods<M: UserDataMethods<Self>>(methods: &mut M) {
        // The next chunk as a string; nil at the end; nil, message when the
        // file cannot be opened or read.
        methods.add_method_mut("pull", |lua, this, ()| -> mlua::Result<MultiValue> {
            match this.0.next_chunk() {
                Ok(Some(chunk)) => lua.create_string(chunk)?.into_lua_multi(lua),
                Ok(None) => Value::Nil.into_lua_multi(lua),
                Err(message) => (Value::Nil, message).into_lua_multi(lua),
            }
        });
    }
}

/// `core.attach(path, encoding)`: the reader, or `nil, problem` for a path
/// that is not UTF-8. The Lua side has checked both arguments' types and
/// the encoding's name.
pub fn attach(lua: &Lua, (path, encoding): (LuaString, LuaString)) -> mlua::Result<MultiValue> {
    let Some(encoding) = Encoding::from_name(&encoding.as_bytes()) else {
        let name = encoding.to_string_lossy();
        return Err(mlua::Error::runtime(format!("unknown encoding \"{name}\"")));
    };
    let Ok(path) = path.to_str() else {
        return (Value::Nil, "bad field 'path' (UTF-8 expected)").into_lua_multi(lua);
    };
    LuaFileSource(FileSource::open(&path, encoding)).into_lua_multi(lua)
}
