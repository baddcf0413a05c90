//! The line-end normalisation DATA does (see `protocol::dot_stuff`), on its
//! own: every bare CR and bare LF becomes CRLF. The signer hashes the
//! normalised bytes, so that the signature covers what goes on the wire;
//! dot-stuffing the output again changes no line end.

/// Normalises data given in chunks, holding nothing back: a CR that ends a
/// chunk goes out at once, and its LF is added by the next chunk (or by
/// `finish`) unless that chunk starts with one.
#[derive(Debug, Clone, Copy, Default)]
pub struct LineEnds {
    after_cr: bool,
}

impl LineEnds {
    /// Appends `chunk`, its line ends made CRLF, to `out`.
    pub fn normalise(&mut self, chunk: &[u8], out: &mut Vec<u8>) {
        let Some(&last) = chunk.last() else { return };
        out.reserve(chunk.len());
        if self.after_cr && chunk[0] != b'\n' {
            out.push(b'\n');
        }
        let mut copied = 0;
        for i in memchr::memchr2_iter(b'\r', b'\n', chunk) {
            let bare_lf = chunk[i] == b'\n' && !self.cr_before(chunk, i);
            let bare_cr = chunk[i] == b'\r' && chunk.get(i + 1).is_some_and(|&next| next != b'\n');
            if bare_lf {
                out.extend_from_slice(&chunk[copied..i]);
                out.push(b'\r');
                copied = i;
            } else if bare_cr {
                out.extend_from_slice(&chunk[copied..=i]);
                out.push(b'\n');
                copied = i + 1;
            }
        }
        out.extend_from_slice(&chunk[copied..]);
        self.after_cr = last == b'\r';
    }

    /// Completes a CR that ended the data.
    pub fn finish(&mut self, out: &mut Vec<u8>) {
        if self.after_cr {
            out.push(b'\n');
        }
        self.after_cr = false;
    }

    fn cr_before(self, chunk: &[u8], i: usize) -> bool {
        match i {
            0 => self.after_cr,
            _ => chunk[i - 1] == b'\r',
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn normalised(chunks: &[&[u8]]) -> Vec<u8> {
        let mut line_ends = LineEnds::default();
        let mut out = Vec::new();
        for chunk in chunks {
            line_ends.normalise(chunk, &mut out);
        }
        line_ends.finish(&mut out);
        out
    }

    #[test]
    fn bare_crs_and_lfs_become_crlf() {
        assert_eq!(
            normalised(&[b"a\nb\rc\r\nd\n\re"]),
            b"a\r\nb\r\nc\r\nd\r\n\r\ne"
        );
    }

    #[test]
    fn a_cr_at_a_chunk_end_is_settled_by_what_follows() {
        assert_eq!(normalised(&[b"a\r", b"\nb"]), b"a\r\nb");
        assert_eq!(normalised(&[b"a\r", b"b"]), b"a\r\nb");
        assert_eq!(normalised(&[b"a\r", b"", b"\r"]), b"a\r\n\r\n");
        assert_eq!(normalised(&[b"a\r"]), b"a\r\n");
    }

    #[test]
    fn every_split_gives_the_same_bytes() {
        let data: &[u8] = b"\r\n\n\r\r\n.x\r\r\ny\n";
        let whole = normalised(&[data]);
        for cut in 0..=data.len() {
            assert_eq!(
                normalised(&[&data[..cut], &data[cut..]]),
                whole,
                "cut {cut}"
            );
        }
    }
}
