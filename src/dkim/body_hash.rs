//! The body hash (`bh=`), computed as the body streams past: RFC 6376
//! §3.4.3 and §3.4.4 canonicalisation over data whose line ends are
//! already CRLF (see `line_ends`), whatever the chunks.
//!
//! Empty lines are counted rather than hashed, and hashed only when a
//! line with content follows them: the empty lines at the body's end are
//! the ones never followed, which both algorithms drop. Relaxed likewise
//! owes one space for a run of whitespace until the line goes on.

use ring::digest::{Context, Digest, SHA256};

use super::canonicalization::Mode;

pub struct BodyHash {
    mode: Mode,
    hash: Context,
    /// Line ends seen since the last content, not hashed yet.
    owed_line_ends: u64,
    /// Relaxed: whitespace seen since the last content on this line.
    owed_space: bool,
    /// The last byte seen was a CR, whose LF comes next.
    after_cr: bool,
    /// Some content has been hashed.
    started: bool,
}

impl std::fmt::Debug for BodyHash {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BodyHash")
            .field("mode", &self.mode)
            .finish_non_exhaustive()
    }
}

impl BodyHash {
    pub fn new(mode: Mode) -> Self {
        BodyHash {
            mode,
            hash: Context::new(&SHA256),
            owed_line_ends: 0,
            owed_space: false,
            after_cr: false,
            started: false,
        }
    }

    /// Hashes the next bytes of the body (CRLF line ends).
    pub fn update(&mut self, mut data: &[u8]) {
        while let Some(&byte) = data.first() {
            if self.after_cr {
                // The LF of a CRLF: one more line end, owed.
                self.after_cr = false;
                self.owed_line_ends += 1;
                self.owed_space = false;
                data = &data[usize::from(byte == b'\n')..];
                continue;
            }
            match byte {
                b'\r' => {
                    self.after_cr = true;
                    data = &data[1..];
                }
                b' ' | b'\t' if self.mode == Mode::Relaxed => {
                    self.owed_space = true;
                    data = &data[1..];
                }
                _ => {
                    let end = self.content_end(data);
                    self.content(&data[..end]);
                    data = &data[end..];
                }
            }
        }
    }

    /// The length of the content run that starts `data`: up to the next
    /// CR, or for relaxed the next whitespace.
    fn content_end(&self, data: &[u8]) -> usize {
        let found = match self.mode {
            Mode::Simple => memchr::memchr(b'\r', data),
            Mode::Relaxed => memchr::memchr3(b'\r', b' ', b'\t', data),
        };
        found.unwrap_or(data.len())
    }

    fn content(&mut self, run: &[u8]) {
        for _ in 0..self.owed_line_ends {
            self.hash.update(b"\r\n");
        }
        if self.owed_space {
            self.hash.update(b" ");
        }
        self.hash.update(run);
        self.owed_line_ends = 0;
        self.owed_space = false;
        self.started = true;
    }

    /// The digest: the body's last line ends once with CRLF; an empty body
    /// is CRLF for simple and nothing for relaxed.
    pub fn finish(mut self) -> Digest {
        if self.started || self.mode == Mode::Simple {
            self.hash.update(b"\r\n");
        }
        self.hash.finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ring::digest::digest;

    fn hashed(mode: Mode, chunks: &[&[u8]]) -> Vec<u8> {
        let mut body = BodyHash::new(mode);
        for chunk in chunks {
            body.update(chunk);
        }
        body.finish().as_ref().to_vec()
    }

    fn sha256(bytes: &[u8]) -> Vec<u8> {
        digest(&SHA256, bytes).as_ref().to_vec()
    }

    #[test]
    fn rfc_6376_example_bodies() {
        // §3.4.6: " C \r\nD \t E\r\n\r\n\r\n".
        let body: &[u8] = b" C \r\nD \t E\r\n\r\n\r\n";
        assert_eq!(hashed(Mode::Relaxed, &[body]), sha256(b" C\r\nD E\r\n"));
        assert_eq!(hashed(Mode::Simple, &[body]), sha256(b" C \r\nD \t E\r\n"));
    }

    #[test]
    fn empty_bodies() {
        assert_eq!(hashed(Mode::Simple, &[]), sha256(b"\r\n"));
        assert_eq!(hashed(Mode::Relaxed, &[]), sha256(b""));
        assert_eq!(hashed(Mode::Simple, &[b"\r\n\r\n"]), sha256(b"\r\n"));
        assert_eq!(hashed(Mode::Relaxed, &[b" \r\n\t\r\n"]), sha256(b""));
    }

    #[test]
    fn a_last_line_without_crlf_gets_one() {
        assert_eq!(hashed(Mode::Simple, &[b"a"]), sha256(b"a\r\n"));
        assert_eq!(hashed(Mode::Relaxed, &[b"a  "]), sha256(b"a\r\n"));
    }

    #[test]
    fn whitespace_only_lines_inside_the_body_stay_as_lines() {
        assert_eq!(
            hashed(Mode::Relaxed, &[b"a\r\n \r\nb"]),
            sha256(b"a\r\n\r\nb\r\n")
        );
        assert_eq!(
            hashed(Mode::Simple, &[b"a\r\n \r\n\r\n"]),
            sha256(b"a\r\n \r\n")
        );
    }

    #[test]
    fn every_split_gives_the_same_hash() {
        let body: &[u8] = b"  a \t b\t\r\n\r\n \r\nc\r\n  \r\n\r\n";
        for mode in [Mode::Simple, Mode::Relaxed] {
            let whole = hashed(mode, &[body]);
            for cut in 0..=body.len() {
                for cut2 in cut..=body.len() {
                    let chunks = [&body[..cut], &body[cut..cut2], &body[cut2..]];
                    assert_eq!(hashed(mode, &chunks), whole, "{mode:?} cuts {cut} {cut2}");
                }
            }
        }
    }
}
