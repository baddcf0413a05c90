//! The DKIM-Signature field as written: its tags in a fixed order, folded
//! so that no line is longer than 78 characters (RFC 5322 §2.1.1), with
//! `b=` last so that the signed form of the field is its text up to `b=`.

/// RFC 5322's recommended line length, without the CRLF.
const WIDTH: usize = 78;
const FOLD: &str = "\r\n ";

/// Writes the field's text, adding pieces with a fold before any that
/// would cross the width.
#[derive(Debug)]
pub struct FieldWriter {
    text: String,
    column: usize,
}

impl FieldWriter {
    pub fn new() -> Self {
        let name = "DKIM-Signature:";
        FieldWriter {
            text: name.to_string(),
            column: name.len(),
        }
    }

    /// One `tag=value;`, the value being `parts` joined by ':' (the h=
    /// list's names), folded only between them.
    pub fn tag(&mut self, tag: &str, parts: &[&str]) {
        let last = parts.len().saturating_sub(1);
        for (i, part) in parts.iter().enumerate() {
            let mut piece = String::new();
            if i == 0 {
                piece.push_str(tag);
                piece.push('=');
            }
            piece.push_str(part);
            piece.push(if i == last { ';' } else { ':' });
            self.piece(&piece, i == 0);
        }
    }

    /// Ends the text with `b=`: the field with an empty `b=`, which is
    /// what the signature covers.
    pub fn signed_text(&mut self) -> &str {
        self.piece("b=", true);
        &self.text
    }

    /// Appends the signature's base64, which may be folded anywhere, and
    /// the field's CRLF.
    pub fn finish(mut self, base64: &str) -> String {
        let mut rest = base64;
        while !rest.is_empty() {
            if self.column >= WIDTH {
                self.text.push_str(FOLD);
                self.column = 1;
            }
            let take = (WIDTH - self.column).min(rest.len());
            self.text.push_str(&rest[..take]);
            self.column += take;
            rest = &rest[take..];
        }
        self.text.push_str("\r\n");
        self.text
    }

    /// A piece after a space (tags are separated by "; ") or straight on
    /// (the next name of a list), folded before when it would not fit.
    fn piece(&mut self, piece: &str, spaced: bool) {
        let space = usize::from(spaced);
        if self.column + space + piece.len() > WIDTH {
            self.text.push_str(FOLD);
            self.column = 1;
        } else if spaced {
            self.text.push(' ');
            self.column += 1;
        }
        self.text.push_str(piece);
        self.column += piece.len();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_stay_within_78_columns_and_unfold_to_the_tags() {
        let mut field = FieldWriter::new();
        field.tag("v", &["1"]);
        field.tag("d", &["example.com"]);
        let names = ["from"; 30];
        field.tag("h", &names);
        let signed = field.signed_text().to_string();
        let text = field.finish(&"A".repeat(344));
        assert!(text.starts_with(&signed));
        for line in text.strip_suffix("\r\n").unwrap().split("\r\n") {
            assert!(line.len() <= WIDTH, "{line:?}");
        }
        let unfolded = text.replace(FOLD, "");
        let expected_h = format!("h={};", names.join(":"));
        assert!(unfolded.contains(&expected_h), "{unfolded}");
        assert!(
            unfolded.starts_with("DKIM-Signature: v=1; d=example.com;"),
            "{unfolded}"
        );
        assert!(
            unfolded.ends_with(&format!("b={}\r\n", "A".repeat(344))),
            "{unfolded}"
        );
    }
}
