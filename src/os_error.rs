//! Operating-system errors in the words Lua scripts know: LuaSocket's for
//! the network ("timeout", "closed", "connection refused"), so that scripts
//! that compare error strings keep working, and C's strerror for files, as
//! Lua's io functions report them. Every layer may use these.

use std::io;

pub const TIMEOUT: &str = "timeout";
pub const CLOSED: &str = "closed";

/// LuaSocket's message for an I/O error: its own words for the errors it
/// names, the system's description (strerror) for the others.
pub fn describe(error: &io::Error) -> String {
    match error.raw_os_error() {
        Some(code) => describe_errno(code),
        None => match error.kind() {
            io::ErrorKind::TimedOut | io::ErrorKind::WouldBlock => TIMEOUT.to_string(),
            io::ErrorKind::UnexpectedEof | io::ErrorKind::WriteZero => CLOSED.to_string(),
            _ => error.to_string(),
        },
    }
}

fn describe_errno(code: i32) -> String {
    let words = match code {
        libc::EADDRINUSE => "address already in use",
        libc::EISCONN => "already connected",
        libc::EACCES => "permission denied",
        libc::ECONNREFUSED => "connection refused",
        libc::ECONNABORTED | libc::ECONNRESET | libc::EPIPE => CLOSED,
        libc::ETIMEDOUT | libc::EAGAIN | libc::EINPROGRESS => TIMEOUT,
        _ => return strerror(code),
    };
    words.to_string()
}

/// C's strerror text for a system error ("No such file or directory"),
/// which is what Lua's io functions report; std's own words otherwise.
pub fn system_message(error: &io::Error) -> String {
    match error.raw_os_error() {
        Some(code) => strerror(code),
        None => error.to_string(),
    }
}

/// The system's description of an errno value, as C's strerror gives it.
fn strerror(code: i32) -> String {
    let described = io::Error::from_raw_os_error(code).to_string();
    // std appends " (os error N)" to strerror's text.
    match described.rfind(" (os error ") {
        Some(end) => described[..end].to_string(),
        None => described,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_luasocket_names_use_its_words() {
        assert_eq!(describe_errno(libc::ECONNREFUSED), "connection refused");
        assert_eq!(describe_errno(libc::ECONNRESET), "closed");
        assert_eq!(describe_errno(libc::EPIPE), "closed");
        assert_eq!(describe_errno(libc::EAGAIN), "timeout");
        assert_eq!(
            describe(&io::Error::from(io::ErrorKind::TimedOut)),
            "timeout"
        );
    }

    #[test]
    fn other_errors_use_the_system_description() {
        assert_eq!(describe_errno(libc::ENETUNREACH), "Network is unreachable");
        let missing = io::Error::from_raw_os_error(libc::ENOENT);
        assert_eq!(system_message(&missing), "No such file or directory");
        assert_eq!(
            system_message(&io::Error::other("no system error")),
            "no system error"
        );
    }
}
