//! `core.compose(composet, zone, wrap)`: reads the script's table into a
//! [`Composition`], and gives back the `mesgt` table `smtp.message` takes
//! and the envelope table, or `nil, problem` for a programmer mistake.
//!
//! Bodies the module encodes as they are pulled become LTN12 sources
//! through `wrap` (`lua/socket/smtp/body_source.lua`): `wrap(reader)` for a
//! [`LuaChunkSource`], `wrap(encoder, source)` for a script's source and
//! the [`LuaStreamedBody`] that encodes it.

use mlua::{
    Function, IntoLuaMulti, Lua, LuaString, MultiValue, Table, UserData, UserDataMethods, Value,
};

use super::chunk_source::LuaChunkSource;
use super::mesgt::ReadError;
use super::values::{bad_field, lua_type, misuse, refuse_unknown, utf8};
use crate::attachment::{DataSource, Encoding, FileSource};
use crate::compose::attachment_fields::{
    base_name, checked_content_id, checked_media_type, guessed_media_type,
};
use crate::compose::mailbox::{parse_list, Mailbox};
use crate::compose::message_id::random_left_part;
use crate::compose::streamed::StreamedBody;
use crate::compose::{
    compose as compose_tree, Attachment, AttachmentBody, Composition, Content, Leaf,
};
use crate::message::date::format_date;
use crate::message::tree::{Body, Part};

type Read<T> = Result<T, ReadError>;

/// A script's body source, and the field it came from (for its errors).
pub struct Stream {
    source: Function,
    field: String,
}

const FIELDS: &[&str] = &[
    "from",
    "sender",
    "reply_to",
    "to",
    "cc",
    "bcc",
    "subject",
    "text",
    "html",
    "attachments",
    "headers",
    "date",
    "message_id",
];
const ATTACHMENT_FIELDS: &[&str] = &["path", "data", "source", "filename", "content_type", "cid"];

pub fn compose(
    lua: &Lua,
    (composet, zone, wrap): (Value, LuaString, Function),
) -> mlua::Result<MultiValue> {
    let Value::Table(composet) = composet else {
        let problem = format!(
            "bad argument #1 to 'compose' (table expected, got {})",
            lua_type(&composet)
        );
        return (Value::Nil, problem).into_lua_multi(lua);
    };
    let composition = match read_composition(lua, &composet, &zone) {
        Ok(composition) => composition,
        Err(ReadError::Misuse(problem)) => return (Value::Nil, problem).into_lua_multi(lua),
        Err(ReadError::Lua(error)) => return Err(error),
    };
    // Drawn whether or not a message_id is given: 16 bytes, a few hundred
    // instructions, and one path through the code.
    let random_id = random_left_part().map_err(mlua::Error::runtime)?;
    let composed = compose_tree(composition, &random_id);
    let composed = match composed {
        Ok(composed) => composed,
        Err(problem) => return (Value::Nil, problem.to_string()).into_lua_multi(lua),
    };
    let mesgt = part_table(lua, composed.message, &wrap)?;
    let envelope = lua.create_table()?;
    envelope.set("from", composed.envelope.from)?;
    envelope.set("rcpt", lua.create_sequence_from(composed.envelope.rcpt)?)?;
    (mesgt, envelope).into_lua_multi(lua)
}

fn read_composition(lua: &Lua, composet: &Table, zone: &LuaString) -> Read<Composition<Stream>> {
    refuse_unknown(composet, FIELDS, "")?;
    let from = one_mailbox(lua, composet.get("from")?, "from")?.map_or_else(
        || misuse("bad address in 'from' (an address expected, got nil)".into()),
        Ok,
    )?;
    let date = match composet.get::<Value>("date")? {
        Value::Nil => None,
        Value::Integer(seconds) => Some(date_text(seconds, zone)),
        // Whole seconds: a fraction has no place in a Date field.
        #[expect(
            clippy::cast_possible_truncation,
            reason = "seconds since 1970 fit an i64"
        )]
        Value::Number(seconds) => Some(date_text(seconds as i64, zone)),
        other => Some(utf8(lua, other, "date")?.unwrap_or_default()),
    };
    Ok(Composition {
        from,
        sender: one_mailbox(lua, composet.get("sender")?, "sender")?,
        reply_to: mailboxes(lua, composet.get("reply_to")?, "reply_to")?,
        to: mailboxes(lua, composet.get("to")?, "to")?,
        cc: mailboxes(lua, composet.get("cc")?, "cc")?,
        bcc: mailboxes(lua, composet.get("bcc")?, "bcc")?,
        subject: utf8(lua, composet.get("subject")?, "subject")?,
        text: content(lua, composet.get("text")?, "text")?,
        html: content(lua, composet.get("html")?, "html")?,
        attachments: attachments(lua, composet.get("attachments")?)?,
        headers: headers(lua, composet.get("headers")?)?,
        date,
        message_id: utf8(lua, composet.get("message_id")?, "message_id")?,
    })
}

