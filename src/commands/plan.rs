//! `omnisim plan`: staffing. With a scenario, its agent group is sized in virtual time over
//! replications; without one, the classic single-queue question is answered by Erlang C/A beside
//! a simulation of the same model. Both print a table, write plan.json and plan.html, and
//! recommend the smallest staff meeting the target.

use anyhow::{Context, bail};
use omnisim::plan::erlang::ServiceLevelDefinition;
use omnisim::plan::intervals::{self, Goal, Table};
use omnisim::plan::scenario_sweep::{self, ScenarioPlan, ScenarioRow, Sizes};
use omnisim::plan::simulate::Model;
use omnisim::plan::sweep::{self, Effort, Sweep, Target};
use omnisim::report::plan_html::{self, PlanPage, Point, Section};
use omnisim::scenario::Scenario;
use std::fmt::Write as _;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};

#[derive(clap::Args, Debug)]
pub struct PlanArgs {
    /// A scenario to staff (its [plan] section sets the goal); without it, the quick form
    /// below answers the single-queue question. The quick form's options do not apply to it.
    scenario: Option<PathBuf>,
    /// Arrivals per hour (quick form).
    #[arg(
        long,
        required_unless_present = "scenario",
        conflicts_with = "scenario"
    )]
    arrival_rate: Option<f64>,
    /// Mean handle time of one contact worked alone, in seconds (quick form).
    #[arg(
        long,
        required_unless_present = "scenario",
        conflicts_with = "scenario"
    )]
    aht: Option<f64>,
    /// Agent counts to try, e.g. 10..20 (inclusive) or 14. Default: from a little under the
    /// offered load to a few past what Erlang recommends; for a scenario, half to one and a
    /// half times its group's size, widened until it holds the smallest size meeting the goal.
    #[arg(long)]
    agents: Option<String>,
    /// The target: share answered within a threshold, e.g. 0.8@20s or 80%@20s (quick form).
    #[arg(long, default_value = "0.8@20s", conflicts_with = "scenario")]
    target_sl: String,
    /// Mean patience of a waiting contact in seconds (Erlang A); without it nobody abandons.
    #[arg(long, conflicts_with = "scenario")]
    patience: Option<f64>,
    /// Chats an agent works at once, at full speed each (Erlang with K x N servers).
    #[arg(long, default_value_t = 1, conflicts_with_all = ["speed", "scenario"])]
    concurrency: u32,
    /// Instead of full speed: an agent's total work rate holding 1, 2, ... chats, relative to
    /// one chat alone, e.g. 1,1.7,2.2 (its length sets the concurrency).
    #[arg(long, value_delimiter = ',', conflicts_with = "scenario")]
    speed: Vec<f64>,
    /// Which contacts the service level counts once some abandon.
    #[arg(
        long,
        value_enum,
        default_value = "answered-over-arrivals",
        conflicts_with = "scenario"
    )]
    sl_definition: SlDefinition,
    /// The highest acceptable occupancy (0..1): of the chat slots with --concurrency.
    #[arg(long, conflicts_with = "scenario")]
    max_occupancy: Option<f64>,
    /// Share of paid time not spent on contacts (0..1): turns agents into a roster.
    #[arg(long, default_value_t = 0.0, conflicts_with = "scenario")]
    shrinkage: f64,
    /// Staff a day in intervals of this length (quick form), with --interval-rates.
    #[arg(long, default_value = "30m", conflicts_with = "scenario")]
    interval: humantime::Duration,
    /// Arrivals per hour in each interval, e.g. 120,180,240 (quick form).
    #[arg(long, value_delimiter = ',', conflicts_with = "scenario")]
    interval_rates: Vec<f64>,
    /// The agent group a scenario plan sizes (default: its [plan] group, else its first); the
    /// others keep the sizes and shifts the scenario gives them.
    #[arg(long, conflicts_with = "arrival_rate")]
    group: Option<String>,
    /// Independent replications per agent count.
    #[arg(long, default_value_t = 10)]
    replications: usize,
    /// Contacts measured per replication (quick form).
    #[arg(long, default_value_t = 20_000, conflicts_with = "scenario")]
    customers: u64,
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Print JSON instead of a table.
    #[arg(long)]
    json: bool,
    /// Where plan.json and plan.html go; default reports/plan-<name>-<timestamp>/.
    #[arg(long)]
    out: Option<PathBuf>,
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

