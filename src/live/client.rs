//! A protocol v1 client over HTTP and WebSocket, for any compatible server.

use super::addresses::Addresses;
use super::connect::{Place, open};
use super::handshake::Traffic;
use super::tls::{Access, Stream, Trust, client_config, explain};
use bytes::Bytes;
use futures_util::{SinkExt, StreamExt};
use http::header::{AUTHORIZATION, CONTENT_TYPE, HeaderValue};
use http::{Method, Request, StatusCode, Uri};
use http_body_util::{BodyExt, Full, Limited};
use hyper_util::client::legacy::connect::{Connected, Connection};
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use omnisim_protocol::ApiError;
use serde::Serialize;
use serde::de::DeserializeOwned;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use tokio_tungstenite::tungstenite::{Message as WsMessage, Utf8Bytes};

/// What went wrong talking to the server.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// The server answered with a protocol error.
    #[error("{0}")]
    Api(ApiError),
    /// The server could not be reached, or the connection failed.
    #[error("{0}")]
    Transport(String),
    /// The server answered with a body that is not the protocol: the field at fault, and the
    /// body as received.
    #[error("a reply that is not the protocol: {0}")]
    Protocol(crate::wire::WireError, String),
}

/// `Authorization: Bearer <token>`, made once for a token a run sends with many requests.
/// Never kept in HTTP/2's header compression table, where a later header could probe it.
#[derive(Clone, Debug)]
pub struct Bearer(HeaderValue);

impl Bearer {
    /// The header for `token`; an error when the token cannot be a header value.
    pub fn new(token: &str) -> Result<Bearer, ClientError> {
        let mut value = HeaderValue::try_from(format!("Bearer {token}"))
            .map_err(|_| transport("token is not a valid header"))?;
        value.set_sensitive(true);
        Ok(Bearer(value))
    }
}

/// The content type of the protocol's bodies.
const JSON: HeaderValue = HeaderValue::from_static("application/json");

/// A [`ClientError::Transport`] saying `what` failed: for the connection, handshake and request
/// code that reaches the target.
pub(super) fn transport(what: impl std::fmt::Display) -> ClientError {
    ClientError::Transport(what.to_string())
}

impl ClientError {
    /// The error code for counting: the protocol code, or `transport`.
    pub fn code(&self) -> String {
        match self {
            ClientError::Api(e) => e.code.as_str().to_owned(),
            ClientError::Transport(_) => "transport".to_owned(),
            ClientError::Protocol(..) => "protocol".to_owned(),
        }
    }

    /// Counts the error by its code and keeps it among the run's protocol violations or
    /// transport errors when it is one.
    pub fn record(&self, run: &mut super::context::Shared) {
        let at_s = run.origin.map_or(0.0, |o| o.elapsed().as_secs_f64());
        let recorder = &mut run.recorder;
        recorder.error(self.code());
        match self {
            ClientError::Protocol(e, body) => recorder.protocol.record("HTTP reply", e, body),
            ClientError::Transport(problem) => recorder.transport.record(at_s, problem),
            ClientError::Api(_) => {}
        }
    }
}

/// A server, by base URL, and how to reach it.
#[derive(Clone)]
pub struct Client {
    http: Http,
    base: String,
    access: Arc<Access>,
    /// The target's socket addresses, shared by every socket and connection the client opens.
    addresses: Arc<Addresses>,
}

/// A protocol socket (customer stream, provider stream or agent connection).
pub type Socket = tokio_tungstenite::WebSocketStream<super::tls::Stream>;

/// hyper's pooled client over the connections [`Connector`] opens. Below a load test's every
/// request, it is used directly: a general-purpose client's layers above it (redirects,
/// retries, a URL parsed again for every response) cost the generator an eighth of its CPU.
type Http = hyper_util::client::legacy::Client<Connector, Full<Bytes>>;

