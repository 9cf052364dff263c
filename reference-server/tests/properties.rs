//! Property tests: long random sequences of commands and timer firings, with the [H] rules and
//! "a rejected command changes nothing" checked after every step.

mod common;
use common::*;
use omnisim_protocol::*;
use omnisim_reference_server::{Command, OrgCommand};
use proptest::prelude::*;
use std::collections::HashMap;

const USERS: usize = 6;
const AGENTS: usize = 4;
/// Web, SMS through the bot, WhatsApp, and web through the flow.
const CHANNELS: usize = 4;

#[derive(Clone, Debug)]
enum Action {
    Advance(u64),
    Say {
        channel: usize,
        user: usize,
        text: &'static str,
    },
    Answer {
        channel: usize,
        user: usize,
        seq: u32,
        answer: &'static str,
    },
    RetryLastDelivery,
    CustomerEnd {
        channel: usize,
        user: usize,
    },
    Presence {
        agent: usize,
        presence: Presence,
    },
    Accept {
        agent: usize,
    },
    Decline {
        agent: usize,
    },
    Send {
        agent: usize,
        text: &'static str,
        template: bool,
        reuse_id: bool,
    },
    Transfer {
        agent: usize,
        to_bot: bool,
        queue: usize,
    },
    MarkInactive {
        agent: usize,
    },
    End {
        agent: usize,
    },
    Outbound {
        agent: usize,
        channel: usize,
        user: usize,
    },
    Consent {
        channel: usize,
        user: usize,
        consent: Consent,
    },
    Capacity {
        agent: usize,
        capacity: u32,
    },
}

fn action() -> impl Strategy<Value = Action> {
    let texts = prop::sample::select(vec![
        "hello", "1", "2", "3", "agent", "STOP", "start", "12345", "x",
    ]);
    let answers = prop::sample::select(vec!["faq", "billing", "tech", "nope"]);
    let presence = prop::sample::select(vec![
        Presence::Online,
        Presence::Online,
        Presence::Busy,
        Presence::Offline,
    ]);
    let consent = prop::sample::select(vec![
        Consent::ImplicitlyOptedIn,
        Consent::ExplicitlyOptedIn,
        Consent::DoublyOptedIn,
        Consent::OptedOut,
    ]);
    prop_oneof![
        4 => (0u64..90_000).prop_map(Action::Advance),
        8 => (0..CHANNELS, 0..USERS, texts.clone()).prop_map(|(channel, user, text)| Action::Say { channel, user, text }),
        2 => (0..CHANNELS, 0..USERS, 0u32..8, answers).prop_map(|(channel, user, seq, answer)| Action::Answer { channel, user, seq, answer }),
        1 => Just(Action::RetryLastDelivery),
        2 => (0..CHANNELS, 0..USERS).prop_map(|(channel, user)| Action::CustomerEnd { channel, user }),
        3 => (0..AGENTS, presence).prop_map(|(agent, presence)| Action::Presence { agent, presence }),
        6 => (0..AGENTS).prop_map(|agent| Action::Accept { agent }),
        2 => (0..AGENTS).prop_map(|agent| Action::Decline { agent }),
        5 => (0..AGENTS, texts, any::<bool>(), prop::bool::weighted(0.2)).prop_map(|(agent, text, template, reuse_id)| Action::Send { agent, text, template, reuse_id }),
        1 => (0..AGENTS, any::<bool>(), 0..3usize).prop_map(|(agent, to_bot, queue)| Action::Transfer { agent, to_bot, queue }),
        1 => (0..AGENTS).prop_map(|agent| Action::MarkInactive { agent }),
        3 => (0..AGENTS).prop_map(|agent| Action::End { agent }),
        1 => (0..AGENTS, 0..CHANNELS, 0..USERS).prop_map(|(agent, channel, user)| Action::Outbound { agent, channel, user }),
        1 => (0..CHANNELS, 0..USERS, consent).prop_map(|(channel, user, consent)| Action::Consent { channel, user, consent }),
        1 => (0..AGENTS, 1u32..5).prop_map(|(agent, capacity)| Action::Capacity { agent, capacity }),
    ]
}

