//! The signer's settings, checked once: domain, selector, key, algorithm,
//! canonicalisation, the fields to sign and the expiry. Each mistake names
//! the field of the script's `dkim` table that holds it.

use std::fmt;
use std::path::PathBuf;

use super::canonicalization::Canonicalization;
use super::header_section::Fields;
use super::key::{Algorithm, SigningKey};

/// Where the private key comes from.
#[derive(Debug)]
pub enum KeySource {
    /// `key`: the PEM text.
    Pem(Vec<u8>),
    /// `key_file`: a PEM file.
    File(PathBuf),
}

impl KeySource {
    /// The key, or what is wrong with `key` or `key_file`.
    pub fn load(self) -> Result<SigningKey, BadField> {
        match self {
            KeySource::Pem(pem) => SigningKey::from_pem(&pem).or_else(|why| bad("key", why)),
            KeySource::File(path) => {
                let pem = std::fs::read(&path)
                    .or_else(|error| bad("key_file", format!("{}: {error}", path.display())))?;
                SigningKey::from_pem(&pem).or_else(|why| bad("key_file", why))
            }
        }
    }
}

/// The script's settings, as plain values.
#[derive(Debug)]
pub struct Settings {
    pub domain: String,
    pub selector: String,
    pub key: KeySource,
    pub algorithm: Option<String>,
    pub canonicalization: Option<String>,
    /// Field names; `None` for [`DEFAULT_FIELDS`].
    pub headers: Option<Vec<String>>,
    /// Seconds after `t=` for `x=`.
    pub expires: Option<i64>,
}

/// A mistake in the settings: the field and what is wrong with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadField {
    pub field: &'static str,
    pub problem: String,
}

impl fmt::Display for BadField {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "bad field '{}' ({})", self.field, self.problem)
    }
}

fn bad<T>(field: &'static str, problem: impl Into<String>) -> Result<T, BadField> {
    Err(BadField {
        field,
        problem: problem.into(),
    })
}

/// What is signed when the script names no fields: what a reader sees as
/// the message's sender, recipients, subject, date, identity and MIME
/// structure, and the list fields that Gmail and RFC 8058's one-click
/// unsubscribe want signed.
pub const DEFAULT_FIELDS: &[&str] = &[
    "from",
    "sender",
    "reply-to",
    "to",
    "cc",
    "subject",
    "date",
    "message-id",
    "in-reply-to",
    "references",
    "mime-version",
    "content-type",
    "content-transfer-encoding",
    "list-id",
    "list-unsubscribe",
    "list-unsubscribe-post",
];

/// Fields a message has at most one of (RFC 5322 §3.6), listed once more
/// than there are in the message ("over-signed"): a copy added on the way,
/// which some readers would show instead, then breaks the signature.
pub const OVERSIGNED_FIELDS: &[&str] = &[
    "from",
    "sender",
    "reply-to",
    "to",
    "cc",
    "subject",
    "date",
    "message-id",
    "mime-version",
    "content-type",
    "content-transfer-encoding",
];

/// Checked settings, ready to sign any number of messages.
#[derive(Debug)]
pub struct Signer {
    pub(super) domain: String,
    pub(super) selector: String,
    pub(super) key: SigningKey,
    pub(super) canonicalization: Canonicalization,
    /// Lower-case names, each once, From first.
    fields: Vec<String>,
    pub(super) expires: Option<u64>,
}

impl Signer {
    pub fn new(settings: Settings) -> Result<Signer, BadField> {
        let domain = dns_name(settings.domain, "domain")?;
        let selector = dns_name(settings.selector, "selector")?;
        let key = settings.key.load()?;
        if let Some(name) = settings.algorithm {
            let Some(algorithm) = Algorithm::from_name(&name) else {
                return bad(
                    "algorithm",
                    format!("{name:?} is not rsa-sha256 or ed25519-sha256"),
                );
            };
            if algorithm != key.algorithm() {
                let problem = format!("{name} with a key for {}", key.algorithm().name());
                return bad("algorithm", problem);
            }
        }
        let canonicalization = match settings.canonicalization {
            None => Canonicalization::default(),
            Some(name) => Canonicalization::from_name(&name).map_or_else(
                || bad("canonicalization", format!("{name:?} is not relaxed/relaxed, relaxed/simple, simple/relaxed or simple/simple")),
                Ok,
            )?,
        };
        let fields = match settings.headers {
            None => DEFAULT_FIELDS.iter().map(ToString::to_string).collect(),
            Some(names) => field_names(names)?,
        };
        let expires = match settings.expires {
            None => None,
            Some(seconds) => match u64::try_from(seconds) {
                Ok(seconds) if seconds > 0 => Some(seconds),
                _ => {
                    return bad(
                        "expires",
                        format!("{seconds} is not a positive number of seconds"),
                    )
                }
            },
        };
        Ok(Signer {
            domain,
            selector,
            key,
            canonicalization,
            fields,
            expires,
        })
    }

    /// The public key's DNS TXT record.
    pub fn dns_record(&self) -> String {
        self.key.dns_record()
    }

