//! Reads a LuaSocket `mesgt` table into a message tree, and gives the script
//! its adjusted `mesgt.headers` back, as LuaSocket does.

use mlua::{Function, Lua, LuaString, Table, Value};

use super::values::{is_concatenable, is_truthy, lua_type};
use crate::message::date::format_date;
use crate::message::fields::{lowercase_names, HeaderFields};
use crate::message::tree::{Body, Multipart, Part};

/// Deeper trees are refused: they are mistakes (a table that contains
/// itself, say), and refusing them keeps recursion off the stack's edge.
pub const MAX_DEPTH: usize = 100;

/// A leaf body as the script gave it.
pub enum LuaBody {
    Text(LuaString),
    Source(Function),
}

/// Why a `mesgt` could not be read.
#[derive(Debug)]
pub enum ReadError {
    /// A programmer mistake, raised as a Lua error that names the problem.
    Misuse(String),
    /// An error Lua raised while the table was read (a metamethod, memory).
    Lua(mlua::Error),
}

impl From<mlua::Error> for ReadError {
    fn from(error: mlua::Error) -> Self {
        ReadError::Lua(error)
    }
}

type Read<T> = Result<T, ReadError>;

fn misuse<T>(message: String) -> Read<T> {
    Err(ReadError::Misuse(message))
}

/// What the top-level headers default to.
pub struct Defaults {
    /// Seconds since the epoch, for `date`.
    pub now: i64,
    /// The module's `ZONE`, used when `mesgt.zone` is not given.
    pub zone: Value,
    /// The `x-mailer` value.
    pub mailer: &'static str,
}

/// Reads `mesgt`, replacing `mesgt.headers` with the lowercase table that
/// carries the defaults.
pub fn read_message(lua: &Lua, mesgt: Value, defaults: Defaults) -> Read<Part<LuaBody>> {
    let Value::Table(mesgt) = mesgt else {
        return misuse(format!(
            "bad argument #1 to 'message' (table expected, got {})",
            lua_type(&mesgt)
        ));
    };
    let mut path = Vec::new();
    let mut fields = read_headers(lua, mesgt.get("headers")?, &path)?;
    if !fields.iter().any(|(name, _)| name == b"date") {
        // `mesgt.zone or ZONE`, as LuaSocket writes it.
        let zone = match mesgt.get::<Value>("zone")? {
            given if is_truthy(&given) => given,
            _ => defaults.zone,
        };
        let zone = text(lua, zone, || "bad field 'zone'".to_string())?;
        let date = format_date(defaults.now, &zone.as_bytes());
        fields.push((b"date".to_vec(), Value::String(lua.create_string(date)?)));
    }
    if !fields.iter().any(|(name, _)| name == b"x-mailer") {
        let mailer = lua.create_string(defaults.mailer)?;
        fields.push((b"x-mailer".to_vec(), Value::String(mailer)));
    }
    let mime_version = Value::String(lua.create_string("1.0")?);
    match fields.iter_mut().find(|(name, _)| name == b"mime-version") {
        Some(slot) => slot.1 = mime_version,
        None => fields.push((b"mime-version".to_vec(), mime_version)),
    }

    let adjusted = lua.create_table()?;
    for (name, value) in &fields {
        adjusted.raw_set(lua.create_string(name)?, value.clone())?;
    }
    mesgt.set("headers", adjusted)?;

    Ok(Part {
        headers: header_fields(lua, fields)?,
        body: read_body(lua, mesgt.get("body")?, &mut path)?,
    })
}

/// "2.1" for the first part of the second part.
fn part_number(path: &[usize]) -> String {
    let numbers: Vec<String> = path.iter().map(ToString::to_string).collect();
    numbers.join(".")
}

/// " in part 2.1" for nested parts, nothing at the top.
fn location(path: &[usize]) -> String {
    if path.is_empty() {
        String::new()
    } else {
        format!(" in part {}", part_number(path))
    }
}

