//! Mailboxes: read from RFC 5322 text or from a name and an address, and
//! written back as a header value every reader parses the same way.
//!
//! `mailparse` splits the list and reads quoted names and comments;
//! `email_address` then checks each address against RFC 5321/5322, which
//! `mailparse`, written to read whatever arrives, does not.

use email_address::EmailAddress;
use mailparse::{addrparse, MailAddr, SingleInfo};

use super::encoded_words::{encode_words, needs_encoding, MAX_WORD};
use super::folding::{fold, MAX_LINE};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mailbox {
    /// The display name, if any, as Unicode text.
    pub name: Option<String>,
    /// The address, `local@domain`, checked.
    pub address: String,
}

impl Mailbox {
    /// A mailbox from its parts: `address` must be an address alone.
    pub fn new(name: Option<String>, address: &str) -> Result<Mailbox, String> {
        let name = name.filter(|name| !name.is_empty());
        if let Some(name) = &name {
            if name.contains(['\r', '\n']) {
                return Err(format!("line break in the name {name:?}"));
            }
        }
        Ok(Mailbox {
            name,
            address: checked_address(address)?,
        })
    }

    /// The domain, after the last `@`.
    pub fn domain(&self) -> &str {
        self.address
            .rsplit_once('@')
            .map_or(self.address.as_str(), |(_, domain)| domain)
    }
}

/// The mailboxes of an address list as a header carries it: `addr`,
/// `Name <addr>`, `"Quoted, Name" <addr>`, with comments; a group gives
/// its members.
pub fn parse_list(text: &str) -> Result<Vec<Mailbox>, String> {
    if text.contains(['\r', '\n']) {
        return Err(format!("line break in {text:?}"));
    }
    let parsed = addrparse(text).map_err(|error| format!("{text:?}: {error}"))?;
    let mut mailboxes = Vec::new();
    let mut add = |single: &SingleInfo| -> Result<(), String> {
        let mailbox = Mailbox::new(single.display_name.clone(), &single.addr)
            .map_err(|problem| format!("{text:?}: {problem}"))?;
        mailboxes.push(mailbox);
        Ok(())
    };
    for address in parsed.iter() {
        match address {
            MailAddr::Single(single) => add(single)?,
            MailAddr::Group(group) => group.addrs.iter().try_for_each(&mut add)?,
        }
    }
    if mailboxes.is_empty() {
        return Err(format!("{text:?}: no address"));
    }
    Ok(mailboxes)
}

/// An address alone, checked. Non-ASCII addresses need SMTPUTF8, which
/// this composer does not ask for.
fn checked_address(address: &str) -> Result<String, String> {
    if !address.is_ascii() {
        return Err(format!(
            "{address:?}: non-ASCII addresses are not supported"
        ));
    }
    let options = email_address::Options::default().without_display_text();
    match EmailAddress::parse_with_options(address, options) {
        Ok(_) => Ok(address.to_string()),
        Err(error) => Err(format!("{address:?}: {error}")),
    }
}

/// The value of an address field named `name_length` characters long,
/// folded between words and after commas.
pub fn write_list(mailboxes: &[Mailbox], name_length: usize) -> String {
    let start = name_length + 2;
    let mut tokens: Vec<String> = Vec::new();
    for (index, mailbox) in mailboxes.iter().enumerate() {
        let first_room = if tokens.is_empty() {
            MAX_LINE - start
        } else {
            MAX_WORD
        };
        match &mailbox.name {
            None => tokens.push(mailbox.address.clone()),
            Some(name) => {
                tokens.extend(phrase(name, first_room));
                tokens.push(format!("<{}>", mailbox.address));
            }
        }
        if index + 1 < mailboxes.len() {
            if let Some(last) = tokens.last_mut() {
                last.push(',');
            }
        }
    }
    fold(&tokens, start)
}

/// A display name as the words of an RFC 5322 phrase: atoms when it is
/// plain, a quoted string cut at its spaces (a fold there unfolds to the
/// same space), or encoded words.
fn phrase(name: &str, first_room: usize) -> Vec<String> {
    if needs_encoding(name) {
        return encode_words(name, first_room);
    }
    let words: Vec<&str> = name.split(' ').collect();
    if words
        .iter()
        .all(|word| !word.is_empty() && word.bytes().all(is_atext))
    {
        return words.into_iter().map(String::from).collect();
    }
    let quoted = format!("\"{}\"", name.replace('\\', "\\\\").replace('"', "\\\""));
    quoted.split(' ').map(String::from).collect()
}

/// RFC 5322 §3.2.3's atext.
fn is_atext(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || b"!#$%&'*+-/=?^_`{|}~".contains(&byte)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mailbox(name: Option<&str>, address: &str) -> Mailbox {
        Mailbox::new(name.map(String::from), address).unwrap()
    }

    #[test]
    fn lists_are_read_with_names_quotes_and_comments() {
        let list = parse_list(
            "Zoë Ünal <zoe@example.com>, \"Beltrano, F.\" <b@example.com>, c@example.com (Cicrano)",
        )
        .unwrap();
        assert_eq!(
            list,
            [
                mailbox(Some("Zoë Ünal"), "zoe@example.com"),
                mailbox(Some("Beltrano, F."), "b@example.com"),
                mailbox(None, "c@example.com"),
            ]
        );
    }

    #[test]
    fn bad_addresses_are_refused() {
        for bad in [
            "not an address",
            "a@",
            "@example.com",
            "a@b@c",
            "<a@b.c",
            "a..b@c.d",
            "",
            "josé@exemplo.br",
        ] {
            assert!(parse_list(bad).is_err(), "{bad:?}");
        }
        assert!(Mailbox::new(Some("x\r\nBcc: y".into()), "a@b.c").is_err());
        assert!(Mailbox::new(None, "Name <a@b.c>").is_err());
    }

    #[test]
    fn names_are_atoms_quoted_strings_or_encoded_words() {
        let list = [
            mailbox(Some("Fulano da Silva"), "f@example.com"),
            mailbox(Some("Beltrano, F. \"Bel\""), "b@example.com"),
            mailbox(Some("Zoë"), "z@example.com"),
            mailbox(None, "c@example.com"),
        ];
        assert_eq!(
            write_list(&list, 2),
            "Fulano da Silva <f@example.com>, \"Beltrano, F. \\\"Bel\\\"\" <b@example.com>,\r\n =?utf-8?Q?Zo=C3=AB?= <z@example.com>, c@example.com"
        );
    }

    #[test]
    fn long_lists_fold_within_the_line() {
        let list: Vec<Mailbox> = (0..20)
            .map(|i| {
                mailbox(
                    Some(&format!("Person Number {i}")),
                    &format!("p{i}@example.com"),
                )
            })
            .collect();
        let value = write_list(&list, 2);
        assert!(
            super::super::folding::longest_line(&value, 4) <= MAX_LINE,
            "{value}"
        );
        let back = parse_list(&value.replace("\r\n ", " ")).unwrap();
        assert_eq!(back, list);
    }
}
