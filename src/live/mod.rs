//! Live runs: a scenario against a server over HTTP and WebSocket. Customers arrive on an open
//! schedule drawn before the run, each measured from its intended time; agents work their
//! offers; a sampler reads queue depth and occupancy once a second.

mod addresses;
pub mod agent;
mod channel_stream;
pub mod client;
mod connect;
pub mod context;
mod cpu;
pub mod customer;
pub mod dashboard;
pub mod embedded;
mod handshake;
pub mod labels;
pub mod limits;
mod mailboxes;
mod marker;
pub mod metrics;
pub mod setup;
pub mod tls;

use crate::measure::Finished;
use crate::measure::summary::HttpVersion;
use crate::measure::target::{Interrupted, LOST_AFTER_S, TargetLost};
pub use crate::measure::{Outcome, RunOrg};
use crate::measure::{Progress, ProgressFn};
use crate::scenario::{Delivery, Scenario};
use client::{Bearer, Client, ClientError};
use context::{RunCtx, Shared};
use labels::RunLabels;
use omnisim_protocol::{Agent, Queue};
use omnisim_reference_server::engine::Load;
use omnisim_reference_server::server;
use rand::SeedableRng;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::{oneshot, watch};

/// Where to run: a server by URL and admin token, or the embedded reference server.
#[derive(Clone, Debug)]
pub enum Target {
    /// The reference server in this process; `http2`: requests over HTTP/2 (see
    /// [`tls::Access::http2`]).
    Embedded { http2: bool },
    Url {
        url: String,
        admin_token: String,
        /// TLS trust and extra headers.
        access: tls::Access,
    },
}

/// A target ready for requests: its URL and admin token, the name reports give it, and the
/// embedded server when there is one, running until [`Connected::stop`].
pub struct Connected {
    pub url: String,
    pub admin_token: String,
    /// `embedded`, or the URL.
    pub name: String,
    /// How to reach it: TLS trust and extra headers.
    pub access: tls::Access,
    embedded: Option<embedded::Embedded>,
}

impl Target {
    /// Starts the embedded server on `clock` with `faults` switched on, or takes the URL as it
    /// is.
    pub fn connect(
        &self,
        faults: omnisim_reference_server::faults::Faults,
        clock: omnisim_protocol::ClockMode,
    ) -> Result<Connected, server::ServerError> {
        Ok(match self {
            Target::Embedded { http2 } => {
                let server = embedded::Embedded::with(faults, clock)?;
                Connected {
                    url: server.url.clone(),
                    admin_token: server.admin_token.clone(),
                    name: "embedded".to_owned(),
                    access: tls::Access {
                        http2: *http2,
                        ..Default::default()
                    },
                    embedded: Some(server),
                }
            }
            Target::Url {
                url,
                admin_token,
                access,
            } => Connected {
                url: url.clone(),
                admin_token: admin_token.clone(),
                name: url.clone(),
                access: access.clone(),
                embedded: None,
            },
        })
    }
}

impl Connected {
    /// Stops the embedded server, if any.
    pub fn stop(self) {
        if let Some(server) = self.embedded {
            server.stop();
        }
    }
}

/// Options of one run.
#[derive(Clone)]
pub struct RunOptions {
    pub target: Target,
    pub seed: Option<u64>,
    pub duration: Option<Duration>,
    /// The slice of the test this generator runs (the whole by default).
    pub shard: crate::scenario::shard::Shard,
    /// The platform side made beforehand (`omnisim setup`): the run joins it instead of
    /// creating its own.
    pub joined: Option<setup::World>,
    /// When the first arrival is due, on the wall clock, so that shards started apart line up
    /// (`--start-at`); none: as soon as the agents are online.
    pub start_at: Option<std::time::SystemTime>,
    /// Called about once a second with the run's progress.
    pub progress: Option<ProgressFn>,
    /// How the run's caller hears of it and stops it early.
    pub hooks: Hooks,
}

impl RunOptions {
    /// A whole run against `target` as the scenario has it: its own seed and duration, its own
    /// platform side, started as soon as the agents are online, nothing plugged in.
    pub fn new(target: Target) -> RunOptions {
        RunOptions {
            target,
            seed: None,
            duration: None,
            shard: Default::default(),
            joined: None,
            start_at: None,
            progress: None,
            hooks: Hooks::default(),
        }
    }
}

