//! The DKIM signer: whatever the chunks, the same DKIM-Signature field,
//! the data given back normalised as DATA sends it, and the body hash of
//! the reference canonicalisations.

use proptest::prelude::*;

use crate::generators::text;
use crate::oracle::data::PIECES;
use crate::oracle::dkim::{canonical_body, check_signing};

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn chunks_change_nothing_and_the_body_hash_is_the_references(
        header in text(PIECES, 6),
        body in text(PIECES, 24),
        cuts in prop::collection::vec(0usize..96, 0..6),
    ) {
        let data = [&b"From: a@example.com\r\nSubject: s"[..], &header, b"\r\n\r\n", &body].concat();
        check_signing(&data, &cuts);
    }
}

#[test]
fn the_reference_canonicalisations_give_rfc_6376s_example() {
    let body = b" C \r\nD \t E\r\n\r\n\r\n";
    assert_eq!(canonical_body(body, true), b" C\r\nD E\r\n");
    assert_eq!(canonical_body(body, false), b" C \r\nD \t E\r\n");
    assert_eq!(canonical_body(b"", true), b"");
    assert_eq!(canonical_body(b"", false), b"\r\n");
}
