//! The open workload model: when customers arrive and on which channel, drawn from a seed before
//! the run starts, never "when the previous customer is done".

use crate::scenario::Scenario;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use rand_distr::{Distribution, Exp};
use std::time::Duration;

/// One scheduled arrival.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Arrival {
    pub index: u64,
    /// Offset from the start of the run.
    pub at: Duration,
    pub channel: usize,
}

/// A non-homogeneous Poisson process over the scenario's rate profile (thinning from its
/// maximum rate), channels drawn by share; drawn as the run goes, so that a long run holds none
/// of its schedule in memory. It keeps its own copy of the profile and the shares, so that a
/// run can hold it beside the scenario.
pub struct Schedule {
    profile: crate::scenario::Arrivals,
    shares: Vec<f64>,
    rng: StdRng,
    gap: Option<Exp<f64>>,
    max: f64,
    total_share: f64,
    duration: Duration,
    /// Seconds from the start of the last candidate drawn.
    t: f64,
    next_index: u64,
}

impl Schedule {
    /// The arrivals `seed` draws for `scenario` over `duration`.
    pub fn new(scenario: &Scenario, duration: Duration, seed: u64) -> Schedule {
        let max = scenario.arrivals.max_rate();
        let shares: Vec<f64> = scenario.channels.iter().map(|c| c.share).collect();
        Schedule {
            profile: scenario.arrivals.clone(),
            rng: StdRng::seed_from_u64(seed),
            gap: Exp::new(max).ok(),
            max,
            total_share: shares.iter().sum(),
            shares,
            duration,
            t: 0.0,
            next_index: 0,
        }
    }
}

impl Iterator for Schedule {
    type Item = Arrival;

    fn next(&mut self) -> Option<Arrival> {
        let gap = self.gap?;
        loop {
            self.t += gap.sample(&mut self.rng);
            if self.t >= self.duration.as_secs_f64() {
                self.gap = None;
                return None;
            }
            let at = Duration::from_secs_f64(self.t);
            if self.rng.random::<f64>() * self.max > self.profile.rate_at(at, self.duration) {
                continue;
            }
            let mut pick = self.rng.random::<f64>() * self.total_share;
            let channel = self
                .shares
                .iter()
                .position(|share| {
                    pick -= share;
                    pick < 0.0
                })
                .unwrap_or(self.shares.len().saturating_sub(1));
            let index = self.next_index;
            self.next_index += 1;
            return Some(Arrival { index, at, channel });
        }
    }
}

/// Offsets of a homogeneous Poisson process at `rate` per second over `duration`.
pub fn poisson(rate: f64, duration: Duration, seed: u64) -> Vec<Duration> {
    let mut rng = StdRng::seed_from_u64(seed);
    let Ok(gap) = Exp::new(rate) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    let mut t = 0.0;
    loop {
        t += gap.sample(&mut rng);
        if t >= duration.as_secs_f64() {
            return out;
        }
        out.push(Duration::from_secs_f64(t));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::shard::Shard;

    /// Every shard's slice of the schedule, put together, is exactly the unsharded schedule.
    #[test]
    fn the_shards_schedules_together_are_the_whole_schedule() {
        let s = scenario(r#"ramp = { from = "1/s", to = "20/s" }"#);
        let run = Duration::from_secs(300);
        let whole: Vec<Arrival> = Schedule::new(&s, run, 9).collect();
        assert!(whole.len() > 1000);
        for count in [1, 3, 7] {
            let mut merged: Vec<Arrival> = (0..count)
                .flat_map(|index| {
                    let shard = Shard { index, count };
                    Schedule::new(&s, run, 9).filter(move |a| shard.owns(a.index))
                })
                .collect();
            merged.sort_by_key(|a| a.index);
            assert_eq!(merged, whole, "{count} shards");
        }
    }

    /// The shipped quickstart with `arrivals` in place of its steady rate.
    fn scenario(arrivals: &str) -> Scenario {
        let text = std::fs::read_to_string("scenarios/quickstart.toml").unwrap();
        let text = text.replacen("rate = \"2/s\"", arrivals, 1);
        assert!(text.contains(arrivals), "the quickstart's rate line moved");
        Scenario::parse(&text, "arrivals.toml").unwrap()
    }

    #[test]
    fn the_expected_count_is_what_the_process_draws_within_its_noise() {
        let hours = |h: u64| Duration::from_secs(h * 3600);
        for (arrivals, run, expected) in [
            (r#"rate = "2/s""#, hours(1), 7_200.0),
            (r#"ramp = { from = "1/s", to = "3/s" }"#, hours(1), 7_200.0),
            // Two and a half cycles of a 30-minute profile: 3 x 900 s at 1/s, 2 x 900 s at 3/s.
            (
                r#"intervals = [{ length = "15m", rate = "1/s" }, { length = "15m", rate = "3/s" }]"#,
                Duration::from_secs(4_500),
                8_100.0,
            ),
        ] {
            let s = scenario(arrivals);
            assert!(
                (s.arrivals.expected(run) - expected).abs() < 1e-6,
                "{arrivals}"
            );
            let drawn = Schedule::new(&s, run, 5).count() as f64;
            // A Poisson count: its standard deviation is the square root of its mean.
            assert!(
                (drawn - expected).abs() < 4.0 * expected.sqrt(),
                "{arrivals}: {drawn} drawn, {expected} expected"
            );
        }
    }
}
