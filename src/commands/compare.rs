//! `omnisim compare BASE NEW`: two runs' summaries side by side as a Markdown table, and as a
//! page with their curves overlaid (`--html`), exiting 99 when a figure got worse beyond the
//! bound (a regression gate for CI).

use anyhow::Context;
use omnisim::measure::compare::{Bounds, Comparison};
use omnisim::measure::histograms::{self, Histograms};
use omnisim::measure::summary::Summary;
use omnisim::report::compare_html;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

#[derive(clap::Args, Debug)]
pub struct CompareArgs {
    /// The base run: its summary.json, or the directory holding it.
    base: PathBuf,
    /// The new run, likewise.
    new: PathBuf,
    /// How much worse a figure may get, relative to the base (e.g. 10% or 0.1).
    #[arg(long, default_value = "10%", value_parser = parse_fraction)]
    max_regression: f64,
    /// How many milliseconds worse a latency must also be to count (sub-millisecond noise).
    #[arg(long, default_value_t = 1.0)]
    latency_floor_ms: f64,
    /// Also write the Markdown table here (e.g. "$GITHUB_STEP_SUMMARY").
    #[arg(long, value_name = "FILE")]
    markdown: Option<PathBuf>,
    /// Also write a page with both runs' figures, counts and curves overlaid.
    #[arg(long, value_name = "FILE")]
    html: Option<PathBuf>,
}

fn parse_fraction(s: &str) -> Result<f64, String> {
    let value = match s.strip_suffix('%') {
        Some(p) => p.trim().parse::<f64>().map(|v| v / 100.0),
        None => s.trim().parse::<f64>(),
    }
    .map_err(|_| format!("'{s}' is not a fraction (10% or 0.1)"))?;
    if value.is_finite() && value >= 0.0 {
        Ok(value)
    } else {
        Err(format!("'{s}' must be zero or more"))
    }
}

/// A run as compared: its summary, and its whole-run histograms when histograms.json is beside
/// the summary (runs and merges write it).
struct Run {
    summary: Summary,
    histograms: Option<Histograms>,
}

/// A run from its summary.json, or from the directory holding it.
fn load(path: &Path) -> anyhow::Result<Run> {
    let file = if path.is_dir() {
        path.join("summary.json")
    } else {
        path.to_owned()
    };
    let text =
        std::fs::read_to_string(&file).with_context(|| format!("reading {}", file.display()))?;
    let summary = serde_json::from_str(&text)
        .with_context(|| format!("{}: not a summary.json", file.display()))?;
    let beside = file.with_file_name("histograms.json");
    let histograms = match std::fs::read_to_string(&beside) {
        Ok(text) => Some(
            serde_json::from_str(&text)
                .with_context(|| format!("{}: not a histograms.json", beside.display()))?,
        ),
        Err(_) => None,
    };
    Ok(Run {
        summary,
        histograms,
    })
}

/// `metric`'s percentile curve in `run`: exact from its histogram, else its summary's
/// percentiles.
fn curve(run: &Run, metric: &str) -> anyhow::Result<Vec<(f64, f64)>> {
    let encoded = run
        .histograms
        .as_ref()
        .and_then(|h| h.corrected.get(metric));
    Ok(match encoded {
        Some(text) => {
            let h = histograms::decode(metric, text).map_err(anyhow::Error::msg)?;
            omnisim::measure::recorder::curve(&h)
        }
        None => compare_html::from_summary(&run.summary, metric),
    })
}

/// The page, with every latency either run measured.
fn page(c: &Comparison, base: &Run, new: &Run) -> anyhow::Result<String> {
    let metrics: BTreeSet<&String> = base
        .summary
        .latency_ms
        .keys()
        .chain(new.summary.latency_ms.keys())
        .collect();
    let mut curves = BTreeMap::new();
    for metric in metrics {
        let c = compare_html::Curves {
            base: curve(base, metric)?,
            new: curve(new, metric)?,
        };
        curves.insert(metric.clone(), c);
    }
    Ok(compare_html::render(
        c,
        &base.summary,
        &new.summary,
        &curves,
    ))
}

pub fn run(args: CompareArgs) -> anyhow::Result<ExitCode> {
    let (base, new) = (load(&args.base)?, load(&args.new)?);
    let bounds = Bounds {
        relative: args.max_regression,
        latency_floor_ms: args.latency_floor_ms,
        ..Bounds::default()
    };
    let comparison = Comparison::of(&base.summary, &new.summary, bounds);
    let table = comparison.markdown();
    print!("{table}");
    if let Some(path) = &args.markdown {
        std::fs::write(path, &table).with_context(|| format!("writing {}", path.display()))?;
    }
    if let Some(path) = &args.html {
        let html = page(&comparison, &base, &new)?;
        std::fs::write(path, html).with_context(|| format!("writing {}", path.display()))?;
    }
    Ok(if comparison.regressions().next().is_some() {
        ExitCode::from(super::run::exit::THRESHOLD_BREACHED)
    } else {
        ExitCode::SUCCESS
    })
}
