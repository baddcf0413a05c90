//! Header values folded (RFC 5322 §2.2.3) so that no line passes
//! [`MAX_LINE`] characters where the words allow it.

/// The line length RFC 5322 §2.1.1 asks writers to keep to.
pub const MAX_LINE: usize = 78;
const FOLD: &str = "\r\n ";

/// `tokens` joined by single spaces, with a fold in place of the space
/// before a token that would pass [`MAX_LINE`]. `start` is how many
/// characters the line holds before the value (`Subject: ` is 9). The
/// first token stays on the first line; an empty token is never put at the
/// start of a line, which would leave that line blank.
pub fn fold<S: AsRef<str>>(tokens: &[S], start: usize) -> String {
    let mut value = String::new();
    let mut line = start;
    for (index, token) in tokens.iter().enumerate() {
        let token = token.as_ref();
        if index > 0 {
            if line + 1 + token.len() > MAX_LINE && !token.is_empty() {
                value.push_str(FOLD);
                line = 1;
            } else {
                value.push(' ');
                line += 1;
            }
        }
        value.push_str(token);
        line += token.len();
    }
    value
}

/// The length of the longest line of a folded `value` that starts after
/// `start` characters.
pub fn longest_line(value: &str, start: usize) -> usize {
    value
        .split("\r\n")
        .enumerate()
        .map(|(index, line)| {
            if index == 0 {
                start + line.len()
            } else {
                line.len()
            }
        })
        .max()
        .unwrap_or(start)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_values_stay_on_one_line() {
        assert_eq!(fold(&["hello", "world"], 9), "hello world");
    }

    #[test]
    fn folds_come_where_a_word_would_pass_the_limit() {
        let words: Vec<String> = (0..30).map(|i| format!("word{i}")).collect();
        let value = fold(&words, 9);
        assert!(longest_line(&value, 9) <= MAX_LINE, "{value}");
        assert_eq!(value.replace(FOLD, " "), words.join(" "));
    }

    #[test]
    fn a_word_too_long_for_any_line_gets_a_line_of_its_own() {
        let long = "x".repeat(100);
        let value = fold(&["a", long.as_str(), "b"], 9);
        assert_eq!(value, format!("a\r\n {long}\r\n b"));
    }

    #[test]
    fn empty_tokens_keep_their_spaces_and_never_start_a_line() {
        assert_eq!(fold(&["ab", "", "c"], 9), "ab  c");
        let tokens = ["x".repeat(68), String::new(), "y".repeat(10)];
        let value = fold(&tokens, 9);
        assert_eq!(value, format!("{} \r\n {}", tokens[0], tokens[2]));
    }
}
