//! The native driver: Rust does the I/O for a session with socket2.

pub mod connection;
pub mod resolve;
