//! Virtual-time runs (`omnisim run --virtual`): the same scenario, the same reference engine and
//! the same simulated customers and agents as a live run, on a virtual clock in one thread — no
//! sockets, no sleeps, a day of traffic in seconds, the same seed giving the same summary. The
//! history checker watches from a second thread ([`observer`]), fed in the order things happened.
//!
//! A discrete-event loop ([`Sim`]) keeps one queue of wake-ups in time order (ties broken by
//! the order they were scheduled) and the engine's own timers. Customers ([`customer`]) and
//! agents ([`agent`]) are the shared state machines of [`crate::actors`]: they react to the
//! engine's events and schedule what they do next after their think, accept and reply times; a
//! request they make is applied to the engine at once and its outcome handed straight back.
//! Commands take effect at the virtual instant they are issued and their events reach every
//! party at once, so latencies here are the platform's own: queueing, push timeouts and people,
//! without a network.
//!
//! Faults that are about sockets (`customer_reconnect`, `agent_reconnect`) have nothing to act
//! on here and are ignored; provider retries are simulated.

mod agent;
mod customer;
mod observer;
mod progress;
mod replay;
mod wakes;

pub use replay::{KindTime, Recording, Step, StepKind};

use crate::live::labels::RunLabels;
use crate::live::setup::{LiveAgent, World};
use crate::measure::recorder::Labels;
use crate::measure::{Finished, Outcome, ProgressFn, Recorder};
use crate::scenario::{Scenario, specs};
use agent::SimAgent;
use customer::Customer;
use omnisim_protocol::*;
use omnisim_reference_server::engine::{Command, Engine, OrgCommand, Reply};
use omnisim_reference_server::fast_map::{FastMap, FastSet};
use omnisim_reference_server::faults::Faults;
use std::time::{Duration, SystemTime};

/// Why a virtual run could not start.
#[derive(Debug, thiserror::Error)]
pub enum VirtualError {
    #[error("setting up {what} on the engine: {error}")]
    Setup { what: String, error: ApiError },
    #[error("starting the history checker's thread: {0}")]
    Checker(std::io::Error),
}

/// What a virtual run keeps of each session it starts, to the end of the run, at the least and
/// at the most: a session is forgotten as it ends (R-SESS-10, a period of zero), but its
/// customer's user stays (R-SESS-10 keeps users), as do the ids of forgotten sessions and work
/// (read as expired, not absent, in bitmaps of a few bits each). Measured: 125 bytes a session
/// over a month of peak-hour, 160 for the benchmark's fifteen messages, 200 to 250 for the
/// quickstart (hash tables that just doubled included).
pub const BYTES_PER_SESSION: (f64, f64) = (128.0, 384.0);

/// Microseconds since the run's origin.
type Micros = u64;

fn micros(d: Duration) -> Micros {
    d.as_micros() as u64
}

/// Something a party scheduled for later.
#[derive(Clone, Copy, Debug)]
enum Wake {
    /// The next scheduled arrival.
    Arrival,
    /// The next org-triggered outbound conversation.
    Outbound(usize),
    /// A customer writes in again after its session ended.
    Comeback(usize),
    /// A customer finished thinking (stale when its journey moved on, or when its slot went
    /// to another customer: `epoch` tells the occupants apart).
    Think {
        customer: usize,
        epoch: u32,
        generation: u32,
    },
    /// A customer's patience ran out.
    Patience {
        customer: usize,
        epoch: u32,
        generation: u32,
    },
    /// A task an agent set itself.
    Agent {
        agent: usize,
        task: crate::actors::agent::Task,
    },
    /// Sample queue depth and occupancy, close the latency interval.
    Sample,
}

/// What customers and agents know about a session between them: when the customer meant to
/// ask for an agent, when it last wrote, and whether an offer since it asked was measured
/// (routing latency counts the first offer only).
#[derive(Clone, Copy, Debug)]
struct SessionNote {
    requested: Option<Micros>,
    last_message: Micros,
    routed: bool,
}