/// `0.8@20s` or `80%@20s` → (0.8, 20.0). A bare share above 1 is refused rather than read as a
/// percentage: `1.5@20s` is more likely a slip than a goal of 1.5 %.
fn parse_target(s: &str) -> anyhow::Result<(f64, f64)> {
    let (sl, t) = s
        .split_once('@')
        .with_context(|| format!("--target-sl '{s}': write SHARE@THRESHOLD, e.g. 0.8@20s"))?;
    let (number, percent) = match sl.trim().strip_suffix('%') {
        Some(n) => (n, true),
        None => (sl.trim(), false),
    };
    let share: f64 = number
        .trim()
        .parse()
        .with_context(|| format!("--target-sl '{s}': '{sl}' is not a number"))?;
    let share = if percent { share / 100.0 } else { share };
    let t = humantime::parse_duration(t.trim())
        .with_context(|| format!("--target-sl '{s}': '{t}' is not a duration"))?;
    if !(0.0..=1.0).contains(&share) {
        bail!(
            "--target-sl '{s}': the share is a fraction from 0 to 1 or a percentage with %, \
             e.g. 0.8@20s or 80%@20s"
        );
    }
    Ok((share, t.as_secs_f64()))
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
    probability("shrinkage", args.shrinkage)?;
    if let Some(max) = args.max_occupancy {
        if !(max > 0.0 && max <= 1.0) {
            bail!("--max-occupancy {max}: must be above 0 and at most 1");
        }
    }
    if args.replications < 2 {
        bail!("--replications must be at least 2: confidence intervals need two runs");
    }
    match &args.scenario {
        Some(path) => plan_scenario(path, &args),
        None => plan_quick(&args),
    }
}

/// `omnisim plan SCENARIO`.
fn plan_scenario(path: &Path, args: &PlanArgs) -> anyhow::Result<()> {
    let mut scenario = Scenario::load(path)?;
    let group = swept_group(&mut scenario, args.group.as_deref())?;
    let count = scenario.agents[group].count;
    let sizes = match &args.agents {
        Some(a) => Sizes::Exactly(parse_agents(a)?),
        None => Sizes::Around((count / 2).max(1)..=(count + count / 2).max(2)),
    };
    let at_once = omnisim::plan::replicate::at_once(args.replications);
    let sessions = scenario.arrivals.expected(scenario.duration.0) * at_once as f64;
    match super::memory::check(sessions, &super::memory::VIRTUAL) {
        Ok(None) => {}
        Ok(Some(warning)) => eprintln!("warning: {at_once} runs at once: {warning}"),
        Err(refusal) => bail!(
            "{at_once} runs at once: {refusal}; shorten the scenario's duration, lower its \
             arrival rate or ask for fewer --replications"
        ),
    }
    let spinner = sizing(&scenario.agents[group].name, args.replications);
    let mut done = |r: &ScenarioRow| {
        if let Some(bar) = &spinner {
            bar.println(format!(
                "  {} agents: {:.1}% within the threshold, {}",
                r.agents,
                r.service_level.mean * 100.0,
                if r.meets_target {
                    "meets the goal"
                } else {
                    "falls short"
                }
            ));
        }
    };
    let plan =
        scenario_sweep::plan_reporting(&scenario, sizes, args.replications, args.seed, &mut done);
    if let Some(bar) = spinner {
        bar.finish_and_clear();
    }
    let plan = plan.with_context(|| format!("planning {}", path.display()))?;
    let text = scenario_table(&plan);
    let page = PlanPage {
        title: &plan.scenario,
        facts: vec![
            format!(
                "Group '{}' sized in virtual time, {} replications per size; goal {:.0}% within {:.0} s ({}).",
                plan.group,
                plan.replications,
                plan.goal.service_level * 100.0,
                plan.goal.threshold_s,
                plan.service_level_definition
            ),
            if plan.analytic_fits {
                "Analytic: Erlang C (A with exponential patience) from the contacts per hour that \
                 reached an agent queue and the handle time measured, each agent counting as its \
                 capacity in servers."
            } else {
                "Analytic: not shown for the whole run; Erlang needs one pool of agents (no skills) \
                 and a steady arrival rate (with intervals, see the interval tables)."
            }
            .to_owned(),
        ]
        .into_iter()
        .chain(plan.beside().map(|b| format!("The group is sized {b}.")))
        .collect(),
        points: plan
            .rows
            .iter()
            .map(|r| Point {
                agents: r.agents,
                simulated: [r.service_level, r.asa_s, r.abandon_rate, r.occupancy],
                analytic: r.analytic.as_ref().map(|a| {
                    [
                        a.service_level,
                        a.asa_answered_s.unwrap_or(f64::NAN),
                        a.p_abandon,
                        a.occupancy,
                    ]
                }),
                meets_target: r.meets_target,
                saturated: r.analytic.as_ref().is_some_and(|a| a.asa_s.is_none()),
            })
            .collect(),
        recommendation: recommendation(
            plan.recommended_agents,
            plan.recommended_roster,
            plan.goal.shrinkage,
            plan.rows.first().map(|r| r.agents),
        ),
        sections: Vec::new(),
        intervals: &plan.intervals,
    };
    finish(args, &plan.scenario, &plan, &page, &text)
}

