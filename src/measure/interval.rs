//! The latencies of the interval still open, kept as HdrHistogram bucket counts per metric until
//! it closes, then written as the V2 payload HdrHistogram itself would write for them.
//!
//! A histogram of three significant digits that has seen a value of a minute holds 16,000
//! counters; clearing it and reading it end to end every second, for every metric, took 14 %
//! of a virtual run's instructions. An interval holds some thousands of values: sorted at its close,
//! they give the same encoding at the cost of the values, not of the histogram's range.

/// HdrHistogram's bucket layout for three significant digits and values from 1: buckets of
/// 1,024 counters, each covering twice the values of the one before, the first 2,048 values
/// counted one by one. The tests hold these against the hdrhistogram crate.
mod layout {
    /// log2 of half a bucket's counters.
    const HALF_BUCKET_MAGNITUDE: u32 = 10;
    const HALF_BUCKET: u64 = 1 << HALF_BUCKET_MAGNITUDE;
    /// The largest value counted one by one.
    const FIRST_BUCKET_MASK: u64 = 2 * HALF_BUCKET - 1;
    /// 64 less the bits of a value in the first bucket.
    const LEADING_ZERO_BASE: u32 = 64 - HALF_BUCKET_MAGNITUDE - 1;

    fn bucket(value: u64) -> u32 {
        LEADING_ZERO_BASE - (value | FIRST_BUCKET_MASK).leading_zeros()
    }

    /// The counter `value` is counted in.
    pub fn index(value: u64) -> u32 {
        let bucket = bucket(value);
        let sub_bucket = (value >> bucket) as u32;
        ((bucket + 1) << HALF_BUCKET_MAGNITUDE) + sub_bucket - HALF_BUCKET as u32
    }

    /// The lowest value counted at `index`.
    pub fn lowest(index: u32) -> u64 {
        let bucket = (index >> HALF_BUCKET_MAGNITUDE) as i64 - 1;
        let sub_bucket = u64::from(index) % HALF_BUCKET + HALF_BUCKET;
        if bucket < 0 {
            sub_bucket - HALF_BUCKET
        } else {
            sub_bucket << bucket
        }
    }

    /// The highest value counted at `index`: what HdrHistogram reports for a value there.
    pub fn highest(index: u32) -> u64 {
        let value = lowest(index);
        value + (1 << bucket(value)) - 1
    }

    /// The highest trackable value of a fresh auto-resizing histogram once it recorded `max`:
    /// 2 (its initial bound) while everything fits the first bucket, then the top of the
    /// last bucket it grew to.
    pub fn highest_trackable(max: u64) -> u64 {
        if max <= FIRST_BUCKET_MASK {
            2
        } else {
            ((2 * HALF_BUCKET) << bucket(max)) - 1
        }
    }
}

/// One metric's count at one counter, packed so that a sort orders by metric, then counter.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct Count {
    key: u64,
    count: u64,
}

fn key(metric: u32, index: u32) -> u64 {
    u64::from(metric) << 32 | u64::from(index)
}

/// The counts of the interval still open, by metric.
#[derive(Default)]
pub struct Interval {
    /// Metrics by id, in the order first seen.
    metrics: Vec<&'static str>,
    counts: Vec<Count>,
    /// How many of `counts` are sorted and merged, with no two for the same counter.
    merged: usize,
    /// Latencies of zero counted by metric id and not yet in `counts`: see
    /// [`Interval::record_zero`].
    zeros: Vec<u64>,
}

/// Counts held before the new ones are merged in: a bound on an interval's memory that a long
/// interval at a high rate reaches, far above the few thousand values of a usual one.
const MERGE_AT: usize = 1 << 16;

/// One metric's closed interval: its V2 payload and its largest value.
pub struct Closed {
    pub metric: &'static str,
    pub max_micros: u64,
    pub payload: Vec<u8>,
}

impl Interval {
    fn metric_id(&mut self, metric: &'static str) -> u32 {
        let found = super::recorder::position_of(self.metrics.iter().copied(), metric);
        let id = found.unwrap_or_else(|| {
            self.metrics.push(metric);
            self.zeros.push(0);
            self.metrics.len() - 1
        });
        id as u32
    }

    /// Counts `micros` (at least 1) under `metric`.
    pub fn record(&mut self, metric: &'static str, micros: u64) {
        let key = key(self.metric_id(metric), layout::index(micros));
        self.counts.push(Count { key, count: 1 });
        if self.counts.len() >= self.merged + MERGE_AT {
            self.merge();
        }
    }

