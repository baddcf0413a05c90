//! A session's bytes as they travel: as they are, or through TLS. Like the
//! session, this does no I/O; both drivers run it the same way, the native
//! one over its socket and the Lua half over a `create()` socket.

use std::io::{ErrorKind, Read, Write};
use std::sync::Arc;

use rustls::pki_types::ServerName;
use rustls::{ClientConfig, ClientConnection};

use crate::protocol::dialogue::{Dialogue, Next, Policy};
use crate::protocol::reply::Reply;
use crate::protocol::session::Failure;
use crate::tls::errors::describe;
use crate::tls::records::RecordFraming;

/// What the driver must do next.
#[derive(Debug, PartialEq, Eq)]
pub enum Step {
    /// Write [`Wire::output`], then call [`Wire::written`].
    Write,
    /// Read one line ([`Wire::receive_line`]); a native driver may read any
    /// amount ([`Wire::receive`]).
    ReadLine,
    /// Read exactly this many bytes, or any amount up to it, and
    /// [`Wire::receive`] them: TLS records are under way.
    ReadBytes(usize),
    /// The data phase is open: give the session body chunks.
    Body,
    /// A script's own command is written; this is its length.
    Sent(usize),
    /// Start TLS now: call [`Wire::secure`], then poll again.
    Secure,
    /// Make a new connection, then poll again.
    Connect,
    /// The operation is over. On success, its last reply, if it had one.
    Done(Result<Option<Reply>, Failure>),
}

#[derive(Debug)]
pub struct Wire {
    pub dialogue: Dialogue,
    tls: Option<Tls>,
}

#[derive(Debug)]
struct Tls {
    connection: Box<ClientConnection>,
    /// Ciphertext to write.
    output: Vec<u8>,
    framing: RecordFraming,
    /// Set until the dialogue has been told that the handshake is over.
    handshaking: bool,
    failure: Option<String>,
}

impl Wire {
    pub fn new(policy: Policy) -> Wire {
        Wire {
            dialogue: Dialogue::new(policy),
            tls: None,
        }
    }

    /// Starts TLS from the next byte on: at once for implicit TLS, or after
    /// STARTTLS's reply.
    pub fn secure(
        &mut self,
        config: Arc<ClientConfig>,
        name: ServerName<'static>,
    ) -> Result<(), String> {
        if self.tls.is_some() {
            return Err("TLS is already on".to_string());
        }
        let mut connection = ClientConnection::new(config, name).map_err(|e| describe(&e))?;
        // The session's body buffer already bounds what is written at once.
        connection.set_buffer_limit(None);
        self.tls = Some(Tls {
            connection: Box::new(connection),
            output: Vec::new(),
            framing: RecordFraming::default(),
            handshaking: true,
            failure: None,
        });
        Ok(())
    }

    /// The protocol version and cipher suite, once TLS is on.
    pub fn tls_description(&self) -> Option<(String, String)> {
        let connection = &self.tls.as_ref()?.connection;
        let version = connection.protocol_version()?;
        let suite = connection.negotiated_cipher_suite()?;
        Some((
            version.as_str().unwrap_or("TLS").replace('_', "."),
            suite.suite().as_str().unwrap_or("unknown").to_string(),
        ))
    }

    pub fn poll(&mut self) -> Step {
        let Some(tls) = &mut self.tls else {
            return match self.dialogue.poll() {
                Next::Write => Step::Write,
                Next::Read => Step::ReadLine,
                Next::Body => Step::Body,
                Next::Sent(length) => Step::Sent(length),
                Next::Secure => Step::Secure,
                Next::Connect => Step::Connect,
                Next::Done(outcome) => Step::Done(outcome),
            };
        };
        loop {
            if let Some(reason) = tls.failure.take() {
                return Step::Done(Err(Failure::Tls(reason)));
            }
            if !tls.output.is_empty() {
                return Step::Write;
            }
            if tls.connection.wants_write() {
                tls.connection
                    .write_tls(&mut tls.output)
                    .expect("writing to a Vec cannot fail");
                continue;
            }
            if tls.connection.is_handshaking() {
                return Step::ReadBytes(tls.framing.wanted());
            }
            if tls.handshaking {
                tls.handshaking = false;
                self.dialogue.secured();
            }
            match self.dialogue.poll() {
                Next::Write => {
                    let session = &mut self.dialogue.session;
                    tls.connection
                        .writer()
                        .write_all(session.output())
                        .expect("the plaintext buffer has no limit");
                    session.written();
                }
                Next::Read => return Step::ReadBytes(tls.framing.wanted()),
                Next::Body => return Step::Body,
                Next::Sent(length) => return Step::Sent(length),
                Next::Secure => return Step::Secure,
                Next::Connect => {
                    self.tls = None;
                    return Step::Connect;
                }
                Next::Done(outcome) => return Step::Done(outcome),
            }
        }
    }

