//! summary.json: the stable, documented result of a run (docs/scenarios.md#summary).

use super::recorder::{Counts, Recorder};
use super::thresholds::Verdict;
use hdrhistogram::Histogram;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The version of this schema; bumped on any incompatible change.
pub const SCHEMA_VERSION: u32 = 1;

/// Statistics of one latency, in milliseconds.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct LatencyStats {
    pub count: u64,
    pub mean: f64,
    pub p50: f64,
    pub p90: f64,
    pub p99: f64,
    pub p999: f64,
    pub max: f64,
}

impl LatencyStats {
    /// From a histogram of microseconds.
    pub fn of(h: &Histogram<u64>) -> LatencyStats {
        let ms = |micros: u64| micros as f64 / 1000.0;
        LatencyStats {
            count: h.len(),
            mean: h.mean() / 1000.0,
            p50: ms(h.value_at_quantile(0.5)),
            p90: ms(h.value_at_quantile(0.9)),
            p99: ms(h.value_at_quantile(0.99)),
            p999: ms(h.value_at_quantile(0.999)),
            max: ms(h.max()),
        }
    }

    /// A statistic by name, for thresholds.
    pub fn stat(&self, name: &str) -> Option<f64> {
        if self.count == 0 {
            return None;
        }
        Some(match name {
            "count" => self.count as f64,
            "mean" => self.mean,
            "p50" => self.p50,
            "p90" => self.p90,
            "p99" => self.p99,
            "p999" => self.p999,
            "max" => self.max,
            _ => return None,
        })
    }
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Sessions {
    pub started: u64,
    pub ended: u64,
    pub abandoned: u64,
    pub bot_contained: u64,
    pub transferred: u64,
    /// Conversations the agent ended itself, and ones it marked inactive (R-SESS-7).
    #[serde(default)]
    pub ended_by_agent: u64,
    #[serde(default)]
    pub marked_inactive: u64,
    /// Customer messages that crossed the agent's end and opened a new session, which the
    /// customer ended at once (counted in started and ended).
    #[serde(default)]
    pub crossed: u64,
    /// Sessions opened by customers coming back to the same conversation.
    pub comebacks: u64,
    /// Started and not seen to end when the run finished.
    pub still_open: u64,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Arrivals {
    pub scheduled: u64,
    pub started: u64,
    pub dropped: u64,
    /// Of the dropped, those the generator could not hold: it had as many customers at once
    /// as its open-file limit allows (`at_once_limit`).
    #[serde(default)]
    pub dropped_at_limit: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub at_once_limit: Option<u64>,
}

/// Org-triggered outbound traffic.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Outbound {
    pub sent: u64,
    /// Refused for consent: recipients that had opted out.
    pub refused: u64,
    /// Not sent: the recipient had a conversation open.
    pub skipped: u64,
    pub opt_outs: u64,
}

/// Faults the harness injected.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Faults {
    pub provider_retries: u64,
    pub customer_reconnects: u64,
    pub agent_reconnects: u64,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Routing {
    pub handed_off: u64,
    pub offers: u64,
    pub accepted: u64,
    pub declines: u64,
    pub push_timeouts: u64,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ServiceLevel {
    /// Accepted within this many seconds...
    pub threshold_s: f64,
    /// ...over every session that waited for an agent (accepted or abandoned): the definition
    /// "answered within T over all arrivals that reached the queue".
    pub value: Option<f64>,
    pub definition: String,
}

/// One point of the time series.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Point {
    pub t_s: f64,
    pub queue_depth: u64,
    pub occupancy: f64,
    pub arrivals: u64,
    pub abandoned: u64,
    pub routing_p99_ms: Option<f64>,
    /// The generator's schedule lag p99 in this second.
    #[serde(default)]
    pub schedule_lag_p99_ms: Option<f64>,
    /// Arrivals dropped so far.
    #[serde(default)]
    pub dropped: u64,
    /// Faults injected so far.
    #[serde(default)]
    pub faults: u64,
}

/// The HTTP version of a live run's requests (`--http2`); its sockets are HTTP/1.1 upgrades.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum HttpVersion {
    #[serde(rename = "1.1")]
    Http1,
    #[serde(rename = "2")]
    Http2,
}

