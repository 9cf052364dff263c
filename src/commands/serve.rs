//! `omnisim serve`: the reference server on a socket until SIGINT or SIGTERM.

use anyhow::Context;
use omnisim::protocol::ClockMode;
use omnisim::reference_server::faults::Fault;
use omnisim::reference_server::server::{self, ServerConfig};
use std::net::SocketAddr;

#[derive(clap::Args, Debug)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:8080")]
    addr: SocketAddr,
    /// Token that may create orgs (16 to 256 bytes); a random one is printed when absent.
    #[arg(long, env = "OMNISIM_ADMIN_TOKEN", hide_env_values = true)]
    admin_token: Option<String>,
    /// Frames a WebSocket may have queued before it is closed as too slow.
    #[arg(long, default_value_t = 4096)]
    socket_queue: usize,
    /// Switch on a deliberate bug (repeatable), to see the conformance suite catch it.
    #[arg(long = "fault", value_name = "NAME", value_parser = parse_fault)]
    faults: Vec<Fault>,
    /// List the faults --fault takes, with the rule each breaks.
    #[arg(long)]
    list_faults: bool,
    /// `wall`, or `manual`: each org's clock stands still until the admin advances it with
    /// `POST /v1/orgs/{org}/clock`, so that a conformance run checks timers to the millisecond.
    #[arg(long, default_value = "wall", value_parser = parse_clock)]
    clock: ClockMode,
    /// How long a socket may take no frame before it is dropped (e.g. 10s).
    #[arg(long, default_value = "10s")]
    send_timeout: humantime::Duration,
    /// Connections open at once; one more is closed as soon as it is accepted.
    #[arg(long, default_value_t = 10_000)]
    max_connections: usize,
    /// How long a new connection may take to start its request, and a request to send its headers.
    #[arg(long, default_value = "10s")]
    header_timeout: humantime::Duration,
    /// How long a client may take to send a request's body.
    #[arg(long, default_value = "10s")]
    body_timeout: humantime::Duration,
    /// Serve HTTPS and WSS with this PEM certificate chain (with --tls-key).
    #[arg(long, value_name = "FILE", requires = "tls_key")]
    tls_cert: Option<std::path::PathBuf>,
    /// The PEM private key of --tls-cert.
    #[arg(long, value_name = "FILE", requires = "tls_cert")]
    tls_key: Option<std::path::PathBuf>,
    /// How long ended sessions and message ids are kept before they are forgotten (R-SESS-10;
    /// advertised in /v1/capabilities); `forever` keeps them all.
    #[arg(long, default_value = "24h", value_parser = parse_retention)]
    retention: Retention,
}

/// `--retention`: a duration, or `forever`.
#[derive(Clone, Copy, Debug)]
struct Retention(Option<omnisim::protocol::Millis>);

fn parse_retention(text: &str) -> Result<Retention, String> {
    if text == "forever" {
        return Ok(Retention(None));
    }
    let d = humantime::parse_duration(text).map_err(|e| format!("'{text}': {e}"))?;
    Ok(Retention(Some(omnisim::protocol::Millis(
        d.as_millis() as u64
    ))))
}

pub fn parse_clock(name: &str) -> Result<ClockMode, String> {
    match name {
        "wall" => Ok(ClockMode::Wall),
        "manual" => Ok(ClockMode::Manual),
        other => Err(format!("unknown clock '{other}': wall or manual")),
    }
}

pub fn parse_fault(name: &str) -> Result<Fault, String> {
    Fault::parse(name).ok_or_else(|| {
        let names: Vec<&str> = Fault::ALL.iter().map(|f| f.name()).collect();
        format!(
            "unknown fault '{name}'; --list-faults shows them: {}",
            names.join(", ")
        )
    })
}

/// Starts the server, prints where it listens and its admin token, and shuts down gracefully on
/// SIGINT or SIGTERM.
pub fn run(args: ServeArgs) -> anyhow::Result<()> {
    if args.list_faults {
        for f in Fault::ALL.iter().copied() {
            println!("{:<28} breaks {}", f.name(), f.rule());
        }
        return Ok(());
    }
    let tls = match (&args.tls_cert, &args.tls_key) {
        (Some(cert), Some(key)) => Some(server::tls::server_config(cert, key).context("TLS")?),
        _ => None,
    };
    let runtime = tokio::runtime::Runtime::new().context("starting the async runtime")?;
    runtime.block_on(async {
        let config = ServerConfig {
            tls,
            retention: args.retention.0,
            addr: args.addr,
            admin_token: args.admin_token,
            socket_queue: args.socket_queue,
            faults: args.faults.iter().copied().collect(),
            clock: args.clock,
            send_timeout: args.send_timeout.into(),
            limits: server::listener::Limits {
                max_connections: args.max_connections.max(1),
                header_timeout: args.header_timeout.into(),
            },
            body_timeout: args.body_timeout.into(),
        };
        let running = server::start(config)
            .await
            .context("starting the reference server")?;
        println!("omnisim reference server listening on {}", running.url());
        println!("admin token: {}", running.admin_token);
        for f in &args.faults {
            println!("fault switched on: {f} (breaks {})", f.rule());
        }
        wait_for_signal().await?;
        println!("shutting down");
        running.shutdown().await.context("shutting down")
    })
}

#[cfg(unix)]
async fn wait_for_signal() -> anyhow::Result<()> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut term = signal(SignalKind::terminate()).context("listening for SIGTERM")?;
    tokio::select! {
        r = tokio::signal::ctrl_c() => r.context("listening for SIGINT"),
        _ = term.recv() => Ok(()),
    }
}

#[cfg(not(unix))]
async fn wait_for_signal() -> anyhow::Result<()> {
    tokio::signal::ctrl_c()
        .await
        .context("listening for Ctrl-C")
}
