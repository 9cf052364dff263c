//! What a simulated agent is working on: the offers it saw and has not answered, and the
//! conversations it holds, each with whether a reply is on its way and whether the conversation
//! is due to close once that reply is sent. Both drivers keep it here, so that the rules of a
//! conversation's life (docs/scenarios.md) exist once: a conversation whose length runs out while
//! the agent is writing closes right after the reply, never before it.
//!
//! Times are since the driver's origin; `L` is what the measurements are labelled with.

use omnisim_protocol::{SessionId, WorkId};
use omnisim_reference_server::fast_map::FastMap;
use std::time::Duration;

/// An offer the agent saw and has not answered.
pub struct Offered<L> {
    pub session: SessionId,
    /// When the customer meant to ask for an agent, if known: speed to answer counts from it.
    pub intended: Option<Duration>,
    pub labels: L,
}

/// A conversation the agent holds.
pub struct Conversation<L> {
    pub accepted: Duration,
    pub labels: L,
    /// A reply (or a transfer) is scheduled and not yet sent.
    answering: bool,
    /// The conversation's length ran out while a reply was on its way.
    close_due: bool,
    replies: u32,
}

/// A reply the agent is sending now.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Reply {
    /// The reply's number in the conversation, from 1.
    pub number: u32,
    /// The conversation closes once it is sent.
    pub then_close: bool,
}

/// What becomes of a conversation whose length ran out.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Closing {
    Now,
    /// A reply is on its way; the conversation closes once it is sent.
    AfterReply,
    /// The agent no longer holds it.
    NotHeld,
}

/// The agent's offers and conversations.
pub struct Desk<L> {
    offers: FastMap<WorkId, Offered<L>>,
    held: FastMap<SessionId, Conversation<L>>,
}

impl<L> Default for Desk<L> {
    fn default() -> Self {
        Desk {
            offers: FastMap::default(),
            held: FastMap::default(),
        }
    }
}

impl<L> Desk<L> {
    /// The agent saw `work` offered.
    pub fn offered(&mut self, work: WorkId, offer: Offered<L>) {
        self.offers.insert(work, offer);
    }

    /// The offer of `work` is gone: declined, withdrawn, or its acceptance refused.
    pub fn withdraw(&mut self, work: WorkId) -> Option<Offered<L>> {
        self.offers.remove(&work)
    }

    /// Whether the agent still has the offer of `work` to answer.
    pub fn has_offer(&self, work: WorkId) -> bool {
        self.offers.contains_key(&work)
    }

    /// The agent accepted `work` at `now`: it holds the conversation, its greeting on the way.
    /// Returns the offer's session and when the customer meant to ask, if the offer was still
    /// there.
    pub fn accept(
        &mut self,
        work: WorkId,
        now: Duration,
    ) -> Option<(SessionId, Option<Duration>, &L)> {
        let offer = self.offers.remove(&work)?;
        let conversation = Conversation {
            accepted: now,
            labels: offer.labels,
            answering: true,
            close_due: false,
            replies: 0,
        };
        let held = self.held.entry(offer.session).insert_entry(conversation);
        Some((offer.session, offer.intended, &held.into_mut().labels))
    }

    /// The agent holds `session` again after a reconnect: from `now`, unless it already did.
    pub fn resume(&mut self, session: SessionId, now: Duration, labels: L) -> &mut Conversation<L> {
        self.held.entry(session).or_insert(Conversation {
            accepted: now,
            labels,
            answering: false,
            close_due: false,
            replies: 0,
        })
    }

    /// The customer wrote in `session`: if the agent holds it, an answer is now on its way.
    pub fn customer_wrote(&mut self, session: SessionId) -> bool {
        match self.held.get_mut(&session) {
            Some(c) => {
                c.answering = true;
                true
            }
            None => false,
        }
    }

    /// The agent sends the reply it had on its way in `session`, if it still holds it.
    pub fn reply(&mut self, session: SessionId) -> Option<Reply> {
        let c = self.held.get_mut(&session)?;
        c.answering = false;
        c.replies += 1;
        Some(Reply {
            number: c.replies,
            then_close: std::mem::take(&mut c.close_due),
        })
    }

    /// The conversation's length ran out.
    pub fn length_reached(&mut self, session: SessionId) -> Closing {
        match self.held.get_mut(&session) {
            None => Closing::NotHeld,
            Some(c) if c.answering => {
                c.close_due = true;
                Closing::AfterReply
            }
            Some(_) => Closing::Now,
        }
    }

