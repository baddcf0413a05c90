//! The session userdata: a [`Session`] and, on the native path, the
//! [`Connection`] it runs over. Its methods start operations and advance
//! them; the Lua half (`lua/socket/smtp/session.lua`) decides which
//! operations to run and, on the `create` path, does the socket calls.
//!
//! Every method returns values, never raises: run-time failures come back
//! as `nil, message`, the way the Lua half passes them on.

use std::time::{Duration, Instant};

use mlua::{AnyUserData, Lua, LuaString, MultiValue, Table, UserData, UserDataMethods, Value};

use super::chunk_source::LuaChunkSource;
use super::compose::LuaStreamedBody;
use super::mesgt::LuaBody;
use super::pieces::MessagePieces;
use crate::driver::connection::Connection;
use crate::message::layout::Segment;
use crate::os_error::{CLOSED, TIMEOUT};
use crate::protocol::deadline::{self, ReplyDeadline};
use crate::protocol::session::{Failure, Refusal, Session};
use crate::tls::config::{server_name, Configs, Trust};
use crate::wire::{Step, Wire};

/// A session operation that authenticates with a user and a secret.
type Authenticate = fn(&mut Session, &[u8], &[u8]) -> Result<(), Refusal>;

pub struct LuaSession {
    wire: Wire,
    /// The native connection; `None` on the `create` path, and once Lua has
    /// taken an adopted connection's socket back.
    connection: Option<Connection>,
    /// The `create` path's bound on waiting for replies; its timeout is an
    /// adopted connection's too.
    replies: ReplyDeadline,
    /// Set by `close`: a closed native session only answers "closed".
    closed: bool,
    /// The module's own source whose bytes [`LuaSession::pump`] is sending.
    reader: Option<AnyUserData>,
}

/// `core.connect(host, port, timeout)`: a native session, or nil, message.
pub fn connect(
    lua: &Lua,
    (host, port, timeout): (LuaString, Value, Option<f64>),
) -> mlua::Result<MultiValue> {
    let service = match port {
        Value::Integer(number) => number.to_string(),
        Value::Number(number) if number.fract() == 0.0 => format!("{number:.0}"),
        other => text(lua, other)?.to_str()?.to_string(),
    };
    match Connection::open(&host.to_str()?, &service, deadline::timeout(timeout)) {
        Ok(connection) => values(lua, (LuaSession::new(Some(connection), None),)),
        Err(message) => values(lua, (Value::Nil, message)),
    }
}

/// `core.session(timeout)`: a session for the `create` path, where Lua does
/// the I/O; `timeout` bounds each wait for a reply, as on the native path.
pub fn detached(_: &Lua, timeout: Option<f64>) -> mlua::Result<LuaSession> {
    Ok(LuaSession::new(None, deadline::timeout(timeout)))
}

impl LuaSession {
    fn new(connection: Option<Connection>, timeout: Option<Duration>) -> LuaSession {
        LuaSession {
            wire: Wire::default(),
            connection,
            replies: ReplyDeadline::new(timeout),
            closed: false,
            reader: None,
        }
    }

    /// The next step of the operation under way, as Lua sees it:
    /// `"write", bytes`, `"read"` (a line) and `"read", count` (create path
    /// only), `true` when a body chunk is wanted, `version, cipher` when a
    /// TLS handshake is complete, `code, reply` when the operation
    /// succeeded, `false, reply` when the server rejected it (the session
    /// can go on), and `nil, message` when the connection failed.
    fn advance(&mut self, lua: &Lua) -> mlua::Result<MultiValue> {
        match self.next_step() {
            Ok(step) => self.step_values(lua, step),
            Err(message) => values(lua, (Value::Nil, message)),
        }
    }

    /// The next step: on the native path, after doing the I/O it needs.
    fn next_step(&mut self) -> Result<Step, String> {
        if self.closed {
            return Err(CLOSED.to_string());
        }
        match &mut self.connection {
            Some(connection) => connection.drive(&mut self.wire),
            None => {
                let step = self.wire.poll();
                if matches!(step, Step::ReadLine | Step::ReadBytes(_)) {
                    if !self.replies.may_read(Instant::now()) {
                        return Err(TIMEOUT.to_string());
                    }
                } else {
                    self.replies.interrupt();
                }
                Ok(step)
            }
        }
    }