/// On a terminal, a spinner while a scenario's sizes run, above which each size is listed as it
/// is done: a day's scenario takes seconds to minutes. Nothing elsewhere (CI logs get the table).
fn sizing(group: &str, replications: usize) -> Option<indicatif::ProgressBar> {
    if !std::io::stderr().is_terminal() {
        return None;
    }
    let bar = indicatif::ProgressBar::new_spinner();
    bar.set_message(format!(
        "sizing '{group}': {replications} virtual runs per size"
    ));
    bar.enable_steady_tick(std::time::Duration::from_millis(100));
    Some(bar)
}

/// The index of the group a scenario plan sizes: `--group` if given (then also the scenario's
/// [plan] group), else the scenario's own choice.
fn swept_group(scenario: &mut Scenario, name: Option<&str>) -> anyhow::Result<usize> {
    if let Some(name) = name {
        if !scenario.agents.iter().any(|g| g.name == name) {
            let names: Vec<&str> = scenario.agents.iter().map(|g| g.name.as_str()).collect();
            bail!(
                "--group {name}: the scenario has no agent group called that; its groups: {}",
                names.join(", ")
            );
        }
        scenario.plan.group = Some(name.to_owned());
    }
    scenario
        .plan
        .group_index(&scenario.agents)
        .context("the scenario has no agent group to size")
}