impl std::fmt::Display for HttpVersion {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            HttpVersion::Http1 => "HTTP/1.1",
            HttpVersion::Http2 => "HTTP/2",
        })
    }
}

/// The whole summary.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    pub schema: u32,
    pub scenario: String,
    pub seed: u64,
    /// The slice of the test this run was, when it was one of several (`--shard I/N`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shard: Option<crate::scenario::shard::Shard>,
    pub target: String,
    /// The HTTP version a live run's requests went over: its figures depend on it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub http: Option<HttpVersion>,
    pub duration_s: f64,
    pub sessions: Sessions,
    pub arrivals: Arrivals,
    pub routing: Routing,
    pub faults: Faults,
    pub outbound: Outbound,
    /// Corrected latencies: measured from the intended (scheduled) time.
    pub latency_ms: BTreeMap<String, LatencyStats>,
    /// Routing and speed to answer measured from the server's acknowledgment of the request: what
    /// a tool that starts its clock once its call returned reports.
    pub latency_uncorrected_ms: BTreeMap<String, LatencyStats>,
    pub latency_by_channel_ms: BTreeMap<String, BTreeMap<String, LatencyStats>>,
    pub latency_by_queue_ms: BTreeMap<String, BTreeMap<String, LatencyStats>>,
    pub abandon_rate: Option<f64>,
    pub bot_containment: Option<f64>,
    pub dropped_arrivals: Option<f64>,
    pub service_level: ServiceLevel,
    pub occupancy: Option<f64>,
    /// What routing flows did, when the scenario has any.
    #[serde(default, skip_serializing_if = "super::flows::FlowOutcomes::is_empty")]
    pub flows: super::flows::FlowOutcomes,
    pub series: Vec<Point>,
    /// Per arrival interval, when the scenario's arrivals come in intervals: what became of the
    /// contacts that asked for an agent in each.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub by_interval: Vec<super::periods::IntervalOutcome>,
    pub errors: BTreeMap<String, u64>,
    /// Frames and replies of the target that are not the protocol: a verdict of their own.
    #[serde(default)]
    pub protocol_violations: super::protocol::ProtocolViolations,
    /// Requests the target never answered; more than the scenario's `max_transport_errors` fail
    /// the run.
    #[serde(default)]
    pub transport_errors: super::target::TransportErrors,
    /// Set when the target stopped answering and the run ended early.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target_lost: Option<super::target::TargetLost>,
    /// Set when the run was ended early by a signal; the results are what was measured.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub interrupted: Option<super::target::Interrupted>,
    /// Platform rules broken in what the harness observed (docs/scenarios.md#checker).
    pub violations: Vec<crate::checker::Violation>,
    pub thresholds: Vec<Verdict>,
    /// How busy the generator kept its cores while the arrivals came (live runs).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub generator_load: Option<super::behind::CpuLoad>,
    /// How busy the target kept its cores meanwhile, as its `/metrics` showed it (live runs
    /// against a target that shows its process's CPU).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target_load: Option<super::behind::CpuLoad>,
    /// Set when the run fell behind its schedule (schedule lag p99 over 5 ms or dropped
    /// arrivals): which side fell behind, and the evidence.
    pub generator_warning: Option<String>,
}

fn ratio(num: u64, den: u64) -> Option<f64> {
    (den > 0).then(|| num as f64 / den as f64)
}

