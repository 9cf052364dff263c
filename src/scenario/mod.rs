//! Scenario files: what to set up on the platform, how customers arrive and behave, how agents
//! work, and the thresholds that decide the exit code. TOML, documented in docs/scenarios.md.

pub mod arrivals;
pub mod choices;
pub mod dist;
pub mod flows;
pub mod shard;
pub mod specs;

use dist::{Count, Dist, Rate, Span};
use omnisim_protocol::{ChannelKind, ConsentLevel, Platform, RoutingModel};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

/// Why a scenario cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum ScenarioError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("{path}: not a regular file; a scenario is a TOML file")]
    NotAFile { path: String },
    #[error("{path}: {size} bytes; a scenario file is at most {MAX_FILE_BYTES} bytes")]
    TooLarge { path: String, size: u64 },
    #[error("{path}: {message}")]
    Parse { path: String, message: String },
    #[error("{path}: {field}: {message}")]
    Invalid {
        path: String,
        field: String,
        message: String,
    },
}

/// The largest scenario file read: the shipped ones are under 10 KB.
pub const MAX_FILE_BYTES: u64 = 1024 * 1024;

/// A whole scenario.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    pub name: String,
    #[serde(default)]
    pub description: String,
    /// How long arrivals run.
    pub duration: Span,
    /// After the arrivals stop, how long the run waits for open sessions to finish.
    #[serde(default = "default_drain")]
    pub drain: Span,
    #[serde(default)]
    pub seed: u64,
    /// Service level: share of handed-off sessions accepted within this time.
    #[serde(default = "default_service_level")]
    pub service_level_threshold: Span,
    #[serde(default)]
    pub queues: Vec<QueueDef>,
    #[serde(default)]
    pub bots: Vec<BotDef>,
    pub channels: Vec<ChannelDef>,
    /// Routing flows, by name from channel entries (`flow:NAME`) and bot intents (`flow`).
    #[serde(default)]
    pub flows: Vec<flows::FlowDef>,
    pub agents: Vec<AgentGroup>,
    pub arrivals: Arrivals,
    #[serde(default)]
    pub customers: Customers,
    #[serde(default)]
    pub faults: Faults,
    /// Org-triggered outbound conversations (templates to recipients with consent on record).
    #[serde(default)]
    pub outbound: Option<OutboundDef>,
    /// Metric → condition, e.g. `"routing_latency.p99" = "< 250ms"`.
    #[serde(default)]
    pub thresholds: BTreeMap<String, String>,
    /// Requests the target may leave unanswered before the run fails for them (default none).
    #[serde(default)]
    pub max_transport_errors: u64,
    /// What `omnisim plan` staffs for.
    #[serde(default)]
    pub plan: PlanDef,
}

/// The staffing goal of `omnisim plan SCENARIO`: the share of contacts to answer within the
/// scenario's `service_level_threshold`, an occupancy ceiling, shrinkage, and which agent group
/// the sweep sizes.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlanDef {
    #[serde(default = "default_target")]
    pub service_level: f64,
    pub max_occupancy: Option<f64>,
    #[serde(default)]
    pub shrinkage: f64,
    /// The agent group whose size is swept (default: the first).
    pub group: Option<String>,
}

fn default_target() -> f64 {
    0.8
}

impl Default for PlanDef {
    fn default() -> Self {
        PlanDef {
            service_level: default_target(),
            max_occupancy: None,
            shrinkage: 0.0,
            group: None,
        }
    }
}

impl PlanDef {
    /// The index of the swept group in `groups`.
    pub fn group_index(&self, groups: &[AgentGroup]) -> Option<usize> {
        match &self.group {
            Some(name) => groups.iter().position(|g| &g.name == name),
            None => (!groups.is_empty()).then_some(0),
        }
    }
}

fn default_drain() -> Span {
    Span(Duration::from_secs(30))
}

