//! Which side fell behind when a run did not keep its schedule: the generator or the target. A
//! run that fell behind understates what the slower side could take only if the slower side is
//! the generator, so the warning says which one it was from evidence: how busy the generator kept
//! its cores, its schedule lag and drops, and the target's routing latency.

use super::recorder::Counts;
use super::summary::LatencyStats;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Schedule lag p99 (ms) above which the generator is said to have fallen behind: its
/// arrivals no longer left when the open workload model says they do.
pub const LAG_WARNING_MS: f64 = 5.0;

/// A generator whose CPU time came to this share of the cores it may run on had none to spare.
pub const BUSY: f64 = 0.9;

/// A routing p99 this many times the schedule lag's, and above a second, says the target fell
/// behind rather than the generator.
const TARGET_BEHIND_FACTOR: f64 = 10.0;
const TARGET_BEHIND_MS: f64 = 1000.0;

/// How busy the generator's process kept the cores it may run on while the arrivals came (live
/// runs): the evidence that tells a generator short of CPU from a target that is slow.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct GeneratorLoad {
    /// CPU time (user and system) the process spent over the arrivals.
    pub cpu_s: f64,
    /// The arrivals' wall time.
    pub wall_s: f64,
    /// Cores the process may run on (its CPU affinity).
    pub cores: u32,
    /// `cpu_s` over `wall_s × cores`.
    pub busy: f64,
    /// The reference server ran in the same process (no `--target`): its work counts here too.
    pub with_target: bool,
}

impl GeneratorLoad {
    pub fn new(cpu_s: f64, wall_s: f64, cores: u32, with_target: bool) -> GeneratorLoad {
        let capacity = wall_s * f64::from(cores.max(1));
        GeneratorLoad {
            cpu_s,
            wall_s,
            cores,
            busy: if capacity > 0.0 {
                cpu_s / capacity
            } else {
                0.0
            },
            with_target,
        }
    }

    /// "97 % of 1 core", for the warning.
    fn describe(&self) -> String {
        let plural = if self.cores == 1 { "" } else { "s" };
        let whose = if self.with_target {
            "the generator and the embedded server together kept"
        } else {
            "the generator's CPU kept"
        };
        format!(
            "{whose} {} core{plural} {:.0} % busy",
            self.cores,
            self.busy * 100.0
        )
    }
}

