//! Two runs side by side, for regression gates: every latency percentile and outcome ratio of a
//! base summary against a new one, each judged against a bound (`omnisim compare`).

use super::summary::Summary;
use std::fmt::Write as _;

/// The latency statistics compared, by their summary.json names.
const STATS: [&str; 5] = ["p50", "p90", "p99", "p999", "max"];

/// Statistics a gate judges; `max` is one sample and is shown, not judged.
const GATED_STATS: [&str; 4] = ["p50", "p90", "p99", "p999"];

/// Which way a ratio gets worse.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Better {
    Lower,
    Higher,
    /// Neither: shown, never judged (occupancy, bot containment).
    Neither,
}

const RATIOS: [(&str, Better); 6] = [
    ("abandon_rate", Better::Lower),
    ("dropped_arrivals", Better::Lower),
    ("service_level", Better::Higher),
    ("direct_reached", Better::Higher),
    ("occupancy", Better::Neither),
    ("bot_containment", Better::Neither),
];

/// How much worse a figure may get before it counts as a regression.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Bounds {
    /// Relative to the base figure: 0.10 allows 10 % worse.
    pub relative: f64,
    /// A latency must also be worse by this many milliseconds (sub-millisecond noise is no
    /// regression).
    pub latency_floor_ms: f64,
    /// A ratio must also be worse by this much in absolute terms (0.01: one point).
    pub ratio_floor: f64,
}

impl Default for Bounds {
    fn default() -> Bounds {
        Bounds {
            relative: 0.10,
            latency_floor_ms: 1.0,
            ratio_floor: 0.01,
        }
    }
}

/// What became of one figure.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Change {
    /// Worse beyond the bounds.
    Regressed,
    /// Better beyond the bounds.
    Improved,
    Unchanged,
    /// Shown only: not judged, or absent from one side.
    Shown,
}

/// One compared figure.
#[derive(Clone, Debug, PartialEq)]
pub struct Row {
    /// `routing.p99`, `abandon_rate`.
    pub metric: String,
    pub base: Option<f64>,
    pub new: Option<f64>,
    pub change: Change,
    /// Latencies in milliseconds, ratios as fractions.
    pub latency: bool,
}

/// Two summaries compared.
#[derive(Clone, Debug, PartialEq)]
pub struct Comparison {
    pub base_name: String,
    pub new_name: String,
    pub rows: Vec<Row>,
    pub bounds: Bounds,
}

fn judge(base: f64, new: f64, better: Better, floor: f64, relative: f64) -> Change {
    let worse = match better {
        Better::Lower => new - base,
        Better::Higher => base - new,
        Better::Neither => return Change::Shown,
    };
    let beyond = |delta: f64| delta > floor && delta > base.abs() * relative;
    if beyond(worse) {
        Change::Regressed
    } else if beyond(-worse) {
        Change::Improved
    } else {
        Change::Unchanged
    }
}

impl Comparison {
    /// `new` against `base`, each figure judged against `bounds`.
    pub fn of(base: &Summary, new: &Summary, bounds: Bounds) -> Comparison {
        let mut rows = Vec::new();
        let metrics = base.latency_ms.keys().chain(
            new.latency_ms
                .keys()
                .filter(|k| !base.latency_ms.contains_key(*k)),
        );
        for metric in metrics {
            let (b, n) = (base.latency_ms.get(metric), new.latency_ms.get(metric));
            for stat in STATS {
                let (bv, nv) = (b.and_then(|l| l.stat(stat)), n.and_then(|l| l.stat(stat)));
                let change = match (bv, nv) {
                    (Some(bv), Some(nv)) if GATED_STATS.contains(&stat) => judge(
                        bv,
                        nv,
                        Better::Lower,
                        bounds.latency_floor_ms,
                        bounds.relative,
                    ),
                    _ => Change::Shown,
                };
                rows.push(Row {
                    metric: format!("{metric}.{stat}"),
                    base: bv,
                    new: nv,
                    change,
                    latency: true,
                });
            }
        }
        for (name, better) in RATIOS {
            let (bv, nv) = (base.ratio(name), new.ratio(name));
            if bv.is_none() && nv.is_none() {
                continue;
            }
            let change = match (bv, nv) {
                (Some(bv), Some(nv)) => judge(bv, nv, better, bounds.ratio_floor, bounds.relative),
                _ => Change::Shown,
            };
            rows.push(Row {
                metric: name.to_owned(),
                base: bv,
                new: nv,
                change,
                latency: false,
            });
        }
        Comparison {
            base_name: base.scenario.clone(),
            new_name: new.scenario.clone(),
            rows,
            bounds,
        }
    }

    /// The figures that got worse beyond the bounds.
    pub fn regressions(&self) -> impl Iterator<Item = &Row> {
        self.rows.iter().filter(|r| r.change == Change::Regressed)
    }

