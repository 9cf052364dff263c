//! Creates a scenario's org, queues, bots, channels and agents on the target.

use super::client::{Client, ClientError};
use crate::scenario::{EntryRef, Scenario, specs};
use omnisim_protocol::*;
use std::collections::BTreeMap;

/// A channel as the run uses it.
#[derive(Clone, Debug)]
pub struct LiveChannel {
    pub id: ChannelId,
    pub name: String,
    pub platform: Platform,
    /// The queue name for queue entries.
    pub queue: Option<String>,
    /// The bot index for bot entries.
    pub bot: Option<usize>,
}

/// A channel about to be created: what the run will know of it once it has an id.
pub struct PendingChannel {
    name: String,
    platform: Platform,
    queue: Option<String>,
    bot: Option<usize>,
}

impl PendingChannel {
    pub fn created(self, id: ChannelId) -> LiveChannel {
        LiveChannel {
            id,
            name: self.name,
            platform: self.platform,
            queue: self.queue,
            bot: self.bot,
        }
    }
}

/// Where channel `c` enters (a created bot or queue), and the channel as the run will see it.
pub fn channel_entry(
    s: &Scenario,
    c: &crate::scenario::ChannelDef,
    queues: &BTreeMap<String, QueueId>,
    bots: &BTreeMap<String, BotId>,
) -> Result<(Entry, PendingChannel), String> {
    let missing = |what: &str, name: &str| format!("{what} '{name}' was not created");
    let (entry, queue, bot) = match c.entry_ref()? {
        EntryRef::Bot(b) => (
            Entry::Bot(*bots.get(&b).ok_or_else(|| missing("bot", &b))?),
            None,
            s.bots.iter().position(|x| x.name == b),
        ),
        EntryRef::Queue(q) => (
            Entry::Queue(*queues.get(&q).ok_or_else(|| missing("queue", &q))?),
            Some(q),
            None,
        ),
    };
    let pending = PendingChannel {
        name: c.name.clone(),
        platform: c.platform,
        queue,
        bot,
    };
    Ok((entry, pending))
}

/// An agent as the run uses it.
#[derive(Clone, Debug)]
pub struct LiveAgent {
    pub id: AgentId,
    pub token: String,
    pub group: usize,
}

/// Everything the run created.
#[derive(Clone, Debug)]
pub struct World {
    pub org: OrgId,
    pub token: String,
    pub queues: BTreeMap<String, QueueId>,
    pub channels: Vec<LiveChannel>,
    pub agents: Vec<LiveAgent>,
}

impl World {
    /// The queue name of a queue id.
    pub fn queue_name(&self, id: QueueId) -> Option<&str> {
        self.queues
            .iter()
            .find(|(_, q)| **q == id)
            .map(|(n, _)| n.as_str())
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
    let mut queues = BTreeMap::new();
    for q in &s.queues {
        let spec = specs::queue(q);
        let c: Created<QueueId> = client
            .post(&token, &format!("/v1/orgs/{o}/queues"), &spec)
            .await
            .map_err(at(format!("creating queue '{}'", q.name)))?;
        queues.insert(q.name.clone(), c.id);
    }
    let mut bots = BTreeMap::new();
    for b in &s.bots {
        let spec = specs::bot(b, &queues);
        let c: Created<BotId> = client
            .post(&token, &format!("/v1/orgs/{o}/bots"), &spec)
            .await
            .map_err(at(format!("creating bot '{}'", b.name)))?;
        bots.insert(b.name.clone(), c.id);
    }
    let mut channels = Vec::new();
    for c in &s.channels {
        let (entry, pending) = channel_entry(s, c, &queues, &bots)
            .map_err(|m| ("channel entry".to_owned(), ClientError::Transport(m)))?;
        let spec = specs::channel(c, entry);
        let created: Channel = client
            .post(&token, &format!("/v1/orgs/{o}/channels"), &spec)
            .await
            .map_err(at(format!("creating channel '{}'", c.name)))?;
        channels.push(pending.created(created.id));
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
    let mut agents = Vec::new();
    for (group, g) in s.agents.iter().enumerate() {
        for i in 0..g.count {
            let spec = specs::agent(g, i);
            let c: AgentCreated = client
                .post(&token, &format!("/v1/orgs/{o}/agents"), &spec)
                .await
                .map_err(at(format!("creating agent '{}-{i}'", g.name)))?;
            agents.push(LiveAgent {
                id: c.agent.id,
                token: c.token,
                group,
            });
        }
    }
    Ok(World {
        org: org.org,
        token,
        queues,
        channels,
        agents,
    })
}
