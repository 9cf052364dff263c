//! Replications of one scenario in virtual time, on every core: each run has an engine and a
//! clock of its own, so they share nothing but the scenario, and the results come back in
//! replication order whatever thread ran them.

use crate::measure::Summary;
use crate::scenario::Scenario;
use crate::virtual_time::{self, VirtualError};

/// How many of `replications` runs [`summaries`] runs at once: one per core.
pub fn at_once(replications: usize) -> usize {
    std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .clamp(1, replications.max(1))
}

/// The summaries of `replications` virtual runs of `scenario`, seeded `seed`, `seed + 1`, ….
pub fn summaries(
    scenario: &Scenario,
    replications: usize,
    seed: u64,
) -> Result<Vec<Summary>, VirtualError> {
    let workers = at_once(replications);
    let run = |r: usize| {
        let seed = seed.wrapping_add(r as u64);
        virtual_time::run(scenario.clone(), Some(seed), None).map(|o| o.summary)
    };
    let mut done: Vec<(usize, Result<Summary, VirtualError>)> = std::thread::scope(|scope| {
        let threads: Vec<_> = (0..workers)
            .map(|w| {
                scope.spawn(move || {
                    (w..replications)
                        .step_by(workers)
                        .map(|r| (r, run(r)))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        threads
            .into_iter()
            .flat_map(|t| {
                t.join()
                    .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
            })
            .collect()
    });
    done.sort_by_key(|(r, _)| *r);
    done.into_iter().map(|(_, s)| s).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    #[test]
    fn replications_come_back_in_order_and_as_a_single_run_would_give_them() {
        let scenario = Scenario::load(Path::new("scenarios/quickstart.toml")).unwrap();
        let all = summaries(&scenario, 3, 40).unwrap();
        assert_eq!(all.iter().map(|s| s.seed).collect::<Vec<_>>(), [40, 41, 42]);
        let alone = virtual_time::run(scenario, Some(41), None).unwrap().summary;
        assert_eq!(
            serde_json::to_string(&all[1]).unwrap(),
            serde_json::to_string(&alone).unwrap()
        );
    }
}
