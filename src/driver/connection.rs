//! A native TCP connection to an SMTP server, and the loop that runs a
//! session over it. `timeout` bounds the connection attempt to each
//! address, and every exchange: each write, and the wait for each reply.

use std::fmt;
use std::io::Read;
use std::net::SocketAddr;
use std::os::fd::{BorrowedFd, RawFd};
use std::time::{Duration, Instant};

use socket2::{Domain, Protocol, Socket, Type};

use super::resolve::resolve;
use crate::os_error::{describe, CLOSED, TIMEOUT};
use crate::protocol::deadline::deadline;
use crate::wire::{Step, Wire};

/// Socket timeouts of zero mean "no limit" to the kernel; never ask for less.
const SHORTEST_WAIT: Duration = Duration::from_millis(1);

/// Bytes read from the socket at a time.
const READ_BUFFER: usize = 16 * 1024;

pub struct Connection {
    socket: Socket,
    timeout: Option<Duration>,
    /// Made once per connection: zeroing a fresh one for every `drive`
    /// cost more than the rest of a message's dialogue.
    buffer: Box<[u8]>,
}

/// Without the read buffer's contents.
impl fmt::Debug for Connection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Connection")
            .field("socket", &self.socket)
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

impl Connection {
    /// Connects to the first address of `host` that accepts, trying them in
    /// the resolver's order. `timeout` None means no limit.
    pub fn open(
        host: &str,
        service: &str,
        timeout: Option<Duration>,
    ) -> Result<Connection, String> {
        let mut last_error = None;
        for address in resolve(host, service)? {
            match connect(address, timeout) {
                Ok(socket) => return Ok(Connection::over(socket, timeout)),
                Err(error) => last_error = Some(describe(&error)),
            }
        }
        Err(last_error.unwrap_or_else(|| "host or service not provided, or not known".to_string()))
    }

    /// A connection over a connected LuaSocket socket's descriptor, which
    /// Lua may take back ([`Connection::release`]). It runs over a
    /// duplicate, so that each side closes its own descriptor, in blocking
    /// mode, which the timeouts here rely on.
    pub fn adopt(fd: RawFd, timeout: Option<Duration>) -> Result<Connection, String> {
        if fd < 0 {
            return Err(CLOSED.to_string());
        }
        // SAFETY: `fd` is not -1, and it is only duplicated, at once; a
        // descriptor that is not open fails with EBADF.
        let borrowed = unsafe { BorrowedFd::borrow_raw(fd) };
        let socket = Socket::from(borrowed.try_clone_to_owned().map_err(|e| describe(&e))?);
        socket.set_nonblocking(false).map_err(|e| describe(&e))?;
        Ok(Connection::over(socket, timeout))
    }

    /// Hands the socket back to LuaSocket, whose sockets are non-blocking,
    /// and closes the duplicate descriptor.
    pub fn release(self) {
        // The mode belongs to the socket, which the other descriptor keeps
        // open: this cannot fail, and if it did, LuaSocket's next call on
        // it would report why.
        let _ = self.socket.set_nonblocking(true);
    }

    fn over(socket: Socket, timeout: Option<Duration>) -> Connection {
        Connection {
            socket,
            timeout,
            buffer: vec![0; READ_BUFFER].into_boxed_slice(),
        }
    }

    /// Runs `wire` until it wants a body chunk ([`Step::Body`]), TLS or a
    /// new connection ([`Step::Secure`], [`Step::Connect`]), or its
    /// operation is over ([`Step::Done`]). An I/O error is LuaSocket's
    /// message for it.
    pub fn drive(&mut self, wire: &mut Wire) -> Result<Step, String> {
        let mut deadline = self.deadline();
        loop {
            match wire.poll() {
                Step::Write => {
                    self.write_all(wire.output(), deadline)?;
                    wire.written();
                    deadline = self.deadline();
                }
                Step::ReadLine | Step::ReadBytes(_) => {
                    let received = read(&self.socket, &mut self.buffer, deadline)?;
                    wire.receive(&self.buffer[..received]);
                }
                step => return Ok(step),
            }
        }
    }

    fn deadline(&self) -> Option<Instant> {
        deadline(self.timeout, Instant::now())
    }

    fn write_all(&self, mut bytes: &[u8], deadline: Option<Instant>) -> Result<(), String> {
        while !bytes.is_empty() {
            let wait = remaining(deadline)?;
            self.socket
                .set_write_timeout(wait)
                .map_err(|e| describe(&e))?;
            match self.socket.send_with_flags(bytes, libc::MSG_NOSIGNAL) {
                Ok(0) => return Err(CLOSED.to_string()),
                Ok(sent) => bytes = &bytes[sent..],
                Err(error) if error.kind() == std::io::ErrorKind::Interrupted => {}
                Err(error) => return Err(describe(&error)),
            }
        }
        Ok(())
    }
}

