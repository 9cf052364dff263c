//! The platform behind the sockets: one engine, the hub that fans its events out, and the
//! metrics, all behind one lock. Applying a command and queueing its events happen under the same
//! lock, so every party sees events in the order the engine produced them (R-SESS-2); the lock is
//! never held across an await.

use super::hub::{Frame, Hub, Subscription};
use super::metrics::Metrics;
use crate::engine::{Command, Engine, Reply};
use crate::fast_map::FastMap;
use omnisim_protocol::{ApiError, Audience, ClockMode, ErrorCode, Event, Millis, OrgId, Timestamp};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use tokio::sync::{Notify, OwnedSemaphorePermit, Semaphore, watch};

/// The wall clock as the engine reads it: milliseconds since the Unix epoch.
pub fn wall_clock() -> Timestamp {
    let since = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    Timestamp(since.as_millis() as u64)
}

/// Everything under the lock.
pub struct Core {
    pub engine: Engine,
    pub hub: Hub,
    pub metrics: Metrics,
    /// Whether frames go out broken (the offer_session_as_id fault).
    pub broken_wire: bool,
}

impl Core {
    /// Counts the events and queues each, serialized once, for its audiences (R-SEC-3).
    pub fn publish(&mut self, events: &[Event]) {
        for event in events {
            self.metrics.observe(event);
            let json = match (self.broken_wire, event) {
                (true, Event::WorkOffered(offer)) => serde_json::to_value(event).map(|mut v| {
                    v["session"] = offer.session.id.0.into();
                    v.to_string()
                }),
                _ => serde_json::to_string(event),
            };
            let Ok(json) = json else { continue };
            let frame: Frame = json.into();
            for audience in event.audiences() {
                self.hub.send(audience, &frame);
            }
        }
    }
}

/// Settings shared by every connection.
pub struct Settings {
    /// The token that may create orgs.
    pub admin_token: String,
    /// Frames a socket may have queued before it is dropped as too slow.
    pub socket_queue: usize,
    /// Deliberate bugs for conformance testing; none normally.
    pub faults: crate::faults::Faults,
    /// How long ended sessions and message ids are kept (R-SESS-10); none: for ever.
    pub retention: Option<omnisim_protocol::Millis>,
    /// The wall clock, or a manual clock per org for conformance testing (protocol.md §4.7).
    pub clock: ClockMode,
    /// How long a socket may take no frame before it is dropped.
    pub send_timeout: Duration,
    /// How long a request's body may take to arrive.
    pub body_timeout: Duration,
}

/// Replays sent at once, per server and per org: each reads a channel's or a user's history
/// and serializes it, so an org may not take the whole server's time for them. Beyond the caps a
/// replay waits its turn (its live frames queue meanwhile, as for any slow reader).
pub const REPLAYS_PER_SERVER: usize = 8;
/// See [`REPLAYS_PER_SERVER`].
pub const REPLAYS_PER_ORG: usize = 2;

/// The shared server state: cheap to clone, one per server.
#[derive(Clone)]
pub struct Platform {
    inner: Arc<Inner>,
}

struct Inner {
    core: Mutex<Core>,
    /// Sockets whose pump runs: a socket the hub has let go of still counts until it is closed.
    sockets: std::sync::atomic::AtomicUsize,
    replays: Arc<Semaphore>,
    org_replays: Mutex<FastMap<OrgId, Arc<Semaphore>>>,
    /// Woken when a command may have moved the next timer deadline earlier.
    timers: Notify,
    shutdown: watch::Receiver<bool>,
    settings: Settings,
}

impl Platform {
    /// A platform around an empty engine.
    pub fn new(settings: Settings, shutdown: watch::Receiver<bool>) -> Platform {
        Platform {
            inner: Arc::new(Inner {
                core: Mutex::new(Core {
                    engine: match settings.retention {
                        Some(r) => Engine::with_faults(settings.faults).with_retention(r),
                        None => Engine::with_faults(settings.faults),
                    },
                    hub: Hub::default(),
                    metrics: Metrics::default(),
                    broken_wire: settings.faults.has(crate::faults::Fault::OfferSessionAsId),
                }),
                timers: Notify::new(),
                sockets: Default::default(),
                replays: Arc::new(Semaphore::new(REPLAYS_PER_SERVER)),
                org_replays: Mutex::default(),
                shutdown,
                settings,
            }),
        }
    }

    pub fn settings(&self) -> &Settings {
        &self.inner.settings
    }

    /// A receiver that changes when the server starts shutting down.
    pub fn shutdown(&self) -> watch::Receiver<bool> {
        self.inner.shutdown.clone()
    }

    /// The core, locked. A panic while it was held (a bug) does not take the server down: the
    /// lock is recovered and later requests are served (R-SEC-4).
    pub fn lock(&self) -> MutexGuard<'_, Core> {
        self.inner.core.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The time a command happens at. On manual clocks a new org starts at the wall time and
    /// every other command is passed the earliest time, which the engine raises to its org's
    /// own clock.
    fn time_of(&self, command: &Command) -> Timestamp {
        match (self.inner.settings.clock, command) {
            (ClockMode::Manual, Command::Org { .. } | Command::Agent { .. }) => {
                Timestamp::default()
            }
            _ => wall_clock(),
        }
    }

    /// Applies a command at its time and queues its events.
    pub fn apply(&self, command: Command) -> Result<Reply, ApiError> {
        self.apply_then(command, |_| {})
    }

