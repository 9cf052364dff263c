//! What a run records while it runs: latency histograms (microseconds, 3 significant digits),
//! counters and time series.

use super::summary::LatencyStats;
use hdrhistogram::Histogram;
use omnisim_reference_server::engine::Load;
use std::collections::BTreeMap;
use std::time::Duration;

/// Longest latency recorded (longer values are clamped to it): one day.
const MAX_MICROS: u64 = 86_400_000_000;

/// An auto-resizing histogram of microseconds, 3 significant digits: it only grows as far as the
/// values recorded need, so idle metrics and short intervals stay small.
fn histogram() -> Histogram<u64> {
    let mut h = Histogram::new(3).expect("3 significant digits is valid");
    h.auto(true);
    h
}

/// Records `d` in `h` and returns the microseconds recorded.
fn record(h: &mut Histogram<u64>, d: Duration) -> u64 {
    let micros = (d.as_micros() as u64).clamp(1, MAX_MICROS);
    // An auto-resizing histogram takes any value up to MAX_MICROS.
    let _ = h.record(micros);
    micros
}

/// One closed interval of one metric, compressed (HdrHistogram V2 deflate) as soon as it closed.
pub struct IntervalRecord {
    pub metric: &'static str,
    pub start: Duration,
    pub length: Duration,
    /// The interval's largest value, for the log line.
    pub max_micros: u64,
    pub encoded: Vec<u8>,
}

/// Counts of what happened in a run.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Counts {
    pub arrivals_scheduled: u64,
    pub arrivals_started: u64,
    /// Arrivals not started because the generator fell more than `max_schedule_lag` behind,
    /// or held as many customers as it can at once.
    pub arrivals_dropped: u64,
    /// Of those, the ones dropped because the generator held as many customers as it can.
    pub dropped_at_limit: u64,
    pub sessions_started: u64,
    pub sessions_ended: u64,
    /// Customer ended before an agent accepted.
    pub abandoned: u64,
    pub bot_contained: u64,
    pub transferred: u64,
    /// Conversations the agent ended itself, or marked inactive (R-SESS-7).
    pub ended_by_agent: u64,
    pub marked_inactive: u64,
    /// Customer messages that crossed the agent's end and opened a new session, which the
    /// customer then ended.
    pub crossed: u64,
    /// Sessions that waited for an agent (queue entry or bot handoff).
    pub handed_off: u64,
    pub accepted: u64,
    pub accepted_within_service_level: u64,
    pub offers: u64,
    pub declines: u64,
    pub push_timeouts: u64,
    pub messages_sent: u64,
    /// Deliveries the provider-retry fault sent twice.
    pub provider_retries: u64,
    /// Customer streams dropped and resumed.
    pub customer_reconnects: u64,
    /// Customers who wrote in again after their session ended.
    pub comebacks: u64,
    /// Agent sockets dropped and resumed.
    pub agent_reconnects: u64,
    /// Outbound templates accepted, refused (consent) and skipped (recipient busy).
    pub outbound_sent: u64,
    pub outbound_refused: u64,
    pub outbound_skipped: u64,
    pub opt_outs: u64,
}

/// One sample of the platform's state, taken about once a second.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Sample {
    pub t_s: f64,
    pub queue_depth: u64,
    /// Used over online capacity.
    pub occupancy: f64,
    pub arrivals: u64,
    pub abandoned: u64,
    /// p99 of routing latency in this second, when any was measured.
    pub routing_p99_ms: Option<f64>,
    /// p99 of the generator's schedule lag in this second, when any arrival was due.
    pub schedule_lag_p99_ms: Option<f64>,
    /// Arrivals dropped so far: the generator fell too far behind.
    pub dropped: u64,
    /// Faults injected so far (provider retries and customer and agent reconnects).
    pub faults: u64,
}

/// Where `metric` is among `names`. A run records a handful of metrics, each up to millions of
/// times: a scan that first compares the names' addresses (a metric is always named by the same
/// literal) costs less than a tree of string comparisons.
pub(super) fn position_of<'a>(
    mut names: impl Iterator<Item = &'a str> + Clone,
    metric: &'static str,
) -> Option<usize> {
    names
        .clone()
        .position(|m| std::ptr::eq(m, metric))
        .or_else(|| names.position(|m| m == metric))
}

