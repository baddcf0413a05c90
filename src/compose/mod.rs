//! `smtp.compose`: a message described by what it says (addresses, a
//! subject, text, HTML, attachments) made into the MIME tree that
//! `smtp.message` writes, and the envelope that sends it.
//!
//! The structure: text alone is one part; text and HTML make a
//! `multipart/alternative` (text first); inline images go with the HTML in
//! a `multipart/related`; attachments wrap all of it in a
//! `multipart/mixed`. Parts that are not given are not written.
//!
//! `S` is a body the script streams (a Lua source at the edge); this
//! module never looks inside one.

pub mod attachment_fields;
pub mod encoded_words;
pub mod file_name;
pub mod folding;
pub mod header_text;
pub mod mailbox;
pub mod message_id;
pub mod streamed;
pub mod transfer;

use std::fmt;

use crate::message::field_syntax::check_field;
use crate::message::fields::HeaderFields;
use crate::message::tree::{Body, Multipart, Part};
use mailbox::{write_list, Mailbox};
use transfer::{encode_text, TransferEncoding};

/// A message as the script describes it, its text already UTF-8.
#[derive(Debug)]
pub struct Composition<S> {
    pub from: Mailbox,
    pub sender: Option<Mailbox>,
    pub reply_to: Vec<Mailbox>,
    pub to: Vec<Mailbox>,
    pub cc: Vec<Mailbox>,
    pub bcc: Vec<Mailbox>,
    pub subject: Option<String>,
    pub text: Option<Content<S>>,
    pub html: Option<Content<S>>,
    pub attachments: Vec<Attachment<S>>,
    /// The script's own fields: lowercase names, UTF-8 values.
    pub headers: Vec<(String, String)>,
    /// The `Date` value, already formatted; none leaves it to
    /// `smtp.message`, which dates the message when it is made.
    pub date: Option<String>,
    /// The `Message-ID` without its angle brackets; none makes one.
    pub message_id: Option<String>,
}

#[derive(Debug)]
pub enum Content<S> {
    Text(String),
    Source(S),
}

#[derive(Debug)]
pub struct Attachment<S> {
    pub file_name: Option<String>,
    pub content_type: String,
    /// Set for an image the HTML shows (`cid:...`), without brackets.
    pub content_id: Option<String>,
    pub body: AttachmentBody<S>,
}

#[derive(Debug)]
pub enum AttachmentBody<S> {
    Path(String),
    Data(Vec<u8>),
    Source(S),
}

/// A leaf body of the composed tree, as the send path will get it.
#[derive(Debug, PartialEq, Eq)]
pub enum Leaf<S> {
    /// Already encoded.
    Encoded(Vec<u8>),
    /// A file to read and encode in base64 (`smtp.attach`).
    File(String),
    /// Bytes to encode in base64 as they are pulled.
    Data(Vec<u8>),
    /// A script's source, text to encode quoted-printable.
    StreamedText(S),
    /// A script's source, bytes to encode in base64.
    StreamedBytes(S),
}

/// The SMTP envelope: reverse path and recipients, `<address>` each.
#[derive(Debug, PartialEq, Eq)]
pub struct Envelope {
    pub from: String,
    pub rcpt: Vec<String>,
}

#[derive(Debug)]
pub struct Composed<S> {
    pub message: Part<Leaf<S>>,
    pub envelope: Envelope,
}

/// A field of the composition that cannot be written, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    pub field: String,
    pub problem: String,
}

impl fmt::Display for FieldError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "bad field '{}' ({})", self.field, self.problem)
    }
}

fn field_error<T>(field: &str, problem: impl Into<String>) -> Result<T, FieldError> {
    Err(FieldError {
        field: field.to_string(),
        problem: problem.into(),
    })
}

/// Fields the composer writes itself: a script sets them through their
/// own fields, never through `headers`.
const OWN_FIELDS: &[&str] = &[
    "from",
    "sender",
    "reply-to",
    "to",
    "cc",
    "bcc",
    "subject",
    "date",
    "message-id",
    "mime-version",
];

