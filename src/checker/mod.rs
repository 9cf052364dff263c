//! The history checker: the [H] rules verified on what the harness itself observed, from the
//! client side, never on the server's word. Every check here is decided by one party's own ordered
//! view (one socket, or one customer's replies), so that network interleaving between parties
//! cannot produce a false violation.

use omnisim_protocol::{
    AgentId, ConversationId, InboundAccepted, SessionId, UserId, WorkId, WorkItem,
};
use omnisim_reference_server::fast_map::{FastMap, FastSet};
use omnisim_reference_server::id_index::IdIndex;
use serde::{Deserialize, Serialize};
use std::sync::Arc;

/// A rule broken, with what shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Violation {
    pub rule: String,
    pub evidence: String,
}

impl Violation {
    fn new(rule: &str, evidence: String) -> Violation {
        Violation {
            rule: rule.to_owned(),
            evidence,
        }
    }
}

/// What one agent holds, as it saw it.
#[derive(Default)]
struct AgentView {
    capacity: u32,
    live: FastMap<WorkId, (SessionId, u32)>,
}

/// A customer address as the checker knows it, handed out once per address by
/// [`History::customer`]: every later observation names the customer by this index instead of
/// hashing its address again.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct CustomerKey(u32);

/// What one address was told across all its sessions.
struct CustomerView {
    address: Arc<str>,
    /// Its user and conversation, from its inbound replies (R-CHAN-2, R-SESS-5).
    identity: Option<(UserId, ConversationId)>,
    /// The session its stream delivered last, and whether the customer saw it end (R-SESS-1).
    streamed: Option<(SessionId, bool)>,
    /// The last seq it saw of the open session it saw last. A stream shows one session at a
    /// time, so nearly every message finds its session here, beside the view the message
    /// reads anyway, instead of in the shared map; any other open session of the customer's
    /// is in the map.
    open: Option<(SessionId, u32)>,
}

/// The sessions parties saw end, remembered for at least the last [`RecentEnds::GENERATION`]
/// ends: enough for any late message a server could still send (the check it serves is a
/// message after the end, R-SESS-5), without a run of millions of sessions holding every one.
/// A message of an end forgotten that long ago still meets the order check (R-SESS-2).
#[derive(Default)]
struct RecentEnds {
    current: FastSet<(Party, SessionId)>,
    previous: FastSet<(Party, SessionId)>,
}

impl RecentEnds {
    const GENERATION: usize = 1 << 18;

    fn insert(&mut self, key: (Party, SessionId)) {
        if self.current.len() >= Self::GENERATION {
            self.previous = std::mem::take(&mut self.current);
        }
        self.current.insert(key);
    }

    fn contains(&self, key: &(Party, SessionId)) -> bool {
        self.current.contains(key) || self.previous.contains(key)
    }
}

/// Observations and the violations found so far.
#[derive(Default)]
pub struct History {
    violations: Vec<Violation>,
    /// The last seq each party saw of each session it has not seen end (but for a customer's
    /// [`CustomerView::open`] one), so it holds only what is still open, however long the run.
    last_seq: FastMap<(Party, SessionId), u32>,
    /// Sessions a party saw end: anything after is a violation (R-SESS-5). Looked up only when
    /// a party meets a session it holds no open view of.
    ended: RecentEnds,
    agents: FastMap<AgentId, AgentView>,
    /// Customer views by key; an address keeps its key for the whole run, so that customers
    /// who come back, and outbound recipients written to again, are checked against what the
    /// address saw before; a customer whose address cannot come back is forgotten
    /// ([`History::forget_customer`]) and its key handed to the next.
    customers: Vec<CustomerView>,
    keys: IdIndex<CustomerKey>,
    free: Vec<CustomerKey>,
}

/// Who observed something.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Party {
    Customer(CustomerKey),
    Agent(AgentId),
}

impl History {
    fn violate(&mut self, rule: &str, evidence: String) {
        self.violations.push(Violation::new(rule, evidence));
    }

    pub fn violations(&self) -> &[Violation] {
        &self.violations
    }

