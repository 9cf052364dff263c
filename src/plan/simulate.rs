//! A discrete-event simulation of the single-queue model the Erlang formulas describe, so that
//! planners can see simulation and theory side by side, and go where theory stops: agents
//! working several chats at once at a speed that depends on how many they hold.
//!
//! Poisson arrivals, one FIFO queue, exponential work per contact. An agent holding `j` chats
//! (at most `concurrency`) works at a total rate `speed[j−1] · μ`, shared equally by its chats;
//! since work is exponential, only the current rates matter. Waiting contacts abandon after an
//! exponential patience. A new contact goes to the agent holding the fewest chats.

use super::erlang::ServiceLevelDefinition;
use super::free_slots::FreeSlots;
use omnisim_protocol::limits::MAX_CAPACITY;
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use std::cmp::Reverse;
use std::collections::{BinaryHeap, VecDeque};

/// The model to simulate.
#[derive(Clone, Debug, PartialEq)]
pub struct Model {
    /// Arrivals per second.
    pub arrival_rate: f64,
    /// Mean handle time of a contact worked alone, seconds.
    pub aht: f64,
    pub agents: u32,
    /// Total work rate of an agent holding j chats, relative to one chat alone: `speed[j − 1]`,
    /// with `speed[0] = 1`; its length is the most chats an agent holds at once.
    pub speed: Vec<f64>,
    /// Mean patience of a waiting contact, seconds; `None`: nobody abandons (Erlang C).
    pub patience: Option<f64>,
    /// Service level threshold, seconds.
    pub threshold: f64,
    pub definition: ServiceLevelDefinition,
}

impl Model {
    /// Chats an agent holds at most.
    pub fn concurrency(&self) -> usize {
        self.speed.len()
    }
}

/// What one replication measured, over the contacts that arrived after the warm-up.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Measured {
    pub arrivals: u64,
    pub p_wait: f64,
    pub p_abandon: f64,
    pub service_level: f64,
    /// Mean time in queue over all arrivals (abandoned ones until they left), seconds.
    pub asa_all: f64,
    /// Mean wait of answered contacts, seconds.
    pub asa_answered: f64,
    /// Share of agent time with at least one chat.
    pub agent_occupancy: f64,
    /// Share of chat slots in use.
    pub slot_occupancy: f64,
    /// Share of agent time holding exactly j chats, j = 0..=concurrency.
    pub concurrency: Vec<f64>,
    /// Events processed (arrivals, completions), for speed figures.
    pub events: u64,
}

/// Simulated seconds are kept as f64; heap keys use their bit patterns, which order like the
/// values for the non-negative finite times used here.
fn key(t: f64) -> u64 {
    t.to_bits()
}

fn exp(rng: &mut SmallRng, rate: f64) -> f64 {
    // The ziggurat method takes a logarithm in a few percent of draws, not in each: a sixth of
    // the simulation's time otherwise.
    rng.sample::<f64, _>(rand_distr::Exp1) / rate
}

