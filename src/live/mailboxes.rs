//! Customers of a channel that delivers to them over its provider stream (`delivery =
//! "channel_stream"`): one socket for the whole channel, as a messaging provider holds, whose
//! events each customer gets in its own mailbox, found by user id.
//!
//! A customer learns its user id only from the server's reply to its first message, and the
//! stream may carry that session's first events before the reply arrives: events for a user no
//! customer has claimed wait, for a bounded time and number, until one does.

use omnisim_protocol::{Event, UserId};
use omnisim_reference_server::fast_map::FastMap;
use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

/// Events one customer may have waiting before it reads them: far above what a session sends
/// between two of its customer's steps, so that only a customer that stopped reading loses any.
const MAILBOX: usize = 256;

/// How long events for an unclaimed user wait for their customer: longer than any answer to a
/// customer's first message takes on a server that still counts as up.
const UNCLAIMED_FOR: Duration = Duration::from_secs(30);

/// The most unclaimed events kept at once, the oldest going first: the channel may carry users
/// this generator does not drive (another shard's, outbound recipients with their own streams).
const UNCLAIMED_MAX: usize = 100_000;

/// What became of an event handed to [`Mailboxes::deliver`].
#[derive(Debug, PartialEq, Eq)]
pub enum Delivered {
    /// In its customer's mailbox.
    Mailbox,
    /// Waiting for a customer to claim its user.
    Unclaimed,
    /// Its customer's mailbox was full: the customer stopped reading, and loses it.
    Full,
}

/// The mailboxes of one channel's customers, by user.
#[derive(Default)]
pub struct Mailboxes {
    inner: Mutex<Inner>,
}

/// A claimed user's events not yet read, and the customer waiting for the next. A queue in the
/// shared table rather than a channel per customer: a channel allocated a block of 32 events
/// (3 KiB) for every customer, where the queue holds only what is waiting.
struct Slot {
    /// Which of the user's mailboxes this is: a customer claiming the user again gets a new
    /// one, and the old mailbox reads as closed.
    mailbox: u64,
    events: VecDeque<Event>,
    reader: Option<Waker>,
}

#[derive(Default)]
struct Inner {
    open: FastMap<UserId, Slot>,
    /// The id of the last mailbox opened.
    opened: u64,
    /// Each unclaimed user's events, with when the first of them came.
    unclaimed: FastMap<UserId, (Instant, Vec<Event>)>,
    /// The same users and times, oldest first.
    arrived: VecDeque<(Instant, UserId)>,
    unclaimed_events: usize,
}

/// One customer's mailbox: its events in the stream's order. Dropping it closes it, and the
/// user's later events wait unclaimed again.
pub struct Mailbox {
    boxes: Arc<Mailboxes>,
    user: UserId,
    id: u64,
}

impl Mailbox {
    /// The next event; `None` once another mailbox claimed the user.
    pub async fn recv(&mut self) -> Option<Event> {
        std::future::poll_fn(|cx| self.poll_recv(cx)).await
    }

    /// This mailbox's entry in `inner`, unless another mailbox claimed the user since.
    fn slot<'a>(&self, inner: &'a mut Inner) -> Option<&'a mut Slot> {
        inner
            .open
            .get_mut(&self.user)
            .filter(|s| s.mailbox == self.id)
    }

    fn poll_recv(&self, cx: &mut Context<'_>) -> Poll<Option<Event>> {
        let mut inner = self.boxes.lock();
        let Some(slot) = self.slot(&mut inner) else {
            return Poll::Ready(None);
        };
        match slot.events.pop_front() {
            Some(event) => Poll::Ready(Some(event)),
            None => {
                match &mut slot.reader {
                    Some(w) => w.clone_from(cx.waker()),
                    None => slot.reader = Some(cx.waker().clone()),
                }
                Poll::Pending
            }
        }
    }

    pub fn user(&self) -> UserId {
        self.user
    }
}

impl Drop for Mailbox {
    fn drop(&mut self) {
        let mut inner = self.boxes.lock();
        if self.slot(&mut inner).is_some() {
            inner.open.remove(&self.user);
        }
    }
}

