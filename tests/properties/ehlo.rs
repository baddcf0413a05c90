//! What EHLO offers: LuaSocket's AUTH pattern, and keywords and their
//! parameters in any case.

use proptest::prelude::*;

use crate::generators::text;
use crate::oracle::ehlo::{check_extensions, WORDS};

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1024))]

    #[test]
    fn extensions_agree_with_the_references(ext in text(WORDS, 12), more in text(WORDS, 4)) {
        check_extensions(&ext, &more);
    }
}