impl SessionNote {
    fn new(last_message: Micros) -> SessionNote {
        SessionNote {
            requested: None,
            last_message,
            routed: false,
        }
    }
}

/// The whole simulation.
pub(crate) struct Sim {
    engine: Engine,
    org: OrgId,
    world: World,
    scenario: Scenario,
    seed: u64,
    now: Micros,
    wakes: wakes::Wakes,
    /// Events the last commands produced, delivered once the party that caused them is done.
    pending: Vec<Event>,
    /// The batch of events being delivered: its buffer is swapped with `pending`'s so that
    /// neither is allocated again.
    delivering: Vec<Event>,
    /// The arrivals still to come, drawn as the run goes, and the next one.
    upcoming: crate::scenario::arrivals::Schedule,
    next_arrival: Option<crate::scenario::arrivals::Arrival>,
    /// When org-triggered outbound conversations start, and the draw of their recipients.
    outbound_at: Vec<Duration>,
    recipients: rand::rngs::SmallRng,
    /// Recipients seen to opt out, and recipients that have written in (their window is open).
    opted_out: FastSet<std::sync::Arc<str>>,
    wrote_in: FastSet<std::sync::Arc<str>>,
    /// Customers by slot. A customer that left for good frees its slot for the next one, so
    /// that the run holds the customers still around, not every customer it ever had.
    customers: Vec<Customer>,
    free_slots: Vec<usize>,
    /// What the customer being stepped queued, carried out in order; reused.
    acts: std::collections::VecDeque<crate::actors::customer::Act>,
    /// What the agent being stepped queued.
    agent_acts: std::collections::VecDeque<crate::actors::agent::Act<Labels>>,
    by_user: FastMap<UserId, usize>,
    agents: Vec<SimAgent>,
    by_agent: FastMap<AgentId, usize>,
    sessions: FastMap<SessionId, SessionNote>,
    recorder: Recorder,
    /// The labels of the channels' and queues' latencies.
    labels: RunLabels,
    /// The history checker, on a thread of its own.
    history: observer::Observer,
    /// Customers not done yet.
    open: usize,
    /// How often the platform is sampled and the latency interval closed.
    sample_every: Duration,
    /// Every step taken on the engine, when recording.
    recording: Option<Recording>,
    /// Where the run is, told to the terminal.
    progress: Option<progress::Reporter>,
}

/// A second for runs up to about a quarter of an hour, then longer so that a run has about a
/// thousand samples and intervals: a day is sampled every 86 s.
fn sample_every(duration: Duration) -> Duration {
    Duration::from_secs((duration.as_secs() / 1000).max(1))
}

fn engine_time(us: Micros) -> Timestamp {
    Timestamp(us / 1000)
}

impl Sim {
    /// Now, as the simulated parties count time.
    fn clock(&self) -> Duration {
        Duration::from_micros(self.now)
    }

    fn schedule(&mut self, at: Micros, wake: Wake) {
        self.wakes.push(at, wake);
    }

    fn after(&mut self, delay: Duration, wake: Wake) {
        self.schedule(self.now + micros(delay), wake);
    }

    /// Applies a command now; its events are delivered after the caller is done.
    fn command(&mut self, command: Command) -> Result<Reply, ApiError> {
        if let Some(r) = self.recording.as_mut() {
            r.steps
                .push(Step::Command(engine_time(self.now), command.clone()));
        }
        self.engine
            .apply_into(engine_time(self.now), command, &mut self.pending)
    }

    fn org_command(&mut self, command: OrgCommand) -> Result<Reply, ApiError> {
        self.command(Command::Org {
            org: self.org,
            command,
        })
    }

    /// Delivers pending events to the customers and agents they are for, in the order they were
    /// produced: the events a delivery causes queue behind the rest of its batch.
    fn deliver(&mut self) {
        let mut batch = std::mem::take(&mut self.delivering);
        while !self.pending.is_empty() {
            std::mem::swap(&mut self.pending, &mut batch);
            for event in batch.drain(..) {
                self.deliver_one(&event);
            }
        }
        self.delivering = batch;
    }

