//! One WebSocket connection: hello, then a reader loop here; frames go out through the connection's outbox (written
//! directly when the socket takes them, else by its writer task).
//! Generic over the socket so that tests can drive it with any `Stream + Sink`.

use super::actor::{ActorMsg, ConnHandle};
use super::outbox::{close_frame, outbox, write_loop, Outbox, WireSink};
use super::{Outbound, Relay};
use axum::extract::ws::Message;
use futures::{Sink, SinkExt, Stream, StreamExt};
use std::fmt::Display;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;
use tandem_core::protocol::{
    ClientMsg, ErrorCode, ServerMsg, CLOSE_BAD_HELLO, CLOSE_GONE, CLOSE_RELOAD, MAX_FRAME_BYTES, PROTOCOL_VERSION,
};
use tandem_core::session::{clean_name, Capability, SessionId};
use tokio::sync::mpsc;
use tokio::time::{timeout, Instant};

/// Bounds on every connection.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    /// Largest accepted message.
    pub max_frame_bytes: usize,
    /// Socket read buffer.
    pub read_buffer_bytes: usize,
    /// Frames queued for one client before it counts as too slow.
    pub outbox: usize,
    /// Silence after which a connection is closed (clients ping every 3 s).
    pub idle: Duration,
    /// Time allowed for the hello.
    pub hello_timeout: Duration,
    /// JSON control messages per second a client may send.
    pub max_msgs_per_sec: u32,
    /// Binary notes frames (edits, cursors) per second a client may send.
    pub max_notes_frames_per_sec: u32,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_frame_bytes: MAX_FRAME_BYTES,
            // The initial capacity of tungstenite's read buffer, kept by every connection. Edits and presence
            // frames are a few hundred bytes; a larger frame makes the buffer grow to its announced length and
            // still arrives in as few reads. 512 B instead of the default 128 KiB (docs/performance.md).
            read_buffer_bytes: 512,
            outbox: 256,
            idle: Duration::from_secs(10),
            hello_timeout: Duration::from_secs(10),
            max_msgs_per_sec: 50,
            max_notes_frames_per_sec: 200,
        }
    }
}

