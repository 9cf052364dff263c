//! The planning report: the staffing table and charts of service level, speed of answer,
//! abandonment and occupancy against staff — simulated with its confidence band, analytic beside.

use super::charts::{Band, Line, lines, lines_with_bands};
use super::html::{STYLE, esc};
use crate::plan::intervals::Table;
use crate::plan::simulate::Estimate;
use std::fmt::Write;

/// One staff size: the simulated figures (service level, ASA in seconds, abandonment,
/// occupancy) and the analytic ones where a model fits.
pub struct Point {
    pub agents: u32,
    pub simulated: [Estimate; 4],
    pub analytic: Option<[f64; 4]>,
    pub meets_target: bool,
    /// The queue grows without bound at this staff: the waits a finite run measured there
    /// follow the run's length, not the staff, and the ASA chart leaves them out (the table
    /// keeps them).
    pub saturated: bool,
}

/// What the page shows.
pub struct PlanPage<'a> {
    pub title: &'a str,
    /// Lines under the title: the question, the model, the definitions.
    pub facts: Vec<String>,
    pub points: Vec<Point>,
    pub recommendation: String,
    /// Further tables under the staffing table, their figures formatted as the terminal shows
    /// them.
    pub sections: Vec<Section>,
    pub intervals: &'a [Table],
}

/// A table of figures already formatted, shown the same on the terminal and the page.
pub struct Section {
    pub heading: String,
    /// What the columns hold.
    pub note: String,
    pub columns: Vec<String>,
    pub rows: Vec<Vec<String>>,
}

impl Section {
    /// The table as terminal text: its heading, then right-aligned columns.
    pub fn text(&self) -> String {
        let widths: Vec<usize> = (0..self.columns.len())
            .map(|i| {
                std::iter::once(&self.columns)
                    .chain(&self.rows)
                    .filter_map(|row| row.get(i))
                    .map(|cell| cell.chars().count())
                    .max()
                    .unwrap_or(0)
            })
            .collect();
        let mut out = format!("{}: {}\n", self.heading, self.note);
        for row in std::iter::once(&self.columns).chain(&self.rows) {
            let cells: Vec<String> = row
                .iter()
                .zip(&widths)
                .map(|(cell, w)| format!("{cell:>w$}"))
                .collect();
            let _ = writeln!(out, "{}", cells.join("  "));
        }
        out
    }
}

/// Where the speed of answer sits in [`Point`]'s figures and [`METRICS`].
const ASA: usize = 1;

const METRICS: [(&str, &str, f64); 4] = [
    ("Service level", "%", 100.0),
    ("Average speed of answer", "s", 1.0),
    ("Abandoned", "%", 100.0),
    ("Occupancy", "%", 100.0),
];

/// The points the chart of `metric` plots: all of them, but for the speed of answer, whose axis
/// the waits of a saturated queue would stretch a hundredfold.
fn charted(points: &[Point], metric: usize) -> Vec<&Point> {
    points
        .iter()
        .filter(|pt| !(metric == ASA && pt.saturated))
        .collect()
}

