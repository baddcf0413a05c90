//! The private key: read from PEM (PKCS#8 for RSA and Ed25519, PKCS#1's
//! "RSA PRIVATE KEY"), signing with ring, and the public half as the DNS
//! TXT record that verifiers look up.

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine;
use ring::digest::{digest, SHA256};
use ring::rand::SystemRandom;
use ring::signature::{Ed25519KeyPair, KeyPair, RsaKeyPair, RSA_PKCS1_SHA256};
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::PrivateKeyDer;

/// The `a=` algorithms.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Algorithm {
    RsaSha256,
    /// RFC 8463.
    Ed25519Sha256,
}

impl Algorithm {
    pub fn from_name(name: &str) -> Option<Algorithm> {
        match name {
            "rsa-sha256" => Some(Algorithm::RsaSha256),
            "ed25519-sha256" => Some(Algorithm::Ed25519Sha256),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Algorithm::RsaSha256 => "rsa-sha256",
            Algorithm::Ed25519Sha256 => "ed25519-sha256",
        }
    }
}

#[derive(Debug)]
pub enum SigningKey {
    Rsa(RsaKeyPair),
    Ed25519(Ed25519KeyPair),
}

impl SigningKey {
    /// The key in `pem`, or why it cannot be one.
    pub fn from_pem(pem: &[u8]) -> Result<SigningKey, String> {
        let der = PrivateKeyDer::from_pem_slice(pem)
            .map_err(|problem| format!("no PEM private key in it: {problem}"))?;
        match der {
            PrivateKeyDer::Pkcs1(der) => rsa(RsaKeyPair::from_der(der.secret_pkcs1_der())),
            PrivateKeyDer::Pkcs8(der) => {
                let der = der.secret_pkcs8_der();
                match RsaKeyPair::from_pkcs8(der) {
                    Err(rejected) if rejected.to_string() == "WrongAlgorithm" => {
                        Ed25519KeyPair::from_pkcs8_maybe_unchecked(der)
                            .map(SigningKey::Ed25519)
                            .map_err(|rejected| match rejected.to_string().as_str() {
                                "WrongAlgorithm" => "not an RSA or Ed25519 key".to_string(),
                                why => format!("not a usable Ed25519 key ({why})"),
                            })
                    }
                    parsed => rsa(parsed),
                }
            }
            _ => Err("an EC key: DKIM signs with RSA or Ed25519".to_string()),
        }
    }

    /// The algorithm the key signs with.
    pub fn algorithm(&self) -> Algorithm {
        match self {
            SigningKey::Rsa(_) => Algorithm::RsaSha256,
            SigningKey::Ed25519(_) => Algorithm::Ed25519Sha256,
        }
    }

    /// The signature of `data`: RSASSA-PKCS1-v1_5 over SHA-256, or
    /// Ed25519 over the SHA-256 digest of `data` (RFC 8463 §3).
    pub fn sign(&self, data: &[u8]) -> Result<Vec<u8>, String> {
        match self {
            SigningKey::Rsa(pair) => {
                let mut signature = vec![0; pair.public().modulus_len()];
                pair.sign(
                    &RSA_PKCS1_SHA256,
                    &SystemRandom::new(),
                    data,
                    &mut signature,
                )
                .map_err(|_| "the RSA signing failed".to_string())?;
                Ok(signature)
            }
            SigningKey::Ed25519(pair) => {
                Ok(pair.sign(digest(&SHA256, data).as_ref()).as_ref().to_vec())
            }
        }
    }

    /// The DNS TXT record of the public key, to publish at
    /// `<selector>._domainkey.<domain>`: `p=` is an RSA key's
    /// SubjectPublicKeyInfo, or the Ed25519 key's 32 bytes (RFC 8463 §4).
    pub fn dns_record(&self) -> String {
        let (kind, public) = match self {
            SigningKey::Rsa(pair) => ("rsa", subject_public_key_info(pair.public().as_ref())),
            SigningKey::Ed25519(pair) => ("ed25519", pair.public_key().as_ref().to_vec()),
        };
        format!("v=DKIM1; k={kind}; p={}", BASE64.encode(public))
    }
}

fn rsa(parsed: Result<RsaKeyPair, ring::error::KeyRejected>) -> Result<SigningKey, String> {
    parsed
        .map(SigningKey::Rsa)
        .map_err(|rejected| match rejected.to_string().as_str() {
            "TooSmall" | "TooLarge" => "an RSA key of 2048 to 4096 bits expected".to_string(),
            why => format!("not a usable RSA key ({why})"),
        })
}

/// An RSAPublicKey in the SubjectPublicKeyInfo that verifiers expect:
/// SEQUENCE { rsaEncryption with NULL parameters, BIT STRING { key } }.
fn subject_public_key_info(rsa_public_key: &[u8]) -> Vec<u8> {
    const RSA_ENCRYPTION: &[u8] = &[
        0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01, 0x05, 0x00,
    ];
    let bit_string = der(0x03, &[&[0][..], rsa_public_key].concat());
    der(0x30, &[RSA_ENCRYPTION, &bit_string].concat())
}

/// A DER element: tag, definite length, content.
fn der(tag: u8, content: &[u8]) -> Vec<u8> {
    let length = content.len().to_be_bytes();
    let significant = length
        .iter()
        .position(|&b| b != 0)
        .unwrap_or(length.len() - 1);
    let mut out = vec![tag];
    if content.len() < 0x80 {
        out.push(length[length.len() - 1]);
    } else {
        let bytes = &length[significant..];
        out.push(0x80 | u8::try_from(bytes.len()).unwrap_or(0));
        out.extend_from_slice(bytes);
    }
    out.extend_from_slice(content);
    out
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// Made with `openssl genpkey -algorithm ed25519`.
    pub const ED25519_PEM: &str = "-----BEGIN PRIVATE KEY-----
MC4CAQAwBQYDK2VwBCIEIJ6E1l66yd4lBzKgBybKbW0t4A5j4QtxqMfq2sa6PjHL
-----END PRIVATE KEY-----
";

    #[test]
    fn der_lengths_take_the_short_and_long_forms() {
        assert_eq!(der(0x04, &[7; 3]), [0x04, 3, 7, 7, 7]);
        assert_eq!(der(0x04, &[0; 0x80])[..3], [0x04, 0x81, 0x80]);
        assert_eq!(der(0x04, &[0; 0x1234])[..4], [0x04, 0x82, 0x12, 0x34]);
    }

    #[test]
    fn an_ed25519_key_signs_and_gives_its_record() {
        let key = SigningKey::from_pem(ED25519_PEM.as_bytes()).unwrap();
        assert_eq!(key.algorithm(), Algorithm::Ed25519Sha256);
        assert_eq!(key.sign(b"x").unwrap().len(), 64);
        let record = key.dns_record();
        let p = record.strip_prefix("v=DKIM1; k=ed25519; p=").unwrap();
        assert_eq!(BASE64.decode(p).unwrap().len(), 32);
    }

    #[test]
    fn what_is_not_a_key_says_why() {
        let problem = SigningKey::from_pem(b"hello").unwrap_err();
        assert!(problem.starts_with("no PEM private key in it"), "{problem}");
        let wrong = ED25519_PEM
            .replace("BEGIN PRIVATE", "BEGIN RSA PRIVATE")
            .replace("END PRIVATE", "END RSA PRIVATE");
        let problem = SigningKey::from_pem(wrong.as_bytes()).unwrap_err();
        assert!(problem.starts_with("not a usable RSA key"), "{problem}");
    }
}
