//! What every actor of a live run shares: the target, the world it set up, the clock origin, the
//! recorder, and what customers tell agents about their sessions.

use super::client::Client;
use super::setup::World;
use crate::checker::History;
use crate::measure::Recorder;
use crate::scenario::Scenario;
use omnisim_protocol::SessionId;
use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};
use tokio::sync::watch;

/// When a session asked for an agent: the time the customer meant to ask (schedule or decision),
/// and when the server acknowledged the request, once known.
#[derive(Clone, Copy, Debug)]
pub struct Requested {
    pub intended: Instant,
    pub acked: Option<Instant>,
}

/// Mutable run state, behind one lock held only briefly.
#[derive(Default)]
pub struct Shared {
    pub recorder: Recorder,
    pub history: History,
    pub requested: HashMap<SessionId, Requested>,
    /// Sessions that got their first offer: routing latency counts the first offer only; what
    /// re-offers add after a decline or a push timeout shows in speed to answer.
    pub routed: HashSet<SessionId>,
    /// Recipients seen to opt out (sent STOP and had it accepted).
    pub opted_out: HashSet<Arc<str>>,
    /// Recipients that have written in: their service window is open.
    pub wrote_in: HashSet<Arc<str>>,
    /// When arrivals began: the time the per-interval outcomes count from.
    pub origin: Option<Instant>,
    /// Customers started and not yet finished.
    pub customers_in_flight: u64,
    /// Agent-side observations (metric, time) waiting for the customer's acknowledgment time.
    awaiting_ack: HashMap<SessionId, Vec<(&'static str, Instant)>>,
}

impl Shared {
    /// Time since arrivals began (zero before).
    pub fn since_origin(&self, at: Instant) -> Duration {
        self.origin
            .map_or(Duration::ZERO, |o| at.saturating_duration_since(o))
    }

    /// The uncorrected view of `metric` for `session`, ending at `at`: measured from when the
    /// server acknowledged the request, as a tool that starts its clock once its call returned
    /// would. Recorded now if the acknowledgment is known, else when it arrives.
    pub fn uncorrected(&mut self, session: SessionId, metric: &'static str, at: Instant) {
        match self.requested.get(&session).and_then(|r| r.acked) {
            Some(acked) => self
                .recorder
                .record_uncorrected(metric, at.saturating_duration_since(acked)),
            None => self
                .awaiting_ack
                .entry(session)
                .or_default()
                .push((metric, at)),
        }
    }

    /// The server acknowledged the request that asked for an agent.
    pub fn acked(&mut self, session: SessionId, intended: Instant, acked: Instant) {
        self.requested.insert(
            session,
            Requested {
                intended,
                acked: Some(acked),
            },
        );
        for (metric, at) in self.awaiting_ack.remove(&session).unwrap_or_default() {
            self.recorder
                .record_uncorrected(metric, at.saturating_duration_since(acked));
        }
    }
}

/// When a message was meant to be sent and actually sent, as its marker says.
#[derive(Clone, Copy, Debug)]
pub struct Sent {
    pub intended: Instant,
    pub actual: Instant,
}

/// The shared context of a live run.
pub struct RunCtx {
    pub client: Client,
    pub world: World,
    pub scenario: Scenario,
    pub seed: u64,
    /// The origin of the time markers in messages.
    pub start: Instant,
    pub shared: Mutex<Shared>,
    /// Flips when the run is over (drain finished): actors stop at once.
    pub stop: watch::Receiver<bool>,
    /// The most customers held at once; an arrival past it is dropped and counted.
    pub customers_at_once: u64,
    /// Each channel's inbound (provider webhook) URL, by the channel's index in `world`: every
    /// customer message goes there, so it is parsed once.
    pub inbound: Vec<http::Uri>,
    /// The org token as a header, made once for the same reason.
    pub bearer: super::client::Bearer,
    /// The labels of the channels' and queues' latencies.
    pub labels: super::labels::RunLabels,
    /// Each channel's customers' mailboxes, by the channel's index in `world`, for channels
    /// whose customers read the channel stream; none for those with streams of their own.
    pub mailboxes: Vec<Option<Arc<super::mailboxes::Mailboxes>>>,
}

impl RunCtx {
    pub fn shared(&self) -> MutexGuard<'_, Shared> {
        self.shared.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Microseconds since the start of the run.
    pub fn micros(&self, at: Instant) -> u64 {
        at.saturating_duration_since(self.start).as_micros() as u64
    }

    /// `pieces` joined, with a marker of their intended and actual send times, which the
    /// receiver reads to measure delivery and routing latency without any shared bookkeeping.
    pub fn marked(
        &self,
        pieces: &[&str],
        intended: Instant,
        actual: Instant,
    ) -> omnisim_protocol::MessageText {
        super::marker::mark(pieces, self.micros(intended), self.micros(actual))
    }

    /// The (intended, actual) send times in a marked text.
    pub fn read_marker(&self, text: &str) -> Option<Sent> {
        let (intended, actual) = super::marker::read(text)?;
        let at = |micros| self.start.checked_add(Duration::from_micros(micros));
        Some(Sent {
            intended: at(intended)?,
            actual: at(actual)?,
        })
    }
}
