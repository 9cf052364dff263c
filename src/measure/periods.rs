//! What became of the contacts that asked for an agent, by the arrival interval they asked in
//! (the scenario's `[arrivals] intervals`): what a run says about each half hour of a day, and
//! what each row of a staffing table is checked against.

use serde::{Deserialize, Serialize};
use std::time::Duration;

/// Counts of one interval.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
struct Counts {
    offered: u64,
    answered: u64,
    answered_within: u64,
    abandoned: u64,
    wait: Duration,
}

/// Outcomes per arrival interval, while a run goes.
#[derive(Clone, Debug, Default)]
pub struct Periods {
    /// Where each interval ends, from the start of the profile.
    ends: Vec<Duration>,
    counts: Vec<Counts>,
    /// How long arrivals last: contacts that ask later (in the drain) belong to the interval
    /// the arrivals ended in.
    run: Duration,
}

/// `t` into a profile of length `cycle` that starts over at its end (`t` itself for an empty
/// profile).
pub fn fold(t: Duration, cycle: Duration) -> Duration {
    if cycle.is_zero() {
        return t;
    }
    let within = t.as_nanos() % cycle.as_nanos();
    // Below the cycle, which is a Duration, so it fits.
    Duration::from_nanos(within as u64)
}

/// One interval's outcomes, as the summary reports them.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct IntervalOutcome {
    /// Start of the interval, seconds from the run's origin.
    pub start_s: f64,
    pub length_s: f64,
    /// Contacts that asked for an agent in the interval.
    pub offered: u64,
    /// Of those, accepted by an agent, and given up waiting.
    pub answered: u64,
    pub abandoned: u64,
    /// Answered within the threshold over answered + abandoned, as the run's own service level.
    pub service_level: Option<f64>,
    /// Abandoned over answered + abandoned.
    pub abandon_rate: Option<f64>,
    /// Mean wait of the answered ones, seconds.
    pub asa_s: Option<f64>,
}

impl Periods {
    /// Intervals of these lengths, one after the other from the origin and over again when
    /// arrivals last longer (`run`); none counts nothing. A contact counts in the interval of
    /// the profile it asked in, whichever repetition: a week on a day's profile reports each
    /// half hour of the day over the seven days.
    pub fn new(lengths: impl IntoIterator<Item = Duration>, run: Duration) -> Periods {
        let ends: Vec<Duration> = lengths
            .into_iter()
            .scan(Duration::ZERO, |end, length| {
                *end += length;
                Some(*end)
            })
            .collect();
        Periods {
            counts: vec![Counts::default(); ends.len()],
            ends,
            run,
        }
    }

    /// The interval a contact that asked at `at` counts in; in the drain, the one arrivals
    /// ended in (the drain belongs to the day's end).
    fn at(&mut self, at: Duration) -> Option<&mut Counts> {
        let cycle = *self.ends.last()?;
        let at = if at >= self.run {
            self.run.saturating_sub(Duration::from_nanos(1))
        } else {
            at
        };
        let i = self.ends.partition_point(|end| *end <= fold(at, cycle));
        let last = self.counts.len() - 1;
        self.counts.get_mut(i.min(last))
    }

    /// A contact asked for an agent at `asked`.
    pub fn offered(&mut self, asked: Duration) {
        if let Some(c) = self.at(asked) {
            c.offered += 1;
        }
    }

    /// A contact that asked at `asked` was answered after `wait`, `within` the threshold or not.
    pub fn answered(&mut self, asked: Duration, wait: Duration, within: bool) {
        if let Some(c) = self.at(asked) {
            c.answered += 1;
            c.answered_within += u64::from(within);
            c.wait += wait;
        }
    }

    /// A contact that asked at `asked` gave up waiting.
    pub fn abandoned(&mut self, asked: Duration) {
        if let Some(c) = self.at(asked) {
            c.abandoned += 1;
        }
    }

