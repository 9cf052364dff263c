//! Applying routing decisions: putting sessions in line, offering them to the agent the router
//! picks, and taking offers back. Routing runs on every change of capacity or eligibility, never on
//! a polling tick (R-ROUTE-12).

use super::ctx::Ctx;
use super::org::Org;
use super::state::{Placement, Routing};
use super::timers::Timer;
use crate::faults::Fault;
use crate::routing::{PoolKey, ReqId, SkillLevels, skills::merge};
use omnisim_protocol::limits::MAX_WORK_ITEMS_PER_SESSION;
use omnisim_protocol::{
    AgentId, Event, Offer, Presence, QueueId, SessionId, SessionStatus, Timestamp, WorkId,
    WorkItem, WorkStatus,
};
use omnisim_protocol::{DirectFallback, FallbackReason, Millis};

/// A session's request for an agent: where it waits, and who is tried first or last.
pub(crate) struct Request {
    pub placement: Placement,
    /// Agents to try last (a transferring agent, R-ROUTE-9; a direct agent that declined).
    pub declined_by: Vec<AgentId>,
    /// Gets the first offer (R-OUT-1).
    pub preferred: Option<AgentId>,
    /// The original request time, kept when direct routing falls back (R-FLOW-4); none: now.
    pub since: Option<Timestamp>,
}

impl Request {
    /// A fresh request to wait as `placement` says.
    pub fn new(placement: Placement) -> Request {
        Request {
            placement,
            declined_by: Vec::new(),
            preferred: None,
            since: None,
        }
    }
}

