//! The channel stream of a channel whose customers read through it (`delivery =
//! "channel_stream"`): read for the whole run and handed out to the customers' mailboxes. A
//! stream that drops resumes after the last message it delivered (R-SESS-9); the events other
//! than messages sent while it was down are lost, as they are to any provider.

use super::client::{ClientError, Socket, next_text};
use super::context::RunCtx;
use super::mailboxes::{Delivered, Mailboxes};
use omnisim_protocol::Event;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// How long to wait before opening a dropped stream again: a server that closed it may be busy.
const RECONNECT_AFTER: Duration = Duration::from_millis(100);

/// Opens the stream of the channel at `channel` (its index in the run's world): the run's
/// customers on it may only start once it is open, or they would miss their first events.
pub async fn open(ctx: &RunCtx, channel: usize) -> Result<Socket, ClientError> {
    ctx.client
        .busy_socket(&ctx.world.token, &path(ctx, channel, None))
        .await
}

fn path(ctx: &RunCtx, channel: usize, after: Option<u64>) -> String {
    let mut path = format!(
        "/v1/orgs/{}/channels/{}/stream",
        ctx.world.org.0, ctx.world.channels[channel].id.0
    );
    if let Some(n) = after {
        path.push_str(&format!("?after={n}"));
    }
    path
}

/// Reads `socket`, the stream of the channel at `channel`, into `boxes` until the run stops.
pub async fn read(ctx: Arc<RunCtx>, channel: usize, mut socket: Socket, boxes: Arc<Mailboxes>) {
    let mut stop = ctx.stop.clone();
    // None until a message came: resuming after 0 would replay the channel's whole history.
    let mut last = None;
    loop {
        let text = tokio::select! {
            text = next_text(&mut socket) => text,
            _ = stop.wait_for(|stopped| *stopped) => return,
        };
        let Some(text) = text else {
            socket = match resume(&ctx, channel, last).await {
                Some(socket) => socket,
                None => return,
            };
            continue;
        };
        let event = match crate::wire::event(&text) {
            Ok(e) => e,
            Err(e) => {
                let mut s = ctx.shared();
                s.recorder.error("protocol");
                s.recorder.protocol.record("channel stream", &e, &text);
                continue;
            }
        };
        let user = match &event {
            Event::Message { user, message, .. } => {
                last = last.max(Some(message.channel_seq));
                *user
            }
            Event::SessionChanged { user, .. } => *user,
            _ => continue,
        };
        if boxes.deliver(user, event, Instant::now()) == Delivered::Full {
            let problem = format!("user {user}'s customer stopped reading: an event lost");
            ClientError::Transport(problem).record(&mut ctx.shared());
        }
    }
}

/// Opens the stream again after the dropped one's last message (live only if it had none),
/// until it opens or the run stops. The drop and each failed attempt count as transport errors:
/// events other than messages may have been lost meanwhile.
async fn resume(ctx: &RunCtx, channel: usize, last: Option<u64>) -> Option<Socket> {
    let mut stop = ctx.stop.clone();
    ClientError::Transport("the channel stream closed".into()).record(&mut ctx.shared());
    loop {
        tokio::select! {
            _ = tokio::time::sleep(RECONNECT_AFTER) => {}
            _ = stop.wait_for(|stopped| *stopped) => return None,
        }
        let path = path(ctx, channel, last);
        match ctx.client.busy_socket(&ctx.world.token, &path).await {
            Ok(socket) => return Some(socket),
            Err(e) => e.record(&mut ctx.shared()),
        }
    }
}