    /// The `h=` list for a message with these fields: every instance of
    /// each name, and one more of the over-signed names.
    pub(super) fn signed_names(&self, present: &Fields<'_>) -> Vec<String> {
        let mut names = Vec::new();
        for name in &self.fields {
            let extra = usize::from(OVERSIGNED_FIELDS.contains(&name.as_str()));
            for _ in 0..present.count(name) + extra {
                names.push(name.clone());
            }
        }
        names
    }
}

/// A domain or selector: dot-separated labels of letters, digits and
/// hyphens (RFC 6376's sub-domain), as DNS names are looked up.
fn dns_name(name: String, field: &'static str) -> Result<String, BadField> {
    let label_ok = |label: &str| {
        (1..=63).contains(&label.len())
            && label
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-')
            && !label.starts_with('-')
            && !label.ends_with('-')
    };
    if name.len() > 253 || !name.split('.').all(label_ok) {
        return bad(
            field,
            format!("{name:?} is not a DNS name (letters, digits, hyphens and dots)"),
        );
    }
    Ok(name)
}

/// The script's names, in lower case, each once, From added first when
/// the script left it out: RFC 6376 §5.4 requires it signed.
fn field_names(names: Vec<String>) -> Result<Vec<String>, BadField> {
    let mut fields = vec!["from".to_string()];
    for name in names {
        let printable = name.bytes().all(|b| b.is_ascii_graphic() && b != b':');
        if name.is_empty() || !printable {
            return bad("headers", format!("{name:?} is not a header field name"));
        }
        let name = name.to_ascii_lowercase();
        if !fields.contains(&name) {
            fields.push(name);
        }
    }
    Ok(fields)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dkim::header_section::{HeaderSection, Split};
    use crate::dkim::key::tests::ED25519_PEM;

    fn settings() -> Settings {
        Settings {
            domain: "example.com".into(),
            selector: "mail2026".into(),
            key: KeySource::Pem(ED25519_PEM.into()),
            algorithm: None,
            canonicalization: None,
            headers: None,
            expires: None,
        }
    }

    fn problem(settings: Settings) -> String {
        Signer::new(settings).unwrap_err().to_string()
    }

    #[test]
    fn mistakes_name_their_field() {
        let cases: Vec<(Settings, &str)> = vec![
            (
                Settings {
                    domain: "exa mple.com".into(),
                    ..settings()
                },
                "bad field 'domain' (\"exa mple.com\" is not a DNS name",
            ),
            (
                Settings {
                    selector: "-a".into(),
                    ..settings()
                },
                "bad field 'selector'",
            ),
            (
                Settings {
                    selector: String::new(),
                    ..settings()
                },
                "bad field 'selector'",
            ),
            (
                Settings {
                    key: KeySource::Pem(b"x".to_vec()),
                    ..settings()
                },
                "bad field 'key' (no PEM private key",
            ),
            (
                Settings {
                    key: KeySource::File("/nonexistent/k.pem".into()),
                    ..settings()
                },
                "bad field 'key_file' (/nonexistent/k.pem: ",
            ),
            (
                Settings {
                    algorithm: Some("rsa-sha1".into()),
                    ..settings()
                },
                "bad field 'algorithm' (\"rsa-sha1\" is not",
            ),
            (
                Settings {
                    algorithm: Some("rsa-sha256".into()),
                    ..settings()
                },
                "bad field 'algorithm' (rsa-sha256 with a key for ed25519-sha256)",
            ),
            (
                Settings {
                    canonicalization: Some("loose".into()),
                    ..settings()
                },
                "bad field 'canonicalization' (\"loose\" is not",
            ),
            (
                Settings {
                    headers: Some(vec!["to:".into()]),
                    ..settings()
                },
                "bad field 'headers' (\"to:\" is not a header field name)",
            ),
            (
                Settings {
                    expires: Some(0),
                    ..settings()
                },
                "bad field 'expires' (0 is not a positive",
            ),
        ];
        for (settings, expected) in cases {
            let problem = problem(settings);
            assert!(problem.starts_with(expected), "{problem}");
        }
    }

    #[test]
    fn from_is_always_signed_and_single_fields_are_oversigned() {
        let named = Signer::new(Settings {
            headers: Some(vec!["Subject".into(), "X-Tag".into(), "subject".into()]),
            ..settings()
        })
        .unwrap();
        let mut section = HeaderSection::default();
        assert!(matches!(
            section.push(b"From: a\r\nX-Tag: 1\r\nX-Tag: 2\r\n\r\n"),
            Split::BodyFrom(_)
        ));
        let fields = section.fields().unwrap();
        assert_eq!(
            named.signed_names(&fields),
            ["from", "from", "subject", "x-tag", "x-tag"]
        );
        let default = Signer::new(settings()).unwrap();
        let names = default.signed_names(&fields);
        assert_eq!(names.iter().filter(|name| *name == "from").count(), 2);
        assert!(names.contains(&"cc".to_string()), "{names:?}");
        assert!(!names.contains(&"list-id".to_string()), "{names:?}");
    }
}
