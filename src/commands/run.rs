//! `omnisim run SCENARIO`: a live run against a server (the embedded reference server by default),
//! with a summary on the terminal, `summary.json` in the output directory, and an exit code set by
//! the thresholds.

use anyhow::{Context, bail};
use indicatif::{ProgressBar, ProgressStyle};
use omnisim::live::{self, Hooks, RunError, RunOptions, RunOrg, Target};
use omnisim::measure::{Progress, ProgressFn, Summary};
use omnisim::scenario::Scenario;
use omnisim::scenario::shard::Shard;
use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

/// Exit codes of `omnisim run` (docs/scenarios.md); 99 also when `--strict` and the history
/// checker found violations. A harness error (an `Err` out of `main`) exits
/// with 1 and a command-line mistake with 2, as clap does.
pub mod exit {
    pub const PASSED: u8 = 0;
    pub const BAD_SCENARIO: u8 = 3;
    pub const TARGET_UNREACHABLE: u8 = 4;
    pub const PROTOCOL_VIOLATED: u8 = 5;
    pub const THRESHOLD_BREACHED: u8 = 99;

    /// What a shell reports for a run ended by `signal`: 128 + its number.
    pub fn interrupted(signal: &str) -> u8 {
        if signal == "SIGTERM" { 143 } else { 130 }
    }
}

#[derive(clap::Args, Debug)]
pub struct RunArgs {
    /// The scenario file (TOML).
    scenario: PathBuf,
    /// The target (the run's org is created with the admin token).
    #[command(flatten)]
    target: super::target::TargetArgs,
    /// Overrides the scenario's seed.
    #[arg(long)]
    seed: Option<u64>,
    /// Overrides the scenario's duration (e.g. 30s, 5m).
    #[arg(long)]
    duration: Option<humantime::Duration>,
    /// Output directory; default reports/<scenario>-<timestamp>/.
    #[arg(long)]
    out: Option<PathBuf>,
    /// Fail the run (exit 99) when the history checker finds a platform rule broken.
    #[arg(long)]
    strict: bool,
    /// Run in virtual time: the reference engine and the simulated parties on a virtual clock in
    /// one thread, no sockets; deterministic for a seed.
    #[arg(long, conflicts_with = "target")]
    r#virtual: bool,
    /// Join the platform side `omnisim setup` made (its FILE) instead of creating one; the
    /// target is the one it names.
    #[arg(long, value_name = "FILE", conflicts_with_all = ["target", "virtual"])]
    join: Option<PathBuf>,
    /// Run slice I of N of the test (with --join): the arrivals, agents and outbound
    /// conversations whose index in the seed's one schedule is I modulo N.
    #[arg(long, value_name = "I/N", default_value = "0/1", value_parser = Shard::parse)]
    shard: Shard,
    /// When the first arrival is due, RFC 3339 (2026-12-06T18:00:00Z): shards started apart
    /// line up on it.
    #[arg(long, value_name = "TIME", value_parser = parse_time, conflicts_with = "virtual")]
    start_at: Option<std::time::SystemTime>,
    /// Serve the run's own figures (arrivals, sessions open, latency histograms) in Prometheus'
    /// text format at http://ADDR/metrics while it runs.
    #[arg(long, value_name = "ADDR", conflicts_with = "virtual")]
    metrics_addr: Option<std::net::SocketAddr>,
    /// Serve a live view of the run at http://ADDR/ (127.0.0.1:5665 when no ADDR is given):
    /// arrivals, sessions open, routing p99, queue depth, occupancy and findings each second,
    /// then the verdict and a link to the report.
    #[arg(
        long,
        value_name = "ADDR",
        num_args = 0..=1,
        require_equals = true,
        default_missing_value = "127.0.0.1:5665",
        conflicts_with = "virtual"
    )]
    dashboard: Option<std::net::SocketAddr>,
    /// Hold at most N customers at once (by default as many as the open-file limit allows);
    /// arrivals past it are dropped and counted.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..), conflicts_with = "virtual")]
    max_customers: Option<u64>,
    /// Keep serving the dashboard, and the report at /report, this long after the run (until
    /// SIGINT or SIGTERM).
    #[arg(
        long,
        value_name = "DURATION",
        default_value = "0s",
        requires = "dashboard"
    )]
    dashboard_linger: humantime::Duration,
}

