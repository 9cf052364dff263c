//! `omnisim plan`: staffing for one queue, analytic (Erlang C or A) beside a simulation of the
//! same model with confidence intervals, and the smallest staff meeting the target.

use anyhow::{Context, bail};
use omnisim::plan::erlang::ServiceLevelDefinition;
use omnisim::plan::simulate::{Estimate, Model};
use omnisim::plan::sweep::{self, Effort, Sweep, Target};
use std::fmt::Write as _;

#[derive(clap::Args, Debug)]
pub struct PlanArgs {
    /// Arrivals per hour.
    #[arg(long)]
    arrival_rate: f64,
    /// Mean handle time of one contact worked alone, in seconds.
    #[arg(long)]
    aht: f64,
    /// Agent counts to try, e.g. 10..20 (inclusive) or 14.
    #[arg(long, default_value = "1..50")]
    agents: String,
    /// The target: share answered within a threshold, e.g. 0.8@20s.
    #[arg(long, default_value = "0.8@20s")]
    target_sl: String,
    /// Mean patience of a waiting contact in seconds (Erlang A); without it nobody abandons.
    #[arg(long)]
    patience: Option<f64>,
    /// Chats an agent works at once, at full speed each (Erlang with K x N servers).
    #[arg(long, default_value_t = 1)]
    concurrency: u32,
    /// Instead of full speed: an agent's total work rate holding 1, 2, ... chats, relative to
    /// one chat alone, e.g. 1,1.7,2.2 (its length sets the concurrency).
    #[arg(long, value_delimiter = ',')]
    speed: Vec<f64>,
    /// Which contacts the service level counts once some abandon.
    #[arg(long, value_enum, default_value = "answered-over-arrivals")]
    sl_definition: SlDefinition,
    /// The highest acceptable occupancy (0..1).
    #[arg(long)]
    max_occupancy: Option<f64>,
    /// Share of paid time not spent on contacts (0..1): turns agents into a roster.
    #[arg(long, default_value_t = 0.0)]
    shrinkage: f64,
    /// Independent replications per agent count.
    #[arg(long, default_value_t = 10)]
    replications: usize,
    /// Contacts measured per replication.
    #[arg(long, default_value_t = 20_000)]
    customers: u64,
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Print JSON instead of a table.
    #[arg(long)]
    json: bool,
}

#[derive(clap::ValueEnum, Clone, Copy, Debug)]
enum SlDefinition {
    AnsweredOverArrivals,
    AnsweredOverAnswered,
    ExcludingShortAbandons,
}

impl From<SlDefinition> for ServiceLevelDefinition {
    fn from(d: SlDefinition) -> Self {
        match d {
            SlDefinition::AnsweredOverArrivals => Self::AnsweredOverArrivals,
            SlDefinition::AnsweredOverAnswered => Self::AnsweredOverAnswered,
            SlDefinition::ExcludingShortAbandons => Self::ExcludingShortAbandons,
        }
    }
}

/// `0.8@20s` → (0.8, 20.0).
fn parse_target(s: &str) -> anyhow::Result<(f64, f64)> {
    let (sl, t) = s
        .split_once('@')
        .with_context(|| format!("--target-sl '{s}': write SHARE@THRESHOLD, e.g. 0.8@20s"))?;
    let sl: f64 = sl
        .trim()
        .trim_end_matches('%')
        .parse()
        .with_context(|| format!("--target-sl '{s}': '{sl}' is not a number"))?;
    let sl = if sl > 1.0 { sl / 100.0 } else { sl };
    let t = humantime::parse_duration(t.trim())
        .with_context(|| format!("--target-sl '{s}': '{t}' is not a duration"))?;
    if !(0.0..=1.0).contains(&sl) {
        bail!("--target-sl '{s}': the share must be between 0 and 1 (or 0% and 100%)");
    }
    Ok((sl, t.as_secs_f64()))
}

/// `10..20` or `14` → an inclusive range.
fn parse_agents(s: &str) -> anyhow::Result<std::ops::RangeInclusive<u32>> {
    let bad = || format!("--agents '{s}': write A..B or a single count");
    let (a, b) = match s.split_once("..") {
        Some((a, b)) => (a, b.trim_start_matches('=')),
        None => (s, s),
    };
    let (a, b): (u32, u32) = (
        a.trim().parse().with_context(bad)?,
        b.trim().parse().with_context(bad)?,
    );
    if a == 0 || b < a {
        bail!(
            "{}: counts start at 1 and the range must not be empty",
            bad()
        );
    }
    Ok(a..=b)
}

fn probability(name: &str, p: f64) -> anyhow::Result<()> {
    if !(0.0..1.0).contains(&p) {
        bail!("--{name} {p}: must be at least 0 and below 1");
    }
    Ok(())
}

