//! The dialogue: what a session does for a script, as policy over the
//! per-operation [`Session`]. It decides when TLS starts (the mode, and its
//! default on port 465), whether STARTTLS is required or opportunistic,
//! when credentials may be sent and with which AUTH mechanism, and how
//! `reset` replays a lost connection: connect again, start TLS, greet with
//! the last domain, log in again with the credentials last accepted.
//!
//! Like the session, it does no I/O: it tells the driver when to make a
//! connection ([`Next::Connect`]) and when to start TLS ([`Next::Secure`]),
//! and the driver tells it when TLS is on ([`Dialogue::secured`]).

use std::collections::VecDeque;

use super::capabilities::{Capabilities, Mechanism};
use super::reply::Reply;
use super::session::{Failure, Next as SessionNext, Refusal, Session};

/// How a session secures its connection.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub enum TlsMode {
    /// Plain text throughout: `tls = "none"`.
    #[default]
    Off,
    /// STARTTLS after the greeting, required: `tls = "starttls"`.
    StartTls,
    /// STARTTLS when the server offers it: `tls = "auto"`.
    Opportunistic,
    /// TLS from the first byte, as on port 465: `tls = "tls"`.
    Implicit,
}

impl TlsMode {
    /// The mode a `tls` field names.
    pub fn named(name: &[u8]) -> Option<TlsMode> {
        match name {
            b"none" => Some(TlsMode::Off),
            b"starttls" => Some(TlsMode::StartTls),
            b"auto" => Some(TlsMode::Opportunistic),
            b"tls" => Some(TlsMode::Implicit),
            _ => None,
        }
    }

    /// The mode a session runs in: the one asked for; else implicit TLS on
    /// port 465, where plain SMTP could only fail, unless the script brings
    /// its own socket (which may do TLS itself, as lua-sendmail's LuaSec
    /// proxy does); else none.
    pub fn choose(asked: Option<TlsMode>, port_465: bool, own_socket: bool) -> TlsMode {
        match asked {
            Some(mode) => mode,
            None if port_465 && !own_socket => TlsMode::Implicit,
            None => TlsMode::Off,
        }
    }

    /// Whether credentials may go out only under TLS: when TLS was asked
    /// for by name, never merely hoped for.
    fn credentials_need_tls(self) -> bool {
        matches!(self, TlsMode::StartTls | TlsMode::Implicit)
    }
}

/// What a script's options ask of every connection of a session.
#[derive(Debug, Default, Clone, Copy)]
pub struct Policy {
    pub tls: TlsMode,
    /// The AUTH mechanism to use whatever the server offers; `None`:
    /// LuaSocket's choice from the EHLO reply.
    pub auth: Option<Mechanism>,
}

/// What the driver must do next.
#[derive(Debug, PartialEq, Eq)]
pub enum Next {
    /// Write [`Session::output`], then call [`Session::written`].
    Write,
    /// Read from the server and [`Session::receive`] the bytes.
    Read,
    /// The data phase is open: give the session body chunks.
    Body,
    /// A script's own command is written; this is its length.
    Sent(usize),
    /// Start TLS on the connection, then call [`Dialogue::secured`].
    Secure,
    /// Make a new connection to the server, then poll again.
    Connect,
    /// The operation is over: its last reply, or none for one that only
    /// readied the connection.
    Done(Result<Option<Reply>, Failure>),
}

/// A step of an operation of several.
#[derive(Debug)]
enum Stage {
    /// A session operation already started: a single one, or one of a plan.
    Session,
    /// TLS from the next byte on, which the driver starts.
    Secure,
    /// A new connection, which the driver makes.
    Connect,
    /// The greeting, then EHLO.
    Greet,
    /// STARTTLS as the mode asks for it; after it, TLS and EHLO again.
    StartTls,
    Ehlo,
    Authenticate(Credentials),
}

#[derive(Debug, Clone)]
struct Credentials {
    mechanism: Mechanism,
    user: Vec<u8>,
    secret: Vec<u8>,
}