fn parse_time(text: &str) -> Result<std::time::SystemTime, String> {
    humantime::parse_rfc3339_weak(text).map_err(|e| format!("'{text}': {e} (RFC 3339 expected)"))
}

/// The platform side a run joins, checked against its scenario.
fn joined(path: &std::path::Path, scenario: &Scenario) -> anyhow::Result<live::setup::Prepared> {
    let text = super::read_bounded(path, 64 * 1024 * 1024)?;
    let prepared: live::setup::Prepared = serde_json::from_str(&text)
        .with_context(|| format!("{}: not a file omnisim setup wrote", path.display()))?;
    prepared
        .check(scenario)
        .map_err(|m| anyhow::anyhow!("{}: {m}", path.display()))?;
    Ok(prepared)
}

/// Live progress: a bar on a terminal, a plain line a second otherwise (CI logs).
fn progress() -> ProgressFn {
    if !std::io::stderr().is_terminal() {
        return Arc::new(|p: &Progress| eprintln!("{}", p.line()));
    }
    let bar = ProgressBar::new(0);
    let style = ProgressStyle::with_template(
        "{elapsed_precise} [{bar:30.cyan/blue}] {pos:>4}/{len}s  {msg}",
    )
    .unwrap_or_else(|_| ProgressStyle::default_bar());
    bar.set_style(style);
    Arc::new(move |p: &Progress| {
        bar.set_length(p.total_s as u64);
        bar.set_position((p.elapsed_s as u64).min(p.total_s as u64));
        bar.set_message(format!(
            "sessions {} (open {})  msgs/s {:.0}  queue {}  occupancy {:.0}%  routing p99 {:.1} ms",
            p.sessions,
            p.open,
            p.messages_per_s,
            p.queue_depth,
            p.occupancy * 100.0,
            p.routing_p99_ms
        ));
    })
}

