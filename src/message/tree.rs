//! A message as the script described it, before it is written out.
//!
//! `B` is a leaf body as the caller holds it (a Lua string or source at the
//! Lua edge, plain bytes in tests); this module never looks inside one.

use super::fields::HeaderFields;

#[derive(Debug)]
pub struct Part<B> {
    pub headers: HeaderFields,
    pub body: Body<B>,
}

#[derive(Debug)]
pub enum Body<B> {
    /// Headers only.
    Empty,
    /// A single body: text or a stream, opaque here.
    Leaf(B),
    Multipart(Multipart<B>),
}

#[derive(Debug)]
pub struct Multipart<B> {
    pub preamble: Option<Vec<u8>>,
    pub parts: Vec<Part<B>>,
    pub epilogue: Option<Vec<u8>>,
}
