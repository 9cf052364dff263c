//! The queue of wake-ups: what parties scheduled for later, taken earliest first, ties in the
//! order they were scheduled.
//!
//! Nearly every wake-up is due within seconds (a think, an accept, a reply), so they are kept
//! in a timing wheel: a slot per 16 ms of the next half minute, each a short list sorted only
//! when the run reaches it. A wake-up costs an append and its share of sorting a slot of a few
//! dozen, where a binary heap of thousands cost a walk down a dozen levels out of cache for
//! every one. Wake-ups further off (patience, most of which go stale first; returns after
//! hours) wait in a heap and move to the wheel as it comes within reach of them.

use super::{Micros, Wake};
use crate::actors::timers::Scheduled;
use std::collections::BinaryHeap;

/// log2 of a slot's microseconds: 16.4 ms.
const SLOT_BITS: u32 = 14;
/// Slots in the wheel: it reaches 33.5 s ahead of the slot being taken from.
const SLOTS: u64 = 1 << 11;

type Entry = Scheduled<Micros, Wake>;

fn slot_of(at: Micros) -> u64 {
    at >> SLOT_BITS
}

/// Every wake-up not yet taken.
pub(super) struct Wakes {
    /// Slot `s` at `wheel[s % SLOTS]`, for `s` from `cursor` to `cursor + SLOTS - 1`.
    wheel: Vec<Vec<Entry>>,
    /// The slot of the last wake-up taken: nothing is scheduled before it.
    cursor: u64,
    /// The slot whose list is sorted (latest first, so the next is at its end), if any.
    sorted: Option<u64>,
    in_wheel: usize,
    /// Wake-ups past the wheel's reach.
    far: BinaryHeap<Entry>,
    scheduled: u64,
}

impl Default for Wakes {
    fn default() -> Self {
        Wakes {
            wheel: (0..SLOTS).map(|_| Vec::new()).collect(),
            cursor: 0,
            sorted: None,
            in_wheel: 0,
            far: BinaryHeap::new(),
            scheduled: 0,
        }
    }
}

impl Wakes {
    pub(super) fn push(&mut self, at: Micros, wake: Wake) {
        self.scheduled += 1;
        let entry = Scheduled {
            at,
            order: self.scheduled,
            item: wake,
        };
        if slot_of(at) < self.cursor + SLOTS {
            self.put_in_wheel(entry);
        } else {
            self.far.push(entry);
        }
    }

    fn put_in_wheel(&mut self, entry: Entry) {
        let slot = slot_of(entry.at);
        debug_assert!((self.cursor..self.cursor + SLOTS).contains(&slot));
        let list = &mut self.wheel[(slot % SLOTS) as usize];
        if self.sorted == Some(slot) {
            // `Scheduled` orders latest first, as a max-heap wants the earliest on top.
            let at = list.partition_point(|e| *e < entry);
            list.insert(at, entry);
        } else {
            list.push(entry);
        }
        self.in_wheel += 1;
    }

    /// Moves the heap's wake-ups that came within the wheel's reach to the wheel.
    fn migrate(&mut self) {
        while self
            .far
            .peek()
            .is_some_and(|e| slot_of(e.at) < self.cursor + SLOTS)
        {
            if let Some(entry) = self.far.pop() {
                self.put_in_wheel(entry);
            }
        }
    }

    /// The wheel's first slot holding anything, its list sorted. With the wheel empty, the
    /// heap holds what comes next.
    fn first_slot(&mut self) -> Option<&mut Vec<Entry>> {
        if self.in_wheel == 0 {
            return None;
        }
        let slot = (self.cursor..self.cursor + SLOTS)
            .find(|s| !self.wheel[(s % SLOTS) as usize].is_empty())?;
        let list = &mut self.wheel[(slot % SLOTS) as usize];
        if self.sorted != Some(slot) {
            list.sort_unstable();
            self.sorted = Some(slot);
        }
        Some(list)
    }

    /// When the next wake-up is due.
    pub(super) fn next_at(&mut self) -> Option<Micros> {
        self.migrate();
        match self.first_slot() {
            Some(list) => list.last().map(|e| e.at),
            None => self.far.peek().map(|e| e.at),
        }
    }

    /// Takes the next wake-up.
    pub(super) fn pop(&mut self) -> Option<Wake> {
        self.migrate();
        let entry = match self.first_slot() {
            Some(list) => {
                let entry = list.pop()?;
                self.in_wheel -= 1;
                entry
            }
            None => self.far.pop()?,
        };
        // Only here does the wheel move on: the run is at this wake-up's time, and nothing is
        // scheduled before the time it is scheduled at.
        self.cursor = slot_of(entry.at);
        Some(entry.item)
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

    /// As a run uses it: wake-ups from now to hours ahead, taken in turns with other events that
    /// move the clock without taking any (the engine's timers), each taken at its time. Against
    /// an ordered set, across slot edges, the wheel's reach and jumps over empty stretches.
    #[test]
    fn wakes_come_in_order_across_the_wheel_its_reach_and_the_heap() {
        use rand::{Rng, SeedableRng};
        use std::collections::BTreeSet;
        let mut rng = rand::rngs::SmallRng::seed_from_u64(5);
        let mut w = Wakes::default();
        let mut model = BTreeSet::new();
        let (mut now, mut order) = (0u64, 0u64);
        let delay = |rng: &mut rand::rngs::SmallRng| match rng.random_range(0..10) {
            0 => 0,
            1..=6 => rng.random_range(0..5_000_000),
            7 => rng.random_range(30_000_000..40_000_000),
            8 => rng.random_range(0..600_000_000),
            _ => rng.random_range(0..20_000) << SLOT_BITS,
        };
        for step in 0..200_000 {
            match rng.random_range(0..10) {
                0..=4 => {
                    let at = now + delay(&mut rng);
                    order += 1;
                    w.push(at, think(order as usize));
                    model.insert((at, order));
                }
                5 => {
                    // Another event comes first: the clock moves, no wake-up is taken.
                    let next = w.next_at().unwrap_or(now + 1_000_000);
                    now = rng.random_range(now..=next);
                }
                _ => {
                    let expected = model.pop_first();
                    assert_eq!(w.next_at(), expected.map(|(at, _)| at), "step {step}");
                    let got = match w.pop() {
                        Some(Wake::Think { customer, .. }) => Some(customer as u64),
                        None => None,
                        other => panic!("unexpected {other:?}"),
                    };
                    assert_eq!(got, expected.map(|(_, o)| o), "step {step}");
                    if let Some((at, _)) = expected {
                        now = at;
                    }
                }
            }
        }
        assert!(model.len() > 1000, "the run ends with wake-ups far ahead");
    }
}