fn default_service_level() -> Span {
    Span(Duration::from_secs(20))
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QueueDef {
    pub name: String,
    #[serde(default = "one")]
    pub priority: u32,
    #[serde(default)]
    pub routing_model: RoutingModel,
    #[serde(default = "default_push_timeout")]
    pub push_timeout: Span,
    #[serde(default = "one")]
    pub capacity_weight: u32,
    /// Skills as `"name"` or `"name:level"`.
    #[serde(default)]
    pub required_skills: Vec<String>,
    #[serde(default)]
    pub additional_skills: Vec<String>,
    #[serde(default)]
    pub drop_additional_skills_after: Option<Span>,
    /// What an agent who lets an offer time out is set to (`busy`, `offline`); absent: unchanged.
    #[serde(default)]
    pub push_timeout_presence: Option<omnisim_protocol::Presence>,
}

fn one() -> u32 {
    1
}

fn default_push_timeout() -> Span {
    Span(Duration::from_secs(30))
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BotDef {
    pub name: String,
    pub greeting: String,
    pub question: String,
    pub fallback: String,
    pub intents: Vec<IntentDef>,
    /// Fields the bot asks for before a handoff.
    #[serde(default)]
    pub fields: Vec<String>,
}

/// An intent: exactly one of `resolve` (the bot's answer), `handoff` (a queue name) or `flow` (a
/// flow name that decides where the session goes).
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IntentDef {
    pub id: String,
    pub label: String,
    pub resolve: Option<String>,
    pub handoff: Option<String>,
    pub flow: Option<String>,
}

impl IntentDef {
    /// Whether picking it hands the session to an agent's side (a queue or a flow).
    pub fn hands_off(&self) -> bool {
        self.handoff.is_some() || self.flow.is_some()
    }
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChannelDef {
    pub name: String,
    pub kind: ChannelKind,
    pub platform: Platform,
    /// `"bot:NAME"`, `"queue:NAME"` or `"flow:NAME"`.
    pub entry: String,
    #[serde(default)]
    pub consent_level: ConsentLevel,
    /// Share of arrivals on this channel (normalized over all channels).
    #[serde(default = "one_f64")]
    pub share: f64,
    /// How a live run's customers on this channel hear from the platform.
    #[serde(default)]
    pub delivery: Delivery,
}

/// Where a live customer reads what the platform sends it: its own stream, as a web or in-app
/// client holds one, or the channel's provider stream, as a messaging provider takes every
/// customer's messages over one connection.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Delivery {
    /// One customer stream per customer, opened with its first message (R-SEC-3, R-SESS-9).
    #[default]
    CustomerStream,
    /// One channel stream for the channel, read by the run and handed to each customer.
    ChannelStream,
}

fn one_f64() -> f64 {
    1.0
}

/// A group of identical agents.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AgentGroup {
    pub name: String,
    pub count: u32,
    pub capacity: u32,
    #[serde(default)]
    pub skills: BTreeMap<String, u8>,
    /// Time from an offer to accepting (or declining) it.
    #[serde(default = "default_accept_delay")]
    pub accept_delay: Dist,
    #[serde(default)]
    pub decline_probability: f64,
    /// Chance of ignoring an offer until its push timeout.
    #[serde(default)]
    pub no_answer_probability: f64,
    /// Time to write each reply, with one conversation in hand.
    #[serde(default = "default_reply_time")]
    pub reply_time: Dist,
    /// The agent's total work rate holding 1, 2, … conversations, relative to one alone
    /// (`[1, 1.7, 2.2]`: a third chat leaves each at 2.2/3 of solo speed); one value per unit of
    /// capacity, concave. Absent: every conversation at full speed.
    pub speed: Option<Vec<f64>>,
    /// Chance, at each customer message, of transferring the session to another queue instead of
    /// answering it.
    #[serde(default)]
    pub transfer_probability: f64,
    /// When the group is online, counted from the first arrival; absent: the whole run.
    #[serde(default)]
    pub shift: Shift,
    /// How long after accepting the agent closes a conversation itself, if the customer has not
    /// ended it first; absent: the customer always ends.
    pub conversation_length: Option<Dist>,
    /// When the agent closes a conversation on an enhanced channel, the chance it marks it
    /// inactive (R-SESS-7) instead of ending it.
    #[serde(default)]
    pub inactive_probability: f64,
}

/// An agent group's working hours within the run. Going offline turns offers not yet accepted
/// into unavailable work that is routed again; accepted conversations stay with the agent, who
/// finishes them (R-ROUTE-7).
#[derive(Clone, Copy, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Shift {
    /// When the agents go online (default: before the first arrival).
    #[serde(default)]
    pub start: Span,
    /// When they go offline (default: never).
    pub end: Option<Span>,
}

