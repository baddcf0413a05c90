//! The session userdata: a [`Dialogue`] on its [`Wire`] and, on the native
//! path, the [`Connection`] it runs over. Its methods start operations and
//! advance them; the Lua half (`lua/socket/smtp/session.lua`) moves the
//! bytes on the `create` path and pumps LTN12 sources.
//!
//! Every method returns a tag and its values, never raises for a run-time
//! failure (see [`Tag`]).

use std::time::Instant;

use mlua::{AnyUserData, Lua, LuaString, MultiValue, Table, UserData, UserDataMethods, Value};

use super::chunk_source::LuaChunkSource;
use super::compose::LuaStreamedBody;
use super::mesgt::LuaBody;
use super::pieces::MessagePieces;
use super::transaction::Transaction;
use super::values::text;
use crate::driver::connection::Connection;
use crate::message::layout::Segment;
use crate::os_error::TIMEOUT;
use crate::protocol::capabilities::Mechanism;
use crate::protocol::deadline::{self, ReplyDeadline};
use crate::protocol::dialogue::{Policy, TlsMode};
use crate::protocol::session::{Failure, Refusal, Session};
use crate::tls::config::{server_name, Configs, Trust};
use crate::wire::{Step, Wire};

/// What a value handed to Lua is: the first value of every return, and
/// the only thing the Lua half decides on.
#[derive(Debug, Clone, Copy)]
enum Tag {
    /// `"write", bytes`: write them (`create` path).
    Write,
    /// `"read"` a line, or `"read", count` bytes (`create` path).
    Read,
    /// `"body"`: the data phase wants body chunks.
    Body,
    /// `"sent", length`: a script's command is written.
    Sent,
    /// `"connect"`: the session needs a new connection; then advance.
    Connect,
    /// `"ready"[, version, cipher]`: the connection is readied (TLS on,
    /// if the mode asks for it from the first byte).
    Ready,
    /// `"done", code, reply`: the operation succeeded.
    Done,
    /// `"rejected", reply`: the server said no; the session can go on.
    Rejected,
    /// `"refused", message`: the operation could not start, or a step of it
    /// could not; nothing of that step was sent.
    Refused,
    /// `"failed", message`: the connection failed.
    Failed,
    /// `"source", f`: a script's body source for Lua to drain (`pump`).
    Source,
    /// `"pumped"`: every piece of the message is in (`pump`).
    Pumped,
}

impl Tag {
    fn name(self) -> &'static str {
        match self {
            Tag::Write => "write",
            Tag::Read => "read",
            Tag::Body => "body",
            Tag::Sent => "sent",
            Tag::Connect => "connect",
            Tag::Ready => "ready",
            Tag::Done => "done",
            Tag::Rejected => "rejected",
            Tag::Refused => "refused",
            Tag::Failed => "failed",
            Tag::Source => "source",
            Tag::Pumped => "pumped",
        }
    }
}

/// How TLS is verified, from the session's options.
struct TlsOptions {
    /// Sent as SNI and checked against the certificate.
    servername: String,
    /// The CAs to trust; the system's when `None`.
    cafile: Option<String>,
    verify: bool,
}

pub struct LuaSession {
    wire: Wire,
    tls: TlsOptions,
    /// The native connection; `None` on the `create` path, and once Lua has
    /// taken an adopted connection's socket back.
    connection: Option<Connection>,
    /// The `create` path's bound on waiting for replies; its timeout is the
    /// native connections' too.
    replies: ReplyDeadline,
    /// The module's own source whose bytes [`LuaSession::pump`] is sending.
    reader: Option<AnyUserData>,
    /// The recipients of a partial transaction under way, for its report.
    report: Option<Vec<LuaString>>,
}

