//! Structured inputs for the fuzz targets, turned into what the checks in
//! `tests/oracle/` (shared with the proptest cases) take.

#[path = "../../tests/oracle/mod.rs"]
pub mod oracle;

use arbitrary::Arbitrary;

use oracle::message::{BodySpec, PartSpec, NAMES};
use oracle::reply::Op;

/// A piece of a byte string: line ends, dots, keywords and runs long
/// enough to reach the reply limits come up far more often than in random
/// bytes.
#[derive(Arbitrary, Debug)]
pub enum Piece {
    Bytes(Vec<u8>),
    /// An entry of the vocabulary the string is joined with.
    Word(u8),
    Run {
        byte: u8,
        length: u16,
    },
}

/// `pieces` joined, words taken from `vocabulary`, stopping before `limit`
/// bytes are passed.
pub fn join(pieces: &[Piece], vocabulary: &[&[u8]], limit: usize) -> Vec<u8> {
    let mut out = Vec::new();
    for piece in pieces {
        let room = limit.saturating_sub(out.len());
        match piece {
            Piece::Bytes(bytes) => out.extend_from_slice(&bytes[..bytes.len().min(room)]),
            Piece::Word(index) => {
                let word = vocabulary[usize::from(*index) % vocabulary.len()];
                out.extend_from_slice(&word[..word.len().min(room)]);
            }
            Piece::Run { byte, length } => {
                out.resize(out.len() + usize::from(*length).min(room), *byte)
            }
        }
    }
    out
}

#[derive(Arbitrary, Debug)]
pub enum ReplyStep {
    Push(Vec<Piece>),
    PushLine(Vec<Piece>),
    /// Pushes `line` and an LF `times` times: a few steps reach MAX_REPLY.
    Repeat {
        line: Vec<Piece>,
        times: u8,
    },
    Poll,
    Clear,
}

/// The reader's operations, pushing at most `limit` bytes in all besides
/// the LFs of repeats, and a poll at the end.
pub fn reply_ops(steps: &[ReplyStep], vocabulary: &[&[u8]], limit: usize) -> Vec<Op> {
    let mut left = limit;
    let mut bytes = |pieces: &[Piece], times: usize| {
        let line = join(pieces, vocabulary, left / times.max(1));
        left -= line.len() * times;
        line
    };
    let mut ops: Vec<Op> = steps
        .iter()
        .map(|step| match step {
            ReplyStep::Push(pieces) => Op::Push(bytes(pieces, 1)),
            ReplyStep::PushLine(pieces) => Op::PushLine(bytes(pieces, 1)),
            ReplyStep::Repeat { line, times } => {
                let times = usize::from(*times);
                let line = [bytes(line, times), b"\n".to_vec()].concat();
                Op::Push(line.repeat(times))
            }
            ReplyStep::Poll => Op::Poll,
            ReplyStep::Clear => Op::Clear,
        })
        .collect();
    ops.push(Op::Poll);
    ops
}

#[derive(Arbitrary, Debug)]
pub enum Name {
    /// An entry of `NAMES`.
    Known(u8),
    Bytes(Vec<u8>),
}

#[derive(Arbitrary, Debug)]
pub struct PartInput {
    pub headers: Vec<(Name, Vec<Piece>)>,
    pub body: BodyInput,
}

#[derive(Arbitrary, Debug)]
pub enum BodyInput {
    Empty,
    Leaf(Vec<Piece>),
    Multipart {
        preamble: Option<Vec<Piece>>,
        parts: Vec<PartInput>,
        epilogue: Option<Vec<Piece>>,
    },
}

impl PartInput {
    /// The tree to compose, words from `vocabulary`; multiparts nested
    /// deeper than `depth` are left empty.
    pub fn spec(&self, vocabulary: &[&[u8]], depth: usize) -> PartSpec {
        let text = |pieces: &[Piece]| join(pieces, vocabulary, 1 << 12);
        let headers = self
            .headers
            .iter()
            .map(|(name, value)| {
                let name = match name {
                    Name::Known(index) => NAMES[usize::from(*index) % NAMES.len()].to_vec(),
                    Name::Bytes(bytes) => bytes.clone(),
                };
                (name, text(value))
            })
            .collect();
        let body = match &self.body {
            BodyInput::Empty => BodySpec::Empty,
            BodyInput::Leaf(pieces) => BodySpec::Leaf(text(pieces)),
            BodyInput::Multipart { .. } if depth == 0 => BodySpec::Empty,
            BodyInput::Multipart {
                preamble,
                parts,
                epilogue,
            } => BodySpec::Multipart {
                preamble: preamble.as_deref().map(text),
                parts: parts
                    .iter()
                    .map(|part| part.spec(vocabulary, depth - 1))
                    .collect(),
                epilogue: epilogue.as_deref().map(text),
            },
        };
        PartSpec { headers, body }
    }
}
