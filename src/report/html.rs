//! report.html: one self-contained page (inline CSS and SVG) with the run's results and charts.

use super::charts::{Line, MarkKind, Marks, lines, timeline};
use crate::measure::Summary;
use std::collections::BTreeMap;
use std::fmt::Write;

pub(crate) fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

fn pct(v: Option<f64>) -> String {
    v.map_or("–".to_owned(), |v| format!("{:.1}%", v * 100.0))
}

/// The style every report page shares.
pub const STYLE: &str = "body{font-family:sans-serif;margin:2em;max-width:1100px;color:#222}\
table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:4px 10px;text-align:right}\
th{background:#f3f3f3}td:first-child,th:first-child{text-align:left}\
.pass{color:#1a7f37;font-weight:bold}.fail{color:#cf222e;font-weight:bold}.warn{background:#fff8c5;padding:8px}\
@media print{body{margin:0;max-width:none}svg,table{break-inside:avoid;max-width:100%;height:auto}}";

/// A panel per channel or queue: each metric's count and percentiles there.
fn breakdown(
    h: &mut String,
    title: &str,
    by: &BTreeMap<String, BTreeMap<String, crate::measure::summary::LatencyStats>>,
) {
    if by.is_empty() {
        return;
    }
    let _ = write!(h, "<h2>{title} (ms)</h2>");
    for (label, metrics) in by {
        let _ = write!(
            h,
            "<h3>{}</h3><table><tr><th>metric</th><th>count</th><th>p50</th><th>p90</th><th>p99</th><th>max</th></tr>",
            esc(label)
        );
        for (metric, l) in metrics {
            let _ = write!(
                h,
                "<tr><td>{}</td><td>{}</td><td>{:.1}</td><td>{:.1}</td><td>{:.1}</td><td>{:.1}</td></tr>",
                esc(metric),
                l.count,
                l.p50,
                l.p90,
                l.p99,
                l.max
            );
        }
        h.push_str("</table>");
    }
}

/// The run's verdict in one line: what failed it, or that nothing did, then the checker's
/// findings, which fail a run only with --strict, said apart; true when nothing failed it.
pub fn verdict(s: &Summary) -> (bool, String) {
    let mut failed = Vec::new();
    let breached = s.thresholds.iter().filter(|t| !t.passed).count();
    if breached > 0 {
        failed.push(format!("{breached} threshold(s) breached"));
    }
    if s.protocol_violations.count > 0 {
        failed.push(format!(
            "{} protocol violation(s)",
            s.protocol_violations.count
        ));
    }
    if s.target_lost.is_some() {
        failed.push("the target was lost".to_owned());
    }
    if s.interrupted.is_some() {
        failed.push("interrupted".to_owned());
    }
    let checker = match s.violations.len() {
        0 => "the history checker found no rule broken".to_owned(),
        n => format!("the history checker found {n} rule violation(s)"),
    };
    if failed.is_empty() {
        (
            true,
            format!("PASS: every threshold held, no protocol violation; {checker}"),
        )
    } else {
        (false, format!("FAIL: {}; {checker}", failed.join(", ")))
    }
}

/// The verdict at the top of the page.
fn banner(h: &mut String, s: &Summary) {
    let (passed, verdict) = verdict(s);
    let class = if passed { "pass" } else { "fail" };
    let _ = write!(
        h,
        "<p class=\"banner {class}\" style=\"font-size:1.3em;padding:.4em .8em;border:2px solid\">{}</p>",
        esc(&verdict)
    );
}

/// How busy each side kept its cores while the arrivals came, when the run measured it: what
/// tells a reader whether the generator or the target was the limit.
fn cpu(h: &mut String, s: &Summary) {
    let side = |name: &str, load: &crate::measure::behind::CpuLoad| {
        let shared = if load.shared {
            " (with the embedded server)"
        } else {
            ""
        };
        format!(
            "{name}{shared} {}, {:.0} % busy",
            load.cores_text(),
            load.busy * 100.0
        )
    };
    let sides: Vec<String> = [("generator", &s.generator_load), ("target", &s.target_load)]
        .into_iter()
        .filter_map(|(name, load)| load.as_ref().map(|l| side(name, l)))
        .collect();
    if !sides.is_empty() {
        let _ = write!(
            h,
            "<p>CPU while the arrivals came: {}</p>",
            sides.join(" · ")
        );
    }
}