/// The tree and the envelope; `random_id` is the left part of the
/// Message-ID when the composition gives none.
pub fn compose<S>(composition: Composition<S>, random_id: &str) -> Result<Composed<S>, FieldError> {
    let envelope = envelope(&composition)?;
    let mut headers = message_headers(&composition, random_id)?;
    let Composition {
        text,
        html,
        attachments,
        ..
    } = composition;
    let (inline, attached): (Vec<_>, Vec<_>) = attachments
        .into_iter()
        .partition(|attachment| attachment.content_id.is_some());
    if html.is_none() && !inline.is_empty() {
        return field_error("attachments", "an attachment with a cid needs 'html'");
    }
    let html = html.map(|html| {
        let html = text_part(html, "html");
        if inline.is_empty() {
            html
        } else {
            let mut parts = vec![html];
            parts.extend(inline.into_iter().map(attachment_part));
            multipart("related; type=\"text/html\"", parts)
        }
    });
    let text = text.map(|text| text_part(text, "plain"));
    let body = match (text, html) {
        (Some(text), Some(html)) => Some(multipart("alternative", vec![text, html])),
        (text, html) => text.or(html),
    };
    let root = if attached.is_empty() {
        // Nothing at all still makes an empty text part: a message has a body.
        body.unwrap_or_else(|| text_part(Content::Text(String::new()), "plain"))
    } else {
        let mut parts: Vec<Part<Leaf<S>>> = body.into_iter().collect();
        parts.extend(attached.into_iter().map(attachment_part));
        multipart("mixed", parts)
    };
    for (name, value) in root.headers.fields() {
        headers.set(name, value.to_vec());
    }
    Ok(Composed {
        message: Part {
            headers,
            body: root.body,
        },
        envelope,
    })
}

fn envelope<S>(composition: &Composition<S>) -> Result<Envelope, FieldError> {
    let sender = composition.sender.as_ref().unwrap_or(&composition.from);
    let mut rcpt: Vec<String> = Vec::new();
    let recipients = composition
        .to
        .iter()
        .chain(&composition.cc)
        .chain(&composition.bcc);
    for mailbox in recipients {
        let path = format!("<{}>", mailbox.address);
        if !rcpt.iter().any(|known| known.eq_ignore_ascii_case(&path)) {
            rcpt.push(path);
        }
    }
    if rcpt.is_empty() {
        return field_error("to", "no recipient in 'to', 'cc' or 'bcc'");
    }
    Ok(Envelope {
        from: format!("<{}>", sender.address),
        rcpt,
    })
}

fn message_headers<S>(
    composition: &Composition<S>,
    random_id: &str,
) -> Result<HeaderFields, FieldError> {
    let mut headers = HeaderFields::default();
    let mut addresses = |name: &str, list: &[Mailbox]| {
        if !list.is_empty() {
            headers.set(name.as_bytes(), write_list(list, name.len()).into_bytes());
        }
    };
    addresses("from", std::slice::from_ref(&composition.from));
    addresses("sender", composition.sender.as_slice());
    addresses("reply-to", &composition.reply_to);
    addresses("to", &composition.to);
    addresses("cc", &composition.cc);
    if let Some(subject) = &composition.subject {
        if subject.contains(['\r', '\n']) {
            return field_error("subject", "line break");
        }
        let value = header_text::unstructured(subject, "subject".len());
        headers.set(b"subject", value.into_bytes());
    }
    if let Some(date) = &composition.date {
        if date.contains(['\r', '\n']) {
            return field_error("date", "line break");
        }
        headers.set(b"date", date.clone().into_bytes());
    }
    let id = match &composition.message_id {
        Some(id) => {
            message_id::checked(id).or_else(|problem| field_error("message_id", problem))?
        }
        None => format!("{random_id}@{}", composition.from.domain()),
    };
    headers.set(b"message-id", format!("<{id}>").into_bytes());
    for (name, value) in &composition.headers {
        let field = format!("headers.{name}");
        if OWN_FIELDS.contains(&name.as_str()) || name.starts_with("content-") {
            return field_error(&field, "set by smtp.compose; use its own field");
        }
        if value.contains(['\r', '\n']) {
            return field_error(&field, "line break");
        }
        let value = header_text::unstructured(value, name.len());
        if let Err(invalid) = check_field(name.as_bytes(), value.as_bytes()) {
            return field_error("headers", invalid.to_string());
        }
        headers.set(name.as_bytes(), value.into_bytes());
    }
    Ok(headers)
}

