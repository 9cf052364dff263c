//! `omnisim plan SCENARIO`: a scenario's agent group sized in virtual time, Erlang beside it
//! where the model fits, and the interval table of the day when arrivals come in intervals.

use omnisim::plan::scenario_sweep::{self, Sizes};
use omnisim::scenario::Scenario;

const STEADY: &str = r#"
name = "steady"
duration = "2000s"
drain = "10m"
seed = 2
service_level_threshold = "5s"

[[queues]]
name = "q"
push_timeout = "1h"

[[channels]]
name = "web"
kind = "web"
platform = "standard"
entry = "queue:q"

[[agents]]
name = "team"
count = 4
capacity = 1
accept_delay = "0s"
reply_time = "exp(20s)"

[arrivals]
rate = "600/h"

[customers]
messages = "0"
patience = "exp(2m)"

[plan]
service_level = 0.8
shrinkage = 0.25
"#;

#[test]
fn more_agents_answer_more_and_erlang_a_stands_beside_the_simulation() {
    let scenario = Scenario::parse(STEADY, "steady.toml").unwrap();
    // 600/h at 20 s is 3.3 Erlangs.
    let plan = scenario_sweep::plan(&scenario, Sizes::Exactly(3..=6), 3, 1).unwrap();
    assert!(plan.analytic_fits);
    assert_eq!(plan.rows.len(), 4);
    let sl: Vec<f64> = plan.rows.iter().map(|r| r.service_level.mean).collect();
    assert!(sl.windows(2).all(|w| w[0] < w[1] + 0.02), "{sl:?}");
    for r in &plan.rows {
        let a = r
            .analytic
            .as_ref()
            .expect("a steady single pool fits Erlang A");
        assert_eq!(a.model, "erlang_a");
        assert!(
            (a.service_level - r.service_level.mean).abs() < 0.1,
            "{r:?}"
        );
        assert!((a.p_abandon - r.abandon_rate.mean).abs() < 0.05, "{r:?}");
    }
    let n = plan
        .recommended_agents
        .expect("6 agents on 3.3 Erlangs meet 80%");
    let row = plan.rows.iter().find(|r| r.agents == n).unwrap();
    assert!(row.service_level.mean >= 0.8);
    assert_eq!(
        plan.recommended_roster,
        Some((f64::from(n) / 0.75).ceil() as u32)
    );
    assert!(plan.intervals.is_empty(), "a steady rate has no intervals");
}

#[test]
fn a_range_left_to_the_plan_grows_until_it_holds_the_smallest_size_that_meets_the_goal() {
    let scenario = Scenario::parse(STEADY, "steady.toml").unwrap();
    // 3.3 Erlangs: 9 and 10 agents both meet 80 %, so the plan looks below 9 until a size fails.
    let mut told = Vec::new();
    let mut done = |r: &scenario_sweep::ScenarioRow| told.push(r.agents);
    let down =
        scenario_sweep::plan_reporting(&scenario, Sizes::Around(9..=10), 2, 1, &mut done).unwrap();
    let sizes: Vec<u32> = down.rows.iter().map(|r| r.agents).collect();
    // Each size is told of as it is done: the range first, then the sizes below it.
    told.sort();
    assert_eq!(told, sizes);
    let n = down.recommended_agents.expect("a size that meets the goal");
    assert!(n < 9 && sizes[0] == n - 1, "{sizes:?}");
    assert!(!down.rows[0].meets_target);
    assert!(sizes.windows(2).all(|w| w[1] == w[0] + 1), "{sizes:?}");
    // Exactly the same sizes, named: the plan keeps to them and its smallest meets the goal.
    let exactly = scenario_sweep::plan(&scenario, Sizes::Exactly(9..=10), 2, 1).unwrap();
    assert_eq!(exactly.rows.len(), 2);
    assert_eq!(exactly.recommended_agents, Some(9));
    // 2 and 3 agents fall short: the plan looks above 3 until a size meets the goal.
    let up = scenario_sweep::plan(&scenario, Sizes::Around(2..=3), 2, 1).unwrap();
    assert_eq!(up.recommended_agents, up.rows.last().map(|r| r.agents));
    assert_eq!(Some(n), up.recommended_agents);
}

#[test]
fn a_day_in_intervals_gets_a_staffing_table_per_load_what_if() {
    let text = STEADY.replace(
        "rate = \"600/h\"",
        "intervals = [{ length = \"10m\", rate = \"300/h\" }, { length = \"10m\", rate = \"900/h\" }]",
    );
    let scenario = Scenario::parse(&text, "day.toml").unwrap();
    let plan = scenario_sweep::plan(&scenario, Sizes::Exactly(4..=5), 2, 1).unwrap();
    assert!(
        !plan.analytic_fits,
        "a whole-run Erlang figure would average the peak away"
    );
    assert!(plan.rows.iter().all(|r| r.analytic.is_none()));
    let factors: Vec<f64> = plan.intervals.iter().map(|t| t.load_factor).collect();
    assert_eq!(factors, [0.8, 1.0, 1.25, 1.5]);
    let forecast = &plan.intervals[1];
    assert_eq!(forecast.rows.len(), 2);
    assert!(forecast.rows[1].agents > forecast.rows[0].agents);
    assert!(forecast.rows.iter().all(|r| r.service_level >= 0.8));
    assert_eq!(forecast.rows[1].start_s, 600.0);
}

#[test]
fn a_plan_group_that_does_not_exist_is_a_scenario_error() {
    let text = STEADY.replace("shrinkage = 0.25", "shrinkage = 0.25\ngroup = \"nobody\"");
    let e = Scenario::parse(&text, "t.toml").unwrap_err().to_string();
    assert!(e.contains("plan.group") && e.contains("nobody"), "{e}");
}

#[test]
fn the_other_groups_work_beside_the_swept_one_and_the_plan_names_them() {
    let alone = Scenario::parse(STEADY, "steady.toml").unwrap();
    let text = STEADY.replace(
        "[arrivals]",
        "[[agents]]\nname = \"cover\"\ncount = 2\ncapacity = 1\naccept_delay = \"0s\"\nreply_time = \"exp(20s)\"\n\n[arrivals]",
    );
    let covered = Scenario::parse(&text, "covered.toml").unwrap();
    let sl = |s: &Scenario| {
        let plan = scenario_sweep::plan(s, Sizes::Exactly(2..=2), 3, 1).unwrap();
        (plan.rows[0].service_level.mean, plan)
    };
    let (sl_alone, plan_alone) = sl(&alone);
    let (sl_covered, plan) = sl(&covered);
    assert_eq!(plan.group, "team");
    assert!(plan_alone.beside().is_none());
    assert_eq!(
        plan.beside().as_deref(),
        Some("beside the other groups as the scenario has them: cover (2 agents, 1 chat each)")
    );
    // Two agents alone are under the 3.3 Erlangs offered; with the cover group there are four.
    assert!(
        sl_alone < 0.2 && sl_covered > 0.5,
        "{sl_alone} {sl_covered}"
    );
}