fn default_accept_delay() -> Dist {
    Dist::Exp(Duration::from_secs(1))
}

fn default_reply_time() -> Dist {
    Dist::Exp(Duration::from_secs(3))
}

/// The open arrival model: Poisson arrivals at a rate that is constant, a ramp, or per interval.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Arrivals {
    /// A constant rate, e.g. `"2/s"`.
    pub rate: Option<Rate>,
    /// A linear ramp over the whole duration.
    pub ramp: Option<Ramp>,
    /// Successive intervals, each with its own rate (e.g. a day in 15-minute intervals),
    /// starting over when the run is longer than they are (a day's profile run for a week).
    #[serde(default)]
    pub intervals: Vec<Interval>,
    /// An arrival that cannot start within this time of its schedule is dropped and counted.
    #[serde(default = "default_max_lag")]
    pub max_schedule_lag: Span,
}

fn default_max_lag() -> Span {
    Span(Duration::from_secs(1))
}

#[derive(Clone, Copy, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Ramp {
    pub from: Rate,
    pub to: Rate,
}

#[derive(Clone, Copy, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Interval {
    pub length: Span,
    pub rate: Rate,
}

/// How simulated customers behave.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Customers {
    /// Intent id → weight, for bot channels.
    #[serde(default)]
    pub intents: BTreeMap<String, f64>,
    /// Messages a customer sends once an agent has joined.
    #[serde(default = "default_messages")]
    pub messages: Count,
    #[serde(default = "default_think")]
    pub think_time: Dist,
    /// How long a customer waits for an agent before ending the session (abandoning).
    #[serde(default = "default_patience")]
    pub patience: Dist,
    /// Chance that a customer writes in again after its session ended: a new session in the same
    /// conversation (R-SESS-5).
    #[serde(default)]
    pub comeback_probability: f64,
    /// How long after the end a returning customer writes again.
    #[serde(default = "default_comeback")]
    pub comeback_delay: Dist,
    /// Pre-chat fields, field → value → weight, drawn per customer and sent with its first
    /// message on web and in-app channels (R-FLOW-6).
    #[serde(default)]
    pub fields: flows::FieldDists,
}

impl Default for Customers {
    fn default() -> Customers {
        Customers {
            intents: BTreeMap::new(),
            messages: default_messages(),
            think_time: default_think(),
            patience: default_patience(),
            comeback_probability: 0.0,
            comeback_delay: default_comeback(),
            fields: flows::FieldDists::new(),
        }
    }
}

fn default_messages() -> Count {
    Count { min: 1, max: 3 }
}

fn default_think() -> Dist {
    Dist::Exp(Duration::from_secs(3))
}

fn default_comeback() -> Dist {
    Dist::Exp(Duration::from_secs(5))
}

fn default_patience() -> Dist {
    Dist::Exp(Duration::from_secs(120))
}

/// Outbound traffic: templates sent by the org to recipients whose consent is on record; some
/// reply (and are routed like any inbound), some opt out.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OutboundDef {
    /// Outbound conversations per second (Poisson).
    pub rate: Rate,
    /// The channel name they go out on.
    pub channel: String,
    /// Recipients with explicit consent on record, `recipient-0` ...
    pub recipients: u32,
    /// Template name; the text is a short notification.
    pub template: String,
    /// Chance a recipient answers (and is routed to an agent).
    #[serde(default)]
    pub reply_probability: f64,
    /// Chance a recipient answers STOP: no outbound may reach it afterwards (R-OUT-2, R-OUT-3).
    #[serde(default)]
    pub opt_out_probability: f64,
}

/// Faults the harness injects to see the platform cope.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Faults {
    /// Chance that the provider delivers a customer message twice (same provider message id): the
    /// retry must come back as a duplicate of the original (R-SESS-3).
    #[serde(default)]
    pub provider_retry: f64,
    /// Chance that a customer's stream drops once mid-conversation; it reconnects and resumes
    /// after the last message it saw (R-SESS-9), which the history checker verifies.
    #[serde(default)]
    pub customer_reconnect: f64,
    /// Chance, after each accept, that the agent's socket drops; it reconnects and resumes from the
    /// server's hello (its live work with transcripts).
    #[serde(default)]
    pub agent_reconnect: f64,
}