/// Renders the page.
pub fn render(p: &PlanPage) -> String {
    let mut h = String::new();
    let _ = write!(
        h,
        "<!doctype html><html><head><meta charset=\"utf-8\"><title>omnisim plan: {t}</title>\
         <style>{STYLE}</style></head><body><h1>Staffing: {t}</h1>",
        t = esc(p.title)
    );
    for f in &p.facts {
        let _ = write!(h, "<p>{}</p>", esc(f));
    }
    let _ = write!(h, "<p><b>{}</b></p>", esc(&p.recommendation));
    h.push_str(
        "<table><tr><th>agents</th><th>service level</th><th>analytic</th><th>ASA (s)</th>\
         <th>analytic</th><th>abandoned</th><th>analytic</th><th>occupancy</th><th>analytic</th>\
         <th></th></tr>",
    );
    for pt in &p.points {
        let _ = write!(h, "<tr><td>{}</td>", pt.agents);
        for (i, (_, _, scale)) in METRICS.iter().enumerate() {
            let _ = write!(
                h,
                "<td>{}</td><td>{}</td>",
                pt.simulated[i].show(*scale),
                pt.analytic
                    .map_or("–".to_owned(), |a| format!("{:.1}", a[i] * scale))
            );
        }
        let _ = write!(
            h,
            "<td>{}</td></tr>",
            if pt.meets_target {
                "<span class=\"pass\">meets target</span>"
            } else {
                ""
            }
        );
    }
    h.push_str("</table>");
    // One staff level has no curve to draw: the table says it all.
    let charts = if p.points.len() > 1 {
        METRICS.as_slice()
    } else {
        h.push_str("<p>One staff level: no chart to draw.</p>");
        &[]
    };
    for (i, (name, unit, scale)) in charts.iter().enumerate() {
        let x = |pt: &Point| f64::from(pt.agents);
        let shown = charted(&p.points, i);
        let simulated = Line::new(
            "simulated (95% CI)",
            shown
                .iter()
                .map(|pt| (x(pt), pt.simulated[i].mean * scale))
                .collect(),
        );
        let analytic = Line::new(
            "analytic",
            p.points
                .iter()
                .filter_map(|pt| pt.analytic.map(|a| (x(pt), a[i] * scale)))
                .collect(),
        );
        let band = Band {
            line: 0,
            points: shown
                .iter()
                .map(|pt| {
                    let e = &pt.simulated[i];
                    (
                        x(pt),
                        (e.mean - e.half_width) * scale,
                        (e.mean + e.half_width) * scale,
                    )
                })
                .collect(),
        };
        if let Ok(svg) =
            lines_with_bands(name, "agents", unit, &[simulated, analytic], &[band], false)
        {
            h.push_str(&svg);
        }
    }
    for section in &p.sections {
        let _ = write!(
            h,
            "<h2>{}</h2><p>{}</p><table><tr>",
            esc(&section.heading),
            esc(&section.note)
        );
        for c in &section.columns {
            let _ = write!(h, "<th>{}</th>", esc(c));
        }
        h.push_str("</tr>");
        for row in &section.rows {
            h.push_str("<tr>");
            for cell in row {
                let _ = write!(h, "<td>{}</td>", esc(cell));
            }
            h.push_str("</tr>");
        }
        h.push_str("</table>");
    }
    interval_chart(&mut h, p.intervals);
    for t in p.intervals {
        let _ = write!(
            h,
            "<h2>Intervals at {:.0}% of the forecast</h2><p>{:.1} agent-hours on contacts, {:.1} rostered</p>\
             <table><tr><th>start</th><th>volume</th><th>AHT (s)</th><th>load (Erl)</th><th>agents</th>\
             <th>rostered</th><th>SL</th><th>ASA (s)</th><th>P(wait)</th><th>P(abandon)</th><th>occupancy</th>{}</tr>",
            t.load_factor * 100.0,
            t.agent_hours,
            t.rostered_hours,
            if t.rows.iter().any(|r| r.simulated.is_some()) {
                "<th>simulated day: SL (%)</th><th>abandoned (%)</th>"
            } else {
                ""
            }
        );
        for r in &t.rows {
            let _ = write!(
                h,
                "<tr><td>{}</td><td>{:.0}</td><td>{:.0}</td><td>{:.2}</td><td>{}</td><td>{}</td>\
                 <td>{:.1}%</td><td>{:.1}</td><td>{:.1}%</td><td>{:.2}%</td><td{}>{:.1}%</td>{}</tr>",
                clock(r.start_s),
                r.volume,
                r.aht_s,
                r.offered_load_erlangs,
                r.agents,
                r.rostered,
                r.service_level * 100.0,
                r.asa_s,
                r.p_wait * 100.0,
                r.p_abandon * 100.0,
                if r.high_occupancy {
                    " class=\"warn\""
                } else {
                    ""
                },
                r.occupancy * 100.0,
                r.simulated.map_or(String::new(), |sim| format!(
                    "<td>{}</td><td>{}</td>",
                    sim.service_level.show(100.0),
                    sim.abandon_rate.show(100.0)
                ))
            );
        }
        h.push_str("</table>");
    }
    h.push_str("</body></html>\n");
    h
}

