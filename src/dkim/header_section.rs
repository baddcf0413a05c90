//! The message's header section, read from the start of its (normalised)
//! bytes up to the empty line, and its fields as the signer picks them
//! (RFC 6376 §5.4.2: each name in `h=` takes the last instance of that
//! field not taken yet, from the bottom up).

/// Where the header section ends, and so where the body starts.
#[derive(Debug)]
pub enum Split {
    /// The section's end is not in sight yet: all of the data so far is
    /// header section.
    Pending,
    /// The section ended: the data from this offset of the last chunk on is
    /// body.
    BodyFrom(usize),
}

/// The header section, collected up to a bound.
#[derive(Debug, Default)]
pub struct HeaderSection {
    bytes: Vec<u8>,
    ended: bool,
    too_long: bool,
}

/// More than this is not a header section a server would take (Postfix's
/// header_size_limit is 100 KB), and is not held in memory.
pub const MAX_LEN: usize = 1 << 20;

impl HeaderSection {
    /// Takes the next normalised chunk of the message and says where, if
    /// anywhere, the body begins in it.
    pub fn push(&mut self, chunk: &[u8]) -> Split {
        if self.ended {
            return Split::BodyFrom(0);
        }
        let before = self.bytes.len();
        // A section that starts with its empty line has no fields; otherwise
        // it ends with CRLF CRLF, which may straddle chunks.
        let search_from = before.saturating_sub(3);
        self.bytes.extend_from_slice(chunk);
        let end = if self.bytes.starts_with(b"\r\n") {
            Some(2)
        } else {
            memchr::memmem::find(&self.bytes[search_from..], b"\r\n\r\n")
                .map(|at| search_from + at + 4)
        };
        match end {
            Some(end) => {
                self.bytes.truncate(end - 2);
                self.ended = true;
                Split::BodyFrom(end - before)
            }
            None => {
                if self.bytes.len() > MAX_LEN {
                    self.too_long = true;
                    self.bytes = Vec::new();
                    self.ended = true;
                }
                Split::Pending
            }
        }
    }

    /// The fields, each with its CRLF; `None` when the section was over
    /// [`MAX_LEN`]. A message that never reached its empty line is all
    /// header section.
    pub fn fields(&self) -> Option<Fields<'_>> {
        if self.too_long {
            return None;
        }
        Some(Fields::new(&self.bytes))
    }
}

/// The header fields, in order, with their names.
#[derive(Debug)]
pub struct Fields<'a> {
    fields: Vec<(&'a [u8], &'a [u8])>,
}

impl<'a> Fields<'a> {
    fn new(section: &'a [u8]) -> Self {
        let mut fields: Vec<(&[u8], &[u8])> = Vec::new();
        let mut start = 0;
        // A line that starts with WSP continues the field above it.
        let line_starts = memchr::memmem::find_iter(section, b"\r\n").map(|at| at + 2);
        for next in line_starts.chain(std::iter::once(section.len())) {
            let continues = section.get(next).is_some_and(|&b| b == b' ' || b == b'\t');
            if next > start && !continues {
                let field = &section[start..next];
                let name = field
                    .iter()
                    .position(|&b| b == b':')
                    .map_or(&b""[..], |colon| field[..colon].trim_ascii_end());
                fields.push((name, field));
                start = next;
            }
        }
        Fields { fields }
    }

    /// How many fields are called `name` (any case).
    pub fn count(&self, name: &str) -> usize {
        self.fields
            .iter()
            .filter(|(field_name, _)| field_name.eq_ignore_ascii_case(name.as_bytes()))
            .count()
    }

    /// The fields `names` sign, in their order: each takes the last
    /// instance of its name that no earlier one took; a name with none left
    /// signs nothing (it keeps such a field from being added).
    pub fn picked(&self, names: &[String]) -> Vec<&'a [u8]> {
        let mut taken = vec![false; self.fields.len()];
        let mut picked = Vec::new();
        for name in names {
            let found = self
                .fields
                .iter()
                .enumerate()
                .rev()
                .find(|&(i, (field_name, _))| {
                    !taken[i] && field_name.eq_ignore_ascii_case(name.as_bytes())
                });
            if let Some((i, &(_, field))) = found {
                taken[i] = true;
                picked.push(field);
            }
        }
        picked
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn section(chunks: &[&[u8]]) -> (HeaderSection, Vec<u8>) {
        let mut header = HeaderSection::default();
        let mut body = Vec::new();
        for chunk in chunks {
            if let Split::BodyFrom(at) = header.push(chunk) {
                body.extend_from_slice(&chunk[at..]);
            }
        }
        (header, body)
    }

    fn names(list: &[&str]) -> Vec<String> {
        list.iter().map(ToString::to_string).collect()
    }

    #[test]
    fn the_section_ends_at_the_empty_line_whatever_the_chunks() {
        let message: &[u8] = b"A: 1\r\nB: 2\r\n\r\nbody\r\n\r\n";
        for cut in 0..=message.len() {
            let (header, body) = section(&[&message[..cut], &message[cut..]]);
            assert_eq!(header.bytes, b"A: 1\r\nB: 2\r\n", "cut {cut}");
            assert_eq!(body, b"body\r\n\r\n", "cut {cut}");
        }
    }

    #[test]
    fn a_message_may_have_no_fields_or_no_body() {
        let (header, body) = section(&[b"\r\nbody"]);
        assert_eq!(
            (header.bytes.as_slice(), body.as_slice()),
            (&b""[..], &b"body"[..])
        );
        let (header, body) = section(&[b"A: 1\r\n"]);
        assert_eq!(
            (header.bytes.as_slice(), body.as_slice()),
            (&b"A: 1\r\n"[..], &b""[..])
        );
    }

    #[test]
    fn a_section_past_the_bound_is_refused_not_held() {
        let mut header = HeaderSection::default();
        let line = [b"X: ".as_slice(), &[b'x'; 1000], b"\r\n"].concat();
        for _ in 0..=MAX_LEN / line.len() {
            header.push(&line);
        }
        assert!(header.fields().is_none());
        assert!(header.bytes.capacity() == 0);
    }

    #[test]
    fn folded_fields_are_one_field() {
        let (header, _) = section(&[b"Subject: a\r\n b\r\nTo : c\r\n\r\n"]);
        let fields = header.fields().unwrap();
        assert_eq!(fields.count("subject"), 1);
        assert_eq!(
            fields.picked(&names(&["to", "subject"])),
            [&b"To : c\r\n"[..], b"Subject: a\r\n b\r\n"]
        );
    }

    #[test]
    fn names_take_instances_from_the_bottom_up() {
        let (header, _) = section(&[b"Received: 1\r\nReceived: 2\r\nFrom: f\r\n\r\n"]);
        let fields = header.fields().unwrap();
        assert_eq!(fields.count("RECEIVED"), 2);
        assert_eq!(
            fields.picked(&names(&[
                "received", "from", "from", "received", "received"
            ])),
            [&b"Received: 2\r\n"[..], b"From: f\r\n", b"Received: 1\r\n"]
        );
    }
}