/// The connection as the script's calls have left it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Link {
    Open,
    /// Lost in a failure: `reset` connects again.
    Lost,
    /// Closed by the script: nothing more can be done.
    Closed,
}

#[derive(Debug)]
pub struct Dialogue {
    pub session: Session,
    policy: Policy,
    /// The stage under way.
    current: Option<Stage>,
    plan: VecDeque<Stage>,
    /// The outcome of the operation so far: the last stage's.
    outcome: Option<Result<Option<Reply>, Failure>>,
    /// Whether TLS is on, which the driver says.
    secure: bool,
    link: Link,
    /// The domain of the last greeting, for a replay.
    domain: Option<Vec<u8>>,
    /// The credentials the server last accepted, for a replay.
    credentials: Option<Credentials>,
    /// The last EHLO reply's text: a script passes it back to `auth`.
    ehlo_text: Vec<u8>,
}

impl Dialogue {
    pub fn new(policy: Policy) -> Dialogue {
        Dialogue {
            session: Session::default(),
            policy,
            current: None,
            plan: VecDeque::new(),
            outcome: None,
            secure: false,
            link: Link::Open,
            domain: None,
            credentials: None,
            ehlo_text: Vec::new(),
        }
    }

    pub fn policy(&self) -> Policy {
        self.policy
    }

    /// Readies a new connection: TLS first under implicit TLS. Ends with
    /// no reply.
    pub fn open(&mut self) -> Result<(), Refusal> {
        self.begin()?;
        if self.policy.tls == TlsMode::Implicit {
            self.plan.push_back(Stage::Secure);
        } else {
            self.outcome = Some(Ok(None));
        }
        Ok(())
    }

    /// The greeting and EHLO, then STARTTLS and EHLO again as the TLS mode
    /// asks. Ends with the last EHLO's reply: after STARTTLS, only the new
    /// EHLO's counts (RFC 3207).
    pub fn greet(&mut self, domain: &[u8]) -> Result<(), Refusal> {
        self.begin()?;
        self.domain = Some(domain.to_vec());
        self.plan.extend([Stage::Greet, Stage::StartTls]);
        Ok(())
    }

    /// AUTH with `mechanism`, or the one the policy names, or LuaSocket's
    /// choice from `ehlo` (the EHLO reply's text as the script has it; by
    /// default the session's own). With TLS asked for by name, credentials
    /// go out only under TLS. Accepted credentials are kept for a replay.
    pub fn authenticate(
        &mut self,
        user: &[u8],
        secret: &[u8],
        mechanism: Option<Mechanism>,
        ehlo: Option<&[u8]>,
    ) -> Result<(), Refusal> {
        self.begin()?;
        let mechanism = mechanism
            .or(self.policy.auth)
            .or_else(|| self.luasocket_choice(ehlo?))
            .ok_or(Refusal::NoMechanism)?;
        let credentials = Credentials {
            mechanism,
            user: user.to_vec(),
            secret: secret.to_vec(),
        };
        self.plan.push_back(Stage::Authenticate(credentials));
        Ok(())
    }

    /// RSET; if the connection was lost, a new one instead, readied,
    /// greeted (with the last domain, else `domain`) and logged in again as
    /// the lost one was. Ends with the last reply.
    pub fn reset(&mut self, domain: &[u8]) -> Result<(), Refusal> {
        if self.link != Link::Lost {
            return self.operation(Session::reset);
        }
        self.link = Link::Open;
        self.begin()?;
        self.domain.get_or_insert_with(|| domain.to_vec());
        self.plan.push_back(Stage::Connect);
        if self.policy.tls == TlsMode::Implicit {
            self.plan.push_back(Stage::Secure);
        }
        self.plan.extend([Stage::Greet, Stage::StartTls]);
        if let Some(credentials) = self.credentials.clone() {
            self.plan.push_back(Stage::Authenticate(credentials));
        }
        Ok(())
    }

