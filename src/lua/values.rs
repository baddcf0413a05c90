//! Small facts about Lua values that the glue needs in several places.

use mlua::{Lua, LuaString, Table, Value};

use super::mesgt::ReadError;

type Read<T> = Result<T, ReadError>;

/// The name Lua's own `type()` gives a value, for error messages.
pub fn lua_type(value: &Value) -> &'static str {
    match value {
        Value::Integer(_) | Value::Number(_) => "number",
        Value::LightUserData(_) | Value::UserData(_) | Value::Error(_) | Value::Other(_) => {
            "userdata"
        }
        other => other.type_name(),
    }
}

/// Lua truthiness: everything but nil and false.
pub fn is_truthy(value: &Value) -> bool {
    !matches!(value, Value::Nil | Value::Boolean(false))
}

/// Strings and numbers, the values Lua's `..` accepts.
pub fn is_concatenable(value: &Value) -> bool {
    matches!(
        value,
        Value::String(_) | Value::Integer(_) | Value::Number(_)
    )
}

pub fn misuse<T>(message: String) -> Read<T> {
    Err(ReadError::Misuse(message))
}

pub fn bad_field<T>(field: &str, problem: impl std::fmt::Display) -> Read<T> {
    misuse(format!("bad field '{field}' ({problem})"))
}

/// Refuses a key of `table` that is not one of `known`, naming it after
/// `prefix`.
pub fn refuse_unknown(table: &Table, known: &[&str], prefix: &str) -> Read<()> {
    for pair in table.pairs::<Value, Value>() {
        let (key, _) = pair?;
        let name = match &key {
            Value::String(name) => name.to_string_lossy(),
            other => format!("[{}]", lua_type(other)),
        };
        if !known.contains(&name.as_str()) {
            return misuse(format!("unknown field '{prefix}{name}'"));
        }
    }
    Ok(())
}

/// A string (or number) as UTF-8 text; nil as none.
pub fn utf8(lua: &Lua, value: Value, field: &str) -> Read<Option<String>> {
    if matches!(value, Value::Nil) {
        return Ok(None);
    }
    if !is_concatenable(&value) {
        return bad_field(field, format!("string expected, got {}", lua_type(&value)));
    }
    let Some(text) = lua.coerce_string(value)? else {
        return bad_field(field, "string expected");
    };
    match text.to_str() {
        Ok(text) => Ok(Some(text.to_string())),
        Err(_) => bad_field(field, "not UTF-8"),
    }
}

/// A string or a number as Lua's `..` would see it; for values the Lua half
/// has checked already.
pub fn text(lua: &Lua, value: Value) -> mlua::Result<LuaString> {
    let kind = value.type_name();
    lua.coerce_string(value)?
        .ok_or_else(|| mlua::Error::runtime(format!("string expected, got {kind}")))
}
