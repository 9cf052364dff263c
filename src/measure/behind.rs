//! Which side fell behind when a run did not keep its schedule: the generator or the target. A
//! run that fell behind understates what the target could take only if the slower side is the
//! generator, so the warning says which one it was from evidence: how busy each side kept its
//! cores (the target's as its `/metrics` shows them), the generator's schedule lag and drops,
//! and the target's routing latency.

use super::recorder::Counts;
use super::summary::LatencyStats;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Schedule lag p99 (ms) above which the generator is said to have fallen behind: its
/// arrivals no longer left when the open workload model says they do.
pub const LAG_WARNING_MS: f64 = 5.0;

/// A side whose CPU time came to this share of the cores it may run on had none to spare.
pub const BUSY: f64 = 0.9;

/// A routing p99 this many times the schedule lag's, and above a second, says the target fell
/// behind rather than the generator.
const TARGET_BEHIND_FACTOR: f64 = 10.0;
const TARGET_BEHIND_MS: f64 = 1000.0;

/// How busy one side's process kept the cores it may run on while the arrivals came (live runs):
/// the evidence that tells a generator short of CPU from a target short of it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CpuLoad {
    /// CPU time (user and system) the process spent over the arrivals.
    pub cpu_s: f64,
    /// The arrivals' wall time.
    pub wall_s: f64,
    /// Cores the process may run on (its CPU affinity).
    pub cores: u32,
    /// `cpu_s` over `wall_s × cores`.
    pub busy: f64,
    /// The generator and the reference server ran in one process (no `--target`): the load is
    /// both sides' together. Named `with_target` in summary.json, as schema version 1 has had it
    /// (summaries written as `shared` read too).
    #[serde(default, rename = "with_target", alias = "shared")]
    pub shared: bool,
}

impl CpuLoad {
    /// `cpu_s` of CPU time spent over `wall_s` by a process that may run on `cores`.
    pub fn new(cpu_s: f64, wall_s: f64, cores: u32, shared: bool) -> CpuLoad {
        let capacity = wall_s * f64::from(cores.max(1));
        CpuLoad {
            cpu_s,
            wall_s,
            cores,
            busy: if capacity > 0.0 {
                cpu_s / capacity
            } else {
                0.0
            },
            shared,
        }
    }

    /// "1 core" or "2 cores".
    pub fn cores_text(&self) -> String {
        let plural = if self.cores == 1 { "" } else { "s" };
        format!("{} core{plural}", self.cores)
    }

    /// "the generator's CPU kept 1 core 97 % busy", for the warning; `whose` names the side.
    fn describe(&self, whose: &str) -> String {
        let whose = if self.shared {
            "the generator and the embedded server together"
        } else {
            whose
        };
        format!(
            "{whose} kept {} {:.0} % busy",
            self.cores_text(),
            self.busy * 100.0
        )
    }
}

/// What a run knows of the two sides' CPU: the generator's own, and the target's as its
/// `/metrics` showed it (none when it shows none, or shares the generator's process).
#[derive(Clone, Copy, Default)]
pub struct Cpu<'a> {
    pub generator: Option<&'a CpuLoad>,
    pub target: Option<&'a CpuLoad>,
}

const GENERATOR: &str = "the generator's CPU";
const TARGET: &str = "the target's CPU";