impl Summary {
    /// Builds the summary from a finished run's recorder.
    pub fn build(
        scenario: &str,
        seed: u64,
        target: &str,
        duration_s: f64,
        sl_threshold_s: f64,
        r: &Recorder,
        still_open: u64,
    ) -> Summary {
        let c: &Counts = &r.counts;
        let latency_ms = r.corrected();
        let cpu = super::behind::Cpu {
            generator: r.generator_load.as_ref(),
            target: r.target_load.as_ref(),
        };
        let generator_warning = super::behind::behind(&latency_ms, c, r.customers_at_once, cpu);
        let occupancy: Vec<f64> = r
            .samples
            .iter()
            .filter(|s| s.occupancy.is_finite())
            .map(|s| s.occupancy)
            .collect();
        Summary {
            schema: SCHEMA_VERSION,
            scenario: scenario.to_owned(),
            seed,
            shard: None,
            target: target.to_owned(),
            http: r.http,
            duration_s,
            sessions: Sessions {
                started: c.sessions_started,
                ended: c.sessions_ended,
                abandoned: c.abandoned,
                bot_contained: c.bot_contained,
                transferred: c.transferred,
                ended_by_agent: c.ended_by_agent,
                marked_inactive: c.marked_inactive,
                crossed: c.crossed,
                comebacks: c.comebacks,
                still_open,
            },
            arrivals: Arrivals {
                scheduled: c.arrivals_scheduled,
                started: c.arrivals_started,
                dropped: c.arrivals_dropped,
                dropped_at_limit: c.dropped_at_limit,
                at_once_limit: r.customers_at_once,
            },
            faults: Faults {
                provider_retries: c.provider_retries,
                customer_reconnects: c.customer_reconnects,
                agent_reconnects: c.agent_reconnects,
            },
            outbound: Outbound {
                sent: c.outbound_sent,
                refused: c.outbound_refused,
                skipped: c.outbound_skipped,
                opt_outs: c.opt_outs,
            },
            routing: Routing {
                handed_off: c.handed_off,
                offers: c.offers,
                accepted: c.accepted,
                declines: c.declines,
                push_timeouts: c.push_timeouts,
            },
            latency_uncorrected_ms: r.uncorrected(),
            latency_by_channel_ms: r.breakdown(false),
            latency_by_queue_ms: r.breakdown(true),
            latency_ms,
            abandon_rate: ratio(c.abandoned, c.handed_off),
            bot_containment: ratio(c.bot_contained, c.sessions_started),
            dropped_arrivals: ratio(c.arrivals_dropped, c.arrivals_scheduled),
            service_level: ServiceLevel {
                threshold_s: sl_threshold_s,
                value: ratio(c.accepted_within_service_level, c.accepted + c.abandoned),
                definition: "accepted within threshold / (accepted + abandoned)".into(),
            },
            flows: r.flows.clone(),
            occupancy: (!occupancy.is_empty())
                .then(|| occupancy.iter().sum::<f64>() / occupancy.len() as f64),
            series: r
                .samples
                .iter()
                .map(|s| Point {
                    t_s: s.t_s,
                    queue_depth: s.queue_depth,
                    occupancy: s.occupancy,
                    arrivals: s.arrivals,
                    abandoned: s.abandoned,
                    routing_p99_ms: s.routing_p99_ms,
                    schedule_lag_p99_ms: s.schedule_lag_p99_ms,
                    dropped: s.dropped,
                    faults: s.faults,
                })
                .collect(),
            errors: r.errors.clone(),
            protocol_violations: r.protocol.clone(),
            transport_errors: r.transport.clone(),
            target_lost: r.target_lost.clone(),
            interrupted: r.interrupted.clone(),
            by_interval: r.periods.outcomes(),
            violations: Vec::new(),
            thresholds: Vec::new(),
            generator_load: r.generator_load.clone(),
            target_load: r.target_load.clone(),
            generator_warning,
        }
    }

    /// A ratio metric by name, for thresholds.
    pub fn ratio(&self, name: &str) -> Option<f64> {
        match name {
            "abandon_rate" => self.abandon_rate,
            "bot_containment" => self.bot_containment,
            "dropped_arrivals" => self.dropped_arrivals,
            "service_level" => self.service_level.value,
            "occupancy" => self.occupancy,
            "direct_reached" => self.flows.direct_reached(),
            _ => None,
        }
    }
}
