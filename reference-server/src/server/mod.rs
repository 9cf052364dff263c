//! The reference server: the engine behind HTTP and WebSocket, exactly as docs/protocol.md §4–§6
//! specify. [`start`] binds and serves (used by `omnisim serve`, by `omnisim run` in-process, and
//! by the tests on an ephemeral port); [`router`] is the same service without a socket, for
//! `tower::ServiceExt::oneshot`.
//!
//! Shutdown: [`RunningServer::shutdown`] flips a watch channel; the HTTP listener stops accepting
//! and drains in-flight requests, every socket closes with 1001 "going away", the timer task
//! returns, and `shutdown` resolves once all of that has finished.

pub mod auth;
pub mod http;
pub mod hub;
pub mod metrics;
pub mod platform;
pub mod pump;
pub mod routes;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post, put};
use omnisim_protocol::limits::MAX_BODY_BYTES;
use platform::{Platform, Settings};
use routes::{agent_socket, clock, ingress, ops, read, setup, streams};
use std::net::SocketAddr;
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// How to run a server.
#[derive(Clone, Debug)]
pub struct ServerConfig {
    /// Where to listen; port 0 picks a free one.
    pub addr: SocketAddr,
    /// The token that may create orgs; a random one when absent.
    pub admin_token: Option<String>,
    /// Frames a socket may have queued before it is dropped as too slow.
    pub socket_queue: usize,
    /// Deliberate bugs for conformance testing (`--fault`); none by default.
    pub faults: crate::faults::Faults,
    /// The wall clock by default; manual clocks per org for conformance testing (`--clock`).
    pub clock: omnisim_protocol::ClockMode,
}

impl Default for ServerConfig {
    fn default() -> ServerConfig {
        ServerConfig {
            addr: SocketAddr::from(([127, 0, 0, 1], 8080)),
            admin_token: None,
            socket_queue: 4096,
            faults: crate::faults::Faults::NONE,
            clock: omnisim_protocol::ClockMode::Wall,
        }
    }
}

/// Why a server could not start.
#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error("the admin token must be 16 to 256 bytes")]
    BadAdminToken,
    #[error("cannot start the server's runtime: {0}")]
    Runtime(std::io::Error),
    #[error("the server thread stopped before it listened")]
    ThreadStopped,
}

/// A server running on its own tasks.
pub struct RunningServer {
    /// The address it listens on.
    pub addr: SocketAddr,
    platform: Platform,
    /// The token that may create orgs.
    pub admin_token: String,
    stop: watch::Sender<bool>,
    http: JoinHandle<std::io::Result<()>>,
    timers: JoinHandle<()>,
}

impl RunningServer {
    /// The base URL, e.g. `http://127.0.0.1:8080`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// A handle that can freeze this server, for measurement tests.
    pub fn freezer(&self) -> Freezer {
        Freezer {
            platform: self.platform.clone(),
        }
    }

    /// Stops accepting, closes every socket and waits for the tasks to finish.
    pub async fn shutdown(self) -> std::io::Result<()> {
        let _ = self.stop.send(true);
        let served = self.http.await.unwrap_or(Ok(()));
        let _ = self.timers.await;
        served
    }
}

/// Freezes a server: a stop-the-world pause in which it answers nothing, the way a long garbage
/// collection or a stuck lock would. Tests use it to check that load measurements show such
/// stalls rather than hide them.
#[derive(Clone)]
pub struct Freezer {
    platform: Platform,
}

impl Freezer {
    /// Holds the server's core for `length` on a thread of its own; returns at once.
    pub fn freeze(&self, length: std::time::Duration) {
        let platform = self.platform.clone();
        std::thread::spawn(move || {
            let _frozen = platform.lock();
            std::thread::sleep(length);
        });
    }
}

