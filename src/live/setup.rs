//! Creates a scenario's org, queues, bots, channels and agents on the target.

use super::client::{Client, ClientError};
use crate::actors::customer::Entrance;
use crate::scenario::flows::Ids;
use crate::scenario::{EntryRef, Scenario, specs};
use omnisim_protocol::*;
use std::collections::BTreeMap;

/// A channel as the run uses it.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct LiveChannel {
    pub id: ChannelId,
    pub name: String,
    pub platform: Platform,
    /// The queue name for queue entries.
    pub queue: Option<String>,
    /// Who answers its customers first.
    pub entrance: Entrance,
}

/// A channel about to be created: what the run will know of it once it has an id.
pub struct PendingChannel {
    name: String,
    platform: Platform,
    queue: Option<String>,
    entrance: Entrance,
}

impl PendingChannel {
    pub fn created(self, id: ChannelId) -> LiveChannel {
        LiveChannel {
            id,
            name: self.name,
            platform: self.platform,
            queue: self.queue,
            entrance: self.entrance,
        }
    }
}

/// Where channel `c` enters (a created bot, queue or flow), and the channel as the run will see
/// it.
pub fn channel_entry(
    s: &Scenario,
    c: &crate::scenario::ChannelDef,
    ids: &Ids,
    flows: &BTreeMap<String, FlowId>,
) -> Result<(Entry, PendingChannel), String> {
    let missing = |what: &str, name: &str| format!("{what} '{name}' was not created");
    let (entry, queue, entrance) = match c.entry_ref()? {
        EntryRef::Bot(b) => (
            Entry::Bot(*ids.bots.get(&b).ok_or_else(|| missing("bot", &b))?),
            None,
            Entrance::Bot(s.bots.iter().position(|x| x.name == b).unwrap_or(0)),
        ),
        EntryRef::Queue(q) => (
            Entry::Queue(*ids.queues.get(&q).ok_or_else(|| missing("queue", &q))?),
            Some(q),
            Entrance::Queue,
        ),
        EntryRef::Flow(f) => (
            Entry::Flow(*flows.get(&f).ok_or_else(|| missing("flow", &f))?),
            None,
            Entrance::Flow,
        ),
    };
    let pending = PendingChannel {
        name: c.name.clone(),
        platform: c.platform,
        queue,
        entrance,
    };
    Ok((entry, pending))
}

/// An agent as the run uses it.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct LiveAgent {
    pub id: AgentId,
    pub token: String,
    pub group: usize,
}

/// Everything the run created.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct World {
    pub org: OrgId,
    pub token: String,
    pub queues: BTreeMap<String, QueueId>,
    pub flows: BTreeMap<String, FlowId>,
    pub channels: Vec<LiveChannel>,
    pub agents: Vec<LiveAgent>,
}

impl World {
    /// The name of a flow id.
    pub fn flow_name(&self, id: FlowId) -> Option<&str> {
        self.flows
            .iter()
            .find(|(_, f)| **f == id)
            .map(|(n, _)| n.as_str())
    }

    /// The index in `channels` of the channel with id `id`.
    pub fn channel_index(&self, id: ChannelId) -> Option<usize> {
        self.channels.iter().position(|c| c.id == id)
    }
}

/// What `omnisim setup` leaves for the runs that join it (`--join`): where the platform side
/// is and what it is. It holds the org's and the agents' tokens.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct Prepared {
    pub url: String,
    /// The scenario it was made for, by name: a run of another scenario may not join it.
    pub scenario: String,
    pub world: World,
}

impl Prepared {
    /// Whether `s` is the scenario this was made for, as far as a run needs: its name, its
    /// channels and its agents.
    pub fn check(&self, s: &Scenario) -> Result<(), String> {
        let agents: u32 = s.agents.iter().map(|g| g.count).sum();
        let channels: Vec<&str> = s.channels.iter().map(|c| c.name.as_str()).collect();
        let made: Vec<&str> = self
            .world
            .channels
            .iter()
            .map(|c| c.name.as_str())
            .collect();
        if self.scenario != s.name {
            Err(format!(
                "made for scenario '{}', not '{}'",
                self.scenario, s.name
            ))
        } else if made != channels || self.world.agents.len() != agents as usize {
            Err("made for another version of the scenario: its channels or agents differ".into())
        } else {
            Ok(())
        }
    }
}

