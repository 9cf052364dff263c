//! The shards of one test merged into one run (`omnisim merge`): counts summed, histograms added
//! (never percentiles averaged), interval logs merged by time, thresholds evaluated once on the
//! merged figures, the history checker's findings joined. Shards of different scenarios, seeds or
//! shard counts, a shard twice or a shard missing are refused: nothing is merged in part.

use super::behind::CpuLoad;
use super::histograms::{Histograms, add_into};
use super::periods::IntervalOutcome;
use super::summary::{LatencyStats, Point, Summary};
use super::thresholds::Threshold;
use hdrhistogram::Histogram;
use std::collections::BTreeMap;

/// One shard's results, as its run wrote them.
pub struct ShardRun {
    /// Where they came from, for messages.
    pub dir: String,
    pub summary: Summary,
    pub histograms: Histograms,
    /// latency.hlog.
    pub interval_log: String,
}

/// Why shards cannot be merged.
#[derive(Debug, thiserror::Error)]
pub enum MergeError {
    #[error("no shard to merge")]
    Empty,
    #[error("{0}: not a shard (its run had no --shard I/N)")]
    NotAShard(String),
    #[error("{dir}: {what} is {theirs}, but {first} has {ours}")]
    Mismatch {
        dir: String,
        what: &'static str,
        theirs: String,
        ours: String,
        first: String,
    },
    #[error("shard {shard} appears twice: {a} and {b}")]
    Twice { shard: u32, a: String, b: String },
    #[error("shard(s) {missing} of {count} missing: a test is merged whole or not at all")]
    Missing { missing: String, count: u32 },
    #[error("{0}")]
    Histogram(String),
    #[error("{dir}: latency.hlog: {problem}")]
    Log { dir: String, problem: String },
}

/// What the shards agree on, checked: the same test cut the same way, every slice once.
fn check(runs: &[ShardRun]) -> Result<(), MergeError> {
    let first = runs.first().ok_or(MergeError::Empty)?;
    let shard_of = |r: &ShardRun| {
        r.summary
            .shard
            .ok_or_else(|| MergeError::NotAShard(r.dir.clone()))
    };
    let count = shard_of(first)?.count;
    let mut seen: BTreeMap<u32, &str> = BTreeMap::new();
    for r in runs {
        let shard = shard_of(r)?;
        let differs = |what, theirs: String, ours: String| {
            Err(MergeError::Mismatch {
                dir: r.dir.clone(),
                what,
                theirs,
                ours,
                first: first.dir.clone(),
            })
        };
        if r.summary.scenario != first.summary.scenario {
            return differs(
                "the scenario",
                r.summary.scenario.clone(),
                first.summary.scenario.clone(),
            );
        }
        if r.summary.seed != first.summary.seed {
            return differs(
                "the seed",
                r.summary.seed.to_string(),
                first.summary.seed.to_string(),
            );
        }
        if shard.count != count {
            return differs(
                "the shard count",
                shard.count.to_string(),
                count.to_string(),
            );
        }
        if let Some(a) = seen.insert(shard.index, &r.dir) {
            return Err(MergeError::Twice {
                shard: shard.index,
                a: a.to_owned(),
                b: r.dir.clone(),
            });
        }
    }
    let missing: Vec<String> = (0..count)
        .filter(|i| !seen.contains_key(i))
        .map(|i| i.to_string())
        .collect();
    if missing.is_empty() {
        Ok(())
    } else {
        Err(MergeError::Missing {
            missing: missing.join(", "),
            count,
        })
    }
}

fn stats(h: &BTreeMap<String, Histogram<u64>>) -> BTreeMap<String, LatencyStats> {
    h.iter()
        .map(|(m, h)| (m.clone(), LatencyStats::of(h)))
        .collect()
}

fn ratio(num: u64, den: u64) -> Option<f64> {
    (den > 0).then(|| num as f64 / den as f64)
}

/// Adds `from` into `into` key by key.
fn add_counts(into: &mut BTreeMap<String, u64>, from: &BTreeMap<String, u64>) {
    for (k, v) in from {
        *into.entry(k.clone()).or_default() += v;
    }
}

