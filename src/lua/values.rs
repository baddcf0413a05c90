//! Small facts about Lua values that the glue needs in several places.

use mlua::Value;

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