/// The agents each interval needs as steps over the day: on contacts for the forecast, and
/// rostered (after shrinkage) under each load what-if, so that a planner sees where the
/// roster must be and how far a busier day moves it.
fn interval_chart(h: &mut String, tables: &[Table]) {
    let steps = |t: &Table, n: fn(&crate::plan::intervals::IntervalRow) -> u32| {
        let mut points = Vec::with_capacity(t.rows.len() * 2);
        for r in &t.rows {
            let y = f64::from(n(r));
            points.push((r.start_s / 3600.0, y));
            points.push(((r.start_s + r.length_s) / 3600.0, y));
        }
        points
    };
    let names: Vec<String> = tables
        .iter()
        .map(|t| format!("rostered at {:.0}% of the forecast", t.load_factor * 100.0))
        .collect();
    let mut drawn: Vec<Line> = tables
        .iter()
        .zip(&names)
        .map(|(t, name)| Line::new(name, steps(t, |r| r.rostered)))
        .collect();
    let forecast = tables
        .iter()
        .position(|t| (t.load_factor - 1.0).abs() < 1e-9);
    if let Some(i) = forecast {
        drawn.push(Line {
            echoes: Some(i),
            ..Line::new(
                "on contacts at the forecast",
                steps(&tables[i], |r| r.agents),
            )
        });
    }
    if drawn.is_empty() {
        return;
    }
    h.push_str("<h2>Agents per interval</h2>");
    if let Ok(svg) = lines("Agents per interval", "hour", "agents", &drawn, false) {
        h.push_str(&svg);
    }
}

/// `hh:mm` from seconds (`hh:mm:ss` off the minute).
pub fn clock(s: f64) -> String {
    let s = s.round() as u64;
    let (h, m, sec) = (s / 3600, s / 60 % 60, s % 60);
    if sec == 0 {
        format!("{h:02}:{m:02}")
    } else {
        format!("{h:02}:{m:02}:{sec:02}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_page_has_the_table_a_chart_per_metric_and_the_recommendation() {
        let e = |m| Estimate {
            mean: m,
            half_width: 0.01,
        };
        let points = (10..13)
            .map(|n| Point {
                agents: n,
                simulated: [e(0.7 + f64::from(n - 10) * 0.1), e(5.0), e(0.02), e(0.8)],
                analytic: Some([0.75, 4.0, 0.02, 0.8]),
                meets_target: n >= 11,
                saturated: false,
            })
            .collect();
        let page = PlanPage {
            title: "q <1>",
            facts: vec!["200/h".into()],
            points,
            recommendation: "recommended: 11 agents".into(),
            sections: vec![Section {
                heading: "3 chats <each>".into(),
                note: "shares".into(),
                columns: vec!["agents".into(), "0 chats %".into()],
                rows: vec![vec!["10".into(), "1.5".into()]],
            }],
            intervals: &[],
        };
        let html = render(&page);
        assert!(html.contains("q &lt;1&gt;") && html.contains("recommended: 11 agents"));
        assert!(html.contains("<h2>3 chats &lt;each&gt;</h2><p>shares</p>"));
        assert!(html.contains("<th>0 chats %</th>") && html.contains("<td>1.5</td>"));
        assert_eq!(html.matches("<svg").count(), 4);
        assert_eq!(html.matches("meets target").count(), 2);
        let mut points = page.points;
        points[0].saturated = true;
        assert_eq!(charted(&points, ASA).len(), 2);
        assert_eq!(charted(&points, 0).len(), 3);
        assert_eq!(clock(5400.0), "01:30");
        assert_eq!(clock(610.0), "00:10:10");
        // Agents are whole: the axis labels each whole number once.
        let svg = html.split("<svg").nth(1).unwrap();
        let labels: Vec<&str> = svg.lines().map(str::trim).collect();
        for n in ["10", "11", "12"] {
            assert_eq!(labels.iter().filter(|l| **l == n).count(), 1, "{n}");
        }
        // One staff level is a table, not four empty charts.
        points.truncate(1);
        let single = PlanPage { points, ..page };
        let html = render(&single);
        assert_eq!(html.matches("<svg").count(), 0);
        assert!(html.contains("One staff level"));
    }

    /// An interval plan draws the agents each interval needs, on contacts and rostered under
    /// every load what-if.
    #[test]
    fn an_interval_plan_charts_agents_per_interval() {
        use crate::plan::intervals::{example_goal, staff};
        let goal = example_goal();
        let day = [(1800.0, 100.0), (1800.0, 300.0)];
        let tables: Vec<Table> = [1.0, 1.25]
            .iter()
            .map(|f| staff(&day, 180.0, &goal, *f).unwrap())
            .collect();
        let page = PlanPage {
            title: "day",
            facts: Vec::new(),
            points: Vec::new(),
            recommendation: String::new(),
            sections: Vec::new(),
            intervals: &tables,
        };
        let html = render(&page);
        let chart = html.split("<svg").nth(1).expect("the interval chart");
        for name in [
            "rostered at 100% of the forecast",
            "rostered at 125% of the forecast",
            "on contacts at the forecast",
        ] {
            assert!(chart.contains(name), "{name}");
        }
        assert!(tables[0].rows[1].rostered > tables[0].rows[0].rostered);
    }
}
