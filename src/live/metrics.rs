//! `omnisim run --metrics-addr ADDR`: the running harness's own figures in Prometheus' text
//! format at `/metrics`, so that a Prometheus scraping every shard of a test sees the whole test
//! as it runs: arrivals, sessions open, drops, errors, checker and protocol violations, and every
//! latency (schedule lag included) as a Prometheus histogram.

use super::context::Shared;
use crate::measure::Recorder;
use std::fmt::Write as _;

/// Histogram bucket bounds, seconds: from a millisecond to two minutes.
const BUCKETS_S: [f64; 16] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0,
];

/// Labels every series carries: which test and which shard.
pub struct Identity {
    pub scenario: String,
    pub shard: String,
}

fn escape(v: &str) -> String {
    v.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

fn latencies(out: &mut String, r: &Recorder, labels: &str) {
    let _ = writeln!(
        out,
        "# HELP omnisim_latency_seconds Latencies from intended times (schedule_lag, routing, speed_to_answer, ...).\n# TYPE omnisim_latency_seconds histogram"
    );
    for (metric, h) in r.whole_run() {
        let metric = escape(metric);
        for bound in BUCKETS_S {
            let micros = (bound * 1e6) as u64;
            let _ = writeln!(
                out,
                "omnisim_latency_seconds_bucket{{{labels},metric=\"{metric}\",le=\"{bound}\"}} {}",
                h.count_between(0, micros)
            );
        }
        let _ = writeln!(
            out,
            "omnisim_latency_seconds_bucket{{{labels},metric=\"{metric}\",le=\"+Inf\"}} {}",
            h.len()
        );
        let _ = writeln!(
            out,
            "omnisim_latency_seconds_sum{{{labels},metric=\"{metric}\"}} {}",
            h.mean() * h.len() as f64 / 1e6
        );
        let _ = writeln!(
            out,
            "omnisim_latency_seconds_count{{{labels},metric=\"{metric}\"}} {}",
            h.len()
        );
    }
}

/// The exposition of what the run has measured so far.
pub fn render(shared: &Shared, id: &Identity) -> String {
    let labels = format!(
        "scenario=\"{}\",shard=\"{}\"",
        escape(&id.scenario),
        escape(&id.shard)
    );
    let r = &shared.recorder;
    let c = &r.counts;
    let mut out = String::new();
    let counters: [(&str, &str, u64); 9] = [
        (
            "omnisim_arrivals_scheduled_total",
            "Arrivals scheduled so far.",
            c.arrivals_scheduled,
        ),
        (
            "omnisim_arrivals_started_total",
            "Arrivals started.",
            c.arrivals_started,
        ),
        (
            "omnisim_arrivals_dropped_total",
            "Arrivals dropped: the generator fell behind.",
            c.arrivals_dropped,
        ),
        (
            "omnisim_sessions_started_total",
            "Sessions started.",
            c.sessions_started,
        ),
        (
            "omnisim_sessions_ended_total",
            "Sessions seen to end.",
            c.sessions_ended,
        ),
        (
            "omnisim_abandoned_total",
            "Customers who gave up waiting.",
            c.abandoned,
        ),
        (
            "omnisim_errors_total",
            "Requests refused or unanswered.",
            r.errors.values().sum(),
        ),
        (
            "omnisim_protocol_violations_total",
            "Frames and replies that are not the protocol.",
            r.protocol.count,
        ),
        (
            "omnisim_checker_violations_total",
            "Platform rules broken in what the run observed.",
            shared.history.violations().len() as u64,
        ),
    ];
    for (name, help, value) in counters {
        let _ = writeln!(
            out,
            "# HELP {name} {help}\n# TYPE {name} counter\n{name}{{{labels}}} {value}"
        );
    }
    let open = c.sessions_started.saturating_sub(c.sessions_ended);
    let _ = writeln!(
        out,
        "# HELP omnisim_sessions_open Sessions started and not seen to end.\n# TYPE omnisim_sessions_open gauge\nomnisim_sessions_open{{{labels}}} {open}"
    );
    latencies(&mut out, r, &labels);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The metric names a rendering holds, with the suffixes of its histograms.
    fn names(text: &str) -> std::collections::BTreeSet<String> {
        text.lines()
            .filter(|l| !l.starts_with('#') && !l.is_empty())
            .filter_map(|l| l.split(['{', ' ']).next().map(str::to_owned))
            .collect()
    }

    #[test]
    fn the_exposition_has_counters_gauges_and_histograms_and_the_dashboard_asks_for_them() {
        let mut shared = Shared::default();
        shared.recorder.counts.arrivals_started = 7;
        let lag = std::time::Duration::from_millis(3);
        shared
            .recorder
            .latency("schedule_lag", lag, None, Default::default());
        let id = Identity {
            scenario: "peak \"hour\"".into(),
            shard: "2/3".into(),
        };
        let text = render(&shared, &id);
        let labels = r#"scenario="peak \"hour\"",shard="2/3""#;
        assert!(
            text.contains(&format!("omnisim_arrivals_started_total{{{labels}}} 7")),
            "{text}"
        );
        let bucket = |le: &str| {
            format!(r#"omnisim_latency_seconds_bucket{{{labels},metric="schedule_lag",le="{le}"}}"#)
        };
        assert!(text.contains(&format!("{} 0", bucket("0.0025"))), "{text}");
        assert!(text.contains(&format!("{} 1", bucket("0.005"))), "{text}");
        assert!(text.contains(&format!("{} 1", bucket("+Inf"))), "{text}");
        // Every metric the Grafana dashboard queries is one the harness serves.
        let served = names(&text);
        let dashboard = include_str!("../../deploy/grafana-dashboard.json");
        let json: serde_json::Value = serde_json::from_str(dashboard).unwrap();
        let mut queried = 0;
        for panel in json["panels"].as_array().unwrap() {
            for target in panel["targets"].as_array().unwrap() {
                let expr = target["expr"].as_str().unwrap();
                for word in expr.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_')) {
                    if word.starts_with("omnisim_") {
                        assert!(served.contains(word), "{word} is not served");
                        queried += 1;
                    }
                }
            }
        }
        assert!(queried >= 8);
    }
}