/// Simulates `warmup + customers` arrivals and measures the last `customers`.
pub fn simulate(model: &Model, warmup: u64, customers: u64, seed: u64) -> Measured {
    let mut rng = SmallRng::seed_from_u64(seed);
    let n = model.agents as usize;
    let k = model.concurrency();
    let mu = 1.0 / model.aht;
    let theta = model.patience.map(|p| 1.0 / p);
    // Per agent: chats held, and the version of its scheduled completion (stale heap entries
    // carry an older version).
    let mut held = vec![0usize; n];
    let mut version = vec![0u64; n];
    let mut completions: BinaryHeap<Reverse<(u64, u32, u64)>> = BinaryHeap::new();
    let mut free = FreeSlots::new(model.agents, k);
    // Waiting contacts: (arrival time, patience deadline, measured).
    let mut queue: VecDeque<(f64, f64, bool)> = VecDeque::new();

    let mut next_arrival = exp(&mut rng, model.arrival_rate);
    let total = warmup + customers;
    let mut arrived = 0u64;
    let mut m = Measured {
        concurrency: vec![0.0; k + 1],
        ..Measured::default()
    };
    let (mut answered, mut answered_in_t, mut abandoned_in_t) = (0u64, 0u64, 0u64);
    let (mut waited, mut abandoned) = (0u64, 0u64);
    let (mut queue_time, mut answered_wait) = (0.0, 0.0);
    // Agent time is measured from the first measured arrival to the last arrival.
    let (mut measured_from, mut measured_to) = (None, 0.0);
    // Agents holding j chats, j = 0..=k, and when that last changed.
    let mut holding = vec![0u64; k + 1];
    holding[0] = n as u64;
    let mut last_change = 0.0;

    // Draws the agent's next completion at its current rate; older entries become stale.
    let schedule = |agent: usize,
                    held: &[usize],
                    version: &mut [u64],
                    completions: &mut BinaryHeap<Reverse<(u64, u32, u64)>>,
                    rng: &mut SmallRng,
                    now: f64| {
        version[agent] += 1;
        let j = held[agent];
        if j > 0 {
            let at = now + exp(rng, model.speed[j - 1] * mu);
            completions.push(Reverse((key(at), agent as u32, version[agent])));
        }
    };
    // Moves an agent from j to j + delta chats in the indexes.
    let shift =
        |agent: u32, up: bool, held: &mut [usize], holding: &mut [u64], free: &mut FreeSlots| {
            let a = agent as usize;
            if held[a] < k {
                free.remove(held[a], agent);
            }
            holding[held[a]] -= 1;
            if up {
                held[a] += 1;
            } else {
                held[a] -= 1;
            }
            holding[held[a]] += 1;
            if held[a] < k {
                free.insert(held[a], agent);
            }
        };

    loop {
        while let Some(&Reverse((_, a, v))) = completions.peek() {
            if version[a as usize] == v {
                break;
            }
            completions.pop();
        }
        let next_completion = completions
            .peek()
            .map(|Reverse((t, _, _))| f64::from_bits(*t));
        let arriving = arrived < total && next_completion.is_none_or(|c| next_arrival <= c);
        let t = match (arriving, next_completion) {
            (true, _) => next_arrival,
            // Once every contact has arrived, run only until each measured one is decided.
            (false, Some(t)) if arrived < total || !queue.is_empty() => t,
            _ => break,
        };
        if measured_from.is_some() && arrived < total {
            let dt = t - last_change;
            for (j, count) in holding.iter().enumerate() {
                m.concurrency[j] += *count as f64 * dt;
            }
            measured_to = t;
        }
        last_change = t;
        let now = t;
        m.events += 1;

        if arriving {
            arrived += 1;
            next_arrival = now + exp(&mut rng, model.arrival_rate);
            let measured = arrived > warmup;
            if measured {
                m.arrivals += 1;
                measured_from.get_or_insert(now);
            }
            if let Some(agent) = free.first() {
                shift(agent, true, &mut held, &mut holding, &mut free);
                schedule(
                    agent as usize,
                    &held,
                    &mut version,
                    &mut completions,
                    &mut rng,
                    now,
                );
                if measured {
                    answered += 1;
                    answered_in_t += 1;
                }
            } else {
                let deadline = theta.map_or(f64::INFINITY, |th| now + exp(&mut rng, th));
                queue.push_back((now, deadline, measured));
                waited += u64::from(measured);
            }
            continue;
        }
        let Some(Reverse((_, agent, _))) = completions.pop() else {
            break;
        };
        shift(agent, false, &mut held, &mut holding, &mut free);
        // A waiting queue means every slot was taken, so the slot just freed is the only one:
        // it goes to the oldest contact still waiting. Those whose patience ran out before now
        // left at their deadline.
        while let Some((arrival, deadline, measured)) = queue.pop_front() {
            if deadline < now {
                if measured {
                    abandoned += 1;
                    queue_time += deadline - arrival;
                    abandoned_in_t += u64::from(deadline - arrival <= model.threshold);
                }
                continue;
            }
            shift(agent, true, &mut held, &mut holding, &mut free);
            if measured {
                let wait = now - arrival;
                answered += 1;
                answered_wait += wait;
                queue_time += wait;
                answered_in_t += u64::from(wait <= model.threshold);
            }
            break;
        }
        schedule(
            agent as usize,
            &held,
            &mut version,
            &mut completions,
            &mut rng,
            now,
        );
    }
    let arrivals = m.arrivals.max(1) as f64;
    m.p_wait = waited as f64 / arrivals;
    m.p_abandon = abandoned as f64 / arrivals;
    m.asa_all = queue_time / arrivals;
    m.asa_answered = if answered > 0 {
        answered_wait / answered as f64
    } else {
        f64::NAN
    };
    m.service_level = match model.definition {
        ServiceLevelDefinition::AnsweredOverArrivals => answered_in_t as f64 / arrivals,
        ServiceLevelDefinition::AnsweredOverAnswered => {
            answered_in_t as f64 / (answered.max(1) as f64)
        }
        ServiceLevelDefinition::ExcludingShortAbandons => {
            answered_in_t as f64 / ((m.arrivals - abandoned_in_t).max(1) as f64)
        }
    };
    let span = measured_from.map_or(0.0, |from| measured_to - from) * n as f64;
    if span > 0.0 {
        m.concurrency.iter_mut().for_each(|c| *c /= span);
        m.agent_occupancy = 1.0 - m.concurrency[0];
        m.slot_occupancy = m
            .concurrency
            .iter()
            .enumerate()
            .map(|(j, c)| j as f64 * c)
            .sum::<f64>()
            / k as f64;
    }
    m
}

