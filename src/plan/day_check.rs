//! Checks a day's staffing table by simulation: the scenario run in virtual time with the planned
//! group replaced by the table's agents, each interval's agents on shift for that interval, and
//! what the contacts of each interval got measured beside what Erlang promised for it. Erlang
//! treats every interval as a steady state of its own; the simulated day carries queues and
//! conversations across interval boundaries, as a real day does.

use super::intervals::Table;
use super::simulate::Estimate;
use crate::scenario::dist::Span;
use crate::scenario::{Scenario, Shift};
use crate::virtual_time::VirtualError;
use serde::Serialize;
use std::time::Duration;

/// What the simulated day measured in one interval, over the replications, for the contacts
/// that asked for an agent in it.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct SimulatedInterval {
    pub service_level: Estimate,
    pub abandon_rate: Estimate,
    pub asa_s: Estimate,
}

/// `scenario` with group `group` replaced by the agents of `table`, interval by interval: each
/// interval's agents go online at its start and offline at its end (the last interval's stay
/// through the drain). Conversations an agent accepted stay with it past its shift (R-ROUTE-7).
pub fn rostered(scenario: &Scenario, group: usize, table: &Table) -> Scenario {
    let mut s = scenario.clone();
    let template = s.agents.remove(group);
    let last = table.rows.len().saturating_sub(1);
    for (i, row) in table.rows.iter().enumerate().filter(|(_, r)| r.agents > 0) {
        let start = Duration::from_secs_f64(row.start_s);
        let end = Duration::from_secs_f64(row.start_s + row.length_s);
        let mut g = template.clone();
        g.name = format!("{}@{i:03}", template.name);
        g.count = row.agents;
        g.shift = Shift {
            start: Span(start),
            end: (i < last).then_some(Span(end)),
        };
        s.agents.push(g);
    }
    s
}

/// Runs the rostered day `replications` times and sets each row's simulated figures.
pub fn check(
    scenario: &Scenario,
    group: usize,
    table: &mut Table,
    replications: usize,
    seed: u64,
) -> Result<(), VirtualError> {
    let day = rostered(scenario, group, table);
    let runs: Vec<_> = super::replicate::summaries(&day, replications, seed)?
        .into_iter()
        .map(|s| s.by_interval)
        .collect();
    for (i, row) in table.rows.iter_mut().enumerate() {
        let of = |f: fn(&crate::measure::periods::IntervalOutcome) -> Option<f64>| {
            let values: Vec<f64> = runs.iter().filter_map(|r| r.get(i).and_then(f)).collect();
            Estimate::of(&values)
        };
        row.simulated = Some(SimulatedInterval {
            service_level: of(|o| o.service_level),
            abandon_rate: of(|o| o.abandon_rate),
            asa_s: of(|o| o.asa_s),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::erlang::ServiceLevelDefinition;
    use crate::plan::intervals::{self, Goal};

    const DAY: &str = r#"
name = "two-peaks"
duration = "2h"
drain = "30m"
seed = 3
service_level_threshold = "20s"

[[queues]]
name = "support"

[[channels]]
name = "web"
kind = "web"
platform = "enhanced"
entry = "queue:support"

[[agents]]
name = "team"
count = 1
capacity = 1
accept_delay = "1s"
reply_time = "exp(20s)"

[arrivals]
intervals = [
  { length = "30m", rate = "60/h" },
  { length = "30m", rate = "600/h" },
  { length = "30m", rate = "0/h" },
  { length = "30m", rate = "300/h" },
]

[customers]
messages = "3"
think_time = "exp(10s)"
patience = "exp(5m)"
"#;

    fn table(scenario: &Scenario) -> Table {
        let goal = Goal {
            service_level: 0.8,
            threshold_s: 20.0,
            max_occupancy: None,
            shrinkage: 0.0,
            patience_s: Some(300.0),
            concurrency: 1,
            definition: ServiceLevelDefinition::AnsweredOverArrivals,
        };
        let day: Vec<(f64, f64)> = scenario
            .arrivals
            .intervals
            .iter()
            .map(|i| (i.length.0.as_secs_f64(), i.rate.0 * 3600.0))
            .collect();
        intervals::staff(&day, 90.0, &goal, 1.0).unwrap()
    }

    #[test]
    fn each_interval_gets_its_own_agents_on_shift_for_it() {
        let scenario: Scenario = toml::from_str(DAY).unwrap();
        let t = table(&scenario);
        let day = rostered(&scenario, 0, &t);
        let groups: Vec<(u32, u64, Option<u64>)> = day
            .agents
            .iter()
            .map(|g| {
                let end = g.shift.end.map(|e| e.0.as_secs());
                (g.count, g.shift.start.0.as_secs(), end)
            })
            .collect();
        let planned: Vec<u32> = t.rows.iter().map(|r| r.agents).collect();
        assert_eq!(planned[2], 0, "an interval without contacts needs nobody");
        assert!(planned[1] > planned[3] && planned[3] > planned[0]);
        assert_eq!(
            groups,
            vec![
                (planned[0], 0, Some(1800)),
                (planned[1], 1800, Some(3600)),
                (planned[3], 5400, None),
            ]
        );
    }

    #[test]
    fn the_simulated_day_reports_every_interval_that_had_contacts() {
        let scenario: Scenario = toml::from_str(DAY).unwrap();
        let mut t = table(&scenario);
        check(&scenario, 0, &mut t, 3, 1).unwrap();
        for (i, row) in t.rows.iter().enumerate() {
            let sim = row.simulated.expect("every row is checked");
            if row.volume > 0.0 {
                let sl = sim.service_level.mean;
                assert!((0.0..=1.0).contains(&sl), "interval {i}: {sl}");
            } else {
                assert!(
                    sim.service_level.mean.is_nan(),
                    "interval {i} had no contacts"
                );
            }
        }
        // Staffed for 80 % within 20 s, the busiest interval gets about that.
        let peak = t.rows[1].simulated.unwrap().service_level.mean;
        assert!(peak > 0.6, "peak interval service level {peak}");
    }
}
