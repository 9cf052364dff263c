//! A staffing sweep for one queue: for each agent count, the simulated figures with their
//! confidence intervals beside the analytic ones, and the smallest staff meeting the target.

use super::erlang::{self, ErlangError, Question, ServiceLevelDefinition};
use super::simulate::{self, Estimates, Model};
use serde::Serialize;

/// The service goal: a share answered within a threshold, and optionally a ceiling on
/// occupancy (of the chat slots when agents hold several, [`Estimates::occupancy`]); shrinkage
/// turns agents on the phones into agents on the roster.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Target {
    pub service_level: f64,
    pub threshold_s: f64,
    pub max_occupancy: Option<f64>,
    /// Share of paid time not available for contacts (breaks, training, absence).
    pub shrinkage: f64,
}

/// What the analytic model says for one agent count, and which model that is.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Analytic {
    /// `erlang_c`, `erlang_a`, or `rule_of_thumb` (concurrency folded into the handle time).
    pub model: &'static str,
    pub p_wait: f64,
    pub p_abandon: f64,
    pub service_level: f64,
    /// Mean time in queue over all arrivals; null when the queue is saturated.
    pub asa_s: Option<f64>,
    /// Mean wait of answered contacts.
    pub asa_answered_s: Option<f64>,
    /// Busy share of what the model counts as servers: agents, or chat slots when agents hold
    /// several chats (compare with the simulated slot occupancy).
    pub occupancy: f64,
}

/// One agent count.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Row {
    pub agents: u32,
    pub simulated: Estimates,
    pub analytic: Analytic,
    /// With several chats per agent, the planners' rule of thumb ([`rule_of_thumb`]), which
    /// planners ask for beside the simulation.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rule_of_thumb: Option<Analytic>,
    /// Whether the simulated figures meet the target.
    pub meets_target: bool,
}

/// The sweep.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Sweep {
    pub arrival_rate_per_hour: f64,
    pub aht_s: f64,
    pub patience_s: Option<f64>,
    pub speed: Vec<f64>,
    pub offered_load_erlangs: f64,
    pub service_level_definition: ServiceLevelDefinition,
    pub service_level_definition_text: &'static str,
    pub target: Target,
    pub rows: Vec<Row>,
    /// The smallest agent count meeting the target, and the roster it needs after shrinkage.
    pub recommended_agents: Option<u32>,
    pub recommended_roster: Option<u32>,
}

/// How thorough the simulation is.
#[derive(Clone, Copy, Debug)]
pub struct Effort {
    pub replications: usize,
    pub customers: u64,
    pub seed: u64,
}

/// The analytic figures for `model` with `agents`. With concurrency, chats at full speed
/// (speed j = j) make K·N independent servers, which Erlang models exactly; otherwise the
/// planners' rule of thumb divides the handle time by the speed at full concurrency.
pub fn analytic(model: &Model, agents: u32) -> Result<Analytic, ErlangError> {
    let k = model.concurrency();
    let full_speed = model
        .speed
        .iter()
        .enumerate()
        .all(|(j, s)| (s - (j + 1) as f64).abs() < 1e-12);
    if full_speed {
        let name = if model.patience.is_some() {
            "erlang_a"
        } else {
            "erlang_c"
        };
        erlang(model, agents * k as u32, model.aht, name)
    } else {
        rule_of_thumb(model, agents)
    }
}

/// The planners' rule of thumb for agents who hold several chats: Erlang over the agents alone,
/// with the handle time divided by the speed at full concurrency (the "concurrency factor").
pub fn rule_of_thumb(model: &Model, agents: u32) -> Result<Analytic, ErlangError> {
    let factor = model.speed.last().copied().unwrap_or(1.0);
    erlang(model, agents, model.aht / factor, "rule_of_thumb")
}

/// Erlang C, or A with patience, for `servers` working contacts of `aht` seconds.
fn erlang(
    model: &Model,
    servers: u32,
    aht: f64,
    name: &'static str,
) -> Result<Analytic, ErlangError> {
    let q = Question {
        arrival_rate: model.arrival_rate,
        aht,
        agents: servers,
        threshold: model.threshold,
    };
    Ok(match model.patience {
        None => {
            let c = erlang::erlang_c(&q)?;
            Analytic {
                model: name,
                p_wait: c.p_wait,
                p_abandon: 0.0,
                service_level: c.service_level,
                asa_s: (!c.saturated).then_some(c.asa),
                asa_answered_s: (!c.saturated).then_some(c.asa),
                occupancy: c.occupancy,
            }
        }
        Some(patience) => {
            let a = erlang::erlang_a(&q, patience, model.definition)?;
            Analytic {
                model: name,
                p_wait: a.p_wait,
                p_abandon: a.p_abandon,
                service_level: a.service_level,
                asa_s: Some(a.asa_all),
                asa_answered_s: Some(a.asa_answered),
                occupancy: a.occupancy,
            }
        }
    })
}

