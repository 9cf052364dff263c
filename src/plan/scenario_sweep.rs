//! Staffing a whole scenario: its swept agent group at each size, run in virtual time over
//! several replications, with the Erlang figures beside where the model fits, and the interval
//! staffing table of the day when the arrival profile has intervals.

use super::day_check;
use super::erlang::ServiceLevelDefinition;
use super::intervals::{self, Goal, Table};
use super::simulate::Estimate;
use super::sweep::{self, Analytic};
use crate::scenario::Scenario;
use crate::scenario::dist::Dist;
use crate::virtual_time::VirtualError;
use serde::Serialize;

/// Why a scenario could not be planned.
#[derive(Debug, thiserror::Error)]
pub enum PlanError {
    #[error("the scenario has no agent group to size")]
    NoGroup,
    #[error(transparent)]
    Virtual(#[from] VirtualError),
    #[error(transparent)]
    Erlang(#[from] super::erlang::ErlangError),
}

/// One size of the swept group.
#[derive(Clone, Debug, Serialize)]
pub struct ScenarioRow {
    pub agents: u32,
    pub service_level: Estimate,
    /// Mean speed to answer of answered contacts, seconds.
    pub asa_s: Estimate,
    pub abandon_rate: Estimate,
    pub occupancy: Estimate,
    /// Mean handle time the runs measured, seconds: what the analytic column assumes.
    pub handle_s: Estimate,
    /// Erlang C (or A with exponential patience), from the contacts per hour that reached the
    /// queues and the handle time measured, each agent counting as `capacity` servers.
    pub analytic: Option<Analytic>,
    pub meets_target: bool,
}

/// The whole plan of a scenario.
#[derive(Clone, Debug, Serialize)]
pub struct ScenarioPlan {
    pub scenario: String,
    pub group: String,
    /// The scenario's other agent groups, at their own sizes and shifts in every run: the
    /// recommendation is for the swept group beside them.
    pub others: Vec<OtherGroup>,
    pub replications: usize,
    pub service_level_definition: &'static str,
    /// Whether the Erlang model fits the whole run: no skills split the agents into pools and
    /// arrivals come at one steady rate.
    pub analytic_fits: bool,
    pub goal: Goal,
    pub rows: Vec<ScenarioRow>,
    pub recommended_agents: Option<u32>,
    pub recommended_roster: Option<u32>,
    /// Per interval, under each load what-if, when the arrivals come in intervals.
    pub intervals: Vec<Table>,
}

/// An agent group the plan leaves as the scenario has it.
#[derive(Clone, Debug, Serialize)]
pub struct OtherGroup {
    pub name: String,
    pub agents: u32,
    pub capacity: u32,
}

impl ScenarioPlan {
    /// What stays fixed while the group is swept, e.g. "beside the other groups as the scenario
    /// has them: early (2 agents, 3 chats each)", or nothing when the group is the only one.
    pub fn beside(&self) -> Option<String> {
        let plural = |n: u32| if n == 1 { "" } else { "s" };
        let groups: Vec<String> = self
            .others
            .iter()
            .map(|g| {
                format!(
                    "{} ({} agent{}, {} chat{} each)",
                    g.name,
                    g.agents,
                    plural(g.agents),
                    g.capacity,
                    plural(g.capacity)
                )
            })
            .collect();
        (!groups.is_empty()).then(|| {
            format!(
                "beside the other groups as the scenario has them: {}",
                groups.join(", ")
            )
        })
    }
}

/// Which sizes of the group a plan tries.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Sizes {
    /// Exactly these: the planner named them.
    Exactly(std::ops::RangeInclusive<u32>),
    /// These first; then fewer while the fewest tried still meets the goal, and more (up to
    /// twice the most) while none does, so that the recommendation is the smallest size that
    /// meets it rather than the edge of a guess.
    Around(std::ops::RangeInclusive<u32>),
}

/// What a plan measures the same way at every size.
struct Sweeper<'a> {
    scenario: &'a Scenario,
    group: usize,
    capacity: u32,
    others: u32,
    steady: bool,
    goal: Goal,
    replications: usize,
    seed: u64,
    /// Per run, the share of arrivals that asked for an agent.
    offered_share: Vec<f64>,
    /// Told of each size as soon as its runs are done.
    done: &'a mut dyn FnMut(&ScenarioRow),
}

impl Sweeper<'_> {
    /// The group at `n` agents, `replications` virtual runs.
    fn row(&mut self, n: u32) -> Result<ScenarioRow, PlanError> {
        let mut s = self.scenario.clone();
        s.agents[self.group].count = n;
        let runs = super::replicate::summaries(&s, self.replications, self.seed)?;
        let of = |f: &dyn Fn(&crate::measure::Summary) -> Option<f64>| {
            Estimate::of(&runs.iter().filter_map(f).collect::<Vec<_>>())
        };
        let service_level = of(&|s| s.service_level.value);
        let asa_s = of(&|s| s.latency_ms.get("speed_to_answer").map(|l| l.mean / 1000.0));
        let abandon_rate = of(&|s| s.abandon_rate);
        let occupancy = of(&|s| s.occupancy);
        let handle_s = of(&|s| s.latency_ms.get("handle").map(|l| l.mean / 1000.0));
        let per_hour = of(&|s| Some(s.routing.handed_off as f64 / s.duration_s * 3600.0));
        self.offered_share.extend(
            runs.iter()
                .map(|s| s.routing.handed_off as f64 / s.arrivals.started.max(1) as f64),
        );
        let goal = &self.goal;
        let analytic = (self.steady && handle_s.mean.is_finite() && per_hour.mean > 0.0)
            .then(|| {
                let model = super::simulate::Model {
                    arrival_rate: per_hour.mean / 3600.0,
                    aht: handle_s.mean,
                    agents: n,
                    speed: vec![1.0],
                    patience: goal.patience_s,
                    threshold: goal.threshold_s,
                    definition: goal.definition,
                };
                sweep::analytic(&model, n * self.capacity + self.others)
            })
            .transpose()?;
        let meets_target = service_level.mean >= goal.service_level
            && goal.max_occupancy.is_none_or(|m| occupancy.mean <= m);
        let row = ScenarioRow {
            agents: n,
            service_level,
            asa_s,
            abandon_rate,
            occupancy,
            handle_s,
            analytic,
            meets_target,
        };
        (self.done)(&row);
        Ok(row)
    }
}