/// `core.session(options, server, port, own_socket, timeout)`: a session,
/// not connected yet. `options` holds the extension fields (tls, cafile,
/// servername, verify, auth, trace), checked by the Lua half already;
/// `own_socket` says that `create()` makes the connections.
pub fn new(
    lua: &Lua,
    (options, server, port, own_socket, timeout): (Option<Table>, Value, Value, bool, Option<f64>),
) -> mlua::Result<LuaSession> {
    let field = |name: &str| -> mlua::Result<Option<LuaString>> {
        match &options {
            Some(options) => options.get(name),
            None => Ok(None),
        }
    };
    let asked = field("tls")?.and_then(|name| TlsMode::named(&name.as_bytes()));
    let port_465 = lua.coerce_number(port)? == Some(465.0);
    let auth = field("auth")?.and_then(|name| Mechanism::named(&name.as_bytes()));
    let policy = Policy {
        tls: TlsMode::choose(asked, port_465, own_socket),
        auth,
    };
    let mut wire = Wire::new(policy);
    let traced = match &options {
        Some(options) => !matches!(options.get("trace")?, Value::Nil | Value::Boolean(false)),
        None => false,
    };
    if traced {
        wire.dialogue.session.enable_trace();
    }
    // Read only where TLS may start: these checks run for every smtp.send.
    let tls = if policy.tls == TlsMode::Off {
        TlsOptions {
            servername: String::new(),
            cafile: None,
            verify: true,
        }
    } else {
        TlsOptions {
            servername: match field("servername")? {
                Some(name) => name.to_string_lossy(),
                None => lua
                    .coerce_string(server)?
                    .map_or_else(String::new, |name| name.to_string_lossy()),
            },
            cafile: field("cafile")?.map(|path| path.to_string_lossy()),
            verify: match &options {
                Some(options) => options.get::<Value>("verify")?.as_boolean() != Some(false),
                None => true,
            },
        }
    };
    Ok(LuaSession {
        wire,
        tls,
        connection: None,
        replies: ReplyDeadline::new(deadline::timeout(timeout)),
        reader: None,
        report: None,
    })
}

impl LuaSession {
    /// Starts an operation and runs it as far as it goes without Lua: on
    /// the native path, to its end or its body.
    fn run(
        &mut self,
        lua: &Lua,
        start: impl FnOnce(&mut Wire) -> Result<(), Refusal>,
    ) -> mlua::Result<MultiValue> {
        match start(&mut self.wire) {
            Ok(()) => self.advance(lua),
            Err(refusal) => self.refused(lua, &refusal),
        }
    }

    /// `"refused", message, details`: nothing was sent.
    fn refused(&mut self, lua: &Lua, refusal: &Refusal) -> mlua::Result<MultiValue> {
        self.step_values(lua, Step::Done(Err(Failure::Refused(refusal.clone()))))
    }

    /// The next step of the operation under way, tagged.
    fn advance(&mut self, lua: &Lua) -> mlua::Result<MultiValue> {
        match self.next_step(lua) {
            Ok(step) => self.step_values(lua, step),
            Err(message) => self.connection_failed(lua, &message, true),
        }
    }

    /// `"failed", message, details` for a failure of the connection or of
    /// what feeds it: not the server's answer.
    fn connection_failed(
        &mut self,
        lua: &Lua,
        message: &str,
        transient: bool,
    ) -> mlua::Result<MultiValue> {
        self.report = None;
        let details = lua.create_table()?;
        details.set("step", self.wire.dialogue.session.step())?;
        details.set("transient", transient)?;
        values(lua, (Tag::Failed.name(), message, details))
    }

    /// The details of `failure`: `{ step =, code =, status =, transient =,
    /// reply = }`, with a partial transaction's report fields.
    fn details(&mut self, lua: &Lua, failure: &Failure) -> mlua::Result<Table> {
        let details = match self.report_table(lua)? {
            Some(report) => report,
            None => lua.create_table()?,
        };
        details.set("step", failure.step(self.wire.dialogue.session.step()))?;
        details.set("transient", failure.is_transient())?;
        if let Failure::Rejected(rejection) = failure {
            let reply = &rejection.reply;
            details.set("code", reply.code)?;
            details.set("status", reply.status())?;
            details.set("reply", lua.create_string(&reply.text)?)?;
        }
        Ok(details)
    }