fn date_text(seconds: i64, zone: &LuaString) -> String {
    String::from_utf8_lossy(&format_date(seconds, &zone.as_bytes())).into_owned()
}

/// Raises for a key that is not one of `known`: a misspelt field would
/// otherwise be dropped without a word.
fn bad_address<T>(field: &str, problem: impl std::fmt::Display) -> Read<T> {
    misuse(format!("bad address in '{field}' ({problem})"))
}

/// An address field: a string holding a list, a `{ name =, address = }`
/// table, or a list of those.
fn mailboxes(lua: &Lua, value: Value, field: &str) -> Read<Vec<Mailbox>> {
    match value {
        Value::Nil => Ok(Vec::new()),
        Value::Table(table) if table.contains_key("address")? => {
            Ok(vec![named_mailbox(lua, &table, field)?])
        }
        Value::Table(list) => {
            let mut all = Vec::new();
            for entry in list.sequence_values::<Value>() {
                match entry? {
                    Value::Table(table) => all.push(named_mailbox(lua, &table, field)?),
                    other => all.extend(listed(lua, other, field)?),
                }
            }
            Ok(all)
        }
        other => listed(lua, other, field),
    }
}

fn listed(lua: &Lua, value: Value, field: &str) -> Read<Vec<Mailbox>> {
    if !matches!(value, Value::String(_)) {
        return bad_address(
            field,
            format!("string or table expected, got {}", lua_type(&value)),
        );
    }
    let Some(text) = utf8(lua, value, field)? else {
        return Ok(Vec::new());
    };
    parse_list(&text).or_else(|problem| bad_address(field, problem))
}

fn named_mailbox(lua: &Lua, table: &Table, field: &str) -> Read<Mailbox> {
    refuse_unknown(table, &["name", "address"], &format!("{field}."))?;
    let name = utf8(lua, table.get("name")?, &format!("{field}.name"))?;
    let address =
        utf8(lua, table.get("address")?, &format!("{field}.address"))?.unwrap_or_default();
    Mailbox::new(name, &address).or_else(|problem| bad_address(field, problem))
}

fn one_mailbox(lua: &Lua, value: Value, field: &str) -> Read<Option<Mailbox>> {
    let mut list = mailboxes(lua, value, field)?;
    match list.len() {
        0 | 1 => Ok(list.pop()),
        count => bad_address(field, format!("one address expected, got {count}")),
    }
}

/// `text` or `html`: a string, or an LTN12 source.
fn content(lua: &Lua, value: Value, field: &str) -> Read<Option<Content<Stream>>> {
    match value {
        Value::Function(source) => Ok(Some(Content::Source(Stream {
            source,
            field: field.to_string(),
        }))),
        other => Ok(utf8(lua, other, field)?.map(Content::Text)),
    }
}

/// A field that holds a table, or nothing.
fn optional_table(value: Value, field: &str) -> Read<Option<Table>> {
    match value {
        Value::Nil => Ok(None),
        Value::Table(table) => Ok(Some(table)),
        other => bad_field(field, format!("table expected, got {}", lua_type(&other))),
    }
}

fn attachments(lua: &Lua, value: Value) -> Read<Vec<Attachment<Stream>>> {
    let Some(list) = optional_table(value, "attachments")? else {
        return Ok(Vec::new());
    };
    let mut all = Vec::new();
    for (index, entry) in list.sequence_values::<Value>().enumerate() {
        let field = format!("attachments[{}]", index + 1);
        match entry? {
            Value::Table(table) => all.push(attachment(lua, &table, &field)?),
            other => return bad_field(&field, format!("table expected, got {}", lua_type(&other))),
        }
    }
    Ok(all)
}

fn attachment(lua: &Lua, table: &Table, field: &str) -> Read<Attachment<Stream>> {
    refuse_unknown(table, ATTACHMENT_FIELDS, &format!("{field}."))?;
    let sub = |name: &str| format!("{field}.{name}");
    let path = utf8(lua, table.get("path")?, &sub("path"))?;
    let given_name = utf8(lua, table.get("filename")?, &sub("filename"))?;
    if given_name
        .as_deref()
        .is_some_and(|name| name.contains(['\r', '\n']))
    {
        return bad_field(&sub("filename"), "line break");
    }
    let file_name = given_name.or_else(|| path.as_deref().map(|path| base_name(path).to_string()));
    let body = match (
        path,
        table.get::<Value>("data")?,
        table.get::<Value>("source")?,
    ) {
        (Some(path), Value::Nil, Value::Nil) => AttachmentBody::Path(path),
        (None, Value::String(data), Value::Nil) => AttachmentBody::Data(data.as_bytes().to_vec()),
        (None, Value::Nil, Value::Function(source)) => AttachmentBody::Source(Stream {
            source,
            field: field.to_string(),
        }),
        (None, Value::Nil, Value::Nil) => {
            return bad_field(field, "'path', 'data' or 'source' expected")
        }
        (None, data, Value::Nil) => {
            return bad_field(
                &sub("data"),
                format!("string expected, got {}", lua_type(&data)),
            )
        }
        (None, Value::Nil, source) => {
            return bad_field(
                &sub("source"),
                format!("function expected, got {}", lua_type(&source)),
            )
        }
        _ => return bad_field(field, "only one of 'path', 'data' and 'source'"),
    };
    let content_type = match utf8(lua, table.get("content_type")?, &sub("content_type"))? {
        Some(given) => checked_media_type(&given)
            .or_else(|problem| bad_field(&sub("content_type"), problem))?,
        None => guessed_media_type(file_name.as_deref()),
    };
    let content_id = match utf8(lua, table.get("cid")?, &sub("cid"))? {
        Some(given) => {
            Some(checked_content_id(&given).or_else(|problem| bad_field(&sub("cid"), problem))?)
        }
        None => None,
    };
    Ok(Attachment {
        file_name,
        content_type,
        content_id,
        body,
    })
}

