//! What a simulated agent is working on: the offers it saw and has not answered, and the
//! conversations it holds, each with whether a reply is on its way and whether the conversation
//! is due to close once that reply is sent. Both drivers keep it here, so that the rules of a
//! conversation's life (docs/scenarios.md) exist once: a conversation whose length runs out while
//! the agent is writing closes right after the reply, never before it.
//!
//! Times are since the driver's origin; `L` is what the measurements are labelled with.

use omnisim_protocol::{SessionId, WorkId};
use smallvec::SmallVec;
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
    offers: Few<WorkId, Offered<L>>,
    held: Few<SessionId, Conversation<L>>,
}

impl<L> Default for Desk<L> {
    fn default() -> Self {
        Desk {
            offers: Few(SmallVec::new()),
            held: Few(SmallVec::new()),
        }
    }
}

/// How many offers, and how many conversations, the agent's own record holds before they move to
/// a list of their own: as many as the agents of most scenarios work at once.
const INLINE: usize = 4;

/// An agent's few values by key, looked for one by one. Every event an agent gets looks one up,
/// and between two events of an agent thousands of others come: in a hash map, its control bytes
/// and its entry were two lines out of cache for each lookup, where a few entries inside the
/// agent's record come with it. A live agent holding a hundred (the live benchmark's capacity)
/// reads its list front to back, and the generator spent no more for it (docs/architecture.md).
struct Few<K, V>(SmallVec<[(K, V); INLINE]>);

impl<K: Copy + Eq, V> Few<K, V> {
    fn position(&self, key: K) -> Option<usize> {
        self.0.iter().position(|(k, _)| *k == key)
    }

    fn get(&self, key: K) -> Option<&V> {
        self.position(key).map(|i| &self.0[i].1)
    }

    fn get_mut(&mut self, key: K) -> Option<&mut V> {
        self.position(key).map(|i| &mut self.0[i].1)
    }

    fn contains(&self, key: K) -> bool {
        self.position(key).is_some()
    }

    /// The value at `key`, `make`'s if there was none.
    fn get_or_insert_with(&mut self, key: K, make: impl FnOnce() -> V) -> &mut V {
        let i = self.position(key).unwrap_or_else(|| {
            self.0.push((key, make()));
            self.0.len() - 1
        });
        &mut self.0[i].1
    }

    /// Sets `key` to `value`, replacing what it had.
    fn insert(&mut self, key: K, value: V) -> &mut V {
        let i = match self.position(key) {
            Some(i) => {
                self.0[i].1 = value;
                i
            }
            None => {
                self.0.push((key, value));
                self.0.len() - 1
            }
        };
        &mut self.0[i].1
    }

    fn remove(&mut self, key: K) -> Option<V> {
        let i = self.position(key)?;
        Some(self.0.swap_remove(i).1)
    }

    fn len(&self) -> usize {
        self.0.len()
    }

    fn retain(&mut self, mut keep: impl FnMut(K) -> bool) {
        self.0.retain(|(k, _)| keep(*k));
    }
}

impl<L> Desk<L> {
    /// The agent saw `work` offered.
    pub fn offered(&mut self, work: WorkId, offer: Offered<L>) {
        self.offers.insert(work, offer);
    }

    /// The offer of `work` is gone: declined, withdrawn, or its acceptance refused.
    pub fn withdraw(&mut self, work: WorkId) -> Option<Offered<L>> {
        self.offers.remove(work)
    }

    /// Whether the agent still has the offer of `work` to answer.
    pub fn has_offer(&self, work: WorkId) -> bool {
        self.offers.contains(work)
    }

    /// The agent accepted `work` at `now`: it holds the conversation, its greeting on the way.
    /// Returns the offer's session and when the customer meant to ask, if the offer was still
    /// there.
    pub fn accept(
        &mut self,
        work: WorkId,
        now: Duration,
    ) -> Option<(SessionId, Option<Duration>, &L)> {
        let offer = self.offers.remove(work)?;
        let conversation = Conversation {
            accepted: now,
            labels: offer.labels,
            answering: true,
            close_due: false,
            replies: 0,
        };
        let held = self.held.insert(offer.session, conversation);
        Some((offer.session, offer.intended, &held.labels))
    }