/// Checks a concurrency curve: `speed[j − 1]` is an agent's total work rate holding j chats,
/// relative to one chat alone, so `speed[0]` is 1; the curve is concave (each extra chat adds
/// no more than the one before, the first adding 1), as work shared between chats never speeds
/// up.
pub fn check_speed(speed: &[f64]) -> Result<(), String> {
    if speed.is_empty() || (speed[0] - 1.0).abs() > 1e-9 {
        return Err("the first value is 1 (one chat alone)".into());
    }
    if speed.len() > MAX_CAPACITY as usize {
        return Err(format!(
            "an agent holds at most {MAX_CAPACITY} chats (the platform's largest capacity), not {}",
            speed.len()
        ));
    }
    if speed.iter().any(|s| !(s.is_finite() && *s > 0.0)) {
        return Err("every value is a positive number".into());
    }
    // The first chat adds 1 over none.
    let mut last_step = 1.0;
    for (j, pair) in speed.windows(2).enumerate() {
        let step = pair[1] - pair[0];
        if step > last_step + 1e-9 {
            return Err(format!(
                "the curve must be concave: chat {} adds {step:.3}, more than the one before",
                j + 2
            ));
        }
        last_step = step;
    }
    Ok(())
}

/// A mean over replications with the half-width of its 95% confidence interval (Student t).
#[derive(Clone, Copy, Debug, Default, PartialEq, serde::Serialize)]
pub struct Estimate {
    pub mean: f64,
    pub half_width: f64,
}

impl Estimate {
    /// `mean±half-width` times `scale` (100 for a share in percent), to one decimal; a dash when
    /// nothing was measured.
    pub fn show(&self, scale: f64) -> String {
        if self.mean.is_nan() {
            "-".to_owned()
        } else {
            format!("{:.1}±{:.1}", self.mean * scale, self.half_width * scale)
        }
    }

    /// The mean and 95% half-width of `values` (a half-width of 0 for fewer than two).
    pub fn of(values: &[f64]) -> Estimate {
        let n = values.len();
        if n == 0 {
            return Estimate {
                mean: f64::NAN,
                half_width: f64::NAN,
            };
        }
        let mean = values.iter().sum::<f64>() / n as f64;
        if n < 2 {
            return Estimate {
                mean,
                half_width: 0.0,
            };
        }
        let var = values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1) as f64;
        Estimate {
            mean,
            half_width: t_975(n - 1) * (var / n as f64).sqrt(),
        }
    }

    /// Whether `value` lies within `widen` half-widths of the mean.
    pub fn covers(&self, value: f64, widen: f64) -> bool {
        (value - self.mean).abs() <= widen * self.half_width
    }
}

