//! Signing one message as its bytes go past, in chunks of any size: the
//! header section is kept (up to a bound), the body only hashed. The
//! bytes are normalised as DATA normalises them, and handed back so that
//! a caller that must hold the message holds exactly what was signed.

use std::sync::Arc;

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine;

use super::body_hash::BodyHash;
use super::canonicalization::canonical_field;
use super::header_section::{self, HeaderSection, Split};
use super::line_ends::LineEnds;
use super::signature_field::FieldWriter;
use super::signer::Signer;

#[derive(Debug)]
pub struct MessageSigning {
    signer: Arc<Signer>,
    line_ends: LineEnds,
    header: HeaderSection,
    body: BodyHash,
    normalised: Vec<u8>,
}

/// The end of a signed message.
#[derive(Debug)]
pub struct Signature {
    /// The DKIM-Signature field, CRLF included, to go before the message.
    pub field: String,
    /// The message's last bytes: the LF owed to a final CR, or nothing.
    pub tail: Vec<u8>,
}

impl MessageSigning {
    pub fn new(signer: Arc<Signer>) -> Self {
        let body = BodyHash::new(signer.canonicalization.body);
        MessageSigning {
            signer,
            line_ends: LineEnds::default(),
            header: HeaderSection::default(),
            body,
            normalised: Vec::new(),
        }
    }

    /// Takes the message's next bytes; gives them back normalised, as they
    /// are signed and as DATA sends them.
    pub fn write(&mut self, chunk: &[u8]) -> &[u8] {
        self.normalised.clear();
        self.line_ends.normalise(chunk, &mut self.normalised);
        self.take_normalised();
        &self.normalised
    }

    fn take_normalised(&mut self) {
        if let Split::BodyFrom(at) = self.header.push(&self.normalised) {
            self.body.update(&self.normalised[at..]);
        }
    }

    /// The signature, made at `now` (seconds since 1970), once the whole
    /// message has been written; or why there can be none.
    pub fn finish(mut self, now: u64) -> Result<Signature, String> {
        self.normalised.clear();
        self.line_ends.finish(&mut self.normalised);
        self.take_normalised();
        let Some(fields) = self.header.fields() else {
            return Err(format!(
                "the message's header section is longer than {} bytes, or has no empty line after it",
                header_section::MAX_LEN
            ));
        };
        let signer = &self.signer;
        let names = signer.signed_names(&fields);
        let mut field = FieldWriter::new();
        field.tag("v", &["1"]);
        field.tag("a", &[signer.key.algorithm().name()]);
        field.tag("c", &[&signer.canonicalization.to_string()]);
        field.tag("d", &[&signer.domain]);
        field.tag("s", &[&signer.selector]);
        field.tag("t", &[&now.to_string()]);
        if let Some(expires) = signer.expires {
            field.tag("x", &[&now.saturating_add(expires).to_string()]);
        }
        field.tag("h", &names.iter().map(String::as_str).collect::<Vec<_>>());
        field.tag("bh", &[&BASE64.encode(self.body.finish())]);
        let mode = signer.canonicalization.header;
        let mut signed = Vec::new();
        for picked in fields.picked(&names) {
            canonical_field(mode, picked, &mut signed);
        }
        canonical_field(mode, field.signed_text().as_bytes(), &mut signed);
        let signature = signer.key.sign(&signed)?;
        Ok(Signature {
            field: field.finish(&BASE64.encode(signature)),
            tail: self.normalised,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dkim::key::tests::ED25519_PEM;
    use crate::dkim::signer::{KeySource, Settings};

    fn signer(canonicalization: &str) -> Arc<Signer> {
        let settings = Settings {
            domain: "football.example.com".into(),
            selector: "brisbane".into(),
            key: KeySource::Pem(ED25519_PEM.into()),
            algorithm: None,
            canonicalization: Some(canonicalization.into()),
            headers: None,
            expires: Some(600),
        };
        Arc::new(Signer::new(settings).unwrap())
    }

    fn signed(canonicalization: &str, chunks: &[&[u8]]) -> (Signature, Vec<u8>) {
        let mut signing = MessageSigning::new(signer(canonicalization));
        let mut out = Vec::new();
        for chunk in chunks {
            out.extend_from_slice(signing.write(chunk));
        }
        (signing.finish(1_528_637_909).unwrap(), out)
    }

    /// RFC 8463 appendix A's message, with LF line ends and trailing
    /// spaces and empty lines that relaxed canonicalisation drops.
    const RFC_8463_MESSAGE: &[u8] = b"From: Joe SixPack <joe@football.example.com>\n\
To: Suzie Q <suzie@shopping.example.net>\n\
Subject: Is dinner ready?\n\
Date: Fri, 11 Jul 2003 21:00:37 -0700 (PDT)\n\
Message-ID: <20030712040037.46341.5F8J@football.example.com>\n\
\n\
Hi.  \n\
\n\
We lost the game.  Are you hungry yet?\n\
\n\
Joe.\n\n\n";

    #[test]
    fn the_body_hash_is_rfc_8463s() {
        let (signature, _) = signed("relaxed/relaxed", &[RFC_8463_MESSAGE]);
        // The tags without the spaces and folds between them.
        let tags: String = signature.field.split_whitespace().collect();
        assert!(
            tags.contains(";bh=2jUSOH9NhtVGCQWNr9BrIAPreKQjO6Sn7XIkfJVOzv8=;"),
            "{tags}"
        );
        let expected = "DKIM-Signature:v=1;a=ed25519-sha256;c=relaxed/relaxed;d=football.example.com;s=brisbane;t=1528637909;x=1528638509;h=from:from:sender:reply-to:to:to:cc:subject:subject:date:date:message-id:message-id:mime-version:content-type:content-transfer-encoding;bh=";
        assert!(tags.starts_with(expected), "{tags}");
    }

    #[test]
    fn the_bytes_come_back_with_crlf_line_ends() {
        let (signature, out) = signed("simple/simple", &[b"A: 1\n\nx\r", b"y\r"]);
        assert_eq!(out, b"A: 1\r\n\r\nx\r\ny\r");
        assert_eq!(signature.tail, b"\n");
    }

    #[test]
    fn chunks_do_not_change_the_signature() {
        for canonicalization in ["relaxed/relaxed", "simple/simple"] {
            let (whole, _) = signed(canonicalization, &[RFC_8463_MESSAGE]);
            let pieces: Vec<&[u8]> = RFC_8463_MESSAGE.chunks(5).collect();
            let (chunked, _) = signed(canonicalization, &pieces);
            assert_eq!(whole.field, chunked.field);
        }
    }

    #[test]
    fn a_header_section_that_never_ends_is_refused() {
        let mut signing = MessageSigning::new(signer("relaxed/relaxed"));
        let line = [&[b'x'; 999][..], b"\n"].concat();
        for _ in 0..=header_section::MAX_LEN / line.len() {
            signing.write(&line);
        }
        let problem = signing.finish(0).unwrap_err();
        assert!(
            problem.starts_with("the message's header section is longer than"),
            "{problem}"
        );
    }
}