    fn step_values(&mut self, lua: &Lua, step: Step) -> mlua::Result<MultiValue> {
        match step {
            Step::Write => {
                let bytes = lua.create_string(self.wire.output())?;
                self.wire.written();
                values(lua, ("write", bytes))
            }
            Step::ReadLine => values(lua, ("read",)),
            Step::ReadBytes(count) => values(lua, ("read", count)),
            Step::Body => values(lua, (true,)),
            Step::Sent(length) => values(lua, (length,)),
            Step::Secured => {
                let (version, cipher) = self.wire.tls_description().unwrap_or_default();
                values(lua, (version, cipher))
            }
            Step::Done(Ok(reply)) => values(lua, (reply.code, lua.create_string(&reply.text)?)),
            Step::Done(Err(Failure::Rejected(text))) => {
                values(lua, (false, lua.create_string(&text)?))
            }
            Step::Done(Err(failure)) => {
                values(lua, (Value::Nil, lua.create_string(failure.message())?))
            }
        }
    }

    /// Sends a message made by `smtp.message` as the body, pulling its
    /// pieces here rather than through its Lua source. `readers` maps the
    /// module's own sources (`smtp.attach`'s, `smtp.compose`'s attachments)
    /// to their [`LuaChunkSource`]s, which are pulled here too.
    /// Returns `true` once every piece is in (the driver then ends the
    /// body), `"source", f` for a script's body source that Lua must drain
    /// before calling again, `"write", bytes` on the create path when the
    /// buffer is full, or `nil, message`.
    fn pump(
        &mut self,
        lua: &Lua,
        pieces: &mut MessagePieces,
        readers: &Table,
    ) -> mlua::Result<MultiValue> {
        pieces.set_draining(false);
        loop {
            if self.wire.session.body_full() {
                match self.next_step() {
                    Ok(Step::Body) => {}
                    Ok(step) => return self.step_values(lua, step),
                    Err(message) => return values(lua, (Value::Nil, message)),
                }
            }
            // A reader under way stays in `self.reader` only while it has more.
            if let Some(reader) = self.reader.take() {
                let mut chunks = reader.borrow_mut::<LuaChunkSource>()?;
                match chunks.0.next_chunk() {
                    Ok(Some(chunk)) => self.wire.session.body(chunk),
                    Ok(None) => continue,
                    Err(message) => return values(lua, (Value::Nil, message)),
                };
                drop(chunks);
                self.reader = Some(reader);
                continue;
            }
            match pieces.next_piece() {
                Ok(Some(Segment::Bytes(bytes))) => self.wire.session.body(&bytes),
                Ok(Some(Segment::Leaf(LuaBody::Text(text)))) => {
                    self.wire.session.body(&text.as_bytes())
                }
                Ok(Some(Segment::Leaf(LuaBody::Source(source)))) => {
                    match readers.raw_get::<Value>(&source)? {
                        Value::UserData(reader) if reader.is::<LuaChunkSource>() => {
                            self.reader = Some(reader);
                            false
                        }
                        _ => {
                            pieces.set_draining(true);
                            return values(lua, ("source", source));
                        }
                    }
                }
                Ok(None) => return values(lua, (true,)),
                Err(why) => return values(lua, (Value::Nil, why)),
            };
        }
    }

    /// Starts TLS: `servername` is sent as SNI and checked against the
    /// certificate, which must come from `cafile`'s CAs (or the system's),
    /// unless `verify` is false.
    fn secure(
        &mut self,
        lua: &Lua,
        servername: &str,
        cafile: Option<String>,
        verify: bool,
    ) -> Result<(), String> {
        let trust = match (verify, cafile) {
            (false, _) => Trust::Nothing,
            (true, Some(path)) => Trust::File(path),
            (true, None) => Trust::System,
        };
        let config = tls_configs(lua).get(&trust)?;
        self.wire.secure(config, server_name(servername)?)
    }

    /// The trace lines since the last call, as a table, or nil if none.
    fn traced(&mut self, lua: &Lua) -> mlua::Result<Value> {
        let lines = self.wire.session.take_trace();
        if lines.is_empty() {
            return Ok(Value::Nil);
        }
        let table = lua.create_table_with_capacity(lines.len(), 0)?;
        for line in lines {
            table.push(lua.create_string(line)?)?;
        }
        Ok(Value::Table(table))
    }
}

/// This Lua state's TLS configurations, kept in its app data: they are
/// built once per state and freed when it is closed.
fn tls_configs(lua: &Lua) -> mlua::AppDataRefMut<'_, Configs> {
    if lua.app_data_ref::<Configs>().is_none() {
        lua.set_app_data(Configs::default());
    }
    lua.app_data_mut::<Configs>()
        .expect("the configurations were just set")
}

/// `true`, or `nil, message` when the operation could not start.
fn started(lua: &Lua, outcome: Result<(), Refusal>) -> mlua::Result<MultiValue> {
    match outcome {
        Ok(()) => values(lua, (true,)),
        Err(refusal) => values(lua, (Value::Nil, refusal.message())),
    }
}