    /// Starts a session operation that needs no policy: MAIL, RCPT, DATA, a
    /// whole transaction, QUIT, or a script's own command.
    pub fn operation(
        &mut self,
        start: impl FnOnce(&mut Session) -> Result<(), Refusal>,
    ) -> Result<(), Refusal> {
        self.begin()?;
        start(&mut self.session)?;
        self.current = Some(Stage::Session);
        Ok(())
    }

    /// Tells the dialogue that TLS is on, as [`Next::Secure`] asked.
    pub fn secured(&mut self) {
        if matches!(self.current, Some(Stage::Secure)) {
            self.current = None;
            self.outcome = Some(Ok(None));
        }
        self.secure = true;
    }

    /// Whether TLS is on.
    pub fn is_secure(&self) -> bool {
        self.secure
    }

    /// The connection failed: `reset` will make a new one.
    pub fn lose(&mut self) {
        if self.link == Link::Open {
            self.link = Link::Lost;
        }
        self.abandon();
    }

    /// The script closed the session: nothing more can be done.
    pub fn close(&mut self) {
        self.link = Link::Closed;
        self.abandon();
    }

    /// What to do next for the operation under way.
    pub fn poll(&mut self) -> Next {
        loop {
            match self.current {
                None => match self.plan.pop_front() {
                    Some(stage) => {
                        if let Err(refusal) = self.start(stage) {
                            return self.fail(Failure::Refused(refusal));
                        }
                    }
                    None => return Next::Done(self.outcome.take().unwrap_or(Err(Failure::Idle))),
                },
                Some(Stage::Secure) => return Next::Secure,
                Some(Stage::Connect) => {
                    self.current = None;
                    self.session = self.session.fresh();
                    self.secure = false;
                    return Next::Connect;
                }
                Some(_) => match self.session.poll() {
                    SessionNext::Write => return Next::Write,
                    SessionNext::Read => return Next::Read,
                    SessionNext::Body => return Next::Body,
                    SessionNext::Sent(length) => {
                        self.current = None;
                        return Next::Sent(length);
                    }
                    SessionNext::Done(Ok(reply)) => self.complete(reply),
                    SessionNext::Done(Err(failure)) => return self.fail(failure),
                },
            }
        }
    }

    /// Checks that an operation may start now.
    fn begin(&mut self) -> Result<(), Refusal> {
        match self.link {
            Link::Open => {}
            Link::Lost | Link::Closed => return Err(Refusal::Closed),
        }
        if self.current.is_some() || !self.plan.is_empty() {
            return Err(Refusal::Busy);
        }
        self.outcome = None;
        Ok(())
    }

    /// Starts `stage`: its session operation, or the driver's action.
    fn start(&mut self, stage: Stage) -> Result<(), Refusal> {
        let domain = self.domain.as_deref().unwrap_or_default();
        match &stage {
            Stage::Session | Stage::Secure | Stage::Connect => {}
            Stage::Greet => self.session.greet(domain)?,
            Stage::Ehlo => self.session.ehlo(domain)?,
            Stage::StartTls => match self.policy.tls {
                TlsMode::StartTls => self.session.starttls()?,
                TlsMode::Opportunistic if self.session.capabilities().starttls => {
                    self.session.starttls()?;
                }
                // Nothing to do: the outcome stays the last EHLO's.
                _ => return Ok(()),
            },
            Stage::Authenticate(credentials) => {
                if self.policy.tls.credentials_need_tls() && !self.secure {
                    return Err(Refusal::InPlainText);
                }
                let Credentials {
                    mechanism,
                    user,
                    secret,
                } = credentials;
                let authenticate = match mechanism {
                    Mechanism::Login => Session::login,
                    Mechanism::Plain => Session::plain,
                    Mechanism::Xoauth2 => Session::xoauth2,
                };
                authenticate(&mut self.session, user, secret)?;
            }
        }
        self.current = Some(stage);
        Ok(())
    }

