//! compare.html: two runs on one page (`omnisim compare --html`): the verdict, every judged
//! figure with its change, the counts side by side, each latency's percentile curves overlaid,
//! and the per-second routing p99 of both runs on one timeline.

use super::charts::{Line, lines};
use super::html::{STYLE, esc};
use crate::measure::Summary;
use crate::measure::compare::{Change, Comparison};
use std::collections::BTreeMap;
use std::fmt::Write;

/// A metric's percentile curves, (nines, ms), for the base run and the new one.
#[derive(Clone, Debug, Default)]
pub struct Curves {
    pub base: Vec<(f64, f64)>,
    pub new: Vec<(f64, f64)>,
}

/// Where a summary alone (no histograms.json beside it) places a curve's points: its
/// percentiles on the nines axis.
pub fn from_summary(s: &Summary, metric: &str) -> Vec<(f64, f64)> {
    let Some(l) = s.latency_ms.get(metric) else {
        return Vec::new();
    };
    [(0.5, l.p50), (0.9, l.p90), (0.99, l.p99), (0.999, l.p999)]
        .iter()
        .map(|(q, ms)| (-(1.0f64 - q).log10(), *ms))
        .collect()
}

fn show(v: Option<f64>, latency: bool) -> String {
    match v {
        None => "–".to_owned(),
        Some(v) if latency => format!("{v:.1} ms"),
        Some(v) => format!("{:.2} %", v * 100.0),
    }
}

/// The counts both runs have, by name.
fn counts(s: &Summary) -> [(&'static str, u64); 9] {
    [
        ("arrivals started", s.arrivals.started),
        ("arrivals dropped", s.arrivals.dropped),
        ("sessions started", s.sessions.started),
        ("sessions ended", s.sessions.ended),
        ("abandoned", s.sessions.abandoned),
        ("bot-contained", s.sessions.bot_contained),
        ("offers", s.routing.offers),
        ("accepted", s.routing.accepted),
        ("protocol violations", s.protocol_violations.count),
    ]
}

/// The curves of both runs overlaid, next after the verdict.
/// The latencies in the order a reader looks for them; others follow by name.
const FIRST: [&str; 5] = [
    "routing",
    "speed_to_answer",
    "first_response",
    "resolution",
    "handle",
];

/// The curves worth a chart, those with a regression first, then in [`FIRST`]'s order; and the
/// metrics that were zero throughout in both runs, named instead of drawn.
fn chart_order<'a>(
    c: &Comparison,
    curves: &'a BTreeMap<String, Curves>,
) -> (Vec<(&'a String, &'a Curves)>, Vec<&'a str>) {
    let regressed = |m: &str| {
        c.regressions()
            .any(|r| r.metric.strip_prefix(m).is_some_and(|s| s.starts_with('.')))
    };
    let rank = |m: &str| FIRST.iter().position(|f| *f == m).unwrap_or(FIRST.len());
    let zero = |c: &Curves| c.base.iter().chain(&c.new).all(|p| p.1 <= 0.0);
    let (mut drawn, flat): (Vec<_>, Vec<_>) = curves.iter().partition(|(_, c)| !zero(c));
    drawn.sort_by_key(|(m, _)| (!regressed(m), rank(m)));
    (drawn, flat.into_iter().map(|(m, _)| m.as_str()).collect())
}

fn charts(
    h: &mut String,
    c: &Comparison,
    base: &Summary,
    new: &Summary,
    curves: &BTreeMap<String, Curves>,
) {
    let mut charts = Vec::new();
    let (drawn, flat) = chart_order(c, curves);
    for (metric, c) in drawn {
        let drawn = [
            Line::new("base", c.base.clone()),
            Line::new("new", c.new.clone()),
        ];
        charts.push(lines(
            &format!("{metric} by percentile"),
            "percentile",
            "ms",
            &drawn,
            true,
        ));
    }
    let p99 = |s: &Summary| -> Vec<(f64, f64)> {
        s.series
            .iter()
            .filter_map(|p| p.routing_p99_ms.map(|v| (p.t_s, v)))
            .collect()
    };
    charts.push(lines(
        "Routing latency p99 per second",
        "seconds",
        "ms",
        &[Line::new("base", p99(base)), Line::new("new", p99(new))],
        false,
    ));
    h.push_str("<h2 id=\"charts\">Charts</h2>");
    if !flat.is_empty() {
        let _ = write!(
            h,
            "<p>Zero throughout in both runs: {}.</p>",
            esc(&flat.join(", "))
        );
    }
    super::charts::embed(h, charts);
}