    /// The bytes to write now.
    pub fn output(&self) -> &[u8] {
        match &self.tls {
            Some(tls) => &tls.output,
            None => self.dialogue.session.output(),
        }
    }

    /// Tells the wire that [`Wire::output`] has been written.
    pub fn written(&mut self) {
        match &mut self.tls {
            Some(tls) => tls.output.clear(),
            None => self.dialogue.session.written(),
        }
    }

    /// Takes bytes the server sent.
    pub fn receive(&mut self, mut bytes: &[u8]) {
        let Some(tls) = &mut self.tls else {
            self.dialogue.session.receive(bytes);
            return;
        };
        tls.framing.consume(bytes);
        while !bytes.is_empty() && tls.failure.is_none() {
            if let Err(error) = tls.connection.read_tls(&mut bytes) {
                tls.failure = Some(format!("TLS failed: {error}"));
                break;
            }
            if let Err(error) = tls.connection.process_new_packets() {
                tls.failure = Some(describe(&error));
                break;
            }
            let mut plaintext = [0u8; 4096];
            loop {
                match tls.connection.reader().read(&mut plaintext) {
                    Ok(0) => break,
                    Ok(read) => self.dialogue.session.receive(&plaintext[..read]),
                    Err(error) if error.kind() == ErrorKind::WouldBlock => break,
                    Err(error) => {
                        tls.failure = Some(format!("TLS failed: {error}"));
                        break;
                    }
                }
            }
        }
    }

    /// Takes one line the server sent, without its line end (plain only).
    pub fn receive_line(&mut self, line: &[u8]) {
        self.dialogue.session.receive_line(line);
    }

    /// Whether TLS is on.
    pub fn is_secure(&self) -> bool {
        self.tls.is_some()
    }
}

#[cfg(test)]
mod tests {
    use std::collections::VecDeque;

    use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
    use rustls::{RootCertStore, ServerConfig, ServerConnection};

    use super::*;
    use crate::protocol::dialogue::TlsMode;
    use crate::protocol::session::Session;
    use crate::tls::config::server_name;

    /// A CA and a server certificate for localhost, made for this test.
    struct Certificates {
        ca: CertificateDer<'static>,
        chain: Vec<CertificateDer<'static>>,
        key: PrivatePkcs8KeyDer<'static>,
    }

    fn certificates(ca_name: &str) -> Certificates {
        let ca_key = rcgen::KeyPair::generate().unwrap();
        let mut ca_params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
        ca_params
            .distinguished_name
            .push(rcgen::DnType::CommonName, ca_name);
        ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        let ca = ca_params.self_signed(&ca_key).unwrap();
        let key = rcgen::KeyPair::generate().unwrap();
        let params = rcgen::CertificateParams::new(vec!["localhost".to_string()]).unwrap();
        let leaf = params.signed_by(&key, &ca, &ca_key).unwrap();
        Certificates {
            ca: ca.der().clone(),
            chain: vec![leaf.der().clone()],
            key: PrivatePkcs8KeyDer::from(key.serialize_der()),
        }
    }

    fn client_config(ca: &CertificateDer<'static>) -> Arc<ClientConfig> {
        let mut roots = RootCertStore::empty();
        roots.add(ca.clone()).unwrap();
        Arc::new(
            ClientConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
                .with_safe_default_protocol_versions()
                .unwrap()
                .with_root_certificates(roots)
                .with_no_client_auth(),
        )
    }

