//! Pass/fail conditions on a run's results, k6-style: `"routing_latency.p99" = "< 250ms"`,
//! `"abandon_rate" = "< 5%"`. A threshold naming an unknown metric is an error, never a silent
//! pass.

use super::LATENCIES;
use super::summary::Summary;
use serde::{Deserialize, Serialize};

/// What a threshold measures, and in which unit its bound is written.
#[derive(Clone, Debug, PartialEq)]
enum Measure {
    /// `<latency>.<stat>`: milliseconds.
    Latency { metric: String, stat: String },
    /// A fraction written as `5%` or `0.05`.
    Ratio(&'static str),
}

const RATIOS: [&str; 6] = [
    "abandon_rate",
    "bot_containment",
    "dropped_arrivals",
    "service_level",
    "occupancy",
    "direct_reached",
];
const STATS: [&str; 7] = ["count", "mean", "p50", "p90", "p99", "p999", "max"];

#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
enum Op {
    #[serde(rename = "<")]
    Lt,
    #[serde(rename = "<=")]
    Le,
    #[serde(rename = ">")]
    Gt,
    #[serde(rename = ">=")]
    Ge,
}

/// A parsed threshold.
#[derive(Clone, Debug, PartialEq)]
pub struct Threshold {
    name: String,
    condition: String,
    measure: Measure,
    op: Op,
    bound: f64,
}

/// A threshold's outcome, as summary.json reports it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Verdict {
    pub metric: String,
    pub condition: String,
    /// The measured value, in the bound's unit (ms, or a fraction); null when nothing was measured.
    pub value: Option<f64>,
    pub passed: bool,
}

impl Verdict {
    /// The measured value with its unit, as the terminal shows it: milliseconds for a latency
    /// (whose bound reads in any unit, `< 2s`), a percentage for a ratio, a plain count.
    pub fn measured(&self) -> Option<String> {
        let v = self.value?;
        Some(if RATIOS.contains(&self.metric.as_str()) {
            format!("{:.2}%", v * 100.0)
        } else if self.metric.ends_with(".count") {
            format!("{v:.0}")
        } else {
            format!("{v:.3} ms")
        })
    }
}

impl Threshold {
    /// Parses `name` (e.g. `routing_latency.p99`) and `condition` (e.g. `< 250ms`).
    pub fn parse(name: &str, condition: &str) -> Result<Threshold, String> {
        let measure = if let Some(r) = RATIOS.iter().find(|r| **r == name) {
            Measure::Ratio(r)
        } else {
            let (metric, stat) = name.split_once('.').ok_or_else(|| unknown(name))?;
            let metric = metric.strip_suffix("_latency").unwrap_or(metric);
            if !LATENCIES.contains(&metric) || !STATS.contains(&stat) {
                return Err(unknown(name));
            }
            Measure::Latency {
                metric: metric.to_owned(),
                stat: stat.to_owned(),
            }
        };
        let c = condition.trim();
        let (op, rest) = [("<=", Op::Le), (">=", Op::Ge), ("<", Op::Lt), (">", Op::Gt)]
            .iter()
            .find_map(|(p, op)| c.strip_prefix(p).map(|r| (*op, r.trim())))
            .ok_or_else(|| format!("'{condition}' must start with <, <=, > or >="))?;
        let bound = match &measure {
            Measure::Latency { stat, .. } if stat == "count" => rest
                .parse::<f64>()
                .map_err(|_| format!("'{rest}' is not a count"))?,
            Measure::Latency { .. } => humantime::parse_duration(rest)
                .map(|d| d.as_secs_f64() * 1000.0)
                .map_err(|_| format!("'{rest}' is not a duration (e.g. 250ms)"))?,
            Measure::Ratio(_) => match rest.strip_suffix('%') {
                Some(p) => p.trim().parse::<f64>().map(|p| p / 100.0),
                None => rest.parse::<f64>(),
            }
            .map_err(|_| format!("'{rest}' is not a ratio (e.g. 5% or 0.05)"))?,
        };
        Ok(Threshold {
            name: name.to_owned(),
            condition: condition.to_owned(),
            measure,
            op,
            bound,
        })
    }

