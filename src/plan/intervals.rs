//! Interval staffing as workforce-management tools print it: per interval of the day, the
//! volume, handle time and offered load, the fewest agents meeting the target by Erlang C (or A,
//! with patience), the roster after shrinkage, and what those agents achieve; then the same under
//! load what-ifs.

use super::erlang::{self, ErlangError, Question, ServiceLevelDefinition};
use serde::Serialize;

/// Occupancy above this leaves little slack for a peak; the table flags it.
pub const HIGH_OCCUPANCY: f64 = 0.9;

/// What is asked of every interval.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Goal {
    pub service_level: f64,
    pub threshold_s: f64,
    /// The most occupancy accepted; staffing rises until it holds.
    pub max_occupancy: Option<f64>,
    pub shrinkage: f64,
    /// Mean patience, seconds: Erlang A when given, Erlang C otherwise.
    pub patience_s: Option<f64>,
    /// Chats an agent works at once at full speed: K·N servers.
    pub concurrency: u32,
    pub definition: ServiceLevelDefinition,
}

/// One interval's staffing.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct IntervalRow {
    /// Start of the interval, seconds from the start of the day (or run).
    pub start_s: f64,
    pub length_s: f64,
    /// Contacts expected in the interval.
    pub volume: f64,
    pub aht_s: f64,
    pub offered_load_erlangs: f64,
    /// Agents on contacts meeting the goal; none when the interval has no load.
    pub agents: u32,
    /// Agents to roster after shrinkage.
    pub rostered: u32,
    pub service_level: f64,
    pub asa_s: f64,
    pub p_wait: f64,
    pub p_abandon: f64,
    pub occupancy: f64,
    pub high_occupancy: bool,
    /// What a simulated day with these agents measured for the interval's contacts (the
    /// forecast table of a scenario plan; see `day_check`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub simulated: Option<super::day_check::SimulatedInterval>,
}

/// A staffing table under one load multiplier.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Table {
    /// 1.0 for the forecast; 1.25 for 25 % more contacts, and so on.
    pub load_factor: f64,
    pub rows: Vec<IntervalRow>,
    /// Agent-hours on contacts and rostered over the day.
    pub agent_hours: f64,
    pub rostered_hours: f64,
}

/// The load what-ifs planners ask for.
pub const WHAT_IFS: [f64; 4] = [0.8, 1.0, 1.25, 1.5];

/// Staffs consecutive intervals, each `(length in seconds, contacts per hour)`, with the
/// forecast scaled by `load_factor`. An interval may have no arrivals (a closed hour), but not
/// fewer, nor no length.
pub fn staff(
    intervals: &[(f64, f64)],
    aht_s: f64,
    goal: &Goal,
    load_factor: f64,
) -> Result<Table, ErlangError> {
    let mut rows = Vec::new();
    let mut start = 0.0;
    for &(length_s, rate_per_hour) in intervals {
        if !(length_s > 0.0 && length_s.is_finite()) {
            return Err(ErlangError::NotPositive {
                name: "an interval's length",
                value: length_s,
            });
        }
        if !(rate_per_hour >= 0.0 && rate_per_hour.is_finite()) {
            return Err(ErlangError::NotZeroOrPositive {
                name: "an interval's arrival rate",
                value: rate_per_hour,
            });
        }
        let rate_per_s = rate_per_hour * load_factor / 3600.0;
        rows.push(staff_interval(start, length_s, rate_per_s, aht_s, goal)?);
        start += length_s;
    }
    let hours = |f: fn(&IntervalRow) -> u32| {
        rows.iter()
            .map(|r| f64::from(f(r)) * r.length_s / 3600.0)
            .sum()
    };
    Ok(Table {
        load_factor,
        agent_hours: hours(|r| r.agents),
        rostered_hours: hours(|r| r.rostered),
        rows,
    })
}

/// Figures of one interval at `agents`.
struct Figures {
    service_level: f64,
    asa_s: f64,
    p_wait: f64,
    p_abandon: f64,
    occupancy: f64,
}

fn figures(q: &Question, goal: &Goal) -> Result<Figures, ErlangError> {
    Ok(match goal.patience_s {
        None => {
            let c = erlang::erlang_c(q)?;
            Figures {
                service_level: c.service_level,
                asa_s: c.asa,
                p_wait: c.p_wait,
                p_abandon: 0.0,
                occupancy: c.occupancy,
            }
        }
        Some(patience) => {
            let a = erlang::erlang_a(q, patience, goal.definition)?;
            Figures {
                service_level: a.service_level,
                asa_s: a.asa_all,
                p_wait: a.p_wait,
                p_abandon: a.p_abandon,
                occupancy: a.occupancy,
            }
        }
    })
}

