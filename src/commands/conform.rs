//! `omnisim conform`: the conformance suite against a server (the embedded reference server by
//! default), with a terminal table, conformance.json, conformance.html and JUnit XML.

use anyhow::Context;
use omnisim::conform::{self, Selection, cases, report};
use omnisim::live::client::Client;
use omnisim::protocol::ClockMode;
use omnisim::reference_server::faults::Fault;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(clap::Args, Debug)]
pub struct ConformArgs {
    /// The target (each case creates its own org with the admin token).
    #[command(flatten)]
    target: super::target::TargetArgs,
    /// Run only cases whose id or name matches (glob, repeatable): `routing/*`, `*decline*`.
    #[arg(long)]
    filter: Vec<String>,
    /// Leave out matching cases (glob, repeatable); needs --reason, which the report carries.
    #[arg(long, requires = "reason")]
    exclude: Vec<String>,
    /// Why the excluded cases are left out.
    #[arg(long)]
    reason: Option<String>,
    /// List the selected cases and their rules without running them.
    #[arg(long)]
    list: bool,
    /// Cases run at once.
    #[arg(long, default_value_t = 4)]
    jobs: usize,
    /// Also write JUnit XML here.
    #[arg(long)]
    junit: Option<PathBuf>,
    /// Where conformance.json and conformance.html go; default reports/conformance-<timestamp>/.
    #[arg(long)]
    out: Option<PathBuf>,
    /// Switch a deliberate bug on in the embedded server (repeatable; `omnisim serve
    /// --list-faults` lists them), to see which cases catch it.
    #[arg(long = "fault", value_name = "NAME", value_parser = super::serve::parse_fault, conflicts_with = "target")]
    faults: Vec<Fault>,
    /// The embedded server's clock: `manual` (each org's time moves only when a case advances
    /// it, so timers are checked to the millisecond) or `wall` (timers on real time, with
    /// tolerance; the exact boundary cases are skipped).
    #[arg(long, default_value = "manual", value_parser = super::serve::parse_clock, conflicts_with = "target")]
    clock: ClockMode,
}

/// Exit code: 0 when every case run passed, 1 on any failure or error.
pub fn run(args: ConformArgs) -> anyhow::Result<ExitCode> {
    let selection = Selection {
        filter: args.filter.clone(),
        exclude: args.exclude.clone(),
        reason: args.reason.clone().unwrap_or_default(),
    };
    if args.list {
        use std::fmt::Write as _;
        let mut listing = String::new();
        for case in cases::catalog() {
            if let Some(runs) = selection.pick(&case) {
                let note = if runs { "" } else { "  (excluded)" };
                let needs: Vec<String> = case
                    .requires
                    .iter()
                    .filter_map(|c| serde_json::to_value(c).ok())
                    .filter_map(|v| v.as_str().map(|s| format!("needs:{s}")))
                    .collect();
                let _ = writeln!(
                    listing,
                    "{:<14} {:<52} {}{note}",
                    case.id,
                    case.name,
                    case.rules
                        .iter()
                        .map(|r| r.to_string())
                        .chain(needs)
                        .collect::<Vec<_>>()
                        .join(" ")
                );
            }
        }
        // A reader that stops early (`| head`) is no error.
        let _ = std::io::Write::write_all(&mut std::io::stdout().lock(), listing.as_bytes());
        return Ok(ExitCode::SUCCESS);
    }
    let target = args.target.target()?;
    let faults = args.faults.iter().copied().collect();
    let target = target
        .connect(faults, args.clock)
        .context("starting the embedded reference server")?;
    let client = Client::with_access(&target.url, target.access.clone());
    let runtime = tokio::runtime::Runtime::new().context("starting the async runtime")?;
    let reports = runtime.block_on(conform::run_with(
        client,
        &target.admin_token,
        &selection,
        args.jobs,
    ));
    let name = target.name.clone();
    target.stop();
    print!("{}", report::table(&reports));
    let out = args
        .out
        .clone()
        .unwrap_or_else(|| super::default_out("conformance"));
    std::fs::create_dir_all(&out).with_context(|| format!("creating {}", out.display()))?;
    let json = serde_json::json!({ "target": name, "cases": reports });
    let path = out.join("conformance.json");
    std::fs::write(&path, serde_json::to_string_pretty(&json)?)
        .with_context(|| format!("writing {}", path.display()))?;
    let page = out.join("conformance.html");
    std::fs::write(&page, report::html(&name, &reports))
        .with_context(|| format!("writing {}", page.display()))?;
    if let Some(junit) = &args.junit {
        std::fs::write(junit, report::junit(&reports))
            .with_context(|| format!("writing {}", junit.display()))?;
    }
    println!("report: {}", page.display());
    let [_, fail, error, ..] = report::counts(&reports);
    Ok(if fail + error > 0 {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}
