//! xtext: whatever the bytes, the encoding is xtext and decodes back to
//! them.

use proptest::prelude::*;

use crate::oracle::xtext::{check_round_trip, decode};

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1024))]

    #[test]
    fn encoding_round_trips_through_the_reference(bytes in prop::collection::vec(any::<u8>(), 0..64)) {
        check_round_trip(&bytes);
    }
}

#[test]
fn the_reference_refuses_what_is_not_xtext() {
    assert_eq!(decode(b"a+2Bb+3D"), Some(b"a+b=".to_vec()));
    assert_eq!(decode(b"a b"), None);
    assert_eq!(decode(b"a=b"), None);
    assert_eq!(decode(b"+2b"), None);
    assert_eq!(decode(b"+2"), None);
    assert_eq!(decode(b"+-1"), None);
    assert_eq!(decode("é".as_bytes()), None);
}
