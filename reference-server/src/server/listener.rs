//! The accept loop: every connection under a cap and a deadline, so that no client can starve the
//! server of connections or file descriptors. A connection over the cap is closed at once (the
//! ones already open keep being served, `/healthz` included); a new connection must start its
//! request, and finish its headers, within the header timeout, which is also how long a kept-alive
//! connection may sit idle before its next request. Bodies have their own deadline in
//! [`super::http::Json`]. With TLS the handshake shares the header deadline.

use axum::Router;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto::Builder;
use hyper_util::service::TowerToHyperService;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::{Semaphore, watch};

/// What one client may hold of the server's connections and time.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    /// Connections open at once; one more is closed as soon as it is accepted.
    pub max_connections: usize,
    /// How long a new connection may take to start its first request, a request to send its
    /// headers, and a kept-alive connection to start its next request.
    pub header_timeout: Duration,
}

/// Serves `app` on `listener` until `stop` turns true, then lets open connections finish their
/// requests (sockets are closed by their own pumps) and returns once all have.
pub async fn serve(
    listener: TcpListener,
    app: Router,
    limits: Limits,
    tls: Option<Arc<rustls::ServerConfig>>,
    mut stop: watch::Receiver<bool>,
) -> std::io::Result<()> {
    let acceptor = tls.map(tokio_rustls::TlsAcceptor::from);
    let slots = Arc::new(Semaphore::new(limits.max_connections));
    let (open_tx, open_rx) = watch::channel(());
    loop {
        let accepted = tokio::select! {
            accepted = listener.accept() => accepted,
            _ = stop.changed() => break,
        };
        let tcp = match accepted {
            Ok((tcp, _)) => tcp,
            // Out of file descriptors or similar: wait a little rather than spin.
            Err(_) => {
                tokio::time::sleep(Duration::from_millis(10)).await;
                continue;
            }
        };
        let Ok(slot) = slots.clone().try_acquire_owned() else {
            drop(tcp);
            continue;
        };
        // Frames are small and each one matters on its own: without TCP_NODELAY a frame written
        // right after another waits for the peer's delayed ACK (up to 40 ms on Linux).
        let _ = tcp.set_nodelay(true);
        let service = app.clone();
        let stopping = stop.clone();
        let open = open_rx.clone();
        let acceptor = acceptor.clone();
        tokio::spawn(async move {
            // A client that connects and says nothing holds its slot no longer than it may take
            // to send headers: the HTTP library's own header timeout starts with the first byte.
            let mut byte = [0u8; 1];
            let first = tokio::time::timeout(limits.header_timeout, tcp.peek(&mut byte)).await;
            if matches!(first, Ok(Ok(1))) {
                match acceptor {
                    None => connection(tcp, service, limits, stopping).await,
                    // The TLS handshake is bounded like the headers it comes before.
                    Some(acceptor) => {
                        let wait = limits.header_timeout;
                        if let Ok(Ok(tls)) = tokio::time::timeout(wait, acceptor.accept(tcp)).await
                        {
                            connection(tls, service, limits, stopping).await;
                        }
                    }
                }
            }
            drop((slot, open));
        });
    }
    drop(open_rx);
    open_tx.closed().await;
    Ok(())
}

/// Requests one HTTP/2 connection may have open at once: a client wanting more opens another
/// connection, under the server's cap on those.
const H2_STREAMS: u32 = 256;

/// Serves one connection, plain or TLS, HTTP/1.1 or HTTP/2 (told apart by its first bytes, the
/// HTTP/2 preface), until it closes or the server stops. Its first request must come within the
/// header timeout, whichever the version: a client that stops inside the preface, or opens
/// HTTP/2 and asks nothing, is dropped then. An HTTP/2 connection whose peer stops answering
/// pings for the header timeout is dropped too; one that answers holds its slot like a socket.
async fn connection<S>(io: S, app: Router, limits: Limits, mut stopping: watch::Receiver<bool>)
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    let mut builder = Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_timeout);
    builder
        .http2()
        .timer(TokioTimer::new())
        .max_concurrent_streams(H2_STREAMS)
        .keep_alive_interval(limits.header_timeout)
        .keep_alive_timeout(limits.header_timeout);
    let asked = Arc::new(tokio::sync::Notify::new());
    let told = asked.clone();
    let service = tower::util::service_fn(move |request| {
        told.notify_one();
        tower::ServiceExt::oneshot(app.clone(), request)
    });
    let conn =
        builder.serve_connection_with_upgrades(TokioIo::new(io), TowerToHyperService::new(service));
    tokio::pin!(conn);
    tokio::select! {
        _ = conn.as_mut() => return,
        _ = asked.notified() => {}
        _ = tokio::time::sleep(limits.header_timeout) => return,
        _ = stopping.changed() => return,
    }
    tokio::select! {
        _ = conn.as_mut() => {}
        _ = stopping.changed() => {
            conn.as_mut().graceful_shutdown();
            let _ = conn.await;
        }
    }
}
