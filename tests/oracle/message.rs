//! Message generation checked from the receiving server's side: a tree is
//! composed, sent through the DATA stuffer and unstuffed again, and every
//! header block in what arrives must hold exactly the fields the tree gave.

use std::collections::HashSet;

use luasmtp::message::field_syntax::InvalidField;
use luasmtp::message::fields::{lowercase_names, HeaderFields};
use luasmtp::message::layout::{lay_out, Segment};
use luasmtp::message::tree::{Body, Multipart, Part};
use luasmtp::protocol::dot_stuff::DotStuffer;

use super::data::{assert_ends_only_at_terminator, normalise, unstuff};

/// Header names for generators to pick from besides arbitrary bytes: ones
/// compose treats specially, case variants, and a leading "." to stuff.
pub const NAMES: &[&[u8]] = &[
    b"subject",
    b"Subject",
    b"SUBJECT",
    b"to",
    b"from",
    b"cc",
    b"bcc",
    b"BCC",
    b"content-type",
    b"Content-Type",
    b"content-id",
    b"x-mailer",
    b".",
    b".x",
    b"x",
];

/// A header field: name and value.
type Field = (Vec<u8>, Vec<u8>);

/// The content types compose gives a part that names none.
const LEAF_TYPE: &[u8] = b"text/plain; charset=\"iso-8859-1\"";
const MULTIPART_TYPE: &[u8] = b"multipart/mixed";

#[derive(Debug, Clone)]
pub struct PartSpec {
    /// Names as a script spells them, in any case.
    pub headers: Vec<Field>,
    pub body: BodySpec,
}

#[derive(Debug, Clone)]
pub enum BodySpec {
    Empty,
    Leaf(Vec<u8>),
    Multipart {
        preamble: Option<Vec<u8>>,
        parts: Vec<PartSpec>,
        epilogue: Option<Vec<u8>>,
    },
}

/// Composes `root`; if that fails, the field named must be one a reference
/// reading of the field syntax refuses, and if it succeeds there must be
/// none. What arrives has its header blocks checked by `check_part`.
pub fn check_layout(root: &PartSpec) {
    // Boundaries hold a run of "z" longer than any in the tree, so no
    // line of a body, preamble or field can pass for one.
    let mut longest_z = 0;
    visit_bytes(root, &mut |bytes| {
        for run in bytes.split(|&byte| byte != b'z') {
            longest_z = longest_z.max(run.len());
        }
    });
    let mut generated = Vec::new();
    let composed = lay_out(tree(root), &mut || {
        let boundary = format!("b{}{}", generated.len(), "z".repeat(longest_z + 1));
        generated.push(boundary.clone());
        boundary
    });
    let mut refused = Vec::new();
    refused_fields(root, &mut refused);
    let segments = match composed {
        Err(field) => {
            assert!(
                refused.contains(&field),
                "{field:?} refused, not one of {refused:?}"
            );
            return;
        }
        Ok(segments) => {
            assert!(refused.is_empty(), "written although {refused:?} cannot be");
            segments
        }
    };
    let mut stuffer = DotStuffer::default();
    let mut stuffed = Vec::new();
    for segment in &segments {
        match segment {
            Segment::Bytes(bytes) | Segment::Leaf(bytes) => stuffer.stuff(bytes, &mut stuffed),
        }
    }
    stuffer.finish(&mut stuffed);
    assert_ends_only_at_terminator(&stuffed);
    let arrived = unstuff(&stuffed);
    let mut unused: HashSet<&str> = generated.iter().map(String::as_str).collect();
    check_part(root, &arrived, 0, &mut unused);
}

/// Checks the header block that starts at `at` against `part`: every line
/// is "Name: value" for a field the part gave (or compose's content type)
/// or a continuation of the one before; each field once, its value the
/// given one with line ends made CRLF; the block ends at the first empty
/// line. A leaf body follows the block unchanged but for line ends. A
/// multipart's content type ends with a boundary compose asked for, and
/// after each of as many "--boundary" lines as it has parts the next part's
/// block starts; one "--boundary--" line comes after them.
fn check_part(part: &PartSpec, arrived: &[u8], at: usize, unused: &mut HashSet<&str>) {
    let (mut found, end) = header_block(arrived, at);
    let mut expected: Vec<Field> = written_fields(part)
        .into_iter()
        .map(|(name, value)| (name, normalise(&value)))
        .collect();
    match &part.body {
        BodySpec::Empty => {}
        BodySpec::Leaf(body) => assert!(
            arrived[end..].starts_with(&normalise(body)),
            "the body does not follow the header block at {at} of \"{}\"",
            arrived.escape_ascii()
        ),
        BodySpec::Multipart { parts, .. } => {
            let boundary = take_boundary(&mut found);
            assert!(
                unused.remove(boundary.as_str()),
                "boundary {boundary:?} not asked for, or used twice"
            );
            let opener = format!("--{boundary}");
            let closer = format!("--{boundary}--");
            let mut starts = Vec::new();
            let mut closers = 0;
            let mut line_start = end;
            for line in arrived[end..].split(|&byte| byte == b'\n') {
                line_start += line.len() + 1;
                let line = line.strip_suffix(b"\r").unwrap_or(line);
                if line == opener.as_bytes() {
                    assert_eq!(closers, 0, "a part after the closing boundary");
                    starts.push(line_start);
                } else if line == closer.as_bytes() {
                    closers += 1;
                }
            }
            assert_eq!(starts.len(), parts.len(), "parts behind {opener:?}");
            assert_eq!(closers, 1, "closing lines {closer:?}");
            for (part, start) in parts.iter().zip(starts) {
                check_part(part, arrived, start, unused);
            }
        }
    }
    found.sort();
    expected.sort();
    assert_eq!(
        found,
        expected,
        "the header block at {at} of \"{}\" (lowercase names)",
        arrived.escape_ascii()
    );
}