/// The page for a finished run; `percentiles` are the latency percentile curves per metric.
pub fn render(s: &Summary, percentiles: &BTreeMap<String, Vec<(f64, f64)>>) -> String {
    let mut h = String::new();
    let _ = write!(
        h,
        "<!doctype html><html><head><meta charset=\"utf-8\"><title>omnisim: {name}</title><style>{STYLE}\
         </style></head><body><h1>{name}</h1><p>seed {seed} · target {target}{over} · {dur:.1} s</p>",
        name = esc(&s.scenario),
        seed = s.seed,
        target = esc(&s.target),
        over = s.http.map_or(String::new(), |v| format!(" over {v}")),
        dur = s.duration_s
    );
    banner(&mut h, s);
    if let Some(w) = &s.generator_warning {
        let _ = write!(h, "<p class=\"warn\">{}</p>", esc(w));
    }
    cpu(&mut h, s);
    if !s.thresholds.is_empty() {
        h.push_str("<h2>Thresholds</h2><table><tr><th>metric</th><th>condition</th><th>measured</th><th>verdict</th></tr>");
        for t in &s.thresholds {
            let (class, verdict) = if t.passed {
                ("pass", "pass")
            } else {
                ("fail", "FAIL")
            };
            let value = t
                .measured()
                .unwrap_or_else(|| "nothing measured".to_owned());
            let _ = write!(
                h,
                "<tr><td>{}</td><td>{}</td><td>{value}</td><td class=\"{class}\">{verdict}</td></tr>",
                esc(&t.metric),
                esc(&t.condition)
            );
        }
        h.push_str("</table>");
    }
    charts(&mut h, s, percentiles);
    let ss = &s.sessions;
    let r = &s.routing;
    let _ = write!(
        h,
        "<h2>Counts</h2><table><tr><th>sessions started</th><th>ended</th><th>abandoned</th><th>bot-contained</th>\
         <th>transferred</th><th>ended by agent</th><th>marked inactive</th><th>still open</th></tr><tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr></table>\
         <table><tr><th>handed off</th><th>offers</th><th>accepted</th><th>declines</th><th>push timeouts</th><th>dropped arrivals</th></tr>\
         <tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr></table>\
         <table><tr><th>abandon rate</th><th>bot containment</th><th>service level ({:.0} s)</th><th>occupancy</th></tr>\
         <tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr></table>",
        ss.started,
        ss.ended,
        ss.abandoned,
        ss.bot_contained,
        ss.transferred,
        ss.ended_by_agent,
        ss.marked_inactive,
        ss.still_open,
        r.handed_off,
        r.offers,
        r.accepted,
        r.declines,
        r.push_timeouts,
        s.arrivals.dropped,
        s.service_level.threshold_s,
        pct(s.abandon_rate),
        pct(s.bot_containment),
        pct(s.service_level.value),
        pct(s.occupancy)
    );
    flows(&mut h, &s.flows);
    h.push_str("<h2>Latency (ms, from intended times)</h2><table><tr><th>metric</th><th>count</th><th>mean</th><th>p50</th><th>p90</th><th>p99</th><th>p99.9</th><th>max</th><th>p99 uncorrected</th></tr>");
    for (name, l) in &s.latency_ms {
        let unc = s
            .latency_uncorrected_ms
            .get(name)
            .map_or("–".to_owned(), |u| format!("{:.1}", u.p99));
        let _ = write!(
            h,
            "<tr><td>{}</td><td>{}</td><td>{:.1}</td><td>{:.1}</td><td>{:.1}</td><td>{:.1}</td><td>{:.1}</td><td>{:.1}</td><td>{unc}</td></tr>",
            esc(name),
            l.count,
            l.mean,
            l.p50,
            l.p90,
            l.p99,
            l.p999,
            l.max
        );
    }
    h.push_str("</table>");
    breakdown(&mut h, "By channel", &s.latency_by_channel_ms);
    breakdown(&mut h, "By queue", &s.latency_by_queue_ms);
    if let Some(i) = &s.interrupted {
        let _ = write!(
            h,
            "<p class=\"fail\">Interrupted by {} at {:.1} s: the results are what was measured until then.</p>",
            esc(&i.signal),
            i.at_s
        );
    }
    h.push_str("<h2>Target</h2>");
    match &s.target_lost {
        Some(lost) => {
            let _ = write!(
                h,
                "<p class=\"fail\">Target lost at {:.1} s: {}. What follows was measured before.</p>",
                lost.at_s,
                esc(&lost.problem)
            );
        }
        None => h.push_str("<p class=\"pass\">The target answered to the end.</p>"),
    }
    let t = &s.transport_errors;
    if t.count > 0 {
        let _ = write!(
            h,
            "<p class=\"fail\">{} requests got no answer; the first {}:</p><table><tr><th>at</th><th>problem</th></tr>",
            t.count,
            t.samples.len()
        );
        for e in &t.samples {
            let _ = write!(
                h,
                "<tr><td>{:.1} s</td><td style=\"text-align:left\">{}</td></tr>",
                e.at_s,
                esc(&e.problem)
            );
        }
        h.push_str("</table>");
    }
    h.push_str("<h2>Protocol</h2>");
    let p = &s.protocol_violations;
    if p.is_empty() {
        h.push_str("<p class=\"pass\">Every frame and reply was the protocol.</p>");
    } else {
        let _ = write!(
            h,
            "<p class=\"fail\">{} frames or replies were not the protocol; the first {}:</p>",
            p.count,
            p.samples.len()
        );
        h.push_str("<table><tr><th>on</th><th>field</th><th>problem</th><th>frame</th></tr>");
        for v in &p.samples {
            let _ = write!(
                h,
                "<tr><td>{}</td><td>{}</td><td style=\"text-align:left\">{}</td><td style=\"text-align:left\"><code>{}</code></td></tr>",
                esc(&v.on),
                esc(&v.field),
                esc(&v.problem),
                esc(&v.frame)
            );
        }
        h.push_str("</table>");
    }
    h.push_str("<h2>History checker</h2>");
    if s.violations.is_empty() {
        h.push_str("<p class=\"pass\">No platform rule broken in what the run observed.</p>");
    } else {
        h.push_str("<table><tr><th>rule</th><th>evidence</th></tr>");
        for v in &s.violations {
            let _ = write!(
                h,
                "<tr><td>{}</td><td style=\"text-align:left\">{}</td></tr>",
                esc(&v.rule),
                esc(&v.evidence)
            );
        }
        h.push_str("</table>");
    }
    if !s.errors.is_empty() {
        h.push_str("<h2>Errors</h2><table><tr><th>code</th><th>count</th></tr>");
        for (code, n) in &s.errors {
            let _ = write!(h, "<tr><td>{}</td><td>{n}</td></tr>", esc(code));
        }
        h.push_str("</table>");
    }
    h.push_str("</body></html>\n");
    h
}