    /// The stage under way succeeded with `reply`.
    fn complete(&mut self, reply: Reply) {
        match self.current.take() {
            Some(Stage::Greet | Stage::Ehlo) => {
                self.ehlo_text.clone_from(&reply.text);
            }
            Some(Stage::StartTls) => {
                self.plan.push_front(Stage::Ehlo);
                self.plan.push_front(Stage::Secure);
            }
            Some(Stage::Authenticate(credentials)) => self.credentials = Some(credentials),
            _ => {}
        }
        self.outcome = Some(Ok(Some(reply)));
    }

    /// Ends the operation with `failure`; the rest of its plan is dropped.
    fn fail(&mut self, failure: Failure) -> Next {
        self.abandon();
        Next::Done(Err(failure))
    }

    fn abandon(&mut self) {
        self.current = None;
        self.plan.clear();
        self.outcome = None;
    }

    /// LuaSocket's choice of mechanism from an EHLO reply's text: from the
    /// session's capabilities, parsed once already, when it is the
    /// session's last EHLO reply (as it is when a script passes it on).
    fn luasocket_choice(&self, ehlo: &[u8]) -> Option<Mechanism> {
        if ehlo == self.ehlo_text {
            return self.session.capabilities().choose_auth();
        }
        Capabilities::parse(ehlo).choose_auth()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Runs the operation under way against canned server bytes, telling
    /// the dialogue that TLS is on whenever it asks: returns every write, in
    /// order, marking TLS and connections, and the outcome.
    fn run(dialogue: &mut Dialogue, answers: &[&str]) -> (Vec<String>, Result<String, String>) {
        let mut writes = Vec::new();
        let mut answers = answers.iter();
        loop {
            match dialogue.poll() {
                Next::Write => {
                    let output = dialogue.session.output();
                    writes.push(String::from_utf8(output.to_vec()).unwrap());
                    dialogue.session.written();
                }
                Next::Read => {
                    let answer = answers.next().expect("a read too many");
                    dialogue.session.receive(answer.as_bytes());
                }
                Next::Secure => {
                    writes.push("<tls>".into());
                    dialogue.secured();
                }
                Next::Connect => writes.push("<connect>".into()),
                Next::Body => return (writes, Ok("<body>".into())),
                Next::Sent(length) => return (writes, Ok(format!("<sent {length}>"))),
                Next::Done(outcome) => {
                    let outcome = outcome
                        .map(|reply| reply.map_or("<ready>".into(), |r| text(&r.text)))
                        .map_err(|failure| text(&failure.message()));
                    return (writes, outcome);
                }
            }
        }
    }

    fn text(bytes: &[u8]) -> String {
        String::from_utf8(bytes.to_vec()).unwrap()
    }

    fn dialogue(tls: TlsMode) -> Dialogue {
        Dialogue::new(Policy { tls, auth: None })
    }

    const OFFERS_STARTTLS: &str = "250-mx\r\n250-STARTTLS\r\n250 AUTH PLAIN LOGIN\r\n";

    #[test]
    fn the_mode_is_the_one_asked_for_else_tls_on_port_465_without_create() {
        use TlsMode::{Implicit, Off, StartTls};
        assert_eq!(TlsMode::choose(Some(StartTls), true, false), StartTls);
        assert_eq!(TlsMode::choose(Some(Off), true, false), Off);
        assert_eq!(TlsMode::choose(None, true, false), Implicit);
        assert_eq!(TlsMode::choose(None, true, true), Off);
        assert_eq!(TlsMode::choose(None, false, false), Off);
        assert_eq!(TlsMode::choose(Some(Implicit), false, true), Implicit);
        assert_eq!(TlsMode::named(b"auto"), Some(TlsMode::Opportunistic));
        assert_eq!(TlsMode::named(b"TLS"), None);
    }

    #[test]
    fn implicit_tls_readies_a_connection_with_tls_and_the_others_at_once() {
        let mut implicit = dialogue(TlsMode::Implicit);
        implicit.open().unwrap();
        assert_eq!(
            run(&mut implicit, &[]),
            (vec!["<tls>".into()], Ok("<ready>".into()))
        );
        assert!(implicit.is_secure());
        let mut plain = dialogue(TlsMode::Opportunistic);
        plain.open().unwrap();
        assert_eq!(run(&mut plain, &[]), (vec![], Ok("<ready>".into())));
        assert!(!plain.is_secure());
    }

    #[test]
    fn starttls_mode_upgrades_after_the_greeting_and_returns_the_new_ehlo() {
        let mut dialogue = dialogue(TlsMode::StartTls);
        dialogue.greet(b"client.example").unwrap();
        let answers = [
            "220 mx\r\n",
            OFFERS_STARTTLS,
            "220 go\r\n",
            "250-mx\r\n250 AUTH PLAIN\r\n",
        ];
        let (writes, outcome) = run(&mut dialogue, &answers);
        assert_eq!(
            writes,
            [
                "EHLO client.example\r\n",
                "STARTTLS\r\n",
                "<tls>",
                "EHLO client.example\r\n"
            ]
        );
        assert_eq!(outcome, Ok("250-mx\n250 AUTH PLAIN".into()));
    }

    #[test]
    fn starttls_mode_fails_where_it_is_not_offered_and_auto_goes_on_in_plain_text() {
        let mut required = dialogue(TlsMode::StartTls);
        required.greet(b"here").unwrap();
        let (writes, outcome) = run(&mut required, &["220 mx\r\n", "250 mx\r\n"]);
        assert_eq!(writes, ["EHLO here\r\n"]);
        assert_eq!(outcome, Err("STARTTLS not supported by server".into()));
        let mut opportunistic = dialogue(TlsMode::Opportunistic);
        opportunistic.greet(b"here").unwrap();
        let (writes, outcome) = run(&mut opportunistic, &["220 mx\r\n", "250 mx\r\n"]);
        assert_eq!(writes, ["EHLO here\r\n"]);
        assert_eq!(outcome, Ok("250 mx".into()));
        assert!(!opportunistic.is_secure());
    }

    #[test]
    fn auto_mode_upgrades_where_starttls_is_offered() {
        let mut dialogue = dialogue(TlsMode::Opportunistic);
        dialogue.greet(b"here").unwrap();
        let answers = ["220 mx\r\n", OFFERS_STARTTLS, "220 go\r\n", "250 mx\r\n"];
        let (writes, outcome) = run(&mut dialogue, &answers);
        assert_eq!(writes[1..], ["STARTTLS\r\n", "<tls>", "EHLO here\r\n"]);
        assert_eq!(outcome, Ok("250 mx".into()));
        assert!(dialogue.is_secure());
    }

    #[test]
    fn credentials_wait_for_tls_where_tls_was_asked_for_by_name() {
        let mut dialogue = dialogue(TlsMode::StartTls);
        dialogue
            .authenticate(b"alice", b"secret", Some(Mechanism::Plain), None)
            .unwrap();
        let (writes, outcome) = run(&mut dialogue, &[]);
        assert!(writes.is_empty(), "nothing sent: {writes:?}");
        assert_eq!(
            outcome,
            Err("credentials refused: the connection is not encrypted".into())
        );
    }

    #[test]
    fn the_mechanism_is_the_one_named_else_the_policys_else_luasockets_choice() {
        let mut plain = dialogue(TlsMode::Off);
        let ext = b"250-mx\n250 AUTH LOGIN PLAIN";
        plain.authenticate(b"a", b"b", None, Some(ext)).unwrap();
        let (writes, _) = run(
            &mut plain,
            &["334 VXNlcm5hbWU6\r\n", "334 UGFzc3dvcmQ6\r\n", "235 ok\r\n"],
        );
        assert_eq!(
            writes[0], "AUTH LOGIN\r\n",
            "LuaSocket's choice: LOGIN first"
        );
        plain
            .authenticate(b"a", b"b", Some(Mechanism::Plain), Some(ext))
            .unwrap();
        let (writes, _) = run(&mut plain, &["235 ok\r\n"]);
        assert!(writes[0].starts_with("AUTH PLAIN "), "{writes:?}");
        let mut forced = Dialogue::new(Policy {
            tls: TlsMode::Off,
            auth: Some(Mechanism::Xoauth2),
        });
        forced.authenticate(b"a", b"b", None, Some(ext)).unwrap();
        let (writes, _) = run(&mut forced, &["235 ok\r\n"]);
        assert!(writes[0].starts_with("AUTH XOAUTH2 "), "{writes:?}");
        assert_eq!(
            plain.authenticate(b"a", b"b", None, Some(b"250-mx\n250 SIZE 10")),
            Err(Refusal::NoMechanism)
        );
        assert_eq!(
            plain.authenticate(b"a", b"b", None, None),
            Err(Refusal::NoMechanism),
            "no EHLO text, no choice, as with LuaSocket"
        );
    }

    #[test]
    fn a_reset_after_a_lost_connection_replays_the_greeting_tls_and_login() {
        let mut dialogue = dialogue(TlsMode::Opportunistic);
        dialogue.greet(b"client.example").unwrap();
        let greeted = run(
            &mut dialogue,
            &[
                "220 mx\r\n",
                OFFERS_STARTTLS,
                "220 go\r\n",
                "250-mx\r\n250 AUTH PLAIN\r\n",
            ],
        );
        assert!(greeted.1.is_ok());
        dialogue
            .authenticate(b"alice", b"secret", Some(Mechanism::Plain), None)
            .unwrap();
        assert_eq!(run(&mut dialogue, &["235 ok\r\n"]).1, Ok("235 ok".into()));
        dialogue.lose();
        assert_eq!(
            dialogue.operation(|session| session.mail(b"<a@x>")),
            Err(Refusal::Closed)
        );
        dialogue.reset(b"other.example").unwrap();
        let answers = [
            "220 mx\r\n",
            OFFERS_STARTTLS,
            "220 go\r\n",
            "250-mx\r\n250 AUTH PLAIN\r\n",
            "235 welcome back\r\n",
        ];
        let (writes, outcome) = run(&mut dialogue, &answers);
        assert_eq!(
            writes,
            [
                "<connect>",
                "EHLO client.example\r\n",
                "STARTTLS\r\n",
                "<tls>",
                "EHLO client.example\r\n",
                "AUTH PLAIN AGFsaWNlAHNlY3JldA==\r\n",
            ]
        );
        assert_eq!(outcome, Ok("235 welcome back".into()));
        dialogue.reset(b"other.example").unwrap();
        let (writes, _) = run(&mut dialogue, &["250 flushed\r\n"]);
        assert_eq!(writes, ["RSET\r\n"], "connected: a reset is RSET");
    }

    #[test]
    fn a_failed_replay_leaves_the_connection_lost_for_the_next_reset() {
        let mut dialogue = dialogue(TlsMode::Off);
        dialogue.lose();
        dialogue.reset(b"here").unwrap();
        assert_eq!(dialogue.poll(), Next::Connect);
        dialogue.lose(); // The connection could not be made.
        dialogue.reset(b"here").unwrap();
        let (writes, outcome) = run(&mut dialogue, &["220 mx\r\n", "250 mx\r\n"]);
        assert_eq!(writes, ["<connect>", "EHLO here\r\n"]);
        assert_eq!(outcome, Ok("250 mx".into()));
    }

    #[test]
    fn nothing_starts_once_the_script_closed_the_session() {
        let mut dialogue = dialogue(TlsMode::Off);
        dialogue.close();
        assert_eq!(dialogue.reset(b"here"), Err(Refusal::Closed));
        assert_eq!(dialogue.greet(b"here"), Err(Refusal::Closed));
        dialogue.lose();
        assert_eq!(
            dialogue.reset(b"here"),
            Err(Refusal::Closed),
            "still closed"
        );
    }
}