/// Values by metric name, sorted by name, found by [`position_of`].
struct ByMetric<V> {
    entries: Vec<(&'static str, V)>,
}

impl<V> Default for ByMetric<V> {
    fn default() -> Self {
        ByMetric {
            entries: Vec::new(),
        }
    }
}

impl<V> ByMetric<V> {
    fn entry(&mut self, metric: &'static str, make: impl FnOnce() -> V) -> &mut V {
        let found = position_of(self.entries.iter().map(|(m, _)| *m), metric);
        let i = found.unwrap_or_else(|| {
            let at = self.entries.partition_point(|(m, _)| *m < metric);
            self.entries.insert(at, (metric, make()));
            at
        });
        &mut self.entries[i].1
    }

    fn get(&self, metric: &str) -> Option<&V> {
        self.entries
            .iter()
            .find(|(m, _)| *m == metric)
            .map(|(_, v)| v)
    }
}

/// One metric's latencies at one channel and queue (either may be absent). Each latency is
/// recorded once, in its cell; the whole-run, per-channel and per-queue views are merged from the
/// cells when read, which a run does at its end and its progress line once a second, where
/// recording every view as it came took three histograms a latency.
struct Cell {
    labels: Labels,
    histogram: Histogram<u64>,
    /// Latencies of zero not in `histogram`: see [`Recorder::zero`].
    zeros: u64,
}

impl Cell {
    /// Its queue's label, or its channel's.
    fn label(&self, by_queue: bool) -> Option<Label> {
        if by_queue {
            self.labels.queue
        } else {
            self.labels.channel
        }
    }
}

/// The cell of `labels` among `cells`, made the first time they are seen.
fn cell(cells: &mut Vec<Cell>, labels: Labels) -> &mut Cell {
    let i = cells
        .iter()
        .position(|c| c.labels == labels)
        .unwrap_or_else(|| {
            cells.push(Cell {
                labels,
                histogram: histogram(),
                zeros: 0,
            });
            cells.len() - 1
        });
    &mut cells[i]
}

/// The histograms of `cells` added together, with the latencies of zero they counted.
fn merged<'a>(cells: impl IntoIterator<Item = &'a Cell>) -> Histogram<u64> {
    let mut sum = histogram();
    for c in cells {
        // Adding to an auto-resizing histogram of the same precision always succeeds, and so
        // does recording its lowest value (never a count of none: it would still set the
        // minimum).
        let _ = sum.add(&c.histogram);
        if c.zeros > 0 {
            let _ = sum.record_n(1, c.zeros);
        }
    }
    sum
}

/// Histograms, counters and series of one run.
#[derive(Default)]
pub struct Recorder {
    /// Corrected latencies, by metric, then by channel and queue.
    corrected: ByMetric<Vec<Cell>>,
    uncorrected: ByMetric<Histogram<u64>>,
    pub counts: Counts,
    pub errors: BTreeMap<String, u64>,
    /// Frames and replies that are not the protocol.
    pub protocol: super::protocol::ProtocolViolations,
    /// Requests the target never answered.
    pub transport: super::target::TransportErrors,
    /// When the target stopped answering altogether, if it did.
    pub target_lost: Option<super::target::TargetLost>,
    /// When the run's user stopped it, if they did.
    pub interrupted: Option<super::target::Interrupted>,
    pub samples: Vec<Sample>,
    /// What routing flows did with the sessions.
    pub flows: super::flows::FlowOutcomes,
    /// Outcomes per arrival interval (none unless the driver sets the intervals).
    pub periods: super::periods::Periods,
    /// The most customers a live run holds at once (its open-file limit), when known.
    pub customers_at_once: Option<u64>,
    /// The HTTP version of a live run's requests.
    pub http: Option<super::summary::HttpVersion>,
    /// How busy the generator kept its cores while the arrivals came, when measured.
    pub generator_load: Option<super::behind::CpuLoad>,
    /// How busy the target kept its cores meanwhile, when its `/metrics` showed it.
    pub target_load: Option<super::behind::CpuLoad>,
    /// The current interval's corrected latencies, per metric.
    interval: super::interval::Interval,
    interval_start: Duration,
    /// Closed intervals, compressed.
    pub intervals: Vec<IntervalRecord>,
    /// The names of the labels given out, by number.
    names: Vec<Box<str>>,
}