    /// Hands `event` to the customer and the agent it is for, when the simulation plays them.
    /// The org's and channels' streams have no reader here.
    fn deliver_one(&mut self, event: &Event) {
        let (user, agent) = event.parties();
        if let Some(&c) = user.and_then(|user| self.by_user.get(&user)) {
            self.customer_event(c, event);
        }
        if let Some(&a) = agent.and_then(|agent| self.by_agent.get(&agent)) {
            self.agent_event(a, event);
        }
    }

    /// Queue depth and occupancy now, and the latency interval closed.
    fn sample(&mut self) {
        let load = self.engine.load(self.org).unwrap_or_default();
        let sample = self.recorder.sample(Duration::from_micros(self.now), load);
        if let Some(p) = &mut self.progress {
            p.sampled(&self.recorder, &sample);
        }
    }

    fn wake(&mut self, wake: Wake) {
        match wake {
            Wake::Arrival => self.arrive(),
            Wake::Outbound(i) => self.outbound(i),
            Wake::Comeback(c) => self.come_back(c),
            Wake::Think {
                customer,
                epoch,
                generation,
            }
            | Wake::Patience {
                customer,
                epoch,
                generation,
            } => self.customer_wake(customer, epoch, generation),
            Wake::Agent { agent, task } => self.agent_task(agent, task),
            Wake::Sample => {
                self.sample();
                self.after(self.sample_every, Wake::Sample);
            }
        }
    }
}

/// Creates the scenario's org and resources on `engine`.
fn setup(engine: &mut Engine, s: &Scenario) -> Result<(OrgId, World), VirtualError> {
    let fail = |what: String| move |error| VirtualError::Setup { what, error };
    let now = Timestamp(0);
    let token = "virtual-org-token-0000".to_owned();
    let created = engine
        .apply(
            now,
            Command::CreateOrg {
                name: s.name.clone(),
                token: token.clone(),
            },
        )
        .map_err(fail("the org".into()))?;
    let Reply::OrgCreated(org) = created.reply else {
        unreachable!("CreateOrg replies OrgCreated");
    };
    let org = org.org;
    let mut apply = |what: String, command: OrgCommand| {
        engine
            .apply(now, Command::Org { org, command })
            .map(|a| a.reply)
            .map_err(fail(what))
    };
    let mut ids = crate::scenario::flows::Ids::default();
    for q in &s.queues {
        if let Reply::Queue(c) = apply(
            format!("queue '{}'", q.name),
            OrgCommand::CreateQueue(specs::queue(q)),
        )? {
            ids.queues.insert(q.name.clone(), c.id);
        }
    }
    let mut agents = Vec::new();
    for (group, g) in s.agents.iter().enumerate() {
        for i in 0..g.count {
            let token = format!("virtual-agent-token-{group}-{i:08}");
            let spec = specs::agent(g, i);
            if let Reply::AgentCreated(c) = apply(
                format!("agent '{}'", spec.name),
                OrgCommand::CreateAgent {
                    spec: spec.clone(),
                    token: token.clone(),
                },
            )? {
                ids.agents.insert(spec.name, c.agent.id);
                agents.push(LiveAgent {
                    id: c.agent.id,
                    token,
                    group,
                });
            }
        }
    }
    // As a live run does: flows first naming queues only, their rules once the rest exists.
    let unbuilt = |name: &str| VirtualError::Setup {
        what: format!("flow '{name}'"),
        error: ApiError::new(ErrorCode::InvalidInput, "it names something not created"),
    };
    let mut flows = std::collections::BTreeMap::new();
    for f in &s.flows {
        let spec = f.provisional(&ids).ok_or_else(|| unbuilt(&f.name))?;
        if let Reply::Flow(created) =
            apply(format!("flow '{}'", f.name), OrgCommand::CreateFlow(spec))?
        {
            flows.insert(f.name.clone(), created.id);
        }
    }
    for b in &s.bots {
        if let Reply::Bot(c) = apply(
            format!("bot '{}'", b.name),
            OrgCommand::CreateBot(specs::bot(b, &ids.queues, &flows)),
        )? {
            ids.bots.insert(b.name.clone(), c.id);
        }
    }
    let mut channels = Vec::new();
    for c in &s.channels {
        let (entry, pending) =
            crate::live::setup::channel_entry(s, c, &ids, &flows).map_err(|m| {
                VirtualError::Setup {
                    what: format!("channel '{}'", c.name),
                    error: ApiError::new(ErrorCode::InvalidInput, m),
                }
            })?;
        if let Reply::Channel(created) = apply(
            format!("channel '{}'", c.name),
            OrgCommand::CreateChannel(specs::channel(c, entry)),
        )? {
            ids.channels.insert(c.name.clone(), created.id);
            channels.push(pending.created(created.id));
        }
    }
    for f in &s.flows {
        let spec = f.spec(&ids).ok_or_else(|| unbuilt(&f.name))?;
        apply(
            format!("flow '{}'", f.name),
            OrgCommand::UpdateFlow(flows[&f.name], spec),
        )?;
    }
    if let Some(out) = &s.outbound {
        let channel = channels
            .iter()
            .find(|c| c.name == out.channel)
            .map(|c| c.id)
            .ok_or_else(|| VirtualError::Setup {
                what: format!("outbound channel '{}'", out.channel),
                error: ApiError::new(ErrorCode::InvalidInput, "no such channel"),
            })?;
        for i in 0..out.recipients {
            let req = ConsentRequest {
                address: specs::recipient(i),
                consent: Consent::ExplicitlyOptedIn,
            };
            apply(
                "recording consent".into(),
                OrgCommand::SetConsent(channel, req),
            )?;
        }
    }
    Ok((
        org,
        World {
            org,
            token,
            queues: ids.queues,
            flows,
            channels,
            agents,
        },
    ))
}

