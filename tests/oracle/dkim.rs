//! DKIM signing: the body canonicalisations of RFC 6376 §3.4.3 and §3.4.4
//! written the plain way, over the whole body at once, and the check that
//! the streaming signer agrees with them whatever the chunks.

use std::sync::Arc;

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine;
use luasmtp::dkim::{KeySource, MessageSigning, Settings, Signer};
use ring::digest::{digest, SHA256};

use super::data::{cut_at, normalise};

/// Made with `openssl genpkey -algorithm ed25519`: Ed25519 signatures are
/// deterministic, so equal inputs give equal fields.
const ED25519_PEM: &str = "-----BEGIN PRIVATE KEY-----
MC4CAQAwBQYDK2VwBCIEIJ6E1l66yd4lBzKgBybKbW0t4A5j4QtxqMfq2sa6PjHL
-----END PRIVATE KEY-----
";

/// The canonical body: split into lines, each made relaxed if asked,
/// the empty lines at the end dropped, every line ended with CRLF; an
/// empty relaxed body stays empty, an empty simple one is one CRLF.
pub fn canonical_body(body: &[u8], relaxed: bool) -> Vec<u8> {
    let mut lines: Vec<Vec<u8>> = body
        .split(|&b| b == b'\n')
        .map(|line| line.strip_suffix(b"\r").unwrap_or(line).to_vec())
        .collect();
    if relaxed {
        for line in &mut lines {
            let mut out = Vec::new();
            for word in line.split(|&b| b == b' ' || b == b'\t') {
                if word.is_empty() {
                    if out.last() != Some(&b' ') {
                        out.push(b' ');
                    }
                } else {
                    if !out.is_empty() && out.last() != Some(&b' ') {
                        out.push(b' ');
                    }
                    out.extend_from_slice(word);
                }
            }
            // Runs of WSP are one space; none at the line's end.
            while out.last() == Some(&b' ') {
                out.pop();
            }
            *line = out;
        }
    }
    while lines.last().is_some_and(Vec::is_empty) {
        lines.pop();
    }
    if lines.is_empty() && !relaxed {
        return b"\r\n".to_vec();
    }
    lines
        .iter()
        .flat_map(|line| [line.as_slice(), b"\r\n"].concat())
        .collect()
}

fn signer(canonicalization: &str) -> Arc<Signer> {
    let settings = Settings {
        domain: "example.com".into(),
        selector: "s".into(),
        key: KeySource::Pem(ED25519_PEM.into()),
        algorithm: None,
        canonicalization: Some(canonicalization.into()),
        headers: None,
        expires: None,
    };
    Arc::new(Signer::new(settings).expect("the settings are good"))
}

/// The field and the bytes given back, for `data` written in the chunks
/// that `cuts` make.
fn sign(data: &[u8], cuts: &[usize], canonicalization: &str) -> (String, Vec<u8>) {
    let mut signing = MessageSigning::new(signer(canonicalization));
    let mut out = Vec::new();
    for chunk in cut_at(data, cuts) {
        out.extend_from_slice(signing.write(chunk));
    }
    let signature = signing.finish(1_700_000_000).expect("the message signs");
    out.extend_from_slice(&signature.tail);
    (signature.field, out)
}

/// The chunks change neither the field nor the bytes; the bytes are the
/// data normalised as DATA does; `bh=` is the hash of the reference
/// canonical body.
pub fn check_signing(data: &[u8], cuts: &[usize]) {
    for canonicalization in ["relaxed/relaxed", "simple/simple"] {
        let (field, out) = sign(data, cuts, canonicalization);
        let (whole_field, _) = sign(data, &[], canonicalization);
        assert_eq!(
            field,
            whole_field,
            "chunks changed the field for \"{}\" cut at {cuts:?}",
            data.escape_ascii()
        );
        let normalised = normalise(data);
        assert_eq!(
            out,
            normalised,
            "the bytes given back are not the normalised \"{}\"",
            data.escape_ascii()
        );
        let body = memchr::memmem::find(&normalised, b"\r\n\r\n")
            .map_or(&b""[..], |at| &normalised[at + 4..]);
        let expected = canonical_body(body, canonicalization == "relaxed/relaxed");
        let bh = format!("bh={};", BASE64.encode(digest(&SHA256, &expected)));
        let tags: String = field.split_whitespace().collect();
        assert!(
            tags.contains(&bh),
            "{canonicalization} {tags} lacks {bh} for \"{}\"",
            data.escape_ascii()
        );
    }
}
