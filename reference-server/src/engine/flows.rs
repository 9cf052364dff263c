//! Routing flows: their setup, and the one decision each makes for a session when it first needs
//! routing (R-FLOW-1, R-FLOW-2, R-FLOW-3, R-FLOW-5).

use super::ctx::Ctx;
use super::errors::{invalid, not_found};
use super::org::Org;
use super::state::Placement;
use super::validate;
use crate::faults::Fault;
use crate::routing::SkillLevels;
use omnisim_protocol::flow::{DEFAULT_RULE, in_time_window};
use omnisim_protocol::limits::{MAX_FIELD_NAME_BYTES, MAX_TIME_OF_DAY_MS};
use omnisim_protocol::{
    ApiError, BotId, Condition, Flow, FlowError, FlowId, FlowSpec, FlowTarget, Millis, SessionId,
    SkillRequirement,
};
use std::collections::HashSet;

/// What started a flow: a channel entry, or a bot handoff with its intent and skills (R-FLOW-1).
pub(crate) enum Trigger<'a> {
    Channel,
    Handoff {
        intent: Option<&'a str>,
        skills: SkillLevels,
    },
}

/// Where a flow sent a session.
pub(crate) enum Decision {
    Wait(Placement),
    Bot(BotId),
}

fn field_name(field: &str) -> Result<(), ApiError> {
    validate::name("field", field)?;
    if field.len() > MAX_FIELD_NAME_BYTES {
        return Err(invalid(format!(
            "a field name is at most {MAX_FIELD_NAME_BYTES} bytes"
        )));
    }
    Ok(())
}

fn check_condition(c: &Condition) -> Result<(), ApiError> {
    match c {
        Condition::Channel { channels } => validate::count("channels", channels.len(), 1),
        Condition::Intent { intents } => {
            validate::count("intents", intents.len(), 1)?;
            intents
                .iter()
                .try_for_each(|i| validate::name("intents", i))
        }
        Condition::FieldPresent { field } | Condition::FieldAbsent { field } => field_name(field),
        Condition::FieldIn { field, values } => {
            field_name(field)?;
            validate::count("values", values.len(), 1)?;
            values.iter().try_for_each(|v| validate::name("values", v))
        }
        Condition::TimeOfDay { from_ms, to_ms } => {
            if *from_ms > MAX_TIME_OF_DAY_MS || *to_ms > MAX_TIME_OF_DAY_MS {
                return Err(invalid(format!(
                    "from_ms and to_ms are times of day: 0..={MAX_TIME_OF_DAY_MS}"
                )));
            }
            if from_ms == to_ms {
                return Err(invalid("from_ms and to_ms must differ"));
            }
            Ok(())
        }
        Condition::AgentsAtLeast { .. } | Condition::WaitingAtMost { .. } => Ok(()),
    }
}

fn check_target(t: &FlowTarget) -> Result<(), ApiError> {
    match t {
        FlowTarget::Queue { skills, .. } => {
            validate::count("skills", skills.len(), 0)?;
            for s in skills {
                validate::name("skills.skill", &s.skill)?;
                validate::level("skills.min_level", s.min_level)?;
                if s.drop_after_ms == Some(Millis(0)) {
                    return Err(invalid("skills.drop_after_ms must be positive"));
                }
            }
            Ok(())
        }
        FlowTarget::Bot { .. } => Ok(()),
        FlowTarget::Agent { timeout_ms, .. } if *timeout_ms == Millis(0) => {
            Err(invalid("timeout_ms must be positive"))
        }
        FlowTarget::Agent { .. } => Ok(()),
    }
}

impl Org {
    pub fn flow(&self, id: FlowId) -> Result<&Flow, ApiError> {
        self.flows.get(&id).ok_or_else(|| not_found(id))
    }