    /// The report of a partial transaction, once: `{ accepted = { address,
    /// ... }, rejected = { { address =, code =, status =, reply = }, ... } }`.
    fn report_table(&mut self, lua: &Lua) -> mlua::Result<Option<Table>> {
        let Some(addresses) = self.report.take() else {
            return Ok(None);
        };
        let (accepted, rejected) = (lua.create_table()?, lua.create_table()?);
        let outcomes = self.wire.dialogue.session.recipients();
        for (address, outcome) in addresses.into_iter().zip(outcomes) {
            match outcome {
                Ok(()) => accepted.push(address)?,
                Err(reply) => {
                    let entry = lua.create_table()?;
                    entry.set("address", address)?;
                    entry.set("code", reply.code)?;
                    entry.set("status", reply.status())?;
                    entry.set("reply", lua.create_string(&reply.text)?)?;
                    rejected.push(entry)?;
                }
            }
        }
        let report = lua.create_table()?;
        report.set("accepted", accepted)?;
        report.set("rejected", rejected)?;
        Ok(Some(report))
    }

    /// The next step for Lua: on the native path, after doing the I/O it
    /// needs; TLS is started here, whichever the path.
    fn next_step(&mut self, lua: &Lua) -> Result<Step, String> {
        loop {
            let step = match &mut self.connection {
                Some(connection) => connection.drive(&mut self.wire)?,
                None => {
                    let step = self.wire.poll();
                    if matches!(step, Step::ReadLine | Step::ReadBytes(_)) {
                        if !self.replies.may_read(Instant::now()) {
                            return Err(TIMEOUT.to_string());
                        }
                    } else {
                        self.replies.interrupt();
                    }
                    step
                }
            };
            match step {
                Step::Secure => self.secure(lua)?,
                Step::Connect => {
                    self.connection = None;
                    self.replies.interrupt();
                    return Ok(Step::Connect);
                }
                step => return Ok(step),
            }
        }
    }

    fn step_values(&mut self, lua: &Lua, step: Step) -> mlua::Result<MultiValue> {
        match step {
            Step::Write => {
                let bytes = lua.create_string(self.wire.output())?;
                self.wire.written();
                values(lua, (Tag::Write.name(), bytes))
            }
            Step::ReadLine => values(lua, (Tag::Read.name(),)),
            Step::ReadBytes(count) => values(lua, (Tag::Read.name(), count)),
            Step::Body => values(lua, (Tag::Body.name(),)),
            Step::Sent(length) => values(lua, (Tag::Sent.name(), length)),
            Step::Connect | Step::Secure => values(lua, (Tag::Connect.name(),)),
            Step::Done(Ok(Some(reply))) => {
                let text = lua.create_string(&reply.text)?;
                match self.report_table(lua)? {
                    Some(report) => values(lua, (Tag::Done.name(), reply.code, text, report)),
                    None => values(lua, (Tag::Done.name(), reply.code, text)),
                }
            }
            Step::Done(Ok(None)) => match self.wire.tls_description() {
                Some((version, cipher)) => values(lua, (Tag::Ready.name(), version, cipher)),
                None => values(lua, (Tag::Ready.name(),)),
            },
            Step::Done(Err(failure)) => {
                let tag = match failure {
                    Failure::Rejected(_) => Tag::Rejected,
                    Failure::Refused(_) => Tag::Refused,
                    _ => Tag::Failed,
                };
                let details = self.details(lua, &failure)?;
                let message = lua.create_string(failure.message())?;
                values(lua, (tag.name(), message, details))
            }
        }
    }

    /// Adds a body chunk; when the buffer is full, writes it (native) or
    /// hands it to Lua. `"body"` when more is wanted.
    fn body(&mut self, lua: &Lua, chunk: &[u8]) -> mlua::Result<MultiValue> {
        if self.wire.dialogue.session.body(chunk) {
            return self.advance(lua);
        }
        values(lua, (Tag::Body.name(),))
    }

