//! The online agents able to serve one requirement set, ordered for both routing models so that
//! picking an agent costs O(distinct free-capacity values × log agents), never a scan (R-ROUTE-4).

use omnisim_protocol::{AgentId, RoutingModel, Timestamp};
use std::collections::{BTreeMap, BTreeSet};

/// What routing needs to know of an agent to rank it. `last_assigned: None` (never assigned) sorts
/// first, as the longest idle.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AgentRank {
    pub id: AgentId,
    pub free: u32,
    pub open_work: u32,
    pub last_assigned: Option<Timestamp>,
}

/// Agents with the same free capacity, in both orders the routing models need.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
struct Bucket {
    /// least_active order: fewest open items, then idle longest.
    by_load: BTreeSet<(u32, Option<Timestamp>, AgentId)>,
    /// most_available tie-break order: idle longest.
    by_idle: BTreeSet<(Option<Timestamp>, AgentId)>,
}

/// Online agents eligible for one requirement set.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AgentIndex {
    online: BTreeSet<AgentId>,
    /// Only agents with free capacity > 0, by free capacity.
    by_free: BTreeMap<u32, Bucket>,
}

impl AgentIndex {
    /// Adds an online agent.
    pub fn insert(&mut self, r: AgentRank) {
        self.online.insert(r.id);
        self.rank(r);
    }

    /// Removes an agent inserted with exactly `r`.
    pub fn remove(&mut self, r: AgentRank) {
        self.online.remove(&r.id);
        self.unrank(r);
    }

    /// Moves an agent inserted with exactly `old` to `new` (same agent): it stays online.
    pub fn update(&mut self, old: AgentRank, new: AgentRank) {
        debug_assert_eq!(old.id, new.id);
        self.unrank(old);
        self.rank(new);
    }

    fn rank(&mut self, r: AgentRank) {
        if r.free > 0 {
            let b = self.by_free.entry(r.free).or_default();
            b.by_load.insert((r.open_work, r.last_assigned, r.id));
            b.by_idle.insert((r.last_assigned, r.id));
        }
    }

    fn unrank(&mut self, r: AgentRank) {
        if let Some(b) = self.by_free.get_mut(&r.free) {
            b.by_load.remove(&(r.open_work, r.last_assigned, r.id));
            b.by_idle.remove(&(r.last_assigned, r.id));
            if b.by_idle.is_empty() {
                self.by_free.remove(&r.free);
            }
        }
    }

    /// Whether `agent` is online and eligible here.
    pub fn contains(&self, agent: AgentId) -> bool {
        self.online.contains(&agent)
    }

    /// Number of online eligible agents, whatever their free capacity.
    pub fn online_count(&self) -> usize {
        self.online.len()
    }

    /// Number of online eligible agents with free capacity ≥ `weight`: who could take work of that
    /// weight now (R-FLOW-2). Costs O(distinct free-capacity values).
    pub fn count_free(&self, weight: u32) -> usize {
        self.by_free
            .range(weight.max(1)..)
            .map(|(_, b)| b.by_idle.len())
            .sum()
    }

    /// The agent `model` picks among those with free capacity ≥ `weight`, skipping `excluded` ones
    /// (R-ROUTE-4: ties go to the agent whose last assignment is oldest, then the lowest id).
    pub fn best(
        &self,
        model: RoutingModel,
        weight: u32,
        excluded: impl Fn(AgentId) -> bool,
    ) -> Option<AgentId> {
        let fits = self.by_free.range(weight.max(1)..);
        match model {
            RoutingModel::LeastActive => fits
                .filter_map(|(_, b)| b.by_load.iter().find(|k| !excluded(k.2)).copied())
                .min()
                .map(|k| k.2),
            RoutingModel::MostAvailable => fits
                .rev()
                .find_map(|(_, b)| b.by_idle.iter().find(|k| !excluded(k.1)).copied())
                .map(|k| k.1),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rank(id: u64, free: u32, open: u32, last: Option<u64>) -> AgentRank {
        AgentRank {
            id: AgentId(id),
            free,
            open_work: open,
            last_assigned: last.map(Timestamp),
        }
    }

    #[test]
    fn least_active_prefers_fewest_open_then_idle_longest() {
        let mut ix = AgentIndex::default();
        ix.insert(rank(1, 2, 1, Some(10)));
        ix.insert(rank(2, 1, 0, Some(50)));
        ix.insert(rank(3, 3, 0, Some(20)));
        assert_eq!(
            ix.best(RoutingModel::LeastActive, 1, |_| false),
            Some(AgentId(3))
        );
        assert_eq!(
            ix.best(RoutingModel::LeastActive, 2, |_| false),
            Some(AgentId(3))
        );
        assert_eq!(
            ix.best(RoutingModel::LeastActive, 1, |a| a == AgentId(3)),
            Some(AgentId(2))
        );
        assert_eq!(ix.best(RoutingModel::LeastActive, 4, |_| false), None);
        assert_eq!(ix.count_free(1), 3);
        assert_eq!(ix.count_free(2), 2);
        assert_eq!(ix.count_free(4), 0);
    }

    #[test]
    fn most_available_prefers_most_free_then_idle_longest() {
        let mut ix = AgentIndex::default();
        ix.insert(rank(1, 3, 0, Some(30)));
        ix.insert(rank(2, 3, 0, None));
        ix.insert(rank(3, 1, 0, None));
        assert_eq!(
            ix.best(RoutingModel::MostAvailable, 1, |_| false),
            Some(AgentId(2))
        );
        ix.remove(rank(2, 3, 0, None));
        ix.update(rank(3, 1, 0, None), rank(3, 2, 1, Some(40)));
        assert_eq!(
            ix.best(RoutingModel::MostAvailable, 1, |_| false),
            Some(AgentId(1))
        );
        assert_eq!(
            ix.best(RoutingModel::LeastActive, 2, |a| a == AgentId(1)),
            Some(AgentId(3))
        );
        assert_eq!(ix.online_count(), 2);
        assert!(!ix.contains(AgentId(2)));
    }

    #[test]
    fn full_agents_stay_online_but_are_never_picked() {
        let mut ix = AgentIndex::default();
        ix.insert(rank(1, 0, 2, Some(1)));
        assert_eq!(ix.online_count(), 1);
        assert_eq!(ix.best(RoutingModel::LeastActive, 1, |_| false), None);
    }
}
