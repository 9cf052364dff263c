//! Skills as routing sees them: names interned to small ids, and requirement sets interned so that
//! work with the same needs shares one pool of eligible agents (R-ROUTE-1).

use crate::fast_map::FastMap;
use omnisim_protocol::SkillRequirement;

/// A skill name, interned per org.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SkillId(pub u32);

/// Skill → level pairs sorted by skill: what an agent has, or what work needs (minimum levels).
pub type SkillLevels = Vec<(SkillId, u8)>;

/// Interns skill names so routing compares integers, not strings.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SkillNames {
    ids: FastMap<String, SkillId>,
}

impl SkillNames {
    /// The id of `name`, allocating one on first sight.
    pub fn intern(&mut self, name: &str) -> SkillId {
        let next = SkillId(self.ids.len() as u32);
        *self.ids.entry(name.to_owned()).or_insert(next)
    }

    /// Requirements as sorted levels; a skill named twice keeps its highest minimum.
    pub fn requirements(&mut self, reqs: &[SkillRequirement]) -> SkillLevels {
        merge(reqs.iter().map(|r| (self.intern(&r.skill), r.min_level)))
    }

    /// An agent's skills as sorted levels.
    pub fn levels<'a>(
        &mut self,
        skills: impl IntoIterator<Item = (&'a String, &'a u8)>,
    ) -> SkillLevels {
        merge(
            skills
                .into_iter()
                .map(|(name, level)| (self.intern(name), *level)),
        )
    }
}

/// Sorts by skill and keeps the highest level per skill.
pub fn merge(items: impl IntoIterator<Item = (SkillId, u8)>) -> SkillLevels {
    let mut v: SkillLevels = items.into_iter().collect();
    v.sort_unstable();
    // After sorting, the last entry of each skill run has the highest level.
    let mut out: SkillLevels = Vec::with_capacity(v.len());
    for (skill, level) in v {
        match out.last_mut() {
            Some(last) if last.0 == skill => last.1 = level,
            _ => out.push((skill, level)),
        }
    }
    out
}

/// Whether `has` meets every minimum in `needs` (both sorted by skill).
pub fn satisfies(has: &[(SkillId, u8)], needs: &[(SkillId, u8)]) -> bool {
    let mut has = has.iter().peekable();
    'need: for &(skill, min) in needs {
        while let Some(&&(s, level)) = has.peek() {
            if s < skill {
                has.next();
                continue;
            }
            if s == skill && level >= min {
                has.next();
                continue 'need;
            }
            return false;
        }
        return false;
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn satisfies_checks_every_minimum() {
        let has = vec![(SkillId(1), 3), (SkillId(4), 1)];
        assert!(satisfies(&has, &[]));
        assert!(satisfies(&has, &[(SkillId(1), 3)]));
        assert!(satisfies(&has, &[(SkillId(1), 2), (SkillId(4), 1)]));
        assert!(!satisfies(&has, &[(SkillId(1), 4)]));
        assert!(!satisfies(&has, &[(SkillId(2), 1)]));
        assert!(!satisfies(&has, &[(SkillId(4), 1), (SkillId(5), 1)]));
    }

    #[test]
    fn merge_keeps_highest_minimum() {
        let merged = merge([(SkillId(2), 1), (SkillId(1), 5), (SkillId(2), 3)]);
        assert_eq!(merged, vec![(SkillId(1), 5), (SkillId(2), 3)]);
    }
}
