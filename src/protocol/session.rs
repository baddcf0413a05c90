//! The SMTP client session, without I/O: operations queue commands, the
//! driver writes what [`Session::poll`] asks it to write and feeds back what
//! the server answers, until the operation is done.
//!
//! An operation is a list of exchanges: a command (or none, for the
//! greeting) and the reply it needs. A command marked `waits` is
//! written only after every earlier reply has arrived; the others go out
//! together, which is how PIPELINING sends an envelope in one write.
//!
//! A rejection ends the operation but not the session: the replies to
//! commands already written are still read (and ignored) before the
//! failure is reported, so the next command's reply cannot be confused with
//! them, and the session can go on (after [`Session::reset`]).

use std::borrow::Cow;
use std::collections::VecDeque;

use super::capabilities::Capabilities;
use super::command::Command;
use super::dot_stuff::{DotStuffer, TERMINATOR};
use super::expect::Expect;
use super::mail_parameters::{Envelope, Refusal as EnvelopeRefusal, Request};
use super::reply::{Reply, ReplyError, ReplyReader};
use super::trace::Trace;
use crate::os_error::CLOSED;

/// Body bytes are buffered up to this size before the driver writes them.
pub const BODY_BUFFER: usize = 64 * 1024;

/// What the driver must do next.
#[derive(Debug, PartialEq, Eq)]
pub enum Next {
    /// Write [`Session::output`], then call [`Session::written`].
    Write,
    /// Read from the server and [`Session::receive`] the bytes.
    Read,
    /// The data phase is open: give [`Session::body`] chunks, then
    /// [`Session::end_body`].
    Body,
    /// A script's own command ([`Session::command`]) is written; this is
    /// its length in bytes, what LuaSocket's `tp:command` returns.
    Sent(usize),
    /// The operation is over. On success, its last reply.
    Done(Result<Reply, Failure>),
}

/// Why an operation failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Failure {
    /// The server answered with another class of reply.
    Rejected(Rejection),
    /// The server's bytes are not an SMTP reply; the step they answered.
    Malformed(ReplyError, &'static str),
    /// The TLS layer failed; this says why.
    Tls(String),
    /// A step of an operation of several could not start; nothing of it
    /// was sent.
    Refused(Refusal),
    /// [`Session::poll`] was called with no operation under way.
    Idle,
}

impl Failure {
    /// The step that failed, as [`Session::step`] names it; `step` is the
    /// session's, for the failures that do not know theirs.
    pub fn step(&self, step: &'static str) -> &'static str {
        match self {
            Failure::Rejected(rejection) => rejection.step,
            Failure::Malformed(_, step) => step,
            Failure::Tls(_) => "tls",
            Failure::Refused(refusal) => refusal.step().unwrap_or(step),
            Failure::Idle => step,
        }
    }

    /// Whether trying again later may succeed: a 4xx reply.
    pub fn is_transient(&self) -> bool {
        matches!(self, Failure::Rejected(rejection) if rejection.reply.class() == 4)
    }

    pub fn message(&self) -> Cow<'_, [u8]> {
        match self {
            Failure::Rejected(rejection) => Cow::Borrowed(&rejection.reply.text),
            Failure::Malformed(error, _) => Cow::Borrowed(error.message().as_bytes()),
            Failure::Tls(reason) => Cow::Borrowed(reason.as_bytes()),
            Failure::Refused(refusal) => Cow::Owned(refusal.message().into_bytes()),
            Failure::Idle => Cow::Borrowed(b"no command under way"),
        }
    }
}

/// A reply that is not the one an exchange needs, and what it answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejection {
    pub reply: Reply,
    /// The step the reply answered (see [`Session::step`]).
    pub step: &'static str,
}

/// Why an operation was not started.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// An argument holds CR or LF, which would inject another command.
    LineBreak(&'static str),
    /// Another operation is still under way.
    Busy,
    /// STARTTLS was asked for, and the last EHLO reply does not offer it.
    NoStartTls,
    /// No AUTH mechanism was named, and the EHLO reply offers none known.
    NoMechanism,
    /// Credentials would go out in plain text where TLS was asked for.
    InPlainText,
    /// The transaction asks for what this server cannot take.
    Envelope(EnvelopeRefusal),
    /// The connection is closed, or was lost.
    Closed,
}

