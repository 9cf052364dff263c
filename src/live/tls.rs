//! How the harness reaches a target beyond its URL: whom it trusts over TLS (the webpki roots, a
//! private CA with `--ca-cert`, anyone with `--insecure`) and which headers it adds to every
//! request and socket handshake (`--header`, for gateways that want an API key). One rustls
//! configuration serves the HTTP client and the socket handshake alike, but for the protocol
//! requests over HTTP/2 offer (ALPN `h2`, set by the client).

use omnisim_reference_server::server::tls::crypto_provider;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme};
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;

/// Why the harness cannot set up its TLS or its headers.
#[derive(Debug, thiserror::Error)]
pub enum AccessError {
    #[error("--ca-cert {path}: {problem}")]
    CaCert { path: String, problem: String },
    #[error("--header '{0}': write it 'Name: value', a valid header name and value")]
    Header(String),
    #[error("TLS: {0}")]
    Tls(String),
}

/// Whom to trust over TLS.
#[derive(Clone, Debug, Default)]
pub struct Trust {
    /// A PEM file of CA certificates trusted beside the webpki roots.
    pub ca_cert: Option<PathBuf>,
    /// Trust any certificate (a self-signed test server): no protection against impostors.
    pub insecure: bool,
}

/// How the harness reaches a target: TLS trust and extra headers. The default trusts the public
/// roots and adds no header.
#[derive(Clone, Debug, Default)]
pub struct Access {
    /// None: the public roots.
    pub tls: Option<Arc<ClientConfig>>,
    /// Sent with every request and every socket handshake.
    pub headers: Vec<(http::header::HeaderName, http::header::HeaderValue)>,
    /// Requests go over HTTP/2 from the first byte (prior knowledge, TLS or not), many at once
    /// on one connection: under load their frames share writes, where HTTP/1.1 takes a write and
    /// a connection per request in flight. Sockets keep their HTTP/1.1 upgrade.
    pub http2: bool,
}

impl Access {
    /// The access `trust` and `headers` (`Name: value` each) describe, over HTTP/1.1.
    pub fn new(trust: &Trust, headers: &[String]) -> Result<Access, AccessError> {
        let headers = headers
            .iter()
            .map(|h| parse_header(h).ok_or_else(|| AccessError::Header(h.clone())))
            .collect::<Result<_, _>>()?;
        Ok(Access {
            tls: Some(client_config(trust)?),
            headers,
            http2: false,
        })
    }
}

fn parse_header(h: &str) -> Option<(http::header::HeaderName, http::header::HeaderValue)> {
    let (name, value) = h.split_once(':')?;
    let name = http::header::HeaderName::from_bytes(name.trim().as_bytes()).ok()?;
    let value = http::header::HeaderValue::from_str(value.trim()).ok()?;
    Some((name, value))
}

/// The rustls client configuration for `trust`, speaking HTTP/1.1 (what sockets upgrade from).
pub fn client_config(trust: &Trust) -> Result<Arc<ClientConfig>, AccessError> {
    let provider = crypto_provider();
    let builder = ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(|e| AccessError::Tls(e.to_string()))?;
    let mut config = if trust.insecure {
        builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(TrustAnyone(provider)))
            .with_no_client_auth()
    } else {
        let mut roots = RootCertStore {
            roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
        };
        if let Some(path) = &trust.ca_cert {
            for cert in ca_certs(path)? {
                roots.add(cert).map_err(|e| AccessError::CaCert {
                    path: path.display().to_string(),
                    problem: e.to_string(),
                })?;
            }
        }
        builder.with_root_certificates(roots).with_no_client_auth()
    };
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}

fn ca_certs(path: &Path) -> Result<Vec<CertificateDer<'static>>, AccessError> {
    let fail = |problem: String| AccessError::CaCert {
        path: path.display().to_string(),
        problem,
    };
    let certs: Vec<_> = CertificateDer::pem_file_iter(path)
        .map_err(|e| fail(e.to_string()))?
        .collect::<Result<_, _>>()
        .map_err(|e| fail(format!("not PEM certificates: {e}")))?;
    if certs.is_empty() {
        return Err(fail("holds no certificate".into()));
    }
    Ok(certs)
}

/// `--insecure`: any certificate is accepted; signatures are still checked, so that the
/// connection is at least to whoever holds the certificate's key.
#[derive(Debug)]
struct TrustAnyone(Arc<rustls::crypto::CryptoProvider>);

impl ServerCertVerifier for TrustAnyone {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        let algorithms = &self.0.signature_verification_algorithms;
        rustls::crypto::verify_tls12_signature(message, cert, dss, algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        let algorithms = &self.0.signature_verification_algorithms;
        rustls::crypto::verify_tls13_signature(message, cert, dss, algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

/// What a failed connection comes to, in words a user can act on: the innermost cause of `e`,
/// with advice for the TLS failures people meet (an untrusted or misnamed certificate, a plain
/// server behind an https:// URL).
pub fn explain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut chain = vec![e.to_string()];
    let mut tls = None;
    let mut next: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(s) = next {
        // An I/O error's source skips the error it wraps, which is where rustls puts its own.
        let wrapped = s
            .downcast_ref::<std::io::Error>()
            .and_then(|io| io.get_ref())
            .map(|inner| inner as &(dyn std::error::Error + 'static));
        if let Some(r) = s.downcast_ref::<rustls::Error>() {
            tls = Some(r.clone());
        }
        let shown = s.to_string();
        if !chain.iter().any(|c| c.contains(&shown)) {
            chain.push(shown);
        }
        next = wrapped.or(s.source());
    }
    let advice = tls.map(|t| advice(&t)).unwrap_or_default();
    format!("{}{advice}", chain.join(": "))
}

fn advice(e: &rustls::Error) -> &'static str {
    use rustls::CertificateError as C;
    match e {
        rustls::Error::InvalidCertificate(C::UnknownIssuer | C::BadSignature) => {
            " (certificate not trusted: pass --ca-cert with the CA that signed it, or --insecure for a test server)"
        }
        rustls::Error::InvalidCertificate(
            C::NotValidForName | C::NotValidForNameContext { .. },
        ) => " (the certificate is for another name: use the name it was issued for in --target)",
        rustls::Error::InvalidCertificate(C::Expired | C::ExpiredContext { .. }) => {
            " (the certificate has expired)"
        }
        rustls::Error::InvalidMessage(_) => " (is the target plain HTTP? use http://)",
        _ => "",
    }
}

/// A socket's byte stream: plain TCP, or TLS over it (boxed: a run holds one socket per
/// simulated customer, most of them plain).
pub enum Stream {
    Plain(TcpStream),
    Tls(Box<tokio_rustls::client::TlsStream<TcpStream>>),
}

impl AsyncRead for Stream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_read(cx, buf),
            Stream::Tls(s) => Pin::new(s.as_mut()).poll_read(cx, buf),
        }
    }
}

impl AsyncWrite for Stream {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_write(cx, buf),
            Stream::Tls(s) => Pin::new(s.as_mut()).poll_write(cx, buf),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_flush(cx),
            Stream::Tls(s) => Pin::new(s.as_mut()).poll_flush(cx),
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_shutdown(cx),
            Stream::Tls(s) => Pin::new(s.as_mut()).poll_shutdown(cx),
        }
    }
}
