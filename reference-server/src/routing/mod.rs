//! Routing: which agent gets which waiting session. `router` holds the algorithm's indexes,
//! `agent_index` ranks agents for a routing model, `skills` interns skills and requirement sets;
//! the engine's `assignment` module applies the decisions.

pub mod agent_index;
pub mod router;
pub mod skills;

pub use agent_index::{AgentIndex, AgentRank};
pub use router::{Line, LineKey, Pick, PoolKey, ReqId, Router};
pub use skills::{SkillId, SkillLevels, SkillNames};
