//! What the target sent that is not the protocol: every frame or reply the harness could not
//! read as its schema says, counted, with the first few kept whole enough to act on. A run with
//! any fails on its own verdict (docs/scenarios.md#exit-codes), whatever its thresholds say.

use crate::wire::WireError;
use serde::{Deserialize, Serialize};

/// How many violations are kept as samples; the rest are only counted.
pub const SAMPLES: usize = 10;

/// Frames longer than this are cut in a sample.
const FRAME_CHARS: usize = 400;

/// The protocol violations of a run.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProtocolViolations {
    pub count: u64,
    /// The first [`SAMPLES`] of them, in the order they were received.
    pub samples: Vec<ProtocolSample>,
}

/// One violation as received.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProtocolSample {
    /// What carried it: `agent socket`, `customer stream`, `HTTP reply`.
    pub on: String,
    /// The field at fault (`work_offered.session`); empty when the text is not JSON.
    pub field: String,
    pub problem: String,
    /// The frame or body, cut at 400 characters.
    pub frame: String,
}

impl ProtocolViolations {
    /// Counts one violation and keeps it while there is room.
    pub fn record(&mut self, on: &str, error: &WireError, frame: &str) {
        self.count += 1;
        if self.samples.len() < SAMPLES {
            let mut shown: String = frame.chars().take(FRAME_CHARS).collect();
            if shown.len() < frame.len() {
                shown.push_str(" …");
            }
            self.samples.push(ProtocolSample {
                on: on.to_owned(),
                field: error.field.clone(),
                problem: error.problem.clone(),
                frame: shown,
            });
        }
    }

    pub fn is_empty(&self) -> bool {
        self.count == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_violation_is_counted_and_the_first_ten_kept() {
        let mut v = ProtocolViolations::default();
        let e = WireError {
            field: "work_offered.session".into(),
            problem: "5 is not of type \"object\"".into(),
        };
        for i in 0..12 {
            v.record(
                "agent socket",
                &e,
                &format!("frame {i} {}", "x".repeat(500)),
            );
        }
        assert_eq!(v.count, 12);
        assert_eq!(v.samples.len(), SAMPLES);
        assert!(v.samples[0].frame.starts_with("frame 0 ") && v.samples[0].frame.ends_with(" …"));
        assert_eq!(v.samples[9].field, "work_offered.session");
    }
}
