//! Where a run stands, for the terminal: both drivers report it about once a second of wall time
//! while they run.

use super::Recorder;
use super::recorder::Sample;
use std::sync::Arc;

/// What receives a run's progress.
pub type ProgressFn = Arc<dyn Fn(&Progress) + Send + Sync>;

/// Where a run is.
#[derive(Clone, Debug, Default)]
pub struct Progress {
    pub elapsed_s: f64,
    pub total_s: f64,
    pub sessions: u64,
    pub open: u64,
    pub messages_per_s: f64,
    pub queue_depth: u64,
    pub occupancy: f64,
    pub routing_p99_ms: f64,
}

impl Progress {
    /// A run of `total_s` seconds at `sample`, as `r` has it, sending `messages_per_s`.
    pub fn at(r: &Recorder, sample: &Sample, total_s: f64, messages_per_s: f64) -> Progress {
        let c = &r.counts;
        Progress {
            elapsed_s: sample.t_s,
            total_s,
            sessions: c.sessions_started,
            open: c.sessions_started.saturating_sub(c.sessions_ended),
            messages_per_s,
            queue_depth: sample.queue_depth,
            occupancy: sample.occupancy,
            routing_p99_ms: r
                .histogram("routing")
                .map_or(0.0, |h| h.value_at_quantile(0.99) as f64 / 1000.0),
        }
    }

    /// The one-line form, for logs and CI.
    pub fn line(&self) -> String {
        format!(
            "{:>5.0}s/{:.0}s  sessions {:>6} (open {:>5})  msgs/s {:>7.0}  queue {:>5}  occupancy {:>5.1}%  routing p99 {:>8.1} ms",
            self.elapsed_s,
            self.total_s,
            self.sessions,
            self.open,
            self.messages_per_s,
            self.queue_depth,
            self.occupancy * 100.0,
            self.routing_p99_ms
        )
    }
}