/// What the caller of a run may plug in: where the run's org is told as soon as it exists, and
/// a signal to end the run early (the name of what interrupted it).
#[derive(Clone, Default)]
pub struct Hooks {
    /// Called once setup has created the run's org on the target, before the first arrival, so
    /// that the org is on record even if the run never ends.
    pub on_setup: Option<OnSetup>,
    /// Becomes `Some(signal)` to end the run: arrivals stop, open sessions get a short drain,
    /// and the run concludes with what it measured, marked interrupted.
    pub interrupt: Option<watch::Receiver<Option<&'static str>>>,
    /// Where to serve the run's own figures in Prometheus' text format while it runs
    /// (`--metrics-addr`).
    pub metrics_addr: Option<std::net::SocketAddr>,
    /// The live view to send each second to (`--dashboard`).
    pub dashboard: Option<Arc<dashboard::Dashboard>>,
    /// The most customers held at once (`--max-customers`), below what the open-file limit
    /// allows; an arrival past it is dropped and counted.
    pub max_customers: Option<u64>,
    /// Given the interval log as it grows: its header when the first arrival is due, then each
    /// second's lines as the interval closes, so that a run killed outright leaves what it
    /// measured. The whole log is in the outcome too.
    pub on_log: Option<OnLog>,
}

/// Given the bytes the interval log grows by.
pub type OnLog = Arc<dyn Fn(&[u8]) + Send + Sync>;

/// Told where a run's org lives once setup has created it.
pub type OnSetup = Arc<dyn Fn(&RunOrg) + Send + Sync>;

/// How long open sessions get to finish after an interrupt.
pub const INTERRUPT_DRAIN: Duration = Duration::from_secs(3);

/// Why a run could not happen.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error("cannot start the embedded server: {0}")]
    Embedded(#[from] server::ServerError),
    #[error("target {url}: {what}: {source}")]
    Setup {
        url: String,
        what: String,
        source: ClientError,
    },
    #[error("--metrics-addr {addr}: {source}")]
    Metrics {
        addr: std::net::SocketAddr,
        source: std::io::Error,
    },
}

/// Serves the run's figures at `http://ADDR/metrics` until the task is aborted.
async fn serve_metrics(
    addr: std::net::SocketAddr,
    ctx: Arc<RunCtx>,
    shard: crate::scenario::shard::Shard,
) -> std::io::Result<tokio::task::JoinHandle<()>> {
    let listener = tokio::net::TcpListener::bind(addr).await?;
    let id = Arc::new(metrics::Identity {
        scenario: ctx.scenario.name.clone(),
        shard: shard.to_string(),
    });
    let app = axum::Router::new().route(
        "/metrics",
        axum::routing::get(move || {
            let (ctx, id) = (ctx.clone(), id.clone());
            async move { metrics::render(&ctx.shared(), &id) }
        }),
    );
    Ok(tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    }))
}