/// A channel's or a queue's name, as the number the recorder gave it ([`Recorder::label`]).
/// Finding a latency's cell compares these numbers, where comparing the names themselves cost
/// about a hundred instructions a latency (docs/architecture.md).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Label(u32);

/// Where a latency was observed, for the per-channel and per-queue breakdowns.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Labels {
    pub channel: Option<Label>,
    pub queue: Option<Label>,
}

impl Recorder {
    /// The label of the channel or queue called `name`, given the first time it is asked for.
    /// A run asks for its labels as it sets up, once a name.
    pub fn label(&mut self, name: &str) -> Label {
        let i = self
            .names
            .iter()
            .position(|n| **n == *name)
            .unwrap_or_else(|| {
                self.names.push(name.into());
                self.names.len() - 1
            });
        Label(u32::try_from(i).expect("a run names fewer than 2^32 channels and queues"))
    }

    /// A session's first offer, `flow` naming the flow that routed it if one did: counted per
    /// rule, and for direct routing, reached or fallen back with the wait before the fallback.
    pub fn first_offer(
        &mut self,
        flow: Option<&str>,
        offer: &omnisim_protocol::Offer,
        labels: Labels,
    ) {
        let Some(flow) = flow else { return };
        let requested = offer.work.requested_at;
        if let Some(wait) = self.flows.first_offer(flow, &offer.context, requested) {
            self.latency("direct_fallback_wait", wait, None, labels);
        }
    }

    /// Records `metric` measured from the intended time (`corrected`) and, when given, its
    /// uncorrected view (see [`Recorder::record_uncorrected`]).
    pub fn latency(
        &mut self,
        metric: &'static str,
        corrected: Duration,
        uncorrected: Option<Duration>,
        labels: Labels,
    ) {
        let cells = self.corrected.entry(metric, Vec::new);
        let micros = record(&mut cell(cells, labels).histogram, corrected);
        self.interval.record(metric, micros);
        if let Some(u) = uncorrected {
            record(self.uncorrected.entry(metric, histogram), u);
        }
    }

    /// Records a latency of zero of `metric`, with no uncorrected view: what a delivery takes
    /// in virtual time, where the platform hands every message over the instant it is sent, a
    /// dozen times a conversation. The same as [`Recorder::latency`] with `Duration::ZERO`
    /// (recorded as 1 µs, the histograms' lowest value), but only counted, and added to the
    /// histograms when they are read: 1.4 % fewer instructions a virtual session than recording
    /// each (docs/architecture.md).
    pub fn zero(&mut self, metric: &'static str, labels: Labels) {
        let cells = self.corrected.entry(metric, Vec::new);
        cell(cells, labels).zeros += 1;
        self.interval.record_zero(metric);
    }

    /// A contact asked for an agent at `asked` (time since the origin).
    pub fn asked_for_agent(&mut self, asked: Duration) {
        self.counts.handed_off += 1;
        self.periods.offered(asked);
    }

    /// A contact that asked at `asked` was accepted after `wait`; `threshold` is the scenario's
    /// service-level threshold.
    pub fn answered(&mut self, asked: Duration, wait: Duration, threshold: Duration) {
        let within = wait <= threshold;
        self.counts.accepted_within_service_level += u64::from(within);
        self.periods.answered(asked, wait, within);
    }

    /// A contact that asked at `asked` (when known) gave up waiting.
    pub fn abandoned(&mut self, asked: Option<Duration>) {
        self.counts.abandoned += 1;
        if let Some(asked) = asked {
            self.periods.abandoned(asked);
        }
    }