    /// Sends a message made by `smtp.message` as the body, pulling its
    /// pieces here rather than through its Lua source. `readers` maps the
    /// module's own sources (`smtp.attach`'s, `smtp.compose`'s attachments)
    /// to their [`LuaChunkSource`]s, which are pulled here too.
    /// Returns `"pumped"` once every piece is in (Lua then calls `finish`),
    /// `"source", f` for a script's body source that Lua must drain before
    /// calling again, `"write", bytes` on the create path when the buffer
    /// is full, or `"failed", message`.
    fn pump(
        &mut self,
        lua: &Lua,
        pieces: &mut MessagePieces,
        readers: &Table,
    ) -> mlua::Result<MultiValue> {
        pieces.set_draining(false);
        loop {
            if self.wire.dialogue.session.body_full() {
                match self.next_step(lua) {
                    Ok(Step::Body) => {}
                    Ok(step) => return self.step_values(lua, step),
                    Err(message) => return values(lua, (Tag::Failed.name(), message)),
                }
            }
            let session = &mut self.wire.dialogue.session;
            // A reader under way stays in `self.reader` only while it has more.
            if let Some(reader) = self.reader.take() {
                let mut chunks = reader.borrow_mut::<LuaChunkSource>()?;
                match chunks.0.next_chunk() {
                    Ok(Some(chunk)) => session.body(chunk),
                    Ok(None) => continue,
                    Err(message) => return values(lua, (Tag::Failed.name(), message)),
                };
                drop(chunks);
                self.reader = Some(reader);
                continue;
            }
            match pieces.next_piece() {
                Ok(Some(Segment::Bytes(bytes))) => session.body(&bytes),
                Ok(Some(Segment::Leaf(LuaBody::Text(text)))) => session.body(&text.as_bytes()),
                Ok(Some(Segment::Leaf(LuaBody::Source(source)))) => {
                    match readers.raw_get::<Value>(&source)? {
                        Value::UserData(reader) if reader.is::<LuaChunkSource>() => {
                            self.reader = Some(reader);
                            false
                        }
                        _ => {
                            pieces.set_draining(true);
                            return values(lua, (Tag::Source.name(), source));
                        }
                    }
                }
                Ok(None) => return values(lua, (Tag::Pumped.name(),)),
                Err(why) => return values(lua, (Tag::Failed.name(), why)),
            };
        }
    }

    /// Starts TLS with the session's servername, cafile and verify.
    fn secure(&mut self, lua: &Lua) -> Result<(), String> {
        let trust = match (self.tls.verify, &self.tls.cafile) {
            (false, _) => Trust::Nothing,
            (true, Some(path)) => Trust::File(path.clone()),
            (true, None) => Trust::System,
        };
        let config = tls_configs(lua).get(&trust)?;
        self.wire.secure(config, server_name(&self.tls.servername)?)
    }

