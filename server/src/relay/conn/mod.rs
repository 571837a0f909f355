//! One WebSocket connection, for either endpoint: the hello (Tandem's pages only), the join, then one reader loop
//! that hands the client's frames to the session's actor; frames go out through the connection's outbox (written
//! directly when the socket takes them, else by its writer task).
//! Generic over the socket so that tests can drive it with any `Stream + Sink`.
//!
//! `hello` reads a page's hello (or refuses the connection); `reader` turns the client's frames into messages for
//! the actor, within the rate limits.

pub(super) mod hello;
pub(super) mod reader;

use super::actor::{ActorMsg, ConnHandle, ConnId, JoinAs};
use super::outbox::{outbox, write_loop, Outbox, WireSink};
use super::{Outbound, Relay};
use axum::extract::ws::Message;
use futures::future::OptionFuture;
use futures::stream::SplitStream;
use futures::{FutureExt, Sink, Stream, StreamExt};
use hello::{read_hello, refuse};
use reader::{RateWindow, Reader};
use std::fmt::Display;
use std::future::Future;
use std::ops::ControlFlow;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;
use tandem_core::protocol::{Close, ErrorCode, MAX_FRAME_BYTES};
use tandem_core::session::{Capability, SessionId};
use tokio::sync::mpsc;
use tokio::time::{Instant, Interval};

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

/// Which protocol a connection speaks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Endpoint {
    /// Tandem's own (`/ws`): a hello, then JSON control messages and binary y-sync notes.
    Session,
    /// y-websocket framing for official Yjs clients (`/yjs`): no hello, binary y-sync only.
    Notes,
}

impl Endpoint {
    /// Whether the client speaks JSON: a hello, control messages, errors, pongs.
    fn speaks_json(self) -> bool {
        self == Endpoint::Session
    }

    /// Silence after which the connection ends. Pages ping every 3 s (and the relay pings them); Yjs clients do
    /// not ping at the application level, so they are allowed three times as long.
    fn idle(self, limits: &Limits) -> Duration {
        match self {
            Endpoint::Session => limits.idle,
            Endpoint::Notes => limits.idle * 3,
        }
    }

    /// What a silent connection is told: a page to reconnect; a Yjs client's socket is just closed.
    fn idle_close(self) -> Option<Close> {
        self.speaks_json().then_some(Close::Idle)
    }

    /// How a connection that could not join the session's actor is closed.
    fn unavailable(self) -> Close {
        match self {
            Endpoint::Session => Close::Unavailable,
            Endpoint::Notes => Close::NotesUnavailable,
        }
    }
}

/// A WebSocket as a connection takes it: a stream of messages that is also their sink (axum's socket, or a test's
/// in-memory one). Its read errors need only display: the oversized frame is told apart by type.
pub trait Socket<E>: Stream<Item = Result<Message, E>> + Sink<Message> + Send + Unpin + 'static {}

impl<S, E> Socket<E> for S where S: Stream<Item = Result<Message, E>> + Sink<Message> + Send + Unpin + 'static {}

/// Serves a Tandem page's socket (`/ws`) until either side ends it: [`serve`] with [`Endpoint::Session`], for tests
/// that drive a page's connection with a socket of their own.
pub fn serve_connection<S, E>(socket: S, relay: Relay, id: SessionId, link: Capability) -> impl Future<Output = ()>
where
    S: Socket<E>,
    E: Display + Send + 'static,
{
    serve(Endpoint::Session, socket, relay, id, link)
}

/// Serves a socket of either endpoint until either side ends it: opens the connection (hello, join), then runs the
/// one reader loop. The link's token was checked at the upgrade; observers may read but not write.
///
/// Not an `async fn`, whose future would keep its arguments for its whole life: opening runs in a future of its own
/// on the heap, freed once the connection is open, so that an open connection's task holds only the loop
/// (docs/performance.md, idle RSS per connection).
pub fn serve<S, E>(
    endpoint: Endpoint,
    socket: S,
    relay: Relay,
    session: SessionId,
    capability: Capability,
) -> impl Future<Output = ()> + Send + 'static
where
    S: Socket<E>,
    E: Display + Send + 'static,
{
    // Combinators rather than an `async` block, which would keep the open connection once in its own state and
    // again in the loop's.
    let opening = Box::pin(open(endpoint, socket, relay, session, capability));
    opening
        .then(|opened| OptionFuture::from(opened.map(Connection::run)))
        .map(drop)
}

