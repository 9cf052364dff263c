//! Routing flows in a scenario (`[[flows]]`), the pre-chat fields customers draw, and the flow
//! decisions a client can work out for itself (docs/scenarios.md, "Routing flows").

use super::dist::Span;
use super::{Scenario, parse_skill};
use omnisim_protocol::flow::{DEFAULT_RULE, in_time_window};
use omnisim_protocol::*;
use rand::Rng;
use serde::Deserialize;
use std::collections::BTreeMap;

/// A flow: rules tried in order, a default target and a fallback queue (protocol.md R-FLOW-1).
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FlowDef {
    pub name: String,
    #[serde(default)]
    pub rules: Vec<FlowRuleDef>,
    pub default: TargetDef,
    pub fallback_queue: String,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FlowRuleDef {
    pub name: String,
    #[serde(default)]
    pub when: WhenDef,
    pub to: TargetDef,
}

/// A rule's conditions, all of which must hold (R-FLOW-2).
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WhenDef {
    /// Channel names.
    #[serde(default)]
    pub channels: Vec<String>,
    /// Bot intent ids.
    #[serde(default)]
    pub intents: Vec<String>,
    /// Field → the values it must equal one of.
    #[serde(default)]
    pub fields: BTreeMap<String, Vec<String>>,
    #[serde(default)]
    pub present: Vec<String>,
    #[serde(default)]
    pub absent: Vec<String>,
    /// `"HH:MM-HH:MM"` (UTC), wrapping past midnight when the start is later.
    pub time_of_day: Option<String>,
    pub agents_at_least: Option<QueueCount>,
    pub waiting_at_most: Option<QueueCount>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QueueCount {
    pub queue: String,
    pub n: u32,
}

/// Where a rule sends the work: exactly one of `queue`, `bot`, `agent` (R-FLOW-3).
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TargetDef {
    pub queue: Option<String>,
    pub bot: Option<String>,
    /// An agent's name: `GROUP-i`, the `i`th agent of a group.
    pub agent: Option<String>,
    pub priority: Option<u32>,
    pub secondary_priority: Option<u32>,
    /// Skills beside the queue's, as `"name"` or `"name:level"`.
    #[serde(default)]
    pub skills: Vec<String>,
    /// When the `skills` stop counting, from the request; absent: never.
    pub drop_skills_after: Option<Span>,
    /// Direct routing: how long the agent has to accept.
    pub timeout: Option<Span>,
    /// Direct routing: where the work goes after; absent: the flow's fallback queue.
    pub fallback_queue: Option<String>,
}

/// The ids of what a scenario created, by name: what flow specs are built from.
#[derive(Clone, Debug, Default)]
pub struct Ids {
    pub queues: BTreeMap<String, QueueId>,
    pub bots: BTreeMap<String, BotId>,
    pub channels: BTreeMap<String, ChannelId>,
    pub agents: BTreeMap<String, AgentId>,
}

/// A parsed `"HH:MM-HH:MM"`: ms since midnight, start and end.
pub fn parse_window(s: &str) -> Result<(u32, u32), String> {
    let time = |t: &str| -> Option<u32> {
        let (h, m) = t.trim().split_once(':')?;
        let (h, m): (u32, u32) = (h.parse().ok()?, m.parse().ok()?);
        (h < 24 && m < 60).then_some((h * 60 + m) * 60_000)
    };
    let bad = || format!("'{s}' is not HH:MM-HH:MM with two different times");
    let (from, to) = s.split_once('-').ok_or_else(bad)?;
    match (time(from), time(to)) {
        (Some(f), Some(t)) if f != t => Ok((f, t)),
        _ => Err(bad()),
    }
}

fn skills(list: &[String], drop: Option<Span>) -> Vec<FlowSkill> {
    list.iter()
        .filter_map(|s| parse_skill(s).ok())
        .map(|(skill, min_level)| FlowSkill {
            skill,
            min_level,
            drop_after_ms: drop.map(|d| Millis(d.0.as_millis() as u64)),
        })
        .collect()
}

impl TargetDef {
    /// The protocol target; `None` when a name it uses was not created.
    fn spec(&self, ids: &Ids) -> Option<FlowTarget> {
        if let Some(q) = &self.queue {
            return Some(FlowTarget::Queue {
                queue: *ids.queues.get(q)?,
                priority: self.priority,
                secondary_priority: self.secondary_priority,
                skills: skills(&self.skills, self.drop_skills_after),
            });
        }
        if let Some(b) = &self.bot {
            return Some(FlowTarget::Bot {
                bot: *ids.bots.get(b)?,
            });
        }
        let agent = *ids.agents.get(self.agent.as_ref()?)?;
        let fallback_queue = match &self.fallback_queue {
            Some(q) => Some(*ids.queues.get(q)?),
            None => None,
        };
        Some(FlowTarget::Agent {
            agent,
            timeout_ms: Millis(self.timeout?.0.as_millis() as u64),
            fallback_queue,
        })
    }

    /// Checks the target against the scenario: one kind, names that exist, settings that fit it.
    fn check(&self, s: &Scenario) -> Result<(), String> {
        let kinds = [&self.queue, &self.bot, &self.agent];
        if kinds.iter().filter(|k| k.is_some()).count() != 1 {
            return Err("give exactly one of queue, bot or agent".into());
        }
        let queue_known = |q: &String| s.queues.iter().any(|x| &x.name == q);
        for q in self.queue.iter().chain(&self.fallback_queue) {
            if !queue_known(q) {
                return Err(format!("unknown queue '{q}'"));
            }
        }
        if let Some(b) = &self.bot {
            if !s.bots.iter().any(|x| &x.name == b) {
                return Err(format!("unknown bot '{b}'"));
            }
        }
        for skill in &self.skills {
            parse_skill(skill)?;
        }
        let queue_only = self.priority.is_some()
            || self.secondary_priority.is_some()
            || !self.skills.is_empty()
            || self.drop_skills_after.is_some();
        if queue_only && self.queue.is_none() {
            return Err("priority, secondary_priority and skills go with a queue target".into());
        }
        match &self.agent {
            Some(a) if !s.agent_names().any(|n| &n == a) => Err(format!(
                "unknown agent '{a}' (agents are named GROUP-i, from 0)"
            )),
            Some(_) if self.timeout.is_none_or(|t| t.0.is_zero()) => {
                Err("an agent target needs a positive timeout".into())
            }
            None if self.timeout.is_some() || self.fallback_queue.is_some() => {
                Err("timeout and fallback_queue go with an agent target".into())
            }
            _ => Ok(()),
        }
    }
}

impl FlowDef {
    /// The protocol body; `None` when a name it uses was not created.
    pub fn spec(&self, ids: &Ids) -> Option<FlowSpec> {
        let mut rules = Vec::new();
        for r in &self.rules {
            rules.push(FlowRule {
                name: r.name.clone(),
                conditions: r.when.conditions(ids)?,
                target: r.to.spec(ids)?,
            });
        }
        Some(FlowSpec {
            name: self.name.clone(),
            rules,
            default: self.default.spec(ids)?,
            fallback_queue: *ids.queues.get(&self.fallback_queue)?,
        })
    }

    /// A body that names only queues: created before the bots and channels a full one may name,
    /// then replaced by the full one, so that flows, bots and channels may name each other.
    pub fn provisional(&self, ids: &Ids) -> Option<FlowSpec> {
        let fallback_queue = *ids.queues.get(&self.fallback_queue)?;
        Some(FlowSpec {
            name: self.name.clone(),
            rules: Vec::new(),
            default: FlowTarget::Queue {
                queue: fallback_queue,
                priority: None,
                secondary_priority: None,
                skills: Vec::new(),
            },
            fallback_queue,
        })
    }

    /// Checks the flow against the scenario.
    pub fn check(&self, s: &Scenario) -> Result<(), (String, String)> {
        let at = |field: String| move |m: String| (field, m);
        if !s.queues.iter().any(|q| q.name == self.fallback_queue) {
            return Err((
                "fallback_queue".into(),
                format!("unknown queue '{}'", self.fallback_queue),
            ));
        }
        self.default.check(s).map_err(at("default".into()))?;
        let mut names = std::collections::HashSet::new();
        for (i, r) in self.rules.iter().enumerate() {
            if r.name == DEFAULT_RULE || !names.insert(r.name.as_str()) {
                return Err((
                    format!("rules[{i}].name"),
                    format!("'{}' is 'default' or appears twice", r.name),
                ));
            }
            r.when.check(s).map_err(at(format!("rules[{i}].when")))?;
            r.to.check(s).map_err(at(format!("rules[{i}].to")))?;
        }
        Ok(())
    }

    /// The rule a session decides by, as far as a client can tell: `Some(name)` (or `default`)
    /// when every condition up to the deciding rule reads only what the client knows (channel,
    /// intent, fields, the time of day `day_ms`); `None` when a condition on the platform's state
    /// comes first (R-FLOW-1).
    pub fn expected_rule(
        &self,
        channel: &str,
        intent: Option<&str>,
        fields: &BTreeMap<String, String>,
        day_ms: u64,
    ) -> Option<&str> {
        for r in &self.rules {
            if r.when.agents_at_least.is_some() || r.when.waiting_at_most.is_some() {
                return None;
            }
            if r.when.holds(channel, intent, fields, day_ms) {
                return Some(&r.name);
            }
        }
        Some(DEFAULT_RULE)
    }
}

impl WhenDef {
    fn conditions(&self, ids: &Ids) -> Option<Vec<Condition>> {
        let mut out = Vec::new();
        if !self.channels.is_empty() {
            let channels = self.channels.iter().map(|c| ids.channels.get(c).copied());
            out.push(Condition::Channel {
                channels: channels.collect::<Option<_>>()?,
            });
        }
        if !self.intents.is_empty() {
            out.push(Condition::Intent {
                intents: self.intents.clone(),
            });
        }
        for (field, values) in &self.fields {
            out.push(Condition::FieldIn {
                field: field.clone(),
                values: values.clone(),
            });
        }
        for field in &self.present {
            out.push(Condition::FieldPresent {
                field: field.clone(),
            });
        }
        for field in &self.absent {
            out.push(Condition::FieldAbsent {
                field: field.clone(),
            });
        }
        if let Some(w) = &self.time_of_day {
            let (from_ms, to_ms) = parse_window(w).ok()?;
            out.push(Condition::TimeOfDay { from_ms, to_ms });
        }
        if let Some(c) = &self.agents_at_least {
            out.push(Condition::AgentsAtLeast {
                queue: *ids.queues.get(&c.queue)?,
                n: c.n,
            });
        }
        if let Some(c) = &self.waiting_at_most {
            out.push(Condition::WaitingAtMost {
                queue: *ids.queues.get(&c.queue)?,
                n: c.n,
            });
        }
        Some(out)
    }

    fn check(&self, s: &Scenario) -> Result<(), String> {
        for c in &self.channels {
            if !s.channels.iter().any(|x| &x.name == c) {
                return Err(format!("unknown channel '{c}'"));
            }
        }
        if let Some(w) = &self.time_of_day {
            parse_window(w)?;
        }
        for q in [&self.agents_at_least, &self.waiting_at_most]
            .into_iter()
            .flatten()
        {
            if !s.queues.iter().any(|x| x.name == q.queue) {
                return Err(format!("unknown queue '{}'", q.queue));
            }
        }
        if self.fields.values().any(Vec::is_empty) {
            return Err("a field condition needs at least one value".into());
        }
        Ok(())
    }

    /// Whether the conditions a client can read hold (R-FLOW-2).
    fn holds(
        &self,
        channel: &str,
        intent: Option<&str>,
        fields: &BTreeMap<String, String>,
        day_ms: u64,
    ) -> bool {
        let in_window = self.time_of_day.as_deref().is_none_or(|w| {
            parse_window(w).is_ok_and(|(from, to)| in_time_window(day_ms, from, to))
        });
        (self.channels.is_empty() || self.channels.iter().any(|c| c == channel))
            && (self.intents.is_empty()
                || intent.is_some_and(|i| self.intents.iter().any(|x| x == i)))
            && self
                .fields
                .iter()
                .all(|(f, values)| fields.get(f).is_some_and(|v| values.contains(v)))
            && self.present.iter().all(|f| fields.contains_key(f))
            && self.absent.iter().all(|f| !fields.contains_key(f))
            && in_window
    }
}

/// Field → value → weight: the pre-chat fields a customer fills in (`[customers] fields`).
pub type FieldDists = BTreeMap<String, BTreeMap<String, f64>>;

/// One draw of every field by its weights (a field whose weights are all zero is left out).
pub fn draw_fields(dists: &FieldDists, rng: &mut impl Rng) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for (field, values) in dists {
        let total: f64 = values.values().sum();
        if total <= 0.0 {
            continue;
        }
        let mut roll = rng.random::<f64>() * total;
        let mut chosen = None;
        for (value, w) in values {
            chosen = Some(value);
            if roll < *w {
                break;
            }
            roll -= w;
        }
        if let Some(v) = chosen {
            out.insert(field.clone(), v.clone());
        }
    }
    out
}

/// Checks `[customers] fields` against the protocol's limits (R-FLOW-6).
pub fn check_fields(dists: &FieldDists) -> Result<(), String> {
    use omnisim_protocol::limits::{
        MAX_FIELD_NAME_BYTES, MAX_FIELD_VALUE_BYTES, MAX_PRECHAT_FIELDS,
    };
    if dists.len() > MAX_PRECHAT_FIELDS {
        return Err(format!("at most {MAX_PRECHAT_FIELDS} fields"));
    }
    for (field, values) in dists {
        if field.is_empty() || field.len() > MAX_FIELD_NAME_BYTES {
            return Err(format!("field names are 1 to {MAX_FIELD_NAME_BYTES} bytes"));
        }
        for (value, w) in values {
            if value.len() > MAX_FIELD_VALUE_BYTES {
                return Err(format!(
                    "{field}: values are at most {MAX_FIELD_VALUE_BYTES} bytes"
                ));
            }
            if !(w.is_finite() && *w >= 0.0) {
                return Err(format!("{field}.{value}: weights are non-negative numbers"));
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::ScenarioError;

    const BASE: &str = r#"
name = "f"
duration = "10s"
[[queues]]
name = "q"
[[bots]]
name = "b"
greeting = "Hi"
question = "What?"
fallback = "Wait"
intents = [{ id = "x", label = "X", resolve = "ok" }]
[[channels]]
name = "web"
kind = "web"
platform = "standard"
entry = "flow:front"
[[agents]]
name = "am"
count = 2
capacity = 1
[arrivals]
rate = "1/s"
[customers]
fields = { tier = { gold = 1.0 } }
[[flows]]
name = "front"
fallback_queue = "q"
default = { queue = "q" }
"#;

    fn parse(rules: &str) -> Result<Scenario, ScenarioError> {
        Scenario::parse(&format!("{BASE}{rules}"), "f.toml")
    }

    fn invalid(rules: &str) -> String {
        match parse(rules) {
            Err(ScenarioError::Invalid { field, message, .. }) => format!("{field}: {message}"),
            other => panic!("expected an invalid scenario, got {other:?}"),
        }
    }

    #[test]
    fn windows_are_hours_and_minutes_that_differ() {
        assert_eq!(parse_window("18:00-08:30"), Ok((64_800_000, 30_600_000)));
        assert!(parse_window("08:00-08:00").is_err());
        assert!(parse_window("24:00-01:00").is_err());
        assert!(parse_window("8-9").is_err());
    }

    #[test]
    fn rules_name_what_the_scenario_has_and_one_kind_of_target() {
        let ok = "[[flows.rules]]\nname = \"vip\"\nwhen = { fields = { tier = [\"gold\"] } }\nto = { agent = \"am-1\", timeout = \"5s\" }";
        let s = parse(ok).unwrap();
        let rule = s.flows[0].expected_rule(
            "web",
            None,
            &BTreeMap::from([("tier".into(), "gold".into())]),
            0,
        );
        assert_eq!(rule, Some("vip"));
        assert_eq!(
            s.flows[0].expected_rule("web", None, &BTreeMap::new(), 0),
            Some("default")
        );
        for (rules, says) in [
            (
                "[[flows.rules]]\nname = \"r\"\nto = { agent = \"am-2\", timeout = \"5s\" }",
                "unknown agent 'am-2'",
            ),
            (
                "[[flows.rules]]\nname = \"r\"\nto = { agent = \"am-0\" }",
                "positive timeout",
            ),
            (
                "[[flows.rules]]\nname = \"r\"\nto = { queue = \"q\", bot = \"b\" }",
                "exactly one",
            ),
            (
                "[[flows.rules]]\nname = \"r\"\nto = { bot = \"b\", priority = 0 }",
                "go with a queue",
            ),
            (
                "[[flows.rules]]\nname = \"r\"\nwhen = { time_of_day = \"9-5\" }\nto = { queue = \"q\" }",
                "HH:MM-HH:MM",
            ),
            (
                "[[flows.rules]]\nname = \"default\"\nto = { queue = \"q\" }",
                "'default'",
            ),
            (
                "[[flows.rules]]\nname = \"r\"\nwhen = { channels = [\"fax\"] }\nto = { queue = \"q\" }",
                "unknown channel",
            ),
        ] {
            let message = invalid(rules);
            assert!(message.starts_with("flows[0]."), "{message}");
            assert!(message.contains(says), "{says}: {message}");
        }
    }

    #[test]
    fn a_rule_on_the_platforms_state_stops_the_client_working_out_the_decision() {
        let rules = "[[flows.rules]]\nname = \"free\"\nwhen = { agents_at_least = { queue = \"q\", n = 1 } }\nto = { queue = \"q\" }";
        let s = parse(rules).unwrap();
        assert_eq!(
            s.flows[0].expected_rule("web", None, &BTreeMap::new(), 0),
            None
        );
    }

    #[test]
    fn fields_are_drawn_by_their_weights() {
        use rand::SeedableRng;
        let dists: FieldDists = BTreeMap::from([(
            "language".into(),
            BTreeMap::from([("en".into(), 3.0), ("fr".into(), 1.0), ("de".into(), 0.0)]),
        )]);
        let mut rng = rand::rngs::SmallRng::seed_from_u64(1);
        let fr = (0..4000)
            .filter(|_| draw_fields(&dists, &mut rng)["language"] == "fr")
            .count();
        assert!(
            (800..1200).contains(&fr),
            "{fr} of 4000 where 1000 are expected"
        );
        assert!(check_fields(&dists).is_ok());
        let long = BTreeMap::from([("x".repeat(65), BTreeMap::new())]);
        assert!(check_fields(&long).is_err());
    }
}