/// Runs the scenario; returns the exit code the outcome calls for.
pub fn run(args: RunArgs) -> anyhow::Result<ExitCode> {
    let scenario = match Scenario::load(&args.scenario) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: {e}");
            return Ok(ExitCode::from(exit::BAD_SCENARIO));
        }
    };
    if args.duration.is_some_and(|d| Duration::from(d).is_zero()) {
        eprintln!("error: --duration: a run needs some time to run");
        return Ok(ExitCode::from(exit::BAD_SCENARIO));
    }
    if args.r#virtual {
        let duration = args.duration.map_or(scenario.duration.0, Into::into);
        let count = scenario.arrivals.expected(duration);
        match super::memory::check(count, &super::memory::VIRTUAL) {
            Ok(None) => {}
            Ok(Some(warning)) => eprintln!("warning: {warning}"),
            Err(refusal) => {
                eprintln!(
                    "error: {}: {refusal}; shorten --duration or lower the arrival rate",
                    args.scenario.display()
                );
                return Ok(ExitCode::from(exit::BAD_SCENARIO));
            }
        }
    }
    // Before the run, so that a run is never lost to a directory it cannot write.
    let out = args
        .out
        .clone()
        .unwrap_or_else(|| super::default_out(&scenario.name));
    std::fs::create_dir_all(&out).with_context(|| format!("creating {}", out.display()))?;
    if args.shard != Shard::WHOLE && args.join.is_none() {
        bail!(
            "--shard {} needs --join: the shards share one platform side that omnisim setup made",
            args.shard
        );
    }
    let (target, world) = match &args.join {
        Some(path) => {
            let prepared = joined(path, &scenario)?;
            let target = Target::Url {
                url: prepared.url,
                admin_token: String::new(),
                access: args.target.access()?,
            };
            (target, Some(prepared.world))
        }
        None => (args.target.target()?, None),
    };
    let duration = args.duration.map(Into::into);
    let show = progress();
    let target_file = out.join("target.json");
    let on_setup: live::OnSetup = Arc::new(move |org: &RunOrg| {
        if let Err(e) = write_target(&target_file, org) {
            eprintln!("warning: writing {}: {e}", target_file.display());
        }
    });
    let dashboard = match args.dashboard {
        Some(addr) => match live::dashboard::Dashboard::serve(addr, &run_info(&scenario, &args)) {
            Ok(d) => {
                eprintln!("dashboard: http://{}/", d.addr());
                Some(d)
            }
            // A command-line mistake (the address is taken or not ours), before any load.
            Err(e) => {
                eprintln!("error: {e}");
                return Ok(ExitCode::from(2));
            }
        },
        None => None,
    };
    let (interrupt_tx, interrupt) = tokio::sync::watch::channel(None);
    let options = RunOptions {
        target,
        seed: args.seed,
        duration,
        progress: Some(show.clone()),
        hooks: Hooks {
            on_setup: Some(on_setup),
            interrupt: Some(interrupt),
            on_log: Some(log_to(out.join("latency.hlog"))),
            metrics_addr: args.metrics_addr,
            dashboard: dashboard.clone(),
            max_customers: args.max_customers,
        },
        shard: args.shard,
        joined: world,
        start_at: args.start_at,
    };
    let unsimulated = omnisim::virtual_time::unsimulated_faults(&scenario);
    let scenario_max_transport_errors = scenario.max_transport_errors;
    let started = std::time::Instant::now();
    let outcome = if args.r#virtual {
        match omnisim::virtual_time::run_reporting(scenario, args.seed, duration, show) {
            Ok(o) => o,
            Err(e) => {
                eprintln!("error: {}: {e}", args.scenario.display());
                return Ok(ExitCode::from(exit::BAD_SCENARIO));
            }
        }
    } else {
        match live_run(scenario, options, interrupt_tx)? {
            Ok(o) => o,
            Err(code) => return Ok(code),
        }
    };
    let run_time = started.elapsed();
    let mut summary = outcome.summary;
    summary.shard = (args.shard != Shard::WHOLE).then_some(args.shard);
    let report = out.join("report.html");
    let html = omnisim::report::html::render(&summary, &outcome.percentiles);
    std::fs::write(&report, &html).with_context(|| format!("writing {}", report.display()))?;
    let hlog = out.join("latency.hlog");
    std::fs::write(&hlog, &outcome.interval_log)
        .with_context(|| format!("writing {}", hlog.display()))?;
    let histograms = out.join("histograms.json");
    let json = serde_json::to_string(&outcome.histograms).context("serializing the histograms")?;
    std::fs::write(&histograms, json)
        .with_context(|| format!("writing {}", histograms.display()))?;
    let path = out.join("summary.json");
    let json = serde_json::to_string_pretty(&summary).context("serializing the summary")?;
    std::fs::write(&path, json).with_context(|| format!("writing {}", path.display()))?;
    print!("{}", render(&summary));
    if args.r#virtual {
        for fault in unsimulated {
            println!(
                "note: faults.{fault} is not simulated: it drops sockets, and a virtual run has none"
            );
        }
        println!("{}", virtual_speed(&summary, run_time));
    }
    println!("summary: {}", path.display());
    let code = exit_code(&summary, args.strict, scenario_max_transport_errors);
    if let Some(d) = dashboard {
        let (passed, verdict) = omnisim::report::html::verdict(&summary);
        let done = live::dashboard::Done {
            passed: passed && code == exit::PASSED,
            verdict,
            exit_code: code,
            report_path: report.display().to_string(),
        };
        d.finish(html, &done);
        linger(&d, args.dashboard_linger.into())?;
    }
    Ok(ExitCode::from(code))
}