/// The routes of protocol v1 over `platform`.
pub fn router(platform: Platform) -> Router {
    let org = "/v1/orgs/{org}";
    Router::new()
        .route("/healthz", get(ops::healthz))
        .route("/metrics", get(ops::metrics))
        .route("/v1/capabilities", get(ops::capabilities))
        .route("/v1/orgs", post(setup::create_org))
        .route(
            &format!("{org}/clock"),
            get(clock::read_clock).post(clock::advance_clock),
        )
        .route(
            &format!("{org}/channels"),
            post(setup::create_channel).get(read::channels),
        )
        .route(
            &format!("{org}/channels/{{channel}}"),
            get(read::channel).patch(setup::update_channel),
        )
        .route(
            &format!("{org}/channels/{{channel}}/inbound"),
            post(ingress::inbound),
        )
        .route(
            &format!("{org}/channels/{{channel}}/outbound"),
            post(ingress::outbound),
        )
        .route(
            &format!("{org}/channels/{{channel}}/users"),
            get(read::user_by_address),
        )
        .route(
            &format!("{org}/channels/{{channel}}/users/consent"),
            put(ingress::consent),
        )
        .route(
            &format!("{org}/channels/{{channel}}/users/stream"),
            get(streams::customer_stream),
        )
        .route(
            &format!("{org}/channels/{{channel}}/stream"),
            get(streams::channel_stream),
        )
        .route(
            &format!("{org}/queues"),
            post(setup::create_queue).get(read::queues),
        )
        .route(&format!("{org}/queues/{{id}}"), get(read::queue))
        .route(&format!("{org}/bots"), post(setup::create_bot))
        .route(&format!("{org}/bots/{{id}}"), get(read::bot))
        .route(
            &format!("{org}/agents"),
            post(setup::create_agent).get(read::agents),
        )
        .route(
            &format!("{org}/agents/{{id}}"),
            get(read::agent).put(setup::update_agent),
        )
        .route(&format!("{org}/users/{{id}}"), get(read::user))
        .route(&format!("{org}/sessions"), get(read::sessions))
        .route(&format!("{org}/sessions/{{id}}"), get(read::session))
        .route(
            &format!("{org}/sessions/{{id}}/messages"),
            get(read::messages),
        )
        .route(
            &format!("{org}/sessions/{{id}}/work"),
            get(read::session_work),
        )
        .route(&format!("{org}/work"), get(read::work_items))
        .route(&format!("{org}/work/{{id}}"), get(read::work_item))
        .route("/v1/agent", get(agent_socket::agent_socket))
        .fallback(http::route_not_found)
        .method_not_allowed_fallback(http::method_not_allowed)
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .with_state(platform)
}

/// Binds and serves until [`RunningServer::shutdown`].
pub async fn start(config: ServerConfig) -> Result<RunningServer, ServerError> {
    let admin_token = match config.admin_token {
        Some(t) if (16..=256).contains(&t.len()) => t,
        Some(_) => return Err(ServerError::BadAdminToken),
        None => format!("admin_{:032x}", rand::random::<u128>()),
    };
    let listener = tokio::net::TcpListener::bind(config.addr)
        .await
        .map_err(|source| ServerError::Bind {
            addr: config.addr,
            source,
        })?;
    let addr = listener.local_addr().map_err(|source| ServerError::Bind {
        addr: config.addr,
        source,
    })?;
    let (stop, stopped) = watch::channel(false);
    let settings = Settings {
        admin_token: admin_token.clone(),
        socket_queue: config.socket_queue,
        faults: config.faults,
        clock: config.clock,
    };
    let platform = Platform::new(settings, stopped.clone());
    let timers = tokio::spawn(platform.clone().run_timers());
    let app = router(platform.clone());
    let mut stopping = stopped;
    // Frames are small and each one matters on its own: without TCP_NODELAY a frame written
    // right after another waits for the peer's delayed ACK (up to 40 ms on Linux).
    let listener = axum::serve::ListenerExt::tap_io(listener, |tcp| {
        let _ = tcp.set_nodelay(true);
    });
    let http = tokio::spawn(async move {
        axum::serve(listener, app)
            .with_graceful_shutdown(async move {
                let _ = stopping.changed().await;
            })
            .await
    });
    Ok(RunningServer {
        addr,
        platform,
        admin_token,
        stop,
        http,
        timers,
    })
}
