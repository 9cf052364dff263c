//! Durations, rates and distributions as scenario files write them: `"250ms"`, `"2/s"`,
//! `"exp(3s)"`, `"uniform(1s, 4s)"`, `"2..5"`.

use rand::Rng;
use rand_distr::{Distribution, Exp};
use serde::{Deserialize, Deserializer};
use std::time::Duration;

/// A duration written like `250ms`, `30s`, `5m`, `1h`.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Span(pub Duration);

impl std::str::FromStr for Span {
    type Err = String;
    fn from_str(s: &str) -> Result<Span, String> {
        humantime::parse_duration(s.trim())
            .map(Span)
            .map_err(|e| format!("'{s}' is not a duration ({e}); write e.g. 250ms, 30s, 5m"))
    }
}

/// A random duration: `"3s"` (constant), `"exp(3s)"` (exponential with that mean),
/// `"uniform(1s, 4s)"`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Dist {
    Const(Duration),
    Exp(Duration),
    Uniform(Duration, Duration),
}

impl Dist {
    /// Draws one duration.
    pub fn sample(&self, rng: &mut impl Rng) -> Duration {
        match *self {
            Dist::Const(d) => d,
            Dist::Exp(mean) => {
                let secs = mean.as_secs_f64();
                if secs <= 0.0 {
                    return Duration::ZERO;
                }
                let draw: f64 = Exp::new(1.0 / secs).map(|e| e.sample(rng)).unwrap_or(secs);
                seconds(draw)
            }
            Dist::Uniform(a, b) => {
                let (lo, hi) = (a.as_secs_f64(), b.as_secs_f64());
                seconds(if hi > lo {
                    rng.random_range(lo..hi)
                } else {
                    lo
                })
            }
        }
    }

    /// The distribution's mean.
    pub fn mean(&self) -> Duration {
        match *self {
            Dist::Const(d) | Dist::Exp(d) => d,
            Dist::Uniform(a, b) => (a + b) / 2,
        }
    }
}

/// `secs` seconds, to the nanosecond below. A simulated party draws a dozen durations a
/// session, and `Duration::from_secs_f64`'s exact rounding cost about a hundred instructions
/// each, a percent of a virtual run; a draw that overflows saturates instead of panicking.
fn seconds(secs: f64) -> Duration {
    Duration::from_nanos((secs * 1e9) as u64)
}

fn inner<'a>(s: &'a str, name: &str) -> Option<&'a str> {
    s.strip_prefix(name)?
        .trim()
        .strip_prefix('(')?
        .strip_suffix(')')
}

impl std::str::FromStr for Dist {
    type Err = String;
    fn from_str(s: &str) -> Result<Dist, String> {
        let s = s.trim();
        if let Some(mean) = inner(s, "exp") {
            return Ok(Dist::Exp(mean.parse::<Span>()?.0));
        }
        if let Some(args) = inner(s, "uniform") {
            let (a, b) = args
                .split_once(',')
                .ok_or_else(|| format!("'{s}': uniform takes two durations, uniform(1s, 4s)"))?;
            let (a, b) = (a.parse::<Span>()?.0, b.parse::<Span>()?.0);
            if b < a {
                return Err(format!("'{s}': the upper bound is below the lower one"));
            }
            return Ok(Dist::Uniform(a, b));
        }
        if let Some(d) = inner(s, "const") {
            return Ok(Dist::Const(d.parse::<Span>()?.0));
        }
        s.parse::<Span>().map(|d| Dist::Const(d.0)).map_err(|_| {
            format!("'{s}' is not a distribution; write 3s, exp(3s) or uniform(1s, 4s)")
        })
    }
}

/// A whole-number range written `"2..5"` (inclusive) or `"3"`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Count {
    pub min: u32,
    pub max: u32,
}

impl Count {
    pub fn sample(&self, rng: &mut impl Rng) -> u32 {
        rng.random_range(self.min..=self.max)
    }
}

