//! What an EHLO reply offers, read from its text ("250-host\n250-AUTH ...").

/// An AUTH mechanism this client can use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mechanism {
    Login,
    Plain,
}

/// LuaSocket's choice: LOGIN when an AUTH line offers it, else PLAIN.
pub fn choose_auth(ehlo: &[u8]) -> Option<Mechanism> {
    if auth_line_offers(ehlo, b"LOGIN") {
        Some(Mechanism::Login)
    } else if auth_line_offers(ehlo, b"PLAIN") {
        Some(Mechanism::Plain)
    } else {
        None
    }
}

/// Whether the server advertises PIPELINING (RFC 2920).
pub fn offers_pipelining(ehlo: &[u8]) -> bool {
    offers(ehlo, b"PIPELINING")
}

/// Whether the server offers STARTTLS (RFC 3207).
pub fn offers_starttls(ehlo: &[u8]) -> bool {
    offers(ehlo, b"STARTTLS")
}

/// Whether the server offers the extension `keyword`, in any case.
fn offers(ehlo: &[u8], keyword: &[u8]) -> bool {
    keywords(ehlo).any(|offered| offered.eq_ignore_ascii_case(keyword))
}

/// LuaSocket's test, the Lua pattern "AUTH[^\n]+<mechanism>": somewhere on a
/// line, "AUTH", then at least one byte, then the mechanism, case-sensitive.
fn auth_line_offers(ehlo: &[u8], mechanism: &[u8]) -> bool {
    ehlo.split(|&byte| byte == b'\n').any(|line| {
        find(line, b"AUTH")
            .is_some_and(|at| find(&line[(at + 5).min(line.len())..], mechanism).is_some())
    })
}

/// The extension keywords: the first word of every line after the first,
/// past the "250-" or "250 " in front.
fn keywords(ehlo: &[u8]) -> impl Iterator<Item = &[u8]> {
    ehlo.split(|&byte| byte == b'\n')
        .skip(1)
        .filter_map(|line| {
            let rest = line.get(4..)?;
            rest.split(|&byte| byte == b' ').next()
        })
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack
        .windows(needle.len())
        .position(|window| window == needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn login_is_preferred_when_both_are_offered() {
        assert_eq!(
            choose_auth(b"250-mx\n250-AUTH PLAIN LOGIN\n250 HELP"),
            Some(Mechanism::Login)
        );
        assert_eq!(
            choose_auth(b"250-mx\n250 AUTH=PLAIN"),
            Some(Mechanism::Plain)
        );
        assert_eq!(choose_auth(b"250-mx\n250 AUTH CRAM-MD5"), None);
    }

    #[test]
    fn the_mechanism_must_be_on_the_auth_line_after_at_least_one_byte() {
        assert_eq!(choose_auth(b"250-AUTH\n250 LOGIN"), None);
        assert_eq!(choose_auth(b"250 AUTHLOGIN"), None);
        assert_eq!(choose_auth(b"250 AUTH LOGIN"), Some(Mechanism::Login));
        assert_eq!(choose_auth(b"250 AUTH XLOGIN"), Some(Mechanism::Login));
    }

    #[test]
    fn the_match_is_case_sensitive_as_in_luasocket() {
        assert_eq!(choose_auth(b"250 auth login"), None);
    }

    #[test]
    fn pipelining_is_a_keyword_of_some_line_after_the_first() {
        assert!(offers_pipelining(b"250-mx\n250-pipelining\n250 HELP"));
        assert!(offers_pipelining(b"250-mx\n250 PIPELINING"));
        assert!(!offers_pipelining(b"250 PIPELINING"));
        assert!(!offers_pipelining(b"250-mx\n250-XPIPELINING\n250 HELP"));
    }

    #[test]
    fn starttls_is_a_keyword_like_pipelining() {
        assert!(offers_starttls(b"250-mx\n250-STARTTLS\n250 HELP"));
        assert!(offers_starttls(b"250-mx\n250 starttls"));
        assert!(!offers_starttls(b"250 STARTTLS"));
        assert!(!offers_starttls(b"250-mx\n250 AUTH STARTTLS"));
    }
}