/// The charts, next after the verdict and the thresholds: what a run is judged by.
fn charts(h: &mut String, s: &Summary, percentiles: &BTreeMap<String, Vec<(f64, f64)>>) {
    let mut charts = Vec::new();
    // A metric's uncorrected curve is drawn dashed in its corrected curve's colour.
    let names: Vec<&String> = percentiles.keys().collect();
    let curves: Vec<Line> = percentiles
        .iter()
        .map(|(name, points)| Line {
            echoes: name
                .strip_suffix(" (uncorrected)")
                .and_then(|m| names.iter().position(|n| *n == m)),
            ..Line::new(name, points.clone())
        })
        .collect();
    charts.push(lines(
        "Latency by percentile",
        "percentile",
        "ms",
        &curves,
        true,
    ));
    let series = |f: &dyn Fn(&crate::measure::summary::Point) -> Option<f64>| -> Vec<(f64, f64)> {
        s.series
            .iter()
            .filter_map(|p| f(p).map(|v| (p.t_s, v)))
            .collect()
    };
    let per_second = |cumulative: Vec<(f64, f64)>| -> Vec<(f64, f64)> {
        cumulative
            .windows(2)
            .map(|w| (w[1].0, (w[1].1 - w[0].1) / (w[1].0 - w[0].0).max(1e-9)))
            .collect()
    };
    let marks = super::marks::common(s);
    let mut routing = vec![Line::new("routing p99", series(&|p| p.routing_p99_ms))];
    let mut routing_marks = Vec::new();
    let mut routing_title = "Routing latency p99 per second".to_owned();
    let highest = routing.iter().flat_map(|l| &l.points).map(|p| p.1);
    let highest = highest.fold(0.0, f64::max);
    let ceiling = super::marks::routing_ceiling_ms(s);
    let ceiling_name = ceiling.map(|c| format!("threshold {c} ms"));
    let above_name = ceiling.map(|c| format!("p99 above {c} ms"));
    if let (Some(c), Some(name), Some(above), Some(first), Some(last)) = (
        ceiling,
        &ceiling_name,
        &above_name,
        s.series.first(),
        s.series.last(),
    ) {
        // A threshold far above every second's p99 would flatten the line against the axis.
        if c <= 3.0 * highest {
            routing.push(Line::new(name, vec![(first.t_s, c), (last.t_s, c)]));
        } else {
            routing_title.push_str(&format!(" (threshold {c} ms, far above)"));
        }
        let at = super::marks::above(s, c);
        if !at.is_empty() {
            routing_marks.push(Marks {
                kind: MarkKind::AboveThreshold,
                name: above,
                at,
            });
        }
    }
    routing_marks.extend(marks.iter().cloned());
    charts.push(timeline(&routing_title, "ms", &routing, &routing_marks));
    charts.push(timeline(
        "Arrivals, abandons and queue depth",
        "per second / sessions",
        &[
            Line::new(
                "arrivals/s",
                per_second(series(&|p| Some(p.arrivals as f64))),
            ),
            Line::new(
                "abandons/s",
                per_second(series(&|p| Some(p.abandoned as f64))),
            ),
            Line::new("queue depth", series(&|p| Some(p.queue_depth as f64))),
        ],
        &marks,
    ));
    charts.push(timeline(
        "Agent occupancy",
        "% of online capacity",
        &[Line::new(
            "occupancy",
            series(&|p| p.occupancy.is_finite().then_some(p.occupancy * 100.0)),
        )],
        &marks,
    ));
    h.push_str("<h2 id=\"charts\">Charts</h2>");
    super::charts::embed(h, charts);
}

