//! What an EHLO reply offers, parsed once from its text ("250-host\n250-AUTH
//! ..."): a keyword is the first word of a line after the first, past the
//! "250-" or "250 " in front, in any case (RFC 5321 §4.1.1.1); its
//! parameters are the words after it. Anything else is ignored, so no text
//! can make parsing fail.

use std::sync::LazyLock;

use memchr::memchr;
use memchr::memmem::Finder;

/// Built once: building a searcher costs more than a search.
static AUTH: LazyLock<Finder<'static>> = LazyLock::new(|| Finder::new(b"AUTH"));

/// An AUTH mechanism this client can use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mechanism {
    Login,
    Plain,
    Xoauth2,
}

impl Mechanism {
    /// The mechanism a name stands for, in any case.
    pub fn named(name: &[u8]) -> Option<Mechanism> {
        [Mechanism::Login, Mechanism::Plain, Mechanism::Xoauth2]
            .into_iter()
            .find(|mechanism| name.eq_ignore_ascii_case(mechanism.name().as_bytes()))
    }

    /// Its name in lower case, as the session's methods and the `auth`
    /// option spell it.
    pub fn name(self) -> &'static str {
        match self {
            Mechanism::Login => "login",
            Mechanism::Plain => "plain",
            Mechanism::Xoauth2 => "xoauth2",
        }
    }

    fn bit(self) -> u8 {
        1 << self as u8
    }
}

/// A set of the mechanisms this client knows; the others a server offers
/// are left out.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Mechanisms(u8);

impl Mechanisms {
    pub fn contains(self, mechanism: Mechanism) -> bool {
        self.0 & mechanism.bit() != 0
    }

    fn insert(&mut self, mechanism: Mechanism) {
        self.0 |= mechanism.bit();
    }
}

/// The extensions an EHLO reply offers. The default offers none: the state
/// before EHLO, and after STARTTLS until the next one.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Capabilities {
    /// PIPELINING (RFC 2920).
    pub pipelining: bool,
    /// STARTTLS (RFC 3207).
    pub starttls: bool,
    /// AUTH's mechanisms (RFC 4954), also from the old form "AUTH=LOGIN".
    pub auth: Mechanisms,
    /// SIZE (RFC 1870): `Some(None)` offered without a limit (no number, 0,
    /// or one that is not a number), `Some(Some(n))` with a limit of n
    /// bytes. A later SIZE line overrides an earlier one.
    pub size: Option<Option<u64>>,
    /// 8BITMIME (RFC 6152).
    pub eight_bit_mime: bool,
    /// SMTPUTF8 (RFC 6531).
    pub smtputf8: bool,
    /// DSN (RFC 3461).
    pub dsn: bool,
    /// ENHANCEDSTATUSCODES (RFC 2034).
    pub enhanced_status_codes: bool,
    /// CHUNKING (RFC 3030).
    pub chunking: bool,
    /// What LuaSocket's test finds; see [`Capabilities::choose_auth`].
    luasocket_auth: Option<Mechanism>,
}

impl Capabilities {
    pub fn parse(ehlo: &[u8]) -> Capabilities {
        let mut offered = Capabilities {
            luasocket_auth: luasocket_choice(ehlo),
            ..Capabilities::default()
        };
        let mut lines = lines(ehlo);
        lines.next(); // The server's name and greeting.
        for line in lines {
            if let Some(text) = line.get(4..) {
                let keyword_end = text.iter().position(|&byte| byte == b' ');
                let (keyword, parameters) = text.split_at(keyword_end.unwrap_or(text.len()));
                offered.offer(keyword, parameters);
            }
        }
        offered
    }

    /// LuaSocket's choice of mechanism, kept for its scripts: LOGIN when
    /// some line has "AUTH", at least one byte, then "LOGIN", else PLAIN
    /// alike, case-sensitive. A looser test than [`Capabilities::auth`]:
    /// "AUTH XLOGIN" counts, the first line counts, "auth login" does not.
    pub fn choose_auth(&self) -> Option<Mechanism> {
        self.luasocket_auth
    }