pub fn run(args: PlanArgs) -> anyhow::Result<()> {
    let (sl, threshold) = parse_target(&args.target_sl)?;
    let agents = parse_agents(&args.agents)?;
    probability("shrinkage", args.shrinkage)?;
    if let Some(max) = args.max_occupancy {
        if !(max > 0.0 && max <= 1.0) {
            bail!("--max-occupancy {max}: must be above 0 and at most 1");
        }
    }
    let speed = if args.speed.is_empty() {
        if args.concurrency == 0 {
            bail!("--concurrency must be at least 1");
        }
        (1..=args.concurrency).map(f64::from).collect()
    } else {
        if (args.speed[0] - 1.0).abs() > 1e-9 || args.speed.iter().any(|s| *s <= 0.0) {
            bail!("--speed: the first value is 1 (one chat alone) and all are positive");
        }
        args.speed.clone()
    };
    if args.replications < 2 || args.customers < 100 {
        bail!("--replications must be at least 2 and --customers at least 100");
    }
    let model = Model {
        arrival_rate: args.arrival_rate / 3600.0,
        aht: args.aht,
        agents: *agents.start(),
        speed,
        patience: args.patience,
        threshold,
        definition: args.sl_definition.into(),
    };
    let target = Target {
        service_level: sl,
        threshold_s: threshold,
        max_occupancy: args.max_occupancy,
        shrinkage: args.shrinkage,
    };
    let effort = Effort {
        replications: args.replications,
        customers: args.customers,
        seed: args.seed,
    };
    let result = sweep::sweep(&model, agents, target, effort).context("planning")?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&result)?);
    } else {
        print!("{}", table(&result));
    }
    Ok(())
}

fn est(e: &Estimate, scale: f64) -> String {
    format!("{:.1}±{:.1}", e.mean * scale, e.half_width * scale)
}

/// The terminal form of a sweep.
fn table(s: &Sweep) -> String {
    let mut out = String::new();
    let k = s.speed.len();
    let _ = writeln!(
        out,
        "{:.0}/h, AHT {:.0} s, {:.2} Erlangs offered{}{}; target {:.0}% within {:.0} s ({})",
        s.arrival_rate_per_hour,
        s.aht_s,
        s.offered_load_erlangs,
        s.patience_s
            .map_or(String::new(), |p| format!(", patience {p:.0} s")),
        if k > 1 {
            format!(", {k} chats per agent (speed {:?})", s.speed)
        } else {
            String::new()
        },
        s.target.service_level * 100.0,
        s.target.threshold_s,
        s.service_level_definition_text,
    );
    let model = s.rows.first().map_or("", |r| r.analytic.model);
    let _ = writeln!(
        out,
        "simulated: mean ± 95% CI over {} replications; analytic: {model}\n",
        s.rows.first().map_or(0, |r| r.simulated.replications)
    );
    let occupancy = if k > 1 { "slot occ %" } else { "occ %" };
    let _ = writeln!(
        out,
        "{:>6}  {:>12} {:>7}  {:>12} {:>8}  {:>12} {:>7}  {:>12} {:>7}",
        "agents", "SL %", "theory", "ASA s", "theory", "abandon %", "theory", occupancy, "theory",
    );
    for r in &s.rows {
        let (sim, a) = (&r.simulated, &r.analytic);
        let occ = if k > 1 {
            &sim.slot_occupancy
        } else {
            &sim.agent_occupancy
        };
        let _ = writeln!(
            out,
            "{:>6}  {:>12} {:>7.1}  {:>12} {:>8}  {:>12} {:>7.2}  {:>12} {:>7.1}  {}",
            r.agents,
            est(&sim.service_level, 100.0),
            a.service_level * 100.0,
            est(&sim.asa_all, 1.0),
            a.asa_s.map_or("inf".to_owned(), |v| format!("{v:.1}")),
            est(&sim.p_abandon, 100.0),
            a.p_abandon * 100.0,
            est(occ, 100.0),
            a.occupancy * 100.0,
            if r.meets_target { "meets target" } else { "" }
        );
    }
    match (s.recommended_agents, s.recommended_roster) {
        (Some(n), Some(roster)) => {
            let _ = writeln!(
                out,
                "\nrecommended: {n} agents on contacts; {roster} on the roster at {:.0}% shrinkage",
                s.target.shrinkage * 100.0
            );
            if let Some(row) = s.rows.iter().find(|r| r.agents == n) {
                if row.simulated.agent_occupancy.mean > 0.9 {
                    let _ = writeln!(
                        out,
                        "warning: occupancy {:.0}% is above 90%: little slack for peaks",
                        row.simulated.agent_occupancy.mean * 100.0
                    );
                }
            }
        }
        _ => {
            let _ = writeln!(out, "\nno agent count in the range meets the target");
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_and_ranges_parse_and_bad_ones_say_what_to_write() {
        assert_eq!(parse_target("0.8@20s").unwrap(), (0.8, 20.0));
        assert_eq!(parse_target("90%@1m").unwrap(), (0.9, 60.0));
        let e = parse_target("0.8").unwrap_err().to_string();
        assert!(e.contains("SHARE@THRESHOLD"), "{e}");
        assert!(parse_target("0.8@soon").is_err());
        assert_eq!(parse_agents("10..20").unwrap(), 10..=20);
        assert_eq!(parse_agents("14").unwrap(), 14..=14);
        assert!(parse_agents("20..10").is_err());
        assert!(parse_agents("0..3").is_err());
        assert!(parse_agents("a..b").is_err());
    }
}
