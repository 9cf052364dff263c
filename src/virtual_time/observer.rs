//! The history checker of a virtual run, on a thread of its own: the simulation hands it what
//! the parties observed in batches, in the order they observed it, and takes the finished
//! [`History`] back at the end.
//!
//! The checker only watches: nothing it finds changes what the simulation does next, so it can
//! run beside it on the machine's other core. On one thread it took an eighth of a run's time,
//! most of it in hash tables of its own, which then shared the core's caches with the engine's.

use crate::checker::{CustomerKey, History, Violation};
use omnisim_protocol::{AgentId, InboundAccepted, SessionId, WorkId, WorkItem};
use std::sync::Arc;
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};
use std::thread::JoinHandle;

/// Observations a batch holds: large enough that handing one over is rare, small enough to stay
/// in the caches between the two threads.
const BATCH: usize = 1024;

/// Batches handed over and not yet checked: when the checker falls this far behind, the
/// simulation waits for it, so that a run's memory does not grow with the checker's lag.
const IN_FLIGHT: usize = 4;

/// Who observed something: a customer by its slot in the simulation (the checker knows which
/// address holds the slot), or an agent.
#[derive(Clone, Copy, Debug)]
pub(super) enum Party {
    Customer(usize),
    Agent(AgentId),
}

/// One call on [`History`], with what it needs, owned.
enum Observation {
    Customer(usize, Arc<str>),
    ForgetCustomer(usize),
    Message(Party, SessionId, u32),
    Seen(Party, SessionId, u32),
    Ended(Party, SessionId),
    Inbound(usize, InboundAccepted),
    Retried {
        customer: usize,
        original: (SessionId, Option<u32>),
        retry: (SessionId, Option<u32>, bool),
    },
    Outbound {
        recipient: Arc<str>,
        opted_out: bool,
        template: bool,
        accepted: bool,
    },
    Agent(AgentId, u32),
    Offered(Box<WorkItem>),
    Released(AgentId, WorkId),
    SessionClosed(AgentId, SessionId),
    Found(Vec<Violation>),
}

/// The checker's side: the history, and which customer each slot holds now.
struct Checker {
    history: History,
    keys: Vec<Option<CustomerKey>>,
}

impl Checker {
    fn apply(&mut self, observation: Observation) {
        let (h, keys) = (&mut self.history, &mut self.keys);
        let key = |slot: usize| keys[slot].expect("a slot's customer is named before it acts");
        let party = |p: Party| match p {
            Party::Customer(slot) => crate::checker::Party::Customer(key(slot)),
            Party::Agent(a) => crate::checker::Party::Agent(a),
        };
        match observation {
            Observation::Customer(slot, address) => {
                if keys.len() <= slot {
                    keys.resize(slot + 1, None);
                }
                keys[slot] = Some(h.customer(&address));
            }
            Observation::ForgetCustomer(slot) => h.forget_customer(key(slot)),
            Observation::Message(p, session, seq) => h.message(party(p), session, seq),
            Observation::Seen(p, session, seq) => h.seen(party(p), session, seq),
            Observation::Ended(p, session) => h.ended(party(p), session),
            Observation::Inbound(slot, accepted) => h.inbound(key(slot), &accepted),
            Observation::Retried {
                customer,
                original,
                retry,
            } => h.retried(key(customer), original, retry),
            Observation::Outbound {
                recipient,
                opted_out,
                template,
                accepted,
            } => h.outbound(&recipient, opted_out, template, accepted),
            Observation::Agent(agent, capacity) => h.agent(agent, capacity),
            Observation::Offered(work) => h.offered(&work),
            Observation::Released(agent, work) => h.released(agent, work),
            Observation::SessionClosed(agent, session) => h.session_closed(agent, session),
            Observation::Found(violations) => h.add(violations),
        }
    }
}

/// The simulation's side: the batch being filled, and the thread that checks them.
pub(super) struct Observer {
    batch: Vec<Observation>,
    to_checker: Option<SyncSender<Vec<Observation>>>,
    /// Batches the checker is done with, to be filled again instead of allocated.
    emptied: Receiver<Vec<Observation>>,
    checker: Option<JoinHandle<History>>,
}

impl Observer {
    /// Starts the checker's thread.
    pub(super) fn start() -> std::io::Result<Observer> {
        let (to_checker, batches) = sync_channel::<Vec<Observation>>(IN_FLIGHT);
        let (give_back, emptied) = sync_channel(IN_FLIGHT + 1);
        let checker = std::thread::Builder::new()
            .name("history checker".into())
            .spawn(move || {
                let mut checker = Checker {
                    history: History::default(),
                    keys: Vec::new(),
                };
                for mut batch in batches {
                    for observation in batch.drain(..) {
                        checker.apply(observation);
                    }
                    // The simulation may have stopped taking batches back: then it is done.
                    let _ = give_back.try_send(batch);
                }
                checker.history
            })?;
        Ok(Observer {
            batch: Vec::with_capacity(BATCH),
            to_checker: Some(to_checker),
            emptied,
            checker: Some(checker),
        })
    }