/// Sets `scenario` up on `engine` (fresh) and runs it to the end of its drain, or until every
/// customer is done after the last arrival. Returns the simulation and the end of arrivals. With
/// `record`, the simulation keeps every step it takes on the engine; with `progress`, it tells it
/// where the run is at most once per the wall time given.
fn simulate(
    mut engine: Engine,
    scenario: Scenario,
    seed: Option<u64>,
    duration: Option<Duration>,
    record: bool,
    progress: Option<(ProgressFn, Duration)>,
) -> Result<(Sim, Micros), VirtualError> {
    let seed = seed.unwrap_or(scenario.seed);
    let duration = duration.unwrap_or(scenario.duration.0);
    let (org, world) = setup(&mut engine, &scenario)?;
    let mut recorder = Recorder::default();
    let labels = RunLabels::new(&world, &mut recorder);
    let recording = record.then(|| Recording::new(engine.clone()));
    let mut schedule = crate::scenario::arrivals::Schedule::new(&scenario, duration, seed);
    let next_arrival = schedule.next();
    let outbound_at = scenario.outbound.as_ref().map_or_else(Vec::new, |o| {
        crate::scenario::arrivals::poisson(o.rate.0, duration, seed ^ 0x07b0)
    });
    let mut sim = Sim {
        engine,
        org,
        agents: Vec::new(),
        by_agent: FastMap::default(),
        world,
        seed,
        now: 0,
        wakes: wakes::Wakes::default(),
        pending: Vec::new(),
        delivering: Vec::new(),
        customers: Vec::new(),
        free_slots: Vec::new(),
        acts: Default::default(),
        agent_acts: Default::default(),
        by_user: FastMap::default(),
        sessions: FastMap::default(),
        recorder,
        labels,
        history: observer::Observer::start().map_err(VirtualError::Checker)?,
        open: 0,
        outbound_at,
        recipients: rand::SeedableRng::seed_from_u64(seed ^ 0x5eed),
        opted_out: FastSet::default(),
        wrote_in: FastSet::default(),
        sample_every: sample_every(duration),
        recording,
        progress: progress.map(|(p, every)| progress::Reporter::new(p, every, duration)),
        upcoming: schedule,
        next_arrival,
        scenario,
    };
    sim.recorder.periods = sim.scenario.arrivals.periods(duration);
    sim.start_agents();
    sim.deliver();
    if let Some(first) = sim.next_arrival {
        sim.recorder.counts.arrivals_scheduled += 1;
        sim.schedule(micros(first.at), Wake::Arrival);
    }
    if let Some(first) = sim.outbound_at.first() {
        let at = micros(*first);
        sim.schedule(at, Wake::Outbound(0));
    }
    sim.after(sim.sample_every, Wake::Sample);
    let end_of_arrivals = micros(duration);
    let drain_end = end_of_arrivals + micros(sim.scenario.drain.0);
    loop {
        let next_wake = sim.wakes.next_at();
        let next_timer = sim.engine.next_deadline().map(|t| t.0 * 1000);
        let (at, timer) = match (next_wake, next_timer) {
            (Some(w), Some(t)) if t <= w => (t, true),
            (Some(w), _) => (w, false),
            (None, Some(t)) => (t, true),
            (None, None) => break,
        };
        let arrivals_done = sim.next_arrival.is_none();
        if at > drain_end || (at > end_of_arrivals && arrivals_done && sim.open == 0) {
            break;
        }
        sim.now = at;
        if timer {
            if let Some(r) = sim.recording.as_mut() {
                r.steps.push(Step::Timers(engine_time(at)));
            }
            sim.engine
                .fire_timers_into(engine_time(at), &mut sim.pending);
        } else if let Some(wake) = sim.wakes.pop() {
            sim.wake(wake);
        }
        sim.deliver();
    }
    Ok((sim, end_of_arrivals))
}

