//! The harness's own client against servers: refused sockets come back as errors naming the
//! HTTP status or the host that could not be reached, and a reply too large is cut off.

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

/// A reply larger than the client reads (64 MiB) fails its request instead of filling the
/// generator's memory.
#[tokio::test]
async fn an_endless_reply_is_cut_off() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        let (mut conn, _) = listener.accept().await.unwrap();
        let mut head = Vec::new();
        while !head.ends_with(b"\r\n\r\n") {
            let mut byte = [0u8; 1];
            if conn.read(&mut byte).await.unwrap_or(0) == 0 {
                return;
            }
            head.push(byte[0]);
        }
        let reply = b"HTTP/1.1 200 OK\r\ncontent-length: 100000000\r\n\r\n";
        conn.write_all(reply).await.unwrap();
        let chunk = vec![b' '; 1 << 20];
        while conn.write_all(&chunk).await.is_ok() {}
    });
    let client = Client::new(&url);
    match client.raw(http::Method::GET, None, "/big", None).await {
        Err(ClientError::Transport(m)) => assert!(m.contains("reading the reply"), "{m}"),
        other => panic!(
            "expected the reply cut off, got {:?}",
            other.map(|(s, b)| (s, b.len()))
        ),
    }
}