    /// Values first, then the resources they name (protocol.md §8.1).
    fn check_flow(&self, spec: &FlowSpec) -> Result<(), ApiError> {
        validate::name("name", &spec.name)?;
        validate::count("rules", spec.rules.len(), 0)?;
        let mut names = HashSet::new();
        for rule in &spec.rules {
            validate::name("rules.name", &rule.name)?;
            if rule.name == DEFAULT_RULE {
                return Err(invalid(
                    "a rule is not called 'default': that names the default target",
                ));
            }
            if !names.insert(rule.name.as_str()) {
                return Err(invalid(format!("rule name '{}' appears twice", rule.name)));
            }
            validate::count("rules.conditions", rule.conditions.len(), 0)?;
            rule.conditions.iter().try_for_each(check_condition)?;
            check_target(&rule.target)?;
        }
        check_target(&spec.default)?;
        for rule in &spec.rules {
            for c in &rule.conditions {
                match c {
                    Condition::Channel { channels } => channels
                        .iter()
                        .try_for_each(|c| self.channel(*c).map(drop))?,
                    Condition::AgentsAtLeast { queue, .. }
                    | Condition::WaitingAtMost { queue, .. } => self.queue(*queue).map(drop)?,
                    _ => {}
                }
            }
        }
        for target in spec.rules.iter().map(|r| &r.target).chain([&spec.default]) {
            match target {
                FlowTarget::Queue { queue, .. } => self.queue(*queue).map(drop)?,
                FlowTarget::Bot { bot } => self.bot(*bot).map(drop)?,
                FlowTarget::Agent {
                    agent,
                    fallback_queue,
                    ..
                } => {
                    self.agent(*agent)?;
                    fallback_queue.map_or(Ok(()), |q| self.queue(q).map(drop))?;
                }
            }
        }
        self.queue(spec.fallback_queue).map(drop)
    }

    /// Creates a flow (R-FLOW-1).
    pub(crate) fn create_flow(&mut self, ctx: &mut Ctx, spec: FlowSpec) -> Result<Flow, ApiError> {
        self.check_flow(&spec)?;
        let id = FlowId(ctx.id());
        let flow = Flow {
            id,
            org: self.id,
            spec,
        };
        self.flows.insert(id, flow.clone());
        Ok(flow)
    }

    /// Replaces a flow's rules and targets: sessions routed already keep their decision
    /// (R-FLOW-1).
    pub(crate) fn update_flow(&mut self, id: FlowId, spec: FlowSpec) -> Result<Flow, ApiError> {
        self.flow(id)?;
        self.check_flow(&spec)?;
        let flow = self.flows.get_mut(&id).expect("checked above");
        flow.spec = spec;
        Ok(flow.clone())
    }

    /// Whether condition `c` holds for `session` now (R-FLOW-2).
    fn holds(
        &mut self,
        ctx: &Ctx,
        c: &Condition,
        session: SessionId,
        intent: Option<&str>,
    ) -> bool {
        let s = &self.sessions[&session];
        let field = |f: &str| s.context.fields.get(f);
        match c {
            Condition::Channel { channels } => channels.contains(&s.info.channel),
            Condition::Intent { intents } => intent.is_some_and(|i| intents.iter().any(|x| x == i)),
            Condition::FieldPresent { field: f } => field(f).is_some(),
            Condition::FieldAbsent { field: f } => field(f).is_none(),
            Condition::FieldIn { field: f, values } => {
                field(f).is_some_and(|v| values.iter().any(|x| x == v))
            }
            Condition::TimeOfDay { from_ms, to_ms } => {
                let wraps = from_ms > to_ms;
                (!wraps || !self.faults.has(Fault::TimeWindowNoWrap))
                    && in_time_window(ctx.now.0, *from_ms, *to_ms)
            }
            Condition::AgentsAtLeast { queue, n } => {
                let Some(q) = self.queues.get(queue) else {
                    return false;
                };
                let weight = q.spec.capacity_weight;
                let req = self.requirements(*queue, std::iter::empty());
                self.router.agents(req).count_free(weight) >= *n as usize
            }
            Condition::WaitingAtMost { queue, n } => {
                self.queues.get(queue).is_some_and(|q| q.waiting <= *n)
            }
        }
    }