/// One org with queues of different priorities, weights and skills, a bot, three kinds of channel
/// and a few agents.
struct Fixture {
    w: World,
    channels: Vec<ChannelId>,
    queues: Vec<QueueId>,
    bot: BotId,
    agents: Vec<AgentId>,
    last_delivery: Option<(ChannelId, InboundRequest)>,
    last_client_id: HashMap<AgentId, String>,
    counter: u64,
    ended: HashMap<SessionId, usize>,
    /// The rule each flow-routed session was first seen routed by (R-FLOW-1).
    decided: HashMap<SessionId, Option<String>>,
    delivered: HashMap<(Audience, SessionId), u32>,
}

impl Fixture {
    fn new() -> Fixture {
        let mut w = World::new();
        let general = w.queue("general");
        let mut vip = queue_spec("vip");
        vip.priority = 0;
        vip.capacity_weight = 2;
        vip.push_timeout_ms = Millis(15_000);
        let vip = w.add_queue(vip);
        let mut tech = queue_spec("tech");
        tech.required_skills = vec![skill("tech", 2)];
        tech.additional_skills = vec![skill("french", 1)];
        tech.drop_additional_skills_after_ms = Some(Millis(20_000));
        tech.routing_model = RoutingModel::MostAvailable;
        let tech = w.add_queue(tech);
        let bot = w.add_bot(BotSpec {
            name: "bot".into(),
            greeting: "Hello".into(),
            question: "Topic?".into(),
            intents: vec![
                Intent {
                    id: "faq".into(),
                    label: "FAQ".into(),
                    action: IntentAction::Resolve {
                        reply: "See our site.".into(),
                    },
                },
                Intent {
                    id: "billing".into(),
                    label: "Billing".into(),
                    action: IntentAction::Handoff {
                        queue: vip,
                        required_skills: vec![],
                    },
                },
                Intent {
                    id: "tech".into(),
                    label: "Tech".into(),
                    action: IntentAction::Handoff {
                        queue: tech,
                        required_skills: vec![skill("tech", 3)],
                    },
                },
            ],
            fields: vec![BotField {
                name: "account".into(),
                prompt: "Account?".into(),
            }],
            fallback_text: "Nobody is free.".into(),
            agent_queue: Some(general),
        });
        let web = w.channel(ChannelKind::Web, Platform::Standard, Entry::Queue(general));
        let mut sms = channel_spec(ChannelKind::Sms, Platform::Enhanced, Entry::Bot(bot));
        sms.inactivity_timeout_ms = Some(Millis(30_000));
        sms.inactive_ttl_ms = Some(Millis(120_000));
        let sms = w.add_channel(sms);
        let mut wa = channel_spec(
            ChannelKind::Whatsapp,
            Platform::Enhanced,
            Entry::Queue(tech),
        );
        wa.service_window_ms = Some(Millis(100_000));
        wa.consent_level = ConsentLevel::Explicit;
        let wa = w.add_channel(wa);
        let agents = vec![
            w.agent(2, &[]),
            w.agent(3, &[("tech", 3)]),
            w.agent(1, &[("tech", 2), ("french", 1)]),
            w.add_agent(4, &[("tech", 5)]),
        ];
        // While the general queue is short, the first agent's own customers; else the vip queue
        // ahead of the rest while a tech agent is free; else general, behind both.
        let queue_target = |queue, secondary| FlowTarget::Queue {
            queue,
            priority: None,
            secondary_priority: secondary,
            skills: vec![],
        };
        let flow = w.add_flow(FlowSpec {
            name: "front".into(),
            rules: vec![
                rule(
                    "direct",
                    vec![Condition::WaitingAtMost {
                        queue: general,
                        n: 1,
                    }],
                    FlowTarget::Agent {
                        agent: agents[0],
                        timeout_ms: Millis(20_000),
                        fallback_queue: None,
                    },
                ),
                rule(
                    "vip",
                    vec![Condition::AgentsAtLeast { queue: tech, n: 1 }],
                    queue_target(vip, Some(0)),
                ),
            ],
            default: queue_target(general, Some(3)),
            fallback_queue: general,
        });
        let flow_web = w.channel(ChannelKind::Web, Platform::Standard, Entry::Flow(flow));
        Fixture {
            w,
            channels: vec![web, sms, wa, flow_web],
            queues: vec![general, vip, tech],
            bot,
            agents,
            last_delivery: None,
            last_client_id: HashMap::new(),
            counter: 0,
            ended: HashMap::new(),
            decided: HashMap::new(),
            delivered: HashMap::new(),
        }
    }

