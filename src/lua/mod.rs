//! The mlua edge: the `socket.smtp.core` table and the conversions between
//! Lua values and the plain Rust message types.

mod attach;
mod chunk_source;
mod compose;
mod dkim;
mod mesgt;
mod pieces;
mod session;
mod transaction;
mod values;

use std::time::{SystemTime, UNIX_EPOCH};

use mlua::{Lua, Table, Value};

use crate::message::boundary::new_boundary;
use crate::message::layout::lay_out;
use mesgt::{read_message, Defaults, ReadError};
use pieces::MessagePieces;

/// The module's `_VERSION`, also the default `X-Mailer`.
pub const VERSION: &str = concat!("luasmtp ", env!("CARGO_PKG_VERSION"));

/// Builds the `socket.smtp.core` table. Its functions report programmer
/// mistakes as `nil, message`; the Lua loader raises them at the caller's
/// level, as a plain string error like LuaSocket's.
pub fn module_table(lua: &Lua) -> mlua::Result<Table> {
    let core = lua.create_table()?;
    core.set("VERSION", VERSION)?;
    core.set("message", lua.create_function(message)?)?;
    core.set("attach", lua.create_function(attach::attach)?)?;
    core.set("compose", lua.create_function(compose::compose)?)?;
    core.set("session", lua.create_function(session::new)?)?;
    core.set("dkim", lua.create_function(dkim::dkim)?)?;
    core.set("dkim_record", lua.create_function(dkim::dkim_record)?)?;
    if std::env::var_os(PANIC_TEST).is_some() {
        core.set("_panic", lua.create_function(panic_on_purpose)?)?;
    }
    Ok(core)
}

/// Set in the environment of a Lua state that loads the module, this adds
/// `core._panic`, for spec/module/panic_spec.lua: the build that ships is
/// the one whose panics the spec shows caught.
const PANIC_TEST: &str = "LUASMTP_PANIC_TEST";

/// `core._panic(message)`, where [`PANIC_TEST`] asks for it: panics, so
/// that a spec can show that a panic anywhere in the module reaches Lua as
/// an error.
#[expect(
    clippy::needless_pass_by_value,
    reason = "mlua passes arguments by value"
)]
fn panic_on_purpose(_: &Lua, message: String) -> mlua::Result<()> {
    panic!("{message}")
}

/// `core.message(mesgt, ZONE)`: the message's pieces (see [`pieces`]), or
/// `nil, problem`.
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
    let pieces = match lay_out(root, &mut new_boundary) {
        Ok(segments) => MessagePieces::new(segments),
        Err(invalid) => MessagePieces::failed(invalid.to_string()),
    };
    let pieces = lua.create_userdata(pieces)?;
    Ok((Value::UserData(pieces), Value::Nil))
}

fn unix_now() -> i64 {
    match SystemTime::now().duration_since(UNIX_EPOCH) {
        Ok(since) => since.as_secs().cast_signed(),
        Err(before) => -before.duration().as_secs().cast_signed(),
    }
}

#[cfg(test)]
mod tests {
    use mlua::{Function, Lua, ObjectLike, Value};

    /// Runs `core.message` on the mesgt that `mesgt_code` evaluates to, and
    /// concatenates the pieces, marking each body source as `<source>`.
    fn pieces(mesgt_code: &str) -> Result<String, String> {
        let lua = Lua::new();
        let core = super::module_table(&lua).unwrap();
        let mesgt: Value = lua.load(mesgt_code).eval().unwrap();
        let message: Function = core.get("message").unwrap();
        let (pieces, problem): (Value, Value) = message.call((mesgt, "+0000")).unwrap();
        let Value::UserData(pieces) = pieces else {
            return Err(problem.to_string().unwrap());
        };
        let mut text = String::new();
        loop {
            match pieces.call_method::<Value>("next", ()).unwrap() {
                Value::Nil => return Ok(text),
                Value::String(piece) => text.push_str(&piece.to_str().unwrap()),
                Value::Function(_) => text.push_str("<source>"),
                other => panic!("unexpected piece {other:?}"),
            }
        }
    }

    #[test]
    fn pieces_are_the_layout_with_sources_left_to_lua() {
        let text = pieces(r#"{ headers = { subject = "s" }, body = { { body = "a" }, { body = function() end } } }"#)
            .unwrap();
        assert!(text.starts_with("Date: "), "{text}");
        assert!(
            text.contains(" +0000\r\nSubject: s\r\nMIME-Version: 1.0\r\n"),
            "{text}"
        );
        assert!(text.contains("\r\n\r\na\r\n--"), "{text}");
        assert!(text.contains("\r\n\r\n<source>\r\n--"), "{text}");
    }

    #[test]
    fn misuse_comes_back_as_nil_and_a_message() {
        assert_eq!(
            pieces(r"{ headers = { subject = true } }"),
            Err("bad value for header 'subject' (string expected, got boolean)".to_string())
        );
        assert_eq!(
            pieces("42"),
            Err("bad argument #1 to 'message' (table expected, got number)".to_string())
        );
    }
}
