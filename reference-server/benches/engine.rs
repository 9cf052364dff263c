//! Engine benchmarks: inbound ingest throughput, and the cost of one routing decision as the
//! waiting backlog and the number of online agents grow, with plain queue routing and with a
//! routing flow that sets secondary priorities from pre-chat fields.
//!
//! `cargo bench -p omnisim-reference-server --bench engine`

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use omnisim_protocol::*;
use omnisim_reference_server::{Applied, Command, Engine, OrgCommand, Reply};
use std::hint::black_box;
use std::time::Instant;

/// The allocator the `omnisim` binary runs with, so that the engine is measured as it ships.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// An engine with one org, one queue-entry web channel and a clock.
struct Bench {
    engine: Engine,
    org: OrgId,
    channel: ChannelId,
    queue: QueueId,
    now: Timestamp,
    counter: u64,
    /// Customers fill in a tier (gold, silver or none) for the channel's flow.
    tiers: bool,
}

impl Bench {
    fn new() -> Bench {
        let mut engine = Engine::new();
        let Ok(Applied {
            reply: Reply::OrgCreated(org),
            ..
        }) = engine.apply(
            Timestamp(0),
            Command::CreateOrg {
                name: "bench".into(),
                token: "bench-token-000000".into(),
            },
        )
        else {
            panic!("org")
        };
        let mut b = Bench {
            engine,
            org: org.org,
            channel: ChannelId(0),
            queue: QueueId(0),
            now: Timestamp(1),
            counter: 0,
            tiers: false,
        };
        let Reply::Queue(q) = b.org_cmd(OrgCommand::CreateQueue(QueueSpec {
            name: "support".into(),
            priority: 1,
            routing_model: RoutingModel::LeastActive,
            push_timeout_ms: Millis::from_hours(1),
            capacity_weight: 1,
            required_skills: vec![],
            additional_skills: vec![],
            drop_additional_skills_after_ms: None,
            push_timeout_presence: None,
        })) else {
            panic!("queue")
        };
        b.queue = q.id;
        let Reply::Channel(ch) = b.org_cmd(OrgCommand::CreateChannel(ChannelSpec {
            name: "web".into(),
            kind: ChannelKind::Web,
            platform: Platform::Standard,
            consent_level: ConsentLevel::Implicit,
            entry: Entry::Queue(q.id),
            service_window_ms: None,
            inactivity_timeout_ms: None,
            inactive_ttl_ms: None,
        })) else {
            panic!("channel")
        };
        b.channel = ch.id;
        b
    }

    /// The same, its channel entering a flow of three rules: gold customers first (secondary
    /// priority 0), then silver (5), then the rest (none), all in the one queue; a time-of-day
    /// rule that never holds is tried before them.
    fn with_flow() -> Bench {
        let mut b = Bench::new();
        let target = |secondary| FlowTarget::Queue {
            queue: b.queue,
            priority: None,
            secondary_priority: secondary,
            skills: vec![],
        };
        let tier = |name: &str, value: &str, secondary| FlowRule {
            name: name.into(),
            conditions: vec![Condition::FieldIn {
                field: "tier".into(),
                values: vec![value.into()],
            }],
            target: target(secondary),
        };
        let never = FlowRule {
            name: "never".into(),
            conditions: vec![Condition::TimeOfDay {
                from_ms: 86_000_000,
                to_ms: 86_000_001,
            }],
            target: target(None),
        };
        let spec = FlowSpec {
            name: "tiers".into(),
            rules: vec![
                never,
                tier("gold", "gold", Some(0)),
                tier("silver", "silver", Some(5)),
            ],
            default: target(None),
            fallback_queue: b.queue,
        };
        let Reply::Flow(flow) = b.org_cmd(OrgCommand::CreateFlow(spec)) else {
            panic!("flow")
        };
        let Reply::Channel(ch) = b.org_cmd(OrgCommand::UpdateChannel(
            b.channel,
            ChannelUpdate {
                entry: Some(Entry::Flow(flow.id)),
                ..ChannelUpdate::default()
            },
        )) else {
            panic!("channel")
        };
        b.channel = ch.id;
        b.tiers = true;
        b
    }

    fn apply(&mut self, command: Command) -> Applied {
        self.now = Timestamp(self.now.0 + 1);
        self.engine
            .apply(self.now, command)
            .expect("bench command applies")
    }

    fn org_cmd(&mut self, command: OrgCommand) -> Reply {
        let org = self.org;
        self.apply(Command::Org { org, command }).reply
    }

    fn inbound(&mut self, address: &str) -> Applied {
        self.counter += 1;
        let req = InboundRequest {
            address: address.into(),
            provider_message_id: format!("pm-{}", self.counter).into(),
            content: InboundContent::Text {
                text: "Hello, I need help with my order".into(),
            },
            fields: self.tiers.then(|| {
                let tier = ["gold", "silver", "none"][(self.counter % 3) as usize];
                [("tier".to_owned(), tier.to_owned())].into()
            }),
        };
        let org = self.org;
        self.apply(Command::Org {
            org,
            command: OrgCommand::Inbound(self.channel, req),
        })
    }

    fn online_agent(&mut self, capacity: u32) -> AgentId {
        self.counter += 1;
        let spec = AgentSpec {
            name: format!("agent-{}", self.counter),
            capacity,
            skills: Default::default(),
        };
        let token = format!("agent-token-{:08}", self.counter);
        let Reply::AgentCreated(c) = self.org_cmd(OrgCommand::CreateAgent { spec, token }) else {
            panic!("agent")
        };
        self.apply(Command::Agent {
            agent: c.agent.id,
            request: AgentRequest::SetPresence {
                presence: Presence::Online,
            },
        });
        c.agent.id
    }
}

