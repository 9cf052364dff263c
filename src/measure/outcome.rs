//! What a finished run produced, whichever driver ran it: the summary with its thresholds
//! evaluated, the interval log and the percentile curves for the report.

use super::recorder::Recorder;
use super::summary::Summary;
use super::thresholds::Threshold;
use crate::checker::History;
use crate::scenario::Scenario;
use std::collections::BTreeMap;
use std::time::SystemTime;

/// The org a live run created on its target, to read it back after the run.
#[derive(Clone, Debug, serde::Serialize)]
pub struct RunOrg {
    pub url: String,
    pub org: omnisim_protocol::OrgId,
    pub token: String,
}

/// What a run produced.
pub struct Outcome {
    /// Where a live run's org lives; none for virtual runs.
    pub org: Option<RunOrg>,
    /// The summary, thresholds evaluated.
    pub summary: Summary,
    /// latency.hlog: the interval histograms as an HdrHistogram interval log.
    pub interval_log: Vec<u8>,
    /// Latency percentile curves for the report, per metric.
    pub percentiles: BTreeMap<String, Vec<(f64, f64)>>,
    /// histograms.json: the whole-run histograms, for merging shards.
    pub histograms: super::histograms::Histograms,
}

/// Where a run ran and what it measured.
pub struct Finished<'a> {
    pub scenario: &'a Scenario,
    pub seed: u64,
    /// `embedded`, the target's URL, or `virtual`.
    pub target: &'a str,
    pub elapsed_s: f64,
    /// When the run's time started, stamped into the interval log.
    pub wall_origin: SystemTime,
    pub recorder: &'a Recorder,
    pub history: &'a History,
}

impl Outcome {
    /// Builds the summary, evaluates the scenario's thresholds on it, and writes the interval log.
    pub fn conclude(f: Finished, org: Option<RunOrg>) -> Outcome {
        let r = f.recorder;
        let interval_log = super::hlog::write(&r.intervals, f.wall_origin).unwrap_or_default();
        // Corrected and, where there is one, uncorrected side by side: the gap between the two
        // is the coordinated omission a closed-loop tool would not show.
        let percentiles = ["routing", "speed_to_answer", "first_response", "resolution"]
            .iter()
            .flat_map(|m| {
                [
                    ((*m).to_owned(), r.percentile_curve(m)),
                    (format!("{m} (uncorrected)"), r.uncorrected_curve(m)),
                ]
            })
            .filter(|(_, c)| !c.is_empty())
            .collect();
        let c = &r.counts;
        let still_open = c.sessions_started.saturating_sub(c.sessions_ended);
        let sl = f.scenario.service_level_threshold.0.as_secs_f64();
        let mut summary = Summary::build(
            &f.scenario.name,
            f.seed,
            f.target,
            f.elapsed_s,
            sl,
            r,
            still_open,
        );
        summary.violations = f.history.violations().to_vec();
        summary.thresholds = f
            .scenario
            .thresholds
            .iter()
            .filter_map(|(name, cond)| Threshold::parse(name, cond).ok())
            .map(|t| t.evaluate(&summary))
            .collect();
        Outcome {
            org,
            summary,
            interval_log,
            percentiles,
            histograms: r.histograms(),
        }
    }
}