/// The quick form: one queue, Erlang beside simulation.
fn plan_quick(args: &PlanArgs) -> anyhow::Result<()> {
    let (sl, threshold) = parse_target(&args.target_sl)?;
    let (Some(rate), Some(aht)) = (args.arrival_rate, args.aht) else {
        bail!("give a scenario, or --arrival-rate and --aht");
    };
    let (speed, option): (Vec<f64>, _) = if args.speed.is_empty() {
        if args.concurrency == 0 {
            bail!("--concurrency must be at least 1");
        }
        let full = (1..=args.concurrency).map(f64::from).collect();
        (full, "--concurrency")
    } else {
        (args.speed.clone(), "--speed")
    };
    omnisim::plan::simulate::check_speed(&speed).map_err(|e| anyhow::anyhow!("{option}: {e}"))?;
    if args.customers < 100 {
        bail!("--customers must be at least 100");
    }
    let model = Model {
        arrival_rate: rate / 3600.0,
        aht,
        // Each row of the sweep sets its own.
        agents: 1,
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
    let agents = match &args.agents {
        Some(a) => parse_agents(a)?,
        None => sweep::default_agents(&model, &target).context("planning")?,
    };
    // The day's tables need no simulation: bad intervals are refused before the sweep runs.
    let tables = if args.interval_rates.is_empty() {
        Vec::new()
    } else {
        let length = std::time::Duration::from(args.interval).as_secs_f64();
        let day: Vec<(f64, f64)> = args.interval_rates.iter().map(|r| (length, *r)).collect();
        let goal = Goal {
            service_level: sl,
            threshold_s: threshold,
            max_occupancy: args.max_occupancy,
            shrinkage: args.shrinkage,
            patience_s: args.patience,
            concurrency: model.concurrency() as u32,
            definition: model.definition,
        };
        intervals::WHAT_IFS
            .iter()
            .map(|f| intervals::staff(&day, aht, &goal, *f))
            .collect::<Result<Vec<_>, _>>()
            .context("--interval and --interval-rates")?
    };
    let result = sweep::sweep(&model, agents, target, effort).context("planning")?;
    let sections: Vec<Section> = concurrency_section(&result).into_iter().collect();
    let mut text = table(&result);
    for section in &sections {
        text.push('\n');
        text.push_str(&section.text());
    }
    for t in &tables {
        text.push_str(&interval_table(t));
    }
    let k = result.speed.len();
    let page = PlanPage {
        title: "single queue",
        facts: vec![
            format!(
                "{:.0}/h, AHT {:.0} s, {:.2} Erlangs offered; target {:.0}% within {:.0} s ({}).",
                result.arrival_rate_per_hour,
                result.aht_s,
                result.offered_load_erlangs,
                sl * 100.0,
                threshold,
                result.service_level_definition_text
            ),
            format!(
                "Simulated: mean ± 95% CI over {} replications. Analytic: {}.{}",
                args.replications,
                result.rows.first().map_or("", |r| r.analytic.model),
                if k > 1 {
                    " Occupancy is of chat slots."
                } else {
                    ""
                }
            ),
        ],
        points: result
            .rows
            .iter()
            .map(|r| Point {
                agents: r.agents,
                simulated: [
                    r.simulated.service_level,
                    r.simulated.asa_all,
                    r.simulated.p_abandon,
                    *r.simulated.occupancy(),
                ],
                analytic: Some([
                    r.analytic.service_level,
                    r.analytic.asa_s.unwrap_or(f64::NAN),
                    r.analytic.p_abandon,
                    r.analytic.occupancy,
                ]),
                meets_target: r.meets_target,
                saturated: r.analytic.asa_s.is_none(),
            })
            .collect(),
        recommendation: recommendation(
            result.recommended_agents,
            result.recommended_roster,
            args.shrinkage,
            result.rows.first().map(|r| r.agents),
        ),
        sections,
        intervals: &tables,
    };
    #[derive(serde::Serialize)]
    struct Quick<'a> {
        #[serde(flatten)]
        sweep: &'a Sweep,
        intervals: &'a [Table],
    }
    let json = Quick {
        sweep: &result,
        intervals: &tables,
    };
    finish(args, "single-queue", &json, &page, &text)
}

/// The most chat counts the concurrency table shows one by one.
const SHOWN_CHATS: usize = 10;

/// With several chats per agent, what planners ask beside the staffing table: how the agents'
/// time splits by the number of chats they hold, how much of it they hold any, and the rule of
/// thumb that divides the handle time by the concurrency factor.
fn concurrency_section(s: &Sweep) -> Option<Section> {
    let k = s.speed.len();
    if k < 2 {
        return None;
    }
    let factor = s.speed[k - 1];
    // Holding 0..=k chats; past ten chats the shares are summed into one column, so that a
    // terminal can show the table. plan.json keeps every share.
    let shown = (k + 1).min(SHOWN_CHATS);
    let mut columns = vec!["agents".to_owned()];
    columns.extend((0..shown).map(|j| format!("{j} chat{} %", if j == 1 { "" } else { "s" })));
    if shown <= k {
        columns.push(format!("{shown}+ chats %"));
    }
    columns.extend(["agent occ %", "thumb SL %", "thumb ASA s", "thumb occ %"].map(str::to_owned));
    let rows = s
        .rows
        .iter()
        .map(|r| {
            // Every row of a sweep with several chats per agent has one.
            let thumb = r.rule_of_thumb.as_ref()?;
            let mut row = vec![r.agents.to_string()];
            let shares = &r.simulated.concurrency;
            let (each, rest) = shares.split_at(shown.min(shares.len()));
            row.extend(each.iter().map(|c| format!("{:.1}", c * 100.0)));
            if shown <= k {
                row.push(format!("{:.1}", rest.iter().sum::<f64>() * 100.0));
            }
            row.push(r.simulated.agent_occupancy.show(100.0));
            row.extend([
                format!("{:.1}", thumb.service_level * 100.0),
                thumb.asa_s.map_or("inf".to_owned(), |a| format!("{a:.1}")),
                format!("{:.1}", thumb.occupancy * 100.0),
            ]);
            Some(row)
        })
        .collect::<Option<Vec<_>>>()?;
    Some(Section {
        heading: format!("{k} chats per agent"),
        note: format!(
            "the share of the agents' time holding each number of chats, the share holding any \
             (agent occupancy),\nand the rule of thumb: Erlang on the agents alone, with the AHT \
             divided by {factor:.1}"
        ),
        columns,
        rows,
    })
}