/// The engine a virtual run starts from, with `faults` switched on (none but in tests). Nothing
/// reads a virtual run's sessions back: each is forgotten as it ends (R-SESS-10), so that a
/// run's memory follows the sessions in flight, not every session it started.
fn engine(faults: Faults) -> Engine {
    Engine::with_faults(faults).with_retention(omnisim_protocol::Millis(0))
}

/// The scenario's faults a virtual run leaves out: reconnects act on sockets, and virtual time
/// has none. Provider retries are simulated.
pub fn unsimulated_faults(scenario: &Scenario) -> Vec<&'static str> {
    let f = &scenario.faults;
    [
        ("customer_reconnect", f.customer_reconnect),
        ("agent_reconnect", f.agent_reconnect),
    ]
    .into_iter()
    .filter(|(_, p)| *p > 0.0)
    .map(|(name, _)| name)
    .collect()
}

/// Runs `scenario` in virtual time.
pub fn run(
    scenario: Scenario,
    seed: Option<u64>,
    duration: Option<Duration>,
) -> Result<Outcome, VirtualError> {
    run_with(scenario, seed, duration, None)
}

/// [`run`], telling `progress` where the run is about once a second of wall time.
pub fn run_reporting(
    scenario: Scenario,
    seed: Option<u64>,
    duration: Option<Duration>,
    progress: ProgressFn,
) -> Result<Outcome, VirtualError> {
    run_with(scenario, seed, duration, Some((progress, progress::EVERY)))
}

fn run_with(
    scenario: Scenario,
    seed: Option<u64>,
    duration: Option<Duration>,
    progress: Option<(ProgressFn, Duration)>,
) -> Result<Outcome, VirtualError> {
    let (mut sim, end_of_arrivals) = simulate(
        engine(Faults::NONE),
        scenario,
        seed,
        duration,
        false,
        progress,
    )?;
    let history = sim.history.finish();
    let elapsed = Duration::from_micros(sim.now.max(end_of_arrivals));
    sim.recorder.close_interval(elapsed);
    let finished = Finished {
        scenario: &sim.scenario,
        seed: sim.seed,
        target: "virtual",
        elapsed_s: elapsed.as_secs_f64(),
        // Virtual time has no wall clock: the log starts at the epoch, so that the same seed
        // writes the same bytes.
        wall_origin: SystemTime::UNIX_EPOCH,
        recorder: &sim.recorder,
        history: &history,
    };
    let outcome = Outcome::conclude(finished, None);
    // Freeing a run's state took a sixth of a 30,000-session run when every transcript was kept.
    // Another thread frees it while the caller writes the reports; a one-off run's process exits
    // without waiting for it.
    std::thread::spawn(move || drop((sim, history)));
    Ok(outcome)
}