/// The agent counts a sweep tries when the planner names none: from a little under the offered
/// load (in agents, each working its fullest speed's worth of contacts at once) to a few past
/// the smallest count the analytic model says meets `target`. The table then shows where the
/// queue saturates, where the target is met, and some slack, whatever the size of the queue.
/// With a speed curve below full speed the analytic model is the pessimistic rule of thumb, so
/// the range reaches past what the simulation will recommend.
pub fn default_agents(
    model: &Model,
    target: &Target,
) -> Result<std::ops::RangeInclusive<u32>, ErlangError> {
    let per_agent = model.speed.last().copied().unwrap_or(1.0);
    let load = model.arrival_rate * model.aht / per_agent;
    // Without abandonment a queue at or over its load only grows: two such rows show where
    // that starts. With it, a queue under its load settles, and its figures are worth a row.
    let low = match model.patience {
        None => (load.floor() as u32).saturating_sub(1),
        Some(_) => (load * 0.8).floor() as u32,
    }
    .max(1);
    // Far above the load every goal that can be met is; a goal that cannot (a service level of
    // 1) stops there.
    let limit = low.saturating_mul(4).saturating_add(100);
    let mut n = low;
    while n < limit {
        let a = analytic(model, n)?;
        let occupancy_ok = target.max_occupancy.is_none_or(|m| a.occupancy <= m);
        if a.service_level >= target.service_level && occupancy_ok {
            break;
        }
        n += 1;
    }
    Ok(low..=n + (n / 10).max(3))
}