    /// [`Platform::apply`], then `after` on the core under the same lock when the command was
    /// applied: what the sockets must see at once (an agent's deletion closes its socket).
    pub fn apply_then(
        &self,
        command: Command,
        after: impl FnOnce(&mut Core),
    ) -> Result<Reply, ApiError> {
        let mut core = self.lock();
        let before = core.engine.next_deadline();
        let applied = core.engine.apply(self.time_of(&command), command)?;
        core.publish(&applied.events);
        after(&mut core);
        if core.engine.next_deadline() != before {
            self.inner.timers.notify_one();
        }
        Ok(applied.reply)
    }

    /// Reads the engine.
    pub fn read<T>(&self, f: impl FnOnce(&Engine) -> T) -> T {
        f(&self.lock().engine)
    }

    /// Subscribes to `audience` and, under the same lock, computes what to replay first, so that
    /// nothing falls between the replay and the live frames (R-SESS-9).
    /// With `exclusive`, earlier subscribers of the audience are closed as replaced.
    pub fn subscribe<T>(
        &self,
        audience: Audience,
        exclusive: bool,
        replay: impl FnOnce(&Engine) -> Result<T, ApiError>,
    ) -> Result<(Subscription, T), ApiError> {
        let mut core = self.lock();
        let first = replay(&core.engine)?;
        if exclusive {
            core.hub
                .evict(audience, omnisim_protocol::socket::CLOSE_REPLACED);
        }
        let capacity = self.inner.settings.socket_queue;
        Ok((core.hub.subscribe(audience, capacity), first))
    }

    /// Waits for a turn to replay history to one of `org`'s sockets; the turn lasts as long as
    /// the permits are held.
    pub async fn replay_turn(
        &self,
        org: OrgId,
    ) -> Option<(OwnedSemaphorePermit, OwnedSemaphorePermit)> {
        let per_org = {
            let mut orgs = self
                .inner
                .org_replays
                .lock()
                .unwrap_or_else(|p| p.into_inner());
            orgs.entry(org)
                .or_insert_with(|| Arc::new(Semaphore::new(REPLAYS_PER_ORG)))
                .clone()
        };
        let org_turn = per_org.acquire_owned().await.ok()?;
        let server_turn = self.inner.replays.clone().acquire_owned().await.ok()?;
        Some((org_turn, server_turn))
    }

    /// A socket opened: counted until the returned guard is dropped.
    pub fn socket_opened(&self) -> SocketGuard {
        use std::sync::atomic::Ordering;
        self.inner.sockets.fetch_add(1, Ordering::Relaxed);
        SocketGuard {
            platform: self.clone(),
        }
    }

    /// Sockets open now.
    pub fn sockets(&self) -> usize {
        self.inner
            .sockets
            .load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Counts a socket dropped for taking no frame within the send timeout.
    pub fn socket_dropped(&self) {
        self.lock().metrics.sockets_dropped += 1;
    }

    /// Forgets a subscription whose socket ended.
    pub fn unsubscribe(&self, sub: &Subscription) {
        self.lock().hub.unsubscribe(sub.audience, sub.id);
    }

    /// Moves `org`'s manual clock `by` forward and queues the events of the timers that fired;
    /// the org's new time. A server on the wall clock refuses (409 `invalid_state`).
    pub fn advance_clock(&self, org: OrgId, by: Millis) -> Result<Timestamp, ApiError> {
        if self.inner.settings.clock != ClockMode::Manual {
            return Err(ApiError::new(
                ErrorCode::InvalidState,
                "this server runs on the wall clock; start it with --clock manual",
            ));
        }
        if by.0 > omnisim_protocol::limits::MAX_CLOCK_ADVANCE_MS {
            return Err(ApiError::new(
                ErrorCode::InvalidInput,
                "advance_ms is at most a year",
            ));
        }
        let mut core = self.lock();
        let mut events = Vec::new();
        let now = core.engine.advance_clock_into(org, by, &mut events)?;
        core.publish(&events);
        Ok(now)
    }

    /// `org`'s time: its manual clock, or the wall clock.
    pub fn clock(&self, org: OrgId) -> Result<Timestamp, ApiError> {
        let org_now = self.read(|e| e.org_now(org))?;
        Ok(match self.inner.settings.clock {
            ClockMode::Manual => org_now,
            ClockMode::Wall => org_now.max(wall_clock()),
        })
    }

    /// Fires the due timers, queues their events, and returns the next deadline.
    fn fire_due(&self) -> Option<Timestamp> {
        let mut core = self.lock();
        let events = core.engine.fire_timers(wall_clock());
        core.publish(&events);
        core.engine.next_deadline()
    }

    /// Runs the engine's timers on the wall clock until shutdown: sleeps until the next deadline
    /// or until a command moves it.
    /// On manual clocks timers fire only when an org's clock is advanced, so it just waits.
    pub async fn run_timers(self) {
        let mut shutdown = self.shutdown();
        if self.inner.settings.clock == ClockMode::Manual {
            let _ = shutdown.changed().await;
            return;
        }
        loop {
            let next = self.fire_due();
            let wait = match next {
                Some(at) => Duration::from_millis((at - wall_clock()).0),
                None => Duration::from_secs(3600),
            };
            tokio::select! {
                _ = tokio::time::sleep(wait) => {}
                _ = self.inner.timers.notified() => {}
                _ = shutdown.changed() => return,
            }
        }
    }
}

/// Keeps a socket counted in `omnisim_sockets` while it lives.
pub struct SocketGuard {
    platform: Platform,
}

impl Drop for SocketGuard {
    fn drop(&mut self) {
        use std::sync::atomic::Ordering;
        self.platform.inner.sockets.fetch_sub(1, Ordering::Relaxed);
    }
}

/// The error for a request the server itself could not complete.
pub fn internal(message: impl Into<String>) -> ApiError {
    ApiError::new(ErrorCode::Internal, message)
}