impl Org {
    /// The requirement set of work in `queue`: its required skills and `extra` (R-ROUTE-1).
    pub(crate) fn requirements<'a>(
        &mut self,
        queue: QueueId,
        extra: impl Iterator<Item = &'a SkillLevels>,
    ) -> ReqId {
        let own = &self.queues[&queue].required;
        let needs = if self.faults.has(Fault::SkillsIgnored) {
            merge(std::iter::empty())
        } else {
            merge(own.iter().copied().chain(extra.flatten().copied()))
        };
        self.intern_requirements(needs)
    }

    /// Whether an online agent could be offered work placed as `placement`, capacity aside: what
    /// a bot checks before handing off (R-BOT-3).
    pub(crate) fn anyone_eligible(&mut self, placement: &Placement) -> bool {
        let direct = placement.direct.map(|(agent, _)| agent);
        let queue_skills = match direct {
            Some(_) => Vec::new(),
            None => self.queues[&placement.queue].additional.clone(),
        };
        let extra = placement.skills.iter().map(|(levels, _)| levels);
        let req = self.requirements(placement.queue, extra.chain([&queue_skills]));
        let agents = self.router.agents(req);
        match direct {
            Some(agent) => agents.contains(agent),
            None => agents.online_count() > 0,
        }
    }

    /// Why directly routed work cannot wait for its agent at all: offline, or lacking a skill
    /// (R-FLOW-4).
    fn direct_refusal(&self, agent: AgentId, req: ReqId) -> Option<FallbackReason> {
        let a = &self.agents[&agent];
        if a.info.presence == Presence::Offline {
            Some(FallbackReason::Offline)
        } else if !crate::routing::skills::satisfies(&a.skills, self.router.needs(req)) {
            Some(FallbackReason::LacksSkills)
        } else {
            None
        }
    }

    /// The skills work placed as `placement`, requested at `base`, needs beside its queue's
    /// required ones at `now`: those that count until it is accepted, and those that stop counting
    /// at a time, soonest first (R-ROUTE-10, R-FLOW-3). Directly routed work needs no additional
    /// skills of its queue.
    fn extra_skills(
        &self,
        placement: &Placement,
        base: Timestamp,
        now: Timestamp,
    ) -> (SkillLevels, Vec<(Timestamp, SkillLevels)>) {
        let late = Millis(u64::from(self.faults.has(Fault::SkillDropLate)));
        let q = &self.queues[&placement.queue];
        let additional = (placement.direct.is_none() && !q.additional.is_empty())
            .then_some((&q.additional, q.spec.drop_additional_skills_after_ms));
        let (mut extra, mut drops) = (Vec::new(), Vec::new());
        let groups = placement
            .skills
            .iter()
            .map(|(levels, after)| (levels, *after));
        for (levels, after) in groups.chain(additional) {
            match after {
                None => extra.extend(levels.iter().copied()),
                Some(after) if base + after + late > now => {
                    drops.push((base + after + late, levels.clone()))
                }
                // Dropped already: a fallback keeps its original request time.
                Some(_) => {}
            }
        }
        drops.sort_unstable();
        (extra, drops)
    }

    /// Puts a session in line (status waiting) and offers it if an agent can take it: in its
    /// queue's pool, or in one agent's direct line until the direct timeout (R-ROUTE-3,
    /// R-ROUTE-10, R-FLOW-3, R-FLOW-4, R-FLOW-7).
    pub(crate) fn request_routing(&mut self, ctx: &mut Ctx, session: SessionId, request: Request) {
        let Request {
            mut placement,
            declined_by,
            preferred,
            since,
        } = request;
        let fresh = since.is_none();
        let since = if self.faults.has(Fault::DirectFallbackResetsAge) {
            None
        } else {
            since
        };
        let base = since.unwrap_or(ctx.now);
        if fresh {
            // A new request: what the context said of an earlier one's direct routing is history.
            let context = &mut self.session_mut(session).context;
            context.direct_agent = None;
            context.fallback = None;
        }
        let direct_to = placement.direct.map(|(agent, _)| agent);
        let (extra, drops) = self.extra_skills(&placement, base, ctx.now);
        let req = self.requirements(
            placement.queue,
            std::iter::once(&extra).chain(drops.iter().map(|d| &d.1)),
        );
        if let Some(agent) = direct_to {
            self.session_mut(session).context.direct_agent = Some(agent);
            if let Some(reason) = self.direct_refusal(agent, req) {
                self.session_mut(session).context.fallback = Some(DirectFallback {
                    agent,
                    reason,
                    at: ctx.now,
                });
                placement.direct = None;
                let request = Request {
                    placement,
                    declined_by,
                    preferred,
                    since: Some(base),
                };
                return self.request_routing(ctx, session, request);
            }
        }
        let q = self
            .queues
            .get_mut(&placement.queue)
            .expect("routing targets an existing queue");
        q.waiting += 1;
        let priority_ignored = self.faults.has(Fault::PriorityIgnored);
        let pool = PoolKey {
            priority: if priority_ignored {
                1
            } else {
                placement.priority.unwrap_or(q.spec.priority)
            },
            queue: placement.queue,
            req,
        };
        for (at, _) in &drops {
            ctx.schedule(*at, Timer::SkillDrop(session));
        }
        let direct = placement.direct.map(|(agent, timeout)| {
            let at = base + timeout;
            ctx.schedule(at, Timer::DirectTimeout(session));
            (agent, at)
        });
        if !declined_by.is_empty() {
            self.declined.insert(session);
        }
        // fifo_broken: later requests sort first.
        let requested_at = match since {
            None if self.faults.has(Fault::FifoBroken) => Timestamp(u64::MAX / 2 - ctx.now.0),
            _ => base,
        };
        let secondary = placement
            .secondary
            .filter(|_| !self.faults.has(Fault::SecondaryPriorityIgnored));
        let s = self.session_mut(session);
        debug_assert!(s.routing.is_none(), "R-ROUTE-8: one routing per session");
        s.info.queue = Some(placement.queue);
        let routing = Routing {
            queue: pool.queue,
            pool,
            requested_at,
            secondary,
            extra,
            drops,
            declined_by,
            preferred,
            offered: false,
            direct,
        };
        let (line, key) = (routing.line(), routing.key(session));
        s.routing = Some(Box::new(routing));
        self.router.enqueue(line, key);
        self.set_status(ctx, session, SessionStatus::Waiting, None);
        self.route_session(ctx, session);
    }

    /// Offers a waiting session to the agent its queue's routing model picks, or to its direct
    /// agent only, if any can take it (R-ROUTE-1,4,6, R-FLOW-4).
    pub(crate) fn route_session(&mut self, ctx: &mut Ctx, session: SessionId) {
        let s = self.session_mut(session);
        let Some(r) = s.routing.as_mut() else { return };
        if r.offered {
            return;
        }
        let preferred = r.preferred.take();
        let mut declined = r.declined_by.clone();
        let (pool, direct) = (r.pool, r.direct);
        if self.faults.has(Fault::DeclineReoffered) {
            declined.clear();
        }
        let q = &self.queues[&pool.queue];
        let weight = q.spec.capacity_weight;
        let can_take = |a: AgentId| {
            self.router.agents(pool.req).contains(a) && self.agents[&a].free() >= weight
        };
        let agent = match direct {
            Some((agent, _)) => Some(agent).filter(|a| can_take(*a)),
            None => preferred.filter(|a| can_take(*a)).or_else(|| {
                self.router
                    .best_agent(pool.req, q.spec.routing_model, weight, &declined)
            }),
        };
        if let Some(agent) = agent {
            self.assign(ctx, session, agent);
        }
    }

    /// Gives an online agent waiting work while it has room: what was routed to it directly first,
    /// then from the pools the lowest priority number, the lowest secondary priority, the oldest
    /// request (R-ROUTE-3, R-ROUTE-12, R-FLOW-4, R-FLOW-7).
    pub(crate) fn fill_agent(&mut self, ctx: &mut Ctx, agent: AgentId) {
        loop {
            let a = &self.agents[&agent];
            if a.info.presence != Presence::Online || a.free() == 0 {
                return;
            }
            let direct = self.router.direct_line(agent).find(|k| {
                let pool = self.sessions[&k.session]
                    .routing
                    .as_ref()
                    .expect("sessions in line are routed")
                    .pool;
                self.queues[&pool.queue].spec.capacity_weight <= a.free()
                    && self.router.agents(pool.req).contains(agent)
            });
            if let Some(key) = direct {
                self.assign(ctx, key.session, agent);
                continue;
            }
            let pick = self.router.best_work(
                &a.skills,
                a.free(),
                |q| self.queues[&q].spec.capacity_weight,
                |s, req| {
                    let declined = self.sessions[&s]
                        .routing
                        .as_ref()
                        .map_or(&[][..], |r| &r.declined_by[..]);
                    declined.contains(&agent)
                        && self.router.has_undeclined_agent(req, declined)
                        && !self.faults.has(Fault::DeclineReoffered)
                },
            );
            match pick {
                Some(p) => self.assign(ctx, p.key.session, agent),
                None => return,
            }
        }
    }

    /// Offers `session` to `agent`: a new assigned work item holding the agent's capacity until it
    /// is accepted, declined or times out (R-ROUTE-2, R-ROUTE-5, R-ROUTE-8).
    fn assign(&mut self, ctx: &mut Ctx, session: SessionId, agent: AgentId) {
        let work = WorkId(ctx.id());
        let s = self
            .sessions
            .get_mut(&session)
            .expect("assigned session exists");
        let r = s
            .routing
            .as_mut()
            .expect("only routed sessions are assigned");
        r.offered = true;
        if r.declined_by.contains(&agent) {
            // Every eligible agent declined: the work is eligible for all again (R-ROUTE-6).
            r.declined_by.clear();
            self.declined.remove(&session);
        }
        self.router.dequeue(r.line(), r.key(session));
        let q = &self.queues[&r.queue];
        let item = WorkItem {
            id: work,
            org: self.id,
            session,
            queue: r.queue,
            agent,
            status: WorkStatus::Assigned,
            capacity_weight: q.spec.capacity_weight,
            requested_at: r.requested_at,
            assigned_at: ctx.now,
            accepted_at: None,
            closed_at: None,
        };
        s.live_work = Some(work);
        s.info.agent = Some(agent);
        // Only the newest item can be live, so the ones forgotten here are all final.
        s.work_items.push_back(work);
        let forgotten = (s.work_items.len() > MAX_WORK_ITEMS_PER_SESSION)
            .then(|| s.work_items.pop_front())
            .flatten();
        ctx.emit(Event::WorkOffered(Box::new(Offer {
            org: self.id,
            work: item.clone(),
            session: s.info.clone(),
            context: (*s.context).clone(),
            transcript: s.messages.clone(),
        })));
        let (weight, now) = (item.capacity_weight, ctx.now);
        ctx.schedule(
            self.push_deadline(item.queue, now),
            Timer::PushTimeout(work),
        );
        self.work.insert(work, item);
        if let Some(old) = forgotten {
            self.work.remove(&old);
        }
        self.with_agent(agent, |a| {
            a.info.used_capacity += weight;
            a.info.open_work += 1;
            a.info.last_assigned_at = Some(now);
            a.live.push(work);
        });
    }

    /// When an offer made at `assigned_at` in `queue` times out.
    pub(crate) fn push_deadline(&self, queue: QueueId, assigned_at: Timestamp) -> Timestamp {
        let early = u64::from(self.faults.has(Fault::PushTimeoutEarly));
        Timestamp((assigned_at + self.queues[&queue].spec.push_timeout_ms).0 - early)
    }

    /// Moves a live work item to a final status, freeing its capacity. The caller routes the freed
    /// capacity (R-ROUTE-2, R-ROUTE-11).
    pub(crate) fn finish_work(
        &mut self,
        ctx: &mut Ctx,
        work: WorkId,
        status: WorkStatus,
    ) -> AgentId {
        let item = self.work.get_mut(&work).expect("live work exists");
        let was = item.status;
        item.status = status;
        item.closed_at = Some(ctx.now);
        let item = item.clone();
        if was == WorkStatus::Assigned {
            let at = self.push_deadline(item.queue, item.assigned_at);
            ctx.cancel(at, Timer::PushTimeout(work));
        }
        self.with_agent(item.agent, |a| {
            a.info.used_capacity -= item.capacity_weight;
            a.info.open_work -= 1;
            a.live.retain(|w| *w != work);
        });
        let s = self.session_mut(item.session);
        s.live_work = None;
        s.info.agent = None;
        let agent = item.agent;
        ctx.emit(Event::WorkChanged { work: item });
        agent
    }

    /// After a failed offer, puts the session back in line with its original age; `decliner` is
    /// tried last from now on. Work routed to one agent moves to its fallback queue instead
    /// (R-ROUTE-3, R-ROUTE-5, R-ROUTE-6, R-ROUTE-7, R-FLOW-4).
    pub(crate) fn return_to_line(
        &mut self,
        ctx: &mut Ctx,
        session: SessionId,
        decliner: Option<AgentId>,
        why: FallbackReason,
    ) {
        let s = self
            .sessions
            .get_mut(&session)
            .expect("returned session exists");
        let r = s
            .routing
            .as_mut()
            .expect("an offered session has a routing request");
        r.offered = false;
        if r.direct.is_some() {
            return self.fall_back(ctx, session, why);
        }
        if let Some(a) = decliner {
            if !r.declined_by.contains(&a) {
                r.declined_by.push(a);
            }
            self.declined.insert(session);
        }
        self.router.enqueue(r.line(), r.key(session));
        self.route_session(ctx, session);
    }

    /// Directly routed work leaves its agent for the fallback queue, keeping its request time; the
    /// agent, if it declined or let the offer time out, is tried last there (R-FLOW-4).
    pub(crate) fn fall_back(&mut self, ctx: &mut Ctx, session: SessionId, why: FallbackReason) {
        let r = self.sessions[&session]
            .routing
            .as_ref()
            .expect("a session falling back is routed");
        let (agent, _) = r.direct.expect("only direct routing falls back");
        // Direct work needs the handoff's skills only, which never drop.
        let placement = Placement::queue(r.queue, r.extra.clone());
        let since = r.requested_at;
        self.clear_routing(ctx, session);
        self.session_mut(session).context.fallback = Some(DirectFallback {
            agent,
            reason: why,
            at: ctx.now,
        });
        let declined_by = match why {
            FallbackReason::Declined | FallbackReason::PushTimeout => vec![agent],
            _ => Vec::new(),
        };
        let request = Request {
            placement,
            declined_by,
            preferred: None,
            since: Some(since),
        };
        self.request_routing(ctx, session, request);
    }

    /// R-FLOW-4: directly routed work not accepted by its deadline leaves the agent (an offer
    /// outstanding is withdrawn) for the fallback queue.
    pub(crate) fn direct_timeout(&mut self, ctx: &mut Ctx, session: SessionId) {
        let Some(s) = self.sessions.get(&session) else {
            return;
        };
        if s.routing.as_ref().is_none_or(|r| r.direct.is_none()) {
            return;
        }
        let offer = s
            .live_work
            .filter(|w| self.work[w].status == WorkStatus::Assigned);
        let agent = offer.map(|work| {
            let agent = self.finish_work(ctx, work, WorkStatus::Withdrawn);
            ctx.emit(Event::OfferRescinded {
                org: self.id,
                agent,
                work,
                session,
                reason: omnisim_protocol::RescindReason::DirectTimeout,
            });
            agent
        });
        self.fall_back(ctx, session, FallbackReason::Timeout);
        if let Some(agent) = agent {
            self.fill_agent(ctx, agent);
        }
    }

    /// Drops a session's routing request: accepted, ended or moved elsewhere.
    pub(crate) fn clear_routing(&mut self, ctx: &mut Ctx, session: SessionId) {
        let Some(r) = self.session_mut(session).routing.take() else {
            return;
        };
        if !r.offered {
            self.router.dequeue(r.line(), r.key(session));
        }
        for (at, _) in &r.drops {
            ctx.cancel(*at, Timer::SkillDrop(session));
        }
        if let Some((_, at)) = r.direct {
            ctx.cancel(at, Timer::DirectTimeout(session));
        }
        self.declined.remove(&session);
        if let Some(q) = self.queues.get_mut(&r.queue) {
            q.waiting -= 1;
        }
    }

    /// R-ROUTE-10: skills whose time has come stop counting; agents lacking them become
    /// eligible.
    pub(crate) fn drop_additional_skills(&mut self, ctx: &mut Ctx, session: SessionId) {
        let Some(mut r) = self.sessions.get(&session).and_then(|s| s.routing.clone()) else {
            return;
        };
        r.drops.retain(|(at, _)| *at > ctx.now);
        let req = self.requirements(
            r.queue,
            std::iter::once(&r.extra).chain(r.drops.iter().map(|d| &d.1)),
        );
        let before = (r.line(), r.key(session));
        r.pool = PoolKey { req, ..r.pool };
        if !r.offered {
            self.router.dequeue(before.0, before.1);
            self.router.enqueue(r.line(), r.key(session));
        }
        self.session_mut(session).routing = Some(r);
        self.route_session(ctx, session);
    }

    /// An offer not accepted in time: declined_on_push_timeout, the agent told, the session
    /// routed again (R-ROUTE-5).
    pub(crate) fn push_timeout(&mut self, ctx: &mut Ctx, work: WorkId) {
        let Some(item) = self
            .work
            .get(&work)
            .filter(|w| w.status == WorkStatus::Assigned)
        else {
            return;
        };
        let (session, agent, queue) = (item.session, item.agent, item.queue);
        // The timer fired, so it is no longer scheduled; finish_work's cancel is a no-op.
        self.finish_work(ctx, work, WorkStatus::DeclinedOnPushTimeout);
        if self.faults.has(Fault::PushTimeoutKeepsCapacity) {
            let weight = self.work[&work].capacity_weight;
            self.with_agent(agent, |a| a.info.used_capacity += weight);
        }
        ctx.emit(Event::OfferRescinded {
            org: self.id,
            agent,
            work,
            session,
            reason: omnisim_protocol::RescindReason::PushTimeout,
        });
        let presence = self.queues[&queue].spec.push_timeout_presence;
        if let Some(presence) =
            presence.filter(|_| !self.faults.has(Fault::PushTimeoutPresenceIgnored))
        {
            self.set_presence(ctx, agent, presence);
        }
        let decliner = (!self.faults.has(Fault::PushTimeoutNotADecline)).then_some(agent);
        self.return_to_line(ctx, session, decliner, FallbackReason::PushTimeout);
        self.fill_agent(ctx, agent);
    }

    /// Re-routes waiting sessions some agent declined: after an agent leaves, the agents left may
    /// all have declined them, which makes them eligible for all again (R-ROUTE-6).
    pub(crate) fn reroute_declined(&mut self, ctx: &mut Ctx) {
        let sessions: Vec<SessionId> = self.declined.iter().copied().collect();
        for s in sessions {
            self.route_session(ctx, s);
        }
    }
}