/// Sweeps `agents` (inclusive range) for `model`.
pub fn sweep(
    model: &Model,
    agents: std::ops::RangeInclusive<u32>,
    target: Target,
    effort: Effort,
) -> Result<Sweep, ErlangError> {
    let mut rows = Vec::new();
    for n in agents {
        let m = Model {
            agents: n,
            ..model.clone()
        };
        let simulated = simulate::replicate(&m, effort.customers, effort.replications, effort.seed);
        let analytic = analytic(&m, n)?;
        // Without abandonment a queue at or over its load grows for as long as it runs: what a
        // finite run measured there staffs nothing. (Erlang's saturation is exact here, even as
        // the rule of thumb: no agent works faster than its fullest speed.)
        let stable = analytic.asa_s.is_some();
        let meets_target = stable
            && simulated.service_level.mean >= target.service_level
            && target
                .max_occupancy
                .is_none_or(|max| simulated.occupancy().mean <= max);
        let rule_of_thumb = (m.concurrency() > 1)
            .then(|| rule_of_thumb(&m, n))
            .transpose()?;
        rows.push(Row {
            agents: n,
            analytic,
            rule_of_thumb,
            simulated,
            meets_target,
        });
    }
    let recommended_agents = rows.iter().find(|r| r.meets_target).map(|r| r.agents);
    Ok(Sweep {
        arrival_rate_per_hour: model.arrival_rate * 3600.0,
        aht_s: model.aht,
        patience_s: model.patience,
        speed: model.speed.clone(),
        offered_load_erlangs: model.arrival_rate * model.aht,
        service_level_definition: model.definition,
        service_level_definition_text: model.definition.describe(),
        target,
        recommended_roster: recommended_agents
            .map(|n| (f64::from(n) / (1.0 - target.shrinkage)).ceil() as u32),
        recommended_agents,
        rows,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 120/h, solo AHT 600 s, 30 s threshold; agents hold as many chats as `speed` has.
    fn chats(speed: Vec<f64>) -> Model {
        Model {
            arrival_rate: 120.0 / 3600.0,
            aht: 600.0,
            agents: 0,
            speed,
            patience: None,
            threshold: 30.0,
            definition: ServiceLevelDefinition::AnsweredOverArrivals,
        }
    }

    /// `per_hour` contacts of 180 s, one at a time.
    fn calls(per_hour: f64) -> Model {
        Model {
            arrival_rate: per_hour / 3600.0,
            aht: 180.0,
            ..chats(vec![1.0])
        }
    }

    fn target(max_occupancy: Option<f64>) -> Target {
        Target {
            service_level: 0.8,
            threshold_s: 30.0,
            max_occupancy,
            shrinkage: 0.0,
        }
    }

    const EFFORT: Effort = Effort {
        replications: 4,
        customers: 20_000,
        seed: 11,
    };

    #[test]
    fn an_occupancy_ceiling_applies_to_the_chat_slots_when_agents_hold_several() {
        let model = chats(vec![1.0, 2.0, 3.0]);
        let plan = sweep(&model, 8..=10, target(Some(0.85)), EFFORT).expect("a sweep");
        // Nine agents answer 93 % within 30 s with three quarters of their slots busy, while
        // each of them holds some chat nearly all the time.
        let nine = &plan.rows[1];
        assert!(nine.simulated.agent_occupancy.mean > 0.95, "{nine:?}");
        assert!(nine.simulated.occupancy().mean < 0.8, "{nine:?}");
        assert_eq!(plan.recommended_agents, Some(9));

        let tight = sweep(&model, 8..=10, target(Some(0.7)), EFFORT).expect("a sweep");
        assert_eq!(tight.recommended_agents, Some(10));
    }

    #[test]
    fn the_default_range_runs_from_under_the_load_past_the_recommendation() {
        // 10 Erlangs, 80 % in 30 s: Erlang C says 13 agents.
        let small = calls(200.0);
        assert_eq!(default_agents(&small, &target(None)), Ok(9..=16));
        let impatient = Model {
            patience: Some(300.0),
            ..small.clone()
        };
        assert_eq!(default_agents(&impatient, &target(None)), Ok(8..=15));
        // 100 Erlangs: the old fixed 1..50 never reached a stable queue.
        let large = calls(2000.0);
        let range = default_agents(&large, &target(None)).expect("a range");
        assert_eq!(*range.start(), 99);
        let plan = sweep(&large, range.clone(), target(None), EFFORT).expect("a sweep");
        let recommended = plan.recommended_agents.expect("a recommendation");
        assert!(
            recommended > 100 && recommended + 3 <= *range.end(),
            "{range:?} {recommended}"
        );
        // Three chats each at full speed: a third as many agents.
        let chatting = chats(vec![1.0, 2.0, 3.0]);
        let range = default_agents(&chatting, &target(Some(0.85))).expect("a range");
        assert_eq!(*range.start(), 5);
        assert!(range.contains(&9) && range.contains(&12), "{range:?}");
        let slower = Model {
            patience: Some(300.0),
            ..chats(vec![1.0, 1.7, 2.2])
        };
        let range = default_agents(&slower, &target(None)).expect("a range");
        // 20 Erlangs at 2.2 chats' worth each: 9.1 agents' load. The rule of thumb that sets
        // the end asks more than the simulation recommends.
        assert_eq!(*range.start(), 7);
        let plan = sweep(&slower, range.clone(), target(None), EFFORT).expect("a sweep");
        let recommended = plan.recommended_agents.expect("a recommendation");
        assert!(recommended + 3 <= *range.end(), "{range:?} {recommended}");
    }

    #[test]
    fn several_chats_bring_the_rule_of_thumb_beside_the_exact_model() {
        let model = chats(vec![1.0, 2.0, 3.0]);
        let plan = sweep(&model, 9..=9, target(None), EFFORT).expect("a sweep");
        let nine = &plan.rows[0];
        let thumb = nine.rule_of_thumb.as_ref().expect("a rule of thumb");
        // Nine agents at a third of the handle time: Erlang C on 9 servers of 200 s.
        let c = erlang::erlang_c(&Question {
            arrival_rate: model.arrival_rate,
            aht: 200.0,
            agents: 9,
            threshold: 30.0,
        })
        .unwrap();
        assert_eq!(thumb.model, "rule_of_thumb");
        assert!((thumb.service_level - c.service_level).abs() < 1e-12);
        // The exact model (27 slots) and the simulation agree; the rule of thumb is pessimistic.
        assert_eq!(nine.analytic.model, "erlang_c");
        assert!(thumb.service_level + 0.1 < nine.analytic.service_level);
        let single = sweep(&calls(200.0), 13..=13, target(None), EFFORT).expect("a sweep");
        assert!(single.rows[0].rule_of_thumb.is_none());
    }

    #[test]
    fn a_saturated_queue_meets_no_target() {
        // 5 Erlangs on 5 agents without abandonment: a finite run still answers a few in time.
        let model = calls(100.0);
        let low = Target {
            service_level: 0.01,
            ..target(None)
        };
        let plan = sweep(&model, 5..=6, low, EFFORT).expect("a sweep");
        assert!(plan.rows[0].simulated.service_level.mean > 0.01, "{plan:?}");
        assert!(!plan.rows[0].meets_target);
        assert_eq!(plan.recommended_agents, Some(6));
    }

    #[test]
    fn with_one_chat_each_the_ceiling_is_on_the_agents() {
        let model = calls(200.0);
        let plan = sweep(&model, 13..=15, target(Some(0.74)), EFFORT).expect("a sweep");
        let thirteen = &plan.rows[0];
        assert_eq!(
            thirteen.simulated.occupancy(),
            &thirteen.simulated.agent_occupancy
        );
        // 10 Erlangs: 13 agents are 77 % busy, 14 are 71 %.
        assert_eq!(plan.recommended_agents, Some(14));
    }
}