    /// Records only the uncorrected view of `metric` (its corrected view was recorded already).
    pub fn record_uncorrected(&mut self, metric: &'static str, d: Duration) {
        record(self.uncorrected.entry(metric, histogram), d);
    }

    /// Closes the current interval at `now` (time since the run's origin), each metric's
    /// latencies in it encoded for the interval log.
    pub fn close_interval(&mut self, now: Duration) {
        let length = now.saturating_sub(self.interval_start);
        for closed in self.interval.close() {
            self.intervals.push(IntervalRecord {
                metric: closed.metric,
                start: self.interval_start,
                length,
                max_micros: closed.max_micros,
                encoded: super::hlog::compressed(&closed.payload),
            });
        }
        self.interval_start = now;
    }

    /// Samples the platform's `load` at `now` (time since the origin), and closes the latency
    /// interval there.
    pub fn sample(&mut self, now: Duration, load: Load) -> Sample {
        let mut p99 = |metric| {
            self.interval
                .value_at_quantile(metric, 0.99)
                .map(|micros| micros as f64 / 1000.0)
        };
        let (routing_p99_ms, schedule_lag_p99_ms) = (p99("routing"), p99("schedule_lag"));
        self.close_interval(now);
        let c = &self.counts;
        let sample = Sample {
            t_s: now.as_secs_f64(),
            queue_depth: load.waiting,
            occupancy: if load.online_capacity > 0 {
                load.used_capacity as f64 / load.online_capacity as f64
            } else {
                f64::NAN
            },
            arrivals: c.arrivals_started,
            abandoned: c.abandoned,
            routing_p99_ms,
            schedule_lag_p99_ms,
            dropped: c.arrivals_dropped,
            faults: c.provider_retries + c.customer_reconnects + c.agent_reconnects,
        };
        self.samples.push(sample);
        sample
    }

    /// Points of the latency percentile curve of `metric`: (-log10(1 - quantile), ms), the
    /// usual HdrHistogram plot, up to the 99.99th percentile.
    pub fn percentile_curve(&self, metric: &str) -> Vec<(f64, f64)> {
        self.histogram(metric).as_ref().map_or_else(Vec::new, curve)
    }

    /// The same for the uncorrected view of `metric`, where it has one.
    pub fn uncorrected_curve(&self, metric: &str) -> Vec<(f64, f64)> {
        self.uncorrected.get(metric).map_or_else(Vec::new, curve)
    }

    /// Counts an error by its code.
    pub fn error(&mut self, code: impl Into<String>) {
        *self.errors.entry(code.into()).or_default() += 1;
    }

    /// The corrected statistics of every metric recorded.
    pub fn corrected(&self) -> BTreeMap<String, LatencyStats> {
        stats(self.whole_run())
    }