fn offered(events: &[Event]) -> Option<(WorkId, SessionId, AgentId)> {
    events.iter().find_map(|e| match e {
        Event::WorkOffered(o) => Some((o.work.id, o.work.session, o.work.agent)),
        _ => None,
    })
}

/// Inbound messages appended to 10,000 open sessions: the hot path of a messaging platform. Each
/// sample starts from a fresh engine, so it measures ingest rather than the growth of one engine
/// across the whole run; requests are built before the clock starts.
fn ingest(c: &mut Criterion) {
    const USERS: usize = 10_000;
    let addresses: Vec<String> = (0..USERS).map(|u| format!("+1555{u:07}")).collect();
    let mut group = c.benchmark_group("ingest");
    group.throughput(Throughput::Elements(1));
    group.bench_function("inbound_text_to_open_session", |bench| {
        bench.iter_custom(|iters| {
            let mut b = Bench::new();
            for a in &addresses {
                b.inbound(a);
            }
            let (org, channel) = (b.org, b.channel);
            let commands: Vec<Command> = (0..iters)
                .map(|i| Command::Org {
                    org,
                    command: OrgCommand::Inbound(
                        channel,
                        InboundRequest {
                            address: addresses[i as usize % USERS].as_str().into(),
                            provider_message_id: format!("bench-{i}").into(),
                            content: InboundContent::Text {
                                text: "Any update on this?".into(),
                            },
                            fields: None,
                        },
                    ),
                })
                .collect();
            let mut now = b.now;
            let start = Instant::now();
            for command in commands {
                now = Timestamp(now.0 + 1);
                black_box(b.engine.apply(now, command).expect("applies"));
            }
            start.elapsed()
        })
    });
    group.finish();
}

/// 1,000 busy online agents (capacity 1, each holding an accepted session) and `backlog` sessions
/// waiting, on `b`.
fn busy_agents_with_backlog(mut b: Bench, backlog: usize) -> (Bench, Vec<AgentId>, Vec<SessionId>) {
    let agents: Vec<AgentId> = (0..1_000).map(|_| b.online_agent(1)).collect();
    let mut held = Vec::with_capacity(agents.len());
    for (i, agent) in agents.iter().enumerate() {
        let applied = b.inbound(&format!("held-{i}"));
        let (work, session, _) = offered(&applied.events).expect("free agent offered");
        b.apply(Command::Agent {
            agent: *agent,
            request: AgentRequest::Accept { work },
        });
        held.push(session);
    }
    for i in 0..backlog {
        b.inbound(&format!("waiting-{i}"));
    }
    (b, agents, held)
}

/// One cycle: an arrival joins the backlog, an agent ends its session (freeing capacity, which
/// routes the oldest waiting session to it) and accepts the offer. Three commands, one routing
/// decision over the backlog and one over the agents; the cost must stay flat as the backlog grows.
fn routing_backlog(c: &mut Criterion) {
    backlog_group(c, "routing_backlog", Bench::new);
    backlog_group(c, "routing_backlog_flow", Bench::with_flow);
}

fn backlog_group(c: &mut Criterion, name: &str, setup: fn() -> Bench) {
    let mut group = c.benchmark_group(name);
    for backlog in [1_000usize, 10_000, 100_000] {
        group.bench_with_input(
            BenchmarkId::from_parameter(backlog),
            &backlog,
            |bench, &backlog| {
                bench.iter_custom(|iters| {
                    let (mut b, agents, mut held) = busy_agents_with_backlog(setup(), backlog);
                    let addresses: Vec<String> =
                        (0..iters).map(|i| format!("arrival-{i}")).collect();
                    let start = Instant::now();
                    for (n, address) in addresses.iter().enumerate() {
                        let i = n % agents.len();
                        let agent = agents[i];
                        b.inbound(address);
                        let ended = b.apply(Command::Agent {
                            agent,
                            request: AgentRequest::End { session: held[i] },
                        });
                        let (work, session, _) =
                            offered(&ended.events).expect("freed capacity routed");
                        b.apply(Command::Agent {
                            agent,
                            request: AgentRequest::Accept { work },
                        });
                        held[i] = session;
                    }
                    start.elapsed()
                })
            },
        );
    }
    group.finish();
}

/// Arrivals routed at once to the best of N online agents with free capacity (least_active), then
/// accepted and ended: three commands; the cost must stay flat as N grows.
fn routing_agents(c: &mut Criterion) {
    let mut group = c.benchmark_group("routing_free_agents");
    for agents in [10usize, 100, 1_000] {
        group.bench_with_input(
            BenchmarkId::from_parameter(agents),
            &agents,
            |bench, &agents| {
                bench.iter_custom(|iters| {
                    let mut b = Bench::new();
                    for _ in 0..agents {
                        b.online_agent(4);
                    }
                    let addresses: Vec<String> =
                        (0..iters).map(|i| format!("arrival-{i}")).collect();
                    let start = Instant::now();
                    for address in &addresses {
                        let applied = b.inbound(address);
                        let (work, session, agent) =
                            offered(&applied.events).expect("routed at once");
                        b.apply(Command::Agent {
                            agent,
                            request: AgentRequest::Accept { work },
                        });
                        b.apply(Command::Agent {
                            agent,
                            request: AgentRequest::End { session },
                        });
                    }
                    start.elapsed()
                })
            },
        );
    }
    group.finish();
}

criterion_group!(benches, ingest, routing_backlog, routing_agents);
criterion_main!(benches);
