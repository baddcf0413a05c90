//! xtext (RFC 3461 §4), the encoding of DSN's ENVID and ORCPT values: a
//! byte from "!" to "~" stands for itself, except "+" and "=", and every
//! other byte is "+" and two upper-case hex digits.

const HEX: &[u8; 16] = b"0123456789ABCDEF";

/// Whether `byte` may stand for itself in xtext.
pub fn is_xchar(byte: u8) -> bool {
    matches!(byte, b'!'..=b'~') && byte != b'+' && byte != b'='
}

/// Appends `bytes` to `out` as xtext.
pub fn encode(bytes: &[u8], out: &mut Vec<u8>) {
    for &byte in bytes {
        if is_xchar(byte) {
            out.push(byte);
        } else {
            out.extend_from_slice(&[
                b'+',
                HEX[usize::from(byte >> 4)],
                HEX[usize::from(byte & 0xf)],
            ]);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn xtext(bytes: &[u8]) -> String {
        let mut out = b"ENVID=".to_vec();
        encode(bytes, &mut out);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn printable_ascii_stands_for_itself() {
        // RFC 3461 §6's examples.
        assert_eq!(xtext(b"QQ314159"), "ENVID=QQ314159");
        assert_eq!(xtext(b"Bob@Example.COM"), "ENVID=Bob@Example.COM");
        assert_eq!(xtext(b"!\"#*<>@[\\]^_`{|}~"), "ENVID=!\"#*<>@[\\]^_`{|}~");
    }

    #[test]
    fn plus_equals_and_bytes_outside_the_range_are_hex_pairs() {
        assert_eq!(xtext(b"a+b=c"), "ENVID=a+2Bb+3Dc");
        assert_eq!(xtext(b"two words"), "ENVID=two+20words");
        assert_eq!(xtext(b"\r\n\0\x7f"), "ENVID=+0D+0A+00+7F");
        assert_eq!(xtext("josé".as_bytes()), "ENVID=jos+C3+A9");
        assert_eq!(xtext(b"\xff"), "ENVID=+FF");
        assert_eq!(xtext(b""), "ENVID=");
    }

    #[test]
    fn the_range_ends_at_the_bang_and_the_tilde() {
        assert!(is_xchar(b'!') && is_xchar(b'~') && is_xchar(b'*'));
        assert!(!is_xchar(b' ') && !is_xchar(0x7f) && !is_xchar(b'+') && !is_xchar(b'='));
    }
}