    /// The key of the customer at `address`, the same every time the address is asked for. The
    /// checker keeps the customer's own copy of the address for its evidence.
    pub fn customer(&mut self, address: &Arc<str>) -> CustomerKey {
        if let Some(key) = self.keys.get(address) {
            return *key;
        }
        let view = CustomerView {
            address: address.clone(),
            identity: None,
            streamed: None,
            open: None,
        };
        let key = match self.free.pop() {
            Some(key) => {
                self.customers[key.0 as usize] = view;
                key
            }
            None => {
                self.customers.push(view);
                CustomerKey(self.customers.len() as u32 - 1)
            }
        };
        self.keys.insert(address.clone(), key);
        key
    }

    /// The customer at `key` is gone for good and its address will not be met again (an
    /// arrival's own address): its view goes, so that a run holds the customers still around.
    /// Forgetting it twice frees its key once.
    pub fn forget_customer(&mut self, key: CustomerKey) {
        let view = &mut self.customers[key.0 as usize];
        if self.keys.get(&view.address) == Some(&key) {
            self.keys.remove(&view.address);
            view.address = Arc::from("");
            view.identity = None;
            view.streamed = None;
            // Its open session's view outlives it, as the map's entries do.
            if let Some((session, last)) = view.open.take() {
                self.last_seq.insert((Party::Customer(key), session), last);
            }
            self.free.push(key);
        }
    }

    fn view(&mut self, customer: CustomerKey) -> &mut CustomerView {
        &mut self.customers[customer.0 as usize]
    }

    /// How evidence names a party: a customer by its address, an agent by its id.
    fn name(&self, party: Party) -> String {
        match party {
            Party::Customer(c) => self.customers[c.0 as usize].address.to_string(),
            Party::Agent(a) => a.to_string(),
        }
    }

    /// A party received message `seq` of `session`. A customer stream replays from seq 1, so it
    /// must see every seq once, in order; an agent sees later messages after the offer's
    /// transcript, in order (R-SESS-2). Nothing arrives after the party saw the end (R-SESS-5).
    /// A customer's stream shows a new session only after the previous one ended (R-SESS-1).
    pub fn message(&mut self, party: Party, session: SessionId, seq: u32) {
        if let Party::Customer(customer) = party {
            let streamed = &mut self.view(customer).streamed;
            let before = match streamed {
                Some((s, _)) if *s == session => None,
                _ => streamed.replace((session, false)),
            };
            if let Some((open, false)) = before {
                let name = self.name(party);
                self.violate(
                    "R-SESS-1",
                    format!("{name} got {session} while {open} was open"),
                );
            }
        }
        let Some(last_seq) = self.advance(party, session, seq) else {
            let name = self.name(party);
            return self.violate(
                "R-SESS-5",
                format!("{name} got seq {seq} of {session} after it ended"),
            );
        };
        let in_order = match party {
            Party::Customer(_) => seq == last_seq + 1,
            Party::Agent(_) => seq > last_seq,
        };
        if !in_order {
            let name = self.name(party);
            self.violate(
                "R-SESS-2",
                format!("{name} got seq {seq} of {session} after seq {last_seq}"),
            );
        }
    }

    /// A party was handed `session`'s transcript up to `seq` (an offer, a hello): later messages
    /// must come after it. Nothing is checked; a transcript may repeat what was seen.
    pub fn seen(&mut self, party: Party, session: SessionId, seq: u32) {
        self.advance(party, session, seq);
    }

    /// Raises the last seq `party` saw of `session` to `seq` and returns what it was (0 for a
    /// session new to the party), or `None`, recording nothing, if the party saw it end.
    fn advance(&mut self, party: Party, session: SessionId, seq: u32) -> Option<u32> {
        let key = (party, session);
        let Party::Customer(customer) = party else {
            return match self.last_seq.get_mut(&key) {
                Some(last) => Some(std::mem::replace(last, (*last).max(seq))),
                None if self.ended.contains(&key) => None,
                None => {
                    self.last_seq.insert(key, seq);
                    Some(0)
                }
            };
        };
        let open = &mut self.customers[customer.0 as usize].open;
        match open {
            Some((s, last)) if *s == session => {
                return Some(std::mem::replace(last, seq.max(*last)));
            }
            _ => {}
        }
        // Another session: the one open here so far goes to the map, this one comes out of it.
        if let Some((s, last)) = open.take() {
            self.last_seq.insert((party, s), last);
        }
        let last = match self.last_seq.remove(&key) {
            Some(last) => last,
            None if self.ended.contains(&key) => return None,
            None => 0,
        };
        self.customers[customer.0 as usize].open = Some((session, last.max(seq)));
        Some(last)
    }

