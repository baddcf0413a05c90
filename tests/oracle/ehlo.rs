//! References for what an EHLO reply offers, and the properties of
//! `protocol::capabilities` checked against them.

use luasmtp::protocol::capabilities::{Capabilities, Mechanism};

/// Words EHLO replies are made of, for generators to pick from.
pub const WORDS: &[&[u8]] = &[
    b"\n",
    b"\n250-",
    b"\n250 ",
    b" ",
    b"250-",
    b"AUTH",
    b"\n250-AUTH ",
    b"\n250-AUTH=",
    b"\n250 auth ",
    b"LOGIN",
    b" PLAIN",
    b"XOAUTH2",
    b" xoauth2",
    b" CRAM-MD5",
    b"\n250-PIPELINING",
    b"\n250-pipelining",
    b"\n250-STARTTLS",
    b"\n250 StartTLS",
    b"250-STARTTLS",
    b" STARTTLS",
    b"\n250-SIZE",
    b" 1000",
    b"\n250 Size 0",
    b" 18446744073709551616",
    b"\n250-8BITMIME",
    b"\n250-SMTPUTF8",
    b"\n250-DSN",
    b"\n250-EnhancedStatusCodes",
    b"\n250 CHUNKING",
    b"HELP",
    b"mx.example",
];

/// Lua's `string.find(ext, "AUTH[^\n]+" .. mechanism)`, tried from every
/// start and every length as the pattern matcher backtracks.
fn lua_pattern_finds(ext: &[u8], mechanism: &[u8]) -> bool {
    (0..ext.len()).any(|start| {
        if !ext[start..].starts_with(b"AUTH") {
            return false;
        }
        // `[^\n]+` has taken ext[start + 4..at].
        let mut at = start + 5;
        while at <= ext.len() && ext[at - 1] != b'\n' {
            if ext[at..].starts_with(mechanism) {
                return true;
            }
            at += 1;
        }
        false
    })
}

/// LuaSocket's choice: LOGIN if the pattern finds it, else PLAIN.
pub fn reference_auth(ext: &[u8]) -> Option<Mechanism> {
    if lua_pattern_finds(ext, b"LOGIN") {
        Some(Mechanism::Login)
    } else if lua_pattern_finds(ext, b"PLAIN") {
        Some(Mechanism::Plain)
    } else {
        None
    }
}

/// The words of every line after the first, from its fifth byte on, split
/// at each space: the keyword first (perhaps empty), then its parameters.
fn reference_lines(ext: &[u8]) -> Vec<Vec<Vec<u8>>> {
    let mut lines = Vec::new();
    let mut words: Vec<Vec<u8>> = Vec::new();
    let (mut line, mut column) = (0, 0);
    for &byte in ext.iter().chain([&b'\n']) {
        if byte == b'\n' {
            if line > 0 && !words.is_empty() {
                lines.push(std::mem::take(&mut words));
            }
            words.clear();
            line += 1;
            column = 0;
            continue;
        }
        column += 1;
        if column == 5 {
            words.push(Vec::new());
        }
        if column >= 5 {
            if byte == b' ' {
                words.push(Vec::new());
            } else {
                words.last_mut().unwrap().push(byte);
            }
        }
    }
    lines
}

/// What the public fields of [`Capabilities`] should be, from
/// [`reference_lines`] with keywords and names compared as upper-case text.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Offers {
    pipelining: bool,
    starttls: bool,
    login: bool,
    plain: bool,
    xoauth2: bool,
    size: Option<Option<u64>>,
    eight_bit_mime: bool,
    smtputf8: bool,
    dsn: bool,
    enhanced_status_codes: bool,
    chunking: bool,
}

