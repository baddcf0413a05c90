//! luasmtp: LuaSocket's `socket.smtp`, reimplemented in Rust.
//!
//! `message` and `attachment` are plain Rust (MIME generation, the files of
//! `smtp.attach`); `lua` is the mlua edge that exposes them as the
//! `socket.smtp.core` module, wrapped by `lua/socket/smtp.lua`.

pub mod attachment;
pub mod compose;
pub mod dkim;
pub mod driver;
mod lua;
pub mod message;
pub mod os_error;
pub mod protocol;
pub mod spool;
pub mod tls;
pub mod wire;

/// Entry point of `socket.smtp.core` (`luaopen_socket_smtp_core`).
#[cfg_attr(feature = "module", mlua::lua_module(name = "socket_smtp_core"))]
pub fn socket_smtp_core(lua: &mlua::Lua) -> mlua::Result<mlua::Table> {
    lua::module_table(lua)
}
