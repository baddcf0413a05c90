//! An attachment's file name in its `Content-Type` and
//! `Content-Disposition` fields.
//!
//! A short printable ASCII name is a quoted `name=` and `filename=`. Any
//! other name is written for both kinds of reader, the way Thunderbird
//! writes it: the disposition carries RFC 2231's `filename*=utf-8''...`
//! (cut into `filename*0*`, `filename*1*`... when long), and the type
//! carries `name="..."` as encoded words for readers that know only those.
//! `filename=` is not written beside `filename*`: readers that see both
//! (Python's `email` among them) may prefer the plain one.

use super::encoded_words::{encode_words, needs_encoding};
use super::folding::{fold, MAX_LINE};

const TYPE_FIELD: usize = "Content-Type: ".len();
const DISPOSITION_FIELD: usize = "Content-Disposition: ".len();
const HEX: &[u8; 16] = b"0123456789ABCDEF";

/// The `Content-Type` value: `media_type` with the name.
pub fn content_type(media_type: &str, file_name: &str) -> String {
    let parameter = match plain(file_name) {
        Some(quoted) => vec![format!("name={quoted}")],
        None => {
            let mut words = encode_words(file_name, MAX_LINE - 1 - "name=\"".len());
            if let Some(first) = words.first_mut() {
                first.insert_str(0, "name=\"");
            }
            if let Some(last) = words.last_mut() {
                last.push('"');
            }
            words
        }
    };
    fold(&with_parameters(media_type, vec![parameter]), TYPE_FIELD)
}

/// The `Content-Disposition` value: `disposition` (`attachment` or
/// `inline`) with the name.
pub fn content_disposition(disposition: &str, file_name: &str) -> String {
    let parameters = match plain(file_name) {
        Some(quoted) => vec![vec![format!("filename={quoted}")]],
        None => extended(file_name)
            .into_iter()
            .map(|section| vec![section])
            .collect(),
    };
    fold(&with_parameters(disposition, parameters), DISPOSITION_FIELD)
}

/// `value;` and the parameters, each given as its words, with a `;` after
/// every parameter but the last: the tokens to fold.
fn with_parameters(value: &str, parameters: Vec<Vec<String>>) -> Vec<String> {
    let mut tokens = vec![format!("{value};")];
    let count = parameters.len();
    for (index, mut words) in parameters.into_iter().enumerate() {
        if index + 1 < count {
            if let Some(last) = words.last_mut() {
                last.push(';');
            }
        }
        tokens.extend(words);
    }
    tokens
}

/// `"name"` when the name can be written as it is on one line. Only
/// characters that no reader's parameter splitting trips over (a `;` in
/// quotes splits some) are left plain.
fn plain(file_name: &str) -> Option<String> {
    let fits = 1 + "filename=\"\"".len() + file_name.len() <= MAX_LINE;
    let simple = file_name
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b" !#$&'()+,-.=@[]^_`{}~".contains(&b));
    let readable = !needs_encoding(file_name);
    (fits && simple && readable && !file_name.is_empty()).then(|| format!("\"{file_name}\""))
}

/// RFC 2231 parameters: one `filename*=` when it fits a line, else
/// numbered sections that each fit one, cut between characters.
fn extended(file_name: &str) -> Vec<String> {
    let whole = format!("filename*=utf-8''{}", percent_encoded(file_name));
    if 1 + whole.len() < MAX_LINE {
        return vec![whole];
    }
    let mut sections = Vec::new();
    let mut section = String::new();
    for character in file_name.chars() {
        let mut buffer = [0; 4];
        let encoded = percent_encoded(character.encode_utf8(&mut buffer));
        let head = section_head(sections.len());
        // One line: the fold's space, the head, the text and the `;`.
        if !section.is_empty() && 1 + head.len() + section.len() + encoded.len() + 1 > MAX_LINE {
            sections.push(format!("{head}{section}"));
            section.clear();
        }
        section.push_str(&encoded);
    }
    let head = section_head(sections.len());
    sections.push(format!("{head}{section}"));
    sections
}

fn section_head(index: usize) -> String {
    if index == 0 {
        "filename*0*=utf-8''".to_string()
    } else {
        format!("filename*{index}*=")
    }
}

/// RFC 2231 §7's attribute characters as they are, every other byte as
/// `%XX`.
fn percent_encoded(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || b"!#$&+-.^_`|~".contains(&byte) {
            out.push(char::from(byte));
        } else {
            out.push('%');
            out.push(char::from(HEX[usize::from(byte >> 4)]));
            out.push(char::from(HEX[usize::from(byte & 15)]));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::super::folding::longest_line;
    use super::*;

    #[test]
    fn plain_names_are_quoted() {
        assert_eq!(
            content_disposition("attachment", "report.pdf"),
            "attachment; filename=\"report.pdf\""
        );
        assert_eq!(
            content_type("application/pdf", "report.pdf"),
            "application/pdf; name=\"report.pdf\""
        );
    }

    #[test]
    fn utf8_names_take_rfc_2231_and_encoded_words() {
        assert_eq!(
            content_disposition("attachment", "données.csv"),
            "attachment; filename*=utf-8''donn%C3%A9es.csv"
        );
        assert_eq!(
            content_type("text/csv", "données.csv"),
            "text/csv; name=\"=?utf-8?B?ZG9ubsOpZXMuY3N2?=\""
        );
    }

    #[test]
    fn long_names_are_cut_into_sections_that_fit() {
        let name = format!("{}.pdf", "relatório final ".repeat(8));
        let disposition = content_disposition("attachment", &name);
        assert!(
            longest_line(&disposition, DISPOSITION_FIELD) <= MAX_LINE,
            "{disposition}"
        );
        assert!(
            disposition.contains("filename*0*=utf-8''relat%C3%B3rio"),
            "{disposition}"
        );
        assert!(disposition.contains("filename*1*="), "{disposition}");
        let content_type = content_type("application/pdf", &name);
        assert!(
            longest_line(&content_type, TYPE_FIELD) <= MAX_LINE,
            "{content_type}"
        );
    }
}
