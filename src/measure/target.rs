//! How the target held up: the requests that never got an answer (transport errors) and, when it
//! stopped answering altogether, when the run lost it. Both are verdicts of their own: a run
//! against a target that died must fail, whatever the latencies measured before look like.

use serde::{Deserialize, Serialize};

/// How many transport errors are kept as samples; the rest are only counted.
pub const SAMPLES: usize = 10;

/// Requests the target did not answer: refused connections, resets, timeouts.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct TransportErrors {
    pub count: u64,
    /// The first [`SAMPLES`] of them.
    pub samples: Vec<TransportSample>,
}

/// One transport error as it happened.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TransportSample {
    /// Seconds since the run's first arrival.
    pub at_s: f64,
    pub problem: String,
}

impl TransportErrors {
    /// Counts one, keeping it while there is room.
    pub fn record(&mut self, at_s: f64, problem: &str) {
        self.count += 1;
        if self.samples.len() < SAMPLES {
            self.samples.push(TransportSample {
                at_s,
                problem: problem.to_owned(),
            });
        }
    }
}

/// The target stopped answering: nothing it was asked for (its read-back and `/healthz`) came
/// back for [`LOST_AFTER_S`] seconds in a row, and the run ended there.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TargetLost {
    /// Seconds since the run's first arrival at which the run gave up on it.
    pub at_s: f64,
    pub problem: String,
}

/// How long a target may answer nothing before the run counts it lost, in seconds of samples.
pub const LOST_AFTER_S: u32 = 3;

/// The run was ended early by its user (SIGINT, SIGTERM): arrivals stopped then, open sessions got
/// a short drain, and the results are what was measured.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Interrupted {
    pub signal: String,
    /// Seconds since the run's first arrival.
    pub at_s: f64,
}