    fn address(user: usize) -> String {
        format!("user-{user}")
    }

    /// The agent's oldest opened session, if any.
    fn held(&self, agent: AgentId) -> Option<SessionId> {
        self.w
            .work()
            .into_iter()
            .find(|x| x.agent == agent && x.status == WorkStatus::Opened)
            .map(|x| x.session)
    }

    fn command(&mut self, action: Action) -> Option<Command> {
        let org = self.w.org;
        let on_org = |command| Some(Command::Org { org, command });
        self.counter += 1;
        let n = self.counter;
        match action {
            Action::Advance(_) => None,
            Action::Say {
                channel,
                user,
                text,
            } => {
                let req = InboundRequest {
                    address: Self::address(user).into(),
                    provider_message_id: format!("p{n}").into(),
                    content: common::text(text),
                    fields: None,
                };
                self.last_delivery = Some((self.channels[channel], req.clone()));
                on_org(OrgCommand::Inbound(self.channels[channel], req))
            }
            Action::Answer {
                channel,
                user,
                seq,
                answer,
            } => {
                let content = InboundContent::ComponentResponse {
                    in_reply_to: Seq(seq),
                    answer_id: answer.into(),
                };
                let req = InboundRequest {
                    address: Self::address(user).into(),
                    provider_message_id: format!("p{n}").into(),
                    content,
                    fields: None,
                };
                on_org(OrgCommand::Inbound(self.channels[channel], req))
            }
            Action::RetryLastDelivery => {
                let (channel, req) = self.last_delivery.clone()?;
                on_org(OrgCommand::Inbound(channel, req))
            }
            Action::CustomerEnd { channel, user } => {
                let req = InboundRequest {
                    address: Self::address(user).into(),
                    provider_message_id: format!("p{n}").into(),
                    content: InboundContent::End,
                    fields: None,
                };
                on_org(OrgCommand::Inbound(self.channels[channel], req))
            }
            Action::Presence { agent, presence } => Some(Command::Agent {
                agent: self.agents[agent],
                request: AgentRequest::SetPresence { presence },
            }),
            Action::Accept { agent } => {
                let a = self.agents[agent];
                let work = self.w.offer(a).map_or(WorkId(n), |x| x.id);
                Some(Command::Agent {
                    agent: a,
                    request: AgentRequest::Accept { work },
                })
            }
            Action::Decline { agent } => {
                let a = self.agents[agent];
                let work = self.w.offer(a).map_or(WorkId(n), |x| x.id);
                Some(Command::Agent {
                    agent: a,
                    request: AgentRequest::Decline { work },
                })
            }
            Action::Send {
                agent,
                text,
                template,
                reuse_id,
            } => {
                let a = self.agents[agent];
                let session = self.held(a).unwrap_or(SessionId(n));
                let client_message_id = match self.last_client_id.get(&a) {
                    Some(id) if reuse_id => id.clone(),
                    _ => format!("c{n}"),
                };
                self.last_client_id.insert(a, client_message_id.clone());
                let content = if template {
                    OutboundContent::Template {
                        name: "t".into(),
                        text: text.into(),
                    }
                } else {
                    OutboundContent::Text { text: text.into() }
                };
                Some(Command::Agent {
                    agent: a,
                    request: AgentRequest::Send {
                        session,
                        client_message_id: client_message_id.into(),
                        content,
                    },
                })
            }
            Action::Transfer {
                agent,
                to_bot,
                queue,
            } => {
                let a = self.agents[agent];
                let session = self.held(a).unwrap_or(SessionId(n));
                let to = if to_bot {
                    TransferTarget::Bot(self.bot)
                } else {
                    TransferTarget::Queue(self.queues[queue])
                };
                Some(Command::Agent {
                    agent: a,
                    request: AgentRequest::Transfer { session, to },
                })
            }
            Action::MarkInactive { agent } => {
                let a = self.agents[agent];
                let session = self.held(a).unwrap_or(SessionId(n));
                Some(Command::Agent {
                    agent: a,
                    request: AgentRequest::MarkInactive { session },
                })
            }
            Action::End { agent } => {
                let a = self.agents[agent];
                let session = self.held(a).unwrap_or(SessionId(n));
                Some(Command::Agent {
                    agent: a,
                    request: AgentRequest::End { session },
                })
            }
            Action::Outbound {
                agent,
                channel,
                user,
            } => Some(Command::Agent {
                agent: self.agents[agent],
                request: AgentRequest::StartOutbound {
                    channel: self.channels[channel],
                    address: Self::address(user),
                    queue: self.queues[0],
                    client_message_id: format!("o{n}").into(),
                    content: OutboundContent::Template {
                        name: "hello".into(),
                        text: "Hi from us".into(),
                    },
                },
            }),
            Action::Consent {
                channel,
                user,
                consent,
            } => on_org(OrgCommand::SetConsent(
                self.channels[channel],
                ConsentRequest {
                    address: Self::address(user),
                    consent,
                },
            )),
            Action::Capacity { agent, capacity } => {
                let a = self.agents[agent];
                let spec = self.w.agent_info(a).spec;
                on_org(OrgCommand::UpdateAgent(a, AgentSpec { capacity, ..spec }))
            }
        }
    }

