//! `core.attach(path, encoding)`: a file attachment as a
//! [`LuaChunkSource`] over a [`FileSource`], for
//! `lua/socket/smtp/attach.lua`.

use mlua::{IntoLuaMulti, Lua, LuaString, MultiValue, Value};

use super::chunk_source::LuaChunkSource;
use crate::attachment::{Encoding, FileSource};

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
    LuaChunkSource(Box::new(FileSource::open(&path, encoding))).into_lua_multi(lua)
}
