//! The composer's header writers on any Unicode text: what `mailparse`, a
//! reader written independently, decodes is exactly the text given, and
//! folding keeps lines within 78 characters wherever the words allow it.

use luasmtp::compose::file_name::{content_disposition, content_type};
use luasmtp::compose::folding::{longest_line, MAX_LINE};
use luasmtp::compose::header_text::unstructured;
use luasmtp::compose::mailbox::{write_list, Mailbox};
use proptest::prelude::*;

/// Text a header may carry: any characters but line breaks, with no
/// blank at either end (readers drop those).
fn header_text() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        3 => "[a-zA-Z0-9 ,.;:()<>@\"'\\\\=?_-]{1,12}",
        2 => "[à-ÿ ✓日本語한국어עבריתالعربية😀👍🏽]{1,8}",
        1 => any::<String>().prop_map(|s| s.replace(['\r', '\n'], "")),
    ];
    prop::collection::vec(piece, 1..12)
        .prop_map(|pieces| pieces.concat().trim().to_string())
        .prop_filter("not empty", |text| !text.is_empty())
}

/// The value a reader gets for `Name: value`.
fn decoded(name: &str, value: &str) -> String {
    let field = format!("{name}: {value}\r\n");
    let (header, _) = mailparse::parse_header(field.as_bytes()).expect("a header");
    header.get_value()
}

/// A folded value on one line, as readers see it before they split its
/// parameters.
fn unfolded(value: &str) -> String {
    value.replace("\r\n", "")
}

/// Whether some word of `text` is too long for a line of its own.
fn has_long_word(text: &str) -> bool {
    text.split(' ').any(|word| word.len() > MAX_LINE - 12)
}

proptest! {
    #[test]
    fn subjects_decode_to_the_text_given(text in header_text()) {
        let value = unstructured(&text, "subject".len());
        prop_assert_eq!(decoded("Subject", &value), text.clone());
        prop_assert!(longest_line(&value, 9) <= MAX_LINE || has_long_word(&text), "{}", value);
        prop_assert!(longest_line(&value, 9) <= 998);
    }

    // Without backslashes: mailparse, the reference here, reads some
    // quoted pairs of a quoted name wrongly (a name of quotes, backslashes
    // and commas that this test found, which Python's email reads back
    // exactly). Quotes, commas and the rest stay in.
    #[test]
    fn address_lists_decode_to_the_names_and_addresses_given(
        names in prop::collection::vec(
            prop::option::of(header_text().prop_map(|name| name.replace('\\', "/"))),
            1..5,
        ),
    ) {
        let mailboxes: Vec<Mailbox> = names
            .iter()
            .enumerate()
            .map(|(i, name)| Mailbox::new(name.clone(), &format!("person.{i}@example.com")).unwrap())
            .collect();
        let value = write_list(&mailboxes, 2);
        let field = format!("To: {value}\r\n");
        let (header, _) = mailparse::parse_header(field.as_bytes()).unwrap();
        let list = mailparse::addrparse_header(&header).unwrap();
        let back: Vec<Mailbox> = list
            .iter()
            .map(|address| match address {
                mailparse::MailAddr::Single(single) => {
                    Mailbox::new(single.display_name.clone(), &single.addr).unwrap()
                }
                group => panic!("a group: {group:?}"),
            })
            .collect();
        prop_assert_eq!(back, mailboxes);
        let long = names.iter().flatten().any(|name| has_long_word(name));
        prop_assert!(longest_line(&value, 4) <= MAX_LINE || long, "{}", value);
    }

    #[test]
    fn file_names_decode_from_both_parameters(name in header_text()) {
        let disposition = content_disposition("attachment", &name);
        prop_assert!(longest_line(&disposition, 21) <= MAX_LINE, "{}", disposition);
        let parsed = mailparse::parse_content_disposition(&unfolded(&disposition));
        prop_assert_eq!(parsed.params.get("filename"), Some(&name));

        let value = content_type("application/pdf", &name);
        prop_assert!(longest_line(&value, 14) <= MAX_LINE, "{}", value);
        let parsed = mailparse::parse_content_type(&unfolded(&value));
        let fallback = parsed.params.get("name").expect("a name");
        // The fallback is encoded words inside the quotes: decoded again
        // as header text, as the readers that use it do.
        prop_assert_eq!(decoded("X", fallback), name);
    }
}
