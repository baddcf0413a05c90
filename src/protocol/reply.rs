//! Server replies, read the way LuaSocket reads them: a line ends at LF and
//! every CR in it is dropped; a first line "ddd-..." opens a multi-line reply
//! that lasts until a line with the same code followed by a space. The reply
//! text is its lines joined by "\n", which is what LuaSocket returns as the
//! error when a reply is not the expected one.

use memchr::memchr;

use crate::protocol::enhanced_status;

/// The longest reply line accepted, CRs dropped; RFC 5321 allows 512
/// octets. As received, CRs included, a line may be one byte longer: the
/// CR of its CRLF.
pub const MAX_LINE: usize = 16 * 1024;
/// The longest reply accepted, all lines together.
pub const MAX_REPLY: usize = 256 * 1024;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    pub code: u16,
    pub text: Vec<u8>,
}

impl Reply {
    /// The reply's class: the first digit of its code.
    pub fn class(&self) -> u16 {
        self.code / 100
    }

    /// The enhanced status code of its first line, as "5.1.1"; see
    /// [`enhanced_status::parse`].
    pub fn status(&self) -> Option<&str> {
        enhanced_status::parse(&self.text)
    }

    /// Whether it is a transient failure (4xx): the same command may
    /// succeed later.
    pub fn is_transient(&self) -> bool {
        self.class() == 4
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReplyError {
    /// A first line that does not start with three digits.
    Invalid,
    /// A line or a reply longer than the limits above.
    TooLong,
}

impl ReplyError {
    pub fn message(self) -> &'static str {
        match self {
            // LuaSocket's wording.
            ReplyError::Invalid => "invalid server reply",
            ReplyError::TooLong => "server reply too long",
        }
    }
}

/// Assembles replies from the bytes a server sends, or from lines already
/// split by a LuaSocket-like `receive("*l")`.
#[derive(Debug, Default)]
pub struct ReplyReader {
    input: Vec<u8>,
    /// Start of the bytes in `input` not yet parsed.
    start: usize,
    /// The reply being assembled, while inside a multi-line reply.
    open: Option<([u8; 3], Vec<u8>)>,
}

impl ReplyReader {
    /// Adds bytes received from the server.
    pub fn push(&mut self, bytes: &[u8]) {
        if self.start > 0 && self.start == self.input.len() {
            self.input.clear();
            self.start = 0;
        }
        self.input.extend_from_slice(bytes);
    }

    /// Adds one line whose line end has already been removed.
    pub fn push_line(&mut self, line: &[u8]) {
        self.push(line);
        self.input.push(b'\n');
    }

    /// Forgets everything received and not yet returned.
    pub fn clear(&mut self) {
        self.input.clear();
        self.start = 0;
        self.open = None;
    }

    /// The next complete reply, `None` when more bytes are needed.
    pub fn next_reply(&mut self) -> Option<Result<Reply, ReplyError>> {
        loop {
            let unread = &self.input[self.start..];
            let Some(end) = memchr(b'\n', unread) else {
                // Room for a full line and the CR before its LF.
                if unread.len() > MAX_LINE + 1 {
                    return Some(Err(ReplyError::TooLong));
                }
                self.compact();
                return None;
            };
            // The bound an unfinished line is held to above, CRs and all, so
            // that whether a line is refused does not depend on how its
            // bytes arrived.
            if end > MAX_LINE + 1 {
                return Some(Err(ReplyError::TooLong));
            }
            let line = without_crs(&unread[..end]);
            if line.len() > MAX_LINE {
                return Some(Err(ReplyError::TooLong));
            }
            self.start += end + 1;
            if let Some(reply) = self.take_line(line) {
                return Some(reply);
            }
        }
    }

    /// Adds one line to the reply being read; returns the reply it ends.
    fn take_line(&mut self, line: Vec<u8>) -> Option<Result<Reply, ReplyError>> {
        let Some((code, mut text)) = self.open.take() else {
            let Some(code) = code_of(&line) else {
                return Some(Err(ReplyError::Invalid));
            };
            if line.get(3) == Some(&b'-') {
                self.open = Some((code, line));
                return None;
            }
            return Some(Ok(Reply {
                code: number(code),
                text: line,
            }));
        };
        if text.len() + 1 + line.len() > MAX_REPLY {
            return Some(Err(ReplyError::TooLong));
        }
        text.push(b'\n');
        text.extend_from_slice(&line);
        if code_of(&line) == Some(code) && line.get(3) == Some(&b' ') {
            return Some(Ok(Reply {
                code: number(code),
                text,
            }));
        }
        self.open = Some((code, text));
        None
    }

