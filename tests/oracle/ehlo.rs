//! References for what an EHLO reply offers, and the properties of
//! `protocol::extensions` checked against them.

use luasmtp::protocol::extensions::{choose_auth, offers_pipelining, offers_starttls, Mechanism};

/// Words EHLO replies are made of, for generators to pick from.
pub const WORDS: &[&[u8]] = &[
    b"\n",
    b"\n250-",
    b" ",
    b"250-",
    b"250 ",
    b"AUTH",
    b"AUTH=",
    b"LOGIN",
    b"PLAIN",
    b"XOAUTH2",
    b"PIPELINING",
    b"pipelining",
    b"STARTTLS",
    b"StartTLS",
    b"SIZE 1000",
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

/// Whether a line after the first has `keyword`, in any case, as its first
/// word: from its fifth byte to the next space or the line's end.
pub fn reference_offers(ext: &[u8], keyword: &[u8]) -> bool {
    let mut line = 0;
    let mut column = 0;
    let mut word = Vec::new();
    let mut in_word = false;
    let mut offered = false;
    for &byte in ext.iter().chain([&b'\n']) {
        if byte == b'\n' {
            offered |= in_word && word.eq_ignore_ascii_case(keyword);
            line += 1;
            column = 0;
            word.clear();
            in_word = false;
            continue;
        }
        if column == 4 {
            in_word = line > 0;
        }
        if byte == b' ' {
            offered |= in_word && word.eq_ignore_ascii_case(keyword);
            in_word = false;
        } else if in_word {
            word.push(byte);
        }
        column += 1;
    }
    offered
}

/// The parsers agree with the references on `ext`, offers do not depend on
/// the letters' case, and a line `more` added at the end withdraws nothing.
pub fn check_extensions(ext: &[u8], more: &[u8]) {
    assert_eq!(
        choose_auth(ext),
        reference_auth(ext),
        "AUTH in \"{}\"",
        ext.escape_ascii()
    );
    type Offers = fn(&[u8]) -> bool;
    let offers: [(&[u8], Offers); 2] = [
        (b"PIPELINING", offers_pipelining),
        (b"STARTTLS", offers_starttls),
    ];
    let longer = [ext, b"\n", more].concat();
    for (keyword, offered) in offers {
        let verdict = offered(ext);
        assert_eq!(
            verdict,
            reference_offers(ext, keyword),
            "{} in \"{}\"",
            keyword.escape_ascii(),
            ext.escape_ascii()
        );
        for recased in [ext.to_ascii_uppercase(), ext.to_ascii_lowercase()] {
            assert_eq!(
                offered(&recased),
                verdict,
                "{} in \"{}\"",
                keyword.escape_ascii(),
                recased.escape_ascii()
            );
        }
        assert!(
            !verdict || offered(&longer),
            "{} lost in \"{}\"",
            keyword.escape_ascii(),
            longer.escape_ascii()
        );
    }
    assert!(
        choose_auth(ext).is_none() || choose_auth(&longer).is_some(),
        "AUTH lost in \"{}\"",
        longer.escape_ascii()
    );
}
