//! The agents of a simulation with a free chat slot, ordered by the chats they hold and then by
//! index: a new contact goes to the first of them. The order is the model's (the agent holding
//! the fewest chats), the tie-break makes a seed reproduce its run.
//!
//! One bit per agent and level of chats held: a contact's arrival and completion move an agent
//! between two levels by flipping two bits, and finding the first agent reads a few words,
//! where a search tree of (chats, agent) pairs cost a fifth of the simulation's time.

/// Which agents hold how many chats, for those below their limit.
#[derive(Clone, Debug)]
pub struct FreeSlots {
    /// Words per level: `agents / 64`, rounded up.
    words: usize,
    /// Level j (agents holding j chats) at `bits[j * words..(j + 1) * words]`.
    bits: Vec<u64>,
    /// Agents at each level, so that empty levels are skipped without reading their words.
    count: Vec<u32>,
}

impl FreeSlots {
    /// `agents` agents holding no chats, able to hold up to `levels` (chats 0 to `levels − 1`
    /// leave a slot free).
    pub fn new(agents: u32, levels: usize) -> FreeSlots {
        let words = (agents as usize).div_ceil(64);
        let mut free = FreeSlots {
            words,
            bits: vec![0; words * levels],
            count: vec![0; levels],
        };
        for agent in 0..agents {
            free.insert(0, agent);
        }
        free
    }

    fn at(&self, level: usize, agent: u32) -> (usize, u64) {
        (level * self.words + agent as usize / 64, 1 << (agent % 64))
    }

    /// `agent` now holds `level` chats and has a slot free.
    pub fn insert(&mut self, level: usize, agent: u32) {
        let (word, bit) = self.at(level, agent);
        debug_assert_eq!(self.bits[word] & bit, 0, "agent {agent} already at {level}");
        self.bits[word] |= bit;
        self.count[level] += 1;
    }

    /// `agent`, holding `level` chats, leaves that level.
    pub fn remove(&mut self, level: usize, agent: u32) {
        let (word, bit) = self.at(level, agent);
        debug_assert_ne!(self.bits[word] & bit, 0, "agent {agent} not at {level}");
        self.bits[word] &= !bit;
        self.count[level] -= 1;
    }

    /// The agent holding the fewest chats, the lowest index among equals; none when every slot
    /// is taken.
    pub fn first(&self) -> Option<u32> {
        let level = self.count.iter().position(|c| *c > 0)?;
        let words = &self.bits[level * self.words..(level + 1) * self.words];
        let (i, word) = words.iter().enumerate().find(|(_, w)| **w != 0)?;
        Some(i as u32 * 64 + word.trailing_zeros())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::rngs::SmallRng;
    use rand::{Rng, SeedableRng};
    use std::collections::BTreeSet;

    #[test]
    fn the_first_agent_holds_the_fewest_chats_then_has_the_lowest_index() {
        let mut free = FreeSlots::new(130, 3);
        assert_eq!(free.first(), Some(0));
        free.remove(0, 0);
        free.insert(1, 0);
        assert_eq!(free.first(), Some(1), "agent 0 holds a chat, agent 1 none");
        for agent in 1..130 {
            free.remove(0, agent);
            free.insert(1, agent);
        }
        assert_eq!(free.first(), Some(0), "all hold one: the lowest index");
        for agent in 0..129 {
            free.remove(1, agent);
        }
        assert_eq!(free.first(), Some(129), "past the second word");
        free.remove(1, 129);
        assert_eq!(free.first(), None);
    }

    /// Random moves, each level at most its agents, checked against the ordered set the
    /// simulation used before.
    #[test]
    fn agrees_with_an_ordered_set_of_chats_and_agents() {
        let (agents, levels) = (200u32, 4usize);
        let mut free = FreeSlots::new(agents, levels);
        let mut model: BTreeSet<(usize, u32)> = (0..agents).map(|a| (0, a)).collect();
        let mut held = vec![0usize; agents as usize];
        let mut rng = SmallRng::seed_from_u64(7);
        for _ in 0..100_000 {
            let agent = rng.random_range(0..agents);
            let a = agent as usize;
            let up = rng.random_bool(0.5);
            if (up && held[a] == levels) || (!up && held[a] == 0) {
                continue;
            }
            if held[a] < levels {
                free.remove(held[a], agent);
                model.remove(&(held[a], agent));
            }
            held[a] = if up { held[a] + 1 } else { held[a] - 1 };
            if held[a] < levels {
                free.insert(held[a], agent);
                model.insert((held[a], agent));
            }
            assert_eq!(free.first(), model.first().map(|(_, a)| *a));
        }
    }
}