impl Mailboxes {
    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Claims `user`'s events: those already waiting first, then the stream's as they come.
    pub fn open(self: &Arc<Self>, user: UserId) -> Mailbox {
        let mut inner = self.lock();
        let mut events: VecDeque<Event> = inner
            .unclaimed
            .remove(&user)
            .map(|(_, w)| w.into())
            .unwrap_or_default();
        inner.unclaimed_events -= events.len();
        // A new mailbox holds MAILBOX events; past that the newest are lost, as they are to a
        // full mailbox.
        events.truncate(MAILBOX);
        inner.opened += 1;
        let id = inner.opened;
        let replaced = inner.open.insert(
            user,
            Slot {
                mailbox: id,
                events,
                reader: None,
            },
        );
        drop(inner);
        // A mailbox the user had reads as closed.
        if let Some(reader) = replaced.and_then(|s| s.reader) {
            reader.wake();
        }
        Mailbox {
            boxes: self.clone(),
            user,
            id,
        }
    }

    /// Hands `event`, for `user`, to its customer, or keeps it for one to claim; `now` ages the
    /// unclaimed events.
    pub fn deliver(&self, user: UserId, event: Event, now: Instant) -> Delivered {
        let mut inner = self.lock();
        if let Some(slot) = inner.open.get_mut(&user) {
            if slot.events.len() >= MAILBOX {
                return Delivered::Full;
            }
            slot.events.push_back(event);
            let reader = slot.reader.take();
            drop(inner);
            if let Some(reader) = reader {
                reader.wake();
            }
            return Delivered::Mailbox;
        }
        let inner = &mut *inner;
        let (_, waiting) = inner.unclaimed.entry(user).or_insert_with(|| {
            inner.arrived.push_back((now, user));
            (now, Vec::new())
        });
        waiting.push(event);
        inner.unclaimed_events += 1;
        while let Some(&(at, oldest)) = inner.arrived.front() {
            let expired = now.saturating_duration_since(at) >= UNCLAIMED_FOR;
            if !expired && inner.unclaimed_events <= UNCLAIMED_MAX {
                break;
            }
            inner.arrived.pop_front();
            // The user may have been claimed since, and be waiting again from a later time.
            if inner
                .unclaimed
                .get(&oldest)
                .is_some_and(|(first, _)| *first == at)
            {
                if let Some((_, gone)) = inner.unclaimed.remove(&oldest) {
                    inner.unclaimed_events -= gone.len();
                }
            }
        }
        Delivered::Unclaimed
    }

