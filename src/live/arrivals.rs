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
