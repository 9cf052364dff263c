//! Erlang B, Erlang C (M/M/N) and Erlang A (M/M/N+M, exponential patience).
//!
//! Everything goes through the Erlang-B recursion `B(n) = A·B(n−1) / (n + A·B(n−1))`, which never
//! forms `A^N / N!` and so stays exact for thousands of agents. Erlang A's queue is a birth–death
//! chain summed until its terms vanish; its waiting-time distribution (service level, waits of
//! answered callers, early abandons) follows one waiting caller's progress through the queue,
//! computed by uniformization. Saturation (N ≤ offered load without abandonment) is a result,
//! never a panic.

/// Why a model could not be evaluated.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum ErlangError {
    #[error("{name} must be a positive number, not {value}")]
    NotPositive { name: &'static str, value: f64 },
    #[error("{name} must be zero or a positive number, not {value}")]
    NotZeroOrPositive { name: &'static str, value: f64 },
    #[error("at least one agent is needed")]
    NoAgents,
    #[error("the queue does not settle within {0} places: patience is too long for this load")]
    Unbounded(usize),
}

/// One single-queue staffing question: Poisson arrivals, exponential handle times, `agents`
/// identical agents, and the service-level threshold.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Question {
    /// Arrivals per second.
    pub arrival_rate: f64,
    /// Mean handle time, seconds.
    pub aht: f64,
    pub agents: u32,
    /// Service level counts contacts answered within this many seconds.
    pub threshold: f64,
}

impl Question {
    /// Offered load in Erlangs: arrival rate × handle time.
    pub fn load(&self) -> f64 {
        self.arrival_rate * self.aht
    }

    fn check(&self) -> Result<(), ErlangError> {
        positive("arrival rate", self.arrival_rate)?;
        positive("handle time", self.aht)?;
        if !(self.threshold.is_finite() && self.threshold >= 0.0) {
            return Err(ErlangError::NotPositive {
                name: "service-level threshold",
                value: self.threshold,
            });
        }
        if self.agents == 0 {
            return Err(ErlangError::NoAgents);
        }
        Ok(())
    }
}

fn positive(name: &'static str, value: f64) -> Result<(), ErlangError> {
    if value.is_finite() && value > 0.0 {
        Ok(())
    } else {
        Err(ErlangError::NotPositive { name, value })
    }
}

/// Erlang B: the chance that all `agents` are busy in a loss system offered `load` Erlangs.
pub fn erlang_b(agents: u32, load: f64) -> f64 {
    (1..=agents).fold(1.0, |b, n| load * b / (f64::from(n) + load * b))
}

/// Erlang C results. With `saturated`, the queue grows without bound: every contact waits,
/// none within the threshold, and the average wait is infinite.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ErlangC {
    pub p_wait: f64,
    pub service_level: f64,
    /// Average speed of answer, seconds.
    pub asa: f64,
    /// Share of agent time busy (offered load / agents, at most 1).
    pub occupancy: f64,
    pub saturated: bool,
}

/// Erlang C (M/M/N): the chance to wait, the share answered within the threshold, ASA and
/// occupancy.
pub fn erlang_c(q: &Question) -> Result<ErlangC, ErlangError> {
    q.check()?;
    let (n, a) = (f64::from(q.agents), q.load());
    if n <= a {
        return Ok(ErlangC {
            p_wait: 1.0,
            service_level: 0.0,
            asa: f64::INFINITY,
            occupancy: 1.0,
            saturated: true,
        });
    }
    let b = erlang_b(q.agents, a);
    let c = n * b / (n - a * (1.0 - b));
    Ok(ErlangC {
        p_wait: c,
        service_level: 1.0 - c * (-(n - a) * q.threshold / q.aht).exp(),
        asa: c * q.aht / (n - a),
        occupancy: a / n,
        saturated: false,
    })
}

/// Which contacts a service level counts once some abandon. Every report names the one it used.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ServiceLevelDefinition {
    /// Answered within T, over all arrivals (abandons count against it).
    #[default]
    AnsweredOverArrivals,
    /// Answered within T, over answered contacts (abandons left out).
    AnsweredOverAnswered,
    /// Answered within T, over arrivals less those that abandoned within T.
    ExcludingShortAbandons,
}

