//! Unstructured header text (a Subject, a script's own fields) from UTF-8:
//! ASCII stays as it is, folded at spaces; anything else becomes encoded
//! words.

use super::encoded_words::{encode_words, needs_encoding};
use super::folding::{fold, longest_line, MAX_LINE};

/// RFC 5322 §2.1.1's hard limit, CRLF excluded.
const HARD_LINE: usize = 998;

/// The value of a field named `name_length` characters long (`Subject` is
/// 7), folded to fit after the name's `: `.
pub fn unstructured(text: &str, name_length: usize) -> String {
    let start = name_length + 2;
    if !needs_encoding(text) {
        let words: Vec<&str> = text.split(' ').collect();
        let folded = fold(&words, start);
        // A word too long even for the hard limit gets encoded words,
        // which can be cut anywhere.
        if longest_line(&folded, start) <= HARD_LINE {
            return folded;
        }
    }
    fold(&encode_words(text, MAX_LINE - start), start)
}

#[cfg(test)]
mod tests {
    use super::super::encoded_words::tests::decode_words;
    use super::*;

    #[test]
    fn ascii_is_left_as_it_is() {
        assert_eq!(unstructured("Report for March", 7), "Report for March");
    }

    #[test]
    fn long_ascii_is_folded_at_spaces() {
        let text = "word ".repeat(40);
        let value = unstructured(text.trim_end(), 7);
        assert!(longest_line(&value, 9) <= MAX_LINE, "{value}");
        assert_eq!(value.replace("\r\n ", " "), text.trim_end());
    }

    #[test]
    fn utf8_becomes_encoded_words_that_fit_the_line() {
        let text = "Relatório de março ✓ ".repeat(10);
        let value = unstructured(&text, 7);
        assert!(longest_line(&value, 9) <= MAX_LINE, "{value}");
        let words: Vec<String> = value
            .split("\r\n ")
            .flat_map(|l| l.split(' '))
            .map(String::from)
            .collect();
        assert_eq!(decode_words(&words), text);
    }

    #[test]
    fn a_word_past_the_hard_limit_is_encoded() {
        let text = "x".repeat(1200);
        let value = unstructured(&text, 7);
        assert!(value.starts_with("=?utf-8?"), "{value}");
        assert!(longest_line(&value, 9) <= MAX_LINE);
    }
}