/// The 97.5% quantile of Student's t with `df` degrees of freedom.
fn t_975(df: usize) -> f64 {
    const TABLE: [f64; 30] = [
        12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.160,
        2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086, 2.080, 2.074, 2.069, 2.064, 2.060, 2.056,
        2.052, 2.048, 2.045, 2.042,
    ];
    match df {
        0 => f64::NAN,
        1..=30 => TABLE[df - 1],
        31..=60 => 2.000,
        61..=120 => 1.980,
        _ => 1.960,
    }
}

/// Replications of one model, summarized.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize)]
pub struct Estimates {
    pub replications: usize,
    pub customers_per_replication: u64,
    pub p_wait: Estimate,
    pub p_abandon: Estimate,
    pub service_level: Estimate,
    pub asa_all: Estimate,
    pub asa_answered: Estimate,
    pub agent_occupancy: Estimate,
    pub slot_occupancy: Estimate,
    /// Mean share of agent time holding exactly j chats, j = 0..=concurrency.
    pub concurrency: Vec<f64>,
    /// Events processed in all replications.
    pub events: u64,
}

impl Estimates {
    /// The occupancy a plan is held to and shows: the agents' with one chat each, their chat
    /// slots' when they hold several. An agent holding any of several chats is busy nearly all
    /// the time however many slots stand empty, so a ceiling on that would never be met; the
    /// slots are also what the analytic model and the interval planner count as servers.
    pub fn occupancy(&self) -> &Estimate {
        if self.concurrency.len() > 2 {
            &self.slot_occupancy
        } else {
            &self.agent_occupancy
        }
    }
}