fn leaf_part<S>(fields: &[(&str, String)], leaf: Leaf<S>) -> Part<Leaf<S>> {
    let mut headers = HeaderFields::default();
    for (name, value) in fields {
        headers.set(name.as_bytes(), value.clone().into_bytes());
    }
    Part {
        headers,
        body: Body::Leaf(leaf),
    }
}

/// `text/plain` or `text/html`, UTF-8.
fn text_part<S>(content: Content<S>, subtype: &str) -> Part<Leaf<S>> {
    let (encoding, leaf) = match content {
        Content::Text(text) => {
            let (encoding, body) = encode_text(&text);
            (encoding, Leaf::Encoded(body))
        }
        Content::Source(source) => (
            TransferEncoding::QuotedPrintable,
            Leaf::StreamedText(source),
        ),
    };
    leaf_part(
        &[
            ("content-type", format!("text/{subtype}; charset=utf-8")),
            ("content-transfer-encoding", encoding.name().to_string()),
        ],
        leaf,
    )
}

fn attachment_part<S>(attachment: Attachment<S>) -> Part<Leaf<S>> {
    let leaf = match attachment.body {
        AttachmentBody::Path(path) => Leaf::File(path),
        AttachmentBody::Data(data) => Leaf::Data(data),
        AttachmentBody::Source(source) => Leaf::StreamedBytes(source),
    };
    let disposition = if attachment.content_id.is_some() {
        "inline"
    } else {
        "attachment"
    };
    let (content_type, disposition) = match &attachment.file_name {
        Some(name) => (
            file_name::content_type(&attachment.content_type, name),
            file_name::content_disposition(disposition, name),
        ),
        None => (attachment.content_type, disposition.to_string()),
    };
    let mut fields = vec![
        ("content-type", content_type),
        ("content-disposition", disposition),
        (
            "content-transfer-encoding",
            TransferEncoding::Base64.name().to_string(),
        ),
    ];
    if let Some(id) = attachment.content_id {
        fields.push(("content-id", format!("<{id}>")));
    }
    leaf_part(&fields, leaf)
}

