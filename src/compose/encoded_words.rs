//! RFC 2047 encoded words: UTF-8 text a header may carry only as ASCII.
//!
//! The text is cut into words of at most [`MAX_WORD`] characters, between
//! UTF-8 sequences (a reader decodes each word on its own, and some reject a
//! word that ends inside a character). The whole text takes the B or the Q
//! encoding, whichever writes fewer characters. Q writes only characters
//! that RFC 2047 §5(3) allows in a phrase, so the same words serve a
//! Subject, a display name and a quoted parameter.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;

/// An encoded word's longest form (RFC 2047 §2).
pub const MAX_WORD: usize = 75;
const B_PREFIX: &str = "=?utf-8?B?";
const Q_PREFIX: &str = "=?utf-8?Q?";
const SUFFIX: &str = "?=";
const HEX: &[u8; 16] = b"0123456789ABCDEF";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Scheme {
    B,
    Q,
}

/// Whether `text` must be encoded to go in a header: anything but
/// printable ASCII and space, or a `=?` that a reader would take for the
/// start of an encoded word.
pub fn needs_encoding(text: &str) -> bool {
    text.bytes().any(|b| !(b' '..=b'~').contains(&b)) || text.contains("=?")
}

/// `text` as encoded words: the first at most `first_room` characters long
/// (the room left on the line it starts), the others at most [`MAX_WORD`].
/// An empty text gives no words.
pub fn encode_words(text: &str, first_room: usize) -> Vec<String> {
    let scheme = if q_length(text) <= b_length(text.len()) {
        Scheme::Q
    } else {
        Scheme::B
    };
    let overhead = B_PREFIX.len() + SUFFIX.len();
    // At least one character per word, however little room the line has.
    let mut room = first_room.clamp(overhead + 4, MAX_WORD) - overhead;
    let mut words = Vec::new();
    let mut start = 0;
    let mut used = 0;
    for (at, character) in text.char_indices() {
        let cost = match scheme {
            Scheme::Q => q_cost(character),
            Scheme::B => b_length(at + character.len_utf8() - start) - used,
        };
        if used + cost > room && at > start {
            words.push(encode_word(&text[start..at], scheme));
            start = at;
            used = 0;
            room = MAX_WORD - overhead;
        }
        used = match scheme {
            Scheme::Q => used + cost,
            Scheme::B => b_length(at + character.len_utf8() - start),
        };
    }
    if start < text.len() {
        words.push(encode_word(&text[start..], scheme));
    }
    words
}

fn encode_word(text: &str, scheme: Scheme) -> String {
    match scheme {
        Scheme::B => format!("{B_PREFIX}{}{SUFFIX}", STANDARD.encode(text)),
        Scheme::Q => {
            let mut word = String::from(Q_PREFIX);
            for byte in text.bytes() {
                push_q(byte, &mut word);
            }
            word.push_str(SUFFIX);
            word
        }
    }
}

/// Characters of base64 for `bytes` bytes.
fn b_length(bytes: usize) -> usize {
    bytes.div_ceil(3) * 4
}

fn q_length(text: &str) -> usize {
    text.chars().map(q_cost).sum()
}

fn q_cost(character: char) -> usize {
    if character.is_ascii() && is_q_plain(character as u8) || character == ' ' {
        1
    } else {
        3 * character.len_utf8()
    }
}

/// Letters, digits and `!*+-/`: what a Q word may carry as it is.
fn is_q_plain(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || b"!*+-/".contains(&byte)
}

fn push_q(byte: u8, word: &mut String) {
    if byte == b' ' {
        word.push('_');
    } else if is_q_plain(byte) {
        word.push(char::from(byte));
    } else {
        word.push('=');
        word.push(char::from(HEX[usize::from(byte >> 4)]));
        word.push(char::from(HEX[usize::from(byte & 15)]));
    }
}

#[cfg(test)]
pub mod tests {
    use super::*;

    /// A reference decoder for the words written here: each word decoded on
    /// its own, the bytes joined.
    pub fn decode_words(words: &[String]) -> String {
        let mut bytes = Vec::new();
        for word in words {
            let inner = word
                .strip_prefix("=?utf-8?")
                .and_then(|w| w.strip_suffix("?="))
                .expect("an encoded word");
            let (scheme, payload) = inner.split_at(2);
            let decoded = match scheme {
                "B?" => STANDARD.decode(payload).expect("base64"),
                "Q?" => decode_q(payload),
                other => panic!("unknown scheme {other}"),
            };
            assert!(
                std::str::from_utf8(&decoded).is_ok(),
                "{word} splits a character"
            );
            bytes.extend(decoded);
        }
        String::from_utf8(bytes).expect("UTF-8")
    }

    fn decode_q(payload: &str) -> Vec<u8> {
        let mut out = Vec::new();
        let mut bytes = payload.bytes();
        while let Some(byte) = bytes.next() {
            match byte {
                b'_' => out.push(b' '),
                b'=' => {
                    let hex: String = [bytes.next().unwrap(), bytes.next().unwrap()]
                        .iter()
                        .map(|&b| char::from(b))
                        .collect();
                    out.push(u8::from_str_radix(&hex, 16).unwrap());
                }
                plain => {
                    assert!(is_q_plain(plain), "{plain} written plain");
                    out.push(plain);
                }
            }
        }
        out
    }

    #[test]
    fn ascii_needs_no_encoding_unless_it_looks_encoded() {
        assert!(!needs_encoding("Hello, world (1 < 2)"));
        assert!(needs_encoding("Relatório"));
        assert!(needs_encoding("tab\there"));
        assert!(needs_encoding("=?utf-8?Q?x?="));
    }

    #[test]
    fn mostly_latin_text_takes_q_and_other_scripts_take_b() {
        assert_eq!(
            encode_words("Relatório mensal de vendas", 75),
            ["=?utf-8?Q?Relat=C3=B3rio_mensal_de_vendas?="]
        );
        assert_eq!(
            encode_words("Zoë Ünal", 75),
            ["=?utf-8?B?Wm/DqyDDnG5hbA==?="]
        );
        assert_eq!(encode_words("日本語", 75), ["=?utf-8?B?5pel5pys6Kqe?="]);
    }

    #[test]
    fn words_respect_their_room_and_never_split_a_character() {
        let text = "✓".repeat(40) + &"é".repeat(40);
        let words = encode_words(&text, 30);
        assert!(words[0].len() <= 30, "{}", words[0]);
        assert!(words.iter().all(|w| w.len() <= MAX_WORD));
        assert_eq!(decode_words(&words), text);
    }

    #[test]
    fn empty_text_has_no_words() {
        assert!(encode_words("", 75).is_empty());
    }
}
