//! What a script's `send` table asks of one mail transaction, read from
//! Lua: the envelope, with each recipient as a string or as a table with
//! its own DSN fields, and the ESMTP fields `body`, `size` and `dsn`. The
//! Lua half has checked the types already (`arguments.lua`).

use mlua::{Lua, LuaString, Table, Value};

use super::values::text;
use crate::protocol::mail_parameters::{Body, Dsn, Notify, Recipient, Request, Ret};

pub struct Transaction {
    from: Vec<u8>,
    recipients: Vec<(Vec<u8>, RecipientDsn)>,
    body: Option<Body>,
    size: Option<u64>,
    dsn: Option<MessageDsn>,
    /// The recipients' addresses as the script gave them, for the report.
    pub addresses: Vec<LuaString>,
}

/// A recipient's own DSN fields; those left out come from `dsn`.
#[derive(Default)]
struct RecipientDsn {
    notify: Option<Notify>,
    orcpt: Option<bool>,
}

/// The `dsn` table.
struct MessageDsn {
    ret: Option<Ret>,
    envid: Option<Vec<u8>>,
    notify: Option<Notify>,
    orcpt: bool,
    required: bool,
}

impl Transaction {
    pub fn read(
        lua: &Lua,
        from: Value,
        rcpt: Value,
        (body, size, dsn): (Value, Value, Value),
    ) -> mlua::Result<Transaction> {
        let mut transaction = Transaction {
            from: text(lua, from)?.as_bytes().to_vec(),
            recipients: Vec::new(),
            body: match body {
                Value::String(name) if name.as_bytes().eq_ignore_ascii_case(b"8bitmime") => {
                    Some(Body::EightBitMime)
                }
                Value::String(_) => Some(Body::SevenBit),
                _ => None,
            },
            size: lua
                .coerce_integer(size)?
                .and_then(|n| u64::try_from(n).ok()),
            dsn: match dsn {
                Value::Table(dsn) => Some(read_dsn(lua, &dsn)?),
                _ => None,
            },
            addresses: Vec::new(),
        };
        match rcpt {
            Value::Table(list) => {
                for entry in list.sequence_values::<Value>() {
                    transaction.add_recipient(lua, entry?)?;
                }
            }
            single => transaction.add_recipient(lua, single)?,
        }
        Ok(transaction)
    }

    /// One recipient: a string, or `{ address =, notify =, orcpt = }`.
    fn add_recipient(&mut self, lua: &Lua, entry: Value) -> mlua::Result<()> {
        let (address, dsn) = match entry {
            Value::Table(entry) => {
                let dsn = RecipientDsn {
                    notify: notify(&entry.get("notify")?)?,
                    orcpt: entry.get("orcpt")?,
                };
                (text(lua, entry.get("address")?)?, dsn)
            }
            other => (text(lua, other)?, RecipientDsn::default()),
        };
        self.recipients.push((address.as_bytes().to_vec(), dsn));
        self.addresses.push(address);
        Ok(())
    }

    /// The request for the session, borrowing from this.
    pub fn request(&self) -> Request<'_> {
        Request {
            from: &self.from,
            recipients: self
                .recipients
                .iter()
                .map(|(address, dsn)| Recipient {
                    address,
                    notify: dsn.notify,
                    orcpt: dsn.orcpt,
                })
                .collect(),
            body: self.body,
            size: self.size,
            dsn: self.dsn.as_ref().map(|dsn| Dsn {
                ret: dsn.ret,
                envid: dsn.envid.as_deref(),
                notify: dsn.notify,
                orcpt: dsn.orcpt,
                required: dsn.required,
            }),
        }
    }
}

fn read_dsn(lua: &Lua, dsn: &Table) -> mlua::Result<MessageDsn> {
    let ret = match dsn.get::<Option<LuaString>>("ret")? {
        Some(ret) if ret.as_bytes().eq_ignore_ascii_case(b"hdrs") => Some(Ret::Hdrs),
        Some(_) => Some(Ret::Full),
        None => None,
    };
    let envid = match dsn.get::<Value>("envid")? {
        Value::Nil => None,
        envid => Some(text(lua, envid)?.as_bytes().to_vec()),
    };
    Ok(MessageDsn {
        ret,
        envid,
        notify: notify(&dsn.get("notify")?)?,
        orcpt: dsn.get::<Option<bool>>("orcpt")?.unwrap_or(false),
        required: dsn.get::<Option<bool>>("required")?.unwrap_or(true),
    })
}

/// `"never"`, or a list of `"success"`, `"failure"` and `"delay"`.
fn notify(value: &Value) -> mlua::Result<Option<Notify>> {
    let Value::Table(events) = value else {
        return Ok(matches!(value, Value::String(_)).then_some(Notify::NEVER));
    };
    let (mut success, mut failure, mut delay) = (false, false, false);
    for event in events.sequence_values::<LuaString>() {
        match &*event?.as_bytes() {
            b"success" => success = true,
            b"failure" => failure = true,
            b"delay" => delay = true,
            _ => {}
        }
    }
    Ok(Notify::on(success, failure, delay))
}