/// How long a pooled connection may sit idle before the client closes it rather than reuse it:
/// below the idle limits servers put on kept-alive connections (the reference server's 10 s,
/// Node's 5 s), so that a request never goes out on a connection the server is closing at that
/// moment, which fails it with a reset the server never saw.
const POOL_IDLE: std::time::Duration = std::time::Duration::from_secs(4);

/// The largest reply body read: a session's whole transcript fits many times over. A larger
/// one fails its request rather than hold the generator's memory.
const MAX_REPLY_BYTES: usize = 64 * 1024 * 1024;

/// Opens the HTTP client's connections as sockets are opened ([`super::connect`]).
#[derive(Clone)]
struct Connector {
    base: Arc<str>,
    access: Arc<Access>,
    addresses: Arc<Addresses>,
}

impl tower::Service<Uri> for Connector {
    type Response = TokioIo<Stream>;
    type Error = ClientError;
    type Future = Pin<Box<dyn Future<Output = Result<TokioIo<Stream>, ClientError>> + Send>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), ClientError>> {
        Poll::Ready(Ok(()))
    }

    /// Every request goes to the client's own target, whatever its URI says.
    fn call(&mut self, _: Uri) -> Self::Future {
        let me = self.clone();
        Box::pin(async move {
            let place = Place::of(&me.base)?;
            open(&place, &me.access, &me.addresses)
                .await
                .map(TokioIo::new)
        })
    }
}

/// Nothing to tell the pool about a connection: it is HTTP/2 when the client speaks only that.
impl Connection for Stream {
    fn connected(&self) -> Connected {
        Connected::new()
    }
}

/// What the HTTP client's connections reach the target with: `access`, its TLS offering `h2`
/// when requests go over HTTP/2, as a server that picks the protocol from the TLS handshake wants
/// (sockets keep offering HTTP/1.1, which they upgrade from).
fn request_access(access: &Access) -> Arc<Access> {
    if !access.http2 {
        return Arc::new(access.clone());
    }
    let tls = access
        .tls
        .clone()
        .or_else(|| client_config(&Trust::default()).ok());
    let tls = tls.map(|config| {
        let mut config = (*config).clone();
        config.alpn_protocols = vec![b"h2".to_vec()];
        Arc::new(config)
    });
    Arc::new(Access {
        tls,
        ..access.clone()
    })
}

/// The HTTP client for `access` (HTTP/2 from the first byte when it says so); pooled unless
/// `unpooled`.
fn http_client(
    base: &str,
    access: &Arc<Access>,
    addresses: &Arc<Addresses>,
    unpooled: bool,
) -> Http {
    let mut builder = hyper_util::client::legacy::Client::builder(TokioExecutor::new());
    builder
        .pool_idle_timeout(POOL_IDLE)
        .pool_timer(TokioTimer::new())
        .http2_only(access.http2);
    if unpooled {
        builder.pool_max_idle_per_host(0);
    }
    builder.build(Connector {
        base: base.into(),
        access: request_access(access),
        addresses: addresses.clone(),
    })
}

impl Client {
    /// A client of `base` trusting the public roots, with no extra headers.
    pub fn new(base: &str) -> Client {
        Client::reaching(base, Arc::default())
    }

    /// A client of `base` reaching it as `access` says (TLS trust, extra headers, HTTP/2).
    pub fn with_access(base: &str, access: Access) -> Client {
        Client::reaching(base, Arc::new(access))
    }

    fn reaching(base: &str, access: Arc<Access>) -> Client {
        let base = base.trim_end_matches('/').to_owned();
        let addresses = Arc::default();
        Client {
            http: http_client(&base, &access, &addresses, false),
            base,
            access,
            addresses,
        }
    }

    /// Whether requests go over HTTP/2 ([`Access::http2`]).
    pub fn http2(&self) -> bool {
        self.access.http2
    }

    pub fn base(&self) -> &str {
        &self.base
    }

