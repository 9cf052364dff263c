//! Read-back: resources as the protocol returns them. Every query is scoped to an org, so another
//! org's ids read as absent (R-SEC-1).

use super::Engine;
use super::errors::not_found;
use super::org::Org;
use omnisim_protocol::{
    Agent, AgentId, ApiError, Bot, BotId, Channel, ChannelId, Flow, FlowId, Message, MessagingUser,
    Offer, OrgId, Presence, Queue, QueueId, Seq, Session, SessionId, SessionStatus,
    SessionTranscript, UserId, WorkId, WorkItem,
};
use std::sync::Arc;

/// Where the messages after seq `after` start. Seqs only grow within a session but need not be
/// dense (the `seq_gap` fault skips some), so this searches rather than indexing (R-SESS-9).
fn after_seq(messages: &[Arc<Message>], after: Seq) -> usize {
    messages.partition_point(|m| m.seq <= after)
}

impl Engine {
    fn org(&self, org: OrgId) -> Result<&Org, ApiError> {
        self.orgs.get(&org).ok_or_else(|| not_found(org))
    }

    pub fn channel(&self, org: OrgId, id: ChannelId) -> Result<Channel, ApiError> {
        Ok(self.org(org)?.channel(id)?.info.clone())
    }

    pub fn channels(&self, org: OrgId) -> Result<Vec<Channel>, ApiError> {
        Ok(self
            .org(org)?
            .channels
            .values()
            .map(|c| c.info.clone())
            .collect())
    }

    pub fn queue(&self, org: OrgId, id: QueueId) -> Result<Queue, ApiError> {
        let q = self.org(org)?.queue(id)?;
        Ok(Queue {
            id,
            org,
            spec: q.spec.clone(),
            waiting: q.waiting,
        })
    }

    pub fn queues(&self, org: OrgId) -> Result<Vec<Queue>, ApiError> {
        let o = self.org(org)?;
        o.queues.keys().map(|q| self.queue(org, *q)).collect()
    }

    /// Capacity used and offered by the org's online agents, and the sessions waiting in its
    /// queues: what a sampler reads every interval, computed without copying any resource.
    pub fn load(&self, org: OrgId) -> Result<Load, ApiError> {
        let o = self.org(org)?;
        let agents = o.agents.values().map(|a| &a.info);
        Ok(Load::of(agents, o.queues.values().map(|q| q.waiting)))
    }

    pub fn bot(&self, org: OrgId, id: BotId) -> Result<Bot, ApiError> {
        Ok(self.org(org)?.bot(id)?.clone())
    }

    pub fn flow(&self, org: OrgId, id: FlowId) -> Result<Flow, ApiError> {
        Ok(self.org(org)?.flow(id)?.clone())
    }

    /// Every flow of the org, oldest first.
    pub fn flows(&self, org: OrgId) -> Result<Vec<Flow>, ApiError> {
        Ok(self.org(org)?.flows.values().cloned().collect())
    }

    pub fn agent(&self, org: OrgId, id: AgentId) -> Result<Agent, ApiError> {
        Ok(self.org(org)?.agent(id)?.info.clone())
    }

    /// Every agent of the org, oldest first.
    pub fn agents(&self, org: OrgId) -> Result<Vec<Agent>, ApiError> {
        let mut v: Vec<Agent> = self
            .org(org)?
            .agents
            .values()
            .map(|a| a.info.clone())
            .collect();
        v.sort_unstable_by_key(|a| a.id);
        Ok(v)
    }

    pub fn user(&self, org: OrgId, id: UserId) -> Result<MessagingUser, ApiError> {
        let o = self.org(org)?;
        Ok(o.user(id)?.read(org))
    }

    /// The messaging user of (channel, address), if it has written in or has consent on record.
    pub fn user_by_address(
        &self,
        org: OrgId,
        channel: ChannelId,
        address: &str,
    ) -> Result<MessagingUser, ApiError> {
        let o = self.org(org)?;
        o.channel(channel)?;
        let user = o
            .users
            .at(channel, address)
            .ok_or_else(|| not_found(address))?;
        Ok(user.read(org))
    }

