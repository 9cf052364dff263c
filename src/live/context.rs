//! What every actor of a live run shares: the target, the world it set up, the clock origin, the
//! recorder, and what customers tell agents about their sessions.

use super::client::Client;
use super::setup::World;
use crate::checker::History;
use crate::measure::Recorder;
use crate::scenario::Scenario;
use omnisim_protocol::SessionId;
use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};
use tokio::sync::watch;

/// When a session asked for an agent: the intended time (schedule or decision) and the time the
/// harness actually sent the request.
#[derive(Clone, Copy, Debug)]
pub struct Requested {
    pub intended: Instant,
    pub actual: Instant,
}

/// Mutable run state, behind one lock held only briefly.
#[derive(Default)]
pub struct Shared {
    pub recorder: Recorder,
    pub history: History,
    pub requested: HashMap<SessionId, Requested>,
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
}

impl RunCtx {
    pub fn shared(&self) -> MutexGuard<'_, Shared> {
        self.shared.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Microseconds since the start of the run.
    pub fn micros(&self, at: Instant) -> u64 {
        at.saturating_duration_since(self.start).as_micros() as u64
    }

    /// `text` with a marker of its intended and actual send times, which the receiver reads to
    /// measure delivery and routing latency without any shared bookkeeping.
    pub fn marked(&self, text: &str, intended: Instant, actual: Instant) -> String {
        format!(
            "{text} [t={};a={}]",
            self.micros(intended),
            self.micros(actual)
        )
    }

    /// The (intended, actual) send times in a marked text.
    pub fn read_marker(&self, text: &str) -> Option<Requested> {
        let inner = text.rsplit_once("[t=")?.1.strip_suffix(']')?;
        let (t, a) = inner.split_once(";a=")?;
        let at = |s: &str| {
            s.parse::<u64>()
                .ok()
                .map(|m| self.start + Duration::from_micros(m))
        };
        Some(Requested {
            intended: at(t)?,
            actual: at(a)?,
        })
    }
}