    /// Counts a latency of zero (recorded as 1 µs, the lowest value) under `metric`. Virtual
    /// time delivers every message the instant it is sent, a dozen times a conversation: each
    /// costs an addition here, and the counts of one metric join the others as one when they
    /// are next merged.
    pub fn record_zero(&mut self, metric: &'static str) {
        let id = self.metric_id(metric) as usize;
        self.zeros[id] += 1;
    }

    /// Sorts the counts and adds up those of one counter.
    fn merge(&mut self) {
        for (id, zeros) in self.zeros.iter_mut().enumerate() {
            if *zeros > 0 {
                let key = key(id as u32, layout::index(1));
                self.counts.push(Count { key, count: *zeros });
                *zeros = 0;
            }
        }
        self.counts.sort_unstable();
        self.counts.dedup_by(|later, kept| {
            let same = later.key == kept.key;
            if same {
                kept.count += later.count;
            }
            same
        });
        self.merged = self.counts.len();
    }

    /// Where the counts of metric `id` lie, once merged.
    fn span(&self, id: usize) -> std::ops::Range<usize> {
        let (start, end) = (key(id as u32, 0), key(id as u32 + 1, 0));
        self.counts.partition_point(|c| c.key < start)..self.counts.partition_point(|c| c.key < end)
    }

    /// The merged counts of `metric`, lowest counter first.
    fn of(&mut self, metric: &str) -> &[Count] {
        self.merge();
        match self.metrics.iter().position(|m| *m == metric) {
            Some(id) => &self.counts[self.span(id)],
            None => &[],
        }
    }

    /// The value at `quantile` (above zero) of `metric` in the interval so far, as
    /// HdrHistogram's `value_at_quantile` gives it, if the metric has any.
    pub fn value_at_quantile(&mut self, metric: &str, quantile: f64) -> Option<u64> {
        let counts = self.of(metric);
        let total: u64 = counts.iter().map(|c| c.count).sum();
        if total == 0 {
            return None;
        }
        let wanted = ((quantile.min(1.0) * total as f64).ceil() as u64).max(1);
        let mut seen = 0;
        let at = counts.iter().find(|c| {
            seen += c.count;
            seen >= wanted
        })?;
        Some(layout::highest(at.key as u32))
    }

    /// Closes the interval: each metric that counted anything, in the order of their names,
    /// encoded; the counts start again from nothing, keeping their allocation.
    pub fn close(&mut self) -> Vec<Closed> {
        self.merge();
        let mut closed = Vec::new();
        for (id, metric) in self.metrics.iter().enumerate() {
            let counts = &self.counts[self.span(id)];
            let Some(last) = counts.last() else {
                continue;
            };
            closed.push(Closed {
                metric,
                max_micros: layout::highest(last.key as u32),
                payload: v2_payload(counts),
            });
        }
        closed.sort_by_key(|c| c.metric);
        self.counts.clear();
        self.merged = 0;
        closed
    }
}

/// The cookie of an uncompressed V2 histogram (HdrHistogram's encoding spec).
const V2_COOKIE: u32 = 0x1c84_9313;

/// The V2 encoding of a fresh auto-resizing histogram of three significant digits holding
/// `counts` (one metric's, merged, lowest counter first, at least one): its header, then every
/// counter up to the last one used as a zig-zag LEB128 number, runs of empty counters as their
/// negated length (a single empty counter as a zero).
fn v2_payload(counts: &[Count]) -> Vec<u8> {
    let max = counts.last().map_or(1, |c| layout::lowest(c.key as u32));
    let mut out = Vec::with_capacity(40 + 2 * 9 * counts.len());
    out.extend_from_slice(&V2_COOKIE.to_be_bytes());
    out.extend_from_slice(&0u32.to_be_bytes()); // payload length, set below
    out.extend_from_slice(&0u32.to_be_bytes()); // normalizing index offset
    out.extend_from_slice(&3u32.to_be_bytes()); // significant digits
    out.extend_from_slice(&1u64.to_be_bytes()); // lowest discernible value
    out.extend_from_slice(&layout::highest_trackable(max).to_be_bytes());
    out.extend_from_slice(&1f64.to_be_bytes()); // integer to double conversion ratio
    let header = out.len();
    let mut next = 0u32;
    for c in counts {
        let index = c.key as u32;
        match index - next {
            0 => {}
            1 => out.push(0),
            zeros => leb128(zig_zag(-i64::from(zeros)), &mut out),
        }
        leb128(zig_zag(c.count.min(i64::MAX as u64) as i64), &mut out);
        next = index + 1;
    }
    let length = (out.len() - header) as u32;
    out[4..8].copy_from_slice(&length.to_be_bytes());
    out
}

