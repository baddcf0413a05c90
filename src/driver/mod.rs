//! The native driver: Rust does the I/O for a session with socket2. Its
//! timeouts and error words serve the `create` path too.

pub mod connection;
pub mod deadline;
pub mod errors;
pub mod resolve;