/// Writes plan.json and plan.html, and prints the table or the JSON.
fn finish(
    args: &PlanArgs,
    name: &str,
    json: &impl serde::Serialize,
    page: &PlanPage,
    text: &str,
) -> anyhow::Result<()> {
    let json = serde_json::to_string_pretty(json)?;
    let out = args
        .out
        .clone()
        .unwrap_or_else(|| super::default_out(&format!("plan-{name}")));
    std::fs::create_dir_all(&out).with_context(|| format!("creating {}", out.display()))?;
    let path = out.join("plan.json");
    std::fs::write(&path, &json).with_context(|| format!("writing {}", path.display()))?;
    let html = out.join("plan.html");
    std::fs::write(&html, plan_html::render(page))
        .with_context(|| format!("writing {}", html.display()))?;
    if args.json {
        println!("{json}");
    } else {
        print!("{text}");
        println!("report: {}", html.display());
    }
    Ok(())
}

/// The recommendation line; `smallest` is the first count tried, since meeting the target there
/// says only that fewer might do too.
fn recommendation(
    agents: Option<u32>,
    roster: Option<u32>,
    shrinkage: f64,
    smallest: Option<u32>,
) -> String {
    match (agents, roster) {
        (Some(n), Some(r)) => format!(
            "recommended: {n} agent{} on contacts; {r} on the roster at {:.0}% shrinkage{}",
            if n == 1 { "" } else { "s" },
            shrinkage * 100.0,
            match smallest {
                Some(1) if n == 1 => " (as few as there can be)",
                Some(s) if s == n => {
                    " (the smallest count tried: fewer may do; try a lower --agents range)"
                }
                _ => "",
            }
        ),
        _ => "no agent count in the range meets the target".to_owned(),
    }
}

/// The terminal form of a scenario plan.
fn scenario_table(p: &ScenarioPlan) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{}: group '{}' sized in virtual time, {} replications each; goal {:.0}% within {:.0} s ({})",
        p.scenario,
        p.group,
        p.replications,
        p.goal.service_level * 100.0,
        p.goal.threshold_s,
        p.service_level_definition
    );
    if let Some(beside) = p.beside() {
        let _ = writeln!(out, "{beside}");
    }
    let _ = writeln!(
        out,
        "analytic: {}\n\n{:>6}  {:>12} {:>7}  {:>12} {:>8}  {:>12} {:>7}  {:>12} {:>7}  {:>9}",
        if p.analytic_fits {
            "Erlang from the measured contacts/h and handle time"
        } else {
            "none for the whole run (skills, or arrivals that are not steady)"
        },
        "agents",
        "SL %",
        "theory",
        "ASA s",
        "theory",
        "abandon %",
        "theory",
        "occ %",
        "theory",
        "handle s"
    );
    for r in &p.rows {
        let a = r.analytic.as_ref();
        let _ = writeln!(
            out,
            "{:>6}  {:>12} {:>7}  {:>12} {:>8}  {:>12} {:>7}  {:>12} {:>7}  {:>9.1}  {}",
            r.agents,
            r.service_level.show(100.0),
            a.map_or("-".into(), |a| format!("{:.1}", a.service_level * 100.0)),
            r.asa_s.show(1.0),
            a.and_then(|a| a.asa_answered_s)
                .map_or("-".into(), |v| format!("{v:.1}")),
            r.abandon_rate.show(100.0),
            a.map_or("-".into(), |a| format!("{:.2}", a.p_abandon * 100.0)),
            r.occupancy.show(100.0),
            a.map_or("-".into(), |a| format!("{:.1}", a.occupancy * 100.0)),
            r.handle_s.mean,
            if r.meets_target { "meets target" } else { "" }
        );
    }
    let _ = writeln!(
        out,
        "\n{}",
        recommendation(
            p.recommended_agents,
            p.recommended_roster,
            p.goal.shrinkage,
            p.rows.first().map(|r| r.agents)
        )
    );
    for t in &p.intervals {
        out.push_str(&interval_table(t));
    }
    out
}