/// Creates everything; names in errors say which resource failed.
pub async fn create(
    client: &Client,
    admin_token: &str,
    s: &Scenario,
) -> Result<World, (String, ClientError)> {
    let at = |what: String| move |e| (what, e);
    let org: OrgCreated = client
        .post(
            admin_token,
            "/v1/orgs",
            &CreateOrg {
                name: s.name.clone(),
            },
        )
        .await
        .map_err(at("creating the org".into()))?;
    let (token, o) = (org.token.clone(), org.org.0);
    let mut ids = Ids::default();
    for q in &s.queues {
        let spec = specs::queue(q);
        let c: Created<QueueId> = client
            .post(&token, &format!("/v1/orgs/{o}/queues"), &spec)
            .await
            .map_err(at(format!("creating queue '{}'", q.name)))?;
        ids.queues.insert(q.name.clone(), c.id);
    }
    let mut agents = Vec::new();
    for (group, g) in s.agents.iter().enumerate() {
        for i in 0..g.count {
            let spec = specs::agent(g, i);
            let c: AgentCreated = client
                .post(&token, &format!("/v1/orgs/{o}/agents"), &spec)
                .await
                .map_err(at(format!("creating agent '{}'", spec.name)))?;
            ids.agents.insert(spec.name, c.agent.id);
            agents.push(LiveAgent {
                id: c.agent.id,
                token: c.token,
                group,
            });
        }
    }
    // Flows, bots and channels may name each other: each flow is created naming queues only,
    // and given its rules once everything else exists.
    let unbuilt = |what: &str, name: &str| {
        let message = format!("{what} '{name}' names something that was not created");
        (
            format!("creating {what} '{name}'"),
            ClientError::Transport(message),
        )
    };
    let mut flows = BTreeMap::new();
    for f in &s.flows {
        let spec = f
            .provisional(&ids)
            .ok_or_else(|| unbuilt("flow", &f.name))?;
        let created: Flow = client
            .post(&token, &format!("/v1/orgs/{o}/flows"), &spec)
            .await
            .map_err(at(format!("creating flow '{}'", f.name)))?;
        flows.insert(f.name.clone(), created.id);
    }
    for b in &s.bots {
        let spec = specs::bot(b, &ids.queues, &flows);
        let c: Created<BotId> = client
            .post(&token, &format!("/v1/orgs/{o}/bots"), &spec)
            .await
            .map_err(at(format!("creating bot '{}'", b.name)))?;
        ids.bots.insert(b.name.clone(), c.id);
    }
    let mut channels = Vec::new();
    for c in &s.channels {
        let (entry, pending) = channel_entry(s, c, &ids, &flows)
            .map_err(|m| ("channel entry".to_owned(), ClientError::Transport(m)))?;
        let spec = specs::channel(c, entry);
        let created: Channel = client
            .post(&token, &format!("/v1/orgs/{o}/channels"), &spec)
            .await
            .map_err(at(format!("creating channel '{}'", c.name)))?;
        ids.channels.insert(c.name.clone(), created.id);
        channels.push(pending.created(created.id));
    }
    for f in &s.flows {
        let spec = f.spec(&ids).ok_or_else(|| unbuilt("flow", &f.name))?;
        let _: Flow = client
            .put(
                &token,
                &format!("/v1/orgs/{o}/flows/{}", flows[&f.name].0),
                &spec,
            )
            .await
            .map_err(at(format!("giving flow '{}' its rules", f.name)))?;
    }
    if let Some(out) = &s.outbound {
        let channel = channels
            .iter()
            .find(|c| c.name == out.channel)
            .map(|c| c.id);
        let channel = channel.expect("checked when the scenario was loaded");
        for i in 0..out.recipients {
            let req = ConsentRequest {
                address: specs::recipient(i),
                consent: Consent::ExplicitlyOptedIn,
            };
            let path = format!("/v1/orgs/{o}/channels/{}/users/consent", channel.0);
            let _: MessagingUser = client
                .put(&token, &path, &req)
                .await
                .map_err(at("recording consent".into()))?;
        }
    }
    Ok(World {
        org: org.org,
        token,
        queues: ids.queues,
        flows,
        channels,
        agents,
    })
}