fn zig_zag(n: i64) -> u64 {
    ((n << 1) ^ (n >> 63)) as u64
}

/// HdrHistogram's LEB128 variant: seven bits a byte, low first, and a ninth byte holding the
/// last eight bits whole.
fn leb128(mut n: u64, out: &mut Vec<u8>) {
    for _ in 0..8 {
        if n < 0x80 {
            out.push(n as u8);
            return;
        }
        out.push(0x80 | (n & 0x7f) as u8);
        n >>= 7;
    }
    out.push(n as u8);
}

#[cfg(test)]
mod tests {
    use super::*;
    use hdrhistogram::Histogram;
    use hdrhistogram::serialization::{Serializer, V2Serializer};
    use rand::{Rng, SeedableRng};

    fn fresh() -> Histogram<u64> {
        let mut h = Histogram::new(3).unwrap();
        h.auto(true);
        h
    }

    #[test]
    fn the_layout_is_hdrhistograms() {
        let h = fresh();
        let mut rng = rand::rngs::SmallRng::seed_from_u64(3);
        let edges = (0..40).flat_map(|b| {
            let v = 1u64 << b;
            [v - 1, v, v + 1]
        });
        let random = (0..10_000).map(|_| rng.random_range(1..86_400_000_000u64));
        for v in edges.chain(random).filter(|&v| v >= 1) {
            let i = layout::index(v);
            assert_eq!(layout::lowest(i), h.lowest_equivalent(v), "lowest of {v}");
            assert_eq!(
                layout::highest(i),
                h.highest_equivalent(v),
                "highest of {v}"
            );
            assert_eq!(layout::index(layout::lowest(i)), i, "{v}");
        }
    }

    /// The payload is byte for byte what hdrhistogram writes for a fresh histogram of the same
    /// values, whatever their range and repeats; the same for what a query of the interval
    /// finds.
    #[test]
    fn a_closed_interval_is_what_hdrhistogram_writes_for_its_values() {
        let mut rng = rand::rngs::SmallRng::seed_from_u64(11);
        let sets: Vec<Vec<u64>> = vec![
            vec![1],
            vec![7, 7, 7],
            vec![2047, 2048, 2049],
            vec![1, 3, 5, 1_000_000, 86_400_000_000],
            (0..5_000)
                .map(|_| rng.random_range(1..60_000_000))
                .collect(),
            (0..200_000).map(|_| rng.random_range(1..3_000)).collect(),
        ];
        for values in sets {
            let mut h = fresh();
            let mut interval = Interval::default();
            for &v in &values {
                h.record(v).unwrap();
                interval.record("routing", v);
                interval.record("handle", v / 2 + 1);
            }
            for q in [0.001, 0.5, 0.9, 0.99, 0.999, 1.0] {
                assert_eq!(
                    interval.value_at_quantile("routing", q),
                    Some(h.value_at_quantile(q)),
                    "q {q} of {} values",
                    values.len()
                );
            }
            assert_eq!(interval.value_at_quantile("resolution", 0.99), None);
            let closed = interval.close();
            let names: Vec<_> = closed.iter().map(|c| c.metric).collect();
            assert_eq!(names, ["handle", "routing"], "by name");
            let routing = &closed[1];
            let mut expected = Vec::new();
            V2Serializer::new().serialize(&h, &mut expected).unwrap();
            assert_eq!(routing.payload, expected, "{} values", values.len());
            assert_eq!(routing.max_micros, h.max());
            assert!(
                interval.close().is_empty(),
                "a closed interval starts empty"
            );
        }
    }

    #[test]
    fn lengths_past_seven_bits_take_more_bytes_and_the_ninth_takes_eight_bits() {
        let encode = |n: u64| {
            let mut out = Vec::new();
            leb128(n, &mut out);
            out
        };
        assert_eq!(encode(0x7f), [0x7f]);
        assert_eq!(encode(0x80), [0x80, 0x01]);
        assert_eq!(encode(u64::MAX), [0xff; 9]);
        assert_eq!((zig_zag(-1), zig_zag(1), zig_zag(-3)), (1, 2, 5));
    }
}