    /// Every interval's outcomes.
    pub fn outcomes(&self) -> Vec<IntervalOutcome> {
        let starts = std::iter::once(Duration::ZERO).chain(self.ends.iter().copied());
        starts
            .zip(&self.ends)
            .zip(&self.counts)
            .map(|((start, end), c)| {
                let ended = c.answered + c.abandoned;
                let ratio = |n: u64| (ended > 0).then(|| n as f64 / ended as f64);
                IntervalOutcome {
                    start_s: start.as_secs_f64(),
                    length_s: (*end - start).as_secs_f64(),
                    offered: c.offered,
                    answered: c.answered,
                    abandoned: c.abandoned,
                    service_level: ratio(c.answered_within),
                    abandon_rate: ratio(c.abandoned),
                    asa_s: (c.answered > 0).then(|| c.wait.as_secs_f64() / c.answered as f64),
                }
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mins(m: u64) -> Duration {
        Duration::from_secs(60 * m)
    }

    #[test]
    fn contacts_count_in_the_interval_they_asked_in() {
        let mut p = Periods::new([mins(30), mins(30)], mins(60));
        p.offered(mins(0));
        p.answered(mins(0), Duration::from_secs(10), true);
        p.offered(mins(29));
        p.abandoned(mins(29));
        p.offered(mins(30));
        p.answered(mins(30), Duration::from_secs(90), false);
        // Asked during the drain: the last interval.
        p.offered(mins(75));
        p.answered(mins(75), Duration::from_secs(30), true);
        let o = p.outcomes();
        assert_eq!(o.len(), 2);
        assert_eq!((o[0].start_s, o[0].length_s), (0.0, 1800.0));
        assert_eq!((o[0].offered, o[0].answered, o[0].abandoned), (2, 1, 1));
        assert_eq!(o[0].service_level, Some(0.5));
        assert_eq!(o[0].asa_s, Some(10.0));
        assert_eq!(o[1].start_s, 1800.0);
        assert_eq!((o[1].offered, o[1].answered), (2, 2));
        assert_eq!(o[1].service_level, Some(0.5));
        assert_eq!(o[1].abandon_rate, Some(0.0));
        assert_eq!(o[1].asa_s, Some(60.0));
    }

    #[test]
    fn a_run_longer_than_its_profile_counts_every_repetition_in_the_profiles_intervals() {
        // Three hours on a one-hour profile of two half hours.
        let mut p = Periods::new([mins(30), mins(30)], mins(180));
        for at in [mins(10), mins(70), mins(130)] {
            p.offered(at);
            p.answered(at, Duration::from_secs(5), true);
        }
        p.offered(mins(95));
        p.abandoned(mins(95));
        // The drain after three hours belongs to the last half hour.
        p.offered(mins(185));
        p.abandoned(mins(185));
        let o = p.outcomes();
        assert_eq!(o.len(), 2);
        assert_eq!((o[0].offered, o[0].answered, o[0].abandoned), (3, 3, 0));
        assert_eq!((o[1].offered, o[1].answered, o[1].abandoned), (2, 0, 2));
        // Arrivals that stop mid-profile (20 minutes into its second hour): the drain belongs
        // to the half hour they stopped in.
        let mut p = Periods::new([mins(30), mins(30)], mins(80));
        p.offered(mins(120));
        let o = p.outcomes();
        assert_eq!((o[0].offered, o[1].offered), (1, 0));
    }

    #[test]
    fn folding_starts_the_profile_over() {
        assert_eq!(fold(mins(75), mins(60)), mins(15));
        assert_eq!(fold(mins(60), mins(60)), Duration::ZERO);
        assert_eq!(fold(mins(59), mins(60)), mins(59));
        assert_eq!(fold(mins(5), Duration::ZERO), mins(5));
    }

    #[test]
    fn a_run_without_intervals_reports_none() {
        let mut p = Periods::new([], mins(60));
        p.offered(mins(3));
        p.answered(mins(3), mins(1), true);
        assert!(p.outcomes().is_empty());
    }
}
