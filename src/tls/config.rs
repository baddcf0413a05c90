//! The rustls client configuration for a connection: the system's trusted
//! certificates, those of a `cafile`, or (with `verify = false`) none.

use std::sync::Arc;

use rustls::crypto::ring::default_provider;
use rustls::pki_types::pem::{self, PemObject};
use rustls::pki_types::{CertificateDer, ServerName};
use rustls::{ClientConfig, RootCertStore};

use super::unverified::Unverified;
use crate::os_error::describe;

/// How a connection checks the server's certificate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Trust {
    /// The system's certificate store.
    System,
    /// Only the certificates in this PEM file.
    File(String),
    /// No check at all (`verify = false`).
    Nothing,
}

/// The configurations worth building once: the system store's (read from
/// disk) and the unverified one. Whoever holds the cache decides how long
/// they live: the Lua side keeps one per Lua state, so that closing the
/// state frees them. (Statics would not be freed: `lua_close` unloads the
/// module, and a state opened after that would build them again.)
#[derive(Debug, Default)]
pub struct Configs {
    system: Option<Result<Arc<ClientConfig>, String>>,
    nothing: Option<Arc<ClientConfig>>,
}

impl Configs {
    /// The configuration for `trust`. The system store is read once per
    /// cache; a `cafile` is read at every call, so a renewed file is seen.
    pub fn get(&mut self, trust: &Trust) -> Result<Arc<ClientConfig>, String> {
        match trust {
            Trust::System => self
                .system
                .get_or_insert_with(|| system_roots().map(with_roots))
                .clone(),
            Trust::File(path) => file_roots(path).map(with_roots),
            Trust::Nothing => Ok(self.nothing.get_or_insert_with(unverified).clone()),
        }
    }
}

/// The name to send as SNI and to find in the certificate: a DNS name or an
/// IP address.
pub fn server_name(name: &str) -> Result<ServerName<'static>, String> {
    // Quoted with escapes: a name holding CR or LF stays on one line.
    ServerName::try_from(name.to_string()).map_err(|_| format!("invalid servername {name:?}"))
}

fn builder() -> rustls::ConfigBuilder<ClientConfig, rustls::WantsVerifier> {
    ClientConfig::builder_with_provider(Arc::new(default_provider()))
        .with_safe_default_protocol_versions()
        .expect("ring supports the default protocol versions")
}

fn with_roots(roots: RootCertStore) -> Arc<ClientConfig> {
    Arc::new(
        builder()
            .with_root_certificates(roots)
            .with_no_client_auth(),
    )
}

fn unverified() -> Arc<ClientConfig> {
    Arc::new(
        builder()
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(Unverified::new()))
            .with_no_client_auth(),
    )
}

fn system_roots() -> Result<RootCertStore, String> {
    let mut roots = RootCertStore::empty();
    roots.add_parsable_certificates(rustls_native_certs::load_native_certs().certs);
    if roots.is_empty() {
        return Err("no trusted certificates in the system store (give cafile)".to_string());
    }
    Ok(roots)
}

fn file_roots(path: &str) -> Result<RootCertStore, String> {
    let unreadable = |error: pem::Error| {
        let reason = match error {
            pem::Error::Io(error) => describe(&error),
            other => other.to_string(),
        };
        format!("cannot read cafile '{path}': {reason}")
    };
    let mut certificates = Vec::new();
    for certificate in CertificateDer::pem_file_iter(path).map_err(unreadable)? {
        certificates.push(certificate.map_err(unreadable)?);
    }
    let mut roots = RootCertStore::empty();
    roots.add_parsable_certificates(certificates);
    if roots.is_empty() {
        return Err(format!("no certificates in cafile '{path}'"));
    }
    Ok(roots)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_cafile_is_named_in_the_error() {
        let error = Configs::default()
            .get(&Trust::File("/nonexistent/ca.pem".into()))
            .unwrap_err();
        assert_eq!(
            error,
            "cannot read cafile '/nonexistent/ca.pem': No such file or directory"
        );
    }

    #[test]
    fn a_file_without_certificates_is_refused() {
        let path = std::env::temp_dir().join(format!("luasmtp-empty-{}.pem", std::process::id()));
        std::fs::write(&path, "not a certificate\n").unwrap();
        let error = Configs::default()
            .get(&Trust::File(path.display().to_string()))
            .unwrap_err();
        std::fs::remove_file(&path).unwrap();
        assert_eq!(
            error,
            format!("no certificates in cafile '{}'", path.display())
        );
    }

    #[test]
    fn a_cache_builds_the_unverified_configuration_once() {
        let mut configs = Configs::default();
        let first = configs.get(&Trust::Nothing).unwrap();
        assert!(Arc::ptr_eq(&first, &configs.get(&Trust::Nothing).unwrap()));
    }

    #[test]
    fn server_names_may_be_dns_names_or_addresses() {
        assert!(server_name("smtp.example.com").is_ok());
        assert!(server_name("127.0.0.1").is_ok());
        assert_eq!(
            server_name("bad name\r\n").unwrap_err(),
            "invalid servername \"bad name\\r\\n\""
        );
    }
}
