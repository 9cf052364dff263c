//! What the run report marks on its timelines, worked out from the summary's per-second series:
//! the seconds faults were injected, the seconds the generator fell behind, the seconds whose
//! routing p99 was above the run's threshold on it, and where the run stopped early.

use super::charts::{MarkKind, Marks};
use crate::measure::Summary;
use crate::measure::behind::LAG_WARNING_MS;
use crate::measure::summary::Point;
use crate::measure::thresholds::Threshold;

/// The seconds at which a cumulative count grew.
fn grew(series: &[Point], count: impl Fn(&Point) -> u64) -> Vec<f64> {
    let mut before = 0;
    let mut at = Vec::new();
    for p in series {
        let now = count(p);
        if now > before {
            at.push(p.t_s);
        }
        before = now;
    }
    at
}

/// The lowest ceiling the run's thresholds put on routing p99, in ms.
pub fn routing_ceiling_ms(s: &Summary) -> Option<f64> {
    s.thresholds
        .iter()
        .filter_map(|v| Threshold::parse(&v.metric, &v.condition).ok())
        .filter_map(|t| t.ceiling_ms("routing", "p99"))
        .min_by(f64::total_cmp)
}

/// Marks every timeline carries: faults, the generator behind, a stop.
pub fn common(s: &Summary) -> Vec<Marks<'static>> {
    let mut marks = Vec::new();
    let faults = grew(&s.series, |p| p.faults);
    if !faults.is_empty() {
        marks.push(Marks {
            kind: MarkKind::Faults,
            name: "faults injected",
            at: faults,
        });
    }
    let dropped = grew(&s.series, |p| p.dropped);
    let behind: Vec<f64> = s
        .series
        .iter()
        .filter(|p| {
            p.schedule_lag_p99_ms.is_some_and(|l| l > LAG_WARNING_MS) || dropped.contains(&p.t_s)
        })
        .map(|p| p.t_s)
        .collect();
    if !behind.is_empty() {
        marks.push(Marks {
            kind: MarkKind::GeneratorBehind,
            name: "generator behind",
            at: behind,
        });
    }
    let stops: Vec<f64> = [
        s.target_lost.as_ref().map(|l| l.at_s),
        s.interrupted.as_ref().map(|i| i.at_s),
    ]
    .into_iter()
    .flatten()
    .collect();
    if !stops.is_empty() {
        marks.push(Marks {
            kind: MarkKind::Stopped,
            name: "run stopped",
            at: stops,
        });
    }
    marks
}

/// The seconds whose routing p99 was above `ceiling` ms.
pub fn above(s: &Summary, ceiling: f64) -> Vec<f64> {
    s.series
        .iter()
        .filter(|p| p.routing_p99_ms.is_some_and(|v| v > ceiling))
        .map(|p| p.t_s)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::measure::thresholds::Verdict;

    fn point(t_s: f64, faults: u64, dropped: u64, lag: f64, routing: f64) -> Point {
        Point {
            t_s,
            faults,
            dropped,
            schedule_lag_p99_ms: Some(lag),
            routing_p99_ms: Some(routing),
            ..Point::default()
        }
    }

    #[test]
    fn marks_fall_on_the_seconds_things_happened() {
        let mut s = Summary {
            series: vec![
                point(1.0, 0, 0, 1.0, 9.0),
                point(2.0, 2, 0, 5.0, 10.0),
                point(3.0, 2, 0, 5.1, 10.1),
                point(4.0, 3, 1, 0.5, 3.0),
            ],
            ..Summary::default()
        };
        for (metric, condition) in [
            ("routing_latency.p99", "< 20ms"),
            ("routing.p99", "<= 10ms"),
        ] {
            s.thresholds.push(Verdict {
                metric: metric.into(),
                condition: condition.into(),
                value: None,
                passed: false,
            });
        }
        let ceiling = routing_ceiling_ms(&s);
        assert_eq!(ceiling, Some(10.0), "the lowest ceiling");
        assert_eq!(above(&s, 10.0), [3.0], "at the ceiling is not above it");
        let marks = common(&s);
        let at = |k: MarkKind| marks.iter().find(|m| m.kind == k).map(|m| m.at.clone());
        assert_eq!(at(MarkKind::Faults), Some(vec![2.0, 4.0]));
        assert_eq!(at(MarkKind::GeneratorBehind), Some(vec![3.0, 4.0]));
        assert_eq!(at(MarkKind::Stopped), None);
    }
}