/// A multipart of `subtype` (with its parameters); `smtp.message` adds the
/// boundary. An empty body in it becomes one line end: readers differ on a
/// part with nothing between its header and the boundary (mailparser reads
/// a line end there, Python's email nothing), and agree on an empty line.
fn multipart<S>(subtype: &str, mut parts: Vec<Part<Leaf<S>>>) -> Part<Leaf<S>> {
    for part in &mut parts {
        if let Body::Leaf(Leaf::Encoded(body)) = &mut part.body {
            if body.is_empty() {
                body.extend_from_slice(b"\r\n");
            }
        }
    }
    let mut headers = HeaderFields::default();
    headers.set(b"content-type", format!("multipart/{subtype}").into_bytes());
    Part {
        headers,
        body: Body::Multipart(Multipart {
            preamble: None,
            parts,
            epilogue: None,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mailbox(address: &str) -> Mailbox {
        Mailbox::new(None, address).unwrap()
    }

    fn composition() -> Composition<()> {
        Composition {
            from: mailbox("zoe@example.com"),
            sender: None,
            reply_to: Vec::new(),
            to: vec![mailbox("a@example.com")],
            cc: Vec::new(),
            bcc: Vec::new(),
            subject: None,
            text: None,
            html: None,
            attachments: Vec::new(),
            headers: Vec::new(),
            date: None,
            message_id: None,
        }
    }

    fn attachment(content_id: Option<&str>) -> Attachment<()> {
        Attachment {
            file_name: Some("logo.png".into()),
            content_type: "image/png".into(),
            content_id: content_id.map(String::from),
            body: AttachmentBody::Data(b"png".to_vec()),
        }
    }

    /// The tree's shape: content types, leaves as "leaf".
    fn shape(part: &Part<Leaf<()>>) -> String {
        let content_type =
            String::from_utf8_lossy(part.headers.get(b"content-type").unwrap_or(b"-"));
        match &part.body {
            Body::Multipart(multipart) => {
                let parts: Vec<String> = multipart.parts.iter().map(shape).collect();
                format!("{content_type}[{}]", parts.join(", "))
            }
            _ => content_type
                .split(';')
                .next()
                .unwrap_or_default()
                .to_string(),
        }
    }

    fn composed_shape(composition: Composition<()>) -> String {
        shape(&compose(composition, "id").unwrap().message)
    }

    #[test]
    fn parts_not_given_are_not_written() {
        let mut text_only = composition();
        text_only.text = Some(Content::Text("hi".into()));
        assert_eq!(composed_shape(text_only), "text/plain");

        // Nothing at all still makes a text part: a message has a body.
        assert_eq!(composed_shape(composition()), "text/plain");

        let mut html_only = composition();
        html_only.html = Some(Content::Text("<p>hi</p>".into()));
        assert_eq!(composed_shape(html_only), "text/html");
    }

    #[test]
    fn text_html_inline_images_and_attachments_nest() {
        let mut all = composition();
        all.text = Some(Content::Text("hi".into()));
        all.html = Some(Content::Text("<img src=cid:logo>".into()));
        all.attachments = vec![attachment(None), attachment(Some("logo"))];
        assert_eq!(
            composed_shape(all),
            "multipart/mixed[multipart/alternative[text/plain, \
             multipart/related; type=\"text/html\"[text/html, image/png]], image/png]"
        );
    }

    #[test]
    fn an_inline_image_needs_html() {
        let mut no_html = composition();
        no_html.text = Some(Content::Text("hi".into()));
        no_html.attachments = vec![attachment(Some("logo"))];
        assert_eq!(compose(no_html, "id").unwrap_err().field, "attachments");
    }

    #[test]
    fn an_empty_text_beside_html_is_one_empty_line() {
        let mut both = composition();
        both.text = Some(Content::Text(String::new()));
        both.html = Some(Content::Text("x".into()));
        let message = compose(both, "id").unwrap().message;
        let Body::Multipart(multipart) = message.body else {
            panic!("a multipart")
        };
        assert!(
            matches!(&multipart.parts[0].body, Body::Leaf(Leaf::Encoded(body)) if body == b"\r\n")
        );
    }

    #[test]
    fn the_envelope_takes_each_recipient_once_and_the_sender() {
        let mut mail = composition();
        mail.sender = Some(mailbox("bot@example.com"));
        mail.to = vec![mailbox("a@example.com"), mailbox("b@example.com")];
        mail.cc = vec![mailbox("A@EXAMPLE.COM")];
        mail.bcc = vec![mailbox("c@example.com"), mailbox("b@example.com")];
        let composed = compose(mail, "id").unwrap();
        assert_eq!(
            composed.envelope,
            Envelope {
                from: "<bot@example.com>".into(),
                rcpt: vec![
                    "<a@example.com>".into(),
                    "<b@example.com>".into(),
                    "<c@example.com>".into()
                ],
            }
        );
        let headers = &composed.message.headers;
        assert_eq!(headers.get(b"bcc"), None);
        assert_eq!(headers.get(b"message-id"), Some(&b"<id@example.com>"[..]));
    }

    #[test]
    fn no_recipient_is_a_mistake() {
        let mut nobody = composition();
        nobody.to.clear();
        assert_eq!(compose(nobody, "id").unwrap_err().field, "to");
    }
}