/// An open connection: joined, its writer running.
struct Connection<St> {
    /// The socket's receiving half.
    stream: St,
    writer: tokio::task::JoinHandle<()>,
    /// Resolves when the relay shuts down.
    stopping: tokio::sync::watch::Receiver<bool>,
    /// The relay's pings, for a page.
    pinger: Option<Interval>,
    /// Silence after which the connection ends ([`Endpoint::idle`]).
    idle: Duration,
    reader: Reader,
}

/// Joins the session (after a page's hello) and starts the connection's writer; refuses the connection otherwise.
async fn open<S: Socket<E>, E>(
    endpoint: Endpoint,
    socket: S,
    relay: Relay,
    session: SessionId,
    capability: Capability,
) -> Option<Connection<SplitStream<S>>> {
    let limits = relay.limits;
    let (mut sink, mut stream) = socket.split();
    let conn = relay.next_conn_id();
    let (out, out_rx) = outbox(limits.outbox);
    let inbox = match join(endpoint, &mut stream, &relay, &session, conn, capability, &out).await {
        Ok(inbox) => inbox,
        Err((code, close)) => {
            refuse(&mut sink, endpoint.speaks_json().then_some(code), close).await;
            return None;
        }
    };
    // The relay pings pages too: a hidden tab's own pings may be throttled to one a minute, but its browser still
    // answers WebSocket pings at once, and any frame (a pong included) counts as hearing from the client.
    let pinger = endpoint.speaks_json().then(|| {
        let mut pinger = tokio::time::interval_at(Instant::now() + limits.idle / 2, limits.idle / 2);
        pinger.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        pinger
    });
    Some(Connection {
        stream,
        writer: tokio::spawn(write_loop(wire(sink), out_rx)),
        stopping: relay.stopping(),
        pinger,
        idle: endpoint.idle(&limits),
        reader: Reader {
            endpoint,
            conn,
            out,
            actor: inbox.tx,
            inbox_bytes: inbox.bytes,
            control: RateWindow::new(limits.max_msgs_per_sec),
            notes: RateWindow::new(limits.max_notes_frames_per_sec),
            max_frame_bytes: limits.max_frame_bytes,
        },
    })
}

impl<St, E> Connection<St>
where
    St: Stream<Item = Result<Message, E>> + Unpin,
    E: Display + 'static,
{
    /// The reader loop: hands the client's frames to the actor until either side ends the connection, then leaves.
    async fn run(mut self) {
        // Fields used in place, not moved out: the loop's state would hold both copies.
        let mut writer_done = false;
        // The connection ends because of what the client sent (a close, a flood, a frame the relay refused): see
        // below.
        let mut refused = false;
        let mut heard = Instant::now();
        loop {
            let next = tokio::select! {
                _ = &mut self.writer => {
                    writer_done = true;
                    break;
                }
                _ = tick(&mut self.pinger) => {
                    let _ = self.reader.out.try_send(Outbound::Ping);
                    continue;
                }
                _ = self.stopping.wait_for(|stop| *stop) => {
                    self.reader.close(Close::ServerRestarting);
                    break;
                }
                // The session's actor stopped (idle, or failed): the client reconnects to a fresh one.
                _ = self.reader.actor.closed() => {
                    self.reader.close(Close::SessionRestarting);
                    break;
                }
                next = tokio::time::timeout_at(heard + self.idle, self.stream.next()) => next,
            };
            heard = Instant::now();
            let frame = match next {
                Err(_) => {
                    if let Some(close) = self.reader.endpoint.idle_close() {
                        self.reader.close(close);
                    }
                    break;
                }
                Ok(None) => break,
                Ok(Some(Err(e))) => {
                    self.reader.read_error(&e);
                    refused = true;
                    break;
                }
                Ok(Some(Ok(frame))) => frame,
            };
            let mut msg = match self.reader.frame(frame) {
                ControlFlow::Continue(Some(msg)) => msg,
                ControlFlow::Continue(None) => continue,
                ControlFlow::Break(()) => {
                    refused = true;
                    break;
                }
            };
            if let ActorMsg::Notes { frame, held, .. } = &mut msg {
                // Waits while the session's inbox holds too many bytes: this socket is not read meanwhile, so the
                // client is slowed down, not cut off. (A frame is at most MAX_FRAME_BYTES, well under the bound.)
                let share = frame.len().clamp(1, crate::relay::MAX_INBOX_BYTES) as u32;
                match self.reader.inbox_bytes.clone().acquire_many_owned(share).await {
                    Ok(permit) => *held = Some(permit),
                    Err(_) => break,
                }
            }
            // Awaited here, not inside the reader's methods: each async layer would keep its own copy of the
            // message in the connection's state.
            if !to_actor(&self.reader.actor, msg).await {
                break;
            }
        }
        if refused {
            // Our close (with its reason) goes out through the writer. What the client sent meanwhile is read and
            // dropped, for up to a second or until it answers the close: a socket closed with unread data is reset
            // by the kernel, and the reset would destroy the close before the client reads it. After the client's
            // own close, reading on is also what sends tungstenite's answer to it.
            let drain = async { while let Some(Ok(_)) = self.stream.next().await {} };
            let _ = tokio::time::timeout(Duration::from_secs(1), drain).await;
        }
        Box::pin(hang_up(
            &self.reader.actor,
            self.reader.conn,
            self.reader.out,
            self.writer,
            writer_done,
        ))
        .await;
    }
}

