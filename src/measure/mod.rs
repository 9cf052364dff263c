//! Honest measurement: latencies from intended times into HdrHistograms (3 significant digits),
//! overall and per channel and queue, with the uncorrected (actual-send) figures beside them; the
//! counters and rates of a run; its summary and thresholds.

pub mod behind;
pub mod compare;
pub mod flows;
pub mod histograms;
pub mod hlog;
pub mod interval;
pub mod merge;
pub mod outcome;
pub mod periods;
pub mod progress;
pub mod protocol;
pub mod recorder;
pub mod summary;
pub mod target;
pub mod thresholds;

/// The latency metrics a run records, by their names in summary.json and thresholds.
pub const LATENCIES: [&str; 8] = [
    "routing",
    "speed_to_answer",
    "first_response",
    "resolution",
    "handle",
    "delivery_to_agent",
    "delivery_to_customer",
    "schedule_lag",
];

pub use outcome::{Finished, Outcome, RunOrg};
pub use progress::{Progress, ProgressFn};
pub use recorder::Recorder;
pub use summary::Summary;
