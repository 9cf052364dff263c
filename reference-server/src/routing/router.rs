//! The routing algorithm's data: who can serve what (per requirement set) and what is waiting (per
//! queue priority, queue and requirement set, by secondary priority then oldest first; and per agent
//! for work routed to one agent directly). Every lookup is indexed, so one routing decision costs
//! O(pools × log n) whatever the backlog or the number of agents (R-ROUTE-1,3,4, R-FLOW-4,7).

use super::agent_index::{AgentIndex, AgentRank};
use super::skills::{SkillLevels, satisfies};
use crate::fast_map::FastMap;
use omnisim_protocol::{AgentId, QueueId, RoutingModel, SessionId, Timestamp};
use std::collections::{BTreeMap, BTreeSet};

/// An interned requirement set: every skill (and minimum level) a piece of work needs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ReqId(u32);

/// Where a waiting session sits: ordered so that iteration visits the lowest priority number first
/// (R-ROUTE-3).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PoolKey {
    pub priority: u32,
    pub queue: QueueId,
    pub req: ReqId,
}

/// A waiting session's place within its line: secondary priority (0 first, none after every value),
/// then the oldest request (R-ROUTE-3, R-FLOW-7).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct LineKey {
    secondary: u64,
    pub requested_at: Timestamp,
    pub session: SessionId,
}

impl LineKey {
    /// The place of `session`, requested at `requested_at`, with `secondary` priority.
    pub fn new(secondary: Option<u32>, requested_at: Timestamp, session: SessionId) -> LineKey {
        LineKey {
            secondary: secondary.map_or(u64::MAX, u64::from),
            requested_at,
            session,
        }
    }
}

/// Which line a session waits in: its queue's pool, or one agent's direct line (R-FLOW-4).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Line {
    Pool(PoolKey),
    Agent(AgentId),
}

/// A requirement set and the online agents meeting it.
#[derive(Clone, Debug, PartialEq, Eq)]
struct ReqPool {
    needs: SkillLevels,
    agents: AgentIndex,
}

/// Routing state of one org.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Router {
    reqs: Vec<ReqPool>,
    req_ids: FastMap<SkillLevels, ReqId>,
    /// Sessions waiting for any agent of a pool (not currently offered).
    waiting: BTreeMap<PoolKey, BTreeSet<LineKey>>,
    /// Sessions waiting for one agent (not currently offered), R-FLOW-4.
    direct: BTreeMap<AgentId, BTreeSet<LineKey>>,
}

/// The work an agent should get next.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Pick {
    pub pool: PoolKey,
    pub key: LineKey,
}

impl Router {
    /// The id of requirement set `needs`; a new set is filled with the `online` agents meeting it.
    pub fn intern<'a>(
        &mut self,
        needs: SkillLevels,
        online: impl Iterator<Item = (&'a SkillLevels, AgentRank)>,
    ) -> ReqId {
        if let Some(&id) = self.req_ids.get(&needs) {
            return id;
        }
        let id = ReqId(self.reqs.len() as u32);
        let mut agents = AgentIndex::default();
        for (skills, rank) in online {
            if satisfies(skills, &needs) {
                agents.insert(rank);
            }
        }
        self.req_ids.insert(needs.clone(), id);
        self.reqs.push(ReqPool { needs, agents });
        id
    }

    /// The skills requirement set `req` names.
    pub fn needs(&self, req: ReqId) -> &SkillLevels {
        &self.reqs[req.0 as usize].needs
    }

    /// The online agents meeting `req`.
    pub fn agents(&self, req: ReqId) -> &AgentIndex {
        &self.reqs[req.0 as usize].agents
    }

