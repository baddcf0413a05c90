//! Message-IDs: `<random@domain>`, unpredictable (RFC 5322 §3.6.4 asks
//! for uniqueness; unpredictability keeps a third party from forging a
//! reply's References to a message it never saw).

use ring::rand::{SecureRandom, SystemRandom};

/// 128 random bits in hex, for the left part.
pub fn random_left_part() -> Result<String, String> {
    let mut bytes = [0u8; 16];
    SystemRandom::new()
        .fill(&mut bytes)
        .map_err(|_| "no random numbers from the system".to_string())?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

/// A script's own id, with or without its angle brackets: `left@right`
/// in printable ASCII without spaces or brackets.
pub fn checked(id: &str) -> Result<String, String> {
    let bare = id
        .strip_prefix('<')
        .and_then(|id| id.strip_suffix('>'))
        .unwrap_or(id);
    let printable = bare
        .bytes()
        .all(|b| b.is_ascii_graphic() && !b"<>\"\\".contains(&b));
    let parts = bare.split_once('@');
    match parts {
        Some((left, right)) if printable && !left.is_empty() && !right.is_empty() => {
            Ok(bare.to_string())
        }
        _ => Err(format!("{id:?} is not left@right in printable ASCII")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn random_parts_differ() {
        let first = random_left_part().unwrap();
        assert_eq!(first.len(), 32);
        assert_ne!(first, random_left_part().unwrap());
    }

    #[test]
    fn ids_are_checked_and_lose_their_brackets() {
        assert_eq!(checked("<a.b@example.com>").unwrap(), "a.b@example.com");
        assert_eq!(checked("a@b").unwrap(), "a@b");
        for bad in [
            "",
            "ab",
            "@b",
            "a@",
            "a b@c",
            "<a@b",
            "a@b\r\nBcc: x",
            "a<b@c",
        ] {
            assert!(checked(bad).is_err(), "{bad:?}");
        }
    }
}
