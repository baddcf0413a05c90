//! Byte strings joined from a vocabulary and arbitrary bytes, so that line
//! ends, dots, folds and keywords come up far more often than by chance.

use proptest::prelude::*;
use proptest::sample::select;

/// Up to `pieces` pieces, each from `vocabulary`, a few arbitrary bytes, or
/// a few letters, digits and spaces.
pub fn text(
    vocabulary: &'static [&'static [u8]],
    pieces: usize,
) -> impl Strategy<Value = Vec<u8>> + Clone {
    let piece = prop_oneof![
        3 => select(vocabulary).prop_map(<[u8]>::to_vec),
        1 => prop::collection::vec(any::<u8>(), 1..4),
        1 => "[a-zA-Z0-9 ]{1,6}".prop_map(String::into_bytes),
    ];
    prop::collection::vec(piece, 0..=pieces).prop_map(|pieces| pieces.concat())
}
