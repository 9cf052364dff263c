//! Fan-out of engine events to the sockets allowed to see them (R-SEC-3). Each event is serialized
//! once and the same bytes go to every subscriber. Every subscriber has a bounded queue: one that
//! falls behind is dropped with a close code saying so, never buffered without bound.

use crate::fast_map::FastMap;
use omnisim_protocol::Audience;
use omnisim_protocol::socket::CLOSE_SLOW_CONSUMER;
use std::sync::Arc;
use std::sync::atomic::{AtomicU16, Ordering};
use tokio::sync::mpsc;

/// One serialized frame, shared by every subscriber it goes to: the socket library takes it as it
/// is, so a frame is written, never copied, once per socket.
pub type Frame = axum::extract::ws::Utf8Bytes;

/// Why the hub let go of a subscriber; 0 while it has not.
pub type CloseCode = Arc<AtomicU16>;

struct Subscriber {
    id: u64,
    tx: mpsc::Sender<Frame>,
    close: CloseCode,
}

/// What a socket task holds: its queue, and the code to close with if the hub drops it.
pub struct Subscription {
    pub id: u64,
    pub audience: Audience,
    pub rx: mpsc::Receiver<Frame>,
    pub close: CloseCode,
}

/// Subscribers by audience.
#[derive(Default)]
pub struct Hub {
    subscribers: FastMap<Audience, Vec<Subscriber>>,
    next_id: u64,
}

impl Hub {
    /// A new subscriber to `audience` with a queue of `capacity` frames.
    pub fn subscribe(&mut self, audience: Audience, capacity: usize) -> Subscription {
        self.next_id += 1;
        let (tx, rx) = mpsc::channel(capacity.max(1));
        let close = CloseCode::default();
        self.subscribers
            .entry(audience)
            .or_default()
            .push(Subscriber {
                id: self.next_id,
                tx,
                close: close.clone(),
            });
        Subscription {
            id: self.next_id,
            audience,
            rx,
            close,
        }
    }

    /// Drops every subscriber of `audience`, telling each to close with `code`.
    pub fn evict(&mut self, audience: Audience, code: u16) {
        for s in self.subscribers.remove(&audience).unwrap_or_default() {
            s.close.store(code, Ordering::Release);
        }
    }

    /// Removes a subscriber whose socket ended.
    pub fn unsubscribe(&mut self, audience: Audience, id: u64) {
        if let Some(list) = self.subscribers.get_mut(&audience) {
            list.retain(|s| s.id != id);
            if list.is_empty() {
                self.subscribers.remove(&audience);
            }
        }
    }

    /// Queues `frame` for every subscriber of `audience`; a full queue drops its subscriber with
    /// [`CLOSE_SLOW_CONSUMER`].
    pub fn send(&mut self, audience: Audience, frame: &Frame) {
        let Some(list) = self.subscribers.get_mut(&audience) else {
            return;
        };
        list.retain(|s| match s.tx.try_send(frame.clone()) {
            Ok(()) => true,
            Err(mpsc::error::TrySendError::Full(_)) => {
                s.close.store(CLOSE_SLOW_CONSUMER, Ordering::Release);
                false
            }
            Err(mpsc::error::TrySendError::Closed(_)) => false,
        });
        if list.is_empty() {
            self.subscribers.remove(&audience);
        }
    }

    /// Number of subscriptions the hub still holds.
    #[cfg(test)]
    fn subscriptions(&self) -> usize {
        self.subscribers.values().map(Vec::len).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use omnisim_protocol::ChannelId;

    #[test]
    fn a_full_queue_drops_its_subscriber_with_the_slow_consumer_code() {
        let mut hub = Hub::default();
        let audience = Audience::Channel(ChannelId(1));
        let mut slow = hub.subscribe(audience, 2);
        let mut fast = hub.subscribe(audience, 8);
        for i in 0..3 {
            let frame: Frame = format!("{i}").into();
            hub.send(audience, &frame);
            let _ = fast.rx.try_recv();
        }
        assert_eq!(slow.close.load(Ordering::Acquire), CLOSE_SLOW_CONSUMER);
        assert_eq!(fast.close.load(Ordering::Acquire), 0);
        assert_eq!(hub.subscriptions(), 1);
        assert_eq!(slow.rx.try_recv().ok().as_deref(), Some("0"));
    }
}