    /// Each metric's corrected histogram over the whole run, in name order, merged as it is
    /// reached.
    pub fn whole_run(&self) -> impl Iterator<Item = (&'static str, Histogram<u64>)> + '_ {
        self.corrected
            .entries
            .iter()
            .map(|(m, cells)| (*m, merged(cells)))
    }

    /// The uncorrected statistics of every metric that has them.
    pub fn uncorrected(&self) -> BTreeMap<String, LatencyStats> {
        stats(self.uncorrected.entries.iter().map(|(m, h)| (*m, h)))
    }

    /// Corrected statistics per channel or per queue.
    pub fn breakdown(&self, by_queue: bool) -> BTreeMap<String, BTreeMap<String, LatencyStats>> {
        self.by_label(by_queue)
            .into_iter()
            .map(|(label, metrics)| (label.to_owned(), stats(metrics)))
            .collect()
    }

    /// Each channel's (or queue's) corrected histograms, by metric, merged from the cells that
    /// carry that label.
    fn by_label(&self, by_queue: bool) -> BTreeMap<&str, Vec<(&'static str, Histogram<u64>)>> {
        let mut views: BTreeMap<&str, Vec<(&'static str, Histogram<u64>)>> = BTreeMap::new();
        for (metric, cells) in &self.corrected.entries {
            let labels: std::collections::BTreeSet<Label> =
                cells.iter().filter_map(|c| c.label(by_queue)).collect();
            for l in labels {
                let h = merged(cells.iter().filter(|c| c.label(by_queue) == Some(l)));
                views
                    .entry(&self.names[l.0 as usize])
                    .or_default()
                    .push((metric, h));
            }
        }
        views
    }

    /// Every whole-run histogram, encoded for histograms.json (shards merge them exactly).
    pub fn histograms(&self) -> super::histograms::Histograms {
        use super::histograms::{Encoded, encode};
        fn encoded<'a>(
            source: impl IntoIterator<Item = (&'a str, impl std::borrow::Borrow<Histogram<u64>>)>,
        ) -> Encoded {
            source
                .into_iter()
                .map(|(m, h)| (m.to_owned(), encode(h.borrow())))
                .collect()
        }
        let labelled = |by_queue| {
            self.by_label(by_queue)
                .into_iter()
                .map(|(label, metrics)| (label.to_owned(), encoded(metrics)))
                .collect()
        };
        super::histograms::Histograms {
            corrected: encoded(self.whole_run()),
            uncorrected: encoded(self.uncorrected.entries.iter().map(|(m, h)| (*m, h))),
            by_channel: labelled(false),
            by_queue: labelled(true),
        }
    }

    /// The corrected histogram of `metric` over the whole run, if recorded.
    pub fn histogram(&self, metric: &str) -> Option<Histogram<u64>> {
        self.corrected.get(metric).map(merged)
    }
}

/// A histogram's percentile curve for the report: (nines, milliseconds), to p99.99.
pub fn curve(h: &Histogram<u64>) -> Vec<(f64, f64)> {
    h.iter_quantiles(2)
        .map(|v| {
            (
                v.quantile_iterated_to(),
                v.value_iterated_to() as f64 / 1000.0,
            )
        })
        .filter(|(q, _)| *q <= 0.9999)
        .map(|(q, ms)| (-(1.0 - q).log10(), ms))
        .collect()
}

fn stats<'a>(
    source: impl IntoIterator<Item = (&'a str, impl std::borrow::Borrow<Histogram<u64>>)>,
) -> BTreeMap<String, LatencyStats> {
    source
        .into_iter()
        .map(|(m, h)| (m.to_owned(), LatencyStats::of(h.borrow())))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    impl Recorder {
        /// The labels of `channel` and `queue`, by name.
        fn labels(&mut self, channel: Option<&str>, queue: Option<&str>) -> Labels {
            Labels {
                channel: channel.map(|c| self.label(c)),
                queue: queue.map(|q| self.label(q)),
            }
        }
    }

    #[test]
    fn records_corrected_and_uncorrected_side_by_side() {
        let mut r = Recorder::default();
        let labels = r.labels(Some("web"), Some("support"));
        for ms in [10u64, 20, 30, 1000] {
            r.latency(
                "routing",
                Duration::from_millis(ms),
                Some(Duration::from_millis(ms / 10)),
                labels,
            );
        }
        let c = &r.corrected()["routing"];
        assert_eq!(c.count, 4);
        assert!((c.max - 1000.0).abs() < 1.0, "{c:?}");
        assert!((r.uncorrected()["routing"].max - 100.0).abs() < 0.1);
        assert_eq!(r.breakdown(false)["web"]["routing"].count, 4);
        assert_eq!(r.breakdown(true)["support"]["routing"].count, 4);
    }

    /// A latency of zero only counted is read back as one recorded: in every view, in
    /// histograms.json and in the interval log, mixed with other values of its metric and
    /// cell; and a cell that counted none keeps the lowest value it recorded.
    #[test]
    fn a_latency_of_zero_counted_reads_as_one_recorded() {
        let (mut recorded, mut counted) = (Recorder::default(), Recorder::default());
        let [web, sms] = [(Some("web"), Some("billing")), (Some("sms"), None)].map(|(c, q)| {
            let labels = recorded.labels(c, q);
            assert_eq!(counted.labels(c, q), labels);
            labels
        });
        for (i, labels) in [web, sms, web, web, sms].into_iter().enumerate() {
            let ms = Duration::from_millis(10 * i as u64 + 5);
            for r in [&mut recorded, &mut counted] {
                r.latency("delivery_to_agent", ms, None, labels);
                r.latency("handle", ms, None, web);
            }
            recorded.latency("delivery_to_agent", Duration::ZERO, None, labels);
            counted.zero("delivery_to_agent", labels);
            if i == 2 {
                for r in [&mut recorded, &mut counted] {
                    r.close_interval(Duration::from_secs(1));
                }
            }
        }
        for r in [&mut recorded, &mut counted] {
            r.close_interval(Duration::from_secs(2));
        }
        assert_eq!(counted.corrected(), recorded.corrected());
        assert_eq!(counted.breakdown(false), recorded.breakdown(false));
        assert_eq!(counted.breakdown(true), recorded.breakdown(true));
        assert_eq!(counted.histograms(), recorded.histograms());
        assert_eq!(counted.corrected()["delivery_to_agent"].count, 10);
        let log = |r: &Recorder| {
            r.intervals
                .iter()
                .map(|i| (i.metric, i.start, i.max_micros, i.encoded.clone()))
                .collect::<Vec<_>>()
        };
        assert_eq!(log(&counted), log(&recorded));
        assert_eq!(
            counted.intervals.len(),
            4,
            "two metrics in each of two intervals"
        );
        let lowest = |r: &Recorder| r.histogram("handle").map(|h| h.min());
        assert_eq!(lowest(&counted), lowest(&recorded));
        assert!(lowest(&counted) > Some(4000), "{:?}", lowest(&counted));
    }

    /// Each latency is kept once, at its channel and queue: the whole run adds up every
    /// channel and queue, a channel's view holds its own latencies only (whatever their queue),
    /// and histograms.json holds the same views as the summary.
    #[test]
    fn whole_run_and_breakdowns_are_merged_from_each_channel_and_queue() {
        let mut r = Recorder::default();
        let ms = Duration::from_millis;
        for (millis, channel, queue) in [
            (10, Some("web"), Some("billing")),
            (20, Some("web"), Some("support")),
            (30, Some("sms"), Some("billing")),
            (40, Some("sms"), None),
            (50, None, None),
            (60, Some("web"), Some("billing")),
        ] {
            let labels = r.labels(channel, queue);
            r.latency("routing", ms(millis), None, labels);
        }
        let web = r.labels(Some("web"), None);
        r.latency("handle", ms(7), None, web);
        let max = |s: &LatencyStats| s.max.round() as u64;
        let whole = r.corrected();
        assert_eq!((whole["routing"].count, max(&whole["routing"])), (6, 60));
        assert_eq!(whole["handle"].count, 1);
        let channels = r.breakdown(false);
        assert_eq!(
            channels.keys().collect::<Vec<_>>(),
            ["sms", "web"],
            "unlabelled latencies are in no channel"
        );
        let web = &channels["web"]["routing"];
        assert_eq!((web.count, web.mean.round() as u64, max(web)), (3, 30, 60));
        assert_eq!(channels["sms"]["routing"].count, 2);
        assert_eq!(channels["web"]["handle"].count, 1);
        assert!(!channels["sms"].contains_key("handle"));
        let queues = r.breakdown(true);
        assert_eq!(queues.keys().collect::<Vec<_>>(), ["billing", "support"]);
        let billing = &queues["billing"]["routing"];
        assert_eq!((billing.count, max(billing)), (3, 60));
        assert_eq!(queues["support"]["routing"].count, 1);
        assert!(!queues["billing"].contains_key("handle"));
        assert_eq!(r.histogram("routing").map(|h| h.len()), Some(6));
        assert_eq!(r.percentile_curve("nothing"), []);

        let encoded = r.histograms();
        let decoded = |text: &String| super::super::histograms::decode("test", text).unwrap();
        assert_eq!(decoded(&encoded.corrected["routing"]).len(), 6);
        assert_eq!(decoded(&encoded.by_channel["web"]["routing"]).len(), 3);
        assert_eq!(decoded(&encoded.by_queue["billing"]["routing"]).len(), 3);
        assert!(encoded.uncorrected.is_empty());
    }
}