    pub fn session(&self, org: OrgId, id: SessionId) -> Result<Session, ApiError> {
        Ok(self.org(org)?.session(id)?.info.clone())
    }

    /// Every session of the org, oldest first.
    pub fn sessions(&self, org: OrgId) -> Result<Vec<Session>, ApiError> {
        let mut v: Vec<Session> = self.org(org)?.all_sessions().cloned().collect();
        v.sort_unstable_by_key(|s| s.id);
        Ok(v)
    }

    /// A session with its full transcript (R-SESS-9).
    pub fn transcript(&self, org: OrgId, id: SessionId) -> Result<SessionTranscript, ApiError> {
        let mut s = self.org(org)?.session(id);
        if s.is_err()
            && self
                .faults
                .has(crate::faults::Fault::OtherOrgSessionReadable)
        {
            s = self
                .orgs
                .values()
                .find_map(|o| o.session(id).ok())
                .ok_or_else(|| not_found(id));
        }
        let s = s?;
        Ok(SessionTranscript {
            session: s.info.clone(),
            context: s.context.clone(),
            messages: s.messages.to_vec(),
        })
    }

    /// The messages after `after`, for a client resuming from the last seq it saw (R-SESS-9).
    pub fn messages_after(
        &self,
        org: OrgId,
        id: SessionId,
        after: Seq,
    ) -> Result<&[Arc<Message>], ApiError> {
        let messages = self.org(org)?.session(id)?.messages;
        Ok(&messages[after_seq(messages, after)..])
    }

    /// The messages of a channel after stream position `after` (a `channel_seq`): what a provider
    /// stream replays on reconnect (R-SESS-9).
    pub fn channel_messages_after(
        &self,
        org: OrgId,
        channel: ChannelId,
        after: u64,
    ) -> Result<Vec<Arc<Message>>, ApiError> {
        let o = self.org(org)?;
        let log = &o.channel(channel)?.log;
        let repeats = u64::from(self.faults.has(crate::faults::Fault::ChannelReplayRepeats));
        let mut out = Vec::new();
        for entry in log.after(after.saturating_sub(repeats)) {
            // A forgotten session's messages are gone; the replay goes on after them (R-SESS-10).
            let Some(messages) = o.retained(entry.session)? else {
                continue;
            };
            if let Ok(i) = messages.binary_search_by_key(&entry.seq, |m| m.seq) {
                out.push(messages[i].clone());
            }
        }
        Ok(out)
    }

    /// A user's messages after message `after` of `session`, across the user's later sessions
    /// too: a user's sessions never overlap, so (session, seq) orders all its messages
    /// (R-SESS-9).
    pub fn user_messages_after(
        &self,
        org: OrgId,
        user: UserId,
        session: SessionId,
        after: Seq,
    ) -> Result<Vec<Arc<Message>>, ApiError> {
        let o = self.org(org)?;
        o.user(user)?;
        let sessions = o.user_sessions.get(&user).map_or(&[][..], |v| &v[..]);
        let mut out = Vec::new();
        for s in sessions.iter().filter(|s| **s >= session) {
            // A resume into a forgotten session starts after it (R-SESS-10).
            let Some(messages) = o.retained(*s)? else {
                continue;
            };
            let skip = if *s == session {
                let skips = usize::from(self.faults.has(crate::faults::Fault::ResumeSkipsOne));
                (after_seq(messages, after) + skips).min(messages.len())
            } else {
                0
            };
            out.extend(messages[skip..].iter().cloned());
        }
        Ok(out)
    }

