//! `core.dkim(dkimt)` and `core.dkim_record(key)`: the script's `dkim`
//! table read into a [`Signer`] once, for any number of messages, each
//! signed as it passes through, held in a [`Spool`] until its
//! DKIM-Signature field is known (`lua/socket/smtp/dkim.lua` is the LTN12
//! source around it).

use std::path::PathBuf;
use std::sync::Arc;

use mlua::{IntoLuaMulti, Lua, MultiValue, Table, UserData, UserDataMethods, Value};

use super::mesgt::ReadError;
use super::values::{bad_field, lua_type, misuse, refuse_unknown, utf8};
use crate::dkim::{KeySource, MessageSigning, Settings, Signer};
use crate::spool::{Spool, SpoolReader};

type Read<T> = Result<T, ReadError>;

const FIELDS: &[&str] = &[
    "domain",
    "selector",
    "key",
    "key_file",
    "algorithm",
    "canonicalization",
    "headers",
    "expires",
];

/// A message held in memory up to this size, beyond it in a file.
const MEMORY_LIMIT: usize = 1 << 20;

/// The signer a `dkim` table describes, or the mistake in it.
pub fn read_signer(lua: &Lua, dkimt: &Table) -> Read<Signer> {
    refuse_unknown(dkimt, FIELDS, "")?;
    let required = |field: &str| -> Read<String> {
        utf8(lua, dkimt.get(field)?, field)?
            .map_or_else(|| bad_field(field, "string expected, got nil"), Ok)
    };
    let settings = Settings {
        domain: required("domain")?,
        selector: required("selector")?,
        key: read_key_source(lua, dkimt)?,
        algorithm: utf8(lua, dkimt.get("algorithm")?, "algorithm")?,
        canonicalization: utf8(lua, dkimt.get("canonicalization")?, "canonicalization")?,
        headers: read_headers(lua, dkimt.get("headers")?)?,
        expires: read_expires(dkimt.get("expires")?)?,
    };
    Signer::new(settings).or_else(|bad| misuse(bad.to_string()))
}

/// `key` (PEM text) or `key_file` (a path), exactly one.
fn read_key_source(lua: &Lua, dkimt: &Table) -> Read<KeySource> {
    let pem: Value = dkimt.get("key")?;
    let path = utf8(lua, dkimt.get("key_file")?, "key_file")?;
    match (pem, path) {
        (Value::String(pem), None) => Ok(KeySource::Pem(pem.as_bytes().to_vec())),
        (Value::Nil, Some(path)) => Ok(KeySource::File(PathBuf::from(path))),
        (Value::Nil, None) => bad_field("key", "a PEM private key expected, or key_file, got nil"),
        (Value::String(_), Some(_)) => bad_field("key_file", "key and key_file both given"),
        (other, _) => bad_field("key", format!("string expected, got {}", lua_type(&other))),
    }
}

fn read_headers(lua: &Lua, value: Value) -> Read<Option<Vec<String>>> {
    let list = match value {
        Value::Nil => return Ok(None),
        Value::Table(list) => list,
        other => {
            let problem = format!("a list of field names expected, got {}", lua_type(&other));
            return bad_field("headers", problem);
        }
    };
    let mut names = Vec::new();
    for name in list.sequence_values::<Value>() {
        let name = utf8(lua, name?, "headers")?.unwrap_or_default();
        names.push(name);
    }
    Ok(Some(names))
}

fn read_expires(value: Value) -> Read<Option<i64>> {
    match value {
        Value::Nil => Ok(None),
        Value::Integer(seconds) => Ok(Some(seconds)),
        #[expect(
            clippy::cast_possible_truncation,
            reason = "checked to be a whole number first; saturates beyond i64"
        )]
        Value::Number(seconds) if seconds.fract() == 0.0 => Ok(Some(seconds as i64)),
        other => bad_field(
            "expires",
            format!(
                "a whole number of seconds expected, got {}",
                lua_type(&other)
            ),
        ),
    }
}

fn misuse_to_lua(lua: &Lua, error: ReadError) -> mlua::Result<MultiValue> {
    match error {
        ReadError::Misuse(problem) => (Value::Nil, problem).into_lua_multi(lua),
        ReadError::Lua(error) => Err(error),
    }
}

/// `core.dkim(dkimt)`: a [`DkimSigner`], or `nil, problem`.
pub fn dkim(lua: &Lua, dkimt: Value) -> mlua::Result<MultiValue> {
    let Value::Table(dkimt) = dkimt else {
        let problem = format!(
            "bad argument #2 to 'dkim' (table expected, got {})",
            lua_type(&dkimt)
        );
        return (Value::Nil, problem).into_lua_multi(lua);
    };
    match read_signer(lua, &dkimt) {
        Ok(signer) => DkimSigner(Arc::new(signer)).into_lua_multi(lua),
        Err(error) => misuse_to_lua(lua, error),
    }
}

