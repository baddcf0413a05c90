//! The reader behind `smtp.attach`: a file read in blocks of a fixed size
//! and encoded on the way, one chunk per block, with the same two buffers
//! reused for every block.
//!
//! The file is opened at the first pull, so an attachment can be made
//! before its file exists, and a failure to open comes back where LuaSocket's
//! `ltn12.source.file(io.open(path, "rb"))` gives it: from the first pull,
//! as `"<path>: <system message>"`. Once failed, every pull gives the same
//! error; once ended, every pull gives the end. The file is closed as soon
//! as it ends or fails, and when the source is dropped.

use std::fs::File;
use std::io::{self, Read};

use super::base64_lines::{encoded_size, Base64Lines, LINE_INPUT};
use super::quoted_printable::QuotedPrintable;
use super::{ChunkSource, Encoding, StreamEncoder};
use crate::os_error::system_message;

/// Bytes read per chunk: 57 KiB, a whole number of base64 lines, so that a
/// full block carries nothing over to the next.
const BLOCK: usize = LINE_INPUT * 1024;

#[derive(Debug)]
enum Encoder {
    Base64(Base64Lines),
    QuotedPrintable(QuotedPrintable),
    /// Chunks are the blocks as read.
    EightBit,
}

#[derive(Debug)]
enum State {
    Unopened,
    Reading(File),
    Ended,
    Failed(String),
}

#[derive(Debug)]
pub struct FileSource {
    path: String,
    encoder: Encoder,
    state: State,
    /// The block read last; allocated at the first read.
    input: Vec<u8>,
    /// The encoded chunk handed out last.
    output: Vec<u8>,
}

impl FileSource {
    /// A source for the file at `path`. Nothing is opened yet: errors come
    /// from the first [`FileSource::next_chunk`].
    pub fn open(path: &str, encoding: Encoding) -> FileSource {
        let encoder = match encoding {
            Encoding::Base64 => Encoder::Base64(Base64Lines::default()),
            Encoding::QuotedPrintable => Encoder::QuotedPrintable(QuotedPrintable::default()),
            Encoding::EightBit => Encoder::EightBit,
        };
        FileSource {
            path: path.to_string(),
            encoder,
            state: State::Unopened,
            input: Vec::new(),
            output: Vec::new(),
        }
    }

    /// Encodes the first `filled` bytes of the block into the output (8bit
    /// leaves them where they are); whether there is a chunk to hand out.
    fn encode(&mut self, filled: usize, last: bool) -> bool {
        let block = &self.input[..filled];
        self.output.clear();
        let encoder: &mut dyn StreamEncoder = match &mut self.encoder {
            Encoder::EightBit => return !block.is_empty(),
            Encoder::Base64(encoder) => encoder,
            Encoder::QuotedPrintable(encoder) => encoder,
        };
        encoder.encode(block, &mut self.output);
        if last {
            encoder.finish(&mut self.output);
        }
        !self.output.is_empty()
    }

    /// `"<path>: <system message>"`, as Lua's `io.open` words it.
    fn describe(&self, error: &io::Error) -> String {
        format!("{}: {}", self.path, system_message(error))
    }
}

impl ChunkSource for FileSource {
    /// Known for base64, from the file's size now; unknown once reading
    /// has begun, and for quoted-printable and 8bit, whose line ends DATA
    /// may yet change.
    fn size(&self) -> Option<u64> {
        match (&self.state, &self.encoder) {
            (State::Unopened, Encoder::Base64(_)) => {
                Some(encoded_size(std::fs::metadata(&self.path).ok()?.len()))
            }
            _ => None,
        }
    }

    /// The next encoded chunk, never empty; `Ok(None)` at the end, and
    /// `Err("<path>: <system message>")` when the file cannot be opened or
    /// read.
    fn next_chunk(&mut self) -> Result<Option<&[u8]>, String> {
        let filled = loop {
            let file = match &mut self.state {
                State::Unopened => {
                    self.state = match File::open(&self.path) {
                        Ok(file) => State::Reading(file),
                        Err(error) => State::Failed(self.describe(&error)),
                    };
                    continue;
                }
                State::Reading(file) => file,
                State::Ended => return Ok(None),
                State::Failed(message) => return Err(message.clone()),
            };
            self.input.resize(BLOCK, 0);
            let filled = match fill(file, &mut self.input) {
                Ok(filled) => filled,
                Err(error) => {
                    self.state = State::Failed(self.describe(&error));
                    continue;
                }
            };
            // Blocks are filled whole until the file ends: a short one is
            // the last, and the file can be closed now.
            let last = filled < BLOCK;
            if last {
                self.state = State::Ended;
            }
            // A block may encode to nothing yet (quoted-printable holding
            // back a trailing space, say): read on rather than hand out "".
            if self.encode(filled, last) {
                break filled;
            }
        };
        Ok(Some(match self.encoder {
            Encoder::EightBit => &self.input[..filled],
            _ => &self.output,
        }))
    }
}