/// The merged run: its summary, interval log and the report's percentile curves.
pub struct Merged {
    pub summary: Summary,
    pub interval_log: String,
    pub percentiles: BTreeMap<String, Vec<(f64, f64)>>,
}

/// Merges the shards of one test into one run.
pub fn merge(runs: &[ShardRun]) -> Result<Merged, MergeError> {
    check(runs)?;
    let first = &runs[0].summary;
    let mut m = Summary {
        schema: first.schema,
        scenario: first.scenario.clone(),
        seed: first.seed,
        shard: None,
        target: first.target.clone(),
        // Shards that went over different versions are one test over neither.
        http: (runs.iter())
            .all(|r| r.summary.http == first.http)
            .then_some(first.http)
            .flatten(),
        service_level: first.service_level.clone(),
        ..Summary::default()
    };
    let (mut corrected, mut uncorrected) = (BTreeMap::new(), BTreeMap::new());
    let mut by_channel: BTreeMap<String, BTreeMap<String, Histogram<u64>>> = BTreeMap::new();
    let mut by_queue: BTreeMap<String, BTreeMap<String, Histogram<u64>>> = BTreeMap::new();
    let (mut within_sl, mut occupancy) = (0.0, Vec::new());
    for r in runs {
        let s = &r.summary;
        let h = &r.histograms;
        add_into(&mut corrected, &h.corrected, &r.dir).map_err(MergeError::Histogram)?;
        add_into(&mut uncorrected, &h.uncorrected, &r.dir).map_err(MergeError::Histogram)?;
        for (label, metrics) in &h.by_channel {
            let into = by_channel.entry(label.clone()).or_default();
            add_into(into, metrics, &r.dir).map_err(MergeError::Histogram)?;
        }
        for (label, metrics) in &h.by_queue {
            let into = by_queue.entry(label.clone()).or_default();
            add_into(into, metrics, &r.dir).map_err(MergeError::Histogram)?;
        }
        m.duration_s = m.duration_s.max(s.duration_s);
        let (ss, ms) = (&s.sessions, &mut m.sessions);
        ms.started += ss.started;
        ms.ended += ss.ended;
        ms.abandoned += ss.abandoned;
        ms.bot_contained += ss.bot_contained;
        ms.transferred += ss.transferred;
        ms.ended_by_agent += ss.ended_by_agent;
        ms.marked_inactive += ss.marked_inactive;
        ms.crossed += ss.crossed;
        ms.comebacks += ss.comebacks;
        ms.still_open += ss.still_open;
        m.arrivals.scheduled += s.arrivals.scheduled;
        m.arrivals.started += s.arrivals.started;
        m.arrivals.dropped += s.arrivals.dropped;
        m.arrivals.dropped_at_limit += s.arrivals.dropped_at_limit;
        // Each shard has its own limit: together they hold the sum.
        m.arrivals.at_once_limit = match (m.arrivals.at_once_limit, s.arrivals.at_once_limit) {
            (Some(a), Some(b)) => Some(a + b),
            (a, b) => a.or(b),
        };
        let (sr, mr) = (&s.routing, &mut m.routing);
        mr.handed_off += sr.handed_off;
        mr.offers += sr.offers;
        mr.accepted += sr.accepted;
        mr.declines += sr.declines;
        mr.push_timeouts += sr.push_timeouts;
        m.faults.provider_retries += s.faults.provider_retries;
        m.faults.customer_reconnects += s.faults.customer_reconnects;
        m.faults.agent_reconnects += s.faults.agent_reconnects;
        m.outbound.sent += s.outbound.sent;
        m.outbound.refused += s.outbound.refused;
        m.outbound.skipped += s.outbound.skipped;
        m.outbound.opt_outs += s.outbound.opt_outs;
        // A shard's service level is its accepted-within count over its accepted + abandoned.
        let contacts = (sr.accepted + ss.abandoned) as f64;
        within_sl += (s.service_level.value.unwrap_or(0.0) * contacts).round();
        occupancy.extend(s.occupancy);
        add_counts(&mut m.flows.rules, &s.flows.rules);
        add_counts(&mut m.flows.errors, &s.flows.errors);
        m.flows.direct.routed += s.flows.direct.routed;
        m.flows.direct.reached += s.flows.direct.reached;
        add_counts(&mut m.flows.direct.fell_back, &s.flows.direct.fell_back);
        add_counts(&mut m.errors, &s.errors);
        merge_series(&mut m.series, &s.series);
        merge_intervals(&mut m.by_interval, &s.by_interval);
        let p = &mut m.protocol_violations;
        p.count += s.protocol_violations.count;
        p.samples
            .extend(s.protocol_violations.samples.iter().cloned());
        p.samples.truncate(super::protocol::SAMPLES);
        let t = &mut m.transport_errors;
        t.count += s.transport_errors.count;
        t.samples.extend(s.transport_errors.samples.iter().cloned());
        t.samples.truncate(super::target::SAMPLES);
        m.target_lost = m.target_lost.take().or_else(|| s.target_lost.clone());
        m.interrupted = m.interrupted.take().or_else(|| s.interrupted.clone());
        m.violations.extend(s.violations.iter().cloned());
        // The busiest shard's view of each side: the one nearest to falling behind for want of
        // CPU.
        busiest(&mut m.generator_load, &s.generator_load);
        busiest(&mut m.target_load, &s.target_load);
        if let Some(w) = &s.generator_warning {
            let shard = s.shard.map(|s| s.to_string()).unwrap_or_default();
            let joined = m
                .generator_warning
                .take()
                .map(|w| w + "; ")
                .unwrap_or_default();
            m.generator_warning = Some(format!("{joined}shard {shard}: {w}"));
        }
    }
    m.latency_ms = stats(&corrected);
    m.latency_uncorrected_ms = stats(&uncorrected);
    m.latency_by_channel_ms = by_channel
        .iter()
        .map(|(l, h)| (l.clone(), stats(h)))
        .collect();
    m.latency_by_queue_ms = by_queue
        .iter()
        .map(|(l, h)| (l.clone(), stats(h)))
        .collect();
    m.abandon_rate = ratio(m.sessions.abandoned, m.routing.handed_off);
    m.bot_containment = ratio(m.sessions.bot_contained, m.sessions.started);
    m.dropped_arrivals = ratio(m.arrivals.dropped, m.arrivals.scheduled);
    m.service_level.value = ratio(within_sl as u64, m.routing.accepted + m.sessions.abandoned);
    // Every shard samples the same org's agents: their means are of one quantity.
    m.occupancy =
        (!occupancy.is_empty()).then(|| occupancy.iter().sum::<f64>() / occupancy.len() as f64);
    m.thresholds = first
        .thresholds
        .iter()
        .filter_map(|v| Threshold::parse(&v.metric, &v.condition).ok())
        .map(|t| t.evaluate(&m))
        .collect();
    let curve = |set: &BTreeMap<String, Histogram<u64>>, metric: &str| {
        set.get(metric).map(super::recorder::curve)
    };
    let percentiles = ["routing", "speed_to_answer", "first_response", "resolution"]
        .iter()
        .flat_map(|m| {
            [
                curve(&corrected, m).map(|c| ((*m).to_owned(), c)),
                curve(&uncorrected, m).map(|c| (format!("{m} (uncorrected)"), c)),
            ]
        })
        .flatten()
        .collect();
    Ok(Merged {
        summary: m,
        interval_log: merge_logs(runs)?,
        percentiles,
    })
}

