//! Applying routing decisions: putting sessions in line, offering them to the agent the router
//! picks, and taking offers back. Routing runs on every change of capacity or eligibility, never on
//! a polling tick (R-ROUTE-12).

use super::ctx::Ctx;
use super::org::Org;
use super::state::Routing;
use super::timers::Timer;
use crate::faults::Fault;
use crate::routing::{PoolKey, ReqId, SkillLevels, skills::merge};
use omnisim_protocol::limits::MAX_WORK_ITEMS_PER_SESSION;
use omnisim_protocol::{
    AgentId, Event, Offer, Presence, QueueId, SessionId, SessionStatus, Timestamp, WorkId,
    WorkItem, WorkStatus,
};

impl Org {
    /// The requirement set of work in `queue` with handoff skills `extra` (R-ROUTE-1, R-ROUTE-10).
    pub(crate) fn requirements_for(
        &mut self,
        queue: QueueId,
        extra: &SkillLevels,
        dropped: bool,
    ) -> ReqId {
        let q = &self.queues[&queue];
        let additional: &[_] = if dropped { &[] } else { &q.additional };
        let needs = if self.faults.has(Fault::SkillsIgnored) {
            merge(std::iter::empty())
        } else {
            merge(q.required.iter().chain(extra).chain(additional).copied())
        };
        self.intern_requirements(needs)
    }

    /// Puts a session in line in `queue` (status waiting) and offers it if an agent can take it.
    /// `declined_by` seeds the agents to try last (a transferring agent, R-ROUTE-9); `preferred`
    /// gets the first offer (R-OUT-1).
    pub(crate) fn request_routing(
        &mut self,
        ctx: &mut Ctx,
        session: SessionId,
        queue: QueueId,
        extra: SkillLevels,
        declined_by: Vec<AgentId>,
        preferred: Option<AgentId>,
    ) {
        let req = self.requirements_for(queue, &extra, false);
        let q = self
            .queues
            .get_mut(&queue)
            .expect("routing targets an existing queue");
        q.waiting += 1;
        let priority_ignored = self.faults.has(Fault::PriorityIgnored);
        let pool = PoolKey {
            priority: if priority_ignored { 1 } else { q.spec.priority },
            queue,
            req,
        };
        let drop_at = match q.spec.drop_additional_skills_after_ms {
            Some(after) if !q.additional.is_empty() => {
                let late = u64::from(self.faults.has(Fault::SkillDropLate));
                Some(ctx.now + after + omnisim_protocol::Millis(late))
            }
            _ => None,
        };
        if let Some(at) = drop_at {
            ctx.schedule(at, Timer::SkillDrop(session));
        }
        if !declined_by.is_empty() {
            self.declined.insert(session);
        }
        // fifo_broken: later requests sort first.
        let requested_at = if self.faults.has(Fault::FifoBroken) {
            Timestamp(u64::MAX / 2 - ctx.now.0)
        } else {
            ctx.now
        };
        let s = self.session_mut(session);
        debug_assert!(s.routing.is_none(), "R-ROUTE-8: one routing per session");
        s.info.queue = Some(queue);
        s.extra_skills = extra.clone();
        s.routing = Some(Routing {
            queue,
            pool,
            requested_at,
            extra,
            drop_at,
            declined_by,
            preferred,
            offered: false,
        });
        self.router.enqueue(pool, requested_at, session);
        self.set_status(ctx, session, SessionStatus::Waiting, None);
        self.route_session(ctx, session);
    }

    /// Offers a waiting session to the agent its queue's routing model picks, if any (R-ROUTE-1,4,6).
    pub(crate) fn route_session(&mut self, ctx: &mut Ctx, session: SessionId) {
        let s = self.session_mut(session);
        let Some(r) = s.routing.as_mut() else { return };
        if r.offered {
            return;
        }
        let preferred = r.preferred.take();
        let mut declined = r.declined_by.clone();
        let pool = r.pool;
        if self.faults.has(Fault::DeclineReoffered) {
            declined.clear();
        }
        let q = &self.queues[&pool.queue];
        let weight = q.spec.capacity_weight;
        let can_take = |a: AgentId| {
            self.router.agents(pool.req).contains(a) && self.agents[&a].free() >= weight
        };
        let agent = preferred.filter(|a| can_take(*a)).or_else(|| {
            self.router
                .best_agent(pool.req, q.spec.routing_model, weight, &declined)
        });
        if let Some(agent) = agent {
            self.assign(ctx, session, agent);
        }
    }

    /// Gives an online agent waiting work while it has room: lowest priority number first, then
    /// the oldest request (R-ROUTE-3, R-ROUTE-12).
    pub(crate) fn fill_agent(&mut self, ctx: &mut Ctx, agent: AgentId) {
        loop {
            let a = &self.agents[&agent];
            if a.info.presence != Presence::Online || a.free() == 0 {
                return;
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
                Some(p) => self.assign(ctx, p.session, agent),
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
        self.router.dequeue(r.pool, r.requested_at, session);
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
            context: s.context.clone(),
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
    /// tried last from now on (R-ROUTE-3, R-ROUTE-5, R-ROUTE-6, R-ROUTE-7).
    pub(crate) fn return_to_line(
        &mut self,
        ctx: &mut Ctx,
        session: SessionId,
        decliner: Option<AgentId>,
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
        if let Some(a) = decliner {
            if !r.declined_by.contains(&a) {
                r.declined_by.push(a);
            }
            self.declined.insert(session);
        }
        self.router.enqueue(r.pool, r.requested_at, session);
        self.route_session(ctx, session);
    }

    /// Drops a session's routing request: accepted, ended or moved elsewhere.
    pub(crate) fn clear_routing(&mut self, ctx: &mut Ctx, session: SessionId) {
        let Some(r) = self.session_mut(session).routing.take() else {
            return;
        };
        if !r.offered {
            self.router.dequeue(r.pool, r.requested_at, session);
        }
        if let Some(at) = r.drop_at {
            ctx.cancel(at, Timer::SkillDrop(session));
        }
        self.declined.remove(&session);
        if let Some(q) = self.queues.get_mut(&r.queue) {
            q.waiting -= 1;
        }
    }

    /// R-ROUTE-10: the session's additional skills stop counting; agents lacking them become
    /// eligible.
    pub(crate) fn drop_additional_skills(&mut self, ctx: &mut Ctx, session: SessionId) {
        let Some(r) = self.sessions.get(&session).and_then(|s| s.routing.clone()) else {
            return;
        };
        let req = self.requirements_for(r.queue, &r.extra, true);
        let pool = PoolKey { req, ..r.pool };
        if !r.offered {
            self.router.dequeue(r.pool, r.requested_at, session);
            self.router.enqueue(pool, r.requested_at, session);
        }
        let routing = self
            .session_mut(session)
            .routing
            .as_mut()
            .expect("checked above");
        routing.pool = pool;
        routing.drop_at = None;
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
        self.return_to_line(ctx, session, decliner);
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