    /// The ceiling in ms this threshold puts on `metric`'s `stat` (`< 250ms` and `<= 250ms`
    /// on `routing_latency.p99`: 250), for timelines that mark the seconds above it.
    pub fn ceiling_ms(&self, metric: &str, stat: &str) -> Option<f64> {
        match (&self.measure, self.op) {
            (Measure::Latency { metric: m, stat: s }, Op::Lt | Op::Le)
                if m == metric && s == stat =>
            {
                Some(self.bound)
            }
            _ => None,
        }
    }

    /// Checks the threshold against a run's summary. Nothing measured fails the threshold.
    pub fn evaluate(&self, summary: &Summary) -> Verdict {
        let value = match &self.measure {
            Measure::Latency { metric, stat } => {
                summary.latency_ms.get(metric).and_then(|l| l.stat(stat))
            }
            Measure::Ratio(r) => summary.ratio(r),
        };
        let passed = value.is_some_and(|v| match self.op {
            Op::Lt => v < self.bound,
            Op::Le => v <= self.bound,
            Op::Gt => v > self.bound,
            Op::Ge => v >= self.bound,
        });
        Verdict {
            metric: self.name.clone(),
            condition: self.condition.clone(),
            value,
            passed,
        }
    }
}

fn unknown(name: &str) -> String {
    format!(
        "unknown metric '{name}': use one of {} or <latency>.<stat> with latency in {} and stat in {}",
        RATIOS.join(", "),
        LATENCIES.join(", "),
        STATS.join(", ")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_measured_value_is_shown_in_its_unit() {
        let shown = |metric: &str, value| {
            Verdict {
                metric: metric.into(),
                condition: String::new(),
                value,
                passed: true,
            }
            .measured()
        };
        assert_eq!(
            shown("routing_latency.p99", Some(2.799)).unwrap(),
            "2.799 ms"
        );
        assert_eq!(shown("abandon_rate", Some(0.0042)).unwrap(), "0.42%");
        assert_eq!(shown("handle.count", Some(12.0)).unwrap(), "12");
        assert_eq!(shown("routing_latency.p99", None), None);
    }

    #[test]
    fn parses_latency_and_ratio_conditions() {
        let t = Threshold::parse("routing_latency.p99", "< 250ms").unwrap();
        assert_eq!((t.op, t.bound), (Op::Lt, 250.0));
        let t = Threshold::parse("abandon_rate", "<= 5%").unwrap();
        assert_eq!((t.op, t.bound), (Op::Le, 0.05));
        assert!(Threshold::parse("speed_to_answer.p90", ">= 1s").is_ok());
    }

    #[test]
    fn a_latency_ceiling_is_an_upper_bound_on_that_metric_and_stat() {
        let t = Threshold::parse("routing_latency.p99", "<= 250ms").unwrap();
        assert_eq!(t.ceiling_ms("routing", "p99"), Some(250.0));
        assert_eq!(t.ceiling_ms("routing", "p90"), None);
        assert_eq!(t.ceiling_ms("speed_to_answer", "p99"), None);
        let floor = Threshold::parse("routing_latency.p99", "> 1ms").unwrap();
        assert_eq!(floor.ceiling_ms("routing", "p99"), None);
    }

    #[test]
    fn unknown_metrics_and_bad_bounds_are_errors() {
        assert!(
            Threshold::parse("routing_latency.p98", "< 1s")
                .unwrap_err()
                .contains("unknown metric")
        );
        assert!(
            Threshold::parse("happiness", "> 5")
                .unwrap_err()
                .contains("unknown metric")
        );
        assert!(Threshold::parse("abandon_rate", "< lots").is_err());
        assert!(Threshold::parse("routing_latency.p99", "250ms").is_err());
    }
}