/// Which side fell behind, from the evidence a run has; None when neither did. The generator is
/// named when its CPU had none to spare, or when nothing points at the target; the target when
/// its CPU had none to spare, or its routing p99 is above a second and ten times the schedule
/// lag's; both when both hold. A generator that lagged with CPU to spare, in a process of its
/// own, lost it to something else on its machine.
pub fn behind(
    latency_ms: &BTreeMap<String, LatencyStats>,
    c: &Counts,
    at_once: Option<u64>,
    cpu: Cpu,
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
    let generator_full = cpu.generator.filter(|l| l.busy >= BUSY);
    let target_full = cpu.target.filter(|l| l.busy >= BUSY);
    let routing_slow = routing > TARGET_BEHIND_MS && routing > TARGET_BEHIND_FACTOR * lag;
    // What says the target fell behind: its CPU first, then its routing.
    let target = match (target_full, routing_slow) {
        (Some(t), _) => Some(format!(
            "{} (routing p99 {routing:.0} ms)",
            t.describe(TARGET)
        )),
        (None, true) => Some(match cpu.target {
            Some(t) => format!("routing p99 {routing:.0} ms ({})", t.describe(TARGET)),
            None => format!("routing p99 {routing:.0} ms"),
        }),
        (None, false) => None,
    };
    Some(match (generator_full, target) {
        (Some(g), Some(target)) => format!(
            "both sides fell behind: {} and {target} ({evidence}): results understate what the \
             target could take from a faster generator",
            g.describe(GENERATOR)
        ),
        (Some(g), None) => format!(
            "the load generator fell behind its schedule: {} ({evidence}): results understate \
             what the server could take",
            g.describe(GENERATOR)
        ),
        (None, Some(target)) => format!(
            "the target fell behind: {target} against the generator's schedule lag p99 \
             {lag:.1} ms ({dropped}){}: at this rate the target is the bottleneck",
            cpu.generator.map_or_else(String::new, |g| format!(
                ", while {}",
                g.describe(GENERATOR)
            ))
        ),
        (None, None) => match cpu.generator {
            Some(g) if !g.shared => format!(
                "the load generator fell behind its schedule ({evidence}) though {}: something \
                 else on this machine took the CPU it needed; results understate what the server \
                 could take",
                g.describe(GENERATOR)
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
            behind(&p99s(5.0, 9000.0), &c, None, Cpu::default()),
            None,
            "on time: no warning"
        );
        let generator = behind(&p99s(50.0, 20.0), &c, None, Cpu::default()).unwrap();
        assert!(
            generator.starts_with("the load generator fell behind"),
            "{generator}"
        );
        c.arrivals_dropped = 10;
        c.dropped_at_limit = 4;
        let target = behind(&p99s(150.0, 5000.0), &c, Some(4900), Cpu::default()).unwrap();
        assert!(
            target.starts_with("the target fell behind: routing p99 5000 ms"),
            "{target}"
        );
        assert!(target.contains("10 arrivals dropped, 4 of them at the generator's limit of 4900"));
        // Slow routing that the generator's own lag explains is the generator's.
        let both = behind(&p99s(400.0, 1500.0), &c, None, Cpu::default()).unwrap();
        assert!(both.starts_with("the load generator fell behind"), "{both}");
    }

    fn three_dropped() -> Counts {
        Counts {
            arrivals_dropped: 3,
            ..Counts::default()
        }
    }

    /// `cpu_s` over ten seconds of one core in a process of its own.
    fn one_core(cpu_s: f64) -> CpuLoad {
        CpuLoad::new(cpu_s, 10.0, 1, false)
    }

    fn generator(load: &CpuLoad) -> Cpu<'_> {
        Cpu {
            generator: Some(load),
            target: None,
        }
    }

    /// The generator's CPU decides between the sides: with cores to spare the generator did not
    /// fall behind for want of CPU; with none, slow routing does not clear it.
    #[test]
    fn the_generators_cpu_is_evidence_for_either_side() {
        let (c, spare) = (three_dropped(), one_core(4.5));
        let saturated = one_core(9.2);

        // Routing 1.2 s against a lag of 150 ms: not ten times it, so without the CPU figures
        // the generator is blamed; with a generator at 45 % the lag came from elsewhere.
        let lag = p99s(150.0, 1200.0);
        let idle = behind(&lag, &c, None, generator(&spare)).unwrap();
        assert!(idle.contains("1 core 45 % busy"), "{idle}");
        assert!(idle.contains("something else on this machine"), "{idle}");
        let busy = behind(&lag, &c, None, generator(&saturated)).unwrap();
        assert!(
            busy.starts_with("the load generator fell behind its schedule: the generator's CPU kept 1 core 92 % busy"),
            "{busy}"
        );

        // Slow routing with a saturated generator: both.
        let slow = p99s(150.0, 5000.0);
        let both = behind(&slow, &c, None, generator(&saturated)).unwrap();
        assert!(both.starts_with("both sides fell behind"), "{both}");
        let target = behind(&slow, &c, None, generator(&spare)).unwrap();
        assert!(target.starts_with("the target fell behind"), "{target}");
        assert!(target.ends_with("the target is the bottleneck"), "{target}");

        // At exactly the line the generator counts as having no CPU to spare.
        let at_line = one_core(9.0);
        let line = behind(&lag, &c, None, generator(&at_line)).unwrap();
        assert!(
            line.starts_with("the load generator fell behind its schedule: "),
            "{line}"
        );

        // In one process with the server, an idle share says nothing about another process.
        let shared = CpuLoad::new(9.0, 10.0, 2, true);
        let embedded = behind(&lag, &c, None, generator(&shared)).unwrap();
        assert!(!embedded.contains("something else"), "{embedded}");
        let shared_busy = CpuLoad::new(19.0, 10.0, 2, true);
        let embedded = behind(&lag, &c, None, generator(&shared_busy)).unwrap();
        assert!(
            embedded
                .contains("the generator and the embedded server together kept 2 cores 95 % busy"),
            "{embedded}"
        );
    }

    /// summary.json keeps the field name schema version 1 gave it.
    #[test]
    fn a_load_is_written_with_its_schema_field_names() {
        let json = serde_json::to_value(CpuLoad::new(9.0, 10.0, 2, true)).unwrap();
        assert_eq!(json["with_target"], true, "{json}");
        for name in ["with_target", "shared"] {
            let read: CpuLoad = serde_json::from_value(serde_json::json!({
                "cpu_s": 9.0, "wall_s": 10.0, "cores": 2, "busy": 0.45, name: true
            }))
            .unwrap();
            assert!(read.shared, "{name}");
        }
    }

    /// The target's CPU, as its /metrics shows it, names the target even when its routing alone
    /// would not: with the generator at 45 % and the target's core full, it is the target's.
    #[test]
    fn the_targets_cpu_names_the_target() {
        let (c, spare) = (three_dropped(), one_core(4.5));
        let full = one_core(9.7);
        let idle_target = CpuLoad::new(3.0, 10.0, 2, false);
        // Routing 800 ms: under a second, so routing alone clears the target.
        let lag = p99s(150.0, 800.0);
        let cpu = |generator, target| Cpu {
            generator: Some(generator),
            target: Some(target),
        };
        let target = behind(&lag, &c, None, cpu(&spare, &full)).unwrap();
        assert!(
            target.starts_with(
                "the target fell behind: the target's CPU kept 1 core 97 % busy (routing p99 800 ms)"
            ),
            "{target}"
        );
        assert!(
            target.contains("while the generator's CPU kept 1 core 45 % busy"),
            "{target}"
        );
        let both = behind(&lag, &c, None, cpu(&full, &full)).unwrap();
        assert!(
            both.starts_with("both sides fell behind: the generator's CPU kept 1 core 97 % busy and the target's CPU kept"),
            "{both}"
        );
        let generator = behind(&lag, &c, None, cpu(&full, &idle_target)).unwrap();
        assert!(
            generator.starts_with("the load generator fell behind its schedule: "),
            "{generator}"
        );
        // Routing that names the target shows the target's CPU beside it.
        let slow = behind(&p99s(150.0, 5000.0), &c, None, cpu(&spare, &idle_target)).unwrap();
        assert!(
            slow.starts_with(
                "the target fell behind: routing p99 5000 ms (the target's CPU kept 2 cores 15 % busy)"
            ),
            "{slow}"
        );
        let neither = behind(&lag, &c, None, cpu(&spare, &idle_target)).unwrap();
        assert!(
            neither.contains("something else on this machine"),
            "{neither}"
        );
    }
}
