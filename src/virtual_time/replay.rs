//! The engine's share of a virtual run: the steps a run took on the engine, recorded so that
//! they can be applied again to the engine alone, without the simulated parties, the checker or
//! the measurements. `cargo bench --bench engine_replay` times both.

use omnisim_protocol::{AgentRequest, InboundContent, Timestamp};
use omnisim_reference_server::engine::{Command, Engine, OrgCommand};
use std::time::{Duration, Instant};

/// One step a run took on the engine.
#[derive(Clone)]
pub enum Step {
    /// A command, at its time.
    Command(Timestamp, Command),
    /// The engine's due timers fired.
    Timers(Timestamp),
}

impl Step {
    /// What the step does, as the per-kind table of [`Recording::replay_timed`] names it.
    pub fn kind(&self) -> &'static str {
        match self {
            Step::Timers(_) => "timers",
            Step::Command(_, Command::CreateOrg { .. }) => "setup",
            Step::Command(_, Command::Org { command, .. }) => match command {
                OrgCommand::Inbound(_, req) => match req.content {
                    InboundContent::Text { .. } => "inbound text",
                    InboundContent::ComponentResponse { .. } => "inbound answer",
                    InboundContent::End => "inbound end",
                },
                OrgCommand::TriggeredOutbound(..) => "triggered outbound",
                OrgCommand::SetConsent(..) => "consent",
                _ => "setup",
            },
            Step::Command(_, Command::Agent { request, .. }) => match request {
                AgentRequest::SetPresence { .. } => "agent presence",
                AgentRequest::Accept { .. } => "agent accept",
                AgentRequest::Decline { .. } => "agent decline",
                AgentRequest::Send { .. } => "agent send",
                AgentRequest::StartOutbound { .. } => "agent outbound",
                AgentRequest::Transfer { .. } => "agent transfer",
                AgentRequest::MarkInactive { .. } => "agent inactive",
                AgentRequest::End { .. } => "agent end",
            },
        }
    }
}

/// How many steps of one kind a replay applied, and the time they took.
#[derive(Clone, Debug, PartialEq)]
pub struct KindTime {
    pub kind: &'static str,
    pub steps: u64,
    pub time: Duration,
}

/// The engine as a run set it up, and every step the run then took on it, in order.
#[derive(Clone)]
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
            apply(&mut engine, step, &mut events);
        }
        engine
    }

    /// [`Recording::replay`], timing every step, with the time taken by each kind of step, in
    /// the order kinds first came up. Reading the clock around every step adds its own cost, so
    /// the total is for comparing kinds, not for the engine's speed.
    pub fn replay_timed(self) -> (Engine, Vec<KindTime>) {
        let mut engine = self.engine;
        let mut events = Vec::new();
        let mut kinds: Vec<KindTime> = Vec::new();
        for step in self.steps {
            let kind = step.kind();
            let start = Instant::now();
            apply(&mut engine, step, &mut events);
            let time = start.elapsed();
            match kinds.iter_mut().find(|k| k.kind == kind) {
                Some(k) => {
                    k.steps += 1;
                    k.time += time;
                }
                None => kinds.push(KindTime {
                    kind,
                    steps: 1,
                    time,
                }),
            }
        }
        (engine, kinds)
    }
}

fn apply(engine: &mut Engine, step: Step, events: &mut Vec<omnisim_protocol::Event>) {
    events.clear();
    match step {
        Step::Command(at, command) => {
            // Refusals are replayed as they happened.
            let _ = engine.apply_into(at, command, events);
        }
        Step::Timers(at) => engine.fire_timers_into(at, events),
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
        let kinds: Vec<&str> = recording.steps.iter().map(|s| s.kind()).collect();
        assert!(recording.clone().replay() == sim.engine);
        let (engine, timed) = recording.replay_timed();
        assert!(engine == sim.engine);
        let total: u64 = timed.iter().map(|k| k.steps).sum();
        assert_eq!(total, kinds.len() as u64);
        for k in &timed {
            let n = kinds.iter().filter(|&&kind| kind == k.kind).count();
            assert_eq!(k.steps, n as u64, "{}", k.kind);
        }
        for kind in [
            "inbound text",
            "inbound answer",
            "agent accept",
            "agent send",
        ] {
            assert!(timed.iter().any(|k| k.kind == kind), "no {kind} step");
        }
    }
}