    /// Takes in one line's keyword and its parameters, the rest of the line.
    fn offer(&mut self, keyword: &[u8], parameters: &[u8]) {
        let mut words = parameters
            .split(|&byte| byte == b' ')
            .filter(|word| !word.is_empty());
        let is = |name: &[u8]| same_word(keyword, name);
        if is(b"PIPELINING") {
            self.pipelining = true;
        } else if is(b"STARTTLS") {
            self.starttls = true;
        } else if is(b"AUTH") {
            self.offer_auth(words);
        } else if is(b"SIZE") {
            self.size = Some(words.next().and_then(size_limit));
        } else if is(b"8BITMIME") {
            self.eight_bit_mime = true;
        } else if is(b"SMTPUTF8") {
            self.smtputf8 = true;
        } else if is(b"DSN") {
            self.dsn = true;
        } else if is(b"ENHANCEDSTATUSCODES") {
            self.enhanced_status_codes = true;
        } else if is(b"CHUNKING") {
            self.chunking = true;
        } else if keyword.len() > 5 && same_word(&keyword[..5], b"AUTH=") {
            self.offer_auth(std::iter::once(&keyword[5..]).chain(words));
        }
    }

    fn offer_auth<'a>(&mut self, names: impl Iterator<Item = &'a [u8]>) {
        for mechanism in names.filter_map(Mechanism::named) {
            self.auth.insert(mechanism);
        }
    }
}

/// The lines of `text`, which ends without a line end. memchr finds line
/// ends much faster than `split` looking at every byte.
fn lines(text: &[u8]) -> impl Iterator<Item = &[u8]> {
    let mut rest = Some(text);
    std::iter::from_fn(move || {
        let text = rest?;
        let end = memchr(b'\n', text);
        rest = end.map(|end| &text[end + 1..]);
        Some(&text[..end.unwrap_or(text.len())])
    })
}

/// Whether `word` is `capitals` in any case. Servers write keywords in
/// capitals: comparing the bytes first is faster than byte by byte in any
/// case, and the lengths decide most comparisons either way.
fn same_word(word: &[u8], capitals: &[u8]) -> bool {
    word == capitals || word.eq_ignore_ascii_case(capitals)
}

/// LuaSocket's test, the Lua pattern "AUTH[^\n]+<mechanism>": on some
/// line, "AUTH", then at least one byte, then the mechanism; LOGIN first.
fn luasocket_choice(ehlo: &[u8]) -> Option<Mechanism> {
    let (mut login, mut plain) = (false, false);
    let mut rest = ehlo;
    while let Some(at) = AUTH.find(rest) {
        let line = &rest[at..];
        let end = memchr(b'\n', line).unwrap_or(line.len());
        // A later "AUTH" on the line has less after it: the first will do.
        if let Some(after) = line[..end].get(5..) {
            login |= contains(after, b"LOGIN");
            plain |= contains(after, b"PLAIN");
        }
        rest = &line[end..];
    }
    if login {
        Some(Mechanism::Login)
    } else if plain {
        Some(Mechanism::Plain)
    } else {
        None
    }
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack
        .windows(needle.len())
        .any(|window| window == needle)
}