/// Reads a page's hello (a Yjs client sends none) and joins the session's actor; otherwise the error code and
/// close to refuse the connection with.
async fn join<S, E>(
    endpoint: Endpoint,
    stream: &mut S,
    relay: &Relay,
    session: &SessionId,
    conn: ConnId,
    capability: Capability,
    outbox: &Outbox,
) -> Result<crate::relay::Inbox, (ErrorCode, Close)>
where
    S: Stream<Item = Result<Message, E>> + Unpin,
{
    let joining = match endpoint {
        Endpoint::Session => JoinAs::Session(read_hello(stream, relay.limits.hello_timeout).await?),
        Endpoint::Notes => JoinAs::NotesOnly,
    };
    // An actor that is just shutting down refuses the join; the second attempt starts a fresh one.
    for _ in 0..2 {
        let inbox = match relay.actor(session).await {
            Ok(inbox) => inbox,
            // Another relay runs it: the page reconnects, and the load balancer sends it there.
            Err(crate::relay::RelayError::Moved) => return Err((ErrorCode::Unavailable, Close::Moved)),
            Err(_) => break,
        };
        let join = ActorMsg::Join {
            conn,
            handle: ConnHandle { outbox: outbox.clone() },
            capability,
            joining: joining.clone(),
        };
        if to_actor(&inbox.tx, join).await {
            return Ok(inbox);
        }
    }
    // Storage trouble is temporary; the token was checked, so the session exists.
    Err((ErrorCode::Unavailable, endpoint.unavailable()))
}

/// The next tick of the pinger, if the connection has one (never, without).
async fn tick(pinger: &mut Option<Interval>) {
    match pinger {
        Some(pinger) => {
            pinger.tick().await;
        }
        None => std::future::pending().await,
    }
}

/// The sending half as the outbox keeps it.
pub(super) fn wire<K: Sink<Message> + Send + Unpin + 'static>(sink: K) -> WireSink {
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
    conn: ConnId,
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

#[cfg(test)]
mod tests {
    use super::*;

    /// A socket that never yields a frame nor takes one.
    struct Silent;

    impl Stream for Silent {
        type Item = Result<Message, axum::Error>;
        fn poll_next(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<Option<Self::Item>> {
            Poll::Pending
        }
    }

    impl Sink<Message> for Silent {
        type Error = axum::Error;
        fn poll_ready(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
            Poll::Pending
        }
        fn start_send(self: Pin<&mut Self>, _: Message) -> Result<(), Self::Error> {
            Ok(())
        }
        fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
            Poll::Pending
        }
        fn poll_close(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
            Poll::Pending
        }
    }

    /// Every open connection's task holds this future, so its size is idle memory per connection
    /// (docs/performance.md): 1,416 bytes for a page's and 904 for a Yjs client's before the two loops were one and
    /// the opening moved to the heap; 800 for either since.
    #[tokio::test]
    async fn an_open_connection_holds_little_more_than_its_loop() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("t.db").display());
        let relay = Relay::new(
            crate::store::Store::open(&url).await.unwrap(),
            Limits::default(),
            std::time::Duration::from_secs(3),
        );
        for endpoint in [Endpoint::Session, Endpoint::Notes] {
            let future = serve(endpoint, Silent, relay.clone(), SessionId("s".into()), Capability::Host);
            assert!(
                std::mem::size_of_val(&future) <= 1024,
                "{endpoint:?}: {}",
                std::mem::size_of_val(&future)
            );
        }
    }
}