/// One interval staffing table.
fn interval_table(t: &Table) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "\nintervals at {:.0}% of the forecast: {:.1} agent-hours on contacts, {:.1} rostered\n{:>5} {:>8} {:>6} {:>8} {:>6} {:>8} {:>6} {:>7} {:>7} {:>9} {:>6}{}",
        t.load_factor * 100.0,
        t.agent_hours,
        t.rostered_hours,
        "start",
        "volume",
        "AHT s",
        "load",
        "agents",
        "rostered",
        "SL %",
        "ASA s",
        "Pwait %",
        "Pabandon %",
        "occ %",
        if t.rows.iter().any(|r| r.simulated.is_some()) {
            "   simulated day: SL %, abandoned %"
        } else {
            ""
        }
    );
    for r in &t.rows {
        let _ = writeln!(
            out,
            "{:>5} {:>8.0} {:>6.0} {:>8.2} {:>6} {:>8} {:>6.1} {:>7.1} {:>7.1} {:>9.2} {:>6.1}{}{}",
            plan_html::clock(r.start_s),
            r.volume,
            r.aht_s,
            r.offered_load_erlangs,
            r.agents,
            r.rostered,
            r.service_level * 100.0,
            r.asa_s,
            r.p_wait * 100.0,
            r.p_abandon * 100.0,
            r.occupancy * 100.0,
            r.simulated.map_or(String::new(), |sim| format!(
                "   {} {}",
                sim.service_level.show(100.0),
                sim.abandon_rate.show(100.0)
            )),
            if r.high_occupancy {
                "  warning: above 90% occupancy"
            } else {
                ""
            }
        );
    }
    out
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
        let occ = sim.occupancy();
        let _ = writeln!(
            out,
            "{:>6}  {:>12} {:>7.1}  {:>12} {:>8}  {:>12} {:>7.2}  {:>12} {:>7.1}  {}",
            r.agents,
            sim.service_level.show(100.0),
            a.service_level * 100.0,
            sim.asa_all.show(1.0),
            a.asa_s.map_or("inf".to_owned(), |v| format!("{v:.1}")),
            sim.p_abandon.show(100.0),
            a.p_abandon * 100.0,
            occ.show(100.0),
            a.occupancy * 100.0,
            if r.meets_target { "meets target" } else { "" }
        );
    }
    let _ = writeln!(
        out,
        "\n{}",
        recommendation(
            s.recommended_agents,
            s.recommended_roster,
            s.target.shrinkage,
            s.rows.first().map(|r| r.agents)
        )
    );
    let chosen = s
        .rows
        .iter()
        .find(|r| Some(r.agents) == s.recommended_agents);
    if let Some(row) = chosen.filter(|r| r.simulated.occupancy().mean > intervals::HIGH_OCCUPANCY) {
        let _ = writeln!(
            out,
            "warning: {} {:.0}% is above 90%: little slack for peaks",
            if k > 1 { "slot occupancy" } else { "occupancy" },
            row.simulated.occupancy().mean * 100.0
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn several_chats_get_a_table_of_how_agents_spend_their_time() {
        let model = Model {
            arrival_rate: 120.0 / 3600.0,
            aht: 600.0,
            agents: 1,
            speed: vec![1.0, 2.0, 3.0],
            patience: None,
            threshold: 30.0,
            definition: ServiceLevelDefinition::AnsweredOverArrivals,
        };
        let target = Target {
            service_level: 0.8,
            threshold_s: 30.0,
            max_occupancy: None,
            shrinkage: 0.0,
        };
        let effort = Effort {
            replications: 2,
            customers: 5_000,
            seed: 3,
        };
        let sweep = sweep::sweep(&model, 8..=9, target, effort).unwrap();
        let section = concurrency_section(&sweep).expect("a table for three chats");
        assert_eq!(section.columns.len(), 1 + 4 + 4, "{:?}", section.columns);
        assert_eq!(section.rows.len(), 2);
        for row in &section.rows {
            let shares: f64 = row[1..5].iter().map(|c| c.parse::<f64>().unwrap()).sum();
            assert!((shares - 100.0).abs() < 0.3, "{row:?}");
        }
        let text = section.text();
        let widths: Vec<usize> = text.lines().skip(2).map(|l| l.chars().count()).collect();
        assert!(widths.windows(2).all(|w| w[0] == w[1]), "{text}");
        let one = Model {
            speed: vec![1.0],
            ..model
        };
        let single = sweep::sweep(&one, 21..=21, target, effort).unwrap();
        assert!(concurrency_section(&single).is_none());
        // Twelve chats: ten columns one by one, the rest summed.
        let twelve = Model {
            speed: (1..=12).map(f64::from).collect(),
            ..one
        };
        let wide = sweep::sweep(&twelve, 2..=2, target, effort).unwrap();
        let section = concurrency_section(&wide).expect("a table for twelve chats");
        assert_eq!(section.columns[1 + SHOWN_CHATS], "10+ chats %");
        assert_eq!(section.columns.len(), 1 + SHOWN_CHATS + 1 + 4);
        let row = &section.rows[0];
        let shares: f64 = row[1..=SHOWN_CHATS + 1]
            .iter()
            .map(|c| c.parse::<f64>().unwrap())
            .sum();
        assert!((shares - 100.0).abs() < 0.3, "{row:?}");
    }

    #[test]
    fn options_that_cannot_apply_together_are_refused() {
        #[derive(clap::Parser)]
        struct Cli {
            #[command(flatten)]
            plan: PlanArgs,
        }
        let parse = |extra: &[&str]| {
            let args = ["plan", "--arrival-rate", "120", "--aht", "600"];
            <Cli as clap::Parser>::try_parse_from(args.iter().chain(extra))
        };
        assert!(parse(&["--concurrency", "3", "--speed", "1,1.8"]).is_err());
        let speed = parse(&["--speed", "1,1.8"]).expect("a speed curve alone");
        assert_eq!(speed.plan.speed, [1.0, 1.8]);
        assert_eq!(parse(&["--concurrency", "3"]).unwrap().plan.concurrency, 3);
        // A scenario's [plan] section sets its goal: the quick form's options would be ignored.
        let scenario = |extra: &[&str]| {
            let args = ["plan", "scenarios/support-day.toml", "--replications", "3"];
            <Cli as clap::Parser>::try_parse_from(args.iter().chain(extra))
        };
        assert!(scenario(&[]).is_ok());
        assert!(scenario(&["--group", "day"]).is_ok());
        assert!(
            parse(&["--group", "day"]).is_err(),
            "a group of no scenario"
        );
        assert!(scenario(&["--agents", "8..12", "--seed", "4"]).is_ok());
        for quick in [
            &["--arrival-rate", "100"][..],
            &["--target-sl", "0.9@30s"],
            &["--shrinkage", "0.3"],
            &["--concurrency", "2"],
        ] {
            assert!(scenario(quick).is_err(), "{quick:?}");
        }
    }

    #[test]
    fn the_swept_group_is_the_one_named_and_a_wrong_name_lists_the_groups() {
        let mut peak = Scenario::load(Path::new("scenarios/peak-hour.toml")).unwrap();
        assert_eq!(swept_group(&mut peak, None).unwrap(), 0, "the first");
        assert_eq!(swept_group(&mut peak, Some("peak-cover")).unwrap(), 2);
        assert_eq!(peak.plan.group.as_deref(), Some("peak-cover"));
        let e = swept_group(&mut peak, Some("night"))
            .unwrap_err()
            .to_string();
        assert!(e.contains("frontline, early, peak-cover"), "{e}");
    }

    #[test]
    fn the_recommendation_says_when_fewer_agents_were_not_tried() {
        let text = |n, smallest| recommendation(Some(n), Some(n + 1), 0.2, Some(smallest));
        assert_eq!(
            text(13, 10),
            "recommended: 13 agents on contacts; 14 on the roster at 20% shrinkage"
        );
        assert!(text(10, 10).ends_with("try a lower --agents range)"));
        assert_eq!(
            text(1, 1),
            "recommended: 1 agent on contacts; 2 on the roster at 20% shrinkage (as few as there can be)"
        );
        assert_eq!(
            recommendation(None, None, 0.0, Some(3)),
            "no agent count in the range meets the target"
        );
    }

    #[test]
    fn targets_and_ranges_parse_and_bad_ones_say_what_to_write() {
        assert_eq!(parse_target("0.8@20s").unwrap(), (0.8, 20.0));
        assert_eq!(parse_target("90%@1m").unwrap(), (0.9, 60.0));
        assert_eq!(parse_target("1.5%@20s").unwrap(), (0.015, 20.0));
        for slip in ["80@20s", "1.5@20s", "120%@20s", "-0.1@20s"] {
            let e = parse_target(slip).unwrap_err().to_string();
            assert!(e.contains("80%@20s"), "{slip}: {e}");
        }
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