    /// A party saw `session` end: its view of it closes.
    pub fn ended(&mut self, party: Party, session: SessionId) {
        if let Party::Customer(customer) = party {
            if let Some((streamed, ended)) = &mut self.view(customer).streamed {
                *ended |= *streamed == session;
            }
        }
        let key = (party, session);
        let open = match party {
            Party::Customer(c) => &mut self.customers[c.0 as usize].open,
            Party::Agent(_) => &mut None,
        };
        if open.is_some_and(|(s, _)| s == session) {
            *open = None;
        } else {
            self.last_seq.remove(&key);
        }
        self.ended.insert(key);
    }

    /// A customer's inbound was accepted: one user per (channel, address) (R-CHAN-2), one
    /// conversation across its sessions (R-SESS-5). Whether a new session in the reply was
    /// right (R-SESS-1) depends on an end the customer may not have read yet: its stream, which
    /// orders both, decides that.
    pub fn inbound(&mut self, customer: CustomerKey, accepted: &InboundAccepted) {
        let (user, conversation) = (accepted.user, accepted.conversation_id);
        let view = self.view(customer);
        let Some((u, c)) = view.identity.replace((user, conversation)) else {
            return;
        };
        let name = view.address.clone();
        if u != user {
            self.violate("R-CHAN-2", format!("{name} was {u} and is now {user}"));
        }
        if c != conversation {
            self.violate(
                "R-SESS-5",
                format!("{name} was in {c} and is now in {conversation}"),
            );
        }
    }

    /// A provider retried a delivery: the retry must return the original's session and seq,
    /// marked duplicate, and store nothing (R-SESS-3).
    pub fn retried(
        &mut self,
        customer: CustomerKey,
        original: (SessionId, Option<u32>),
        retry: (SessionId, Option<u32>, bool),
    ) {
        let (session, seq, duplicate) = retry;
        if !duplicate || (session, seq) != original {
            let customer = self.name(Party::Customer(customer));
            self.violate(
                "R-SESS-3",
                format!(
                    "{customer}: a retried delivery returned {session} seq {seq:?} duplicate={duplicate}, the original {} seq {:?}",
                    original.0, original.1
                ),
            );
        }
    }

    /// An outbound attempt to `recipient`: refused after it opted out (R-OUT-2, R-OUT-3), and a
    /// free-form one refused before it ever wrote in (R-OUT-4).
    pub fn outbound(&mut self, recipient: &str, opted_out: bool, template: bool, accepted: bool) {
        if accepted && opted_out {
            self.violate(
                "R-OUT-2",
                format!("outbound to {recipient} accepted after it opted out"),
            );
        }
        if accepted && !template {
            self.violate(
                "R-OUT-4",
                format!("free-form outbound to {recipient}, who never wrote in, accepted"),
            );
        }
    }

    /// An agent came online with `capacity`.
    pub fn agent(&mut self, agent: AgentId, capacity: u32) {
        self.agents.entry(agent).or_default().capacity = capacity;
    }

    /// An agent received an offer: its live work stays within capacity (R-ROUTE-2) and the work's
    /// times are ordered (R-ROUTE-11).
    pub fn offered(&mut self, work: &WorkItem) {
        if work.requested_at > work.assigned_at {
            self.violate(
                "R-ROUTE-11",
                format!(
                    "{} requested at {} after assigned at {}",
                    work.id, work.requested_at, work.assigned_at
                ),
            );
        }
        let view = self.agents.entry(work.agent).or_default();
        view.live
            .insert(work.id, (work.session, work.capacity_weight));
        let used: u32 = view.live.values().map(|(_, w)| w).sum();
        let capacity = view.capacity;
        if used > capacity {
            let held: Vec<String> = view.live.keys().map(|w| w.to_string()).collect();
            self.violate(
                "R-ROUTE-2",
                format!(
                    "{} holds {used} units over capacity {capacity}: {}",
                    work.agent,
                    held.join(", ")
                ),
            );
        }
    }