/// SIZE's limit from its parameter, when that is a number other than 0
/// (RFC 1870: 0 means no fixed limit).
fn size_limit(digits: &[u8]) -> Option<u64> {
    if !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    std::str::from_utf8(digits)
        .ok()?
        .parse()
        .ok()
        .filter(|limit| *limit > 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mechanisms(names: &[Mechanism]) -> Mechanisms {
        let mut set = Mechanisms::default();
        for name in names {
            set.insert(*name);
        }
        set
    }

    #[test]
    fn every_known_extension_is_read_in_any_case() {
        let offered = Capabilities::parse(
            b"250-mx.example greets you\n250-pipelining\n250-StartTLS\n250-AUTH PLAIN login \
              CRAM-MD5 xoauth2\n250-SIZE 35882577\n250-8bitmime\n250-SMTPUTF8\n250-DSN\n\
              250-ENHANCEDSTATUSCODES\n250-CHUNKING\n250 HELP",
        );
        assert_eq!(
            offered,
            Capabilities {
                pipelining: true,
                starttls: true,
                auth: mechanisms(&[Mechanism::Login, Mechanism::Plain, Mechanism::Xoauth2]),
                size: Some(Some(35_882_577)),
                eight_bit_mime: true,
                smtputf8: true,
                dsn: true,
                enhanced_status_codes: true,
                chunking: true,
                // Case-sensitive, LuaSocket's test does not see "login".
                luasocket_auth: Some(Mechanism::Plain),
            }
        );
    }

    #[test]
    fn a_keyword_is_the_first_word_of_a_line_after_the_first() {
        assert!(Capabilities::parse(b"250-mx\n250 PIPELINING").pipelining);
        assert!(!Capabilities::parse(b"250 PIPELINING").pipelining);
        assert!(!Capabilities::parse(b"250-mx\n250-XPIPELINING\n250 HELP").pipelining);
        assert!(!Capabilities::parse(b"250-mx\n250 AUTH STARTTLS").starttls);
        assert!(!Capabilities::parse(b"250-mx\n250-PIPELINING2\n250 HELP").pipelining);
        assert_eq!(Capabilities::parse(b""), Capabilities::default());
        assert_eq!(
            Capabilities::parse(b"250-mx\n25\n250-\n\xff\xfe\xfd\xfc\xfb\n"),
            Capabilities::default()
        );
    }

    #[test]
    fn size_is_offered_with_or_without_a_limit() {
        let size = |ehlo: &[u8]| Capabilities::parse(ehlo).size;
        assert_eq!(size(b"250-mx\n250 HELP"), None);
        assert_eq!(size(b"250-mx\n250 SIZE"), Some(None));
        assert_eq!(size(b"250-mx\n250 SIZE 0"), Some(None));
        assert_eq!(size(b"250-mx\n250 SIZE  1000"), Some(Some(1000)));
        assert_eq!(size(b"250-mx\n250 size 1000 x"), Some(Some(1000)));
        assert_eq!(size(b"250-mx\n250 SIZE -1"), Some(None));
        assert_eq!(size(b"250-mx\n250 SIZE 99999999999999999999"), Some(None));
        assert_eq!(size(b"250-mx\n250-SIZE 10\n250 SIZE 20"), Some(Some(20)));
    }

    #[test]
    fn auth_mechanisms_come_from_either_form_and_unknown_ones_are_left_out() {
        let auth = |ehlo: &[u8]| Capabilities::parse(ehlo).auth;
        assert_eq!(
            auth(b"250-mx\n250 AUTH=LOGIN PLAIN"),
            mechanisms(&[Mechanism::Login, Mechanism::Plain])
        );
        assert_eq!(
            auth(b"250-mx\n250-AUTH CRAM-MD5\n250 auth=xoauth2"),
            mechanisms(&[Mechanism::Xoauth2])
        );
        assert_eq!(auth(b"250-mx\n250 AUTH XLOGIN"), Mechanisms::default());
        assert_eq!(auth(b"250-AUTH LOGIN\n250 HELP"), Mechanisms::default());
    }

    #[test]
    fn luasocket_prefers_login_when_both_are_offered() {
        let choice = |ehlo: &[u8]| Capabilities::parse(ehlo).choose_auth();
        assert_eq!(
            choice(b"250-mx\n250-AUTH PLAIN LOGIN\n250 HELP"),
            Some(Mechanism::Login)
        );
        assert_eq!(choice(b"250-mx\n250 AUTH=PLAIN"), Some(Mechanism::Plain));
        assert_eq!(choice(b"250-mx\n250 AUTH CRAM-MD5 XOAUTH2"), None);
    }

    #[test]
    fn luasocket_finds_the_mechanism_on_the_auth_line_after_at_least_one_byte() {
        let choice = |ehlo: &[u8]| Capabilities::parse(ehlo).choose_auth();
        assert_eq!(choice(b"250-AUTH\n250 LOGIN"), None);
        assert_eq!(choice(b"250 AUTHLOGIN"), None);
        assert_eq!(choice(b"250 AUTH LOGIN"), Some(Mechanism::Login));
        assert_eq!(choice(b"250-mx\n250 AUTH XLOGIN"), Some(Mechanism::Login));
    }

    #[test]
    fn luasocket_matches_case_sensitively() {
        let offered = Capabilities::parse(b"250-mx\n250 auth login");
        assert_eq!(offered.choose_auth(), None);
        assert!(offered.auth.contains(Mechanism::Login));
    }

    #[test]
    fn mechanisms_are_named_in_any_case() {
        assert_eq!(Mechanism::named(b"xOAuth2"), Some(Mechanism::Xoauth2));
        assert_eq!(Mechanism::named(b"LOGIN"), Some(Mechanism::Login));
        assert_eq!(Mechanism::named(b"CRAM-MD5"), None);
        assert_eq!(Mechanism::Plain.name(), "plain");
    }
}
