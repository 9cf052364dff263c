//! The loop every socket runs: queued frames out, client frames in, until the client leaves, the
//! hub drops it as too slow or replaced, or the server shuts down.

use super::hub::{Frame, Subscription};
use super::platform::Platform;
use axum::extract::ws::{CloseFrame, Message, WebSocket};
use futures_util::SinkExt;
use omnisim_protocol::socket::{CLOSE_GOING_AWAY, CLOSE_REPLACED, CLOSE_SLOW_CONSUMER};

/// Close code: a frame over the size limit (RFC 6455 §7.4.1).
const CLOSE_TOO_BIG: u16 = 1009;
use std::sync::atomic::Ordering;

async fn close(socket: &mut WebSocket, code: u16, reason: &str) {
    let frame = CloseFrame {
        code,
        reason: reason.into(),
    };
    let _ = socket.send(Message::Close(Some(frame))).await;
}

/// Frames written at most before one flush: enough to empty a burst in one write, few enough
/// that a batch is a bounded amount of memory on top of the socket's queue.
const BATCH: usize = 64;

/// Sends `frames` and flushes once, so that frames queued together leave in one write rather than
/// a system call and a TCP segment each; false when the socket is gone or took nothing for the
/// send timeout, after which it is dropped: a peer that stops reading costs the server bounded
/// time and memory.
async fn send(
    platform: &Platform,
    socket: &mut WebSocket,
    frames: impl IntoIterator<Item = Frame>,
) -> bool {
    let write = async {
        for frame in frames {
            socket.feed(Message::Text(frame)).await?;
        }
        socket.flush().await
    };
    match tokio::time::timeout(platform.settings().send_timeout, write).await {
        Ok(sent) => sent.is_ok(),
        Err(_) => {
            platform.socket_dropped();
            false
        }
    }
}

/// Adds the frames queued for the socket to `batch`, up to [`BATCH`].
fn top_up(batch: &mut Vec<Frame>, sub: &mut Subscription) {
    while batch.len() < BATCH {
        let Ok(frame) = sub.rx.try_recv() else { break };
        batch.push(frame);
    }
}

/// Sends `first` (a hello, or a replay serialized a frame at a time outside the platform's lock),
/// then the subscription's frames. Each client text frame goes to `on_text`; its answer is sent
/// after every frame already queued, so that the events a request caused reach the client before
/// its reply.
pub async fn pump(
    platform: Platform,
    mut socket: WebSocket,
    mut sub: Subscription,
    first: impl Iterator<Item = Frame>,
    mut on_text: impl FnMut(&str) -> Option<Frame>,
) {
    let _counted = platform.socket_opened();
    let mut shutdown = platform.shutdown();
    // Grown as bursts need it, not up front: most sockets take a frame at a time, and there are
    // thousands of them.
    let mut batch = Vec::new();
    let mut open = true;
    {
        // Dropped once sent: a replay holds its turn among the org's replays until then.
        let mut first = first.peekable();
        while open && first.peek().is_some() {
            open = send(&platform, &mut socket, first.by_ref().take(BATCH)).await;
        }
    }
    while open {
        tokio::select! {
            taken = sub.rx.recv_many(&mut batch, BATCH) => match taken {
                1.. => {
                    if batch.len() < BATCH {
                        // The tasks ready now run first, and what they queue for this socket
                        // leaves in the same write: under load a socket's frames come a few at a
                        // time, each write a system call and a segment.
                        tokio::task::yield_now().await;
                        top_up(&mut batch, &mut sub);
                    }
                    open = send(&platform, &mut socket, batch.drain(..)).await;
                }
                0 => {
                    let reason = match sub.close.load(Ordering::Acquire) {
                        CLOSE_SLOW_CONSUMER => "slow consumer: reconnect and resume from the last seq seen",
                        CLOSE_REPLACED => "replaced by a newer connection",
                        _ => "closed",
                    };
                    close(&mut socket, sub.close.load(Ordering::Acquire).max(1000), reason).await;
                    open = false;
                }
            },
            incoming = socket.recv() => match incoming {
                Some(Ok(Message::Text(text))) => {
                    if let Some(answer) = on_text(text.as_str()) {
                        // What the request caused is queued already: it goes first, the answer
                        // in the same write when the batch has room.
                        let mut answer = Some(answer);
                        while open && answer.is_some() {
                            top_up(&mut batch, &mut sub);
                            if batch.len() < BATCH {
                                batch.extend(answer.take());
                            }
                            open = send(&platform, &mut socket, batch.drain(..)).await;
                        }
                    }
                }
                Some(Err(e)) => {
                    // The library reports a frame over its limit only in words; the protocol
                    // owes the client the close code for it.
                    let text = e.to_string();
                    if text.contains("Message too long") || text.contains("Space limit exceeded") {
                        close(&mut socket, CLOSE_TOO_BIG, "frame over 64 KiB").await;
                    }
                    open = false;
                }
                Some(Ok(Message::Close(_))) | None => open = false,
                Some(Ok(_)) => {}
            },
            _ = shutdown.changed() => {
                close(&mut socket, CLOSE_GOING_AWAY, "server shutting down").await;
                open = false;
            }
        }
    }
    platform.unsubscribe(&sub);
}