/// Runs `replications` independent replications (seeds drawn from `seed`), each measuring
/// `customers` contacts after a warm-up of a tenth as many.
pub fn replicate(model: &Model, customers: u64, replications: usize, seed: u64) -> Estimates {
    let runs: Vec<Measured> = (0..replications as u64)
        .map(|r| {
            let s = seed ^ (r + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15);
            simulate(model, customers / 10, customers, s)
        })
        .collect();
    let of = |f: fn(&Measured) -> f64| Estimate::of(&runs.iter().map(f).collect::<Vec<_>>());
    let k = model.concurrency();
    let concurrency = (0..=k)
        .map(|j| runs.iter().map(|r| r.concurrency[j]).sum::<f64>() / runs.len().max(1) as f64)
        .collect();
    Estimates {
        replications,
        customers_per_replication: customers,
        p_wait: of(|r| r.p_wait),
        p_abandon: of(|r| r.p_abandon),
        service_level: of(|r| r.service_level),
        asa_all: of(|r| r.asa_all),
        asa_answered: of(|r| r.asa_answered),
        agent_occupancy: of(|r| r.agent_occupancy),
        slot_occupancy: of(|r| r.slot_occupancy),
        concurrency,
        events: runs.iter().map(|r| r.events).sum(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::erlang::{self, Question};

    fn model(rate_per_hour: f64, aht: f64, agents: u32, patience: Option<f64>) -> Model {
        Model {
            arrival_rate: rate_per_hour / 3600.0,
            aht,
            agents,
            speed: vec![1.0],
            patience,
            threshold: 20.0,
            definition: ServiceLevelDefinition::AnsweredOverArrivals,
        }
    }

    fn question(m: &Model, agents: u32) -> Question {
        Question {
            arrival_rate: m.arrival_rate,
            aht: m.aht,
            agents,
            threshold: m.threshold,
        }
    }

    /// Agreement within twice the 95% half-width: tight enough to catch a wrong model, loose
    /// enough that a fixed seed does not decide the verdict.
    fn agrees(name: &str, e: &Estimate, value: f64) {
        assert!(
            e.covers(value, 2.0),
            "{name}: simulated {:.5} ± {:.5}, analytic {value:.5}",
            e.mean,
            e.half_width
        );
    }

    #[test]
    fn simulated_m_m_n_agrees_with_erlang_c_at_light_heavy_and_near_saturated_load() {
        // 10 Erlangs on 14, 11 and 10.5-ish (11 agents at 10.6 Erlangs) agents.
        for (rate, agents) in [(200.0, 14), (200.0, 11), (212.0, 11)] {
            let m = model(rate, 180.0, agents, None);
            let c = erlang::erlang_c(&question(&m, agents)).unwrap();
            let e = replicate(&m, 40_000, 10, 7);
            agrees("P(wait)", &e.p_wait, c.p_wait);
            agrees("service level", &e.service_level, c.service_level);
            agrees("ASA", &e.asa_all, c.asa);
            agrees("occupancy", &e.agent_occupancy, c.occupancy);
        }
    }

    #[test]
    fn simulated_m_m_n_m_agrees_with_erlang_a() {
        for (rate, agents, patience) in [(200.0, 14, 300.0), (200.0, 10, 120.0), (260.0, 11, 60.0)]
        {
            let m = model(rate, 180.0, agents, Some(patience));
            let def = ServiceLevelDefinition::AnsweredOverArrivals;
            let a = erlang::erlang_a(&question(&m, agents), patience, def).unwrap();
            let e = replicate(&m, 40_000, 10, 11);
            agrees("P(wait)", &e.p_wait, a.p_wait);
            agrees("P(abandon)", &e.p_abandon, a.p_abandon);
            agrees("service level", &e.service_level, a.service_level);
            agrees("ASA all", &e.asa_all, a.asa_all);
            agrees("ASA answered", &e.asa_answered, a.asa_answered);
            agrees("occupancy", &e.agent_occupancy, a.occupancy);
        }
    }

    #[test]
    fn concurrency_curves_start_at_one_and_are_concave() {
        assert!(check_speed(&[1.0]).is_ok());
        assert!(check_speed(&[1.0, 2.0, 3.0]).is_ok());
        assert!(check_speed(&[1.0, 1.7, 2.2, 2.2]).is_ok());
        assert!(check_speed(&[]).is_err());
        assert!(check_speed(&[0.8, 1.5]).is_err());
        assert!(check_speed(&[1.0, 2.5]).unwrap_err().contains("chat 2"));
        assert!(
            check_speed(&[1.0, 1.5, 2.2])
                .unwrap_err()
                .contains("chat 3")
        );
        assert!(check_speed(&[1.0, f64::NAN]).is_err());
        let flat = |k: usize| vec![1.0; k];
        assert!(check_speed(&flat(100)).is_ok());
        assert!(check_speed(&flat(101)).unwrap_err().contains("at most 100"));
    }

    #[test]
    fn chats_at_full_speed_reproduce_erlang_c_with_k_times_n_servers() {
        // 120/h, solo AHT 600 s, 3 chats each at no slowdown, 8 agents.
        let m = Model {
            speed: vec![1.0, 2.0, 3.0],
            threshold: 30.0,
            ..model(120.0, 600.0, 8, None)
        };
        let e = replicate(&m, 40_000, 10, 5);
        agrees("P(wait)", &e.p_wait, 0.2981);
        agrees("ASA", &e.asa_all, 44.71);
        agrees("service level", &e.service_level, 0.7560);
        // 20 Erlangs of chats on 24 slots.
        agrees("slot occupancy", &e.slot_occupancy, 20.0 / 24.0);
        let shares: f64 = e.concurrency.iter().sum();
        assert!((shares - 1.0).abs() < 1e-9, "{:?}", e.concurrency);
    }

    #[test]
    fn slower_concurrent_chats_need_more_slots() {
        let full = Model {
            speed: vec![1.0, 2.0, 3.0],
            ..model(120.0, 600.0, 8, None)
        };
        let slowed = Model {
            speed: vec![1.0, 1.6, 2.0],
            ..full.clone()
        };
        let (a, b) = (
            replicate(&full, 20_000, 5, 3),
            replicate(&slowed, 20_000, 5, 3),
        );
        assert!(b.asa_all.mean > 2.0 * a.asa_all.mean, "{a:?} {b:?}");
        assert!(b.agent_occupancy.mean > a.agent_occupancy.mean);
    }

    #[test]
    fn the_same_seed_gives_the_same_run() {
        let m = model(200.0, 180.0, 12, Some(200.0));
        assert_eq!(simulate(&m, 100, 5_000, 9), simulate(&m, 100, 5_000, 9));
        assert_ne!(simulate(&m, 100, 5_000, 9), simulate(&m, 100, 5_000, 10));
    }
}