    /// The agent holds `session` again after a reconnect: from `now`, unless it already did.
    pub fn resume(&mut self, session: SessionId, now: Duration, labels: L) -> &mut Conversation<L> {
        self.held.get_or_insert_with(session, || Conversation {
            accepted: now,
            labels,
            answering: false,
            close_due: false,
            replies: 0,
        })
    }

    /// The customer wrote in `session`: if the agent holds it, an answer is now on its way.
    pub fn customer_wrote(&mut self, session: SessionId) -> bool {
        match self.held.get_mut(session) {
            Some(c) => {
                c.answering = true;
                true
            }
            None => false,
        }
    }

    /// The agent sends the reply it had on its way in `session`, if it still holds it.
    pub fn reply(&mut self, session: SessionId) -> Option<Reply> {
        let c = self.held.get_mut(session)?;
        c.answering = false;
        c.replies += 1;
        Some(Reply {
            number: c.replies,
            then_close: std::mem::take(&mut c.close_due),
        })
    }

    /// The conversation's length ran out.
    pub fn length_reached(&mut self, session: SessionId) -> Closing {
        match self.held.get_mut(session) {
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
        self.held.remove(session)
    }

    /// The conversation in `session`, if the agent holds it.
    pub fn conversation(&self, session: SessionId) -> Option<&Conversation<L>> {
        self.held.get(session)
    }

    /// How many conversations the agent holds.
    pub fn holding(&self) -> usize {
        self.held.len()
    }

    /// Keeps only the offers `keep` says are still there.
    pub fn retain_offers(&mut self, keep: impl FnMut(WorkId) -> bool) {
        self.offers.retain(keep);
    }

    /// Keeps only the conversations `keep` says the agent still holds.
    pub fn retain_held(&mut self, keep: impl FnMut(SessionId) -> bool) {
        self.held.retain(keep);
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

    /// A session offered again to the agent holding it (transferred back) starts over: the new
    /// acceptance replaces the conversation, not a second one beside it.
    #[test]
    fn a_session_accepted_again_starts_its_conversation_over() {
        let mut desk = desk_holding();
        desk.reply(SessionId(7));
        let again = Offered {
            session: SessionId(7),
            intended: None,
            labels: "sms",
        };
        desk.offered(WorkId(2), again);
        assert_eq!(
            desk.accept(WorkId(2), at(30)),
            Some((SessionId(7), None, &"sms"))
        );
        assert_eq!(desk.holding(), 1);
        let held = desk.conversation(SessionId(7)).expect("held");
        assert_eq!((held.accepted, held.labels), (at(30), "sms"));
        assert_eq!(desk.reply(SessionId(7)).map(|r| r.number), Some(1));
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

    /// More conversations than the agent's record holds inline, released out of order: each
    /// keeps its own replies, and only the released ones are gone.
    #[test]
    fn each_of_many_conversations_keeps_its_own_state() {
        let mut desk = Desk::default();
        let many = 3 * INLINE as u64;
        for i in 0..many {
            let offer = Offered {
                session: SessionId(100 + i),
                intended: None,
                labels: i,
            };
            desk.offered(WorkId(i), offer);
        }
        for i in (0..many).rev() {
            desk.accept(WorkId(i), at(i));
        }
        for i in 0..many {
            for _ in 0..i {
                desk.reply(SessionId(100 + i));
            }
        }
        for i in (0..many).filter(|i| i % 3 == 0) {
            assert_eq!(desk.release(SessionId(100 + i)).map(|c| c.labels), Some(i));
        }
        desk.retain_held(|s| s != SessionId(101));
        assert_eq!(desk.holding(), many as usize - INLINE - 1);
        for i in 0..many {
            let held = desk.conversation(SessionId(100 + i));
            if i % 3 == 0 || i == 1 {
                assert!(held.is_none(), "{i} released");
            } else {
                let held = held.expect("held");
                assert_eq!((held.labels, held.accepted), (i, at(i)));
                assert_eq!(
                    desk.reply(SessionId(100 + i)).map(|r| r.number),
                    Some(i as u32 + 1)
                );
            }
        }
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