/// The exit code a finished run calls for.
fn exit_code(summary: &Summary, strict: bool, max_transport_errors: u64) -> u8 {
    let breached =
        summary.thresholds.iter().any(|t| !t.passed) || (strict && !summary.violations.is_empty());
    if let Some(i) = &summary.interrupted {
        return exit::interrupted(&i.signal);
    }
    let failed_target =
        summary.target_lost.is_some() || summary.transport_errors.count > max_transport_errors;
    if failed_target {
        exit::TARGET_UNREACHABLE
    } else if !summary.protocol_violations.is_empty() {
        exit::PROTOCOL_VIOLATED
    } else if breached {
        exit::THRESHOLD_BREACHED
    } else {
        exit::PASSED
    }
}

/// What the dashboard says of the run before it starts.
fn run_info(scenario: &Scenario, args: &RunArgs) -> live::dashboard::RunInfo {
    let target = match (&args.join, args.target.target.as_deref()) {
        (Some(path), _) => format!("joined from {}", path.display()),
        (None, Some(url)) => url.to_owned(),
        (None, None) => "embedded".to_owned(),
    };
    live::dashboard::RunInfo {
        scenario: scenario.name.clone(),
        seed: args.seed.unwrap_or(scenario.seed),
        target,
        duration_s: args
            .duration
            .map_or(scenario.duration.0, Into::into)
            .as_secs_f64(),
        shard: args.shard.to_string(),
    }
}

/// Keeps the dashboard up for `linger` after the run, or until SIGINT or SIGTERM.
fn linger(d: &live::dashboard::Dashboard, linger: Duration) -> anyhow::Result<()> {
    if linger.is_zero() {
        return Ok(());
    }
    eprintln!(
        "dashboard: the report is at http://{}/report for {}; Ctrl-C to leave now",
        d.addr(),
        humantime::format_duration(linger)
    );
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    runtime.block_on(async {
        // The run's signal handlers replaced the default ones: listen again, or Ctrl-C would do
        // nothing here.
        #[cfg(unix)]
        let terminated = async {
            use tokio::signal::unix::{SignalKind, signal};
            match signal(SignalKind::terminate()) {
                Ok(mut term) => term.recv().await,
                Err(_) => std::future::pending().await,
            }
        };
        #[cfg(not(unix))]
        let terminated = std::future::pending::<()>();
        tokio::select! {
            _ = tokio::time::sleep(linger) => {}
            _ = tokio::signal::ctrl_c() => {}
            _ = terminated => {}
        }
    });
    Ok(())
}

/// How fast virtual time ran: what planners need to size a sweep.
fn virtual_speed(summary: &omnisim::measure::Summary, wall: std::time::Duration) -> String {
    let wall_s = wall.as_secs_f64().max(1e-9);
    format!(
        "virtual time: {:.0} s simulated in {:.2} s ({:.0}x real time, {:.0} sessions/s)",
        summary.duration_s,
        wall_s,
        summary.duration_s / wall_s,
        summary.sessions.started as f64 / wall_s
    )
}

/// Appends what the interval log grows by to `path` as the run goes (the first call creates it),
/// so that a run killed outright leaves its latencies so far; the whole log is written at the end.
fn log_to(path: PathBuf) -> live::OnLog {
    let file = std::sync::Mutex::new(None::<std::fs::File>);
    Arc::new(move |bytes: &[u8]| {
        use std::io::Write;
        let mut file = file.lock().unwrap_or_else(|p| p.into_inner());
        if file.is_none() {
            *file = std::fs::File::create(&path).ok();
        }
        if let Some(f) = file.as_mut() {
            let _ = f.write_all(bytes).and_then(|()| f.flush());
        }
    })
}

/// Writes where the run's org lives, readable by its owner only: it holds the org's token.
fn write_target(path: &std::path::Path, org: &RunOrg) -> std::io::Result<()> {
    let json = serde_json::to_string_pretty(org).map_err(std::io::Error::other)?;
    super::write_private(path, json.as_bytes())
}