/// Where a channel's sessions enter.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum EntryRef {
    Bot(String),
    Queue(String),
    Flow(String),
}

impl Arrivals {
    /// Outcome counters for the intervals (none without intervals) of a run whose arrivals
    /// last `run`.
    pub fn periods(&self, run: Duration) -> crate::measure::periods::Periods {
        crate::measure::periods::Periods::new(self.intervals.iter().map(|i| i.length.0), run)
    }

    /// The arrival rate per second at `t` into a run of length `total`.
    pub fn rate_at(&self, t: Duration, total: Duration) -> f64 {
        if let Some(r) = self.rate {
            return r.0;
        }
        if let Some(ramp) = self.ramp {
            let f = (t.as_secs_f64() / total.as_secs_f64().max(1e-9)).min(1.0);
            return ramp.from.0 + (ramp.to.0 - ramp.from.0) * f;
        }
        let cycle: Duration = self.intervals.iter().map(|i| i.length.0).sum();
        let t = crate::measure::periods::fold(t, cycle);
        let mut end = Duration::ZERO;
        for i in &self.intervals {
            end += i.length.0;
            if t < end {
                return i.rate.0;
            }
        }
        self.intervals.last().map_or(0.0, |i| i.rate.0)
    }

    /// How many arrivals a run of length `run` expects: the integral of [`Arrivals::rate_at`].
    pub fn expected(&self, run: Duration) -> f64 {
        let secs = run.as_secs_f64();
        if let Some(r) = self.rate {
            return r.0 * secs;
        }
        if let Some(ramp) = self.ramp {
            return (ramp.from.0 + ramp.to.0) / 2.0 * secs;
        }
        let cycle: f64 = self
            .intervals
            .iter()
            .map(|i| i.length.0.as_secs_f64())
            .sum();
        if cycle <= 0.0 {
            return 0.0;
        }
        let per_cycle: f64 = self
            .intervals
            .iter()
            .map(|i| i.rate.0 * i.length.0.as_secs_f64())
            .sum();
        let mut rest = secs % cycle;
        let mut partial = 0.0;
        for i in &self.intervals {
            let part = rest.min(i.length.0.as_secs_f64());
            partial += i.rate.0 * part;
            rest -= part;
        }
        (secs / cycle).floor() * per_cycle + partial
    }

    /// The highest rate anywhere in the run: the bound the arrival process thins from.
    pub fn max_rate(&self) -> f64 {
        let mut max = self.rate.map_or(0.0, |r| r.0);
        if let Some(r) = self.ramp {
            max = max.max(r.from.0).max(r.to.0);
        }
        self.intervals.iter().fold(max, |m, i| m.max(i.rate.0))
    }
}

impl ChannelDef {
    pub fn entry_ref(&self) -> Result<EntryRef, String> {
        match self.entry.split_once(':') {
            Some(("bot", name)) => Ok(EntryRef::Bot(name.to_owned())),
            Some(("queue", name)) => Ok(EntryRef::Queue(name.to_owned())),
            Some(("flow", name)) => Ok(EntryRef::Flow(name.to_owned())),
            _ => Err(format!(
                "'{}' must be bot:NAME, queue:NAME or flow:NAME",
                self.entry
            )),
        }
    }
}

/// A skill written `"name"` or `"name:level"`.
pub fn parse_skill(s: &str) -> Result<(String, u8), String> {
    match s.split_once(':') {
        Some((name, level)) => level
            .parse()
            .map(|l| (name.to_owned(), l))
            .map_err(|_| format!("'{s}': the level after ':' must be a number")),
        None => Ok((s.to_owned(), 1)),
    }
}

impl Scenario {
    /// Whether a live run's customers on some channel read streams of their own.
    pub fn customer_streams(&self) -> bool {
        (self.channels.iter()).any(|c| c.delivery == Delivery::CustomerStream)
    }

