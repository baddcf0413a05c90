//! Message generation: what arrives holds, in every header block, exactly
//! the fields the tree gave; a tree with a field that cannot be written is
//! refused as a whole.

use proptest::prelude::*;
use proptest::sample::select;

use crate::generators::text;
use crate::oracle::data::PIECES;
use crate::oracle::message::{check_layout, BodySpec, PartSpec, NAMES};

/// Mostly names that can be written, now and then any bytes.
fn name() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        4 => select(NAMES).prop_map(<[u8]>::to_vec),
        2 => "[!-9;-~]{1,8}".prop_map(String::into_bytes),
        1 => prop::collection::vec(any::<u8>(), 0..4),
    ]
}

/// Mostly printable text with folds (which may still be refused: a fold at
/// the end), now and then any pieces.
fn value() -> impl Strategy<Value = Vec<u8>> {
    let folded = prop::collection::vec(
        prop_oneof![
            3 => "[ -~]{1,8}".prop_map(String::into_bytes),
            1 => select(vec![&b"\r\n "[..], b"\n\t", b"\r "]).prop_map(<[u8]>::to_vec),
        ],
        0..5,
    )
    .prop_map(|pieces| pieces.concat());
    prop_oneof![4 => folded, 1 => text(PIECES, 6)]
}

fn part() -> impl Strategy<Value = PartSpec> {
    let headers = || prop::collection::vec((name(), value()), 0..4);
    let bytes = || text(PIECES, 8);
    let body = prop_oneof![Just(BodySpec::Empty), bytes().prop_map(BodySpec::Leaf)];
    let single = (headers(), body).prop_map(|(headers, body)| PartSpec { headers, body });
    single.prop_recursive(3, 16, 3, move |inner| {
        (
            headers(),
            prop::option::of(bytes()),
            prop::collection::vec(inner, 0..3),
            prop::option::of(bytes()),
        )
            .prop_map(|(headers, preamble, parts, epilogue)| PartSpec {
                headers,
                body: BodySpec::Multipart {
                    preamble,
                    parts,
                    epilogue,
                },
            })
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn header_blocks_hold_exactly_the_given_fields(root in part()) {
        check_layout(&root);
    }
}
