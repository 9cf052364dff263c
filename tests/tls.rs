//! TLS targets end to end: the reference server on HTTPS and WSS with a certificate from a private
//! CA, the quickstart and the conformance suite over it with `--ca-cert`, refusals that say what
//! to do, `--insecure`, and extra headers on requests and socket handshakes.

use omnisim::conform::{self, Selection, Verdict};
use omnisim::live::client::{Client, ClientError};
use omnisim::live::embedded::Embedded;
use omnisim::live::tls::{Access, Trust};
use omnisim::live::{self, RunOptions, Target};
use omnisim::protocol::ClockMode;
use omnisim::reference_server::server::{ServerConfig, tls};
use omnisim::scenario::Scenario;
use rcgen::{BasicConstraints, CertificateParams, IsCa, Issuer, KeyPair};
use std::path::{Path, PathBuf};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// A private CA and a server certificate it signed for localhost and 127.0.0.1, as PEM files.
struct Pki {
    dir: PathBuf,
    ca: PathBuf,
    cert: PathBuf,
    key: PathBuf,
}

impl Pki {
    fn new(name: &str) -> Pki {
        let dir = std::env::temp_dir().join(format!("omnisim-tls-{name}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let ca_key = KeyPair::generate().unwrap();
        let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
        ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        let ca_cert = ca_params.self_signed(&ca_key).unwrap();
        let issuer = Issuer::new(ca_params, ca_key);
        let key = KeyPair::generate().unwrap();
        let names = vec!["localhost".to_owned(), "127.0.0.1".to_owned()];
        let cert = CertificateParams::new(names)
            .unwrap()
            .signed_by(&key, &issuer)
            .unwrap();
        let write = |file: &str, text: String| {
            let path = dir.join(file);
            std::fs::write(&path, text).unwrap();
            path
        };
        Pki {
            ca: write("ca.pem", ca_cert.pem()),
            cert: write("cert.pem", cert.pem()),
            key: write("key.pem", key.serialize_pem()),
            dir,
        }
    }

    /// The reference server on HTTPS with this certificate.
    fn server(&self, clock: ClockMode) -> Embedded {
        Embedded::configured(ServerConfig {
            tls: Some(tls::server_config(&self.cert, &self.key).unwrap()),
            clock,
            ..ServerConfig::default()
        })
        .unwrap()
    }

    fn trusting(&self) -> Access {
        let trust = Trust {
            ca_cert: Some(self.ca.clone()),
            insecure: false,
        };
        Access::new(&trust, &[]).unwrap()
    }
}

impl Drop for Pki {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_quickstart_runs_over_tls_with_a_private_ca() {
    let pki = Pki::new("quickstart");
    let server = pki.server(ClockMode::Wall);
    assert!(server.url.starts_with("https://"), "{}", server.url);
    let scenario = Scenario::load(Path::new("scenarios/quickstart.toml")).unwrap();
    let options = RunOptions {
        duration: Some(Duration::from_secs(5)),
        ..RunOptions::new(Target::Url {
            url: server.url.clone(),
            admin_token: server.admin_token.clone(),
            access: pki.trusting(),
        })
    };
    let outcome = live::run(scenario, options).await.unwrap();
    server.stop();
    let s = &outcome.summary;
    assert!(
        s.sessions.started > 0 && s.routing.accepted > 0,
        "{:?}",
        s.sessions
    );
    assert!(s.errors.is_empty(), "{:?}", s.errors);
    assert!(s.violations.is_empty(), "{:?}", s.violations);
    assert_eq!(s.protocol_violations.count, 0);
    assert!(
        s.latency_ms["delivery_to_agent"].count > 0,
        "sockets carried messages"
    );
}

/// Over HTTP/1.1 and over HTTP/2 from the first byte (`--http2`), which the server tells apart
/// inside TLS as it does in the clear.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_conformance_suite_passes_over_tls() {
    let pki = Pki::new("conform");
    let server = pki.server(ClockMode::Manual);
    for http2 in [false, true] {
        let access = Access {
            http2,
            ..pki.trusting()
        };
        let client = Client::with_access(&server.url, access);
        let reports =
            conform::run_with(client, &server.admin_token, &Selection::default(), 8).await;
        let failed: Vec<_> = reports
            .iter()
            .filter(|r| !matches!(r.verdict, Verdict::Pass))
            .map(|r| format!("{} {:?}", r.id, r.verdict))
            .collect();
        assert!(failed.is_empty(), "http2 {http2}: {failed:#?}");
        assert!(reports.len() > 150);
    }
    server.stop();
}

#[tokio::test]
async fn an_untrusted_certificate_says_what_to_do_and_insecure_gets_in() {
    let pki = Pki::new("untrusted");
    let server = pki.server(ClockMode::Wall);
    let public_roots_only = Access::new(&Trust::default(), &[]).unwrap();
    let client = Client::with_access(&server.url, public_roots_only);
    let refused = client
        .get::<serde_json::Value>("", "/v1/capabilities")
        .await;
    match refused {
        Err(ClientError::Transport(m)) => {
            assert!(m.contains("certificate not trusted: pass --ca-cert"), "{m}")
        }
        other => panic!("expected a TLS refusal, got {other:?}"),
    }
    match client.socket(&server.admin_token, "/v1/agent").await {
        Err(ClientError::Transport(m)) => assert!(m.contains("--ca-cert"), "{m}"),
        other => panic!("expected a TLS refusal, got {:?}", other.map(|_| ())),
    }
    let insecure = Trust {
        ca_cert: None,
        insecure: true,
    };
    let client = Client::with_access(&server.url, Access::new(&insecure, &[]).unwrap());
    let caps: serde_json::Value = client.get("", "/v1/capabilities").await.unwrap();
    assert!(caps.get("lacks").is_some());
    server.stop();
}

/// What one connection to a listener sent before its blank line.
async fn request_head(listener: &tokio::net::TcpListener) -> String {
    let (mut tcp, _) = listener.accept().await.unwrap();
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") && tcp.read(&mut byte).await.unwrap() == 1 {
        head.push(byte[0]);
    }
    let _ = tcp
        .write_all(b"HTTP/1.1 503 Service Unavailable\r\ncontent-length: 0\r\n\r\n")
        .await;
    String::from_utf8_lossy(&head).to_lowercase()
}

#[tokio::test]
async fn extra_headers_go_with_requests_and_socket_handshakes() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let headers = ["X-Api-Key: k-123".to_owned()];
    let access = Access::new(&Trust::default(), &headers).unwrap();
    let client = Client::with_access(&url, access);
    let (head, _) = tokio::join!(
        request_head(&listener),
        client.raw(http::Method::GET, None, "/healthz", None)
    );
    assert!(head.contains("x-api-key: k-123"), "{head}");
    let (head, _) = tokio::join!(request_head(&listener), client.socket("t", "/v1/agent"));
    assert!(
        head.contains("upgrade: websocket") && head.contains("x-api-key: k-123"),
        "{head}"
    );
    let bad = Access::new(&Trust::default(), &["no colon".to_owned()]);
    assert!(bad.unwrap_err().to_string().contains("'Name: value'"));
}