impl Offers {
    fn of(offered: &Capabilities) -> Offers {
        let auth = offered.auth;
        Offers {
            pipelining: offered.pipelining,
            starttls: offered.starttls,
            login: auth.contains(Mechanism::Login),
            plain: auth.contains(Mechanism::Plain),
            xoauth2: auth.contains(Mechanism::Xoauth2),
            size: offered.size,
            eight_bit_mime: offered.eight_bit_mime,
            smtputf8: offered.smtputf8,
            dsn: offered.dsn,
            enhanced_status_codes: offered.enhanced_status_codes,
            chunking: offered.chunking,
        }
    }

    fn mechanisms<'a>(&mut self, names: impl Iterator<Item = &'a Vec<u8>>) {
        for name in names {
            match String::from_utf8_lossy(name).to_uppercase().as_str() {
                "LOGIN" => self.login = true,
                "PLAIN" => self.plain = true,
                "XOAUTH2" => self.xoauth2 = true,
                _ => {}
            }
        }
    }
}

pub fn reference_offers(ext: &[u8]) -> Offers {
    let mut offers = Offers::default();
    for words in reference_lines(ext) {
        let keyword = String::from_utf8_lossy(&words[0]).to_uppercase();
        let parameters = words[1..].iter().filter(|word| !word.is_empty());
        match keyword.as_str() {
            "PIPELINING" => offers.pipelining = true,
            "STARTTLS" => offers.starttls = true,
            "AUTH" => offers.mechanisms(parameters),
            "SIZE" => {
                let limit = parameters
                    .take(1)
                    .filter_map(|digits| String::from_utf8(digits.clone()).ok())
                    .filter(|digits| digits.bytes().all(|byte| byte.is_ascii_digit()))
                    .filter_map(|digits| digits.parse::<u64>().ok())
                    .find(|limit| *limit != 0);
                offers.size = Some(limit);
            }
            "8BITMIME" => offers.eight_bit_mime = true,
            "SMTPUTF8" => offers.smtputf8 = true,
            "DSN" => offers.dsn = true,
            "ENHANCEDSTATUSCODES" => offers.enhanced_status_codes = true,
            "CHUNKING" => offers.chunking = true,
            auth if auth.len() > 5 && auth.starts_with("AUTH=") => {
                let first = words[0][5..].to_vec();
                offers.mechanisms(std::iter::once(&first).chain(parameters));
            }
            _ => {}
        }
    }
    offers
}

/// The parser agrees with the references on `ext`; what is offered does not
/// depend on the letters' case; and a line `more` added at the end
/// withdraws nothing.
pub fn check_extensions(ext: &[u8], more: &[u8]) {
    let offered = Capabilities::parse(ext);
    let offers = Offers::of(&offered);
    let shown = ext.escape_ascii();
    assert_eq!(offers, reference_offers(ext), "in \"{shown}\"");
    assert_eq!(
        offered.choose_auth(),
        reference_auth(ext),
        "AUTH in \"{shown}\""
    );
    for recased in [ext.to_ascii_uppercase(), ext.to_ascii_lowercase()] {
        let again = Offers::of(&Capabilities::parse(&recased));
        assert_eq!(again, offers, "in \"{}\"", recased.escape_ascii());
    }
    let longer = [ext, b"\n", more].concat();
    let more_offered = Capabilities::parse(&longer);
    let kept = Offers::of(&more_offered);
    let any_lost = [
        (offers.pipelining, kept.pipelining),
        (offers.starttls, kept.starttls),
        (offers.login, kept.login),
        (offers.plain, kept.plain),
        (offers.xoauth2, kept.xoauth2),
        (offers.size.is_some(), kept.size.is_some()),
        (offers.eight_bit_mime, kept.eight_bit_mime),
        (offers.smtputf8, kept.smtputf8),
        (offers.dsn, kept.dsn),
        (offers.enhanced_status_codes, kept.enhanced_status_codes),
        (offers.chunking, kept.chunking),
        (
            offered.choose_auth().is_some(),
            more_offered.choose_auth().is_some(),
        ),
    ]
    .into_iter()
    .any(|(was, is)| was && !is);
    assert!(!any_lost, "lost in \"{}\"", longer.escape_ascii());
}