/// The fields of the header block at `at`, lowercase names and values with
/// their folds, and where the block's empty line ends.
fn header_block(arrived: &[u8], mut at: usize) -> (Vec<Field>, usize) {
    let mut fields: Vec<Field> = Vec::new();
    loop {
        let length = arrived[at..]
            .windows(2)
            .position(|pair| pair == b"\r\n")
            .unwrap_or_else(|| {
                panic!(
                    "the header block at {at} never ends: \"{}\"",
                    arrived.escape_ascii()
                )
            });
        let line = &arrived[at..at + length];
        at += length + 2;
        match line.first() {
            None => return (fields, at),
            Some(b' ' | b'\t') => {
                let (_, value) = fields.last_mut().unwrap_or_else(|| {
                    panic!(
                        "a continuation opens the block: \"{}\"",
                        line.escape_ascii()
                    )
                });
                value.extend_from_slice(b"\r\n");
                value.extend_from_slice(line);
            }
            Some(_) => {
                let colon = line
                    .iter()
                    .position(|&byte| byte == b':')
                    .unwrap_or_else(|| {
                        panic!(
                            "neither a field nor a continuation: \"{}\"",
                            line.escape_ascii()
                        )
                    });
                let value = line[colon + 1..].strip_prefix(b" ").unwrap_or_else(|| {
                    panic!("no space after the colon: \"{}\"", line.escape_ascii())
                });
                fields.push((line[..colon].to_ascii_lowercase(), value.to_vec()));
            }
        }
    }
}

/// Removes `; boundary="<boundary>"` from the end of the content type in
/// `found` and returns the boundary.
fn take_boundary(found: &mut [Field]) -> String {
    const PARAMETER: &[u8] = b"; boundary=\"";
    let (_, value) = found
        .iter_mut()
        .find(|(name, _)| name == b"content-type")
        .expect("a multipart has a content type");
    let from = value
        .windows(PARAMETER.len())
        .rposition(|window| window == PARAMETER)
        .unwrap_or_else(|| panic!("no boundary parameter in \"{}\"", value.escape_ascii()));
    let quoted = value.split_off(from)[PARAMETER.len()..].to_vec();
    let boundary = quoted
        .strip_suffix(b"\"")
        .unwrap_or_else(|| panic!("an unquoted boundary \"{}\"", quoted.escape_ascii()));
    String::from_utf8(boundary.to_vec()).expect("boundaries are ASCII")
}

/// The fields a part must be written with, lowercase names, values as
/// given: a multipart's content type is without its boundary.
fn written_fields(part: &PartSpec) -> Vec<Field> {
    let mut fields = lowercase_names(part.headers.clone());
    fields.retain(|(name, _)| name != b"bcc");
    if !fields.iter().any(|(name, _)| name == b"content-type") {
        let default = match part.body {
            BodySpec::Multipart { .. } => MULTIPART_TYPE,
            _ => LEAF_TYPE,
        };
        fields.push((b"content-type".to_vec(), default.to_vec()));
    }
    fields
}

/// The fields of the whole tree that cannot be written: a name that is not
/// printable ASCII without ":", or a value in which, once its line ends are
/// CRLF, a line after the first does not start with a blank or holds
/// nothing else. A multipart's content type is judged with a boundary.
fn refused_fields(part: &PartSpec, refused: &mut Vec<InvalidField>) {
    let multipart = matches!(part.body, BodySpec::Multipart { .. });
    for (name, mut value) in written_fields(part) {
        if multipart && name == b"content-type" {
            value.extend_from_slice(b"; boundary=\"b\"");
        }
        let name_ok = !name.is_empty() && name.iter().all(|&b| b.is_ascii_graphic() && b != b':');
        let normalised = normalise(&value);
        let value_ok = normalised.split(|&byte| byte == b'\n').skip(1).all(|line| {
            let line = line.strip_suffix(b"\r").unwrap_or(line);
            matches!(line.first(), Some(b' ' | b'\t'))
                && line.iter().any(|&byte| byte != b' ' && byte != b'\t')
        });
        if !name_ok {
            refused.push(InvalidField::Name(name));
        } else if !value_ok {
            refused.push(InvalidField::Value(name));
        }
    }
    if let BodySpec::Multipart { parts, .. } = &part.body {
        for part in parts {
            refused_fields(part, refused);
        }
    }
}

/// The tree compose takes.
fn tree(spec: &PartSpec) -> Part<Vec<u8>> {
    Part {
        headers: HeaderFields::from_lowercase(lowercase_names(spec.headers.clone())),
        body: match &spec.body {
            BodySpec::Empty => Body::Empty,
            BodySpec::Leaf(bytes) => Body::Leaf(bytes.clone()),
            BodySpec::Multipart {
                preamble,
                parts,
                epilogue,
            } => Body::Multipart(Multipart {
                preamble: preamble.clone(),
                parts: parts.iter().map(tree).collect(),
                epilogue: epilogue.clone(),
            }),
        },
    }
}

/// Calls `f` on every byte string in the tree.
fn visit_bytes(spec: &PartSpec, f: &mut dyn FnMut(&[u8])) {
    for (name, value) in &spec.headers {
        f(name);
        f(value);
    }
    match &spec.body {
        BodySpec::Empty => {}
        BodySpec::Leaf(bytes) => f(bytes),
        BodySpec::Multipart {
            preamble,
            parts,
            epilogue,
        } => {
            for bytes in preamble.iter().chain(epilogue) {
                f(bytes);
            }
            for part in parts {
                visit_bytes(part, f);
            }
        }
    }
}
