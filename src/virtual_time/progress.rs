//! Telling the terminal where a virtual run is. Wall time decides only how often it is told,
//! never what the run does: a run's summary is the same with or without it.

use crate::measure::recorder::Sample;
use crate::measure::{Progress, ProgressFn, Recorder};
use std::time::{Duration, Instant};

/// How often a virtual run reports, in wall time: as often as a live run does.
pub(super) const EVERY: Duration = Duration::from_secs(1);

/// Reports a run's samples, at most once per `every` of wall time.
pub(super) struct Reporter {
    report: ProgressFn,
    every: Duration,
    total_s: f64,
    last: Instant,
    last_sent: u64,
    last_t_s: f64,
}

impl Reporter {
    /// For a run whose arrivals last `total`.
    pub(super) fn new(report: ProgressFn, every: Duration, total: Duration) -> Reporter {
        Reporter {
            report,
            every,
            total_s: total.as_secs_f64(),
            last: Instant::now(),
            last_sent: 0,
            last_t_s: 0.0,
        }
    }

    /// The run took `sample`: reported if `every` passed since the last report, with the
    /// messages sent per second of virtual time since then.
    pub(super) fn sampled(&mut self, r: &Recorder, sample: &Sample) {
        if self.last.elapsed() < self.every {
            return;
        }
        let sent = r.counts.messages_sent;
        let virtual_s = (sample.t_s - self.last_t_s).max(f64::MIN_POSITIVE);
        let per_s = sent.saturating_sub(self.last_sent) as f64 / virtual_s;
        (self.report)(&Progress::at(r, sample, self.total_s, per_s));
        self.last = Instant::now();
        self.last_sent = sent;
        self.last_t_s = sample.t_s;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::Scenario;
    use std::path::Path;
    use std::sync::{Arc, Mutex};

    #[test]
    fn every_sample_can_be_reported_and_the_run_is_the_same_for_it() {
        let quickstart = || Scenario::load(Path::new("scenarios/quickstart.toml")).unwrap();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let sink = seen.clone();
        let report: ProgressFn = Arc::new(move |p: &Progress| sink.lock().unwrap().push(p.clone()));
        let told = super::super::run_with(quickstart(), None, None, Some((report, Duration::ZERO)));
        let quiet = super::super::run(quickstart(), None, None).unwrap();
        let json = |s: &crate::measure::Summary| serde_json::to_string(s).unwrap();
        assert_eq!(json(&told.unwrap().summary), json(&quiet.summary));
        let seen = seen.lock().unwrap();
        // The quickstart's 20 s are sampled every second.
        assert!(seen.len() >= 20, "{} reports", seen.len());
        assert!(
            seen.windows(2)
                .all(|w| w[0].elapsed_s < w[1].elapsed_s && w[0].sessions <= w[1].sessions),
            "{seen:?}"
        );
        let last = seen.last().unwrap();
        assert_eq!(last.total_s, 20.0);
        assert_eq!(last.sessions, quiet.summary.sessions.started);
        assert!(seen.iter().any(|p| p.messages_per_s > 0.0), "{seen:?}");
    }
}