    /// The same server through a client that keeps no connection for reuse: for requests a server
    /// may answer before reading their body (a 401 or 413 to a large one), after which the
    /// connection cannot carry another request.
    pub fn unpooled(&self) -> Client {
        Client {
            http: http_client(&self.base, &self.access, &self.addresses, true),
            base: self.base.clone(),
            access: self.access.clone(),
            addresses: self.addresses.clone(),
        }
    }

    /// The URI of `path` on this server, made once for a route a run posts to many times.
    pub fn url(&self, path: &str) -> Result<Uri, ClientError> {
        let url = format!("{}{path}", self.base);
        Uri::try_from(&url).map_err(|e| transport(format!("{url}: {e}")))
    }

    /// Sends a request with `access`'s headers, a `bearer` token if any and a `body` if any (of
    /// its content type); answers the status and the body.
    async fn exchange(
        &self,
        method: Method,
        bearer: Option<Bearer>,
        uri: Uri,
        body: Option<(Bytes, HeaderValue)>,
    ) -> Result<(StatusCode, Bytes), ClientError> {
        let mut req = Request::builder().method(method).uri(uri);
        for (name, value) in &self.access.headers {
            req = req.header(name, value);
        }
        if let Some(Bearer(value)) = bearer {
            req = req.header(AUTHORIZATION, value);
        }
        let (body, req) = match body {
            Some((bytes, content_type)) => (bytes, req.header(CONTENT_TYPE, content_type)),
            None => (Bytes::new(), req),
        };
        let req = req.body(Full::new(body)).map_err(transport)?;
        // The client boxes the request's future itself.
        let resp = self
            .http
            .request(req)
            .await
            .map_err(|e| transport(explain(&e)))?;
        let status = resp.status();
        // Boxed, as the socket handshake is: reading a body takes a large future, short-lived,
        // that inline would size every customer's task, which mostly waits on its stream.
        let body = Box::pin(Limited::new(resp.into_body(), MAX_REPLY_BYTES).collect())
            .await
            .map_err(|e| transport(format!("reading the reply: {}", explain(&*e))))?;
        Ok((status, body.to_bytes()))
    }

    /// Sends a request and reads its reply as the protocol says: `T` on success, else the
    /// protocol's error.
    async fn call<T: DeserializeOwned>(
        &self,
        method: Method,
        bearer: Bearer,
        uri: Uri,
        body: Option<&impl Serialize>,
    ) -> Result<T, ClientError> {
        let body = match body {
            Some(b) => Some((Bytes::from(serde_json::to_vec(b).map_err(transport)?), JSON)),
            None => None,
        };
        let (status, bytes) = self.exchange(method, Some(bearer), uri, body).await?;
        let text = String::from_utf8_lossy(&bytes);
        if status.is_success() {
            crate::wire::reply(&text).map_err(|e| ClientError::Protocol(e, text.into()))
        } else {
            crate::wire::reply::<ApiError>(&text)
                .map(ClientError::Api)
                .map_err(|e| ClientError::Protocol(e, format!("HTTP {status}: {text}")))
                .and_then(Err)
        }
    }

    pub async fn post<T: DeserializeOwned>(
        &self,
        token: &str,
        path: &str,
        body: &impl Serialize,
    ) -> Result<T, ClientError> {
        let bearer = Bearer::new(token)?;
        self.call(Method::POST, bearer, self.url(path)?, Some(body))
            .await
    }

    /// [`Client::post`] to a URI made by [`Client::url`], with a bearer made once: for the
    /// requests a run sends many times.
    pub async fn post_url<T: DeserializeOwned>(
        &self,
        bearer: &Bearer,
        url: &Uri,
        body: &impl Serialize,
    ) -> Result<T, ClientError> {
        self.call(Method::POST, bearer.clone(), url.clone(), Some(body))
            .await
    }

    pub async fn put<T: DeserializeOwned>(
        &self,
        token: &str,
        path: &str,
        body: &impl Serialize,
    ) -> Result<T, ClientError> {
        let bearer = Bearer::new(token)?;
        self.call(Method::PUT, bearer, self.url(path)?, Some(body))
            .await
    }

