//! The marker a live run's simulated texts carry: when each was meant to be sent and when it
//! was, in microseconds since the run's start. The receiving side reads it back to measure
//! delivery and routing latency with no bookkeeping shared between the two sides.

use omnisim_protocol::MessageText;

/// `pieces` joined, then ` [t=INTENDED;a=ACTUAL]`. Built at its final size, one allocation a
/// text: formatting it (the agent's text formatted first) took two and grew the string several
/// times, 29 of the generator's 322 allocations a session (docs/architecture.md).
pub fn mark(pieces: &[&str], intended: u64, actual: u64) -> MessageText {
    let (mut t, mut a) = (itoa::Buffer::new(), itoa::Buffer::new());
    let tail = [" [t=", t.format(intended), ";a=", a.format(actual), "]"];
    let all = || pieces.iter().chain(&tail);
    let mut text = MessageText::with_capacity(all().map(|p| p.len()).sum());
    for piece in all() {
        text.push_str(piece);
    }
    text
}

/// The (intended, actual) microseconds of the marker `text` ends with, if it ends with one.
pub fn read(text: &str) -> Option<(u64, u64)> {
    let inner = text.rsplit_once("[t=")?.1.strip_suffix(']')?;
    let (t, a) = inner.split_once(";a=")?;
    Some((t.parse().ok()?, a.parse().ok()?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_marked_text_reads_back_its_two_times() {
        let text = mark(&["Agent reply ", "12"], 5, 1_000_007);
        assert_eq!(text, "Agent reply 12 [t=5;a=1000007]");
        assert_eq!(read(&text), Some((5, 1_000_007)));
        let widest = mark(&["[t=1;a=2] quoted"], u64::MAX, 0);
        assert_eq!(read(&widest), Some((u64::MAX, 0)), "the last marker counts");
        assert_eq!(read(&mark(&[], 0, 0)), Some((0, 0)));
        for unmarked in ["hello", "[t=1;a=2] then more", "[t=1;a=x]", "[t=1]"] {
            assert_eq!(read(unmarked), None, "{unmarked}");
        }
    }
}
