//! A part's header fields: lowercase names, values as given.

use std::collections::BTreeMap;

use super::canonic::canonic;
use super::field_order::sort_key;
use super::field_syntax::{check_field, InvalidField};

/// Lowercases the names of `(name, value)` pairs as LuaSocket does, keeping one
/// value per lowercase name.
///
/// When several names differ only in case (`Subject` and `subject`), LuaSocket
/// keeps whichever `pairs()` visits last, which varies between runs. Here the
/// pairs are applied in byte order of their original names and the last one
/// wins, so the all-lowercase spelling, which sorts last, always wins.
pub fn lowercase_names<V>(mut pairs: Vec<(Vec<u8>, V)>) -> Vec<(Vec<u8>, V)> {
    pairs.sort_by(|a, b| a.0.cmp(&b.0));
    let lowered: BTreeMap<Vec<u8>, V> = pairs
        .into_iter()
        .map(|(name, value)| (name.to_ascii_lowercase(), value))
        .collect();
    lowered.into_iter().collect()
}

/// Header fields keyed by lowercase name, one value each.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HeaderFields {
    fields: Vec<(Vec<u8>, Vec<u8>)>,
}

impl HeaderFields {
    /// Fields from pairs whose names are already lowercase and distinct, as
    /// [`lowercase_names`] returns them.
    pub fn from_lowercase(fields: Vec<(Vec<u8>, Vec<u8>)>) -> Self {
        HeaderFields { fields }
    }

    pub fn get(&self, name: &[u8]) -> Option<&[u8]> {
        self.fields
            .iter()
            .find(|(known, _)| known == name)
            .map(|(_, value)| value.as_slice())
    }

    pub fn set(&mut self, name: &[u8], value: Vec<u8>) {
        match self.fields.iter_mut().find(|(known, _)| known == name) {
            Some(slot) => slot.1 = value,
            None => self.fields.push((name.to_vec(), value)),
        }
    }

    /// The `(name, value)` pairs, in the order they were set.
    pub fn fields(&self) -> impl Iterator<Item = (&[u8], &[u8])> {
        self.fields
            .iter()
            .map(|(name, value)| (name.as_slice(), value.as_slice()))
    }

    pub fn remove(&mut self, name: &[u8]) {
        self.fields.retain(|(known, _)| known != name);
    }

    /// Writes `Name: value\r\n` for each field, in the conventional order, and
    /// the blank line that ends the block; or, if a field's name or value
    /// could break out of it, nothing and the first such field.
    pub fn write_block(&self, out: &mut Vec<u8>) -> Result<(), InvalidField> {
        for (name, value) in &self.fields {
            check_field(name, value)?;
        }
        let mut ordered: Vec<&(Vec<u8>, Vec<u8>)> = self.fields.iter().collect();
        ordered.sort_by(|a, b| sort_key(&a.0).cmp(&sort_key(&b.0)));
        for (name, value) in ordered {
            match canonic(name) {
                Some(spelled) => out.extend_from_slice(spelled.as_bytes()),
                None => out.extend_from_slice(name),
            }
            out.extend_from_slice(b": ");
            out.extend_from_slice(value);
            out.extend_from_slice(b"\r\n");
        }
        out.extend_from_slice(b"\r\n");
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pair(name: &str, value: &str) -> (Vec<u8>, Vec<u8>) {
        (name.as_bytes().to_vec(), value.as_bytes().to_vec())
    }

    #[test]
    fn names_are_lowercased() {
        let lowered = lowercase_names(vec![pair("Content-TYPE", "text/html")]);
        assert_eq!(lowered, vec![pair("content-type", "text/html")]);
    }

    #[test]
    fn the_lowercase_spelling_wins_whatever_the_input_order() {
        let spellings = [
            pair("subject", "c"),
            pair("SUBJECT", "a"),
            pair("Subject", "b"),
        ];
        for rotation in 0..spellings.len() {
            let mut pairs = spellings.to_vec();
            pairs.rotate_left(rotation);
            assert_eq!(lowercase_names(pairs), vec![pair("subject", "c")]);
        }
    }

    #[test]
    fn block_uses_canonic_names_the_conventional_order_and_a_blank_line() {
        let fields = HeaderFields::from_lowercase(vec![
            pair("x-priority", "1"),
            pair("mime-version", "1.0"),
            pair("subject", "Hi"),
            pair("from", "a@example.com"),
        ]);
        let mut block = Vec::new();
        fields.write_block(&mut block).unwrap();
        assert_eq!(
            String::from_utf8(block).unwrap(),
            "From: a@example.com\r\nSubject: Hi\r\nMIME-Version: 1.0\r\nx-priority: 1\r\n\r\n"
        );
    }

    #[test]
    fn values_go_out_byte_for_byte() {
        let fields =
            HeaderFields::from_lowercase(vec![(b"subject".to_vec(), b"\xff\x00 x".to_vec())]);
        let mut block = Vec::new();
        fields.write_block(&mut block).unwrap();
        assert_eq!(block, b"Subject: \xff\x00 x\r\n\r\n");
    }

    #[test]
    fn a_field_that_would_break_out_is_refused_and_nothing_written() {
        let fields = HeaderFields::from_lowercase(vec![
            pair("from", "a@example.com"),
            pair("subject", "hi\r\nbcc: x@example.com"),
        ]);
        let mut block = Vec::new();
        assert_eq!(
            fields.write_block(&mut block),
            Err(InvalidField::Value(b"subject".to_vec()))
        );
        assert!(block.is_empty());
    }

    #[test]
    fn set_replaces_or_adds_and_remove_removes() {
        let mut fields = HeaderFields::from_lowercase(vec![pair("to", "a")]);
        fields.set(b"to", b"b".to_vec());
        fields.set(b"cc", b"c".to_vec());
        assert_eq!(fields.get(b"to"), Some(&b"b"[..]));
        assert_eq!(fields.get(b"cc"), Some(&b"c"[..]));
        assert_eq!(fields.get(b"bcc"), None);
        fields.remove(b"to");
        assert_eq!(fields.get(b"to"), None);
        assert_eq!(fields.get(b"cc"), Some(&b"c"[..]));
    }

    #[test]
    fn empty_block_is_just_the_blank_line() {
        let mut block = Vec::new();
        HeaderFields::default().write_block(&mut block).unwrap();
        assert_eq!(block, b"\r\n");
    }
}