/// Ends the run early on the first SIGINT or SIGTERM (its results still written, marked
/// interrupted), and at once on the second.
async fn watch_signals(interrupt: tokio::sync::watch::Sender<Option<&'static str>>) {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let (Ok(mut int), Ok(mut term)) = (
            signal(SignalKind::interrupt()),
            signal(SignalKind::terminate()),
        ) else {
            return;
        };
        let mut first = true;
        loop {
            let name = tokio::select! {
                _ = int.recv() => "SIGINT",
                _ = term.recv() => "SIGTERM",
            };
            if !first {
                std::process::exit(i32::from(exit::interrupted(name)));
            }
            first = false;
            eprintln!(
                "\n{name}: stopping the arrivals, draining for {} s, then writing the results; again to quit at once",
                live::INTERRUPT_DRAIN.as_secs()
            );
            let _ = interrupt.send(Some(name));
        }
    }
    #[cfg(not(unix))]
    {
        if tokio::signal::ctrl_c().await.is_ok() {
            let _ = interrupt.send(Some("SIGINT"));
        }
        if tokio::signal::ctrl_c().await.is_ok() {
            std::process::exit(i32::from(exit::interrupted("SIGINT")));
        }
    }
}

/// A live run; a target that cannot be reached or set up gives its exit code.
fn live_run(
    scenario: Scenario,
    options: RunOptions,
    interrupt: tokio::sync::watch::Sender<Option<&'static str>>,
) -> anyhow::Result<Result<omnisim::measure::Outcome, ExitCode>> {
    // One thread for the generator; the embedded server has a thread of its own. Two threads
    // that never hand tasks to each other cost about a third less CPU per session than two
    // work-stealing runtimes waking each other's workers (1,000 sessions/s: 103 % against 149 %).
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    runtime.spawn(watch_signals(interrupt));
    match runtime.block_on(live::run(scenario, options)) {
        Ok(o) => Ok(Ok(o)),
        Err(e @ (RunError::Setup { .. } | RunError::Embedded(_))) => {
            eprintln!("error: {e}");
            Ok(Err(ExitCode::from(exit::TARGET_UNREACHABLE)))
        }
        // A command-line mistake (the address is taken or not ours), before any load.
        Err(e @ RunError::Metrics { .. }) => {
            eprintln!("error: {e}");
            Ok(Err(ExitCode::from(2)))
        }
    }
}

