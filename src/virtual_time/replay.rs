//! The engine's share of a virtual run: the steps a run took on the engine, recorded so that
//! they can be applied again to the engine alone, without the simulated parties, the checker or
//! the measurements. `cargo bench --bench engine_replay` times both.

use omnisim_protocol::Timestamp;
use omnisim_reference_server::engine::{Command, Engine};

/// One step a run took on the engine.
pub enum Step {
    /// A command, at its time.
    Command(Timestamp, Command),
    /// The engine's due timers fired.
    Timers(Timestamp),
}

/// The engine as a run set it up, and every step the run then took on it, in order.
pub struct Recording {
    /// The engine once the run set the scenario up, before its first arrival.
    pub engine: Engine,
    /// What the run then did on it, in order.
    pub steps: Vec<Step>,
    /// Sessions the run started.
    pub sessions: u64,
}

impl Recording {
    pub(super) fn new(engine: Engine) -> Recording {
        Recording {
            engine,
            steps: Vec::new(),
            sessions: 0,
        }
    }

    /// Applies every step again to the engine as it was set up, and returns the engine. The
    /// engine is deterministic, so it ends as the run's did.
    pub fn replay(self) -> Engine {
        let mut engine = self.engine;
        let mut events = Vec::new();
        for step in self.steps {
            events.clear();
            match step {
                Step::Command(at, command) => {
                    // Refusals are replayed as they happened.
                    let _ = engine.apply_into(at, command, &mut events);
                }
                Step::Timers(at) => engine.fire_timers_into(at, &mut events),
            }
        }
        engine
    }
}

#[cfg(test)]
mod tests {
    use crate::scenario::Scenario;
    use std::time::Duration;

    #[test]
    fn replaying_a_run_leaves_the_engine_as_the_run_left_it() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/scenarios/quickstart.toml");
        let scenario = Scenario::load(std::path::Path::new(path)).expect("the quickstart scenario");
        let duration = Duration::from_secs(60);
        let (mut sim, _) =
            super::super::simulate(scenario, Some(7), Some(duration), true).expect("a run");
        let recording = sim.recording.take().expect("recorded");
        assert!(
            recording.steps.len() > 100,
            "{} steps",
            recording.steps.len()
        );
        assert!(recording.engine != sim.engine, "the run changed the engine");
        assert!(recording.replay() == sim.engine);
    }
}