/// Runs `scenario` in virtual time and returns the steps it took on the engine, to replay them
/// on the engine alone ([`Recording::replay`]).
pub fn record(
    scenario: Scenario,
    seed: Option<u64>,
    duration: Option<Duration>,
) -> Result<Recording, VirtualError> {
    let (mut sim, _) = simulate(engine(Faults::NONE), scenario, seed, duration, true, None)?;
    let mut recording = sim
        .recording
        .take()
        .expect("simulate records when asked to");
    recording.sessions = sim.recorder.counts.sessions_started;
    // Freed here, not beside what the caller times next.
    drop(sim);
    Ok(recording)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A customer who left for good frees its slot for the next arrival, and the schedule is
    /// drawn as the run goes: a run holds the customers still around, not every one it had.
    #[test]
    fn customers_who_left_free_their_slots_for_later_arrivals() {
        let text = std::fs::read_to_string("scenarios/quickstart.toml").unwrap();
        let scenario = Scenario::parse(&text, "quickstart.toml").unwrap();
        let (sim, _) = simulate(
            engine(Faults::NONE),
            scenario,
            None,
            Some(Duration::from_secs(300)),
            false,
            None,
        )
        .unwrap();
        let c = &sim.recorder.counts;
        assert!(c.arrivals_started > 200, "{}", c.arrivals_started);
        assert_eq!(c.arrivals_scheduled, c.arrivals_started);
        assert!(
            sim.customers.len() * 5 < c.arrivals_started as usize,
            "{} slots for {} customers",
            sim.customers.len(),
            c.arrivals_started
        );
        assert!(sim.next_arrival.is_none());
    }

    /// The checker runs on a thread of its own, fed what customers and agents saw: a platform
    /// that skips seqs (R-SESS-2) is caught by its customers, one that fills agents over their
    /// capacity (R-ROUTE-2) by its agents, each breach named by its party's address or id; the
    /// faithful engine breaks nothing.
    #[test]
    fn the_checker_on_its_thread_sees_what_every_party_saw() {
        use omnisim_reference_server::faults::Fault;
        let text = std::fs::read_to_string("scenarios/quickstart.toml").unwrap();
        // Ten times the quickstart's arrivals: its four agents full most of the time.
        let busy = text.replace("rate = \"2/s\"", "rate = \"20/s\"");
        assert_ne!(busy, text);
        let scenario = Scenario::parse(&busy, "quickstart.toml").unwrap();
        let breaches = |fault: Option<Fault>| {
            let faults = fault.map_or(Faults::NONE, |f| Faults::NONE.with(f));
            let two_minutes = Some(Duration::from_secs(120));
            let run = simulate(
                engine(faults),
                scenario.clone(),
                None,
                two_minutes,
                false,
                None,
            );
            run.unwrap().0.history.finish().violations().to_vec()
        };
        // Breaches of `rule`, and how many of them name a party whose name starts with `party`.
        let named = |found: &[crate::checker::Violation], rule: &str, party: &str| {
            let of_rule = found.iter().filter(|v| v.rule == rule);
            let by = of_rule.clone().filter(|v| v.evidence.starts_with(party));
            (of_rule.count(), by.count())
        };
        assert_eq!(breaches(None), []);
        let found = breaches(Some(Fault::SeqGap));
        let (gaps, by_customers) = named(&found, "R-SESS-2", "customer-");
        assert!(gaps > 10 && by_customers == gaps, "{found:?}");
        let found = breaches(Some(Fault::CapacityOffByOne));
        let (over, by_agents) = named(&found, "R-ROUTE-2", "agent:");
        assert!(over > 10 && by_agents == over, "{found:?}");
    }
}
