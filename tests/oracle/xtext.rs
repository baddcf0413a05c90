//! A reference xtext decoder (RFC 3461 §4), and the property of
//! `protocol::xtext` checked against it.

use luasmtp::protocol::xtext;

/// The bytes `text` encodes; `None` when it is not xtext: a byte outside
/// "!".."~", a "=", or a "+" without two upper-case hex digits after it.
pub fn decode(text: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(text.len());
    let mut rest = text;
    while let Some((&byte, tail)) = rest.split_first() {
        rest = tail;
        match byte {
            b'+' => {
                let (pair, tail) = rest.split_at_checked(2)?;
                let digits = std::str::from_utf8(pair).ok()?;
                if !digits
                    .bytes()
                    .all(|digit| matches!(digit, b'0'..=b'9' | b'A'..=b'F'))
                {
                    return None;
                }
                out.push(u8::from_str_radix(digits, 16).ok()?);
                rest = tail;
            }
            b'!'..=b'~' if byte != b'=' => out.push(byte),
            _ => return None,
        }
    }
    Some(out)
}

/// Encoded, `bytes` are all xchars and "+XX" pairs and decode back to
/// themselves.
pub fn check_round_trip(bytes: &[u8]) {
    let mut encoded = Vec::new();
    xtext::encode(bytes, &mut encoded);
    assert_eq!(decode(&encoded).as_deref(), Some(bytes), "{encoded:?}");
}