/// Runs `scenario`.
pub async fn run(scenario: Scenario, options: RunOptions) -> Result<Outcome, RunError> {
    let target = options.target.connect(
        omnisim_reference_server::faults::Faults::NONE,
        omnisim_protocol::ClockMode::Wall,
    )?;
    let client = Client::with_access(&target.url, target.access.clone());
    let world = match options.joined {
        Some(world) => world,
        None => setup::create(&client, &target.admin_token, &scenario)
            .await
            .map_err(|(what, source)| RunError::Setup {
                url: target.url.clone(),
                what,
                source,
            })?,
    };
    let shard = options.shard;
    let run_org = RunOrg {
        url: client.base().to_owned(),
        org: world.org,
        token: world.token.clone(),
    };
    if let Some(told) = &options.hooks.on_setup {
        told(&run_org);
    }
    let seed = options.seed.unwrap_or(scenario.seed);
    let duration = options.duration.unwrap_or(scenario.duration.0);
    let (stop_tx, stop) = watch::channel(false);
    let stop_tx = Arc::new(stop_tx);
    let agents = world.agents.len() as u64;
    let embedded = target.embedded.is_some();
    // Outbound recipients read streams of their own whatever their channel delivers by.
    let own_streams = scenario.outbound.is_some() || scenario.customer_streams();
    let per_customer = limits::per_customer(own_streams, target.access.http2);
    let allowed =
        limits::open_files().map(|n| limits::customers_at_once(n, agents, embedded, per_customer));
    let at_once = match (allowed, options.hooks.max_customers) {
        (Some(a), Some(m)) => Some(a.min(m)),
        (a, m) => a.or(m),
    };
    let inbound = world
        .channels
        .iter()
        .map(|c| {
            client.url(&format!(
                "/v1/orgs/{}/channels/{}/inbound",
                world.org.0, c.id.0
            ))
        })
        .collect::<Result<Vec<_>, _>>()
        .map_err(|source| RunError::Setup {
            url: client.base().to_owned(),
            what: "making the channels' inbound URLs".into(),
            source,
        })?;
    let bearer = Bearer::new(&world.token).map_err(|source| RunError::Setup {
        url: client.base().to_owned(),
        what: "making the org token's header".into(),
        source,
    })?;
    let mailboxes = scenario
        .channels
        .iter()
        .map(|c| (c.delivery == Delivery::ChannelStream).then(Default::default))
        .collect();
    let mut shared = Shared::default();
    let labels = RunLabels::new(&world, &mut shared.recorder);
    let ctx = Arc::new(RunCtx {
        client,
        world,
        labels,
        scenario,
        seed,
        start: Instant::now(),
        shared: Mutex::new(shared),
        stop,
        customers_at_once: at_once.unwrap_or(u64::MAX),
        inbound,
        bearer,
        mailboxes,
    });
    {
        let mut s = ctx.shared();
        s.recorder.customers_at_once = at_once;
        let http2 = ctx.client.http2();
        s.recorder.http = Some(if http2 {
            HttpVersion::Http2
        } else {
            HttpVersion::Http1
        });
    }
    for (channel, boxes) in ctx.mailboxes.iter().enumerate() {
        let Some(boxes) = boxes else { continue };
        let socket = channel_stream::open(&ctx, channel)
            .await
            .map_err(|source| RunError::Setup {
                url: ctx.client.base().to_owned(),
                what: format!(
                    "opening channel {}'s stream",
                    ctx.world.channels[channel].name
                ),
                source,
            })?;
        tokio::spawn(channel_stream::read(
            ctx.clone(),
            channel,
            socket,
            boxes.clone(),
        ));
    }

    let metrics = match options.hooks.metrics_addr {
        Some(addr) => Some(
            serve_metrics(addr, ctx.clone(), shard)
                .await
                .map_err(|e| RunError::Metrics { addr, source: e })?,
        ),
        None => None,
    };

    // Agents whose shift starts with the run are online before the first arrival.
    let mut agents = Vec::new();
    let mut ready = Vec::new();
    let mut origins = Vec::new();
    let mine = ctx.world.agents.iter().enumerate();
    let mine = mine.filter(|(i, _)| shard.owns(*i as u64));
    for (_, a) in mine.map(|(i, a)| (i, a.clone())).collect::<Vec<_>>() {
        let (tx, rx) = oneshot::channel();
        let (origin_tx, origin_rx) = oneshot::channel();
        agents.push(tokio::spawn(agent::run(ctx.clone(), a, tx, origin_rx)));
        ready.push(rx);
        origins.push(origin_tx);
    }
    for r in ready {
        let _ = r.await;
    }

    let schedule = crate::scenario::arrivals::Schedule::new(&ctx.scenario, duration, seed);
    let mut schedule = schedule.filter(|a| shard.owns(a.index));
    if let Some(at) = options.start_at {
        if let Ok(wait) = at.duration_since(std::time::SystemTime::now()) {
            tokio::time::sleep(wait).await;
        }
    }
    let cpu = cpu::Clock::start(&ctx.client, embedded).await;
    // Arrival offsets count from here, once every agent is online.
    let origin = Instant::now();
    {
        let mut shared = ctx.shared();
        shared.origin = Some(origin);
        shared.recorder.periods = ctx.scenario.arrivals.periods(duration);
    }
    for tx in origins {
        let _ = tx.send(origin);
    }
    let wall_origin = std::time::SystemTime::now();
    if let Some(log) = &options.hooks.on_log {
        if let Ok(header) = crate::measure::hlog::header(wall_origin) {
            log(&header);
        }
    }
    let sampler = tokio::spawn(sample(
        ctx.clone(),
        origin,
        options.progress,
        options.hooks.on_log.clone(),
        options.hooks.dashboard.clone(),
        duration,
        stop_tx.clone(),
    ));
    let mut customers = tokio::task::JoinSet::new();
    // Outbound conversations run on their own schedule beside the inbound arrivals.
    if let Some(out) = ctx.scenario.outbound.clone() {
        let channel = ctx
            .world
            .channels
            .iter()
            .position(|c| c.name == out.channel)
            .expect("checked when loaded");
        let schedule = crate::scenario::arrivals::poisson(out.rate.0, duration, seed ^ 0x07b0);
        let ctx = ctx.clone();
        customers.spawn(async move {
            let mut rng = rand::rngs::StdRng::seed_from_u64(seed ^ 0x5eed);
            let mut recipients = tokio::task::JoinSet::new();
            let mut stopped = ctx.stop.clone();
            for (i, at) in schedule.into_iter().enumerate() {
                // Every shard draws every recipient, so that its slice is the whole run's.
                let recipient = rand::Rng::random_range(&mut rng, 0..out.recipients);
                if !shard.owns(i as u64) {
                    continue;
                }
                tokio::select! {
                    _ = tokio::time::sleep_until((origin + at).into()) => {}
                    _ = stopped.changed() => break,
                }
                recipients.spawn(customer::run_recipient(
                    ctx.clone(),
                    i as u64,
                    recipient,
                    channel,
                    origin,
                ));
                while recipients.try_join_next().is_some() {}
            }
            while recipients.join_next().await.is_some() {}
        });
    }
    // A lost target stops the run (see `sample`): no more arrivals, no drain. An interrupt
    // stops the arrivals and shortens the drain.
    let mut stopped = ctx.stop.clone();
    let mut interrupt = options.hooks.interrupt.clone();
    let interrupted = async move {
        match interrupt.as_mut() {
            Some(rx) => {
                // Copied out at once: the borrow it comes in must not live across an await.
                let got = rx.wait_for(Option::is_some).await.map(|s| *s);
                match got {
                    Ok(signal) => signal,
                    Err(_) => std::future::pending().await,
                }
            }
            None => std::future::pending().await,
        }
    };
    tokio::pin!(interrupted);
    let mut signal: Option<&'static str> = None;
    for arrival in schedule.by_ref() {
        ctx.shared().recorder.counts.arrivals_scheduled += 1;
        tokio::select! {
            _ = tokio::time::sleep_until((origin + arrival.at).into()) => {}
            _ = stopped.changed() => break,
            s = &mut interrupted => { signal = s; break }
        }
        customers.spawn(customer::run(ctx.clone(), arrival, origin));
        // A finished task keeps its whole allocation until joined: reap as we go, so memory
        // follows the customers in flight, not every customer of the run.
        while customers.try_join_next().is_some() {}
    }
    // What a stop left unstarted was scheduled all the same.
    ctx.shared().recorder.counts.arrivals_scheduled += schedule.count() as u64;
    if !*ctx.stop.borrow() && signal.is_none() {
        tokio::select! {
            _ = tokio::time::sleep_until((origin + duration).into()) => {}
            _ = stopped.changed() => {}
            s = &mut interrupted => signal = s,
        }
    }
    // How busy each side was while the arrivals came: evidence for which one fell behind.
    let (generator_load, target_load) = cpu.stop(&ctx.client).await;
    {
        let mut s = ctx.shared();
        s.recorder.generator_load = generator_load;
        s.recorder.target_load = target_load;
    }
    if let Some(signal) = signal {
        ctx.shared().recorder.interrupted = Some(Interrupted {
            signal: signal.to_owned(),
            at_s: origin.elapsed().as_secs_f64(),
        });
    }
    if !*ctx.stop.borrow() {
        // Drain: open sessions get until the drain deadline to finish; then every actor stops.
        let drain = match signal {
            Some(_) => ctx.scenario.drain.0.min(INTERRUPT_DRAIN),
            None => ctx.scenario.drain.0,
        };
        let drain_end = Instant::now() + drain;
        while let Ok(Some(_)) =
            tokio::time::timeout_at(drain_end.into(), customers.join_next()).await
        {}
    }
    let _ = stop_tx.send(true);
    while customers.join_next().await.is_some() {}
    for agent in agents {
        let _ = agent.await;
    }
    sampler.abort();
    if let Some(m) = metrics {
        m.abort();
    }

    let elapsed = origin.elapsed().as_secs_f64();
    let outcome = {
        let mut shared = ctx.shared();
        shared.recorder.close_interval(origin.elapsed());
        let finished = Finished {
            scenario: &ctx.scenario,
            seed,
            target: &target.name,
            elapsed_s: elapsed,
            wall_origin,
            recorder: &shared.recorder,
            history: &shared.history,
        };
        Outcome::conclude(finished, Some(run_org))
    };
    target.stop();
    Ok(outcome)
}

