//! The mlua edge: the `socket.smtp.core` table and the conversions between
//! Lua values and the plain Rust message types.

mod mesgt;
mod pieces;
mod values;

use std::time::{SystemTime, UNIX_EPOCH};

use mlua::{Lua, Table, Value};

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
    core.set("message", lua.create_function(message)?)?;
    Ok(core)
}

/// `core.message(mesgt, ZONE)`: the message's `next_piece` function (see
/// [`pieces`]), or `nil, problem`.
fn message(lua: &Lua, (mesgt, zone): (Value, Value)) -> mlua::Result<(Value, Value)> {
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
    let next_piece = pieces::create(lua, segments)?;
    Ok((Value::Function(next_piece), Value::Nil))
}

fn unix_now() -> i64 {
    match SystemTime::now().duration_since(UNIX_EPOCH) {
        Ok(since) => since.as_secs() as i64,
        Err(before) => -(before.duration().as_secs() as i64),
    }
}