    /// Events waiting for a customer to claim them.
    #[cfg(test)]
    fn unclaimed(&self) -> usize {
        self.lock().unclaimed_events
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use omnisim_protocol::{ChannelId, Handler, OrgId, SessionId, SessionStatus};

    /// A distinct event of `user`: its session id tells the events apart.
    fn event(user: u64, n: u64) -> Event {
        Event::SessionChanged {
            org: OrgId(1),
            channel: ChannelId(2),
            user: UserId(user),
            session: SessionId(n),
            status: SessionStatus::Active,
            handler: Handler::Agent,
            agent: None,
            ended_by: None,
        }
    }

    fn session(e: &Event) -> u64 {
        match e {
            Event::SessionChanged { session, .. } => session.0,
            _ => unreachable!(),
        }
    }

    /// What the mailbox holds now, in order, without waiting.
    fn taken(mailbox: &mut Mailbox) -> Vec<u64> {
        let mut cx = Context::from_waker(Waker::noop());
        std::iter::from_fn(|| match mailbox.poll_recv(&mut cx) {
            Poll::Ready(e) => e,
            Poll::Pending => None,
        })
        .map(|e| session(&e))
        .collect()
    }

    #[test]
    fn a_users_early_events_come_first_and_in_order_once_claimed() {
        let boxes = Arc::new(Mailboxes::default());
        let t = Instant::now();
        assert_eq!(
            boxes.deliver(UserId(7), event(7, 1), t),
            Delivered::Unclaimed
        );
        boxes.deliver(UserId(8), event(8, 100), t);
        boxes.deliver(UserId(7), event(7, 2), t);
        let mut mailbox = boxes.open(UserId(7));
        assert_eq!(boxes.deliver(UserId(7), event(7, 3), t), Delivered::Mailbox);
        assert_eq!(taken(&mut mailbox), [1, 2, 3]);
        // Another user's events stay theirs.
        assert_eq!(boxes.unclaimed(), 1);
        assert_eq!(taken(&mut boxes.open(UserId(8))), [100]);
        assert_eq!(boxes.unclaimed(), 0);
    }

    #[test]
    fn unclaimed_events_wait_their_time_and_no_longer() {
        let boxes = Arc::new(Mailboxes::default());
        let t = Instant::now();
        boxes.deliver(UserId(1), event(1, 1), t);
        // Another user's event ages the waiting ones: just under the time, they stay.
        boxes.deliver(
            UserId(2),
            event(2, 2),
            t + UNCLAIMED_FOR - Duration::from_millis(1),
        );
        assert_eq!(boxes.unclaimed(), 2);
        boxes.deliver(UserId(3), event(3, 3), t + UNCLAIMED_FOR);
        assert_eq!(boxes.unclaimed(), 2);
        assert!(taken(&mut boxes.open(UserId(1))).is_empty());
        assert_eq!(taken(&mut boxes.open(UserId(2))), [2]);
    }

    #[test]
    fn past_the_bound_the_oldest_unclaimed_users_go_first() {
        let boxes = Arc::new(Mailboxes::default());
        let t = Instant::now();
        for user in 0..UNCLAIMED_MAX as u64 + 2 {
            boxes.deliver(UserId(user), event(user, user), t);
        }
        assert_eq!(boxes.unclaimed(), UNCLAIMED_MAX);
        assert!(taken(&mut boxes.open(UserId(1))).is_empty());
        assert_eq!(taken(&mut boxes.open(UserId(2))), [2]);
    }

    #[test]
    fn a_user_waiting_again_keeps_its_later_events_until_their_own_time() {
        let boxes = Arc::new(Mailboxes::default());
        let t = Instant::now();
        boxes.deliver(UserId(1), event(1, 1), t);
        // Claimed, then given up: its later events wait from their own arrival.
        drop(boxes.open(UserId(1)));
        let later = t + Duration::from_secs(20);
        assert_eq!(
            boxes.deliver(UserId(1), event(1, 2), later),
            Delivered::Unclaimed
        );
        boxes.deliver(UserId(9), event(9, 9), t + UNCLAIMED_FOR);
        assert_eq!(taken(&mut boxes.open(UserId(1))), [2]);
    }

    /// Counts the times it was woken.
    struct Wakes(std::sync::atomic::AtomicUsize);

    impl std::task::Wake for Wakes {
        fn wake(self: Arc<Self>) {
            self.0.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        }
    }

    #[test]
    fn a_customer_waiting_on_an_empty_mailbox_is_woken_by_its_next_event() {
        let boxes = Arc::new(Mailboxes::default());
        let mut mailbox = boxes.open(UserId(1));
        let wakes = Arc::new(Wakes(Default::default()));
        let waker = Waker::from(wakes.clone());
        let mut cx = Context::from_waker(&waker);
        assert_eq!(mailbox.poll_recv(&mut cx), Poll::Pending);
        // Another user's event wakes no one.
        boxes.deliver(UserId(2), event(2, 2), Instant::now());
        assert_eq!(wakes.0.load(std::sync::atomic::Ordering::SeqCst), 0);
        boxes.deliver(UserId(1), event(1, 1), Instant::now());
        assert_eq!(wakes.0.load(std::sync::atomic::Ordering::SeqCst), 1);
        assert_eq!(taken(&mut mailbox), [1]);
    }

    #[test]
    fn a_user_claimed_again_closes_its_old_mailbox_and_keeps_the_new_one() {
        let boxes = Arc::new(Mailboxes::default());
        let old = boxes.open(UserId(1));
        let mut new = boxes.open(UserId(1));
        let mut cx = Context::from_waker(Waker::noop());
        assert_eq!(old.poll_recv(&mut cx), Poll::Ready(None));
        // The old one going leaves the new one's events with it.
        drop(old);
        let t = Instant::now();
        assert_eq!(boxes.deliver(UserId(1), event(1, 5), t), Delivered::Mailbox);
        assert_eq!(taken(&mut new), [5]);
    }

    #[test]
    fn a_customer_that_stops_reading_loses_what_overflows_its_mailbox() {
        let boxes = Arc::new(Mailboxes::default());
        let t = Instant::now();
        let mut mailbox = boxes.open(UserId(1));
        for n in 0..MAILBOX as u64 {
            assert_eq!(boxes.deliver(UserId(1), event(1, n), t), Delivered::Mailbox);
        }
        assert_eq!(boxes.deliver(UserId(1), event(1, 999), t), Delivered::Full);
        assert_eq!(taken(&mut mailbox).len(), MAILBOX);
        assert_eq!(boxes.unclaimed(), 0);
    }
}