    /// An SMTP server in memory: plain text until `start_tls`, then TLS.
    /// Every line the client sends is answered with the next of `answers`.
    struct Server {
        tls: Option<ServerConnection>,
        config: Arc<ServerConfig>,
        answers: VecDeque<&'static str>,
        /// Bytes on their way to the client.
        to_client: Vec<u8>,
        /// Plain text from the client not yet a whole line.
        partial: Vec<u8>,
        lines: Vec<String>,
        in_data: bool,
    }

    impl Server {
        /// `implicit`: TLS from the first byte, else plain until STARTTLS.
        fn new(certificates: &Certificates, answers: &[&'static str], implicit: bool) -> Server {
            let key = PrivateKeyDer::Pkcs8(certificates.key.clone_key());
            let config = ServerConfig::builder_with_provider(Arc::new(
                rustls::crypto::ring::default_provider(),
            ))
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_no_client_auth()
            .with_single_cert(certificates.chain.clone(), key)
            .unwrap();
            let mut server = Server {
                tls: None,
                config: Arc::new(config),
                answers: answers.iter().copied().collect(),
                to_client: Vec::new(),
                partial: Vec::new(),
                lines: Vec::new(),
                in_data: false,
            };
            if implicit {
                server.start_tls();
            }
            server.answer();
            server
        }

        fn start_tls(&mut self) {
            self.tls = Some(ServerConnection::new(self.config.clone()).unwrap());
        }

        /// Queues the next answer for the client.
        fn answer(&mut self) {
            let answer = self.answers.pop_front().expect("an answer too many");
            match &mut self.tls {
                Some(tls) => tls.writer().write_all(answer.as_bytes()).unwrap(),
                None => self.to_client.extend_from_slice(answer.as_bytes()),
            }
        }

        fn take_from_client(&mut self, mut bytes: &[u8]) {
            let mut plain = Vec::new();
            match &mut self.tls {
                Some(tls) => {
                    while !bytes.is_empty() {
                        tls.read_tls(&mut bytes).unwrap();
                        tls.process_new_packets().unwrap();
                        let _ = tls.reader().read_to_end(&mut plain);
                    }
                }
                None => plain.extend_from_slice(bytes),
            }
            self.partial.extend_from_slice(&plain);
            while let Some(end) = self.partial.iter().position(|&b| b == b'\n') {
                let line: Vec<u8> = self.partial.drain(..=end).collect();
                let line = String::from_utf8(line).unwrap().trim_end().to_string();
                let answered = !self.in_data || line == ".";
                self.in_data = (self.in_data || line == "DATA") && line != ".";
                self.lines.push(line);
                if answered {
                    self.answer();
                }
                if self.lines.last().unwrap() == "STARTTLS" {
                    self.start_tls();
                }
            }
        }

        /// Up to `wanted` bytes for the client; `None` when there are none.
        fn send_to_client(&mut self, wanted: usize) -> Option<Vec<u8>> {
            if let Some(tls) = &mut self.tls {
                while tls.wants_write() {
                    tls.write_tls(&mut self.to_client).unwrap();
                }
            }
            if self.to_client.is_empty() {
                return None;
            }
            let take = wanted.min(self.to_client.len());
            Some(self.to_client.drain(..take).collect())
        }
    }

    fn policy(tls: TlsMode) -> Policy {
        Policy { tls, auth: None }
    }

    /// A wire for implicit TLS, whose opening has asked for TLS.
    fn implicit() -> Wire {
        let mut wire = Wire::new(policy(TlsMode::Implicit));
        wire.dialogue.open().unwrap();
        assert_eq!(wire.poll(), Step::Secure);
        wire
    }

    /// Runs the wire's operation against `server`, reading exactly the
    /// byte counts the wire asks for, as a `create()` socket would.
    fn run(wire: &mut Wire, server: &mut Server) -> Step {
        for _ in 0..1000 {
            match wire.poll() {
                Step::Write => {
                    server.take_from_client(wire.output());
                    wire.written();
                }
                Step::ReadLine => {
                    let bytes = server
                        .send_to_client(usize::MAX)
                        .expect("the server is silent");
                    wire.receive(&bytes);
                }
                Step::ReadBytes(wanted) => {
                    assert!(wanted > 0);
                    let bytes = server
                        .send_to_client(wanted)
                        .expect("asked for bytes never sent");
                    wire.receive(&bytes);
                }
                step => return step,
            }
        }
        panic!("no end");
    }

