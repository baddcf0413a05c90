//! An attachment given as bytes in memory, encoded in base64 a block at a
//! time as it is pulled, so that the encoded copy never exists whole.

use super::base64_lines::{encoded_size, Base64Lines, LINE_INPUT};
use super::{ChunkSource, StreamEncoder};

/// Bytes encoded per chunk: 57 KiB, whole base64 lines.
const BLOCK: usize = LINE_INPUT * 1024;

#[derive(Debug)]
pub struct DataSource {
    data: Vec<u8>,
    /// How much of `data` has been encoded.
    taken: usize,
    encoder: Base64Lines,
    output: Vec<u8>,
}

impl DataSource {
    pub fn base64(data: Vec<u8>) -> DataSource {
        DataSource {
            data,
            taken: 0,
            encoder: Base64Lines::default(),
            output: Vec::new(),
        }
    }
}

impl ChunkSource for DataSource {
    fn next_chunk(&mut self) -> Result<Option<&[u8]>, String> {
        if self.taken == self.data.len() {
            // The bytes are no longer needed once encoded.
            self.data = Vec::new();
            self.taken = 0;
            return Ok(None);
        }
        let end = self.data.len().min(self.taken + BLOCK);
        self.output.clear();
        self.encoder
            .encode(&self.data[self.taken..end], &mut self.output);
        self.taken = end;
        if end == self.data.len() {
            self.encoder.finish(&mut self.output);
        }
        Ok(Some(&self.output))
    }

    fn size(&self) -> Option<u64> {
        (self.taken == 0).then(|| encoded_size(self.data.len() as u64))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::engine::general_purpose::STANDARD;
    use base64::Engine;

    #[test]
    fn its_size_is_known_before_it_is_pulled() {
        for length in [0, 1, 2, 3, 56, 57, 58, 114, 57 * 1024 + 1, 200_000] {
            let mut source = DataSource::base64(vec![7; length]);
            let size = source.size();
            let mut pulled = 0;
            while let Some(chunk) = source.next_chunk().unwrap() {
                pulled += chunk.len() as u64;
            }
            assert_eq!(size, Some(pulled), "{length} bytes");
        }
    }

    #[test]
    fn chunks_join_to_base64_lines_of_the_data() {
        let data: Vec<u8> = (0..200_000u32).map(|i| (i * 7 % 251) as u8).collect();
        let mut source = DataSource::base64(data.clone());
        let mut encoded = Vec::new();
        while let Some(chunk) = source.next_chunk().unwrap() {
            assert!(!chunk.is_empty());
            encoded.extend_from_slice(chunk);
        }
        assert_eq!(source.next_chunk().unwrap(), None);
        let text = String::from_utf8(encoded).unwrap();
        assert!(text.split("\r\n").all(|line| line.len() <= 76));
        assert_eq!(STANDARD.decode(text.replace("\r\n", "")).unwrap(), data);
    }

    #[test]
    fn empty_data_gives_no_chunk() {
        assert_eq!(DataSource::base64(Vec::new()).next_chunk().unwrap(), None);
    }
}