/// `core.dkim_record(key)`: the DNS TXT record of a PEM key, or of a
/// `dkim` table's key or key_file; or `nil, problem`.
pub fn dkim_record(lua: &Lua, key: Value) -> mlua::Result<MultiValue> {
    let source = match key {
        Value::String(pem) => {
            return match KeySource::Pem(pem.as_bytes().to_vec()).load() {
                Ok(key) => key.dns_record().into_lua_multi(lua),
                Err(bad) => {
                    let problem = format!("bad argument #1 to 'dkim_record' ({})", bad.problem);
                    (Value::Nil, problem).into_lua_multi(lua)
                }
            };
        }
        Value::Table(dkimt) => read_key_source(lua, &dkimt),
        other => {
            let problem = format!(
                "bad argument #1 to 'dkim_record' (a PEM key or a dkim table expected, got {})",
                lua_type(&other)
            );
            return (Value::Nil, problem).into_lua_multi(lua);
        }
    };
    let loaded = source.and_then(|source| source.load().or_else(|bad| misuse(bad.to_string())));
    match loaded {
        Ok(key) => key.dns_record().into_lua_multi(lua),
        Err(error) => misuse_to_lua(lua, error),
    }
}

/// A `dkim` table's signer: its key is read and parsed once, when a call
/// or a session starts, and `signer:message()` starts each message.
pub struct DkimSigner(Arc<Signer>);

impl UserData for DkimSigner {
    fn add_methods<M: UserDataMethods<Self>>(methods: &mut M) {
        methods.add_method("message", |_, this, ()| {
            Ok(SignedMessage::new(Arc::clone(&this.0)))
        });
    }
}

/// One message on its way through the signer: its bytes go into the
/// spool as they are signed; once the field is known, the spool is read
/// back. Dropped (at the end, or when Lua collects it) it takes the spool
/// and its file with it.
pub enum SignedMessage {
    Signing {
        signing: Box<MessageSigning>,
        spool: Spool,
    },
    Sending(SpoolReader),
    Closed,
}

impl SignedMessage {
    fn new(signer: Arc<Signer>) -> Self {
        SignedMessage::Signing {
            signing: Box::new(MessageSigning::new(signer)),
            spool: Spool::new(MEMORY_LIMIT, std::env::temp_dir()),
        }
    }

    fn write(&mut self, chunk: &[u8]) -> Result<(), String> {
        let SignedMessage::Signing { signing, spool } = self else {
            return Err("the message was signed already".into());
        };
        spool
            .write(signing.write(chunk))
            .map_err(|error| spool_failed(&error))
    }

    /// The DKIM-Signature field; the spool is read back from now on.
    fn finish(&mut self) -> Result<String, String> {
        let SignedMessage::Signing { signing, mut spool } =
            std::mem::replace(self, SignedMessage::Closed)
        else {
            return Err("the message was signed already".into());
        };
        let now = u64::try_from(super::unix_now()).unwrap_or(0);
        let signature = signing.finish(now)?;
        spool
            .write(&signature.tail)
            .map_err(|error| spool_failed(&error))?;
        *self = SignedMessage::Sending(spool.into_reader().map_err(|error| spool_failed(&error))?);
        Ok(signature.field)
    }
}

fn spool_failed(error: &std::io::Error) -> String {
    format!("cannot hold the message in a temporary file: {error}")
}

impl UserData for SignedMessage {
    fn add_methods<M: UserDataMethods<Self>>(methods: &mut M) {
        // true, or nil, message (the temporary file could not be written).
        methods.add_method_mut(
            "write",
            |lua, this, chunk: Value| -> mlua::Result<MultiValue> {
                let Value::String(chunk) = chunk else {
                    let problem = format!("the source gave a {}, not a string", lua_type(&chunk));
                    return (Value::Nil, problem).into_lua_multi(lua);
                };
                match this.write(&chunk.as_bytes()) {
                    Ok(()) => true.into_lua_multi(lua),
                    Err(problem) => (Value::Nil, problem).into_lua_multi(lua),
                }
            },
        );
        // The DKIM-Signature field, or nil, message.
        methods.add_method_mut("finish", |lua, this, ()| match this.finish() {
            Ok(field) => field.into_lua_multi(lua),
            Err(problem) => (Value::Nil, problem).into_lua_multi(lua),
        });
        // The message's next chunk; nil at the end; nil, message.
        methods.add_method_mut("pull", |lua, this, ()| -> mlua::Result<MultiValue> {
            let SignedMessage::Sending(reader) = this else {
                return Value::Nil.into_lua_multi(lua);
            };
            match reader.next_chunk() {
                Ok(Some(chunk)) => lua.create_string(chunk)?.into_lua_multi(lua),
                Ok(None) => Value::Nil.into_lua_multi(lua),
                Err(error) => (Value::Nil, spool_failed(&error)).into_lua_multi(lua),
            }
        });
        // Lets the spool and its file go now rather than at collection.
        methods.add_method_mut("close", |_, this, ()| {
            *this = SignedMessage::Closed;
            Ok(())
        });
    }
}