    /// Violations found from one observation alone ([`flow_violations`]), kept in order with
    /// the rest.
    pub fn add(&mut self, found: Vec<Violation>) {
        self.violations.extend(found);
    }

    /// After a reconnect the agent's hello lists everything it holds: its view starts over from it.
    pub fn resynced(&mut self, agent: AgentId, work: &[WorkItem]) {
        let view = self.agents.entry(agent).or_default();
        view.live = work
            .iter()
            .map(|w| (w.id, (w.session, w.capacity_weight)))
            .collect();
    }

    /// The agent no longer holds `work` (it declined it, the offer was rescinded, or it sent a
    /// decline): counted as released as soon as the agent acts, so a late event never reads as
    /// a breach.
    pub fn released(&mut self, agent: AgentId, work: WorkId) {
        if let Some(view) = self.agents.get_mut(&agent) {
            view.live.remove(&work);
        }
    }

    /// The agent saw its session end or go inactive: its work there is closed.
    pub fn session_closed(&mut self, agent: AgentId, session: SessionId) {
        if let Some(view) = self.agents.get_mut(&agent) {
            view.live.retain(|_, (s, _)| *s != session);
        }
    }
}

/// What the routing context of an offer breaks, decided by the offer alone (no party's history):
/// directly routed work goes only to its agent until it falls back (R-FLOW-4), and a flow decides
/// by the rule the client expects from what it knows, when it can tell (`expected`, R-FLOW-1).
pub fn flow_violations(offer: &omnisim_protocol::Offer, expected: Option<&str>) -> Vec<Violation> {
    let (work, context) = (&offer.work, &offer.context);
    let mut found = Vec::new();
    let mut violate = |rule: &str, evidence: String| found.push(Violation::new(rule, evidence));
    if let (Some(named), None) = (context.direct_agent, context.fallback) {
        if named != work.agent {
            violate(
                "R-FLOW-4",
                format!(
                    "{} of {} offered to {} while routed to {named} alone",
                    work.id, work.session, work.agent
                ),
            );
        }
    }
    let decided = context.flow_rule.as_deref();
    let untouched = context.transferred_from.is_none() && context.flow_error.is_none();
    if let Some(expected) = expected.filter(|e| untouched && decided != Some(*e)) {
        violate(
            "R-FLOW-1",
            format!(
                "{} was routed by rule {decided:?}; its channel, intent and fields at {} select '{expected}'",
                work.session, work.requested_at
            ),
        );
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;
    use omnisim_protocol::*;

    /// The rules `violations` name, in order.
    fn rules_of(violations: &[Violation]) -> Vec<&str> {
        violations.iter().map(|v| v.rule.as_str()).collect()
    }

    fn work(id: u64, agent: u64, session: u64, weight: u32) -> WorkItem {
        WorkItem {
            id: WorkId(id),
            org: OrgId(1),
            session: SessionId(session),
            queue: QueueId(1),
            agent: AgentId(agent),
            status: WorkStatus::Assigned,
            capacity_weight: weight,
            requested_at: Timestamp(1),
            assigned_at: Timestamp(2),
            accepted_at: None,
            closed_at: None,
        }
    }

    fn offer(agent: u64, context: RoutingContext) -> Offer {
        let w = work(9, agent, 5, 1);
        Offer {
            org: OrgId(1),
            session: Session {
                id: w.session,
                org: OrgId(1),
                channel: ChannelId(2),
                user: UserId(3),
                conversation_id: ConversationId(4),
                status: SessionStatus::Waiting,
                origin: Origin::InboundInitiated,
                handler: Handler::None,
                queue: Some(w.queue),
                agent: Some(w.agent),
                started_at: Timestamp(1),
                accepted_at: None,
                ended_at: None,
                ended_by: None,
                message_count: 1,
            },
            work: w,
            context,
            transcript: Vec::new(),
        }
    }

    #[test]
    fn direct_work_offered_to_another_agent_and_an_unexpected_rule_are_violations() {
        let rules = |offer: &Offer, expected| -> Vec<String> {
            flow_violations(offer, expected)
                .into_iter()
                .map(|v| v.rule)
                .collect()
        };
        let direct = RoutingContext {
            flow: Some(FlowId(1)),
            flow_rule: Some("vip".into()),
            direct_agent: Some(AgentId(7)),
            ..RoutingContext::default()
        };
        assert!(rules(&offer(7, direct.clone()), Some("vip")).is_empty());
        assert_eq!(rules(&offer(8, direct.clone()), None), ["R-FLOW-4"]);
        let mut fell_back = direct.clone();
        fell_back.fallback = Some(DirectFallback {
            agent: AgentId(7),
            reason: FallbackReason::Timeout,
            at: Timestamp(2),
        });
        assert!(
            rules(&offer(8, fell_back), None).is_empty(),
            "after the fallback anyone may get it"
        );
        assert_eq!(
            rules(&offer(7, direct.clone()), Some("default")),
            ["R-FLOW-1"]
        );
        let mut transferred = direct;
        transferred.transferred_from = Some(QueueId(3));
        assert!(
            rules(&offer(7, transferred), Some("default")).is_empty(),
            "a transfer names its own target"
        );
    }

    #[test]
    fn seq_gaps_duplicates_and_messages_after_end_are_violations() {
        let mut h = History::default();
        let c = Party::Customer(h.customer(&Arc::from("c")));
        h.message(c, SessionId(1), 1);
        h.message(c, SessionId(1), 2);
        assert!(h.violations().is_empty());
        h.message(c, SessionId(1), 2);
        h.message(c, SessionId(1), 4);
        h.ended(c, SessionId(1));
        h.message(c, SessionId(1), 5);
        let rules = rules_of(h.violations());
        assert_eq!(rules, ["R-SESS-2", "R-SESS-2", "R-SESS-5"]);
    }

    /// A stream that interleaves two sessions (itself an R-SESS-1 breach) is still held to
    /// each one's order and end, as the customer's one session at hand changes back and forth.
    #[test]
    fn a_customers_interleaved_sessions_keep_their_own_order_and_end() {
        let mut h = History::default();
        let c = Party::Customer(h.customer(&Arc::from("c")));
        h.message(c, SessionId(1), 1);
        h.message(c, SessionId(2), 1);
        h.message(c, SessionId(1), 2);
        h.message(c, SessionId(2), 2);
        h.ended(c, SessionId(2));
        h.message(c, SessionId(1), 3);
        let rules = rules_of(h.violations());
        assert_eq!(rules, ["R-SESS-1", "R-SESS-1", "R-SESS-1"], "order kept");
        h.message(c, SessionId(1), 3);
        h.message(c, SessionId(2), 3);
        h.ended(c, SessionId(1));
        h.message(c, SessionId(1), 4);
        let rules = rules_of(&h.violations()[3..]);
        assert_eq!(
            rules,
            ["R-SESS-2", "R-SESS-1", "R-SESS-5", "R-SESS-1", "R-SESS-5"]
        );
    }

    #[test]
    fn capacity_is_checked_on_the_agents_own_view() {
        let mut h = History::default();
        h.agent(AgentId(7), 2);
        h.offered(&work(1, 7, 10, 1));
        h.offered(&work(2, 7, 11, 1));
        h.released(AgentId(7), WorkId(1));
        h.offered(&work(3, 7, 12, 1));
        assert!(h.violations().is_empty());
        h.offered(&work(4, 7, 13, 1));
        assert_eq!(h.violations()[0].rule, "R-ROUTE-2");
        h.session_closed(AgentId(7), SessionId(11));
    }

    #[test]
    fn outbound_after_opt_out_or_free_form_outside_the_window_is_a_violation() {
        let mut h = History::default();
        h.outbound("r", false, true, true);
        h.outbound("r", true, true, false);
        h.outbound("r", false, false, false);
        assert!(h.violations().is_empty());
        h.outbound("r", true, true, true);
        h.outbound("r", false, false, true);
        let rules = rules_of(h.violations());
        assert_eq!(rules, ["R-OUT-2", "R-OUT-4"]);
    }

    #[test]
    fn a_transcript_handed_over_again_is_not_a_duplicate() {
        let mut h = History::default();
        let a = Party::Agent(AgentId(3));
        h.message(a, SessionId(1), 4);
        h.seen(a, SessionId(1), 4);
        h.message(a, SessionId(1), 5);
        assert!(h.violations().is_empty());
        h.message(a, SessionId(1), 5);
        assert_eq!(h.violations()[0].rule, "R-SESS-2");
    }

    #[test]
    fn a_retried_delivery_must_come_back_as_the_original_duplicate() {
        let mut h = History::default();
        let c = h.customer(&Arc::from("c"));
        h.retried(c, (SessionId(1), Some(2)), (SessionId(1), Some(2), true));
        assert!(h.violations().is_empty());
        h.retried(c, (SessionId(1), Some(2)), (SessionId(1), Some(3), false));
        assert_eq!(h.violations()[0].rule, "R-SESS-3");
    }

    #[test]
    fn a_customer_keeps_its_user_one_open_session_and_one_conversation() {
        let accepted = |user: u64, session: u64, conversation: u64| InboundAccepted {
            user: UserId(user),
            conversation_id: ConversationId(conversation),
            session: SessionId(session),
            seq: None,
            duplicate: false,
        };
        let mut h = History::default();
        let key = h.customer(&Arc::from("c"));
        assert_eq!(h.customer(&Arc::from("c")), key, "an address keeps its key");
        let c = Party::Customer(key);
        h.inbound(key, &accepted(1, 5, 9));
        h.message(c, SessionId(5), 1);
        h.inbound(key, &accepted(1, 5, 9));
        h.message(c, SessionId(5), 2);
        // The reply names a new session before the stream showed the end: the stream decides.
        h.inbound(key, &accepted(1, 6, 9));
        h.ended(c, SessionId(5));
        h.message(c, SessionId(6), 1);
        assert!(
            h.violations().is_empty(),
            "a new session after the end, same conversation"
        );
        h.inbound(key, &accepted(1, 7, 9));
        h.message(c, SessionId(7), 1);
        h.inbound(key, &accepted(2, 7, 10));
        let rules = rules_of(h.violations());
        assert_eq!(rules, ["R-SESS-1", "R-CHAN-2", "R-SESS-5"]);
    }

    #[test]
    fn a_forgotten_customer_frees_its_key_and_its_address_starts_afresh() {
        let accepted = |user: u64| InboundAccepted {
            user: UserId(user),
            conversation_id: ConversationId(user + 100),
            session: SessionId(user),
            seq: None,
            duplicate: false,
        };
        let mut h = History::default();
        let a = h.customer(&Arc::from("a"));
        h.inbound(a, &accepted(1));
        h.forget_customer(a);
        h.forget_customer(a);
        let b = h.customer(&Arc::from("b"));
        assert_eq!(b, a, "the next customer takes the freed key");
        assert_ne!(
            h.customer(&Arc::from("c")),
            b,
            "a key freed twice is handed out once"
        );
        h.inbound(b, &accepted(2));
        assert!(h.violations().is_empty(), "b is not held to a's user");
        h.inbound(b, &accepted(3));
        assert_eq!(h.violations()[0].rule, "R-CHAN-2");
    }

    #[test]
    fn ends_are_remembered_for_a_generation_and_a_customers_own_end_for_ever() {
        let mut h = History::default();
        let c = Party::Customer(h.customer(&Arc::from("c")));
        let agent = Party::Agent(AgentId(1));
        h.message(c, SessionId(1), 1);
        h.ended(c, SessionId(1));
        h.message(agent, SessionId(1), 1);
        h.ended(agent, SessionId(1));
        for s in 2..=RecentEnds::GENERATION as u64 {
            h.ended(agent, SessionId(s));
        }
        h.message(agent, SessionId(1), 2);
        assert_eq!(h.violations()[0].rule, "R-SESS-5", "one generation later");
        for s in 0..RecentEnds::GENERATION as u64 * 2 {
            h.ended(agent, SessionId(1_000_000 + s));
        }
        h.message(c, SessionId(2), 1);
        assert_eq!(
            h.violations().len(),
            1,
            "the customer's own end still counts: {:?}",
            h.violations()
        );
        assert!(h.ended.current.len() + h.ended.previous.len() <= 2 * RecentEnds::GENERATION);
    }
}
