//! A channel's stream positions: every message on the channel in delivery order, so that a
//! provider stream resumes after the last `channel_seq` it saw (R-SESS-9). Entries of forgotten
//! sessions leave the log (R-SESS-10), so that it holds what is still retained, not every message
//! the channel ever carried, even while a long-lived session keeps entries far behind the rest.

use crate::fast_map::FastSet;
use omnisim_protocol::{Seq, SessionId};
use std::collections::VecDeque;

/// One message's position on the channel.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Entry {
    pub position: u64,
    pub session: SessionId,
    pub seq: Seq,
}

/// The positions of one channel's retained messages, in order.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ChannelLog {
    /// The last position handed out.
    last: u64,
    entries: VecDeque<Entry>,
    /// Entries of forgotten sessions still in `entries`: swept out once they are half of it, so
    /// that sweeping costs O(1) per entry.
    stale: usize,
    /// The forgotten sessions those entries belong to (and some whose entries already left),
    /// emptied whenever no stale entry is left. Small, where the org's set of every session it
    /// forgot is not, and asked about every entry a sweep or the front passes.
    gone: FastSet<SessionId>,
}

impl ChannelLog {
    /// Appends message `seq` of `session`; its `channel_seq`.
    pub fn push(&mut self, session: SessionId, seq: Seq) -> u64 {
        self.last += 1;
        self.entries.push_back(Entry {
            position: self.last,
            session,
            seq,
        });
        self.last
    }

    /// The entries after position `after`, oldest first.
    pub fn after(&self, after: u64) -> impl Iterator<Item = &Entry> {
        let start = self.entries.partition_point(|e| e.position <= after);
        self.entries.range(start..)
    }

    /// `session`, with `messages` entries here, was forgotten: its entries go, at once when they
    /// are at the front, else with the next sweep.
    pub fn forgot(&mut self, session: SessionId, messages: usize) {
        self.stale += messages;
        self.gone.insert(session);
        while let Some(front) = self.entries.front() {
            if !self.gone.contains(&front.session) {
                break;
            }
            self.entries.pop_front();
            self.stale = self.stale.saturating_sub(1);
        }
        if self.stale > 0 && self.stale * 2 >= self.entries.len() {
            let gone = &self.gone;
            self.entries.retain(|e| !gone.contains(&e.session));
            self.stale = 0;
        }
        if self.stale == 0 {
            self.gone.clear();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forgotten_entries_go_and_positions_keep_their_numbers() {
        let mut log = ChannelLog::default();
        let (a, b) = (SessionId(1), SessionId(2));
        assert_eq!(log.push(a, Seq(1)), 1);
        assert_eq!(log.push(b, Seq(1)), 2);
        assert_eq!(log.push(a, Seq(2)), 3);
        log.forgot(a, 2);
        assert_eq!(log.push(b, Seq(2)), 4, "positions keep counting");
        let after = |n| {
            log.after(n)
                .map(|e| (e.position, e.seq))
                .collect::<Vec<_>>()
        };
        assert_eq!(after(0), [(2, Seq(1)), (4, Seq(2))]);
        assert_eq!(after(2), [(4, Seq(2))]);
        assert_eq!(after(3), [(4, Seq(2))], "a forgotten position is skipped");
        assert_eq!(after(4), []);
        log.forgot(b, 2);
        assert_eq!(log.after(0).count(), 0);
        assert!(log.gone.is_empty(), "nothing stale, nothing held");
    }

    /// One session stays open from the first message on while ten thousand others come and are
    /// forgotten: the log holds that session's entries and a bounded number of others.
    #[test]
    fn a_long_lived_session_does_not_keep_the_forgotten_ones_behind_it() {
        let mut log = ChannelLog::default();
        let long = SessionId(0);
        for i in 1..=10_000u64 {
            log.push(long, Seq(i as u32));
            log.push(SessionId(i), Seq(1));
            log.push(SessionId(i), Seq(2));
            log.forgot(SessionId(i), 2);
            let held = log.entries.len();
            assert!(held <= 2 * i as usize + 2, "{held} entries at {i}");
            assert!(2 * log.gone.len() <= log.stale, "swept sessions are let go");
        }
        assert!(log.after(0).filter(|e| e.session != long).count() <= 10_000);
        assert_eq!(log.after(0).filter(|e| e.session == long).count(), 10_000);
        let last_of_long = log.after(29_997).find(|e| e.session == long);
        assert_eq!(last_of_long.map(|e| e.position), Some(29_998));
    }
}
