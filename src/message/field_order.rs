//! The order header fields are written in.
//!
//! LuaSocket writes them in `pairs()` order, which changes from run to run.
//! We write the origination and addressing fields first, in the order
//! RFC 5322 section 3.6 lists them, then the MIME fields, then every other
//! field in byte order of its lowercase name.

/// Fields with a fixed place, in the order they are written.
const LEADING: &[&[u8]] = &[
    b"return-path",
    b"received",
    b"date",
    b"from",
    b"sender",
    b"reply-to",
    b"to",
    b"cc",
    b"bcc",
    b"message-id",
    b"in-reply-to",
    b"references",
    b"subject",
    b"comments",
    b"keywords",
    b"mime-version",
    b"content-type",
    b"content-transfer-encoding",
    b"content-disposition",
    b"content-description",
    b"content-id",
    b"content-language",
];

/// Sort key for a lowercase field name: fixed fields by their place, every
/// other field after them by name.
pub fn sort_key(lowercase_name: &[u8]) -> (usize, &[u8]) {
    let place = LEADING
        .iter()
        .position(|leading| *leading == lowercase_name)
        .unwrap_or(LEADING.len());
    (place, lowercase_name)
}

#[cfg(test)]
mod tests {
    use super::sort_key;

    fn sorted(mut names: Vec<&[u8]>) -> Vec<&[u8]> {
        names.sort_by(|a, b| sort_key(a).cmp(&sort_key(b)));
        names
    }

    #[test]
    fn addressing_fields_come_before_mime_fields_and_the_rest() {
        let names: Vec<&[u8]> = vec![
            b"x-mailer",
            b"content-type",
            b"subject",
            b"mime-version",
            b"to",
            b"from",
            b"date",
            b"a-custom",
        ];
        let expected: Vec<&[u8]> = vec![
            b"date",
            b"from",
            b"to",
            b"subject",
            b"mime-version",
            b"content-type",
            b"a-custom",
            b"x-mailer",
        ];
        assert_eq!(sorted(names), expected);
    }

    #[test]
    fn unlisted_fields_sort_by_name() {
        let names: Vec<&[u8]> = vec![b"x-b", b"x-a", b"list-id"];
        let expected: Vec<&[u8]> = vec![b"list-id", b"x-a", b"x-b"];
        assert_eq!(sorted(names), expected);
    }
}