/// The protocols (ALPN) a TLS client offered on one connection to `listener`, which then closes.
async fn offered_protocols(listener: &tokio::net::TcpListener) -> Vec<String> {
    let (tcp, _) = listener.accept().await.unwrap();
    let hello = rustls::server::Acceptor::default();
    let start = tokio_rustls::LazyConfigAcceptor::new(hello, tcp)
        .await
        .unwrap();
    let offered = start.client_hello().alpn();
    offered
        .map(|protocols| {
            protocols
                .map(|p| String::from_utf8_lossy(p).into_owned())
                .collect()
        })
        .unwrap_or_default()
}

/// Over TLS a client says which protocol it will speak: requests offer `h2` with `--http2` and
/// `http/1.1` without; sockets, which upgrade from HTTP/1.1, offer `http/1.1` either way.
#[tokio::test]
async fn each_tls_connection_offers_the_protocol_it_speaks() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("https://{}", listener.local_addr().unwrap());
    let insecure = Trust {
        ca_cert: None,
        insecure: true,
    };
    for http2 in [false, true] {
        let access = Access {
            http2,
            ..Access::new(&insecure, &[]).unwrap()
        };
        let client = Client::with_access(&url, access);
        let (offered, _) = tokio::join!(
            offered_protocols(&listener),
            client.raw(http::Method::GET, None, "/healthz", None)
        );
        let expected = if http2 { "h2" } else { "http/1.1" };
        assert_eq!(offered, [expected], "requests, http2 {http2}");
        let (offered, _) = tokio::join!(
            offered_protocols(&listener),
            client.socket("t", "/v1/agent")
        );
        assert_eq!(offered, ["http/1.1"], "sockets, http2 {http2}");
    }
}

/// The reference server over TLS agrees to what a client offers: `h2` or `http/1.1`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_reference_server_agrees_to_h2_and_http1_over_tls() {
    let pki = Pki::new("alpn");
    let server = pki.server(ClockMode::Wall);
    let address = server.url.trim_start_matches("https://").to_owned();
    for protocol in ["h2", "http/1.1"] {
        let mut config = (*pki.trusting().tls.unwrap()).clone();
        config.alpn_protocols = vec![protocol.as_bytes().to_vec()];
        let tcp = tokio::net::TcpStream::connect(&address).await.unwrap();
        let name = rustls::pki_types::ServerName::try_from("localhost").unwrap();
        let tls = tokio_rustls::TlsConnector::from(std::sync::Arc::new(config))
            .connect(name, tcp)
            .await
            .unwrap_or_else(|e| panic!("{protocol}: {e}"));
        assert_eq!(tls.get_ref().1.alpn_protocol(), Some(protocol.as_bytes()));
    }
    server.stop();
}