/// A string or a number as Lua's `..` would see it; the Lua half has
/// checked the types already.
fn text(lua: &Lua, value: Value) -> mlua::Result<LuaString> {
    let kind = value.type_name();
    lua.coerce_string(value)?
        .ok_or_else(|| mlua::Error::runtime(format!("string expected, got {kind}")))
}

/// The recipients: one string, or a table read like `ipairs` reads it.
fn recipients(lua: &Lua, rcpt: Value) -> mlua::Result<Vec<LuaString>> {
    let Value::Table(list) = rcpt else {
        return Ok(vec![text(lua, rcpt)?]);
    };
    let mut all = Vec::new();
    for index in 1.. {
        match list.get::<Value>(index)? {
            Value::Nil => break,
            value => all.push(text(lua, value)?),
        }
    }
    Ok(all)
}

fn values(lua: &Lua, values: impl mlua::IntoLuaMulti) -> mlua::Result<MultiValue> {
    values.into_lua_multi(lua)
}

impl UserData for LuaSession {
    fn add_methods<M: UserDataMethods<Self>>(methods: &mut M) {
        methods.add_method_mut("greet", |lua, this, domain: Value| {
            let domain = text(lua, domain)?;
            started(lua, this.wire.session.greet(&domain.as_bytes()))
        });
        methods.add_method_mut("mail", |lua, this, from: Value| {
            let from = text(lua, from)?;
            started(lua, this.wire.session.mail(&from.as_bytes()))
        });
        methods.add_method_mut("rcpt", |lua, this, to: Value| {
            let to = text(lua, to)?;
            started(lua, this.wire.session.rcpt(&to.as_bytes()))
        });
        methods.add_method_mut("envelope", |lua, this, (from, rcpt): (Value, Value)| {
            let from = text(lua, from)?;
            let to = recipients(lua, rcpt)?;
            let to_bytes: Vec<_> = to.iter().map(LuaString::as_bytes).collect();
            let to_slices: Vec<&[u8]> = to_bytes.iter().map(|to| &to[..]).collect();
            started(
                lua,
                this.wire.session.envelope(&from.as_bytes(), &to_slices),
            )
        });
        methods.add_method_mut("ehlo", |lua, this, domain: Value| {
            let domain = text(lua, domain)?;
            started(lua, this.wire.session.ehlo(&domain.as_bytes()))
        });
        methods.add_method("offers_starttls", |_, this, ()| {
            Ok(this.wire.session.capabilities().starttls)
        });
        methods.add_method_mut("starttls", |lua, this, ()| {
            started(lua, this.wire.session.starttls())
        });
        methods.add_method_mut(
            "secure",
            |lua, this, (servername, cafile, verify): (LuaString, Option<LuaString>, bool)| {
                let cafile = cafile.map(|path| path.to_string_lossy());
                match this.secure(lua, &servername.to_string_lossy(), cafile, verify) {
                    Ok(()) => values(lua, (true,)),
                    Err(message) => values(lua, (Value::Nil, message)),
                }
            },
        );
        methods.add_method("is_secure", |_, this, ()| Ok(this.wire.is_secure()));
        methods.add_method_mut("data", |lua, this, ()| {
            started(lua, this.wire.session.data())
        });
        methods.add_method_mut("reset", |lua, this, ()| {
            started(lua, this.wire.session.reset())
        });
        methods.add_method_mut("quit", |lua, this, ()| {
            started(lua, this.wire.session.quit())
        });
        // LuaSocket's tp:command and tp:check, for scripts that reach into
        // a session.
        methods.add_method_mut("command", |lua, this, (verb, argument): (Value, Value)| {
            let verb = text(lua, verb)?;
            let argument = match argument {
                Value::Nil => None,
                value => Some(text(lua, value)?),
            };
            let argument = argument.as_ref().map(LuaString::as_bytes);
            started(
                lua,
                this.wire
                    .session
                    .command(&verb.as_bytes(), argument.as_deref()),
            )
        });
        methods.add_method_mut("check", |lua, this, ()| {
            started(lua, this.wire.session.check())
        });
        // A LuaSocket socket's descriptor, for the core to run the session
        // over until Lua takes it back with `detach`.
        methods.add_method_mut("attach", |lua, this, fd: i32| {
            match Connection::adopt(fd, this.replies.timeout()) {
                Ok(connection) => {
                    this.connection = Some(connection);
                    values(lua, (true,))
                }
                Err(message) => values(lua, (Value::Nil, message)),
            }
        });
        methods.add_method_mut("detach", |_, this, ()| {
            if let Some(connection) = this.connection.take() {
                connection.release();
            }
            Ok(())
        });
        // AUTH LOGIN, AUTH PLAIN and AUTH XOAUTH2 take (user, secret) alike.
        let mechanisms: [(&str, Authenticate); 3] = [
            ("login", Session::login),
            ("plain", Session::plain),
            ("xoauth2", Session::xoauth2),
        ];
        for (name, authenticate) in mechanisms {
            methods.add_method_mut(name, move |lua, this, (user, secret): (Value, Value)| {
                let (user, secret) = (text(lua, user)?, text(lua, secret)?);
                let session = &mut this.wire.session;
                started(
                    lua,
                    authenticate(session, &user.as_bytes(), &secret.as_bytes()),
                )
            });
        }
        methods.add_method_mut("trace", |_, this, ()| {
            this.wire.session.enable_trace();
            Ok(())
        });
        methods.add_method_mut("traced", |lua, this, ()| this.traced(lua));
        methods.add_method_mut("advance", |lua, this, ()| this.advance(lua));
        methods.add_method_mut("receive_line", |_, this, line: LuaString| {
            this.wire.receive_line(&line.as_bytes());
            Ok(())
        });
        methods.add_method_mut("receive", |_, this, bytes: LuaString| {
            this.wire.receive(&bytes.as_bytes());
            Ok(())
        });
        methods.add_method_mut("body", |_, this, chunk: LuaString| {
            Ok(this.wire.session.body(&chunk.as_bytes()))
        });
        // A chunk of a source smtp.compose encodes, encoded straight into
        // the body (no Lua string for each encoded chunk); nil: its end.
        // Whether the body is full, or nil, message.
        methods.add_method_mut(
            "body_encoded",
            |lua, this, (encoder, chunk): (AnyUserData, Option<LuaString>)| {
                let mut encoder = encoder.borrow_mut::<LuaStreamedBody>()?;
                let chunk = chunk.as_ref().map(LuaString::as_bytes);
                match encoder.next(chunk.as_deref()) {
                    Ok(bytes) => values(lua, (this.wire.session.body(bytes),)),
                    Err(problem) => values(lua, (Value::Nil, problem)),
                }
            },
        );
        methods.add_method_mut(
            "pump",
            |lua, this, (pieces, readers): (AnyUserData, Table)| {
                let mut pieces = pieces.borrow_mut::<MessagePieces>()?;
                this.pump(lua, &mut pieces, &readers)
            },
        );
        methods.add_method_mut("end_body", |_, this, ()| {
            this.wire.session.end_body();
            Ok(())
        });
        methods.add_method_mut("close", |_, this, ()| {
            this.connection = None;
            this.reader = None;
            this.closed = true;
            Ok(())
        });
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use mlua::Lua;

    use crate::tls::config::Trust;

    /// The cached TLS configurations go with the Lua state: a static would
    /// be lost, not freed, when lua_close unloads the module.
    #[test]
    fn tls_configurations_are_freed_with_the_lua_state() {
        let lua = Lua::new();
        let config = super::tls_configs(&lua).get(&Trust::Nothing).unwrap();
        let again = super::tls_configs(&lua).get(&Trust::Nothing).unwrap();
        assert!(Arc::ptr_eq(&config, &again), "built once per state");
        let weak = Arc::downgrade(&config);
        drop((config, again));
        assert!(weak.upgrade().is_some(), "the state keeps it");
        drop(lua);
        assert!(weak.upgrade().is_none(), "closing the state frees it");
    }

    /// The create path as the Lua half drives it: writes come out as
    /// strings, reply lines go in, and the outcome is `code, reply`.
    #[test]
    fn a_detached_session_hands_its_io_to_lua() {
        let lua = Lua::new();
        lua.globals()
            .set("core", super::super::module_table(&lua).unwrap())
            .unwrap();
        let steps: Vec<String> = lua
            .load(
                r#"
                local s, seen = core.session(), {}
                assert(s:greet("here"))
                local replies = { "220 hi", "250-mx", "250 PIPELINING" }
                for _ = 1, 10 do
                    local step, value = s:advance()
                    seen[#seen + 1] = tostring(step) .. " " .. tostring(value)
                    if step == "read" then s:receive_line(table.remove(replies, 1))
                    elseif step ~= "write" then break end
                end
                seen[#seen + 1] = table.concat({ s:mail("a\r\n") }, " ", 2)
                s:close()
                seen[#seen + 1] = table.concat({ tostring(select(1, s:advance())), select(2, s:advance()) }, " ")
                return seen
                "#,
            )
            .eval()
            .unwrap();
        assert_eq!(
            steps,
            [
                "read nil",
                "write EHLO here\r\n",
                "read nil",
                "read nil",
                "250 250-mx\n250 PIPELINING",
                "invalid from: contains CR or LF",
                "nil closed",
            ]
        );
    }
}