/// The routing flows section, when the run had flows: sessions per rule, and direct routing.
fn flows(h: &mut String, f: &crate::measure::flows::FlowOutcomes) {
    if f.is_empty() {
        return;
    }
    h.push_str("<h2>Routing flows</h2><table><tr><th>flow.rule</th><th>sessions (at their first offer)</th></tr>");
    for (rule, n) in &f.rules {
        let _ = write!(h, "<tr><td>{}</td><td>{n}</td></tr>", esc(rule));
    }
    for (error, n) in &f.errors {
        let _ = write!(
            h,
            "<tr><td>flow error: {}</td><td>{n}</td></tr>",
            esc(error)
        );
    }
    h.push_str("</table>");
    let d = &f.direct;
    if d.routed > 0 {
        let fell_back: Vec<String> = d
            .fell_back
            .iter()
            .map(|(r, n)| format!("{}: {n}", esc(r)))
            .collect();
        let _ = write!(
            h,
            "<table><tr><th>routed to one agent</th><th>reached it</th><th>fell back</th></tr>\
             <tr><td>{}</td><td>{} ({})</td><td>{}</td></tr></table>",
            d.routed,
            d.reached,
            pct(f.direct_reached()),
            if fell_back.is_empty() {
                "none".into()
            } else {
                fell_back.join(", ")
            }
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checker::Violation;
    use crate::measure::thresholds::Verdict;

    #[test]
    fn the_page_shows_verdicts_violations_and_charts() {
        let mut s = Summary {
            scenario: "demo <1>".into(),
            ..Summary::default()
        };
        s.thresholds.push(Verdict {
            metric: "abandon_rate".into(),
            condition: "< 5%".into(),
            value: Some(0.1),
            passed: false,
        });
        s.violations.push(Violation {
            rule: "R-SESS-2".into(),
            evidence: "seq 3 after 1".into(),
        });
        let curves = BTreeMap::from([("routing".to_owned(), vec![(0.0, 1.0), (1.0, 2.0)])]);
        let page = render(&s, &curves);
        assert!(page.contains("demo &lt;1&gt;"));
        assert!(page.contains("class=\"fail\">FAIL"));
        assert!(
            page.contains("<td>10.00%</td>"),
            "the measured ratio in its unit"
        );
        assert!(
            page.contains("FAIL: 1 threshold(s) breached"),
            "the banner says why"
        );
        assert!(page.contains("found 1 rule violation(s)"));
        assert!(!page.contains("By channel"), "no breakdown, no panel");
        let mut by_channel = s.clone();
        let stats = crate::measure::summary::LatencyStats {
            count: 3,
            p99: 12.5,
            ..Default::default()
        };
        by_channel.latency_by_channel_ms.insert(
            "web <chat>".into(),
            BTreeMap::from([("routing".to_owned(), stats)]),
        );
        let page = render(&by_channel, &curves);
        assert!(page.contains("<h3>web &lt;chat&gt;</h3>"));
        assert!(
            page.contains("<tr><td>routing</td><td>3</td><td>0.0</td><td>0.0</td><td>12.5</td>")
        );
        assert!(page.contains("R-SESS-2"));
        assert_eq!(page.matches("<svg").count(), 4);
        assert!(!page.contains("Routing flows"), "no flows, no section");
    }

    /// The routing timeline draws the threshold and marks the seconds above it; every timeline
    /// marks faults and the generator falling behind.
    #[test]
    fn timelines_mark_faults_lag_and_seconds_above_the_threshold() {
        let mut s = Summary::default();
        for (t, faults, lag, routing) in
            [(1.0, 0, 1.0, 4.0), (2.0, 1, 9.0, 12.0), (3.0, 1, 1.0, 3.0)]
        {
            s.series.push(crate::measure::summary::Point {
                t_s: t,
                faults,
                schedule_lag_p99_ms: Some(lag),
                routing_p99_ms: Some(routing),
                ..Default::default()
            });
        }
        s.thresholds.push(Verdict {
            metric: "routing_latency.p99".into(),
            condition: "< 10ms".into(),
            value: Some(12.0),
            passed: false,
        });
        let page = render(&s, &BTreeMap::new());
        let charts: Vec<&str> = page.split("<svg").skip(1).collect();
        let routing = charts
            .iter()
            .find(|c| c.contains("Routing latency p99"))
            .unwrap();
        assert!(routing.contains("threshold 10 ms") && routing.contains("p99 above 10 ms"));
        let marked = charts
            .iter()
            .filter(|c| c.contains("faults injected"))
            .count();
        assert_eq!(marked, 3, "routing, arrivals and occupancy timelines");
        assert_eq!(
            charts
                .iter()
                .filter(|c| c.contains("generator behind"))
                .count(),
            3
        );
        // A threshold far above every second is named, not drawn: it would flatten the line.
        s.thresholds[0].condition = "< 5s".into();
        let far = render(&s, &BTreeMap::new());
        assert!(far.contains("Routing latency p99 per second (threshold 5000 ms, far above)"));
        assert!(!far.contains("threshold 5000 ms<") && !far.contains("p99 above"));
        let quiet = render(&Summary::default(), &BTreeMap::new());
        assert!(!quiet.contains("faults injected") && !quiet.contains("p99 above"));
    }

    #[test]
    fn the_page_shows_how_busy_each_side_was() {
        use crate::measure::behind::CpuLoad;
        let mut s = Summary::default();
        assert!(
            !render(&s, &BTreeMap::new()).contains("CPU while"),
            "virtual: none"
        );
        s.generator_load = Some(CpuLoad::new(8.6, 10.0, 1, false));
        s.target_load = Some(CpuLoad::new(16.4, 10.0, 2, false));
        let page = render(&s, &BTreeMap::new());
        assert!(
            page.contains(
                "<p>CPU while the arrivals came: generator 1 core, 86 % busy · target 2 cores, 82 % busy</p>"
            ),
            "{page}"
        );
        s.generator_load = Some(CpuLoad::new(9.5, 10.0, 2, true));
        s.target_load = None;
        let page = render(&s, &BTreeMap::new());
        assert!(page.contains("generator (with the embedded server) 2 cores, 48 % busy</p>"));
    }

    #[test]
    fn a_run_with_flows_shows_its_rules_and_direct_routing() {
        let mut s = Summary::default();
        s.flows.rules.insert("front.vip".into(), 3);
        s.flows.direct.routed = 4;
        s.flows.direct.reached = 3;
        s.flows.direct.fell_back.insert("timeout".into(), 1);
        let page = render(&s, &BTreeMap::new());
        assert!(page.contains("<h2>Routing flows</h2>"));
        assert!(page.contains("<td>front.vip</td><td>3</td>"));
        assert!(page.contains("timeout: 1"));
    }
}
