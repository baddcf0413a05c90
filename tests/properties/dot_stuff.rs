//! The DATA stuffer: unstuffed, its output is the input with CRLF line ends,
//! whatever the chunks; the data never ends before the terminator.

use proptest::prelude::*;

use crate::generators::text;
use crate::oracle::data::{
    assert_ends_only_at_terminator, check_stuffing, normalise, unstuff, PIECES,
};

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1024))]

    #[test]
    fn stuffing_round_trips_and_never_ends_the_data_early(
        data in text(PIECES, 24),
        cuts in prop::collection::vec(0usize..64, 0..6),
    ) {
        check_stuffing(&data, &cuts);
    }
}

#[test]
fn the_references_read_data_as_a_server_does() {
    assert_eq!(normalise(b"a\rb\nc\r\n\r\r"), b"a\r\nb\r\nc\r\n\r\n\r\n");
    assert_eq!(unstuff(b"..a\r\n.b\r\nc.\r\n.\n."), b".a\r\nb\r\nc.\r\n\n.");
}

#[test]
#[should_panic(expected = "the data ends early")]
fn a_terminator_inside_the_data_is_caught() {
    assert_ends_only_at_terminator(b"a\r\n.\r\nb\r\n");
}

#[test]
#[should_panic(expected = "the data ends early")]
fn a_lone_dot_as_the_first_line_is_caught() {
    assert_ends_only_at_terminator(b".\r\nb");
}

#[test]
#[should_panic(expected = "bare CR or LF")]
fn a_bare_line_feed_is_caught() {
    assert_ends_only_at_terminator(b"a\n.\n");
}
