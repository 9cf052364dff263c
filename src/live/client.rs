//! A protocol v1 client over HTTP and WebSocket, for any compatible server.

use super::tls::{Access, explain};
use futures_util::{SinkExt, StreamExt};
use omnisim_protocol::ApiError;
use serde::Serialize;
use serde::de::DeserializeOwned;
use tokio_tungstenite::tungstenite::Message as WsMessage;

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
    http: reqwest::Client,
    base: String,
    access: std::sync::Arc<Access>,
    /// The target's socket addresses, shared by every socket the client opens.
    addresses: std::sync::Arc<super::addresses::Addresses>,
}

/// A protocol socket (customer stream, provider stream or agent connection).
pub type Socket = tokio_tungstenite::WebSocketStream<super::tls::Stream>;

/// How long a pooled connection may sit idle before the client closes it rather than reuse it:
/// below the idle limits servers put on kept-alive connections (the reference server's 10 s,
/// Node's 5 s), so that a request never goes out on a connection the server is closing at that
/// moment, which fails it with a reset the server never saw.
const POOL_IDLE: std::time::Duration = std::time::Duration::from_secs(4);

/// The HTTP client for `access`: its TLS trust and default headers; pooled unless `unpooled`.
fn http_client(access: &Access, unpooled: bool) -> Result<reqwest::Client, ClientError> {
    let mut builder = reqwest::Client::builder()
        .default_headers(access.headers.iter().cloned().collect())
        .pool_idle_timeout(POOL_IDLE);
    if access.http2 {
        builder = builder.http2_prior_knowledge();
    }
    if let Some(tls) = &access.tls {
        builder = builder.use_preconfigured_tls((**tls).clone());
    }
    if unpooled {
        builder = builder.pool_max_idle_per_host(0);
    }
    builder
        .build()
        .map_err(|e| ClientError::Transport(explain(&e)))
}

impl Client {
    /// A client of `base` trusting the public roots, with no extra headers.
    pub fn new(base: &str) -> Client {
        Client {
            http: reqwest::Client::new(),
            base: base.trim_end_matches('/').to_owned(),
            access: Default::default(),
            addresses: Default::default(),
        }
    }

    /// A client of `base` reaching it as `access` says (TLS trust, extra headers).
    pub fn with_access(base: &str, access: Access) -> Result<Client, ClientError> {
        Ok(Client {
            http: http_client(&access, false)?,
            base: base.trim_end_matches('/').to_owned(),
            access: std::sync::Arc::new(access),
            addresses: Default::default(),
        })
    }

    /// Whether requests go over HTTP/2 ([`Access::http2`]).
    pub fn http2(&self) -> bool {
        self.access.http2
    }

    pub fn base(&self) -> &str {
        &self.base
    }

    /// The URL of `path` on this server.
    fn at(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// The same server through a client that keeps no connection for reuse: for requests a server
    /// may answer before reading their body (a 401 or 413 to a large one), after which the
    /// connection cannot carry another request.
    pub fn unpooled(&self) -> Client {
        Client {
            http: http_client(&self.access, true).unwrap_or_default(),
            base: self.base.clone(),
            access: self.access.clone(),
            addresses: self.addresses.clone(),
        }
    }

    async fn send<T: DeserializeOwned>(
        &self,
        req: reqwest::RequestBuilder,
    ) -> Result<T, ClientError> {
        // Boxed, here and for the socket handshake: these futures are large and short-lived,
        // and inline they would size every customer's task, which mostly waits on its stream.
        let resp = Box::pin(req.send())
            .await
            .map_err(|e| ClientError::Transport(explain(&e)))?;
        let status = resp.status();
        let bytes = Box::pin(resp.bytes())
            .await
            .map_err(|e| ClientError::Transport(explain(&e)))?;
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

    async fn with_body<T: DeserializeOwned>(
        &self,
        method: reqwest::Method,
        token: &str,
        url: impl reqwest::IntoUrl,
        body: &impl Serialize,
    ) -> Result<T, ClientError> {
        let req = self.http.request(method, url).bearer_auth(token).json(body);
        self.send(req).await
    }

    pub async fn post<T: DeserializeOwned>(
        &self,
        token: &str,
        path: &str,
        body: &impl Serialize,
    ) -> Result<T, ClientError> {
        self.with_body(reqwest::Method::POST, token, self.at(path), body)
            .await
    }

    /// The URL of `path` on this server, parsed once for a route a run posts to many times.
    pub fn url(&self, path: &str) -> Result<reqwest::Url, ClientError> {
        let url = self.at(path);
        reqwest::Url::parse(&url).map_err(|e| ClientError::Transport(format!("{url}: {e}")))
    }

    /// [`Client::post`] to a URL made by [`Client::url`].
    pub async fn post_url<T: DeserializeOwned>(
        &self,
        token: &str,
        url: &reqwest::Url,
        body: &impl Serialize,
    ) -> Result<T, ClientError> {
        self.with_body(reqwest::Method::POST, token, url.clone(), body)
            .await
    }

    pub async fn put<T: DeserializeOwned>(
        &self,
        token: &str,
        path: &str,
        body: &impl Serialize,
    ) -> Result<T, ClientError> {
        self.with_body(reqwest::Method::PUT, token, self.at(path), body)
            .await
    }

    pub async fn get<T: DeserializeOwned>(
        &self,
        token: &str,
        path: &str,
    ) -> Result<T, ClientError> {
        let req = self.http.get(self.at(path)).bearer_auth(token);
        self.send(req).await
    }

    /// Any request, answered as it came: the status and the body. For checking the protocol
    /// itself (status codes, error bodies), where [`Client::post`] and friends would interpret.
    pub async fn raw(
        &self,
        method: reqwest::Method,
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
        method: reqwest::Method,
        token: Option<&str>,
        path: &str,
        body: Option<String>,
        content_type: &str,
    ) -> Result<(u16, String), ClientError> {
        let mut req = self.http.request(method, self.at(path));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        if let Some(b) = body {
            req = req.header("content-type", content_type).body(b);
        }
        let resp = Box::pin(req.send())
            .await
            .map_err(|e| ClientError::Transport(explain(&e)))?;
        let status = resp.status().as_u16();
        let text = Box::pin(resp.text())
            .await
            .map_err(|e| ClientError::Transport(explain(&e)))?;
        Ok((status, text))
    }

    /// Opens a socket at `path` authenticated with `token`.
    pub async fn socket(&self, token: &str, path: &str) -> Result<Socket, ClientError> {
        Box::pin(super::handshake::connect(
            &self.base,
            &self.access,
            &self.addresses,
            token,
            path,
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

/// The next text frame of a socket; `None` once it is closed.
pub async fn next_text(socket: &mut Socket) -> Option<String> {
    while let Some(frame) = socket.next().await {
        match frame {
            Ok(WsMessage::Text(t)) => return Some(t.to_string()),
            Ok(WsMessage::Close(_)) | Err(_) => return None,
            Ok(_) => continue,
        }
    }
    None
}

/// Sends a JSON text frame.
pub async fn send_json(socket: &mut Socket, value: &impl Serialize) -> Result<(), ClientError> {
    let text = serde_json::to_string(value).map_err(|e| ClientError::Transport(e.to_string()))?;
    socket
        .send(WsMessage::Text(text.into()))
        .await
        .map_err(|e| ClientError::Transport(e.to_string()))
}
