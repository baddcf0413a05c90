//! TLS through rustls: which certificates to trust, how failures read, and
//! the record framing that lets a `create()` socket carry TLS.

pub mod config;
pub mod errors;
pub mod records;
mod unverified;
