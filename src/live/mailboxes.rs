//! Customers of a channel that delivers to them over its provider stream (`delivery =
//! "channel_stream"`): one socket for the whole channel, as a messaging provider holds, whose
//! events each customer gets in its own mailbox, found by user id.
//!
//! A customer learns its user id only from the server's reply to its first message, and the
//! stream may carry that session's first events before the reply arrives: events for a user no
//! customer has claimed wait, for a bounded time and number, until one does.

use omnisim_protocol::{Event, UserId};
use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::mpsc;

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

#[derive(Default)]
struct Inner {
    open: HashMap<UserId, mpsc::Sender<Event>>,
    /// Each unclaimed user's events, with when the first of them came.
    unclaimed: HashMap<UserId, (Instant, Vec<Event>)>,
    /// The same users and times, oldest first.
    arrived: VecDeque<(Instant, UserId)>,
    unclaimed_events: usize,
}

/// One customer's mailbox: its events in the stream's order. Dropping it closes it, and the
/// user's later events wait unclaimed again.
pub struct Mailbox {
    boxes: Arc<Mailboxes>,
    user: UserId,
    rx: mpsc::Receiver<Event>,
}

impl Mailbox {
    /// The next event; `None` when the channel's stream is gone for good.
    pub async fn recv(&mut self) -> Option<Event> {
        self.rx.recv().await
    }

    pub fn user(&self) -> UserId {
        self.user
    }
}

impl Drop for Mailbox {
    fn drop(&mut self) {
        self.boxes.lock().open.remove(&self.user);
    }
}

impl Mailboxes {
    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Claims `user`'s events: those already waiting first, then the stream's as they come.
    pub fn open(self: &Arc<Self>, user: UserId) -> Mailbox {
        let (tx, rx) = mpsc::channel(MAILBOX);
        let mut inner = self.lock();
        let waiting = inner
            .unclaimed
            .remove(&user)
            .map(|(_, w)| w)
            .unwrap_or_default();
        inner.unclaimed_events -= waiting.len();
        for event in waiting {
            // A new mailbox holds MAILBOX events; past that the newest are lost, as they are
            // to a full mailbox.
            let _ = tx.try_send(event);
        }
        inner.open.insert(user, tx);
        Mailbox {
            boxes: self.clone(),
            user,
            rx,
        }
    }

    /// Hands `event`, for `user`, to its customer, or keeps it for one to claim; `now` ages the
    /// unclaimed events.
    pub fn deliver(&self, user: UserId, event: Event, now: Instant) -> Delivered {
        let mut inner = self.lock();
        let event = match inner.open.get(&user) {
            None => event,
            Some(tx) => match tx.try_send(event) {
                Ok(()) => return Delivered::Mailbox,
                Err(mpsc::error::TrySendError::Full(_)) => return Delivered::Full,
                // Its customer gone, the mailbox not yet closed: the event waits as unclaimed.
                Err(mpsc::error::TrySendError::Closed(event)) => event,
            },
        };
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
        std::iter::from_fn(|| mailbox.rx.try_recv().ok())
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
