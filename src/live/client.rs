//! A protocol v1 client over HTTP and WebSocket, for any compatible server.

use futures_util::{SinkExt, StreamExt};
use omnisim_protocol::ApiError;
use serde::Serialize;
use serde::de::DeserializeOwned;
use tokio_tungstenite::tungstenite::Message as WsMessage;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;

/// What went wrong talking to the server.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// The server answered with a protocol error.
    #[error("{0}")]
    Api(ApiError),
    /// The server could not be reached, or answered with something that is not the protocol.
    #[error("{0}")]
    Transport(String),
}

impl ClientError {
    /// The error code for counting: the protocol code, or `transport`.
    pub fn code(&self) -> String {
        match self {
            ClientError::Api(e) => e.code.as_str().to_owned(),
            ClientError::Transport(_) => "transport".to_owned(),
        }
    }
}

/// A server, by base URL.
#[derive(Clone)]
pub struct Client {
    http: reqwest::Client,
    base: String,
}

pub type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

impl Client {
    pub fn new(base: &str) -> Client {
        Client {
            http: reqwest::Client::new(),
            base: base.trim_end_matches('/').to_owned(),
        }
    }

    pub fn base(&self) -> &str {
        &self.base
    }

    async fn send<T: DeserializeOwned>(
        &self,
        req: reqwest::RequestBuilder,
    ) -> Result<T, ClientError> {
        let resp = req
            .send()
            .await
            .map_err(|e| ClientError::Transport(e.to_string()))?;
        let status = resp.status();
        let bytes = resp
            .bytes()
            .await
            .map_err(|e| ClientError::Transport(e.to_string()))?;
        if status.is_success() {
            serde_json::from_slice(&bytes)
                .map_err(|e| ClientError::Transport(format!("bad reply: {e}")))
        } else {
            match serde_json::from_slice::<ApiError>(&bytes) {
                Ok(e) => Err(ClientError::Api(e)),
                Err(_) => Err(ClientError::Transport(format!(
                    "HTTP {status} without an error body"
                ))),
            }
        }
    }

    async fn with_body<T: DeserializeOwned>(
        &self,
        method: reqwest::Method,
        token: &str,
        path: &str,
        body: &impl Serialize,
    ) -> Result<T, ClientError> {
        let url = format!("{}{path}", self.base);
        let req = self.http.request(method, url).bearer_auth(token).json(body);
        self.send(req).await
    }

    pub async fn post<T: DeserializeOwned>(
        &self,
        token: &str,
        path: &str,
        body: &impl Serialize,
    ) -> Result<T, ClientError> {
        self.with_body(reqwest::Method::POST, token, path, body)
            .await
    }

    pub async fn put<T: DeserializeOwned>(
        &self,
        token: &str,
        path: &str,
        body: &impl Serialize,
    ) -> Result<T, ClientError> {
        self.with_body(reqwest::Method::PUT, token, path, body)
            .await
    }

    pub async fn get<T: DeserializeOwned>(
        &self,
        token: &str,
        path: &str,
    ) -> Result<T, ClientError> {
        let req = self
            .http
            .get(format!("{}{path}", self.base))
            .bearer_auth(token);
        self.send(req).await
    }

    /// Opens a socket at `path` authenticated with `token`.
    pub async fn socket(&self, token: &str, path: &str) -> Result<Socket, ClientError> {
        let url = format!("{}{path}", self.base.replacen("http", "ws", 1));
        let mut req = url
            .into_client_request()
            .map_err(|e| ClientError::Transport(e.to_string()))?;
        let header = format!("Bearer {token}")
            .parse()
            .map_err(|_| ClientError::Transport("token is not a valid header".into()))?;
        req.headers_mut().insert("authorization", header);
        // Small buffers: a run holds a socket per simulated customer, and the library's 128 KiB
        // default read buffer would make each cost more than everything else it holds.
        let config = WebSocketConfig::default()
            .read_buffer_size(4 * 1024)
            .write_buffer_size(4 * 1024);
        let (socket, _) = tokio_tungstenite::connect_async_with_config(req, Some(config), true)
            .await
            .map_err(|e| ClientError::Transport(e.to_string()))?;
        Ok(socket)
    }
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
