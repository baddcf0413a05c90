//! rustls failures as the messages scripts get: "certificate verify
//! failed: <reason>" when the server's certificate is not trusted, and
//! "TLS failed: <reason>" for everything else.

use rustls::{CertificateError, Error};

pub fn describe(error: &Error) -> String {
    match error {
        Error::InvalidCertificate(reason) => {
            format!("certificate verify failed: {}", certificate(reason))
        }
        other => format!("TLS failed: {other}"),
    }
}

fn certificate(reason: &CertificateError) -> String {
    match reason {
        CertificateError::UnknownIssuer => "unknown issuer (not signed by a trusted CA)".into(),
        CertificateError::NotValidForName => "certificate not valid for this servername".into(),
        CertificateError::Expired => "certificate expired".into(),
        CertificateError::NotValidYet => "certificate not valid yet".into(),
        CertificateError::Revoked => "certificate revoked".into(),
        CertificateError::BadSignature => "bad signature".into(),
        CertificateError::BadEncoding => "bad certificate encoding".into(),
        // The rest carry their own context (the names the certificate is
        // valid for, the dates); rustls says it well.
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use rustls::AlertDescription;

    use super::*;

    #[test]
    fn certificate_problems_say_verify_failed() {
        assert_eq!(
            describe(&CertificateError::UnknownIssuer.into()),
            "certificate verify failed: unknown issuer (not signed by a trusted CA)"
        );
        assert_eq!(
            describe(&CertificateError::Expired.into()),
            "certificate verify failed: certificate expired"
        );
    }

    #[test]
    fn other_failures_say_tls_failed() {
        assert_eq!(
            describe(&Error::AlertReceived(AlertDescription::HandshakeFailure)),
            "TLS failed: received fatal alert: HandshakeFailure"
        );
    }
}
