//! Timers a driver keeps for its parties: items handed back in order of their time, and of when
//! they were set among equal times. The live driver keeps an agent's timers in one heap waited on
//! by one sleep, so that a timer costs an entry in a heap that keeps its allocation, not a task
//! of its own; the virtual one orders every wake-up of a run this way (`virtual_time::wakes`).

use std::cmp::Ordering;
use std::collections::BinaryHeap;

/// An item due at `at`, the `order`-th set. In a heap it comes out earliest first, ties in the
/// order they were set; the order number is unique, so the item itself is never compared and a
/// comparison is two integers.
pub struct Scheduled<At, T> {
    pub at: At,
    pub order: u64,
    pub item: T,
}

impl<At: Ord + Copy, T> Scheduled<At, T> {
    /// What orders it: its time, then when it was set.
    pub fn key(&self) -> (At, u64) {
        (self.at, self.order)
    }
}

impl<At: Ord + Copy, T> PartialEq for Scheduled<At, T> {
    fn eq(&self, other: &Self) -> bool {
        self.key() == other.key()
    }
}

impl<At: Ord + Copy, T> Eq for Scheduled<At, T> {}

impl<At: Ord + Copy, T> PartialOrd for Scheduled<At, T> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl<At: Ord + Copy, T> Ord for Scheduled<At, T> {
    /// Reversed: the heap is a max-heap and the earliest must be on top.
    fn cmp(&self, other: &Self) -> Ordering {
        other.key().cmp(&self.key())
    }
}

/// Timers that fire in order of their time, and of when they were set among equal times.
pub struct Timers<At, T> {
    heap: BinaryHeap<Scheduled<At, T>>,
    set: u64,
}

impl<At, T> Default for Timers<At, T> {
    fn default() -> Self {
        Timers {
            heap: BinaryHeap::new(),
            set: 0,
        }
    }
}

impl<At: Ord + Copy, T> Timers<At, T> {
    /// Sets a timer that hands back `item` at `at`.
    pub fn at(&mut self, at: At, item: T) {
        self.set += 1;
        self.heap.push(Scheduled {
            at,
            order: self.set,
            item,
        });
    }

    /// When the earliest timer is due.
    pub fn next(&self) -> Option<At> {
        self.heap.peek().map(|e| e.at)
    }

    /// The earliest timer's item, if it is due by `now`.
    pub fn pop_due(&mut self, now: At) -> Option<T> {
        if self.next()? > now {
            return None;
        }
        self.heap.pop().map(|e| e.item)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, Instant};

    #[test]
    fn timers_fire_by_time_then_by_when_they_were_set_and_not_before_their_time() {
        let t0 = Instant::now();
        let ms = |n| t0 + Duration::from_millis(n);
        let mut timers = Timers::default();
        timers.at(ms(20), "late");
        timers.at(ms(10), "first at 10");
        timers.at(ms(10), "second at 10");
        assert_eq!(timers.next(), Some(ms(10)));
        assert_eq!(timers.pop_due(ms(9)), None, "1 ms early");
        assert_eq!(timers.pop_due(ms(10)), Some("first at 10"));
        assert_eq!(timers.pop_due(ms(10)), Some("second at 10"));
        assert_eq!(timers.pop_due(ms(19)), None);
        assert_eq!(timers.pop_due(ms(25)), Some("late"));
        assert_eq!((timers.pop_due(ms(99)), timers.next()), (None, None));
    }
}
