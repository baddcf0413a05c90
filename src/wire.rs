//! A session's bytes as they travel: as they are, or through TLS. Like the
//! session, this does no I/O; both drivers run it the same way, the native
//! one over its socket and the Lua half over a `create()` socket.

use std::io::{ErrorKind, Read, Write};
use std::sync::Arc;

use rustls::pki_types::ServerName;
use rustls::{ClientConfig, ClientConnection};

use crate::protocol::reply::Reply;
use crate::protocol::session::{Failure, Next, Session};
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
    /// The TLS handshake that [`Wire::secure`] started is complete.
    Secured,
    /// The operation is over. On success, its last reply.
    Done(Result<Reply, Failure>),
}

#[derive(Default)]
pub struct Wire {
    pub session: Session,
    tls: Option<Tls>,
}

struct Tls {
    connection: Box<ClientConnection>,
    /// Ciphertext to write.
    output: Vec<u8>,
    framing: RecordFraming,
    /// Set until [`Step::Secured`] has been reported.
    handshaking: bool,
    failure: Option<String>,
}

impl Wire {
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
            return match self.session.poll() {
                Next::Write => Step::Write,
                Next::Read => Step::ReadLine,
                Next::Body => Step::Body,
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
                return Step::Secured;
            }
            match self.session.poll() {
                Next::Write => {
                    tls.connection
                        .writer()
                        .write_all(self.session.output())
                        .expect("the plaintext buffer has no limit");
                    self.session.written();
                }
                Next::Read => return Step::ReadBytes(tls.framing.wanted()),
                Next::Body => return Step::Body,
                Next::Done(outcome) => return Step::Done(outcome),
            }
        }
    }

    /// The bytes to write now.
    pub fn output(&self) -> &[u8] {
        match &self.tls {
            Some(tls) => &tls.output,
            None => self.session.output(),
        }
    }

    /// Tells the wire that [`Wire::output`] has been written.
    pub fn written(&mut self) {
        match &mut self.tls {
            Some(tls) => tls.output.clear(),
            None => self.session.written(),
        }
    }

    /// Takes bytes the server sent.
    pub fn receive(&mut self, mut bytes: &[u8]) {
        let Some(tls) = &mut self.tls else {
            self.session.receive(bytes);
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
                    Ok(read) => self.session.receive(&plaintext[..read]),
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
        self.session.receive_line(line);
    }

    /// Whether TLS is on.
    pub fn is_secure(&self) -> bool {
        self.tls.is_some()
    }
}
