//! DKIM signing (RFC 6376, and RFC 8463 for Ed25519) over the exact bytes
//! DATA sends: line ends normalised to CRLF, before dots are stuffed.
//!
//! A [`Signer`] holds checked settings and the key; a [`MessageSigning`]
//! takes one message's bytes in chunks and gives its DKIM-Signature field
//! at the end, having kept only the header section. A message that can be
//! read twice (one made of strings and files) is written once to find the
//! field, then sent after it; any other must be held meanwhile (see
//! [`crate::spool`]).
//!
//! ring does the hashing and the RSA and Ed25519 signatures; the
//! canonicalisation is here, in `canonicalization` and `body_hash`.

mod body_hash;
mod canonicalization;
mod header_section;
mod key;
mod line_ends;
mod message;
mod signature_field;
mod signer;

pub use canonicalization::{Canonicalization, Mode};
pub use key::{Algorithm, SigningKey};
pub use message::{MessageSigning, Signature};
pub use signer::{BadField, KeySource, Settings, Signer, DEFAULT_FIELDS, OVERSIGNED_FIELDS};