/// The end-of-run table.
pub fn render(s: &Summary) -> String {
    use std::fmt::Write;
    let mut out = String::new();
    let pct = |v: Option<f64>| v.map_or("-".to_owned(), |v| format!("{:.1}%", v * 100.0));
    let over = s.http.map_or(String::new(), |v| format!(" over {v}"));
    let _ = writeln!(
        out,
        "\nscenario {} (seed {}) on {}{over}: {:.1} s",
        s.scenario, s.seed, s.target, s.duration_s
    );
    let ss = &s.sessions;
    let _ = writeln!(
        out,
        "sessions: {} started, {} ended ({} abandoned, {} bot-contained), {} still open",
        ss.started, ss.ended, ss.abandoned, ss.bot_contained, ss.still_open
    );
    let a = &s.arrivals;
    let _ = writeln!(
        out,
        "arrivals: {} scheduled, {} started, {} dropped",
        a.scheduled, a.started, a.dropped
    );
    let r = &s.routing;
    let _ = writeln!(
        out,
        "routing: {} handed off, {} offers, {} accepted, {} declines, {} push timeouts",
        r.handed_off, r.offers, r.accepted, r.declines, r.push_timeouts
    );
    let _ = writeln!(
        out,
        "abandon rate {}, bot containment {}, service level {} (within {:.0} s), occupancy {}",
        pct(s.abandon_rate),
        pct(s.bot_containment),
        pct(s.service_level.value),
        s.service_level.threshold_s,
        pct(s.occupancy)
    );
    if !s.flows.is_empty() {
        let rules: Vec<String> = s
            .flows
            .rules
            .iter()
            .map(|(r, n)| format!("{r} {n}"))
            .collect();
        let _ = writeln!(out, "flows (sessions per rule): {}", rules.join(", "));
        let d = &s.flows.direct;
        if d.routed > 0 {
            let fell: Vec<String> = d
                .fell_back
                .iter()
                .map(|(r, n)| format!("{r} {n}"))
                .collect();
            let _ = writeln!(
                out,
                "direct routing: {} of {} reached their agent; fell back: {}",
                d.reached,
                d.routed,
                if fell.is_empty() {
                    "none".into()
                } else {
                    fell.join(", ")
                }
            );
        }
    }
    let _ = writeln!(
        out,
        "\n{:<22}{:>8}{:>10}{:>10}{:>10}{:>10}{:>10}{:>16}",
        "latency (ms)", "count", "mean", "p50", "p90", "p99", "max", "p99 uncorrected"
    );
    for (name, l) in &s.latency_ms {
        let unc = s
            .latency_uncorrected_ms
            .get(name)
            .map_or("-".to_owned(), |u| format!("{:.1}", u.p99));
        let _ = writeln!(
            out,
            "{name:<22}{:>8}{:>10.1}{:>10.1}{:>10.1}{:>10.1}{:>10.1}{unc:>16}",
            l.count, l.mean, l.p50, l.p90, l.p99, l.max
        );
    }
    if !s.errors.is_empty() {
        let _ = writeln!(out, "\nerrors: {:?}", s.errors);
    }
    if let Some(i) = &s.interrupted {
        let _ = writeln!(
            out,
            "\ninterrupted by {} at {:.1} s (exit {}): the results are what was measured until then",
            i.signal,
            i.at_s,
            exit::interrupted(&i.signal)
        );
    }
    if let Some(lost) = &s.target_lost {
        let _ = writeln!(
            out,
            "\ntarget lost at {:.1} s: {} (exit {}); the results are what was measured before",
            lost.at_s,
            lost.problem,
            exit::TARGET_UNREACHABLE
        );
    }
    let t = &s.transport_errors;
    if t.count > 0 {
        let _ = writeln!(out, "\ntransport: {} requests got no answer", t.count);
        for e in &t.samples {
            let _ = writeln!(out, "  at {:.1} s: {}", e.at_s, e.problem);
        }
    }
    let p = &s.protocol_violations;
    if !p.is_empty() {
        let _ = writeln!(
            out,
            "\nprotocol: {} frames or replies were not the protocol (exit {})",
            p.count,
            exit::PROTOCOL_VIOLATED
        );
        for v in &p.samples {
            let _ = writeln!(
                out,
                "  {}: {}: {}\n    {}",
                v.on, v.field, v.problem, v.frame
            );
        }
    }
    if s.violations.is_empty() {
        let _ = writeln!(
            out,
            "\nhistory checker: no platform rule broken in what the run observed"
        );
    } else {
        let _ = writeln!(out, "\nhistory checker: {} violations", s.violations.len());
        for v in s.violations.iter().take(20) {
            let _ = writeln!(out, "  {}: {}", v.rule, v.evidence);
        }
    }
    if let Some(w) = &s.generator_warning {
        let _ = writeln!(out, "\nwarning: {w}");
    }
    if !s.thresholds.is_empty() {
        let _ = writeln!(out, "\nthresholds:");
        for t in &s.thresholds {
            let value = t
                .measured()
                .map_or("nothing measured".to_owned(), |v| format!("measured {v}"));
            let mark = if t.passed { "pass" } else { "FAIL" };
            let _ = writeln!(out, "  {mark}  {} {} ({value})", t.metric, t.condition);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::RunArgs;

    #[derive(clap::Parser)]
    struct Cli {
        #[command(flatten)]
        run: RunArgs,
    }

    /// `run` names the admin token as `conform` does; `--token` still works.
    #[test]
    fn the_admin_token_is_named_as_conform_names_it() {
        for flag in ["--admin-token", "--token"] {
            let args = [
                "run",
                "s.toml",
                "--target",
                "http://h",
                flag,
                "t0123456789abcdef",
            ];
            let cli = <Cli as clap::Parser>::try_parse_from(args).expect(flag);
            assert_eq!(
                cli.run.target.admin_token.as_deref(),
                Some("t0123456789abcdef")
            );
        }
    }
}
