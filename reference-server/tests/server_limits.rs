//! What a slow, silent or greedy client costs the server, over real sockets with short limits:
//! headers and bodies that never finish are cut off, and connections over the cap are closed at
//! once while the ones already open are served.

mod support;
use omnisim_reference_server::server::ServerConfig;
use omnisim_reference_server::server::listener::Limits;
use std::time::Duration;
use support::*;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

async fn limited(max_connections: usize) -> TestServer {
    TestServer::with_config(ServerConfig {
        limits: Limits {
            max_connections,
            header_timeout: Duration::from_millis(300),
        },
        body_timeout: Duration::from_millis(300),
        ..ServerConfig::default()
    })
    .await
}

/// Reads until the server closes the connection, within `within`; what it sent.
async fn until_closed(tcp: &mut TcpStream, within: Duration) -> Option<String> {
    let mut got = Vec::new();
    let read = async {
        let mut buf = [0u8; 4096];
        loop {
            match tcp.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => got.extend_from_slice(&buf[..n]),
            }
        }
    };
    tokio::time::timeout(within, read).await.ok()?;
    Some(String::from_utf8_lossy(&got).into_owned())
}

#[tokio::test]
async fn headers_that_never_finish_are_cut_off() {
    let t = limited(100).await;
    let mut tcp = TcpStream::connect(t.server.addr).await.unwrap();
    tcp.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ")
        .await
        .unwrap();
    let sent = until_closed(&mut tcp, Duration::from_secs(5)).await;
    assert!(sent.is_some(), "the connection is still open");
    t.server.shutdown().await.unwrap();
}

#[tokio::test]
async fn a_body_that_never_finishes_gets_408() {
    let t = limited(100).await;
    let org = t.org("a").await;
    let mut tcp = TcpStream::connect(t.server.addr).await.unwrap();
    let head = format!(
        "POST /v1/orgs/{}/queues HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {}\r\n\
         Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{{\"name\"",
        org.id.0, org.token
    );
    tcp.write_all(head.as_bytes()).await.unwrap();
    let sent = until_closed(&mut tcp, Duration::from_secs(5))
        .await
        .expect("the server answers and closes");
    assert!(sent.starts_with("HTTP/1.1 408"), "{sent}");
    assert!(sent.contains("request_timeout"), "{sent}");
    t.server.shutdown().await.unwrap();
}

#[tokio::test]
async fn connections_over_the_cap_are_closed_and_the_rest_served() {
    let t = limited(4).await;
    let mut held = Vec::new();
    for _ in 0..4 {
        held.push(TcpStream::connect(t.server.addr).await.unwrap());
    }
    // The four connections have taken their slots once the server has accepted them.
    tokio::time::sleep(Duration::from_millis(50)).await;
    let mut over = TcpStream::connect(t.server.addr).await.unwrap();
    over.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .ok();
    let sent = until_closed(&mut over, Duration::from_secs(2)).await;
    assert_eq!(sent.as_deref(), Some(""), "closed without an answer");
    // The silent ones are cut off at the header timeout, and the server answers again.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    loop {
        let healthy = t.http.get(t.url("/healthz")).send().await;
        if healthy.is_ok_and(|r| r.status() == 200) {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "/healthz never came back"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    drop(held);
    t.server.shutdown().await.unwrap();
}

#[tokio::test]
async fn a_kept_alive_connection_idle_past_the_header_timeout_is_closed() {
    let t = limited(100).await;
    let mut tcp = TcpStream::connect(t.server.addr).await.unwrap();
    tcp.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .unwrap();
    let mut buf = [0u8; 1024];
    let n = tcp.read(&mut buf).await.unwrap();
    assert!(String::from_utf8_lossy(&buf[..n]).starts_with("HTTP/1.1 200"));
    // Kept alive, then silent: closed once the next request's headers are overdue.
    let sent = until_closed(&mut tcp, Duration::from_secs(5)).await;
    assert_eq!(
        sent.as_deref(),
        Some(""),
        "the idle connection is still open"
    );
    t.server.shutdown().await.unwrap();
}

#[tokio::test]
async fn requests_over_http2_are_served() {
    let t = limited(100).await;
    let h2 = reqwest::Client::builder()
        .http2_prior_knowledge()
        .build()
        .unwrap();
    let reply = h2.get(t.url("/healthz")).send().await.unwrap();
    assert_eq!(reply.version(), reqwest::Version::HTTP_2);
    assert_eq!(reply.status(), 200);
    t.server.shutdown().await.unwrap();
}

/// Telling HTTP/2 from HTTP/1.1 takes the preface's 24 bytes: a client that stops inside them is
/// cut off at the header timeout like one that stops inside its headers.
#[tokio::test]
async fn a_client_that_stops_inside_the_http2_preface_is_cut_off() {
    let t = limited(100).await;
    let mut tcp = TcpStream::connect(t.server.addr).await.unwrap();
    tcp.write_all(b"PRI * HTTP/2.0\r\n").await.unwrap();
    let sent = until_closed(&mut tcp, Duration::from_secs(5)).await;
    assert_eq!(sent.as_deref(), Some(""), "the connection is still open");
    t.server.shutdown().await.unwrap();
}
