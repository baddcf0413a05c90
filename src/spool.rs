//! Bytes held until they can be sent: in memory up to a bound, beyond it
//! in a temporary file. The file's name is removed as soon as it is made,
//! so the file goes when the spool is dropped, however its use ends (the
//! end, an error, a Lua source collected), and no other process can open
//! it meanwhile.

use std::fs::{File, OpenOptions};
use std::io::{self, BufWriter, Read, Seek, SeekFrom, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::PathBuf;

use crate::compose::message_id::random_left_part;

/// What the spool reads back at a time.
const CHUNK: usize = 64 * 1024;

#[derive(Debug)]
pub struct Spool {
    memory: Vec<u8>,
    limit: usize,
    file: Option<BufWriter<File>>,
    /// Where the file would be made: the system's temporary directory.
    directory: PathBuf,
}

impl Spool {
    /// Holds up to `limit` bytes in memory, the rest in a file made in
    /// `directory`.
    pub fn new(limit: usize, directory: PathBuf) -> Self {
        Spool {
            memory: Vec::new(),
            limit,
            file: None,
            directory,
        }
    }

    pub fn write(&mut self, bytes: &[u8]) -> io::Result<()> {
        if self.file.is_none() && self.memory.len() + bytes.len() <= self.limit {
            self.memory.extend_from_slice(bytes);
            return Ok(());
        }
        let file = match &mut self.file {
            Some(file) => file,
            None => {
                let mut file = BufWriter::with_capacity(CHUNK, nameless_file(&self.directory)?);
                file.write_all(&self.memory)?;
                self.memory = Vec::new();
                self.file.insert(file)
            }
        };
        file.write_all(bytes)
    }

    /// The bytes written, to read back from the start.
    pub fn into_reader(self) -> io::Result<SpoolReader> {
        let file = match self.file {
            None => None,
            Some(file) => {
                let mut file = file.into_inner().map_err(io::IntoInnerError::into_error)?;
                file.seek(SeekFrom::Start(0))?;
                Some(file)
            }
        };
        Ok(SpoolReader {
            memory: self.memory,
            read: 0,
            file,
            buffer: Vec::new(),
        })
    }
}

/// A file in `directory` that only this handle reaches: made with a random
/// name no other file has, readable by its owner only, then unlinked.
fn nameless_file(directory: &std::path::Path) -> io::Result<File> {
    let name = random_left_part().map_err(io::Error::other)?;
    let path = directory.join(format!("luasmtp-spool-{name}"));
    let file = OpenOptions::new()
        .read(true)
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&path)?;
    std::fs::remove_file(&path)?;
    Ok(file)
}

/// The spool's bytes in chunks of up to 64 KB.
#[derive(Debug)]
pub struct SpoolReader {
    memory: Vec<u8>,
    read: usize,
    file: Option<File>,
    buffer: Vec<u8>,
}

impl SpoolReader {
    /// The next chunk, never empty; `None` at the end.
    pub fn next_chunk(&mut self) -> io::Result<Option<&[u8]>> {
        let Some(file) = &mut self.file else {
            let chunk = &self.memory[self.read..(self.read + CHUNK).min(self.memory.len())];
            self.read += chunk.len();
            return Ok(Some(chunk).filter(|chunk| !chunk.is_empty()));
        };
        self.buffer.resize(CHUNK, 0);
        let length = loop {
            match file.read(&mut self.buffer) {
                Err(error) if error.kind() == io::ErrorKind::Interrupted => {}
                result => break result?,
            }
        };
        Ok(Some(&self.buffer[..length]).filter(|chunk| !chunk.is_empty()))
    }
}

#[cfg(test)]
mod tests {
    use std::os::unix::fs::MetadataExt;

    use super::*;

    fn read_back(spool: Spool) -> Vec<u8> {
        let mut reader = spool.into_reader().unwrap();
        let mut out = Vec::new();
        while let Some(chunk) = reader.next_chunk().unwrap() {
            assert!(chunk.len() <= CHUNK);
            out.extend_from_slice(chunk);
        }
        out
    }

    #[test]
    fn small_data_stays_in_memory() {
        let mut spool = Spool::new(10, "/nonexistent".into());
        spool.write(b"hello").unwrap();
        spool.write(b"world").unwrap();
        assert_eq!(read_back(spool), b"helloworld");
    }

    #[test]
    fn data_past_the_limit_goes_to_a_file_with_no_name() {
        let data: Vec<u8> = (0..200_000u32).map(|i| i.to_le_bytes()[0]).collect();
        let mut spool = Spool::new(1000, std::env::temp_dir());
        for piece in data.chunks(777) {
            spool.write(piece).unwrap();
        }
        let file = spool.file.as_ref().unwrap().get_ref();
        assert_eq!(file.metadata().unwrap().nlink(), 0, "the file has a name");
        assert!(spool.memory.capacity() == 0);
        assert_eq!(read_back(spool), data);
    }

    #[test]
    fn a_directory_that_cannot_hold_the_file_is_an_error() {
        let mut spool = Spool::new(1, "/nonexistent".into());
        assert!(spool.write(b"ab").is_err());
    }
}