impl Refusal {
    /// The step that could not start, where the refusal says.
    pub fn step(&self) -> Option<&'static str> {
        match self {
            Refusal::LineBreak("domain") => Some("ehlo"),
            Refusal::LineBreak("from") => Some("mail"),
            Refusal::LineBreak("rcpt") => Some("rcpt"),
            Refusal::LineBreak("user") | Refusal::NoMechanism | Refusal::InPlainText => {
                Some("auth")
            }
            Refusal::LineBreak(_) => Some("command"),
            Refusal::NoStartTls => Some("starttls"),
            Refusal::Envelope(_) => Some("mail"),
            Refusal::Busy | Refusal::Closed => None,
        }
    }

    pub fn message(&self) -> String {
        match self {
            Refusal::LineBreak(field) => format!("invalid {field}: contains CR or LF"),
            Refusal::Busy => "the session is in the middle of another command".to_string(),
            Refusal::NoStartTls => "STARTTLS not supported by server".to_string(),
            Refusal::NoMechanism => "authentication not supported".to_string(),
            Refusal::InPlainText => {
                "credentials refused: the connection is not encrypted".to_string()
            }
            Refusal::Closed => CLOSED.to_string(),
            Refusal::Envelope(refusal) => refusal.message().into_owned(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum After {
    Nothing,
    /// The reply lists the extensions.
    Ehlo,
    /// A 3xx reply to DATA opens the body.
    Data,
    /// A 2xx reply to STARTTLS: TLS starts next, and whatever else the
    /// server sent in plain text is discarded (RFC 3207).
    StartTls,
    /// A 3xx reply is an error challenge (XOAUTH2): an empty line answers
    /// it, and the server's next reply is the failure.
    ErrorChallenge,
    /// The reply is a recipient's outcome, kept for the transaction's
    /// report.
    Recipient,
}

#[derive(Debug)]
struct Exchange {
    /// Length of this exchange's command at the front of the staged bytes.
    command: usize,
    expect: Expect,
    waits: bool,
    after: After,
    /// Where the secret starts in the command, for the trace.
    secret_from: Option<usize>,
    /// What the reply answers (see [`Session::step`]).
    step: &'static str,
}

#[derive(Debug, Default)]
pub struct Session {
    /// Commands not written yet, in order.
    staged: Vec<u8>,
    exchanges: VecDeque<Exchange>,
    /// How many of `exchanges` have had their command moved to `output`.
    released: usize,
    output: Vec<u8>,
    replies: ReplyReader,
    in_body: bool,
    stuffer: DotStuffer,
    /// Bytes of the message data so far, before stuffing, for the trace.
    body_size: u64,
    /// What the last EHLO reply offers.
    offered: Capabilities,
    last: Option<Reply>,
    /// The rejection that ends the operation under way, once the replies
    /// still due have been read.
    rejection: Option<Rejection>,
    /// The outcome of each recipient of the last transaction, in order.
    recipients: Vec<Result<(), Reply>>,
    /// How many recipients the transaction under way has.
    recipients_due: usize,
    /// Whether a rejected recipient leaves the transaction going while
    /// another is accepted.
    partial: bool,
    /// What the reply to the script's last command means for the session,
    /// until [`Session::check`] reads it. Only the last: a script that reads
    /// a reply from the socket itself leaves no stale meaning behind once
    /// it sends another command.
    unanswered: Option<After>,
    /// The length of the script's command that the operation under way writes.
    sent: Option<usize>,
    trace: Trace,
}

impl Session {
    /// A session for a new connection, tracing as this one does.
    pub fn fresh(&self) -> Session {
        Session {
            trace: self.trace.fresh(),
            ..Session::default()
        }
    }

    /// Reads the greeting, then sends EHLO.
    pub fn greet(&mut self, domain: &[u8]) -> Result<(), Refusal> {
        let ehlo = Command::Ehlo { domain };
        self.start(&[ehlo])?;
        self.await_reply(Expect::Completion, After::Nothing, "greeting");
        self.queue(ehlo, Expect::Completion, After::Ehlo);
        Ok(())
    }

    /// EHLO alone, as after STARTTLS.
    pub fn ehlo(&mut self, domain: &[u8]) -> Result<(), Refusal> {
        let ehlo = Command::Ehlo { domain };
        self.start(&[ehlo])?;
        self.queue(ehlo, Expect::Completion, After::Ehlo);
        Ok(())
    }

    /// What the last EHLO reply offers; nothing after STARTTLS until the
    /// next EHLO.
    pub fn capabilities(&self) -> &Capabilities {
        &self.offered
    }

    /// STARTTLS; once it succeeds the driver must start TLS, then EHLO again.
    pub fn starttls(&mut self) -> Result<(), Refusal> {
        self.start(&[])?;
        if !self.offered.starttls {
            return Err(Refusal::NoStartTls);
        }
        self.queue(Command::StartTls, Expect::Completion, After::StartTls);
        Ok(())
    }

    pub fn mail(&mut self, from: &[u8]) -> Result<(), Refusal> {
        let mail = Command::Mail {
            from,
            parameters: b"",
        };
        self.start(&[mail])?;
        self.queue(mail, Expect::Completion, After::Nothing);
        Ok(())
    }

    pub fn rcpt(&mut self, to: &[u8]) -> Result<(), Refusal> {
        let rcpt = Command::Rcpt {
            to,
            parameters: b"",
        };
        self.start(&[rcpt])?;
        self.queue(rcpt, Expect::Completion, After::Nothing);
        Ok(())
    }

    /// A whole mail transaction up to its body: MAIL FROM and every RCPT TO
    /// with the ESMTP parameters `request` needs of this server (in one
    /// write when the server pipelines), then DATA once every reply to
    /// them is in. `partial`: a rejected recipient does not end it while
    /// another is accepted. Each recipient's outcome is kept
    /// ([`Session::recipients`]).
    pub fn transaction(&mut self, request: &Request<'_>, partial: bool) -> Result<(), Refusal> {
        let envelope = Envelope::plan(request, &self.offered).map_err(Refusal::Envelope)?;
        let mut parameters = Vec::new();
        envelope.mail.write_parameters(&mut parameters);
        let mail = Command::Mail {
            from: envelope.mail.address.text(),
            parameters: &parameters,
        };
        self.start(&[mail])?;
        let recipients: Vec<(&[u8], Vec<u8>)> = envelope
            .recipients
            .iter()
            .map(|rcpt| {
                let mut parameters = Vec::new();
                rcpt.write_parameters(&mut parameters);
                (rcpt.address.text(), parameters)
            })
            .collect();
        fn rcpt<'a>((to, parameters): &'a (&'a [u8], Vec<u8>)) -> Command<'a> {
            Command::Rcpt { to, parameters }
        }
        if let Some(field) = recipients.iter().find_map(|r| rcpt(r).line_break()) {
            return Err(Refusal::LineBreak(field));
        }
        let waits = !self.offered.pipelining;
        self.queue(mail, Expect::Completion, After::Nothing);
        for recipient in &recipients {
            self.queue(rcpt(recipient), Expect::Completion, After::Recipient)
                .waits = waits;
        }
        self.recipients.clear();
        self.recipients_due = recipients.len();
        self.partial = partial;
        self.queue(Command::Data, Expect::Intermediate, After::Data);
        Ok(())
    }

    /// Each recipient's outcome in the last transaction: accepted, or the
    /// reply that rejected it. Recipients not answered are left out.
    pub fn recipients(&self) -> &[Result<(), Reply>] {
        &self.recipients
    }

    /// What the operation under way is waiting for, for a failure's
    /// report: "greeting", "ehlo", "starttls", "auth", "mail", "rcpt",
    /// "data" (DATA's reply), "message" (the message and the reply to it),
    /// "rset", "quit", "command"; "connect" when nothing is under way.
    pub fn step(&self) -> &'static str {
        match self.exchanges.front() {
            Some(exchange) => exchange.step,
            None if self.in_body => "message",
            None => "connect",
        }
    }

    /// Sends DATA; a 3xx reply opens the body.
    pub fn data(&mut self) -> Result<(), Refusal> {
        self.start(&[])?;
        self.queue(Command::Data, Expect::Intermediate, After::Data);
        Ok(())
    }

    /// Adds a body chunk, line ends made CRLF and dots stuffed. Returns whether the buffer is full,
    /// in which case [`Session::poll`] asks for a write.
    pub fn body(&mut self, chunk: &[u8]) -> bool {
        self.body_size += chunk.len() as u64;
        self.stuffer.stuff(chunk, &mut self.output);
        self.body_full()
    }

    /// Whether the body buffer is full: [`Session::poll`] asks for a write.
    pub fn body_full(&self) -> bool {
        self.output.len() >= BODY_BUFFER
    }

    /// Ends the body; its last bytes and the terminator go out in one write.
    pub fn end_body(&mut self) {
        self.in_body = false;
        self.trace.data(self.body_size);
        self.stuffer.finish(&mut self.output);
        self.output.extend_from_slice(TERMINATOR);
        self.await_reply(Expect::Completion, After::Nothing, "message");
    }

    /// RSET: ends the mail transaction under way, if any (RFC 5321 §4.1.1.5).
    pub fn reset(&mut self) -> Result<(), Refusal> {
        self.start(&[])?;
        self.queue(Command::Rset, Expect::Completion, After::Nothing);
        Ok(())
    }

    pub fn quit(&mut self) -> Result<(), Refusal> {
        self.start(&[])?;
        self.queue(Command::Quit, Expect::Completion, After::Nothing);
        Ok(())
    }

    /// AUTH LOGIN: the user name and the password answer one 334 each.
    pub fn login(&mut self, user: &[u8], password: &[u8]) -> Result<(), Refusal> {
        let user = Command::LoginUser(user);
        self.start(&[user])?;
        self.queue(Command::AuthLogin, Expect::Intermediate, After::Nothing);
        self.queue(user, Expect::Intermediate, After::Nothing);
        let password = Command::Secret(password);
        self.queue(password, Expect::Completion, After::Nothing);
        Ok(())
    }

    /// AUTH PLAIN with the initial response (RFC 4616).
    pub fn plain(&mut self, user: &[u8], password: &[u8]) -> Result<(), Refusal> {
        let plain = Command::AuthPlain { user, password };
        self.start(&[plain])?;
        self.queue(plain, Expect::Completion, After::Nothing);
        Ok(())
    }

    /// AUTH XOAUTH2 with an OAuth 2.0 bearer token. A 334 reply is an
    /// error challenge.
    pub fn xoauth2(&mut self, user: &[u8], token: &[u8]) -> Result<(), Refusal> {
        let xoauth2 = Command::AuthXoauth2 { user, token };
        self.start(&[xoauth2])?;
        self.queue(xoauth2, Expect::Completion, After::ErrorChallenge);
        Ok(())
    }

    /// A script's own command, as LuaSocket's `tp:command` writes it: the
    /// verb in capitals, then a space and the argument if there is one. The
    /// operation ends once it is written ([`Next::Sent`]); [`Session::check`]
    /// reads the reply, or the script reads it from the socket itself.
    pub fn command(&mut self, verb: &[u8], argument: Option<&[u8]>) -> Result<(), Refusal> {
        let command = Command::Script { verb, argument };
        self.begin(&[command])?;
        let meaning = if verb.eq_ignore_ascii_case(b"EHLO") {
            After::Ehlo
        } else if verb.eq_ignore_ascii_case(b"STARTTLS") {
            After::StartTls
        } else {
            After::Nothing
        };
        let start = self.output.len();
        command.write(&mut self.output);
        let line = &self.output[start..self.output.len() - 2];
        self.trace.command(line, command.secret_from());
        self.sent = Some(self.output.len() - start);
        self.unanswered = Some(meaning);
        Ok(())
    }

    /// Reads the next reply, whatever its code: LuaSocket's `tp:check`,
    /// whose caller judges the code. A 2xx reply to the script's EHLO tells
    /// what the server offers, and one to its STARTTLS forgets that and what
    /// else came in plain text, as after the module's own commands.
    pub fn check(&mut self) -> Result<(), Refusal> {
        self.begin(&[])?;
        let after = self.unanswered.take().unwrap_or(After::Nothing);
        self.await_reply(Expect::Judged, after, "command");
        Ok(())
    }

    /// Keeps the trace lines from now on; see [`Session::take_trace`].
    pub fn enable_trace(&mut self) {
        self.trace.enable();
    }

    /// The trace lines since the last call, "C: ..." and "S: ...".
    pub fn take_trace(&mut self) -> Vec<Vec<u8>> {
        self.trace.take()
    }

    /// Takes bytes the server sent.
    pub fn receive(&mut self, bytes: &[u8]) {
        self.replies.push(bytes);
    }

    /// Takes one line the server sent, without its line end.
    pub fn receive_line(&mut self, line: &[u8]) {
        self.replies.push_line(line);
    }

    /// The bytes to write now.
    pub fn output(&self) -> &[u8] {
        &self.output
    }

    /// Tells the session that [`Session::output`] has been written.
    pub fn written(&mut self) {
        self.output.clear();
    }

    /// What to do next for the operation under way.
    pub fn poll(&mut self) -> Next {
        loop {
            self.release();
            let body_open = self.in_body && self.exchanges.is_empty();
            // An open body keeps its bytes until the buffer is full.
            let holding = body_open && self.output.len() < BODY_BUFFER;
            if !self.output.is_empty() && !holding {
                return Next::Write;
            }
            if body_open {
                return Next::Body;
            }
            if self.exchanges.is_empty() {
                if let Some(rejection) = self.rejection.take() {
                    return Next::Done(Err(Failure::Rejected(rejection)));
                }
                if let Some(length) = self.sent.take() {
                    return Next::Sent(length);
                }
                return Next::Done(self.last.take().ok_or(Failure::Idle));
            }
            let reply = match self.replies.next_reply() {
                None => return Next::Read,
                Some(Err(error)) => {
                    let step = self.step();
                    return self.fail(Failure::Malformed(error, step));
                }
                Some(Ok(reply)) => reply,
            };
            let exchange = self.exchanges.pop_front().expect("a reply was awaited");
            self.released -= 1;
            self.trace.reply(&reply.text);
            if self.rejection.is_some() {
                continue;
            }
            if exchange.after == After::ErrorChallenge && reply.class() == 3 {
                self.queue(Command::Empty, Expect::Failure, After::Nothing);
                continue;
            }
            if !exchange.expect.is_met_by(&reply) {
                if exchange.expect == Expect::Judged {
                    self.last = Some(reply);
                } else if exchange.after == After::Recipient {
                    self.refuse_recipient(reply);
                } else {
                    self.reject(reply, exchange.step);
                }
                continue;
            }
            match exchange.after {
                After::Nothing | After::ErrorChallenge => {}
                After::Recipient => self.recipients.push(Ok(())),
                After::Ehlo => self.offered = Capabilities::parse(&reply.text),
                After::Data => {
                    self.in_body = true;
                    self.stuffer = DotStuffer::default();
                    self.body_size = 0;
                }
                After::StartTls => {
                    self.replies.clear();
                    // Only the EHLO after the handshake tells what is offered.
                    self.offered = Capabilities::default();
                }
            }
            self.last = Some(reply);
        }
    }

    /// [`Session::begin`] for the module's own operations, which end what
    /// the script's commands were: their replies, if still due, are the
    /// script's to have read (as with LuaSocket, where they would be taken
    /// for the next command's).
    fn start(&mut self, commands: &[Command<'_>]) -> Result<(), Refusal> {
        self.begin(commands)?;
        self.unanswered = None;
        Ok(())
    }

    /// Checks that no operation is under way and that none of `commands`
    /// holds a line break.
    fn begin(&mut self, commands: &[Command<'_>]) -> Result<(), Refusal> {
        if !self.exchanges.is_empty() || self.in_body {
            return Err(Refusal::Busy);
        }
        if let Some(field) = commands.iter().find_map(Command::line_break) {
            return Err(Refusal::LineBreak(field));
        }
        self.last = None;
        Ok(())
    }

    /// Queues `command` and the reply it needs; it waits for every earlier
    /// reply unless told otherwise.
    fn queue(&mut self, command: Command<'_>, expect: Expect, after: After) -> &mut Exchange {
        let before = self.staged.len();
        command.write(&mut self.staged);
        let length = self.staged.len() - before;
        let exchange = self.await_reply(expect, after, command.step());
        exchange.command = length;
        exchange.secret_from = command.secret_from();
        exchange
    }

    /// Queues a wait for a reply to no command of its own: the greeting,
    /// the reply to the data, or one the script's command asked for.
    fn await_reply(&mut self, expect: Expect, after: After, step: &'static str) -> &mut Exchange {
        self.exchanges.push_back(Exchange {
            command: 0,
            expect,
            waits: true,
            after,
            secret_from: None,
            step,
        });
        self.exchanges.back_mut().expect("just pushed")
    }

    /// Moves to the output every command that may be written now.
    fn release(&mut self) {
        let mut moved = 0;
        while let Some(exchange) = self.exchanges.get(self.released) {
            if exchange.waits && self.released > 0 {
                break;
            }
            if exchange.command > 0 {
                let command = &self.staged[moved..moved + exchange.command - 2];
                self.trace.command(command, exchange.secret_from);
            }
            moved += exchange.command;
            self.released += 1;
        }
        if moved > 0 {
            self.output.extend_from_slice(&self.staged[..moved]);
            self.staged.drain(..moved);
        }
    }

    /// Keeps `reply` as the operation's outcome. Commands not written yet
    /// are dropped; the replies to those already written are still due.
    fn reject(&mut self, reply: Reply, step: &'static str) {
        self.exchanges.truncate(self.released);
        self.staged.clear();
        self.rejection = Some(Rejection { reply, step });
    }

    /// A recipient was rejected: that ends the transaction unless it is
    /// partial; a partial one ends once every recipient is rejected, with
    /// the first rejection.
    fn refuse_recipient(&mut self, reply: Reply) {
        if !self.partial {
            self.recipients.push(Err(reply.clone()));
            return self.reject(reply, "rcpt");
        }
        self.recipients.push(Err(reply));
        let answered = self.recipients.len() == self.recipients_due;
        if answered && self.recipients.iter().all(Result::is_err) {
            if let Some(Err(first)) = self.recipients.first() {
                let first = first.clone();
                self.reject(first, "rcpt");
            }
        }
    }

    /// Ends the operation with `failure`, which leaves the connection in an
    /// unknown state: nothing more is read or written for it.
    fn fail(&mut self, failure: Failure) -> Next {
        self.exchanges.clear();
        self.released = 0;
        self.staged.clear();
        self.output.clear();
        self.replies.clear();
        self.in_body = false;
        self.rejection = None;
        self.unanswered = None;
        self.sent = None;
        Next::Done(Err(failure))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::mail_parameters::Recipient;

    /// Runs the operation under way against canned server bytes: returns
    /// every write, in order, and the outcome. `answers[i]` is what the
    /// server sends at the i-th read.
    fn run(session: &mut Session, answers: &[&str]) -> (Vec<String>, Result<String, String>) {
        let mut writes = Vec::new();
        let mut answers = answers.iter();
        loop {
            match session.poll() {
                Next::Write => {
                    writes.push(String::from_utf8(session.output().to_vec()).unwrap());
                    session.written();
                }
                Next::Read => session.receive(answers.next().expect("a read too many").as_bytes()),
                Next::Body => return (writes, Ok("<body>".into())),
                Next::Sent(length) => return (writes, Ok(format!("<sent {length}>"))),
                Next::Done(outcome) => {
                    let text = |bytes: &[u8]| String::from_utf8(bytes.to_vec()).unwrap();
                    return (
                        writes,
                        outcome
                            .map(|r| text(&r.text))
                            .map_err(|f| text(&f.message())),
                    );
                }
            }
        }
    }

    /// Runs a script's command; returns what it wrote.
    fn command(session: &mut Session, verb: &[u8], argument: Option<&[u8]>) -> String {
        session.command(verb, argument).unwrap();
        let (writes, outcome) = run(session, &[]);
        let written = writes.concat();
        assert_eq!(outcome, Ok(format!("<sent {}>", written.len())));
        written
    }

    /// A transaction from `from` to `to`, asking for no extension.
    fn envelope(session: &mut Session, from: &[u8], to: &[&[u8]]) -> Result<(), Refusal> {
        let request = Request {
            from,
            recipients: to.iter().map(|&to| Recipient::new(to)).collect(),
            ..Request::default()
        };
        session.transaction(&request, false)
    }

    fn greeted(ehlo: &str) -> Session {
        let mut session = Session::default();
        session.greet(b"client.example").unwrap();
        let (writes, outcome) = run(&mut session, &["220 mx ready\r\n", ehlo]);
        assert_eq!(writes, ["EHLO client.example\r\n"]);
        assert!(outcome.is_ok());
        session
    }

    #[test]
    fn greet_reads_the_greeting_then_returns_the_ehlo_reply() {
        let mut session = Session::default();
        session.greet(b"here").unwrap();
        let (writes, outcome) = run(&mut session, &["220 hi\r\n", "250-mx\r\n250 HELP\r\n"]);
        assert_eq!(writes, ["EHLO here\r\n"]);
        assert_eq!(outcome, Ok("250-mx\n250 HELP".into()));
    }

    #[test]
    fn a_rejecting_greeting_ends_the_operation_with_its_text() {
        let mut session = Session::default();
        session.greet(b"here").unwrap();
        let (writes, outcome) = run(&mut session, &["554 go away\r\n"]);
        assert!(writes.is_empty());
        assert_eq!(outcome, Err("554 go away".into()));
    }

    #[test]
    fn without_pipelining_each_recipient_waits_for_the_previous_reply() {
        let mut session = greeted("250 mx\r\n");
        envelope(&mut session, b"<a@x>", &[b"<b@y>", b"<c@z>"]).unwrap();
        let answers = ["250 ok\r\n", "250 b\r\n", "250 c\r\n", "354 go\r\n"];
        let (writes, outcome) = run(&mut session, &answers);
        assert_eq!(
            writes,
            [
                "MAIL FROM:<a@x>\r\n",
                "RCPT TO:<b@y>\r\n",
                "RCPT TO:<c@z>\r\n",
                "DATA\r\n"
            ]
        );
        assert_eq!(outcome, Ok("<body>".into()));
    }

    #[test]
    fn with_pipelining_the_envelope_goes_in_one_write() {
        let mut session = greeted("250-mx\r\n250 PIPELINING\r\n");
        envelope(&mut session, b"<a@x>", &[b"<b@y>", b"<c@z>"]).unwrap();
        let answers = ["250 ok\r\n250 b\r\n", "250 c\r\n", "354 go\r\n"];
        let (writes, outcome) = run(&mut session, &answers);
        assert_eq!(
            writes,
            [
                "MAIL FROM:<a@x>\r\nRCPT TO:<b@y>\r\nRCPT TO:<c@z>\r\n",
                "DATA\r\n"
            ]
        );
        assert_eq!(outcome, Ok("<body>".into()));
    }

    #[test]
    fn a_rejected_recipient_ends_a_pipelined_envelope_once_every_reply_is_in() {
        let mut session = greeted("250-mx\r\n250 PIPELINING\r\n");
        envelope(&mut session, b"<a@x>", &[b"<b@y>", b"<c@z>"]).unwrap();
        // The third reply comes in a read of its own: the outcome waits for it.
        let (_, outcome) = run(&mut session, &["250 ok\r\n550 5.1.1 no b\r\n", "250 c\r\n"]);
        assert_eq!(outcome, Err("550 5.1.1 no b".into()));
        session.reset().unwrap();
        let (writes, outcome) = run(&mut session, &["250 2.0.0 flushed\r\n"]);
        assert_eq!(writes, ["RSET\r\n"]);
        assert_eq!(outcome, Ok("250 2.0.0 flushed".into()));
    }

    #[test]
    fn a_rejected_pipelined_mail_still_reads_the_recipients_replies() {
        let mut session = greeted("250-mx\r\n250 PIPELINING\r\n");
        envelope(&mut session, b"<a@x>", &[b"<b@y>", b"<c@z>"]).unwrap();
        let (_, outcome) = run(
            &mut session,
            &["553 bad sender\r\n503 need MAIL\r\n", "503 need MAIL\r\n"],
        );
        assert_eq!(outcome, Err("553 bad sender".into()));
        session.mail(b"<d@x>").unwrap();
        assert_eq!(
            run(&mut session, &["250 ok\r\n"]),
            (vec!["MAIL FROM:<d@x>\r\n".into()], Ok("250 ok".into()))
        );
    }

    #[test]
    fn without_pipelining_a_rejected_mail_writes_no_recipient() {
        let mut session = greeted("250 mx\r\n");
        envelope(&mut session, b"<a@x>", &[b"<b@y>"]).unwrap();
        let (writes, outcome) = run(&mut session, &["553 bad sender\r\n"]);
        assert_eq!(writes, ["MAIL FROM:<a@x>\r\n"]);
        assert_eq!(outcome, Err("553 bad sender".into()));
        assert!(session.quit().is_ok(), "the session is idle again");
    }

    #[test]
    fn arguments_with_line_breaks_are_refused_before_anything_is_queued() {
        let mut session = greeted("250 mx\r\n");
        assert_eq!(
            session.mail(b"<a@x>\r\nRCPT TO:<evil>"),
            Err(Refusal::LineBreak("from"))
        );
        assert_eq!(
            envelope(&mut session, b"<a@x>", &[b"<b>", b"<c>\n"]),
            Err(Refusal::LineBreak("rcpt"))
        );
        assert_eq!(session.rcpt(b"\r"), Err(Refusal::LineBreak("rcpt")));
        assert_eq!(session.login(b"u\n", b"p"), Err(Refusal::LineBreak("user")));
        let mut fresh = Session::default();
        assert_eq!(fresh.greet(b"a\r\nMAIL"), Err(Refusal::LineBreak("domain")));
        assert_eq!(run(&mut session, &[]).1, Err("no command under way".into()));
    }

    #[test]
    fn a_second_operation_cannot_start_before_the_first_ends() {
        let mut session = greeted("250 mx\r\n");
        session.mail(b"<a@x>").unwrap();
        assert_eq!(session.rcpt(b"<b@y>"), Err(Refusal::Busy));
    }

    #[test]
    fn the_body_is_stuffed_buffered_and_ends_with_the_terminator_in_the_same_write() {
        let mut session = greeted("250 mx\r\n");
        session.data().unwrap();
        assert_eq!(
            run(&mut session, &["354 go\r\n"]),
            (vec!["DATA\r\n".into()], Ok("<body>".into()))
        );
        assert!(!session.body(b"Subject: x\r\n\r\n"));
        assert!(!session.body(b".hidden\r\nend"));
        assert_eq!(
            session.poll(),
            Next::Body,
            "small bodies wait in the buffer"
        );
        session.end_body();
        let (writes, outcome) = run(&mut session, &["250 queued\r\n"]);
        assert_eq!(writes, ["Subject: x\r\n\r\n..hidden\r\nend\r\n.\r\n"]);
        assert_eq!(outcome, Ok("250 queued".into()));
    }

    #[test]
    fn a_full_body_buffer_asks_for_a_write() {
        let mut session = greeted("250 mx\r\n");
        session.data().unwrap();
        assert_eq!(run(&mut session, &["354 go\r\n"]).1, Ok("<body>".into()));
        let chunk = vec![b'x'; BODY_BUFFER / 2];
        assert!(!session.body(&chunk[1..]));
        assert!(!session.body(b"x"), "half full");
        assert!(session.body(&chunk));
        assert_eq!(session.poll(), Next::Write);
        session.written();
        assert_eq!(session.poll(), Next::Body);
    }

    #[test]
    fn data_rejected_with_a_2xx_is_a_failure() {
        let mut session = greeted("250 mx\r\n");
        session.data().unwrap();
        assert_eq!(
            run(&mut session, &["250 what\r\n"]).1,
            Err("250 what".into())
        );
    }

    #[test]
    fn auth_login_sends_each_credential_after_its_challenge() {
        let mut session = greeted("250-mx\r\n250 AUTH LOGIN\r\n");
        session.login(b"alice", b"secret").unwrap();
        let answers = ["334 VXNlcm5hbWU6\r\n", "334 UGFzc3dvcmQ6\r\n", "235 ok\r\n"];
        let (writes, outcome) = run(&mut session, &answers);
        assert_eq!(writes, ["AUTH LOGIN\r\n", "YWxpY2U=\r\n", "c2VjcmV0\r\n"]);
        assert_eq!(outcome, Ok("235 ok".into()));
    }

    #[test]
    fn auth_plain_sends_one_command() {
        let mut session = greeted("250-mx\r\n250 AUTH PLAIN\r\n");
        session.plain(b"alice", b"secret").unwrap();
        let (writes, outcome) = run(&mut session, &["535 bad\r\n"]);
        assert_eq!(writes, ["AUTH PLAIN AGFsaWNlAHNlY3JldA==\r\n"]);
        assert_eq!(outcome, Err("535 bad".into()));
    }

    #[test]
    fn garbage_from_the_server_is_a_malformed_reply() {
        let mut session = Session::default();
        session.greet(b"here").unwrap();
        assert_eq!(
            run(&mut session, &["hello\r\n"]).1,
            Err("invalid server reply".into())
        );
    }

    #[test]
    fn starttls_needs_the_offer_and_clears_what_the_last_ehlo_said() {
        let mut plain = greeted("250-mx\r\n250 PIPELINING\r\n");
        assert_eq!(plain.starttls(), Err(Refusal::NoStartTls));
        assert_eq!(
            Refusal::NoStartTls.message(),
            "STARTTLS not supported by server"
        );
        let mut session = greeted("250-mx\r\n250-PIPELINING\r\n250 STARTTLS\r\n");
        assert!(session.capabilities().starttls);
        session.starttls().unwrap();
        let (writes, outcome) = run(&mut session, &["220 go\r\n250 injected\r\n"]);
        assert_eq!(writes, ["STARTTLS\r\n"]);
        assert_eq!(outcome, Ok("220 go".into()));
        assert!(!session.capabilities().starttls);
        session.ehlo(b"here").unwrap();
        let (writes, outcome) = run(&mut session, &["250 mx\r\n"]);
        assert_eq!(writes, ["EHLO here\r\n"]);
        assert_eq!(outcome, Ok("250 mx".into()), "the injected line is gone");
        envelope(&mut session, b"<a@x>", &[b"<b@y>"]).unwrap();
        let (writes, _) = run(&mut session, &["250 ok\r\n", "250 ok\r\n", "354 go\r\n"]);
        assert_eq!(
            writes[0], "MAIL FROM:<a@x>\r\n",
            "no PIPELINING after the new EHLO"
        );
    }

    #[test]
    fn an_xoauth2_error_challenge_is_answered_and_its_final_reply_is_the_error() {
        let mut session = greeted("250-mx\r\n250 AUTH XOAUTH2\r\n");
        session.xoauth2(b"me", b"expired").unwrap();
        let answers = [
            "334 eyJzdGF0dXMiOiI0MDEifQ==\r\n",
            "535 5.7.8 bad token\r\n",
        ];
        let (writes, outcome) = run(&mut session, &answers);
        assert_eq!(writes.len(), 2);
        assert_eq!(writes[1], "\r\n");
        assert_eq!(outcome, Err("535 5.7.8 bad token".into()));
    }

    #[test]
    fn the_trace_shows_commands_replies_and_data_size_but_no_secret() {
        let mut session = Session::default();
        session.enable_trace();
        session.greet(b"here").unwrap();
        assert!(run(
            &mut session,
            &["220 hi\r\n", "250-mx\r\n250 PIPELINING\r\n"],
        )
        .1
        .is_ok());
        session.login(b"alice", b"secret").unwrap();
        assert!(run(
            &mut session,
            &["334 VXNlcm5hbWU6\r\n", "334 UGFzc3dvcmQ6\r\n", "235 ok\r\n"],
        )
        .1
        .is_ok());
        envelope(&mut session, b"<a@x>", &[b"<b@y>"]).unwrap();
        assert!(run(&mut session, &["250 ok\r\n250 ok\r\n", "354 go\r\n"])
            .1
            .is_ok());
        session.body(b"Subject: x\r\n\r\n.hi\r\n");
        session.end_body();
        assert!(run(&mut session, &["250 queued\r\n"]).1.is_ok());
        let lines: Vec<String> = session
            .take_trace()
            .into_iter()
            .map(|line| String::from_utf8(line).unwrap())
            .collect();
        assert_eq!(
            lines,
            [
                "S: 220 hi",
                "C: EHLO here",
                "S: 250-mx",
                "S: 250 PIPELINING",
                "C: AUTH LOGIN",
                "S: 334 VXNlcm5hbWU6",
                "C: <redacted>",
                "S: 334 UGFzc3dvcmQ6",
                "C: <redacted>",
                "S: 235 ok",
                "C: MAIL FROM:<a@x>",
                "C: RCPT TO:<b@y>",
                "S: 250 ok",
                "S: 250 ok",
                "C: DATA",
                "S: 354 go",
                "C: <19 bytes of data>",
                "C: .",
                "S: 250 queued",
            ]
        );
    }

    #[test]
    fn a_script_command_is_written_at_once_and_its_reply_judged_by_the_caller() {
        let mut session = greeted("250 mx\r\n");
        session.command(b"noop", None).unwrap();
        assert_eq!(
            run(&mut session, &[]),
            (vec!["NOOP\r\n".into()], Ok("<sent 6>".into()))
        );
        session.check().unwrap();
        assert_eq!(
            run(&mut session, &["502 no\r\n"]),
            (vec![], Ok("502 no".into()))
        );
        session.command(b"Mail", Some(b"FROM:<a@x>")).unwrap();
        assert_eq!(run(&mut session, &[]).0, ["MAIL FROM:<a@x>\r\n"]);
        assert_eq!(
            session.command(b"RCPT", Some(b"TO:<b@y>\r\nDATA")),
            Err(Refusal::LineBreak("command"))
        );
    }

    #[test]
    fn a_check_without_a_command_reads_the_next_reply() {
        let mut session = Session::default();
        session.check().unwrap();
        assert_eq!(
            run(&mut session, &["220 hi\r\n"]),
            (vec![], Ok("220 hi".into()))
        );
    }

    #[test]
    fn the_scripts_starttls_and_ehlo_tell_the_session_what_is_offered() {
        let mut session = greeted("250-mx\r\n250-PIPELINING\r\n250 STARTTLS\r\n");
        assert_eq!(command(&mut session, b"STARTTLS", None), "STARTTLS\r\n");
        session.check().unwrap();
        assert_eq!(
            run(&mut session, &["220 go\r\n250 injected\r\n"]).1,
            Ok("220 go".into())
        );
        assert!(!session.capabilities().starttls);
        assert_eq!(
            command(&mut session, b"EHLO", Some(b"here")),
            "EHLO here\r\n"
        );
        session.check().unwrap();
        assert_eq!(
            run(&mut session, &["250 mx\r\n"]).1,
            Ok("250 mx".into()),
            "the injected line is gone"
        );
        envelope(&mut session, b"<a@x>", &[b"<b@y>"]).unwrap();
        let (writes, _) = run(&mut session, &["250 ok\r\n", "250 ok\r\n", "354 go\r\n"]);
        assert_eq!(
            writes[0], "MAIL FROM:<a@x>\r\n",
            "no PIPELINING after the script's EHLO"
        );
    }

    #[test]
    fn a_rejected_script_ehlo_changes_nothing_nor_does_one_it_read_itself() {
        let mut session = greeted("250-mx\r\n250 PIPELINING\r\n");
        command(&mut session, b"EHLO", Some(b"here"));
        session.check().unwrap();
        assert_eq!(
            run(&mut session, &["501 what\r\n"]).1,
            Ok("501 what".into())
        );
        // The script reads this EHLO's reply from the socket, not here.
        command(&mut session, b"EHLO", Some(b"here"));
        command(&mut session, b"NOOP", None);
        session.check().unwrap();
        assert_eq!(run(&mut session, &["250 OK\r\n"]).1, Ok("250 OK".into()));
        envelope(&mut session, b"<a@x>", &[b"<b@y>"]).unwrap();
        let (writes, _) = run(&mut session, &["250 ok\r\n250 ok\r\n", "354 go\r\n"]);
        assert_eq!(
            writes[0], "MAIL FROM:<a@x>\r\nRCPT TO:<b@y>\r\n",
            "still pipelining"
        );
    }

    #[test]
    fn the_trace_keeps_the_credentials_of_a_script_auth_out() {
        let mut session = Session::default();
        session.enable_trace();
        command(&mut session, b"AUTH", Some(b"PLAIN AGFsaWNlAHNlY3JldA=="));
        command(&mut session, b"auth", Some(b"LOGIN"));
        let lines: Vec<String> = session
            .take_trace()
            .into_iter()
            .map(|line| String::from_utf8(line).unwrap())
            .collect();
        assert_eq!(lines, ["C: AUTH PLAIN <redacted>", "C: AUTH LOGIN"]);
    }
}