    /// A Markdown table, for a terminal and a CI job's summary alike.
    pub fn markdown(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(
            out,
            "### {} (base) against {} (new)\n",
            self.base_name, self.new_name
        );
        if self.base_name != self.new_name {
            let _ = writeln!(out, "> different scenarios: compare with care\n");
        }
        let _ = writeln!(out, "| metric | base | new | change | verdict |");
        let _ = writeln!(out, "|---|---:|---:|---:|---|");
        for r in &self.rows {
            let show = |v: Option<f64>| match v {
                None => "–".to_owned(),
                Some(v) if r.latency => format!("{v:.1} ms"),
                Some(v) => format!("{:.2} %", v * 100.0),
            };
            let delta = match (r.base, r.new) {
                (Some(b), Some(n)) if b.abs() > f64::EPSILON => {
                    format!("{:+.1} %", (n - b) / b.abs() * 100.0)
                }
                (Some(b), Some(n)) if (n - b).abs() <= f64::EPSILON => "0".to_owned(),
                _ => "–".to_owned(),
            };
            let verdict = match r.change {
                Change::Regressed => "**regressed**",
                Change::Improved => "improved",
                Change::Unchanged => "ok",
                Change::Shown => "",
            };
            let _ = writeln!(
                out,
                "| {} | {} | {} | {delta} | {verdict} |",
                r.metric,
                show(r.base),
                show(r.new)
            );
        }
        let regressed = self.regressions().count();
        let b = self.bounds;
        let _ = writeln!(
            out,
            "\n{} regressed beyond {:.0} % (and {} ms for latencies, {:.0} point(s) for ratios).",
            match regressed {
                0 => "Nothing".to_owned(),
                1 => "1 figure".to_owned(),
                n => format!("{n} figures"),
            },
            b.relative * 100.0,
            b.latency_floor_ms,
            b.ratio_floor * 100.0
        );
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::measure::summary::LatencyStats;

    fn summary(p99: f64, abandon: f64) -> Summary {
        let mut s = Summary {
            scenario: "s".into(),
            abandon_rate: Some(abandon),
            ..Summary::default()
        };
        let l = LatencyStats {
            count: 100,
            mean: 10.0,
            p50: 10.0,
            p90: 20.0,
            p99,
            p999: p99,
            max: p99 * 2.0,
        };
        s.latency_ms.insert("routing".into(), l);
        s
    }

    fn change(c: &Comparison, metric: &str) -> Change {
        c.rows.iter().find(|r| r.metric == metric).unwrap().change
    }

    #[test]
    fn worse_beyond_the_bound_regresses_within_it_passes() {
        let base = summary(100.0, 0.05);
        let within = Comparison::of(&base, &summary(109.0, 0.054), Bounds::default());
        assert_eq!(within.regressions().count(), 0, "{}", within.markdown());
        let beyond = Comparison::of(&base, &summary(111.0, 0.05), Bounds::default());
        assert_eq!(change(&beyond, "routing.p99"), Change::Regressed);
        assert_eq!(change(&beyond, "routing.p50"), Change::Unchanged);
        assert_eq!(
            change(&beyond, "routing.max"),
            Change::Shown,
            "one sample is not judged"
        );
        assert!(
            beyond
                .markdown()
                .contains("| routing.p99 | 100.0 ms | 111.0 ms | +11.0 % | **regressed** |")
        );
        let better = Comparison::of(&base, &summary(50.0, 0.05), Bounds::default());
        assert_eq!(change(&better, "routing.p99"), Change::Improved);
    }

    #[test]
    fn ratios_regress_the_way_they_get_worse_and_small_changes_are_noise() {
        let base = summary(100.0, 0.05);
        let more_abandons = Comparison::of(&base, &summary(100.0, 0.08), Bounds::default());
        assert_eq!(change(&more_abandons, "abandon_rate"), Change::Regressed);
        // +50 % of a tiny rate, but less than a point: noise.
        let tiny = Comparison::of(
            &summary(100.0, 0.002),
            &summary(100.0, 0.003),
            Bounds::default(),
        );
        assert_eq!(change(&tiny, "abandon_rate"), Change::Unchanged);
        // A latency doubled from 0.2 ms is under the 1 ms floor.
        let fast = Comparison::of(&summary(0.2, 0.0), &summary(0.4, 0.0), Bounds::default());
        assert_eq!(change(&fast, "routing.p99"), Change::Unchanged);
        let mut sl_base = summary(100.0, 0.0);
        sl_base.service_level.value = Some(0.9);
        let mut sl_new = sl_base.clone();
        sl_new.service_level.value = Some(0.7);
        let c = Comparison::of(&sl_base, &sl_new, Bounds::default());
        assert_eq!(
            change(&c, "service_level"),
            Change::Regressed,
            "lower is worse"
        );
    }
}