/// The page.
pub fn render(
    c: &Comparison,
    base: &Summary,
    new: &Summary,
    curves: &BTreeMap<String, Curves>,
) -> String {
    let mut h = String::new();
    let _ = write!(
        h,
        "<!doctype html><html><head><meta charset=\"utf-8\"><title>omnisim: {b} against {n}</title>\
         <style>{STYLE}.regressed{{background:#ffebe9}}.improved{{background:#dafbe1}}</style></head><body>\
         <h1>{b} (base) against {n} (new)</h1><p>base: seed {bs}, {bd:.1} s, {bt} · new: seed {ns}, {nd:.1} s, {nt}</p>",
        b = esc(&c.base_name),
        n = esc(&c.new_name),
        bs = base.seed,
        bd = base.duration_s,
        bt = esc(&base.target),
        ns = new.seed,
        nd = new.duration_s,
        nt = esc(&new.target),
    );
    if c.base_name != c.new_name {
        h.push_str("<p class=\"warn\">Different scenarios: compare with care.</p>");
    }
    let regressed = c.regressions().count();
    let b = c.bounds;
    let (class, verdict) = match regressed {
        0 => ("pass", "PASS: nothing regressed".to_owned()),
        n => ("fail", format!("FAIL: {n} figure(s) regressed")),
    };
    let _ = write!(
        h,
        "<p class=\"banner {class}\" style=\"font-size:1.3em;padding:.4em .8em;border:2px solid\">{verdict} \
         beyond {:.0} % (and {} ms for latencies, {:.0} point(s) for ratios)</p>",
        b.relative * 100.0,
        b.latency_floor_ms,
        b.ratio_floor * 100.0
    );
    charts(&mut h, c, base, new, curves);
    h.push_str("<h2>Figures</h2><table><tr><th>metric</th><th>base</th><th>new</th><th>change</th><th>verdict</th></tr>");
    // Regressions first: what a reader came for.
    let mut rows: Vec<_> = c.rows.iter().collect();
    rows.sort_by_key(|r| r.change != Change::Regressed);
    for r in rows {
        let delta = match (r.base, r.new) {
            (Some(b), Some(n)) if b.abs() > f64::EPSILON => {
                format!("{:+.1} %", (n - b) / b.abs() * 100.0)
            }
            _ => "–".to_owned(),
        };
        let (class, verdict) = match r.change {
            Change::Regressed => ("regressed", "regressed"),
            Change::Improved => ("improved", "improved"),
            Change::Unchanged => ("", "ok"),
            Change::Shown => ("", ""),
        };
        let _ = write!(
            h,
            "<tr class=\"{class}\"><td>{}</td><td>{}</td><td>{}</td><td>{delta}</td><td>{verdict}</td></tr>",
            esc(&r.metric),
            show(r.base, r.latency),
            show(r.new, r.latency)
        );
    }
    h.push_str("</table><h2>Counts</h2><table><tr><th>count</th><th>base</th><th>new</th></tr>");
    for ((name, b), (_, n)) in counts(base).iter().zip(counts(new)) {
        let _ = write!(h, "<tr><td>{name}</td><td>{b}</td><td>{n}</td></tr>");
    }
    h.push_str("</table>");
    h.push_str("</body></html>\n");
    h
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::measure::compare::Bounds;
    use crate::measure::summary::LatencyStats;

    fn run(p99: f64) -> Summary {
        let mut s = Summary {
            scenario: "peak".into(),
            ..Summary::default()
        };
        let l = LatencyStats {
            count: 10,
            p50: 1.0,
            p90: 2.0,
            p99,
            p999: p99,
            max: p99,
            ..LatencyStats::default()
        };
        s.latency_ms.insert("routing".into(), l);
        s.sessions.started = 42;
        s
    }

    #[test]
    fn the_page_leads_with_the_regressions_and_overlays_both_runs() {
        let (base, new) = (run(10.0), run(30.0));
        let c = Comparison::of(&base, &new, Bounds::default());
        let flat = vec![(0.0, 0.0), (1.0, 0.0)];
        let curves = BTreeMap::from([
            (
                "routing".to_owned(),
                Curves {
                    base: from_summary(&base, "routing"),
                    new: from_summary(&new, "routing"),
                },
            ),
            (
                "delivery_to_agent".to_owned(),
                Curves {
                    base: flat.clone(),
                    new: flat,
                },
            ),
            (
                "first_response".to_owned(),
                Curves {
                    base: vec![(0.0, 1.0)],
                    new: vec![(0.0, 1.0)],
                },
            ),
        ]);
        let page = render(&c, &base, &new, &curves);
        assert!(page.contains("FAIL: 2 figure(s) regressed"), "p99 and p999");
        let first_row = page.split("<tr class=").nth(1).unwrap();
        assert!(
            first_row.starts_with("\"regressed\"><td>routing.p99"),
            "{first_row}"
        );
        assert!(page.contains("<tr><td>sessions started</td><td>42</td><td>42</td></tr>"));
        assert_eq!(
            page.matches("<svg").count(),
            3,
            "two curves and the timeline"
        );
        assert!(page.contains("Zero throughout in both runs: delivery_to_agent."));
        let at = |t: &str| page.find(t).unwrap();
        assert!(
            at("routing by percentile") < at("first_response by percentile"),
            "in the order a reader looks for them"
        );
        let same = Comparison::of(&base, &base, Bounds::default());
        assert!(render(&same, &base, &base, &curves).contains("PASS: nothing regressed"));
    }

    #[test]
    fn a_summary_alone_gives_its_percentiles_on_the_nines_axis() {
        let points = from_summary(&run(10.0), "routing");
        let nines: Vec<f64> = points
            .iter()
            .map(|p| (p.0 * 1000.0).round() / 1000.0)
            .collect();
        assert_eq!(nines, [0.301, 1.0, 2.0, 3.0]);
        assert_eq!(points[2].1, 10.0);
    }

    #[test]
    fn a_regressed_latency_is_charted_first() {
        let (mut base, mut new) = (run(10.0), run(10.0));
        base.latency_ms
            .insert("handle".into(), base.latency_ms["routing"].clone());
        new.latency_ms
            .insert("handle".into(), run(30.0).latency_ms["routing"].clone());
        let c = Comparison::of(&base, &new, Bounds::default());
        let curve = Curves {
            base: vec![(0.0, 1.0)],
            new: vec![(0.0, 1.0)],
        };
        let curves = BTreeMap::from([
            ("handle".to_owned(), curve.clone()),
            ("routing".to_owned(), curve),
        ]);
        let (drawn, flat) = chart_order(&c, &curves);
        let order: Vec<&str> = drawn.iter().map(|(m, _)| m.as_str()).collect();
        assert_eq!(order, ["handle", "routing"]);
        assert!(flat.is_empty());
    }
}