/// Serves one upgraded socket until either side ends it.
pub async fn serve_connection<S, E>(socket: S, relay: Relay, session: SessionId, capability: Capability)
where
    S: Stream<Item = Result<Message, E>> + Sink<Message> + Send + Unpin + 'static,
    E: Display,
{
    let limits = relay.limits;
    let (mut sink, mut stream) = socket.split();

    let first = match timeout(limits.hello_timeout, stream.next()).await {
        Ok(Some(Ok(Message::Text(text)))) => Some(text),
        _ => None,
    };
    let hello = first
        .as_ref()
        .and_then(|text| serde_json::from_str::<ClientMsg>(text).ok());
    let Some(ClientMsg::Hello {
        protocol,
        participant_key,
        name,
        role,
        claim,
    }) = hello
    else {
        if first.is_some_and(|text| is_protocol_1_hello(&text)) {
            let _ = reject(&mut sink, ErrorCode::ProtocolMismatch, RELOAD, CLOSE_RELOAD).await;
            return;
        }
        let _ = reject(
            &mut sink,
            ErrorCode::HelloFirst,
            "The first message must be a hello.",
            CLOSE_BAD_HELLO,
        )
        .await;
        return;
    };
    if protocol != PROTOCOL_VERSION {
        let _ = reject(&mut sink, ErrorCode::ProtocolMismatch, RELOAD, CLOSE_RELOAD).await;
        return;
    }
    let Some(name) = clean_name(&name) else {
        let text = "Please give a name of 1 to 40 characters.";
        let _ = reject(&mut sink, ErrorCode::BadHello, text, CLOSE_BAD_HELLO).await;
        return;
    };
    if !participant_key.is_well_formed() {
        let _ = reject(
            &mut sink,
            ErrorCode::BadHello,
            "The participant key is not valid.",
            CLOSE_BAD_HELLO,
        )
        .await;
        return;
    }

    let conn = relay.next_conn_id();
    let (out_tx, out_rx) = outbox(limits.outbox);
    let mut actor = None;
    // An actor that is just shutting down refuses the join; the second attempt starts a fresh one.
    for _ in 0..2 {
        let Ok(tx) = relay.actor(&session).await else {
            break;
        };
        let join = ActorMsg::Join {
            conn,
            handle: ConnHandle { outbox: out_tx.clone() },
            capability,
            key: participant_key.clone(),
            name: name.clone(),
            role: role.clone(),
            claim,
        };
        if to_actor(&tx, join).await {
            actor = Some(tx);
            break;
        }
    }
    let Some(actor) = actor else {
        // Storage trouble is temporary (1013: try again later); the token was checked, so the session exists.
        let text = "This session is not available right now.";
        let _ = reject(&mut sink, ErrorCode::Unavailable, text, 1013).await;
        return;
    };

    let mut writer = tokio::spawn(write_loop(wire(sink), out_rx));
    let mut control_window = RateWindow::new(limits.max_msgs_per_sec);
    let mut notes_window = RateWindow::new(limits.max_notes_frames_per_sec);
    let mut stopping = relay.stopping();
    let mut writer_done = false;
    // The relay pings too: a hidden tab's own pings may be throttled to one a minute, but its browser still answers
    // WebSocket pings at once, and any frame (a pong included) counts as hearing from the client.
    let mut pinger = tokio::time::interval_at(Instant::now() + limits.idle / 2, limits.idle / 2);
    pinger.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut heard = Instant::now();
    loop {
        let next = tokio::select! {
            _ = &mut writer => {
                writer_done = true;
                break;
            }
            _ = pinger.tick() => {
                let _ = out_tx.try_send(Outbound::Ping);
                continue;
            }
            _ = stopping.wait_for(|stop| *stop) => {
                let _ = out_tx.try_send(Outbound::Close(1012, "Tandem is restarting; reconnecting.".into()));
                break;
            }
            // The session's actor stopped (idle, or failed): the client reconnects to a fresh one.
            _ = actor.closed() => {
                let _ = out_tx.try_send(Outbound::Close(1012, "Session restarting; reconnecting.".into()));
                break;
            }
            next = tokio::time::timeout_at(heard + limits.idle, stream.next()) => next,
        };
        heard = Instant::now();
        let frame = match next {
            Err(_) => {
                let _ = out_tx.try_send(Outbound::Close(1001, "No message for 10 s; reconnect.".into()));
                break;
            }
            Ok(None) => break,
            Ok(Some(Err(e))) => {
                if is_too_large(&e) {
                    let _ = out_tx.try_send(Outbound::text(&ServerMsg::Error {
                        code: ErrorCode::TooLarge,
                        message: format!(
                            "That message was larger than {} KiB and was refused.",
                            limits.max_frame_bytes / 1024
                        ),
                    }));
                    let _ = out_tx.try_send(Outbound::Close(1009, "Message too large".into()));
                } else {
                    tracing::debug!(error = %e, "websocket read error");
                }
                break;
            }
            Ok(Some(Ok(frame))) => frame,
        };
        let binary = matches!(frame, Message::Binary(_));
        let window = if binary { &mut notes_window } else { &mut control_window };
        match window.admit() {
            Admit::Yes => {}
            // A dropped notes update would leave the client's later edits unappliable: close instead, and the
            // reconnect resyncs everything (sync step 1/2) without losing an edit.
            Admit::No | Admit::FirstRefusal if binary => {
                let _ = out_tx.try_send(Outbound::Close(1008, "Too many messages; reconnect to resync.".into()));
                break;
            }
            Admit::FirstRefusal => {
                let _ = out_tx.try_send(error(ErrorCode::RateLimited, "Too many messages; some were ignored."));
                continue;
            }
            Admit::No => continue,
        }
        match frame {
            Message::Text(text) => match serde_json::from_str::<ClientMsg>(&text) {
                Ok(ClientMsg::Ping { sent }) => {
                    let _ = out_tx.try_send(Outbound::text(&ServerMsg::Pong {
                        sent,
                        now: super::now_ms(),
                    }));
                }
                Ok(ClientMsg::Timer { room, command }) => {
                    if !to_actor(&actor, ActorMsg::Timer { conn, room, command }).await {
                        break;
                    }
                }
                Ok(ClientMsg::SubmitFeedback { feedback }) => {
                    if !to_actor(&actor, ActorMsg::Feedback { conn, draft: feedback }).await {
                        break;
                    }
                }
                Ok(ClientMsg::ShareFeedback { id, shared }) => {
                    if !to_actor(&actor, ActorMsg::Share { conn, id, shared }).await {
                        break;
                    }
                }
                Ok(ClientMsg::SetRole { role }) => {
                    if !to_actor(&actor, ActorMsg::SetRole { conn, role }).await {
                        break;
                    }
                }
                Ok(ClientMsg::EndSession) => {
                    if !to_actor(&actor, ActorMsg::End { conn }).await {
                        break;
                    }
                }
                Ok(ClientMsg::PrivateNote { section, text, rev }) => {
                    let msg = ActorMsg::PrivateNote {
                        conn,
                        section,
                        text,
                        rev,
                    };
                    if !to_actor(&actor, msg).await {
                        break;
                    }
                }
                Ok(ClientMsg::Hello { .. }) => {
                    let _ = out_tx.try_send(error(ErrorCode::BadMessage, "Already joined on this connection."));
                }
                Err(_) => {
                    let _ = out_tx.try_send(error(ErrorCode::BadMessage, "Tandem did not understand that message."));
                }
            },
            Message::Binary(frame) => {
                if !to_actor(&actor, ActorMsg::Notes { conn, frame }).await {
                    break;
                }
            }
            Message::Close(_) => break,
            Message::Ping(_) | Message::Pong(_) => {}
        }
    }
    Box::pin(hang_up(&actor, conn, out_tx, writer, writer_done)).await;
}