    fn step(&mut self, action: Action) -> Result<(), TestCaseError> {
        let before_events = self.w.events.len();
        if let Action::Advance(ms) = action {
            self.w.advance(ms);
        } else if let Some(cmd) = self.command(action) {
            let before = self.w.engine.clone();
            if self.w.apply(cmd).is_err() {
                prop_assert!(
                    self.w.engine == before,
                    "a rejected command changed the engine"
                );
                prop_assert_eq!(self.w.events.len(), before_events);
            }
        }
        self.check(before_events)
    }

    /// The [H] rules on the state and on the events of the last step.
    fn check(&mut self, first_new_event: usize) -> Result<(), TestCaseError> {
        let w = &self.w;
        let org = w.org;
        let now = w.engine.now();
        let work = w.work();
        let sessions = w.engine.sessions(org).unwrap();
        let agents = w.engine.agents(org).unwrap();
        // R-ROUTE-2: summed live weights = used ≤ capacity.
        for a in &agents {
            let live: Vec<_> = work
                .iter()
                .filter(|x| x.agent == a.id && x.status.is_live())
                .collect();
            let weight: u32 = live.iter().map(|x| x.capacity_weight).sum();
            prop_assert_eq!(weight, a.used_capacity, "agent {} used capacity", a.id);
            prop_assert_eq!(live.len() as u32, a.open_work);
            prop_assert!(
                a.used_capacity <= a.spec.capacity,
                "R-ROUTE-2 {} over capacity",
                a.id
            );
        }
        // R-ROUTE-11: work times.
        for x in &work {
            prop_assert!(x.requested_at <= x.assigned_at, "R-ROUTE-11 {:?}", x);
            if let Some(acc) = x.accepted_at {
                prop_assert!(x.assigned_at <= acc);
                prop_assert!(x.closed_at.is_none_or(|c| acc <= c));
            }
            prop_assert!(x.closed_at.is_none_or(|c| x.assigned_at <= c && c <= now));
            prop_assert_eq!(x.closed_at.is_some(), !x.status.is_live());
        }
        let mut open_by_user: HashMap<UserId, u32> = HashMap::new();
        for s in &sessions {
            // R-ROUTE-8: at most one live item, held by the session's agent.
            let live: Vec<_> = work
                .iter()
                .filter(|x| x.session == s.id && x.status.is_live())
                .collect();
            prop_assert!(
                live.len() <= 1,
                "R-ROUTE-8 {} has {} live items",
                s.id,
                live.len()
            );
            prop_assert_eq!(live.first().map(|x| x.agent), s.agent);
            // R-SESS-2: contiguous seqs.
            let messages = w.messages(s.id);
            for (i, m) in messages.iter().enumerate() {
                prop_assert_eq!(m.seq.0 as usize, i + 1, "R-SESS-2 gap in {}", s.id);
            }
            prop_assert_eq!(s.message_count as usize, messages.len());
            // R-SESS-6: ended_at exactly when ended; times ordered.
            prop_assert_eq!(
                s.ended_at.is_some(),
                s.status == SessionStatus::Ended,
                "R-SESS-6 {:?}",
                s
            );
            prop_assert_eq!(s.ended_by.is_some(), s.status == SessionStatus::Ended);
            if let Some(acc) = s.accepted_at {
                prop_assert!(s.started_at <= acc && s.ended_at.is_none_or(|e| acc <= e));
            }
            prop_assert!(s.ended_at.is_none_or(|e| s.started_at <= e && e <= now));
            // R-SESS-5: ended is terminal, nothing more is stored.
            if let Some(&count) = self.ended.get(&s.id) {
                prop_assert_eq!(s.status, SessionStatus::Ended, "R-SESS-5 {} reopened", s.id);
                prop_assert_eq!(
                    messages.len(),
                    count,
                    "R-SESS-5 message stored in ended {}",
                    s.id
                );
            }
            // R-FLOW-1: a flow decides once; its rule never changes afterwards.
            let rule = w.context(s.id).flow_rule;
            if rule.is_some() {
                let first = self.decided.entry(s.id).or_insert_with(|| rule.clone());
                prop_assert_eq!(&*first, &rule, "R-FLOW-1 {} decided again", s.id);
            }
            if s.status == SessionStatus::Ended {
                self.ended.insert(s.id, messages.len());
                prop_assert!(live.is_empty());
            } else {
                *open_by_user.entry(s.user).or_default() += 1;
                prop_assert_eq!(w.engine.user(org, s.user).unwrap().open_session, Some(s.id));
            }
        }
        // R-SESS-1: never two open sessions per user.
        prop_assert!(
            open_by_user.values().all(|n| *n == 1),
            "R-SESS-1 {:?}",
            open_by_user
        );
        // R-SESS-2 delivery: each party gets a session's messages in seq order, each once; offers
        // (R-ROUTE-1) go to online agents with the skills.
        for e in &w.events[first_new_event..] {
            match e {
                Event::Message { message, .. } => {
                    for aud in e.audiences() {
                        let last = self.delivered.entry((aud, message.session)).or_insert(0);
                        prop_assert!(
                            message.seq.0 > *last,
                            "R-SESS-2 {:?} got seq {} after {}",
                            aud,
                            message.seq,
                            last
                        );
                        if !matches!(aud, Audience::Agent(_)) {
                            prop_assert_eq!(message.seq.0, *last + 1, "R-SESS-2 {:?} skipped", aud);
                        }
                        *last = message.seq.0;
                    }
                }
                Event::WorkOffered(offer) => {
                    let (work, transcript) = (&offer.work, &offer.transcript);
                    // R-FLOW-4: until it falls back, directly routed work goes to its agent only.
                    if let (Some(named), None) =
                        (offer.context.direct_agent, offer.context.fallback)
                    {
                        prop_assert_eq!(
                            work.agent,
                            named,
                            "R-FLOW-4 {} offered elsewhere",
                            work.session
                        );
                    }
                    let a = agents.iter().find(|a| a.id == work.agent).unwrap();
                    prop_assert_eq!(
                        a.presence,
                        Presence::Online,
                        "R-ROUTE-1 offer to non-online {}",
                        a.id
                    );
                    let q = w.engine.queue(org, work.queue).unwrap();
                    for r in &q.spec.required_skills {
                        prop_assert!(
                            a.spec
                                .skills
                                .get(&r.skill)
                                .is_some_and(|l| *l >= r.min_level),
                            "R-ROUTE-1 skills"
                        );
                    }
                    // The agent's stream continues from the transcript it was handed.
                    let last = self
                        .delivered
                        .entry((Audience::Agent(work.agent), work.session))
                        .or_insert(0);
                    *last = (*last).max(transcript.len() as u32);
                }
                _ => {}
            }
        }
        Ok(())
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    #[test]
    fn h_rules_hold_after_every_step(actions in prop::collection::vec(action(), 1..250)) {
        let mut f = Fixture::new();
        for a in actions {
            f.step(a)?;
        }
    }
}
