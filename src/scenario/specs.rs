//! A scenario's resources as protocol setup bodies: what a live run posts to its target and a
//! virtual run applies to its engine, built in one place so that both set up the same world.

use super::{AgentGroup, BotDef, ChannelDef, QueueDef, parse_skill};
use omnisim_protocol::*;
use std::collections::BTreeMap;
use std::sync::Arc;

fn requirements(skills: &[String]) -> Vec<SkillRequirement> {
    skills
        .iter()
        .filter_map(|s| parse_skill(s).ok())
        .map(|(skill, min_level)| SkillRequirement { skill, min_level })
        .collect()
}

fn millis(d: std::time::Duration) -> Millis {
    Millis(d.as_millis() as u64)
}

/// The queue's setup body.
pub fn queue(q: &QueueDef) -> QueueSpec {
    QueueSpec {
        name: q.name.clone(),
        priority: q.priority,
        routing_model: q.routing_model,
        push_timeout_ms: millis(q.push_timeout.0),
        capacity_weight: q.capacity_weight,
        required_skills: requirements(&q.required_skills),
        additional_skills: requirements(&q.additional_skills),
        drop_additional_skills_after_ms: q.drop_additional_skills_after.map(|d| millis(d.0)),
        push_timeout_presence: q.push_timeout_presence,
    }
}

/// The bot's setup body; `queues` and `flows` map the scenario's names to the ids created.
pub fn bot(
    b: &BotDef,
    queues: &BTreeMap<String, QueueId>,
    flows: &BTreeMap<String, FlowId>,
) -> BotSpec {
    let intents = b
        .intents
        .iter()
        .filter_map(|i| {
            let action = match (&i.resolve, &i.handoff, &i.flow) {
                (Some(reply), _, _) => IntentAction::Resolve {
                    reply: reply.clone(),
                },
                (None, Some(q), _) => IntentAction::Handoff {
                    queue: *queues.get(q)?,
                    required_skills: Vec::new(),
                },
                (None, None, Some(f)) => IntentAction::FlowHandoff {
                    flow: *flows.get(f)?,
                    required_skills: Vec::new(),
                },
                // Loading the scenario rejects an intent with none.
                (None, None, None) => return None,
            };
            Some(Intent {
                id: i.id.clone(),
                label: i.label.clone(),
                action,
            })
        })
        .collect();
    BotSpec {
        name: b.name.clone(),
        greeting: b.greeting.clone(),
        question: b.question.clone(),
        intents,
        fields: b
            .fields
            .iter()
            .map(|f| BotField {
                name: f.clone(),
                prompt: format!("What is your {f}?"),
            })
            .collect(),
        fallback_text: b.fallback.clone(),
        agent_queue: None,
    }
}

/// The channel's setup body, entering at `entry`.
pub fn channel(c: &ChannelDef, entry: Entry) -> ChannelSpec {
    ChannelSpec {
        name: c.name.clone(),
        kind: c.kind,
        platform: c.platform,
        consent_level: c.consent_level,
        entry,
        service_window_ms: None,
        inactivity_timeout_ms: None,
        inactive_ttl_ms: None,
    }
}

/// The `i`th agent of a group.
pub fn agent(g: &AgentGroup, i: u32) -> AgentSpec {
    AgentSpec {
        name: format!("{}-{i}", g.name),
        capacity: g.capacity,
        skills: g.skills.clone(),
    }
}

/// Where the indices of outbound conversations start, apart from arrivals' (which seed a
/// customer's draws): an index from here on is a recipient's, whose address is written to again.
pub const OUTBOUND_INDICES: u64 = 1 << 40;

/// The address of the customer of arrival `index`, shared by every message the customer sends
/// and by the history checker's view of it.
pub fn customer(index: u64) -> Arc<str> {
    format!("customer-{index}").into()
}

/// The ids simulated parties put on what they send (provider and client message ids): `numbers`
/// joined by dashes, held inline (no allocation) up to 24 bytes. Built on the stack without the
/// formatting machinery, which cost a tenth of a virtual run; pushing the pieces onto the id one
/// by one cost some 2,900 instructions a session more than checking the finished bytes once.
pub fn message_id<const N: usize>(numbers: [u64; N]) -> ExternalId {
    const { assert!(N <= 3, "an id of at most three numbers fits the buffer") };
    // Three u64s of up to 20 digits and two dashes.
    let mut out = [0u8; 62];
    let mut len = 0;
    let mut digits = itoa::Buffer::new();
    for (i, n) in numbers.into_iter().enumerate() {
        if i > 0 {
            out[len] = b'-';
            len += 1;
        }
        let d = digits.format(n).as_bytes();
        out[len..len + d.len()].copy_from_slice(d);
        len += d.len();
    }
    ExternalId::new(std::str::from_utf8(&out[..len]).expect("digits and dashes are ASCII"))
}

/// The address of outbound recipient `i`, recorded with explicit consent before the run.
pub fn recipient(i: u32) -> String {
    format!("recipient-{i}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn message_ids_join_their_numbers_with_dashes_whatever_their_size() {
        assert_eq!(&*message_id([7, 42, 3]), "7-42-3");
        assert_eq!(&*message_id([0]), "0");
        let widest = u64::MAX.to_string();
        assert_eq!(
            &*message_id([u64::MAX; 3]),
            format!("{widest}-{widest}-{widest}")
        );
    }
}
