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
pub mod listener;
pub mod metrics;
pub mod platform;
pub mod pump;
pub mod routes;
pub mod tls;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::{MethodFilter, MethodRouter, on};
use omnisim_protocol::limits::MAX_BODY_BYTES;
use omnisim_protocol::routes::{Method, Route};
use platform::{Platform, Settings};
use routes::{agent_socket, clock, ingress, ops, read, setup, streams};
use std::collections::BTreeMap;
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
    /// How long a socket may take no frame before it is dropped (`--send-timeout`).
    pub send_timeout: std::time::Duration,
    /// Connections at once and the time a client may take to send its headers.
    pub limits: listener::Limits,
    /// How long a client may take to send a request's body once its headers are in.
    pub body_timeout: std::time::Duration,
    /// Serve HTTPS and WSS with this configuration (`--tls-cert`, `--tls-key`); plain by default.
    pub tls: Option<std::sync::Arc<rustls::ServerConfig>>,
    /// How long ended sessions and message ids are kept (`--retention`, R-SESS-10); none: for
    /// ever.
    pub retention: Option<omnisim_protocol::Millis>,
}

impl Default for ServerConfig {
    fn default() -> ServerConfig {
        ServerConfig {
            addr: SocketAddr::from(([127, 0, 0, 1], 8080)),
            admin_token: None,
            socket_queue: 4096,
            faults: crate::faults::Faults::NONE,
            clock: omnisim_protocol::ClockMode::Wall,
            send_timeout: std::time::Duration::from_secs(10),
            limits: listener::Limits {
                max_connections: 10_000,
                header_timeout: std::time::Duration::from_secs(10),
            },
            body_timeout: std::time::Duration::from_secs(10),
            tls: None,
            retention: Some(omnisim_protocol::Millis::from_hours(24)),
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
    /// Whether it serves HTTPS.
    tls: bool,
    platform: Platform,
    /// The token that may create orgs.
    pub admin_token: String,
    stop: watch::Sender<bool>,
    http: JoinHandle<std::io::Result<()>>,
    timers: JoinHandle<()>,
}

impl RunningServer {
    /// The base URL, e.g. `http://127.0.0.1:8080` (`https://` with TLS).
    pub fn url(&self) -> String {
        let scheme = if self.tls { "https" } else { "http" };
        format!("{scheme}://{}", self.addr)
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

/// The routes of protocol v1 over `platform`: exactly the routes of
/// [`omnisim_protocol::routes::Route`], each with the method the table gives it, so that the
/// server serves what the documents generated from the table say and nothing else.
pub fn router(platform: Platform) -> Router {
    let mut by_path: BTreeMap<&str, MethodRouter<Platform>> = BTreeMap::new();
    for &route in Route::ALL {
        let filter = match route.method() {
            Method::Get => MethodFilter::GET,
            Method::Post => MethodFilter::POST,
            Method::Put => MethodFilter::PUT,
            Method::Patch => MethodFilter::PATCH,
            Method::Delete => MethodFilter::DELETE,
        };
        let methods = handle(route, filter);
        let merged = match by_path.remove(route.path()) {
            Some(others) => others.merge(methods),
            None => methods,
        };
        by_path.insert(route.path(), merged);
    }
    by_path
        .into_iter()
        .fold(Router::new(), |r, (path, methods)| r.route(path, methods))
        .fallback(http::route_not_found)
        .method_not_allowed_fallback(http::method_not_allowed)
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .with_state(platform)
}

/// The handler of `route`, for the method `filter`.
fn handle(route: Route, filter: MethodFilter) -> MethodRouter<Platform> {
    use Route::*;
    match route {
        Healthz => on(filter, ops::healthz),
        Metrics => on(filter, ops::metrics),
        Capabilities => on(filter, ops::capabilities),
        CreateOrg => on(filter, setup::create_org),
        ReadClock => on(filter, clock::read_clock),
        AdvanceClock => on(filter, clock::advance_clock),
        CreateChannel => on(filter, setup::create_channel),
        ListChannels => on(filter, read::channels),
        ReadChannel => on(filter, read::channel),
        UpdateChannel => on(filter, setup::update_channel),
        Inbound => on(filter, ingress::inbound),
        Outbound => on(filter, ingress::outbound),
        UserByAddress => on(filter, read::user_by_address),
        Consent => on(filter, ingress::consent),
        CustomerStream => on(filter, streams::customer_stream),
        ChannelStream => on(filter, streams::channel_stream),
        CreateQueue => on(filter, setup::create_queue),
        ListQueues => on(filter, read::queues),
        ReadQueue => on(filter, read::queue),
        DeleteQueue => on(filter, setup::delete_queue),
        CreateBot => on(filter, setup::create_bot),
        ReadBot => on(filter, read::bot),
        CreateFlow => on(filter, setup::create_flow),
        ListFlows => on(filter, read::flows),
        ReadFlow => on(filter, read::flow),
        UpdateFlow => on(filter, setup::update_flow),
        CreateAgent => on(filter, setup::create_agent),
        ListAgents => on(filter, read::agents),
        ReadAgent => on(filter, read::agent),
        UpdateAgent => on(filter, setup::update_agent),
        DeleteAgent => on(filter, setup::delete_agent),
        ReadUser => on(filter, read::user),
        ListSessions => on(filter, read::sessions),
        ReadSession => on(filter, read::session),
        SessionMessages => on(filter, read::messages),
        SessionWork => on(filter, read::session_work),
        ListWork => on(filter, read::work_items),
        ReadWork => on(filter, read::work_item),
        AgentSocket => on(filter, agent_socket::agent_socket),
    }
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
        retention: config.retention,
        clock: config.clock,
        send_timeout: config.send_timeout,
        body_timeout: config.body_timeout,
    };
    let platform = Platform::new(settings, stopped.clone());
    let timers = tokio::spawn(platform.clone().run_timers());
    let app = router(platform.clone());
    let tls = config.tls.is_some();
    let serve = listener::serve(listener, app, config.limits, config.tls, stopped);
    let http = tokio::spawn(serve);
    Ok(RunningServer {
        addr,
        tls,
        platform,
        admin_token,
        stop,
        http,
        timers,
    })
}
