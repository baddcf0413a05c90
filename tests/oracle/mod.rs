//! Independent references and the property checks built on them, shared by
//! the proptest cases (`tests/properties/`) and the cargo-fuzz targets
//! (`fuzz/`, which include this directory with `#[path]`). Every check
//! panics when a property fails.

pub mod data;
pub mod dkim;
pub mod ehlo;
pub mod message;
pub mod reply;
pub mod xtext;