    fn reply(step: Step) -> String {
        match step {
            Step::Done(Ok(Some(reply))) => String::from_utf8(reply.text).unwrap(),
            Step::Done(Err(failure)) => {
                format!("failed: {}", String::from_utf8_lossy(&failure.message()))
            }
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn starttls_discards_plain_text_sent_after_the_220() {
        let certificates = certificates("test CA");
        let mut server = Server::new(
            &certificates,
            &[
                "220 mx\r\n",
                "250-mx\r\n250 STARTTLS\r\n",
                "220 go ahead\r\n250-injected\r\n250 AUTH PLAIN\r\n",
                "250-mx\r\n250 PIPELINING\r\n",
                "250 ok\r\n",
            ],
            false,
        );
        let mut wire = Wire::new(policy(TlsMode::StartTls));
        wire.dialogue.greet(b"here").unwrap();
        assert_eq!(run(&mut wire, &mut server), Step::Secure);
        let config = client_config(&certificates.ca);
        wire.secure(config, server_name("localhost").unwrap())
            .unwrap();
        assert_eq!(reply(run(&mut wire, &mut server)), "250-mx\n250 PIPELINING");
        wire.dialogue
            .operation(|session| session.mail(b"<a@x>"))
            .unwrap();
        assert_eq!(reply(run(&mut wire, &mut server)), "250 ok");
        assert_eq!(
            server.lines,
            ["EHLO here", "STARTTLS", "EHLO here", "MAIL FROM:<a@x>"]
        );
    }

    #[test]
    fn a_certificate_for_another_name_fails_the_handshake() {
        let certificates = certificates("test CA");
        let mut server = Server::new(&certificates, &["220 mx\r\n"], true);
        let mut wire = implicit();
        wire.secure(
            client_config(&certificates.ca),
            server_name("mx.example").unwrap(),
        )
        .unwrap();
        let outcome = reply(run(&mut wire, &mut server));
        assert!(
            outcome.starts_with(
                "failed: certificate verify failed: certificate not valid for name \"mx.example\""
            ),
            "{outcome}"
        );
    }

    #[test]
    fn an_unknown_ca_fails_the_handshake() {
        let certificates = certificates("test CA");
        let mut server = Server::new(&certificates, &["220 mx\r\n"], true);
        let mut wire = implicit();
        let stranger = self::certificates("another CA").ca;
        wire.secure(client_config(&stranger), server_name("localhost").unwrap())
            .unwrap();
        assert_eq!(
            reply(run(&mut wire, &mut server)),
            "failed: certificate verify failed: unknown issuer (not signed by a trusted CA)"
        );
    }

    #[test]
    fn implicit_tls_carries_a_large_body_in_exact_reads() {
        let certificates = certificates("test CA");
        let mut server = Server::new(
            &certificates,
            &["220 mx\r\n", "250 mx\r\n", "354 go\r\n", "250 queued\r\n"],
            true,
        );
        // The greeting waits in the server's TLS buffer until the handshake.
        let mut wire = implicit();
        wire.secure(
            client_config(&certificates.ca),
            server_name("localhost").unwrap(),
        )
        .unwrap();
        assert_eq!(run(&mut wire, &mut server), Step::Done(Ok(None)));
        assert_eq!(wire.tls_description().unwrap().0, "TLSv1.3");
        wire.dialogue.greet(b"here").unwrap();
        assert_eq!(reply(run(&mut wire, &mut server)), "250 mx");
        wire.dialogue.operation(Session::data).unwrap();
        assert_eq!(run(&mut wire, &mut server), Step::Body);
        let line = b"0123456789012345678901234567890123456789\r\n";
        for _ in 0..5000 {
            if wire.dialogue.session.body(line) {
                assert_eq!(run(&mut wire, &mut server), Step::Body);
            }
        }
        wire.dialogue.session.end_body();
        assert_eq!(reply(run(&mut wire, &mut server)), "250 queued");
        // EHLO, DATA, the lines, the empty line of the terminator's own
        // CRLF (as LuaSocket sends it), and the dot.
        assert_eq!(server.lines.len(), 2 + 5000 + 2);
        assert_eq!(server.lines[5002..], ["", "."]);
    }
}
