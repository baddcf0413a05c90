//! MIME message generation, free of Lua: header fields, the part tree, and
//! the byte layout LuaSocket's `smtp.message` produces.

pub mod boundary;
pub mod canonic;
pub mod date;
pub mod field_order;
pub mod field_syntax;
pub mod fields;
pub mod layout;
pub mod tree;