/// A string or number as a Lua string, the way `..` would convert it.
fn text(lua: &Lua, value: Value, field: impl FnOnce() -> String) -> Read<LuaString> {
    if !is_concatenable(&value) {
        return misuse(format!(
            "{} (string expected, got {})",
            field(),
            lua_type(&value)
        ));
    }
    match lua.coerce_string(value)? {
        Some(string) => Ok(string),
        None => misuse(format!("{} (string expected)", field())),
    }
}

/// The `(lowercase name, value)` pairs of a headers table.
fn read_headers(lua: &Lua, headers: Value, path: &[usize]) -> Read<Vec<(Vec<u8>, Value)>> {
    let table = match headers {
        Value::Nil => return Ok(Vec::new()),
        Value::Table(table) => table,
        other => {
            return misuse(format!(
                "bad field 'headers'{} (table expected, got {})",
                location(path),
                lua_type(&other)
            ))
        }
    };
    let mut pairs = Vec::new();
    for pair in table.pairs::<Value, Value>() {
        let (name, value) = pair?;
        let name = text(lua, name, || format!("bad header name{}", location(path)))?;
        if !is_concatenable(&value) {
            return misuse(format!(
                "bad value for header '{}'{} (string expected, got {})",
                name.to_string_lossy(),
                location(path),
                lua_type(&value)
            ));
        }
        pairs.push((name.as_bytes().to_vec(), value));
    }
    Ok(lowercase_names(pairs))
}

fn header_fields(lua: &Lua, pairs: Vec<(Vec<u8>, Value)>) -> Read<HeaderFields> {
    let mut fields = Vec::with_capacity(pairs.len());
    for (name, value) in pairs {
        let value = text(lua, value, || "bad header value".to_string())?;
        fields.push((name, value.as_bytes().to_vec()));
    }
    Ok(HeaderFields::from_lowercase(fields))
}

fn read_body(lua: &Lua, body: Value, path: &mut Vec<usize>) -> Read<Body<LuaBody>> {
    Ok(match body {
        Value::Nil => Body::Empty,
        Value::Function(source) => Body::Leaf(LuaBody::Source(source)),
        Value::Table(multipart) => Body::Multipart(read_multipart(lua, &multipart, path)?),
        given @ (Value::String(_) | Value::Integer(_) | Value::Number(_)) => {
            Body::Leaf(LuaBody::Text(text(lua, given, String::new)?))
        }
        other => {
            return misuse(format!(
                "bad field 'body'{} (string, function or table expected, got {})",
                location(path),
                lua_type(&other)
            ))
        }
    })
}

fn read_multipart(lua: &Lua, multipart: &Table, path: &mut Vec<usize>) -> Read<Multipart<LuaBody>> {
    if path.len() >= MAX_DEPTH {
        return misuse(format!("message nests deeper than {MAX_DEPTH} levels"));
    }
    let optional_text = |field: &str| -> Read<Option<Vec<u8>>> {
        let value: Value = multipart.get(field)?;
        if !is_truthy(&value) {
            return Ok(None);
        }
        let text = text(lua, value, || {
            format!("bad field '{field}'{}", location(path))
        })?;
        Ok(Some(text.as_bytes().to_vec()))
    };
    let preamble = optional_text("preamble")?;
    let epilogue = optional_text("epilogue")?;
    let mut parts = Vec::new();
    for index in 1.. {
        let part = match multipart.get::<Value>(index)? {
            Value::Nil => break,
            Value::Table(part) => part,
            other => {
                path.push(index);
                return misuse(format!(
                    "bad part {} (table expected, got {})",
                    part_number(path),
                    lua_type(&other)
                ));
            }
        };
        path.push(index);
        let headers = read_headers(lua, part.get("headers")?, path)?;
        parts.push(Part {
            headers: header_fields(lua, headers)?,
            body: read_body(lua, part.get("body")?, path)?,
        });
        path.pop();
    }
    Ok(Multipart {
        preamble,
        parts,
        epilogue,
    })
}
