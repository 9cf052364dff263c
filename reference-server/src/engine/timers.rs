//! Deadlines the engine owes: push timeouts, skill drops, inactivity and inactive TTLs. Kept in
//! one ordered set so that `next_deadline` is O(1) and cancelling is exact (no stale wakeups).

use omnisim_protocol::{OrgId, SessionId, Timestamp, WorkId};
use std::collections::BTreeSet;

/// What happens when a deadline passes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Timer {
    /// An offer not accepted in time (R-ROUTE-5).
    PushTimeout(WorkId),
    /// A waiting session's additional skills stop counting (R-ROUTE-10).
    SkillDrop(SessionId),
    /// No customer reply since the agent's last message: the session goes inactive (R-SESS-7).
    Inactivity(SessionId),
    /// An inactive session ends (R-SESS-7).
    InactiveTtl(SessionId),
    /// Work routed to one agent was not accepted in time: it falls back (R-FLOW-4).
    DirectTimeout(SessionId),
    /// An ended session's retention is over: it is forgotten (R-SESS-10).
    Forget(SessionId),
}

/// Every pending deadline of every org.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Timers {
    due: BTreeSet<(Timestamp, OrgId, Timer)>,
}

impl Timers {
    /// Adds a deadline.
    pub fn schedule(&mut self, at: Timestamp, org: OrgId, timer: Timer) {
        self.due.insert((at, org, timer));
    }

    /// Removes a deadline scheduled with the same arguments.
    pub fn cancel(&mut self, at: Timestamp, org: OrgId, timer: Timer) {
        self.due.remove(&(at, org, timer));
    }

    /// The earliest deadline.
    pub fn next(&self) -> Option<Timestamp> {
        self.due.first().map(|d| d.0)
    }

    /// Removes and returns `org`'s earliest deadline if it is at or before `now`. It walks past
    /// other orgs' due deadlines, which on manual clocks wait for their own org's clock: a cost
    /// only a test server pays.
    pub fn pop_due_of(&mut self, org: OrgId, now: Timestamp) -> Option<(Timestamp, Timer)> {
        let due = *self
            .due
            .iter()
            .take_while(|d| d.0 <= now)
            .find(|d| d.1 == org)?;
        self.due.remove(&due);
        Some((due.0, due.2))
    }

    /// Removes and returns the earliest deadline if it is at or before `now`.
    pub fn pop_due(&mut self, now: Timestamp) -> Option<(Timestamp, OrgId, Timer)> {
        if self.next()? <= now {
            self.due.pop_first()
        } else {
            None
        }
    }
}