impl ServiceLevelDefinition {
    /// How reports name it.
    pub fn describe(self) -> &'static str {
        match self {
            Self::AnsweredOverArrivals => "answered within T / all arrivals",
            Self::AnsweredOverAnswered => "answered within T / answered",
            Self::ExcludingShortAbandons => "answered within T / (arrivals - abandoned within T)",
        }
    }
}

/// Erlang A results.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ErlangA {
    pub p_wait: f64,
    pub p_abandon: f64,
    /// Mean time in queue over all arrivals (abandoned ones up to their abandonment), seconds.
    pub asa_all: f64,
    /// Mean wait of answered contacts, seconds.
    pub asa_answered: f64,
    /// Share of agent time busy: answered load / agents.
    pub occupancy: f64,
    pub service_level: f64,
    pub definition: ServiceLevelDefinition,
}

/// Queues longer than this are refused rather than summed.
const MAX_QUEUE: usize = 5_000_000;

/// Erlang A (M/M/N+M): Erlang C's model where each waiting contact abandons after an
/// exponential patience with mean `patience` seconds.
pub fn erlang_a(
    q: &Question,
    patience: f64,
    definition: ServiceLevelDefinition,
) -> Result<ErlangA, ErlangError> {
    q.check()?;
    positive("patience", patience)?;
    let (lambda, mu, theta) = (q.arrival_rate, 1.0 / q.aht, 1.0 / patience);
    let n = f64::from(q.agents);
    // Stationary distribution, scaled so that P(N busy, nobody waiting) = 1. States below N
    // are Poisson-shaped and sum to 1/B(N, A); queue states follow λ / (Nμ + jθ).
    let below = 1.0 / erlang_b(q.agents, q.load());
    let mut queue = Vec::new(); // queue[j] = weight of "j waiting" for j ≥ 1, at index j − 1
    let (mut term, mut total_q) = (1.0_f64, 0.0_f64);
    for j in 1.. {
        term *= lambda / (n * mu + j as f64 * theta);
        if term < 1e-17 * (below + total_q) && lambda < n * mu + j as f64 * theta {
            break;
        }
        if j > MAX_QUEUE {
            return Err(ErlangError::Unbounded(MAX_QUEUE));
        }
        queue.push(term);
        total_q += term;
    }
    let z = below + total_q;
    // An arrival finding all agents busy and j waiting starts j places from the front (PASTA).
    let arrive_at: Vec<f64> = std::iter::once(1.0)
        .chain(queue.iter().copied())
        .map(|w| w / z)
        .collect();
    let p_wait = arrive_at.iter().sum::<f64>();
    // Folded from +0: an empty sum of floats is -0, which a lightly loaded queue (no waiting
    // state worth counting) would carry into its ASA and abandonment as "-0.0".
    let mean_queue = queue
        .iter()
        .enumerate()
        .fold(0.0, |sum, (i, w)| sum + (i + 1) as f64 * w / z);
    let p_abandon = (theta * mean_queue / lambda).clamp(0.0, 1.0);
    // From place j the front advances at Nμ + jθ (service or abandonment ahead); the caller's
    // own patience runs alongside, so it reaches an agent with probability Π r/(r + θ).
    let advance = |j: usize| n * mu + j as f64 * theta;
    let mut answered_wait = 0.0;
    let (mut reach, mut mean_time) = (1.0, 0.0);
    for (j, w) in arrive_at.iter().enumerate() {
        let r = advance(j);
        reach *= r / (r + theta);
        mean_time += 1.0 / (r + theta);
        answered_wait += w * reach * mean_time;
    }
    let answered = 1.0 - p_abandon;
    let (served_by_t, abandoned_by_t) = waits_within(&arrive_at, advance, theta, q.threshold);
    let answered_in_t = (1.0 - p_wait) + served_by_t;
    let service_level = match definition {
        ServiceLevelDefinition::AnsweredOverArrivals => answered_in_t,
        ServiceLevelDefinition::AnsweredOverAnswered => answered_in_t / answered,
        ServiceLevelDefinition::ExcludingShortAbandons => answered_in_t / (1.0 - abandoned_by_t),
    };
    Ok(ErlangA {
        p_wait,
        p_abandon,
        asa_all: mean_queue / lambda,
        asa_answered: answered_wait / answered,
        occupancy: (lambda * answered * q.aht / n).min(1.0),
        service_level: service_level.min(1.0),
        definition,
    })
}

