//! An envelope address as a script gives it for MAIL FROM: or RCPT TO:,
//! and what a server must offer for it to be sent. LuaSocket sends the
//! string as it is: usually "<local@domain>", sometimes "local@domain",
//! spaces or a display name around it, or "<>", the null sender. An ASCII
//! address is sent byte for byte as given. One with characters beyond
//! ASCII needs SMTPUTF8 (RFC 6531), unless they are all in the domain,
//! which can then go as IDNA A-labels ("xn--...").

use std::borrow::Cow;
use std::ops::Range;

use idna::uts46::{AsciiDenyList, DnsLength, Hyphens, Uts46};

/// Where an address has bytes beyond ASCII.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Charset {
    Ascii,
    /// In the domain only: A-labels can carry it to a server without
    /// SMTPUTF8.
    UnicodeDomain,
    /// In the local part, or anywhere outside the domain (a display name):
    /// only SMTPUTF8 can carry it.
    UnicodeLocalPart,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AddressError {
    /// Bytes beyond ASCII that are not UTF-8.
    InvalidUtf8,
    /// A domain beyond ASCII that IDNA (UTS #46, with the STD3 rules of
    /// host names and DNS's lengths) refuses.
    InvalidDomain,
}

impl AddressError {
    pub fn message(self) -> &'static str {
        match self {
            AddressError::InvalidUtf8 => "address is not valid UTF-8",
            AddressError::InvalidDomain => "address has an invalid international domain name",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnvelopeAddress<'a> {
    text: Cow<'a, [u8]>,
    /// The address inside the angle brackets, or the text without the
    /// spaces around it when it has none.
    mailbox: Range<usize>,
    /// What follows the mailbox's last "@" outside quotes; empty, at the
    /// mailbox's end, when there is none.
    domain: Range<usize>,
    charset: Charset,
}

impl<'a> EnvelopeAddress<'a> {
    /// Reads an address; bytes beyond ASCII must be UTF-8.
    pub fn parse(text: &'a [u8]) -> Result<EnvelopeAddress<'a>, AddressError> {
        EnvelopeAddress::read(Cow::Borrowed(text))
    }

    fn read(text: Cow<'a, [u8]>) -> Result<EnvelopeAddress<'a>, AddressError> {
        let mailbox = mailbox(&text);
        let at = last_unquoted_at(&text[mailbox.clone()]).map(|at| mailbox.start + at);
        let domain = at.map_or(mailbox.end, |at| at + 1)..mailbox.end;
        let charset = if text.is_ascii() {
            Charset::Ascii
        } else if std::str::from_utf8(&text).is_err() {
            return Err(AddressError::InvalidUtf8);
        } else if text[..domain.start].is_ascii() && text[domain.end..].is_ascii() {
            Charset::UnicodeDomain
        } else {
            Charset::UnicodeLocalPart
        };
        Ok(EnvelopeAddress {
            text,
            mailbox,
            domain,
            charset,
        })
    }

    /// The address as given.
    pub fn text(&self) -> &[u8] {
        &self.text
    }

    /// The address without its angle brackets and what is around them:
    /// what DSN's ORCPT carries.
    pub fn mailbox(&self) -> &[u8] {
        &self.text[self.mailbox.clone()]
    }

    pub fn charset(&self) -> Charset {
        self.charset
    }

    /// The address with its domain as IDNA A-labels, for a server without
    /// SMTPUTF8: the same address when its domain is ASCII, whatever the
    /// rest. A converted domain is in lower case (UTS #46 maps it); the
    /// local part and everything around the domain stay as they are.
    pub fn with_ascii_domain(&self) -> Result<EnvelopeAddress<'a>, AddressError> {
        let domain = &self.text[self.domain.clone()];
        if domain.is_ascii() {
            return Ok(self.clone());
        }
        let a_labels = Uts46::new()
            .to_ascii(
                domain,
                AsciiDenyList::STD3,
                Hyphens::Allow,
                DnsLength::Verify,
            )
            .map_err(|_| AddressError::InvalidDomain)?;
        let text = [
            &self.text[..self.domain.start],
            a_labels.as_bytes(),
            &self.text[self.domain.end..],
        ]
        .concat();
        EnvelopeAddress::read(Cow::Owned(text))
    }
}

/// Where the mailbox is in `text`: from after the first "<" to the first
/// ">" after it outside quotes (or the end), else all of `text` but the
/// spaces around it.
fn mailbox(text: &[u8]) -> Range<usize> {
    if let Some(open) = text.iter().position(|&byte| byte == b'<') {
        let start = open + 1;
        let end = unquoted(&text[start..])
            .find(|&(_, byte)| byte == b'>')
            .map_or(text.len(), |(at, _)| start + at);
        return start..end;
    }
    let start = text
        .iter()
        .position(|byte| !byte.is_ascii_whitespace())
        .unwrap_or(text.len());
    let end = text
        .iter()
        .rposition(|byte| !byte.is_ascii_whitespace())
        .map_or(start, |last| last + 1);
    start..end
}

fn last_unquoted_at(mailbox: &[u8]) -> Option<usize> {
    unquoted(mailbox)
        .filter(|&(_, byte)| byte == b'@')
        .last()
        .map(|(at, _)| at)
}

/// The bytes of `text` outside quoted strings (RFC 5321's Quoted-string,
/// where a backslash escapes the byte after it), with their positions.
fn unquoted(text: &[u8]) -> impl Iterator<Item = (usize, u8)> + '_ {
    let (mut quoted, mut escaped) = (false, false);
    text.iter().copied().enumerate().filter(move |&(_, byte)| {
        let outside = !quoted && byte != b'"';
        if escaped {
            escaped = false;
        } else if quoted && byte == b'\\' {
            escaped = true;
        } else if byte == b'"' {
            quoted = !quoted;
        }
        outside
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> EnvelopeAddress<'_> {
        EnvelopeAddress::parse(text.as_bytes()).unwrap()
    }

    fn ascii(text: &str) -> Result<String, AddressError> {
        let converted = parse(text).with_ascii_domain()?;
        Ok(String::from_utf8(converted.text().to_vec()).unwrap())
    }

    fn mailbox(text: &str) -> Vec<u8> {
        parse(text).mailbox().to_vec()
    }

    #[test]
    fn an_ascii_address_is_sent_byte_for_byte() {
        for text in [
            "<bob@example.com>",
            "bob@example.com",
            "<Bob.Smith@EXAMPLE.Com>",
            " <bob@example.com> ",
            "Bob <bob@example.com>",
            "<>",
            "",
            "<\"odd one\"@example.com>",
            "<bob@[192.0.2.1]>",
            "<bob@bad..domain>",
        ] {
            let address = parse(text);
            assert_eq!(address.charset(), Charset::Ascii, "{text}");
            let converted = address.with_ascii_domain().unwrap();
            assert_eq!(converted.text(), text.as_bytes());
            assert!(matches!(converted.text, Cow::Borrowed(_)), "{text}");
        }
    }

    #[test]
    fn a_unicode_domain_becomes_a_labels() {
        assert_eq!(
            parse("<bob@bücher.example>").charset(),
            Charset::UnicodeDomain
        );
        assert_eq!(
            ascii("<bob@bücher.example>").unwrap(),
            "<bob@xn--bcher-kva.example>"
        );
        assert_eq!(
            ascii("bob@bücher.example").unwrap(),
            "bob@xn--bcher-kva.example"
        );
        assert_eq!(
            ascii("Bob <Bob@Bücher.Example> ").unwrap(),
            "Bob <Bob@xn--bcher-kva.example> ",
            "the local part keeps its case, the domain is mapped to lower case"
        );
        assert_eq!(
            ascii("<postmaster@例え.テスト>").unwrap(),
            "<postmaster@xn--r8jz45g.xn--zckzah>"
        );
    }

    #[test]
    fn a_converted_address_is_ascii_with_its_mailbox_moved() {
        let converted = parse("X <bob@bücher.example>").with_ascii_domain().unwrap();
        assert_eq!(converted.charset(), Charset::Ascii);
        assert_eq!(converted.mailbox(), b"bob@xn--bcher-kva.example");
    }

    #[test]
    fn a_unicode_local_part_needs_smtputf8() {
        let address = parse("<josé@exemplo.br>");
        assert_eq!(address.charset(), Charset::UnicodeLocalPart);
        assert_eq!(
            parse("<jösé@bücher.example>").charset(),
            Charset::UnicodeLocalPart
        );
        assert_eq!(
            parse("José <jose@exemplo.br>").charset(),
            Charset::UnicodeLocalPart,
            "a display name beyond ASCII cannot be converted either"
        );
        assert_eq!(parse("<postmästare>").charset(), Charset::UnicodeLocalPart);
        assert_eq!(
            parse("<\"jö@bücher\"@example.com>").charset(),
            Charset::UnicodeLocalPart,
            "an @ in quotes does not start the domain"
        );
        // Only the domain is converted: the local part stays.
        assert_eq!(
            ascii("<josé@bücher.example>").unwrap(),
            "<josé@xn--bcher-kva.example>"
        );
    }

    #[test]
    fn bytes_beyond_ascii_must_be_utf8() {
        assert_eq!(
            EnvelopeAddress::parse(b"<jos\xe9@example.com>"),
            Err(AddressError::InvalidUtf8)
        );
        assert_eq!(
            EnvelopeAddress::parse(b"<bob@b\xfccher.example>"),
            Err(AddressError::InvalidUtf8)
        );
    }

    #[test]
    fn a_domain_idna_refuses_is_an_error() {
        for text in [
            "<bob@bücher..example>",
            "<bob@bücher example>",
            "<bob@bücher_x.example>",
            "<bob@[bücher]>",
        ] {
            assert_eq!(ascii(text), Err(AddressError::InvalidDomain), "{text}");
        }
        let long_label = format!("<bob@ü{}.example>", "a".repeat(63));
        assert_eq!(ascii(&long_label), Err(AddressError::InvalidDomain));
        assert_eq!(
            AddressError::InvalidDomain.message(),
            "address has an invalid international domain name"
        );
    }

    #[test]
    fn the_mailbox_is_what_the_angle_brackets_hold() {
        assert_eq!(mailbox("<bob@example.com>"), b"bob@example.com");
        assert_eq!(mailbox("  bob@example.com \t"), b"bob@example.com");
        assert_eq!(mailbox("Bob <bob@example.com> (x)"), b"bob@example.com");
        assert_eq!(mailbox("<>"), b"");
        assert_eq!(mailbox("   "), b"");
        assert_eq!(mailbox("<bob@example.com"), b"bob@example.com");
        assert_eq!(
            mailbox("<\"a>b\\\"c\"@example.com>"),
            b"\"a>b\\\"c\"@example.com"
        );
    }
}
