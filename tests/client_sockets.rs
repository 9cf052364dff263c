//! The harness's own client against servers: refused sockets come back as errors naming the
//! HTTP status or the host that could not be reached, a reply too large is cut off, and requests
//! over HTTP/2 share one connection.

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

/// A server answering `GET /ok` at `listener`, over HTTP/1.1 or HTTP/2, counting the connections
/// it accepts in `accepted`, until `stop` fires: it then closes them and is done.
fn serve_ok(
    listener: tokio::net::TcpListener,
    accepted: std::sync::Arc<std::sync::atomic::AtomicUsize>,
    stop: tokio::sync::oneshot::Receiver<()>,
) -> tokio::task::JoinHandle<()> {
    use axum::serve::ListenerExt;
    let listener = listener.tap_io(move |_| {
        accepted.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    });
    let app = axum::Router::new().route("/ok", axum::routing::get(|| async { "{}" }));
    tokio::spawn(async move {
        let server = axum::serve(listener, app).with_graceful_shutdown(async {
            let _ = stop.await;
        });
        server.await.unwrap();
    })
}

/// Requests over HTTP/2 share one connection, however many go at once. When the server closes
/// it, the next request opens another rather than fail.
#[tokio::test]
async fn http2_requests_share_one_connection_and_open_another_once_it_closes() {
    use omnisim::live::tls::Access;
    use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
    let accepted = std::sync::Arc::new(AtomicUsize::new(0));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let at = listener.local_addr().unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel();
    let server = serve_ok(listener, accepted.clone(), stopped);
    let access = Access {
        http2: true,
        ..Access::default()
    };
    let client = Client::with_access(&format!("http://{at}"), access);
    let get = || client.raw(http::Method::GET, None, "/ok", None);

    let at_once = futures_util::future::join_all((0..20).map(|_| get())).await;
    assert!(
        at_once.iter().all(|r| matches!(r, Ok((200, _)))),
        "{at_once:?}"
    );
    for _ in 0..5 {
        assert_eq!(get().await.unwrap().0, 200);
    }
    assert_eq!(accepted.load(SeqCst), 1, "one connection for 25 requests");

    // The server closes its connection and goes away; another comes up at the same address.
    stop.send(()).unwrap();
    server.await.unwrap();
    let (_stop, stopped) = tokio::sync::oneshot::channel();
    let listener = tokio::net::TcpListener::bind(at).await.unwrap();
    let _server = serve_ok(listener, accepted.clone(), stopped);
    assert_eq!(get().await.unwrap().0, 200);
    assert_eq!(get().await.unwrap().0, 200);
    assert_eq!(accepted.load(SeqCst), 2);
}
