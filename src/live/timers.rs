//! An actor's timers in one heap, waited on by one sleep: a timer costs an entry in a heap that
//! keeps its allocation, not a task of its own, so a busy actor allocates nothing per timer.

use std::cmp::Ordering;
use std::collections::BinaryHeap;
use std::time::Instant;

/// Timers that fire in order of their time, and of when they were set among equal times.
pub struct Timers<T> {
    heap: BinaryHeap<Entry<T>>,
    set: u64,
}

struct Entry<T> {
    at: Instant,
    set: u64,
    item: T,
}

impl<T> Entry<T> {
    fn key(&self) -> (Instant, u64) {
        (self.at, self.set)
    }
}

impl<T> PartialEq for Entry<T> {
    fn eq(&self, other: &Self) -> bool {
        self.key() == other.key()
    }
}

impl<T> Eq for Entry<T> {}

impl<T> PartialOrd for Entry<T> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl<T> Ord for Entry<T> {
    /// Reversed: the heap is a max-heap and the earliest timer must be on top.
    fn cmp(&self, other: &Self) -> Ordering {
        other.key().cmp(&self.key())
    }
}

impl<T> Default for Timers<T> {
    fn default() -> Self {
        Timers {
            heap: BinaryHeap::new(),
            set: 0,
        }
    }
}

impl<T> Timers<T> {
    /// Sets a timer that hands back `item` at `at`.
    pub fn at(&mut self, at: Instant, item: T) {
        self.set += 1;
        self.heap.push(Entry {
            at,
            set: self.set,
            item,
        });
    }

    /// When the earliest timer is due.
    pub fn next(&self) -> Option<Instant> {
        self.heap.peek().map(|e| e.at)
    }

    /// The earliest timer's item, if it is due by `now`.
    pub fn pop_due(&mut self, now: Instant) -> Option<T> {
        if self.next()? > now {
            return None;
        }
        self.heap.pop().map(|e| e.item)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

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
