//! `omnisim merge DIR… --out DIR`: the result directories of a test's shards merged into one
//! run's summary.json, latency.hlog and report.html.

use anyhow::{Context, bail};
use omnisim::measure::merge::{self, ShardRun};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

#[derive(clap::Args, Debug)]
pub struct MergeArgs {
    /// The shards' output directories (each with summary.json, histograms.json, latency.hlog).
    #[arg(required = true)]
    shards: Vec<PathBuf>,
    /// Where the merged run is written.
    #[arg(long)]
    out: PathBuf,
}

/// The most a shard's file may weigh.
const MAX_FILE: u64 = 512 * 1024 * 1024;

fn shard(dir: &Path) -> anyhow::Result<ShardRun> {
    let read = |name: &str| super::read_bounded(&dir.join(name), MAX_FILE);
    let summary = serde_json::from_str(&read("summary.json")?)
        .with_context(|| format!("{}: summary.json is not a summary", dir.display()))?;
    let histograms = serde_json::from_str(&read("histograms.json")?)
        .with_context(|| format!("{}: histograms.json is not histograms", dir.display()))?;
    Ok(ShardRun {
        dir: dir.display().to_string(),
        summary,
        histograms,
        interval_log: read("latency.hlog").unwrap_or_default(),
    })
}

pub fn run(args: MergeArgs) -> anyhow::Result<ExitCode> {
    let runs = args
        .shards
        .iter()
        .map(|d| shard(d))
        .collect::<anyhow::Result<Vec<_>>>()?;
    let merged = merge::merge(&runs)?;
    if args.shards.iter().any(|d| d == &args.out) {
        bail!("--out {} is one of the shards", args.out.display());
    }
    let out = &args.out;
    std::fs::create_dir_all(out).with_context(|| format!("creating {}", out.display()))?;
    let write = |name: &str, bytes: &[u8]| {
        let path = out.join(name);
        std::fs::write(&path, bytes).with_context(|| format!("writing {}", path.display()))
    };
    let s = &merged.summary;
    write("summary.json", serde_json::to_string_pretty(s)?.as_bytes())?;
    write("latency.hlog", merged.interval_log.as_bytes())?;
    let page = omnisim::report::html::render(s, &merged.percentiles);
    write("report.html", page.as_bytes())?;
    print!("{}", super::run::render(s));
    println!(
        "merged {} shards: {}",
        runs.len(),
        out.join("summary.json").display()
    );
    let breached = s.thresholds.iter().any(|t| !t.passed);
    Ok(ExitCode::from(if s.target_lost.is_some() {
        super::run::exit::TARGET_UNREACHABLE
    } else if !s.protocol_violations.is_empty() {
        super::run::exit::PROTOCOL_VIOLATED
    } else if breached {
        super::run::exit::THRESHOLD_BREACHED
    } else {
        super::run::exit::PASSED
    }))
}
