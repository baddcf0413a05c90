//! Name resolution through getaddrinfo, as LuaSocket does it, so that the
//! addresses come in the resolver's order and failures carry LuaSocket's
//! wording ("host or service not provided, or not known").

use std::ffi::{CStr, CString};
use std::net::SocketAddr;
use std::ptr;

use socket2::SockAddr;

/// The stream addresses of `host` and `service` (a port number or a service
/// name), IPv6 and IPv4, in the order the resolver gives them.
pub fn resolve(host: &str, service: &str) -> Result<Vec<SocketAddr>, String> {
    let not_known = || gai_message(libc::EAI_NONAME);
    let host = CString::new(host).map_err(|_| not_known())?;
    let service = CString::new(service).map_err(|_| not_known())?;
    // SAFETY: an all-zero addrinfo is the documented "no hints" value.
    let mut hints: libc::addrinfo = unsafe { std::mem::zeroed() };
    hints.ai_family = libc::AF_UNSPEC;
    hints.ai_socktype = libc::SOCK_STREAM;
    let mut found: *mut libc::addrinfo = ptr::null_mut();
    // SAFETY: the strings are NUL-terminated and outlive the call; `found`
    // is freed below with freeaddrinfo.
    let status = unsafe {
        libc::getaddrinfo(
            host.as_ptr(),
            service.as_ptr(),
            &raw const hints,
            &raw mut found,
        )
    };
    if status != 0 {
        return Err(gai_message(status));
    }
    let mut addresses = Vec::new();
    let mut entry = found;
    while !entry.is_null() {
        // SAFETY: getaddrinfo returned a valid list, entry is one of it.
        let info = unsafe { &*entry };
        if let Some(address) = socket_addr(info) {
            addresses.push(address);
        }
        entry = info.ai_next;
    }
    // SAFETY: `found` came from a successful getaddrinfo.
    unsafe { libc::freeaddrinfo(found) };
    Ok(addresses)
}

fn socket_addr(info: &libc::addrinfo) -> Option<SocketAddr> {
    let length = info.ai_addrlen as usize;
    if info.ai_addr.is_null() || length > size_of::<libc::sockaddr_storage>() {
        return None;
    }
    // SAFETY: ai_addr points to ai_addrlen valid bytes of a socket address.
    let ((), address) = unsafe {
        SockAddr::try_init(|storage, storage_length| {
            ptr::copy_nonoverlapping(info.ai_addr.cast::<u8>(), storage.cast::<u8>(), length);
            *storage_length = info.ai_addrlen;
            Ok(())
        })
    }
    .ok()?;
    address.as_socket()
}

/// LuaSocket's messages for getaddrinfo's errors.
fn gai_message(status: i32) -> String {
    let words = match status {
        libc::EAI_AGAIN => "temporary failure in name resolution",
        libc::EAI_BADFLAGS => "invalid value for ai_flags",
        libc::EAI_FAIL => "non-recoverable failure in name resolution",
        libc::EAI_FAMILY => "ai_family not supported",
        libc::EAI_MEMORY => "memory allocation failure",
        libc::EAI_NONAME => "host or service not provided, or not known",
        libc::EAI_OVERFLOW => "argument buffer overflow",
        libc::EAI_SERVICE => "service not supported for socket type",
        libc::EAI_SOCKTYPE => "ai_socktype not supported",
        libc::EAI_SYSTEM => return std::io::Error::last_os_error().to_string(),
        _ => {
            // SAFETY: gai_strerror returns a static NUL-terminated string.
            return unsafe { CStr::from_ptr(libc::gai_strerror(status)) }
                .to_string_lossy()
                .into_owned();
        }
    };
    words.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numeric_addresses_resolve_to_themselves() {
        let addresses = resolve("127.0.0.1", "2525").unwrap();
        assert_eq!(addresses, ["127.0.0.1:2525".parse::<SocketAddr>().unwrap()]);
        assert_eq!(
            resolve("::1", "25").unwrap(),
            ["[::1]:25".parse::<SocketAddr>().unwrap()]
        );
    }

    #[test]
    fn service_names_are_looked_up_too() {
        assert_eq!(resolve("127.0.0.1", "smtp").unwrap()[0].port(), 25);
    }

    /// A name that is not a valid host name is refused without asking DNS,
    /// so the test stays on this machine.
    #[test]
    fn unknown_hosts_get_luasocket_wording() {
        assert_eq!(
            resolve("no such host", "25"),
            Err(gai_message(libc::EAI_NONAME))
        );
        assert_eq!(
            resolve("bad\0host", "25").unwrap_err(),
            "host or service not provided, or not known"
        );
    }
}