/// The sending half as the outbox keeps it.
fn wire<K: Sink<Message> + Send + Unpin + 'static>(sink: K) -> WireSink {
    Box::pin(Wire(sink))
}

/// A sink whose errors all mean "the socket is gone". (`SinkExt::sink_map_err` panics when used after its first
/// error, and direct writes from the session actor must never panic.)
struct Wire<K>(K);

impl<K: Sink<Message> + Unpin> Sink<Message> for Wire<K> {
    type Error = ();

    fn poll_ready(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), ()>> {
        Pin::new(&mut self.0).poll_ready(cx).map_err(drop)
    }

    fn start_send(mut self: Pin<&mut Self>, item: Message) -> Result<(), ()> {
        Pin::new(&mut self.0).start_send(item).map_err(drop)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), ()>> {
        Pin::new(&mut self.0).poll_flush(cx).map_err(drop)
    }

    fn poll_close(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), ()>> {
        Pin::new(&mut self.0).poll_close(cx).map_err(drop)
    }
}

/// What a page speaking another protocol version is told (with [`CLOSE_RELOAD`]).
const RELOAD: &str = "Tandem was updated. Please reload the page.";

/// Whether `text` is a hello of protocol 1, whose messages named themselves in a `"type"` field: a page loaded
/// before the update, to be told to reload rather than that it sent no hello.
fn is_protocol_1_hello(text: &str) -> bool {
    serde_json::from_str::<serde_json::Value>(text)
        .is_ok_and(|v| v.get("type").and_then(|t| t.as_str()) == Some("hello"))
}

/// Hands `msg` to the session's actor; `false` if the actor is gone. Queues without waiting when there is room (the
/// usual case); only a full inbox makes it wait, in a boxed future, so the connection task's own state stays small
/// (an inline `send` future holds a whole `ActorMsg`: docs/performance.md, idle RSS per connection).
async fn to_actor(actor: &mpsc::Sender<ActorMsg>, msg: ActorMsg) -> bool {
    match actor.try_send(msg) {
        Ok(()) => true,
        Err(mpsc::error::TrySendError::Full(msg)) => Box::pin(actor.send(msg)).await.is_ok(),
        Err(mpsc::error::TrySendError::Closed(_)) => false,
    }
}

/// Leaves the session and lets the writer finish: it ends once the actor has dropped its sender too (or the socket
/// is gone); a writer still stuck after 5 s is aborted.
async fn hang_up(
    actor: &mpsc::Sender<ActorMsg>,
    conn: super::ConnId,
    out_tx: Outbox,
    mut writer: tokio::task::JoinHandle<()>,
    writer_done: bool,
) {
    let _ = actor.send(ActorMsg::Leave { conn }).await;
    drop(out_tx);
    if !writer_done && tokio::time::timeout(Duration::from_secs(5), &mut writer).await.is_err() {
        writer.abort();
    }
}

/// Whether a message fits in the current one-second window.
#[derive(Debug, PartialEq, Eq)]
enum Admit {
    /// Within the limit.
    Yes,
    /// The first one over the limit in this window.
    FirstRefusal,
    /// Further ones over the limit.
    No,
}

/// Counts messages per one-second window.
struct RateWindow {
    started: Instant,
    count: u32,
    limit: u32,
}

