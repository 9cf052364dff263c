//! The labels a run's latencies carry, by channel and queue: given by the recorder once, as the
//! run sets up, so that recording a latency never looks a name up.

use super::setup::World;
use crate::measure::Recorder;
use crate::measure::recorder::{Label, Labels};
use omnisim_protocol::QueueId;

/// The labels of the channels and queues of a run's [`World`].
#[derive(Clone, Debug, Default)]
pub struct RunLabels {
    /// By the channel's index in the world: its label, and its queue's for a queue entry.
    channels: Vec<Labels>,
    queues: Vec<(QueueId, Label)>,
}

impl RunLabels {
    /// Asks `recorder` for the label of every channel and queue of `world`.
    pub fn new(world: &World, recorder: &mut Recorder) -> RunLabels {
        let queues = world
            .queues
            .iter()
            .map(|(name, &id)| (id, recorder.label(name)))
            .collect();
        // The recorder gives a name the same label each time it is asked.
        let channels = world
            .channels
            .iter()
            .map(|c| Labels {
                channel: Some(recorder.label(&c.name)),
                queue: (c.queue.as_ref())
                    .filter(|q| world.queues.contains_key(*q))
                    .map(|q| recorder.label(q)),
            })
            .collect();
        RunLabels { channels, queues }
    }

    /// What a customer's measurements on channel `index` carry: its channel, and its queue for a
    /// queue entry.
    pub fn channel(&self, index: usize) -> Labels {
        self.channels.get(index).copied().unwrap_or_default()
    }

    /// What a conversation's measurements carry: its channel by index when known, and the queue
    /// it was offered from.
    pub fn at(&self, channel: Option<usize>, queue: QueueId) -> Labels {
        Labels {
            channel: channel.and_then(|c| self.channel(c).channel),
            queue: self
                .queues
                .iter()
                .find(|(q, _)| *q == queue)
                .map(|&(_, l)| l),
        }
    }
}