    /// The trace lines since the last call, as a table, or nil if none.
    fn traced(&mut self, lua: &Lua) -> mlua::Result<Value> {
        let lines = self.wire.dialogue.session.take_trace();
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

fn values(lua: &Lua, values: impl mlua::IntoLuaMulti) -> mlua::Result<MultiValue> {
    values.into_lua_multi(lua)
}

impl UserData for LuaSession {
    fn add_methods<M: UserDataMethods<Self>>(methods: &mut M) {
        // The native connection: `true`, or `nil, message`.
        methods.add_method_mut("connect", |lua, this, (host, port): (LuaString, Value)| {
            let service = match port {
                Value::Integer(number) => number.to_string(),
                Value::Number(number) if number.fract() == 0.0 => format!("{number:.0}"),
                other => text(lua, other)?.to_str()?.to_string(),
            };
            match Connection::open(&host.to_str()?, &service, this.replies.timeout()) {
                Ok(connection) => {
                    this.connection = Some(connection);
                    values(lua, (true,))
                }
                Err(message) => values(lua, (Value::Nil, message)),
            }
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
        methods.add_method_mut("open", |lua, this, ()| {
            this.run(lua, |wire| wire.dialogue.open())
        });
        methods.add_method_mut("greet", |lua, this, domain: Value| {
            let domain = text(lua, domain)?;
            this.run(lua, |wire| wire.dialogue.greet(&domain.as_bytes()))
        });
        // AUTH as the policy or LuaSocket's choice from `ext` says.
        methods.add_method_mut(
            "authenticate",
            |lua, this, (user, secret, ext): (Value, Value, Value)| {
                let (user, secret) = (text(lua, user)?, text(lua, secret)?);
                let ext = match ext {
                    Value::String(ext) => Some(ext),
                    _ => None,
                };
                let ext = ext.as_ref().map(LuaString::as_bytes);
                this.run(lua, |wire| {
                    let (user, secret) = (user.as_bytes(), secret.as_bytes());
                    wire.dialogue
                        .authenticate(&user, &secret, None, ext.as_deref())
                })
            },
        );
        // AUTH LOGIN, AUTH PLAIN and AUTH XOAUTH2 take (user, secret) alike.
        for mechanism in [Mechanism::Login, Mechanism::Plain, Mechanism::Xoauth2] {
            methods.add_method_mut(
                mechanism.name(),
                move |lua, this, (user, secret): (Value, Value)| {
                    let (user, secret) = (text(lua, user)?, text(lua, secret)?);
                    this.run(lua, |wire| {
                        let (user, secret) = (user.as_bytes(), secret.as_bytes());
                        wire.dialogue
                            .authenticate(&user, &secret, Some(mechanism), None)
                    })
                },
            );
        }
        methods.add_method_mut("mail", |lua, this, from: Value| {
            let from = text(lua, from)?;
            this.run(lua, |wire| {
                wire.dialogue
                    .operation(|session| session.mail(&from.as_bytes()))
            })
        });
        methods.add_method_mut("rcpt", |lua, this, to: Value| {
            let to = text(lua, to)?;
            this.run(lua, |wire| {
                wire.dialogue
                    .operation(|session| session.rcpt(&to.as_bytes()))
            })
        });
        // The envelope and DATA: a transaction up to its body, with the
        // ESMTP parameters that `body`, `size` and `dsn` need. `partial`: a
        // rejected recipient does not end it while another is accepted, and
        // the reply to the message comes with a report.
        methods.add_method_mut(
            "send",
            |lua, this, (from, rcpt, partial, body, size, dsn): (Value, Value, bool, Value, Value, Value)| {
                let transaction = Transaction::read(lua, from, rcpt, (body, size, dsn))?;
                let request = transaction.request();
                let started = this
                    .wire
                    .dialogue
                    .operation(|session| session.transaction(&request, partial));
                drop(request);
                this.report = partial.then_some(transaction.addresses);
                match started {
                    Ok(()) => this.advance(lua),
                    Err(refusal) => this.refused(lua, &refusal),
                }
            },
        );
        // A failure of what the Lua half does (a socket call, a body
        // source): `"failed", message, details`.
        methods.add_method_mut(
            "failed",
            |lua, this, (message, transient): (LuaString, bool)| {
                this.connection_failed(lua, &message.to_string_lossy(), transient)
            },
        );
        methods.add_method_mut("data", |lua, this, ()| {
            this.run(lua, |wire| wire.dialogue.operation(Session::data))
        });
        methods.add_method_mut("quit", |lua, this, ()| {
            this.run(lua, |wire| wire.dialogue.operation(Session::quit))
        });
        // RSET, or a new connection readied as the lost one was.
        methods.add_method_mut("reset", |lua, this, domain: Value| {
            let domain = text(lua, domain)?;
            this.run(lua, |wire| wire.dialogue.reset(&domain.as_bytes()))
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
            this.run(lua, |wire| {
                wire.dialogue
                    .operation(|session| session.command(&verb.as_bytes(), argument.as_deref()))
            })
        });
        methods.add_method_mut("check", |lua, this, ()| {
            this.run(lua, |wire| wire.dialogue.operation(Session::check))
        });
        methods.add_method_mut("advance", |lua, this, ()| this.advance(lua));
        methods.add_method_mut("receive_line", |_, this, line: LuaString| {
            this.wire.receive_line(&line.as_bytes());
            Ok(())
        });
        methods.add_method_mut("receive", |_, this, bytes: LuaString| {
            this.wire.receive(&bytes.as_bytes());
            Ok(())
        });
        methods.add_method_mut("body", |lua, this, chunk: LuaString| {
            this.body(lua, &chunk.as_bytes())
        });
        // A chunk of a source smtp.compose encodes, encoded straight into
        // the body (no Lua string for each encoded chunk); nil: its end.
        methods.add_method_mut(
            "body_encoded",
            |lua, this, (encoder, chunk): (AnyUserData, Option<LuaString>)| {
                let mut encoder = encoder.borrow_mut::<LuaStreamedBody>()?;
                let chunk = chunk.as_ref().map(LuaString::as_bytes);
                match encoder.next(chunk.as_deref()) {
                    Ok(bytes) => this.body(lua, bytes),
                    Err(problem) => values(lua, (Tag::Failed.name(), problem)),
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
        // The body's end, and the reply to it.
        methods.add_method_mut("finish", |lua, this, ()| {
            this.wire.dialogue.session.end_body();
            this.advance(lua)
        });
        methods.add_method_mut("traced", |lua, this, ()| this.traced(lua));
        // The connection failed: a `reset` will make a new one.
        methods.add_method_mut("disconnect", |_, this, ()| {
            this.connection = None;
            this.reader = None;
            this.wire.dialogue.lose();
            Ok(())
        });
        // The script closed the session.
        methods.add_method_mut("close", |_, this, ()| {
            this.connection = None;
            this.reader = None;
            this.wire.dialogue.close();
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
    /// strings, reply lines go in, and every value says what it is.
    #[test]
    fn a_detached_session_hands_its_io_to_lua() {
        let lua = Lua::new();
        lua.globals()
            .set("core", super::super::module_table(&lua).unwrap())
            .unwrap();
        let steps: Vec<String> = lua
            .load(
                r#"
                local s, seen = core.session(nil, "mx.example", 25, true, 5), {}
                local tag, value, extra = s:greet("here")
                local replies = { "220 hi", "250-mx", "250 PIPELINING" }
                for _ = 1, 10 do
                    seen[#seen + 1] = table.concat({ tag, tostring(value), extra }, " ")
                    if tag == "read" then s:receive_line(table.remove(replies, 1))
                    elseif tag ~= "write" then break end
                    tag, value, extra = s:advance()
                end
                local function refused(tag, message, details)
                    return table.concat({ tag, message, details.step, tostring(details.transient) }, " ")
                end
                seen[#seen + 1] = refused(s:mail("a\r\n"))
                s:close()
                seen[#seen + 1] = refused(s:mail("<a@x>"))
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
                "done 250 250-mx\n250 PIPELINING",
                "refused invalid from: contains CR or LF mail false",
                "refused closed connect false",
            ]
        );
    }

    /// The port is read as Lua's tonumber reads it: "465" is port 465.
    #[test]
    fn the_tls_mode_comes_from_the_options_the_port_and_create() {
        use crate::protocol::dialogue::TlsMode::{self, Implicit, Off, Opportunistic, StartTls};
        let lua = Lua::new();
        lua.globals()
            .set("core", super::super::module_table(&lua).unwrap())
            .unwrap();
        let mode = |arguments: &str| -> TlsMode {
            let session: mlua::AnyUserData = lua
                .load(format!("return core.session({arguments}, 5)"))
                .eval()
                .unwrap();
            let session = session.borrow::<super::LuaSession>().unwrap();
            session.wire.dialogue.policy().tls
        };
        let cases = [
            ("nil, 'mx', 465, false", Implicit),
            ("nil, 'mx', '465', false", Implicit),
            ("nil, 'mx', 465.0, false", Implicit),
            ("nil, 'mx', 465, true", Off),
            ("nil, 'mx', '465', true", Off),
            ("{ tls = 'none' }, 'mx', 465, false", Off),
            ("{ tls = 'starttls' }, 'mx', 465, false", StartTls),
            ("{ tls = 'auto' }, 'mx', 465, false", Opportunistic),
            ("{ tls = 'tls' }, 'mx', 25, true", Implicit),
            ("{ tls = 'starttls' }, 'mx', 587, false", StartTls),
            ("nil, 'mx', 25, false", Off),
            ("nil, 'mx', '587', false", Off),
            ("{}, 'mx', nil, false", Off),
        ];
        for (arguments, expected) in cases {
            assert_eq!(mode(arguments), expected, "{arguments}");
        }
    }
}