fn staff_interval(
    start_s: f64,
    length_s: f64,
    rate_per_s: f64,
    aht_s: f64,
    goal: &Goal,
) -> Result<IntervalRow, ErlangError> {
    let load = rate_per_s * aht_s;
    let k = goal.concurrency.max(1);
    let mut row = IntervalRow {
        start_s,
        length_s,
        volume: rate_per_s * length_s,
        aht_s,
        offered_load_erlangs: load,
        agents: 0,
        rostered: 0,
        service_level: 1.0,
        asa_s: 0.0,
        p_wait: 0.0,
        p_abandon: 0.0,
        occupancy: 0.0,
        high_occupancy: false,
        simulated: None,
    };
    if rate_per_s <= 0.0 {
        return Ok(row);
    }
    // Start just under the load (fewer servers can only saturate) and add agents until the goal
    // holds; the load bounds the search, since far above it every goal is met.
    let mut agents = ((load / f64::from(k)).floor() as u32).max(1);
    let limit = agents.saturating_mul(4).saturating_add(100);
    loop {
        let q = Question {
            arrival_rate: rate_per_s,
            aht: aht_s,
            agents: agents * k,
            threshold: goal.threshold_s,
        };
        let f = figures(&q, goal)?;
        let meets = f.service_level >= goal.service_level
            && goal.max_occupancy.is_none_or(|m| f.occupancy <= m);
        if meets || agents >= limit {
            row.agents = agents;
            row.rostered = (f64::from(agents) / (1.0 - goal.shrinkage)).ceil() as u32;
            row.service_level = f.service_level;
            row.asa_s = f.asa_s;
            row.p_wait = f.p_wait;
            row.p_abandon = f.p_abandon;
            row.occupancy = f.occupancy;
            row.high_occupancy = f.occupancy > HIGH_OCCUPANCY;
            return Ok(row);
        }
        agents += 1;
    }
}

/// 80 % answered within 20 s, 30 % shrinkage, one contact at a time: the goal tests plan for.
#[cfg(test)]
pub(crate) fn example_goal() -> Goal {
    Goal {
        service_level: 0.8,
        threshold_s: 20.0,
        max_occupancy: None,
        shrinkage: 0.3,
        patience_s: None,
        concurrency: 1,
        definition: ServiceLevelDefinition::AnsweredOverArrivals,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_interval_of_no_length_or_a_negative_rate_is_refused_and_a_closed_one_needs_nobody() {
        let closed = staff(&[(1800.0, 0.0)], 180.0, &example_goal(), 1.0).unwrap();
        assert_eq!(closed.rows[0].agents, 0);
        for (day, what) in [
            ([(0.0, 100.0)], "length"),
            ([(f64::NAN, 100.0)], "length"),
            ([(1800.0, -3.0)], "arrival rate"),
            ([(1800.0, f64::INFINITY)], "arrival rate"),
        ] {
            let e = staff(&day, 180.0, &example_goal(), 1.0)
                .unwrap_err()
                .to_string();
            assert!(e.contains(what), "{day:?}: {e}");
        }
    }

    #[test]
    fn each_interval_gets_the_fewest_agents_meeting_the_goal() {
        // 100 per 30 minutes at 180 s is 10 Erlangs.
        let day = [(1800.0, 200.0), (1800.0, 0.0), (1800.0, 400.0)];
        let t = staff(&day, 180.0, &example_goal(), 1.0).unwrap();
        let r = &t.rows[0];
        assert_eq!(r.volume, 100.0);
        assert!((r.offered_load_erlangs - 10.0).abs() < 1e-9);
        assert!(r.service_level >= 0.8);
        let fewer = erlang::erlang_c(&Question {
            arrival_rate: 200.0 / 3600.0,
            aht: 180.0,
            agents: r.agents - 1,
            threshold: 20.0,
        })
        .unwrap();
        assert!(
            fewer.service_level < 0.8,
            "one agent fewer still meets the goal"
        );
        assert_eq!(r.rostered, (f64::from(r.agents) / 0.7).ceil() as u32);
        assert_eq!(t.rows[1].agents, 0, "no contacts, no agents");
        assert!(t.rows[2].agents > r.agents && t.rows[2].agents < 2 * r.agents + 2);
        let hours = f64::from(r.agents + t.rows[2].agents) * 0.5;
        assert!((t.agent_hours - hours).abs() < 1e-9);
    }

    #[test]
    fn more_load_needs_more_agents_and_an_occupancy_cap_adds_some() {
        let g = example_goal();
        let counts: Vec<u32> = WHAT_IFS
            .iter()
            .map(|f| staff(&[(1800.0, 200.0)], 180.0, &g, *f).unwrap().rows[0].agents)
            .collect();
        assert!(counts.windows(2).all(|w| w[0] < w[1]), "{counts:?}");
        let capped = Goal {
            max_occupancy: Some(0.6),
            ..g
        };
        let r = &staff(&[(1800.0, 200.0)], 180.0, &capped, 1.0).unwrap().rows[0];
        assert!(r.occupancy <= 0.6 && r.agents >= 17, "{r:?}");
    }

    #[test]
    fn busy_intervals_are_flagged() {
        let g = Goal {
            service_level: 0.5,
            threshold_s: 60.0,
            ..example_goal()
        };
        // A large centre runs hot at a lax goal.
        let r = &staff(&[(1800.0, 20_000.0)], 180.0, &g, 1.0).unwrap().rows[0];
        assert!(r.high_occupancy && r.occupancy > HIGH_OCCUPANCY, "{r:?}");
    }
}