/// Per-second points added by second: arrivals and abandons summed; queue depth and occupancy,
/// which every shard samples from the same org, the highest; routing p99 the highest shard's
/// (a bound, not the merged p99, which latency.hlog holds exactly), and so is schedule lag's;
/// drops and faults summed.
fn merge_series(into: &mut Vec<Point>, from: &[Point]) {
    for (i, p) in from.iter().enumerate() {
        match into.get_mut(i) {
            None => into.push(p.clone()),
            Some(q) => {
                q.arrivals += p.arrivals;
                q.abandoned += p.abandoned;
                q.queue_depth = q.queue_depth.max(p.queue_depth);
                q.occupancy = q.occupancy.max(p.occupancy);
                q.dropped += p.dropped;
                q.faults += p.faults;
                let highest = |a: Option<f64>, b: Option<f64>| match (a, b) {
                    (Some(a), Some(b)) => Some(a.max(b)),
                    (a, b) => a.or(b),
                };
                q.routing_p99_ms = highest(q.routing_p99_ms, p.routing_p99_ms);
                q.schedule_lag_p99_ms = highest(q.schedule_lag_p99_ms, p.schedule_lag_p99_ms);
            }
        }
    }
}

/// Interval outcomes added interval by interval, their ratios worked out again from the sums.
fn merge_intervals(into: &mut Vec<IntervalOutcome>, from: &[IntervalOutcome]) {
    for (i, o) in from.iter().enumerate() {
        let Some(q) = into.get_mut(i) else {
            into.push(o.clone());
            continue;
        };
        let closed = |x: &IntervalOutcome| (x.answered + x.abandoned) as f64;
        let within =
            q.service_level.unwrap_or(0.0) * closed(q) + o.service_level.unwrap_or(0.0) * closed(o);
        let waited =
            q.asa_s.unwrap_or(0.0) * q.answered as f64 + o.asa_s.unwrap_or(0.0) * o.answered as f64;
        q.offered += o.offered;
        q.answered += o.answered;
        q.abandoned += o.abandoned;
        let closed = closed(q);
        q.service_level = (closed > 0.0).then(|| within / closed);
        q.abandon_rate = (closed > 0.0).then(|| q.abandoned as f64 / closed);
        q.asa_s = (q.answered > 0).then(|| waited / q.answered as f64);
    }
}