/// Samples queue depth and occupancy from the server once a second, and reports progress. A
/// target that answers neither the samples nor `/healthz` for [`LOST_AFTER_S`] seconds in a row
/// is lost: the run records when and stops.
async fn sample(
    ctx: Arc<RunCtx>,
    origin: Instant,
    progress: Option<ProgressFn>,
    log: Option<OnLog>,
    dashboard: Option<Arc<dashboard::Dashboard>>,
    duration: Duration,
    stop: Arc<watch::Sender<bool>>,
) {
    let mut seen = dashboard::Seen::default();
    let mut last_sent = 0;
    let mut logged = 0;
    let mut silent = 0;
    let o = ctx.world.org.0;
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    loop {
        tick.tick().await;
        let agents: Result<Vec<Agent>, _> = ctx
            .client
            .get(&ctx.world.token, &format!("/v1/orgs/{o}/agents"))
            .await;
        let queues: Result<Vec<Queue>, _> = ctx
            .client
            .get(&ctx.world.token, &format!("/v1/orgs/{o}/queues"))
            .await;
        let (agents, queues) = match (agents, queues) {
            (Ok(a), Ok(q)) => (a, q),
            (Err(e), _) | (_, Err(e)) => {
                let health = ctx
                    .client
                    .raw(http::Method::GET, None, "/healthz", None)
                    .await;
                let answered = matches!(health, Ok((200, _)));
                silent = if answered { 0 } else { silent + 1 };
                if silent >= LOST_AFTER_S {
                    let mut s = ctx.shared();
                    s.recorder.target_lost = Some(TargetLost {
                        at_s: origin.elapsed().as_secs_f64(),
                        problem: format!(
                            "no answer for {LOST_AFTER_S} s, /healthz included; last: {e}"
                        ),
                    });
                    drop(s);
                    let _ = stop.send(true);
                    return;
                }
                continue;
            }
        };
        silent = 0;
        let mut guard = ctx.shared();
        let s = &mut *guard;
        let r = &mut s.recorder;
        let load = Load::of(&agents, queues.iter().map(|q| q.waiting));
        let sample = r.sample(origin.elapsed(), load);
        let tick = dashboard
            .as_ref()
            .map(|_| dashboard::Tick::at(r, &sample, s.history.violations(), &mut seen));
        let lines = log.as_ref().map(|_| {
            let closed = crate::measure::hlog::lines(&r.intervals[logged..]);
            logged = r.intervals.len();
            closed
        });
        let progress = progress.as_ref().map(|report| {
            let sent = r.counts.messages_sent;
            let at = Progress::at(
                r,
                &sample,
                duration.as_secs_f64(),
                (sent - last_sent) as f64,
            );
            last_sent = sent;
            (report, at)
        });
        drop(guard);
        if let (Some(log), Some(lines)) = (&log, lines) {
            log(lines.as_bytes());
        }
        if let Some((report, at)) = progress {
            report(&at);
        }
        if let (Some(d), Some(tick)) = (&dashboard, tick) {
            d.tick(&tick);
        }
    }
}
