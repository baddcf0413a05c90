//! Multipart boundaries.
//!
//! Each boundary is unique in the process (a counter) and unpredictable to
//! whoever writes the message content (SipHash under a random per-process key
//! from the standard library), so a body cannot be crafted to contain it.
//! The `=_` prefix cannot occur in base64 or quoted-printable text.

use std::collections::hash_map::RandomState;
use std::hash::BuildHasher;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::OnceLock;

static KEY: OnceLock<RandomState> = OnceLock::new();
static COUNTER: AtomicU64 = AtomicU64::new(0);

/// A fresh boundary, such as `=_luasmtp_1f0c...e9_7`.
pub fn new_boundary() -> String {
    let key = KEY.get_or_init(RandomState::new);
    let sequence = COUNTER.fetch_add(1, Ordering::Relaxed);
    let high = key.hash_one((sequence, 0u8));
    let low = key.hash_one((sequence, 1u8));
    format!("=_luasmtp_{high:016x}{low:016x}_{sequence}")
}

#[cfg(test)]
mod tests {
    use super::new_boundary;
    use std::collections::HashSet;

    #[test]
    fn boundaries_are_distinct() {
        let seen: HashSet<String> = (0..10_000).map(|_| new_boundary()).collect();
        assert_eq!(seen.len(), 10_000);
    }

    #[test]
    fn boundaries_are_valid_rfc_2046_boundaries() {
        let boundary = new_boundary();
        assert!(boundary.len() <= 70, "{boundary}");
        let allowed = |c: char| c.is_ascii_alphanumeric() || "'()+_,-./:=?".contains(c);
        assert!(boundary.chars().all(allowed), "{boundary}");
    }
}