/// The seconds since the epoch a `#[StartTime: …]` line gives.
fn start_time(log: &str) -> Option<f64> {
    let line = log.lines().find(|l| l.starts_with("#[StartTime: "))?;
    line["#[StartTime: ".len()..]
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

/// The shards' interval logs as one, by time: every interval moved onto the earliest shard's
/// start time and the lines sorted by when they began.
fn merge_logs(runs: &[ShardRun]) -> Result<String, MergeError> {
    let mut lines: Vec<(f64, String)> = Vec::new();
    let mut base = f64::INFINITY;
    let mut parsed = Vec::new();
    for r in runs {
        if r.interval_log.trim().is_empty() {
            continue;
        }
        let start = start_time(&r.interval_log).ok_or_else(|| MergeError::Log {
            dir: r.dir.clone(),
            problem: "no #[StartTime] line".into(),
        })?;
        base = base.min(start);
        parsed.push((r, start));
    }
    for (r, start) in parsed {
        for line in r
            .interval_log
            .lines()
            .filter(|l| !l.starts_with('#') && !l.is_empty())
        {
            let bad = || MergeError::Log {
                dir: r.dir.clone(),
                problem: format!("not an interval line: {line}"),
            };
            let (tag, rest) = line.split_once(',').ok_or_else(bad)?;
            let (offset, rest) = rest.split_once(',').ok_or_else(bad)?;
            let offset: f64 = offset.parse().map_err(|_| bad())?;
            let at = start + offset;
            lines.push((at, format!("{tag},{:.3},{rest}", at - base)));
        }
    }
    lines.sort_by(|a, b| a.0.total_cmp(&b.0));
    let mut out = String::from(
        "#omnisim latency intervals, shards merged: microseconds from intended times, one Tag per metric\n",
    );
    if base.is_finite() {
        out.push_str(&format!(
            "#[StartTime: {base:.3} (seconds since epoch)]\n#[BaseTime: {base:.3} (seconds since epoch)]\n#[MaxValueDivisor: 1000.000]\n"
        ));
    }
    for (_, line) in lines {
        out.push_str(&line);
        out.push('\n');
    }
    Ok(out)
}

/// Keeps in `into` the busier of it and `load`.
fn busiest(into: &mut Option<CpuLoad>, load: &Option<CpuLoad>) {
    if let Some(load) = load {
        if into.as_ref().is_none_or(|l| l.busy < load.busy) {
            *into = Some(load.clone());
        }
    }
}