/// The script's own fields, by lowercase name.
fn headers(lua: &Lua, value: Value) -> Read<Vec<(String, String)>> {
    let Some(table) = optional_table(value, "headers")? else {
        return Ok(Vec::new());
    };
    let mut fields = Vec::new();
    for pair in table.pairs::<Value, Value>() {
        let (name, value) = pair?;
        let Some(name) = utf8(lua, name, "headers")? else {
            continue;
        };
        let field = format!("headers.{name}");
        let value = utf8(lua, value, &field)?.unwrap_or_default();
        fields.push((name.to_ascii_lowercase(), value));
    }
    // pairs() order changes between runs; the fields' order must not.
    fields.sort();
    Ok(fields)
}

/// A part of the composed tree as a `mesgt` table.
fn part_table(lua: &Lua, part: Part<Leaf<Stream>>, wrap: &Function) -> mlua::Result<Table> {
    let table = lua.create_table()?;
    let headers = lua.create_table()?;
    for (name, value) in part.headers.fields() {
        headers.set(lua.create_string(name)?, lua.create_string(value)?)?;
    }
    table.set("headers", headers)?;
    match part.body {
        Body::Empty => {}
        Body::Leaf(leaf) => table.set("body", leaf_body(lua, leaf, wrap)?)?,
        Body::Multipart(multipart) => {
            let parts = lua.create_table()?;
            for part in multipart.parts {
                parts.push(part_table(lua, part, wrap)?)?;
            }
            table.set("body", parts)?;
        }
    }
    Ok(table)
}

fn leaf_body(lua: &Lua, leaf: Leaf<Stream>, wrap: &Function) -> mlua::Result<Value> {
    let reader = |source: Box<dyn crate::attachment::ChunkSource>| {
        wrap.call::<Value>(LuaChunkSource(source))
    };
    let streamed = |body: StreamedBody, stream: Stream| {
        let encoder = LuaStreamedBody {
            body,
            field: stream.field,
        };
        wrap.call::<Value>((encoder, stream.source))
    };
    match leaf {
        Leaf::Encoded(bytes) => Ok(Value::String(lua.create_string(bytes)?)),
        Leaf::File(path) => reader(Box::new(FileSource::open(&path, Encoding::Base64))),
        Leaf::Data(data) => reader(Box::new(DataSource::base64(data))),
        Leaf::StreamedText(stream) => streamed(StreamedBody::text(), stream),
        Leaf::StreamedBytes(stream) => streamed(StreamedBody::bytes(), stream),
    }
}

/// The encoder of a script's body source. Lua's source calls `encode` for
/// each chunk and `finish` at the end (see `body_source.lua`); the send
/// path encodes straight into the body with [`LuaStreamedBody::next`].
pub struct LuaStreamedBody {
    body: StreamedBody,
    field: String,
}

impl LuaStreamedBody {
    /// The encoding of `chunk`, or of the end when `None`; or why the text
    /// cannot be sent, naming the field.
    pub fn next(&mut self, chunk: Option<&[u8]>) -> Result<&[u8], String> {
        let encoded = match chunk {
            Some(chunk) => self.body.encode(chunk),
            None => self.body.finish(),
        };
        encoded.map_err(|problem| format!("bad field '{}' ({problem})", self.field))
    }
}

impl UserData for LuaStreamedBody {
    fn add_methods<M: UserDataMethods<Self>>(methods: &mut M) {
        fn encoded(lua: &Lua, result: Result<&[u8], String>) -> mlua::Result<MultiValue> {
            match result {
                Ok(bytes) => lua.create_string(bytes)?.into_lua_multi(lua),
                Err(problem) => (Value::Nil, problem).into_lua_multi(lua),
            }
        }
        methods.add_method_mut("encode", |lua, this, chunk: LuaString| {
            encoded(lua, this.next(Some(&chunk.as_bytes())))
        });
        methods.add_method_mut("finish", |lua, this, ()| encoded(lua, this.next(None)));
    }
}
