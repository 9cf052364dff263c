//! What every state change needs besides the org's own state: the time, fresh ids, the timer set and
//! the outbox of events. Passed down explicitly so that an org never reaches into another one.

use super::timers::{Timer, Timers};
use omnisim_protocol::{Event, OrgId, Timestamp};

/// Hands out ids unique across the whole engine.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct IdGen {
    last: u64,
}

impl IdGen {
    /// A fresh id.
    pub fn next(&mut self) -> u64 {
        self.last += 1;
        self.last
    }
}

/// The context of one command or timer inside one org.
pub struct Ctx<'a> {
    /// The time the change happens at (never earlier than any previous one).
    pub now: Timestamp,
    pub org: OrgId,
    pub ids: &'a mut IdGen,
    pub timers: &'a mut Timers,
    pub out: &'a mut Vec<Event>,
}

impl Ctx<'_> {
    /// A fresh id.
    pub fn id(&mut self) -> u64 {
        self.ids.next()
    }

    /// Schedules `timer` at `at` for this org.
    pub fn schedule(&mut self, at: Timestamp, timer: Timer) {
        self.timers.schedule(at, self.org, timer);
    }

    /// Cancels a timer scheduled at `at`.
    pub fn cancel(&mut self, at: Timestamp, timer: Timer) {
        self.timers.cancel(at, self.org, timer);
    }

    /// Queues an event for delivery.
    pub fn emit(&mut self, event: Event) {
        self.out.push(event);
    }
}