    /// Runs `flow` for `session`: the first rule whose conditions all hold decides, else the
    /// default; a target that cannot take the session sends it to the fallback queue. The
    /// routing context records the flow, the rule and any error (R-FLOW-1, R-FLOW-3, R-FLOW-5).
    pub(crate) fn run_flow(
        &mut self,
        ctx: &Ctx,
        session: SessionId,
        flow: FlowId,
        trigger: Trigger<'_>,
    ) -> Decision {
        let spec = self.flows[&flow].spec.clone();
        let (intent, skills, from_handoff) = match trigger {
            Trigger::Handoff { intent, skills } => (intent, skills, true),
            Trigger::Channel => (None, Vec::new(), false),
        };
        let mut matched = None;
        for (i, rule) in spec.rules.iter().enumerate() {
            let all = rule
                .conditions
                .iter()
                .all(|c| self.holds(ctx, c, session, intent));
            if all {
                matched = Some(i);
                if !self.faults.has(Fault::FlowLastMatchWins) {
                    break;
                }
            }
        }
        let (rule, target) = match matched {
            Some(i) => (spec.rules[i].name.clone(), &spec.rules[i].target),
            None => (DEFAULT_RULE.to_owned(), &spec.default),
        };
        let decision = self.decide(target, &spec, skills, from_handoff);
        let context = &mut self.session_mut(session).context;
        context.flow = Some(flow);
        context.flow_rule = Some(rule);
        match decision {
            Ok(d) => d,
            Err((error, skills)) => {
                context.flow_error = Some(error);
                Decision::Wait(Placement::queue(spec.fallback_queue, skills))
            }
        }
    }

    /// What `target` does with a session needing `skills` beside its queue's, or why it cannot
    /// take it (R-FLOW-3, R-FLOW-5).
    fn decide(
        &mut self,
        target: &FlowTarget,
        spec: &FlowSpec,
        skills: SkillLevels,
        from_handoff: bool,
    ) -> Result<Decision, (FlowError, SkillLevels)> {
        let exists = match target {
            FlowTarget::Queue { queue, .. } => self.queues.contains_key(queue),
            FlowTarget::Bot { bot } => self.bots.contains_key(bot),
            FlowTarget::Agent {
                agent,
                fallback_queue,
                ..
            } => {
                self.agents.contains_key(agent)
                    && fallback_queue.is_none_or(|q| self.queues.contains_key(&q))
            }
        };
        if !exists {
            return Err((FlowError::TargetMissing, skills));
        }
        Ok(match target {
            FlowTarget::Queue {
                queue,
                priority,
                secondary_priority,
                skills: flow_skills,
            } => {
                let mut placement = Placement::queue(*queue, skills);
                placement.priority =
                    priority.filter(|_| !self.faults.has(Fault::FlowPriorityIgnored));
                placement.secondary = *secondary_priority;
                for s in flow_skills {
                    let req = SkillRequirement {
                        skill: s.skill.clone(),
                        min_level: s.min_level,
                    };
                    let levels = self.skills.requirements(std::slice::from_ref(&req));
                    placement.skills.push((levels, s.drop_after_ms));
                }
                Decision::Wait(placement)
            }
            FlowTarget::Bot { .. }
                if from_handoff && !self.faults.has(Fault::FlowBotFromHandoff) =>
            {
                return Err((FlowError::BotFromHandoff, skills));
            }
            FlowTarget::Bot { bot } => Decision::Bot(*bot),
            FlowTarget::Agent {
                agent,
                timeout_ms,
                fallback_queue,
            } => {
                let queue = fallback_queue.unwrap_or(spec.fallback_queue);
                let mut placement = Placement::queue(queue, skills);
                if !self.faults.has(Fault::DirectToAnyone) {
                    placement.direct = Some((*agent, *timeout_ms));
                }
                Decision::Wait(placement)
            }
        })
    }
}