    /// The work an agent holds now (assigned or opened), each with its session, context and full
    /// transcript: what a reconnecting agent resumes from (R-SESS-9).
    pub fn agent_live_work(&self, org: OrgId, agent: AgentId) -> Result<Vec<Offer>, ApiError> {
        let o = self.org(org)?;
        let hidden = self.faults.has(crate::faults::Fault::HelloWithoutWork);
        Ok(o.agent(agent)?
            .live
            .iter()
            .filter(|_| !hidden)
            .map(|w| {
                let work = o.work[w].clone();
                let s = &o.sessions[&work.session];
                Offer {
                    org,
                    work,
                    session: s.info.clone(),
                    context: (*s.context).clone(),
                    transcript: s.messages.clone(),
                }
            })
            .collect())
    }

    pub fn work_item(&self, org: OrgId, id: WorkId) -> Result<WorkItem, ApiError> {
        Ok(self.org(org)?.work_item(id)?.clone())
    }

    /// Every work item of the org, oldest first.
    pub fn work_items(&self, org: OrgId) -> Result<Vec<WorkItem>, ApiError> {
        let mut v: Vec<WorkItem> = self.org(org)?.work.values().cloned().collect();
        v.sort_unstable_by_key(|w| w.id);
        Ok(v)
    }

    /// The work items of one session, oldest first.
    pub fn session_work(&self, org: OrgId, session: SessionId) -> Result<Vec<WorkItem>, ApiError> {
        self.org(org)?.session(session)?;
        let mut v = self.work_items(org)?;
        v.retain(|w| w.session == session);
        Ok(v)
    }
}

/// One org's load at an instant (see [`Engine::load`]).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Load {
    /// Capacity units held by the online agents' assigned and opened work (R-ROUTE-2).
    pub used_capacity: u64,
    /// Capacity units of the online agents.
    pub online_capacity: u64,
    /// Sessions waiting in the org's queues, offered ones included.
    pub waiting: u64,
}

impl Load {
    /// The load of `agents` (as the protocol reads them back) and of queues with `waiting`
    /// sessions each.
    pub fn of<'a>(
        agents: impl IntoIterator<Item = &'a Agent>,
        waiting: impl IntoIterator<Item = u32>,
    ) -> Load {
        let online = agents
            .into_iter()
            .filter(|a| a.presence == Presence::Online);
        let (used, capacity) = online.fold((0, 0), |(u, c), a| {
            (
                u + u64::from(a.used_capacity),
                c + u64::from(a.spec.capacity),
            )
        });
        Load {
            used_capacity: used,
            online_capacity: capacity,
            waiting: waiting.into_iter().map(u64::from).sum(),
        }
    }
}

/// Counts for monitoring, across every org.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Stats {
    pub orgs: usize,
    pub sessions: Vec<(SessionStatus, u64)>,
    pub agents: Vec<(Presence, u64)>,
    /// Sessions waiting per queue (offered ones included).
    pub queues: Vec<(OrgId, QueueId, u32)>,
}

impl Engine {
    /// Sessions by status, agents by presence and queue depths. Scans every session: for scrapes,
    /// not for hot paths.
    pub fn stats(&self) -> Stats {
        use SessionStatus::*;
        let statuses = [New, Waiting, Active, Inactive, Ended];
        let presences = [Presence::Offline, Presence::Online, Presence::Busy];
        let mut stats = Stats {
            orgs: self.orgs.len(),
            sessions: statuses.iter().map(|s| (*s, 0)).collect(),
            agents: presences.iter().map(|p| (*p, 0)).collect(),
            queues: Vec::new(),
        };
        let mut orgs: Vec<&Org> = self.orgs.values().collect();
        orgs.sort_unstable_by_key(|o| o.id);
        for o in orgs {
            for s in o.all_sessions() {
                if let Some(e) = stats.sessions.iter_mut().find(|e| e.0 == s.status) {
                    e.1 += 1;
                }
            }
            for a in o.agents.values() {
                if let Some(e) = stats.agents.iter_mut().find(|e| e.0 == a.info.presence) {
                    e.1 += 1;
                }
            }
            stats
                .queues
                .extend(o.queues.values().map(|q| (o.id, q.id, q.waiting)));
        }
        stats
    }
}
