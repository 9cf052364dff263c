//! SVG charts for the HTML report, drawn with plotters' SVG backend (text is left to the browser).

use plotters::element::DashedPathElement;
use plotters::prelude::*;

/// One named line of (x, y) points.
pub struct Line<'a> {
    pub name: &'a str,
    pub points: Vec<(f64, f64)>,
    /// Drawn dashed in the colour of the line at this index: another view of that line's
    /// figures (the uncorrected curve beside the corrected one).
    pub echoes: Option<usize>,
}

impl<'a> Line<'a> {
    pub fn new(name: &'a str, points: Vec<(f64, f64)>) -> Line<'a> {
        Line {
            name,
            points,
            echoes: None,
        }
    }
}

const COLORS: [RGBColor; 8] = [
    RGBColor(31, 119, 180),
    RGBColor(255, 127, 14),
    RGBColor(44, 160, 44),
    RGBColor(214, 39, 40),
    RGBColor(148, 103, 189),
    RGBColor(140, 86, 75),
    RGBColor(227, 119, 194),
    RGBColor(127, 127, 127),
];

/// A shaded range around a line, drawn in that line's colour: (x, low, high) points.
pub struct Band {
    /// The index of the line in the chart it belongs to.
    pub line: usize,
    pub points: Vec<(f64, f64, f64)>,
}

/// Puts each chart into the page `h`, or says why one could not be drawn.
pub fn embed(h: &mut String, charts: Vec<Result<String, String>>) {
    for chart in charts {
        match chart {
            Ok(svg) => {
                h.push_str(&svg);
                h.push_str("<br>");
            }
            Err(e) => {
                h.push_str("<p>chart unavailable: ");
                h.push_str(&super::html::esc(&e));
                h.push_str("</p>");
            }
        }
    }
}

/// What a mark on a timeline says happened in that second.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MarkKind {
    /// Faults were injected (provider retries, dropped sockets).
    Faults,
    /// The generator fell behind its schedule (lag p99 above 5 ms, or arrivals dropped).
    GeneratorBehind,
    /// The second's p99 was above the run's threshold on it.
    AboveThreshold,
    /// The run stopped there: the target was lost or the run interrupted.
    Stopped,
}

impl MarkKind {
    fn color(self) -> RGBColor {
        match self {
            MarkKind::Faults => RGBColor(23, 190, 207),
            MarkKind::GeneratorBehind => RGBColor(255, 127, 14),
            MarkKind::AboveThreshold => RGBColor(214, 39, 40),
            MarkKind::Stopped => BLACK,
        }
    }
}

/// The seconds of one kind of mark, and what its legend says.
#[derive(Clone)]
pub struct Marks<'a> {
    pub kind: MarkKind,
    pub name: &'a str,
    pub at: Vec<f64>,
}

/// A line chart as an SVG string; `log_x` plots x on a log10 scale.
pub fn lines(
    title: &str,
    x_label: &str,
    y_label: &str,
    lines: &[Line],
    log_x: bool,
) -> Result<String, String> {
    draw(title, x_label, y_label, lines, &[], &[], log_x)
}

/// A chart over the run's seconds with marks along the top: each kind of mark in a lane of its
/// own, so that faults, lag and threshold excursions can be read against the lines below them.
pub fn timeline(
    title: &str,
    y_label: &str,
    lines: &[Line],
    marks: &[Marks],
) -> Result<String, String> {
    draw(title, "seconds", y_label, lines, &[], marks, false)
}

/// A line chart with shaded ranges (confidence intervals) behind some of its lines.
pub fn lines_with_bands(
    title: &str,
    x_label: &str,
    y_label: &str,
    lines: &[Line],
    bands: &[Band],
    log_x: bool,
) -> Result<String, String> {
    draw(title, x_label, y_label, lines, bands, &[], log_x)
}

