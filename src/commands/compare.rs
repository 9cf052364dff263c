//! `omnisim compare BASE NEW`: two runs' summaries side by side as a Markdown table, exiting 99
//! when a figure got worse beyond the bound (a regression gate for CI).

use anyhow::Context;
use omnisim::measure::compare::{Bounds, Comparison};
use omnisim::measure::summary::Summary;
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

/// A summary from a file, or from the summary.json in a directory.
fn load(path: &Path) -> anyhow::Result<Summary> {
    let file = if path.is_dir() {
        path.join("summary.json")
    } else {
        path.to_owned()
    };
    let text =
        std::fs::read_to_string(&file).with_context(|| format!("reading {}", file.display()))?;
    serde_json::from_str(&text).with_context(|| format!("{}: not a summary.json", file.display()))
}

pub fn run(args: CompareArgs) -> anyhow::Result<ExitCode> {
    let (base, new) = (load(&args.base)?, load(&args.new)?);
    let bounds = Bounds {
        relative: args.max_regression,
        latency_floor_ms: args.latency_floor_ms,
        ..Bounds::default()
    };
    let comparison = Comparison::of(&base, &new, bounds);
    let table = comparison.markdown();
    print!("{table}");
    if let Some(path) = &args.markdown {
        std::fs::write(path, &table).with_context(|| format!("writing {}", path.display()))?;
    }
    Ok(if comparison.regressions().next().is_some() {
        ExitCode::from(super::run::exit::THRESHOLD_BREACHED)
    } else {
        ExitCode::SUCCESS
    })
}
