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

/// What a step does, for the engine's time by kind of step ([`Recording::replay_timed`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StepKind {
    /// An org, channel, queue, bot or agent created or changed.
    Setup,
    /// A recipient's consent recorded.
    Consent,
    /// A customer's text, through the provider webhook.
    InboundText,
    /// A customer's answer to a component (the bot's question).
    InboundAnswer,
    /// A customer ending its session.
    InboundEnd,
    /// An org-triggered template.
    TriggeredOutbound,
    /// An agent going online or offline.
    AgentPresence,
    /// An agent accepting an offer.
    AgentAccept,
    /// An agent declining an offer.
    AgentDecline,
    /// An agent's message.
    AgentSend,
    /// An agent messaging a user first.
    AgentOutbound,
    /// An agent transferring a session.
    AgentTransfer,
    /// An agent marking a session inactive.
    AgentInactive,
    /// An agent ending a session.
    AgentEnd,
    /// The engine's due timers firing.
    Timers,
}

impl StepKind {
    /// How a table of steps names it.
    pub fn name(self) -> &'static str {
        match self {
            StepKind::Setup => "setup",
            StepKind::Consent => "consent",
            StepKind::InboundText => "inbound text",
            StepKind::InboundAnswer => "inbound answer",
            StepKind::InboundEnd => "inbound end",
            StepKind::TriggeredOutbound => "triggered outbound",
            StepKind::AgentPresence => "agent presence",
            StepKind::AgentAccept => "agent accept",
            StepKind::AgentDecline => "agent decline",
            StepKind::AgentSend => "agent send",
            StepKind::AgentOutbound => "agent outbound",
            StepKind::AgentTransfer => "agent transfer",
            StepKind::AgentInactive => "agent inactive",
            StepKind::AgentEnd => "agent end",
            StepKind::Timers => "timers",
        }
    }
}

impl Step {
    /// What the step does.
    pub fn kind(&self) -> StepKind {
        match self {
            Step::Timers(_) => StepKind::Timers,
            Step::Command(_, Command::CreateOrg { .. }) => StepKind::Setup,
            Step::Command(_, Command::Org { command, .. }) => match command {
                OrgCommand::Inbound(_, req) => match req.content {
                    InboundContent::Text { .. } => StepKind::InboundText,
                    InboundContent::ComponentResponse { .. } => StepKind::InboundAnswer,
                    InboundContent::End => StepKind::InboundEnd,
                },
                OrgCommand::TriggeredOutbound(..) => StepKind::TriggeredOutbound,
                OrgCommand::SetConsent(..) => StepKind::Consent,
                _ => StepKind::Setup,
            },
            Step::Command(_, Command::Agent { request, .. }) => match request {
                AgentRequest::SetPresence { .. } => StepKind::AgentPresence,
                AgentRequest::Accept { .. } => StepKind::AgentAccept,
                AgentRequest::Decline { .. } => StepKind::AgentDecline,
                AgentRequest::Send { .. } => StepKind::AgentSend,
                AgentRequest::StartOutbound { .. } => StepKind::AgentOutbound,
                AgentRequest::Transfer { .. } => StepKind::AgentTransfer,
                AgentRequest::MarkInactive { .. } => StepKind::AgentInactive,
                AgentRequest::End { .. } => StepKind::AgentEnd,
            },
        }
    }
}

/// How many steps of one kind a replay applied, and the time they took.
#[derive(Clone, Debug, PartialEq)]
pub struct KindTime {
    pub kind: StepKind,
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
    use super::StepKind;
    use crate::scenario::Scenario;
    use std::time::Duration;

    #[test]
    fn replaying_a_run_leaves_the_engine_as_the_run_left_it() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/scenarios/quickstart.toml");
        let scenario = Scenario::load(std::path::Path::new(path)).expect("the quickstart scenario");
        let duration = Duration::from_secs(60);
        let (mut sim, _) = super::super::simulate(
            super::super::engine(omnisim_reference_server::faults::Faults::NONE),
            scenario,
            Some(7),
            Some(duration),
            true,
            None,
        )
        .expect("a run");
        let recording = sim.recording.take().expect("recorded");
        assert!(
            recording.steps.len() > 100,
            "{} steps",
            recording.steps.len()
        );
        assert!(recording.engine != sim.engine, "the run changed the engine");
        let kinds: Vec<StepKind> = recording.steps.iter().map(|s| s.kind()).collect();
        assert!(recording.clone().replay() == sim.engine);
        let (engine, timed) = recording.replay_timed();
        assert!(engine == sim.engine);
        let total: u64 = timed.iter().map(|k| k.steps).sum();
        assert_eq!(total, kinds.len() as u64);
        for k in &timed {
            let n = kinds.iter().filter(|&&kind| kind == k.kind).count();
            assert_eq!(k.steps, n as u64, "{:?}", k.kind);
        }
        use StepKind::*;
        for kind in [InboundText, InboundAnswer, AgentAccept, AgentSend] {
            assert!(timed.iter().any(|k| k.kind == kind), "no {kind:?} step");
        }
    }
}
