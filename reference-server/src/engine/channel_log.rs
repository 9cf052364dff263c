//! A channel's stream positions: every message on the channel in delivery order, so that a
//! provider stream resumes after the last `channel_seq` it saw (R-SESS-9). Entries of forgotten
//! sessions are trimmed off the front (R-SESS-10), so that the log holds what is still retained,
//! not every message the channel ever carried.

use omnisim_protocol::{Seq, SessionId};
use std::collections::VecDeque;

/// Positions `base + 1 ..= base + entries.len()` of one channel's stream.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ChannelLog {
    /// How many positions were trimmed off the front.
    base: u64,
    entries: VecDeque<(SessionId, Seq)>,
}

impl ChannelLog {
    /// Appends message `seq` of `session`; its `channel_seq`.
    pub fn push(&mut self, session: SessionId, seq: Seq) -> u64 {
        self.entries.push_back((session, seq));
        self.base + self.entries.len() as u64
    }

    /// The entries after position `after`, oldest first; trimmed positions are skipped, as the
    /// forgotten messages they held are.
    pub fn after(&self, after: u64) -> impl Iterator<Item = &(SessionId, Seq)> {
        let skip = usize::try_from(after.saturating_sub(self.base)).unwrap_or(usize::MAX);
        self.entries.iter().skip(skip)
    }

    /// Drops the entries at the front whose session is `forgotten`. An entry of a session still
    /// retained stops the trim: positions stay in order.
    pub fn trim(&mut self, forgotten: impl Fn(SessionId) -> bool) {
        while let Some((session, _)) = self.entries.front() {
            if !forgotten(*session) {
                break;
            }
            self.entries.pop_front();
            self.base += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trimmed_positions_keep_their_numbers_and_stop_at_a_retained_session() {
        let mut log = ChannelLog::default();
        let (a, b) = (SessionId(1), SessionId(2));
        assert_eq!(log.push(a, Seq(1)), 1);
        assert_eq!(log.push(b, Seq(1)), 2);
        assert_eq!(log.push(a, Seq(2)), 3);
        log.trim(|s| s == a);
        assert_eq!(
            log.after(0).count(),
            2,
            "a's first message goes; b's stops the trim"
        );
        assert_eq!(log.push(b, Seq(2)), 4, "positions keep counting");
        let after = |n| log.after(n).copied().collect::<Vec<_>>();
        assert_eq!(after(0), [(b, Seq(1)), (a, Seq(2)), (b, Seq(2))]);
        assert_eq!(after(2), [(a, Seq(2)), (b, Seq(2))]);
        assert_eq!(after(4), []);
    }
}