    fn push(&mut self, observation: Observation) {
        self.batch.push(observation);
        if self.batch.len() == BATCH {
            self.hand_over();
        }
    }

    fn hand_over(&mut self) {
        let next = self
            .emptied
            .try_recv()
            .unwrap_or_else(|_| Vec::with_capacity(BATCH));
        let full = std::mem::replace(&mut self.batch, next);
        if let Some(to_checker) = &self.to_checker {
            // The checker only stops early by panicking, which `finish` reports.
            let _ = to_checker.send(full);
        }
    }

    /// Waits for the checker to check everything handed to it, and returns its history.
    pub(super) fn finish(&mut self) -> History {
        if let Some(to_checker) = self.to_checker.take() {
            // The checker only stops early by panicking, which joining it reports.
            let _ = to_checker.send(std::mem::take(&mut self.batch));
        }
        let checker = self.checker.take().expect("an observer is finished once");
        match checker.join() {
            Ok(history) => history,
            Err(panic) => std::panic::resume_unwind(panic),
        }
    }

    /// A new customer, at `address`, holds slot `customer` ([`History::customer`]).
    pub(super) fn customer(&mut self, customer: usize, address: &Arc<str>) {
        self.push(Observation::Customer(customer, address.clone()));
    }

    /// [`History::forget_customer`].
    pub(super) fn forget_customer(&mut self, customer: usize) {
        self.push(Observation::ForgetCustomer(customer));
    }

    /// [`History::message`].
    pub(super) fn message(&mut self, party: Party, session: SessionId, seq: u32) {
        self.push(Observation::Message(party, session, seq));
    }

    /// [`History::seen`].
    pub(super) fn seen(&mut self, party: Party, session: SessionId, seq: u32) {
        self.push(Observation::Seen(party, session, seq));
    }

    /// [`History::ended`].
    pub(super) fn ended(&mut self, party: Party, session: SessionId) {
        self.push(Observation::Ended(party, session));
    }

    /// [`History::inbound`].
    pub(super) fn inbound(&mut self, customer: usize, accepted: &InboundAccepted) {
        self.push(Observation::Inbound(customer, accepted.clone()));
    }

    /// [`History::retried`].
    pub(super) fn retried(
        &mut self,
        customer: usize,
        original: (SessionId, Option<u32>),
        retry: (SessionId, Option<u32>, bool),
    ) {
        self.push(Observation::Retried {
            customer,
            original,
            retry,
        });
    }

    /// [`History::outbound`].
    pub(super) fn outbound(
        &mut self,
        recipient: &str,
        opted_out: bool,
        template: bool,
        accepted: bool,
    ) {
        self.push(Observation::Outbound {
            recipient: recipient.into(),
            opted_out,
            template,
            accepted,
        });
    }

    /// [`History::agent`].
    pub(super) fn agent(&mut self, agent: AgentId, capacity: u32) {
        self.push(Observation::Agent(agent, capacity));
    }

    /// [`History::offered`].
    pub(super) fn offered(&mut self, work: &WorkItem) {
        self.push(Observation::Offered(Box::new(work.clone())));
    }

    /// The routing context of an offer ([`crate::checker::flow_violations`]), checked here: it
    /// reads no history.
    pub(super) fn flow_offer(&mut self, offer: &omnisim_protocol::Offer, expected: Option<&str>) {
        let found = crate::checker::flow_violations(offer, expected);
        if !found.is_empty() {
            self.push(Observation::Found(found));
        }
    }

    /// [`History::released`].
    pub(super) fn released(&mut self, agent: AgentId, work: WorkId) {
        self.push(Observation::Released(agent, work));
    }

    /// [`History::session_closed`].
    pub(super) fn session_closed(&mut self, agent: AgentId, session: SessionId) {
        self.push(Observation::SessionClosed(agent, session));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Batches reach the checker whole and in order, the last one, never full, at the finish;
    /// two customers whose observations interleave are told apart by their slots.
    #[test]
    fn every_observation_reaches_the_checker_in_order_the_last_one_too() {
        let mut observer = Observer::start().unwrap();
        observer.customer(3, &Arc::from("first"));
        observer.customer(5, &Arc::from("second"));
        let last = 3 * BATCH as u32;
        for seq in 1..=last {
            observer.message(Party::Customer(3), SessionId(1), seq);
            observer.message(Party::Customer(5), SessionId(2), seq);
        }
        observer.message(Party::Customer(5), SessionId(2), last + 2);
        let history = observer.finish();
        let found: Vec<_> = history.violations().iter().map(|v| &v.evidence).collect();
        assert_eq!(
            found,
            [&format!(
                "second got seq {} of session:2 after seq {last}",
                last + 2
            )]
        );
    }
}
