//! The WebSocket opening handshake (RFC 6455 §4.1), done here rather than by tungstenite's
//! client so that each socket's read buffer is sized for this protocol's small frames. The
//! library's client handshake reads into a 4 KiB buffer and hands that same allocation to the
//! socket as its read buffer; a run holds one socket per simulated customer, and 4 KiB each was
//! half of what a customer in flight cost.

use super::addresses::Addresses;
use super::client::{ClientError, Socket, transport};
use super::connect::{Place, open};
use super::tls::Access;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::handshake::client::generate_key;
use tokio_tungstenite::tungstenite::handshake::derive_accept_key;
use tokio_tungstenite::tungstenite::protocol::{Role, WebSocketConfig};

/// How many frames a socket carries, which sizes its buffers: frames of this protocol are a few
/// hundred bytes, and larger ones grow a buffer as needed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Traffic {
    /// A customer's stream: a run holds thousands, each reading a frame now and then, so each
    /// buffer is small.
    Light,
    /// An agent's connection or a channel's stream: a run holds a few, each carrying thousands of
    /// frames a second, which a larger buffer reads (and writes) many at a time, one system call
    /// each time instead of one per few frames.
    Heavy,
}

impl Traffic {
    /// Not more for heavy traffic: the read buffer is zeroed before every read, and 64 KiB cost
    /// more than the reads it saved.
    fn buffer(self) -> usize {
        match self {
            Traffic::Light => 1024,
            Traffic::Heavy => 8 * 1024,
        }
    }
}

/// A handshake response longer than this is not one this client expects.
const MAX_RESPONSE: usize = 8 * 1024;

/// Connects to `path` on the server at `base` (`http://host:port`, or `https://` over TLS as
/// `access` trusts it), at the addresses `addresses` knows for it, with a bearer `token` and
/// `access`'s extra headers.
pub async fn connect(
    base: &str,
    access: &Access,
    addresses: &Addresses,
    token: &str,
    path: &str,
    traffic: Traffic,
) -> Result<Socket, ClientError> {
    if token.contains(['\r', '\n']) {
        return Err(transport("token is not a valid header"));
    }
    let place = Place::of(base)?;
    let authority = place.authority;
    let mut stream = open(&place, access, addresses).await?;
    let key = generate_key();
    let mut request = format!(
        "GET {path} HTTP/1.1\r\nHost: {authority}\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\
         Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: {key}\r\nAuthorization: Bearer {token}\r\n"
    );
    for (name, value) in &access.headers {
        let value = value.to_str().map_err(transport)?;
        request.push_str(&format!("{name}: {value}\r\n"));
    }
    request.push_str("\r\n");
    stream
        .write_all(request.as_bytes())
        .await
        .map_err(transport)?;

    let mut read = Vec::with_capacity(512);
    let (head_len, status, accept) = loop {
        if read.len() >= MAX_RESPONSE {
            return Err(transport("handshake response too long"));
        }
        let mut chunk = [0u8; 512];
        let n = stream.read(&mut chunk).await.map_err(transport)?;
        if n == 0 {
            return Err(transport("connection closed during the handshake"));
        }
        read.extend_from_slice(&chunk[..n]);
        let mut headers = [httparse::EMPTY_HEADER; 32];
        let mut response = httparse::Response::new(&mut headers);
        if let httparse::Status::Complete(len) = response.parse(&read).map_err(transport)? {
            let accept = response
                .headers
                .iter()
                .find(|h| h.name.eq_ignore_ascii_case("sec-websocket-accept"))
                .map(|h| h.value.to_vec());
            break (len, response.code.unwrap_or(0), accept);
        }
    };
    if status != 101 {
        return Err(transport(format!("HTTP error: {status}")));
    }
    if accept.as_deref() != Some(derive_accept_key(key.as_bytes()).as_bytes()) {
        return Err(transport(
            "the server's Sec-WebSocket-Accept does not match the key",
        ));
    }
    // Frames the server sent right behind its response belong to the socket.
    let tail = read.split_off(head_len);
    let config = WebSocketConfig::default()
        .read_buffer_size(traffic.buffer())
        .write_buffer_size(traffic.buffer());
    Ok(WebSocketStream::from_partially_read(stream, tail, Role::Client, Some(config)).await)
}
