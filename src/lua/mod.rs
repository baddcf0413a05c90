//! The mlua edge: the `socket.smtp.core` table and the conversions between
//! Lua values and the plain Rust message types.

mod mesgt;
mod message_source;
mod values;

use std::time::{SystemTime, UNIX_EPOCH};

use mlua::{Function, Lua, Table, Value};

use crate::message::boundary::new_boundary;
use crate::message::compose::compose;
use mesgt::{read_message, Defaults, ReadError};

/// The module's `_VERSION`, also the default `X-Mailer`.
pub const VERSION: &str = concat!("luasmtp ", env!("CARGO_PKG_VERSION"));

/// Builds the `socket.smtp.core` table. Its functions report programmer
/// mistakes as `nil, message`; the Lua loader raises them at the caller's
/// level, as a plain string error like LuaSocket's.
pub fn module_table(lua: &Lua) -> mlua::Result<Table> {
    let core = lua.create_table()?;
    core.set("VERSION", VERSION)?;
    let pcall: Function = lua.globals().get("pcall")?;
    let message = lua.create_function(move |lua, (mesgt, zone): (Value, Value)| {
        message(lua, mesgt, zone, &pcall)
    })?;
    core.set("message", message)?;
    Ok(core)
}

/// `core.message(mesgt, ZONE)`: the message source, or `nil, problem`.
fn message(lua: &Lua, mesgt: Value, zone: Value, pcall: &Function) -> mlua::Result<(Value, Value)> {
    let defaults = Defaults {
        now: unix_now(),
        zone,
        mailer: VERSION,
    };
    let root = match read_message(lua, mesgt, defaults) {
        Ok(root) => root,
        Err(ReadError::Misuse(problem)) => {
            return Ok((Value::Nil, Value::String(lua.create_string(problem)?)))
        }
        Err(ReadError::Lua(error)) => return Err(error),
    };
    let segments = compose(root, &mut new_boundary);
    let source = message_source::create(lua, segments, pcall.clone())?;
    Ok((Value::Function(source), Value::Nil))
}

fn unix_now() -> i64 {
    match SystemTime::now().duration_since(UNIX_EPOCH) {
        Ok(since) => since.as_secs() as i64,
        Err(before) => -(before.duration().as_secs() as i64),
    }
}
