//! TLS for the server (`omnisim serve --tls-cert FILE --tls-key FILE`): a certificate chain and
//! its key in PEM files, served with rustls on the ring provider for HTTP/1.1 and WebSocket.

use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};
use std::path::Path;
use std::sync::Arc;

/// Why the server's TLS setup failed: the file and what is wrong with it.
#[derive(Debug, thiserror::Error)]
#[error("{what}: {problem}")]
pub struct TlsError {
    what: String,
    problem: String,
}

/// The cryptography behind every TLS connection of omnisim, server and harness alike: ring, which
/// builds with a C compiler alone (no CMake) and quickly on small machines. It offers no
/// post-quantum key exchange, which is why rustls marks it deprecated; a load and conformance
/// tool has no secrets of its own that would need it.
#[allow(deprecated)]
pub fn crypto_provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// The server's TLS configuration from a PEM certificate chain and a PEM private key.
pub fn server_config(cert: &Path, key: &Path) -> Result<Arc<rustls::ServerConfig>, TlsError> {
    let fail = |path: &Path, problem: String| TlsError {
        what: path.display().to_string(),
        problem,
    };
    let chain: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(cert)
        .map_err(|e| fail(cert, format!("cannot read certificates: {e}")))?
        .collect::<Result<_, _>>()
        .map_err(|e| fail(cert, format!("not a PEM certificate chain: {e}")))?;
    if chain.is_empty() {
        return Err(fail(cert, "holds no certificate".into()));
    }
    let key_der = PrivateKeyDer::from_pem_file(key)
        .map_err(|e| fail(key, format!("not a PEM private key: {e}")))?;
    let mut config = rustls::ServerConfig::builder_with_provider(crypto_provider())
        .with_safe_default_protocol_versions()
        .map_err(|e| fail(cert, e.to_string()))?
        .with_no_client_auth()
        .with_single_cert(chain, key_der)
        .map_err(|e| fail(key, format!("does not match the certificate: {e}")))?;
    // HTTP/2 for clients that ask for it, served beside HTTP/1.1; sockets upgrade from HTTP/1.1.
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}