impl std::str::FromStr for Count {
    type Err = String;
    fn from_str(s: &str) -> Result<Count, String> {
        let bad = || format!("'{s}' is not a count; write 3 or 2..5");
        let (min, max) = match s.trim().split_once("..") {
            Some((a, b)) => (
                a.trim().parse().map_err(|_| bad())?,
                b.trim().parse().map_err(|_| bad())?,
            ),
            None => {
                let n = s.trim().parse().map_err(|_| bad())?;
                (n, n)
            }
        };
        if max < min {
            return Err(bad());
        }
        Ok(Count { min, max })
    }
}

/// An arrival rate written `"2/s"`, `"90/min"`, `"3600/h"`; stored per second.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Rate(pub f64);

impl std::str::FromStr for Rate {
    type Err = String;
    fn from_str(s: &str) -> Result<Rate, String> {
        let bad = || format!("'{s}' is not a rate; write 2/s, 90/min or 3600/h");
        let (n, unit) = s.trim().split_once('/').ok_or_else(bad)?;
        let n: f64 = n.trim().parse().map_err(|_| bad())?;
        let per = match unit.trim() {
            "s" => 1.0,
            "min" | "m" => 60.0,
            "h" => 3600.0,
            _ => return Err(bad()),
        };
        if !(n.is_finite() && n >= 0.0) {
            return Err(bad());
        }
        Ok(Rate(n / per))
    }
}

/// Deserializes any of the above from a string (or a number, for counts).
macro_rules! from_string {
    ($t:ty) => {
        impl<'de> Deserialize<'de> for $t {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<$t, D::Error> {
                #[derive(Deserialize)]
                #[serde(untagged)]
                enum Raw {
                    S(String),
                    N(u64),
                }
                let s = match Raw::deserialize(d)? {
                    Raw::S(s) => s,
                    Raw::N(n) => n.to_string(),
                };
                s.parse().map_err(serde::de::Error::custom)
            }
        }
    };
}
from_string!(Span);
from_string!(Dist);
from_string!(Count);
from_string!(Rate);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_written_forms() {
        assert_eq!(
            "250ms".parse::<Span>().unwrap().0,
            Duration::from_millis(250)
        );
        assert_eq!(
            "exp(3s)".parse::<Dist>().unwrap(),
            Dist::Exp(Duration::from_secs(3))
        );
        assert_eq!(
            "2s".parse::<Dist>().unwrap(),
            Dist::Const(Duration::from_secs(2))
        );
        assert_eq!(
            "uniform(1s, 4s)".parse::<Dist>().unwrap(),
            Dist::Uniform(Duration::from_secs(1), Duration::from_secs(4))
        );
        assert_eq!("2..5".parse::<Count>().unwrap(), Count { min: 2, max: 5 });
        assert_eq!("90/min".parse::<Rate>().unwrap(), Rate(1.5));
        assert!("fast".parse::<Dist>().is_err());
        assert!("5..2".parse::<Count>().is_err());
        assert!("3/fortnight".parse::<Rate>().is_err());
    }

    #[test]
    fn exponential_draws_have_the_mean_asked_for() {
        let mut rng = rand::rngs::StdRng::seed_from_u64(7);
        let d = Dist::Exp(Duration::from_secs(2));
        let n = 20_000;
        let mean: f64 = (0..n)
            .map(|_| d.sample(&mut rng).as_secs_f64())
            .sum::<f64>()
            / n as f64;
        assert!((mean - 2.0).abs() < 0.06, "mean {mean}");
    }

    #[test]
    fn uniform_draws_stay_in_their_range_to_the_nanosecond() {
        let mut rng = rand::rngs::StdRng::seed_from_u64(7);
        let (lo, hi) = (Duration::from_millis(1500), Duration::from_millis(1501));
        let d = Dist::Uniform(lo, hi);
        assert!(
            (0..1000)
                .map(|_| d.sample(&mut rng))
                .all(|x| lo <= x && x < hi)
        );
        assert_eq!(seconds(1.5), lo);
        assert_eq!(seconds(1e300), Duration::from_nanos(u64::MAX), "saturates");
    }

    use rand::SeedableRng;
}
