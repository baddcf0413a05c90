//! The native driver: Rust does the I/O for a session with socket2. Its
//! timeouts serve the `create` path too.

pub mod connection;
pub mod deadline;
pub mod resolve;