/// Sweeps the plan group's size over `sizes`, `replications` virtual runs each.
pub fn plan(
    scenario: &Scenario,
    sizes: Sizes,
    replications: usize,
    seed: u64,
) -> Result<ScenarioPlan, PlanError> {
    plan_reporting(scenario, sizes, replications, seed, &mut |_| {})
}

/// [`plan`], telling `done` of each size as soon as its runs are done: a sweep of a day's
/// scenario takes seconds to minutes.
pub fn plan_reporting(
    scenario: &Scenario,
    sizes: Sizes,
    replications: usize,
    seed: u64,
    done: &mut dyn FnMut(&ScenarioRow),
) -> Result<ScenarioPlan, PlanError> {
    let group = scenario
        .plan
        .group_index(&scenario.agents)
        .ok_or(PlanError::NoGroup)?;
    let capacity = scenario.agents[group].capacity;
    let other_groups: Vec<OtherGroup> = scenario
        .agents
        .iter()
        .enumerate()
        .filter(|(i, _)| *i != group)
        .map(|(_, g)| OtherGroup {
            name: g.name.clone(),
            agents: g.count,
            capacity: g.capacity,
        })
        .collect();
    let others = other_groups.iter().map(|g| g.agents * g.capacity).sum();
    let patience_s = match scenario.customers.patience {
        Dist::Exp(mean) => Some(mean.as_secs_f64()),
        _ => None,
    };
    let goal = Goal {
        service_level: scenario.plan.service_level,
        threshold_s: scenario.service_level_threshold.0.as_secs_f64(),
        max_occupancy: scenario.plan.max_occupancy,
        shrinkage: scenario.plan.shrinkage,
        patience_s,
        concurrency: capacity,
        // What the summary's service level counts: accepted within T over accepted + abandoned.
        definition: ServiceLevelDefinition::AnsweredOverArrivals,
    };
    // Erlang pools every agent behind one queue: with skills deciding who may take what, its
    // figures would describe another contact centre, so they are left out.
    let fits = scenario
        .queues
        .iter()
        .all(|q| q.required_skills.is_empty() && q.additional_skills.is_empty());
    // Over a whole run Erlang needs a steady arrival rate; ramps and intervals get their
    // figures per interval instead.
    let steady = fits && scenario.arrivals.rate.is_some();
    let mut sweeper = Sweeper {
        scenario,
        group,
        capacity,
        others,
        steady,
        goal,
        replications,
        seed,
        offered_share: Vec::new(),
        done,
    };
    let (first, grow) = match sizes {
        Sizes::Exactly(r) => (r, false),
        Sizes::Around(r) => (r, true),
    };
    let mut rows = first
        .clone()
        .map(|n| sweeper.row(n))
        .collect::<Result<Vec<_>, _>>()?;
    if grow {
        while let Some(fewest) = rows.first().filter(|r| r.meets_target && r.agents > 1) {
            let n = fewest.agents - 1;
            rows.insert(0, sweeper.row(n)?);
        }
        let most = first.end().saturating_mul(2);
        while !rows.iter().any(|r| r.meets_target) {
            let Some(n) = rows.last().map(|r| r.agents + 1).filter(|&n| n <= most) else {
                break;
            };
            rows.push(sweeper.row(n)?);
        }
    }
    let offered_share = sweeper.offered_share;
    let recommended_agents = rows.iter().find(|r| r.meets_target).map(|r| r.agents);
    // The day's intervals, staffed with the handle time measured at the recommended size (or
    // the largest tried) and the share of arrivals that reach an agent.
    let mut tables = Vec::new();
    let a = &scenario.arrivals;
    if fits && !a.intervals.is_empty() {
        let basis = recommended_agents
            .and_then(|n| rows.iter().find(|r| r.agents == n))
            .or(rows.last());
        let share = Estimate::of(&offered_share).mean;
        if let Some(aht) = basis.map(|r| r.handle_s.mean).filter(|h| h.is_finite()) {
            let day: Vec<(f64, f64)> = a
                .intervals
                .iter()
                .map(|i| (i.length.0.as_secs_f64(), i.rate.0 * 3600.0 * share))
                .collect();
            let goal = Goal {
                concurrency: capacity,
                ..goal
            };
            for factor in intervals::WHAT_IFS {
                let mut table = intervals::staff(&day, aht, &goal, factor)?;
                if factor == 1.0 {
                    day_check::check(scenario, group, &mut table, replications, seed)?;
                }
                tables.push(table);
            }
        }
    }
    Ok(ScenarioPlan {
        scenario: scenario.name.clone(),
        group: scenario.agents[group].name.clone(),
        others: other_groups,
        replications,
        service_level_definition: goal.definition.describe(),
        analytic_fits: steady,
        goal,
        recommended_roster: recommended_agents
            .map(|n| (f64::from(n) / (1.0 - goal.shrinkage)).ceil() as u32),
        recommended_agents,
        rows,
        intervals: tables,
    })
}