/// For callers who join the queue at place j with probability `start[j]`: the probability of
/// reaching an agent within `t`, and of abandoning within `t`. Uniformization of the caller's
/// chain: from place j it moves forward at `advance(j)` (to an agent from place 0) and leaves
/// at `theta`.
fn waits_within(start: &[f64], advance: impl Fn(usize) -> f64, theta: f64, t: f64) -> (f64, f64) {
    let places = start.len();
    let rate = (0..places).map(|j| advance(j) + theta).fold(0.0, f64::max);
    let lt = rate * t;
    if lt == 0.0 {
        return (0.0, 0.0);
    }
    let steps = (lt + 10.0 * lt.sqrt() + 30.0).ceil() as usize;
    let mut p = start.to_vec();
    let (mut served, mut abandoned) = (0.0, 0.0);
    let (mut served_by_t, mut abandoned_by_t) = (0.0, 0.0);
    let mut log_weight = -lt; // log of the Poisson(lt) probability of n jumps
    let mut next = vec![0.0; places];
    for step in 0..=steps {
        if step > 0 {
            // One uniformized jump.
            next.iter_mut().for_each(|x| *x = 0.0);
            for j in 0..places {
                let (go, leave) = (advance(j) / rate, theta / rate);
                let mass = p[j];
                if j == 0 {
                    served += mass * go;
                } else {
                    next[j - 1] += mass * go;
                }
                abandoned += mass * leave;
                next[j] += mass * (1.0 - go - leave);
            }
            std::mem::swap(&mut p, &mut next);
            log_weight += lt.ln() - (step as f64).ln();
        }
        // P(absorbed by t) = Σₙ P(n jumps by t) · P(absorbed within n jumps).
        let w = log_weight.exp();
        served_by_t += w * served;
        abandoned_by_t += w * abandoned;
    }
    (served_by_t, abandoned_by_t)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64, tol: f64) -> bool {
        (a - b).abs() <= tol
    }

    /// 100 contacts per 30 minutes, 180 s handle time: 10 Erlangs.
    fn ten_erlangs(agents: u32) -> Question {
        Question {
            arrival_rate: 100.0 / 1800.0,
            aht: 180.0,
            agents,
            threshold: 20.0,
        }
    }

    #[test]
    fn a_lightly_loaded_queue_reports_plain_zeros() {
        // 10 Erlangs on 48 agents: nobody waits for any state worth counting.
        let a = erlang_a(
            &ten_erlangs(48),
            300.0,
            ServiceLevelDefinition::AnsweredOverArrivals,
        )
        .unwrap();
        for (name, v) in [("P(abandon)", a.p_abandon), ("ASA", a.asa_all)] {
            assert!(v == 0.0 && v.is_sign_positive(), "{name} {v:?}");
        }
    }

    #[test]
    fn erlang_c_matches_the_published_worked_examples() {
        let c = erlang_c(&ten_erlangs(14)).unwrap();
        assert!(close(c.p_wait, 0.1741319, 5e-7), "{c:?}");
        assert!(close(c.service_level, 0.8883500, 5e-7), "{c:?}");
        assert!(close(c.asa, 7.835937, 5e-6), "{c:?}");
        assert!(close(c.occupancy, 10.0 / 14.0, 1e-12));
        let q = Question {
            arrival_rate: 57.0 / 3600.0,
            aht: 1110.0,
            agents: 21,
            threshold: 180.0,
        };
        let c = erlang_c(&q).unwrap();
        assert!(close(c.service_level, 0.80656, 5e-6), "{c:?}");
    }

    #[test]
    fn concurrent_chats_at_full_speed_are_erlang_c_with_k_times_n_servers() {
        // 120/h, solo handle time 600 s, 8 agents with 3 chats each at no slowdown.
        let q = Question {
            arrival_rate: 120.0 / 3600.0,
            aht: 600.0,
            agents: 3 * 8,
            threshold: 30.0,
        };
        let c = erlang_c(&q).unwrap();
        assert!(close(c.p_wait, 0.2981, 5e-5), "{c:?}");
        assert!(close(c.asa, 44.71, 5e-3), "{c:?}");
        assert!(close(c.service_level, 0.7560, 5e-5), "{c:?}");
    }

    #[test]
    fn erlang_c_saturates_instead_of_failing() {
        let c = erlang_c(&ten_erlangs(10)).unwrap();
        assert!(c.saturated && c.p_wait == 1.0 && c.asa.is_infinite());
        assert_eq!(c.service_level, 0.0);
    }

    #[test]
    fn erlang_b_stays_finite_for_thousands_of_agents() {
        let q = Question {
            arrival_rate: 4900.0 / 180.0,
            aht: 180.0,
            agents: 5000,
            threshold: 20.0,
        };
        let c = erlang_c(&q).unwrap();
        assert!(
            c.p_wait.is_finite() && (0.0..1.0).contains(&c.p_wait),
            "{c:?}"
        );
        assert!(c.service_level > 0.0 && c.service_level < 1.0);
        let b = erlang_b(10_000, 9_000.0);
        assert!(b.is_finite() && b > 0.0 && b < 1.0);
    }

    #[test]
    fn erlang_a_matches_the_published_worked_example() {
        let def = ServiceLevelDefinition::AnsweredOverArrivals;
        let a = erlang_a(&ten_erlangs(14), 300.0, def).unwrap();
        assert!(close(a.p_wait, 0.14526, 5e-6), "{a:?}");
        assert!(close(a.p_abandon, 0.013984, 5e-7), "{a:?}");
        assert!(a.asa_answered < a.asa_all / (1.0 - a.p_abandon) + 1e-9);
    }

    #[test]
    fn erlang_a_with_endless_patience_is_erlang_c() {
        let q = ten_erlangs(13);
        let c = erlang_c(&q).unwrap();
        let def = ServiceLevelDefinition::AnsweredOverArrivals;
        let a = erlang_a(&q, 1e9, def).unwrap();
        assert!(close(a.p_wait, c.p_wait, 1e-5), "{a:?} {c:?}");
        assert!(close(a.service_level, c.service_level, 1e-5), "{a:?} {c:?}");
        assert!(close(a.asa_all, c.asa, 1e-3), "{a:?} {c:?}");
        assert!(close(a.asa_answered, c.asa, 1e-3), "{a:?} {c:?}");
        assert!(a.p_abandon < 1e-6);
    }

    #[test]
    fn erlang_a_is_stable_at_and_beyond_saturation() {
        let def = ServiceLevelDefinition::AnsweredOverArrivals;
        let a = erlang_a(&ten_erlangs(8), 120.0, def).unwrap();
        assert!(a.p_wait > 0.5 && a.p_wait <= 1.0, "{a:?}");
        // Overloaded: at least the excess load (2 of 10 Erlangs) must abandon, and the load
        // that is answered is what keeps the agents busy.
        assert!(a.p_abandon >= 0.2 && a.p_abandon < 0.5, "{a:?}");
        assert!(close(a.occupancy, (1.0 - a.p_abandon) * 10.0 / 8.0, 1e-12));
        assert!(a.occupancy > 0.9 && a.occupancy <= 1.0, "{a:?}");
    }

    #[test]
    fn the_service_level_definitions_order_as_they_must() {
        let q = ten_erlangs(11);
        let sl = |d| erlang_a(&q, 60.0, d).unwrap().service_level;
        let all = sl(ServiceLevelDefinition::AnsweredOverArrivals);
        let short = sl(ServiceLevelDefinition::ExcludingShortAbandons);
        let answered = sl(ServiceLevelDefinition::AnsweredOverAnswered);
        assert!(all < short && short < answered, "{all} {short} {answered}");
    }

    #[test]
    fn bad_questions_are_errors() {
        let mut q = ten_erlangs(0);
        assert_eq!(erlang_c(&q), Err(ErlangError::NoAgents));
        q.agents = 3;
        q.aht = -1.0;
        assert!(matches!(erlang_c(&q), Err(ErlangError::NotPositive { .. })));
        let def = ServiceLevelDefinition::AnsweredOverArrivals;
        assert!(erlang_a(&ten_erlangs(3), 0.0, def).is_err());
    }
}
