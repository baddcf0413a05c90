//! Enhanced status codes (RFC 3463), as servers offering
//! ENHANCEDSTATUSCODES (RFC 2034) put them after the reply code:
//! "550 5.1.1 no such user". Many servers send them without offering the
//! extension, so the reply alone decides.

/// The "class.subject.detail" at the start of a reply's first line, after
/// its code and a space or hyphen, when there is one and its class is the
/// code's first digit (RFC 3463 §2: a mismatch makes the status
/// meaningless). The class is 2, 4 or 5, the subject and the detail one to
/// three digits each, and a space or the line's end follows. `reply` is a
/// reply's text, its lines joined by "\n".
pub fn parse(reply: &[u8]) -> Option<&str> {
    let (&class, _) = reply.split_first()?;
    if !matches!(reply.get(3), Some(b' ' | b'-')) {
        return None;
    }
    let text = reply.get(4..)?;
    let end = text
        .iter()
        .position(|&byte| byte == b' ' || byte == b'\n')
        .unwrap_or(text.len());
    let status = &text[..end];
    let mut parts = status.split(|&byte| byte == b'.');
    let well_formed = matches!(class, b'2' | b'4' | b'5')
        && parts.next() == Some(&[class][..])
        && parts.next().is_some_and(is_number)
        && parts.next().is_some_and(is_number)
        && parts.next().is_none();
    if !well_formed {
        return None;
    }
    std::str::from_utf8(status).ok()
}

/// One to three digits.
fn is_number(digits: &[u8]) -> bool {
    (1..=3).contains(&digits.len()) && digits.iter().all(u8::is_ascii_digit)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_status_follows_the_code() {
        assert_eq!(parse(b"550 5.1.1 no such user"), Some("5.1.1"));
        assert_eq!(parse(b"250 2.0.0"), Some("2.0.0"));
        assert_eq!(parse(b"250-2.1.5 Ok\n250 2.1.5 Ok"), Some("2.1.5"));
        assert_eq!(parse(b"452 4.2.2 mailbox full"), Some("4.2.2"));
        assert_eq!(parse(b"554 5.7.133 blocked"), Some("5.7.133"));
    }

    #[test]
    fn a_reply_without_one_has_none() {
        assert_eq!(parse(b"550 no such user"), None);
        assert_eq!(parse(b"550"), None);
        assert_eq!(parse(b"550 "), None);
        assert_eq!(parse(b""), None);
        assert_eq!(parse(b"5505.1.1 no separator"), None);
        assert_eq!(parse(b"550 5.1 short"), None);
        assert_eq!(parse(b"550 5.1.1.1 long"), None);
        assert_eq!(parse(b"550 5.1.1234 long detail"), None);
        assert_eq!(parse(b"550 5..1 empty subject"), None);
        assert_eq!(parse(b"550 5.1.x letters"), None);
        assert_eq!(parse(b"550 5.1.1: punctuation"), None);
    }

    #[test]
    fn its_class_must_be_the_codes() {
        assert_eq!(parse(b"550 4.1.1 mismatch"), None);
        assert_eq!(parse(b"250 5.0.0 mismatch"), None);
        // RFC 3463 has no class 3: a 354 or 334 never carries a status.
        assert_eq!(parse(b"354 3.0.0 go ahead"), None);
    }
}