fn draw(
    title: &str,
    x_label: &str,
    y_label: &str,
    lines: &[Line],
    bands: &[Band],
    marks: &[Marks],
    log_x: bool,
) -> Result<String, String> {
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (760, 360)).into_drawing_area();
        root.fill(&WHITE).map_err(|e| e.to_string())?;
        let all = lines.iter().flat_map(|l| l.points.iter());
        let marked = marks.iter().flat_map(|m| m.at.iter().map(|x| (*x, 0.0)));
        let (mut x0, mut x1, mut y1) = (f64::MAX, f64::MIN, 0.0f64);
        let band_tops = bands
            .iter()
            .flat_map(|b| b.points.iter().map(|p| (p.0, p.2)));
        for (x, y) in all.copied().chain(band_tops).chain(marked) {
            if !(x.is_finite() && y.is_finite()) {
                continue;
            }
            x0 = x0.min(x);
            x1 = x1.max(x);
            y1 = y1.max(y);
        }
        if x0 > x1 {
            (x0, x1) = (0.0, 1.0);
        }
        if x1 <= x0 {
            x1 = x0 + 1.0;
        }
        let y1 = if y1 <= 0.0 { 1.0 } else { y1 * 1.05 };
        let mut chart = ChartBuilder::on(&root)
            .caption(title, ("sans-serif", 18))
            .margin(12)
            .x_label_area_size(40)
            .y_label_area_size(60)
            .build_cartesian_2d(x0..x1, 0.0..y1)
            .map_err(|e| e.to_string())?;
        // Whole-number axes get at most one label per whole number: agents, so that a short span
        // is not labelled 14 14 14 15 15; nines, so that the percentiles read 90 %, 99 %, 99.9 %.
        let labels = ((x1 - x0).floor() as usize + 1).clamp(2, 10);
        chart
            .configure_mesh()
            .x_desc(x_label)
            .y_desc(y_label)
            .x_labels(labels)
            .x_label_formatter(&|x| {
                if log_x {
                    let decimals = (x.round() as usize).saturating_sub(2);
                    format!("{:.*}%", decimals, 100.0 * (1.0 - 10f64.powf(-x)))
                } else {
                    format!("{x:.0}")
                }
            })
            .draw()
            .map_err(|e| e.to_string())?;
        for band in bands {
            let color = COLORS[band.line % COLORS.len()];
            let upper = band.points.iter().map(|p| (p.0, p.2));
            let lower = band.points.iter().rev().map(|p| (p.0, p.1));
            let outline: Vec<(f64, f64)> = upper
                .chain(lower)
                .filter(|(x, y)| x.is_finite() && y.is_finite())
                .collect();
            chart
                .draw_series(std::iter::once(Polygon::new(
                    outline,
                    color.mix(0.2).filled(),
                )))
                .map_err(|e| e.to_string())?;
        }
        // Echoes take their line's colour; the others take the palette in turn.
        let mut colors = Vec::with_capacity(lines.len());
        let mut primaries = 0;
        for line in lines {
            let color = match line.echoes.and_then(|i| colors.get(i).copied()) {
                Some(c) => c,
                None => {
                    primaries += 1;
                    COLORS[(primaries - 1) % COLORS.len()]
                }
            };
            colors.push(color);
        }
        for (line, color) in lines.iter().zip(colors) {
            let points = line
                .points
                .iter()
                .copied()
                .filter(|(x, y)| x.is_finite() && y.is_finite());
            let style = color.stroke_width(2);
            if line.echoes.is_some() {
                chart
                    .draw_series(DashedLineSeries::new(points, 6, 4, style))
                    .map_err(|e| e.to_string())?
                    .label(line.name)
                    .legend(move |(x, y)| {
                        DashedPathElement::new(vec![(x, y), (x + 18, y)], 4, 3, style)
                    });
            } else {
                chart
                    .draw_series(LineSeries::new(points, style))
                    .map_err(|e| e.to_string())?
                    .label(line.name)
                    .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 18, y)], style));
            }
        }
        let lanes = marks.iter().filter(|m| m.kind != MarkKind::Stopped);
        for (lane, m) in lanes.enumerate() {
            let color = m.kind.color();
            let (low, high) = (
                y1 * (0.965 - 0.05 * lane as f64),
                y1 * (1.0 - 0.05 * lane as f64),
            );
            chart
                .draw_series(
                    m.at.iter().map(|x| {
                        PathElement::new(vec![(*x, low), (*x, high)], color.stroke_width(3))
                    }),
                )
                .map_err(|e| e.to_string())?
                .label(m.name)
                .legend(move |(x, y)| {
                    PathElement::new(vec![(x + 9, y - 6), (x + 9, y + 6)], color.stroke_width(3))
                });
        }
        for m in marks.iter().filter(|m| m.kind == MarkKind::Stopped) {
            let color = m.kind.color();
            chart
                .draw_series(
                    m.at.iter().map(|x| {
                        PathElement::new(vec![(*x, 0.0), (*x, y1)], color.stroke_width(2))
                    }),
                )
                .map_err(|e| e.to_string())?
                .label(m.name)
                .legend(move |(x, y)| {
                    PathElement::new(vec![(x + 9, y - 6), (x + 9, y + 6)], color.stroke_width(2))
                });
        }
        chart
            .configure_series_labels()
            .background_style(WHITE.mix(0.8))
            .border_style(BLACK)
            .draw()
            .map_err(|e| e.to_string())?;
        root.present().map_err(|e| e.to_string())?;
    }
    Ok(svg)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn draws_an_svg_with_its_labels() {
        let l = Line::new("routing", vec![(0.0, 1.0), (1.0, 3.0), (2.0, 2.5)]);
        let svg = lines("Routing latency", "seconds", "ms", &[l], false).unwrap();
        assert!(
            svg.starts_with("<svg") && svg.contains("Routing latency") && svg.contains("routing")
        );
    }

    /// Each kind of mark gets its legend entry and one stroke per marked second, in its colour.
    #[test]
    fn a_timeline_marks_its_seconds_lane_by_lane() {
        let l = Line::new("routing p99", vec![(1.0, 2.0), (2.0, 30.0), (3.0, 4.0)]);
        let marks = [
            Marks {
                kind: MarkKind::Faults,
                name: "faults injected",
                at: vec![1.0, 3.0],
            },
            Marks {
                kind: MarkKind::AboveThreshold,
                name: "p99 above 10 ms",
                at: vec![2.0],
            },
        ];
        let svg = timeline("Routing", "ms", &[l], &marks).unwrap();
        assert!(svg.contains("faults injected") && svg.contains("p99 above 10 ms"));
        let strokes = |c: RGBColor| {
            let hex = format!("#{:02X}{:02X}{:02X}", c.0, c.1, c.2);
            svg.lines().filter(|l| l.contains(&hex)).count()
        };
        // The marks, and one stroke in the legend each.
        assert_eq!(strokes(MarkKind::Faults.color()), 3);
        assert_eq!(strokes(MarkKind::AboveThreshold.color()), 2);
    }

    /// An echo is dashed in its line's colour, and the next line takes the next colour.
    #[test]
    fn an_echo_is_dashed_in_its_lines_colour() {
        let points = vec![(0.0, 1.0), (1.0, 2.0)];
        let lines = [
            Line::new("routing", points.clone()),
            Line {
                echoes: Some(0),
                ..Line::new("routing (uncorrected)", points.clone())
            },
            Line::new("speed_to_answer", points),
        ];
        let svg = super::lines("curves", "x", "y", &lines, false).unwrap();
        let hex = |c: RGBColor| format!("#{:02X}{:02X}{:02X}", c.0, c.1, c.2);
        let strokes = |c: RGBColor| svg.matches(&format!("stroke=\"{}\"", hex(c))).count();
        // Two lines and two legend entries in the first colour; the third line in the second.
        assert!(strokes(COLORS[0]) > 4, "{}", strokes(COLORS[0]));
        assert_eq!(strokes(COLORS[1]), 2, "a line and its legend");
    }

    /// A percentile curve's axis counts nines: its labels are the percentiles people read.
    #[test]
    fn a_nines_axis_is_labelled_with_the_usual_percentiles() {
        let l = Line::new(
            "routing",
            (0..=8)
                .map(|i| (f64::from(i) / 2.0, f64::from(i)))
                .collect(),
        );
        let svg = lines("Latency by percentile", "percentile", "ms", &[l], true).unwrap();
        let labels: Vec<&str> = svg.lines().map(str::trim).collect();
        for p in ["0%", "90%", "99%", "99.9%", "99.99%"] {
            assert!(labels.contains(&p), "{p} missing");
        }
        assert!(!labels.iter().any(|l| l.ends_with("000%")), "no 99.000%");
    }
}
