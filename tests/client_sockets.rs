//! The harness's own socket handshake against the reference server: refusals come back as
//! errors naming the HTTP status or the host that could not be reached.

use omnisim::live::client::{Client, ClientError};
use omnisim::live::embedded::Embedded;

#[tokio::test]
async fn refused_sockets_say_why() {
    let server = Embedded::start().unwrap();
    let client = Client::new(&server.url);

    let refused = client.socket("not-a-token", "/v1/agent").await.err();
    match refused {
        Some(ClientError::Transport(m)) => assert!(m.contains("401"), "{m}"),
        other => panic!("expected a refusal, got {other:?}"),
    }

    // A route that is not a socket is refused too.
    let not_found = client.socket(&server.admin_token, "/v1/nowhere").await;
    assert!(not_found.is_err());

    let tls = Client::new("https://example.invalid");
    match tls.socket("t", "/v1/agent").await.err() {
        Some(ClientError::Transport(m)) => assert!(m.contains("example.invalid:443"), "{m}"),
        other => panic!("expected a refusal, got {other:?}"),
    }
    let neither = Client::new("ftp://example.invalid");
    match neither.socket("t", "/v1/agent").await.err() {
        Some(ClientError::Transport(m)) => assert!(m.contains("http:// or https://"), "{m}"),
        other => panic!("expected a refusal, got {other:?}"),
    }
    server.stop();
}