impl RateWindow {
    fn new(limit: u32) -> Self {
        RateWindow {
            started: Instant::now(),
            count: 0,
            limit,
        }
    }

    fn admit(&mut self) -> Admit {
        if self.started.elapsed() >= Duration::from_secs(1) {
            self.started = Instant::now();
            self.count = 0;
        }
        self.count += 1;
        match self.count.checked_sub(self.limit) {
            None | Some(0) => Admit::Yes,
            Some(1) => Admit::FirstRefusal,
            Some(_) => Admit::No,
        }
    }
}

/// Whether a read error is tungstenite refusing a frame over the size limit.
fn is_too_large(e: &impl Display) -> bool {
    let text = e.to_string();
    text.contains("too long") || text.contains("Space limit")
}

fn error(code: ErrorCode, message: &str) -> Outbound {
    Outbound::text(&ServerMsg::Error {
        code,
        message: message.into(),
    })
}

async fn reject<K: Sink<Message> + Unpin>(
    sink: &mut K,
    code: ErrorCode,
    message: &str,
    close: u16,
) -> Result<(), K::Error> {
    if let Outbound::Text(text) = error(code, message) {
        sink.send(Message::Text(text)).await?;
    }
    sink.send(close_frame(close, message)).await
}

/// Serves an official Yjs client (y-websocket framing): binary y-sync frames only, no hello. The link's token
/// was checked at the upgrade; observers may read but not write.
pub async fn serve_notes_connection<S, E>(socket: S, relay: Relay, session: SessionId, capability: Capability)
where
    S: Stream<Item = Result<Message, E>> + Sink<Message> + Send + Unpin + 'static,
    E: Display,
{
    let limits = relay.limits;
    let (mut sink, mut stream) = socket.split();
    let conn = relay.next_conn_id();
    let (out_tx, out_rx) = outbox(limits.outbox);
    let joined = match relay.actor(&session).await {
        Ok(tx) => {
            let join = ActorMsg::JoinNotes {
                conn,
                handle: ConnHandle { outbox: out_tx.clone() },
                capability,
            };
            to_actor(&tx, join).await.then_some(tx)
        }
        Err(_) => None,
    };
    let Some(actor) = joined else {
        let _ = sink
            .send(close_frame(CLOSE_GONE, "This session is not available right now."))
            .await;
        return;
    };
    let mut writer = tokio::spawn(write_loop(wire(sink), out_rx));
    let mut writer_done = false;
    let mut stopping = relay.stopping();
    let mut notes_window = RateWindow::new(limits.max_notes_frames_per_sec);
    loop {
        // Yjs clients do not ping at the application level: a longer silence is allowed (30 s).
        let next = tokio::select! {
            _ = &mut writer => { writer_done = true; break; }
            _ = stopping.wait_for(|stop| *stop) => {
                let _ = out_tx.try_send(Outbound::Close(1012, "Tandem is restarting; reconnecting.".into()));
                break;
            }
            _ = actor.closed() => {
                let _ = out_tx.try_send(Outbound::Close(1012, "Session restarting; reconnecting.".into()));
                break;
            }
            next = timeout(limits.idle * 3, stream.next()) => next,
        };
        match next {
            Ok(Some(Ok(Message::Binary(frame)))) => {
                if notes_window.admit() != Admit::Yes {
                    let _ = out_tx.try_send(Outbound::Close(1008, "Too many messages; reconnect to resync.".into()));
                    break;
                }
                if !to_actor(&actor, ActorMsg::Notes { conn, frame }).await {
                    break;
                }
            }
            Ok(Some(Ok(Message::Close(_)))) | Ok(None) | Err(_) => break,
            Ok(Some(Err(e))) => {
                if is_too_large(&e) {
                    let _ = out_tx.try_send(Outbound::Close(1009, "Message too large".into()));
                }
                break;
            }
            Ok(Some(Ok(_))) => {}
        }
    }
    Box::pin(hang_up(&actor, conn, out_tx, writer, writer_done)).await;
}

#[cfg(test)]
mod tests {
    use super::{Admit, RateWindow};

    #[test]
    fn the_window_admits_up_to_its_limit_then_refuses_once_loudly() {
        let mut w = RateWindow::new(3);
        let seen: Vec<Admit> = (0..6).map(|_| w.admit()).collect();
        assert_eq!(
            seen,
            [
                Admit::Yes,
                Admit::Yes,
                Admit::Yes,
                Admit::FirstRefusal,
                Admit::No,
                Admit::No
            ]
        );
    }
}