    fn compact(&mut self) {
        if self.start > 0 {
            self.input.drain(..self.start);
            self.start = 0;
        }
    }
}

/// `raw` with every CR dropped, as LuaSocket drops them.
fn without_crs(mut raw: &[u8]) -> Vec<u8> {
    let mut line = Vec::with_capacity(raw.len());
    while let Some(cr) = memchr(b'\r', raw) {
        line.extend_from_slice(&raw[..cr]);
        raw = &raw[cr + 1..];
    }
    line.extend_from_slice(raw);
    line
}

fn code_of(line: &[u8]) -> Option<[u8; 3]> {
    match line {
        [a, b, c, ..] if a.is_ascii_digit() && b.is_ascii_digit() && c.is_ascii_digit() => {
            Some([*a, *b, *c])
        }
        _ => None,
    }
}

fn number(code: [u8; 3]) -> u16 {
    code.iter()
        .fold(0, |n, digit| n * 10 + u16::from(digit - b'0'))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn replies(bytes: &[u8]) -> Vec<Result<Reply, ReplyError>> {
        let mut reader = ReplyReader::default();
        reader.push(bytes);
        std::iter::from_fn(|| reader.next_reply())
            .take(10)
            .collect()
    }

    fn ok(code: u16, text: &str) -> Result<Reply, ReplyError> {
        Ok(Reply {
            code,
            text: text.as_bytes().to_vec(),
        })
    }

    #[test]
    fn a_reply_knows_its_enhanced_status_and_whether_it_is_transient() {
        let got =
            replies(b"550-5.1.1 no such user\r\n550 5.1.1 really\r\n452 4.2.2 full\r\n550 no\r\n");
        let [Ok(unknown), Ok(full), Ok(bare)] = &got[..] else {
            panic!("{got:?}");
        };
        assert_eq!(
            (unknown.status(), unknown.is_transient()),
            (Some("5.1.1"), false)
        );
        assert_eq!((full.status(), full.is_transient()), (Some("4.2.2"), true));
        assert_eq!((bare.status(), bare.is_transient()), (None, false));
    }

    #[test]
    fn single_line_replies_lose_their_line_end() {
        assert_eq!(
            replies(b"220 hi there\r\n250 ok\n"),
            [ok(220, "220 hi there"), ok(250, "250 ok")]
        );
    }

    #[test]
    fn multi_line_replies_are_joined_by_newlines() {
        let got = replies(b"250-mx\r\n250-PIPELINING\r\n250 HELP\r\n");
        assert_eq!(got, [ok(250, "250-mx\n250-PIPELINING\n250 HELP")]);
    }

    #[test]
    fn a_multi_line_reply_ends_only_at_its_own_code_and_a_space() {
        let got = replies(b"250-a\r\n251 b\r\nnonsense\r\n250\r\n250 end\r\n");
        assert_eq!(got, [ok(250, "250-a\n251 b\nnonsense\n250\n250 end")]);
    }

    #[test]
    fn every_carriage_return_is_dropped_as_luasocket_does() {
        assert_eq!(replies(b"250 a\rb\r\r\n"), [ok(250, "250 ab")]);
    }

    #[test]
    fn a_bare_code_is_a_complete_reply() {
        assert_eq!(replies(b"354\r\n"), [ok(354, "354")]);
    }

    #[test]
    fn a_first_line_without_a_code_is_invalid() {
        assert_eq!(replies(b"hello\r\n"), [Err(ReplyError::Invalid)]);
        assert_eq!(replies(b"25 x\r\n"), [Err(ReplyError::Invalid)]);
    }

    #[test]
    fn bytes_may_arrive_one_at_a_time() {
        let mut reader = ReplyReader::default();
        let mut got = Vec::new();
        for &byte in b"250-a\r\n250 b\r\n220 c\r\n" {
            reader.push(&[byte]);
            while let Some(reply) = reader.next_reply() {
                got.push(reply);
            }
        }
        assert_eq!(got, [ok(250, "250-a\n250 b"), ok(220, "220 c")]);
    }

    #[test]
    fn lines_can_be_pushed_without_their_line_end() {
        let mut reader = ReplyReader::default();
        reader.push_line(b"250-a");
        assert_eq!(reader.next_reply(), None);
        reader.push_line(b"250 b");
        assert_eq!(reader.next_reply(), Some(ok(250, "250-a\n250 b")));
    }

    #[test]
    fn an_endless_line_is_refused_once_it_passes_the_limit() {
        let mut reader = ReplyReader::default();
        reader.push(&vec![b'2'; MAX_LINE]);
        reader.push(b"\r");
        assert_eq!(
            reader.next_reply(),
            None,
            "a full line may still end with CRLF"
        );
        reader.push(b"2");
        assert_eq!(reader.next_reply(), Some(Err(ReplyError::TooLong)));
    }

    #[test]
    fn a_line_of_exactly_the_limit_is_accepted_with_its_crlf() {
        let mut line = vec![b'2'; MAX_LINE];
        line.extend_from_slice(b"\r\n");
        assert!(matches!(replies(&line)[..], [Ok(_)]));
        line.insert(0, b'2');
        assert_eq!(replies(&line)[0], Err(ReplyError::TooLong));
    }

    #[test]
    fn a_line_padded_with_carriage_returns_is_refused_however_it_arrives() {
        // Found by the reader's properties (tests/oracle/reply.rs): refused
        // when its LF came in a later read, read as "250 " when it came in
        // the same one.
        let line = [b"250 ".as_slice(), &[b'\r'; MAX_LINE]].concat();
        let mut reader = ReplyReader::default();
        reader.push(&line);
        assert_eq!(reader.next_reply(), Some(Err(ReplyError::TooLong)));
        assert_eq!(
            replies(&[line.as_slice(), b"\n"].concat())[0],
            Err(ReplyError::TooLong)
        );
    }

    #[test]
    fn an_endless_multi_line_reply_is_refused_once_it_passes_the_limit() {
        let mut reader = ReplyReader::default();
        let line = [b"250-".as_slice(), &[b'x'; 1000], b"\r\n"].concat();
        for _ in 0..(MAX_REPLY / line.len()) {
            reader.push(&line);
            assert_eq!(reader.next_reply(), None);
        }
        reader.push(&line);
        assert_eq!(reader.next_reply(), Some(Err(ReplyError::TooLong)));
    }
}
