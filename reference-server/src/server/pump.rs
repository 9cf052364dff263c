//! The loop every socket runs: queued frames out, client frames in, until the client leaves, the
//! hub drops it as too slow or replaced, or the server shuts down.

use super::hub::{Frame, Subscription};
use super::platform::Platform;
use axum::extract::ws::{CloseFrame, Message, WebSocket};
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

/// Sends one frame; false when the socket is gone or took nothing for the send timeout, after
/// which it is dropped: a peer that stops reading costs the server bounded time and memory.
async fn send(platform: &Platform, socket: &mut WebSocket, frame: &Frame) -> bool {
    let timeout = platform.settings().send_timeout;
    match tokio::time::timeout(timeout, socket.send(Message::Text(frame.as_ref().into()))).await {
        Ok(sent) => sent.is_ok(),
        Err(_) => {
            platform.socket_dropped();
            false
        }
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
    let mut open = true;
    for frame in first {
        if !send(&platform, &mut socket, &frame).await {
            open = false;
            break;
        }
    }
    while open {
        tokio::select! {
            frame = sub.rx.recv() => match frame {
                Some(frame) => open = send(&platform, &mut socket, &frame).await,
                None => {
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
                        while let Ok(frame) = sub.rx.try_recv() {
                            if !send(&platform, &mut socket, &frame).await {
                                break;
                            }
                        }
                        open = send(&platform, &mut socket, &answer).await;
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