    /// Every agent's name, `GROUP-i`: what direct routing targets name.
    pub fn agent_names(&self) -> impl Iterator<Item = String> + '_ {
        self.agents
            .iter()
            .flat_map(|g| (0..g.count).map(move |i| format!("{}-{i}", g.name)))
    }

    /// Reads, parses and checks a scenario file.
    pub fn load(path: &Path) -> Result<Scenario, ScenarioError> {
        use std::io::Read;
        let shown = path.display().to_string();
        let read = |source| ScenarioError::Read {
            path: shown.clone(),
            source,
        };
        let file = std::fs::File::open(path).map_err(read)?;
        let meta = file.metadata().map_err(read)?;
        // A device or a pipe (`/dev/zero`) would be read until memory runs out.
        if !meta.is_file() {
            return Err(ScenarioError::NotAFile { path: shown });
        }
        if meta.len() > MAX_FILE_BYTES {
            return Err(ScenarioError::TooLarge {
                path: shown,
                size: meta.len(),
            });
        }
        let mut text = String::new();
        file.take(MAX_FILE_BYTES + 1)
            .read_to_string(&mut text)
            .map_err(read)?;
        if text.len() as u64 > MAX_FILE_BYTES {
            return Err(ScenarioError::TooLarge {
                path: shown,
                size: text.len() as u64,
            });
        }
        Scenario::parse(&text, &shown)
    }

    /// Parses and checks scenario text; `path` names it in errors.
    pub fn parse(text: &str, path: &str) -> Result<Scenario, ScenarioError> {
        let scenario: Scenario = toml::from_str(text).map_err(|e| ScenarioError::Parse {
            path: path.to_owned(),
            message: e.to_string(),
        })?;
        scenario
            .check()
            .map_err(|(field, message)| ScenarioError::Invalid {
                path: path.to_owned(),
                field,
                message,
            })?;
        Ok(scenario)
    }

    /// The protocol's limits on what the scenario will send to the target (protocol.md §1): a
    /// value over one would only be refused at setup, after the run has begun.
    fn check_limits(&self) -> Result<(), (String, String)> {
        use omnisim_protocol::limits::{MAX_CAPACITY, MAX_ITEMS, MAX_NAME_BYTES, MAX_TEXT_BYTES};
        let sized = |field: String, value: &str, max: usize| {
            if value.trim().is_empty() || value.len() > max {
                Err((
                    field,
                    format!(
                        "must be 1 to {max} bytes and not blank ({} given)",
                        value.len()
                    ),
                ))
            } else {
                Ok(())
            }
        };
        let name = |field: String, value: &str| sized(field, value, MAX_NAME_BYTES);
        let text = |field: String, value: &str| sized(field, value, MAX_TEXT_BYTES);
        let items = |field: String, n: usize| {
            if n > MAX_ITEMS {
                Err((field, format!("at most {MAX_ITEMS} ({n} given)")))
            } else {
                Ok(())
            }
        };
        let capacity = |field: String, n: u32| {
            if (1..=MAX_CAPACITY).contains(&n) {
                Ok(())
            } else {
                Err((field, format!("must be 1 to {MAX_CAPACITY} ({n} given)")))
            }
        };
        // The run's org is named for the scenario.
        name("name".into(), &self.name)?;
        for (i, q) in self.queues.iter().enumerate() {
            name(format!("queues[{i}].name"), &q.name)?;
            capacity(format!("queues[{i}].capacity_weight"), q.capacity_weight)?;
            items(
                format!("queues[{i}].required_skills"),
                q.required_skills.len(),
            )?;
            items(
                format!("queues[{i}].additional_skills"),
                q.additional_skills.len(),
            )?;
        }
        for (i, b) in self.bots.iter().enumerate() {
            name(format!("bots[{i}].name"), &b.name)?;
            text(format!("bots[{i}].greeting"), &b.greeting)?;
            text(format!("bots[{i}].question"), &b.question)?;
            text(format!("bots[{i}].fallback"), &b.fallback)?;
            items(format!("bots[{i}].intents"), b.intents.len())?;
            items(format!("bots[{i}].fields"), b.fields.len())?;
            for (j, f) in b.fields.iter().enumerate() {
                name(format!("bots[{i}].fields[{j}]"), f)?;
            }
            for (j, intent) in b.intents.iter().enumerate() {
                name(format!("bots[{i}].intents[{j}].id"), &intent.id)?;
                text(format!("bots[{i}].intents[{j}].label"), &intent.label)?;
                if let Some(reply) = &intent.resolve {
                    text(format!("bots[{i}].intents[{j}].resolve"), reply)?;
                }
            }
        }
        for (i, c) in self.channels.iter().enumerate() {
            name(format!("channels[{i}].name"), &c.name)?;
        }
        for (i, a) in self.agents.iter().enumerate() {
            name(format!("agents[{i}].name"), &a.name)?;
            capacity(format!("agents[{i}].capacity"), a.capacity)?;
            items(format!("agents[{i}].skills"), a.skills.len())?;
            for (skill, level) in &a.skills {
                name(format!("agents[{i}].skills"), skill)?;
                if !(1..=omnisim_protocol::limits::MAX_SKILL_LEVEL).contains(level) {
                    return Err((
                        format!("agents[{i}].skills.{skill}"),
                        format!("levels are 1 to 10 ({level} given)"),
                    ));
                }
            }
        }
        Ok(())
    }

    /// Cross-field checks serde cannot do: names that must exist, shares and probabilities.
    fn check(&self) -> Result<(), (String, String)> {
        self.check_limits()?;
        let err = |field: String, message: String| Err((field, message));
        let queue_exists = |n: &str| self.queues.iter().any(|q| q.name == n);
        let flow_exists = |n: &str| self.flows.iter().any(|f| f.name == n);
        for (i, f) in self.flows.iter().enumerate() {
            if self.flows[..i].iter().any(|g| g.name == f.name) {
                return err(
                    format!("flows[{i}].name"),
                    format!("'{}' appears twice", f.name),
                );
            }
            f.check(self)
                .map_err(|(field, m)| (format!("flows[{i}].{field}"), m))?;
        }
        flows::check_fields(&self.customers.fields)
            .map_err(|m| ("customers.fields".to_owned(), m))?;
        for (i, q) in self.queues.iter().enumerate() {
            for s in q.required_skills.iter().chain(&q.additional_skills) {
                parse_skill(s).map_err(|m| (format!("queues[{i}].required_skills"), m))?;
            }
        }
        for (i, b) in self.bots.iter().enumerate() {
            if b.intents.is_empty() {
                return err(
                    format!("bots[{i}].intents"),
                    "a bot needs at least one intent".into(),
                );
            }
            for (j, intent) in b.intents.iter().enumerate() {
                let field = format!("bots[{i}].intents[{j}]");
                match (&intent.resolve, &intent.handoff, &intent.flow) {
                    (Some(_), None, None) => {}
                    (None, Some(q), None) if queue_exists(q) => {}
                    (None, Some(q), None) => {
                        return err(field, format!("handoff names unknown queue '{q}'"));
                    }
                    (None, None, Some(f)) if flow_exists(f) => {}
                    (None, None, Some(f)) => {
                        return err(field, format!("flow names unknown flow '{f}'"));
                    }
                    _ => {
                        return err(field, "give exactly one of resolve, handoff or flow".into());
                    }
                }
            }
        }
        if self.channels.is_empty() {
            return err("channels".into(), "at least one channel is needed".into());
        }
        for (i, c) in self.channels.iter().enumerate() {
            let field = format!("channels[{i}].entry");
            match c.entry_ref().map_err(|m| (field.clone(), m))? {
                EntryRef::Bot(b) if !self.bots.iter().any(|x| x.name == b) => {
                    return err(field, format!("unknown bot '{b}'"));
                }
                EntryRef::Queue(q) if !queue_exists(&q) => {
                    return err(field, format!("unknown queue '{q}'"));
                }
                EntryRef::Flow(f) if !flow_exists(&f) => {
                    return err(field, format!("unknown flow '{f}'"));
                }
                _ => {}
            }
            if !(c.share.is_finite() && c.share >= 0.0) {
                return err(
                    format!("channels[{i}].share"),
                    "must be a non-negative number".into(),
                );
            }
        }
        if self.channels.iter().map(|c| c.share).sum::<f64>() <= 0.0 {
            return err("channels".into(), "the shares add up to zero".into());
        }
        for (i, a) in self.agents.iter().enumerate() {
            for (field, p) in [
                ("decline_probability", a.decline_probability),
                ("no_answer_probability", a.no_answer_probability),
                ("transfer_probability", a.transfer_probability),
                ("inactive_probability", a.inactive_probability),
            ] {
                if !(0.0..=1.0).contains(&p) {
                    return err(
                        format!("agents[{i}].{field}"),
                        format!("{p} is not a probability"),
                    );
                }
            }
        }
        for (i, a) in self.agents.iter().enumerate() {
            if let Some(speed) = &a.speed {
                let field = format!("agents[{i}].speed");
                if speed.len() != a.capacity as usize {
                    return err(
                        field,
                        format!("one value per unit of capacity ({})", a.capacity),
                    );
                }
                crate::plan::simulate::check_speed(speed).map_err(|m| (field, m))?;
            }
            if a.shift.end.is_some_and(|end| end.0 <= a.shift.start.0) {
                return err(
                    format!("agents[{i}].shift.end"),
                    "the shift must end after it starts".into(),
                );
            }
        }
        for (field, p) in [
            ("provider_retry", self.faults.provider_retry),
            ("customer_reconnect", self.faults.customer_reconnect),
            ("agent_reconnect", self.faults.agent_reconnect),
            (
                "customers.comeback_probability",
                self.customers.comeback_probability,
            ),
        ] {
            if !(0.0..=1.0).contains(&p) {
                return err(format!("faults.{field}"), "must be a probability".into());
            }
        }
        if self.faults.customer_reconnect > 0.0 && !self.customer_streams() {
            return err(
                "faults.customer_reconnect".into(),
                "every channel delivers by its channel stream: no customer has a stream to drop"
                    .into(),
            );
        }
        if let Some(o) = &self.outbound {
            if !self.channels.iter().any(|c| c.name == o.channel) {
                return err(
                    "outbound.channel".into(),
                    format!("unknown channel '{}'", o.channel),
                );
            }
            let (r, s) = (o.reply_probability, o.opt_out_probability);
            if !(0.0..=1.0).contains(&r) || !(0.0..=1.0).contains(&s) || r + s > 1.0 {
                return err(
                    "outbound".into(),
                    "reply and opt-out probabilities must add up to at most 1".into(),
                );
            }
            if o.recipients == 0 {
                return err(
                    "outbound.recipients".into(),
                    "at least one recipient".into(),
                );
            }
        }
        if self.duration.0.is_zero() {
            return err("duration".into(), "a run needs some time to run".into());
        }
        let a = &self.arrivals;
        if let Some(i) = a.intervals.iter().position(|i| i.length.0.is_zero()) {
            return err(
                format!("arrivals.intervals[{i}].length"),
                "an interval needs some length".into(),
            );
        }
        let given = usize::from(a.rate.is_some())
            + usize::from(a.ramp.is_some())
            + usize::from(!a.intervals.is_empty());
        if given != 1 {
            return err(
                "arrivals".into(),
                "give exactly one of rate, ramp or intervals".into(),
            );
        }
        for (intent, w) in &self.customers.intents {
            let known = self
                .bots
                .iter()
                .any(|b| b.intents.iter().any(|i| &i.id == intent));
            if !known {
                return err(
                    format!("customers.intents.{intent}"),
                    "no bot has this intent".into(),
                );
            }
            if !(w.is_finite() && *w >= 0.0) {
                return err(
                    format!("customers.intents.{intent}"),
                    "weights are non-negative numbers".into(),
                );
            }
        }
        let p = &self.plan;
        if !(p.service_level > 0.0 && p.service_level <= 1.0) {
            return err(
                "plan.service_level".into(),
                "a share above 0, at most 1".into(),
            );
        }
        if !(0.0..1.0).contains(&p.shrinkage) {
            return err(
                "plan.shrinkage".into(),
                "a share from 0 up to (not) 1".into(),
            );
        }
        if p.max_occupancy.is_some_and(|m| !(m > 0.0 && m <= 1.0)) {
            return err(
                "plan.max_occupancy".into(),
                "a share above 0, at most 1".into(),
            );
        }
        if let Some(g) = &p.group {
            if p.group_index(&self.agents).is_none() {
                return err(
                    "plan.group".into(),
                    format!("no agent group is called '{g}'"),
                );
            }
        }
        for name in self.thresholds.keys() {
            crate::measure::thresholds::Threshold::parse(name, &self.thresholds[name])
                .map_err(|m| (format!("thresholds.\"{name}\""), m))?;
        }
        Ok(())
    }
}