    /// Moves an agent with `skills` from one rank to another, `None` meaning not routable
    /// (offline): what a change of its load or presence needs.
    pub fn reindex_agent(
        &mut self,
        skills: &SkillLevels,
        before: Option<AgentRank>,
        after: Option<AgentRank>,
    ) {
        if before == after {
            return;
        }
        for pool in &mut self.reqs {
            if satisfies(skills, &pool.needs) {
                match (before, after) {
                    (Some(b), Some(a)) => pool.agents.update(b, a),
                    (Some(b), None) => pool.agents.remove(b),
                    (None, Some(a)) => pool.agents.insert(a),
                    (None, None) => {}
                }
            }
        }
    }

    /// Whether, among the online agents meeting `req`, one has not declined (R-ROUTE-6).
    pub fn has_undeclined_agent(&self, req: ReqId, declined: &[AgentId]) -> bool {
        let agents = self.agents(req);
        let declined_online = declined.iter().filter(|a| agents.contains(**a)).count();
        agents.online_count() > declined_online
    }

    /// The agent `model` picks for work needing `req` and `weight`, skipping `declined` agents
    /// unless every eligible agent has declined (R-ROUTE-4, R-ROUTE-6).
    pub fn best_agent(
        &self,
        req: ReqId,
        model: RoutingModel,
        weight: u32,
        declined: &[AgentId],
    ) -> Option<AgentId> {
        let agents = self.agents(req);
        if declined.is_empty() || !self.has_undeclined_agent(req, declined) {
            agents.best(model, weight, |_| false)
        } else {
            agents.best(model, weight, |a| declined.contains(&a))
        }
    }

    /// Puts a session in line.
    pub fn enqueue(&mut self, line: Line, key: LineKey) {
        let set = match line {
            Line::Pool(pool) => self.waiting.entry(pool).or_default(),
            Line::Agent(agent) => self.direct.entry(agent).or_default(),
        };
        set.insert(key);
    }

    /// Takes a session out of line.
    pub fn dequeue(&mut self, line: Line, key: LineKey) {
        fn take<K: Ord>(map: &mut BTreeMap<K, BTreeSet<LineKey>>, k: K, key: LineKey) {
            if let Some(set) = map.get_mut(&k) {
                set.remove(&key);
                if set.is_empty() {
                    map.remove(&k);
                }
            }
        }
        match line {
            Line::Pool(pool) => take(&mut self.waiting, pool, key),
            Line::Agent(agent) => take(&mut self.direct, agent, key),
        }
    }

    /// The sessions waiting for `agent` alone, first in line first (R-FLOW-4).
    pub fn direct_line(&self, agent: AgentId) -> impl Iterator<Item = LineKey> + '_ {
        self.direct.get(&agent).into_iter().flatten().copied()
    }

    /// The work an agent with `skills` and `free` capacity takes next from the pools: among those it
    /// may serve, the lowest priority number, then the lowest secondary priority, then the oldest
    /// request (R-ROUTE-3, R-FLOW-7). `skip` says whether the agent declined a session that another
    /// eligible agent can still take (R-ROUTE-6).
    pub fn best_work(
        &self,
        skills: &SkillLevels,
        free: u32,
        weight_of: impl Fn(QueueId) -> u32,
        skip: impl Fn(SessionId, ReqId) -> bool,
    ) -> Option<Pick> {
        let mut best: Option<Pick> = None;
        for (pool, line) in &self.waiting {
            if best.is_some_and(|b| b.pool.priority < pool.priority) {
                break;
            }
            if weight_of(pool.queue) > free || !satisfies(skills, self.needs(pool.req)) {
                continue;
            }
            let head = line.iter().find(|k| !skip(k.session, pool.req));
            if let Some(&key) = head {
                if best.is_none_or(|b| key < b.key) {
                    best = Some(Pick { pool: *pool, key });
                }
            }
        }
        best
    }

    /// Sessions waiting (not offered) in all pools and direct lines.
    pub fn waiting_count(&self) -> usize {
        self.waiting
            .values()
            .chain(self.direct.values())
            .map(BTreeSet::len)
            .sum()
    }
}
