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

/// What one arrival of a drawn schedule takes in memory, for the check before a run.
pub const BYTES_PER_ARRIVAL: f64 = std::mem::size_of::<Arrival>() as f64;

/// A non-homogeneous Poisson process over the scenario's rate profile (thinning from its
/// maximum rate), channels drawn by share.
pub fn schedule(s: &Scenario, duration: Duration, seed: u64) -> Vec<Arrival> {
    let mut rng = StdRng::seed_from_u64(seed);
    let max = s.arrivals.max_rate();
    let Ok(gap) = Exp::new(max) else {
        return Vec::new();
    };
    let total_share: f64 = s.channels.iter().map(|c| c.share).sum();
    let mut out = Vec::new();
    let mut t = 0.0;
    loop {
        t += gap.sample(&mut rng);
        if t >= duration.as_secs_f64() {
            return out;
        }
        let at = Duration::from_secs_f64(t);
        if rng.random::<f64>() * max > s.arrivals.rate_at(at, duration) {
            continue;
        }
        let mut pick = rng.random::<f64>() * total_share;
        let channel = s
            .channels
            .iter()
            .position(|c| {
                pick -= c.share;
                pick < 0.0
            })
            .unwrap_or(s.channels.len() - 1);
        out.push(Arrival {
            index: out.len() as u64,
            at,
            channel,
        });
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
            let drawn = schedule(&s, run, 5).len() as f64;
            // A Poisson count: its standard deviation is the square root of its mean.
            assert!(
                (drawn - expected).abs() < 4.0 * expected.sqrt(),
                "{arrivals}: {drawn} drawn, {expected} expected"
            );
        }
    }
}