/// Reads what the socket has, up to `buffer`'s size, waiting no later than
/// `deadline`.
fn read(socket: &Socket, buffer: &mut [u8], deadline: Option<Instant>) -> Result<usize, String> {
    loop {
        let wait = remaining(deadline)?;
        socket.set_read_timeout(wait).map_err(|e| describe(&e))?;
        match (&*socket).read(buffer) {
            Ok(0) => return Err(CLOSED.to_string()),
            Ok(received) => return Ok(received),
            Err(error) if error.kind() == std::io::ErrorKind::Interrupted => {}
            Err(error) => return Err(describe(&error)),
        }
    }
}

fn connect(address: SocketAddr, timeout: Option<Duration>) -> std::io::Result<Socket> {
    let socket = Socket::new(
        Domain::for_address(address),
        Type::STREAM,
        Some(Protocol::TCP),
    )?;
    match timeout {
        Some(timeout) => socket.connect_timeout(&address.into(), timeout.max(SHORTEST_WAIT))?,
        None => socket.connect(&address.into())?,
    }
    // Commands are written whole, so Nagle's algorithm could only delay them.
    socket.set_tcp_nodelay(true)?;
    Ok(socket)
}

/// The time left before `deadline`, or "timeout" when it has passed.
fn remaining(deadline: Option<Instant>) -> Result<Option<Duration>, String> {
    let Some(deadline) = deadline else {
        return Ok(None);
    };
    let left = deadline.saturating_duration_since(Instant::now());
    if left.is_zero() {
        return Err(TIMEOUT.to_string());
    }
    Ok(Some(left.max(SHORTEST_WAIT)))
}

#[cfg(test)]
mod tests {
    use std::io::{BufRead, BufReader, Write};
    use std::net::TcpListener;
    use std::os::fd::AsRawFd;
    use std::thread;

    use super::*;
    use crate::protocol::dialogue::Policy;

    /// A one-connection server on a free loopback port that sends `greeting`
    /// and then answers every line it reads with `answer`.
    fn server(greeting: &'static str, answer: &'static str) -> String {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port().to_string();
        thread::spawn(move || {
            let (stream, _) = listener.accept().unwrap();
            let mut writer = stream.try_clone().unwrap();
            writer.write_all(greeting.as_bytes()).unwrap();
            for line in BufReader::new(stream).lines() {
                if line.is_err() || writer.write_all(answer.as_bytes()).is_err() {
                    break;
                }
            }
        });
        port
    }

    #[test]
    fn a_session_runs_over_a_real_connection() {
        let port = server("220 hi\r\n", "250-mx\r\n250 PIPELINING\r\n");
        let mut connection =
            Connection::open("127.0.0.1", &port, Some(Duration::from_secs(5))).unwrap();
        let mut wire = Wire::new(Policy::default());
        wire.dialogue.greet(b"here").unwrap();
        let Ok(Step::Done(Ok(Some(reply)))) = connection.drive(&mut wire) else {
            panic!()
        };
        assert_eq!(reply.text, b"250-mx\n250 PIPELINING");
    }

    #[test]
    fn an_adopted_descriptor_runs_blocking_and_goes_back_non_blocking() {
        let port = server("220 hi\r\n", "250 mx\r\n");
        let theirs = std::net::TcpStream::connect(format!("127.0.0.1:{port}")).unwrap();
        theirs.set_nonblocking(true).unwrap();
        let timeout = Some(Duration::from_secs(5));
        let mut connection = Connection::adopt(theirs.as_raw_fd(), timeout).unwrap();
        let mut wire = Wire::new(Policy::default());
        wire.dialogue.greet(b"here").unwrap();
        assert!(matches!(connection.drive(&mut wire), Ok(Step::Done(Ok(_)))));
        connection.release();
        let mut buffer = [0u8; 8];
        let error = (&theirs).read(&mut buffer).unwrap_err();
        assert_eq!(
            error.kind(),
            std::io::ErrorKind::WouldBlock,
            "non-blocking again"
        );
        assert_eq!(
            Connection::adopt(-1, timeout).err().as_deref(),
            Some("closed")
        );
    }

    #[test]
    fn a_closed_port_is_refused() {
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port()
            .to_string();
        let error = Connection::open("127.0.0.1", &port, Some(Duration::from_secs(5))).err();
        assert_eq!(error.as_deref(), Some("connection refused"));
    }

    #[test]
    fn a_silent_server_times_out_within_the_timeout() {
        let port = server("", "");
        let timeout = Duration::from_millis(200);
        let mut connection = Connection::open("127.0.0.1", &port, Some(timeout)).unwrap();
        let mut wire = Wire::new(Policy::default());
        wire.dialogue.greet(b"here").unwrap();
        let started = Instant::now();
        assert_eq!(
            connection.drive(&mut wire).err().as_deref(),
            Some("timeout")
        );
        assert!(
            started.elapsed() < timeout * 5,
            "took {:?}",
            started.elapsed()
        );
    }

    #[test]
    fn a_server_that_hangs_up_gives_closed() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port().to_string();
        thread::spawn(move || drop(listener.accept()));
        let mut connection =
            Connection::open("127.0.0.1", &port, Some(Duration::from_secs(5))).unwrap();
        let mut wire = Wire::new(Policy::default());
        wire.dialogue.greet(b"here").unwrap();
        assert_eq!(connection.drive(&mut wire).err().as_deref(), Some("closed"));
    }
}
