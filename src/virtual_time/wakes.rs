//! The queue of wake-ups: what parties scheduled for later, popped earliest first, ties in the
//! order they were scheduled.
//!
//! Patience deadlines are kept in a heap of their own. Almost every customer is answered long
//! before its patience runs out, so most of them are stale by the time they come up; in one heap
//! they outnumbered the live wake-ups three to one and made every pop deeper and colder. Both
//! heaps share one order counter, so the merged order is exactly that of a single queue.

use super::{Micros, Wake};
use crate::actors::timers::Scheduled;
use std::collections::BinaryHeap;

/// Every wake-up not yet due.
#[derive(Default)]
pub(super) struct Wakes {
    soon: BinaryHeap<Scheduled<Micros, Wake>>,
    patience: BinaryHeap<Scheduled<Micros, Wake>>,
    scheduled: u64,
}

impl Wakes {
    pub(super) fn push(&mut self, at: Micros, wake: Wake) {
        self.scheduled += 1;
        let s = Scheduled {
            at,
            order: self.scheduled,
            item: wake,
        };
        match wake {
            Wake::Patience { .. } => self.patience.push(s),
            _ => self.soon.push(s),
        }
    }

    /// The heap whose top comes first, if any.
    fn first(&mut self) -> Option<&mut BinaryHeap<Scheduled<Micros, Wake>>> {
        match (self.soon.peek(), self.patience.peek()) {
            (Some(s), Some(p)) if p > s => Some(&mut self.patience),
            (Some(_), _) => Some(&mut self.soon),
            (None, Some(_)) => Some(&mut self.patience),
            (None, None) => None,
        }
    }

    /// When the next wake-up is due.
    pub(super) fn next_at(&mut self) -> Option<Micros> {
        self.first()?.peek().map(|s| s.at)
    }

    /// Takes the next wake-up.
    pub(super) fn pop(&mut self) -> Option<Wake> {
        self.first()?.pop().map(|s| s.item)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn think(customer: usize) -> Wake {
        Wake::Think {
            customer,
            epoch: 0,
            generation: 0,
        }
    }

    fn patience(customer: usize) -> Wake {
        Wake::Patience {
            customer,
            epoch: 0,
            generation: 0,
        }
    }

    #[test]
    fn wakes_come_earliest_first_and_ties_in_scheduling_order_across_both_heaps() {
        let mut w = Wakes::default();
        w.push(30, think(1));
        w.push(10, patience(2));
        w.push(10, think(3));
        w.push(20, patience(4));
        w.push(10, patience(5));
        let mut order = Vec::new();
        while let Some(at) = w.next_at() {
            let customer = match w.pop() {
                Some(Wake::Think { customer, .. } | Wake::Patience { customer, .. }) => customer,
                other => panic!("unexpected {other:?}"),
            };
            order.push((at, customer));
        }
        assert_eq!(order, [(10, 2), (10, 3), (10, 5), (20, 4), (30, 1)]);
    }

    #[test]
    fn many_wakes_with_many_ties_come_out_sorted_by_time_then_scheduling_order() {
        use rand::{Rng, SeedableRng};
        let mut rng = rand::rngs::SmallRng::seed_from_u64(7);
        let mut w = Wakes::default();
        let mut expected = Vec::new();
        for customer in 0..20_000 {
            let at = rng.random_range(0..500);
            let wake = if rng.random_bool(0.5) {
                think(customer)
            } else {
                patience(customer)
            };
            w.push(at, wake);
            expected.push((at, customer));
        }
        // Stable: ties keep the order they were pushed in.
        expected.sort_by_key(|&(at, _)| at);
        let mut popped = Vec::new();
        while let Some(at) = w.next_at() {
            match w.pop() {
                Some(Wake::Think { customer, .. } | Wake::Patience { customer, .. }) => {
                    popped.push((at, customer))
                }
                other => panic!("unexpected {other:?}"),
            }
        }
        assert_eq!(popped, expected);
    }
}