/// Which side fell behind, from the evidence a run has; None when neither did. The generator is
/// named when its CPU had none to spare, or when nothing points at the target; the target when
/// its routing p99 is above a second and ten times the schedule lag's; both when both hold.
pub fn behind(
    latency_ms: &BTreeMap<String, LatencyStats>,
    c: &Counts,
    at_once: Option<u64>,
    load: Option<&GeneratorLoad>,
) -> Option<String> {
    let p99 = |m: &str| latency_ms.get(m).map_or(0.0, |l| l.p99);
    let (lag, routing) = (p99("schedule_lag"), p99("routing"));
    if lag <= LAG_WARNING_MS && c.arrivals_dropped == 0 {
        return None;
    }
    let mut dropped = format!("{} arrivals dropped", c.arrivals_dropped);
    if c.dropped_at_limit > 0 {
        let limit = at_once.map_or_else(String::new, |n| format!(" of {n}"));
        dropped.push_str(&format!(
            ", {} of them at the generator's limit{limit} customers at once, set by its open-file \
             limit (raise `ulimit -n`, or split the test into shards)",
            c.dropped_at_limit
        ));
    }
    let evidence = format!("lag p99 {lag:.1} ms, {dropped}");
    let target_slow = routing > TARGET_BEHIND_MS && routing > TARGET_BEHIND_FACTOR * lag;
    let saturated = load.filter(|l| l.busy >= BUSY);
    Some(match (saturated, target_slow) {
        (Some(l), true) => format!(
            "both sides fell behind: {} and the target's routing p99 was {routing:.0} ms \
             ({evidence}): results understate what the target could take from a faster generator",
            l.describe()
        ),
        (Some(l), false) => format!(
            "the load generator fell behind its schedule: {} ({evidence}): results understate \
             what the server could take",
            l.describe()
        ),
        (None, true) => format!(
            "the target fell behind: routing p99 {routing:.0} ms against the generator's schedule \
             lag p99 {lag:.1} ms ({dropped}){}: at this rate the target is the bottleneck",
            load.map_or_else(String::new, |l| format!(", while {}", l.describe()))
        ),
        (None, false) => match load {
            Some(l) if !l.with_target => format!(
                "the load generator fell behind its schedule ({evidence}) though {}: something \
                 else on this machine took the CPU it needed; results understate what the server \
                 could take",
                l.describe()
            ),
            _ => format!(
                "the load generator fell behind its schedule ({evidence}): results understate \
                 what the server could take"
            ),
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p99s(lag: f64, routing: f64) -> BTreeMap<String, LatencyStats> {
        let stats = |p99| LatencyStats {
            count: 1,
            p99,
            ..LatencyStats::default()
        };
        BTreeMap::from([
            ("schedule_lag".to_owned(), stats(lag)),
            ("routing".to_owned(), stats(routing)),
        ])
    }

    /// Without the generator's CPU figures the warning names the side that fell behind from the
    /// generator's lag and drops against the target's routing latency.
    #[test]
    fn the_warning_names_the_side_that_fell_behind() {
        let mut c = Counts::default();
        assert_eq!(
            behind(&p99s(5.0, 9000.0), &c, None, None),
            None,
            "on time: no warning"
        );
        let generator = behind(&p99s(50.0, 20.0), &c, None, None).unwrap();
        assert!(
            generator.starts_with("the load generator fell behind"),
            "{generator}"
        );
        c.arrivals_dropped = 10;
        c.dropped_at_limit = 4;
        let target = behind(&p99s(150.0, 5000.0), &c, Some(4900), None).unwrap();
        assert!(
            target.starts_with("the target fell behind: routing p99 5000 ms"),
            "{target}"
        );
        assert!(target.contains("10 arrivals dropped, 4 of them at the generator's limit of 4900"));
        // Slow routing that the generator's own lag explains is the generator's.
        let both = behind(&p99s(400.0, 1500.0), &c, None, None).unwrap();
        assert!(both.starts_with("the load generator fell behind"), "{both}");
    }

    /// The generator's CPU decides between the sides: with cores to spare the generator did not
    /// fall behind for want of CPU; with none, slow routing does not clear it.
    #[test]
    fn the_generators_cpu_is_evidence_for_either_side() {
        let c = Counts {
            arrivals_dropped: 3,
            ..Counts::default()
        };
        let spare = GeneratorLoad::new(4.5, 10.0, 1, false);
        let saturated = GeneratorLoad::new(9.2, 10.0, 1, false);

        // Routing 1.2 s against a lag of 150 ms: not ten times it, so without the CPU figures
        // the generator is blamed; with a generator at 45 % the lag came from elsewhere.
        let lag = p99s(150.0, 1200.0);
        let idle = behind(&lag, &c, None, Some(&spare)).unwrap();
        assert!(idle.contains("1 core 45 % busy"), "{idle}");
        assert!(idle.contains("something else on this machine"), "{idle}");
        let busy = behind(&lag, &c, None, Some(&saturated)).unwrap();
        assert!(
            busy.starts_with("the load generator fell behind its schedule: the generator's CPU kept 1 core 92 % busy"),
            "{busy}"
        );

        // Slow routing with a saturated generator: both.
        let slow = p99s(150.0, 5000.0);
        let both = behind(&slow, &c, None, Some(&saturated)).unwrap();
        assert!(both.starts_with("both sides fell behind"), "{both}");
        let target = behind(&slow, &c, None, Some(&spare)).unwrap();
        assert!(target.starts_with("the target fell behind"), "{target}");
        assert!(target.ends_with("the target is the bottleneck"), "{target}");

        // At exactly the line the generator counts as having no CPU to spare.
        let at_line = GeneratorLoad::new(9.0, 10.0, 1, false);
        let line = behind(&lag, &c, None, Some(&at_line)).unwrap();
        assert!(
            line.starts_with("the load generator fell behind its schedule: "),
            "{line}"
        );

        // In one process with the server, an idle share says nothing about another process.
        let shared = GeneratorLoad::new(9.0, 10.0, 2, true);
        let embedded = behind(&lag, &c, None, Some(&shared)).unwrap();
        assert!(!embedded.contains("something else"), "{embedded}");
        let shared_busy = GeneratorLoad::new(19.0, 10.0, 2, true);
        let embedded = behind(&lag, &c, None, Some(&shared_busy)).unwrap();
        assert!(
            embedded
                .contains("the generator and the embedded server together kept 2 cores 95 % busy"),
            "{embedded}"
        );
    }
}
