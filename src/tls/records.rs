//! TLS record framing, for reading through a `create()` socket. Such a
//! socket reads a line or an exact number of bytes; TLS has no lines, and
//! asking for more bytes than the server sends would wait forever. Every
//! TLS record starts with a 5-byte header that gives its length, so the
//! exact count of the next read is always known.

const HEADER: usize = 5;

#[derive(Debug, Default)]
pub struct RecordFraming {
    header: [u8; HEADER],
    header_len: usize,
    body_left: usize,
}

impl RecordFraming {
    /// How many bytes to read next: the rest of a header, or of a record.
    pub fn wanted(&self) -> usize {
        if self.header_len < HEADER {
            HEADER - self.header_len
        } else {
            self.body_left
        }
    }

    /// Follows the records through `bytes`, which were read from the server.
    pub fn consume(&mut self, mut bytes: &[u8]) {
        while !bytes.is_empty() {
            if self.header_len < HEADER {
                let take = (HEADER - self.header_len).min(bytes.len());
                self.header[self.header_len..self.header_len + take]
                    .copy_from_slice(&bytes[..take]);
                self.header_len += take;
                bytes = &bytes[take..];
                if self.header_len == HEADER {
                    self.body_left =
                        usize::from(u16::from_be_bytes([self.header[3], self.header[4]]));
                }
            } else {
                let take = self.body_left.min(bytes.len());
                self.body_left -= take;
                bytes = &bytes[take..];
            }
            if self.header_len == HEADER && self.body_left == 0 {
                self.header_len = 0;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A record of type 22 (handshake), TLS 1.2, with `len` body bytes.
    fn record(len: u16) -> Vec<u8> {
        let mut bytes = vec![22, 3, 3];
        bytes.extend_from_slice(&len.to_be_bytes());
        bytes.extend(std::iter::repeat_n(0xAB, usize::from(len)));
        bytes
    }

    #[test]
    fn reads_ask_for_the_header_then_the_body() {
        let mut framing = RecordFraming::default();
        assert_eq!(framing.wanted(), 5);
        let bytes = record(300);
        framing.consume(&bytes[..5]);
        assert_eq!(framing.wanted(), 300);
        framing.consume(&bytes[5..105]);
        assert_eq!(framing.wanted(), 200);
        framing.consume(&bytes[105..]);
        assert_eq!(framing.wanted(), 5);
    }

    #[test]
    fn any_split_of_several_records_ends_at_a_record_boundary() {
        let bytes: Vec<u8> = [record(3), record(0), record(70)].concat();
        for cut in 0..=bytes.len() {
            let mut framing = RecordFraming::default();
            framing.consume(&bytes[..cut]);
            framing.consume(&bytes[cut..]);
            assert_eq!(framing.wanted(), 5, "cut at {cut}");
        }
        let mut framing = RecordFraming::default();
        framing.consume(&bytes[..9]);
        assert_eq!(framing.wanted(), 4, "inside the empty record's header");
        framing.consume(&bytes[9..13]);
        assert_eq!(
            framing.wanted(),
            5,
            "an empty record has no body to wait for"
        );
        framing.consume(&bytes[13..16]);
        assert_eq!(framing.wanted(), 2);
    }
}