    pub async fn get<T: DeserializeOwned>(
        &self,
        token: &str,
        path: &str,
    ) -> Result<T, ClientError> {
        let bearer = Bearer::new(token)?;
        self.call(Method::GET, bearer, self.url(path)?, None::<&()>)
            .await
    }

    /// Any request, answered as it came: the status and the body. For checking the protocol
    /// itself (status codes, error bodies), where [`Client::post`] and friends would interpret.
    pub async fn raw(
        &self,
        method: Method,
        token: Option<&str>,
        path: &str,
        body: Option<String>,
    ) -> Result<(u16, String), ClientError> {
        self.raw_as(method, token, path, body, "application/json")
            .await
    }

    /// [`Client::raw`] with the body sent as `content_type`.
    pub async fn raw_as(
        &self,
        method: Method,
        token: Option<&str>,
        path: &str,
        body: Option<String>,
        content_type: &str,
    ) -> Result<(u16, String), ClientError> {
        let content_type = HeaderValue::try_from(content_type)
            .map_err(|_| transport("content type is not a valid header"))?;
        let bearer = token.map(Bearer::new).transpose()?;
        let body = body.map(|b| (Bytes::from(b), content_type));
        let (status, bytes) = self.exchange(method, bearer, self.url(path)?, body).await?;
        Ok((
            status.as_u16(),
            String::from_utf8_lossy(&bytes).into_owned(),
        ))
    }

    /// Opens a socket at `path` authenticated with `token`, for a customer's light traffic.
    pub async fn socket(&self, token: &str, path: &str) -> Result<Socket, ClientError> {
        self.socket_for(token, path, Traffic::Light).await
    }

    /// [`Client::socket`] for the heavy traffic of an agent's connection or a channel's stream.
    pub async fn busy_socket(&self, token: &str, path: &str) -> Result<Socket, ClientError> {
        self.socket_for(token, path, Traffic::Heavy).await
    }

    async fn socket_for(
        &self,
        token: &str,
        path: &str,
        traffic: Traffic,
    ) -> Result<Socket, ClientError> {
        Box::pin(super::handshake::connect(
            &self.base,
            &self.access,
            &self.addresses,
            token,
            path,
            traffic,
        ))
        .await
    }
}

/// The close code the server ends `socket` with, waiting at most `within`: `None` when the
/// socket is still open then, `Some(None)` when it closed without a code.
pub async fn close_code(socket: &mut Socket, within: std::time::Duration) -> Option<Option<u16>> {
    let wait = async {
        while let Some(frame) = socket.next().await {
            match frame {
                Ok(WsMessage::Close(c)) => return c.map(|c| u16::from(c.code)),
                Ok(_) => continue,
                Err(_) => return None,
            }
        }
        None
    };
    tokio::time::timeout(within, wait).await.ok()
}

/// The next text frame of a socket, as received (not copied); `None` once it is closed.
pub async fn next_text(socket: &mut Socket) -> Option<Utf8Bytes> {
    while let Some(frame) = socket.next().await {
        match frame {
            Ok(WsMessage::Text(t)) => return Some(t),
            Ok(WsMessage::Close(_)) | Err(_) => return None,
            Ok(_) => continue,
        }
    }
    None
}

/// Sends a JSON text frame.
pub async fn send_json(socket: &mut Socket, value: &impl Serialize) -> Result<(), ClientError> {
    feed_json(socket, value).await?;
    flush(socket).await
}

/// Queues a JSON text frame to go out with the next [`flush`]: frames queued together share a
/// write, where each sent on its own costs one.
pub async fn feed_json(socket: &mut Socket, value: &impl Serialize) -> Result<(), ClientError> {
    let text = serde_json::to_string(value).map_err(transport)?;
    socket
        .feed(WsMessage::Text(text.into()))
        .await
        .map_err(transport)
}

/// Writes out the frames [`feed_json`] queued.
pub async fn flush(socket: &mut Socket) -> Result<(), ClientError> {
    socket.flush().await.map_err(transport)
}