    /// The agent let go of `session` (it ended, went inactive or was transferred).
    pub fn release(&mut self, session: SessionId) -> Option<Conversation<L>> {
        self.held.remove(&session)
    }

    /// The conversation in `session`, if the agent holds it.
    pub fn conversation(&self, session: SessionId) -> Option<&Conversation<L>> {
        self.held.get(&session)
    }

    /// How many conversations the agent holds.
    pub fn holding(&self) -> usize {
        self.held.len()
    }

    /// Keeps only the offers `keep` says are still there.
    pub fn retain_offers(&mut self, mut keep: impl FnMut(WorkId) -> bool) {
        self.offers.retain(|w, _| keep(*w));
    }

    /// Keeps only the conversations `keep` says the agent still holds.
    pub fn retain_held(&mut self, mut keep: impl FnMut(SessionId) -> bool) {
        self.held.retain(|s, _| keep(*s));
    }
}

impl<L> Conversation<L> {
    /// Whether a reply is on its way.
    pub fn answering(&self) -> bool {
        self.answering
    }

    /// Puts a reply on its way.
    pub fn answer(&mut self) {
        self.answering = true;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(secs: u64) -> Duration {
        Duration::from_secs(secs)
    }

    fn desk_with_offer() -> Desk<&'static str> {
        let mut desk = Desk::default();
        let offer = Offered {
            session: SessionId(7),
            intended: Some(at(5)),
            labels: "web",
        };
        desk.offered(WorkId(1), offer);
        desk
    }

    /// The offer accepted at 10: the conversation is held, its greeting on the way.
    fn desk_holding() -> Desk<&'static str> {
        let mut desk = desk_with_offer();
        desk.accept(WorkId(1), at(10));
        desk
    }

    #[test]
    fn an_accepted_offer_becomes_a_conversation_whose_greeting_is_on_its_way() {
        let mut desk = desk_with_offer();
        assert_eq!(
            desk.accept(WorkId(1), at(10)),
            Some((SessionId(7), Some(at(5)), &"web"))
        );
        assert!(!desk.has_offer(WorkId(1)));
        assert_eq!(desk.holding(), 1);
        let held = desk.conversation(SessionId(7)).expect("held");
        assert_eq!(held.accepted, at(10));
        assert!(held.answering());
    }

    #[test]
    fn a_withdrawn_offer_cannot_be_accepted() {
        let mut desk = desk_with_offer();
        assert!(desk.withdraw(WorkId(1)).is_some());
        assert_eq!(desk.accept(WorkId(1), at(10)), None);
        assert_eq!(desk.holding(), 0);
    }

    #[test]
    fn a_conversation_whose_length_runs_out_mid_reply_closes_right_after_the_reply() {
        let mut desk = desk_holding();
        // The greeting is on its way: closing waits for it.
        assert_eq!(desk.length_reached(SessionId(7)), Closing::AfterReply);
        let greeting = desk.reply(SessionId(7));
        assert_eq!(
            greeting,
            Some(Reply {
                number: 1,
                then_close: true
            })
        );
        // Nothing on its way any more: the next length check closes at once.
        assert_eq!(desk.length_reached(SessionId(7)), Closing::Now);
    }

    #[test]
    fn replies_are_numbered_per_conversation_and_stop_when_it_is_released() {
        let mut desk = desk_holding();
        desk.reply(SessionId(7));
        assert!(desk.customer_wrote(SessionId(7)));
        assert_eq!(desk.reply(SessionId(7)).map(|r| r.number), Some(2));
        assert!(desk.release(SessionId(7)).is_some());
        assert_eq!(desk.reply(SessionId(7)), None);
        assert!(!desk.customer_wrote(SessionId(7)));
        assert_eq!(desk.length_reached(SessionId(7)), Closing::NotHeld);
    }

    #[test]
    fn a_resumed_conversation_keeps_what_the_agent_already_held() {
        let mut desk = desk_holding();
        desk.reply(SessionId(7));
        let held = desk.resume(SessionId(7), at(99), "sms");
        assert_eq!((held.accepted, held.labels), (at(10), "web"));
        let fresh = desk.resume(SessionId(8), at(99), "sms");
        assert_eq!(
            (fresh.accepted, fresh.labels, fresh.answering()),
            (at(99), "sms", false)
        );
    }
}