/// Reads until `block` is full or the file ends; the bytes read.
fn fill(file: &mut File, block: &mut [u8]) -> io::Result<usize> {
    let mut filled = 0;
    while filled < block.len() {
        match file.read(&mut block[filled..]) {
            Ok(0) => break,
            Ok(read) => filled += read,
            Err(error) if error.kind() == io::ErrorKind::Interrupted => {}
            Err(error) => return Err(error),
        }
    }
    Ok(filled)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;
    use std::sync::atomic::{AtomicUsize, Ordering};

    /// A fresh path under the system's temporary directory, removed (with
    /// whatever is there) when dropped.
    struct TempPath(PathBuf);

    impl TempPath {
        fn new() -> TempPath {
            static NEXT: AtomicUsize = AtomicUsize::new(0);
            let name = format!(
                "luasmtp-attachment-{}-{}",
                std::process::id(),
                NEXT.fetch_add(1, Ordering::Relaxed)
            );
            TempPath(std::env::temp_dir().join(name))
        }

        fn with_bytes(bytes: &[u8]) -> TempPath {
            let path = TempPath::new();
            std::fs::write(&path.0, bytes).unwrap();
            path
        }

        fn text(&self) -> &str {
            self.0.to_str().unwrap()
        }
    }

    impl Drop for TempPath {
        fn drop(&mut self) {
            let _ = std::fs::remove_file(&self.0).or_else(|_| std::fs::remove_dir(&self.0));
        }
    }

    /// Every chunk, checking that none is empty, then the end.
    fn chunks(source: &mut FileSource) -> Result<Vec<Vec<u8>>, String> {
        let mut chunks = Vec::new();
        while let Some(chunk) = source.next_chunk()? {
            assert!(!chunk.is_empty());
            chunks.push(chunk.to_vec());
        }
        Ok(chunks)
    }

    fn pulled(bytes: &[u8], encoding: Encoding) -> Vec<Vec<u8>> {
        let file = TempPath::with_bytes(bytes);
        chunks(&mut FileSource::open(file.text(), encoding)).unwrap()
    }

    #[expect(
        clippy::cast_possible_truncation,
        reason = "test data: the low byte is wanted"
    )]
    fn bytes(length: usize) -> Vec<u8> {
        (0..length).map(|i| (i * 7919 + i / 251) as u8).collect()
    }

    #[test]
    fn eight_bit_chunks_are_the_file_in_blocks() {
        let data = bytes(2 * BLOCK + 10);
        let chunks = pulled(&data, Encoding::EightBit);
        assert_eq!(chunks.len(), 3);
        assert_eq!(chunks.concat(), data);
    }

    /// What `encoder` makes of `data` in one piece.
    fn one_shot(mut encoder: impl StreamEncoder, data: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        encoder.encode(data, &mut out);
        encoder.finish(&mut out);
        out
    }

    #[test]
    fn base64_blocks_join_as_one_encoding() {
        let data = bytes(3 * BLOCK + 100);
        let chunks = pulled(&data, Encoding::Base64);
        assert_eq!(chunks.len(), 4);
        assert_eq!(chunks.concat(), one_shot(Base64Lines::default(), &data));
    }

    #[test]
    fn quoted_printable_blocks_join_as_one_encoding() {
        let data = bytes(BLOCK + 3);
        let chunks = pulled(&data, Encoding::QuotedPrintable);
        assert_eq!(chunks.len(), 2);
        assert_eq!(chunks.concat(), one_shot(QuotedPrintable::default(), &data));
    }

    #[test]
    fn held_back_bytes_are_not_handed_out_as_an_empty_chunk() {
        assert_eq!(
            pulled(b" ", Encoding::QuotedPrintable),
            vec![b"=20=\r\n".to_vec()]
        );
    }

    #[test]
    fn an_empty_file_ends_at_once_and_stays_ended() {
        for encoding in [
            Encoding::Base64,
            Encoding::QuotedPrintable,
            Encoding::EightBit,
        ] {
            let file = TempPath::with_bytes(b"");
            let mut source = FileSource::open(file.text(), encoding);
            assert_eq!(source.next_chunk(), Ok(None));
            assert_eq!(source.next_chunk(), Ok(None));
        }
    }

    #[test]
    fn a_missing_file_fails_at_every_pull_as_io_open_words_it() {
        let missing = TempPath::new();
        let mut source = FileSource::open(missing.text(), Encoding::Base64);
        let message = format!("{}: No such file or directory", missing.text());
        assert_eq!(source.next_chunk(), Err(message.clone()));
        assert_eq!(source.next_chunk(), Err(message));
    }

    #[test]
    fn the_file_is_opened_at_the_first_pull() {
        let later = TempPath::new();
        let mut source = FileSource::open(later.text(), Encoding::EightBit);
        std::fs::write(&later.0, b"written after").unwrap();
        assert_eq!(source.next_chunk(), Ok(Some(&b"written after"[..])));
        assert_eq!(source.next_chunk(), Ok(None));
    }

    #[test]
    fn a_read_error_names_the_path() {
        let directory = TempPath::new();
        std::fs::create_dir(&directory.0).unwrap();
        let mut source = FileSource::open(directory.text(), Encoding::QuotedPrintable);
        let message = format!("{}: Is a directory", directory.text());
        assert_eq!(source.next_chunk(), Err(message.clone()));
        assert_eq!(source.next_chunk(), Err(message));
    }

    #[test]
    fn errors_without_an_errno_keep_std_words() {
        let mut source = FileSource::open("a\0b", Encoding::EightBit);
        assert_eq!(
            source.next_chunk(),
            Err("a\0b: file name contained an unexpected NUL byte".to_string())
        );
    }
}
